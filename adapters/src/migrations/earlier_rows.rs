//! For the migrations' tests: rows stored as an earlier schema held them, by table and column name
//! (never through the entities, which follow the latest schema).

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseConnection};

/// An INSERT into `table` naming `columns`; rows go in with `values`.
pub(super) fn insert(table: &str, columns: &[&str]) -> InsertStatement {
    Query::insert()
        .into_table(Alias::new(table))
        .columns(columns.iter().map(|column| Alias::new(*column)))
        .to_owned()
}

/// An INSERT into `campaigns` naming the columns migrations 7 to 9 require (the rest have defaults):
/// id, workspace_id, user_id, name, name_folded, status, content, created_at_ms, updated_at_ms.
pub(super) fn campaigns_insert() -> InsertStatement {
    insert(
        "campaigns",
        &[
            "id",
            "workspace_id",
            "user_id",
            "name",
            "name_folded",
            "status",
            "content",
            "created_at_ms",
            "updated_at_ms",
        ],
    )
}

/// The id stored for `number`: 24 hex digits, as every id is.
pub(super) fn stored_id(number: u64) -> String {
    format!("{number:024x}")
}

/// Stores user 1 (`a@acme.test`) and returns its id.
pub(super) async fn store_user(writer: &DatabaseConnection) -> anyhow::Result<String> {
    let user = stored_id(1);
    let mut users = insert("users", &["id", "email", "email_lower", "created_at_ms"]);
    users.values([
        user.as_str().into(),
        "a@acme.test".into(),
        "a@acme.test".into(),
        0.into(),
    ])?;
    writer.execute(&users).await?;
    Ok(user)
}

/// Stores workspace `number` ("Acme") and returns its id.
pub(super) async fn store_workspace(
    writer: &DatabaseConnection,
    number: u64,
) -> anyhow::Result<String> {
    let workspace = stored_id(number);
    let mut workspaces = insert("workspaces", &["id", "name", "created_at_ms"]);
    workspaces.values([workspace.as_str().into(), "Acme".into(), 0.into()])?;
    writer.execute(&workspaces).await?;
    Ok(workspace)
}

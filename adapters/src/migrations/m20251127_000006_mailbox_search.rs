//! The case-folded display name that mailbox list searches compare (addresses already have
//! `email_lower`). FROZEN: add a new migration instead of editing this one.
//!
//! No new index: lists walk `mailboxes_workspace_id (workspace_id, id)` newest first, and a substring
//! search (`LIKE '%…%'`) cannot use a b-tree index, so it is checked on the rows that walk reads.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::ConnectionTrait;

#[derive(DeriveMigrationName)]
pub(super) struct Migration;

#[derive(DeriveIden)]
enum Mailboxes {
    Table,
    Id,
    DisplayName,
    DisplayNameFolded,
}

/// Names folded per UPDATE while backfilling (two parameters each, plus one per id in the `IN` list).
const BACKFILL_BATCH: u64 = 500;

/// The domain's `fold_case` (`str::to_lowercase`) as it was when this migration was written. Written out
/// rather than imported so that a later change of the domain's folding cannot rewrite what this
/// migration did; such a change needs a migration of its own that folds the names again.
fn fold_case(name: &str) -> String {
    name.to_lowercase()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Mailboxes::Table)
                    .add_column(ColumnDef::new(Mailboxes::DisplayNameFolded).text().null())
                    .to_owned(),
            )
            .await?;
        backfill_folded_display_names(manager).await
    }
}

/// Sets `display_name_folded` of every existing mailbox that has a display name, a batch of ids at a
/// time in id order.
async fn backfill_folded_display_names(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let connection = manager.get_connection();
    let mut after: Option<String> = None;
    loop {
        let mut select = Query::select();
        select
            .columns([Mailboxes::Id, Mailboxes::DisplayName])
            .from(Mailboxes::Table)
            .and_where(Expr::col(Mailboxes::DisplayName).is_not_null())
            .order_by(Mailboxes::Id, Order::Asc)
            .limit(BACKFILL_BATCH);
        if let Some(after) = &after {
            select.and_where(Expr::col(Mailboxes::Id).gt(after.as_str()));
        }
        let rows = connection.query_all(&select).await?;
        let mut names = Vec::with_capacity(rows.len());
        for row in rows {
            names.push((
                row.try_get_by_index::<String>(0)?,
                row.try_get_by_index::<String>(1)?,
            ));
        }
        let Some((last, _)) = names.last() else {
            return Ok(());
        };
        after = Some(last.clone());

        let mut folded = CaseStatement::new();
        for (id, name) in &names {
            folded = folded.case(Expr::col(Mailboxes::Id).eq(id.as_str()), fold_case(name));
        }
        let update = Query::update()
            .table(Mailboxes::Table)
            .value(Mailboxes::DisplayNameFolded, folded)
            .and_where(Expr::col(Mailboxes::Id).is_in(names.iter().map(|(id, _)| id.as_str())))
            .to_owned();
        connection.execute(&update).await?;
    }
}

#[cfg(all(test, feature = "testing"))]
mod tests {
    use application::ports::MailboxQuery;
    use domain::id::WorkspaceId;
    use domain::mailbox_listing::MailboxSearch;
    use sea_orm_migration::MigratorTrait;

    use super::*;
    use crate::migrations::Migrator;
    use crate::migrations::earlier_rows::*;
    use crate::testing::{backends, unmigrated_database};

    /// Mailboxes stored before this migration: more than one backfill batch.
    const EARLIER_MAILBOXES: u64 = BACKFILL_BATCH + 2;

    fn earlier_name(index: u64) -> Option<String> {
        match index % 3 {
            0 => Some(format!("ÉQUIPE Été {index}")),
            1 => Some(format!("Plain {index}")),
            _ => None,
        }
    }

    #[tokio::test]
    async fn mailboxes_stored_earlier_get_their_folded_display_name_and_are_found_by_it()
    -> anyhow::Result<()> {
        for backend in backends() {
            let database = unmigrated_database(backend).await?;
            let writer = &database.pools().writer;
            Migrator::up(writer, Some(5)).await?;

            let workspace = store_workspace(writer, 2).await?;
            let mut mailboxes = insert(
                "mailboxes",
                &[
                    "id",
                    "workspace_id",
                    "email",
                    "email_lower",
                    "provider",
                    "display_name",
                    "tags",
                    "daily_send_limit",
                    "sending_enabled",
                    "status",
                    "created_at_ms",
                    "updated_at_ms",
                ],
            );
            for index in 0..EARLIER_MAILBOXES {
                let email = format!("m{index}@acme.example");
                mailboxes.values([
                    format!("{:024x}", 1_000 + index).into(),
                    workspace.as_str().into(),
                    email.clone().into(),
                    email.into(),
                    "gmail".into(),
                    earlier_name(index).into(),
                    serde_json::json!([]).into(),
                    50.into(),
                    true.into(),
                    "active".into(),
                    0.into(),
                    0.into(),
                ])?;
            }
            writer.execute(&mailboxes).await?;

            Migrator::up(writer, None).await?;

            let rows = writer
                .query_all(
                    &Query::select()
                        .columns([Mailboxes::DisplayName, Mailboxes::DisplayNameFolded])
                        .from(Mailboxes::Table)
                        .to_owned(),
                )
                .await?;
            assert_eq!(rows.len() as u64, EARLIER_MAILBOXES, "{backend:?}");
            for row in rows {
                let name: Option<String> = row.try_get_by_index(0)?;
                let folded: Option<String> = row.try_get_by_index(1)?;
                // The frozen folding is still the domain's: otherwise stored names need folding again.
                assert_eq!(
                    folded,
                    name.as_deref().map(domain::listing::fold_case),
                    "{backend:?}"
                );
            }

            // Searches find them like mailboxes written since.
            let page = database
                .mailboxes()
                .list(
                    WorkspaceId::parse(&workspace)
                        .map_err(|invalid| anyhow::anyhow!(invalid.message))?,
                    &MailboxQuery {
                        search: MailboxSearch::parse(Some("équipe été"))
                            .map_err(|invalid| anyhow::anyhow!(invalid.message))?,
                        ..MailboxQuery::default()
                    },
                )
                .await?;
            let expected = (0..EARLIER_MAILBOXES)
                .filter(|index| index % 3 == 0)
                .count();
            assert_eq!(page.total, expected as u64, "{backend:?}");
        }
        Ok(())
    }
}

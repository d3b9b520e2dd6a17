//! Campaign name search served by an index (issue 18). FROZEN: add a new migration instead of
//! editing this one.
//!
//! Both indexes cover `name_folded`, the case-folded name the repository already keeps beside the
//! name, so the search keeps comparing the same text as before.
//!
//! - SQLite: `campaign_name_search`, an FTS5 table with the trigram tokenizer (case-sensitive: the
//!   text is folded already, so a phrase query is an exact substring test of `name_folded`), with
//!   external content: `campaigns` itself, rows keyed by its `rowid`. Triggers keep it in step with
//!   every insert, delete and change of `name_folded`, whatever writes them (the group commit of
//!   creates included); the campaigns stored before are indexed here (`rebuild`).
//! - PostgreSQL: `pg_trgm` (installed in `public` unless it is installed already) and a GIN index of
//!   `name_folded` with its `gin_trgm_ops`, which serves `LIKE '%…%'` itself.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend, Statement};

#[derive(DeriveMigrationName)]
pub(super) struct Migration;

/// The SQLite FTS5 table and its triggers, in order.
const SQLITE_UP: [&str; 5] = [
    "CREATE VIRTUAL TABLE campaign_name_search USING fts5(name_folded, content='campaigns', \
     content_rowid='rowid', tokenize='trigram case_sensitive 1')",
    "CREATE TRIGGER campaign_name_search_insert AFTER INSERT ON campaigns BEGIN \
     INSERT INTO campaign_name_search(rowid, name_folded) VALUES (new.rowid, new.name_folded); END",
    "CREATE TRIGGER campaign_name_search_delete AFTER DELETE ON campaigns BEGIN \
     INSERT INTO campaign_name_search(campaign_name_search, rowid, name_folded) \
     VALUES ('delete', old.rowid, old.name_folded); END",
    "CREATE TRIGGER campaign_name_search_update AFTER UPDATE OF name_folded ON campaigns BEGIN \
     INSERT INTO campaign_name_search(campaign_name_search, rowid, name_folded) \
     VALUES ('delete', old.rowid, old.name_folded); \
     INSERT INTO campaign_name_search(rowid, name_folded) VALUES (new.rowid, new.name_folded); END",
    "INSERT INTO campaign_name_search(campaign_name_search) VALUES ('rebuild')",
];

const SQLITE_DOWN: [&str; 4] = [
    "DROP TRIGGER campaign_name_search_update",
    "DROP TRIGGER campaign_name_search_delete",
    "DROP TRIGGER campaign_name_search_insert",
    "DROP TABLE campaign_name_search",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let connection = manager.get_connection();
        match manager.get_database_backend() {
            DbBackend::Sqlite => {
                for statement in SQLITE_UP {
                    connection.execute_unprepared(statement).await?;
                }
            }
            _ => {
                connection
                    .execute_unprepared("CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public")
                    .await?;
                let schema = connection
                    .query_one_raw(Statement::from_string(
                        DbBackend::Postgres,
                        "SELECT quote_ident(n.nspname) FROM pg_extension e \
                         JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm'",
                    ))
                    .await?
                    .map(|row| row.try_get_by_index::<String>(0))
                    .transpose()?
                    .ok_or_else(|| DbErr::Migration("pg_trgm is not installed".to_owned()))?;
                connection
                    .execute_unprepared(&format!(
                        "CREATE INDEX campaigns_name_folded_trigrams ON campaigns \
                         USING gin (name_folded {schema}.gin_trgm_ops)"
                    ))
                    .await?;
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let connection = manager.get_connection();
        match manager.get_database_backend() {
            DbBackend::Sqlite => {
                for statement in SQLITE_DOWN {
                    connection.execute_unprepared(statement).await?;
                }
            }
            _ => {
                connection
                    .execute_unprepared("DROP INDEX campaigns_name_folded_trigrams")
                    .await?;
            }
        }
        Ok(())
    }
}

#[cfg(all(test, feature = "testing"))]
mod tests {
    use application::ports::{CampaignQuery, IdGenerator};
    use chrono::Utc;
    use domain::campaign::{Campaign, NewCampaign, Provisions};
    use domain::identity::{User, Workspace, WorkspaceName};
    use domain::listing::NameSearch;
    use domain::request::CampaignRequest;
    use domain::rules::ParseRules;
    use domain::values::{EmailAddress, WebhookHostPolicy};
    use sea_orm_migration::MigratorTrait;

    use crate::ObjectIdGenerator;
    use crate::migrations::Migrator;
    use crate::testing::{backends, unmigrated_database};

    /// The migrations before this one, on every branch.
    const EARLIER_MIGRATIONS: u32 = 13;

    fn invalid(message: String) -> anyhow::Error {
        anyhow::anyhow!(message)
    }

    #[tokio::test]
    async fn campaigns_stored_before_the_search_index_are_found_through_it() -> anyhow::Result<()> {
        for backend in backends() {
            let database = unmigrated_database(backend).await?;
            Migrator::up(&database.pools().writer, Some(EARLIER_MIGRATIONS)).await?;
            let ids = ObjectIdGenerator;
            let user = User::new(
                ids.new_id().into(),
                EmailAddress::parse("ana@acme.test").map_err(|bad| invalid(bad.message))?,
                Utc::now(),
            );
            database.identity().insert_user(&user).await?;
            let workspace = Workspace::new(
                ids.new_id().into(),
                WorkspaceName::parse(Some("Acme")).map_err(|bad| invalid(bad.message))?,
                Utc::now(),
            );
            database
                .identity()
                .insert_workspace(&workspace, user.id())
                .await?;
            for name in ["Spring LAUNCH", "Autumn launch", "Winter sale"] {
                let request = CampaignRequest {
                    name: Some(name.to_owned()),
                    ..CampaignRequest::default()
                };
                let new =
                    NewCampaign::parse(&request, ParseRules::create(WebhookHostPolicy::PublicOnly))
                        .map_err(|problems| anyhow::anyhow!("{problems}"))?;
                let campaign = Campaign::create(
                    new,
                    Provisions {
                        id: ids.new_id().into(),
                        workspace_id: workspace.id(),
                        user_id: user.id(),
                        now: Utc::now(),
                        mailboxes: vec![],
                        ai_agent_id: None,
                        webhook_secret: None,
                    },
                    || ids.new_id(),
                );
                database.campaigns().insert(&campaign).await?;
            }

            Migrator::up(&database.pools().writer, None).await?;

            let page = database
                .campaigns()
                .list(
                    workspace.id(),
                    &CampaignQuery {
                        name: NameSearch::parse(Some("launch"))
                            .map_err(|bad| invalid(bad.message))?,
                        ..CampaignQuery::default()
                    },
                )
                .await?;
            assert_eq!(page.total, 2, "{backend:?}");
        }
        Ok(())
    }
}

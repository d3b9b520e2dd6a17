//! PostgreSQL: campaign content stored as text, compressed with LZ4. FROZEN: add a new migration
//! instead of editing this one.
//!
//! Nothing in SQL looks inside `campaigns.content`: the server writes it whole and reads it whole. As
//! `jsonb` every insert and update parsed it into PostgreSQL's binary form (`jsonb_recv`, ~5% of all
//! CPU in the create benchmark) and every read printed it back; as text it is stored and sent as the
//! server wrote it. A campaign's content (~2.3 KB for SendKit's example) makes its row long enough to
//! be compressed on every write; with the default `pglz` that was another ~4% of all CPU, and LZ4
//! compresses several times faster. LZ4 needs a server built with it (PostgreSQL 14 and later as most
//! distributions ship it); without it the column keeps `pglz`. SQLite already keeps JSON as text:
//! nothing to do there.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend, Statement};

#[derive(DeriveMigrationName)]
pub(super) struct Migration;

/// True when the server can compress with LZ4.
const LZ4_AVAILABLE: &str = "SELECT 'lz4' = ANY(enumvals) AS available FROM pg_settings \
     WHERE name = 'default_toast_compression'";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let connection = manager.get_connection();
        if connection.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        connection
            .execute_unprepared("ALTER TABLE campaigns ALTER COLUMN content TYPE text")
            .await?;
        let lz4_available = connection
            .query_one_raw(Statement::from_string(DbBackend::Postgres, LZ4_AVAILABLE))
            .await?
            .map(|row| row.try_get::<bool>("", "available"))
            .transpose()?
            .unwrap_or(false);
        if lz4_available {
            connection
                .execute_unprepared(
                    "ALTER TABLE campaigns ALTER COLUMN content SET COMPRESSION lz4",
                )
                .await?;
        }
        Ok(())
    }
}

#[cfg(all(test, feature = "testing"))]
mod tests {
    use domain::id::{CampaignId, WorkspaceId};
    use sea_orm_migration::MigratorTrait;
    use sea_orm_migration::sea_orm::ConnectionTrait;

    use crate::migrations::Migrator;
    use crate::migrations::earlier_rows::*;
    use crate::testing::{backends, unmigrated_database};

    #[tokio::test]
    async fn content_stored_as_json_before_reads_back_the_same_after() -> anyhow::Result<()> {
        for backend in backends() {
            let database = unmigrated_database(backend).await?;
            let writer = &database.pools().writer;
            Migrator::up(writer, Some(9)).await?;

            let user = store_user(writer).await?;
            let workspace = store_workspace(writer, 2).await?;
            let id = stored_id(3);
            let mut campaigns = campaigns_insert();
            let content = serde_json::json!({
                "sequence": [{"type": "email", "subject": "Hi {{firstName}}", "body": "<p>Hi</p>"}],
                "schedule": {"timezone": "America/Chicago", "workingDays": [1, 2, 3]},
                "settings": {"cc": ["sales-log@acme.test"], "dailySendLimit": 40}
            });
            campaigns.values([
                id.as_str().into(),
                workspace.as_str().into(),
                user.as_str().into(),
                "Earlier".into(),
                "earlier".into(),
                "draft".into(),
                content.into(),
                0.into(),
                0.into(),
            ])?;
            writer.execute(&campaigns).await?;

            Migrator::up(writer, None).await?;

            let parse = |id: &str| anyhow::anyhow!("not an id: {id}");
            let workspace = WorkspaceId::parse(&workspace).map_err(|_| parse(&workspace))?;
            let id = CampaignId::parse(&id).map_err(|_| parse(&id))?;
            let found = database
                .campaigns()
                .find(workspace, id)
                .await?
                .ok_or_else(|| anyhow::anyhow!("{backend:?}: the campaign is gone"))?;
            let content = found.campaign.content();
            let sequence = content.sequence.unwrap_or_default();
            assert_eq!(sequence.len(), 1, "{backend:?}");
            assert_eq!(sequence[0].subject.as_deref(), Some("Hi {{firstName}}"));
            let schedule = content.schedule.unwrap_or_default();
            assert_eq!(schedule.timezone.as_deref(), Some("America/Chicago"));
            assert_eq!(schedule.working_days, Some(vec![1, 2, 3]));
            let settings = content.settings.unwrap_or_default();
            assert_eq!(settings.cc, Some(vec!["sales-log@acme.test".to_owned()]));
            assert_eq!(settings.daily_send_limit, Some(40));
        }
        Ok(())
    }
}

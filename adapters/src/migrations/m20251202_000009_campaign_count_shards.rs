//! Campaign counts split into shards. FROZEN: add a new migration instead of editing this one.
//!
//! Every create in a workspace added one to the same `campaign_counts` row, so on PostgreSQL the
//! creates of one workspace queued on that row's lock, each holding it until its commit's WAL flush:
//! about 1,100 creates/s whatever the connections. Each campaign now counts in one of
//! `SHARDS` rows per (workspace, status), chosen by its id; a total sums them.
//! The table is rebuilt with `shard` in its key, and the campaigns stored so far are counted again
//! into their shards (a delete takes its campaign off its own shard's row, which must exist).

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub(super) struct Migration;

#[derive(DeriveIden)]
enum CampaignCounts {
    Table,
    WorkspaceId,
    Status,
    Shard,
    Count,
}

#[derive(DeriveIden)]
enum Campaigns {
    Table,
    WorkspaceId,
    Status,
}

#[derive(DeriveIden)]
enum CampaignCountShards {
    Table,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut sharded = Table::create();
        sharded
            .table(CampaignCountShards::Table)
            .col(
                ColumnDef::new(CampaignCounts::WorkspaceId)
                    .text()
                    .not_null(),
            )
            .col(ColumnDef::new(CampaignCounts::Status).text().not_null())
            .col(
                ColumnDef::new(CampaignCounts::Shard)
                    .small_integer()
                    .not_null(),
            )
            .col(
                ColumnDef::new(CampaignCounts::Count)
                    .big_integer()
                    .not_null(),
            )
            .primary_key(
                Index::create()
                    .col(CampaignCounts::WorkspaceId)
                    .col(CampaignCounts::Status)
                    .col(CampaignCounts::Shard),
            );
        if manager.get_database_backend() == DbBackend::Sqlite {
            sharded.extra("WITHOUT ROWID");
        }
        manager.create_table(sharded).await?;

        // The shard of an id is its last byte mod 16: its last hex digit.
        let shard = match manager.get_database_backend() {
            DbBackend::Postgres => "strpos('0123456789abcdef', substr(id, 24, 1)) - 1",
            _ => "instr('0123456789abcdef', substr(id, 24, 1)) - 1",
        };
        let recount = Query::insert()
            .into_table(CampaignCountShards::Table)
            .columns([
                CampaignCounts::WorkspaceId,
                CampaignCounts::Status,
                CampaignCounts::Shard,
                CampaignCounts::Count,
            ])
            .select_from(
                Query::select()
                    .columns([Campaigns::WorkspaceId, Campaigns::Status])
                    .expr_as(Expr::cust(shard), CampaignCounts::Shard)
                    .expr(Expr::col(Asterisk).count())
                    .from(Campaigns::Table)
                    .group_by_columns([Campaigns::WorkspaceId, Campaigns::Status])
                    .group_by_col(CampaignCounts::Shard)
                    .to_owned(),
            )
            .map_err(|error| DbErr::Migration(error.to_string()))?
            .to_owned();
        manager.get_connection().execute(&recount).await?;
        manager
            .drop_table(Table::drop().table(CampaignCounts::Table).to_owned())
            .await?;
        manager
            .rename_table(
                Table::rename()
                    .table(CampaignCountShards::Table, CampaignCounts::Table)
                    .to_owned(),
            )
            .await
    }
}

#[cfg(all(test, feature = "testing"))]
mod tests {
    use application::ports::{CampaignQuery, Version, WriteOutcome};
    use domain::id::{CampaignId, WorkspaceId};
    use sea_orm_migration::MigratorTrait;
    use sea_orm_migration::sea_orm::ConnectionTrait;

    use crate::migrations::Migrator;
    use crate::migrations::earlier_rows::*;
    use crate::testing::{backends, unmigrated_database};

    async fn total(database: &crate::Database, workspace: WorkspaceId) -> anyhow::Result<u64> {
        // A cursor newer than every campaign makes `list` read its total from the counts.
        let newest = CampaignId::parse(&format!("{:024x}", u64::MAX))
            .map_err(|invalid| anyhow::anyhow!(invalid.message))?;
        let page = database
            .campaigns()
            .list(
                workspace,
                &CampaignQuery {
                    before: Some(newest),
                    ..CampaignQuery::default()
                },
            )
            .await?;
        Ok(page.total)
    }

    #[tokio::test]
    async fn campaigns_stored_earlier_count_in_their_own_shards_so_deleting_them_stays_exact()
    -> anyhow::Result<()> {
        for backend in backends() {
            let database = unmigrated_database(backend).await?;
            let writer = &database.pools().writer;
            Migrator::up(writer, Some(8)).await?;

            let user = store_user(writer).await?;
            let workspace = store_workspace(writer, 2).await?;
            let mut campaigns = campaigns_insert();
            // Ids ending in every hex digit: every shard holds campaigns stored before the shards.
            let ids: Vec<String> = (0x1000..0x1020).map(|id| format!("{id:024x}")).collect();
            for id in &ids {
                campaigns.values([
                    id.as_str().into(),
                    workspace.as_str().into(),
                    user.as_str().into(),
                    "Earlier".into(),
                    "earlier".into(),
                    "draft".into(),
                    serde_json::json!({}).into(),
                    0.into(),
                    0.into(),
                ])?;
            }
            let mut earlier_counts =
                insert("campaign_counts", &["workspace_id", "status", "count"]);
            earlier_counts.values([workspace.as_str().into(), "draft".into(), 32.into()])?;
            for statement in [campaigns, earlier_counts] {
                writer.execute(&statement).await?;
            }

            Migrator::up(writer, None).await?;

            let workspace = WorkspaceId::parse(&workspace)
                .map_err(|invalid| anyhow::anyhow!(invalid.message))?;
            assert_eq!(total(&database, workspace).await?, 32, "{backend:?}");
            for (deleted, id) in ids.iter().step_by(3).enumerate() {
                let id =
                    CampaignId::parse(id).map_err(|invalid| anyhow::anyhow!(invalid.message))?;
                assert_eq!(
                    database
                        .campaigns()
                        .delete(workspace, id, Version(0))
                        .await?,
                    WriteOutcome::Written
                );
                assert_eq!(
                    total(&database, workspace).await?,
                    32 - (deleted as u64 + 1),
                    "{backend:?} after deleting {id}"
                );
            }
        }
        Ok(())
    }
}

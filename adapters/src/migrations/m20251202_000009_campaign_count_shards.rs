//! Campaign counts split into shards. FROZEN: add a new migration instead of editing this one.
//!
//! Every create in a workspace added one to the same `campaign_counts` row, so on PostgreSQL the
//! creates of one workspace queued on that row's lock, each holding it until its commit's WAL flush:
//! about 1,100 creates/s whatever the connections. Each campaign now counts in one of
//! `SHARDS` rows per (workspace, status), chosen by its id; a total sums them.
//! The table is rebuilt with `shard` in its key (the counts so far become shard 0).

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

        let copy = Query::insert()
            .into_table(CampaignCountShards::Table)
            .columns([
                CampaignCounts::WorkspaceId,
                CampaignCounts::Status,
                CampaignCounts::Shard,
                CampaignCounts::Count,
            ])
            .select_from(
                Query::select()
                    .columns([CampaignCounts::WorkspaceId, CampaignCounts::Status])
                    .expr(Expr::val(0i16))
                    .column(CampaignCounts::Count)
                    .from(CampaignCounts::Table)
                    .to_owned(),
            )
            .map_err(|error| DbErr::Migration(error.to_string()))?
            .to_owned();
        manager.get_connection().execute(&copy).await?;
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

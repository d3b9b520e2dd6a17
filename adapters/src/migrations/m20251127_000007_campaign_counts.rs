//! Campaign counts per (workspace, status), so a list's `total` is a key lookup instead of a `COUNT(*)`
//! over the workspace's campaigns, and an index that makes a name search's count a covering index
//! scan. FROZEN: add a new migration instead of editing this one.
//!
//! The repository keeps the counts exact in the transactions that insert, delete or change the status
//! of a campaign; this migration counts the campaigns stored before it.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub(super) struct Migration;

#[derive(DeriveIden)]
enum Campaigns {
    Table,
    Id,
    WorkspaceId,
    Status,
    NameFolded,
}

#[derive(DeriveIden)]
enum CampaignCounts {
    Table,
    WorkspaceId,
    Status,
    Count,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut counts = Table::create();
        counts
            .table(CampaignCounts::Table)
            .col(
                ColumnDef::new(CampaignCounts::WorkspaceId)
                    .text()
                    .not_null(),
            )
            .col(ColumnDef::new(CampaignCounts::Status).text().not_null())
            .col(
                ColumnDef::new(CampaignCounts::Count)
                    .big_integer()
                    .not_null(),
            )
            .primary_key(
                Index::create()
                    .col(CampaignCounts::WorkspaceId)
                    .col(CampaignCounts::Status),
            );
        if manager.get_database_backend() == DbBackend::Sqlite {
            // Small rows that live in their key's b-tree, like the link tables'.
            counts.extra("WITHOUT ROWID");
        }
        manager.create_table(counts).await?;

        let backfill = Query::insert()
            .into_table(CampaignCounts::Table)
            .columns([
                CampaignCounts::WorkspaceId,
                CampaignCounts::Status,
                CampaignCounts::Count,
            ])
            .select_from(
                Query::select()
                    .columns([Campaigns::WorkspaceId, Campaigns::Status])
                    .expr(Expr::col(Asterisk).count())
                    .from(Campaigns::Table)
                    .group_by_columns([Campaigns::WorkspaceId, Campaigns::Status])
                    .to_owned(),
            )
            .map_err(|error| DbErr::Migration(error.to_string()))?
            .to_owned();
        manager.get_connection().execute(&backfill).await?;

        // A search (`name_folded LIKE '%…%'`, no b-tree prefix) walks this index newest first and
        // tests the name in it: the page reads only the rows that match, the count no row at all.
        manager
            .create_index(
                Index::create()
                    .name("campaigns_workspace_newest_named")
                    .table(Campaigns::Table)
                    .col(Campaigns::WorkspaceId)
                    .col(Campaigns::Id)
                    .col(Campaigns::NameFolded)
                    .to_owned(),
            )
            .await
    }
}

#[cfg(all(test, feature = "testing"))]
mod tests {
    use application::ports::CampaignQuery;
    use domain::id::WorkspaceId;
    use domain::status::CampaignStatus;
    use sea_orm_migration::MigratorTrait;
    use sea_orm_migration::sea_orm::ConnectionTrait;

    use crate::migrations::Migrator;
    use crate::migrations::earlier_rows::*;
    use crate::testing::{backends, unmigrated_database};

    /// Campaigns stored before this migration, per workspace and status.
    const EARLIER: [(u64, &str, u64); 4] = [
        (2, "draft", 3),
        (2, "archived", 2),
        (3, "active", 1),
        (3, "draft", 4),
    ];

    #[tokio::test]
    async fn campaigns_stored_earlier_are_counted_per_workspace_and_status() -> anyhow::Result<()> {
        for backend in backends() {
            let database = unmigrated_database(backend).await?;
            let writer = &database.pools().writer;
            Migrator::up(writer, Some(6)).await?;

            let user = store_user(writer).await?;
            for workspace in [2, 3, 4] {
                store_workspace(writer, workspace).await?;
            }
            let mut campaigns = campaigns_insert();
            let mut id = 1_000;
            for (workspace, status, count) in EARLIER {
                for _ in 0..count {
                    id += 1;
                    campaigns.values([
                        format!("{id:024x}").into(),
                        format!("{workspace:024x}").into(),
                        user.as_str().into(),
                        "Earlier".into(),
                        "earlier".into(),
                        status.into(),
                        serde_json::json!({}).into(),
                        0.into(),
                        0.into(),
                    ])?;
                }
            }
            writer.execute(&campaigns).await?;

            Migrator::up(writer, None).await?;

            // `list` reads its totals from the counts (a cursor newer than every campaign makes it
            // read them even when one page would hold every match).
            for workspace in [2, 3, 4] {
                let filters =
                    std::iter::once(None).chain(CampaignStatus::ALL.iter().copied().map(Some));
                for status in filters {
                    let expected: u64 = EARLIER
                        .iter()
                        .filter(|(each, stored, _)| {
                            *each == workspace
                                && status.is_none_or(|status| status.as_str() == *stored)
                        })
                        .map(|(_, _, count)| count)
                        .sum();
                    let page = database
                        .campaigns()
                        .list(
                            WorkspaceId::parse(&format!("{workspace:024x}"))
                                .map_err(|invalid| anyhow::anyhow!(invalid.message))?,
                            &CampaignQuery {
                                status,
                                before: Some(
                                    domain::id::CampaignId::parse(&format!("{:024x}", u64::MAX))
                                        .map_err(|invalid| anyhow::anyhow!(invalid.message))?,
                                ),
                                ..CampaignQuery::default()
                            },
                        )
                        .await?;
                    assert_eq!(
                        (page.total, page.campaigns.len() as u64),
                        (expected, expected),
                        "{backend:?} workspace {workspace} {status:?}"
                    );
                }
            }
        }
        Ok(())
    }
}

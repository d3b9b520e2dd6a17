//! Campaign versions (optimistic concurrency), lead counters, and the case-folded name that list
//! searches compare. FROZEN: add a new migration instead of editing this one.
//!
//! No new index: lists filter by workspace (and status) and walk ids newest first, which the indexes of
//! m20250610_000004 already serve; a substring search (`LIKE '%…%'`) cannot use a b-tree index, so it
//! is checked on the rows that walk reads.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::ConnectionTrait;

#[derive(DeriveMigrationName)]
pub(super) struct Migration;

#[derive(DeriveIden)]
enum Campaigns {
    Table,
    Id,
    Name,
    Version,
    LeadTotal,
    LeadActive,
    NameFolded,
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
        let counter = |name: Campaigns| {
            ColumnDef::new(name)
                .big_integer()
                .not_null()
                .default(0)
                .to_owned()
        };
        // One column per statement: SQLite's ALTER TABLE adds one at a time.
        for column in [
            counter(Campaigns::Version),
            counter(Campaigns::LeadTotal),
            counter(Campaigns::LeadActive),
            ColumnDef::new(Campaigns::NameFolded)
                .text()
                .not_null()
                .default("")
                .to_owned(),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Campaigns::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        backfill_folded_names(manager).await
    }
}

/// Sets `name_folded` of every existing campaign, a batch of ids at a time in id order.
async fn backfill_folded_names(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let connection = manager.get_connection();
    let mut after: Option<String> = None;
    loop {
        let mut select = Query::select();
        select
            .columns([Campaigns::Id, Campaigns::Name])
            .from(Campaigns::Table)
            .order_by(Campaigns::Id, Order::Asc)
            .limit(BACKFILL_BATCH);
        if let Some(after) = &after {
            select.and_where(Expr::col(Campaigns::Id).gt(after.as_str()));
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
            folded = folded.case(Expr::col(Campaigns::Id).eq(id.as_str()), fold_case(name));
        }
        let update = Query::update()
            .table(Campaigns::Table)
            .value(Campaigns::NameFolded, folded)
            .and_where(Expr::col(Campaigns::Id).is_in(names.iter().map(|(id, _)| id.as_str())))
            .to_owned();
        connection.execute(&update).await?;
    }
}

#[cfg(all(test, feature = "testing"))]
mod tests {
    use application::ports::CampaignQuery;
    use domain::id::WorkspaceId;
    use domain::listing::NameSearch;
    use sea_orm_migration::MigratorTrait;
    use sea_orm_migration::sea_orm::ConnectionTrait;

    use super::*;
    use crate::migrations::Migrator;
    use crate::migrations::earlier_rows::*;
    use crate::testing::{backends, unmigrated_database};

    /// Campaigns stored before this migration: more than one backfill batch.
    const EARLIER_CAMPAIGNS: u64 = BACKFILL_BATCH + 2;

    fn earlier_name(index: u64) -> String {
        match index % 3 {
            0 => format!("ÉTÉ Launch {index}"),
            1 => format!("İstanbul {index}"),
            _ => format!("plain {index}"),
        }
    }

    #[tokio::test]
    async fn campaigns_stored_earlier_get_their_folded_name_version_0_and_no_leads()
    -> anyhow::Result<()> {
        for backend in backends() {
            let database = unmigrated_database(backend).await?;
            let writer = &database.pools().writer;
            Migrator::up(writer, Some(4)).await?;

            let user = store_user(writer).await?;
            let workspace = store_workspace(writer, 2).await?;
            let mut campaigns = insert(
                "campaigns",
                &[
                    "id",
                    "workspace_id",
                    "user_id",
                    "name",
                    "status",
                    "content",
                    "created_at_ms",
                    "updated_at_ms",
                ],
            );
            for index in 0..EARLIER_CAMPAIGNS {
                campaigns.values([
                    format!("{:024x}", 1_000 + index).into(),
                    workspace.as_str().into(),
                    user.as_str().into(),
                    earlier_name(index).into(),
                    "draft".into(),
                    serde_json::json!({}).into(),
                    0.into(),
                    0.into(),
                ])?;
            }
            writer.execute(&campaigns).await?;

            // This migration only: a later one (17, enrolments) drops `lead_total` again.
            Migrator::up(writer, Some(1)).await?;

            let rows = writer
                .query_all(
                    &Query::select()
                        .columns([
                            Campaigns::Name,
                            Campaigns::NameFolded,
                            Campaigns::Version,
                            Campaigns::LeadTotal,
                            Campaigns::LeadActive,
                        ])
                        .from(Campaigns::Table)
                        .to_owned(),
                )
                .await?;
            assert_eq!(rows.len() as u64, EARLIER_CAMPAIGNS, "{backend:?}");
            for row in rows {
                let name: String = row.try_get_by_index(0)?;
                let folded: String = row.try_get_by_index(1)?;
                // The frozen folding is still the domain's: otherwise stored names need folding again.
                assert_eq!(folded, domain::listing::fold_case(&name), "{backend:?}");
                let counters: [i64; 3] = [
                    row.try_get_by_index(2)?,
                    row.try_get_by_index(3)?,
                    row.try_get_by_index(4)?,
                ];
                assert_eq!(counters, [0, 0, 0], "{backend:?} {name}");
            }
            Migrator::up(writer, None).await?;

            // Searches find them like campaigns written since.
            let page = database
                .campaigns()
                .list(
                    WorkspaceId::parse(&workspace)
                        .map_err(|invalid| anyhow::anyhow!(invalid.message))?,
                    &CampaignQuery {
                        name: NameSearch::parse(Some("été launch"))
                            .map_err(|invalid| anyhow::anyhow!(invalid.message))?,
                        ..CampaignQuery::default()
                    },
                )
                .await?;
            let expected = (0..EARLIER_CAMPAIGNS)
                .filter(|index| index % 3 == 0)
                .count();
            assert_eq!(page.total, expected as u64, "{backend:?}");
        }
        Ok(())
    }
}

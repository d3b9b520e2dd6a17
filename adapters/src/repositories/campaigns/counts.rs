//! The `campaign_counts` rows: how many campaigns a workspace has of each status, in shards so that
//! concurrent writes of one workspace seldom lock the same row. The upserts and updates here go into
//! the statements of each campaign write, so a count moves in the same transaction as its campaign.

use application::ports::{RepositoryError, Version};
use domain::campaign::Campaign;
use domain::id::CampaignId;
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{
    Alias, Expr, ExprTrait, InsertStatement, OnConflict, Order, Query, SelectStatement, UnionType,
    UpdateStatement,
};
use sea_orm::{ColumnTrait, EntityTrait, QueryTrait};

use crate::entities::{campaign, campaign_count};

/// The rows per (workspace, status) that share its count (migration 9): concurrent writes of one
/// workspace's campaigns lock different rows unless their campaigns share a shard.
const COUNT_SHARDS: i16 = 16;

/// The `campaign_counts` row a create adds one to.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct CountKey {
    pub(super) workspace_id: String,
    pub(super) status: String,
    pub(super) shard: i16,
}

/// The count row of `id`'s campaign, for as long as it exists: its id's last byte mod 16 (the low
/// bits of the ObjectId counter, so consecutive creates spread over every shard; migration 9 computes
/// the same from the id's last hex digit).
fn count_shard(id: CampaignId) -> i16 {
    let [.., last_byte] = id.object_id().bytes();
    i16::from(last_byte) % COUNT_SHARDS
}

/// `INSERT INTO campaign_counts <rows> ON CONFLICT (workspace_id, status, shard) DO UPDATE SET count =
/// campaign_counts.count + excluded.count`: adds each row's count to its (workspace, status, shard).
fn add_to_counts() -> OnConflict {
    OnConflict::columns([
        campaign_count::Column::WorkspaceId,
        campaign_count::Column::Status,
        campaign_count::Column::Shard,
    ])
    .value(
        campaign_count::Column::Count,
        Expr::col((campaign_count::Entity, campaign_count::Column::Count)).add(Expr::col((
            Alias::new("excluded"),
            campaign_count::Column::Count,
        ))),
    )
    .to_owned()
}

/// The `campaign_counts` row `campaign` is counted in.
pub(super) fn count_key(campaign: &Campaign) -> CountKey {
    CountKey {
        workspace_id: campaign.workspace_id().to_string(),
        status: campaign.status().as_str().to_owned(),
        shard: count_shard(campaign.id()),
    }
}

/// One more campaign of `campaign`'s status in its workspace.
pub(super) fn count_inserted(campaign: &Campaign) -> InsertStatement {
    let key = count_key(campaign);
    campaign_count::Entity::insert(count_row(&key, 1))
        .on_conflict(add_to_counts())
        .into_query()
}

/// Adds each count to its row (one upsert, rows in the order given); `None` without counts.
pub(super) fn counts_added<'a>(
    counts: impl IntoIterator<Item = (&'a CountKey, i64)>,
) -> Option<InsertStatement> {
    let mut rows = counts
        .into_iter()
        .map(|(key, count)| count_row(key, count))
        .peekable();
    rows.peek()?;
    Some(
        campaign_count::Entity::insert_many(rows)
            .on_conflict(add_to_counts())
            .into_query(),
    )
}

fn count_row(key: &CountKey, count: i64) -> campaign_count::ActiveModel {
    campaign_count::ActiveModel {
        workspace_id: Set(key.workspace_id.clone()),
        status: Set(key.status.clone()),
        shard: Set(key.shard),
        count: Set(count),
    }
}

/// Moves one campaign in `campaign_counts` from the status stored at `expected` to `campaign`'s, when
/// they differ: rows `(workspace, stored, -1)` and `(workspace, new, +1)` read from the stored row at
/// `expected` (none when the status is unchanged or the row is not at `expected`), and only if
/// `guard` holds. The rows go in status order, so that concurrent writers lock count rows in the
/// same order (PostgreSQL) and cannot deadlock on them.
pub(super) fn count_status_change(
    campaign: &Campaign,
    expected: Version,
    guard: Option<Expr>,
) -> Result<InsertStatement, RepositoryError> {
    let new_status = campaign.status().as_str();
    let shard = count_shard(campaign.id());
    let at_expected = |select: &mut SelectStatement| {
        select
            .from(campaign::Entity)
            .and_where(campaign::Column::Id.eq(campaign.id().to_string()))
            .and_where(campaign::Column::WorkspaceId.eq(campaign.workspace_id().to_string()))
            .and_where(campaign::Column::Version.eq(expected.0))
            .and_where(campaign::Column::Status.ne(new_status));
        if let Some(guard) = guard.clone() {
            select.and_where(guard);
        }
    };
    let mut rows = Query::select();
    rows.column(campaign::Column::WorkspaceId)
        .column(campaign::Column::Status)
        .expr_as(Expr::val(shard), campaign_count::Column::Shard)
        .expr_as(Expr::val(-1_i64), campaign_count::Column::Count);
    at_expected(&mut rows);
    let mut added = Query::select();
    added
        .column(campaign::Column::WorkspaceId)
        .expr(Expr::val(new_status))
        .expr(Expr::val(shard))
        .expr(Expr::val(1_i64));
    at_expected(&mut added);
    rows.union(UnionType::All, added);
    let change = Alias::new("change");
    let mut insert = Query::insert();
    insert
        .into_table(campaign_count::Entity)
        .columns([
            campaign_count::Column::WorkspaceId,
            campaign_count::Column::Status,
            campaign_count::Column::Shard,
            campaign_count::Column::Count,
        ])
        .select_from(
            Query::select()
                .columns([
                    campaign_count::Column::WorkspaceId,
                    campaign_count::Column::Status,
                    campaign_count::Column::Shard,
                    campaign_count::Column::Count,
                ])
                .from_subquery(rows, change)
                .order_by(campaign_count::Column::Status, Order::Asc)
                .to_owned(),
        )
        .map_err(|error| RepositoryError::Unknown(error.into()))?
        .on_conflict(add_to_counts());
    Ok(insert)
}

/// Campaign `id` no longer counted in the status `stored_status` selects (nothing when it selects no
/// row).
pub(super) fn count_removed(
    workspace: &str,
    id: CampaignId,
    stored_status: SelectStatement,
) -> UpdateStatement {
    Query::update()
        .table(campaign_count::Entity)
        .value(
            campaign_count::Column::Count,
            Expr::col(campaign_count::Column::Count).sub(1),
        )
        .and_where(campaign_count::Column::WorkspaceId.eq(workspace))
        .and_where(campaign_count::Column::Status.in_subquery(stored_status))
        .and_where(campaign_count::Column::Shard.eq(count_shard(id)))
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn consecutive_campaigns_count_in_every_shard_and_each_always_in_the_same() {
        let ids: Vec<CampaignId> = (0..u32::from(u8::MAX))
            .map(|counter| CampaignId::from(domain::id::ObjectId::from_parts(7, [1; 5], counter)))
            .collect();
        let shards: std::collections::BTreeSet<i16> =
            ids.iter().copied().map(count_shard).collect();
        assert_eq!(shards, (0..16).collect());
        for id in ids {
            let reparsed = CampaignId::parse(&id.to_string()).expect("an id parses back");
            assert_eq!(count_shard(id), count_shard(reparsed));
        }
    }
}

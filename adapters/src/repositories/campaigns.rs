use application::ports::{
    CampaignPage, CampaignQuery, CampaignRepository, KeyCompletion, RepositoryError, Version,
    VersionPage, VersionedCampaign, WriteOutcome,
};
use std::sync::Arc;

use async_trait::async_trait;
use domain::campaign::{Campaign, StoredCampaign, SubsequenceCounters};
use domain::id::{CampaignId, MailboxId, SubsequenceId, UserId, WorkspaceId};
use domain::listing::fold_case;
use domain::request::{CampaignRequest, StepRequest, SubsequenceRequest, TriggerRequest};
use domain::stats::LeadCounts;
use domain::status::CampaignStatus;
use domain::subsequence::Subsequence;
use sea_orm::sea_query::{
    Alias, Asterisk, CommonTableExpression, DeleteStatement, Expr, ExprTrait, Func,
    InsertStatement, LikeExpr, OnConflict, Order, Query, SelectStatement, UnionType,
    UpdateStatement, WithClause,
};
use sea_orm::{
    ActiveValue::NotSet, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction,
    DbBackend, DbErr, EntityTrait, FromQueryResult, QueryFilter, QueryOrder, QueryResult,
    QuerySelect, QueryTrait, Select, SqlErr, Statement,
};

use super::campaign_group_commit::{CampaignGroupCommit, CampaignInsert, CountKey, MAX_OWNED_ROWS};
use super::idempotency_keys::completions_stored;
use super::owned_rows::{CampaignRows, with_owned_columns};
use super::values::{counter_from_db, counter_to_db, parse_id, stats_from_db, stats_to_db};
use super::version_lookups::VersionLookups;
use crate::database::batch::{insert_all, insert_all_in, sqlite_write_counting, sqlite_write_if};
use crate::database::connect::POSTGRES_HELD_CONNECTIONS;
use crate::database::like::{LIKE_ESCAPE, contains_pattern};
use crate::database::pools::{Backend, Pools, finish};
use crate::entities::{campaign, campaign_count, campaign_mailbox, subsequence};
use crate::error::{OrUnknown, corrupt_row, describe, duplicate_id, repository_error, unknown};
use crate::migrations::m20251202_000008_campaign_versions_indexed::VERSIONED_INDEX;
use crate::storage::{CampaignContent, StepDto};
use crate::time::{from_millis, to_millis};

const TABLE: &str = "campaigns";

/// Mailbox links per INSERT statement (4 parameters each). Campaigns rarely link more; longer lists take
/// several statements, still in the same round trip while the parameters fit (see `batch`).
const LINKS_PER_STATEMENT: usize = 1_000;

/// The name of the PostgreSQL update's CTE holding the bumped campaign row (if any).
const BUMPED: &str = "bumped";

/// The name of the PostgreSQL delete's CTE holding the deleted campaign row (if any).
const GONE: &str = "gone";

pub(crate) struct SqlCampaignRepository {
    pools: Pools,
    /// PostgreSQL: campaign inserts, several to a statement (`None` on SQLite, whose writer queue
    /// takes every insert).
    group_commit: Option<CampaignGroupCommit>,
    /// PostgreSQL: version lookups, several to a statement (`None` on SQLite).
    version_lookups: Option<VersionLookups>,
}

impl SqlCampaignRepository {
    /// The repository on `pools`; on PostgreSQL it starts its batchers, which end with it.
    pub(crate) fn new(pools: Pools) -> Self {
        let postgres = pools.backend == Backend::Postgres;
        Self {
            group_commit: postgres.then(|| {
                CampaignGroupCommit::start(Arc::clone(&pools.writes), POSTGRES_HELD_CONNECTIONS)
            }),
            version_lookups: postgres.then(|| {
                VersionLookups::start(Arc::clone(&pools.reads), POSTGRES_HELD_CONNECTIONS)
            }),
            pools,
        }
    }

    /// A page of the workspace's campaigns matching `query` as `R` (the columns `columns` selects),
    /// with the total and whether more follow.
    ///
    /// Without a search, one statement: the page (`limit + 1` rows, the extra one only telling whether
    /// there are more) and the workspace's `campaign_counts` total beside each row. With a search, one
    /// read-only transaction (one snapshot): the page, then the count of every match unless the first
    /// page holds them all.
    async fn page<R: FromQueryResult + Send + Sync>(
        &self,
        workspace: WorkspaceId,
        query: &CampaignQuery,
        columns: impl FnOnce(Select<campaign::Entity>, Backend) -> Select<campaign::Entity>,
    ) -> Result<(Vec<R>, u64, bool), RepositoryError> {
        let workspace = workspace.to_string();
        let limit = usize::try_from(query.limit.get()).unwrap_or(usize::MAX);
        let page = columns(
            matching(&workspace, query)
                .apply_if(query.before, |select, before| {
                    select.filter(campaign::Column::Id.lt(before.to_string()))
                })
                .order_by_desc(campaign::Column::Id)
                .limit(u64::from(query.limit.get()) + 1),
            self.pools.backend,
        );
        let (mut page, total) = if query.name.is_none() {
            let listed = page
                .expr_as(stored_total(&workspace, query.status), STORED_TOTAL)
                .into_model::<WithStoredTotal<R>>()
                .all(self.pools.reads.as_ref())
                .await
                .or_unknown()?;
            let total = match listed.first().map(|listed| listed.stored_total) {
                Some(total) => u64::try_from(total).unwrap_or(0),
                // An empty page (a cursor past the end) carries no total: read it on its own.
                None => self.stored_total(&workspace, query.status).await?,
            };
            (listed.into_iter().map(|listed| listed.row).collect(), total)
        } else {
            let transaction = self.pools.begin_read().await.or_unknown()?;
            let read = async {
                let page: Vec<R> = page.into_model::<R>().all(&transaction).await?;
                let total = if query.before.is_none() && page.len() <= limit {
                    page.len() as u64
                } else {
                    count_matching(&transaction, &workspace, query).await?
                };
                Ok((page, total))
            }
            .await
            .or_unknown();
            finish(transaction, read, unknown).await?
        };
        let has_more = page.len() > limit;
        page.truncate(limit);
        let total = if query.before.is_none() && !has_more {
            page.len() as u64
        } else {
            total
        };
        Ok((page, total, has_more))
    }

    async fn stored_total(
        &self,
        workspace: &str,
        status: Option<CampaignStatus>,
    ) -> Result<u64, RepositoryError> {
        let backend = DbBackend::from(self.pools.backend);
        let total = self
            .pools
            .read_integer(backend.build(&stored_total_select(workspace, status)))
            .await
            .or_unknown()?;
        Ok(total
            .and_then(|total| u64::try_from(total).ok())
            .unwrap_or(0))
    }

    /// A new campaign's rows, its count and the idempotency key it answers, if any, all or nothing.
    async fn insert_new(
        &self,
        campaign: &Campaign,
        completion: Option<&KeyCompletion>,
    ) -> Result<(), RepositoryError> {
        let mut row = campaign_row(campaign)?;
        row.version = Set(0);
        let owned_rows = campaign.subsequences().len() + campaign.mailboxes().len();
        let written = match &self.group_commit {
            Some(group_commit) if owned_rows <= MAX_OWNED_ROWS => {
                let insert = CampaignInsert {
                    campaign: row,
                    subsequences: subsequence_rows(campaign)?,
                    links: link_rows(campaign, 0, campaign.mailboxes()),
                    count: count_key(campaign),
                    completion: completion.cloned(),
                };
                group_commit.insert(insert).await
            }
            _ => {
                let mut inserts = vec![campaign::Entity::insert(row).into_query()];
                inserts.extend(owned_row_inserts(campaign)?);
                inserts.extend(completions_stored(completion));
                inserts.push(count_inserted(campaign));
                insert_all(&self.pools, inserts).await
            }
        };
        written.map_err(write_error)
    }
}

#[async_trait]
impl CampaignRepository for SqlCampaignRepository {
    /// The campaign row, its subsequences (one multi-row INSERT, when it has any), its mailbox links
    /// (one multi-row INSERT per `LINKS_PER_STATEMENT`, when it has any) and one more campaign of its
    /// status in `campaign_counts` (an upsert), all or nothing: on PostgreSQL through its group commit
    /// (one statement, possibly shared with concurrent creates; see
    /// [`campaign_group_commit`](super::campaign_group_commit)) unless it owns more rows than a batch
    /// takes, else through [`insert_all`] (on SQLite its group commit too).
    async fn insert(&self, campaign: &Campaign) -> Result<(), RepositoryError> {
        self.insert_new(campaign, None).await
    }

    async fn insert_answering(
        &self,
        campaign: &Campaign,
        completion: &KeyCompletion,
    ) -> Result<(), RepositoryError> {
        self.insert_new(campaign, Some(completion)).await
    }

    /// One statement: the campaign row with its subsequences and mailbox ids aggregated into it (see
    /// [`owned_rows`](super::owned_rows)), so it sees one snapshot without a transaction.
    async fn find(
        &self,
        workspace: WorkspaceId,
        id: CampaignId,
    ) -> Result<Option<VersionedCampaign>, RepositoryError> {
        let found = with_owned_columns(
            campaign::Entity::find_by_id(id.to_string())
                .filter(campaign::Column::WorkspaceId.eq(workspace.to_string())),
            self.pools.backend,
        )
        .into_model::<CampaignRows>()
        .one(self.pools.reads.as_ref())
        .await
        .or_unknown()?;
        found.map(restore).transpose()
    }

    /// One statement reading only the version column, on a held connection (one round trip instead
    /// of the query's and the pool's release ping); on PostgreSQL, shared with the concurrent lookups
    /// (see [`version_lookups`](super::version_lookups)).
    async fn version(
        &self,
        workspace: WorkspaceId,
        id: CampaignId,
    ) -> Result<Option<Version>, RepositoryError> {
        let (workspace, id) = (workspace.to_string(), id.to_string());
        let version = match &self.version_lookups {
            Some(lookups) => lookups.version(workspace, id).await,
            // Without stats SQLite's planner prefers the unique (workspace_id, id) index, whose row
            // lookup reads past the content to the last column; the versioned index holds it.
            None => {
                self.pools
                    .read_integer(Statement::from_sql_and_values(
                        DbBackend::Sqlite,
                        format!(
                            "SELECT version FROM campaigns INDEXED BY {VERSIONED_INDEX} \
                             WHERE workspace_id = ? AND id = ?"
                        ),
                        [workspace.into(), id.into()],
                    ))
                    .await
            }
        };
        Ok(version.or_unknown()?.map(Version))
    }

    /// One statement, like [`find`](Self::find) for several ids.
    async fn find_many(
        &self,
        workspace: WorkspaceId,
        ids: &[CampaignId],
    ) -> Result<Vec<VersionedCampaign>, RepositoryError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        with_owned_columns(
            campaign::Entity::find()
                .filter(campaign::Column::WorkspaceId.eq(workspace.to_string()))
                .filter(campaign::Column::Id.is_in(ids.iter().map(ToString::to_string))),
            self.pools.backend,
        )
        .into_model::<CampaignRows>()
        .all(self.pools.reads.as_ref())
        .await
        .or_unknown()?
        .into_iter()
        .map(restore)
        .collect()
    }

    /// [`list`](Self::list)'s statements reading ids and versions only.
    async fn list_versions(
        &self,
        workspace: WorkspaceId,
        query: &CampaignQuery,
    ) -> Result<VersionPage, RepositoryError> {
        let (page, total, has_more) = self
            .page::<IdAndVersion>(workspace, query, |select, _| {
                select
                    .select_only()
                    .column(campaign::Column::Id)
                    .column(campaign::Column::Version)
            })
            .await?;
        Ok(VersionPage {
            entries: page
                .into_iter()
                .map(|row| {
                    parse_id(&row.id, CampaignId::parse, TABLE, &row.id)
                        .map(|id| (id, Version(row.version)))
                })
                .collect::<Result<_, _>>()?,
            total,
            has_more,
        })
    }

    /// See [`page`](SqlCampaignRepository::page): the campaign rows with what they own.
    async fn list(
        &self,
        workspace: WorkspaceId,
        query: &CampaignQuery,
    ) -> Result<CampaignPage, RepositoryError> {
        let (page, total, has_more) = self
            .page::<CampaignRows>(workspace, query, with_owned_columns)
            .await?;
        Ok(CampaignPage {
            campaigns: page
                .into_iter()
                .map(|rows| restore(rows).map(|found| found.campaign))
                .collect::<Result<_, _>>()?,
            total,
            has_more,
        })
    }

    /// One write transaction: the campaign row is updated (version + 1) only at `expected`; only then
    /// are its subsequences and mailbox links deleted and written again, and, when its status changes,
    /// `campaign_counts` moved by one from the stored status to the new one. SQLite: two round trips
    /// on the writer connection ([`sqlite_write_if`]). PostgreSQL: four — `BEGIN`, one statement that
    /// updates the row, moves the count and deletes what it owns when it matched (CTEs) and says
    /// whether it did, one that inserts the new rows, `COMMIT`.
    async fn update(
        &self,
        campaign: &Campaign,
        expected: Version,
    ) -> Result<WriteOutcome, RepositoryError> {
        let bump = bump_statement(campaign, expected)?;
        let deletes = owned_row_deletes(campaign);
        let inserts = owned_row_inserts(campaign)?;
        let written = match self.pools.backend {
            Backend::Sqlite => {
                let sqlite = DbBackend::Sqlite;
                // Before the bump: it reads the stored status at `expected`, which the bump replaces.
                // When stale it matches nothing, and the transaction is rolled back anyway.
                let recount = sqlite.build(&count_status_change(campaign, expected, None)?);
                let then = deletes
                    .iter()
                    .map(|delete| sqlite.build(delete))
                    .chain(inserts.iter().map(|insert| sqlite.build(insert)))
                    .collect();
                sqlite_write_if(&self.pools, vec![recount], sqlite.build(&bump), then).await
            }
            Backend::Postgres => {
                // In a task of its own: a caller dropped half-way cannot leave the transaction (and
                // the campaign row's lock) open until its connection is next used.
                let pools = self.pools.clone();
                let recount = count_status_change(campaign, expected, Some(bumped_exists()))?;
                tokio::spawn(async move {
                    update_postgres(&pools, bump, recount, deletes, &inserts).await
                })
                .await
                .unwrap_or_else(|error| {
                    Err(DbErr::Custom(format!(
                        "the write task ended early: {error}"
                    )))
                })
            }
        }
        .map_err(write_error)?;
        Ok(outcome(written))
    }

    /// The row is deleted only at `expected`, and its subsequences and mailbox links go with it (their
    /// foreign keys cascade); only then is its status counted one less. One round trip: SQLite
    /// `BEGIN IMMEDIATE; <count - 1 guarded by the same condition>; DELETE …; COMMIT;`, PostgreSQL
    /// `WITH gone AS (DELETE … RETURNING status), … AS (UPDATE campaign_counts …) SELECT COUNT(*) FROM
    /// gone`.
    async fn delete(
        &self,
        workspace: WorkspaceId,
        id: CampaignId,
        expected: Version,
    ) -> Result<WriteOutcome, RepositoryError> {
        let workspace = workspace.to_string();
        let mut delete = campaign::Entity::delete_many()
            .filter(campaign::Column::Id.eq(id.to_string()))
            .filter(campaign::Column::WorkspaceId.eq(workspace.clone()))
            .filter(campaign::Column::Version.eq(expected.0))
            .into_query();
        let deleted = match self.pools.backend {
            Backend::Sqlite => {
                // The writer is serialised, so the guarded decrement and the delete see the same row.
                let stored_status = Query::select()
                    .column(campaign::Column::Status)
                    .from(campaign::Entity)
                    .and_where(campaign::Column::Id.eq(id.to_string()))
                    .and_where(campaign::Column::WorkspaceId.eq(workspace.clone()))
                    .and_where(campaign::Column::Version.eq(expected.0))
                    .to_owned();
                let sqlite = DbBackend::Sqlite;
                let changed = sqlite_write_counting(
                    &self.pools,
                    vec![
                        sqlite.build(&count_removed(&workspace, id, stored_status)),
                        sqlite.build(&delete),
                    ],
                )
                .await
                .or_unknown()?;
                changed.get(1).is_some_and(|deleted| *deleted > 0)
            }
            Backend::Postgres => {
                // The decrement reads what the DELETE returned: it counts only a row that was deleted.
                delete.returning_col(campaign::Column::Status);
                let gone_status = Query::select()
                    .column(campaign::Column::Status)
                    .from(Alias::new(GONE))
                    .to_owned();
                let mut with = WithClause::new();
                with.cte(
                    CommonTableExpression::new()
                        .table_name(Alias::new(GONE))
                        .query(delete)
                        .to_owned(),
                );
                with.cte(
                    CommonTableExpression::new()
                        .table_name(Alias::new("counted"))
                        .query(count_removed(&workspace, id, gone_status))
                        .to_owned(),
                );
                let statement = with.query(
                    Query::select()
                        .expr(Func::count(Expr::col(Asterisk)))
                        .from(Alias::new(GONE))
                        .to_owned(),
                );
                let deleted: i64 = self
                    .pools
                    .writer
                    .query_one_raw(DbBackend::Postgres.build(&statement))
                    .await
                    .or_unknown()?
                    .map(|row| row.try_get_by_index(0))
                    .transpose()
                    .or_unknown()?
                    .unwrap_or(0);
                deleted > 0
            }
        };
        Ok(outcome(deleted))
    }
}

fn outcome(written: bool) -> WriteOutcome {
    if written {
        WriteOutcome::Written
    } else {
        WriteOutcome::Stale
    }
}

/// A foreign-key refusal is `ReferenceGone` with a plain message (a mailbox of the list deleted since
/// it was looked up, most likely; the caller looks up again): no SQL reaches the logs' readers or the
/// caller. Unique violations are id clashes.
fn write_error(error: DbErr) -> RepositoryError {
    match error.sql_err() {
        Some(SqlErr::ForeignKeyConstraintViolation(_)) => RepositoryError::ReferenceGone(
            "the campaign names a mailbox, workspace or user that does not exist in its workspace \
             (deleted meanwhile?)"
                .to_owned(),
        ),
        _ => repository_error(error, duplicate_id),
    }
}

/// The workspace's campaigns that match the query's status and name (not its cursor).
fn matching(workspace: &str, query: &CampaignQuery) -> Select<campaign::Entity> {
    campaign::Entity::find()
        .filter(campaign::Column::WorkspaceId.eq(workspace))
        .apply_if(query.status, |select, status| {
            select.filter(campaign::Column::Status.eq(status.as_str()))
        })
        .apply_if(query.name.as_ref(), |select, name| {
            select.filter(
                Expr::col(campaign::Column::NameFolded)
                    .like(LikeExpr::new(contains_pattern(name.folded())).escape(LIKE_ESCAPE)),
            )
        })
}

async fn count_matching(
    transaction: &DatabaseTransaction,
    workspace: &str,
    query: &CampaignQuery,
) -> Result<u64, DbErr> {
    let count: Option<i64> = matching(workspace, query)
        .select_only()
        .expr(Func::count(Expr::col(Asterisk)))
        .into_tuple()
        .one(transaction)
        .await?;
    Ok(count
        .and_then(|count| u64::try_from(count).ok())
        .unwrap_or(0))
}

/// The column of a listed row holding the workspace's stored total.
const STORED_TOTAL: &str = "stored_total";

/// How many campaigns of the workspace have `status` (of any status when `None`), from
/// `campaign_counts` (one row, or the workspace's few), as a scalar subquery.
fn stored_total(workspace: &str, status: Option<CampaignStatus>) -> Expr {
    Expr::SubQuery(
        None,
        Box::new(stored_total_select(workspace, status).into()),
    )
}

fn stored_total_select(workspace: &str, status: Option<CampaignStatus>) -> SelectStatement {
    Query::select()
        // PostgreSQL sums BIGINTs as NUMERIC.
        .expr(Func::cast_as(
            Func::coalesce([
                Func::sum(Expr::col(campaign_count::Column::Count)).into(),
                Expr::val(0i64),
            ]),
            Alias::new("BIGINT"),
        ))
        .from(campaign_count::Entity)
        .and_where(campaign_count::Column::WorkspaceId.eq(workspace))
        .apply_if(status, |select, status| {
            select.and_where(campaign_count::Column::Status.eq(status.as_str()));
        })
        .to_owned()
}

/// A listed row and the stored total read beside it.
struct WithStoredTotal<R> {
    row: R,
    stored_total: i64,
}

impl<R: FromQueryResult> FromQueryResult for WithStoredTotal<R> {
    fn from_query_result(result: &QueryResult, prefix: &str) -> Result<Self, DbErr> {
        Ok(WithStoredTotal {
            row: R::from_query_result(result, prefix)?,
            stored_total: result.try_get(prefix, STORED_TOTAL)?,
        })
    }
}

/// A listed campaign's id and version.
#[derive(FromQueryResult)]
struct IdAndVersion {
    id: String,
    version: i64,
}

/// The rows per (workspace, status) that share its count (migration 9): concurrent writes of one
/// workspace's campaigns lock different rows unless their campaigns share a shard.
const COUNT_SHARDS: i16 = 16;

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
fn count_key(campaign: &Campaign) -> CountKey {
    CountKey {
        workspace_id: campaign.workspace_id().to_string(),
        status: campaign.status().as_str().to_owned(),
        shard: count_shard(campaign.id()),
    }
}

/// One more campaign of `campaign`'s status in its workspace.
fn count_inserted(campaign: &Campaign) -> InsertStatement {
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
fn count_status_change(
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
fn count_removed(
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

/// The campaign the rows hold, re-parsed through the domain's constructors, with its version.
fn restore(rows: CampaignRows) -> Result<VersionedCampaign, RepositoryError> {
    let id = rows.row.id.clone();
    let version = Version(rows.row.version);
    let stored = stored_campaign(rows.row, rows.subsequences, rows.mailboxes)?;
    let campaign = Campaign::restore(stored)
        .map_err(|problems| corrupt_row(TABLE, &id, describe(&problems)))?;
    Ok(VersionedCampaign { campaign, version })
}

/// The INSERTs of what a campaign owns: its subsequences (one statement, when it has any) and its
/// mailbox links (one statement per `LINKS_PER_STATEMENT`, when it has any).
fn owned_row_inserts(campaign: &Campaign) -> Result<Vec<InsertStatement>, RepositoryError> {
    let mut inserts = Vec::new();
    let subsequences = subsequence_rows(campaign)?;
    if !subsequences.is_empty() {
        inserts.push(subsequence::Entity::insert_many(subsequences).into_query());
    }
    for (chunk, mailboxes) in campaign.mailboxes().chunks(LINKS_PER_STATEMENT).enumerate() {
        let links = link_rows(campaign, chunk * LINKS_PER_STATEMENT, mailboxes);
        inserts.push(campaign_mailbox::Entity::insert_many(links).into_query());
    }
    Ok(inserts)
}

/// The campaign's subsequences as rows, in order.
fn subsequence_rows(campaign: &Campaign) -> Result<Vec<subsequence::ActiveModel>, RepositoryError> {
    let id = campaign.id().to_string();
    campaign
        .subsequences()
        .iter()
        .enumerate()
        .map(|(position, subsequence)| subsequence_row(&id, position, subsequence))
        .collect()
}

/// Links of the campaign to `mailboxes`, the first of them at position `first`.
fn link_rows(
    campaign: &Campaign,
    first: usize,
    mailboxes: &[MailboxId],
) -> Vec<campaign_mailbox::ActiveModel> {
    let id = campaign.id().to_string();
    let workspace_id = campaign.workspace_id().to_string();
    mailboxes
        .iter()
        .enumerate()
        .map(|(index, mailbox)| campaign_mailbox::ActiveModel {
            workspace_id: Set(workspace_id.clone()),
            campaign_id: Set(id.clone()),
            position: Set(position_to_db(first + index)),
            mailbox_id: Set(mailbox.to_string()),
        })
        .collect()
}

/// The DELETEs of what a campaign owns: its subsequences, then its mailbox links.
fn owned_row_deletes(campaign: &Campaign) -> [DeleteStatement; 2] {
    let id = campaign.id().to_string();
    [
        subsequence::Entity::delete_many()
            .filter(subsequence::Column::CampaignId.eq(id.clone()))
            .into_query(),
        campaign_mailbox::Entity::delete_many()
            .filter(campaign_mailbox::Column::WorkspaceId.eq(campaign.workspace_id().to_string()))
            .filter(campaign_mailbox::Column::CampaignId.eq(id))
            .into_query(),
    ]
}

/// `UPDATE campaigns SET <every column an update may change>, version = version + 1` for the
/// campaign's row, only at `expected`.
fn bump_statement(
    campaign: &Campaign,
    expected: Version,
) -> Result<UpdateStatement, RepositoryError> {
    let mut row = campaign_row(campaign)?;
    // Never change once created.
    row.id = NotSet;
    row.workspace_id = NotSet;
    row.user_id = NotSet;
    row.created_at_ms = NotSet;
    Ok(campaign::Entity::update_many()
        .set(row)
        .col_expr(
            campaign::Column::Version,
            Expr::col(campaign::Column::Version).add(1),
        )
        .filter(campaign::Column::Id.eq(campaign.id().to_string()))
        .filter(campaign::Column::WorkspaceId.eq(campaign.workspace_id().to_string()))
        .filter(campaign::Column::Version.eq(expected.0))
        .into_query())
}

/// PostgreSQL's update: `BEGIN`; `WITH bumped AS (UPDATE … RETURNING id), counted AS (INSERT INTO
/// campaign_counts … WHERE … AND EXISTS (SELECT 1 FROM bumped)), s0 AS (DELETE … WHERE … AND EXISTS
/// (SELECT 1 FROM bumped)), s1 AS (…) SELECT COUNT(*) FROM bumped`; the INSERTs when it matched;
/// `COMMIT` (or `ROLLBACK` when it did not). The inserts are a statement of their own: the parts of one
/// statement run in no defined order, and kept subsequences are deleted and inserted again under the
/// same ids.
///
/// `counted` (`recount`, guarded by [`bumped_exists`]) reads the stored status at `expected` from the
/// statement's snapshot, from before the bump: the caller read that version before this statement
/// began, so the snapshot holds it whenever the bump matches. Reading `bumped` first makes it take the
/// campaign row's lock before any count row's, the order every campaign write follows.
async fn update_postgres(
    pools: &Pools,
    mut bump: UpdateStatement,
    recount: InsertStatement,
    deletes: [DeleteStatement; 2],
    inserts: &[InsertStatement],
) -> Result<bool, DbErr> {
    bump.returning_col(campaign::Column::Id);
    let bumped_exists = bumped_exists();
    let mut with = WithClause::new();
    with.cte(
        CommonTableExpression::new()
            .table_name(Alias::new(BUMPED))
            .query(bump)
            .to_owned(),
    );
    with.cte(
        CommonTableExpression::new()
            .table_name(Alias::new("counted"))
            .query(recount)
            .to_owned(),
    );
    for (index, mut delete) in deletes.into_iter().enumerate() {
        delete.and_where(bumped_exists.clone());
        with.cte(
            CommonTableExpression::new()
                .table_name(Alias::new(format!("s{index}")))
                .query(delete)
                .to_owned(),
        );
    }
    let guarded_replace = with.query(
        Query::select()
            .expr(Func::count(Expr::col(Asterisk)))
            .from(Alias::new(BUMPED))
            .to_owned(),
    );

    let transaction = pools.begin_write().await?;
    let written = async {
        let changed: i64 = transaction
            .query_one_raw(DbBackend::Postgres.build(&guarded_replace))
            .await?
            .map(|row| row.try_get_by_index(0))
            .transpose()?
            .unwrap_or(0);
        if changed == 0 {
            return Ok(false);
        }
        insert_all_in(&transaction, inserts).await?;
        Ok(true)
    }
    .await;
    if let Ok(false) = written {
        // Stale: nothing was written; end the transaction without a commit.
        transaction.rollback().await?;
        return Ok(false);
    }
    finish(transaction, written, |error| error).await
}

/// `EXISTS (SELECT 1 FROM bumped)`: PostgreSQL's update matched.
fn bumped_exists() -> Expr {
    Expr::exists(
        Query::select()
            .expr(Expr::val(1))
            .from(Alias::new(BUMPED))
            .to_owned(),
    )
}

fn position_to_db(position: usize) -> i32 {
    // Lists are bounded far below i32::MAX (at most 50 subsequences, a few thousand mailboxes).
    i32::try_from(position).unwrap_or(i32::MAX)
}

fn steps_to_json(steps: Vec<StepRequest>) -> Result<serde_json::Value, RepositoryError> {
    let steps: Vec<StepDto> = steps.into_iter().map(StepDto::from).collect();
    serde_json::to_value(steps).map_err(|error| RepositoryError::Unknown(error.into()))
}

/// The campaign's own row: its content in request form (`Campaign::content`) minus what has a place
/// of its own (name columns, subsequence rows, mailbox links). The version is left unset: inserts and
/// updates each write their own.
fn campaign_row(campaign: &Campaign) -> Result<campaign::ActiveModel, RepositoryError> {
    let CampaignRequest {
        sequence,
        schedule,
        settings,
        ..
    } = campaign.content();
    let content = CampaignContent {
        sequence: sequence.map(|steps| steps.into_iter().map(StepDto::from).collect()),
        schedule: schedule.map(Into::into),
        settings: settings.map(Into::into),
    };
    let content =
        serde_json::to_string(&content).map_err(|error| RepositoryError::Unknown(error.into()))?;
    let [
        sent,
        delivered,
        opened,
        clicked,
        replied,
        bounced,
        unsubscribed,
    ] = stats_to_db(campaign.stats())?;
    let LeadCounts { total, active } = campaign.lead_counts();
    let name = campaign.name().as_str();
    Ok(campaign::ActiveModel {
        id: Set(campaign.id().to_string()),
        workspace_id: Set(campaign.workspace_id().to_string()),
        user_id: Set(campaign.user_id().to_string()),
        name: Set(name.to_owned()),
        name_folded: Set(fold_case(name)),
        status: Set(campaign.status().as_str().to_owned()),
        content: Set(content),
        sent: Set(sent),
        delivered: Set(delivered),
        opened: Set(opened),
        clicked: Set(clicked),
        replied: Set(replied),
        bounced: Set(bounced),
        unsubscribed: Set(unsubscribed),
        lead_total: Set(counter_to_db(total)?),
        lead_active: Set(counter_to_db(active)?),
        started_at_ms: Set(campaign.started_at().map(to_millis)),
        completed_at_ms: Set(campaign.completed_at().map(to_millis)),
        created_at_ms: Set(to_millis(campaign.created_at())),
        updated_at_ms: Set(to_millis(campaign.updated_at())),
        version: NotSet,
    })
}

fn subsequence_row(
    campaign_id: &str,
    position: usize,
    subsequence: &Subsequence,
) -> Result<subsequence::ActiveModel, RepositoryError> {
    let trigger = subsequence.trigger();
    let [
        sent,
        delivered,
        opened,
        clicked,
        replied,
        bounced,
        unsubscribed,
    ] = stats_to_db(subsequence.stats())?;
    Ok(subsequence::ActiveModel {
        id: Set(subsequence.id().to_string()),
        campaign_id: Set(campaign_id.to_owned()),
        position: Set(position_to_db(position)),
        name: Set(subsequence.name().to_owned()),
        trigger_type: Set(trigger.trigger_type().as_str().to_owned()),
        trigger_value: Set(trigger.value().map(str::to_owned)),
        enabled: Set(subsequence.enabled()),
        archived: Set(subsequence.archived()),
        sequence: Set(steps_to_json(subsequence.sequence().to_requests())?),
        added_count: Set(counter_to_db(subsequence.added_count())?),
        sent: Set(sent),
        delivered: Set(delivered),
        opened: Set(opened),
        clicked: Set(clicked),
        replied: Set(replied),
        bounced: Set(bounced),
        unsubscribed: Set(unsubscribed),
    })
}

/// The rows, put back into the storage form the domain re-parses.
fn stored_campaign(
    row: campaign::Model,
    subsequence_rows: Vec<subsequence::Model>,
    mailboxes: Vec<String>,
) -> Result<StoredCampaign, RepositoryError> {
    let id = row.id;
    let content: CampaignContent = serde_json::from_str(&row.content)
        .map_err(|error| corrupt_row(TABLE, &id, format!("content: {error}")))?;

    let mut subsequences = Vec::with_capacity(subsequence_rows.len());
    let mut subsequence_counters = Vec::with_capacity(subsequence_rows.len());
    for row in subsequence_rows {
        let (request, counters) = subsequence_from_row(row)?;
        subsequences.push(request);
        subsequence_counters.push(counters);
    }

    Ok(StoredCampaign {
        id: parse_id(&id, CampaignId::parse, TABLE, &id)?,
        workspace_id: parse_id(&row.workspace_id, WorkspaceId::parse, TABLE, &id)?,
        user_id: parse_id(&row.user_id, UserId::parse, TABLE, &id)?,
        status: CampaignStatus::from_wire(&row.status)
            .ok_or_else(|| corrupt_row(TABLE, &id, format!("unknown status {:?}", row.status)))?,
        content: CampaignRequest {
            name: Some(row.name),
            sequence: content
                .sequence
                .map(|steps| steps.into_iter().map(StepRequest::from).collect()),
            subsequences: Some(subsequences),
            schedule: content.schedule.map(Into::into),
            settings: content.settings.map(Into::into),
            mailbox_selectors: Default::default(),
        },
        subsequence_counters,
        mailboxes: mailboxes
            .iter()
            .map(|mailbox| parse_id(mailbox, MailboxId::parse, TABLE, &id))
            .collect::<Result<_, _>>()?,
        stats: stats_from_db(
            [
                row.sent,
                row.delivered,
                row.opened,
                row.clicked,
                row.replied,
                row.bounced,
                row.unsubscribed,
            ],
            TABLE,
            &id,
        )?,
        lead_counts: LeadCounts {
            total: counter_from_db(row.lead_total, TABLE, &id)?,
            active: counter_from_db(row.lead_active, TABLE, &id)?,
        },
        started_at: row
            .started_at_ms
            .map(|millis| from_millis(millis, TABLE, &id))
            .transpose()?,
        completed_at: row
            .completed_at_ms
            .map(|millis| from_millis(millis, TABLE, &id))
            .transpose()?,
        created_at: from_millis(row.created_at_ms, TABLE, &id)?,
        updated_at: from_millis(row.updated_at_ms, TABLE, &id)?,
    })
}

/// A subsequence row in request form (`_id` included) and its counters.
fn subsequence_from_row(
    row: subsequence::Model,
) -> Result<(SubsequenceRequest, SubsequenceCounters), RepositoryError> {
    const TABLE: &str = "subsequences";
    let steps: Vec<StepDto> = serde_json::from_value(row.sequence)
        .map_err(|error| corrupt_row(TABLE, &row.id, format!("sequence: {error}")))?;
    let counters = SubsequenceCounters {
        id: parse_id(&row.id, SubsequenceId::parse, TABLE, &row.id)?,
        added_count: counter_from_db(row.added_count, TABLE, &row.id)?,
        stats: stats_from_db(
            [
                row.sent,
                row.delivered,
                row.opened,
                row.clicked,
                row.replied,
                row.bounced,
                row.unsubscribed,
            ],
            TABLE,
            &row.id,
        )?,
    };
    let request = SubsequenceRequest {
        id: Some(row.id),
        name: Some(row.name),
        trigger: Some(TriggerRequest {
            kind: Some(row.trigger_type),
            value: row.trigger_value,
        }),
        sequence: Some(steps.into_iter().map(StepRequest::from).collect()),
        enabled: Some(row.enabled),
        archived: Some(row.archived),
    };
    Ok((request, counters))
}

#[cfg(all(test, feature = "testing"))]
mod tests {
    use application::ports::IdGenerator;
    use chrono::Utc;
    use domain::campaign::{NewCampaign, Provisions};
    use domain::identity::{User, Workspace, WorkspaceName};
    use domain::request::CampaignRequest;
    use domain::rules::ParseRules;
    use domain::values::{EmailAddress, WebhookHostPolicy};
    use sea_orm::ConnectionTrait;

    use super::*;
    use crate::ObjectIdGenerator;
    use crate::testing::{backends, fresh_database};

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

    #[tokio::test]
    async fn stored_campaign_that_no_longer_parses_is_an_unknown_error_naming_the_row()
    -> anyhow::Result<()> {
        for backend in backends() {
            let database = fresh_database(backend).await?;
            let ids = ObjectIdGenerator;
            let user = User::new(
                ids.new_id().into(),
                EmailAddress::parse("ana@acme.test")
                    .map_err(|invalid| anyhow::anyhow!(invalid.message))?,
                Utc::now(),
            );
            database.identity().insert_user(&user).await?;
            let workspace = Workspace::new(
                ids.new_id().into(),
                WorkspaceName::parse(Some("Acme"))
                    .map_err(|invalid| anyhow::anyhow!(invalid.message))?,
                Utc::now(),
            );
            database
                .identity()
                .insert_workspace(&workspace, user.id())
                .await?;
            let request = CampaignRequest {
                name: Some("Soon corrupt".into()),
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

            // A wait as the first step breaks a rule the domain checks on every read.
            database
                .pools()
                .writer
                .execute_unprepared(&format!(
                    "UPDATE campaigns SET content = '{{\"sequence\": [{{\"type\": \"wait\", \"waitDays\": 1}}]}}' \
                     WHERE id = '{}'",
                    campaign.id()
                ))
                .await?;

            let error = database
                .campaigns()
                .find(workspace.id(), campaign.id())
                .await
                .expect_err("a corrupt row does not read");
            let RepositoryError::Unknown(error) = error else {
                anyhow::bail!("expected Unknown, got {error:?}");
            };
            let message = format!("{error:#}");
            assert!(
                message.contains(&campaign.id().to_string()),
                "{backend:?}: {message}"
            );
            assert!(
                message.contains("corrupt campaigns row"),
                "{backend:?}: {message}"
            );
            assert!(
                !message.to_lowercase().contains("select"),
                "{backend:?}: {message}"
            );
        }
        Ok(())
    }
}

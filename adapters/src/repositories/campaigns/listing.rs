//! Pages of a workspace's campaigns (whole, or only ids and versions) with their total and whether
//! more follow: the total comes from `campaign_counts` without a name search, and is counted in the
//! page's snapshot with one.

use application::ports::{CampaignPage, CampaignQuery, RepositoryError, Version, VersionPage};
use domain::id::{CampaignId, WorkspaceId};
use domain::status::CampaignStatus;
use sea_orm::sea_query::{
    Alias, CommonTableExpression, Expr, ExprTrait, Func, LikeExpr, Order, Query, SelectStatement,
    WithClause,
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, DbBackend, DbErr, EntityTrait,
    FromQueryResult, QueryFilter, QueryOrder, QueryResult, QuerySelect, QueryTrait, Select,
};

use super::owned_rows::{CampaignRows, with_owned_columns};
use super::rows::{TABLE, restore};
use crate::database::counting::count_rows;
use crate::database::like::{LIKE_ESCAPE, contains_pattern};
use crate::database::pools::{Backend, Pools, finish};
use crate::entities::{campaign, campaign_count};
use crate::error::{OrUnknown, unknown};
use crate::repositories::values::parse_id;

/// See [`page`]: the campaign rows with what they own.
pub(super) async fn list(
    pools: &Pools,
    workspace: WorkspaceId,
    query: &CampaignQuery,
) -> Result<CampaignPage, RepositoryError> {
    let (page, total, has_more) =
        page::<CampaignRows>(pools, workspace, query, with_owned_columns).await?;
    Ok(CampaignPage {
        campaigns: page
            .into_iter()
            .map(|rows| restore(rows).map(|found| found.campaign))
            .collect::<Result<_, _>>()?,
        total,
        has_more,
    })
}

/// [`list`]'s statements reading ids and versions only.
pub(super) async fn list_versions(
    pools: &Pools,
    workspace: WorkspaceId,
    query: &CampaignQuery,
) -> Result<VersionPage, RepositoryError> {
    let (page, total, has_more) = page::<IdAndVersion>(pools, workspace, query, |select, _| {
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

/// A page of the workspace's campaigns matching `query` as `R` (the columns `columns` selects),
/// with the total and whether more follow.
///
/// Without a search, one statement: the page (`limit + 1` rows, the extra one only telling whether
/// there are more) and the workspace's `campaign_counts` total beside each row. With a search, one
/// read-only transaction (one snapshot): the page's ids with the total of every match
/// ([`searched_ids_with_total`]), then the page's rows.
async fn page<R: FromQueryResult + Send + Sync>(
    pools: &Pools,
    workspace: WorkspaceId,
    query: &CampaignQuery,
    columns: impl FnOnce(Select<campaign::Entity>, Backend) -> Select<campaign::Entity>,
) -> Result<(Vec<R>, u64, bool), RepositoryError> {
    let workspace = workspace.to_string();
    let limit = usize::try_from(query.limit.get()).unwrap_or(usize::MAX);
    let (mut page, total) = if query.name.is_none() {
        let page = matching(&workspace, query, pools.backend)
            .apply_if(query.before, |select, before| {
                select.filter(campaign::Column::Id.lt(before.to_string()))
            })
            .order_by_desc(campaign::Column::Id)
            .limit(u64::from(query.limit.get()) + 1);
        let listed = columns(page, pools.backend)
            .expr_as(stored_total(&workspace, query.status), STORED_TOTAL)
            .into_model::<WithStoredTotal<R>>()
            .all(pools.reads.as_ref())
            .await
            .or_unknown()?;
        let total = match listed.first().map(|listed| listed.stored_total) {
            Some(total) => u64::try_from(total).unwrap_or(0),
            // An empty page (a cursor past the end) carries no total: read it on its own.
            None => read_stored_total(pools, &workspace, query.status).await?,
        };
        (listed.into_iter().map(|listed| listed.row).collect(), total)
    } else {
        let transaction = pools.begin_read().await.or_unknown()?;
        let read = async {
            let statement = searched_ids_with_total(&workspace, query, pools.backend);
            let rows = transaction.query_all_raw(statement).await?;
            let total = rows
                .first()
                .map(|row| row.try_get::<i64>("", "total"))
                .transpose()?;
            let ids: Vec<String> = rows
                .iter()
                .map(|row| row.try_get::<String>("", "id"))
                .collect::<Result<_, _>>()?;
            let total = match total {
                Some(total) => u64::try_from(total).unwrap_or(0),
                // An empty page past a cursor: the total is still every match's.
                None if query.before.is_some() => {
                    count_matching(&transaction, &workspace, query, pools.backend).await?
                }
                None => 0,
            };
            let page: Vec<R> = if ids.is_empty() {
                Vec::new()
            } else {
                columns(
                    campaign::Entity::find()
                        .filter(campaign::Column::WorkspaceId.eq(workspace.as_str()))
                        .filter(campaign::Column::Id.is_in(ids))
                        .order_by_desc(campaign::Column::Id),
                    pools.backend,
                )
                .into_model::<R>()
                .all(&transaction)
                .await?
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

/// The workspace's stored total on its own (see [`stored_total`]).
async fn read_stored_total(
    pools: &Pools,
    workspace: &str,
    status: Option<CampaignStatus>,
) -> Result<u64, RepositoryError> {
    let backend = DbBackend::from(pools.backend);
    let total = pools
        .read_integer(backend.build(&stored_total_select(workspace, status)))
        .await
        .or_unknown()?;
    Ok(total
        .and_then(|total| u64::try_from(total).ok())
        .unwrap_or(0))
}

/// The workspace's campaigns that match the query's status and name (not its cursor).
///
/// A name search is `name_folded LIKE '%…%'` on every backend: that is what it means. PostgreSQL's
/// planner serves it from the GIN trigram index (migration 16) on its own. On SQLite a search of at
/// least 3 characters also asks `campaign_name_search` (FTS5 trigrams over `name_folded`, the same
/// text) for the campaigns containing it, and writes the workspace and status filters as `+column`,
/// which no index of `campaigns` can serve: the few candidates come from the trigram index by rowid,
/// instead of a walk of every campaign of the workspace. A shorter search has no trigram and reads
/// as before. The LIKE stays in both cases, so the answer is the same whichever index served it.
fn matching(workspace: &str, query: &CampaignQuery, backend: Backend) -> Select<campaign::Entity> {
    let phrase = match backend {
        Backend::Sqlite => query
            .name
            .as_ref()
            .and_then(|name| trigram_phrase(name.folded())),
        Backend::Postgres => None,
    };
    let by_trigrams = phrase.is_some();
    let select = campaign::Entity::find();
    let select = if by_trigrams {
        select.filter(Expr::cust_with_values(
            "+\"campaigns\".\"workspace_id\" = ?",
            [workspace.to_owned()],
        ))
    } else {
        select.filter(campaign::Column::WorkspaceId.eq(workspace))
    };
    select
        .apply_if(query.status, |select, status| {
            if by_trigrams {
                select.filter(Expr::cust_with_values(
                    "+\"campaigns\".\"status\" = ?",
                    [status.as_str()],
                ))
            } else {
                select.filter(campaign::Column::Status.eq(status.as_str()))
            }
        })
        .apply_if(query.name.as_ref(), |select, name| {
            select.filter(
                Expr::col(campaign::Column::NameFolded)
                    .like(LikeExpr::new(contains_pattern(name.folded())).escape(LIKE_ESCAPE)),
            )
        })
        .apply_if(phrase, |select, phrase| {
            select.filter(Expr::cust_with_values(
                "\"campaigns\".\"rowid\" IN (SELECT rowid FROM campaign_name_search \
                 WHERE campaign_name_search MATCH ?)",
                [phrase],
            ))
        })
}

/// A name search: the ids of the page (`limit + 1`, newest first, before the cursor) and the total
/// of every match beside each, in ONE statement. The matches are gathered first (a materialized
/// CTE, which the trigram index serves), then the page taken from them and the total counted over
/// them; the page's rows are read by id afterwards. Each matching row is read once, for its
/// workspace and the `LIKE` check.
///
/// - PostgreSQL: not `… ORDER BY id DESC LIMIT n`, because the planner serves that by walking the
///   workspace's campaigns newest first, expecting to meet `n` matches soon: a search matching
///   1,111 campaigns of 100,000, all of them old, read nearly all of them (p50 93 ms).
/// - SQLite: the page of whole rows sorted every match's row, and the count read them all again:
///   a search matching 11,111 of 100,000 took 55 ms.
fn searched_ids_with_total(
    workspace: &str,
    query: &CampaignQuery,
    backend: Backend,
) -> sea_orm::Statement {
    let matching_ids = matching(workspace, query, backend)
        .select_only()
        .column(campaign::Column::Id)
        .into_query();
    let gathered = CommonTableExpression::new()
        .query(matching_ids)
        .table_name(Alias::new("matching"))
        .materialized(true)
        .to_owned();
    let id = || Expr::col(Alias::new("id"));
    let page = Query::select()
        .expr_as(id(), Alias::new("id"))
        .expr_as(
            Expr::cust("(SELECT COUNT(*) FROM matching)"),
            Alias::new("total"),
        )
        .from(Alias::new("matching"))
        .apply_if(query.before, |select, before| {
            select.and_where(id().lt(before.to_string()));
        })
        .order_by_expr(id(), Order::Desc)
        .limit(u64::from(query.limit.get()) + 1)
        .to_owned();
    DbBackend::from(backend).build(&page.with(WithClause::new().cte(gathered).to_owned()))
}

/// The FTS5 query finding `folded` anywhere in a name: one phrase (its `"` doubled, everything
/// else literal), which the trigram tokenizer reads as a substring. `None` below 3 characters: no
/// trigram to look up.
fn trigram_phrase(folded: &str) -> Option<String> {
    (folded.chars().count() >= 3).then(|| format!("\"{}\"", folded.replace('"', "\"\"")))
}

async fn count_matching(
    transaction: &DatabaseTransaction,
    workspace: &str,
    query: &CampaignQuery,
    backend: Backend,
) -> Result<u64, DbErr> {
    count_rows(matching(workspace, query, backend), transaction).await
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

#[cfg(all(test, feature = "testing"))]
mod tests {
    use domain::listing::NameSearch;
    use sea_orm::{ConnectionTrait, Statement};

    use super::*;
    use crate::testing::{TestBackend, fresh_database};

    /// SQLite's plan of a page of a name search, one line per step.
    async fn sqlite_plan(search: &str) -> anyhow::Result<Vec<String>> {
        let database = fresh_database(TestBackend::Sqlite).await?;
        let query = CampaignQuery {
            name: NameSearch::parse(Some(search)).map_err(|bad| anyhow::anyhow!(bad.message))?,
            ..CampaignQuery::default()
        };
        let built = DbBackend::Sqlite.build(
            &matching(&"0".repeat(24), &query, Backend::Sqlite)
                .order_by_desc(campaign::Column::Id)
                .limit(26)
                .into_query(),
        );
        let rows = database
            .pools()
            .reader
            .query_all_raw(Statement::from_sql_and_values(
                DbBackend::Sqlite,
                format!("EXPLAIN QUERY PLAN {}", built.sql),
                built.values.map(|values| values.0).unwrap_or_default(),
            ))
            .await?;
        rows.iter()
            .map(|row| row.try_get::<String>("", "detail").map_err(Into::into))
            .collect()
    }

    #[tokio::test]
    async fn a_name_search_of_3_characters_or_more_reads_campaigns_through_the_trigram_index()
    -> anyhow::Result<()> {
        let plan = sqlite_plan("makers #42").await?;
        let text = plan.join("\n");
        assert!(text.contains("campaign_name_search"), "{text}");
        assert!(
            !plan.iter().any(|step| step.starts_with("SCAN campaigns")),
            "{text}"
        );
        Ok(())
    }
}

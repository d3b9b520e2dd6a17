//! The statements of a lead list: its page and its count, written as SQL for the backend at hand.
//!
//! The search is served by an index, not a scan, when it has at least 3 characters (a trigram):
//! - SQLite: the FTS5 trigram table `leads_search` drives the query (`leads_search CROSS JOIN leads`
//!   keeps the planner from walking the workspace's rows instead), queried with the search as one
//!   phrase (a trigram phrase is a substring match, case-folded).
//! - PostgreSQL: `search_folded LIKE '%…%'` on the `pg_trgm` GIN index.
//!
//! Either way the page and the total are read together ([`searched_page_with_total`]; on SQLite,
//! a search matching many leads by [`dense_page_with_total`]), and the row's
//! `search_folded LIKE '%…%'` is checked too, so the answer is exactly the domain's rule whatever
//! the index returns. A search of 1 or 2 characters has no trigram: it is the `LIKE` alone on the
//! workspace's rows, walked newest first by `(workspace_id, id)` — the page stops at its last row,
//! the count reads every row of the workspace (bounded by the workspace's size, not the table's).

use application::ports::LeadQuery;
use sea_orm::{DbBackend, Statement, Value};

use crate::database::like::{LIKE_ESCAPE, contains_pattern};
use crate::database::sql::Sql;

/// The columns of `lead::Model`, from `leads`.
pub(super) const COLUMNS: &str = "leads.id, leads.workspace_id, leads.email, leads.email_key, \
    leads.first_name, leads.last_name, leads.company_name, leads.job_title, leads.phone, \
    leads.linkedin_url, leads.website, leads.city, leads.state, leads.country, leads.timezone, \
    leads.tags, leads.custom_fields, leads.search_folded, leads.created_at_ms, leads.updated_at_ms";

/// The fewest characters a trigram index can serve.
const TRIGRAM: usize = 3;

/// The page: `limit` rows newest first (the caller asks one more than it shows).
pub(super) fn page(
    backend: DbBackend,
    workspace: &str,
    query: &LeadQuery,
    limit: u64,
) -> Statement {
    let select = Sql::of(backend, &format!("SELECT {COLUMNS}"), []);
    let mut sql = matching(backend, select, workspace, query);
    if let Some(before) = query.before {
        sql.push(" AND leads.id < ?", [before.to_string().into()]);
    }
    sql.push(" ORDER BY leads.id DESC LIMIT ?", [(limit as i64).into()]);
    sql.build()
}

/// SQLite: the most matches the first statement of a search gathers (and one more, to tell that
/// there are more). A search matching more is answered by [`dense_page_with_total`].
const SQLITE_GATHERED: u64 = 2_000;

/// A search of [`TRIGRAM`] characters or more: the page (`limit` rows newest first) and the total,
/// in ONE statement whose rows are the page's, each with a `total` column (no row when the page is
/// empty). The matching ids are gathered first, as a materialized CTE that the trigram index
/// serves, then the page is taken from them and the total counted over them.
///
/// PostgreSQL: written so, not as `… ORDER BY id DESC LIMIT n`, because the planner may serve that
/// by walking the primary key backwards and testing every row, hoping to meet `n` matches soon:
/// with a generic plan it cannot know how rare the search is, and a search matching a handful of a
/// million rows then reads them all. Here the matches are found through the index whatever the
/// plan, and counted in the same pass: a page is never worse than its count, which a page with more
/// to follow needs anyway.
///
/// SQLite: one pass over the matches instead of two (a page sorting every matching row, then a
/// count), and the sort carries `(seq, id)` only. At most [`SQLITE_GATHERED`] + 1 matches are
/// gathered: when the `total` is larger than [`SQLITE_GATHERED`] the page and the total are not the
/// answer, and [`needs_dense_statement`] says so.
pub(super) fn searched_page_with_total(
    backend: DbBackend,
    workspace: &str,
    query: &LeadQuery,
    limit: u64,
) -> Option<Statement> {
    let search = query.search.as_ref()?.folded();
    if search.chars().count() < TRIGRAM {
        return None;
    }
    // PostgreSQL's leads are keyed by `id`; SQLite's by `seq` (the FTS table's rowid).
    let (gathered, key, keys) = match backend {
        DbBackend::Postgres => (None, "id", "id"),
        _ => (Some(SQLITE_GATHERED + 1), "seq", "seq, id"),
    };
    let select = match backend {
        DbBackend::Postgres => "WITH matching AS MATERIALIZED (SELECT leads.id",
        _ => "WITH matching AS MATERIALIZED (SELECT leads.seq, leads.id",
    };
    let mut sql = matching(backend, Sql::of(backend, select, []), workspace, query);
    if let Some(gathered) = gathered {
        sql.push(" LIMIT ?", [(gathered as i64).into()]);
    }
    sql.push(&format!("), page AS (SELECT {keys} FROM matching"), []);
    if let Some(before) = query.before {
        sql.push(" WHERE id < ?", [before.to_string().into()]);
    }
    sql.push(
        &format!(
            " ORDER BY id DESC LIMIT ?) SELECT {COLUMNS}, (SELECT COUNT(*) FROM matching) AS total \
             FROM page JOIN leads ON leads.{key} = page.{key} ORDER BY leads.id DESC"
        ),
        [(limit as i64).into()],
    );
    Some(sql.build())
}

/// Whether the answer of [`searched_page_with_total`] (its `total` column; `None` when it returned
/// no row) is not the whole answer and [`dense_page_with_total`] must be read instead: on SQLite,
/// when the search matched more than [`SQLITE_GATHERED`] leads, or matched none that precedes the
/// cursor among those gathered.
pub(super) fn needs_dense_statement(
    backend: DbBackend,
    query: &LeadQuery,
    total: Option<i64>,
) -> bool {
    if backend == DbBackend::Postgres {
        return false;
    }
    match total {
        Some(total) => u64::try_from(total).is_ok_and(|total| total > SQLITE_GATHERED),
        None => query.before.is_some(),
    }
}

/// SQLite, a search of [`TRIGRAM`] characters or more that matches many leads: the page and the
/// total in ONE pass over the matches, with rows shaped as [`searched_page_with_total`]'s.
///
/// Ordering every match by `id` to keep the newest `limit` costs more than finding them (a sorter
/// insertion per match: the matches come from the FTS table in `seq` order, which is also, nearly,
/// the order of their ids, the worst order for keeping the largest). Instead:
/// 1. `recent`: the `limit` matches (before the cursor) of the largest `seq`, read backwards from
///    the FTS table, which stops after them. Their smallest `id` is a floor: at least `limit`
///    matches have an id at or above it, so the `limit` newest matches all do.
/// 2. `tally`: one pass over every match, counting them all (the total) and keeping the `seq` of
///    those at or above the floor (and before the cursor) in a JSON array: about `limit` of them
///    while `seq` and `id` orders agree, more when they do not (still exact, only slower).
/// 3. The page: those few, newest first.
///
/// No row when the page is empty.
pub(super) fn dense_page_with_total(
    backend: DbBackend,
    workspace: &str,
    query: &LeadQuery,
    limit: u64,
) -> Statement {
    let before = |sql: &mut Sql| {
        if let Some(before) = query.before {
            sql.push(" AND leads.id < ?", [before.to_string().into()]);
        }
    };
    let start = Sql::of(backend, "WITH recent AS (SELECT leads.id AS id", []);
    let mut sql = matching(backend, start, workspace, query);
    before(&mut sql);
    sql.push(
        " ORDER BY leads_search.rowid DESC LIMIT ?), tally AS (SELECT COUNT(*) AS total, \
         json_group_array(leads.seq) FILTER (WHERE leads.id >= (SELECT MIN(id) FROM recent)",
        [(limit as i64).into()],
    );
    before(&mut sql);
    sql.push(") AS near", []);
    let mut sql = matching(backend, sql, workspace, query);
    sql.push(
        &format!(
            ") SELECT {COLUMNS}, tally.total AS total FROM tally, json_each(tally.near) AS near \
             CROSS JOIN leads ON leads.seq = near.value ORDER BY leads.id DESC LIMIT ?"
        ),
        [(limit as i64).into()],
    );
    sql.build()
}

/// The count of every lead the filters match (the cursor aside).
pub(super) fn count(backend: DbBackend, workspace: &str, query: &LeadQuery) -> Statement {
    matching(
        backend,
        Sql::of(backend, "SELECT COUNT(*)", []),
        workspace,
        query,
    )
    .build()
}

/// `sql` (a select list) followed by the `FROM … WHERE …` of the leads that `query`'s filters match.
fn matching(backend: DbBackend, mut sql: Sql, workspace: &str, query: &LeadQuery) -> Sql {
    let search = query.search.as_ref().map(|search| search.folded());
    let indexed =
        search.filter(|text| backend == DbBackend::Sqlite && text.chars().count() >= TRIGRAM);
    match indexed {
        Some(text) => sql.push(
            " FROM leads_search CROSS JOIN leads ON leads.seq = leads_search.rowid \
              WHERE leads_search MATCH ? AND leads.workspace_id = ?",
            [phrase(text).into(), workspace.into()],
        ),
        None => sql.push(
            " FROM leads WHERE leads.workspace_id = ?",
            [workspace.into()],
        ),
    }
    if let Some(text) = search {
        sql.push(
            &format!(" AND leads.search_folded LIKE ? ESCAPE '{LIKE_ESCAPE}'"),
            [contains_pattern(text).into()],
        );
    }
    if let Some(campaign) = query.campaign {
        // Served by the unique index of main-sequence enrolments, (campaign_id, lead_id).
        sql.push(
            " AND leads.id IN (SELECT lead_id FROM enrolments WHERE workspace_id = ? \
             AND campaign_id = ? AND subsequence_id IS NULL)",
            [workspace.into(), campaign.to_string().into()],
        );
    }
    if let Some(tags) = &query.tags {
        let tags = tags.folded_tags();
        let marks = vec!["?"; tags.len()].join(", ");
        let mut values: Vec<Value> = vec![workspace.into()];
        values.extend(tags.iter().map(|tag| Value::from(tag.as_str())));
        sql.push(
            &format!(
                " AND leads.id IN (SELECT lead_id FROM lead_tags \
                 WHERE workspace_id = ? AND tag_key IN ({marks}))"
            ),
            values,
        );
    }
    sql
}

/// An FTS5 query matching `text` as one phrase: quoted, its quotes doubled.
fn phrase(text: &str) -> String {
    format!("\"{}\"", text.replace('"', "\"\""))
}

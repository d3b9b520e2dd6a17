//! The statements of a lead list: its page and its count, written as SQL for the backend at hand.
//!
//! The search is served by an index, not a scan, when it has at least 3 characters (a trigram):
//! - SQLite: the FTS5 trigram table `leads_search` drives the query (`leads_search CROSS JOIN leads`
//!   keeps the planner from walking the workspace's rows instead), queried with the search as one
//!   phrase (a trigram phrase is a substring match, case-folded).
//! - PostgreSQL: `search_folded LIKE '%…%'` on the `pg_trgm` GIN index, the page and the total read
//!   in one statement from the matching ids ([`searched_page_with_total`]).
//!
//! Either way the row's `search_folded LIKE '%…%'` is checked too, so the answer is exactly the
//! domain's rule whatever the index returns. A search of 1 or 2 characters has no trigram: it is the
//! `LIKE` alone on the workspace's rows, walked newest first by `(workspace_id, id)` — the page stops
//! at its last row, the count reads every row of the workspace (bounded by the workspace's size, not
//! the table's).

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
    let mut sql = matching(backend, &format!("SELECT {COLUMNS}"), workspace, query);
    if let Some(before) = query.before {
        sql.push(" AND leads.id < ?", [before.to_string().into()]);
    }
    sql.push(" ORDER BY leads.id DESC LIMIT ?", [(limit as i64).into()]);
    sql.build()
}

/// PostgreSQL, a search of [`TRIGRAM`] characters or more: the page (`limit` rows newest first) and
/// the total, in ONE statement whose rows are the page's, each with a `total` column (no row when
/// the page is empty). The matching ids are gathered first, as a materialized CTE that the trigram
/// index serves, then the page is taken from them and the total counted over them.
///
/// Written so, not as `… ORDER BY id DESC LIMIT n`, because the planner may serve that by walking
/// the primary key backwards and testing every row, hoping to meet `n` matches soon: with a
/// generic plan it cannot know how rare the search is, and a search matching a handful of a million
/// rows then reads them all. Here the matches are found through the index whatever the plan, and
/// counted in the same pass: a page is never worse than its count, which a page with more to
/// follow needs anyway.
pub(super) fn searched_page_with_total(
    backend: DbBackend,
    workspace: &str,
    query: &LeadQuery,
    limit: u64,
) -> Option<Statement> {
    let search = query.search.as_ref()?.folded();
    if backend != DbBackend::Postgres || search.chars().count() < TRIGRAM {
        return None;
    }
    let mut sql = matching(
        backend,
        "WITH matching AS MATERIALIZED (SELECT leads.id",
        workspace,
        query,
    );
    sql.push("), page AS (SELECT id FROM matching", []);
    if let Some(before) = query.before {
        sql.push(" WHERE id < ?", [before.to_string().into()]);
    }
    sql.push(
        &format!(
            " ORDER BY id DESC LIMIT ?) SELECT {COLUMNS}, (SELECT COUNT(*) FROM matching) AS total \
             FROM page JOIN leads ON leads.id = page.id ORDER BY leads.id DESC"
        ),
        [(limit as i64).into()],
    );
    Some(sql.build())
}

/// The count of every lead the filters match (the cursor aside).
pub(super) fn count(backend: DbBackend, workspace: &str, query: &LeadQuery) -> Statement {
    matching(backend, "SELECT COUNT(*)", workspace, query).build()
}

fn matching(backend: DbBackend, select: &str, workspace: &str, query: &LeadQuery) -> Sql {
    let search = query.search.as_ref().map(|search| search.folded());
    let indexed =
        search.filter(|text| backend == DbBackend::Sqlite && text.chars().count() >= TRIGRAM);
    let mut sql = Sql::of(backend, select, []);
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

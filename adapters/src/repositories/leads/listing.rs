//! The statements of a lead list: its page and its count, written as SQL for the backend at hand.
//!
//! The search is served by an index, not a scan, when it has at least 3 characters (a trigram):
//! - SQLite: the FTS5 trigram table `leads_search` drives the query (`leads_search CROSS JOIN leads`
//!   keeps the planner from walking the workspace's rows instead), queried with the search as one
//!   phrase (a trigram phrase is a substring match, case-folded).
//! - PostgreSQL: `search_folded LIKE '%…%'` on the `pg_trgm` GIN index.
//!
//! Either way the row's `search_folded LIKE '%…%'` is checked too, so the answer is exactly the
//! domain's rule whatever the index returns. A search of 1 or 2 characters has no trigram: it is the
//! `LIKE` alone on the workspace's rows, walked newest first by `(workspace_id, id)` — the page stops
//! at its last row, the count reads every row of the workspace (bounded by the workspace's size, not
//! the table's).

use application::ports::LeadQuery;
use sea_orm::{DbBackend, Statement, Value};

use crate::database::like::{LIKE_ESCAPE, contains_pattern};

/// The columns of `lead::Model`, from `leads`.
const COLUMNS: &str = "leads.id, leads.workspace_id, leads.email, leads.email_key, \
    leads.first_name, leads.last_name, leads.company_name, leads.job_title, leads.phone, \
    leads.linkedin_url, leads.website, leads.city, leads.state, leads.country, leads.timezone, \
    leads.tags, leads.custom_fields, leads.search_folded, leads.created_at_ms, leads.updated_at_ms";

/// The fewest characters a trigram index can serve.
const TRIGRAM: usize = 3;

/// SQL being written, with its parameters numbered for the backend.
struct Sql {
    backend: DbBackend,
    text: String,
    values: Vec<Value>,
}

impl Sql {
    fn new(backend: DbBackend, text: &str) -> Self {
        Self {
            backend,
            text: text.to_owned(),
            values: Vec::new(),
        }
    }

    /// Appends `text`, each `?` in it bound to the next of `values`.
    fn push(&mut self, text: &str, values: impl IntoIterator<Item = Value>) {
        let mut values = values.into_iter();
        for (index, part) in text.split('?').enumerate() {
            if index > 0 {
                self.values
                    .push(values.next().unwrap_or(Value::String(None)));
                match self.backend {
                    DbBackend::Postgres => self.text.push_str(&format!("${}", self.values.len())),
                    _ => self.text.push('?'),
                }
            }
            self.text.push_str(part);
        }
    }

    fn build(self) -> Statement {
        Statement::from_sql_and_values(self.backend, self.text, self.values)
    }
}

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

/// The count of every lead the filters match (the cursor aside).
pub(super) fn count(backend: DbBackend, workspace: &str, query: &LeadQuery) -> Statement {
    matching(backend, "SELECT COUNT(*)", workspace, query).build()
}

fn matching(backend: DbBackend, select: &str, workspace: &str, query: &LeadQuery) -> Sql {
    let search = query.search.as_ref().map(|search| search.folded());
    let indexed =
        search.filter(|text| backend == DbBackend::Sqlite && text.chars().count() >= TRIGRAM);
    let mut sql = Sql::new(backend, select);
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

/// PostgreSQL: the workspace's leads whose email key is one of `keys`, as a join with the keys as a
/// `VALUES` list. An `IN ($2, $3, …)` list of parameters is compared row by row (PostgreSQL hashes
/// only a list of constants), and a table just filled has no statistics yet to steer the planner to
/// the unique index: 5,000 keys over 100,000 leads took seconds. The join is hashed, or driven by the
/// index, either way in time linear in the sizes. (SQLite keeps its `IN` list, which it indexes.)
pub(super) fn by_email_keys_postgres(workspace: &str, keys: &[String]) -> Statement {
    let mut sql = Sql::new(
        DbBackend::Postgres,
        &format!("SELECT {COLUMNS} FROM leads JOIN (VALUES "),
    );
    for (index, key) in keys.iter().enumerate() {
        let separator = if index == 0 { "" } else { ", " };
        sql.push(&format!("{separator}(?)"), [Value::from(key.as_str())]);
    }
    sql.push(
        ") AS wanted (email_key) ON leads.email_key = wanted.email_key WHERE leads.workspace_id = ?",
        [workspace.into()],
    );
    sql.build()
}

/// An FTS5 query matching `text` as one phrase: quoted, its quotes doubled.
fn phrase(text: &str) -> String {
    format!("\"{}\"", text.replace('"', "\"\""))
}

//! The mailbox lookups of concurrent creates and updates ([`Batched`]), each distinct lookup asked
//! once for all the callers waiting with it.
//!
//! Every create that selects mailboxes runs one lookup. On PostgreSQL its statement cost about a third
//! of the database's CPU per create (executor start-up and sending the rows) and the server one round
//! trip; on SQLite the hop to a reader thread, building the statement and converting the rows were
//! ~11% of the server's CPU per create. Scripts that create many campaigns tend to send the same
//! selectors into the same workspace one after another, so a batch of waiting lookups holds few
//! distinct ones; the rest share an answer. Each answer comes from a statement that starts after its
//! caller asked, so no caller sees the directory as it was before its request (a join onto a
//! statement already running could).
//!
//! Distinct lookups of one batch stay a statement each, run side by side: batching different selectors
//! into one statement was tried and gave PostgreSQL a generic plan that scanned the whole workspace.
//! Two batches at most are in flight, so that under load lookups wait long enough to meet their
//! duplicates: in the PostgreSQL create benchmark 0.28 statements per create with one batch in
//! flight, 0.48 with two, 0.76 with four, against one per create without batching.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use sea_orm::sea_query::extension::postgres::PgFunc;
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{ColumnTrait, Condition, DbErr, EntityTrait, QueryFilter, QuerySelect};
use tokio::task::{JoinError, JoinSet};

use crate::database::batched::Batched;
use crate::database::held_connections::HeldConnections;
use crate::database::pools::Backend;
use crate::entities::{mailbox, mailbox_tag};

/// Lookups taken from the queue at once at most.
const MAX_BATCH: usize = 64;
/// Batches in flight at most (see above).
const IN_FLIGHT: usize = 2;

/// One lookup as the query sees it: the workspace and the selectors, folded as stored.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) struct CandidateQuery {
    pub(super) workspace: String,
    pub(super) ids: BTreeSet<String>,
    pub(super) emails: BTreeSet<String>,
    pub(super) tags: BTreeSet<String>,
    pub(super) provider: Option<String>,
}

/// A matching mailbox's id, address, provider and tags, as stored.
pub(super) type CandidateRow = (String, String, String, serde_json::Value);

/// Rows shared by every caller that asked the same lookup.
pub(super) type SharedRows = Arc<Vec<CandidateRow>>;

#[derive(Clone)]
pub(super) struct MailboxLookups {
    batched: Batched<CandidateQuery, Result<SharedRows, DbErr>>,
}

impl MailboxLookups {
    /// Starts answering lookups through `reads`.
    pub(super) fn start(reads: Arc<HeldConnections>, backend: Backend) -> Self {
        let batched = Batched::start("mailbox lookups", MAX_BATCH, IN_FLIGHT, move |batch| {
            let reads = Arc::clone(&reads);
            async move { answer(&reads, backend, batch).await }
        });
        Self { batched }
    }

    /// The rows matching `query`, possibly shared with other callers that asked the same.
    pub(super) async fn rows(&self, query: CandidateQuery) -> Result<SharedRows, DbErr> {
        self.batched.ask(query).await?
    }
}

/// Runs each distinct lookup of `batch` once (several side by side, on connections of their own; a
/// lone one, the usual case, in place) and gives every request its answer.
async fn answer(
    reads: &Arc<HeldConnections>,
    backend: Backend,
    batch: Vec<CandidateQuery>,
) -> Vec<Result<SharedRows, DbErr>> {
    let mut distinct: Vec<&CandidateQuery> = Vec::new();
    for query in &batch {
        if !distinct.contains(&query) {
            distinct.push(query);
        }
    }
    let mut answered = HashMap::with_capacity(distinct.len());
    if let [query] = distinct[..] {
        let rows = candidate_rows(reads, backend, query).await;
        answered.insert(query.clone(), rows.map(Arc::new));
    } else {
        let mut running = JoinSet::new();
        for query in distinct {
            let (reads, query) = (Arc::clone(reads), query.clone());
            running.spawn(async move {
                let rows = candidate_rows(&reads, backend, &query).await;
                (query, rows.map(Arc::new))
            });
        }
        while let Some(done) = running.join_next().await {
            match done {
                Ok((query, rows)) => {
                    answered.insert(query, rows);
                }
                Err(stopped) => return stopped_answers(batch.len(), &stopped),
            }
        }
    }
    batch
        .iter()
        .map(|query| {
            answered.get(query).cloned().unwrap_or_else(|| {
                Err(DbErr::Custom("a mailbox lookup went unanswered".to_owned()))
            })
        })
        .collect()
}

/// The mailboxes of the workspace that `query` selects, in one statement: each selector is a branch of
/// an `OR`, each branch repeating the workspace so that it can use its own index (primary key,
/// (workspace_id, email_lower), (workspace_id, provider), the tag index) instead of a scan of the whole
/// workspace. No selector, no statement.
async fn candidate_rows(
    reads: &HeldConnections,
    backend: Backend,
    query: &CandidateQuery,
) -> Result<Vec<CandidateRow>, DbErr> {
    let in_workspace = || mailbox::Column::WorkspaceId.eq(query.workspace.clone());
    let mut any = Condition::any();
    if !query.ids.is_empty() {
        any = any.add(in_workspace().and(mailbox::Column::Id.is_in(query.ids.clone())));
    }
    if !query.emails.is_empty() {
        any = any.add(in_workspace().and(mailbox::Column::EmailLower.is_in(query.emails.clone())));
    }
    if !query.tags.is_empty() {
        let tagged = Query::select()
            .column(mailbox_tag::Column::MailboxId)
            .from(mailbox_tag::Entity)
            .and_where(mailbox_tag::Column::WorkspaceId.eq(query.workspace.clone()))
            .and_where(mailbox_tag::Column::TagLower.is_in(query.tags.clone()))
            .to_owned();
        let tagged = match backend {
            // SQLite plans `IN (subquery)` as one more branch of its multi-index OR.
            Backend::Sqlite => mailbox::Column::Id.in_subquery(tagged),
            // PostgreSQL cannot turn `IN (subquery)` under an OR into an index scan and falls back
            // to scanning the workspace; `= ANY(ARRAY(subquery))` runs the subquery once and keeps
            // every branch on an index (a BitmapOr).
            Backend::Postgres => Expr::col((mailbox::Entity, mailbox::Column::Id)).eq(PgFunc::any(
                Expr::cust_with_expr("ARRAY $1", Expr::SubQuery(None, Box::new(tagged.into()))),
            )),
        };
        any = any.add(in_workspace().and(tagged));
    }
    if let Some(provider) = &query.provider {
        any = any.add(in_workspace().and(mailbox::Column::Provider.eq(provider.as_str())));
    }
    if any.is_empty() {
        return Ok(Vec::new());
    }
    mailbox::Entity::find()
        .select_only()
        .columns([
            mailbox::Column::Id,
            mailbox::Column::Email,
            mailbox::Column::Provider,
            mailbox::Column::Tags,
        ])
        .filter(any)
        .into_tuple()
        .all(reads)
        .await
}

/// Every request's answer when a lookup's task stopped without one (it panicked).
fn stopped_answers(requests: usize, stopped: &JoinError) -> Vec<Result<SharedRows, DbErr>> {
    let error = DbErr::Custom(format!("a mailbox lookup stopped: {stopped}"));
    vec![Err(error); requests]
}

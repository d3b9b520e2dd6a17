//! PostgreSQL's group commit for campaign inserts: the creates of concurrent requests written several
//! to a statement ([`Batched`], up to [`MAX_BATCH`] a statement).
//!
//! A create on its own is one statement (the campaign, its subsequences, its mailbox links and its
//! count, see [`batch`](crate::database::batch)), and most of what it costs PostgreSQL is the statement rather
//! than its rows: the round trip, binding, starting and finishing the executor, and the commit (a WAL
//! flush). One statement is atomic: all of a batch is written or none. If it fails, one of them is at
//! fault (a mailbox deleted meanwhile, say), and each is written again in a statement of its own, so
//! each caller gets its own answer and no create is lost or written twice.
//!
//! The batch's rows go into one INSERT per table (campaigns, subsequences, mailbox links), not a pair
//! of INSERTs per create: PostgreSQL starts an executor node per INSERT, and with a CTE per create
//! starting them was ~7% of all its CPU in the create benchmark.
//!
//! The count rows are the one thing creates share: a statement cannot upsert one row twice, so the
//! batch adds up its creates' counts per row first (one upsert row each, in key order, so concurrent
//! statements lock count rows in the same order).

use std::collections::BTreeMap;
use std::sync::Arc;

use application::ports::KeyCompletion;
use sea_orm::{ConnectionTrait, DbErr, EntityTrait, QueryTrait};

use super::counts::{CountKey, counts_added};
use crate::database::batch::postgres_statement;
use crate::database::batched::Batched;
use crate::database::driver::{POSTGRES_MAX_PARAMETERS, parameters};
use crate::database::held_connections::HeldConnections;
use crate::entities::{campaign, campaign_mailbox, subsequence};
use crate::repositories::idempotency_keys::completions_stored;

/// Creates written in one statement at most.
const MAX_BATCH: usize = 32;
/// Rows (subsequences and mailbox links) a create may own to be batched: with the campaign row's 21
/// columns the widest, a full batch stays within PostgreSQL's 65,535 parameters. A create owning more
/// is written alone.
pub(super) const MAX_OWNED_ROWS: usize = 64;

/// One create: its rows, and the count row it adds one to.
pub(super) struct CampaignInsert {
    pub(super) campaign: campaign::ActiveModel,
    pub(super) subsequences: Vec<subsequence::ActiveModel>,
    pub(super) links: Vec<campaign_mailbox::ActiveModel>,
    pub(super) count: CountKey,
    /// The idempotency key the create answers, completed in the same statement.
    pub(super) completion: Option<KeyCompletion>,
}

#[derive(Clone)]
pub(super) struct CampaignGroupCommit {
    batched: Batched<CampaignInsert, Result<(), DbErr>>,
}

impl CampaignGroupCommit {
    /// Starts writing creates through `writes`, `concurrency` statements at a time.
    pub(super) fn start(writes: Arc<HeldConnections>, concurrency: usize) -> Self {
        let batched = Batched::start("campaign writes", MAX_BATCH, concurrency, move |batch| {
            let writes = Arc::clone(&writes);
            async move { write_batch(&writes, batch).await }
        });
        Self { batched }
    }

    /// Writes `insert` all or nothing, possibly in one statement with other callers' creates.
    pub(super) async fn insert(&self, insert: CampaignInsert) -> Result<(), DbErr> {
        self.batched.ask(insert).await?
    }
}

/// Writes the batch in one statement; if that fails, each create in one of its own.
async fn write_batch(
    writes: &HeldConnections,
    batch: Vec<CampaignInsert>,
) -> Vec<Result<(), DbErr>> {
    if batch.len() > 1 {
        let written = match statement(&batch) {
            Some(statement) if parameters(&statement) <= POSTGRES_MAX_PARAMETERS => {
                writes.execute_raw(statement).await.is_ok()
            }
            _ => false,
        };
        if written {
            return batch.iter().map(|_| Ok(())).collect();
        }
    }
    let mut answers = Vec::with_capacity(batch.len());
    for insert in &batch {
        answers.push(match statement(std::slice::from_ref(insert)) {
            Some(statement) => writes.execute_raw(statement).await.map(drop),
            None => Ok(()),
        });
    }
    answers
}

/// The creates as one statement (see `batch::postgres_statement`): one INSERT per table for the rows
/// of every create, one upsert completing the idempotency keys they answer, then one upsert adding up
/// their counts per row.
fn statement(inserts: &[CampaignInsert]) -> Option<sea_orm::Statement> {
    let mut counts = BTreeMap::<&CountKey, i64>::new();
    for insert in inserts {
        *counts.entry(&insert.count).or_default() += 1;
    }
    let campaigns = inserts.iter().map(|insert| insert.campaign.clone());
    let mut statements = vec![campaign::Entity::insert_many(campaigns).into_query()];
    let subsequences: Vec<_> = inserts
        .iter()
        .flat_map(|insert| insert.subsequences.iter().cloned())
        .collect();
    if !subsequences.is_empty() {
        statements.push(subsequence::Entity::insert_many(subsequences).into_query());
    }
    let links: Vec<_> = inserts
        .iter()
        .flat_map(|insert| insert.links.iter().cloned())
        .collect();
    if !links.is_empty() {
        statements.push(campaign_mailbox::Entity::insert_many(links).into_query());
    }
    statements.extend(completions_stored(
        inserts
            .iter()
            .filter_map(|insert| insert.completion.as_ref()),
    ));
    statements.push(counts_added(counts)?);
    postgres_statement(&statements)
}

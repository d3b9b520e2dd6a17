//! The group commit for campaign inserts: the creates of concurrent requests written several to a
//! unit ([`Batched`], up to [`MAX_BATCH`] a unit) — on PostgreSQL one statement, on SQLite one
//! transaction of the writer queue (see [`batch`](crate::database::batch)).
//!
//! A create on its own is one unit too (the campaign, its subsequences, its mailbox links and its
//! count), and most of what it costs is the unit rather than its rows: on PostgreSQL the round trip,
//! binding, starting and finishing the executor, and the commit (a WAL flush). A unit is atomic: all of
//! a batch is written or none. If it fails, one of them is at fault (a mailbox deleted meanwhile, say),
//! and each is written again in a unit of its own, so each caller gets its own answer and no create is
//! lost or written twice.
//!
//! The batch's rows go into one INSERT per table (campaigns, subsequences, mailbox links), not a pair
//! of INSERTs per create: PostgreSQL starts an executor node per INSERT, and with a CTE per create
//! starting them was ~7% of all its CPU in the create benchmark. On SQLite, the campaign name search
//! index (FTS5, kept by a trigger) writes what it holds to disk as a new segment at the start of every
//! statement that opens a savepoint; with a statement per create that was a segment (and its merges)
//! per create, ~16 µs of the writer's CPU each; with all the campaign rows in one statement it is one
//! segment per batch.
//!
//! The count rows are the one thing creates share: a statement cannot upsert one row twice, so the
//! batch adds up its creates' counts per row first (one upsert row each, in key order, so concurrent
//! statements lock count rows in the same order).

use std::collections::BTreeMap;

use application::ports::KeyCompletion;
use sea_orm::sea_query::InsertStatement;
use sea_orm::{DbErr, EntityTrait, QueryTrait};

use super::counts::{CountKey, counts_added};
use crate::database::batch::insert_all;
use crate::database::batched::Batched;
use crate::database::pools::Pools;
use crate::entities::{campaign, campaign_mailbox, subsequence};
use crate::repositories::idempotency_keys::completions_stored;

/// Creates written in one unit at most.
const MAX_BATCH: usize = 32;
/// Rows (subsequences and mailbox links) a create may own to be batched: with the campaign row's 21
/// columns the widest, a full batch stays within PostgreSQL's 65,535 parameters. A create owning more
/// is written alone. (SQLite takes 32,766: a batch past that goes statement by statement through
/// [`insert_all`], and if one statement alone is past it, each create is written alone.)
pub(super) const MAX_OWNED_ROWS: usize = 64;

/// One create: its rows, and the count row it adds one to.
pub(super) struct CampaignInsert {
    pub(super) campaign: campaign::ActiveModel,
    pub(super) subsequences: Vec<subsequence::ActiveModel>,
    pub(super) links: Vec<campaign_mailbox::ActiveModel>,
    pub(super) count: CountKey,
    /// The idempotency key the create answers, completed in the same unit.
    pub(super) completion: Option<KeyCompletion>,
}

#[derive(Clone)]
pub(super) struct CampaignGroupCommit {
    batched: Batched<CampaignInsert, Result<(), DbErr>>,
}

impl CampaignGroupCommit {
    /// Starts writing creates to `pools`, `concurrency` units at a time.
    pub(super) fn start(pools: Pools, concurrency: usize) -> Self {
        let batched = Batched::start("campaign writes", MAX_BATCH, concurrency, move |batch| {
            let pools = pools.clone();
            async move { write_batch(&pools, batch).await }
        });
        Self { batched }
    }

    /// Writes `insert` all or nothing, possibly in one unit with other callers' creates.
    pub(super) async fn insert(&self, insert: CampaignInsert) -> Result<(), DbErr> {
        self.batched.ask(insert).await?
    }
}

/// Writes the batch as one unit; if that fails, each create in one of its own.
async fn write_batch(pools: &Pools, batch: Vec<CampaignInsert>) -> Vec<Result<(), DbErr>> {
    if batch.len() > 1 && write(pools, &batch).await.is_ok() {
        return batch.iter().map(|_| Ok(())).collect();
    }
    let mut answers = Vec::with_capacity(batch.len());
    for insert in &batch {
        answers.push(write(pools, std::slice::from_ref(insert)).await);
    }
    answers
}

/// Writes the creates all or nothing ([`insert_all`]): one INSERT per table for the rows of every
/// create, one upsert completing the idempotency keys they answer, then one upsert adding up their
/// counts per row.
async fn write(pools: &Pools, inserts: &[CampaignInsert]) -> Result<(), DbErr> {
    let mut counts = BTreeMap::<&CountKey, i64>::new();
    for insert in inserts {
        *counts.entry(&insert.count).or_default() += 1;
    }
    let Some(counted) = counts_added(counts) else {
        return Ok(());
    };
    let campaigns = inserts.iter().map(|insert| insert.campaign.clone());
    let mut statements: Vec<InsertStatement> =
        vec![campaign::Entity::insert_many(campaigns).into_query()];
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
    statements.push(counted);
    insert_all(pools, statements).await
}

//! PostgreSQL's group commit for campaign inserts: the creates of concurrent requests, written
//! several to a statement.
//!
//! A create on its own is one statement (the campaign, its subsequences, its mailbox links and its
//! count, see [`batch`](super::batch)), and most of what it costs PostgreSQL is the statement rather
//! than its rows: waking the backend, binding, starting and finishing the executor, and committing
//! (a WAL flush). Here one task takes every create waiting (up to [`MAX_BATCH`]) and writes them as
//! ONE statement on a held connection, with up to `concurrency` statements in flight while new creates
//! gather for the next; a lone create is sent at once. One statement is atomic: all of the batch is
//! written or none. If it fails, one of them is at fault (a mailbox deleted meanwhile, say), and each
//! is written again in a statement of its own, so each caller gets its own answer and no create is
//! lost or written twice. The task runs apart from the callers, so a caller that gives up cannot cut
//! a write short.
//!
//! The count rows are the one thing creates share: a statement cannot upsert one row twice, so the
//! batch adds up its creates' counts per row first (one upsert row each, in key order, so concurrent
//! statements lock count rows in the same order).

use std::collections::BTreeMap;
use std::sync::Arc;

use sea_orm::sea_query::InsertStatement;
use sea_orm::{ConnectionTrait, DbErr};
use tokio::sync::{Semaphore, mpsc, oneshot};

use super::batch::{POSTGRES_MAX_PARAMETERS, parameters, postgres_statement};
use super::campaigns::counts_added;
use super::held_connections::HeldConnections;

/// Creates written in one statement at most.
const MAX_BATCH: usize = 32;
/// Creates waiting at most; more wait to be queued.
const QUEUE: usize = 1024;
/// Rows (subsequences and mailbox links) a create may own to be batched: with the campaign row's 21
/// columns the widest, a full batch stays within PostgreSQL's 65,535 parameters. A create owning more
/// is written alone.
pub(crate) const MAX_OWNED_ROWS: usize = 64;

/// The `campaign_counts` row a create adds one to.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct CountKey {
    pub(crate) workspace_id: String,
    pub(crate) status: String,
    pub(crate) shard: i16,
}

/// One create: its INSERTs but the count's, and the count row it adds one to.
pub(crate) struct CampaignInsert {
    pub(crate) inserts: Vec<InsertStatement>,
    pub(crate) count: CountKey,
}

struct Queued {
    insert: CampaignInsert,
    done: oneshot::Sender<Result<(), DbErr>>,
}

/// The sending end of the queue; the writing task ends when every clone is dropped.
#[derive(Clone)]
pub(crate) struct CampaignGroupCommit {
    queue: mpsc::Sender<Queued>,
}

impl CampaignGroupCommit {
    /// Starts the task writing the queue through `writes`, `concurrency` statements at a time.
    pub(crate) fn start(writes: Arc<HeldConnections>, concurrency: usize) -> Self {
        let (queue, waiting) = mpsc::channel(QUEUE);
        tokio::spawn(write_queue(writes, concurrency.max(1), waiting));
        Self { queue }
    }

    /// Writes `insert` all or nothing, possibly in one statement with other callers' creates.
    pub(crate) async fn insert(&self, insert: CampaignInsert) -> Result<(), DbErr> {
        let (done, answer) = oneshot::channel();
        self.queue
            .send(Queued { insert, done })
            .await
            .map_err(|_| DbErr::Custom("the campaign writer has stopped".to_owned()))?;
        answer
            .await
            .map_err(|_| DbErr::Custom("the campaign writer stopped before answering".to_owned()))?
    }
}

async fn write_queue(
    writes: Arc<HeldConnections>,
    concurrency: usize,
    mut waiting: mpsc::Receiver<Queued>,
) {
    let in_flight = Arc::new(Semaphore::new(concurrency));
    loop {
        // Wait for a free statement first, so creates keep gathering while every one is busy.
        let Ok(permit) = Arc::clone(&in_flight).acquire_owned().await else {
            return;
        };
        let mut batch = Vec::with_capacity(MAX_BATCH);
        if waiting.recv_many(&mut batch, MAX_BATCH).await == 0 {
            return;
        }
        let writes = Arc::clone(&writes);
        tokio::spawn(async move {
            write_batch(&writes, batch).await;
            drop(permit);
        });
    }
}

/// Writes the batch in one statement; if that fails, each create in one of its own.
async fn write_batch(writes: &HeldConnections, batch: Vec<Queued>) {
    if batch.len() > 1 {
        let written = match statement(batch.iter().map(|queued| &queued.insert)) {
            Some(statement) if parameters(&statement) <= POSTGRES_MAX_PARAMETERS => {
                writes.execute_raw(statement).await.is_ok()
            }
            _ => false,
        };
        if written {
            for queued in batch {
                // A caller that gave up no longer listens; its create is written all the same.
                let _ = queued.done.send(Ok(()));
            }
            return;
        }
    }
    for queued in batch {
        let written = match statement(std::iter::once(&queued.insert)) {
            Some(statement) => writes.execute_raw(statement).await.map(drop),
            None => Ok(()),
        };
        let _ = queued.done.send(written);
    }
}

/// The creates as one statement (see `batch::postgres_statement`): every INSERT of every create, then
/// one upsert adding up their counts per row.
fn statement<'a>(inserts: impl Iterator<Item = &'a CampaignInsert>) -> Option<sea_orm::Statement> {
    let mut counts = BTreeMap::<&CountKey, i64>::new();
    let mut statements = Vec::new();
    for insert in inserts {
        statements.extend(&insert.inserts);
        *counts.entry(&insert.count).or_default() += 1;
    }
    let counted = counts_added(counts)?;
    postgres_statement(statements.into_iter().chain(std::iter::once(&counted)))
}

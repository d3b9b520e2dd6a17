//! PostgreSQL: the version lookups of concurrent reads, answered several to a statement.
//!
//! Every read that can answer a kept rendering first asks for the campaign's stored version. One
//! statement per lookup made a get mostly the cost of its round trip: sending to PostgreSQL wakes its
//! backend process, its answer wakes the server again (about two thirds of the server's CPU per get,
//! and most of PostgreSQL's). Here one task takes every lookup waiting (up to [`MAX_BATCH`]) and asks
//! for all of them in one statement on a held connection, with up to `concurrency` statements in
//! flight: while they are, new lookups gather for the next. A lone lookup is sent at once; under load
//! the batches grow by themselves, with no timer anywhere.
//!
//! SQLite keeps one statement per lookup: there a lookup is a hop to a reader thread, not a network
//! round trip, and its gets already run at the target.

use std::collections::HashMap;
use std::sync::Arc;

use sea_orm::{ConnectionTrait, DbBackend, DbErr, Statement};
use tokio::sync::{Semaphore, mpsc, oneshot};

use super::held_connections::HeldConnections;

/// Lookups asked in one statement at most.
const MAX_BATCH: usize = 64;
/// Lookups waiting at most; more wait to be queued.
const QUEUE: usize = 1024;

/// The asked `(workspace_id, id)` pairs arrive as two comma-separated lists (ids are hex, never a
/// comma) and are joined on the workspace-scoped index, so a campaign of another workspace is never
/// found, and the version comes from the index alone.
const LOOKUP: &str = "SELECT c.workspace_id, c.id, c.version \
     FROM unnest(string_to_array($1, ','), string_to_array($2, ',')) AS asked(workspace_id, id) \
     JOIN campaigns c ON c.workspace_id = asked.workspace_id AND c.id = asked.id";

struct Lookup {
    workspace: String,
    id: String,
    answer: oneshot::Sender<Result<Option<i64>, DbErr>>,
}

/// The sending end of the queue; the answering task ends when every clone is dropped.
#[derive(Clone)]
pub(crate) struct VersionLookups {
    queue: mpsc::Sender<Lookup>,
}

impl VersionLookups {
    /// Starts the task answering lookups through `reads`, `concurrency` statements at a time.
    pub(crate) fn start(reads: Arc<HeldConnections>, concurrency: usize) -> Self {
        let (queue, waiting) = mpsc::channel(QUEUE);
        tokio::spawn(answer_queue(reads, concurrency.max(1), waiting));
        Self { queue }
    }

    /// The stored version of campaign `id` in `workspace`; `None` if it has none there.
    pub(crate) async fn version(
        &self,
        workspace: String,
        id: String,
    ) -> Result<Option<i64>, DbErr> {
        let (answer, answered) = oneshot::channel();
        let stopped = || DbErr::Custom("the version lookups have stopped".to_owned());
        self.queue
            .send(Lookup {
                workspace,
                id,
                answer,
            })
            .await
            .map_err(|_| stopped())?;
        answered.await.map_err(|_| stopped())?
    }
}

async fn answer_queue(
    reads: Arc<HeldConnections>,
    concurrency: usize,
    mut waiting: mpsc::Receiver<Lookup>,
) {
    let in_flight = Arc::new(Semaphore::new(concurrency));
    loop {
        // Wait for a free statement first, so lookups keep gathering while every one is busy.
        let Ok(permit) = Arc::clone(&in_flight).acquire_owned().await else {
            return;
        };
        let mut batch = Vec::with_capacity(MAX_BATCH);
        if waiting.recv_many(&mut batch, MAX_BATCH).await == 0 {
            return;
        }
        let reads = Arc::clone(&reads);
        tokio::spawn(async move {
            answer(&reads, batch).await;
            drop(permit);
        });
    }
}

/// Asks for every lookup of `batch` in one statement and answers each (an error goes to all).
async fn answer(reads: &HeldConnections, batch: Vec<Lookup>) {
    let join = |part: fn(&Lookup) -> &str| batch.iter().map(part).collect::<Vec<_>>().join(",");
    let statement = Statement::from_sql_and_values(
        DbBackend::Postgres,
        LOOKUP,
        [
            join(|lookup| &lookup.workspace).into(),
            join(|lookup| &lookup.id).into(),
        ],
    );
    let found = reads.query_all_raw(statement).await.and_then(|rows| {
        rows.into_iter()
            .map(|row| {
                let key = (row.try_get_by_index(0)?, row.try_get_by_index(1)?);
                Ok((key, row.try_get_by_index::<i64>(2)?))
            })
            .collect::<Result<HashMap<(String, String), i64>, DbErr>>()
    });
    for lookup in batch {
        let answer = match &found {
            Ok(found) => Ok(found.get(&(lookup.workspace, lookup.id)).copied()),
            Err(error) => Err(error.clone()),
        };
        // A caller that gave up no longer listens.
        let _ = lookup.answer.send(answer);
    }
}

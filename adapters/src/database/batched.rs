//! Requests of concurrent callers answered several at a time: the shape SQLite's group commit and
//! PostgreSQL's version lookups and campaign group commit share.
//!
//! Most of what a small statement costs is the statement itself rather than its rows: on PostgreSQL
//! the round trip (sending wakes the backend process, its answer wakes the server again), binding,
//! executor start-up and, for a write, the commit; on SQLite the hand-off to the one writer and its
//! commit. Here one task takes every request waiting (up to
//! `max_batch`) and hands them to `answer` as one batch, with up to `concurrency` batches in flight;
//! while they are, new requests gather for the next. A lone request goes at once; under load the
//! batches grow by themselves, with no timer anywhere. Batches run in tasks of their own, so a caller
//! that gives up cannot cut one short.

use std::future::Future;
use std::sync::Arc;

use sea_orm::DbErr;
use tokio::sync::{Semaphore, mpsc, oneshot};

/// Requests waiting at most; more wait to be queued.
const QUEUE: usize = 1024;

type Waiting<Q, A> = (Q, oneshot::Sender<A>);

/// The sending end of the queue; the answering task ends when every clone is dropped.
pub(crate) struct Batched<Q, A> {
    queue: mpsc::Sender<Waiting<Q, A>>,
    name: &'static str,
}

impl<Q, A> Clone for Batched<Q, A> {
    fn clone(&self) -> Self {
        Self {
            queue: self.queue.clone(),
            name: self.name,
        }
    }
}

impl<Q: Send + 'static, A: Send + 'static> Batched<Q, A> {
    /// Starts the task answering requests with `answer`, which gets a batch and must give one answer
    /// per request, in their order. `name` says what stopped in the error of a caller left unanswered.
    pub(crate) fn start<F, Fut>(
        name: &'static str,
        max_batch: usize,
        concurrency: usize,
        answer: F,
    ) -> Self
    where
        F: Fn(Vec<Q>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Vec<A>> + Send + 'static,
    {
        let (queue, waiting) = mpsc::channel(QUEUE);
        tokio::spawn(answer_queue(
            waiting,
            max_batch.max(1),
            concurrency.max(1),
            answer,
        ));
        Self { queue, name }
    }

    /// `request`'s answer, possibly given in one batch with other callers' requests.
    pub(crate) async fn ask(&self, request: Q) -> Result<A, DbErr> {
        let stopped = || DbErr::Custom(format!("the {} have stopped", self.name));
        let (answer, answered) = oneshot::channel();
        self.queue
            .send((request, answer))
            .await
            .map_err(|_| stopped())?;
        answered.await.map_err(|_| stopped())
    }
}

async fn answer_queue<Q, A, F, Fut>(
    mut waiting: mpsc::Receiver<Waiting<Q, A>>,
    max_batch: usize,
    concurrency: usize,
    answer: F,
) where
    Q: Send + 'static,
    A: Send + 'static,
    F: Fn(Vec<Q>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Vec<A>> + Send + 'static,
{
    let in_flight = Arc::new(Semaphore::new(concurrency));
    loop {
        // Wait for a free batch first, so requests keep gathering while every one is busy.
        let Ok(permit) = Arc::clone(&in_flight).acquire_owned().await else {
            return;
        };
        let mut batch = Vec::with_capacity(max_batch);
        if waiting.recv_many(&mut batch, max_batch).await == 0 {
            return;
        }
        let (requests, callers): (Vec<Q>, Vec<oneshot::Sender<A>>) = batch.into_iter().unzip();
        let answering = answer(requests);
        tokio::spawn(async move {
            for (caller, answer) in callers.into_iter().zip(answering.await) {
                // A caller that gave up no longer listens.
                let _ = caller.send(answer);
            }
            drop(permit);
        });
    }
}

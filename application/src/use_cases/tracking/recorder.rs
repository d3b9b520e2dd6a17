//! The recorder of opens and clicks (SENDING.md sections 3 and 9): a hit is handed to a bounded
//! queue and answered at once; one writer takes every hit waiting (up to a batch) and records them
//! with one [`TrackingRepository::record_hits`] call, so that a burst of hits is one transaction
//! instead of one each.
//!
//! The queue is bounded: when the writer falls behind, a hit waits for its place (backpressure on
//! the request), never an unbounded buffer. A batch that fails is logged and dropped, never retried:
//! opens and clicks are analytics, and a database that refuses a batch would likely refuse it again.
//! A crash loses what is queued; a stop ([`HitRecorder::close`]) writes it first.

use std::sync::Arc;

use crate::ports::{TrackedHit, TrackingRepository};

/// Hits the queue holds by default: about a second of SENDING.md's 20,000 a second.
pub const DEFAULT_QUEUE_CAPACITY: usize = 16_384;
/// Hits one batch records at most by default.
pub const DEFAULT_BATCH_LIMIT: usize = 2_000;

/// Where the routes hand their hits; cheap to clone.
#[derive(Debug, Clone)]
pub struct HitRecorder {
    queue: async_channel::Sender<TrackedHit>,
}

/// What records the queued hits: run it ([`HitWriter::run`]) on a task of its own.
pub struct HitWriter {
    tracking: Arc<dyn TrackingRepository>,
    queue: async_channel::Receiver<TrackedHit>,
    batch_limit: usize,
}

impl std::fmt::Debug for HitWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HitWriter")
            .field("batch_limit", &self.batch_limit)
            .finish_non_exhaustive()
    }
}

/// A recorder and its writer: a queue of `capacity` hits, recorded into `tracking` up to
/// `batch_limit` at a time (both at least 1).
pub fn hit_recorder(
    tracking: Arc<dyn TrackingRepository>,
    capacity: usize,
    batch_limit: usize,
) -> (HitRecorder, HitWriter) {
    let (sender, receiver) = async_channel::bounded(capacity.max(1));
    (
        HitRecorder { queue: sender },
        HitWriter {
            tracking,
            queue: receiver,
            batch_limit: batch_limit.max(1),
        },
    )
}

impl HitRecorder {
    /// Queues `hit`, waiting for a place while the queue is full. Once the recorder is closed the
    /// hit is dropped (only while the server stops: the routes answer as if it was recorded).
    pub async fn record(&self, hit: TrackedHit) {
        if self.queue.send(hit).await.is_err() {
            tracing::debug!("a tracking hit arrived after the recorder was closed: dropped");
        }
    }

    /// Stops taking hits (for every clone): the writer records what is queued, then ends. For the
    /// server's stop, once its requests are done.
    pub fn close(&self) {
        self.queue.close();
    }
}

impl HitWriter {
    /// Records batches of what is queued until the recorder is closed (or every [`HitRecorder`] is
    /// gone) and the queue is empty. A failed batch is logged and dropped; the next one is tried all
    /// the same.
    pub async fn run(self) {
        let mut batch = Vec::with_capacity(self.batch_limit);
        // `recv` still answers what was queued before a close, then fails.
        while let Ok(first) = self.queue.recv().await {
            batch.push(first);
            while batch.len() < self.batch_limit {
                match self.queue.try_recv() {
                    Ok(hit) => batch.push(hit),
                    Err(_) => break,
                }
            }
            self.write(&batch).await;
            batch.clear();
        }
    }

    async fn write(&self, batch: &[TrackedHit]) {
        if let Err(error) = self.tracking.record_hits(batch).await {
            tracing::warn!(
                error = %format!("{error:#}"),
                hits = batch.len(),
                "recording a batch of tracking hits failed: the batch is dropped"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use chrono::DateTime;
    use domain::id::ObjectId;
    use mockall::Sequence;

    use super::*;
    use crate::ports::{HitKind, MockTrackingRepository, RepositoryError, TrackingHit};

    fn hit(n: u32) -> TrackedHit {
        TrackedHit {
            hit: TrackingHit {
                send: ObjectId::from_parts(1_765_000_000, [9; 5], n),
                event: ObjectId::from_parts(1_765_000_001, [1; 5], n),
                at: DateTime::from_timestamp(1_765_000_100 + i64::from(n), 0).expect("a time"),
            },
            kind: HitKind::Open,
        }
    }

    fn hits(numbers: impl IntoIterator<Item = u32>) -> Vec<TrackedHit> {
        numbers.into_iter().map(hit).collect()
    }

    /// Runs `writer` to its end, failing the test if it does not end within 5 s.
    async fn run_to_end(writer: HitWriter) {
        tokio::time::timeout(Duration::from_secs(5), writer.run())
            .await
            .expect("the writer ends");
    }

    #[tokio::test]
    async fn the_hits_waiting_are_recorded_in_one_batch_in_arrival_order() {
        let mut tracking = MockTrackingRepository::new();
        tracking
            .expect_record_hits()
            .withf(|batch| batch == hits(1..=5).as_slice())
            .times(1)
            .returning(|_| Ok(()));
        let (recorder, writer) = hit_recorder(Arc::new(tracking), 16, 100);
        for n in 1..=5 {
            recorder.record(hit(n)).await;
        }
        // Every recorder gone: the writer records what is queued and ends.
        drop(recorder);
        run_to_end(writer).await;
    }

    #[tokio::test]
    async fn a_batch_is_at_most_the_limit_and_a_failed_batch_does_not_stop_the_next() {
        let mut tracking = MockTrackingRepository::new();
        let mut order = Sequence::new();
        tracking
            .expect_record_hits()
            .withf(|batch| batch == hits(1..=2).as_slice())
            .times(1)
            .in_sequence(&mut order)
            .returning(|_| {
                Err(RepositoryError::Unknown(anyhow::anyhow!(
                    "the database is gone"
                )))
            });
        tracking
            .expect_record_hits()
            .withf(|batch| batch == hits(3..=4).as_slice())
            .times(1)
            .in_sequence(&mut order)
            .returning(|_| Ok(()));
        let (recorder, writer) = hit_recorder(Arc::new(tracking), 16, 2);
        for n in 1..=4 {
            recorder.record(hit(n)).await;
        }
        drop(recorder);
        run_to_end(writer).await;
    }

    #[tokio::test]
    async fn a_close_records_what_is_queued_then_drops_later_hits_without_waiting() {
        let mut tracking = MockTrackingRepository::new();
        tracking
            .expect_record_hits()
            .withf(|batch| batch == hits(1..=3).as_slice())
            .times(1)
            .returning(|_| Ok(()));
        let (recorder, writer) = hit_recorder(Arc::new(tracking), 16, 100);
        for n in 1..=3 {
            recorder.record(hit(n)).await;
        }
        // A recorder is still held (a request in flight): closing alone ends the writer.
        recorder.close();
        run_to_end(writer).await;
        tokio::time::timeout(Duration::from_secs(1), recorder.record(hit(4)))
            .await
            .expect("a hit after the stop is dropped at once");
    }

    #[tokio::test]
    async fn a_full_queue_makes_the_next_hit_wait_for_its_place_and_loses_none() {
        let recorded = Arc::new(std::sync::Mutex::new(Vec::new()));
        let mut tracking = MockTrackingRepository::new();
        let into = recorded.clone();
        tracking.expect_record_hits().returning(move |batch| {
            into.lock().expect("not poisoned").extend_from_slice(batch);
            Ok(())
        });
        let (recorder, writer) = hit_recorder(Arc::new(tracking), 1, 100);
        recorder.record(hit(1)).await;
        let waited =
            tokio::time::timeout(Duration::from_millis(100), recorder.record(hit(2))).await;
        assert!(waited.is_err(), "a hit waits while the queue is full");
        let second = tokio::spawn(async move { recorder.record(hit(2)).await });
        let writer = tokio::spawn(writer.run());
        second.await.expect("the hit is queued once there is room");
        tokio::time::timeout(Duration::from_secs(5), writer)
            .await
            .expect("the writer ends")
            .expect("the writer does not panic");
        assert_eq!(*recorded.lock().expect("not poisoned"), hits(1..=2));
    }
}

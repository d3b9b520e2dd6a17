//! Per-client rate limits over fixed windows, counted by each instance and shared through the database.
//!
//! An instance decides each request at once, from memory: no database round trip on the request path.
//! Every sync ([`RateLimiter::sync`], run every 100 ms by the server) adds what it counted since the
//! last one to the shared window counts and learns each window's count across every instance. A
//! client's allowance is its window's shared count as last synced plus what this instance admitted
//! since: exact with one instance; with several, over by at most what the others admitted since their
//! last sync.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::ports::{Clock, RateLimitBucket, RateLimitWindows, RepositoryError, WindowAddition};

/// How many requests a client may make per window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    pub requests: u64,
    pub window: Duration,
}

/// What a request learns of its client's window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimitStatus {
    /// Whether the request may run (it is counted only if so).
    pub admitted: bool,
    /// The window's allowance.
    pub limit: u64,
    /// What is left of it after this request.
    pub remaining: u64,
    /// Whole seconds until the window ends and the allowance is whole again (at least 1).
    pub reset_after_seconds: u64,
}

/// One client's current window, as this instance knows it.
#[derive(Debug, Clone, Copy)]
struct WindowCount {
    start_ms: i64,
    /// Every instance's count, as of this instance's last sync.
    shared: u64,
    /// Admitted here and being added by a sync that has not answered yet: still counted, or a burst
    /// during the sync's round trip would find the allowance whole again.
    syncing: u64,
    /// Admitted here since the last sync.
    unsynced: u64,
}

impl WindowCount {
    fn starting(start_ms: i64) -> Self {
        Self {
            start_ms,
            shared: 0,
            syncing: 0,
            unsynced: 0,
        }
    }
}

pub struct RateLimiter {
    windows: Arc<dyn RateLimitWindows>,
    clock: Arc<dyn Clock>,
    limit: RateLimit,
    counts: Mutex<HashMap<RateLimitBucket, WindowCount>>,
}

impl std::fmt::Debug for RateLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimiter")
            .field("limit", &self.limit)
            .finish_non_exhaustive()
    }
}

impl RateLimiter {
    pub fn new(
        windows: Arc<dyn RateLimitWindows>,
        clock: Arc<dyn Clock>,
        limit: RateLimit,
    ) -> Self {
        Self {
            windows,
            clock,
            limit,
            counts: Mutex::new(HashMap::new()),
        }
    }

    fn window_ms(&self) -> i64 {
        i64::try_from(self.limit.window.as_millis())
            .unwrap_or(i64::MAX)
            .max(1)
    }

    fn counts(&self) -> MutexGuard<'_, HashMap<RateLimitBucket, WindowCount>> {
        // A panic while holding the lock leaves counts that are still counts.
        self.counts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Decides one request of `bucket`'s client, and counts it if admitted.
    pub fn admit(&self, bucket: &RateLimitBucket) -> RateLimitStatus {
        let now_ms = self.clock.now().timestamp_millis();
        let window_ms = self.window_ms();
        let start_ms = now_ms - now_ms.rem_euclid(window_ms);
        let reset_after_ms = start_ms.saturating_add(window_ms) - now_ms;
        let reset_after_seconds = u64::try_from(reset_after_ms)
            .unwrap_or(0)
            .div_ceil(1000)
            .max(1);
        let limit = self.limit.requests;

        let mut counts = self.counts();
        let count = counts
            .entry(bucket.clone())
            .or_insert_with(|| WindowCount::starting(start_ms));
        if count.start_ms != start_ms {
            *count = WindowCount::starting(start_ms);
        }
        let used = count
            .shared
            .saturating_add(count.syncing)
            .saturating_add(count.unsynced);
        let admitted = used < limit;
        if admitted {
            count.unsynced += 1;
        }
        RateLimitStatus {
            admitted,
            limit,
            remaining: limit.saturating_sub(used.saturating_add(u64::from(admitted))),
            reset_after_seconds,
        }
    }

    /// Adds what this instance admitted since the last sync to the shared counts, and learns them.
    /// Counts of windows that have ended are dropped. On failure the counts are kept for the next sync.
    pub async fn sync(&self) -> Result<(), RepositoryError> {
        let now_ms = self.clock.now().timestamp_millis();
        let window_ms = self.window_ms();
        let additions: Vec<WindowAddition> = {
            let mut counts = self.counts();
            counts.retain(|_, count| count.start_ms.saturating_add(window_ms) > now_ms);
            counts
                .iter_mut()
                .filter(|(_, count)| count.unsynced > 0)
                .filter_map(|(bucket, count)| {
                    let requests = std::mem::take(&mut count.unsynced);
                    count.syncing += requests;
                    Some(WindowAddition {
                        bucket: bucket.clone(),
                        window_start: DateTime::<Utc>::from_timestamp_millis(count.start_ms)?,
                        requests,
                    })
                })
                .collect()
        };
        if additions.is_empty() {
            return Ok(());
        }
        let added = self.windows.add(&additions).await;
        let mut counts = self.counts();
        for (index, addition) in additions.iter().enumerate() {
            let Some(count) = counts
                .get_mut(&addition.bucket)
                .filter(|count| count.start_ms == addition.window_start.timestamp_millis())
            else {
                continue;
            };
            // No longer in flight: in the shared total if the store answered, else left to the next.
            count.syncing = count.syncing.saturating_sub(addition.requests);
            match &added {
                Ok(totals) => {
                    if let Some(&total) = totals.get(index) {
                        count.shared = count.shared.max(total);
                    }
                }
                Err(_) => count.unsynced += addition.requests,
            }
        }
        added.map(|_| ())
    }

    /// Forgets the shared counts of windows that ended before the previous one began.
    pub async fn forget_ended_windows(&self) -> Result<u64, RepositoryError> {
        let window = chrono::Duration::milliseconds(self.window_ms());
        self.windows
            .forget_before(self.clock.now() - window - window)
            .await
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use mockall::predicate::eq;

    use super::*;
    use crate::ports::MockRateLimitWindows;

    /// A clock the test moves.
    struct SetClock(Mutex<DateTime<Utc>>);

    impl SetClock {
        fn at(ms: i64) -> Arc<Self> {
            Arc::new(Self(Mutex::new(time(ms))))
        }

        fn set(&self, ms: i64) {
            *self.0.lock().expect("not poisoned") = time(ms);
        }
    }

    impl Clock for SetClock {
        fn now(&self) -> DateTime<Utc> {
            *self.0.lock().expect("not poisoned")
        }
    }

    /// 2026-12-04T12:00:00Z plus `ms`: a whole minute, so a 60 s window starts at 0.
    fn time(ms: i64) -> DateTime<Utc> {
        DateTime::from_timestamp_millis(1_796_385_600_000 + ms).expect("a valid time")
    }

    const THREE_PER_MINUTE: RateLimit = RateLimit {
        requests: 3,
        window: Duration::from_secs(60),
    };

    fn limiter(windows: MockRateLimitWindows, clock: Arc<SetClock>) -> RateLimiter {
        RateLimiter::new(Arc::new(windows), clock, THREE_PER_MINUTE)
    }

    fn key(id: &str) -> RateLimitBucket {
        RateLimitBucket::api_key(id)
    }

    #[test]
    fn a_client_is_admitted_up_to_its_limit_per_window_then_refused_until_it_ends() {
        let clock = SetClock::at(15_000);
        let limiter = limiter(MockRateLimitWindows::new(), clock.clone());
        let remaining: Vec<(bool, u64)> = (0..4)
            .map(|_| limiter.admit(&key("a")))
            .map(|status| (status.admitted, status.remaining))
            .collect();
        assert_eq!(remaining, [(true, 2), (true, 1), (true, 0), (false, 0)]);
        let refused = limiter.admit(&key("a"));
        assert_eq!(refused.limit, 3);
        assert_eq!(refused.reset_after_seconds, 45);
        clock.set(60_000);
        let next_window = limiter.admit(&key("a"));
        assert!(next_window.admitted);
        assert_eq!(next_window.remaining, 2);
        assert_eq!(next_window.reset_after_seconds, 60);
    }

    #[test]
    fn clients_are_counted_apart() {
        let limiter = limiter(MockRateLimitWindows::new(), SetClock::at(0));
        for _ in 0..3 {
            limiter.admit(&key("a"));
        }
        assert!(!limiter.admit(&key("a")).admitted);
        assert!(limiter.admit(&key("b")).admitted);
        assert!(
            limiter
                .admit(&RateLimitBucket::address("127.0.0.1"))
                .admitted
        );
    }

    #[test]
    fn the_reset_is_rounded_up_to_a_whole_second() {
        let limiter = limiter(MockRateLimitWindows::new(), SetClock::at(59_001));
        assert_eq!(limiter.admit(&key("a")).reset_after_seconds, 1);
    }

    #[tokio::test]
    async fn a_sync_adds_what_was_admitted_and_learns_every_instances_count() {
        let clock = SetClock::at(1_000);
        let mut windows = MockRateLimitWindows::new();
        windows
            .expect_add()
            .with(eq(vec![WindowAddition {
                bucket: key("a"),
                window_start: time(0),
                requests: 1,
            }]))
            .times(1)
            // Another instance admitted one request of the same client meanwhile.
            .returning(|_| Ok(vec![2]));
        let limiter = limiter(windows, clock);
        limiter.admit(&key("a"));
        limiter.sync().await.expect("the store answers");
        let status = limiter.admit(&key("a"));
        assert!(status.admitted);
        assert_eq!(status.remaining, 0);
        assert!(!limiter.admit(&key("a")).admitted);
    }

    #[tokio::test]
    async fn a_sync_with_nothing_new_asks_nothing_and_ended_windows_are_not_added() {
        let clock = SetClock::at(1_000);
        let mut windows = MockRateLimitWindows::new();
        windows.expect_add().never();
        let limiter = limiter(windows, clock.clone());
        limiter.sync().await.expect("nothing to do");
        limiter.admit(&key("a"));
        clock.set(61_000);
        limiter.sync().await.expect("nothing to do");
    }

    #[tokio::test]
    async fn a_failed_sync_keeps_its_counts_for_the_next() {
        let clock = SetClock::at(1_000);
        let mut windows = MockRateLimitWindows::new();
        let mut attempts = mockall::Sequence::new();
        windows
            .expect_add()
            .times(1)
            .in_sequence(&mut attempts)
            .returning(|_| Err(RepositoryError::Unknown(anyhow::anyhow!("down"))));
        windows
            .expect_add()
            .withf(|additions| additions.len() == 1 && additions[0].requests == 2)
            .times(1)
            .in_sequence(&mut attempts)
            .returning(|_| Ok(vec![2]));
        let limiter = limiter(windows, clock);
        limiter.admit(&key("a"));
        assert!(limiter.sync().await.is_err());
        assert_eq!(limiter.admit(&key("a")).remaining, 1);
        limiter.sync().await.expect("the store answers again");
        assert_eq!(limiter.admit(&key("a")).remaining, 0);
    }

    /// A store whose `add` answers (every addition as the whole count) only when released.
    #[derive(Debug, Default)]
    struct HeldWindows {
        entered: tokio::sync::Notify,
        release: tokio::sync::Notify,
    }

    #[async_trait::async_trait]
    impl RateLimitWindows for HeldWindows {
        async fn add(&self, additions: &[WindowAddition]) -> Result<Vec<u64>, RepositoryError> {
            self.entered.notify_one();
            self.release.notified().await;
            Ok(additions.iter().map(|addition| addition.requests).collect())
        }

        async fn forget_before(&self, _before: DateTime<Utc>) -> Result<u64, RepositoryError> {
            Ok(0)
        }
    }

    #[tokio::test]
    async fn requests_admitted_while_a_sync_is_in_flight_still_count_what_it_carries() {
        let windows = Arc::new(HeldWindows::default());
        let limiter = Arc::new(RateLimiter::new(
            windows.clone(),
            SetClock::at(1_000),
            THREE_PER_MINUTE,
        ));
        limiter.admit(&key("a"));
        limiter.admit(&key("a"));
        let sync = tokio::spawn({
            let limiter = limiter.clone();
            async move { limiter.sync().await }
        });
        windows.entered.notified().await;
        assert_eq!(limiter.admit(&key("a")).remaining, 0);
        assert!(!limiter.admit(&key("a")).admitted);
        windows.release.notify_one();
        sync.await
            .expect("the sync ran")
            .expect("the store answers");
        assert!(!limiter.admit(&key("a")).admitted);
    }

    #[tokio::test]
    async fn windows_that_ended_before_the_previous_one_are_forgotten() {
        let mut windows = MockRateLimitWindows::new();
        windows
            .expect_forget_before()
            .with(eq(time(5_000 - 120_000)))
            .times(1)
            .returning(|_| Ok(4));
        let limiter = limiter(windows, SetClock::at(5_000));
        assert_eq!(limiter.forget_ended_windows().await.expect("answers"), 4);
    }
}

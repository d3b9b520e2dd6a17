//! The public tracking routes (SENDING.md section 3): the open pixel, the click redirect and the
//! unsubscribe link. Each verifies its token (signed under the server's tracking key, of the route's
//! kind) before anything is read; a forged token, or one of another kind, is `NotFound`.
//!
//! Opens and clicks are handed to the [`HitRecorder`] and answered without waiting for their write
//! (SENDING.md section 9: ≥ 20,000 a second); the recorder drops a hit whose send is not in the
//! ledger. A click reads its stored URL first (unknown: `NotFound`). An unsubscribe is done before it
//! is answered: its page says it is done.

pub mod recorder;

use std::sync::Arc;

use domain::id::ObjectId;
use domain::tracking::{TrackingKey, TrackingKind, TrackingToken};

use self::recorder::HitRecorder;
use crate::ports::{
    Clock, HitKind, IdGenerator, RepositoryError, TrackedHit, TrackingHit, TrackingRepository,
};

/// Why a hit was not taken.
#[derive(Debug, thiserror::Error)]
pub enum TrackingError {
    /// The token is not one this server signed for this route, or (a click, an unsubscribe) what it
    /// names is unknown.
    #[error("no such link")]
    NotFound,
    #[error(transparent)]
    Unknown(#[from] RepositoryError),
}

/// The ports, the recorder and the key the tracking routes need.
#[derive(Clone)]
pub struct TrackLinks {
    pub tracking: Arc<dyn TrackingRepository>,
    /// Where opens and clicks go to be recorded.
    pub hits: HitRecorder,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn IdGenerator>,
    pub key: TrackingKey,
}

impl std::fmt::Debug for TrackLinks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TrackLinks").finish_non_exhaustive()
    }
}

impl TrackLinks {
    /// `GET /t/o/{token}`: hands an open to the recorder (no storage on the way).
    pub async fn open(&self, token: &str) -> Result<(), TrackingError> {
        let send = self.send_of(token, |kind| kind == TrackingKind::Open)?;
        self.hits
            .record(TrackedHit {
                hit: self.hit(send),
                kind: HitKind::Open,
            })
            .await;
        Ok(())
    }

    /// `GET /t/c/{token}`: the URL stored for the link (never one from the request), its click handed
    /// to the recorder.
    pub async fn click(&self, token: &str) -> Result<String, TrackingError> {
        let decoded = TrackingToken::decode(token, &self.key).ok_or(TrackingError::NotFound)?;
        let TrackingKind::Click { position } = decoded.kind() else {
            return Err(TrackingError::NotFound);
        };
        let url = self
            .tracking
            .link_url(decoded.send(), position)
            .await?
            .ok_or(TrackingError::NotFound)?;
        self.hits
            .record(TrackedHit {
                hit: self.hit(decoded.send()),
                kind: HitKind::Click { url: url.clone() },
            })
            .await;
        Ok(url)
    }

    /// `GET /u/{token}`: whether the token is a valid unsubscribe token (nothing is recorded: a GET
    /// alone never unsubscribes, link scanners follow links).
    pub fn check_unsubscribe(&self, token: &str) -> Result<(), TrackingError> {
        self.send_of(token, |kind| kind == TrackingKind::Unsubscribe)
            .map(|_| ())
    }

    /// `POST /u/{token}`: unsubscribes the send's lead (idempotent), before answering.
    pub async fn unsubscribe(&self, token: &str) -> Result<(), TrackingError> {
        let send = self.send_of(token, |kind| kind == TrackingKind::Unsubscribe)?;
        let dnc_entry = self.ids.new_id().into();
        if self.tracking.unsubscribe(self.hit(send), dnc_entry).await? {
            Ok(())
        } else {
            Err(TrackingError::NotFound)
        }
    }

    fn send_of(
        &self,
        token: &str,
        kind_is: impl FnOnce(TrackingKind) -> bool,
    ) -> Result<ObjectId, TrackingError> {
        TrackingToken::decode(token, &self.key)
            .filter(|decoded| kind_is(decoded.kind()))
            .map(|decoded| decoded.send())
            .ok_or(TrackingError::NotFound)
    }

    /// The hit as it arrives: its event's id and its time are taken now, not when it is written.
    fn hit(&self, send: ObjectId) -> TrackingHit {
        TrackingHit {
            send,
            event: self.ids.new_id(),
            at: self.clock.now(),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use chrono::{DateTime, Utc};

    use super::recorder::{HitWriter, hit_recorder};
    use super::*;
    use crate::ports::{MockClock, MockIdGenerator, MockTrackingRepository};

    fn key() -> TrackingKey {
        TrackingKey::new([3; 32])
    }

    fn send() -> ObjectId {
        ObjectId::from_parts(1_765_000_000, [9; 5], 1)
    }

    fn event() -> ObjectId {
        ObjectId::from_parts(1_765_000_200, [1; 5], 7)
    }

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_765_000_100, 0).expect("a time")
    }

    /// The use case over `tracking`, and the writer of its recorder (run it after the calls).
    fn use_case(tracking: MockTrackingRepository) -> (TrackLinks, HitWriter) {
        let mut clock = MockClock::new();
        clock.expect_now().returning(now);
        let mut ids = MockIdGenerator::new();
        ids.expect_new_id().returning(event);
        let tracking: Arc<dyn TrackingRepository> = Arc::new(tracking);
        let (hits, writer) = hit_recorder(tracking.clone(), 16, 100);
        let links = TrackLinks {
            tracking,
            hits,
            clock: Arc::new(clock),
            ids: Arc::new(ids),
            key: key(),
        };
        (links, writer)
    }

    /// Drops `links` (its recorder) and records what it queued.
    async fn record_queued(links: TrackLinks, writer: HitWriter) {
        drop(links);
        tokio::time::timeout(Duration::from_secs(5), writer.run())
            .await
            .expect("the writer ends");
    }

    fn token(kind: TrackingKind) -> String {
        TrackingToken::new(kind, send()).encode(&key())
    }

    #[tokio::test]
    async fn a_token_of_another_kind_or_key_reaches_no_storage() {
        // The mock has no expectations: any call to it (a read, a queued hit) fails the test.
        let (links, writer) = use_case(MockTrackingRepository::new());
        let unsubscribe = token(TrackingKind::Unsubscribe);
        let open = token(TrackingKind::Open);
        assert!(matches!(
            links.open(&unsubscribe).await,
            Err(TrackingError::NotFound)
        ));
        assert!(matches!(
            links.click(&open).await,
            Err(TrackingError::NotFound)
        ));
        assert!(matches!(
            links.unsubscribe(&open).await,
            Err(TrackingError::NotFound)
        ));
        assert!(links.check_unsubscribe(&open).is_err());
        let forged =
            TrackingToken::new(TrackingKind::Open, send()).encode(&TrackingKey::new([4; 32]));
        assert!(matches!(
            links.open(&forged).await,
            Err(TrackingError::NotFound)
        ));
        assert!(links.check_unsubscribe(&unsubscribe).is_ok());
        record_queued(links, writer).await;
    }

    #[tokio::test]
    async fn an_open_is_answered_at_once_and_its_hit_recorded_afterwards() {
        let mut tracking = MockTrackingRepository::new();
        tracking
            .expect_record_hits()
            .withf(|batch| {
                batch
                    == [TrackedHit {
                        hit: TrackingHit {
                            send: send(),
                            event: event(),
                            at: now(),
                        },
                        kind: HitKind::Open,
                    }]
            })
            .times(1)
            .returning(|_| Ok(()));
        let (links, writer) = use_case(tracking);
        // Nothing is written until the writer runs.
        links
            .open(&token(TrackingKind::Open))
            .await
            .expect("the pixel");
        record_queued(links, writer).await;
    }

    #[tokio::test]
    async fn a_click_answers_the_url_stored_at_its_position_and_records_the_hit_with_it() {
        let mut tracking = MockTrackingRepository::new();
        tracking
            .expect_link_url()
            .withf(|send_id, position| *send_id == send() && *position == 4)
            .times(1)
            .returning(|_, _| Ok(Some("https://a.example/".to_owned())));
        tracking
            .expect_record_hits()
            .withf(|batch| {
                batch
                    == [TrackedHit {
                        hit: TrackingHit {
                            send: send(),
                            event: event(),
                            at: now(),
                        },
                        kind: HitKind::Click {
                            url: "https://a.example/".to_owned(),
                        },
                    }]
            })
            .times(1)
            .returning(|_| Ok(()));
        let (links, writer) = use_case(tracking);
        let url = links
            .click(&token(TrackingKind::Click { position: 4 }))
            .await
            .expect("a url");
        assert_eq!(url, "https://a.example/");
        record_queued(links, writer).await;
    }

    #[tokio::test]
    async fn an_unknown_link_or_send_is_not_found_for_a_click_and_an_unsubscribe() {
        let mut tracking = MockTrackingRepository::new();
        tracking.expect_link_url().returning(|_, _| Ok(None));
        tracking.expect_unsubscribe().returning(|_, _| Ok(false));
        // No record_hits expectation: an unknown link queues nothing.
        let (links, writer) = use_case(tracking);
        assert!(matches!(
            links
                .click(&token(TrackingKind::Click { position: 0 }))
                .await,
            Err(TrackingError::NotFound)
        ));
        assert!(matches!(
            links.unsubscribe(&token(TrackingKind::Unsubscribe)).await,
            Err(TrackingError::NotFound)
        ));
        record_queued(links, writer).await;
    }
}

//! The public tracking routes (SENDING.md section 3): the open pixel, the click redirect and the
//! unsubscribe link. Each verifies its token (signed under the server's tracking key, of the route's
//! kind) before anything is read; a forged token, one of another kind, or one naming a send that is
//! not in the ledger is `NotFound`.

use std::sync::Arc;

use domain::id::ObjectId;
use domain::tracking::{TrackingKey, TrackingKind, TrackingToken};

use crate::ports::{Clock, IdGenerator, RepositoryError, TrackingHit, TrackingRepository};

/// Why a hit was not recorded.
#[derive(Debug, thiserror::Error)]
pub enum TrackingError {
    /// The token is not one this server signed for this route, or its send is unknown.
    #[error("no such link")]
    NotFound,
    #[error(transparent)]
    Unknown(#[from] RepositoryError),
}

/// The ports and the key the tracking routes need.
#[derive(Clone)]
pub struct TrackLinks {
    pub tracking: Arc<dyn TrackingRepository>,
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
    /// `GET /t/o/{token}`: records an open.
    pub async fn open(&self, token: &str) -> Result<(), TrackingError> {
        let send = self.send_of(token, |kind| kind == TrackingKind::Open)?;
        if self.tracking.record_open(self.hit(send)).await? {
            Ok(())
        } else {
            Err(TrackingError::NotFound)
        }
    }

    /// `GET /t/c/{token}`: records a click; the URL stored for the link (never one from the request).
    pub async fn click(&self, token: &str) -> Result<String, TrackingError> {
        let decoded = TrackingToken::decode(token, &self.key).ok_or(TrackingError::NotFound)?;
        let TrackingKind::Click { position } = decoded.kind() else {
            return Err(TrackingError::NotFound);
        };
        self.tracking
            .record_click(self.hit(decoded.send()), position)
            .await?
            .ok_or(TrackingError::NotFound)
    }

    /// `GET /u/{token}`: whether the token is a valid unsubscribe token (nothing is recorded: a GET
    /// alone never unsubscribes, link scanners follow links).
    pub fn check_unsubscribe(&self, token: &str) -> Result<(), TrackingError> {
        self.send_of(token, |kind| kind == TrackingKind::Unsubscribe)
            .map(|_| ())
    }

    /// `POST /u/{token}`: unsubscribes the send's lead (idempotent).
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
    use chrono::{DateTime, Utc};

    use super::*;
    use crate::ports::{MockClock, MockIdGenerator, MockTrackingRepository};

    fn key() -> TrackingKey {
        TrackingKey::new([3; 32])
    }

    fn send() -> ObjectId {
        ObjectId::from_parts(1_765_000_000, [9; 5], 1)
    }

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_765_000_100, 0).expect("a time")
    }

    fn use_case(tracking: MockTrackingRepository) -> TrackLinks {
        let mut clock = MockClock::new();
        clock.expect_now().returning(now);
        let mut ids = MockIdGenerator::new();
        ids.expect_new_id()
            .returning(|| ObjectId::from_parts(1_765_000_200, [1; 5], 7));
        TrackLinks {
            tracking: Arc::new(tracking),
            clock: Arc::new(clock),
            ids: Arc::new(ids),
            key: key(),
        }
    }

    fn token(kind: TrackingKind) -> String {
        TrackingToken::new(kind, send()).encode(&key())
    }

    #[tokio::test]
    async fn a_token_of_another_kind_or_key_reaches_no_storage() {
        // The mock has no expectations: any call to it fails the test.
        let links = use_case(MockTrackingRepository::new());
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
    }

    #[tokio::test]
    async fn a_click_records_the_hit_of_the_tokens_send_and_position() {
        let mut tracking = MockTrackingRepository::new();
        tracking
            .expect_record_click()
            .withf(|hit, position| hit.send == send() && hit.at == now() && *position == 4)
            .times(1)
            .returning(|_, _| Ok(Some("https://a.example/".to_owned())));
        let links = use_case(tracking);
        let url = links
            .click(&token(TrackingKind::Click { position: 4 }))
            .await
            .expect("a url");
        assert_eq!(url, "https://a.example/");
    }

    #[tokio::test]
    async fn an_unknown_send_is_not_found() {
        let mut tracking = MockTrackingRepository::new();
        tracking.expect_record_open().returning(|_| Ok(false));
        tracking.expect_unsubscribe().returning(|_, _| Ok(false));
        let links = use_case(tracking);
        assert!(matches!(
            links.open(&token(TrackingKind::Open)).await,
            Err(TrackingError::NotFound)
        ));
        assert!(matches!(
            links.unsubscribe(&token(TrackingKind::Unsubscribe)).await,
            Err(TrackingError::NotFound)
        ));
    }
}

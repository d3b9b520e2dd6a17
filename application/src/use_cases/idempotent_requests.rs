//! Idempotent POSTs (`Idempotency-Key`): a retry of a request that succeeded gets the first answer
//! again instead of doing the work twice.
//!
//! A key belongs to one scope (the credential and workspace that sent it) and names one request (its
//! fingerprint). The first request with a key holds it while it runs; a success is kept for 24 hours
//! and replayed for every retry with the same key and request. Anything else (a refusal, an error)
//! changed nothing, so it is not kept: the key is free again and a corrected request may use it.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::ports::{
    Clock, IdempotencyKeys, IdempotencyScope, KeyClaim, KeyCompletion, RecordedResponse,
    RepositoryError, RequestFingerprint,
};

/// How long a successful answer is replayed.
pub const RETENTION: Duration = Duration::from_secs(24 * 60 * 60);

/// The longest key accepted.
pub const MAX_KEY_LENGTH: usize = 255;

/// A client's idempotency key: 1 to 255 printable ASCII characters (a UUID is the usual choice).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub fn parse(text: &str) -> Result<Self, InvalidIdempotencyKey> {
        let printable = text.bytes().all(|byte| (0x20..=0x7e).contains(&byte));
        if text.is_empty() || text.len() > MAX_KEY_LENGTH || !printable {
            return Err(InvalidIdempotencyKey);
        }
        Ok(Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("Idempotency-Key must be 1 to {MAX_KEY_LENGTH} printable ASCII characters")]
pub struct InvalidIdempotencyKey;

/// What to do with a request that carries a key.
#[derive(Debug, PartialEq, Eq)]
pub enum Admission {
    /// Run it: the key is held for it until [`IdempotentRequests::finish`] (or its lease ends).
    Proceed(HeldKey),
    /// Do not run it: answer this, the answer of its first run.
    Replay(RecordedResponse),
    /// The key was used for a different request: refuse.
    KeyReused,
    /// The same request is running now: ask again later.
    InFlight,
}

/// A key held by the request running with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldKey {
    scope: IdempotencyScope,
    key: IdempotencyKey,
    fingerprint: RequestFingerprint,
    lease_until: DateTime<Utc>,
    expires_at: DateTime<Utc>,
}

impl HeldKey {
    /// The completion of this key with `response`, for a write that stores it with its work
    /// (`CampaignRepository::insert_answering`). Only a success is worth storing (see `finish`).
    pub fn completion(&self, response: RecordedResponse) -> KeyCompletion {
        KeyCompletion {
            scope: self.scope.clone(),
            key: self.key.as_str().to_owned(),
            fingerprint: self.fingerprint.clone(),
            lease_until: self.lease_until,
            expires_at: self.expires_at,
            response,
        }
    }
}

#[derive(Clone)]
pub struct IdempotentRequests {
    pub keys: Arc<dyn IdempotencyKeys>,
    pub clock: Arc<dyn Clock>,
    /// How long a request may hold its key: past it, a retry may run in its place (its instance is
    /// taken to have died). Longer than any request may run.
    pub lease: Duration,
}

impl std::fmt::Debug for IdempotentRequests {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IdempotentRequests")
            .field("lease", &self.lease)
            .finish_non_exhaustive()
    }
}

/// `now + duration`, saturating far in the future.
fn after(now: DateTime<Utc>, duration: Duration) -> DateTime<Utc> {
    chrono::Duration::from_std(duration)
        .ok()
        .and_then(|duration| now.checked_add_signed(duration))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

impl IdempotentRequests {
    /// Claims `key` of `scope` for the request `fingerprint`, or says why not.
    pub async fn admit(
        &self,
        scope: IdempotencyScope,
        key: IdempotencyKey,
        fingerprint: &RequestFingerprint,
    ) -> Result<Admission, RepositoryError> {
        let now = self.clock.now();
        let lease_until = after(now, self.lease);
        let expires_at = after(now, RETENTION);
        let claim = self
            .keys
            .claim(
                &scope,
                key.as_str(),
                fingerprint,
                now,
                lease_until,
                expires_at,
            )
            .await?;
        Ok(match claim {
            KeyClaim::Claimed => Admission::Proceed(HeldKey {
                scope,
                key,
                fingerprint: fingerprint.clone(),
                lease_until,
                expires_at,
            }),
            KeyClaim::Completed {
                fingerprint: first,
                response,
            } if first == *fingerprint => Admission::Replay(response),
            KeyClaim::InFlight { fingerprint: first } if first == *fingerprint => {
                Admission::InFlight
            }
            KeyClaim::Completed { .. } | KeyClaim::InFlight { .. } => Admission::KeyReused,
        })
    }

    /// Ends the run of a held key with its answer: a success is kept for replay, anything else
    /// frees the key.
    pub async fn finish(
        &self,
        held: HeldKey,
        response: RecordedResponse,
    ) -> Result<(), RepositoryError> {
        if (200..300).contains(&response.status) {
            self.keys.complete(&held.completion(response)).await
        } else {
            self.abandon(held).await
        }
    }

    /// Ends the run of a held key that has no answer to keep (it failed before answering).
    pub async fn abandon(&self, held: HeldKey) -> Result<(), RepositoryError> {
        self.keys
            .release(&held.scope, held.key.as_str(), held.lease_until)
            .await
    }

    /// Forgets the answers kept longer than [`RETENTION`]; answers how many.
    pub async fn forget_expired(&self) -> Result<u64, RepositoryError> {
        self.keys.forget_expired(self.clock.now()).await
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use mockall::predicate::eq;

    use super::*;
    use crate::ports::{MockClock, MockIdempotencyKeys};

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 4, 12, 0, 0)
            .single()
            .expect("a valid time")
    }

    const LEASE: Duration = Duration::from_secs(60);

    fn use_case(keys: MockIdempotencyKeys) -> IdempotentRequests {
        let mut clock = MockClock::new();
        clock.expect_now().returning(now);
        IdempotentRequests {
            keys: Arc::new(keys),
            clock: Arc::new(clock),
            lease: LEASE,
        }
    }

    fn scope() -> IdempotencyScope {
        IdempotencyScope::new("scope".to_owned())
    }

    fn key() -> IdempotencyKey {
        IdempotencyKey::parse("3f1c1a52-8a3e-4bd4-9d6e-0a9f1c2b3d4e").expect("a valid key")
    }

    fn fingerprint(text: &str) -> RequestFingerprint {
        RequestFingerprint::new(text.to_owned())
    }

    fn response(status: u16) -> RecordedResponse {
        RecordedResponse {
            status,
            content_type: "application/json; charset=utf-8".to_owned(),
            body: br#"{"success":true}"#.to_vec(),
        }
    }

    fn claim_answering(claim: KeyClaim) -> MockIdempotencyKeys {
        let mut keys = MockIdempotencyKeys::new();
        keys.expect_claim()
            .times(1)
            .returning(move |_, _, _, _, _, _| Ok(claim.clone()));
        keys
    }

    fn held() -> HeldKey {
        HeldKey {
            scope: scope(),
            key: key(),
            fingerprint: fingerprint("body-a"),
            lease_until: now() + chrono::Duration::seconds(60),
            expires_at: now() + chrono::Duration::hours(24),
        }
    }

    #[test]
    fn an_idempotency_key_is_1_to_255_printable_ascii_characters() {
        for valid in ["a", "order 42", &"k".repeat(255), "~!@#$%^&*()_+{}|:<>?"] {
            assert!(IdempotencyKey::parse(valid).is_ok(), "{valid:?}");
        }
        for invalid in ["", &"k".repeat(256), "tab\there", "line\nbreak", "clé"] {
            assert_eq!(
                IdempotencyKey::parse(invalid),
                Err(InvalidIdempotencyKey),
                "{invalid:?}"
            );
        }
    }

    #[tokio::test]
    async fn a_free_key_is_claimed_for_the_lease_and_kept_for_24_hours() {
        let mut keys = MockIdempotencyKeys::new();
        keys.expect_claim()
            .withf(|scope, key, fingerprint, at, lease_until, expires_at| {
                scope.as_str() == "scope"
                    && key == "3f1c1a52-8a3e-4bd4-9d6e-0a9f1c2b3d4e"
                    && fingerprint.as_str() == "body-a"
                    && *at == now()
                    && *lease_until == now() + chrono::Duration::seconds(60)
                    && *expires_at == now() + chrono::Duration::hours(24)
            })
            .times(1)
            .returning(|_, _, _, _, _, _| Ok(KeyClaim::Claimed));
        let admission = use_case(keys)
            .admit(scope(), key(), &fingerprint("body-a"))
            .await
            .expect("the store answers");
        assert_eq!(admission, Admission::Proceed(held()));
    }

    #[tokio::test]
    async fn a_retry_with_the_same_key_and_request_replays_the_first_answer() {
        let keys = claim_answering(KeyClaim::Completed {
            fingerprint: fingerprint("body-a"),
            response: response(201),
        });
        let admission = use_case(keys)
            .admit(scope(), key(), &fingerprint("body-a"))
            .await
            .expect("the store answers");
        assert_eq!(admission, Admission::Replay(response(201)));
    }

    #[tokio::test]
    async fn the_same_key_with_a_different_request_is_refused_whether_done_or_running() {
        for claim in [
            KeyClaim::Completed {
                fingerprint: fingerprint("body-a"),
                response: response(201),
            },
            KeyClaim::InFlight {
                fingerprint: fingerprint("body-a"),
            },
        ] {
            let admission = use_case(claim_answering(claim.clone()))
                .admit(scope(), key(), &fingerprint("body-b"))
                .await
                .expect("the store answers");
            assert_eq!(admission, Admission::KeyReused, "{claim:?}");
        }
    }

    #[tokio::test]
    async fn a_retry_of_a_request_still_running_is_told_it_is_in_flight() {
        let keys = claim_answering(KeyClaim::InFlight {
            fingerprint: fingerprint("body-a"),
        });
        let admission = use_case(keys)
            .admit(scope(), key(), &fingerprint("body-a"))
            .await
            .expect("the store answers");
        assert_eq!(admission, Admission::InFlight);
    }

    #[tokio::test]
    async fn only_a_success_is_kept_for_replay() {
        for status in [200, 201, 204] {
            let mut keys = MockIdempotencyKeys::new();
            keys.expect_complete()
                .with(eq(held().completion(response(status))))
                .times(1)
                .returning(|_| Ok(()));
            keys.expect_release().never();
            use_case(keys)
                .finish(held(), response(status))
                .await
                .expect("the store answers");
        }
    }

    #[tokio::test]
    async fn a_refusal_or_failure_frees_the_key_for_a_corrected_request() {
        for status in [400, 404, 409, 422, 429, 500, 503] {
            let mut keys = MockIdempotencyKeys::new();
            keys.expect_release()
                .with(
                    eq(scope()),
                    eq("3f1c1a52-8a3e-4bd4-9d6e-0a9f1c2b3d4e"),
                    eq(held().lease_until),
                )
                .times(1)
                .returning(|_, _, _| Ok(()));
            keys.expect_complete().never();
            use_case(keys)
                .finish(held(), response(status))
                .await
                .expect("the store answers");
        }
    }

    #[test]
    fn a_held_keys_completion_names_its_claim_and_keeps_the_answer_24_hours() {
        assert_eq!(
            held().completion(response(201)),
            KeyCompletion {
                scope: scope(),
                key: "3f1c1a52-8a3e-4bd4-9d6e-0a9f1c2b3d4e".to_owned(),
                fingerprint: fingerprint("body-a"),
                lease_until: now() + chrono::Duration::seconds(60),
                expires_at: now() + chrono::Duration::hours(24),
                response: response(201),
            }
        );
    }

    #[tokio::test]
    async fn an_abandoned_run_frees_its_key() {
        let mut keys = MockIdempotencyKeys::new();
        keys.expect_release().times(1).returning(|_, _, _| Ok(()));
        use_case(keys)
            .abandon(held())
            .await
            .expect("the store answers");
    }

    #[tokio::test]
    async fn expired_answers_are_forgotten_as_of_now() {
        let mut keys = MockIdempotencyKeys::new();
        keys.expect_forget_expired()
            .with(eq(now()))
            .times(1)
            .returning(|_| Ok(3));
        assert_eq!(
            use_case(keys)
                .forget_expired()
                .await
                .expect("the store answers"),
            3
        );
    }
}

//! Idempotency keys: the answer a request gave, kept so that its retries get the same answer.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::RepositoryError;

/// Whose key it is: an opaque digest of the credential (and workspace) the request named, so one
/// client's keys never meet another's. The edge derives it; storage only compares it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IdempotencyScope(String);

impl IdempotencyScope {
    pub fn new(digest: String) -> Self {
        Self(digest)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What a request was: a digest of its method, path and body. Two requests with one key and
/// different fingerprints are two different requests.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RequestFingerprint(String);

impl RequestFingerprint {
    pub fn new(digest: String) -> Self {
        Self(digest)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An answer as it was sent, to be sent again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedResponse {
    pub status: u16,
    pub content_type: String,
    pub body: Vec<u8>,
}

/// A held key's answer, written in the same transaction as the work it answers for: a crash can then
/// never leave the work done and its key still pending, which a retry would take for work not done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyCompletion {
    pub scope: IdempotencyScope,
    pub key: String,
    pub fingerprint: RequestFingerprint,
    /// The lease of the claim that holds the key: a key taken over since is left as it is.
    pub lease_until: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub response: RecordedResponse,
}

/// What a claim of a key found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyClaim {
    /// The key had no live record: the caller now holds it, until its lease ends.
    Claimed,
    /// A request still holds the key (its lease has not ended); it is the request `fingerprint`.
    InFlight { fingerprint: RequestFingerprint },
    /// A request with the key answered `response`; it was the request `fingerprint`.
    Completed {
        fingerprint: RequestFingerprint,
        response: RecordedResponse,
    },
}

/// Where idempotency keys are kept: in the database, so that they hold across instances.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait IdempotencyKeys: Send + Sync {
    /// Atomically (two concurrent claims of one key never both answer `Claimed`): when `(scope, key)`
    /// has no live record — none, one that expired at or before `now`, or one still pending for the
    /// same `fingerprint` whose lease ended at or before `now` (its request died) — stores a pending
    /// record of `fingerprint`, leased until `lease_until` and kept until `expires_at`, and answers
    /// `Claimed`. Otherwise answers what is stored and changes nothing.
    async fn claim(
        &self,
        scope: &IdempotencyScope,
        key: &str,
        fingerprint: &RequestFingerprint,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<KeyClaim, RepositoryError>;

    /// Stores the completion's answer in the pending record that its claim (the one leased until
    /// `completion.lease_until`) made. A record no longer held by that claim (taken over after its
    /// lease ended) is left as it is; a record that is gone is stored whole, completed.
    async fn complete(&self, completion: &KeyCompletion) -> Result<(), RepositoryError>;

    /// Forgets the pending record that the claim leased until `lease_until` made (its request ended
    /// without an answer to replay); anything else is left as it is.
    async fn release(
        &self,
        scope: &IdempotencyScope,
        key: &str,
        lease_until: DateTime<Utc>,
    ) -> Result<(), RepositoryError>;

    /// Forgets every record that expired at or before `now`; answers how many.
    async fn forget_expired(&self, now: DateTime<Utc>) -> Result<u64, RepositoryError>;
}

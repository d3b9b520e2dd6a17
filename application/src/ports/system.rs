//! What the use cases need of the system: readiness, time, ids and secrets.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::credential::{Credential, SealedCredential};
use domain::id::ObjectId;
use domain::identity::{ApiKeyKind, ApiKeySecret};
use domain::values::WebhookSecret;

use super::RepositoryError;

/// Whether the store answers (for `/readyz`).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait Readiness: Send + Sync {
    async fn ping(&self) -> Result<(), RepositoryError>;
}

/// The current time.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait Clock: Send + Sync {
    /// Now, in UTC, to the millisecond.
    fn now(&self) -> DateTime<Utc>;
}

/// New resource ids.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait IdGenerator: Send + Sync {
    /// A fresh id in the ObjectId layout; ids from one process increase.
    fn new_id(&self) -> ObjectId;
}

/// Uniform choices, for what must vary between messages (a spintax option per message).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait RandomChoice: Send + Sync {
    /// A number in `0..count`, each equally likely (0 when `count` is 0).
    fn below(&self, count: usize) -> usize;
}

/// Secrets the server makes for its users, from a cryptographically secure source.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait SecretGenerator: Send + Sync {
    /// A webhook signing secret (`whsec_` + 64 hex).
    fn webhook_secret(&self) -> WebhookSecret;

    /// A new API key of `kind`.
    fn api_key(&self, kind: ApiKeyKind) -> ApiKeySecret;
}

/// Why a sealed credential could not be opened: it was sealed under another key, or altered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the credential cannot be opened with this server's secret key (another key sealed it, or it was altered)"
)]
pub struct CredentialUnreadable;

/// Seals and opens the credentials the server keeps for outside systems (mailbox passwords), so that
/// the database holds them only encrypted (SENDING.md section 1).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait CredentialCipher: Send + Sync {
    /// `credential` encrypted and authenticated under the server's key, with a fresh nonce each call:
    /// sealing one password twice gives two different texts.
    fn seal(&self, credential: &Credential) -> SealedCredential;

    /// The credential `sealed` holds, if this server's key sealed it and nothing altered it.
    fn open(&self, sealed: &SealedCredential) -> Result<Credential, CredentialUnreadable>;
}

//! What the use cases need of the system: readiness, time, ids and secrets.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
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

/// Secrets the server makes for its users, from a cryptographically secure source.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait SecretGenerator: Send + Sync {
    /// A webhook signing secret (`whsec_` + 64 hex).
    fn webhook_secret(&self) -> WebhookSecret;

    /// A new API key of `kind`.
    fn api_key(&self, kind: ApiKeyKind) -> ApiKeySecret;
}

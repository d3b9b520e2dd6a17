//! Rate-limit windows: how many requests each client made in each window, shared by every instance.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::RepositoryError;

/// Whose requests a window counts: an API key, or a client address for requests without a valid key.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RateLimitBucket(String);

impl RateLimitBucket {
    /// The bucket of the API key with this id.
    pub fn api_key(id: &str) -> Self {
        Self(format!("key:{id}"))
    }

    /// The bucket of a client address (requests without a valid key).
    pub fn address(address: &str) -> Self {
        Self(format!("address:{address}"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Requests to add to one window's count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WindowAddition {
    pub bucket: RateLimitBucket,
    pub window_start: DateTime<Utc>,
    pub requests: u64,
}

/// The request counts of every instance, in the database.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait RateLimitWindows: Send + Sync {
    /// Adds each addition to the count of its (bucket, window) — atomically per window, so concurrent
    /// additions from several instances all count — and answers each window's count after it, in the
    /// order given.
    async fn add(&self, additions: &[WindowAddition]) -> Result<Vec<u64>, RepositoryError>;

    /// Forgets every window that started before `before`; answers how many.
    async fn forget_before(&self, before: DateTime<Utc>) -> Result<u64, RepositoryError>;
}

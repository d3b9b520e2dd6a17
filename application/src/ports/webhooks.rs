//! Webhooks (SENDING.md section 7): the outbox of deliveries, the HTTP transport that makes a try,
//! the resolver whose answers are checked before each try, and the workspace's webhook destinations.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::credential::SealedCredential;
use domain::id::WorkspaceId;
use domain::values::{WebhookSecret, WebhookUrl};

use super::RepositoryError;

/// The key a delivery is signed with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliverySecret {
    /// A campaign's `settings.webhook.secret`, kept in the campaign's content.
    Plain(WebhookSecret),
    /// A workspace webhook's secret, sealed by the [`super::CredentialCipher`].
    Sealed(SealedCredential),
}

/// A delivery claimed for one try.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueDelivery {
    /// The delivery's id: the payload's `id`, `webhook-id` of every try.
    pub id: String,
    /// The event type (`X-Webhook-Event`).
    pub event: String,
    /// The payload, the same bytes on every try.
    pub body: String,
    /// Where it goes: the destination's URL as it is now.
    pub url: String,
    pub secret: DeliverySecret,
    /// Tries made before this one.
    pub tries: u32,
    /// Retries after the first try (`retryAttempts`).
    pub retry_attempts: u32,
    pub timeout: Duration,
}

/// What one try of a delivery came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TryOutcome {
    pub at: DateTime<Utc>,
    /// The HTTP status answered, if any.
    pub status: Option<u16>,
    pub duration: Duration,
    /// Why it failed (a refused address, a timeout, a refused connection, a non-2xx answer).
    pub error: Option<String>,
}

impl TryOutcome {
    /// A 2xx answer.
    pub fn delivered(&self) -> bool {
        self.status
            .is_some_and(|status| (200..300).contains(&status))
    }
}

/// After a try: when the next one is due, if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterTry {
    Delivered,
    RetryAt(DateTime<Utc>),
    GaveUp,
}

/// The outbox of webhook deliveries. Deliveries are written by the event writers, in the
/// transaction of their events (one per subscribed destination: the campaign's enabled
/// `settings.webhook` with the event among its `events`, and every workspace webhook subscribed to
/// the event's type).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait WebhookOutbox: Send + Sync {
    /// Claims at most `limit` deliveries due at `now` (their next try at or before `now`) that no
    /// other claim holds (its lease ended before `now`), until `lease_until`: several processes
    /// never claim one delivery at once (PostgreSQL: `FOR UPDATE SKIP LOCKED`). Each delivery's
    /// payload is built at its first claim from the event (joined with its send and lead) and kept:
    /// every later claim answers the same `body`. A delivery whose destination is gone (the
    /// webhook deleted, the campaign's webhook turned off) is given up and not answered.
    async fn claim_due(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<DueDelivery>, RepositoryError>;

    /// Records try number `tries + 1` of the claimed delivery `id` (kept with its status, duration
    /// and error) and what follows it, and ends the claim. A delivery whose try count is no longer
    /// `tries` (another process recorded that try) is left as it is.
    async fn record_try(
        &self,
        id: &str,
        tries: u32,
        outcome: &TryOutcome,
        after: AfterTry,
    ) -> Result<(), RepositoryError>;
}

/// Why a name could not be resolved.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ResolveFailed(pub String);

/// DNS: the addresses of a host name.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait Resolver: Send + Sync {
    /// Every IPv4 and IPv6 address of `host` (a name, not an IP literal); an empty answer or a
    /// failed lookup is an error.
    async fn addresses(&self, host: &str) -> Result<Vec<IpAddr>, ResolveFailed>;
}

/// One HTTP POST of a webhook try.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookRequest {
    pub url: WebhookUrl,
    /// The address connected to: the one that was checked, never looked up again.
    pub address: SocketAddr,
    pub headers: Vec<(String, String)>,
    pub body: String,
    pub timeout: Duration,
}

/// What the receiver answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookAnswer {
    /// The status, when one came (redirects are not followed: a 3xx is an answer).
    pub status: Result<u16, String>,
    pub duration: Duration,
}

/// The HTTP client of webhook tries.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait WebhookTransport: Send + Sync {
    /// POSTs `request` to `request.address` (TLS and `Host` for the URL's host), within
    /// `request.timeout`, following no redirect. A timeout or a refused connection is an `Err`
    /// status with the reason.
    async fn post(&self, request: WebhookRequest) -> WebhookAnswer;
}

/// A workspace webhook as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredWebhook {
    pub id: String,
    pub workspace: WorkspaceId,
    pub name: String,
    pub url: String,
    pub events: Vec<String>,
    pub secret: SealedCredential,
    pub retry_attempts: u32,
    pub timeout_ms: u32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// One try of a delivery, as kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredTry {
    pub number: u32,
    pub at: DateTime<Utc>,
    pub status: Option<u16>,
    pub duration_ms: u64,
    pub error: Option<String>,
}

/// A delivery of a workspace webhook, with its tries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredDelivery {
    pub id: String,
    pub event_id: String,
    pub event: String,
    pub campaign_id: String,
    /// `pending`, `delivered` or `failed`.
    pub state: String,
    pub next_try_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub tries: Vec<StoredTry>,
}

/// A workspace's webhook destinations. Every method takes the workspace: a webhook of another
/// workspace MUST behave exactly as one that does not exist.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait WebhookRepository: Send + Sync {
    /// Stores a new webhook and its subscriptions (one per event type).
    async fn insert(&self, webhook: &StoredWebhook) -> Result<(), RepositoryError>;

    /// The workspace's webhooks, oldest first.
    async fn list(&self, workspace: WorkspaceId) -> Result<Vec<StoredWebhook>, RepositoryError>;

    async fn find(
        &self,
        workspace: WorkspaceId,
        id: &str,
    ) -> Result<Option<StoredWebhook>, RepositoryError>;

    /// Replaces the stored webhook of `webhook.id` in `webhook.workspace` (its subscriptions
    /// too); `false` when there is none.
    async fn update(&self, webhook: &StoredWebhook) -> Result<bool, RepositoryError>;

    /// Deletes it, its subscriptions and its deliveries; `false` when there is none.
    async fn delete(&self, workspace: WorkspaceId, id: &str) -> Result<bool, RepositoryError>;

    /// The webhook's deliveries, newest first, at most `limit`, each with its tries in order.
    async fn deliveries(
        &self,
        workspace: WorkspaceId,
        id: &str,
        limit: usize,
    ) -> Result<Vec<StoredDelivery>, RepositoryError>;
}

//! Open and click tracking and the unsubscribe link (SENDING.md sections 3 and 6): the links of each
//! send, and what a hit on a public route records.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::id::{DncEntryId, ObjectId};

use super::RepositoryError;

/// A hit on a public route: which send (a row of the ledger, from a verified token), when, and the
/// id its event row gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrackingHit {
    pub send: ObjectId,
    pub event: ObjectId,
    pub at: DateTime<Utc>,
}

/// The original URLs of one send's rewritten links, `urls[i]` at position `i` (what
/// [`domain::tracking::track_body`] answers).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendLinks {
    pub send: ObjectId,
    pub urls: Vec<String>,
}

/// Storage of tracking. Every recording method is ONE transaction that first locks the send's
/// campaign row (as every enrolment write does). A send id that is not in the ledger records
/// nothing and answers "unknown" (`false` / `None`).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait TrackingRepository: Send + Sync {
    /// Stores the links of every send of `links` (a claim's messages, before they leave) in one
    /// write. Storing a send's link again keeps the URL stored first.
    async fn store_links(&self, links: &[SendLinks]) -> Result<(), RepositoryError>;

    /// Records an `email.opened` event every time; the FIRST open of the message also sets
    /// `openedAt` in the enrolment's history for its step and adds 1 to the campaign's
    /// `stats.opened`. `false`: no such send, nothing recorded.
    async fn record_open(&self, hit: TrackingHit) -> Result<bool, RepositoryError>;

    /// The URL stored for the send at `position` (never one from the request), recording an
    /// `email.clicked` event (with `{"url": …}` as its data) every time; the FIRST click of the
    /// message also sets `clickedAt` in the history and adds 1 to `stats.clicked`. `None`: no such
    /// send or no link at that position, nothing recorded.
    async fn record_click(
        &self,
        hit: TrackingHit,
        position: u32,
    ) -> Result<Option<String>, RepositoryError>;

    /// Unsubscribes the send's lead: adds its address to the workspace's do-not-contact list
    /// (reason `unsubscribe_link`, entry id `dnc_entry` unless the address is listed already),
    /// stops the enrolment `unsubscribed` (moving the campaign's lead counters) and adds 1 to
    /// `stats.unsubscribed` when it was not unsubscribed yet, and records an `email.unsubscribed`
    /// event every time. `false`: no such send, nothing recorded.
    async fn unsubscribe(
        &self,
        hit: TrackingHit,
        dnc_entry: DncEntryId,
    ) -> Result<bool, RepositoryError>;
}

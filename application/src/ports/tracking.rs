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

/// What a hit on a public route records besides its [`TrackingHit`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HitKind {
    /// The open pixel: `email.opened`.
    Open,
    /// A tracked link: `email.clicked`, with the URL stored for the link (`{"url": …}`).
    Click { url: String },
}

/// An open or a click as the recorder hands it to storage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackedHit {
    pub hit: TrackingHit,
    pub kind: HitKind,
}

/// The original URLs of one send's rewritten links, `urls[i]` at position `i` (what
/// [`domain::tracking::track_body`] answers).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendLinks {
    pub send: ObjectId,
    pub urls: Vec<String>,
}

/// Storage of tracking. A send id that is not in the ledger records nothing.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait TrackingRepository: Send + Sync {
    /// Stores the links of every send of `links` (a claim's messages, before they leave) in one
    /// write. Storing a send's link again keeps the URL stored first.
    async fn store_links(&self, links: &[SendLinks]) -> Result<(), RepositoryError>;

    /// The URL stored for the send's link at `position` (never one from the request); `None`: no
    /// such send, or no link at that position. A read: nothing is recorded.
    async fn link_url(
        &self,
        send: ObjectId,
        position: u32,
    ) -> Result<Option<String>, RepositoryError>;

    /// Records a batch of opens and clicks in ONE transaction. Every hit of a send in the ledger is
    /// an event row (`email.opened`, or `email.clicked` with `{"url": …}` as its data), however many
    /// hits the message had; the FIRST open (click) of a message, in this batch or before, also sets
    /// `openedAt` (`clickedAt`) in the enrolment's history for its step, at the time of that hit,
    /// and adds 1 to `stats.opened` (`stats.clicked`) of the send's campaign and, for a message of
    /// a subsequence, of the subsequence. Each send is counted in its own campaign (and workspace)
    /// only. Hits of sends that are not in the ledger are dropped. Every campaign whose counters
    /// change is locked first (as every enrolment write does), in campaign id order.
    async fn record_hits(&self, hits: &[TrackedHit]) -> Result<(), RepositoryError>;

    /// Unsubscribes the send's lead, in one transaction that first locks the send's campaign: adds
    /// its address to the workspace's do-not-contact list (reason `unsubscribe_link`, entry id
    /// `dnc_entry` unless the address is listed already), stops the enrolment `unsubscribed` (moving
    /// the campaign's lead counters) and adds 1 to `stats.unsubscribed` when it was not unsubscribed
    /// yet, and records an `email.unsubscribed` event every time. `false`: no such send, nothing
    /// recorded.
    async fn unsubscribe(
        &self,
        hit: TrackingHit,
        dnc_entry: DncEntryId,
    ) -> Result<bool, RepositoryError>;
}

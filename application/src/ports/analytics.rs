//! Reads of the event rows (SENDING.md section 6): the counters of a campaign's or a workspace's
//! analytics over a span, a campaign's counters by local date, and the rows themselves a page at a
//! time.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::analytics::{DayPeriod, EventType, ReportSpan};
use domain::id::{
    CampaignId, EnrolmentId, LeadId, MailboxId, ObjectId, SubsequenceId, WorkspaceId,
};
use domain::listing::PageLimit;
use domain::stats::Stats;

use super::RepositoryError;

/// The counters of the messages of one (sequence, step, variant) of a campaign.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepCounts {
    /// `None`: the main sequence.
    pub subsequence: Option<SubsequenceId>,
    pub step: u32,
    pub variant: Option<String>,
    pub stats: Stats,
}

/// A campaign's counters over a span.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CampaignCounts {
    /// By (subsequence, step, variant), in that order; only those with an event.
    pub steps: Vec<StepCounts>,
    /// Leads whose first `lead.replied` of the campaign is inside the span.
    pub replied_leads: u64,
}

/// A workspace's counters over a span, and its campaigns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WorkspaceCounts {
    pub stats: Stats,
    pub campaigns: u64,
    pub active_campaigns: u64,
}

/// The counters of one local date of a daily report (`unsubscribed` and `delivered` stay 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayCounts {
    /// The date's index in the report's range.
    pub day: u32,
    pub stats: Stats,
}

/// An event row.
#[derive(Debug, Clone, PartialEq)]
pub struct EventView {
    pub id: ObjectId,
    /// The wire name as stored (a kind this version does not know is shown as it is).
    pub kind: String,
    pub campaign: CampaignId,
    pub enrolment: Option<EnrolmentId>,
    pub lead: Option<LeadId>,
    pub mailbox: Option<MailboxId>,
    pub step: Option<u32>,
    pub variant: Option<String>,
    pub subsequence: Option<SubsequenceId>,
    pub message_id: Option<String>,
    pub at: DateTime<Utc>,
    /// The row's JSON data, as stored.
    pub data: Option<String>,
}

/// Which event rows a page holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct EventQuery {
    pub kind: Option<EventType>,
    /// Only rows older than this one (the previous page's last).
    pub before: Option<ObjectId>,
    pub limit: PageLimit,
}

/// One page of a campaign's event rows, newest first.
#[derive(Debug, Clone, PartialEq)]
pub struct EventPage {
    pub events: Vec<EventView>,
    /// How many rows match the filter (not the cursor).
    pub total: u64,
    pub has_more: bool,
}

/// Reads of the event rows. Every count is of FIRST events per message: a message counts once
/// in `opened` however often it was opened, and in a span (or on a date) when its first open is
/// inside it. `sent` counts `email.sent`, `opened` `email.opened`, `clicked` `email.clicked`,
/// `replied` `email.replied`, `bounced` `email.bounced`, `unsubscribed` `email.unsubscribed`;
/// `delivered` the messages sent inside the span that never bounced.
///
/// Tenancy: a campaign of another workspace MUST read as one without events (the use cases check
/// the campaign exists in the workspace first).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait AnalyticsRepository: Send + Sync {
    /// The campaign's counters over `span`, by (subsequence, step, variant), in one set-based read.
    async fn campaign_counts(
        &self,
        workspace: WorkspaceId,
        campaign: CampaignId,
        span: ReportSpan,
    ) -> Result<CampaignCounts, RepositoryError>;

    /// The workspace's counters over `span` (every campaign's), and how many campaigns it has, and
    /// how many of them are `active`.
    async fn workspace_counts(
        &self,
        workspace: WorkspaceId,
        span: ReportSpan,
    ) -> Result<WorkspaceCounts, RepositoryError>;

    /// The campaign's counters by local date: an event's date is the day index its first-per-
    /// message instant has in `periods` (see [`DayPeriod`]); instants outside them count nowhere.
    /// Only dates with a count are answered, in order.
    async fn daily_counts(
        &self,
        workspace: WorkspaceId,
        campaign: CampaignId,
        periods: &[DayPeriod],
    ) -> Result<Vec<DayCounts>, RepositoryError>;

    /// A page of the campaign's event rows, newest (greatest id) first.
    async fn events(
        &self,
        workspace: WorkspaceId,
        campaign: CampaignId,
        query: &EventQuery,
    ) -> Result<EventPage, RepositoryError>;
}

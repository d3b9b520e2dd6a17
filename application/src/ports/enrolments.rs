//! Enrolment storage: the campaign leads of LEADS.md section 4 and the campaign's exact `leadCounts`.
//!
//! Every enrolment write takes its campaign's row lock first (on SQLite: the one writer) and changes
//! the campaign's per-status lead counters in the same transaction, by exactly what it changed; so
//! the counts are exact whenever a transaction commits, and writers of one campaign's enrolments never
//! interleave. A write that changes the counters also moves the campaign's version: what was rendered
//! of it is rendered again, and a campaign write that read it before goes stale (and reads again).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::enrolment::{EnrolmentStatus, LeadAction, StopReason};
use domain::enrolment_request::ActionTarget;
use domain::id::{CampaignId, EnrolmentId, LeadId, MailboxId, SubsequenceId, WorkspaceId};
use domain::lead_listing::LeadFilter;
use domain::listing::PageLimit;
use domain::send_forecast::DueGroup;

use super::RepositoryError;

/// Which leads of the workspace an enrolment chooses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LeadChoice {
    /// These leads (ids of another workspace, or of no lead, are reported as missing).
    Ids(Vec<LeadId>),
    /// Every lead that passes the filter.
    Filter(LeadFilter),
    /// Every lead but these.
    All { exclude: Vec<LeadId> },
}

/// What an enrolment did.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Enrolled {
    /// New enrolments.
    pub added: u64,
    /// Chosen leads that were enrolled already.
    pub skipped: u64,
    /// With [`LeadChoice::Ids`]: the ids that are no lead of the workspace, in the order given.
    pub missing: Vec<LeadId>,
}

/// Why nothing was enrolled.
#[derive(Debug, thiserror::Error)]
pub enum EnrolRefused {
    /// The workspace has no such campaign.
    #[error("campaign not found")]
    CampaignNotFound,
    /// The campaign is archived.
    #[error("the campaign is archived")]
    Archived,
    #[error(transparent)]
    Repository(#[from] RepositoryError),
}

/// The lead an enrolment is for, as an enrolment shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeadSummary {
    pub id: LeadId,
    pub email: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub company_name: Option<String>,
}

/// One sent step of an enrolment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentStep {
    pub step: u32,
    pub variant: Option<String>,
    pub mailbox_id: Option<MailboxId>,
    pub message_id: Option<String>,
    pub sent_at: DateTime<Utc>,
    pub opened_at: Option<DateTime<Utc>>,
    pub clicked_at: Option<DateTime<Utc>>,
    pub replied_at: Option<DateTime<Utc>>,
    pub bounced_at: Option<DateTime<Utc>>,
}

/// An enrolment as stored, its lead's summary and its history joined in: the read model of
/// `GET /v1/campaigns/{id}/leads`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnrolmentView {
    pub id: EnrolmentId,
    pub campaign_id: CampaignId,
    /// `None` once the lead was deleted (the enrolment had sent, so it stays as `removed`).
    pub lead: Option<LeadSummary>,
    pub subsequence_id: Option<SubsequenceId>,
    pub status: EnrolmentStatus,
    pub stop_reason: Option<StopReason>,
    pub current_step: u32,
    pub next_send_at: Option<DateTime<Utc>>,
    pub mailbox_id: Option<MailboxId>,
    pub emails_sent: u32,
    pub last_sent_at: Option<DateTime<Utc>>,
    pub ai_tag: Option<String>,
    /// In step order.
    pub history: Vec<SentStep>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// 0 when inserted, +1 on every write: what [`EnrolmentRepository::update`] compares.
    pub version: i64,
}

/// Which enrolments of a campaign to list, and from where.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EnrolmentQuery {
    pub status: Option<EnrolmentStatus>,
    /// Only enrolments older than this one: the previous page's last id.
    pub before: Option<EnrolmentId>,
    pub limit: PageLimit,
}

/// One page of a campaign's enrolments, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnrolmentPage {
    pub enrolments: Vec<EnrolmentView>,
    /// How many enrolments match the filter (not the cursor).
    pub total: u64,
    pub has_more: bool,
}

/// A lead's enrolment, as `GET /v1/leads/{id}` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeadEnrolment {
    pub campaign_id: CampaignId,
    pub enrolment_id: EnrolmentId,
    pub status: EnrolmentStatus,
}

/// The change `PATCH /v1/campaigns/{id}/leads/{campaignLeadId}` writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnrolmentChange {
    pub campaign: CampaignId,
    pub id: EnrolmentId,
    /// The version the caller read; nothing is written when it moved.
    pub expected_version: i64,
    /// The status it had and the status it takes (counted from one to the other).
    pub status: (EnrolmentStatus, EnrolmentStatus),
    pub ai_tag: Option<String>,
    /// A subsequence its lead joins (a row of its own), unless it is in it already.
    pub join: Option<JoinSubsequence>,
    pub now: DateTime<Utc>,
}

/// A lead joining a subsequence of its campaign: the new enrolment's id, subsequence and status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JoinSubsequence {
    pub id: EnrolmentId,
    pub subsequence: SubsequenceId,
    pub status: EnrolmentStatus,
}

/// Whether a conditional enrolment write happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnrolmentWrite {
    Written,
    /// Nothing was written: the enrolment changed since it was read, or is gone.
    Stale,
}

/// The campaigns' enrolments.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait EnrolmentRepository: Send + Sync {
    /// Enrols the chosen leads of `workspace` in its campaign `campaign`: every chosen lead not
    /// enrolled yet gets a main-sequence enrolment in the status [`EnrolmentStatus::for_new_enrolment`]
    /// gives, with a fresh id in the ObjectId layout, and the campaign's counter of that status grows
    /// by the number added. The leads are taken in batches by id, each batch ONE transaction that reads
    /// the campaign's status under its lock, so that a large enrolment neither holds the campaign
    /// locked nor grows the database's log for its whole length. `Archived` (nothing written) when the
    /// first batch finds the campaign archived; a batch finding it archived or deleted later ends the
    /// enrolment with what the earlier batches added. MUST write a bounded number of statements per
    /// batch, never one per lead. `CampaignNotFound` for another workspace's campaign; leads of
    /// another workspace are never chosen.
    async fn enrol(
        &self,
        workspace: WorkspaceId,
        campaign: CampaignId,
        choice: &LeadChoice,
        now: DateTime<Utc>,
    ) -> Result<Enrolled, EnrolRefused>;

    /// A page of the campaign's enrolments (main and subsequence rows) newest first, each with its
    /// lead's summary and its history; `None` when the workspace has no such campaign.
    async fn list(
        &self,
        workspace: WorkspaceId,
        campaign: CampaignId,
        query: &EnrolmentQuery,
    ) -> Result<Option<EnrolmentPage>, RepositoryError>;

    /// The enrolment `id` of the workspace's campaign `campaign`, or `None`.
    async fn find(
        &self,
        workspace: WorkspaceId,
        campaign: CampaignId,
        id: EnrolmentId,
    ) -> Result<Option<EnrolmentView>, RepositoryError>;

    /// Applies `action` to the targeted enrolments of the campaign as
    /// [`EnrolmentStatus::after_action`] says (`pause`: active → paused; `resume`: paused → active;
    /// `remove`: deleted when it sent nothing, else `removed` with `stopReason: "removed"`), in one
    /// transaction with the counters, in a bounded number of statements. Answers how many enrolments
    /// changed (`None`: the workspace has no such campaign). Ids of another campaign change nothing.
    async fn act(
        &self,
        workspace: WorkspaceId,
        campaign: CampaignId,
        action: LeadAction,
        target: &ActionTarget,
        now: DateTime<Utc>,
    ) -> Result<Option<u64>, RepositoryError>;

    /// Writes `change` when the enrolment is still at `expected_version` (bumping it), moves the
    /// counters from the old status to the new one and adds the subsequence enrolment (unless its
    /// lead is in that subsequence already; then the subsequence's `addedCount` grows by one), all in one
    /// transaction; `Stale` otherwise (nothing written).
    async fn update(
        &self,
        workspace: WorkspaceId,
        change: &EnrolmentChange,
    ) -> Result<EnrolmentWrite, RepositoryError>;

    /// The campaign's enrolments that may still send (`active`, `pending`), counted by sequence, next
    /// step and due quarter hour (`due`: the quarter hour's start, `None` when nothing is planned),
    /// as the database keeps them (migration 18): MUST NOT read the enrolments one by one, so that a
    /// forecast costs the same for 100 or 100,000 of them. Empty for another workspace's campaign.
    async fn due_groups(
        &self,
        workspace: WorkspaceId,
        campaign: CampaignId,
    ) -> Result<Vec<DueGroup>, RepositoryError>;

    /// The enrolments of the workspace's lead `lead`, main-sequence rows only, oldest first.
    async fn of_lead(
        &self,
        workspace: WorkspaceId,
        lead: LeadId,
    ) -> Result<Vec<LeadEnrolment>, RepositoryError>;
}

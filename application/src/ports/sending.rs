//! The sending engine's ledger (SENDING.md sections 2 and 4): claims written before SMTP starts,
//! each (enrolment, step) at most once, within every limit; and what became of each claim.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::campaign::Campaign;
use domain::enrolment::StopReason;
use domain::id::{
    CampaignId, EnrolmentId, LeadId, MailboxId, ObjectId, SubsequenceId, WorkspaceId,
};

use super::RepositoryError;

/// What [`SendLedger::claim`] is asked.
#[derive(Debug, Clone)]
pub struct ClaimRequest {
    /// The campaign as read just before (its sequences, settings, schedule and mailboxes). The
    /// claim re-reads its status under its lock: a campaign paused since claims nothing.
    pub campaign: Campaign,
    /// The process claiming (its unfinished claims are told apart after a crash).
    pub worker: String,
    pub now: DateTime<Utc>,
    /// Ids for the claims, one each: at most this many are claimed.
    pub ids: Vec<ObjectId>,
}

/// The message a follow-up answers (its thread).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EarlierMessage {
    /// Without angle brackets.
    pub message_id: String,
    pub subject: Option<String>,
}

/// One claimed send: the engine builds and sends this email now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimedSend {
    pub id: ObjectId,
    pub workspace: WorkspaceId,
    pub campaign: CampaignId,
    pub enrolment: EnrolmentId,
    pub subsequence: Option<SubsequenceId>,
    pub lead: LeadId,
    /// The position of the email step in its sequence.
    pub step: u32,
    pub variant: Option<String>,
    pub mailbox: MailboxId,
    /// `{claim id}@{mailbox domain}`, without angle brackets.
    pub message_id: String,
    /// The enrolment's latest message, for `In-Reply-To`, `References` and a blank subject.
    pub previous: Option<EarlierMessage>,
    /// 1 for a first claim; one more each time a deferred claim is taken again.
    pub attempts: u32,
}

/// Where an enrolment goes after a send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NextStep {
    /// The email at this position is due at that instant.
    Email { step: u32, due: DateTime<Utc> },
    /// No email is left: the enrolment completes.
    Done,
}

/// What became of a claim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendOutcome {
    /// The server took it: counted as sent and delivered, written into the enrolment's history.
    Sent {
        subject: String,
        reply: String,
        next: NextStep,
    },
    /// Nothing was sent; the claim is taken again from `retry_at` (it counts for no limit meanwhile).
    Deferred {
        reply: String,
        retry_at: DateTime<Utc>,
    },
    /// A permanent refusal: the enrolment stops `bounced`.
    Bounced { subject: String, reply: String },
    /// The server may or may not have taken it (no reply after the data, RFC 1047): recorded
    /// `unknown`, never sent again automatically; the enrolment stays at this step.
    Unknown { subject: String, detail: String },
    /// The mailbox's settings failed (authentication, credentials without TLS): nothing was sent;
    /// the claim is taken again once the mailbox is usable (the engine puts the mailbox in `error`
    /// through [`super::MailboxRepository::record_mailbox_error`]).
    MailboxFailed { error: String },
    /// Nothing was sent and nothing will be: the campaign skips this lead (a secure email gateway,
    /// `stop: seg`). The claim is withdrawn — it counts for no limit and no spacing, as if it had
    /// never been made — and the enrolment stops for `stop`.
    Skipped { stop: StopReason },
    /// Nothing was sent: the enrolment stopped between the claim and SMTP (a reply, a bounce, an
    /// unsubscribe read meanwhile: SENDING.md section 5). The claim is recorded `deferred` (it counts
    /// for no limit); a stopped enrolment is never claimed again, a resumed one takes it again.
    Withdrawn,
}

/// A finished claim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FinishedSend {
    pub claim: ClaimedSend,
    pub at: DateTime<Utc>,
    pub outcome: SendOutcome,
}

/// The sending engine's storage.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait SendLedger: Send + Sync {
    /// The `active` campaigns of every workspace.
    async fn active_campaigns(&self) -> Result<Vec<(WorkspaceId, CampaignId)>, RepositoryError>;

    /// Claims the campaign's due emails, in ONE transaction holding the campaign's lock (and, where
    /// writers run side by side, its mailboxes' locks, so that a mailbox's rolling-day count cannot
    /// move under another campaign's claim): reads its `active` enrolments due at `now` (no planned
    /// time counts as due) whose email is not claimed already, most overdue first; stops (`dnc`)
    /// those whose lead is on the do-not-contact list when the campaign skips DNC; reads every count
    /// the limits need; asks [`domain::dispatch::plan_claims`]; writes a `claimed` row per planned
    /// send (the schema refuses a second row for an (enrolment, step)) with the least-sent variant of
    /// its step; and commits. Nothing when the campaign is not `active` any more or is of another
    /// workspace.
    async fn claim(&self, request: &ClaimRequest) -> Result<Vec<ClaimedSend>, RepositoryError>;

    /// Records what became of each of `finished`, with its enrolment, its counters and the campaign's
    /// `stats`, all in ONE transaction (which locks their campaigns in id order). A claim that is not
    /// `claimed` any more (marked `unknown` meanwhile) is left as it is.
    async fn finish(&self, finished: &[FinishedSend]) -> Result<(), RepositoryError>;

    /// The claims among `claims` whose enrolment is no longer `active` now (stopped by a reply, a
    /// bounce, an unsubscribe or a user after the claim): the engine withdraws them before SMTP.
    /// Reads what is committed; a claim unknown here is not in the answer.
    async fn stopped_claims(&self, claims: &[ObjectId]) -> Result<Vec<ObjectId>, RepositoryError>;

    /// Records that the process `worker` is alive at `at` (wall-clock time).
    async fn heartbeat(&self, worker: &str, at: DateTime<Utc>) -> Result<(), RepositoryError>;

    /// Marks `unknown` (at `at`) every claim still `claimed` by a worker other than `alive` whose
    /// latest heartbeat is before `stale_before` (or that never beat): those processes ended without
    /// saying what became of them (SENDING.md section 4: never re-sent automatically). Answers how
    /// many. On SQLite, where one process sends, the sender passes `stale_before` = now.
    async fn abandon_claims(
        &self,
        alive: &str,
        stale_before: DateTime<Utc>,
        at: DateTime<Utc>,
    ) -> Result<u64, RepositoryError>;
}

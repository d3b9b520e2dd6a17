//! The INBOX reader's storage (SENDING.md section 5): which mailboxes to read, how far each was read,
//! which send a reply or a DSN names, and the effects of a read batch written with its new position.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::id::{
    CampaignId, DncEntryId, EnrolmentId, MailboxId, ObjectId, SubsequenceId, WorkspaceId,
};
use domain::values::EmailAddress;

use super::{InboxPosition, RepositoryError};

/// A mailbox the reader polls (it has IMAP settings).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InboxMailbox {
    pub workspace: WorkspaceId,
    pub mailbox: MailboxId,
}

/// How a message names the send it answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendLookup {
    /// The first of these `Message-ID`s (without angle brackets) that is a send's, in this order.
    MessageIds(Vec<String>),
    /// The latest send to this address claimed at or after `since` (a DSN's `Final-Recipient`).
    RecentRecipient {
        address: EmailAddress,
        since: DateTime<Utc>,
    },
}

/// A send a message was matched to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchedSend {
    pub send: ObjectId,
    pub campaign: CampaignId,
    pub enrolment: EnrolmentId,
    /// The subsequence the send ran in (`None`: the main sequence).
    pub subsequence: Option<SubsequenceId>,
    /// The enrolment's lead's address, while the lead exists.
    pub lead_email: Option<EmailAddress>,
}

/// A reply's effects, as the campaign's settings decide them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplyEffect {
    /// `stopOnReply`: the enrolment stops `replied`.
    pub stop: bool,
    /// `stopOnCompanyReply` and a lead not at a free mail provider: the campaign's other
    /// enrolments of leads at this domain (lowercase) stop `company_reply`.
    pub company_domain: Option<String>,
    /// The campaign's active reply-trigger subsequence the lead joins (a new enrolment), if any.
    pub join: Option<ReplyJoin>,
    /// A short plain-text excerpt of the reply (`replyText` of the events).
    pub excerpt: Option<String>,
    /// The ids of the `email.replied` and `lead.replied` events.
    pub events: [ObjectId; 2],
}

/// The lead's new enrolment in a reply-trigger subsequence, in the status a new enrolment of the
/// campaign takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReplyJoin {
    pub id: EnrolmentId,
    pub subsequence: SubsequenceId,
    pub status: domain::enrolment::EnrolmentStatus,
}

/// What one message of the INBOX does to the send it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InboxEffectKind {
    Reply(ReplyEffect),
    /// `stop`: `stopOnAutoReply` (the enrolment stops `replied`, `auto_reply`); `event`: the id of
    /// the `email.auto_replied` event.
    AutoReply {
        stop: bool,
        event: ObjectId,
    },
    /// A `5.x.x` DSN: `status` as written; the ids of the `email.bounced` and `lead.bounced` events
    /// and of the do-not-contact entry.
    Bounce {
        status: String,
        events: [ObjectId; 2],
        dnc_entry: DncEntryId,
    },
}

/// One message's effect on its send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboxEffect {
    pub send: MatchedSend,
    pub kind: InboxEffectKind,
}

/// Whether a batch's effects and position were written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PositionWrite {
    Written,
    /// The stored position was no longer the one read from: another reader applied these messages
    /// (or others); nothing was written.
    Moved,
}

/// The reader's storage.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait InboxRepository: Send + Sync {
    /// Every mailbox of every workspace with an IMAP host, in id order.
    async fn mailboxes(&self) -> Result<Vec<InboxMailbox>, RepositoryError>;

    /// How far the mailbox's INBOX was read (`None`: never).
    async fn position(&self, mailbox: MailboxId) -> Result<Option<InboxPosition>, RepositoryError>;

    /// The send of `workspace` from `mailbox` that `lookup` names, or `None`.
    ///
    /// Contract: MUST only answer sends of that workspace sent from that mailbox (a reply in one
    /// mailbox never touches another mailbox's or another workspace's send).
    async fn find_send(
        &self,
        workspace: WorkspaceId,
        mailbox: MailboxId,
        lookup: &SendLookup,
    ) -> Result<Option<MatchedSend>, RepositoryError>;

    /// In ONE transaction: moves the mailbox's position from `expected` to `new` (compare-and-set:
    /// when the stored position is not `expected`, nothing at all is written and the answer is
    /// [`PositionWrite::Moved`]), then applies `effects` in order, each at `at`:
    /// - a reply marks the send's first reply (`stats.replied` of the campaign and of the
    ///   subsequence once per message, the history's `repliedAt`), stops the enrolment `replied`
    ///   when `stop` and [`domain::enrolment::EnrolmentStatus::stopped`] allows it, stops the other
    ///   enrolments of the campaign whose lead is at `company_domain` (`company_reply`), enrols the
    ///   lead in `join` (same mailbox as the enrolment, `addedCount` + 1) unless it is in it, and
    ///   writes `email.replied` and `lead.replied` (data `replyText`);
    /// - an auto-reply writes `email.auto_replied` and stops the enrolment (`auto_reply`) when `stop`;
    /// - a bounce marks the send's DSN bounce (`stats.bounced` + 1 and `stats.delivered` − 1 once per
    ///   message, unless SMTP already bounced it), stops the enrolment `bounced`, adds the lead's
    ///   address to the workspace's do-not-contact list (reason `bounce`) and writes `email.bounced`
    ///   and `lead.bounced` (data `bounceStatus`).
    ///
    /// `leadCounts` move by exactly the enrolments whose status changed. An effect whose campaign is
    /// gone is skipped.
    async fn apply(
        &self,
        workspace: WorkspaceId,
        mailbox: MailboxId,
        expected: Option<InboxPosition>,
        new: InboxPosition,
        effects: &[InboxEffect],
        at: DateTime<Utc>,
    ) -> Result<PositionWrite, RepositoryError>;
}

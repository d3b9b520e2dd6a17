//! The INBOX reader (SENDING.md section 5): for each mailbox with IMAP settings, the messages after
//! its stored position are read, each classified (`domain::inbound`), matched to the send it names,
//! and its effects decided from the campaign's settings; the effects and the new position are then
//! written in ONE transaction that moves the position only from the one read (compare-and-set), so
//! two processes reading the same mailbox apply each message once.
//!
//! Time comes only from the [`Clock`] port.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::Duration;
use domain::enrolment::EnrolmentStatus;
use domain::id::{CampaignId, DncEntryId, EnrolmentId, MailboxId, WorkspaceId};
use domain::inbound::{BounceMatch, Inbound, classify, company_domain, subsequence_for_reply};

use crate::ports::{
    CampaignRepository, Clock, IdGenerator, InboundParser, InboxEffect, InboxEffectKind,
    InboxMailbox, InboxRepository, MailboxReader, MatchedSend, PositionWrite, ReadFailure,
    ReplyEffect, ReplyJoin, RepositoryError, SendLookup, VersionedCampaign,
};
use crate::use_cases::mailbox_connections::{MailboxConnections, OpenConnectionsError};

/// At most this many messages read and applied per transaction.
pub const MESSAGES_PER_READ: usize = 100;
/// How far back a DSN's `Final-Recipient` is looked for among the mailbox's sends.
const RECENT_SEND_DAYS: i64 = 7;

/// The ports the reader drives.
#[derive(Clone)]
pub struct ReadMailbox {
    pub inbox: Arc<dyn InboxRepository>,
    pub reader: Arc<dyn MailboxReader>,
    pub parser: Arc<dyn InboundParser>,
    pub campaigns: Arc<dyn CampaignRepository>,
    pub connections: MailboxConnections,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn IdGenerator>,
}

impl std::fmt::Debug for ReadMailbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReadMailbox").finish_non_exhaustive()
    }
}

/// What reading one mailbox did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MailboxRead {
    /// Messages read and applied by this call.
    pub messages: usize,
    /// Of them, those matched to a send and acted upon.
    pub effects: usize,
    /// Whether another reader had moved the position first (nothing of the last batch written).
    pub raced: bool,
}

/// Why a mailbox could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadMailboxError {
    /// The mailbox is gone, has no IMAP login, or its stored password does not open.
    #[error("the mailbox cannot be read: {0}")]
    NotReadable(String),
    /// The IMAP server refused or failed (the detail names no secret).
    #[error(transparent)]
    Imap(#[from] ReadFailure),
    #[error(transparent)]
    Unknown(#[from] RepositoryError),
}

/// What one round over every mailbox did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct InboxReport {
    pub mailboxes: usize,
    pub messages: usize,
    pub effects: usize,
    pub failures: usize,
}

impl ReadMailbox {
    /// Reads every mailbox with IMAP settings once; a mailbox that fails is logged and counted, the
    /// others are read all the same.
    pub async fn round(&self) -> Result<InboxReport, RepositoryError> {
        let mut report = InboxReport::default();
        for InboxMailbox { workspace, mailbox } in self.inbox.mailboxes().await? {
            report.mailboxes += 1;
            match self.read(workspace, mailbox).await {
                Ok(read) => {
                    report.messages += read.messages;
                    report.effects += read.effects;
                }
                Err(ReadMailboxError::Unknown(error)) => return Err(error),
                Err(error) => {
                    report.failures += 1;
                    tracing::warn!(%mailbox, error = %error, "reading a mailbox's INBOX failed");
                }
            }
        }
        Ok(report)
    }

    /// Reads the mailbox's new messages, [`MESSAGES_PER_READ`] per transaction, until none is left.
    pub async fn read(
        &self,
        workspace: WorkspaceId,
        mailbox: MailboxId,
    ) -> Result<MailboxRead, ReadMailboxError> {
        let connection = match self.connections.open(workspace, mailbox).await {
            Ok(opened) => opened.imap_connection().cloned().ok_or_else(|| {
                ReadMailboxError::NotReadable("no IMAP login is configured".to_owned())
            })?,
            Err(OpenConnectionsError::Unknown(error)) => return Err(error.into()),
            Err(error) => return Err(ReadMailboxError::NotReadable(error.to_string())),
        };
        let mut read = MailboxRead::default();
        loop {
            let expected = self.inbox.position(mailbox).await?;
            let batch = self
                .reader
                .read_after(&connection, expected, MESSAGES_PER_READ)
                .await?;
            if batch.messages.is_empty() && Some(batch.position) == expected {
                return Ok(read);
            }
            let mut campaigns = HashMap::new();
            let mut effects = Vec::new();
            for message in &batch.messages {
                let parsed = self.parser.parse(&message.raw);
                if let Some(effect) = self
                    .effect_of(workspace, mailbox, classify(&parsed), &mut campaigns)
                    .await?
                {
                    effects.push(effect);
                }
            }
            let at = self.clock.now();
            let written = self
                .inbox
                .apply(workspace, mailbox, expected, batch.position, &effects, at)
                .await?;
            match written {
                PositionWrite::Written => {
                    read.messages += batch.messages.len();
                    read.effects += effects.len();
                }
                PositionWrite::Moved => {
                    // Another reader applied these; start again from where it left the position.
                    read.raced = true;
                    continue;
                }
            }
            if batch.messages.len() < MESSAGES_PER_READ {
                return Ok(read);
            }
        }
    }

    /// What one classified message does, or `None` (no send of this mailbox named, a `4.x.x` DSN,
    /// a campaign gone).
    async fn effect_of(
        &self,
        workspace: WorkspaceId,
        mailbox: MailboxId,
        inbound: Inbound,
        campaigns: &mut HashMap<CampaignId, Option<VersionedCampaign>>,
    ) -> Result<Option<InboxEffect>, RepositoryError> {
        let lookups = match &inbound {
            Inbound::Transient => return Ok(None),
            Inbound::Reply { thread, .. } | Inbound::AutoReply { thread } => {
                vec![SendLookup::MessageIds(thread.clone())]
            }
            Inbound::Bounce { matched, .. } => self.bounce_lookups(matched),
        };
        let mut found = None;
        for lookup in &lookups {
            if let SendLookup::MessageIds(ids) = lookup
                && ids.is_empty()
            {
                continue;
            }
            found = self.inbox.find_send(workspace, mailbox, lookup).await?;
            if found.is_some() {
                break;
            }
        }
        let Some(send) = found else {
            return Ok(None);
        };
        if let std::collections::hash_map::Entry::Vacant(entry) = campaigns.entry(send.campaign) {
            entry.insert(self.campaigns.find(workspace, send.campaign).await?);
        }
        let Some(Some(campaign)) = campaigns.get(&send.campaign) else {
            return Ok(None);
        };
        let campaign = &campaign.campaign;
        let settings = campaign.settings();
        let kind = match inbound {
            Inbound::Transient => return Ok(None),
            Inbound::Reply { excerpt, .. } => InboxEffectKind::Reply(ReplyEffect {
                stop: settings.stop_on_reply(),
                company_domain: settings
                    .stop_on_company_reply()
                    .then(|| send.lead_email.as_ref().and_then(company_domain))
                    .flatten(),
                join: self.reply_join(campaign, &send),
                excerpt,
                events: [self.ids.new_id(), self.ids.new_id()],
            }),
            Inbound::AutoReply { .. } => InboxEffectKind::AutoReply {
                stop: settings.stop_on_auto_reply(),
                event: self.ids.new_id(),
            },
            Inbound::Bounce { status, .. } => InboxEffectKind::Bounce {
                status,
                events: [self.ids.new_id(), self.ids.new_id()],
                dnc_entry: DncEntryId::from(self.ids.new_id()),
            },
        };
        Ok(Some(InboxEffect { send, kind }))
    }

    /// A DSN's lookups in the spec's order: the quoted original, its thread, its failed address
    /// among the mailbox's sends of the last 7 days.
    fn bounce_lookups(&self, matched: &BounceMatch) -> Vec<SendLookup> {
        let mut lookups = Vec::new();
        if let Some(original) = &matched.original {
            lookups.push(SendLookup::MessageIds(vec![original.clone()]));
        }
        lookups.push(SendLookup::MessageIds(matched.thread.clone()));
        if let Some(address) = &matched.final_recipient {
            lookups.push(SendLookup::RecentRecipient {
                address: address.clone(),
                since: self.clock.now() - Duration::days(RECENT_SEND_DAYS),
            });
        }
        lookups
    }

    /// The reply-trigger subsequence the lead of a main-sequence send joins, if the campaign has an
    /// active one and takes new enrolments.
    fn reply_join(
        &self,
        campaign: &domain::campaign::Campaign,
        send: &MatchedSend,
    ) -> Option<ReplyJoin> {
        if send.subsequence.is_some() {
            return None;
        }
        let subsequence = subsequence_for_reply(campaign.subsequences())?;
        let status = EnrolmentStatus::for_new_enrolment(campaign.status()).ok()?;
        Some(ReplyJoin {
            id: EnrolmentId::from(self.ids.new_id()),
            subsequence,
            status,
        })
    }
}

//! Which due sends may go now, and from which mailbox (SENDING.md section 2, "Limits" and "Who
//! sends"). Pure: the engine reads the counts inside the transaction that claims, asks
//! [`plan_claims`], and writes what it answers in the same transaction, so that no other claimer
//! can move a count in between.
//!
//! The limits:
//! - a mailbox sends at most its `dailySendLimit` in any rolling 24 hours, across campaigns;
//! - a campaign sends at most `settings.dailySendLimit` (when set) per local date;
//! - two sends of one campaign from one mailbox are at least `emailIntervalMinutes` apart.
//!
//! Who sends: the first email of an enrolment takes the usable mailbox this campaign used least
//! recently (round-robin over its mailboxes, and spacing-friendly); with ESP matching a mailbox of
//! the recipient's provider is preferred when one is usable; every later email of an enrolment goes
//! from the mailbox of its first (one thread, one sender), or waits.

use chrono::{DateTime, Duration, Utc};

use crate::id::{EnrolmentId, MailboxId};
use crate::mailbox::MailboxProvider;

/// The two providers whose recipients ESP matching recognises (SENDING.md section 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmailProvider {
    Gmail,
    Outlook,
}

impl EmailProvider {
    /// The provider of an address's domain: `gmail.com` and `googlemail.com` are Gmail; `outlook.com`,
    /// `hotmail.*`, `live.*` and `msn.com` are Outlook; anything else is neither. (A company domain
    /// hosted by Google or Microsoft would need an MX lookup; it counts as neither.)
    pub fn of_domain(domain: &str) -> Option<EmailProvider> {
        let domain = domain.trim_end_matches('.').to_ascii_lowercase();
        let first_label = domain.split('.').next().unwrap_or_default();
        match domain.as_str() {
            "gmail.com" | "googlemail.com" => Some(Self::Gmail),
            "outlook.com" | "msn.com" => Some(Self::Outlook),
            _ if domain.contains('.') && matches!(first_label, "hotmail" | "live") => {
                Some(Self::Outlook)
            }
            _ => None,
        }
    }

    /// The provider a mailbox sends through: Gmail, or Microsoft's (Outlook or Azure).
    pub fn of_mailbox(provider: MailboxProvider) -> Option<EmailProvider> {
        match provider {
            MailboxProvider::Gmail => Some(Self::Gmail),
            MailboxProvider::Outlook | MailboxProvider::Azure => Some(Self::Outlook),
            MailboxProvider::Custom => None,
        }
    }
}

/// One mailbox of the campaign as the claim transaction finds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailboxLoad {
    pub id: MailboxId,
    pub provider: Option<EmailProvider>,
    /// Sending enabled, `active`, SMTP configured.
    pub usable: bool,
    pub daily_limit: u32,
    /// Its claims in the 24 hours before now, every campaign's.
    pub sent_last_day: u32,
    /// This campaign's latest claim from it.
    pub last_campaign_send: Option<DateTime<Utc>>,
}

impl MailboxLoad {
    fn available(&self, now: DateTime<Utc>, interval: Duration) -> bool {
        self.usable
            && self.sent_last_day < self.daily_limit
            && self
                .last_campaign_send
                .is_none_or(|last| now - last >= interval)
    }
}

/// An enrolment whose next email is due.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueSend {
    pub enrolment: EnrolmentId,
    /// The domain of the lead's address.
    pub recipient_domain: String,
    /// The mailbox of the enrolment's earlier emails: a follow-up goes from it or not at all.
    pub thread_mailbox: Option<MailboxId>,
}

/// The campaign's side of the limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CampaignLoad {
    /// `settings.dailySendLimit`.
    pub daily_limit: Option<u32>,
    /// Its claims on the current local date.
    pub sent_today: u32,
    /// `emailIntervalMinutes`.
    pub interval: Duration,
    /// `espMatchingMode: "auto"`.
    pub esp_matching: bool,
}

/// A send to claim: this enrolment's due email, from this mailbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Assignment {
    pub enrolment: EnrolmentId,
    pub mailbox: MailboxId,
}

/// The sends that may be claimed at `now`, taken in the order of `due` (the engine lists the most
/// overdue first), each within every limit counting the ones planned before it. `mailboxes` is in
/// the campaign's order (which breaks ties between mailboxes never used) and is updated with the
/// planned sends, so a caller can plan again with what is left.
pub fn plan_claims(
    now: DateTime<Utc>,
    due: &[DueSend],
    mailboxes: &mut [MailboxLoad],
    campaign: CampaignLoad,
) -> Vec<Assignment> {
    let mut left_today = campaign
        .daily_limit
        .map(|limit| limit.saturating_sub(campaign.sent_today));
    let mut planned = Vec::new();
    for send in due {
        if left_today == Some(0) {
            break;
        }
        let chosen = match send.thread_mailbox {
            Some(thread) => mailboxes.iter().position(|mailbox| {
                mailbox.id == thread && mailbox.available(now, campaign.interval)
            }),
            None => first_email_sender(now, send, mailboxes, campaign),
        };
        let Some(index) = chosen else {
            continue;
        };
        let mailbox = &mut mailboxes[index];
        mailbox.sent_last_day += 1;
        mailbox.last_campaign_send = Some(now);
        left_today = left_today.map(|left| left - 1);
        planned.push(Assignment {
            enrolment: send.enrolment,
            mailbox: mailbox.id,
        });
    }
    planned
}

/// The available mailbox this campaign used least recently, of the recipient's provider when ESP
/// matching finds one.
fn first_email_sender(
    now: DateTime<Utc>,
    send: &DueSend,
    mailboxes: &[MailboxLoad],
    campaign: CampaignLoad,
) -> Option<usize> {
    let least_recent = |wanted: Option<EmailProvider>| {
        mailboxes
            .iter()
            .enumerate()
            .filter(|(_, mailbox)| mailbox.available(now, campaign.interval))
            .filter(|(_, mailbox)| wanted.is_none() || mailbox.provider == wanted)
            // `None` sorts first: a mailbox this campaign never used goes before any used one.
            .min_by_key(|(index, mailbox)| (mailbox.last_campaign_send, *index))
            .map(|(index, _)| index)
    };
    let recipient = campaign
        .esp_matching
        .then(|| EmailProvider::of_domain(&send.recipient_domain))
        .flatten();
    recipient
        .and_then(|provider| least_recent(Some(provider)))
        .or_else(|| least_recent(None))
}

#[cfg(test)]
mod tests;

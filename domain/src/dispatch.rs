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

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Duration, Utc};

use crate::id::{EnrolmentId, MailboxId};
use crate::mailbox::MailboxProvider;

/// The two providers whose recipients ESP matching recognises (SENDING.md section 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
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
///
/// A campaign may have 20,000 mailboxes: a follow-up finds its thread's mailbox by id, and a first
/// email takes the head of an order kept by (last send, position), so a plan costs
/// O((mailboxes + due) log mailboxes), not a pass over every mailbox per send.
pub fn plan_claims(
    now: DateTime<Utc>,
    due: &[DueSend],
    mailboxes: &mut [MailboxLoad],
    campaign: CampaignLoad,
) -> Vec<Assignment> {
    let mut left_today = campaign
        .daily_limit
        .map(|limit| limit.saturating_sub(campaign.sent_today));
    let by_id: HashMap<MailboxId, usize> = mailboxes
        .iter()
        .enumerate()
        .map(|(index, mailbox)| (mailbox.id, index))
        .collect();
    let mut least_recent = LeastRecent::of(mailboxes);
    let mut planned = Vec::new();
    for send in due {
        if left_today == Some(0) {
            break;
        }
        let chosen = match send.thread_mailbox {
            Some(thread) => by_id
                .get(&thread)
                .copied()
                .filter(|index| mailboxes[*index].available(now, campaign.interval)),
            None => least_recent.first_email_sender(now, send, mailboxes, campaign),
        };
        let Some(index) = chosen else {
            continue;
        };
        least_recent.remove(index, &mailboxes[index]);
        let mailbox = &mut mailboxes[index];
        mailbox.sent_last_day += 1;
        mailbox.last_campaign_send = Some(now);
        least_recent.insert(index, mailbox);
        left_today = left_today.map(|left| left - 1);
        planned.push(Assignment {
            enrolment: send.enrolment,
            mailbox: mailbox.id,
        });
    }
    planned
}

/// Where a mailbox stands in the round-robin: this campaign's latest send from it (`None`, never
/// used, sorts first), then its position in the campaign.
type Turn = (Option<DateTime<Utc>>, usize);

/// The campaign's mailboxes in round-robin order, all of them and per provider. A mailbox found
/// unavailable is dropped when met: within one plan it cannot become available again (its counts
/// only grow, its latest send only moves to now).
struct LeastRecent {
    all: BTreeSet<Turn>,
    by_provider: HashMap<EmailProvider, BTreeSet<Turn>>,
}

impl LeastRecent {
    fn of(mailboxes: &[MailboxLoad]) -> LeastRecent {
        let mut order = LeastRecent {
            all: BTreeSet::new(),
            by_provider: HashMap::new(),
        };
        for (index, mailbox) in mailboxes.iter().enumerate() {
            order.insert(index, mailbox);
        }
        order
    }

    fn insert(&mut self, index: usize, mailbox: &MailboxLoad) {
        let turn = (mailbox.last_campaign_send, index);
        self.all.insert(turn);
        if let Some(provider) = mailbox.provider {
            self.by_provider.entry(provider).or_default().insert(turn);
        }
    }

    fn remove(&mut self, index: usize, mailbox: &MailboxLoad) {
        let turn = (mailbox.last_campaign_send, index);
        self.all.remove(&turn);
        if let Some(turns) = mailbox
            .provider
            .and_then(|provider| self.by_provider.get_mut(&provider))
        {
            turns.remove(&turn);
        }
    }

    /// The available mailbox this campaign used least recently, of the recipient's provider when
    /// ESP matching finds one.
    fn first_email_sender(
        &mut self,
        now: DateTime<Utc>,
        send: &DueSend,
        mailboxes: &[MailboxLoad],
        campaign: CampaignLoad,
    ) -> Option<usize> {
        let first_available = |turns: &mut BTreeSet<Turn>| {
            while let Some(&(_, index)) = turns.first() {
                if mailboxes[index].available(now, campaign.interval) {
                    return Some(index);
                }
                turns.pop_first();
            }
            None
        };
        let recipient = campaign
            .esp_matching
            .then(|| EmailProvider::of_domain(&send.recipient_domain))
            .flatten();
        recipient
            .and_then(|provider| self.by_provider.get_mut(&provider))
            .and_then(first_available)
            .or_else(|| first_available(&mut self.all))
    }
}

#[cfg(test)]
mod tests;

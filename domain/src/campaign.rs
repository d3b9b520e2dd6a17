//! The campaign aggregate: what a create request asks for ([`NewCampaign`]) and what exists ([`Campaign`]).

use chrono::{DateTime, Utc};

use crate::enrolment::LeadCounts;
use crate::id::{AgentId, CampaignId, MailboxId, ObjectId, SubsequenceId, UserId, WorkspaceId};
use crate::mailbox::MailboxSelection;
use crate::problem::{JsonPointer, Problems};
use crate::request::CampaignRequest;
use crate::rules::ParseRules;
use crate::schedule::Schedule;
use crate::sequence::{Sequence, SequenceRole};
use crate::settings::{AgentRequest, Settings};
use crate::stats::Stats;
use crate::status::{CampaignStatus, InvalidTransition, LifecycleAction};
use crate::subsequence::{NewSubsequence, Subsequence};
use crate::text::required_trimmed;
use crate::values::WebhookSecret;

/// Still reachable here, where [`StoredCampaign`] uses it, for the callers that name this path.
pub use crate::subsequence::SubsequenceCounters;

pub const MAX_CAMPAIGN_NAME_CHARS: usize = 200;

/// How a campaign rotates through its mailboxes; one strategy today.
pub const MAILBOX_ROTATION: &str = "round-robin";

/// A campaign name: trimmed, 1–200 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CampaignName(String);

impl CampaignName {
    pub fn parse(raw: Option<&str>) -> Result<CampaignName, crate::problem::Invalid> {
        required_trimmed(raw, "name", MAX_CAMPAIGN_NAME_CHARS).map(CampaignName)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Everything a create request decides, valid, before the workspace has been consulted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCampaign {
    name: CampaignName,
    sequence: Sequence,
    subsequences: Vec<NewSubsequence>,
    schedule: Schedule,
    settings: Settings,
    mailbox_selection: MailboxSelection,
}

impl NewCampaign {
    /// Parses a whole request, reporting every problem with its JSON Pointer.
    pub fn parse(request: &CampaignRequest, rules: ParseRules) -> Result<NewCampaign, Problems> {
        let root = JsonPointer::root();
        let mut problems = Problems::new();
        let name = problems.check(
            CampaignName::parse(request.name.as_deref()),
            root.field("name"),
        );
        let sequence = problems.absorb(Sequence::parse(
            request.sequence.as_deref().unwrap_or_default(),
            SequenceRole::Main,
            rules.purpose(),
            &root.field("sequence"),
        ));
        let subsequences = problems.absorb(NewSubsequence::parse_list(
            request.subsequences.as_deref().unwrap_or_default(),
            rules,
            &root.field("subsequences"),
        ));
        let schedule = problems.absorb(Schedule::parse(
            request.schedule.as_ref(),
            &root.field("schedule"),
        ));
        let settings = problems.absorb(Settings::parse(
            request.settings.as_ref(),
            rules,
            &root.field("settings"),
        ));
        let mailbox_selection =
            problems.absorb(MailboxSelection::parse(&request.mailbox_selectors, &root));
        match (
            name,
            sequence,
            subsequences,
            schedule,
            settings,
            mailbox_selection,
        ) {
            (
                Some(name),
                Some(sequence),
                Some(subsequences),
                Some(schedule),
                Some(settings),
                Some(mailbox_selection),
            ) if problems.is_empty() => Ok(NewCampaign {
                name,
                sequence,
                subsequences,
                schedule,
                settings,
                mailbox_selection,
            }),
            _ => Err(problems),
        }
    }

    pub fn name(&self) -> &CampaignName {
        &self.name
    }

    pub fn sequence(&self) -> &Sequence {
        &self.sequence
    }

    pub fn subsequences(&self) -> &[NewSubsequence] {
        &self.subsequences
    }

    pub fn schedule(&self) -> &Schedule {
        &self.schedule
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    pub fn mailbox_selection(&self) -> &MailboxSelection {
        &self.mailbox_selection
    }

    pub fn agent_request(&self) -> AgentRequest {
        self.settings.agent_request()
    }

    /// Whether the webhook is enabled without a secret, so the server must generate one.
    pub fn needs_webhook_secret(&self) -> bool {
        self.settings.needs_webhook_secret()
    }
}

/// What the workspace and the server supply to turn a [`NewCampaign`] into a [`Campaign`].
#[derive(Debug, Clone)]
pub struct Provisions {
    pub id: CampaignId,
    pub workspace_id: WorkspaceId,
    pub user_id: UserId,
    pub now: DateTime<Utc>,
    /// The resolved mailbox list, in selection order.
    pub mailboxes: Vec<MailboxId>,
    /// The agent resolved for the settings' agent request.
    pub ai_agent_id: Option<AgentId>,
    /// A generated secret, used when the webhook is enabled and none was given.
    pub webhook_secret: Option<WebhookSecret>,
}

/// A campaign that exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Campaign {
    id: CampaignId,
    workspace_id: WorkspaceId,
    user_id: UserId,
    name: CampaignName,
    status: CampaignStatus,
    mailboxes: Vec<MailboxId>,
    sequence: Sequence,
    subsequences: Vec<Subsequence>,
    schedule: Schedule,
    settings: Settings,
    stats: Stats,
    lead_counts: LeadCounts,
    started_at: Option<DateTime<Utc>>,
    completed_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl Campaign {
    /// A new campaign in `draft`; `new_subsequence_id` gives each subsequence its id.
    pub fn create(
        new: NewCampaign,
        provisions: Provisions,
        mut new_subsequence_id: impl FnMut() -> ObjectId,
    ) -> Campaign {
        let settings = new
            .settings
            .resolved(provisions.ai_agent_id, provisions.webhook_secret);
        Campaign {
            id: provisions.id,
            workspace_id: provisions.workspace_id,
            user_id: provisions.user_id,
            name: new.name,
            status: CampaignStatus::Draft,
            mailboxes: provisions.mailboxes,
            sequence: new.sequence,
            subsequences: new
                .subsequences
                .into_iter()
                .map(|subsequence| subsequence.into_fresh(new_subsequence_id()))
                .collect(),
            schedule: new.schedule,
            settings,
            stats: Stats::default(),
            lead_counts: LeadCounts::default(),
            started_at: None,
            completed_at: None,
            created_at: provisions.now,
            updated_at: provisions.now,
        }
    }

    pub fn id(&self) -> CampaignId {
        self.id
    }
    pub fn workspace_id(&self) -> WorkspaceId {
        self.workspace_id
    }
    pub fn user_id(&self) -> UserId {
        self.user_id
    }
    pub fn name(&self) -> &CampaignName {
        &self.name
    }
    pub fn status(&self) -> CampaignStatus {
        self.status
    }
    pub fn mailboxes(&self) -> &[MailboxId] {
        &self.mailboxes
    }
    pub fn mailbox_rotation(&self) -> &'static str {
        MAILBOX_ROTATION
    }
    pub fn sequence(&self) -> &Sequence {
        &self.sequence
    }
    pub fn subsequences(&self) -> &[Subsequence] {
        &self.subsequences
    }
    /// The sequence an enrolment of `subsequence` runs (`None`: the main one); `None` when that
    /// subsequence is gone, disabled or archived (its enrolments send nothing).
    pub fn sequence_of(&self, subsequence: Option<SubsequenceId>) -> Option<&Sequence> {
        match subsequence {
            None => Some(&self.sequence),
            Some(id) => self
                .subsequences
                .iter()
                .find(|s| s.id() == id && s.enabled() && !s.archived())
                .map(Subsequence::sequence),
        }
    }
    pub fn schedule(&self) -> &Schedule {
        &self.schedule
    }
    pub fn settings(&self) -> &Settings {
        &self.settings
    }
    pub fn stats(&self) -> Stats {
        self.stats
    }
    pub fn lead_counts(&self) -> LeadCounts {
        self.lead_counts
    }
    pub fn started_at(&self) -> Option<DateTime<Utc>> {
        self.started_at
    }
    pub fn completed_at(&self) -> Option<DateTime<Utc>> {
        self.completed_at
    }
    pub fn created_at(&self) -> DateTime<Utc> {
        self.created_at
    }
    pub fn updated_at(&self) -> DateTime<Utc> {
        self.updated_at
    }
}

/// A campaign as storage holds it: its content in request form (re-parsed on read through the same
/// constructors as a client's request), and what only the server sets.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredCampaign {
    pub id: CampaignId,
    pub workspace_id: WorkspaceId,
    pub user_id: UserId,
    pub status: CampaignStatus,
    /// Name, sequence, subsequences (each with its `_id`), schedule and settings; no mailbox selectors.
    pub content: CampaignRequest,
    /// Counters of the subsequences, by id; a subsequence missing here has zero counters.
    pub subsequence_counters: Vec<SubsequenceCounters>,
    pub mailboxes: Vec<MailboxId>,
    pub stats: Stats,
    pub lead_counts: LeadCounts,
    pub started_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Campaign {
    /// Rebuilds a stored campaign, checking every invariant again. Problems mean the stored data is
    /// corrupt (or was written under rules since tightened).
    pub fn restore(stored: StoredCampaign) -> Result<Campaign, Problems> {
        let new = NewCampaign::parse(&stored.content, ParseRules::stored())?;
        let mut problems = Problems::new();
        let mut subsequences = Vec::with_capacity(new.subsequences.len());
        for (index, subsequence) in new.subsequences.into_iter().enumerate() {
            let Some(id) = subsequence.existing_id() else {
                problems.add(
                    JsonPointer::root()
                        .field("subsequences")
                        .index(index)
                        .field("_id"),
                    crate::problem::ProblemCode::Required,
                    "a stored subsequence needs its _id",
                );
                continue;
            };
            let counters = stored
                .subsequence_counters
                .iter()
                .find(|counters| counters.id == id)
                .copied()
                .unwrap_or(SubsequenceCounters {
                    id,
                    added_count: 0,
                    stats: Stats::default(),
                });
            subsequences.push(subsequence.into_stored(counters));
        }
        problems.into_result(|| Campaign {
            id: stored.id,
            workspace_id: stored.workspace_id,
            user_id: stored.user_id,
            name: new.name,
            status: stored.status,
            mailboxes: stored.mailboxes,
            sequence: new.sequence,
            subsequences,
            schedule: new.schedule,
            settings: new.settings,
            stats: stored.stats,
            lead_counts: stored.lead_counts,
            started_at: stored.started_at,
            completed_at: stored.completed_at,
            created_at: stored.created_at,
            updated_at: stored.updated_at,
        })
    }

    /// The campaign's content in request form: what storage keeps and what an update merges into.
    /// Parsing it with [`ParseRules::stored`] gives this campaign's content back.
    pub fn content(&self) -> CampaignRequest {
        CampaignRequest {
            name: Some(self.name.as_str().to_owned()),
            sequence: Some(self.sequence.to_requests()),
            subsequences: Some(
                self.subsequences
                    .iter()
                    .map(Subsequence::to_request)
                    .collect(),
            ),
            schedule: Some(self.schedule.to_request()),
            settings: Some(self.settings.to_request()),
            mailbox_selectors: Default::default(),
        }
    }

    /// The counters of every subsequence, for storage.
    pub fn subsequence_counters(&self) -> Vec<SubsequenceCounters> {
        self.subsequences
            .iter()
            .map(|subsequence| SubsequenceCounters {
                id: subsequence.id(),
                added_count: subsequence.added_count(),
                stats: subsequence.stats(),
            })
            .collect()
    }
}

/// Why a lifecycle action was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LifecycleError {
    #[error(transparent)]
    Transition(#[from] InvalidTransition),
    /// Starting needs at least one mailbox and one email step; the list says what is missing.
    #[error("cannot start a campaign that has {}", .0.join(" and "))]
    NotReady(Vec<&'static str>),
}

impl Campaign {
    /// Runs a lifecycle action (spec section 3): start is draft|paused → active and needs at least one
    /// mailbox and one email step, setting `startedAt` the first time; pause is active → paused; resume
    /// is paused → active; archive is anything but archived → archived.
    pub fn act(
        mut self,
        action: LifecycleAction,
        now: DateTime<Utc>,
    ) -> Result<Campaign, LifecycleError> {
        let next = self.status.after(action)?;
        if action == LifecycleAction::Start {
            let mut missing = Vec::new();
            if self.mailboxes.is_empty() {
                missing.push("no mailbox");
            }
            if !self.sequence.has_email() {
                missing.push("no email step");
            }
            if !missing.is_empty() {
                return Err(LifecycleError::NotReady(missing));
            }
            self.started_at.get_or_insert(now);
        }
        if next == CampaignStatus::Active {
            // Storage turns the pending enrolments active in the same write (LEADS.md section 4).
            self.lead_counts = self.lead_counts.on_campaign_activated();
        }
        self.status = next;
        self.updated_at = now;
        Ok(self)
    }

    /// This campaign with new content; `subsequence` turns each requested subsequence into a stored one.
    pub(crate) fn with_content(
        mut self,
        content: NewCampaign,
        mailboxes: Vec<MailboxId>,
        ai_agent_id: Option<AgentId>,
        webhook_secret: Option<WebhookSecret>,
        now: DateTime<Utc>,
        subsequence: impl FnMut(NewSubsequence) -> Subsequence,
    ) -> Campaign {
        let settings = content.settings.resolved(ai_agent_id, webhook_secret);
        self.name = content.name;
        self.sequence = content.sequence;
        self.subsequences = content.subsequences.into_iter().map(subsequence).collect();
        self.schedule = content.schedule;
        self.settings = settings;
        self.mailboxes = mailboxes;
        self.updated_at = now;
        self
    }

    /// Only a draft that never started may be deleted.
    pub fn is_deletable(&self) -> bool {
        self.status == CampaignStatus::Draft && self.started_at.is_none()
    }
}

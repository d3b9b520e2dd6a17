//! Updating a campaign (spec section 5): the merged content must satisfy every rule of section 4, and
//! subsequences keep their ids and counters, with a frozen trigger once they have sent.

use chrono::{DateTime, Utc};

use crate::campaign::{Campaign, NewCampaign};
use crate::id::{AgentId, MailboxId, ObjectId};
use crate::problem::{JsonPointer, ProblemCode, Problems};
use crate::request::{CampaignRequest, SubsequenceRequest};
use crate::rules::ParseRules;
use crate::subsequence::Subsequence;
use crate::values::WebhookSecret;

/// Why an update was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UpdateError {
    /// The merged campaign breaks rules of section 4 (every problem, with pointers into the request).
    #[error("{0}")]
    Invalid(Problems),
    /// Archived campaigns are read-only.
    #[error("the campaign is archived and cannot change")]
    ReadOnly,
    /// A subsequence that has sent keeps its trigger: archive it and add a new one instead.
    #[error(
        "subsequence {0} has sent emails, so its trigger cannot change; archive it and add a new one"
    )]
    TriggerFrozen(String),
}

/// A validated update, waiting for the workspace's lookups (mailboxes, agent) to be applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedUpdate {
    content: NewCampaign,
    replaces_mailboxes: bool,
}

impl PlannedUpdate {
    /// The merged content, valid.
    pub fn content(&self) -> &NewCampaign {
        &self.content
    }

    /// Whether the request gave a mailbox selector, so the mailbox list is replaced.
    pub fn replaces_mailboxes(&self) -> bool {
        self.replaces_mailboxes
    }
}

/// What the workspace and the server supply to apply a [`PlannedUpdate`].
#[derive(Debug, Clone)]
pub struct UpdateProvisions {
    pub now: DateTime<Utc>,
    /// The new mailbox list, when the update replaces it.
    pub mailboxes: Option<Vec<MailboxId>>,
    pub ai_agent_id: Option<AgentId>,
    pub webhook_secret: Option<WebhookSecret>,
}

impl Campaign {
    /// Checks an update. `merged` is this campaign's [`Campaign::content`] with the client's changes merged
    /// in (JSON Merge Patch: objects merge, arrays and values replace, `null` resets to the default), plus
    /// the mailbox selectors the client gave. When `subsequences_replaced`, `merged.subsequences` is the
    /// client's list: an entry with an `_id` of this campaign updates that subsequence; a subsequence left
    /// out is removed if it never sent, otherwise kept archived.
    pub fn plan_update(
        &self,
        merged: &CampaignRequest,
        subsequences_replaced: bool,
        rules: ParseRules,
    ) -> Result<PlannedUpdate, UpdateError> {
        if self.status().is_read_only() {
            return Err(UpdateError::ReadOnly);
        }
        let mut request = merged.clone();
        let mut problems = Problems::new();
        if subsequences_replaced {
            let listed = request.subsequences.take().unwrap_or_default();
            request.subsequences = Some(self.reconcile_subsequences(listed, &mut problems));
        }
        let content = problems
            .ahead_of(NewCampaign::parse(&request, rules))
            .map_err(UpdateError::Invalid)?;
        for subsequence in content.subsequences() {
            let Some(existing) = subsequence
                .existing_id()
                .and_then(|id| self.subsequences().iter().find(|old| old.id() == id))
            else {
                continue;
            };
            if existing.has_sent() && existing.trigger() != subsequence.trigger() {
                return Err(UpdateError::TriggerFrozen(existing.id().to_string()));
            }
        }
        Ok(PlannedUpdate {
            content,
            replaces_mailboxes: merged.mailbox_selectors.any_given(),
        })
    }

    /// The client's subsequence list, each `_id` checked against this campaign, followed by the
    /// subsequences it left out that have sent (kept, archived).
    fn reconcile_subsequences(
        &self,
        listed: Vec<SubsequenceRequest>,
        problems: &mut Problems,
    ) -> Vec<SubsequenceRequest> {
        let at = JsonPointer::root().field("subsequences");
        let mut kept_ids = Vec::new();
        for (index, entry) in listed.iter().enumerate() {
            let Some(raw) = entry.id.as_deref() else {
                continue;
            };
            match self
                .subsequences()
                .iter()
                .find(|old| old.id().to_string() == raw)
            {
                Some(old) => kept_ids.push(old.id()),
                None => problems.add(
                    at.index(index).field("_id"),
                    ProblemCode::InvalidValue,
                    format!("_id {raw:?} is not a subsequence of this campaign"),
                ),
            }
        }
        let left_out_that_sent = self
            .subsequences()
            .iter()
            .filter(|old| old.has_sent() && !kept_ids.contains(&old.id()))
            .map(|old| SubsequenceRequest {
                archived: Some(true),
                ..Subsequence::to_request(old)
            });
        listed.into_iter().chain(left_out_that_sent).collect()
    }

    /// Applies a planned update: `updatedAt` moves; `_id`, `status`, `stats`, `createdAt` stay; kept
    /// subsequences keep their counters, new ones get `new_subsequence_id`.
    pub fn apply_update(
        self,
        update: PlannedUpdate,
        provisions: UpdateProvisions,
        mut new_subsequence_id: impl FnMut() -> ObjectId,
    ) -> Campaign {
        let counters = self.subsequence_counters();
        let mailboxes = provisions
            .mailboxes
            .unwrap_or_else(|| self.mailboxes().to_vec());
        self.with_content(
            update.content,
            mailboxes,
            provisions.ai_agent_id,
            provisions.webhook_secret,
            provisions.now,
            |new| match new
                .existing_id()
                .and_then(|id| counters.iter().find(|counters| counters.id == id))
            {
                Some(counters) => new.into_stored(*counters),
                None => new.into_fresh(new_subsequence_id()),
            },
        )
    }
}

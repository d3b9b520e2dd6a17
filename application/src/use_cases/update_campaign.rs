//! Update a campaign (spec section 5): merge the client's changes into what is stored, check the result
//! against every rule of section 4, resolve references like create, and write it only if nobody wrote
//! the campaign since it was read — else read again and redo, so concurrent updates are never lost.

use std::sync::Arc;

use domain::campaign::Campaign;
use domain::campaign_update::{UpdateError, UpdateProvisions};
use domain::id::CampaignId;
use domain::problem::Problems;
use domain::request::CampaignRequest;
use domain::rules::ParseRules;
use domain::values::WebhookHostPolicy;

use super::MAX_WRITE_ATTEMPTS;
use super::campaign_references::{CampaignReferences, Refusal};
use crate::ports::{
    AgentRepository, CampaignRepository, Clock, IdGenerator, MailboxRepository, RepositoryError,
    SecretGenerator, VersionedCampaign, WriteOutcome,
};
use crate::tenancy::Tenancy;

/// A client's changes to a campaign, applied to what is stored.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait CampaignPatch: Send + Sync {
    /// `current` (a campaign's content in request form) with the changes applied, and every problem of
    /// the changes' shape (wrong JSON types, unknown fields), located in the client's body.
    fn apply_to(&self, current: &CampaignRequest) -> (CampaignRequest, Problems);

    /// Whether the changes give a subsequence list, which then replaces the stored one.
    fn replaces_subsequences(&self) -> bool;
}

/// Everything that can go wrong when updating a campaign.
#[derive(Debug, thiserror::Error)]
pub enum UpdateCampaignError {
    /// No such campaign in the workspace.
    #[error("campaign not found")]
    NotFound,
    /// The merged campaign breaks rules of the contract; every problem is listed.
    #[error("{0}")]
    Invalid(Problems),
    /// Only mailbox references are wrong.
    #[error("{0}")]
    MailboxNotFound(Problems),
    /// Only the AI agent reference is wrong.
    #[error("{0}")]
    AgentNotFound(Problems),
    /// The campaign is archived, so read-only.
    #[error("the campaign is archived and read-only")]
    ReadOnly,
    /// A subsequence that has sent was given another trigger.
    #[error("{0}")]
    TriggerFrozen(String),
    /// Other writes to the campaign kept coming first; nothing was written.
    #[error("the campaign kept changing while this update was applied; retry it")]
    Contended,
    #[error(transparent)]
    Unknown(anyhow::Error),
}

impl From<RepositoryError> for UpdateCampaignError {
    fn from(error: RepositoryError) -> Self {
        Self::Unknown(error.into())
    }
}

impl From<Refusal> for UpdateCampaignError {
    fn from(refusal: Refusal) -> Self {
        match refusal {
            Refusal::Invalid(problems) => Self::Invalid(problems),
            Refusal::MailboxNotFound(problems) => Self::MailboxNotFound(problems),
            Refusal::AgentNotFound(problems) => Self::AgentNotFound(problems),
        }
    }
}

/// An updated campaign, and whether this update generated its webhook secret (which the client then
/// sees in full, once, as after create).
#[derive(Debug, Clone)]
pub struct UpdatedCampaign {
    pub campaign: Campaign,
    pub generated_webhook_secret: bool,
}

/// The ports update-campaign needs.
#[derive(Clone)]
pub struct UpdateCampaign {
    pub campaigns: Arc<dyn CampaignRepository>,
    pub mailboxes: Arc<dyn MailboxRepository>,
    pub agents: Arc<dyn AgentRepository>,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn IdGenerator>,
    pub secrets: Arc<dyn SecretGenerator>,
    /// Whether webhooks may target private addresses (`--allow-private-webhooks`).
    pub webhook_hosts: WebhookHostPolicy,
}

impl std::fmt::Debug for UpdateCampaign {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UpdateCampaign")
            .field("webhook_hosts", &self.webhook_hosts)
            .finish_non_exhaustive()
    }
}

impl UpdateCampaign {
    /// Applies `patch` to the campaign `id` of the caller's workspace.
    ///
    /// A write that lost the race is redone on a fresh read. So, once, is a write refused because a
    /// mailbox of its list was deleted after the read or the lookup (`ReferenceGone`): the fresh read
    /// no longer lists it, and a fresh lookup reports an id or address naming it as `MAILBOX_NOT_FOUND`.
    pub async fn execute(
        &self,
        tenancy: Tenancy,
        id: CampaignId,
        patch: &dyn CampaignPatch,
    ) -> Result<UpdatedCampaign, UpdateCampaignError> {
        let mut reference_gone_before = false;
        for _ in 0..MAX_WRITE_ATTEMPTS {
            let Some(VersionedCampaign { campaign, version }) =
                self.campaigns.find(tenancy.workspace_id, id).await?
            else {
                return Err(UpdateCampaignError::NotFound);
            };
            let updated = self.updated(tenancy, campaign, patch).await?;
            match self.campaigns.update(&updated.campaign, version).await {
                Ok(WriteOutcome::Written) => return Ok(updated),
                Ok(WriteOutcome::Stale) => continue,
                Err(RepositoryError::ReferenceGone(_)) if !reference_gone_before => {
                    reference_gone_before = true;
                }
                Err(error) => return Err(error.into()),
            }
        }
        Err(UpdateCampaignError::Contended)
    }

    /// `campaign` with `patch` applied, or why it cannot be.
    async fn updated(
        &self,
        tenancy: Tenancy,
        campaign: Campaign,
        patch: &dyn CampaignPatch,
    ) -> Result<UpdatedCampaign, UpdateCampaignError> {
        let (merged, edge_problems) = patch.apply_to(&campaign.content());
        let planned = match campaign.plan_update(
            &merged,
            patch.replaces_subsequences(),
            ParseRules::update(self.webhook_hosts),
        ) {
            Err(UpdateError::ReadOnly) => return Err(UpdateCampaignError::ReadOnly),
            // A body with shape problems is answered with those, not with a conflict.
            Err(frozen @ UpdateError::TriggerFrozen(_)) if edge_problems.is_empty() => {
                return Err(UpdateCampaignError::TriggerFrozen(frozen.to_string()));
            }
            Err(UpdateError::Invalid(problems)) => Err(problems),
            Err(UpdateError::TriggerFrozen(_)) => Err(Problems::new()),
            Ok(plan) => Ok(plan),
        };
        let planned = edge_problems.ahead_of(planned);

        let references = CampaignReferences {
            mailboxes: self.mailboxes.clone(),
            agents: self.agents.clone(),
        };
        let named = planned.as_ref().ok().map(|plan| {
            let content = plan.content();
            (
                plan.replaces_mailboxes()
                    .then(|| content.mailbox_selection()),
                content.agent_request(),
            )
        });
        let lookups = references.of_request(tenancy, &merged, named).await?;
        let (plan, resolved) = lookups.judge(planned)?;

        let generated_webhook_secret = plan.content().needs_webhook_secret();
        let provisions = UpdateProvisions {
            now: self.clock.now(),
            mailboxes: plan.replaces_mailboxes().then_some(resolved.mailboxes),
            ai_agent_id: resolved.ai_agent_id,
            webhook_secret: generated_webhook_secret.then(|| self.secrets.webhook_secret()),
        };
        Ok(UpdatedCampaign {
            campaign: campaign.apply_update(plan, provisions, || self.ids.new_id()),
            generated_webhook_secret,
        })
    }
}

#[cfg(test)]
mod tests;

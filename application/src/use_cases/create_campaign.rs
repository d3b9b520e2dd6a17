//! Create a campaign (spec section 4): validate everything, resolve mailboxes and the agent in the
//! caller's workspace, and store the campaign in `draft` — or report every problem and store nothing.

use std::sync::Arc;

use domain::campaign::{Campaign, NewCampaign, Provisions};
use domain::id::CampaignId;
use domain::problem::Problems;
use domain::request::CampaignRequest;
use domain::rules::ParseRules;
use domain::values::WebhookHostPolicy;

use super::campaign_references::{CampaignReferences, Refusal};

use crate::ports::{
    AgentRepository, CampaignRepository, Clock, IdGenerator, KeyCompletion, MailboxRepository,
    RepositoryError, SecretGenerator,
};
use crate::tenancy::Tenancy;

/// Everything that can go wrong when creating a campaign.
#[derive(Debug, thiserror::Error)]
pub enum CreateCampaignError {
    /// The request breaks rules of the contract; every problem is listed (not-found references included).
    #[error("{0}")]
    Invalid(Problems),
    /// Only mailbox references are wrong: one problem per id or address that is not a mailbox of the workspace.
    #[error("{0}")]
    MailboxNotFound(Problems),
    /// Only the AI agent reference is wrong.
    #[error("{0}")]
    AgentNotFound(Problems),
    #[error(transparent)]
    Unknown(anyhow::Error),
}

impl From<Refusal> for CreateCampaignError {
    fn from(refusal: Refusal) -> Self {
        match refusal {
            Refusal::Invalid(problems) => Self::Invalid(problems),
            Refusal::MailboxNotFound(problems) => Self::MailboxNotFound(problems),
            Refusal::AgentNotFound(problems) => Self::AgentNotFound(problems),
        }
    }
}

impl From<RepositoryError> for CreateCampaignError {
    fn from(error: RepositoryError) -> Self {
        Self::Unknown(error.into())
    }
}

/// The ports create-campaign needs.
#[derive(Clone)]
pub struct CreateCampaign {
    pub campaigns: Arc<dyn CampaignRepository>,
    pub mailboxes: Arc<dyn MailboxRepository>,
    pub agents: Arc<dyn AgentRepository>,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn IdGenerator>,
    pub secrets: Arc<dyn SecretGenerator>,
    /// Whether webhooks may target private addresses (`--allow-private-webhooks`).
    pub webhook_hosts: WebhookHostPolicy,
}

impl std::fmt::Debug for CreateCampaign {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreateCampaign")
            .field("webhook_hosts", &self.webhook_hosts)
            .finish_non_exhaustive()
    }
}

impl CreateCampaign {
    /// Creates the campaign `request` describes. `edge_problems` are what the edge already found while
    /// reading the body (wrong JSON types, unknown fields); any of them makes the request invalid, and
    /// they are reported together with the rest.
    ///
    /// A mailbox deleted between the lookup and the insert makes the insert fail (`ReferenceGone`);
    /// then the request is judged again, once, on a fresh lookup: an id or address naming the deleted
    /// mailbox is now `MAILBOX_NOT_FOUND`, and a tag or provider selector simply no longer selects it.
    pub async fn execute(
        &self,
        tenancy: Tenancy,
        request: &CampaignRequest,
        edge_problems: Problems,
    ) -> Result<Campaign, CreateCampaignError> {
        self.create(tenancy, request, edge_problems, None).await
    }

    /// [`execute`](Self::execute) for a request holding an idempotency key: the campaign is stored
    /// with `answer`'s completion of the key (its answer rendered from the campaign), in one
    /// transaction, so a crash can never leave the campaign stored and its key still pending.
    pub async fn execute_answering(
        &self,
        tenancy: Tenancy,
        request: &CampaignRequest,
        edge_problems: Problems,
        answer: &(dyn Fn(&Campaign) -> KeyCompletion + Sync),
    ) -> Result<Campaign, CreateCampaignError> {
        self.create(tenancy, request, edge_problems, Some(answer))
            .await
    }

    async fn create(
        &self,
        tenancy: Tenancy,
        request: &CampaignRequest,
        edge_problems: Problems,
        answer: Option<&(dyn Fn(&Campaign) -> KeyCompletion + Sync)>,
    ) -> Result<Campaign, CreateCampaignError> {
        let campaign = self
            .campaign_of(tenancy, request, edge_problems.clone())
            .await?;
        match self.store(&campaign, answer).await {
            Ok(()) => Ok(campaign),
            Err(RepositoryError::ReferenceGone(_)) => {
                let campaign = self.campaign_of(tenancy, request, edge_problems).await?;
                self.store(&campaign, answer).await?;
                Ok(campaign)
            }
            Err(error) => Err(error.into()),
        }
    }

    async fn store(
        &self,
        campaign: &Campaign,
        answer: Option<&(dyn Fn(&Campaign) -> KeyCompletion + Sync)>,
    ) -> Result<(), RepositoryError> {
        match answer {
            Some(answer) => {
                self.campaigns
                    .insert_answering(campaign, &answer(campaign))
                    .await
            }
            None => self.campaigns.insert(campaign).await,
        }
    }

    /// The campaign `request` describes, its references looked up now; or every problem.
    async fn campaign_of(
        &self,
        tenancy: Tenancy,
        request: &CampaignRequest,
        edge_problems: Problems,
    ) -> Result<Campaign, CreateCampaignError> {
        let parsed = edge_problems.ahead_of(NewCampaign::parse(
            request,
            ParseRules::create(self.webhook_hosts),
        ));

        let named = parsed
            .as_ref()
            .ok()
            .map(|new| (Some(new.mailbox_selection()), new.agent_request()));
        let lookups = self
            .references()
            .of_request(tenancy, request, named)
            .await?;
        let (new, resolved) = lookups.judge(parsed).map_err(CreateCampaignError::from)?;

        let webhook_secret = new
            .needs_webhook_secret()
            .then(|| self.secrets.webhook_secret());
        let provisions = Provisions {
            id: CampaignId::from(self.ids.new_id()),
            workspace_id: tenancy.workspace_id,
            user_id: tenancy.user_id,
            now: self.clock.now(),
            mailboxes: resolved.mailboxes,
            ai_agent_id: resolved.ai_agent_id,
            webhook_secret,
        };
        Ok(Campaign::create(new, provisions, || self.ids.new_id()))
    }

    fn references(&self) -> CampaignReferences {
        CampaignReferences {
            mailboxes: self.mailboxes.clone(),
            agents: self.agents.clone(),
        }
    }
}

#[cfg(test)]
mod tests;

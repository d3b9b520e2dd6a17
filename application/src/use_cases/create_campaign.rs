//! Create a campaign (spec section 4): validate everything, resolve mailboxes and the agent in the
//! caller's workspace, and store the campaign in `draft` — or report every problem and store nothing.

use std::sync::Arc;

use domain::campaign::{Campaign, NewCampaign, Provisions};
use domain::id::{AgentId, CampaignId, MailboxId};
use domain::mailbox::MailboxSelection;
use domain::problem::{JsonPointer, ProblemCode, Problems};
use domain::request::CampaignRequest;
use domain::rules::ParseRules;
use domain::settings::AgentRequest;
use domain::values::WebhookHostPolicy;

use crate::ports::{
    AgentRepository, CampaignRepository, Clock, IdGenerator, MailboxRepository, RepositoryError,
    SecretGenerator,
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
    pub async fn execute(
        &self,
        tenancy: Tenancy,
        request: &CampaignRequest,
        edge_problems: Problems,
    ) -> Result<Campaign, CreateCampaignError> {
        let parsed = NewCampaign::parse(request, ParseRules::create(self.webhook_hosts));
        let parsed = if edge_problems.is_empty() {
            parsed
        } else {
            Err(edge_problems.followed_by(parsed.err().unwrap_or_default()))
        };

        // References are looked up even when the request is otherwise invalid, so that one answer lists
        // every problem. A selector that does not parse has its problem in `parsed` already; the others are
        // still looked up.
        let reparsed_selection;
        let (selection, agent_request) = match &parsed {
            Ok(new) => (Some(new.mailbox_selection()), Some(new.agent_request())),
            Err(_) => {
                reparsed_selection = MailboxSelection::parse_partial(
                    &request.mailbox_selectors,
                    &JsonPointer::root(),
                )
                .0;
                (
                    Some(&reparsed_selection),
                    AgentRequest::of_request(request.settings.as_ref()),
                )
            }
        };
        let mailboxes = self.resolve_mailboxes(tenancy, selection).await?;
        let agent = self.resolve_agent(tenancy, agent_request).await?;

        let (new, mailboxes, ai_agent_id) = match (parsed, mailboxes, agent) {
            (Ok(new), Ok(mailboxes), Ok(agent)) => (new, mailboxes, agent),
            (Ok(_), Err(missing), Ok(_)) => {
                return Err(CreateCampaignError::MailboxNotFound(missing));
            }
            (Ok(_), Ok(_), Err(missing)) => {
                return Err(CreateCampaignError::AgentNotFound(missing));
            }
            (parsed, mailboxes, agent) => {
                let mut problems = parsed.err().unwrap_or_default();
                problems.extend(mailboxes.err().unwrap_or_default());
                problems.extend(agent.err().unwrap_or_default());
                return Err(CreateCampaignError::Invalid(problems));
            }
        };

        let webhook_secret = new
            .needs_webhook_secret()
            .then(|| self.secrets.webhook_secret());
        let provisions = Provisions {
            id: CampaignId::from(self.ids.new_id()),
            workspace_id: tenancy.workspace_id,
            user_id: tenancy.user_id,
            now: self.clock.now(),
            mailboxes,
            ai_agent_id,
            webhook_secret,
        };
        let campaign = Campaign::create(new, provisions, || self.ids.new_id());
        self.campaigns.insert(&campaign).await?;
        Ok(campaign)
    }

    /// The campaign's mailbox list, or a problem per missing id or address. No selection (or one that
    /// did not parse) resolves to nothing without a lookup.
    async fn resolve_mailboxes(
        &self,
        tenancy: Tenancy,
        selection: Option<&MailboxSelection>,
    ) -> Result<Result<Vec<MailboxId>, Problems>, RepositoryError> {
        let Some(selection) = selection.filter(|selection| !selection.is_empty()) else {
            return Ok(Ok(Vec::new()));
        };
        let candidates = self
            .mailboxes
            .candidates(tenancy.workspace_id, selection)
            .await?;
        Ok(selection.resolve(&candidates))
    }

    /// The agent the campaign will use, or the problem of a missing one.
    async fn resolve_agent(
        &self,
        tenancy: Tenancy,
        request: Option<AgentRequest>,
    ) -> Result<Result<Option<AgentId>, Problems>, RepositoryError> {
        let settings = JsonPointer::root().field("settings");
        match request {
            None | Some(AgentRequest::None) => Ok(Ok(None)),
            Some(AgentRequest::Specific(agent)) => {
                if self.agents.exists(tenancy.workspace_id, agent).await? {
                    Ok(Ok(Some(agent)))
                } else {
                    let mut problems = Problems::new();
                    problems.add(
                        settings.field("aiAgentId"),
                        ProblemCode::AgentNotFound,
                        format!("agent {agent} is not an agent of this workspace"),
                    );
                    Ok(Err(problems))
                }
            }
            Some(AgentRequest::WorkspaceDefault) => {
                match self.agents.default_agent(tenancy.workspace_id).await? {
                    Some(agent) => Ok(Ok(Some(agent))),
                    None => {
                        let mut problems = Problems::new();
                        problems.add(
                            settings.field("aiAgentEnabled"),
                            ProblemCode::AgentNotFound,
                            "aiAgentEnabled is true without an aiAgentId, and this workspace has no agent to default to",
                        );
                        Ok(Err(problems))
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;

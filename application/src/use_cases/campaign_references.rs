//! What a campaign request names in its workspace (mailboxes, an AI agent), looked up; shared by create
//! and update, which report reference problems the same way.

use std::sync::Arc;

use domain::id::{AgentId, MailboxId};
use domain::mailbox::MailboxSelection;
use domain::problem::{JsonPointer, ProblemCode, Problems};
use domain::request::CampaignRequest;
use domain::settings::AgentRequest;

use crate::ports::{AgentRepository, MailboxRepository, RepositoryError};
use crate::tenancy::Tenancy;

/// Why a campaign request was refused, in the three kinds the contract tells apart.
#[derive(Debug)]
pub(crate) enum Refusal {
    /// Rules are broken; every problem is listed (not-found references included).
    Invalid(Problems),
    /// Only mailbox references are wrong.
    MailboxNotFound(Problems),
    /// Only the AI agent reference is wrong.
    AgentNotFound(Problems),
}

/// The references of a request, resolved.
#[derive(Debug)]
pub(crate) struct Resolved {
    /// The mailbox list the selection gives (empty when there was no selection).
    pub mailboxes: Vec<MailboxId>,
    pub ai_agent_id: Option<AgentId>,
}

/// The outcome of the lookups, each a value or the problems of what was not found.
#[derive(Debug)]
pub(crate) struct Lookups {
    mailboxes: Result<Vec<MailboxId>, Problems>,
    agent: Result<Option<AgentId>, Problems>,
}

impl Lookups {
    /// Joins the lookups to the request's own parse: `parsed` and the references resolved, or the refusal
    /// that lists every problem (a request wrong only in its references gets that reference's errorCode).
    pub(crate) fn judge<T>(self, parsed: Result<T, Problems>) -> Result<(T, Resolved), Refusal> {
        match (parsed, self.mailboxes, self.agent) {
            (Ok(parsed), Ok(mailboxes), Ok(ai_agent_id)) => Ok((
                parsed,
                Resolved {
                    mailboxes,
                    ai_agent_id,
                },
            )),
            (Ok(_), Err(missing), Ok(_)) => Err(Refusal::MailboxNotFound(missing)),
            (Ok(_), Ok(_), Err(missing)) => Err(Refusal::AgentNotFound(missing)),
            (parsed, mailboxes, agent) => {
                let mut problems = parsed.err().unwrap_or_default();
                problems.extend(mailboxes.err().unwrap_or_default());
                problems.extend(agent.err().unwrap_or_default());
                Err(Refusal::Invalid(problems))
            }
        }
    }
}

/// Looks references up in the caller's workspace.
#[derive(Clone)]
pub(crate) struct CampaignReferences {
    pub mailboxes: Arc<dyn MailboxRepository>,
    pub agents: Arc<dyn AgentRepository>,
}

impl CampaignReferences {
    /// Looks up what `request` names. `parsed` is the mailbox selection (when the request replaces the
    /// mailbox list) and agent request of a request that parsed; `None` when it did not, and then each
    /// mailbox selector that parses and the agent of well-formed settings are looked up anyway, so one
    /// answer lists every problem.
    pub(crate) async fn of_request(
        &self,
        tenancy: Tenancy,
        request: &CampaignRequest,
        parsed: Option<(Option<&MailboxSelection>, AgentRequest)>,
    ) -> Result<Lookups, RepositoryError> {
        match parsed {
            Some((selection, agent)) => self.look_up(tenancy, selection, Some(agent)).await,
            None => {
                let (selection, _already_reported) = MailboxSelection::parse_partial(
                    &request.mailbox_selectors,
                    &JsonPointer::root(),
                );
                let agent = AgentRequest::of_request(request.settings.as_ref());
                self.look_up(tenancy, Some(&selection), agent).await
            }
        }
    }

    /// Looks up `selection` (none, or an empty one, resolves to no mailbox without a lookup) and `agent`.
    async fn look_up(
        &self,
        tenancy: Tenancy,
        selection: Option<&MailboxSelection>,
        agent: Option<AgentRequest>,
    ) -> Result<Lookups, RepositoryError> {
        Ok(Lookups {
            mailboxes: self.resolve_mailboxes(tenancy, selection).await?,
            agent: self.resolve_agent(tenancy, agent).await?,
        })
    }

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

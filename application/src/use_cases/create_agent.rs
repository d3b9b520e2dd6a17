//! Create an AI reply agent (`POST /v1/agents`): at most three per workspace, the first is the default.

use std::sync::Arc;

use domain::agent::{Agent, AgentFields, MAX_AGENTS_PER_WORKSPACE};
use domain::id::AgentId;
use domain::problem::Problems;
use domain::request::AgentRequest;

use crate::ports::{AgentInsertError, AgentRepository, Clock, IdGenerator};
use crate::tenancy::Tenancy;

#[derive(Debug, thiserror::Error)]
pub enum CreateAgentError {
    #[error("{0}")]
    Invalid(Problems),
    #[error("a workspace has at most {MAX_AGENTS_PER_WORKSPACE} agents")]
    LimitReached,
    #[error(transparent)]
    Unknown(anyhow::Error),
}

#[derive(Clone)]
pub struct CreateAgent {
    pub agents: Arc<dyn AgentRepository>,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn IdGenerator>,
}

impl std::fmt::Debug for CreateAgent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreateAgent").finish_non_exhaustive()
    }
}

impl CreateAgent {
    /// `edge_problems` are what the edge found while reading the body; any of them makes it invalid.
    pub async fn execute(
        &self,
        tenancy: Tenancy,
        request: &AgentRequest,
        edge_problems: Problems,
    ) -> Result<Agent, CreateAgentError> {
        // Problems found at the edge (JSON types, unknown fields) come first; the rest follow.
        let fields = edge_problems
            .ahead_of(AgentFields::parse(request))
            .map_err(CreateAgentError::Invalid)?;
        let inserted = self
            .agents
            .insert(
                AgentId::from(self.ids.new_id()),
                tenancy.workspace_id,
                &fields,
                self.clock.now(),
                MAX_AGENTS_PER_WORKSPACE,
            )
            .await;
        match inserted {
            Ok(agent) => Ok(agent),
            Err(AgentInsertError::LimitReached(_)) => Err(CreateAgentError::LimitReached),
            Err(AgentInsertError::Repository(error)) => {
                Err(CreateAgentError::Unknown(error.into()))
            }
        }
    }
}

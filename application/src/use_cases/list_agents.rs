//! List the workspace's AI reply agents (`GET /v1/agents`).

use std::sync::Arc;

use domain::agent::Agent;

use crate::ports::{AgentRepository, RepositoryError};
use crate::tenancy::Tenancy;

#[derive(Clone)]
pub struct ListAgents {
    pub agents: Arc<dyn AgentRepository>,
}

impl std::fmt::Debug for ListAgents {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ListAgents").finish_non_exhaustive()
    }
}

impl ListAgents {
    /// Every agent of the caller's workspace, oldest (the default) first. A workspace has at most
    /// three, so there is no paging.
    pub async fn execute(&self, tenancy: Tenancy) -> Result<Vec<Agent>, RepositoryError> {
        self.agents.list(tenancy.workspace_id).await
    }
}

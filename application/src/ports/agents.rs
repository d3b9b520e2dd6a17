//! AI reply agent storage.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::agent::{Agent, AgentFields};
use domain::id::{AgentId, WorkspaceId};

use super::RepositoryError;

/// Why an agent was not stored.
#[derive(Debug, thiserror::Error)]
pub enum AgentInsertError {
    /// The workspace already has the most agents it may have; carries how many it has.
    #[error("the workspace already has {0} agents")]
    LimitReached(usize),
    #[error(transparent)]
    Repository(#[from] RepositoryError),
}

/// The workspace's AI reply agents.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait AgentRepository: Send + Sync {
    /// Stores a new agent of `workspace` unless it already has `limit` agents, atomically (two concurrent
    /// inserts never exceed the limit). The workspace's first agent is its default. Returns the stored agent.
    async fn insert(
        &self,
        id: AgentId,
        workspace: WorkspaceId,
        fields: &AgentFields,
        created_at: DateTime<Utc>,
        limit: usize,
    ) -> Result<Agent, AgentInsertError>;

    /// The workspace's agents, oldest first.
    async fn list(&self, workspace: WorkspaceId) -> Result<Vec<Agent>, RepositoryError>;

    /// Whether `agent` is an agent of `workspace`. MUST be false for another workspace's agent.
    async fn exists(&self, workspace: WorkspaceId, agent: AgentId)
    -> Result<bool, RepositoryError>;

    /// The workspace's default agent, or `None` when it has no agent.
    async fn default_agent(
        &self,
        workspace: WorkspaceId,
    ) -> Result<Option<AgentId>, RepositoryError>;
}

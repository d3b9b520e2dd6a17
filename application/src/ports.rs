//! The ports the use cases drive. Each doc comment is the contract every adapter must keep; the adapters'
//! contract suite tests it on every backend.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::campaign::Campaign;
use domain::id::{AgentId, ObjectId, WorkspaceId};
use domain::mailbox::{MailboxSelection, MailboxSummary};
use domain::values::WebhookSecret;

/// A storage failure the use case cannot fix; the edge answers it with an opaque 500.
#[derive(Debug, thiserror::Error)]
pub enum RepositoryError {
    /// A uniqueness rule of the store refused the write.
    #[error("conflict: {0}")]
    Conflict(String),
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

/// Campaigns and everything they own (subsequences, mailbox links).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait CampaignRepository: Send + Sync {
    /// Stores a new campaign with its subsequences and mailbox links in one transaction: either all of it
    /// is written or none of it. MUST NOT be visible from any workspace but the campaign's own.
    async fn insert(&self, campaign: &Campaign) -> Result<(), RepositoryError>;
}

/// A lookup failure of a directory port.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct DirectoryError(#[from] pub anyhow::Error);

/// The workspace's sending mailboxes, as far as campaigns need to select them.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait MailboxDirectory: Send + Sync {
    /// Every mailbox of `workspace` that any selector of `selection` matches: by id, by address
    /// (case-insensitively), by any tag (case-insensitively) or by provider. MAY return more mailboxes of
    /// the workspace, never fewer; MUST NOT return a mailbox of another workspace (another workspace's id
    /// behaves exactly like an id that does not exist).
    async fn candidates(
        &self,
        workspace: WorkspaceId,
        selection: &MailboxSelection,
    ) -> Result<Vec<MailboxSummary>, DirectoryError>;
}

/// The workspace's AI reply agents.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait AgentDirectory: Send + Sync {
    /// Whether `agent` is an agent of `workspace`. MUST be false for another workspace's agent.
    async fn exists(&self, workspace: WorkspaceId, agent: AgentId) -> Result<bool, DirectoryError>;

    /// The workspace's default agent (its first), or `None` when it has no agent.
    async fn default_agent(
        &self,
        workspace: WorkspaceId,
    ) -> Result<Option<AgentId>, DirectoryError>;
}

/// The current time.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait Clock: Send + Sync {
    /// Now, in UTC, to the millisecond at least.
    fn now(&self) -> DateTime<Utc>;
}

/// New resource ids.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait IdGenerator: Send + Sync {
    /// A fresh id in the ObjectId layout; ids from one generator increase.
    fn new_id(&self) -> ObjectId;
}

/// Secrets the server makes for its users.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait SecretGenerator: Send + Sync {
    /// A webhook signing secret (`whsec_` + 64 hex) from a cryptographically secure source.
    fn webhook_secret(&self) -> WebhookSecret;
}

//! The ports the use cases drive. Each doc comment is the contract every adapter must keep; the adapters'
//! contract suite tests it on every backend.
//!
//! Tenancy is part of every contract: a method that takes a workspace MUST behave, for anything of
//! another workspace, exactly as if it did not exist.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::agent::{Agent, AgentFields};
use domain::campaign::Campaign;
use domain::id::{AgentId, CampaignId, MailboxId, ObjectId, UserId, WorkspaceId};
use domain::identity::{ApiKey, ApiKeyKind, ApiKeySecret, KeyHash, Role, User, Workspace};
use domain::listing::{NameSearch, PageLimit};
use domain::mailbox::{Mailbox, MailboxSelection, MailboxSummary};
use domain::status::CampaignStatus;
use domain::values::{EmailAddress, WebhookSecret};

/// A storage failure.
#[derive(Debug, thiserror::Error)]
pub enum RepositoryError {
    /// A uniqueness rule refused the write (the message names the rule, never SQL).
    #[error("conflict: {0}")]
    Conflict(String),
    /// Anything else; the edge logs it and answers an opaque 500.
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

/// A campaign's version: every write bumps it, so a writer can tell whether what it read is still what
/// is stored (optimistic concurrency).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version(pub i64);

/// A stored campaign and the version it was read at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionedCampaign {
    pub campaign: Campaign,
    pub version: Version,
}

/// Whether a conditional write happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteOutcome {
    Written,
    /// Nothing was written: the campaign changed since it was read (or is gone).
    Stale,
}

/// Which campaigns of a workspace to list, and from where.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CampaignQuery {
    pub status: Option<CampaignStatus>,
    pub name: Option<NameSearch>,
    /// Only campaigns older than this one (ids sort by creation time): the previous page's last id.
    pub before: Option<CampaignId>,
    pub limit: PageLimit,
}

/// One page of campaigns, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CampaignPage {
    pub campaigns: Vec<Campaign>,
    /// How many campaigns match the filters (status, name), on every page alike.
    pub total: u64,
    /// Whether campaigns older than the last one of this page match too.
    pub has_more: bool,
}

/// Campaigns and everything they own (subsequences, mailbox links).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait CampaignRepository: Send + Sync {
    /// Stores a new campaign with its subsequences and mailbox links in one transaction: either all of it
    /// is written or none of it.
    async fn insert(&self, campaign: &Campaign) -> Result<(), RepositoryError>;

    /// The campaign `id` of `workspace`, re-parsed through the domain's constructors, with its version;
    /// `None` when there is none (or it belongs to another workspace).
    async fn find(
        &self,
        workspace: WorkspaceId,
        id: CampaignId,
    ) -> Result<Option<VersionedCampaign>, RepositoryError>;

    /// The workspace's campaigns that match `query`, newest first (descending id), at most
    /// `query.limit` of them. Campaigns created while a client pages through never shift the pages it
    /// has not read yet, because `before` is an id, not an offset.
    async fn list(
        &self,
        workspace: WorkspaceId,
        query: &CampaignQuery,
    ) -> Result<CampaignPage, RepositoryError>;

    /// Replaces the stored campaign `campaign.id()` of `campaign.workspace_id()` (row, subsequences and
    /// mailbox links) in one transaction, only if its version is still `expected`, and bumps the version.
    /// `Stale` (nothing written) when another write came first or the campaign is gone.
    async fn update(
        &self,
        campaign: &Campaign,
        expected: Version,
    ) -> Result<WriteOutcome, RepositoryError>;

    /// Deletes the campaign and everything it owns, only if its version is still `expected`; `Stale`
    /// (nothing deleted) otherwise.
    async fn delete(
        &self,
        workspace: WorkspaceId,
        id: CampaignId,
        expected: Version,
    ) -> Result<WriteOutcome, RepositoryError>;
}

/// The workspace's sending mailboxes.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait MailboxRepository: Send + Sync {
    /// Stores a new mailbox. MUST fail with `Conflict` when the workspace already has a mailbox with the
    /// same address compared case-insensitively (another workspace's mailbox never conflicts).
    async fn insert(&self, mailbox: &Mailbox) -> Result<(), RepositoryError>;

    /// The mailbox `id` of `workspace`, or `None`.
    async fn find(
        &self,
        workspace: WorkspaceId,
        id: MailboxId,
    ) -> Result<Option<Mailbox>, RepositoryError>;

    /// Every mailbox of `workspace` that any selector of `selection` matches: by id, by address
    /// (case-insensitively), by any tag (case-insensitively) or by provider. MAY return more mailboxes of
    /// the workspace, never fewer; MUST NOT return a mailbox of another workspace.
    async fn candidates(
        &self,
        workspace: WorkspaceId,
        selection: &MailboxSelection,
    ) -> Result<Vec<MailboxSummary>, RepositoryError>;
}

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

/// Users, workspaces, memberships and API keys.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait IdentityRepository: Send + Sync {
    /// Stores a user. MUST fail with `Conflict` when a user has the same address (case-insensitively).
    async fn insert_user(&self, user: &User) -> Result<(), RepositoryError>;

    async fn find_user(&self, id: UserId) -> Result<Option<User>, RepositoryError>;

    /// The user with this address, compared case-insensitively.
    async fn find_user_by_email(
        &self,
        email: &EmailAddress,
    ) -> Result<Option<User>, RepositoryError>;

    /// Stores a workspace and makes `owner` its owner, in one transaction.
    async fn insert_workspace(
        &self,
        workspace: &Workspace,
        owner: UserId,
    ) -> Result<(), RepositoryError>;

    async fn find_workspace(&self, id: WorkspaceId) -> Result<Option<Workspace>, RepositoryError>;

    /// The user's role in the workspace, or `None` when not a member.
    async fn role_of(
        &self,
        user: UserId,
        workspace: WorkspaceId,
    ) -> Result<Option<Role>, RepositoryError>;

    /// Every workspace the user is a member of, with the role, oldest first.
    async fn workspaces_of(&self, user: UserId) -> Result<Vec<(Workspace, Role)>, RepositoryError>;

    /// Stores a key (its hash, never its plaintext). MUST fail with `Conflict` when it is a workspace key
    /// and the workspace already has one that is not revoked.
    async fn insert_api_key(&self, key: &ApiKey) -> Result<(), RepositoryError>;

    /// The key with this hash, revoked or not.
    async fn find_api_key(&self, hash: KeyHash) -> Result<Option<ApiKey>, RepositoryError>;

    /// Revokes the workspace's live key; `false` when it had none.
    async fn revoke_workspace_key(
        &self,
        workspace: WorkspaceId,
        at: DateTime<Utc>,
    ) -> Result<bool, RepositoryError>;
}

/// Whether the store answers (for `/readyz`).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait Readiness: Send + Sync {
    async fn ping(&self) -> Result<(), RepositoryError>;
}

/// The current time.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait Clock: Send + Sync {
    /// Now, in UTC, to the millisecond.
    fn now(&self) -> DateTime<Utc>;
}

/// New resource ids.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait IdGenerator: Send + Sync {
    /// A fresh id in the ObjectId layout; ids from one process increase.
    fn new_id(&self) -> ObjectId;
}

/// Secrets the server makes for its users, from a cryptographically secure source.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait SecretGenerator: Send + Sync {
    /// A webhook signing secret (`whsec_` + 64 hex).
    fn webhook_secret(&self) -> WebhookSecret;

    /// A new API key of `kind`.
    fn api_key(&self, kind: ApiKeyKind) -> ApiKeySecret;
}

//! Users, workspaces, memberships and API keys.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::id::{UserId, WorkspaceId};
use domain::identity::{ApiKey, KeyHash, Role, User, Workspace};
use domain::values::EmailAddress;

use super::RepositoryError;

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

    /// Makes `user` a member of `workspace` with `role`. MUST fail with `Conflict` when the user is a
    /// member already (whatever the role), and fail (not `Conflict`) when the user or the workspace does
    /// not exist.
    async fn add_membership(
        &self,
        user: UserId,
        workspace: WorkspaceId,
        role: Role,
        at: DateTime<Utc>,
    ) -> Result<(), RepositoryError>;

    /// The user's role in the workspace, or `None` when not a member.
    async fn role_of(
        &self,
        user: UserId,
        workspace: WorkspaceId,
    ) -> Result<Option<Role>, RepositoryError>;

    /// Every workspace the user is a member of, with the role, oldest first.
    async fn workspaces_of(&self, user: UserId) -> Result<Vec<(Workspace, Role)>, RepositoryError>;

    /// Stores a key (its hash, never its plaintext). MUST fail with `Conflict` when it is a workspace key
    /// and the workspace already has one that is not revoked; of concurrent inserts of live keys for one
    /// workspace, exactly one succeeds.
    async fn insert_api_key(&self, key: &ApiKey) -> Result<(), RepositoryError>;

    /// The key with this hash, revoked or not, as stored now: a revocation MUST be visible to the very
    /// next lookup, on every instance (no cache here; `Authenticate` keeps live keys for a bounded
    /// time of its own, see `key_cache`).
    async fn find_api_key(&self, hash: KeyHash) -> Result<Option<ApiKey>, RepositoryError>;

    /// Revokes the workspace's live key; `false` when it had none.
    async fn revoke_workspace_key(
        &self,
        workspace: WorkspaceId,
        at: DateTime<Utc>,
    ) -> Result<bool, RepositoryError>;
}

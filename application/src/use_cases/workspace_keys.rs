//! `POST` and `DELETE /v1/workspaces/{id}/api-key`: a workspace's one live key, made and revoked by
//! its owners and admins through their platform keys.
//!
//! The order of the checks decides what a refusal reveals: the key kind first (a workspace key learns
//! nothing about other workspaces), then membership (a stranger gets 404, exactly as for a workspace
//! that does not exist), then the role (a member, who sees the workspace anyway, gets 403).

use std::sync::Arc;

use chrono::{DateTime, Utc};
use domain::id::WorkspaceId;
use domain::identity::{ApiKeyKind, ApiKeySecret, KeyManagement, Role};

use super::authenticate::Caller;
use super::init_workspace::issue_key;
use crate::key_cache::KeyCache;
use crate::ports::{Clock, IdGenerator, IdentityRepository, RepositoryError, SecretGenerator};

/// A new workspace key; `key` is shown once and never again.
#[derive(Debug)]
pub struct IssuedWorkspaceKey {
    pub key: ApiKeySecret,
    pub workspace_id: WorkspaceId,
    pub created_at: DateTime<Utc>,
}

/// A workspace key that stopped working.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RevokedWorkspaceKey {
    pub workspace_id: WorkspaceId,
    pub revoked_at: DateTime<Utc>,
}

#[derive(Debug, thiserror::Error)]
pub enum CreateWorkspaceKeyError {
    /// A workspace key may not mint keys (403).
    #[error(
        "only a platform key (sk_user_…) may manage workspace API keys; a workspace key may not"
    )]
    PlatformKeyRequired,
    /// Not an id, no such workspace, or the user is not a member (404).
    #[error("no workspace with this id is visible to this key")]
    NotFound,
    /// The user is a member without the right to manage the key (403).
    #[error("a workspace {0} may not manage its API key; an owner or admin may")]
    NotPermitted(Role),
    /// The workspace has a live key (409).
    #[error("the workspace already has a live API key; revoke it before creating another")]
    AlreadyExists,
    #[error(transparent)]
    Unknown(anyhow::Error),
}

#[derive(Debug, thiserror::Error)]
pub enum RevokeWorkspaceKeyError {
    /// A workspace key may not revoke keys, its own included (403).
    #[error(
        "only a platform key (sk_user_…) may manage workspace API keys; a workspace key may not"
    )]
    PlatformKeyRequired,
    /// Not an id, no such workspace, or the user is not a member (404).
    #[error("no workspace with this id is visible to this key")]
    NotFound,
    /// The user is a member without the right to manage the key (403).
    #[error("a workspace {0} may not manage its API key; an owner or admin may")]
    NotPermitted(Role),
    /// The workspace has no live key to revoke (404).
    #[error("the workspace has no API key to revoke")]
    NoLiveKey,
    #[error(transparent)]
    Unknown(anyhow::Error),
}

/// Why a caller may not manage a workspace's key; both operations share these.
enum Refusal {
    PlatformKeyRequired,
    NotFound,
    NotPermitted(Role),
    Repository(RepositoryError),
}

impl From<RepositoryError> for Refusal {
    fn from(error: RepositoryError) -> Self {
        Refusal::Repository(error)
    }
}

impl From<Refusal> for CreateWorkspaceKeyError {
    fn from(refusal: Refusal) -> Self {
        match refusal {
            Refusal::PlatformKeyRequired => Self::PlatformKeyRequired,
            Refusal::NotFound => Self::NotFound,
            Refusal::NotPermitted(role) => Self::NotPermitted(role),
            Refusal::Repository(error) => Self::Unknown(error.into()),
        }
    }
}

impl From<Refusal> for RevokeWorkspaceKeyError {
    fn from(refusal: Refusal) -> Self {
        match refusal {
            Refusal::PlatformKeyRequired => Self::PlatformKeyRequired,
            Refusal::NotFound => Self::NotFound,
            Refusal::NotPermitted(role) => Self::NotPermitted(role),
            Refusal::Repository(error) => Self::Unknown(error.into()),
        }
    }
}

#[derive(Clone)]
pub struct WorkspaceKeys {
    pub identity: Arc<dyn IdentityRepository>,
    /// The authenticator's cache of live keys: a revoked key is forgotten at once.
    pub keys: Arc<KeyCache>,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn IdGenerator>,
    pub secrets: Arc<dyn SecretGenerator>,
}

impl std::fmt::Debug for WorkspaceKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WorkspaceKeys").finish_non_exhaustive()
    }
}

impl WorkspaceKeys {
    /// Makes the workspace's key, unless it has a live one. Of concurrent calls, one wins; the
    /// others get `AlreadyExists` (the store's uniqueness rule decides, not a prior read).
    pub async fn create(
        &self,
        caller: Caller,
        raw_workspace_id: &str,
    ) -> Result<IssuedWorkspaceKey, CreateWorkspaceKeyError> {
        let workspace_id = self.managed_workspace(caller, raw_workspace_id).await?;
        let created_at = self.clock.now();
        let issued = issue_key(
            &*self.identity,
            &*self.secrets,
            self.ids.new_id(),
            ApiKeyKind::Workspace,
            caller.user_id,
            Some(workspace_id),
            created_at,
        )
        .await;
        match issued {
            Ok(key) => Ok(IssuedWorkspaceKey {
                key,
                workspace_id,
                created_at,
            }),
            Err(RepositoryError::Conflict(_)) => Err(CreateWorkspaceKeyError::AlreadyExists),
            Err(error) => Err(CreateWorkspaceKeyError::Unknown(error.into())),
        }
    }

    /// Revokes the workspace's live key: from now on every request with it is refused.
    pub async fn revoke(
        &self,
        caller: Caller,
        raw_workspace_id: &str,
    ) -> Result<RevokedWorkspaceKey, RevokeWorkspaceKeyError> {
        let workspace_id = self.managed_workspace(caller, raw_workspace_id).await?;
        let revoked_at = self.clock.now();
        let revoked = self
            .identity
            .revoke_workspace_key(workspace_id, revoked_at)
            .await
            .map_err(|error| RevokeWorkspaceKeyError::Unknown(error.into()))?;
        if !revoked {
            return Err(RevokeWorkspaceKeyError::NoLiveKey);
        }
        self.keys.forget_workspace(workspace_id);
        Ok(RevokedWorkspaceKey {
            workspace_id,
            revoked_at,
        })
    }

    /// The workspace named by the path, when the caller may manage its key.
    async fn managed_workspace(
        &self,
        caller: Caller,
        raw_workspace_id: &str,
    ) -> Result<WorkspaceId, Refusal> {
        if !caller.key_kind.acts_for_user() {
            return Err(Refusal::PlatformKeyRequired);
        }
        let workspace_id = WorkspaceId::parse(raw_workspace_id).map_err(|_| Refusal::NotFound)?;
        let membership = self.identity.role_of(caller.user_id, workspace_id).await?;
        match KeyManagement::of(membership) {
            KeyManagement::Allowed(_) => Ok(workspace_id),
            KeyManagement::Refused(role) => Err(Refusal::NotPermitted(role)),
            KeyManagement::NotAMember => Err(Refusal::NotFound),
        }
    }
}

#[cfg(test)]
mod tests;

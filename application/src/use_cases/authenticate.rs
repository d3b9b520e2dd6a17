//! Who is calling, and in which workspace (spec section 2).

use std::sync::Arc;

use domain::id::{UserId, WorkspaceId};
use domain::identity::{ApiKey, ApiKeyKind, ApiKeySecret};

use crate::key_cache::KeyCache;
use crate::ports::{IdentityRepository, RepositoryError};
use crate::tenancy::Tenancy;

/// What a request presented: the raw header values, as sent.
#[derive(Debug, Clone, Copy, Default)]
pub struct Credentials<'a> {
    /// `X-Api-Key`.
    pub api_key: Option<&'a str>,
    /// `Authorization` (expected as `Bearer <key>`).
    pub authorization: Option<&'a str>,
    /// `X-Workspace-Id`.
    pub workspace_id: Option<&'a str>,
}

/// The authenticated user behind a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caller {
    pub user_id: UserId,
    pub key_kind: ApiKeyKind,
    /// The workspace of a workspace key; `None` for a platform key.
    pub key_workspace: Option<WorkspaceId>,
}

impl Caller {
    /// The caller behind a live key.
    pub fn of(key: &ApiKey) -> Self {
        Self {
            user_id: key.user_id,
            key_kind: key.kind,
            key_workspace: key.workspace_id,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// `X-Api-Key` and `Authorization: Bearer` carry two different keys (400).
    #[error("X-Api-Key and Authorization: Bearer carry different keys; send one")]
    ConflictingKeys,
    /// No key, a malformed one, an unknown one or a revoked one (401). Deliberately one case: a client
    /// learns nothing about which keys exist.
    #[error("a valid API key is required in X-Api-Key or Authorization: Bearer")]
    Unauthorized,
    /// A platform key on a workspace-scoped endpoint without `X-Workspace-Id` (400).
    #[error("a platform key must name its workspace in X-Workspace-Id")]
    WorkspaceRequired,
    /// `X-Workspace-Id` is not an id (400), whatever the key.
    #[error("X-Workspace-Id must be a 24-character lowercase hex id")]
    MalformedWorkspaceId,
    /// The key may not act in the named workspace (403).
    #[error("this key may not act in workspace {0}")]
    Forbidden(String),
    #[error(transparent)]
    Unknown(#[from] RepositoryError),
}

#[derive(Clone)]
pub struct Authenticate {
    pub identity: Arc<dyn IdentityRepository>,
    /// Live keys looked up lately; shared with [`WorkspaceKeys`](super::workspace_keys::WorkspaceKeys),
    /// which evicts a workspace's keys when it revokes one.
    pub keys: Arc<KeyCache>,
}

impl std::fmt::Debug for Authenticate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authenticate").finish_non_exhaustive()
    }
}

impl Authenticate {
    /// The caller behind the presented key, whatever the endpoint.
    pub async fn caller(&self, credentials: Credentials<'_>) -> Result<Caller, AuthError> {
        let key = self.key(credentials).await?;
        Ok(Caller::of(&key))
    }

    /// The live key the request presented.
    pub async fn key(&self, credentials: Credentials<'_>) -> Result<ApiKey, AuthError> {
        let presented = presented_key(credentials)?;
        let secret = ApiKeySecret::parse(presented).ok_or(AuthError::Unauthorized)?;
        let hash = secret.hash();
        let key = match self.keys.get(&hash) {
            Some(key) => key,
            None => {
                let key = self
                    .identity
                    .find_api_key(hash)
                    .await?
                    .filter(|key| !key.is_revoked())
                    .ok_or(AuthError::Unauthorized)?;
                self.keys.remember(&key);
                key
            }
        };
        Ok(key)
    }

    /// The tenancy of a workspace-scoped request: a workspace key acts in its own workspace (naming
    /// another is 403); a platform key must name a workspace its user is a member of.
    pub async fn tenancy(&self, credentials: Credentials<'_>) -> Result<Tenancy, AuthError> {
        let caller = self.caller(credentials).await?;
        self.tenancy_of(caller, credentials.workspace_id).await
    }

    /// [`tenancy`](Self::tenancy) for a caller already authenticated (an edge that looks a request's
    /// key up once), naming `workspace_id` (`X-Workspace-Id` as sent, if sent).
    pub async fn tenancy_of(
        &self,
        caller: Caller,
        workspace_id: Option<&str>,
    ) -> Result<Tenancy, AuthError> {
        let named = workspace_id
            .map(str::trim)
            .map(|raw| WorkspaceId::parse(raw).map_err(|_| AuthError::MalformedWorkspaceId))
            .transpose();
        let named = named?;
        match (caller.key_workspace, named) {
            (Some(own), None) => Ok(Tenancy {
                workspace_id: own,
                user_id: caller.user_id,
            }),
            (Some(own), Some(named)) if named == own => Ok(Tenancy {
                workspace_id: own,
                user_id: caller.user_id,
            }),
            (Some(_), Some(named)) => Err(AuthError::Forbidden(named.to_string())),
            (None, None) => Err(AuthError::WorkspaceRequired),
            (None, Some(named)) => match self.identity.role_of(caller.user_id, named).await? {
                Some(_) => Ok(Tenancy {
                    workspace_id: named,
                    user_id: caller.user_id,
                }),
                None => Err(AuthError::Forbidden(named.to_string())),
            },
        }
    }
}

/// The one key of the request: from `X-Api-Key` or `Authorization: Bearer`, the same if both.
fn presented_key(credentials: Credentials<'_>) -> Result<&str, AuthError> {
    let header_key = credentials
        .api_key
        .map(str::trim)
        .filter(|key| !key.is_empty());
    // Another scheme (a proxy's `Basic …`) carries no key of ours: it neither counts nor conflicts.
    let bearer_key = credentials
        .authorization
        .map(str::trim)
        .and_then(|value| value.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim())
        .filter(|token| !token.is_empty());
    match (header_key, bearer_key) {
        (Some(a), Some(b)) if a != b => Err(AuthError::ConflictingKeys),
        (Some(key), _) | (None, Some(key)) => Ok(key),
        (None, None) => Err(AuthError::Unauthorized),
    }
}

#[cfg(test)]
mod tests;

//! `GET /v1/account`: the user behind a platform key, and every workspace they are a member of.

use std::sync::Arc;

use domain::identity::{Role, User, Workspace};

use super::authenticate::Caller;
use crate::ports::{IdentityRepository, RepositoryError};

/// A user's profile and memberships.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub user: User,
    /// Every workspace the user is a member of, with the role, oldest first.
    pub workspaces: Vec<(Workspace, Role)>,
}

#[derive(Debug, thiserror::Error)]
pub enum ReadAccountError {
    /// A workspace key speaks for one workspace, not for its user's account (403).
    #[error("only a platform key (sk_user_…) may read the account; a workspace key may not")]
    PlatformKeyRequired,
    #[error(transparent)]
    Unknown(anyhow::Error),
}

impl From<RepositoryError> for ReadAccountError {
    fn from(error: RepositoryError) -> Self {
        Self::Unknown(error.into())
    }
}

#[derive(Clone)]
pub struct ReadAccount {
    pub identity: Arc<dyn IdentityRepository>,
}

impl std::fmt::Debug for ReadAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReadAccount").finish_non_exhaustive()
    }
}

impl ReadAccount {
    pub async fn execute(&self, caller: Caller) -> Result<Account, ReadAccountError> {
        if !caller.key_kind.acts_for_user() {
            return Err(ReadAccountError::PlatformKeyRequired);
        }
        // A live key's user always exists (a foreign key says so); a missing one is corrupt data.
        let user = self
            .identity
            .find_user(caller.user_id)
            .await?
            .ok_or_else(|| {
                ReadAccountError::Unknown(anyhow::anyhow!(
                    "the user {} of a live platform key does not exist",
                    caller.user_id
                ))
            })?;
        let workspaces = self.identity.workspaces_of(caller.user_id).await?;
        Ok(Account { user, workspaces })
    }
}

#[cfg(test)]
mod tests;

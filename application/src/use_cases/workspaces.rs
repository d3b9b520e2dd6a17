//! `/v1/workspaces`: list, read and create workspaces (spec section 3).
//!
//! A platform key sees every workspace its user is a member of; a workspace key sees its own only. A
//! workspace the caller cannot see behaves exactly like one that does not exist.

use std::sync::Arc;

use domain::id::WorkspaceId;
use domain::identity::{Role, Workspace, WorkspaceName, WorkspaceRequest};
use domain::listing::PageLimit;
use domain::problem::Problems;

use super::authenticate::Caller;
use crate::ports::{Clock, IdGenerator, IdentityRepository, RepositoryError};

/// A workspace as a caller sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkspaceView {
    pub workspace: Workspace,
    /// The role of the user behind the key. `None` only for a workspace key whose user is no longer a
    /// member of its workspace (the key still works there).
    pub role: Option<Role>,
}

/// Which page of the caller's workspaces to read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WorkspaceQuery {
    /// Only workspaces after this one (the previous page's last).
    pub after: Option<WorkspaceId>,
    pub limit: PageLimit,
}

/// A page of workspaces, oldest first (by id, which sorts by creation time).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkspacePage {
    pub workspaces: Vec<WorkspaceView>,
    /// Every workspace the caller sees, on every page alike.
    pub total: u64,
    pub has_more: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum ListWorkspacesError {
    #[error(transparent)]
    Unknown(anyhow::Error),
}

#[derive(Debug, thiserror::Error)]
pub enum GetWorkspaceError {
    /// Not an id, no such workspace, or one the caller may not see (404).
    #[error("no workspace with this id is visible to this key")]
    NotFound,
    #[error(transparent)]
    Unknown(anyhow::Error),
}

#[derive(Debug, thiserror::Error)]
pub enum CreateWorkspaceError {
    /// A workspace key acts in its one workspace; only a user's platform key makes workspaces (403).
    #[error("only a platform key (sk_user_…) may create workspaces; a workspace key may not")]
    PlatformKeyRequired,
    #[error("{0}")]
    Invalid(Problems),
    #[error(transparent)]
    Unknown(anyhow::Error),
}

macro_rules! unknown_from_repository {
    ($($error:ident),+) => {$(
        impl From<RepositoryError> for $error {
            fn from(error: RepositoryError) -> Self {
                Self::Unknown(error.into())
            }
        }
    )+};
}
unknown_from_repository!(ListWorkspacesError, GetWorkspaceError, CreateWorkspaceError);

#[derive(Clone)]
pub struct Workspaces {
    pub identity: Arc<dyn IdentityRepository>,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn IdGenerator>,
}

impl std::fmt::Debug for Workspaces {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Workspaces").finish_non_exhaustive()
    }
}

impl Workspaces {
    /// The workspaces the caller sees, a page at a time.
    pub async fn list(
        &self,
        caller: Caller,
        query: WorkspaceQuery,
    ) -> Result<WorkspacePage, ListWorkspacesError> {
        let mut visible = self.visible(caller).await?;
        visible.sort_by_key(|view| view.workspace.id());
        let total = visible.len() as u64;
        let limit = query.limit.get() as usize;
        // Paged in memory: a user's memberships are few, and the account answer reads them all anyway.
        let mut rest: Vec<WorkspaceView> = visible
            .into_iter()
            .filter(|view| query.after.is_none_or(|after| view.workspace.id() > after))
            .collect();
        let has_more = rest.len() > limit;
        rest.truncate(limit);
        Ok(WorkspacePage {
            workspaces: rest,
            total,
            has_more,
        })
    }

    /// One workspace the caller sees. `raw_id` comes from the path: one that is not even an id names
    /// no workspace.
    pub async fn get(
        &self,
        caller: Caller,
        raw_id: &str,
    ) -> Result<WorkspaceView, GetWorkspaceError> {
        let id = WorkspaceId::parse(raw_id).map_err(|_| GetWorkspaceError::NotFound)?;
        let role = if caller.key_kind.acts_for_user() {
            let role = self.identity.role_of(caller.user_id, id).await?;
            Some(role.ok_or(GetWorkspaceError::NotFound)?)
        } else if caller.key_workspace == Some(id) {
            self.identity.role_of(caller.user_id, id).await?
        } else {
            return Err(GetWorkspaceError::NotFound);
        };
        let workspace = self
            .identity
            .find_workspace(id)
            .await?
            .ok_or(GetWorkspaceError::NotFound)?;
        Ok(WorkspaceView { workspace, role })
    }

    /// A new workspace, owned by the platform key's user. `edge_problems` are what the edge found while
    /// reading the body; any of them makes it invalid.
    pub async fn create(
        &self,
        caller: Caller,
        request: &WorkspaceRequest,
        edge_problems: Problems,
    ) -> Result<WorkspaceView, CreateWorkspaceError> {
        if !caller.key_kind.acts_for_user() {
            return Err(CreateWorkspaceError::PlatformKeyRequired);
        }
        let name = edge_problems
            .ahead_of(WorkspaceName::parse_request(request.name.as_deref()))
            .map_err(CreateWorkspaceError::Invalid)?;
        let workspace =
            Workspace::new(WorkspaceId::from(self.ids.new_id()), name, self.clock.now());
        self.identity
            .insert_workspace(&workspace, caller.user_id)
            .await?;
        Ok(WorkspaceView {
            workspace,
            role: Some(Role::Owner),
        })
    }

    /// Every workspace the caller may see, unordered.
    async fn visible(&self, caller: Caller) -> Result<Vec<WorkspaceView>, RepositoryError> {
        if caller.key_kind.acts_for_user() {
            let memberships = self.identity.workspaces_of(caller.user_id).await?;
            return Ok(memberships
                .into_iter()
                .map(|(workspace, role)| WorkspaceView {
                    workspace,
                    role: Some(role),
                })
                .collect());
        }
        let Some(own) = caller.key_workspace else {
            return Ok(Vec::new());
        };
        let Some(workspace) = self.identity.find_workspace(own).await? else {
            return Ok(Vec::new());
        };
        let role = self.identity.role_of(caller.user_id, own).await?;
        Ok(vec![WorkspaceView { workspace, role }])
    }
}

#[cfg(test)]
mod tests;

//! `sendline init`: a user, their platform key, a workspace they own and its workspace key.

use std::sync::Arc;

use domain::id::{ObjectId, UserId, WorkspaceId};
use domain::identity::{ApiKey, ApiKeyKind, ApiKeySecret, User, Workspace, WorkspaceName};
use domain::problem::{Invalid, JsonPointer, Problems};
use domain::values::EmailAddress;

use crate::ports::{Clock, IdGenerator, IdentityRepository, RepositoryError, SecretGenerator};

/// What `init` made; the keys are shown once and never again.
#[derive(Debug)]
pub struct Initialized {
    pub user_id: UserId,
    pub platform_key: ApiKeySecret,
    pub workspace_id: WorkspaceId,
    pub workspace_key: ApiKeySecret,
}

#[derive(Debug, thiserror::Error)]
pub enum InitWorkspaceError {
    #[error("{0}")]
    Invalid(Problems),
    #[error("a user with the address {0} exists already")]
    EmailTaken(String),
    #[error(transparent)]
    Unknown(anyhow::Error),
}

impl From<RepositoryError> for InitWorkspaceError {
    fn from(error: RepositoryError) -> Self {
        Self::Unknown(error.into())
    }
}

#[derive(Clone)]
pub struct InitWorkspace {
    pub identity: Arc<dyn IdentityRepository>,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn IdGenerator>,
    pub secrets: Arc<dyn SecretGenerator>,
}

impl std::fmt::Debug for InitWorkspace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InitWorkspace").finish_non_exhaustive()
    }
}

impl InitWorkspace {
    pub async fn execute(
        &self,
        email: &str,
        workspace_name: &str,
    ) -> Result<Initialized, InitWorkspaceError> {
        let root = JsonPointer::root();
        let mut problems = Problems::new();
        let email = problems.check(
            EmailAddress::parse(email).map_err(|invalid| {
                Invalid::new(invalid.code, format!("email {}", invalid.message))
            }),
            root.field("email"),
        );
        let name = problems.check(
            WorkspaceName::parse(Some(workspace_name)),
            root.field("workspace"),
        );
        let (Some(email), Some(name)) = (email, name) else {
            return Err(InitWorkspaceError::Invalid(problems));
        };
        let now = self.clock.now();
        let user = User::new(UserId::from(self.ids.new_id()), email, now);
        match self.identity.insert_user(&user).await {
            Err(RepositoryError::Conflict(_)) => {
                return Err(InitWorkspaceError::EmailTaken(
                    user.email().as_str().to_owned(),
                ));
            }
            other => other?,
        }
        let workspace = Workspace::new(WorkspaceId::from(self.ids.new_id()), name, now);
        self.identity
            .insert_workspace(&workspace, user.id())
            .await?;
        let platform_key = self
            .issue_key(ApiKeyKind::Platform, user.id(), None)
            .await?;
        let workspace_key = self
            .issue_key(ApiKeyKind::Workspace, user.id(), Some(workspace.id()))
            .await?;
        Ok(Initialized {
            user_id: user.id(),
            platform_key,
            workspace_id: workspace.id(),
            workspace_key,
        })
    }

    async fn issue_key(
        &self,
        kind: ApiKeyKind,
        user: UserId,
        workspace: Option<WorkspaceId>,
    ) -> Result<ApiKeySecret, RepositoryError> {
        issue_key(
            &*self.identity,
            &*self.secrets,
            self.ids.new_id(),
            kind,
            user,
            workspace,
            self.clock.now(),
        )
        .await
    }
}

/// Makes a key, stores its hash, and returns the plaintext to show once.
pub(crate) async fn issue_key(
    identity: &dyn IdentityRepository,
    secrets: &dyn SecretGenerator,
    id: ObjectId,
    kind: ApiKeyKind,
    user: UserId,
    workspace: Option<WorkspaceId>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<ApiKeySecret, RepositoryError> {
    let secret = secrets.api_key(kind);
    identity
        .insert_api_key(&ApiKey::issue(id, &secret, user, workspace, now))
        .await?;
    Ok(secret)
}

//! The account, workspaces and workspace keys on the wire (`/v1/account`, `/v1/workspaces…`).

use application::use_cases::account::Account;
use application::use_cases::workspace_keys::{IssuedWorkspaceKey, RevokedWorkspaceKey};
use application::use_cases::workspaces::WorkspaceView;
use domain::identity::Role;
use domain::identity::WorkspaceRequest;
use poem_openapi::{Enum, Object};
use serde::Deserialize;

use crate::dto::timestamp::Timestamp;
use crate::dto::wire::{Required, mapped};
use crate::request_body::{DeclaredBody, DocumentedBody};

/// The body of `POST /v1/workspaces`. Unknown fields are rejected.
#[derive(Debug, Default, Object, Deserialize)]
#[oai(rename = "CreateWorkspaceRequest", rename_all = "camelCase")]
#[serde(rename_all = "camelCase", default)]
pub struct CreateWorkspaceRequest {
    /// Trimmed, 1–100 characters.
    #[oai(validator(min_length = 1, max_length = 100))]
    pub name: Required<String>,
}

impl DocumentedBody for CreateWorkspaceRequest {
    fn example() -> serde_json::Value {
        serde_json::json!({"name": "EMEA outbound"})
    }
}

impl DeclaredBody for CreateWorkspaceRequest {
    type Request = WorkspaceRequest;

    fn into_request(self) -> WorkspaceRequest {
        self.into()
    }
}

mapped! {
    CreateWorkspaceRequest <=> WorkspaceRequest {
        name: required,
    }
}

/// A user's role in a workspace: owners and admins manage its API key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename = "WorkspaceRole", rename_all = "lowercase")]
pub enum RoleBody {
    Owner,
    Admin,
    Member,
}

impl From<Role> for RoleBody {
    fn from(role: Role) -> Self {
        match role {
            Role::Owner => Self::Owner,
            Role::Admin => Self::Admin,
            Role::Member => Self::Member,
        }
    }
}

/// A workspace, with the caller's role in it.
#[derive(Debug, Clone, Object)]
#[oai(rename = "Workspace", rename_all = "camelCase")]
pub struct WorkspaceBody {
    pub id: String,
    pub name: String,
    pub created_at: Timestamp,
    /// The role of the user behind the key (for a workspace key: the user who created it); `null` only
    /// when that user is no longer a member.
    #[oai(nullable)]
    pub role: Option<RoleBody>,
}

impl WorkspaceBody {
    pub fn from_domain(view: &WorkspaceView) -> Self {
        Self {
            id: view.workspace.id().to_string(),
            name: view.workspace.name().as_str().to_owned(),
            created_at: view.workspace.created_at().into(),
            role: view.role.map(RoleBody::from),
        }
    }
}

/// The user behind a platform key, and their workspaces.
#[derive(Debug, Clone, Object)]
#[oai(rename = "Account", rename_all = "camelCase")]
pub struct AccountBody {
    #[oai(rename = "_id")]
    pub id: String,
    pub email: String,
    pub created_at: Timestamp,
    /// Every workspace the user is a member of, with the role, oldest first.
    pub workspaces: Vec<WorkspaceBody>,
}

impl AccountBody {
    pub fn from_domain(account: &Account) -> Self {
        Self {
            id: account.user.id().to_string(),
            email: account.user.email().as_str().to_owned(),
            created_at: account.user.created_at().into(),
            workspaces: account
                .workspaces
                .iter()
                .map(|(workspace, role)| {
                    WorkspaceBody::from_domain(&WorkspaceView {
                        workspace: workspace.clone(),
                        role: Some(*role),
                    })
                })
                .collect(),
        }
    }
}

/// A new workspace key: `apiKey` is shown this once and never again.
#[derive(Debug, Clone, Object)]
#[oai(rename = "WorkspaceApiKey", rename_all = "camelCase")]
pub struct WorkspaceKeyBody {
    /// `sk_` + 48 hex digits. Store it now: only its hash is kept.
    pub api_key: String,
    pub workspace_id: String,
    pub created_at: Timestamp,
}

impl WorkspaceKeyBody {
    pub fn from_domain(issued: &IssuedWorkspaceKey) -> Self {
        Self {
            api_key: issued.key.expose().to_owned(),
            workspace_id: issued.workspace_id.to_string(),
            created_at: issued.created_at.into(),
        }
    }
}

/// The workspace's key no longer works; a new one can be made.
#[derive(Debug, Clone, Object)]
#[oai(rename = "WorkspaceApiKeyRevoked", rename_all = "camelCase")]
pub struct WorkspaceKeyRevokedBody {
    pub workspace_id: String,
    /// Always `true`.
    pub revoked: bool,
    pub revoked_at: Timestamp,
}

impl WorkspaceKeyRevokedBody {
    pub fn from_domain(revoked: &RevokedWorkspaceKey) -> Self {
        Self {
            workspace_id: revoked.workspace_id.to_string(),
            revoked: true,
            revoked_at: revoked.revoked_at.into(),
        }
    }
}

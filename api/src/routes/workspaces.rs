//! `/v1/account` and `/v1/workspaces…`: the user behind a platform key, their workspaces, and each
//! workspace's API key. These name their workspace in the path (or need none), so they authenticate
//! with [`KeyHolder`] and take no `X-Workspace-Id`.

use std::sync::Arc;

use application::use_cases::workspace_keys::CreateWorkspaceKeyError;
use application::use_cases::workspaces::WorkspaceQuery;
use domain::id::WorkspaceId;
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};
use serde_json::json;

use crate::auth::KeyHolder;
use crate::body::{JsonBody, refused};
use crate::dto::workspace::{
    AccountBody, CreateWorkspaceRequest, WorkspaceBody, WorkspaceKeyBody, WorkspaceKeyRevokedBody,
};
use crate::dto::{Page, PaginationBody, Success};
use crate::error::{ApiError, EXAMPLE_ID, descriptions, error_responses};
use crate::idempotency::IdempotencyKeyHeader;
use crate::location::{self, Created};
use crate::state::AppState;
use crate::use_case_errors::{naming, workspace_not_found};

use super::{ApiTags, cursor_param, limit_param};

error_responses!(
    /// What `GET /v1/account` can answer besides 200.
    ReadAccountErrors {
        400 => "The key was sent twice, differently (CONFLICTING_API_KEYS).",
        401 => descriptions::UNAUTHORIZED,
        403 => "A workspace key may not read the account; use a platform key (FORBIDDEN).",
        500 => descriptions::INTERNAL,
    }
);

error_responses!(
    /// What `GET /v1/workspaces` can answer besides 200.
    ListWorkspacesErrors {
        400 => "A query parameter is not valid (VALIDATION_FAILED), or the key was sent twice, differently (CONFLICTING_API_KEYS).",
        401 => descriptions::UNAUTHORIZED,
        500 => descriptions::INTERNAL,
    }
);

error_responses!(
    /// What `POST /v1/workspaces` can answer besides 201.
    CreateWorkspaceErrors {
        400 => "The body breaks rules of the contract (VALIDATION_FAILED, every problem listed) or is not JSON (MALFORMED_JSON), or the key was sent twice, differently (CONFLICTING_API_KEYS). An Idempotency-Key that is not 1 to 255 printable ASCII characters is VALIDATION_FAILED."
            => refused::<CreateWorkspaceRequest>(json!({"name": ["EMEA outbound"]})),
        401 => descriptions::UNAUTHORIZED,
        403 => "A workspace key may not create workspaces; use a platform key (FORBIDDEN).",
        408 => descriptions::REQUEST_TIMEOUT,
        409 => "A request with this Idempotency-Key is still running (CONFLICT): retry after Retry-After seconds.",
        413 => descriptions::PAYLOAD_TOO_LARGE,
        415 => descriptions::UNSUPPORTED_MEDIA_TYPE,
        422 => descriptions::IDEMPOTENCY_KEY_REUSED,
        500 => descriptions::INTERNAL,
    }
);

error_responses!(
    /// What `GET /v1/workspaces/{workspaceId}` can answer besides 200.
    GetWorkspaceErrors {
        400 => "The key was sent twice, differently (CONFLICTING_API_KEYS).",
        401 => descriptions::UNAUTHORIZED,
        404 => "No workspace with this id is visible to this key (NOT_FOUND)."
            => workspace_not_found(EXAMPLE_ID),
        500 => descriptions::INTERNAL,
    }
);

error_responses!(
    /// What `POST /v1/workspaces/{workspaceId}/api-key` can answer besides 201.
    CreateWorkspaceKeyErrors {
        400 => "The key was sent twice, differently (CONFLICTING_API_KEYS). An Idempotency-Key that is not 1 to 255 printable ASCII characters is VALIDATION_FAILED.",
        401 => descriptions::UNAUTHORIZED,
        403 => "A workspace key may not manage keys, or the user is a member but not an owner or admin (FORBIDDEN).",
        404 => "No workspace with this id is visible to this key (NOT_FOUND)."
            => workspace_not_found(EXAMPLE_ID),
        408 => descriptions::REQUEST_TIMEOUT,
        409 => "The workspace already has a live API key; revoke it first (CONFLICT). Or a request with this Idempotency-Key is still running (CONFLICT): retry after Retry-After seconds."
            => naming(EXAMPLE_ID)(CreateWorkspaceKeyError::AlreadyExists),
        413 => descriptions::PAYLOAD_TOO_LARGE,
        422 => descriptions::IDEMPOTENCY_KEY_REUSED,
        500 => descriptions::INTERNAL,
    }
);

error_responses!(
    /// What `DELETE /v1/workspaces/{workspaceId}/api-key` can answer besides 200.
    RevokeWorkspaceKeyErrors {
        400 => "The key was sent twice, differently (CONFLICTING_API_KEYS).",
        401 => descriptions::UNAUTHORIZED,
        403 => "A workspace key may not manage keys, or the user is a member but not an owner or admin (FORBIDDEN).",
        404 => "No workspace with this id is visible to this key, or it has no live API key (NOT_FOUND)."
            => workspace_not_found(EXAMPLE_ID),
        500 => descriptions::INTERNAL,
    }
);

#[derive(Debug, ApiResponse)]
pub(crate) enum AccountRead {
    /// The user and every workspace they are a member of.
    #[oai(status = 200)]
    Ok(Json<Success<AccountBody>>),
}

#[derive(Debug, ApiResponse)]
pub(crate) enum WorkspacesListed {
    /// A page of the workspaces the key sees, oldest first.
    #[oai(status = 200)]
    Ok(Json<Page<WorkspaceBody>>),
}

#[derive(Debug, ApiResponse)]
pub(crate) enum WorkspaceCreated {
    /// The workspace; the caller is its owner.
    #[oai(status = 201)]
    Created(Json<Success<WorkspaceBody>>),
}

#[derive(Debug, ApiResponse)]
pub(crate) enum WorkspaceRead {
    /// The workspace, with the caller's role.
    #[oai(status = 200)]
    Ok(Json<Success<WorkspaceBody>>),
}

#[derive(Debug, ApiResponse)]
pub(crate) enum WorkspaceKeyCreated {
    /// The workspace key, shown this once.
    #[oai(status = 201)]
    Created(Json<Success<WorkspaceKeyBody>>),
}

#[derive(Debug, ApiResponse)]
pub(crate) enum WorkspaceKeyRevoked {
    /// The key is refused from now on; a new one can be made.
    #[oai(status = 200)]
    Ok(Json<Success<WorkspaceKeyRevokedBody>>),
}

#[derive(Debug)]
pub(crate) struct WorkspacesApi;

#[OpenApi]
impl WorkspacesApi {
    /// Get account
    ///
    /// The user behind the platform key (`_id`, `email`, `createdAt`) and every workspace they are a
    /// member of, with their role in it. A workspace key is refused (403).
    #[oai(
        path = "/v1/account",
        method = "get",
        operation_id = "getAccount",
        tag = "ApiTags::Account"
    )]
    async fn account(
        &self,
        holder: KeyHolder,
        state: Data<&Arc<AppState>>,
    ) -> Result<AccountRead, ReadAccountErrors> {
        let account = state
            .read_account
            .execute(holder.0)
            .await
            .map_err(ApiError::from)?;
        Ok(AccountRead::Ok(Json(Success::new(
            AccountBody::from_domain(&account),
        ))))
    }

    /// List workspaces
    ///
    /// With a platform key, every workspace its user is a member of; with a workspace key, its own
    /// only. Oldest first, a page at a time: pass the answer's `pagination.nextCursor` as `cursor` for
    /// the next page.
    #[oai(
        path = "/v1/workspaces",
        method = "get",
        operation_id = "listWorkspaces",
        tag = "ApiTags::Workspaces"
    )]
    async fn list(
        &self,
        holder: KeyHolder,
        state: Data<&Arc<AppState>>,
        /// The `nextCursor` of the previous page.
        #[oai(validator(pattern = "^[0-9a-f]{24}$"))]
        cursor: Query<Option<String>>,
        /// Workspaces per page, 1–100 (default 25).
        #[oai(validator(minimum(value = "1"), maximum(value = "100")))]
        limit: Query<Option<i64>>,
    ) -> Result<WorkspacesListed, ListWorkspacesErrors> {
        let query = WorkspaceQuery {
            after: cursor_param(cursor.0.as_deref(), WorkspaceId::parse)?,
            limit: limit_param(limit.0)?,
        };
        let page = state
            .workspaces
            .list(holder.0, query)
            .await
            .map_err(ApiError::from)?;
        let pagination = PaginationBody::new(
            query.limit.get(),
            page.total,
            page.has_more,
            page.workspaces
                .last()
                .map(|last| last.workspace.id().to_string()),
        );
        let data = page
            .workspaces
            .iter()
            .map(WorkspaceBody::from_domain)
            .collect();
        Ok(WorkspacesListed::Ok(Json(Page::new(data, pagination))))
    }

    /// Create workspace
    ///
    /// A new workspace; the platform key's user becomes its `owner`. It has no API key yet: make one
    /// with `POST /v1/workspaces/{workspaceId}/api-key`. A workspace key is refused (403).
    #[oai(
        path = "/v1/workspaces",
        method = "post",
        operation_id = "createWorkspace",
        tag = "ApiTags::Workspaces"
    )]
    async fn create(
        &self,
        holder: KeyHolder,
        #[oai(name = "Idempotency-Key")] _idempotency_key: IdempotencyKeyHeader,
        state: Data<&Arc<AppState>>,
        body: JsonBody<CreateWorkspaceRequest>,
    ) -> Result<Created<WorkspaceCreated>, CreateWorkspaceErrors> {
        let order = body.order();
        let (request, edge_problems) = body.read();
        let created = state
            .workspaces
            .create(holder.0, &request, edge_problems)
            .await
            .map_err(|error| ApiError::from(error).in_body_order(&order))?;
        tracing::info!(workspace = %created.workspace.id(), "workspace created");
        Ok(Created::new(
            WorkspaceCreated::Created(Json(Success::new(WorkspaceBody::from_domain(&created)))),
            location::created("/v1/workspaces", created.workspace.id()),
        ))
    }

    /// Get workspace
    ///
    /// One workspace the key sees, with the caller's role. Any other id, another user's workspace or
    /// (for a workspace key) any workspace but its own, is 404.
    #[oai(
        path = "/v1/workspaces/:workspaceId",
        method = "get",
        operation_id = "getWorkspace",
        tag = "ApiTags::Workspaces"
    )]
    async fn get(
        &self,
        holder: KeyHolder,
        state: Data<&Arc<AppState>>,
        #[oai(name = "workspaceId")] id: Path<String>,
    ) -> Result<WorkspaceRead, GetWorkspaceErrors> {
        let workspace = state
            .workspaces
            .get(holder.0, &id)
            .await
            .map_err(naming(&id))?;
        Ok(WorkspaceRead::Ok(Json(Success::new(
            WorkspaceBody::from_domain(&workspace),
        ))))
    }

    /// Create workspace API key
    ///
    /// The workspace key (`sk_…`), shown in this answer once: only its hash is stored. Needs the
    /// platform key of the workspace's owner or an admin. A workspace has one live key: revoke it
    /// (`DELETE`) before making another (else 409).
    #[oai(
        path = "/v1/workspaces/:workspaceId/api-key",
        method = "post",
        operation_id = "createWorkspaceApiKey",
        tag = "ApiTags::Workspaces"
    )]
    async fn create_key(
        &self,
        holder: KeyHolder,
        #[oai(name = "Idempotency-Key")] _idempotency_key: IdempotencyKeyHeader,
        state: Data<&Arc<AppState>>,
        #[oai(name = "workspaceId")] id: Path<String>,
    ) -> Result<Created<WorkspaceKeyCreated>, CreateWorkspaceKeyErrors> {
        let issued = state
            .workspace_keys
            .create(holder.0, &id)
            .await
            .map_err(naming(&id))?;
        tracing::info!(workspace = %issued.workspace_id, "workspace API key created");
        let location = format!(
            "{}/api-key",
            location::created("/v1/workspaces", issued.workspace_id)
        );
        Ok(Created::new(
            WorkspaceKeyCreated::Created(Json(Success::new(WorkspaceKeyBody::from_domain(
                &issued,
            )))),
            location,
        ))
    }

    /// Revoke workspace API key
    ///
    /// [ext] The workspace's key is refused from the next request on, on every server; a new one can
    /// then be made. Same permissions as creating it; 404 when the workspace has no live key.
    #[oai(
        path = "/v1/workspaces/:workspaceId/api-key",
        method = "delete",
        operation_id = "revokeWorkspaceApiKey",
        tag = "ApiTags::Workspaces"
    )]
    async fn revoke_key(
        &self,
        holder: KeyHolder,
        state: Data<&Arc<AppState>>,
        #[oai(name = "workspaceId")] id: Path<String>,
    ) -> Result<WorkspaceKeyRevoked, RevokeWorkspaceKeyErrors> {
        let revoked = state
            .workspace_keys
            .revoke(holder.0, &id)
            .await
            .map_err(naming(&id))?;
        tracing::info!(workspace = %revoked.workspace_id, "workspace API key revoked");
        Ok(WorkspaceKeyRevoked::Ok(Json(Success::new(
            WorkspaceKeyRevokedBody::from_domain(&revoked),
        ))))
    }
}

//! `/v1/mailboxes…`: the workspace's sending mailboxes.

use std::sync::Arc;

use application::use_cases::register_mailbox::RegisterMailboxError;
use poem::web::Data;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};

use crate::app::AppState;
use crate::auth::Tenant;
use crate::body::JsonBody;
use crate::dto::Success;
use crate::dto::mailbox::{MailboxBody, RegisterMailboxRequest};
use crate::error::{ApiError, error_responses};
use crate::json_body;

use super::ApiTags;

error_responses!(
    /// What `POST /v1/mailboxes` can answer besides 201.
    RegisterMailboxErrors {
        400 => "The body breaks rules of the contract (VALIDATION_FAILED) or is not JSON (MALFORMED_JSON), or the key needs X-Workspace-Id (WORKSPACE_REQUIRED) or was sent twice, differently (CONFLICTING_API_KEYS).",
        401 => "No API key, or not a valid one (UNAUTHORIZED).",
        403 => "The key may not act in the named workspace (FORBIDDEN).",
        409 => "The workspace already has a mailbox with this address (CONFLICT).",
        413 => "The body is larger than 1 MiB (PAYLOAD_TOO_LARGE).",
        415 => "The body is not application/json (UNSUPPORTED_MEDIA_TYPE).",
        500 => "Something unexpected; logged under the response's X-Request-Id (INTERNAL).",
    }
);

#[derive(Debug, ApiResponse)]
pub enum MailboxRegistered {
    /// The mailbox, `active`.
    #[oai(status = 201)]
    Created(Json<Success<MailboxBody>>),
}

#[derive(Debug)]
pub struct MailboxesApi;

#[OpenApi(tag = "ApiTags::Mailboxes")]
impl MailboxesApi {
    /// Register mailbox
    ///
    /// [ext] Register a sending mailbox in the workspace. Its address is unique per workspace,
    /// compared case-insensitively.
    #[oai(
        path = "/v1/mailboxes",
        method = "post",
        operation_id = "registerMailbox"
    )]
    async fn register(
        &self,
        #[oai(name = "X-Workspace-Id")] tenant: Tenant,
        state: Data<&Arc<AppState>>,
        body: JsonBody<RegisterMailboxRequest>,
    ) -> Result<MailboxRegistered, RegisterMailboxErrors> {
        let (request, edge_problems) = json_body::mailbox_request(body.value());
        let mailbox = state
            .register_mailbox
            .execute(tenant.0, &request, edge_problems)
            .await
            .map_err(|error| match error {
                RegisterMailboxError::Invalid(problems) => ApiError::validation(&problems),
                RegisterMailboxError::EmailTaken(problem) => {
                    ApiError::conflict(problem.message(), [&problem])
                }
                RegisterMailboxError::Unknown(cause) => ApiError::internal(&cause),
            })?;
        Ok(MailboxRegistered::Created(Json(Success::new(
            MailboxBody::from_domain(&mailbox),
        ))))
    }
}

//! `POST /v1/campaigns/{campaignId}/preview-email`: one email step rendered as a lead would get it,
//! nothing sent (SENDING.md section 6).

use std::sync::Arc;

use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};
use serde_json::json;

use crate::auth::Tenant;
use crate::body::{JsonBody, refused};
use crate::dto::Success;
use crate::dto::preview::{EmailPreviewBody, PreviewEmailBody};
use crate::error::{EXAMPLE_ID, descriptions, error_responses};
use crate::idempotency::IdempotencyKeyHeader;
use crate::state::AppState;
use crate::use_case_errors::{campaign_not_found, naming};

use super::{ApiTags, campaign_path_id};

error_responses!(
    /// What `POST /v1/campaigns/{campaignId}/preview-email` can answer besides 200.
    PreviewEmailErrors {
        400 => "The body breaks a rule (VALIDATION_FAILED, every problem listed: no `sequenceStep`, a step that is not an email of the sequence, a variant the step does not have, a `leadId` that is no lead of the workspace), names a mailbox the workspace does not have (MAILBOX_NOT_FOUND), is not JSON (MALFORMED_JSON), or the key needs X-Workspace-Id (WORKSPACE_REQUIRED) or was sent twice, differently (CONFLICTING_API_KEYS)."
            => refused::<PreviewEmailBody>(json!({"sequenceStep": -1, "variant": "AB"})),
        401 => descriptions::UNAUTHORIZED,
        403 => descriptions::FORBIDDEN_IN_WORKSPACE,
        404 => "The workspace has no campaign with this id (NOT_FOUND)."
            => campaign_not_found(EXAMPLE_ID),
        408 => descriptions::REQUEST_TIMEOUT,
        409 => "A request with this Idempotency-Key is still running (CONFLICT): retry after Retry-After seconds.",
        413 => descriptions::PAYLOAD_TOO_LARGE,
        415 => descriptions::UNSUPPORTED_MEDIA_TYPE,
        422 => descriptions::IDEMPOTENCY_KEY_REUSED,
        500 => descriptions::INTERNAL,
    }
);

#[derive(Debug, ApiResponse)]
pub(crate) enum EmailPreviewed {
    /// The email as rendered; nothing was sent.
    #[oai(status = 200)]
    Ok(Json<Success<EmailPreviewBody>>),
}

#[derive(Debug)]
pub(crate) struct PreviewApi;

#[OpenApi(tag = "ApiTags::Campaigns")]
impl PreviewApi {
    /// Preview email
    ///
    /// One email step of the campaign (`sequenceStep`: its 0-based position in `sequence`), rendered
    /// as the lead `leadId` would get it from the mailbox `mailboxId` (default: the campaign's first):
    /// variables filled (fallbacks where a value is blank), the step's conditional variables decided,
    /// the first option of each spintax group, the mailbox's signature appended, and the plain-text
    /// part. `variant` picks a variant by letter; `contentOverride` renders a draft subject and body
    /// instead of the stored ones. Nothing is sent or recorded.
    #[oai(
        path = "/v1/campaigns/:campaignId/preview-email",
        method = "post",
        operation_id = "previewCampaignEmail"
    )]
    async fn preview(
        &self,
        #[oai(name = "X-Workspace-Id")] tenant: Tenant,
        #[oai(name = "Idempotency-Key")] _idempotency_key: IdempotencyKeyHeader,
        state: Data<&Arc<AppState>>,
        #[oai(name = "campaignId")] id: Path<String>,
        body: JsonBody<PreviewEmailBody>,
    ) -> Result<EmailPreviewed, PreviewEmailErrors> {
        let campaign = campaign_path_id(&id)?;
        let order = body.order();
        let (request, edge_problems) = body.read();
        let rendered = state
            .preview_email
            .preview(tenant.0, campaign, &request, edge_problems)
            .await
            .map_err(|error| naming(&id)(error).in_body_order(&order))?;
        Ok(EmailPreviewed::Ok(Json(Success::new(rendered.into()))))
    }
}

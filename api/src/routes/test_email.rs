//! `POST /v1/campaigns/{campaignId}/send-test-email`: one email step sent at once over a mailbox's
//! SMTP to a lead or an address, outside the engine (SENDING.md section 6).

use std::sync::Arc;

use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};
use serde_json::json;

use crate::auth::Tenant;
use crate::body::{JsonBody, refused};
use crate::dto::Success;
use crate::dto::test_email::{SendTestEmailBody, TestEmailSentBody};
use crate::error::{ApiError, EXAMPLE_ID, descriptions, error_responses};
use crate::idempotency::IdempotencyKeyHeader;
use crate::state::AppState;
use crate::use_case_errors::{campaign_not_found, naming};

use super::{ApiTags, campaign_path_id};

error_responses!(
    /// What `POST /v1/campaigns/{campaignId}/send-test-email` can answer besides 200.
    SendTestEmailErrors {
        400 => "The body breaks a rule (VALIDATION_FAILED, every problem listed: no `sequenceStep` or `mailboxId`, a step that is not an email of the sequence, a variant the step does not have, both or neither of `leadId` and `customEmail`, a `customEmail` that is no valid address, `customVariables` without `customEmail`, a `leadId` that is no lead of the workspace, a mailbox without SMTP settings), names a mailbox the workspace does not have (MAILBOX_NOT_FOUND), is not JSON (MALFORMED_JSON), or the key needs X-Workspace-Id (WORKSPACE_REQUIRED) or was sent twice, differently (CONFLICTING_API_KEYS)."
            => refused::<SendTestEmailBody>(json!({"sequenceStep": -1, "mailboxId": EXAMPLE_ID})),
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
        502 => "The mailbox's SMTP server refused the email, refused the mailbox's login, or could not be reached in 10 seconds (SMTP_FAILED); the message quotes the server's reply. Nothing is recorded."
            => ApiError::smtp_failed("permanent SMTP failure: 550 5.1.1 <me@example.com>: Recipient address rejected"),
    }
);

#[derive(Debug, ApiResponse)]
pub(crate) enum TestEmailSent {
    /// The mailbox's SMTP server accepted the email.
    #[oai(status = 200)]
    Ok(Json<Success<TestEmailSentBody>>),
}

#[derive(Debug)]
pub(crate) struct TestEmailApi;

#[OpenApi(tag = "ApiTags::Campaigns")]
impl TestEmailApi {
    /// Send test email
    ///
    /// One email step of the campaign (`sequenceStep`: its 0-based position in `sequence`), rendered
    /// as `preview-email` renders it (a spintax option picked at random, as a send picks it) for the
    /// lead `leadId`, or for `customEmail` with `customVariables` as its values, and sent at once
    /// from the mailbox `mailboxId` over its SMTP settings, whatever its `sendingEnabled`, `status`
    /// and limits. No subject prefix, no Cc/Bcc, no tracking, no List-Unsubscribe; nothing is
    /// recorded (no event, stat, ledger row or enrolment). The answer shows the email as sent.
    #[oai(
        path = "/v1/campaigns/:campaignId/send-test-email",
        method = "post",
        operation_id = "sendCampaignTestEmail"
    )]
    async fn send_test_email(
        &self,
        #[oai(name = "X-Workspace-Id")] tenant: Tenant,
        #[oai(name = "Idempotency-Key")] _idempotency_key: IdempotencyKeyHeader,
        state: Data<&Arc<AppState>>,
        #[oai(name = "campaignId")] id: Path<String>,
        body: JsonBody<SendTestEmailBody>,
    ) -> Result<TestEmailSent, SendTestEmailErrors> {
        let campaign = campaign_path_id(&id)?;
        let order = body.order();
        let (request, edge_problems) = body.read();
        let sent = state
            .send_test_email
            .execute(tenant.0, campaign, &request, edge_problems)
            .await
            .map_err(|error| naming(&id)(error).in_body_order(&order))?;
        Ok(TestEmailSent::Ok(Json(Success::new(sent.into()))))
    }
}

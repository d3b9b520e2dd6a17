//! `/v1/campaigns/{campaignId}/leads…`: a campaign's leads (enrolments) — enrol leads, list them, act
//! on them in numbers, change one (LEADS.md section 4).

use std::sync::Arc;

use application::ports::EnrolmentQuery;
use application::use_cases::enrolments::{
    EnrolError, EnrolOutcome, EnrolmentsError, PatchEnrolmentError,
};
use domain::enrolment::{EnrolmentStatus, InvalidEnrolmentTransition, SettableStatus};
use domain::id::EnrolmentId;
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};
use serde_json::json;

use crate::auth::Tenant;
use crate::body::{JsonBody, refused};
use crate::dto::choice::Choice;
use crate::dto::enrolment::{
    CampaignLeadBody, EnrolErrorBody, EnrolLeadsRequest, EnrolledBody, EnrolmentStatuses,
    LeadActionRequest, LeadActionResultBody, UpdateCampaignLeadRequest,
};
use crate::dto::lead::LeadRead;
use crate::dto::{Page, PaginationBody, Success};
use crate::error::{ApiError, EXAMPLE_ID, descriptions, error_responses};
use crate::idempotency::IdempotencyKeyHeader;
use crate::state::AppState;
use crate::use_case_errors::campaign_not_found;

use super::{ApiTags, campaign_path_id, cursor_param, limit_param};

/// 404 for the campaign lead id a path holds.
fn enrolment_not_found(id: &str) -> ApiError {
    ApiError::not_found(format!("no campaign lead {id:?} in this campaign"))
}

fn archived() -> ApiError {
    ApiError::conflict(
        "leads cannot be added to an archived campaign (it is read-only)",
        [],
    )
}

fn enrol_error(id: &str) -> impl FnOnce(EnrolError) -> ApiError + '_ {
    move |error| match error {
        EnrolError::CampaignNotFound => campaign_not_found(id),
        EnrolError::Invalid(problems) => ApiError::validation(&problems),
        EnrolError::Archived => archived(),
        EnrolError::Unknown(cause) => ApiError::internal(&cause),
    }
}

fn enrolments_error(id: &str) -> impl FnOnce(EnrolmentsError) -> ApiError + '_ {
    move |error| match error {
        EnrolmentsError::CampaignNotFound => campaign_not_found(id),
        EnrolmentsError::Invalid(problems) => ApiError::validation(&problems),
        EnrolmentsError::Unknown(cause) => ApiError::internal(&cause),
    }
}

fn patch_error<'a>(
    campaign: &'a str,
    enrolment: &'a str,
) -> impl FnOnce(PatchEnrolmentError) -> ApiError + 'a {
    move |error| match error {
        PatchEnrolmentError::CampaignNotFound => campaign_not_found(campaign),
        PatchEnrolmentError::EnrolmentNotFound => enrolment_not_found(enrolment),
        PatchEnrolmentError::Invalid(problems) => ApiError::validation(&problems),
        PatchEnrolmentError::Refused(refusal) => {
            ApiError::invalid_state_transition(refusal.to_string())
        }
        PatchEnrolmentError::Contended => ApiError::conflict(error.to_string(), []),
        PatchEnrolmentError::Unknown(cause) => ApiError::internal(&cause),
    }
}

error_responses!(
    /// What `POST /v1/campaigns/{campaignId}/leads` can answer besides 200.
    EnrolLeadsErrors {
        400 => "The body gives none or more than one of `leads`, `filters` and `selectAll: true`, more than 5,000 items, or invalid filters (VALIDATION_FAILED; nothing was enrolled), is not JSON (MALFORMED_JSON), or the key needs X-Workspace-Id (WORKSPACE_REQUIRED) or was sent twice, differently (CONFLICTING_API_KEYS). A bad item of `leads` is not a 400: it is reported in `errors` and the others are enrolled."
            => refused::<EnrolLeadsRequest>(json!({"filters": {"tags": ["eu"]}, "selectAll": true})),
        401 => descriptions::UNAUTHORIZED,
        403 => descriptions::FORBIDDEN_IN_WORKSPACE,
        404 => "The workspace has no campaign with this id (NOT_FOUND)."
            => campaign_not_found(EXAMPLE_ID),
        408 => descriptions::REQUEST_TIMEOUT,
        409 => "The campaign is archived (CONFLICT; nothing was enrolled). Or a request with this Idempotency-Key is still running (CONFLICT): retry after Retry-After seconds."
            => archived(),
        413 => "The body is larger than 16 MiB (PAYLOAD_TOO_LARGE).",
        415 => descriptions::UNSUPPORTED_MEDIA_TYPE,
        422 => descriptions::IDEMPOTENCY_KEY_REUSED,
        500 => descriptions::INTERNAL,
    }
);

error_responses!(
    /// What listing a campaign's leads can answer besides 200.
    ListCampaignLeadsErrors {
        400 => "A query parameter is not valid (VALIDATION_FAILED), or the key needs X-Workspace-Id (WORKSPACE_REQUIRED) or was sent twice, differently (CONFLICTING_API_KEYS).",
        401 => descriptions::UNAUTHORIZED,
        403 => descriptions::FORBIDDEN_IN_WORKSPACE,
        404 => "The workspace has no campaign with this id (NOT_FOUND)."
            => campaign_not_found(EXAMPLE_ID),
        500 => descriptions::INTERNAL,
    }
);

error_responses!(
    /// What `POST /v1/campaigns/{campaignId}/leads/action` can answer besides 200.
    LeadActionErrors {
        400 => "The body names no valid `action`, gives none or both of `leadIds` and `selectAll: true`, or `filters`/`excludeIds` without `selectAll: true` (VALIDATION_FAILED; nothing changed), is not JSON (MALFORMED_JSON), or the key needs X-Workspace-Id (WORKSPACE_REQUIRED) or was sent twice, differently (CONFLICTING_API_KEYS)."
            => refused::<LeadActionRequest>(json!({"action": "archive", "leadIds": [EXAMPLE_ID], "selectAll": true})),
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

error_responses!(
    /// What `PATCH /v1/campaigns/{campaignId}/leads/{campaignLeadId}` can answer besides 200.
    UpdateCampaignLeadErrors {
        400 => "The body breaks rules of the contract (VALIDATION_FAILED, every problem listed; nothing was changed), is not JSON (MALFORMED_JSON), or the key needs X-Workspace-Id (WORKSPACE_REQUIRED) or was sent twice, differently (CONFLICTING_API_KEYS)."
            => refused::<UpdateCampaignLeadRequest>(json!({"status": "completed", "aiTag": 7})),
        401 => descriptions::UNAUTHORIZED,
        403 => descriptions::FORBIDDEN_IN_WORKSPACE,
        404 => "The workspace has no campaign with this id, or the campaign no lead with this `campaignLeadId` (NOT_FOUND)."
            => enrolment_not_found(EXAMPLE_ID),
        408 => descriptions::REQUEST_TIMEOUT,
        409 => "The status cannot be set from the current one: only `active` and `paused` move between each other (INVALID_STATE_TRANSITION). Or other writes kept coming first (CONFLICT). Nothing was changed."
            => ApiError::invalid_state_transition(InvalidEnrolmentTransition { from: EnrolmentStatus::Pending, to: SettableStatus::Paused }.to_string()),
        413 => descriptions::PAYLOAD_TOO_LARGE,
        415 => descriptions::UNSUPPORTED_MEDIA_TYPE,
        500 => descriptions::INTERNAL,
    }
);

#[derive(Debug, ApiResponse)]
pub(crate) enum LeadsEnrolled {
    /// What the enrolment did; bad items of `leads` are in `errors`, the others were enrolled.
    #[oai(status = 200)]
    Ok(Json<Success<EnrolledBody>>),
}

#[derive(Debug, ApiResponse)]
pub(crate) enum CampaignLeadsListed {
    /// A page of the campaign's leads, newest first.
    #[oai(status = 200)]
    Ok(Json<Page<CampaignLeadBody>>),
}

#[derive(Debug, ApiResponse)]
pub(crate) enum LeadActionDone {
    /// What the action changed.
    #[oai(status = 200)]
    Ok(Json<Success<LeadActionResultBody>>),
}

#[derive(Debug, ApiResponse)]
pub(crate) enum CampaignLeadRead {
    /// The campaign lead.
    #[oai(status = 200)]
    Ok(Json<Success<CampaignLeadBody>>),
}

fn enrolled_body(outcome: EnrolOutcome) -> EnrolledBody {
    EnrolledBody {
        added: outcome.added,
        skipped: outcome.skipped,
        errors: outcome
            .errors
            .into_iter()
            .map(|error| EnrolErrorBody {
                index: error.index as u64,
                entry: error.entry,
                message: error.message,
            })
            .collect(),
    }
}

#[derive(Debug)]
pub(crate) struct EnrolmentsApi;

#[OpenApi(tag = "ApiTags::Campaigns")]
impl EnrolmentsApi {
    /// Add leads to campaign
    ///
    /// Exactly one of: `leads` (at most 5,000 items, each `{leadId}` or a lead with its `email`; an
    /// unknown email creates the lead), `filters` (`tags`, `search`, `country`, `leadIds`: every one
    /// given must hold) or `selectAll: true` (every lead of the workspace, but `excludeIds`). None or
    /// several: 400. Leads already in the campaign are skipped. New campaign leads are `active` when
    /// the campaign is active, else `pending` (until it starts). An archived campaign: 409.
    #[oai(
        path = "/v1/campaigns/:campaignId/leads",
        method = "post",
        operation_id = "addCampaignLeads"
    )]
    async fn enrol(
        &self,
        #[oai(name = "X-Workspace-Id")] tenant: Tenant,
        #[oai(name = "Idempotency-Key")] _idempotency_key: IdempotencyKeyHeader,
        state: Data<&Arc<AppState>>,
        #[oai(name = "campaignId")] id: Path<String>,
        body: JsonBody<EnrolLeadsRequest>,
    ) -> Result<LeadsEnrolled, EnrolLeadsErrors> {
        let campaign = campaign_path_id(&id)?;
        let order = body.order();
        let (LeadRead { request, problems }, edge_problems) = body.read();
        let outcome = state
            .enrolments
            .enrol(
                tenant.0,
                campaign,
                &request,
                edge_problems.followed_by(problems),
            )
            .await
            .map_err(|error| enrol_error(&id)(error).in_body_order(&order))?;
        tracing::info!(
            added = outcome.added,
            skipped = outcome.skipped,
            failed = outcome.errors.len(),
            "leads enrolled"
        );
        Ok(LeadsEnrolled::Ok(Json(Success::new(enrolled_body(
            outcome,
        )))))
    }

    /// List campaign leads
    ///
    /// The campaign's leads (its enrolments, subsequence ones included), newest first, each with its
    /// lead in short and its sending history. To get the next page, pass the answer's
    /// `pagination.nextCursor` as `cursor`.
    #[oai(
        path = "/v1/campaigns/:campaignId/leads",
        method = "get",
        operation_id = "listCampaignLeads"
    )]
    async fn list(
        &self,
        #[oai(name = "X-Workspace-Id")] tenant: Tenant,
        state: Data<&Arc<AppState>>,
        #[oai(name = "campaignId")] id: Path<String>,
        /// Only campaign leads in this status.
        status: Query<Option<Choice<EnrolmentStatuses>>>,
        /// The `nextCursor` of the previous page.
        #[oai(validator(pattern = "^[0-9a-f]{24}$"))]
        cursor: Query<Option<String>>,
        /// Campaign leads per page, 1–100 (default 25).
        #[oai(validator(minimum(value = "1"), maximum(value = "100")))]
        limit: Query<Option<i64>>,
    ) -> Result<CampaignLeadsListed, ListCampaignLeadsErrors> {
        let campaign = campaign_path_id(&id)?;
        let status = status
            .0
            .map(|choice| EnrolmentStatus::parse(choice.as_str(), "status"))
            .transpose()
            .map_err(|refusal| ApiError::invalid_parameter("status", refusal))?;
        let query = EnrolmentQuery {
            status,
            before: cursor_param(cursor.0.as_deref(), EnrolmentId::parse)?,
            limit: limit_param(limit.0)?,
        };
        let page = state
            .enrolments
            .list(tenant.0, campaign, &query)
            .await
            .map_err(enrolments_error(&id))?;
        let pagination = PaginationBody::new(
            query.limit.get(),
            page.total,
            page.has_more,
            page.enrolments.last().map(|last| last.id.to_string()),
        );
        let data = page
            .enrolments
            .iter()
            .map(CampaignLeadBody::from_port)
            .collect();
        Ok(CampaignLeadsListed::Ok(Json(Page::new(data, pagination))))
    }

    /// Act on campaign leads
    ///
    /// `{action, leadIds}` or `{action, selectAll: true, filters?: {status}, excludeIds?}` (ids are
    /// campaign lead ids). `pause`: active → paused; `resume`: paused → active; `remove`: a campaign
    /// lead that sent nothing is deleted, any other becomes `removed` (its history stays). Campaign
    /// leads the action does not apply to are left alone and not counted in `modifiedCount`.
    #[oai(
        path = "/v1/campaigns/:campaignId/leads/action",
        method = "post",
        operation_id = "actOnCampaignLeads"
    )]
    async fn act(
        &self,
        #[oai(name = "X-Workspace-Id")] tenant: Tenant,
        #[oai(name = "Idempotency-Key")] _idempotency_key: IdempotencyKeyHeader,
        state: Data<&Arc<AppState>>,
        #[oai(name = "campaignId")] id: Path<String>,
        body: JsonBody<LeadActionRequest>,
    ) -> Result<LeadActionDone, LeadActionErrors> {
        let campaign = campaign_path_id(&id)?;
        let order = body.order();
        let (request, edge_problems) = body.read();
        let (action, modified) = state
            .enrolments
            .act(tenant.0, campaign, &request, edge_problems)
            .await
            .map_err(|error| enrolments_error(&id)(error).in_body_order(&order))?;
        Ok(LeadActionDone::Ok(Json(Success::new(
            LeadActionResultBody {
                action: action.into(),
                modified_count: modified,
            },
        ))))
    }

    /// Update campaign lead
    ///
    /// `status` moves a campaign lead between `active` and `paused` (any other current status: 409).
    /// `aiTag` sets or (with `null`) removes its AI tag; a tag equal, ignoring case, to the `ai_tag`
    /// trigger of an enabled, not archived subsequence enrols the lead in that subsequence too (a
    /// campaign lead of its own, with `subsequenceId`).
    #[oai(
        path = "/v1/campaigns/:campaignId/leads/:campaignLeadId",
        method = "patch",
        operation_id = "updateCampaignLead"
    )]
    async fn update(
        &self,
        #[oai(name = "X-Workspace-Id")] tenant: Tenant,
        state: Data<&Arc<AppState>>,
        #[oai(name = "campaignId")] id: Path<String>,
        #[oai(name = "campaignLeadId")] enrolment: Path<String>,
        body: JsonBody<UpdateCampaignLeadRequest>,
    ) -> Result<CampaignLeadRead, UpdateCampaignLeadErrors> {
        let campaign = campaign_path_id(&id)?;
        let enrolment_id =
            EnrolmentId::parse(&enrolment).map_err(|_| enrolment_not_found(&enrolment))?;
        let order = body.order();
        let (request, edge_problems) = body.read();
        let view = state
            .enrolments
            .patch(tenant.0, campaign, enrolment_id, &request, edge_problems)
            .await
            .map_err(|error| patch_error(&id, &enrolment)(error).in_body_order(&order))?;
        Ok(CampaignLeadRead::Ok(Json(Success::new(
            CampaignLeadBody::from_port(&view),
        ))))
    }
}

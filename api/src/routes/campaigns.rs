//! `/v1/campaigns…`: create, read, list, update, the lifecycle and delete (spec sections 3–5).

use std::sync::{Arc, Mutex};

use application::ports::{CampaignQuery, RecordedResponse};
use application::use_cases::campaign_lifecycle::{DeleteCampaignError, LifecycleCommandError};
use application::use_cases::update_campaign::UpdateCampaignError;
use domain::campaign::{Campaign, LifecycleError, NewCampaign};
use domain::id::CampaignId;
use domain::listing::NameSearch;
use domain::rules::ParseRules;
use domain::status::{CampaignStatus, InvalidTransition, LifecycleAction};
use domain::values::WebhookHostPolicy;
use poem::http::StatusCode;
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::types::ToJSON;
use poem_openapi::{ApiResponse, OpenApi};

use crate::auth::Tenant;
use crate::body::JsonBody;
use crate::campaign_patch::JsonMergePatch;
use crate::campaign_views::{
    RENDERED_CONTENT_TYPE, RenderedCampaign, RenderedJson, page_of, render, success_of,
};
use crate::dto::campaign::{
    CampaignBody, CampaignDeletedBody, CampaignDetailBody, CampaignStatusBody, CampaignStatuses,
    SecretDisclosure,
};
use crate::dto::campaign_input::{CreateCampaignRequest, UpdateCampaignRequest};
use crate::dto::choice::Choice;
use crate::dto::{Page, PaginationBody, Success};
use crate::error::{ApiError, EXAMPLE_ID, descriptions, error_responses};
use crate::idempotency::IdempotencyKeyHeader;
use crate::location::{self, Created};
use crate::request_body;
use crate::state::AppState;
use crate::use_case_errors::{campaign_not_found, naming};

use super::{ApiTags, campaign_path_id, cursor_param, limit_param};

error_responses!(
    /// What `POST /v1/campaigns` can answer besides 201.
    CreateCampaignErrors {
        400 => "The body breaks rules of the contract (VALIDATION_FAILED, every problem listed), is not JSON (MALFORMED_JSON), names mailboxes or an agent the workspace does not have (MAILBOX_NOT_FOUND, AGENT_NOT_FOUND), or the key needs X-Workspace-Id (WORKSPACE_REQUIRED) or was sent twice, differently (CONFLICTING_API_KEYS). An Idempotency-Key that is not 1 to 255 printable ASCII characters is VALIDATION_FAILED."
            => refused_create(),
        401 => descriptions::UNAUTHORIZED,
        403 => descriptions::FORBIDDEN_IN_WORKSPACE,
        408 => descriptions::REQUEST_TIMEOUT,
        409 => "A request with this Idempotency-Key is still running (CONFLICT): retry after Retry-After seconds.",
        413 => descriptions::PAYLOAD_TOO_LARGE,
        415 => descriptions::UNSUPPORTED_MEDIA_TYPE,
        422 => descriptions::IDEMPOTENCY_KEY_REUSED,
        500 => descriptions::INTERNAL,
    }
);

error_responses!(
    /// What reading one campaign can answer besides 200.
    ReadCampaignErrors {
        400 => "The key needs X-Workspace-Id (WORKSPACE_REQUIRED) or was sent twice, differently (CONFLICTING_API_KEYS).",
        401 => descriptions::UNAUTHORIZED,
        403 => descriptions::FORBIDDEN_IN_WORKSPACE,
        404 => "The workspace has no campaign with this id (NOT_FOUND)."
            => campaign_not_found(EXAMPLE_ID),
        500 => descriptions::INTERNAL,
    }
);

error_responses!(
    /// What listing campaigns can answer besides 200.
    ListCampaignsErrors {
        400 => "A query parameter is not valid (VALIDATION_FAILED), or the key needs X-Workspace-Id (WORKSPACE_REQUIRED) or was sent twice, differently (CONFLICTING_API_KEYS).",
        401 => descriptions::UNAUTHORIZED,
        403 => descriptions::FORBIDDEN_IN_WORKSPACE,
        500 => descriptions::INTERNAL,
    }
);

error_responses!(
    /// What `PATCH /v1/campaigns/{campaignId}` can answer besides 200.
    UpdateCampaignErrors {
        400 => "The merged campaign breaks rules of the contract (VALIDATION_FAILED, every problem listed), the body is not JSON (MALFORMED_JSON), names mailboxes or an agent the workspace does not have (MAILBOX_NOT_FOUND, AGENT_NOT_FOUND), or the key needs X-Workspace-Id (WORKSPACE_REQUIRED) or was sent twice, differently (CONFLICTING_API_KEYS)."
            => refused_create(),
        401 => descriptions::UNAUTHORIZED,
        403 => descriptions::FORBIDDEN_IN_WORKSPACE,
        404 => "The workspace has no campaign with this id (NOT_FOUND)."
            => campaign_not_found(EXAMPLE_ID),
        408 => descriptions::REQUEST_TIMEOUT,
        409 => "The campaign is archived (read-only), a subsequence that has sent was given another trigger, or other writes kept coming first (CONFLICT); nothing was changed."
            => naming(EXAMPLE_ID)(UpdateCampaignError::ReadOnly),
        413 => descriptions::PAYLOAD_TOO_LARGE,
        415 => descriptions::UNSUPPORTED_MEDIA_TYPE,
        500 => descriptions::INTERNAL,
    }
);

error_responses!(
    /// What a lifecycle action (a POST) can answer besides 200.
    CampaignActionErrors {
        400 => "The key needs X-Workspace-Id (WORKSPACE_REQUIRED) or was sent twice, differently (CONFLICTING_API_KEYS). An Idempotency-Key that is not 1 to 255 printable ASCII characters is VALIDATION_FAILED.",
        401 => descriptions::UNAUTHORIZED,
        403 => descriptions::FORBIDDEN_IN_WORKSPACE,
        404 => "The workspace has no campaign with this id (NOT_FOUND)."
            => campaign_not_found(EXAMPLE_ID),
        408 => descriptions::REQUEST_TIMEOUT,
        409 => "The campaign's status does not allow it; the message names the status (INVALID_STATE_TRANSITION). Or other writes kept coming first (CONFLICT). Nothing was changed. Or a request with this Idempotency-Key is still running (CONFLICT): retry after Retry-After seconds."
            => naming(EXAMPLE_ID)(LifecycleCommandError::Refused { status: CampaignStatus::Archived, error: LifecycleError::Transition(InvalidTransition { from: CampaignStatus::Archived, action: LifecycleAction::Start }) }),
        413 => descriptions::PAYLOAD_TOO_LARGE,
        422 => descriptions::IDEMPOTENCY_KEY_REUSED,
        500 => descriptions::INTERNAL,
    }
);

error_responses!(
    /// What `DELETE /v1/campaigns/{campaignId}` can answer besides 200.
    CampaignDeleteErrors {
        400 => "The key needs X-Workspace-Id (WORKSPACE_REQUIRED) or was sent twice, differently (CONFLICTING_API_KEYS).",
        401 => descriptions::UNAUTHORIZED,
        403 => descriptions::FORBIDDEN_IN_WORKSPACE,
        404 => "The workspace has no campaign with this id (NOT_FOUND)."
            => campaign_not_found(EXAMPLE_ID),
        409 => "The campaign's status does not allow it; the message names the status (INVALID_STATE_TRANSITION). Or other writes kept coming first (CONFLICT). Nothing was changed."
            => naming(EXAMPLE_ID)(DeleteCampaignError::NotDeletable(CampaignStatus::Active)),
        500 => descriptions::INTERNAL,
    }
);

/// The document's example of a refused create (and update): what the reader and the domain find in a
/// body with a blank name, a sequence that starts with a wait, and a misspelt member.
fn refused_create() -> ApiError {
    let body = serde_json::json!({
        "name": " ",
        "sequence": [
            {"type": "wait", "waitDays": 3},
            {"type": "email", "subject": "Quick question", "body": "Hi {{firstName}}"}
        ],
        "setings": {"trackOpens": false}
    });
    let (request, problems) = request_body::read::<CreateCampaignRequest>(body);
    let rules = ParseRules::create(WebhookHostPolicy::PublicOnly);
    let refused = NewCampaign::parse(&request, rules)
        .err()
        .unwrap_or_default();
    ApiError::validation(&problems.followed_by(refused))
}

#[derive(Debug, ApiResponse)]
pub(crate) enum CampaignCreated {
    /// The campaign, in `draft`, with every field; the webhook secret in full (this once).
    #[oai(status = 201)]
    Created(RenderedJson<Success<CampaignBody>>),
}

/// The 201 body of a new campaign, `{"success": true, "data": <campaign>}`, its webhook secret in full:
/// what the create answers, and what a retry with its `Idempotency-Key` gets again.
fn created_body(campaign: &Campaign) -> Vec<u8> {
    Success::new(CampaignBody::from_domain(campaign, SecretDisclosure::Full))
        .to_json_string()
        .into_bytes()
}

/// The 201 answer of a keyed create, rendered once: into the key's record (stored in the campaign's
/// transaction) and kept for the client. A create that had to start again (a mailbox deleted
/// meanwhile) renders its new campaign; the last rendering is the stored one.
#[derive(Debug, Default)]
struct CreatedAnswer(Mutex<Option<(CampaignId, Vec<u8>)>>);

impl CreatedAnswer {
    /// The answer for `campaign`, to store with it; kept.
    fn render(&self, campaign: &Campaign) -> RecordedResponse {
        let body = created_body(campaign);
        if let Ok(mut kept) = self.0.lock() {
            *kept = Some((campaign.id(), body.clone()));
        }
        RecordedResponse {
            status: StatusCode::CREATED.as_u16(),
            content_type: RENDERED_CONTENT_TYPE.to_owned(),
            body,
        }
    }

    /// The body rendered for `campaign` (rendered now only if it never was).
    fn into_body(self, campaign: &Campaign) -> Vec<u8> {
        match self.0.into_inner() {
            Ok(Some((id, body))) if id == campaign.id() => body,
            _ => created_body(campaign),
        }
    }
}

#[derive(Debug, ApiResponse)]
pub(crate) enum CampaignRead {
    /// The campaign (webhook secret masked) and its lead counts.
    #[oai(status = 200)]
    Ok(RenderedJson<Success<CampaignDetailBody>>),
}

#[derive(Debug, ApiResponse)]
pub(crate) enum CampaignsListed {
    /// A page of campaigns, newest first (webhook secrets masked).
    #[oai(status = 200)]
    Ok(RenderedJson<Page<CampaignDetailBody>>),
}

#[derive(Debug, ApiResponse)]
pub(crate) enum CampaignResumed {
    /// The campaign's id and its new status, `active`.
    #[oai(status = 200)]
    Ok(Json<Success<CampaignStatusBody>>),
}

#[derive(Debug, ApiResponse)]
pub(crate) enum CampaignDeleted {
    /// The campaign is gone, with its subsequences and mailbox links.
    #[oai(status = 200)]
    Ok(Json<Success<CampaignDeletedBody>>),
}

impl CampaignRead {
    /// A campaign just written, rendered here (reads render through `RenderedCampaigns`).
    fn of(campaign: &Campaign, secret: SecretDisclosure) -> Self {
        Self::Ok(RenderedJson::new(success_of(&render(campaign, secret))))
    }
}

#[derive(Debug)]
pub(crate) struct CampaignsApi;

#[OpenApi(tag = "ApiTags::Campaigns")]
impl CampaignsApi {
    /// Create campaign
    ///
    /// Create a new campaign in `draft` status. Only `name` is required; everything else has a
    /// default. The whole request is validated before anything is written, and every problem is
    /// reported together, each with a JSON Pointer into the body. Mailboxes can be assigned with any
    /// combination of `mailboxes`/`mailboxIds` (ids), `mailboxEmails` (addresses), `mailboxTags` (every
    /// mailbox having any of these tags) and `mailboxProvider` (every mailbox of this provider).
    #[oai(
        path = "/v1/campaigns",
        method = "post",
        operation_id = "createCampaign"
    )]
    async fn create(
        &self,
        #[oai(name = "X-Workspace-Id")] tenant: Tenant,
        #[oai(name = "Idempotency-Key")] idempotency_key: IdempotencyKeyHeader,
        state: Data<&Arc<AppState>>,
        body: JsonBody<CreateCampaignRequest>,
    ) -> Result<Created<CampaignCreated>, CreateCampaignErrors> {
        let order = body.order();
        let (request, edge_problems) = body.read();
        let use_case = &state.create_campaign;
        // A request holding an Idempotency-Key stores its answer with the campaign (see
        // `CreateCampaign::execute_answering`): no crash can leave one without the other.
        let (created, answer) = match &idempotency_key.0 {
            Some(held) => {
                let answer = CreatedAnswer::default();
                let created = use_case
                    .execute_answering(tenant.0, &request, edge_problems, &|campaign: &Campaign| {
                        held.completion(answer.render(campaign))
                    })
                    .await;
                if created.is_ok() {
                    held.answer_stored();
                }
                (created, Some(answer))
            }
            None => (
                use_case.execute(tenant.0, &request, edge_problems).await,
                None,
            ),
        };
        let campaign = created.map_err(|error| ApiError::from(error).in_body_order(&order))?;
        tracing::info!(campaign = %campaign.id(), "campaign created");
        let body = match answer {
            Some(answer) => answer.into_body(&campaign),
            None => created_body(&campaign),
        };
        Ok(Created::new(
            CampaignCreated::Created(RenderedJson::new(body)),
            location::created("/v1/campaigns", campaign.id()),
        ))
    }

    /// Get campaign
    ///
    /// One campaign of the workspace, with `leadCounts`. The webhook secret is masked (`whsec_…` and
    /// its last 4 characters).
    #[oai(
        path = "/v1/campaigns/:campaignId",
        method = "get",
        operation_id = "getCampaign"
    )]
    async fn get(
        &self,
        #[oai(name = "X-Workspace-Id")] tenant: Tenant,
        state: Data<&Arc<AppState>>,
        #[oai(name = "campaignId")] id: Path<String>,
    ) -> Result<CampaignRead, ReadCampaignErrors> {
        let rendered = state
            .read_campaigns
            .view(tenant.0, campaign_path_id(&id)?, &state.rendered_campaigns)
            .await
            .map_err(naming(&id))?;
        Ok(CampaignRead::Ok(RenderedJson::new(success_of(&rendered))))
    }

    /// List campaigns
    ///
    /// The workspace's campaigns, newest first, a page at a time. Filter by `status` and by `search`
    /// (a case-insensitive substring of the name). To get the next page, pass the answer's
    /// `pagination.nextCursor` as `cursor`: campaigns created meanwhile never shift the pages still to
    /// come. `pagination.total` counts every campaign matching the filters.
    #[oai(path = "/v1/campaigns", method = "get", operation_id = "listCampaigns")]
    async fn list(
        &self,
        #[oai(name = "X-Workspace-Id")] tenant: Tenant,
        state: Data<&Arc<AppState>>,
        /// Only campaigns in this status.
        status: Query<Option<Choice<CampaignStatuses>>>,
        /// Only campaigns whose name contains this text, ignoring case.
        #[oai(validator(max_length = 200))]
        search: Query<Option<String>>,
        /// The `nextCursor` of the previous page.
        #[oai(validator(pattern = "^[0-9a-f]{24}$"))]
        cursor: Query<Option<String>>,
        /// Campaigns per page, 1–100 (default 25).
        #[oai(validator(minimum(value = "1"), maximum(value = "100")))]
        limit: Query<Option<i64>>,
    ) -> Result<CampaignsListed, ListCampaignsErrors> {
        let query = CampaignQuery {
            status: status
                .0
                .as_ref()
                .and_then(|choice| CampaignStatus::from_wire(choice.as_str())),
            name: NameSearch::parse(search.0.as_deref())
                .map_err(|refusal| ApiError::invalid_parameter("search", refusal))?,
            before: cursor_param(cursor.0.as_deref(), CampaignId::parse)?,
            limit: limit_param(limit.0)?,
        };
        let page = state
            .read_campaigns
            .list_views(tenant.0, &query, &state.rendered_campaigns)
            .await
            .map_err(ApiError::from)?;
        let pagination = PaginationBody::new(
            query.limit.get(),
            page.total,
            page.has_more,
            page.views.last().map(|(id, _)| id.to_string()),
        );
        let rendered: Vec<RenderedCampaign> =
            page.views.into_iter().map(|(_, view)| view).collect();
        Ok(CampaignsListed::Ok(RenderedJson::new(page_of(
            &rendered,
            &pagination,
        ))))
    }

    /// Update campaign
    ///
    /// Change a campaign with a JSON Merge Patch (RFC 7386) of its create request: fields left out
    /// keep their values, `null` resets a field to its default, `schedule` and `settings` merge member
    /// by member, `sequence` and `subsequences` replace the whole list, and any mailbox selector
    /// replaces the mailbox list. The merged campaign must satisfy every create rule; every problem is
    /// reported at once and nothing changes. An archived campaign is read-only (409). `_id`, `status`,
    /// `stats` and `createdAt` never change here; `updatedAt` moves. Concurrent updates of different
    /// fields are all kept. The webhook secret is masked, unless this update generated it.
    #[oai(
        path = "/v1/campaigns/:campaignId",
        method = "patch",
        operation_id = "updateCampaign"
    )]
    async fn update(
        &self,
        #[oai(name = "X-Workspace-Id")] tenant: Tenant,
        state: Data<&Arc<AppState>>,
        #[oai(name = "campaignId")] id: Path<String>,
        body: JsonBody<UpdateCampaignRequest>,
    ) -> Result<CampaignRead, UpdateCampaignErrors> {
        let updated = state
            .update_campaign
            .execute(
                tenant.0,
                campaign_path_id(&id)?,
                &JsonMergePatch::new(body.value(), body.duplicates()),
            )
            .await
            .map_err(naming(&id))
            .map_err(|error| error.in_body_order(&body.order()))?;
        tracing::info!(campaign = %updated.campaign.id(), "campaign updated");
        let secret = if updated.generated_webhook_secret {
            SecretDisclosure::Full
        } else {
            SecretDisclosure::Masked
        };
        Ok(CampaignRead::of(&updated.campaign, secret))
    }

    /// Start campaign
    ///
    /// `draft` or `paused` → `active`. Needs at least one mailbox and one email step. Sets
    /// `startedAt` the first time. The campaign's `pending` leads become `active` in the same write.
    #[oai(
        path = "/v1/campaigns/:campaignId/start",
        method = "post",
        operation_id = "startCampaign"
    )]
    async fn start(
        &self,
        #[oai(name = "X-Workspace-Id")] tenant: Tenant,
        #[oai(name = "Idempotency-Key")] _idempotency_key: IdempotencyKeyHeader,
        state: Data<&Arc<AppState>>,
        #[oai(name = "campaignId")] id: Path<String>,
    ) -> Result<CampaignRead, CampaignActionErrors> {
        let campaign = act(&state, tenant, &id, LifecycleAction::Start).await?;
        Ok(CampaignRead::of(&campaign, SecretDisclosure::Masked))
    }

    /// Pause campaign
    ///
    /// `active` → `paused`.
    #[oai(
        path = "/v1/campaigns/:campaignId/pause",
        method = "post",
        operation_id = "pauseCampaign"
    )]
    async fn pause(
        &self,
        #[oai(name = "X-Workspace-Id")] tenant: Tenant,
        #[oai(name = "Idempotency-Key")] _idempotency_key: IdempotencyKeyHeader,
        state: Data<&Arc<AppState>>,
        #[oai(name = "campaignId")] id: Path<String>,
    ) -> Result<CampaignRead, CampaignActionErrors> {
        let campaign = act(&state, tenant, &id, LifecycleAction::Pause).await?;
        Ok(CampaignRead::of(&campaign, SecretDisclosure::Masked))
    }

    /// Resume campaign
    ///
    /// `paused` → `active`; answers the campaign's `id` and `status`. Leads added while it was paused
    /// (`pending`) become `active` in the same write.
    #[oai(
        path = "/v1/campaigns/:campaignId/resume",
        method = "post",
        operation_id = "resumeCampaign"
    )]
    async fn resume(
        &self,
        #[oai(name = "X-Workspace-Id")] tenant: Tenant,
        #[oai(name = "Idempotency-Key")] _idempotency_key: IdempotencyKeyHeader,
        state: Data<&Arc<AppState>>,
        #[oai(name = "campaignId")] id: Path<String>,
    ) -> Result<CampaignResumed, CampaignActionErrors> {
        let campaign = act(&state, tenant, &id, LifecycleAction::Resume).await?;
        Ok(CampaignResumed::Ok(Json(Success::new(
            CampaignStatusBody::from_domain(&campaign),
        ))))
    }

    /// Archive campaign
    ///
    /// [ext] Any status but `archived` → `archived`. An archived campaign is read-only.
    #[oai(
        path = "/v1/campaigns/:campaignId/archive",
        method = "post",
        operation_id = "archiveCampaign"
    )]
    async fn archive(
        &self,
        #[oai(name = "X-Workspace-Id")] tenant: Tenant,
        #[oai(name = "Idempotency-Key")] _idempotency_key: IdempotencyKeyHeader,
        state: Data<&Arc<AppState>>,
        #[oai(name = "campaignId")] id: Path<String>,
    ) -> Result<CampaignRead, CampaignActionErrors> {
        let campaign = act(&state, tenant, &id, LifecycleAction::Archive).await?;
        Ok(CampaignRead::of(&campaign, SecretDisclosure::Masked))
    }

    /// Delete campaign
    ///
    /// [ext] Deletes a `draft` that never started, with its subsequences and mailbox links. Any other
    /// campaign is 409 (archive it instead).
    #[oai(
        path = "/v1/campaigns/:campaignId",
        method = "delete",
        operation_id = "deleteCampaign"
    )]
    async fn delete(
        &self,
        #[oai(name = "X-Workspace-Id")] tenant: Tenant,
        state: Data<&Arc<AppState>>,
        #[oai(name = "campaignId")] id: Path<String>,
    ) -> Result<CampaignDeleted, CampaignDeleteErrors> {
        state
            .campaign_lifecycle
            .delete(tenant.0, campaign_path_id(&id)?)
            .await
            .map_err(naming(&id))?;
        tracing::info!(campaign = %id.0, "campaign deleted");
        Ok(CampaignDeleted::Ok(Json(Success::new(
            CampaignDeletedBody {
                id: id.0,
                deleted: true,
            },
        ))))
    }
}

/// Runs a lifecycle action on the path's campaign.
async fn act(
    state: &AppState,
    tenant: Tenant,
    id: &str,
    action: LifecycleAction,
) -> Result<Campaign, ApiError> {
    let campaign = state
        .campaign_lifecycle
        .act(tenant.0, campaign_path_id(id)?, action)
        .await
        .map_err(naming(id))?;
    tracing::info!(campaign = %campaign.id(), status = %campaign.status(), "campaign {}", action.as_str());
    Ok(campaign)
}

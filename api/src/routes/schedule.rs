//! `GET /v1/campaigns/{campaignId}/schedule`: a campaign's next windows, the dates it skips, and the
//! forecast of its sends (SENDING.md sections 2 and 6).

use std::sync::Arc;

use domain::send_forecast::ForecastDays;
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};

use crate::auth::Tenant;
use crate::dto::Success;
use crate::dto::schedule::ScheduleBody;
use crate::error::{ApiError, EXAMPLE_ID, descriptions, error_responses};
use crate::state::AppState;
use crate::use_case_errors::{campaign_not_found, naming};

use super::{ApiTags, campaign_path_id};

error_responses!(
    /// What `GET /v1/campaigns/{campaignId}/schedule` can answer besides 200.
    ReadScheduleErrors {
        400 => "`days` is not a whole number from 1 to 90 (VALIDATION_FAILED), or the key needs X-Workspace-Id (WORKSPACE_REQUIRED) or was sent twice, differently (CONFLICTING_API_KEYS).",
        401 => descriptions::UNAUTHORIZED,
        403 => descriptions::FORBIDDEN_IN_WORKSPACE,
        404 => "The workspace has no campaign with this id (NOT_FOUND)."
            => campaign_not_found(EXAMPLE_ID),
        500 => descriptions::INTERNAL,
    }
);

#[derive(Debug, ApiResponse)]
pub(crate) enum ScheduleRead {
    /// The campaign's windows, skipped dates and forecast.
    #[oai(status = 200)]
    Ok(Json<Success<ScheduleBody>>),
}

#[derive(Debug)]
pub(crate) struct ScheduleApi;

#[OpenApi(tag = "ApiTags::Campaigns")]
impl ScheduleApi {
    /// Get campaign schedule
    ///
    /// [ext] The campaign's sending windows over the next `days` local dates of its
    /// `schedule.timezone` (from today), in UTC and local form, with `reason` when a daylight-saving
    /// switch moved an edge; the dates without a window (`weekend`: not a working day; `holiday`:
    /// a national public holiday of the zone's country, with its name); and a forecast of the emails
    /// each window sends, computed from the campaign's enrolments, waits, mailboxes and limits as
    /// they are now. A draft or paused campaign is forecast as if it started now; a completed or
    /// archived one plans nothing.
    #[oai(
        path = "/v1/campaigns/:campaignId/schedule",
        method = "get",
        operation_id = "getCampaignSchedule"
    )]
    async fn get(
        &self,
        #[oai(name = "X-Workspace-Id")] tenant: Tenant,
        state: Data<&Arc<AppState>>,
        #[oai(name = "campaignId")] id: Path<String>,
        /// Local dates to cover, 1–90 (default 14).
        #[oai(validator(minimum(value = "1"), maximum(value = "90")))]
        days: Query<Option<i64>>,
    ) -> Result<ScheduleRead, ReadScheduleErrors> {
        let days = ForecastDays::parse(days.0)
            .map_err(|refusal| ApiError::invalid_parameter("days", refusal))?;
        let view = state
            .campaign_schedule
            .show(tenant.0, campaign_path_id(&id)?, days)
            .await
            .map_err(naming(&id))?;
        Ok(ScheduleRead::Ok(Json(Success::new(
            ScheduleBody::from_view(&view),
        ))))
    }
}

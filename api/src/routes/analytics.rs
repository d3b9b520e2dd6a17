//! The analytics operations (SENDING.md section 6): `GET /v1/campaigns/{campaignId}/analytics`,
//! `GET /v1/analytics/overview`, `GET /v1/analytics/daily/campaigns/{campaignId}` and
//! `GET /v1/campaigns/{campaignId}/events`.

use std::sync::Arc;

use application::ports::EventQuery;
use application::use_cases::analytics::{AnalyticsError, RangeQuery};
use domain::analytics::{EventType, RangeBound};
use domain::id::ObjectId;
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};

use crate::auth::Tenant;
use crate::dto::analytics::{CampaignAnalyticsBody, DailyBody, EventBody, OverviewBody};
use crate::dto::{Page, PaginationBody, Success};
use crate::error::{ApiError, EXAMPLE_ID, descriptions, error_responses};
use crate::state::AppState;
use crate::use_case_errors::campaign_not_found;

use super::{ApiTags, campaign_path_id, cursor_param, limit_param};

/// The span's ends as sent: each a date or an instant, refused by its name.
fn range_params(from: Option<&str>, to: Option<&str>) -> Result<RangeQuery, ApiError> {
    let bound = |name: &str, raw: Option<&str>| {
        raw.map(RangeBound::parse)
            .transpose()
            .map_err(|refusal| ApiError::invalid_parameter(name, refusal))
    };
    Ok(RangeQuery {
        from: bound("from", from)?,
        to: bound("to", to)?,
    })
}

/// For `map_err`: the answer to an analytics error about the campaign at `id` (if any).
fn analytics_error(id: Option<&str>) -> impl FnOnce(AnalyticsError) -> ApiError + '_ {
    move |error| match error {
        AnalyticsError::NotFound => campaign_not_found(id.unwrap_or_default()),
        AnalyticsError::InvalidParameter((name, refusal)) => {
            ApiError::invalid_parameter(name, refusal)
        }
        AnalyticsError::Unknown(cause) => cause.into(),
    }
}

const BAD_RANGE: &str = "`from` or `to` is not a date (YYYY-MM-DD) or an RFC 3339 instant, or `to` is before `from` (VALIDATION_FAILED), or the key needs X-Workspace-Id (WORKSPACE_REQUIRED) or was sent twice, differently (CONFLICTING_API_KEYS).";

error_responses!(
    /// What `GET /v1/campaigns/{campaignId}/analytics` can answer besides 200.
    CampaignAnalyticsErrors {
        400 => BAD_RANGE,
        401 => descriptions::UNAUTHORIZED,
        403 => descriptions::FORBIDDEN_IN_WORKSPACE,
        404 => "The workspace has no campaign with this id (NOT_FOUND)."
            => campaign_not_found(EXAMPLE_ID),
        500 => descriptions::INTERNAL,
    }
);

error_responses!(
    /// What `GET /v1/analytics/overview` can answer besides 200.
    OverviewErrors {
        400 => BAD_RANGE,
        401 => descriptions::UNAUTHORIZED,
        403 => descriptions::FORBIDDEN_IN_WORKSPACE,
        500 => descriptions::INTERNAL,
    }
);

error_responses!(
    /// What `GET /v1/analytics/daily/campaigns/{campaignId}` can answer besides 200.
    DailyAnalyticsErrors {
        400 => "`from` or `to` is not a date (YYYY-MM-DD) or an RFC 3339 instant, `to` is before `from`, or they span more than 366 dates (VALIDATION_FAILED), or the key needs X-Workspace-Id (WORKSPACE_REQUIRED) or was sent twice, differently (CONFLICTING_API_KEYS).",
        401 => descriptions::UNAUTHORIZED,
        403 => descriptions::FORBIDDEN_IN_WORKSPACE,
        404 => "The workspace has no campaign with this id (NOT_FOUND)."
            => campaign_not_found(EXAMPLE_ID),
        500 => descriptions::INTERNAL,
    }
);

error_responses!(
    /// What `GET /v1/campaigns/{campaignId}/events` can answer besides 200.
    ListEventsErrors {
        400 => "`type` is not an event type, or `cursor` or `limit` is not valid (VALIDATION_FAILED), or the key needs X-Workspace-Id (WORKSPACE_REQUIRED) or was sent twice, differently (CONFLICTING_API_KEYS).",
        401 => descriptions::UNAUTHORIZED,
        403 => descriptions::FORBIDDEN_IN_WORKSPACE,
        404 => "The workspace has no campaign with this id (NOT_FOUND)."
            => campaign_not_found(EXAMPLE_ID),
        500 => descriptions::INTERNAL,
    }
);

#[derive(Debug, ApiResponse)]
pub(crate) enum CampaignAnalyticsRead {
    /// The campaign's report.
    #[oai(status = 200)]
    Ok(Json<Success<CampaignAnalyticsBody>>),
}

#[derive(Debug, ApiResponse)]
pub(crate) enum OverviewRead {
    /// The workspace's totals and rates.
    #[oai(status = 200)]
    Ok(Json<Success<OverviewBody>>),
}

#[derive(Debug, ApiResponse)]
pub(crate) enum DailyAnalyticsRead {
    /// Every local date of the range, in order.
    #[oai(status = 200)]
    Ok(Json<Success<Vec<DailyBody>>>),
}

#[derive(Debug, ApiResponse)]
pub(crate) enum EventsListed {
    /// A page of the campaign's event rows, newest first.
    #[oai(status = 200)]
    Ok(Json<Page<EventBody>>),
}

#[derive(Debug)]
pub(crate) struct AnalyticsApi;

#[OpenApi(tag = "ApiTags::Analytics")]
impl AnalyticsApi {
    /// Get campaign analytics
    ///
    /// The campaign's counters over `from`–`to` (omitted: all time): first events per message
    /// (a message opened five times counts once, when it was first opened); `delivered` is sent and
    /// never bounced. A date is a whole local date of the campaign's `schedule.timezone`; an instant
    /// is included. `stepAnalytics` lists the main sequence's email steps and variants;
    /// `statusBreakdown` is the campaign's leads by status now; `totalReplied` the leads that
    /// replied.
    #[oai(
        path = "/v1/campaigns/:campaignId/analytics",
        method = "get",
        operation_id = "getCampaignAnalytics"
    )]
    async fn campaign(
        &self,
        #[oai(name = "X-Workspace-Id")] tenant: Tenant,
        state: Data<&Arc<AppState>>,
        #[oai(name = "campaignId")] id: Path<String>,
        /// The span's start: a date (`2026-12-01`, from its local midnight) or an RFC 3339 instant.
        from: Query<Option<String>>,
        /// The span's end: a date (`2026-12-07`, through its end) or an RFC 3339 instant (included).
        to: Query<Option<String>>,
    ) -> Result<CampaignAnalyticsRead, CampaignAnalyticsErrors> {
        let campaign = campaign_path_id(&id)?;
        let range = range_params(from.0.as_deref(), to.0.as_deref())?;
        let report = state
            .analytics
            .campaign_report(tenant.0, campaign, range)
            .await
            .map_err(analytics_error(Some(&id)))?;
        Ok(CampaignAnalyticsRead::Ok(Json(Success::new(
            CampaignAnalyticsBody::from_report(&report),
        ))))
    }

    /// Get workspace analytics overview
    ///
    /// The workspace's counters over `from`–`to` (omitted: all time; dates in UTC), every campaign
    /// together, first events per message, and the open, click, reply and bounce rates in percent
    /// of `sent` with one decimal (`"0.0"` when nothing was sent).
    #[oai(
        path = "/v1/analytics/overview",
        method = "get",
        operation_id = "getAnalyticsOverview"
    )]
    async fn overview(
        &self,
        #[oai(name = "X-Workspace-Id")] tenant: Tenant,
        state: Data<&Arc<AppState>>,
        /// The span's start: a date (UTC) or an RFC 3339 instant.
        from: Query<Option<String>>,
        /// The span's end: a date (UTC, through its end) or an RFC 3339 instant (included).
        to: Query<Option<String>>,
    ) -> Result<OverviewRead, OverviewErrors> {
        let range = range_params(from.0.as_deref(), to.0.as_deref())?;
        let overview = state
            .analytics
            .overview(tenant.0, range)
            .await
            .map_err(analytics_error(None))?;
        Ok(OverviewRead::Ok(Json(Success::new(
            OverviewBody::from_overview(&overview),
        ))))
    }

    /// Get campaign daily analytics
    ///
    /// The campaign's counters on each local date of its `schedule.timezone` from `from` to `to`
    /// (default: the 30 days before today, and today; at most 366 dates), every date listed, in
    /// order. A message counts on the date of its first event of each kind.
    #[oai(
        path = "/v1/analytics/daily/campaigns/:campaignId",
        method = "get",
        operation_id = "getCampaignDailyAnalytics"
    )]
    async fn daily(
        &self,
        #[oai(name = "X-Workspace-Id")] tenant: Tenant,
        state: Data<&Arc<AppState>>,
        #[oai(name = "campaignId")] id: Path<String>,
        /// The first local date (`2026-12-01`; an instant names its local date).
        from: Query<Option<String>>,
        /// The last local date (included).
        to: Query<Option<String>>,
    ) -> Result<DailyAnalyticsRead, DailyAnalyticsErrors> {
        let campaign = campaign_path_id(&id)?;
        let range = range_params(from.0.as_deref(), to.0.as_deref())?;
        let rows = state
            .analytics
            .daily(tenant.0, campaign, range)
            .await
            .map_err(analytics_error(Some(&id)))?;
        Ok(DailyAnalyticsRead::Ok(Json(Success::new(
            rows.iter().map(DailyBody::from_row).collect(),
        ))))
    }

    /// List campaign events
    ///
    /// [ext] The campaign's event rows (sends, opens, clicks, replies, auto-replies, bounces,
    /// unsubscribes…), every one kept, newest first; `type` keeps one kind. To get the next page,
    /// pass the answer's `pagination.nextCursor` as `cursor`.
    #[oai(
        path = "/v1/campaigns/:campaignId/events",
        method = "get",
        operation_id = "listCampaignEvents"
    )]
    async fn events(
        &self,
        #[oai(name = "X-Workspace-Id")] tenant: Tenant,
        state: Data<&Arc<AppState>>,
        #[oai(name = "campaignId")] id: Path<String>,
        /// Only events of this type (`email.sent`, `email.opened`, `email.clicked`,
        /// `email.replied`, `email.auto_replied`, `email.bounced`, `email.unsubscribed`,
        /// `email.positive_reply`, `lead.replied`, `lead.bounced`, `lead.updated`,
        /// `lead.tag_changed`).
        #[oai(name = "type")]
        kind: Query<Option<String>>,
        /// The `nextCursor` of the previous page.
        #[oai(validator(pattern = "^[0-9a-f]{24}$"))]
        cursor: Query<Option<String>>,
        /// Events per page, 1–100 (default 25).
        #[oai(validator(minimum(value = "1"), maximum(value = "100")))]
        limit: Query<Option<i64>>,
    ) -> Result<EventsListed, ListEventsErrors> {
        let campaign = campaign_path_id(&id)?;
        let kind = kind
            .0
            .as_deref()
            .map(EventType::parse)
            .transpose()
            .map_err(|refusal| ApiError::invalid_parameter("type", refusal))?;
        let query = EventQuery {
            kind,
            before: cursor_param(cursor.0.as_deref(), ObjectId::parse)?,
            limit: limit_param(limit.0)?,
        };
        let page = state
            .analytics
            .events(tenant.0, campaign, &query)
            .await
            .map_err(analytics_error(Some(&id)))?;
        let pagination = PaginationBody::new(
            query.limit.get(),
            page.total,
            page.has_more,
            page.events.last().map(|last| last.id.to_string()),
        );
        let data = page.events.iter().map(EventBody::from_port).collect();
        Ok(EventsListed::Ok(Json(Page::new(data, pagination))))
    }
}

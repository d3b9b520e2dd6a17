//! The operations, one module per resource: each reads its body as its declared DTO (`JsonBody::read`,
//! which reports the shape problems), hands the request and those problems to its use case, and maps
//! the outcome onto the wire.

mod agents;
mod analytics;
mod campaigns;
mod dnc;
mod enrolments;
mod health;
mod leads;
mod mailboxes;
mod preview;
mod schedule;
mod test_email;
mod tracking;
mod webhooks;
mod workspaces;

use domain::id::CampaignId;
use domain::listing::PageLimit;
use domain::problem::Invalid;
use poem_openapi::Tags;

use crate::error::ApiError;
use crate::use_case_errors::campaign_not_found;

/// A path's campaign id; one that is not even well-formed names no campaign: 404.
fn campaign_path_id(raw: &str) -> Result<CampaignId, ApiError> {
    CampaignId::parse(raw).map_err(|_| campaign_not_found(raw))
}

/// A list's `cursor` (the id the previous page ended on), read by `parse_id`; refused by its name.
fn cursor_param<I>(
    raw: Option<&str>,
    parse_id: impl FnOnce(&str) -> Result<I, Invalid>,
) -> Result<Option<I>, ApiError> {
    raw.map(parse_id)
        .transpose()
        .map_err(|refusal| ApiError::invalid_parameter("cursor", refusal))
}

/// A list's `limit`; refused by its name.
fn limit_param(raw: Option<i64>) -> Result<PageLimit, ApiError> {
    PageLimit::parse(raw).map_err(|refusal| ApiError::invalid_parameter("limit", refusal))
}

pub(crate) use agents::AgentsApi;
pub(crate) use analytics::AnalyticsApi;
pub(crate) use campaigns::CampaignsApi;
pub(crate) use dnc::DncApi;
pub(crate) use enrolments::EnrolmentsApi;
pub(crate) use health::HealthApi;
pub(crate) use leads::LeadsApi;
pub(crate) use mailboxes::MailboxesApi;
pub(crate) use preview::PreviewApi;
pub(crate) use schedule::ScheduleApi;
pub(crate) use test_email::TestEmailApi;
pub(crate) use tracking::TrackingApi;
pub(crate) use webhooks::WebhooksApi;
pub(crate) use workspaces::WorkspacesApi;

#[derive(Debug, Tags)]
pub(crate) enum ApiTags {
    /// Outreach campaigns.
    Campaigns,
    /// Sending mailboxes.
    Mailboxes,
    /// Leads: the people a workspace writes to.
    Leads,
    /// AI reply agents.
    Agents,
    /// The do-not-contact list.
    DoNotContact,
    /// The user behind a platform key.
    Account,
    /// Workspaces and their API keys.
    Workspaces,
    /// Webhooks: the workspace's event destinations and their deliveries.
    Webhooks,
    /// Liveness and readiness.
    Health,
    /// Counters and event rows of what the campaigns sent and what came back.
    Analytics,
    /// [ext] The public links of sent messages: the open pixel, tracked links and unsubscribe (no
    /// API key).
    Tracking,
}

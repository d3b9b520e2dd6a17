//! A campaign's schedule (`GET /v1/campaigns/{id}/schedule`, SENDING.md section 6): its next windows,
//! the dates it skips, and a forecast of its sends from its enrolments, waits, mailboxes and limits
//! as they are now. The rules are the domain's ([`SendCalendar`], [`forecast`]); this gathers what
//! they need: the campaign, its mailboxes, and its enrolments counted by due time.

use std::sync::Arc;

use domain::id::{CampaignId, SubsequenceId};
use domain::send_forecast::{
    ForecastDays, ForecastInput, ScheduleForecast, SendingCapacity, forecast,
};
use domain::send_window::SendCalendar;
use domain::sequence::Sequence;
use domain::status::CampaignStatus;

use crate::ports::{
    CampaignRepository, Clock, EnrolmentRepository, MailboxRepository, RepositoryError,
};
use crate::tenancy::Tenancy;

/// Why there is no schedule to show.
#[derive(Debug, thiserror::Error)]
pub enum ScheduleError {
    /// No such campaign in the workspace (another workspace's is no different).
    #[error("campaign not found")]
    NotFound,
    #[error(transparent)]
    Unknown(#[from] RepositoryError),
}

/// A campaign's schedule, with the calendar that tells its instants in local time.
#[derive(Debug, Clone)]
pub struct CampaignScheduleView {
    pub calendar: SendCalendar,
    pub forecast: ScheduleForecast,
}

/// The ports the schedule needs.
#[derive(Clone)]
pub struct CampaignSchedule {
    pub campaigns: Arc<dyn CampaignRepository>,
    pub mailboxes: Arc<dyn MailboxRepository>,
    pub enrolments: Arc<dyn EnrolmentRepository>,
    pub clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for CampaignSchedule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CampaignSchedule").finish_non_exhaustive()
    }
}

impl CampaignSchedule {
    /// The schedule of the campaign `id` of the caller's workspace over the next `days` local dates.
    ///
    /// Decided where the spec is silent: a `draft` or `paused` campaign is forecast as if it started
    /// (or resumed) now, its `pending` enrolments counted; a `completed` or `archived` one plans
    /// nothing. The capacity assumes the campaign has its mailboxes' daily limits to itself.
    pub async fn show(
        &self,
        tenancy: Tenancy,
        id: CampaignId,
        days: ForecastDays,
    ) -> Result<CampaignScheduleView, ScheduleError> {
        let workspace = tenancy.workspace_id;
        let campaign = self
            .campaigns
            .find(workspace, id)
            .await?
            .ok_or(ScheduleError::NotFound)?
            .campaign;
        let mailboxes = self
            .mailboxes
            .find_many(workspace, campaign.mailboxes())
            .await?;
        let groups = self.enrolments.due_groups(workspace, id).await?;
        let calendar = SendCalendar::of(campaign.schedule());
        let settings = campaign.settings();
        let capacity = SendingCapacity {
            mailbox_limits: mailboxes
                .iter()
                .filter(|mailbox| mailbox.can_send())
                .map(|mailbox| mailbox.fields().daily_send_limit())
                .collect(),
            campaign_daily_limit: settings.daily_send_limit(),
            interval_minutes: settings.email_interval_minutes(),
        };
        let sequences =
            |key: Option<SubsequenceId>| -> Option<&Sequence> { campaign.sequence_of(key) };
        let forecast = forecast(&ForecastInput {
            calendar: &calendar,
            now: self.clock.now(),
            days,
            sequences: &sequences,
            groups: &groups,
            capacity: &capacity,
            sending: !matches!(
                campaign.status(),
                CampaignStatus::Completed | CampaignStatus::Archived
            ),
        });
        Ok(CampaignScheduleView { calendar, forecast })
    }
}

#[cfg(test)]
mod tests;

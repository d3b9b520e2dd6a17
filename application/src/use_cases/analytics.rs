//! Analytics (SENDING.md section 6): a campaign's report over a span, the workspace's overview, a
//! campaign's counters by local date of its zone, and its event rows. The counting is the
//! repository's (set-based, first event per message); the spans, dates and rates are the domain's;
//! this checks the campaign is the workspace's and puts the answer together.

use std::sync::Arc;

use chrono::NaiveDate;
use domain::analytics::{DayRange, ParameterProblem, RangeBound, ReportSpan, rate};
use domain::campaign::Campaign;
use domain::id::CampaignId;
use domain::stats::Stats;

use crate::ports::{
    AnalyticsRepository, CampaignRepository, Clock, EventPage, EventQuery, RepositoryError,
    StepCounts, WorkspaceCounts,
};
use crate::tenancy::Tenancy;

/// Why there is no report.
#[derive(Debug, thiserror::Error)]
pub enum AnalyticsError {
    /// No such campaign in the workspace (another workspace's is no different).
    #[error("campaign not found")]
    NotFound,
    /// A query parameter (named) is refused.
    #[error("invalid parameter {}: {}", .0.0, .0.1.message)]
    InvalidParameter(ParameterProblem),
    #[error(transparent)]
    Unknown(#[from] RepositoryError),
}

/// The ends of a report's span as the client gave them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RangeQuery {
    pub from: Option<RangeBound>,
    pub to: Option<RangeBound>,
}

/// A campaign's report over a span.
#[derive(Debug, Clone)]
pub struct CampaignReport {
    pub campaign: Campaign,
    /// Main sequence and subsequences together.
    pub stats: Stats,
    /// The main sequence's (step, variant)s, in order.
    pub steps: Vec<StepCounts>,
    pub main: Stats,
    pub subsequences: Stats,
    /// Leads that replied (first reply inside the span).
    pub total_replied: u64,
}

/// The overview's rates, in percent of `sent`, one decimal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rates {
    pub open: String,
    pub click: String,
    pub reply: String,
    pub bounce: String,
}

/// The workspace's overview over a span.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Overview {
    pub counts: WorkspaceCounts,
    pub rates: Rates,
}

/// One local date of a daily report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DailyRow {
    pub date: NaiveDate,
    pub stats: Stats,
}

/// The ports analytics reads.
#[derive(Clone)]
pub struct Analytics {
    pub campaigns: Arc<dyn CampaignRepository>,
    pub analytics: Arc<dyn AnalyticsRepository>,
    pub clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for Analytics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Analytics").finish_non_exhaustive()
    }
}

/// `into` plus `more`, counter by counter.
fn add(into: &mut Stats, more: &Stats) {
    into.sent += more.sent;
    into.delivered += more.delivered;
    into.opened += more.opened;
    into.clicked += more.clicked;
    into.replied += more.replied;
    into.bounced += more.bounced;
    into.unsubscribed += more.unsubscribed;
}

impl Analytics {
    async fn campaign(&self, tenancy: Tenancy, id: CampaignId) -> Result<Campaign, AnalyticsError> {
        Ok(self
            .campaigns
            .find(tenancy.workspace_id, id)
            .await?
            .ok_or(AnalyticsError::NotFound)?
            .campaign)
    }

    /// The campaign's report over `range` (dates read in the campaign's zone; no end: all time).
    pub async fn campaign_report(
        &self,
        tenancy: Tenancy,
        id: CampaignId,
        range: RangeQuery,
    ) -> Result<CampaignReport, AnalyticsError> {
        let campaign = self.campaign(tenancy, id).await?;
        let zone = campaign.schedule().timezone().tz();
        let span = ReportSpan::resolve(range.from, range.to, zone)
            .map_err(AnalyticsError::InvalidParameter)?;
        let counts = self
            .analytics
            .campaign_counts(tenancy.workspace_id, id, span)
            .await?;
        let (mut stats, mut main, mut subsequences) =
            (Stats::default(), Stats::default(), Stats::default());
        let mut steps = Vec::new();
        for step in counts.steps {
            add(&mut stats, &step.stats);
            if step.subsequence.is_some() {
                add(&mut subsequences, &step.stats);
            } else {
                add(&mut main, &step.stats);
                steps.push(step);
            }
        }
        Ok(CampaignReport {
            campaign,
            stats,
            steps,
            main,
            subsequences,
            total_replied: counts.replied_leads,
        })
    }

    /// The workspace's totals over `range` (dates in UTC) and their rates.
    pub async fn overview(
        &self,
        tenancy: Tenancy,
        range: RangeQuery,
    ) -> Result<Overview, AnalyticsError> {
        let span = ReportSpan::resolve_in_utc(range.from, range.to)
            .map_err(AnalyticsError::InvalidParameter)?;
        let counts = self
            .analytics
            .workspace_counts(tenancy.workspace_id, span)
            .await?;
        let stats = counts.stats;
        Ok(Overview {
            counts,
            rates: Rates {
                open: rate(stats.opened, stats.sent),
                click: rate(stats.clicked, stats.sent),
                reply: rate(stats.replied, stats.sent),
                bounce: rate(stats.bounced, stats.sent),
            },
        })
    }

    /// The campaign's counters on each local date of `range` in its zone, every date listed (0s
    /// included), in order.
    pub async fn daily(
        &self,
        tenancy: Tenancy,
        id: CampaignId,
        range: RangeQuery,
    ) -> Result<Vec<DailyRow>, AnalyticsError> {
        let campaign = self.campaign(tenancy, id).await?;
        let zone = campaign.schedule().timezone().tz();
        let days = DayRange::resolve(range.from, range.to, zone, self.clock.now())
            .map_err(AnalyticsError::InvalidParameter)?;
        let counted = self
            .analytics
            .daily_counts(tenancy.workspace_id, id, &days.periods(zone))
            .await?;
        let mut rows: Vec<DailyRow> = days
            .dates()
            .map(|date| DailyRow {
                date,
                stats: Stats::default(),
            })
            .collect();
        for day in counted {
            if let Some(row) = usize::try_from(day.day)
                .ok()
                .and_then(|index| rows.get_mut(index))
            {
                add(&mut row.stats, &day.stats);
            }
        }
        Ok(rows)
    }

    /// A page of the campaign's event rows, newest first.
    pub async fn events(
        &self,
        tenancy: Tenancy,
        id: CampaignId,
        query: &EventQuery,
    ) -> Result<EventPage, AnalyticsError> {
        self.campaign(tenancy, id).await?;
        Ok(self
            .analytics
            .events(tenancy.workspace_id, id, query)
            .await?)
    }
}

#[cfg(test)]
mod tests;

//! The answers of the analytics operations (SENDING.md section 6): a campaign's report, the
//! workspace's overview, a campaign's counters by local date, and its event rows.

use application::ports::{EventView, StepCounts};
use application::use_cases::analytics::{CampaignReport, DailyRow, Overview};
use poem_openapi::Object;

use crate::dto::campaign::{CampaignStatuses, LeadCountsBody, StatsBody};
use crate::dto::choice::Choice;
use crate::dto::timestamp::Timestamp;

/// The campaign a report is of.
#[derive(Debug, Clone, Object)]
#[oai(rename = "AnalyticsCampaign", rename_all = "camelCase")]
pub struct AnalyticsCampaignBody {
    pub id: String,
    pub name: String,
    pub status: Choice<CampaignStatuses>,
    /// When it was first started; `null` while it never was.
    #[oai(nullable)]
    pub started_at: Option<Timestamp>,
}

/// The counters of one email step and variant of the main sequence.
#[derive(Debug, Clone, Object)]
#[oai(rename = "StepAnalytics", rename_all = "camelCase")]
pub struct StepAnalyticsBody {
    /// The step's position (`order`) in the main sequence.
    pub sequence_step: u32,
    /// The variant's letter; `null` for a step without variants.
    #[oai(nullable)]
    pub variant: Option<String>,
    pub sent: u64,
    pub opened: u64,
    pub clicked: u64,
    pub replied: u64,
    pub bounced: u64,
}

impl StepAnalyticsBody {
    fn from_port(step: &StepCounts) -> Self {
        Self {
            sequence_step: step.step,
            variant: step.variant.clone(),
            sent: step.stats.sent,
            opened: step.stats.opened,
            clicked: step.stats.clicked,
            replied: step.stats.replied,
            bounced: step.stats.bounced,
        }
    }
}

/// The counters of the main sequence and of the subsequences (all of them together).
#[derive(Debug, Clone, Object)]
#[oai(rename = "AnalyticsBySequence", rename_all = "camelCase")]
pub struct BySequenceBody {
    pub main: StatsBody,
    pub subsequence: StatsBody,
}

/// A campaign's report over the span asked for.
#[derive(Debug, Clone, Object)]
#[oai(rename = "CampaignAnalytics", rename_all = "camelCase")]
pub struct CampaignAnalyticsBody {
    pub campaign: AnalyticsCampaignBody,
    /// First events per message inside the span, main sequence and subsequences together.
    pub stats: StatsBody,
    /// Each email step and variant of the main sequence with an event, by step then variant.
    pub step_analytics: Vec<StepAnalyticsBody>,
    pub by_sequence: BySequenceBody,
    /// The campaign's enrolments by status now (not limited to the span).
    pub status_breakdown: LeadCountsBody,
    /// Leads whose first reply in the campaign is inside the span.
    pub total_replied: u64,
}

impl CampaignAnalyticsBody {
    pub fn from_report(report: &CampaignReport) -> Self {
        let campaign = &report.campaign;
        Self {
            campaign: AnalyticsCampaignBody {
                id: campaign.id().to_string(),
                name: campaign.name().as_str().to_owned(),
                status: campaign.status().into(),
                started_at: campaign.started_at().map(Timestamp::from),
            },
            stats: report.stats.into(),
            step_analytics: report
                .steps
                .iter()
                .map(StepAnalyticsBody::from_port)
                .collect(),
            by_sequence: BySequenceBody {
                main: report.main.into(),
                subsequence: report.subsequences.into(),
            },
            status_breakdown: LeadCountsBody::from_domain(campaign.lead_counts()),
            total_replied: report.total_replied,
        }
    }
}

/// Rates in percent of `sent`, with one decimal (`"12.5"`; `"0.0"` when nothing was sent).
#[derive(Debug, Clone, Object)]
#[oai(rename = "AnalyticsRates", rename_all = "camelCase")]
pub struct RatesBody {
    pub open: String,
    pub click: String,
    pub reply: String,
    pub bounce: String,
}

/// The workspace's totals over the span asked for.
#[derive(Debug, Clone, Object)]
#[oai(rename = "AnalyticsOverview", rename_all = "camelCase")]
pub struct OverviewBody {
    /// The workspace's campaigns (any status).
    pub total_campaigns: u64,
    /// Its `active` campaigns.
    pub active_campaigns: u64,
    /// First events per message of every campaign inside the span.
    pub stats: StatsBody,
    pub rates: RatesBody,
}

impl OverviewBody {
    pub fn from_overview(overview: &Overview) -> Self {
        let rates = &overview.rates;
        Self {
            total_campaigns: overview.counts.campaigns,
            active_campaigns: overview.counts.active_campaigns,
            stats: overview.counts.stats.into(),
            rates: RatesBody {
                open: rates.open.clone(),
                click: rates.click.clone(),
                reply: rates.reply.clone(),
                bounce: rates.bounce.clone(),
            },
        }
    }
}

/// One local date of a campaign's daily report.
#[derive(Debug, Clone, Object)]
#[oai(rename = "DailyAnalytics", rename_all = "camelCase")]
pub struct DailyBody {
    /// The local date in the campaign's zone (`2026-12-07`).
    #[oai(rename = "_id")]
    pub id: String,
    pub sent: u64,
    pub opened: u64,
    pub clicked: u64,
    pub replied: u64,
    pub bounced: u64,
}

impl DailyBody {
    pub fn from_row(row: &DailyRow) -> Self {
        Self {
            id: row.date.format("%Y-%m-%d").to_string(),
            sent: row.stats.sent,
            opened: row.stats.opened,
            clicked: row.stats.clicked,
            replied: row.stats.replied,
            bounced: row.stats.bounced,
        }
    }
}

/// An event row: what happened to which message of the campaign, when.
#[derive(Debug, Clone, Object)]
#[oai(rename = "Event", rename_all = "camelCase")]
pub struct EventBody {
    #[oai(rename = "_id")]
    pub id: String,
    /// `email.sent`, `email.opened`, `email.clicked`, `email.replied`, `email.auto_replied`,
    /// `email.bounced`, `email.unsubscribed`, `lead.replied`, `lead.bounced`…
    #[oai(rename = "type")]
    pub kind: String,
    pub campaign_id: String,
    #[oai(nullable)]
    pub enrolment_id: Option<String>,
    #[oai(nullable)]
    pub lead_id: Option<String>,
    #[oai(nullable)]
    pub mailbox_id: Option<String>,
    /// The email step's position in its sequence.
    #[oai(nullable)]
    pub step: Option<u32>,
    #[oai(nullable)]
    pub variant: Option<String>,
    /// `null` for the main sequence.
    #[oai(nullable)]
    pub subsequence_id: Option<String>,
    /// The `Message-ID` of the message (without angle brackets).
    #[oai(nullable)]
    pub message_id: Option<String>,
    pub at: Timestamp,
    /// What the kind records besides (`{"url"}` for a click, `{"bounceStatus"}` for a bounce,
    /// `{"replyText"}` for a reply); `null` when nothing.
    pub data: serde_json::Value,
}

impl EventBody {
    pub fn from_port(event: &EventView) -> Self {
        Self {
            id: event.id.to_string(),
            kind: event.kind.clone(),
            campaign_id: event.campaign.to_string(),
            enrolment_id: event.enrolment.map(|id| id.to_string()),
            lead_id: event.lead.map(|id| id.to_string()),
            mailbox_id: event.mailbox.map(|id| id.to_string()),
            step: event.step,
            variant: event.variant.clone(),
            subsequence_id: event.subsequence.map(|id| id.to_string()),
            message_id: event.message_id.clone(),
            at: event.at.into(),
            data: event
                .data
                .as_deref()
                .and_then(|data| serde_json::from_str(data).ok())
                .unwrap_or(serde_json::Value::Null),
        }
    }
}

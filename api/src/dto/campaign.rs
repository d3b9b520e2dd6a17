//! The campaign as the API answers it (spec 4.8), mapped from `domain::campaign::Campaign` in one place:
//! [`CampaignBody::from_domain`].

use domain::campaign::Campaign;
use domain::sequence::{Condition, ConditionalVariable, Sequence, Step, StepKind, Variant};
use domain::settings::{EspMatchingMode, SegCheckMode, Settings};
use domain::stats::Stats;
use domain::status::CampaignStatus;
use domain::subsequence::Subsequence;
use poem_openapi::{Object, Union};

use crate::dto::campaign_input::{
    ConditionOperators, OptimizationMetrics, SegProviders, TriggerTypes, WebhookEvents,
};
use crate::dto::choice::{Choice, Choices, domain_choices};
use crate::dto::timestamp::Timestamp;

domain_choices!(
    /// A campaign's `status`.
    CampaignStatuses = CampaignStatus,
    "CampaignStatus",
    "Where a campaign is in its life; a new campaign is a `draft`."
);
domain_choices!(
    /// `espMatchingMode` as stored, `custom` included.
    EspMatchingModes = EspMatchingMode,
    "EspMatchingMode",
    "ESP matching strategy. `custom` is a legacy value kept for read-back compatibility; new writes only accept `disabled` or `auto`."
);
domain_choices!(
    /// `segCheckMode` as stored.
    SegCheckModes = SegCheckMode,
    "SegCheckMode",
    "How leads behind a Secure Email Gateway are handled."
);

/// `mailboxRotation`: one strategy today.
#[derive(Debug)]
pub struct MailboxRotations;

impl Choices for MailboxRotations {
    const NAME: &'static str = "MailboxRotation";
    const DESCRIPTION: &'static str = "How a campaign rotates through its mailboxes.";
    fn values() -> Vec<&'static str> {
        vec![domain::campaign::MAILBOX_ROTATION]
    }
}

/// Whether an answer shows the webhook secret in full: only the create response does (spec 4.8).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretDisclosure {
    /// The secret as stored: only in the answer to the request that set or generated it.
    Full,
    /// `whsec_…` followed by the last 4 characters.
    Masked,
}

/// A campaign.
#[derive(Debug, Clone, Object)]
#[oai(rename = "Campaign", rename_all = "camelCase")]
pub struct CampaignBody {
    #[oai(rename = "_id")]
    pub id: String,
    pub name: String,
    /// The user behind the key that created it.
    pub user_id: String,
    pub workspace_id: String,
    pub status: Choice<CampaignStatuses>,
    /// The resolved mailbox ids, in selection order.
    pub mailboxes: Vec<String>,
    pub mailbox_count: u32,
    pub mailbox_rotation: Choice<MailboxRotations>,
    /// The main sequence, sorted by `order`, with names and variants filled in.
    pub sequence: Vec<StepBody>,
    pub subsequences: Vec<SubsequenceBody>,
    pub sending_schedule: SendingScheduleBody,
    pub track_opens: bool,
    pub track_clicks: bool,
    pub include_unsubscribe_link: bool,
    pub cc: Vec<String>,
    pub bcc: Vec<String>,
    pub stop_on_reply: bool,
    pub stop_on_auto_reply: bool,
    pub stop_on_company_reply: bool,
    #[oai(rename = "skipDNC")]
    pub skip_dnc: bool,
    /// `null`: no campaign cap (mailbox limits apply).
    #[oai(nullable)]
    pub daily_send_limit: Option<u32>,
    pub email_interval_minutes: u32,
    pub esp_matching_mode: Choice<EspMatchingModes>,
    pub seg_check_mode: Choice<SegCheckModes>,
    pub seg_skip_providers: Vec<Choice<SegProviders>>,
    pub cname_tracking: CnameTrackingBody,
    #[oai(nullable)]
    pub slack_channel_id: Option<String>,
    pub positive_replies_only_slack: bool,
    pub notification_emails: Vec<String>,
    pub positive_replies_only_email: bool,
    /// The agent that answers replies; with `aiAgentEnabled` and no id given, the workspace's default.
    #[oai(nullable)]
    pub ai_agent_id: Option<String>,
    pub ai_agent_enabled: bool,
    pub webhook: WebhookBody,
    pub copy_fatigue_protection: CopyFatigueProtectionBody,
    pub variant_optimization: VariantOptimizationBody,
    pub stats: StatsBody,
    #[oai(nullable)]
    pub started_at: Option<Timestamp>,
    #[oai(nullable)]
    pub completed_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// How many enrolments (campaign leads) a campaign has in each status, and in all; always exact.
#[derive(Debug, Clone, Object)]
#[oai(rename = "LeadCounts", rename_all = "camelCase")]
pub struct LeadCountsBody {
    /// Every enrolment: the sum of the others.
    pub total: u64,
    pub pending: u64,
    pub active: u64,
    pub paused: u64,
    pub completed: u64,
    pub bounced: u64,
    pub unsubscribed: u64,
    pub replied: u64,
    pub removed: u64,
}

impl LeadCountsBody {
    pub fn from_domain(counts: domain::enrolment::LeadCounts) -> Self {
        Self {
            total: counts.total(),
            pending: counts.pending(),
            active: counts.active(),
            paused: counts.paused(),
            completed: counts.completed(),
            bounced: counts.bounced(),
            unsubscribed: counts.unsubscribed(),
            replied: counts.replied(),
            removed: counts.removed(),
        }
    }
}

/// A campaign as read back (one, or an item of a list): the campaign and its lead counts.
#[derive(Debug, Clone, Object)]
#[oai(rename = "CampaignDetail", rename_all = "camelCase")]
pub struct CampaignDetailBody {
    #[oai(flatten)]
    pub campaign: CampaignBody,
    pub lead_counts: LeadCountsBody,
}

impl CampaignDetailBody {
    /// The campaign and its lead counts.
    pub fn from_domain(campaign: &Campaign, secret: SecretDisclosure) -> Self {
        Self {
            campaign: CampaignBody::from_domain(campaign, secret),
            lead_counts: LeadCountsBody::from_domain(campaign.lead_counts()),
        }
    }
}

/// A campaign's id and status: what resume answers (spec section 3).
#[derive(Debug, Clone, Object)]
#[oai(rename = "CampaignStatusChange", rename_all = "camelCase")]
pub struct CampaignStatusBody {
    pub id: String,
    pub status: Choice<CampaignStatuses>,
}

impl CampaignStatusBody {
    pub fn from_domain(campaign: &Campaign) -> Self {
        Self {
            id: campaign.id().to_string(),
            status: campaign.status().into(),
        }
    }
}

/// What a delete answers.
#[derive(Debug, Clone, Object)]
#[oai(rename = "CampaignDeleted", rename_all = "camelCase")]
pub struct CampaignDeletedBody {
    pub id: String,
    /// Always `true`.
    pub deleted: bool,
}

/// One step of a sequence, by `type`.
#[derive(Debug, Clone, Union)]
#[oai(rename = "Step", discriminator_name = "type", one_of)]
pub enum StepBody {
    #[oai(mapping = "email")]
    Email(EmailStepBody),
    #[oai(mapping = "wait")]
    Wait(WaitStepBody),
}

#[derive(Debug, Clone, Object)]
#[oai(rename = "EmailStep", rename_all = "camelCase")]
pub struct EmailStepBody {
    /// Given, or auto-assigned (`Initial Email`, `Follow-up 1`, …).
    pub name: String,
    /// Zero-based position.
    pub order: u32,
    /// Empty on a later email that replies in the same thread.
    pub subject: String,
    /// TipTap-compatible HTML.
    pub body: String,
    /// At least one: variant `A` is seeded from the step when none is given.
    pub variants: Vec<VariantBody>,
    pub use_conditional_variables: bool,
    pub conditional_variables: Vec<ConditionalVariableBody>,
}

#[derive(Debug, Clone, Object)]
#[oai(rename = "WaitStep", rename_all = "camelCase")]
pub struct WaitStepBody {
    /// Given, or auto-assigned (`Wait 3 days`, `Wait 2 days 4 hours`).
    pub name: String,
    pub order: u32,
    pub wait_days: u32,
    pub wait_hours: u32,
}

#[derive(Debug, Clone, Object)]
#[oai(rename = "Variant", rename_all = "camelCase")]
pub struct VariantBody {
    pub letter: String,
    pub subject: String,
    pub body: String,
}

#[derive(Debug, Clone, Object)]
#[oai(rename = "ConditionalVariable", rename_all = "camelCase")]
pub struct ConditionalVariableBody {
    pub name: String,
    pub conditions: Vec<ConditionBody>,
    pub r#else: String,
}

#[derive(Debug, Clone, Object)]
#[oai(rename = "Condition", rename_all = "camelCase")]
pub struct ConditionBody {
    pub field: String,
    pub operator: Choice<ConditionOperators>,
    #[oai(nullable)]
    pub value: Option<String>,
    pub then: String,
}

#[derive(Debug, Clone, Object)]
#[oai(rename = "Subsequence", rename_all = "camelCase")]
pub struct SubsequenceBody {
    #[oai(rename = "_id")]
    pub id: String,
    pub name: String,
    pub trigger: TriggerBody,
    pub sequence: Vec<StepBody>,
    pub enabled: bool,
    pub archived: bool,
    /// Total leads that have ever entered this subsequence.
    pub added_count: u64,
    pub stats: StatsBody,
}

#[derive(Debug, Clone, Object)]
#[oai(rename = "Trigger", rename_all = "camelCase")]
pub struct TriggerBody {
    pub r#type: Choice<TriggerTypes>,
    /// The AI tag to match; `null` for a `reply` trigger.
    #[oai(nullable)]
    pub value: Option<String>,
}

/// The sending schedule (`schedule` in requests).
#[derive(Debug, Clone, Object)]
#[oai(rename = "SendingSchedule", rename_all = "camelCase")]
pub struct SendingScheduleBody {
    /// IANA time zone, canonical name.
    pub timezone: String,
    /// `HH:MM`.
    pub start_time: String,
    /// `HH:MM`.
    pub end_time: String,
    /// 0 = Sunday … 6 = Saturday, ascending.
    pub working_days: Vec<u8>,
    pub skip_national_holidays: bool,
}

#[derive(Debug, Clone, Object)]
#[oai(rename = "CnameTracking", rename_all = "camelCase")]
pub struct CnameTrackingBody {
    pub enabled: bool,
    /// Lowercase host name.
    #[oai(nullable)]
    pub domain: Option<String>,
}

#[derive(Debug, Clone, Object)]
#[oai(rename = "Webhook", rename_all = "camelCase")]
pub struct WebhookBody {
    pub enabled: bool,
    #[oai(nullable)]
    pub url: Option<String>,
    /// In full only in the create response; elsewhere masked as `whsec_…` + the last 4 characters.
    #[oai(nullable)]
    pub secret: Option<String>,
    pub events: Vec<Choice<WebhookEvents>>,
}

#[derive(Debug, Clone, Object)]
#[oai(rename = "CopyFatigueProtection", rename_all = "camelCase")]
pub struct CopyFatigueProtectionBody {
    pub enabled: bool,
    pub auto_regenerate: bool,
    pub auto_resume: bool,
}

#[derive(Debug, Clone, Object)]
#[oai(rename = "VariantOptimization", rename_all = "camelCase")]
pub struct VariantOptimizationBody {
    pub enabled: bool,
    pub minimum_sends_per_variant: u32,
    pub minimum_days: u32,
    pub optimization_metric: Choice<OptimizationMetrics>,
    pub keep_minimum_variants: u32,
}

/// Sending counters; all 0 on a new campaign.
#[derive(Debug, Clone, Object)]
#[oai(rename = "Stats", rename_all = "camelCase")]
pub struct StatsBody {
    pub sent: u64,
    pub delivered: u64,
    pub opened: u64,
    pub clicked: u64,
    pub replied: u64,
    pub bounced: u64,
    pub unsubscribed: u64,
}

impl From<Stats> for StatsBody {
    fn from(stats: Stats) -> Self {
        Self {
            sent: stats.sent,
            delivered: stats.delivered,
            opened: stats.opened,
            clicked: stats.clicked,
            replied: stats.replied,
            bounced: stats.bounced,
            unsubscribed: stats.unsubscribed,
        }
    }
}

/// A count or position on the wire; the domain bounds them far below `u32::MAX`.
fn wire_count(count: usize) -> u32 {
    u32::try_from(count).unwrap_or(u32::MAX)
}

impl CampaignBody {
    /// The whole campaign as spec 4.8 shows it.
    pub fn from_domain(campaign: &Campaign, secret: SecretDisclosure) -> Self {
        let settings = campaign.settings();
        let schedule = campaign.schedule();
        Self {
            id: campaign.id().to_string(),
            name: campaign.name().as_str().to_owned(),
            user_id: campaign.user_id().to_string(),
            workspace_id: campaign.workspace_id().to_string(),
            status: campaign.status().into(),
            mailboxes: campaign
                .mailboxes()
                .iter()
                .map(ToString::to_string)
                .collect(),
            mailbox_count: wire_count(campaign.mailboxes().len()),
            mailbox_rotation: Choice::new(campaign.mailbox_rotation()),
            sequence: steps(campaign.sequence()),
            subsequences: campaign
                .subsequences()
                .iter()
                .map(SubsequenceBody::from_domain)
                .collect(),
            sending_schedule: SendingScheduleBody {
                timezone: schedule.timezone().name().to_owned(),
                start_time: schedule.start_time().to_string(),
                end_time: schedule.end_time().to_string(),
                working_days: schedule.working_days().days(),
                skip_national_holidays: schedule.skip_national_holidays(),
            },
            track_opens: settings.track_opens(),
            track_clicks: settings.track_clicks(),
            include_unsubscribe_link: settings.include_unsubscribe_link(),
            cc: addresses(settings.cc()),
            bcc: addresses(settings.bcc()),
            stop_on_reply: settings.stop_on_reply(),
            stop_on_auto_reply: settings.stop_on_auto_reply(),
            stop_on_company_reply: settings.stop_on_company_reply(),
            skip_dnc: settings.skip_dnc(),
            daily_send_limit: settings.daily_send_limit(),
            email_interval_minutes: settings.email_interval_minutes(),
            esp_matching_mode: settings.esp_matching_mode().into(),
            seg_check_mode: settings.seg_check_mode().into(),
            seg_skip_providers: settings
                .seg_skip_providers()
                .iter()
                .map(|provider| (*provider).into())
                .collect(),
            cname_tracking: CnameTrackingBody {
                enabled: settings.cname_tracking().enabled(),
                domain: settings
                    .cname_tracking()
                    .domain()
                    .map(|domain| domain.as_str().to_owned()),
            },
            slack_channel_id: settings
                .slack_channel_id()
                .map(|channel| channel.as_str().to_owned()),
            positive_replies_only_slack: settings.positive_replies_only_slack(),
            notification_emails: addresses(settings.notification_emails()),
            positive_replies_only_email: settings.positive_replies_only_email(),
            ai_agent_id: settings.ai_agent_id().map(|agent| agent.to_string()),
            ai_agent_enabled: settings.ai_agent_enabled(),
            webhook: WebhookBody::from_domain(settings, secret),
            copy_fatigue_protection: CopyFatigueProtectionBody {
                enabled: settings.copy_fatigue_protection().enabled(),
                auto_regenerate: settings.copy_fatigue_protection().auto_regenerate(),
                auto_resume: settings.copy_fatigue_protection().auto_resume(),
            },
            variant_optimization: VariantOptimizationBody {
                enabled: settings.variant_optimization().enabled(),
                minimum_sends_per_variant: settings
                    .variant_optimization()
                    .minimum_sends_per_variant(),
                minimum_days: settings.variant_optimization().minimum_days(),
                optimization_metric: settings.variant_optimization().optimization_metric().into(),
                keep_minimum_variants: settings.variant_optimization().keep_minimum_variants(),
            },
            stats: campaign.stats().into(),
            started_at: campaign.started_at().map(Timestamp::from),
            completed_at: campaign.completed_at().map(Timestamp::from),
            created_at: campaign.created_at().into(),
            updated_at: campaign.updated_at().into(),
        }
    }
}

fn addresses(list: &[domain::values::EmailAddress]) -> Vec<String> {
    list.iter()
        .map(|address| address.as_str().to_owned())
        .collect()
}

impl WebhookBody {
    fn from_domain(settings: &Settings, disclosure: SecretDisclosure) -> Self {
        let webhook = settings.webhook();
        Self {
            enabled: webhook.enabled(),
            url: webhook.url().map(|url| url.as_str().to_owned()),
            secret: webhook.secret().map(|secret| match disclosure {
                SecretDisclosure::Full => secret.as_str().to_owned(),
                SecretDisclosure::Masked => secret.masked(),
            }),
            events: webhook
                .events()
                .iter()
                .map(|event| (*event).into())
                .collect(),
        }
    }
}

impl SubsequenceBody {
    fn from_domain(subsequence: &Subsequence) -> Self {
        Self {
            id: subsequence.id().to_string(),
            name: subsequence.name().to_owned(),
            trigger: TriggerBody {
                r#type: subsequence.trigger().trigger_type().into(),
                value: subsequence.trigger().value().map(str::to_owned),
            },
            sequence: steps(subsequence.sequence()),
            enabled: subsequence.enabled(),
            archived: subsequence.archived(),
            added_count: subsequence.added_count(),
            stats: subsequence.stats().into(),
        }
    }
}

fn steps(sequence: &Sequence) -> Vec<StepBody> {
    sequence
        .steps()
        .iter()
        .enumerate()
        .map(|(order, step)| step_body(step, wire_count(order)))
        .collect()
}

fn step_body(step: &Step, order: u32) -> StepBody {
    match step.kind() {
        StepKind::Email(email) => StepBody::Email(EmailStepBody {
            name: step.name().to_owned(),
            order,
            subject: email.subject().to_owned(),
            body: email.body().as_str().to_owned(),
            variants: email.variants().iter().map(variant_body).collect(),
            use_conditional_variables: email.use_conditional_variables(),
            conditional_variables: email
                .conditional_variables()
                .iter()
                .map(conditional_variable_body)
                .collect(),
        }),
        StepKind::Wait(wait) => StepBody::Wait(WaitStepBody {
            name: step.name().to_owned(),
            order,
            wait_days: wait.days(),
            wait_hours: wait.hours(),
        }),
    }
}

fn variant_body(variant: &Variant) -> VariantBody {
    VariantBody {
        letter: variant.letter().to_string(),
        subject: variant.subject().to_owned(),
        body: variant.body().as_str().to_owned(),
    }
}

fn conditional_variable_body(variable: &ConditionalVariable) -> ConditionalVariableBody {
    ConditionalVariableBody {
        name: variable.name().to_owned(),
        conditions: variable.conditions().iter().map(condition_body).collect(),
        r#else: variable.otherwise().to_owned(),
    }
}

fn condition_body(condition: &Condition) -> ConditionBody {
    ConditionBody {
        field: condition.field().to_owned(),
        operator: condition.operator().into(),
        value: condition.value().map(str::to_owned),
        then: condition.then().to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use domain::campaign::{NewCampaign, Provisions};
    use domain::id::{CampaignId, MailboxId, ObjectId, UserId, WorkspaceId};
    use domain::request::{CampaignRequest, SettingsRequest, WebhookRequest};
    use domain::rules::ParseRules;
    use domain::values::WebhookHostPolicy;

    use super::*;

    fn id(counter: u32) -> ObjectId {
        ObjectId::from_parts(1_750_000_000, [1, 2, 3, 4, 5], counter)
    }

    fn campaign_with_secret(secret: &str) -> Campaign {
        let request = CampaignRequest {
            name: Some("Hooked".to_owned()),
            settings: Some(SettingsRequest {
                webhook: Some(WebhookRequest {
                    enabled: Some(true),
                    url: Some("https://hooks.example.com/in".to_owned()),
                    secret: Some(secret.to_owned()),
                    events: Some(vec!["email.sent".to_owned()]),
                }),
                ..SettingsRequest::default()
            }),
            ..CampaignRequest::default()
        };
        let new = NewCampaign::parse(&request, ParseRules::create(WebhookHostPolicy::PublicOnly))
            .expect("a valid request");
        let provisions = Provisions {
            id: CampaignId::from(id(1)),
            workspace_id: WorkspaceId::from(id(2)),
            user_id: UserId::from(id(3)),
            now: Utc
                .with_ymd_and_hms(2025, 6, 10, 10, 30, 0)
                .single()
                .expect("a date"),
            mailboxes: vec![MailboxId::from(id(4)), MailboxId::from(id(5))],
            ai_agent_id: None,
            webhook_secret: None,
        };
        Campaign::create(new, provisions, || id(9))
    }

    #[test]
    fn the_webhook_secret_is_whole_only_when_disclosed() {
        let campaign = campaign_with_secret("whsec_0123456789abcdef");
        let full = CampaignBody::from_domain(&campaign, SecretDisclosure::Full);
        assert_eq!(
            full.webhook.secret.as_deref(),
            Some("whsec_0123456789abcdef")
        );
        let masked = CampaignBody::from_domain(&campaign, SecretDisclosure::Masked);
        assert_eq!(masked.webhook.secret.as_deref(), Some("whsec_…cdef"));
    }

    #[test]
    fn ids_counts_and_timestamps_take_their_wire_form() {
        use poem_openapi::types::ToJSON;
        let body = CampaignBody::from_domain(
            &campaign_with_secret("whsec_0123456789abcdef"),
            SecretDisclosure::Full,
        )
        .to_json()
        .expect("JSON");
        assert_eq!(body["_id"], id(1).to_string());
        assert_eq!(body["mailboxCount"], 2);
        assert_eq!(body["createdAt"], "2025-06-10T10:30:00.000Z");
        assert_eq!(body["startedAt"], serde_json::Value::Null);
        assert_eq!(body["skipDNC"], true);
        assert!(body.get("skipDnc").is_none());
    }
}

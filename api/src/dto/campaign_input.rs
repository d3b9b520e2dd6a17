//! The campaign request bodies (spec sections 4 and 5), declared once: each type here is the OpenAPI
//! schema, what `crate::request_body` reads (serde), and — in its `From` impls, written with exhaustive
//! destructuring — the domain's request and the way back from it (a PATCH writes the stored campaign in
//! this form before merging the client's patch).

use domain::mailbox::MailboxProvider;
use domain::problem::JsonPointer;
use domain::request::{
    CampaignRequest, CnameTrackingRequest, ConditionRequest, ConditionalVariableRequest,
    CopyFatigueProtectionRequest, MailboxSelectorsRequest, ScheduleRequest, SettingsRequest,
    StepRequest, SubsequenceRequest, TriggerRequest, VariantOptimizationRequest, VariantRequest,
    WebhookRequest,
};
use domain::rules::ParseRules;
use domain::schedule::Schedule;
use domain::sequence::ConditionOperator;
use domain::settings::Settings;
use domain::settings::{
    EspMatchingMode, OptimizationMetric, SegCheckMode, SegProvider, WebhookEvent,
};
use domain::subsequence::{DEFAULT_SUBSEQUENCE_ARCHIVED, DEFAULT_SUBSEQUENCE_ENABLED, TriggerType};
use domain::values::WebhookHostPolicy;
use poem_openapi::registry::{MetaSchemaRef, Registry};
use poem_openapi::types::{ParseFromJSON, ParseResult, ToJSON, Type};
use poem_openapi::{Object, Union};
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use crate::dto::choice::{Choice, Choices, domain_choices, sent};
use crate::dto::wire::{Int, Required, each, int, mapped, nested, whole};
use crate::request_body::{DeclaredBody, DocumentedBody, written};

domain_choices!(
    /// `mailboxProvider`, and a mailbox's `provider`.
    MailboxProviders = MailboxProvider,
    "MailboxProvider",
    "Who hosts a mailbox."
);
domain_choices!(
    /// `trigger.type`.
    TriggerTypes = TriggerType,
    "TriggerType",
    "What makes a lead enter a subsequence: `ai_tag` (the lead's AI tag equals `value`, case-insensitively) or `reply` (the lead's first reply)."
);
domain_choices!(
    /// A condition's `operator`.
    ConditionOperators = ConditionOperator,
    "ConditionOperator",
    "How a condition compares a lead field. `value` is required for equals, not_equals, contains and not_contains, and not allowed for has_value and no_value."
);
domain_choices!(
    /// `segSkipProviders` items.
    SegProviders = SegProvider,
    "SegProvider",
    "A Secure Email Gateway provider."
);
domain_choices!(
    /// `webhook.events` items.
    WebhookEvents = WebhookEvent,
    "WebhookEvent",
    "A campaign event a webhook can subscribe to."
);
domain_choices!(
    /// `variantOptimization.optimizationMetric`.
    OptimizationMetrics = OptimizationMetric,
    "OptimizationMetric",
    "The metric that picks the winning A/B variant."
);

/// `espMatchingMode` on write: `custom` is read-back only.
#[derive(Debug)]
pub struct EspMatchingModesOnWrite;

impl Choices for EspMatchingModesOnWrite {
    const NAME: &'static str = "EspMatchingModeInput";
    const DESCRIPTION: &'static str = "ESP matching strategy for mailbox-to-recipient provider matching. `disabled` uses standard mailbox rotation; `auto` matches sender to recipient provider. (`custom` is a legacy value kept for read-back; writes do not accept it.)";
    fn values() -> Vec<&'static str> {
        EspMatchingMode::ALL
            .iter()
            .filter(|mode| **mode != EspMatchingMode::Custom)
            .map(|mode| mode.as_str())
            .collect()
    }
}

/// The legacy `segCheckMode` accepted on write and stored as `disabled` (spec 4.5, 4.6).
pub const LEGACY_SEG_CHECK_MODE: &str = "use_specific_mailboxes";

/// `segCheckMode` on write: the current values and the legacy one.
#[derive(Debug)]
pub struct SegCheckModesOnWrite;

impl Choices for SegCheckModesOnWrite {
    const NAME: &'static str = "SegCheckModeInput";
    const DESCRIPTION: &'static str = "How to handle leads behind a Secure Email Gateway. `disabled` sends to all leads; `skip_all` skips every SEG-protected lead; `skip_providers` skips only leads on the providers listed in `segSkipProviders`. `use_specific_mailboxes` is legacy and is stored as `disabled`.";
    fn values() -> Vec<&'static str> {
        let mut values: Vec<&'static str> =
            SegCheckMode::ALL.iter().map(|mode| mode.as_str()).collect();
        values.push(LEGACY_SEG_CHECK_MODE);
        values
    }
}

/// The body of `POST /v1/campaigns`. Only `name` is required; everything else has a default. Mailboxes
/// can be assigned with any combination of `mailboxes`/`mailboxIds`, `mailboxEmails`, `mailboxTags` and
/// `mailboxProvider`: the union of all selectors, without duplicates. Unknown fields are rejected.
#[derive(Debug, Default, Object, Deserialize, Serialize)]
#[oai(rename = "CreateCampaignRequest", rename_all = "camelCase")]
#[serde(rename_all = "camelCase", default)]
pub struct CreateCampaignRequest {
    /// Campaign name; trimmed, 1–200 characters.
    #[oai(validator(min_length = 1, max_length = 200))]
    pub name: Required<String>,
    /// The steps of the main sequence (default `[]`): it starts with an email, never has two waits in
    /// a row and never ends with a wait.
    #[oai(validator(max_items = 50))]
    pub sequence: Option<Vec<StepFields>>,
    /// Nested follow-up flows (default `[]`), each fired when a lead's AI tag matches
    /// (`trigger.type = ai_tag`) or when the lead first replies (`trigger.type = reply`). At most 15
    /// active (non-archived); at most one active with trigger `reply`; active `ai_tag` values unique
    /// case-insensitively.
    #[oai(validator(max_items = 50))]
    pub subsequences: Option<Vec<SubsequenceInput>>,
    /// Sending schedule; every field defaulted.
    pub schedule: Option<ScheduleInput>,
    /// Tracking, sending and deliverability settings; every field defaulted.
    pub settings: Option<SettingsInput>,
    /// Mailbox IDs (legacy name of `mailboxIds`; both are accepted together).
    #[oai(validator(max_items = 1000))]
    pub mailboxes: Option<Vec<String>>,
    /// Mailbox IDs to send from. An id that is not a mailbox of the workspace is `MAILBOX_NOT_FOUND`.
    #[oai(validator(max_items = 1000))]
    pub mailbox_ids: Option<Vec<String>>,
    /// Resolve mailboxes by address, case-insensitively. An address that is not a mailbox of the
    /// workspace is `MAILBOX_NOT_FOUND`.
    #[oai(validator(max_items = 1000))]
    pub mailbox_emails: Option<Vec<String>>,
    /// Use every mailbox having any of these tags (case-insensitively); matching nothing is not an error.
    #[oai(validator(max_items = 1000))]
    pub mailbox_tags: Option<Vec<String>>,
    /// Use every mailbox of this provider; matching nothing is not an error.
    pub mailbox_provider: Option<Choice<MailboxProviders>>,
}

/// The body of `PATCH /v1/campaigns/{campaignId}`: a JSON Merge Patch (RFC 7386) of the campaign in
/// the create request's form. A field left out keeps its value; `null` resets it to its default (and a
/// required one, like `name`, cannot be reset). `schedule` and `settings` merge member by member, nested
/// objects too; `sequence` and `subsequences` replace the whole list (a subsequence given with its `_id`
/// keeps its counters; one left out is removed if it never sent, else archived). Any mailbox selector
/// given replaces the mailbox list. The merged campaign must satisfy every create rule. Unknown fields
/// are rejected.
#[derive(Debug, Object)]
#[oai(rename = "UpdateCampaignRequest", rename_all = "camelCase")]
pub struct UpdateCampaignRequest {
    /// Campaign name; trimmed, 1–200 characters.
    #[oai(validator(min_length = 1, max_length = 200))]
    pub name: Option<String>,
    /// Replaces the whole main sequence.
    #[oai(validator(max_items = 50))]
    pub sequence: Option<Vec<StepFields>>,
    /// Replaces the whole subsequence list; entries with an existing `_id` update that subsequence.
    #[oai(validator(max_items = 50))]
    pub subsequences: Option<Vec<SubsequenceInput>>,
    /// Merged into the stored schedule.
    pub schedule: Option<ScheduleInput>,
    /// Merged into the stored settings (nested objects merge too).
    pub settings: Option<SettingsInput>,
    /// Mailbox IDs (legacy name of `mailboxIds`). Any selector given replaces the mailbox list.
    #[oai(validator(max_items = 1000))]
    pub mailboxes: Option<Vec<String>>,
    /// Mailbox IDs to send from. Any selector given replaces the mailbox list.
    #[oai(validator(max_items = 1000))]
    pub mailbox_ids: Option<Vec<String>>,
    /// Mailboxes by address, case-insensitively. Any selector given replaces the mailbox list.
    #[oai(validator(max_items = 1000))]
    pub mailbox_emails: Option<Vec<String>>,
    /// Every mailbox having any of these tags. Any selector given replaces the mailbox list.
    #[oai(validator(max_items = 1000))]
    pub mailbox_tags: Option<Vec<String>>,
    /// Every mailbox of this provider. Any selector given replaces the mailbox list.
    pub mailbox_provider: Option<Choice<MailboxProviders>>,
}

/// One step of a sequence, by `type`. `order` is zero-based: either every step carries it or none does
/// (then array position is the order).
#[derive(Debug, Union)]
#[oai(rename = "StepInput", discriminator_name = "type", one_of)]
pub enum StepInput {
    #[oai(mapping = "email")]
    Email(EmailStepInput),
    #[oai(mapping = "wait")]
    Wait(WaitStepInput),
}

/// An email step.
#[derive(Debug, Default, Object, Deserialize, Serialize)]
#[oai(rename = "EmailStepInput", rename_all = "camelCase")]
#[serde(rename_all = "camelCase", default)]
pub struct EmailStepInput {
    /// Step position (zero-based).
    pub order: Option<Int<u32>>,
    /// Step display name, at most 100 characters; auto-assigned when omitted (`Initial Email`,
    /// `Follow-up 1`, …).
    #[oai(validator(max_length = 100))]
    pub name: Option<String>,
    /// Email subject, at most 500 characters, on one line (no control characters). Required on the first
    /// email of the main sequence; a later email may leave it empty to reply in the same thread.
    #[oai(validator(max_length = 500))]
    pub subject: Option<String>,
    /// Email body, plain text or HTML, auto-converted to TipTap-compatible HTML; at most 100,000
    /// characters; no control characters but line breaks and tabs. Required unless `variants` are given.
    #[oai(validator(max_length = 100000))]
    pub body: Option<String>,
    /// Whether conditional variables are used in this step; `true` needs at least one definition.
    pub use_conditional_variables: Option<bool>,
    /// Conditional variable definitions, used in the text as `{{name}}`.
    #[oai(validator(max_items = 20))]
    pub conditional_variables: Option<Vec<ConditionalVariableInput>>,
    /// A/B test variants. If omitted, a default variant `A` is seeded from the step's subject and body.
    /// When given, the step's own subject and body may be omitted and are taken from the first variant.
    #[oai(validator(max_items = 26))]
    pub variants: Option<Vec<VariantInput>>,
}

/// A wait step: total more than 0 hours and at most 365 days.
#[derive(Debug, Default, Object, Deserialize, Serialize)]
#[oai(rename = "WaitStepInput", rename_all = "camelCase")]
#[serde(rename_all = "camelCase", default)]
pub struct WaitStepInput {
    /// Step position (zero-based).
    pub order: Option<Int<u32>>,
    /// Step display name, at most 100 characters; auto-assigned when omitted (`Wait 3 days`,
    /// `Wait 2 days 4 hours`).
    #[oai(validator(max_length = 100))]
    pub name: Option<String>,
    /// Days to wait.
    #[oai(validator(maximum(value = "365")))]
    pub wait_days: Option<Int<u32>>,
    /// Hours to wait.
    pub wait_hours: Option<Int<u32>>,
}

/// An A/B variant of an email step.
#[derive(Debug, Default, Object, Deserialize, Serialize)]
#[oai(rename = "VariantInput", rename_all = "camelCase")]
#[serde(rename_all = "camelCase", default)]
pub struct VariantInput {
    /// Single uppercase letter A–Z, unique within the step; need not be sequential or start at A.
    #[oai(validator(pattern = "^[A-Z]$"))]
    pub letter: Required<String>,
    #[oai(validator(max_length = 500))]
    pub subject: Option<String>,
    #[oai(validator(max_length = 100000))]
    pub body: Option<String>,
}

/// A conditional variable: conditions are tried in order; `else` applies when none holds.
#[derive(Debug, Default, Object, Deserialize, Serialize)]
#[oai(rename = "ConditionalVariableInput", rename_all = "camelCase")]
#[serde(rename_all = "camelCase", default)]
pub struct ConditionalVariableInput {
    /// Unique within the step.
    #[oai(validator(pattern = "^[A-Za-z_][A-Za-z0-9_]*$", max_length = 64))]
    pub name: Required<String>,
    #[oai(validator(min_items = 1, max_items = 20))]
    pub conditions: Required<Vec<ConditionInput>>,
    /// Text used when no condition holds (default `""`).
    #[oai(validator(max_length = 1000))]
    pub r#else: Option<String>,
}

/// One condition of a conditional variable.
#[derive(Debug, Default, Object, Deserialize, Serialize)]
#[oai(rename = "ConditionInput", rename_all = "camelCase")]
#[serde(rename_all = "camelCase", default)]
pub struct ConditionInput {
    /// The lead field to test.
    #[oai(validator(max_length = 100))]
    pub field: Required<String>,
    pub operator: Required<Choice<ConditionOperators>>,
    /// Required for `equals`, `not_equals`, `contains`, `not_contains`; not allowed otherwise.
    #[oai(validator(max_length = 1000))]
    pub value: Option<String>,
    /// The text when the condition holds.
    #[oai(validator(max_length = 1000))]
    pub then: Required<String>,
}

/// A subsequence.
#[derive(Debug, Default, Object, Deserialize, Serialize)]
#[oai(rename = "SubsequenceInput", rename_all = "camelCase")]
#[serde(rename_all = "camelCase", default)]
pub struct SubsequenceInput {
    /// Server-assigned: refused on create. On update, names the existing subsequence this entry
    /// updates (it keeps its counters).
    #[oai(rename = "_id")]
    #[serde(rename = "_id")]
    pub id: Option<String>,
    /// Trimmed, 1–200 characters.
    #[oai(validator(min_length = 1, max_length = 200))]
    pub name: Required<String>,
    pub trigger: Required<TriggerInput>,
    /// Follows the rules of the main sequence, except that its first step may be a wait; it has at
    /// least one email.
    #[oai(validator(min_items = 1, max_items = 50))]
    pub sequence: Required<Vec<StepFields>>,
    /// Default `true`.
    pub enabled: Option<bool>,
    /// Default `false`.
    pub archived: Option<bool>,
}

/// What makes a lead enter a subsequence.
#[derive(Debug, Default, Object, Deserialize, Serialize)]
#[oai(rename = "TriggerInput", rename_all = "camelCase")]
#[serde(rename_all = "camelCase", default)]
pub struct TriggerInput {
    pub r#type: Required<Choice<TriggerTypes>>,
    /// Required when `type` is `ai_tag` (non-blank, at most 100 characters): the AI tag to match.
    /// Ignored (stored as null) for `reply`.
    #[oai(validator(max_length = 100))]
    pub value: Option<String>,
}

/// Sending schedule configuration.
#[derive(Debug, Default, Object, Deserialize, Serialize)]
#[oai(rename = "ScheduleInput", rename_all = "camelCase")]
#[serde(rename_all = "camelCase", default)]
pub struct ScheduleInput {
    /// IANA time zone (default `America/New_York`).
    pub timezone: Option<String>,
    /// Daily start time, `HH:MM` 24-hour (default `09:00`).
    #[oai(validator(pattern = "^[0-9]{2}:[0-9]{2}$"))]
    pub start_time: Option<String>,
    /// Daily end time, `HH:MM` 24-hour, later than `startTime` (default `17:00`).
    #[oai(validator(pattern = "^[0-9]{2}:[0-9]{2}$"))]
    pub end_time: Option<String>,
    /// Days of the week to send, 0 = Sunday … 6 = Saturday; non-empty, no duplicates
    /// (default `[1,2,3,4,5]`).
    #[oai(validator(min_items = 1, max_items = 7))]
    pub working_days: Option<Vec<Int<u8>>>,
    /// Skip sending on national holidays (default `true`).
    pub skip_national_holidays: Option<bool>,
}

/// Campaign tracking, sending and deliverability settings; flattened onto the campaign in responses.
#[derive(Debug, Default, Object, Deserialize, Serialize)]
#[oai(rename = "SettingsInput", rename_all = "camelCase")]
#[serde(rename_all = "camelCase", default)]
pub struct SettingsInput {
    /// Track email opens (default `true`).
    pub track_opens: Option<bool>,
    /// Track link clicks (default `true`).
    pub track_clicks: Option<bool>,
    /// Add an unsubscribe link to the email footer and headers (default `false`).
    pub include_unsubscribe_link: Option<bool>,
    /// CC recipients added to every email (at most 10).
    #[oai(validator(max_items = 10))]
    pub cc: Option<Vec<String>>,
    /// BCC recipients added to every email (at most 10).
    #[oai(validator(max_items = 10))]
    pub bcc: Option<Vec<String>>,
    /// Stop the sequence when the lead replies (default `true`).
    pub stop_on_reply: Option<bool>,
    /// Stop on out-of-office and auto-replies (default `false`).
    pub stop_on_auto_reply: Option<bool>,
    /// Stop if anyone from the same company replies (default `false`).
    pub stop_on_company_reply: Option<bool>,
    /// Skip leads in your Do Not Contact list (default `true`).
    #[oai(rename = "skipDNC")]
    #[serde(rename = "skipDNC")]
    pub skip_dnc: Option<bool>,
    /// Maximum emails to send per day, 1–10,000 (default none: mailbox limits apply).
    #[oai(validator(minimum(value = "1"), maximum(value = "10000")))]
    pub daily_send_limit: Option<Int<u32>>,
    /// Minutes between each email send, 1–1,440 (default 15).
    #[oai(validator(minimum(value = "1"), maximum(value = "1440")))]
    pub email_interval_minutes: Option<Int<u32>>,
    /// Default `disabled`.
    pub esp_matching_mode: Option<Choice<EspMatchingModesOnWrite>>,
    /// Legacy custom ESP matching rules: accepted and ignored.
    #[oai(deprecated)]
    pub esp_matching_rules: Option<Value>,
    /// Default `disabled`.
    pub seg_check_mode: Option<Choice<SegCheckModesOnWrite>>,
    /// SEG providers to skip when `segCheckMode` is `skip_providers` (then non-empty); no duplicates.
    pub seg_skip_providers: Option<Vec<Choice<SegProviders>>>,
    /// Custom tracking domain configuration.
    pub cname_tracking: Option<CnameTrackingInput>,
    /// Slack channel id for reply notifications: `C`, `G` or `D` then at least 8 uppercase letters or
    /// digits (default none).
    #[oai(validator(pattern = "^[CGD][A-Z0-9]{8,}$", max_length = 32))]
    pub slack_channel_id: Option<String>,
    /// Only send Slack notifications for AI-tagged positive replies (default `false`).
    pub positive_replies_only_slack: Option<bool>,
    /// Addresses to notify when a reply is detected (at most 5).
    #[oai(validator(max_items = 5))]
    pub notification_emails: Option<Vec<String>>,
    /// Send email notifications only for positive AI-tagged replies (default `true`).
    pub positive_replies_only_email: Option<bool>,
    /// AI reply agent id; must belong to this workspace, else `AGENT_NOT_FOUND`. Pair with
    /// `aiAgentEnabled: true` to use it.
    pub ai_agent_id: Option<String>,
    /// Toggle the AI reply agent (default `false`). `true` without `aiAgentId` uses the workspace's
    /// default agent; none is `AGENT_NOT_FOUND`.
    pub ai_agent_enabled: Option<bool>,
    /// Webhook configuration for campaign events.
    pub webhook: Option<WebhookInput>,
    /// Automatically detect and repair flagged content to maintain deliverability.
    pub copy_fatigue_protection: Option<CopyFatigueProtectionInput>,
    /// A/B variant smart optimization settings.
    pub variant_optimization: Option<VariantOptimizationInput>,
}

/// Custom tracking domain configuration.
#[derive(Debug, Default, Object, Deserialize, Serialize)]
#[oai(rename = "CnameTrackingInput", rename_all = "camelCase")]
#[serde(rename_all = "camelCase", default)]
pub struct CnameTrackingInput {
    /// Enable custom CNAME tracking domain (default `false`).
    pub enabled: Option<bool>,
    /// Custom tracking domain (`track.yourdomain.com`); required when enabled; stored lowercase.
    pub domain: Option<String>,
}

/// Webhook configuration.
#[derive(Debug, Default, Object, Deserialize, Serialize)]
#[oai(rename = "WebhookInput", rename_all = "camelCase")]
#[serde(rename_all = "camelCase", default)]
pub struct WebhookInput {
    /// Enable webhook notifications (default `false`).
    pub enabled: Option<bool>,
    /// Absolute https (or http) URL; required when enabled. Private, loopback, link-local, multicast and
    /// reserved targets (IPv6 forms carrying such an IPv4 address included) are refused unless the
    /// server runs with `--allow-private-webhooks`.
    #[oai(validator(max_length = 2048))]
    pub url: Option<String>,
    /// Secret for webhook signatures, 8–256 characters; generated (`whsec_` + 64 hex) for an enabled
    /// webhook without one.
    #[oai(validator(min_length = 8, max_length = 256))]
    pub secret: Option<String>,
    /// Events that trigger the webhook; non-empty when enabled.
    pub events: Option<Vec<Choice<WebhookEvents>>>,
}

/// Copy fatigue protection.
#[derive(Debug, Default, Object, Deserialize, Serialize)]
#[oai(rename = "CopyFatigueProtectionInput", rename_all = "camelCase")]
#[serde(rename_all = "camelCase", default)]
pub struct CopyFatigueProtectionInput {
    /// Enable copy fatigue protection (default `false`).
    pub enabled: Option<bool>,
    /// Automatically regenerate flagged content (default `false`).
    pub auto_regenerate: Option<bool>,
    /// Automatically resume the campaign after regeneration (default `false`).
    pub auto_resume: Option<bool>,
}

/// A/B variant optimization.
#[derive(Debug, Default, Object, Deserialize, Serialize)]
#[oai(rename = "VariantOptimizationInput", rename_all = "camelCase")]
#[serde(rename_all = "camelCase", default)]
pub struct VariantOptimizationInput {
    /// Enable automatic variant optimization (default `false`).
    pub enabled: Option<bool>,
    /// Minimum sends per variant before optimizing, 1–100,000 (default 25).
    #[oai(validator(minimum(value = "1"), maximum(value = "100000")))]
    pub minimum_sends_per_variant: Option<Int<u32>>,
    /// Minimum days before optimizing, 0–365 (default 3).
    #[oai(validator(maximum(value = "365")))]
    pub minimum_days: Option<Int<u32>>,
    /// Metric that picks the winning variant (default `replyRate`).
    pub optimization_metric: Option<Choice<OptimizationMetrics>>,
    /// Minimum number of variants to keep active, 1–26 (default 1).
    #[oai(validator(minimum(value = "1"), maximum(value = "26")))]
    pub keep_minimum_variants: Option<Int<u32>>,
}

/// A step as read: its `type` as sent and the members of both kinds, so that a member of the other
/// kind reaches the domain, which refuses it by name. Documented as [`StepInput`], whose variants
/// declare the members.
#[derive(Debug, Default)]
pub struct StepFields {
    kind: Option<String>,
    email: EmailStepInput,
    wait: WaitStepInput,
}

impl Type for StepFields {
    const IS_REQUIRED: bool = true;

    type RawValueType = Self;
    type RawElementValueType = Self;

    fn name() -> std::borrow::Cow<'static, str> {
        StepInput::name()
    }

    fn schema_ref() -> MetaSchemaRef {
        StepInput::schema_ref()
    }

    fn register(registry: &mut Registry) {
        StepInput::register(registry);
    }

    fn as_raw_value(&self) -> Option<&Self::RawValueType> {
        Some(self)
    }

    fn raw_element_iter<'a>(
        &'a self,
    ) -> Box<dyn Iterator<Item = &'a Self::RawElementValueType> + 'a> {
        Box::new(std::iter::once(self))
    }
}

impl ParseFromJSON for StepFields {
    fn parse_from_json(value: Option<Value>) -> ParseResult<Self> {
        serde_json::from_value(value.unwrap_or_default())
            .map_err(|error| poem_openapi::types::ParseError::custom(error.to_string()))
    }
}

impl ToJSON for StepFields {
    fn to_json(&self) -> Option<Value> {
        serde_json::to_value(self).ok()
    }
}

impl<'de> Deserialize<'de> for StepFields {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let members = Map::<String, Value>::deserialize(deserializer)?;
        let kind = members
            .get("type")
            .and_then(Value::as_str)
            .map(str::to_owned);
        let step = Value::Object(members);
        Ok(Self {
            kind,
            email: EmailStepInput::deserialize(&step).map_err(D::Error::custom)?,
            wait: WaitStepInput::deserialize(&step).map_err(D::Error::custom)?,
        })
    }
}

impl Serialize for StepFields {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut members = Map::new();
        if let Some(kind) = &self.kind {
            members.insert("type".to_owned(), Value::from(kind.as_str()));
        }
        let parts = [
            serde_json::to_value(&self.email),
            serde_json::to_value(&self.wait),
        ];
        for part in parts {
            if let Value::Object(part) = part.map_err(serde::ser::Error::custom)? {
                for (name, value) in part {
                    if !value.is_null() {
                        members.entry(name).or_insert(value);
                    }
                }
            }
        }
        members.serialize(serializer)
    }
}

/// SendKit's own example of a create (the seed's curl body), byte for byte.
const SEED_EXAMPLE: &str = include_str!("../../tests/fixtures/seed_create_campaign.json");

impl DocumentedBody for CreateCampaignRequest {
    fn example() -> Value {
        serde_json::from_str(SEED_EXAMPLE).unwrap_or_default()
    }

    /// The schedule and settings the domain gives a campaign that names none, written back in request
    /// form, and the defaults of the lists and of what they hold.
    fn defaults() -> Vec<(String, Value)> {
        let root = JsonPointer::root();
        let schedule = Schedule::parse(None, &root)
            .map(|schedule| written(&ScheduleInput::from(schedule.to_request())))
            .unwrap_or_default();
        let rules = ParseRules::create(WebhookHostPolicy::PublicOnly);
        let settings = Settings::parse(None, rules, &root)
            .map(|settings| written(&SettingsInput::from(settings.to_request())))
            .unwrap_or_default();
        vec![
            (
                Self::name().into_owned(),
                serde_json::json!({
                    "sequence": [],
                    "subsequences": [],
                    "schedule": schedule,
                    "settings": settings,
                }),
            ),
            (
                SubsequenceInput::name().into_owned(),
                serde_json::json!({
                    "enabled": DEFAULT_SUBSEQUENCE_ENABLED,
                    "archived": DEFAULT_SUBSEQUENCE_ARCHIVED,
                }),
            ),
            (
                ConditionalVariableInput::name().into_owned(),
                serde_json::json!({"else": ""}),
            ),
        ]
    }
}

impl DocumentedBody for UpdateCampaignRequest {
    /// A rename, a new zone for the schedule, and a daily cap, merged into what is stored.
    fn example() -> Value {
        serde_json::json!({
            "name": "Q2 Outbound - Decision Makers (EMEA)",
            "schedule": {"timezone": "Europe/Paris", "startTime": "09:30"},
            "settings": {"dailySendLimit": 30, "trackClicks": false}
        })
    }
}

impl DeclaredBody for CreateCampaignRequest {
    type Request = CampaignRequest;

    fn into_request(self) -> CampaignRequest {
        let Self {
            name,
            sequence,
            subsequences,
            schedule,
            settings,
            mailboxes,
            mailbox_ids,
            mailbox_emails,
            mailbox_tags,
            mailbox_provider,
        } = self;
        CampaignRequest {
            name: name.0,
            sequence: each(sequence),
            subsequences: each(subsequences),
            schedule: nested(schedule),
            settings: nested(settings),
            mailbox_selectors: MailboxSelectorsRequest {
                mailboxes,
                mailbox_ids,
                mailbox_emails,
                mailbox_tags,
                mailbox_provider: sent(mailbox_provider),
            },
        }
    }
}

impl From<CampaignRequest> for CreateCampaignRequest {
    fn from(request: CampaignRequest) -> Self {
        let CampaignRequest {
            name,
            sequence,
            subsequences,
            schedule,
            settings,
            mailbox_selectors:
                MailboxSelectorsRequest {
                    mailboxes,
                    mailbox_ids,
                    mailbox_emails,
                    mailbox_tags,
                    mailbox_provider,
                },
        } = request;
        Self {
            name: name.into(),
            sequence: each(sequence),
            subsequences: each(subsequences),
            schedule: nested(schedule),
            settings: nested(settings),
            mailboxes,
            mailbox_ids,
            mailbox_emails,
            mailbox_tags,
            mailbox_provider: mailbox_provider.map(Choice::from),
        }
    }
}

impl From<StepFields> for StepRequest {
    fn from(step: StepFields) -> Self {
        let StepFields { kind, email, wait } = step;
        let EmailStepInput {
            order,
            name,
            subject,
            body,
            use_conditional_variables,
            conditional_variables,
            variants,
        } = email;
        // `order` and `name` belong to both kinds: both parts read them from the same members.
        let WaitStepInput {
            order: _,
            name: _,
            wait_days,
            wait_hours,
        } = wait;
        StepRequest {
            kind,
            order: whole(order),
            name,
            subject,
            body,
            wait_days: whole(wait_days),
            wait_hours: whole(wait_hours),
            use_conditional_variables,
            conditional_variables: each(conditional_variables),
            variants: each(variants),
        }
    }
}

impl From<StepRequest> for StepFields {
    fn from(step: StepRequest) -> Self {
        let StepRequest {
            kind,
            order,
            name,
            subject,
            body,
            wait_days,
            wait_hours,
            use_conditional_variables,
            conditional_variables,
            variants,
        } = step;
        Self {
            kind,
            email: EmailStepInput {
                order: int(order),
                name: name.clone(),
                subject,
                body,
                use_conditional_variables,
                conditional_variables: each(conditional_variables),
                variants: each(variants),
            },
            wait: WaitStepInput {
                order: int(order),
                name,
                wait_days: int(wait_days),
                wait_hours: int(wait_hours),
            },
        }
    }
}

mapped! {
    VariantInput <=> VariantRequest {
        letter: required,
        subject: same,
        body: same,
    }
}

mapped! {
    ConditionalVariableInput <=> ConditionalVariableRequest {
        name: required,
        conditions: required_each,
        r#else => otherwise: same,
    }
}

mapped! {
    ConditionInput <=> ConditionRequest {
        field: required,
        operator: required_choice,
        value: same,
        then: required,
    }
}

mapped! {
    SubsequenceInput <=> SubsequenceRequest {
        id: same,
        name: required,
        trigger: required_nested,
        sequence: required_each,
        enabled: same,
        archived: same,
    }
}

mapped! {
    TriggerInput <=> TriggerRequest {
        r#type => kind: required_choice,
        value: same,
    }
}

mapped! {
    ScheduleInput <=> ScheduleRequest {
        timezone: same,
        start_time: same,
        end_time: same,
        working_days: ints,
        skip_national_holidays: same,
    }
}

mapped! {
    SettingsInput <=> SettingsRequest {
        track_opens: same,
        track_clicks: same,
        include_unsubscribe_link: same,
        cc: same,
        bcc: same,
        stop_on_reply: same,
        stop_on_auto_reply: same,
        stop_on_company_reply: same,
        skip_dnc: same,
        daily_send_limit: int,
        email_interval_minutes: int,
        esp_matching_mode: choice,
        // Legacy (spec 4.6): accepted and ignored, so never stored nor written back.
        esp_matching_rules: ignored,
        seg_check_mode: choice,
        seg_skip_providers: choices,
        cname_tracking: nested,
        slack_channel_id: same,
        positive_replies_only_slack: same,
        notification_emails: same,
        positive_replies_only_email: same,
        ai_agent_id: same,
        ai_agent_enabled: same,
        webhook: nested,
        copy_fatigue_protection: nested,
        variant_optimization: nested,
    }
}

mapped! {
    CnameTrackingInput <=> CnameTrackingRequest {
        enabled: same,
        domain: same,
    }
}

mapped! {
    WebhookInput <=> WebhookRequest {
        enabled: same,
        url: same,
        secret: same,
        events: choices,
    }
}

mapped! {
    CopyFatigueProtectionInput <=> CopyFatigueProtectionRequest {
        enabled: same,
        auto_regenerate: same,
        auto_resume: same,
    }
}

mapped! {
    VariantOptimizationInput <=> VariantOptimizationRequest {
        enabled: same,
        minimum_sends_per_variant: int,
        minimum_days: int,
        optimization_metric: choice,
        keep_minimum_variants: int,
    }
}

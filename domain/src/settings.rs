//! Campaign settings (spec 4.5): `settings` in, flattened onto the campaign out.

use std::collections::HashSet;

use crate::id::AgentId;
use crate::problem::{Invalid, JsonPointer, ProblemCode, Problems};
use crate::request::{
    CnameTrackingRequest, CopyFatigueProtectionRequest, SettingsRequest,
    VariantOptimizationRequest, WebhookRequest,
};
use crate::rules::{ParseRules, Purpose};
use crate::text::{named, parse_choice, wire_enum};
use crate::values::{EmailAddress, HostName, SlackChannelId, WebhookSecret, WebhookUrl};

/// At most this many addresses in `cc` and in `bcc`.
pub const MAX_COPY_ADDRESSES: usize = 10;
/// At most this many `notificationEmails`.
pub const MAX_NOTIFICATION_EMAILS: usize = 5;

wire_enum!(
    /// How mailboxes are matched to recipients' providers.
    EspMatchingMode {
        Disabled => "disabled",
        Auto => "auto",
        /// Read-back only: stored campaigns may have it, writes may not set it.
        Custom => "custom",
    }
);

wire_enum!(
    /// How leads behind a Secure Email Gateway are handled.
    SegCheckMode {
        Disabled => "disabled",
        SkipAll => "skip_all",
        SkipProviders => "skip_providers",
    }
);

wire_enum!(
    /// Secure Email Gateway providers that `skip_providers` can skip.
    SegProvider {
        Proofpoint => "proofpoint",
        Mimecast => "mimecast",
        Barracuda => "barracuda",
        Cisco => "cisco",
        Forcepoint => "forcepoint",
        Sophos => "sophos",
        TrendMicro => "trendmicro",
        Symantec => "symantec",
        Mcafee => "mcafee",
        MicrosoftAtp => "microsoft_atp",
        GooglePostini => "google_postini",
    }
);

wire_enum!(
    /// Campaign events a webhook can subscribe to.
    WebhookEvent {
        EmailSent => "email.sent",
        EmailOpened => "email.opened",
        EmailClicked => "email.clicked",
        EmailReplied => "email.replied",
        EmailBounced => "email.bounced",
        EmailUnsubscribed => "email.unsubscribed",
        EmailPositiveReply => "email.positive_reply",
        LeadReplied => "lead.replied",
        LeadBounced => "lead.bounced",
        LeadUpdated => "lead.updated",
        LeadTagChanged => "lead.tag_changed",
    }
);

wire_enum!(
    /// The metric that picks the winning A/B variant.
    OptimizationMetric {
        ReplyRate => "replyRate",
        OpenRate => "openRate",
        ClickRate => "clickRate",
    }
);

/// The legacy spelling normalised to `disabled` on every write (spec 4.5, 4.6).
const LEGACY_SEG_CHECK_MODE: &str = "use_specific_mailboxes";

/// Campaign settings, held by group; the getters read them flat, as the wire does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    tracking: Tracking,
    copies: Copies,
    stop_rules: StopRules,
    limits: SendingLimits,
    deliverability: Deliverability,
    notifications: Notifications,
    ai_agent: AiAgent,
    webhook: Webhook,
    copy_fatigue_protection: CopyFatigueProtection,
    variant_optimization: VariantOptimization,
}

/// `trackOpens`, `trackClicks`, `includeUnsubscribeLink` and `cnameTracking`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Tracking {
    opens: bool,
    clicks: bool,
    unsubscribe_link: bool,
    cname: CnameTracking,
}

/// `cc` and `bcc`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Copies {
    cc: Vec<EmailAddress>,
    bcc: Vec<EmailAddress>,
}

/// `stopOnReply`, `stopOnAutoReply`, `stopOnCompanyReply` and `skipDNC`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct StopRules {
    on_reply: bool,
    on_auto_reply: bool,
    on_company_reply: bool,
    skip_dnc: bool,
}

/// `dailySendLimit` and `emailIntervalMinutes`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct SendingLimits {
    daily: Option<u32>,
    interval_minutes: u32,
}

/// `espMatchingMode`, `segCheckMode` and `segSkipProviders`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Deliverability {
    esp_matching_mode: EspMatchingMode,
    seg_check_mode: SegCheckMode,
    seg_skip_providers: Vec<SegProvider>,
}

/// `slackChannelId`, `positiveRepliesOnlySlack`, `notificationEmails` and `positiveRepliesOnlyEmail`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Notifications {
    slack_channel_id: Option<SlackChannelId>,
    positive_replies_only_slack: bool,
    emails: Vec<EmailAddress>,
    positive_replies_only_email: bool,
}

/// `aiAgentId` and `aiAgentEnabled`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct AiAgent {
    id: Option<AgentId>,
    enabled: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CnameTracking {
    enabled: bool,
    domain: Option<HostName>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Webhook {
    enabled: bool,
    url: Option<WebhookUrl>,
    secret: Option<WebhookSecret>,
    events: Vec<WebhookEvent>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CopyFatigueProtection {
    enabled: bool,
    auto_regenerate: bool,
    auto_resume: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VariantOptimization {
    enabled: bool,
    minimum_sends_per_variant: u32,
    minimum_days: u32,
    optimization_metric: OptimizationMetric,
    keep_minimum_variants: u32,
}

/// Which AI agent a campaign asks for, before the workspace's agents are consulted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgentRequest {
    /// No agent: `aiAgentId` is null and the agent is off.
    None,
    /// This agent, which must belong to the workspace.
    Specific(AgentId),
    /// `aiAgentEnabled` without an id: the workspace's default agent, which must exist.
    WorkspaceDefault,
}

impl AgentRequest {
    /// The agent request of raw settings, when `aiAgentId` is well-formed. Lets a rejected request still
    /// have its agent looked up, so every problem is reported at once.
    pub fn of_request(request: Option<&SettingsRequest>) -> Option<AgentRequest> {
        let request = request.cloned().unwrap_or_default();
        let id = match request.ai_agent_id.as_deref() {
            None => None,
            Some(raw) => Some(AgentId::parse(raw).ok()?),
        };
        Some(Self::from_settings(
            id,
            request.ai_agent_enabled.unwrap_or(false),
        ))
    }

    /// The request `aiAgentId` and `aiAgentEnabled` make together: an id wins; enabled without one asks
    /// for the workspace's default.
    fn from_settings(id: Option<AgentId>, enabled: bool) -> AgentRequest {
        match (id, enabled) {
            (Some(id), _) => AgentRequest::Specific(id),
            (None, true) => AgentRequest::WorkspaceDefault,
            (None, false) => AgentRequest::None,
        }
    }
}

impl Settings {
    /// Parses `settings` at `at`; every absent field takes its default.
    ///
    /// Problems are listed in the order of the calls below, and clients see that order: keep it.
    /// `notificationEmails` is checked with the other address lists, ahead of the rest of the
    /// notifications.
    pub fn parse(
        request: Option<&SettingsRequest>,
        rules: ParseRules,
        at: &JsonPointer,
    ) -> Result<Settings, Problems> {
        let default = SettingsRequest::default();
        let request = request.unwrap_or(&default);
        let mut problems = Problems::new();
        let copies = Copies::parse(request, at, &mut problems);
        let notification_emails = parse_addresses(
            request.notification_emails.as_deref(),
            "notificationEmails",
            MAX_NOTIFICATION_EMAILS,
            at,
            &mut problems,
        );
        let limits = SendingLimits::parse(request, at, &mut problems);
        let deliverability = Deliverability::parse(request, rules, at, &mut problems);
        let tracking = Tracking::parse(request, at, &mut problems);
        let notifications = Notifications::parse(request, notification_emails, at, &mut problems);
        let ai_agent = AiAgent::parse(request, at, &mut problems);
        let webhook = Webhook::parse(
            request.webhook.as_ref(),
            rules,
            &at.field("webhook"),
            &mut problems,
        );
        let variant_optimization = VariantOptimization::parse(
            request.variant_optimization.as_ref(),
            &at.field("variantOptimization"),
            &mut problems,
        );
        match (
            tracking,
            copies,
            limits,
            deliverability,
            notifications,
            ai_agent,
            webhook,
            variant_optimization,
        ) {
            (
                Some(tracking),
                Some(copies),
                Some(limits),
                Some(deliverability),
                Some(notifications),
                Some(ai_agent),
                Some(webhook),
                Some(variant_optimization),
            ) if problems.is_empty() => Ok(Settings {
                tracking,
                copies,
                stop_rules: StopRules::of(request),
                limits,
                deliverability,
                notifications,
                ai_agent,
                webhook,
                copy_fatigue_protection: CopyFatigueProtection::parse(
                    request.copy_fatigue_protection.as_ref(),
                ),
                variant_optimization,
            }),
            _ => Err(problems),
        }
    }

    /// These settings in request form (the webhook secret in full).
    pub fn to_request(&self) -> SettingsRequest {
        SettingsRequest {
            track_opens: Some(self.tracking.opens),
            track_clicks: Some(self.tracking.clicks),
            include_unsubscribe_link: Some(self.tracking.unsubscribe_link),
            cc: addresses_request(&self.copies.cc),
            bcc: addresses_request(&self.copies.bcc),
            stop_on_reply: Some(self.stop_rules.on_reply),
            stop_on_auto_reply: Some(self.stop_rules.on_auto_reply),
            stop_on_company_reply: Some(self.stop_rules.on_company_reply),
            skip_dnc: Some(self.stop_rules.skip_dnc),
            daily_send_limit: self.limits.daily.map(i64::from),
            email_interval_minutes: Some(i64::from(self.limits.interval_minutes)),
            esp_matching_mode: Some(self.deliverability.esp_matching_mode.as_str().to_owned()),
            seg_check_mode: Some(self.deliverability.seg_check_mode.as_str().to_owned()),
            seg_skip_providers: Some(
                self.deliverability
                    .seg_skip_providers
                    .iter()
                    .map(|provider| provider.as_str().to_owned())
                    .collect(),
            ),
            cname_tracking: Some(self.tracking.cname.to_request()),
            slack_channel_id: self
                .notifications
                .slack_channel_id
                .as_ref()
                .map(|id| id.as_str().to_owned()),
            positive_replies_only_slack: Some(self.notifications.positive_replies_only_slack),
            notification_emails: addresses_request(&self.notifications.emails),
            positive_replies_only_email: Some(self.notifications.positive_replies_only_email),
            ai_agent_id: self.ai_agent.id.map(|id| id.to_string()),
            ai_agent_enabled: Some(self.ai_agent.enabled),
            webhook: Some(self.webhook.to_request()),
            copy_fatigue_protection: Some(self.copy_fatigue_protection.to_request()),
            variant_optimization: Some(self.variant_optimization.to_request()),
        }
    }

    /// Which agent these settings ask for (spec 4.5 `aiAgentId`, `aiAgentEnabled`).
    pub fn agent_request(&self) -> AgentRequest {
        AgentRequest::from_settings(self.ai_agent.id, self.ai_agent.enabled)
    }

    /// These settings with what the server resolved: the agent the workspace answered for
    /// [`Self::agent_request`], and a generated webhook secret when none was given.
    pub(crate) fn resolved(
        mut self,
        agent: Option<AgentId>,
        generated_secret: Option<WebhookSecret>,
    ) -> Settings {
        self.ai_agent.id = agent;
        if self.webhook.secret.is_none() {
            self.webhook.secret = generated_secret;
        }
        self
    }

    /// Whether the webhook is on without a secret, so one must be generated.
    pub fn needs_webhook_secret(&self) -> bool {
        self.webhook.enabled && self.webhook.secret.is_none()
    }

    pub fn track_opens(&self) -> bool {
        self.tracking.opens
    }
    pub fn track_clicks(&self) -> bool {
        self.tracking.clicks
    }
    pub fn include_unsubscribe_link(&self) -> bool {
        self.tracking.unsubscribe_link
    }
    pub fn cc(&self) -> &[EmailAddress] {
        &self.copies.cc
    }
    pub fn bcc(&self) -> &[EmailAddress] {
        &self.copies.bcc
    }
    pub fn stop_on_reply(&self) -> bool {
        self.stop_rules.on_reply
    }
    pub fn stop_on_auto_reply(&self) -> bool {
        self.stop_rules.on_auto_reply
    }
    pub fn stop_on_company_reply(&self) -> bool {
        self.stop_rules.on_company_reply
    }
    pub fn skip_dnc(&self) -> bool {
        self.stop_rules.skip_dnc
    }
    pub fn daily_send_limit(&self) -> Option<u32> {
        self.limits.daily
    }
    pub fn email_interval_minutes(&self) -> u32 {
        self.limits.interval_minutes
    }
    pub fn esp_matching_mode(&self) -> EspMatchingMode {
        self.deliverability.esp_matching_mode
    }
    pub fn seg_check_mode(&self) -> SegCheckMode {
        self.deliverability.seg_check_mode
    }
    pub fn seg_skip_providers(&self) -> &[SegProvider] {
        &self.deliverability.seg_skip_providers
    }
    pub fn cname_tracking(&self) -> &CnameTracking {
        &self.tracking.cname
    }
    pub fn slack_channel_id(&self) -> Option<&SlackChannelId> {
        self.notifications.slack_channel_id.as_ref()
    }
    pub fn positive_replies_only_slack(&self) -> bool {
        self.notifications.positive_replies_only_slack
    }
    pub fn notification_emails(&self) -> &[EmailAddress] {
        &self.notifications.emails
    }
    pub fn positive_replies_only_email(&self) -> bool {
        self.notifications.positive_replies_only_email
    }
    pub fn ai_agent_id(&self) -> Option<AgentId> {
        self.ai_agent.id
    }
    pub fn ai_agent_enabled(&self) -> bool {
        self.ai_agent.enabled
    }
    pub fn webhook(&self) -> &Webhook {
        &self.webhook
    }
    pub fn copy_fatigue_protection(&self) -> CopyFatigueProtection {
        self.copy_fatigue_protection
    }
    pub fn variant_optimization(&self) -> VariantOptimization {
        self.variant_optimization
    }
}

impl Tracking {
    fn parse(
        request: &SettingsRequest,
        at: &JsonPointer,
        problems: &mut Problems,
    ) -> Option<Tracking> {
        let cname = CnameTracking::parse(
            request.cname_tracking.as_ref(),
            &at.field("cnameTracking"),
            problems,
        )?;
        Some(Tracking {
            opens: request.track_opens.unwrap_or(true),
            clicks: request.track_clicks.unwrap_or(true),
            unsubscribe_link: request.include_unsubscribe_link.unwrap_or(false),
            cname,
        })
    }
}

impl Copies {
    fn parse(
        request: &SettingsRequest,
        at: &JsonPointer,
        problems: &mut Problems,
    ) -> Option<Copies> {
        let cc = parse_addresses(
            request.cc.as_deref(),
            "cc",
            MAX_COPY_ADDRESSES,
            at,
            problems,
        );
        let bcc = parse_addresses(
            request.bcc.as_deref(),
            "bcc",
            MAX_COPY_ADDRESSES,
            at,
            problems,
        );
        Some(Copies { cc: cc?, bcc: bcc? })
    }
}

impl StopRules {
    fn of(request: &SettingsRequest) -> StopRules {
        StopRules {
            on_reply: request.stop_on_reply.unwrap_or(true),
            on_auto_reply: request.stop_on_auto_reply.unwrap_or(false),
            on_company_reply: request.stop_on_company_reply.unwrap_or(false),
            skip_dnc: request.skip_dnc.unwrap_or(true),
        }
    }
}

impl SendingLimits {
    fn parse(
        request: &SettingsRequest,
        at: &JsonPointer,
        problems: &mut Problems,
    ) -> Option<SendingLimits> {
        let daily = match request.daily_send_limit {
            None => Some(None),
            Some(raw) => problems
                .check(
                    in_range(raw, 1, 10_000, "dailySendLimit"),
                    at.field("dailySendLimit"),
                )
                .map(Some),
        };
        let interval_minutes = problems.check(
            in_range(
                request.email_interval_minutes.unwrap_or(15),
                1,
                1_440,
                "emailIntervalMinutes",
            ),
            at.field("emailIntervalMinutes"),
        );
        Some(SendingLimits {
            daily: daily?,
            interval_minutes: interval_minutes?,
        })
    }
}

impl Deliverability {
    fn parse(
        request: &SettingsRequest,
        rules: ParseRules,
        at: &JsonPointer,
        problems: &mut Problems,
    ) -> Option<Deliverability> {
        let esp_matching_mode = problems.check(
            parse_esp_matching_mode(request.esp_matching_mode.as_deref(), rules),
            at.field("espMatchingMode"),
        );
        let seg_check_mode = problems.check(
            parse_seg_check_mode(request.seg_check_mode.as_deref()),
            at.field("segCheckMode"),
        );
        let seg_skip_providers = parse_seg_providers(
            request.seg_skip_providers.as_deref(),
            seg_check_mode,
            &at.field("segSkipProviders"),
            problems,
        );
        Some(Deliverability {
            esp_matching_mode: esp_matching_mode?,
            seg_check_mode: seg_check_mode?,
            seg_skip_providers: seg_skip_providers?,
        })
    }
}

impl Notifications {
    /// `emails` are the `notificationEmails`, checked earlier with the other address lists.
    fn parse(
        request: &SettingsRequest,
        emails: Option<Vec<EmailAddress>>,
        at: &JsonPointer,
        problems: &mut Problems,
    ) -> Option<Notifications> {
        let slack_channel_id = parse_optional(
            request.slack_channel_id.as_deref(),
            "slackChannelId",
            SlackChannelId::parse,
            at,
            problems,
        );
        Some(Notifications {
            slack_channel_id: slack_channel_id?,
            positive_replies_only_slack: request.positive_replies_only_slack.unwrap_or(false),
            emails: emails?,
            positive_replies_only_email: request.positive_replies_only_email.unwrap_or(true),
        })
    }
}

impl AiAgent {
    fn parse(
        request: &SettingsRequest,
        at: &JsonPointer,
        problems: &mut Problems,
    ) -> Option<AiAgent> {
        let id = parse_optional(
            request.ai_agent_id.as_deref(),
            "aiAgentId",
            AgentId::parse,
            at,
            problems,
        );
        Some(AiAgent {
            id: id?,
            enabled: request.ai_agent_enabled.unwrap_or(false),
        })
    }
}

/// An optional text field: absent is `Some(None)`; present, it must parse (its problem at `field`).
fn parse_optional<T>(
    raw: Option<&str>,
    field: &str,
    parse: impl FnOnce(&str) -> Result<T, Invalid>,
    at: &JsonPointer,
    problems: &mut Problems,
) -> Option<Option<T>> {
    match raw {
        None => Some(None),
        Some(raw) => problems
            .check(
                parse(raw).map_err(|invalid| named(field, invalid)),
                at.field(field),
            )
            .map(Some),
    }
}

fn addresses_request(list: &[EmailAddress]) -> Option<Vec<String>> {
    Some(
        list.iter()
            .map(|address| address.as_str().to_owned())
            .collect(),
    )
}

fn in_range(raw: i64, min: u32, max: u32, field: &str) -> Result<u32, Invalid> {
    u32::try_from(raw)
        .ok()
        .filter(|value| (min..=max).contains(value))
        .ok_or_else(|| {
            Invalid::new(
                ProblemCode::OutOfRange,
                format!("{field} must be between {min} and {max}"),
            )
        })
}

/// A list of addresses: each valid, none repeated (case-insensitively), at most `max`.
fn parse_addresses(
    raw: Option<&[String]>,
    field: &str,
    max: usize,
    at: &JsonPointer,
    problems: &mut Problems,
) -> Option<Vec<EmailAddress>> {
    let raw = raw.unwrap_or_default();
    let pointer = at.field(field);
    if raw.len() > max {
        problems.add(
            pointer,
            ProblemCode::TooMany,
            format!("{field} has at most {max} addresses"),
        );
        return None;
    }
    let mut seen = HashSet::new();
    let mut addresses = Vec::with_capacity(raw.len());
    let before = problems.len();
    for (index, item) in raw.iter().enumerate() {
        let Some(address) = problems.check(
            EmailAddress::parse(item).map_err(|invalid| named(field, invalid)),
            pointer.index(index),
        ) else {
            continue;
        };
        if seen.insert(address.normalized()) {
            addresses.push(address);
        } else {
            problems.add(
                pointer.index(index),
                ProblemCode::Duplicate,
                format!("{field} lists {} more than once", address.as_str()),
            );
        }
    }
    (problems.len() == before).then_some(addresses)
}

fn parse_esp_matching_mode(
    raw: Option<&str>,
    rules: ParseRules,
) -> Result<EspMatchingMode, Invalid> {
    let Some(raw) = raw else {
        return Ok(EspMatchingMode::Disabled);
    };
    let writable = || "disabled or auto".to_owned();
    match EspMatchingMode::from_wire(raw) {
        Some(EspMatchingMode::Custom) if rules.purpose() != Purpose::Stored => Err(Invalid::new(
            ProblemCode::InvalidValue,
            "espMatchingMode custom is read-back only; writes accept disabled or auto",
        )),
        Some(mode) => Ok(mode),
        None => parse_choice(raw, "espMatchingMode", |_| None, writable),
    }
}

fn parse_seg_check_mode(raw: Option<&str>) -> Result<SegCheckMode, Invalid> {
    match raw {
        None | Some(LEGACY_SEG_CHECK_MODE) => Ok(SegCheckMode::Disabled),
        Some(raw) => parse_choice(
            raw,
            "segCheckMode",
            SegCheckMode::from_wire,
            SegCheckMode::choices,
        ),
    }
}

fn parse_seg_providers(
    raw: Option<&[String]>,
    mode: Option<SegCheckMode>,
    at: &JsonPointer,
    problems: &mut Problems,
) -> Option<Vec<SegProvider>> {
    let raw = raw.unwrap_or_default();
    let before = problems.len();
    let providers = parse_choice_list(
        raw,
        "segSkipProviders",
        SegProvider::from_wire,
        SegProvider::choices,
        at,
        problems,
    );
    if mode == Some(SegCheckMode::SkipProviders) && raw.is_empty() {
        problems.add(
            at.clone(),
            ProblemCode::TooFew,
            "segSkipProviders must name at least one provider when segCheckMode is skip_providers",
        );
    }
    (problems.len() == before).then_some(providers)
}

/// A list of wire enum values at `at`: each one of the choices, none repeated. Keeps the valid ones.
fn parse_choice_list<T: Copy + PartialEq + std::fmt::Display>(
    raw: &[String],
    field: &str,
    from_wire: impl Fn(&str) -> Option<T>,
    choices: impl Fn() -> String,
    at: &JsonPointer,
    problems: &mut Problems,
) -> Vec<T> {
    let mut values = Vec::with_capacity(raw.len());
    for (index, item) in raw.iter().enumerate() {
        let Some(value) = problems.check(
            parse_choice(item, field, &from_wire, &choices),
            at.index(index),
        ) else {
            continue;
        };
        if values.contains(&value) {
            problems.add(
                at.index(index),
                ProblemCode::Duplicate,
                format!("{field} lists {value} more than once"),
            );
        } else {
            values.push(value);
        }
    }
    values
}

impl CnameTracking {
    fn parse(
        request: Option<&CnameTrackingRequest>,
        at: &JsonPointer,
        problems: &mut Problems,
    ) -> Option<CnameTracking> {
        let request = request.cloned().unwrap_or_default();
        let enabled = request.enabled.unwrap_or(false);
        let domain = match request.domain.as_deref() {
            None if enabled => {
                problems.add(
                    at.field("domain"),
                    ProblemCode::Required,
                    "domain is required when CNAME tracking is enabled",
                );
                return None;
            }
            None => None,
            Some(raw) => Some(problems.check(
                HostName::parse(raw).map_err(|invalid| named("domain", invalid)),
                at.field("domain"),
            )?),
        };
        Some(CnameTracking { enabled, domain })
    }

    fn to_request(&self) -> CnameTrackingRequest {
        CnameTrackingRequest {
            enabled: Some(self.enabled),
            domain: self
                .domain
                .as_ref()
                .map(|domain| domain.as_str().to_owned()),
        }
    }

    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// The tracking host, lowercase.
    pub fn domain(&self) -> Option<&HostName> {
        self.domain.as_ref()
    }
}

impl Webhook {
    fn parse(
        request: Option<&WebhookRequest>,
        rules: ParseRules,
        at: &JsonPointer,
        problems: &mut Problems,
    ) -> Option<Webhook> {
        let request = request.cloned().unwrap_or_default();
        let enabled = request.enabled.unwrap_or(false);
        let before = problems.len();
        let url = match request.url.as_deref() {
            None => {
                if enabled {
                    problems.add(
                        at.field("url"),
                        ProblemCode::Required,
                        "url is required when the webhook is enabled",
                    );
                }
                None
            }
            Some(raw) => problems.check(
                WebhookUrl::parse(raw, rules.webhook_hosts())
                    .map_err(|invalid| named("url", invalid)),
                at.field("url"),
            ),
        };
        let secret = match request.secret.as_deref() {
            None => None,
            Some(raw) => problems.check(
                WebhookSecret::parse(raw).map_err(|invalid| named("secret", invalid)),
                at.field("secret"),
            ),
        };
        let raw_events = request.events.unwrap_or_default();
        let events = parse_choice_list(
            &raw_events,
            "events",
            WebhookEvent::from_wire,
            WebhookEvent::choices,
            &at.field("events"),
            problems,
        );
        if enabled && raw_events.is_empty() {
            problems.add(
                at.field("events"),
                ProblemCode::TooFew,
                "events must name at least one event when the webhook is enabled",
            );
        }
        (problems.len() == before).then_some(Webhook {
            enabled,
            url,
            secret,
            events,
        })
    }

    fn to_request(&self) -> WebhookRequest {
        WebhookRequest {
            enabled: Some(self.enabled),
            url: self.url.as_ref().map(|url| url.as_str().to_owned()),
            secret: self
                .secret
                .as_ref()
                .map(|secret| secret.as_str().to_owned()),
            events: Some(
                self.events
                    .iter()
                    .map(|event| event.as_str().to_owned())
                    .collect(),
            ),
        }
    }

    pub fn enabled(&self) -> bool {
        self.enabled
    }

    pub fn url(&self) -> Option<&WebhookUrl> {
        self.url.as_ref()
    }

    pub fn secret(&self) -> Option<&WebhookSecret> {
        self.secret.as_ref()
    }

    pub fn events(&self) -> &[WebhookEvent] {
        &self.events
    }
}

impl CopyFatigueProtection {
    fn parse(request: Option<&CopyFatigueProtectionRequest>) -> CopyFatigueProtection {
        let request = request.cloned().unwrap_or_default();
        CopyFatigueProtection {
            enabled: request.enabled.unwrap_or(false),
            auto_regenerate: request.auto_regenerate.unwrap_or(false),
            auto_resume: request.auto_resume.unwrap_or(false),
        }
    }

    fn to_request(self) -> CopyFatigueProtectionRequest {
        CopyFatigueProtectionRequest {
            enabled: Some(self.enabled),
            auto_regenerate: Some(self.auto_regenerate),
            auto_resume: Some(self.auto_resume),
        }
    }

    pub fn enabled(&self) -> bool {
        self.enabled
    }

    pub fn auto_regenerate(&self) -> bool {
        self.auto_regenerate
    }

    pub fn auto_resume(&self) -> bool {
        self.auto_resume
    }
}

impl VariantOptimization {
    pub(crate) fn parse(
        request: Option<&VariantOptimizationRequest>,
        at: &JsonPointer,
        problems: &mut Problems,
    ) -> Option<VariantOptimization> {
        let request = request.cloned().unwrap_or_default();
        let minimum_sends_per_variant = problems.check(
            in_range(
                request.minimum_sends_per_variant.unwrap_or(25),
                1,
                100_000,
                "minimumSendsPerVariant",
            ),
            at.field("minimumSendsPerVariant"),
        );
        let minimum_days = problems.check(
            in_range(request.minimum_days.unwrap_or(3), 0, 365, "minimumDays"),
            at.field("minimumDays"),
        );
        let optimization_metric = match request.optimization_metric.as_deref() {
            None => Some(OptimizationMetric::ReplyRate),
            Some(raw) => problems.check(
                parse_choice(
                    raw,
                    "optimizationMetric",
                    OptimizationMetric::from_wire,
                    OptimizationMetric::choices,
                ),
                at.field("optimizationMetric"),
            ),
        };
        let keep_minimum_variants = problems.check(
            in_range(
                request.keep_minimum_variants.unwrap_or(1),
                1,
                26,
                "keepMinimumVariants",
            ),
            at.field("keepMinimumVariants"),
        );
        Some(VariantOptimization {
            enabled: request.enabled.unwrap_or(false),
            minimum_sends_per_variant: minimum_sends_per_variant?,
            minimum_days: minimum_days?,
            optimization_metric: optimization_metric?,
            keep_minimum_variants: keep_minimum_variants?,
        })
    }

    fn to_request(self) -> VariantOptimizationRequest {
        VariantOptimizationRequest {
            enabled: Some(self.enabled),
            minimum_sends_per_variant: Some(i64::from(self.minimum_sends_per_variant)),
            minimum_days: Some(i64::from(self.minimum_days)),
            optimization_metric: Some(self.optimization_metric.as_str().to_owned()),
            keep_minimum_variants: Some(i64::from(self.keep_minimum_variants)),
        }
    }

    pub fn enabled(&self) -> bool {
        self.enabled
    }

    pub fn minimum_sends_per_variant(&self) -> u32 {
        self.minimum_sends_per_variant
    }

    pub fn minimum_days(&self) -> u32 {
        self.minimum_days
    }

    pub fn optimization_metric(&self) -> OptimizationMetric {
        self.optimization_metric
    }

    pub fn keep_minimum_variants(&self) -> u32 {
        self.keep_minimum_variants
    }
}

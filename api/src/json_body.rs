//! Reads JSON request bodies into the domain's plain request types, reporting every shape problem — a
//! value of the wrong JSON type, an unknown field — with its JSON Pointer, instead of stopping at the
//! first. Meaning (ranges, formats, structure) is the domain's business; this only reads.
//!
//! A value that cannot be read becomes absent, or a blank placeholder inside a list (so the positions of
//! the other items, and so their pointers, stay right). The domain's problems within a place already
//! reported here are dropped when the two lists are merged (`Problems::followed_by`).
//!
//! `null` reads as absent everywhere: on create, absent means "take the default".
//!
//! For `PATCH` (spec 5) the way back is here too: [`campaign_json`] writes a stored campaign's content
//! in request form, [`merge_patch`] applies the client's RFC 7386 merge patch to it, and the merged
//! document is read with [`campaign_request`] and validated like a create.

use domain::mailbox_update::{MailboxPatchRequest, PatchValue};
use domain::problem::{JsonPointer, ProblemCode, Problems};
use domain::request::{
    AgentRequest, CampaignRequest, CnameTrackingRequest, CompanyInfoRequest, ConditionRequest,
    ConditionalVariableRequest, CopyFatigueProtectionRequest, MailboxRequest,
    MailboxSelectorsRequest, PersonaRequest, ScheduleRequest, SettingsRequest, StepRequest,
    SubsequenceRequest, TriggerRequest, VariantOptimizationRequest, VariantRequest, WebhookRequest,
};
use serde_json::{Map, Value};

/// The fields of each request object, as the contract names them.
pub const CAMPAIGN_FIELDS: &[&str] = &[
    "name",
    "sequence",
    "subsequences",
    "schedule",
    "settings",
    "mailboxes",
    "mailboxIds",
    "mailboxEmails",
    "mailboxTags",
    "mailboxProvider",
];
pub const STEP_FIELDS: &[&str] = &[
    "type",
    "order",
    "name",
    "subject",
    "body",
    "waitDays",
    "waitHours",
    "useConditionalVariables",
    "conditionalVariables",
    "variants",
];
pub const VARIANT_FIELDS: &[&str] = &["letter", "subject", "body"];
pub const CONDITIONAL_VARIABLE_FIELDS: &[&str] = &["name", "conditions", "else"];
pub const CONDITION_FIELDS: &[&str] = &["field", "operator", "value", "then"];
pub const SUBSEQUENCE_FIELDS: &[&str] =
    &["_id", "name", "trigger", "sequence", "enabled", "archived"];
pub const TRIGGER_FIELDS: &[&str] = &["type", "value"];
pub const SCHEDULE_FIELDS: &[&str] = &[
    "timezone",
    "startTime",
    "endTime",
    "workingDays",
    "skipNationalHolidays",
];
pub const SETTINGS_FIELDS: &[&str] = &[
    "trackOpens",
    "trackClicks",
    "includeUnsubscribeLink",
    "cc",
    "bcc",
    "stopOnReply",
    "stopOnAutoReply",
    "stopOnCompanyReply",
    "skipDNC",
    "dailySendLimit",
    "emailIntervalMinutes",
    "espMatchingMode",
    "segCheckMode",
    "segSkipProviders",
    "cnameTracking",
    "slackChannelId",
    "positiveRepliesOnlySlack",
    "notificationEmails",
    "positiveRepliesOnlyEmail",
    "aiAgentId",
    "aiAgentEnabled",
    "webhook",
    "copyFatigueProtection",
    "variantOptimization",
];
/// Legacy settings accepted on write and ignored (spec 4.6).
pub const LEGACY_SETTINGS_FIELDS: &[&str] = &["espMatchingRules"];
pub const CNAME_TRACKING_FIELDS: &[&str] = &["enabled", "domain"];
pub const WEBHOOK_FIELDS: &[&str] = &["enabled", "url", "secret", "events"];
pub const COPY_FATIGUE_PROTECTION_FIELDS: &[&str] = &["enabled", "autoRegenerate", "autoResume"];
pub const VARIANT_OPTIMIZATION_FIELDS: &[&str] = &[
    "enabled",
    "minimumSendsPerVariant",
    "minimumDays",
    "optimizationMetric",
    "keepMinimumVariants",
];
pub const MAILBOX_FIELDS: &[&str] = &[
    "email",
    "provider",
    "displayName",
    "tags",
    "dailySendLimit",
    "sendingEnabled",
    "signature",
];
/// What `PATCH /v1/mailboxes/{id}` may change; the address, provider and status never change there.
pub const MAILBOX_PATCH_FIELDS: &[&str] = &[
    "displayName",
    "dailySendLimit",
    "signature",
    "sendingEnabled",
    "tags",
];
pub const AGENT_FIELDS: &[&str] = &["name", "companyInfo", "persona"];
pub const COMPANY_INFO_FIELDS: &[&str] = &["name", "description"];
pub const PERSONA_FIELDS: &[&str] = &["tone", "role", "communicationStyle", "customInstructions"];

/// A create-campaign body and every shape problem found in it.
pub fn campaign_request(body: &Value) -> (CampaignRequest, Problems) {
    let mut reader = Reader::default();
    let root = JsonPointer::root();
    let request = match reader.object(body, &root, CAMPAIGN_FIELDS, &[]) {
        None => CampaignRequest::default(),
        Some(fields) => CampaignRequest {
            name: reader.string(fields, "name", &root),
            sequence: reader.list(fields, "sequence", &root, Reader::step),
            subsequences: reader.list(fields, "subsequences", &root, Reader::subsequence),
            schedule: reader.nested(fields, "schedule", &root, Reader::schedule),
            settings: reader.nested(fields, "settings", &root, Reader::settings),
            mailbox_selectors: MailboxSelectorsRequest {
                mailboxes: reader.strings(fields, "mailboxes", &root),
                mailbox_ids: reader.strings(fields, "mailboxIds", &root),
                mailbox_emails: reader.strings(fields, "mailboxEmails", &root),
                mailbox_tags: reader.strings(fields, "mailboxTags", &root),
                mailbox_provider: reader.string(fields, "mailboxProvider", &root),
            },
        },
    };
    (request, reader.problems)
}

/// A register-mailbox body and every shape problem found in it.
pub fn mailbox_request(body: &Value) -> (MailboxRequest, Problems) {
    let mut reader = Reader::default();
    let root = JsonPointer::root();
    let request = match reader.object(body, &root, MAILBOX_FIELDS, &[]) {
        None => MailboxRequest::default(),
        Some(fields) => MailboxRequest {
            email: reader.string(fields, "email", &root),
            provider: reader.string(fields, "provider", &root),
            display_name: reader.string(fields, "displayName", &root),
            tags: reader.strings(fields, "tags", &root),
            daily_send_limit: reader.integer(fields, "dailySendLimit", &root),
            sending_enabled: reader.boolean(fields, "sendingEnabled", &root),
            signature: reader.string(fields, "signature", &root),
        },
    };
    (request, reader.problems)
}

/// A PATCH-mailbox body and every shape problem found in it. Unlike everywhere else, `null` is kept
/// apart from absent here: it resets the field to its default. A field not in
/// [`MAILBOX_PATCH_FIELDS`] (`email`, `provider`…) is an unknown field.
pub fn mailbox_patch(body: &Value) -> (MailboxPatchRequest, Problems) {
    let mut reader = Reader::default();
    let root = JsonPointer::root();
    let request = match reader.object(body, &root, MAILBOX_PATCH_FIELDS, &[]) {
        None => MailboxPatchRequest::default(),
        Some(fields) => MailboxPatchRequest {
            display_name: reader.patched(fields, "displayName", &root, Reader::string),
            daily_send_limit: reader.patched(fields, "dailySendLimit", &root, Reader::integer),
            signature: reader.patched(fields, "signature", &root, Reader::string),
            sending_enabled: reader.patched(fields, "sendingEnabled", &root, Reader::boolean),
            tags: reader.patched(fields, "tags", &root, Reader::strings),
        },
    };
    (request, reader.problems)
}

/// A create-agent body and every shape problem found in it.
pub fn agent_request(body: &Value) -> (AgentRequest, Problems) {
    let mut reader = Reader::default();
    let root = JsonPointer::root();
    let request = match reader.object(body, &root, AGENT_FIELDS, &[]) {
        None => AgentRequest::default(),
        Some(fields) => AgentRequest {
            name: reader.string(fields, "name", &root),
            company_info: reader.nested(fields, "companyInfo", &root, |reader, fields, at| {
                CompanyInfoRequest {
                    name: reader.string(fields, "name", at),
                    description: reader.string(fields, "description", at),
                }
            }),
            persona: reader.nested(fields, "persona", &root, |reader, fields, at| {
                PersonaRequest {
                    tone: reader.string(fields, "tone", at),
                    role: reader.string(fields, "role", at),
                    communication_style: reader.string(fields, "communicationStyle", at),
                    custom_instructions: reader.string(fields, "customInstructions", at),
                }
            }),
        },
    };
    (request, reader.problems)
}

/// A campaign request as the JSON body that [`campaign_request`] reads back into it: every `Some` under
/// its wire name, every `None` left out.
pub fn campaign_json(request: &CampaignRequest) -> Value {
    let selectors = &request.mailbox_selectors;
    Members::default()
        .field("name", &request.name)
        .list("sequence", &request.sequence, step_json)
        .list("subsequences", &request.subsequences, subsequence_json)
        .object("schedule", &request.schedule, schedule_json)
        .object("settings", &request.settings, settings_json)
        .field("mailboxes", &selectors.mailboxes)
        .field("mailboxIds", &selectors.mailbox_ids)
        .field("mailboxEmails", &selectors.mailbox_emails)
        .field("mailboxTags", &selectors.mailbox_tags)
        .field("mailboxProvider", &selectors.mailbox_provider)
        .into_value()
}

fn step_json(step: &StepRequest) -> Value {
    Members::default()
        .field("type", &step.kind)
        .field("order", &step.order)
        .field("name", &step.name)
        .field("subject", &step.subject)
        .field("body", &step.body)
        .field("waitDays", &step.wait_days)
        .field("waitHours", &step.wait_hours)
        .field("useConditionalVariables", &step.use_conditional_variables)
        .list(
            "conditionalVariables",
            &step.conditional_variables,
            conditional_variable_json,
        )
        .list("variants", &step.variants, variant_json)
        .into_value()
}

fn variant_json(variant: &VariantRequest) -> Value {
    Members::default()
        .field("letter", &variant.letter)
        .field("subject", &variant.subject)
        .field("body", &variant.body)
        .into_value()
}

fn conditional_variable_json(variable: &ConditionalVariableRequest) -> Value {
    Members::default()
        .field("name", &variable.name)
        .list("conditions", &variable.conditions, condition_json)
        .field("else", &variable.otherwise)
        .into_value()
}

fn condition_json(condition: &ConditionRequest) -> Value {
    Members::default()
        .field("field", &condition.field)
        .field("operator", &condition.operator)
        .field("value", &condition.value)
        .field("then", &condition.then)
        .into_value()
}

fn subsequence_json(subsequence: &SubsequenceRequest) -> Value {
    Members::default()
        .field("_id", &subsequence.id)
        .field("name", &subsequence.name)
        .object("trigger", &subsequence.trigger, |trigger| {
            Members::default()
                .field("type", &trigger.kind)
                .field("value", &trigger.value)
                .into_value()
        })
        .list("sequence", &subsequence.sequence, step_json)
        .field("enabled", &subsequence.enabled)
        .field("archived", &subsequence.archived)
        .into_value()
}

fn schedule_json(schedule: &ScheduleRequest) -> Value {
    Members::default()
        .field("timezone", &schedule.timezone)
        .field("startTime", &schedule.start_time)
        .field("endTime", &schedule.end_time)
        .field("workingDays", &schedule.working_days)
        .field("skipNationalHolidays", &schedule.skip_national_holidays)
        .into_value()
}

fn settings_json(settings: &SettingsRequest) -> Value {
    Members::default()
        .field("trackOpens", &settings.track_opens)
        .field("trackClicks", &settings.track_clicks)
        .field("includeUnsubscribeLink", &settings.include_unsubscribe_link)
        .field("cc", &settings.cc)
        .field("bcc", &settings.bcc)
        .field("stopOnReply", &settings.stop_on_reply)
        .field("stopOnAutoReply", &settings.stop_on_auto_reply)
        .field("stopOnCompanyReply", &settings.stop_on_company_reply)
        .field("skipDNC", &settings.skip_dnc)
        .field("dailySendLimit", &settings.daily_send_limit)
        .field("emailIntervalMinutes", &settings.email_interval_minutes)
        .field("espMatchingMode", &settings.esp_matching_mode)
        .field("segCheckMode", &settings.seg_check_mode)
        .field("segSkipProviders", &settings.seg_skip_providers)
        .object("cnameTracking", &settings.cname_tracking, |cname| {
            Members::default()
                .field("enabled", &cname.enabled)
                .field("domain", &cname.domain)
                .into_value()
        })
        .field("slackChannelId", &settings.slack_channel_id)
        .field(
            "positiveRepliesOnlySlack",
            &settings.positive_replies_only_slack,
        )
        .field("notificationEmails", &settings.notification_emails)
        .field(
            "positiveRepliesOnlyEmail",
            &settings.positive_replies_only_email,
        )
        .field("aiAgentId", &settings.ai_agent_id)
        .field("aiAgentEnabled", &settings.ai_agent_enabled)
        .object("webhook", &settings.webhook, |webhook| {
            Members::default()
                .field("enabled", &webhook.enabled)
                .field("url", &webhook.url)
                .field("secret", &webhook.secret)
                .field("events", &webhook.events)
                .into_value()
        })
        .object(
            "copyFatigueProtection",
            &settings.copy_fatigue_protection,
            |protection| {
                Members::default()
                    .field("enabled", &protection.enabled)
                    .field("autoRegenerate", &protection.auto_regenerate)
                    .field("autoResume", &protection.auto_resume)
                    .into_value()
            },
        )
        .object(
            "variantOptimization",
            &settings.variant_optimization,
            |optimization| {
                Members::default()
                    .field("enabled", &optimization.enabled)
                    .field(
                        "minimumSendsPerVariant",
                        &optimization.minimum_sends_per_variant,
                    )
                    .field("minimumDays", &optimization.minimum_days)
                    .field("optimizationMetric", &optimization.optimization_metric)
                    .field("keepMinimumVariants", &optimization.keep_minimum_variants)
                    .into_value()
            },
        )
        .into_value()
}

/// A JSON object built member by member, leaving out `None`s: the document then holds exactly what
/// the request holds.
#[derive(Default)]
struct Members(Map<String, Value>);

impl Members {
    fn field<T: Clone + Into<Value>>(self, name: &str, value: &Option<T>) -> Self {
        self.written(name, value.clone().map(Into::into))
    }

    fn object<T>(self, name: &str, value: &Option<T>, write: impl FnOnce(&T) -> Value) -> Self {
        self.written(name, value.as_ref().map(write))
    }

    fn list<T>(self, name: &str, items: &Option<Vec<T>>, write: fn(&T) -> Value) -> Self {
        let items = items
            .as_ref()
            .map(|items| Value::Array(items.iter().map(write).collect()));
        self.written(name, items)
    }

    fn written(mut self, name: &str, value: Option<Value>) -> Self {
        if let Some(value) = value {
            self.0.insert(name.to_owned(), value);
        }
        self
    }

    fn into_value(self) -> Value {
        Value::Object(self.0)
    }
}

/// Applies an RFC 7386 JSON Merge Patch to `target`: an object patch merges member by member (a `null`
/// member removes it; a target that is not an object becomes `{}` first); any other patch replaces the
/// target whole.
///
/// Recursion follows the patch's object nesting only, so its depth is bounded by the patch's, and
/// patches come from the body parser, which refuses JSON nested 128 levels deep (serde_json's limit).
pub fn merge_patch(target: &mut Value, patch: &Value) {
    let Value::Object(members) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    // Always an object by now; matching again avoids an `unwrap`.
    let Value::Object(target) = target else {
        return;
    };
    for (name, value) in members {
        if value.is_null() {
            target.remove(name);
        } else {
            merge_patch(target.entry(name.as_str()).or_insert(Value::Null), value);
        }
    }
}

/// The fields a nested object accepts, by the member name that holds it.
fn fields_of_nested(member: &str) -> &'static [&'static str] {
    match member {
        "schedule" => SCHEDULE_FIELDS,
        "settings" => SETTINGS_FIELDS,
        "cnameTracking" => CNAME_TRACKING_FIELDS,
        "webhook" => WEBHOOK_FIELDS,
        "copyFatigueProtection" => COPY_FATIGUE_PROTECTION_FIELDS,
        "variantOptimization" => VARIANT_OPTIMIZATION_FIELDS,
        "trigger" => TRIGGER_FIELDS,
        "companyInfo" => COMPANY_INFO_FIELDS,
        "persona" => PERSONA_FIELDS,
        _ => &[],
    }
}

fn legacy_fields_of_nested(member: &str) -> &'static [&'static str] {
    match member {
        "settings" => LEGACY_SETTINGS_FIELDS,
        _ => &[],
    }
}

#[derive(Default)]
struct Reader {
    problems: Problems,
}

impl Reader {
    fn wrong_type(&mut self, at: JsonPointer, expected: &str) {
        let place = at
            .as_str()
            .rsplit('/')
            .next()
            .filter(|name| !name.is_empty());
        let message = match place {
            Some(name) if name.parse::<usize>().is_err() => format!("{name} must be {expected}"),
            _ => format!("must be {expected}"),
        };
        self.problems.add(at, ProblemCode::InvalidType, message);
    }

    /// The members of an object, after reporting each member it does not know.
    fn object<'v>(
        &mut self,
        value: &'v Value,
        at: &JsonPointer,
        known: &[&str],
        legacy: &[&str],
    ) -> Option<&'v Map<String, Value>> {
        let Value::Object(fields) = value else {
            self.wrong_type(at.clone(), "an object");
            return None;
        };
        for name in fields.keys() {
            if !known.contains(&name.as_str()) && !legacy.contains(&name.as_str()) {
                self.problems.add(
                    at.field(name),
                    ProblemCode::UnknownField,
                    format!("unknown field {name:?}"),
                );
            }
        }
        Some(fields)
    }

    /// A member's value, when present and not null.
    fn member<'v>(fields: &'v Map<String, Value>, name: &str) -> Option<&'v Value> {
        fields.get(name).filter(|value| !value.is_null())
    }

    /// A member of a PATCH body: absent, `null`, or the value `read` reads (one it cannot read is
    /// reported and counts as absent).
    fn patched<T>(
        &mut self,
        fields: &Map<String, Value>,
        name: &str,
        at: &JsonPointer,
        read: fn(&mut Reader, &Map<String, Value>, &str, &JsonPointer) -> Option<T>,
    ) -> PatchValue<T> {
        match fields.get(name) {
            None => PatchValue::Absent,
            Some(Value::Null) => PatchValue::Null,
            Some(_) => read(self, fields, name, at).map_or(PatchValue::Absent, PatchValue::Given),
        }
    }

    fn string(
        &mut self,
        fields: &Map<String, Value>,
        name: &str,
        at: &JsonPointer,
    ) -> Option<String> {
        let value = Self::member(fields, name)?;
        self.read_string(value, &at.field(name))
    }

    fn read_string(&mut self, value: &Value, at: &JsonPointer) -> Option<String> {
        match value {
            Value::String(text) => Some(text.clone()),
            _ => {
                self.wrong_type(at.clone(), "a string");
                None
            }
        }
    }

    fn boolean(
        &mut self,
        fields: &Map<String, Value>,
        name: &str,
        at: &JsonPointer,
    ) -> Option<bool> {
        match Self::member(fields, name)? {
            Value::Bool(flag) => Some(*flag),
            _ => {
                self.wrong_type(at.field(name), "true or false");
                None
            }
        }
    }

    fn integer(
        &mut self,
        fields: &Map<String, Value>,
        name: &str,
        at: &JsonPointer,
    ) -> Option<i64> {
        let value = Self::member(fields, name)?;
        self.read_integer(value, &at.field(name))
    }

    /// A whole number. One too large for 64 bits reads as the largest, so its range rule reports it.
    fn read_integer(&mut self, value: &Value, at: &JsonPointer) -> Option<i64> {
        match value {
            Value::Number(number) if number.is_i64() => number.as_i64(),
            Value::Number(number) if number.is_u64() => Some(i64::MAX),
            _ => {
                self.wrong_type(at.clone(), "a whole number");
                None
            }
        }
    }

    /// A list, each item read by `item`; an item that cannot be read still holds its place.
    fn list<T>(
        &mut self,
        fields: &Map<String, Value>,
        name: &str,
        at: &JsonPointer,
        item: fn(&mut Reader, &Value, &JsonPointer) -> T,
    ) -> Option<Vec<T>> {
        let value = Self::member(fields, name)?;
        let at = at.field(name);
        let Value::Array(items) = value else {
            self.wrong_type(at, "an array");
            return None;
        };
        Some(
            items
                .iter()
                .enumerate()
                .map(|(index, value)| item(self, value, &at.index(index)))
                .collect(),
        )
    }

    fn strings(
        &mut self,
        fields: &Map<String, Value>,
        name: &str,
        at: &JsonPointer,
    ) -> Option<Vec<String>> {
        self.list(fields, name, at, |reader, value, at| {
            reader.read_string(value, at).unwrap_or_default()
        })
    }

    fn integers(
        &mut self,
        fields: &Map<String, Value>,
        name: &str,
        at: &JsonPointer,
    ) -> Option<Vec<i64>> {
        // An unreadable item becomes a value outside every range, so it never looks like a repeat.
        self.list(fields, name, at, |reader, value, at| {
            reader.read_integer(value, at).unwrap_or(i64::MIN)
        })
    }

    /// A nested object read by `read`; `None` when absent, null or not an object.
    fn nested<T>(
        &mut self,
        fields: &Map<String, Value>,
        name: &str,
        at: &JsonPointer,
        read: impl FnOnce(&mut Reader, &Map<String, Value>, &JsonPointer) -> T,
    ) -> Option<T> {
        let value = Self::member(fields, name)?;
        let at = at.field(name);
        let fields = self.object(
            value,
            &at,
            fields_of_nested(name),
            legacy_fields_of_nested(name),
        )?;
        Some(read(self, fields, &at))
    }

    fn step(&mut self, value: &Value, at: &JsonPointer) -> StepRequest {
        let Some(fields) = self.object(value, at, STEP_FIELDS, &[]) else {
            return StepRequest::default();
        };
        StepRequest {
            kind: self.string(fields, "type", at),
            order: self.integer(fields, "order", at),
            name: self.string(fields, "name", at),
            subject: self.string(fields, "subject", at),
            body: self.string(fields, "body", at),
            wait_days: self.integer(fields, "waitDays", at),
            wait_hours: self.integer(fields, "waitHours", at),
            use_conditional_variables: self.boolean(fields, "useConditionalVariables", at),
            conditional_variables: self.list(
                fields,
                "conditionalVariables",
                at,
                Reader::conditional_variable,
            ),
            variants: self.list(fields, "variants", at, Reader::variant),
        }
    }

    fn variant(&mut self, value: &Value, at: &JsonPointer) -> VariantRequest {
        let Some(fields) = self.object(value, at, VARIANT_FIELDS, &[]) else {
            return VariantRequest::default();
        };
        VariantRequest {
            letter: self.string(fields, "letter", at),
            subject: self.string(fields, "subject", at),
            body: self.string(fields, "body", at),
        }
    }

    fn conditional_variable(
        &mut self,
        value: &Value,
        at: &JsonPointer,
    ) -> ConditionalVariableRequest {
        let Some(fields) = self.object(value, at, CONDITIONAL_VARIABLE_FIELDS, &[]) else {
            return ConditionalVariableRequest::default();
        };
        ConditionalVariableRequest {
            name: self.string(fields, "name", at),
            conditions: self.list(fields, "conditions", at, Reader::condition),
            otherwise: self.string(fields, "else", at),
        }
    }

    fn condition(&mut self, value: &Value, at: &JsonPointer) -> ConditionRequest {
        let Some(fields) = self.object(value, at, CONDITION_FIELDS, &[]) else {
            return ConditionRequest::default();
        };
        ConditionRequest {
            field: self.string(fields, "field", at),
            operator: self.string(fields, "operator", at),
            value: self.string(fields, "value", at),
            then: self.string(fields, "then", at),
        }
    }

    fn subsequence(&mut self, value: &Value, at: &JsonPointer) -> SubsequenceRequest {
        let Some(fields) = self.object(value, at, SUBSEQUENCE_FIELDS, &[]) else {
            return SubsequenceRequest::default();
        };
        SubsequenceRequest {
            id: self.string(fields, "_id", at),
            name: self.string(fields, "name", at),
            trigger: self.nested(fields, "trigger", at, |reader, fields, at| TriggerRequest {
                kind: reader.string(fields, "type", at),
                value: reader.string(fields, "value", at),
            }),
            sequence: self.list(fields, "sequence", at, Reader::step),
            enabled: self.boolean(fields, "enabled", at),
            archived: self.boolean(fields, "archived", at),
        }
    }

    fn schedule(&mut self, fields: &Map<String, Value>, at: &JsonPointer) -> ScheduleRequest {
        ScheduleRequest {
            timezone: self.string(fields, "timezone", at),
            start_time: self.string(fields, "startTime", at),
            end_time: self.string(fields, "endTime", at),
            working_days: self.integers(fields, "workingDays", at),
            skip_national_holidays: self.boolean(fields, "skipNationalHolidays", at),
        }
    }

    fn settings(&mut self, fields: &Map<String, Value>, at: &JsonPointer) -> SettingsRequest {
        SettingsRequest {
            track_opens: self.boolean(fields, "trackOpens", at),
            track_clicks: self.boolean(fields, "trackClicks", at),
            include_unsubscribe_link: self.boolean(fields, "includeUnsubscribeLink", at),
            cc: self.strings(fields, "cc", at),
            bcc: self.strings(fields, "bcc", at),
            stop_on_reply: self.boolean(fields, "stopOnReply", at),
            stop_on_auto_reply: self.boolean(fields, "stopOnAutoReply", at),
            stop_on_company_reply: self.boolean(fields, "stopOnCompanyReply", at),
            skip_dnc: self.boolean(fields, "skipDNC", at),
            daily_send_limit: self.integer(fields, "dailySendLimit", at),
            email_interval_minutes: self.integer(fields, "emailIntervalMinutes", at),
            esp_matching_mode: self.string(fields, "espMatchingMode", at),
            seg_check_mode: self.string(fields, "segCheckMode", at),
            seg_skip_providers: self.strings(fields, "segSkipProviders", at),
            cname_tracking: self.nested(fields, "cnameTracking", at, |reader, fields, at| {
                CnameTrackingRequest {
                    enabled: reader.boolean(fields, "enabled", at),
                    domain: reader.string(fields, "domain", at),
                }
            }),
            slack_channel_id: self.string(fields, "slackChannelId", at),
            positive_replies_only_slack: self.boolean(fields, "positiveRepliesOnlySlack", at),
            notification_emails: self.strings(fields, "notificationEmails", at),
            positive_replies_only_email: self.boolean(fields, "positiveRepliesOnlyEmail", at),
            ai_agent_id: self.string(fields, "aiAgentId", at),
            ai_agent_enabled: self.boolean(fields, "aiAgentEnabled", at),
            webhook: self.nested(fields, "webhook", at, |reader, fields, at| WebhookRequest {
                enabled: reader.boolean(fields, "enabled", at),
                url: reader.string(fields, "url", at),
                secret: reader.string(fields, "secret", at),
                events: reader.strings(fields, "events", at),
            }),
            copy_fatigue_protection: self.nested(
                fields,
                "copyFatigueProtection",
                at,
                |reader, fields, at| CopyFatigueProtectionRequest {
                    enabled: reader.boolean(fields, "enabled", at),
                    auto_regenerate: reader.boolean(fields, "autoRegenerate", at),
                    auto_resume: reader.boolean(fields, "autoResume", at),
                },
            ),
            variant_optimization: self.nested(
                fields,
                "variantOptimization",
                at,
                |reader, fields, at| VariantOptimizationRequest {
                    enabled: reader.boolean(fields, "enabled", at),
                    minimum_sends_per_variant: reader.integer(fields, "minimumSendsPerVariant", at),
                    minimum_days: reader.integer(fields, "minimumDays", at),
                    optimization_metric: reader.string(fields, "optimizationMetric", at),
                    keep_minimum_variants: reader.integer(fields, "keepMinimumVariants", at),
                },
            ),
        }
    }
}

/// The fields of a create-workspace body.
pub const WORKSPACE_FIELDS: &[&str] = &["name"];

/// A create-workspace body and every shape problem found in it.
pub fn workspace_request(body: &Value) -> (domain::identity::WorkspaceRequest, Problems) {
    let mut reader = Reader::default();
    let root = JsonPointer::root();
    let request = match reader.object(body, &root, WORKSPACE_FIELDS, &[]) {
        None => domain::identity::WorkspaceRequest::default(),
        Some(fields) => domain::identity::WorkspaceRequest {
            name: reader.string(fields, "name", &root),
        },
    };
    (request, reader.problems)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn problems_of(body: Value) -> Vec<(String, ProblemCode)> {
        let (_, problems) = campaign_request(&body);
        problems
            .iter()
            .map(|problem| (problem.pointer().to_string(), problem.code()))
            .collect()
    }

    #[test]
    fn the_seed_body_reads_without_problems() {
        let seed: Value =
            serde_json::from_str(include_str!("../tests/fixtures/seed_create_campaign.json"))
                .expect("the seed body is JSON");
        let (request, problems) = campaign_request(&seed);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(
            request.name.as_deref(),
            Some("Q2 Outbound - Decision Makers")
        );
        let steps = request.sequence.expect("sequence");
        assert_eq!(steps.len(), 3);
        assert_eq!(steps[1].wait_days, Some(3));
        let settings = request.settings.expect("settings");
        assert_eq!(
            settings.seg_skip_providers,
            Some(vec!["proofpoint".to_owned(), "mimecast".to_owned()])
        );
        assert_eq!(
            settings
                .webhook
                .and_then(|webhook| webhook.secret)
                .as_deref(),
            Some("whsec_abc123xyz")
        );
        assert_eq!(
            request.mailbox_selectors.mailbox_tags,
            Some(vec!["outreach".to_owned()])
        );
    }

    #[test]
    fn unknown_fields_are_reported_at_every_level() {
        let found = problems_of(json!({
            "name": "x",
            "colour": "red",
            "sequence": [{"type": "email", "subject": "s", "body": "b", "font": "Arial"}],
            "settings": {"trackOpens": true, "webhook": {"enabled": false, "retries": 3}},
            "schedule": {"tz": "UTC"},
        }));
        assert_eq!(
            found,
            vec![
                ("/colour".to_owned(), ProblemCode::UnknownField),
                ("/sequence/0/font".to_owned(), ProblemCode::UnknownField),
                ("/schedule/tz".to_owned(), ProblemCode::UnknownField),
                (
                    "/settings/webhook/retries".to_owned(),
                    ProblemCode::UnknownField
                ),
            ]
        );
    }

    #[test]
    fn legacy_settings_fields_are_accepted_and_ignored() {
        let found =
            problems_of(json!({"name": "x", "settings": {"espMatchingRules": [{"any": "thing"}]}}));
        assert!(found.is_empty(), "{found:?}");
    }

    #[test]
    fn wrong_json_types_are_reported_with_their_pointers() {
        let found = problems_of(json!({
            "name": 5,
            "sequence": [{"type": "wait", "waitDays": "3"}, 7, {"type": "wait", "waitHours": 1.5}],
            "schedule": {"workingDays": [1, "2", null]},
            "settings": {"cc": ["a@b.co", false], "trackOpens": "yes", "webhook": []},
            "mailboxTags": "outreach",
        }));
        assert_eq!(
            found,
            vec![
                ("/name".to_owned(), ProblemCode::InvalidType),
                ("/sequence/0/waitDays".to_owned(), ProblemCode::InvalidType),
                ("/sequence/1".to_owned(), ProblemCode::InvalidType),
                ("/sequence/2/waitHours".to_owned(), ProblemCode::InvalidType),
                (
                    "/schedule/workingDays/1".to_owned(),
                    ProblemCode::InvalidType
                ),
                (
                    "/schedule/workingDays/2".to_owned(),
                    ProblemCode::InvalidType
                ),
                ("/settings/trackOpens".to_owned(), ProblemCode::InvalidType),
                ("/settings/cc/1".to_owned(), ProblemCode::InvalidType),
                ("/settings/webhook".to_owned(), ProblemCode::InvalidType),
                ("/mailboxTags".to_owned(), ProblemCode::InvalidType),
            ]
        );
    }

    #[test]
    fn an_unreadable_list_item_keeps_the_positions_of_the_others() {
        let (request, _) = campaign_request(&json!({"sequence": [3, {"type": "email"}]}));
        let steps = request.sequence.expect("sequence");
        assert_eq!(steps.len(), 2);
        assert_eq!(steps[1].kind.as_deref(), Some("email"));
    }

    #[test]
    fn null_reads_as_absent() {
        let (request, problems) = campaign_request(
            &json!({"name": "x", "settings": {"dailySendLimit": null}, "schedule": null}),
        );
        assert!(problems.is_empty());
        assert_eq!(
            request
                .settings
                .and_then(|settings| settings.daily_send_limit),
            None
        );
        assert_eq!(request.schedule, None);
    }

    #[test]
    fn a_body_that_is_not_an_object_is_one_problem_at_the_root() {
        assert_eq!(
            problems_of(json!([1, 2])),
            vec![(String::new(), ProblemCode::InvalidType)]
        );
    }

    #[test]
    fn huge_numbers_read_as_the_largest_so_range_rules_report_them() {
        let (request, problems) = campaign_request(
            &json!({"settings": {"dailySendLimit": 18_446_744_073_709_551_615u64}}),
        );
        assert!(problems.is_empty());
        assert_eq!(
            request
                .settings
                .and_then(|settings| settings.daily_send_limit),
            Some(i64::MAX)
        );
    }

    #[test]
    fn mailbox_and_agent_bodies_are_read_the_same_way() {
        let (mailbox, problems) = mailbox_request(
            &json!({"email": "a@b.co", "provider": "gmail", "tags": ["x", 1], "password": "p"}),
        );
        let found: Vec<String> = problems
            .iter()
            .map(|problem| problem.pointer().to_string())
            .collect();
        assert_eq!(found, ["/password", "/tags/1"]);
        assert_eq!(mailbox.email.as_deref(), Some("a@b.co"));
        let (agent, problems) =
            agent_request(&json!({"name": "A", "persona": {"tone": "warm", "mood": "x"}}));
        let found: Vec<String> = problems
            .iter()
            .map(|problem| problem.pointer().to_string())
            .collect();
        assert_eq!(found, ["/persona/mood"]);
        assert_eq!(
            agent.persona.and_then(|persona| persona.tone).as_deref(),
            Some("warm")
        );
    }

    #[test]
    fn a_mailbox_patch_tells_absent_from_null_and_refuses_every_other_field() {
        let (patch, problems) = mailbox_patch(&json!({
            "displayName": null, "dailySendLimit": 500, "tags": ["a", 2],
            "email": "x@acme.example", "provider": "gmail", "sendingEnabled": "yes",
        }));
        let found: Vec<(String, ProblemCode)> = problems
            .iter()
            .map(|problem| (problem.pointer().to_string(), problem.code()))
            .collect();
        assert_eq!(
            found,
            [
                ("/email".to_owned(), ProblemCode::UnknownField),
                ("/provider".to_owned(), ProblemCode::UnknownField),
                ("/sendingEnabled".to_owned(), ProblemCode::InvalidType),
                ("/tags/1".to_owned(), ProblemCode::InvalidType),
            ]
        );
        assert_eq!(patch.display_name, PatchValue::Null);
        assert_eq!(patch.daily_send_limit, PatchValue::Given(500));
        assert_eq!(patch.signature, PatchValue::Absent);
        assert_eq!(patch.sending_enabled, PatchValue::Absent, "unreadable");
        assert_eq!(
            patch.tags,
            PatchValue::Given(vec!["a".to_owned(), String::new()]),
            "an unreadable item keeps its place"
        );
    }

    #[test]
    fn a_mailbox_patch_daily_send_limit_must_be_a_whole_number() {
        for limit in [json!(1.5), json!(3.0), json!("10"), json!(true)] {
            let (patch, problems) = mailbox_patch(&json!({"dailySendLimit": limit}));
            let found: Vec<(String, ProblemCode)> = problems
                .iter()
                .map(|problem| (problem.pointer().to_string(), problem.code()))
                .collect();
            assert_eq!(
                found,
                [("/dailySendLimit".to_owned(), ProblemCode::InvalidType)],
                "{limit}"
            );
            assert_eq!(patch.daily_send_limit, PatchValue::Absent);
        }
        let (patch, problems) = mailbox_patch(&json!({"dailySendLimit": u64::MAX}));
        assert!(problems.is_empty());
        assert_eq!(patch.daily_send_limit, PatchValue::Given(i64::MAX));
    }

    /// A create body with a non-null value under every field of every campaign `*_FIELDS` constant
    /// (legacy settings aside: they are ignored on read, so they cannot come back).
    fn every_campaign_field() -> Value {
        let step = json!({
            "type": "email", "order": 0, "name": "Opener", "subject": "Hi {{firstName}}",
            "body": "<p>Hello</p>", "waitDays": 2, "waitHours": 5, "useConditionalVariables": true,
            "conditionalVariables": [{
                "name": "greeting",
                "conditions": [
                    {"field": "industry", "operator": "equals", "value": "saas", "then": "Hey"},
                ],
                "else": "Hello",
            }],
            "variants": [{"letter": "B", "subject": "Hi there", "body": "<p>Hi</p>"}],
        });
        json!({
            "name": "Every field",
            "sequence": [step.clone(), {"type": "wait", "order": 1, "waitDays": 3}],
            "subsequences": [{
                "_id": "6650a1b2c3d4e5f6a7b8c9d0",
                "name": "Interested",
                "trigger": {"type": "ai_tag", "value": "interested"},
                "sequence": [step],
                "enabled": true,
                "archived": false,
            }],
            "schedule": {
                "timezone": "Europe/Paris", "startTime": "09:00", "endTime": "17:30",
                "workingDays": [1, 2, 3], "skipNationalHolidays": false,
            },
            "settings": {
                "trackOpens": true, "trackClicks": false, "includeUnsubscribeLink": true,
                "cc": ["cc@example.com"], "bcc": ["bcc@example.com"], "stopOnReply": true,
                "stopOnAutoReply": false, "stopOnCompanyReply": true, "skipDNC": false,
                "dailySendLimit": 40, "emailIntervalMinutes": 7, "espMatchingMode": "strict",
                "segCheckMode": "skip_providers", "segSkipProviders": ["mimecast"],
                "cnameTracking": {"enabled": true, "domain": "t.example.com"},
                "slackChannelId": "C0123", "positiveRepliesOnlySlack": false,
                "notificationEmails": ["ops@example.com"], "positiveRepliesOnlyEmail": true,
                "aiAgentId": "6650a1b2c3d4e5f6a7b8c9d1", "aiAgentEnabled": true,
                "webhook": {
                    "enabled": true, "url": "https://example.com/hook", "secret": "whsec_x",
                    "events": ["email.sent"],
                },
                "copyFatigueProtection": {"enabled": true, "autoRegenerate": false, "autoResume": true},
                "variantOptimization": {
                    "enabled": true, "minimumSendsPerVariant": 30, "minimumDays": 4,
                    "optimizationMetric": "openRate", "keepMinimumVariants": 2,
                },
            },
            "mailboxes": ["6650a1b2c3d4e5f6a7b8c9d2"],
            "mailboxIds": ["6650a1b2c3d4e5f6a7b8c9d3"],
            "mailboxEmails": ["a@example.com"],
            "mailboxTags": ["outreach"],
            "mailboxProvider": "gmail",
        })
    }

    fn keys_at<'v>(body: &'v Value, pointer: &str) -> Vec<&'v str> {
        let mut keys: Vec<&str> = body
            .pointer(pointer)
            .and_then(Value::as_object)
            .map(|fields| fields.keys().map(String::as_str).collect())
            .unwrap_or_default();
        keys.sort_unstable();
        keys
    }

    #[test]
    fn the_round_trip_body_uses_every_campaign_field_name() {
        let body = every_campaign_field();
        let places: &[(&str, &[&str])] = &[
            ("", CAMPAIGN_FIELDS),
            ("/sequence/0", STEP_FIELDS),
            ("/sequence/0/variants/0", VARIANT_FIELDS),
            (
                "/sequence/0/conditionalVariables/0",
                CONDITIONAL_VARIABLE_FIELDS,
            ),
            (
                "/sequence/0/conditionalVariables/0/conditions/0",
                CONDITION_FIELDS,
            ),
            ("/subsequences/0", SUBSEQUENCE_FIELDS),
            ("/subsequences/0/trigger", TRIGGER_FIELDS),
            ("/subsequences/0/sequence/0", STEP_FIELDS),
            ("/schedule", SCHEDULE_FIELDS),
            ("/settings", SETTINGS_FIELDS),
            ("/settings/cnameTracking", CNAME_TRACKING_FIELDS),
            ("/settings/webhook", WEBHOOK_FIELDS),
            (
                "/settings/copyFatigueProtection",
                COPY_FATIGUE_PROTECTION_FIELDS,
            ),
            ("/settings/variantOptimization", VARIANT_OPTIMIZATION_FIELDS),
        ];
        for (pointer, fields) in places {
            let mut expected = fields.to_vec();
            expected.sort_unstable();
            assert_eq!(keys_at(&body, pointer), expected, "at {pointer:?}");
        }
    }

    #[test]
    fn campaign_json_is_the_inverse_of_campaign_request_for_every_field() {
        let body = every_campaign_field();
        let (request, problems) = campaign_request(&body);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(campaign_json(&request), body);
    }

    #[test]
    fn the_seed_body_round_trips_except_legacy_settings() {
        let seed: Value =
            serde_json::from_str(include_str!("../tests/fixtures/seed_create_campaign.json"))
                .expect("the seed body is JSON");
        let (request, problems) = campaign_request(&seed);
        assert!(problems.is_empty(), "{problems:?}");
        // The seed carries no legacy setting today; strip any so the test stays right if one is added.
        let mut expected = seed;
        if let Some(settings) = expected.get_mut("settings").and_then(Value::as_object_mut) {
            for legacy in LEGACY_SETTINGS_FIELDS {
                settings.remove(*legacy);
            }
        }
        assert_eq!(campaign_json(&request), expected);
    }

    #[test]
    fn legacy_settings_are_read_and_not_written_back() {
        let (request, _) = campaign_request(
            &json!({"settings": {"trackOpens": true, "espMatchingRules": [{"any": "thing"}]}}),
        );
        assert_eq!(
            campaign_json(&request),
            json!({"settings": {"trackOpens": true}})
        );
    }

    #[test]
    fn campaign_json_leaves_out_absent_fields_and_keeps_empty_lists() {
        let request = CampaignRequest {
            name: Some("x".to_owned()),
            sequence: Some(Vec::new()),
            settings: Some(SettingsRequest::default()),
            ..CampaignRequest::default()
        };
        assert_eq!(
            campaign_json(&request),
            json!({"name": "x", "sequence": [], "settings": {}})
        );
        assert_eq!(campaign_json(&CampaignRequest::default()), json!({}));
    }

    /// RFC 7386 appendix A: (target, patch, result).
    #[test]
    fn merge_patch_gives_the_rfc_7386_example_results() {
        let examples = [
            (json!({"a": "b"}), json!({"a": "c"}), json!({"a": "c"})),
            (
                json!({"a": "b"}),
                json!({"b": "c"}),
                json!({"a": "b", "b": "c"}),
            ),
            (json!({"a": "b"}), json!({"a": null}), json!({})),
            (
                json!({"a": "b", "b": "c"}),
                json!({"a": null}),
                json!({"b": "c"}),
            ),
            (json!({"a": ["b"]}), json!({"a": "c"}), json!({"a": "c"})),
            (json!({"a": "c"}), json!({"a": ["b"]}), json!({"a": ["b"]})),
            (
                json!({"a": {"b": "c"}}),
                json!({"a": {"b": "d", "c": null}}),
                json!({"a": {"b": "d"}}),
            ),
            (
                json!({"a": [{"b": "c"}]}),
                json!({"a": [1]}),
                json!({"a": [1]}),
            ),
            (json!(["a", "b"]), json!(["c", "d"]), json!(["c", "d"])),
            (json!({"a": "b"}), json!(["c"]), json!(["c"])),
            (json!({"a": "foo"}), json!(null), json!(null)),
            (json!({"a": "foo"}), json!("bar"), json!("bar")),
            (
                json!({"e": null}),
                json!({"a": 1}),
                json!({"e": null, "a": 1}),
            ),
            (
                json!([1, 2]),
                json!({"a": "b", "c": null}),
                json!({"a": "b"}),
            ),
            (
                json!({}),
                json!({"a": {"bb": {"ccc": null}}}),
                json!({"a": {"bb": {}}}),
            ),
        ];
        for (target, patch, result) in examples {
            let mut merged = target.clone();
            merge_patch(&mut merged, &patch);
            assert_eq!(merged, result, "{target} patched with {patch}");
        }
    }

    #[test]
    fn merge_patch_merges_nested_objects_keeping_siblings() {
        let mut campaign = json!({"name": "x", "settings": {"trackOpens": true, "webhook": {"enabled": true, "url": "u"}}});
        merge_patch(
            &mut campaign,
            &json!({"settings": {"webhook": {"enabled": false}}}),
        );
        assert_eq!(
            campaign,
            json!({"name": "x", "settings": {"trackOpens": true, "webhook": {"enabled": false, "url": "u"}}})
        );
    }

    #[test]
    fn merge_patch_null_removes_the_member_and_only_it() {
        let mut campaign =
            json!({"name": "x", "settings": {"dailySendLimit": 40, "cc": ["a@b.co"]}});
        merge_patch(
            &mut campaign,
            &json!({"settings": {"dailySendLimit": null}, "absent": null}),
        );
        assert_eq!(
            campaign,
            json!({"name": "x", "settings": {"cc": ["a@b.co"]}})
        );
    }

    #[test]
    fn merge_patch_replaces_arrays_whole() {
        let mut campaign =
            json!({"sequence": [{"type": "email", "subject": "s"}, {"type": "wait"}]});
        merge_patch(&mut campaign, &json!({"sequence": [{"type": "wait"}]}));
        assert_eq!(campaign, json!({"sequence": [{"type": "wait"}]}));
    }

    #[test]
    fn merge_patch_that_is_not_an_object_replaces_the_whole_target() {
        for patch in [json!([1]), json!("x"), json!(7), json!(false), json!(null)] {
            let mut campaign = json!({"name": "x", "settings": {"trackOpens": true}});
            merge_patch(&mut campaign, &patch);
            assert_eq!(campaign, patch);
        }
    }

    #[test]
    fn merge_patch_turns_a_non_object_member_into_an_object_to_merge_into() {
        let mut campaign = json!({"settings": "oops"});
        merge_patch(
            &mut campaign,
            &json!({"settings": {"trackOpens": true, "cc": null}}),
        );
        assert_eq!(campaign, json!({"settings": {"trackOpens": true}}));
    }

    /// `merge_patch` recurses once per level of patch nesting; the body parser is what bounds that.
    #[test]
    fn merge_patch_handles_the_deepest_patch_the_body_parser_accepts() {
        // serde_json refuses 128 levels of nesting; 127 is the deepest body a handler can see.
        let nested = |depth: usize| format!("{}1{}", r#"{"a":"#.repeat(depth), "}".repeat(depth));
        assert!(
            serde_json::from_str::<Value>(&nested(128)).is_err(),
            "serde_json's depth limit no longer bounds patches"
        );
        let patch: Value = serde_json::from_str(&nested(127)).expect("127 levels parse");
        let mut target = json!({"b": true});
        merge_patch(&mut target, &patch);
        assert_eq!(target.get("b"), Some(&json!(true)));
        assert_eq!(target.get("a"), patch.get("a"));
    }

    #[test]
    fn a_patched_campaign_reads_back_with_the_change_applied() {
        let (stored, _) = campaign_request(&every_campaign_field());
        let mut document = campaign_json(&stored);
        merge_patch(
            &mut document,
            &json!({"name": "Renamed", "schedule": {"endTime": null}, "mailboxTags": null}),
        );
        let (merged, problems) = campaign_request(&document);
        assert!(problems.is_empty(), "{problems:?}");
        let expected = CampaignRequest {
            name: Some("Renamed".to_owned()),
            schedule: stored.schedule.clone().map(|schedule| ScheduleRequest {
                end_time: None,
                ..schedule
            }),
            mailbox_selectors: MailboxSelectorsRequest {
                mailbox_tags: None,
                ..stored.mailbox_selectors.clone()
            },
            ..stored
        };
        assert_eq!(merged, expected);
    }

    /// Property tests of the create parser: mutations of a body holding every field.
    mod properties {
        use domain::campaign::NewCampaign;
        use domain::rules::ParseRules;
        use domain::values::WebhookHostPolicy;
        use proptest::prelude::*;

        use super::*;

        /// Strings that exercise the rules: empty, blank, HTML, placeholders, zones, times, URLs.
        const EDGE_STRINGS: &[&str] = &[
            "",
            " ",
            "email",
            "wait",
            "reply",
            "ai_tag",
            "keyword",
            "<script>alert(1)</script>",
            "{{firstName}}",
            "{{",
            "Europe/Paris",
            "Mars/Olympus",
            "09:00",
            "24:00",
            "9:5",
            "https://example.com/hook",
            "http://127.0.0.1/",
            "javascript:alert(1)",
            "a@example.com",
            "not-an-address",
            "6650a1b2c3d4e5f6a7b8c9d2",
            "\u{0}",
            "\u{202e}é",
        ];

        fn any_json() -> impl Strategy<Value = Value> {
            let leaf = prop_oneof![
                Just(Value::Null),
                any::<bool>().prop_map(Value::from),
                any::<i64>().prop_map(Value::from),
                any::<u64>().prop_map(Value::from),
                any::<f64>()
                    .prop_filter("JSON numbers are finite", |number| number.is_finite())
                    .prop_map(Value::from),
                ".{0,40}".prop_map(Value::from),
                prop::sample::select(EDGE_STRINGS).prop_map(Value::from),
                (1usize..600).prop_map(|length| Value::from("x".repeat(length))),
            ];
            leaf.prop_recursive(3, 32, 4, |inner| {
                prop_oneof![
                    prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                    prop::collection::btree_map(".{0,8}", inner, 0..4)
                        .prop_map(|members| Value::Object(members.into_iter().collect())),
                ]
            })
        }

        /// Every JSON Pointer into `value` (its root included).
        fn pointers(value: &Value, at: String, into: &mut Vec<String>) {
            match value {
                Value::Object(members) => {
                    for (name, member) in members {
                        pointers(member, format!("{at}/{name}"), into);
                    }
                }
                Value::Array(items) => {
                    for (index, item) in items.iter().enumerate() {
                        pointers(item, format!("{at}/{index}"), into);
                    }
                }
                _ => {}
            }
            into.push(at);
        }

        /// The full body with each `(place, value)` applied: a place's value replaced, or removed.
        fn mutated(mutations: &[(prop::sample::Index, Option<Value>)]) -> Value {
            let mut body = every_campaign_field();
            for (place, replacement) in mutations {
                let mut places = Vec::new();
                pointers(&body, String::new(), &mut places);
                let place = place.get(&places).clone();
                match replacement {
                    Some(value) => {
                        if let Some(target) = body.pointer_mut(&place) {
                            *target = value.clone();
                        }
                    }
                    None => {
                        let (parent, last) = place.rsplit_once('/').unwrap_or(("", ""));
                        match body.pointer_mut(parent) {
                            Some(Value::Object(members)) => {
                                members.remove(last);
                            }
                            Some(Value::Array(items)) => {
                                if let Ok(index) = last.parse::<usize>()
                                    && index < items.len()
                                {
                                    items.remove(index);
                                }
                            }
                            _ => {}
                        }
                    }
                }
            }
            body
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(512))]

            /// The create parser (the edge's reader, then the domain's rules) never panics, and
            /// every problem it reports points at the body or a member missing from it.
            #[test]
            fn the_create_parser_takes_any_mutation_of_a_full_body_without_panicking(
                mutations in prop::collection::vec(
                    (any::<prop::sample::Index>(), prop::option::weighted(0.8, any_json())),
                    1..6,
                ),
            ) {
                let body = mutated(&mutations);
                let (request, edge_problems) = campaign_request(&body);
                let parsed = edge_problems.ahead_of(NewCampaign::parse(
                    &request,
                    ParseRules::create(WebhookHostPolicy::PublicOnly),
                ));
                if let Err(problems) = parsed {
                    prop_assert!(!problems.is_empty());
                    for problem in problems.iter() {
                        let pointer = problem.pointer().to_string();
                        let parent = pointer.rsplit_once('/').map_or("", |(parent, _)| parent);
                        prop_assert!(
                            body.pointer(&pointer).is_some() || body.pointer(parent).is_some(),
                            "{} points nowhere in {}", pointer, body
                        );
                    }
                    let answer = crate::error::ApiError::validation(&problems);
                    prop_assert_eq!(answer.status().as_u16(), 400);
                }
            }
        }
    }
}

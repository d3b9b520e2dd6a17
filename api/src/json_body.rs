//! Reads JSON request bodies into the domain's plain request types, reporting every shape problem — a
//! value of the wrong JSON type, an unknown field — with its JSON Pointer, instead of stopping at the
//! first. Meaning (ranges, formats, structure) is the domain's business; this only reads.
//!
//! A value that cannot be read becomes absent, or a blank placeholder inside a list (so the positions of
//! the other items, and so their pointers, stay right). The domain's problems within a place already
//! reported here are dropped when the two lists are merged (`Problems::followed_by`).
//!
//! `null` reads as absent everywhere: on create, absent means "take the default".

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
}

//! One table per part of spec section 4; each row names the rule it checks.

use domain::campaign::NewCampaign;
use domain::problem::ProblemCode::*;
use domain::request::{
    CampaignRequest, CnameTrackingRequest, ConditionRequest, ConditionalVariableRequest,
    ScheduleRequest, SettingsRequest, StepRequest, SubsequenceRequest, TriggerRequest,
    VariantOptimizationRequest, WebhookRequest,
};
use domain::rules::ParseRules;
use domain::sequence::StepKind;
use domain::settings::{AgentRequest, EspMatchingMode, OptimizationMetric, SegCheckMode};
use domain::values::WebhookHostPolicy;

use crate::support::*;

fn with_settings(settings: SettingsRequest) -> CampaignRequest {
    CampaignRequest {
        settings: Some(settings),
        ..campaign("Settings")
    }
}

fn with_schedule(schedule: ScheduleRequest) -> CampaignRequest {
    CampaignRequest {
        schedule: Some(schedule),
        ..campaign("Schedule")
    }
}

fn with_subsequences(subsequences: Vec<SubsequenceRequest>) -> CampaignRequest {
    CampaignRequest {
        subsequences: Some(subsequences),
        ..campaign("Subsequences")
    }
}

fn x(count: usize) -> String {
    "x".repeat(count)
}

#[test]
fn rule_4_1_name_is_required_trimmed_and_1_to_200_characters() {
    check_table(vec![
        (
            "name absent is required",
            CampaignRequest::default(),
            vec![("/name", Required)],
        ),
        ("empty name is blank", campaign(""), vec![("/name", Blank)]),
        (
            "white-space name is blank",
            campaign(" \t\n"),
            vec![("/name", Blank)],
        ),
        ("1-character name", campaign("Q"), vec![]),
        ("200-character name", campaign(&x(200)), vec![]),
        (
            "201-character name",
            campaign(&x(201)),
            vec![("/name", TooLong)],
        ),
        (
            "200 characters once trimmed",
            campaign(&format!("  {}  ", x(200))),
            vec![],
        ),
        (
            "200 multi-byte characters",
            campaign(&"é".repeat(200)),
            vec![],
        ),
    ]);
    assert_eq!(
        valid(&campaign("  Q2 Outbound  ")).name().as_str(),
        "Q2 Outbound"
    );
}

#[test]
fn rule_4_1_only_name_is_required_and_everything_else_defaults() {
    let new = valid(&campaign("Defaults"));
    assert!(new.sequence().is_empty());
    assert!(new.subsequences().is_empty());
    assert!(new.mailbox_selection().is_empty());
    let schedule = new.schedule();
    assert_eq!(schedule.timezone().name(), "America/New_York");
    assert_eq!(schedule.start_time().to_string(), "09:00");
    assert_eq!(schedule.end_time().to_string(), "17:00");
    assert_eq!(schedule.working_days().days(), vec![1, 2, 3, 4, 5]);
    assert!(schedule.skip_national_holidays());
    let settings = new.settings();
    assert!(settings.track_opens() && settings.track_clicks());
    assert!(!settings.include_unsubscribe_link());
    assert!(settings.cc().is_empty() && settings.bcc().is_empty());
    assert!(settings.stop_on_reply());
    assert!(!settings.stop_on_auto_reply() && !settings.stop_on_company_reply());
    assert!(settings.skip_dnc());
    assert_eq!(settings.daily_send_limit(), None);
    assert_eq!(settings.email_interval_minutes(), 15);
    assert_eq!(settings.esp_matching_mode(), EspMatchingMode::Disabled);
    assert_eq!(settings.seg_check_mode(), SegCheckMode::Disabled);
    assert!(settings.seg_skip_providers().is_empty());
    assert!(!settings.cname_tracking().enabled());
    assert!(settings.cname_tracking().domain().is_none());
    assert!(settings.slack_channel_id().is_none());
    assert!(!settings.positive_replies_only_slack());
    assert!(settings.notification_emails().is_empty());
    assert!(settings.positive_replies_only_email());
    assert_eq!(settings.ai_agent_id(), None);
    assert!(!settings.ai_agent_enabled());
    let webhook = settings.webhook();
    assert!(!webhook.enabled() && webhook.url().is_none() && webhook.secret().is_none());
    assert!(webhook.events().is_empty());
    let fatigue = settings.copy_fatigue_protection();
    assert!(!fatigue.enabled() && !fatigue.auto_regenerate() && !fatigue.auto_resume());
    let optimization = settings.variant_optimization();
    assert!(!optimization.enabled());
    assert_eq!(optimization.minimum_sends_per_variant(), 25);
    assert_eq!(optimization.minimum_days(), 3);
    assert_eq!(
        optimization.optimization_metric(),
        OptimizationMetric::ReplyRate
    );
    assert_eq!(optimization.keep_minimum_variants(), 1);
    assert!(!new.needs_webhook_secret());
    assert_eq!(new.agent_request(), AgentRequest::None);
}

#[test]
fn rule_4_1_sequence_has_at_most_50_steps() {
    let alternating = |count: usize| -> Vec<StepRequest> {
        (0..count)
            .map(|index| match index % 2 {
                0 if index == 0 => email("Hi", "Body"),
                0 => reply("Body"),
                _ => wait_days(1),
            })
            .collect()
    };
    let mut fifty = alternating(49);
    fifty.push(reply("Last"));
    let mut fifty_one = fifty.clone();
    fifty_one.push(reply("One more"));
    check_table(vec![
        ("50 steps", with_sequence(fifty), vec![]),
        (
            "51 steps",
            with_sequence(fifty_one),
            vec![("/sequence", TooMany)],
        ),
    ]);
}

#[test]
fn rule_4_2_step_type_is_email_or_wait() {
    let untyped = StepRequest {
        body: s("x"),
        ..StepRequest::default()
    };
    let sms = StepRequest {
        kind: s("sms"),
        ..StepRequest::default()
    };
    check_table(vec![
        (
            "type absent",
            with_sequence(vec![untyped]),
            vec![("/sequence/0/type", Required)],
        ),
        (
            "type unknown",
            with_sequence(vec![sms]),
            vec![("/sequence/0/type", InvalidValue)],
        ),
        (
            "type is case-sensitive",
            with_sequence(vec![StepRequest {
                kind: s("Email"),
                ..email("Hi", "B")
            }]),
            vec![("/sequence/0/type", InvalidValue)],
        ),
    ]);
}

#[test]
fn rule_4_2_order_is_all_or_nothing_and_exactly_0_to_n_minus_1() {
    check_table(vec![
        (
            "orders given as a permutation",
            with_sequence(vec![
                with_order(reply("Second"), 2),
                with_order(email("Hi", "First"), 0),
                with_order(wait_days(3), 1),
            ]),
            vec![],
        ),
        (
            "order on some steps only",
            with_sequence(vec![
                with_order(email("Hi", "First"), 0),
                wait_days(3),
                reply("x"),
            ]),
            vec![
                ("/sequence/1/order", InvalidOrder),
                ("/sequence/2/order", InvalidOrder),
            ],
        ),
        (
            "order repeated",
            with_sequence(vec![
                with_order(email("Hi", "A"), 0),
                with_order(wait_days(1), 0),
                with_order(reply("B"), 2),
            ]),
            vec![("/sequence/1/order", InvalidOrder)],
        ),
        (
            "order equal to n",
            with_sequence(vec![
                with_order(email("Hi", "A"), 0),
                with_order(wait_days(1), 2),
            ]),
            vec![("/sequence/1/order", InvalidOrder)],
        ),
        (
            "negative order",
            with_sequence(vec![with_order(email("Hi", "A"), -1)]),
            vec![("/sequence/0/order", InvalidOrder)],
        ),
    ]);
    let sorted = valid(&with_sequence(vec![
        with_order(reply("Second"), 2),
        with_order(email("Hi", "First"), 0),
        with_order(wait_days(3), 1),
    ]));
    let names: Vec<&str> = sorted
        .sequence()
        .steps()
        .iter()
        .map(|step| step.name())
        .collect();
    assert_eq!(
        names,
        ["Initial Email", "Wait 3 days", "Follow-up 1"],
        "steps are stored sorted by order"
    );
}

#[test]
fn rule_4_2_names_are_at_most_100_characters_and_assigned_when_omitted() {
    let named = |name: &str| StepRequest {
        name: s(name),
        ..email("Hi", "Body")
    };
    check_table(vec![
        (
            "100-character name",
            with_sequence(vec![named(&x(100))]),
            vec![],
        ),
        (
            "101-character name",
            with_sequence(vec![named(&x(101))]),
            vec![("/sequence/0/name", TooLong)],
        ),
    ]);
    let new = valid(&with_sequence(vec![
        email("Hi", "1"),
        wait_days(3),
        reply("2"),
        wait_days(1),
        reply("3"),
        wait(None, Some(6)),
        reply("4"),
        wait(Some(2), Some(4)),
        StepRequest {
            name: s("  Custom  "),
            ..reply("5")
        },
        wait(Some(1), Some(1)),
        reply("6"),
        wait(None, Some(1)),
        StepRequest {
            name: s("   "),
            ..reply("7")
        },
    ]));
    let names: Vec<&str> = new
        .sequence()
        .steps()
        .iter()
        .map(|step| step.name())
        .collect();
    assert_eq!(
        names,
        [
            "Initial Email",
            "Wait 3 days",
            "Follow-up 1",
            "Wait 1 day",
            "Follow-up 2",
            "Wait 6 hours",
            "Follow-up 3",
            "Wait 2 days 4 hours",
            "Custom",
            "Wait 1 day 1 hour",
            "Follow-up 5",
            "Wait 1 hour",
            "Follow-up 6",
        ]
    );
}

#[test]
fn rule_4_2_subject_is_required_on_the_first_main_email_only_and_at_most_500() {
    let no_subject = reply("Body");
    check_table(vec![
        (
            "first email without subject",
            with_sequence(vec![no_subject.clone()]),
            vec![("/sequence/0/subject", Required)],
        ),
        (
            "first email with blank subject",
            with_sequence(vec![email("  ", "Body")]),
            vec![("/sequence/0/subject", Blank)],
        ),
        (
            "later email may leave it empty",
            with_sequence(vec![email("Hi", "A"), wait_days(1), email("", "B")]),
            vec![],
        ),
        (
            "later email may omit it",
            with_sequence(vec![email("Hi", "A"), wait_days(1), no_subject]),
            vec![],
        ),
        (
            "500-character subject",
            with_sequence(vec![email(&x(500), "A")]),
            vec![],
        ),
        (
            "501-character subject",
            with_sequence(vec![email(&x(501), "A")]),
            vec![("/sequence/0/subject", TooLong)],
        ),
        (
            "501-character later subject",
            with_sequence(vec![email("Hi", "A"), email(&x(501), "B")]),
            vec![("/sequence/1/subject", TooLong)],
        ),
    ]);
}

#[test]
fn rule_4_2_body_is_required_non_blank_and_at_most_100000() {
    let no_body = StepRequest {
        kind: s("email"),
        subject: s("Hi"),
        ..StepRequest::default()
    };
    check_table(vec![
        (
            "body absent",
            with_sequence(vec![no_body]),
            vec![("/sequence/0/body", Required)],
        ),
        (
            "body blank",
            with_sequence(vec![email("Hi", " \n ")]),
            vec![("/sequence/0/body", Blank)],
        ),
        (
            "body of nothing visible",
            with_sequence(vec![email("Hi", "<script>alert(1)</script>")]),
            vec![("/sequence/0/body", Blank)],
        ),
        (
            "100,000-character body",
            with_sequence(vec![email("Hi", &x(100_000))]),
            vec![],
        ),
        (
            "100,001-character body",
            with_sequence(vec![email("Hi", &x(100_001))]),
            vec![("/sequence/0/body", TooLong)],
        ),
    ]);
}

#[test]
fn rule_4_2_waits_are_whole_non_negative_totalling_more_than_0_and_at_most_365_days() {
    let seq = |step: StepRequest| with_sequence(vec![email("Hi", "A"), step, reply("B")]);
    check_table(vec![
        ("365 days", seq(wait_days(365)), vec![]),
        (
            "366 days",
            seq(wait_days(366)),
            vec![("/sequence/1/waitDays", OutOfRange)],
        ),
        ("hours only", seq(wait(None, Some(6))), vec![]),
        (
            "364 days and 24 hours is 365 days",
            seq(wait(Some(364), Some(24))),
            vec![],
        ),
        (
            "365 days and 1 hour",
            seq(wait(Some(365), Some(1))),
            vec![("/sequence/1/waitHours", OutOfRange)],
        ),
        (
            "8761 hours",
            seq(wait(None, Some(8761))),
            vec![("/sequence/1/waitHours", OutOfRange)],
        ),
        (
            "zero days",
            seq(wait_days(0)),
            vec![("/sequence/1/waitDays", OutOfRange)],
        ),
        (
            "zero days and zero hours",
            seq(wait(Some(0), Some(0))),
            vec![("/sequence/1/waitHours", OutOfRange)],
        ),
        (
            "negative days",
            seq(wait_days(-1)),
            vec![("/sequence/1/waitDays", OutOfRange)],
        ),
        (
            "negative hours",
            seq(wait(Some(1), Some(-1))),
            vec![("/sequence/1/waitHours", OutOfRange)],
        ),
        (
            "neither days nor hours",
            seq(wait(None, None)),
            vec![("/sequence/1/waitDays", Required)],
        ),
        (
            "huge days do not overflow",
            seq(wait(Some(i64::MAX), Some(i64::MAX))),
            vec![
                ("/sequence/1/waitDays", OutOfRange),
                ("/sequence/1/waitHours", OutOfRange),
            ],
        ),
    ]);
}

#[test]
fn rule_4_2_structure_starts_with_email_no_adjacent_waits_never_ends_with_wait() {
    check_table(vec![
        ("empty sequence", with_sequence(vec![]), vec![]),
        (
            "single email",
            with_sequence(vec![email("Hi", "A")]),
            vec![],
        ),
        (
            "starts with a wait",
            with_sequence(vec![wait_days(1), email("Hi", "A")]),
            vec![("/sequence/0/type", InvalidStructure)],
        ),
        (
            "two waits in a row",
            with_sequence(vec![
                email("Hi", "A"),
                wait_days(1),
                wait_days(2),
                reply("B"),
            ]),
            vec![("/sequence/2/type", InvalidStructure)],
        ),
        (
            "ends with a wait",
            with_sequence(vec![email("Hi", "A"), wait_days(1)]),
            vec![("/sequence/1/type", InvalidStructure)],
        ),
        (
            "only a wait",
            with_sequence(vec![wait_days(1)]),
            vec![
                ("/sequence/0/type", InvalidStructure),
                ("/sequence/0/type", InvalidStructure),
            ],
        ),
        (
            "structure follows order, not array position",
            with_sequence(vec![
                with_order(wait_days(1), 1),
                with_order(email("Hi", "A"), 0),
                with_order(reply("B"), 2),
            ]),
            vec![],
        ),
        (
            "two emails in a row",
            with_sequence(vec![email("Hi", "A"), reply("B")]),
            vec![],
        ),
    ]);
}

#[test]
fn rule_4_2_fields_of_the_other_step_type_are_refused() {
    let email_with_wait = StepRequest {
        wait_days: Some(2),
        wait_hours: Some(1),
        ..email("Hi", "A")
    };
    let wait_with_email_fields = StepRequest {
        subject: s("Hi"),
        body: s("B"),
        variants: Some(vec![]),
        use_conditional_variables: Some(false),
        conditional_variables: Some(vec![]),
        ..wait_days(1)
    };
    check_table(vec![
        (
            "waitDays and waitHours on an email",
            with_sequence(vec![email_with_wait]),
            vec![
                ("/sequence/0/waitDays", NotAllowed),
                ("/sequence/0/waitHours", NotAllowed),
            ],
        ),
        (
            "subject, body, variants and conditional variables on a wait",
            with_sequence(vec![email("Hi", "A"), wait_with_email_fields, reply("B")]),
            vec![
                ("/sequence/1/subject", NotAllowed),
                ("/sequence/1/body", NotAllowed),
                ("/sequence/1/variants", NotAllowed),
                ("/sequence/1/useConditionalVariables", NotAllowed),
                ("/sequence/1/conditionalVariables", NotAllowed),
            ],
        ),
    ]);
}

#[test]
fn rule_4_2_variants_have_unique_single_uppercase_letters_at_most_26() {
    let with_variants = |variants| {
        with_sequence(vec![StepRequest {
            variants: Some(variants),
            ..email("Hi", "Body")
        }])
    };
    let all_letters: Vec<_> = ('A'..='Z')
        .map(|letter| variant(&letter.to_string(), "S", "B"))
        .collect();
    let mut too_many = all_letters.clone();
    too_many.push(variant("A", "S", "B"));
    check_table(vec![
        (
            "B and D, not sequential, not from A",
            with_variants(vec![variant("B", "S", "B"), variant("D", "S", "B")]),
            vec![],
        ),
        ("26 variants", with_variants(all_letters), vec![]),
        (
            "27 variants",
            with_variants(too_many),
            vec![("/sequence/0/variants", TooMany)],
        ),
        (
            "lowercase letter",
            with_variants(vec![variant("a", "S", "B")]),
            vec![("/sequence/0/variants/0/letter", InvalidFormat)],
        ),
        (
            "two letters",
            with_variants(vec![variant("AB", "S", "B")]),
            vec![("/sequence/0/variants/0/letter", InvalidFormat)],
        ),
        (
            "non-latin letter",
            with_variants(vec![variant("Ä", "S", "B")]),
            vec![("/sequence/0/variants/0/letter", InvalidFormat)],
        ),
        (
            "repeated letter",
            with_variants(vec![variant("A", "S", "B"), variant("A", "S", "B")]),
            vec![("/sequence/0/variants/1/letter", Duplicate)],
        ),
        (
            "variant body blank",
            with_variants(vec![variant("A", "S", " ")]),
            vec![("/sequence/0/variants/0/body", Blank)],
        ),
        (
            "variant subject blank on the first email",
            with_variants(vec![variant("A", "", "B")]),
            vec![("/sequence/0/variants/0/subject", Blank)],
        ),
    ]);
}

#[test]
fn rule_4_2_variant_a_is_seeded_when_omitted_and_step_text_taken_from_the_first_variant() {
    let seeded = valid(&with_sequence(vec![email(
        "Hello {{firstName}}",
        "Hi there",
    )]));
    let StepKind::Email(step) = seeded.sequence().steps()[0].kind() else {
        panic!("expected an email step");
    };
    assert_eq!(step.variants().len(), 1);
    assert_eq!(step.variants()[0].letter(), 'A');
    assert_eq!(step.variants()[0].subject(), "Hello {{firstName}}");
    assert_eq!(step.variants()[0].body().as_str(), "<p>Hi there</p>");

    let empty_list = valid(&with_sequence(vec![StepRequest {
        variants: Some(vec![]),
        ..email("S", "B")
    }]));
    let StepKind::Email(step) = empty_list.sequence().steps()[0].kind() else {
        panic!("expected an email step");
    };
    assert_eq!(
        step.variants()[0].letter(),
        'A',
        "an empty variant list seeds A like an omitted one"
    );

    let from_variants = valid(&with_sequence(vec![StepRequest {
        kind: s("email"),
        variants: Some(vec![
            variant("C", "Subject C", "Body C"),
            variant("D", "Subject D", "Body D"),
        ]),
        ..StepRequest::default()
    }]));
    let StepKind::Email(step) = from_variants.sequence().steps()[0].kind() else {
        panic!("expected an email step");
    };
    assert_eq!(step.subject(), "Subject C");
    assert_eq!(step.body().as_str(), "<p>Body C</p>");
    let letters: Vec<char> = step
        .variants()
        .iter()
        .map(|variant| variant.letter())
        .collect();
    assert_eq!(letters, ['C', 'D']);
}

fn conditional(name: &str, operator: &str, value: Option<&str>) -> ConditionalVariableRequest {
    ConditionalVariableRequest {
        name: s(name),
        conditions: Some(vec![ConditionRequest {
            field: s("companyName"),
            operator: s(operator),
            value: value.map(str::to_owned),
            then: s("Loved what {{companyName}} ships"),
        }]),
        otherwise: s("Loved what your team ships"),
    }
}

#[test]
fn rule_4_2_1_conditional_variables() {
    let step = |use_them: Option<bool>, definitions: Option<Vec<ConditionalVariableRequest>>| {
        with_sequence(vec![StepRequest {
            use_conditional_variables: use_them,
            conditional_variables: definitions,
            ..email("Hi", "{{opener}}")
        }])
    };
    let no_conditions = ConditionalVariableRequest {
        conditions: Some(vec![]),
        ..conditional("opener", "has_value", None)
    };
    check_table(vec![
        (
            "seed example",
            step(
                Some(true),
                Some(vec![conditional("opener", "has_value", None)]),
            ),
            vec![],
        ),
        (
            "every operator with its value rule",
            step(
                Some(true),
                Some(vec![
                    conditional("a", "has_value", None),
                    conditional("b", "no_value", None),
                    conditional("c", "equals", Some("Acme")),
                    conditional("d", "not_equals", Some("Acme")),
                    conditional("e", "contains", Some("Ac")),
                    conditional("f", "not_contains", Some("Ac")),
                ]),
            ),
            vec![],
        ),
        (
            "true needs a definition",
            step(Some(true), None),
            vec![("/sequence/0/conditionalVariables", TooFew)],
        ),
        (
            "true with an empty list",
            step(Some(true), Some(vec![])),
            vec![("/sequence/0/conditionalVariables", TooFew)],
        ),
        ("false without definitions", step(Some(false), None), vec![]),
        (
            "name starting with a digit",
            step(
                Some(true),
                Some(vec![conditional("1st", "has_value", None)]),
            ),
            vec![("/sequence/0/conditionalVariables/0/name", InvalidFormat)],
        ),
        (
            "name with a dash",
            step(
                Some(true),
                Some(vec![conditional("my-var", "has_value", None)]),
            ),
            vec![("/sequence/0/conditionalVariables/0/name", InvalidFormat)],
        ),
        (
            "name with underscore start",
            step(
                Some(true),
                Some(vec![conditional("_v2", "has_value", None)]),
            ),
            vec![],
        ),
        (
            "names unique within the step",
            step(
                Some(true),
                Some(vec![
                    conditional("v", "has_value", None),
                    conditional("v", "no_value", None),
                ]),
            ),
            vec![("/sequence/0/conditionalVariables/1/name", Duplicate)],
        ),
        (
            "unknown operator",
            step(
                Some(true),
                Some(vec![conditional("v", "starts_with", Some("A"))]),
            ),
            vec![(
                "/sequence/0/conditionalVariables/0/conditions/0/operator",
                InvalidValue,
            )],
        ),
        (
            "equals needs a value",
            step(Some(true), Some(vec![conditional("v", "equals", None)])),
            vec![(
                "/sequence/0/conditionalVariables/0/conditions/0/value",
                Required,
            )],
        ),
        (
            "has_value takes no value",
            step(
                Some(true),
                Some(vec![conditional("v", "has_value", Some("x"))]),
            ),
            vec![(
                "/sequence/0/conditionalVariables/0/conditions/0/value",
                NotAllowed,
            )],
        ),
        (
            "a variable needs a condition",
            step(Some(true), Some(vec![no_conditions])),
            vec![("/sequence/0/conditionalVariables/0/conditions", TooFew)],
        ),
    ]);
}

#[test]
fn rule_4_3_subsequence_triggers() {
    let trigger = |kind: Option<&str>, value: Option<&str>| SubsequenceRequest {
        trigger: Some(TriggerRequest {
            kind: kind.map(str::to_owned),
            value: value.map(str::to_owned),
        }),
        ..ai_tag_subsequence("x")
    };
    check_table(vec![
        (
            "ai_tag with a value",
            with_subsequences(vec![trigger(Some("ai_tag"), Some("Interested"))]),
            vec![],
        ),
        (
            "ai_tag without a value",
            with_subsequences(vec![trigger(Some("ai_tag"), None)]),
            vec![("/subsequences/0/trigger/value", Required)],
        ),
        (
            "ai_tag with a blank value",
            with_subsequences(vec![trigger(Some("ai_tag"), Some("  "))]),
            vec![("/subsequences/0/trigger/value", Blank)],
        ),
        (
            "ai_tag value of 100 characters",
            with_subsequences(vec![trigger(Some("ai_tag"), Some(&x(100)))]),
            vec![],
        ),
        (
            "ai_tag value of 101 characters",
            with_subsequences(vec![trigger(Some("ai_tag"), Some(&x(101)))]),
            vec![("/subsequences/0/trigger/value", TooLong)],
        ),
        (
            "reply ignores its value",
            with_subsequences(vec![trigger(Some("reply"), Some("anything"))]),
            vec![],
        ),
        (
            "unknown trigger type",
            with_subsequences(vec![trigger(Some("open"), None)]),
            vec![("/subsequences/0/trigger/type", InvalidValue)],
        ),
        (
            "trigger type absent",
            with_subsequences(vec![trigger(None, Some("x"))]),
            vec![("/subsequences/0/trigger/type", Required)],
        ),
        (
            "trigger absent",
            with_subsequences(vec![SubsequenceRequest {
                trigger: None,
                ..ai_tag_subsequence("x")
            }]),
            vec![("/subsequences/0/trigger", Required)],
        ),
        (
            "name absent",
            with_subsequences(vec![SubsequenceRequest {
                name: None,
                ..ai_tag_subsequence("x")
            }]),
            vec![("/subsequences/0/name", Required)],
        ),
        (
            "_id on create is server-assigned",
            with_subsequences(vec![SubsequenceRequest {
                id: s("665a1b2c3d4e5f6a7b8c9d0e"),
                ..ai_tag_subsequence("x")
            }]),
            vec![("/subsequences/0/_id", NotAllowed)],
        ),
    ]);
    let reply_value = valid(&with_subsequences(vec![trigger(
        Some("reply"),
        Some("anything"),
    )]));
    assert_eq!(reply_value.subsequences().len(), 1);
}

#[test]
fn rule_4_3_subsequence_sequences_may_start_with_a_wait_and_need_an_email() {
    let with_steps = |steps: Vec<StepRequest>| {
        with_subsequences(vec![SubsequenceRequest {
            sequence: Some(steps),
            ..ai_tag_subsequence("Interested")
        }])
    };
    check_table(vec![
        (
            "starts with a wait",
            with_steps(vec![wait_days(1), reply("B")]),
            vec![],
        ),
        (
            "emails may all leave the subject empty",
            with_steps(vec![reply("B"), wait_days(1), reply("C")]),
            vec![],
        ),
        (
            "no steps",
            with_steps(vec![]),
            vec![("/subsequences/0/sequence", TooFew)],
        ),
        (
            "ends with a wait",
            with_steps(vec![reply("B"), wait_days(1)]),
            vec![("/subsequences/0/sequence/1/type", InvalidStructure)],
        ),
        (
            "two waits in a row",
            with_steps(vec![wait_days(1), wait_days(1), reply("B")]),
            vec![("/subsequences/0/sequence/1/type", InvalidStructure)],
        ),
        (
            "steps follow 4.2",
            with_steps(vec![wait_days(400), reply(" ")]),
            vec![
                ("/subsequences/0/sequence/0/waitDays", OutOfRange),
                ("/subsequences/0/sequence/1/body", Blank),
            ],
        ),
    ]);
}

#[test]
fn rule_4_3_at_most_15_active_one_reply_and_unique_active_tags() {
    let tagged = |count: usize| -> Vec<SubsequenceRequest> {
        (0..count)
            .map(|index| ai_tag_subsequence(&format!("tag{index}")))
            .collect()
    };
    let archived = |mut subsequence: SubsequenceRequest| {
        subsequence.archived = Some(true);
        subsequence
    };
    let mut fifteen_and_archived = tagged(15);
    fifteen_and_archived.push(archived(ai_tag_subsequence("old")));
    check_table(vec![
        ("15 active", with_subsequences(tagged(15)), vec![]),
        (
            "16 active",
            with_subsequences(tagged(16)),
            vec![("/subsequences", TooMany)],
        ),
        (
            "15 active and 1 archived",
            with_subsequences(fifteen_and_archived),
            vec![],
        ),
        (
            "one reply trigger",
            with_subsequences(vec![reply_subsequence(), ai_tag_subsequence("a")]),
            vec![],
        ),
        (
            "two active reply triggers",
            with_subsequences(vec![reply_subsequence(), reply_subsequence()]),
            vec![("/subsequences/1/trigger/type", Duplicate)],
        ),
        (
            "an archived second reply trigger",
            with_subsequences(vec![reply_subsequence(), archived(reply_subsequence())]),
            vec![],
        ),
        (
            "same tag, other case",
            with_subsequences(vec![
                ai_tag_subsequence("Interested"),
                ai_tag_subsequence("INTERESTED"),
            ]),
            vec![("/subsequences/1/trigger/value", Duplicate)],
        ),
        (
            "same tag, one archived",
            with_subsequences(vec![
                ai_tag_subsequence("Interested"),
                archived(ai_tag_subsequence("interested")),
            ]),
            vec![],
        ),
        (
            "51 in all",
            with_subsequences(
                (0..51)
                    .map(|i| archived(ai_tag_subsequence(&format!("t{i}"))))
                    .collect(),
            ),
            vec![("/subsequences", TooMany)],
        ),
    ]);
}

#[test]
fn rule_4_4_schedule() {
    let schedule =
        |timezone: Option<&str>, start: Option<&str>, end: Option<&str>, days: Option<Vec<i64>>| {
            with_schedule(ScheduleRequest {
                timezone: timezone.map(str::to_owned),
                start_time: start.map(str::to_owned),
                end_time: end.map(str::to_owned),
                working_days: days,
                skip_national_holidays: None,
            })
        };
    check_table(vec![
        (
            "seed schedule",
            schedule(
                Some("America/Chicago"),
                Some("08:30"),
                Some("16:00"),
                Some(vec![1, 2, 3, 4, 5]),
            ),
            vec![],
        ),
        ("UTC", schedule(Some("UTC"), None, None, None), vec![]),
        (
            "Europe/Paris",
            schedule(Some("Europe/Paris"), None, None, None),
            vec![],
        ),
        (
            "Asia/Kolkata, a half-hour zone without DST",
            schedule(Some("Asia/Kolkata"), None, None, None),
            vec![],
        ),
        (
            "not a zone",
            schedule(Some("Mars/Olympus"), None, None, None),
            vec![("/schedule/timezone", InvalidValue)],
        ),
        (
            "an offset is not a zone",
            schedule(Some("+02:00"), None, None, None),
            vec![("/schedule/timezone", InvalidValue)],
        ),
        (
            "00:00 to 23:59",
            schedule(None, Some("00:00"), Some("23:59"), None),
            vec![],
        ),
        (
            "24:00",
            schedule(None, None, Some("24:00"), None),
            vec![("/schedule/endTime", InvalidFormat)],
        ),
        (
            "single-digit hour",
            schedule(None, Some("9:00"), None, None),
            vec![("/schedule/startTime", InvalidFormat)],
        ),
        (
            "minutes 60",
            schedule(None, Some("08:60"), None, None),
            vec![("/schedule/startTime", InvalidFormat)],
        ),
        (
            "12-hour clock",
            schedule(None, Some("9am"), None, None),
            vec![("/schedule/startTime", InvalidFormat)],
        ),
        (
            "end equal to start",
            schedule(None, Some("10:00"), Some("10:00"), None),
            vec![("/schedule/endTime", OutOfRange)],
        ),
        (
            "end before start",
            schedule(None, Some("18:00"), None, None),
            vec![("/schedule/endTime", OutOfRange)],
        ),
        (
            "end one minute after start",
            schedule(None, Some("16:59"), None, None),
            vec![],
        ),
        (
            "every day",
            schedule(None, None, None, Some(vec![0, 1, 2, 3, 4, 5, 6])),
            vec![],
        ),
        (
            "no working day",
            schedule(None, None, None, Some(vec![])),
            vec![("/schedule/workingDays", TooFew)],
        ),
        (
            "day 7",
            schedule(None, None, None, Some(vec![1, 7])),
            vec![("/schedule/workingDays/1", OutOfRange)],
        ),
        (
            "day -1",
            schedule(None, None, None, Some(vec![-1])),
            vec![("/schedule/workingDays/0", OutOfRange)],
        ),
        (
            "repeated day",
            schedule(None, None, None, Some(vec![1, 2, 1])),
            vec![("/schedule/workingDays/2", Duplicate)],
        ),
    ]);
    let sorted = valid(&schedule(Some("utc"), None, None, Some(vec![5, 0, 3])));
    assert_eq!(
        sorted.schedule().working_days().days(),
        vec![0, 3, 5],
        "working days are stored sorted"
    );
    assert_eq!(
        sorted.schedule().timezone().name(),
        "UTC",
        "zones are stored by their canonical name"
    );
}

#[test]
fn rule_4_5_settings_ranges_and_lists() {
    let addresses =
        |count: usize| -> Vec<String> { (0..count).map(|i| format!("a{i}@example.com")).collect() };
    let settings = |settings: SettingsRequest| with_settings(settings);
    check_table(vec![
        (
            "10 cc",
            settings(SettingsRequest {
                cc: Some(addresses(10)),
                ..Default::default()
            }),
            vec![],
        ),
        (
            "11 cc",
            settings(SettingsRequest {
                cc: Some(addresses(11)),
                ..Default::default()
            }),
            vec![("/settings/cc", TooMany)],
        ),
        (
            "11 bcc",
            settings(SettingsRequest {
                bcc: Some(addresses(11)),
                ..Default::default()
            }),
            vec![("/settings/bcc", TooMany)],
        ),
        (
            "invalid cc",
            settings(SettingsRequest {
                cc: Some(vec!["ok@example.com".into(), "not-an-address".into()]),
                ..Default::default()
            }),
            vec![("/settings/cc/1", InvalidFormat)],
        ),
        (
            "repeated bcc, other case",
            settings(SettingsRequest {
                bcc: Some(vec!["A@example.com".into(), "a@EXAMPLE.com".into()]),
                ..Default::default()
            }),
            vec![("/settings/bcc/1", Duplicate)],
        ),
        (
            "5 notification emails",
            settings(SettingsRequest {
                notification_emails: Some(addresses(5)),
                ..Default::default()
            }),
            vec![],
        ),
        (
            "6 notification emails",
            settings(SettingsRequest {
                notification_emails: Some(addresses(6)),
                ..Default::default()
            }),
            vec![("/settings/notificationEmails", TooMany)],
        ),
        (
            "dailySendLimit 1",
            settings(SettingsRequest {
                daily_send_limit: Some(1),
                ..Default::default()
            }),
            vec![],
        ),
        (
            "dailySendLimit 10000",
            settings(SettingsRequest {
                daily_send_limit: Some(10_000),
                ..Default::default()
            }),
            vec![],
        ),
        (
            "dailySendLimit 0",
            settings(SettingsRequest {
                daily_send_limit: Some(0),
                ..Default::default()
            }),
            vec![("/settings/dailySendLimit", OutOfRange)],
        ),
        (
            "dailySendLimit 10001",
            settings(SettingsRequest {
                daily_send_limit: Some(10_001),
                ..Default::default()
            }),
            vec![("/settings/dailySendLimit", OutOfRange)],
        ),
        (
            "emailIntervalMinutes 1",
            settings(SettingsRequest {
                email_interval_minutes: Some(1),
                ..Default::default()
            }),
            vec![],
        ),
        (
            "emailIntervalMinutes 1440",
            settings(SettingsRequest {
                email_interval_minutes: Some(1_440),
                ..Default::default()
            }),
            vec![],
        ),
        (
            "emailIntervalMinutes 0",
            settings(SettingsRequest {
                email_interval_minutes: Some(0),
                ..Default::default()
            }),
            vec![("/settings/emailIntervalMinutes", OutOfRange)],
        ),
        (
            "emailIntervalMinutes 1441",
            settings(SettingsRequest {
                email_interval_minutes: Some(1_441),
                ..Default::default()
            }),
            vec![("/settings/emailIntervalMinutes", OutOfRange)],
        ),
        (
            "slack channel C04ABCDEF12",
            settings(SettingsRequest {
                slack_channel_id: s("C04ABCDEF12"),
                ..Default::default()
            }),
            vec![],
        ),
        (
            "slack channel of another shape",
            settings(SettingsRequest {
                slack_channel_id: s("#general"),
                ..Default::default()
            }),
            vec![("/settings/slackChannelId", InvalidFormat)],
        ),
        (
            "aiAgentId not an id",
            settings(SettingsRequest {
                ai_agent_id: s("agent-1"),
                ..Default::default()
            }),
            vec![("/settings/aiAgentId", InvalidFormat)],
        ),
    ]);
}

#[test]
fn rule_4_5_esp_and_seg_modes_with_their_legacy_values() {
    let settings = |settings: SettingsRequest| with_settings(settings);
    let providers = |list: &[&str]| Some(list.iter().map(|p| p.to_string()).collect::<Vec<_>>());
    check_table(vec![
        (
            "espMatchingMode auto",
            settings(SettingsRequest {
                esp_matching_mode: s("auto"),
                ..Default::default()
            }),
            vec![],
        ),
        (
            "espMatchingMode custom is read-back only",
            settings(SettingsRequest {
                esp_matching_mode: s("custom"),
                ..Default::default()
            }),
            vec![("/settings/espMatchingMode", InvalidValue)],
        ),
        (
            "espMatchingMode unknown",
            settings(SettingsRequest {
                esp_matching_mode: s("smart"),
                ..Default::default()
            }),
            vec![("/settings/espMatchingMode", InvalidValue)],
        ),
        (
            "segCheckMode skip_all",
            settings(SettingsRequest {
                seg_check_mode: s("skip_all"),
                ..Default::default()
            }),
            vec![],
        ),
        (
            "segCheckMode unknown",
            settings(SettingsRequest {
                seg_check_mode: s("skip"),
                ..Default::default()
            }),
            vec![("/settings/segCheckMode", InvalidValue)],
        ),
        (
            "skip_providers with providers",
            settings(SettingsRequest {
                seg_check_mode: s("skip_providers"),
                seg_skip_providers: providers(&["proofpoint", "mimecast"]),
                ..Default::default()
            }),
            vec![],
        ),
        (
            "skip_providers without providers",
            settings(SettingsRequest {
                seg_check_mode: s("skip_providers"),
                ..Default::default()
            }),
            vec![("/settings/segSkipProviders", TooFew)],
        ),
        (
            "unknown provider",
            settings(SettingsRequest {
                seg_skip_providers: providers(&["proofpoint", "gmail"]),
                ..Default::default()
            }),
            vec![("/settings/segSkipProviders/1", InvalidValue)],
        ),
        (
            "repeated provider",
            settings(SettingsRequest {
                seg_skip_providers: providers(&["cisco", "cisco"]),
                ..Default::default()
            }),
            vec![("/settings/segSkipProviders/1", Duplicate)],
        ),
        (
            "every provider",
            settings(SettingsRequest {
                seg_check_mode: s("skip_providers"),
                seg_skip_providers: providers(&[
                    "proofpoint",
                    "mimecast",
                    "barracuda",
                    "cisco",
                    "forcepoint",
                    "sophos",
                    "trendmicro",
                    "symantec",
                    "mcafee",
                    "microsoft_atp",
                    "google_postini",
                ]),
                ..Default::default()
            }),
            vec![],
        ),
    ]);
    let legacy = valid(&settings(SettingsRequest {
        seg_check_mode: s("use_specific_mailboxes"),
        ..Default::default()
    }));
    assert_eq!(
        legacy.settings().seg_check_mode(),
        SegCheckMode::Disabled,
        "use_specific_mailboxes is stored as disabled"
    );
    let stored = NewCampaign::parse(
        &settings(SettingsRequest {
            esp_matching_mode: s("custom"),
            ..Default::default()
        }),
        ParseRules::stored(),
    )
    .expect("custom reads back from storage");
    assert_eq!(
        stored.settings().esp_matching_mode(),
        EspMatchingMode::Custom
    );
}

#[test]
fn rule_4_5_cname_tracking_needs_a_host_name_when_enabled() {
    let cname = |enabled: Option<bool>, domain: Option<&str>| {
        with_settings(SettingsRequest {
            cname_tracking: Some(CnameTrackingRequest {
                enabled,
                domain: domain.map(str::to_owned),
            }),
            ..Default::default()
        })
    };
    check_table(vec![
        (
            "enabled with a domain",
            cname(Some(true), Some("track.yourcompany.com")),
            vec![],
        ),
        (
            "enabled without a domain",
            cname(Some(true), None),
            vec![("/settings/cnameTracking/domain", Required)],
        ),
        (
            "not a host name",
            cname(Some(true), Some("https://track.example.com")),
            vec![("/settings/cnameTracking/domain", InvalidFormat)],
        ),
        ("disabled, no domain", cname(Some(false), None), vec![]),
    ]);
    let lowercase = valid(&cname(Some(true), Some("Track.YourCompany.COM")));
    assert_eq!(
        lowercase
            .settings()
            .cname_tracking()
            .domain()
            .map(|domain| domain.as_str()),
        Some("track.yourcompany.com"),
        "the domain is stored lowercase"
    );
}

fn webhook(
    enabled: bool,
    url: Option<&str>,
    secret: Option<&str>,
    events: &[&str],
) -> CampaignRequest {
    with_settings(SettingsRequest {
        webhook: Some(WebhookRequest {
            enabled: Some(enabled),
            url: url.map(str::to_owned),
            secret: secret.map(str::to_owned),
            events: Some(events.iter().map(|event| event.to_string()).collect()),
        }),
        ..Default::default()
    })
}

#[test]
fn rule_4_5_webhook() {
    let url = Some("https://yourcompany.com/webhooks/sendkit");
    check_table(vec![
        (
            "seed webhook",
            webhook(
                true,
                url,
                Some("whsec_abc123xyz"),
                &["lead.replied", "email.sent", "lead.bounced"],
            ),
            vec![],
        ),
        (
            "http is allowed",
            webhook(
                true,
                Some("http://hooks.example.com/x"),
                None,
                &["email.sent"],
            ),
            vec![],
        ),
        (
            "enabled without url",
            webhook(true, None, None, &["email.sent"]),
            vec![("/settings/webhook/url", Required)],
        ),
        (
            "enabled without events",
            webhook(true, url, None, &[]),
            vec![("/settings/webhook/events", TooFew)],
        ),
        (
            "unknown event",
            webhook(true, url, None, &["email.sent", "email.deleted"]),
            vec![("/settings/webhook/events/1", InvalidValue)],
        ),
        (
            "repeated event",
            webhook(true, url, None, &["email.sent", "email.sent"]),
            vec![("/settings/webhook/events/1", Duplicate)],
        ),
        (
            "relative url",
            webhook(true, Some("/hooks"), None, &["email.sent"]),
            vec![("/settings/webhook/url", InvalidFormat)],
        ),
        (
            "ftp url",
            webhook(true, Some("ftp://example.com/x"), None, &["email.sent"]),
            vec![("/settings/webhook/url", InvalidFormat)],
        ),
        (
            "localhost",
            webhook(true, Some("http://localhost:8080/x"), None, &["email.sent"]),
            vec![("/settings/webhook/url", NotAllowed)],
        ),
        (
            "loopback",
            webhook(true, Some("http://127.0.0.1/x"), None, &["email.sent"]),
            vec![("/settings/webhook/url", NotAllowed)],
        ),
        (
            "private",
            webhook(true, Some("https://10.1.2.3/x"), None, &["email.sent"]),
            vec![("/settings/webhook/url", NotAllowed)],
        ),
        (
            "link-local",
            webhook(
                true,
                Some("http://169.254.169.254/latest"),
                None,
                &["email.sent"],
            ),
            vec![("/settings/webhook/url", NotAllowed)],
        ),
        (
            "unspecified",
            webhook(true, Some("http://0.0.0.0/"), None, &["email.sent"]),
            vec![("/settings/webhook/url", NotAllowed)],
        ),
        (
            "IPv6 loopback",
            webhook(true, Some("http://[::1]/"), None, &["email.sent"]),
            vec![("/settings/webhook/url", NotAllowed)],
        ),
        (
            "secret of 8",
            webhook(true, url, Some("12345678"), &["email.sent"]),
            vec![],
        ),
        (
            "secret of 7",
            webhook(true, url, Some("1234567"), &["email.sent"]),
            vec![("/settings/webhook/secret", TooShort)],
        ),
        (
            "secret of 256",
            webhook(true, url, Some(&x(256)), &["email.sent"]),
            vec![],
        ),
        (
            "secret of 257",
            webhook(true, url, Some(&x(257)), &["email.sent"]),
            vec![("/settings/webhook/secret", TooLong)],
        ),
        (
            "disabled and empty",
            webhook(false, None, None, &[]),
            vec![],
        ),
    ]);
    let private_allowed = NewCampaign::parse(
        &webhook(
            true,
            Some("http://127.0.0.1:9000/hook"),
            None,
            &["email.sent"],
        ),
        ParseRules::create(WebhookHostPolicy::AllowPrivate),
    );
    assert!(
        private_allowed.is_ok(),
        "--allow-private-webhooks lifts the address rule"
    );
    assert!(
        valid(&webhook(true, url, None, &["email.sent"])).needs_webhook_secret(),
        "a secret is generated when omitted"
    );
    assert!(
        !valid(&webhook(
            true,
            url,
            Some("whsec_abc123xyz"),
            &["email.sent"]
        ))
        .needs_webhook_secret()
    );
    assert!(
        !valid(&webhook(false, None, None, &[])).needs_webhook_secret(),
        "no secret for a disabled webhook"
    );
}

#[test]
fn rule_4_5_variant_optimization_ranges() {
    let optimization = |sends: i64, days: i64, metric: &str, keep: i64| {
        with_settings(SettingsRequest {
            variant_optimization: Some(VariantOptimizationRequest {
                enabled: Some(true),
                minimum_sends_per_variant: Some(sends),
                minimum_days: Some(days),
                optimization_metric: s(metric),
                keep_minimum_variants: Some(keep),
            }),
            ..Default::default()
        })
    };
    let at = |field: &'static str| -> &'static str {
        match field {
            "sends" => "/settings/variantOptimization/minimumSendsPerVariant",
            "days" => "/settings/variantOptimization/minimumDays",
            "metric" => "/settings/variantOptimization/optimizationMetric",
            _ => "/settings/variantOptimization/keepMinimumVariants",
        }
    };
    check_table(vec![
        ("lower bounds", optimization(1, 0, "openRate", 1), vec![]),
        (
            "upper bounds",
            optimization(100_000, 365, "clickRate", 26),
            vec![],
        ),
        (
            "sends 0",
            optimization(0, 3, "replyRate", 1),
            vec![(at("sends"), OutOfRange)],
        ),
        (
            "sends 100001",
            optimization(100_001, 3, "replyRate", 1),
            vec![(at("sends"), OutOfRange)],
        ),
        (
            "days -1",
            optimization(25, -1, "replyRate", 1),
            vec![(at("days"), OutOfRange)],
        ),
        (
            "days 366",
            optimization(25, 366, "replyRate", 1),
            vec![(at("days"), OutOfRange)],
        ),
        (
            "unknown metric",
            optimization(25, 3, "bounceRate", 1),
            vec![(at("metric"), InvalidValue)],
        ),
        (
            "keep 0",
            optimization(25, 3, "replyRate", 0),
            vec![(at("keep"), OutOfRange)],
        ),
        (
            "keep 27",
            optimization(25, 3, "replyRate", 27),
            vec![(at("keep"), OutOfRange)],
        ),
    ]);
}

#[test]
fn rule_4_5_agent_request_follows_ai_agent_id_and_enabled() {
    let agent = |id: Option<&str>, enabled: Option<bool>| {
        valid(&with_settings(SettingsRequest {
            ai_agent_id: id.map(str::to_owned),
            ai_agent_enabled: enabled,
            ..Default::default()
        }))
        .agent_request()
    };
    let id = "665a1b2c3d4e5f6a7b8c9d0e";
    assert!(
        matches!(agent(Some(id), None), AgentRequest::Specific(found) if found.to_string() == id)
    );
    assert!(matches!(
        agent(Some(id), Some(true)),
        AgentRequest::Specific(_)
    ));
    assert_eq!(agent(None, Some(true)), AgentRequest::WorkspaceDefault);
    assert_eq!(agent(None, Some(false)), AgentRequest::None);
}

#[test]
fn every_problem_of_a_request_is_reported_at_once() {
    let request = CampaignRequest {
        name: s(" "),
        sequence: Some(vec![wait_days(1), wait(Some(400), None), reply(" ")]),
        schedule: Some(ScheduleRequest {
            timezone: s("Nowhere/City"),
            start_time: s("25:00"),
            working_days: Some(vec![9]),
            ..Default::default()
        }),
        settings: Some(SettingsRequest {
            daily_send_limit: Some(0),
            cc: Some(vec!["nope".into()]),
            webhook: Some(WebhookRequest {
                enabled: Some(true),
                ..Default::default()
            }),
            ..Default::default()
        }),
        subsequences: Some(vec![reply_subsequence(), reply_subsequence()]),
        ..CampaignRequest::default()
    };
    let found = problems(&request);
    let expected = [
        ("/name", Blank),
        ("/sequence/1/waitDays", OutOfRange),
        ("/sequence/2/subject", Required),
        ("/sequence/2/body", Blank),
        ("/sequence/0/type", InvalidStructure),
        ("/sequence/1/type", InvalidStructure),
        ("/subsequences/1/trigger/type", Duplicate),
        ("/schedule/timezone", InvalidValue),
        ("/schedule/startTime", InvalidFormat),
        ("/schedule/workingDays/0", OutOfRange),
        ("/settings/cc/0", InvalidFormat),
        ("/settings/dailySendLimit", OutOfRange),
        ("/settings/webhook/url", Required),
        ("/settings/webhook/events", TooFew),
    ];
    for (pointer, code) in expected {
        assert!(
            found.contains(&(pointer.to_owned(), code)),
            "missing {pointer} {code:?} in {found:#?}"
        );
    }
    assert_eq!(found.len(), expected.len(), "{found:#?}");
}

/// Every settings field that can be wrong, wrong at once: the problems come in one fixed order, with
/// these pointers, codes and messages (clients see this list as is).
#[test]
fn rule_4_5_settings_problems_come_in_a_fixed_order() {
    let many = |count: usize| {
        (0..count)
            .map(|index| format!("n{index}@example.com"))
            .collect::<Vec<_>>()
    };
    let request = with_settings(SettingsRequest {
        track_opens: Some(false),
        cc: Some(vec!["nope".into()]),
        bcc: Some(vec!["a@example.com".into(), "A@example.com".into()]),
        notification_emails: Some(many(6)),
        daily_send_limit: Some(0),
        email_interval_minutes: Some(1_441),
        esp_matching_mode: s("custom"),
        seg_check_mode: s("sometimes"),
        seg_skip_providers: Some(vec![
            "nobody".into(),
            "proofpoint".into(),
            "proofpoint".into(),
        ]),
        cname_tracking: Some(CnameTrackingRequest {
            enabled: Some(true),
            domain: None,
        }),
        slack_channel_id: s("general"),
        ai_agent_id: s("agent-1"),
        webhook: Some(WebhookRequest {
            enabled: Some(true),
            url: s("ftp://hooks.example.com"),
            secret: s("short"),
            events: Some(vec![
                "email.sent".into(),
                "email.sent".into(),
                "nope".into(),
            ]),
        }),
        variant_optimization: Some(VariantOptimizationRequest {
            enabled: Some(true),
            minimum_sends_per_variant: Some(0),
            minimum_days: Some(366),
            optimization_metric: s("luck"),
            keep_minimum_variants: Some(27),
        }),
        ..Default::default()
    });
    let found: Vec<String> = match parse(&request) {
        Ok(_) => Vec::new(),
        Err(problems) => problems
            .iter()
            .map(|problem| {
                format!(
                    "{} {} {}",
                    problem.pointer(),
                    problem.code(),
                    problem.message()
                )
            })
            .collect(),
    };
    let expected = [
        "/settings/cc/0 invalid_format cc must be a valid email address",
        "/settings/bcc/1 duplicate bcc lists A@example.com more than once",
        "/settings/notificationEmails too_many notificationEmails has at most 5 addresses",
        "/settings/dailySendLimit out_of_range dailySendLimit must be between 1 and 10000",
        "/settings/emailIntervalMinutes out_of_range emailIntervalMinutes must be between 1 and 1440",
        "/settings/espMatchingMode invalid_value espMatchingMode custom is read-back only; writes accept disabled or auto",
        "/settings/segCheckMode invalid_value segCheckMode must be one of disabled, skip_all or skip_providers",
        "/settings/segSkipProviders/0 invalid_value segSkipProviders must be one of proofpoint, mimecast, barracuda, cisco, forcepoint, sophos, trendmicro, symantec, mcafee, microsoft_atp or google_postini",
        "/settings/segSkipProviders/2 duplicate segSkipProviders lists proofpoint more than once",
        "/settings/cnameTracking/domain required domain is required when CNAME tracking is enabled",
        "/settings/slackChannelId invalid_format slackChannelId must be a Slack channel ID such as C04ABCDEF12",
        "/settings/aiAgentId invalid_format aiAgentId must be a 24-character lowercase hex id",
        "/settings/webhook/url invalid_format url must be an absolute http or https URL",
        "/settings/webhook/secret too_short secret must be at least 8 characters",
        "/settings/webhook/events/1 duplicate events lists email.sent more than once",
        "/settings/webhook/events/2 invalid_value events must be one of email.sent, email.opened, email.clicked, email.replied, email.bounced, email.unsubscribed, email.positive_reply, lead.replied, lead.bounced, lead.updated or lead.tag_changed",
        "/settings/variantOptimization/minimumSendsPerVariant out_of_range minimumSendsPerVariant must be between 1 and 100000",
        "/settings/variantOptimization/minimumDays out_of_range minimumDays must be between 0 and 365",
        "/settings/variantOptimization/optimizationMetric invalid_value optimizationMetric must be one of replyRate, openRate or clickRate",
        "/settings/variantOptimization/keepMinimumVariants out_of_range keepMinimumVariants must be between 1 and 26",
    ];
    assert_eq!(found, expected, "{found:#?}");
}

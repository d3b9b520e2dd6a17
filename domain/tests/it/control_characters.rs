//! Control characters (Unicode category Cc: U+0000–U+001F, U+007F–U+009F) in stored texts (issue 17).
//! No stored text holds one, except line breaks and tabs in email bodies and mailbox signatures; subjects
//! and display names, which become mail headers, hold no line break. List filters refuse them too.

use domain::agent::AgentFields;
use domain::identity::WorkspaceName;
use domain::listing::NameSearch;
use domain::mailbox::MailboxFields;
use domain::mailbox_listing::{MailboxSearch, TagFilter, TagMode};
use domain::mailbox_update::{MailboxChanges, MailboxPatchRequest, PatchValue};
use domain::problem::ProblemCode::*;
use domain::problem::{Invalid, Problems};
use domain::request::{
    AgentRequest, CampaignRequest, CompanyInfoRequest, ConditionRequest,
    ConditionalVariableRequest, MailboxRequest, MailboxSelectorsRequest, PersonaRequest,
    SettingsRequest, StepRequest, SubsequenceRequest, TriggerRequest, WebhookRequest,
};

use crate::support::*;

/// Every control character, and a few printable characters next to them that stay allowed.
const CONTROLS: [char; 10] = [
    '\u{0}', '\u{1}', '\t', '\n', '\r', '\u{1b}', '\u{1f}', '\u{7f}', '\u{85}', '\u{9f}',
];
const ALLOWED_NEIGHBOURS: [char; 4] = [' ', '~', '\u{a0}', '\u{a1}'];

fn messages(problems: &Problems) -> Vec<String> {
    problems
        .iter()
        .map(|problem| problem.message().to_owned())
        .collect()
}

fn conditional_with(field: &str, value: &str, then: &str, otherwise: &str) -> StepRequest {
    StepRequest {
        use_conditional_variables: Some(true),
        conditional_variables: Some(vec![ConditionalVariableRequest {
            name: s("opener"),
            conditions: Some(vec![ConditionRequest {
                field: s(field),
                operator: s("equals"),
                value: s(value),
                then: s(then),
            }]),
            otherwise: s(otherwise),
        }]),
        ..email("Hi", "{{opener}}")
    }
}

fn subsequence(name: &str, tag: &str) -> CampaignRequest {
    CampaignRequest {
        subsequences: Some(vec![SubsequenceRequest {
            name: s(name),
            trigger: Some(TriggerRequest {
                kind: s("ai_tag"),
                value: s(tag),
            }),
            sequence: Some(vec![reply("Thanks")]),
            ..SubsequenceRequest::default()
        }]),
        ..campaign("Subsequences")
    }
}

fn with_settings(settings: SettingsRequest) -> CampaignRequest {
    CampaignRequest {
        settings: Some(settings),
        ..campaign("Settings")
    }
}

fn webhook(url: &str, secret: &str) -> CampaignRequest {
    with_settings(SettingsRequest {
        webhook: Some(WebhookRequest {
            enabled: Some(true),
            url: s(url),
            secret: s(secret),
            events: Some(vec!["email.sent".to_owned()]),
        }),
        ..SettingsRequest::default()
    })
}

#[test]
fn campaign_texts_refuse_control_characters_at_their_pointer() {
    check_table(vec![
        (
            "NUL in the name",
            campaign("Q2\u{0}Outbound"),
            vec![("/name", InvalidFormat)],
        ),
        (
            "a lone NUL name is not blank, it is refused",
            campaign("\u{0}"),
            vec![("/name", InvalidFormat)],
        ),
        (
            "line breaks around a trimmed name are trimmed away",
            campaign("\r\nQ2 Outbound\n"),
            vec![],
        ),
        (
            "CR/LF in a subject (header injection)",
            with_sequence(vec![email("Hi\r\nBcc: all@example.com", "Body")]),
            vec![("/sequence/0/subject", InvalidFormat)],
        ),
        (
            "a tab in a subject",
            with_sequence(vec![email("Hi\tthere", "Body")]),
            vec![("/sequence/0/subject", InvalidFormat)],
        ),
        (
            "a line break ending a later reply's subject",
            with_sequence(vec![
                email("Hi", "Body"),
                wait_days(1),
                email("\n", "Again"),
            ]),
            vec![("/sequence/2/subject", InvalidFormat)],
        ),
        (
            "line breaks and tabs in a body are kept",
            with_sequence(vec![email("Hi", "Line one\r\nLine\ttwo\n\nThree\r")]),
            vec![],
        ),
        (
            "NUL in a body",
            with_sequence(vec![email("Hi", "Hello\u{0}")]),
            vec![("/sequence/0/body", InvalidFormat)],
        ),
        (
            "escape in a step name",
            with_sequence(vec![StepRequest {
                name: s("Intro\u{1b}[31m"),
                ..email("Hi", "Body")
            }]),
            vec![("/sequence/0/name", InvalidFormat)],
        ),
        (
            "LF in a variant subject, NUL in a variant body",
            with_sequence(vec![StepRequest {
                variants: Some(vec![
                    variant("A", "Hi", "Body"),
                    variant("B", "Hi\nBcc: x@example.com", "Body\u{0}"),
                ]),
                ..email("Hi", "Body")
            }]),
            vec![
                ("/sequence/0/variants/1/subject", InvalidFormat),
                ("/sequence/0/variants/1/body", InvalidFormat),
            ],
        ),
        (
            "every text of a conditional variable",
            with_sequence(vec![conditional_with(
                "company\u{0}",
                "Acme\u{7f}",
                "Hi\nthere",
                "x\u{85}y",
            )]),
            vec![
                (
                    "/sequence/0/conditionalVariables/0/conditions/0/field",
                    InvalidFormat,
                ),
                (
                    "/sequence/0/conditionalVariables/0/conditions/0/value",
                    InvalidFormat,
                ),
                (
                    "/sequence/0/conditionalVariables/0/conditions/0/then",
                    InvalidFormat,
                ),
                ("/sequence/0/conditionalVariables/0/else", InvalidFormat),
            ],
        ),
        (
            "a subsequence's name and trigger value",
            subsequence("On\u{0}tag", "Interested\u{0}"),
            vec![
                ("/subsequences/0/name", InvalidFormat),
                ("/subsequences/0/trigger/value", InvalidFormat),
            ],
        ),
        (
            "a mailbox tag selector",
            CampaignRequest {
                mailbox_selectors: MailboxSelectorsRequest {
                    mailbox_tags: Some(vec!["eu\u{0}".to_owned()]),
                    ..MailboxSelectorsRequest::default()
                },
                ..campaign("Selectors")
            },
            vec![("/mailboxTags/0", InvalidFormat)],
        ),
        (
            "cc, bcc and notification addresses",
            with_settings(SettingsRequest {
                cc: Some(vec!["a\u{0}@example.com".to_owned()]),
                bcc: Some(vec!["b@exam\nple.com".to_owned()]),
                notification_emails: Some(vec!["c@example.com\u{0}".to_owned()]),
                ..SettingsRequest::default()
            }),
            vec![
                ("/settings/cc/0", InvalidFormat),
                ("/settings/bcc/0", InvalidFormat),
                ("/settings/notificationEmails/0", InvalidFormat),
            ],
        ),
        (
            "a webhook URL the URL parser would quietly mend, and a secret",
            webhook("https://hooks.exa\tmple.com/", "secret\u{0}value"),
            vec![
                ("/settings/webhook/url", InvalidFormat),
                ("/settings/webhook/secret", InvalidFormat),
            ],
        ),
    ]);
}

#[test]
fn campaign_control_character_messages_name_the_field() {
    let refused = parse(&with_sequence(vec![email("Hi\r\n", "Hello\u{0}")])).expect_err("refused");
    assert_eq!(
        messages(&refused),
        [
            "subject must not contain control characters",
            "body must not contain control characters other than line breaks and tabs",
        ]
    );
    let refused = parse(&campaign("a\u{0}")).expect_err("refused");
    assert_eq!(
        messages(&refused),
        ["name must not contain control characters"]
    );
}

#[test]
fn every_control_character_is_refused_in_a_name_and_its_printable_neighbours_are_not() {
    for control in ('\u{0}'..='\u{1f}').chain('\u{7f}'..='\u{9f}') {
        let request = campaign(&format!("a{control}b"));
        assert_eq!(
            problems(&request),
            expected(&[("/name", InvalidFormat)]),
            "{control:?}"
        );
    }
    for allowed in ALLOWED_NEIGHBOURS {
        assert_eq!(
            problems(&campaign(&format!("a{allowed}b"))),
            [],
            "{allowed:?}"
        );
    }
}

fn mailbox(display_name: &str, signature: &str, tag: &str) -> MailboxRequest {
    MailboxRequest {
        email: s("ana@example.com"),
        provider: s("gmail"),
        display_name: s(display_name),
        tags: Some(vec![tag.to_owned()]),
        signature: s(signature),
        ..MailboxRequest::default()
    }
}

#[test]
fn mailbox_texts_refuse_control_characters_at_their_pointer() {
    let refused = MailboxFields::parse(&mailbox("Ana\r\nBcc: x", "Best\u{0}", "eu\u{0}"))
        .expect_err("refused");
    assert_eq!(
        located(&refused),
        expected(&[
            ("/displayName", InvalidFormat),
            ("/tags/0", InvalidFormat),
            ("/signature", InvalidFormat),
        ])
    );
    assert_eq!(
        messages(&refused),
        [
            "displayName must not contain control characters",
            "tags must not contain control characters",
            "signature must not contain control characters other than line breaks and tabs",
        ]
    );
    let tab = MailboxFields::parse(&mailbox("Ana\tSmith", "Best", "eu")).expect_err("a tab");
    assert_eq!(located(&tab), expected(&[("/displayName", InvalidFormat)]));
}

#[test]
fn mailbox_signature_keeps_line_breaks_and_tabs() {
    let fields = MailboxFields::parse(&mailbox("Ana", "Best,\r\n\tAna", "eu")).expect("valid");
    assert_eq!(fields.signature(), Some("Best,\r\n\tAna"));
}

#[test]
fn mailbox_signature_html_is_sanitised_like_a_body() {
    let fields = MailboxFields::parse(&mailbox(
        "Ana",
        "<p>Best, <a href=\"javascript:alert(1)\">Ana</a></p><script>alert(1)</script>\
         <img src=x onerror=alert(1)><b onclick=\"x()\">Sales</b>",
        "eu",
    ))
    .expect("valid");
    assert_eq!(
        fields.signature(),
        Some("<p>Best, <a>Ana</a></p><b>Sales</b>")
    );
    let kept = MailboxFields::parse(&mailbox(
        "Ana",
        "<p>Best, <a href=\"https://acme.example\">Ana</a></p>",
        "eu",
    ))
    .expect("valid");
    assert_eq!(
        kept.signature(),
        Some("<p>Best, <a href=\"https://acme.example\">Ana</a></p>")
    );
    // Sanitised output parses to itself: a stored signature reads back unchanged.
    let again = MailboxFields::parse(&mailbox("Ana", fields.signature().expect("set"), "eu"))
        .expect("valid");
    assert_eq!(again.signature(), fields.signature());
}

#[test]
fn mailbox_patch_refuses_control_characters_and_sanitises_the_signature() {
    let refused = MailboxChanges::parse(&MailboxPatchRequest {
        display_name: PatchValue::Given("Ana\n".to_owned() + "Smith"),
        signature: PatchValue::Given("Best\u{7}".to_owned()),
        tags: PatchValue::Given(vec!["ok".to_owned(), "e\u{1}u".to_owned()]),
        ..MailboxPatchRequest::default()
    })
    .expect_err("refused");
    assert_eq!(
        located(&refused),
        expected(&[
            ("/displayName", InvalidFormat),
            ("/signature", InvalidFormat),
            ("/tags/1", InvalidFormat),
        ])
    );
    let changes = MailboxChanges::parse(&MailboxPatchRequest {
        signature: PatchValue::Given("<b>Best</b><script>alert(1)</script>".to_owned()),
        ..MailboxPatchRequest::default()
    })
    .expect("valid");
    assert_eq!(changes.signature(), Some(Some("<b>Best</b>")));
}

#[test]
fn agent_texts_refuse_control_characters_at_their_pointer() {
    let nul = |text: &str| Some(format!("{text}\u{0}"));
    let refused = AgentFields::parse(&AgentRequest {
        name: nul("Closer"),
        company_info: Some(CompanyInfoRequest {
            name: nul("Acme"),
            description: nul("We sell"),
        }),
        persona: Some(PersonaRequest {
            tone: nul("warm"),
            role: nul("SDR"),
            communication_style: nul("brief"),
            custom_instructions: Some("Be kind.\nNever pushy.".to_owned()),
        }),
    })
    .expect_err("refused");
    assert_eq!(
        located(&refused),
        expected(&[
            ("/name", InvalidFormat),
            ("/companyInfo/name", InvalidFormat),
            ("/companyInfo/description", InvalidFormat),
            ("/persona/tone", InvalidFormat),
            ("/persona/role", InvalidFormat),
            ("/persona/communicationStyle", InvalidFormat),
            ("/persona/customInstructions", InvalidFormat),
        ])
    );
}

#[test]
fn workspace_name_refuses_control_characters() {
    let refused = WorkspaceName::parse_request(Some("Acme\u{0}")).expect_err("refused");
    assert_eq!(located(&refused), expected(&[("/name", InvalidFormat)]));
    assert_eq!(
        messages(&refused),
        ["name must not contain control characters"]
    );
    assert_eq!(
        WorkspaceName::parse(Some(" Acme\n")).map(|name| name.as_str().to_owned()),
        Ok("Acme".to_owned())
    );
}

#[test]
fn list_filters_refuse_control_characters() {
    let code = |refusal: Invalid| (refusal.code, refusal.message);
    for control in CONTROLS {
        let raw = format!("a{control}b");
        assert_eq!(
            NameSearch::parse(Some(&raw)).map_err(code),
            Err((
                InvalidFormat,
                "search must not contain control characters".to_owned()
            )),
            "{control:?}"
        );
        assert_eq!(
            MailboxSearch::parse(Some(&raw)).map_err(code),
            Err((
                InvalidFormat,
                "search must not contain control characters".to_owned()
            )),
            "{control:?}"
        );
        assert_eq!(
            TagFilter::parse(Some(&format!("ok,{raw}")), TagMode::Any).map_err(code),
            Err((
                InvalidFormat,
                "each tag must not contain control characters".to_owned()
            )),
            "{control:?}"
        );
    }
    assert!(NameSearch::parse(Some("\u{0}")).is_err());
    assert!(MailboxSearch::parse(Some("\u{0}")).is_err());
    // White space around a filter is still trimmed away, as before.
    assert!(NameSearch::parse(Some("\tlaunch\n")).is_ok_and(|search| search.is_some()));
}

use super::*;
use crate::lead_request::LeadRequest;
use crate::request::{MailboxRequest, StepRequest, VariantRequest};
use crate::rules::Purpose;
use crate::sequence::SequenceRole;

fn email(subject: &str, body: &str, variants: Option<Vec<(&str, &str, &str)>>) -> StepRequest {
    StepRequest {
        kind: Some("email".to_owned()),
        subject: Some(subject.to_owned()),
        body: Some(body.to_owned()),
        variants: variants.map(|variants| {
            variants
                .into_iter()
                .map(|(letter, subject, body)| VariantRequest {
                    letter: Some(letter.to_owned()),
                    subject: Some(subject.to_owned()),
                    body: Some(body.to_owned()),
                })
                .collect()
        }),
        ..StepRequest::default()
    }
}

fn wait(days: i64) -> StepRequest {
    StepRequest {
        kind: Some("wait".to_owned()),
        wait_days: Some(days),
        ..StepRequest::default()
    }
}

/// An email (variants A and B), a wait, a follow-up with a blank subject.
fn sequence() -> Sequence {
    Sequence::parse(
        &[
            email(
                "Quick question about {{companyName}}",
                "<p>Hi {{firstName|there}}, {Hello|Hey}!</p>",
                Some(vec![
                    (
                        "A",
                        "Quick question about {{companyName}}",
                        "<p>Hi {{firstName|there}}, {Hello|Hey}!</p>",
                    ),
                    (
                        "B",
                        "For {{firstName}}",
                        "<p>Variant B for {{jobTitle}}</p>",
                    ),
                ]),
            ),
            wait(3),
            email("", "<p>Bumping this, {{firstName}}.</p>", None),
        ],
        SequenceRole::Main,
        Purpose::Create,
        &JsonPointer::root().field("sequence"),
    )
    .expect("a valid test sequence")
}

fn ada() -> LeadFields {
    LeadFields::parse(
        &LeadRequest {
            email: Some("ada@example.com".to_owned()),
            first_name: Some("Ada".to_owned()),
            company_name: Some("Analytical <Engines>".to_owned()),
            ..LeadRequest::default()
        },
        &JsonPointer::root(),
    )
    .expect("a valid lead")
}

fn sender() -> MailboxFields {
    MailboxFields::parse(&MailboxRequest {
        email: Some("grace@sender.example".to_owned()),
        provider: Some("gmail".to_owned()),
        signature: Some("<p>Grace</p>".to_owned()),
        ..MailboxRequest::default()
    })
    .expect("a valid mailbox")
}

fn choice(request: PreviewEmailRequest) -> PreviewChoice {
    PreviewChoice::parse(&request).expect("a valid request")
}

fn step(position: i64) -> PreviewEmailRequest {
    PreviewEmailRequest {
        sequence_step: Some(position),
        ..PreviewEmailRequest::default()
    }
}

fn pointers(problems: &Problems) -> Vec<String> {
    problems
        .iter()
        .map(|problem| problem.pointer().to_string())
        .collect()
}

#[test]
fn a_preview_renders_the_leads_values_the_first_spintax_option_and_the_signature() {
    let lead = ada();
    let rendered = choice(step(0))
        .render(&sequence(), Some(&lead), Some(&sender()))
        .expect("rendered");
    assert_eq!(
        rendered.subject,
        "Quick question about Analytical <Engines>"
    );
    assert_eq!(rendered.body, "<p>Hi Ada, Hello!</p><p>Grace</p>");
    assert!(
        rendered.text.contains("Hi Ada, Hello!"),
        "{}",
        rendered.text
    );
    assert!(rendered.missing_variables.is_empty());
}

#[test]
fn values_are_escaped_in_the_body_but_not_in_the_subject() {
    let lead = ada();
    let mut request = step(0);
    request.content_override = Some(ContentOverrideRequest {
        subject: Some("About {{companyName}}".to_owned()),
        body: Some("<p>{{companyName}}</p>".to_owned()),
    });
    let rendered = choice(request)
        .render(&sequence(), Some(&lead), None)
        .expect("rendered");
    assert_eq!(rendered.subject, "About Analytical <Engines>");
    assert_eq!(rendered.body, "<p>Analytical &lt;Engines&gt;</p>");
}

#[test]
fn without_a_lead_its_variables_are_missing_and_fallbacks_show() {
    let rendered = choice(step(0))
        .render(&sequence(), None, None)
        .expect("rendered");
    assert_eq!(rendered.body, "<p>Hi there, Hello!</p>");
    assert_eq!(rendered.missing_variables, ["companyName"]);
}

#[test]
fn a_variant_is_chosen_by_its_letter_in_either_case() {
    let mut request = step(0);
    request.variant = Some("b".to_owned());
    let rendered = choice(request)
        .render(&sequence(), None, None)
        .expect("rendered");
    assert_eq!(rendered.subject, "For", "a header is trimmed");
    assert_eq!(rendered.missing_variables, ["firstName", "jobTitle"]);
}

#[test]
fn a_follow_up_with_a_blank_subject_previews_as_a_reply_to_the_previous_email() {
    let lead = ada();
    let rendered = choice(step(2))
        .render(&sequence(), Some(&lead), None)
        .expect("rendered");
    assert_eq!(
        rendered.subject,
        "Re: Quick question about Analytical <Engines>"
    );
}

#[test]
fn a_wait_step_a_missing_step_and_an_unknown_variant_are_refused_by_pointer() {
    for position in [1, 3, 99] {
        let refused = choice(step(position))
            .render(&sequence(), None, None)
            .expect_err("not an email step");
        assert_eq!(pointers(&refused), ["/sequenceStep"], "{position}");
    }
    let mut request = step(0);
    request.variant = Some("C".to_owned());
    let refused = choice(request)
        .render(&sequence(), None, None)
        .expect_err("no variant C");
    assert_eq!(pointers(&refused), ["/variant"]);
}

#[test]
fn every_problem_of_a_request_is_reported_at_once() {
    let refused = PreviewChoice::parse(&PreviewEmailRequest {
        sequence_step: None,
        lead_id: Some("not-an-id".to_owned()),
        mailbox_id: Some("zz".to_owned()),
        variant: Some("AB".to_owned()),
        content_override: Some(ContentOverrideRequest {
            subject: Some("two\nlines".to_owned()),
            body: Some("   ".to_owned()),
        }),
    })
    .expect_err("invalid");
    assert_eq!(
        pointers(&refused),
        [
            "/sequenceStep",
            "/leadId",
            "/mailboxId",
            "/variant",
            "/contentOverride/subject",
            "/contentOverride/body"
        ]
    );
    let negative = PreviewChoice::parse(&step(-1)).expect_err("negative");
    assert_eq!(pointers(&negative), ["/sequenceStep"]);
}

use super::*;

const MAILBOX: &str = "0123456789abcdef01234567";
const LEAD: &str = "0123456789abcdef01234568";

fn custom(email: &str, variables: &[(&str, &str)]) -> TestEmailRequest {
    TestEmailRequest {
        sequence_step: Some(0),
        mailbox_id: Some(MAILBOX.to_owned()),
        custom_email: Some(email.to_owned()),
        custom_variables: Some(
            variables
                .iter()
                .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
                .collect(),
        ),
        ..TestEmailRequest::default()
    }
}

fn problems_of(request: &TestEmailRequest) -> Vec<(String, ProblemCode)> {
    TestEmailChoice::parse(request)
        .expect_err("a refused request")
        .iter()
        .map(|problem| (problem.pointer().as_str().to_owned(), problem.code()))
        .collect()
}

#[test]
fn rule_a_lead_or_a_custom_address_is_the_recipient_never_both_nor_neither() {
    let to_lead = TestEmailRequest {
        sequence_step: Some(0),
        mailbox_id: Some(MAILBOX.to_owned()),
        lead_id: Some(LEAD.to_owned()),
        ..TestEmailRequest::default()
    };
    let choice = TestEmailChoice::parse(&to_lead).expect("a lead is a recipient");
    assert_eq!(
        choice.recipient(),
        &TestRecipient::Lead(LeadId::parse(LEAD).expect("an id"))
    );
    assert_eq!(choice.mailbox().to_string(), MAILBOX);

    let both = TestEmailRequest {
        custom_email: Some("ada@example.com".to_owned()),
        ..to_lead.clone()
    };
    assert_eq!(
        problems_of(&both),
        [("/customEmail".to_owned(), ProblemCode::NotAllowed)]
    );
    let neither = TestEmailRequest {
        lead_id: None,
        ..to_lead.clone()
    };
    assert_eq!(
        problems_of(&neither),
        [("/leadId".to_owned(), ProblemCode::Required)]
    );
    let lead_with_variables = TestEmailRequest {
        custom_variables: Some(vec![("firstName".to_owned(), "Ada".to_owned())]),
        ..to_lead
    };
    assert_eq!(
        problems_of(&lead_with_variables),
        [("/customVariables".to_owned(), ProblemCode::NotAllowed)]
    );
}

#[test]
fn rule_every_problem_of_the_body_is_reported_at_once() {
    let request = TestEmailRequest {
        sequence_step: None,
        mailbox_id: None,
        custom_email: Some("not an address".to_owned()),
        custom_variables: Some(vec![
            ("email".to_owned(), "x@example.com".to_owned()),
            ("Email".to_owned(), "x@example.com".to_owned()),
            ("country".to_owned(), "Atlantis".to_owned()),
        ]),
        variant: Some("AB".to_owned()),
        ..TestEmailRequest::default()
    };
    let problems = problems_of(&request);
    for expected in [
        ("/sequenceStep", ProblemCode::Required),
        ("/mailboxId", ProblemCode::Required),
        ("/variant", ProblemCode::InvalidValue),
        ("/customEmail", ProblemCode::InvalidFormat),
        ("/customVariables/email", ProblemCode::NotAllowed),
        ("/customVariables/Email", ProblemCode::NotAllowed),
    ] {
        assert!(
            problems
                .iter()
                .any(|(pointer, code)| pointer == expected.0 && *code == expected.1),
            "{expected:?} in {problems:?}"
        );
    }
    assert!(
        problems
            .iter()
            .any(|(pointer, _)| pointer == "/customVariables/country"),
        "{problems:?}"
    );
}

#[test]
fn rule_custom_variables_are_a_leads_values_and_custom_fields() {
    let request = custom(
        "ada@example.com",
        &[
            ("firstName", "Ada"),
            ("companyName", "Analytical"),
            ("plan", "pro"),
        ],
    );
    let choice = TestEmailChoice::parse(&request).expect("a valid request");
    let TestRecipient::Custom(fields) = choice.recipient() else {
        panic!("a custom recipient: {:?}", choice.recipient());
    };
    assert_eq!(fields.email().as_str(), "ada@example.com");
    assert_eq!(fields.first_name(), Some("Ada"));
    assert_eq!(fields.company_name(), Some("Analytical"));
    let custom: Vec<(String, String)> = fields
        .custom_fields()
        .iter()
        .map(|(key, value)| (key.as_str().to_owned(), value.rendered().into_owned()))
        .collect();
    assert_eq!(custom, [("plan".to_owned(), "pro".to_owned())]);
}

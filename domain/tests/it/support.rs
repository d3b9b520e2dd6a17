//! Builders that keep the tables readable.

use domain::campaign::NewCampaign;
use domain::problem::{ProblemCode, Problems};
use domain::request::{
    CampaignRequest, StepRequest, SubsequenceRequest, TriggerRequest, VariantRequest,
};
use domain::rules::ParseRules;
use domain::values::WebhookHostPolicy;

pub fn s(text: &str) -> Option<String> {
    Some(text.to_owned())
}

pub fn email(subject: &str, body: &str) -> StepRequest {
    StepRequest {
        kind: s("email"),
        subject: s(subject),
        body: s(body),
        ..StepRequest::default()
    }
}

/// A later email: no subject (a reply in the same thread).
pub fn reply(body: &str) -> StepRequest {
    StepRequest {
        kind: s("email"),
        body: s(body),
        ..StepRequest::default()
    }
}

pub fn wait_days(days: i64) -> StepRequest {
    StepRequest {
        kind: s("wait"),
        wait_days: Some(days),
        ..StepRequest::default()
    }
}

pub fn wait(days: Option<i64>, hours: Option<i64>) -> StepRequest {
    StepRequest {
        kind: s("wait"),
        wait_days: days,
        wait_hours: hours,
        ..StepRequest::default()
    }
}

pub fn variant(letter: &str, subject: &str, body: &str) -> VariantRequest {
    VariantRequest {
        letter: s(letter),
        subject: s(subject),
        body: s(body),
    }
}

pub fn with_order(mut step: StepRequest, order: i64) -> StepRequest {
    step.order = Some(order);
    step
}

pub fn campaign(name: &str) -> CampaignRequest {
    CampaignRequest {
        name: s(name),
        ..CampaignRequest::default()
    }
}

pub fn with_sequence(steps: Vec<StepRequest>) -> CampaignRequest {
    CampaignRequest {
        sequence: Some(steps),
        ..campaign("Q2 Outbound")
    }
}

pub fn ai_tag_subsequence(tag: &str) -> SubsequenceRequest {
    SubsequenceRequest {
        name: s(&format!("On {tag}")),
        trigger: Some(TriggerRequest {
            kind: s("ai_tag"),
            value: s(tag),
        }),
        sequence: Some(vec![wait_days(1), reply("<p>Thanks!</p>")]),
        ..SubsequenceRequest::default()
    }
}

pub fn reply_subsequence() -> SubsequenceRequest {
    SubsequenceRequest {
        name: s("On reply"),
        trigger: Some(TriggerRequest {
            kind: s("reply"),
            value: None,
        }),
        sequence: Some(vec![reply("<p>Thanks for replying</p>")]),
        ..SubsequenceRequest::default()
    }
}

pub fn parse(request: &CampaignRequest) -> Result<NewCampaign, Problems> {
    NewCampaign::parse(request, ParseRules::create(WebhookHostPolicy::PublicOnly))
}

pub fn valid(request: &CampaignRequest) -> NewCampaign {
    match parse(request) {
        Ok(campaign) => campaign,
        Err(problems) => panic!("expected a valid request, got {problems:#?}"),
    }
}

/// The (pointer, code) pairs of every problem, in the order found.
pub fn located(problems: &Problems) -> Vec<(String, ProblemCode)> {
    problems
        .iter()
        .map(|problem| (problem.pointer().to_string(), problem.code()))
        .collect()
}

/// (pointer, code) pairs written as a table, in the form [`located`] answers.
pub fn expected(problems: &[(&str, ProblemCode)]) -> Vec<(String, ProblemCode)> {
    problems
        .iter()
        .map(|(pointer, code)| ((*pointer).to_owned(), *code))
        .collect()
}

/// The (pointer, code) pairs of every problem of a campaign request, in the order found.
pub fn problems(request: &CampaignRequest) -> Vec<(String, ProblemCode)> {
    match parse(request) {
        Ok(_) => Vec::new(),
        Err(problems) => located(&problems),
    }
}

/// One row of a rule table: the rule's name, a request, and the (pointer, code) of every problem it
/// must yield (none: the request is valid).
pub type RuleRow<'a> = (&'a str, CampaignRequest, Vec<(&'a str, ProblemCode)>);

/// Checks a table of rule rows, reporting every failing row at once.
pub fn check_table(rows: Vec<RuleRow<'_>>) {
    let mut failures = Vec::new();
    for (rule, request, expected) in rows {
        let actual = problems(&request);
        let expected: Vec<(String, ProblemCode)> = expected
            .into_iter()
            .map(|(pointer, code)| (pointer.to_owned(), code))
            .collect();
        if actual != expected {
            failures.push(format!(
                "{rule}:\n  expected {expected:?}\n  got      {actual:?}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

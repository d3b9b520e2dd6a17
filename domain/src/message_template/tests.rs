use proptest::prelude::*;

use super::*;
use crate::lead_custom::{CustomNumber, CustomValue};
use crate::lead_request::LeadRequest;
use crate::problem::JsonPointer;
use crate::request::{ConditionRequest, ConditionalVariableRequest, MailboxRequest, StepRequest};
use crate::rules::Purpose;
use crate::sequence::{Sequence, SequenceRole, StepKind};

// ---- Builders ----------------------------------------------------------------------------------

fn ada_request() -> LeadRequest {
    LeadRequest {
        email: Some("Ada@Example.com".to_owned()),
        first_name: Some("Ada".to_owned()),
        last_name: Some("Lovelace".to_owned()),
        company_name: Some("Analytical Engines".to_owned()),
        job_title: Some("CTO".to_owned()),
        phone: Some("+44 20 7946 0000".to_owned()),
        linkedin_url: Some("https://www.linkedin.com/in/ada".to_owned()),
        website: Some("https://ae.example".to_owned()),
        city: Some("London".to_owned()),
        state: Some("Greater London".to_owned()),
        country: Some("gb".to_owned()),
        custom_fields: Some(vec![
            (
                "lastFunding".to_owned(),
                CustomValue::Text("Series B".to_owned()),
            ),
            (
                "seats".to_owned(),
                CustomValue::Number(CustomNumber::from(12_u64)),
            ),
            ("hiring".to_owned(), CustomValue::Boolean(true)),
            ("note".to_owned(), CustomValue::Text("   ".to_owned())),
        ]),
        ..LeadRequest::default()
    }
}

fn lead_of(request: &LeadRequest) -> LeadFields {
    LeadFields::parse(request, &JsonPointer::root()).expect("a valid test lead")
}

fn ada() -> LeadFields {
    lead_of(&ada_request())
}

fn sender_named(display_name: Option<&str>) -> MailboxFields {
    MailboxFields::parse(&MailboxRequest {
        email: Some("grace@sender.example".to_owned()),
        provider: Some("gmail".to_owned()),
        display_name: display_name.map(str::to_owned),
        ..MailboxRequest::default()
    })
    .expect("a valid test mailbox")
}

fn grace() -> MailboxFields {
    sender_named(Some("Grace Hopper"))
}

/// Always the first option.
fn first(_: usize) -> usize {
    0
}

/// The given choices in turn (then the first option).
fn choices(answers: &[usize]) -> impl FnMut(usize) -> usize + '_ {
    let mut next = answers.iter();
    move |_| next.next().copied().unwrap_or(0)
}

fn text(template: &str, variables: &MessageVariables<'_>) -> String {
    MessageTemplate::parse(template).render_text(variables, &mut first)
}

fn html(template: &str, variables: &MessageVariables<'_>) -> String {
    MessageTemplate::parse(template).render_html(variables, &mut first)
}

fn condition(field: &str, operator: &str, value: Option<&str>, then: &str) -> ConditionRequest {
    ConditionRequest {
        field: Some(field.to_owned()),
        operator: Some(operator.to_owned()),
        value: value.map(str::to_owned),
        then: Some(then.to_owned()),
    }
}

fn conditional(
    name: &str,
    conditions: Vec<ConditionRequest>,
    otherwise: &str,
) -> ConditionalVariableRequest {
    ConditionalVariableRequest {
        name: Some(name.to_owned()),
        conditions: Some(conditions),
        otherwise: Some(otherwise.to_owned()),
    }
}

/// An email step with these conditional variables, switched on or off.
fn step_with(variables: Vec<ConditionalVariableRequest>, in_use: bool) -> EmailStep {
    let request = StepRequest {
        kind: Some("email".to_owned()),
        subject: Some("Hello".to_owned()),
        body: Some("<p>Hello</p>".to_owned()),
        use_conditional_variables: Some(in_use),
        conditional_variables: Some(variables),
        ..StepRequest::default()
    };
    let sequence = Sequence::parse(
        &[request],
        SequenceRole::Main,
        Purpose::Create,
        &JsonPointer::root().field("sequence"),
    )
    .expect("a valid test step");
    match sequence.steps().first().map(|step| step.kind()) {
        Some(StepKind::Email(email)) => email.clone(),
        other => panic!("expected an email step, got {other:?}"),
    }
}

fn opener() -> Vec<ConditionalVariableRequest> {
    vec![conditional(
        "opener",
        vec![condition(
            "companyName",
            "has_value",
            None,
            "Loved what {{companyName}} ships",
        )],
        "Loved what your team ships",
    )]
}

// ---- Variables ---------------------------------------------------------------------------------

#[test]
fn every_variable_of_the_contract_renders_the_leads_or_senders_value() {
    let (lead, sender) = (ada(), grace());
    let variables = MessageVariables::for_lead(&lead, &sender);
    let cases = [
        ("firstName", "Ada"),
        ("lastName", "Lovelace"),
        ("email", "Ada@Example.com"),
        ("companyName", "Analytical Engines"),
        ("company", "Analytical Engines"),
        ("jobTitle", "CTO"),
        ("phone", "+44 20 7946 0000"),
        ("website", "https://ae.example"),
        ("linkedinUrl", "https://www.linkedin.com/in/ada"),
        ("city", "London"),
        ("state", "Greater London"),
        ("country", "GB"),
        ("senderName", "Grace Hopper"),
        ("senderEmail", "grace@sender.example"),
    ];
    for (name, expected) in cases {
        assert_eq!(
            text(&format!("{{{{{name}}}}}"), &variables),
            expected,
            "{name}"
        );
    }
}

#[test]
fn custom_fields_are_variables_rendered_as_written() {
    let (lead, sender) = (ada(), grace());
    let variables = MessageVariables::for_lead(&lead, &sender);
    assert_eq!(
        text(
            "{{lastFunding}}, {{seats}} seats, hiring: {{hiring}}",
            &variables
        ),
        "Series B, 12 seats, hiring: true"
    );
}

#[test]
fn variable_names_match_exactly_case_included() {
    let (lead, sender) = (ada(), grace());
    let variables = MessageVariables::for_lead(&lead, &sender);
    assert_eq!(text("[{{FirstName}}][{{lastfunding}}]", &variables), "[][]");
    assert_eq!(
        MessageTemplate::parse("{{FirstName}} {{lastfunding}}").missing_variables(&variables),
        ["FirstName", "lastfunding"]
    );
}

#[test]
fn a_blank_value_renders_its_fallback() {
    let mut request = ada_request();
    request.first_name = Some("   ".to_owned());
    request.city = Some(String::new());
    let (lead, sender) = (lead_of(&request), sender_named(None));
    let variables = MessageVariables::for_lead(&lead, &sender);
    let cases = [
        ("Hi {{firstName|there}}", "Hi there"),
        ("in {{city|your city}}", "in your city"),
        ("{{note|no note}}", "no note"),
        ("{{senderName|The team}}", "The team"),
        ("{{jobTitle|someone}}", "CTO"),
    ];
    for (template, expected) in cases {
        assert_eq!(text(template, &variables), expected, "{template}");
    }
}

#[test]
fn a_name_without_value_or_fallback_renders_empty() {
    let variables = MessageVariables::from_values(&[("blank", " ")]);
    assert_eq!(
        text("[{{unknown}}][{{blank}}][{{blank|}}]", &variables),
        "[][][]"
    );
}

#[test]
fn white_space_around_a_name_and_its_fallback_is_ignored() {
    let variables = MessageVariables::from_values(&[("firstName", "Ada")]);
    assert_eq!(
        text("{{ firstName }}/{{ lastName | friend }}", &variables),
        "Ada/friend"
    );
}

#[test]
fn values_are_html_escaped_in_the_html_part_only() {
    let value = r#"<b>Tom & "Jerry's"</b>"#;
    let variables = MessageVariables::from_values(&[("companyName", value)]);
    assert_eq!(
        html("<p>{{companyName}}</p>", &variables),
        "<p>&lt;b&gt;Tom &amp; &quot;Jerry&#39;s&quot;&lt;/b&gt;</p>"
    );
    assert_eq!(text("{{companyName}}", &variables), value);
}

#[test]
fn a_value_in_an_attribute_cannot_leave_its_quotes() {
    let variables = MessageVariables::from_values(&[("website", "x\" onclick=\"alert(1)")]);
    assert_eq!(
        html(r#"<a href="{{website}}">site</a>"#, &variables),
        r#"<a href="x&quot; onclick=&quot;alert(1)">site</a>"#
    );
}

#[test]
fn line_breaks_in_a_value_become_br_in_the_html_part_only() {
    let variables = MessageVariables::from_values(&[("pitch", "one\r\ntwo\rthree\nfour")]);
    assert_eq!(html("{{pitch}}", &variables), "one<br>two<br>three<br>four");
    assert_eq!(text("{{pitch}}", &variables), "one\r\ntwo\rthree\nfour");
}

#[test]
fn template_text_and_fallbacks_are_copied_as_written_in_both_parts() {
    // The body was sanitised when stored: its text is HTML already, and escaping it again would
    // show `&amp;amp;`.
    let variables = MessageVariables::from_values(&[]);
    let template = "<p>Tom &amp; Jerry, {{who|Smith &amp; Co}}</p>";
    assert_eq!(
        html(template, &variables),
        "<p>Tom &amp; Jerry, Smith &amp; Co</p>"
    );
    assert_eq!(
        text(template, &variables),
        "<p>Tom &amp; Jerry, Smith &amp; Co</p>"
    );
}

// ---- Spintax -----------------------------------------------------------------------------------

#[test]
fn spintax_picks_one_option_per_message() {
    let template = MessageTemplate::parse("{Hi|Hello|Hey} there");
    let variables = MessageVariables::from_values(&[]);
    let mut asked = Vec::new();
    let mut chooser = |count: usize| {
        asked.push(count);
        2
    };
    assert_eq!(template.render_text(&variables, &mut chooser), "Hey there");
    assert_eq!(asked, [3], "one choice among the three options");
    for (answer, expected) in [(0, "Hi there"), (1, "Hello there")] {
        assert_eq!(
            template.render_text(&variables, &mut |_: usize| answer),
            expected
        );
    }
}

#[test]
fn each_spintax_group_is_chosen_on_its_own() {
    let template = MessageTemplate::parse("{a|b} {c|d} {a|b}");
    let variables = MessageVariables::from_values(&[]);
    assert_eq!(
        template.render_text(&variables, &mut choices(&[1, 0, 0])),
        "b c a"
    );
}

#[test]
fn spintax_options_may_hold_variables_and_nested_spintax() {
    let variables = MessageVariables::from_values(&[("firstName", "Ada")]);
    let template = MessageTemplate::parse("{Hi {{firstName}}|{Hello|Hey} {{lastName|there}}}!");
    assert_eq!(
        template.render_text(&variables, &mut choices(&[0])),
        "Hi Ada!"
    );
    assert_eq!(
        template.render_text(&variables, &mut choices(&[1, 1])),
        "Hey there!"
    );
}

#[test]
fn a_choice_out_of_range_wraps_around_instead_of_panicking() {
    let variables = MessageVariables::from_values(&[]);
    let template = MessageTemplate::parse("{a|b|c}");
    assert_eq!(template.render_text(&variables, &mut |_: usize| 4), "b");
    assert_eq!(
        template.render_text(&variables, &mut |_: usize| usize::MAX),
        "a"
    );
}

#[test]
fn spintax_deeper_than_the_limit_renders_literally() {
    let variables = MessageVariables::from_values(&[]);
    let deepest = "{a|b}";
    let mut template = deepest.to_owned();
    for _ in 1..MAX_SPINTAX_DEPTH {
        template = format!("{{{template}|x}}");
    }
    assert_eq!(
        text(&template, &variables),
        "a",
        "{MAX_SPINTAX_DEPTH} levels"
    );
    let too_deep = format!("{{{template}|x}}");
    assert_eq!(
        text(&too_deep, &variables),
        "{a|b}",
        "one level more: the innermost group is text"
    );
}

#[test]
fn malformed_braces_render_literally() {
    let variables = MessageVariables::from_values(&[("firstName", "Ada")]);
    let cases = [
        ("{{firstName}", "{{firstName}"),
        ("{{firstName", "{{firstName"),
        ("firstName}}", "firstName}}"),
        ("{{first name}}", "{{first name}}"),
        ("{{}}", "{{}}"),
        ("{{1st}}", "{{1st}}"),
        ("{a|b", "{a|b"),
        ("a|b}", "a|b}"),
        ("{like this}", "{like this}"),
        ("{}", "{}"),
        ("{\"json\": {\"a\": 1}}", "{\"json\": {\"a\": 1}}"),
        ("x | y", "x | y"),
        ("{a|{b}", "{a|{b}"),
        ("{x {a|b}", "{x a"),
        ("{ {{firstName}} }", "{ Ada }"),
        ("{{{firstName}}}", "{Ada}"),
        ("}{", "}{"),
    ];
    for (template, expected) in cases {
        assert_eq!(text(template, &variables), expected, "{template}");
    }
}

// ---- Missing variables -------------------------------------------------------------------------

#[test]
fn missing_variables_are_the_names_that_would_render_empty_each_once_in_order() {
    let mut request = ada_request();
    request.city = None;
    request.job_title = Some(" ".to_owned());
    let (lead, sender) = (lead_of(&request), sender_named(None));
    let variables = MessageVariables::for_lead(&lead, &sender);
    let template = MessageTemplate::parse(
        "{{firstName}} {{city}} {{jobTitle}} {{city}} {{senderName}} {{nope|fine}} {{note}} {{x|}}",
    );
    assert_eq!(
        template.missing_variables(&variables),
        ["city", "jobTitle", "senderName", "note"]
    );
}

#[test]
fn missing_variables_look_into_every_spintax_option() {
    let variables = MessageVariables::from_values(&[("firstName", "Ada")]);
    let template =
        MessageTemplate::parse("{Hi {{firstName}}|Hello {{lastName}}|{Hey|Yo} {{city}}}");
    assert_eq!(template.missing_variables(&variables), ["lastName", "city"]);
}

// ---- Conditional variables ---------------------------------------------------------------------

#[test]
fn a_conditional_variable_takes_the_text_of_its_first_condition_that_holds() {
    let step = step_with(
        vec![conditional(
            "opener",
            vec![
                condition("city", "equals", Some("Paris"), "Bonjour"),
                condition(
                    "companyName",
                    "has_value",
                    None,
                    "Loved what {{companyName}} ships",
                ),
                condition("firstName", "has_value", None, "never reached"),
            ],
            "Loved what your team ships",
        )],
        true,
    );
    let (lead, sender) = (ada(), grace());
    let variables = MessageVariables::for_lead(&lead, &sender).with_conditional_variables(&step);
    assert_eq!(
        text("{{opener}}, {{firstName}}", &variables),
        "Loved what Analytical Engines ships, Ada"
    );
}

#[test]
fn a_conditional_variable_takes_else_when_no_condition_holds() {
    let step = step_with(opener(), true);
    let mut request = ada_request();
    request.company_name = None;
    let (lead, sender) = (lead_of(&request), grace());
    let variables = MessageVariables::for_lead(&lead, &sender).with_conditional_variables(&step);
    assert_eq!(
        text("{{opener}}.", &variables),
        "Loved what your team ships."
    );
}

#[test]
fn conditions_compare_trimmed_values_ignoring_case() {
    let mut request = ada_request();
    request.city = Some("  LONDON ".to_owned());
    let (lead, sender) = (lead_of(&request), grace());
    let cases = [
        ("city", "has_value", None, true),
        ("city", "no_value", None, false),
        ("state", "has_value", None, true),
        ("phone", "no_value", None, false),
        ("unknownField", "no_value", None, true),
        ("unknownField", "has_value", None, false),
        ("note", "no_value", None, true),
        ("city", "equals", Some("london"), true),
        ("city", "equals", Some(" London  "), true),
        ("city", "equals", Some("Lond"), false),
        ("city", "not_equals", Some("london"), false),
        ("city", "not_equals", Some("Paris"), true),
        ("city", "contains", Some("ond"), true),
        ("city", "contains", Some("paris"), false),
        ("city", "not_contains", Some("OND"), false),
        ("city", "not_contains", Some("paris"), true),
        ("lastFunding", "contains", Some("series"), true),
        ("seats", "equals", Some("12"), true),
        ("country", "equals", Some("gb"), true),
        ("senderName", "contains", Some("grace"), true),
        ("unknownField", "not_equals", Some("x"), true),
    ];
    for (field, operator, value, holds) in cases {
        let step = step_with(
            vec![conditional(
                "result",
                vec![condition(field, operator, value, "held")],
                "not held",
            )],
            true,
        );
        let variables =
            MessageVariables::for_lead(&lead, &sender).with_conditional_variables(&step);
        let expected = if holds { "held" } else { "not held" };
        assert_eq!(
            text("{{result}}", &variables),
            expected,
            "{field} {operator} {value:?}"
        );
    }
}

#[test]
fn conditional_variables_are_unused_while_the_step_turns_them_off() {
    let step = step_with(opener(), false);
    let (lead, sender) = (ada(), grace());
    let variables = MessageVariables::for_lead(&lead, &sender).with_conditional_variables(&step);
    assert_eq!(text("[{{opener|none}}]", &variables), "[none]");
}

#[test]
fn a_conditional_variable_comes_before_a_lead_field_of_the_same_name() {
    let step = step_with(
        vec![conditional(
            "firstName",
            vec![condition("city", "equals", Some("London"), "Londoner")],
            "friend",
        )],
        true,
    );
    let (lead, sender) = (ada(), grace());
    let variables = MessageVariables::for_lead(&lead, &sender).with_conditional_variables(&step);
    assert_eq!(text("Hi {{firstName}}", &variables), "Hi Londoner");
}

#[test]
fn a_conditional_variables_text_is_a_value_escaped_in_the_html_part() {
    let step = step_with(
        vec![conditional(
            "opener",
            vec![condition(
                "companyName",
                "has_value",
                None,
                "<b>{{companyName}}</b> & co",
            )],
            "",
        )],
        true,
    );
    let mut request = ada_request();
    request.company_name = Some("A&B".to_owned());
    let (lead, sender) = (lead_of(&request), grace());
    let variables = MessageVariables::for_lead(&lead, &sender).with_conditional_variables(&step);
    assert_eq!(
        html("<p>{{opener}}</p>", &variables),
        "<p>&lt;b&gt;A&amp;B&lt;/b&gt; &amp; co</p>"
    );
    assert_eq!(text("{{opener}}", &variables), "<b>A&B</b> & co");
}

#[test]
fn a_conditional_variables_text_may_use_spintax_and_fallbacks_but_no_conditional_variable() {
    let step = step_with(
        vec![
            conditional(
                "greeting",
                vec![condition(
                    "firstName",
                    "has_value",
                    None,
                    "{Hi|Hello} {{firstName}}",
                )],
                "Hello",
            ),
            conditional(
                "loop",
                vec![condition(
                    "firstName",
                    "has_value",
                    None,
                    "[{{loop|no loop}} {{greeting}}]",
                )],
                "",
            ),
        ],
        true,
    );
    let (lead, sender) = (ada(), grace());
    let variables = MessageVariables::for_lead(&lead, &sender).with_conditional_variables(&step);
    let template = MessageTemplate::parse("{{greeting}} {{loop}}");
    assert_eq!(
        template.render_text(&variables, &mut choices(&[1])),
        "Hello Ada [no loop ]"
    );
}

#[test]
fn a_blank_conditional_text_renders_the_fallback_and_counts_as_missing() {
    let step = step_with(
        vec![conditional(
            "opener",
            vec![condition(
                "city",
                "equals",
                Some("Paris"),
                "In {{city}} {{region}}",
            )],
            " ",
        )],
        true,
    );
    let (lead, sender) = (ada(), grace());
    let variables = MessageVariables::for_lead(&lead, &sender).with_conditional_variables(&step);
    assert_eq!(text("{{opener|Hello}}", &variables), "Hello");
    assert_eq!(
        MessageTemplate::parse("{{opener}} {{opener|x}}").missing_variables(&variables),
        ["opener"]
    );

    let mut request = ada_request();
    request.city = Some("Paris".to_owned());
    let parisian = lead_of(&request);
    let variables =
        MessageVariables::for_lead(&parisian, &sender).with_conditional_variables(&step);
    assert_eq!(
        MessageTemplate::parse("{{opener}}").missing_variables(&variables),
        ["region"],
        "the names of the text it takes are checked"
    );
}

// ---- Headers -----------------------------------------------------------------------------------

#[test]
fn a_carriage_return_in_a_value_never_reaches_a_header() {
    let variables =
        MessageVariables::from_values(&[("pitch", "Hello\r\nBcc: victim@example.com\r\n\r\nbody")]);
    let subject = MessageTemplate::parse("About {{pitch}}").render_header(&variables, &mut first);
    assert_eq!(subject, "About Hello Bcc: victim@example.com body");
    assert!(!subject.contains(['\r', '\n']));
}

#[test]
fn header_safe_turns_each_run_of_controls_and_spaces_into_one_space() {
    let cases = [
        ("plain", "plain"),
        ("a\r\nb", "a b"),
        ("a\nb\rc", "a b c"),
        ("a\t\t b", "a b"),
        ("a\0b\u{7f}c\u{85}d\u{9b}e", "a b c d e"),
        ("a\u{2028}b\u{2029}c", "a b c"),
        ("  \r\n padded \n ", "padded"),
        ("\u{1}\u{2}", ""),
        ("Zoë 👋", "Zoë 👋"),
    ];
    for (value, expected) in cases {
        assert_eq!(header_safe(value), expected, "{value:?}");
    }
}

// ---- Text part ---------------------------------------------------------------------------------

#[test]
fn blocks_and_breaks_become_lines_in_the_text_part() {
    let cases = [
        ("<p>One</p><p>Two</p>", "One\n\nTwo"),
        ("<p>One<br>Two<br/>Three</p>", "One\nTwo\nThree"),
        ("<div>One</div><div>Two</div>", "One\nTwo"),
        ("<h1>Title</h1>Text", "Title\n\nText"),
        (
            "<blockquote>Quoted</blockquote><p>After</p>",
            "Quoted\n\nAfter",
        ),
        ("<p>One</p><p></p><p></p><p>Two</p>", "One\n\nTwo"),
        ("<p>One</p><p><br></p><p>Two</p>", "One\n\nTwo"),
    ];
    for (html, expected) in cases {
        assert_eq!(text_part_from_html(html), expected, "{html}");
    }
}

#[test]
fn list_items_become_bulleted_or_numbered_lines() {
    assert_eq!(
        text_part_from_html("<p>Why:</p><ul><li>fast</li><li>cheap</li></ul><p>End</p>"),
        "Why:\n\n- fast\n- cheap\n\nEnd"
    );
    assert_eq!(
        text_part_from_html(
            "<ol><li>one</li><li>two<ul><li>inner</li></ul></li><li>three</li></ol>"
        ),
        "1. one\n2. two\n  - inner\n3. three"
    );
    assert_eq!(
        text_part_from_html(
            "<ul><li><p>fast</p></li><li><p>cheap</p><p>and good</p></li><li></li></ul><p>End</p>"
        ),
        "- fast\n- cheap\nand good\n-\n\nEnd",
        "TipTap puts a paragraph in each item"
    );
}

#[test]
fn links_read_as_text_then_url_in_the_text_part() {
    let cases = [
        (
            r#"<p>See <a href="https://ae.example/demo">our demo</a>.</p>"#,
            "See our demo (https://ae.example/demo).",
        ),
        (
            r#"<a href="https://ae.example">https://ae.example</a>"#,
            "https://ae.example",
        ),
        (
            r#"<a href="mailto:ada@ae.example">ada@ae.example</a>"#,
            "ada@ae.example",
        ),
        (
            r#"<a href="https://x.example/?a=1&amp;b=2">x</a>"#,
            "x (https://x.example/?a=1&b=2)",
        ),
        (
            r#"<a HREF='https://x.example'><strong>bold</strong> link</a>"#,
            "bold link (https://x.example)",
        ),
        (r#"<a href="https://x.example"></a>"#, "https://x.example"),
        ("<a>no href</a>", "no href"),
    ];
    for (html, expected) in cases {
        assert_eq!(text_part_from_html(html), expected, "{html}");
    }
}

#[test]
fn entities_are_decoded_in_the_text_part() {
    assert_eq!(
        text_part_from_html(
            "<p>Tom &amp; Jerry &lt;3 &quot;q&quot; &#39;s&#x27; a&nbsp;b &mdash; &hellip; &#128075;</p>"
        ),
        "Tom & Jerry <3 \"q\" 's' a b — … 👋"
    );
    assert_eq!(
        text_part_from_html("&unknown; &amp &#; &#xZZ; &#0; &#99999999999; 5 < 6 & 7"),
        "&unknown; &amp &#; &#xZZ; \u{fffd} \u{fffd} 5 < 6 & 7"
    );
}

#[test]
fn markup_without_text_is_dropped_and_white_space_tidied_in_the_text_part() {
    let cases = [
        ("<p>  Hello \n   <b>world</b>  </p>", "Hello world"),
        ("<p>a<!-- hidden --> b</p>", "a b"),
        (
            "<script>alert(1)</script><style>p{}</style><p>shown</p>",
            "shown",
        ),
        ("<SCRIPT>x</sCrIpT>after", "after"),
        ("<p>a</p>   \n  <p>b</p>", "a\n\nb"),
        ("<p>a</p><pre>  keep\n  this</pre>", "a\n\n  keep\n  this"),
        ("<!doctype html><span>in</span>line", "inline"),
        ("a <b", "a"),
        ("<p>cut", "cut"),
        ("", ""),
    ];
    for (html, expected) in cases {
        assert_eq!(text_part_from_html(html), expected, "{html}");
    }
}

#[test]
fn the_text_part_shows_values_as_the_lead_wrote_them() {
    let variables = MessageVariables::from_values(&[
        ("companyName", "Smith & <Sons>"),
        ("pitch", "line one\nline two"),
    ]);
    let body = html("<p>Dear {{companyName}},</p><p>{{pitch}}</p>", &variables);
    assert_eq!(
        text_part_from_html(&body),
        "Dear Smith & <Sons>,\n\nline one\nline two"
    );
}

#[test]
fn a_stored_body_renders_into_an_html_part_and_its_text_part() {
    let body = crate::body::EmailBody::parse(
        "Hi {{firstName|there}},\n\n{We saw|Saw} {{company}} is hiring: <{{website}}>.\n{Cheers|Best},\n{{senderName}}",
    )
    .expect("a valid body");
    let (lead, sender) = (ada(), grace());
    let variables = MessageVariables::for_lead(&lead, &sender);
    let template = MessageTemplate::parse(body.as_str());
    let html = template.render_html(&variables, &mut choices(&[1, 0]));
    assert_eq!(
        html,
        "<p>Hi Ada,</p><p>Saw Analytical Engines is hiring: &lt;https://ae.example&gt;.<br>Cheers,<br>Grace Hopper</p>"
    );
    assert_eq!(
        text_part_from_html(&html),
        "Hi Ada,\n\nSaw Analytical Engines is hiring: <https://ae.example>.\nCheers,\nGrace Hopper"
    );

    let linked =
        crate::body::EmailBody::parse(r#"<p>See <a href="{{website}}">{{company}}</a></p>"#)
            .expect("a valid body");
    let html = MessageTemplate::parse(linked.as_str()).render_html(&variables, &mut first);
    assert_eq!(
        html,
        r#"<p>See <a href="https://ae.example">Analytical Engines</a></p>"#
    );
    assert_eq!(
        text_part_from_html(&html),
        "See Analytical Engines (https://ae.example)"
    );
}

// ---- Properties --------------------------------------------------------------------------------

/// Templates made mostly of the characters the parser cares about.
fn template_text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[{}|a-c _<>&\"'\r\n]{0,40}",
        "(\\{\\{ ?[a-c]{1,3} ?(\\|[a-z ]{0,4})?\\}\\}|\\{|\\}|\\||[a-c ]{1,3}){0,20}",
        any::<String>(),
    ]
}

proptest! {
    #[test]
    fn rendering_never_panics_on_arbitrary_templates_and_values(
        template in template_text(),
        values in proptest::collection::vec(("[a-c]{1,3}", any::<String>()), 0..4),
        answers in proptest::collection::vec(any::<usize>(), 0..8),
    ) {
        let pairs: Vec<(&str, &str)> =
            values.iter().map(|(name, value)| (name.as_str(), value.as_str())).collect();
        let variables = MessageVariables::from_values(&pairs);
        let parsed = MessageTemplate::parse(&template);
        let rendered = parsed.render_html(&variables, &mut choices(&answers));
        parsed.render_text(&variables, &mut choices(&answers));
        let header = parsed.render_header(&variables, &mut choices(&answers));
        parsed.missing_variables(&variables);
        text_part_from_html(&rendered);
        prop_assert!(!header.chars().any(char::is_control));
    }

    #[test]
    fn header_safe_output_never_holds_a_control_character(value in any::<String>()) {
        let safe = header_safe(&value);
        prop_assert!(!safe.chars().any(char::is_control), "{:?}", safe);
        prop_assert!(!safe.starts_with(' ') && !safe.ends_with(' '));
        prop_assert!(!safe.contains("  "));
    }

    #[test]
    fn a_value_adds_no_markup_to_the_html_part_but_line_breaks(value in any::<String>()) {
        let variables = MessageVariables::from_values(&[("v", &value)]);
        let rendered = html("{{v}}", &variables);
        let without_breaks = rendered.replace("<br>", "");
        prop_assert!(!without_breaks.contains(['<', '>', '"', '\'']), "{:?}", rendered);
    }

    #[test]
    fn text_without_braces_or_bars_renders_as_itself(template in "[^{}|]{0,60}") {
        let variables = MessageVariables::from_values(&[]);
        prop_assert_eq!(text(&template, &variables), template.clone());
        prop_assert_eq!(html(&template, &variables), template);
    }

    #[test]
    fn the_text_part_never_panics(html in any::<String>()) {
        text_part_from_html(&html);
    }

    #[test]
    fn the_text_part_never_panics_on_tag_soup(html in "(<[a-z/!]{0,3}[ a-z=\"'&#;x0-9]{0,6}>?|&[a-z#x0-9]{0,5};?|[a-z \n]{0,3}){0,20}") {
        text_part_from_html(&html);
    }
}

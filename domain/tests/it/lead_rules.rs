//! LEADS.md through the domain's public surface, the way the api and the use cases will call it.

use std::collections::HashSet;

use domain::dnc::{DncBatch, DncKind, dnc_keys_of};
use domain::enrolment::{ActionOutcome, EnrolmentStatus, LeadAction, LeadCounts, StopReason};
use domain::lead::LeadFields;
use domain::lead_custom::{CustomNumber, CustomValue};
use domain::lead_field::{LeadField, LeadMember};
use domain::lead_import::{CsvColumns, CsvMapping, ImportOptions, OnDuplicate};
use domain::lead_request::{DncEntryRequest, DncRequest, LeadRequest};
use domain::problem::JsonPointer;
use domain::status::CampaignStatus;
use domain::values::EmailAddress;

/// A bulk lead object as the api sees it: member name and JSON value, in body order.
enum Json {
    Text(&'static str),
    Number(&'static str),
}

/// What the api's mapping of one bulk object does: standard members by exact name, the rest custom.
fn bulk_object(members: &[(&str, Json)]) -> LeadRequest {
    let mut request = LeadRequest::default();
    for (key, value) in members {
        match (LeadMember::of(key), value) {
            (LeadMember::Standard(LeadField::Email), Json::Text(text)) => {
                request.email = Some((*text).to_owned())
            }
            (LeadMember::Standard(field), Json::Text(text)) => {
                let text_field = field.text().expect("only text members in this test");
                *request.text_mut(text_field) = Some((*text).to_owned());
            }
            (LeadMember::Custom, Json::Text(text)) => request
                .extra_fields
                .push(((*key).to_owned(), CustomValue::Text((*text).to_owned()))),
            (LeadMember::Custom, Json::Number(number)) => request.extra_fields.push((
                (*key).to_owned(),
                CustomValue::Number(CustomNumber::parse(number).expect("JSON number")),
            )),
            (LeadMember::Standard(_), Json::Number(_)) => unreachable!("the edge refuses it"),
        }
    }
    request
}

#[test]
fn bulk_object_members_that_are_not_standard_fields_become_custom_fields() {
    let request = bulk_object(&[
        ("email", Json::Text("ada@acme.com")),
        ("firstName", Json::Text("Ada")),
        ("lastFunding", Json::Text("Series B")),
        ("employees", Json::Number("120")),
    ]);
    let options = ImportOptions::parse(None, None, None, &JsonPointer::root()).expect("defaults");
    let at = JsonPointer::root().field("leads").index(0);
    let lead = options.lead(request, &at).expect("valid");
    assert_eq!(lead.first_name(), Some("Ada"));
    let custom: Vec<(String, String)> = lead
        .custom_fields()
        .iter()
        .map(|(key, value)| (key.to_string(), value.rendered().into_owned()))
        .collect();
    assert_eq!(
        custom,
        [
            ("lastFunding".to_owned(), "Series B".to_owned()),
            ("employees".to_owned(), "120".to_owned()),
        ]
    );

    let mistyped = bulk_object(&[
        ("email", Json::Text("ada@acme.com")),
        ("FirstName", Json::Text("Ada")),
    ]);
    let pointers: Vec<String> = options
        .lead(mistyped, &at)
        .expect_err("a custom field cannot take a standard name")
        .iter()
        .map(|problem| problem.pointer().to_string())
        .collect();
    assert_eq!(pointers, ["/leads/0/FirstName"]);
}

#[test]
fn a_csv_import_updates_a_known_lead_when_duplicates_are_not_skipped() {
    let headers: Vec<String> = ["E-mail", "First Name", "Company", "Tags", "Notes"]
        .iter()
        .map(|header| (*header).to_owned())
        .collect();
    let mapping_at = JsonPointer::root().field("mapping");
    let mapping = CsvMapping::parse(
        &[("Notes".to_owned(), "customFields.icebreaker".to_owned())],
        &mapping_at,
    )
    .expect("valid mapping");
    let columns = CsvColumns::resolve(
        &headers,
        Some(&mapping),
        &JsonPointer::root().field("file"),
        &mapping_at,
    )
    .expect("valid header");
    let options = ImportOptions::parse(
        Some(false),
        Some(true),
        Some("csv-june"),
        &JsonPointer::root(),
    )
    .expect("valid options");
    assert_eq!(options.on_duplicate(), OnDuplicate::Update);

    let row = columns
        .row_request(&[
            " ADA@Acme.COM ",
            "  Ada   Augusta ",
            "",
            "EU, fintech",
            "Loved the talk",
        ])
        .expect("as many cells as headers");
    let incoming = options.lead(row, &JsonPointer::root()).expect("valid row");
    assert_eq!(incoming.email().as_str(), "ADA@acme.com");

    let stored = LeadFields::parse(
        &LeadRequest {
            email: Some("ada@acme.com".to_owned()),
            company_name: Some("Analytical Engines".to_owned()),
            tags: Some(vec!["Fintech".to_owned()]),
            ..LeadRequest::default()
        },
        &JsonPointer::root(),
    )
    .expect("stored lead");
    assert_eq!(stored.email_key(), incoming.email_key(), "the same lead");
    let updated = stored
        .merged_with(&incoming, &JsonPointer::root())
        .expect("fits");
    assert_eq!(updated.first_name(), Some("Ada Augusta"));
    assert_eq!(updated.company_name(), Some("Analytical Engines"));
    assert_eq!(updated.tags(), ["Fintech", "EU", "csv-june"]);
    assert_eq!(
        updated.custom_fields().get("icebreaker"),
        Some(&CustomValue::Text("Loved the talk".to_owned()))
    );
}

#[test]
fn the_engine_finds_a_block_by_looking_up_the_keys_of_an_address() {
    let batch = DncBatch::parse(&DncRequest {
        entries: Some(vec![
            DncEntryRequest::Plain("Bob@Example.org".to_owned()),
            DncEntryRequest::Plain("acme.com".to_owned()),
        ]),
        ..DncRequest::default()
    })
    .expect("valid request");
    // What an adapter's unique index on (kind, value) holds.
    let index: HashSet<(DncKind, String)> = batch
        .entries()
        .iter()
        .map(|item| item.entry.as_ref().expect("valid entry"))
        .map(|entry| (entry.kind(), entry.value().to_owned()))
        .collect();
    let blocked = |raw: &str| {
        let keys = dnc_keys_of(&EmailAddress::parse(raw).expect("address"));
        index.contains(&(DncKind::Email, keys.email().to_owned()))
            || keys
                .domains()
                .iter()
                .any(|domain| index.contains(&(DncKind::Domain, domain.clone())))
    };
    assert!(blocked("bob@example.org"));
    assert!(blocked("ada@eu.mail.ACME.com"));
    assert!(!blocked("ada@notacme.com"));
    assert!(!blocked("alice@example.org"));
}

#[test]
fn an_enrolment_moves_from_pending_to_stopped_and_the_counts_follow() {
    let mut statuses =
        vec![EnrolmentStatus::for_new_enrolment(CampaignStatus::Draft).expect("not archived"); 3];
    assert_eq!(statuses[0], EnrolmentStatus::Pending);
    for status in &mut statuses {
        *status = status.on_campaign_activated();
    }
    assert_eq!(
        statuses[0].after_action(LeadAction::Pause, 1),
        ActionOutcome::Becomes(EnrolmentStatus::Paused)
    );
    statuses[0] = EnrolmentStatus::Paused;
    let stop = statuses[1].stopped(StopReason::Dnc).expect("active stops");
    statuses[1] = stop.status;
    assert_eq!(statuses[1], EnrolmentStatus::Completed);
    let counts: LeadCounts = statuses.iter().copied().collect();
    assert_eq!(
        (
            counts.total(),
            counts.active(),
            counts.paused(),
            counts.completed()
        ),
        (3, 1, 1, 1)
    );
}

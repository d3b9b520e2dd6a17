//! The bulk writer against a mocked repository: duplicates within a batch and against stored leads,
//! both duplicate rules, bad entries, and the race with a concurrent insert.

use std::sync::{Arc, Mutex};

use chrono::{TimeZone, Utc};
use domain::id::{LeadId, ObjectId, UserId, WorkspaceId};
use domain::lead::{Lead, LeadFields};
use domain::lead_import::{BulkEntry, ImportOptions};
use domain::lead_request::LeadRequest;
use domain::problem::JsonPointer;

use super::{ImportLeads, ImportTally};
use crate::ports::{BatchWritten, MockClock, MockIdGenerator, MockLeadRepository};
use crate::tenancy::Tenancy;

fn tenancy() -> Tenancy {
    Tenancy {
        workspace_id: WorkspaceId::from(ObjectId::from_parts(1_000, [1; 5], 1)),
        user_id: UserId::from(ObjectId::from_parts(2_000, [1; 5], 1)),
    }
}

fn options(skip_duplicates: bool) -> ImportOptions {
    ImportOptions::parse(
        Some(skip_duplicates),
        Some(true),
        None,
        &JsonPointer::root(),
    )
    .expect("valid")
}

fn request(email: &str, first_name: Option<&str>, tags: &[&str]) -> LeadRequest {
    LeadRequest {
        email: Some(email.to_owned()),
        first_name: first_name.map(str::to_owned),
        tags: Some(tags.iter().map(|tag| (*tag).to_owned()).collect()),
        ..LeadRequest::default()
    }
}

fn entries(options: &ImportOptions, requests: Vec<LeadRequest>) -> Vec<BulkEntry> {
    requests
        .into_iter()
        .enumerate()
        .map(|(index, request)| BulkEntry {
            index,
            given_email: request.email.clone(),
            lead: options.lead(request, &JsonPointer::root().field("leads").index(index)),
        })
        .collect()
}

fn stored(n: u32, request: LeadRequest) -> Lead {
    Lead::create(
        LeadId::from(ObjectId::from_parts(3_000, [1; 5], n)),
        tenancy().workspace_id,
        LeadFields::parse(&request, &JsonPointer::root()).expect("valid"),
        Utc.timestamp_opt(1_700_000_000, 0)
            .single()
            .expect("a time"),
    )
}

/// What the repository was asked to write, batch by batch: (inserts, updates).
type Writes = Arc<Mutex<Vec<(Vec<Lead>, Vec<Lead>)>>>;

fn importer(repository: MockLeadRepository) -> ImportLeads {
    let mut clock = MockClock::new();
    clock.expect_now().returning(|| {
        Utc.timestamp_opt(1_800_000_000, 0)
            .single()
            .expect("a time")
    });
    let counter = Arc::new(Mutex::new(0u32));
    let mut ids = MockIdGenerator::new();
    ids.expect_new_id().returning(move || {
        let mut next = counter.lock().expect("lock");
        *next += 1;
        ObjectId::from_parts(4_000, [2; 5], *next)
    });
    ImportLeads {
        leads: Arc::new(repository),
        clock: Arc::new(clock),
        ids: Arc::new(ids),
    }
}

/// A repository holding `existing`, writing everything it is asked to (recorded in `writes`).
fn repository(existing: Vec<Lead>, writes: &Writes) -> MockLeadRepository {
    let mut repository = MockLeadRepository::new();
    repository
        .expect_find_by_email_keys()
        .times(1)
        .returning(move |_, keys| {
            Ok(existing
                .iter()
                .filter(|lead| keys.contains(&lead.fields().email_key()))
                .cloned()
                .collect())
        });
    let writes = Arc::clone(writes);
    repository
        .expect_write_batch()
        .times(1)
        .returning(move |_, inserts, updates| {
            let written = BatchWritten {
                inserted: inserts.iter().map(Lead::id).collect(),
                updated: updates.iter().map(Lead::id).collect(),
            };
            writes.lock().expect("lock").push((inserts, updates));
            Ok(written)
        });
    repository
}

#[tokio::test]
async fn skip_duplicates_skips_repeats_within_the_batch_and_stored_emails_and_reports_bad_entries()
{
    let options = options(true);
    let writes = Writes::default();
    let existing = vec![stored(1, request("grace@example.com", Some("Grace"), &[]))];
    let batch = entries(
        &options,
        vec![
            request("ada@example.com", Some("Ada"), &[]),
            request("ADA@example.com", Some("Augusta"), &[]),
            request("Grace@example.com", Some("G"), &[]),
            request("not an address", None, &[]),
        ],
    );
    let tally = importer(repository(existing, &writes))
        .import_batch(tenancy(), &options, batch)
        .await
        .expect("imported");
    assert_eq!(
        (tally.imported, tally.updated, tally.skipped, tally.failed),
        (1, 0, 2, 1)
    );
    assert_eq!(tally.errors.len(), 1);
    assert_eq!(tally.errors[0].index, 3);
    assert_eq!(tally.errors[0].email.as_deref(), Some("not an address"));
    assert!(
        tally.errors[0].error.contains("/leads/3/email"),
        "{}",
        tally.errors[0].error
    );
    let writes = writes.lock().expect("lock");
    let (inserts, updates) = &writes[0];
    assert_eq!(inserts.len(), 1);
    assert_eq!(inserts[0].fields().first_name(), Some("Ada"));
    assert_eq!(tally.imported_lead_ids, vec![inserts[0].id()]);
    assert!(updates.is_empty());
}

#[tokio::test]
async fn without_skip_duplicates_repeats_merge_and_stored_leads_are_updated() {
    let options = options(false);
    let writes = Writes::default();
    let existing = vec![stored(
        1,
        request("grace@example.com", Some("Grace"), &["old"]),
    )];
    let batch = entries(
        &options,
        vec![
            request("ada@example.com", Some("Ada"), &["a"]),
            request("ADA@example.com", None, &["b"]),
            request("grace@example.com", None, &["new"]),
        ],
    );
    let tally = importer(repository(existing, &writes))
        .import_batch(tenancy(), &options, batch)
        .await
        .expect("imported");
    assert_eq!(
        (tally.imported, tally.updated, tally.skipped, tally.failed),
        (1, 2, 0, 0)
    );
    let writes = writes.lock().expect("lock");
    let (inserts, updates) = &writes[0];
    assert_eq!(
        inserts[0].fields().first_name(),
        Some("Ada"),
        "a sparse repeat keeps the name"
    );
    assert_eq!(inserts[0].fields().tags(), ["a", "b"]);
    assert_eq!(updates[0].fields().first_name(), Some("Grace"));
    assert_eq!(updates[0].fields().tags(), ["old", "new"]);
}

#[tokio::test]
async fn an_email_a_concurrent_writer_stored_first_is_looked_up_again_and_skipped() {
    let options = options(true);
    let mut repository = MockLeadRepository::new();
    let mut lookups = 0;
    repository
        .expect_find_by_email_keys()
        .times(2)
        .returning(move |_, _| {
            lookups += 1;
            Ok(if lookups == 1 {
                Vec::new()
            } else {
                vec![stored(9, request("ada@example.com", None, &[]))]
            })
        });
    repository
        .expect_write_batch()
        .times(1)
        .returning(|_, _, _| Ok(BatchWritten::default()));
    let batch = entries(&options, vec![request("ada@example.com", None, &[])]);
    let tally = importer(repository)
        .import_batch(tenancy(), &options, batch)
        .await
        .expect("imported");
    assert_eq!((tally.imported, tally.skipped), (0, 1));
    assert!(tally.imported_lead_ids.is_empty());
}

#[test]
fn absorb_adds_a_later_batch() {
    let mut tally = ImportTally {
        imported: 1,
        failed: 1,
        ..ImportTally::default()
    };
    tally.absorb(ImportTally {
        imported: 2,
        updated: 3,
        skipped: 4,
        failed: 5,
        ..ImportTally::default()
    });
    assert_eq!(
        (tally.imported, tally.updated, tally.skipped, tally.failed),
        (3, 3, 4, 6)
    );
}

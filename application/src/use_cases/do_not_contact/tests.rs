//! The do-not-contact use cases against a mocked repository.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use chrono::{DateTime, TimeZone, Utc};
use domain::dnc::{DncKind, DncReason};
use domain::id::{DncEntryId, ObjectId, UserId, WorkspaceId};
use domain::lead_request::{DncEntryRequest, DncRequest};
use domain::listing::{PageLimit, SubstringSearch};
use domain::problem::{JsonPointer, ProblemCode, Problems};

use super::{AddDncError, DeleteDncError, DoNotContact};
use crate::ports::{DncAddition, DncPage, DncQuery, MockClock, MockDncRepository, MockIdGenerator};
use crate::tenancy::Tenancy;

fn tenancy() -> Tenancy {
    Tenancy {
        workspace_id: WorkspaceId::from(ObjectId::from_parts(1_000, [3; 5], 1)),
        user_id: UserId::from(ObjectId::from_parts(2_000, [3; 5], 1)),
    }
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 8, 9, 0, 0)
        .single()
        .expect("valid")
}

fn use_case(entries: MockDncRepository) -> DoNotContact {
    let mut clock = MockClock::new();
    clock.expect_now().returning(now);
    let counter = AtomicU32::new(0);
    let mut ids = MockIdGenerator::new();
    ids.expect_new_id().returning(move || {
        ObjectId::from_parts(3_000, [3; 5], counter.fetch_add(1, Ordering::Relaxed))
    });
    DoNotContact {
        entries: Arc::new(entries),
        clock: Arc::new(clock),
        ids: Arc::new(ids),
    }
}

fn plain(values: &[&str]) -> DncRequest {
    DncRequest {
        entries: Some(
            values
                .iter()
                .map(|value| DncEntryRequest::Plain((*value).to_owned()))
                .collect(),
        ),
        ..DncRequest::default()
    }
}

#[tokio::test]
async fn add_writes_the_valid_entries_lowercased_in_one_call_and_reports_the_invalid_by_index() {
    let mut entries = MockDncRepository::new();
    entries
        .expect_add()
        .times(1)
        .withf(|workspace, given, at| {
            let values: Vec<(DncKind, &str)> = given
                .iter()
                .map(|new| (new.entry.kind(), new.entry.value()))
                .collect();
            *workspace == tenancy().workspace_id
                && *at == now()
                && values
                    == [
                        (DncKind::Email, "ada@example.com"),
                        (DncKind::Domain, "acme.com"),
                    ]
                && given[0].id != given[1].id
        })
        .returning(|_, _, _| {
            Ok(DncAddition {
                added: 1,
                skipped: 1,
            })
        });
    let added = use_case(entries)
        .add(
            tenancy(),
            &plain(&["Ada@Example.COM", "not an address@", "ACME.com"]),
            Problems::new(),
        )
        .await
        .expect("added");
    assert_eq!((added.added, added.skipped), (1, 1));
    assert_eq!(added.errors.len(), 1);
    assert_eq!(added.errors[0].index, 1);
    let pointers: Vec<String> = added.errors[0]
        .problems
        .iter()
        .map(|problem| problem.pointer().to_string())
        .collect();
    assert!(
        pointers
            .iter()
            .all(|pointer| pointer.starts_with("/entries/1")),
        "{pointers:?}"
    );
}

#[tokio::test]
async fn add_of_more_than_10000_entries_writes_nothing() {
    let mut entries = MockDncRepository::new();
    entries.expect_add().never();
    let many: Vec<String> = (0..10_001)
        .map(|n| format!("lead{n}@example.com"))
        .collect();
    let request = plain(&many.iter().map(String::as_str).collect::<Vec<_>>());
    let refused = use_case(entries)
        .add(tenancy(), &request, Problems::new())
        .await;
    match refused {
        Err(AddDncError::Invalid(problems)) => {
            assert_eq!(
                problems.iter().next().map(|p| p.code()),
                Some(ProblemCode::TooMany)
            );
        }
        other => panic!("expected Invalid, got {other:?}"),
    }
}

#[tokio::test]
async fn add_with_problems_found_at_the_edge_writes_nothing() {
    let mut entries = MockDncRepository::new();
    entries.expect_add().never();
    let mut edge = Problems::new();
    edge.add(
        JsonPointer::root().field("entries").index(0),
        ProblemCode::InvalidType,
        "must be a string or an object",
    );
    let refused = use_case(entries)
        .add(tenancy(), &plain(&["ada@example.com"]), edge)
        .await;
    assert!(
        matches!(refused, Err(AddDncError::Invalid(_))),
        "{refused:?}"
    );
}

#[tokio::test]
async fn add_of_only_invalid_entries_does_not_ask_storage() {
    let mut entries = MockDncRepository::new();
    entries.expect_add().never();
    let added = use_case(entries)
        .add(tenancy(), &plain(&["nope"]), Problems::new())
        .await
        .expect("answered");
    assert_eq!((added.added, added.skipped, added.errors.len()), (0, 0, 1));
}

#[tokio::test]
async fn add_gives_object_entries_their_own_reason_over_the_requests() {
    let mut entries = MockDncRepository::new();
    entries
        .expect_add()
        .times(1)
        .withf(|_, given, _| {
            given
                .iter()
                .map(|new| new.entry.reason())
                .collect::<Vec<_>>()
                == [DncReason::Bounce, DncReason::Complaint]
        })
        .returning(|_, given, _| {
            Ok(DncAddition {
                added: given.len() as u64,
                skipped: 0,
            })
        });
    let request = DncRequest {
        entries: Some(vec![
            DncEntryRequest::Object {
                email: Some("ada@example.com".to_owned()),
                domain: None,
                reason: Some("bounce".to_owned()),
            },
            DncEntryRequest::Object {
                email: None,
                domain: Some("acme.com".to_owned()),
                reason: None,
            },
        ]),
        kind: None,
        reason: Some("complaint".to_owned()),
    };
    let added = use_case(entries)
        .add(tenancy(), &request, Problems::new())
        .await
        .expect("added");
    assert_eq!(added.added, 2);
}

#[tokio::test]
async fn list_asks_for_the_callers_workspace_with_the_query_as_given() {
    let query = DncQuery {
        kind: Some(DncKind::Domain),
        search: SubstringSearch::parse(Some("acme"), 254).expect("valid"),
        limit: PageLimit::parse(Some(5)).expect("valid"),
        ..DncQuery::default()
    };
    let expected = query.clone();
    let mut entries = MockDncRepository::new();
    entries
        .expect_list()
        .times(1)
        .withf(move |workspace, asked| *workspace == tenancy().workspace_id && *asked == expected)
        .returning(|_, _| {
            Ok(DncPage {
                entries: Vec::new(),
                total: 0,
                has_more: false,
            })
        });
    let page = use_case(entries)
        .list(tenancy(), &query)
        .await
        .expect("a page");
    assert_eq!(page.total, 0);
}

#[tokio::test]
async fn delete_of_an_entry_the_workspace_does_not_have_is_not_found() {
    let mut entries = MockDncRepository::new();
    entries
        .expect_delete()
        .withf(|workspace, _| *workspace == tenancy().workspace_id)
        .returning(|_, _| Ok(false));
    let deleted = use_case(entries)
        .delete(
            tenancy(),
            DncEntryId::from(ObjectId::from_parts(4_000, [3; 5], 1)),
        )
        .await;
    assert!(
        matches!(deleted, Err(DeleteDncError::NotFound)),
        "{deleted:?}"
    );
}

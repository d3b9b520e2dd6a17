//! The lead use cases against a mocked repository.

use std::sync::Arc;

use chrono::{TimeZone, Utc};
use domain::id::{LeadId, ObjectId, UserId, WorkspaceId};
use domain::lead::{Lead, LeadFields};
use domain::lead_request::{LeadPatchRequest, LeadRequest};
use domain::mailbox_update::PatchValue;
use domain::problem::{JsonPointer, Problems};

use super::{CreateLeadError, LeadError, Leads};
use crate::ports::{MockClock, MockIdGenerator, MockLeadRepository, RepositoryError};
use crate::tenancy::Tenancy;

fn tenancy() -> Tenancy {
    Tenancy {
        workspace_id: WorkspaceId::from(ObjectId::from_parts(1_000, [1; 5], 1)),
        user_id: UserId::from(ObjectId::from_parts(2_000, [1; 5], 1)),
    }
}

fn id(n: u32) -> LeadId {
    LeadId::from(ObjectId::from_parts(3_000, [1; 5], n))
}

fn fields(email: &str) -> LeadFields {
    LeadFields::parse(
        &LeadRequest {
            email: Some(email.to_owned()),
            ..LeadRequest::default()
        },
        &JsonPointer::root(),
    )
    .expect("valid")
}

fn stored(n: u32, email: &str) -> Lead {
    Lead::create(
        id(n),
        tenancy().workspace_id,
        fields(email),
        Utc.timestamp_opt(1_700_000_000, 0)
            .single()
            .expect("a time"),
    )
}

fn leads(repository: MockLeadRepository) -> Leads {
    let mut clock = MockClock::new();
    clock.expect_now().returning(|| {
        Utc.timestamp_opt(1_800_000_000, 0)
            .single()
            .expect("a time")
    });
    let mut ids = MockIdGenerator::new();
    ids.expect_new_id()
        .returning(|| ObjectId::from_parts(4_000, [2; 5], 9));
    Leads {
        leads: Arc::new(repository),
        clock: Arc::new(clock),
        ids: Arc::new(ids),
    }
}

#[tokio::test]
async fn creating_a_lead_whose_email_exists_is_a_conflict_naming_the_existing_id() {
    let mut repository = MockLeadRepository::new();
    repository
        .expect_insert()
        .returning(|_| Err(RepositoryError::Conflict("email".into())));
    repository
        .expect_find_by_email_keys()
        .withf(|workspace, keys| {
            *workspace == tenancy().workspace_id && keys == ["ada@example.com".to_owned()]
        })
        .returning(|_, _| Ok(vec![stored(7, "ada@example.com")]));
    let request = LeadRequest {
        email: Some("ADA@example.com".into()),
        ..LeadRequest::default()
    };
    let created = leads(repository)
        .create(tenancy(), &request, Problems::new())
        .await;
    match created {
        Err(CreateLeadError::EmailTaken(taken)) => {
            assert_eq!(taken.existing, id(7));
            assert!(
                taken.problem.message().contains(&id(7).to_string()),
                "{}",
                taken.problem.message()
            );
        }
        other => panic!("expected a conflict, got {other:?}"),
    }
}

#[tokio::test]
async fn an_invalid_lead_writes_nothing() {
    let repository = MockLeadRepository::new();
    let created = leads(repository)
        .create(tenancy(), &LeadRequest::default(), Problems::new())
        .await;
    assert!(
        matches!(created, Err(CreateLeadError::Invalid(_))),
        "{created:?}"
    );
}

#[tokio::test]
async fn patching_a_lead_the_workspace_does_not_have_is_not_found_whatever_the_body() {
    let mut repository = MockLeadRepository::new();
    repository.expect_find().returning(|_, _| Ok(None));
    let patch = LeadPatchRequest {
        email: PatchValue::Null,
        ..LeadPatchRequest::default()
    };
    let patched = leads(repository)
        .patch(tenancy(), id(1), &patch, Problems::new())
        .await;
    assert!(matches!(patched, Err(LeadError::NotFound)), "{patched:?}");
}

#[tokio::test]
async fn patching_to_an_email_another_lead_has_is_a_conflict_naming_it() {
    let mut repository = MockLeadRepository::new();
    repository
        .expect_find()
        .returning(|_, _| Ok(Some(stored(1, "ada@example.com"))));
    repository
        .expect_update()
        .returning(|_| Err(RepositoryError::Conflict("email".into())));
    repository
        .expect_find_by_email_keys()
        .returning(|_, _| Ok(vec![stored(2, "grace@example.com")]));
    let patch = LeadPatchRequest {
        email: PatchValue::Given("Grace@example.com".into()),
        ..LeadPatchRequest::default()
    };
    let patched = leads(repository)
        .patch(tenancy(), id(1), &patch, Problems::new())
        .await;
    assert!(
        matches!(&patched, Err(LeadError::EmailTaken(taken)) if taken.existing == id(2)),
        "{patched:?}"
    );
}

#[tokio::test]
async fn deleting_a_lead_the_workspace_does_not_have_is_not_found() {
    let mut repository = MockLeadRepository::new();
    repository
        .expect_delete()
        .withf(|workspace, _| *workspace == tenancy().workspace_id)
        .returning(|_, _| Ok(false));
    let deleted = leads(repository).delete(tenancy(), id(1)).await;
    assert!(matches!(deleted, Err(LeadError::NotFound)), "{deleted:?}");
}

//! Update-mailbox against a mocked mailbox repository: what is written, when, and what a refused
//! change leaves alone.

use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use domain::id::{MailboxId, ObjectId, UserId, WorkspaceId};
use domain::mailbox::{Mailbox, MailboxFields};
use domain::mailbox_update::{MailboxPatchRequest, PatchValue};
use domain::problem::{JsonPointer, ProblemCode, Problems};
use domain::request::MailboxRequest;

use super::{UpdateMailbox, UpdateMailboxError};
use crate::ports::{MockClock, MockCredentialCipher, MockMailboxRepository, RepositoryError};
use crate::tenancy::Tenancy;

fn object_id(seconds: u32, counter: u32) -> ObjectId {
    ObjectId::from_parts(seconds, [0xef; 5], counter)
}

fn tenancy() -> Tenancy {
    Tenancy {
        workspace_id: WorkspaceId::from(object_id(1_000, 1)),
        user_id: UserId::from(object_id(2_000, 1)),
    }
}

fn mailbox_id() -> MailboxId {
    MailboxId::from(object_id(3_000, 1))
}

fn at(minutes: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 6, 10, 10, 0, 0)
        .single()
        .expect("valid time")
        + chrono::Duration::minutes(minutes)
}

fn stored_mailbox() -> Mailbox {
    let fields = MailboxFields::parse(&MailboxRequest {
        email: Some("ana@acme.example".into()),
        provider: Some("gmail".into()),
        ..MailboxRequest::default()
    })
    .expect("valid");
    Mailbox::register(mailbox_id(), tenancy().workspace_id, fields, at(0))
}

fn use_case(mailboxes: MockMailboxRepository) -> UpdateMailbox {
    let mut clock = MockClock::new();
    clock.expect_now().returning(|| at(30));
    UpdateMailbox {
        mailboxes: Arc::new(mailboxes),
        clock: Arc::new(clock),
        credentials: Arc::new(MockCredentialCipher::new()),
    }
}

fn clamp_to_500() -> MailboxPatchRequest {
    MailboxPatchRequest {
        daily_send_limit: PatchValue::Given(500),
        ..MailboxPatchRequest::default()
    }
}

#[tokio::test]
async fn patch_writes_only_the_given_fields_clamped_at_the_clocks_time_in_the_callers_workspace() {
    let mut mailboxes = MockMailboxRepository::new();
    mailboxes.expect_find().never();
    mailboxes
        .expect_update()
        .times(1)
        .withf(|workspace, id, changes, updated_at| {
            *workspace == tenancy().workspace_id
                && *id == mailbox_id()
                && changes.daily_send_limit() == Some(50)
                && changes.display_name().is_none()
                && changes.signature().is_none()
                && changes.sending_enabled().is_none()
                && changes.tags().is_none()
                && *updated_at == at(30)
        })
        .returning(|_, _, _, _| Ok(Some(stored_mailbox())));
    let updated = use_case(mailboxes)
        .execute(tenancy(), mailbox_id(), &clamp_to_500(), Problems::new())
        .await
        .expect("updated");
    assert_eq!(
        updated,
        stored_mailbox(),
        "answers the mailbox storage gives back"
    );
}

#[tokio::test]
async fn patch_of_a_mailbox_the_workspace_does_not_have_is_not_found() {
    let mut mailboxes = MockMailboxRepository::new();
    mailboxes.expect_update().returning(|_, _, _, _| Ok(None));
    let refused = use_case(mailboxes)
        .execute(tenancy(), mailbox_id(), &clamp_to_500(), Problems::new())
        .await;
    assert!(
        matches!(refused, Err(UpdateMailboxError::NotFound)),
        "{refused:?}"
    );
}

/// A body with a tag too long, and an unknown field the edge found.
fn invalid_patch() -> (MailboxPatchRequest, Problems) {
    let mut edge = Problems::new();
    edge.add(
        JsonPointer::root().field("email"),
        ProblemCode::UnknownField,
        "unknown field \"email\"",
    );
    (
        MailboxPatchRequest {
            tags: PatchValue::Given(vec!["t".repeat(101)]),
            ..MailboxPatchRequest::default()
        },
        edge,
    )
}

#[tokio::test]
async fn rejected_patch_lists_the_edges_and_the_rules_problems_and_writes_nothing() {
    let mut mailboxes = MockMailboxRepository::new();
    mailboxes
        .expect_find()
        .times(1)
        .returning(|_, _| Ok(Some(stored_mailbox())));
    mailboxes.expect_update().never();
    let (request, edge) = invalid_patch();
    let refused = use_case(mailboxes)
        .execute(tenancy(), mailbox_id(), &request, edge)
        .await;
    let Err(UpdateMailboxError::Invalid(problems)) = refused else {
        panic!("expected Invalid, got {refused:?}");
    };
    let found: Vec<(String, ProblemCode)> = problems
        .iter()
        .map(|problem| (problem.pointer().to_string(), problem.code()))
        .collect();
    assert_eq!(
        found,
        [
            ("/email".to_owned(), ProblemCode::UnknownField),
            ("/tags/0".to_owned(), ProblemCode::TooLong),
        ]
    );
}

#[tokio::test]
async fn an_edge_problem_alone_refuses_a_patch_whose_fields_are_valid() {
    let mut mailboxes = MockMailboxRepository::new();
    mailboxes
        .expect_find()
        .returning(|_, _| Ok(Some(stored_mailbox())));
    mailboxes.expect_update().never();
    let (_, edge) = invalid_patch();
    let refused = use_case(mailboxes)
        .execute(tenancy(), mailbox_id(), &clamp_to_500(), edge)
        .await;
    assert!(
        matches!(refused, Err(UpdateMailboxError::Invalid(_))),
        "{refused:?}"
    );
}

#[tokio::test]
async fn rejected_patch_of_a_mailbox_the_workspace_does_not_have_is_not_found() {
    let mut mailboxes = MockMailboxRepository::new();
    mailboxes
        .expect_find()
        .withf(|workspace, id| *workspace == tenancy().workspace_id && *id == mailbox_id())
        .returning(|_, _| Ok(None));
    mailboxes.expect_update().never();
    let (request, edge) = invalid_patch();
    let refused = use_case(mailboxes)
        .execute(tenancy(), mailbox_id(), &request, edge)
        .await;
    assert!(
        matches!(refused, Err(UpdateMailboxError::NotFound)),
        "{refused:?}"
    );
}

#[tokio::test]
async fn a_storage_failure_is_unknown() {
    let mut mailboxes = MockMailboxRepository::new();
    mailboxes
        .expect_update()
        .returning(|_, _, _, _| Err(RepositoryError::Unknown(anyhow::anyhow!("disk full"))));
    let refused = use_case(mailboxes)
        .execute(tenancy(), mailbox_id(), &clamp_to_500(), Problems::new())
        .await;
    assert!(
        matches!(refused, Err(UpdateMailboxError::Unknown(_))),
        "{refused:?}"
    );
}

/// A new password is sealed by the cipher before the repository sees it: the repository gets the
/// sealed text, never the password, and the merged connection (the stored host, the new username).
#[tokio::test]
async fn a_new_password_reaches_the_repository_only_sealed() {
    use domain::credential::SealedCredential;
    use domain::mailbox_connection::MailServer;
    use domain::mailbox_update::{ConnectionChange, PasswordChange};

    let stored = || {
        let fields = MailboxFields::parse(&MailboxRequest {
            email: Some("ana@acme.example".into()),
            provider: Some("gmail".into()),
            smtp_host: Some("smtp.acme.example".into()),
            ..MailboxRequest::default()
        })
        .expect("valid");
        Mailbox::register(mailbox_id(), tenancy().workspace_id, fields, at(0))
    };
    let mut mailboxes = MockMailboxRepository::new();
    mailboxes
        .expect_find()
        .times(1)
        .returning(move |_, _| Ok(Some(stored())));
    mailboxes
        .expect_update()
        .times(1)
        .withf(|_, _, changes, _| {
            matches!(
                changes.connections().get(MailServer::Smtp),
                Some(ConnectionChange::Set { connection, password: PasswordChange::Replace(sealed) })
                    if sealed.as_stored() == "xc1:sealed"
                        && connection.host().as_str() == "smtp.acme.example"
                        && connection.username() == Some("ana")
            ) && changes.connections().get(MailServer::Imap).is_none()
        })
        .returning(|_, _, _, _| Ok(Some(stored_mailbox())));
    let mut cipher = MockCredentialCipher::new();
    cipher
        .expect_seal()
        .withf(|password| password.expose() == "hunter2")
        .times(1)
        .returning(|_| SealedCredential::from_stored("xc1:sealed"));
    let mut clock = MockClock::new();
    clock.expect_now().returning(|| at(30));
    let update = UpdateMailbox {
        mailboxes: Arc::new(mailboxes),
        clock: Arc::new(clock),
        credentials: Arc::new(cipher),
    };
    update
        .execute(
            tenancy(),
            mailbox_id(),
            &MailboxPatchRequest {
                smtp_username: PatchValue::Given("ana".into()),
                smtp_password: PatchValue::Given("hunter2".into()),
                ..MailboxPatchRequest::default()
            },
            Problems::new(),
        )
        .await
        .expect("updated");
}

/// Connection problems join the plain fields' problems; a mailbox that is not there is not found
/// before anything is parsed against it.
#[tokio::test]
async fn connection_problems_are_reported_with_the_others_and_nothing_is_written() {
    let mut mailboxes = MockMailboxRepository::new();
    mailboxes
        .expect_find()
        .times(1)
        .returning(|_, _| Ok(Some(stored_mailbox())));
    mailboxes.expect_update().never();
    let refused = use_case(mailboxes)
        .execute(
            tenancy(),
            mailbox_id(),
            &MailboxPatchRequest {
                tags: PatchValue::Given(vec![String::new()]),
                smtp_password: PatchValue::Given("hunter2".into()),
                ..MailboxPatchRequest::default()
            },
            Problems::new(),
        )
        .await;
    let Err(UpdateMailboxError::Invalid(problems)) = refused else {
        panic!("expected Invalid, got {refused:?}");
    };
    let mut found: Vec<String> = problems
        .iter()
        .map(|problem| problem.pointer().to_string())
        .collect();
    found.sort();
    // No stored SMTP: the host is required; the password needs a username.
    assert_eq!(found, ["/smtpHost", "/smtpPassword", "/tags/0"]);

    let mut missing = MockMailboxRepository::new();
    missing.expect_find().times(1).returning(|_, _| Ok(None));
    missing.expect_update().never();
    let refused = use_case(missing)
        .execute(
            tenancy(),
            mailbox_id(),
            &MailboxPatchRequest {
                smtp_port: PatchValue::Given(25),
                ..MailboxPatchRequest::default()
            },
            Problems::new(),
        )
        .await;
    assert!(
        matches!(refused, Err(UpdateMailboxError::NotFound)),
        "{refused:?}"
    );
}

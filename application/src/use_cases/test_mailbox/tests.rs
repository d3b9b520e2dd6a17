//! The mailbox test against mocked transports: each configured connection is checked with its
//! opened password, failures come back in words, unconfigured ones are `None`.

use std::sync::Arc;

use domain::request::MailboxRequest;

use super::{MailboxTestReport, TestMailbox, TestMailboxError};
use crate::ports::{
    MockMailTransport, MockMailboxReader, MockMailboxRepository, ReadFailure, SendFailure,
};
use crate::tenancy::Tenancy;
use crate::use_cases::mailbox_connections::MailboxConnections;
use crate::use_cases::mailbox_connections::tests::{cipher, mailbox, mailbox_id, workspace};

fn tenancy() -> Tenancy {
    Tenancy {
        workspace_id: workspace(),
        user_id: domain::id::UserId::from(domain::id::ObjectId::from_parts(2_000, [7; 5], 1)),
    }
}

fn test_mailbox(
    request: Option<MailboxRequest>,
    transport: MockMailTransport,
    reader: MockMailboxReader,
) -> TestMailbox {
    let found = request.map(mailbox);
    let mut mailboxes = MockMailboxRepository::new();
    mailboxes
        .expect_find()
        .returning(move |_, _| Ok(found.clone()));
    // No write of any kind is expected: a test changes nothing.
    TestMailbox {
        connections: MailboxConnections {
            mailboxes: Arc::new(mailboxes),
            credentials: Arc::new(cipher()),
        },
        transport: Arc::new(transport),
        reader: Arc::new(reader),
    }
}

fn both() -> MailboxRequest {
    MailboxRequest {
        smtp_host: Some("smtp.example.com".into()),
        smtp_username: Some("ana".into()),
        smtp_password: Some("smtp-secret".into()),
        imap_host: Some("imap.example.com".into()),
        imap_username: Some("ana".into()),
        imap_password: Some("imap-secret".into()),
        ..MailboxRequest::default()
    }
}

#[tokio::test]
async fn both_connections_are_checked_with_their_opened_passwords() {
    let mut transport = MockMailTransport::new();
    transport
        .expect_check()
        .withf(|connection| {
            connection.host == "smtp.example.com"
                && connection
                    .credentials
                    .as_ref()
                    .is_some_and(|login| login.password.expose() == "smtp-secret")
        })
        .times(1)
        .returning(|_| Ok(()));
    let mut reader = MockMailboxReader::new();
    reader
        .expect_check()
        .withf(|connection| connection.credentials.password.expose() == "imap-secret")
        .times(1)
        .returning(|_| {
            Err(ReadFailure::Authentication {
                detail: "NO [AUTHENTICATIONFAILED]".into(),
            })
        });
    let report = test_mailbox(Some(both()), transport, reader)
        .execute(tenancy(), mailbox_id())
        .await
        .expect("a report");
    assert_eq!(report.smtp, Some(Ok(())));
    let imap = report.imap.expect("imap checked").expect_err("failed");
    assert!(imap.contains("AUTHENTICATIONFAILED"), "{imap}");
}

#[tokio::test]
async fn an_smtp_refusal_is_reported_in_words() {
    let mut transport = MockMailTransport::new();
    transport.expect_check().returning(|_| {
        Err(SendFailure::Authentication {
            reply: "535 5.7.8 Authentication credentials invalid".into(),
        })
    });
    let report = test_mailbox(
        Some(MailboxRequest {
            imap_host: None,
            imap_username: None,
            imap_password: None,
            ..both()
        }),
        transport,
        MockMailboxReader::new(),
    )
    .execute(tenancy(), mailbox_id())
    .await
    .expect("a report");
    let smtp = report.smtp.expect("smtp checked").expect_err("failed");
    assert!(smtp.contains("535"), "{smtp}");
    assert!(!smtp.contains("smtp-secret"), "{smtp}");
    assert_eq!(report.imap, None);
}

#[tokio::test]
async fn nothing_configured_checks_nothing_and_imap_without_login_fails_without_connecting() {
    let report = test_mailbox(
        Some(MailboxRequest::default()),
        MockMailTransport::new(),
        MockMailboxReader::new(),
    )
    .execute(tenancy(), mailbox_id())
    .await
    .expect("a report");
    assert_eq!(
        report,
        MailboxTestReport {
            smtp: None,
            imap: None
        }
    );

    let report = test_mailbox(
        Some(MailboxRequest {
            imap_host: Some("imap.example.com".into()),
            ..MailboxRequest::default()
        }),
        MockMailTransport::new(),
        MockMailboxReader::new(),
    )
    .execute(tenancy(), mailbox_id())
    .await
    .expect("a report");
    let imap = report
        .imap
        .expect("imap reported")
        .expect_err("cannot log in");
    assert!(imap.contains("imapUsername"), "{imap}");
}

#[tokio::test]
async fn a_mailbox_the_workspace_does_not_have_is_not_found() {
    let tested = test_mailbox(None, MockMailTransport::new(), MockMailboxReader::new())
        .execute(tenancy(), mailbox_id())
        .await;
    assert!(
        matches!(tested, Err(TestMailboxError::NotFound)),
        "{tested:?}"
    );
}

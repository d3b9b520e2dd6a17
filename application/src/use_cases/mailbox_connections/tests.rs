//! Opening a mailbox's connections against mocks: passwords come back opened, an unreadable one is
//! an error (never garbage), another workspace's mailbox is not found.

use std::sync::Arc;

use chrono::{TimeZone, Utc};
use domain::credential::{Credential, SealedCredential};
use domain::id::{MailboxId, ObjectId, WorkspaceId};
use domain::mailbox::{Mailbox, MailboxFields};
use domain::mailbox_connection::{ConnectionPasswords, MailServer};
use domain::request::MailboxRequest;

use super::{ImapAccess, MailboxConnections, OpenConnectionsError};
use crate::ports::{CredentialUnreadable, MockCredentialCipher, MockMailboxRepository};

pub(crate) fn workspace() -> WorkspaceId {
    WorkspaceId::from(ObjectId::from_parts(1_000, [7; 5], 1))
}

pub(crate) fn mailbox_id() -> MailboxId {
    MailboxId::from(ObjectId::from_parts(3_000, [7; 5], 1))
}

/// A mailbox with `request`'s connections and passwords sealed as `sealed:{password}`.
pub(crate) fn mailbox(request: MailboxRequest) -> Mailbox {
    let (fields, passwords) = MailboxFields::parse_with_passwords(&MailboxRequest {
        email: Some("ana@acme.example".into()),
        provider: Some("custom".into()),
        ..request
    })
    .expect("valid");
    let now = Utc
        .with_ymd_and_hms(2026, 12, 7, 10, 0, 0)
        .single()
        .expect("valid");
    Mailbox::register(mailbox_id(), workspace(), fields, now).with_passwords(
        passwords
            .map(|password| SealedCredential::from_stored(format!("sealed:{}", password.expose()))),
    )
}

/// A cipher that opens `sealed:…` and refuses anything else.
pub(crate) fn cipher() -> MockCredentialCipher {
    let mut cipher = MockCredentialCipher::new();
    cipher.expect_open().returning(|sealed| {
        sealed
            .as_stored()
            .strip_prefix("sealed:")
            .map(Credential::new)
            .ok_or(CredentialUnreadable)
    });
    cipher
}

fn connections(found: Option<Mailbox>, cipher: MockCredentialCipher) -> MailboxConnections {
    let mut mailboxes = MockMailboxRepository::new();
    mailboxes
        .expect_find()
        .withf(|asked, id| *asked == workspace() && *id == mailbox_id())
        .returning(move |_, _| Ok(found.clone()));
    MailboxConnections {
        mailboxes: Arc::new(mailboxes),
        credentials: Arc::new(cipher),
    }
}

#[tokio::test]
async fn both_connections_come_back_with_their_passwords_opened() {
    let stored = mailbox(MailboxRequest {
        smtp_host: Some("smtp.example.com".into()),
        smtp_port: Some(465),
        smtp_secure: Some(true),
        smtp_username: Some("ana".into()),
        smtp_password: Some("smtp-secret".into()),
        imap_host: Some("imap.example.com".into()),
        imap_username: Some("ana@acme.example".into()),
        imap_password: Some("imap-secret".into()),
        ..MailboxRequest::default()
    });
    let opened = connections(Some(stored), cipher())
        .open(workspace(), mailbox_id())
        .await
        .expect("opened");
    let smtp = opened.smtp.expect("smtp");
    assert_eq!(
        (smtp.host.as_str(), smtp.port, smtp.secure),
        ("smtp.example.com", 465, true)
    );
    let login = smtp.credentials.expect("a login");
    assert_eq!(
        (login.username.as_str(), login.password.expose()),
        ("ana", "smtp-secret")
    );
    let imap = opened.imap.expect("imap");
    let ImapAccess::Ready(imap) = imap else {
        panic!("IMAP can log in: {imap:?}");
    };
    assert_eq!(
        (imap.host.as_str(), imap.port, imap.secure),
        ("imap.example.com", 993, true)
    );
    assert_eq!(imap.credentials.password.expose(), "imap-secret");
}

#[tokio::test]
async fn unconfigured_connections_are_none_and_imap_without_a_password_cannot_log_in() {
    let opened = connections(Some(mailbox(MailboxRequest::default())), cipher())
        .open(workspace(), mailbox_id())
        .await
        .expect("opened");
    assert_eq!((opened.smtp, opened.imap), (None, None));

    let opened = connections(
        Some(mailbox(MailboxRequest {
            smtp_host: Some("127.0.0.1".into()),
            imap_host: Some("imap.example.com".into()),
            imap_username: Some("ana".into()),
            ..MailboxRequest::default()
        })),
        cipher(),
    )
    .open(workspace(), mailbox_id())
    .await
    .expect("opened");
    assert_eq!(opened.imap_connection(), None);
    assert_eq!(opened.smtp.expect("smtp").credentials, None);
    assert_eq!(opened.imap, Some(ImapAccess::WithoutLogin));
}

#[tokio::test]
async fn a_password_the_key_cannot_open_is_an_error_never_a_guess() {
    let mut refusing = MockCredentialCipher::new();
    refusing
        .expect_open()
        .returning(|_| Err(CredentialUnreadable));
    let opened = connections(
        Some(mailbox(MailboxRequest {
            smtp_host: Some("smtp.example.com".into()),
            smtp_username: Some("ana".into()),
            smtp_password: Some("secret".into()),
            ..MailboxRequest::default()
        })),
        refusing,
    )
    .open(workspace(), mailbox_id())
    .await;
    assert!(
        matches!(
            opened,
            Err(OpenConnectionsError::Unreadable(MailServer::Smtp))
        ),
        "{opened:?}"
    );
}

#[tokio::test]
async fn a_mailbox_the_workspace_does_not_have_is_not_found() {
    let opened = connections(None, cipher())
        .open(workspace(), mailbox_id())
        .await;
    assert!(
        matches!(opened, Err(OpenConnectionsError::NotFound)),
        "{opened:?}"
    );
}

#[test]
fn passwords_without_a_username_to_log_in_with_are_not_kept() {
    let stored = mailbox(MailboxRequest {
        smtp_host: Some("smtp.example.com".into()),
        ..MailboxRequest::default()
    })
    .with_passwords(ConnectionPasswords {
        smtp: Some(SealedCredential::from_stored("sealed:x")),
        imap: Some(SealedCredential::from_stored("sealed:y")),
    });
    assert_eq!(stored.passwords(), &ConnectionPasswords::default());
}

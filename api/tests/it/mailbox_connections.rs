//! Mailbox connection settings end to end on every backend (SENDING.md section 1, docs/decisions.md
//! "Mailbox connections"): stored, merged by PATCH, answered without passwords, and tested against a
//! real SMTP server (`adapters::testing::smtp::SmtpSink`).

use adapters::testing::smtp::{SmtpSink, SmtpSinkOptions};
use domain::id::MailboxId;
use reqwest::Method;
use serde_json::{Value, json};

use crate::support::*;

async fn patch_mailbox(app: &TestApp, id: &str, body: &Value) -> TestResponse {
    app.send(Method::PATCH, &format!("/v1/mailboxes/{id}"), Some(body))
        .await
}

async fn test_mailbox(app: &TestApp, id: &str) -> TestResponse {
    app.send(Method::POST, &format!("/v1/mailboxes/{id}/test"), None)
        .await
}

fn id_of(mailbox: &Value) -> String {
    mailbox["_id"].as_str().expect("an _id").to_owned()
}

/// The connection members of an answer, in one object.
fn connection_of(mailbox: &Value) -> Value {
    let mut members = serde_json::Map::new();
    for member in [
        "connectionType",
        "smtpHost",
        "smtpPort",
        "smtpSecure",
        "smtpUsername",
        "imapHost",
        "imapPort",
        "imapSecure",
        "imapUsername",
        "sentToday",
        "lastError",
    ] {
        members.insert(member.to_owned(), mailbox[member].clone());
    }
    Value::Object(members)
}

#[tokio::test]
async fn connection_settings_round_trip_through_create_patch_get_and_list() {
    on_every_backend(|app| async move {
        let created = app
            .post_json(
                "/v1/mailboxes",
                &json!({"email": "casey@acme.example.com", "provider": "custom",
                        "smtpHost": "SMTP.Acme.example.com", "smtpUsername": "casey",
                        "smtpPassword": "pw-one", "imapHost": "imap.acme.example.com",
                        "imapPort": 143, "imapSecure": false}),
            )
            .await;
        let created = created.created().clone();
        let id = id_of(&created);
        let expected = json!({
            "connectionType": "smtp",
            "smtpHost": "smtp.acme.example.com",
            "smtpPort": 587,
            "smtpSecure": false,
            "smtpUsername": "casey",
            "imapHost": "imap.acme.example.com",
            "imapPort": 143,
            "imapSecure": false,
            "imapUsername": null,
            "sentToday": 0,
            "lastError": null,
        });
        assert_eq!(connection_of(&created), expected);
        let read = app.get_with_key(&format!("/v1/mailboxes/{id}")).await;
        assert_eq!(connection_of(read.ok()), expected);

        let patched = patch_mailbox(
            &app,
            &id,
            &json!({"smtpPort": 465, "smtpSecure": true, "imapHost": null}),
        )
        .await;
        let mut after = expected.clone();
        after["smtpPort"] = json!(465);
        after["smtpSecure"] = json!(true);
        for member in ["imapHost", "imapPort", "imapSecure", "imapUsername"] {
            after[member] = Value::Null;
        }
        assert_eq!(connection_of(patched.ok()), after);
        let listed = app.get_with_key("/v1/mailboxes?search=casey").await;
        let listed = listed.ok().as_array().expect("a list").clone();
        assert_eq!(listed.len(), 1);
        assert_eq!(connection_of(&listed[0]), after);

        // `smtpHost: null` removes SMTP: no connection type, and the mailbox cannot send.
        let removed = patch_mailbox(&app, &id, &json!({"smtpHost": null})).await;
        let removed = removed.ok();
        for member in [
            "connectionType",
            "smtpHost",
            "smtpPort",
            "smtpSecure",
            "smtpUsername",
        ] {
            assert_eq!(removed[member], Value::Null, "{member}");
        }
        let stored = app
            .ports
            .mailboxes
            .find(
                app.tenancy().workspace_id,
                MailboxId::parse(&id).expect("an id"),
            )
            .await
            .expect("a read")
            .expect("stored");
        assert!(!stored.can_send());
        assert_eq!(stored.passwords().smtp, None, "its password went with it");

        // A mailbox registered without settings has none.
        let bare = app
            .post_json(
                "/v1/mailboxes",
                &json!({"email": "bare@acme.example.com", "provider": "gmail"}),
            )
            .await;
        assert_eq!(bare.created()["connectionType"], Value::Null);
    })
    .await;
}

#[tokio::test]
async fn every_connection_problem_is_reported_at_once_and_nothing_changes() {
    on_every_backend(|app| async move {
        let before = app.get_with_key("/v1/mailboxes").await.body["pagination"]["total"].clone();
        let refused = app
            .post_json(
                "/v1/mailboxes",
                &json!({"email": "casey@acme.example.com", "provider": "custom",
                        "smtpHost": "not a host!", "smtpPort": 70000, "smtpPassword": "pw",
                        "imapUsername": "casey"}),
            )
            .await;
        refused.assert_error(400, "VALIDATION_FAILED");
        let mut pointers: Vec<String> = refused
            .problems()
            .into_iter()
            .map(|(pointer, _)| pointer)
            .collect();
        pointers.sort();
        assert_eq!(
            pointers,
            ["/imapHost", "/smtpHost", "/smtpPassword", "/smtpPort"],
            "{}",
            refused.text
        );
        assert_eq!(
            app.get_with_key("/v1/mailboxes").await.body["pagination"]["total"],
            before
        );

        // On a mailbox without IMAP: a member without its host, a member beside `null` host, and a
        // bad plain field, all at once; nothing is written.
        let id = app.mailbox_ids()[0].clone();
        let refused = patch_mailbox(
            &app,
            &id,
            &json!({"displayName": "Ok name", "imapPort": 143, "smtpHost": null,
                    "smtpUsername": "x", "tags": [""]}),
        )
        .await;
        refused.assert_error(400, "VALIDATION_FAILED");
        let mut problems = refused.problems();
        problems.sort();
        assert_eq!(
            problems,
            [
                ("/imapHost".to_owned(), "required".to_owned()),
                ("/smtpUsername".to_owned(), "not_allowed".to_owned()),
                ("/tags/0".to_owned(), "blank".to_owned()),
            ],
            "{}",
            refused.text
        );
        let unchanged = app.get_with_key(&format!("/v1/mailboxes/{id}")).await;
        assert_eq!(unchanged.ok()["displayName"], Value::Null);
        assert_eq!(unchanged.ok()["smtpHost"], "127.0.0.1");
    })
    .await;
}

#[tokio::test]
async fn the_test_logs_in_to_a_real_smtp_server_and_changes_nothing() {
    let sink = SmtpSink::start_with(SmtpSinkOptions {
        login: Some(("ada".to_owned(), "right horse".to_owned())),
        ..SmtpSinkOptions::default()
    })
    .expect("an SMTP server");
    on_every_backend(|app| {
        let sink = &sink;
        async move {
            let created = app
                .post_json(
                    "/v1/mailboxes",
                    &json!({"email": "ada@acme.example.com", "provider": "custom",
                            "smtpHost": sink.host(), "smtpPort": sink.port(),
                            "smtpUsername": "ada", "smtpPassword": "right horse"}),
                )
                .await;
            let id = id_of(created.created());
            let attempts = sink.auth_attempts().expect("the sink's log").len();

            let tested = test_mailbox(&app, &id).await;
            assert_eq!(
                *tested.ok(),
                json!({"smtp": {"ok": true, "error": null}, "imap": null}),
                "{}",
                tested.text
            );
            let logins = sink.auth_attempts().expect("the sink's log");
            assert_eq!(logins.len(), attempts + 1, "one AUTH");
            assert_eq!(logins.last().map(String::as_str), Some("ada"));

            patch_mailbox(
                &app,
                &id,
                &json!({"smtpPassword": "wrong horse",
                                             "imapHost": "127.0.0.1", "imapUsername": "ada",
                                             "imapPassword": "imap pw"}),
            )
            .await
            .ok();
            let tested = test_mailbox(&app, &id).await;
            let data = tested.ok();
            assert_eq!(data["smtp"]["ok"], false, "{}", tested.text);
            let error = data["smtp"]["error"].as_str().unwrap_or_default();
            assert!(error.contains("535"), "{error}");
            // IMAP goes through this test server's reader, which has no server to reach.
            assert_eq!(data["imap"]["ok"], false, "{}", tested.text);

            // A failed test changes nothing, and nothing was ever sent.
            let read = app.get_with_key(&format!("/v1/mailboxes/{id}")).await;
            assert_eq!(read.ok()["status"], "active");
            assert_eq!(read.ok()["lastError"], Value::Null);
            assert!(sink.received().expect("the sink's log").is_empty());
        }
    })
    .await;
}

#[tokio::test]
async fn a_password_never_leaves_the_server_and_is_stored_only_sealed() {
    const SMTP_SECRET: &str = "Sm7p-S3cr3t-pa55word";
    const IMAP_SECRET: &str = "1map-S3cr3t-pa55word";
    on_every_backend(|app| async move {
        let mut answers = Vec::new();
        let created = app
            .post_json(
                "/v1/mailboxes",
                &json!({"email": "casey@acme.example.com", "provider": "custom",
                        "smtpHost": "127.0.0.1", "smtpPort": 9, "smtpUsername": "casey",
                        "smtpPassword": SMTP_SECRET, "imapHost": "127.0.0.1",
                        "imapUsername": "casey", "imapPassword": IMAP_SECRET}),
            )
            .await;
        let id = id_of(created.created());
        answers.push(created.text);
        answers.push(app.get_with_key(&format!("/v1/mailboxes/{id}")).await.text);
        answers.push(app.get_with_key("/v1/mailboxes").await.text);
        answers.push(
            patch_mailbox(&app, &id, &json!({"displayName": "Casey"}))
                .await
                .text,
        );
        let tested = test_mailbox(&app, &id).await;
        assert_eq!(tested.status, 200, "{}", tested.text);
        answers.push(tested.text);
        // Refusals name the member and the rule, never the password.
        let refused = patch_mailbox(
            &app,
            &id,
            &json!({"smtpPassword": format!("{SMTP_SECRET}\u{7}"), "imapUsername": null,
                    "imapPassword": IMAP_SECRET}),
        )
        .await;
        refused.assert_error(400, "VALIDATION_FAILED");
        answers.push(
            refused
                .text
                .replace("smtpPassword", "")
                .replace("imapPassword", ""),
        );
        for answer in &answers {
            for secret in [SMTP_SECRET, IMAP_SECRET] {
                assert!(!answer.contains(secret), "{answer}");
            }
            assert!(!answer.contains("xc1:"), "no sealed text either: {answer}");
            assert!(!answer.to_lowercase().contains("password"), "{answer}");
        }

        let stored = app
            .ports
            .mailboxes
            .find(
                app.tenancy().workspace_id,
                MailboxId::parse(&id).expect("an id"),
            )
            .await
            .expect("a read")
            .expect("stored");
        for (sealed, secret) in [
            (stored.passwords().smtp.as_ref(), SMTP_SECRET),
            (stored.passwords().imap.as_ref(), IMAP_SECRET),
        ] {
            let sealed = sealed.expect("a stored password").as_stored();
            assert!(sealed.starts_with("xc1:"), "sealed by the cipher");
            assert!(!sealed.contains(secret));
            let opened = app
                .ports
                .credentials
                .open(&domain::credential::SealedCredential::from_stored(sealed));
            assert_eq!(
                opened.map(|password| password.expose().to_owned()),
                Ok(secret.to_owned())
            );
        }
        let debugged = format!("{stored:?}");
        assert!(
            !debugged.contains(SMTP_SECRET) && !debugged.contains("xc1:"),
            "{debugged}"
        );
    })
    .await;
}

#[tokio::test]
async fn another_workspaces_mailbox_cannot_be_tested_or_patched() {
    on_every_backend(|app| async move {
        let (_, their_mailbox, _) = app.other_workspace().await;
        let theirs = their_mailbox.id().to_string();
        let unknown = MailboxId::from(domain::id::ObjectId::from_parts(1, [9; 5], 9)).to_string();
        for id in [theirs.as_str(), unknown.as_str(), "not-an-id"] {
            test_mailbox(&app, id).await.assert_error(404, "NOT_FOUND");
            patch_mailbox(&app, id, &json!({"smtpPort": 2526}))
                .await
                .assert_error(404, "NOT_FOUND");
        }
        let untouched = app
            .ports
            .mailboxes
            .find(their_mailbox.workspace_id(), their_mailbox.id())
            .await
            .expect("a read")
            .expect("still there");
        assert_eq!(
            untouched.fields().smtp().map(|smtp| smtp.port()),
            Some(2525)
        );
    })
    .await;
}

//! `POST /v1/campaigns/{id}/send-test-email` end to end on every backend (SENDING.md section 6):
//! one message received by a real SMTP server on 127.0.0.1, for a lead or a custom address, with the
//! engine's headers and none of its tracking; nothing recorded; refusals by pointer; an SMTP refusal
//! answered 502 `SMTP_FAILED` with the server's reply.

use adapters::testing::smtp::{ReceivedMessage, SmtpSink, SmtpSinkOptions};
use adapters::testing::{event_rows, ledger_rows};
use serde_json::{Value, json};

use crate::support::*;

async fn send_test(app: &TestApp, campaign: &str, body: &Value) -> TestResponse {
    app.post_json(&format!("/v1/campaigns/{campaign}/send-test-email"), body)
        .await
}

/// A campaign from `mailbox` whose every link and copy a real send would add: tracking, the
/// unsubscribe footer, Cc and Bcc.
async fn campaign_from(app: &TestApp, mailbox: &str) -> String {
    app.create_campaign(&json!({
        "name": "Test email",
        "mailboxIds": [mailbox],
        "sequence": [
            {"type": "email", "subject": "Hi {{firstName|there}}",
             "body": "<p>Hello {{firstName}} at {{companyName}} on {{plan|no plan}}, see https://acme.example.com</p>"},
            {"type": "wait", "waitDays": 1},
            {"type": "email", "subject": "", "body": "<p>Bumping this up.</p>"}
        ],
        "settings": {"trackOpens": true, "trackClicks": true, "includeUnsubscribeLink": true,
                     "cc": ["copy@acme.example.com"], "bcc": ["hidden@acme.example.com"]}
    }))
    .await
}

async fn lead(app: &TestApp, body: &Value) -> String {
    let created = app.post_json("/v1/leads", body).await;
    created.created()["_id"].as_str().expect("an id").to_owned()
}

/// The one message the sink received.
fn only_message(sink: &SmtpSink) -> ReceivedMessage {
    let received = sink.received().expect("the sink's messages");
    assert_eq!(received.len(), 1, "exactly one message: {received:?}");
    received.into_iter().next().expect("one message")
}

/// What a test email must leave as it was: the campaign's stats and enrolments, the ledger, events.
async fn records(app: &TestApp, campaign: &str) -> (Value, Value) {
    let read = app.get_with_key(&format!("/v1/campaigns/{campaign}")).await;
    let enrolments = app
        .get_with_key(&format!("/v1/campaigns/{campaign}/leads"))
        .await;
    (read.ok()["stats"].clone(), enrolments.body.clone())
}

#[tokio::test]
async fn a_test_email_to_a_lead_arrives_once_with_the_engines_headers_and_records_nothing() {
    on_every_backend(|app| async move {
        let sink = SmtpSink::start().expect("an SMTP sink");
        let mailbox = mailbox_on(&app, &sink, "ana@acme.example.com").await;
        // A test is allowed while sending is off: it is how a mailbox is tried before it goes live.
        app.patch_mailbox(&mailbox, &json!({"sendingEnabled": false}))
            .await;
        let campaign = campaign_from(&app, &mailbox).await;
        let ada = lead(
            &app,
            &json!({"email": "ada@prospect.example.com", "firstName": "Ada",
                    "lastName": "Lovelace", "companyName": "Analytical"}),
        )
        .await;
        let enrolled = app
            .post_json(
                &format!("/v1/campaigns/{campaign}/leads"),
                &json!({"leads": [{"leadId": ada}]}),
            )
            .await;
        assert_eq!(enrolled.ok()["added"], 1, "{}", enrolled.text);
        let before = records(&app, &campaign).await;

        let sent = send_test(
            &app,
            &campaign,
            &json!({"sequenceStep": 0, "mailboxId": mailbox, "leadId": ada}),
        )
        .await;
        let data = sent.ok();
        assert_eq!(data["recipient"], "ada@prospect.example.com");
        assert_eq!(data["mailbox"], "ana@acme.example.com");
        assert_eq!(data["preview"]["subject"], "Hi Ada");
        let body = data["preview"]["body"].as_str().expect("a body");
        assert!(body.ends_with("<p>-- Ana</p>"), "the signature: {body}");

        let message = only_message(&sink);
        assert_eq!(
            message.recipients,
            ["ada@prospect.example.com"],
            "no Cc, no Bcc"
        );
        assert_eq!(message.header("Cc"), None);
        assert_eq!(
            message.header("From").as_deref(),
            Some("\"Ana from Acme\" <ana@acme.example.com>")
        );
        assert_eq!(
            message.header("To").as_deref(),
            Some("\"Ada Lovelace\" <ada@prospect.example.com>")
        );
        assert_eq!(message.header("Subject").as_deref(), Some("Hi Ada"));
        let message_id = message.header("Message-ID").expect("a Message-ID");
        assert_eq!(
            message_id.trim(),
            format!("<{}>", data["messageId"].as_str().expect("an id"))
        );
        assert!(
            message_id.trim().ends_with("@acme.example.com>"),
            "the mailbox's domain: {message_id}"
        );
        assert_eq!(message.header("List-Unsubscribe"), None);
        assert_eq!(message.header("List-Unsubscribe-Post"), None);
        let text = message.text();
        assert!(
            text.contains("Hello Ada at Analytical on no plan"),
            "{text}"
        );
        assert!(text.contains("https://acme.example.com"), "{text}");
        for tracking in ["/t/o/", "/t/c/", "/u/"] {
            assert!(!text.contains(tracking), "no {tracking} link: {text}");
        }

        assert_eq!(records(&app, &campaign).await, before);
        assert_eq!(ledger_rows(app.database()).await.expect("the ledger"), []);
        assert_eq!(event_rows(app.database()).await.expect("the events"), []);
        app.assert_nothing_changed();
    })
    .await;
}

#[tokio::test]
async fn a_test_email_to_a_custom_address_is_filled_from_its_custom_variables() {
    on_every_backend(|app| async move {
        let sink = SmtpSink::start().expect("an SMTP sink");
        let mailbox = mailbox_on(&app, &sink, "ana@acme.example.com").await;
        let campaign = campaign_from(&app, &mailbox).await;
        let sent = send_test(
            &app,
            &campaign,
            &json!({"sequenceStep": 0, "mailboxId": mailbox, "customEmail": "me@tester.example.com",
                    "customVariables": {"firstName": "Grace", "companyName": "Navy", "plan": "pro"}}),
        )
        .await;
        let data = sent.ok();
        assert_eq!(data["recipient"], "me@tester.example.com");
        assert_eq!(data["preview"]["subject"], "Hi Grace");
        let message = only_message(&sink);
        assert_eq!(message.recipients, ["me@tester.example.com"]);
        assert_eq!(
            message.header("To").as_deref(),
            Some("Grace <me@tester.example.com>")
        );
        assert_eq!(message.header("Subject").as_deref(), Some("Hi Grace"));
        let text = message.text();
        assert!(text.contains("Hello Grace at Navy on pro"), "{text}");

        // A follow-up with a blank subject answers the step before it, as in a preview.
        let follow_up = send_test(
            &app,
            &campaign,
            &json!({"sequenceStep": 2, "mailboxId": mailbox, "customEmail": "me@tester.example.com"}),
        )
        .await;
        assert_eq!(follow_up.ok()["preview"]["subject"], "Re: Hi there");
        assert_eq!(sink.received().expect("received").len(), 2);
        assert_eq!(ledger_rows(app.database()).await.expect("the ledger"), []);
    })
    .await;
}

#[tokio::test]
async fn an_smtp_refusal_or_no_server_is_a_502_smtp_failed_with_the_reply_and_records_nothing() {
    on_every_backend(|app| async move {
        let sink = SmtpSink::start_with(SmtpSinkOptions {
            reject_recipients: vec![("nobody@prospect.example.com".to_owned(), 550)],
            ..SmtpSinkOptions::default()
        })
        .expect("an SMTP sink");
        let mailbox = mailbox_on(&app, &sink, "ana@acme.example.com").await;
        let campaign = campaign_from(&app, &mailbox).await;
        let refused = send_test(
            &app,
            &campaign,
            &json!({"sequenceStep": 0, "mailboxId": mailbox,
                    "customEmail": "nobody@prospect.example.com"}),
        )
        .await;
        refused.assert_error(502, "SMTP_FAILED");
        let message = refused.body["message"].as_str().expect("a message");
        assert!(message.contains("550"), "the server's reply: {message}");
        assert!(sink.received().expect("received").is_empty());

        // The seeded mailboxes point at 127.0.0.1:2525, where nothing listens.
        let unreachable = send_test(
            &app,
            &campaign,
            &json!({"sequenceStep": 0, "mailboxId": app.mailbox_ids()[0],
                    "customEmail": "ada@prospect.example.com"}),
        )
        .await;
        unreachable.assert_error(502, "SMTP_FAILED");

        // A refused login names no password, and a test leaves the mailbox's status alone.
        let guarded = SmtpSink::start_with(SmtpSinkOptions {
            login: Some(("ana".to_owned(), "the-right-one".to_owned())),
            ..SmtpSinkOptions::default()
        })
        .expect("an SMTP sink");
        let locked = mailbox_on(&app, &guarded, "locked@acme.example.com").await;
        app.patch_mailbox(
            &locked,
            &json!({"smtpUsername": "ana", "smtpPassword": "wrong-secret-guess"}),
        )
        .await;
        let denied = send_test(
            &app,
            &campaign,
            &json!({"sequenceStep": 0, "mailboxId": locked,
                    "customEmail": "ada@prospect.example.com"}),
        )
        .await;
        denied.assert_error(502, "SMTP_FAILED");
        assert!(
            !denied.text.contains("wrong-secret-guess"),
            "{}",
            denied.text
        );
        let read = app.get_with_key(&format!("/v1/mailboxes/{locked}")).await;
        assert_eq!(read.ok()["status"], "active", "{}", read.text);
        assert!(guarded.received().expect("received").is_empty());
        assert_eq!(ledger_rows(app.database()).await.expect("the ledger"), []);
        assert_eq!(event_rows(app.database()).await.expect("the events"), []);
    })
    .await;
}

#[tokio::test]
async fn another_workspaces_mailbox_a_stranger_lead_and_bad_bodies_are_refused_and_nothing_is_sent()
{
    on_every_backend(|app| async move {
        let sink = SmtpSink::start().expect("an SMTP sink");
        let mailbox = mailbox_on(&app, &sink, "ana@acme.example.com").await;
        let campaign = campaign_from(&app, &mailbox).await;
        let (_, rival_mailbox, _) = app.other_workspace().await;
        let to_me = |mailbox: &str| {
            json!({"sequenceStep": 0, "mailboxId": mailbox, "customEmail": "me@tester.example.com"})
        };

        let theirs = send_test(&app, &campaign, &to_me(&rival_mailbox.id().to_string())).await;
        theirs.assert_error(400, "MAILBOX_NOT_FOUND");
        assert_eq!(
            theirs.problems(),
            [("/mailboxId".to_owned(), "mailbox_not_found".to_owned())]
        );

        let no_campaign = send_test(&app, "0123456789abcdef01234567", &to_me(&mailbox)).await;
        no_campaign.assert_error(404, "NOT_FOUND");

        let stranger = send_test(
            &app,
            &campaign,
            &json!({"sequenceStep": 0, "mailboxId": mailbox, "leadId": "0123456789abcdef01234567"}),
        )
        .await;
        stranger.assert_error(400, "VALIDATION_FAILED");
        assert_eq!(stranger.problems()[0].0, "/leadId");

        let without_smtp = app
            .post_json(
                "/v1/mailboxes",
                &json!({"email": "plain@acme.example.com", "provider": "custom"}),
            )
            .await;
        let without_smtp = without_smtp.created()["_id"]
            .as_str()
            .expect("an id")
            .to_owned();
        let no_smtp = send_test(&app, &campaign, &to_me(&without_smtp)).await;
        no_smtp.assert_error(400, "VALIDATION_FAILED");
        assert_eq!(
            no_smtp.problems(),
            [("/mailboxId".to_owned(), "invalid_value".to_owned())]
        );

        let wait = send_test(
            &app,
            &campaign,
            &json!({"sequenceStep": 1, "mailboxId": mailbox, "customEmail": "me@tester.example.com"}),
        )
        .await;
        wait.assert_error(400, "VALIDATION_FAILED");
        assert_eq!(wait.problems()[0].0, "/sequenceStep");

        for (body, pointers) in [
            (
                json!({}),
                vec!["/sequenceStep", "/mailboxId", "/leadId"],
            ),
            (
                json!({"sequenceStep": 0, "mailboxId": mailbox, "leadId": "0123456789abcdef01234567",
                       "customEmail": "me@tester.example.com"}),
                vec!["/customEmail"],
            ),
            (
                json!({"sequenceStep": 0, "mailboxId": mailbox, "customEmail": "not an address",
                       "customVariables": {"firstName": 7, "email": "x@example.com"},
                       "surprise": true}),
                vec!["/customEmail", "/customVariables/firstName", "/customVariables/email", "/surprise"],
            ),
        ] {
            let refused = send_test(&app, &campaign, &body).await;
            refused.assert_error(400, "VALIDATION_FAILED");
            let found: Vec<String> = refused
                .problems()
                .into_iter()
                .map(|(pointer, _)| pointer)
                .collect();
            for pointer in pointers {
                assert!(found.iter().any(|at| at == pointer), "{pointer} in {found:?}");
            }
        }
        assert!(sink.received().expect("received").is_empty(), "nothing sent");
    })
    .await;
}

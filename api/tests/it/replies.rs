//! Replies, auto-replies and bounces end to end on every backend (SENDING.md sections 5 and 8 item
//! 6): a campaign sends to a real SMTP server on 127.0.0.1, answers are put into a real IMAP server
//! (dovecot) with IMAP APPEND, the INBOX reader reads them, and the tests check what the SMTP server
//! received afterwards and what the API and the event rows say. Simulated clock.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};

use adapters::ImapMailboxReader;
use adapters::testing::imap::{ImapServer, PASSWORD, USER};
use adapters::testing::smtp::{ReceivedMessage, SmtpSink};
use application::ports::{
    ClaimRequest, ClaimedSend, FinishedSend, ImapConnection, InboxBatch, InboxPosition,
    MailboxReader, ReadFailure, RepositoryError, SendLedger,
};
use application::use_cases::dispatch_sends::{DispatchSettings, RoundReport};
use application::use_cases::read_mailbox::{InboxReport, ReadMailbox};
use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use domain::id::{CampaignId, ObjectId, WorkspaceId};
use domain::tracking::{PublicBaseUrl, TrackingKey};
use serde_json::{Value, json};

use crate::sending::{new_york, round, simulated, started_campaign_with};
use crate::support::*;

/// A second IMAP user, for a mailbox of its own.
const OTHER_USER: &str = "bo";
const OTHER_PASSWORD: &str = "left horse";

fn start() -> DateTime<Utc> {
    new_york(2026, 6, 9, 10, 0)
}

fn imap_server() -> ImapServer {
    ImapServer::start_with_users(&[(USER, PASSWORD), (OTHER_USER, OTHER_PASSWORD)])
        .expect("an IMAP server")
}

/// A mailbox sending through `sink` and reading the INBOX of `user` on `imap`.
async fn mailbox_with_inbox(
    app: &TestApp,
    sink: &SmtpSink,
    imap: &ImapServer,
    email: &str,
    (user, password): (&str, &str),
) -> String {
    let created = app
        .post_json(
            "/v1/mailboxes",
            &json!({
                "email": email, "provider": "custom", "displayName": "Ana from Acme",
                "dailySendLimit": 50, "sendingEnabled": true,
                "smtpHost": sink.host(), "smtpPort": sink.port(), "smtpSecure": false,
                "imapHost": imap.host(), "imapPort": imap.port(), "imapSecure": false,
                "imapUsername": user, "imapPassword": password,
            }),
        )
        .await;
    created.created()["_id"]
        .as_str()
        .expect("a mailbox id")
        .to_owned()
}

/// The app's INBOX reader, trusting the test server's certificate (STARTTLS on 127.0.0.1).
fn inbox_reader(app: &TestApp, imap: &ImapServer) -> ReadMailbox {
    let mut read = app.ports.read_mailbox();
    read.reader = Arc::new(
        ImapMailboxReader::with_extra_root(imap.certificate()).expect("dovecot's certificate"),
    );
    read
}

async fn read_inboxes(app: &TestApp, imap: &ImapServer) -> InboxReport {
    inbox_reader(app, imap)
        .round()
        .await
        .expect("an inbox round")
}

static MESSAGE_NUMBER: AtomicU32 = AtomicU32::new(1);

fn next_number() -> u32 {
    MESSAGE_NUMBER.fetch_add(1, Ordering::Relaxed)
}

/// A person's reply from `from` to the message `to_id` (with its angle brackets).
fn reply(to_id: &str, from: &str, text: &str) -> Vec<u8> {
    answer(to_id, from, "", text)
}

/// An out-of-office answer (RFC 3834) to the message `to_id`.
fn auto_reply(to_id: &str, from: &str) -> Vec<u8> {
    answer(
        to_id,
        from,
        "Auto-Submitted: auto-replied\r\n",
        "I am out of the office.",
    )
}

fn answer(to_id: &str, from: &str, extra: &str, text: &str) -> Vec<u8> {
    let number = next_number();
    format!(
        "From: {from}\r\n\
         To: ana@acme.example.com\r\n\
         Subject: Re: Hi\r\n\
         Message-ID: <answer.{number}@lead.example>\r\n\
         In-Reply-To: {to_id}\r\n\
         References: {to_id}\r\n\
         {extra}\
         Content-Type: text/plain; charset=utf-8\r\n\
         \r\n\
         {text}\r\n\
         \r\n\
         On Tue, Ana wrote:\r\n\
         > Hello\r\n"
    )
    .into_bytes()
}

/// A delivery status notification for `recipient` with `status`, quoting the original's headers
/// (with its `Message-ID` when `original` is given).
fn dsn(status: &str, original: Option<&str>, recipient: &str) -> Vec<u8> {
    let number = next_number();
    let quoted_id = original
        .map(|id| format!("Message-ID: {id}\r\n"))
        .unwrap_or_default();
    format!(
        "From: Mail Delivery System <MAILER-DAEMON@mx.prospect.example.com>\r\n\
         To: ana@acme.example.com\r\n\
         Subject: Undelivered Mail Returned to Sender\r\n\
         Message-ID: <dsn.{number}@mx.prospect.example.com>\r\n\
         Auto-Submitted: auto-replied\r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: multipart/report; report-type=delivery-status; boundary=\"R{number}\"\r\n\
         \r\n\
         --R{number}\r\n\
         Content-Type: text/plain\r\n\
         \r\n\
         Delivery to {recipient} failed.\r\n\
         --R{number}\r\n\
         Content-Type: message/delivery-status\r\n\
         \r\n\
         Reporting-MTA: dns; mx.prospect.example.com\r\n\
         \r\n\
         Final-Recipient: rfc822; {recipient}\r\n\
         Action: failed\r\n\
         Status: {status}\r\n\
         \r\n\
         --R{number}\r\n\
         Content-Type: text/rfc822-headers\r\n\
         \r\n\
         From: ana@acme.example.com\r\n\
         To: {recipient}\r\n\
         {quoted_id}\
         Subject: Hi\r\n\
         \r\n\
         --R{number}--\r\n"
    )
    .into_bytes()
}

/// The messages the sink received for `email`, in order.
fn sent_to(sink: &SmtpSink, email: &str) -> Vec<ReceivedMessage> {
    sink.received()
        .expect("the sink's messages")
        .into_iter()
        .filter(|message| message.header("To").is_some_and(|to| to.contains(email)))
        .collect()
}

fn message_id(message: &ReceivedMessage) -> String {
    message
        .header("Message-ID")
        .expect("a Message-ID")
        .trim()
        .to_owned()
}

/// The `Message-ID` of the one message the sink received for `email`.
fn only_message_to(sink: &SmtpSink, email: &str) -> String {
    let sent = sent_to(sink, email);
    assert_eq!(sent.len(), 1, "one message to {email}");
    message_id(&sent[0])
}

/// The campaign's enrolments of the lead `email` (main sequence first).
async fn enrolments_of(app: &TestApp, campaign: &str, email: &str) -> Vec<Value> {
    let listed = app
        .get_with_key(&format!("/v1/campaigns/{campaign}/leads?limit=100"))
        .await;
    let mut rows: Vec<Value> = listed
        .ok()
        .as_array()
        .expect("a list")
        .iter()
        .filter(|row| row["lead"]["email"] == email)
        .cloned()
        .collect();
    rows.sort_by_key(|row| row["subsequenceId"].is_string());
    rows
}

async fn main_enrolment(app: &TestApp, campaign: &str, email: &str) -> Value {
    enrolments_of(app, campaign, email)
        .await
        .into_iter()
        .find(|row| row["subsequenceId"].is_null())
        .unwrap_or_else(|| panic!("{email}'s enrolment"))
}

async fn status_of(app: &TestApp, campaign: &str, email: &str) -> (String, Value) {
    let row = main_enrolment(app, campaign, email).await;
    (
        row["status"].as_str().unwrap_or("?").to_owned(),
        row["stopReason"].clone(),
    )
}

async fn campaign_of(app: &TestApp, campaign: &str) -> Value {
    app.get_with_key(&format!("/v1/campaigns/{campaign}"))
        .await
        .ok()
        .clone()
}

async fn events_of(app: &TestApp, kind: &str) -> Vec<adapters::testing::EventRow> {
    adapters::testing::event_rows(app.database())
        .await
        .expect("the events")
        .into_iter()
        .filter(|event| event.kind == kind)
        .collect()
}

/// One sending round per minute, `rounds` times: what they sent in all.
async fn rounds(app: &TestApp, clock: &adapters::SimulatedClock, rounds: usize) -> usize {
    let mut sent = 0;
    for _ in 0..rounds {
        sent += round(app).await.sent;
        clock.advance(Duration::minutes(1));
    }
    sent
}

#[tokio::test]
async fn a_threaded_reply_stops_the_sequence_once_and_no_further_step_is_received() {
    let (customize, clock) = simulated(start());
    on_every_backend_with(customize, |app| {
        let clock = clock.clone();
        async move {
            clock.set(start());
            let sink = SmtpSink::start().expect("an SMTP sink");
            let imap = imap_server();
            let mailbox =
                mailbox_with_inbox(&app, &sink, &imap, "ana@acme.example.com", (USER, PASSWORD))
                    .await;
            // Another workspace's mailbox, reading another INBOX.
            let (other, _, _) = app.other_workspace().await;
            let created = send_with_key(
                &app.client,
                &format!("{}/v1/mailboxes", app.base),
                &other.workspace_key,
                reqwest::Method::POST,
                Some(&json!({
                    "email": "inbox@rival.example.org", "provider": "custom",
                    "smtpHost": sink.host(), "smtpPort": sink.port(), "smtpSecure": false,
                    "imapHost": imap.host(), "imapPort": imap.port(), "imapSecure": false,
                    "imapUsername": OTHER_USER, "imapPassword": OTHER_PASSWORD,
                })),
            )
            .await;
            assert_eq!(created.status, 201, "{}", created.text);
            let lead = "ada@prospect.example.com";
            let campaign = started_campaign_with(
                &app,
                &mailbox,
                json!({}),
                &[json!({"email": lead, "firstName": "Ada"})],
            )
            .await;
            assert_eq!(round(&app).await.sent, 1);
            let first = only_message_to(&sink, lead);

            // The reply lands in the other workspace's mailbox: it names no send of its own.
            imap.append(OTHER_USER, &reply(&first, lead, "Wrong inbox"))
                .await
                .expect("APPEND");
            let report = read_inboxes(&app, &imap).await;
            assert_eq!((report.messages, report.effects), (1, 0), "{report:?}");
            assert_eq!(status_of(&app, &campaign, lead).await.0, "active");

            // The threaded reply in the sending mailbox stops the enrolment (stopOnReply).
            imap.append(USER, &reply(&first, lead, "Sounds good, call me Tuesday."))
                .await
                .expect("APPEND");
            let report = read_inboxes(&app, &imap).await;
            assert_eq!((report.messages, report.effects), (1, 1), "{report:?}");
            assert_eq!(
                status_of(&app, &campaign, lead).await,
                ("replied".to_owned(), json!("replied"))
            );
            let row = main_enrolment(&app, &campaign, lead).await;
            assert!(row["history"][0]["repliedAt"].is_string(), "{row}");
            let read = campaign_of(&app, &campaign).await;
            assert_eq!(read["stats"]["replied"], 1, "{read}");
            assert_eq!(read["leadCounts"]["replied"], 1, "{read}");
            assert_eq!(read["leadCounts"]["active"], 0, "{read}");
            let replied = events_of(&app, "email.replied").await;
            assert_eq!(replied.len(), 1);
            assert_eq!(
                replied[0].message_id.as_deref(),
                Some(first.trim_matches(['<', '>']))
            );
            let data: Value =
                serde_json::from_str(replied[0].data.as_deref().unwrap_or("null")).expect("JSON");
            assert_eq!(data["replyText"], "Sounds good, call me Tuesday.");
            assert_eq!(events_of(&app, "lead.replied").await.len(), 1);

            // Read again, and by a restarted reader: nothing is applied twice.
            assert_eq!(read_inboxes(&app, &imap).await.messages, 0);
            assert_eq!(read_inboxes(&app, &imap).await.messages, 0);
            assert_eq!(events_of(&app, "email.replied").await.len(), 1);
            // A second reply to the same message is an event, not a second first reply.
            imap.append(USER, &reply(&first, lead, "Also Wednesday."))
                .await
                .expect("APPEND");
            assert_eq!(read_inboxes(&app, &imap).await.effects, 1);
            assert_eq!(events_of(&app, "email.replied").await.len(), 2);
            assert_eq!(campaign_of(&app, &campaign).await["stats"]["replied"], 1);

            // No further step, ever.
            clock.advance(Duration::days(2));
            assert_eq!(round(&app).await.claimed, 0);
            assert_eq!(sent_to(&sink, lead).len(), 1);
        }
    })
    .await;
}

#[tokio::test]
async fn an_auto_reply_is_recorded_and_stops_the_sequence_only_with_stop_on_auto_reply() {
    let (customize, clock) = simulated(start());
    on_every_backend_with(customize, |app| {
        let clock = clock.clone();
        async move {
            clock.set(start());
            let sink = SmtpSink::start().expect("an SMTP sink");
            let imap = imap_server();
            let mailbox =
                mailbox_with_inbox(&app, &sink, &imap, "ana@acme.example.com", (USER, PASSWORD))
                    .await;
            let (going_on, stopping) = ("ada@a-prospect.example.com", "bob@b-prospect.example.com");
            let default =
                started_campaign_with(&app, &mailbox, json!({}), &[json!({"email": going_on})])
                    .await;
            let stops = started_campaign_with(
                &app,
                &mailbox,
                json!({"stopOnAutoReply": true}),
                &[json!({"email": stopping})],
            )
            .await;
            assert_eq!(rounds(&app, &clock, 2).await, 2);
            for lead in [going_on, stopping] {
                let first = only_message_to(&sink, lead);
                imap.append(USER, &auto_reply(&first, lead))
                    .await
                    .expect("APPEND");
            }
            assert_eq!(read_inboxes(&app, &imap).await.effects, 2);
            assert_eq!(
                status_of(&app, &default, going_on).await,
                ("active".to_owned(), Value::Null)
            );
            assert_eq!(
                status_of(&app, &stops, stopping).await,
                ("replied".to_owned(), json!("auto_reply"))
            );
            assert_eq!(events_of(&app, "email.auto_replied").await.len(), 2);
            assert!(events_of(&app, "email.replied").await.is_empty());
            assert_eq!(campaign_of(&app, &default).await["stats"]["replied"], 0);

            // The day after, only the sequence without stopOnAutoReply goes on.
            clock.advance(Duration::days(1));
            assert_eq!(rounds(&app, &clock, 2).await, 1);
            assert_eq!(sent_to(&sink, going_on).len(), 2);
            assert_eq!(sent_to(&sink, stopping).len(), 1);
        }
    })
    .await;
}

#[tokio::test]
async fn a_5_x_x_dsn_bounces_and_adds_dnc_and_a_4_x_x_dsn_changes_nothing() {
    let (customize, clock) = simulated(start());
    on_every_backend_with(customize, |app| {
        let clock = clock.clone();
        async move {
            clock.set(start());
            let sink = SmtpSink::start().expect("an SMTP sink");
            let imap = imap_server();
            let mailbox =
                mailbox_with_inbox(&app, &sink, &imap, "ana@acme.example.com", (USER, PASSWORD))
                    .await;
            let (quoted, delayed, by_recipient) = (
                "ada@prospect.example.com",
                "bob@prospect.example.com",
                "cy@prospect.example.com",
            );
            let campaign = started_campaign_with(
                &app,
                &mailbox,
                json!({}),
                &[
                    json!({"email": quoted}),
                    json!({"email": delayed}),
                    json!({"email": by_recipient}),
                ],
            )
            .await;
            assert_eq!(rounds(&app, &clock, 3).await, 3);
            let original = only_message_to(&sink, quoted);
            imap.append(USER, &dsn("5.1.1", Some(&original), quoted))
                .await
                .expect("APPEND");
            let later = only_message_to(&sink, delayed);
            imap.append(USER, &dsn("4.4.7", Some(&later), delayed))
                .await
                .expect("APPEND");
            // Matched by its Final-Recipient among the mailbox's sends of the last 7 days.
            imap.append(USER, &dsn("5.1.1", None, by_recipient))
                .await
                .expect("APPEND");
            let report = read_inboxes(&app, &imap).await;
            assert_eq!((report.messages, report.effects), (3, 2), "{report:?}");

            for lead in [quoted, by_recipient] {
                assert_eq!(
                    status_of(&app, &campaign, lead).await,
                    ("bounced".to_owned(), json!("bounced")),
                    "{lead}"
                );
            }
            assert_eq!(status_of(&app, &campaign, delayed).await.0, "active");
            let read = campaign_of(&app, &campaign).await;
            assert_eq!(read["stats"]["sent"], 3, "{read}");
            assert_eq!(read["stats"]["bounced"], 2, "{read}");
            assert_eq!(read["stats"]["delivered"], 1, "{read}");
            assert_eq!(read["leadCounts"]["bounced"], 2, "{read}");
            let bounced = events_of(&app, "email.bounced").await;
            assert_eq!(bounced.len(), 2);
            assert!(
                bounced
                    .iter()
                    .all(|event| event.data.as_deref() == Some(r#"{"bounceStatus":"5.1.1"}"#)),
                "{bounced:?}"
            );
            assert_eq!(events_of(&app, "lead.bounced").await.len(), 2);
            let listed = app.get_with_key("/v1/dnc").await;
            let mut entries: Vec<(String, String)> = listed
                .ok()
                .as_array()
                .expect("a list")
                .iter()
                .map(|item| {
                    let text = |name: &str| item[name].as_str().unwrap_or("?").to_owned();
                    (text("email"), text("reason"))
                })
                .collect();
            entries.sort();
            assert_eq!(
                entries,
                vec![
                    (quoted.to_owned(), "bounce".to_owned()),
                    (by_recipient.to_owned(), "bounce".to_owned()),
                ]
            );

            // Only the lead whose DSN was a delay gets the follow-up.
            clock.advance(Duration::days(1));
            assert_eq!(rounds(&app, &clock, 3).await, 1);
            assert_eq!(sent_to(&sink, delayed).len(), 2);
        }
    })
    .await;
}

#[tokio::test]
async fn a_new_uidvalidity_is_read_from_its_first_message() {
    let (customize, clock) = simulated(start());
    on_every_backend_with(customize, |app| {
        let clock = clock.clone();
        async move {
            clock.set(start());
            let sink = SmtpSink::start().expect("an SMTP sink");
            let imap = imap_server();
            let mailbox =
                mailbox_with_inbox(&app, &sink, &imap, "ana@acme.example.com", (USER, PASSWORD))
                    .await;
            let (ada, bob) = ("ada@prospect.example.com", "bob@prospect.example.com");
            let campaign = started_campaign_with(
                &app,
                &mailbox,
                json!({}),
                &[json!({"email": ada}), json!({"email": bob})],
            )
            .await;
            assert_eq!(rounds(&app, &clock, 2).await, 2);
            imap.append(USER, &reply(&only_message_to(&sink, ada), ada, "Yes"))
                .await
                .expect("APPEND");
            assert_eq!(read_inboxes(&app, &imap).await.effects, 1);

            // The INBOX is made anew: its first message has UID 1 again, under a new UIDVALIDITY.
            imap.recreate_inbox(USER).await.expect("a new INBOX");
            imap.append(USER, &reply(&only_message_to(&sink, bob), bob, "Yes too"))
                .await
                .expect("APPEND");
            let report = read_inboxes(&app, &imap).await;
            assert_eq!((report.messages, report.effects), (1, 1), "{report:?}");
            assert_eq!(status_of(&app, &campaign, bob).await.0, "replied");
            assert_eq!(read_inboxes(&app, &imap).await.messages, 0);
            assert_eq!(campaign_of(&app, &campaign).await["stats"]["replied"], 2);
        }
    })
    .await;
}

#[tokio::test]
async fn a_company_reply_stops_the_colleagues_but_a_free_mail_reply_does_not() {
    let (customize, clock) = simulated(start());
    on_every_backend_with(customize, |app| {
        let clock = clock.clone();
        async move {
            clock.set(start());
            let sink = SmtpSink::start().expect("an SMTP sink");
            let imap = imap_server();
            let mailbox =
                mailbox_with_inbox(&app, &sink, &imap, "ana@acme.example.com", (USER, PASSWORD))
                    .await;
            let leads = [
                "ada@prospect.example.com",
                "bob@prospect.example.com",
                "cy@gmail.com",
                "dee@gmail.com",
                "eve@other.example.com",
            ];
            let campaign = started_campaign_with(
                &app,
                &mailbox,
                json!({"stopOnCompanyReply": true}),
                &leads.map(|email| json!({"email": email})),
            )
            .await;
            assert_eq!(rounds(&app, &clock, 5).await, 5);
            for lead in [leads[0], leads[2]] {
                imap.append(USER, &reply(&only_message_to(&sink, lead), lead, "Hi"))
                    .await
                    .expect("APPEND");
            }
            assert_eq!(read_inboxes(&app, &imap).await.effects, 2);
            assert_eq!(status_of(&app, &campaign, leads[0]).await.0, "replied");
            assert_eq!(
                status_of(&app, &campaign, leads[1]).await,
                ("completed".to_owned(), json!("company_reply"))
            );
            assert_eq!(status_of(&app, &campaign, leads[2]).await.0, "replied");
            assert_eq!(status_of(&app, &campaign, leads[3]).await.0, "active");
            assert_eq!(status_of(&app, &campaign, leads[4]).await.0, "active");
            let read = campaign_of(&app, &campaign).await;
            assert_eq!(read["leadCounts"]["replied"], 2, "{read}");
            assert_eq!(read["leadCounts"]["completed"], 1, "{read}");
            assert_eq!(read["leadCounts"]["active"], 2, "{read}");
        }
    })
    .await;
}

#[tokio::test]
async fn a_reply_enrols_the_lead_in_the_reply_subsequence_sent_in_the_same_thread_and_mailbox() {
    let (customize, clock) = simulated(start());
    on_every_backend_with(customize, |app| {
        let clock = clock.clone();
        async move {
            clock.set(start());
            let sink = SmtpSink::start().expect("an SMTP sink");
            let imap = imap_server();
            // Two mailboxes reading the same INBOX: a reply counts only for the one that sent.
            let ana =
                mailbox_with_inbox(&app, &sink, &imap, "ana@acme.example.com", (USER, PASSWORD))
                    .await;
            let bea =
                mailbox_with_inbox(&app, &sink, &imap, "bea@acme.example.com", (USER, PASSWORD))
                    .await;
            let lead = "ada@prospect.example.com";
            let campaign = app
                .create_campaign(&json!({
                    "name": "With a reply subsequence",
                    "mailboxIds": [ana, bea],
                    "sequence": [
                        {"type": "email", "subject": "Hi {{firstName}}", "body": "<p>Hello</p>"},
                        {"type": "wait", "waitDays": 1},
                        {"type": "email", "subject": "", "body": "<p>Bumping this up.</p>"}
                    ],
                    "subsequences": [{
                        "name": "Replied",
                        "trigger": {"type": "reply"},
                        "sequence": [{"type": "email", "subject": "Next steps",
                                      "body": "<p>Glad to hear it.</p>"}]
                    }],
                    "schedule": {"timezone": "America/New_York", "startTime": "09:00",
                                 "endTime": "17:00", "workingDays": [0, 1, 2, 3, 4, 5, 6],
                                 "skipNationalHolidays": false},
                    "settings": {"emailIntervalMinutes": 1, "trackOpens": false,
                                 "trackClicks": false}
                }))
                .await;
            let enrolled = app
                .post_json(
                    &format!("/v1/campaigns/{campaign}/leads"),
                    &json!({"leads": [{"email": lead, "firstName": "Ada"}]}),
                )
                .await;
            assert_eq!(enrolled.ok()["added"], 1, "{}", enrolled.text);
            assert_eq!(app.campaign_action(&campaign, "start").await.status, 200);
            assert_eq!(round(&app).await.sent, 1);
            let first = sent_to(&sink, lead).remove(0);
            let first_id = message_id(&first);
            imap.append(USER, &reply(&first_id, lead, "Tell me more"))
                .await
                .expect("APPEND");
            let report = read_inboxes(&app, &imap).await;
            // Read through both mailboxes; applied through the one that sent.
            assert_eq!((report.messages, report.effects), (2, 1), "{report:?}");

            let rows = enrolments_of(&app, &campaign, lead).await;
            assert_eq!(rows.len(), 2, "{rows:?}");
            assert_eq!(rows[0]["status"], "replied");
            assert_eq!(rows[1]["status"], "active");
            assert_eq!(rows[1]["mailboxId"], rows[0]["mailboxId"], "{rows:?}");

            clock.advance(Duration::minutes(1));
            assert_eq!(round(&app).await.sent, 1);
            let sent = sent_to(&sink, lead);
            assert_eq!(sent.len(), 2);
            let next = &sent[1];
            assert_eq!(next.header("Subject").as_deref(), Some("Next steps"));
            assert_eq!(next.header("From"), first.header("From"));
            assert_eq!(next.mail_from, first.mail_from);
            assert_eq!(
                next.header("In-Reply-To").map(|id| id.trim().to_owned()),
                Some(first_id.clone())
            );
            assert_eq!(
                next.header("References").map(|id| id.trim().to_owned()),
                Some(first_id)
            );
            let read = campaign_of(&app, &campaign).await;
            assert_eq!(read["subsequences"][0]["addedCount"], 1, "{read}");
            assert_eq!(read["subsequences"][0]["stats"]["sent"], 1, "{read}");
            assert_eq!(read["stats"]["sent"], 2, "{read}");
            assert_eq!(read["stats"]["replied"], 1, "{read}");
        }
    })
    .await;
}

/// The ledger of the app, with a reply to each claimed email delivered and read right after the
/// claim: the race of SENDING.md section 5.
struct ReplyOnClaim {
    inner: Arc<dyn SendLedger>,
    imap: Arc<ImapServer>,
    read: ReadMailbox,
}

#[async_trait]
impl SendLedger for ReplyOnClaim {
    async fn active_campaigns(&self) -> Result<Vec<(WorkspaceId, CampaignId)>, RepositoryError> {
        self.inner.active_campaigns().await
    }

    async fn claim(&self, request: &ClaimRequest) -> Result<Vec<ClaimedSend>, RepositoryError> {
        let claims = self.inner.claim(request).await?;
        for claim in &claims {
            let id = format!("<{}>", claim.message_id);
            self.imap
                .append(USER, &reply(&id, "ada@prospect.example.com", "Stop"))
                .await
                .map_err(RepositoryError::Unknown)?;
        }
        self.read.round().await?;
        Ok(claims)
    }

    async fn finish(&self, finished: &[FinishedSend]) -> Result<(), RepositoryError> {
        self.inner.finish(finished).await
    }

    async fn stopped_claims(&self, claims: &[ObjectId]) -> Result<Vec<ObjectId>, RepositoryError> {
        self.inner.stopped_claims(claims).await
    }

    async fn heartbeat(&self, worker: &str, at: DateTime<Utc>) -> Result<(), RepositoryError> {
        self.inner.heartbeat(worker, at).await
    }

    async fn abandon_claims(
        &self,
        alive: &str,
        stale_before: DateTime<Utc>,
        at: DateTime<Utc>,
    ) -> Result<u64, RepositoryError> {
        self.inner.abandon_claims(alive, stale_before, at).await
    }
}

#[tokio::test]
async fn a_reply_read_while_its_send_is_claimed_stops_that_send() {
    let (customize, clock) = simulated(start());
    on_every_backend_with(customize, |app| {
        let clock = clock.clone();
        async move {
            clock.set(start());
            let sink = SmtpSink::start().expect("an SMTP sink");
            let imap = Arc::new(imap_server());
            let mailbox =
                mailbox_with_inbox(&app, &sink, &imap, "ana@acme.example.com", (USER, PASSWORD))
                    .await;
            let lead = "ada@prospect.example.com";
            let campaign =
                started_campaign_with(&app, &mailbox, json!({}), &[json!({"email": lead})]).await;
            let mut dispatch = app.ports.dispatch(DispatchSettings {
                worker: "race-worker".into(),
                claims_per_campaign: 10,
                parallel_sends: 4,
                public_url: PublicBaseUrl::parse("https://links.sendline.test").expect("a URL"),
                tracking_key: TrackingKey::new([7; 32]),
            });
            dispatch.ledger = Arc::new(ReplyOnClaim {
                inner: dispatch.ledger.clone(),
                imap: imap.clone(),
                read: inbox_reader(&app, &imap),
            });
            let report: RoundReport = dispatch.round().await.expect("a round");
            assert_eq!(
                (report.claimed, report.sent, report.withdrawn),
                (1, 0, 1),
                "{report:?}"
            );
            assert!(sink.received().expect("the sink").is_empty());
            assert_eq!(
                status_of(&app, &campaign, lead).await,
                ("replied".to_owned(), json!("replied"))
            );
            let ledger = adapters::testing::ledger_rows(app.database())
                .await
                .expect("the ledger");
            assert_eq!(ledger.len(), 1);
            assert_eq!(ledger[0].state, "deferred", "recorded as not sent");
            let read = campaign_of(&app, &campaign).await;
            assert_eq!(read["stats"]["sent"], 0, "{read}");

            clock.advance(Duration::days(1));
            assert_eq!(round(&app).await.claimed, 0);
            assert!(sink.received().expect("the sink").is_empty());
        }
    })
    .await;
}

/// The IMAP reader of two processes: both read the INBOX from the same position before either
/// applies what it read (their first reads wait for each other).
struct ReadTogether {
    inner: ImapMailboxReader,
    barrier: tokio::sync::Barrier,
    reads: AtomicUsize,
}

#[async_trait]
impl MailboxReader for ReadTogether {
    async fn check(&self, connection: &ImapConnection) -> Result<(), ReadFailure> {
        self.inner.check(connection).await
    }

    async fn read_after(
        &self,
        connection: &ImapConnection,
        after: Option<InboxPosition>,
        limit: usize,
    ) -> Result<InboxBatch, ReadFailure> {
        let batch = self.inner.read_after(connection, after, limit).await?;
        if self.reads.fetch_add(1, Ordering::SeqCst) < 2 {
            self.barrier.wait().await;
        }
        Ok(batch)
    }
}

#[tokio::test]
async fn two_readers_of_one_mailbox_apply_each_message_once() {
    let (customize, clock) = simulated(start());
    on_every_backend_with(customize, |app| {
        let clock = clock.clone();
        async move {
            clock.set(start());
            let sink = SmtpSink::start().expect("an SMTP sink");
            let imap = imap_server();
            let mailbox =
                mailbox_with_inbox(&app, &sink, &imap, "ana@acme.example.com", (USER, PASSWORD))
                    .await;
            let lead = "ada@prospect.example.com";
            let campaign =
                started_campaign_with(&app, &mailbox, json!({}), &[json!({"email": lead})]).await;
            assert_eq!(round(&app).await.sent, 1);
            imap.append(USER, &reply(&only_message_to(&sink, lead), lead, "Yes"))
                .await
                .expect("APPEND");
            let together = Arc::new(ReadTogether {
                inner: ImapMailboxReader::with_extra_root(imap.certificate())
                    .expect("dovecot's certificate"),
                barrier: tokio::sync::Barrier::new(2),
                reads: AtomicUsize::new(0),
            });
            let reader = || {
                let mut read = app.ports.read_mailbox();
                read.reader = together.clone();
                read
            };
            let (first, second) = (reader(), reader());
            let workspace = WorkspaceId::parse(&app.workspace.workspace_id).expect("an id");
            let mailbox_id = domain::id::MailboxId::parse(&mailbox).expect("a mailbox id");
            let (one, other) = tokio::join!(
                first.read(workspace, mailbox_id),
                second.read(workspace, mailbox_id)
            );
            let (one, other) = (one.expect("a read"), other.expect("a read"));
            assert_eq!(one.messages + other.messages, 1, "{one:?} {other:?}");
            assert!(
                one.raced != other.raced,
                "one of them found the position moved"
            );
            assert_eq!(events_of(&app, "email.replied").await.len(), 1);
            assert_eq!(events_of(&app, "lead.replied").await.len(), 1);
            assert_eq!(campaign_of(&app, &campaign).await["stats"]["replied"], 1);
        }
    })
    .await;
}

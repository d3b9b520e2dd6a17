//! The public tracking routes end to end on every backend (SENDING.md section 3): with a send
//! claimed and sent through the engine's ledger, the open pixel and a tracked link are counted once
//! in `stats` however many hits, the link redirects only to its stored URL, a forged token is 404,
//! `GET /u` only shows a page, `POST /u` unsubscribes (DNC, enrolment `unsubscribed`), and another
//! workspace is untouched. Opens and clicks are written by the recorder after they are answered:
//! the tests wait for their events (polling with a deadline) before they look at what was counted.

use std::sync::Arc;

use adapters::SimulatedClock;
use application::ports::{ClaimedSend, SendLinks};
use chrono::{DateTime, TimeZone, Utc};
use domain::id::ObjectId;
use domain::tracking::{TrackingKey, TrackingKind, TrackingToken};
use serde_json::{Value, json};

use crate::support::*;

const KEY: [u8; 32] = [5; 32];
const LEAD: &str = "ada@prospect.example.com";

fn key() -> TrackingKey {
    TrackingKey::new(KEY)
}

/// Monday 2026-11-23, 09:00 in Chicago: inside the seed's window.
fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 15, 0, 0)
        .single()
        .expect("a valid time")
}

/// An app on a simulated clock whose tracking tokens are signed with [`KEY`].
fn customize() -> Customize {
    Customize {
        options: api::state::Options {
            tracking_key: key(),
            ..api::state::Options::default()
        },
        clock: Some(Arc::new(SimulatedClock::starting_at(now()))),
        ..Customize::default()
    }
}

/// The seed campaign, started, with [`LEAD`] enrolled; its first email claimed and sent.
async fn sent_message(app: &TestApp) -> (String, ClaimedSend) {
    sent_message_numbered(app, 1).await
}

/// [`sent_message`] in a campaign of its own; its send's id ends with `number`.
async fn sent_message_numbered(app: &TestApp, number: u32) -> (String, ClaimedSend) {
    let seed: Value = serde_json::from_str(SEED_BODY).expect("the seed is JSON");
    let id = ObjectId::from_parts(1_795_000_000, [1; 5], number);
    sent_through_ledger(app, &seed, LEAD, now(), id).await
}

fn token(kind: TrackingKind, send: &ClaimedSend) -> String {
    TrackingToken::new(kind, send.id).encode(&key())
}

/// A client that shows redirects instead of following them.
fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("a client")
}

async fn get(app: &TestApp, path: &str) -> reqwest::Response {
    client()
        .get(format!("{}{path}", app.base))
        .send()
        .await
        .expect("an answer")
}

async fn post(app: &TestApp, path: &str) -> reqwest::Response {
    // What a mail client's one-click unsubscribe sends (RFC 8058).
    client()
        .post(format!("{}{path}", app.base))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .expect("an answer")
}

async fn stats(app: &TestApp, campaign: &str) -> Value {
    app.get_with_key(&format!("/v1/campaigns/{campaign}"))
        .await
        .ok()["stats"]
        .clone()
}

async fn enrolment_status(app: &TestApp, campaign: &str) -> String {
    let page = app
        .get_with_key(&format!("/v1/campaigns/{campaign}/leads"))
        .await;
    page.ok()[0]["status"]
        .as_str()
        .expect("a status")
        .to_owned()
}

async fn dnc_of(app: &TestApp, workspace_key: &str) -> Vec<(String, String)> {
    let page = app
        .client
        .get(format!("{}/v1/dnc", app.base))
        .header("X-Api-Key", workspace_key)
        .send()
        .await
        .expect("an answer");
    let page = TestResponse::read(page).await;
    page.ok()
        .as_array()
        .expect("a list")
        .iter()
        .map(|entry| {
            (
                entry["email"].as_str().unwrap_or("?").to_owned(),
                entry["reason"].as_str().unwrap_or("?").to_owned(),
            )
        })
        .collect()
}

fn header<'a>(response: &'a reqwest::Response, name: &str) -> &'a str {
    response
        .headers()
        .get(name)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
}

#[tokio::test]
async fn an_open_is_a_transparent_gif_counted_once_however_many_hits() {
    on_every_backend_with(customize(), |app| async move {
        let (campaign, send) = sent_message(&app).await;
        let path = format!("/t/o/{}", token(TrackingKind::Open, &send));
        for _ in 0..3 {
            let answer = get(&app, &path).await;
            assert_eq!(answer.status(), 200);
            assert_eq!(header(&answer, "content-type"), "image/gif");
            assert_eq!(header(&answer, "cache-control"), "no-store");
            let body = answer.bytes().await.expect("a body");
            assert!(body.starts_with(b"GIF89a\x01\x00\x01\x00"), "{body:?}");
        }
        app.wait_for_events("email.opened", 3).await;
        let stats = stats(&app, &campaign).await;
        assert_eq!(stats["opened"], 1, "{stats}");
        assert_eq!(stats["clicked"], 0, "{stats}");
    })
    .await;
}

#[tokio::test]
async fn a_click_redirects_only_to_the_stored_url_and_is_counted_once() {
    on_every_backend_with(customize(), |app| async move {
        let (campaign, send) = sent_message(&app).await;
        let stored = "https://acme.example.com/pricing?plan=pro&ref=mail";
        app.ports
            .tracking
            .store_links(&[SendLinks {
                send: send.id,
                urls: vec![stored.to_owned()],
            }])
            .await
            .expect("links stored");
        let path = format!("/t/c/{}", token(TrackingKind::Click { position: 0 }, &send));
        for query in [
            "",
            "?url=https://evil.example/",
            "?to=https%3A%2F%2Fevil.example",
        ] {
            let answer = get(&app, &format!("{path}{query}")).await;
            assert_eq!(answer.status(), 302);
            assert_eq!(header(&answer, "location"), stored);
        }
        // A position with no stored link.
        let nowhere = format!("/t/c/{}", token(TrackingKind::Click { position: 1 }, &send));
        assert_eq!(get(&app, &nowhere).await.status(), 404);
        let clicks = app.wait_for_events("email.clicked", 3).await;
        assert!(
            clicks.iter().all(|click| click.data.as_deref()
                == Some(json!({ "url": stored }).to_string().as_str()))
        );
        let stats = stats(&app, &campaign).await;
        assert_eq!(stats["clicked"], 1, "{stats}");
        assert_eq!(stats["opened"], 0, "{stats}");
    })
    .await;
}

#[tokio::test]
async fn a_forged_altered_or_misplaced_token_is_404_and_records_nothing() {
    on_every_backend_with(customize(), |app| async move {
        let (campaign, send) = sent_message(&app).await;
        app.ports
            .tracking
            .store_links(&[SendLinks {
                send: send.id,
                urls: vec!["https://acme.example.com/".to_owned()],
            }])
            .await
            .expect("links stored");
        let other_key = TrackingKey::new([6; 32]);
        let forged = |kind| TrackingToken::new(kind, send.id).encode(&other_key);
        let open = token(TrackingKind::Open, &send);
        let mut altered = open.clone().into_bytes();
        altered[3] = if altered[3] == b'A' { b'B' } else { b'A' };
        let altered = String::from_utf8(altered).expect("ASCII");
        let unknown_send = TrackingToken::new(
            TrackingKind::Open,
            ObjectId::from_parts(1_795_000_000, [2; 5], 2),
        )
        .encode(&key());
        // A validly signed open of a send that is not in the ledger gets the pixel: the recorder
        // drops it.
        assert_eq!(
            get(&app, &format!("/t/o/{unknown_send}")).await.status(),
            200
        );
        for path in [
            format!("/t/o/{}", forged(TrackingKind::Open)),
            format!("/t/o/{altered}"),
            format!("/t/o/{}", &open[..open.len() - 1]),
            format!("/t/c/{}", forged(TrackingKind::Click { position: 0 })),
            format!("/t/c/{open}"),
            format!("/t/o/{}", token(TrackingKind::Unsubscribe, &send)),
            format!("/u/{}", forged(TrackingKind::Unsubscribe)),
            format!("/u/{open}"),
        ] {
            assert_eq!(get(&app, &path).await.status(), 404, "GET {path}");
        }
        for path in [
            format!("/u/{}", forged(TrackingKind::Unsubscribe)),
            format!("/u/{open}"),
        ] {
            assert_eq!(post(&app, &path).await.status(), 404, "POST {path}");
        }
        // The recorder takes hits in order: once an open of another message queued after all of
        // the above is written, anything they queued is written too.
        let (_, later) = sent_message_numbered(&app, 2).await;
        let later_open = format!("/t/o/{}", token(TrackingKind::Open, &later));
        assert_eq!(get(&app, &later_open).await.status(), 200);
        let events = app.wait_for_events("email.opened", 1).await;
        assert_eq!(
            events[0].message_id.as_deref(),
            Some(later.message_id.as_str())
        );
        assert!(
            adapters::testing::event_rows(app.database())
                .await
                .expect("the events")
                .iter()
                // The messages' own `email.sent` rows aside.
                .filter(|event| event.kind != "email.sent")
                .all(|event| event.message_id.as_deref() == Some(later.message_id.as_str())),
            "only the later open is recorded"
        );
        let stats = stats(&app, &campaign).await;
        assert_eq!(
            (&stats["opened"], &stats["clicked"], &stats["unsubscribed"]),
            (&json!(0), &json!(0), &json!(0)),
            "{stats}"
        );
        assert_eq!(enrolment_status(&app, &campaign).await, "active");
        assert!(dnc_of(&app, &app.workspace.workspace_key).await.is_empty());
    })
    .await;
}

#[tokio::test]
async fn get_unsubscribe_shows_a_confirm_form_and_changes_nothing() {
    on_every_backend_with(customize(), |app| async move {
        let (campaign, send) = sent_message(&app).await;
        let path = format!("/u/{}", token(TrackingKind::Unsubscribe, &send));
        for _ in 0..2 {
            let answer = get(&app, &path).await;
            assert_eq!(answer.status(), 200);
            assert!(header(&answer, "content-type").starts_with("text/html"));
            let page = answer.text().await.expect("a page");
            assert!(page.contains("<form method=\"post\""), "{page}");
        }
        assert_eq!(enrolment_status(&app, &campaign).await, "active");
        assert!(dnc_of(&app, &app.workspace.workspace_key).await.is_empty());
        assert_eq!(stats(&app, &campaign).await["unsubscribed"], 0);
    })
    .await;
}

#[tokio::test]
async fn post_unsubscribe_lists_the_address_and_stops_the_enrolment_once_in_its_workspace_only() {
    on_every_backend_with(customize(), |app| async move {
        let (other, _, _) = app.other_workspace().await;
        let (campaign, send) = sent_message(&app).await;
        let path = format!("/u/{}", token(TrackingKind::Unsubscribe, &send));
        for _ in 0..2 {
            let answer = post(&app, &path).await;
            assert_eq!(answer.status(), 200);
            assert!(header(&answer, "content-type").starts_with("text/html"));
        }
        assert_eq!(
            dnc_of(&app, &app.workspace.workspace_key).await,
            [(LEAD.to_owned(), "unsubscribe_link".to_owned())]
        );
        assert!(dnc_of(&app, &other.workspace_key).await.is_empty());
        assert_eq!(enrolment_status(&app, &campaign).await, "unsubscribed");
        let read = app.get_with_key(&format!("/v1/campaigns/{campaign}")).await;
        let data = read.ok();
        assert_eq!(data["stats"]["unsubscribed"], 1, "{data}");
        assert_eq!(data["leadCounts"]["unsubscribed"], 1, "{data}");
        assert_eq!(data["leadCounts"]["active"], 0, "{data}");
    })
    .await;
}

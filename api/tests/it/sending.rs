//! The sending engine end to end on every backend (SENDING.md sections 2–4 and 8): a campaign
//! started through the API sends its sequence to a real SMTP server on 127.0.0.1, on a simulated
//! clock, and the tests check what that server received — headers, threading, the local times of
//! the sends across a DST switch, and that a stored line break cannot add a header.

use std::sync::Arc;

use adapters::SimulatedClock;
use adapters::testing::smtp::{ReceivedMessage, SmtpSink, SmtpSinkOptions};
use application::use_cases::dispatch_sends::{DispatchSettings, RoundReport};
use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::America::New_York;
use chrono_tz::Australia::Sydney;
use chrono_tz::Europe::Berlin;
use chrono_tz::Tz;
use domain::tracking::{PublicBaseUrl, TrackingKey};
use serde_json::{Value, json};

use crate::support::*;

const TRACKING_KEY: [u8; 32] = [7; 32];

/// An app on a simulated clock, and the clock.
pub(crate) fn simulated(now: DateTime<Utc>) -> (Customize, Arc<SimulatedClock>) {
    let clock = Arc::new(SimulatedClock::starting_at(now));
    let mut customize = Customize {
        clock: Some(clock.clone()),
        ..Customize::default()
    };
    // The routes check the tokens the engine signs: one key for both, as in one server.
    customize.options.tracking_key = TrackingKey::new(TRACKING_KEY);
    (customize, clock)
}

pub(crate) fn new_york(year: i32, month: u32, day: u32, hour: u32, minute: u32) -> DateTime<Utc> {
    New_York
        .with_ymd_and_hms(year, month, day, hour, minute, 0)
        .single()
        .expect("an unambiguous local time")
        .with_timezone(&Utc)
}

/// A two-email campaign (a wait of one day between) from `mailbox`, in New York's 09:00–17:00 every
/// day; started, with `leads` enrolled.
async fn started_campaign(app: &TestApp, mailbox: &str, leads: &[Value]) -> String {
    started_campaign_with(app, mailbox, json!({}), leads).await
}

/// [`started_campaign`] with these `settings` too.
pub(crate) async fn started_campaign_with(
    app: &TestApp,
    mailbox: &str,
    settings: Value,
    leads: &[Value],
) -> String {
    let mut all_settings =
        json!({"emailIntervalMinutes": 1, "trackOpens": false, "trackClicks": false});
    if let (Some(all), Value::Object(more)) = (all_settings.as_object_mut(), settings) {
        all.extend(more);
    }
    let campaign = app
        .create_campaign(&json!({
            "name": "Engine test",
            "mailboxIds": [mailbox],
            "sequence": [
                {"type": "email", "subject": "Hi {{firstName|there}}",
                 "body": "<p>Hello {{firstName}} at {{companyName}}, see https://acme.example.com</p>"},
                {"type": "wait", "waitDays": 1},
                {"type": "email", "subject": "", "body": "<p>Bumping this up.</p>"}
            ],
            "schedule": {"timezone": "America/New_York", "startTime": "09:00", "endTime": "17:00",
                         "workingDays": [0, 1, 2, 3, 4, 5, 6], "skipNationalHolidays": false},
            "settings": all_settings
        }))
        .await;
    let enrolled = app
        .post_json(
            &format!("/v1/campaigns/{campaign}/leads"),
            &json!({"leads": leads}),
        )
        .await;
    assert_eq!(enrolled.ok()["added"], leads.len(), "{:?}", enrolled.body);
    let started = app.campaign_action(&campaign, "start").await;
    assert_eq!(started.status, 200, "{}", started.text);
    campaign
}

pub(crate) async fn round(app: &TestApp) -> RoundReport {
    app.ports
        .dispatch(DispatchSettings {
            worker: "test-worker".into(),
            claims_per_campaign: 10,
            parallel_sends: 4,
            public_url: PublicBaseUrl::parse("https://links.sendline.test").expect("a base URL"),
            tracking_key: TrackingKey::new(TRACKING_KEY),
        })
        .round()
        .await
        .expect("a sending round")
}

/// The message's `Date` header as an instant.
fn date_of(message: &ReceivedMessage) -> DateTime<Utc> {
    let raw = message.header("Date").expect("a Date header");
    DateTime::parse_from_rfc2822(raw.trim())
        .unwrap_or_else(|error| panic!("{raw:?}: {error}"))
        .with_timezone(&Utc)
}

#[tokio::test]
async fn a_started_campaign_sends_its_sequence_over_smtp_threaded_from_one_mailbox() {
    let start = new_york(2026, 6, 9, 10, 0);
    let (customize, clock) = simulated(start);
    on_every_backend_with(customize, |app| {
        let clock = clock.clone();
        async move {
            clock.set(start);
            let sink = SmtpSink::start().expect("an SMTP sink");
            let mailbox = mailbox_on(&app, &sink, "ana@acme.example.com").await;
            let campaign = started_campaign(
                &app,
                &mailbox,
                &[
                    json!({"email": "ada@prospect.example.com", "firstName": "Ada",
                           "lastName": "Lovelace", "companyName": "Analytical"}),
                    json!({"email": "bob@prospect.example.com"}),
                ],
            )
            .await;

            // One email per minute from the one mailbox (emailIntervalMinutes: 1).
            assert_eq!(round(&app).await.sent, 1);
            assert_eq!(
                round(&app).await.claimed,
                0,
                "spacing holds within the minute"
            );
            clock.advance(Duration::minutes(1));
            assert_eq!(round(&app).await.sent, 1);
            let first = sink.received().expect("received");
            assert_eq!(first.len(), 2);
            let to_ada = first
                .iter()
                .find(|m| m.header("To").is_some_and(|to| to.contains("ada@")))
                .expect("Ada's email");
            assert_eq!(
                to_ada.header("From").as_deref(),
                Some("\"Ana from Acme\" <ana@acme.example.com>")
            );
            assert_eq!(
                to_ada.header("To").as_deref(),
                Some("\"Ada Lovelace\" <ada@prospect.example.com>")
            );
            assert_eq!(to_ada.header("Subject").as_deref(), Some("Hi Ada"));
            let text = to_ada.text();
            assert!(text.contains("Hello Ada at Analytical"), "{text}");
            assert!(text.contains("-- Ana"), "the signature: {text}");
            assert!(text.contains("multipart/alternative"), "{text}");
            let first_id = to_ada.header("Message-ID").expect("a Message-ID");
            assert!(
                first_id.trim().ends_with("@acme.example.com>"),
                "{first_id}"
            );
            let to_bob = first
                .iter()
                .find(|m| m.header("To").is_some_and(|to| to.contains("bob@")))
                .expect("Bob's email");
            assert_eq!(to_bob.header("Subject").as_deref(), Some("Hi there"));
            // RFC 8058: every message can be left in one click.
            let unsubscribe = to_ada.header("List-Unsubscribe").expect("List-Unsubscribe");
            assert!(
                unsubscribe.starts_with("<https://links.sendline.test/u/"),
                "{unsubscribe}"
            );
            assert_eq!(
                to_ada.header("List-Unsubscribe-Post").as_deref(),
                Some("List-Unsubscribe=One-Click")
            );

            // Nothing more until the wait is over.
            clock.advance(Duration::hours(3));
            assert_eq!(round(&app).await.claimed, 0);
            clock.set(start + Duration::days(1));
            assert_eq!(round(&app).await.sent, 1);
            clock.advance(Duration::minutes(1));
            assert_eq!(round(&app).await.sent, 1);
            let all = sink.received().expect("received");
            assert_eq!(all.len(), 4);
            let follow_up = all[2..]
                .iter()
                .find(|m| m.header("To").is_some_and(|to| to.contains("ada@")))
                .expect("Ada's follow-up");
            assert_eq!(follow_up.header("Subject").as_deref(), Some("Re: Hi Ada"));
            assert_eq!(
                follow_up
                    .header("In-Reply-To")
                    .map(|id| id.trim().to_owned()),
                Some(first_id.trim().to_owned())
            );
            assert_eq!(
                follow_up
                    .header("References")
                    .map(|id| id.trim().to_owned()),
                Some(first_id.trim().to_owned())
            );

            // The sequence is done: nothing more, ever; the counts say so.
            clock.advance(Duration::days(3));
            assert_eq!(round(&app).await.claimed, 0);
            let read = app.get_with_key(&format!("/v1/campaigns/{campaign}")).await;
            let data = read.ok();
            assert_eq!(data["stats"]["sent"], 4, "{}", read.text);
            assert_eq!(data["stats"]["delivered"], 4, "{}", read.text);
            assert_eq!(data["leadCounts"]["completed"], 2, "{}", read.text);
        }
    })
    .await;
}

/// A DST switch SENDING.md section 8 item 1 names: the zone, and the local date of the switch.
struct Switch {
    zone: Tz,
    date: (i32, u32, u32),
}

/// The windows item 1 names: a day window, and a night one whose edges meet the switches.
const DST_WINDOWS: [(&str, &str); 2] = [("09:00", "17:00"), ("01:30", "02:30")];

/// A campaign of two emails a day apart, sending in `window` of `zone` every day, started, with
/// one lead; its id.
async fn one_day_wait_campaign(
    app: &TestApp,
    mailbox: &str,
    zone: Tz,
    window: (&str, &str),
    lead: &str,
) -> String {
    let campaign = app
        .create_campaign(&json!({
            "name": format!("DST {} {}", zone.name(), window.0),
            "mailboxIds": [mailbox],
            "sequence": [
                {"type": "email", "subject": "Hello", "body": "<p>Hello</p>"},
                {"type": "wait", "waitDays": 1},
                {"type": "email", "subject": "", "body": "<p>Again</p>"}
            ],
            "schedule": {"timezone": zone.name(), "startTime": window.0, "endTime": window.1,
                         "workingDays": [0, 1, 2, 3, 4, 5, 6], "skipNationalHolidays": false},
            "settings": {"emailIntervalMinutes": 1, "trackOpens": false, "trackClicks": false}
        }))
        .await;
    let enrolled = app
        .post_json(
            &format!("/v1/campaigns/{campaign}/leads"),
            &json!({"leads": [{"email": lead}]}),
        )
        .await;
    assert_eq!(enrolled.ok()["added"], 1, "{}", enrolled.text);
    let started = app.campaign_action(&campaign, "start").await;
    assert_eq!(started.status, 200, "{}", started.text);
    campaign
}

/// The one enrolment of `campaign`: when its next email is planned, as an instant.
async fn planned_send(app: &TestApp, campaign: &str) -> Option<DateTime<Utc>> {
    let listed = app
        .get_with_key(&format!("/v1/campaigns/{campaign}/leads"))
        .await;
    let planned = listed.ok()[0]["nextSendAt"].as_str()?.to_owned();
    Some(
        DateTime::parse_from_rfc3339(&planned)
            .unwrap_or_else(|error| panic!("{planned}: {error}"))
            .with_timezone(&Utc),
    )
}

fn local_clock(instant: DateTime<Utc>, zone: Tz) -> NaiveTime {
    instant.with_timezone(&zone).time()
}

fn hour_minute(text: &str) -> NaiveTime {
    NaiveTime::parse_from_str(text, "%H:%M").expect("HH:MM")
}

#[tokio::test]
async fn dst_every_send_is_inside_the_local_window_and_a_one_day_wait_keeps_the_local_time() {
    // SENDING.md section 8 item 1, in the order of the calendar (the simulated clock only moves on).
    let switches = [
        Switch {
            zone: New_York,
            date: (2026, 3, 8),
        },
        Switch {
            zone: Berlin,
            date: (2026, 3, 29),
        },
        Switch {
            zone: Sydney,
            date: (2026, 4, 5),
        },
        Switch {
            zone: Sydney,
            date: (2026, 10, 4),
        },
        Switch {
            zone: Berlin,
            date: (2026, 10, 25),
        },
        Switch {
            zone: New_York,
            date: (2026, 11, 1),
        },
    ];
    let first_day = switches[0].date;
    let (customize, clock) = simulated(new_york(first_day.0, first_day.1, first_day.2, 0, 0));
    on_every_backend_with(customize, |app| {
        let clock = clock.clone();
        let switches = &switches;
        async move {
            let sink = SmtpSink::start().expect("an SMTP sink");
            let mailbox = mailbox_on(&app, &sink, "ana@acme.example.com").await;
            for switch in switches {
                let (year, month, day) = switch.date;
                let eve = NaiveDate::from_ymd_opt(year, month, day)
                    .and_then(|date| date.pred_opt())
                    .expect("the day before the switch");
                // From midnight of the day before, in 15-minute rounds for two days and a half.
                let start = switch
                    .zone
                    .from_local_datetime(&eve.and_hms_opt(0, 0, 0).expect("midnight"))
                    .single()
                    .expect("midnight exists")
                    .with_timezone(&Utc);
                clock.set(start);
                let mut campaigns = Vec::new();
                for (index, window) in DST_WINDOWS.into_iter().enumerate() {
                    let lead = format!("lead{index}.{year}{month:02}{day:02}@prospect.example.com");
                    let campaign =
                        one_day_wait_campaign(&app, &mailbox, switch.zone, window, &lead).await;
                    campaigns.push((campaign, window, lead));
                }
                let mut planned = Vec::new();
                let mut now = start;
                while now < start + Duration::hours(60) {
                    clock.set(now);
                    // A plan changes when its enrolment sends: read the plans then.
                    if round(&app).await.sent > 0 {
                        for (campaign, window, _) in &campaigns {
                            if let Some(at) = planned_send(&app, campaign).await {
                                planned.push((at, *window));
                            }
                        }
                    }
                    now += Duration::minutes(15);
                }
                let received = sink.received().expect("received");
                for (_, window, lead) in &campaigns {
                    let context = format!("{} {:?} {window:?}", switch.zone.name(), switch.date);
                    let window_clock = hour_minute(window.0)..hour_minute(window.1);
                    let sends: Vec<DateTime<Utc>> = received
                        .iter()
                        .filter(|m| m.header("To").is_some_and(|to| to.contains(lead.as_str())))
                        .map(date_of)
                        .collect();
                    assert_eq!(sends.len(), 2, "{context}: both emails, once each");
                    for sent in &sends {
                        let local = local_clock(*sent, switch.zone);
                        assert!(window_clock.contains(&local), "{context}: sent at {local}");
                    }
                    // A wait of one day lands on the same local clock time, whatever the switch did
                    // to the length of that day.
                    assert_eq!(
                        local_clock(sends[0], switch.zone),
                        local_clock(sends[1], switch.zone),
                        "{context}: {sends:?}"
                    );
                    assert_eq!(local_clock(sends[0], switch.zone), window_clock.start);
                }
                for (at, window) in &planned {
                    let local = local_clock(*at, switch.zone);
                    assert!(
                        (hour_minute(window.0)..hour_minute(window.1)).contains(&local),
                        "{}: planned at {local}",
                        switch.zone.name()
                    );
                }
                assert!(!planned.is_empty(), "the follow-ups were planned");
            }
            // New York springs forward on 2026-03-08: the day window's wait across it is 23 hours.
            let received = sink.received().expect("received");
            let new_york_day: Vec<DateTime<Utc>> = received
                .iter()
                .filter(|m| {
                    m.header("To")
                        .is_some_and(|to| to.contains("lead0.20260308@"))
                })
                .map(date_of)
                .collect();
            assert_eq!(new_york_day[1] - new_york_day[0], Duration::hours(23));
        }
    })
    .await;
}

#[tokio::test]
async fn header_injection_a_stored_line_break_cannot_add_a_header() {
    let start = new_york(2026, 6, 9, 10, 0);
    let (customize, clock) = simulated(start);
    on_every_backend_with(customize, |app| {
        let clock = clock.clone();
        async move {
            clock.set(start);
            let sink = SmtpSink::start().expect("an SMTP sink");
            let mailbox = mailbox_on(&app, &sink, "ana@acme.example.com").await;
            // A custom field may hold line breaks; the subject uses it.
            let campaign = app
                .create_campaign(&json!({
                    "name": "Injection",
                    "mailboxIds": [mailbox],
                    "sequence": [{"type": "email", "subject": "About {{note}}", "body": "<p>Hi</p>"}],
                    "schedule": {"timezone": "America/New_York", "startTime": "09:00",
                                 "endTime": "17:00", "workingDays": [0, 1, 2, 3, 4, 5, 6]}
                }))
                .await;
            let enrolled = app
                .post_json(
                    &format!("/v1/campaigns/{campaign}/leads"),
                    &json!({"leads": [{"email": "eve@prospect.example.com",
                        "customFields": {"note": "x\r\nBcc: victim@example.com\r\nX-Injected: yes"}}]}),
                )
                .await;
            assert_eq!(enrolled.ok()["added"], 1, "{}", enrolled.text);
            app.campaign_action(&campaign, "start").await;
            assert_eq!(round(&app).await.sent, 1);
            let received = sink.received().expect("received");
            assert_eq!(received.len(), 1);
            let message = &received[0];
            assert!(message.header("X-Injected").is_none(), "{}", message.text());
            assert!(message.header("Bcc").is_none(), "{}", message.text());
            assert_eq!(message.recipients.len(), 1, "{:?}", message.recipients);
            let subject = message.header("Subject").expect("a subject");
            assert!(!subject.contains('\n') && !subject.contains('\r'));
        }
    })
    .await;
}

/// The first `{base}/t/c/{token}` URL in a message's data (quoted-printable soft breaks undone).
fn tracked_link(message: &ReceivedMessage, base: &str) -> String {
    let text = message.text().replace("=\r\n", "").replace("=3D", "=");
    let start = text
        .find(&format!("{base}/t/c/"))
        .unwrap_or_else(|| panic!("no tracked link in {text}"));
    text[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || "/:._-".contains(*c))
        .collect()
}

#[tokio::test]
async fn tracking_a_sent_link_redirects_to_its_own_url_and_counts_one_click() {
    let start = new_york(2026, 6, 9, 10, 0);
    let (customize, clock) = simulated(start);
    on_every_backend_with(customize, |app| {
        let clock = clock.clone();
        async move {
            clock.set(start);
            let sink = SmtpSink::start().expect("an SMTP sink");
            let mailbox = mailbox_on(&app, &sink, "ana@acme.example.com").await;
            let campaign = app
                .create_campaign(&json!({
                    "name": "Tracked",
                    "mailboxIds": [mailbox],
                    "sequence": [{"type": "email", "subject": "Hi",
                        "body": "<p>See <a href=\"https://acme.example.com/pricing\">pricing</a></p>"}],
                    "schedule": {"timezone": "America/New_York", "startTime": "09:00",
                                 "endTime": "17:00", "workingDays": [0, 1, 2, 3, 4, 5, 6]},
                    "settings": {"trackClicks": true, "trackOpens": true}
                }))
                .await;
            app.post_json(
                &format!("/v1/campaigns/{campaign}/leads"),
                &json!({"leads": [{"email": "ada@prospect.example.com"}]}),
            )
            .await;
            app.campaign_action(&campaign, "start").await;
            assert_eq!(round(&app).await.sent, 1);
            let received = sink.received().expect("received");
            let link = tracked_link(&received[0], "https://links.sendline.test");
            assert!(
                !received[0].text().contains("href=3D\"https://acme.example.com"),
                "the original URL is not a link of the HTML part"
            );
            // The tracked link, asked of this server, sends the reader to the stored URL.
            let path = link.trim_start_matches("https://links.sendline.test");
            let no_redirects = reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("a client");
            for _ in 0..3 {
                let answer = no_redirects
                    .get(format!("{}{path}", app.base))
                    .send()
                    .await
                    .expect("an answer");
                assert_eq!(answer.status().as_u16(), 302);
                assert_eq!(
                    answer.headers()["location"].to_str().ok(),
                    Some("https://acme.example.com/pricing")
                );
            }
            // Clicks are recorded after their answer.
            app.wait_for_events("email.clicked", 3).await;
            let read = app.get_with_key(&format!("/v1/campaigns/{campaign}")).await;
            assert_eq!(read.ok()["stats"]["clicked"], 1, "{}", read.text);
        }
    })
    .await;
}

#[tokio::test]
async fn a_refused_login_puts_the_mailbox_in_error_sends_nothing_and_new_settings_resume_it() {
    let start = new_york(2026, 6, 9, 10, 0);
    let (customize, clock) = simulated(start);
    on_every_backend_with(customize, |app| {
        let clock = clock.clone();
        async move {
            clock.set(start);
            let sink = SmtpSink::start_with(SmtpSinkOptions {
                login: Some(("ana".into(), "right-password".into())),
                ..SmtpSinkOptions::default()
            })
            .expect("an SMTP sink");
            let mailbox = mailbox_on(&app, &sink, "ana@acme.example.com").await;
            let wrong = app
                .send(
                    reqwest::Method::PATCH,
                    &format!("/v1/mailboxes/{mailbox}"),
                    Some(&json!({"smtpUsername": "ana", "smtpPassword": "wrong-password"})),
                )
                .await;
            assert_eq!(wrong.status, 200, "{}", wrong.text);
            started_campaign(
                &app,
                &mailbox,
                &[json!({"email": "ada@prospect.example.com"})],
            )
            .await;
            assert_eq!(round(&app).await.mailbox_failures, 1);
            assert!(sink.received().expect("received").is_empty());
            let failed = app.get_with_key(&format!("/v1/mailboxes/{mailbox}")).await;
            assert_eq!(failed.ok()["status"], "error", "{}", failed.text);
            assert!(
                failed.ok()["lastError"]
                    .as_str()
                    .is_some_and(|error| error.contains("authentication")),
                "{}",
                failed.text
            );
            assert!(!failed.text.contains("wrong-password"), "{}", failed.text);
            // A mailbox in error claims nothing.
            clock.advance(Duration::minutes(5));
            assert_eq!(round(&app).await.claimed, 0);

            let fixed = app
                .send(
                    reqwest::Method::PATCH,
                    &format!("/v1/mailboxes/{mailbox}"),
                    Some(&json!({"smtpPassword": "right-password"})),
                )
                .await;
            assert_eq!(fixed.ok()["status"], "active", "{}", fixed.text);
            assert_eq!(round(&app).await.sent, 1);
            assert_eq!(sink.received().expect("received").len(), 1);
        }
    })
    .await;
}

#[tokio::test]
async fn stats_a_subsequence_send_counts_in_the_subsequence_and_in_the_campaign() {
    let start = new_york(2026, 6, 9, 10, 0);
    let (customize, clock) = simulated(start);
    on_every_backend_with(customize, |app| {
        let clock = clock.clone();
        async move {
            clock.set(start);
            let sink = SmtpSink::start().expect("an SMTP sink");
            let mailbox = mailbox_on(&app, &sink, "ana@acme.example.com").await;
            let campaign = app
                .create_campaign(&json!({
                    "name": "Subsequence stats",
                    "mailboxIds": [mailbox],
                    "sequence": [
                        {"type": "email", "subject": "Hi", "body": "<p>Hi</p>"},
                        {"type": "wait", "waitDays": 3},
                        {"type": "email", "subject": "", "body": "<p>Again</p>"}
                    ],
                    "subsequences": [
                        {"name": "Interested", "trigger": {"type": "ai_tag", "value": "interested"},
                         "sequence": [{"type": "email", "subject": "Next steps",
                                       "body": "<p>Glad to hear it</p>"}]}
                    ],
                    "schedule": {"timezone": "America/New_York", "startTime": "09:00",
                                 "endTime": "17:00", "workingDays": [0, 1, 2, 3, 4, 5, 6]},
                    "settings": {"emailIntervalMinutes": 1}
                }))
                .await;
            app.post_json(
                &format!("/v1/campaigns/{campaign}/leads"),
                &json!({"leads": [{"email": "ada@prospect.example.com"}]}),
            )
            .await
            .ok();
            app.campaign_action(&campaign, "start").await;
            assert_eq!(round(&app).await.sent, 1);

            let enrolment = app
                .get_with_key(&format!("/v1/campaigns/{campaign}/leads"))
                .await
                .ok()[0]["_id"]
                .as_str()
                .expect("an enrolment id")
                .to_owned();
            let tagged = app
                .send(
                    reqwest::Method::PATCH,
                    &format!("/v1/campaigns/{campaign}/leads/{enrolment}"),
                    Some(&json!({"aiTag": "interested"})),
                )
                .await;
            assert_eq!(tagged.status, 200, "{}", tagged.text);
            clock.advance(Duration::minutes(1));
            assert_eq!(round(&app).await.sent, 1, "the subsequence's email");
            let received = sink.received().expect("received");
            assert_eq!(received[1].header("Subject").as_deref(), Some("Next steps"));

            let read = app.get_with_key(&format!("/v1/campaigns/{campaign}")).await;
            let data = read.ok();
            assert_eq!(data["stats"]["sent"], 2, "{}", read.text);
            assert_eq!(data["subsequences"][0]["stats"]["sent"], 1, "{}", read.text);
            assert_eq!(
                data["subsequences"][0]["stats"]["delivered"], 1,
                "{}",
                read.text
            );
        }
    })
    .await;
}

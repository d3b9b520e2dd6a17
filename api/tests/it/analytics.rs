//! The analytics operations end to end on every backend (SENDING.md section 6): with messages sent
//! through the engine's ledger, opens and clicks recorded by tracking and replies written as the
//! reply reader writes them, `GET /v1/campaigns/{id}/analytics`, `GET /v1/analytics/overview`,
//! `GET /v1/analytics/daily/campaigns/{id}` (local dates of the campaign's zone, across New York's
//! fall-back) and `GET /v1/campaigns/{id}/events` answer the scenario's numbers; bad query
//! parameters are 400 in the envelope, another workspace's campaign is 404.

use std::collections::HashSet;
use std::sync::Arc;

use adapters::SimulatedClock;
use adapters::testing::record_send_event;
use application::ports::IdGenerator;
use application::ports::{
    ClaimRequest, ClaimedSend, FinishedSend, HitKind, NextStep, SendOutcome, TrackedHit,
    TrackingHit,
};
use chrono::{DateTime, Duration, TimeZone, Utc};
use domain::id::ObjectId;
use serde_json::{Value, json};

use crate::support::*;

/// Monday 2026-11-23, 10:00 in New York: inside the seed's window.
fn now() -> DateTime<Utc> {
    utc(2026, 11, 23, 15, 0)
}

fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, min, 0)
        .single()
        .expect("a valid time")
}

fn customize() -> Customize {
    Customize {
        clock: Some(Arc::new(SimulatedClock::starting_at(now()))),
        ..Customize::default()
    }
}

/// The seed campaign in `America/New_York`, started, with `leads` enrolled, each lead's first email
/// claimed; answers the campaign's id and the claims.
async fn claimed(app: &TestApp, leads: usize) -> (String, Vec<ClaimedSend>) {
    let mut seed: Value = serde_json::from_str(SEED_BODY).expect("the seed is JSON");
    seed["schedule"]["timezone"] = json!("America/New_York");
    let campaign = app.create_campaign(&seed).await;
    let emails: Vec<Value> = (0..leads)
        .map(|n| json!({"email": format!("lead{n}@prospect.example.com")}))
        .collect();
    let enrolled = app
        .post_json(
            &format!("/v1/campaigns/{campaign}/leads"),
            &json!({ "leads": emails }),
        )
        .await;
    assert_eq!(enrolled.ok()["added"], leads, "{}", enrolled.text);
    app.campaign_action(&campaign, "start").await.ok();
    let stored = app
        .stored_campaign(&app.workspace.workspace_id, &campaign)
        .await
        .expect("the campaign");
    let ledger = app.database().send_ledger();
    let mut claims = Vec::new();
    for hour in 0..6 {
        if claims.len() == leads {
            break;
        }
        let ids = (0..leads)
            .map(|n| ObjectId::from_parts(1_795_000_000 + hour, [2; 5], n as u32))
            .collect();
        claims.extend(
            ledger
                .claim(&ClaimRequest {
                    campaign: stored.clone(),
                    worker: "test".to_owned(),
                    now: now() + Duration::hours(i64::from(hour)),
                    ids,
                })
                .await
                .expect("a claim"),
        );
    }
    assert_eq!(claims.len(), leads);
    (campaign, claims)
}

fn finished(claim: &ClaimedSend, at: DateTime<Utc>, bounced: bool) -> FinishedSend {
    let outcome = if bounced {
        SendOutcome::Bounced {
            subject: "Hello".to_owned(),
            reply: "550 5.1.1 no such user".to_owned(),
        }
    } else {
        SendOutcome::Sent {
            subject: "Hello".to_owned(),
            reply: "250 OK".to_owned(),
            next: NextStep::Email {
                step: 2,
                due: now() + Duration::days(3),
            },
        }
    };
    FinishedSend {
        claim: claim.clone(),
        at,
        outcome,
    }
}

fn hit(send: &ClaimedSend, at: DateTime<Utc>, kind: HitKind) -> TrackedHit {
    TrackedHit {
        hit: TrackingHit {
            send: send.id,
            event: adapters::ObjectIdGenerator.new_id(),
            at,
        },
        kind,
    }
}

async fn reply(app: &TestApp, send: &ClaimedSend, at: DateTime<Utc>) {
    let lead = send.lead.to_string();
    for kind in ["email.replied", "lead.replied"] {
        record_send_event(
            app.database(),
            send.id,
            kind,
            Some(&lead),
            at,
            Some(r#"{"replyText":"Sounds good"}"#),
        )
        .await
        .expect("a reply event");
    }
}

/// Four messages (New York dates): lead 0 sent 31 October 23:59 EDT, opened twice and clicked,
/// replied twice; lead 1 sent 1 November 00:00 EDT, refused for good (bounced); lead 2 sent in the
/// 25th hour of 1 November (23:30 EST), opened on 2 November; lead 3 sent 2 November 00:00 EST,
/// replied.
async fn scenario(app: &TestApp) -> (String, Vec<ClaimedSend>) {
    let (campaign, claims) = claimed(app, 4).await;
    let times = [
        utc(2026, 11, 1, 3, 59),
        utc(2026, 11, 1, 4, 0),
        utc(2026, 11, 2, 4, 30),
        utc(2026, 11, 2, 5, 0),
    ];
    let batch: Vec<FinishedSend> = claims
        .iter()
        .zip(times)
        .enumerate()
        .map(|(n, (claim, at))| finished(claim, at, n == 1))
        .collect();
    app.database()
        .send_ledger()
        .finish(&batch)
        .await
        .expect("finished");
    let url = "https://acme.example.com/";
    app.database()
        .tracking()
        .record_hits(&[
            hit(&claims[0], utc(2026, 11, 1, 4, 10), HitKind::Open),
            hit(&claims[0], utc(2026, 11, 1, 5, 0), HitKind::Open),
            hit(
                &claims[0],
                utc(2026, 11, 1, 5, 1),
                HitKind::Click { url: url.into() },
            ),
            hit(&claims[2], utc(2026, 11, 2, 6, 0), HitKind::Open),
        ])
        .await
        .expect("hits recorded");
    reply(app, &claims[0], utc(2026, 11, 1, 12, 0)).await;
    reply(app, &claims[0], utc(2026, 11, 1, 13, 0)).await;
    reply(app, &claims[3], utc(2026, 11, 2, 14, 0)).await;
    (campaign, claims)
}

fn counters(value: &Value, names: &[&str]) -> Vec<i64> {
    names
        .iter()
        .map(|name| value[*name].as_i64().unwrap_or(-1))
        .collect()
}

const STATS: [&str; 7] = [
    "sent",
    "delivered",
    "opened",
    "clicked",
    "replied",
    "bounced",
    "unsubscribed",
];

#[tokio::test]
async fn campaign_analytics_count_first_events_per_message_over_all_time_and_a_span() {
    on_every_backend_with(customize(), |app| async move {
        let (campaign, claims) = scenario(&app).await;
        let all = app
            .get_with_key(&format!("/v1/campaigns/{campaign}/analytics"))
            .await;
        let data = all.ok();
        assert_eq!(data["campaign"]["id"], campaign.as_str());
        assert_eq!(data["campaign"]["name"], "Q2 Outbound - Decision Makers");
        assert_eq!(data["campaign"]["status"], "active");
        assert!(is_wire_timestamp(
            data["campaign"]["startedAt"].as_str().unwrap_or_default()
        ));
        assert_eq!(counters(&data["stats"], &STATS), [4, 3, 2, 1, 2, 1, 0]);
        assert_eq!(
            counters(&data["bySequence"]["main"], &STATS),
            [4, 3, 2, 1, 2, 1, 0]
        );
        assert_eq!(
            counters(&data["bySequence"]["subsequence"], &STATS),
            [0; 7]
        );
        let steps = data["stepAnalytics"].as_array().expect("a list");
        let summed: i64 = steps.iter().map(|step| step["sent"].as_i64().unwrap_or(0)).sum();
        assert_eq!(summed, 4);
        assert!(steps.iter().all(|step| step["sequenceStep"] == 0), "{steps:?}");
        let keys: HashSet<&str> = steps[0]
            .as_object()
            .expect("an object")
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            HashSet::from(["sequenceStep", "variant", "sent", "opened", "clicked", "replied", "bounced"])
        );
        assert_eq!(data["totalReplied"], 2);
        assert_eq!(data["statusBreakdown"]["bounced"], 1);
        assert_eq!(data["statusBreakdown"]["total"], 4);
        // The same numbers as the campaign's own stats (replies aside: the reader counts those).
        let stored = app.get_with_key(&format!("/v1/campaigns/{campaign}")).await;
        let stats = &stored.ok()["stats"];
        assert_eq!(
            counters(stats, &["sent", "delivered", "opened", "clicked", "bounced"]),
            [4, 3, 2, 1, 1]
        );

        // 1 November in New York (25 hours): lead 1's and lead 2's sends, lead 0's first open,
        // click and first reply.
        let day = app
            .get_with_key(&format!(
                "/v1/campaigns/{campaign}/analytics?from=2026-11-01&to=2026-11-01"
            ))
            .await;
        assert_eq!(counters(&day.ok()["stats"], &STATS), [2, 1, 1, 1, 1, 1, 0]);
        assert_eq!(day.ok()["totalReplied"], 1);
        // Instants: from lead 3's send on, the `to` instant included.
        let instants = app
            .get_with_key(&format!(
                "/v1/campaigns/{campaign}/analytics?from=2026-11-02T05:00:00Z&to=2026-11-02T14:00:00Z"
            ))
            .await;
        assert_eq!(
            counters(&instants.ok()["stats"], &STATS),
            [1, 1, 1, 0, 1, 0, 0]
        );
        drop(claims);
    })
    .await;
}

#[tokio::test]
async fn daily_analytics_list_every_local_date_of_the_campaigns_zone_across_the_dst_switch() {
    on_every_backend_with(customize(), |app| async move {
        let (campaign, _) = scenario(&app).await;
        let daily = app
            .get_with_key(&format!(
                "/v1/analytics/daily/campaigns/{campaign}?from=2026-10-30&to=2026-11-03"
            ))
            .await;
        let rows: Vec<(String, Vec<i64>)> = daily
            .ok()
            .as_array()
            .expect("a list")
            .iter()
            .map(|row| {
                (
                    row["_id"].as_str().unwrap_or("?").to_owned(),
                    counters(row, &["sent", "opened", "clicked", "replied", "bounced"]),
                )
            })
            .collect();
        assert_eq!(
            rows,
            [
                ("2026-10-30".to_owned(), vec![0, 0, 0, 0, 0]),
                ("2026-10-31".to_owned(), vec![1, 0, 0, 0, 0]),
                ("2026-11-01".to_owned(), vec![2, 1, 1, 1, 1]),
                ("2026-11-02".to_owned(), vec![1, 1, 0, 1, 0]),
                ("2026-11-03".to_owned(), vec![0, 0, 0, 0, 0]),
            ]
        );
        // Defaults: the 30 days before today (23 November in New York), and today.
        let default = app
            .get_with_key(&format!("/v1/analytics/daily/campaigns/{campaign}"))
            .await;
        let dates: Vec<&str> = default
            .ok()
            .as_array()
            .expect("a list")
            .iter()
            .filter_map(|row| row["_id"].as_str())
            .collect();
        assert_eq!(dates.len(), 31);
        assert_eq!(dates.first(), Some(&"2026-10-24"));
        assert_eq!(dates.last(), Some(&"2026-11-23"));
    })
    .await;
}

#[tokio::test]
async fn the_overview_totals_the_workspace_and_rates_them_with_one_decimal() {
    on_every_backend_with(customize(), |app| async move {
        let empty = app.get_with_key("/v1/analytics/overview").await;
        assert_eq!(
            empty.ok()["rates"],
            json!({"open": "0.0", "click": "0.0", "reply": "0.0", "bounce": "0.0"})
        );
        scenario(&app).await;
        // A second campaign without sends.
        let seed: Value = serde_json::from_str(SEED_BODY).expect("the seed is JSON");
        app.create_campaign(&seed).await;
        let overview = app.get_with_key("/v1/analytics/overview").await;
        let data = overview.ok();
        assert_eq!(counters(&data["stats"], &STATS), [4, 3, 2, 1, 2, 1, 0]);
        assert_eq!(data["totalCampaigns"], 2);
        assert_eq!(data["activeCampaigns"], 1);
        // 2 of 4 opened, 1 of 4 clicked, 2 of 4 replied, 1 of 4 bounced.
        assert_eq!(
            data["rates"],
            json!({"open": "50.0", "click": "25.0", "reply": "50.0", "bounce": "25.0"})
        );
        let day = app
            .get_with_key("/v1/analytics/overview?from=2026-11-02&to=2026-11-02")
            .await;
        // UTC dates: leads 2 and 3 were sent on 2 November (UTC); lead 2 opened, lead 3 replied.
        assert_eq!(counters(&day.ok()["stats"], &STATS), [2, 2, 1, 0, 1, 0, 0]);
        assert_eq!(
            day.ok()["rates"],
            json!({"open": "50.0", "click": "0.0", "reply": "50.0", "bounce": "0.0"})
        );
        // Another workspace has nothing.
        let (other, _, _) = app.other_workspace().await;
        let theirs = app
            .request(
                reqwest::Method::GET,
                "/v1/analytics/overview",
                &[("X-Api-Key", &other.workspace_key)],
            )
            .await;
        assert_eq!(counters(&theirs.ok()["stats"], &STATS), [0; 7]);
        assert_eq!(theirs.ok()["totalCampaigns"], 0);
    })
    .await;
}

#[tokio::test]
async fn events_pages_walk_every_row_newest_first_without_gaps_or_repeats_and_filter_by_type() {
    on_every_backend_with(customize(), |app| async move {
        let (campaign, claims) = scenario(&app).await;
        // 4 sent, 1 bounced + 1 lead.bounced, 4 hits, 3 replies of 2 rows each.
        let expected = 16;
        let mut seen: Vec<String> = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..expected {
            let path = match &cursor {
                Some(cursor) => {
                    format!("/v1/campaigns/{campaign}/events?limit=3&cursor={cursor}")
                }
                None => format!("/v1/campaigns/{campaign}/events?limit=3"),
            };
            let page = app.get_with_key(&path).await;
            assert_eq!(page.body["pagination"]["total"], expected, "{}", page.text);
            seen.extend(
                page.ok()
                    .as_array()
                    .expect("a list")
                    .iter()
                    .filter_map(|event| event["_id"].as_str().map(str::to_owned)),
            );
            cursor = page.body["pagination"]["nextCursor"]
                .as_str()
                .map(str::to_owned);
            if cursor.is_none() {
                assert_eq!(page.body["pagination"]["hasMore"], false);
                break;
            }
        }
        assert_eq!(seen.len(), expected);
        assert_eq!(seen.iter().collect::<HashSet<_>>().len(), expected);
        let mut newest_first = seen.clone();
        newest_first.sort_by(|a, b| b.cmp(a));
        assert_eq!(seen, newest_first);

        let sent = app
            .get_with_key(&format!(
                "/v1/campaigns/{campaign}/events?type=email.sent&limit=100"
            ))
            .await;
        let events = sent.ok().as_array().expect("a list");
        assert_eq!(events.len(), 4);
        let oldest = &events[3];
        let keys: HashSet<&str> = oldest
            .as_object()
            .expect("an object")
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            HashSet::from([
                "_id",
                "type",
                "campaignId",
                "enrolmentId",
                "leadId",
                "mailboxId",
                "step",
                "variant",
                "subsequenceId",
                "messageId",
                "at",
                "data"
            ])
        );
        assert_eq!(oldest["type"], "email.sent");
        assert_eq!(oldest["campaignId"], campaign.as_str());
        assert_eq!(oldest["messageId"], claims[0].message_id.as_str());
        assert_eq!(oldest["leadId"], claims[0].lead.to_string());
        assert_eq!(oldest["at"], "2026-11-01T03:59:00.000Z");
        assert_eq!(oldest["data"], Value::Null);
        let bounced = app
            .get_with_key(&format!(
                "/v1/campaigns/{campaign}/events?type=email.bounced"
            ))
            .await;
        assert_eq!(bounced.ok()[0]["data"], json!({"bounceStatus": "5.1.1"}));
    })
    .await;
}

#[tokio::test]
async fn bad_query_parameters_are_400_in_the_envelope_and_another_workspaces_campaign_is_404() {
    on_every_backend_with(customize(), |app| async move {
        let (campaign, _) = claimed(&app, 1).await;
        for path in [
            format!("/v1/campaigns/{campaign}/analytics?from=yesterday"),
            format!("/v1/campaigns/{campaign}/analytics?to=2026-13-01"),
            format!("/v1/campaigns/{campaign}/analytics?from=2026-11-02&to=2026-11-01"),
            "/v1/analytics/overview?from=2026-11-02T10:00".to_owned(),
            format!("/v1/analytics/daily/campaigns/{campaign}?from=2025-01-01&to=2026-11-01"),
            format!("/v1/analytics/daily/campaigns/{campaign}?from=2026-11-02&to=2026-11-01"),
            format!("/v1/campaigns/{campaign}/events?type=email.exploded"),
            format!("/v1/campaigns/{campaign}/events?cursor=nope"),
            format!("/v1/campaigns/{campaign}/events?limit=0"),
            format!("/v1/campaigns/{campaign}/events?limit=many"),
        ] {
            let answer = app.get_with_key(&path).await;
            answer.assert_error(400, "VALIDATION_FAILED");
            assert!(!answer.text.contains("SELECT"), "{path}: {}", answer.text);
        }
        let (other, _, _) = app.other_workspace().await;
        for path in [
            format!("/v1/campaigns/{campaign}/analytics"),
            format!("/v1/analytics/daily/campaigns/{campaign}"),
            format!("/v1/campaigns/{campaign}/events"),
        ] {
            let theirs = app
                .request(
                    reqwest::Method::GET,
                    &path,
                    &[("X-Api-Key", &other.workspace_key)],
                )
                .await;
            theirs.assert_error(404, "NOT_FOUND");
            app.get_with_key(&path).await.ok();
            let unknown = path.replace(&campaign, "0123456789abcdef01234567");
            app.get_with_key(&unknown)
                .await
                .assert_error(404, "NOT_FOUND");
            app.get(&path).await.assert_error(401, "UNAUTHORIZED");
        }
        app.get("/v1/analytics/overview")
            .await
            .assert_error(401, "UNAUTHORIZED");
    })
    .await;
}

//! `GET /v1/campaigns/{id}/schedule` end to end on every backend (SENDING.md sections 2 and 6), on a
//! simulated clock: windows in UTC and local form across a DST switch, weekends and holidays skipped
//! with their names, the forecast from enrolments, waits, mailboxes and limits, `days` bounds, and
//! tenancy.

use std::sync::Arc;

use adapters::SimulatedClock;
use chrono::{DateTime, TimeZone, Utc};
use reqwest::Method;
use serde_json::{Value, json};

use crate::support::*;

fn seed() -> Value {
    serde_json::from_str(SEED_BODY).expect("the seed is JSON")
}

/// An app whose clock stands at `now`.
fn at(now: DateTime<Utc>) -> Customize {
    Customize {
        clock: Some(Arc::new(SimulatedClock::starting_at(now))),
        ..Customize::default()
    }
}

fn utc(year: i32, month: u32, day: u32, hour: u32, minute: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(year, month, day, hour, minute, 0)
        .single()
        .expect("a valid time")
}

async fn schedule(app: &TestApp, campaign: &str, query: &str) -> TestResponse {
    app.get_with_key(&format!("/v1/campaigns/{campaign}/schedule{query}"))
        .await
}

/// Imports `count` leads and enrols them all in `campaign`.
async fn enrol_leads(app: &TestApp, campaign: &str, count: usize) {
    let leads: Vec<Value> = (0..count)
        .map(|n| json!({"email": format!("lead{n}@prospect.example.com")}))
        .collect();
    let enrolled = app
        .post_json(
            &format!("/v1/campaigns/{campaign}/leads"),
            &json!({"leads": leads}),
        )
        .await;
    assert_eq!(enrolled.ok()["added"], count, "{:?}", enrolled.body);
}

fn dates(items: &Value) -> Vec<&str> {
    items
        .as_array()
        .expect("a list")
        .iter()
        .map(|item| item["date"].as_str().expect("a date"))
        .collect()
}

fn counts(forecast: &Value) -> Vec<u64> {
    forecast["plannedSends"]
        .as_array()
        .expect("a list")
        .iter()
        .map(|planned| planned["count"].as_u64().expect("a count"))
        .collect()
}

/// The seed's schedule: America/Chicago, 08:30–16:00, Monday to Friday, national holidays skipped;
/// an email, a 3-day wait, an email; at most 50 a day, 12 minutes apart. Monday 2026-11-23, 06:00 in
/// Chicago: Thanksgiving (Thursday 26) and the weekend are skipped, with their reasons.
#[tokio::test]
async fn windows_skip_weekends_and_holidays_and_the_forecast_keeps_every_limit() {
    on_every_backend_with(at(utc(2026, 11, 23, 12, 0)), |app| async move {
        let campaign = app.create_campaign(&seed()).await;
        enrol_leads(&app, &campaign, 120).await;
        let answer = schedule(&app, &campaign, "?days=7").await;
        let data = answer.ok();
        assert_eq!(data["timezone"], "America/Chicago");
        assert_eq!(
            dates(&data["windows"]),
            ["2026-11-23", "2026-11-24", "2026-11-25", "2026-11-27"]
        );
        let monday = &data["windows"][0];
        assert_eq!(monday["start"], "2026-11-23T14:30:00.000Z");
        assert_eq!(monday["end"], "2026-11-23T22:00:00.000Z");
        assert_eq!(monday["startLocal"], "2026-11-23T08:30:00-06:00");
        assert_eq!(monday["endLocal"], "2026-11-23T16:00:00-06:00");
        assert_eq!(monday["reason"], Value::Null);
        assert_eq!(
            data["skipped"],
            json!([
                {"date": "2026-11-26", "reason": "holiday", "holiday": "Thanksgiving Day"},
                {"date": "2026-11-28", "reason": "weekend", "holiday": null},
                {"date": "2026-11-29", "reason": "weekend", "holiday": null},
            ])
        );
        // Three mailboxes, each able to send 38 in 7.5 hours 12 minutes apart: the campaign's own
        // limit of 50 is the bound.
        let forecast = &data["forecast"];
        assert_eq!(forecast["capacityPerDay"], 50);
        assert_eq!(forecast["remainingSends"], 240, "two emails to each of 120");
        assert_eq!(dates(&forecast["plannedSends"]), dates(&data["windows"]));
        // First emails on Monday to Wednesday (50, 50, 20); Monday's follow-ups, due on
        // Thanksgiving, and Tuesday's, due on Friday, share Friday's 50; the rest go on Monday 30
        // and Tuesday 1 December.
        assert_eq!(counts(forecast), [50, 50, 20, 50]);
        assert_eq!(forecast["estimatedCompletion"], "2026-12-01");
    })
    .await;
}

/// America/New_York springs forward at 02:00 on 2026-03-08: a 01:30–02:30 window ends at 03:00 EDT
/// that day (the first valid instant after the gap), marked `dst_gap`; the next day's is whole again.
#[tokio::test]
async fn a_window_edge_in_a_spring_forward_gap_moves_after_it_and_says_so() {
    on_every_backend_with(at(utc(2026, 3, 7, 12, 0)), |app| async move {
        let mut body = seed();
        body["schedule"] = json!({
            "timezone": "America/New_York",
            "startTime": "01:30",
            "endTime": "02:30",
            "workingDays": [0, 1, 2, 3, 4, 5, 6],
            "skipNationalHolidays": false
        });
        let campaign = app.create_campaign(&body).await;
        let answer = schedule(&app, &campaign, "?days=3").await;
        let data = answer.ok();
        // Saturday's window ended at 07:30 UTC, before now: not listed, and not skipped either.
        assert_eq!(
            data["windows"],
            json!([
                {
                    "date": "2026-03-08",
                    "start": "2026-03-08T06:30:00.000Z",
                    "end": "2026-03-08T07:00:00.000Z",
                    "startLocal": "2026-03-08T01:30:00-05:00",
                    "endLocal": "2026-03-08T03:00:00-04:00",
                    "reason": "dst_gap"
                },
                {
                    "date": "2026-03-09",
                    "start": "2026-03-09T05:30:00.000Z",
                    "end": "2026-03-09T06:30:00.000Z",
                    "startLocal": "2026-03-09T01:30:00-04:00",
                    "endLocal": "2026-03-09T02:30:00-04:00",
                    "reason": null
                }
            ])
        );
        assert_eq!(data["skipped"], json!([]));
        assert_eq!(
            data["forecast"]["estimatedCompletion"],
            Value::Null,
            "no enrolments"
        );
        assert_eq!(data["forecast"]["remainingSends"], 0);
    })
    .await;
}

/// Capacity comes from the campaign's mailboxes that can send: with two of three disabled, one
/// mailbox's spacing (38 sends in 7.5 hours, 12 minutes apart) bounds the day.
#[tokio::test]
async fn capacity_counts_only_the_mailboxes_that_can_send() {
    on_every_backend_with(at(utc(2026, 11, 23, 12, 0)), |app| async move {
        let campaign = app.create_campaign(&seed()).await;
        for mailbox in &app.mailbox_ids()[1..] {
            app.send(
                Method::PATCH,
                &format!("/v1/mailboxes/{mailbox}"),
                Some(&json!({"sendingEnabled": false})),
            )
            .await
            .ok();
        }
        enrol_leads(&app, &campaign, 40).await;
        let answer = schedule(&app, &campaign, "?days=1").await;
        let forecast = &answer.ok()["forecast"];
        assert_eq!(forecast["capacityPerDay"], 38);
        assert_eq!(counts(forecast), [38]);
    })
    .await;
}

/// `days` is 1 to 90 (default 14); anything else is a 400 that names it.
#[tokio::test]
async fn days_outside_one_to_ninety_are_refused_by_name() {
    on_every_backend_with(at(utc(2026, 11, 23, 12, 0)), |app| async move {
        let campaign = app.create_campaign(&seed()).await;
        for bad in ["0", "91", "-1", "abc", "1.5", ""] {
            let refused = schedule(&app, &campaign, &format!("?days={bad}")).await;
            refused.assert_error(400, "VALIDATION_FAILED");
            assert!(
                refused.body["message"]
                    .as_str()
                    .is_some_and(|message| message.contains("days")),
                "days={bad}: {:?}",
                refused.body
            );
        }
        let covered = |data: &Value| {
            data["windows"].as_array().map_or(0, Vec::len)
                + data["skipped"].as_array().map_or(0, Vec::len)
        };
        // Before today's window opens, every covered date is a window or a skipped date.
        assert_eq!(covered(schedule(&app, &campaign, "").await.ok()), 14);
        assert_eq!(covered(schedule(&app, &campaign, "?days=1").await.ok()), 1);
        assert_eq!(
            covered(schedule(&app, &campaign, "?days=90").await.ok()),
            90
        );
    })
    .await;
}

/// Another workspace's campaign, an unknown id and a malformed one are all 404: the schedule says
/// nothing of a campaign the caller's workspace does not have.
#[tokio::test]
async fn another_workspaces_campaign_has_no_schedule() {
    on_every_backend_with(at(utc(2026, 11, 23, 12, 0)), |app| async move {
        let campaign = app.create_campaign(&seed()).await;
        let (rival, _, _) = app.other_workspace().await;
        let theirs = app
            .request(
                Method::GET,
                &format!("/v1/campaigns/{campaign}/schedule"),
                &[("X-Api-Key", &rival.workspace_key)],
            )
            .await;
        theirs.assert_error(404, "NOT_FOUND");
        schedule(&app, "0123456789abcdef01234567", "")
            .await
            .assert_error(404, "NOT_FOUND");
        schedule(&app, "not-an-id", "")
            .await
            .assert_error(404, "NOT_FOUND");
    })
    .await;
}

use chrono::{DateTime, Duration, NaiveDate, Utc};

use super::*;
use crate::problem::JsonPointer;
use crate::request::{ScheduleRequest, StepRequest};
use crate::rules::Purpose;
use crate::schedule::Schedule;
use crate::sequence::SequenceRole;

const WEEKDAYS: [i64; 5] = [1, 2, 3, 4, 5];

/// Monday to Friday, holidays skipped.
fn calendar(zone: &str, start: &str, end: &str) -> SendCalendar {
    crate::send_window::tests::calendar(zone, start, end, &WEEKDAYS)
}

fn email(subject: &str) -> StepRequest {
    StepRequest {
        kind: Some("email".to_owned()),
        subject: Some(subject.to_owned()),
        body: Some("<p>Hello</p>".to_owned()),
        ..StepRequest::default()
    }
}

fn wait(days: i64, hours: i64) -> StepRequest {
    StepRequest {
        kind: Some("wait".to_owned()),
        wait_days: Some(days),
        wait_hours: Some(hours),
        ..StepRequest::default()
    }
}

fn sequence(steps: &[StepRequest]) -> Sequence {
    Sequence::parse(
        steps,
        SequenceRole::Main,
        Purpose::Create,
        &JsonPointer::root().field("sequence"),
    )
    .expect("a valid sequence")
}

fn date(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("a test date")
}

fn utc(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .expect("a test instant")
        .with_timezone(&Utc)
}

fn capacity(mailbox_limits: &[u32], campaign: Option<u32>, interval: u32) -> SendingCapacity {
    SendingCapacity {
        mailbox_limits: mailbox_limits.to_vec(),
        campaign_daily_limit: campaign,
        interval_minutes: interval,
    }
}

fn unplanned(enrolments: u64) -> DueGroup {
    DueGroup {
        sequence: None,
        step: 0,
        due: None,
        enrolments,
    }
}

/// The forecast of the main sequence `main` for `groups`, from `now`, over `days`.
fn run(
    calendar: &SendCalendar,
    main: &Sequence,
    groups: &[DueGroup],
    capacity: &SendingCapacity,
    now: &str,
    days: i64,
) -> ScheduleForecast {
    let sequences = |key: Option<SubsequenceId>| key.is_none().then_some(main);
    forecast(&ForecastInput {
        calendar,
        now: utc(now),
        days: ForecastDays::parse(Some(days)).expect("valid days"),
        sequences: &sequences,
        groups,
        capacity,
        sending: true,
    })
}

fn planned(forecast: &ScheduleForecast) -> Vec<(String, u64)> {
    forecast
        .planned
        .iter()
        .filter(|planned| planned.count > 0)
        .map(|planned| (planned.date.to_string(), planned.count))
        .collect()
}

#[test]
fn forecast_days_are_1_to_90_and_14_by_default() {
    assert_eq!(ForecastDays::parse(None).map(ForecastDays::get), Ok(14));
    assert_eq!(ForecastDays::parse(Some(1)).map(ForecastDays::get), Ok(1));
    assert_eq!(ForecastDays::parse(Some(90)).map(ForecastDays::get), Ok(90));
    for refused in [0, 91, -1, i64::MAX] {
        let refusal = ForecastDays::parse(Some(refused)).expect_err("out of range");
        assert_eq!(refusal.code, ProblemCode::OutOfRange);
    }
}

#[test]
fn capacity_is_the_smallest_of_mailbox_limits_spacing_and_the_campaign_limit() {
    let eight_hours = Duration::hours(8);
    // Spacing: 15 minutes apart in 8 hours = 32 sends per mailbox.
    assert_eq!(capacity(&[50, 10], None, 15).within(eight_hours), 32 + 10);
    assert_eq!(capacity(&[50, 10], Some(20), 15).within(eight_hours), 20);
    assert_eq!(capacity(&[50, 50], None, 0).within(eight_hours), 100);
    // 7 minutes apart in 8 hours: 0, 7, … 476 = 69 sends (the last before the end).
    assert_eq!(capacity(&[500], None, 7).within(eight_hours), 69);
    assert_eq!(capacity(&[], None, 15).within(eight_hours), 0);
    assert_eq!(capacity(&[50], None, 15).within(Duration::zero()), 0);
}

#[test]
fn enrolments_with_nothing_planned_are_due_at_the_next_window() {
    let calendar = calendar("America/New_York", "09:00", "17:00");
    let main = sequence(&[email("Hi")]);
    // Saturday 2026-12-05, 12:00 local: the next window is Monday's.
    let forecast = run(
        &calendar,
        &main,
        &[unplanned(30)],
        &capacity(&[100], None, 0),
        "2026-12-05T17:00:00Z",
        14,
    );
    assert_eq!(planned(&forecast), [("2026-12-07".to_owned(), 30)]);
    assert_eq!(forecast.estimated_completion, Some(date("2026-12-07")));
    assert_eq!(forecast.remaining_sends, 30);
    assert_eq!(
        forecast.skipped[..2],
        [
            (date("2026-12-05"), SkippedDay::NotWorkingDay),
            (date("2026-12-06"), SkippedDay::NotWorkingDay)
        ]
    );
    let first = forecast.windows[0];
    assert_eq!(first.window.date, date("2026-12-07"));
    assert_eq!(first.window.start, utc("2026-12-07T14:00:00Z"));
    assert_eq!(first.shift, None);
    // Every covered date is a window or a skipped date, once.
    assert_eq!(forecast.windows.len() + forecast.skipped.len(), 14);
    assert_eq!(forecast.planned.len(), forecast.windows.len());
}

#[test]
fn a_day_sends_no_more_than_its_capacity_and_the_rest_waits_for_the_next_window() {
    let calendar = calendar("Europe/Berlin", "09:00", "17:00");
    let main = sequence(&[email("Hi")]);
    let forecast = run(
        &calendar,
        &main,
        &[unplanned(250)],
        &capacity(&[60, 60], Some(100), 0),
        "2026-12-07T06:00:00Z",
        14,
    );
    assert_eq!(forecast.capacity_per_day, 100);
    assert_eq!(
        planned(&forecast),
        [
            ("2026-12-07".to_owned(), 100),
            ("2026-12-08".to_owned(), 100),
            ("2026-12-09".to_owned(), 50)
        ]
    );
    assert_eq!(forecast.estimated_completion, Some(date("2026-12-09")));
}

#[test]
fn a_follow_up_is_due_after_its_wait_on_the_local_calendar() {
    let calendar = calendar("Europe/Berlin", "09:00", "17:00");
    let main = sequence(&[
        email("Hi"),
        wait(3, 0),
        email("Again"),
        wait(0, 2),
        email("Last"),
    ]);
    // Monday 2026-12-07 before the window: the first emails Monday, the second Thursday (3 local
    // days later), the third two hours after it, the same window.
    let forecast = run(
        &calendar,
        &main,
        &[unplanned(10)],
        &capacity(&[100], None, 0),
        "2026-12-07T06:00:00Z",
        14,
    );
    assert_eq!(
        planned(&forecast),
        [("2026-12-07".to_owned(), 10), ("2026-12-10".to_owned(), 20)]
    );
    assert_eq!(forecast.remaining_sends, 30);
    // An enrolment past its first email, its follow-up planned for Tuesday 10:00 local.
    let planned_follow_up = DueGroup {
        sequence: None,
        step: 1,
        due: Some(utc("2026-12-08T09:00:00Z")),
        enrolments: 4,
    };
    let forecast = run(
        &calendar,
        &main,
        &[planned_follow_up],
        &capacity(&[100], None, 0),
        "2026-12-07T06:00:00Z",
        14,
    );
    assert_eq!(planned(&forecast), [("2026-12-08".to_owned(), 8)]);
    assert_eq!(forecast.remaining_sends, 8);
}

#[test]
fn a_follow_up_due_after_the_window_waits_for_the_next_one() {
    let calendar = calendar("Europe/Berlin", "09:00", "17:00");
    let main = sequence(&[email("Hi"), wait(0, 10), email("Again")]);
    // Sent at 09:00 Monday, the follow-up is due 19:00: after the window, so Tuesday.
    let forecast = run(
        &calendar,
        &main,
        &[unplanned(5)],
        &capacity(&[100], None, 0),
        "2026-12-07T06:00:00Z",
        7,
    );
    assert_eq!(
        planned(&forecast),
        [("2026-12-07".to_owned(), 5), ("2026-12-08".to_owned(), 5)]
    );
}

#[test]
fn national_holidays_are_skipped_with_their_name_and_sends_move_past_them() {
    let calendar = calendar("America/Chicago", "09:00", "17:00");
    let main = sequence(&[email("Hi")]);
    // Wednesday 2026-11-25 after the window: Thursday is Thanksgiving, so Friday sends.
    let forecast = run(
        &calendar,
        &main,
        &[unplanned(3)],
        &capacity(&[100], None, 0),
        "2026-11-25T23:30:00Z",
        5,
    );
    let thanksgiving = forecast
        .skipped
        .iter()
        .find(|(day, _)| *day == date("2026-11-26"))
        .expect("Thanksgiving is skipped");
    assert!(matches!(thanksgiving.1, SkippedDay::Holiday(name) if name.contains("Thanksgiving")));
    assert_eq!(planned(&forecast), [("2026-11-27".to_owned(), 3)]);
}

#[test]
fn a_window_moved_by_a_daylight_saving_switch_says_so() {
    let request = ScheduleRequest {
        timezone: Some("America/New_York".to_owned()),
        start_time: Some("01:30".to_owned()),
        end_time: Some("02:30".to_owned()),
        working_days: Some(vec![0, 1, 2, 3, 4, 5, 6]),
        skip_national_holidays: Some(false),
    };
    let night =
        SendCalendar::of(&Schedule::parse(Some(&request), &JsonPointer::root()).expect("valid"));
    let shift = |day: &str| {
        let window = night.day(date(day)).expect("a window");
        night.shift_of(&window)
    };
    assert_eq!(shift("2026-03-08"), Some(WindowShift::Gap));
    assert_eq!(shift("2026-11-01"), Some(WindowShift::Overlap));
    assert_eq!(shift("2026-03-09"), None);
    let day = calendar("America/New_York", "09:00", "17:00");
    let window = day.day(date("2026-11-02")).expect("a window");
    assert_eq!(day.shift_of(&window), None);
    // Through the forecast: Saturday evening local, two days: Saturday's window is over, Sunday's
    // lost its end to the gap.
    let main = sequence(&[email("Hi")]);
    let forecast = run(
        &night,
        &main,
        &[],
        &capacity(&[1], None, 0),
        "2026-03-08T00:00:00Z",
        2,
    );
    let shown: Vec<_> = forecast
        .windows
        .iter()
        .map(|shown| (shown.window.date.to_string(), shown.shift))
        .collect();
    assert_eq!(shown, [("2026-03-08".to_owned(), Some(WindowShift::Gap))]);
}

#[test]
fn todays_window_counts_only_what_is_left_of_it() {
    let calendar = calendar("UTC", "09:00", "17:00");
    let main = sequence(&[email("Hi")]);
    // 16:00: four sends 15 minutes apart fit before 17:00.
    let forecast = run(
        &calendar,
        &main,
        &[unplanned(10)],
        &capacity(&[50], None, 15),
        "2026-12-07T16:00:00Z",
        3,
    );
    assert_eq!(forecast.capacity_per_day, 32);
    assert_eq!(
        planned(&forecast),
        [("2026-12-07".to_owned(), 4), ("2026-12-08".to_owned(), 6)]
    );
    // After today's window: it is not shown.
    let later = run(
        &calendar,
        &main,
        &[unplanned(10)],
        &capacity(&[50], None, 15),
        "2026-12-07T18:00:00Z",
        3,
    );
    assert_eq!(later.windows[0].window.date, date("2026-12-08"));
}

#[test]
fn a_group_due_later_sends_from_its_due_time() {
    let calendar = calendar("UTC", "09:00", "17:00");
    let main = sequence(&[email("Hi")]);
    let later = DueGroup {
        due: Some(utc("2026-12-10T12:00:00Z")),
        ..unplanned(7)
    };
    let forecast = run(
        &calendar,
        &main,
        &[later, unplanned(2)],
        &capacity(&[50], None, 0),
        "2026-12-07T06:00:00Z",
        7,
    );
    assert_eq!(
        planned(&forecast),
        [("2026-12-07".to_owned(), 2), ("2026-12-10".to_owned(), 7)]
    );
    assert_eq!(forecast.estimated_completion, Some(date("2026-12-10")));
}

#[test]
fn a_campaign_that_does_not_send_plans_nothing() {
    let calendar = calendar("UTC", "09:00", "17:00");
    let main = sequence(&[email("Hi")]);
    let sequences = |key: Option<SubsequenceId>| key.is_none().then_some(&main);
    let forecast = forecast(&ForecastInput {
        calendar: &calendar,
        now: utc("2026-12-07T06:00:00Z"),
        days: ForecastDays::parse(Some(7)).expect("valid days"),
        sequences: &sequences,
        groups: &[unplanned(10)],
        capacity: &capacity(&[50], None, 0),
        sending: false,
    });
    assert!(planned(&forecast).is_empty());
    assert_eq!(forecast.remaining_sends, 0);
    assert_eq!(forecast.estimated_completion, None);
    assert_eq!(forecast.windows.len(), 5);
}

#[test]
fn without_a_mailbox_that_can_send_nothing_is_planned_and_completion_is_unknown() {
    let calendar = calendar("UTC", "09:00", "17:00");
    let main = sequence(&[email("Hi"), wait(1, 0), email("Again")]);
    let forecast = run(
        &calendar,
        &main,
        &[unplanned(10)],
        &capacity(&[], None, 15),
        "2026-12-07T06:00:00Z",
        7,
    );
    assert_eq!(forecast.capacity_per_day, 0);
    assert!(planned(&forecast).is_empty());
    assert_eq!(forecast.remaining_sends, 20);
    assert_eq!(forecast.estimated_completion, None);
}

#[test]
fn completion_beyond_the_horizon_is_unknown_but_the_covered_days_are_planned() {
    let calendar = calendar("UTC", "09:00", "17:00");
    let main = sequence(&[email("Hi")]);
    // One send a day: 1,000 weekdays is more than two years.
    let forecast = run(
        &calendar,
        &main,
        &[unplanned(1_000)],
        &capacity(&[1], None, 0),
        "2026-12-07T06:00:00Z",
        7,
    );
    assert_eq!(forecast.estimated_completion, None);
    assert_eq!(planned(&forecast).len(), 5);
}

#[test]
fn subsequence_groups_follow_their_own_sequence_and_unknown_ones_send_nothing() {
    let calendar = calendar("UTC", "09:00", "17:00");
    let main = sequence(&[email("Hi")]);
    let follow = Sequence::parse(
        &[wait(2, 0), email("About your reply")],
        SequenceRole::Subsequence,
        Purpose::Create,
        &JsonPointer::root(),
    )
    .expect("a valid subsequence");
    let known = SubsequenceId::parse("64b7f0c2a1b2c3d4e5f60718").expect("an id");
    let deleted = SubsequenceId::parse("64b7f0c2a1b2c3d4e5f60719").expect("an id");
    let sequences = |key: Option<SubsequenceId>| match key {
        None => Some(&main),
        Some(id) if id == known => Some(&follow),
        Some(_) => None,
    };
    let in_subsequence = |id| DueGroup {
        sequence: Some(id),
        ..unplanned(3)
    };
    let forecast = forecast(&ForecastInput {
        calendar: &calendar,
        now: utc("2026-12-07T06:00:00Z"),
        days: ForecastDays::parse(Some(7)).expect("valid days"),
        sequences: &sequences,
        groups: &[in_subsequence(known), in_subsequence(deleted)],
        capacity: &capacity(&[50], None, 0),
        sending: true,
    });
    // Nothing planned yet: due at once, at the email after the wait.
    assert_eq!(planned(&forecast), [("2026-12-07".to_owned(), 3)]);
    assert_eq!(forecast.remaining_sends, 3);
}

use chrono::{DateTime, Duration, NaiveDate, Timelike, Utc};

use super::*;
use crate::problem::JsonPointer;
use crate::request::ScheduleRequest;

const EVERY_DAY: [i64; 7] = [0, 1, 2, 3, 4, 5, 6];

/// The calendar of a schedule in `zone` from `start` to `end` on `days`, holidays skipped.
pub(crate) fn calendar(zone: &str, start: &str, end: &str, days: &[i64]) -> SendCalendar {
    let request = ScheduleRequest {
        timezone: Some(zone.to_owned()),
        start_time: Some(start.to_owned()),
        end_time: Some(end.to_owned()),
        working_days: Some(days.to_vec()),
        skip_national_holidays: Some(true),
    };
    let schedule = Schedule::parse(Some(&request), &JsonPointer::root()).expect("a valid schedule");
    SendCalendar::of(&schedule)
}

fn date(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("a test date")
}

fn utc(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .expect("a test instant")
        .with_timezone(&Utc)
}

/// The window of `day` as UTC instants.
fn window(calendar: &SendCalendar, day: &str) -> (DateTime<Utc>, DateTime<Utc>) {
    let window = calendar.day(date(day)).expect("a window");
    (window.start, window.end)
}

#[test]
fn new_york_spring_forward_keeps_a_day_window_and_moves_a_night_edge_past_the_gap() {
    let day = calendar("America/New_York", "09:00", "17:00", &EVERY_DAY);
    // EDT from 02:00 EST (07:00Z): 09:00-17:00 EDT.
    assert_eq!(
        window(&day, "2026-03-08"),
        (utc("2026-03-08T13:00:00Z"), utc("2026-03-08T21:00:00Z"))
    );
    let night = calendar("America/New_York", "01:30", "02:30", &EVERY_DAY);
    // 01:30 EST; 02:30 does not exist: the end moves to the jump, 03:00 EDT = 07:00Z.
    assert_eq!(
        window(&night, "2026-03-08"),
        (utc("2026-03-08T06:30:00Z"), utc("2026-03-08T07:00:00Z"))
    );
}

#[test]
fn new_york_fall_back_starts_at_the_earlier_and_ends_at_the_later_instant() {
    let day = calendar("America/New_York", "09:00", "17:00", &EVERY_DAY);
    assert_eq!(
        window(&day, "2026-11-01"),
        (utc("2026-11-01T14:00:00Z"), utc("2026-11-01T22:00:00Z"))
    );
    let night = calendar("America/New_York", "01:30", "02:30", &EVERY_DAY);
    // 01:30 EDT (05:30Z) to 02:30 EST (07:30Z): two hours, never cut, never doubled.
    assert_eq!(
        window(&night, "2026-11-01"),
        (utc("2026-11-01T05:30:00Z"), utc("2026-11-01T07:30:00Z"))
    );
}

#[test]
fn berlin_switch_days_keep_their_windows() {
    let day = calendar("Europe/Berlin", "09:00", "17:00", &EVERY_DAY);
    assert_eq!(
        window(&day, "2026-03-29"),
        (utc("2026-03-29T07:00:00Z"), utc("2026-03-29T15:00:00Z"))
    );
    assert_eq!(
        window(&day, "2026-10-25"),
        (utc("2026-10-25T08:00:00Z"), utc("2026-10-25T16:00:00Z"))
    );
    let night = calendar("Europe/Berlin", "01:30", "02:30", &EVERY_DAY);
    // Spring: 02:00 CET jumps to 03:00 CEST (01:00Z); 01:30 CET is 00:30Z.
    assert_eq!(
        window(&night, "2026-03-29"),
        (utc("2026-03-29T00:30:00Z"), utc("2026-03-29T01:00:00Z"))
    );
    // Autumn: 03:00 CEST falls back to 02:00 CET; 02:30 happens twice, the later is 01:30Z.
    assert_eq!(
        window(&night, "2026-10-25"),
        (utc("2026-10-24T23:30:00Z"), utc("2026-10-25T01:30:00Z"))
    );
}

#[test]
fn sydney_april_and_october_switches() {
    let day = calendar("Australia/Sydney", "09:00", "17:00", &EVERY_DAY);
    // 5 April 2026: AEDT (+11) ends at 03:00, AEST (+10) after.
    assert_eq!(
        window(&day, "2026-04-05"),
        (utc("2026-04-04T23:00:00Z"), utc("2026-04-05T07:00:00Z"))
    );
    // 4 October 2026: 02:00 AEST jumps to 03:00 AEDT.
    assert_eq!(
        window(&day, "2026-10-04"),
        (utc("2026-10-03T22:00:00Z"), utc("2026-10-04T06:00:00Z"))
    );
    let night = calendar("Australia/Sydney", "01:30", "02:30", &EVERY_DAY);
    // October: 01:30 AEST (15:30Z the day before), 02:30 in the gap → the jump at 16:00Z.
    assert_eq!(
        window(&night, "2026-10-04"),
        (utc("2026-10-03T15:30:00Z"), utc("2026-10-03T16:00:00Z"))
    );
    // April: the overlap is 02:00-03:00; 01:30 and 02:30 AEDT… 02:30 happens twice, the later is
    // AEST (16:30Z).
    assert_eq!(
        window(&night, "2026-04-05"),
        (utc("2026-04-04T14:30:00Z"), utc("2026-04-04T16:30:00Z"))
    );
}

#[test]
fn national_holidays_of_the_zones_country_are_skipped_by_name() {
    let oslo = calendar("Europe/Oslo", "09:00", "17:00", &EVERY_DAY);
    assert_eq!(
        oslo.day(date("2026-05-17")),
        Err(SkippedDay::Holiday("Constitution Day"))
    );
    assert!(oslo.day(date("2026-05-18")).is_ok());
    let chicago = calendar("America/Chicago", "09:00", "17:00", &EVERY_DAY);
    assert_eq!(
        chicago.day(date("2026-07-04")),
        Err(SkippedDay::Holiday("Independence Day"))
    );
    assert_eq!(
        chicago.day(date("2026-11-26")),
        Err(SkippedDay::Holiday("Thanksgiving Day"))
    );
    let utc_zone = calendar("UTC", "09:00", "17:00", &EVERY_DAY);
    let first = date("2026-01-01");
    for offset in 0..365 {
        let day = first + Duration::days(offset);
        assert!(utc_zone.day(day).is_ok(), "UTC skipped {day}");
    }
}

#[test]
fn a_day_outside_working_days_is_skipped_as_such() {
    let weekdays = calendar("Europe/Oslo", "09:00", "17:00", &[1, 2, 3, 4, 5]);
    // Sunday 17 May 2026: a weekend first.
    assert_eq!(
        weekdays.day(date("2026-05-17")),
        Err(SkippedDay::NotWorkingDay)
    );
}

/// Nuuk (America/Godthab) jumps from 23:00 to 00:00 on Saturday 2029-03-24: a 23:00–23:01 window lies
/// wholly in the gap, so that day has no instant to send in; the next send is the next day's window.
/// Found by the property test below.
#[test]
fn a_window_wholly_inside_a_spring_forward_gap_offers_no_instant() {
    let nuuk = calendar("America/Godthab", "23:00", "23:01", &EVERY_DAY);
    let gap_day = nuuk.day(date("2029-03-24")).expect("a working day");
    assert_eq!(gap_day.start, gap_day.end, "both edges move to the jump");
    assert!(!gap_day.is_open());
    let before = utc("2029-03-24T12:00:00Z");
    let next = nuuk.next_send_at(before).expect("a window");
    assert!(nuuk.is_inside(next), "{next}");
    assert_eq!(next, window(&nuuk, "2029-03-25").0);
    assert!(
        nuuk.windows(before, before + Duration::days(1))
            .iter()
            .all(Window::is_open)
    );
}

#[test]
fn a_follow_up_due_at_23_00_waits_for_the_next_window() {
    let berlin = calendar("Europe/Berlin", "09:00", "17:00", &[1, 2, 3, 4, 5]);
    // Tuesday 2026-06-09 23:00 CEST = 21:00Z: the next window opens Wednesday 09:00 CEST.
    assert_eq!(
        berlin.next_send_at(utc("2026-06-09T21:00:00Z")),
        Some(utc("2026-06-10T07:00:00Z"))
    );
    // Friday 23:00: Monday 09:00.
    assert_eq!(
        berlin.next_send_at(utc("2026-06-12T21:00:00Z")),
        Some(utc("2026-06-15T07:00:00Z"))
    );
    // Inside a window: at once.
    assert_eq!(
        berlin.next_send_at(utc("2026-06-10T10:00:00Z")),
        Some(utc("2026-06-10T10:00:00Z"))
    );
}

#[test]
fn a_one_day_wait_keeps_the_local_clock_time_across_a_switch() {
    let zone = chrono_tz::America::New_York;
    // 10:00 EST on Saturday 7 March 2026; the next day is 23 hours long.
    let due = after_wait(zone, utc("2026-03-07T15:00:00Z"), 1, 0);
    assert_eq!(due, utc("2026-03-08T14:00:00Z"));
    let local = due.with_timezone(&zone);
    assert_eq!((local.hour(), local.minute()), (10, 0));
    // Days then hours on the local clock.
    assert_eq!(
        after_wait(zone, utc("2026-10-31T14:00:00Z"), 1, 2),
        utc("2026-11-01T17:00:00Z")
    );
}

mod properties {
    use chrono::{Duration, NaiveDate, NaiveTime, Timelike};
    use proptest::prelude::*;

    use super::*;

    fn any_calendar() -> impl Strategy<Value = SendCalendar> {
        (
            0..chrono_tz::TZ_VARIANTS.len(),
            0u32..(24 * 60 - 1),
            1u32..(24 * 60),
        )
            .prop_map(|(zone, start, length)| {
                let end = (start + length).min(24 * 60 - 1).max(start + 1);
                let text = |minutes: u32| format!("{:02}:{:02}", minutes / 60, minutes % 60);
                calendar(
                    chrono_tz::TZ_VARIANTS[zone].name(),
                    &text(start),
                    &text(end),
                    &EVERY_DAY,
                )
            })
    }

    fn any_date() -> impl Strategy<Value = NaiveDate> {
        (0i64..(5 * 365)).prop_map(|offset| date("2026-01-01") + Duration::days(offset))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2_000))]

        /// Every instant answered as "may send" lies in a window of a working date whose local
        /// clock, checked directly, is at or past the window's start time (or the jump of a gap
        /// that swallowed it) and before its end (or in the hour an overlap repeats).
        #[test]
        fn next_send_at_answers_an_instant_inside_a_window(
            calendar in any_calendar(),
            day in any_date(),
            seconds in 0i64..86_400,
        ) {
            let asked = instant(calendar.zone(), day.and_time(NaiveTime::MIN), Overlap::Earlier)
                + Duration::seconds(seconds);
            let answer = calendar.next_send_at(asked).expect("every day is a working day");
            prop_assert!(answer >= asked);
            prop_assert!(calendar.is_inside(answer));
            let local = answer.with_timezone(&calendar.zone());
            let window = calendar.day(local.date_naive()).expect("a working date");
            prop_assert!(window.start <= answer && answer < window.end);
            let minutes = local.hour() * 60 + local.minute();
            let start = calendar.start.hour() * 60 + calendar.start.minute();
            let end = calendar.end.hour() * 60 + calendar.end.minute();
            let repeated = calendar.zone().from_local_datetime(&local.naive_local()).single().is_none();
            prop_assert!(minutes >= start || answer == window.start || repeated, "{local} before {start}");
            prop_assert!(minutes < end || repeated, "{local} at or past {end}");
        }

        /// One window per local date, in order, none overlapping the next: on a switch day too.
        #[test]
        fn windows_are_never_cut_or_doubled(calendar in any_calendar(), day in any_date()) {
            let from = instant(calendar.zone(), day.and_time(NaiveTime::MIN), Overlap::Earlier);
            let windows = calendar.windows(from, from + Duration::days(3));
            for pair in windows.windows(2) {
                prop_assert!(pair[0].date < pair[1].date);
                prop_assert!(pair[0].end <= pair[1].start);
            }
            for window in &windows {
                prop_assert!(window.start <= window.end);
                prop_assert_eq!(calendar.day(window.date), Ok(*window));
            }
        }

        /// A wait of one day keeps the local clock time, whenever the local time exists on both days.
        #[test]
        fn a_one_day_wait_keeps_the_local_clock_time(
            calendar in any_calendar(),
            day in any_date(),
            seconds in 0i64..86_400,
        ) {
            let zone = calendar.zone();
            let at = instant(zone, day.and_time(NaiveTime::MIN), Overlap::Earlier)
                + Duration::seconds(seconds);
            let local = at.with_timezone(&zone).naive_local();
            let next = local + Duration::days(1);
            prop_assume!(zone.from_local_datetime(&next).single().is_some());
            let due = after_wait(zone, at, 1, 0);
            prop_assert_eq!(due.with_timezone(&zone).naive_local(), next);
        }
    }
}

#[test]
fn a_local_day_runs_from_local_midnight_to_the_next_even_across_a_dst_switch() {
    let new_york = calendar("America/New_York", "09:00", "17:00", &[0, 1, 2, 3, 4, 5, 6]);
    // 2026-03-08 is 23 hours long in New York, 2026-11-01 is 25.
    assert_eq!(
        new_york.local_day_around(utc("2026-03-08T15:00:00Z")),
        (utc("2026-03-08T05:00:00Z"), utc("2026-03-09T04:00:00Z"))
    );
    assert_eq!(
        new_york.local_day_around(utc("2026-11-01T15:00:00Z")),
        (utc("2026-11-01T04:00:00Z"), utc("2026-11-02T05:00:00Z"))
    );
    // Just before local midnight is still the earlier date.
    assert_eq!(
        new_york.local_day_around(utc("2026-06-10T03:59:59Z")).0,
        utc("2026-06-09T04:00:00Z")
    );
}

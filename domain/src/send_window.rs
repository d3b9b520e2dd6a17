//! When a campaign may send (SENDING.md section 2): the windows of its schedule, the next instant
//! inside one, and waits counted on the local calendar. Pure: every instant comes in as a parameter
//! (the engine's clock is a port of the application).
//!
//! All of it is computed on local dates of the schedule's zone; an instant is never moved by adding
//! 24 hours. A window edge that falls in a spring-forward gap moves to the first instant after the
//! gap; in a fall-back overlap a window starts at the earlier of the two instants and ends at the
//! later one, so no window is cut or doubled.

use chrono::{
    DateTime, Datelike, Duration, FixedOffset, LocalResult, NaiveDate, NaiveDateTime, NaiveTime,
    TimeZone, Utc,
};
use chrono_tz::Tz;

use crate::holidays::{country_of_zone, national_holiday};
use crate::schedule::Schedule;
use crate::values::{TimeOfDay, WeekdaySet};

/// The sending window of one local date, as instants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub date: NaiveDate,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

impl Window {
    /// Whether any instant is inside: a window whose edges both fall in one spring-forward gap (a
    /// 23:00–23:01 window on the day Nuuk jumps from 23:00 to 00:00) starts and ends at the jump.
    pub fn is_open(&self) -> bool {
        self.start < self.end
    }
}

/// Why a local date has no window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SkippedDay {
    /// Its weekday is not in `workingDays`.
    NotWorkingDay,
    /// A national public holiday of the zone's country (with `skipNationalHolidays`), by name.
    Holiday(&'static str),
}

/// Why a window differs from the schedule's local times: a daylight-saving switch moved an edge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WindowShift {
    /// An edge fell in a spring-forward gap and moved to the first instant after it.
    Gap,
    /// An edge fell in a fall-back overlap: the window starts at the earlier instant and ends at the
    /// later one.
    Overlap,
}

/// Which of two instants a local time that happens twice (a fall-back overlap) means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Overlap {
    Earlier,
    Later,
}

/// How far [`SendCalendar::next_send_at`] looks for a window: a schedule with working days has one
/// every week, unless holidays fill them all.
const SEARCH_DAYS: i64 = 400;

/// A schedule's windows, ready to answer.
#[derive(Debug, Clone)]
pub struct SendCalendar {
    zone: Tz,
    start: NaiveTime,
    end: NaiveTime,
    working_days: WeekdaySet,
    holiday_country: Option<&'static str>,
}

impl SendCalendar {
    pub fn of(schedule: &Schedule) -> SendCalendar {
        let zone = schedule.timezone().tz();
        SendCalendar {
            zone,
            start: time_of(schedule.start_time()),
            end: time_of(schedule.end_time()),
            working_days: *schedule.working_days(),
            holiday_country: schedule
                .skip_national_holidays()
                .then(|| country_of_zone(zone.name()))
                .flatten(),
        }
    }

    pub fn zone(&self) -> Tz {
        self.zone
    }

    /// The zone's tz database name (`Europe/Berlin`).
    pub fn zone_name(&self) -> &'static str {
        self.zone.name()
    }

    /// `at` on the zone's clock, with its offset.
    pub fn local_time(&self, at: DateTime<Utc>) -> DateTime<FixedOffset> {
        at.with_timezone(&self.zone).fixed_offset()
    }

    /// The window of the local date `date`, or why it has none.
    pub fn day(&self, date: NaiveDate) -> Result<Window, SkippedDay> {
        if !self.working_days.contains(date.weekday()) {
            return Err(SkippedDay::NotWorkingDay);
        }
        if let Some(name) = self
            .holiday_country
            .and_then(|country| national_holiday(country, date))
        {
            return Err(SkippedDay::Holiday(name));
        }
        Ok(Window {
            date,
            start: instant(self.zone, date.and_time(self.start), Overlap::Earlier),
            end: instant(self.zone, date.and_time(self.end), Overlap::Later),
        })
    }

    /// Whether a daylight-saving switch moved an edge of `window` (a window of this calendar).
    pub fn shift_of(&self, window: &Window) -> Option<WindowShift> {
        let edge =
            |time: NaiveTime| match self.zone.from_local_datetime(&window.date.and_time(time)) {
                LocalResult::Single(_) => None,
                LocalResult::Ambiguous(..) => Some(WindowShift::Overlap),
                LocalResult::None => Some(WindowShift::Gap),
            };
        edge(self.start).or_else(|| edge(self.end))
    }

    /// The length of a window on a date without a switch.
    pub fn ordinary_length(&self) -> Duration {
        self.end - self.start
    }

    /// The local date of `at`.
    pub fn local_date(&self, at: DateTime<Utc>) -> NaiveDate {
        at.with_timezone(&self.zone).date_naive()
    }

    /// The windows that end after `from` and start before `to`, in order.
    pub fn windows(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<Window> {
        // A window of the local date before `from`'s may still be open (an overlap lengthens it).
        let mut date = self.local_date(from).pred_opt().unwrap_or(NaiveDate::MIN);
        let last = self.local_date(to);
        let mut windows = Vec::new();
        while date <= last {
            if let Ok(window) = self.day(date)
                && window.is_open()
                && window.end > from
                && window.start < to
            {
                windows.push(window);
            }
            let Some(next) = date.succ_opt() else { break };
            date = next;
        }
        windows
    }

    /// The instants the local date of `at` runs between: its local midnight (or the first instant
    /// after it, when midnight falls in a gap) up to the next date's. What a per-local-date limit
    /// counts over (SENDING.md section 2: the campaign's `dailySendLimit`).
    pub fn local_day_around(&self, at: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
        self.local_day(self.local_date(at))
    }

    /// The instants the local date `date` runs between: its local midnight (or the first instant
    /// after it, in a gap) up to the next date's.
    pub fn local_day(&self, date: NaiveDate) -> (DateTime<Utc>, DateTime<Utc>) {
        local_day_of(self.zone, date)
    }

    /// Whether `at` is inside a window.
    pub fn is_inside(&self, at: DateTime<Utc>) -> bool {
        self.windows(at, at + Duration::seconds(1))
            .iter()
            .any(|window| window.start <= at && at < window.end)
    }

    /// The first instant at or after `at` inside a window: `at` itself when it is inside one, else
    /// the start of the next window. `None` when no window opens within about a year.
    pub fn next_send_at(&self, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let first = self.local_date(at).pred_opt().unwrap_or(NaiveDate::MIN);
        (0..SEARCH_DAYS)
            .filter_map(|offset| first.checked_add_signed(Duration::days(offset)))
            .filter_map(|date| self.day(date).ok())
            .find(|window| window.is_open() && window.end > at)
            .map(|window| window.start.max(at))
    }
}

/// The instants the local date `date` of `zone` runs between: its local midnight (or the first
/// instant after it, in a gap) up to the next date's.
pub fn local_day_of(zone: Tz, date: NaiveDate) -> (DateTime<Utc>, DateTime<Utc>) {
    let next = date.succ_opt().unwrap_or(NaiveDate::MAX);
    (
        instant(zone, date.and_time(NaiveTime::MIN), Overlap::Earlier),
        instant(zone, next.and_time(NaiveTime::MIN), Overlap::Earlier),
    )
}

/// `at` plus `days` local calendar days, then `hours` hours on the local clock (SENDING.md: a wait of
/// one day after 10:00 is due at 10:00 the next local day, DST or not). A result in a gap moves past
/// it; one in an overlap is the earlier instant.
pub fn after_wait(zone: Tz, at: DateTime<Utc>, days: u32, hours: u32) -> DateTime<Utc> {
    let local = at.with_timezone(&zone).naive_local();
    let moved = local
        .checked_add_signed(Duration::days(i64::from(days)))
        .and_then(|moved| moved.checked_add_signed(Duration::hours(i64::from(hours))))
        .unwrap_or(NaiveDateTime::MAX);
    instant(zone, moved, Overlap::Earlier)
}

fn time_of(time: TimeOfDay) -> NaiveTime {
    NaiveTime::from_hms_opt(u32::from(time.hour()), u32::from(time.minute()), 0)
        .unwrap_or(NaiveTime::MIN)
}

/// The instant the local time `local` of `zone` names: in an overlap the one `overlap` says, in a gap
/// the first instant after it (the instant the clock jumps, the first whose local time is past
/// `local`).
fn instant(zone: Tz, local: NaiveDateTime, overlap: Overlap) -> DateTime<Utc> {
    match zone.from_local_datetime(&local) {
        LocalResult::Single(at) => at.with_timezone(&Utc),
        LocalResult::Ambiguous(earlier, later) => match overlap {
            Overlap::Earlier => earlier.with_timezone(&Utc),
            Overlap::Later => later.with_timezone(&Utc),
        },
        LocalResult::None => first_instant_at_or_after(zone, local),
    }
}

/// The earliest instant whose local time in `zone` is at or after `local`, which falls in a gap: the
/// clock is monotonic across a gap, so a search over the day around it finds the jump to the second.
fn first_instant_at_or_after(zone: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    let at_second =
        |second: i64| DateTime::from_timestamp(second, 0).unwrap_or(DateTime::<Utc>::MAX_UTC);
    // Every offset is within ±26 hours, so the jump lies between these (in whole seconds, as every
    // transition does).
    let guess = local.and_utc().timestamp();
    let (mut low, mut high) = (guess - 26 * 3600, guess + 26 * 3600);
    while high - low > 1 {
        let middle = low + (high - low) / 2;
        if at_second(middle).with_timezone(&zone).naive_local() >= local {
            high = middle;
        } else {
            low = middle;
        }
    }
    at_second(high)
}

#[cfg(test)]
pub(crate) mod tests;

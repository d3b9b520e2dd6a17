//! Analytics (SENDING.md section 6): the kinds of event rows, the time span a report counts over,
//! the local dates of a daily report, and the rates of the overview. Pure: "now" and the zone come
//! in as parameters.
//!
//! A report counts the FIRST event of each kind per message inside its span (a message opened five
//! times counts once, on the day of its first open), so the days of a daily report add up to the
//! span's total.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;

use crate::problem::{Invalid, ProblemCode};
use crate::send_window::local_day_of;

/// The kinds of event rows, by their wire names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EventType {
    EmailSent,
    EmailOpened,
    EmailClicked,
    EmailReplied,
    EmailAutoReplied,
    EmailBounced,
    EmailUnsubscribed,
    EmailPositiveReply,
    LeadReplied,
    LeadBounced,
    LeadUpdated,
    LeadTagChanged,
}

impl EventType {
    pub const ALL: [EventType; 12] = [
        Self::EmailSent,
        Self::EmailOpened,
        Self::EmailClicked,
        Self::EmailReplied,
        Self::EmailAutoReplied,
        Self::EmailBounced,
        Self::EmailUnsubscribed,
        Self::EmailPositiveReply,
        Self::LeadReplied,
        Self::LeadBounced,
        Self::LeadUpdated,
        Self::LeadTagChanged,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::EmailSent => "email.sent",
            Self::EmailOpened => "email.opened",
            Self::EmailClicked => "email.clicked",
            Self::EmailReplied => "email.replied",
            Self::EmailAutoReplied => "email.auto_replied",
            Self::EmailBounced => "email.bounced",
            Self::EmailUnsubscribed => "email.unsubscribed",
            Self::EmailPositiveReply => "email.positive_reply",
            Self::LeadReplied => "lead.replied",
            Self::LeadBounced => "lead.bounced",
            Self::LeadUpdated => "lead.updated",
            Self::LeadTagChanged => "lead.tag_changed",
        }
    }

    /// The kind named `raw` (its wire name, exactly).
    pub fn parse(raw: &str) -> Result<EventType, Invalid> {
        Self::ALL
            .into_iter()
            .find(|kind| kind.as_str() == raw)
            .ok_or_else(|| {
                let names: Vec<&str> = Self::ALL.iter().map(|kind| kind.as_str()).collect();
                Invalid::new(
                    ProblemCode::InvalidValue,
                    format!("type must be one of {}", names.join(", ")),
                )
            })
    }
}

/// The message counters a report shows, and the event kind each counts (its first per message).
/// `delivered` is no kind of its own: a message sent and never bounced.
pub const COUNTED_KINDS: [(&str, EventType); 6] = [
    ("sent", EventType::EmailSent),
    ("opened", EventType::EmailOpened),
    ("clicked", EventType::EmailClicked),
    ("replied", EventType::EmailReplied),
    ("bounced", EventType::EmailBounced),
    ("unsubscribed", EventType::EmailUnsubscribed),
];

/// One end of a report's span as the client wrote it: a date (`2026-12-07`, a whole local date) or
/// an instant (RFC 3339, `2026-12-07T15:00:00Z`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeBound {
    Date(NaiveDate),
    Instant(DateTime<Utc>),
}

impl RangeBound {
    pub fn parse(raw: &str) -> Result<RangeBound, Invalid> {
        let raw = raw.trim();
        if let Ok(date) = NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
            return Ok(RangeBound::Date(date));
        }
        DateTime::parse_from_rfc3339(raw)
            .map(|at| RangeBound::Instant(at.with_timezone(&Utc)))
            .map_err(|_| {
                Invalid::new(
                    ProblemCode::InvalidFormat,
                    "must be a date (YYYY-MM-DD) or an instant (RFC 3339, e.g. 2026-12-07T15:00:00Z)",
                )
            })
    }

    /// The date this bound names in `zone` (an instant's local date).
    fn local_date(self, zone: Tz) -> NaiveDate {
        match self {
            RangeBound::Date(date) => date,
            RangeBound::Instant(at) => at.with_timezone(&zone).date_naive(),
        }
    }
}

/// A report's span of instants: from `start` (inclusive) to `end` (exclusive); `None` is open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReportSpan {
    pub start: Option<DateTime<Utc>>,
    pub end: Option<DateTime<Utc>>,
}

/// A refused parameter of a report: its name and why.
pub type ParameterProblem = (&'static str, Invalid);

impl ReportSpan {
    /// The span `from`–`to`, dates read in `zone`: a `from` date starts at its local midnight, a
    /// `to` date ends at the next one (the whole date is in); a `to` instant is in. `to` before
    /// `from` is refused (as `to`).
    pub fn resolve(
        from: Option<RangeBound>,
        to: Option<RangeBound>,
        zone: Tz,
    ) -> Result<ReportSpan, ParameterProblem> {
        let start = from.map(|bound| match bound {
            RangeBound::Date(date) => local_day_of(zone, date).0,
            RangeBound::Instant(at) => at,
        });
        let end = to.map(|bound| match bound {
            RangeBound::Date(date) => local_day_of(zone, date).1,
            RangeBound::Instant(at) => at + Duration::milliseconds(1),
        });
        if let (Some(start), Some(end)) = (start, end)
            && end <= start
        {
            return Err((
                "to",
                Invalid::new(ProblemCode::OutOfRange, "to must not be before from"),
            ));
        }
        Ok(ReportSpan { start, end })
    }

    /// [`ReportSpan::resolve`] with dates read in UTC (a workspace has no zone of its own).
    pub fn resolve_in_utc(
        from: Option<RangeBound>,
        to: Option<RangeBound>,
    ) -> Result<ReportSpan, ParameterProblem> {
        Self::resolve(from, to, chrono_tz::UTC)
    }
}

/// Local dates a daily report covers when `from` is not given: the 30 days before `to`, and `to`.
pub const DEFAULT_DAILY_DAYS_BACK: i64 = 30;
/// The most local dates one daily report covers.
pub const MAX_DAILY_DAYS: i64 = 366;

/// The local dates of a daily report, `first` to `last` inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayRange {
    first: NaiveDate,
    last: NaiveDate,
}

/// A stretch of instants whose local dates in the zone are `first_day + (t - base) / length`
/// (whole division): a run of 24-hour days, or one day of another length (a DST switch), whose
/// `length` is then the day's own so the division is 0 all through it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayPeriod {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// The index (from the range's first date) of the day starting at `start`.
    pub first_day: u32,
    pub length: Duration,
}

impl DayRange {
    /// The dates `from`–`to` in `zone` (an instant's local date); `to` defaults to the local date
    /// of `now`, `from` to [`DEFAULT_DAILY_DAYS_BACK`] days before `to`. Refused: `to` before
    /// `from`, or more than [`MAX_DAILY_DAYS`] dates.
    pub fn resolve(
        from: Option<RangeBound>,
        to: Option<RangeBound>,
        zone: Tz,
        now: DateTime<Utc>,
    ) -> Result<DayRange, ParameterProblem> {
        let last = to.map_or_else(
            || now.with_timezone(&zone).date_naive(),
            |to| to.local_date(zone),
        );
        let first = from.map_or_else(
            || last - Duration::days(DEFAULT_DAILY_DAYS_BACK),
            |from| from.local_date(zone),
        );
        if last < first {
            return Err((
                "to",
                Invalid::new(ProblemCode::OutOfRange, "to must not be before from"),
            ));
        }
        if (last - first).num_days() >= MAX_DAILY_DAYS {
            return Err((
                "from",
                Invalid::new(
                    ProblemCode::OutOfRange,
                    format!("a daily report covers at most {MAX_DAILY_DAYS} days"),
                ),
            ));
        }
        Ok(DayRange { first, last })
    }

    pub fn first(&self) -> NaiveDate {
        self.first
    }

    pub fn last(&self) -> NaiveDate {
        self.last
    }

    /// The dates, in order.
    pub fn dates(&self) -> impl Iterator<Item = NaiveDate> + use<> {
        let first = self.first;
        let count = (self.last - self.first).num_days() + 1;
        (0..count).map(move |offset| first + Duration::days(offset))
    }

    /// The date at `index` from the first (`None` past the last).
    pub fn date_at(&self, index: i64) -> Option<NaiveDate> {
        let date = self.first.checked_add_signed(Duration::days(index))?;
        (index >= 0 && date <= self.last).then_some(date)
    }

    /// The range's instants as [`DayPeriod`]s in `zone`, in order, without gaps: every instant of
    /// a date of the range lies in exactly one, and maps to that date's index.
    pub fn periods(&self, zone: Tz) -> Vec<DayPeriod> {
        let day = Duration::days(1);
        let mut periods: Vec<DayPeriod> = Vec::new();
        for (index, date) in (0u32..).zip(self.dates()) {
            let (start, end) = local_day_of(zone, date);
            let length = end - start;
            match periods.last_mut() {
                Some(last) if length == day && last.length == day && last.end == start => {
                    last.end = end;
                }
                _ => periods.push(DayPeriod {
                    start,
                    end,
                    first_day: index,
                    length,
                }),
            }
        }
        periods
    }
}

/// `part` of `whole` in percent with one decimal, rounded half up (`"12.5"`); `"0.0"` when `whole`
/// is 0.
pub fn rate(part: u64, whole: u64) -> String {
    if whole == 0 {
        return "0.0".to_owned();
    }
    let tenths = (u128::from(part) * 1000 + u128::from(whole) / 2) / u128::from(whole);
    format!("{}.{}", tenths / 10, tenths % 10)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, min, 0)
            .single()
            .expect("valid")
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("valid")
    }

    /// The local date of `at` through the periods, as the SQL computes it.
    fn date_through(
        range: &DayRange,
        periods: &[DayPeriod],
        at: DateTime<Utc>,
    ) -> Option<NaiveDate> {
        let period = periods.iter().find(|p| p.start <= at && at < p.end)?;
        let index = i64::from(period.first_day)
            + (at - period.start).num_milliseconds() / period.length.num_milliseconds();
        range.date_at(index)
    }

    #[test]
    fn rates_have_one_decimal_rounded_half_up_and_zero_without_a_whole() {
        for (part, whole, text) in [
            (0, 0, "0.0"),
            (5, 0, "0.0"),
            (1, 8, "12.5"),
            (1, 3, "33.3"),
            (2, 3, "66.7"),
            (1, 2000, "0.1"),
            (1, 2001, "0.0"),
            (7, 7, "100.0"),
            (0, 9, "0.0"),
        ] {
            assert_eq!(rate(part, whole), text, "{part}/{whole}");
        }
    }

    #[test]
    fn an_event_type_is_read_by_its_exact_wire_name_only() {
        for kind in EventType::ALL {
            assert_eq!(EventType::parse(kind.as_str()).expect("valid"), kind);
        }
        for raw in ["email.Sent", "sent", "", "email.sent "] {
            assert!(EventType::parse(raw).is_err(), "{raw:?}");
        }
    }

    #[test]
    fn a_bound_is_a_date_or_an_rfc3339_instant() {
        assert_eq!(
            RangeBound::parse("2026-12-07").expect("valid"),
            RangeBound::Date(date(2026, 12, 7))
        );
        assert_eq!(
            RangeBound::parse("2026-12-07T10:00:00-05:00").expect("valid"),
            RangeBound::Instant(utc(2026, 12, 7, 15, 0))
        );
        for raw in ["2026-13-01", "yesterday", "2026-12-07T10:00", "1733580000"] {
            assert!(RangeBound::parse(raw).is_err(), "{raw}");
        }
    }

    #[test]
    fn a_span_of_dates_runs_from_local_midnight_to_the_midnight_after_to() {
        let zone: Tz = "America/New_York".parse().expect("valid");
        let span = ReportSpan::resolve(
            Some(RangeBound::Date(date(2026, 11, 1))),
            Some(RangeBound::Date(date(2026, 11, 1))),
            zone,
        )
        .expect("valid");
        // 2026-11-01 is 25 hours long in New York: 04:00 UTC to 05:00 UTC the next day.
        assert_eq!(span.start, Some(utc(2026, 11, 1, 4, 0)));
        assert_eq!(span.end, Some(utc(2026, 11, 2, 5, 0)));
        let to_before_from = ReportSpan::resolve(
            Some(RangeBound::Date(date(2026, 11, 2))),
            Some(RangeBound::Date(date(2026, 11, 1))),
            zone,
        );
        assert_eq!(to_before_from.expect_err("refused").0, "to");
        let instants = ReportSpan::resolve(
            Some(RangeBound::Instant(utc(2026, 1, 1, 0, 0))),
            Some(RangeBound::Instant(utc(2026, 1, 1, 0, 0))),
            zone,
        )
        .expect("valid");
        assert_eq!(
            instants.end,
            Some(utc(2026, 1, 1, 0, 0) + Duration::milliseconds(1))
        );
    }

    #[test]
    fn daily_dates_default_to_the_30_days_before_today_and_are_bounded() {
        let zone: Tz = "America/New_York".parse().expect("valid");
        // 02:00 UTC on 8 December is still 7 December in New York.
        let range = DayRange::resolve(None, None, zone, utc(2026, 12, 8, 2, 0)).expect("valid");
        assert_eq!(
            (range.first(), range.last()),
            (date(2026, 11, 7), date(2026, 12, 7))
        );
        assert_eq!(range.dates().count(), 31);
        let long = DayRange::resolve(
            Some(RangeBound::Date(date(2024, 12, 31))),
            Some(RangeBound::Date(date(2026, 1, 1))),
            zone,
            utc(2026, 12, 8, 2, 0),
        );
        assert_eq!(long.expect_err("refused").0, "from");
        let backwards = DayRange::resolve(
            Some(RangeBound::Date(date(2026, 1, 2))),
            Some(RangeBound::Date(date(2026, 1, 1))),
            zone,
            utc(2026, 12, 8, 2, 0),
        );
        assert_eq!(backwards.expect_err("refused").0, "to");
    }

    #[test]
    fn day_periods_give_every_instant_its_local_date_across_dst_switches() {
        for (zone, first, last) in [
            ("America/New_York", date(2026, 3, 6), date(2026, 3, 10)),
            ("America/New_York", date(2026, 10, 30), date(2026, 11, 3)),
            ("Europe/Berlin", date(2026, 3, 27), date(2026, 3, 31)),
            ("Australia/Sydney", date(2026, 4, 3), date(2026, 4, 7)),
            ("America/Santiago", date(2026, 9, 4), date(2026, 9, 8)),
            ("UTC", date(2026, 1, 1), date(2026, 1, 3)),
        ] {
            let zone: Tz = zone.parse().expect("valid");
            let range = DayRange { first, last };
            let periods = range.periods(zone);
            let (start, _) = local_day_of(zone, first);
            let (_, end) = local_day_of(zone, last);
            assert_eq!(periods.first().expect("valid").start, start);
            assert_eq!(periods.last().expect("valid").end, end);
            let mut at = start;
            while at < end {
                let expected = at.with_timezone(&zone).date_naive();
                assert_eq!(
                    date_through(&range, &periods, at),
                    Some(expected),
                    "{zone} {at}"
                );
                at += Duration::minutes(15);
            }
            assert_eq!(date_through(&range, &periods, end), None);
        }
    }
}

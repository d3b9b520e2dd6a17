//! The answer of `GET /v1/campaigns/{campaignId}/schedule` (SENDING.md section 6): the next windows
//! in UTC and local form, the dates skipped and why, and the forecast of sends.

use application::use_cases::campaign_schedule::CampaignScheduleView;
use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use domain::send_window::{SkippedDay, WindowShift};
use poem_openapi::{Enum, Object};

use crate::dto::timestamp::Timestamp;

/// Why a window's edges differ from the schedule's local times.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename = "WindowReason", rename_all = "snake_case")]
pub enum WindowReasonBody {
    /// An edge fell in a spring-forward gap and moved to the first local time after it.
    DstGap,
    /// An edge fell in a fall-back overlap: the window starts at the earlier instant and ends at the
    /// later one.
    DstOverlap,
}

/// Why a date has no window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename = "SkippedReason", rename_all = "lowercase")]
pub enum SkippedReasonBody {
    /// Its weekday is not one of `schedule.workingDays`.
    Weekend,
    /// A national public holiday of the zone's country (`skipNationalHolidays`).
    Holiday,
}

/// The sending window of one local date.
#[derive(Debug, Clone, Object)]
#[oai(rename = "ScheduleWindow", rename_all = "camelCase")]
pub struct WindowBody {
    /// The local date (`YYYY-MM-DD`) in the schedule's zone.
    pub date: String,
    pub start: Timestamp,
    pub end: Timestamp,
    /// `start` on the zone's local clock, with its UTC offset (`2026-03-09T09:00:00-04:00`).
    pub start_local: String,
    /// `end` on the zone's local clock, with its UTC offset.
    pub end_local: String,
    /// `null` for an ordinary window.
    #[oai(nullable)]
    pub reason: Option<WindowReasonBody>,
}

/// A date of the covered days without a window.
#[derive(Debug, Clone, Object)]
#[oai(rename = "SkippedDate", rename_all = "camelCase")]
pub struct SkippedDateBody {
    /// The local date (`YYYY-MM-DD`).
    pub date: String,
    pub reason: SkippedReasonBody,
    /// The holiday's name; `null` for a weekend.
    #[oai(nullable)]
    pub holiday: Option<String>,
}

/// How many emails go on one local date.
#[derive(Debug, Clone, Object)]
#[oai(rename = "PlannedSends", rename_all = "camelCase")]
pub struct PlannedSendsBody {
    /// The local date (`YYYY-MM-DD`).
    pub date: String,
    pub count: u64,
}

/// What the campaign will send, from its enrolments, waits, mailboxes and limits as they are now.
#[derive(Debug, Clone, Object)]
#[oai(rename = "ScheduleForecast", rename_all = "camelCase")]
pub struct ForecastBody {
    /// One entry per window of `windows`.
    pub planned_sends: Vec<PlannedSendsBody>,
    /// The emails a whole ordinary window can send: the daily limits of the campaign's mailboxes
    /// that can send (each at most one email per `emailIntervalMinutes` of the window), capped by
    /// the campaign's `dailySendLimit`.
    pub capacity_per_day: u64,
    /// The local date (`YYYY-MM-DD`) the last planned email goes; `null` when nothing is left to send,
    /// or when it would be more than two years away (no capacity, say).
    #[oai(nullable)]
    pub estimated_completion: Option<String>,
    /// [ext] Every email still to send to the enrolments that may send (`active`, `pending`).
    pub remaining_sends: u64,
}

/// A campaign's schedule for the next days.
#[derive(Debug, Clone, Object)]
#[oai(rename = "CampaignSchedule", rename_all = "camelCase")]
pub struct ScheduleBody {
    /// The schedule's IANA time zone.
    pub timezone: String,
    /// The windows that have not ended yet, one per covered date that has one, in order.
    pub windows: Vec<WindowBody>,
    /// The covered dates without a window.
    pub skipped: Vec<SkippedDateBody>,
    pub forecast: ForecastBody,
}

fn date(date: NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

impl ScheduleBody {
    pub fn from_view(view: &CampaignScheduleView) -> Self {
        let CampaignScheduleView { calendar, forecast } = view;
        let local = |at: DateTime<Utc>| {
            calendar
                .local_time(at)
                .to_rfc3339_opts(SecondsFormat::Secs, false)
        };
        Self {
            timezone: calendar.zone_name().to_owned(),
            windows: forecast
                .windows
                .iter()
                .map(|shown| WindowBody {
                    date: date(shown.window.date),
                    start: shown.window.start.into(),
                    end: shown.window.end.into(),
                    start_local: local(shown.window.start),
                    end_local: local(shown.window.end),
                    reason: shown.shift.map(|shift| match shift {
                        WindowShift::Gap => WindowReasonBody::DstGap,
                        WindowShift::Overlap => WindowReasonBody::DstOverlap,
                    }),
                })
                .collect(),
            skipped: forecast
                .skipped
                .iter()
                .map(|(day, reason)| match reason {
                    SkippedDay::NotWorkingDay => SkippedDateBody {
                        date: date(*day),
                        reason: SkippedReasonBody::Weekend,
                        holiday: None,
                    },
                    SkippedDay::Holiday(name) => SkippedDateBody {
                        date: date(*day),
                        reason: SkippedReasonBody::Holiday,
                        holiday: Some((*name).to_owned()),
                    },
                })
                .collect(),
            forecast: ForecastBody {
                planned_sends: forecast
                    .planned
                    .iter()
                    .map(|planned| PlannedSendsBody {
                        date: date(planned.date),
                        count: planned.count,
                    })
                    .collect(),
                capacity_per_day: forecast.capacity_per_day,
                estimated_completion: forecast.estimated_completion.map(date),
                remaining_sends: forecast.remaining_sends,
            },
        }
    }
}

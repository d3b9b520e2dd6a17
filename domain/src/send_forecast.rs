//! The schedule forecast of `GET /v1/campaigns/{id}/schedule` (SENDING.md section 6): the next
//! windows, the dates skipped and why, and how many emails the campaign will send on each date, from
//! its enrolments, waits, mailboxes and limits as they are now.
//!
//! The forecast is a day-by-day simulation on the campaign's [`SendCalendar`]: each window sends the
//! emails due before it closes, oldest due first, up to the day's capacity ([`SendingCapacity`]); a
//! sent email makes its enrolment's next email due after the waits in between, counted on the local
//! calendar ([`after_wait`]). Enrolments are taken in groups (same sequence, step and due quarter
//! hour), so its cost does not grow with their number.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use chrono::{DateTime, Duration, NaiveDate, Utc};

use crate::id::SubsequenceId;
use crate::problem::{Invalid, ProblemCode};
use crate::send_window::{SendCalendar, SkippedDay, Window, WindowShift, after_wait};
use crate::sequence::{Sequence, StepKind};

/// The days a forecast covers when `days` is not given.
pub const DEFAULT_FORECAST_DAYS: u32 = 14;
/// The most days a forecast covers.
pub const MAX_FORECAST_DAYS: u32 = 90;
/// How far past today the simulation looks for the day the last email goes: beyond it,
/// `estimatedCompletion` is unknown (`None`).
pub const COMPLETION_HORIZON_DAYS: i64 = 730;

/// `days` of a forecast: 1 to [`MAX_FORECAST_DAYS`] local dates from today.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ForecastDays(u32);

impl ForecastDays {
    pub fn parse(raw: Option<i64>) -> Result<ForecastDays, Invalid> {
        match raw {
            None => Ok(ForecastDays(DEFAULT_FORECAST_DAYS)),
            Some(days) => u32::try_from(days)
                .ok()
                .filter(|days| (1..=MAX_FORECAST_DAYS).contains(days))
                .map(ForecastDays)
                .ok_or_else(|| {
                    Invalid::new(
                        ProblemCode::OutOfRange,
                        format!("days must be between 1 and {MAX_FORECAST_DAYS}"),
                    )
                }),
        }
    }

    pub fn get(self) -> u32 {
        self.0
    }
}

/// Enrolments that may still send (status `active`, or `pending` until the campaign starts), waiting
/// for the same step of the same sequence from the same time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DueGroup {
    /// `None`: the campaign's main sequence.
    pub sequence: Option<SubsequenceId>,
    /// The position of the next step to run (`currentStep`).
    pub step: u32,
    /// When their next email is due; `None`: nothing is planned yet, so it is due at once.
    pub due: Option<DateTime<Utc>>,
    pub enrolments: u64,
}

/// What bounds the sends of one campaign on one day (SENDING.md section 2): each usable mailbox sends
/// at most its `dailySendLimit`, and at most one email of the campaign every `emailIntervalMinutes`
/// inside the window; the campaign sends at most its `dailySendLimit` in all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendingCapacity {
    /// The daily limits of the campaign's mailboxes that can send.
    pub mailbox_limits: Vec<u32>,
    pub campaign_daily_limit: Option<u32>,
    pub interval_minutes: u32,
}

impl SendingCapacity {
    /// How many emails fit in `open` of a window: sends `interval_minutes` apart, starting at its
    /// start, all before its end.
    pub fn within(&self, open: Duration) -> u64 {
        let seconds = open.num_seconds().max(0);
        if seconds == 0 {
            return 0;
        }
        let interval = i64::from(self.interval_minutes) * 60;
        let spaced = if interval == 0 {
            u64::MAX
        } else {
            u64::try_from((seconds + interval - 1) / interval).unwrap_or(u64::MAX)
        };
        let mailboxes: u64 = self
            .mailbox_limits
            .iter()
            .map(|limit| u64::from(*limit).min(spaced))
            .sum();
        self.campaign_daily_limit
            .map_or(mailboxes, |limit| mailboxes.min(u64::from(limit)))
    }
}

/// A window of the forecast, and whether a switch moved its edges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ForecastWindow {
    pub window: Window,
    pub shift: Option<WindowShift>,
}

/// How many emails the campaign sends on one local date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlannedSends {
    pub date: NaiveDate,
    pub count: u64,
}

/// The forecast of a campaign's next days.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleForecast {
    /// The windows that end after now, on the covered dates, in order.
    pub windows: Vec<ForecastWindow>,
    /// The covered dates without a window, and why.
    pub skipped: Vec<(NaiveDate, SkippedDay)>,
    /// One entry per window of `windows`.
    pub planned: Vec<PlannedSends>,
    /// The capacity of a whole window on an ordinary day.
    pub capacity_per_day: u64,
    /// The local date of the last email, if it goes within [`COMPLETION_HORIZON_DAYS`]; `None` also
    /// when nothing is left to send.
    pub estimated_completion: Option<NaiveDate>,
    /// Every email still to send to the counted enrolments.
    pub remaining_sends: u64,
}

/// What a forecast is made from.
#[derive(Clone, Copy)]
pub struct ForecastInput<'a> {
    pub calendar: &'a SendCalendar,
    pub now: DateTime<Utc>,
    pub days: ForecastDays,
    /// The sequence each group refers to: `None` for the main one. A group whose sequence is unknown
    /// (a subsequence deleted, disabled or archived) sends nothing.
    pub sequences: &'a dyn Fn(Option<SubsequenceId>) -> Option<&'a Sequence>,
    pub groups: &'a [DueGroup],
    pub capacity: &'a SendingCapacity,
    /// Whether the campaign sends at all (not completed or archived).
    pub sending: bool,
}

impl std::fmt::Debug for ForecastInput<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ForecastInput")
            .field("now", &self.now)
            .field("days", &self.days)
            .field("groups", &self.groups)
            .field("capacity", &self.capacity)
            .field("sending", &self.sending)
            .finish_non_exhaustive()
    }
}

/// Emails of one step of one sequence, due from one instant, waiting in the simulation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Queued {
    due: DateTime<Utc>,
    sequence: Option<SubsequenceId>,
    email_step: usize,
    count: u64,
}

/// The forecast of `input` (see the module doc).
pub fn forecast(input: &ForecastInput<'_>) -> ScheduleForecast {
    let calendar = input.calendar;
    let today = calendar.local_date(input.now);
    let covered_end = today + Duration::days(i64::from(input.days.get()));
    let mut queue = BinaryHeap::new();
    let mut remaining_sends = 0;
    if input.sending {
        for group in input.groups {
            let Some(sequence) = (input.sequences)(group.sequence) else {
                continue;
            };
            let Some(email_step) = next_email(sequence, group.step as usize) else {
                continue;
            };
            remaining_sends += group.enrolments * emails_from(sequence, email_step);
            queue.push(Reverse(Queued {
                due: group.due.unwrap_or(input.now).max(input.now),
                sequence: group.sequence,
                email_step,
                count: group.enrolments,
            }));
        }
    }
    let mut windows = Vec::new();
    let mut skipped = Vec::new();
    let mut planned = Vec::new();
    let mut last_send_date = None;
    let mut date = today;
    let last_date = today + Duration::days(COMPLETION_HORIZON_DAYS);
    while date < covered_end || (!queue.is_empty() && date <= last_date) {
        let covered = date < covered_end;
        match calendar.day(date) {
            Err(reason) => {
                if covered {
                    skipped.push((date, reason));
                }
            }
            Ok(window) if window.end > input.now => {
                let sent = send_in_window(input, &window, &mut queue);
                if sent > 0 {
                    last_send_date = Some(date);
                }
                if covered {
                    windows.push(ForecastWindow {
                        window,
                        shift: calendar.shift_of(&window),
                    });
                    planned.push(PlannedSends { date, count: sent });
                }
            }
            Ok(_) => {}
        }
        date += Duration::days(1);
    }
    ScheduleForecast {
        planned,
        windows,
        skipped,
        capacity_per_day: input.capacity.within(calendar.ordinary_length()),
        estimated_completion: if queue.is_empty() {
            last_send_date
        } else {
            None
        },
        remaining_sends,
    }
}

/// Sends what `window` can of what is due before it closes, oldest due first; answers how many. A
/// sent email's next email joins the queue, due after the waits in between (it may be due inside
/// the same window).
fn send_in_window(
    input: &ForecastInput<'_>,
    window: &Window,
    queue: &mut BinaryHeap<Reverse<Queued>>,
) -> u64 {
    let opens = window.start.max(input.now);
    let mut capacity = input.capacity.within(window.end - opens);
    let mut sent = 0;
    while capacity > 0 {
        let Some(Reverse(due)) = queue.peek().copied() else {
            break;
        };
        if due.due >= window.end {
            break;
        }
        queue.pop();
        let taken = due.count.min(capacity);
        capacity -= taken;
        sent += taken;
        if taken < due.count {
            queue.push(Reverse(Queued {
                count: due.count - taken,
                // Not sent today: due at the next window's start, like every overdue email.
                due: window.end,
                ..due
            }));
        }
        let Some(sequence) = (input.sequences)(due.sequence) else {
            continue;
        };
        let sent_at = due.due.max(opens);
        if let Some((next, next_due)) = follow_up(input.calendar, sequence, due.email_step, sent_at)
        {
            queue.push(Reverse(Queued {
                due: next_due,
                sequence: due.sequence,
                email_step: next,
                count: taken,
            }));
        }
    }
    sent
}

/// The first email step at or after `from` (the engine sends it; the forecast plans it).
pub fn next_email(sequence: &Sequence, from: usize) -> Option<usize> {
    sequence
        .steps()
        .iter()
        .enumerate()
        .skip(from)
        .find(|(_, step)| matches!(step.kind(), StepKind::Email(_)))
        .map(|(index, _)| index)
}

/// How many email steps there are from `from` on.
fn emails_from(sequence: &Sequence, from: usize) -> u64 {
    let emails = sequence.steps()[from.min(sequence.len())..]
        .iter()
        .filter(|step| matches!(step.kind(), StepKind::Email(_)))
        .count();
    u64::try_from(emails).unwrap_or(u64::MAX)
}

/// The email after the one at `sent_step`, and when it is due: after each wait in between, on the
/// local calendar (SENDING.md section 2).
pub fn follow_up(
    calendar: &SendCalendar,
    sequence: &Sequence,
    sent_step: usize,
    sent_at: DateTime<Utc>,
) -> Option<(usize, DateTime<Utc>)> {
    let mut due = sent_at;
    for (index, step) in sequence.steps().iter().enumerate().skip(sent_step + 1) {
        match step.kind() {
            StepKind::Wait(wait) => {
                due = after_wait(calendar.zone(), due, wait.days(), wait.hours())
            }
            StepKind::Email(_) => return Some((index, due)),
        }
    }
    None
}

#[cfg(test)]
mod tests;

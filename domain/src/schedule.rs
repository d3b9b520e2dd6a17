//! The sending schedule (spec 4.4): `schedule` in, `sendingSchedule` out.

use crate::problem::{JsonPointer, ProblemCode, Problems};
use crate::request::ScheduleRequest;
use crate::text::named;
use crate::values::{TimeOfDay, Timezone, WeekdaySet};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    timezone: Timezone,
    start_time: TimeOfDay,
    end_time: TimeOfDay,
    working_days: WeekdaySet,
    skip_national_holidays: bool,
}

impl Schedule {
    /// Parses `schedule` at `at`; every absent field takes its default.
    pub fn parse(
        request: Option<&ScheduleRequest>,
        at: &JsonPointer,
    ) -> Result<Schedule, Problems> {
        let request = request.cloned().unwrap_or_default();
        let mut problems = Problems::new();
        let timezone = match request.timezone.as_deref() {
            None => Some(Timezone::default_zone()),
            Some(raw) => problems.check(
                Timezone::parse(raw).map_err(|invalid| named("timezone", invalid)),
                at.field("timezone"),
            ),
        };
        let mut time = |raw: Option<&str>, field: &str, default: &str| {
            problems.check(
                TimeOfDay::parse(raw.unwrap_or(default)).map_err(|invalid| named(field, invalid)),
                at.field(field),
            )
        };
        let start_time = time(request.start_time.as_deref(), "startTime", "09:00");
        let end_time = time(request.end_time.as_deref(), "endTime", "17:00");
        if let (Some(start), Some(end)) = (start_time, end_time)
            && end <= start
        {
            problems.add(
                at.field("endTime"),
                ProblemCode::OutOfRange,
                format!("endTime ({end}) must be later than startTime ({start})"),
            );
        }
        let working_days = match request.working_days.as_deref() {
            None => Some(WeekdaySet::weekdays_default()),
            Some(days) => match WeekdaySet::parse(days) {
                Ok(days) => Some(days),
                Err(refusals) => {
                    let pointer = at.field("workingDays");
                    for (index, invalid) in refusals {
                        let located =
                            index.map_or_else(|| pointer.clone(), |index| pointer.index(index));
                        problems.push(named("workingDays", invalid).at(located));
                    }
                    None
                }
            },
        };
        let skip_national_holidays = request.skip_national_holidays.unwrap_or(true);
        match (timezone, start_time, end_time, working_days) {
            (Some(timezone), Some(start_time), Some(end_time), Some(working_days))
                if problems.is_empty() =>
            {
                Ok(Schedule {
                    timezone,
                    start_time,
                    end_time,
                    working_days,
                    skip_national_holidays,
                })
            }
            _ => Err(problems),
        }
    }

    /// This schedule in request form.
    pub fn to_request(&self) -> ScheduleRequest {
        ScheduleRequest {
            timezone: Some(self.timezone.name().to_owned()),
            start_time: Some(self.start_time.to_string()),
            end_time: Some(self.end_time.to_string()),
            working_days: Some(
                self.working_days
                    .days()
                    .into_iter()
                    .map(i64::from)
                    .collect(),
            ),
            skip_national_holidays: Some(self.skip_national_holidays),
        }
    }

    pub fn timezone(&self) -> Timezone {
        self.timezone
    }

    pub fn start_time(&self) -> TimeOfDay {
        self.start_time
    }

    pub fn end_time(&self) -> TimeOfDay {
        self.end_time
    }

    pub fn working_days(&self) -> &WeekdaySet {
        &self.working_days
    }

    pub fn skip_national_holidays(&self) -> bool {
        self.skip_national_holidays
    }
}

//! A wall-clock time of day, as in a sending window `09:00`–`17:00`.

use std::fmt;

use crate::problem::{Invalid, ProblemCode};

const MESSAGE: &str = "must be a time of day in HH:MM, 24-hour";

/// A time of day to the minute, `00:00` to `23:59`. Ordered from midnight on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TimeOfDay {
    hour: u8,
    minute: u8,
}

impl TimeOfDay {
    /// Parses exactly `HH:MM`, two digits each, 24-hour; nothing is trimmed.
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let invalid = || Invalid::new(ProblemCode::InvalidFormat, MESSAGE);
        let &[h1, h2, b':', m1, m2] = raw.as_bytes() else {
            return Err(invalid());
        };
        let hour = two_digits(h1, h2).ok_or_else(invalid)?;
        let minute = two_digits(m1, m2).ok_or_else(invalid)?;
        if hour > 23 || minute > 59 {
            return Err(invalid());
        }
        Ok(Self { hour, minute })
    }

    /// The hour, 0–23.
    pub fn hour(self) -> u8 {
        self.hour
    }

    /// The minute, 0–59.
    pub fn minute(self) -> u8 {
        self.minute
    }

    /// Minutes since midnight, 0–1439.
    pub fn minutes_since_midnight(self) -> u16 {
        u16::from(self.hour) * 60 + u16::from(self.minute)
    }
}

impl fmt::Display for TimeOfDay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.hour, self.minute)
    }
}

fn two_digits(tens: u8, units: u8) -> Option<u8> {
    (tens.is_ascii_digit() && units.is_ascii_digit()).then(|| (tens - b'0') * 10 + (units - b'0'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(raw: &str) -> TimeOfDay {
        TimeOfDay::parse(raw).expect(raw)
    }

    #[test]
    fn time_of_day_accepts_00_00_through_23_59() {
        let cases = [
            ("00:00", 0, 0, 0),
            ("00:01", 0, 1, 1),
            ("09:00", 9, 0, 540),
            ("12:30", 12, 30, 750),
            ("17:59", 17, 59, 1079),
            ("23:00", 23, 0, 1380),
            ("23:59", 23, 59, 1439),
        ];
        for (raw, hour, minute, minutes) in cases {
            let time = parse(raw);
            assert_eq!((time.hour(), time.minute()), (hour, minute), "{raw}");
            assert_eq!(time.minutes_since_midnight(), minutes, "{raw}");
            assert_eq!(time.to_string(), raw);
        }
    }

    #[test]
    fn time_of_day_rejects_24_00() {
        for raw in ["24:00", "24:01", "25:00", "99:99"] {
            assert!(TimeOfDay::parse(raw).is_err(), "{raw}");
        }
    }

    #[test]
    fn time_of_day_rejects_minute_60() {
        for raw in ["12:60", "00:60", "23:99"] {
            assert!(TimeOfDay::parse(raw).is_err(), "{raw}");
        }
    }

    #[test]
    fn time_of_day_rejects_anything_but_two_digits_colon_two_digits() {
        let cases = [
            "9:00",
            "12:5",
            "12-30",
            " 09:00",
            "09:00 ",
            "0900",
            "09:00:00",
            "09.00",
            "",
            ":",
            "+9:00",
            "-1:00",
            "0a:00",
            "09:0x",
            "٠٩:٠٠",
            "09：00",
            "9:000",
        ];
        for raw in cases {
            let error = TimeOfDay::parse(raw).expect_err(raw);
            assert_eq!(error.code, ProblemCode::InvalidFormat, "{raw}");
            assert_eq!(error.message, "must be a time of day in HH:MM, 24-hour");
        }
    }

    #[test]
    fn time_of_day_orders_from_midnight() {
        assert!(parse("00:00") < parse("00:01"));
        assert!(parse("08:59") < parse("09:00"));
        assert!(parse("09:30") < parse("10:00"));
        assert!(parse("23:58") < parse("23:59"));
        assert_eq!(parse("12:00").max(parse("11:59")), parse("12:00"));
    }

    #[test]
    fn time_of_day_round_trips_every_minute_of_the_day() {
        let mut previous: Option<TimeOfDay> = None;
        for minutes in 0..1440u16 {
            let text = format!("{:02}:{:02}", minutes / 60, minutes % 60);
            let time = parse(&text);
            assert_eq!(time.minutes_since_midnight(), minutes);
            assert_eq!(time.to_string(), text);
            assert!(previous.is_none_or(|p| p < time));
            previous = Some(time);
        }
    }
}

//! The time zone that a campaign's sending window is read in.

use std::fmt;

use chrono_tz::{TZ_VARIANTS, Tz};

use crate::problem::{Invalid, ProblemCode};

const MESSAGE: &str = "must be an IANA time zone such as America/New_York";

/// A zone of the IANA tz database (`America/New_York`, `Europe/Paris`, `UTC`…), accepted in any
/// letter case and stored under its canonical spelling. Links such as `US/Eastern` are kept as
/// named, not resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Timezone(Tz);

impl Timezone {
    /// Parses a zone name, ignoring ASCII letter case; nothing is trimmed.
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        raw.parse::<Tz>()
            .ok()
            .or_else(|| {
                TZ_VARIANTS
                    .iter()
                    .copied()
                    .find(|zone| zone.name().eq_ignore_ascii_case(raw))
            })
            .map(Self)
            .ok_or_else(|| Invalid::new(ProblemCode::InvalidValue, MESSAGE))
    }

    /// The zone used when none is given: `America/New_York`.
    pub fn default_zone() -> Self {
        Self(Tz::America__New_York)
    }

    /// The canonical name, such as `America/New_York`.
    pub fn name(self) -> &'static str {
        self.0.name()
    }

    /// The zone, for date-time arithmetic.
    pub fn tz(self) -> Tz {
        self.0
    }
}

impl fmt::Display for Timezone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timezone_accepts_iana_names_and_stores_the_canonical_spelling() {
        let cases = [
            ("America/New_York", "America/New_York"),
            ("UTC", "UTC"),
            ("Europe/Paris", "Europe/Paris"),
            ("Asia/Kolkata", "Asia/Kolkata"),
            ("america/new_york", "America/New_York"),
            ("AMERICA/NEW_YORK", "America/New_York"),
            ("utc", "UTC"),
            ("europe/PARIS", "Europe/Paris"),
            (
                "America/Argentina/Buenos_Aires",
                "America/Argentina/Buenos_Aires",
            ),
            ("america/port-au-prince", "America/Port-au-Prince"),
            ("Etc/GMT+5", "Etc/GMT+5"),
            ("US/Eastern", "US/Eastern"),
        ];
        for (raw, expected) in cases {
            let zone = Timezone::parse(raw).expect(raw);
            assert_eq!(zone.name(), expected, "{raw}");
            assert_eq!(zone.to_string(), expected, "{raw}");
            assert_eq!(zone.tz().name(), expected, "{raw}");
        }
    }

    #[test]
    fn timezone_rejects_unknown_names() {
        for raw in [
            "",
            "Mars/Olympus_Mons",
            "America/NewYork",
            "New York",
            " America/New_York",
            "America/New_York ",
            "+05:30",
            "EDT",
            "GMT+5",
            "America/",
        ] {
            let error = Timezone::parse(raw).expect_err(raw);
            assert_eq!(error.code, ProblemCode::InvalidValue, "{raw}");
            assert_eq!(
                error.message,
                "must be an IANA time zone such as America/New_York"
            );
        }
    }

    #[test]
    fn timezone_default_zone_is_america_new_york() {
        assert_eq!(Timezone::default_zone().name(), "America/New_York");
        assert_eq!(Timezone::default_zone().tz(), Tz::America__New_York);
    }

    #[test]
    fn timezone_accepts_every_zone_of_the_database_in_any_case() {
        for zone in TZ_VARIANTS {
            let name = zone.name();
            assert_eq!(Timezone::parse(name).map(Timezone::tz), Ok(zone));
            assert_eq!(
                Timezone::parse(&name.to_ascii_lowercase()).map(Timezone::name),
                Ok(name)
            );
            assert_eq!(
                Timezone::parse(&name.to_ascii_uppercase()).map(Timezone::name),
                Ok(name)
            );
        }
    }
}

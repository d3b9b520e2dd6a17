//! The days of the week that a campaign sends on.

use std::fmt;

use chrono::Weekday;

use crate::problem::{Invalid, ProblemCode};

/// A non-empty set of days of the week, numbered 0 (Sunday) to 6 (Saturday).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct WeekdaySet {
    /// Bit `d` is set when day `d` (0 = Sunday) is in the set; bit 7 is always clear.
    mask: u8,
}

impl WeekdaySet {
    /// Parses a list of day numbers, reporting every problem at once: each out-of-range entry at
    /// its index, each repeat of an earlier day at the repeat's index, and an empty list with no
    /// index. Order does not matter.
    pub fn parse(days: &[i64]) -> Result<WeekdaySet, Vec<(Option<usize>, Invalid)>> {
        if days.is_empty() {
            return Err(vec![(
                None,
                Invalid::new(ProblemCode::TooFew, "must list at least one day"),
            )]);
        }
        let mut mask = 0u8;
        let mut problems = Vec::new();
        for (index, &day) in days.iter().enumerate() {
            match u8::try_from(day) {
                Ok(day @ 0..=6) => {
                    let bit = 1u8 << day;
                    if mask & bit == 0 {
                        mask |= bit;
                    } else {
                        problems.push((
                            Some(index),
                            Invalid::new(ProblemCode::Duplicate, "must not repeat an earlier day"),
                        ));
                    }
                }
                _ => problems.push((
                    Some(index),
                    Invalid::new(
                        ProblemCode::OutOfRange,
                        "must be between 0 (Sunday) and 6 (Saturday)",
                    ),
                )),
            }
        }
        if problems.is_empty() {
            Ok(Self { mask })
        } else {
            Err(problems)
        }
    }

    /// Monday to Friday: `[1, 2, 3, 4, 5]`.
    pub fn weekdays_default() -> Self {
        Self { mask: 0b0011_1110 }
    }

    /// The days in ascending order, 0 (Sunday) to 6 (Saturday).
    pub fn days(&self) -> Vec<u8> {
        (0..7u8).filter(|day| self.mask & (1 << day) != 0).collect()
    }

    /// Whether `weekday` is in the set.
    pub fn contains(&self, weekday: Weekday) -> bool {
        self.mask & (1 << weekday.num_days_from_sunday()) != 0
    }
}

impl fmt::Debug for WeekdaySet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("WeekdaySet").field(&self.days()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn problems(days: &[i64]) -> Vec<(Option<usize>, ProblemCode)> {
        WeekdaySet::parse(days)
            .expect_err("invalid")
            .into_iter()
            .map(|(index, invalid)| (index, invalid.code))
            .collect()
    }

    #[test]
    fn weekday_set_accepts_days_and_stores_them_sorted() {
        let cases: [(&[i64], &[u8]); 6] = [
            (&[1, 2, 3, 4, 5], &[1, 2, 3, 4, 5]),
            (&[5, 1, 3], &[1, 3, 5]),
            (&[0], &[0]),
            (&[6], &[6]),
            (&[6, 5, 4, 3, 2, 1, 0], &[0, 1, 2, 3, 4, 5, 6]),
            (&[0, 6], &[0, 6]),
        ];
        for (raw, expected) in cases {
            let set = WeekdaySet::parse(raw).expect("valid");
            assert_eq!(set.days(), expected, "{raw:?}");
        }
    }

    #[test]
    fn weekday_set_rejects_days_outside_0_to_6() {
        for day in [-1, 7, 8, 100, i64::MIN, i64::MAX, 256, 262] {
            let errors = WeekdaySet::parse(&[1, day]).expect_err("out of range");
            assert_eq!(errors.len(), 1, "{day}");
            let (index, invalid) = &errors[0];
            assert_eq!(*index, Some(1), "{day}");
            assert_eq!(invalid.code, ProblemCode::OutOfRange, "{day}");
            assert_eq!(
                invalid.message,
                "must be between 0 (Sunday) and 6 (Saturday)"
            );
        }
    }

    #[test]
    fn weekday_set_rejects_a_duplicate_at_the_index_of_the_repeat() {
        assert_eq!(problems(&[1, 2, 1]), [(Some(2), ProblemCode::Duplicate)]);
        assert_eq!(
            problems(&[3, 3, 3]),
            [
                (Some(1), ProblemCode::Duplicate),
                (Some(2), ProblemCode::Duplicate)
            ]
        );
    }

    #[test]
    fn weekday_set_rejects_an_empty_list() {
        let errors = WeekdaySet::parse(&[]).expect_err("empty");
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].0, None);
        assert_eq!(errors[0].1.code, ProblemCode::TooFew);
        assert_eq!(errors[0].1.message, "must list at least one day");
    }

    #[test]
    fn weekday_set_reports_every_problem_in_order() {
        assert_eq!(
            problems(&[7, 1, -1, 1, 9, 9, 0, 0]),
            [
                (Some(0), ProblemCode::OutOfRange),
                (Some(2), ProblemCode::OutOfRange),
                (Some(3), ProblemCode::Duplicate),
                (Some(4), ProblemCode::OutOfRange),
                (Some(5), ProblemCode::OutOfRange),
                (Some(7), ProblemCode::Duplicate),
            ]
        );
    }

    #[test]
    fn weekday_set_default_is_monday_to_friday() {
        let set = WeekdaySet::weekdays_default();
        assert_eq!(set.days(), [1, 2, 3, 4, 5]);
        assert_eq!(WeekdaySet::parse(&[5, 4, 3, 2, 1]), Ok(set));
        assert_eq!(format!("{set:?}"), "WeekdaySet([1, 2, 3, 4, 5])");
    }

    #[test]
    fn weekday_set_contains_matches_chrono_weekdays() {
        let set = WeekdaySet::weekdays_default();
        assert!(!set.contains(Weekday::Sun));
        assert!(set.contains(Weekday::Mon));
        assert!(set.contains(Weekday::Fri));
        assert!(!set.contains(Weekday::Sat));
        let weekend = WeekdaySet::parse(&[0, 6]).expect("valid");
        assert!(weekend.contains(Weekday::Sun));
        assert!(weekend.contains(Weekday::Sat));
        assert!(!weekend.contains(Weekday::Wed));
    }

    proptest! {
        #[test]
        fn weekday_set_days_are_the_sorted_distinct_input(
            days in proptest::collection::btree_set(0i64..=6, 1..=7),
            seed in any::<u64>(),
        ) {
            let mut shuffled: Vec<i64> = days.iter().copied().collect();
            let len = shuffled.len();
            shuffled.rotate_left(usize::try_from(seed % 7).unwrap_or(0) % len);
            let set = WeekdaySet::parse(&shuffled).expect("valid");
            let expected: Vec<u8> = days.iter().map(|&d| u8::try_from(d).unwrap_or(u8::MAX)).collect();
            prop_assert_eq!(set.days(), expected);
        }
    }
}

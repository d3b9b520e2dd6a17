//! Reading collections a page at a time: the page size and the case-insensitive name search that every
//! list endpoint shares.

use crate::problem::{Invalid, ProblemCode};
use crate::text::{Lines, named, refuse_controls};

/// Items per page when the client does not say.
pub const DEFAULT_PAGE_LIMIT: u32 = 25;
/// The most items one page may hold.
pub const MAX_PAGE_LIMIT: u32 = 100;
/// The longest search text; longer could never match a name (names are at most 200 characters).
pub const MAX_SEARCH_CHARS: usize = 200;

/// How many items a page holds: 1–100, 25 by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageLimit(u32);

impl PageLimit {
    pub fn parse(raw: Option<i64>) -> Result<PageLimit, Invalid> {
        match raw {
            None => Ok(PageLimit(DEFAULT_PAGE_LIMIT)),
            Some(limit) => u32::try_from(limit)
                .ok()
                .filter(|limit| (1..=MAX_PAGE_LIMIT).contains(limit))
                .map(PageLimit)
                .ok_or_else(|| {
                    Invalid::new(
                        ProblemCode::OutOfRange,
                        format!("limit must be between 1 and {MAX_PAGE_LIMIT}"),
                    )
                }),
        }
    }

    pub fn get(self) -> u32 {
        self.0
    }
}

impl Default for PageLimit {
    fn default() -> Self {
        PageLimit(DEFAULT_PAGE_LIMIT)
    }
}

/// The form in which names are compared case-insensitively: Unicode lowercase. Storage keeps each
/// searchable name in this form too, so the database compares plain strings the same way on every backend.
pub fn fold_case(text: &str) -> String {
    text.to_lowercase()
}

/// A case-insensitive substring search on names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameSearch {
    folded: String,
}

impl NameSearch {
    /// The search for `raw`, trimmed; `Ok(None)` when it is blank (no filter). A control character
    /// is refused: no name holds one.
    pub fn parse(raw: Option<&str>) -> Result<Option<NameSearch>, Invalid> {
        Ok(
            SubstringSearch::parse(raw, MAX_SEARCH_CHARS)?.map(|search| NameSearch {
                folded: search.folded,
            }),
        )
    }

    /// The text to look for, case-folded.
    pub fn folded(&self) -> &str {
        &self.folded
    }

    /// Whether `name` contains the text, ignoring case.
    pub fn matches(&self, name: &str) -> bool {
        fold_case(name).contains(&self.folded)
    }
}

/// A case-insensitive substring search over some texts of a resource (leads, do-not-contact
/// entries…), at most `max` characters: the longest text searched, so nothing longer could match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubstringSearch {
    folded: String,
}

impl SubstringSearch {
    /// The search for `raw`, trimmed; `Ok(None)` when it is blank (no filter). Longer than `max`
    /// characters, or holding a control character (no searched text holds one), it is refused rather
    /// than answered with an empty page.
    pub fn parse(raw: Option<&str>, max: usize) -> Result<Option<SubstringSearch>, Invalid> {
        let Some(trimmed) = raw.map(str::trim).filter(|text| !text.is_empty()) else {
            return Ok(None);
        };
        if trimmed.chars().count() > max {
            return Err(Invalid::new(
                ProblemCode::TooLong,
                format!("search must be at most {max} characters"),
            ));
        }
        refuse_controls(trimmed, Lines::One).map_err(|invalid| named("search", invalid))?;
        Ok(Some(SubstringSearch {
            folded: fold_case(trimmed),
        }))
    }

    /// The text to look for, case-folded.
    pub fn folded(&self) -> &str {
        &self.folded
    }

    /// Whether `text` contains the search, ignoring case.
    pub fn matches(&self, text: &str) -> bool {
        fold_case(text).contains(&self.folded)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_limit_defaults_to_25_and_accepts_1_to_100() {
        assert_eq!(PageLimit::parse(None).map(PageLimit::get), Ok(25));
        assert_eq!(PageLimit::parse(Some(1)).map(PageLimit::get), Ok(1));
        assert_eq!(PageLimit::parse(Some(100)).map(PageLimit::get), Ok(100));
        for out_of_range in [0, -1, 101, i64::MAX, i64::MIN] {
            let refusal = PageLimit::parse(Some(out_of_range)).expect_err("out of range");
            assert_eq!(refusal.code, ProblemCode::OutOfRange, "{out_of_range}");
        }
    }

    #[test]
    fn name_search_ignores_case_and_surrounding_space() -> Result<(), Invalid> {
        let search = NameSearch::parse(Some("  ÉTÉ Launch "))?.expect("not blank");
        assert_eq!(search.folded(), "été launch");
        assert!(search.matches("Big été LAUNCH 2026"));
        assert!(!search.matches("Été"));
        Ok(())
    }

    #[test]
    fn blank_name_search_is_no_filter() {
        assert_eq!(NameSearch::parse(None), Ok(None));
        assert_eq!(NameSearch::parse(Some("   ")), Ok(None));
    }

    #[test]
    fn name_search_with_a_control_character_is_refused() {
        for raw in ["\u{0}", "a\u{0}b", "a\tb", "a\nb", "a\u{85}b"] {
            let refusal = NameSearch::parse(Some(raw)).expect_err("control character");
            assert_eq!(refusal.code, ProblemCode::InvalidFormat, "{raw:?}");
            assert_eq!(
                refusal.message,
                "search must not contain control characters"
            );
        }
    }

    #[test]
    fn name_search_longer_than_any_name_is_refused() {
        let long = "x".repeat(MAX_SEARCH_CHARS + 1);
        let refusal = NameSearch::parse(Some(&long)).expect_err("too long");
        assert_eq!(refusal.code, ProblemCode::TooLong);
    }

    #[test]
    fn substring_search_takes_its_length_limit_from_the_texts_it_searches() -> Result<(), Invalid> {
        assert!(SubstringSearch::parse(Some(&"a".repeat(500)), 500)?.is_some());
        assert_eq!(
            SubstringSearch::parse(Some(&"a".repeat(501)), 500).map_err(|i| i.code),
            Err(ProblemCode::TooLong)
        );
        assert_eq!(SubstringSearch::parse(Some("  "), 500), Ok(None));
        let search = SubstringSearch::parse(Some(" ACME "), 10)?.expect("not blank");
        assert!(search.matches("ada@acme.com"));
        assert!(!search.matches("ada@example.com"));
        Ok(())
    }
}

//! The `LIKE` patterns of searches: a needle matched literally anywhere in a column, written the same
//! way for both backends (an explicit `ESCAPE` clause).

/// The escape character of searches' `LIKE` patterns (written as an `ESCAPE` clause, so both
/// backends read the pattern the same way).
pub(crate) const LIKE_ESCAPE: char = '\\';

/// A `LIKE` pattern matching any text that contains `needle` literally: its `%`, `_` and escape
/// characters escaped.
pub(crate) fn contains_pattern(needle: &str) -> String {
    let mut pattern = String::with_capacity(needle.len() + 2);
    pattern.push('%');
    for character in needle.chars() {
        if matches!(character, '%' | '_' | LIKE_ESCAPE) {
            pattern.push(LIKE_ESCAPE);
        }
        pattern.push(character);
    }
    pattern.push('%');
    pattern
}

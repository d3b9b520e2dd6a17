//! Ids written into the enrolment statements as literals.

use std::fmt::Display;

/// Parsed ids as a list of SQL string literals: `'…', '…'`. Only for ids the domain parsed (24
/// lowercase hex digits), which hold no quote; see the module documentation of `enrolments` for why
/// literals. An empty list is `NULL` (so `IN (NULL)` matches nothing and `NOT IN` is not used with
/// it).
pub(super) fn id_list<T: Display>(ids: &[T]) -> String {
    if ids.is_empty() {
        return "NULL".to_owned();
    }
    ids.iter()
        .map(|id| {
            let id = id.to_string();
            debug_assert!(id.bytes().all(|byte| byte.is_ascii_hexdigit()));
            format!("'{id}'")
        })
        .collect::<Vec<_>>()
        .join(", ")
}

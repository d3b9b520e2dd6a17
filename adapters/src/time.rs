//! Times are stored as UTC milliseconds since the Unix epoch (`*_at_ms` BIGINT columns): exact to the
//! millisecond and ordered the same way on every backend.

use chrono::{DateTime, Utc};

use application::ports::RepositoryError;

/// The stored form; sub-millisecond precision is dropped (the clock has none).
pub(crate) fn to_millis(time: DateTime<Utc>) -> i64 {
    time.timestamp_millis()
}

/// A stored time, or the corrupt-row error of `table`/`id`.
pub(crate) fn from_millis(
    millis: i64,
    table: &str,
    id: &str,
) -> Result<DateTime<Utc>, RepositoryError> {
    DateTime::from_timestamp_millis(millis).ok_or_else(|| {
        crate::error::corrupt_row(table, id, format!("{millis} is not a time in milliseconds"))
    })
}

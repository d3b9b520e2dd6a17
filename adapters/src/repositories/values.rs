//! Small row ↔ domain conversions shared by the repositories.

use application::ports::RepositoryError;
use domain::problem::Invalid;
use domain::stats::Stats;

use crate::error::corrupt_row;

/// A stored id (24 lowercase hex), parsed into its typed form, or the corrupt-row error.
pub(super) fn parse_id<T>(
    raw: &str,
    parse: fn(&str) -> Result<T, Invalid>,
    table: &str,
    row: &str,
) -> Result<T, RepositoryError> {
    parse(raw).map_err(|_| corrupt_row(table, row, format!("{raw:?} is not an id")))
}

/// A counter as stored (BIGINT).
pub(super) fn counter_to_db(value: u64) -> Result<i64, RepositoryError> {
    i64::try_from(value)
        .map_err(|_| RepositoryError::Unknown(anyhow::anyhow!("counter {value} exceeds BIGINT")))
}

/// A stored counter.
pub(super) fn counter_from_db(value: i64, table: &str, row: &str) -> Result<u64, RepositoryError> {
    u64::try_from(value).map_err(|_| corrupt_row(table, row, format!("negative counter {value}")))
}

/// The seven sending counters in column order: sent, delivered, opened, clicked, replied, bounced,
/// unsubscribed.
pub(super) fn stats_to_db(stats: Stats) -> Result<[i64; 7], RepositoryError> {
    Ok([
        counter_to_db(stats.sent)?,
        counter_to_db(stats.delivered)?,
        counter_to_db(stats.opened)?,
        counter_to_db(stats.clicked)?,
        counter_to_db(stats.replied)?,
        counter_to_db(stats.bounced)?,
        counter_to_db(stats.unsubscribed)?,
    ])
}

/// The counters read from the seven columns, in [`stats_to_db`]'s order.
pub(super) fn stats_from_db(
    columns: [i64; 7],
    table: &str,
    row: &str,
) -> Result<Stats, RepositoryError> {
    let [
        sent,
        delivered,
        opened,
        clicked,
        replied,
        bounced,
        unsubscribed,
    ] = columns;
    let counter = |value| counter_from_db(value, table, row);
    Ok(Stats {
        sent: counter(sent)?,
        delivered: counter(delivered)?,
        opened: counter(opened)?,
        clicked: counter(clicked)?,
        replied: counter(replied)?,
        bounced: counter(bounced)?,
        unsubscribed: counter(unsubscribed)?,
    })
}

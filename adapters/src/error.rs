//! `DbErr` → `RepositoryError`, and the errors of rows that no longer parse.

use application::ports::RepositoryError;
use sea_orm::{DbErr, SqlErr};

/// What a unique violation means to the caller of one operation: given the database's own message
/// (which names the violated index or columns), the human message of the `Conflict`.
pub(crate) type ConflictMessage = fn(&str) -> String;

/// Unique violations become `Conflict` with the operation's own message (never SQL); anything else is
/// `Unknown`, its cause kept for the logs.
pub(crate) fn repository_error(error: DbErr, conflict: ConflictMessage) -> RepositoryError {
    match error.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(detail)) => {
            RepositoryError::Conflict(conflict(&detail))
        }
        _ => unknown(error),
    }
}

/// A failure no caller can act on.
pub(crate) fn unknown(error: DbErr) -> RepositoryError {
    RepositoryError::Unknown(anyhow::Error::new(error).context("database operation failed"))
}

/// A stored row that does not parse back into the domain: corrupt, or written under rules since
/// tightened. The message names the table and row; never SQL.
pub(crate) fn corrupt_row(
    table: &str,
    id: &str,
    problem: impl std::fmt::Display,
) -> RepositoryError {
    RepositoryError::Unknown(anyhow::anyhow!("corrupt {table} row {id}: {problem}"))
}

/// For operations whose only uniqueness is a generated id: a repeat of it.
pub(crate) fn duplicate_id(_detail: &str) -> String {
    "a record with this id already exists".to_owned()
}

/// Plain `DbErr` → `RepositoryError` for `?` where no uniqueness rule applies.
pub(crate) trait OrUnknown<T> {
    fn or_unknown(self) -> Result<T, RepositoryError>;
}

impl<T> OrUnknown<T> for Result<T, DbErr> {
    fn or_unknown(self) -> Result<T, RepositoryError> {
        self.map_err(unknown)
    }
}

/// Every problem of a stored row that failed to re-parse, for the corrupt-row message.
pub(crate) fn describe(problems: &domain::problem::Problems) -> String {
    problems
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

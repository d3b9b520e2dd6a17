//! What the layer's own statements share beneath sea-orm: the backends' limits on bound parameters,
//! sqlx errors reported as sea-orm's, and a SQLite connection's rollback after a failed exchange.

use std::sync::Arc;

use sea_orm::sqlx;
use sea_orm::sqlx::pool::PoolConnection;
use sea_orm::sqlx::sqlite::Sqlite;
use sea_orm::{DbErr, RuntimeErr, Statement};

/// Bound parameters per statement: PostgreSQL's protocol allows 65,535; SQLite 32,766 since 3.32.
pub(crate) const POSTGRES_MAX_PARAMETERS: usize = 65_535;
pub(super) const SQLITE_MAX_PARAMETERS: usize = 32_766;

/// After a failed exchange: `ROLLBACK` on the same connection (harmless when no transaction is open),
/// or, if even that fails, the connection closed so the pool replaces it. (An in-memory database lives
/// only as long as its one connection, so it keeps it.)
pub(super) async fn roll_back_or_replace(mut connection: PoolConnection<Sqlite>, in_memory: bool) {
    if sqlx::query("ROLLBACK")
        .execute(&mut *connection)
        .await
        .is_err()
        && !in_memory
    {
        let _ = connection.close().await;
    }
}

pub(crate) fn parameters(statement: &Statement) -> usize {
    statement.values.as_ref().map_or(0, |values| values.0.len())
}

/// An sqlx error as sea-orm reports it, so `DbErr::sql_err` still recognises unique violations.
pub(super) fn exec_error(error: sqlx::Error) -> DbErr {
    DbErr::Exec(RuntimeErr::SqlxError(Arc::new(error)))
}

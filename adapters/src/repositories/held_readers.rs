//! SQLite reader connections held outside sqlx's pool, for the hottest lookup (a campaign's version,
//! asked by every read that answers a kept rendering).
//!
//! sqlx pings every connection it takes back into its pool, in a task it spawns for that (sqlx-core
//! 0.9, `PoolConnection::return_to_pool`): on SQLite a second hop to the connection's worker thread for
//! each query. These connections are never handed back to a pool, so a lookup is one hop. Each is
//! opened on first use with the readers' options; one whose query fails is dropped and opened again on
//! its next use.

use std::sync::atomic::{AtomicUsize, Ordering};

use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sea_orm::sqlx::{self, AssertSqlSafe, ConnectOptions, Row as _};
use sea_orm::{DbErr, Statement, Values};
use sea_query_sqlx::SqlxValues;
use tokio::sync::Mutex;

use super::batch::exec_error;

pub(crate) struct HeldReaders {
    options: SqliteConnectOptions,
    connections: Vec<Mutex<Option<SqliteConnection>>>,
    next: AtomicUsize,
}

impl HeldReaders {
    /// `count` connections (at least one) opened with `options` when first needed.
    pub(crate) fn new(options: SqliteConnectOptions, count: usize) -> Self {
        Self {
            options,
            connections: (0..count.max(1)).map(|_| Mutex::new(None)).collect(),
            next: AtomicUsize::new(0),
        }
    }

    /// The first column of the first row `statement` reads, as an integer; `None` without a row.
    pub(crate) async fn integer(&self, statement: Statement) -> Result<Option<i64>, DbErr> {
        let index = self.next.fetch_add(1, Ordering::Relaxed) % self.connections.len();
        let mut held = self.connections[index].lock().await;
        let connection = match held.as_mut() {
            Some(connection) => connection,
            None => held.insert(self.options.connect().await.map_err(exec_error)?),
        };
        let values = statement.values.unwrap_or(Values(Vec::new()));
        let read = sqlx::query_with(AssertSqlSafe(statement.sql), SqlxValues(values))
            .fetch_optional(&mut *connection)
            .await
            .and_then(|row| row.map(|row| row.try_get::<i64, _>(0)).transpose());
        if read.is_err() {
            // Whatever failed, a fresh connection is the safe one to use next.
            *held = None;
        }
        read.map_err(exec_error)
    }
}

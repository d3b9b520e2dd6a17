//! Reader connections held outside sqlx's pool, for the hottest lookup (a campaign's version, asked by
//! every read that answers a kept rendering).
//!
//! sqlx pings every connection it takes back into its pool, in a task it spawns for that (sqlx-core
//! 0.9, `PoolConnection::return_to_pool`): a second round trip for each query — a hop to the worker
//! thread on SQLite, a network round trip on PostgreSQL. These connections are never handed back to a
//! pool, so a lookup is one round trip. Each is opened on first use with the readers' options; one
//! whose query fails is dropped and opened again on its next use.

use std::sync::atomic::{AtomicUsize, Ordering};

use sea_orm::sqlx::postgres::{PgConnectOptions, PgConnection};
use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sea_orm::sqlx::{self, AssertSqlSafe, ConnectOptions, Row as _};
use sea_orm::{DbErr, Statement, Values};
use sea_query_sqlx::SqlxValues;
use tokio::sync::Mutex;

use super::batch::exec_error;

/// The held connections of one backend.
pub(crate) enum HeldReaders {
    Sqlite(Held<SqliteConnectOptions, SqliteConnection>),
    Postgres(Held<PgConnectOptions, PgConnection>),
}

pub(crate) struct Held<O, C> {
    options: O,
    connections: Vec<Mutex<Option<C>>>,
    next: AtomicUsize,
}

impl<O, C> Held<O, C> {
    /// `count` connections (at least one) opened with `options` when first needed.
    pub(crate) fn new(options: O, count: usize) -> Self {
        Self {
            options,
            connections: (0..count.max(1)).map(|_| Mutex::new(None)).collect(),
            next: AtomicUsize::new(0),
        }
    }

    fn next_slot(&self) -> &Mutex<Option<C>> {
        let index = self.next.fetch_add(1, Ordering::Relaxed) % self.connections.len();
        &self.connections[index]
    }
}

/// Runs one lookup on a held connection: opens it if needed, drops it if the lookup fails.
macro_rules! held_integer {
    ($held:expr, $statement:expr) => {{
        let held = $held;
        let mut slot = held.next_slot().lock().await;
        let connection = match slot.as_mut() {
            Some(connection) => connection,
            None => slot.insert(held.options.connect().await.map_err(exec_error)?),
        };
        let statement: Statement = $statement;
        let values = statement.values.unwrap_or(Values(Vec::new()));
        let read = sqlx::query_with(AssertSqlSafe(statement.sql), SqlxValues(values))
            .fetch_optional(&mut *connection)
            .await
            .and_then(|row| row.map(|row| row.try_get::<i64, _>(0)).transpose());
        if read.is_err() {
            // Whatever failed, a fresh connection is the safe one to use next.
            *slot = None;
        }
        read.map_err(exec_error)
    }};
}

impl HeldReaders {
    /// The first column of the first row `statement` reads, as an integer; `None` without a row.
    pub(crate) async fn integer(&self, statement: Statement) -> Result<Option<i64>, DbErr> {
        match self {
            HeldReaders::Sqlite(held) => held_integer!(held, statement),
            HeldReaders::Postgres(held) => held_integer!(held, statement),
        }
    }
}

//! Connections held outside sqlx's pools, for the statements every request runs: reads, and
//! PostgreSQL's inserts.
//!
//! sqlx pings every connection it takes back into its pool, in a task it spawns for that (sqlx-core
//! 0.9, `PoolConnection::return_to_pool`): a second round trip for each query — a hop to the worker
//! thread on SQLite, a network round trip on PostgreSQL. These connections are never handed back to a
//! pool, so a statement is one round trip. Each is opened on first use; one that fails other than
//! with the database's own error (a constraint, say) is dropped and opened again on its next use, and
//! one idle for [`PING_AFTER_IDLE`] is pinged first (a database restart leaves dead connections).
//!
//! [`HeldConnections`] is a sea-orm [`ConnectionTrait`], so any sea-orm query runs on it. Transactions
//! stay on the pools: a statement here runs on its own.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use sea_orm::sqlx::postgres::{PgConnectOptions, PgConnection};
use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sea_orm::sqlx::{self, AssertSqlSafe, ConnectOptions, Connection as _, Executor as _};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DbBackend, DbErr, ExecResult, QueryResult, RuntimeErr,
    Statement, Values,
};
use sea_query_sqlx::SqlxValues;
use tokio::sync::{Mutex, MutexGuard};

use super::driver::exec_error;

/// A held connection unused this long is pinged before its next statement.
const PING_AFTER_IDLE: Duration = Duration::from_secs(30);

/// The held connections of one backend, or — where none can be held (`sqlite::memory:` is a single
/// connection, and SQLite writes all go through the one writer) — the pool itself.
pub(crate) enum HeldConnections {
    Sqlite(Held<SqliteConnectOptions, SqliteConnection>),
    Postgres(Held<PgConnectOptions, PgConnection>),
    Pool(DatabaseConnection),
}

pub(crate) struct Held<O, C> {
    options: O,
    slots: Vec<Mutex<Option<Opened<C>>>>,
    next: AtomicUsize,
}

struct Opened<C> {
    connection: C,
    last_used: Instant,
}

impl HeldConnections {
    /// How many statements can run at once on these connections.
    pub(crate) fn connections(&self) -> usize {
        match self {
            HeldConnections::Sqlite(held) => held.slots.len(),
            HeldConnections::Postgres(held) => held.slots.len(),
            HeldConnections::Pool(_) => 1,
        }
    }
}

impl<O, C> Held<O, C> {
    /// `count` connections (at least one) opened with `options` when first needed.
    pub(super) fn new(options: O, count: usize) -> Self {
        Self {
            options,
            slots: (0..count.max(1)).map(|_| Mutex::new(None)).collect(),
            next: AtomicUsize::new(0),
        }
    }

    /// A free slot if there is one (looking from the next in turn), else the next in turn once free.
    async fn slot(&self) -> MutexGuard<'_, Option<Opened<C>>> {
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        let count = self.slots.len();
        for offset in 0..count {
            if let Ok(slot) = self.slots[(start + offset) % count].try_lock() {
                return slot;
            }
        }
        self.slots[start % count].lock().await
    }
}

/// Runs `$run` (an expression awaiting a statement on `$connection`) on a held connection: opens it
/// if needed, pings it after a long idle, drops it if the statement fails for a reason other than the
/// database's own error. Evaluates to the statement's `Result<_, sqlx::Error>`, or returns the
/// connection's error.
macro_rules! on_held {
    ($held:expr, |$connection:ident| $run:expr) => {{
        let held = $held;
        let mut slot = held.slot().await;
        if let Some(opened) = slot.as_mut()
            && opened.last_used.elapsed() >= PING_AFTER_IDLE
            && opened.connection.ping().await.is_err()
        {
            *slot = None;
        }
        let opened = match slot.as_mut() {
            Some(opened) => opened,
            None => slot.insert(Opened {
                connection: held.options.connect().await.map_err(connection_error)?,
                last_used: Instant::now(),
            }),
        };
        let $connection = &mut opened.connection;
        let result = $run.await;
        opened.last_used = Instant::now();
        if matches!(result, Err(ref error) if !matches!(error, sqlx::Error::Database(_))) {
            // Whatever broke, a fresh connection is the safe one to use next.
            *slot = None;
        }
        result
    }};
}

/// `statement` as sqlx runs it, with its parameters.
macro_rules! sqlx_query {
    ($statement:expr) => {{
        let statement: Statement = $statement;
        let values = statement.values.unwrap_or(Values(Vec::new()));
        sqlx::query_with(AssertSqlSafe(statement.sql), SqlxValues(values))
    }};
}

#[async_trait]
impl ConnectionTrait for HeldConnections {
    fn get_database_backend(&self) -> DbBackend {
        match self {
            HeldConnections::Sqlite(_) => DbBackend::Sqlite,
            HeldConnections::Postgres(_) => DbBackend::Postgres,
            HeldConnections::Pool(pool) => pool.get_database_backend(),
        }
    }

    async fn execute_raw(&self, statement: Statement) -> Result<ExecResult, DbErr> {
        let executed = match self {
            HeldConnections::Sqlite(held) => on_held!(held, |connection| sqlx_query!(statement)
                .execute(connection))
            .map(ExecResult::from),
            HeldConnections::Postgres(held) => on_held!(held, |connection| sqlx_query!(statement)
                .execute(connection))
            .map(ExecResult::from),
            HeldConnections::Pool(pool) => return pool.execute_raw(statement).await,
        };
        executed.map_err(exec_error)
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        let sql = AssertSqlSafe(sql.to_owned());
        let executed = match self {
            HeldConnections::Sqlite(held) => {
                on_held!(held, |connection| connection.execute(sql)).map(ExecResult::from)
            }
            HeldConnections::Postgres(held) => {
                on_held!(held, |connection| connection.execute(sql)).map(ExecResult::from)
            }
            HeldConnections::Pool(pool) => return pool.execute_unprepared(&sql.0).await,
        };
        executed.map_err(exec_error)
    }

    async fn query_one_raw(&self, statement: Statement) -> Result<Option<QueryResult>, DbErr> {
        let row = match self {
            HeldConnections::Sqlite(held) => on_held!(held, |connection| sqlx_query!(statement)
                .fetch_optional(connection))
            .map(|row| row.map(QueryResult::from)),
            HeldConnections::Postgres(held) => on_held!(held, |connection| sqlx_query!(statement)
                .fetch_optional(connection))
            .map(|row| row.map(QueryResult::from)),
            HeldConnections::Pool(pool) => return pool.query_one_raw(statement).await,
        };
        row.map_err(query_error)
    }

    async fn query_all_raw(&self, statement: Statement) -> Result<Vec<QueryResult>, DbErr> {
        let rows = match self {
            HeldConnections::Sqlite(held) => on_held!(held, |connection| sqlx_query!(statement)
                .fetch_all(connection))
            .map(|rows| rows.into_iter().map(QueryResult::from).collect()),
            HeldConnections::Postgres(held) => on_held!(held, |connection| sqlx_query!(statement)
                .fetch_all(connection))
            .map(|rows| rows.into_iter().map(QueryResult::from).collect()),
            HeldConnections::Pool(pool) => return pool.query_all_raw(statement).await,
        };
        rows.map_err(query_error)
    }
}

fn connection_error(error: sqlx::Error) -> DbErr {
    DbErr::Conn(RuntimeErr::SqlxError(Arc::new(error)))
}

fn query_error(error: sqlx::Error) -> DbErr {
    DbErr::Query(RuntimeErr::SqlxError(Arc::new(error)))
}

//! The connections every repository reads and writes through ([`Pools`]), which engine they talk
//! to ([`Backend`]), and how a transaction ends ([`finish`]).

use std::sync::Arc;

use sea_orm::{
    AccessMode, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbErr, IsolationLevel,
    SqliteTransactionMode, Statement, TransactionOptions, TransactionTrait,
};

use super::group_commit::GroupCommit;
use super::held_connections::HeldConnections;

/// Which database engine a [`Database`](crate::Database) talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The connections the repositories use.
///
/// On a SQLite file, every write transaction goes through `writer`, a pool of exactly one connection,
/// and starts with `BEGIN IMMEDIATE`: writers queue in the pool instead of contending for SQLite's
/// lock, and no transaction ever starts as a read and has to upgrade to a write (the source of
/// `database is locked` under load). Reads go through `reader`, a few `query_only` connections that
/// WAL lets run beside the writer. With `sqlite::memory:` both are the same single connection; on
/// PostgreSQL both are the same pool, whose statements are planned at every execution.
#[derive(Clone)]
pub(crate) struct Pools {
    pub(crate) reader: DatabaseConnection,
    pub(crate) writer: DatabaseConnection,
    pub(crate) backend: Backend,
    /// `sqlite::memory:`: the database exists only as long as its one connection.
    pub(super) sqlite_in_memory: bool,
    /// SQLite: the queue of inserts written several to a transaction (`None` on PostgreSQL).
    pub(super) group_commit: Option<GroupCommit>,
    /// Where single-statement reads run: connections held outside the pools (see `held_connections`),
    /// or with `sqlite::memory:` its one connection's pool. On PostgreSQL each statement keeps the plan
    /// it was first given, so only lookups by key belong here: a lookup whose best plan depends on a
    /// table's size or on how many values it is given goes to `reader`.
    pub(crate) reads: Arc<HeldConnections>,
    /// Where single-statement writes run that need no transaction of their own: held connections on
    /// PostgreSQL, the writer's pool on SQLite (every SQLite write goes through its one writer).
    pub(crate) writes: Arc<HeldConnections>,
}

impl From<Backend> for sea_orm::DbBackend {
    fn from(backend: Backend) -> Self {
        match backend {
            Backend::Sqlite => sea_orm::DbBackend::Sqlite,
            Backend::Postgres => sea_orm::DbBackend::Postgres,
        }
    }
}

impl Pools {
    /// A transaction that writes. Everything in it must go through the transaction, never through
    /// another pool (with `sqlite::memory:` that would wait for the connection the transaction holds).
    pub(crate) async fn begin_write(&self) -> Result<DatabaseTransaction, DbErr> {
        let sqlite_transaction_mode =
            (self.backend == Backend::Sqlite).then_some(SqliteTransactionMode::Immediate);
        self.writer
            .begin_with_options(TransactionOptions {
                sqlite_transaction_mode,
                ..TransactionOptions::default()
            })
            .await
    }

    /// The first column of the first row `statement` reads, as an integer (`None` without a row).
    pub(crate) async fn read_integer(&self, statement: Statement) -> Result<Option<i64>, DbErr> {
        self.reads
            .query_one_raw(statement)
            .await?
            .map(|row| row.try_get_by_index::<i64>(0))
            .transpose()
    }

    /// A transaction that only reads, from one snapshot (several queries that must agree).
    pub(crate) async fn begin_read(&self) -> Result<DatabaseTransaction, DbErr> {
        match self.backend {
            // A deferred SQLite transaction that only reads holds one WAL snapshot throughout.
            Backend::Sqlite => self.reader.begin().await,
            Backend::Postgres => {
                self.reader
                    .begin_with_config(
                        Some(IsolationLevel::RepeatableRead),
                        Some(AccessMode::ReadOnly),
                    )
                    .await
            }
        }
    }
}

/// Ends `transaction` as `result` says: commit on `Ok`, roll back on `Err` — explicitly, right here. (A
/// transaction merely dropped is rolled back later, when its pooled connection is next used or
/// released; until then it would keep its locks and snapshot.)
///
/// `commit_failed` maps a failed commit into the caller's error type.
pub(crate) async fn finish<T, E>(
    transaction: DatabaseTransaction,
    result: Result<T, E>,
    commit_failed: impl FnOnce(DbErr) -> E,
) -> Result<T, E> {
    match result {
        Ok(value) => {
            transaction.commit().await.map_err(commit_failed)?;
            Ok(value)
        }
        Err(error) => {
            // The first error is the one worth reporting; a failed rollback is logged.
            if let Err(rollback) = transaction.rollback().await {
                tracing::warn!(error = %rollback, "rolling back a failed transaction failed");
            }
            Err(error)
        }
    }
}

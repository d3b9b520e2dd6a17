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
/// PostgreSQL both are the same pool.
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
    /// table's size or on how many values it is given runs in a [`Pools::begin_read`] transaction.
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
    ///
    /// On PostgreSQL its statements are planned for their parameters and the tables as they are at
    /// each execution (`plan_cache_mode = force_custom_plan` for the transaction). Reads are where a
    /// plan depends on the data: how rare a search is, how many keys a lookup is given, how large a
    /// table has grown. A prepared statement's cached generic plan is kept until an `ANALYZE`, and
    /// without autovacuum none comes: one email-key lookup of 240,000 leads took 31 s on the plan
    /// made while the table was empty. Write transactions keep PostgreSQL's default: the
    /// foreign-key checks of their inserts are statements too, and planned every time they cost 4
    /// times as much (an enrolment batch of 10,000 rows: 0.53 s instead of 0.22 s).
    pub(crate) async fn begin_read(&self) -> Result<DatabaseTransaction, DbErr> {
        match self.backend {
            // A deferred SQLite transaction that only reads holds one WAL snapshot throughout.
            Backend::Sqlite => self.reader.begin().await,
            Backend::Postgres => {
                let transaction = self
                    .reader
                    .begin_with_config(
                        Some(IsolationLevel::RepeatableRead),
                        Some(AccessMode::ReadOnly),
                    )
                    .await?;
                let planning = transaction
                    .execute_unprepared("SET LOCAL plan_cache_mode = force_custom_plan")
                    .await;
                match planning {
                    Ok(_) => Ok(transaction),
                    // Rolled back at once, not left to the pool.
                    Err(error) => finish(transaction, Err(error), |error| error).await,
                }
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

#[cfg(all(test, feature = "testing"))]
mod tests {
    use sea_orm::{ConnectionTrait, DbBackend, Statement};

    use crate::testing::{TestBackend, backends, fresh_database};

    /// The rule: a read transaction's statements are planned for the tables as they are when each
    /// runs, never served by a plan cached earlier. A statement prepared in one is run more than the
    /// five times after which PostgreSQL's default switches to a cached generic plan; it must have
    /// had none.
    #[tokio::test]
    async fn postgres_read_transactions_plan_each_statement_as_it_runs() -> anyhow::Result<()> {
        for backend in backends() {
            if backend != TestBackend::Postgres {
                continue;
            }
            let database = fresh_database(backend).await?;
            let pools = database.pools();
            pools
                .writer
                .execute_unprepared("CREATE TABLE growing (k TEXT PRIMARY KEY)")
                .await?;
            // One transaction: one connection, whose prepared statements the view below lists.
            let transaction = pools.begin_read().await?;
            for _ in 0..9 {
                transaction
                    .query_all_raw(Statement::from_sql_and_values(
                        DbBackend::Postgres,
                        "SELECT k FROM growing WHERE k IN \
                         (SELECT value FROM json_array_elements_text($1::json))",
                        ["[\"k1\", \"k2\"]".into()],
                    ))
                    .await?;
            }
            let plans = transaction
                .query_one_raw(Statement::from_string(
                    DbBackend::Postgres,
                    "SELECT generic_plans, custom_plans FROM pg_prepared_statements \
                     WHERE statement LIKE '%FROM growing WHERE k IN%' \
                     AND statement NOT LIKE '%pg_prepared_statements%'",
                ))
                .await?
                .ok_or_else(|| anyhow::anyhow!("the lookup was not a prepared statement"))?;
            let generic: i64 = plans.try_get_by_index(0)?;
            let custom: i64 = plans.try_get_by_index(1)?;
            assert_eq!(
                (generic, custom),
                (0, 9),
                "generic and custom plans of the lookup"
            );
            transaction.rollback().await?;
        }
        Ok(())
    }
}

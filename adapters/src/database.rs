//! Connecting to SQLite or PostgreSQL, migrating, and handing out the repositories.

use std::future::Future;
use std::pin::Pin;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use application::ports::{
    AgentRepository, CampaignRepository, IdempotencyKeys, IdentityRepository, MailboxRepository,
    RateLimitWindows, Readiness,
};
use sea_orm::sqlx::Connection as _;
use sea_orm::sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sea_orm::sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous,
};
use sea_orm::{
    AccessMode, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbErr, IsolationLevel,
    SqliteTransactionMode, SqlxPostgresConnector, SqlxSqliteConnector, Statement,
    TransactionOptions, TransactionTrait,
};
use sea_orm_migration::MigratorTrait;

use crate::migrations::Migrator;
use crate::repositories::group_commit::GroupCommit;
use crate::repositories::held_connections::{Held, HeldConnections};
use crate::repositories::wal_checkpoints::WalCheckpoints;
use crate::repositories::{
    SqlAgentRepository, SqlCampaignRepository, SqlIdempotencyKeys, SqlIdentityRepository,
    SqlMailboxRepository, SqlRateLimitWindows, SqlReadiness,
};

/// Which database engine a [`Database`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// How long a SQLite connection waits for a lock before `database is locked` (it should never need to:
/// writes queue on the single writer connection instead).
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// Connections reading a SQLite file at once: one per core, at least 2 and at most 8. Readers never
/// block the writer in WAL mode; each is a thread of sqlx's doing CPU work, so more readers than cores
/// only add context switches (a list of 25 ran at ~990 req/s with 4 readers on 2 cores, ~1,380 with 2).
fn sqlite_readers() -> u32 {
    std::thread::available_parallelism()
        .map_or(2, |cores| u32::try_from(cores.get()).unwrap_or(8))
        .clamp(2, 8)
}
/// When the WAL starts over (a checkpoint copied it all back), SQLite truncates the `-wal` file to at
/// most this. Under sustained load it stays below (about 15 MiB with 64 writers and 4 readers, see
/// docs/storage.md), so this only gives back the space of a spike, e.g. after a long read held
/// checkpoints back.
const SQLITE_JOURNAL_SIZE_LIMIT: u64 = 32 * 1024 * 1024;
/// How long a request may wait for a pooled connection.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(30);
const POSTGRES_MAX_CONNECTIONS: u32 = 16;
/// PostgreSQL connections held outside the pool for single-statement reads, and as many for inserts
/// (see `held_connections`): a statement holds one for a single round trip. The repositories' batchers
/// run as many statements at a time.
pub(crate) const POSTGRES_HELD_CONNECTIONS: usize = 4;
/// The advisory lock key that serialises migrations on PostgreSQL ("sendline" in ASCII).
const MIGRATION_LOCK: i64 = 0x7365_6e64_6c69_6e65;
/// A PostgreSQL connection idle longer than this is pinged before use (a server restart leaves dead ones).
const POSTGRES_PING_AFTER_IDLE: Duration = Duration::from_secs(30);

/// A connected database: SQLite (a file, or `sqlite::memory:`) or PostgreSQL. Cheap to clone; every
/// clone shares the same pools.
#[derive(Clone)]
pub struct Database {
    pools: Pools,
    /// Built once per connection: they own batchers (tasks serving every caller of the database).
    campaigns: Arc<SqlCampaignRepository>,
    mailboxes: Arc<SqlMailboxRepository>,
    /// A test database's removal, run when the last clone is dropped.
    #[cfg(feature = "testing")]
    _cleanup: Option<Arc<crate::testing::Cleanup>>,
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Database")
            .field("backend", &self.pools.backend)
            .finish_non_exhaustive()
    }
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
    pub(crate) sqlite_in_memory: bool,
    /// SQLite: the queue of inserts written several to a transaction (`None` on PostgreSQL).
    pub(crate) group_commit: Option<GroupCommit>,
    /// Where single-statement reads run: connections held outside the pools (see `held_connections`),
    /// or with `sqlite::memory:` its one connection's pool.
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

impl Database {
    /// Connects to `url`: `sqlite://path?mode=rwc` (a file; `mode=rwc` creates it), `sqlite::memory:`
    /// (a private in-memory database on exactly one connection), or `postgres://…`.
    pub async fn connect(url: &str) -> anyhow::Result<Database> {
        let pools = connect_pools(url).await?;
        Ok(Database {
            campaigns: Arc::new(SqlCampaignRepository::new(pools.clone())),
            mailboxes: Arc::new(SqlMailboxRepository::new(pools.clone())),
            pools,
            #[cfg(feature = "testing")]
            _cleanup: None,
        })
    }

    /// [`Database::connect`], with `cleanup` run after the last clone is dropped (test databases).
    #[cfg(feature = "testing")]
    pub(crate) async fn connect_with_cleanup(
        url: &str,
        cleanup: crate::testing::Cleanup,
    ) -> anyhow::Result<Database> {
        let pools = connect_pools(url).await?;
        Ok(Database {
            campaigns: Arc::new(SqlCampaignRepository::new(pools.clone())),
            mailboxes: Arc::new(SqlMailboxRepository::new(pools.clone())),
            pools,
            _cleanup: Some(Arc::new(cleanup)),
        })
    }

    /// The pools, for test setup and teardown.
    #[cfg(feature = "testing")]
    pub(crate) fn pools(&self) -> &Pools {
        &self.pools
    }

    /// Applies every pending migration (none pending: nothing happens).
    ///
    /// The whole run is one write transaction (each migration a savepoint inside it), so it applies
    /// all pending migrations or none, and concurrent runs — several servers starting at once — take
    /// turns: on SQLite they queue for the writer connection, on PostgreSQL for an advisory lock taken
    /// first. The later ones then find nothing pending.
    pub async fn migrate(&self) -> anyhow::Result<()> {
        self.apply_pending_migrations()
            .await
            .context("applying database migrations")
    }

    async fn apply_pending_migrations(&self) -> Result<(), DbErr> {
        let transaction = self.pools.begin_write().await?;
        let migrated = async {
            if self.pools.backend == Backend::Postgres {
                transaction
                    .execute_unprepared(&format!("SELECT pg_advisory_xact_lock({MIGRATION_LOCK})"))
                    .await?;
            }
            Migrator::up(&transaction, None).await
        }
        .await;
        finish(transaction, migrated, |error| error).await
    }

    pub fn campaigns(&self) -> Arc<dyn CampaignRepository> {
        Arc::clone(&self.campaigns) as Arc<dyn CampaignRepository>
    }

    pub fn mailboxes(&self) -> Arc<dyn MailboxRepository> {
        Arc::clone(&self.mailboxes) as Arc<dyn MailboxRepository>
    }

    pub fn agents(&self) -> Arc<dyn AgentRepository> {
        Arc::new(SqlAgentRepository::new(self.pools.clone()))
    }

    pub fn idempotency_keys(&self) -> Arc<dyn IdempotencyKeys> {
        Arc::new(SqlIdempotencyKeys::new(self.pools.clone()))
    }

    pub fn identity(&self) -> Arc<dyn IdentityRepository> {
        Arc::new(SqlIdentityRepository::new(self.pools.clone()))
    }

    pub fn rate_limit_windows(&self) -> Arc<dyn RateLimitWindows> {
        Arc::new(SqlRateLimitWindows::new(self.pools.clone()))
    }

    pub fn readiness(&self) -> Arc<dyn Readiness> {
        Arc::new(SqlReadiness::new(self.pools.clone()))
    }

    pub fn backend(&self) -> Backend {
        self.pools.backend
    }
}

/// The pools for `url`.
async fn connect_pools(url: &str) -> anyhow::Result<Pools> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        connect_postgres(url).await
    } else if url.starts_with("sqlite:") {
        if is_sqlite_memory(url) {
            connect_sqlite_memory(url).await
        } else {
            connect_sqlite_file(url).await
        }
    } else {
        // The URL itself is left out of the message: it may hold a password.
        anyhow::bail!("unsupported database URL: expected sqlite:… or postgres://…")
    }
}

fn is_sqlite_memory(url: &str) -> bool {
    url == "sqlite::memory:" || url.contains("mode=memory")
}

async fn connect_postgres(url: &str) -> anyhow::Result<Pools> {
    let options = PgConnectOptions::from_str(url).context("parsing the PostgreSQL URL")?;
    let pool = PgPoolOptions::new()
        .max_connections(POSTGRES_MAX_CONNECTIONS)
        .acquire_timeout(ACQUIRE_TIMEOUT)
        // No ping on every acquire (a round trip per query); only after a long idle.
        .test_before_acquire(false)
        .before_acquire(
            |connection, meta| -> Pin<Box<dyn Future<Output = _> + Send + '_>> {
                Box::pin(async move {
                    if meta.idle_for >= POSTGRES_PING_AFTER_IDLE {
                        connection.ping().await?;
                    }
                    Ok(true)
                })
            },
        )
        .connect_with(options.clone())
        .await
        .context("connecting to PostgreSQL")?;
    let held_options = options
        .clone()
        .options([("plan_cache_mode", "force_generic_plan")]);
    let held = || {
        Arc::new(HeldConnections::Postgres(Held::new(
            held_options.clone(),
            POSTGRES_HELD_CONNECTIONS,
        )))
    };
    let connection = SqlxPostgresConnector::from_sqlx_postgres_pool(pool);
    let reads = held();
    let writes = held();
    Ok(Pools {
        reader: connection.clone(),
        writer: connection,
        backend: Backend::Postgres,
        sqlite_in_memory: false,
        group_commit: None,
        reads,
        writes,
    })
}

async fn connect_sqlite_memory(url: &str) -> anyhow::Result<Pools> {
    let options = SqliteConnectOptions::from_str(url)
        .context("parsing the SQLite URL")?
        .foreign_keys(true)
        .busy_timeout(SQLITE_BUSY_TIMEOUT);
    // The database lives as long as its one connection: never let the pool close or replace it.
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .min_connections(1)
        .idle_timeout(None)
        .max_lifetime(None)
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .test_before_acquire(false)
        .connect_with(options)
        .await
        .context("opening the in-memory SQLite database")?;
    // No file, no log to checkpoint.
    let group_commit = GroupCommit::start(pool.clone(), true, None);
    let connection = SqlxSqliteConnector::from_sqlx_sqlite_pool(pool);
    let single = Arc::new(HeldConnections::Pool(connection.clone()));
    Ok(Pools {
        reader: connection.clone(),
        writer: connection,
        backend: Backend::Sqlite,
        sqlite_in_memory: true,
        group_commit: Some(group_commit),
        reads: Arc::clone(&single),
        writes: single,
    })
}

async fn connect_sqlite_file(url: &str) -> anyhow::Result<Pools> {
    let options = SqliteConnectOptions::from_str(url)
        .context("parsing the SQLite URL")?
        .journal_mode(SqliteJournalMode::Wal)
        // In WAL mode NORMAL is durable against application crashes; a power loss may drop the last
        // commits but never corrupts the file.
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(SQLITE_BUSY_TIMEOUT)
        .foreign_keys(true)
        .pragma("journal_size_limit", SQLITE_JOURNAL_SIZE_LIMIT.to_string());

    // The writer connects first: it creates the file (`mode=rwc`) and switches it to WAL.
    let writer = SqlitePoolOptions::new()
        .max_connections(1)
        .min_connections(1)
        .idle_timeout(None)
        .max_lifetime(None)
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .test_before_acquire(false)
        .connect_with(options.clone())
        .await
        .context("opening the SQLite database")?;
    let reads = Arc::new(HeldConnections::Sqlite(Held::new(
        options.clone().pragma("query_only", "ON"),
        usize::try_from(sqlite_readers()).unwrap_or(1),
    )));
    let reader = SqlitePoolOptions::new()
        .max_connections(sqlite_readers())
        .min_connections(1)
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .test_before_acquire(false)
        .connect_with(options.clone().pragma("query_only", "ON"))
        .await
        .context("opening SQLite reader connections")?;
    let checkpoints = WalCheckpoints::start(&options)
        .await
        .context("opening the SQLite checkpoint connection")?;
    let group_commit = GroupCommit::start(writer.clone(), false, Some(checkpoints));
    let writer = SqlxSqliteConnector::from_sqlx_sqlite_pool(writer);
    Ok(Pools {
        reader: SqlxSqliteConnector::from_sqlx_sqlite_pool(reader),
        writes: Arc::new(HeldConnections::Pool(writer.clone())),
        writer,
        backend: Backend::Sqlite,
        sqlite_in_memory: false,
        group_commit: Some(group_commit),
        reads,
    })
}

#[cfg(all(test, feature = "testing"))]
mod tests {
    use application::ports::IdGenerator;

    use crate::ObjectIdGenerator;
    use crate::testing::{backends, unmigrated_database};

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn servers_migrating_a_new_database_at_once_all_succeed() -> anyhow::Result<()> {
        for backend in backends() {
            let database = unmigrated_database(backend).await?;
            let runs: Vec<_> = (0..4)
                .map(|_| {
                    let database = database.clone();
                    tokio::spawn(async move { database.migrate().await })
                })
                .collect();
            for run in runs {
                run.await?
                    .map_err(|error| error.context(format!("{backend:?}")))?;
            }
            database.readiness().ping().await?;
            // The tables are there.
            let (workspace, campaign) = (ObjectIdGenerator.new_id(), ObjectIdGenerator.new_id());
            let found = database
                .campaigns()
                .find(workspace.into(), campaign.into())
                .await?;
            assert!(found.is_none(), "{backend:?}");
        }
        Ok(())
    }

    /// `.cargo/config.toml` builds the bundled SQLite with `SQLITE_ENABLE_QPSG`: without it every
    /// cached statement with a bound `LIMIT` or `LIKE` is parsed and planned again on each execution.
    #[tokio::test]
    async fn sqlite_plans_do_not_depend_on_bound_values() -> anyhow::Result<()> {
        use sea_orm::{ConnectionTrait, Statement};

        let database = super::Database::connect("sqlite::memory:").await?;
        let found = database
            .pools()
            .reader
            .query_one_raw(Statement::from_string(
                sea_orm::DbBackend::Sqlite,
                "SELECT 1 FROM pragma_compile_options WHERE compile_options = 'ENABLE_QPSG'",
            ))
            .await?;
        assert!(
            found.is_some(),
            "the bundled SQLite must be built with SQLITE_ENABLE_QPSG"
        );
        Ok(())
    }
}

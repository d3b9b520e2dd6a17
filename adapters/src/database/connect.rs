//! Opening the pools for a database URL: SQLite (a file, or `sqlite::memory:`) or PostgreSQL, each
//! with the connection settings, held connections, group commit and checkpoints its engine needs.

use std::future::Future;
use std::pin::Pin;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use sea_orm::sqlx;
use sea_orm::sqlx::Connection as _;
use sea_orm::sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sea_orm::sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous,
};
use sea_orm::{SqlxPostgresConnector, SqlxSqliteConnector};

use super::group_commit::GroupCommit;
use super::held_connections::{Held, HeldConnections};
use super::pools::{Backend, Pools};
use super::wal_checkpoints::WalCheckpoints;

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
/// A PostgreSQL connection idle longer than this is pinged before use (a server restart leaves dead ones).
const POSTGRES_PING_AFTER_IDLE: Duration = Duration::from_secs(30);

/// The pools for `url`.
pub(crate) async fn connect_pools(url: &str) -> anyhow::Result<Pools> {
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

/// The held connections keep their generic plans until the statistics of the tables they read change,
/// which autovacuum sees to as tables grow. Without it, a plan made while a table was small (a join
/// that scans it, say) serves the table at any size: the operator must run `ANALYZE` after loads.
async fn warn_without_autovacuum(pool: &PgPool) {
    let setting = sqlx::query_scalar::<_, String>("SELECT current_setting('autovacuum')")
        .fetch_one(pool)
        .await;
    if matches!(setting.as_deref(), Ok("off")) {
        tracing::warn!(
            "PostgreSQL's autovacuum is off: run ANALYZE after large imports, or reads keep \
             plans made for smaller tables (docs/storage.md)"
        );
    }
}

pub(crate) fn is_sqlite_memory(url: &str) -> bool {
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
    warn_without_autovacuum(&pool).await;
    // Held connections run only statements whose best plan does not depend on the data (lookups by
    // key, inserts), so one plan serves every execution (see `held_connections`).
    let held_options = options.options([("plan_cache_mode", "force_generic_plan")]);
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
        .pragma("journal_size_limit", SQLITE_JOURNAL_SIZE_LIMIT.to_string())
        // Statement journals (a multi-row INSERT with a trigger, e.g. a create batch's campaign rows)
        // and sorts stay in memory: with the default a journal past 64 KiB became a temporary file,
        // created, written and unlinked per statement (~7.6 µs a create, docs/performance.md).
        .pragma("temp_store", "memory");

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

#[cfg(test)]
mod tests {
    use sea_orm::{ConnectionTrait as _, DatabaseConnection, DbBackend, Statement};

    use crate::testing::{TestBackend, fresh_database};

    async fn temp_store(connection: &DatabaseConnection) -> anyhow::Result<i64> {
        let row = connection
            .query_one_raw(Statement::from_string(
                DbBackend::Sqlite,
                "PRAGMA temp_store",
            ))
            .await?
            .ok_or_else(|| anyhow::anyhow!("PRAGMA temp_store answered no row"))?;
        Ok(row.try_get_by_index(0)?)
    }

    /// A statement journal that spills is a temporary file created and unlinked per statement: the
    /// file database's connections keep them (and sorts) in memory (`temp_store = MEMORY`, 2).
    #[tokio::test]
    async fn sqlite_file_connections_keep_statement_journals_in_memory() -> anyhow::Result<()> {
        let database = fresh_database(TestBackend::Sqlite).await?;
        let pools = database.pools();
        assert_eq!(temp_store(&pools.writer).await?, 2, "the writer");
        assert_eq!(temp_store(&pools.reader).await?, 2, "a reader");
        Ok(())
    }
}

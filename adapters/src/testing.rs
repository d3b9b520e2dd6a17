//! Fresh databases for contract tests, on every backend the environment offers.
//!
//! SQLite always runs. PostgreSQL runs too when `SENDLINE_TEST_POSTGRES_URL` is set; then a server
//! that cannot be reached fails the test — it is never skipped silently.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::Context as _;
use rand::RngCore;
use sea_orm::ConnectionTrait;

use crate::Database;

/// The variable naming the PostgreSQL server (any database on it) that tests may create schemas in.
const POSTGRES_URL_VARIABLE: &str = "SENDLINE_TEST_POSTGRES_URL";

/// Test schemas older than this are taken for leftovers of crashed runs and dropped.
const STALE_SCHEMA_SECONDS: u64 = 3_600;
const SCHEMA_PREFIX: &str = "sendline_test_";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TestBackend {
    Sqlite,
    Postgres,
}

/// SQLite always; PostgreSQL too when `SENDLINE_TEST_POSTGRES_URL` is set (then an unreachable server
/// is a test FAILURE, never a skip).
pub fn backends() -> Vec<TestBackend> {
    let mut backends = vec![TestBackend::Sqlite];
    if postgres_url().is_some() {
        backends.push(TestBackend::Postgres);
    }
    backends
}

fn postgres_url() -> Option<String> {
    std::env::var(POSTGRES_URL_VARIABLE)
        .ok()
        .filter(|url| !url.trim().is_empty())
}

/// A fresh, migrated database of its own per call: a temp-file SQLite database, or on PostgreSQL a
/// fresh schema created on the server of `SENDLINE_TEST_POSTGRES_URL`. Removed best-effort when the
/// last clone of the returned [`Database`] is dropped.
pub async fn fresh_database(backend: TestBackend) -> anyhow::Result<Database> {
    Ok(fresh_database_and_url(backend).await?.0)
}

/// [`fresh_database`], with the URL that connects to it: for a server process of its own.
pub async fn fresh_database_and_url(backend: TestBackend) -> anyhow::Result<(Database, String)> {
    let (database, url) = unmigrated_database_and_url(backend).await?;
    database
        .migrate()
        .await
        .with_context(|| format!("migrating a fresh {backend:?} test database"))?;
    Ok((database, url))
}

/// SQLite's plan of `statement` (`EXPLAIN QUERY PLAN`) on `database`'s reader, one line per step:
/// what the index rules' tests read.
#[cfg(test)]
pub(crate) async fn sqlite_plan(
    database: &Database,
    statement: sea_orm::Statement,
) -> anyhow::Result<String> {
    let explain = sea_orm::Statement::from_sql_and_values(
        sea_orm::DbBackend::Sqlite,
        format!("EXPLAIN QUERY PLAN {}", statement.sql),
        statement.values.map(|values| values.0).unwrap_or_default(),
    );
    let plan: Vec<String> = database
        .pools()
        .reader
        .query_all_raw(explain)
        .await?
        .iter()
        .map(|row| row.try_get::<String>("", "detail"))
        .collect::<Result<_, _>>()?;
    Ok(plan.join("\n"))
}

/// A fresh database without any table (for the migrations' own tests).
#[cfg(test)]
pub(crate) async fn unmigrated_database(backend: TestBackend) -> anyhow::Result<Database> {
    Ok(unmigrated_database_and_url(backend).await?.0)
}

async fn unmigrated_database_and_url(backend: TestBackend) -> anyhow::Result<(Database, String)> {
    match backend {
        TestBackend::Sqlite => fresh_sqlite().await,
        TestBackend::Postgres => fresh_postgres().await,
    }
}

/// A name no other test of any process uses at the same time: seconds, process id, sequence number
/// and random bits.
fn unique_name() -> String {
    static SEQUENCE: AtomicU64 = AtomicU64::new(0);
    let seconds = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs())
        .unwrap_or(0);
    format!(
        "{seconds}_{}_{}_{:08x}",
        std::process::id(),
        SEQUENCE.fetch_add(1, Ordering::Relaxed),
        rand::rng().next_u32()
    )
}

async fn fresh_sqlite() -> anyhow::Result<(Database, String)> {
    let path = std::env::temp_dir().join(format!("sendline-test-{}.db", unique_name()));
    let url = format!("sqlite://{}?mode=rwc", path.display());
    let database = Database::connect_with_cleanup(&url, Cleanup::SqliteFile(path.clone()))
        .await
        .with_context(|| format!("creating the SQLite test database {}", path.display()))?;
    Ok((database, url))
}

async fn fresh_postgres() -> anyhow::Result<(Database, String)> {
    let base = postgres_url().with_context(|| format!("{POSTGRES_URL_VARIABLE} is not set"))?;
    let schema = format!("{SCHEMA_PREFIX}{}", unique_name());
    let admin = Database::connect(&base).await.with_context(|| {
        format!("connecting to the PostgreSQL server of {POSTGRES_URL_VARIABLE}")
    })?;
    drop_stale_schemas(&admin).await;
    admin
        .pools()
        .writer
        .execute_unprepared(&format!("CREATE SCHEMA \"{schema}\""))
        .await
        .context("creating a test schema")?;
    // The application name tags this database's sessions so that cleanup can end them.
    let separator = if base.contains('?') { '&' } else { '?' };
    let url = format!("{base}{separator}options[search_path]={schema}&application_name={schema}");
    let cleanup = Cleanup::PostgresSchema {
        server: base,
        schema,
    };
    let database = Database::connect_with_cleanup(&url, cleanup)
        .await
        .context("connecting to the test schema")?;
    Ok((database, url))
}

/// Drops test schemas older than an hour: what crashed or killed runs left behind.
async fn drop_stale_schemas(admin: &Database) {
    let Ok(rows) = admin
        .pools()
        .reader
        .query_all_raw(sea_orm::Statement::from_string(
            sea_orm::DbBackend::Postgres,
            format!("SELECT nspname FROM pg_namespace WHERE nspname LIKE '{SCHEMA_PREFIX}%'"),
        ))
        .await
    else {
        return;
    };
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs())
        .unwrap_or(0);
    for row in rows {
        let Ok(schema) = row.try_get_by_index::<String>(0) else {
            continue;
        };
        let created = schema
            .strip_prefix(SCHEMA_PREFIX)
            .and_then(|rest| rest.split('_').next())
            .and_then(|seconds| seconds.parse::<u64>().ok());
        if created.is_some_and(|created| now.saturating_sub(created) > STALE_SCHEMA_SECONDS) {
            let _ = admin
                .pools()
                .writer
                .execute_unprepared(&format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"))
                .await;
        }
    }
}

/// Ends the sessions of the test schema's database and drops the schema, best-effort.
async fn drop_schema(server: &str, schema: &str) {
    let Ok(admin) = Database::connect(server).await else {
        return;
    };
    let writer = &admin.pools().writer;
    let _ = writer
        .execute_raw(sea_orm::Statement::from_sql_and_values(
            sea_orm::DbBackend::Postgres,
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE application_name = $1 AND pid <> pg_backend_pid()",
            [schema.into()],
        ))
        .await;
    let _ = writer
        .execute_unprepared(&format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"))
        .await;
}

/// What to remove when a test database is dropped.
enum Cleanup {
    SqliteFile(PathBuf),
    /// A schema on the server at the URL `server`.
    PostgresSchema {
        server: String,
        schema: String,
    },
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        match self {
            Cleanup::SqliteFile(path) => {
                // `.demo-key`: what `serve --demo` keeps beside the file.
                for suffix in ["", "-wal", "-shm", ".demo-key"] {
                    let mut file = path.clone().into_os_string();
                    file.push(suffix);
                    let _ = std::fs::remove_file(file);
                }
            }
            Cleanup::PostgresSchema { server, schema } => {
                // Drop is synchronous and may run as the test's runtime shuts down (whose connections
                // die with it), so a helper thread connects from a runtime of its own. It first ends
                // the database's own sessions (a connection still idle in a transaction would hold
                // locks the DROP waits for), and is given a bounded time.
                let (server, schema) = (server.clone(), schema.clone());
                let (done, finished) = std::sync::mpsc::channel();
                std::thread::spawn(move || {
                    if let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                    {
                        runtime.block_on(drop_schema(&server, &schema));
                    }
                    let _ = done.send(());
                });
                let _ = finished.recv_timeout(std::time::Duration::from_secs(20));
            }
        }
    }
}

/// Records that the enrolment `enrolment` sent its step `step` at `sent_at_ms` from `mailbox`: what
/// the sending engine will write (one more `emails_sent`, `current_step` past the step, a history
/// row). For tests of what depends on an enrolment having sent (remove, lead deletion, `history`)
/// before the engine exists.
pub async fn record_sent_step(
    database: &Database,
    enrolment: &str,
    step: u32,
    mailbox: &str,
    sent_at_ms: i64,
) -> anyhow::Result<()> {
    let backend = sea_orm::DbBackend::from(database.pools().backend);
    let marks = |count: usize| match backend {
        sea_orm::DbBackend::Postgres => (1..=count)
            .map(|n| format!("${n}"))
            .collect::<Vec<_>>()
            .join(", "),
        _ => vec!["?"; count].join(", "),
    };
    let update = match backend {
        sea_orm::DbBackend::Postgres => {
            "UPDATE enrolments SET emails_sent = emails_sent + 1, current_step = $1, \
             last_sent_at_ms = $2, mailbox_id = $3 WHERE id = $4"
        }
        _ => {
            "UPDATE enrolments SET emails_sent = emails_sent + 1, current_step = ?, \
             last_sent_at_ms = ?, mailbox_id = ? WHERE id = ?"
        }
    };
    let writer = &database.pools().writer;
    writer
        .execute_raw(sea_orm::Statement::from_sql_and_values(
            backend,
            update,
            [
                i64::from(step + 1).into(),
                sent_at_ms.into(),
                mailbox.into(),
                enrolment.into(),
            ],
        ))
        .await?;
    writer
        .execute_raw(sea_orm::Statement::from_sql_and_values(
            backend,
            format!(
                "INSERT INTO enrolment_history (enrolment_id, step, variant, mailbox_id, \
                 message_id, sent_at_ms) VALUES ({})",
                marks(6)
            ),
            [
                enrolment.into(),
                i64::from(step).into(),
                "A".into(),
                mailbox.into(),
                format!("<{enrolment}.{step}@sendline.test>").into(),
                sent_at_ms.into(),
            ],
        ))
        .await?;
    Ok(())
}

/// Plans the enrolment `enrolment`'s next send at `next_send_at_ms`, as the sending engine will (the
/// column only: for tests of what reads it, such as the forecast's due counts).
pub async fn plan_next_send(
    database: &Database,
    enrolment: &str,
    next_send_at_ms: i64,
) -> anyhow::Result<()> {
    let backend = sea_orm::DbBackend::from(database.pools().backend);
    let update = match backend {
        sea_orm::DbBackend::Postgres => "UPDATE enrolments SET next_send_at_ms = $1 WHERE id = $2",
        _ => "UPDATE enrolments SET next_send_at_ms = ? WHERE id = ?",
    };
    database
        .pools()
        .writer
        .execute_raw(sea_orm::Statement::from_sql_and_values(
            backend,
            update,
            [next_send_at_ms.into(), enrolment.into()],
        ))
        .await?;
    Ok(())
}

/// Moves the sending process `worker`'s last heartbeat `by` earlier: as if that much more time had
/// passed since it was last heard of (for tests of a dead worker, without waiting a minute).
pub async fn age_heartbeat(
    database: &Database,
    worker: &str,
    by: chrono::Duration,
) -> anyhow::Result<()> {
    let update = crate::database::sql::Sql::of(
        sea_orm::DbBackend::from(database.pools().backend),
        "UPDATE sending_workers SET heartbeat_at_ms = heartbeat_at_ms - ? WHERE id = ?",
        [by.num_milliseconds().into(), worker.into()],
    );
    database.pools().writer.execute_raw(update.build()).await?;
    Ok(())
}

/// Makes the ledger's send `send` a message of the subsequence `subsequence`, as a claim of a
/// subsequence's enrolment writes it (for tests of what is counted per subsequence).
pub async fn send_of_subsequence(
    database: &Database,
    send: &str,
    subsequence: &str,
) -> anyhow::Result<()> {
    let update = crate::database::sql::Sql::of(
        sea_orm::DbBackend::from(database.pools().backend),
        "UPDATE sends SET subsequence_id = ? WHERE id = ?",
        [subsequence.into(), send.into()],
    );
    database.pools().writer.execute_raw(update.build()).await?;
    Ok(())
}

/// Writes an event row of `kind` (a reply's, a DSN bounce's…) for the ledger's send `send`, as the
/// repositories write every event (one writer), its campaign, enrolment, step, variant and message
/// copied from the send; `data` is its JSON text.
pub async fn record_send_event(
    database: &Database,
    send: domain::id::ObjectId,
    kind: &'static str,
    lead: Option<&str>,
    at: chrono::DateTime<chrono::Utc>,
    data: Option<&str>,
) -> anyhow::Result<()> {
    let written = crate::repositories::enrolments::record_send_event(
        database.pools(),
        send,
        kind,
        lead,
        crate::time::to_millis(at),
        data.map(str::to_owned),
    )
    .await?;
    anyhow::ensure!(written, "no send {send} in the ledger");
    Ok(())
}

/// A real SMTP server for the SMTP adapter's tests.
pub mod smtp;

/// One row of the sending engine's ledger, as a test reads it back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerRow {
    pub campaign: String,
    pub enrolment: String,
    pub step: i64,
    pub mailbox: String,
    pub state: String,
    pub claimed_at_ms: i64,
    /// The `Message-ID` the claim gave the email, without its angle brackets.
    pub message_id: String,
    /// The sending process that claimed it.
    pub worker: String,
}

/// Every row of the `sends` ledger, in claim order: what tests of the limits and of at most once
/// check, rather than what the engine believes it claimed.
pub async fn ledger_rows(database: &Database) -> anyhow::Result<Vec<LedgerRow>> {
    let backend = sea_orm::DbBackend::from(database.pools().backend);
    let rows = database
        .pools()
        .writer
        .query_all_raw(sea_orm::Statement::from_string(
            backend,
            "SELECT campaign_id, enrolment_id, step, mailbox_id, state, claimed_at_ms, message_id, \
             worker FROM sends ORDER BY claimed_at_ms, id",
        ))
        .await?;
    rows.iter()
        .map(|row| {
            Ok(LedgerRow {
                campaign: row.try_get_by_index(0)?,
                enrolment: row.try_get_by_index(1)?,
                step: row.try_get_by_index(2)?,
                mailbox: row.try_get_by_index(3)?,
                state: row.try_get_by_index(4)?,
                claimed_at_ms: row.try_get_by_index(5)?,
                message_id: row.try_get_by_index(6)?,
                worker: row.try_get_by_index(7)?,
            })
        })
        .collect()
}

/// One row of `events`, as a test reads it back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRow {
    pub workspace: String,
    pub kind: String,
    pub campaign: String,
    pub enrolment: Option<String>,
    pub lead: Option<String>,
    pub message_id: Option<String>,
    pub at_ms: i64,
    pub data: Option<String>,
}

/// Every row of `events`, oldest id first.
pub async fn event_rows(database: &Database) -> anyhow::Result<Vec<EventRow>> {
    let backend = sea_orm::DbBackend::from(database.pools().backend);
    let rows = database
        .pools()
        .writer
        .query_all_raw(sea_orm::Statement::from_string(
            backend,
            "SELECT workspace_id, type, campaign_id, enrolment_id, lead_id, message_id, at_ms, data \
             FROM events ORDER BY id",
        ))
        .await?;
    rows.iter()
        .map(|row| {
            Ok(EventRow {
                workspace: row.try_get_by_index(0)?,
                kind: row.try_get_by_index(1)?,
                campaign: row.try_get_by_index(2)?,
                enrolment: row.try_get_by_index(3)?,
                lead: row.try_get_by_index(4)?,
                message_id: row.try_get_by_index(5)?,
                at_ms: row.try_get_by_index(6)?,
                data: row.try_get_by_index(7)?,
            })
        })
        .collect()
}

/// A real IMAP server (dovecot) for the IMAP adapter's tests.
pub mod imap;

/// A real DNS server (dnsmasq) for the MX lookup's tests.
pub mod dns;

/// Waits until `child`, the test server `server`, accepts TCP connections on each of `ports` of
/// 127.0.0.1; fails with `logs()` if it exits first or is not listening `within`.
fn wait_until_listening(
    child: &mut std::process::Child,
    ports: &[u16],
    server: &str,
    within: std::time::Duration,
    logs: impl Fn() -> String,
) -> anyhow::Result<()> {
    let deadline = std::time::Instant::now() + within;
    loop {
        if let Some(status) = child.try_wait()? {
            anyhow::bail!("{server} exited ({status}) on start:\n{}", logs());
        }
        let listening = ports
            .iter()
            .all(|port| std::net::TcpStream::connect(("127.0.0.1", *port)).is_ok());
        if listening {
            return Ok(());
        }
        if std::time::Instant::now() > deadline {
            anyhow::bail!("{server} did not listen within {within:?}:\n{}", logs());
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// A TCP port on 127.0.0.1 free a moment ago (another process may take it before the caller binds).
fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

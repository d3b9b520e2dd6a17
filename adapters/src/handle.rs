//! [`Database`], the crate's entry point: connects the database layer, migrates, and hands out the
//! repositories as `Arc<dyn Port>` — the ones that own batchers built once per connection.

use std::sync::Arc;

use anyhow::Context as _;
use application::ports::CredentialCipher;
use application::ports::{
    AgentRepository, AnalyticsRepository, CampaignRepository, DncRepository, EnrolmentRepository,
    IdempotencyKeys, IdentityRepository, InboxRepository, LeadRepository, MailboxRepository,
    RateLimitWindows, Readiness, SendLedger, TrackingRepository, WebhookOutbox, WebhookRepository,
};
use domain::credential::{Credential, SealedCredential};
use sea_orm::{ConnectionTrait, DbBackend, DbErr};
use sea_orm_migration::MigratorTrait;

use crate::database::connect::connect_pools;
use crate::database::pools::{Backend, Pools, finish};
use crate::database::sql::Sql;
use crate::migrations::Migrator;
use crate::repositories::{
    SqlAgentRepository, SqlAnalyticsRepository, SqlCampaignRepository, SqlDncRepository,
    SqlEnrolmentRepository, SqlIdempotencyKeys, SqlIdentityRepository, SqlInboxRepository,
    SqlLeadRepository, SqlMailboxRepository, SqlRateLimitWindows, SqlReadiness, SqlSendLedger,
    SqlTrackingRepository, SqlWebhookOutbox, SqlWebhookRepository,
};
use crate::secret_key::{KEY_CHECK_NAME, KEY_CHECK_TEXT, SECRET_KEY_VARIABLE};

/// The advisory lock key that serialises migrations on PostgreSQL ("sendline" in ASCII).
const MIGRATION_LOCK: i64 = 0x7365_6e64_6c69_6e65;

/// A connected database: SQLite (a file, or `sqlite::memory:`) or PostgreSQL. Cheap to clone; every
/// clone shares the same pools.
#[derive(Clone)]
pub struct Database {
    pools: Pools,
    /// Built once per connection: they own batchers (tasks serving every caller of the database).
    campaigns: Arc<SqlCampaignRepository>,
    mailboxes: Arc<SqlMailboxRepository>,
    /// A test database's removal, run (dropped) when the last clone is dropped.
    #[cfg(feature = "testing")]
    _cleanup: Option<Arc<dyn Send + Sync>>,
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Database")
            .field("backend", &self.pools.backend)
            .finish_non_exhaustive()
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

    /// [`Database::connect`], with `cleanup` dropped after the last clone is dropped (test databases
    /// remove themselves in its `Drop`).
    #[cfg(feature = "testing")]
    pub(crate) async fn connect_with_cleanup(
        url: &str,
        cleanup: impl Send + Sync + 'static,
    ) -> anyhow::Result<Database> {
        Ok(Database {
            _cleanup: Some(Arc::new(cleanup)),
            ..Database::connect(url).await?
        })
    }

    /// The pools, for test setup and teardown.
    #[cfg(feature = "testing")]
    pub(crate) fn pools(&self) -> &Pools {
        &self.pools
    }

    /// Checks that `cipher`'s key is the one this database's credentials are sealed under: the first
    /// server to start on the database seals a check value (`server_secrets`); every later start must
    /// open it. Run after [`Database::migrate`].
    pub async fn check_secret_key(&self, cipher: &dyn CredentialCipher) -> anyhow::Result<()> {
        let backend = DbBackend::from(self.pools.backend);
        let sealed = cipher.seal(&Credential::new(KEY_CHECK_TEXT));
        // Two servers starting at once: the first insert wins, and both then check the stored one.
        self.pools
            .writer
            .execute_raw(
                Sql::of(
                    backend,
                    "INSERT INTO server_secrets (name, sealed) VALUES (?, ?) \
                     ON CONFLICT (name) DO NOTHING",
                    [KEY_CHECK_NAME.into(), sealed.as_stored().into()],
                )
                .build(),
            )
            .await
            .context("recording the secret key check")?;
        let stored = self
            .pools
            .writer
            .query_one_raw(
                Sql::of(
                    backend,
                    "SELECT sealed FROM server_secrets WHERE name = ?",
                    [KEY_CHECK_NAME.into()],
                )
                .build(),
            )
            .await
            .context("reading the secret key check")?
            .context("the secret key check is missing")?
            .try_get_by_index::<String>(0)
            .context("reading the secret key check")?;
        match cipher.open(&SealedCredential::from_stored(stored)) {
            Ok(opened) if opened.expose() == KEY_CHECK_TEXT => Ok(()),
            _ => anyhow::bail!(
                "the secret key is not the one this database's credentials were sealed with: start \
                 with the same {SECRET_KEY_VARIABLE} (or key file) as before"
            ),
        }
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

    pub fn leads(&self) -> Arc<dyn LeadRepository> {
        Arc::new(SqlLeadRepository::new(self.pools.clone()))
    }

    pub fn agents(&self) -> Arc<dyn AgentRepository> {
        Arc::new(SqlAgentRepository::new(self.pools.clone()))
    }

    pub fn enrolments(&self) -> Arc<dyn EnrolmentRepository> {
        Arc::new(SqlEnrolmentRepository::new(self.pools.clone()))
    }

    /// The sending engine's ledger of claims.
    pub fn send_ledger(&self) -> Arc<dyn SendLedger> {
        Arc::new(SqlSendLedger::new(self.pools.clone()))
    }

    /// The INBOX reader's positions and the effects of replies, auto-replies and bounces.
    pub fn inbox(&self) -> Arc<dyn InboxRepository> {
        Arc::new(SqlInboxRepository::new(self.pools.clone()))
    }

    /// Tracking: the links of each send, and the opens, clicks and unsubscribes of the public routes.
    pub fn tracking(&self) -> Arc<dyn TrackingRepository> {
        Arc::new(SqlTrackingRepository::new(self.pools.clone()))
    }

    pub fn analytics(&self) -> Arc<dyn AnalyticsRepository> {
        Arc::new(SqlAnalyticsRepository::new(self.pools.clone()))
    }

    /// The workspace's webhook destinations.
    pub fn webhooks(&self) -> Arc<dyn WebhookRepository> {
        Arc::new(SqlWebhookRepository::new(self.pools.clone()))
    }

    /// The webhook outbox: due deliveries claimed, tries recorded.
    pub fn webhook_outbox(&self) -> Arc<dyn WebhookOutbox> {
        Arc::new(SqlWebhookOutbox::new(self.pools.clone()))
    }

    pub fn do_not_contact(&self) -> Arc<dyn DncRepository> {
        Arc::new(SqlDncRepository::new(self.pools.clone()))
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

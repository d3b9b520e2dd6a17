//! `Database::connect` and `Database::migrate`.

use adapters::testing::{TestBackend, backends};
use adapters::{Backend, Database};
use domain::id::CampaignId;

use crate::support::*;

#[tokio::test]
async fn migrating_again_applies_nothing_and_keeps_the_data() -> anyhow::Result<()> {
    on_every_backend(async |database| {
        let tenant = tenant(&database).await?;
        let campaign = campaign(tenant, &full_request(), vec![], None);
        database.campaigns().insert(&campaign).await?;
        database.migrate().await?;
        database.migrate().await?;
        assert_eq!(
            find_campaign(&database, tenant.workspace, campaign.id()).await?,
            Some(campaign)
        );
        Ok(())
    })
    .await
}

#[tokio::test]
async fn database_reports_its_backend() -> anyhow::Result<()> {
    let mut expected = backends().into_iter();
    on_every_backend(async |database| {
        let backend = match expected.next() {
            Some(TestBackend::Sqlite) => Backend::Sqlite,
            Some(TestBackend::Postgres) => Backend::Postgres,
            None => anyhow::bail!("more databases than backends"),
        };
        assert_eq!(database.backend(), backend);
        Ok(())
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_memory_sqlite_lives_on_its_one_connection() -> anyhow::Result<()> {
    init_logging();
    let database = Database::connect("sqlite::memory:").await?;
    database.migrate().await?;
    assert_eq!(database.backend(), Backend::Sqlite);
    let tenant = tenant(&database).await?;
    let id = store_mailbox(&database, mailbox(tenant, "a@acme.test", "gmail", &["x"])).await?;
    let campaign = campaign(tenant, &full_request(), vec![id], None);
    database.campaigns().insert(&campaign).await?;

    // Reads and writes from many tasks share the one connection (a second one would be another,
    // empty database).
    let mut tasks = tokio::task::JoinSet::new();
    for index in 0..16 {
        let campaigns = database.campaigns();
        let written = self::campaign(
            tenant,
            &minimal_request(&format!("Task {index}")),
            vec![id],
            None,
        );
        let first = campaign.id();
        tasks.spawn(async move {
            campaigns.insert(&written).await?;
            let found = campaigns.find(tenant.workspace, written.id()).await?;
            anyhow::ensure!(
                found.map(|found| found.campaign) == Some(written),
                "a write was not read back"
            );
            anyhow::ensure!(
                campaigns.find(tenant.workspace, first).await?.is_some(),
                "lost data"
            );
            Ok(())
        });
    }
    while let Some(task) = tasks.join_next().await {
        task??;
    }
    Ok(())
}

#[tokio::test]
async fn unsupported_url_is_refused_without_repeating_it() -> anyhow::Result<()> {
    let error = Database::connect("mysql://admin:hunter2@db.internal/sendline")
        .await
        .expect_err("MySQL is not supported");
    let message = format!("{error:#}");
    assert!(message.contains("unsupported database URL"), "{message}");
    assert!(!message.contains("hunter2"), "{message}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_commits_reach_the_database_file_without_waiting_for_the_writers_checkpoint()
-> anyhow::Result<()> {
    // Background checkpoints (wal_checkpoints.rs): soon after a group commit its pages are copied
    // from the -wal into the database file, long before the writer's own checkpoint at 1,000 pages.
    use sea_orm::sqlx::sqlite::SqliteConnectOptions;
    use sea_orm::sqlx::{Connection as _, SqliteConnection};

    init_logging();
    let path = std::env::temp_dir().join(format!(
        "sendline-checkpoint-{}-{}.db",
        std::process::id(),
        new_id::<CampaignId>()
    ));
    let database = Database::connect(&format!("sqlite://{}?mode=rwc", path.display())).await?;
    database.migrate().await?;
    let tenant = tenant(&database).await?;
    let written = campaign(tenant, &minimal_request("Checkpointed"), vec![], None);
    database.campaigns().insert(&written).await?;

    // `immutable` reads the file alone, ignoring the log: only what a checkpoint copied.
    let file_only = SqliteConnectOptions::new()
        .filename(&path)
        .immutable(true)
        .read_only(true);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let in_file = loop {
        let mut connection = SqliteConnection::connect_with(&file_only).await?;
        let found: i64 = sea_orm::sqlx::query_scalar("SELECT count(*) FROM campaigns WHERE id = ?")
            .bind(written.id().to_string())
            .fetch_one(&mut connection)
            .await
            .unwrap_or(0);
        connection.close().await?;
        if found == 1 || std::time::Instant::now() > deadline {
            break found == 1;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    };
    drop(database);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    assert!(in_file, "the commit never reached the database file");
    Ok(())
}

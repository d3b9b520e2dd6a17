//! SQLite: WAL checkpoints on a connection of their own, beside the writer rather than inside its
//! commits.
//!
//! In WAL mode a commit appends to the `-wal` file; a checkpoint copies those pages back into the
//! database file, and with `synchronous = NORMAL` it is the one place that waits for the disk (an
//! fsync of the log, then of the database). By default the writer checkpoints inside the commit that
//! takes the log past 1,000 pages, so every create queued behind it waits for both fsyncs: that was
//! the create benchmark's p99 (25-35 ms). Here a task asks for a PASSIVE checkpoint after each group
//! commit, on its own connection; a passive checkpoint never blocks the writer or the readers. The
//! writer keeps its own automatic checkpoint, which bounds the log (only a writer can restart it) and
//! now finds little left to copy. Requests for a checkpoint while one runs fold into one.

use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sea_orm::sqlx::{self, Connection as _};
use tokio::sync::mpsc;

#[derive(Clone)]
pub(super) struct WalCheckpoints {
    wanted: mpsc::Sender<()>,
}

impl WalCheckpoints {
    /// Opens the checkpointing connection and starts its task, which ends with the last clone.
    pub(super) async fn start(options: &SqliteConnectOptions) -> Result<Self, sqlx::Error> {
        let mut connection = SqliteConnection::connect_with(options).await?;
        // One waiting request is enough: it runs after the checkpoint in progress and covers every
        // commit before it.
        let (wanted, mut waiting) = mpsc::channel(1);
        tokio::spawn(async move {
            while waiting.recv().await.is_some() {
                if let Err(error) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                    .execute(&mut connection)
                    .await
                {
                    // The writer's own checkpoints still run: nothing is lost, the log is bounded.
                    tracing::warn!(%error, "a background WAL checkpoint failed");
                }
            }
            let _ = connection.close().await;
        });
        Ok(Self { wanted })
    }

    /// Asks for a checkpoint of what is committed so far.
    pub(super) fn after_commit(&self) {
        // Full means one is already asked for, and it will cover this commit too.
        let _ = self.wanted.try_send(());
    }
}

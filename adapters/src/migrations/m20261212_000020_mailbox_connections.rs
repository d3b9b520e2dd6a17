//! A mailbox's SMTP and IMAP connection settings and its last error (SENDING.md section 1). FROZEN:
//! add a new migration instead of editing this one.
//!
//! - `mailboxes`: `smtp_host`, `smtp_port`, `smtp_secure`, `smtp_username`, `smtp_password_sealed`,
//!   the same five for `imap_`, and `last_error`; all nullable (a mailbox without SMTP has a NULL
//!   `smtp_host`). Passwords are stored only sealed by the server's credential cipher (`xc1:…`).
//! - `enrolment_history (mailbox_id, sent_at_ms)`: the index that counts a mailbox's sends of the
//!   last 24 hours (`sentToday`).

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::ConnectionTrait;

#[derive(DeriveMigrationName)]
pub(super) struct Migration;

/// Each added column and its type: names both backends know (SQLite keeps booleans as 0 and 1).
const COLUMNS: [(&str, &str); 11] = [
    ("smtp_host", "TEXT"),
    ("smtp_port", "INTEGER"),
    ("smtp_secure", "BOOLEAN"),
    ("smtp_username", "TEXT"),
    ("smtp_password_sealed", "TEXT"),
    ("imap_host", "TEXT"),
    ("imap_port", "INTEGER"),
    ("imap_secure", "BOOLEAN"),
    ("imap_username", "TEXT"),
    ("imap_password_sealed", "TEXT"),
    ("last_error", "TEXT"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let connection = manager.get_connection();
        for (column, kind) in COLUMNS {
            connection
                .execute_unprepared(&format!("ALTER TABLE mailboxes ADD COLUMN {column} {kind}"))
                .await?;
        }
        connection
            .execute_unprepared(
                "CREATE INDEX enrolment_history_mailbox_sent \
                 ON enrolment_history (mailbox_id, sent_at_ms)",
            )
            .await?;
        Ok(())
    }
}

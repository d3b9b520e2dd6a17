//! Replies, auto-replies and bounces read from the mailboxes' INBOXes (SENDING.md section 5). FROZEN:
//! add a new migration instead of editing this one.
//!
//! - `inbox_positions`: how far each mailbox's INBOX was read, its `UIDVALIDITY` and the highest UID
//!   applied. The reader writes it in the transaction that applies the messages, as a
//!   compare-and-set on the position it read from, so each message is applied once across restarts
//!   and processes. No foreign key: a mailbox deleted and its position left behind is harmless, and
//!   a mailbox id is never reused.
//! - `sends.replied_at_ms`, `sends.bounced_at_ms`: the message's first reply and its DSN bounce, so
//!   "the first per message" of the stats is one conditional `UPDATE` of the send's row (as
//!   `opened_at_ms` is for opens).
//!
//! Written as SQL per backend. Runs in a transaction on both backends.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub(super) struct Migration;

fn statements(id: &str) -> Vec<String> {
    vec![
        format!(
            "CREATE TABLE inbox_positions (
                mailbox_id {id} PRIMARY KEY,
                workspace_id {id} NOT NULL,
                uid_validity BIGINT NOT NULL,
                last_uid BIGINT NOT NULL,
                updated_at_ms BIGINT NOT NULL
            )"
        ),
        "ALTER TABLE sends ADD COLUMN replied_at_ms BIGINT".to_owned(),
        "ALTER TABLE sends ADD COLUMN bounced_at_ms BIGINT".to_owned(),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let connection = manager.get_connection();
        let id = match manager.get_database_backend() {
            DbBackend::Postgres => "VARCHAR(24)",
            _ => "TEXT",
        };
        for statement in statements(id) {
            connection.execute_unprepared(&statement).await?;
        }
        Ok(())
    }
}

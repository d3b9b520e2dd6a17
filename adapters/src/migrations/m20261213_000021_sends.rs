//! The sending engine's ledger (SENDING.md sections 2 and 4). FROZEN: add a new migration instead of
//! editing this one.
//!
//! - `sends`: one row per (enrolment, step) the engine claimed, unique on that pair, so a second claim
//!   of the same email cannot be written: at most once holds in the schema, not only in the code.
//!   `state` is `claimed` (written before SMTP starts), then `sent`, `bounced` (a permanent refusal),
//!   `unknown` (a claim a crash or a lost reply left unfinished: never re-sent automatically), or
//!   `deferred` (a temporary failure: nothing was sent; the row is claimed again at the retry).
//!   `message_id` is the `Message-ID` the email carries (unique, for threading and for replies);
//!   `subject` the subject it went with (a blank follow-up subject is `Re: ` + the previous one).
//!   `worker` names the process that claimed it, to tell its unfinished claims after a crash.
//! - `sending_workers`: each sending process's latest heartbeat (wall-clock time). A claim of a
//!   worker whose heartbeat stopped is one that process will never finish: it is marked `unknown`.
//! - The limits read it inside the claim transaction: a mailbox's claims in the last 24 hours
//!   (`sends_mailbox_time`), a campaign's on its local date and from each mailbox (`sends_campaign_
//!   mailbox_time`); a deferred row counts for none of them (nothing went out).
//! - Tenancy is in the schema: `(workspace_id, campaign_id)` references the campaign (and cascades
//!   with it); `enrolment_id` references the enrolment (an enrolment is deleted only when it sent
//!   nothing). `mailbox_id` has no foreign key: a deleted mailbox must not take history with it.
//!
//! Written as SQL per backend. Runs in a transaction on both backends.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub(super) struct Migration;

fn statements(id: &str) -> Vec<String> {
    vec![
        format!(
            "CREATE TABLE sends (
                id {id} PRIMARY KEY,
                workspace_id {id} NOT NULL,
                campaign_id {id} NOT NULL,
                subsequence_id {id},
                enrolment_id {id} NOT NULL REFERENCES enrolments (id) ON DELETE CASCADE,
                step BIGINT NOT NULL,
                variant TEXT,
                mailbox_id {id} NOT NULL,
                message_id TEXT NOT NULL,
                subject TEXT,
                state TEXT NOT NULL,
                worker TEXT NOT NULL,
                attempts BIGINT NOT NULL DEFAULT 1,
                claimed_at_ms BIGINT NOT NULL,
                finished_at_ms BIGINT,
                smtp_reply TEXT,
                FOREIGN KEY (workspace_id, campaign_id) REFERENCES campaigns (workspace_id, id)
                    ON DELETE CASCADE
            )"
        ),
        "CREATE UNIQUE INDEX sends_enrolment_step ON sends (enrolment_id, step)".to_owned(),
        "CREATE UNIQUE INDEX sends_message_id ON sends (message_id)".to_owned(),
        "CREATE INDEX sends_mailbox_time ON sends (mailbox_id, claimed_at_ms)".to_owned(),
        "CREATE INDEX sends_campaign_mailbox_time ON sends (campaign_id, mailbox_id, claimed_at_ms)"
            .to_owned(),
        "CREATE INDEX sends_campaign_time ON sends (campaign_id, claimed_at_ms)".to_owned(),
        "CREATE INDEX sends_state ON sends (state, worker)".to_owned(),
        "CREATE TABLE sending_workers (id TEXT PRIMARY KEY, heartbeat_at_ms BIGINT NOT NULL)"
            .to_owned(),
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

//! Enrolments (LEADS.md section 4): the campaign leads, their sending history, and exact per-status
//! lead counts on the campaign. FROZEN: add a new migration instead of editing this one.
//!
//! - `enrolments`: one row per lead in a campaign's main sequence (`subsequence_id` NULL; unique per
//!   (campaign, lead)) and one per lead in a subsequence (unique per (campaign, subsequence, lead)).
//!   It carries what the sending engine needs: `status`, `stop_reason`, `current_step`,
//!   `next_send_at_ms`, `mailbox_id`, `emails_sent`, `last_sent_at_ms`, `ai_tag`, `last_variant`,
//!   `version`. Tenancy is in the schema: `(workspace_id, campaign_id)` references the campaign (and
//!   cascades with it), `(workspace_id, lead_id)` the lead. `lead_id` is NULL only once its lead was
//!   deleted (the enrolment had sent, so it is kept as `removed`; the repository clears the link in the
//!   same transaction that deletes the lead). `subsequence_id` and `mailbox_id` have no foreign key:
//!   a campaign update writes its subsequence rows again, and a deleted mailbox must not take history
//!   with it.
//! - Indexes: the listing by (campaign, status, id) and by (campaign, id); the leads of a campaign (the
//!   unique (campaign, lead) index of main enrolments); the enrolments of a lead; the dispatcher's claim
//!   by (status, next_send_at_ms).
//! - `enrolment_history`: one row per sent step, written by the engine.
//! - `campaigns`: `lead_total` is dropped (the total is the sum of the statuses); `lead_active` stays
//!   (same meaning) and the seven other statuses get a counter each, default 0. No enrolment existed
//!   before this migration, so every counter starts exact at 0.
//!
//! Written as SQL per backend (partial unique indexes). Runs in a transaction on both backends.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub(super) struct Migration;

/// The counters added to `campaigns`, one per enrolment status but `active`.
const NEW_COUNTERS: [&str; 7] = [
    "lead_pending",
    "lead_paused",
    "lead_completed",
    "lead_bounced",
    "lead_unsubscribed",
    "lead_replied",
    "lead_removed",
];

fn tables(id: &str) -> Vec<String> {
    vec![
        format!(
            "CREATE TABLE enrolments (
                id {id} PRIMARY KEY,
                workspace_id {id} NOT NULL,
                campaign_id {id} NOT NULL,
                lead_id {id},
                subsequence_id {id},
                status TEXT NOT NULL,
                stop_reason TEXT,
                current_step BIGINT NOT NULL DEFAULT 0,
                next_send_at_ms BIGINT,
                mailbox_id {id},
                emails_sent BIGINT NOT NULL DEFAULT 0,
                last_sent_at_ms BIGINT,
                ai_tag TEXT,
                last_variant TEXT,
                created_at_ms BIGINT NOT NULL,
                updated_at_ms BIGINT NOT NULL,
                version BIGINT NOT NULL DEFAULT 0,
                FOREIGN KEY (workspace_id, campaign_id) REFERENCES campaigns (workspace_id, id)
                    ON DELETE CASCADE,
                FOREIGN KEY (workspace_id, lead_id) REFERENCES leads (workspace_id, id)
            )"
        ),
        "CREATE UNIQUE INDEX enrolments_campaign_lead ON enrolments (campaign_id, lead_id) \
         WHERE subsequence_id IS NULL"
            .to_owned(),
        "CREATE UNIQUE INDEX enrolments_campaign_subsequence_lead \
         ON enrolments (campaign_id, subsequence_id, lead_id) WHERE subsequence_id IS NOT NULL"
            .to_owned(),
        "CREATE INDEX enrolments_campaign_status ON enrolments (campaign_id, status, id)"
            .to_owned(),
        "CREATE INDEX enrolments_campaign_id ON enrolments (campaign_id, id)".to_owned(),
        "CREATE INDEX enrolments_lead ON enrolments (workspace_id, lead_id)".to_owned(),
        "CREATE INDEX enrolments_due ON enrolments (status, next_send_at_ms)".to_owned(),
        format!(
            "CREATE TABLE enrolment_history (
                enrolment_id {id} NOT NULL REFERENCES enrolments (id) ON DELETE CASCADE,
                step BIGINT NOT NULL,
                variant TEXT,
                mailbox_id {id},
                message_id TEXT,
                sent_at_ms BIGINT NOT NULL,
                opened_at_ms BIGINT,
                clicked_at_ms BIGINT,
                replied_at_ms BIGINT,
                bounced_at_ms BIGINT,
                PRIMARY KEY (enrolment_id, step)
            )"
        ),
        "ALTER TABLE campaigns DROP COLUMN lead_total".to_owned(),
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
        for statement in tables(id) {
            connection.execute_unprepared(&statement).await?;
        }
        // One column per statement: SQLite's ALTER TABLE adds one at a time.
        for counter in NEW_COUNTERS {
            connection
                .execute_unprepared(&format!(
                    "ALTER TABLE campaigns ADD COLUMN {counter} BIGINT NOT NULL DEFAULT 0"
                ))
                .await?;
        }
        Ok(())
    }
}

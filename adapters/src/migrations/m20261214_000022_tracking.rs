//! Tracking and unsubscribe (SENDING.md sections 3 and 6). FROZEN: add a new migration instead of
//! editing this one.
//!
//! - `send_links`: the original URL of each rewritten link of a send, by its position in the body.
//!   A click redirects only to a URL read here. Cascades with its send.
//! - `events`: one row per send, open, click, reply, bounce, unsubscribe… of a campaign (section 6),
//!   kept every time (stats count the first per message; the rows count them all). `type` is the
//!   wire name (`email.opened`), `data` JSON text (`{"url": …}` for a click). Read newest first per
//!   campaign (`events_campaign`, `events_campaign_type` for the `type` filter). Tenancy in the schema:
//!   `(workspace_id, campaign_id)` references the campaign and cascades with it; the enrolment, lead
//!   and mailbox ids have no foreign key (history outlives them).
//! - `sends.opened_at_ms`, `sends.clicked_at_ms`: the message's first open and click, so "the first
//!   per message" is one conditional `UPDATE` of the send's row, even before the send is finished.
//!
//! Written as SQL per backend. Runs in a transaction on both backends.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub(super) struct Migration;

fn statements(id: &str) -> Vec<String> {
    vec![
        format!(
            "CREATE TABLE send_links (
                send_id {id} NOT NULL REFERENCES sends (id) ON DELETE CASCADE,
                position BIGINT NOT NULL,
                url TEXT NOT NULL,
                PRIMARY KEY (send_id, position)
            )"
        ),
        format!(
            "CREATE TABLE events (
                id {id} PRIMARY KEY,
                workspace_id {id} NOT NULL,
                type TEXT NOT NULL,
                campaign_id {id} NOT NULL,
                enrolment_id {id},
                lead_id {id},
                mailbox_id {id},
                step BIGINT,
                variant TEXT,
                subsequence_id {id},
                message_id TEXT,
                at_ms BIGINT NOT NULL,
                data TEXT,
                FOREIGN KEY (workspace_id, campaign_id) REFERENCES campaigns (workspace_id, id)
                    ON DELETE CASCADE
            )"
        ),
        "CREATE INDEX events_campaign ON events (campaign_id, id)".to_owned(),
        "CREATE INDEX events_campaign_type ON events (campaign_id, type, id)".to_owned(),
        "ALTER TABLE sends ADD COLUMN opened_at_ms BIGINT".to_owned(),
        "ALTER TABLE sends ADD COLUMN clicked_at_ms BIGINT".to_owned(),
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

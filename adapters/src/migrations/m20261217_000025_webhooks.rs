//! Workspace webhooks and the webhook outbox (SENDING.md section 7). FROZEN: add a new migration
//! instead of editing this one.
//!
//! - `webhooks`: a workspace's webhook destinations; the signing secret sealed like mailbox
//!   passwords (`secret_sealed`). Tenancy in the schema: `(workspace_id, id)` is unique.
//! - `webhook_subscriptions`: one row per (webhook, event type), so that the outbox finds the
//!   destinations of a batch of events with a join (`webhook_subscriptions_type`).
//! - `webhook_deliveries`: the outbox. One row per (event, destination), written in the event's
//!   transaction: `id` is the event's id and `.` and the webhook's id (or `campaign` for the
//!   campaign's `settings.webhook`). `body` is the payload, built at the first try and kept, so
//!   every try sends the same bytes. `next_try_at_ms` is set while a try is due (NULL once it
//!   was delivered or gave up); `lease_until_ms` is the claim of the process trying it.
//!   Cascades with its event (and with its webhook).
//! - `webhook_tries`: every try of a delivery: its number, when, the HTTP status or the error,
//!   how long it took.
//!
//! Written as SQL per backend. Runs in a transaction on both backends.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub(super) struct Migration;

fn statements(id: &str) -> Vec<String> {
    vec![
        format!(
            "CREATE TABLE webhooks (
                id {id} PRIMARY KEY,
                workspace_id {id} NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
                name TEXT NOT NULL,
                url TEXT NOT NULL,
                events TEXT NOT NULL,
                secret_sealed TEXT NOT NULL,
                retry_attempts BIGINT NOT NULL,
                timeout_ms BIGINT NOT NULL,
                created_at_ms BIGINT NOT NULL,
                updated_at_ms BIGINT NOT NULL,
                UNIQUE (workspace_id, id)
            )"
        ),
        format!(
            "CREATE TABLE webhook_subscriptions (
                webhook_id {id} NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
                event_type TEXT NOT NULL,
                workspace_id {id} NOT NULL,
                PRIMARY KEY (webhook_id, event_type)
            )"
        ),
        "CREATE INDEX webhook_subscriptions_type \
         ON webhook_subscriptions (workspace_id, event_type)"
            .to_owned(),
        format!(
            "CREATE TABLE webhook_deliveries (
                id TEXT PRIMARY KEY,
                workspace_id {id} NOT NULL,
                event_id {id} NOT NULL REFERENCES events (id) ON DELETE CASCADE,
                webhook_id {id} REFERENCES webhooks (id) ON DELETE CASCADE,
                campaign_id {id} NOT NULL,
                event_type TEXT NOT NULL,
                state TEXT NOT NULL,
                tries BIGINT NOT NULL DEFAULT 0,
                next_try_at_ms BIGINT,
                lease_until_ms BIGINT,
                body TEXT,
                created_at_ms BIGINT NOT NULL
            )"
        ),
        "CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_try_at_ms)".to_owned(),
        "CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries (webhook_id, id)".to_owned(),
        "CREATE INDEX webhook_deliveries_event ON webhook_deliveries (event_id)".to_owned(),
        "CREATE TABLE webhook_tries (
                delivery_id TEXT NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
                number BIGINT NOT NULL,
                at_ms BIGINT NOT NULL,
                status_code BIGINT,
                duration_ms BIGINT NOT NULL,
                error TEXT,
                PRIMARY KEY (delivery_id, number)
            )"
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

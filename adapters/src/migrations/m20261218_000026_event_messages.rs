//! The analytics' reads of `events` by message (SENDING.md section 6). FROZEN: add a new migration
//! instead of editing this one.
//!
//! Every analytics count is of first events per message: the reads group a campaign's (or a
//! workspace's) events by message and take the first instant of each kind. Without an index in that
//! order both backends sorted all the campaign's events first. `events_messages (workspace_id,
//! campaign_id, message_id, type, at_ms)` is walked in message order for a campaign (and for a
//! workspace, by campaign then message), and holds every column the workspace's read needs.
//!
//! Runs in a transaction on both backends.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::ConnectionTrait;

#[derive(DeriveMigrationName)]
pub(super) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE INDEX events_messages \
                 ON events (workspace_id, campaign_id, message_id, type, at_ms)",
            )
            .await?;
        Ok(())
    }
}

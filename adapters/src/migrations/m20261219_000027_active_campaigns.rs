//! The sending engine's list of active campaigns, read once a round (every second while idle).
//! FROZEN: add a new migration instead of editing this one.
//!
//! Without an index the read walked every campaign row, content and all: ~170 ms of a reader (and of
//! a core) a second on SQLite with 10,000 campaigns, whatever their status. `campaigns_active` holds
//! only the active campaigns, in id order, with both columns the read returns; a draft's insert
//! adds nothing to it. The read names the status as a literal so that both planners can use a
//! partial index (a bound parameter hides it from them).
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
                "CREATE INDEX campaigns_active ON campaigns (id, workspace_id) \
                 WHERE status = 'active'",
            )
            .await?;
        Ok(())
    }
}

//! The claim's due enrolments read from an index (SENDING.md section 9). FROZEN: add a new
//! migration instead of editing this one.
//!
//! A claim reads a campaign's `active` enrolments due now, most overdue first: those never planned
//! (`next_send_at_ms IS NULL`) by id, then the planned ones by (due time, id). Without an index in
//! that order, PostgreSQL sorted every enrolment of the campaign on each claim (100,000: 120 ms,
//! spilled to disk, under the campaign's lock); with `enrolments_campaign_due` each part is a walk
//! of the index that stops at the claim's size.
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
                "CREATE INDEX enrolments_campaign_due \
                 ON enrolments (campaign_id, status, next_send_at_ms, id)",
            )
            .await?;
        Ok(())
    }
}

//! Secrets of the server itself, by name (SENDING.md section 1). FROZEN: add a new migration instead
//! of editing this one.
//!
//! - `server_secrets (name, sealed)`: today one row, `secret_key_check`, a fixed text sealed under the
//!   server's secret key by the first server that started on the database. Every later start opens
//!   it: a server given another key stops with a clear error instead of sealing new passwords under
//!   a key that cannot open the old ones.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub(super) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let name = match manager.get_database_backend() {
            DbBackend::Postgres => "VARCHAR(64)",
            _ => "TEXT",
        };
        manager
            .get_connection()
            .execute_unprepared(&format!(
                "CREATE TABLE server_secrets (name {name} PRIMARY KEY, sealed TEXT NOT NULL)"
            ))
            .await?;
        Ok(())
    }
}

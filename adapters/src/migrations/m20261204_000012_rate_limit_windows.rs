//! Rate-limit windows. FROZEN: add a new migration instead of editing this one.
//!
//! One row per (bucket, window): how many requests every instance admitted for that client in that
//! window. Instances add their counts every ~100 ms and delete windows long ended.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub(super) struct Migration;

#[derive(DeriveIden)]
enum RateLimitWindows {
    Table,
    Bucket,
    WindowStartMs,
    Requests,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut table = Table::create();
        table
            .table(RateLimitWindows::Table)
            .col(ColumnDef::new(RateLimitWindows::Bucket).text().not_null())
            .col(
                ColumnDef::new(RateLimitWindows::WindowStartMs)
                    .big_integer()
                    .not_null(),
            )
            .col(
                ColumnDef::new(RateLimitWindows::Requests)
                    .big_integer()
                    .not_null(),
            )
            .primary_key(
                Index::create()
                    .col(RateLimitWindows::Bucket)
                    .col(RateLimitWindows::WindowStartMs),
            );
        if manager.get_database_backend() == DbBackend::Sqlite {
            table.extra("WITHOUT ROWID");
        }
        manager.create_table(table).await?;
        manager
            .create_index(
                Index::create()
                    .name("rate_limit_windows_start")
                    .table(RateLimitWindows::Table)
                    .col(RateLimitWindows::WindowStartMs)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(RateLimitWindows::Table).to_owned())
            .await
    }
}

//! The do-not-contact list (LEADS.md section 3). FROZEN: add a new migration instead of editing this
//! one.
//!
//! One row per entry: the lowercased address or domain in `value`, its `entry_type` (`email` or
//! `domain`). The unique index (workspace_id, entry_type, value) is both the rule "an entry exists
//! once" and what the sending engine's lookup reads: exact keys, never a scan. (workspace_id, id) is
//! the newest-first list order.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub(super) struct Migration;

#[derive(DeriveIden)]
enum Workspaces {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum DoNotContact {
    Table,
    Id,
    WorkspaceId,
    Value,
    EntryType,
    Reason,
    UnsubscribedAtMs,
    CreatedAtMs,
    UpdatedAtMs,
}

fn id(name: impl IntoIden) -> ColumnDef {
    ColumnDef::new(name).string_len(24).not_null().to_owned()
}

fn millis(name: impl IntoIden) -> ColumnDef {
    ColumnDef::new(name).big_integer().not_null().to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(DoNotContact::Table)
                    .col(id(DoNotContact::Id).primary_key())
                    .col(id(DoNotContact::WorkspaceId))
                    .col(ColumnDef::new(DoNotContact::Value).text().not_null())
                    .col(
                        ColumnDef::new(DoNotContact::EntryType)
                            .string_len(16)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(DoNotContact::Reason)
                            .string_len(32)
                            .not_null(),
                    )
                    .col(millis(DoNotContact::UnsubscribedAtMs))
                    .col(millis(DoNotContact::CreatedAtMs))
                    .col(millis(DoNotContact::UpdatedAtMs))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_do_not_contact_workspace")
                            .from(DoNotContact::Table, DoNotContact::WorkspaceId)
                            .to(Workspaces::Table, Workspaces::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("do_not_contact_workspace_type_value")
                    .table(DoNotContact::Table)
                    .col(DoNotContact::WorkspaceId)
                    .col(DoNotContact::EntryType)
                    .col(DoNotContact::Value)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("do_not_contact_workspace_id")
                    .table(DoNotContact::Table)
                    .col(DoNotContact::WorkspaceId)
                    .col(DoNotContact::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(DoNotContact::Table).to_owned())
            .await
    }
}

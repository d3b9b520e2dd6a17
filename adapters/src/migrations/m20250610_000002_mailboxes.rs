//! Sending mailboxes and their tag index. FROZEN: add a new migration instead of editing this one.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub(super) struct Migration;

#[derive(DeriveIden)]
enum Workspaces {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Mailboxes {
    Table,
    Id,
    WorkspaceId,
    Email,
    EmailLower,
    Provider,
    DisplayName,
    Tags,
    DailySendLimit,
    SendingEnabled,
    Signature,
    Status,
    CreatedAtMs,
    UpdatedAtMs,
}

#[derive(DeriveIden)]
enum MailboxTags {
    Table,
    WorkspaceId,
    TagLower,
    MailboxId,
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
                    .table(Mailboxes::Table)
                    .col(id(Mailboxes::Id).primary_key())
                    .col(id(Mailboxes::WorkspaceId))
                    .col(ColumnDef::new(Mailboxes::Email).text().not_null())
                    .col(ColumnDef::new(Mailboxes::EmailLower).text().not_null())
                    .col(
                        ColumnDef::new(Mailboxes::Provider)
                            .string_len(16)
                            .not_null(),
                    )
                    .col(ColumnDef::new(Mailboxes::DisplayName).text().null())
                    .col(ColumnDef::new(Mailboxes::Tags).json_binary().not_null())
                    .col(
                        ColumnDef::new(Mailboxes::DailySendLimit)
                            .integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Mailboxes::SendingEnabled)
                            .boolean()
                            .not_null(),
                    )
                    .col(ColumnDef::new(Mailboxes::Signature).text().null())
                    .col(ColumnDef::new(Mailboxes::Status).string_len(16).not_null())
                    .col(millis(Mailboxes::CreatedAtMs))
                    .col(millis(Mailboxes::UpdatedAtMs))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_mailboxes_workspace")
                            .from(Mailboxes::Table, Mailboxes::WorkspaceId)
                            .to(Workspaces::Table, Workspaces::Id),
                    )
                    .to_owned(),
            )
            .await?;
        // Unique so that (workspace_id, id) can be the target of foreign keys that pin a reference to
        // the referrer's own workspace; also the list order (newest first by id).
        manager
            .create_index(
                Index::create()
                    .name("mailboxes_workspace_id")
                    .table(Mailboxes::Table)
                    .col(Mailboxes::WorkspaceId)
                    .col(Mailboxes::Id)
                    .unique()
                    .to_owned(),
            )
            .await?;
        // An address is unique per workspace, case-insensitively.
        manager
            .create_index(
                Index::create()
                    .name("mailboxes_workspace_email_lower")
                    .table(Mailboxes::Table)
                    .col(Mailboxes::WorkspaceId)
                    .col(Mailboxes::EmailLower)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("mailboxes_workspace_provider")
                    .table(Mailboxes::Table)
                    .col(Mailboxes::WorkspaceId)
                    .col(Mailboxes::Provider)
                    .col(Mailboxes::Id)
                    .to_owned(),
            )
            .await?;

        // The primary key (workspace_id, tag_lower, mailbox_id) is the tag lookup; on SQLite the table
        // is WITHOUT ROWID (small rows that live in that key's b-tree).
        let mut tags = Table::create();
        tags.table(MailboxTags::Table)
            .col(id(MailboxTags::WorkspaceId))
            .col(ColumnDef::new(MailboxTags::TagLower).text().not_null())
            .col(id(MailboxTags::MailboxId))
            .primary_key(
                Index::create()
                    .col(MailboxTags::WorkspaceId)
                    .col(MailboxTags::TagLower)
                    .col(MailboxTags::MailboxId),
            )
            .foreign_key(
                ForeignKey::create()
                    .name("fk_mailbox_tags_mailbox")
                    .from_tbl(MailboxTags::Table)
                    .from_col(MailboxTags::WorkspaceId)
                    .from_col(MailboxTags::MailboxId)
                    .to_tbl(Mailboxes::Table)
                    .to_col(Mailboxes::WorkspaceId)
                    .to_col(Mailboxes::Id)
                    .on_delete(ForeignKeyAction::Cascade),
            );
        if manager.get_database_backend() == DbBackend::Sqlite {
            tags.extra("WITHOUT ROWID");
        }
        manager.create_table(tags).await?;
        // A mailbox's tags (replacing them, deleting the mailbox).
        manager
            .create_index(
                Index::create()
                    .name("mailbox_tags_mailbox")
                    .table(MailboxTags::Table)
                    .col(MailboxTags::MailboxId)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }
}

//! Campaigns, their subsequences and mailbox lists. FROZEN: add a new migration instead of editing this one.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub(super) struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

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
}

#[derive(DeriveIden)]
enum Campaigns {
    Table,
    Id,
    WorkspaceId,
    UserId,
    Name,
    Status,
    Content,
    StartedAtMs,
    CompletedAtMs,
    CreatedAtMs,
    UpdatedAtMs,
}

#[derive(DeriveIden)]
enum Subsequences {
    Table,
    Id,
    CampaignId,
    Position,
    Name,
    TriggerType,
    TriggerValue,
    Enabled,
    Archived,
    Sequence,
    AddedCount,
}

#[derive(DeriveIden)]
enum CampaignMailboxes {
    Table,
    CampaignId,
    Position,
    WorkspaceId,
    MailboxId,
}

/// The sending counters, one column each, shared by campaigns and subsequences (they are incremented
/// independently while sending).
#[derive(DeriveIden, Clone, Copy)]
enum Stats {
    Sent,
    Delivered,
    Opened,
    Clicked,
    Replied,
    Bounced,
    Unsubscribed,
}

const STATS: [Stats; 7] = [
    Stats::Sent,
    Stats::Delivered,
    Stats::Opened,
    Stats::Clicked,
    Stats::Replied,
    Stats::Bounced,
    Stats::Unsubscribed,
];

fn id(name: impl IntoIden) -> ColumnDef {
    ColumnDef::new(name).string_len(24).not_null().to_owned()
}

fn millis(name: impl IntoIden) -> ColumnDef {
    ColumnDef::new(name).big_integer().not_null().to_owned()
}

fn counter(name: impl IntoIden) -> ColumnDef {
    ColumnDef::new(name)
        .big_integer()
        .not_null()
        .default(0)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut campaigns = Table::create();
        campaigns
            .table(Campaigns::Table)
            .col(id(Campaigns::Id).primary_key())
            .col(id(Campaigns::WorkspaceId))
            .col(id(Campaigns::UserId))
            .col(ColumnDef::new(Campaigns::Name).text().not_null())
            .col(ColumnDef::new(Campaigns::Status).string_len(16).not_null())
            .col(ColumnDef::new(Campaigns::Content).json_binary().not_null());
        for stat in STATS {
            campaigns.col(counter(stat));
        }
        campaigns
            .col(ColumnDef::new(Campaigns::StartedAtMs).big_integer().null())
            .col(
                ColumnDef::new(Campaigns::CompletedAtMs)
                    .big_integer()
                    .null(),
            )
            .col(millis(Campaigns::CreatedAtMs))
            .col(millis(Campaigns::UpdatedAtMs))
            .foreign_key(
                ForeignKey::create()
                    .name("fk_campaigns_workspace")
                    .from(Campaigns::Table, Campaigns::WorkspaceId)
                    .to(Workspaces::Table, Workspaces::Id),
            )
            .foreign_key(
                ForeignKey::create()
                    .name("fk_campaigns_user")
                    .from(Campaigns::Table, Campaigns::UserId)
                    .to(Users::Table, Users::Id),
            );
        manager.create_table(campaigns).await?;
        // Lists, newest first: all of a workspace's campaigns, or those with one status. The first is
        // unique so that (workspace_id, id) can be the target of the mailbox links' foreign key.
        manager
            .create_index(
                Index::create()
                    .name("campaigns_workspace_newest")
                    .table(Campaigns::Table)
                    .col(Campaigns::WorkspaceId)
                    .col((Campaigns::Id, IndexOrder::Desc))
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("campaigns_workspace_status_newest")
                    .table(Campaigns::Table)
                    .col(Campaigns::WorkspaceId)
                    .col(Campaigns::Status)
                    .col((Campaigns::Id, IndexOrder::Desc))
                    .to_owned(),
            )
            .await?;

        let mut subsequences = Table::create();
        subsequences
            .table(Subsequences::Table)
            .col(id(Subsequences::Id).primary_key())
            .col(id(Subsequences::CampaignId))
            .col(ColumnDef::new(Subsequences::Position).integer().not_null())
            .col(ColumnDef::new(Subsequences::Name).text().not_null())
            .col(
                ColumnDef::new(Subsequences::TriggerType)
                    .string_len(16)
                    .not_null(),
            )
            .col(ColumnDef::new(Subsequences::TriggerValue).text().null())
            .col(ColumnDef::new(Subsequences::Enabled).boolean().not_null())
            .col(ColumnDef::new(Subsequences::Archived).boolean().not_null())
            .col(
                ColumnDef::new(Subsequences::Sequence)
                    .json_binary()
                    .not_null(),
            )
            .col(counter(Subsequences::AddedCount));
        for stat in STATS {
            subsequences.col(counter(stat));
        }
        subsequences.foreign_key(
            ForeignKey::create()
                .name("fk_subsequences_campaign")
                .from(Subsequences::Table, Subsequences::CampaignId)
                .to(Campaigns::Table, Campaigns::Id)
                .on_delete(ForeignKeyAction::Cascade),
        );
        manager.create_table(subsequences).await?;
        manager
            .create_index(
                Index::create()
                    .name("subsequences_campaign_position")
                    .table(Subsequences::Table)
                    .col(Subsequences::CampaignId)
                    .col(Subsequences::Position)
                    .unique()
                    .to_owned(),
            )
            .await?;

        // One row per entry of a campaign's mailbox list. Both foreign keys include the workspace, so a
        // link can only join a campaign and a mailbox of the same workspace, whatever the caller does.
        //
        // The primary key (workspace_id, campaign_id, position) is the only index, and on SQLite the
        // table is WITHOUT ROWID (the rows live in that key's b-tree): a campaign's links are adjacent,
        // so writing them touches a page or two. An index by mailbox would touch one page per link on
        // every create (a leaf per mailbox's range); without it, deleting a mailbox (rare) finds its
        // links by scanning its workspace's links through the key's workspace prefix.
        let mut links = Table::create();
        links
            .table(CampaignMailboxes::Table)
            .col(id(CampaignMailboxes::WorkspaceId))
            .col(id(CampaignMailboxes::CampaignId))
            .col(
                ColumnDef::new(CampaignMailboxes::Position)
                    .integer()
                    .not_null(),
            )
            .col(id(CampaignMailboxes::MailboxId))
            .primary_key(
                Index::create()
                    .col(CampaignMailboxes::WorkspaceId)
                    .col(CampaignMailboxes::CampaignId)
                    .col(CampaignMailboxes::Position),
            )
            .foreign_key(
                ForeignKey::create()
                    .name("fk_campaign_mailboxes_campaign")
                    .from_tbl(CampaignMailboxes::Table)
                    .from_col(CampaignMailboxes::WorkspaceId)
                    .from_col(CampaignMailboxes::CampaignId)
                    .to_tbl(Campaigns::Table)
                    .to_col(Campaigns::WorkspaceId)
                    .to_col(Campaigns::Id)
                    .on_delete(ForeignKeyAction::Cascade),
            )
            .foreign_key(
                ForeignKey::create()
                    .name("fk_campaign_mailboxes_mailbox")
                    .from_tbl(CampaignMailboxes::Table)
                    .from_col(CampaignMailboxes::WorkspaceId)
                    .from_col(CampaignMailboxes::MailboxId)
                    .to_tbl(Mailboxes::Table)
                    .to_col(Mailboxes::WorkspaceId)
                    .to_col(Mailboxes::Id)
                    .on_delete(ForeignKeyAction::Cascade),
            );
        if manager.get_database_backend() == DbBackend::Sqlite {
            links.extra("WITHOUT ROWID");
        }
        manager.create_table(links).await?;
        Ok(())
    }
}

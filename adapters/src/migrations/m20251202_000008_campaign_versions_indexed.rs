//! Campaign versions readable from an index. FROZEN: add a new migration instead of editing this one.
//!
//! Reads compare the version of each campaign they show with the rendering they keep (see the api's
//! `campaign_views`). `version` is the table's last column, behind the content JSON (often spilling
//! into an overflow page), so reading it from the row cost about as much as the rest of a cached read.
//! `campaigns_workspace_newest_named` (workspace_id, id, name_folded) becomes
//! `campaigns_workspace_newest_versioned` (workspace_id, id, name_folded, version): the version lookup
//! and a page of ids and versions (with or without a search) read the index alone, and creates
//! still maintain the same number of indexes.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub(super) struct Migration;

#[derive(DeriveIden)]
enum Campaigns {
    Table,
    WorkspaceId,
    Id,
    NameFolded,
    Version,
}

/// The index this migration adds; SQLite reads name it (`INDEXED BY`), see the campaign repository.
pub(crate) const VERSIONED_INDEX: &str = "campaigns_workspace_newest_versioned";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name(VERSIONED_INDEX)
                    .table(Campaigns::Table)
                    .col(Campaigns::WorkspaceId)
                    .col(Campaigns::Id)
                    .col(Campaigns::NameFolded)
                    .col(Campaigns::Version)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("campaigns_workspace_newest_named")
                    .table(Campaigns::Table)
                    .to_owned(),
            )
            .await
    }
}

//! Users, workspaces, memberships and API keys. FROZEN: add a new migration instead of editing this one.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub(super) struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    Email,
    EmailLower,
    CreatedAtMs,
}

#[derive(DeriveIden)]
enum Workspaces {
    Table,
    Id,
    Name,
    CreatedAtMs,
}

#[derive(DeriveIden)]
enum Memberships {
    Table,
    UserId,
    WorkspaceId,
    Role,
    CreatedAtMs,
}

#[derive(DeriveIden)]
enum ApiKeys {
    Table,
    Id,
    KeyHash,
    VisiblePrefix,
    Kind,
    UserId,
    WorkspaceId,
    CreatedAtMs,
    RevokedAtMs,
}

/// A 24-char lowercase hex id.
fn id(name: impl IntoIden) -> ColumnDef {
    ColumnDef::new(name).string_len(24).not_null().to_owned()
}

/// UTC milliseconds since the Unix epoch.
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
                    .table(Users::Table)
                    .col(id(Users::Id).primary_key())
                    .col(ColumnDef::new(Users::Email).text().not_null())
                    .col(ColumnDef::new(Users::EmailLower).text().not_null())
                    .col(millis(Users::CreatedAtMs))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("users_email_lower")
                    .table(Users::Table)
                    .col(Users::EmailLower)
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Workspaces::Table)
                    .col(id(Workspaces::Id).primary_key())
                    .col(ColumnDef::new(Workspaces::Name).text().not_null())
                    .col(millis(Workspaces::CreatedAtMs))
                    .to_owned(),
            )
            .await?;

        // Primary key (user_id, workspace_id) serves role_of and workspaces_of; the second index lists
        // members. On SQLite the table is WITHOUT ROWID (small rows that live in the key's b-tree).
        let mut memberships = Table::create();
        memberships
            .table(Memberships::Table)
            .col(id(Memberships::UserId))
            .col(id(Memberships::WorkspaceId))
            .col(ColumnDef::new(Memberships::Role).string_len(16).not_null())
            .col(millis(Memberships::CreatedAtMs))
            .primary_key(
                Index::create()
                    .col(Memberships::UserId)
                    .col(Memberships::WorkspaceId),
            )
            .foreign_key(
                ForeignKey::create()
                    .name("fk_memberships_user")
                    .from(Memberships::Table, Memberships::UserId)
                    .to(Users::Table, Users::Id),
            )
            .foreign_key(
                ForeignKey::create()
                    .name("fk_memberships_workspace")
                    .from(Memberships::Table, Memberships::WorkspaceId)
                    .to(Workspaces::Table, Workspaces::Id),
            );
        if manager.get_database_backend() == DbBackend::Sqlite {
            memberships.extra("WITHOUT ROWID");
        }
        manager.create_table(memberships).await?;
        manager
            .create_index(
                Index::create()
                    .name("memberships_workspace")
                    .table(Memberships::Table)
                    .col(Memberships::WorkspaceId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ApiKeys::Table)
                    .col(id(ApiKeys::Id).primary_key())
                    .col(ColumnDef::new(ApiKeys::KeyHash).string_len(64).not_null())
                    .col(ColumnDef::new(ApiKeys::VisiblePrefix).text().not_null())
                    .col(ColumnDef::new(ApiKeys::Kind).string_len(16).not_null())
                    .col(id(ApiKeys::UserId))
                    .col(ColumnDef::new(ApiKeys::WorkspaceId).string_len(24).null())
                    .col(millis(ApiKeys::CreatedAtMs))
                    .col(ColumnDef::new(ApiKeys::RevokedAtMs).big_integer().null())
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_api_keys_user")
                            .from(ApiKeys::Table, ApiKeys::UserId)
                            .to(Users::Table, Users::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_api_keys_workspace")
                            .from(ApiKeys::Table, ApiKeys::WorkspaceId)
                            .to(Workspaces::Table, Workspaces::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("api_keys_key_hash")
                    .table(ApiKeys::Table)
                    .col(ApiKeys::KeyHash)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("api_keys_user")
                    .table(ApiKeys::Table)
                    .col(ApiKeys::UserId)
                    .to_owned(),
            )
            .await?;
        // A workspace's keys (revoking its live one). The partial index below cannot serve that lookup
        // when the kind arrives as a bound parameter: the planner cannot prove it matches the predicate.
        manager
            .create_index(
                Index::create()
                    .name("api_keys_workspace")
                    .table(ApiKeys::Table)
                    .col(ApiKeys::WorkspaceId)
                    .to_owned(),
            )
            .await?;
        // At most one live (not revoked) workspace key per workspace: a partial unique index, which
        // SQLite and PostgreSQL both enforce atomically.
        manager
            .create_index(
                Index::create()
                    .name("api_keys_one_live_workspace_key")
                    .table(ApiKeys::Table)
                    .col(ApiKeys::WorkspaceId)
                    .unique()
                    .and_where(Expr::col(ApiKeys::Kind).eq("workspace"))
                    .and_where(Expr::col(ApiKeys::RevokedAtMs).is_null())
                    .to_owned(),
            )
            .await?;
        Ok(())
    }
}

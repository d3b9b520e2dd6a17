//! AI reply agents. FROZEN: add a new migration instead of editing this one.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub(super) struct Migration;

#[derive(DeriveIden)]
enum Workspaces {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Agents {
    Table,
    Id,
    WorkspaceId,
    Name,
    CompanyName,
    CompanyDescription,
    PersonaTone,
    PersonaRole,
    PersonaCommunicationStyle,
    PersonaCustomInstructions,
    IsDefault,
    CreatedAtMs,
}

fn id(name: impl IntoIden) -> ColumnDef {
    ColumnDef::new(name).string_len(24).not_null().to_owned()
}

fn optional_text(name: impl IntoIden) -> ColumnDef {
    ColumnDef::new(name).text().null().to_owned()
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
                    .table(Agents::Table)
                    .col(id(Agents::Id).primary_key())
                    .col(id(Agents::WorkspaceId))
                    .col(ColumnDef::new(Agents::Name).text().not_null())
                    .col(optional_text(Agents::CompanyName))
                    .col(optional_text(Agents::CompanyDescription))
                    .col(optional_text(Agents::PersonaTone))
                    .col(optional_text(Agents::PersonaRole))
                    .col(optional_text(Agents::PersonaCommunicationStyle))
                    .col(optional_text(Agents::PersonaCustomInstructions))
                    .col(ColumnDef::new(Agents::IsDefault).boolean().not_null())
                    .col(ColumnDef::new(Agents::CreatedAtMs).big_integer().not_null())
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_agents_workspace")
                            .from(Agents::Table, Agents::WorkspaceId)
                            .to(Workspaces::Table, Workspaces::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("agents_workspace_id")
                    .table(Agents::Table)
                    .col(Agents::WorkspaceId)
                    .col(Agents::Id)
                    .unique()
                    .to_owned(),
            )
            .await?;
        // At most one default agent per workspace.
        manager
            .create_index(
                Index::create()
                    .name("agents_one_default")
                    .table(Agents::Table)
                    .col(Agents::WorkspaceId)
                    .unique()
                    .and_where(Expr::col(Agents::IsDefault).eq(true))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }
}

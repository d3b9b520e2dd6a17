use sea_orm::entity::prelude::*;

/// One entry of a campaign's mailbox list.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "campaign_mailboxes")]
pub struct Model {
    /// The campaign's workspace: with `campaign_id`, and with `mailbox_id`, a foreign key that keeps
    /// both ends in that workspace.
    #[sea_orm(primary_key, auto_increment = false)]
    pub workspace_id: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub campaign_id: String,
    /// Index in the campaign's mailbox list (selection order).
    #[sea_orm(primary_key, auto_increment = false)]
    pub position: i32,
    pub mailbox_id: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

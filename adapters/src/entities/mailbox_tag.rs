use sea_orm::entity::prelude::*;

/// One (lowercased) tag of one mailbox: the index that tag selectors search.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "mailbox_tags")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub workspace_id: String,
    /// `str::to_lowercase` of the tag, the same folding the domain compares tags with.
    #[sea_orm(primary_key, auto_increment = false)]
    pub tag_lower: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub mailbox_id: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

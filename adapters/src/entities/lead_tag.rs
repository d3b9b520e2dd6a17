use sea_orm::entity::prelude::*;

/// One (case-folded) tag of one lead: the index the `tags` filter searches.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "lead_tags")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub workspace_id: String,
    /// `fold_tag` of the tag, the folding the domain compares tags with.
    #[sea_orm(primary_key, auto_increment = false)]
    pub tag_key: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub lead_id: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

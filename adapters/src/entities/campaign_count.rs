use sea_orm::entity::prelude::*;

/// How many campaigns of a workspace have a status, split over a few rows (shards): kept exact by the campaign repository's writes,
/// read as a list's `total`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "campaign_counts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub workspace_id: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub status: String,
    /// Which of the (workspace, status)'s rows: see the campaign repository's `count_shard`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub shard: i16,
    pub count: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

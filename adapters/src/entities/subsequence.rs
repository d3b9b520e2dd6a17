use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "subsequences")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub campaign_id: String,
    /// Index in the campaign's `subsequences` list.
    pub position: i32,
    pub name: String,
    /// `TriggerType::as_str`.
    pub trigger_type: String,
    /// The AI tag of an `ai_tag` trigger; `NULL` for `reply`.
    pub trigger_value: Option<String>,
    pub enabled: bool,
    pub archived: bool,
    /// The steps in request form: `Vec<crate::storage::StepDto>`.
    #[sea_orm(column_type = "JsonBinary")]
    pub sequence: Json,
    pub added_count: i64,
    pub sent: i64,
    pub delivered: i64,
    pub opened: i64,
    pub clicked: i64,
    pub replied: i64,
    pub bounced: i64,
    pub unsubscribed: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "agents")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub workspace_id: String,
    pub name: String,
    pub company_name: Option<String>,
    pub company_description: Option<String>,
    pub persona_tone: Option<String>,
    pub persona_role: Option<String>,
    pub persona_communication_style: Option<String>,
    pub persona_custom_instructions: Option<String>,
    /// At most one per workspace (a partial unique index): its first agent.
    pub is_default: bool,
    pub created_at_ms: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

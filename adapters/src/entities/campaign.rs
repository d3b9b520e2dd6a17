use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "campaigns")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub workspace_id: String,
    pub user_id: String,
    /// A column of its own (not inside `content`) so lists can search it.
    pub name: String,
    /// `domain::listing::fold_case(name)`: what case-insensitive searches compare, the same way on
    /// every backend.
    pub name_folded: String,
    /// `CampaignStatus::as_str`.
    pub status: String,
    /// Sequence, schedule and settings in request form, as JSON text: `crate::storage::CampaignContent`.
    /// Text rather than a JSON type: nothing in SQL looks inside it (migration 10).
    #[sea_orm(column_type = "Text")]
    pub content: String,
    pub sent: i64,
    pub delivered: i64,
    pub opened: i64,
    pub clicked: i64,
    pub replied: i64,
    pub bounced: i64,
    pub unsubscribed: i64,
    /// `enrolment::LeadCounts`, one counter per enrolment status (migration 17). Only enrolment
    /// writes change them (never a campaign write, which leaves them out of its statements).
    pub lead_pending: i64,
    pub lead_active: i64,
    pub lead_paused: i64,
    pub lead_completed: i64,
    pub lead_bounced: i64,
    pub lead_unsubscribed: i64,
    pub lead_replied: i64,
    pub lead_removed: i64,
    pub started_at_ms: Option<i64>,
    pub completed_at_ms: Option<i64>,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
    /// 0 when inserted, +1 on every update: what conditional writes compare.
    pub version: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

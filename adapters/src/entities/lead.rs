use sea_orm::entity::prelude::*;

/// A lead. On SQLite the table also has `seq` (its `INTEGER PRIMARY KEY`, the search index's key),
/// which nothing here reads or writes.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "leads")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub workspace_id: String,
    /// As given.
    pub email: String,
    /// `LeadFields::email_key`: unique per workspace.
    pub email_key: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub company_name: Option<String>,
    pub job_title: Option<String>,
    pub phone: Option<String>,
    pub linkedin_url: Option<String>,
    pub website: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub country: Option<String>,
    pub timezone: Option<String>,
    /// JSON text: the tags as given, in order (`lead_tags` indexes them folded).
    pub tags: String,
    /// JSON text: the custom fields in order (see `repositories::leads::rows`).
    pub custom_fields: String,
    /// The folded searched texts, one per line.
    pub search_folded: String,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

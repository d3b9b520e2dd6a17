use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "api_keys")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// SHA-256 of the key, 64 lowercase hex; the plaintext is never stored.
    pub key_hash: String,
    pub visible_prefix: String,
    /// `ApiKeyKind::as_str`: `platform` or `workspace`.
    pub kind: String,
    pub user_id: String,
    /// Set for a workspace key, `NULL` for a platform key.
    pub workspace_id: Option<String>,
    pub created_at_ms: i64,
    pub revoked_at_ms: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

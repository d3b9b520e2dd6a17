use sea_orm::entity::prelude::*;

/// One idempotency key of one scope: pending while `status_code` is null, else the answer to replay.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "idempotency_keys")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub scope: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub key: String,
    pub fingerprint: String,
    /// While pending: until when the claiming request holds the key; also what identifies its claim.
    pub lease_until_ms: i64,
    pub expires_at_ms: i64,
    pub status_code: Option<i32>,
    pub content_type: Option<String>,
    pub body: Option<Vec<u8>>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

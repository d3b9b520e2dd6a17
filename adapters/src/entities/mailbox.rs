use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "mailboxes")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub workspace_id: String,
    /// As given.
    pub email: String,
    /// `EmailAddress::normalized`: unique per workspace, what selectors compare.
    pub email_lower: String,
    /// `MailboxProvider::as_str`.
    pub provider: String,
    pub display_name: Option<String>,
    /// `domain::listing::fold_case` of the display name: what list searches compare.
    pub display_name_folded: Option<String>,
    /// The tags as given (a JSON array of strings, in order); `mailbox_tags` indexes them lowercased.
    #[sea_orm(column_type = "JsonBinary")]
    pub tags: Json,
    pub daily_send_limit: i32,
    pub sending_enabled: bool,
    pub signature: Option<String>,
    /// `MailboxStatus::as_str`.
    pub status: String,
    /// SMTP settings; a NULL host: no SMTP connection (and every other `smtp_` column NULL).
    pub smtp_host: Option<String>,
    pub smtp_port: Option<i32>,
    pub smtp_secure: Option<bool>,
    pub smtp_username: Option<String>,
    /// `SealedCredential::as_stored`: only ever sealed.
    pub smtp_password_sealed: Option<String>,
    pub imap_host: Option<String>,
    pub imap_port: Option<i32>,
    pub imap_secure: Option<bool>,
    pub imap_username: Option<String>,
    pub imap_password_sealed: Option<String>,
    pub last_error: Option<String>,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

use std::collections::BTreeSet;

use application::ports::{MailboxRepository, RepositoryError};
use async_trait::async_trait;
use domain::id::{MailboxId, WorkspaceId};
use domain::mailbox::{
    Mailbox, MailboxFields, MailboxProvider, MailboxSelection, MailboxStatus, MailboxSummary,
};
use domain::request::MailboxRequest;
use domain::values::EmailAddress;
use sea_orm::sea_query::extension::postgres::PgFunc;
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, EntityTrait, QueryFilter, QuerySelect, QueryTrait,
};

use super::batch::insert_all;
use super::values::parse_id;
use crate::database::{Backend, Pools};
use crate::entities::{mailbox, mailbox_tag};
use crate::error::{OrUnknown, corrupt_row, describe, duplicate_id, repository_error};
use crate::time::{from_millis, to_millis};

const TABLE: &str = "mailboxes";

pub(crate) struct SqlMailboxRepository {
    pools: Pools,
}

impl SqlMailboxRepository {
    pub(crate) fn new(pools: Pools) -> Self {
        Self { pools }
    }
}

/// The form tags are indexed and compared in: the same folding as the domain's selection.
fn tag_key(tag: &str) -> String {
    tag.to_lowercase()
}

fn insert_conflict(detail: &str) -> String {
    if detail.contains("email_lower") {
        "the workspace already has a mailbox with this address".to_owned()
    } else {
        duplicate_id(detail)
    }
}

#[async_trait]
impl MailboxRepository for SqlMailboxRepository {
    async fn insert(&self, mailbox: &Mailbox) -> Result<(), RepositoryError> {
        let id = mailbox.id().to_string();
        let workspace_id = mailbox.workspace_id().to_string();
        let fields = mailbox.fields();
        let row = mailbox::ActiveModel {
            id: Set(id.clone()),
            workspace_id: Set(workspace_id.clone()),
            email: Set(fields.email().as_str().to_owned()),
            email_lower: Set(fields.email().normalized()),
            provider: Set(fields.provider().as_str().to_owned()),
            display_name: Set(fields.display_name().map(str::to_owned)),
            tags: Set(serde_json::Value::from(fields.tags().to_vec())),
            daily_send_limit: Set(i32::try_from(fields.daily_send_limit()).unwrap_or(i32::MAX)),
            sending_enabled: Set(fields.sending_enabled()),
            signature: Set(fields.signature().map(str::to_owned)),
            status: Set(mailbox.status().as_str().to_owned()),
            created_at_ms: Set(to_millis(mailbox.created_at())),
            updated_at_ms: Set(to_millis(mailbox.updated_at())),
        };
        let mut inserts = vec![mailbox::Entity::insert(row).into_query()];
        if !fields.tags().is_empty() {
            let tags = fields.tags().iter().map(|tag| mailbox_tag::ActiveModel {
                workspace_id: Set(workspace_id.clone()),
                tag_lower: Set(tag_key(tag)),
                mailbox_id: Set(id.clone()),
            });
            inserts.push(mailbox_tag::Entity::insert_many(tags).into_query());
        }
        // The mailbox and its tag index, all or nothing, in one round trip.
        insert_all(&self.pools, inserts)
            .await
            .map_err(|error| repository_error(error, insert_conflict))
    }

    async fn find(
        &self,
        workspace: WorkspaceId,
        id: MailboxId,
    ) -> Result<Option<Mailbox>, RepositoryError> {
        let row = mailbox::Entity::find_by_id(id.to_string())
            .filter(mailbox::Column::WorkspaceId.eq(workspace.to_string()))
            .one(&self.pools.reader)
            .await
            .or_unknown()?;
        row.map(mailbox_from_row).transpose()
    }

    /// One query: each selector is a branch of an `OR`, each branch repeating the workspace so that it
    /// can use its own index (primary key, (workspace_id, email_lower), (workspace_id, provider), the
    /// tag index) instead of a scan of the whole workspace.
    async fn candidates(
        &self,
        workspace: WorkspaceId,
        selection: &MailboxSelection,
    ) -> Result<Vec<MailboxSummary>, RepositoryError> {
        let workspace = workspace.to_string();
        let in_workspace = || mailbox::Column::WorkspaceId.eq(workspace.clone());
        let mut any = Condition::any();

        let ids: BTreeSet<String> = selection.ids().map(|id| id.to_string()).collect();
        if !ids.is_empty() {
            any = any.add(in_workspace().and(mailbox::Column::Id.is_in(ids)));
        }
        let emails: BTreeSet<String> = selection.emails().map(EmailAddress::normalized).collect();
        if !emails.is_empty() {
            any = any.add(in_workspace().and(mailbox::Column::EmailLower.is_in(emails)));
        }
        let tags: BTreeSet<String> = selection.tags().iter().map(|tag| tag_key(tag)).collect();
        if !tags.is_empty() {
            let tagged = Query::select()
                .column(mailbox_tag::Column::MailboxId)
                .from(mailbox_tag::Entity)
                .and_where(mailbox_tag::Column::WorkspaceId.eq(workspace.clone()))
                .and_where(mailbox_tag::Column::TagLower.is_in(tags))
                .to_owned();
            let tagged = match self.pools.backend {
                // SQLite plans `IN (subquery)` as one more branch of its multi-index OR.
                Backend::Sqlite => mailbox::Column::Id.in_subquery(tagged),
                // PostgreSQL cannot turn `IN (subquery)` under an OR into an index scan and falls back
                // to scanning the workspace; `= ANY(ARRAY(subquery))` runs the subquery once and keeps
                // every branch on an index (a BitmapOr).
                Backend::Postgres => Expr::col((mailbox::Entity, mailbox::Column::Id)).eq(
                    PgFunc::any(Expr::cust_with_expr(
                        "ARRAY $1",
                        Expr::SubQuery(None, Box::new(tagged.into())),
                    )),
                ),
            };
            any = any.add(in_workspace().and(tagged));
        }
        if let Some(provider) = selection.provider() {
            any = any.add(in_workspace().and(mailbox::Column::Provider.eq(provider.as_str())));
        }
        if any.is_empty() {
            return Ok(Vec::new());
        }

        let rows: Vec<(String, String, String, serde_json::Value)> = mailbox::Entity::find()
            .select_only()
            .columns([
                mailbox::Column::Id,
                mailbox::Column::Email,
                mailbox::Column::Provider,
                mailbox::Column::Tags,
            ])
            .filter(any)
            .into_tuple()
            .all(&self.pools.reader)
            .await
            .or_unknown()?;
        rows.into_iter()
            .map(|(id, email, provider, tags)| {
                Ok(MailboxSummary {
                    id: parse_id(&id, MailboxId::parse, TABLE, &id)?,
                    email: EmailAddress::parse(&email)
                        .map_err(|invalid| corrupt_row(TABLE, &id, invalid.message))?,
                    provider: MailboxProvider::from_wire(&provider).ok_or_else(|| {
                        corrupt_row(TABLE, &id, format!("unknown provider {provider:?}"))
                    })?,
                    tags: tags_from_json(tags, &id)?,
                })
            })
            .collect()
    }
}

fn tags_from_json(tags: serde_json::Value, id: &str) -> Result<Vec<String>, RepositoryError> {
    serde_json::from_value(tags).map_err(|error| corrupt_row(TABLE, id, error))
}

/// A row re-parsed through the same constructor as a client's request.
fn mailbox_from_row(row: mailbox::Model) -> Result<Mailbox, RepositoryError> {
    let id = parse_id(&row.id, MailboxId::parse, TABLE, &row.id)?;
    let workspace_id = parse_id(&row.workspace_id, WorkspaceId::parse, TABLE, &row.id)?;
    let request = MailboxRequest {
        email: Some(row.email),
        provider: Some(row.provider),
        display_name: row.display_name,
        tags: Some(tags_from_json(row.tags, &row.id)?),
        daily_send_limit: Some(i64::from(row.daily_send_limit)),
        sending_enabled: Some(row.sending_enabled),
        signature: row.signature,
    };
    let fields = MailboxFields::parse(&request)
        .map_err(|problems| corrupt_row(TABLE, &row.id, describe(&problems)))?;
    let status = MailboxStatus::from_wire(&row.status)
        .ok_or_else(|| corrupt_row(TABLE, &row.id, format!("unknown status {:?}", row.status)))?;
    Ok(Mailbox::restore(
        id,
        workspace_id,
        fields,
        status,
        from_millis(row.created_at_ms, TABLE, &row.id)?,
        from_millis(row.updated_at_ms, TABLE, &row.id)?,
    ))
}

//! `MailboxRepository` on the `mailboxes` table and its tag index (`mailbox_tags`), for SQLite and
//! PostgreSQL. The repository owns its [`MailboxLookups`] ([`lookups`]): the candidate lookups of
//! concurrent creates and updates, each distinct one asked once.

mod lookups;

use std::collections::HashMap;
use std::sync::Arc;

use application::ports::{
    MailboxPage, MailboxQuery, MailboxRemoval, MailboxRepository, RepositoryError,
};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::credential::SealedCredential;
use domain::id::{MailboxId, WorkspaceId};
use domain::listing::fold_case;
use domain::mailbox::{
    Mailbox, MailboxFields, MailboxProvider, MailboxSelection, MailboxStatus, MailboxSummary,
    fold_tag,
};
use domain::mailbox_connection::{ConnectionPasswords, MailServer, ServerConnection};
use domain::mailbox_listing::{TagFilter, TagMode};
use domain::mailbox_update::{ConnectionChange, MailboxChanges, PasswordChange};
use domain::request::MailboxRequest;
use domain::values::EmailAddress;
use sea_orm::sea_query::{
    Alias, Asterisk, DeleteStatement, Expr, ExprTrait, Func, InsertStatement, LikeExpr, Query,
    SelectStatement, UpdateStatement,
};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, DbBackend,
    DbErr, EntityTrait, FromQueryResult, QueryFilter, QueryOrder, QuerySelect, QueryTrait, Select,
};
use serde::Deserialize as _;

use self::lookups::{CandidateQuery, MailboxLookups};
use crate::database::batch::{insert_all, sqlite_write_counting};
use crate::database::counting::{count_rows, page_with_total};
use crate::database::like::{LIKE_ESCAPE, contains_pattern};
use crate::database::pools::{Backend, Pools, finish};
use crate::entities::{campaign, campaign_mailbox, mailbox, mailbox_tag};
use crate::error::{OrUnknown, corrupt_row, describe, duplicate_id, repository_error, unknown};
use crate::repositories::values::parse_id;
use crate::time::{from_millis, to_millis};

const TABLE: &str = "mailboxes";

pub(crate) struct SqlMailboxRepository {
    pools: Pools,
    /// Mailbox lookups, the same lookup of concurrent callers asked once.
    lookups: MailboxLookups,
}

impl SqlMailboxRepository {
    /// The repository on `pools`, with its lookups started (they end with it).
    pub(crate) fn new(pools: Pools) -> Self {
        Self {
            lookups: MailboxLookups::start(Arc::clone(&pools.reads), pools.backend),
            pools,
        }
    }
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
        let mut row = mailbox::ActiveModel {
            id: Set(id.clone()),
            workspace_id: Set(workspace_id.clone()),
            email: Set(fields.email().as_str().to_owned()),
            email_lower: Set(fields.email().normalized()),
            provider: Set(fields.provider().as_str().to_owned()),
            display_name: Set(fields.display_name().map(str::to_owned)),
            display_name_folded: Set(fields.display_name().map(fold_case)),
            tags: Set(serde_json::Value::from(fields.tags().to_vec())),
            daily_send_limit: Set(daily_send_limit_to_db(fields.daily_send_limit())),
            sending_enabled: Set(fields.sending_enabled()),
            signature: Set(fields.signature().map(str::to_owned)),
            status: Set(mailbox.status().as_str().to_owned()),
            last_error: Set(mailbox.last_error().map(str::to_owned)),
            created_at_ms: Set(to_millis(mailbox.created_at())),
            updated_at_ms: Set(to_millis(mailbox.updated_at())),
            ..Default::default()
        };
        for server in [MailServer::Smtp, MailServer::Imap] {
            set_connection(
                &mut row,
                server,
                fields.connection(server),
                match mailbox.passwords().get(server) {
                    Some(sealed) => PasswordChange::Replace(sealed.clone()),
                    None => PasswordChange::Clear,
                },
            );
        }
        let mut inserts = vec![mailbox::Entity::insert(row).into_query()];
        inserts.extend(tag_insert(&workspace_id, &id, fields.tags()));
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
            .one(self.pools.reads.as_ref())
            .await
            .or_unknown()?;
        row.map(mailbox_from_row).transpose()
    }

    async fn find_many(
        &self,
        workspace: WorkspaceId,
        ids: &[MailboxId],
    ) -> Result<Vec<Mailbox>, RepositoryError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let rows = mailbox::Entity::find()
            .filter(mailbox::Column::WorkspaceId.eq(workspace.to_string()))
            .filter(mailbox::Column::Id.is_in(ids.iter().map(MailboxId::to_string)))
            .all(self.pools.reads.as_ref())
            .await
            .or_unknown()?;
        rows.into_iter().map(mailbox_from_row).collect()
    }

    /// Through [`MailboxLookups`]: concurrent callers asking the same share one statement.
    async fn candidates(
        &self,
        workspace: WorkspaceId,
        selection: &MailboxSelection,
    ) -> Result<Vec<MailboxSummary>, RepositoryError> {
        let query = CandidateQuery {
            workspace: workspace.to_string(),
            ids: selection.ids().map(|id| id.to_string()).collect(),
            emails: selection.emails().map(EmailAddress::normalized).collect(),
            tags: selection.tags().iter().map(|tag| fold_tag(tag)).collect(),
            provider: selection
                .provider()
                .map(|provider| provider.as_str().to_owned()),
        };
        let rows = self.lookups.rows(query).await.or_unknown()?;
        rows.iter()
            .map(|(id, email, provider, tags)| {
                Ok(MailboxSummary {
                    id: parse_id(id, MailboxId::parse, TABLE, id)?,
                    email: EmailAddress::parse(email)
                        .map_err(|invalid| corrupt_row(TABLE, id, invalid.message))?,
                    provider: MailboxProvider::from_wire(provider).ok_or_else(|| {
                        corrupt_row(TABLE, id, format!("unknown provider {provider:?}"))
                    })?,
                    tags: tags_from_json(tags, id)?,
                })
            })
            .collect()
    }

    /// In one read-only transaction (one snapshot): the page (`limit + 1` rows, the extra one only
    /// telling whether there are more), then the count of every match, skipped when the first page
    /// holds them all.
    async fn list(
        &self,
        workspace: WorkspaceId,
        query: &MailboxQuery,
    ) -> Result<MailboxPage, RepositoryError> {
        let workspace = workspace.to_string();
        let transaction = self.pools.begin_read().await.or_unknown()?;
        let read = async {
            let page = matching(&workspace, query)
                .apply_if(query.before, |select, before| {
                    select.filter(mailbox::Column::Id.lt(before.to_string()))
                })
                .order_by_desc(mailbox::Column::Id)
                .limit(u64::from(query.limit.get()) + 1)
                .all(&transaction)
                .await?;
            page_with_total(
                page,
                query.limit.get(),
                query.before.is_none(),
                count_matching(&transaction, &workspace, query),
            )
            .await
        }
        .await
        .or_unknown();
        let (page, total, has_more) = finish(transaction, read, unknown).await?;
        Ok(MailboxPage {
            mailboxes: page
                .into_iter()
                .map(mailbox_from_row)
                .collect::<Result<_, _>>()?,
            total,
            has_more,
        })
    }

    /// One write transaction, in a task of its own (a caller dropped half-way cannot leave it open):
    /// an `UPDATE` of the given columns and `updated_at_ms` only; when tags are given, the mailbox's tag
    /// index rows deleted and the new ones inserted; then the row read back.
    async fn update(
        &self,
        workspace: WorkspaceId,
        id: MailboxId,
        changes: &MailboxChanges,
        updated_at: DateTime<Utc>,
    ) -> Result<Option<Mailbox>, RepositoryError> {
        let (workspace, id) = (workspace.to_string(), id.to_string());
        let write = ChangeStatements {
            update: change_statement(&workspace, &id, changes, updated_at),
            tags: changes.tags().map(|tags| {
                (
                    tag_delete(&workspace, &id),
                    tag_insert(&workspace, &id, tags),
                )
            }),
        };
        let pools = self.pools.clone();
        let row = tokio::spawn(async move { write.run(&pools, &workspace, &id).await })
            .await
            .unwrap_or_else(|error| {
                Err(DbErr::Custom(format!(
                    "the write task ended early: {error}"
                )))
            })
            .or_unknown()?;
        row.map(mailbox_from_row).transpose()
    }

    async fn record_mailbox_error(
        &self,
        workspace: WorkspaceId,
        id: MailboxId,
        message: &str,
        at: DateTime<Utc>,
    ) -> Result<bool, RepositoryError> {
        let update = mailbox::Entity::update_many()
            .col_expr(
                mailbox::Column::Status,
                Expr::val(MailboxStatus::Error.as_str()),
            )
            .col_expr(mailbox::Column::LastError, Expr::val(message))
            .col_expr(mailbox::Column::UpdatedAtMs, Expr::val(to_millis(at)))
            .filter(mailbox::Column::WorkspaceId.eq(workspace.to_string()))
            .filter(mailbox::Column::Id.eq(id.to_string()))
            .into_query();
        let transaction = self.pools.begin_write().await.or_unknown()?;
        let written = transaction
            .execute(&update)
            .await
            .map(|result| result.rows_affected() > 0);
        finish(transaction, written, |error| error)
            .await
            .or_unknown()
    }

    /// One statement: the `enrolment_history` rows of the mailboxes sent in `(now - 24 h, now]`,
    /// counted per mailbox (index `enrolment_history_mailbox_sent`). The ids are the workspace's
    /// mailboxes' (checked against `mailboxes` in the same statement).
    async fn sends_in_last_day(
        &self,
        workspace: WorkspaceId,
        ids: &[MailboxId],
        now: DateTime<Utc>,
    ) -> Result<HashMap<MailboxId, u64>, RepositoryError> {
        let mut counts: HashMap<MailboxId, u64> = ids.iter().map(|id| (*id, 0)).collect();
        if ids.is_empty() {
            return Ok(counts);
        }
        let backend = DbBackend::from(self.pools.backend);
        let now_ms = to_millis(now);
        let since_ms = now_ms - DAY_MS;
        let owned = Query::select()
            .column(mailbox::Column::Id)
            .from(mailbox::Entity)
            .and_where(mailbox::Column::WorkspaceId.eq(workspace.to_string()))
            .and_where(mailbox::Column::Id.is_in(ids.iter().map(MailboxId::to_string)))
            .to_owned();
        let select = Query::select()
            .expr_as(Expr::col(sent("mailbox_id")), sent("mailbox_id"))
            .expr_as(Func::count(Expr::col(Asterisk)), sent("sends"))
            .from(sent("enrolment_history"))
            .and_where(Expr::col(sent("mailbox_id")).in_subquery(owned))
            .and_where(Expr::col(sent("sent_at_ms")).gt(since_ms))
            .and_where(Expr::col(sent("sent_at_ms")).lte(now_ms))
            .group_by_col(sent("mailbox_id"))
            .to_owned();
        let rows = SentRow::find_by_statement(backend.build(&select))
            .all(self.pools.reads.as_ref())
            .await
            .or_unknown()?;
        for row in rows {
            let id = parse_id(
                &row.mailbox_id,
                MailboxId::parse,
                "enrolment_history",
                &row.mailbox_id,
            )?;
            counts.insert(id, u64::try_from(row.sends).unwrap_or(0));
        }
        Ok(counts)
    }

    /// One write transaction: first every campaign of the workspace that lists the mailbox gets its
    /// version bumped and `updated_at_ms` set, then the mailbox row is deleted, its tag index rows and
    /// campaign links going with it (their foreign keys cascade). SQLite: one round trip on the writer
    /// connection. PostgreSQL: `BEGIN`, the two statements, `COMMIT` — two statements, in this order,
    /// because campaign writers lock the campaign row before the mailbox row (their links' foreign-key
    /// check), so taking them in the same order cannot deadlock with them.
    async fn delete(
        &self,
        workspace: WorkspaceId,
        id: MailboxId,
        at: DateTime<Utc>,
    ) -> Result<Option<MailboxRemoval>, RepositoryError> {
        let (workspace, id) = (workspace.to_string(), id.to_string());
        let bump = bump_listing_campaigns(&workspace, &id, at);
        let delete = mailbox::Entity::delete_many()
            .filter(mailbox::Column::WorkspaceId.eq(workspace))
            .filter(mailbox::Column::Id.eq(id))
            .into_query();
        let [campaigns_updated, deleted] = match self.pools.backend {
            Backend::Sqlite => {
                let sqlite = DbBackend::Sqlite;
                let counts = sqlite_write_counting(
                    &self.pools,
                    vec![sqlite.build(&bump), sqlite.build(&delete)],
                )
                .await
                .or_unknown()?;
                [
                    counts.first().copied().unwrap_or(0),
                    counts.get(1).copied().unwrap_or(0),
                ]
            }
            Backend::Postgres => {
                let pools = self.pools.clone();
                tokio::spawn(async move { delete_postgres(&pools, bump, delete).await })
                    .await
                    .unwrap_or_else(|error| {
                        Err(DbErr::Custom(format!(
                            "the write task ended early: {error}"
                        )))
                    })
                    .or_unknown()?
            }
        };
        Ok((deleted > 0).then_some(MailboxRemoval { campaigns_updated }))
    }
}

/// 24 hours, in milliseconds.
const DAY_MS: i64 = 24 * 60 * 60 * 1_000;

/// A name of `enrolment_history` (the enrolment repository's table, which has no entity) or of the
/// count's result.
fn sent(name: &'static str) -> Alias {
    Alias::new(name)
}

#[derive(Debug, FromQueryResult)]
struct SentRow {
    mailbox_id: String,
    sends: i64,
}

/// Writes one connection's columns: its settings (all NULL without a connection) and, as `password`
/// says, its sealed password.
fn set_connection(
    row: &mut mailbox::ActiveModel,
    server: MailServer,
    connection: Option<&ServerConnection>,
    password: PasswordChange<SealedCredential>,
) {
    let host = Set(connection.map(|connection| connection.host().as_str().to_owned()));
    let port = Set(connection.map(|connection| i32::from(connection.port())));
    let secure = Set(connection.map(ServerConnection::secure));
    let username = Set(connection.and_then(|connection| connection.username().map(str::to_owned)));
    let sealed = match (connection, password) {
        (None, _) | (Some(_), PasswordChange::Clear) => Some(Set(None)),
        (Some(_), PasswordChange::Replace(sealed)) => {
            Some(Set(Some(sealed.as_stored().to_owned())))
        }
        (Some(_), PasswordChange::Keep) => None,
    };
    match server {
        MailServer::Smtp => {
            (
                row.smtp_host,
                row.smtp_port,
                row.smtp_secure,
                row.smtp_username,
            ) = (host, port, secure, username);
            if let Some(sealed) = sealed {
                row.smtp_password_sealed = sealed;
            }
        }
        MailServer::Imap => {
            (
                row.imap_host,
                row.imap_port,
                row.imap_secure,
                row.imap_username,
            ) = (host, port, secure, username);
            if let Some(sealed) = sealed {
                row.imap_password_sealed = sealed;
            }
        }
    }
}

/// The statements of a mailbox update: the row's changed columns, and the tag index's replacement when
/// the tags change (its DELETE, and its INSERT unless the new list is empty).
struct ChangeStatements {
    update: UpdateStatement,
    tags: Option<(DeleteStatement, Option<InsertStatement>)>,
}

impl ChangeStatements {
    /// Runs them in one write transaction; the row as stored afterwards, or `None` (nothing written)
    /// when the workspace has no such mailbox.
    async fn run(
        self,
        pools: &Pools,
        workspace: &str,
        id: &str,
    ) -> Result<Option<mailbox::Model>, DbErr> {
        let transaction = pools.begin_write().await?;
        let written = async {
            if transaction.execute(&self.update).await?.rows_affected() == 0 {
                return Ok(None);
            }
            if let Some((delete, insert)) = &self.tags {
                transaction.execute(delete).await?;
                if let Some(insert) = insert {
                    transaction.execute(insert).await?;
                }
            }
            find_row(&transaction, workspace, id).await
        }
        .await;
        finish(transaction, written, |error| error).await
    }
}

async fn find_row(
    transaction: &DatabaseTransaction,
    workspace: &str,
    id: &str,
) -> Result<Option<mailbox::Model>, DbErr> {
    mailbox::Entity::find_by_id(id)
        .filter(mailbox::Column::WorkspaceId.eq(workspace))
        .one(transaction)
        .await
}

/// `UPDATE mailboxes SET <the changed columns>, updated_at_ms = ?` for the workspace's mailbox `id`.
fn change_statement(
    workspace: &str,
    id: &str,
    changes: &MailboxChanges,
    updated_at: DateTime<Utc>,
) -> UpdateStatement {
    let mut row = mailbox::ActiveModel {
        updated_at_ms: Set(to_millis(updated_at)),
        ..Default::default()
    };
    if let Some(name) = changes.display_name() {
        row.display_name = Set(name.map(str::to_owned));
        row.display_name_folded = Set(name.map(fold_case));
    }
    if let Some(limit) = changes.daily_send_limit() {
        row.daily_send_limit = Set(daily_send_limit_to_db(limit));
    }
    if let Some(signature) = changes.signature() {
        row.signature = Set(signature.map(str::to_owned));
    }
    if let Some(enabled) = changes.sending_enabled() {
        row.sending_enabled = Set(enabled);
    }
    if let Some(tags) = changes.tags() {
        row.tags = Set(serde_json::Value::from(tags.to_vec()));
    }
    for server in [MailServer::Smtp, MailServer::Imap] {
        match changes.connections().get(server) {
            None => {}
            Some(ConnectionChange::Remove) => {
                set_connection(&mut row, server, None, PasswordChange::Clear);
            }
            Some(ConnectionChange::Set {
                connection,
                password,
            }) => set_connection(&mut row, server, Some(connection), password.clone()),
        }
    }
    let mut update = mailbox::Entity::update_many().set(row);
    if changes.connections().get(MailServer::Smtp).is_some() {
        // New SMTP settings are the fix for what the engine reported: the mailbox may send again.
        update = update
            .col_expr(
                mailbox::Column::Status,
                Expr::cust("CASE WHEN status = 'error' THEN 'active' ELSE status END"),
            )
            .col_expr(mailbox::Column::LastError, Expr::cust("NULL"));
    }
    update
        .filter(mailbox::Column::WorkspaceId.eq(workspace))
        .filter(mailbox::Column::Id.eq(id))
        .into_query()
}

fn daily_send_limit_to_db(limit: u32) -> i32 {
    // At most 50 (the domain's rule), far below i32::MAX.
    i32::try_from(limit).unwrap_or(i32::MAX)
}

/// Deletes a mailbox's tag index rows.
fn tag_delete(workspace: &str, id: &str) -> DeleteStatement {
    mailbox_tag::Entity::delete_many()
        .filter(mailbox_tag::Column::WorkspaceId.eq(workspace))
        .filter(mailbox_tag::Column::MailboxId.eq(id))
        .into_query()
}

/// Inserts a mailbox's tag index rows (folded tags); `None` when it has no tag.
fn tag_insert(workspace: &str, id: &str, tags: &[String]) -> Option<InsertStatement> {
    if tags.is_empty() {
        return None;
    }
    let rows = tags.iter().map(|tag| mailbox_tag::ActiveModel {
        workspace_id: Set(workspace.to_owned()),
        tag_lower: Set(fold_tag(tag)),
        mailbox_id: Set(id.to_owned()),
    });
    Some(mailbox_tag::Entity::insert_many(rows).into_query())
}

/// `UPDATE campaigns SET version = version + 1, updated_at_ms = ?` for every campaign of the workspace
/// that lists the mailbox. The links are found through their key's workspace prefix (there is no index
/// by mailbox: see docs/storage.md).
fn bump_listing_campaigns(workspace: &str, mailbox_id: &str, at: DateTime<Utc>) -> UpdateStatement {
    let listing = Query::select()
        .column(campaign_mailbox::Column::CampaignId)
        .from(campaign_mailbox::Entity)
        .and_where(campaign_mailbox::Column::WorkspaceId.eq(workspace))
        .and_where(campaign_mailbox::Column::MailboxId.eq(mailbox_id))
        .to_owned();
    campaign::Entity::update_many()
        .col_expr(
            campaign::Column::Version,
            Expr::col(campaign::Column::Version).add(1),
        )
        .col_expr(campaign::Column::UpdatedAtMs, Expr::val(to_millis(at)))
        .filter(campaign::Column::WorkspaceId.eq(workspace))
        .filter(campaign::Column::Id.in_subquery(listing))
        .into_query()
}

/// PostgreSQL's delete: `BEGIN`; the campaigns' bump; the mailbox's delete; `COMMIT`. Answers how many
/// campaigns were bumped and how many mailboxes deleted.
async fn delete_postgres(
    pools: &Pools,
    bump: UpdateStatement,
    delete: DeleteStatement,
) -> Result<[u64; 2], DbErr> {
    let transaction = pools.begin_write().await?;
    let written = async {
        let bumped = transaction.execute(&bump).await?.rows_affected();
        let deleted = transaction.execute(&delete).await?.rows_affected();
        Ok([bumped, deleted])
    }
    .await;
    finish(transaction, written, |error| error).await
}

/// The workspace's mailboxes that match the query's filters (not its cursor).
fn matching(workspace: &str, query: &MailboxQuery) -> Select<mailbox::Entity> {
    mailbox::Entity::find()
        .filter(mailbox::Column::WorkspaceId.eq(workspace))
        .apply_if(query.provider, |select, provider| {
            select.filter(mailbox::Column::Provider.eq(provider.as_str()))
        })
        .apply_if(query.status, |select, status| {
            select.filter(mailbox::Column::Status.eq(status.as_str()))
        })
        .apply_if(query.search.as_ref(), |select, search| {
            // Both columns hold folded text; the pattern is the folded search.
            let pattern = contains_pattern(search.folded());
            let like = || LikeExpr::new(pattern.clone()).escape(LIKE_ESCAPE);
            select.filter(
                Condition::any()
                    .add(Expr::col(mailbox::Column::EmailLower).like(like()))
                    .add(Expr::col(mailbox::Column::DisplayNameFolded).like(like())),
            )
        })
        .apply_if(query.tags.as_ref(), |select, tags| {
            select.filter(mailbox::Column::Id.in_subquery(tagged(workspace, tags)))
        })
}

/// The ids of the workspace's mailboxes having any (or all) of the filter's tags, from the tag index.
fn tagged(workspace: &str, filter: &TagFilter) -> SelectStatement {
    let tags = filter.folded_tags();
    let mut select = Query::select();
    select
        .column(mailbox_tag::Column::MailboxId)
        .from(mailbox_tag::Entity)
        .and_where(mailbox_tag::Column::WorkspaceId.eq(workspace))
        .and_where(mailbox_tag::Column::TagLower.is_in(tags.iter().cloned()));
    if filter.mode() == TagMode::All {
        // A mailbox's folded tags are unique (the domain refuses repeats), so one row per tag matched.
        select
            .group_by_col(mailbox_tag::Column::MailboxId)
            .and_having(Func::count(Expr::col(Asterisk)).eq(tags.len() as i64));
    }
    select
}

async fn count_matching(
    transaction: &DatabaseTransaction,
    workspace: &str,
    query: &MailboxQuery,
) -> Result<u64, DbErr> {
    count_rows(matching(workspace, query), transaction).await
}

/// Reads the tags from the stored JSON in place: a lookup's rows are shared by every caller that
/// asked the same, so each reads them without copying the tree first.
fn tags_from_json(tags: &serde_json::Value, id: &str) -> Result<Vec<String>, RepositoryError> {
    Vec::<String>::deserialize(tags).map_err(|error| corrupt_row(TABLE, id, error))
}

/// A row re-parsed through the same constructor as a client's request.
pub(crate) fn mailbox_from_row(row: mailbox::Model) -> Result<Mailbox, RepositoryError> {
    let id = parse_id(&row.id, MailboxId::parse, TABLE, &row.id)?;
    let workspace_id = parse_id(&row.workspace_id, WorkspaceId::parse, TABLE, &row.id)?;
    let request = MailboxRequest {
        email: Some(row.email),
        provider: Some(row.provider),
        display_name: row.display_name,
        tags: Some(tags_from_json(&row.tags, &row.id)?),
        daily_send_limit: Some(i64::from(row.daily_send_limit)),
        sending_enabled: Some(row.sending_enabled),
        signature: row.signature,
        smtp_host: row.smtp_host,
        smtp_port: row.smtp_port.map(i64::from),
        smtp_secure: row.smtp_secure,
        smtp_username: row.smtp_username,
        smtp_password: None,
        imap_host: row.imap_host,
        imap_port: row.imap_port.map(i64::from),
        imap_secure: row.imap_secure,
        imap_username: row.imap_username,
        imap_password: None,
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
    )
    .with_passwords(ConnectionPasswords {
        smtp: row.smtp_password_sealed.map(SealedCredential::from_stored),
        imap: row.imap_password_sealed.map(SealedCredential::from_stored),
    })
    .with_last_error(row.last_error))
}

//! `LeadRepository` on `leads`, its tag index `lead_tags` and its search index (see the migration
//! `m20261208_000014_leads` and [`listing`]), for SQLite and PostgreSQL.
//!
//! Import batches ([`LeadRepository::write_batch`]) are one write transaction ([`writes`]): the new
//! leads (`INSERT … ON CONFLICT (workspace_id, email_key) DO NOTHING RETURNING id`) and their tags,
//! then the updated leads and their tags replaced — on PostgreSQL a fixed number of statements per
//! batch, each reading its rows from one JSON parameter. The transaction runs in a task of its own, so
//! that a caller dropped half-way cannot leave the writer inside it.

mod listing;
mod rows;
mod writes;

use application::ports::{BatchWritten, LeadPage, LeadQuery, LeadRepository, RepositoryError};
use async_trait::async_trait;
use domain::id::{LeadId, WorkspaceId};
use domain::lead::Lead;
use sea_orm::sea_query::InsertStatement;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, FromQueryResult, QueryFilter,
    QueryTrait,
};

use self::rows::{from_row, tag_rows, to_row};
use crate::database::batch::insert_all;
use crate::database::counting::page_with_total;
use crate::database::pools::{Pools, finish};
use crate::entities::{lead, lead_tag};
use crate::error::{OrUnknown, duplicate_id, repository_error, unknown};
use crate::repositories::enrolments;

/// Tag rows per INSERT of a single lead's writes (3 parameters each).
const TAG_CHUNK: usize = 5_000;
/// Email keys per lookup.
const KEY_CHUNK: usize = 10_000;

pub(crate) struct SqlLeadRepository {
    pools: Pools,
}

impl SqlLeadRepository {
    pub(crate) fn new(pools: Pools) -> Self {
        Self { pools }
    }
}

fn email_conflict(detail: &str) -> String {
    if detail.contains("email_key") {
        "the workspace already has a lead with this email".to_owned()
    } else {
        duplicate_id(detail)
    }
}

#[async_trait]
impl LeadRepository for SqlLeadRepository {
    async fn insert(&self, lead: &Lead) -> Result<(), RepositoryError> {
        let mut inserts = vec![lead::Entity::insert(to_row(lead)).into_query()];
        inserts.extend(tag_insert(std::slice::from_ref(lead)));
        insert_all(&self.pools, inserts)
            .await
            .map_err(|error| repository_error(error, email_conflict))
    }

    async fn find(
        &self,
        workspace: WorkspaceId,
        id: LeadId,
    ) -> Result<Option<Lead>, RepositoryError> {
        lead::Entity::find()
            .filter(lead::Column::WorkspaceId.eq(workspace.to_string()))
            .filter(lead::Column::Id.eq(id.to_string()))
            .one(self.pools.reads.as_ref())
            .await
            .or_unknown()?
            .map(from_row)
            .transpose()
    }

    async fn find_by_email_keys(
        &self,
        workspace: WorkspaceId,
        email_keys: &[String],
    ) -> Result<Vec<Lead>, RepositoryError> {
        let backend = DbBackend::from(self.pools.backend);
        let workspace = workspace.to_string();
        // A read transaction: planned for the table's size now (see `Pools::begin_read`).
        let transaction = self.pools.begin_read().await.or_unknown()?;
        let read = async {
            let mut rows = Vec::new();
            for keys in email_keys.chunks(KEY_CHUNK) {
                let lookup = writes::by_email_keys(backend, listing::COLUMNS, &workspace, keys)?;
                rows.extend(
                    lead::Entity::find()
                        .from_raw_sql(lookup)
                        .all(&transaction)
                        .await?,
                );
            }
            Ok(rows)
        }
        .await;
        let rows = finish(transaction, read, |error| error)
            .await
            .or_unknown()?;
        rows.into_iter().map(from_row).collect()
    }

    /// In one read-only transaction (one snapshot): the page (`limit + 1` rows, the extra one only
    /// telling whether there are more), then the count, skipped when the first page holds every match.
    /// A search of 3 characters or more reads both in one statement
    /// ([`listing::searched_page_with_total`]; on SQLite, one more when it matches many leads:
    /// [`listing::dense_page_with_total`]).
    async fn list(
        &self,
        workspace: WorkspaceId,
        query: &LeadQuery,
    ) -> Result<LeadPage, RepositoryError> {
        let workspace = workspace.to_string();
        let backend = DbBackend::from(self.pools.backend);
        let transaction = self.pools.begin_read().await.or_unknown()?;
        let read = async {
            let limit = u64::from(query.limit.get()) + 1;
            let first_page = query.before.is_none();
            if let Some(statement) =
                listing::searched_page_with_total(backend, &workspace, query, limit)
            {
                let (mut page, mut total) = page_and_total(&transaction, statement).await?;
                if listing::needs_dense_statement(backend, query, total) {
                    let statement =
                        listing::dense_page_with_total(backend, &workspace, query, limit);
                    (page, total) = page_and_total(&transaction, statement).await?;
                }
                let count = async {
                    match total {
                        Some(total) => Ok(u64::try_from(total).unwrap_or(0)),
                        // An empty page past a cursor: the total is still every match's.
                        None => count_matching(&transaction, backend, &workspace, query).await,
                    }
                };
                return page_with_total(page, query.limit.get(), first_page, count).await;
            }
            let page = lead::Entity::find()
                .from_raw_sql(listing::page(backend, &workspace, query, limit))
                .all(&transaction)
                .await?;
            let count = count_matching(&transaction, backend, &workspace, query);
            page_with_total(page, query.limit.get(), first_page, count).await
        }
        .await
        .or_unknown();
        let (page, total, has_more) = finish(transaction, read, unknown).await?;
        Ok(LeadPage {
            leads: page.into_iter().map(from_row).collect::<Result<_, _>>()?,
            total,
            has_more,
        })
    }

    async fn update(&self, lead: &Lead) -> Result<bool, RepositoryError> {
        let pools = self.pools.clone();
        let lead = lead.clone();
        let written = tokio::spawn(async move {
            let transaction = pools.begin_write().await?;
            let workspace = lead.workspace_id().to_string();
            let written =
                writes::update_existing(&transaction, &workspace, std::slice::from_ref(&lead))
                    .await;
            finish(transaction, written, |error| error).await
        })
        .await
        .unwrap_or_else(|error| Err(task_ended(error)))
        .map_err(|error| repository_error(error, email_conflict))?;
        Ok(!written.is_empty())
    }

    /// One transaction: its enrolments first ([`enrolments::detach_lead_in`]: those that sent
    /// nothing deleted, the others kept as `removed`, counters moved), then the lead; the tag rows go
    /// with it (their foreign key cascades) and the search index's row with them (SQLite: its
    /// trigger).
    async fn delete(&self, workspace: WorkspaceId, id: LeadId) -> Result<bool, RepositoryError> {
        let pools = self.pools.clone();
        tokio::spawn(async move {
            let transaction = pools.begin_write().await?;
            let deleted = async {
                let (workspace, id) = (workspace.to_string(), id.to_string());
                let backend = DbBackend::from(pools.backend);
                enrolments::detach_lead_in(&transaction, backend, &workspace, &id).await?;
                let delete = lead::Entity::delete_many()
                    .filter(lead::Column::WorkspaceId.eq(workspace))
                    .filter(lead::Column::Id.eq(id))
                    .into_query();
                Ok(transaction.execute(&delete).await?.rows_affected() > 0)
            }
            .await;
            finish(transaction, deleted, |error| error).await
        })
        .await
        .unwrap_or_else(|error| Err(task_ended(error)))
        .or_unknown()
    }

    async fn write_batch(
        &self,
        workspace: WorkspaceId,
        inserts: Vec<Lead>,
        updates: Vec<Lead>,
    ) -> Result<BatchWritten, RepositoryError> {
        if let Some(stranger) = inserts
            .iter()
            .chain(&updates)
            .find(|lead| lead.workspace_id() != workspace)
        {
            return Err(RepositoryError::Unknown(anyhow::anyhow!(
                "lead {} of another workspace in an import batch",
                stranger.id()
            )));
        }
        let pools = self.pools.clone();
        let workspace = workspace.to_string();
        tokio::spawn(async move {
            let transaction = pools.begin_write().await?;
            let written = async {
                let inserted = writes::insert_new(&transaction, &workspace, &inserts).await?;
                let updated = writes::update_existing(&transaction, &workspace, &updates).await?;
                Ok(BatchWritten { inserted, updated })
            }
            .await;
            finish(transaction, written, |error| error).await
        })
        .await
        .unwrap_or_else(|error| Err(task_ended(error)))
        .map_err(|error| repository_error(error, email_conflict))
    }
}

/// The rows of a statement that reads a page with a `total` column beside each row: the page, and
/// the total (`None` when the page is empty).
async fn page_and_total(
    transaction: &sea_orm::DatabaseTransaction,
    statement: sea_orm::Statement,
) -> Result<(Vec<lead::Model>, Option<i64>), DbErr> {
    let rows = transaction.query_all_raw(statement).await?;
    let total = rows
        .first()
        .map(|row| row.try_get::<i64>("", "total"))
        .transpose()?;
    let page = rows
        .iter()
        .map(|row| lead::Model::from_query_result(row, ""))
        .collect::<Result<Vec<_>, _>>()?;
    Ok((page, total))
}

/// The number of the workspace's leads that `query`'s filters match (the cursor aside).
async fn count_matching(
    transaction: &sea_orm::DatabaseTransaction,
    backend: DbBackend,
    workspace: &str,
    query: &LeadQuery,
) -> Result<u64, DbErr> {
    let count = transaction
        .query_one_raw(listing::count(backend, workspace, query))
        .await?
        .map(|row| row.try_get_by_index::<i64>(0))
        .transpose()?
        .unwrap_or(0);
    Ok(u64::try_from(count).unwrap_or(0))
}

fn task_ended(error: tokio::task::JoinError) -> DbErr {
    DbErr::Custom(format!("the write task ended early: {error}"))
}

/// The tag index rows of `leads`, a chunk per INSERT; none when they have no tag.
fn tag_insert(leads: &[Lead]) -> Vec<InsertStatement> {
    let rows: Vec<lead_tag::ActiveModel> = leads.iter().flat_map(tag_rows).collect();
    rows.chunks(TAG_CHUNK)
        .map(|chunk| lead_tag::Entity::insert_many(chunk.to_vec()).into_query())
        .collect()
}

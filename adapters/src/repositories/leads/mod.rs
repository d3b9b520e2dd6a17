//! `LeadRepository` on `leads`, its tag index `lead_tags` and its search index (see the migration
//! `m20261208_000014_leads` and [`listing`]), for SQLite and PostgreSQL.
//!
//! Import batches ([`LeadRepository::write_batch`]) are one write transaction: the new leads as
//! multi-row `INSERT … ON CONFLICT (workspace_id, email_key) DO NOTHING RETURNING id` of at most
//! [`INSERT_CHUNK`] rows each (far below SQLite's 32,766 bound parameters), their tags likewise, then
//! one `UPDATE` per updated lead and their tags replaced. The transaction runs in a task of its own, so
//! that a caller dropped half-way cannot leave the writer inside it.

mod listing;
mod rows;

use application::ports::{BatchWritten, LeadPage, LeadQuery, LeadRepository, RepositoryError};
use async_trait::async_trait;
use domain::id::{LeadId, WorkspaceId};
use domain::lead::Lead;
use sea_orm::sea_query::{InsertStatement, OnConflict, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, DbBackend, DbErr, EntityTrait, QueryFilter,
    QueryTrait,
};

use self::rows::{from_row, tag_rows, to_row};
use crate::database::batch::insert_all;
use crate::database::counting::page_with_total;
use crate::database::pools::{Backend, Pools, finish};
use crate::entities::{lead, lead_tag};
use crate::error::{OrUnknown, duplicate_id, repository_error, unknown};
use crate::repositories::enrolments;

/// Lead rows per INSERT (20 parameters each).
const INSERT_CHUNK: usize = 1_000;
/// Tag rows per INSERT (3 parameters each).
const TAG_CHUNK: usize = 5_000;
/// Email keys or ids per `IN (…)` list.
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
        let mut found = Vec::new();
        for keys in email_keys.chunks(KEY_CHUNK) {
            let reads = self.pools.reads.as_ref();
            let rows = match self.pools.backend {
                Backend::Postgres => {
                    lead::Entity::find()
                        .from_raw_sql(listing::by_email_keys_postgres(
                            &workspace.to_string(),
                            keys,
                        ))
                        .all(reads)
                        .await
                }
                Backend::Sqlite => {
                    lead::Entity::find()
                        .filter(lead::Column::WorkspaceId.eq(workspace.to_string()))
                        .filter(lead::Column::EmailKey.is_in(keys.iter().cloned()))
                        .all(reads)
                        .await
                }
            }
            .or_unknown()?;
            for row in rows {
                found.push(from_row(row)?);
            }
        }
        Ok(found)
    }

    /// In one read-only transaction (one snapshot): the page (`limit + 1` rows, the extra one only
    /// telling whether there are more), then the count, skipped when the first page holds every match.
    async fn list(
        &self,
        workspace: WorkspaceId,
        query: &LeadQuery,
    ) -> Result<LeadPage, RepositoryError> {
        let workspace = workspace.to_string();
        let backend = DbBackend::from(self.pools.backend);
        let transaction = self.pools.begin_read().await.or_unknown()?;
        let read = async {
            let page = lead::Entity::find()
                .from_raw_sql(listing::page(
                    backend,
                    &workspace,
                    query,
                    u64::from(query.limit.get()) + 1,
                ))
                .all(&transaction)
                .await?;
            let count = async {
                let count = transaction
                    .query_one_raw(listing::count(backend, &workspace, query))
                    .await?
                    .map(|row| row.try_get_by_index::<i64>(0))
                    .transpose()?
                    .unwrap_or(0);
                Ok(u64::try_from(count).unwrap_or(0))
            };
            page_with_total(page, query.limit.get(), query.before.is_none(), count).await
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
            let written = update_in(&transaction, std::slice::from_ref(&lead)).await;
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
        tokio::spawn(async move {
            let transaction = pools.begin_write().await?;
            let written = async {
                let inserted = insert_new_in(&transaction, &inserts).await?;
                let updated = update_in(&transaction, &updates).await?;
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

fn task_ended(error: tokio::task::JoinError) -> DbErr {
    DbErr::Custom(format!("the write task ended early: {error}"))
}

/// Inserts the leads whose email key the workspace does not have yet, with their tags; answers their
/// ids.
async fn insert_new_in(
    transaction: &DatabaseTransaction,
    leads: &[Lead],
) -> Result<Vec<LeadId>, DbErr> {
    let mut inserted = Vec::with_capacity(leads.len());
    for chunk in leads.chunks(INSERT_CHUNK) {
        let mut insert = lead::Entity::insert_many(chunk.iter().map(to_row)).into_query();
        insert
            .on_conflict(
                OnConflict::columns([lead::Column::WorkspaceId, lead::Column::EmailKey])
                    .do_nothing()
                    .to_owned(),
            )
            .returning_col(lead::Column::Id);
        let ids: std::collections::HashSet<String> = transaction
            .query_all(&insert)
            .await?
            .into_iter()
            .map(|row| row.try_get_by_index::<String>(0))
            .collect::<Result<_, _>>()?;
        let written: Vec<Lead> = chunk
            .iter()
            .filter(|lead| ids.contains(&lead.id().to_string()))
            .cloned()
            .collect();
        for statement in tag_insert(&written) {
            transaction.execute(&statement).await?;
        }
        inserted.extend(written.iter().map(Lead::id));
    }
    Ok(inserted)
}

/// Writes each lead over its stored row (found by workspace and id) and replaces its tags; answers the
/// ids of the leads that were there.
async fn update_in(
    transaction: &DatabaseTransaction,
    leads: &[Lead],
) -> Result<Vec<LeadId>, DbErr> {
    let mut updated = Vec::with_capacity(leads.len());
    for lead in leads {
        let statement = lead::Entity::update_many()
            .set(to_row(lead))
            .filter(lead::Column::WorkspaceId.eq(lead.workspace_id().to_string()))
            .filter(lead::Column::Id.eq(lead.id().to_string()))
            .into_query();
        if transaction.execute(&statement).await?.rows_affected() > 0 {
            updated.push(lead.clone());
        }
    }
    for chunk in updated.chunks(KEY_CHUNK) {
        let delete = Query::delete()
            .from_table(lead_tag::Entity)
            .and_where(
                lead_tag::Column::LeadId.is_in(chunk.iter().map(|lead| lead.id().to_string())),
            )
            .to_owned();
        transaction.execute(&delete).await?;
    }
    for statement in tag_insert(&updated) {
        transaction.execute(&statement).await?;
    }
    Ok(updated.iter().map(Lead::id).collect())
}

/// The tag index rows of `leads`, a chunk per INSERT; none when they have no tag.
fn tag_insert(leads: &[Lead]) -> Vec<InsertStatement> {
    let rows: Vec<lead_tag::ActiveModel> = leads.iter().flat_map(tag_rows).collect();
    rows.chunks(TAG_CHUNK)
        .map(|chunk| lead_tag::Entity::insert_many(chunk.to_vec()).into_query())
        .collect()
}

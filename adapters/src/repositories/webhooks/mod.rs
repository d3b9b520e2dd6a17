//! [`WebhookRepository`] over SQL (`webhooks`, `webhook_subscriptions`, migration 25), and the
//! outbox of deliveries ([`outbox`]). Every statement names the workspace: a webhook of another
//! workspace is not found.

mod outbox;

use application::ports::{
    RepositoryError, StoredDelivery, StoredTry, StoredWebhook, WebhookRepository,
};
use async_trait::async_trait;
use domain::credential::SealedCredential;
use domain::id::WorkspaceId;
use sea_orm::{ConnectionTrait, DatabaseTransaction, DbBackend, DbErr, QueryResult, Value};

use crate::database::pools::{Pools, finish};
use crate::database::sql::Sql;
use crate::error::{OrUnknown, corrupt_row, unknown};
use crate::time::{from_millis, to_millis};

pub(crate) use outbox::{SqlWebhookOutbox, enqueue};

/// The workspace's webhooks.
#[derive(Clone)]
pub(crate) struct SqlWebhookRepository {
    pools: Pools,
}

impl SqlWebhookRepository {
    pub(crate) fn new(pools: Pools) -> Self {
        Self { pools }
    }
}

const COLUMNS: &str = "id, workspace_id, name, url, events, secret_sealed, retry_attempts, \
                       timeout_ms, created_at_ms, updated_at_ms";

fn webhook_of(row: &QueryResult) -> Result<StoredWebhook, RepositoryError> {
    let id: String = row.try_get_by_index(0).or_unknown()?;
    let workspace: String = row.try_get_by_index(1).or_unknown()?;
    let events: String = row.try_get_by_index(4).or_unknown()?;
    let retry: i64 = row.try_get_by_index(6).or_unknown()?;
    let timeout: i64 = row.try_get_by_index(7).or_unknown()?;
    Ok(StoredWebhook {
        workspace: WorkspaceId::parse(&workspace)
            .map_err(|invalid| corrupt_row("webhooks", &id, invalid.message))?,
        name: row.try_get_by_index(2).or_unknown()?,
        url: row.try_get_by_index(3).or_unknown()?,
        events: serde_json::from_str(&events)
            .map_err(|error| corrupt_row("webhooks", &id, error))?,
        secret: SealedCredential::from_stored(row.try_get_by_index::<String>(5).or_unknown()?),
        retry_attempts: u32::try_from(retry)
            .map_err(|error| corrupt_row("webhooks", &id, error))?,
        timeout_ms: u32::try_from(timeout).map_err(|error| corrupt_row("webhooks", &id, error))?,
        created_at: from_millis(row.try_get_by_index(8).or_unknown()?, "webhooks", &id)?,
        updated_at: from_millis(row.try_get_by_index(9).or_unknown()?, "webhooks", &id)?,
        id,
    })
}

/// The webhook's subscriptions: one row per event type.
async fn subscribe(
    transaction: &DatabaseTransaction,
    backend: DbBackend,
    webhook: &StoredWebhook,
) -> Result<(), DbErr> {
    if webhook.events.is_empty() {
        return Ok(());
    }
    let mut sql = Sql::of(
        backend,
        "INSERT INTO webhook_subscriptions (webhook_id, event_type, workspace_id) VALUES ",
        [],
    );
    let workspace = webhook.workspace.to_string();
    sql.push_rows(webhook.events.iter().map(|event| -> [Value; 3] {
        [
            webhook.id.as_str().into(),
            event.as_str().into(),
            workspace.as_str().into(),
        ]
    }));
    sql.push(" ON CONFLICT DO NOTHING", []);
    transaction.execute_raw(sql.build()).await?;
    Ok(())
}

fn events_text(webhook: &StoredWebhook) -> String {
    serde_json::Value::from(webhook.events.clone()).to_string()
}

#[async_trait]
impl WebhookRepository for SqlWebhookRepository {
    async fn insert(&self, webhook: &StoredWebhook) -> Result<(), RepositoryError> {
        let backend = DbBackend::from(self.pools.backend);
        let transaction = self.pools.begin_write().await.or_unknown()?;
        let written = async {
            let sql = Sql::of(
                backend,
                &format!("INSERT INTO webhooks ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
                [
                    webhook.id.as_str().into(),
                    webhook.workspace.to_string().into(),
                    webhook.name.as_str().into(),
                    webhook.url.as_str().into(),
                    events_text(webhook).into(),
                    webhook.secret.as_stored().into(),
                    i64::from(webhook.retry_attempts).into(),
                    i64::from(webhook.timeout_ms).into(),
                    to_millis(webhook.created_at).into(),
                    to_millis(webhook.updated_at).into(),
                ],
            );
            transaction.execute_raw(sql.build()).await?;
            subscribe(&transaction, backend, webhook).await
        }
        .await;
        finish(transaction, written, |error| error)
            .await
            .map_err(unknown)
    }

    async fn list(&self, workspace: WorkspaceId) -> Result<Vec<StoredWebhook>, RepositoryError> {
        let sql = Sql::of(
            DbBackend::from(self.pools.backend),
            &format!("SELECT {COLUMNS} FROM webhooks WHERE workspace_id = ? ORDER BY id"),
            [workspace.to_string().into()],
        );
        let rows = self
            .pools
            .reader
            .query_all_raw(sql.build())
            .await
            .or_unknown()?;
        rows.iter().map(webhook_of).collect()
    }

    async fn find(
        &self,
        workspace: WorkspaceId,
        id: &str,
    ) -> Result<Option<StoredWebhook>, RepositoryError> {
        let sql = Sql::of(
            DbBackend::from(self.pools.backend),
            &format!("SELECT {COLUMNS} FROM webhooks WHERE workspace_id = ? AND id = ?"),
            [workspace.to_string().into(), id.into()],
        );
        let row = self
            .pools
            .reader
            .query_one_raw(sql.build())
            .await
            .or_unknown()?;
        row.as_ref().map(webhook_of).transpose()
    }

    async fn update(&self, webhook: &StoredWebhook) -> Result<bool, RepositoryError> {
        let backend = DbBackend::from(self.pools.backend);
        let transaction = self.pools.begin_write().await.or_unknown()?;
        let written = async {
            let sql = Sql::of(
                backend,
                "UPDATE webhooks SET name = ?, url = ?, events = ?, secret_sealed = ?, \
                 retry_attempts = ?, timeout_ms = ?, updated_at_ms = ? \
                 WHERE workspace_id = ? AND id = ?",
                [
                    webhook.name.as_str().into(),
                    webhook.url.as_str().into(),
                    events_text(webhook).into(),
                    webhook.secret.as_stored().into(),
                    i64::from(webhook.retry_attempts).into(),
                    i64::from(webhook.timeout_ms).into(),
                    to_millis(webhook.updated_at).into(),
                    webhook.workspace.to_string().into(),
                    webhook.id.as_str().into(),
                ],
            );
            if transaction.execute_raw(sql.build()).await?.rows_affected() == 0 {
                return Ok(false);
            }
            let clear = Sql::of(
                backend,
                "DELETE FROM webhook_subscriptions WHERE webhook_id = ?",
                [webhook.id.as_str().into()],
            );
            transaction.execute_raw(clear.build()).await?;
            subscribe(&transaction, backend, webhook).await?;
            Ok(true)
        }
        .await;
        finish(transaction, written, |error| error)
            .await
            .map_err(unknown)
    }

    async fn delete(&self, workspace: WorkspaceId, id: &str) -> Result<bool, RepositoryError> {
        let sql = Sql::of(
            DbBackend::from(self.pools.backend),
            "DELETE FROM webhooks WHERE workspace_id = ? AND id = ?",
            [workspace.to_string().into(), id.into()],
        );
        let deleted = self
            .pools
            .writer
            .execute_raw(sql.build())
            .await
            .or_unknown()?;
        Ok(deleted.rows_affected() > 0)
    }

    async fn deliveries(
        &self,
        workspace: WorkspaceId,
        id: &str,
        limit: usize,
    ) -> Result<Vec<StoredDelivery>, RepositoryError> {
        let backend = DbBackend::from(self.pools.backend);
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let transaction = self.pools.begin_read().await.or_unknown()?;
        let read = async {
            let sql = Sql::of(
                backend,
                "SELECT id, event_id, event_type, campaign_id, state, next_try_at_ms, \
                 created_at_ms FROM webhook_deliveries WHERE workspace_id = ? AND webhook_id = ? \
                 ORDER BY event_id DESC LIMIT ?",
                [workspace.to_string().into(), id.into(), limit.into()],
            );
            let rows = transaction.query_all_raw(sql.build()).await?;
            let mut tries_sql = Sql::of(
                backend,
                "SELECT delivery_id, number, at_ms, status_code, duration_ms, error \
                 FROM webhook_tries WHERE delivery_id IN ",
                [],
            );
            let mut ids = Vec::with_capacity(rows.len());
            for row in &rows {
                ids.push(row.try_get_by_index::<String>(0)?);
            }
            tries_sql.push_list(ids.iter().map(|id| Value::from(id.as_str())));
            tries_sql.push(" ORDER BY delivery_id, number", []);
            let tries = transaction.query_all_raw(tries_sql.build()).await?;
            Ok::<_, DbErr>((rows, tries))
        }
        .await;
        let (rows, tries) = finish(transaction, read, |error| error)
            .await
            .map_err(unknown)?;
        let mut deliveries = Vec::with_capacity(rows.len());
        for row in &rows {
            let id: String = row.try_get_by_index(0).or_unknown()?;
            let next: Option<i64> = row.try_get_by_index(5).or_unknown()?;
            deliveries.push(StoredDelivery {
                event_id: row.try_get_by_index(1).or_unknown()?,
                event: row.try_get_by_index(2).or_unknown()?,
                campaign_id: row.try_get_by_index(3).or_unknown()?,
                state: row.try_get_by_index(4).or_unknown()?,
                next_try_at: next
                    .map(|at| from_millis(at, "webhook_deliveries", &id))
                    .transpose()?,
                created_at: from_millis(
                    row.try_get_by_index(6).or_unknown()?,
                    "webhook_deliveries",
                    &id,
                )?,
                tries: Vec::new(),
                id,
            });
        }
        for row in &tries {
            let delivery: String = row.try_get_by_index(0).or_unknown()?;
            let number: i64 = row.try_get_by_index(1).or_unknown()?;
            let status: Option<i64> = row.try_get_by_index(3).or_unknown()?;
            let duration: i64 = row.try_get_by_index(4).or_unknown()?;
            let tried = StoredTry {
                number: u32::try_from(number).unwrap_or(u32::MAX),
                at: from_millis(
                    row.try_get_by_index(2).or_unknown()?,
                    "webhook_tries",
                    &delivery,
                )?,
                status: status.and_then(|status| u16::try_from(status).ok()),
                duration_ms: u64::try_from(duration).unwrap_or(0),
                error: row.try_get_by_index(5).or_unknown()?,
            };
            if let Some(found) = deliveries.iter_mut().find(|found| found.id == delivery) {
                found.tries.push(tried);
            }
        }
        Ok(deliveries)
    }
}

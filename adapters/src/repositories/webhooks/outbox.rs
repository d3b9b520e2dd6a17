//! The webhook outbox over SQL (`webhook_deliveries`, `webhook_tries`, migration 25).
//!
//! [`enqueue`] is called by the event writer in the transaction of its events: two set-based
//! `INSERT … SELECT`s per 1,000 events (the workspace webhooks subscribed to each event's type; the
//! campaign's enabled `settings.webhook` whose `events` hold it, read from the campaign's content
//! with the backend's JSON functions). [`SqlWebhookOutbox`] claims due deliveries with a lease
//! (`FOR UPDATE SKIP LOCKED` on PostgreSQL; SQLite has one writer), builds a delivery's payload
//! at its first claim and keeps it, and records every try.

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use application::ports::{
    AfterTry, DeliverySecret, DueDelivery, RepositoryError, TryOutcome, WebhookOutbox,
};
use async_trait::async_trait;
use chrono::{DateTime, SecondsFormat, Utc};
use domain::credential::SealedCredential;
use domain::values::WebhookSecret;
use sea_orm::{ConnectionTrait, DatabaseTransaction, DbBackend, DbErr, QueryResult, Value};
use serde_json::{Map, Value as Json, json};

use crate::database::pools::{Pools, finish};
use crate::database::sql::Sql;
use crate::error::{OrUnknown, unknown};
use crate::time::to_millis;

/// Event ids per `INSERT … SELECT` (bound values).
const EVENTS_PER_STATEMENT: usize = 1_000;
/// `retryAttempts` and `timeoutMs` of a campaign's `settings.webhook`, which has neither.
pub(crate) const CAMPAIGN_RETRY_ATTEMPTS: u32 = 3;
pub(crate) const CAMPAIGN_TIMEOUT: Duration = Duration::from_secs(10);
/// The `webhook_id` part of a campaign webhook's delivery id.
const CAMPAIGN_DESTINATION: &str = "campaign";

/// One delivery per subscribed destination of each of `events` (ids of event rows written in
/// `transaction`): see the module documentation.
pub(crate) async fn enqueue(
    transaction: &DatabaseTransaction,
    backend: DbBackend,
    events: &[String],
) -> Result<(), DbErr> {
    let columns = "INSERT INTO webhook_deliveries (id, workspace_id, event_id, webhook_id, \
                   campaign_id, event_type, state, tries, next_try_at_ms, created_at_ms) ";
    // The campaign's webhook settings are read once per campaign of the batch (a materialised
    // CTE), not once per event: a campaign's content is a few KB of JSON.
    let (enabled, events_of, holds_type) = match backend {
        DbBackend::Postgres => (
            "(c.content::jsonb #>> '{settings,webhook,enabled}') = 'true'",
            "c.content::jsonb #> '{settings,webhook,events}'",
            "h.events @> jsonb_build_array(e.type)",
        ),
        _ => (
            "json_extract(c.content, '$.settings.webhook.enabled') = 1",
            "json_extract(c.content, '$.settings.webhook.events')",
            "EXISTS (SELECT 1 FROM json_each(h.events) j WHERE j.value = e.type)",
        ),
    };
    for chunk in events.chunks(EVENTS_PER_STATEMENT) {
        let ids = || chunk.iter().map(|id| Value::from(id.as_str()));
        let mut workspace = Sql::of(
            backend,
            &format!(
                "{columns}SELECT e.id || '.' || w.webhook_id, e.workspace_id, e.id, w.webhook_id, \
                 e.campaign_id, e.type, 'pending', 0, e.at_ms, e.at_ms FROM events e \
                 JOIN webhook_subscriptions w ON w.workspace_id = e.workspace_id \
                 AND w.event_type = e.type WHERE e.id IN "
            ),
            [],
        );
        workspace.push_list(ids());
        transaction.execute_raw(workspace.build()).await?;
        let mut campaign = Sql::of(
            backend,
            &format!(
                "WITH h AS MATERIALIZED (SELECT c.id AS campaign_id, {events_of} AS events \
                 FROM campaigns c WHERE {enabled} AND c.id IN \
                 (SELECT DISTINCT campaign_id FROM events WHERE id IN "
            ),
            [],
        );
        campaign.push_list(ids());
        campaign.push(
            &format!(
                ")) {columns}SELECT e.id || '.{CAMPAIGN_DESTINATION}', e.workspace_id, e.id, NULL, \
                 e.campaign_id, e.type, 'pending', 0, e.at_ms, e.at_ms FROM events e \
                 JOIN h ON h.campaign_id = e.campaign_id WHERE {holds_type} AND e.id IN "
            ),
            [],
        );
        campaign.push_list(ids());
        transaction.execute_raw(campaign.build()).await?;
    }
    Ok(())
}

/// The outbox's claims and tries.
#[derive(Clone)]
pub(crate) struct SqlWebhookOutbox {
    pools: Pools,
}

impl SqlWebhookOutbox {
    pub(crate) fn new(pools: Pools) -> Self {
        Self { pools }
    }
}

/// A claimed row of `webhook_deliveries`.
struct Claimed {
    id: String,
    event: String,
    event_type: String,
    webhook: Option<String>,
    campaign: String,
    tries: i64,
    body: Option<String>,
}

/// Where a delivery goes now.
struct Destination {
    url: String,
    secret: DeliverySecret,
    retry_attempts: u32,
    timeout: Duration,
}

async fn claim_rows(
    transaction: &DatabaseTransaction,
    backend: DbBackend,
    now: i64,
    lease_until: i64,
    limit: usize,
) -> Result<Vec<Claimed>, DbErr> {
    let lock = match backend {
        DbBackend::Postgres => " FOR UPDATE SKIP LOCKED",
        _ => "",
    };
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let sql = Sql::of(
        backend,
        &format!(
            "UPDATE webhook_deliveries SET lease_until_ms = ? WHERE id IN (SELECT id FROM \
             webhook_deliveries WHERE next_try_at_ms <= ? AND (lease_until_ms IS NULL OR \
             lease_until_ms <= ?) ORDER BY next_try_at_ms LIMIT ?{lock}) RETURNING id, event_id, \
             event_type, webhook_id, campaign_id, tries, body"
        ),
        [lease_until.into(), now.into(), now.into(), limit.into()],
    );
    let rows = transaction.query_all_raw(sql.build()).await?;
    rows.iter()
        .map(|row| {
            Ok(Claimed {
                id: row.try_get_by_index(0)?,
                event: row.try_get_by_index(1)?,
                event_type: row.try_get_by_index(2)?,
                webhook: row.try_get_by_index(3)?,
                campaign: row.try_get_by_index(4)?,
                tries: row.try_get_by_index(5)?,
                body: row.try_get_by_index(6)?,
            })
        })
        .collect()
}

/// The workspace webhooks of `ids` as they are now.
async fn webhook_destinations(
    transaction: &DatabaseTransaction,
    backend: DbBackend,
    ids: &BTreeSet<&str>,
) -> Result<HashMap<String, Destination>, DbErr> {
    let mut sql = Sql::of(
        backend,
        "SELECT id, url, secret_sealed, retry_attempts, timeout_ms FROM webhooks WHERE id IN ",
        [],
    );
    sql.push_list(ids.iter().map(|id| Value::from(*id)));
    let mut found = HashMap::new();
    for row in transaction.query_all_raw(sql.build()).await? {
        let id: String = row.try_get_by_index(0)?;
        let retry: i64 = row.try_get_by_index(3)?;
        let timeout: i64 = row.try_get_by_index(4)?;
        found.insert(
            id,
            Destination {
                url: row.try_get_by_index(1)?,
                secret: DeliverySecret::Sealed(SealedCredential::from_stored(
                    row.try_get_by_index::<String>(2)?,
                )),
                retry_attempts: u32::try_from(retry).unwrap_or(0),
                timeout: Duration::from_millis(u64::try_from(timeout).unwrap_or(10_000)),
            },
        );
    }
    Ok(found)
}

/// The campaigns of `ids` whose `settings.webhook` is enabled, with a URL and a secret, now.
async fn campaign_destinations(
    transaction: &DatabaseTransaction,
    backend: DbBackend,
    ids: &BTreeSet<&str>,
) -> Result<HashMap<String, Destination>, DbErr> {
    let mut sql = Sql::of(
        backend,
        "SELECT id, content FROM campaigns WHERE id IN ",
        [],
    );
    sql.push_list(ids.iter().map(|id| Value::from(*id)));
    let mut found = HashMap::new();
    for row in transaction.query_all_raw(sql.build()).await? {
        let id: String = row.try_get_by_index(0)?;
        let content: String = row.try_get_by_index(1)?;
        let Ok(content) = serde_json::from_str::<Json>(&content) else {
            continue;
        };
        let hook = &content["settings"]["webhook"];
        let (Some(true), Some(url), Some(secret)) = (
            hook["enabled"].as_bool(),
            hook["url"].as_str(),
            hook["secret"]
                .as_str()
                .and_then(|raw| WebhookSecret::parse(raw).ok()),
        ) else {
            continue;
        };
        found.insert(
            id,
            Destination {
                url: url.to_owned(),
                secret: DeliverySecret::Plain(secret),
                retry_attempts: CAMPAIGN_RETRY_ATTEMPTS,
                timeout: CAMPAIGN_TIMEOUT,
            },
        );
    }
    Ok(found)
}

/// The payload of each of `events`' deliveries not built yet (by delivery id): the event row
/// joined with its lead and its send (SENDING.md section 7).
async fn payloads(
    transaction: &DatabaseTransaction,
    backend: DbBackend,
    claimed: &[&Claimed],
) -> Result<HashMap<String, String>, DbErr> {
    let mut sql = Sql::of(
        backend,
        "SELECT e.id, e.type, e.workspace_id, e.campaign_id, e.lead_id, e.enrolment_id, \
         e.mailbox_id, e.step, e.variant, e.message_id, e.at_ms, e.data, l.email, s.subject \
         FROM events e LEFT JOIN leads l ON l.id = e.lead_id \
         LEFT JOIN sends s ON s.message_id = e.message_id WHERE e.id IN ",
        [],
    );
    let events: BTreeSet<&str> = claimed.iter().map(|row| row.event.as_str()).collect();
    sql.push_list(events.iter().map(|id| Value::from(*id)));
    let mut by_event: HashMap<String, QueryResult> = HashMap::new();
    for row in transaction.query_all_raw(sql.build()).await? {
        by_event.insert(row.try_get_by_index(0)?, row);
    }
    let mut built = HashMap::new();
    for delivery in claimed {
        if let Some(row) = by_event.get(&delivery.event) {
            built.insert(delivery.id.clone(), payload(&delivery.id, row)?);
        }
    }
    Ok(built)
}

/// `{"id", "event", "timestamp", "workspaceId", "data": {…}}` of one event row.
fn payload(id: &str, row: &QueryResult) -> Result<String, DbErr> {
    let at: i64 = row.try_get_by_index(10)?;
    let timestamp = DateTime::<Utc>::from_timestamp_millis(at)
        .unwrap_or_default()
        .to_rfc3339_opts(SecondsFormat::Millis, true);
    let text = |index: usize| -> Result<Json, DbErr> {
        Ok(row
            .try_get_by_index::<Option<String>>(index)?
            .map_or(Json::Null, Json::String))
    };
    let mut data = Map::new();
    data.insert("campaignId".to_owned(), text(3)?);
    data.insert("leadId".to_owned(), text(4)?);
    data.insert("leadEmail".to_owned(), text(12)?);
    data.insert("enrolmentId".to_owned(), text(5)?);
    data.insert("mailboxId".to_owned(), text(6)?);
    data.insert(
        "step".to_owned(),
        row.try_get_by_index::<Option<i64>>(7)?
            .map_or(Json::Null, Json::from),
    );
    data.insert("variant".to_owned(), text(8)?);
    data.insert("messageId".to_owned(), text(9)?);
    data.insert("subject".to_owned(), text(13)?);
    // What the event's writer kept: a click's `url`, a reply's `replyText`, a bounce's
    // `bounceStatus`.
    if let Some(extra) = row
        .try_get_by_index::<Option<String>>(11)?
        .and_then(|raw| serde_json::from_str::<Json>(&raw).ok())
    {
        for key in ["replyText", "bounceStatus", "url"] {
            if let Some(value) = extra.get(key).filter(|value| !value.is_null()) {
                data.insert(key.to_owned(), value.clone());
            }
        }
    }
    let body = json!({
        "id": id,
        "event": text(1)?,
        "timestamp": timestamp,
        "workspaceId": text(2)?,
        "data": data,
    });
    Ok(body.to_string())
}

/// Gives up the deliveries whose destination is gone (no try is made).
async fn give_up(
    transaction: &DatabaseTransaction,
    backend: DbBackend,
    ids: &[&str],
) -> Result<(), DbErr> {
    if ids.is_empty() {
        return Ok(());
    }
    let mut sql = Sql::of(
        backend,
        "UPDATE webhook_deliveries SET state = 'cancelled', next_try_at_ms = NULL, \
         lease_until_ms = NULL WHERE id IN ",
        [],
    );
    sql.push_list(ids.iter().map(|id| Value::from(*id)));
    transaction.execute_raw(sql.build()).await?;
    Ok(())
}

async fn claim(
    transaction: &DatabaseTransaction,
    backend: DbBackend,
    now: i64,
    lease_until: i64,
    limit: usize,
) -> Result<Vec<DueDelivery>, DbErr> {
    let claimed = claim_rows(transaction, backend, now, lease_until, limit).await?;
    if claimed.is_empty() {
        return Ok(Vec::new());
    }
    let webhooks: BTreeSet<&str> = claimed
        .iter()
        .filter_map(|row| row.webhook.as_deref())
        .collect();
    let campaigns: BTreeSet<&str> = claimed
        .iter()
        .filter(|row| row.webhook.is_none())
        .map(|row| row.campaign.as_str())
        .collect();
    let webhooks = webhook_destinations(transaction, backend, &webhooks).await?;
    let campaigns = campaign_destinations(transaction, backend, &campaigns).await?;
    let unbuilt: Vec<&Claimed> = claimed.iter().filter(|row| row.body.is_none()).collect();
    let built = if unbuilt.is_empty() {
        HashMap::new()
    } else {
        payloads(transaction, backend, &unbuilt).await?
    };
    let mut due = Vec::with_capacity(claimed.len());
    let mut gone = Vec::new();
    for row in &claimed {
        let destination = match &row.webhook {
            Some(webhook) => webhooks.get(webhook),
            None => campaigns.get(&row.campaign),
        };
        let body = row.body.clone().or_else(|| built.get(&row.id).cloned());
        let (Some(destination), Some(body)) = (destination, body) else {
            gone.push(row.id.as_str());
            continue;
        };
        if row.body.is_none() {
            let keep = Sql::of(
                backend,
                "UPDATE webhook_deliveries SET body = ? WHERE id = ? AND body IS NULL",
                [body.as_str().into(), row.id.as_str().into()],
            );
            transaction.execute_raw(keep.build()).await?;
        }
        due.push(DueDelivery {
            id: row.id.clone(),
            event: row.event_type.clone(),
            body,
            url: destination.url.clone(),
            secret: destination.secret.clone(),
            tries: u32::try_from(row.tries).unwrap_or(u32::MAX),
            retry_attempts: destination.retry_attempts,
            timeout: destination.timeout,
        });
    }
    give_up(transaction, backend, &gone).await?;
    Ok(due)
}

#[async_trait]
impl WebhookOutbox for SqlWebhookOutbox {
    async fn claim_due(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<DueDelivery>, RepositoryError> {
        let backend = DbBackend::from(self.pools.backend);
        let transaction = self.pools.begin_write().await.or_unknown()?;
        let claimed = claim(
            &transaction,
            backend,
            to_millis(now),
            to_millis(lease_until),
            limit,
        )
        .await;
        finish(transaction, claimed, |error| error)
            .await
            .map_err(unknown)
    }

    async fn record_try(
        &self,
        id: &str,
        tries: u32,
        outcome: &TryOutcome,
        after: AfterTry,
    ) -> Result<(), RepositoryError> {
        let backend = DbBackend::from(self.pools.backend);
        let (state, next): (&str, Option<i64>) = match after {
            AfterTry::Delivered => ("delivered", None),
            AfterTry::RetryAt(at) => ("pending", Some(to_millis(at))),
            AfterTry::GaveUp => ("failed", None),
        };
        let transaction = self.pools.begin_write().await.or_unknown()?;
        let written = async {
            let update = Sql::of(
                backend,
                "UPDATE webhook_deliveries SET tries = tries + 1, state = ?, next_try_at_ms = ?, \
                 lease_until_ms = NULL WHERE id = ? AND tries = ?",
                [
                    state.into(),
                    next.into(),
                    id.into(),
                    i64::from(tries).into(),
                ],
            );
            if transaction
                .execute_raw(update.build())
                .await?
                .rows_affected()
                != 1
            {
                return Ok(());
            }
            let insert = Sql::of(
                backend,
                "INSERT INTO webhook_tries (delivery_id, number, at_ms, status_code, duration_ms, \
                 error) VALUES (?, ?, ?, ?, ?, ?)",
                [
                    id.into(),
                    (i64::from(tries) + 1).into(),
                    to_millis(outcome.at).into(),
                    outcome.status.map(i64::from).into(),
                    i64::try_from(outcome.duration.as_millis())
                        .unwrap_or(i64::MAX)
                        .into(),
                    outcome.error.clone().into(),
                ],
            );
            transaction.execute_raw(insert.build()).await?;
            Ok(())
        }
        .await;
        finish(transaction, written, |error| error)
            .await
            .map_err(unknown)
    }
}

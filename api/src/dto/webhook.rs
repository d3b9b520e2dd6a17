//! Workspace webhooks on the wire (`/v1/webhooks`, SENDING.md section 7).

use application::ports::{StoredDelivery, StoredTry, StoredWebhook, TryOutcome};
use domain::workspace_webhook::{
    DEFAULT_RETRY_ATTEMPTS, DEFAULT_TIMEOUT_MS, WorkspaceWebhookRequest,
};
use poem_openapi::Object;
use serde::Deserialize;

use crate::dto::timestamp::Timestamp;
use crate::dto::wire::{Int, Required, mapped};
use crate::request_body::{DeclaredBody, DocumentedBody};

/// The body of `POST /v1/webhooks`. Unknown fields are rejected.
#[derive(Debug, Default, Object, Deserialize)]
#[oai(rename = "CreateWebhookRequest", rename_all = "camelCase")]
#[serde(rename_all = "camelCase", default)]
pub struct CreateWebhookRequest {
    /// Trimmed, 1–100 characters.
    #[oai(validator(min_length = 1, max_length = 100))]
    pub name: Required<String>,
    /// An absolute `https` (or `http`) URL that does not point at localhost, loopback, private,
    /// link-local or unspecified addresses (unless the server runs with `--allow-private-webhooks`);
    /// at most 2,048 characters. Checked again, resolved, before every delivery.
    #[oai(validator(max_length = 2048))]
    pub url: Required<String>,
    /// The event types delivered, without repeats: `email.sent`, `email.opened`, `email.clicked`,
    /// `email.replied`, `email.auto_replied`, `email.bounced`, `email.unsubscribed`,
    /// `email.positive_reply`, `lead.replied`, `lead.bounced`, `lead.updated`, `lead.tag_changed`.
    #[oai(validator(min_items = 1, max_items = 12))]
    pub events: Required<Vec<String>>,
    /// Write-only: the signing secret, 8–256 characters. Generated (`whsec_` + 64 hex) when
    /// omitted; shown only in this operation's answer.
    #[oai(validator(min_length = 8, max_length = 256), write_only)]
    pub secret: Option<String>,
    /// Retries after a failed try (default 3), 0–10.
    #[oai(validator(minimum(value = "0"), maximum(value = "10")))]
    pub retry_attempts: Option<Int<u8>>,
    /// How long a try may take, in milliseconds (default 10000), 1,000–30,000.
    #[oai(validator(minimum(value = "1000"), maximum(value = "30000")))]
    pub timeout_ms: Option<Int<u16>>,
}

/// The body of `PATCH /v1/webhooks/{webhookId}`: the fields given replace the stored ones, under
/// the create's rules; the others (the secret too) are kept.
#[derive(Debug, Default, Object, Deserialize)]
#[oai(rename = "UpdateWebhookRequest", rename_all = "camelCase")]
#[serde(rename_all = "camelCase", default)]
pub struct UpdateWebhookRequest {
    /// Trimmed, 1–100 characters.
    #[oai(validator(min_length = 1, max_length = 100))]
    pub name: Option<String>,
    /// As on create.
    #[oai(validator(max_length = 2048))]
    pub url: Option<String>,
    /// Replaces the subscribed event types (as on create).
    #[oai(validator(min_items = 1, max_items = 12))]
    pub events: Option<Vec<String>>,
    /// Write-only: a new signing secret, 8–256 characters.
    #[oai(validator(min_length = 8, max_length = 256), write_only)]
    pub secret: Option<String>,
    /// 0–10.
    #[oai(validator(minimum(value = "0"), maximum(value = "10")))]
    pub retry_attempts: Option<Int<u8>>,
    /// 1,000–30,000.
    #[oai(validator(minimum(value = "1000"), maximum(value = "30000")))]
    pub timeout_ms: Option<Int<u16>>,
}

impl DocumentedBody for CreateWebhookRequest {
    fn example() -> serde_json::Value {
        serde_json::json!({
            "name": "CRM sync",
            "url": "https://hooks.example.com/sendline",
            "events": ["email.replied", "email.bounced"],
            "retryAttempts": 3,
            "timeoutMs": 10000
        })
    }

    fn defaults() -> Vec<(String, serde_json::Value)> {
        vec![(
            <Self as poem_openapi::types::Type>::name().into_owned(),
            serde_json::json!({
                "retryAttempts": DEFAULT_RETRY_ATTEMPTS,
                "timeoutMs": DEFAULT_TIMEOUT_MS,
            }),
        )]
    }
}

impl DocumentedBody for UpdateWebhookRequest {
    fn example() -> serde_json::Value {
        serde_json::json!({"events": ["email.replied", "lead.replied"], "timeoutMs": 5000})
    }
}

impl DeclaredBody for CreateWebhookRequest {
    type Request = WorkspaceWebhookRequest;

    fn into_request(self) -> WorkspaceWebhookRequest {
        self.into()
    }
}

impl DeclaredBody for UpdateWebhookRequest {
    type Request = WorkspaceWebhookRequest;

    fn into_request(self) -> WorkspaceWebhookRequest {
        self.into()
    }
}

mapped! {
    CreateWebhookRequest <=> WorkspaceWebhookRequest {
        name: required,
        url: required,
        events: required,
        secret: same,
        retry_attempts: int,
        timeout_ms: int,
    }
}

mapped! {
    UpdateWebhookRequest <=> WorkspaceWebhookRequest {
        name: same,
        url: same,
        events: same,
        secret: same,
        retry_attempts: int,
        timeout_ms: int,
    }
}

/// A workspace webhook. Its secret is shown only when it is created.
#[derive(Debug, Clone, Object)]
#[oai(rename = "WorkspaceWebhook", rename_all = "camelCase")]
pub struct WebhookBody {
    #[oai(rename = "_id")]
    pub id: String,
    pub workspace_id: String,
    pub name: String,
    pub url: String,
    pub events: Vec<String>,
    /// Always `true`: every webhook signs its deliveries.
    pub has_secret: bool,
    /// The signing secret, in the create's answer only.
    #[oai(skip_serializing_if_is_none)]
    pub secret: Option<String>,
    pub retry_attempts: u32,
    pub timeout_ms: u32,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl WebhookBody {
    pub fn from_stored(webhook: &StoredWebhook) -> Self {
        Self {
            id: webhook.id.clone(),
            workspace_id: webhook.workspace.to_string(),
            name: webhook.name.clone(),
            url: webhook.url.clone(),
            events: webhook.events.clone(),
            has_secret: true,
            secret: None,
            retry_attempts: webhook.retry_attempts,
            timeout_ms: webhook.timeout_ms,
            created_at: webhook.created_at.into(),
            updated_at: webhook.updated_at.into(),
        }
    }
}

/// `DELETE /v1/webhooks/{webhookId}`'s answer.
#[derive(Debug, Clone, Object)]
#[oai(rename = "WebhookDeleted", rename_all = "camelCase")]
pub struct WebhookDeletedBody {
    #[oai(rename = "_id")]
    pub id: String,
    pub deleted: bool,
}

/// What `POST /v1/webhooks/{webhookId}/test` did.
#[derive(Debug, Clone, Object)]
#[oai(rename = "WebhookTest", rename_all = "camelCase")]
pub struct WebhookTestBody {
    /// The receiver's HTTP status; `null` when no answer came.
    pub status_code: Option<u16>,
    /// Whether it answered 2xx.
    pub delivered: bool,
    /// Why not, when it was not delivered.
    #[oai(skip_serializing_if_is_none)]
    pub error: Option<String>,
    pub duration_ms: u64,
}

impl WebhookTestBody {
    pub fn from_outcome(outcome: &TryOutcome) -> Self {
        Self {
            status_code: outcome.status,
            delivered: outcome.delivered(),
            error: outcome.error.clone(),
            duration_ms: u64::try_from(outcome.duration.as_millis()).unwrap_or(u64::MAX),
        }
    }
}

/// One try of a delivery.
#[derive(Debug, Clone, Object)]
#[oai(rename = "WebhookTry", rename_all = "camelCase")]
pub struct WebhookTryBody {
    /// 1 for the first try.
    pub number: u32,
    pub at: Timestamp,
    /// The receiver's HTTP status; `null` when none came (refused address, timeout, no connection).
    pub status_code: Option<u16>,
    pub duration_ms: u64,
    pub error: Option<String>,
}

impl WebhookTryBody {
    fn from_stored(tried: &StoredTry) -> Self {
        Self {
            number: tried.number,
            at: tried.at.into(),
            status_code: tried.status,
            duration_ms: tried.duration_ms,
            error: tried.error.clone(),
        }
    }
}

/// [ext] One delivery of an event to the webhook: the same `id` on every try.
#[derive(Debug, Clone, Object)]
#[oai(rename = "WebhookDelivery", rename_all = "camelCase")]
pub struct WebhookDeliveryBody {
    /// The payload's `id` and `webhook-id`.
    #[oai(rename = "_id")]
    pub id: String,
    pub event_id: String,
    pub event: String,
    pub campaign_id: String,
    /// `pending`, `delivered`, `failed` (every try failed) or `cancelled` (the destination went).
    pub status: String,
    /// When the next try is due, while one is.
    pub next_try_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub tries: Vec<WebhookTryBody>,
}

impl WebhookDeliveryBody {
    pub fn from_stored(delivery: &StoredDelivery) -> Self {
        Self {
            id: delivery.id.clone(),
            event_id: delivery.event_id.clone(),
            event: delivery.event.clone(),
            campaign_id: delivery.campaign_id.clone(),
            status: delivery.state.clone(),
            next_try_at: delivery.next_try_at.map(Timestamp::from),
            created_at: delivery.created_at.into(),
            tries: delivery
                .tries
                .iter()
                .map(WebhookTryBody::from_stored)
                .collect(),
        }
    }
}

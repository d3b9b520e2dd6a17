//! `/v1/webhooks…`: the workspace's webhooks (SENDING.md section 7) — create, list, read, change,
//! delete, send a test delivery, and list the deliveries with their tries.

use std::sync::Arc;

use application::use_cases::webhooks::WebhookError;
use domain::id::ObjectId;
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};
use serde_json::json;

use crate::auth::Tenant;
use crate::body::{JsonBody, refused};
use crate::dto::webhook::{
    CreateWebhookRequest, UpdateWebhookRequest, WebhookBody, WebhookDeletedBody,
    WebhookDeliveryBody, WebhookTestBody,
};
use crate::dto::{Page, PaginationBody, Success};
use crate::error::{ApiError, EXAMPLE_ID, descriptions, error_responses};
use crate::idempotency::IdempotencyKeyHeader;
use crate::location::{self, Created};
use crate::state::AppState;

use super::{ApiTags, limit_param};

/// 404 for the webhook id a path holds.
fn webhook_not_found(id: &str) -> ApiError {
    ApiError::not_found(format!("no webhook {id:?} in this workspace"))
}

/// A path's webhook id; one that is not even well-formed names no webhook: 404.
fn webhook_id(raw: &str) -> Result<String, ApiError> {
    ObjectId::parse(raw)
        .map(|id| id.to_string())
        .map_err(|_| webhook_not_found(raw))
}

/// The answer to a use case's error, naming the path's webhook.
fn naming(id: &str) -> impl Fn(WebhookError) -> ApiError + '_ {
    move |error| match error {
        WebhookError::Invalid(problems) => ApiError::validation(&problems),
        WebhookError::NotFound => webhook_not_found(id),
        WebhookError::Unknown(cause) => ApiError::internal(&cause),
    }
}

error_responses!(
    /// What `POST /v1/webhooks` can answer besides 201.
    CreateWebhookErrors {
        400 => "The body breaks rules of the contract (VALIDATION_FAILED) or is not JSON (MALFORMED_JSON), or the key needs X-Workspace-Id (WORKSPACE_REQUIRED) or was sent twice, differently (CONFLICTING_API_KEYS). An Idempotency-Key that is not 1 to 255 printable ASCII characters is VALIDATION_FAILED."
            => refused::<CreateWebhookRequest>(json!({"name": "CRM", "url": "https://hooks.example.com/in", "events": ["email.replied"], "timeoutMs": "5000", "retries": 2})),
        401 => descriptions::UNAUTHORIZED,
        403 => descriptions::FORBIDDEN_IN_WORKSPACE,
        408 => descriptions::REQUEST_TIMEOUT,
        409 => "A request with this Idempotency-Key is still running (CONFLICT): retry after Retry-After seconds.",
        413 => descriptions::PAYLOAD_TOO_LARGE,
        415 => descriptions::UNSUPPORTED_MEDIA_TYPE,
        422 => descriptions::IDEMPOTENCY_KEY_REUSED,
        500 => descriptions::INTERNAL,
    }
);

error_responses!(
    /// What listing webhooks can answer besides 200.
    ListWebhooksErrors {
        400 => "The key needs X-Workspace-Id (WORKSPACE_REQUIRED) or was sent twice, differently (CONFLICTING_API_KEYS).",
        401 => descriptions::UNAUTHORIZED,
        403 => descriptions::FORBIDDEN_IN_WORKSPACE,
        500 => descriptions::INTERNAL,
    }
);

error_responses!(
    /// What reading, deleting or testing one webhook can answer besides 200.
    WebhookErrors {
        400 => "The key needs X-Workspace-Id (WORKSPACE_REQUIRED) or was sent twice, differently (CONFLICTING_API_KEYS), or a query parameter is not valid (VALIDATION_FAILED).",
        401 => descriptions::UNAUTHORIZED,
        403 => descriptions::FORBIDDEN_IN_WORKSPACE,
        404 => "The workspace has no webhook with this id (NOT_FOUND)."
            => webhook_not_found(EXAMPLE_ID),
        500 => descriptions::INTERNAL,
    }
);

error_responses!(
    /// What `POST /v1/webhooks/{webhookId}/test` can answer besides 200.
    TestWebhookErrors {
        400 => "The key needs X-Workspace-Id (WORKSPACE_REQUIRED) or was sent twice, differently (CONFLICTING_API_KEYS). An Idempotency-Key that is not 1 to 255 printable ASCII characters is VALIDATION_FAILED.",
        401 => descriptions::UNAUTHORIZED,
        403 => descriptions::FORBIDDEN_IN_WORKSPACE,
        404 => "The workspace has no webhook with this id (NOT_FOUND)."
            => webhook_not_found(EXAMPLE_ID),
        409 => "A request with this Idempotency-Key is still running (CONFLICT): retry after Retry-After seconds.",
        422 => descriptions::IDEMPOTENCY_KEY_REUSED,
        500 => descriptions::INTERNAL,
    }
);

error_responses!(
    /// What `PATCH /v1/webhooks/{webhookId}` can answer besides 200.
    UpdateWebhookErrors {
        400 => "The body breaks rules of the contract (VALIDATION_FAILED, every problem listed; nothing was changed), is not JSON (MALFORMED_JSON), or the key needs X-Workspace-Id (WORKSPACE_REQUIRED) or was sent twice, differently (CONFLICTING_API_KEYS)."
            => refused::<UpdateWebhookRequest>(json!({"retryAttempts": "2", "enabled": true})),
        401 => descriptions::UNAUTHORIZED,
        403 => descriptions::FORBIDDEN_IN_WORKSPACE,
        404 => "The workspace has no webhook with this id (NOT_FOUND)."
            => webhook_not_found(EXAMPLE_ID),
        408 => descriptions::REQUEST_TIMEOUT,
        413 => descriptions::PAYLOAD_TOO_LARGE,
        415 => descriptions::UNSUPPORTED_MEDIA_TYPE,
        500 => descriptions::INTERNAL,
    }
);

#[derive(Debug, ApiResponse)]
pub(crate) enum WebhookCreated {
    /// The webhook, with its secret (shown this once).
    #[oai(status = 201)]
    Created(Json<Success<WebhookBody>>),
}

#[derive(Debug, ApiResponse)]
pub(crate) enum WebhookRead {
    /// The webhook (never its secret).
    #[oai(status = 200)]
    Ok(Json<Success<WebhookBody>>),
}

#[derive(Debug, ApiResponse)]
pub(crate) enum WebhooksListed {
    /// Every webhook of the workspace, oldest first.
    #[oai(status = 200)]
    Ok(Json<Page<WebhookBody>>),
}

#[derive(Debug, ApiResponse)]
pub(crate) enum WebhookDeleted {
    /// The webhook, its subscriptions and its deliveries are gone.
    #[oai(status = 200)]
    Ok(Json<Success<WebhookDeletedBody>>),
}

#[derive(Debug, ApiResponse)]
pub(crate) enum WebhookTested {
    /// What the receiver answered to one `webhook.test` delivery.
    #[oai(status = 200)]
    Ok(Json<Success<WebhookTestBody>>),
}

#[derive(Debug, ApiResponse)]
pub(crate) enum WebhookDeliveriesListed {
    /// The newest deliveries, each with its tries.
    #[oai(status = 200)]
    Ok(Json<Page<WebhookDeliveryBody>>),
}

#[derive(Debug)]
pub(crate) struct WebhooksApi;

#[OpenApi(tag = "ApiTags::Webhooks")]
impl WebhooksApi {
    /// Create webhook
    ///
    /// A destination for the workspace's events: each event of a subscribed type is delivered as
    /// a signed POST (`X-Webhook-Signature`, and Standard Webhooks' `webhook-id`,
    /// `webhook-timestamp`, `webhook-signature`), retried with exponential backoff up to
    /// `retryAttempts` times.
    #[oai(path = "/v1/webhooks", method = "post", operation_id = "createWebhook")]
    async fn create(
        &self,
        #[oai(name = "X-Workspace-Id")] tenant: Tenant,
        #[oai(name = "Idempotency-Key")] _idempotency_key: IdempotencyKeyHeader,
        state: Data<&Arc<AppState>>,
        body: JsonBody<CreateWebhookRequest>,
    ) -> Result<Created<WebhookCreated>, CreateWebhookErrors> {
        let order = body.order();
        let (request, edge_problems) = body.read();
        let (webhook, secret) = state
            .webhooks
            .create(tenant.0, &request, edge_problems)
            .await
            .map_err(|error| naming("")(error).in_body_order(&order))?;
        let mut answer = WebhookBody::from_stored(&webhook);
        answer.secret = Some(secret.as_str().to_owned());
        Ok(Created::new(
            WebhookCreated::Created(Json(Success::new(answer))),
            location::created("/v1/webhooks", &webhook.id),
        ))
    }

    /// List webhooks
    ///
    /// Every webhook of the workspace, oldest first (one page holds them all).
    #[oai(path = "/v1/webhooks", method = "get", operation_id = "listWebhooks")]
    async fn list(
        &self,
        #[oai(name = "X-Workspace-Id")] tenant: Tenant,
        state: Data<&Arc<AppState>>,
    ) -> Result<WebhooksListed, ListWebhooksErrors> {
        let webhooks = state.webhooks.list(tenant.0).await.map_err(naming(""))?;
        let total = u64::try_from(webhooks.len()).unwrap_or(u64::MAX);
        let pagination = PaginationBody::new(
            u32::try_from(webhooks.len()).unwrap_or(u32::MAX),
            total,
            false,
            None,
        );
        let data = webhooks.iter().map(WebhookBody::from_stored).collect();
        Ok(WebhooksListed::Ok(Json(Page::new(data, pagination))))
    }

    /// Get webhook
    ///
    /// One webhook of the workspace; its secret is never returned (`hasSecret`).
    #[oai(
        path = "/v1/webhooks/:webhookId",
        method = "get",
        operation_id = "getWebhook"
    )]
    async fn get(
        &self,
        #[oai(name = "X-Workspace-Id")] tenant: Tenant,
        state: Data<&Arc<AppState>>,
        #[oai(name = "webhookId")] id: Path<String>,
    ) -> Result<WebhookRead, WebhookErrors> {
        let webhook = state
            .webhooks
            .get(tenant.0, &webhook_id(&id)?)
            .await
            .map_err(naming(&id))?;
        Ok(WebhookRead::Ok(Json(Success::new(
            WebhookBody::from_stored(&webhook),
        ))))
    }

    /// Update webhook
    ///
    /// The fields given replace the stored ones (the create's rules apply to the result); the
    /// others, the secret included, are kept. Every problem is reported at once; nothing changes
    /// then.
    #[oai(
        path = "/v1/webhooks/:webhookId",
        method = "patch",
        operation_id = "updateWebhook"
    )]
    async fn update(
        &self,
        #[oai(name = "X-Workspace-Id")] tenant: Tenant,
        state: Data<&Arc<AppState>>,
        #[oai(name = "webhookId")] id: Path<String>,
        body: JsonBody<UpdateWebhookRequest>,
    ) -> Result<WebhookRead, UpdateWebhookErrors> {
        let webhook = webhook_id(&id)?;
        let order = body.order();
        let (request, edge_problems) = body.read();
        let updated = state
            .webhooks
            .update(tenant.0, &webhook, &request, edge_problems)
            .await
            .map_err(|error| naming(&id)(error).in_body_order(&order))?;
        Ok(WebhookRead::Ok(Json(Success::new(
            WebhookBody::from_stored(&updated),
        ))))
    }

    /// Delete webhook
    ///
    /// Removes the webhook, its subscriptions and its deliveries (pending ones are not made).
    #[oai(
        path = "/v1/webhooks/:webhookId",
        method = "delete",
        operation_id = "deleteWebhook"
    )]
    async fn delete(
        &self,
        #[oai(name = "X-Workspace-Id")] tenant: Tenant,
        state: Data<&Arc<AppState>>,
        #[oai(name = "webhookId")] id: Path<String>,
    ) -> Result<WebhookDeleted, WebhookErrors> {
        let webhook = webhook_id(&id)?;
        state
            .webhooks
            .delete(tenant.0, &webhook)
            .await
            .map_err(naming(&id))?;
        Ok(WebhookDeleted::Ok(Json(Success::new(WebhookDeletedBody {
            id: webhook,
            deleted: true,
        }))))
    }

    /// Test webhook
    ///
    /// Sends one signed `webhook.test` delivery now (the address checked as for every delivery)
    /// and tells what the receiver answered. Not retried, not recorded.
    #[oai(
        path = "/v1/webhooks/:webhookId/test",
        method = "post",
        operation_id = "testWebhook"
    )]
    async fn test(
        &self,
        #[oai(name = "X-Workspace-Id")] tenant: Tenant,
        #[oai(name = "Idempotency-Key")] _idempotency_key: IdempotencyKeyHeader,
        state: Data<&Arc<AppState>>,
        #[oai(name = "webhookId")] id: Path<String>,
    ) -> Result<WebhookTested, TestWebhookErrors> {
        let outcome = state
            .webhooks
            .test(tenant.0, &webhook_id(&id)?)
            .await
            .map_err(naming(&id))?;
        Ok(WebhookTested::Ok(Json(Success::new(
            WebhookTestBody::from_outcome(&outcome),
        ))))
    }

    /// List webhook deliveries
    ///
    /// [ext] The webhook's newest deliveries (`limit`, default 25, 1–100), each with every try:
    /// its time, HTTP status, duration and error.
    #[oai(
        path = "/v1/webhooks/:webhookId/deliveries",
        method = "get",
        operation_id = "listWebhookDeliveries"
    )]
    async fn deliveries(
        &self,
        #[oai(name = "X-Workspace-Id")] tenant: Tenant,
        state: Data<&Arc<AppState>>,
        #[oai(name = "webhookId")] id: Path<String>,
        /// How many deliveries, 1–100 (default 25).
        limit: Query<Option<i64>>,
    ) -> Result<WebhookDeliveriesListed, WebhookErrors> {
        let webhook = webhook_id(&id)?;
        let limit = limit_param(limit.0)?;
        let deliveries = state
            .webhooks
            .deliveries(tenant.0, &webhook, limit.get() as usize)
            .await
            .map_err(naming(&id))?;
        let pagination = PaginationBody::new(
            limit.get(),
            u64::try_from(deliveries.len()).unwrap_or(u64::MAX),
            false,
            None,
        );
        let data = deliveries
            .iter()
            .map(WebhookDeliveryBody::from_stored)
            .collect();
        Ok(WebhookDeliveriesListed::Ok(Json(Page::new(
            data, pagination,
        ))))
    }
}

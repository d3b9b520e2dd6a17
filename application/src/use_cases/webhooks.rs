//! The workspace's webhooks (`/v1/webhooks`, SENDING.md section 7): create, list, read, update,
//! delete, their deliveries, and a test delivery. The signing secret is sealed before it is stored
//! and shown only in the create's answer.

use std::sync::Arc;
use std::time::Duration;

use domain::credential::Credential;
use domain::problem::Problems;
use domain::values::{WebhookHostPolicy, WebhookSecret};
use domain::workspace_webhook::{WorkspaceWebhook, WorkspaceWebhookRequest};

use crate::ports::{
    Clock, CredentialCipher, IdGenerator, RepositoryError, SecretGenerator, StoredDelivery,
    StoredWebhook, TryOutcome, WebhookRepository,
};
use crate::tenancy::Tenancy;
use crate::use_cases::deliver_webhooks::{DeliverWebhooks, TryTarget};

/// What can go wrong with a webhook request.
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    #[error("{0}")]
    Invalid(Problems),
    #[error("no such webhook in this workspace")]
    NotFound,
    #[error(transparent)]
    Unknown(anyhow::Error),
}

impl From<RepositoryError> for WebhookError {
    fn from(error: RepositoryError) -> Self {
        WebhookError::Unknown(error.into())
    }
}

/// The use cases of `/v1/webhooks`.
#[derive(Clone)]
pub struct Webhooks {
    pub repository: Arc<dyn WebhookRepository>,
    pub cipher: Arc<dyn CredentialCipher>,
    pub secrets: Arc<dyn SecretGenerator>,
    pub ids: Arc<dyn IdGenerator>,
    pub clock: Arc<dyn Clock>,
    /// `--allow-private-webhooks`, for the URL given.
    pub hosts: WebhookHostPolicy,
    /// Makes the test delivery.
    pub deliver: DeliverWebhooks,
}

impl std::fmt::Debug for Webhooks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Webhooks").finish_non_exhaustive()
    }
}

impl Webhooks {
    /// Stores a new webhook; its secret (the one given, or a new `whsec_…`) is answered once.
    pub async fn create(
        &self,
        tenancy: Tenancy,
        request: &WorkspaceWebhookRequest,
        edge_problems: Problems,
    ) -> Result<(StoredWebhook, WebhookSecret), WebhookError> {
        let webhook = edge_problems
            .ahead_of(WorkspaceWebhook::parse(request, self.hosts))
            .map_err(WebhookError::Invalid)?;
        let secret = webhook
            .secret()
            .cloned()
            .unwrap_or_else(|| self.secrets.webhook_secret());
        let now = self.clock.now();
        let stored = StoredWebhook {
            id: self.ids.new_id().to_string(),
            workspace: tenancy.workspace_id,
            name: webhook.name().to_owned(),
            url: webhook.url().as_str().to_owned(),
            events: webhook.events().to_vec(),
            secret: self.cipher.seal(&Credential::new(secret.as_str())),
            retry_attempts: webhook.retry_attempts(),
            timeout_ms: webhook.timeout_ms(),
            created_at: now,
            updated_at: now,
        };
        self.repository.insert(&stored).await?;
        Ok((stored, secret))
    }

    pub async fn list(&self, tenancy: Tenancy) -> Result<Vec<StoredWebhook>, WebhookError> {
        Ok(self.repository.list(tenancy.workspace_id).await?)
    }

    pub async fn get(&self, tenancy: Tenancy, id: &str) -> Result<StoredWebhook, WebhookError> {
        self.repository
            .find(tenancy.workspace_id, id)
            .await?
            .ok_or(WebhookError::NotFound)
    }

    /// Merges `patch` over the stored webhook (an absent field keeps its value, the secret too)
    /// and stores the result when it is valid.
    pub async fn update(
        &self,
        tenancy: Tenancy,
        id: &str,
        patch: &WorkspaceWebhookRequest,
        edge_problems: Problems,
    ) -> Result<StoredWebhook, WebhookError> {
        let stored = self.get(tenancy, id).await?;
        let merged = WorkspaceWebhookRequest {
            name: patch.name.clone().or_else(|| Some(stored.name.clone())),
            url: patch.url.clone().or_else(|| Some(stored.url.clone())),
            events: patch.events.clone().or_else(|| Some(stored.events.clone())),
            secret: patch.secret.clone(),
            retry_attempts: patch
                .retry_attempts
                .or(Some(i64::from(stored.retry_attempts))),
            timeout_ms: patch.timeout_ms.or(Some(i64::from(stored.timeout_ms))),
        };
        let webhook = edge_problems
            .ahead_of(WorkspaceWebhook::parse(&merged, self.hosts))
            .map_err(WebhookError::Invalid)?;
        let updated = StoredWebhook {
            name: webhook.name().to_owned(),
            url: webhook.url().as_str().to_owned(),
            events: webhook.events().to_vec(),
            secret: match webhook.secret() {
                Some(secret) => self.cipher.seal(&Credential::new(secret.as_str())),
                None => stored.secret.clone(),
            },
            retry_attempts: webhook.retry_attempts(),
            timeout_ms: webhook.timeout_ms(),
            updated_at: self.clock.now(),
            ..stored
        };
        if self.repository.update(&updated).await? {
            Ok(updated)
        } else {
            Err(WebhookError::NotFound)
        }
    }

    pub async fn delete(&self, tenancy: Tenancy, id: &str) -> Result<(), WebhookError> {
        if self.repository.delete(tenancy.workspace_id, id).await? {
            Ok(())
        } else {
            Err(WebhookError::NotFound)
        }
    }

    pub async fn deliveries(
        &self,
        tenancy: Tenancy,
        id: &str,
        limit: usize,
    ) -> Result<Vec<StoredDelivery>, WebhookError> {
        self.get(tenancy, id).await?;
        Ok(self
            .repository
            .deliveries(tenancy.workspace_id, id, limit)
            .await?)
    }

    /// One `webhook.test` delivery to the webhook, now, signed and checked like any other; not
    /// retried, not recorded.
    pub async fn test(&self, tenancy: Tenancy, id: &str) -> Result<TryOutcome, WebhookError> {
        let webhook = self.get(tenancy, id).await?;
        let secret = self
            .cipher
            .open(&webhook.secret)
            .map_err(|unreadable| WebhookError::Unknown(unreadable.into()))?;
        let delivery = format!("test_{}", self.ids.new_id());
        let timestamp = self
            .clock
            .now()
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        // Every value is an id, a fixed word or a timestamp: nothing to escape.
        let body = format!(
            r#"{{"id":"{delivery}","event":"webhook.test","timestamp":"{timestamp}","workspaceId":"{}","data":{{"webhookId":"{}"}}}}"#,
            webhook.workspace, webhook.id
        );
        Ok(self
            .deliver
            .try_once(&TryTarget {
                id: &delivery,
                event: "webhook.test",
                body: &body,
                url: &webhook.url,
                secret: secret.expose(),
                timeout: Duration::from_millis(u64::from(webhook.timeout_ms)),
            })
            .await)
    }
}

//! The operations: each reads its body raw, lets `json_body` report the shape problems, hands both to
//! its use case, and maps the outcome onto the wire.

use std::sync::Arc;

use application::use_cases::create_agent::CreateAgentError;
use application::use_cases::create_campaign::CreateCampaignError;
use application::use_cases::register_mailbox::RegisterMailboxError;
use poem::web::Data;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi, Tags};

use crate::app::AppState;
use crate::auth::Tenant;
use crate::body::JsonBody;
use crate::dto::Success;
use crate::dto::agent::{AgentBody, CreateAgentRequest};
use crate::dto::campaign::{CampaignBody, SecretDisclosure};
use crate::dto::campaign_input::CreateCampaignRequest;
use crate::dto::mailbox::{MailboxBody, RegisterMailboxRequest};
use crate::error::{ApiError, error_responses};
use crate::json_body;

#[derive(Debug, Tags)]
pub enum ApiTags {
    /// Outreach campaigns.
    Campaigns,
    /// Sending mailboxes.
    Mailboxes,
    /// AI reply agents.
    Agents,
    /// Liveness and readiness.
    Health,
}

error_responses!(
    /// What `POST /v1/campaigns` can answer besides 201.
    CreateCampaignErrors {
        400 => "The body breaks rules of the contract (VALIDATION_FAILED, every problem listed), is not JSON (MALFORMED_JSON), names mailboxes or an agent the workspace does not have (MAILBOX_NOT_FOUND, AGENT_NOT_FOUND), or the key needs X-Workspace-Id (WORKSPACE_REQUIRED) or was sent twice, differently (CONFLICTING_API_KEYS).",
        401 => "No API key, or not a valid one (UNAUTHORIZED).",
        403 => "The key may not act in the named workspace (FORBIDDEN).",
        413 => "The body is larger than 1 MiB (PAYLOAD_TOO_LARGE).",
        415 => "The body is not application/json (UNSUPPORTED_MEDIA_TYPE).",
        500 => "Something unexpected; logged under the response's X-Request-Id (INTERNAL).",
    }
);

error_responses!(
    /// What `POST /v1/mailboxes` can answer besides 201.
    RegisterMailboxErrors {
        400 => "The body breaks rules of the contract (VALIDATION_FAILED) or is not JSON (MALFORMED_JSON), or the key needs X-Workspace-Id (WORKSPACE_REQUIRED) or was sent twice, differently (CONFLICTING_API_KEYS).",
        401 => "No API key, or not a valid one (UNAUTHORIZED).",
        403 => "The key may not act in the named workspace (FORBIDDEN).",
        409 => "The workspace already has a mailbox with this address (CONFLICT).",
        413 => "The body is larger than 1 MiB (PAYLOAD_TOO_LARGE).",
        415 => "The body is not application/json (UNSUPPORTED_MEDIA_TYPE).",
        500 => "Something unexpected; logged under the response's X-Request-Id (INTERNAL).",
    }
);

error_responses!(
    /// What `POST /v1/agents` can answer besides 201.
    CreateAgentErrors {
        400 => "The body breaks rules of the contract (VALIDATION_FAILED) or is not JSON (MALFORMED_JSON), or the key needs X-Workspace-Id (WORKSPACE_REQUIRED) or was sent twice, differently (CONFLICTING_API_KEYS).",
        401 => "No API key, or not a valid one (UNAUTHORIZED).",
        403 => "The key may not act in the named workspace (FORBIDDEN).",
        409 => "The workspace already has 3 agents (CONFLICT).",
        413 => "The body is larger than 1 MiB (PAYLOAD_TOO_LARGE).",
        415 => "The body is not application/json (UNSUPPORTED_MEDIA_TYPE).",
        500 => "Something unexpected; logged under the response's X-Request-Id (INTERNAL).",
    }
);

error_responses!(
    /// What `GET /readyz` can answer besides 200.
    ReadinessErrors {
        503 => "The database does not answer (SERVICE_UNAVAILABLE).",
        500 => "Something unexpected (INTERNAL).",
    }
);

#[derive(Debug, ApiResponse)]
pub enum CampaignCreated {
    /// The campaign, in `draft`, with every field; the webhook secret in full (this once).
    #[oai(status = 201)]
    Created(Json<Success<CampaignBody>>),
}

#[derive(Debug, ApiResponse)]
pub enum MailboxRegistered {
    /// The mailbox, `active`.
    #[oai(status = 201)]
    Created(Json<Success<MailboxBody>>),
}

#[derive(Debug, ApiResponse)]
pub enum AgentCreated {
    /// The agent; the workspace's first is its default.
    #[oai(status = 201)]
    Created(Json<Success<AgentBody>>),
}

/// What the health endpoints answer.
#[derive(Debug, Clone, Object)]
#[oai(rename = "Health", rename_all = "camelCase")]
pub struct HealthBody {
    /// `ok`.
    pub status: String,
}

#[derive(Debug, ApiResponse)]
pub enum Healthy {
    /// The process answers (liveness), or the database answers too (readiness).
    #[oai(status = 200)]
    Ok(Json<Success<HealthBody>>),
}

impl Healthy {
    fn ok() -> Self {
        Self::Ok(Json(Success::new(HealthBody {
            status: "ok".to_owned(),
        })))
    }
}

#[derive(Debug)]
pub struct CampaignsApi;

#[OpenApi(tag = "ApiTags::Campaigns")]
impl CampaignsApi {
    /// Create campaign
    ///
    /// Create a new campaign in `draft` status. Only `name` is required; everything else has a
    /// default. The whole request is validated before anything is written, and every problem is
    /// reported together, each with a JSON Pointer into the body. Mailboxes can be assigned with any
    /// combination of `mailboxes`/`mailboxIds` (ids), `mailboxEmails` (addresses), `mailboxTags` (every
    /// mailbox having any of these tags) and `mailboxProvider` (every mailbox of this provider).
    #[oai(
        path = "/v1/campaigns",
        method = "post",
        operation_id = "createCampaign"
    )]
    async fn create(
        &self,
        #[oai(name = "X-Workspace-Id")] tenant: Tenant,
        state: Data<&Arc<AppState>>,
        body: JsonBody<CreateCampaignRequest>,
    ) -> Result<CampaignCreated, CreateCampaignErrors> {
        let (request, edge_problems) = json_body::campaign_request(body.value());
        let campaign = state
            .create_campaign
            .execute(tenant.0, &request, edge_problems)
            .await
            .map_err(|error| match error {
                CreateCampaignError::Invalid(problems) => ApiError::validation(&problems),
                CreateCampaignError::MailboxNotFound(problems) => {
                    ApiError::mailbox_not_found(&problems)
                }
                CreateCampaignError::AgentNotFound(problems) => {
                    ApiError::agent_not_found(&problems)
                }
                CreateCampaignError::Unknown(cause) => ApiError::internal(&cause),
            })?;
        tracing::info!(campaign = %campaign.id(), "campaign created");
        Ok(CampaignCreated::Created(Json(Success::new(
            CampaignBody::from_domain(&campaign, SecretDisclosure::Full),
        ))))
    }
}

#[derive(Debug)]
pub struct MailboxesApi;

#[OpenApi(tag = "ApiTags::Mailboxes")]
impl MailboxesApi {
    /// Register mailbox
    ///
    /// [ext] Register a sending mailbox in the workspace. Its address is unique per workspace,
    /// compared case-insensitively.
    #[oai(
        path = "/v1/mailboxes",
        method = "post",
        operation_id = "registerMailbox"
    )]
    async fn register(
        &self,
        #[oai(name = "X-Workspace-Id")] tenant: Tenant,
        state: Data<&Arc<AppState>>,
        body: JsonBody<RegisterMailboxRequest>,
    ) -> Result<MailboxRegistered, RegisterMailboxErrors> {
        let (request, edge_problems) = json_body::mailbox_request(body.value());
        let mailbox = state
            .register_mailbox
            .execute(tenant.0, &request, edge_problems)
            .await
            .map_err(|error| match error {
                RegisterMailboxError::Invalid(problems) => ApiError::validation(&problems),
                RegisterMailboxError::EmailTaken(problem) => {
                    ApiError::conflict(problem.message(), [&problem])
                }
                RegisterMailboxError::Unknown(cause) => ApiError::internal(&cause),
            })?;
        Ok(MailboxRegistered::Created(Json(Success::new(
            MailboxBody::from_domain(&mailbox),
        ))))
    }
}

#[derive(Debug)]
pub struct AgentsApi;

#[OpenApi(tag = "ApiTags::Agents")]
impl AgentsApi {
    /// Create agent
    ///
    /// Create an AI reply agent. A workspace has at most 3; its first is the default, used by campaigns
    /// that enable the agent without naming one.
    #[oai(path = "/v1/agents", method = "post", operation_id = "createAgent")]
    async fn create(
        &self,
        #[oai(name = "X-Workspace-Id")] tenant: Tenant,
        state: Data<&Arc<AppState>>,
        body: JsonBody<CreateAgentRequest>,
    ) -> Result<AgentCreated, CreateAgentErrors> {
        let (request, edge_problems) = json_body::agent_request(body.value());
        let agent = state
            .create_agent
            .execute(tenant.0, &request, edge_problems)
            .await
            .map_err(|error| match error {
                CreateAgentError::Invalid(problems) => ApiError::validation(&problems),
                CreateAgentError::LimitReached => ApiError::conflict(error.to_string(), []),
                CreateAgentError::Unknown(cause) => ApiError::internal(&cause),
            })?;
        Ok(AgentCreated::Created(Json(Success::new(
            AgentBody::from_domain(&agent),
        ))))
    }
}

#[derive(Debug)]
pub struct HealthApi;

#[OpenApi(tag = "ApiTags::Health")]
impl HealthApi {
    /// Liveness
    ///
    /// [ext] 200 while the process serves requests; it does not look at the database.
    #[oai(path = "/healthz", method = "get", operation_id = "liveness")]
    async fn liveness(&self) -> Healthy {
        Healthy::ok()
    }

    /// Readiness
    ///
    /// [ext] 200 when the database answers, else 503: take the instance out of the load balancer.
    #[oai(path = "/readyz", method = "get", operation_id = "readiness")]
    async fn readiness(&self, state: Data<&Arc<AppState>>) -> Result<Healthy, ReadinessErrors> {
        match state.readiness.ping().await {
            Ok(()) => Ok(Healthy::ok()),
            Err(cause) => {
                Err(ApiError::unavailable("the database does not answer", &cause.into()).into())
            }
        }
    }
}

//! `/v1/agents`: the workspace's AI reply agents.

use std::sync::Arc;

use domain::agent::MAX_AGENTS_PER_WORKSPACE;
use poem::web::Data;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};
use serde_json::json;

use crate::auth::Tenant;
use crate::body::{JsonBody, refused};
use crate::dto::agent::{AgentBody, CreateAgentRequest};
use crate::dto::{Page, PaginationBody, Success};
use crate::error::{ApiError, descriptions, error_responses};
use crate::idempotency::IdempotencyKeyHeader;
use crate::location::{self, Created};
use crate::state::AppState;

use super::ApiTags;

error_responses!(
    /// What `POST /v1/agents` can answer besides 201.
    CreateAgentErrors {
        400 => "The body breaks rules of the contract (VALIDATION_FAILED) or is not JSON (MALFORMED_JSON), or the key needs X-Workspace-Id (WORKSPACE_REQUIRED) or was sent twice, differently (CONFLICTING_API_KEYS). An Idempotency-Key that is not 1 to 255 printable ASCII characters is VALIDATION_FAILED."
            => refused::<CreateAgentRequest>(json!({"name": 42, "persona": {"tone": "friendly", "voice": "warm"}})),
        401 => descriptions::UNAUTHORIZED,
        403 => descriptions::FORBIDDEN_IN_WORKSPACE,
        408 => descriptions::REQUEST_TIMEOUT,
        409 => "The workspace already has 3 agents (CONFLICT). Or a request with this Idempotency-Key is still running (CONFLICT): retry after Retry-After seconds.",
        413 => descriptions::PAYLOAD_TOO_LARGE,
        415 => descriptions::UNSUPPORTED_MEDIA_TYPE,
        422 => descriptions::IDEMPOTENCY_KEY_REUSED,
        500 => descriptions::INTERNAL,
    }
);

error_responses!(
    /// What `GET /v1/agents` can answer besides 200.
    ListAgentsErrors {
        400 => "The key needs X-Workspace-Id (WORKSPACE_REQUIRED) or was sent twice, differently (CONFLICTING_API_KEYS).",
        401 => descriptions::UNAUTHORIZED,
        403 => descriptions::FORBIDDEN_IN_WORKSPACE,
        500 => descriptions::INTERNAL,
    }
);

#[derive(Debug, ApiResponse)]
pub(crate) enum AgentsListed {
    /// Every agent of the workspace, the default (oldest) first; one page always holds them all.
    #[oai(status = 200)]
    Ok(Json<Page<AgentBody>>),
}

#[derive(Debug, ApiResponse)]
pub(crate) enum AgentCreated {
    /// The agent; the workspace's first is its default.
    #[oai(status = 201)]
    Created(Json<Success<AgentBody>>),
}

#[derive(Debug)]
pub(crate) struct AgentsApi;

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
        #[oai(name = "Idempotency-Key")] _idempotency_key: IdempotencyKeyHeader,
        state: Data<&Arc<AppState>>,
        body: JsonBody<CreateAgentRequest>,
    ) -> Result<Created<AgentCreated>, CreateAgentErrors> {
        let order = body.order();
        let (request, edge_problems) = body.read();
        let agent = state
            .create_agent
            .execute(tenant.0, &request, edge_problems)
            .await
            .map_err(|error| ApiError::from(error).in_body_order(&order))?;
        Ok(Created::new(
            AgentCreated::Created(Json(Success::new(AgentBody::from_domain(&agent)))),
            location::created("/v1/agents", agent.id()),
        ))
    }

    /// List agents
    ///
    /// The workspace's AI reply agents, the default (its first) first. A workspace has at most 3, so
    /// one page always holds them all.
    #[oai(path = "/v1/agents", method = "get", operation_id = "listAgents")]
    async fn list(
        &self,
        #[oai(name = "X-Workspace-Id")] tenant: Tenant,
        state: Data<&Arc<AppState>>,
    ) -> Result<AgentsListed, ListAgentsErrors> {
        let agents = state
            .list_agents
            .execute(tenant.0)
            .await
            .map_err(ApiError::from)?;
        let pagination = PaginationBody::new(
            u32::try_from(MAX_AGENTS_PER_WORKSPACE).unwrap_or(u32::MAX),
            u64::try_from(agents.len()).unwrap_or(u64::MAX),
            false,
            None,
        );
        let data = agents.iter().map(AgentBody::from_domain).collect();
        Ok(AgentsListed::Ok(Json(Page::new(data, pagination))))
    }
}

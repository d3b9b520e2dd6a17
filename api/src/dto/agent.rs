//! AI reply agents on the wire (`POST /v1/agents`).

use domain::agent::Agent;
use domain::request::{AgentRequest, CompanyInfoRequest, PersonaRequest};
use poem_openapi::Object;
use serde::Deserialize;

use crate::dto::timestamp::Timestamp;
use crate::dto::wire::{Required, mapped};
use crate::request_body::{DeclaredBody, DocumentedBody};

/// The body of `POST /v1/agents`: at most 3 agents per workspace; the first is the default. Unknown
/// fields are rejected.
#[derive(Debug, Default, Object, Deserialize)]
#[oai(rename = "CreateAgentRequest", rename_all = "camelCase")]
#[serde(rename_all = "camelCase", default)]
pub struct CreateAgentRequest {
    /// Trimmed, 1–100 characters.
    #[oai(validator(min_length = 1, max_length = 100))]
    pub name: Required<String>,
    pub company_info: Option<CompanyInfoInput>,
    pub persona: Option<PersonaInput>,
}

/// What the agent knows about the company it answers for.
#[derive(Debug, Default, Object, Deserialize)]
#[oai(rename = "CompanyInfoInput", rename_all = "camelCase")]
#[serde(rename_all = "camelCase", default)]
pub struct CompanyInfoInput {
    /// At most 200 characters.
    #[oai(validator(max_length = 200))]
    pub name: Option<String>,
    /// At most 5,000 characters.
    #[oai(validator(max_length = 5000))]
    pub description: Option<String>,
}

/// How the agent writes.
#[derive(Debug, Default, Object, Deserialize)]
#[oai(rename = "PersonaInput", rename_all = "camelCase")]
#[serde(rename_all = "camelCase", default)]
pub struct PersonaInput {
    /// At most 200 characters.
    #[oai(validator(max_length = 200))]
    pub tone: Option<String>,
    /// At most 200 characters.
    #[oai(validator(max_length = 200))]
    pub role: Option<String>,
    /// At most 200 characters.
    #[oai(validator(max_length = 200))]
    pub communication_style: Option<String>,
    /// At most 5,000 characters.
    #[oai(validator(max_length = 5000))]
    pub custom_instructions: Option<String>,
}

impl DocumentedBody for CreateAgentRequest {
    fn example() -> serde_json::Value {
        serde_json::json!({
            "name": "Sales assistant",
            "companyInfo": {
                "name": "Your Company",
                "description": "Outbound tooling that helps B2B sales teams cut prospecting costs."
            },
            "persona": {
                "tone": "friendly",
                "role": "Account Executive",
                "communicationStyle": "short and direct",
                "customInstructions": "Offer a 20-minute call; never discuss pricing by email."
            }
        })
    }
}

impl DeclaredBody for CreateAgentRequest {
    type Request = AgentRequest;

    fn into_request(self) -> AgentRequest {
        self.into()
    }
}

mapped! {
    CreateAgentRequest <=> AgentRequest {
        name: required,
        company_info: nested,
        persona: nested,
    }
}

mapped! {
    CompanyInfoInput <=> CompanyInfoRequest {
        name: same,
        description: same,
    }
}

mapped! {
    PersonaInput <=> PersonaRequest {
        tone: same,
        role: same,
        communication_style: same,
        custom_instructions: same,
    }
}

/// An AI reply agent.
#[derive(Debug, Clone, Object)]
#[oai(rename = "Agent", rename_all = "camelCase")]
pub struct AgentBody {
    #[oai(rename = "_id")]
    pub id: String,
    pub workspace_id: String,
    pub name: String,
    pub company_info: CompanyInfoBody,
    pub persona: PersonaBody,
    /// The workspace's first agent is its default.
    pub is_default: bool,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, Object)]
#[oai(rename = "CompanyInfo", rename_all = "camelCase")]
pub struct CompanyInfoBody {
    #[oai(nullable)]
    pub name: Option<String>,
    #[oai(nullable)]
    pub description: Option<String>,
}

#[derive(Debug, Clone, Object)]
#[oai(rename = "Persona", rename_all = "camelCase")]
pub struct PersonaBody {
    #[oai(nullable)]
    pub tone: Option<String>,
    #[oai(nullable)]
    pub role: Option<String>,
    #[oai(nullable)]
    pub communication_style: Option<String>,
    #[oai(nullable)]
    pub custom_instructions: Option<String>,
}

impl AgentBody {
    pub fn from_domain(agent: &Agent) -> Self {
        let fields = agent.fields();
        let company = fields.company_info();
        let persona = fields.persona();
        Self {
            id: agent.id().to_string(),
            workspace_id: agent.workspace_id().to_string(),
            name: fields.name().to_owned(),
            company_info: CompanyInfoBody {
                name: company.name.clone(),
                description: company.description.clone(),
            },
            persona: PersonaBody {
                tone: persona.tone.clone(),
                role: persona.role.clone(),
                communication_style: persona.communication_style.clone(),
                custom_instructions: persona.custom_instructions.clone(),
            },
            is_default: agent.is_default(),
            created_at: agent.created_at().into(),
        }
    }
}

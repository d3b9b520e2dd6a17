//! AI reply agents: at most three per workspace, the first being the default.

use chrono::{DateTime, Utc};

use crate::id::{AgentId, WorkspaceId};
use crate::problem::{JsonPointer, Problems};
use crate::request::AgentRequest;
use crate::text::{Lines, required_trimmed, stored_text};

/// A workspace has at most this many agents.
pub const MAX_AGENTS_PER_WORKSPACE: usize = 3;
const MAX_NAME_CHARS: usize = 100;
const MAX_SHORT_TEXT_CHARS: usize = 200;
const MAX_LONG_TEXT_CHARS: usize = 5_000;

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CompanyInfo {
    pub name: Option<String>,
    pub description: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Persona {
    pub tone: Option<String>,
    pub role: Option<String>,
    pub communication_style: Option<String>,
    pub custom_instructions: Option<String>,
}

/// What a client decides about an agent, valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentFields {
    name: String,
    company_info: CompanyInfo,
    persona: Persona,
}

impl AgentFields {
    /// Parses a create-agent request: `name` required (1–100); the other texts optional, names and tones
    /// at most 200 characters, descriptions and instructions at most 5,000. No text holds a control
    /// character.
    pub fn parse(request: &AgentRequest) -> Result<AgentFields, Problems> {
        let root = JsonPointer::root();
        let mut problems = Problems::new();
        let name = problems.check(
            required_trimmed(request.name.as_deref(), "name", MAX_NAME_CHARS),
            root.field("name"),
        );
        let mut text = |raw: &Option<String>, at: JsonPointer, field: &str, max: usize| match raw {
            None => None,
            Some(value) => {
                problems.check(stored_text(value, field, max, Lines::One), at);
                Some(value.clone())
            }
        };
        let company = request.company_info.clone().unwrap_or_default();
        let company_at = root.field("companyInfo");
        let company_info = CompanyInfo {
            name: text(
                &company.name,
                company_at.field("name"),
                "name",
                MAX_SHORT_TEXT_CHARS,
            ),
            description: text(
                &company.description,
                company_at.field("description"),
                "description",
                MAX_LONG_TEXT_CHARS,
            ),
        };
        let persona = request.persona.clone().unwrap_or_default();
        let persona_at = root.field("persona");
        let persona = Persona {
            tone: text(
                &persona.tone,
                persona_at.field("tone"),
                "tone",
                MAX_SHORT_TEXT_CHARS,
            ),
            role: text(
                &persona.role,
                persona_at.field("role"),
                "role",
                MAX_SHORT_TEXT_CHARS,
            ),
            communication_style: text(
                &persona.communication_style,
                persona_at.field("communicationStyle"),
                "communicationStyle",
                MAX_SHORT_TEXT_CHARS,
            ),
            custom_instructions: text(
                &persona.custom_instructions,
                persona_at.field("customInstructions"),
                "customInstructions",
                MAX_LONG_TEXT_CHARS,
            ),
        };
        match name {
            Some(name) if problems.is_empty() => Ok(AgentFields {
                name,
                company_info,
                persona,
            }),
            _ => Err(problems),
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn company_info(&self) -> &CompanyInfo {
        &self.company_info
    }

    pub fn persona(&self) -> &Persona {
        &self.persona
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agent {
    id: AgentId,
    workspace_id: WorkspaceId,
    fields: AgentFields,
    is_default: bool,
    created_at: DateTime<Utc>,
}

impl Agent {
    /// An agent as stored; `is_default` is decided where the workspace's agents are counted.
    pub fn new(
        id: AgentId,
        workspace_id: WorkspaceId,
        fields: AgentFields,
        is_default: bool,
        created_at: DateTime<Utc>,
    ) -> Self {
        Self {
            id,
            workspace_id,
            fields,
            is_default,
            created_at,
        }
    }

    pub fn id(&self) -> AgentId {
        self.id
    }
    pub fn workspace_id(&self) -> WorkspaceId {
        self.workspace_id
    }
    pub fn fields(&self) -> &AgentFields {
        &self.fields
    }
    pub fn is_default(&self) -> bool {
        self.is_default
    }
    pub fn created_at(&self) -> DateTime<Utc> {
        self.created_at
    }
}

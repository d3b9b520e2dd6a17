//! `AgentRepository` on the `agents` table: a workspace's AI agents. An insert counts, checks the
//! workspace's limit and picks the default in one write transaction that no other agent insert of the
//! workspace can interleave with.

use application::ports::{AgentInsertError, AgentRepository, RepositoryError};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::agent::{Agent, AgentFields};
use domain::id::{AgentId, WorkspaceId};
use domain::request::{AgentRequest, CompanyInfoRequest, PersonaRequest};
use sea_orm::sea_query::LockType;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseTransaction, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
};

use super::values::parse_id;
use crate::database::pools::{Backend, Pools, finish};
use crate::entities::{agent, workspace};
use crate::error::{OrUnknown, corrupt_row, describe, duplicate_id, repository_error, unknown};
use crate::time::{from_millis, to_millis};

const TABLE: &str = "agents";

pub(crate) struct SqlAgentRepository {
    pools: Pools,
}

impl SqlAgentRepository {
    pub(crate) fn new(pools: Pools) -> Self {
        Self { pools }
    }
}

#[async_trait]
impl AgentRepository for SqlAgentRepository {
    /// Counting and inserting happen in one write transaction that no other agent insert of the
    /// workspace can interleave with: on SQLite every write transaction is `BEGIN IMMEDIATE` on the
    /// single writer connection; on PostgreSQL the transaction first locks the workspace's row
    /// (`FOR NO KEY UPDATE`, which does not block foreign-key checks of other inserts into the
    /// workspace). The partial unique index on the default flag backs the "first is default" rule.
    async fn insert(
        &self,
        id: AgentId,
        workspace: WorkspaceId,
        fields: &AgentFields,
        created_at: DateTime<Utc>,
        limit: usize,
    ) -> Result<Agent, AgentInsertError> {
        let transaction = self.pools.begin_write().await.or_unknown()?;
        let stored = insert_within_limit(
            &self.pools,
            &transaction,
            id,
            workspace,
            fields,
            created_at,
            limit,
        )
        .await;
        let is_default = finish(transaction, stored, |error| unknown(error).into()).await?;
        Ok(Agent::new(
            id,
            workspace,
            fields.clone(),
            is_default,
            // What a read gives back: the stored precision.
            from_millis(to_millis(created_at), TABLE, &id.to_string())?,
        ))
    }

    async fn list(&self, workspace: WorkspaceId) -> Result<Vec<Agent>, RepositoryError> {
        agent::Entity::find()
            .filter(agent::Column::WorkspaceId.eq(workspace.to_string()))
            .order_by_asc(agent::Column::CreatedAtMs)
            .order_by_asc(agent::Column::Id)
            .all(self.pools.reads.as_ref())
            .await
            .or_unknown()?
            .into_iter()
            .map(agent_from_row)
            .collect()
    }

    async fn exists(
        &self,
        workspace: WorkspaceId,
        agent: AgentId,
    ) -> Result<bool, RepositoryError> {
        let found = agent::Entity::find_by_id(agent.to_string())
            .select_only()
            .column(agent::Column::Id)
            .filter(agent::Column::WorkspaceId.eq(workspace.to_string()))
            .into_tuple::<String>()
            .one(self.pools.reads.as_ref())
            .await
            .or_unknown()?;
        Ok(found.is_some())
    }

    async fn default_agent(
        &self,
        workspace: WorkspaceId,
    ) -> Result<Option<AgentId>, RepositoryError> {
        let found = agent::Entity::find()
            .select_only()
            .column(agent::Column::Id)
            .filter(agent::Column::WorkspaceId.eq(workspace.to_string()))
            .filter(agent::Column::IsDefault.eq(true))
            .into_tuple::<String>()
            .one(self.pools.reads.as_ref())
            .await
            .or_unknown()?;
        found
            .map(|id| parse_id(&id, AgentId::parse, TABLE, &id))
            .transpose()
    }
}

/// Counts the workspace's agents and stores the new one if there is room, inside `transaction`;
/// returns whether it is the default (the workspace's first).
async fn insert_within_limit(
    pools: &Pools,
    transaction: &DatabaseTransaction,
    id: AgentId,
    workspace: WorkspaceId,
    fields: &AgentFields,
    created_at: DateTime<Utc>,
    limit: usize,
) -> Result<bool, AgentInsertError> {
    let workspace_id = workspace.to_string();
    if pools.backend == Backend::Postgres {
        workspace::Entity::find_by_id(workspace_id.clone())
            .select_only()
            .column(workspace::Column::Id)
            .lock(LockType::NoKeyUpdate)
            .into_tuple::<String>()
            .one(transaction)
            .await
            .or_unknown()?;
    }
    let existing = agent::Entity::find()
        .filter(agent::Column::WorkspaceId.eq(workspace_id.clone()))
        .count(transaction)
        .await
        .or_unknown()?;
    let existing = usize::try_from(existing).unwrap_or(usize::MAX);
    if existing >= limit {
        return Err(AgentInsertError::LimitReached(existing));
    }
    let is_default = existing == 0;
    let company = fields.company_info();
    let persona = fields.persona();
    let row = agent::ActiveModel {
        id: Set(id.to_string()),
        workspace_id: Set(workspace_id),
        name: Set(fields.name().to_owned()),
        company_name: Set(company.name.clone()),
        company_description: Set(company.description.clone()),
        persona_tone: Set(persona.tone.clone()),
        persona_role: Set(persona.role.clone()),
        persona_communication_style: Set(persona.communication_style.clone()),
        persona_custom_instructions: Set(persona.custom_instructions.clone()),
        is_default: Set(is_default),
        created_at_ms: Set(to_millis(created_at)),
    };
    agent::Entity::insert(row)
        .exec_without_returning(transaction)
        .await
        .map_err(|error| repository_error(error, duplicate_id))?;
    Ok(is_default)
}

/// A row re-parsed through the same constructor as a client's request.
fn agent_from_row(row: agent::Model) -> Result<Agent, RepositoryError> {
    let request = AgentRequest {
        name: Some(row.name),
        company_info: Some(CompanyInfoRequest {
            name: row.company_name,
            description: row.company_description,
        }),
        persona: Some(PersonaRequest {
            tone: row.persona_tone,
            role: row.persona_role,
            communication_style: row.persona_communication_style,
            custom_instructions: row.persona_custom_instructions,
        }),
    };
    let fields = AgentFields::parse(&request)
        .map_err(|problems| corrupt_row(TABLE, &row.id, describe(&problems)))?;
    Ok(Agent::new(
        parse_id(&row.id, AgentId::parse, TABLE, &row.id)?,
        parse_id(&row.workspace_id, WorkspaceId::parse, TABLE, &row.id)?,
        fields,
        row.is_default,
        from_millis(row.created_at_ms, TABLE, &row.id)?,
    ))
}

//! `IdentityRepository` on the `users`, `workspaces`, `memberships` and `api_keys` tables: the users,
//! their workspaces and roles, and the API keys (found by their hash) that authenticate callers.

use application::ports::{IdentityRepository, RepositoryError};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::id::{ObjectId, UserId, WorkspaceId};
use domain::identity::{ApiKey, ApiKeyKind, KeyHash, Role, User, Workspace, WorkspaceName};
use domain::values::EmailAddress;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, EntityTrait, JoinType, QueryFilter, QueryOrder, QuerySelect,
    QueryTrait, RelationTrait,
};

use super::values::parse_id;
use crate::database::batch::insert_all;
use crate::database::pools::Pools;
use crate::entities::{api_key, membership, user, workspace};
use crate::error::{OrUnknown, corrupt_row, duplicate_id, repository_error};
use crate::time::{from_millis, to_millis};

pub(crate) struct SqlIdentityRepository {
    pools: Pools,
}

impl SqlIdentityRepository {
    pub(crate) fn new(pools: Pools) -> Self {
        Self { pools }
    }
}

fn user_conflict(detail: &str) -> String {
    if detail.contains("email_lower") {
        "a user with this email address already exists".to_owned()
    } else {
        duplicate_id(detail)
    }
}

fn membership_conflict(_detail: &str) -> String {
    // The primary key (user, workspace) is the table's only uniqueness rule.
    "the user is already a member of this workspace".to_owned()
}

fn api_key_conflict(detail: &str) -> String {
    if detail.contains("key_hash") {
        "an API key with this hash already exists".to_owned()
    } else if detail.contains("workspace") {
        // `api_keys_one_live_workspace_key` (PostgreSQL) / `api_keys.workspace_id` (SQLite).
        "the workspace already has an API key that is not revoked".to_owned()
    } else {
        duplicate_id(detail)
    }
}

#[async_trait]
impl IdentityRepository for SqlIdentityRepository {
    async fn insert_user(&self, user: &User) -> Result<(), RepositoryError> {
        let row = user::ActiveModel {
            id: Set(user.id().to_string()),
            email: Set(user.email().as_str().to_owned()),
            email_lower: Set(user.email().normalized()),
            created_at_ms: Set(to_millis(user.created_at())),
        };
        user::Entity::insert(row)
            .exec_without_returning(&self.pools.writer)
            .await
            .map_err(|error| repository_error(error, user_conflict))?;
        Ok(())
    }

    async fn find_user(&self, id: UserId) -> Result<Option<User>, RepositoryError> {
        user::Entity::find_by_id(id.to_string())
            .one(self.pools.reads.as_ref())
            .await
            .or_unknown()?
            .map(user_from_row)
            .transpose()
    }

    async fn find_user_by_email(
        &self,
        email: &EmailAddress,
    ) -> Result<Option<User>, RepositoryError> {
        user::Entity::find()
            .filter(user::Column::EmailLower.eq(email.normalized()))
            .one(self.pools.reads.as_ref())
            .await
            .or_unknown()?
            .map(user_from_row)
            .transpose()
    }

    async fn insert_workspace(
        &self,
        workspace: &Workspace,
        owner: UserId,
    ) -> Result<(), RepositoryError> {
        let id = workspace.id().to_string();
        let created_at_ms = to_millis(workspace.created_at());
        let row = workspace::ActiveModel {
            id: Set(id.clone()),
            name: Set(workspace.name().as_str().to_owned()),
            created_at_ms: Set(created_at_ms),
        };
        let owner = membership::ActiveModel {
            user_id: Set(owner.to_string()),
            workspace_id: Set(id),
            role: Set(Role::Owner.as_str().to_owned()),
            created_at_ms: Set(created_at_ms),
        };
        // Both rows or neither, in one round trip.
        let inserts = vec![
            workspace::Entity::insert(row).into_query(),
            membership::Entity::insert(owner).into_query(),
        ];
        insert_all(&self.pools, inserts)
            .await
            .map_err(|error| repository_error(error, duplicate_id))
    }

    async fn find_workspace(&self, id: WorkspaceId) -> Result<Option<Workspace>, RepositoryError> {
        workspace::Entity::find_by_id(id.to_string())
            .one(self.pools.reads.as_ref())
            .await
            .or_unknown()?
            .map(workspace_from_row)
            .transpose()
    }

    async fn add_membership(
        &self,
        user: UserId,
        workspace: WorkspaceId,
        role: Role,
        at: DateTime<Utc>,
    ) -> Result<(), RepositoryError> {
        let row = membership::ActiveModel {
            user_id: Set(user.to_string()),
            workspace_id: Set(workspace.to_string()),
            role: Set(role.as_str().to_owned()),
            created_at_ms: Set(to_millis(at)),
        };
        membership::Entity::insert(row)
            .exec_without_returning(&self.pools.writer)
            .await
            .map_err(|error| repository_error(error, membership_conflict))?;
        Ok(())
    }

    async fn role_of(
        &self,
        user: UserId,
        workspace: WorkspaceId,
    ) -> Result<Option<Role>, RepositoryError> {
        let role = membership::Entity::find_by_id((user.to_string(), workspace.to_string()))
            .select_only()
            .column(membership::Column::Role)
            .into_tuple::<String>()
            .one(self.pools.reads.as_ref())
            .await
            .or_unknown()?;
        role.map(|role| role_from_db(&role, &workspace.to_string()))
            .transpose()
    }

    async fn workspaces_of(&self, user: UserId) -> Result<Vec<(Workspace, Role)>, RepositoryError> {
        let rows: Vec<(String, String, i64, String)> = workspace::Entity::find()
            .select_only()
            .columns([
                workspace::Column::Id,
                workspace::Column::Name,
                workspace::Column::CreatedAtMs,
            ])
            .column(membership::Column::Role)
            .join(JoinType::InnerJoin, workspace::Relation::Membership.def())
            .filter(membership::Column::UserId.eq(user.to_string()))
            .order_by_asc(workspace::Column::CreatedAtMs)
            .order_by_asc(workspace::Column::Id)
            .into_tuple()
            .all(self.pools.reads.as_ref())
            .await
            .or_unknown()?;
        rows.into_iter()
            .map(|(id, name, created_at_ms, role)| {
                let role = role_from_db(&role, &id)?;
                let workspace = workspace_from_row(workspace::Model {
                    id,
                    name,
                    created_at_ms,
                })?;
                Ok((workspace, role))
            })
            .collect()
    }

    async fn insert_api_key(&self, key: &ApiKey) -> Result<(), RepositoryError> {
        let row = api_key::ActiveModel {
            id: Set(key.id.to_string()),
            key_hash: Set(key.hash.to_hex()),
            visible_prefix: Set(key.visible_prefix.clone()),
            kind: Set(key.kind.as_str().to_owned()),
            user_id: Set(key.user_id.to_string()),
            workspace_id: Set(key.workspace_id.map(|workspace| workspace.to_string())),
            created_at_ms: Set(to_millis(key.created_at)),
            revoked_at_ms: Set(key.revoked_at.map(to_millis)),
        };
        api_key::Entity::insert(row)
            .exec_without_returning(&self.pools.writer)
            .await
            .map_err(|error| repository_error(error, api_key_conflict))?;
        Ok(())
    }

    async fn find_api_key(&self, hash: KeyHash) -> Result<Option<ApiKey>, RepositoryError> {
        api_key::Entity::find()
            .filter(api_key::Column::KeyHash.eq(hash.to_hex()))
            .one(self.pools.reads.as_ref())
            .await
            .or_unknown()?
            .map(api_key_from_row)
            .transpose()
    }

    /// One statement; the partial unique index guarantees at most one row matches.
    async fn revoke_workspace_key(
        &self,
        workspace: WorkspaceId,
        at: DateTime<Utc>,
    ) -> Result<bool, RepositoryError> {
        let result = api_key::Entity::update_many()
            .col_expr(api_key::Column::RevokedAtMs, Expr::value(to_millis(at)))
            .filter(api_key::Column::WorkspaceId.eq(workspace.to_string()))
            .filter(api_key::Column::Kind.eq(ApiKeyKind::Workspace.as_str()))
            .filter(api_key::Column::RevokedAtMs.is_null())
            .exec(&self.pools.writer)
            .await
            .or_unknown()?;
        Ok(result.rows_affected > 0)
    }
}

fn role_from_db(role: &str, workspace: &str) -> Result<Role, RepositoryError> {
    Role::from_wire(role)
        .ok_or_else(|| corrupt_row("memberships", workspace, format!("unknown role {role:?}")))
}

fn user_from_row(row: user::Model) -> Result<User, RepositoryError> {
    const TABLE: &str = "users";
    Ok(User::new(
        parse_id(&row.id, UserId::parse, TABLE, &row.id)?,
        EmailAddress::parse(&row.email)
            .map_err(|invalid| corrupt_row(TABLE, &row.id, invalid.message))?,
        from_millis(row.created_at_ms, TABLE, &row.id)?,
    ))
}

fn workspace_from_row(row: workspace::Model) -> Result<Workspace, RepositoryError> {
    const TABLE: &str = "workspaces";
    Ok(Workspace::new(
        parse_id(&row.id, WorkspaceId::parse, TABLE, &row.id)?,
        WorkspaceName::parse(Some(&row.name))
            .map_err(|invalid| corrupt_row(TABLE, &row.id, invalid.message))?,
        from_millis(row.created_at_ms, TABLE, &row.id)?,
    ))
}

fn api_key_from_row(row: api_key::Model) -> Result<ApiKey, RepositoryError> {
    const TABLE: &str = "api_keys";
    let corrupt = |problem: String| corrupt_row(TABLE, &row.id, problem);
    Ok(ApiKey {
        id: parse_id(&row.id, ObjectId::parse, TABLE, &row.id)?,
        kind: ApiKeyKind::from_wire(&row.kind)
            .ok_or_else(|| corrupt(format!("unknown kind {:?}", row.kind)))?,
        hash: KeyHash::from_hex(&row.key_hash)
            .ok_or_else(|| corrupt("the key hash is not 64 hex digits".to_owned()))?,
        visible_prefix: row.visible_prefix.clone(),
        user_id: parse_id(&row.user_id, UserId::parse, TABLE, &row.id)?,
        workspace_id: row
            .workspace_id
            .as_deref()
            .map(|workspace| parse_id(workspace, WorkspaceId::parse, TABLE, &row.id))
            .transpose()?,
        created_at: from_millis(row.created_at_ms, TABLE, &row.id)?,
        revoked_at: row
            .revoked_at_ms
            .map(|millis| from_millis(millis, TABLE, &row.id))
            .transpose()?,
    })
}

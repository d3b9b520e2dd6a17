//! Reading one campaign, several by id, or only a campaign's version: one statement each, on a held
//! connection; on PostgreSQL the version lookups of concurrent reads share statements.

use application::ports::{RepositoryError, Version, VersionedCampaign};
use domain::id::{CampaignId, WorkspaceId};
use sea_orm::{ColumnTrait, DbBackend, EntityTrait, QueryFilter, Statement};

use super::owned_rows::{CampaignRows, with_owned_columns};
use super::rows::restore;
use super::version_lookups::VersionLookups;
use crate::database::pools::Pools;
use crate::entities::campaign;
use crate::error::OrUnknown;
use crate::migrations::m20251202_000008_campaign_versions_indexed::VERSIONED_INDEX;

/// One statement: the campaign row with its subsequences and mailbox ids aggregated into it (see
/// [`owned_rows`](super::owned_rows)), so it sees one snapshot without a transaction.
pub(super) async fn find(
    pools: &Pools,
    workspace: WorkspaceId,
    id: CampaignId,
) -> Result<Option<VersionedCampaign>, RepositoryError> {
    let found = with_owned_columns(
        campaign::Entity::find_by_id(id.to_string())
            .filter(campaign::Column::WorkspaceId.eq(workspace.to_string())),
        pools.backend,
    )
    .into_model::<CampaignRows>()
    .one(pools.reads.as_ref())
    .await
    .or_unknown()?;
    found.map(restore).transpose()
}

/// One statement reading only the version column, on a held connection (one round trip instead
/// of the query's and the pool's release ping); on PostgreSQL, shared with the concurrent lookups
/// (see [`version_lookups`](super::version_lookups)).
pub(super) async fn version(
    pools: &Pools,
    version_lookups: Option<&VersionLookups>,
    workspace: WorkspaceId,
    id: CampaignId,
) -> Result<Option<Version>, RepositoryError> {
    let (workspace, id) = (workspace.to_string(), id.to_string());
    let version = match version_lookups {
        Some(lookups) => lookups.version(workspace, id).await,
        // Without stats SQLite's planner prefers the unique (workspace_id, id) index, whose row
        // lookup reads past the content to the last column; the versioned index holds it.
        None => {
            pools
                .read_integer(Statement::from_sql_and_values(
                    DbBackend::Sqlite,
                    format!(
                        "SELECT version FROM campaigns INDEXED BY {VERSIONED_INDEX} \
                         WHERE workspace_id = ? AND id = ?"
                    ),
                    [workspace.into(), id.into()],
                ))
                .await
        }
    };
    Ok(version.or_unknown()?.map(Version))
}

/// One statement, like [`find`] for several ids.
pub(super) async fn find_many(
    pools: &Pools,
    workspace: WorkspaceId,
    ids: &[CampaignId],
) -> Result<Vec<VersionedCampaign>, RepositoryError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    with_owned_columns(
        campaign::Entity::find()
            .filter(campaign::Column::WorkspaceId.eq(workspace.to_string()))
            .filter(campaign::Column::Id.is_in(ids.iter().map(ToString::to_string))),
        pools.backend,
    )
    .into_model::<CampaignRows>()
    .all(pools.reads.as_ref())
    .await
    .or_unknown()?
    .into_iter()
    .map(restore)
    .collect()
}

//! Reading one campaign, several by id, or only a campaign's version: one statement each, on a held
//! connection; the version lookups of concurrent reads share statements.

use application::ports::{RepositoryError, Version, VersionedCampaign};
use domain::id::{CampaignId, WorkspaceId};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use super::owned_rows::{CampaignRows, with_owned_columns};
use super::rows::restore;
use super::version_lookups::VersionLookups;
use crate::database::pools::Pools;
use crate::entities::campaign;
use crate::error::OrUnknown;

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

/// The stored version, looked up with the concurrent lookups in one statement (see
/// [`version_lookups`](super::version_lookups)).
pub(super) async fn version(
    version_lookups: &VersionLookups,
    workspace: WorkspaceId,
    id: CampaignId,
) -> Result<Option<Version>, RepositoryError> {
    let version = version_lookups
        .version(workspace.to_string(), id.to_string())
        .await;
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

//! Reading campaigns: one by id, or a page of the workspace's, newest first.

use std::sync::Arc;

use domain::campaign::Campaign;
use domain::id::CampaignId;

use crate::ports::{CampaignPage, CampaignQuery, CampaignRepository, RepositoryError};
use crate::tenancy::Tenancy;

/// Why a campaign could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadCampaignError {
    /// No such campaign in the workspace (another workspace's is no different).
    #[error("campaign not found")]
    NotFound,
    #[error(transparent)]
    Unknown(#[from] RepositoryError),
}

/// The ports reading needs.
#[derive(Clone)]
pub struct ReadCampaigns {
    pub campaigns: Arc<dyn CampaignRepository>,
}

impl std::fmt::Debug for ReadCampaigns {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReadCampaigns").finish_non_exhaustive()
    }
}

impl ReadCampaigns {
    /// The campaign `id` of the caller's workspace.
    pub async fn get(
        &self,
        tenancy: Tenancy,
        id: CampaignId,
    ) -> Result<Campaign, ReadCampaignError> {
        self.campaigns
            .find(tenancy.workspace_id, id)
            .await?
            .map(|found| found.campaign)
            .ok_or(ReadCampaignError::NotFound)
    }

    /// A page of the caller's workspace's campaigns matching `query`, newest first.
    pub async fn list(
        &self,
        tenancy: Tenancy,
        query: &CampaignQuery,
    ) -> Result<CampaignPage, RepositoryError> {
        self.campaigns.list(tenancy.workspace_id, query).await
    }
}

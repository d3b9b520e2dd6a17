//! Moving a campaign through its states (start, pause, resume, archive) and deleting a draft. The rules
//! live in the domain's status machine; this reads, decides and writes conditionally, again from a fresh
//! read whenever another write came first.

use std::sync::Arc;

use domain::campaign::{Campaign, LifecycleError};
use domain::id::CampaignId;
use domain::status::{CampaignStatus, LifecycleAction};

use super::MAX_WRITE_ATTEMPTS;
use crate::ports::{CampaignRepository, Clock, RepositoryError, VersionedCampaign, WriteOutcome};
use crate::tenancy::Tenancy;

/// Why a lifecycle action did not happen.
#[derive(Debug, thiserror::Error)]
pub enum LifecycleCommandError {
    #[error("campaign not found")]
    NotFound,
    /// The status machine refuses it; the message names the current status.
    #[error("{error}")]
    Refused {
        status: CampaignStatus,
        error: LifecycleError,
    },
    /// Other writes to the campaign kept coming first; nothing was written.
    #[error("the campaign kept changing while this action was applied; retry it")]
    Contended,
    #[error(transparent)]
    Unknown(anyhow::Error),
}

/// Why a campaign was not deleted.
#[derive(Debug, thiserror::Error)]
pub enum DeleteCampaignError {
    #[error("campaign not found")]
    NotFound,
    /// Only a draft that never started may be deleted.
    #[error(
        "cannot delete a campaign that is {0}: only a draft that never started can be deleted; archive it instead"
    )]
    NotDeletable(CampaignStatus),
    #[error("the campaign kept changing while it was being deleted; retry")]
    Contended,
    #[error(transparent)]
    Unknown(anyhow::Error),
}

impl From<RepositoryError> for LifecycleCommandError {
    fn from(error: RepositoryError) -> Self {
        Self::Unknown(error.into())
    }
}

impl From<RepositoryError> for DeleteCampaignError {
    fn from(error: RepositoryError) -> Self {
        Self::Unknown(error.into())
    }
}

/// The ports the lifecycle needs.
#[derive(Clone)]
pub struct CampaignLifecycle {
    pub campaigns: Arc<dyn CampaignRepository>,
    pub clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for CampaignLifecycle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CampaignLifecycle").finish_non_exhaustive()
    }
}

impl CampaignLifecycle {
    /// Runs `action` on the campaign `id` of the caller's workspace; the campaign as it is afterwards.
    pub async fn act(
        &self,
        tenancy: Tenancy,
        id: CampaignId,
        action: LifecycleAction,
    ) -> Result<Campaign, LifecycleCommandError> {
        for _ in 0..MAX_WRITE_ATTEMPTS {
            let Some(VersionedCampaign { campaign, version }) =
                self.campaigns.find(tenancy.workspace_id, id).await?
            else {
                return Err(LifecycleCommandError::NotFound);
            };
            let status = campaign.status();
            let changed = campaign
                .act(action, self.clock.now())
                .map_err(|error| LifecycleCommandError::Refused { status, error })?;
            match self.campaigns.update(&changed, version).await? {
                WriteOutcome::Written => return Ok(changed),
                WriteOutcome::Stale => continue,
            }
        }
        Err(LifecycleCommandError::Contended)
    }

    /// Deletes the campaign `id` of the caller's workspace, with everything it owns.
    pub async fn delete(
        &self,
        tenancy: Tenancy,
        id: CampaignId,
    ) -> Result<(), DeleteCampaignError> {
        for _ in 0..MAX_WRITE_ATTEMPTS {
            let Some(VersionedCampaign { campaign, version }) =
                self.campaigns.find(tenancy.workspace_id, id).await?
            else {
                return Err(DeleteCampaignError::NotFound);
            };
            if !campaign.is_deletable() {
                return Err(DeleteCampaignError::NotDeletable(campaign.status()));
            }
            match self
                .campaigns
                .delete(tenancy.workspace_id, id, version)
                .await?
            {
                WriteOutcome::Written => return Ok(()),
                WriteOutcome::Stale => continue,
            }
        }
        Err(DeleteCampaignError::Contended)
    }
}

#[cfg(test)]
mod tests;

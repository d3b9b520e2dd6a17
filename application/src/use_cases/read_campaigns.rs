//! Reading campaigns: one by id, or a page of the workspace's, newest first, as views the caller keeps
//! by version (the api keeps each campaign's rendered JSON).

use std::collections::HashMap;
use std::sync::Arc;

use domain::id::{CampaignId, WorkspaceId};

use crate::ports::{
    CampaignQuery, CampaignRepository, RepositoryError, Version, VersionedCampaign,
};
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

/// What a reader keeps of campaigns it has shown: a view of each (its rendered answer, say) as of one
/// version. The views-returning reads ask it first and read whole only the campaigns whose stored
/// version differs from the kept one, so a view is never older than what is stored when it is checked.
pub trait CampaignViews: Send + Sync {
    type View: Clone + Send;

    /// The kept view of the campaign, and the version it shows.
    fn kept(&self, workspace: WorkspaceId, id: CampaignId) -> Option<(Version, Self::View)>;

    /// The view of a campaign just read whole (and kept, if the implementation keeps views).
    fn make(&self, found: &VersionedCampaign) -> Self::View;
}

/// One page of views, newest first, with the ids they show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ViewPage<V> {
    pub views: Vec<(CampaignId, V)>,
    /// How many campaigns match the filters, on every page alike.
    pub total: u64,
    /// Whether campaigns older than the last one of this page match too.
    pub has_more: bool,
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
    /// The view of the campaign `id` of the caller's workspace: the kept one while its version is still
    /// the stored one (one version lookup), else made from the campaign read whole. Nothing kept: one
    /// read, no version lookup.
    pub async fn view<V: CampaignViews>(
        &self,
        tenancy: Tenancy,
        id: CampaignId,
        views: &V,
    ) -> Result<V::View, ReadCampaignError> {
        let workspace = tenancy.workspace_id;
        if let Some((kept_version, view)) = views.kept(workspace, id) {
            match self.campaigns.version(workspace, id).await? {
                None => return Err(ReadCampaignError::NotFound),
                Some(stored) if stored == kept_version => return Ok(view),
                Some(_) => {}
            }
        }
        let found = self
            .campaigns
            .find(workspace, id)
            .await?
            .ok_or(ReadCampaignError::NotFound)?;
        Ok(views.make(&found))
    }

    /// A page of views of the caller's workspace's campaigns matching `query`, newest first: the page's
    /// ids and versions, then the campaigns whose kept view is missing or older, read whole in one go.
    /// A campaign deleted between the two reads is left out of the page.
    pub async fn list_views<V: CampaignViews>(
        &self,
        tenancy: Tenancy,
        query: &CampaignQuery,
        views: &V,
    ) -> Result<ViewPage<V::View>, RepositoryError> {
        let workspace = tenancy.workspace_id;
        let page = self.campaigns.list_versions(workspace, query).await?;
        let mut shown: Vec<(CampaignId, Option<V::View>)> = page
            .entries
            .iter()
            .map(|&(id, version)| {
                let kept = views
                    .kept(workspace, id)
                    .filter(|(kept_version, _)| *kept_version == version)
                    .map(|(_, view)| view);
                (id, kept)
            })
            .collect();
        let missing: Vec<CampaignId> = shown
            .iter()
            .filter(|(_, view)| view.is_none())
            .map(|(id, _)| *id)
            .collect();
        if !missing.is_empty() {
            let mut found: HashMap<CampaignId, VersionedCampaign> = self
                .campaigns
                .find_many(workspace, &missing)
                .await?
                .into_iter()
                .map(|found| (found.campaign.id(), found))
                .collect();
            for (id, view) in &mut shown {
                if view.is_none() {
                    *view = found.remove(id).map(|found| views.make(&found));
                }
            }
        }
        Ok(ViewPage {
            views: shown
                .into_iter()
                .filter_map(|(id, view)| view.map(|view| (id, view)))
                .collect(),
            total: page.total,
            has_more: page.has_more,
        })
    }
}

#[cfg(test)]
mod tests;

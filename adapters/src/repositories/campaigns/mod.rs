//! `CampaignRepository` on the `campaigns` table and the rows a campaign owns (subsequences, mailbox
//! links, its share of `campaign_counts`), for SQLite and PostgreSQL.
//!
//! [`SqlCampaignRepository`] owns the batchers only campaigns use — its group commit and, on
//! PostgreSQL, its version lookups — and hands each operation to the file of its concern: [`writes`]
//! (insert, update, delete), [`reads`] (one campaign, several, a version) and [`listing`] (pages and
//! totals), with rows mapped in [`rows`] and [`owned_rows`] and counts kept in [`counts`].

mod counts;
mod group_commit;
mod listing;
mod owned_rows;
mod reads;
mod rows;
mod version_lookups;
mod writes;

use std::sync::Arc;

use application::ports::{
    CampaignPage, CampaignQuery, CampaignRepository, KeyCompletion, RepositoryError, Version,
    VersionPage, VersionedCampaign, WriteOutcome,
};
use async_trait::async_trait;
use domain::campaign::Campaign;
use domain::id::{CampaignId, WorkspaceId};

use self::group_commit::CampaignGroupCommit;
use self::version_lookups::VersionLookups;
use crate::database::connect::POSTGRES_HELD_CONNECTIONS;
use crate::database::pools::{Backend, Pools};

pub(crate) struct SqlCampaignRepository {
    pools: Pools,
    /// Campaign inserts, several to a statement (PostgreSQL) or to a transaction (SQLite).
    group_commit: CampaignGroupCommit,
    /// Version lookups, several to a statement.
    version_lookups: VersionLookups,
}

impl SqlCampaignRepository {
    /// The repository on `pools`; it starts its batchers, which end with it.
    pub(crate) fn new(pools: Pools) -> Self {
        let postgres = pools.backend == Backend::Postgres;
        // SQLite has one writer: one batch at a time, the next gathering meanwhile.
        let batches_at_once = if postgres {
            POSTGRES_HELD_CONNECTIONS
        } else {
            1
        };
        Self {
            group_commit: CampaignGroupCommit::start(pools.clone(), batches_at_once),
            version_lookups: VersionLookups::start(
                Arc::clone(&pools.reads),
                pools.backend,
                pools.reads.connections(),
            ),
            pools,
        }
    }
}

#[async_trait]
impl CampaignRepository for SqlCampaignRepository {
    async fn insert(&self, campaign: &Campaign) -> Result<(), RepositoryError> {
        writes::insert(&self.pools, &self.group_commit, campaign, None).await
    }

    async fn insert_answering(
        &self,
        campaign: &Campaign,
        completion: &KeyCompletion,
    ) -> Result<(), RepositoryError> {
        writes::insert(&self.pools, &self.group_commit, campaign, Some(completion)).await
    }

    async fn find(
        &self,
        workspace: WorkspaceId,
        id: CampaignId,
    ) -> Result<Option<VersionedCampaign>, RepositoryError> {
        reads::find(&self.pools, workspace, id).await
    }

    async fn version(
        &self,
        workspace: WorkspaceId,
        id: CampaignId,
    ) -> Result<Option<Version>, RepositoryError> {
        reads::version(&self.version_lookups, workspace, id).await
    }

    async fn find_many(
        &self,
        workspace: WorkspaceId,
        ids: &[CampaignId],
    ) -> Result<Vec<VersionedCampaign>, RepositoryError> {
        reads::find_many(&self.pools, workspace, ids).await
    }

    async fn list_versions(
        &self,
        workspace: WorkspaceId,
        query: &CampaignQuery,
    ) -> Result<VersionPage, RepositoryError> {
        listing::list_versions(&self.pools, workspace, query).await
    }

    async fn list(
        &self,
        workspace: WorkspaceId,
        query: &CampaignQuery,
    ) -> Result<CampaignPage, RepositoryError> {
        listing::list(&self.pools, workspace, query).await
    }

    async fn update(
        &self,
        campaign: &Campaign,
        expected: Version,
    ) -> Result<WriteOutcome, RepositoryError> {
        writes::update(&self.pools, campaign, expected).await
    }

    async fn delete(
        &self,
        workspace: WorkspaceId,
        id: CampaignId,
        expected: Version,
    ) -> Result<WriteOutcome, RepositoryError> {
        writes::delete(&self.pools, workspace, id, expected).await
    }
}

#[cfg(all(test, feature = "testing"))]
mod tests {
    use application::ports::IdGenerator;
    use chrono::Utc;
    use domain::campaign::{NewCampaign, Provisions};
    use domain::identity::{User, Workspace, WorkspaceName};
    use domain::request::CampaignRequest;
    use domain::rules::ParseRules;
    use domain::values::{EmailAddress, WebhookHostPolicy};
    use sea_orm::ConnectionTrait;

    use super::*;
    use crate::ObjectIdGenerator;
    use crate::testing::{backends, fresh_database};

    #[tokio::test]
    async fn stored_campaign_that_no_longer_parses_is_an_unknown_error_naming_the_row()
    -> anyhow::Result<()> {
        for backend in backends() {
            let database = fresh_database(backend).await?;
            let ids = ObjectIdGenerator;
            let user = User::new(
                ids.new_id().into(),
                EmailAddress::parse("ana@acme.test")
                    .map_err(|invalid| anyhow::anyhow!(invalid.message))?,
                Utc::now(),
            );
            database.identity().insert_user(&user).await?;
            let workspace = Workspace::new(
                ids.new_id().into(),
                WorkspaceName::parse(Some("Acme"))
                    .map_err(|invalid| anyhow::anyhow!(invalid.message))?,
                Utc::now(),
            );
            database
                .identity()
                .insert_workspace(&workspace, user.id())
                .await?;
            let request = CampaignRequest {
                name: Some("Soon corrupt".into()),
                ..CampaignRequest::default()
            };
            let new =
                NewCampaign::parse(&request, ParseRules::create(WebhookHostPolicy::PublicOnly))
                    .map_err(|problems| anyhow::anyhow!("{problems}"))?;
            let campaign = Campaign::create(
                new,
                Provisions {
                    id: ids.new_id().into(),
                    workspace_id: workspace.id(),
                    user_id: user.id(),
                    now: Utc::now(),
                    mailboxes: vec![],
                    ai_agent_id: None,
                    webhook_secret: None,
                },
                || ids.new_id(),
            );
            database.campaigns().insert(&campaign).await?;

            // A wait as the first step breaks a rule the domain checks on every read.
            database
                .pools()
                .writer
                .execute_unprepared(&format!(
                    "UPDATE campaigns SET content = '{{\"sequence\": [{{\"type\": \"wait\", \"waitDays\": 1}}]}}' \
                     WHERE id = '{}'",
                    campaign.id()
                ))
                .await?;

            let error = database
                .campaigns()
                .find(workspace.id(), campaign.id())
                .await
                .expect_err("a corrupt row does not read");
            let RepositoryError::Unknown(error) = error else {
                anyhow::bail!("expected Unknown, got {error:?}");
            };
            let message = format!("{error:#}");
            assert!(
                message.contains(&campaign.id().to_string()),
                "{backend:?}: {message}"
            );
            assert!(
                message.contains("corrupt campaigns row"),
                "{backend:?}: {message}"
            );
            assert!(
                !message.to_lowercase().contains("select"),
                "{backend:?}: {message}"
            );
        }
        Ok(())
    }
}

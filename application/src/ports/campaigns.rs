//! Campaign storage.

use async_trait::async_trait;
use domain::campaign::Campaign;
use domain::id::{CampaignId, WorkspaceId};
use domain::listing::{NameSearch, PageLimit};
use domain::status::CampaignStatus;

use super::{KeyCompletion, RepositoryError};

/// A campaign's version: every write bumps it, so a writer can tell whether what it read is still what
/// is stored (optimistic concurrency).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version(pub i64);

/// A stored campaign and the version it was read at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionedCampaign {
    pub campaign: Campaign,
    pub version: Version,
}

/// Whether a conditional write happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteOutcome {
    Written,
    /// Nothing was written: the campaign changed since it was read (or is gone).
    Stale,
}

/// Which campaigns of a workspace to list, and from where.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CampaignQuery {
    pub status: Option<CampaignStatus>,
    pub name: Option<NameSearch>,
    /// Only campaigns older than this one (ids sort by creation time): the previous page's last id.
    pub before: Option<CampaignId>,
    pub limit: PageLimit,
}

/// One page of campaigns, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CampaignPage {
    pub campaigns: Vec<Campaign>,
    /// How many campaigns match the filters (status, name), on every page alike.
    pub total: u64,
    /// Whether campaigns older than the last one of this page match too.
    pub has_more: bool,
}

/// One page of a workspace's campaigns as ids and versions only, newest first: what a reader compares
/// with what it already holds before reading any campaign whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionPage {
    pub entries: Vec<(CampaignId, Version)>,
    /// How many campaigns match the filters (status, name), on every page alike.
    pub total: u64,
    /// Whether campaigns older than the last one of this page match too.
    pub has_more: bool,
}

/// Campaigns and everything they own (subsequences, mailbox links).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait CampaignRepository: Send + Sync {
    /// Stores a new campaign with its subsequences and mailbox links in one transaction: either all of it
    /// is written or none of it. `ReferenceGone` (nothing written) when a mailbox of its list is not a
    /// mailbox of its workspace, e.g. one deleted since it was looked up.
    async fn insert(&self, campaign: &Campaign) -> Result<(), RepositoryError>;

    /// [`insert`](Self::insert), and in the same transaction completes the idempotency key that
    /// `completion` names with its answer, as [`IdempotencyKeys::complete`](super::IdempotencyKeys)
    /// does: the campaign and the answer that replays it are written together or not at all.
    async fn insert_answering(
        &self,
        campaign: &Campaign,
        completion: &KeyCompletion,
    ) -> Result<(), RepositoryError>;

    /// The campaign `id` of `workspace`, re-parsed through the domain's constructors, with its version;
    /// `None` when there is none (or it belongs to another workspace).
    async fn find(
        &self,
        workspace: WorkspaceId,
        id: CampaignId,
    ) -> Result<Option<VersionedCampaign>, RepositoryError>;

    /// The version of the campaign `id` of `workspace` as stored now; `None` when there is none (or it
    /// belongs to another workspace). Every change of what a campaign reads as bumps it, including
    /// the removal of a mailbox it lists.
    async fn version(
        &self,
        workspace: WorkspaceId,
        id: CampaignId,
    ) -> Result<Option<Version>, RepositoryError>;

    /// The campaigns `ids` of `workspace` that exist, each with its version, in no particular order;
    /// ids of other workspaces' campaigns are skipped.
    async fn find_many(
        &self,
        workspace: WorkspaceId,
        ids: &[CampaignId],
    ) -> Result<Vec<VersionedCampaign>, RepositoryError>;

    /// [`list`](Self::list)'s page as ids and versions: the same filters, order, `total` and
    /// `has_more`.
    async fn list_versions(
        &self,
        workspace: WorkspaceId,
        query: &CampaignQuery,
    ) -> Result<VersionPage, RepositoryError>;

    /// The workspace's campaigns that match `query`, newest first (descending id), at most
    /// `query.limit` of them. Campaigns created while a client pages through never shift the pages it
    /// has not read yet, because `before` is an id, not an offset.
    /// (`GET /v1/campaigns` reads through `list_versions` and `find_many` instead, re-reading only what
    /// it does not keep; the contract suite holds `list_versions` to this.)
    async fn list(
        &self,
        workspace: WorkspaceId,
        query: &CampaignQuery,
    ) -> Result<CampaignPage, RepositoryError>;

    /// Replaces the stored campaign `campaign.id()` of `campaign.workspace_id()` (row, subsequences and
    /// mailbox links) in one transaction, only if its version is still `expected`, and bumps the version.
    /// `Stale` (nothing written) when another write came first or the campaign is gone; `ReferenceGone`
    /// (nothing written) when a mailbox of its list is not a mailbox of its workspace (any more).
    async fn update(
        &self,
        campaign: &Campaign,
        expected: Version,
    ) -> Result<WriteOutcome, RepositoryError>;

    /// Deletes the campaign and everything it owns, only if its version is still `expected`; `Stale`
    /// (nothing deleted) otherwise.
    async fn delete(
        &self,
        workspace: WorkspaceId,
        id: CampaignId,
        expected: Version,
    ) -> Result<WriteOutcome, RepositoryError>;
}

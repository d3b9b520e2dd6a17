//! Lead storage and lookup (LEADS.md sections 1–2).

use async_trait::async_trait;
use domain::id::{CampaignId, LeadId, WorkspaceId};
use domain::lead::Lead;
use domain::lead_listing::LeadSearch;
use domain::listing::PageLimit;
use domain::mailbox_listing::TagFilter;

use super::RepositoryError;

/// Which leads of a workspace to list, and from where.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LeadQuery {
    /// A case-insensitive substring of the email, first name, last name or company name.
    pub search: Option<LeadSearch>,
    /// Leads having any of these tags (case-insensitively).
    pub tags: Option<TagFilter>,
    /// Leads enrolled in this campaign's main sequence (none for a campaign of another workspace, or
    /// of none).
    pub campaign: Option<CampaignId>,
    /// Only leads older than this one (ids sort by creation time): the previous page's last id.
    pub before: Option<LeadId>,
    pub limit: PageLimit,
}

/// One page of leads, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeadPage {
    pub leads: Vec<Lead>,
    /// How many leads match the filters (not the cursor), on every page alike.
    pub total: u64,
    /// Whether leads older than the last one of this page match too.
    pub has_more: bool,
}

/// What one import batch wrote ([`LeadRepository::write_batch`]).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BatchWritten {
    /// The new leads that were inserted. A new lead whose email key another writer stored meanwhile is
    /// not inserted and not listed here.
    pub inserted: Vec<LeadId>,
    /// The updated leads that were still there to update.
    pub updated: Vec<LeadId>,
}

/// The workspace's leads.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait LeadRepository: Send + Sync {
    /// Stores a new lead and its tags. MUST fail with `Conflict` (nothing written) when the workspace
    /// already has a lead with the same `email_key` (another workspace's lead never conflicts).
    async fn insert(&self, lead: &Lead) -> Result<(), RepositoryError>;

    /// The lead `id` of `workspace`, re-parsed through the domain's constructors, or `None` (also when
    /// it belongs to another workspace).
    async fn find(
        &self,
        workspace: WorkspaceId,
        id: LeadId,
    ) -> Result<Option<Lead>, RepositoryError>;

    /// The leads of `workspace` whose `email_key` is one of `email_keys` (lowercased addresses), in any
    /// order, each at most once; one query whatever the number of keys. Never a lead of another
    /// workspace.
    async fn find_by_email_keys(
        &self,
        workspace: WorkspaceId,
        email_keys: &[String],
    ) -> Result<Vec<Lead>, RepositoryError>;

    /// The workspace's leads that match `query`, newest first (descending id), at most `query.limit`
    /// of them. Leads created while a client pages through never shift the pages it has not read yet,
    /// because `before` is an id, not an offset. The search is served by an index (see the adapter).
    async fn list(
        &self,
        workspace: WorkspaceId,
        query: &LeadQuery,
    ) -> Result<LeadPage, RepositoryError>;

    /// Writes `lead` (found by its id in its workspace) over the stored one: every field, its tags and
    /// `updated_at`. `Ok(false)` (nothing written) when the workspace has no such lead; `Conflict`
    /// (nothing written) when another lead of the workspace has the new `email_key`.
    async fn update(&self, lead: &Lead) -> Result<bool, RepositoryError>;

    /// Deletes the lead `id` of `workspace` and its tags in one transaction with its enrolments: those
    /// that sent nothing are deleted, the others stop as `removed` and keep no link to the lead
    /// ([`domain::enrolment::EnrolmentStatus::on_lead_deleted`]), the campaigns' lead counts moving
    /// with them; `Ok(false)` when there is none.
    async fn delete(&self, workspace: WorkspaceId, id: LeadId) -> Result<bool, RepositoryError>;

    /// One import batch of `workspace`, in ONE transaction: `inserts` (new leads, each with its own
    /// email key) as multi-row INSERTs that skip, without failing, a lead whose email key the
    /// workspace already has (a concurrent writer's); then `updates` written over the stored leads
    /// (as [`LeadRepository::update`], tags included). Every lead given MUST belong to `workspace`.
    /// Answers which leads were inserted and which updated; either all of that is written or nothing.
    async fn write_batch(
        &self,
        workspace: WorkspaceId,
        inserts: Vec<Lead>,
        updates: Vec<Lead>,
    ) -> Result<BatchWritten, RepositoryError>;
}

//! Mailbox storage and lookup.

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::id::{MailboxId, WorkspaceId};
use domain::listing::PageLimit;
use domain::mailbox::{Mailbox, MailboxProvider, MailboxSelection, MailboxStatus, MailboxSummary};
use domain::mailbox_listing::{MailboxSearch, TagFilter};
use domain::mailbox_update::MailboxChanges;

use super::RepositoryError;

/// Which mailboxes of a workspace to list, and from where.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MailboxQuery {
    pub provider: Option<MailboxProvider>,
    pub status: Option<MailboxStatus>,
    pub tags: Option<TagFilter>,
    /// In the address or the display name.
    pub search: Option<MailboxSearch>,
    /// Only mailboxes older than this one (ids sort by creation time): the previous page's last id.
    pub before: Option<MailboxId>,
    pub limit: PageLimit,
}

/// One page of mailboxes, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailboxPage {
    pub mailboxes: Vec<Mailbox>,
    /// How many mailboxes match the filters (not the cursor), on every page alike.
    pub total: u64,
    /// Whether mailboxes older than the last one of this page match too.
    pub has_more: bool,
}

/// A deleted mailbox's footprint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MailboxRemoval {
    /// How many campaigns listed the mailbox (and no longer do).
    pub campaigns_updated: u64,
}

/// The workspace's sending mailboxes.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait MailboxRepository: Send + Sync {
    /// Stores a new mailbox. MUST fail with `Conflict` when the workspace already has a mailbox with the
    /// same address compared case-insensitively (another workspace's mailbox never conflicts).
    async fn insert(&self, mailbox: &Mailbox) -> Result<(), RepositoryError>;

    /// The mailbox `id` of `workspace`, re-parsed through the domain's constructors, or `None` (also
    /// when it belongs to another workspace).
    async fn find(
        &self,
        workspace: WorkspaceId,
        id: MailboxId,
    ) -> Result<Option<Mailbox>, RepositoryError>;

    /// The mailboxes of `workspace` among `ids`, in no particular order; ids of no mailbox of the
    /// workspace (another's, or deleted) are left out.
    async fn find_many(
        &self,
        workspace: WorkspaceId,
        ids: &[MailboxId],
    ) -> Result<Vec<Mailbox>, RepositoryError>;

    /// Every mailbox of `workspace` that any selector of `selection` matches: by id, by address
    /// (case-insensitively), by any tag (case-insensitively) or by provider. MAY return more mailboxes of
    /// the workspace, never fewer; MUST NOT return a mailbox of another workspace.
    async fn candidates(
        &self,
        workspace: WorkspaceId,
        selection: &MailboxSelection,
    ) -> Result<Vec<MailboxSummary>, RepositoryError>;

    /// The workspace's mailboxes that match `query`, newest first (descending id), at most
    /// `query.limit` of them. Mailboxes created while a client pages through never shift the pages it
    /// has not read yet, because `before` is an id, not an offset.
    async fn list(
        &self,
        workspace: WorkspaceId,
        query: &MailboxQuery,
    ) -> Result<MailboxPage, RepositoryError>;

    /// Writes the fields `changes` gives, and only those (a connection's change writes all of that
    /// connection's columns: a removed one is NULL throughout, a kept password is left as stored), with `updated_at`, in one transaction (so two
    /// concurrent updates of different fields both persist); given tags replace all of the mailbox's
    /// tags. Returns the mailbox as stored after the write, or `None` (nothing written) when `workspace`
    /// has no mailbox `id`.
    async fn update(
        &self,
        workspace: WorkspaceId,
        id: MailboxId,
        changes: &MailboxChanges,
        updated_at: DateTime<Utc>,
    ) -> Result<Option<Mailbox>, RepositoryError>;

    /// Puts the mailbox `id` of `workspace` in `status: "error"` with `message` as its `lastError`
    /// and `updated_at` set to `at` (the engine calls it when the mailbox's settings stop it from
    /// sending). `false` (nothing written) when `workspace` has no mailbox `id`.
    async fn record_mailbox_error(
        &self,
        workspace: WorkspaceId,
        id: MailboxId,
        message: &str,
        at: DateTime<Utc>,
    ) -> Result<bool, RepositoryError>;

    /// How many messages each of `ids` sent in the 24 hours up to `now` (`sentToday`): the one place
    /// that counts them, so where sends are recorded may change behind it. Every id of a mailbox of
    /// `workspace` is in the answer (0 when none); an id of another workspace counts 0 or is left
    /// out, never another workspace's sends.
    async fn sends_in_last_day(
        &self,
        workspace: WorkspaceId,
        ids: &[MailboxId],
        now: DateTime<Utc>,
    ) -> Result<HashMap<MailboxId, u64>, RepositoryError>;

    /// Deletes the mailbox `id` of `workspace` and removes it from every campaign of the workspace that
    /// lists it, in one transaction. Each such campaign's version is bumped (so a concurrent campaign
    /// write that read the old list is stale) and its `updated_at` set to `at`. `None` (nothing
    /// written) when `workspace` has no mailbox `id`.
    async fn delete(
        &self,
        workspace: WorkspaceId,
        id: MailboxId,
        at: DateTime<Utc>,
    ) -> Result<Option<MailboxRemoval>, RepositoryError>;
}

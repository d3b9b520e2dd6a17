//! The workspace's do-not-contact list (LEADS.md section 3).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::dnc::{DncEntry, DncKeys, DncKind, ListedDncEntry};
use domain::id::{DncEntryId, WorkspaceId};
use domain::listing::{PageLimit, SubstringSearch};

use super::RepositoryError;

/// Which entries of a workspace to list, and from where.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DncQuery {
    /// Only entries of this kind.
    pub kind: Option<DncKind>,
    /// In the entry's value (the lowercased address or domain).
    pub search: Option<SubstringSearch>,
    /// Only entries older than this one (ids sort by creation time): the previous page's last id.
    pub before: Option<DncEntryId>,
    pub limit: PageLimit,
}

/// One page of entries, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DncPage {
    pub entries: Vec<ListedDncEntry>,
    /// How many entries match the filters (not the cursor), on every page alike.
    pub total: u64,
    /// Whether entries older than the last one of this page match too.
    pub has_more: bool,
}

/// What an addition did: `added + skipped` is the number of entries given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DncAddition {
    /// Entries written.
    pub added: u64,
    /// Entries already on the list, or repeating an earlier entry of the same call.
    pub skipped: u64,
}

/// An entry to add, with the id it gets if it is new.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDncEntry {
    pub id: DncEntryId,
    pub entry: DncEntry,
}

/// The do-not-contact entries of each workspace. An entry is identified by its workspace, kind and
/// value (the domain lowercases values, so that comparison ignores case).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait DncRepository: Send + Sync {
    /// Adds `entries` to `workspace`'s list, all in one transaction, with `at` as their
    /// `unsubscribed_at`, `created_at` and `updated_at`. An entry whose (kind, value) the workspace
    /// already has — or that an earlier entry of `entries` repeats — is skipped, not an error, and the
    /// stored one is left as it was (its reason included). The same value on another workspace's list
    /// never makes an entry skipped.
    async fn add(
        &self,
        workspace: WorkspaceId,
        entries: &[NewDncEntry],
        at: DateTime<Utc>,
    ) -> Result<DncAddition, RepositoryError>;

    /// The workspace's entries that match `query`, newest first (descending id), at most
    /// `query.limit` of them, re-parsed through the domain's constructors. Entries added while a
    /// client pages through never shift the pages it has not read yet: `before` is an id, not an
    /// offset.
    async fn list(
        &self,
        workspace: WorkspaceId,
        query: &DncQuery,
    ) -> Result<DncPage, RepositoryError>;

    /// Deletes the entry `id` of `workspace`; `false` (nothing written) when the workspace has no
    /// such entry (another workspace's entry is no different).
    async fn delete(&self, workspace: WorkspaceId, id: DncEntryId)
    -> Result<bool, RepositoryError>;

    /// Which of the addresses whose keys are `keys` (see [`domain::dnc::dnc_keys_of`]) are on
    /// `workspace`'s list: an email entry equal to [`DncKeys::email`], or a domain entry equal to one
    /// of [`DncKeys::domains`]. Answers the matching addresses' `DncKeys::email()`, in the order of
    /// `keys`, each once. The sending engine asks this for each batch of due sends, so it MUST be one
    /// indexed lookup per batch (exact keys on the unique index), never a scan of the list nor a
    /// query per address. Another workspace's entries never match.
    async fn matching(
        &self,
        workspace: WorkspaceId,
        keys: &[DncKeys],
    ) -> Result<Vec<String>, RepositoryError>;
}

//! Mailbox storage and lookup.

use async_trait::async_trait;
use domain::id::{MailboxId, WorkspaceId};
use domain::mailbox::{Mailbox, MailboxSelection, MailboxSummary};

use super::RepositoryError;

/// The workspace's sending mailboxes.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait MailboxRepository: Send + Sync {
    /// Stores a new mailbox. MUST fail with `Conflict` when the workspace already has a mailbox with the
    /// same address compared case-insensitively (another workspace's mailbox never conflicts).
    async fn insert(&self, mailbox: &Mailbox) -> Result<(), RepositoryError>;

    /// The mailbox `id` of `workspace`, or `None`.
    async fn find(
        &self,
        workspace: WorkspaceId,
        id: MailboxId,
    ) -> Result<Option<Mailbox>, RepositoryError>;

    /// Every mailbox of `workspace` that any selector of `selection` matches: by id, by address
    /// (case-insensitively), by any tag (case-insensitively) or by provider. MAY return more mailboxes of
    /// the workspace, never fewer; MUST NOT return a mailbox of another workspace.
    async fn candidates(
        &self,
        workspace: WorkspaceId,
        selection: &MailboxSelection,
    ) -> Result<Vec<MailboxSummary>, RepositoryError>;
}

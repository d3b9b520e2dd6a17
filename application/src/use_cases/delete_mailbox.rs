//! Delete a mailbox (`DELETE /v1/mailboxes/{id}`, an extension): it goes, and every campaign of the
//! workspace that listed it no longer does, in one transaction.

use std::sync::Arc;

use domain::id::MailboxId;

use crate::ports::{Clock, MailboxRemoval, MailboxRepository, RepositoryError};
use crate::tenancy::Tenancy;

/// Why a mailbox was not deleted.
#[derive(Debug, thiserror::Error)]
pub enum DeleteMailboxError {
    /// No such mailbox in the workspace (another workspace's is no different).
    #[error("mailbox not found")]
    NotFound,
    #[error(transparent)]
    Unknown(#[from] RepositoryError),
}

/// The ports delete-mailbox needs.
#[derive(Clone)]
pub struct DeleteMailbox {
    pub mailboxes: Arc<dyn MailboxRepository>,
    pub clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for DeleteMailbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeleteMailbox").finish_non_exhaustive()
    }
}

impl DeleteMailbox {
    /// Deletes the mailbox `id` of the caller's workspace. The campaigns that listed it lose it, and
    /// their `updatedAt` moves to now: they changed.
    pub async fn execute(
        &self,
        tenancy: Tenancy,
        id: MailboxId,
    ) -> Result<MailboxRemoval, DeleteMailboxError> {
        self.mailboxes
            .delete(tenancy.workspace_id, id, self.clock.now())
            .await?
            .ok_or(DeleteMailboxError::NotFound)
    }
}

#[cfg(test)]
mod tests;

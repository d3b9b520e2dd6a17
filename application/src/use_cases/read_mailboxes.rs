//! Reading mailboxes: one by id, or a page of the workspace's, newest first. Credentials never leave
//! storage: the domain's mailbox holds none.

use std::collections::HashMap;
use std::sync::Arc;

use domain::id::MailboxId;
use domain::mailbox::Mailbox;

use crate::ports::{Clock, MailboxPage, MailboxQuery, MailboxRepository, RepositoryError};
use crate::tenancy::Tenancy;

/// Why a mailbox could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadMailboxError {
    /// No such mailbox in the workspace (another workspace's is no different).
    #[error("mailbox not found")]
    NotFound,
    #[error(transparent)]
    Unknown(#[from] RepositoryError),
}

/// The ports reading needs.
#[derive(Clone)]
pub struct ReadMailboxes {
    pub mailboxes: Arc<dyn MailboxRepository>,
    pub clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for ReadMailboxes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReadMailboxes").finish_non_exhaustive()
    }
}

impl ReadMailboxes {
    /// The mailbox `id` of the caller's workspace.
    pub async fn get(&self, tenancy: Tenancy, id: MailboxId) -> Result<Mailbox, ReadMailboxError> {
        self.mailboxes
            .find(tenancy.workspace_id, id)
            .await?
            .ok_or(ReadMailboxError::NotFound)
    }

    /// A page of the caller's workspace's mailboxes matching `query`, newest first.
    pub async fn list(
        &self,
        tenancy: Tenancy,
        query: &MailboxQuery,
    ) -> Result<MailboxPage, RepositoryError> {
        self.mailboxes.list(tenancy.workspace_id, query).await
    }

    /// How many messages each of `mailboxes` (of the caller's workspace) sent in the last 24 hours
    /// (`sentToday`); a mailbox without sends counts 0.
    pub async fn sent_today(
        &self,
        tenancy: Tenancy,
        mailboxes: &[Mailbox],
    ) -> Result<HashMap<MailboxId, u64>, RepositoryError> {
        if mailboxes.is_empty() {
            return Ok(HashMap::new());
        }
        let ids: Vec<MailboxId> = mailboxes.iter().map(Mailbox::id).collect();
        self.mailboxes
            .sends_in_last_day(tenancy.workspace_id, &ids, self.clock.now())
            .await
    }
}

#[cfg(test)]
mod tests;

//! Change a mailbox (`PATCH /v1/mailboxes/{id}`): only the fields the body gives are written, so
//! concurrent changes of different fields are all kept.

use std::sync::Arc;

use domain::id::MailboxId;
use domain::mailbox::Mailbox;
use domain::mailbox_update::{MailboxChanges, MailboxPatchRequest};
use domain::problem::Problems;

use crate::ports::{Clock, MailboxRepository, RepositoryError};
use crate::tenancy::Tenancy;

/// Why a mailbox was not changed.
#[derive(Debug, thiserror::Error)]
pub enum UpdateMailboxError {
    /// No such mailbox in the workspace (another workspace's is no different).
    #[error("mailbox not found")]
    NotFound,
    /// The body breaks rules of the contract; every problem is listed and nothing was written.
    #[error("{0}")]
    Invalid(Problems),
    #[error(transparent)]
    Unknown(anyhow::Error),
}

impl From<RepositoryError> for UpdateMailboxError {
    fn from(error: RepositoryError) -> Self {
        Self::Unknown(error.into())
    }
}

/// The ports update-mailbox needs.
#[derive(Clone)]
pub struct UpdateMailbox {
    pub mailboxes: Arc<dyn MailboxRepository>,
    pub clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for UpdateMailbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UpdateMailbox").finish_non_exhaustive()
    }
}

impl UpdateMailbox {
    /// Applies `request` to the mailbox `id` of the caller's workspace and answers the mailbox as
    /// stored afterwards. `edge_problems` are what the edge found while reading the body (wrong JSON
    /// types, unknown fields such as `email`); any of them makes it invalid.
    pub async fn execute(
        &self,
        tenancy: Tenancy,
        id: MailboxId,
        request: &MailboxPatchRequest,
        edge_problems: Problems,
    ) -> Result<Mailbox, UpdateMailboxError> {
        let changes = match edge_problems.ahead_of(MailboxChanges::parse(request)) {
            Ok(changes) => changes,
            Err(problems) => {
                // A mailbox that is not there is not found, whatever the body says.
                if self
                    .mailboxes
                    .find(tenancy.workspace_id, id)
                    .await?
                    .is_none()
                {
                    return Err(UpdateMailboxError::NotFound);
                }
                return Err(UpdateMailboxError::Invalid(problems));
            }
        };
        self.mailboxes
            .update(tenancy.workspace_id, id, &changes, self.clock.now())
            .await?
            .ok_or(UpdateMailboxError::NotFound)
    }
}

#[cfg(test)]
mod tests;

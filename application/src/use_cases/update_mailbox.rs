//! Change a mailbox (`PATCH /v1/mailboxes/{id}`): only the fields the body gives are written, so
//! concurrent changes of different fields are all kept.

use std::sync::Arc;

use domain::id::MailboxId;
use domain::mailbox::Mailbox;
use domain::mailbox_update::{ConnectionChanges, MailboxChanges, MailboxPatchRequest};
use domain::problem::Problems;

use crate::ports::{Clock, CredentialCipher, MailboxRepository, RepositoryError};
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
    /// Seals new passwords before they reach the repository.
    pub credentials: Arc<dyn CredentialCipher>,
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
        // Connection members merge into the stored connections (domain::mailbox_update), so they
        // need the mailbox as stored; a body without them needs no read first.
        let stored = if request.changes_connections() {
            Some(
                self.mailboxes
                    .find(tenancy.workspace_id, id)
                    .await?
                    .ok_or(UpdateMailboxError::NotFound)?,
            )
        } else {
            None
        };
        let connections = match &stored {
            Some(stored) => ConnectionChanges::parse(request, stored.fields()),
            None => Ok(ConnectionChanges::default()),
        };
        let parsed = match (MailboxChanges::parse(request), connections) {
            (Ok(changes), Ok(connections)) => Ok((changes, connections)),
            (Err(mut problems), Err(later)) => {
                problems.extend(later);
                Err(problems)
            }
            (Err(problems), Ok(_)) | (Ok(_), Err(problems)) => Err(problems),
        };
        let changes = match edge_problems.ahead_of(parsed) {
            Ok((changes, connections)) => changes.with_connections(
                connections.map_passwords(|password| self.credentials.seal(&password)),
            ),
            Err(problems) => {
                // A mailbox that is not there is not found, whatever the body says.
                if stored.is_none()
                    && self
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

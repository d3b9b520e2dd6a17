//! Register a sending mailbox in the caller's workspace (`POST /v1/mailboxes`, an extension).

use std::sync::Arc;

use domain::id::MailboxId;
use domain::mailbox::{Mailbox, MailboxFields};
use domain::problem::{JsonPointer, Problem, ProblemCode, Problems};
use domain::request::MailboxRequest;

use crate::ports::{Clock, CredentialCipher, IdGenerator, MailboxRepository, RepositoryError};
use crate::tenancy::Tenancy;

#[derive(Debug, thiserror::Error)]
pub enum RegisterMailboxError {
    #[error("{0}")]
    Invalid(Problems),
    /// The workspace already has a mailbox with this address (compared case-insensitively).
    #[error("{}", .0.message())]
    EmailTaken(Problem),
    #[error(transparent)]
    Unknown(anyhow::Error),
}

#[derive(Clone)]
pub struct RegisterMailbox {
    pub mailboxes: Arc<dyn MailboxRepository>,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn IdGenerator>,
    /// Seals the connections' passwords before they reach the repository.
    pub credentials: Arc<dyn CredentialCipher>,
}

impl std::fmt::Debug for RegisterMailbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegisterMailbox").finish_non_exhaustive()
    }
}

impl RegisterMailbox {
    /// `edge_problems` are what the edge found while reading the body; any of them makes it invalid.
    pub async fn execute(
        &self,
        tenancy: Tenancy,
        request: &MailboxRequest,
        edge_problems: Problems,
    ) -> Result<Mailbox, RegisterMailboxError> {
        // Problems found at the edge (JSON types, unknown fields) come first; the rest follow.
        let (fields, passwords) = edge_problems
            .ahead_of(MailboxFields::parse_with_passwords(request))
            .map_err(RegisterMailboxError::Invalid)?;
        let sealed = passwords.map(|password| self.credentials.seal(&password));
        let address = fields.email().as_str().to_owned();
        let mailbox = Mailbox::register(
            MailboxId::from(self.ids.new_id()),
            tenancy.workspace_id,
            fields,
            self.clock.now(),
        )
        .with_passwords(sealed);
        match self.mailboxes.insert(&mailbox).await {
            Ok(()) => Ok(mailbox),
            Err(RepositoryError::Conflict(_)) => {
                Err(RegisterMailboxError::EmailTaken(Problem::new(
                    JsonPointer::root().field("email"),
                    ProblemCode::Duplicate,
                    format!("this workspace already has a mailbox with the address {address}"),
                )))
            }
            Err(error) => Err(RegisterMailboxError::Unknown(error.into())),
        }
    }
}

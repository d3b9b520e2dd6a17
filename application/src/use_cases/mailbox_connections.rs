//! A mailbox's connections ready to use: the stored settings with their passwords opened through
//! the server's cipher (SENDING.md section 1). The mailbox test uses it; so will the sending engine
//! and the IMAP reader.

use std::sync::Arc;

use domain::credential::Credential;
use domain::id::{MailboxId, WorkspaceId};
use domain::mailbox::Mailbox;
use domain::mailbox_connection::{MailServer, ServerConnection};

use crate::ports::{
    CredentialCipher, ImapConnection, LoginCredentials, MailboxRepository, RepositoryError,
    SmtpConnection,
};

/// What the mailbox's IMAP settings allow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImapAccess {
    /// Everything needed to log in.
    Ready(ImapConnection),
    /// A host but no username or no password: IMAP always logs in, so nothing can be read.
    WithoutLogin,
}

/// A mailbox's connections, passwords opened. `None`: that connection is not configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenedConnections {
    pub smtp: Option<SmtpConnection>,
    pub imap: Option<ImapAccess>,
}

impl OpenedConnections {
    /// The IMAP connection, when it can log in.
    pub fn imap_connection(&self) -> Option<&ImapConnection> {
        match &self.imap {
            Some(ImapAccess::Ready(connection)) => Some(connection),
            Some(ImapAccess::WithoutLogin) | None => None,
        }
    }
}

/// Why a mailbox's connections could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenConnectionsError {
    /// No such mailbox in the workspace (another workspace's is no different).
    #[error("mailbox not found")]
    NotFound,
    /// A stored password does not open with this server's key (another key sealed it, or it was
    /// altered): never a guess sent to a mail server.
    #[error("the stored {} password of the mailbox cannot be opened with this server's secret key", .0.prefix())]
    Unreadable(MailServer),
    #[error(transparent)]
    Unknown(#[from] RepositoryError),
}

/// The ports opening connections needs.
#[derive(Clone)]
pub struct MailboxConnections {
    pub mailboxes: Arc<dyn MailboxRepository>,
    pub credentials: Arc<dyn CredentialCipher>,
}

impl std::fmt::Debug for MailboxConnections {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MailboxConnections").finish_non_exhaustive()
    }
}

impl MailboxConnections {
    /// The connections of the mailbox `id` of `workspace`.
    pub async fn open(
        &self,
        workspace: WorkspaceId,
        id: MailboxId,
    ) -> Result<OpenedConnections, OpenConnectionsError> {
        let mailbox = self
            .mailboxes
            .find(workspace, id)
            .await?
            .ok_or(OpenConnectionsError::NotFound)?;
        self.open_mailbox(&mailbox)
    }

    /// The connections of a mailbox already read.
    pub fn open_mailbox(
        &self,
        mailbox: &Mailbox,
    ) -> Result<OpenedConnections, OpenConnectionsError> {
        let fields = mailbox.fields();
        let smtp = match fields.smtp() {
            None => None,
            Some(connection) => {
                let credentials = self.login(mailbox, MailServer::Smtp, connection)?;
                Some(SmtpConnection {
                    host: connection.host().as_str().to_owned(),
                    port: connection.port(),
                    secure: connection.secure(),
                    credentials,
                })
            }
        };
        let imap = match fields.imap() {
            None => None,
            Some(connection) => Some(match self.login(mailbox, MailServer::Imap, connection)? {
                Some(credentials) => ImapAccess::Ready(ImapConnection {
                    host: connection.host().as_str().to_owned(),
                    port: connection.port(),
                    secure: connection.secure(),
                    credentials,
                }),
                None => ImapAccess::WithoutLogin,
            }),
        };
        Ok(OpenedConnections { smtp, imap })
    }

    /// The username and the opened password, when the connection has both.
    fn login(
        &self,
        mailbox: &Mailbox,
        server: MailServer,
        connection: &ServerConnection,
    ) -> Result<Option<LoginCredentials>, OpenConnectionsError> {
        let (Some(username), Some(sealed)) =
            (connection.username(), mailbox.passwords().get(server))
        else {
            return Ok(None);
        };
        let password: Credential = self
            .credentials
            .open(sealed)
            .map_err(|_| OpenConnectionsError::Unreadable(server))?;
        Ok(Some(LoginCredentials {
            username: username.to_owned(),
            password,
        }))
    }
}

#[cfg(test)]
pub(crate) mod tests;

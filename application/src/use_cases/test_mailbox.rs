//! `POST /v1/mailboxes/{id}/test` [ext] (SENDING.md section 1): connect and log in to the mailbox's
//! SMTP and IMAP servers, send nothing, read nothing.
//!
//! A test only reports: a failed test does not change the mailbox (its `status` and `lastError` stay
//! as they were). The engine, which actually sends, is what puts a mailbox in `error`; a test run
//! while fixing the settings must not flip it back and forth.

use std::sync::Arc;

use domain::id::MailboxId;

use crate::ports::{MailTransport, MailboxReader, SendFailure};
use crate::tenancy::Tenancy;
use crate::use_cases::mailbox_connections::{ImapAccess, MailboxConnections, OpenConnectionsError};

/// One connection's check: `Err` holds why it failed, in words for the API user (never a password).
pub type CheckOutcome = Result<(), String>;

/// What the test found. `None`: that connection is not configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailboxTestReport {
    pub smtp: Option<CheckOutcome>,
    pub imap: Option<CheckOutcome>,
}

/// Why the test did not run.
#[derive(Debug, thiserror::Error)]
pub enum TestMailboxError {
    /// No such mailbox in the workspace (another workspace's is no different).
    #[error("mailbox not found")]
    NotFound,
    #[error(transparent)]
    Unknown(anyhow::Error),
}

/// The ports the test needs.
#[derive(Clone)]
pub struct TestMailbox {
    pub connections: MailboxConnections,
    pub transport: Arc<dyn MailTransport>,
    pub reader: Arc<dyn MailboxReader>,
}

impl std::fmt::Debug for TestMailbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestMailbox").finish_non_exhaustive()
    }
}

impl TestMailbox {
    /// Checks both connections of the mailbox `id` of the caller's workspace, side by side.
    pub async fn execute(
        &self,
        tenancy: Tenancy,
        id: MailboxId,
    ) -> Result<MailboxTestReport, TestMailboxError> {
        let opened = self
            .connections
            .open(tenancy.workspace_id, id)
            .await
            .map_err(|error| match error {
                OpenConnectionsError::NotFound => TestMailboxError::NotFound,
                other => TestMailboxError::Unknown(other.into()),
            })?;
        let smtp = async {
            match &opened.smtp {
                None => None,
                Some(connection) => Some(
                    self.transport
                        .check(connection)
                        .await
                        .map_err(|failure: SendFailure| failure.to_string()),
                ),
            }
        };
        let imap = async {
            match &opened.imap {
                None => None,
                Some(ImapAccess::WithoutLogin) => Some(Err(
                    "IMAP needs imapUsername and imapPassword to log in".to_owned(),
                )),
                Some(ImapAccess::Ready(connection)) => Some(
                    self.reader
                        .check(connection)
                        .await
                        .map_err(|failure| failure.to_string()),
                ),
            }
        };
        let (smtp, imap) = futures_util::future::join(smtp, imap).await;
        Ok(MailboxTestReport { smtp, imap })
    }
}

#[cfg(test)]
mod tests;

//! Reading what arrives in a mailbox's INBOX over IMAP (SENDING.md sections 1 and 5): the mailbox
//! test's LOGIN + SELECT, and the messages after the last one read, for replies, auto-replies and
//! bounces.
//!
//! The reader keeps no state of its own: the position in the INBOX ([`InboxPosition`]) is the
//! caller's to store, so that each message is read once across restarts and processes.

use async_trait::async_trait;

use super::LoginCredentials;
use domain::inbound::InboundMessage;
use domain::mailbox_connection::ServerHost;

/// Where and how to reach a mailbox's IMAP server (SENDING.md section 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImapConnection {
    pub host: String,
    pub port: u16,
    /// `true`: TLS from the first byte (usual on 993). `false`: STARTTLS when the server offers it —
    /// and required when credentials would otherwise cross the network in plain text.
    pub secure: bool,
    /// IMAP always logs in; without credentials there is nothing to read.
    pub credentials: LoginCredentials,
}

impl ImapConnection {
    /// Whether `host` names this machine: only to such a host may credentials travel without TLS.
    pub fn is_loopback_host(&self) -> bool {
        ServerHost::parse(&self.host).is_ok_and(|host| host.is_loopback())
    }
}

/// How far an INBOX has been read: its `UIDVALIDITY` and the highest UID read. A different
/// `UIDVALIDITY` on the server means the UIDs were renumbered: the position no longer applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InboxPosition {
    pub uid_validity: u32,
    pub last_uid: u32,
}

/// One message of the INBOX, as the server holds it (RFC 5322 bytes, headers and body).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboxMessage {
    pub uid: u32,
    pub raw: Vec<u8>,
}

/// What one read found: the messages after the position, oldest first, and the position after them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboxBatch {
    pub messages: Vec<InboxMessage>,
    pub position: InboxPosition,
}

/// Why the INBOX could not be read (or checked).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadFailure {
    /// The server refused the credentials: the mailbox's settings are wrong.
    #[error("IMAP authentication failed: {detail}")]
    Authentication { detail: String },
    /// Credentials would have crossed the network in plain text (a host other than loopback without
    /// TLS): refused before LOGIN.
    #[error("refused to send credentials without TLS to {host}")]
    InsecureConnection { host: String },
    /// Anything else (refused connection, timeout, TLS failure, no INBOX): try again later.
    #[error("IMAP failure: {detail}")]
    Temporary { detail: String },
}

/// Reads mailboxes over IMAP.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait MailboxReader: Send + Sync {
    /// Connects, secures (TLS or STARTTLS), logs in and selects `INBOX`, then logs out: nothing is
    /// read or changed (`POST /v1/mailboxes/{id}/test`).
    ///
    /// Contract: MUST NOT send credentials without TLS to a host other than loopback
    /// ([`ImapConnection::is_loopback_host`]): then [`ReadFailure::InsecureConnection`] before LOGIN.
    /// Waits at most 10 seconds for the connection and for each reply.
    async fn check(&self, connection: &ImapConnection) -> Result<(), ReadFailure>;

    /// The INBOX's messages after `after` (all of them when `None`, or when the server's
    /// `UIDVALIDITY` differs from the position's — then the new position carries the server's),
    /// oldest first, at most `limit` of them. Read with `BODY.PEEK[]`: the `\Seen` flags stay as they
    /// were, so a person reading the same mailbox sees nothing change.
    ///
    /// Same contract on credentials and timeouts as [`Self::check`].
    async fn read_after(
        &self,
        connection: &ImapConnection,
        after: Option<InboxPosition>,
        limit: usize,
    ) -> Result<InboxBatch, ReadFailure>;
}

/// Parses a message read from an INBOX into the plain structure the classification reads
/// (`domain::inbound`). Pure and synchronous: no I/O.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait InboundParser: Send + Sync {
    /// Contract: never fails; bytes that are no message give an empty [`InboundMessage`] (which
    /// classifies as a reply to nothing, so nothing happens).
    fn parse(&self, raw: &[u8]) -> InboundMessage;
}

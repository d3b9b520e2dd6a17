//! Changing a mailbox (`PATCH /v1/mailboxes/{id}`): which fields a client may change, and how.
//!
//! Only `displayName`, `dailySendLimit`, `signature`, `sendingEnabled` and `tags` change; the address,
//! provider and status never do here. Each field follows the rule it has on create, except that
//! `dailySendLimit` is clamped into 1–50 instead of refused (spec 3). `null` resets a field to what a
//! new mailbox gets when the field is left out: no display name, no signature, no tags, 50 a day,
//! sending enabled.
//!
//! The connection members (`smtpHost`… `imapPassword`, SENDING.md section 1) merge into the stored
//! connection, member by member ([`ConnectionChanges::parse`], which needs the stored mailbox):
//! - `smtpHost: null` removes the whole SMTP connection, its password with it; another `smtp…`
//!   member beside it is refused.
//! - `smtpPort: null` and `smtpSecure: null` go back to the defaults; `smtpUsername: null` removes
//!   the username, and with it the stored password (there is nothing to log in as).
//! - `smtpPassword` replaces the stored password; `smtpPassword: null` removes it.
//! - A password not given is kept while the host and the username stay as they were. A changed host
//!   or username drops the stored password unless the same request gives one: a password goes only to
//!   the server and account it was given for (otherwise pointing `smtpHost` at another server, or
//!   at the mailbox test, would hand the stored password to whoever runs it).
//! - The merged connection follows the rules of create: every problem reported, nothing changed.

use crate::credential::{Credential, SealedCredential};
use crate::mailbox::MailboxFields;
use crate::mailbox::{
    DEFAULT_MAILBOX_DAILY_SEND_LIMIT, DEFAULT_MAILBOX_SENDING_ENABLED, clamp_daily_send_limit,
    parse_display_name, parse_signature, parse_tags,
};
use crate::mailbox_connection::{ConnectionRequest, MailServer, ServerConnection};
use crate::problem::{JsonPointer, ProblemCode, Problems};

/// One member of a PATCH body: left out, `null`, or a value.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum PatchValue<T> {
    /// Not in the body: the stored value stays.
    #[default]
    Absent,
    /// `null`: back to the default.
    Null,
    Given(T),
}

/// The body of `PATCH /v1/mailboxes/{id}` as plain data; nothing in it is trusted yet.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MailboxPatchRequest {
    pub display_name: PatchValue<String>,
    pub daily_send_limit: PatchValue<i64>,
    pub signature: PatchValue<String>,
    pub sending_enabled: PatchValue<bool>,
    pub tags: PatchValue<Vec<String>>,
    pub smtp_host: PatchValue<String>,
    pub smtp_port: PatchValue<i64>,
    pub smtp_secure: PatchValue<bool>,
    pub smtp_username: PatchValue<String>,
    pub smtp_password: PatchValue<String>,
    pub imap_host: PatchValue<String>,
    pub imap_port: PatchValue<i64>,
    pub imap_secure: PatchValue<bool>,
    pub imap_username: PatchValue<String>,
    pub imap_password: PatchValue<String>,
}

/// One connection's members of a PATCH body.
#[derive(Debug, Clone, Copy)]
struct ConnectionPatch<'a> {
    host: &'a PatchValue<String>,
    port: &'a PatchValue<i64>,
    secure: &'a PatchValue<bool>,
    username: &'a PatchValue<String>,
    password: &'a PatchValue<String>,
}

impl ConnectionPatch<'_> {
    fn is_empty(&self) -> bool {
        matches!(self.host, PatchValue::Absent)
            && matches!(self.port, PatchValue::Absent)
            && matches!(self.secure, PatchValue::Absent)
            && matches!(self.username, PatchValue::Absent)
            && matches!(self.password, PatchValue::Absent)
    }

    /// The members given besides the host, by wire name.
    fn others_given(&self, server: MailServer) -> Vec<String> {
        [
            ("Port", !matches!(self.port, PatchValue::Absent)),
            ("Secure", !matches!(self.secure, PatchValue::Absent)),
            ("Username", !matches!(self.username, PatchValue::Absent)),
            ("Password", !matches!(self.password, PatchValue::Absent)),
        ]
        .into_iter()
        .filter(|(_, given)| *given)
        .map(|(name, _)| format!("{}{name}", server.prefix()))
        .collect()
    }
}

impl MailboxPatchRequest {
    fn connection(&self, server: MailServer) -> ConnectionPatch<'_> {
        match server {
            MailServer::Smtp => ConnectionPatch {
                host: &self.smtp_host,
                port: &self.smtp_port,
                secure: &self.smtp_secure,
                username: &self.smtp_username,
                password: &self.smtp_password,
            },
            MailServer::Imap => ConnectionPatch {
                host: &self.imap_host,
                port: &self.imap_port,
                secure: &self.imap_secure,
                username: &self.imap_username,
                password: &self.imap_password,
            },
        }
    }

    /// Whether the body gives any connection member (then the stored mailbox is needed to merge).
    pub fn changes_connections(&self) -> bool {
        !self.connection(MailServer::Smtp).is_empty()
            || !self.connection(MailServer::Imap).is_empty()
    }
}

/// What a PATCH does to a stored password. `P` is a [`Credential`] as parsed, a
/// [`crate::credential::SealedCredential`] once sealed for storage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasswordChange<P> {
    Keep,
    Clear,
    Replace(P),
}

/// What a PATCH does to one connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnectionChange<P> {
    /// No connection any more (its password gone too).
    Remove,
    /// The connection as merged, and what happens to its password.
    Set {
        connection: ServerConnection,
        password: PasswordChange<P>,
    },
}

/// What a PATCH does to the two connections: `None` leaves one as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionChanges<P> {
    pub smtp: Option<ConnectionChange<P>>,
    pub imap: Option<ConnectionChange<P>>,
}

impl<P> Default for ConnectionChanges<P> {
    fn default() -> Self {
        Self {
            smtp: None,
            imap: None,
        }
    }
}

impl<P> ConnectionChanges<P> {
    pub fn get(&self, server: MailServer) -> Option<&ConnectionChange<P>> {
        match server {
            MailServer::Smtp => self.smtp.as_ref(),
            MailServer::Imap => self.imap.as_ref(),
        }
    }

    /// Each new password turned into another form (sealed, for storage).
    pub fn map_passwords<Q>(self, mut convert: impl FnMut(P) -> Q) -> ConnectionChanges<Q> {
        let mut one = |change: Option<ConnectionChange<P>>| {
            change.map(|change| match change {
                ConnectionChange::Remove => ConnectionChange::Remove,
                ConnectionChange::Set {
                    connection,
                    password,
                } => ConnectionChange::Set {
                    connection,
                    password: match password {
                        PasswordChange::Keep => PasswordChange::Keep,
                        PasswordChange::Clear => PasswordChange::Clear,
                        PasswordChange::Replace(password) => {
                            PasswordChange::Replace(convert(password))
                        }
                    },
                },
            })
        };
        let smtp = one(self.smtp);
        let imap = one(self.imap);
        ConnectionChanges { smtp, imap }
    }
}

impl ConnectionChanges<Credential> {
    /// The body's connection members merged into the `stored` mailbox's connections (module
    /// documentation), reporting every problem with its pointer.
    pub fn parse(
        request: &MailboxPatchRequest,
        stored: &MailboxFields,
    ) -> Result<ConnectionChanges<Credential>, Problems> {
        let mut problems = Problems::new();
        let smtp = merge(
            MailServer::Smtp,
            request.connection(MailServer::Smtp),
            stored.smtp(),
            &mut problems,
        );
        let imap = merge(
            MailServer::Imap,
            request.connection(MailServer::Imap),
            stored.imap(),
            &mut problems,
        );
        match (smtp, imap) {
            (Some(smtp), Some(imap)) if problems.is_empty() => Ok(ConnectionChanges { smtp, imap }),
            _ => Err(problems),
        }
    }
}

/// One connection's members merged into the stored connection: `Some(None)` when the body gives
/// none, `None` when invalid (the problems reported).
fn merge(
    server: MailServer,
    patch: ConnectionPatch<'_>,
    stored: Option<&ServerConnection>,
    problems: &mut Problems,
) -> Option<Option<ConnectionChange<Credential>>> {
    if patch.is_empty() {
        return Some(None);
    }
    let root = JsonPointer::root();
    if matches!(patch.host, PatchValue::Null) {
        let others = patch.others_given(server);
        for member in &others {
            problems.add(
                root.field(member),
                ProblemCode::NotAllowed,
                format!(
                    "{member} cannot be given with {}Host: null, which removes the {} connection",
                    server.prefix(),
                    server.prefix()
                ),
            );
        }
        return others.is_empty().then_some(Some(ConnectionChange::Remove));
    }
    fn merged<T: Clone>(member: &PatchValue<T>, stored: Option<T>) -> Option<T> {
        match member {
            PatchValue::Absent => stored,
            PatchValue::Null => None,
            PatchValue::Given(value) => Some(value.clone()),
        }
    }
    let request = ConnectionRequest {
        host: merged(
            patch.host,
            stored.map(|stored| stored.host().as_str().to_owned()),
        ),
        port: merged(patch.port, stored.map(|stored| i64::from(stored.port()))),
        secure: merged(patch.secure, stored.map(ServerConnection::secure)),
        username: merged(
            patch.username,
            stored.and_then(|stored| stored.username().map(str::to_owned)),
        ),
        password: match patch.password {
            PatchValue::Given(password) => Some(password.clone()),
            PatchValue::Absent | PatchValue::Null => None,
        },
    };
    let parsed = ServerConnection::parse(server, &request, &root, problems)?;
    let Some(parsed) = parsed else {
        // Only `…Password: null` (or nulls) on a mailbox without this connection: nothing to keep.
        return Some(Some(ConnectionChange::Remove));
    };
    let password = match (parsed.password, patch.password) {
        (Some(password), _) => PasswordChange::Replace(password),
        (None, PatchValue::Null) => PasswordChange::Clear,
        (None, _) => {
            let same_login = stored.is_some_and(|stored| {
                stored.host() == parsed.connection.host()
                    && stored.username() == parsed.connection.username()
            });
            if same_login && parsed.connection.username().is_some() {
                PasswordChange::Keep
            } else {
                PasswordChange::Clear
            }
        }
    };
    Some(Some(ConnectionChange::Set {
        connection: parsed.connection,
        password,
    }))
}

/// Valid changes to a mailbox: each `Some` replaces the stored value, each `None` keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MailboxChanges {
    display_name: Option<Option<String>>,
    daily_send_limit: Option<u32>,
    signature: Option<Option<String>>,
    sending_enabled: Option<bool>,
    tags: Option<Vec<String>>,
    connections: ConnectionChanges<SealedCredential>,
}

impl MailboxChanges {
    /// Parses a PATCH body's plain members, reporting every problem with its pointer. The connection
    /// members are parsed apart ([`ConnectionChanges::parse`], which needs the stored mailbox) and
    /// join through [`Self::with_connections`] once their passwords are sealed.
    pub fn parse(request: &MailboxPatchRequest) -> Result<MailboxChanges, Problems> {
        let root = JsonPointer::root();
        let mut problems = Problems::new();
        let display_name = match &request.display_name {
            PatchValue::Absent => Some(None),
            PatchValue::Null => Some(Some(None)),
            PatchValue::Given(name) => {
                parse_display_name(Some(name), &root.field("displayName"), &mut problems).map(Some)
            }
        };
        let daily_send_limit = match request.daily_send_limit {
            PatchValue::Absent => None,
            PatchValue::Null => Some(DEFAULT_MAILBOX_DAILY_SEND_LIMIT),
            PatchValue::Given(limit) => Some(clamp_daily_send_limit(limit)),
        };
        let signature = match &request.signature {
            PatchValue::Absent => Some(None),
            PatchValue::Null => Some(Some(None)),
            PatchValue::Given(signature) => {
                parse_signature(Some(signature), &root.field("signature"), &mut problems).map(Some)
            }
        };
        let sending_enabled = match request.sending_enabled {
            PatchValue::Absent => None,
            PatchValue::Null => Some(DEFAULT_MAILBOX_SENDING_ENABLED),
            PatchValue::Given(enabled) => Some(enabled),
        };
        let tags = match &request.tags {
            PatchValue::Absent => Some(None),
            PatchValue::Null => Some(Some(Vec::new())),
            PatchValue::Given(tags) => {
                parse_tags(tags, &root.field("tags"), &mut problems).map(Some)
            }
        };
        match (display_name, signature, tags) {
            (Some(display_name), Some(signature), Some(tags)) if problems.is_empty() => {
                Ok(MailboxChanges {
                    display_name,
                    daily_send_limit,
                    signature,
                    sending_enabled,
                    tags,
                    connections: ConnectionChanges::default(),
                })
            }
            _ => Err(problems),
        }
    }

    /// The new display name (`Some(None)`: none), or `None` to keep it.
    pub fn display_name(&self) -> Option<Option<&str>> {
        self.display_name.as_ref().map(Option::as_deref)
    }

    /// The new daily send limit, already in 1–50, or `None` to keep it.
    pub fn daily_send_limit(&self) -> Option<u32> {
        self.daily_send_limit
    }

    /// The new signature (`Some(None)`: none), or `None` to keep it.
    pub fn signature(&self) -> Option<Option<&str>> {
        self.signature.as_ref().map(Option::as_deref)
    }

    pub fn sending_enabled(&self) -> Option<bool> {
        self.sending_enabled
    }

    /// The tags that replace all stored ones (as given, trimmed), or `None` to keep them.
    pub fn tags(&self) -> Option<&[String]> {
        self.tags.as_deref()
    }

    /// The changes with what happens to the connections, their new passwords sealed.
    pub fn with_connections(mut self, connections: ConnectionChanges<SealedCredential>) -> Self {
        self.connections = connections;
        self
    }

    /// What happens to the connections (`None` members: kept as stored).
    pub fn connections(&self) -> &ConnectionChanges<SealedCredential> {
        &self.connections
    }
}

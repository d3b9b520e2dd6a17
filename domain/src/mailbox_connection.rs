//! A mailbox's connections to its mail servers (SENDING.md section 1): SMTP to send, IMAP to read
//! what comes back. A request gives each as flat members (`smtpHost`, `smtpPort`, `smtpSecure`,
//! `smtpUsername`, `smtpPassword`, and the same with `imap`); [`ServerConnection`] is one of them
//! parsed, its password apart as a [`Credential`] (stored only sealed, never answered).
//!
//! Decided where the spec is silent:
//! - A connection exists when its host is given; any other member of it without the host is refused
//!   (at the host's pointer), so that a typo does not silently leave a mailbox unable to send.
//! - The host is a DNS name or an IP address literal (`127.0.0.1`, `::1`): a local relay is common.
//! - A password needs a username (there is nothing to log in as without one); a username may come
//!   without a password (a relay that trusts the address).
//! - Usernames are kept exactly as given (some servers are case-sensitive); at most 320 characters,
//!   on one line. Passwords: 1–1,024 characters, no control character.

use std::net::IpAddr;

use crate::credential::Credential;
use crate::problem::{Invalid, JsonPointer, ProblemCode, Problems};
use crate::text::{Lines, named, stored_text};
use crate::values::HostName;

/// The longest username (an email address at most).
pub const MAX_USERNAME_CHARS: usize = 320;
/// The longest password.
pub const MAX_PASSWORD_CHARS: usize = 1_024;

/// Which server a connection reaches, with its defaults (SendKit's: SMTP 587 with STARTTLS, IMAP
/// 993 with TLS).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailServer {
    Smtp,
    Imap,
}

impl MailServer {
    /// The members' prefix on the wire.
    pub fn prefix(self) -> &'static str {
        match self {
            Self::Smtp => "smtp",
            Self::Imap => "imap",
        }
    }

    pub fn default_port(self) -> u16 {
        match self {
            Self::Smtp => 587,
            Self::Imap => 993,
        }
    }

    /// `true`: TLS from the first byte; `false`: STARTTLS when the server offers it.
    pub fn default_secure(self) -> bool {
        match self {
            Self::Smtp => false,
            Self::Imap => true,
        }
    }

    fn member(self, name: &str) -> String {
        format!("{}{name}", self.prefix())
    }
}

/// One connection's members of a request body, as sent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConnectionRequest {
    pub host: Option<String>,
    pub port: Option<i64>,
    pub secure: Option<bool>,
    pub username: Option<String>,
    pub password: Option<String>,
}

impl ConnectionRequest {
    fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// A mail server's host: a DNS name (lowercase) or an IP address literal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerHost(String);

impl ServerHost {
    pub fn parse(raw: &str) -> Result<ServerHost, Invalid> {
        let trimmed = raw.trim();
        let literal = trimmed.trim_start_matches('[').trim_end_matches(']');
        if let Ok(address) = literal.parse::<IpAddr>() {
            return Ok(ServerHost(address.to_string()));
        }
        if trimmed.eq_ignore_ascii_case("localhost") {
            return Ok(ServerHost("localhost".to_owned()));
        }
        HostName::parse(trimmed)
            .map(|name| ServerHost(name.as_str().to_owned()))
            .map_err(|_| {
                Invalid::new(
                    ProblemCode::InvalidFormat,
                    "must be a host name (mail.example.com) or an IP address",
                )
            })
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether the host is this machine (`localhost`, `127.0.0.0/8`, `::1`): the only place a
    /// password may travel without TLS (SENDING.md section 1).
    pub fn is_loopback(&self) -> bool {
        self.0 == "localhost"
            || self
                .0
                .parse::<IpAddr>()
                .is_ok_and(|address| address.is_loopback())
    }
}

/// How to reach and log in to one mail server; the password is kept apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerConnection {
    host: ServerHost,
    port: u16,
    secure: bool,
    username: Option<String>,
}

/// A connection parsed from a request, with the password it gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedConnection {
    pub connection: ServerConnection,
    pub password: Option<Credential>,
}

impl ServerConnection {
    /// The `server` members of a request body at `at` (its root): `Some(None)` when it gives none,
    /// `None` when one is invalid (every problem reported).
    pub fn parse(
        server: MailServer,
        request: &ConnectionRequest,
        at: &JsonPointer,
        problems: &mut Problems,
    ) -> Option<Option<ParsedConnection>> {
        if request.is_empty() {
            return Some(None);
        }
        let host_member = server.member("Host");
        let found_before = problems.len();
        let host = match request.host.as_deref() {
            None => {
                problems.add(
                    at.field(&host_member),
                    ProblemCode::Required,
                    format!(
                        "{host_member} is required with the other {} settings",
                        server.prefix()
                    ),
                );
                None
            }
            Some(raw) => problems.check(
                ServerHost::parse(raw).map_err(|invalid| named(&host_member, invalid)),
                at.field(&host_member),
            ),
        };
        let port = match request.port {
            None => Some(server.default_port()),
            Some(raw) => {
                let port = u16::try_from(raw).ok().filter(|port| *port > 0);
                if port.is_none() {
                    let member = server.member("Port");
                    problems.add(
                        at.field(&member),
                        ProblemCode::OutOfRange,
                        format!("{member} must be between 1 and 65535"),
                    );
                }
                port
            }
        };
        let username = request.username.as_deref().and_then(|raw| {
            let member = server.member("Username");
            problems.check(
                parse_username(raw, &member).map(|()| raw.to_owned()),
                at.field(&member),
            )
        });
        let password = request.password.as_deref().and_then(|raw| {
            let member = server.member("Password");
            problems.check(
                parse_password(raw, &member).map(|()| Credential::new(raw)),
                at.field(&member),
            )
        });
        if request.password.is_some() && request.username.is_none() {
            let member = server.member("Password");
            problems.add(
                at.field(&member),
                ProblemCode::NotAllowed,
                format!("{member} needs {}", server.member("Username")),
            );
        }
        match (host, port) {
            (Some(host), Some(port)) if problems.len() == found_before => {
                Some(Some(ParsedConnection {
                    connection: ServerConnection {
                        host,
                        port,
                        secure: request.secure.unwrap_or(server.default_secure()),
                        username,
                    },
                    password,
                }))
            }
            _ => None,
        }
    }

    /// A connection read back from storage.
    pub fn restore(host: ServerHost, port: u16, secure: bool, username: Option<String>) -> Self {
        Self {
            host,
            port,
            secure,
            username,
        }
    }

    pub fn host(&self) -> &ServerHost {
        &self.host
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// `true`: TLS from the first byte; `false`: STARTTLS when the server offers it.
    pub fn secure(&self) -> bool {
        self.secure
    }

    pub fn username(&self) -> Option<&str> {
        self.username.as_deref()
    }
}

/// What a mailbox keeps of its two connections' passwords: `P` is a [`Credential`] as a request gives
/// it, a [`crate::credential::SealedCredential`] as it is stored. A password exists only with a
/// connection that has a username.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionPasswords<P> {
    pub smtp: Option<P>,
    pub imap: Option<P>,
}

impl<P> Default for ConnectionPasswords<P> {
    fn default() -> Self {
        Self {
            smtp: None,
            imap: None,
        }
    }
}

impl<P> ConnectionPasswords<P> {
    pub fn get(&self, server: MailServer) -> Option<&P> {
        match server {
            MailServer::Smtp => self.smtp.as_ref(),
            MailServer::Imap => self.imap.as_ref(),
        }
    }

    /// Each password turned into another form (sealed, for one).
    pub fn map<Q>(self, mut convert: impl FnMut(P) -> Q) -> ConnectionPasswords<Q> {
        ConnectionPasswords {
            smtp: self.smtp.map(&mut convert),
            imap: self.imap.map(&mut convert),
        }
    }
}

fn parse_username(raw: &str, member: &str) -> Result<(), Invalid> {
    if raw.trim().is_empty() {
        return Err(Invalid::new(
            ProblemCode::Blank,
            format!("{member} must not be blank"),
        ));
    }
    stored_text(raw, member, MAX_USERNAME_CHARS, Lines::One)
}

fn parse_password(raw: &str, member: &str) -> Result<(), Invalid> {
    if raw.is_empty() {
        return Err(Invalid::new(
            ProblemCode::Blank,
            format!("{member} must not be empty"),
        ));
    }
    // Never quote the password in a message: only its member and the rule.
    stored_text(raw, member, MAX_PASSWORD_CHARS, Lines::One)
}

#[cfg(test)]
mod tests;

//! [`MailboxReader`] over IMAP with async-imap: [`ImapMailboxReader`].
//!
//! One connection per call, closed with `LOGOUT`: the reader polls (SENDING.md section 5: at least
//! once a minute), so a kept connection would save little and hold a server slot per mailbox.
//!
//! TLS is rustls with the webpki roots (the same stack lettre uses for SMTP): implicit TLS when
//! `secure`, else `STARTTLS` when the server's `CAPABILITY` offers it. async-imap has no `STARTTLS`
//! of its own, so the few commands before TLS (`CAPABILITY`, `STARTTLS`) are written here; whatever
//! the server sent after its `STARTTLS` reply and before the handshake is dropped with the plain
//! stream, never read as if it came over TLS. Credentials travel without TLS only to a loopback host
//! (SENDING.md section 1): otherwise [`ReadFailure::InsecureConnection`] before `LOGIN`.
//!
//! Every connect, handshake and reply is awaited at most 10 seconds; nothing secret is logged.

mod parse;
pub use parse::MailParser;

use std::sync::Arc;
use std::time::Duration;

use application::ports::{
    ImapConnection, InboxBatch, InboxMessage, InboxPosition, MailboxReader, ReadFailure,
};
use async_imap::imap_proto::{Capability, Response, ResponseCode, Status};
use async_imap::types::{Capability as OwnedCapability, Mailbox};
use async_imap::{Client, Session};
use async_trait::async_trait;
use futures_util::StreamExt as _;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt as _};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};
use tokio_rustls::rustls::{self, ClientConfig, RootCertStore};

/// How long to wait for a connection, a TLS handshake, and each reply.
const TIMEOUT: Duration = Duration::from_secs(10);

/// The byte stream under the IMAP client: plain TCP (loopback only when logging in) or TLS.
trait ImapIo: AsyncRead + AsyncWrite + Unpin + Send + std::fmt::Debug {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + std::fmt::Debug> ImapIo for T {}
type Stream = Box<dyn ImapIo>;

/// Reads INBOXes over IMAP; keeps no connection and no state between calls.
#[derive(Clone)]
pub struct ImapMailboxReader {
    tls: TlsConnector,
}

impl std::fmt::Debug for ImapMailboxReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImapMailboxReader").finish_non_exhaustive()
    }
}

impl Default for ImapMailboxReader {
    fn default() -> Self {
        Self::new()
    }
}

impl ImapMailboxReader {
    /// Trusts the webpki roots (Mozilla's list), as the SMTP adapter does.
    pub fn new() -> ImapMailboxReader {
        ImapMailboxReader::trusting(root_store())
    }

    /// Trusts `certificate` (DER) too, beside the webpki roots: for servers with a certificate of
    /// their own making, such as the test server's self-signed one. A certificate that is not DER
    /// is an error here rather than a TLS failure at every connection.
    pub fn with_extra_root(certificate: &[u8]) -> Result<ImapMailboxReader, rustls::Error> {
        let mut roots = root_store();
        roots
            .add(CertificateDer::from(certificate.to_vec()))
            .map_err(|error| rustls::Error::General(format!("the extra root: {error}")))?;
        Ok(ImapMailboxReader::trusting(roots))
    }

    fn trusting(roots: RootCertStore) -> ImapMailboxReader {
        // ring, the provider lettre uses for SMTP: one TLS stack, and no process-wide default
        // provider to install. rustls 0.23.48 deprecates it for its lack of post-quantum key
        // exchange; moving to aws-lc-rs (a C build) is a decision for SMTP and IMAP together.
        #[allow(deprecated)]
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map(|builder| builder.with_root_certificates(roots).with_no_client_auth());
        let config = match config {
            Ok(config) => config,
            // ring's default provider supports the default versions; this cannot happen.
            Err(error) => unreachable!("ring lacks the default TLS versions: {error}"),
        };
        ImapMailboxReader {
            tls: TlsConnector::from(Arc::new(config)),
        }
    }

    /// Connects, secures and logs in.
    async fn open(&self, settings: &ImapConnection) -> Result<Session<Stream>, ReadFailure> {
        let tcp = timed(
            "connecting",
            TcpStream::connect((settings.host.as_str(), settings.port)),
        )
        .await?
        .map_err(|error| temporary("connecting", error))?;

        let tcp: Stream = Box::new(tcp);
        let client = if settings.secure {
            let mut client = Client::new(self.handshake(&settings.host, tcp).await?);
            read_greeting(&mut client).await?;
            client
        } else {
            let mut client = Client::new(tcp);
            let capabilities = match read_greeting(&mut client).await? {
                Some(capabilities) => capabilities,
                None => capability(&mut client).await?,
            };
            let offers_starttls = capabilities.iter().any(|capability| {
                matches!(capability, OwnedCapability::Atom(atom) if atom.eq_ignore_ascii_case("STARTTLS"))
            });
            if offers_starttls {
                starttls(&mut client).await?;
                // The plain stream's buffer goes with `client`: nothing the server sent before the
                // handshake is read as if it came over TLS. No greeting follows STARTTLS.
                Client::new(self.handshake(&settings.host, client.into_inner()).await?)
            } else if settings.is_loopback_host() {
                client
            } else {
                // SENDING.md section 1: credentials in plain text only to loopback.
                let _ = timed("closing", client.get_mut().shutdown()).await;
                return Err(ReadFailure::InsecureConnection {
                    host: settings.host.clone(),
                });
            }
        };
        login(client, settings).await
    }

    async fn handshake(&self, host: &str, tcp: Stream) -> Result<Stream, ReadFailure> {
        let name =
            ServerName::try_from(host.to_owned()).map_err(|error| ReadFailure::Temporary {
                detail: format!("TLS: {host} is not a valid server name: {error}"),
            })?;
        let tls = timed("TLS handshake", self.tls.connect(name, tcp))
            .await?
            .map_err(|error| temporary("TLS handshake", error))?;
        Ok(Box::new(tls))
    }
}

#[async_trait]
impl MailboxReader for ImapMailboxReader {
    async fn check(&self, connection: &ImapConnection) -> Result<(), ReadFailure> {
        let mut session = self.open(connection).await?;
        let selected = select_inbox(&mut session).await;
        logout(session).await;
        selected.map(|_| ())
    }

    async fn read_after(
        &self,
        connection: &ImapConnection,
        after: Option<InboxPosition>,
        limit: usize,
    ) -> Result<InboxBatch, ReadFailure> {
        let mut session = self.open(connection).await?;
        let read = read_inbox(&mut session, after, limit).await;
        logout(session).await;
        let batch = read?;
        tracing::debug!(
            host = %connection.host,
            messages = batch.messages.len(),
            uid_validity = batch.position.uid_validity,
            last_uid = batch.position.last_uid,
            "read the INBOX"
        );
        Ok(batch)
    }
}

/// EXAMINE (read-only, so nothing can change), then the messages after the position.
async fn read_inbox(
    session: &mut Session<Stream>,
    after: Option<InboxPosition>,
    limit: usize,
) -> Result<InboxBatch, ReadFailure> {
    let inbox = select_inbox(session).await?;
    let uid_validity = inbox.uid_validity.ok_or_else(|| ReadFailure::Temporary {
        detail: "EXAMINE INBOX: the server sent no UIDVALIDITY".to_owned(),
    })?;
    // A position of another UIDVALIDITY names other messages: read from the start.
    let last_uid = after
        .filter(|position| position.uid_validity == uid_validity)
        .map_or(0, |position| position.last_uid);
    let mut batch = InboxBatch {
        messages: Vec::new(),
        position: InboxPosition {
            uid_validity,
            last_uid,
        },
    };
    let Some(first) = last_uid.checked_add(1) else {
        return Ok(batch);
    };
    let nothing_new = inbox.exists == 0 || inbox.uid_next.is_some_and(|next| next <= first);
    if nothing_new || limit == 0 {
        return Ok(batch);
    }

    // The UIDs first, so that a large INBOX read with a small limit fetches only what it returns.
    // `N:*` also names the highest message when its UID is below N (RFC 3501 section 6.4.8): only
    // UIDs from N on count.
    let mut uids: Vec<u32> = fetch(session, &format!("{first}:*"), "UID")
        .await?
        .into_iter()
        .map(|(uid, _)| uid)
        .filter(|uid| *uid >= first)
        .collect();
    uids.sort_unstable();
    uids.dedup();
    uids.truncate(limit);
    let Some(&last) = uids.last() else {
        return Ok(batch);
    };

    let mut messages: Vec<InboxMessage> = fetch(session, &format!("{first}:{last}"), "BODY.PEEK[]")
        .await?
        .into_iter()
        .filter_map(|(uid, raw)| Some(InboxMessage { uid, raw: raw? }))
        .filter(|message| uids.binary_search(&message.uid).is_ok())
        .collect();
    messages.sort_by_key(|message| message.uid);
    messages.dedup_by_key(|message| message.uid);
    if let Some(newest) = messages.last() {
        batch.position.last_uid = newest.uid;
    }
    batch.messages = messages;
    Ok(batch)
}

/// `UID FETCH uids (UID items)`: each message's UID and its body when asked for, every reply awaited
/// at most [`TIMEOUT`]. Responses without a UID (unsolicited flag updates) are left out.
async fn fetch(
    session: &mut Session<Stream>,
    uids: &str,
    items: &str,
) -> Result<Vec<(u32, Option<Vec<u8>>)>, ReadFailure> {
    let step = "UID FETCH";
    let mut responses = timed(step, session.uid_fetch(uids, format!("(UID {items})")))
        .await?
        .map_err(|error| temporary(step, error))?;
    let mut fetched = Vec::new();
    while let Some(response) = timed(step, responses.next()).await? {
        let response = response.map_err(|error| temporary(step, error))?;
        if let Some(uid) = response.uid {
            fetched.push((uid, response.body().map(<[u8]>::to_vec)));
        }
    }
    Ok(fetched)
}

/// `EXAMINE INBOX`: selected read-only, so that even a server that would set `\Seen` on a fetch
/// cannot.
async fn select_inbox(session: &mut Session<Stream>) -> Result<Mailbox, ReadFailure> {
    timed("EXAMINE INBOX", session.examine("INBOX"))
        .await?
        .map_err(|error| temporary("EXAMINE INBOX", error))
}

async fn login(
    client: Client<Stream>,
    settings: &ImapConnection,
) -> Result<Session<Stream>, ReadFailure> {
    let credentials = &settings.credentials;
    let answer = timed(
        "LOGIN",
        client.login(&credentials.username, credentials.password.expose()),
    )
    .await?;
    match answer {
        Ok(session) => Ok(session),
        // RFC 5530's UNAVAILABLE: the server's authentication backend failed, not the password.
        Err((async_imap::error::Error::No(reply), _)) if !reply.contains("UNAVAILABLE") => {
            Err(ReadFailure::Authentication {
                detail: format!("LOGIN: {reply}"),
            })
        }
        // A username or password with a line break cannot be sent: the settings are wrong.
        Err((async_imap::error::Error::Validate(invalid), _)) => Err(ReadFailure::Authentication {
            detail: format!("LOGIN: the username or password cannot be sent: {invalid}"),
        }),
        Err((error, _)) => Err(temporary("LOGIN", error)),
    }
}

/// LOGOUT, best-effort: what was read is read whether or not the server says goodbye.
async fn logout(mut session: Session<Stream>) {
    let _ = timed("LOGOUT", session.logout()).await;
}

/// The greeting: `* OK` (with its capabilities when the server lists them there), else a temporary
/// failure (`* BYE`: the server is busy or refuses this client).
async fn read_greeting(
    client: &mut Client<Stream>,
) -> Result<Option<Vec<OwnedCapability>>, ReadFailure> {
    read_until(client, "greeting", |response| {
        Some(match response {
            Response::Data {
                status: Status::Ok,
                outcome,
            } => Ok(match &outcome.code {
                Some(ResponseCode::Capabilities(capabilities)) => Some(owned(capabilities)),
                _ => None,
            }),
            other => Err(ReadFailure::Temporary {
                detail: format!("greeting: {other:?}"),
            }),
        })
    })
    .await
}

/// `CAPABILITY` before TLS, written by hand (async-imap only asks once logged in).
async fn capability(client: &mut Client<Stream>) -> Result<Vec<OwnedCapability>, ReadFailure> {
    let tag = "s1";
    write_command(client, tag, "CAPABILITY").await?;
    let mut capabilities = Vec::new();
    read_until(client, "CAPABILITY", |response| match response {
        Response::Capabilities(listed) => {
            capabilities.extend(owned(listed));
            None
        }
        Response::Done {
            tag: done, status, ..
        } if done.0 == tag => Some(match status {
            Status::Ok => Ok(std::mem::take(&mut capabilities)),
            other => Err(ReadFailure::Temporary {
                detail: format!("CAPABILITY: {other:?}"),
            }),
        }),
        _ => None,
    })
    .await
}

/// `STARTTLS`, written by hand: async-imap has no command for it.
async fn starttls(client: &mut Client<Stream>) -> Result<(), ReadFailure> {
    let tag = "s2";
    write_command(client, tag, "STARTTLS").await?;
    read_until(client, "STARTTLS", |response| match response {
        Response::Done {
            tag: done,
            status,
            outcome,
        } if done.0 == tag => Some(match status {
            Status::Ok => Ok(()),
            other => Err(ReadFailure::Temporary {
                detail: format!("STARTTLS: {other:?} {:?}", outcome.information),
            }),
        }),
        _ => None,
    })
    .await
}

fn owned(capabilities: &[Capability<'_>]) -> Vec<OwnedCapability> {
    capabilities.iter().map(OwnedCapability::from).collect()
}

async fn write_command(
    client: &mut Client<Stream>,
    tag: &str,
    command: &str,
) -> Result<(), ReadFailure> {
    let line = format!("{tag} {command}\r\n");
    let stream = client.get_mut();
    timed(command, async {
        stream.write_all(line.as_bytes()).await?;
        stream.flush().await
    })
    .await?
    .map_err(|error| temporary(command, error))
}

/// Reads responses, each within [`TIMEOUT`], until `done` makes something of one.
async fn read_until<R>(
    client: &mut Client<Stream>,
    step: &str,
    mut done: impl FnMut(&Response<'_>) -> Option<Result<R, ReadFailure>>,
) -> Result<R, ReadFailure> {
    loop {
        let response = timed(step, client.read_response())
            .await?
            .map_err(|error| temporary(step, error))?
            .ok_or_else(|| ReadFailure::Temporary {
                detail: format!("{step}: the server closed the connection"),
            })?;
        if let Some(result) = done(response.parsed()) {
            return result;
        }
    }
}

/// `future` within [`TIMEOUT`], or a temporary failure naming `step`.
async fn timed<T>(step: &str, future: impl Future<Output = T>) -> Result<T, ReadFailure> {
    tokio::time::timeout(TIMEOUT, future)
        .await
        .map_err(|_| ReadFailure::Temporary {
            detail: format!("{step}: no answer within {} s", TIMEOUT.as_secs()),
        })
}

fn temporary(step: &str, error: impl std::fmt::Display) -> ReadFailure {
    ReadFailure::Temporary {
        detail: format!("{step}: {error}"),
    }
}

fn root_store() -> RootCertStore {
    RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    }
}

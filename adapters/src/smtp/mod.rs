//! [`MailTransport`] over SMTP with lettre: [`LettreMailTransport`].
//!
//! lettre builds the MIME message (see [`message`]) and speaks SMTP over tokio, with rustls for TLS
//! (implicit TLS when `secure`, else STARTTLS when offered). It drives lettre's connection command by
//! command (EHLO, STARTTLS, AUTH, MAIL, RCPT, DATA, the data) instead of lettre's `send`, because the
//! port must tell a failure before the data (retry) from a failure after it (RFC 1047: unknown, never
//! retried automatically), and lettre's `send` does not say at which step it failed. For the same
//! reason lettre's pool is not used (it only wraps `send`): connections are pooled here, per (host,
//! port, secure, username), and reused while they answer `NOOP`.
//!
//! Every connect and every reply is awaited at most 10 seconds (SENDING.md section 1).

mod message;

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use application::ports::{
    Envelope, MailTransport, OutgoingMessage, SendFailure, SmtpAccepted, SmtpConnection,
};
use async_trait::async_trait;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{AsyncSmtpConnection, TlsParameters};
use lettre::transport::smtp::commands::{Data, Mail, Rcpt, Rset};
use lettre::transport::smtp::extension::{ClientId, Extension, MailBodyParameter, MailParameter};
use lettre::transport::smtp::response::Response;

use self::message::{UnbuildableMessage, lettre_address, mime_bytes};

/// How long to wait for a connection, and for each reply.
const TIMEOUT: Duration = Duration::from_secs(10);
/// Idle connections older than this are closed rather than reused: servers drop idle clients
/// (RFC 5321 asks for at least 5 minutes; many cut sooner), and a `NOOP` on a dead one costs a wait.
const MAX_IDLE: Duration = Duration::from_secs(60);
/// Idle connections kept per server and login; more concurrent sends open more, then close them.
const MAX_IDLE_PER_KEY: usize = 4;

/// Sends over SMTP, keeping connections open between sends to the same server and login.
pub struct LettreMailTransport {
    idle: Mutex<HashMap<PoolKey, Vec<IdleConnection>>>,
    hello_name: ClientId,
}

impl std::fmt::Debug for LettreMailTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LettreMailTransport")
            .finish_non_exhaustive()
    }
}

/// Which connections may be shared: same server, same TLS mode, same login.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct PoolKey {
    host: String,
    port: u16,
    secure: bool,
    username: Option<String>,
}

impl PoolKey {
    fn of(connection: &SmtpConnection) -> PoolKey {
        PoolKey {
            host: connection.host.to_ascii_lowercase(),
            port: connection.port,
            secure: connection.secure,
            username: connection
                .credentials
                .as_ref()
                .map(|credentials| credentials.username.clone()),
        }
    }
}

struct IdleConnection {
    connection: AsyncSmtpConnection,
    since: Instant,
}

impl Default for LettreMailTransport {
    fn default() -> Self {
        Self::new()
    }
}

impl LettreMailTransport {
    /// Greets servers (EHLO) with this machine's host name.
    pub fn new() -> LettreMailTransport {
        LettreMailTransport {
            idle: Mutex::new(HashMap::new()),
            hello_name: ClientId::default(),
        }
    }

    /// An idle connection of `key` that still answers, or a new one.
    async fn checkout(
        &self,
        key: &PoolKey,
        connection: &SmtpConnection,
    ) -> Result<AsyncSmtpConnection, SendFailure> {
        while let Some(mut idle) = self.take_idle(key) {
            let alive = idle.since.elapsed() < MAX_IDLE
                && tokio::time::timeout(TIMEOUT, idle.connection.test_connected())
                    .await
                    .unwrap_or(false);
            if alive {
                return Ok(idle.connection);
            }
            idle.connection.abort().await;
        }
        self.open(connection).await
    }

    fn take_idle(&self, key: &PoolKey) -> Option<IdleConnection> {
        // A panic elsewhere while holding the lock leaves the map consistent (only push and pop).
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        idle.get_mut(key).and_then(Vec::pop)
    }

    async fn checkin(&self, key: PoolKey, connection: AsyncSmtpConnection) {
        let kept = {
            let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
            let connections = idle.entry(key).or_default();
            if connections.len() < MAX_IDLE_PER_KEY {
                connections.push(IdleConnection {
                    connection,
                    since: Instant::now(),
                });
                None
            } else {
                Some(connection)
            }
        };
        if let Some(mut surplus) = kept {
            let _ = tokio::time::timeout(TIMEOUT, surplus.quit()).await;
        }
    }

    /// Connects, secures and logs in. Nothing of a message is sent yet, so every failure here is
    /// retryable except refused credentials and the plain-text rule.
    async fn open(&self, settings: &SmtpConnection) -> Result<AsyncSmtpConnection, SendFailure> {
        let host = settings.host.as_str();
        let implicit_tls = if settings.secure {
            Some(tls_parameters(host)?)
        } else {
            None
        };
        let mut connection = timed(
            "connecting",
            AsyncSmtpConnection::connect_tokio1(
                (host, settings.port),
                Some(TIMEOUT),
                &self.hello_name,
                implicit_tls,
                None,
            ),
        )
        .await?
        .map_err(|error| temporary("connecting", &error))?;

        if connection.can_starttls() {
            let upgraded = timed(
                "STARTTLS",
                connection.starttls(tls_parameters(host)?, &self.hello_name),
            )
            .await?;
            if let Err(error) = upgraded {
                // Dropped, not aborted: after a failed handshake lettre's stream is gone, and the
                // QUIT of `abort` would write to nothing (a debug assertion in lettre).
                drop(connection);
                return Err(temporary("STARTTLS", &error));
            }
        }

        if let Some(credentials) = &settings.credentials {
            // SENDING.md section 1: credentials in plain text only to loopback.
            if !connection.is_encrypted() && !settings.is_loopback_host() {
                connection.abort().await;
                return Err(SendFailure::InsecureConnection {
                    host: settings.host.clone(),
                });
            }
            let login = Credentials::new(
                credentials.username.clone(),
                credentials.password.expose().to_owned(),
            );
            let answer = timed(
                "AUTH",
                connection.auth(&[Mechanism::Plain, Mechanism::Login], &login),
            )
            .await?;
            if let Err(error) = answer {
                connection.abort().await;
                return Err(if error.is_transient() || error.is_timeout() {
                    temporary("AUTH", &error)
                } else {
                    // 535 and friends, or no mechanism in common: the mailbox's settings, not the
                    // recipient, are wrong.
                    SendFailure::Authentication {
                        reply: error.to_string(),
                    }
                });
            }
        }
        Ok(connection)
    }
}

#[async_trait]
impl MailTransport for LettreMailTransport {
    async fn send(
        &self,
        connection: &SmtpConnection,
        envelope: &Envelope,
        message: &OutgoingMessage,
    ) -> Result<SmtpAccepted, SendFailure> {
        // Built before connecting: a message that cannot be built costs no connection.
        let data = mime_bytes(message).map_err(unbuildable)?;
        let from = lettre_address(envelope.from()).map_err(unbuildable)?;
        let recipients = envelope
            .recipients()
            .iter()
            .map(lettre_address)
            .collect::<Result<Vec<_>, _>>()
            .map_err(unbuildable)?;

        let key = PoolKey::of(connection);
        let mut smtp = self.checkout(&key, connection).await?;
        match transaction(&mut smtp, from, recipients, &data).await {
            Ok(accepted) => {
                self.checkin(key, smtp).await;
                Ok(accepted)
            }
            Err(Step::Refused(failure)) => {
                // The server answered, so the connection is in step: reset it and keep it.
                let reset = timed("RSET", smtp.command(Rset)).await;
                if matches!(reset, Ok(Ok(_))) {
                    self.checkin(key, smtp).await;
                } else {
                    smtp.abort().await;
                }
                Err(failure)
            }
            Err(Step::Broken(failure)) => {
                smtp.abort().await;
                Err(failure)
            }
        }
    }

    async fn check(&self, connection: &SmtpConnection) -> Result<(), SendFailure> {
        // A fresh connection, not a pooled one: the test is whether the settings work now.
        let mut smtp = self.open(connection).await?;
        let _ = timed("QUIT", smtp.quit()).await;
        Ok(())
    }
}

/// How a transaction ended without acceptance: with the connection still usable or not.
enum Step {
    /// The server answered with a refusal; the connection can take `RSET` and another message.
    Refused(SendFailure),
    /// The connection failed or timed out mid-way; it must be closed.
    Broken(SendFailure),
}

/// MAIL, RCPT for every recipient, DATA and the message, each reply awaited at most [`TIMEOUT`].
async fn transaction(
    smtp: &mut AsyncSmtpConnection,
    from: lettre::Address,
    recipients: Vec<lettre::Address>,
    data: &[u8],
) -> Result<SmtpAccepted, Step> {
    let mut parameters = Vec::new();
    // Why only when needed: a server without 8BITMIME must still get ASCII-only messages, which
    // lettre's builder produces (quoted-printable or base64 bodies, RFC 2047 headers).
    if !data.is_ascii() && smtp.server_info().supports_feature(Extension::EightBitMime) {
        parameters.push(MailParameter::Body(MailBodyParameter::EightBitMime));
    }
    command(smtp, "MAIL FROM", Mail::new(Some(from), parameters)).await?;
    for recipient in recipients {
        command(smtp, "RCPT TO", Rcpt::new(recipient, Vec::new())).await?;
    }
    command(smtp, "DATA", Data).await?;

    // From here on the server may have the message: only its explicit reply tells otherwise.
    match tokio::time::timeout(TIMEOUT, smtp.message(data)).await {
        Ok(Ok(response)) => Ok(SmtpAccepted {
            reply: reply_text(&response),
        }),
        Ok(Err(error)) if error.is_permanent() => Err(Step::Refused(SendFailure::Permanent {
            reply: error.to_string(),
        })),
        Ok(Err(error)) if error.is_transient() => Err(Step::Refused(SendFailure::Temporary {
            reply: error.to_string(),
        })),
        Ok(Err(error)) => Err(Step::Broken(SendFailure::Unknown {
            detail: format!("after the message data: {error}"),
        })),
        Err(_) => Err(Step::Broken(SendFailure::Unknown {
            detail: format!(
                "no reply within {} s after the message data",
                TIMEOUT.as_secs()
            ),
        })),
    }
}

/// One command before the data: a 5xx is permanent, anything else that fails is temporary.
async fn command(
    smtp: &mut AsyncSmtpConnection,
    step: &str,
    command: impl std::fmt::Display,
) -> Result<Response, Step> {
    match tokio::time::timeout(TIMEOUT, smtp.command(command)).await {
        Ok(Ok(response)) => Ok(response),
        Ok(Err(error)) if error.is_permanent() => Err(Step::Refused(SendFailure::Permanent {
            reply: format!("{step}: {error}"),
        })),
        Ok(Err(error)) if error.is_transient() => Err(Step::Refused(temporary(step, &error))),
        Ok(Err(error)) => Err(Step::Broken(temporary(step, &error))),
        Err(_) => Err(Step::Broken(timed_out(step))),
    }
}

/// `future` within [`TIMEOUT`], or a temporary failure naming `step`.
async fn timed<T>(step: &str, future: impl Future<Output = T>) -> Result<T, SendFailure> {
    tokio::time::timeout(TIMEOUT, future)
        .await
        .map_err(|_| timed_out(step))
}

fn timed_out(step: &str) -> SendFailure {
    SendFailure::Temporary {
        reply: format!("{step}: no answer within {} s", TIMEOUT.as_secs()),
    }
}

fn temporary(step: &str, error: &lettre::transport::smtp::Error) -> SendFailure {
    SendFailure::Temporary {
        reply: format!("{step}: {error}"),
    }
}

fn tls_parameters(host: &str) -> Result<TlsParameters, SendFailure> {
    TlsParameters::new(host.to_owned()).map_err(|error| temporary("preparing TLS", &error))
}

fn unbuildable(UnbuildableMessage(reason): UnbuildableMessage) -> SendFailure {
    SendFailure::Permanent {
        reply: format!("the message could not be built: {reason}"),
    }
}

/// The reply as the server wrote it: code and every line.
fn reply_text(response: &Response) -> String {
    let lines: Vec<&str> = response.message().collect();
    format!("{} {}", response.code(), lines.join(" "))
}

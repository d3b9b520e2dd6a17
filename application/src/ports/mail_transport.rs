//! Handing one built message to a mailbox's SMTP server (SENDING.md sections 1, 3 and 4).
//!
//! The port speaks in values the engine already has: where to connect ([`SmtpConnection`]), whom the
//! server should deliver to ([`Envelope`]) and what to deliver ([`OutgoingMessage`]). The answer tells
//! the engine what it may do next: [`SendFailure`] separates what may be retried from what must not.
//!
//! Header safety is this module's invariant, not the adapter's hope: every text that ends up in a
//! header (names, subject, extra header values) passes through
//! [`domain::message_template::header_safe`] when the message is built, so no CR, LF or other control
//! character can reach the wire. RFC 2047 encoding stays the adapter's job.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::credential::Credential;
use domain::id::ObjectId;
use domain::lead::LeadFields;
use domain::mailbox::MailboxFields;
use domain::mailbox_connection::ServerHost;
use domain::message_template::header_safe;
use domain::values::EmailAddress;

/// The username and password a mailbox logs in with (SMTP AUTH, IMAP LOGIN).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginCredentials {
    pub username: String,
    /// Its `Debug` prints `[redacted]`, so a connection can be logged whole.
    pub password: Credential,
}

/// Where and how to reach a mailbox's SMTP server (SENDING.md section 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmtpConnection {
    pub host: String,
    pub port: u16,
    /// `true`: TLS from the first byte (usual on 465). `false`: STARTTLS when the server offers it —
    /// and required when credentials would otherwise cross the network in plain text.
    pub secure: bool,
    pub credentials: Option<LoginCredentials>,
}

impl SmtpConnection {
    /// Whether `host` names this machine: `localhost` or a loopback IP literal. Only to such a host
    /// may credentials travel without TLS (SENDING.md section 1) — nothing else on the path can read
    /// them. A name is not resolved: a DNS answer is not proof that the traffic stays local.
    pub fn is_loopback_host(&self) -> bool {
        ServerHost::parse(&self.host).is_ok_and(|host| host.is_loopback())
    }
}

/// The SMTP envelope: `MAIL FROM` and the `RCPT TO` list. Bcc recipients are here and only here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    from: EmailAddress,
    recipients: Vec<EmailAddress>,
}

/// An envelope needs at least one recipient.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("an envelope needs at least one recipient")]
pub struct NoRecipients;

impl Envelope {
    pub fn new(
        from: EmailAddress,
        recipients: Vec<EmailAddress>,
    ) -> Result<Envelope, NoRecipients> {
        if recipients.is_empty() {
            return Err(NoRecipients);
        }
        Ok(Envelope { from, recipients })
    }

    /// The usual envelope of `message`: from its sender, to its To, Cc and Bcc addresses.
    pub fn for_message(message: &OutgoingMessage) -> Envelope {
        let recipients = std::iter::once(message.to.address.clone())
            .chain(message.cc.iter().map(|cc| cc.address.clone()))
            .chain(message.bcc.iter().cloned())
            .collect();
        Envelope {
            from: message.from.address.clone(),
            recipients,
        }
    }

    pub fn from(&self) -> &EmailAddress {
        &self.from
    }

    pub fn recipients(&self) -> &[EmailAddress] {
        &self.recipients
    }
}

/// An address with an optional display name, as in `"Ada Lovelace" <ada@example.com>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedAddress {
    name: Option<String>,
    address: EmailAddress,
}

impl NamedAddress {
    /// The name is made header-safe; a blank name means the address alone.
    pub fn new(name: Option<&str>, address: EmailAddress) -> NamedAddress {
        let name = name.map(header_safe).filter(|name| !name.is_empty());
        NamedAddress { name, address }
    }

    /// The sender of every message of a mailbox: its address with its display name (SENDING.md
    /// section 3).
    pub fn of_mailbox(mailbox: &MailboxFields) -> NamedAddress {
        NamedAddress::new(mailbox.display_name(), mailbox.email().clone())
    }

    /// A lead as a recipient: named `"{firstName} {lastName}"` from the parts it has.
    pub fn of_lead(lead: &LeadFields) -> NamedAddress {
        let name = [lead.first_name(), lead.last_name()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        NamedAddress::new(Some(&name), lead.email().clone())
    }

    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    pub fn address(&self) -> &EmailAddress {
        &self.address
    }
}

/// The id inside a `Message-ID`, `In-Reply-To` or `References` header, without the angle brackets:
/// `{unique}@{domain}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageId(String);

/// Not a usable message id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a message id is `left@right` in printable ASCII without spaces or angle brackets")]
pub struct InvalidMessageId;

impl MessageId {
    /// Accepts `left@right` of printable ASCII without spaces, `<` or `>` (angle brackets around the
    /// whole id are taken off first). Why strict: the id goes into headers verbatim.
    pub fn parse(raw: &str) -> Result<MessageId, InvalidMessageId> {
        let id = raw.trim();
        let id = id
            .strip_prefix('<')
            .and_then(|id| id.strip_suffix('>'))
            .unwrap_or(id);
        let printable = id
            .bytes()
            .all(|byte| byte.is_ascii_graphic() && byte != b'<' && byte != b'>');
        match id.split_once('@') {
            Some((left, right)) if printable && !left.is_empty() && !right.is_empty() => {
                Ok(MessageId(id.to_owned()))
            }
            _ => Err(InvalidMessageId),
        }
    }

    /// A new message's id from `sender`: `{unique}@{the sender's domain}` (SENDING.md section 3).
    /// Valid by construction: an id's hex and an address's domain (an ASCII host name) are both
    /// printable ASCII without spaces or brackets.
    pub fn for_sender(unique: ObjectId, sender: &EmailAddress) -> MessageId {
        MessageId(format!("{unique}@{}", sender.domain()))
    }

    /// The id without angle brackets.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A header the message carries besides the ones [`OutgoingMessage`] sets itself, such as
/// `List-Unsubscribe` and `List-Unsubscribe-Post` (RFC 8058).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtraHeader {
    name: String,
    value: String,
}

/// Not a header the message may carry as an extra.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidExtraHeader {
    #[error("a header name is 1 or more printable ASCII characters other than `:`")]
    Name,
    /// The message sets this header itself (From, To, Subject…); an extra one would contradict it.
    #[error("`{0}` is set by the message itself")]
    Reserved(String),
}

/// Headers an [`OutgoingMessage`] sets from its own fields, compared ignoring case.
const RESERVED_HEADERS: &[&str] = &[
    "from",
    "sender",
    "to",
    "cc",
    "bcc",
    "subject",
    "date",
    "message-id",
    "in-reply-to",
    "references",
    "mime-version",
    "content-type",
    "content-transfer-encoding",
];

impl ExtraHeader {
    /// The name must be a valid header name (RFC 5322 `ftext`) not set by the message itself; the
    /// value is made header-safe.
    pub fn new(name: &str, value: &str) -> Result<ExtraHeader, InvalidExtraHeader> {
        let valid_name = !name.is_empty()
            && name
                .bytes()
                .all(|byte| byte.is_ascii_graphic() && byte != b':');
        if !valid_name {
            return Err(InvalidExtraHeader::Name);
        }
        if RESERVED_HEADERS
            .iter()
            .any(|reserved| reserved.eq_ignore_ascii_case(name))
        {
            return Err(InvalidExtraHeader::Reserved(name.to_owned()));
        }
        Ok(ExtraHeader {
            name: name.to_owned(),
            value: header_safe(value),
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn value(&self) -> &str {
        &self.value
    }
}

/// What [`OutgoingMessage::new`] is built from.
#[derive(Debug, Clone)]
pub struct OutgoingMessageParts {
    pub from: NamedAddress,
    pub to: NamedAddress,
    pub cc: Vec<NamedAddress>,
    /// Envelope only: never written into a header.
    pub bcc: Vec<EmailAddress>,
    pub subject: String,
    pub date: DateTime<Utc>,
    pub message_id: MessageId,
    pub in_reply_to: Option<MessageId>,
    pub references: Vec<MessageId>,
    pub html_body: String,
    pub text_body: String,
    pub extra_headers: Vec<ExtraHeader>,
}

/// One message, rendered and ready for the wire: the adapter builds MIME `multipart/alternative` from
/// the two bodies and the headers from the rest (SENDING.md section 3).
#[derive(Debug, Clone)]
pub struct OutgoingMessage {
    from: NamedAddress,
    to: NamedAddress,
    cc: Vec<NamedAddress>,
    bcc: Vec<EmailAddress>,
    subject: String,
    date: DateTime<Utc>,
    message_id: MessageId,
    in_reply_to: Option<MessageId>,
    references: Vec<MessageId>,
    html_body: String,
    text_body: String,
    extra_headers: Vec<ExtraHeader>,
}

impl OutgoingMessage {
    /// The subject is made header-safe here (the other header texts already are, by their types).
    pub fn new(parts: OutgoingMessageParts) -> OutgoingMessage {
        let OutgoingMessageParts {
            from,
            to,
            cc,
            bcc,
            subject,
            date,
            message_id,
            in_reply_to,
            references,
            html_body,
            text_body,
            extra_headers,
        } = parts;
        OutgoingMessage {
            from,
            to,
            cc,
            bcc,
            subject: header_safe(&subject),
            date,
            message_id,
            in_reply_to,
            references,
            html_body,
            text_body,
            extra_headers,
        }
    }

    pub fn from(&self) -> &NamedAddress {
        &self.from
    }
    pub fn to(&self) -> &NamedAddress {
        &self.to
    }
    pub fn cc(&self) -> &[NamedAddress] {
        &self.cc
    }
    pub fn bcc(&self) -> &[EmailAddress] {
        &self.bcc
    }
    pub fn subject(&self) -> &str {
        &self.subject
    }
    pub fn date(&self) -> DateTime<Utc> {
        self.date
    }
    pub fn message_id(&self) -> &MessageId {
        &self.message_id
    }
    pub fn in_reply_to(&self) -> Option<&MessageId> {
        self.in_reply_to.as_ref()
    }
    pub fn references(&self) -> &[MessageId] {
        &self.references
    }
    pub fn html_body(&self) -> &str {
        &self.html_body
    }
    pub fn text_body(&self) -> &str {
        &self.text_body
    }
    pub fn extra_headers(&self) -> &[ExtraHeader] {
        &self.extra_headers
    }
}

/// The server took responsibility for the message (the `250` after its data).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmtpAccepted {
    /// The server's reply, code included (e.g. `250 2.0.0 Ok: queued as 4F2A`).
    pub reply: String,
}

/// Why a message was not (known to be) delivered. Each kind tells the engine what to do next.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendFailure {
    /// Retry later (SENDING.md section 4): a 4xx reply, a refused or dropped connection, a timeout —
    /// anything before the message data was sent. The server certainly did not take the message.
    #[error("temporary SMTP failure: {reply}")]
    Temporary { reply: String },
    /// Never retry: a 5xx reply to MAIL, RCPT or the message data. The enrolment bounces.
    #[error("permanent SMTP failure: {reply}")]
    Permanent { reply: String },
    /// The server refused the mailbox's credentials (or offers no mechanism we speak): the mailbox's
    /// settings are wrong, not the recipient — no bounce, the mailbox goes to `error`.
    #[error("SMTP authentication failed: {reply}")]
    Authentication { reply: String },
    /// Credentials would have crossed the network in plain text: a host other than loopback without
    /// TLS (SENDING.md section 1). Refused before they were sent; nothing was sent.
    #[error("refused to send credentials without TLS to {host}")]
    InsecureConnection { host: String },
    /// The message data was sent but no reply came (connection lost, timeout): the server may or may
    /// not have taken it (RFC 1047). MUST NOT be retried automatically — recorded as `unknown`.
    #[error("SMTP outcome unknown after the message data was sent: {detail}")]
    Unknown { detail: String },
}

/// Sends messages over SMTP.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait MailTransport: Send + Sync {
    /// Sends `message` to `envelope`'s recipients through the server of `connection`.
    ///
    /// Contract:
    /// - MUST NOT send credentials without TLS to a host other than loopback
    ///   ([`SmtpConnection::is_loopback_host`]): then it fails with
    ///   [`SendFailure::InsecureConnection`] before AUTH, having sent nothing.
    /// - MUST return [`SendFailure::Unknown`] — never `Temporary` — when the outcome is uncertain
    ///   after the message data was sent; before that, a lost connection or a timeout is `Temporary`.
    /// - MUST write no Bcc header: Bcc addresses reach the server in the envelope only.
    /// - One recipient refused among several fails the whole send (no partial delivery to retry).
    /// - Waits at most 10 seconds for the connection and for each reply.
    async fn send(
        &self,
        connection: &SmtpConnection,
        envelope: &Envelope,
        message: &OutgoingMessage,
    ) -> Result<SmtpAccepted, SendFailure>;

    /// Connects, greets (EHLO), secures (TLS or STARTTLS) and authenticates to the server of
    /// `connection`, then quits: nothing is sent (`POST /v1/mailboxes/{id}/test`, SENDING.md
    /// section 1). The same rules as [`Self::send`]: no credentials in plain text but to loopback,
    /// at most 10 seconds for the connection and for each reply. A refusal is `Authentication`,
    /// `InsecureConnection` or `Temporary` (never `Permanent` or `Unknown`: no mail is involved).
    async fn check(&self, connection: &SmtpConnection) -> Result<(), SendFailure>;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn address(raw: &str) -> EmailAddress {
        EmailAddress::parse(raw).expect("a valid address")
    }

    #[test]
    fn a_password_never_shows_in_debug_output() {
        let connection = SmtpConnection {
            host: "smtp.example.com".into(),
            port: 587,
            secure: false,
            credentials: Some(LoginCredentials {
                username: "ada".into(),
                password: Credential::new("hunter2"),
            }),
        };
        let printed = format!("{connection:?}");
        assert!(!printed.contains("hunter2"), "{printed}");
        assert!(printed.contains("[redacted]"), "{printed}");
    }

    #[test]
    fn only_localhost_and_loopback_addresses_are_loopback_hosts() {
        for (host, loopback) in [
            ("localhost", true),
            ("LOCALHOST", true),
            ("127.0.0.1", true),
            ("127.9.9.9", true),
            ("::1", true),
            ("[::1]", true),
            ("192.0.2.1", false),
            ("localhost.example.com", false),
            ("smtp.example.com", false),
        ] {
            let connection = SmtpConnection {
                host: host.into(),
                port: 25,
                secure: false,
                credentials: None,
            };
            assert_eq!(connection.is_loopback_host(), loopback, "{host}");
        }
    }

    #[test]
    fn header_texts_lose_their_line_breaks_when_the_message_is_built() {
        let message = OutgoingMessage::new(OutgoingMessageParts {
            from: NamedAddress::new(
                Some("Ada\r\nBcc: evil@example.com"),
                address("a@example.com"),
            ),
            to: NamedAddress::new(Some("  "), address("b@example.com")),
            cc: vec![],
            bcc: vec![],
            subject: "Hi\r\nX-Injected: yes".into(),
            date: DateTime::UNIX_EPOCH,
            message_id: MessageId::parse("<1@example.com>").expect("valid"),
            in_reply_to: None,
            references: vec![],
            html_body: String::new(),
            text_body: String::new(),
            extra_headers: vec![ExtraHeader::new("X-Note", "a\nb").expect("valid")],
        });
        assert_eq!(message.from().name(), Some("Ada Bcc: evil@example.com"));
        assert_eq!(message.to().name(), None);
        assert_eq!(message.subject(), "Hi X-Injected: yes");
        assert_eq!(message.extra_headers()[0].value(), "a b");
    }

    #[test]
    fn an_extra_header_cannot_replace_one_the_message_sets() {
        assert_eq!(
            ExtraHeader::new("bcc", "x@example.com"),
            Err(InvalidExtraHeader::Reserved("bcc".into()))
        );
        assert_eq!(
            ExtraHeader::new("X-Bad:Name", "v"),
            Err(InvalidExtraHeader::Name)
        );
        assert!(ExtraHeader::new("List-Unsubscribe-Post", "List-Unsubscribe=One-Click").is_ok());
    }

    #[test]
    fn a_message_id_is_left_at_right_without_brackets_or_spaces() {
        assert_eq!(
            MessageId::parse("<abc@example.com>").map(|id| id.as_str().to_owned()),
            Ok("abc@example.com".to_owned())
        );
        for bad in [
            "",
            "abc",
            "@example.com",
            "a b@example.com",
            "a\r\n@x",
            "<a@b",
        ] {
            assert_eq!(MessageId::parse(bad), Err(InvalidMessageId), "{bad:?}");
        }
    }

    #[test]
    fn the_usual_envelope_carries_bcc_and_an_empty_one_is_refused() {
        let message = OutgoingMessage::new(OutgoingMessageParts {
            from: NamedAddress::new(None, address("a@example.com")),
            to: NamedAddress::new(None, address("b@example.com")),
            cc: vec![NamedAddress::new(None, address("c@example.com"))],
            bcc: vec![address("d@example.com")],
            subject: String::new(),
            date: DateTime::UNIX_EPOCH,
            message_id: MessageId::parse("1@example.com").expect("valid"),
            in_reply_to: None,
            references: vec![],
            html_body: String::new(),
            text_body: String::new(),
            extra_headers: vec![],
        });
        let envelope = Envelope::for_message(&message);
        assert_eq!(envelope.from().as_str(), "a@example.com");
        let recipients: Vec<&str> = envelope.recipients().iter().map(|r| r.as_str()).collect();
        assert_eq!(
            recipients,
            ["b@example.com", "c@example.com", "d@example.com"]
        );
        assert_eq!(
            Envelope::new(address("a@example.com"), vec![]),
            Err(NoRecipients)
        );
    }
}

//! Sending mailboxes on the wire (`/v1/mailboxes…`).

use application::use_cases::test_mailbox::{CheckOutcome, MailboxTestReport};
use domain::mailbox::{
    DEFAULT_MAILBOX_DAILY_SEND_LIMIT, DEFAULT_MAILBOX_SENDING_ENABLED, Mailbox, MailboxStatus,
};
use domain::mailbox_connection::{MailServer, ServerConnection};
use domain::mailbox_listing::TagMode;
use domain::mailbox_update::{MailboxPatchRequest, PatchValue};
use domain::request::MailboxRequest;
use poem_openapi::Object;
use poem_openapi::types::MaybeUndefined;
use serde::Deserialize;

use crate::dto::campaign_input::MailboxProviders;
use crate::dto::choice::{Choice, domain_choices};
use crate::dto::timestamp::Timestamp;
use crate::dto::wire::{Int, Required, mapped};
use crate::request_body::{DeclaredBody, DocumentedBody};

domain_choices!(
    /// A mailbox's `status`.
    MailboxStatuses = MailboxStatus,
    "MailboxStatus",
    "Whether a mailbox can send."
);

domain_choices!(
    /// `tagMode` of the mailbox list.
    TagModes = TagMode,
    "TagMode",
    "How the `tags` of a mailbox list combine: `any` (a mailbox has at least one of them) or `all` (a mailbox has every one)."
);

/// The body of `POST /v1/mailboxes`. Unknown fields are rejected.
#[derive(Debug, Default, Object, Deserialize)]
#[oai(rename = "RegisterMailboxRequest", rename_all = "camelCase")]
#[serde(rename_all = "camelCase", default)]
pub struct RegisterMailboxRequest {
    /// The sending address; unique per workspace, compared case-insensitively.
    pub email: Required<String>,
    pub provider: Required<Choice<MailboxProviders>>,
    /// At most 100 characters, on one line (no control characters).
    #[oai(validator(max_length = 100))]
    pub display_name: Option<String>,
    /// Trimmed, non-blank, at most 100 characters each, no repeats (case-insensitively), at most 50.
    #[oai(validator(max_items = 50))]
    pub tags: Option<Vec<String>>,
    /// Emails a day, 1–50 (default 50).
    #[oai(validator(minimum(value = "1"), maximum(value = "50")))]
    pub daily_send_limit: Option<Int<u32>>,
    /// Default `true`.
    pub sending_enabled: Option<bool>,
    /// At most 10,000 characters; no control characters but line breaks and tabs. HTML is sanitised
    /// like an email body's (scripts, event handlers and `javascript:` links removed).
    #[oai(validator(max_length = 10000))]
    pub signature: Option<String>,
    /// The SMTP server that sends the mailbox's mail: a host name or an IP address. Any other `smtp…`
    /// member needs it. Without SMTP settings the mailbox cannot send.
    #[oai(validator(max_length = 253))]
    pub smtp_host: Option<String>,
    /// Default 587.
    #[oai(validator(minimum(value = "1"), maximum(value = "65535")))]
    pub smtp_port: Option<Int<u16>>,
    /// `true`: TLS from the first byte (usual on 465); `false` (default): STARTTLS when the server
    /// offers it. Credentials cross the network only encrypted, except to a loopback host.
    pub smtp_secure: Option<bool>,
    /// The SMTP login, kept as given; at most 320 characters, on one line.
    #[oai(validator(max_length = 320))]
    pub smtp_username: Option<String>,
    /// Write-only: stored encrypted, never returned. Needs `smtpUsername`; 1–1,024 characters, no
    /// control characters.
    #[oai(validator(max_length = 1024), write_only)]
    pub smtp_password: Option<String>,
    /// The IMAP server replies are read from: a host name or an IP address. Any other `imap…`
    /// member needs it.
    #[oai(validator(max_length = 253))]
    pub imap_host: Option<String>,
    /// Default 993.
    #[oai(validator(minimum(value = "1"), maximum(value = "65535")))]
    pub imap_port: Option<Int<u16>>,
    /// `true` (default): TLS from the first byte; `false`: STARTTLS.
    pub imap_secure: Option<bool>,
    /// The IMAP login, kept as given; at most 320 characters, on one line.
    #[oai(validator(max_length = 320))]
    pub imap_username: Option<String>,
    /// Write-only: stored encrypted, never returned. Needs `imapUsername`.
    #[oai(validator(max_length = 1024), write_only)]
    pub imap_password: Option<String>,
}

/// The body of `PATCH /v1/mailboxes/{mailboxId}`: only these fields change, each one the body gives.
/// Any other field (`email`, `provider`, `status`…) is refused as an unknown field. `null` resets a
/// field to what a new mailbox gets.
#[derive(Debug, Default, Object, Deserialize)]
#[oai(rename = "UpdateMailboxRequest", rename_all = "camelCase")]
#[serde(rename_all = "camelCase", default)]
pub struct UpdateMailboxRequest {
    /// At most 100 characters, on one line (no control characters); blank or `null` removes it.
    #[oai(validator(max_length = 100), nullable)]
    pub display_name: MaybeUndefined<String>,
    /// Emails a day. Any whole number, clamped into 1–50 (0 becomes 1, 500 becomes 50); `null` is 50.
    #[oai(nullable)]
    pub daily_send_limit: MaybeUndefined<i64>,
    /// At most 10,000 characters; no control characters but line breaks and tabs; HTML is sanitised
    /// like an email body's. `null` removes it.
    #[oai(validator(max_length = 10000), nullable)]
    pub signature: MaybeUndefined<String>,
    /// `null` is `true`.
    #[oai(nullable)]
    pub sending_enabled: MaybeUndefined<bool>,
    /// Replaces all of the mailbox's tags: trimmed, non-blank, at most 100 characters each, no repeats
    /// (case-insensitively), at most 50. `null` removes them all.
    #[oai(validator(max_items = 50), nullable)]
    pub tags: MaybeUndefined<Vec<String>>,
    /// A new SMTP host; `null` removes the whole SMTP connection (password included; the mailbox can
    /// no longer send) and then no other `smtp…` member may be given. A changed host or username
    /// drops the stored password unless `smtpPassword` comes with it.
    #[oai(validator(max_length = 253), nullable)]
    pub smtp_host: MaybeUndefined<String>,
    /// `null` is 587.
    #[oai(validator(minimum(value = "1"), maximum(value = "65535")), nullable)]
    pub smtp_port: MaybeUndefined<Int<u16>>,
    /// `null` is `false` (STARTTLS).
    #[oai(nullable)]
    pub smtp_secure: MaybeUndefined<bool>,
    /// `null` removes the username and the stored password with it.
    #[oai(validator(max_length = 320), nullable)]
    pub smtp_username: MaybeUndefined<String>,
    /// Write-only. A new password; `null` removes the stored one. Left out, the stored one is kept
    /// while the host and username stay the same.
    #[oai(validator(max_length = 1024), nullable, write_only)]
    pub smtp_password: MaybeUndefined<String>,
    /// As `smtpHost`, for IMAP.
    #[oai(validator(max_length = 253), nullable)]
    pub imap_host: MaybeUndefined<String>,
    /// `null` is 993.
    #[oai(validator(minimum(value = "1"), maximum(value = "65535")), nullable)]
    pub imap_port: MaybeUndefined<Int<u16>>,
    /// `null` is `true` (TLS).
    #[oai(nullable)]
    pub imap_secure: MaybeUndefined<bool>,
    /// `null` removes the username and the stored password with it.
    #[oai(validator(max_length = 320), nullable)]
    pub imap_username: MaybeUndefined<String>,
    /// Write-only. As `smtpPassword`, for IMAP.
    #[oai(validator(max_length = 1024), nullable, write_only)]
    pub imap_password: MaybeUndefined<String>,
}

impl DocumentedBody for RegisterMailboxRequest {
    fn example() -> serde_json::Value {
        serde_json::json!({
            "email": "jordan@yourcompany.com",
            "provider": "gmail",
            "displayName": "Jordan from Your Company",
            "tags": ["outreach", "emea"],
            "dailySendLimit": 40,
            "sendingEnabled": true,
            "signature": "<p>Jordan Lee<br>Account Executive, Your Company</p>",
            "smtpHost": "smtp.gmail.com",
            "smtpPort": 587,
            "smtpSecure": false,
            "smtpUsername": "jordan@yourcompany.com",
            "smtpPassword": "app-password-here",
            "imapHost": "imap.gmail.com",
            "imapUsername": "jordan@yourcompany.com",
            "imapPassword": "app-password-here"
        })
    }

    fn defaults() -> Vec<(String, serde_json::Value)> {
        vec![(
            <Self as poem_openapi::types::Type>::name().into_owned(),
            serde_json::json!({
                "tags": [],
                "dailySendLimit": DEFAULT_MAILBOX_DAILY_SEND_LIMIT,
                "sendingEnabled": DEFAULT_MAILBOX_SENDING_ENABLED,
                "smtpPort": MailServer::Smtp.default_port(),
                "smtpSecure": MailServer::Smtp.default_secure(),
                "imapPort": MailServer::Imap.default_port(),
                "imapSecure": MailServer::Imap.default_secure(),
            }),
        )]
    }
}

impl DocumentedBody for UpdateMailboxRequest {
    /// A new display name, a lower daily limit, and the tags replaced.
    fn example() -> serde_json::Value {
        serde_json::json!({
            "displayName": "Jordan Lee",
            "dailySendLimit": 30,
            "tags": ["outreach", "emea", "warm"]
        })
    }
}

impl DeclaredBody for RegisterMailboxRequest {
    type Request = MailboxRequest;

    fn into_request(self) -> MailboxRequest {
        self.into()
    }
}

mapped! {
    RegisterMailboxRequest <=> MailboxRequest {
        email: required,
        provider: required_choice,
        display_name: same,
        tags: same,
        daily_send_limit: int,
        sending_enabled: same,
        signature: same,
        smtp_host: same,
        smtp_port: int,
        smtp_secure: same,
        smtp_username: same,
        smtp_password: same,
        imap_host: same,
        imap_port: int,
        imap_secure: same,
        imap_username: same,
        imap_password: same,
    }
}

impl DeclaredBody for UpdateMailboxRequest {
    type Request = MailboxPatchRequest;

    fn into_request(self) -> MailboxPatchRequest {
        let Self {
            display_name,
            daily_send_limit,
            signature,
            sending_enabled,
            tags,
            smtp_host,
            smtp_port,
            smtp_secure,
            smtp_username,
            smtp_password,
            imap_host,
            imap_port,
            imap_secure,
            imap_username,
            imap_password,
        } = self;
        MailboxPatchRequest {
            display_name: patched(display_name),
            daily_send_limit: patched(daily_send_limit),
            signature: patched(signature),
            sending_enabled: patched(sending_enabled),
            tags: patched(tags),
            smtp_host: patched(smtp_host),
            smtp_port: patched(smtp_port.map_value(|port| port.get())),
            smtp_secure: patched(smtp_secure),
            smtp_username: patched(smtp_username),
            smtp_password: patched(smtp_password),
            imap_host: patched(imap_host),
            imap_port: patched(imap_port.map_value(|port| port.get())),
            imap_secure: patched(imap_secure),
            imap_username: patched(imap_username),
            imap_password: patched(imap_password),
        }
    }
}

/// A PATCH member: left out, `null`, or a value.
fn patched<T>(member: MaybeUndefined<T>) -> PatchValue<T> {
    match member {
        MaybeUndefined::Undefined => PatchValue::Absent,
        MaybeUndefined::Null => PatchValue::Null,
        MaybeUndefined::Value(value) => PatchValue::Given(value),
    }
}

/// What deleting a mailbox answers.
#[derive(Debug, Clone, Object)]
#[oai(rename = "MailboxDeleted", rename_all = "camelCase")]
pub struct MailboxDeletedBody {
    pub id: String,
    /// Always `true`.
    pub deleted: bool,
}

/// What a mailbox's SMTP settings make it: `smtp`, or `null` without SMTP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, poem_openapi::Enum)]
#[oai(rename = "ConnectionType", rename_all = "lowercase")]
pub enum ConnectionType {
    Smtp,
}

/// A sending mailbox; credentials are never returned.
#[derive(Debug, Clone, Object)]
#[oai(rename = "Mailbox", rename_all = "camelCase")]
pub struct MailboxBody {
    #[oai(rename = "_id")]
    pub id: String,
    pub workspace_id: String,
    /// As given.
    pub email: String,
    pub provider: Choice<MailboxProviders>,
    #[oai(nullable)]
    pub display_name: Option<String>,
    /// As given; they compare case-insensitively.
    pub tags: Vec<String>,
    pub daily_send_limit: u32,
    pub sending_enabled: bool,
    #[oai(nullable)]
    pub signature: Option<String>,
    pub status: Choice<MailboxStatuses>,
    /// `smtp` when SMTP is configured, else `null` (the mailbox cannot send).
    #[oai(nullable)]
    pub connection_type: Option<ConnectionType>,
    #[oai(nullable)]
    pub smtp_host: Option<String>,
    #[oai(nullable)]
    pub smtp_port: Option<u16>,
    #[oai(nullable)]
    pub smtp_secure: Option<bool>,
    #[oai(nullable)]
    pub smtp_username: Option<String>,
    #[oai(nullable)]
    pub imap_host: Option<String>,
    #[oai(nullable)]
    pub imap_port: Option<u16>,
    #[oai(nullable)]
    pub imap_secure: Option<bool>,
    #[oai(nullable)]
    pub imap_username: Option<String>,
    /// Messages sent from this mailbox in the last 24 hours.
    pub sent_today: u64,
    /// Why the mailbox is in `error`, as the sending engine recorded it.
    #[oai(nullable)]
    pub last_error: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl MailboxBody {
    /// The mailbox and how many messages it sent in the last 24 hours.
    pub fn from_domain(mailbox: &Mailbox, sent_today: u64) -> Self {
        let fields = mailbox.fields();
        let (smtp, imap) = (fields.smtp(), fields.imap());
        Self {
            id: mailbox.id().to_string(),
            workspace_id: mailbox.workspace_id().to_string(),
            email: fields.email().as_str().to_owned(),
            provider: fields.provider().into(),
            display_name: fields.display_name().map(str::to_owned),
            tags: fields.tags().to_vec(),
            daily_send_limit: fields.daily_send_limit(),
            sending_enabled: fields.sending_enabled(),
            signature: fields.signature().map(str::to_owned),
            status: mailbox.status().into(),
            connection_type: smtp.map(|_| ConnectionType::Smtp),
            smtp_host: smtp.map(|smtp| smtp.host().as_str().to_owned()),
            smtp_port: smtp.map(ServerConnection::port),
            smtp_secure: smtp.map(ServerConnection::secure),
            smtp_username: smtp.and_then(|smtp| smtp.username().map(str::to_owned)),
            imap_host: imap.map(|imap| imap.host().as_str().to_owned()),
            imap_port: imap.map(ServerConnection::port),
            imap_secure: imap.map(ServerConnection::secure),
            imap_username: imap.and_then(|imap| imap.username().map(str::to_owned)),
            sent_today,
            last_error: mailbox.last_error().map(str::to_owned),
            created_at: mailbox.created_at().into(),
            updated_at: mailbox.updated_at().into(),
        }
    }
}

/// One connection's check in `POST /v1/mailboxes/{mailboxId}/test`.
#[derive(Debug, Clone, Object)]
#[oai(rename = "ConnectionCheck", rename_all = "camelCase")]
pub struct ConnectionCheckBody {
    /// Whether it connected, secured the connection and logged in.
    pub ok: bool,
    /// Why not, when `ok` is `false`.
    #[oai(nullable)]
    pub error: Option<String>,
}

/// What `POST /v1/mailboxes/{mailboxId}/test` found; `null` where that connection is not configured.
#[derive(Debug, Clone, Object)]
#[oai(rename = "MailboxTest", rename_all = "camelCase")]
pub struct MailboxTestBody {
    /// EHLO, TLS or STARTTLS, AUTH (when a password is stored); nothing sent.
    #[oai(nullable)]
    pub smtp: Option<ConnectionCheckBody>,
    /// TLS or STARTTLS, LOGIN, SELECT INBOX; nothing read.
    #[oai(nullable)]
    pub imap: Option<ConnectionCheckBody>,
}

impl MailboxTestBody {
    pub fn from_report(report: MailboxTestReport) -> Self {
        let check = |outcome: CheckOutcome| match outcome {
            Ok(()) => ConnectionCheckBody {
                ok: true,
                error: None,
            },
            Err(error) => ConnectionCheckBody {
                ok: false,
                error: Some(error),
            },
        };
        Self {
            smtp: report.smtp.map(check),
            imap: report.imap.map(check),
        }
    }
}

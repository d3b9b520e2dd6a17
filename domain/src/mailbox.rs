//! Sending mailboxes and how a campaign selects them (spec 4.1).

use std::collections::HashSet;

use chrono::{DateTime, Utc};

use crate::body::sanitize_markup;
use crate::credential::{Credential, SealedCredential};
use crate::id::{MailboxId, WorkspaceId};
use crate::mailbox_connection::{ConnectionPasswords, MailServer, ServerConnection};
use crate::problem::{JsonPointer, ProblemCode, Problems};
use crate::request::{MailboxRequest, MailboxSelectorsRequest};
use crate::text::{Lines, named, parse_choice, required_trimmed, stored_text, wire_enum};
use crate::values::EmailAddress;

/// At most this many items in one selector list (our limit, so a request stays bounded).
pub const MAX_SELECTOR_ITEMS: usize = 1_000;
pub const MAX_TAG_CHARS: usize = 100;

/// How tags compare everywhere (uniqueness, selectors, list filters): Unicode lowercase, so
/// `Outreach`, `OUTREACH` and `outreach` are one tag.
pub fn fold_tag(tag: &str) -> String {
    tag.to_lowercase()
}

wire_enum!(
    /// Who hosts a mailbox.
    MailboxProvider {
        Gmail => "gmail",
        Outlook => "outlook",
        Azure => "azure",
        Custom => "custom",
    }
);

/// What the mailbox directory tells about one mailbox of the workspace, enough to select it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailboxSummary {
    pub id: MailboxId,
    pub email: EmailAddress,
    pub provider: MailboxProvider,
    pub tags: Vec<String>,
}

/// A campaign's mailbox selectors, parsed. Resolution needs the workspace's mailboxes: see [`Self::resolve`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MailboxSelection {
    ids: Vec<(MailboxId, JsonPointer)>,
    emails: Vec<(EmailAddress, JsonPointer)>,
    tags: Vec<String>,
    provider: Option<MailboxProvider>,
}

impl MailboxSelection {
    /// Parses the selectors of a request body (`at` is the body's root).
    pub fn parse(
        request: &MailboxSelectorsRequest,
        at: &JsonPointer,
    ) -> Result<MailboxSelection, Problems> {
        let (selection, problems) = Self::parse_partial(request, at);
        problems.into_result(|| selection)
    }

    /// The selectors that parse, and the problems of those that do not: lets a rejected request still
    /// have its well-formed ids and addresses looked up, so every problem is reported at once.
    pub fn parse_partial(
        request: &MailboxSelectorsRequest,
        at: &JsonPointer,
    ) -> (MailboxSelection, Problems) {
        let mut problems = Problems::new();
        let mut selection = MailboxSelection::default();
        for field in ["mailboxes", "mailboxIds"] {
            let list = if field == "mailboxes" {
                &request.mailboxes
            } else {
                &request.mailbox_ids
            };
            let Some(items) = within_limit(list.as_deref(), field, at, &mut problems) else {
                continue;
            };
            for (index, raw) in items.iter().enumerate() {
                let pointer = at.field(field).index(index);
                if let Some(id) = problems.check(
                    MailboxId::parse(raw).map_err(|invalid| named(field, invalid)),
                    pointer.clone(),
                ) {
                    selection.ids.push((id, pointer));
                }
            }
        }
        if let Some(items) = within_limit(
            request.mailbox_emails.as_deref(),
            "mailboxEmails",
            at,
            &mut problems,
        ) {
            for (index, raw) in items.iter().enumerate() {
                let pointer = at.field("mailboxEmails").index(index);
                if let Some(email) = problems.check(
                    EmailAddress::parse(raw).map_err(|invalid| named("mailboxEmails", invalid)),
                    pointer.clone(),
                ) {
                    selection.emails.push((email, pointer));
                }
            }
        }
        if let Some(items) = within_limit(
            request.mailbox_tags.as_deref(),
            "mailboxTags",
            at,
            &mut problems,
        ) {
            for (index, raw) in items.iter().enumerate() {
                if let Some(tag) = problems.check(
                    required_trimmed(Some(raw), "mailboxTags", MAX_TAG_CHARS),
                    at.field("mailboxTags").index(index),
                ) {
                    selection.tags.push(tag);
                }
            }
        }
        if let Some(raw) = request.mailbox_provider.as_deref() {
            selection.provider = problems.check(
                parse_choice(
                    raw,
                    "mailboxProvider",
                    MailboxProvider::from_wire,
                    MailboxProvider::choices,
                ),
                at.field("mailboxProvider"),
            );
        }
        (selection, problems)
    }

    /// Whether no selector was given (nothing to look up).
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
            && self.emails.is_empty()
            && self.tags.is_empty()
            && self.provider.is_none()
    }

    pub fn ids(&self) -> impl Iterator<Item = MailboxId> + '_ {
        self.ids.iter().map(|(id, _)| *id)
    }

    pub fn emails(&self) -> impl Iterator<Item = &EmailAddress> + '_ {
        self.emails.iter().map(|(email, _)| email)
    }

    pub fn tags(&self) -> &[String] {
        &self.tags
    }

    pub fn provider(&self) -> Option<MailboxProvider> {
        self.provider
    }

    /// The campaign's mailbox list: the union of all selectors without duplicates, in this order: ids as
    /// given, then emails as given, then tag matches, then provider matches (each of the last two by
    /// ascending id). `workspace_mailboxes` must hold only mailboxes of the campaign's workspace; it may
    /// hold more than the selectors match. Every id or email that matches none is reported.
    pub fn resolve(
        &self,
        workspace_mailboxes: &[MailboxSummary],
    ) -> Result<Vec<MailboxId>, Problems> {
        let mut problems = Problems::new();
        let mut chosen = Vec::new();
        let mut seen = HashSet::new();
        let mut choose = |id: MailboxId| {
            if seen.insert(id) {
                chosen.push(id);
            }
        };
        for (id, pointer) in &self.ids {
            if workspace_mailboxes.iter().any(|mailbox| mailbox.id == *id) {
                choose(*id);
            } else {
                problems.add(
                    pointer.clone(),
                    ProblemCode::MailboxNotFound,
                    format!("mailbox {id} is not a mailbox of this workspace"),
                );
            }
        }
        for (email, pointer) in &self.emails {
            match workspace_mailboxes
                .iter()
                .find(|mailbox| mailbox.email.eq_ignore_case(email))
            {
                Some(mailbox) => choose(mailbox.id),
                None => problems.add(
                    pointer.clone(),
                    ProblemCode::MailboxNotFound,
                    format!(
                        "no mailbox of this workspace has the address {}",
                        email.as_str()
                    ),
                ),
            }
        }
        let mut by_id: Vec<&MailboxSummary> = workspace_mailboxes.iter().collect();
        by_id.sort_by_key(|mailbox| mailbox.id);
        if !self.tags.is_empty() {
            let wanted: HashSet<String> = self.tags.iter().map(|tag| fold_tag(tag)).collect();
            for mailbox in &by_id {
                if mailbox
                    .tags
                    .iter()
                    .any(|tag| wanted.contains(&fold_tag(tag)))
                {
                    choose(mailbox.id);
                }
            }
        }
        if let Some(provider) = self.provider {
            for mailbox in by_id.iter().filter(|mailbox| mailbox.provider == provider) {
                choose(mailbox.id);
            }
        }
        problems.into_result(|| chosen)
    }
}

fn within_limit<'a>(
    items: Option<&'a [String]>,
    field: &str,
    at: &JsonPointer,
    problems: &mut Problems,
) -> Option<&'a [String]> {
    let items = items?;
    if items.len() > MAX_SELECTOR_ITEMS {
        problems.add(
            at.field(field),
            ProblemCode::TooMany,
            format!("{field} has at most {MAX_SELECTOR_ITEMS} items"),
        );
        return None;
    }
    Some(items)
}

/// Every mailbox sends at most this many emails a day.
pub const MAX_MAILBOX_DAILY_SEND_LIMIT: u32 = 50;
/// A new mailbox's daily send limit when none is given (also what `dailySendLimit: null` resets to).
pub const DEFAULT_MAILBOX_DAILY_SEND_LIMIT: u32 = MAX_MAILBOX_DAILY_SEND_LIMIT;
/// A new mailbox sends unless told otherwise (also what `sendingEnabled: null` resets to).
pub const DEFAULT_MAILBOX_SENDING_ENABLED: bool = true;
pub const MAX_MAILBOX_TAGS: usize = 50;
pub const MAX_DISPLAY_NAME_CHARS: usize = 100;
pub const MAX_SIGNATURE_CHARS: usize = 10_000;

wire_enum!(
    /// Whether a mailbox can send.
    MailboxStatus {
        Active => "active",
        Disconnected => "disconnected",
        Error => "error",
    }
);

/// A sending mailbox of a workspace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mailbox {
    id: MailboxId,
    workspace_id: WorkspaceId,
    fields: MailboxFields,
    status: MailboxStatus,
    /// The connections' passwords, sealed (never answered).
    passwords: ConnectionPasswords<SealedCredential>,
    /// Why the mailbox went to `error`, as the engine recorded it.
    last_error: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

/// What a client decides about a mailbox: valid, before it exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailboxFields {
    email: EmailAddress,
    provider: MailboxProvider,
    display_name: Option<String>,
    tags: Vec<String>,
    daily_send_limit: u32,
    sending_enabled: bool,
    signature: Option<String>,
    /// How it sends; `None`: not configured (it cannot send).
    smtp: Option<ServerConnection>,
    /// How replies are read; `None`: not configured.
    imap: Option<ServerConnection>,
}

impl MailboxFields {
    /// Parses a register-mailbox request, reporting every problem; the passwords it gives are
    /// validated and left out (see [`Self::parse_with_passwords`]).
    pub fn parse(request: &MailboxRequest) -> Result<MailboxFields, Problems> {
        Self::parse_with_passwords(request).map(|(fields, _)| fields)
    }

    /// Parses a register-mailbox request with the connections' passwords it gives, reporting every
    /// problem.
    pub fn parse_with_passwords(
        request: &MailboxRequest,
    ) -> Result<(MailboxFields, ConnectionPasswords<Credential>), Problems> {
        let root = JsonPointer::root();
        let mut problems = Problems::new();
        let email = match request.email.as_deref() {
            None => {
                problems.add(
                    root.field("email"),
                    ProblemCode::Required,
                    "email is required",
                );
                None
            }
            Some(raw) => problems.check(
                EmailAddress::parse(raw).map_err(|invalid| named("email", invalid)),
                root.field("email"),
            ),
        };
        let provider = match request.provider.as_deref() {
            None => {
                problems.add(
                    root.field("provider"),
                    ProblemCode::Required,
                    "provider is required",
                );
                None
            }
            Some(raw) => problems.check(
                parse_choice(
                    raw,
                    "provider",
                    MailboxProvider::from_wire,
                    MailboxProvider::choices,
                ),
                root.field("provider"),
            ),
        };
        let display_name = parse_display_name(
            request.display_name.as_deref(),
            &root.field("displayName"),
            &mut problems,
        );
        let tags = parse_tags(
            request.tags.as_deref().unwrap_or_default(),
            &root.field("tags"),
            &mut problems,
        );
        let daily_send_limit = match request.daily_send_limit {
            None => Some(DEFAULT_MAILBOX_DAILY_SEND_LIMIT),
            Some(raw) => {
                let limit = u32::try_from(raw)
                    .ok()
                    .filter(|limit| (1..=MAX_MAILBOX_DAILY_SEND_LIMIT).contains(limit));
                if limit.is_none() {
                    problems.add(
                        root.field("dailySendLimit"),
                        ProblemCode::OutOfRange,
                        format!(
                            "dailySendLimit must be between 1 and {MAX_MAILBOX_DAILY_SEND_LIMIT}"
                        ),
                    );
                }
                limit
            }
        };
        let signature = parse_signature(
            request.signature.as_deref(),
            &root.field("signature"),
            &mut problems,
        );
        let smtp = ServerConnection::parse(
            MailServer::Smtp,
            &request.connection(MailServer::Smtp),
            &root,
            &mut problems,
        );
        let imap = ServerConnection::parse(
            MailServer::Imap,
            &request.connection(MailServer::Imap),
            &root,
            &mut problems,
        );
        let (Some(smtp), Some(imap)) = (smtp, imap) else {
            return Err(problems);
        };
        let (smtp, smtp_password) = smtp.map_or((None, None), |parsed| {
            (Some(parsed.connection), parsed.password)
        });
        let (imap, imap_password) = imap.map_or((None, None), |parsed| {
            (Some(parsed.connection), parsed.password)
        });
        let passwords = ConnectionPasswords {
            smtp: smtp_password,
            imap: imap_password,
        };
        match (
            email,
            provider,
            display_name,
            tags,
            daily_send_limit,
            signature,
        ) {
            (
                Some(email),
                Some(provider),
                Some(display_name),
                Some(tags),
                Some(daily_send_limit),
                Some(signature),
            ) if problems.is_empty() => Ok((
                MailboxFields {
                    email,
                    provider,
                    display_name,
                    tags,
                    daily_send_limit,
                    sending_enabled: request
                        .sending_enabled
                        .unwrap_or(DEFAULT_MAILBOX_SENDING_ENABLED),
                    signature,
                    smtp,
                    imap,
                },
                passwords,
            )),
            _ => Err(problems),
        }
    }

    pub fn email(&self) -> &EmailAddress {
        &self.email
    }
    pub fn provider(&self) -> MailboxProvider {
        self.provider
    }
    pub fn display_name(&self) -> Option<&str> {
        self.display_name.as_deref()
    }
    /// Tags as given; they compare case-insensitively.
    pub fn tags(&self) -> &[String] {
        &self.tags
    }
    pub fn daily_send_limit(&self) -> u32 {
        self.daily_send_limit
    }
    pub fn sending_enabled(&self) -> bool {
        self.sending_enabled
    }
    pub fn signature(&self) -> Option<&str> {
        self.signature.as_deref()
    }
    /// The SMTP connection, when configured.
    pub fn smtp(&self) -> Option<&ServerConnection> {
        self.smtp.as_ref()
    }
    /// The IMAP connection, when configured.
    pub fn imap(&self) -> Option<&ServerConnection> {
        self.imap.as_ref()
    }
    pub fn connection(&self, server: MailServer) -> Option<&ServerConnection> {
        match server {
            MailServer::Smtp => self.smtp(),
            MailServer::Imap => self.imap(),
        }
    }
}

/// A display name: trimmed, at most 100 characters, on one line (it becomes a mail header); blank (or
/// absent) means none. `None` when invalid (the problem is reported).
pub(crate) fn parse_display_name(
    raw: Option<&str>,
    at: &JsonPointer,
    problems: &mut Problems,
) -> Option<Option<String>> {
    match raw.map(str::trim) {
        None | Some("") => Some(None),
        Some(name) => problems
            .check(
                stored_text(name, "displayName", MAX_DISPLAY_NAME_CHARS, Lines::One),
                at.clone(),
            )
            .map(|()| Some(name.to_owned())),
    }
}

/// A signature: at most 10,000 characters, no control character but line breaks and tabs; HTML is
/// sanitised as an email body's is, plain text kept as given. `None` when invalid (the problem is
/// reported).
pub(crate) fn parse_signature(
    raw: Option<&str>,
    at: &JsonPointer,
    problems: &mut Problems,
) -> Option<Option<String>> {
    match raw {
        None => Some(None),
        Some(signature) => problems
            .check(
                stored_text(signature, "signature", MAX_SIGNATURE_CHARS, Lines::Many),
                at.clone(),
            )
            .map(|()| Some(sanitize_markup(signature))),
    }
}

/// A daily send limit brought into 1–50 (spec 3: PATCH clamps rather than refuses): below 1 is 1,
/// above 50 is 50.
pub fn clamp_daily_send_limit(raw: i64) -> u32 {
    let clamped = raw.clamp(1, i64::from(MAX_MAILBOX_DAILY_SEND_LIMIT));
    // In 1..=50 by now, so the conversion cannot fail; the fallback only keeps clippy's `unwrap` rule.
    u32::try_from(clamped).unwrap_or(MAX_MAILBOX_DAILY_SEND_LIMIT)
}

/// Tags: trimmed, non-blank, at most 100 characters, no repeats (case-insensitively), at most 50.
pub(crate) fn parse_tags(
    raw: &[String],
    at: &JsonPointer,
    problems: &mut Problems,
) -> Option<Vec<String>> {
    if raw.len() > MAX_MAILBOX_TAGS {
        problems.add(
            at.clone(),
            ProblemCode::TooMany,
            format!("tags has at most {MAX_MAILBOX_TAGS} items"),
        );
        return None;
    }
    let before = problems.len();
    let mut seen = HashSet::new();
    let mut tags = Vec::with_capacity(raw.len());
    for (index, tag) in raw.iter().enumerate() {
        let Some(tag) = problems.check(
            required_trimmed(Some(tag), "tags", MAX_TAG_CHARS),
            at.index(index),
        ) else {
            continue;
        };
        if seen.insert(fold_tag(&tag)) {
            tags.push(tag);
        } else {
            problems.add(
                at.index(index),
                ProblemCode::Duplicate,
                format!("tags lists {tag:?} more than once (tags compare case-insensitively)"),
            );
        }
    }
    (problems.len() == before).then_some(tags)
}

impl Mailbox {
    /// A new mailbox, `active`, without passwords (see [`Self::with_passwords`]).
    pub fn register(
        id: MailboxId,
        workspace_id: WorkspaceId,
        fields: MailboxFields,
        now: DateTime<Utc>,
    ) -> Self {
        Self {
            id,
            workspace_id,
            fields,
            status: MailboxStatus::Active,
            passwords: ConnectionPasswords::default(),
            last_error: None,
            created_at: now,
            updated_at: now,
        }
    }

    /// The mailbox with its connections' sealed passwords. A password of a connection that is not
    /// configured, or has no username, is dropped: there is nothing to log in as.
    pub fn with_passwords(mut self, passwords: ConnectionPasswords<SealedCredential>) -> Self {
        let usable = |server: MailServer| {
            self.fields
                .connection(server)
                .is_some_and(|connection| connection.username().is_some())
        };
        let (smtp, imap) = (usable(MailServer::Smtp), usable(MailServer::Imap));
        self.passwords = ConnectionPasswords {
            smtp: passwords.smtp.filter(|_| smtp),
            imap: passwords.imap.filter(|_| imap),
        };
        self
    }

    /// The mailbox with the last error the engine recorded (read back from storage).
    pub fn with_last_error(mut self, last_error: Option<String>) -> Self {
        self.last_error = last_error;
        self
    }

    /// A mailbox read back from storage; its fields were parsed again by the caller.
    pub fn restore(
        id: MailboxId,
        workspace_id: WorkspaceId,
        fields: MailboxFields,
        status: MailboxStatus,
        created_at: DateTime<Utc>,
        updated_at: DateTime<Utc>,
    ) -> Self {
        Self {
            id,
            workspace_id,
            fields,
            status,
            passwords: ConnectionPasswords::default(),
            last_error: None,
            created_at,
            updated_at,
        }
    }

    pub fn id(&self) -> MailboxId {
        self.id
    }
    pub fn workspace_id(&self) -> WorkspaceId {
        self.workspace_id
    }
    pub fn fields(&self) -> &MailboxFields {
        &self.fields
    }
    pub fn status(&self) -> MailboxStatus {
        self.status
    }
    pub fn created_at(&self) -> DateTime<Utc> {
        self.created_at
    }
    pub fn updated_at(&self) -> DateTime<Utc> {
        self.updated_at
    }

    /// The connections' passwords, sealed.
    pub fn passwords(&self) -> &ConnectionPasswords<SealedCredential> {
        &self.passwords
    }
    pub fn last_error(&self) -> Option<&str> {
        self.last_error.as_deref()
    }

    /// Whether it may send now (SENDING.md section 1): sending enabled, `active` and SMTP
    /// configured.
    pub fn can_send(&self) -> bool {
        self.fields.sending_enabled
            && self.status == MailboxStatus::Active
            && self.fields.smtp.is_some()
    }

    /// What campaigns need to select it.
    pub fn summary(&self) -> MailboxSummary {
        MailboxSummary {
            id: self.id,
            email: self.fields.email.clone(),
            provider: self.fields.provider,
            tags: self.fields.tags.clone(),
        }
    }
}

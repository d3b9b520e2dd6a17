//! Sending mailboxes and how a campaign selects them (spec 4.1).

use std::collections::HashSet;

use crate::id::MailboxId;
use crate::problem::{JsonPointer, ProblemCode, Problems};
use crate::request::MailboxSelectorsRequest;
use crate::text::{named, parse_choice, required_trimmed, wire_enum};
use crate::values::EmailAddress;

/// At most this many items in one selector list (our limit, so a request stays bounded).
pub const MAX_SELECTOR_ITEMS: usize = 1_000;
pub const MAX_TAG_CHARS: usize = 100;

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
        problems.into_result(|| selection)
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
            let wanted: HashSet<String> = self.tags.iter().map(|tag| tag.to_lowercase()).collect();
            for mailbox in &by_id {
                if mailbox
                    .tags
                    .iter()
                    .any(|tag| wanted.contains(&tag.to_lowercase()))
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

//! The filters of `GET /v1/mailboxes` that need rules of their own: tags (any or all of them) and a
//! search over the address and the display name. Provider and status filters are the wire enums of
//! [`crate::mailbox`]; the page size is [`crate::listing::PageLimit`].

use std::collections::HashSet;

use crate::listing::fold_case;
use crate::mailbox::{MAX_MAILBOX_TAGS, MAX_TAG_CHARS, Mailbox, fold_tag};
use crate::problem::{Invalid, ProblemCode};
use crate::text::{Lines, char_count, named, refuse_controls, wire_enum};

/// The longest search text: the longest address (254 characters; display names are at most 100), so
/// nothing longer could match.
pub const MAX_MAILBOX_SEARCH_CHARS: usize = 254;

wire_enum!(
    /// How the tags of a list filter combine.
    TagMode {
        /// Mailboxes having at least one of the tags.
        Any => "any",
        /// Mailboxes having every one of the tags.
        All => "all",
    }
);

impl TagMode {
    /// The mode when the client names none.
    pub const DEFAULT: TagMode = TagMode::Any;
}

/// Mailboxes having any (or all) of some tags, compared case-insensitively.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagFilter {
    folded: Vec<String>,
    mode: TagMode,
}

impl TagFilter {
    /// The filter of the comma-separated `raw` (`tags=Outreach, eu`): each tag trimmed, empty ones
    /// skipped, repeats (ignoring case) counted once. `Ok(None)` when it names no tag. A tag longer than
    /// any stored tag, a tag with a control character, or more tags than a mailbox can have, is refused
    /// rather than answered with an empty page, like campaigns' too-long search.
    pub fn parse(raw: Option<&str>, mode: TagMode) -> Result<Option<TagFilter>, Invalid> {
        let mut seen = HashSet::new();
        let mut folded = Vec::new();
        for tag in raw.unwrap_or_default().split(',').map(str::trim) {
            if tag.is_empty() {
                continue;
            }
            if char_count(tag) > MAX_TAG_CHARS {
                return Err(Invalid::new(
                    ProblemCode::TooLong,
                    format!("each tag must be at most {MAX_TAG_CHARS} characters"),
                ));
            }
            refuse_controls(tag, Lines::One).map_err(|invalid| named("each tag", invalid))?;
            let tag = fold_tag(tag);
            if seen.insert(tag.clone()) {
                folded.push(tag);
            }
        }
        if folded.len() > MAX_MAILBOX_TAGS {
            return Err(Invalid::new(
                ProblemCode::TooMany,
                format!("tags names at most {MAX_MAILBOX_TAGS} tags"),
            ));
        }
        Ok((!folded.is_empty()).then_some(TagFilter { folded, mode }))
    }

    /// The tags, case-folded, without repeats, in the order given.
    pub fn folded_tags(&self) -> &[String] {
        &self.folded
    }

    pub fn mode(&self) -> TagMode {
        self.mode
    }

    /// Whether a mailbox with `tags` passes the filter.
    pub fn matches(&self, tags: &[String]) -> bool {
        let have: HashSet<String> = tags.iter().map(|tag| fold_tag(tag)).collect();
        match self.mode {
            TagMode::Any => self.folded.iter().any(|tag| have.contains(tag)),
            TagMode::All => self.folded.iter().all(|tag| have.contains(tag)),
        }
    }
}

/// A case-insensitive substring search over a mailbox's address and its display name: a mailbox
/// matches when either contains the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailboxSearch {
    folded: String,
}

impl MailboxSearch {
    /// The search for `raw`, trimmed; `Ok(None)` when it is blank (no filter). A control character
    /// is refused: no address or display name holds one.
    pub fn parse(raw: Option<&str>) -> Result<Option<MailboxSearch>, Invalid> {
        let Some(trimmed) = raw.map(str::trim).filter(|text| !text.is_empty()) else {
            return Ok(None);
        };
        if char_count(trimmed) > MAX_MAILBOX_SEARCH_CHARS {
            return Err(Invalid::new(
                ProblemCode::TooLong,
                format!("search must be at most {MAX_MAILBOX_SEARCH_CHARS} characters"),
            ));
        }
        refuse_controls(trimmed, Lines::One).map_err(|invalid| named("search", invalid))?;
        Ok(Some(MailboxSearch {
            folded: fold_case(trimmed),
        }))
    }

    /// The text to look for, case-folded.
    pub fn folded(&self) -> &str {
        &self.folded
    }

    /// Whether the mailbox's address or display name contains the text, ignoring case.
    pub fn matches(&self, mailbox: &Mailbox) -> bool {
        let fields = mailbox.fields();
        fold_case(fields.email().as_str()).contains(&self.folded)
            || fields
                .display_name()
                .is_some_and(|name| fold_case(name).contains(&self.folded))
    }
}

//! Changing a mailbox (`PATCH /v1/mailboxes/{id}`): which fields a client may change, and how.
//!
//! Only `displayName`, `dailySendLimit`, `signature`, `sendingEnabled` and `tags` change; the address,
//! provider and status never do here. Each field follows the rule it has on create, except that
//! `dailySendLimit` is clamped into 1–50 instead of refused (spec 3). `null` resets a field to what a
//! new mailbox gets when the field is left out: no display name, no signature, no tags, 50 a day,
//! sending enabled.

use crate::mailbox::{
    DEFAULT_MAILBOX_DAILY_SEND_LIMIT, DEFAULT_MAILBOX_SENDING_ENABLED, clamp_daily_send_limit,
    parse_display_name, parse_signature, parse_tags,
};
use crate::problem::{JsonPointer, Problems};

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
}

/// Valid changes to a mailbox: each `Some` replaces the stored value, each `None` keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MailboxChanges {
    display_name: Option<Option<String>>,
    daily_send_limit: Option<u32>,
    signature: Option<Option<String>>,
    sending_enabled: Option<bool>,
    tags: Option<Vec<String>>,
}

impl MailboxChanges {
    /// Parses a PATCH body, reporting every problem with its pointer.
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
}

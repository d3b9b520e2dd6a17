//! Sending mailboxes on the wire (`/v1/mailboxes…`).

use domain::mailbox::{
    DEFAULT_MAILBOX_DAILY_SEND_LIMIT, DEFAULT_MAILBOX_SENDING_ENABLED, Mailbox, MailboxStatus,
};
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
            "signature": "<p>Jordan Lee<br>Account Executive, Your Company</p>"
        })
    }

    fn defaults() -> Vec<(String, serde_json::Value)> {
        vec![(
            <Self as poem_openapi::types::Type>::name().into_owned(),
            serde_json::json!({
                "tags": [],
                "dailySendLimit": DEFAULT_MAILBOX_DAILY_SEND_LIMIT,
                "sendingEnabled": DEFAULT_MAILBOX_SENDING_ENABLED,
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
        } = self;
        MailboxPatchRequest {
            display_name: patched(display_name),
            daily_send_limit: patched(daily_send_limit),
            signature: patched(signature),
            sending_enabled: patched(sending_enabled),
            tags: patched(tags),
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
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl MailboxBody {
    pub fn from_domain(mailbox: &Mailbox) -> Self {
        let fields = mailbox.fields();
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
            created_at: mailbox.created_at().into(),
            updated_at: mailbox.updated_at().into(),
        }
    }
}

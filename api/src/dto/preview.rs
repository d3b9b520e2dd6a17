//! `POST /v1/campaigns/{campaignId}/preview-email` on the wire (SENDING.md section 6).

use domain::email_preview::{ContentOverrideRequest, PreviewEmailRequest, RenderedPreview};
use poem_openapi::Object;
use serde::Deserialize;
use serde_json::Value;

use crate::dto::wire::{Int, Required, mapped, whole};
use crate::request_body::{DeclaredBody, DocumentedBody};

/// `contentOverride`: render this subject and body instead of the step's (a draft being edited).
#[derive(Debug, Default, Clone, PartialEq, Object, Deserialize)]
#[oai(rename = "ContentOverride", rename_all = "camelCase")]
#[serde(rename_all = "camelCase", default)]
pub struct ContentOverrideInput {
    /// At most 500 characters, on one line.
    #[oai(validator(max_length = 500))]
    pub subject: Option<String>,
    /// HTML or plain text, at most 100,000 characters; sanitised like a step's body.
    #[oai(validator(max_length = 100000))]
    pub body: Option<String>,
}

mapped! {
    ContentOverrideInput <=> ContentOverrideRequest {
        subject: same,
        body: same,
    }
}

/// The body of `POST /v1/campaigns/{campaignId}/preview-email`. Unknown fields are rejected.
#[derive(Debug, Default, Object, Deserialize)]
#[oai(rename = "PreviewEmailRequest", rename_all = "camelCase")]
#[serde(rename_all = "camelCase", default)]
pub struct PreviewEmailBody {
    /// The email step's 0-based position in `sequence` (as a campaign lead's `currentStep`).
    #[oai(validator(minimum(value = "0")))]
    pub sequence_step: Required<Int<u32>>,
    /// A lead of the workspace whose values fill the variables; without it they have none.
    pub lead_id: Option<String>,
    /// The sending mailbox (its name, address and signature); default the campaign's first.
    pub mailbox_id: Option<String>,
    /// A variant letter of the step (`A`–`Z`); default its first variant.
    pub variant: Option<String>,
    pub content_override: Option<ContentOverrideInput>,
}

impl DocumentedBody for PreviewEmailBody {
    fn example() -> Value {
        serde_json::json!({"sequenceStep": 0, "variant": "A"})
    }
}

impl DeclaredBody for PreviewEmailBody {
    type Request = PreviewEmailRequest;

    fn into_request(self) -> PreviewEmailRequest {
        let Self {
            sequence_step,
            lead_id,
            mailbox_id,
            variant,
            content_override,
        } = self;
        PreviewEmailRequest {
            sequence_step: whole(sequence_step.0),
            lead_id,
            mailbox_id,
            variant,
            content_override: content_override.map(ContentOverrideRequest::from),
        }
    }
}

/// One email as the lead would get it; nothing was sent.
#[derive(Debug, Clone, Object)]
#[oai(rename = "EmailPreview", rename_all = "camelCase")]
pub struct EmailPreviewBody {
    pub subject: String,
    /// HTML, the mailbox's signature at its end.
    pub body: String,
    /// The plain-text part derived from `body`.
    pub text: String,
    /// Variables used without a value and without a fallback (they render empty), each once.
    pub missing_variables: Vec<String>,
}

impl From<RenderedPreview> for EmailPreviewBody {
    fn from(rendered: RenderedPreview) -> Self {
        let RenderedPreview {
            subject,
            body,
            text,
            missing_variables,
        } = rendered;
        Self {
            subject,
            body,
            text,
            missing_variables,
        }
    }
}

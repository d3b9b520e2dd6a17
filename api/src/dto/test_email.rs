//! `POST /v1/campaigns/{campaignId}/send-test-email` on the wire (SENDING.md section 6).

use std::collections::BTreeMap;

use application::use_cases::send_test_email::SentTestEmail;
use domain::test_email::TestEmailRequest;
use poem_openapi::Object;
use serde::Deserialize;
use serde_json::Value;

use crate::dto::wire::{Int, Required, whole};
use crate::request_body::{DeclaredBody, DocumentedBody};

/// The body of `POST /v1/campaigns/{campaignId}/send-test-email`. Unknown fields are rejected.
#[derive(Debug, Default, Object, Deserialize)]
#[oai(rename = "SendTestEmailRequest", rename_all = "camelCase")]
#[serde(rename_all = "camelCase", default)]
pub struct SendTestEmailBody {
    /// The email step's 0-based position in `sequence`, as in `preview-email`.
    #[oai(validator(minimum(value = "0")))]
    pub sequence_step: Required<Int<u32>>,
    /// The mailbox of the workspace that sends the test email over its SMTP settings.
    pub mailbox_id: Required<String>,
    /// A lead of the workspace: the email goes to its address, its values fill the variables. Give
    /// this or `customEmail`.
    pub lead_id: Option<String>,
    /// An address to send to instead of a lead's (checked as a lead's `email`).
    pub custom_email: Option<String>,
    /// With `customEmail`: the variables' values, as a lead's fields (`firstName`, `companyName`,
    /// `country`…) or custom fields by name.
    pub custom_variables: Option<BTreeMap<String, String>>,
    /// A variant letter of the step (`A`–`Z`); default its first variant.
    pub variant: Option<String>,
}

impl DocumentedBody for SendTestEmailBody {
    fn example() -> Value {
        serde_json::json!({
            "sequenceStep": 0,
            "mailboxId": crate::error::EXAMPLE_ID,
            "customEmail": "me@example.com",
            "customVariables": {"firstName": "Ada", "companyName": "Acme"}
        })
    }
}

impl DeclaredBody for SendTestEmailBody {
    type Request = TestEmailRequest;

    fn into_request(self) -> TestEmailRequest {
        let Self {
            sequence_step,
            mailbox_id,
            lead_id,
            custom_email,
            custom_variables,
            variant,
        } = self;
        TestEmailRequest {
            sequence_step: whole(sequence_step.0),
            mailbox_id: mailbox_id.0,
            lead_id,
            custom_email,
            custom_variables: custom_variables.map(|variables| variables.into_iter().collect()),
            variant,
        }
    }
}

/// The email as it was sent.
#[derive(Debug, Clone, Object)]
#[oai(rename = "SentEmailContent", rename_all = "camelCase")]
pub struct SentEmailContentBody {
    pub subject: String,
    /// HTML, the mailbox's signature at its end.
    pub body: String,
    /// The plain-text part.
    pub text: String,
}

/// A test email the mailbox's SMTP server accepted.
#[derive(Debug, Clone, Object)]
#[oai(rename = "TestEmailSent", rename_all = "camelCase")]
pub struct TestEmailSentBody {
    /// What happened, in words.
    pub message: String,
    /// The `Message-ID` the email carries, without angle brackets.
    pub message_id: String,
    /// The address it went to.
    pub recipient: String,
    /// The address of the mailbox it went from.
    pub mailbox: String,
    pub preview: SentEmailContentBody,
}

impl From<SentTestEmail> for TestEmailSentBody {
    fn from(sent: SentTestEmail) -> Self {
        let SentTestEmail {
            message_id,
            recipient,
            mailbox,
            rendered,
        } = sent;
        Self {
            message: format!("test email sent to {recipient} from {mailbox}"),
            message_id: message_id.as_str().to_owned(),
            recipient: recipient.as_str().to_owned(),
            mailbox: mailbox.as_str().to_owned(),
            preview: SentEmailContentBody {
                subject: rendered.subject,
                body: rendered.body,
                text: rendered.text,
            },
        }
    }
}

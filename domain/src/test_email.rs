//! `POST /v1/campaigns/{id}/send-test-email` (SENDING.md section 6): one email step rendered as a
//! preview renders it, for a lead of the workspace or for an address given with its own variables,
//! then sent at once from a mailbox. The request's rules are here; finding the campaign, the lead and
//! the mailbox, and sending, are the use case's.
//!
//! Decided where the spec is silent (see also docs/decisions.md):
//! - `sequenceStep`, `variant` and `leadId` mean what they mean in a preview ([`PreviewChoice`]).
//! - `mailboxId` is required (a test is sent, so it needs a sender).
//! - Exactly one of `leadId` and `customEmail`; `customVariables` only beside `customEmail`.
//! - `customEmail` is checked as a lead's `email`; `customVariables` are the values of a lead: a
//!   standard text field (`firstName`…), `country`, or any other name as a custom field (its rules:
//!   no standard field's name in another case). `email`, `tags`, `timezone` and `customFields` are no
//!   variables and are refused.

use crate::email_preview::{PreviewChoice, PreviewEmailRequest, RenderedPreview};
use crate::id::{LeadId, MailboxId};
use crate::lead::LeadFields;
use crate::lead_custom::CustomValue;
use crate::lead_field::{LeadField, LeadMember};
use crate::lead_request::LeadRequest;
use crate::mailbox::MailboxFields;
use crate::message_template::SpintaxChooser;
use crate::problem::{JsonPointer, Problem, ProblemCode, Problems};
use crate::sequence::Sequence;

/// The body of a test-email request, as sent.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TestEmailRequest {
    pub sequence_step: Option<i64>,
    pub mailbox_id: Option<String>,
    pub lead_id: Option<String>,
    pub custom_email: Option<String>,
    /// Names and values, in the order given.
    pub custom_variables: Option<Vec<(String, String)>>,
    pub variant: Option<String>,
}

/// Whom the test email goes to.
#[derive(Debug, Clone, PartialEq)]
pub enum TestRecipient {
    /// A lead of the workspace: its address and its values.
    Lead(LeadId),
    /// An address with the values the request gave (`customEmail`, `customVariables`).
    Custom(Box<LeadFields>),
}

/// A valid test-email request.
#[derive(Debug, Clone, PartialEq)]
pub struct TestEmailChoice {
    content: PreviewChoice,
    mailbox: MailboxId,
    recipient: TestRecipient,
}

impl TestEmailChoice {
    /// Parses the body, reporting every problem.
    pub fn parse(request: &TestEmailRequest) -> Result<TestEmailChoice, Problems> {
        let root = JsonPointer::root();
        let mut problems = Problems::new();
        let content = problems.absorb(PreviewChoice::parse(&PreviewEmailRequest {
            sequence_step: request.sequence_step,
            lead_id: request.lead_id.clone(),
            mailbox_id: request.mailbox_id.clone(),
            variant: request.variant.clone(),
            content_override: None,
        }));
        if request.mailbox_id.is_none() {
            problems.add(
                root.field("mailboxId"),
                ProblemCode::Required,
                "mailboxId is required: the mailbox that sends the test email",
            );
        }
        let custom = match (&request.lead_id, &request.custom_email) {
            (Some(_), Some(_)) => {
                problems.add(
                    root.field("customEmail"),
                    ProblemCode::NotAllowed,
                    "give leadId or customEmail, not both",
                );
                None
            }
            (None, None) => {
                problems.add(
                    root.field("leadId"),
                    ProblemCode::Required,
                    "leadId or customEmail is required: whom the test email goes to",
                );
                None
            }
            (Some(_), None) => None,
            (None, Some(email)) => problems.absorb(custom_recipient(
                email,
                request.custom_variables.as_deref().unwrap_or_default(),
            )),
        };
        if request.lead_id.is_some() && request.custom_variables.is_some() {
            problems.add(
                root.field("customVariables"),
                ProblemCode::NotAllowed,
                "customVariables go with customEmail; a lead's own values fill the variables",
            );
        }
        let mailbox = content.as_ref().and_then(PreviewChoice::mailbox);
        let recipient = match (content.as_ref().and_then(PreviewChoice::lead), custom) {
            (Some(lead), None) => Some(TestRecipient::Lead(lead)),
            (None, Some(fields)) => Some(TestRecipient::Custom(Box::new(fields))),
            _ => None,
        };
        match (content, mailbox, recipient) {
            (Some(content), Some(mailbox), Some(recipient)) if problems.is_empty() => {
                Ok(TestEmailChoice {
                    content,
                    mailbox,
                    recipient,
                })
            }
            _ => Err(problems),
        }
    }

    pub fn mailbox(&self) -> MailboxId {
        self.mailbox
    }

    pub fn recipient(&self) -> &TestRecipient {
        &self.recipient
    }

    /// The chosen step of `sequence` rendered for `recipient` from `sender` as a preview renders it,
    /// each spintax group's option picked by `chooser` (as a send picks it).
    pub fn render(
        &self,
        sequence: &Sequence,
        recipient: &LeadFields,
        sender: &MailboxFields,
        chooser: &mut impl SpintaxChooser,
    ) -> Result<RenderedPreview, Problems> {
        self.content
            .render_choosing(sequence, Some(recipient), Some(sender), chooser)
    }
}

/// `customEmail` checked as a lead's address, and `customVariables` as a lead's values.
fn custom_recipient(email: &str, variables: &[(String, String)]) -> Result<LeadFields, Problems> {
    let at = JsonPointer::root().field("customVariables");
    let mut problems = Problems::new();
    let mut lead = LeadRequest {
        email: Some(email.to_owned()),
        ..LeadRequest::default()
    };
    for (name, value) in variables {
        match LeadMember::of(name) {
            LeadMember::Custom => lead
                .extra_fields
                .push((name.clone(), CustomValue::Text(value.clone()))),
            LeadMember::Standard(LeadField::Country) => lead.country = Some(value.clone()),
            LeadMember::Standard(field) => match field.text() {
                Some(text) => *lead.text_mut(text) = Some(value.clone()),
                None => problems.add(
                    at.field(name),
                    ProblemCode::NotAllowed,
                    format!(
                        "{name} is not a message variable (the recipient's address is customEmail)"
                    ),
                ),
            },
        }
    }
    let email_at = at.field("email");
    let parsed = LeadFields::parse(&lead, &at).map_err(|found| {
        // The address came from `customEmail`: its problems belong there.
        let mut relocated = Problems::new();
        for problem in found.iter() {
            relocated.push(if *problem.pointer() == email_at {
                Problem::new(
                    JsonPointer::root().field("customEmail"),
                    problem.code(),
                    problem.message().replacen("email", "customEmail", 1),
                )
            } else {
                problem.clone()
            });
        }
        relocated
    });
    problems.ahead_of(parsed)
}

#[cfg(test)]
mod tests;

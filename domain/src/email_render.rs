//! One email step rendered for one lead from one mailbox (SENDING.md section 3): the subject (a blank
//! one answers the previous email: `Re: ` + its subject), the HTML body with the mailbox's signature,
//! the text part derived from it, and the variables that had no value. Shared by the preview (first
//! spintax option, the sequence's previous subject) and the sending engine (a random option, the
//! subject the enrolment's previous email went out with).

use crate::body::EmailBody;
use crate::lead::LeadFields;
use crate::mailbox::MailboxFields;
use crate::message_template::{
    MessageTemplate, MessageVariables, SpintaxChooser, text_part_from_html,
};
use crate::sequence::{EmailStep, Variant};

/// A rendered email.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedEmail {
    pub subject: String,
    /// HTML.
    pub body: String,
    /// The text part derived from `body`.
    pub text: String,
    /// Names used without a value and without a fallback, each once, subject first.
    pub missing_variables: Vec<String>,
}

/// What to render: a step, one of its variants (or none), and what replaces their content.
#[derive(Debug, Clone, Copy)]
pub struct EmailContent<'a> {
    pub step: &'a EmailStep,
    pub variant: Option<&'a Variant>,
    pub subject_override: Option<&'a str>,
    pub body_override: Option<&'a EmailBody>,
}

impl EmailContent<'_> {
    /// Renders for `lead` from `sender`; `previous_subject` is asked only when the subject is blank.
    pub fn render(
        &self,
        lead: Option<&LeadFields>,
        sender: Option<&MailboxFields>,
        previous_subject: impl FnOnce() -> Option<String>,
        chooser: &mut impl SpintaxChooser,
    ) -> RenderedEmail {
        let subject = self
            .subject_override
            .or(self.variant.map(Variant::subject))
            .unwrap_or(self.step.subject());
        let subject = if subject.trim().is_empty() {
            format!("Re: {}", previous_subject().unwrap_or_default())
        } else {
            subject.to_owned()
        };
        let body = self
            .body_override
            .or(self.variant.map(Variant::body))
            .unwrap_or(self.step.body());
        let variables = MessageVariables::of(lead, sender).with_conditional_variables(self.step);
        let subject = MessageTemplate::parse(&subject);
        let body = MessageTemplate::parse(body.as_str());
        let mut html = body.render_html(&variables, chooser);
        if let Some(signature) = sender.and_then(MailboxFields::signature) {
            html.push_str(signature);
        }
        let mut missing_variables = subject.missing_variables(&variables);
        for name in body.missing_variables(&variables) {
            if !missing_variables.contains(&name) {
                missing_variables.push(name);
            }
        }
        RenderedEmail {
            subject: subject.render_header(&variables, chooser),
            text: text_part_from_html(&html),
            body: html,
            missing_variables,
        }
    }
}

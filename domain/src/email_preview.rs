//! `POST /v1/campaigns/{id}/preview-email` (SENDING.md section 6): one email step rendered as a lead
//! would get it, from a mailbox, nothing sent. The request's rules ([`PreviewChoice::parse`]) and the
//! rendering ([`PreviewChoice::render`]) are here; finding the campaign, lead and mailbox is the use
//! case's.
//!
//! Decided where the spec is silent:
//! - `sequenceStep` is the step's 0-based position in `sequence`, as an enrolment's `currentStep`;
//!   it must be an email step.
//! - `variant` is a letter (`A`–`Z`, either case) of that step's variants; without it, the step's
//!   first variant.
//! - Spintax shows its first option, so that a preview is the same every time (a send picks one at
//!   random).
//! - A follow-up with a blank subject previews as `Re: ` + the previous email step's subject.
//! - The mailbox's signature ends the body; without a lead or a mailbox their variables have no
//!   value (they are listed in `missingVariables`).

use crate::body::EmailBody;
use crate::email_render::{EmailContent, RenderedEmail};
use crate::id::{LeadId, MailboxId};
use crate::lead::LeadFields;
use crate::mailbox::MailboxFields;
use crate::message_template::SpintaxChooser;
use crate::problem::{Invalid, JsonPointer, Problem, ProblemCode, Problems};
use crate::sequence::{EmailStep, MAX_SUBJECT_CHARS, Sequence, StepKind};
use crate::text::{Lines, named, stored_text};

/// The body of a preview request, as sent.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PreviewEmailRequest {
    pub sequence_step: Option<i64>,
    pub lead_id: Option<String>,
    pub mailbox_id: Option<String>,
    pub variant: Option<String>,
    pub content_override: Option<ContentOverrideRequest>,
}

/// `contentOverride`: a subject and body to render instead of the step's (a draft being edited).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ContentOverrideRequest {
    pub subject: Option<String>,
    pub body: Option<String>,
}

/// A valid preview request.
#[derive(Debug, Clone, PartialEq)]
pub struct PreviewChoice {
    step: usize,
    lead: Option<LeadId>,
    mailbox: Option<MailboxId>,
    variant: Option<char>,
    subject_override: Option<String>,
    body_override: Option<EmailBody>,
}

/// A rendered preview: the email as a send would render it.
pub type RenderedPreview = RenderedEmail;

impl PreviewChoice {
    /// Parses the body, reporting every problem.
    pub fn parse(request: &PreviewEmailRequest) -> Result<PreviewChoice, Problems> {
        let root = JsonPointer::root();
        let mut problems = Problems::new();
        let step = match request.sequence_step {
            None => {
                problems.add(
                    root.field("sequenceStep"),
                    ProblemCode::Required,
                    "sequenceStep is required",
                );
                None
            }
            Some(raw) => {
                let step = usize::try_from(raw).ok();
                if step.is_none() {
                    problems.add(
                        root.field("sequenceStep"),
                        ProblemCode::OutOfRange,
                        "sequenceStep must be 0 or more (a position in `sequence`)",
                    );
                }
                step
            }
        };
        let lead = request.lead_id.as_deref().and_then(|raw| {
            problems.check(
                LeadId::parse(raw).map_err(|invalid| named("leadId", invalid)),
                root.field("leadId"),
            )
        });
        let mailbox = request.mailbox_id.as_deref().and_then(|raw| {
            problems.check(
                MailboxId::parse(raw).map_err(|invalid| named("mailboxId", invalid)),
                root.field("mailboxId"),
            )
        });
        let variant = request
            .variant
            .as_deref()
            .and_then(|raw| problems.check(parse_letter(raw), root.field("variant")));
        let (subject_override, body_override) = match &request.content_override {
            None => (None, None),
            Some(content) => {
                let at = root.field("contentOverride");
                let subject = content.subject.as_deref().and_then(|subject| {
                    problems.check(
                        stored_text(subject, "subject", MAX_SUBJECT_CHARS, Lines::One)
                            .map(|()| subject.to_owned()),
                        at.field("subject"),
                    )
                });
                let body = content.body.as_deref().and_then(|body| {
                    problems.check(
                        EmailBody::parse(body).map_err(|invalid| named("body", invalid)),
                        at.field("body"),
                    )
                });
                (subject, body)
            }
        };
        match step {
            Some(step) if problems.is_empty() => Ok(PreviewChoice {
                step,
                lead,
                mailbox,
                variant,
                subject_override,
                body_override,
            }),
            _ => Err(problems),
        }
    }

    pub fn lead(&self) -> Option<LeadId> {
        self.lead
    }

    pub fn mailbox(&self) -> Option<MailboxId> {
        self.mailbox
    }

    /// The chosen step of `sequence` rendered for `lead` from `sender` (see the module doc); a step
    /// that is not an email of `sequence`, or a variant it does not have, is a problem of the request.
    pub fn render(
        &self,
        sequence: &Sequence,
        lead: Option<&LeadFields>,
        sender: Option<&MailboxFields>,
    ) -> Result<RenderedPreview, Problems> {
        let mut first_option = |_: usize| 0;
        self.render_choosing(sequence, lead, sender, &mut first_option)
    }

    /// [`Self::render`] with each spintax group's option picked by `chooser` (a test email picks as
    /// a send does).
    pub fn render_choosing(
        &self,
        sequence: &Sequence,
        lead: Option<&LeadFields>,
        sender: Option<&MailboxFields>,
        chooser: &mut impl SpintaxChooser,
    ) -> Result<RenderedPreview, Problems> {
        let root = JsonPointer::root();
        let step = email_step_at(sequence, self.step).ok_or_else(|| {
            Problems::from(Problem::new(
                root.field("sequenceStep"),
                ProblemCode::InvalidValue,
                format!(
                    "the campaign's sequence has no email step at position {} (0-based)",
                    self.step
                ),
            ))
        })?;
        let variant = match self.variant {
            None => step.variants().first(),
            Some(letter) => Some(
                step.variants()
                    .iter()
                    .find(|variant| variant.letter() == letter)
                    .ok_or_else(|| {
                        Problems::from(Problem::new(
                            root.field("variant"),
                            ProblemCode::InvalidValue,
                            format!("the step has no variant {letter}"),
                        ))
                    })?,
            ),
        };
        let content = EmailContent {
            step,
            variant,
            subject_override: self.subject_override.as_deref(),
            body_override: self.body_override.as_ref(),
        };
        let previous = || previous_subject(sequence, self.step).map(str::to_owned);
        Ok(content.render(lead, sender, previous, chooser))
    }
}

/// A variant letter: one of `A`–`Z`, either case.
fn parse_letter(raw: &str) -> Result<char, Invalid> {
    let mut chars = raw.trim().chars();
    match (chars.next(), chars.next()) {
        (Some(letter), None) if letter.is_ascii_alphabetic() => Ok(letter.to_ascii_uppercase()),
        _ => Err(Invalid::new(
            ProblemCode::InvalidValue,
            "variant must be one letter, A to Z",
        )),
    }
}

fn email_step_at(sequence: &Sequence, position: usize) -> Option<&EmailStep> {
    match sequence.steps().get(position)?.kind() {
        StepKind::Email(email) => Some(email),
        StepKind::Wait(_) => None,
    }
}

/// The subject of the last email step before `position`.
fn previous_subject(sequence: &Sequence, position: usize) -> Option<&str> {
    sequence.steps()[..position.min(sequence.steps().len())]
        .iter()
        .rev()
        .find_map(|step| match step.kind() {
            StepKind::Email(email) if !email.subject().trim().is_empty() => Some(email.subject()),
            _ => None,
        })
}

#[cfg(test)]
mod tests;

//! `POST /v1/campaigns/{id}/send-test-email` (SENDING.md section 6): one email step rendered for a
//! lead of the workspace (or an address with its own variables) and sent at once over a mailbox's
//! SMTP. A test only sends: no limit applies, no claim, event, stat or enrolment is written, and the
//! mailbox's `status`/`lastError` stay as they were (as `POST /v1/mailboxes/{id}/test`). The request's
//! rules are the domain's ([`TestEmailChoice`]).

use std::sync::Arc;

use domain::email_preview::RenderedPreview;
use domain::id::CampaignId;
use domain::problem::{ProblemCode, Problems};
use domain::test_email::{TestEmailChoice, TestEmailRequest, TestRecipient};
use domain::values::EmailAddress;

use crate::ports::{
    CampaignRepository, Clock, Envelope, IdGenerator, LeadRepository, MailTransport, MessageId,
    NamedAddress, OutgoingMessage, OutgoingMessageParts, RandomChoice, RepositoryError,
    SendFailure,
};
use crate::tenancy::Tenancy;
use crate::use_cases::mailbox_connections::{MailboxConnections, OpenConnectionsError};
use crate::use_cases::preview_email::{problem_at, unknown_lead, unknown_mailbox};

/// Why no test email was sent.
#[derive(Debug, thiserror::Error)]
pub enum SendTestEmailError {
    /// No such campaign in the workspace (another workspace's is no different).
    #[error("campaign not found")]
    NotFound,
    /// The body breaks a rule, names a lead the workspace does not have, or a mailbox without SMTP.
    #[error("invalid test email request")]
    Invalid(Problems),
    /// `mailboxId` is not a mailbox of the workspace.
    #[error("mailbox not found")]
    MailboxNotFound(Problems),
    /// The SMTP server refused the message or could not be reached; its reply is in the failure.
    #[error(transparent)]
    Smtp(SendFailure),
    #[error(transparent)]
    Unknown(anyhow::Error),
}

impl From<RepositoryError> for SendTestEmailError {
    fn from(error: RepositoryError) -> Self {
        SendTestEmailError::Unknown(error.into())
    }
}

/// What was sent.
#[derive(Debug, Clone)]
pub struct SentTestEmail {
    pub message_id: MessageId,
    pub recipient: EmailAddress,
    pub mailbox: EmailAddress,
    /// The email as sent (its subject as the header carries it).
    pub rendered: RenderedPreview,
}

/// The ports a test email needs.
#[derive(Clone)]
pub struct SendTestEmail {
    pub campaigns: Arc<dyn CampaignRepository>,
    pub leads: Arc<dyn LeadRepository>,
    pub connections: MailboxConnections,
    pub transport: Arc<dyn MailTransport>,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn IdGenerator>,
    pub random: Arc<dyn RandomChoice>,
}

impl std::fmt::Debug for SendTestEmail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SendTestEmail").finish_non_exhaustive()
    }
}

impl SendTestEmail {
    /// Sends the test email `request` asks for of the campaign `id`; `edge_problems` are what the
    /// HTTP edge found in the body's shape.
    pub async fn execute(
        &self,
        tenancy: Tenancy,
        id: CampaignId,
        request: &TestEmailRequest,
        edge_problems: Problems,
    ) -> Result<SentTestEmail, SendTestEmailError> {
        let workspace = tenancy.workspace_id;
        let choice = edge_problems
            .ahead_of(TestEmailChoice::parse(request))
            .map_err(SendTestEmailError::Invalid)?;
        let campaign = self
            .campaigns
            .find(workspace, id)
            .await?
            .ok_or(SendTestEmailError::NotFound)?
            .campaign;
        let recipient = match choice.recipient() {
            TestRecipient::Lead(lead) => self
                .leads
                .find(workspace, *lead)
                .await?
                .ok_or_else(|| SendTestEmailError::Invalid(unknown_lead()))?
                .fields()
                .clone(),
            TestRecipient::Custom(fields) => (**fields).clone(),
        };
        let mailbox = self
            .connections
            .mailboxes
            .find(workspace, choice.mailbox())
            .await?
            .ok_or_else(|| SendTestEmailError::MailboxNotFound(unknown_mailbox()))?;
        let connection = match self.connections.open_mailbox(&mailbox) {
            Ok(opened) => opened.smtp,
            Err(OpenConnectionsError::Unknown(error)) => return Err(error.into()),
            Err(other) => return Err(SendTestEmailError::Unknown(other.into())),
        }
        .ok_or_else(|| {
            SendTestEmailError::Invalid(problem_at(
                "mailboxId",
                ProblemCode::InvalidValue,
                "the mailbox has no SMTP settings: set its smtpHost (PATCH /v1/mailboxes/{id}) or choose another",
            ))
        })?;
        let mut spintax = |count: usize| self.random.below(count);
        let mut rendered = choice
            .render(
                campaign.sequence(),
                &recipient,
                mailbox.fields(),
                &mut spintax,
            )
            .map_err(SendTestEmailError::Invalid)?;
        let sender = mailbox.fields().email();
        // No List-Unsubscribe, tracking or unsubscribe footer: their tokens name a send of the
        // ledger, and a test is none. No Cc/Bcc: the campaign's copies are for real emails.
        let message = OutgoingMessage::new(OutgoingMessageParts {
            from: NamedAddress::of_mailbox(mailbox.fields()),
            to: NamedAddress::of_lead(&recipient),
            cc: Vec::new(),
            bcc: Vec::new(),
            subject: rendered.subject.clone(),
            date: self.clock.now(),
            message_id: MessageId::for_sender(self.ids.new_id(), sender),
            in_reply_to: None,
            references: Vec::new(),
            html_body: rendered.body.clone(),
            text_body: rendered.text.clone(),
            extra_headers: Vec::new(),
        });
        self.transport
            .send(&connection, &Envelope::for_message(&message), &message)
            .await
            .map_err(SendTestEmailError::Smtp)?;
        rendered.subject = message.subject().to_owned();
        Ok(SentTestEmail {
            message_id: message.message_id().clone(),
            recipient: recipient.email().clone(),
            mailbox: sender.clone(),
            rendered,
        })
    }
}

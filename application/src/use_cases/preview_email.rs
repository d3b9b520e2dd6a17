//! `POST /v1/campaigns/{id}/preview-email` (SENDING.md section 6): one email step of a campaign
//! rendered for a lead of the workspace from a mailbox of the workspace; nothing is sent. The rules
//! are the domain's ([`PreviewChoice`]); this finds the campaign, the lead and the mailbox.

use std::sync::Arc;

use domain::email_preview::{PreviewChoice, PreviewEmailRequest, RenderedPreview};
use domain::id::CampaignId;
use domain::problem::{JsonPointer, Problem, ProblemCode, Problems};

use crate::ports::{CampaignRepository, LeadRepository, MailboxRepository, RepositoryError};
use crate::tenancy::Tenancy;

/// Why there is no preview.
#[derive(Debug, thiserror::Error)]
pub enum PreviewEmailError {
    /// No such campaign in the workspace (another workspace's is no different).
    #[error("campaign not found")]
    NotFound,
    /// The body breaks a rule, or names a lead the workspace does not have.
    #[error("invalid preview request")]
    Invalid(Problems),
    /// `mailboxId` is not a mailbox of the workspace.
    #[error("mailbox not found")]
    MailboxNotFound(Problems),
    #[error(transparent)]
    Unknown(#[from] RepositoryError),
}

/// The ports a preview needs.
#[derive(Clone)]
pub struct PreviewEmail {
    pub campaigns: Arc<dyn CampaignRepository>,
    pub leads: Arc<dyn LeadRepository>,
    pub mailboxes: Arc<dyn MailboxRepository>,
}

impl std::fmt::Debug for PreviewEmail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PreviewEmail").finish_non_exhaustive()
    }
}

impl PreviewEmail {
    /// The preview `request` asks for of the campaign `id`; `edge_problems` are what the HTTP edge
    /// found in the body's shape. Without `mailboxId`, the campaign's first mailbox (in its order)
    /// that the workspace still has signs; without `leadId`, no lead's values.
    pub async fn preview(
        &self,
        tenancy: Tenancy,
        id: CampaignId,
        request: &PreviewEmailRequest,
        edge_problems: Problems,
    ) -> Result<RenderedPreview, PreviewEmailError> {
        let workspace = tenancy.workspace_id;
        let choice = edge_problems
            .ahead_of(PreviewChoice::parse(request))
            .map_err(PreviewEmailError::Invalid)?;
        let campaign = self
            .campaigns
            .find(workspace, id)
            .await?
            .ok_or(PreviewEmailError::NotFound)?
            .campaign;
        let lead = match choice.lead() {
            None => None,
            Some(lead) => Some(
                self.leads
                    .find(workspace, lead)
                    .await?
                    .ok_or_else(|| PreviewEmailError::Invalid(unknown_lead()))?,
            ),
        };
        let sender = match choice.mailbox() {
            Some(mailbox) => Some(
                self.mailboxes
                    .find(workspace, mailbox)
                    .await?
                    .ok_or_else(|| PreviewEmailError::MailboxNotFound(unknown_mailbox()))?,
            ),
            None => {
                let mut found = self
                    .mailboxes
                    .find_many(workspace, campaign.mailboxes())
                    .await?;
                let order = |mailbox: &domain::mailbox::Mailbox| {
                    campaign
                        .mailboxes()
                        .iter()
                        .position(|id| *id == mailbox.id())
                };
                found.sort_by_key(order);
                found.into_iter().next()
            }
        };
        choice
            .render(
                campaign.sequence(),
                lead.as_ref().map(|lead| lead.fields()),
                sender.as_ref().map(|mailbox| mailbox.fields()),
            )
            .map_err(PreviewEmailError::Invalid)
    }
}

/// `leadId` names no lead of the workspace (another workspace's is no different).
pub(crate) fn unknown_lead() -> Problems {
    problem_at(
        "leadId",
        ProblemCode::InvalidValue,
        "leadId is not a lead of this workspace",
    )
}

/// `mailboxId` names no mailbox of the workspace (another workspace's is no different).
pub(crate) fn unknown_mailbox() -> Problems {
    problem_at(
        "mailboxId",
        ProblemCode::MailboxNotFound,
        "mailboxId is not a mailbox of this workspace",
    )
}

/// The one problem of the body's member `field`.
pub(crate) fn problem_at(field: &str, code: ProblemCode, message: &str) -> Problems {
    Problems::from(Problem::new(
        JsonPointer::root().field(field),
        code,
        message,
    ))
}

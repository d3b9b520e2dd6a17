//! How each use case's errors are answered: one `From<…Error> for ApiError` per use case, so that a
//! route maps its outcome with `map_err(ApiError::from)`.
//!
//! The errors that can say "not found" about the campaign, mailbox or workspace whose id the path
//! holds are answered through [`naming`], which carries that id into the `NOT_FOUND` message
//! (`no campaign "…" in this workspace`).

use application::ports::RepositoryError;
use application::use_cases::account::ReadAccountError;
use application::use_cases::campaign_lifecycle::{DeleteCampaignError, LifecycleCommandError};
use application::use_cases::campaign_schedule::ScheduleError;
use application::use_cases::create_agent::CreateAgentError;
use application::use_cases::create_campaign::CreateCampaignError;
use application::use_cases::delete_mailbox::DeleteMailboxError;
use application::use_cases::do_not_contact::{AddDncError, DeleteDncError};
use application::use_cases::preview_email::PreviewEmailError;
use application::use_cases::read_campaigns::ReadCampaignError;
use application::use_cases::read_mailboxes::ReadMailboxError;
use application::use_cases::register_mailbox::RegisterMailboxError;
use application::use_cases::send_test_email::SendTestEmailError;
use application::use_cases::test_mailbox::TestMailboxError;
use application::use_cases::update_campaign::UpdateCampaignError;
use application::use_cases::update_mailbox::UpdateMailboxError;
use application::use_cases::workspace_keys::{CreateWorkspaceKeyError, RevokeWorkspaceKeyError};
use application::use_cases::workspaces::{
    CreateWorkspaceError, GetWorkspaceError, ListWorkspacesError,
};
use domain::campaign::LifecycleError;

use crate::error::ApiError;

/// 404 for the campaign id a path holds.
pub(crate) fn campaign_not_found(id: &str) -> ApiError {
    ApiError::not_found(format!("no campaign {id:?} in this workspace"))
}

/// 404 for the mailbox id a path holds.
pub(crate) fn mailbox_not_found(id: &str) -> ApiError {
    ApiError::not_found(format!("no mailbox {id:?} in this workspace"))
}

/// 404 for the workspace id a path holds.
pub(crate) fn workspace_not_found(id: &str) -> ApiError {
    ApiError::not_found(format!("no workspace {id:?} is visible to this key"))
}

/// A use case's error about the resource whose id the path holds.
#[derive(Debug)]
pub(crate) struct Naming<'a, E> {
    error: E,
    id: &'a str,
}

/// For `map_err`: answers the error of a use case about the resource at `id`, naming `id` when it is
/// not found.
pub(crate) fn naming<'a, E: 'a>(id: &'a str) -> impl FnOnce(E) -> ApiError + 'a
where
    ApiError: From<Naming<'a, E>>,
{
    move |error| ApiError::from(Naming { error, id })
}

/// A storage failure that no use case explains: logged, and answered with an opaque 500.
impl From<RepositoryError> for ApiError {
    fn from(cause: RepositoryError) -> Self {
        ApiError::internal(&cause.into())
    }
}

impl From<CreateCampaignError> for ApiError {
    fn from(error: CreateCampaignError) -> Self {
        match error {
            CreateCampaignError::Invalid(problems) => ApiError::validation(&problems),
            CreateCampaignError::MailboxNotFound(problems) => {
                ApiError::mailbox_not_found(&problems)
            }
            CreateCampaignError::AgentNotFound(problems) => ApiError::agent_not_found(&problems),
            CreateCampaignError::Unknown(cause) => ApiError::internal(&cause),
        }
    }
}

impl From<Naming<'_, ReadCampaignError>> for ApiError {
    fn from(Naming { error, id }: Naming<'_, ReadCampaignError>) -> Self {
        match error {
            ReadCampaignError::NotFound => campaign_not_found(id),
            ReadCampaignError::Unknown(cause) => cause.into(),
        }
    }
}

impl From<Naming<'_, ScheduleError>> for ApiError {
    fn from(Naming { error, id }: Naming<'_, ScheduleError>) -> Self {
        match error {
            ScheduleError::NotFound => campaign_not_found(id),
            ScheduleError::Unknown(cause) => cause.into(),
        }
    }
}

impl From<Naming<'_, PreviewEmailError>> for ApiError {
    fn from(Naming { error, id }: Naming<'_, PreviewEmailError>) -> Self {
        match error {
            PreviewEmailError::NotFound => campaign_not_found(id),
            PreviewEmailError::Invalid(problems) => ApiError::validation(&problems),
            PreviewEmailError::MailboxNotFound(problems) => ApiError::mailbox_not_found(&problems),
            PreviewEmailError::Unknown(cause) => cause.into(),
        }
    }
}

impl From<Naming<'_, SendTestEmailError>> for ApiError {
    fn from(Naming { error, id }: Naming<'_, SendTestEmailError>) -> Self {
        match error {
            SendTestEmailError::NotFound => campaign_not_found(id),
            SendTestEmailError::Invalid(problems) => ApiError::validation(&problems),
            SendTestEmailError::MailboxNotFound(problems) => ApiError::mailbox_not_found(&problems),
            SendTestEmailError::Smtp(failure) => ApiError::smtp_failed(failure),
            SendTestEmailError::Unknown(cause) => ApiError::internal(&cause),
        }
    }
}

impl From<Naming<'_, UpdateCampaignError>> for ApiError {
    fn from(Naming { error, id }: Naming<'_, UpdateCampaignError>) -> Self {
        match error {
            UpdateCampaignError::NotFound => campaign_not_found(id),
            UpdateCampaignError::Invalid(problems) => ApiError::validation(&problems),
            UpdateCampaignError::MailboxNotFound(problems) => {
                ApiError::mailbox_not_found(&problems)
            }
            UpdateCampaignError::AgentNotFound(problems) => ApiError::agent_not_found(&problems),
            UpdateCampaignError::ReadOnly
            | UpdateCampaignError::TriggerFrozen(_)
            | UpdateCampaignError::Contended => ApiError::conflict(error.to_string(), []),
            UpdateCampaignError::Unknown(cause) => ApiError::internal(&cause),
        }
    }
}

/// A refused lifecycle action (start, pause, resume, archive).
impl From<Naming<'_, LifecycleCommandError>> for ApiError {
    fn from(Naming { error, id }: Naming<'_, LifecycleCommandError>) -> Self {
        match error {
            LifecycleCommandError::NotFound => campaign_not_found(id),
            LifecycleCommandError::Refused {
                status,
                error: error @ LifecycleError::NotReady(_),
            } => ApiError::invalid_state_transition(format!("{error}; it is still {status}")),
            LifecycleCommandError::Refused { error, .. } => {
                ApiError::invalid_state_transition(error.to_string())
            }
            LifecycleCommandError::Contended => ApiError::conflict(error.to_string(), []),
            LifecycleCommandError::Unknown(cause) => ApiError::internal(&cause),
        }
    }
}

impl From<Naming<'_, DeleteCampaignError>> for ApiError {
    fn from(Naming { error, id }: Naming<'_, DeleteCampaignError>) -> Self {
        match error {
            DeleteCampaignError::NotFound => campaign_not_found(id),
            DeleteCampaignError::NotDeletable(_) => {
                ApiError::invalid_state_transition(error.to_string())
            }
            DeleteCampaignError::Contended => ApiError::conflict(error.to_string(), []),
            DeleteCampaignError::Unknown(cause) => ApiError::internal(&cause),
        }
    }
}

impl From<RegisterMailboxError> for ApiError {
    fn from(error: RegisterMailboxError) -> Self {
        match error {
            RegisterMailboxError::Invalid(problems) => ApiError::validation(&problems),
            RegisterMailboxError::EmailTaken(problem) => {
                ApiError::conflict(problem.message(), [&problem])
            }
            RegisterMailboxError::Unknown(cause) => ApiError::internal(&cause),
        }
    }
}

impl From<Naming<'_, ReadMailboxError>> for ApiError {
    fn from(Naming { error, id }: Naming<'_, ReadMailboxError>) -> Self {
        match error {
            ReadMailboxError::NotFound => mailbox_not_found(id),
            ReadMailboxError::Unknown(cause) => cause.into(),
        }
    }
}

impl From<Naming<'_, UpdateMailboxError>> for ApiError {
    fn from(Naming { error, id }: Naming<'_, UpdateMailboxError>) -> Self {
        match error {
            UpdateMailboxError::NotFound => mailbox_not_found(id),
            UpdateMailboxError::Invalid(problems) => ApiError::validation(&problems),
            UpdateMailboxError::Unknown(cause) => ApiError::internal(&cause),
        }
    }
}

impl From<Naming<'_, TestMailboxError>> for ApiError {
    fn from(Naming { error, id }: Naming<'_, TestMailboxError>) -> Self {
        match error {
            TestMailboxError::NotFound => mailbox_not_found(id),
            TestMailboxError::Unknown(cause) => ApiError::internal(&cause),
        }
    }
}

impl From<Naming<'_, DeleteMailboxError>> for ApiError {
    fn from(Naming { error, id }: Naming<'_, DeleteMailboxError>) -> Self {
        match error {
            DeleteMailboxError::NotFound => mailbox_not_found(id),
            DeleteMailboxError::Unknown(cause) => cause.into(),
        }
    }
}

impl From<CreateAgentError> for ApiError {
    fn from(error: CreateAgentError) -> Self {
        match error {
            CreateAgentError::Invalid(problems) => ApiError::validation(&problems),
            CreateAgentError::LimitReached => ApiError::conflict(error.to_string(), []),
            CreateAgentError::Unknown(cause) => ApiError::internal(&cause),
        }
    }
}

impl From<ReadAccountError> for ApiError {
    fn from(error: ReadAccountError) -> Self {
        match error {
            ReadAccountError::PlatformKeyRequired => ApiError::forbidden(error.to_string()),
            ReadAccountError::Unknown(cause) => ApiError::internal(&cause),
        }
    }
}

impl From<ListWorkspacesError> for ApiError {
    fn from(ListWorkspacesError::Unknown(cause): ListWorkspacesError) -> Self {
        ApiError::internal(&cause)
    }
}

impl From<CreateWorkspaceError> for ApiError {
    fn from(error: CreateWorkspaceError) -> Self {
        match error {
            CreateWorkspaceError::PlatformKeyRequired => ApiError::forbidden(error.to_string()),
            CreateWorkspaceError::Invalid(problems) => ApiError::validation(&problems),
            CreateWorkspaceError::Unknown(cause) => ApiError::internal(&cause),
        }
    }
}

impl From<Naming<'_, GetWorkspaceError>> for ApiError {
    fn from(Naming { error, id }: Naming<'_, GetWorkspaceError>) -> Self {
        match error {
            GetWorkspaceError::NotFound => workspace_not_found(id),
            GetWorkspaceError::Unknown(cause) => ApiError::internal(&cause),
        }
    }
}

impl From<Naming<'_, CreateWorkspaceKeyError>> for ApiError {
    fn from(Naming { error, id }: Naming<'_, CreateWorkspaceKeyError>) -> Self {
        match error {
            CreateWorkspaceKeyError::NotFound => workspace_not_found(id),
            CreateWorkspaceKeyError::PlatformKeyRequired
            | CreateWorkspaceKeyError::NotPermitted(_) => ApiError::forbidden(error.to_string()),
            CreateWorkspaceKeyError::AlreadyExists => ApiError::conflict(
                "the workspace already has a live API key; revoke it \
                 (DELETE /v1/workspaces/{workspaceId}/api-key) before creating another",
                [],
            ),
            CreateWorkspaceKeyError::Unknown(cause) => ApiError::internal(&cause),
        }
    }
}

impl From<Naming<'_, RevokeWorkspaceKeyError>> for ApiError {
    fn from(Naming { error, id }: Naming<'_, RevokeWorkspaceKeyError>) -> Self {
        match error {
            RevokeWorkspaceKeyError::NotFound => workspace_not_found(id),
            RevokeWorkspaceKeyError::NoLiveKey => ApiError::not_found(error.to_string()),
            RevokeWorkspaceKeyError::PlatformKeyRequired
            | RevokeWorkspaceKeyError::NotPermitted(_) => ApiError::forbidden(error.to_string()),
            RevokeWorkspaceKeyError::Unknown(cause) => ApiError::internal(&cause),
        }
    }
}

/// 404 for the do-not-contact entry id a path holds.
pub(crate) fn dnc_entry_not_found(id: &str) -> ApiError {
    ApiError::not_found(format!("no do-not-contact entry {id:?} in this workspace"))
}

impl From<AddDncError> for ApiError {
    fn from(error: AddDncError) -> Self {
        match error {
            AddDncError::Invalid(problems) => ApiError::validation(&problems),
            AddDncError::Unknown(cause) => cause.into(),
        }
    }
}

impl From<Naming<'_, DeleteDncError>> for ApiError {
    fn from(Naming { error, id }: Naming<'_, DeleteDncError>) -> Self {
        match error {
            DeleteDncError::NotFound => dnc_entry_not_found(id),
            DeleteDncError::Unknown(cause) => cause.into(),
        }
    }
}

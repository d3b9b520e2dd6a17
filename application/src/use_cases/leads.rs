//! The workspace's leads one at a time (LEADS.md section 2): create (`POST /v1/leads`), read and list
//! (`GET /v1/leads…`), change (`PATCH`, an RFC 7386 merge through the domain) and delete. Imports in
//! numbers are [`crate::use_cases::import_leads`].

use std::sync::Arc;

use domain::id::LeadId;
use domain::lead::{Lead, LeadFields};
use domain::lead_request::{LeadPatchRequest, LeadRequest};
use domain::problem::{JsonPointer, Problem, ProblemCode, Problems};

use crate::ports::{Clock, IdGenerator, LeadPage, LeadQuery, LeadRepository, RepositoryError};
use crate::tenancy::Tenancy;

/// The workspace already has a lead with this email (compared case-insensitively): which one, and the
/// problem at `/email` that says so, naming its `_id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailTaken {
    pub existing: LeadId,
    pub problem: Problem,
}

impl EmailTaken {
    fn new(existing: LeadId, email: &str) -> Self {
        Self {
            existing,
            problem: Problem::new(
                JsonPointer::root().field("email"),
                ProblemCode::Duplicate,
                format!("lead {existing} already has the email {email}"),
            ),
        }
    }
}

/// Why a lead was not created.
#[derive(Debug, thiserror::Error)]
pub enum CreateLeadError {
    /// The body breaks rules of the contract; every problem is listed and nothing was written.
    #[error("{0}")]
    Invalid(Problems),
    #[error("{}", .0.problem.message())]
    EmailTaken(EmailTaken),
    #[error(transparent)]
    Unknown(anyhow::Error),
}

/// Why a lead was not read, changed or deleted.
#[derive(Debug, thiserror::Error)]
pub enum LeadError {
    /// No such lead in the workspace (another workspace's is no different).
    #[error("lead not found")]
    NotFound,
    /// The patch breaks rules of the contract; every problem is listed and nothing was written.
    #[error("{0}")]
    Invalid(Problems),
    /// The patch gives an email another lead of the workspace has.
    #[error("{}", .0.problem.message())]
    EmailTaken(EmailTaken),
    #[error(transparent)]
    Unknown(anyhow::Error),
}

impl From<RepositoryError> for LeadError {
    fn from(error: RepositoryError) -> Self {
        Self::Unknown(error.into())
    }
}

/// The ports the lead use cases need.
#[derive(Clone)]
pub struct Leads {
    pub leads: Arc<dyn LeadRepository>,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn IdGenerator>,
}

impl std::fmt::Debug for Leads {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Leads").finish_non_exhaustive()
    }
}

/// How often a create retries after its email's lead vanished between the conflict and the lookup.
const CREATE_ATTEMPTS: usize = 2;

impl Leads {
    /// Creates a lead from `request` as given (no data cleanup: that is the imports' default).
    /// `edge_problems` are what the edge found while reading the body; any of them makes it invalid.
    pub async fn create(
        &self,
        tenancy: Tenancy,
        request: &LeadRequest,
        edge_problems: Problems,
    ) -> Result<Lead, CreateLeadError> {
        let fields = edge_problems
            .ahead_of(LeadFields::parse(request, &JsonPointer::root()))
            .map_err(CreateLeadError::Invalid)?;
        let lead = Lead::create(
            LeadId::from(self.ids.new_id()),
            tenancy.workspace_id,
            fields,
            self.clock.now(),
        );
        for _ in 0..CREATE_ATTEMPTS {
            match self.leads.insert(&lead).await {
                Ok(()) => return Ok(lead),
                Err(RepositoryError::Conflict(_)) => {
                    if let Some(existing) = self.holder(&lead).await.map_err(unknown)? {
                        return Err(CreateLeadError::EmailTaken(EmailTaken::new(
                            existing,
                            lead.fields().email().as_str(),
                        )));
                    }
                }
                Err(error) => return Err(unknown(error)),
            }
        }
        Err(CreateLeadError::Unknown(anyhow::anyhow!(
            "the lead's email conflicted with a lead that could not be found"
        )))
    }

    /// The lead of the workspace that has `lead`'s email key, other than `lead` itself.
    async fn holder(&self, lead: &Lead) -> Result<Option<LeadId>, RepositoryError> {
        let found = self
            .leads
            .find_by_email_keys(lead.workspace_id(), &[lead.fields().email_key()])
            .await?;
        Ok(found.iter().map(Lead::id).find(|&id| id != lead.id()))
    }

    /// The lead `id` of the caller's workspace.
    pub async fn get(&self, tenancy: Tenancy, id: LeadId) -> Result<Lead, LeadError> {
        self.leads
            .find(tenancy.workspace_id, id)
            .await?
            .ok_or(LeadError::NotFound)
    }

    /// A page of the caller's workspace's leads matching `query`, newest first.
    pub async fn list(
        &self,
        tenancy: Tenancy,
        query: &LeadQuery,
    ) -> Result<LeadPage, RepositoryError> {
        self.leads.list(tenancy.workspace_id, query).await
    }

    /// Applies the merge patch `patch` to the lead `id` of the caller's workspace and answers the lead
    /// as stored. A lead that is not there is not found, whatever the body says. The whole lead is
    /// written back (the last of two concurrent patches wins); the email stays unique.
    pub async fn patch(
        &self,
        tenancy: Tenancy,
        id: LeadId,
        patch: &LeadPatchRequest,
        edge_problems: Problems,
    ) -> Result<Lead, LeadError> {
        let stored = self.get(tenancy, id).await?;
        let fields = edge_problems
            .ahead_of(stored.fields().patched(patch))
            .map_err(LeadError::Invalid)?;
        let lead = stored.with_fields(fields, self.clock.now());
        match self.leads.update(&lead).await {
            Ok(true) => Ok(lead),
            Ok(false) => Err(LeadError::NotFound),
            Err(RepositoryError::Conflict(detail)) => match self.holder(&lead).await? {
                Some(existing) => Err(LeadError::EmailTaken(EmailTaken::new(
                    existing,
                    lead.fields().email().as_str(),
                ))),
                None => Err(LeadError::Unknown(anyhow::anyhow!("conflict: {detail}"))),
            },
            Err(error) => Err(error.into()),
        }
    }

    /// Deletes the lead `id` of the caller's workspace, with its tags and its enrolments that sent
    /// nothing; those that sent are kept as `removed` (the repository does it all in one transaction,
    /// the campaigns' lead counts with it).
    pub async fn delete(&self, tenancy: Tenancy, id: LeadId) -> Result<(), LeadError> {
        if self.leads.delete(tenancy.workspace_id, id).await? {
            Ok(())
        } else {
            Err(LeadError::NotFound)
        }
    }
}

fn unknown(error: RepositoryError) -> CreateLeadError {
    CreateLeadError::Unknown(error.into())
}

#[cfg(test)]
mod tests;

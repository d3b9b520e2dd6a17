//! The do-not-contact list (`/v1/dnc`): add entries in batches, list them, delete one. The list is
//! read by the sending engine through [`DncRepository::matching`].

use std::sync::Arc;

use domain::dnc::DncBatch;
use domain::id::DncEntryId;
use domain::lead_request::DncRequest;
use domain::problem::Problems;

use crate::ports::{
    Clock, DncPage, DncQuery, DncRepository, IdGenerator, NewDncEntry, RepositoryError,
};
use crate::tenancy::Tenancy;

/// Why entries were not added; nothing was written.
#[derive(Debug, thiserror::Error)]
pub enum AddDncError {
    /// The request itself breaks a rule (its shape, `type`, `reason`, more than 10,000 entries).
    #[error("{0}")]
    Invalid(Problems),
    #[error(transparent)]
    Unknown(#[from] RepositoryError),
}

/// An entry of the request that was not added, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RejectedDncEntry {
    /// Its 0-based position in `entries`.
    pub index: usize,
    /// Its problems, with pointers under `/entries/{index}`.
    pub problems: Problems,
}

/// What `POST /v1/dnc` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DncAdded {
    pub added: u64,
    /// Valid entries already on the list (or repeated in the request).
    pub skipped: u64,
    /// Invalid entries, in request order; the others were added.
    pub errors: Vec<RejectedDncEntry>,
}

/// Why an entry was not deleted.
#[derive(Debug, thiserror::Error)]
pub enum DeleteDncError {
    /// No such entry in the workspace (another workspace's is no different).
    #[error("do-not-contact entry not found")]
    NotFound,
    #[error(transparent)]
    Unknown(#[from] RepositoryError),
}

/// The ports the do-not-contact use cases need.
#[derive(Clone)]
pub struct DoNotContact {
    pub entries: Arc<dyn DncRepository>,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn IdGenerator>,
}

impl std::fmt::Debug for DoNotContact {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DoNotContact").finish_non_exhaustive()
    }
}

impl DoNotContact {
    /// Adds the request's valid entries to the caller's workspace in one write; an invalid entry is
    /// reported in `errors` and the others are still added. `edge_problems` (what the edge found
    /// while reading the body: wrong JSON types, unknown members) refuse the whole request, like a
    /// request-level rule: nothing is written.
    pub async fn add(
        &self,
        tenancy: Tenancy,
        request: &DncRequest,
        edge_problems: Problems,
    ) -> Result<DncAdded, AddDncError> {
        let batch = edge_problems
            .ahead_of(DncBatch::parse(request))
            .map_err(AddDncError::Invalid)?;
        let mut entries = Vec::new();
        let mut errors = Vec::new();
        for item in batch.into_entries() {
            match item.entry {
                Ok(entry) => entries.push(NewDncEntry {
                    id: DncEntryId::from(self.ids.new_id()),
                    entry,
                }),
                Err(problems) => errors.push(RejectedDncEntry {
                    index: item.index,
                    problems,
                }),
            }
        }
        let addition = if entries.is_empty() {
            Default::default()
        } else {
            self.entries
                .add(tenancy.workspace_id, &entries, self.clock.now())
                .await?
        };
        Ok(DncAdded {
            added: addition.added,
            skipped: addition.skipped,
            errors,
        })
    }

    /// A page of the caller's workspace's entries matching `query`, newest first.
    pub async fn list(
        &self,
        tenancy: Tenancy,
        query: &DncQuery,
    ) -> Result<DncPage, RepositoryError> {
        self.entries.list(tenancy.workspace_id, query).await
    }

    /// Deletes the entry `id` of the caller's workspace.
    pub async fn delete(&self, tenancy: Tenancy, id: DncEntryId) -> Result<(), DeleteDncError> {
        if self.entries.delete(tenancy.workspace_id, id).await? {
            Ok(())
        } else {
            Err(DeleteDncError::NotFound)
        }
    }
}

#[cfg(test)]
mod tests;

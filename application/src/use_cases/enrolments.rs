//! Campaign leads (LEADS.md section 4): enrol leads in a campaign (`POST /v1/campaigns/{id}/leads`),
//! list them, act on them in numbers (`…/leads/action`) and change one (`PATCH …/leads/{id}`); and a
//! lead's enrolments for `GET /v1/leads/{id}`.
//!
//! The rules live in the domain ([`EnrolSelection`], [`LeadActionCommand`], [`EnrolmentChanges`],
//! the status transitions); the writes in numbers are the repository's (one statement per batch, the
//! counters in the same transaction). Items of `leads` given by email go through the lead import
//! ([`ImportLeads::import_batch`], duplicates skipped, no data cleanup): an unknown email creates the
//! lead, a known one is enrolled as stored.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use domain::enrolment::{EnrolmentStatus, InvalidEnrolmentTransition, LeadAction};
use domain::enrolment_request::{
    EnrolLead, EnrolSelection, EnrolmentChanges, LeadActionCommand, subsequence_for_ai_tag,
};
use domain::id::{CampaignId, EnrolmentId, LeadId};
use domain::lead_import::{BulkEntry, ImportOptions};
use domain::lead_request::{EnrolLeadsRequest, EnrolmentPatchRequest, LeadActionRequest};
use domain::problem::{JsonPointer, Problems};
use domain::status::CampaignStatus;

use super::MAX_WRITE_ATTEMPTS;
use super::import_leads::{ImportLeads, ImportLeadsError};
use crate::ports::{
    CampaignRepository, Clock, EnrolRefused, EnrolmentChange, EnrolmentPage, EnrolmentQuery,
    EnrolmentRepository, EnrolmentView, EnrolmentWrite, IdGenerator, JoinSubsequence, LeadChoice,
    LeadEnrolment, LeadRepository, RepositoryError,
};
use crate::tenancy::Tenancy;

/// One item of `leads` that was not enrolled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnrolEntryError {
    /// Its 0-based position in `leads`.
    pub index: usize,
    /// The item as given: its `leadId`, else its `email` (if any).
    pub entry: Option<String>,
    /// Every problem of the item, `; `-separated, each as `pointer: message`.
    pub message: String,
}

/// What an enrolment did, as `POST /v1/campaigns/{id}/leads` answers it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EnrolOutcome {
    pub added: u64,
    pub skipped: u64,
    /// In item order.
    pub errors: Vec<EnrolEntryError>,
}

/// Why nothing was enrolled.
#[derive(Debug, thiserror::Error)]
pub enum EnrolError {
    #[error("campaign not found")]
    CampaignNotFound,
    /// The body breaks rules of the contract (no mode or two, too many items…); nothing was written.
    #[error("{0}")]
    Invalid(Problems),
    /// Leads cannot be added to an archived campaign.
    #[error("leads cannot be added to an archived campaign")]
    Archived,
    #[error(transparent)]
    Unknown(anyhow::Error),
}

/// Why a lead action or a list did not happen.
#[derive(Debug, thiserror::Error)]
pub enum EnrolmentsError {
    #[error("campaign not found")]
    CampaignNotFound,
    #[error("{0}")]
    Invalid(Problems),
    #[error(transparent)]
    Unknown(anyhow::Error),
}

/// Why an enrolment was not changed.
#[derive(Debug, thiserror::Error)]
pub enum PatchEnrolmentError {
    #[error("campaign not found")]
    CampaignNotFound,
    #[error("enrolment not found")]
    EnrolmentNotFound,
    #[error("{0}")]
    Invalid(Problems),
    /// The status cannot be set from the current one.
    #[error("{0}")]
    Refused(InvalidEnrolmentTransition),
    #[error("the enrolment kept changing while this change was applied; retry it")]
    Contended,
    #[error(transparent)]
    Unknown(anyhow::Error),
}

fn unknown(error: impl Into<anyhow::Error>) -> anyhow::Error {
    error.into()
}

impl From<RepositoryError> for EnrolmentsError {
    fn from(error: RepositoryError) -> Self {
        Self::Unknown(error.into())
    }
}

impl From<RepositoryError> for PatchEnrolmentError {
    fn from(error: RepositoryError) -> Self {
        Self::Unknown(error.into())
    }
}

/// The ports the enrolment use cases need.
#[derive(Clone)]
pub struct Enrolments {
    pub enrolments: Arc<dyn EnrolmentRepository>,
    pub campaigns: Arc<dyn CampaignRepository>,
    pub leads: Arc<dyn LeadRepository>,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn IdGenerator>,
}

impl std::fmt::Debug for Enrolments {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Enrolments").finish_non_exhaustive()
    }
}

impl Enrolments {
    /// Enrols the leads `request` chooses in the campaign `campaign` of the caller's workspace.
    /// `edge_problems` are what the edge found reading the body: those within an item of `leads` are
    /// that item's (reported in `errors`, the others enrolled), any other refuses the whole request.
    pub async fn enrol(
        &self,
        tenancy: Tenancy,
        campaign: CampaignId,
        request: &EnrolLeadsRequest,
        edge_problems: Problems,
    ) -> Result<EnrolOutcome, EnrolError> {
        let leads_at = JsonPointer::root().field("leads");
        let (within, outside): (Vec<_>, Vec<_>) =
            edge_problems.iter().cloned().partition(|problem| {
                problem.pointer().is_within(&leads_at) && *problem.pointer() != leads_at
            });
        let mut refusal = Problems::new();
        for problem in outside {
            refusal.push(problem);
        }
        let selection = refusal
            .ahead_of(EnrolSelection::parse(request))
            .map_err(EnrolError::Invalid)?;
        let stored = self
            .campaigns
            .find(tenancy.workspace_id, campaign)
            .await
            .map_err(|error| EnrolError::Unknown(unknown(error)))?
            .ok_or(EnrolError::CampaignNotFound)?;
        // Checked again under the campaign's lock when writing; checked here so that an archived
        // campaign creates no lead either.
        if stored.campaign.status() == CampaignStatus::Archived {
            return Err(EnrolError::Archived);
        }
        let now = self.clock.now();
        let (choice, mut outcome, indexes) = match selection {
            EnrolSelection::Leads(mut entries) => {
                for problem in within {
                    let Some(entry) = entry_index(problem.pointer().as_str())
                        .and_then(|index| entries.get_mut(index))
                    else {
                        continue;
                    };
                    let mut problems = Problems::from(problem);
                    if let Err(domain) = std::mem::replace(&mut entry.lead, Err(Problems::new())) {
                        problems.extend(domain);
                    }
                    entry.lead = Err(problems);
                }
                self.chosen_leads(tenancy, request, entries).await?
            }
            EnrolSelection::Filters(filter) => (
                LeadChoice::Filter(filter),
                EnrolOutcome::default(),
                HashMap::new(),
            ),
            EnrolSelection::All { exclude } => (
                LeadChoice::All { exclude },
                EnrolOutcome::default(),
                HashMap::new(),
            ),
        };
        let enrolled = self
            .enrolments
            .enrol(tenancy.workspace_id, campaign, &choice, now)
            .await
            .map_err(|refused| match refused {
                EnrolRefused::CampaignNotFound => EnrolError::CampaignNotFound,
                EnrolRefused::Archived => EnrolError::Archived,
                EnrolRefused::Repository(error) => EnrolError::Unknown(unknown(error)),
            })?;
        outcome.added += enrolled.added;
        outcome.skipped += enrolled.skipped;
        for id in enrolled.missing {
            if let Some(&index) = indexes.get(&id) {
                outcome.errors.push(EnrolEntryError {
                    index,
                    entry: given(request, index),
                    message: format!("/leads/{index}/leadId: no lead {id} in this workspace"),
                });
            }
        }
        outcome.errors.sort_by_key(|error| error.index);
        Ok(outcome)
    }

    /// The leads the items of `leads` name: by id, or by email (created when unknown, through the
    /// lead import). Answers the choice, the outcome so far (bad items, repeats counted as skipped)
    /// and the item each chosen id came from.
    async fn chosen_leads(
        &self,
        tenancy: Tenancy,
        request: &EnrolLeadsRequest,
        entries: Vec<domain::enrolment_request::EnrolEntry>,
    ) -> Result<(LeadChoice, EnrolOutcome, HashMap<LeadId, usize>), EnrolError> {
        let mut outcome = EnrolOutcome::default();
        // (index, lead) in item order; by-email items resolved below.
        let mut by_id: Vec<(usize, LeadId)> = Vec::new();
        let mut by_email: Vec<BulkEntry> = Vec::new();
        for entry in entries {
            match entry.lead {
                Err(problems) => outcome.errors.push(EnrolEntryError {
                    index: entry.index,
                    entry: given(request, entry.index),
                    message: describe(&problems),
                }),
                Ok(EnrolLead::Existing(id)) => by_id.push((entry.index, id)),
                Ok(EnrolLead::ByEmail(fields)) => by_email.push(BulkEntry {
                    index: entry.index,
                    given_email: Some(fields.email().as_str().to_owned()),
                    lead: Ok(*fields),
                }),
            }
        }
        if !by_email.is_empty() {
            let keys: HashMap<usize, String> = by_email
                .iter()
                .filter_map(|entry| {
                    let key = entry.lead.as_ref().ok()?.email_key();
                    Some((entry.index, key))
                })
                .collect();
            let options = ImportOptions::parse(Some(true), Some(false), None, &JsonPointer::root())
                .map_err(|problems| EnrolError::Unknown(anyhow::anyhow!("{problems}")))?;
            let import = ImportLeads {
                leads: self.leads.clone(),
                clock: self.clock.clone(),
                ids: self.ids.clone(),
            };
            let tally = import
                .import_batch(tenancy, &options, by_email)
                .await
                .map_err(|ImportLeadsError::Unknown(cause)| EnrolError::Unknown(cause))?;
            let mut failed = HashSet::new();
            for error in tally.errors {
                failed.insert(error.index);
                outcome.errors.push(EnrolEntryError {
                    index: error.index,
                    entry: error.email,
                    message: error.error,
                });
            }
            let wanted: Vec<String> = keys
                .values()
                .cloned()
                .collect::<HashSet<_>>()
                .into_iter()
                .collect();
            let found: HashMap<String, LeadId> = self
                .leads
                .find_by_email_keys(tenancy.workspace_id, &wanted)
                .await
                .map_err(|error| EnrolError::Unknown(unknown(error)))?
                .into_iter()
                .map(|lead| (lead.fields().email_key(), lead.id()))
                .collect();
            let mut resolved: Vec<(usize, String)> = keys
                .into_iter()
                .filter(|(index, _)| !failed.contains(index))
                .collect();
            resolved.sort();
            for (index, key) in resolved {
                match found.get(&key) {
                    Some(&id) => by_id.push((index, id)),
                    // Deleted between its import and now: as an unknown id.
                    None => outcome.errors.push(EnrolEntryError {
                        index,
                        entry: given(request, index),
                        message: format!("/leads/{index}/email: the lead was deleted meanwhile"),
                    }),
                }
            }
        }
        by_id.sort_by_key(|(index, _)| *index);
        let mut indexes = HashMap::new();
        let mut ids = Vec::new();
        for (index, id) in by_id {
            match indexes.entry(id) {
                // The same lead twice in one request: enrolled once, the repeat skipped.
                std::collections::hash_map::Entry::Occupied(_) => outcome.skipped += 1,
                std::collections::hash_map::Entry::Vacant(vacant) => {
                    vacant.insert(index);
                    ids.push(id);
                }
            }
        }
        Ok((LeadChoice::Ids(ids), outcome, indexes))
    }

    /// A page of the campaign's enrolments, newest first.
    pub async fn list(
        &self,
        tenancy: Tenancy,
        campaign: CampaignId,
        query: &EnrolmentQuery,
    ) -> Result<EnrolmentPage, EnrolmentsError> {
        self.enrolments
            .list(tenancy.workspace_id, campaign, query)
            .await?
            .ok_or(EnrolmentsError::CampaignNotFound)
    }

    /// Runs a lead action on the campaign's enrolments; answers the action and how many changed.
    pub async fn act(
        &self,
        tenancy: Tenancy,
        campaign: CampaignId,
        request: &LeadActionRequest,
        edge_problems: Problems,
    ) -> Result<(LeadAction, u64), EnrolmentsError> {
        let command = edge_problems
            .ahead_of(LeadActionCommand::parse(request))
            .map_err(EnrolmentsError::Invalid)?;
        let modified = self
            .enrolments
            .act(
                tenancy.workspace_id,
                campaign,
                command.action(),
                command.target(),
                self.clock.now(),
            )
            .await?
            .ok_or(EnrolmentsError::CampaignNotFound)?;
        Ok((command.action(), modified))
    }

    /// Changes the enrolment `id` of the campaign: its status (`active` ↔ `paused`) and its AI tag; a
    /// tag that names an active `ai_tag` subsequence enrols its lead there too. Answers the
    /// enrolment as stored.
    pub async fn patch(
        &self,
        tenancy: Tenancy,
        campaign: CampaignId,
        id: EnrolmentId,
        request: &EnrolmentPatchRequest,
        edge_problems: Problems,
    ) -> Result<EnrolmentView, PatchEnrolmentError> {
        let changes = edge_problems
            .ahead_of(EnrolmentChanges::parse(request))
            .map_err(PatchEnrolmentError::Invalid)?;
        for _ in 0..MAX_WRITE_ATTEMPTS {
            let stored = self
                .campaigns
                .find(tenancy.workspace_id, campaign)
                .await?
                .ok_or(PatchEnrolmentError::CampaignNotFound)?
                .campaign;
            let view = self
                .enrolments
                .find(tenancy.workspace_id, campaign, id)
                .await?
                .ok_or(PatchEnrolmentError::EnrolmentNotFound)?;
            let status = match changes.status() {
                Some(to) => view
                    .status
                    .set_to(to)
                    .map_err(PatchEnrolmentError::Refused)?,
                None => view.status,
            };
            let ai_tag = match changes.ai_tag() {
                Some(tag) => tag.map(str::to_owned),
                None => view.ai_tag.clone(),
            };
            let join = match (changes.ai_tag(), view.subsequence_id, &view.lead) {
                (Some(Some(tag)), None, Some(_)) => {
                    subsequence_for_ai_tag(stored.subsequences(), tag).and_then(|subsequence| {
                        EnrolmentStatus::for_new_enrolment(stored.status())
                            .ok()
                            .map(|status| JoinSubsequence {
                                id: EnrolmentId::from(self.ids.new_id()),
                                subsequence,
                                status,
                            })
                    })
                }
                _ => None,
            };
            let change = EnrolmentChange {
                campaign,
                id,
                expected_version: view.version,
                status: (view.status, status),
                ai_tag,
                join,
                now: self.clock.now(),
            };
            match self
                .enrolments
                .update(tenancy.workspace_id, &change)
                .await?
            {
                EnrolmentWrite::Written => {
                    return self
                        .enrolments
                        .find(tenancy.workspace_id, campaign, id)
                        .await?
                        .ok_or(PatchEnrolmentError::EnrolmentNotFound);
                }
                EnrolmentWrite::Stale => continue,
            }
        }
        Err(PatchEnrolmentError::Contended)
    }

    /// The enrolments of the lead `lead` of the caller's workspace (main sequences only).
    pub async fn of_lead(
        &self,
        tenancy: Tenancy,
        lead: LeadId,
    ) -> Result<Vec<LeadEnrolment>, RepositoryError> {
        self.enrolments.of_lead(tenancy.workspace_id, lead).await
    }
}

/// The item at `index` as given: its `leadId`, else its `email`.
fn given(request: &EnrolLeadsRequest, index: usize) -> Option<String> {
    let item = request.leads.as_ref()?.get(index)?;
    item.lead_id.clone().or_else(|| item.lead.email.clone())
}

/// Every problem, `; `-separated, each as `pointer: message`.
fn describe(problems: &Problems) -> String {
    problems
        .iter()
        .map(|problem| format!("{}: {}", problem.pointer(), problem.message()))
        .collect::<Vec<_>>()
        .join("; ")
}

/// The item a pointer under `/leads` is in: `/leads/3/email` → 3.
fn entry_index(pointer: &str) -> Option<usize> {
    pointer
        .strip_prefix("/leads/")?
        .split('/')
        .next()?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests;

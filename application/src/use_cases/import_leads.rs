//! Writing leads in numbers: `POST /v1/leads/bulk`, and the CSV import batch by batch (LEADS.md
//! section 2). Each entry was judged alone by the domain ([`BulkEntry`]); a bad one is reported and
//! the others are written.
//!
//! One batch costs one lookup of its email keys and one write transaction
//! ([`LeadRepository::write_batch`]: multi-row INSERTs, then the updates). Entries are matched by
//! [`LeadFields::email_key`], within the batch and against the stored leads:
//! - `skipDuplicates: true`: the first entry of an email is written if the email is new; every other
//!   entry of it, and every entry of a stored email, is skipped.
//! - `skipDuplicates: false`: the entries of one email are merged in order
//!   ([`LeadFields::merged_with`]) and the result merged into the stored lead (updated) or inserted
//!   (imported); every entry after the first of a new email counts as updated: it updated the lead its
//!   batch created.
//!
//! A concurrent writer may store one of the batch's emails between the lookup and the write: the
//! INSERT skips that lead (the unique index on the workspace's email keys holds), and the batch looks
//! those emails up again and resolves them once more (skip, or merge and update). A second loss of the
//! same race (vanishingly rare) counts the entries as skipped.

use std::collections::HashMap;
use std::sync::Arc;

use domain::id::LeadId;
use domain::lead::{Lead, LeadFields};
use domain::lead_import::{BulkEntry, ImportOptions, OnDuplicate};
use domain::problem::{JsonPointer, Problems};

use crate::ports::{Clock, IdGenerator, LeadRepository};
use crate::tenancy::Tenancy;

/// How many times a batch resolves the emails a concurrent writer stored first.
const RESOLVE_ROUNDS: usize = 2;

/// What an import did, as `POST /v1/leads/bulk` answers it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ImportTally {
    pub imported: u64,
    pub updated: u64,
    pub skipped: u64,
    pub failed: u64,
    /// The new leads, in the order of their first entry.
    pub imported_lead_ids: Vec<LeadId>,
    /// One per failed entry, in entry order.
    pub errors: Vec<ImportEntryError>,
}

impl ImportTally {
    /// Adds a later batch's outcome to this one.
    pub fn absorb(&mut self, later: ImportTally) {
        self.imported += later.imported;
        self.updated += later.updated;
        self.skipped += later.skipped;
        self.failed += later.failed;
        self.imported_lead_ids.extend(later.imported_lead_ids);
        self.errors.extend(later.errors);
    }
}

/// One entry that was not written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportEntryError {
    /// The entry's [`BulkEntry::index`] as the caller numbered it.
    pub index: usize,
    /// The email as given, if any.
    pub email: Option<String>,
    /// Every problem of the entry, `; `-separated, each as `pointer: message`.
    pub error: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ImportLeadsError {
    /// Storage failed; nothing of this batch was written.
    #[error(transparent)]
    Unknown(anyhow::Error),
}

/// The ports an import needs.
#[derive(Clone)]
pub struct ImportLeads {
    pub leads: Arc<dyn LeadRepository>,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn IdGenerator>,
}

impl std::fmt::Debug for ImportLeads {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImportLeads").finish_non_exhaustive()
    }
}

/// The valid entries of one email key: the incoming fields (merged in order when updating).
struct Group {
    key: String,
    /// The first entry's index (where a merge's problem is reported).
    first: usize,
    fields: LeadFields,
    /// The entries behind `fields`, first included: `(index, given email)`.
    entries: Vec<(usize, Option<String>)>,
}

impl ImportLeads {
    /// Imports one batch of `entries` into the caller's workspace with `options`' duplicate rule (the
    /// entries were cleaned and tagged by the domain already). Either the whole batch's writes happen
    /// or, on a storage error, none.
    pub async fn import_batch(
        &self,
        tenancy: Tenancy,
        options: &ImportOptions,
        entries: Vec<BulkEntry>,
    ) -> Result<ImportTally, ImportLeadsError> {
        let mut tally = ImportTally::default();
        let mut groups: Vec<Group> = Vec::new();
        let mut by_key: HashMap<String, usize> = HashMap::new();
        for entry in entries {
            let fields = match entry.lead {
                Ok(fields) => fields,
                Err(problems) => {
                    tally.fail(entry.index, entry.given_email, &problems);
                    continue;
                }
            };
            let key = fields.email_key();
            let Some(&at) = by_key.get(&key) else {
                by_key.insert(key.clone(), groups.len());
                groups.push(Group {
                    key,
                    first: entry.index,
                    fields,
                    entries: vec![(entry.index, entry.given_email)],
                });
                continue;
            };
            let group = &mut groups[at];
            match options.on_duplicate() {
                OnDuplicate::Skip => tally.skipped += 1,
                OnDuplicate::Update => {
                    match group.fields.merged_with(&fields, &entry_at(entry.index)) {
                        Ok(merged) => {
                            group.fields = merged;
                            group.entries.push((entry.index, entry.given_email));
                        }
                        Err(problems) => tally.fail(entry.index, entry.given_email, &problems),
                    }
                }
            }
        }
        let mut pending = groups;
        for _ in 0..RESOLVE_ROUNDS {
            if pending.is_empty() {
                break;
            }
            pending = self
                .resolve(tenancy, options.on_duplicate(), pending, &mut tally)
                .await?;
        }
        for group in pending {
            tally.skipped += group.entries.len() as u64;
        }
        tally.errors.sort_by_key(|error| error.index);
        Ok(tally)
    }

    /// Looks the groups' emails up, writes what they decide, and answers the groups that lost a race
    /// with a concurrent writer (to resolve again).
    async fn resolve(
        &self,
        tenancy: Tenancy,
        on_duplicate: OnDuplicate,
        groups: Vec<Group>,
        tally: &mut ImportTally,
    ) -> Result<Vec<Group>, ImportLeadsError> {
        let keys: Vec<String> = groups.iter().map(|group| group.key.clone()).collect();
        let stored: HashMap<String, Lead> = self
            .leads
            .find_by_email_keys(tenancy.workspace_id, &keys)
            .await
            .map_err(|error| ImportLeadsError::Unknown(error.into()))?
            .into_iter()
            .map(|lead| (lead.fields().email_key(), lead))
            .collect();
        let now = self.clock.now();
        let mut inserts = Vec::new();
        let mut updates = Vec::new();
        // Which group each written lead stands for.
        let mut inserted_groups: HashMap<LeadId, Group> = HashMap::new();
        let mut updated_groups: HashMap<LeadId, Group> = HashMap::new();
        for group in groups {
            match stored.get(&group.key) {
                None => {
                    let lead = Lead::create(
                        LeadId::from(self.ids.new_id()),
                        tenancy.workspace_id,
                        group.fields.clone(),
                        now,
                    );
                    inserted_groups.insert(lead.id(), group);
                    inserts.push(lead);
                }
                Some(_) if on_duplicate == OnDuplicate::Skip => {
                    tally.skipped += group.entries.len() as u64;
                }
                Some(existing) => {
                    match existing
                        .fields()
                        .merged_with(&group.fields, &entry_at(group.first))
                    {
                        Ok(merged) => {
                            let lead = existing.clone().with_fields(merged, now);
                            updated_groups.insert(lead.id(), group);
                            updates.push(lead);
                        }
                        Err(problems) => {
                            for (index, email) in group.entries {
                                tally.fail(index, email, &problems);
                            }
                        }
                    }
                }
            }
        }
        if inserts.is_empty() && updates.is_empty() {
            return Ok(Vec::new());
        }
        let order: Vec<LeadId> = inserts.iter().map(Lead::id).collect();
        let written = self
            .leads
            .write_batch(tenancy.workspace_id, inserts, updates)
            .await
            .map_err(|error| ImportLeadsError::Unknown(error.into()))?;
        let inserted: std::collections::HashSet<LeadId> = written.inserted.into_iter().collect();
        for id in order {
            if inserted.contains(&id)
                && let Some(group) = inserted_groups.remove(&id)
            {
                tally.imported += 1;
                tally.updated += group.entries.len() as u64 - 1;
                tally.imported_lead_ids.push(id);
            }
        }
        for id in written.updated {
            if let Some(group) = updated_groups.remove(&id) {
                tally.updated += group.entries.len() as u64;
            }
        }
        Ok(inserted_groups
            .into_values()
            .chain(updated_groups.into_values())
            .collect())
    }
}

impl ImportTally {
    fn fail(&mut self, index: usize, email: Option<String>, problems: &Problems) {
        self.failed += 1;
        self.errors.push(ImportEntryError {
            index,
            email,
            error: problems
                .iter()
                .map(|problem| format!("{}: {}", problem.pointer(), problem.message()))
                .collect::<Vec<_>>()
                .join("; "),
        });
    }
}

/// Where an entry's problems point: `/leads/{index}`.
fn entry_at(index: usize) -> JsonPointer {
    JsonPointer::root().field("leads").index(index)
}

#[cfg(test)]
mod tests;

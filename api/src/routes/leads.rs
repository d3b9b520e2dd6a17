//! `/v1/leads…`: the workspace's leads — create one, import in bulk or from a CSV file, list, read,
//! change and delete (LEADS.md section 2), with a lead's campaigns and the `campaignId` filter.

use std::num::NonZeroUsize;
use std::sync::Arc;

use application::ports::LeadQuery;
use application::use_cases::import_leads::{ImportLeadsError, ImportTally};
use application::use_cases::leads::{CreateLeadError, LeadError};
use domain::id::{CampaignId, LeadId};
use domain::lead_import::BulkLeads;
use domain::lead_listing::LeadSearch;
use domain::mailbox_listing::{TagFilter, TagMode};
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};
use serde_json::json;

use crate::auth::Tenant;
use crate::body::{JsonBody, refused};
use crate::csv_form::{CsvForm, CsvImportForm, file_too_large, upload_broke};
use crate::dto::enrolment::LeadDetailBody;
use crate::dto::lead::{
    BulkLeadErrorBody, BulkLeadsRequest, BulkLeadsResultBody, CreateLeadRequest, CsvLeadErrorBody,
    CsvLeadsResultBody, LeadBody, LeadDeletedBody, LeadRead, UpdateLeadRequest,
};
use crate::dto::{Page, PaginationBody, Success};
use crate::error::{ApiError, EXAMPLE_ID, descriptions, error_responses};
use crate::idempotency::IdempotencyKeyHeader;
use crate::lead_csv::{CsvRead, CsvRefused, read_leads};
use crate::location::{self, Created};
use crate::state::AppState;

use super::{ApiTags, cursor_param, limit_param};

/// 404 for the lead id a path holds.
fn lead_not_found(id: &str) -> ApiError {
    ApiError::not_found(format!("no lead {id:?} in this workspace"))
}

/// A path's lead id; one that is not even well-formed names no lead, so it is a 404 too.
fn lead_id(raw: &str) -> Result<LeadId, ApiError> {
    LeadId::parse(raw).map_err(|_| lead_not_found(raw))
}

fn create_error(error: CreateLeadError) -> ApiError {
    match error {
        CreateLeadError::Invalid(problems) => ApiError::validation(&problems),
        CreateLeadError::EmailTaken(taken) => {
            ApiError::conflict(taken.problem.message(), [&taken.problem])
        }
        CreateLeadError::Unknown(cause) => ApiError::internal(&cause),
    }
}

fn lead_error(id: &str) -> impl FnOnce(LeadError) -> ApiError + '_ {
    move |error| match error {
        LeadError::NotFound => lead_not_found(id),
        LeadError::Invalid(problems) => ApiError::validation(&problems),
        LeadError::EmailTaken(taken) => {
            ApiError::conflict(taken.problem.message(), [&taken.problem])
        }
        LeadError::Unknown(cause) => ApiError::internal(&cause),
    }
}

error_responses!(
    /// What `POST /v1/leads` can answer besides 201.
    CreateLeadErrors {
        400 => "The body breaks rules of the contract (VALIDATION_FAILED) or is not JSON (MALFORMED_JSON), or the key needs X-Workspace-Id (WORKSPACE_REQUIRED) or was sent twice, differently (CONFLICTING_API_KEYS). An Idempotency-Key that is not 1 to 255 printable ASCII characters is VALIDATION_FAILED."
            => refused::<CreateLeadRequest>(json!({"email": "ada@", "country": "XX", "fistName": "Ada"})),
        401 => descriptions::UNAUTHORIZED,
        403 => descriptions::FORBIDDEN_IN_WORKSPACE,
        408 => descriptions::REQUEST_TIMEOUT,
        409 => "The workspace already has a lead with this email (CONFLICT; `errors[0].message` names its `_id`). Or a request with this Idempotency-Key is still running (CONFLICT): retry after Retry-After seconds.",
        413 => descriptions::PAYLOAD_TOO_LARGE,
        415 => descriptions::UNSUPPORTED_MEDIA_TYPE,
        422 => descriptions::IDEMPOTENCY_KEY_REUSED,
        500 => descriptions::INTERNAL,
    }
);

error_responses!(
    /// What `POST /v1/leads/bulk` can answer besides 200.
    BulkLeadsErrors {
        400 => "`leads` is missing or holds more than 5,000 leads, an option is invalid (VALIDATION_FAILED; nothing was written), the body is not JSON (MALFORMED_JSON), or the key needs X-Workspace-Id (WORKSPACE_REQUIRED) or was sent twice, differently (CONFLICTING_API_KEYS)."
            => refused::<BulkLeadsRequest>(json!({"leads": [{"email": "ada@example.com"}], "skipDuplicates": "yes"})),
        401 => descriptions::UNAUTHORIZED,
        403 => descriptions::FORBIDDEN_IN_WORKSPACE,
        408 => descriptions::REQUEST_TIMEOUT,
        409 => "A request with this Idempotency-Key is still running (CONFLICT): retry after Retry-After seconds.",
        413 => "The body is larger than 16 MiB (PAYLOAD_TOO_LARGE).",
        415 => descriptions::UNSUPPORTED_MEDIA_TYPE,
        422 => descriptions::IDEMPOTENCY_KEY_REUSED,
        500 => descriptions::INTERNAL,
    }
);

error_responses!(
    /// What `POST /v1/leads/import/csv` can answer besides 200.
    CsvImportErrors {
        400 => "The form has no `file` part, an option is invalid, or the file cannot be imported as a whole: more than 50,000 data rows (`too_many` at `/file`), empty, UTF-16, or a header without an email column or that the `mapping` does not fit (VALIDATION_FAILED; nothing was written). Also a multipart body that cannot be read, or a key that needs X-Workspace-Id (WORKSPACE_REQUIRED) or was sent twice, differently (CONFLICTING_API_KEYS)."
            => csv_refused_example(),
        401 => descriptions::UNAUTHORIZED,
        403 => descriptions::FORBIDDEN_IN_WORKSPACE,
        409 => "A request with this Idempotency-Key is still running (CONFLICT): retry after Retry-After seconds.",
        413 => "The file is larger than 50 MiB (PAYLOAD_TOO_LARGE; nothing was written).",
        415 => "The body is not `multipart/form-data` (UNSUPPORTED_MEDIA_TYPE).",
        422 => descriptions::IDEMPOTENCY_KEY_REUSED,
        500 => descriptions::INTERNAL,
    }
);

fn csv_refused_example() -> ApiError {
    let mut problems = domain::problem::Problems::new();
    problems.add(
        domain::problem::JsonPointer::root().field("file"),
        domain::problem::ProblemCode::Required,
        "the form needs a `file` part holding the CSV",
    );
    ApiError::validation(&problems)
}

error_responses!(
    /// What listing leads can answer besides 200.
    ListLeadsErrors {
        400 => "A query parameter is not valid (VALIDATION_FAILED), or the key needs X-Workspace-Id (WORKSPACE_REQUIRED) or was sent twice, differently (CONFLICTING_API_KEYS).",
        401 => descriptions::UNAUTHORIZED,
        403 => descriptions::FORBIDDEN_IN_WORKSPACE,
        500 => descriptions::INTERNAL,
    }
);

error_responses!(
    /// What reading or deleting one lead can answer besides 200.
    LeadErrors {
        400 => "The key needs X-Workspace-Id (WORKSPACE_REQUIRED) or was sent twice, differently (CONFLICTING_API_KEYS).",
        401 => descriptions::UNAUTHORIZED,
        403 => descriptions::FORBIDDEN_IN_WORKSPACE,
        404 => "The workspace has no lead with this id (NOT_FOUND)."
            => lead_not_found(EXAMPLE_ID),
        500 => descriptions::INTERNAL,
    }
);

error_responses!(
    /// What `PATCH /v1/leads/{leadId}` can answer besides 200.
    UpdateLeadErrors {
        400 => "The merged lead breaks rules of the contract (VALIDATION_FAILED, every problem listed; nothing was changed), the body is not JSON (MALFORMED_JSON), or the key needs X-Workspace-Id (WORKSPACE_REQUIRED) or was sent twice, differently (CONFLICTING_API_KEYS)."
            => refused::<UpdateLeadRequest>(json!({"email": null, "country": 44})),
        401 => descriptions::UNAUTHORIZED,
        403 => descriptions::FORBIDDEN_IN_WORKSPACE,
        404 => "The workspace has no lead with this id (NOT_FOUND)."
            => lead_not_found(EXAMPLE_ID),
        408 => descriptions::REQUEST_TIMEOUT,
        409 => "Another lead of the workspace has the new email (CONFLICT; `errors[0].message` names its `_id`).",
        413 => descriptions::PAYLOAD_TOO_LARGE,
        415 => descriptions::UNSUPPORTED_MEDIA_TYPE,
        500 => descriptions::INTERNAL,
    }
);

#[derive(Debug, ApiResponse)]
pub(crate) enum LeadCreated {
    /// The lead.
    #[oai(status = 201)]
    Created(Json<Success<LeadBody>>),
}

#[derive(Debug, ApiResponse)]
pub(crate) enum LeadsImported {
    /// What the import did; bad entries are in `errors`, the others were written.
    #[oai(status = 200)]
    Ok(Json<Success<BulkLeadsResultBody>>),
}

#[derive(Debug, ApiResponse)]
pub(crate) enum CsvImported {
    /// What the import did; bad rows are in `errors` (with their row numbers), the others were written.
    #[oai(status = 200)]
    Ok(Json<Success<CsvLeadsResultBody>>),
}

#[derive(Debug, ApiResponse)]
pub(crate) enum LeadRead200 {
    /// The lead.
    #[oai(status = 200)]
    Ok(Json<Success<LeadBody>>),
}

#[derive(Debug, ApiResponse)]
pub(crate) enum LeadDetailRead {
    /// The lead and its campaigns.
    #[oai(status = 200)]
    Ok(Json<Success<LeadDetailBody>>),
}

#[derive(Debug, ApiResponse)]
pub(crate) enum LeadsListed {
    /// A page of leads, newest first.
    #[oai(status = 200)]
    Ok(Json<Page<LeadBody>>),
}

#[derive(Debug, ApiResponse)]
pub(crate) enum LeadDeleted {
    /// The lead is gone.
    #[oai(status = 200)]
    Ok(Json<Success<LeadDeletedBody>>),
}

fn tally_body(tally: ImportTally) -> BulkLeadsResultBody {
    BulkLeadsResultBody {
        imported: tally.imported,
        updated: tally.updated,
        skipped: tally.skipped,
        failed: tally.failed,
        imported_lead_ids: tally
            .imported_lead_ids
            .iter()
            .map(ToString::to_string)
            .collect(),
        errors: tally
            .errors
            .into_iter()
            .map(|error| BulkLeadErrorBody {
                index: error.index as u64,
                email: error.email,
                error: error.error,
            })
            .collect(),
    }
}

fn csv_tally_body(tally: ImportTally, rows: usize) -> CsvLeadsResultBody {
    let BulkLeadsResultBody {
        imported,
        updated,
        skipped,
        failed,
        imported_lead_ids,
        errors,
    } = tally_body(tally);
    CsvLeadsResultBody {
        imported,
        updated,
        skipped,
        failed,
        imported_lead_ids,
        errors: errors
            .into_iter()
            .map(
                |BulkLeadErrorBody {
                     index,
                     email,
                     error,
                 }| CsvLeadErrorBody {
                    index,
                    email,
                    error,
                },
            )
            .collect(),
        rows: rows as u64,
    }
}

/// Rows handed to the bulk writer at a time: one transaction each, and what the server holds (two
/// batches: one written, the next read meanwhile). 1,000 grew the server by 40-46 MiB during an import
/// of 50,000 rows, 500 by 26-31 MiB, at about the same speed.
const CSV_BATCH_ROWS: NonZeroUsize = NonZeroUsize::new(500).expect("not zero");

fn csv_refusal(refusal: CsvRefused) -> ApiError {
    match refusal {
        CsvRefused::TooLarge => file_too_large(),
        CsvRefused::TooManyRows => {
            let mut problems = domain::problem::Problems::new();
            problems.add(
                domain::problem::JsonPointer::root().field("file"),
                domain::problem::ProblemCode::TooMany,
                format!(
                    "the file has more than {} data rows; split it",
                    domain::lead_import::MAX_CSV_ROWS
                ),
            );
            ApiError::validation(&problems)
        }
        CsvRefused::Header(problems) => ApiError::validation(&problems),
        CsvRefused::Upload(error) => upload_broke(error),
        CsvRefused::Spool(error) => ApiError::internal(
            &anyhow::Error::new(error).context("the temporary copy of a CSV upload failed"),
        ),
    }
}

#[derive(Debug)]
pub(crate) struct LeadsApi;

#[OpenApi(tag = "ApiTags::Leads")]
impl LeadsApi {
    /// Create lead
    ///
    /// Create one lead in the workspace. Its email is unique per workspace, compared
    /// case-insensitively: an existing one is 409 `CONFLICT` with the existing lead's `_id` in
    /// `errors[0].message`. Values are kept as given (no data cleanup: that is the imports' default).
    #[oai(path = "/v1/leads", method = "post", operation_id = "createLead")]
    async fn create(
        &self,
        #[oai(name = "X-Workspace-Id")] tenant: Tenant,
        #[oai(name = "Idempotency-Key")] _idempotency_key: IdempotencyKeyHeader,
        state: Data<&Arc<AppState>>,
        body: JsonBody<CreateLeadRequest>,
    ) -> Result<Created<LeadCreated>, CreateLeadErrors> {
        let order = body.order();
        let (LeadRead { request, problems }, edge_problems) = body.read();
        let lead = state
            .leads
            .create(tenant.0, &request, edge_problems.followed_by(problems))
            .await
            .map_err(|error| create_error(error).in_body_order(&order))?;
        Ok(Created::new(
            LeadCreated::Created(Json(Success::new(LeadBody::from_domain(&lead)))),
            location::created("/v1/leads", lead.id()),
        ))
    }

    /// Import leads
    ///
    /// Up to 5,000 leads at once (more: 400, nothing written). Members of a lead that are not standard
    /// fields become custom fields of that name (SendKit's behaviour). Each lead is judged alone: a bad
    /// one is reported in `errors` (`index` is its 0-based position in `leads`) and the others are
    /// written. `skipDuplicates` (default `true`) skips a lead whose email the workspace has, or that
    /// repeats in `leads`; with `false` such a lead updates the existing one (given fields overwrite,
    /// `customFields` merge, `tags` union). `dataCleanup` (default `true`) tidies values first; `tag`
    /// is added to every lead.
    #[oai(path = "/v1/leads/bulk", method = "post", operation_id = "importLeads")]
    async fn bulk(
        &self,
        #[oai(name = "X-Workspace-Id")] tenant: Tenant,
        #[oai(name = "Idempotency-Key")] _idempotency_key: IdempotencyKeyHeader,
        state: Data<&Arc<AppState>>,
        body: JsonBody<BulkLeadsRequest>,
    ) -> Result<LeadsImported, BulkLeadsErrors> {
        let order = body.order();
        let (LeadRead { request, problems }, edge_problems) = body.read();
        let edge_problems = edge_problems.followed_by(problems);
        // Problems outside the entries (the list, the options) refuse the whole request; an entry's
        // own problems are that entry's.
        let leads_at = domain::problem::JsonPointer::root().field("leads");
        let (within, outside): (Vec<_>, Vec<_>) =
            edge_problems.iter().cloned().partition(|problem| {
                problem.pointer().is_within(&leads_at) && *problem.pointer() != leads_at
            });
        let mut refusal = domain::problem::Problems::new();
        for problem in outside {
            refusal.push(problem);
        }
        let bulk = refusal
            .ahead_of(BulkLeads::parse(request))
            .map_err(|problems| ApiError::validation(&problems).in_body_order(&order))?;
        let options = bulk.options().clone();
        let mut entries = bulk.into_entries();
        for problem in within {
            let index = entry_index(problem.pointer().as_str());
            if let Some(entry) = index.and_then(|index| entries.get_mut(index)) {
                let mut problems = domain::problem::Problems::from(problem);
                if let Err(domain) =
                    std::mem::replace(&mut entry.lead, Err(domain::problem::Problems::new()))
                {
                    problems.extend(domain);
                }
                entry.lead = Err(problems);
            }
        }
        let tally = state
            .import_leads
            .import_batch(tenant.0, &options, entries)
            .await
            .map_err(|ImportLeadsError::Unknown(cause)| ApiError::internal(&cause))?;
        tracing::info!(
            imported = tally.imported,
            updated = tally.updated,
            skipped = tally.skipped,
            failed = tally.failed,
            "leads imported"
        );
        Ok(LeadsImported::Ok(Json(Success::new(tally_body(tally)))))
    }

    /// Import leads from CSV
    ///
    /// A `multipart/form-data` form: `file` (the CSV) and the optional parts `mapping`,
    /// `skipDuplicates`, `dataCleanup` and `tag`, in any order. The file is UTF-8 (a BOM is allowed),
    /// `,` or `;` separated, RFC 4180 quoted. Without `mapping`, headers map by name ignoring case,
    /// spaces, `_` and `-` (`First Name` → `firstName`, `Company` → `companyName`, `E-mail` → `email`);
    /// other headers become custom fields. At most 50 MiB (more: 413) and 50,000 data rows (more: 400);
    /// a refused file writes nothing. Each row is judged alone like a bulk entry: a bad one is in
    /// `errors` with `index` its 1-based data row, the others are written, 500 rows per
    /// transaction. The file is read as a stream: memory does not grow with it.
    #[oai(
        path = "/v1/leads/import/csv",
        method = "post",
        operation_id = "importLeadsCsv"
    )]
    async fn import_csv(
        &self,
        #[oai(name = "X-Workspace-Id")] tenant: Tenant,
        #[oai(name = "Idempotency-Key")] _idempotency_key: IdempotencyKeyHeader,
        state: Data<&Arc<AppState>>,
        form: CsvImportForm,
    ) -> Result<CsvImported, CsvImportErrors> {
        let CsvForm {
            file,
            mapping,
            options,
        } = form.read().await?;
        // Each batch's future adds to the tally after its write; the lock is never held across an
        // await (batches run one at a time anyway).
        let tally = std::sync::Mutex::new(ImportTally::default());
        let importer = &state.import_leads;
        let read = read_leads(file, mapping.as_ref(), &options, CSV_BATCH_ROWS, |batch| {
            let options = &options;
            let tally = &tally;
            async move {
                let done = importer.import_batch(tenant.0, options, batch).await?;
                tally
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .absorb(done);
                Ok::<(), ImportLeadsError>(())
            }
        })
        .await
        .map_err(csv_refusal)?;
        let CsvRead { rows, stopped } = read;
        let tally = tally
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(ImportLeadsError::Unknown(cause)) = stopped {
            // The batches before this one stay written; the client sees a 500 and may retry with
            // skipDuplicates.
            tracing::error!(
                imported = tally.imported,
                rows,
                "a CSV import stopped part way"
            );
            return Err(ApiError::internal(&cause).into());
        }
        tracing::info!(
            rows,
            imported = tally.imported,
            updated = tally.updated,
            skipped = tally.skipped,
            failed = tally.failed,
            "leads imported from CSV"
        );
        Ok(CsvImported::Ok(Json(Success::new(csv_tally_body(
            tally, rows,
        )))))
    }

    /// List leads
    ///
    /// The workspace's leads, newest first, a page at a time. `search`: a case-insensitive substring
    /// of the email, first name, last name or company name. `tags`: comma-separated, a lead needs any
    /// of them (compared case-insensitively). To get the next page, pass the answer's
    /// `pagination.nextCursor` as `cursor`. `pagination.total` counts every lead matching the filters.
    /// `campaignId`: only the leads enrolled in that campaign.
    #[oai(path = "/v1/leads", method = "get", operation_id = "listLeads")]
    #[allow(clippy::too_many_arguments)] // One argument per query parameter, as poem-openapi reads them.
    async fn list(
        &self,
        #[oai(name = "X-Workspace-Id")] tenant: Tenant,
        state: Data<&Arc<AppState>>,
        /// Only leads whose email, first name, last name or company name contains this text, ignoring
        /// case.
        #[oai(validator(max_length = 500))]
        search: Query<Option<String>>,
        /// Comma-separated tags (`fintech,EU`), compared case-insensitively; a lead needs any of them.
        tags: Query<Option<String>>,
        /// Only leads enrolled in this campaign (its main sequence). A campaign the workspace does not
        /// have has no leads: an empty page.
        #[oai(name = "campaignId", validator(pattern = "^[0-9a-f]{24}$"))]
        campaign_id: Query<Option<String>>,
        /// The `nextCursor` of the previous page.
        #[oai(validator(pattern = "^[0-9a-f]{24}$"))]
        cursor: Query<Option<String>>,
        /// Leads per page, 1–100 (default 25).
        #[oai(validator(minimum(value = "1"), maximum(value = "100")))]
        limit: Query<Option<i64>>,
    ) -> Result<LeadsListed, ListLeadsErrors> {
        let query = LeadQuery {
            search: LeadSearch::parse(search.0.as_deref())
                .map_err(|refusal| ApiError::invalid_parameter("search", refusal))?,
            tags: TagFilter::parse(tags.0.as_deref(), TagMode::Any)
                .map_err(|refusal| ApiError::invalid_parameter("tags", refusal))?,
            campaign: campaign_id
                .0
                .as_deref()
                .map(CampaignId::parse)
                .transpose()
                .map_err(|refusal| ApiError::invalid_parameter("campaignId", refusal))?,
            before: cursor_param(cursor.0.as_deref(), LeadId::parse)?,
            limit: limit_param(limit.0)?,
        };
        let page = state
            .leads
            .list(tenant.0, &query)
            .await
            .map_err(ApiError::from)?;
        let pagination = PaginationBody::new(
            query.limit.get(),
            page.total,
            page.has_more,
            page.leads.last().map(|last| last.id().to_string()),
        );
        let data = page.leads.iter().map(LeadBody::from_domain).collect();
        Ok(LeadsListed::Ok(Json(Page::new(data, pagination))))
    }

    /// Get lead
    ///
    /// One lead of the workspace, with `campaigns`: the campaigns it is enrolled in, each with its
    /// `campaignLeadId` and status.
    #[oai(path = "/v1/leads/:leadId", method = "get", operation_id = "getLead")]
    async fn get(
        &self,
        #[oai(name = "X-Workspace-Id")] tenant: Tenant,
        state: Data<&Arc<AppState>>,
        #[oai(name = "leadId")] id: Path<String>,
    ) -> Result<LeadDetailRead, LeadErrors> {
        let lead_id = lead_id(&id)?;
        let lead = state
            .leads
            .get(tenant.0, lead_id)
            .await
            .map_err(lead_error(&id))?;
        let enrolments = state
            .enrolments
            .of_lead(tenant.0, lead_id)
            .await
            .map_err(ApiError::from)?;
        Ok(LeadDetailRead::Ok(Json(Success::new(LeadDetailBody::new(
            LeadBody::from_domain(&lead),
            &enrolments,
        )))))
    }

    /// Update lead
    ///
    /// An RFC 7386 merge patch of the lead's fields: a member left out keeps its value, `null` clears
    /// it, a value replaces it; `customFields` merge key by key (`null` removes a key). `email` may
    /// change while no other lead of the workspace has it. The merged lead must satisfy every rule
    /// of a new one; every problem is reported at once and nothing changes. `updatedAt` moves.
    #[oai(
        path = "/v1/leads/:leadId",
        method = "patch",
        operation_id = "updateLead"
    )]
    async fn update(
        &self,
        #[oai(name = "X-Workspace-Id")] tenant: Tenant,
        state: Data<&Arc<AppState>>,
        #[oai(name = "leadId")] id: Path<String>,
        body: JsonBody<UpdateLeadRequest>,
    ) -> Result<LeadRead200, UpdateLeadErrors> {
        let lead_id = lead_id(&id)?;
        let order = body.order();
        let (LeadRead { request, problems }, edge_problems) = body.read();
        let lead = state
            .leads
            .patch(
                tenant.0,
                lead_id,
                &request,
                edge_problems.followed_by(problems),
            )
            .await
            .map_err(|error| lead_error(&id)(error).in_body_order(&order))?;
        Ok(LeadRead200::Ok(Json(Success::new(LeadBody::from_domain(
            &lead,
        )))))
    }

    /// Delete lead
    ///
    /// [ext] Deletes the lead and its campaign leads that sent nothing; those that sent stay as
    /// `removed` (without the lead), so that the campaigns' analytics stay right.
    #[oai(
        path = "/v1/leads/:leadId",
        method = "delete",
        operation_id = "deleteLead"
    )]
    async fn delete(
        &self,
        #[oai(name = "X-Workspace-Id")] tenant: Tenant,
        state: Data<&Arc<AppState>>,
        #[oai(name = "leadId")] id: Path<String>,
    ) -> Result<LeadDeleted, LeadErrors> {
        state
            .leads
            .delete(tenant.0, lead_id(&id)?)
            .await
            .map_err(lead_error(&id))?;
        Ok(LeadDeleted::Ok(Json(Success::new(LeadDeletedBody {
            id: id.0,
            deleted: true,
        }))))
    }
}

/// The entry a pointer under `/leads` is in: `/leads/3/email` → 3.
fn entry_index(pointer: &str) -> Option<usize> {
    pointer
        .strip_prefix("/leads/")?
        .split('/')
        .next()?
        .parse()
        .ok()
}

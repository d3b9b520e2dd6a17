//! `/v1/dnc…`: the workspace's do-not-contact list — add entries in batches, list, delete one.

use std::sync::Arc;

use application::ports::DncQuery;
use application::use_cases::do_not_contact::DncAdded;
use domain::dnc::{DncKind, MAX_DNC_SEARCH_CHARS};
use domain::id::DncEntryId;
use domain::lead_request::{DncEntryRequest, DncRequest};
use domain::listing::SubstringSearch;
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};
use serde_json::json;

use crate::auth::Tenant;
use crate::body::{JsonBody, refused};
use crate::dto::choice::Choice;
use crate::dto::dnc::{
    AddDncEntriesRequest, DncAddedBody, DncEntryBody, DncEntryDeletedBody, DncEntryErrorBody,
    DncKinds,
};
use crate::dto::{Page, PaginationBody, Success};
use crate::error::{ApiError, EXAMPLE_ID, descriptions, error_responses};
use crate::idempotency::IdempotencyKeyHeader;
use crate::state::AppState;
use crate::use_case_errors::{dnc_entry_not_found, naming};

use super::{ApiTags, cursor_param, limit_param};

error_responses!(
    /// What `POST /v1/dnc` can answer besides 200.
    AddDncErrors {
        400 => "The body's shape is wrong (VALIDATION_FAILED: a member of the wrong type, an unknown member), `type` or `reason` is not an accepted value, `entries` is missing or holds more than 10,000 items (nothing was added), the body is not JSON (MALFORMED_JSON), or the key needs X-Workspace-Id (WORKSPACE_REQUIRED) or was sent twice, differently (CONFLICTING_API_KEYS). An invalid entry is not a 400: it is reported in `errors` and the others are added."
            => refused::<AddDncEntriesRequest>(json!({"entries": ["ada@example.com", 7], "reason": "spam"})),
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
    /// What listing do-not-contact entries can answer besides 200.
    ListDncErrors {
        400 => "A query parameter is not valid (VALIDATION_FAILED), or the key needs X-Workspace-Id (WORKSPACE_REQUIRED) or was sent twice, differently (CONFLICTING_API_KEYS).",
        401 => descriptions::UNAUTHORIZED,
        403 => descriptions::FORBIDDEN_IN_WORKSPACE,
        500 => descriptions::INTERNAL,
    }
);

error_responses!(
    /// What deleting a do-not-contact entry can answer besides 200.
    DeleteDncErrors {
        400 => "The key needs X-Workspace-Id (WORKSPACE_REQUIRED) or was sent twice, differently (CONFLICTING_API_KEYS).",
        401 => descriptions::UNAUTHORIZED,
        403 => descriptions::FORBIDDEN_IN_WORKSPACE,
        404 => "The workspace has no do-not-contact entry with this id (NOT_FOUND)."
            => dnc_entry_not_found(EXAMPLE_ID),
        500 => descriptions::INTERNAL,
    }
);

#[derive(Debug, ApiResponse)]
pub(crate) enum DncEntriesAdded {
    /// How many entries were added and skipped, and the entries refused.
    #[oai(status = 200)]
    Ok(Json<Success<DncAddedBody>>),
}

#[derive(Debug, ApiResponse)]
pub(crate) enum DncEntriesListed {
    /// A page of entries, newest first.
    #[oai(status = 200)]
    Ok(Json<Page<DncEntryBody>>),
}

#[derive(Debug, ApiResponse)]
pub(crate) enum DncEntryDeleted {
    /// The entry is gone: its address or domain may be written to again.
    #[oai(status = 200)]
    Ok(Json<Success<DncEntryDeletedBody>>),
}

/// A path's entry id; one that is not even well-formed names no entry, so it is a 404 too.
fn dnc_entry_id(raw: &str) -> Result<DncEntryId, ApiError> {
    DncEntryId::parse(raw).map_err(|_| dnc_entry_not_found(raw))
}

/// The answer to `POST /v1/dnc`: each refused entry with the value it sent.
fn added_body(added: DncAdded, request: &DncRequest) -> DncAddedBody {
    let sent = |index: usize| match request.entries.as_deref().and_then(|all| all.get(index)) {
        Some(DncEntryRequest::Plain(plain)) => Some(plain.clone()),
        Some(DncEntryRequest::Object { email, domain, .. }) => email.clone().or(domain.clone()),
        None => None,
    };
    DncAddedBody {
        added: added.added,
        skipped: added.skipped,
        errors: added
            .errors
            .into_iter()
            .map(|rejected| DncEntryErrorBody {
                index: rejected.index as u64,
                entry: sent(rejected.index),
                message: rejected
                    .problems
                    .iter()
                    .map(|problem| problem.message().to_owned())
                    .collect::<Vec<_>>()
                    .join("; "),
            })
            .collect(),
    }
}

#[derive(Debug)]
pub(crate) struct DncApi;

#[OpenApi(tag = "ApiTags::DoNotContact")]
impl DncApi {
    /// Add do-not-contact entries
    ///
    /// Adds up to 10,000 entries to the workspace's do-not-contact list: objects
    /// (`{"email": "ada@acme.com"}`, `{"domain": "acme.com", "reason": "complaint"}`) or plain strings
    /// (an `@` makes an email entry, else a domain; `type` forces one). Values are lowercased; a
    /// domain entry also blocks its subdomains. Entries already listed are skipped. An invalid entry
    /// is reported in `errors` (with its 0-based `index`) and the others are still added. Campaigns
    /// with `skipDNC` never send to a lead the list matches.
    #[oai(path = "/v1/dnc", method = "post", operation_id = "addDncEntries")]
    async fn add(
        &self,
        #[oai(name = "X-Workspace-Id")] tenant: Tenant,
        #[oai(name = "Idempotency-Key")] _idempotency_key: IdempotencyKeyHeader,
        state: Data<&Arc<AppState>>,
        body: JsonBody<AddDncEntriesRequest>,
    ) -> Result<DncEntriesAdded, AddDncErrors> {
        let order = body.order();
        let (request, edge_problems) = body.read();
        let added = state
            .do_not_contact
            .add(tenant.0, &request, edge_problems)
            .await
            .map_err(|error| ApiError::from(error).in_body_order(&order))?;
        tracing::info!(
            added = added.added,
            skipped = added.skipped,
            refused = added.errors.len(),
            "do-not-contact entries added"
        );
        Ok(DncEntriesAdded::Ok(Json(Success::new(added_body(
            added, &request,
        )))))
    }

    /// List do-not-contact entries
    ///
    /// The workspace's do-not-contact entries, newest first, a page at a time. Filter by `type` and
    /// `search` (a case-insensitive substring of the address or domain). To get the next page, pass
    /// the answer's `pagination.nextCursor` as `cursor`. A domain entry carries its domain in
    /// `email`, as SendKit answers.
    #[oai(path = "/v1/dnc", method = "get", operation_id = "listDncEntries")]
    async fn list(
        &self,
        #[oai(name = "X-Workspace-Id")] tenant: Tenant,
        state: Data<&Arc<AppState>>,
        /// Only entries of this kind.
        #[oai(name = "type")]
        kind: Query<Option<Choice<DncKinds>>>,
        /// Only entries whose address or domain contains this text, ignoring case.
        #[oai(validator(max_length = 254))]
        search: Query<Option<String>>,
        /// The `nextCursor` of the previous page.
        #[oai(validator(pattern = "^[0-9a-f]{24}$"))]
        cursor: Query<Option<String>>,
        /// Entries per page, 1–100 (default 25).
        #[oai(validator(minimum(value = "1"), maximum(value = "100")))]
        limit: Query<Option<i64>>,
    ) -> Result<DncEntriesListed, ListDncErrors> {
        let query = DncQuery {
            kind: kind
                .0
                .as_ref()
                .and_then(|choice| DncKind::from_wire(choice.as_str())),
            search: SubstringSearch::parse(search.0.as_deref(), MAX_DNC_SEARCH_CHARS)
                .map_err(|refusal| ApiError::invalid_parameter("search", refusal))?,
            before: cursor_param(cursor.0.as_deref(), DncEntryId::parse)?,
            limit: limit_param(limit.0)?,
        };
        let page = state
            .do_not_contact
            .list(tenant.0, &query)
            .await
            .map_err(ApiError::from)?;
        let pagination = PaginationBody::new(
            query.limit.get(),
            page.total,
            page.has_more,
            page.entries.last().map(|last| last.id().to_string()),
        );
        let data = page.entries.iter().map(DncEntryBody::from_domain).collect();
        Ok(DncEntriesListed::Ok(Json(Page::new(data, pagination))))
    }

    /// Delete do-not-contact entry
    ///
    /// [ext] Removes one entry: its address or domain may be written to again.
    #[oai(
        path = "/v1/dnc/:id",
        method = "delete",
        operation_id = "deleteDncEntry"
    )]
    async fn delete(
        &self,
        #[oai(name = "X-Workspace-Id")] tenant: Tenant,
        state: Data<&Arc<AppState>>,
        id: Path<String>,
    ) -> Result<DncEntryDeleted, DeleteDncErrors> {
        state
            .do_not_contact
            .delete(tenant.0, dnc_entry_id(&id)?)
            .await
            .map_err(naming(&id))?;
        tracing::info!(entry = %id.0, "do-not-contact entry deleted");
        Ok(DncEntryDeleted::Ok(Json(Success::new(
            DncEntryDeletedBody {
                id: id.0,
                deleted: true,
            },
        ))))
    }
}

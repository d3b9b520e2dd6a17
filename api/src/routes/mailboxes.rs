//! `/v1/mailboxes…`: the workspace's sending mailboxes — register, read, list, change and delete.

use std::sync::Arc;

use application::ports::MailboxQuery;
use domain::id::MailboxId;
use domain::mailbox::{MailboxProvider, MailboxStatus};
use domain::mailbox_listing::{MailboxSearch, TagFilter, TagMode};
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};
use serde_json::json;

use crate::auth::Tenant;
use crate::body::{JsonBody, refused};
use crate::dto::campaign_input::MailboxProviders;
use crate::dto::choice::Choice;
use crate::dto::mailbox::{
    MailboxBody, MailboxDeletedBody, MailboxStatuses, MailboxTestBody, RegisterMailboxRequest,
    TagModes, UpdateMailboxRequest,
};
use crate::dto::{Page, PaginationBody, Success};
use crate::error::{ApiError, EXAMPLE_ID, descriptions, error_responses};
use crate::idempotency::IdempotencyKeyHeader;
use crate::location::{self, Created};
use crate::state::AppState;
use crate::use_case_errors::{mailbox_not_found, naming};

use super::{ApiTags, cursor_param, limit_param};

error_responses!(
    /// What `POST /v1/mailboxes` can answer besides 201.
    RegisterMailboxErrors {
        400 => "The body breaks rules of the contract (VALIDATION_FAILED) or is not JSON (MALFORMED_JSON), or the key needs X-Workspace-Id (WORKSPACE_REQUIRED) or was sent twice, differently (CONFLICTING_API_KEYS). An Idempotency-Key that is not 1 to 255 printable ASCII characters is VALIDATION_FAILED."
            => refused::<RegisterMailboxRequest>(json!({"email": "jordan@yourcompany.com", "provider": "gmail", "dailySendLimit": "40", "sigature": "Jordan"})),
        401 => descriptions::UNAUTHORIZED,
        403 => descriptions::FORBIDDEN_IN_WORKSPACE,
        408 => descriptions::REQUEST_TIMEOUT,
        409 => "The workspace already has a mailbox with this address (CONFLICT). Or a request with this Idempotency-Key is still running (CONFLICT): retry after Retry-After seconds.",
        413 => descriptions::PAYLOAD_TOO_LARGE,
        415 => descriptions::UNSUPPORTED_MEDIA_TYPE,
        422 => descriptions::IDEMPOTENCY_KEY_REUSED,
        500 => descriptions::INTERNAL,
    }
);

error_responses!(
    /// What listing mailboxes can answer besides 200.
    ListMailboxesErrors {
        400 => "A query parameter is not valid (VALIDATION_FAILED), or the key needs X-Workspace-Id (WORKSPACE_REQUIRED) or was sent twice, differently (CONFLICTING_API_KEYS).",
        401 => descriptions::UNAUTHORIZED,
        403 => descriptions::FORBIDDEN_IN_WORKSPACE,
        500 => descriptions::INTERNAL,
    }
);

error_responses!(
    /// What reading or deleting one mailbox can answer besides 200.
    MailboxErrors {
        400 => "The key needs X-Workspace-Id (WORKSPACE_REQUIRED) or was sent twice, differently (CONFLICTING_API_KEYS).",
        401 => descriptions::UNAUTHORIZED,
        403 => descriptions::FORBIDDEN_IN_WORKSPACE,
        404 => "The workspace has no mailbox with this id (NOT_FOUND)."
            => mailbox_not_found(EXAMPLE_ID),
        500 => descriptions::INTERNAL,
    }
);

error_responses!(
    /// What `PATCH /v1/mailboxes/{mailboxId}` can answer besides 200.
    UpdateMailboxErrors {
        400 => "The body breaks rules of the contract or names a field that cannot change here (VALIDATION_FAILED, every problem listed; nothing was changed), is not JSON (MALFORMED_JSON), or the key needs X-Workspace-Id (WORKSPACE_REQUIRED) or was sent twice, differently (CONFLICTING_API_KEYS)."
            => refused::<UpdateMailboxRequest>(json!({"email": "jordan.lee@yourcompany.com", "dailySendLimit": "30"})),
        401 => descriptions::UNAUTHORIZED,
        403 => descriptions::FORBIDDEN_IN_WORKSPACE,
        404 => "The workspace has no mailbox with this id (NOT_FOUND)."
            => mailbox_not_found(EXAMPLE_ID),
        408 => descriptions::REQUEST_TIMEOUT,
        413 => descriptions::PAYLOAD_TOO_LARGE,
        415 => descriptions::UNSUPPORTED_MEDIA_TYPE,
        500 => descriptions::INTERNAL,
    }
);

#[derive(Debug, ApiResponse)]
pub(crate) enum MailboxRegistered {
    /// The mailbox, `active`.
    #[oai(status = 201)]
    Created(Json<Success<MailboxBody>>),
}

#[derive(Debug, ApiResponse)]
pub(crate) enum MailboxRead {
    /// The mailbox (never its credentials).
    #[oai(status = 200)]
    Ok(Json<Success<MailboxBody>>),
}

#[derive(Debug, ApiResponse)]
pub(crate) enum MailboxesListed {
    /// A page of mailboxes, newest first.
    #[oai(status = 200)]
    Ok(Json<Page<MailboxBody>>),
}

error_responses!(
    /// What `POST /v1/mailboxes/{mailboxId}/test` can answer besides 200.
    TestMailboxErrors {
        400 => "The key needs X-Workspace-Id (WORKSPACE_REQUIRED) or was sent twice, differently (CONFLICTING_API_KEYS). An Idempotency-Key that is not 1 to 255 printable ASCII characters is VALIDATION_FAILED.",
        401 => descriptions::UNAUTHORIZED,
        403 => descriptions::FORBIDDEN_IN_WORKSPACE,
        404 => "The workspace has no mailbox with this id (NOT_FOUND)."
            => mailbox_not_found(EXAMPLE_ID),
        409 => "A request with this Idempotency-Key is still running (CONFLICT): retry after Retry-After seconds.",
        422 => descriptions::IDEMPOTENCY_KEY_REUSED,
        500 => descriptions::INTERNAL,
    }
);

#[derive(Debug, ApiResponse)]
pub(crate) enum MailboxTested {
    /// What each configured connection did; nothing was sent or read, the mailbox is unchanged.
    #[oai(status = 200)]
    Ok(Json<Success<MailboxTestBody>>),
}

#[derive(Debug, ApiResponse)]
pub(crate) enum MailboxDeleted {
    /// The mailbox is gone, and no campaign lists it any more.
    #[oai(status = 200)]
    Ok(Json<Success<MailboxDeletedBody>>),
}

/// A path's mailbox id; one that is not even well-formed names no mailbox, so it is a 404 too.
fn mailbox_id(raw: &str) -> Result<MailboxId, ApiError> {
    MailboxId::parse(raw).map_err(|_| mailbox_not_found(raw))
}

/// One mailbox as answered, with its sends of the last 24 hours.
async fn mailbox_body(
    state: &AppState,
    tenancy: application::tenancy::Tenancy,
    mailbox: &domain::mailbox::Mailbox,
) -> Result<MailboxBody, ApiError> {
    let sent = state
        .read_mailboxes
        .sent_today(tenancy, std::slice::from_ref(mailbox))
        .await
        .map_err(ApiError::from)?;
    Ok(MailboxBody::from_domain(
        mailbox,
        sent.get(&mailbox.id()).copied().unwrap_or(0),
    ))
}

#[derive(Debug)]
pub(crate) struct MailboxesApi;

#[OpenApi(tag = "ApiTags::Mailboxes")]
impl MailboxesApi {
    /// Register mailbox
    ///
    /// [ext] Register a sending mailbox in the workspace. Its address is unique per workspace,
    /// compared case-insensitively.
    #[oai(
        path = "/v1/mailboxes",
        method = "post",
        operation_id = "registerMailbox"
    )]
    async fn register(
        &self,
        #[oai(name = "X-Workspace-Id")] tenant: Tenant,
        #[oai(name = "Idempotency-Key")] _idempotency_key: IdempotencyKeyHeader,
        state: Data<&Arc<AppState>>,
        body: JsonBody<RegisterMailboxRequest>,
    ) -> Result<Created<MailboxRegistered>, RegisterMailboxErrors> {
        let order = body.order();
        let (request, edge_problems) = body.read();
        let mailbox = state
            .register_mailbox
            .execute(tenant.0, &request, edge_problems)
            .await
            .map_err(|error| ApiError::from(error).in_body_order(&order))?;
        Ok(Created::new(
            // A new mailbox has sent nothing yet.
            MailboxRegistered::Created(Json(Success::new(MailboxBody::from_domain(&mailbox, 0)))),
            location::created("/v1/mailboxes", mailbox.id()),
        ))
    }

    /// List mailboxes
    ///
    /// The workspace's mailboxes, newest first, a page at a time. Filter by `provider`, `status`,
    /// `tags` (comma-separated, compared case-insensitively; with `tagMode=any`, the default, a
    /// mailbox needs one of them, with `tagMode=all` every one) and `search` (a case-insensitive
    /// substring of the address or the display name). To get the next page, pass the answer's
    /// `pagination.nextCursor` as `cursor`: mailboxes created meanwhile never shift the pages still to
    /// come. `pagination.total` counts every mailbox matching the filters.
    #[oai(path = "/v1/mailboxes", method = "get", operation_id = "listMailboxes")]
    #[allow(clippy::too_many_arguments)] // One argument per query parameter, as poem-openapi reads them.
    async fn list(
        &self,
        #[oai(name = "X-Workspace-Id")] tenant: Tenant,
        state: Data<&Arc<AppState>>,
        /// Only mailboxes of this provider.
        provider: Query<Option<Choice<MailboxProviders>>>,
        /// Only mailboxes in this status.
        status: Query<Option<Choice<MailboxStatuses>>>,
        /// Comma-separated tags (`Outreach,EU`), compared case-insensitively; each at most 100
        /// characters, at most 50 different ones. Blank means no filter.
        tags: Query<Option<String>>,
        /// Whether a mailbox needs `any` of the `tags` (default) or `all` of them.
        #[oai(name = "tagMode")]
        tag_mode: Query<Option<Choice<TagModes>>>,
        /// Only mailboxes whose address or display name contains this text, ignoring case.
        #[oai(validator(max_length = 254))]
        search: Query<Option<String>>,
        /// The `nextCursor` of the previous page.
        #[oai(validator(pattern = "^[0-9a-f]{24}$"))]
        cursor: Query<Option<String>>,
        /// Mailboxes per page, 1–100 (default 25).
        #[oai(validator(minimum(value = "1"), maximum(value = "100")))]
        limit: Query<Option<i64>>,
    ) -> Result<MailboxesListed, ListMailboxesErrors> {
        let tag_mode = tag_mode
            .0
            .as_ref()
            .and_then(|choice| TagMode::from_wire(choice.as_str()))
            .unwrap_or(TagMode::DEFAULT);
        let query = MailboxQuery {
            provider: provider
                .0
                .as_ref()
                .and_then(|choice| MailboxProvider::from_wire(choice.as_str())),
            status: status
                .0
                .as_ref()
                .and_then(|choice| MailboxStatus::from_wire(choice.as_str())),
            tags: TagFilter::parse(tags.0.as_deref(), tag_mode)
                .map_err(|refusal| ApiError::invalid_parameter("tags", refusal))?,
            search: MailboxSearch::parse(search.0.as_deref())
                .map_err(|refusal| ApiError::invalid_parameter("search", refusal))?,
            before: cursor_param(cursor.0.as_deref(), MailboxId::parse)?,
            limit: limit_param(limit.0)?,
        };
        let page = state
            .read_mailboxes
            .list(tenant.0, &query)
            .await
            .map_err(ApiError::from)?;
        let pagination = PaginationBody::new(
            query.limit.get(),
            page.total,
            page.has_more,
            page.mailboxes.last().map(|last| last.id().to_string()),
        );
        let sent = state
            .read_mailboxes
            .sent_today(tenant.0, &page.mailboxes)
            .await
            .map_err(ApiError::from)?;
        let data = page
            .mailboxes
            .iter()
            .map(|mailbox| {
                MailboxBody::from_domain(mailbox, sent.get(&mailbox.id()).copied().unwrap_or(0))
            })
            .collect();
        Ok(MailboxesListed::Ok(Json(Page::new(data, pagination))))
    }

    /// Get mailbox
    ///
    /// One mailbox of the workspace. Credentials are never returned.
    #[oai(
        path = "/v1/mailboxes/:mailboxId",
        method = "get",
        operation_id = "getMailbox"
    )]
    async fn get(
        &self,
        #[oai(name = "X-Workspace-Id")] tenant: Tenant,
        state: Data<&Arc<AppState>>,
        #[oai(name = "mailboxId")] id: Path<String>,
    ) -> Result<MailboxRead, MailboxErrors> {
        let mailbox = state
            .read_mailboxes
            .get(tenant.0, mailbox_id(&id)?)
            .await
            .map_err(naming(&id))?;
        Ok(MailboxRead::Ok(Json(Success::new(
            mailbox_body(&state, tenant.0, &mailbox).await?,
        ))))
    }

    /// Update mailbox
    ///
    /// Change `displayName`, `dailySendLimit`, `signature`, `sendingEnabled` or `tags`; the fields
    /// left out keep their values, and only the given ones are written, so concurrent changes of
    /// different fields are all kept. `dailySendLimit` is clamped into 1–50; `tags` replaces all tags;
    /// `null` resets a field to what a new mailbox gets. Any other field is refused; every problem is
    /// reported at once and nothing changes. `updatedAt` moves.
    #[oai(
        path = "/v1/mailboxes/:mailboxId",
        method = "patch",
        operation_id = "updateMailbox"
    )]
    async fn update(
        &self,
        #[oai(name = "X-Workspace-Id")] tenant: Tenant,
        state: Data<&Arc<AppState>>,
        #[oai(name = "mailboxId")] id: Path<String>,
        body: JsonBody<UpdateMailboxRequest>,
    ) -> Result<MailboxRead, UpdateMailboxErrors> {
        let mailbox_id = mailbox_id(&id)?;
        let order = body.order();
        let (request, edge_problems) = body.read();
        let mailbox = state
            .update_mailbox
            .execute(tenant.0, mailbox_id, &request, edge_problems)
            .await
            .map_err(naming(&id))
            .map_err(|error| error.in_body_order(&order))?;
        tracing::info!(mailbox = %mailbox.id(), "mailbox updated");
        Ok(MailboxRead::Ok(Json(Success::new(
            mailbox_body(&state, tenant.0, &mailbox).await?,
        ))))
    }

    /// Test mailbox
    ///
    /// [ext] Connects to the mailbox's SMTP server (EHLO, TLS or STARTTLS, AUTH when a password is
    /// stored) and IMAP server (TLS or STARTTLS, LOGIN, SELECT INBOX), sends nothing and reads
    /// nothing; at most 10 seconds for each connection and each reply. `smtp` or `imap` is `null`
    /// when that connection is not configured. A failed test changes nothing: the mailbox's `status`
    /// and `lastError` stay as they were.
    #[oai(
        path = "/v1/mailboxes/:mailboxId/test",
        method = "post",
        operation_id = "testMailbox"
    )]
    async fn test(
        &self,
        #[oai(name = "X-Workspace-Id")] tenant: Tenant,
        #[oai(name = "Idempotency-Key")] _idempotency_key: IdempotencyKeyHeader,
        state: Data<&Arc<AppState>>,
        #[oai(name = "mailboxId")] id: Path<String>,
    ) -> Result<MailboxTested, TestMailboxErrors> {
        let report = state
            .test_mailbox
            .execute(tenant.0, mailbox_id(&id)?)
            .await
            .map_err(naming(&id))?;
        tracing::info!(
            mailbox = %id.0,
            smtp_ok = ?report.smtp.as_ref().map(Result::is_ok),
            imap_ok = ?report.imap.as_ref().map(Result::is_ok),
            "mailbox tested"
        );
        Ok(MailboxTested::Ok(Json(Success::new(
            MailboxTestBody::from_report(report),
        ))))
    }

    /// Delete mailbox
    ///
    /// [ext] Deletes the mailbox and removes it from every campaign of the workspace that used it, at
    /// once. Those campaigns' `updatedAt` moves; their status does not change.
    #[oai(
        path = "/v1/mailboxes/:mailboxId",
        method = "delete",
        operation_id = "deleteMailbox"
    )]
    async fn delete(
        &self,
        #[oai(name = "X-Workspace-Id")] tenant: Tenant,
        state: Data<&Arc<AppState>>,
        #[oai(name = "mailboxId")] id: Path<String>,
    ) -> Result<MailboxDeleted, MailboxErrors> {
        let removal = state
            .delete_mailbox
            .execute(tenant.0, mailbox_id(&id)?)
            .await
            .map_err(naming(&id))?;
        tracing::info!(
            mailbox = %id.0,
            campaigns_updated = removal.campaigns_updated,
            "mailbox deleted"
        );
        Ok(MailboxDeleted::Ok(Json(Success::new(MailboxDeletedBody {
            id: id.0,
            deleted: true,
        }))))
    }
}

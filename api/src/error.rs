//! The error envelope of spec section 1, and how every failure becomes one.
//!
//! [`ApiError`] is the one error value of the edge: handlers and extractors produce it, and
//! [`render_error`] (installed around the whole application) turns it, or any error the framework
//! raises on its own (no route, wrong method, wrong content type, unreadable body…), into
//! `{"success": false, "error", "code", "errorCode", "message", "errors"}`.

use std::fmt;

use domain::problem::{Problem, ProblemCode, Problems};

use poem::error::{
    MethodNotAllowedError, NotFoundError, ParsePathError as RouterPathError, ReadBodyError,
    ResponseError,
};
use poem::http::header::RETRY_AFTER;
use poem::http::{HeaderValue, StatusCode};
use poem::{IntoResponse, Response};
use poem_openapi::error::{
    AuthorizationError, ContentTypeError, ParseParamError, ParsePathError, ParseRequestPayloadError,
};
use poem_openapi::{Enum, Object};

use crate::json_document::BodyOrder;

/// `errorCode`: a stable, machine-readable slug for what went wrong. Never rename one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "SCREAMING_SNAKE_CASE")]
pub(crate) enum ErrorCode {
    /// The request body breaks rules of the contract; `errors` lists every problem.
    ValidationFailed,
    /// The request body is not JSON.
    MalformedJson,
    /// No API key, or one that is not valid.
    Unauthorized,
    /// The key may not act in the named workspace.
    Forbidden,
    /// A platform key did not name its workspace in `X-Workspace-Id` (or named it malformed).
    WorkspaceRequired,
    /// `X-Api-Key` and `Authorization: Bearer` carry two different keys.
    ConflictingApiKeys,
    /// No such route (or resource).
    NotFound,
    /// The route exists but not with this HTTP method.
    MethodNotAllowed,
    /// The request body is not `application/json`.
    UnsupportedMediaType,
    /// The request body is larger than 1 MiB.
    PayloadTooLarge,
    /// The request body did not arrive in time.
    RequestTimeout,
    /// The request's URL (path and query) is longer than the server reads.
    UriTooLong,
    /// The request's headers, together, are larger than the server reads.
    HeadersTooLarge,
    /// Only mailbox references are wrong: one `errors` entry per missing id or address.
    MailboxNotFound,
    /// Only the AI agent reference is wrong.
    AgentNotFound,
    /// The campaign's status does not allow the action; the message names the status.
    InvalidStateTransition,
    /// The request conflicts with what exists (a duplicate, a limit), or a request with its
    /// `Idempotency-Key` is still running (retry after `Retry-After` seconds).
    Conflict,
    /// The `Idempotency-Key` was already used for a different request (method, path or body).
    IdempotencyKeyReused,
    /// The client used up its requests for the current window; retry after `Retry-After` seconds.
    RateLimited,
    /// The mailbox's SMTP server refused the message or could not be reached (a test email); the
    /// message quotes the server's reply.
    SmtpFailed,
    /// A dependency (the database) does not answer.
    ServiceUnavailable,
    /// Something unexpected; it was logged with the request id.
    Internal,
}

/// `errors[].code`: what kind of problem one entry is. Mirrors the domain's slugs exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename = "ProblemCode", rename_all = "snake_case")]
pub(crate) enum ProblemCodeDto {
    Required,
    Blank,
    TooLong,
    TooShort,
    OutOfRange,
    InvalidFormat,
    InvalidValue,
    NotAllowed,
    Duplicate,
    TooMany,
    TooFew,
    InvalidOrder,
    InvalidStructure,
    MailboxNotFound,
    AgentNotFound,
    UnknownField,
    InvalidType,
    DuplicateKey,
}

impl From<ProblemCode> for ProblemCodeDto {
    fn from(code: ProblemCode) -> Self {
        match code {
            ProblemCode::Required => Self::Required,
            ProblemCode::Blank => Self::Blank,
            ProblemCode::TooLong => Self::TooLong,
            ProblemCode::TooShort => Self::TooShort,
            ProblemCode::OutOfRange => Self::OutOfRange,
            ProblemCode::InvalidFormat => Self::InvalidFormat,
            ProblemCode::InvalidValue => Self::InvalidValue,
            ProblemCode::NotAllowed => Self::NotAllowed,
            ProblemCode::Duplicate => Self::Duplicate,
            ProblemCode::TooMany => Self::TooMany,
            ProblemCode::TooFew => Self::TooFew,
            ProblemCode::InvalidOrder => Self::InvalidOrder,
            ProblemCode::InvalidStructure => Self::InvalidStructure,
            ProblemCode::MailboxNotFound => Self::MailboxNotFound,
            ProblemCode::AgentNotFound => Self::AgentNotFound,
            ProblemCode::UnknownField => Self::UnknownField,
            ProblemCode::InvalidType => Self::InvalidType,
            ProblemCode::DuplicateKey => Self::DuplicateKey,
        }
    }
}

/// One problem of a request, located by an RFC 6901 JSON Pointer into the request body.
#[derive(Debug, Clone, PartialEq, Object)]
#[oai(rename = "Problem", rename_all = "camelCase")]
pub(crate) struct ProblemBody {
    /// Where: a JSON Pointer into the request body (`""` is the whole body).
    pub pointer: String,
    pub code: ProblemCodeDto,
    /// A sentence for people.
    pub message: String,
}

impl From<&Problem> for ProblemBody {
    fn from(problem: &Problem) -> Self {
        Self {
            pointer: problem.pointer().to_string(),
            code: problem.code().into(),
            message: problem.message().to_owned(),
        }
    }
}

/// Every error answer (4xx and 5xx) has this shape.
#[derive(Debug, Clone, PartialEq, Object)]
#[oai(rename = "Error", rename_all = "camelCase")]
pub(crate) struct ErrorBody {
    /// Always `false`.
    pub success: bool,
    /// The HTTP reason phrase of `code` (`Bad Request`).
    pub error: String,
    /// The HTTP status code.
    pub code: u16,
    pub error_code: ErrorCode,
    /// A sentence for people (`3 problems in the request body`).
    pub message: String,
    /// Every problem found, each with its JSON Pointer; empty when the error is not about the body.
    pub errors: Vec<ProblemBody>,
}

/// The most problems an error lists. Every problem is found and counted, but a body of a megabyte of
/// `[1,1,1,…]` has half a million, and listing them all made a 33 MB answer of an 0.8 MB request.
pub(crate) const MAX_LISTED_PROBLEMS: usize = 1_000;

/// The error value of the HTTP edge: a status, a slug, a message and the problems.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ApiError {
    status: StatusCode,
    code: ErrorCode,
    message: String,
    problems: Vec<ProblemBody>,
    /// Sent as `Retry-After` (seconds) with the answer: when asking again may succeed.
    retry_after_seconds: Option<u64>,
}

impl ApiError {
    fn new(status: StatusCode, code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            problems: Vec::new(),
            retry_after_seconds: None,
        }
    }

    fn retry_after(mut self, seconds: u64) -> Self {
        self.retry_after_seconds = Some(seconds);
        self
    }

    /// Lists the problems, at most [`MAX_LISTED_PROBLEMS`] of them; the message says when some are
    /// left out.
    fn with_problems<'a>(mut self, problems: impl IntoIterator<Item = &'a Problem>) -> Self {
        let mut problems = problems.into_iter();
        self.problems = problems
            .by_ref()
            .take(MAX_LISTED_PROBLEMS)
            .map(ProblemBody::from)
            .collect();
        if problems.next().is_some() {
            self.message = format!(
                "{}; the first {MAX_LISTED_PROBLEMS} are listed",
                self.message
            );
        }
        self
    }

    /// The listed problems in the order of the body they point into (stable among those at one
    /// place). With more than [`MAX_LISTED_PROBLEMS`], the first ones found are the ones listed.
    pub(crate) fn in_body_order(mut self, order: &BodyOrder) -> Self {
        if self.problems.len() > 1 {
            let positions = order.positions();
            self.problems
                .sort_by_cached_key(|problem| positions.of(&problem.pointer));
        }
        self
    }

    /// 400 `VALIDATION_FAILED` with every problem.
    pub(crate) fn validation(problems: &Problems) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::ValidationFailed,
            problems.to_string(),
        )
        .with_problems(problems)
    }

    /// 400 `MAILBOX_NOT_FOUND`: one problem per id or address that is not a mailbox of the workspace.
    pub(crate) fn mailbox_not_found(problems: &Problems) -> Self {
        let message = match problems.len() {
            1 => "1 mailbox is not a mailbox of this workspace".to_owned(),
            n => format!("{n} mailboxes are not mailboxes of this workspace"),
        };
        Self::new(StatusCode::BAD_REQUEST, ErrorCode::MailboxNotFound, message)
            .with_problems(problems)
    }

    /// 400 `AGENT_NOT_FOUND`.
    pub(crate) fn agent_not_found(problems: &Problems) -> Self {
        let message = problems
            .iter()
            .next()
            .map(|problem| problem.message().to_owned())
            .unwrap_or_else(|| "the AI agent is not an agent of this workspace".to_owned());
        Self::new(StatusCode::BAD_REQUEST, ErrorCode::AgentNotFound, message)
            .with_problems(problems)
    }

    /// 502 `SMTP_FAILED`: the mail server said no, or did not answer; `why` quotes its reply (the
    /// transport's failures never hold a password).
    pub(crate) fn smtp_failed(why: impl fmt::Display) -> Self {
        Self::new(
            StatusCode::BAD_GATEWAY,
            ErrorCode::SmtpFailed,
            format!("the mailbox's SMTP server did not take the email: {why}"),
        )
    }

    /// 400 `MALFORMED_JSON`.
    pub(crate) fn malformed_json(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, ErrorCode::MalformedJson, message)
    }

    /// 401 `UNAUTHORIZED`: no key, or not a valid one. The message says where keys come from; it
    /// never says which of the two it was (a client learns nothing about which keys exist).
    pub(crate) fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            ErrorCode::Unauthorized,
            AUTH_MESSAGE,
        )
    }

    /// 403 `FORBIDDEN`.
    pub(crate) fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, ErrorCode::Forbidden, message)
    }

    /// 400 `WORKSPACE_REQUIRED`.
    pub(crate) fn workspace_required(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::WorkspaceRequired,
            message,
        )
    }

    /// 400 `CONFLICTING_API_KEYS`.
    pub(crate) fn conflicting_api_keys(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::ConflictingApiKeys,
            message,
        )
    }

    /// 409 `CONFLICT`, with the problems that say where, if any.
    pub(crate) fn conflict<'a>(
        message: impl Into<String>,
        problems: impl IntoIterator<Item = &'a Problem>,
    ) -> Self {
        Self::new(StatusCode::CONFLICT, ErrorCode::Conflict, message).with_problems(problems)
    }

    /// 422 `IDEMPOTENCY_KEY_REUSED`.
    pub(crate) fn idempotency_key_reused() -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::IdempotencyKeyReused,
            "this Idempotency-Key was already used for a different request (method, path or body); \
             send a new key with a new request",
        )
    }

    /// 409 `CONFLICT` with `Retry-After: 1`: a request with the same `Idempotency-Key` is running.
    pub(crate) fn idempotent_request_in_flight() -> Self {
        Self::conflict(
            "a request with this Idempotency-Key is still running; retry it shortly",
            [],
        )
        .retry_after(1)
    }

    /// 400 `VALIDATION_FAILED` for a request header the contract constrains.
    pub(crate) fn invalid_header(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::ValidationFailed,
            message,
        )
    }

    /// 400 `VALIDATION_FAILED` for a query parameter the domain refused.
    pub(crate) fn invalid_parameter(name: &str, refusal: domain::problem::Invalid) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::ValidationFailed,
            format!("query parameter {name}: {}", refusal.message),
        )
    }

    /// 409 `INVALID_STATE_TRANSITION`: the resource's status does not allow the action.
    pub(crate) fn invalid_state_transition(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::CONFLICT,
            ErrorCode::InvalidStateTransition,
            message,
        )
    }

    /// 404 `NOT_FOUND`.
    pub(crate) fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, ErrorCode::NotFound, message)
    }

    /// 405 `METHOD_NOT_ALLOWED`.
    pub(crate) fn method_not_allowed() -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            ErrorCode::MethodNotAllowed,
            "this route does not accept this HTTP method",
        )
    }

    /// 415 `UNSUPPORTED_MEDIA_TYPE` for a body sent with `content_type` (or with none) instead of JSON.
    pub(crate) fn unsupported_media_type(content_type: Option<&str>) -> Self {
        Self::unsupported_media_type_expecting(content_type, "application/json")
    }

    /// 415 `UNSUPPORTED_MEDIA_TYPE` for a route that reads `expected` (`multipart/form-data`).
    pub(crate) fn unsupported_media_type_expecting(
        content_type: Option<&str>,
        expected: &str,
    ) -> Self {
        let message = match content_type {
            None => format!("the request needs Content-Type: {expected}"),
            Some(content_type) => {
                format!("Content-Type {content_type} is not supported; send {expected}")
            }
        };
        Self::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorCode::UnsupportedMediaType,
            message,
        )
    }

    /// 413 `PAYLOAD_TOO_LARGE`.
    pub(crate) fn payload_too_large(limit_bytes: usize) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::PayloadTooLarge,
            format!("the request body is larger than {limit_bytes} bytes"),
        )
    }

    /// 414 `URI_TOO_LONG`: the path and query are longer than `limit_bytes`.
    pub(crate) fn uri_too_long(limit_bytes: usize) -> Self {
        Self::new(
            StatusCode::URI_TOO_LONG,
            ErrorCode::UriTooLong,
            format!("the request's URL (path and query) is longer than {limit_bytes} bytes"),
        )
    }

    /// 431 `HEADERS_TOO_LARGE`: the headers, names and values together, are larger than `limit_bytes`.
    pub(crate) fn headers_too_large(limit_bytes: usize) -> Self {
        Self::new(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            ErrorCode::HeadersTooLarge,
            format!("the request's headers are larger than {limit_bytes} bytes together"),
        )
    }

    /// 431 `HEADERS_TOO_LARGE` for a head hyper refused (src/hyper_refusals.rs): it does not say
    /// whether the headers were too many or too large together.
    pub(crate) fn head_too_large(limit_bytes: usize) -> Self {
        Self::new(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            ErrorCode::HeadersTooLarge,
            format!(
                "the request's headers are larger than {limit_bytes} bytes together, or more than \
                 {} of them",
                crate::state::MAX_HEADER_COUNT
            ),
        )
    }

    /// 400 `VALIDATION_FAILED` for a request head that is not HTTP/1.1 (src/hyper_refusals.rs).
    pub(crate) fn malformed_head() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::ValidationFailed,
            "the request's head could not be read: its request line or a header is not valid HTTP/1.1",
        )
    }

    /// 429 `RATE_LIMITED` with `Retry-After`: the window ends in `reset_after_seconds`.
    pub(crate) fn rate_limited(reset_after_seconds: u64) -> Self {
        Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::RateLimited,
            format!(
                "too many requests: this client's allowance for the current window is used up; \
                 retry in {reset_after_seconds} s"
            ),
        )
        .retry_after(reset_after_seconds)
    }

    /// 408 `REQUEST_TIMEOUT`: the body did not arrive within `timeout`.
    pub(crate) fn request_timeout(timeout: std::time::Duration) -> Self {
        Self::new(
            StatusCode::REQUEST_TIMEOUT,
            ErrorCode::RequestTimeout,
            format!(
                "the request body did not arrive within {} ms",
                timeout.as_millis()
            ),
        )
    }

    /// 503 `SERVICE_UNAVAILABLE` with `Retry-After: 1` for a request that did not finish within
    /// `deadline`.
    pub(crate) fn deadline_passed(deadline: std::time::Duration) -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::ServiceUnavailable,
            format!(
                "the request did not finish within {} ms and was stopped; it may or may not have \
                 taken effect: retry it (a POST with the same Idempotency-Key)",
                deadline.as_millis()
            ),
        )
        .retry_after(1)
    }

    /// 503 `SERVICE_UNAVAILABLE`; `cause` is logged, never answered.
    pub(crate) fn unavailable(message: impl Into<String>, cause: &anyhow::Error) -> Self {
        tracing::warn!(error = %format!("{cause:#}"), "a dependency is unavailable");
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::ServiceUnavailable,
            message,
        )
    }

    /// 500 `INTERNAL`. The cause chain is logged (inside the request's span, so with its request id)
    /// and never answered: no SQL, no internals.
    pub(crate) fn internal(cause: &anyhow::Error) -> Self {
        tracing::error!(error = %format!("{cause:#}"), "unexpected error");
        Self::opaque_internal()
    }

    fn opaque_internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::Internal,
            "an unexpected error occurred; it has been logged under this response's X-Request-Id",
        )
    }

    /// The status; the tests read it (answers use `ResponseError::status`).
    #[cfg(test)]
    pub(crate) fn status(&self) -> StatusCode {
        self.status
    }

    /// The slug; the tests read it (the envelope carries it as `errorCode`).
    #[cfg(test)]
    pub(crate) fn code(&self) -> ErrorCode {
        self.code
    }

    /// The envelope answered for this error.
    pub(crate) fn body(&self) -> ErrorBody {
        ErrorBody {
            success: false,
            error: self.status.canonical_reason().unwrap_or("Error").to_owned(),
            code: self.status.as_u16(),
            error_code: self.code,
            message: self.message.clone(),
            errors: self.problems.clone(),
        }
    }

    /// The envelope as the bytes of an answer's body, as [`ResponseError::as_response`] sends it.
    pub(crate) fn body_bytes(&self) -> Vec<u8> {
        use poem_openapi::types::ToJSON;
        self.body().to_json_string().into_bytes()
    }

    /// Any error that reached the edge, as an envelope. Errors of our own pass through; the
    /// framework's are mapped by type; anything else by status, and an unexpected 5xx is logged and
    /// made opaque.
    pub(crate) fn from_poem(error: poem::Error) -> Self {
        let error = match error.downcast::<ApiError>() {
            Ok(ours) => return ours,
            Err(other) => other,
        };
        if error.is::<NotFoundError>() {
            return Self::not_found("no route matches this path");
        }
        if error.is::<MethodNotAllowedError>() {
            return Self::method_not_allowed();
        }
        if let Some(content_type) = error.downcast_ref::<ContentTypeError>() {
            return Self::unsupported_media_type(match content_type {
                ContentTypeError::ExpectContentType => None,
                ContentTypeError::NotSupported { content_type } => Some(content_type),
            });
        }
        if let Some(read) = error.downcast_ref::<ReadBodyError>() {
            return match read {
                ReadBodyError::PayloadTooLarge => {
                    Self::payload_too_large(crate::request_body::MAX_BODY_BYTES)
                }
                ReadBodyError::Utf8(_) | ReadBodyError::Io(_) => {
                    Self::malformed_json("the request body could not be read")
                }
                ReadBodyError::BodyHasBeenTaken => {
                    Self::internal(&anyhow::anyhow!("the request body was read twice"))
                }
            };
        }
        if let Some(payload) = error.downcast_ref::<ParseRequestPayloadError>() {
            return Self::malformed_json(format!(
                "the request body could not be read: {}",
                payload.reason
            ));
        }
        if let Some(param) = error.downcast_ref::<ParseParamError>() {
            return Self::new(
                StatusCode::BAD_REQUEST,
                ErrorCode::ValidationFailed,
                param.to_string(),
            );
        }
        if let Some(path) = error.downcast_ref::<ParsePathError>() {
            return Self::new(
                StatusCode::BAD_REQUEST,
                ErrorCode::ValidationFailed,
                path.to_string(),
            );
        }
        if error.is::<RouterPathError>() {
            return Self::new(
                StatusCode::BAD_REQUEST,
                ErrorCode::ValidationFailed,
                "the path parameters are not valid",
            );
        }
        if error.is::<AuthorizationError>() {
            return Self::unauthorized();
        }
        Self::by_status(error)
    }

    /// The fallback for errors of types not named above.
    fn by_status(error: poem::Error) -> Self {
        let status = error.status();
        match status {
            StatusCode::NOT_FOUND => Self::not_found("not found"),
            StatusCode::METHOD_NOT_ALLOWED => Self::method_not_allowed(),
            StatusCode::UNAUTHORIZED => Self::unauthorized(),
            StatusCode::FORBIDDEN => Self::forbidden("this key may not do this"),
            StatusCode::PAYLOAD_TOO_LARGE => {
                Self::payload_too_large(crate::request_body::MAX_BODY_BYTES)
            }
            StatusCode::UNSUPPORTED_MEDIA_TYPE => Self::unsupported_media_type(None),
            StatusCode::BAD_REQUEST => Self::new(
                StatusCode::BAD_REQUEST,
                ErrorCode::ValidationFailed,
                error.to_string(),
            ),
            _ => Self::internal(&anyhow::anyhow!(
                "unmapped error with status {status}: {error}"
            )),
        }
    }
}

const AUTH_MESSAGE: &str = "a valid API key is required in X-Api-Key or Authorization: Bearer. \
    `sendline init` prints a platform key and a workspace key, `sendline serve --demo` prints a demo \
    workspace key, and POST /v1/workspaces/{id}/api-key (with a platform key) makes a workspace's key";

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {:?}: {}",
            self.status.as_u16(),
            self.code,
            self.message
        )
    }
}

impl std::error::Error for ApiError {}

impl ResponseError for ApiError {
    fn status(&self) -> StatusCode {
        self.status
    }

    fn as_response(&self) -> Response {
        let mut response = poem_openapi::payload::Json(self.body())
            .with_status(self.status)
            .into_response();
        if let Some(seconds) = self.retry_after_seconds {
            response
                .headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

/// Installed around the whole application: every error that escapes a route becomes an envelope.
pub(crate) async fn render_error(error: poem::Error) -> Response {
    ApiError::from_poem(error).as_response()
}

/// The descriptions that the error responses of many operations share, written once.
pub(crate) mod descriptions {
    /// The 401 of every operation that takes a key.
    pub(crate) const UNAUTHORIZED: &str = "No API key, or not a valid one (UNAUTHORIZED).";
    /// The 403 of every workspace-scoped operation.
    pub(crate) const FORBIDDEN_IN_WORKSPACE: &str =
        "The key may not act in the named workspace (FORBIDDEN).";
    /// The 500 of every operation that takes a key.
    pub(crate) const INTERNAL: &str =
        "Something unexpected; logged under the response's X-Request-Id (INTERNAL).";
    /// The 408 of every operation that reads a body.
    pub(crate) const REQUEST_TIMEOUT: &str =
        "The body did not arrive within the server's body timeout (REQUEST_TIMEOUT).";
    /// The 413 of every operation that reads a body.
    pub(crate) const PAYLOAD_TOO_LARGE: &str = "The body is larger than 1 MiB (PAYLOAD_TOO_LARGE).";
    /// The 415 of every operation that reads a JSON body.
    pub(crate) const UNSUPPORTED_MEDIA_TYPE: &str =
        "The body is not application/json (UNSUPPORTED_MEDIA_TYPE).";
    /// The 422 of every POST (each takes an `Idempotency-Key`).
    pub(crate) const IDEMPOTENCY_KEY_REUSED: &str =
        "This Idempotency-Key was already used for a different request (IDEMPOTENCY_KEY_REUSED).";
    /// The 429 every operation with declared errors can answer.
    pub(crate) const RATE_LIMITED: &str = "The client (its API key, or its address without a valid key) used up its requests for the current window (RATE_LIMITED); retry after Retry-After seconds.";
    /// The 503 every operation with declared errors can answer.
    pub(crate) const UNAVAILABLE: &str = "The database does not answer, or the request did not finish within the server's deadline (SERVICE_UNAVAILABLE); retry after Retry-After seconds.";
}

/// An id the examples name (a workspace's, a campaign's…): well-formed, and no resource's.
pub(crate) const EXAMPLE_ID: &str = "665f1c2e9b1d4a0012345678";

impl ApiError {
    /// The answer the document shows for `status` when an operation names none of its own: an envelope
    /// built by the code that builds the real answers of that status.
    pub(crate) fn example_of_status(status: u16) -> Self {
        use crate::state::{
            DEFAULT_BODY_READ_TIMEOUT, DEFAULT_RATE_LIMIT_WINDOW_S, DEFAULT_REQUEST_TIMEOUT,
            MAX_HEADER_BYTES, MAX_URI_BYTES,
        };
        use application::use_cases::authenticate::AuthError;
        match status {
            400 => Self::from(AuthError::ConflictingKeys),
            401 => Self::unauthorized(),
            403 => Self::from(AuthError::Forbidden(EXAMPLE_ID.to_owned())),
            404 => Self::from_poem(NotFoundError.into()),
            405 => Self::from_poem(MethodNotAllowedError.into()),
            408 => Self::request_timeout(DEFAULT_BODY_READ_TIMEOUT),
            409 => Self::idempotent_request_in_flight(),
            413 => Self::payload_too_large(crate::request_body::MAX_BODY_BYTES),
            414 => Self::uri_too_long(MAX_URI_BYTES),
            415 => Self::unsupported_media_type(Some("text/plain")),
            422 => Self::idempotency_key_reused(),
            429 => Self::rate_limited(DEFAULT_RATE_LIMIT_WINDOW_S),
            431 => Self::headers_too_large(MAX_HEADER_BYTES),
            503 => Self::deadline_passed(DEFAULT_REQUEST_TIMEOUT),
            _ => Self::opaque_internal(),
        }
    }
}

/// One error response of an operation for the document: `example`'s envelope under `status`, shown as
/// the example of the `Error` schema.
pub(crate) fn error_response(
    status: u16,
    description: &'static str,
    example: &ApiError,
) -> poem_openapi::registry::MetaResponse {
    use poem_openapi::registry::{MetaMediaType, MetaResponse, MetaSchema, MetaSchemaRef};
    use poem_openapi::types::{ToJSON, Type};
    debug_assert_eq!(example.status.as_u16(), status, "{example}");
    MetaResponse {
        description,
        status: Some(status),
        status_range: None,
        content: vec![MetaMediaType {
            content_type: "application/json; charset=utf-8",
            schema: MetaSchemaRef::Inline(Box::new(MetaSchema {
                all_of: vec![ErrorBody::schema_ref()],
                example: example.body().to_json(),
                ..MetaSchema::ANY
            })),
        }],
        headers: vec![],
    }
}

/// Declares the error responses an operation can give (and the 429 of rate limits and the 503 of
/// deadlines, which every operation can give), for the OpenAPI document. A description is a literal,
/// or one of the shared [`descriptions`]; an example, after a second `=>`, is an [`ApiError`] built as
/// the real answer is, else [`ApiError::example_of_status`]. The value is always an [`ApiError`]; the
/// type only tells the document which statuses to list.
macro_rules! error_responses {
    (@example $status:literal) => {
        $crate::error::ApiError::example_of_status($status)
    };
    (@example $status:literal $example:expr) => {
        $example
    };
    ($(#[$doc:meta])* $name:ident {
        $($status:literal => $description:expr $(=> $example:expr)?),+ $(,)?
    }) => {
        $(#[$doc])*
        #[derive(Debug)]
        pub(crate) struct $name(pub $crate::error::ApiError);

        impl From<$crate::error::ApiError> for $name {
            fn from(error: $crate::error::ApiError) -> Self {
                Self(error)
            }
        }

        impl From<$name> for poem::Error {
            fn from(error: $name) -> Self {
                poem::Error::from(error.0)
            }
        }

        impl poem_openapi::ApiResponse for $name {
            fn meta() -> poem_openapi::registry::MetaResponses {
                poem_openapi::registry::MetaResponses {
                    responses: vec![
                        $($crate::error::error_response(
                            $status,
                            $description,
                            &$crate::error::error_responses!(@example $status $($example)?),
                        ),)+
                        $crate::error::error_response(
                            429,
                            $crate::error::descriptions::RATE_LIMITED,
                            &$crate::error::ApiError::example_of_status(429),
                        ),
                        $crate::error::error_response(
                            503,
                            $crate::error::descriptions::UNAVAILABLE,
                            &$crate::error::ApiError::example_of_status(503),
                        ),
                    ],
                }
            }

            fn register(registry: &mut poem_openapi::registry::Registry) {
                <$crate::error::ErrorBody as poem_openapi::types::Type>::register(registry);
            }
        }
    };
}
pub(crate) use error_responses;

#[cfg(test)]
mod tests {
    use domain::problem::JsonPointer;

    use super::*;

    fn envelope(error: ApiError) -> serde_json::Value {
        use poem_openapi::types::ToJSON;
        error.body().to_json().unwrap_or_default()
    }

    #[test]
    fn an_error_lists_at_most_1000_problems_and_its_message_counts_them_all() {
        let many = |count: usize| {
            let mut problems = Problems::new();
            for index in 0..count {
                problems.add(
                    JsonPointer::root().field("mailboxIds").index(index),
                    ProblemCode::InvalidType,
                    "must be a string",
                );
            }
            envelope(ApiError::validation(&problems))
        };
        let all_listed = many(MAX_LISTED_PROBLEMS);
        assert_eq!(all_listed["errors"].as_array().map(Vec::len), Some(1_000));
        assert_eq!(all_listed["message"], "1000 problems in the request body");
        let capped = many(400_001);
        assert_eq!(capped["errors"].as_array().map(Vec::len), Some(1_000));
        assert_eq!(capped["errors"][999]["pointer"], "/mailboxIds/999");
        assert_eq!(
            capped["message"],
            "400001 problems in the request body; the first 1000 are listed"
        );
    }

    #[test]
    fn the_envelope_has_the_shape_of_spec_section_1() {
        let mut problems = Problems::new();
        problems.add(
            JsonPointer::root()
                .field("sequence")
                .index(1)
                .field("waitDays"),
            ProblemCode::OutOfRange,
            "waitDays must be between 0 and 365",
        );
        assert_eq!(
            envelope(ApiError::validation(&problems)),
            serde_json::json!({
                "success": false, "error": "Bad Request", "code": 400, "errorCode": "VALIDATION_FAILED",
                "message": "1 problem in the request body",
                "errors": [{"pointer": "/sequence/1/waitDays", "code": "out_of_range",
                            "message": "waitDays must be between 0 and 365"}]
            })
        );
    }

    #[tokio::test]
    async fn body_bytes_are_the_body_of_the_answer() {
        let error = ApiError::head_too_large(32);
        let answer = error.as_response();
        assert_eq!(
            answer
                .headers()
                .get("content-type")
                .map(|value| value.as_bytes()),
            Some(&b"application/json; charset=utf-8"[..])
        );
        let sent = answer.into_body().into_vec().await.expect("the body");
        assert_eq!(sent, error.body_bytes());
    }

    #[test]
    fn errors_is_an_empty_list_when_the_error_is_not_about_the_body() {
        let body = envelope(ApiError::unauthorized());
        assert_eq!(body["errors"], serde_json::json!([]));
        assert_eq!(body["error"], "Unauthorized");
        assert_eq!(body["errorCode"], "UNAUTHORIZED");
    }

    #[test]
    fn problem_codes_keep_the_domain_slugs() {
        use poem_openapi::types::ToJSON;
        let all = [
            ProblemCode::Required,
            ProblemCode::Blank,
            ProblemCode::TooLong,
            ProblemCode::TooShort,
            ProblemCode::OutOfRange,
            ProblemCode::InvalidFormat,
            ProblemCode::InvalidValue,
            ProblemCode::NotAllowed,
            ProblemCode::Duplicate,
            ProblemCode::TooMany,
            ProblemCode::TooFew,
            ProblemCode::InvalidOrder,
            ProblemCode::InvalidStructure,
            ProblemCode::MailboxNotFound,
            ProblemCode::AgentNotFound,
            ProblemCode::UnknownField,
            ProblemCode::InvalidType,
        ];
        for code in all {
            assert_eq!(
                ProblemCodeDto::from(code).to_json(),
                Some(serde_json::Value::from(code.as_str())),
                "{code:?}"
            );
        }
    }

    #[test]
    fn framework_errors_are_mapped_by_type() {
        let cases: Vec<(poem::Error, u16, &str)> = vec![
            (NotFoundError.into(), 404, "NOT_FOUND"),
            (MethodNotAllowedError.into(), 405, "METHOD_NOT_ALLOWED"),
            (
                ContentTypeError::ExpectContentType.into(),
                415,
                "UNSUPPORTED_MEDIA_TYPE",
            ),
            (
                ContentTypeError::NotSupported {
                    content_type: "text/plain".to_owned(),
                }
                .into(),
                415,
                "UNSUPPORTED_MEDIA_TYPE",
            ),
            (
                ReadBodyError::PayloadTooLarge.into(),
                413,
                "PAYLOAD_TOO_LARGE",
            ),
            (
                ParseRequestPayloadError {
                    reason: "x".to_owned(),
                }
                .into(),
                400,
                "MALFORMED_JSON",
            ),
            (
                ParseParamError {
                    name: "limit",
                    reason: "x".to_owned(),
                }
                .into(),
                400,
                "VALIDATION_FAILED",
            ),
            (AuthorizationError.into(), 401, "UNAUTHORIZED"),
            (ApiError::forbidden("no").into(), 403, "FORBIDDEN"),
            (
                poem::Error::from_status(StatusCode::BAD_GATEWAY),
                500,
                "INTERNAL",
            ),
        ];
        for (error, status, code) in cases {
            let mapped = envelope(ApiError::from_poem(error));
            assert_eq!(mapped["code"], status, "{mapped}");
            assert_eq!(mapped["errorCode"], code, "{mapped}");
            assert_eq!(mapped["success"], false);
        }
    }

    #[test]
    fn an_internal_error_never_shows_its_cause() {
        let cause = anyhow::anyhow!("INSERT INTO campaigns failed: syntax error near SELECT")
            .context("storing campaign");
        let body = envelope(ApiError::internal(&cause)).to_string();
        assert!(!body.contains("INSERT"), "{body}");
        assert!(!body.contains("storing"), "{body}");
        assert!(body.contains("\"errorCode\":\"INTERNAL\""), "{body}");
    }
}

//! `Idempotency-Key` on every POST: a retry of a request that succeeded is answered with the first
//! answer, replayed, instead of running again.
//!
//! The rules live in `application::use_cases::idempotent_requests`; this middleware reads the key,
//! takes the caller that `auth::Authentication` found (a key is only ever replayed to a caller whose
//! credential works, and belongs to that caller and workspace), fingerprints the request (method, path, body), and
//! records the answer. A keyed body is read whole before its route, up to the largest JSON bound
//! (`MAX_IMPORT_BODY_BYTES`), except a `multipart/form-data` one (a CSV import, up to 50 MiB): that is
//! hashed while it is copied to an anonymous temporary file, and the route reads the copy, so memory
//! does not grow with it. A request without the header, or whose credential does not authenticate,
//! passes through untouched: the route answers it as ever.
//!
//! The key a request holds reaches its operation through [`IdempotencyKeyHeader`], the extractor that
//! also declares the header in the document. An operation that stores its answer with its work (a
//! campaign create, in the campaign's transaction) says so on the [`HeldIdempotencyKey`], and the
//! middleware then records nothing more.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use application::ports::{IdempotencyScope, KeyCompletion, RecordedResponse, RequestFingerprint};
use application::use_cases::authenticate::Caller;
use application::use_cases::idempotent_requests::{
    Admission, HeldKey, IdempotencyKey, InvalidIdempotencyKey, MAX_KEY_LENGTH,
};
use poem::error::ResponseError;
use poem::http::header::{CONTENT_TYPE, LOCATION};
use poem::http::{HeaderValue, Method, StatusCode};
use poem::{Body, Endpoint, IntoResponse, Middleware, Request, RequestBody, Response};
use poem_openapi::registry::{MetaParamIn, MetaSchema, MetaSchemaRef};
use poem_openapi::{ApiExtractor, ApiExtractorType, ExtractParamOptions};
use sha2::{Digest, Sha256};

use crate::auth::{Authenticated, named_workspace};
use crate::body::read_bounded;
use crate::csv_form::{MAX_CSV_FORM_BYTES, is_multipart, upload_broke};
use crate::error::ApiError;
use crate::location;
use crate::request_body::MAX_IMPORT_BODY_BYTES;
use crate::state::AppState;

pub(crate) const IDEMPOTENCY_KEY_HEADER: &str = "Idempotency-Key";
/// Set (to `true`) on an answer that is a replay of a first run's.
pub(crate) const REPLAYED_HEADER: &str = "Idempotent-Replayed";

/// How long a retry waits for the first run of its request to finish before it is told to come back;
/// at most half the request deadline, so that it is told before the deadline stops it.
const IN_FLIGHT_WAIT: Duration = Duration::from_secs(5);
/// How often a waiting retry looks again.
const IN_FLIGHT_POLL: Duration = Duration::from_millis(25);

/// The middleware; see the module documentation.
pub(crate) struct Idempotency {
    state: Arc<AppState>,
}

impl std::fmt::Debug for Idempotency {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Idempotency").finish_non_exhaustive()
    }
}

impl Idempotency {
    pub(crate) fn new(state: Arc<AppState>) -> Self {
        Self { state }
    }
}

impl<E: Endpoint> Middleware<E> for Idempotency {
    type Output = IdempotencyEndpoint<E>;

    fn transform(&self, inner: E) -> Self::Output {
        IdempotencyEndpoint {
            inner,
            state: self.state.clone(),
        }
    }
}

pub(crate) struct IdempotencyEndpoint<E> {
    inner: E,
    state: Arc<AppState>,
}

impl<E> std::fmt::Debug for IdempotencyEndpoint<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IdempotencyEndpoint")
            .finish_non_exhaustive()
    }
}

impl<E: Endpoint> IdempotencyEndpoint<E> {
    async fn pass(&self, request: Request) -> poem::Result<Response> {
        self.inner
            .call(request)
            .await
            .map(IntoResponse::into_response)
    }

    /// Runs the request holding its key, and records the answer unless the route stored it with its
    /// work.
    async fn run(&self, mut request: Request, held: HeldKey) -> poem::Result<Response> {
        let handed = HeldIdempotencyKey::new(held.clone());
        request.set_data(handed.clone());
        let answered = self.inner.call(request).await;
        if handed.is_answer_stored() {
            // The key was completed in the route's own transaction: nothing is left to record.
            return answered.map(IntoResponse::into_response);
        }
        let requests = &self.state.idempotent_requests;
        let response = match answered {
            Ok(output) => output.into_response(),
            Err(error) => {
                release_quietly(requests.abandon(held).await);
                return Err(error);
            }
        };
        let (parts, body) = response.into_parts();
        let body = match body.into_bytes().await {
            Ok(body) => body,
            Err(error) => {
                release_quietly(requests.abandon(held).await);
                return Err(error.into());
            }
        };
        let recorded = RecordedResponse {
            status: parts.status.as_u16(),
            content_type: parts
                .headers
                .get(CONTENT_TYPE)
                .and_then(|value| value.to_str().ok())
                .unwrap_or_default()
                .to_owned(),
            body: body.to_vec(),
        };
        if let Err(error) = requests.finish(held, recorded).await {
            // The work is done and the client gets its answer; only a replay of it is lost.
            tracing::error!(error = %format!("{error:#}"), "recording an idempotent answer failed");
        }
        Ok(Response::from_parts(parts, Body::from_bytes(body)))
    }
}

fn release_quietly(released: Result<(), application::ports::RepositoryError>) {
    if let Err(error) = released {
        // The key stays held until its lease ends; a retry waits for that.
        tracing::warn!(error = %format!("{error:#}"), "freeing an idempotency key failed");
    }
}

impl<E: Endpoint> Endpoint for IdempotencyEndpoint<E> {
    type Output = Response;

    async fn call(&self, mut request: Request) -> poem::Result<Response> {
        if request.method() != Method::POST {
            return self.pass(request).await;
        }
        let Some(raw_key) = request.headers().get(IDEMPOTENCY_KEY_HEADER) else {
            return self.pass(request).await;
        };
        let parsed = raw_key
            .to_str()
            .map_err(|_| InvalidIdempotencyKey)
            .and_then(|text| IdempotencyKey::parse(text.trim()));
        let key = match parsed {
            Ok(key) => key,
            Err(invalid) => return Ok(ApiError::invalid_header(invalid.to_string()).as_response()),
        };
        let Some(Ok(caller)) = Authenticated::of(&request).map(Authenticated::caller) else {
            return self.pass(request).await;
        };
        let scope = scope_of(&caller, named_workspace(&request).as_deref());
        let timeout = self.state.body_read_timeout;
        let sent = request.take_body();
        let fingerprint = if request.content_type().is_some_and(is_multipart) {
            // A CSV import's form may be 50 MiB: it is fingerprinted as it is copied to an
            // anonymous temporary file, and the route reads that copy, so a keyed import is as
            // retry-safe as any POST without being held in memory.
            let mut digest = fingerprint_start(&request);
            match spool_form(request.headers(), sent, &mut digest).await {
                Ok(copy) => request.set_body(Body::from_async_read(copy)),
                Err(refusal) => return Ok(refusal.as_response()),
            }
            RequestFingerprint::new(hex(&digest.finalize()))
        } else {
            let body =
                match read_bounded(request.headers(), sent, MAX_IMPORT_BODY_BYTES, timeout).await {
                    Ok(body) => body,
                    Err(refusal) => return Ok(refusal.as_response()),
                };
            let fingerprint = fingerprint_of(&request, body.as_ref());
            request.set_body(body.into());
            fingerprint
        };

        let requests = &self.state.idempotent_requests;
        let in_flight_wait = IN_FLIGHT_WAIT.min(self.state.request_timeout / 2);
        let mut waited = Duration::ZERO;
        loop {
            let admission = requests
                .admit(scope.clone(), key.clone(), &fingerprint)
                .await
                .map_err(|error| ApiError::internal(&error.into()))?;
            match admission {
                Admission::Proceed(held) => return self.run(request, held).await,
                Admission::Replay(recorded) => {
                    return Ok(replay(recorded, request.uri().path()));
                }
                Admission::KeyReused => {
                    return Ok(ApiError::idempotency_key_reused().as_response());
                }
                Admission::InFlight if waited < in_flight_wait => {
                    tokio::time::sleep(IN_FLIGHT_POLL).await;
                    waited += IN_FLIGHT_POLL;
                }
                Admission::InFlight => {
                    return Ok(ApiError::idempotent_request_in_flight().as_response());
                }
            }
        }
    }
}

/// Whose keys these are: the user behind the credential, in the workspace the request acts in.
fn scope_of(caller: &Caller, named_workspace: Option<&str>) -> IdempotencyScope {
    let mut digest = Sha256::new();
    digest.update(caller.user_id.to_string());
    digest.update([0]);
    if let Some(own) = caller.key_workspace {
        digest.update(own.to_string());
    }
    // An empty `X-Workspace-Id` is not an absent one: the route refuses the first and not the second.
    match named_workspace {
        None => digest.update([0]),
        Some(named) => {
            digest.update([1]);
            digest.update(named);
        }
    }
    IdempotencyScope::new(hex(&digest.finalize()))
}

/// What the request is: its method, path (with query) and body.
fn fingerprint_of(request: &Request, body: &[u8]) -> RequestFingerprint {
    let mut digest = fingerprint_start(request);
    digest.update(body);
    RequestFingerprint::new(hex(&digest.finalize()))
}

/// The fingerprint's digest up to the body: its method and path (with query).
fn fingerprint_start(request: &Request) -> Sha256 {
    let mut digest = Sha256::new();
    digest.update(request.method().as_str());
    digest.update([0]);
    digest.update(
        request
            .uri()
            .path_and_query()
            .map(|path| path.as_str())
            .unwrap_or_default(),
    );
    digest.update([0]);
    digest
}

/// Copies a `multipart/form-data` body to an anonymous temporary file (rewound), adding its bytes
/// to `digest`: at most [`MAX_CSV_FORM_BYTES`], as declared or as counted (more: 413); a failed copy
/// is a 500. The request deadline bounds how long it may take.
async fn spool_form(
    headers: &poem::http::HeaderMap,
    body: Body,
    digest: &mut Sha256,
) -> Result<tokio::fs::File, ApiError> {
    use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};

    let declared_length = headers
        .get(poem::http::header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.trim().parse::<u64>().ok());
    let too_large = || ApiError::payload_too_large(MAX_CSV_FORM_BYTES as usize);
    if declared_length.is_some_and(|length| length > MAX_CSV_FORM_BYTES) {
        return Err(too_large());
    }
    let failed = |error: std::io::Error| {
        ApiError::internal(
            &anyhow::Error::new(error).context("copying a keyed form to a temporary file"),
        )
    };
    let anonymous = tokio::task::spawn_blocking(tempfile::tempfile)
        .await
        .map_err(|join| ApiError::internal(&anyhow::Error::new(join)))?
        .map_err(failed)?;
    let mut copy = tokio::fs::File::from_std(anonymous);
    let mut sent = body.into_async_read();
    let mut chunk = vec![0; 64 * 1024];
    let mut size: u64 = 0;
    loop {
        let read = sent.read(&mut chunk).await.map_err(upload_broke)?;
        if read == 0 {
            break;
        }
        size += read as u64;
        if size > MAX_CSV_FORM_BYTES {
            return Err(too_large());
        }
        digest.update(&chunk[..read]);
        copy.write_all(&chunk[..read]).await.map_err(failed)?;
    }
    copy.flush().await.map_err(failed)?;
    copy.rewind().await.map_err(failed)?;
    Ok(copy)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// The first run's answer to a POST on `path`, again; a 201's `Location` is derived from the path and
/// the recorded body as the operation built it (the record keeps no headers).
fn replay(recorded: RecordedResponse, path: &str) -> Response {
    let status = StatusCode::from_u16(recorded.status).unwrap_or(StatusCode::OK);
    let mut response = Response::builder().status(status);
    if let Ok(content_type) = HeaderValue::from_str(&recorded.content_type) {
        response = response.header(CONTENT_TYPE, content_type);
    }
    if status == StatusCode::CREATED
        && let Ok(location) = HeaderValue::from_str(&location::of_recorded(path, &recorded.body))
    {
        response = response.header(LOCATION, location);
    }
    response
        .header(REPLAYED_HEADER, "true")
        .body(Body::from_vec(recorded.body))
}

/// The `Idempotency-Key` a request holds while it runs, handed by the middleware to the operation in
/// the request's data.
#[derive(Debug, Clone)]
pub(crate) struct HeldIdempotencyKey(Arc<Handed>);

#[derive(Debug)]
struct Handed {
    key: HeldKey,
    /// Whether the operation stored its answer with its work.
    answer_stored: AtomicBool,
}

impl HeldIdempotencyKey {
    fn new(key: HeldKey) -> Self {
        Self(Arc::new(Handed {
            key,
            answer_stored: AtomicBool::new(false),
        }))
    }

    /// The key's completion with `response`, for a write that stores it with its work
    /// (`CreateCampaign::execute_answering`).
    pub(crate) fn completion(&self, response: RecordedResponse) -> KeyCompletion {
        self.0.key.completion(response)
    }

    /// Says that the write storing the completion committed: the middleware records nothing more.
    pub(crate) fn answer_stored(&self) {
        self.0.answer_stored.store(true, Ordering::Release);
    }

    fn is_answer_stored(&self) -> bool {
        self.0.answer_stored.load(Ordering::Acquire)
    }
}

/// A POST's optional `Idempotency-Key` header. It declares the header in the OpenAPI document; the
/// middleware does the work before the operation runs, and extracting it yields the key the request
/// holds: `None` without the header, or when the middleware let the request through untouched.
#[derive(Debug, Clone)]
pub(crate) struct IdempotencyKeyHeader(pub(crate) Option<HeldIdempotencyKey>);

impl<'a> ApiExtractor<'a> for IdempotencyKeyHeader {
    const TYPES: &'static [ApiExtractorType] = &[ApiExtractorType::Parameter];
    const PARAM_IS_REQUIRED: bool = false;

    type ParamType = ();
    type ParamRawType = ();

    fn param_in() -> Option<MetaParamIn> {
        Some(MetaParamIn::Header)
    }

    fn param_schema_ref() -> Option<MetaSchemaRef> {
        Some(MetaSchemaRef::Inline(Box::new(MetaSchema {
            description: Some(
                "Makes a retry safe: the first success with this key is kept for 24 hours and \
                 replayed (with `Idempotent-Replayed: true`) for a retry with the same key, method, \
                 path and body, instead of running again. The same key with a different request is \
                 422 IDEMPOTENCY_KEY_REUSED; while the first request still runs, a retry waits up to \
                 5 s (at most half the request deadline) for its answer, then gets 409 CONFLICT with \
                 Retry-After. A refusal or failure is \
                 not kept: the key may be used again. Keys belong to the caller and workspace. \
                 1 to 255 printable ASCII characters (a UUID is the usual choice).",
            ),
            min_length: Some(1),
            max_length: Some(MAX_KEY_LENGTH),
            pattern: Some("^[\\x20-\\x7E]+$".to_owned()),
            ..MetaSchema::new("string")
        })))
    }

    async fn from_request(
        request: &'a Request,
        _body: &mut RequestBody,
        _param_opts: ExtractParamOptions<Self::ParamType>,
    ) -> poem::Result<Self> {
        Ok(Self(request.data::<HeldIdempotencyKey>().cloned()))
    }
}

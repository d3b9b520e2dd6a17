//! The JSON request body, read raw.
//!
//! The contract wants every problem of a body reported at once, wrong JSON types and unknown fields
//! included; poem-openapi's own `Json<T>` stops at the first. So [`JsonBody<T>`] reads the body as a
//! plain `serde_json::Value` (after checking its content type and size) and hands it to the handler,
//! which reads it as `T` with [`JsonBody::read`] (see `crate::request_body`), or, for a merge patch,
//! takes the value as sent. The OpenAPI document shows the request body as `T`.

use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

use domain::problem::Problems;
use poem::error::ReadBodyError;
use poem::http::HeaderMap;
use poem::http::header::CONTENT_LENGTH;
use poem::{Body, Request, RequestBody};
use poem_openapi::payload::{ParsePayload, Payload};
use poem_openapi::registry::{MetaMediaType, MetaRequest, MetaSchemaRef, Registry};
use poem_openapi::{ApiExtractor, ApiExtractorType, ExtractParamOptions};
use serde_json::Value;

use crate::error::ApiError;
use crate::json_document::{self, BodyOrder};
use crate::request_body::{self, DeclaredBody, DocumentedBody, register_documented};
use crate::state::AppState;

/// The body, whole: refused past `max_bytes` (as declared, or counted as it arrives, for a chunked
/// body) and when it has not all arrived within `timeout` (a client trickling bytes must not hold a
/// worker).
pub(crate) async fn read_bounded(
    headers: &HeaderMap,
    body: Body,
    max_bytes: usize,
    timeout: Duration,
) -> Result<impl AsRef<[u8]> + Into<Body>, ApiError> {
    let declared_length = headers
        .get(CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.trim().parse::<u64>().ok());
    if declared_length.is_some_and(|length| length > max_bytes as u64) {
        return Err(ApiError::payload_too_large(max_bytes));
    }
    match tokio::time::timeout(timeout, body.into_bytes_limit(max_bytes)).await {
        Ok(Err(ReadBodyError::PayloadTooLarge)) => Err(ApiError::payload_too_large(max_bytes)),
        Ok(read) => read.map_err(|error| ApiError::from_poem(error.into())),
        Err(_) => Err(ApiError::request_timeout(timeout)),
    }
}

/// How long the request's body may take to arrive, as the server was configured.
pub(crate) fn body_read_timeout(request: &Request) -> Duration {
    request
        .data::<Arc<AppState>>()
        .map_or(crate::state::DEFAULT_BODY_READ_TIMEOUT, |state| {
            state.body_read_timeout
        })
}

/// A JSON request body documented as `T` and delivered as the raw JSON value, with a problem for each
/// member name it repeats within one object.
pub struct JsonBody<T> {
    value: Value,
    duplicates: Problems,
    order: BodyOrder,
    schema: PhantomData<fn() -> T>,
}

impl<T> std::fmt::Debug for JsonBody<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("JsonBody").field(&self.value).finish()
    }
}

impl<T> JsonBody<T> {
    /// The body as sent, parsed as JSON and nothing more.
    pub fn value(&self) -> &Value {
        &self.value
    }

    /// A `duplicate_key` problem for each member name repeated within one object (the last is kept).
    pub fn duplicates(&self) -> &Problems {
        &self.duplicates
    }

    /// The body as sent, to answer its problems in its order ([`ApiError::in_body_order`]).
    pub fn order(&self) -> BodyOrder {
        self.order.clone()
    }
}

impl<T: DeclaredBody> JsonBody<T> {
    /// The body read as `T`'s domain request, with every shape problem found in it.
    pub fn read(self) -> (T::Request, Problems) {
        let (request, problems) = request_body::read::<T>(self.value);
        (request, self.duplicates.followed_by(problems))
    }
}

/// The 400 the reader gives `body` read as `T`: the document's example of a refused body.
pub(crate) fn refused<T: DeclaredBody>(body: Value) -> ApiError {
    let (_, problems) = request_body::read::<T>(body);
    ApiError::validation(&problems)
}

/// Whether a `Content-Type` is JSON: `application/json` or `application/<something>+json`, any parameters.
fn is_json(content_type: &str) -> bool {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    match essence.split_once('/') {
        Some(("application", subtype)) => subtype == "json" || subtype.ends_with("+json"),
        _ => false,
    }
}

impl<T: DocumentedBody> Payload for JsonBody<T> {
    const CONTENT_TYPE: &'static str = "application/json";

    fn check_content_type(content_type: &str) -> bool {
        is_json(content_type)
    }

    fn schema_ref() -> MetaSchemaRef {
        T::schema_ref()
    }

    fn register(registry: &mut Registry) {
        register_documented::<T>(registry);
    }
}

impl<T: DocumentedBody> ParsePayload for JsonBody<T> {
    const IS_REQUIRED: bool = true;

    async fn from_request(request: &Request, body: &mut RequestBody) -> poem::Result<Self> {
        let bytes = read_bounded(
            request.headers(),
            body.take()?,
            T::MAX_BYTES,
            body_read_timeout(request),
        )
        .await?;
        let (value, duplicates) = parse(bytes.as_ref())?;
        Ok(Self {
            value,
            duplicates,
            order: BodyOrder::of(bytes.as_ref()),
            schema: PhantomData,
        })
    }
}

/// The body as JSON with its repeated member names, or 400 `MALFORMED_JSON` saying where it breaks.
fn parse(bytes: &[u8]) -> Result<(Value, Problems), ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::malformed_json(
            "the request body is empty; send a JSON object",
        ));
    }
    json_document::parse(bytes).map_err(|error| {
        ApiError::malformed_json(format!("the request body is not valid JSON: {error}"))
    })
}

impl<'a, T: DocumentedBody> ApiExtractor<'a> for JsonBody<T> {
    const TYPES: &'static [ApiExtractorType] = &[ApiExtractorType::RequestObject];

    type ParamType = ();
    type ParamRawType = ();

    fn register(registry: &mut Registry) {
        <Self as Payload>::register(registry);
    }

    fn request_meta() -> Option<MetaRequest> {
        Some(MetaRequest {
            description: None,
            content: vec![MetaMediaType {
                content_type: <Self as Payload>::CONTENT_TYPE,
                schema: <Self as Payload>::schema_ref(),
            }],
            required: <Self as ParsePayload>::IS_REQUIRED,
        })
    }

    async fn from_request(
        request: &'a Request,
        body: &mut RequestBody,
        _param_opts: ExtractParamOptions<Self::ParamType>,
    ) -> poem::Result<Self> {
        match request.content_type() {
            Some(content_type) if is_json(content_type) => {
                <Self as ParsePayload>::from_request(request, body).await
            }
            other => Err(ApiError::unsupported_media_type(other).into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_content_types_are_recognised_with_parameters_and_suffixes() {
        for accepted in [
            "application/json",
            "application/json; charset=utf-8",
            "Application/JSON",
            "application/merge-patch+json",
        ] {
            assert!(is_json(accepted), "{accepted}");
        }
        for refused in [
            "text/plain",
            "application/x-www-form-urlencoded",
            "multipart/form-data",
            "application/jsonp",
            "json",
            "",
        ] {
            assert!(!is_json(refused), "{refused}");
        }
    }

    #[test]
    fn an_empty_or_broken_body_is_malformed_json() {
        for body in [
            &b""[..],
            b"  \n",
            b"{\"name\": ",
            b"{'name': 'x'}",
            b"\xff\xfe",
        ] {
            let error = parse(body).expect_err("not JSON");
            assert_eq!(error.code(), crate::error::ErrorCode::MalformedJson);
        }
    }

    #[test]
    fn any_json_value_is_delivered_as_sent() {
        assert_eq!(
            parse(b"[1, 2]").ok().map(|(value, _)| value),
            Some(serde_json::json!([1, 2]))
        );
        assert_eq!(
            parse(b"null").ok().map(|(value, _)| value),
            Some(Value::Null)
        );
    }
}

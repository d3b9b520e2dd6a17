//! Request ids and tracing.
//!
//! Every request runs inside a `request` span carrying its id: the client's `X-Request-Id` when it is
//! a reasonable token, else a fresh ObjectId-layout id. The id is echoed in the response's
//! `X-Request-Id`, so a client can quote it and an operator can find the request's log lines.

use std::io::IsTerminal as _;
use std::sync::Arc;
use std::time::Instant;

use application::ports::IdGenerator;
use poem::http::HeaderValue;
use poem::{Endpoint, IntoResponse, Middleware, Request, Response};
use tracing::Instrument;
use tracing_subscriber::EnvFilter;

pub(crate) const REQUEST_ID_HEADER: &str = "X-Request-Id";
const MAX_REQUEST_ID_CHARS: usize = 128;

/// The id of the request being served, in the request's data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RequestId(pub String);

/// Whether a client-sent request id can be used as is: 1–128 characters of `A-Z a-z 0-9 . _ : -`
/// (nothing that could forge a log line or a header).
fn acceptable(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_REQUEST_ID_CHARS
        && id
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'.' | b'_' | b':' | b'-'))
}

/// The middleware that gives every request its id and span.
pub(crate) struct RequestTracing {
    ids: Arc<dyn IdGenerator>,
}

impl std::fmt::Debug for RequestTracing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RequestTracing").finish_non_exhaustive()
    }
}

impl RequestTracing {
    pub(crate) fn new(ids: Arc<dyn IdGenerator>) -> Self {
        Self { ids }
    }
}

impl<E: Endpoint> Middleware<E> for RequestTracing {
    type Output = RequestTracingEndpoint<E>;

    fn transform(&self, inner: E) -> Self::Output {
        RequestTracingEndpoint {
            inner,
            ids: self.ids.clone(),
        }
    }
}

pub(crate) struct RequestTracingEndpoint<E> {
    inner: E,
    ids: Arc<dyn IdGenerator>,
}

impl<E> std::fmt::Debug for RequestTracingEndpoint<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RequestTracingEndpoint")
            .finish_non_exhaustive()
    }
}

impl<E: Endpoint> Endpoint for RequestTracingEndpoint<E> {
    type Output = Response;

    async fn call(&self, mut request: Request) -> poem::Result<Response> {
        let id = request
            .headers()
            .get(REQUEST_ID_HEADER)
            .and_then(|value| value.to_str().ok())
            .map(str::trim)
            .filter(|id| acceptable(id))
            .map(str::to_owned)
            .unwrap_or_else(|| self.ids.new_id().to_string());
        let span = tracing::info_span!(
            "request",
            request_id = %id,
            method = %request.method(),
            path = %request.uri().path(),
            client = tracing::field::Empty,
            workspace = tracing::field::Empty,
        );
        request.set_data(RequestId(id.clone()));
        let started = Instant::now();
        let result = self.inner.call(request).instrument(span.clone()).await;
        let mut response = match result {
            Ok(output) => output.into_response(),
            Err(error) => error.into_response(),
        };
        span.in_scope(|| {
            tracing::info!(
                status = response.status().as_u16(),
                elapsed_ms = started.elapsed().as_millis() as u64,
                "request finished"
            );
        });
        if let Ok(value) = HeaderValue::from_str(&id) {
            response.headers_mut().insert(REQUEST_ID_HEADER, value);
        }
        Ok(response)
    }
}

/// How log lines are written (`--log-format`, `SENDLINE_LOG_FORMAT`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum LogFormat {
    /// One line per event for people; coloured only when stderr is a terminal.
    Text,
    /// One JSON object per line, for log shippers; never coloured.
    Json,
}

/// Logs to stderr in `format`, filtered by `RUST_LOG` (default: `info`, with the database drivers'
/// per-query lines at `warn`). Leaves stdout to the commands' output.
pub(crate) fn init_for_binary(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn,sea_orm_migration=warn"));
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Text => logs.with_ansi(colour_stderr()).try_init(),
        LogFormat::Json => logs.json().with_ansi(false).try_init(),
    };
}

/// Whether log lines on stderr may carry colour codes: only for a terminal (a file or a pipe would
/// keep the escape codes), and not when `NO_COLOR` is set to anything (no-color.org).
fn colour_stderr() -> bool {
    std::io::stderr().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|value| value.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasonable_client_request_ids_are_kept_and_others_replaced() {
        for kept in ["abc-123", "3f2b.a:b_c", &"x".repeat(128)] {
            assert!(acceptable(kept), "{kept}");
        }
        for replaced in ["", "has space", "line\nbreak", &"x".repeat(129), "ünï"] {
            assert!(!acceptable(replaced), "{replaced:?}");
        }
    }
}

//! Bounds on a request's head: a URL longer than [`MAX_URI_BYTES`] is answered 414 and headers larger
//! than [`MAX_HEADER_BYTES`] 431, in the error envelope.
//!
//! These bounds are far below hyper's own, so nearly every refusal is answered here, inside the rate
//! limits and with a request id, as every other error is. hyper refuses heads past its limits (a
//! request line over 64 KiB, a head over ~400 KiB, more than 100 headers, or one it cannot parse)
//! before any poem code runs, and poem exposes no HTTP/1 setting to move them: those answers are put
//! in the same envelope on their way out, by the connection's stream (src/hyper_refusals.rs).

use poem::error::ResponseError;
use poem::http::{HeaderMap, Uri};
use poem::{Endpoint, IntoResponse, Request, Response};

use crate::error::ApiError;
use crate::state::{MAX_HEADER_BYTES, MAX_URI_BYTES};

/// Installed around the application (`Endpoint::around`): refuses a head past the bounds.
pub(crate) async fn bounded_head<E: Endpoint>(next: E, request: Request) -> poem::Result<Response> {
    match refusal(request.uri(), request.headers()) {
        Some(refused) => Ok(refused.as_response()),
        None => next.call(request).await.map(IntoResponse::into_response),
    }
}

/// Why a head is refused, if it is.
fn refusal(uri: &Uri, headers: &HeaderMap) -> Option<ApiError> {
    let target = uri
        .path_and_query()
        .map_or(uri.path().len(), |target| target.as_str().len());
    if target > MAX_URI_BYTES {
        return Some(ApiError::uri_too_long(MAX_URI_BYTES));
    }
    let header_bytes: usize = headers
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len())
        .sum();
    (header_bytes > MAX_HEADER_BYTES).then(|| ApiError::headers_too_large(MAX_HEADER_BYTES))
}

#[cfg(test)]
mod tests {
    use poem::http::HeaderValue;

    use super::*;

    fn uri_of(length: usize) -> Uri {
        let path = format!("/{}", "a".repeat(length - 1));
        path.parse().expect("a path")
    }

    #[test]
    fn a_url_is_refused_only_past_the_bound() {
        let headers = HeaderMap::new();
        assert_eq!(refusal(&uri_of(MAX_URI_BYTES), &headers), None);
        let refused = refusal(&uri_of(MAX_URI_BYTES + 1), &headers).expect("refused");
        assert_eq!(refused.status().as_u16(), 414);
    }

    #[test]
    fn headers_are_refused_only_past_the_bound_counting_names_and_values() {
        let mut headers = HeaderMap::new();
        let name_length = "x-padding".len();
        let value = "v".repeat(MAX_HEADER_BYTES - name_length);
        headers.insert("x-padding", HeaderValue::from_str(&value).expect("a value"));
        assert_eq!(refusal(&uri_of(1), &headers), None);
        headers.insert("x", HeaderValue::from_static(""));
        let refused = refusal(&uri_of(1), &headers).expect("refused");
        assert_eq!(refused.status().as_u16(), 431);
    }
}

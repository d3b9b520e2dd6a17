//! `Allow` on every 405 (RFC 9110 requires it): the methods the document declares for the path.

use std::sync::LazyLock;

use poem::http::HeaderValue;
use poem::http::header::ALLOW;
use poem::http::{Method, StatusCode};
use poem::{Endpoint, IntoResponse, Request, Response};

/// Each documented path, as its segments (`None` for a `{parameter}`), with its methods.
type Routes = Vec<(Vec<Option<String>>, String)>;

static ROUTES: LazyLock<Routes> = LazyLock::new(|| {
    let document: serde_json::Value =
        serde_json::from_str(&crate::openapi::api_service().spec()).unwrap_or_default();
    let Some(paths) = document["paths"].as_object() else {
        return Vec::new();
    };
    paths
        .iter()
        .map(|(path, operations)| {
            let segments = path
                .split('/')
                .map(|segment| {
                    (!(segment.starts_with('{') && segment.ends_with('}')))
                        .then(|| segment.to_owned())
                })
                .collect();
            let mut methods: Vec<String> = operations
                .as_object()
                .into_iter()
                .flat_map(|operations| operations.keys())
                .map(|method| method.to_ascii_uppercase())
                .collect();
            // poem answers HEAD wherever it answers GET.
            if methods.iter().any(|method| method == Method::GET.as_str()) {
                methods.push(Method::HEAD.to_string());
            }
            (segments, methods.join(", "))
        })
        .collect()
});

/// The methods of the documented path that `path` is an instance of.
pub(crate) fn allowed_methods(path: &str) -> Option<&'static str> {
    let segments: Vec<&str> = path.split('/').collect();
    ROUTES
        .iter()
        .find(|(template, _)| {
            template.len() == segments.len()
                && template.iter().zip(&segments).all(|(expected, segment)| {
                    expected.as_deref().is_none_or(|name| name == *segment)
                })
        })
        .map(|(_, methods)| methods.as_str())
}

/// Wraps `endpoint` so that its 405 answers say which methods the path takes.
pub(crate) async fn with_allow_header<E: Endpoint>(
    endpoint: E,
    request: Request,
) -> poem::Result<Response> {
    let path = request.uri().path().to_owned();
    let mut response = endpoint.call(request).await?.into_response();
    if response.status() == StatusCode::METHOD_NOT_ALLOWED
        && let Some(methods) = allowed_methods(&path)
        && let Ok(value) = HeaderValue::from_str(methods)
    {
        response.headers_mut().insert(ALLOW, value);
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_is_matched_to_its_documented_template_and_its_methods() {
        assert_eq!(allowed_methods("/healthz"), Some("GET, HEAD"));
        let campaign =
            allowed_methods("/v1/campaigns/6650a1b2c3d4e5f6a7b8c9d0").unwrap_or_default();
        for method in ["GET", "PATCH", "DELETE", "HEAD"] {
            assert!(campaign.split(", ").any(|m| m == method), "{campaign}");
        }
        assert_eq!(allowed_methods("/v1/campaigns/x/start"), Some("POST"));
        assert_eq!(allowed_methods("/v1/nothing/here"), None);
    }
}

//! `Location` on a 201: the path of the resource the request created. An operation answers
//! [`Created`], built with [`created`]; a replay of its answer (`crate::idempotency`, which keeps the
//! status, content type and body) derives the same path again with [`of_recorded`].

use std::fmt::Display;

use poem::http::HeaderValue;
use poem::http::header::LOCATION;
use poem::{IntoResponse, Response};
use poem_openapi::ApiResponse;
use poem_openapi::registry::{MetaHeader, MetaResponses, Registry};
use poem_openapi::types::Type;
use serde_json::Value;

/// A create's answer `T` (its 201) with the `Location` of what it created, declared in the document.
#[derive(Debug)]
pub(crate) struct Created<T> {
    answer: T,
    location: String,
}

impl<T> Created<T> {
    pub(crate) fn new(answer: T, location: String) -> Self {
        Self { answer, location }
    }
}

impl<T: IntoResponse> IntoResponse for Created<T> {
    fn into_response(self) -> Response {
        let mut response = self.answer.into_response();
        if let Ok(location) = HeaderValue::from_str(&self.location) {
            response.headers_mut().insert(LOCATION, location);
        }
        response
    }
}

impl<T: ApiResponse> ApiResponse for Created<T> {
    fn meta() -> MetaResponses {
        let mut meta = T::meta();
        for response in &mut meta.responses {
            response.headers.push(MetaHeader {
                name: LOCATION_HEADER.to_owned(),
                description: Some(
                    "The path of the created resource (`/v1/campaigns/{id}`, `/v1/mailboxes/{id}`…), \
                     on a replay too."
                        .to_owned(),
                ),
                required: true,
                deprecated: false,
                schema: String::schema_ref(),
            });
        }
        meta
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
    }
}

/// The header's name as the document spells it.
const LOCATION_HEADER: &str = "Location";

/// The path of the resource that a POST on `collection` created with `id`.
pub(crate) fn created(collection: &str, id: impl Display) -> String {
    format!("{collection}/{id}")
}

/// The `Location` of a recorded 201 answer to a POST on `path`, as its operation built it: [`created`]
/// with the id the answer's `data` carries (`_id`; a workspace's `id`), or, for an answer without one
/// (a workspace key, which lives at the path that made it), the path itself.
pub(crate) fn of_recorded(path: &str, body: &[u8]) -> String {
    let answer: Value = serde_json::from_slice(body).unwrap_or_default();
    let data = &answer["data"];
    match data["_id"].as_str().or_else(|| data["id"].as_str()) {
        Some(id) => created(path, id),
        None => path.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_recorded_answer_names_the_resource_its_id_is_in() {
        let campaign = br#"{"success": true, "data": {"_id": "665f1c2e9b1d4a0012345678"}}"#;
        assert_eq!(
            of_recorded("/v1/campaigns", campaign),
            created("/v1/campaigns", "665f1c2e9b1d4a0012345678")
        );
        let workspace = br#"{"success": true, "data": {"id": "665f1c2e9b1d4a0012345678"}}"#;
        assert_eq!(
            of_recorded("/v1/workspaces", workspace),
            "/v1/workspaces/665f1c2e9b1d4a0012345678"
        );
        let key = br#"{"success": true, "data": {"apiKey": "sk_x", "workspaceId": "665f1c2e9b1d4a0012345678"}}"#;
        assert_eq!(
            of_recorded("/v1/workspaces/665f1c2e9b1d4a0012345678/api-key", key),
            "/v1/workspaces/665f1c2e9b1d4a0012345678/api-key"
        );
    }
}

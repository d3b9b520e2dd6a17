//! Issue 17: what a new user of the API sees first — the docs at `/`, request examples that work when
//! executed, `Location` on every 201, a 401 that says where keys come from, and 414/431 in the envelope.

use reqwest::Method;
use reqwest::header::LOCATION;
use serde_json::{Value, json};

use crate::support::*;

/// The served document.
async fn document(app: &TestApp) -> Value {
    let served = app.get("/openapi.json").await;
    assert_eq!(served.status, 200);
    served.body
}

/// The example of the schema an operation's request body refers to.
fn request_example<'d>(document: &'d Value, path: &str, method: &str) -> &'d Value {
    let reference = document["paths"][path][method]["requestBody"]["content"]["application/json"]
        ["schema"]["$ref"]
        .as_str()
        .and_then(|reference| reference.strip_prefix("#/components/schemas/"))
        .unwrap_or_else(|| panic!("{method} {path} has no request body"));
    &document["components"]["schemas"][reference]["example"]
}

#[tokio::test]
async fn the_create_example_is_the_seed_body_and_is_created() {
    on_every_backend(|app| async move {
        let document = document(&app).await;
        let example = request_example(&document, "/v1/campaigns", "post");
        let seed: Value = serde_json::from_str(SEED_BODY).expect("the seed is JSON");
        assert_eq!(example, &seed);
        let created = app.post_campaign(example).await;
        assert_eq!(created.status, 201, "{}", created.text);
        assert_eq!(created.created()["name"], "Q2 Outbound - Decision Makers");
    })
    .await;
}

/// Each request example of the document, run in the document's order on a fresh server, is accepted:
/// a `{parameter}` of a path is the resource the last 201 on that collection created (its `Location`).
#[tokio::test]
async fn every_request_example_is_accepted_in_document_order() {
    on_every_backend(|app| async move {
        let document = document(&app).await;
        let mut created: Vec<String> = Vec::new();
        let mut executed = 0;
        for (path, operations) in document["paths"].as_object().into_iter().flatten() {
            for (method, operation) in operations.as_object().into_iter().flatten() {
                // The CSV import's form is not JSON and has no example; leads_csv covers it.
                let Some(body) = operation.get("requestBody") else {
                    continue;
                };
                if body["content"].get("application/json").is_none() {
                    continue;
                }
                let target = match path.split_once('{') {
                    None => path.clone(),
                    Some((collection, rest)) => {
                        let resource = created
                            .iter()
                            .rev()
                            .find(|location| location.starts_with(collection))
                            .unwrap_or_else(|| panic!("nothing created under {collection} yet"))
                            .clone();
                        let rest = rest.split_once('}').map(|(_, rest)| rest).unwrap_or("");
                        match rest.split_once('{') {
                            None => format!("{resource}{rest}"),
                            // A second parameter (a campaign lead): the first item its collection
                            // lists, such as the example before it enrolled.
                            Some((inner, _)) => {
                                let list = format!("{resource}{}", inner.trim_end_matches('/'));
                                let items = app.get_with_key(&list).await;
                                let id = items.body["data"][0]["_id"]
                                    .as_str()
                                    .unwrap_or_else(|| panic!("nothing listed at {list}"))
                                    .to_owned();
                                format!("{list}/{id}")
                            }
                        }
                    }
                };
                // Workspaces are made with a platform key; everything else acts in the workspace.
                let key = if path.starts_with("/v1/workspaces") {
                    &app.workspace.platform_key
                } else {
                    &app.workspace.workspace_key
                };
                let example = request_example(&document, path, method);
                let method =
                    Method::from_bytes(method.to_uppercase().as_bytes()).expect("a method");
                let answer = app
                    .client
                    .request(method.clone(), format!("{}{target}", app.base))
                    .header("X-Api-Key", key.as_str())
                    .header("Content-Type", "application/json")
                    .body(example.to_string())
                    .send()
                    .await
                    .expect("the server answers");
                let status = answer.status();
                if let Some(location) = answer.headers().get(LOCATION) {
                    created.push(location.to_str().expect("text").to_owned());
                }
                let text = answer.text().await.unwrap_or_default();
                if path.ends_with("/send-test-email") {
                    // A static example cannot name a mailbox of this workspace (nor reach an SMTP
                    // server): everything but its mailbox reference must be accepted.
                    let refused: Value = serde_json::from_str(&text).expect("an envelope");
                    assert_eq!(
                        refused["errorCode"], "MAILBOX_NOT_FOUND",
                        "{target}: {text}"
                    );
                    assert_eq!(
                        refused["errors"].as_array().map(Vec::len),
                        Some(1),
                        "{text}"
                    );
                } else {
                    assert!(status.is_success(), "{method} {target}: {status} {text}");
                }
                executed += 1;
            }
        }
        assert_eq!(executed, 17, "the operations with a request body");
    })
    .await;
}

#[tokio::test]
async fn get_root_redirects_to_the_docs() {
    on_every_backend(|app| async move {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("a client");
        let answer = client
            .get(format!("{}/", app.base))
            .send()
            .await
            .expect("the server answers");
        assert!(answer.status().is_redirection(), "{}", answer.status());
        assert_eq!(
            answer
                .headers()
                .get(LOCATION)
                .and_then(|value| value.to_str().ok()),
            Some("/docs")
        );
        let followed = app.get("/").await;
        assert_eq!(followed.status, 200);
        assert!(followed.text.contains("SwaggerUIBundle"));
        // Only GET (and HEAD): the root is no operation, so another method finds nothing, as before.
        app.request(Method::POST, "/", &[])
            .await
            .assert_error(404, "NOT_FOUND");
    })
    .await;
}

#[tokio::test]
async fn the_401_says_where_a_key_comes_from() {
    on_every_backend(|app| async move {
        for headers in [vec![], vec![("X-Api-Key", "sk_not_a_key")]] {
            let refused = app.request(Method::GET, "/v1/campaigns", &headers).await;
            refused.assert_error(401, "UNAUTHORIZED");
            let message = refused.body["message"].as_str().unwrap_or_default();
            for source in [
                "sendline init",
                "sendline serve --demo",
                "POST /v1/workspaces/{id}/api-key",
            ] {
                assert!(message.contains(source), "{message}");
            }
        }
    })
    .await;
}

/// `POST path` with `body`, the given key and, when given, an `Idempotency-Key`.
async fn post(
    app: &TestApp,
    path: &str,
    key: &str,
    body: &Value,
    idempotency: Option<&str>,
) -> TestResponse {
    let mut headers = vec![("X-Api-Key", key), ("Content-Type", "application/json")];
    if let Some(idempotency) = idempotency {
        headers.push(("Idempotency-Key", idempotency));
    }
    app.post_raw(path, body.to_string(), &headers).await
}

/// The `Location` of a 201, which must name the resource the body describes.
#[track_caller]
fn location_of(answer: &TestResponse, expected: &str) -> String {
    assert_eq!(answer.status, 201, "{}", answer.text);
    let location = answer.header("location").expect("a Location").to_owned();
    assert_eq!(location, expected);
    location
}

#[tokio::test]
async fn a_201_names_the_new_resource_in_location_and_a_replay_names_it_again() {
    on_every_backend(|app| async move {
        let workspace_key = app.workspace.workspace_key.clone();
        let platform_key = app.workspace.platform_key.clone();
        // Each create, without and then with an Idempotency-Key (answered twice: once run, once
        // replayed from the stored record).
        let creates = [
            (
                "/v1/campaigns",
                &workspace_key,
                json!({"name": "Located"}),
                "_id",
            ),
            (
                "/v1/mailboxes",
                &workspace_key,
                json!({"email": "located@example.com", "provider": "gmail"}),
                "_id",
            ),
            (
                "/v1/agents",
                &workspace_key,
                json!({"name": "Located"}),
                "_id",
            ),
            (
                "/v1/workspaces",
                &platform_key,
                json!({"name": "Located"}),
                "id",
            ),
        ];
        for (path, key, body, id_member) in creates {
            let plain = post(&app, path, key, &body, None).await;
            let id = plain.created()[id_member]
                .as_str()
                .expect("an id")
                .to_owned();
            let location = location_of(&plain, &format!("{path}/{id}"));
            let read = app
                .request(Method::GET, &location, &[("X-Api-Key", key.as_str())])
                .await;
            // Agents have no single-agent route; the others read back at their Location.
            if path != "/v1/agents" {
                assert_eq!(read.status, 200, "GET {location}: {}", read.text);
            }

            let keyed_body = match path {
                "/v1/mailboxes" => {
                    json!({"email": "located-keyed@example.com", "provider": "gmail"})
                }
                _ => json!({"name": "Located with a key"}),
            };
            let idempotency_key = format!("location{}", path.replace('/', "-"));
            let first = post(&app, path, key, &keyed_body, Some(&idempotency_key)).await;
            let id = first.created()[id_member]
                .as_str()
                .expect("an id")
                .to_owned();
            let expected = format!("{path}/{id}");
            location_of(&first, &expected);
            let replayed = post(&app, path, key, &keyed_body, Some(&idempotency_key)).await;
            assert_eq!(replayed.header("idempotent-replayed"), Some("true"));
            assert_eq!(replayed.text, first.text);
            location_of(&replayed, &expected);
        }

        // The workspace key of a new workspace lives at the path that made it.
        let workspace = post(
            &app,
            "/v1/workspaces",
            &platform_key,
            &json!({"name": "Keyed"}),
            None,
        )
        .await;
        let id = workspace.created()["id"]
            .as_str()
            .expect("an id")
            .to_owned();
        let path = format!("/v1/workspaces/{id}/api-key");
        let issued = post(&app, &path, &platform_key, &json!({}), Some("key-1")).await;
        location_of(&issued, &path);
        let replayed = post(&app, &path, &platform_key, &json!({}), Some("key-1")).await;
        assert_eq!(replayed.header("idempotent-replayed"), Some("true"));
        location_of(&replayed, &path);
    })
    .await;
}

/// `GET /v1/campaigns` with a `search` of `search` bytes and an `X-Padding` header of `padding` bytes.
async fn list_campaigns_sized(app: &TestApp, search: usize, padding: usize) -> TestResponse {
    let path = format!("/v1/campaigns?search={}", "q".repeat(search));
    let padding = "p".repeat(padding);
    let mut headers = vec![("X-Api-Key", app.workspace.workspace_key.as_str())];
    if !padding.is_empty() {
        headers.push(("X-Padding", padding.as_str()));
    }
    app.request(Method::GET, &path, &headers).await
}

#[tokio::test]
async fn an_over_long_url_is_414_and_over_large_headers_431_in_the_envelope() {
    on_every_backend(|app| async move {
        list_campaigns_sized(&app, 9 * 1024, 0)
            .await
            .assert_error(414, "URI_TOO_LONG");
        // Just under the bound, the same request reaches its operation (which refuses the search).
        list_campaigns_sized(&app, 7 * 1024, 0)
            .await
            .assert_error(400, "VALIDATION_FAILED");
        list_campaigns_sized(&app, 1, 40 * 1024)
            .await
            .assert_error(431, "HEADERS_TOO_LARGE");
        let fine = list_campaigns_sized(&app, 1, 16 * 1024).await;
        assert_eq!(fine.status, 200, "{}", fine.text);
    })
    .await;
}

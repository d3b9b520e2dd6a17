//! Every error class comes back in the envelope of spec section 1, and a rejected request stores nothing.

use std::sync::Arc;

use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::support::*;

fn entries(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(pointer, code)| ((*pointer).to_owned(), (*code).to_owned()))
        .collect()
}

#[tokio::test]
async fn validation_failures_list_every_problem_with_its_pointer() {
    on_every_backend(|app| async move {
        let response = app
            .post_campaign(&json!({
                "name": "",
                "sequence": [{"type": "email", "subject": "Hi", "body": "Hello"},
                             {"type": "wait", "waitDays": 400}],
                "schedule": {"startTime": "25:00"},
            }))
            .await;
        response.assert_error(400, "VALIDATION_FAILED");
        assert_eq!(response.body["message"], "4 problems in the request body");
        assert_eq!(
            response.problems(),
            entries(&[
                ("/name", "blank"),
                ("/sequence/1/type", "invalid_structure"),
                ("/sequence/1/waitDays", "out_of_range"),
                ("/schedule/startTime", "invalid_format"),
            ])
        );
        app.assert_nothing_stored();
    })
    .await;
}

#[tokio::test]
async fn wrong_json_types_and_unknown_fields_are_reported_together_with_every_other_problem() {
    on_every_backend(|app| async move {
        let response = app
            .post_campaign(&json!({
                "name": "   ",
                "colour": "red",
                "sequence": [{"type": "email", "subject": 7, "body": "Hi", "font": "Arial"}],
                "settings": {"trackOpens": "yes", "dailySendLimit": 0},
            }))
            .await;
        response.assert_error(400, "VALIDATION_FAILED");
        assert_eq!(response.body["message"], "6 problems in the request body");
        assert_eq!(
            response.problems(),
            entries(&[
                ("/name", "blank"),
                ("/colour", "unknown_field"),
                ("/sequence/0/subject", "invalid_type"),
                ("/sequence/0/font", "unknown_field"),
                ("/settings/trackOpens", "invalid_type"),
                ("/settings/dailySendLimit", "out_of_range"),
            ])
        );
        app.assert_nothing_stored();
    })
    .await;
}

#[tokio::test]
async fn a_body_that_is_not_a_json_object_is_one_invalid_type_at_the_root() {
    on_every_backend(|app| async move {
        let response = app.post_campaign(&json!(["name"])).await;
        response.assert_error(400, "VALIDATION_FAILED");
        assert_eq!(response.problems(), entries(&[("", "invalid_type")]));
        app.assert_nothing_stored();
    })
    .await;
}

#[tokio::test]
async fn malformed_json_is_400_malformed_json() {
    on_every_backend(|app| async move {
        for body in [
            r#"{"name": "x","#,
            "",
            "{'name': 'x'}",
            "{\"name\": \"x\"} trailing",
        ] {
            let response = app
                .post_raw(
                    "/v1/campaigns",
                    body,
                    &[
                        ("Content-Type", "application/json"),
                        ("X-Api-Key", &app.workspace.workspace_key),
                    ],
                )
                .await;
            response.assert_error(400, "MALFORMED_JSON");
            assert_eq!(response.problems(), entries(&[]), "{body:?}");
        }
        app.assert_nothing_stored();
    })
    .await;
}

#[tokio::test]
async fn a_body_that_is_not_json_by_content_type_is_415() {
    on_every_backend(|app| async move {
        let key = app.workspace.workspace_key.clone();
        let with_type = app
            .post_raw(
                "/v1/campaigns",
                r#"{"name": "x"}"#,
                &[("Content-Type", "text/plain"), ("X-Api-Key", &key)],
            )
            .await;
        with_type.assert_error(415, "UNSUPPORTED_MEDIA_TYPE");
        let without_type = app
            .post_raw("/v1/campaigns", r#"{"name": "x"}"#, &[("X-Api-Key", &key)])
            .await;
        without_type.assert_error(415, "UNSUPPORTED_MEDIA_TYPE");
        app.assert_nothing_stored();
    })
    .await;
}

/// A JSON body of exactly `size` bytes: `{"name": "xxx…"}`.
fn body_of_size(size: usize) -> String {
    let frame = r#"{"name": ""}"#.len();
    format!(r#"{{"name": "{}"}}"#, "x".repeat(size - frame))
}

#[tokio::test]
async fn bodies_over_1_mib_are_413_and_1_mib_is_read() {
    on_every_backend(|app| async move {
        let key = app.workspace.workspace_key.clone();
        let headers = [
            ("Content-Type", "application/json"),
            ("X-Api-Key", key.as_str()),
        ];
        let too_large = app
            .post_raw("/v1/campaigns", body_of_size(1024 * 1024 + 1), &headers)
            .await;
        too_large.assert_error(413, "PAYLOAD_TOO_LARGE");
        // Exactly 1 MiB is read, and judged: the name is too long.
        let at_limit = app
            .post_raw("/v1/campaigns", body_of_size(1024 * 1024), &headers)
            .await;
        at_limit.assert_error(400, "VALIDATION_FAILED");
        assert_eq!(at_limit.problems(), entries(&[("/name", "too_long")]));
        // The idempotency layer reads a body before its route, up to the largest any route takes;
        // the route's own bound still holds.
        let keyed = app
            .post_raw(
                "/v1/campaigns",
                body_of_size(1024 * 1024 + 1),
                &[
                    ("Content-Type", "application/json"),
                    ("X-Api-Key", key.as_str()),
                    ("Idempotency-Key", "large-campaign"),
                ],
            )
            .await;
        keyed.assert_error(413, "PAYLOAD_TOO_LARGE");
        app.assert_nothing_stored();
    })
    .await;
}

#[tokio::test]
async fn a_chunked_body_is_counted_as_it_arrives_and_refused_past_1_mib() {
    on_every_backend(|app| async move {
        let mut stream = tokio::net::TcpStream::connect(app.address)
            .await
            .expect("a connection");
        let head = format!(
            "POST /v1/campaigns HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nX-Api-Key: {}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
            app.address, app.workspace.workspace_key
        );
        stream.write_all(head.as_bytes()).await.expect("sent");
        let body = body_of_size(1024 * 1024 + 4096);
        for chunk in body.as_bytes().chunks(64 * 1024) {
            let framed = [
                format!("{:x}\r\n", chunk.len()).as_bytes(),
                chunk,
                b"\r\n",
            ]
            .concat();
            if stream.write_all(&framed).await.is_err() {
                break; // The server may stop reading once the limit is passed.
            }
        }
        let _ = stream.write_all(b"0\r\n\r\n").await;
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer).await;
        let answer = String::from_utf8_lossy(&answer);
        assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
        assert!(answer.contains(r#""errorCode":"PAYLOAD_TOO_LARGE""#), "{answer}");
        app.assert_nothing_stored();
    })
    .await;
}

#[tokio::test]
async fn unknown_routes_are_404_in_the_envelope() {
    on_every_backend(|app| async move {
        // `GET /` redirects to the docs (issue 17): `documentation::get_root_redirects_to_the_docs`.
        for path in ["/v1/nope", "/v1/campaigns/x/y/z"] {
            let response = app.get(path).await;
            response.assert_error(404, "NOT_FOUND");
            assert_eq!(response.problems(), entries(&[]));
        }
        let response = app.post_campaign(&json!({})).await;
        assert_ne!(response.status, 404, "POST /v1/campaigns exists");
    })
    .await;
}

#[tokio::test]
async fn wrong_methods_are_405_in_the_envelope_with_the_allowed_methods() {
    on_every_backend(|app| async move {
        for (method, path, allowed) in [
            (reqwest::Method::PUT, "/v1/campaigns", "GET, POST, HEAD"),
            (reqwest::Method::DELETE, "/v1/agents", "GET, POST, HEAD"),
            (reqwest::Method::POST, "/healthz", "GET, HEAD"),
            (
                reqwest::Method::TRACE,
                "/v1/campaigns/6650a1b2c3d4e5f6a7b8c9d0/start",
                "POST",
            ),
        ] {
            let response = app
                .request(
                    method.clone(),
                    path,
                    &[("X-Api-Key", &app.workspace.workspace_key)],
                )
                .await;
            response.assert_error(405, "METHOD_NOT_ALLOWED");
            let mut listed: Vec<&str> = response
                .header("Allow")
                .unwrap_or_default()
                .split(", ")
                .collect();
            listed.sort_unstable();
            let mut expected: Vec<&str> = allowed.split(", ").collect();
            expected.sort_unstable();
            assert_eq!(listed, expected, "{method} {path}");
            // Every method the answer allows is answered by something other than 405.
            for allowed in expected {
                let method = reqwest::Method::from_bytes(allowed.as_bytes()).expect("a method");
                let answer = app
                    .request(method, path, &[("X-Api-Key", &app.workspace.workspace_key)])
                    .await;
                assert_ne!(answer.status, 405, "{allowed} {path}");
            }
        }
        app.assert_nothing_stored();
    })
    .await;
}

#[tokio::test]
async fn mailboxes_that_are_not_in_the_workspace_are_400_mailbox_not_found_one_entry_each() {
    on_every_backend(|app| async move {
        let response = app
            .post_campaign(&json!({
                "name": "Ghost mailboxes",
                "mailboxIds": [app.mailbox_ids()[0], "0123456789abcdef01234567"],
                "mailboxEmails": ["nobody@acme.example.com"],
                "mailboxTags": ["no-such-tag"],
            }))
            .await;
        response.assert_error(400, "MAILBOX_NOT_FOUND");
        assert_eq!(
            response.problems(),
            entries(&[
                ("/mailboxIds/1", "mailbox_not_found"),
                ("/mailboxEmails/0", "mailbox_not_found"),
            ])
        );
        app.assert_nothing_stored();
    })
    .await;
}

#[tokio::test]
async fn an_agent_that_is_not_in_the_workspace_is_400_agent_not_found() {
    on_every_backend(|app| async move {
        let named = app
            .post_campaign(
                &json!({"name": "x", "settings": {"aiAgentId": "0123456789abcdef01234567"}}),
            )
            .await;
        named.assert_error(400, "AGENT_NOT_FOUND");
        assert_eq!(
            named.problems(),
            entries(&[("/settings/aiAgentId", "agent_not_found")])
        );
        // No agent at all to default to.
        let defaulted = app
            .post_campaign(&json!({"name": "x", "settings": {"aiAgentEnabled": true}}))
            .await;
        defaulted.assert_error(400, "AGENT_NOT_FOUND");
        assert_eq!(
            defaulted.problems(),
            entries(&[("/settings/aiAgentEnabled", "agent_not_found")])
        );
        app.assert_nothing_stored();
    })
    .await;
}

#[tokio::test]
async fn missing_references_among_other_problems_are_listed_under_validation_failed() {
    on_every_backend(|app| async move {
        let response = app
            .post_campaign(&json!({
                "name": "",
                "settings": {"aiAgentEnabled": true},
                "mailboxIds": ["0123456789abcdef01234567"],
            }))
            .await;
        response.assert_error(400, "VALIDATION_FAILED");
        assert_eq!(
            response.problems(),
            entries(&[
                ("/name", "blank"),
                ("/settings/aiAgentEnabled", "agent_not_found"),
                ("/mailboxIds/0", "mailbox_not_found"),
            ])
        );
        app.assert_nothing_stored();
    })
    .await;
}

#[tokio::test]
async fn an_unexpected_failure_is_an_opaque_500_logged_under_the_request_id() {
    let broken = Customize {
        campaigns: Some(Arc::new(BrokenCampaigns)),
        ..Customize::default()
    };
    on_every_backend_with(broken, |app| async move {
        let response = app.post_campaign(&json!({"name": "Doomed"})).await;
        response.assert_error(500, "INTERNAL");
        assert_eq!(response.problems(), entries(&[]));
        for leak in ["INSERT", "relation", "campaigns\"", "database", "sql"] {
            assert!(
                !response.text.to_lowercase().contains(&leak.to_lowercase()),
                "the 500 body leaks {leak:?}: {}",
                response.text
            );
        }
        assert!(response.header("x-request-id").is_some_and(is_object_id));
        app.assert_nothing_stored();

        let campaign = "/v1/campaigns/0123456789abcdef01234567";
        for (method, path) in [
            (reqwest::Method::GET, "/v1/campaigns"),
            (reqwest::Method::GET, campaign),
            (reqwest::Method::PATCH, campaign),
            (reqwest::Method::DELETE, campaign),
            (reqwest::Method::POST, &format!("{campaign}/start")),
        ] {
            let response = app.send(method.clone(), path, Some(&json!({}))).await;
            response.assert_error(500, "INTERNAL");
            assert!(
                !response.text.to_lowercase().contains("select"),
                "{method} {path} leaks SQL: {}",
                response.text
            );
        }
    })
    .await;
}

#[tokio::test]
async fn a_panic_is_contained_as_an_opaque_500_and_the_server_keeps_serving() {
    let panicking = Customize {
        campaigns: Some(Arc::new(PanickingCampaigns)),
        ..Customize::default()
    };
    on_every_backend_with(panicking, |app| async move {
        let response = app.post_campaign(&json!({"name": "Boom"})).await;
        response.assert_error(500, "INTERNAL");
        assert!(
            !response.text.contains("index out of bounds"),
            "{}",
            response.text
        );
        assert!(response.header("x-request-id").is_some_and(is_object_id));
        assert_eq!(app.get("/healthz").await.status, 200);
    })
    .await;
}

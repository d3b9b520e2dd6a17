//! What operators and newcomers touch: health, readiness, the document, the docs UI, request ids,
//! graceful shutdown.

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::support::*;

#[tokio::test]
async fn liveness_and_readiness_answer_200_while_the_database_answers() {
    on_every_backend(|app| async move {
        for path in ["/healthz", "/readyz"] {
            let response = app.get(path).await;
            assert_eq!(response.status, 200, "{path}: {}", response.text);
            assert_eq!(
                response.body,
                json!({"success": true, "data": {"status": "ok"}})
            );
        }
    })
    .await;
}

#[tokio::test]
async fn readiness_is_503_in_the_envelope_when_the_database_does_not_answer() {
    let down = Customize {
        readiness: Some(Arc::new(DownDatabase)),
        ..Customize::default()
    };
    on_every_backend_with(down, |app| async move {
        let response = app.get("/readyz").await;
        response.assert_error(503, "SERVICE_UNAVAILABLE");
        assert!(
            !response.text.contains("pool timed out"),
            "{}",
            response.text
        );
        // Liveness does not depend on the database.
        assert_eq!(app.get("/healthz").await.status, 200);
    })
    .await;
}

#[tokio::test]
async fn the_served_document_is_the_generated_one_in_json_and_yaml() {
    on_every_backend(|app| async move {
        let json = app.get("/openapi.json").await;
        assert_eq!(json.status, 200);
        let generated: serde_json::Value =
            serde_json::from_str(&api::openapi::openapi_json()).expect("JSON");
        assert_eq!(json.body, generated);
        assert_eq!(json.body["openapi"], "3.0.0");
        let yaml = app.get("/openapi.yaml").await;
        assert_eq!(yaml.status, 200);
        assert!(
            yaml.header("content-type")
                .is_some_and(|value| value.contains("yaml"))
        );
        assert!(
            yaml.text.contains("/v1/campaigns:"),
            "{}",
            &yaml.text[..200.min(yaml.text.len())]
        );
    })
    .await;
}

#[tokio::test]
async fn the_docs_ui_is_served() {
    on_every_backend(|app| async move {
        let docs = app.get("/docs").await;
        assert_eq!(docs.status, 200);
        assert!(
            docs.header("content-type")
                .is_some_and(|value| value.starts_with("text/html"))
        );
        assert!(docs.text.contains("SwaggerUIBundle"));
        assert!(docs.text.contains("/v1/campaigns"));
    })
    .await;
}

#[tokio::test]
async fn every_response_carries_a_request_id_the_clients_when_reasonable() {
    on_every_backend(|app| async move {
        let echoed = app
            .request(
                reqwest::Method::GET,
                "/healthz",
                &[("X-Request-Id", "trace-42.a:b_c")],
            )
            .await;
        assert_eq!(echoed.header("x-request-id"), Some("trace-42.a:b_c"));

        let generated = app.get("/healthz").await;
        let first = generated.header("x-request-id").expect("an id").to_owned();
        assert!(is_object_id(&first), "{first}");
        let again = app.get("/healthz").await;
        assert_ne!(
            again.header("x-request-id"),
            Some(first.as_str()),
            "ids are unique"
        );

        let replaced = app
            .request(
                reqwest::Method::GET,
                "/healthz",
                &[("X-Request-Id", "two words")],
            )
            .await;
        assert!(replaced.header("x-request-id").is_some_and(is_object_id));

        // Errors too, the framework's included.
        let missing = app.get("/v1/nope").await;
        assert!(missing.header("x-request-id").is_some_and(is_object_id));
        let refused = app.post_campaign(&json!({"name": ""})).await;
        assert!(refused.header("x-request-id").is_some_and(is_object_id));
    })
    .await;
}

#[tokio::test]
async fn shutdown_lets_an_in_flight_request_finish() {
    on_every_backend(|mut app| async move {
        let body = r#"{"name": "Finished after the signal"}"#;
        let (head, tail) = body.split_at(10);
        let mut stream = tokio::net::TcpStream::connect(app.address)
            .await
            .expect("a connection");
        let request = format!(
            "POST /v1/campaigns HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nX-Api-Key: {}\r\nContent-Length: {}\r\n\r\n{head}",
            app.address,
            app.workspace.workspace_key,
            body.len()
        );
        stream.write_all(request.as_bytes()).await.expect("sent");
        // The server is now inside the request, waiting for the rest of its body.
        tokio::time::sleep(Duration::from_millis(200)).await;
        let stopping = {
            let shut_down = app.shut_down();
            tokio::pin!(shut_down);
            // Shutdown waits for the request: it does not finish while the body is incomplete.
            let early = tokio::time::timeout(Duration::from_millis(300), &mut shut_down).await;
            assert!(early.is_err(), "the server stopped with a request in flight");
            stream.write_all(tail.as_bytes()).await.expect("sent");
            let mut answer = Vec::new();
            stream.read_to_end(&mut answer).await.expect("an answer");
            let answer = String::from_utf8_lossy(&answer).into_owned();
            assert!(answer.starts_with("HTTP/1.1 201"), "{answer}");
            tokio::time::timeout(Duration::from_secs(10), shut_down).await
        };
        let stopped = stopping.expect("the server stops once the request is done");
        assert!(stopped.is_ok(), "{stopped:?}");
        assert_eq!(app.campaigns_stored(), 1);
    })
    .await;
}

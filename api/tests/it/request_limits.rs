//! Bounds on what one request may hold (issue 8): the body's arrival time, the whole request's time,
//! and the size of an error answer.

use std::sync::Arc;
use std::time::{Duration, Instant};

use api::state::Options;
use application::ports::{Readiness, RepositoryError};
use async_trait::async_trait;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::*;

/// A database that takes five seconds to answer a ping.
struct SlowDatabase;

#[async_trait]
impl Readiness for SlowDatabase {
    async fn ping(&self) -> Result<(), RepositoryError> {
        tokio::time::sleep(Duration::from_secs(5)).await;
        Ok(())
    }
}

/// The head of a `POST /v1/campaigns` with the workspace key, up to its body's length.
fn post_campaign_head(app: &TestApp) -> String {
    format!(
        "POST /v1/campaigns HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nX-Api-Key: {}\r\n",
        app.workspace.workspace_key
    )
}

/// Sends `head` and part of a body that says it is longer, then waits for the whole answer.
async fn send_partial_request(app: &TestApp, head: &str) -> String {
    let mut stream = TcpStream::connect(app.address)
        .await
        .expect("the server accepts");
    stream
        .write_all(
            format!("{head}Content-Length: 100\r\nConnection: close\r\n\r\n{{\"name\"").as_bytes(),
        )
        .await
        .expect("the request is sent");
    let mut answer = Vec::new();
    stream
        .read_to_end(&mut answer)
        .await
        .expect("the answer is read");
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test]
async fn a_body_that_does_not_arrive_within_the_body_timeout_is_408_request_timeout() {
    let customize = Customize {
        options: Options {
            body_read_timeout: Duration::from_millis(300),
            ..Options::default()
        },
        ..Customize::default()
    };
    on_every_backend_with(customize, |app| async move {
        let head = post_campaign_head(&app);
        for extra in ["", "Idempotency-Key: slow-body-1\r\n"] {
            let started = Instant::now();
            let answer = send_partial_request(&app, &format!("{head}{extra}")).await;
            assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
            assert!(
                answer.contains("\"errorCode\":\"REQUEST_TIMEOUT\""),
                "{answer}"
            );
            assert!(
                started.elapsed() < Duration::from_secs(5),
                "{:?}",
                started.elapsed()
            );
        }
        app.assert_nothing_stored();
    })
    .await;
}

#[tokio::test]
async fn a_request_past_its_deadline_is_stopped_and_answered_503_with_retry_after() {
    let customize = Customize {
        options: Options {
            request_timeout: Duration::from_millis(300),
            ..Options::default()
        },
        readiness: Some(Arc::new(SlowDatabase)),
        ..Customize::default()
    };
    on_every_backend_with(customize, |app| async move {
        let started = Instant::now();
        let answer = app.get("/readyz").await;
        answer.assert_error(503, "SERVICE_UNAVAILABLE");
        assert_eq!(answer.header("Retry-After"), Some("1"));
        // `/readyz` is outside every allowance (issue 17); a counted request stopped by its deadline
        // (here, waiting for its body) still says what is left of its allowance.
        assert_eq!(answer.header("X-RateLimit-Remaining"), None);
        let stopped = send_partial_request(&app, &post_campaign_head(&app)).await;
        assert!(stopped.starts_with("HTTP/1.1 503"), "{stopped}");
        assert!(
            stopped
                .to_ascii_lowercase()
                .contains("\r\nx-ratelimit-remaining: "),
            "{stopped}"
        );
        assert!(
            started.elapsed() < Duration::from_secs(4),
            "{:?}",
            started.elapsed()
        );
    })
    .await;
}

#[tokio::test]
async fn an_error_lists_at_most_1000_problems_however_many_the_body_has() {
    on_every_backend(|app| async move {
        let answer = app
            .post_campaign(&json!({"name": "Many", "mailboxIds": vec![1; 100_000]}))
            .await;
        answer.assert_error(400, "VALIDATION_FAILED");
        assert_eq!(answer.problems().len(), 1_000);
        assert_eq!(
            answer.body["message"],
            // Each id is of the wrong type, and the list is longer than 1,000 selectors.
            "100001 problems in the request body; the first 1000 are listed"
        );
        assert!(answer.text.len() < 200_000, "{} bytes", answer.text.len());
        app.assert_nothing_stored();
    })
    .await;
}

//! Rate limits (issue 8): headers on every response, 429 `RATE_LIMITED` with `Retry-After` past them.

use std::time::Duration;

use api::state::Options;
use serde_json::json;

use crate::support::*;

/// Three requests per key and two per address a minute.
/// The window of [`tight_limits`]: long, so that a test's few requests fall in one window.
const TIGHT_WINDOW: Duration = Duration::from_secs(3600);
/// The server's default window.
const DEFAULT_WINDOW: Duration = Duration::from_secs(60);

/// Windows are aligned to the epoch: a test counting requests would see the count start again if a
/// window ended between two of them (it happened under load). This waits out the last ten seconds of
/// a window before such a test starts.
async fn away_from_a_window_end(window: Duration) {
    let since_epoch = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("the clock is past 1970");
    let left = window.as_secs() - since_epoch.as_secs() % window.as_secs();
    if left < 10 {
        tokio::time::sleep(Duration::from_secs(left + 1)).await;
    }
}

/// Limits small enough to reach: 3 requests per key, 2 per address, per window.
async fn tight_limits() -> Customize {
    away_from_a_window_end(TIGHT_WINDOW).await;
    Customize {
        options: Options {
            rate_limit_per_key: 3,
            rate_limit_per_address: 2,
            rate_limit_window: TIGHT_WINDOW,
            ..Options::default()
        },
        ..Customize::default()
    }
}

#[track_caller]
fn assert_rate_headers(response: &TestResponse, limit: u64, remaining: u64) {
    assert_eq!(
        response.header("X-RateLimit-Limit"),
        Some(limit.to_string().as_str())
    );
    assert_eq!(
        response.header("X-RateLimit-Remaining"),
        Some(remaining.to_string().as_str()),
        "{}",
        response.text
    );
    let reset: u64 = response
        .header("X-RateLimit-Reset")
        .and_then(|reset| reset.parse().ok())
        .expect("X-RateLimit-Reset in whole seconds");
    // The tests use the default one-minute window or TIGHT_WINDOW.
    assert!((1..=TIGHT_WINDOW.as_secs()).contains(&reset), "{reset}");
}

#[tokio::test]
async fn every_response_carries_the_rate_limit_headers_of_its_client() {
    away_from_a_window_end(DEFAULT_WINDOW).await;
    on_every_backend(|app| async move {
        let listed = app.get_with_key("/v1/campaigns").await;
        listed.ok();
        assert_rate_headers(&listed, 6_000, 5_999);
        let created = app.post_campaign(&json!({"name": "Counted"})).await;
        created.created();
        assert_rate_headers(&created, 6_000, 5_998);
        let refused = app.post_campaign(&json!({"name": ""})).await;
        refused.assert_error(400, "VALIDATION_FAILED");
        assert_rate_headers(&refused, 6_000, 5_997);
        // Without a valid key, the client is its address.
        let anonymous = app.get("/v1/campaigns").await;
        anonymous.assert_error(401, "UNAUTHORIZED");
        assert_rate_headers(&anonymous, 600, 599);
        let unknown_route = app.get("/v2/nothing").await;
        unknown_route.assert_error(404, "NOT_FOUND");
        assert_rate_headers(&unknown_route, 600, 598);
        assert_rate_headers(&app.get("/healthz").await, 600, 597);
    })
    .await;
}

#[tokio::test]
async fn past_its_limit_a_key_gets_429_rate_limited_with_retry_after_and_nothing_runs() {
    on_every_backend_with(tight_limits().await, |app| async move {
        for remaining in [2, 1, 0] {
            let listed = app.get_with_key("/v1/campaigns").await;
            listed.ok();
            assert_rate_headers(&listed, 3, remaining);
        }
        let refused = app.post_campaign(&json!({"name": "Too many"})).await;
        refused.assert_error(429, "RATE_LIMITED");
        assert_rate_headers(&refused, 3, 0);
        assert_eq!(
            refused.header("Retry-After"),
            refused.header("X-RateLimit-Reset"),
            "Retry-After is the time left in the window"
        );
        app.assert_nothing_stored();
    })
    .await;
}

#[tokio::test]
async fn each_key_has_its_own_allowance_and_requests_without_a_valid_key_share_their_address() {
    on_every_backend_with(tight_limits().await, |app| async move {
        for _ in 0..3 {
            app.get_with_key("/v1/campaigns").await.ok();
        }
        app.get_with_key("/v1/campaigns")
            .await
            .assert_error(429, "RATE_LIMITED");
        let (rival, _, _) = app.other_workspace().await;
        let theirs = app
            .request(
                reqwest::Method::GET,
                "/v1/campaigns",
                &[("X-Api-Key", &rival.workspace_key)],
            )
            .await;
        theirs.ok();
        assert_rate_headers(&theirs, 3, 2);
        // Guessing keys: every unknown key counts against the address.
        let guesses: Vec<String> = (0..3).map(|n| format!("sk_{n:048}")).collect();
        let mut statuses = Vec::new();
        for guess in &guesses {
            let answer = app
                .request(
                    reqwest::Method::GET,
                    "/v1/campaigns",
                    &[("X-Api-Key", guess)],
                )
                .await;
            statuses.push(answer.status);
        }
        assert_eq!(statuses, [401, 401, 429]);
    })
    .await;
}

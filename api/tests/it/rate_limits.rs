//! Rate limits (issue 8): headers on every response, 429 `RATE_LIMITED` with `Retry-After` past them.

use std::time::Duration;

use api::client_address::TrustedProxies;
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

/// [`tight_limits`] behind a proxy on 127.0.0.1, where the tests connect from.
async fn behind_a_trusted_proxy() -> Customize {
    let mut customize = tight_limits().await;
    customize.options.trusted_proxies =
        TrustedProxies::new(["127.0.0.1/32".parse().expect("a range")]);
    customize
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
        // Health checks and the docs are outside every allowance (issue 17): no headers, not counted.
        let health = app.get("/healthz").await;
        health.ok();
        assert_eq!(health.header("X-RateLimit-Limit"), None);
        assert_rate_headers(&app.get("/v2/nothing").await, 600, 597);
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
        assert_eq!(guess_keys(&app, 3, &[]).await, [401, 401, 429]);
    })
    .await;
}

/// `count` requests with a made-up key (each a 401 while the address has allowance left), from
/// `headers` besides; their statuses.
async fn guess_keys(app: &TestApp, count: usize, headers: &[(&str, &str)]) -> Vec<u16> {
    let mut statuses = Vec::new();
    for n in 0..count {
        let guess = format!("sk_{n:048}");
        let mut sent = vec![("X-Api-Key", guess.as_str())];
        sent.extend_from_slice(headers);
        let answer = app
            .request(reqwest::Method::GET, "/v1/campaigns", &sent)
            .await;
        statuses.push(answer.status);
    }
    statuses
}

#[tokio::test]
async fn a_burst_of_bad_keys_does_not_make_health_checks_or_the_docs_answer_429() {
    on_every_backend_with(tight_limits().await, |app| async move {
        assert_eq!(guess_keys(&app, 3, &[]).await, [401, 401, 429]);
        for path in [
            "/healthz",
            "/readyz",
            "/openapi.json",
            "/openapi.yaml",
            "/docs",
        ] {
            for _ in 0..3 {
                let answer = app.get(path).await;
                assert_eq!(answer.status, 200, "{path}: {}", answer.text);
                assert_eq!(answer.header("X-RateLimit-Limit"), None, "{path}");
            }
        }
        // The address is still refused elsewhere.
        app.get("/v1/campaigns")
            .await
            .assert_error(429, "RATE_LIMITED");
    })
    .await;
}

const FORWARDED_FOR: &str = "X-Forwarded-For";

#[tokio::test]
async fn behind_a_trusted_proxy_each_forwarded_client_has_its_own_allowance() {
    on_every_backend_with(behind_a_trusted_proxy().await, |app| async move {
        let first = [(FORWARDED_FOR, "203.0.113.1")];
        assert_eq!(guess_keys(&app, 3, &first).await, [401, 401, 429]);
        let second = [(FORWARDED_FOR, "203.0.113.2")];
        assert_eq!(guess_keys(&app, 3, &second).await, [401, 401, 429]);
        // The proxy's own requests (no header) are the proxy's.
        assert_eq!(guess_keys(&app, 1, &[]).await, [401]);
    })
    .await;
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_right_most_untrusted_forwarded_address_is_counted() {
    on_every_backend_with(behind_a_trusted_proxy().await, |app| async move {
        let client = [(FORWARDED_FOR, "203.0.113.1")];
        assert_eq!(guess_keys(&app, 2, &client).await, [401, 401]);
        // A client that makes up a left-most entry gets no fresh allowance: the proxy appended its
        // real address on the right, and a trusted proxy there (127.0.0.1) is skipped.
        for forwarded in [
            "198.51.100.9, 203.0.113.1",
            "198.51.100.10,203.0.113.1, 127.0.0.1",
        ] {
            let headers = [(FORWARDED_FOR, forwarded)];
            assert_eq!(guess_keys(&app, 1, &headers).await, [429], "{forwarded}");
        }
        // Another client behind the same proxies still has its allowance.
        let other = [(FORWARDED_FOR, "203.0.113.1, 203.0.113.2, 127.0.0.1")];
        assert_eq!(guess_keys(&app, 1, &other).await, [401]);
    })
    .await;
}

#[tokio::test]
async fn without_trusted_proxies_x_forwarded_for_is_ignored() {
    on_every_backend_with(tight_limits().await, |app| async move {
        let mut statuses = Vec::new();
        for forwarded in ["203.0.113.1", "203.0.113.2", "203.0.113.3"] {
            statuses.extend(guess_keys(&app, 1, &[(FORWARDED_FOR, forwarded)]).await);
        }
        assert_eq!(statuses, [401, 401, 429]);
    })
    .await;
}

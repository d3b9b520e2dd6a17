//! Rate limits: every response says how much of its client's allowance is left; past it, 429.
//!
//! A client is the API key the request authenticates with, or, without a valid key, the address the
//! request comes from (so key guessing is limited too, and more tightly): the connection's, or the one
//! a trusted proxy forwarded (`client_address`). Counting lives in
//! `application::rate_limiter`: decided in memory, shared through the database every 100 ms.
//! Headers on every response, limited or not: `X-RateLimit-Limit` (the window's allowance),
//! `X-RateLimit-Remaining`, `X-RateLimit-Reset` (whole seconds until the window ends); a refused
//! request is 429 `RATE_LIMITED` with `Retry-After` (the same seconds).
//!
//! The health checks and the API's document are outside every allowance ([`is_unlimited`]): not
//! counted, never refused, no headers. A load balancer's probe shares its address with nothing it
//! controls, and must not be refused because of other traffic from that address.

use std::sync::{Arc, Weak};
use std::time::Duration;

use application::ports::RateLimitBucket;
use application::rate_limiter::{RateLimitStatus, RateLimiter};
use poem::error::ResponseError;
use poem::http::HeaderValue;
use poem::{Endpoint, IntoResponse, Middleware, Request, Response};

use crate::auth::Authenticated;
use crate::client_address::ClientAddress;
use crate::error::ApiError;
use crate::state::{AppState, RateLimiters};

pub(crate) const LIMIT_HEADER: &str = "X-RateLimit-Limit";
pub(crate) const REMAINING_HEADER: &str = "X-RateLimit-Remaining";
pub(crate) const RESET_HEADER: &str = "X-RateLimit-Reset";

/// How often each instance shares its counts.
const SYNC_EVERY: Duration = Duration::from_millis(100);
/// How often each instance deletes long-ended windows (every this many syncs: ten minutes).
const FORGET_EVERY_SYNCS: u32 = 6_000;

/// Shares the counts every [`SYNC_EVERY`] and deletes ended windows now and then, for as long
/// as the limiters live. Needs a Tokio runtime; without one, counts stay per instance.
pub(crate) fn keep_shared(limiters: &Arc<RateLimiters>) {
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        return;
    };
    if limiters.all().next().is_none() {
        return;
    }
    let limiters: Weak<RateLimiters> = Arc::downgrade(limiters);
    runtime.spawn(async move {
        let mut every = tokio::time::interval(SYNC_EVERY);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut syncs: u32 = 0;
        loop {
            every.tick().await;
            let Some(limiters) = limiters.upgrade() else {
                return;
            };
            for limiter in limiters.all() {
                if let Err(error) = limiter.sync().await {
                    tracing::warn!(error = %format!("{error:#}"), "sharing rate-limit counts failed");
                }
                if syncs.is_multiple_of(FORGET_EVERY_SYNCS)
                    && let Err(error) = limiter.forget_ended_windows().await
                {
                    tracing::warn!(error = %format!("{error:#}"), "forgetting rate-limit windows failed");
                }
            }
            syncs = syncs.wrapping_add(1);
        }
    });
}

/// The middleware; see the module documentation.
pub(crate) struct RateLimiting {
    state: Arc<AppState>,
}

impl std::fmt::Debug for RateLimiting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimiting").finish_non_exhaustive()
    }
}

impl RateLimiting {
    pub(crate) fn new(state: Arc<AppState>) -> Self {
        Self { state }
    }
}

impl<E: Endpoint> Middleware<E> for RateLimiting {
    type Output = RateLimitingEndpoint<E>;

    fn transform(&self, inner: E) -> Self::Output {
        RateLimitingEndpoint {
            inner,
            state: self.state.clone(),
        }
    }
}

pub(crate) struct RateLimitingEndpoint<E> {
    inner: E,
    state: Arc<AppState>,
}

impl<E> std::fmt::Debug for RateLimitingEndpoint<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimitingEndpoint")
            .finish_non_exhaustive()
    }
}

/// Whether `path` is outside every allowance: `/healthz`, `/readyz`, the OpenAPI document and the
/// docs UI (`app.rs` mounts them; `/healthz` and `/readyz` are in `routes/health.rs`), and the
/// public tracking routes of sent messages (`routes/tracking.rs`): mail clients and their proxies
/// share addresses, and a forged token costs one HMAC, no database read.
fn is_unlimited(path: &str) -> bool {
    matches!(
        path,
        "/healthz" | "/readyz" | "/openapi.json" | "/openapi.yaml" | "/docs"
    ) || ["/docs/", "/t/o/", "/t/c/", "/u/"]
        .iter()
        .any(|prefix| path.starts_with(prefix))
}

impl<E: Endpoint> RateLimitingEndpoint<E> {
    /// The request's client, and its limiter (`None`: unlimited).
    fn client_of(&self, request: &Request) -> Option<(RateLimitBucket, &RateLimiter)> {
        if is_unlimited(request.uri().path()) {
            return None;
        }
        let limiters = &self.state.rate_limiters;
        if let Some(key) = Authenticated::of(request).and_then(Authenticated::key) {
            let limiter = limiters.per_key.as_ref()?;
            return Some((RateLimitBucket::api_key(&key.id.to_string()), limiter));
        }
        let limiter = limiters.per_address.as_ref()?;
        let address = ClientAddress::of(request);
        Some((RateLimitBucket::address(&address), limiter))
    }
}

impl<E: Endpoint> Endpoint for RateLimitingEndpoint<E> {
    type Output = Response;

    async fn call(&self, request: Request) -> poem::Result<Response> {
        let Some((bucket, limiter)) = self.client_of(&request) else {
            return self
                .inner
                .call(request)
                .await
                .map(IntoResponse::into_response);
        };
        let status = limiter.admit(&bucket);
        let mut response = if status.admitted {
            match self.inner.call(request).await {
                Ok(output) => output.into_response(),
                Err(error) => error.into_response(),
            }
        } else {
            ApiError::rate_limited(status.reset_after_seconds).as_response()
        };
        add_headers(&mut response, status);
        Ok(response)
    }
}

fn add_headers(response: &mut Response, status: RateLimitStatus) {
    let headers = response.headers_mut();
    headers.insert(LIMIT_HEADER, HeaderValue::from(status.limit));
    headers.insert(REMAINING_HEADER, HeaderValue::from(status.remaining));
    headers.insert(RESET_HEADER, HeaderValue::from(status.reset_after_seconds));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn health_checks_the_docs_and_tracking_links_are_unlimited_and_nothing_else_is() {
        for unlimited in [
            "/healthz",
            "/readyz",
            "/openapi.json",
            "/openapi.yaml",
            "/docs",
            "/docs/",
            "/docs/oauth-receiver.html",
            "/t/o/token",
            "/t/c/token",
            "/u/token",
        ] {
            assert!(is_unlimited(unlimited), "{unlimited}");
        }
        for limited in [
            "/",
            "/v1/campaigns",
            "/healthz/x",
            "/docsx",
            "/v1/healthz",
            "/openapi.jsonx",
            "/t/x/token",
            "/u",
            "/v1/u/token",
        ] {
            assert!(!is_unlimited(limited), "{limited}");
        }
    }
}

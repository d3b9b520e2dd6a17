//! The OpenAPI service: every operation of the API, composed with the document's title, version and
//! description. `app` serves it; `allowed_methods` reads its document; `sendline openapi` and
//! `cargo xtask openapi` print it.

use poem_openapi::{ContactObject, OpenApiService};

use crate::routes::{
    AgentsApi, AnalyticsApi, CampaignsApi, DncApi, EnrolmentsApi, HealthApi, LeadsApi,
    MailboxesApi, PreviewApi, ScheduleApi, TestEmailApi, TrackingApi, WebhooksApi, WorkspacesApi,
};

type Apis = (
    CampaignsApi,
    ScheduleApi,
    PreviewApi,
    TestEmailApi,
    EnrolmentsApi,
    MailboxesApi,
    LeadsApi,
    AgentsApi,
    DncApi,
    WebhooksApi,
    WorkspacesApi,
    HealthApi,
    TrackingApi,
    AnalyticsApi,
);

const DESCRIPTION: &str = "\
Sendline: a self-hosted cold-email campaign backend, wire-compatible with the SendKit Platform API.

* JSON in and out, `camelCase` field names. Unknown fields in a request body are rejected.
* Success: `{\"success\": true, \"data\": ...}`; create answers 201 with a `Location` header naming the \
new resource.
* Every error (4xx and 5xx, including unknown routes (404), wrong methods (405), a body that is not \
JSON (400 `MALFORMED_JSON`), not `application/json` (415), larger than 1 MiB (413) or slower to arrive \
than the body timeout (408), a URL longer than 8 KiB (414), headers larger than 32 KiB together (431), \
and requests stopped at the server's deadline (503)) has the shape \
`{\"success\": false, \"error\", \"code\", \"errorCode\", \"message\", \"errors\": [{\"pointer\", \"code\", \"message\"}]}`, \
where `errors` lists every problem found (the first 1,000 of them; `message` counts them all), each located \
by a JSON Pointer into the request body.
* Every POST takes an optional `Idempotency-Key` (1–255 printable ASCII characters): the first success \
with a key is kept for 24 hours and replayed, with `Idempotent-Replayed: true`, for a retry with the same key, \
method, path and body; the same key with another request is 422 `IDEMPOTENCY_KEY_REUSED`; a retry while the \
first request still runs waits for its answer (up to 5 s, at most half the request deadline, then 409 `CONFLICT` \
with `Retry-After`). Refusals \
and failures are not kept. Keys belong to the caller and workspace.
* Rate limits: every response carries `X-RateLimit-Limit` (requests allowed in the current window), \
`X-RateLimit-Remaining` and `X-RateLimit-Reset` (whole seconds until the window ends) for its client: the \
API key, or the client address for requests without a valid key. Past the limit: 429 `RATE_LIMITED` with \
`Retry-After`.
* Every response carries `X-Request-Id` (the one sent, when it is 1–128 characters of `A-Z a-z 0-9 . _ : -`, \
else a new one).";

/// The OpenAPI service: the operations and the document describing them.
pub(crate) fn api_service() -> OpenApiService<Apis, ()> {
    OpenApiService::new(
        (
            CampaignsApi,
            ScheduleApi,
            PreviewApi,
            TestEmailApi,
            EnrolmentsApi,
            MailboxesApi,
            LeadsApi,
            AgentsApi,
            DncApi,
            WebhooksApi,
            WorkspacesApi,
            HealthApi,
            TrackingApi,
            AnalyticsApi,
        ),
        "Sendline API",
        env!("CARGO_PKG_VERSION"),
    )
    .description(DESCRIPTION)
    .contact(ContactObject::new().name("Sendline"))
}

/// The OpenAPI document as pretty-printed JSON: what `api/openapi.json` holds.
pub fn openapi_json() -> String {
    let mut document = api_service().spec();
    document.push('\n');
    document
}

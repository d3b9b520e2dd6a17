//! The composition root: ports in, an HTTP application out.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use application::key_cache::KeyCache;
use application::ports::{
    AgentRepository, CampaignRepository, Clock, IdGenerator, IdempotencyKeys, IdentityRepository,
    MailboxRepository, RateLimitWindows, Readiness, SecretGenerator,
};
use application::rate_limiter::{RateLimit, RateLimiter};
use application::use_cases::account::ReadAccount;
use application::use_cases::authenticate::Authenticate;
use application::use_cases::campaign_lifecycle::CampaignLifecycle;
use application::use_cases::create_agent::CreateAgent;
use application::use_cases::create_campaign::CreateCampaign;
use application::use_cases::delete_mailbox::DeleteMailbox;
use application::use_cases::idempotent_requests::IdempotentRequests;
use application::use_cases::list_agents::ListAgents;
use application::use_cases::read_campaigns::ReadCampaigns;
use application::use_cases::read_mailboxes::ReadMailboxes;
use application::use_cases::register_mailbox::RegisterMailbox;
use application::use_cases::update_campaign::UpdateCampaign;
use application::use_cases::update_mailbox::UpdateMailbox;
use application::use_cases::workspace_keys::WorkspaceKeys;
use application::use_cases::workspaces::Workspaces;
use domain::values::WebhookHostPolicy;
use poem::listener::Acceptor;
use poem::middleware::CatchPanic;
use poem::{Endpoint, EndpointExt, Response, Route, Server};
use poem_openapi::{ContactObject, OpenApiService};

use crate::allowed_methods::with_allow_header;
use crate::campaign_views::RenderedCampaigns;
use crate::deadline::RequestDeadline;
use crate::error::{ApiError, render_error};
use crate::idempotency::Idempotency;
use crate::rate_limits::{RateLimiters, RateLimiting};
use crate::routes::{AgentsApi, CampaignsApi, HealthApi, MailboxesApi, WorkspacesApi};
use crate::telemetry::RequestTracing;

/// How long a request's body may take to arrive by default.
pub const DEFAULT_BODY_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a request may take by default, body included.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a connection may stay idle (nothing read or written) before it is closed.
pub const IDLE_CONNECTION_TIMEOUT: Duration = Duration::from_secs(60);

/// How long in-flight requests may take to finish after a shutdown signal.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

/// Every port the application drives.
#[derive(Clone)]
pub struct Ports {
    pub campaigns: Arc<dyn CampaignRepository>,
    pub mailboxes: Arc<dyn MailboxRepository>,
    pub agents: Arc<dyn AgentRepository>,
    pub identity: Arc<dyn IdentityRepository>,
    pub idempotency_keys: Arc<dyn IdempotencyKeys>,
    pub rate_limit_windows: Arc<dyn RateLimitWindows>,
    pub readiness: Arc<dyn Readiness>,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn IdGenerator>,
    pub secrets: Arc<dyn SecretGenerator>,
}

impl std::fmt::Debug for Ports {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ports").finish_non_exhaustive()
    }
}

impl Ports {
    /// The production wiring: the database's repositories, the system clock, ObjectId-layout ids and
    /// the operating system's random numbers.
    pub fn from_database(database: &adapters::Database) -> Self {
        Self {
            campaigns: database.campaigns(),
            mailboxes: database.mailboxes(),
            agents: database.agents(),
            identity: database.identity(),
            idempotency_keys: database.idempotency_keys(),
            rate_limit_windows: database.rate_limit_windows(),
            readiness: database.readiness(),
            clock: Arc::new(adapters::SystemClock),
            ids: Arc::new(adapters::ObjectIdGenerator),
            secrets: Arc::new(adapters::OsSecretGenerator),
        }
    }
}

/// Server settings that change behaviour.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Whether webhooks may target private addresses (`--allow-private-webhooks`).
    pub webhook_hosts: WebhookHostPolicy,
    /// Whether the benchmark's echo route is mounted (`serve --bench-routes`).
    pub bench_routes: bool,
    /// How long a live API key is remembered after its lookup (`serve --key-cache-ms`).
    pub key_cache_time_to_live: Duration,
    /// How many bytes of rendered campaigns reads keep (`serve --campaign-cache-mb`).
    pub campaign_cache_bytes: u64,
    /// How long a request holds its `Idempotency-Key` before a retry may run in its place
    /// (`serve --idempotency-lease-ms`).
    pub idempotency_lease: Duration,
    /// Requests per API key per window; 0: unlimited (`serve --rate-limit`).
    pub rate_limit_per_key: u64,
    /// Requests without a valid key per client address per window; 0: unlimited
    /// (`serve --rate-limit-per-address`).
    pub rate_limit_per_address: u64,
    /// The rate-limit window (`serve --rate-limit-window-s`).
    pub rate_limit_window: Duration,
    /// How long a request's body may take to arrive (`serve --body-timeout-ms`); past it, 408.
    pub body_read_timeout: Duration,
    /// How long a request may take (`serve --request-timeout-ms`); past it, 503. Keep it below the
    /// idempotency lease.
    pub request_timeout: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            webhook_hosts: WebhookHostPolicy::PublicOnly,
            bench_routes: false,
            key_cache_time_to_live: Duration::from_millis(crate::cli::DEFAULT_KEY_CACHE_MS),
            campaign_cache_bytes: crate::cli::DEFAULT_CAMPAIGN_CACHE_MB * 1024 * 1024,
            idempotency_lease: Duration::from_millis(crate::cli::DEFAULT_IDEMPOTENCY_LEASE_MS),
            rate_limit_per_key: crate::cli::DEFAULT_RATE_LIMIT_PER_KEY,
            rate_limit_per_address: crate::cli::DEFAULT_RATE_LIMIT_PER_ADDRESS,
            rate_limit_window: Duration::from_secs(crate::cli::DEFAULT_RATE_LIMIT_WINDOW_S),
            body_read_timeout: DEFAULT_BODY_READ_TIMEOUT,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
        }
    }
}

/// The use cases the routes call, shared by every request.
pub struct AppState {
    pub authenticate: Authenticate,
    pub create_campaign: CreateCampaign,
    pub read_campaigns: ReadCampaigns,
    /// The campaigns reads have rendered, by version.
    pub rendered_campaigns: RenderedCampaigns,
    pub update_campaign: UpdateCampaign,
    pub campaign_lifecycle: CampaignLifecycle,
    pub register_mailbox: RegisterMailbox,
    pub read_mailboxes: ReadMailboxes,
    pub update_mailbox: UpdateMailbox,
    pub delete_mailbox: DeleteMailbox,
    pub create_agent: CreateAgent,
    pub list_agents: ListAgents,
    pub read_account: ReadAccount,
    pub workspaces: Workspaces,
    pub workspace_keys: WorkspaceKeys,
    pub idempotent_requests: IdempotentRequests,
    /// Shared with their background sync, which ends when the state is dropped.
    pub rate_limiters: Arc<RateLimiters>,
    pub body_read_timeout: Duration,
    pub request_timeout: Duration,
    pub readiness: Arc<dyn Readiness>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState").finish_non_exhaustive()
    }
}

impl AppState {
    pub fn new(ports: &Ports, options: Options) -> Self {
        let keys = Arc::new(KeyCache::new(options.key_cache_time_to_live));
        Self {
            authenticate: Authenticate {
                identity: ports.identity.clone(),
                keys: keys.clone(),
            },
            create_campaign: CreateCampaign {
                campaigns: ports.campaigns.clone(),
                mailboxes: ports.mailboxes.clone(),
                agents: ports.agents.clone(),
                clock: ports.clock.clone(),
                ids: ports.ids.clone(),
                secrets: ports.secrets.clone(),
                webhook_hosts: options.webhook_hosts,
            },
            read_campaigns: ReadCampaigns {
                campaigns: ports.campaigns.clone(),
            },
            rendered_campaigns: RenderedCampaigns::new(options.campaign_cache_bytes),
            update_campaign: UpdateCampaign {
                campaigns: ports.campaigns.clone(),
                mailboxes: ports.mailboxes.clone(),
                agents: ports.agents.clone(),
                clock: ports.clock.clone(),
                ids: ports.ids.clone(),
                secrets: ports.secrets.clone(),
                webhook_hosts: options.webhook_hosts,
            },
            campaign_lifecycle: CampaignLifecycle {
                campaigns: ports.campaigns.clone(),
                clock: ports.clock.clone(),
            },
            register_mailbox: RegisterMailbox {
                mailboxes: ports.mailboxes.clone(),
                clock: ports.clock.clone(),
                ids: ports.ids.clone(),
            },
            read_mailboxes: ReadMailboxes {
                mailboxes: ports.mailboxes.clone(),
            },
            update_mailbox: UpdateMailbox {
                mailboxes: ports.mailboxes.clone(),
                clock: ports.clock.clone(),
            },
            delete_mailbox: DeleteMailbox {
                mailboxes: ports.mailboxes.clone(),
                clock: ports.clock.clone(),
            },
            create_agent: CreateAgent {
                agents: ports.agents.clone(),
                clock: ports.clock.clone(),
                ids: ports.ids.clone(),
            },
            list_agents: ListAgents {
                agents: ports.agents.clone(),
            },
            read_account: ReadAccount {
                identity: ports.identity.clone(),
            },
            workspaces: Workspaces {
                identity: ports.identity.clone(),
                clock: ports.clock.clone(),
                ids: ports.ids.clone(),
            },
            workspace_keys: WorkspaceKeys {
                identity: ports.identity.clone(),
                keys,
                clock: ports.clock.clone(),
                ids: ports.ids.clone(),
                secrets: ports.secrets.clone(),
            },
            idempotent_requests: IdempotentRequests {
                keys: ports.idempotency_keys.clone(),
                clock: ports.clock.clone(),
                lease: options.idempotency_lease,
            },
            rate_limiters: Arc::new(RateLimiters {
                per_key: rate_limiter(ports, options.rate_limit_per_key, options.rate_limit_window),
                per_address: rate_limiter(
                    ports,
                    options.rate_limit_per_address,
                    options.rate_limit_window,
                ),
            }),
            body_read_timeout: options.body_read_timeout,
            request_timeout: options.request_timeout,
            readiness: ports.readiness.clone(),
        }
    }
}

/// A limiter of `requests` per `window`; `None` for 0 (unlimited).
fn rate_limiter(ports: &Ports, requests: u64, window: Duration) -> Option<RateLimiter> {
    (requests > 0).then(|| {
        RateLimiter::new(
            ports.rate_limit_windows.clone(),
            ports.clock.clone(),
            RateLimit { requests, window },
        )
    })
}

type Apis = (
    CampaignsApi,
    MailboxesApi,
    AgentsApi,
    WorkspacesApi,
    HealthApi,
);

const DESCRIPTION: &str = "\
Sendline: a self-hosted cold-email campaign backend, wire-compatible with the SendKit Platform API.

* JSON in and out, `camelCase` field names. Unknown fields in a request body are rejected.
* Success: `{\"success\": true, \"data\": ...}`; create answers 201.
* Every error (4xx and 5xx, including unknown routes (404), wrong methods (405), a body that is not \
JSON (400 `MALFORMED_JSON`), not `application/json` (415), larger than 1 MiB (413) or slower to arrive \
than the body timeout (408), and requests stopped at the server's deadline (503)) has the shape \
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
pub fn api_service() -> OpenApiService<Apis, ()> {
    OpenApiService::new(
        (
            CampaignsApi,
            MailboxesApi,
            AgentsApi,
            WorkspacesApi,
            HealthApi,
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

/// A panic is a bug, never an answer: logged, and answered like any unexpected error.
fn panic_response(_panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    use poem::error::ResponseError;
    ApiError::internal(&anyhow::anyhow!("a request handler panicked")).as_response()
}

/// The whole HTTP application: the API, its document and docs UI, the error envelope around every
/// route (a panic included), and a request id with a tracing span on every request.
pub fn app(ports: &Ports, options: Options) -> impl Endpoint + 'static {
    let state = Arc::new(AppState::new(ports, options));
    RateLimiters::keep_shared(&state.rate_limiters);
    let service = api_service();
    let docs = service.swagger_ui();
    let json = service.spec_endpoint();
    let yaml = service.spec_endpoint_yaml();
    let routes = Route::new()
        .nest("/docs", docs)
        .at("/openapi.json", json)
        .at("/openapi.yaml", yaml);
    let routes = if options.bench_routes {
        routes.at(crate::bench::ECHO_PATH, poem::post(crate::bench::echo))
    } else {
        routes
    };
    routes
        .nest("/", service)
        .data(state.clone())
        .catch_all_error(render_error)
        .around(with_allow_header)
        .with(CatchPanic::new().with_handler(panic_response))
        .with(Idempotency::new(state.clone()))
        .with(RequestDeadline::new(options.request_timeout))
        .with(RateLimiting::new(state))
        .with(RequestTracing::new(ports.ids.clone()))
}

/// Serves `app` on `acceptor` until `shutdown` resolves; then stops accepting connections and lets
/// in-flight requests finish (for at most [`SHUTDOWN_GRACE`]).
pub async fn serve(
    acceptor: impl Acceptor + 'static,
    app: impl Endpoint + 'static,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    Server::new_with_acceptor(acceptor)
        .idle_timeout(IDLE_CONNECTION_TIMEOUT)
        .run_with_graceful_shutdown(app, shutdown, Some(SHUTDOWN_GRACE))
        .await
}

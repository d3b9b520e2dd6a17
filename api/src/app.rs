//! The HTTP application: builds the state from the ports and options, wraps the OpenAPI service in
//! its middleware, and serves it.

use std::future::Future;
use std::sync::Arc;

use application::use_cases::tracking::recorder::HitRecorder;
use poem::http::Method;
use poem::middleware::CatchPanic;
use poem::web::Redirect;
use poem::{Endpoint, EndpointExt, IntoResponse, Request, Response, Route, Server};

use crate::allowed_methods::with_allow_header;
use crate::auth::Authentication;
use crate::client_address;
use crate::deadline::RequestDeadline;
use crate::error::{ApiError, render_error};
use crate::idempotency::Idempotency;
use crate::listener::ApiAcceptor;
use crate::openapi::api_service;
use crate::rate_limits::{RateLimiting, keep_shared};
use crate::request_head::bounded_head;
use crate::state::{AppState, IDLE_CONNECTION_TIMEOUT, Options, Ports, SHUTDOWN_GRACE};
use crate::telemetry::RequestTracing;

/// A panic is a bug, never an answer: logged, and answered like any unexpected error.
fn panic_response(_panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    use poem::error::ResponseError;
    ApiError::internal(&anyhow::anyhow!("a request handler panicked")).as_response()
}

/// `GET /` (and `HEAD /`) is sent to the interactive docs (307); everything else goes on. Not a
/// route: the OpenAPI service, nested at `/`, answers `/` itself, ahead of any route at `/`.
async fn root_to_the_docs<E: Endpoint>(next: E, request: Request) -> poem::Result<Response> {
    if request.uri().path() == "/" && matches!(*request.method(), Method::GET | Method::HEAD) {
        return Ok(Redirect::temporary("/docs").into_response());
    }
    next.call(request).await.map(IntoResponse::into_response)
}

/// The whole HTTP application: the API, its document and docs UI (where `GET /` redirects), the error
/// envelope around every route (a panic included), and a request id with a tracing span on every
/// request. Outermost first: tracing, the client address, authentication (once), rate limits, the
/// bounds on the URL and headers, the deadline, idempotency, then the routes. Opens and clicks go to
/// `hits` (its writer runs beside the server: see `HitWriter::run`).
pub fn app(ports: &Ports, options: Options, hits: HitRecorder) -> impl Endpoint + 'static {
    let state = Arc::new(AppState::new(ports, &options, hits));
    keep_shared(&state.rate_limiters);
    let trusted_proxies = options.trusted_proxies.clone();
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
        .around(root_to_the_docs)
        .data(state.clone())
        .catch_all_error(render_error)
        .around(with_allow_header)
        .with(CatchPanic::new().with_handler(panic_response))
        .with(Idempotency::new(state.clone()))
        .with(RequestDeadline::new(options.request_timeout))
        .around(bounded_head)
        .with(RateLimiting::new(state.clone()))
        .with(Authentication::new(state.authenticate.clone()))
        .before(move |mut request| {
            client_address::resolve(&mut request, &trusted_proxies);
            std::future::ready(Ok(request))
        })
        .with(RequestTracing::new(ports.ids.clone()))
}

/// Serves `app` on `acceptor` until `shutdown` resolves; then stops accepting connections and lets
/// in-flight requests finish (for at most [`SHUTDOWN_GRACE`]).
pub async fn serve(
    acceptor: ApiAcceptor,
    app: impl Endpoint + 'static,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    Server::new_with_acceptor(acceptor)
        .idle_timeout(IDLE_CONNECTION_TIMEOUT)
        .run_with_graceful_shutdown(app, shutdown, Some(SHUTDOWN_GRACE))
        .await
}

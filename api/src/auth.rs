//! API-key authentication and tenancy (spec section 2): a middleware that looks the request's key up
//! once, and the poem-openapi extractors that read what it found.
//!
//! [`Authentication`] runs first on every request (inside its tracing span): it authenticates the key
//! sent in `X-Api-Key` or `Authorization: Bearer` and keeps the outcome, [`Authenticated`], in the
//! request's data. The rate limits (whose client is the key), the idempotency middleware (whose keys
//! belong to the caller) and the extractors read it there; none looks the key up again. It refuses
//! nothing: a request is refused by the extractor of its operation, before its body is read.
//!
//! [`Tenant`] is the first argument of every workspace-scoped operation, so a request is authenticated
//! before its body is read. The rules live in `application::use_cases::authenticate`; this only reads
//! the headers, calls it, and maps its errors into the envelope. In the OpenAPI document it declares
//! both security schemes (`X-Api-Key` or `Authorization: Bearer`, either one) and the optional
//! `X-Workspace-Id` header that names the workspace, named by the operation argument's `name`.
//!
//! [`KeyHolder`] is the first argument of the operations that name their workspace in the path or need
//! none (`/v1/account`, `/v1/workspaces…`): it authenticates the key and resolves no workspace, so it
//! declares the same security schemes but no `X-Workspace-Id`; one sent anyway is ignored.
//!
//! Neither puts a key in a log line or a span field: the request span holds the request id, method,
//! path, client address and workspace, and `ApiKeySecret`'s `Debug` shows no more than the key's visible prefix.

use std::borrow::Cow;
use std::sync::Arc;

use application::tenancy::Tenancy;
use application::use_cases::authenticate::{AuthError, Authenticate, Caller, Credentials};
use domain::identity::ApiKey;
use poem::http::header::AUTHORIZATION;
use poem::{Endpoint, Middleware, Request, RequestBody};
use poem_openapi::registry::{
    MetaParamIn, MetaSchema, MetaSchemaRef, MetaSecurityScheme, Registry,
};
use poem_openapi::{ApiExtractor, ApiExtractorType, ExtractParamOptions};

use crate::error::ApiError;
use crate::state::AppState;

/// The security scheme of `X-Api-Key`.
pub(crate) const API_KEY_SCHEME: &str = "ApiKey";
/// The security scheme of `Authorization: Bearer`.
pub(crate) const BEARER_SCHEME: &str = "Bearer";
pub(crate) const API_KEY_HEADER: &str = "X-Api-Key";
pub(crate) const WORKSPACE_HEADER: &str = "X-Workspace-Id";

const KEY_DESCRIPTION: &str = "Platform API key (`sk_user_…`) or workspace API key (`sk_…`). Send it in `X-Api-Key` or as `Authorization: Bearer <key>`, not both with different keys. On workspace-scoped operations (every `/v1/…` path but `/v1/account` and `/v1/workspaces…`: campaigns, mailboxes, agents, leads, do-not-contact, analytics, webhooks) a platform key must name its workspace in `X-Workspace-Id`; `/v1/account` and `/v1/workspaces…` take no `X-Workspace-Id`.";

/// The workspace a request acts in, and the user behind its key.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Tenant(pub Tenancy);

/// The user behind the request's key, and the key's kind; no workspace resolved.
#[derive(Debug, Clone, Copy)]
pub(crate) struct KeyHolder(pub Caller);

/// A header's value as text; a value that is not valid UTF-8 becomes text that can never be a key or id.
fn header<'r>(request: &'r Request, name: &str) -> Option<Cow<'r, str>> {
    request
        .headers()
        .get(name)
        .map(|value| String::from_utf8_lossy(value.as_bytes()))
}

/// How each refusal of the use case is answered.
impl From<&AuthError> for ApiError {
    fn from(error: &AuthError) -> Self {
        match error {
            AuthError::ConflictingKeys => ApiError::conflicting_api_keys(error.to_string()),
            AuthError::Unauthorized => ApiError::unauthorized(),
            AuthError::WorkspaceRequired | AuthError::MalformedWorkspaceId => {
                ApiError::workspace_required(error.to_string())
            }
            AuthError::Forbidden(_) => ApiError::forbidden(error.to_string()),
            // Kept in the request's data, the cause is shared: its chain is logged as text.
            AuthError::Unknown(cause) => ApiError::internal(&anyhow::anyhow!("{cause:#}")),
        }
    }
}

impl From<AuthError> for ApiError {
    fn from(error: AuthError) -> Self {
        Self::from(&error)
    }
}

/// The workspace the request names in `X-Workspace-Id`, as sent.
pub(crate) fn named_workspace(request: &Request) -> Option<Cow<'_, str>> {
    header(request, WORKSPACE_HEADER)
}

/// How the request's key authenticated: the live key, or why not. Found once per request by
/// [`Authentication`] and kept in the request's data.
#[derive(Debug, Clone)]
pub(crate) struct Authenticated(Arc<Result<ApiKey, AuthError>>);

impl Authenticated {
    /// What [`Authentication`] found for `request`; `None` if it did not pass through it.
    pub(crate) fn of(request: &Request) -> Option<&Self> {
        request.data::<Self>()
    }

    /// The live key the request presented, if it did.
    pub(crate) fn key(&self) -> Option<&ApiKey> {
        self.0.as_ref().as_ref().ok()
    }

    /// The user behind the key, or why there is none.
    pub(crate) fn caller(&self) -> Result<Caller, &AuthError> {
        self.0.as_ref().as_ref().map(Caller::of)
    }
}

/// What the extractors read: the caller, or the answer to a request without a valid key.
fn caller_of(request: &Request) -> Result<Caller, ApiError> {
    let authenticated = Authenticated::of(request).ok_or_else(|| {
        ApiError::internal(&anyhow::anyhow!(
            "the request did not pass through the authentication middleware"
        ))
    })?;
    authenticated.caller().map_err(ApiError::from)
}

/// The middleware that authenticates every request's key once; see the module documentation.
#[derive(Debug)]
pub(crate) struct Authentication {
    authenticate: Authenticate,
}

impl Authentication {
    pub(crate) fn new(authenticate: Authenticate) -> Self {
        Self { authenticate }
    }
}

impl<E: Endpoint> Middleware<E> for Authentication {
    type Output = AuthenticationEndpoint<E>;

    fn transform(&self, inner: E) -> Self::Output {
        AuthenticationEndpoint {
            inner,
            authenticate: self.authenticate.clone(),
        }
    }
}

#[derive(Debug)]
pub(crate) struct AuthenticationEndpoint<E> {
    inner: E,
    authenticate: Authenticate,
}

impl<E: Endpoint> Endpoint for AuthenticationEndpoint<E> {
    type Output = E::Output;

    async fn call(&self, mut request: Request) -> poem::Result<Self::Output> {
        let found = {
            let headers = KeyHeaders::of(&request);
            self.authenticate.key(headers.credentials()).await
        };
        request.set_data(Authenticated(Arc::new(found)));
        self.inner.call(request).await
    }
}

/// Both ways of sending a key, for the document.
fn register_key_schemes(registry: &mut Registry) {
    registry.create_security_scheme(
        API_KEY_SCHEME,
        MetaSecurityScheme {
            ty: "apiKey",
            description: Some(KEY_DESCRIPTION),
            name: Some(API_KEY_HEADER),
            key_in: Some("header"),
            scheme: None,
            bearer_format: None,
            flows: None,
            openid_connect_url: None,
        },
    );
    registry.create_security_scheme(
        BEARER_SCHEME,
        MetaSecurityScheme {
            ty: "http",
            description: Some(KEY_DESCRIPTION),
            name: None,
            key_in: None,
            scheme: Some("bearer"),
            bearer_format: Some("sk_user_… or sk_…"),
            flows: None,
            openid_connect_url: None,
        },
    );
}

fn key_security_schemes() -> Vec<&'static str> {
    // Two requirement objects: either scheme alone is enough.
    vec![API_KEY_SCHEME, BEARER_SCHEME]
}

fn state_of(request: &Request) -> Result<&Arc<AppState>, ApiError> {
    request.data::<Arc<AppState>>().ok_or_else(|| {
        ApiError::internal(&anyhow::anyhow!(
            "the application state is not attached to the request"
        ))
    })
}

/// The request's key headers, as sent.
struct KeyHeaders<'r> {
    api_key: Option<Cow<'r, str>>,
    authorization: Option<Cow<'r, str>>,
}

impl<'r> KeyHeaders<'r> {
    fn of(request: &'r Request) -> Self {
        Self {
            api_key: header(request, API_KEY_HEADER),
            authorization: header(request, AUTHORIZATION.as_str()),
        }
    }

    /// The key the request presents; looking it up never reads `X-Workspace-Id`.
    fn credentials(&self) -> Credentials<'_> {
        Credentials {
            api_key: self.api_key.as_deref(),
            authorization: self.authorization.as_deref(),
            workspace_id: None,
        }
    }
}

impl<'a> ApiExtractor<'a> for Tenant {
    const TYPES: &'static [ApiExtractorType] = &[
        ApiExtractorType::SecurityScheme,
        ApiExtractorType::Parameter,
    ];
    const PARAM_IS_REQUIRED: bool = false;

    type ParamType = ();
    type ParamRawType = ();

    fn register(registry: &mut Registry) {
        register_key_schemes(registry);
    }

    fn security_schemes() -> Vec<&'static str> {
        key_security_schemes()
    }

    fn param_in() -> Option<MetaParamIn> {
        Some(MetaParamIn::Header)
    }

    fn param_schema_ref() -> Option<MetaSchemaRef> {
        Some(MetaSchemaRef::Inline(Box::new(MetaSchema {
            description: Some(
                "The workspace to act in: required with a platform key (else 400 WORKSPACE_REQUIRED; \
                 403 when the key's user is not a member); optional with a workspace key, which may \
                 only name its own workspace (else 403).",
            ),
            pattern: Some("^[0-9a-f]{24}$".to_owned()),
            ..MetaSchema::new("string")
        })))
    }

    async fn from_request(
        request: &'a Request,
        _body: &mut RequestBody,
        _param_opts: ExtractParamOptions<Self::ParamType>,
    ) -> poem::Result<Self> {
        let state = state_of(request)?;
        let caller = caller_of(request)?;
        let tenancy = state
            .authenticate
            .tenancy_of(caller, named_workspace(request).as_deref())
            .await
            .map_err(ApiError::from)?;
        tracing::Span::current().record("workspace", tracing::field::display(tenancy.workspace_id));
        Ok(Tenant(tenancy))
    }
}

impl<'a> ApiExtractor<'a> for KeyHolder {
    const TYPES: &'static [ApiExtractorType] = &[ApiExtractorType::SecurityScheme];

    type ParamType = ();
    type ParamRawType = ();

    fn register(registry: &mut Registry) {
        register_key_schemes(registry);
    }

    fn security_schemes() -> Vec<&'static str> {
        key_security_schemes()
    }

    async fn from_request(
        request: &'a Request,
        _body: &mut RequestBody,
        _param_opts: ExtractParamOptions<Self::ParamType>,
    ) -> poem::Result<Self> {
        // No X-Workspace-Id is read: these operations take their workspace from the path.
        Ok(KeyHolder(caller_of(request)?))
    }
}

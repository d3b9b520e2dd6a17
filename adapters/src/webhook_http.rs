//! The `WebhookTransport` port over HTTP (reqwest with rustls), and the `Resolver` port over DNS
//! (hickory, as the MX lookups): SENDING.md section 7.
//!
//! A try connects to the address the use case checked: the URL's host is pinned to it
//! (`ClientBuilder::resolve`), so the client looks nothing up; no proxy from the environment, no
//! redirect followed (a 3xx is the answer), one client per try with the destination's timeout.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use application::ports::{
    ResolveFailed, Resolver, WebhookAnswer, WebhookRequest, WebhookTransport,
};
use async_trait::async_trait;
use hickory_resolver::TokioResolver;
use tokio_rustls::rustls::{self, ClientConfig, RootCertStore};

use crate::dns_resolvers::{resolver_asking, system_resolver};

/// How long one query to the test's name server may take (hickory's default).
const QUERY_TIMEOUT: Duration = Duration::from_secs(5);

/// Webhook tries over HTTP(S).
#[derive(Clone)]
pub struct HttpWebhookTransport {
    tls: Arc<ClientConfig>,
}

impl std::fmt::Debug for HttpWebhookTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpWebhookTransport")
            .finish_non_exhaustive()
    }
}

impl Default for HttpWebhookTransport {
    fn default() -> Self {
        Self::new()
    }
}

impl HttpWebhookTransport {
    /// Trusting the webpki roots, with ring (the TLS stack of SMTP and IMAP).
    pub fn new() -> Self {
        #[allow(deprecated)]
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let roots = RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        let config = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map(|builder| builder.with_root_certificates(roots).with_no_client_auth());
        let config = match config {
            Ok(config) => config,
            Err(error) => unreachable!("ring lacks the default TLS versions: {error}"),
        };
        Self {
            tls: Arc::new(config),
        }
    }

    fn client(&self, request: &WebhookRequest) -> reqwest::Result<reqwest::Client> {
        let mut builder = reqwest::Client::builder()
            .use_preconfigured_tls((*self.tls).clone())
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .timeout(request.timeout)
            .connect_timeout(request.timeout);
        if let Some(url::Host::Domain(name)) = request.url.url().host() {
            builder = builder.resolve(name, request.address);
        }
        builder.build()
    }
}

#[async_trait]
impl WebhookTransport for HttpWebhookTransport {
    async fn post(&self, request: WebhookRequest) -> WebhookAnswer {
        let started = Instant::now();
        let status = match self.client(&request) {
            Ok(client) => {
                let mut post = client.post(request.url.url().clone());
                for (name, value) in &request.headers {
                    post = post.header(name.as_str(), value.as_str());
                }
                match post.body(request.body.clone()).send().await {
                    Ok(response) => Ok(response.status().as_u16()),
                    Err(error) if error.is_timeout() => Err(format!(
                        "no answer within {} ms",
                        request.timeout.as_millis()
                    )),
                    Err(error) if error.is_connect() => {
                        Err(format!("cannot connect to {}", request.address))
                    }
                    Err(error) => Err(format!("the request failed: {}", without_url(&error))),
                }
            }
            Err(error) => Err(format!("no HTTP client: {error}")),
        };
        WebhookAnswer {
            status,
            duration: started.elapsed(),
        }
    }
}

/// The error's text without the URL (it may carry a token in its query).
fn without_url(error: &reqwest::Error) -> String {
    let mut error = error.to_string();
    if let Some(cut) = error.find(" for url (") {
        error.truncate(cut);
    }
    error
}

/// Host names resolved through DNS (hickory).
#[derive(Clone)]
pub struct HickoryResolver {
    resolver: Result<TokioResolver, String>,
}

impl std::fmt::Debug for HickoryResolver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HickoryResolver").finish_non_exhaustive()
    }
}

impl HickoryResolver {
    /// The system's resolver (`/etc/resolv.conf`); when it cannot be read, every lookup fails.
    pub fn system() -> Self {
        Self {
            resolver: system_resolver(),
        }
    }

    /// A resolver asking only the name server at `address`: for tests against a local DNS server.
    pub fn with_name_server(address: SocketAddr) -> Self {
        Self {
            resolver: resolver_asking(address, QUERY_TIMEOUT),
        }
    }
}

#[async_trait]
impl Resolver for HickoryResolver {
    async fn addresses(&self, host: &str) -> Result<Vec<IpAddr>, ResolveFailed> {
        let resolver = self
            .resolver
            .as_ref()
            .map_err(|reason| ResolveFailed(reason.clone()))?;
        let name = format!("{}.", host.trim_end_matches('.'));
        let lookup = resolver
            .lookup_ip(name.as_str())
            .await
            .map_err(|error| ResolveFailed(error.to_string()))?;
        let addresses: Vec<IpAddr> = lookup.iter().collect();
        if addresses.is_empty() {
            return Err(ResolveFailed(format!("{host} has no address")));
        }
        Ok(addresses)
    }
}

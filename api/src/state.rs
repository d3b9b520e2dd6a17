//! What every request shares, and what it is made of: the ports ([`Ports`]), the server's settings with
//! every default ([`Options`]), and the use cases built from both ([`AppState`]).
//!
//! A leaf: it imports no module of this crate that imports it back. The middleware, the extractors
//! and the routes read the state; `app` builds it and `cli` fills the options from the command line.

use std::sync::Arc;
use std::time::Duration;

use application::key_cache::KeyCache;
use application::ports::{
    AgentRepository, AnalyticsRepository, CampaignRepository, Clock, CredentialCipher,
    DncRepository, EnrolmentRepository, IdGenerator, IdempotencyKeys, IdentityRepository,
    InboundParser, InboxRepository, LeadRepository, MailTransport, MailboxReader,
    MailboxRepository, MxLookup, RandomChoice, RateLimitWindows, Readiness, Resolver,
    SecretGenerator, SendLedger, TrackingRepository, WebhookOutbox, WebhookRepository,
    WebhookTransport,
};
use application::rate_limiter::{RateLimit, RateLimiter};
use application::use_cases::account::ReadAccount;
use application::use_cases::analytics::Analytics;
use application::use_cases::authenticate::Authenticate;
use application::use_cases::campaign_lifecycle::CampaignLifecycle;
use application::use_cases::campaign_schedule::CampaignSchedule;
use application::use_cases::create_agent::CreateAgent;
use application::use_cases::create_campaign::CreateCampaign;
use application::use_cases::delete_mailbox::DeleteMailbox;
use application::use_cases::deliver_webhooks::DeliverWebhooks;
use application::use_cases::dispatch_sends::{DispatchDueSends, DispatchSettings};
use application::use_cases::do_not_contact::DoNotContact;
use application::use_cases::enrolments::Enrolments;
use application::use_cases::idempotent_requests::IdempotentRequests;
use application::use_cases::import_leads::ImportLeads;
use application::use_cases::leads::Leads;
use application::use_cases::list_agents::ListAgents;
use application::use_cases::mailbox_connections::MailboxConnections;
use application::use_cases::preview_email::PreviewEmail;
use application::use_cases::read_campaigns::ReadCampaigns;
use application::use_cases::read_mailbox::ReadMailbox;
use application::use_cases::read_mailboxes::ReadMailboxes;
use application::use_cases::register_mailbox::RegisterMailbox;
use application::use_cases::secure_gateways::SecureGateways;
use application::use_cases::send_test_email::SendTestEmail;
use application::use_cases::test_mailbox::TestMailbox;
use application::use_cases::tracking::TrackLinks;
use application::use_cases::tracking::recorder::HitRecorder;
use application::use_cases::update_campaign::UpdateCampaign;
use application::use_cases::update_mailbox::UpdateMailbox;
use application::use_cases::webhooks::Webhooks;
use application::use_cases::workspace_keys::WorkspaceKeys;
use application::use_cases::workspaces::Workspaces;
use domain::tracking::{PublicBaseUrl, TrackingKey};
use domain::values::WebhookHostPolicy;

use crate::campaign_views::RenderedCampaigns;
use crate::client_address::TrustedProxies;

/// The embedded default: a SQLite file in the working directory, created when missing.
pub(crate) const DEFAULT_DATABASE_URL: &str = "sqlite://sendline.db?mode=rwc";
/// The address the server listens on by default.
pub(crate) const DEFAULT_BIND: &str = "127.0.0.1:8080";
/// How long a live API key is remembered by default: a second bounds how late another instance's
/// revocation is seen, and still spares a busy client a lookup per request.
pub(crate) const DEFAULT_KEY_CACHE_MS: u64 = 1_000;
/// How many MiB of rendered campaigns reads keep by default: ~16,000 campaigns of the seed's size.
pub(crate) const DEFAULT_CAMPAIGN_CACHE_MB: u64 = 64;
/// How long a request holds its `Idempotency-Key` by default: far longer than any request runs, and
/// a retry after a crash waits no longer than this.
pub(crate) const DEFAULT_IDEMPOTENCY_LEASE_MS: u64 = 60_000;
/// Requests per API key per window by default: 100 a second on average, bursts up to all of it.
pub(crate) const DEFAULT_RATE_LIMIT_PER_KEY: u64 = 6_000;
/// Requests without a valid key per client address per window by default: enough for a person trying
/// the API, little for guessing keys (health checks and the docs are not counted).
pub(crate) const DEFAULT_RATE_LIMIT_PER_ADDRESS: u64 = 600;
/// The rate-limit window by default, in seconds.
pub(crate) const DEFAULT_RATE_LIMIT_WINDOW_S: u64 = 60;
/// How long a request's body may take to arrive by default.
pub(crate) const DEFAULT_BODY_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a request may take by default, body included.
pub(crate) const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a connection may stay idle (nothing read or written) before it is closed.
pub(crate) const IDLE_CONNECTION_TIMEOUT: Duration = Duration::from_secs(60);
/// How long in-flight requests may take to finish after a shutdown signal.
pub(crate) const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);
/// The longest request target (path and query) answered: longer is 414 `URI_TOO_LONG`. Far below the
/// 64 KiB past which hyper itself refuses a request line (before any of our code; src/hyper_refusals.rs
/// puts its 414 in the envelope too).
pub(crate) const MAX_URI_BYTES: usize = 8 * 1024;
/// The most header bytes (names and values, together) answered: more is 431 `HEADERS_TOO_LARGE`. Far
/// below the ~400 KiB request head past which hyper itself refuses (with a 431 that
/// src/hyper_refusals.rs puts in the envelope).
pub(crate) const MAX_HEADER_BYTES: usize = 32 * 1024;
/// The most headers a request may have: hyper's own bound (poem exposes no setting for it); more is
/// 431 `HEADERS_TOO_LARGE` (src/hyper_refusals.rs).
pub(crate) const MAX_HEADER_COUNT: usize = 100;

/// Every port the application drives.
#[derive(Clone)]
pub struct Ports {
    pub campaigns: Arc<dyn CampaignRepository>,
    pub mailboxes: Arc<dyn MailboxRepository>,
    pub leads: Arc<dyn LeadRepository>,
    pub do_not_contact: Arc<dyn DncRepository>,
    pub enrolments: Arc<dyn EnrolmentRepository>,
    pub agents: Arc<dyn AgentRepository>,
    pub identity: Arc<dyn IdentityRepository>,
    pub idempotency_keys: Arc<dyn IdempotencyKeys>,
    pub rate_limit_windows: Arc<dyn RateLimitWindows>,
    pub readiness: Arc<dyn Readiness>,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn IdGenerator>,
    pub secrets: Arc<dyn SecretGenerator>,
    /// Seals and opens the mailboxes' stored passwords.
    pub credentials: Arc<dyn CredentialCipher>,
    /// SMTP, for the mailbox test (and the engine).
    pub mail_transport: Arc<dyn MailTransport>,
    /// IMAP, for the mailbox test (and the reply reader).
    pub mailbox_reader: Arc<dyn MailboxReader>,
    /// MX lookups, for the engine's secure-email-gateway check.
    pub mx_lookup: Arc<dyn MxLookup>,
    /// The sending engine's claims.
    pub send_ledger: Arc<dyn SendLedger>,
    /// Uniform choices (a spintax option per message).
    pub random: Arc<dyn RandomChoice>,
    /// Opens, clicks and unsubscribes of sent messages.
    pub tracking: Arc<dyn TrackingRepository>,
    /// The INBOX reader's positions and the effects of replies and bounces.
    pub inbox: Arc<dyn InboxRepository>,
    /// Parses what the INBOX reader fetches.
    pub inbound_parser: Arc<dyn InboundParser>,
    /// Reads of the event rows.
    pub analytics: Arc<dyn AnalyticsRepository>,
    /// The workspace's webhook destinations.
    pub webhooks: Arc<dyn WebhookRepository>,
    /// The webhook deliveries written with their events.
    pub webhook_outbox: Arc<dyn WebhookOutbox>,
    /// DNS for the webhook tries' address checks.
    pub resolver: Arc<dyn Resolver>,
    /// HTTP for the webhook tries.
    pub webhook_transport: Arc<dyn WebhookTransport>,
}

/// The ports that reach outside the database, given to [`Ports::from_database`].
#[derive(Clone)]
pub struct MailPorts {
    pub credentials: Arc<dyn CredentialCipher>,
    pub mail_transport: Arc<dyn MailTransport>,
    pub mailbox_reader: Arc<dyn MailboxReader>,
    pub mx_lookup: Arc<dyn MxLookup>,
}

impl std::fmt::Debug for MailPorts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MailPorts").finish_non_exhaustive()
    }
}

impl std::fmt::Debug for Ports {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ports").finish_non_exhaustive()
    }
}

impl Ports {
    /// The production wiring: the database's repositories, the system clock, ObjectId-layout ids,
    /// the operating system's random numbers, and `mail` (the credential cipher under the server's
    /// key, SMTP, IMAP and MX lookups).
    pub fn from_database(database: &adapters::Database, mail: MailPorts) -> Self {
        let MailPorts {
            credentials,
            mail_transport,
            mailbox_reader,
            mx_lookup,
        } = mail;
        Self {
            campaigns: database.campaigns(),
            mailboxes: database.mailboxes(),
            leads: database.leads(),
            do_not_contact: database.do_not_contact(),
            enrolments: database.enrolments(),
            agents: database.agents(),
            identity: database.identity(),
            idempotency_keys: database.idempotency_keys(),
            rate_limit_windows: database.rate_limit_windows(),
            readiness: database.readiness(),
            clock: Arc::new(adapters::SystemClock),
            ids: Arc::new(adapters::ObjectIdGenerator),
            secrets: Arc::new(adapters::OsSecretGenerator),
            credentials,
            mail_transport,
            mailbox_reader,
            mx_lookup,
            send_ledger: database.send_ledger(),
            random: Arc::new(adapters::ThreadRandomChoice),
            tracking: database.tracking(),
            inbox: database.inbox(),
            inbound_parser: Arc::new(adapters::MailParser),
            analytics: database.analytics(),
            webhooks: database.webhooks(),
            webhook_outbox: database.webhook_outbox(),
            resolver: Arc::new(adapters::HickoryResolver::system()),
            webhook_transport: Arc::new(adapters::HttpWebhookTransport::new()),
        }
    }

    /// The webhook tries over these ports; `hosts` says whether private addresses may be reached.
    pub fn deliver_webhooks(&self, hosts: WebhookHostPolicy) -> DeliverWebhooks {
        DeliverWebhooks {
            outbox: self.webhook_outbox.clone(),
            transport: self.webhook_transport.clone(),
            resolver: self.resolver.clone(),
            cipher: self.credentials.clone(),
            clock: self.clock.clone(),
            random: self.random.clone(),
            hosts,
        }
    }

    /// The mailboxes with the key that opens their stored passwords.
    pub fn mailbox_connections(&self) -> MailboxConnections {
        MailboxConnections {
            mailboxes: self.mailboxes.clone(),
            credentials: self.credentials.clone(),
        }
    }

    /// The INBOX reader over these ports.
    pub fn read_mailbox(&self) -> ReadMailbox {
        ReadMailbox {
            inbox: self.inbox.clone(),
            reader: self.mailbox_reader.clone(),
            parser: self.inbound_parser.clone(),
            campaigns: self.campaigns.clone(),
            connections: self.mailbox_connections(),
            clock: self.clock.clone(),
            ids: self.ids.clone(),
        }
    }

    /// The sending engine over these ports.
    pub fn dispatch(&self, settings: DispatchSettings) -> DispatchDueSends {
        DispatchDueSends {
            ledger: self.send_ledger.clone(),
            campaigns: self.campaigns.clone(),
            leads: self.leads.clone(),
            connections: self.mailbox_connections(),
            transport: self.mail_transport.clone(),
            clock: self.clock.clone(),
            ids: self.ids.clone(),
            random: self.random.clone(),
            tracking: self.tracking.clone(),
            gateways: SecureGateways::new(self.mx_lookup.clone()),
            settings,
        }
    }
}

/// Server settings that change behaviour.
#[derive(Debug, Clone)]
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
    /// The proxies whose `X-Forwarded-For` names the client address (`serve --trusted-proxy`).
    pub trusted_proxies: TrustedProxies,
    /// How long a request's body may take to arrive (`serve --body-timeout-ms`); past it, 408.
    pub body_read_timeout: Duration,
    /// How long a request may take (`serve --request-timeout-ms`); past it, 503. Keep it below the
    /// idempotency lease.
    pub request_timeout: Duration,
    /// The key tracking tokens are signed with: derived from the server's secret key by `serve`, so
    /// that every process on one database signs alike. By default a random key of this process.
    pub tracking_key: TrackingKey,
    /// What links in messages point at (`serve --public-url`, default the bind address as
    /// announced); `None` until `serve` knows it.
    pub public_url: Option<PublicBaseUrl>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            webhook_hosts: WebhookHostPolicy::PublicOnly,
            bench_routes: false,
            key_cache_time_to_live: Duration::from_millis(DEFAULT_KEY_CACHE_MS),
            campaign_cache_bytes: DEFAULT_CAMPAIGN_CACHE_MB * 1024 * 1024,
            idempotency_lease: Duration::from_millis(DEFAULT_IDEMPOTENCY_LEASE_MS),
            rate_limit_per_key: DEFAULT_RATE_LIMIT_PER_KEY,
            rate_limit_per_address: DEFAULT_RATE_LIMIT_PER_ADDRESS,
            rate_limit_window: Duration::from_secs(DEFAULT_RATE_LIMIT_WINDOW_S),
            trusted_proxies: TrustedProxies::default(),
            body_read_timeout: DEFAULT_BODY_READ_TIMEOUT,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            tracking_key: TrackingKey::new(rand::random()),
            public_url: None,
        }
    }
}

/// The use cases the routes call, shared by every request.
pub(crate) struct AppState {
    pub authenticate: Authenticate,
    pub create_campaign: CreateCampaign,
    pub read_campaigns: ReadCampaigns,
    /// The campaigns reads have rendered, by version.
    pub rendered_campaigns: RenderedCampaigns,
    pub update_campaign: UpdateCampaign,
    pub campaign_lifecycle: CampaignLifecycle,
    pub campaign_schedule: CampaignSchedule,
    pub analytics: Analytics,
    pub preview_email: PreviewEmail,
    pub send_test_email: SendTestEmail,
    pub register_mailbox: RegisterMailbox,
    pub read_mailboxes: ReadMailboxes,
    pub update_mailbox: UpdateMailbox,
    pub delete_mailbox: DeleteMailbox,
    pub test_mailbox: TestMailbox,
    pub leads: Leads,
    pub import_leads: ImportLeads,
    pub do_not_contact: DoNotContact,
    pub enrolments: Enrolments,
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
    pub track_links: TrackLinks,
    pub webhooks: Webhooks,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState").finish_non_exhaustive()
    }
}

impl AppState {
    pub(crate) fn new(ports: &Ports, options: &Options, hits: HitRecorder) -> Self {
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
            campaign_schedule: CampaignSchedule {
                campaigns: ports.campaigns.clone(),
                mailboxes: ports.mailboxes.clone(),
                enrolments: ports.enrolments.clone(),
                clock: ports.clock.clone(),
            },
            analytics: Analytics {
                campaigns: ports.campaigns.clone(),
                analytics: ports.analytics.clone(),
                clock: ports.clock.clone(),
            },
            preview_email: PreviewEmail {
                campaigns: ports.campaigns.clone(),
                leads: ports.leads.clone(),
                mailboxes: ports.mailboxes.clone(),
            },
            send_test_email: SendTestEmail {
                campaigns: ports.campaigns.clone(),
                leads: ports.leads.clone(),
                connections: ports.mailbox_connections(),
                transport: ports.mail_transport.clone(),
                clock: ports.clock.clone(),
                ids: ports.ids.clone(),
                random: ports.random.clone(),
            },
            register_mailbox: RegisterMailbox {
                mailboxes: ports.mailboxes.clone(),
                clock: ports.clock.clone(),
                ids: ports.ids.clone(),
                credentials: ports.credentials.clone(),
            },
            read_mailboxes: ReadMailboxes {
                mailboxes: ports.mailboxes.clone(),
                clock: ports.clock.clone(),
            },
            update_mailbox: UpdateMailbox {
                mailboxes: ports.mailboxes.clone(),
                clock: ports.clock.clone(),
                credentials: ports.credentials.clone(),
            },
            test_mailbox: TestMailbox {
                connections: ports.mailbox_connections(),
                transport: ports.mail_transport.clone(),
                reader: ports.mailbox_reader.clone(),
            },
            delete_mailbox: DeleteMailbox {
                mailboxes: ports.mailboxes.clone(),
                clock: ports.clock.clone(),
            },
            leads: Leads {
                leads: ports.leads.clone(),
                clock: ports.clock.clone(),
                ids: ports.ids.clone(),
            },
            import_leads: ImportLeads {
                leads: ports.leads.clone(),
                clock: ports.clock.clone(),
                ids: ports.ids.clone(),
            },
            enrolments: Enrolments {
                enrolments: ports.enrolments.clone(),
                campaigns: ports.campaigns.clone(),
                leads: ports.leads.clone(),
                clock: ports.clock.clone(),
                ids: ports.ids.clone(),
            },
            do_not_contact: DoNotContact {
                entries: ports.do_not_contact.clone(),
                clock: ports.clock.clone(),
                ids: ports.ids.clone(),
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
            track_links: TrackLinks {
                tracking: ports.tracking.clone(),
                hits,
                clock: ports.clock.clone(),
                ids: ports.ids.clone(),
                key: options.tracking_key.clone(),
            },
            webhooks: Webhooks {
                repository: ports.webhooks.clone(),
                cipher: ports.credentials.clone(),
                secrets: ports.secrets.clone(),
                ids: ports.ids.clone(),
                clock: ports.clock.clone(),
                hosts: options.webhook_hosts,
                deliver: ports.deliver_webhooks(options.webhook_hosts),
            },
        }
    }
}

/// The limiters of the two kinds of client; `None` where unlimited.
#[derive(Debug, Default)]
pub(crate) struct RateLimiters {
    /// Requests that authenticate: per API key.
    pub per_key: Option<RateLimiter>,
    /// Requests without a valid key: per client address.
    pub per_address: Option<RateLimiter>,
}

impl RateLimiters {
    /// Both limiters, where limited.
    pub(crate) fn all(&self) -> impl Iterator<Item = &RateLimiter> {
        self.per_key.iter().chain(self.per_address.iter())
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

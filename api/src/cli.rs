//! The `sendline` command line (spec section 6).

use std::io::Write as _;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use application::ports::{DemoKeyStore, IdGenerator as _};
use application::use_cases::demo::{DemoKeyOrigin, EnsureDemo};
use application::use_cases::dispatch_sends::DispatchSettings;
use application::use_cases::idempotent_requests::IdempotentRequests;
use application::use_cases::init_workspace::{InitWorkspace, InitWorkspaceError};
use application::use_cases::tracking::recorder::{
    DEFAULT_BATCH_LIMIT, DEFAULT_QUEUE_CAPACITY, hit_recorder,
};
use clap::{Args, Parser, Subcommand};
use domain::tracking::{PublicBaseUrl, TrackingKey};
use domain::values::WebhookHostPolicy;

use crate::app;
use crate::client_address::{TrustedProxies, TrustedProxy};
use crate::inbox_reader::{DEFAULT_INBOX_POLL, InboxReader};
use crate::listener::ApiAcceptor;
use crate::openapi::openapi_json;
use crate::sending_engine::{SenderRule, SendingEngine};
use crate::state::{
    DEFAULT_BIND, DEFAULT_BODY_READ_TIMEOUT, DEFAULT_CAMPAIGN_CACHE_MB, DEFAULT_DATABASE_URL,
    DEFAULT_IDEMPOTENCY_LEASE_MS, DEFAULT_KEY_CACHE_MS, DEFAULT_RATE_LIMIT_PER_ADDRESS,
    DEFAULT_RATE_LIMIT_PER_KEY, DEFAULT_RATE_LIMIT_WINDOW_S, DEFAULT_REQUEST_TIMEOUT, MailPorts,
    Options, Ports,
};
use crate::telemetry::{self, LogFormat};
use crate::tls::Tls;

/// How often expired idempotency keys are forgotten.
const IDEMPOTENCY_PURGE_EVERY: Duration = Duration::from_secs(600);

/// Sendline: a self-hosted cold-email campaign backend.
#[derive(Debug, Parser)]
#[command(name = "sendline", version)]
pub(crate) struct Cli {
    /// How log lines are written to stderr: `text` for people (coloured only on a terminal) or
    /// `json` for log shippers (one object per line).
    #[arg(long, global = true, env = "SENDLINE_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Run the migrations, then serve the HTTP API until SIGINT or SIGTERM.
    Serve(ServeArgs),
    /// Run the sending engine without the HTTP API until SIGINT or SIGTERM (SENDING.md section 4).
    Worker(WorkerArgs),
    /// Create a user, a platform key, a workspace and its key; print them as one JSON object.
    Init(InitArgs),
    /// Run the database migrations.
    Migrate(DatabaseArgs),
    /// Print the OpenAPI document (JSON).
    #[command(hide = true)]
    Openapi,
    /// Fill a database for `cargo xtask bench`.
    #[command(hide = true)]
    BenchFill(BenchFillArgs),
}

#[derive(Debug, Args)]
pub(crate) struct BenchFillArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,
    #[arg(long, default_value_t = 10_000)]
    pub mailboxes: u32,
    #[arg(long, default_value_t = 100_000)]
    pub campaigns: u32,
    /// Leads, imported in bulks of 5,000 through the bulk writer.
    #[arg(long, default_value_t = 0)]
    pub leads: u32,
    /// Where to write the workspace key and campaign ids (no such workspace without it).
    #[arg(long)]
    pub output: Option<std::path::PathBuf>,
    /// Leads of a second workspace, the one the selectAll scenario enrols.
    #[arg(long, default_value_t = 100_000)]
    pub enrolment_leads: u32,
    /// Where to write the second workspace's key and campaign ids (no second workspace without it).
    #[arg(long)]
    pub enrolment_output: Option<std::path::PathBuf>,
    /// Mailboxes of the sending scenario's workspace.
    #[arg(long, default_value_t = 20_000)]
    pub sending_mailboxes: u32,
    /// Leads enrolled in the sending scenario's campaign.
    #[arg(long, default_value_t = 100_000)]
    pub sending_leads: u32,
    /// The port of the local SMTP sink the sending scenario's mailboxes send through.
    #[arg(long, default_value_t = 2525)]
    pub smtp_port: u16,
    /// Where to write the sending workspace's key and campaign id (no such workspace without it).
    #[arg(long)]
    pub sending_output: Option<std::path::PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct DatabaseArgs {
    /// `sqlite://…` or `postgres://…`.
    #[arg(long, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
    pub database_url: String,
}

#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    /// The address to listen on.
    #[arg(long, env = "SENDLINE_BIND", default_value = DEFAULT_BIND)]
    pub bind: String,
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// Make sure a demo workspace (three mailboxes tagged `outreach`, one agent) exists and print its
    /// key: the one kept beside the database (`sendline.db.demo-key`) while it works, else a new one.
    #[arg(long)]
    pub demo: bool,
    /// Let webhooks target private, loopback and link-local addresses (development only).
    #[arg(long, env = "SENDLINE_ALLOW_PRIVATE_WEBHOOKS")]
    pub allow_private_webhooks: bool,
    /// How long a live API key is remembered after a lookup, in milliseconds (0: look every key up on
    /// every request). A key revoked through this instance is refused at once; one revoked through
    /// another instance within this time at most.
    #[arg(long, env = "SENDLINE_KEY_CACHE_MS", default_value_t = DEFAULT_KEY_CACHE_MS)]
    pub key_cache_ms: u64,
    /// How many MiB of rendered campaigns `GET /v1/campaigns…` keep, each checked against its stored
    /// version on every read (0: render every campaign on every read).
    #[arg(long, env = "SENDLINE_CAMPAIGN_CACHE_MB", default_value_t = DEFAULT_CAMPAIGN_CACHE_MB)]
    pub campaign_cache_mb: u64,
    /// How long a request holds its `Idempotency-Key`, in milliseconds: a retry of it waits (or is
    /// told to come back) meanwhile, and may run in its place only after this, when the instance
    /// running it is taken to have died. Keep it well above the longest request.
    #[arg(long, env = "SENDLINE_IDEMPOTENCY_LEASE_MS", default_value_t = DEFAULT_IDEMPOTENCY_LEASE_MS)]
    pub idempotency_lease_ms: u64,
    /// Requests per API key per window (0: unlimited). Counted by every instance together.
    #[arg(long, env = "SENDLINE_RATE_LIMIT", default_value_t = DEFAULT_RATE_LIMIT_PER_KEY)]
    pub rate_limit: u64,
    /// Requests without a valid API key per client address per window (0: unlimited).
    #[arg(long, env = "SENDLINE_RATE_LIMIT_PER_ADDRESS", default_value_t = DEFAULT_RATE_LIMIT_PER_ADDRESS)]
    pub rate_limit_per_address: u64,
    /// The rate-limit window, in seconds.
    #[arg(long, env = "SENDLINE_RATE_LIMIT_WINDOW_S", default_value_t = DEFAULT_RATE_LIMIT_WINDOW_S, value_parser = clap::value_parser!(u64).range(1..))]
    pub rate_limit_window_s: u64,
    /// A load balancer or proxy (an address or a CIDR range; repeat it or separate them with commas)
    /// whose `X-Forwarded-For` names the client: its right-most address that is not a trusted proxy
    /// is the one the per-address rate limit counts. Without it, `X-Forwarded-For` is ignored.
    #[arg(
        long = "trusted-proxy",
        value_name = "CIDR",
        env = "SENDLINE_TRUSTED_PROXIES",
        value_delimiter = ','
    )]
    pub trusted_proxies: Vec<TrustedProxy>,
    /// How long a request's body may take to arrive, in milliseconds; past it, 408.
    #[arg(long, env = "SENDLINE_BODY_TIMEOUT_MS", default_value_t = DEFAULT_BODY_READ_TIMEOUT.as_millis() as u64, value_parser = clap::value_parser!(u64).range(1..))]
    pub body_timeout_ms: u64,
    /// How long a request may take, body included, in milliseconds; past it, it is stopped and
    /// answered 503. Keep it well below --idempotency-lease-ms.
    #[arg(long, env = "SENDLINE_REQUEST_TIMEOUT_MS", default_value_t = DEFAULT_REQUEST_TIMEOUT.as_millis() as u64, value_parser = clap::value_parser!(u64).range(1..))]
    pub request_timeout_ms: u64,
    /// Serve HTTPS with this PEM certificate chain (the server's certificate first); needs --tls-key.
    #[arg(
        long,
        env = "SENDLINE_TLS_CERT",
        value_name = "PATH",
        requires = "tls_key"
    )]
    pub tls_cert: Option<PathBuf>,
    /// The PEM private key of --tls-cert's certificate; needs --tls-cert.
    #[arg(
        long,
        env = "SENDLINE_TLS_KEY",
        value_name = "PATH",
        requires = "tls_cert"
    )]
    pub tls_key: Option<PathBuf>,
    /// Add the benchmark's echo route (`cargo xtask bench`); never in production.
    #[arg(long, hide = true)]
    pub bench_routes: bool,
    /// Serve the API only: no sending engine in this process (run `sendline worker` elsewhere).
    #[arg(long, env = "SENDLINE_NO_SENDING")]
    pub no_sending: bool,
    #[command(flatten)]
    pub engine: EngineArgs,
    /// The public base URL of this server, which links in sent messages (tracking, unsubscribe)
    /// point at: `https://track.example.com`. Default: the address announced at start.
    #[arg(long, env = "SENDLINE_PUBLIC_URL", value_name = "URL", value_parser = parse_public_url)]
    pub public_url: Option<PublicBaseUrl>,
}

/// How the sending engine runs (in `serve` and in `worker`).
#[derive(Debug, Args)]
pub(crate) struct EngineArgs {
    /// The pause after a sending round that found nothing to send, in milliseconds (a round that
    /// claimed something is followed by the next at once).
    #[arg(long, env = "SENDLINE_SEND_ROUND_MS", default_value_t = 1_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub send_round_ms: u64,
    /// At most this many emails claimed per campaign per round.
    #[arg(long, env = "SENDLINE_SEND_BATCH", default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..=10_000))]
    pub send_batch: u64,
    /// At most this many messages in SMTP at once.
    #[arg(long, env = "SENDLINE_SEND_PARALLEL", default_value_t = 16, value_parser = clap::value_parser!(u64).range(1..=1_000))]
    pub send_parallel: u64,
    /// The pause between two reads of every mailbox's INBOX (replies, auto-replies, bounces), in
    /// milliseconds: at most a minute (SENDING.md section 5).
    #[arg(long, env = "SENDLINE_INBOX_POLL_MS", default_value_t = DEFAULT_INBOX_POLL.as_millis() as u64, value_parser = clap::value_parser!(u64).range(1..=60_000))]
    pub inbox_poll_ms: u64,
}

impl EngineArgs {
    /// The INBOX reader over `ports`.
    fn inbox_reader(&self, ports: &Ports) -> InboxReader {
        InboxReader {
            read: ports.read_mailbox(),
            interval: Duration::from_millis(self.inbox_poll_ms),
        }
    }

    /// The engine over `ports`, named uniquely in the ledger; its links point at `public_url` and
    /// are signed with `tracking_key`.
    fn engine(
        &self,
        ports: &Ports,
        database_url: &str,
        public_url: PublicBaseUrl,
        tracking_key: TrackingKey,
    ) -> SendingEngine {
        let worker = format!(
            "{}-{}",
            std::process::id(),
            adapters::ObjectIdGenerator.new_id()
        );
        SendingEngine {
            dispatch: ports.dispatch(DispatchSettings {
                worker,
                claims_per_campaign: usize::try_from(self.send_batch).unwrap_or(100),
                parallel_sends: usize::try_from(self.send_parallel).unwrap_or(16),
                public_url,
                tracking_key,
            }),
            wall_clock: Arc::new(adapters::SystemClock),
            rule: SenderRule::for_database(database_url),
            round_interval: Duration::from_millis(self.send_round_ms),
        }
    }
}

#[derive(Debug, Args)]
pub(crate) struct WorkerArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,
    #[command(flatten)]
    pub engine: EngineArgs,
    /// The public base URL of the API servers, which tracking and unsubscribe links in sent messages
    /// point at.
    #[arg(long, env = "SENDLINE_PUBLIC_URL", value_name = "URL", value_parser = parse_public_url, default_value = "http://127.0.0.1:8080")]
    pub public_url: PublicBaseUrl,
    /// Let webhook deliveries reach private, loopback and link-local addresses (development only).
    #[arg(long, env = "SENDLINE_ALLOW_PRIVATE_WEBHOOKS")]
    pub allow_private_webhooks: bool,
}

/// `--allow-private-webhooks` as a host policy.
fn webhook_hosts(allow_private: bool) -> WebhookHostPolicy {
    if allow_private {
        WebhookHostPolicy::AllowPrivate
    } else {
        WebhookHostPolicy::PublicOnly
    }
}

fn parse_public_url(raw: &str) -> Result<PublicBaseUrl, String> {
    PublicBaseUrl::parse(raw).map_err(|invalid| invalid.message)
}

#[derive(Debug, Args)]
pub(crate) struct InitArgs {
    /// The user's address.
    #[arg(long)]
    pub email: String,
    /// The workspace's name.
    #[arg(long, default_value = "My workspace")]
    pub workspace: String,
    #[command(flatten)]
    pub database: DatabaseArgs,
}

/// Runs the command line and tells how it went.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Command::Openapi = cli.command {
        print!("{}", openapi_json());
        return ExitCode::SUCCESS;
    }
    telemetry::init_for_binary(cli.log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("sendline: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.command)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("sendline: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Serve(args) => serve(args).await,
        Command::Worker(args) => worker(args).await,
        Command::Init(args) => init(args).await,
        Command::Migrate(args) => {
            connect(&args.database_url).await?;
            println!("migrations applied");
            Ok(())
        }
        Command::Openapi => {
            print!("{}", openapi_json());
            Ok(())
        }
        Command::BenchFill(args) => {
            let secret_key = load_secret_key(&args.database.database_url)?;
            let database = connect(&args.database.database_url).await?;
            let ports = Ports::from_database(&database, mail_ports(&database, &secret_key).await?);
            let size = crate::bench::FillSize {
                mailboxes: args.mailboxes,
                campaigns: args.campaigns,
                leads: args.leads,
                enrolment_leads: args.enrolment_leads,
            };
            if let Some(output) = &args.output {
                crate::bench::fill(&ports, &size, output, args.enrolment_output.as_deref()).await?;
            }
            if let Some(output) = &args.sending_output {
                let sending = crate::bench::SendingFill {
                    mailboxes: args.sending_mailboxes,
                    leads: args.sending_leads,
                    smtp_port: args.smtp_port,
                };
                crate::bench::fill_sending(&ports, &sending, output).await?;
            }
            Ok(())
        }
    }
}

/// Connects and brings the schema up to date.
async fn connect(url: &str) -> anyhow::Result<adapters::Database> {
    let database = adapters::Database::connect(url)
        .await
        .with_context(|| format!("cannot connect to the database at {}", redact(url)))?;
    database
        .migrate()
        .await
        .context("cannot run the migrations")?;
    Ok(database)
}

/// The key that seals stored credentials: `SENDLINE_SECRET_KEY`, else the SQLite database's key file
/// (made on the first start). Read before connecting, so that a missing key stops the start at once;
/// the database then checks that its credentials were sealed with it (a wrong key stops the start
/// too, not the first send).
fn load_secret_key(url: &str) -> anyhow::Result<adapters::SecretKey> {
    let configured = match std::env::var(adapters::SECRET_KEY_VARIABLE) {
        Ok(text) => Some(text),
        Err(std::env::VarError::NotPresent) => None,
        Err(std::env::VarError::NotUnicode(_)) => {
            anyhow::bail!("{} is not valid UTF-8", adapters::SECRET_KEY_VARIABLE)
        }
    };
    let (key, origin) = adapters::server_secret_key(url, configured.as_deref())?;
    if let adapters::SecretKeyOrigin::CreatedFile(path) = origin {
        tracing::info!(
            file = %path.display(),
            "created the secret key that seals stored credentials: back it up with the database"
        );
    }
    Ok(key)
}

/// The cipher under the server's key (checked against the database's: a wrong key stops the start),
/// SMTP, IMAP, and MX lookups through the system's resolver.
async fn mail_ports(
    database: &adapters::Database,
    secret_key: &adapters::SecretKey,
) -> anyhow::Result<MailPorts> {
    let cipher = adapters::XChaChaCredentialCipher::new(secret_key);
    database.check_secret_key(&cipher).await?;
    Ok(MailPorts {
        credentials: Arc::new(cipher),
        mail_transport: Arc::new(adapters::LettreMailTransport::new()),
        mailbox_reader: Arc::new(adapters::ImapMailboxReader::new()),
        mx_lookup: Arc::new(adapters::HickoryMxLookup::system()),
    })
}

/// A database URL without its password, for messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let credentials = &url[scheme_end + 3..at];
            match credentials.split_once(':') {
                Some((user, _password)) => {
                    format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..])
                }
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

async fn init(args: InitArgs) -> anyhow::Result<()> {
    let database = connect(&args.database.database_url).await?;
    // Only identities: no mailbox, so no secret key is needed (nor made) here.
    let initialized = InitWorkspace {
        identity: database.identity(),
        clock: Arc::new(adapters::SystemClock),
        ids: Arc::new(adapters::ObjectIdGenerator),
        secrets: Arc::new(adapters::OsSecretGenerator),
    }
    .execute(&args.email, &args.workspace)
    .await
    .map_err(|error| match error {
        // The problems point at the flags (`/email`, `/workspace`), not at a request body.
        InitWorkspaceError::Invalid(problems) => anyhow::anyhow!(
            "{}",
            problems
                .iter()
                .map(|problem| format!(
                    "--{}: {}",
                    problem.pointer().as_str().trim_start_matches('/'),
                    problem.message()
                ))
                .collect::<Vec<_>>()
                .join("; ")
        ),
        other => other.into(),
    })?;
    let output = serde_json::json!({
        "userId": initialized.user_id.to_string(),
        "platformKey": initialized.platform_key.expose(),
        "workspaceId": initialized.workspace_id.to_string(),
        "workspaceKey": initialized.workspace_key.expose(),
    });
    println!("{output}");
    Ok(())
}

/// Forgets expired idempotency keys now and then, for as long as the server runs.
async fn forget_expired_idempotency_keys(requests: IdempotentRequests) {
    let mut every = tokio::time::interval(IDEMPOTENCY_PURGE_EVERY);
    loop {
        every.tick().await;
        match requests.forget_expired().await {
            Ok(0) => {}
            Ok(forgotten) => tracing::info!(forgotten, "expired idempotency keys forgotten"),
            Err(error) => {
                tracing::warn!(error = %format!("{error:#}"), "forgetting expired idempotency keys failed");
            }
        }
    }
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    // Read first: wrong TLS files stop the start before the database is touched, and the TLS
    // configuration is complete before anything listens.
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => Some(Tls::from_pem_files(cert, key)?),
        _ => None,
    };
    let secret_key = load_secret_key(&args.database.database_url)?;
    let database = connect(&args.database.database_url).await?;
    let ports = Ports::from_database(&database, mail_ports(&database, &secret_key).await?);
    let mut options = Options {
        webhook_hosts: webhook_hosts(args.allow_private_webhooks),
        bench_routes: args.bench_routes,
        key_cache_time_to_live: Duration::from_millis(args.key_cache_ms),
        campaign_cache_bytes: args.campaign_cache_mb.saturating_mul(1024 * 1024),
        idempotency_lease: Duration::from_millis(args.idempotency_lease_ms),
        rate_limit_per_key: args.rate_limit,
        rate_limit_per_address: args.rate_limit_per_address,
        rate_limit_window: Duration::from_secs(args.rate_limit_window_s),
        trusted_proxies: TrustedProxies::new(args.trusted_proxies),
        body_read_timeout: Duration::from_millis(args.body_timeout_ms),
        request_timeout: Duration::from_millis(args.request_timeout_ms),
        tracking_key: secret_key.tracking_key(),
        public_url: None,
    };
    if options.idempotency_lease <= options.request_timeout {
        anyhow::bail!(
            "--idempotency-lease-ms must be longer than --request-timeout-ms: a retry must not run \
             beside the request it retries"
        );
    }
    tokio::spawn(forget_expired_idempotency_keys(IdempotentRequests {
        keys: ports.idempotency_keys.clone(),
        clock: ports.clock.clone(),
        lease: options.idempotency_lease,
    }));
    let acceptor = match tls {
        Some(tls) => ApiAcceptor::https(args.bind.clone(), tls).await,
        None => ApiAcceptor::http(args.bind.clone()).await,
    }
    .with_context(|| format!("cannot listen on {}", args.bind))?;
    let base = format!(
        "{}://{}",
        acceptor.scheme(),
        reachable(acceptor.socket_address()?)
    );
    announce(format_args!(
        "Sendline listening on {base} (API docs: {base}/docs)"
    ));
    options.public_url = Some(match args.public_url.clone() {
        Some(url) => url,
        None => PublicBaseUrl::parse(&base).map_err(|invalid| {
            anyhow::anyhow!("the announced address {base}: {}", invalid.message)
        })?,
    });
    if args.demo {
        let key_file = adapters::DemoKeyFile::for_database(&args.database.database_url)?;
        let demo = EnsureDemo {
            identity: ports.identity.clone(),
            mailboxes: ports.mailboxes.clone(),
            agents: ports.agents.clone(),
            clock: ports.clock.clone(),
            ids: Arc::clone(&ports.ids),
            secrets: ports.secrets.clone(),
            saved_key: key_file
                .clone()
                .map(|file| Arc::new(file) as Arc<dyn DemoKeyStore>),
        }
        .execute()
        .await
        .context("cannot prepare the demo workspace")?;
        let key = demo.workspace_key.expose();
        announce(format_args!(
            "Demo workspace {} is ready.",
            demo.workspace_id
        ));
        announce(format_args!("Workspace API key: {key}"));
        announce(format_args!(
            "{}",
            demo_key_note(demo.key_origin, key_file.as_ref())
        ));
        announce(format_args!("Try:"));
        announce(format_args!(
            "  curl -s -X POST {base}/v1/campaigns -H 'Content-Type: application/json' -H 'X-Api-Key: {key}' -d '{{\"name\": \"My first campaign\", \"mailboxTags\": [\"outreach\"], \"sequence\": [{{\"type\": \"email\", \"subject\": \"Hi {{{{firstName}}}}\", \"body\": \"Quick question about {{{{companyName}}}}.\"}}]}}'"
        ));
    }
    if options.webhook_hosts == WebhookHostPolicy::AllowPrivate {
        tracing::warn!("webhooks may target private addresses (--allow-private-webhooks)");
    }
    let (stop, stopping) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        shutdown_signal().await;
        let _ = stop.send(true);
    });
    // `options.public_url` is always set above (the flag, or the announced address).
    let engine = match (args.no_sending, options.public_url.clone()) {
        (false, Some(public_url)) => {
            let engine = args.engine.engine(
                &ports,
                &args.database.database_url,
                public_url,
                options.tracking_key.clone(),
            );
            let reader = args.engine.inbox_reader(&ports);
            Some((
                tokio::spawn(engine.run(stopped(stopping.clone()))),
                tokio::spawn(reader.run(stopped(stopping.clone()))),
            ))
        }
        _ => None,
    };
    // Webhook deliveries run beside the engine (`--no-sending` too: the outbox must drain).
    let webhooks = tokio::spawn(crate::webhook_sender::run(
        ports.deliver_webhooks(options.webhook_hosts),
        stopped(stopping.clone()),
    ));
    let (hits, writer) = hit_recorder(
        ports.tracking.clone(),
        DEFAULT_QUEUE_CAPACITY,
        DEFAULT_BATCH_LIMIT,
    );
    let recording = tokio::spawn(writer.run());
    let serving = app::serve(
        acceptor,
        app::app(&ports, options, hits.clone()),
        stopped(stopping),
    )
    .await;
    // The HTTP side is done: the recorder writes the hits still queued, then ends.
    hits.close();
    let _ = recording.await;
    serving.context("the server failed")?;
    if let Some((engine, reader)) = engine {
        // The HTTP side is done; the engine finishes its sends in flight (at most 30 s), the INBOX
        // reader its round.
        let _ = engine.await;
        let _ = reader.await;
    }
    let _ = webhooks.await;
    tracing::info!("stopped");
    Ok(())
}

/// `sendline worker`: the engine alone.
async fn worker(args: WorkerArgs) -> anyhow::Result<()> {
    let secret_key = load_secret_key(&args.database.database_url)?;
    let database = connect(&args.database.database_url).await?;
    let ports = Ports::from_database(&database, mail_ports(&database, &secret_key).await?);
    announce(format_args!("Sendline worker sending"));
    let (stop, stopping) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        shutdown_signal().await;
        let _ = stop.send(true);
    });
    let webhooks = tokio::spawn(crate::webhook_sender::run(
        ports.deliver_webhooks(webhook_hosts(args.allow_private_webhooks)),
        stopped(stopping.clone()),
    ));
    let engine = args.engine.engine(
        &ports,
        &args.database.database_url,
        args.public_url.clone(),
        secret_key.tracking_key(),
    );
    let reader = args.engine.inbox_reader(&ports);
    tokio::join!(
        engine.run(stopped(stopping.clone())),
        reader.run(stopped(stopping))
    );
    let _ = webhooks.await;
    tracing::info!("stopped");
    Ok(())
}

/// Resolves once `stopping` turns true (or its sender is gone).
async fn stopped(mut stopping: tokio::sync::watch::Receiver<bool>) {
    let _ = stopping.wait_for(|stop| *stop).await;
}

/// One line of what `serve` tells the person who started it. A server whose stdout is closed
/// (`sendline serve --demo | head -1`, a supervisor that drops it) keeps serving: `println!` would
/// panic on the broken pipe and take the server down, and these lines are a courtesy, not its work
/// (the logs go to stderr).
fn announce(line: std::fmt::Arguments<'_>) {
    let mut stdout = std::io::stdout().lock();
    // Deliberately ignored: see above.
    let _ = writeln!(stdout, "{line}").and_then(|()| stdout.flush());
}

/// What the demo's key line means: where the key is kept and whether it is the last start's.
fn demo_key_note(origin: DemoKeyOrigin, file: Option<&adapters::DemoKeyFile>) -> String {
    let Some(file) = file else {
        return "(a new key: an in-memory database keeps nothing across restarts)".to_owned();
    };
    let kept = format!(
        "kept in {}, printed again at every start while it works",
        file.path().display()
    );
    match origin {
        DemoKeyOrigin::Saved => format!("(the same key as before: {kept})"),
        DemoKeyOrigin::Issued => format!("(a new key, {kept})"),
    }
}

/// An address a person can paste: the unspecified address becomes the loopback one.
fn reachable(address: SocketAddr) -> SocketAddr {
    if address.ip().is_unspecified() {
        SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), address.port())
    } else {
        address
    }
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM.
async fn shutdown_signal() {
    let interrupt = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::warn!(%error, "cannot listen for SIGINT");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::warn!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => tracing::info!("SIGINT received; finishing in-flight requests"),
        () = terminate => tracing::info!("SIGTERM received; finishing in-flight requests"),
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn serve_flags_parse() {
        let cli = Cli::try_parse_from([
            "sendline",
            "serve",
            "--bind",
            "0.0.0.0:9000",
            "--database-url",
            "postgres://u@h/db",
            "--demo",
            "--allow-private-webhooks",
        ])
        .expect("valid flags");
        let Command::Serve(args) = cli.command else {
            panic!("not serve: {cli:?}");
        };
        assert_eq!(args.bind, "0.0.0.0:9000");
        assert_eq!(args.database.database_url, "postgres://u@h/db");
        assert!(args.demo);
        assert!(args.allow_private_webhooks);
    }

    #[test]
    fn trusted_proxies_repeat_or_are_separated_by_commas_and_a_bad_one_is_named() {
        let cli = Cli::try_parse_from([
            "sendline",
            "serve",
            "--trusted-proxy",
            "10.0.0.0/8,fd00::/8",
            "--trusted-proxy",
            "192.0.2.1",
        ])
        .expect("valid ranges");
        let Command::Serve(args) = cli.command else {
            panic!("not serve: {cli:?}");
        };
        let ranges: Vec<String> = args
            .trusted_proxies
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(ranges, ["10.0.0.0/8", "fd00::/8", "192.0.2.1/32"]);
        let refused = Cli::try_parse_from(["sendline", "serve", "--trusted-proxy", "10.0.0.0/33"])
            .expect_err("not a range")
            .to_string();
        assert!(refused.contains("--trusted-proxy"), "{refused}");
        assert!(refused.contains("`10.0.0.0/33` is not"), "{refused}");
    }

    #[test]
    fn logs_are_text_unless_json_is_asked_for_before_or_after_the_command() {
        let format = |args: &[&str]| Cli::try_parse_from(args).map(|cli| cli.log_format);
        assert_eq!(format(&["sendline", "migrate"]).ok(), Some(LogFormat::Text));
        assert_eq!(
            format(&["sendline", "--log-format", "json", "serve"]).ok(),
            Some(LogFormat::Json)
        );
        assert_eq!(
            format(&["sendline", "serve", "--log-format", "json"]).ok(),
            Some(LogFormat::Json)
        );
        assert!(format(&["sendline", "serve", "--log-format", "xml"]).is_err());
    }

    #[test]
    fn init_needs_an_email() {
        assert!(Cli::try_parse_from(["sendline", "init"]).is_err());
        let cli = Cli::try_parse_from(["sendline", "init", "--email", "a@b.co"]).expect("valid");
        let Command::Init(args) = cli.command else {
            panic!("not init");
        };
        assert_eq!(args.workspace, "My workspace");
    }

    #[test]
    fn passwords_are_redacted_from_database_urls() {
        assert_eq!(
            redact("postgres://app:s3cret@db:5432/sendline"),
            "postgres://app:***@db:5432/sendline"
        );
        assert_eq!(
            redact("postgres://postgres@127.0.0.1/test"),
            "postgres://postgres@127.0.0.1/test"
        );
        assert_eq!(redact(DEFAULT_DATABASE_URL), DEFAULT_DATABASE_URL);
    }

    #[test]
    fn the_unspecified_address_is_shown_as_loopback() {
        let any: SocketAddr = "0.0.0.0:8080".parse().expect("an address");
        assert_eq!(reachable(any).to_string(), "127.0.0.1:8080");
        let given: SocketAddr = "10.1.2.3:80".parse().expect("an address");
        assert_eq!(reachable(given), given);
    }
}

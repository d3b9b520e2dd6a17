//! `TestApp`: the real server on 127.0.0.1:0 with a fresh database, a seeded workspace, and helpers
//! that read like the spec.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, Once};

use adapters::testing::{TestBackend, backends, fresh_database};
use api::app;
use api::listener::ApiAcceptor;
use api::state::{MailPorts, Options, Ports};
use application::ports::{
    CampaignPage, CampaignQuery, CampaignRepository, ClaimRequest, ClaimedSend, Clock,
    FinishedSend, KeyCompletion, MxLookup, NextStep, Readiness, RepositoryError, SendOutcome,
    Version, VersionPage, VersionedCampaign, WriteOutcome,
};
use application::tenancy::Tenancy;
use application::use_cases::create_agent::CreateAgent;
use application::use_cases::init_workspace::{InitWorkspace, Initialized};
use application::use_cases::register_mailbox::RegisterMailbox;
use application::use_cases::tracking::recorder::{
    DEFAULT_BATCH_LIMIT, DEFAULT_QUEUE_CAPACITY, hit_recorder,
};
use async_trait::async_trait;
use domain::agent::Agent;
use domain::campaign::Campaign;
use domain::id::{CampaignId, ObjectId, WorkspaceId};
use domain::mailbox::Mailbox;
use domain::problem::Problems;
use domain::request::{AgentRequest, MailboxRequest};
use serde_json::Value;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// The seed's own request body, byte for byte (copied from the seed's curl example).
pub const SEED_BODY: &str = include_str!("../fixtures/seed_create_campaign.json");

/// Runs `test` once per backend of `adapters::testing::backends()`, each time on a fresh app.
pub async fn on_every_backend<F, Fut>(test: F)
where
    F: Fn(TestApp) -> Fut,
    Fut: Future<Output = ()>,
{
    on_every_backend_with(Customize::default(), test).await;
}

/// [`on_every_backend`], with ports or options replaced.
pub async fn on_every_backend_with<F, Fut>(customize: Customize, test: F)
where
    F: Fn(TestApp) -> Fut,
    Fut: Future<Output = ()>,
{
    for backend in backends() {
        eprintln!("--- on {backend:?}");
        let app = TestApp::spawn_with(backend, customize.clone()).await;
        test(app).await;
    }
}

/// What a test changes about the app it runs against.
#[derive(Clone, Default)]
pub struct Customize {
    pub options: Options,
    pub campaigns: Option<Arc<dyn CampaignRepository>>,
    pub readiness: Option<Arc<dyn Readiness>>,
    /// The clock the app runs on; the system's when `None`.
    pub clock: Option<Arc<dyn Clock>>,
    /// The engine's MX lookups; when `None`, every lookup fails (no DNS server in these tests).
    pub mx_lookup: Option<Arc<dyn MxLookup>>,
}

impl Customize {
    /// A server run with `--allow-private-webhooks`.
    pub fn allowing_private_webhooks() -> Self {
        Self {
            options: Options {
                webhook_hosts: domain::values::WebhookHostPolicy::AllowPrivate,
                ..Options::default()
            },
            ..Self::default()
        }
    }
}

/// An HTTP answer, read whole.
#[derive(Debug)]
pub struct TestResponse {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
    pub text: String,
}

impl TestResponse {
    pub async fn read(response: reqwest::Response) -> Self {
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.expect("a readable response body");
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Self {
            status,
            headers,
            body,
            text,
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }

    /// `(pointer, code)` of every `errors` entry, in order.
    pub fn problems(&self) -> Vec<(String, String)> {
        self.body["errors"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|entry| {
                (
                    entry["pointer"].as_str().unwrap_or("?").to_owned(),
                    entry["code"].as_str().unwrap_or("?").to_owned(),
                )
            })
            .collect()
    }

    /// Asserts the error envelope of spec section 1: `{success: false, error: <reason phrase>,
    /// code: <status>, errorCode, message, errors: [...]}` and nothing else.
    #[track_caller]
    pub fn assert_error(&self, status: u16, error_code: &str) {
        assert_eq!(self.status, status, "{}", self.text);
        let reason = reqwest::StatusCode::from_u16(status)
            .ok()
            .and_then(|status| status.canonical_reason())
            .expect("a known status");
        let body = self.body.as_object().expect("a JSON object");
        let mut keys: Vec<&str> = body.keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            ["code", "error", "errorCode", "errors", "message", "success"],
            "{}",
            self.text
        );
        assert_eq!(self.body["success"], false, "{}", self.text);
        assert_eq!(self.body["error"], reason, "{}", self.text);
        assert_eq!(self.body["code"], status, "{}", self.text);
        assert_eq!(self.body["errorCode"], error_code, "{}", self.text);
        assert!(
            self.body["message"]
                .as_str()
                .is_some_and(|message| !message.is_empty()),
            "{}",
            self.text
        );
        for entry in self.body["errors"].as_array().expect("errors is a list") {
            let mut keys: Vec<&str> = entry
                .as_object()
                .expect("an errors entry is an object")
                .keys()
                .map(String::as_str)
                .collect();
            keys.sort_unstable();
            assert_eq!(keys, ["code", "message", "pointer"], "{}", self.text);
        }
        assert!(
            self.header("content-type")
                .is_some_and(|content_type| content_type.starts_with("application/json")),
            "{:?}",
            self.headers
        );
    }

    /// The created resource of a 201.
    #[track_caller]
    pub fn created(&self) -> &Value {
        assert_eq!(self.status, 201, "{}", self.text);
        assert_eq!(self.body["success"], true, "{}", self.text);
        &self.body["data"]
    }

    /// The `data` of a 200 answer.
    #[track_caller]
    pub fn ok(&self) -> &Value {
        assert_eq!(self.status, 200, "{}", self.text);
        assert_eq!(self.body["success"], true, "{}", self.text);
        &self.body["data"]
    }
}

/// The workspace a test acts in, with its keys.
#[derive(Debug, Clone)]
pub struct TestWorkspace {
    pub user_id: String,
    pub workspace_id: String,
    pub platform_key: String,
    pub workspace_key: String,
}

impl From<&Initialized> for TestWorkspace {
    fn from(initialized: &Initialized) -> Self {
        Self {
            user_id: initialized.user_id.to_string(),
            workspace_id: initialized.workspace_id.to_string(),
            platform_key: initialized.platform_key.expose().to_owned(),
            workspace_key: initialized.workspace_key.expose().to_owned(),
        }
    }
}

/// A recording decorator: which campaigns the use cases inserted, and which they changed (updated or
/// deleted).
struct RecordingCampaigns {
    inner: Arc<dyn CampaignRepository>,
    inserted: Arc<Mutex<Vec<CampaignId>>>,
    changed: Arc<Mutex<Vec<CampaignId>>>,
}

fn record(record: &Mutex<Vec<CampaignId>>, id: CampaignId, outcome: WriteOutcome) {
    if outcome == WriteOutcome::Written {
        record.lock().expect("the record is not poisoned").push(id);
    }
}

#[async_trait]
impl CampaignRepository for RecordingCampaigns {
    async fn insert(&self, campaign: &Campaign) -> Result<(), RepositoryError> {
        self.inner.insert(campaign).await?;
        self.inserted
            .lock()
            .expect("the record is not poisoned")
            .push(campaign.id());
        Ok(())
    }

    async fn insert_answering(
        &self,
        campaign: &Campaign,
        completion: &KeyCompletion,
    ) -> Result<(), RepositoryError> {
        self.inner.insert_answering(campaign, completion).await?;
        self.inserted
            .lock()
            .expect("the record is not poisoned")
            .push(campaign.id());
        Ok(())
    }

    async fn find(
        &self,
        workspace: WorkspaceId,
        id: CampaignId,
    ) -> Result<Option<VersionedCampaign>, RepositoryError> {
        self.inner.find(workspace, id).await
    }

    async fn list(
        &self,
        workspace: WorkspaceId,
        query: &CampaignQuery,
    ) -> Result<CampaignPage, RepositoryError> {
        self.inner.list(workspace, query).await
    }

    async fn version(
        &self,
        workspace: WorkspaceId,
        id: CampaignId,
    ) -> Result<Option<Version>, RepositoryError> {
        self.inner.version(workspace, id).await
    }

    async fn find_many(
        &self,
        workspace: WorkspaceId,
        ids: &[CampaignId],
    ) -> Result<Vec<VersionedCampaign>, RepositoryError> {
        self.inner.find_many(workspace, ids).await
    }

    async fn list_versions(
        &self,
        workspace: WorkspaceId,
        query: &CampaignQuery,
    ) -> Result<VersionPage, RepositoryError> {
        self.inner.list_versions(workspace, query).await
    }

    async fn update(
        &self,
        campaign: &Campaign,
        expected: Version,
    ) -> Result<WriteOutcome, RepositoryError> {
        let outcome = self.inner.update(campaign, expected).await?;
        record(&self.changed, campaign.id(), outcome);
        Ok(outcome)
    }

    async fn delete(
        &self,
        workspace: WorkspaceId,
        id: CampaignId,
        expected: Version,
    ) -> Result<WriteOutcome, RepositoryError> {
        let outcome = self.inner.delete(workspace, id, expected).await?;
        record(&self.changed, id, outcome);
        Ok(outcome)
    }
}

/// `method url` with the workspace key `key` and, when given, a JSON body.
pub async fn send_with_key(
    client: &reqwest::Client,
    url: &str,
    key: &str,
    method: reqwest::Method,
    body: Option<&Value>,
) -> TestResponse {
    let mut request = client.request(method, url).header("X-Api-Key", key);
    if let Some(body) = body {
        request = request
            .header("Content-Type", "application/json")
            .body(body.to_string());
    }
    TestResponse::read(request.send().await.expect("the server answers")).await
}

pub struct TestApp {
    pub base: String,
    pub address: SocketAddr,
    pub client: reqwest::Client,
    pub ports: Ports,
    /// The seeded workspace: three mailboxes tagged `outreach`.
    pub workspace: TestWorkspace,
    /// Its mailboxes, in ascending id order.
    pub mailboxes: Vec<Mailbox>,
    inserted: Arc<Mutex<Vec<CampaignId>>>,
    changed: Arc<Mutex<Vec<CampaignId>>>,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<std::io::Result<()>>>,
    /// The app's database (kept as long as the app), for what no route reaches: the engine's ledger.
    database: adapters::Database,
}

fn init_test_logging() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        if std::env::var_os("TEST_LOG").is_some() {
            let filter = tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
            let _ = tracing_subscriber::fmt()
                .with_env_filter(filter)
                .with_test_writer()
                .try_init();
        }
    });
}

impl TestApp {
    pub async fn spawn_with(backend: TestBackend, customize: Customize) -> TestApp {
        init_test_logging();
        let database = fresh_database(backend)
            .await
            .unwrap_or_else(|error| panic!("a fresh {backend:?} database: {error:#}"));
        let mut ports = Ports::from_database(&database, test_mail_ports());
        let inserted = Arc::new(Mutex::new(Vec::new()));
        let changed = Arc::new(Mutex::new(Vec::new()));
        ports.campaigns = Arc::new(RecordingCampaigns {
            inner: customize
                .campaigns
                .unwrap_or_else(|| ports.campaigns.clone()),
            inserted: inserted.clone(),
            changed: changed.clone(),
        });
        if let Some(readiness) = customize.readiness {
            ports.readiness = readiness;
        }
        if let Some(clock) = customize.clock {
            ports.clock = clock;
        }
        if let Some(mx_lookup) = customize.mx_lookup {
            ports.mx_lookup = mx_lookup;
        }

        let workspace = init_workspace(&ports, "owner@example.com", "Acme").await;
        let tenancy = tenancy_of(&workspace);
        let mut mailboxes = Vec::new();
        for (email, provider) in [
            ("alex@acme.example.com", "gmail"),
            ("sam@acme.example.com", "outlook"),
            ("jordan@acme.example.com", "custom"),
        ] {
            mailboxes.push(register_mailbox(&ports, tenancy, email, provider, &["outreach"]).await);
        }
        mailboxes.sort_by_key(|mailbox| mailbox.id());

        // The binary's acceptor: the tests see what its clients see.
        let acceptor = ApiAcceptor::http("127.0.0.1:0")
            .await
            .expect("a free port on 127.0.0.1");
        let address = acceptor.socket_address().expect("a socket address");
        let (shutdown, signal) = oneshot::channel::<()>();
        let (hits, writer) = hit_recorder(
            ports.tracking.clone(),
            DEFAULT_QUEUE_CAPACITY,
            DEFAULT_BATCH_LIMIT,
        );
        // Writes the app's opens and clicks; ends (after writing what is queued) once the server,
        // which holds the recorder, is gone.
        tokio::spawn(writer.run());
        let server = tokio::spawn(app::serve(
            acceptor,
            app::app(&ports, customize.options, hits),
            async move {
                let _ = signal.await;
            },
        ));
        TestApp {
            base: format!("http://{address}"),
            address,
            client: reqwest::Client::new(),
            ports,
            workspace: (&workspace).into(),
            mailboxes,
            inserted,
            changed,
            shutdown: Some(shutdown),
            server: Some(server),
            database,
        }
    }

    /// The app's database, for what no route reaches (the sending engine's ledger).
    pub fn database(&self) -> &adapters::Database {
        &self.database
    }

    /// A TCP connection to the server, for requests written byte for byte (see `raw_http`).
    pub async fn connect(&self) -> tokio::net::TcpStream {
        tokio::net::TcpStream::connect(self.address)
            .await
            .expect("the server accepts")
    }

    pub fn tenancy(&self) -> Tenancy {
        Tenancy {
            workspace_id: WorkspaceId::parse(&self.workspace.workspace_id).expect("an id"),
            user_id: domain::id::UserId::parse(&self.workspace.user_id).expect("an id"),
        }
    }

    pub fn mailbox_ids(&self) -> Vec<String> {
        self.mailboxes
            .iter()
            .map(|mailbox| mailbox.id().to_string())
            .collect()
    }

    /// `POST /v1/campaigns` with the workspace key.
    pub async fn post_campaign(&self, body: &Value) -> TestResponse {
        self.post_json("/v1/campaigns", body).await
    }

    /// `POST path` with a JSON body and the workspace key.
    pub async fn post_json(&self, path: &str, body: &Value) -> TestResponse {
        self.post_raw(
            path,
            body.to_string(),
            &[
                ("Content-Type", "application/json"),
                ("X-Api-Key", &self.workspace.workspace_key),
            ],
        )
        .await
    }

    /// `POST path` with exactly these bytes and headers.
    pub async fn post_raw(
        &self,
        path: &str,
        body: impl Into<reqwest::Body>,
        headers: &[(&str, &str)],
    ) -> TestResponse {
        let mut request = self.client.post(format!("{}{path}", self.base)).body(body);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        TestResponse::read(request.send().await.expect("the server answers")).await
    }

    /// Any request.
    pub async fn request(
        &self,
        method: reqwest::Method,
        path: &str,
        headers: &[(&str, &str)],
    ) -> TestResponse {
        let mut request = self.client.request(method, format!("{}{path}", self.base));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        TestResponse::read(request.send().await.expect("the server answers")).await
    }

    pub async fn get(&self, path: &str) -> TestResponse {
        self.request(reqwest::Method::GET, path, &[]).await
    }

    /// How many campaigns the app has stored since it started.
    pub fn campaigns_stored(&self) -> usize {
        self.inserted
            .lock()
            .expect("the record is not poisoned")
            .len()
    }

    /// Asserts that no campaign was stored: what a rejected request must leave behind.
    #[track_caller]
    pub fn assert_nothing_stored(&self) {
        assert_eq!(
            self.campaigns_stored(),
            0,
            "a rejected request stored a campaign"
        );
    }

    /// Asserts that no campaign was updated or deleted: what a refused change must leave behind.
    #[track_caller]
    pub fn assert_nothing_changed(&self) {
        assert_eq!(
            *self.changed.lock().expect("the record is not poisoned"),
            [],
            "a refused request changed a campaign"
        );
    }

    /// The stored campaign, read back through the repository (so re-parsed through the domain).
    pub async fn stored_campaign(&self, workspace_id: &str, id: &str) -> Option<Campaign> {
        self.ports
            .campaigns
            .find(
                WorkspaceId::parse(workspace_id).expect("a workspace id"),
                CampaignId::parse(id).expect("a campaign id"),
            )
            .await
            .expect("the repository answers")
            .map(|found| found.campaign)
    }

    /// `method path` with the workspace key and, when given, a JSON body.
    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
    ) -> TestResponse {
        send_with_key(
            &self.client,
            &format!("{}{path}", self.base),
            &self.workspace.workspace_key,
            method,
            body,
        )
        .await
    }

    /// `method path` with the workspace key and exactly these body bytes, as JSON.
    pub async fn request_with_body(
        &self,
        method: reqwest::Method,
        path: &str,
        body: &'static str,
    ) -> TestResponse {
        let request = self
            .client
            .request(method, format!("{}{path}", self.base))
            .header("X-Api-Key", &self.workspace.workspace_key)
            .header("Content-Type", "application/json")
            .body(body);
        TestResponse::read(request.send().await.expect("the server answers")).await
    }

    /// `GET path` with the workspace key.
    pub async fn get_with_key(&self, path: &str) -> TestResponse {
        self.send(reqwest::Method::GET, path, None).await
    }

    /// `PATCH /v1/campaigns/{id}` with the workspace key.
    pub async fn patch_campaign(&self, id: &str, patch: &Value) -> TestResponse {
        self.send(
            reqwest::Method::PATCH,
            &format!("/v1/campaigns/{id}"),
            Some(patch),
        )
        .await
    }

    /// `PATCH /v1/mailboxes/{id}` with `patch`, asserting it succeeds.
    pub async fn patch_mailbox(&self, id: &str, patch: &Value) {
        let patched = self
            .send(
                reqwest::Method::PATCH,
                &format!("/v1/mailboxes/{id}"),
                Some(patch),
            )
            .await;
        patched.ok();
    }

    /// `POST /v1/campaigns/{id}/{action}` with the workspace key and no body.
    pub async fn campaign_action(&self, id: &str, action: &str) -> TestResponse {
        self.send(
            reqwest::Method::POST,
            &format!("/v1/campaigns/{id}/{action}"),
            None,
        )
        .await
    }

    /// Creates a campaign from `body` and answers its `_id`.
    pub async fn create_campaign(&self, body: &Value) -> String {
        self.post_campaign(body).await.created()["_id"]
            .as_str()
            .expect("an _id")
            .to_owned()
    }

    /// Another user's workspace on the same server, with one mailbox tagged `outreach` and one agent.
    pub async fn other_workspace(&self) -> (TestWorkspace, Mailbox, Agent) {
        let workspace = init_workspace(&self.ports, "rival@example.org", "Rival").await;
        let tenancy = tenancy_of(&workspace);
        let mailbox = register_mailbox(
            &self.ports,
            tenancy,
            "rep@rival.example.org",
            "gmail",
            &["outreach"],
        )
        .await;
        let agent = create_agent(&self.ports, tenancy, "Rival agent").await;
        ((&workspace).into(), mailbox, agent)
    }

    /// An agent of the seeded workspace.
    pub async fn create_agent(&self, name: &str) -> Agent {
        create_agent(&self.ports, self.tenancy(), name).await
    }

    /// Waits until the database holds exactly `count` events of `kind` (`email.opened`…): the
    /// recorder writes opens and clicks after they are answered. Polls every 20 ms for up to 5 s;
    /// fails on more than `count`, or on fewer by then.
    pub async fn wait_for_events(
        &self,
        kind: &str,
        count: usize,
    ) -> Vec<adapters::testing::EventRow> {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        loop {
            let events: Vec<_> = adapters::testing::event_rows(&self.database)
                .await
                .expect("the events")
                .into_iter()
                .filter(|event| event.kind == kind)
                .collect();
            assert!(
                events.len() <= count,
                "{} {kind} events, expected {count}",
                events.len()
            );
            if events.len() == count {
                return events;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "{} {kind} events after 5 s, expected {count}",
                events.len()
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }

    /// Signals shutdown and waits for the server to finish its in-flight requests and stop.
    pub async fn shut_down(&mut self) -> std::io::Result<()> {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        match self.server.take() {
            Some(server) => server.await.expect("the server task does not panic"),
            None => Ok(()),
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

fn tenancy_of(initialized: &Initialized) -> Tenancy {
    Tenancy {
        workspace_id: initialized.workspace_id,
        user_id: initialized.user_id,
    }
}

async fn init_workspace(ports: &Ports, email: &str, name: &str) -> Initialized {
    InitWorkspace {
        identity: ports.identity.clone(),
        clock: ports.clock.clone(),
        ids: ports.ids.clone(),
        secrets: ports.secrets.clone(),
    }
    .execute(email, name)
    .await
    .expect("a workspace")
}

async fn register_mailbox(
    ports: &Ports,
    tenancy: Tenancy,
    email: &str,
    provider: &str,
    tags: &[&str],
) -> Mailbox {
    RegisterMailbox {
        mailboxes: ports.mailboxes.clone(),
        clock: ports.clock.clone(),
        ids: ports.ids.clone(),
        credentials: ports.credentials.clone(),
    }
    .execute(
        tenancy,
        &MailboxRequest {
            email: Some(email.to_owned()),
            provider: Some(provider.to_owned()),
            tags: Some(tags.iter().map(|tag| (*tag).to_owned()).collect()),
            // SMTP configured: the seeded mailboxes can send (SENDING.md section 1).
            smtp_host: Some("127.0.0.1".to_owned()),
            smtp_port: Some(2525),
            ..MailboxRequest::default()
        },
        Problems::new(),
    )
    .await
    .expect("a mailbox")
}

/// The test servers' cipher (under `TEST_SECRET_KEY`), real SMTP, an IMAP reader that answers
/// every check with a temporary failure (no IMAP server runs in these tests), and MX lookups that all
/// fail (no DNS server either: a test of the gateway check gives its own, see `Customize`).
pub fn test_mail_ports() -> MailPorts {
    let key = adapters::SecretKey::parse(crate::served::TEST_SECRET_KEY).expect("a valid key");
    MailPorts {
        credentials: Arc::new(adapters::XChaChaCredentialCipher::new(&key)),
        mail_transport: Arc::new(adapters::LettreMailTransport::new()),
        mailbox_reader: Arc::new(NoImapServer),
        mx_lookup: Arc::new(NoDnsServer),
    }
}

struct NoDnsServer;

#[async_trait]
impl MxLookup for NoDnsServer {
    async fn exchangers(
        &self,
        _domain: &str,
    ) -> Result<Vec<String>, application::ports::MxLookupFailed> {
        Err(application::ports::MxLookupFailed(
            "no DNS server in these tests".to_owned(),
        ))
    }
}

struct NoImapServer;

#[async_trait]
impl application::ports::MailboxReader for NoImapServer {
    async fn check(
        &self,
        _connection: &application::ports::ImapConnection,
    ) -> Result<(), application::ports::ReadFailure> {
        Err(application::ports::ReadFailure::Temporary {
            detail: "no IMAP server in these tests".to_owned(),
        })
    }

    async fn read_after(
        &self,
        _connection: &application::ports::ImapConnection,
        _after: Option<application::ports::InboxPosition>,
        _limit: usize,
    ) -> Result<application::ports::InboxBatch, application::ports::ReadFailure> {
        Err(application::ports::ReadFailure::Temporary {
            detail: "no IMAP server in these tests".to_owned(),
        })
    }
}

async fn create_agent(ports: &Ports, tenancy: Tenancy, name: &str) -> Agent {
    CreateAgent {
        agents: ports.agents.clone(),
        clock: ports.clock.clone(),
        ids: ports.ids.clone(),
    }
    .execute(
        tenancy,
        &AgentRequest {
            name: Some(name.to_owned()),
            ..AgentRequest::default()
        },
        Problems::new(),
    )
    .await
    .expect("an agent")
}

/// A storage that fails the way a broken database does, with SQL in its error.
pub struct BrokenCampaigns;

#[async_trait]
impl CampaignRepository for BrokenCampaigns {
    async fn insert(&self, _campaign: &Campaign) -> Result<(), RepositoryError> {
        Err(RepositoryError::Unknown(
            anyhow::anyhow!("error returned from database: relation \"campaigns\" does not exist")
                .context("INSERT INTO \"campaigns\" (\"id\", \"name\") VALUES ($1, $2)"),
        ))
    }

    async fn insert_answering(
        &self,
        campaign: &Campaign,
        _completion: &KeyCompletion,
    ) -> Result<(), RepositoryError> {
        self.insert(campaign).await
    }

    async fn find(
        &self,
        _workspace: WorkspaceId,
        _id: CampaignId,
    ) -> Result<Option<VersionedCampaign>, RepositoryError> {
        Err(broken_select())
    }

    async fn list(
        &self,
        _workspace: WorkspaceId,
        _query: &CampaignQuery,
    ) -> Result<CampaignPage, RepositoryError> {
        Err(broken_select())
    }

    async fn version(
        &self,
        _workspace: WorkspaceId,
        _id: CampaignId,
    ) -> Result<Option<Version>, RepositoryError> {
        Err(broken_select())
    }

    async fn find_many(
        &self,
        _workspace: WorkspaceId,
        _ids: &[CampaignId],
    ) -> Result<Vec<VersionedCampaign>, RepositoryError> {
        Err(broken_select())
    }

    async fn list_versions(
        &self,
        _workspace: WorkspaceId,
        _query: &CampaignQuery,
    ) -> Result<VersionPage, RepositoryError> {
        Err(broken_select())
    }

    async fn update(
        &self,
        _campaign: &Campaign,
        _expected: Version,
    ) -> Result<WriteOutcome, RepositoryError> {
        Err(broken_select())
    }

    async fn delete(
        &self,
        _workspace: WorkspaceId,
        _id: CampaignId,
        _expected: Version,
    ) -> Result<WriteOutcome, RepositoryError> {
        Err(broken_select())
    }
}

fn broken_select() -> RepositoryError {
    RepositoryError::Unknown(
        anyhow::anyhow!("error returned from database: relation \"campaigns\" does not exist")
            .context("SELECT \"campaigns\".\"id\" FROM \"campaigns\" WHERE \"workspace_id\" = $1"),
    )
}

/// A storage whose code has a bug that panics.
pub struct PanickingCampaigns;

#[async_trait]
impl CampaignRepository for PanickingCampaigns {
    async fn insert(&self, _campaign: &Campaign) -> Result<(), RepositoryError> {
        panic!("index out of bounds in the row mapper (a test panic)");
    }

    async fn insert_answering(
        &self,
        _campaign: &Campaign,
        _completion: &KeyCompletion,
    ) -> Result<(), RepositoryError> {
        panic!("index out of bounds in the row mapper (a test panic)");
    }

    async fn find(
        &self,
        _workspace: WorkspaceId,
        _id: CampaignId,
    ) -> Result<Option<VersionedCampaign>, RepositoryError> {
        panic!("a bug in the row mapper (a test panic)");
    }

    async fn list(
        &self,
        _workspace: WorkspaceId,
        _query: &CampaignQuery,
    ) -> Result<CampaignPage, RepositoryError> {
        panic!("a bug in the row mapper (a test panic)");
    }

    async fn version(
        &self,
        _workspace: WorkspaceId,
        _id: CampaignId,
    ) -> Result<Option<Version>, RepositoryError> {
        panic!("a bug in the row mapper (a test panic)");
    }

    async fn find_many(
        &self,
        _workspace: WorkspaceId,
        _ids: &[CampaignId],
    ) -> Result<Vec<VersionedCampaign>, RepositoryError> {
        panic!("a bug in the row mapper (a test panic)");
    }

    async fn list_versions(
        &self,
        _workspace: WorkspaceId,
        _query: &CampaignQuery,
    ) -> Result<VersionPage, RepositoryError> {
        panic!("a bug in the row mapper (a test panic)");
    }

    async fn update(
        &self,
        _campaign: &Campaign,
        _expected: Version,
    ) -> Result<WriteOutcome, RepositoryError> {
        panic!("a bug in the row mapper (a test panic)");
    }

    async fn delete(
        &self,
        _workspace: WorkspaceId,
        _id: CampaignId,
        _expected: Version,
    ) -> Result<WriteOutcome, RepositoryError> {
        panic!("a bug in the row mapper (a test panic)");
    }
}

/// A database that does not answer.
pub struct DownDatabase;

#[async_trait]
impl Readiness for DownDatabase {
    async fn ping(&self) -> Result<(), RepositoryError> {
        Err(RepositoryError::Unknown(anyhow::anyhow!(
            "pool timed out while waiting for an open connection"
        )))
    }
}

/// `true` when `text` is an id of the ObjectId layout: 24 lowercase hex digits.
pub fn is_object_id(text: &str) -> bool {
    text.len() == 24
        && text
            .bytes()
            .all(|byte| matches!(byte, b'0'..=b'9' | b'a'..=b'f'))
}

/// `true` when `text` is a wire timestamp: RFC 3339, UTC, milliseconds.
pub fn is_wire_timestamp(text: &str) -> bool {
    let bytes = text.as_bytes();
    text.len() == 24
        && text.ends_with('Z')
        && bytes[10] == b'T'
        && bytes[19] == b'.'
        && chrono::DateTime::parse_from_rfc3339(text).is_ok()
}

/// A mailbox of the app's workspace that sends through `sink`; its id.
pub async fn mailbox_on(
    app: &TestApp,
    sink: &adapters::testing::smtp::SmtpSink,
    email: &str,
) -> String {
    let created = app
        .post_json(
            "/v1/mailboxes",
            &serde_json::json!({
                "email": email,
                "provider": "custom",
                "displayName": "Ana from Acme",
                "dailySendLimit": 50,
                "sendingEnabled": true,
                "signature": "<p>-- Ana</p>",
                "smtpHost": sink.host(),
                "smtpPort": sink.port(),
                "smtpSecure": false,
            }),
        )
        .await;
    created.created()["_id"]
        .as_str()
        .expect("a mailbox id")
        .to_owned()
}

/// `campaign` created and started with `lead` enrolled, its first email claimed as `id` and sent at
/// `at` through the engine's ledger (no SMTP): the message the tracking and webhook tests act on.
pub async fn sent_through_ledger(
    app: &TestApp,
    campaign: &Value,
    lead: &str,
    at: chrono::DateTime<chrono::Utc>,
    id: ObjectId,
) -> (String, ClaimedSend) {
    let campaign = app.create_campaign(campaign).await;
    let enrolled = app
        .post_json(
            &format!("/v1/campaigns/{campaign}/leads"),
            &serde_json::json!({"leads": [{"email": lead}]}),
        )
        .await;
    assert_eq!(enrolled.ok()["added"], 1, "{}", enrolled.text);
    app.campaign_action(&campaign, "start").await.ok();
    let stored = app
        .stored_campaign(&app.workspace.workspace_id, &campaign)
        .await
        .expect("the campaign");
    let ledger = app.database().send_ledger();
    let claimed = ledger
        .claim(&ClaimRequest {
            campaign: stored,
            worker: "test".to_owned(),
            now: at,
            ids: vec![id],
        })
        .await
        .expect("a claim");
    let send = claimed.into_iter().next().expect("one send claimed");
    ledger
        .finish(&[FinishedSend {
            claim: send.clone(),
            at,
            outcome: SendOutcome::Sent {
                subject: "Hello".to_owned(),
                reply: "250 OK".to_owned(),
                next: NextStep::Email {
                    step: 2,
                    due: at + chrono::Duration::days(3),
                },
            },
        }])
        .await
        .expect("finished");
    (campaign, send)
}

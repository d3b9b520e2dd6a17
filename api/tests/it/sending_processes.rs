//! The sending engine as real processes (SENDING.md section 8 items 4 and 5): `sendline serve` and
//! `sendline worker` on a fresh database, 16 mailboxes that all point at a real SMTP server on
//! 127.0.0.1, 20 campaigns of 15 leads each, the real clock. What the SMTP server received and the
//! ledger's rows are checked, not what the processes believe they sent.
//!
//! - Crash: the sending process is killed with SIGKILL at random moments while messages are in SMTP
//!   (the server waits before it answers), then started again; at the end no lead got its email
//!   twice and every claim is sent (received exactly once) or `unknown` (received at most once),
//!   which the API shows as a lead still active at its step, never sent.
//! - Two processes on one database: no double send, no mailbox over its `dailySendLimit`, spacing
//!   held per campaign per mailbox; on PostgreSQL both processes sent, on SQLite only one did.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::{Duration, Instant};

use adapters::Database;
use adapters::testing::smtp::{ReceivedMessage, SmtpSink, SmtpSinkOptions};
use adapters::testing::{
    LedgerRow, TestBackend, age_heartbeat, backends, fresh_database_and_url, ledger_rows,
};
use chrono::{DateTime, Timelike, Utc};
use rand::Rng;
use serde_json::{Value, json};

use crate::served::Served;
use crate::support::{TestResponse, send_with_key};

const MAILBOXES: usize = 16;
const CAMPAIGNS: usize = 20;
/// Fewer than the mailboxes: with the spacing of one minute, every lead can get its email at once.
const LEADS_PER_CAMPAIGN: usize = 15;
const LEADS: usize = CAMPAIGNS * LEADS_PER_CAMPAIGN;
const INTERVAL_MINUTES: i64 = 1;
/// The longest a test waits for the engine to settle.
const SETTLE_DEADLINE: Duration = Duration::from_secs(40);

/// The API of a running server, as one workspace.
struct Api {
    client: reqwest::Client,
    base: String,
    key: String,
}

impl Api {
    fn of(served: &Served, key: &str) -> Self {
        Api {
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(20))
                .build()
                .expect("a client"),
            base: served.base(),
            key: key.to_owned(),
        }
    }

    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
    ) -> TestResponse {
        let url = format!("{}{path}", self.base);
        send_with_key(&self.client, &url, &self.key, method, body).await
    }

    async fn post(&self, path: &str, body: &Value) -> TestResponse {
        self.call(reqwest::Method::POST, path, Some(body)).await
    }

    async fn get(&self, path: &str) -> TestResponse {
        self.call(reqwest::Method::GET, path, None).await
    }
}

/// A schedule whose window holds the real now for hours, whatever the hour: a fixed-offset zone
/// where it is now between 12:00 and 13:00, and a window of 06:00–18:00 every day.
fn schedule_around_now() -> Value {
    let hours_ahead_of_local = i64::from(Utc::now().hour()) - 12;
    // `Etc/GMT+5` is five hours behind UTC (POSIX signs).
    let timezone = match hours_ahead_of_local {
        0 => "Etc/GMT".to_owned(),
        ahead if ahead > 0 => format!("Etc/GMT+{ahead}"),
        behind => format!("Etc/GMT-{}", -behind),
    };
    json!({"timezone": timezone, "startTime": "06:00", "endTime": "18:00",
           "workingDays": [0, 1, 2, 3, 4, 5, 6], "skipNationalHolidays": false})
}

/// The recipient of lead `lead` of campaign `campaign`: one address per (campaign, lead), so what
/// the SMTP server received maps back to the enrolment.
fn recipient(campaign: usize, lead: usize) -> String {
    format!("lead-{campaign}-{lead}@prospect-{campaign}.example.com")
}

/// The load, not started: [`MAILBOXES`] mailboxes sending through `sink` (each at most
/// `mailbox_limit` a day), and [`CAMPAIGNS`] one-email campaigns from all of them, each with
/// [`LEADS_PER_CAMPAIGN`] leads. Answers the campaigns' ids.
async fn prepare_load(api: &Api, sink: &SmtpSink, mailbox_limit: u32) -> Vec<String> {
    let mut mailboxes = Vec::new();
    for index in 0..MAILBOXES {
        let created = api
            .post(
                "/v1/mailboxes",
                &json!({
                    "email": format!("sender{index}@acme{index}.example.com"),
                    "provider": "custom",
                    "dailySendLimit": mailbox_limit,
                    "sendingEnabled": true,
                    "smtpHost": sink.host(),
                    "smtpPort": sink.port(),
                    "smtpSecure": false,
                }),
            )
            .await;
        mailboxes.push(created.created()["_id"].as_str().expect("an id").to_owned());
    }
    let mut campaigns = Vec::new();
    for campaign in 0..CAMPAIGNS {
        let created = api
            .post(
                "/v1/campaigns",
                &json!({
                    "name": format!("Load {campaign}"),
                    "mailboxIds": mailboxes,
                    "sequence": [{"type": "email", "subject": "Hi {{firstName}}",
                                  "body": "<p>Hello {{firstName}}</p>"}],
                    "schedule": schedule_around_now(),
                    "settings": {"emailIntervalMinutes": INTERVAL_MINUTES,
                                 "trackOpens": false, "trackClicks": false}
                }),
            )
            .await;
        let id = created.created()["_id"].as_str().expect("an id").to_owned();
        let leads: Vec<Value> = (0..LEADS_PER_CAMPAIGN)
            .map(
                |lead| json!({"email": recipient(campaign, lead), "firstName": format!("L{lead}")}),
            )
            .collect();
        let enrolled = api
            .post(
                &format!("/v1/campaigns/{id}/leads"),
                &json!({"leads": leads}),
            )
            .await;
        assert_eq!(
            enrolled.ok()["added"],
            LEADS_PER_CAMPAIGN,
            "{}",
            enrolled.text
        );
        campaigns.push(id);
    }
    campaigns
}

async fn start_all(api: &Api, campaigns: &[String]) {
    for campaign in campaigns {
        let started = api
            .post(&format!("/v1/campaigns/{campaign}/start"), &json!({}))
            .await;
        assert_eq!(started.status, 200, "{}", started.text);
    }
}

/// An SMTP server that waits `reply_delay` before it answers each message, and a fresh database
/// with its URL.
async fn sink_and_database(
    backend: TestBackend,
    reply_delay: Option<Duration>,
) -> (SmtpSink, Database, String) {
    let sink = SmtpSink::start_with(SmtpSinkOptions {
        reply_delay,
        ..SmtpSinkOptions::default()
    })
    .expect("an SMTP sink");
    let (database, url) = fresh_database_and_url(backend)
        .await
        .unwrap_or_else(|error| panic!("a fresh {backend:?} database: {error:#}"));
    (sink, database, url)
}

/// `sendline serve` on `url` with fast rounds; with `--demo` it prints the workspace's key.
fn serve(url: &str, demo: bool, engine: &[&str]) -> Served {
    let mut args = vec!["serve", "--bind", "127.0.0.1:0", "--database-url", url];
    args.extend_from_slice(engine);
    if demo {
        args.push("--demo");
        Served::start("  curl ", &args)
    } else {
        Served::start("Sendline listening on ", &args)
    }
}

/// The ledger's name of a process's worker starts with its process id.
fn worker_of_process(worker: &str, process: u32) -> bool {
    worker.split('-').next() == Some(process.to_string().as_str())
}

/// The only recipient of a received message.
fn recipient_of(message: &ReceivedMessage) -> String {
    match message.recipients.as_slice() {
        [only] => only.to_lowercase(),
        other => panic!("one recipient expected: {other:?}"),
    }
}

/// The `Message-ID` of a received message, without its angle brackets.
fn message_id_of(message: &ReceivedMessage) -> String {
    let raw = message.header("Message-ID").expect("a Message-ID");
    raw.trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .to_owned()
}

/// At most once, checked against what the SMTP server received: no recipient (one per campaign and
/// lead) got two messages; every received message is the email of a claim of the ledger, not a
/// deferred one; every claim recorded `sent` was received exactly once. Answers the rows by state.
fn assert_at_most_once(
    received: &[ReceivedMessage],
    rows: &[LedgerRow],
) -> BTreeMap<String, usize> {
    let mut per_recipient: HashMap<String, usize> = HashMap::new();
    for message in received {
        *per_recipient.entry(recipient_of(message)).or_default() += 1;
    }
    let twice: Vec<_> = per_recipient
        .iter()
        .filter(|(_, count)| **count > 1)
        .collect();
    assert!(twice.is_empty(), "received more than once: {twice:?}");

    let claims: HashMap<&str, &LedgerRow> = rows
        .iter()
        .map(|row| (row.message_id.as_str(), row))
        .collect();
    let mut received_ids: HashMap<String, usize> = HashMap::new();
    for message in received {
        let id = message_id_of(message);
        let row = claims
            .get(id.as_str())
            .unwrap_or_else(|| panic!("{id} was received but is no claim of the ledger"));
        assert_ne!(
            row.state, "deferred",
            "a deferred claim was received: {row:?}"
        );
        *received_ids.entry(id).or_default() += 1;
    }
    let mut by_state: BTreeMap<String, usize> = BTreeMap::new();
    for row in rows {
        *by_state.entry(row.state.clone()).or_default() += 1;
        if row.state == "sent" {
            assert_eq!(
                received_ids.get(&row.message_id).copied(),
                Some(1),
                "a claim recorded sent was not received exactly once: {row:?}"
            );
        }
    }
    by_state
}

/// Waits until `settled` says the ledger is done, or fails after [`SETTLE_DEADLINE`].
async fn ledger_when(
    database: &Database,
    what: &str,
    mut settled: impl FnMut(&[LedgerRow]) -> bool,
) -> Vec<LedgerRow> {
    let deadline = Instant::now() + SETTLE_DEADLINE;
    loop {
        let rows = ledger_rows(database).await.expect("the ledger");
        if settled(&rows) {
            return rows;
        }
        assert!(
            Instant::now() < deadline,
            "not {what} after {SETTLE_DEADLINE:?}: {} rows, {} claimed",
            rows.len(),
            rows.iter().filter(|row| row.state == "claimed").count()
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Every campaign lead of `campaign`, through the API.
async fn campaign_leads(api: &Api, campaign: &str) -> Vec<Value> {
    let mut leads = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut path = format!("/v1/campaigns/{campaign}/leads?limit=100");
        if let Some(cursor) = &cursor {
            path.push_str(&format!("&cursor={cursor}"));
        }
        let page = api.get(&path).await;
        leads.extend(page.ok().as_array().expect("a page").iter().cloned());
        cursor = page.body["pagination"]["nextCursor"]
            .as_str()
            .map(str::to_owned);
        if cursor.is_none() {
            return leads;
        }
    }
}

/// What the API reports of each claim: a sent one as a completed lead with one history entry and
/// in the campaign's `stats.sent`; an unknown one as never sent — still active at
/// its step, no history, nothing counted — so nothing sends it again.
async fn assert_api_reports(api: &Api, campaigns: &[String], rows: &[LedgerRow]) {
    let by_enrolment: HashMap<&str, &LedgerRow> = rows
        .iter()
        .map(|row| (row.enrolment.as_str(), row))
        .collect();
    for campaign in campaigns {
        let leads = campaign_leads(api, campaign).await;
        assert_eq!(leads.len(), LEADS_PER_CAMPAIGN);
        for lead in &leads {
            let id = lead["_id"].as_str().expect("an id");
            let row = by_enrolment
                .get(id)
                .unwrap_or_else(|| panic!("no claim for {lead}"));
            let history = lead["history"].as_array().expect("a history").len();
            if row.state == "sent" {
                assert_eq!(
                    (&lead["status"], history),
                    (&json!("completed"), 1),
                    "{lead}"
                );
            } else {
                assert_eq!((&lead["status"], history), (&json!("active"), 0), "{lead}");
                assert_eq!(lead["emailsSent"], 0, "{lead}");
            }
        }
        let sent = rows
            .iter()
            .filter(|row| row.campaign == *campaign && row.state == "sent")
            .count();
        let read = api.get(&format!("/v1/campaigns/{campaign}")).await;
        assert_eq!(read.ok()["stats"]["sent"], sent, "{}", read.text);
    }
}

const KILLS: usize = 4;
/// The highest `dailySendLimit` the API takes: no mailbox's limit stops a send of the crash test.
const HIGHEST_MAILBOX_LIMIT: u32 = 50;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_a_sender_killed_mid_send_and_restarted_never_sends_an_email_twice() {
    for backend in backends() {
        eprintln!("--- on {backend:?}");
        // The server stores each message, then waits before answering: most kills land while a
        // message has arrived and its sender has not heard so.
        let (sink, database, url) =
            sink_and_database(backend, Some(Duration::from_millis(250))).await;
        let engine = ["--send-round-ms", "50", "--send-parallel", "16"];
        let mut server = serve(&url, true, &engine);
        let key = server.line_after("Workspace API key: ");
        let api = Api::of(&server, &key);
        let campaigns = prepare_load(&api, &sink, HIGHEST_MAILBOX_LIMIT).await;
        start_all(&api, &campaigns).await;

        let mut killed = Vec::new();
        for _ in 0..KILLS {
            let delay = rand::rng().random_range(300..1_200);
            tokio::time::sleep(Duration::from_millis(delay)).await;
            killed.push(server.child.id());
            server.child.kill().expect("SIGKILL");
            let _ = server.child.wait();
            let rows = ledger_rows(&database).await.expect("the ledger");
            let claimed = rows.iter().filter(|row| row.state == "claimed").count();
            eprintln!(
                "killed after {delay} ms: {} claims, {claimed} unfinished, {} received",
                rows.len(),
                sink.received().expect("received").len()
            );
            server = serve(&url, false, &engine);
        }
        let last = server.child.id();
        // Done: every lead claimed, and nothing in flight in the last process. On SQLite the last
        // process marked the others' unfinished claims `unknown` when it took the sender's lock.
        let rows = ledger_when(&database, "claimed for every lead", |rows| {
            rows.len() == LEADS
                && !rows.iter().any(|row| {
                    row.state == "claimed"
                        && (backend == TestBackend::Sqlite || worker_of_process(&row.worker, last))
                })
        })
        .await;
        // On PostgreSQL they wait for their worker's heartbeat to be a minute old: the killed ones'
        // are made so, and the live process marks their claims `unknown` (it does not send them).
        let dead: BTreeSet<&str> = rows
            .iter()
            .filter(|row| row.state == "claimed")
            .map(|row| row.worker.as_str())
            .collect();
        for worker in &dead {
            assert!(
                killed.iter().any(|pid| worker_of_process(worker, *pid)),
                "an unfinished claim of a live process: {worker}"
            );
            age_heartbeat(&database, worker, chrono::Duration::minutes(2))
                .await
                .expect("an older heartbeat");
        }
        ledger_when(&database, "settled as sent or unknown", |rows| {
            rows.iter().all(|row| row.state != "claimed")
        })
        .await;
        // A moment more: a process that would send something again has had the chance to.
        tokio::time::sleep(Duration::from_secs(1)).await;
        let rows = ledger_rows(&database).await.expect("the ledger");
        let received = sink.received().expect("received");
        let by_state = assert_at_most_once(&received, &rows);
        let unfinished = rows.len() - by_state.get("sent").copied().unwrap_or(0);
        let allowed = BTreeSet::from(["sent", "unknown"]);
        assert!(
            by_state
                .keys()
                .all(|state| allowed.contains(state.as_str())),
            "{by_state:?}"
        );
        assert!(
            unfinished > 0,
            "no kill landed mid-send, so nothing was tested: {by_state:?}"
        );
        eprintln!(
            "{} received; ledger {by_state:?}; {} of the {unfinished} unfinished claims were received",
            received.len(),
            received.len() - by_state.get("sent").copied().unwrap_or(0)
        );
        assert_api_reports(&Api::of(&server, &key), &campaigns, &rows).await;
    }
}

/// Every pair of one campaign's claims from one mailbox is `emailIntervalMinutes` apart, in the
/// ledger (claim times, what the rule counts) and at the SMTP server (`Date` headers, to the second).
fn assert_spacing(received: &[ReceivedMessage], rows: &[LedgerRow]) {
    let interval_ms = INTERVAL_MINUTES * 60_000;
    let mut claims: BTreeMap<(&str, &str), Vec<i64>> = BTreeMap::new();
    for row in rows {
        claims
            .entry((row.campaign.as_str(), row.mailbox.as_str()))
            .or_default()
            .push(row.claimed_at_ms);
    }
    for (pair, times) in &mut claims {
        times.sort_unstable();
        for two in times.windows(2) {
            assert!(
                two[1] - two[0] >= interval_ms,
                "{pair:?} claimed at {two:?}"
            );
        }
    }
    let campaign_of: HashMap<&str, &str> = rows
        .iter()
        .map(|row| (row.message_id.as_str(), row.campaign.as_str()))
        .collect();
    let mut dates: BTreeMap<(String, String), Vec<DateTime<Utc>>> = BTreeMap::new();
    for message in received {
        let campaign = campaign_of[message_id_of(message).as_str()].to_owned();
        let date = message.header("Date").expect("a Date");
        let date = DateTime::parse_from_rfc2822(date.trim())
            .unwrap_or_else(|error| panic!("{date:?}: {error}"))
            .with_timezone(&Utc);
        dates
            .entry((campaign, message.mail_from.to_lowercase()))
            .or_default()
            .push(date);
    }
    for (pair, times) in &mut dates {
        times.sort_unstable();
        for two in times.windows(2) {
            // `Date` has whole seconds.
            assert!(
                (two[1] - two[0]).num_seconds() >= INTERVAL_MINUTES * 60 - 1,
                "{pair:?} sent at {two:?}"
            );
        }
    }
}

/// Every mailbox sent at most `limit` (ledger and SMTP server); answers the most any one sent.
fn assert_mailbox_limit(received: &[ReceivedMessage], rows: &[LedgerRow], limit: usize) -> usize {
    let mut claims: HashMap<&str, usize> = HashMap::new();
    for row in rows.iter().filter(|row| row.state != "deferred") {
        *claims.entry(row.mailbox.as_str()).or_default() += 1;
    }
    let mut messages: HashMap<String, usize> = HashMap::new();
    for message in received {
        *messages
            .entry(message.mail_from.to_lowercase())
            .or_default() += 1;
    }
    assert!(claims.values().all(|count| *count <= limit), "{claims:?}");
    assert!(
        messages.values().all(|count| *count <= limit),
        "{messages:?}"
    );
    claims.values().copied().max().unwrap_or(0)
}

/// Below what the campaigns want (15 of each of the 20 from 16 mailboxes): the limit decides.
const MAILBOX_LIMIT: u32 = 12;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_sending_processes_on_one_database_never_send_twice_nor_over_a_limit() {
    for backend in backends() {
        eprintln!("--- on {backend:?}");
        let (sink, database, url) = sink_and_database(backend, None).await;
        // Small batches and no wait at the SMTP server: the two processes' claims overlap as often
        // as they can.
        let engine = [
            "--send-round-ms",
            "50",
            "--send-batch",
            "3",
            "--send-parallel",
            "8",
        ];
        let server = serve(&url, true, &engine);
        let key = server.line_after("Workspace API key: ");
        let api = Api::of(&server, &key);
        let campaigns = prepare_load(&api, &sink, MAILBOX_LIMIT).await;
        let worker = Served::start(
            "Sendline worker sending",
            &[&["worker", "--database-url", &url][..], &engine].concat(),
        );
        start_all(&api, &campaigns).await;

        // Settled: nothing in flight, and nothing new for two seconds (what is left waits for a
        // mailbox's limit or spacing).
        let mut seen = (usize::MAX, Instant::now());
        let rows = ledger_when(&database, "settled", |rows| {
            if rows.len() != seen.0 {
                seen = (rows.len(), Instant::now());
            }
            seen.1.elapsed() >= Duration::from_secs(2)
                && !rows.is_empty()
                && rows.iter().all(|row| row.state != "claimed")
        })
        .await;
        let received = sink.received().expect("received");
        let by_state = assert_at_most_once(&received, &rows);
        assert_eq!(
            by_state.keys().map(String::as_str).collect::<Vec<_>>(),
            ["sent"],
            "nobody crashed: {by_state:?}"
        );
        let busiest = assert_mailbox_limit(&received, &rows, MAILBOX_LIMIT as usize);
        assert_eq!(
            busiest, MAILBOX_LIMIT as usize,
            "no mailbox reached its limit"
        );
        assert_spacing(&received, &rows);

        let mut per_process = [0, 0];
        for row in &rows {
            if worker_of_process(&row.worker, server.child.id()) {
                per_process[0] += 1;
            } else if worker_of_process(&row.worker, worker.child.id()) {
                per_process[1] += 1;
            } else {
                panic!("a claim of neither process: {row:?}");
            }
        }
        eprintln!(
            "{} sent (serve {}, worker {}), the busiest mailbox {busiest}",
            rows.len(),
            per_process[0],
            per_process[1]
        );
        match backend {
            // On PostgreSQL both send, or the test proved nothing about sharing the work.
            TestBackend::Postgres => {
                assert!(per_process.iter().all(|sent| *sent > 0), "{per_process:?}")
            }
            // On SQLite one process sends; the other says so and waits.
            TestBackend::Sqlite => {
                assert!(per_process.contains(&0), "{per_process:?}")
            }
        }
    }
}

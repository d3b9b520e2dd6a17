//! The sending and tracking scenarios (SENDING.md section 9): a fresh database filled by `sendline
//! bench-fill --sending-output` (20,000 mailboxes sending through the xtask's SMTP sink, one campaign
//! of them all, one minute apart, 100,000 leads enrolled, started), then the real engine (`sendline
//! worker`: one on SQLite, two on PostgreSQL) for the run's seconds, counting what the sink received
//! per second; then the sink's record and the database are checked against the limits, and the
//! tracking routes are driven by wrk with tokens of the messages sent, beside `/healthz`.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::summary::{self, Ceiling};
use super::{
    BENCH_RATE_LIMIT, BIND, Backend, CONNECTIONS, DONE, Measured, SECRET_KEY_HEX, THREADS,
    fresh_database, machine, now_utc, settle_after_fill, wait_until_healthy, write_docs, wrk,
};
use crate::run;
use crate::smtp_sink::{Received, SmtpSink, Tokens};

/// SENDING.md section 9's sizes, at either size of the bench: the claim's cost grows with them.
const MAILBOXES: u32 = 20_000;
const LEADS: u32 = 100_000;
/// The engine's `--send-batch` and `--send-parallel` in the run: claims of 400 and 64 messages in
/// SMTP at once (the defaults, 100 and 16, leave a process waiting on one round trip after another:
/// about 80 messages a second here).
const SEND_BATCH: u32 = 400;
const SEND_PARALLEL: u32 = 64;
/// The limits the fill sets, which the checks hold the run to.
const MAILBOX_DAILY_LIMIT: u64 = 50;
const INTERVAL_MS: i64 = 60_000;

/// How long the engine is measured: SENDING.md's 30 s, or 10 s with `--quick`.
pub(super) fn run_seconds(quick: bool) -> u64 {
    if quick { 10 } else { 30 }
}

/// What the checks after the run found.
struct Checks {
    /// Messages the sink received (during and after the measured seconds).
    received: usize,
    /// Message-IDs received more than once.
    duplicate_message_ids: usize,
    /// Recipients received more than once (each lead is enrolled once and gets one first email).
    duplicate_recipients: usize,
    /// Mailboxes with more than their 50 claims (the whole run is within 24 hours).
    mailboxes_over_limit: u64,
    /// Pairs of one mailbox's consecutive claims less than `emailIntervalMinutes` apart.
    spacing_violations: u64,
    /// Pairs of one mailbox's consecutive messages that reached the sink less than the interval
    /// apart (less a second for delivery jitter).
    received_too_close: usize,
    /// (enrolment, step) pairs claimed more than once.
    claimed_twice: u64,
    /// Rows of the ledger in state `sent`.
    sent_rows: u64,
}

impl Checks {
    fn verdict(&self) -> &'static str {
        if self.held() { "held" } else { "FAILED" }
    }

    /// What was counted, as one sentence.
    fn describe(&self) -> String {
        format!(
            "{} messages received, {} `sent` rows; duplicate Message-IDs {}, duplicate recipients {}, \
             mailboxes over {MAILBOX_DAILY_LIMIT} claims {}, claims of one mailbox less than a minute \
             apart {} (messages received so {}), (enrolment, step) claimed twice {}",
            self.received,
            self.sent_rows,
            self.duplicate_message_ids,
            self.duplicate_recipients,
            self.mailboxes_over_limit,
            self.spacing_violations,
            self.received_too_close,
            self.claimed_twice
        )
    }

    fn held(&self) -> bool {
        self.duplicate_message_ids == 0
            && self.duplicate_recipients == 0
            && self.mailboxes_over_limit == 0
            && self.spacing_violations == 0
            && self.received_too_close == 0
            && self.claimed_twice == 0
            && self.sent_rows == self.received as u64
    }
}

/// Runs both scenarios on `backend` and rewrites their section of `docs/benchmarks.md`.
pub(super) fn sending_and_tracking(
    backend: Backend,
    quick: bool,
    rounds: usize,
    server_binary: &Path,
    out: &Path,
) -> Result<(), String> {
    let seconds = run_seconds(quick);
    let sink = SmtpSink::start()?;
    let database_url = fresh_database(backend, out, "sending")?;
    println!(
        "xtask: filling the {} sending database: {MAILBOXES} mailboxes sending to 127.0.0.1:{}, one campaign, {LEADS} leads enrolled",
        backend.name(),
        sink.port()
    );
    let fill_file = out.join("sending_fill.txt");
    let started = Instant::now();
    run(Command::new(server_binary)
        .args(["bench-fill", "--database-url", &database_url])
        .args(["--sending-mailboxes", &MAILBOXES.to_string()])
        .args(["--sending-leads", &LEADS.to_string()])
        .args(["--smtp-port", &sink.port().to_string()])
        .arg("--sending-output")
        .arg(&fill_file)
        .env("SENDLINE_SECRET_KEY", SECRET_KEY_HEX))?;
    let fill_seconds = started.elapsed().as_secs_f64();
    println!("xtask: filled in {fill_seconds:.1} s");
    settle_after_fill(backend, &database_url)?;

    let worker_count = match backend {
        Backend::Sqlite => 1,
        Backend::Postgres => 2,
    };
    let mut workers = (0..worker_count)
        .map(|index| start_worker(server_binary, &database_url, out, index))
        .collect::<Result<Vec<_>, _>>()?;
    let measured = measure_sending(&sink, seconds);
    for worker in &workers {
        let _ = Command::new("kill").arg(worker.id().to_string()).status();
    }
    for worker in &mut workers {
        let _ = worker.wait();
    }
    let (first, counted) = measured?;
    let per_second = counted as f64 / seconds as f64;
    println!(
        "xtask: sending: {counted} messages in {seconds} s after the first: {per_second:.0} msg/s"
    );
    let received = sink.received();
    let checks = check(backend, &database_url, &received)?;
    println!(
        "xtask: sending checks {}: {}",
        checks.verdict(),
        checks.describe()
    );
    let first_after = first.duration_since(started).as_secs_f64() - fill_seconds;

    let tokens = sink.tokens();
    let tracking = tracking(server_binary, &database_url, &tokens, quick, rounds, out)?;
    let ceilings = [Ceiling {
        label: "healthz",
        position: 0,
    }];
    let tracking = summary::table(&summary::summarize(&tracking, &ceilings), &ceilings);
    let when = now_utc();
    let section = format!(
        "## sending, {} ({when})\n\n{}.\n\n\
         | scenario | messages/s | messages in {seconds} s | workers | target | checks |\n|---|---:|---:|---:|---:|---|\n\
         | dispatcher: {MAILBOXES} mailboxes, {LEADS} due enrolments, interval 1 min | {per_second:.0} | {counted} | {worker_count} | {} | {} |\n\n\
         Each worker runs with `--send-batch {SEND_BATCH} --send-parallel {SEND_PARALLEL}`. \
         Checks after the run, from the sink's record and the database: {}. The first message \
         arrived {first_after:.1} s after the workers started; the fill took {fill_seconds:.0} s.\n\n\
         Tracking, on the same database (`serve --no-sending`, tokens of {} sent messages), {} rounds \
         (medians, range in brackets):\n\n{}",
        backend.name(),
        machine(),
        match backend {
            Backend::Sqlite => ">= 200",
            Backend::Postgres => ">= 400",
        },
        checks.verdict(),
        checks.describe(),
        tokens.opens.len(),
        rounds,
        tracking,
    );
    println!("\n{section}");
    write_docs(&format!("sending, {}", backend.name()), &section)?;
    if checks.held() {
        Ok(())
    } else {
        Err("the sending run broke a limit or sent something twice (see above)".to_owned())
    }
}

fn start_worker(
    server_binary: &Path,
    database_url: &str,
    out: &Path,
    index: usize,
) -> Result<Child, String> {
    let log = out.join(format!("worker-{index}.log"));
    let log = std::fs::File::create(&log).map_err(|error| format!("{}: {error}", log.display()))?;
    Command::new(server_binary)
        .args(["worker", "--database-url", database_url])
        .args(["--public-url", &format!("http://{BIND}")])
        .args(["--send-batch", &SEND_BATCH.to_string()])
        .args(["--send-parallel", &SEND_PARALLEL.to_string()])
        .env("SENDLINE_SECRET_KEY", SECRET_KEY_HEX)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .map_err(|error| format!("could not start a worker: {error}"))
}

/// Waits for the first message (at most two minutes), then counts those received within `seconds`
/// of it: when it arrived, and how many.
fn measure_sending(sink: &SmtpSink, seconds: u64) -> Result<(Instant, usize), String> {
    let deadline = Instant::now() + Duration::from_secs(120);
    let first = loop {
        if let Some(first) = sink.received().first() {
            break first.at;
        }
        if Instant::now() > deadline {
            return Err(
                "the workers sent nothing within 120 s (see target/bench/*/worker-*.log)"
                    .to_owned(),
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let end = first + Duration::from_secs(seconds);
    std::thread::sleep(end.saturating_duration_since(Instant::now()));
    let counted = sink
        .received()
        .iter()
        .filter(|message| message.at <= end)
        .count();
    Ok((first, counted))
}

/// The checks of the run: the sink's record for what arrived twice, the ledger for the limits.
fn check(backend: Backend, database_url: &str, received: &[Received]) -> Result<Checks, String> {
    let duplicates = |keys: Vec<&str>| {
        let mut seen = HashSet::new();
        keys.into_iter().filter(|key| !seen.insert(*key)).count()
    };
    let message_ids = received
        .iter()
        .map(|message| message.message_id.as_deref().unwrap_or(""))
        .collect();
    let recipients = received
        .iter()
        .flat_map(|message| message.recipients.iter().map(String::as_str))
        .collect();
    let mut arrivals: HashMap<&str, Vec<Instant>> = HashMap::new();
    for message in received {
        arrivals
            .entry(&message.sender)
            .or_default()
            .push(message.at);
    }
    let jitter = Duration::from_secs(1);
    let interval = Duration::from_millis(INTERVAL_MS as u64);
    let received_too_close = arrivals
        .values()
        .flat_map(|times| times.windows(2))
        .filter(|pair| pair[1].duration_since(pair[0]) + jitter < interval)
        .count();
    let count = |sql: &str| query_count(backend, database_url, sql);
    Ok(Checks {
        received_too_close,
        received: received.len(),
        duplicate_message_ids: duplicates(message_ids),
        duplicate_recipients: duplicates(recipients),
        mailboxes_over_limit: count(&format!(
            "SELECT COUNT(*) FROM (SELECT mailbox_id FROM sends WHERE state <> 'deferred' \
             GROUP BY mailbox_id HAVING COUNT(*) > {MAILBOX_DAILY_LIMIT}) over_limit"
        ))?,
        spacing_violations: count(&format!(
            "SELECT COUNT(*) FROM (SELECT claimed_at_ms - LAG(claimed_at_ms) OVER \
             (PARTITION BY campaign_id, mailbox_id ORDER BY claimed_at_ms) AS gap FROM sends \
             WHERE state <> 'deferred') gaps WHERE gap < {INTERVAL_MS}"
        ))?,
        claimed_twice: count(
            "SELECT COUNT(*) FROM (SELECT enrolment_id, step FROM sends \
             GROUP BY enrolment_id, step HAVING COUNT(*) > 1) twice",
        )?,
        sent_rows: count("SELECT COUNT(*) FROM sends WHERE state = 'sent'")?,
    })
}

/// The one number `sql` answers, through the database's own client.
fn query_count(backend: Backend, database_url: &str, sql: &str) -> Result<u64, String> {
    let output = match backend {
        Backend::Sqlite => {
            let path = database_url
                .trim_start_matches("sqlite://")
                .split('?')
                .next()
                .unwrap_or_default();
            Command::new("sqlite3").args([path, sql]).output()
        }
        Backend::Postgres => Command::new("psql")
            .args([database_url, "-At", "-v", "ON_ERROR_STOP=1", "-c", sql])
            .output(),
    }
    .map_err(|error| format!("could not query the database: {error}"))?;
    let text = String::from_utf8_lossy(&output.stdout);
    text.trim().parse().map_err(|_| {
        format!(
            "{sql}: {}{}",
            text.trim(),
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

/// `serve --no-sending` on the sending database: `/healthz` (the ceiling), then the open pixel and
/// the click redirect with tokens of sent messages.
fn tracking(
    server_binary: &Path,
    database_url: &str,
    tokens: &Tokens,
    quick: bool,
    rounds: usize,
    out: &Path,
) -> Result<Vec<Vec<Measured>>, String> {
    if tokens.opens.is_empty() || tokens.clicks.is_empty() {
        return Err("the sink found no tracking tokens in the messages".to_owned());
    }
    let mut server = Command::new(server_binary)
        .args([
            "serve",
            "--no-sending",
            "--bind",
            BIND,
            "--database-url",
            database_url,
        ])
        .args(["--rate-limit", BENCH_RATE_LIMIT])
        .args(["--rate-limit-per-address", BENCH_RATE_LIMIT])
        .env("SENDLINE_SECRET_KEY", SECRET_KEY_HEX)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|error| format!("could not start the server: {error}"))?;
    let measured = (|| {
        wait_until_healthy(&mut server)?;
        let seconds = if quick { 4 } else { 15 };
        let script = |name: &str,
                      prefix: &str,
                      list: &[String]|
         -> Result<std::path::PathBuf, String> {
            let path = out.join(format!("{name}.lua"));
            let quoted: Vec<String> = list.iter().map(|token| format!("\"{token}\"")).collect();
            let text = format!(
                "local tokens = {{{}}}\nrequest = function() return wrk.format(\"GET\", \"{prefix}\" .. tokens[math.random(#tokens)]) end\n{DONE}",
                quoted.join(",")
            );
            std::fs::write(&path, text).map_err(|error| format!("{}: {error}", path.display()))?;
            Ok(path)
        };
        let opens = script("tracking_open", "/t/o/", &tokens.opens)?;
        let clicks = script("tracking_click", "/t/c/", &tokens.clicks)?;
        let mut all_rounds = Vec::new();
        for _ in 0..rounds {
            let mut results = Vec::new();
            for (scenario, script, path) in [
                ("healthz (ceiling)", None, "/healthz"),
                ("tracking: open pixel GET /t/o/{token}", Some(&opens), "/"),
                ("tracking: click GET /t/c/{token} (302)", Some(&clicks), "/"),
            ] {
                results.push(wrk(
                    scenario,
                    script,
                    path,
                    (THREADS, CONNECTIONS),
                    seconds,
                    Some(server.id()),
                )?);
            }
            all_rounds.push(results);
        }
        Ok(all_rounds)
    })();
    let _ = Command::new("kill").arg(server.id().to_string()).status();
    let _ = server.wait();
    measured
}

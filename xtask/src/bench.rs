//! `cargo xtask bench [--backend sqlite|postgres] [--quick] [--only api|sending] [--rounds N]
//! [--compare REV]`: the release server on a fresh, filled database, driven by wrk (32 connections
//! on 127.0.0.1) through each scenario, beside the ceilings of this machine (`/healthz`, and an echo
//! of the create body without a database), with the server's peak RSS, its CPU per request and, on
//! SQLite, the `-wal` file's largest size and its size at the end. Every scenario runs `--rounds`
//! times (3), each round starting with the ceilings; the report gives medians, their range, and
//! ratios to the same round's ceilings (`summary`), judged against issue 22's targets. Prints a
//! table, writes it as JSON to `target/bench/{backend}/latest.json`, and rewrites
//! `docs/benchmarks.md`. Then the sending engine and the tracking routes ([`sending`]), on a
//! database of their own. `--only` runs one of the two. `--compare REV` instead alternates this
//! tree's server with REV's on the core scenarios ([`compare`]).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::{cargo, ensure_local_postgres, run, workspace_root};

mod compare;
mod sending;
mod summary;

use summary::{Ceiling, ScenarioSummary};

/// Requests per window for the bench's one key (and address): never reached.
const BENCH_RATE_LIMIT: &str = "1000000000000";
const BIND: &str = "127.0.0.1:18080";
/// The key that seals stored credentials, the same for the fill and every server of a run (each
/// run's database is new, so any does; a server refuses a database sealed with another key).
const SECRET_KEY_HEX: &str = "bebebebebebebebebebebebebebebebebebebebebebebebebebebebebebebebe";
const CONNECTIONS: u32 = 32;
const THREADS: u32 = 2;
const POSTGRES_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/test";
/// Leads of the workspace the selectAll scenario enrols, at any size: LEADS.md's target.
const ENROLMENT_LEADS: u32 = 100_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// How big and how long.
#[derive(Debug, Clone, Copy)]
struct Size {
    mailboxes: u32,
    campaigns: u32,
    /// Leads filled before the run: what the lead search searches. The quick size fills in about 20
    /// seconds (20 bulks of 5,000 through the bulk writer).
    leads: u32,
    seconds: u32,
}

const FULL: Size = Size {
    mailboxes: 10_000,
    campaigns: 100_000,
    leads: 1_000_000,
    seconds: 15,
};
const QUICK: Size = Size {
    mailboxes: 1_000,
    campaigns: 10_000,
    leads: 100_000,
    seconds: 4,
};

/// One wrk run, as its `done` hook reports it.
#[derive(Debug, Clone)]
struct Measured {
    scenario: &'static str,
    requests: u64,
    seconds: f64,
    p50_ms: f64,
    p99_ms: f64,
    max_ms: f64,
    non_2xx: u64,
    socket_errors: u64,
    /// Share of the run's wall time in which every task of the machine waited on I/O (Linux PSI
    /// `full`), when the kernel reports it: a host reclaiming page cache shows here, not in the code.
    io_stalled_percent: Option<f64>,
    /// The server's CPU time (user + system) over the run, per request completed.
    cpu_us_per_request: Option<f64>,
}

impl Measured {
    fn json(&self) -> String {
        let optional = |value: Option<f64>, decimals: usize| {
            value.map_or_else(|| "null".to_owned(), |value| format!("{value:.decimals$}"))
        };
        format!(
            "{{\"requestsPerSecond\": {:.1}, \"p50Ms\": {:.3}, \"p99Ms\": {:.3}, \"maxMs\": {:.3}, \"requests\": {}, \"non2xx\": {}, \"socketErrors\": {}, \"ioStalledPercent\": {}, \"cpuMicrosPerRequest\": {}}}",
            self.per_second(),
            self.p50_ms,
            self.p99_ms,
            self.max_ms,
            self.requests,
            self.non_2xx,
            self.socket_errors,
            optional(self.io_stalled_percent, 1),
            optional(self.cpu_us_per_request, 1),
        )
    }

    fn per_second(&self) -> f64 {
        if self.seconds > 0.0 {
            self.requests as f64 / self.seconds
        } else {
            0.0
        }
    }
}

pub fn bench(args: &[String]) -> Result<(), String> {
    let backend = match option_value(args, "--backend").as_deref() {
        None | Some("sqlite") => Backend::Sqlite,
        Some("postgres") => Backend::Postgres,
        Some(other) => return Err(format!("unknown backend {other:?}: sqlite or postgres")),
    };
    let quick = args.iter().any(|arg| arg == "--quick");
    let size = if quick { QUICK } else { FULL };
    let only = option_value(args, "--only");
    if only
        .as_deref()
        .is_some_and(|only| only != "api" && only != "sending")
    {
        return Err(format!("unknown --only {only:?}: api or sending"));
    }
    let compared = option_value(args, "--compare");
    // The selectAll scenario's campaigns last MAX_ROUNDS rounds; a comparison runs no selectAll.
    let max_rounds = if compared.is_some() {
        compare::MAX_ROUNDS
    } else {
        MAX_ROUNDS
    };
    let rounds = match option_value(args, "--rounds") {
        None => DEFAULT_ROUNDS,
        Some(text) => text
            .parse::<usize>()
            .ok()
            .filter(|rounds| (1..=max_rounds).contains(rounds))
            .ok_or_else(|| format!("--rounds {text:?}: a whole number from 1 to {max_rounds}"))?,
    };
    ensure_wrk()?;
    run(Command::new(cargo()).args(["build", "--release", "--locked", "--bin", "sendline"]))?;
    let root = workspace_root();
    let server_binary = root.join("target/release/sendline");
    let out = root.join("target/bench").join(backend.name());
    std::fs::create_dir_all(&out).map_err(|error| format!("{}: {error}", out.display()))?;
    if let Some(revision) = compared {
        let other_binary = compare::build_revision(&revision)?;
        return compare::compare(
            backend,
            [
                ("this tree", server_binary.as_path()),
                (&revision, &other_binary),
            ],
            rounds.max(compare::MIN_ROUNDS),
            size,
            &out,
        );
    }
    if only.as_deref() != Some("sending") {
        api_scenarios(backend, size, rounds, &server_binary, &out)?;
    }
    if only.as_deref() != Some("api") {
        sending::sending_and_tracking(backend, quick, rounds, &server_binary, &out)?;
    }
    Ok(())
}

/// How many times each scenario runs, alternating with its ceilings, unless `--rounds` says.
const DEFAULT_ROUNDS: usize = 3;
/// The selectAll scenario enrols a campaign of its own per request, [`ENROLMENT_CAMPAIGNS_PER_ROUND`]
/// per round at most: the fill makes enough for this many rounds.
const MAX_ROUNDS: usize = 5;
const ENROLMENT_CAMPAIGNS_PER_ROUND: usize = 100;

/// The API's scenarios on a fresh database filled to `size`, `rounds` times.
fn api_scenarios(
    backend: Backend,
    size: Size,
    rounds: usize,
    server_binary: &Path,
    out: &Path,
) -> Result<(), String> {
    let database_url = fresh_database(backend, out, "bench")?;
    println!(
        "xtask: filling the {} database: {} mailboxes, {} campaigns, {} leads",
        backend.name(),
        size.mailboxes,
        size.campaigns,
        size.leads
    );
    let fill = out.join("fill.txt");
    let enrolment_fill = out.join("enrolment_fill.txt");
    let started = Instant::now();
    run(Command::new(server_binary)
        .args(["bench-fill", "--database-url", &database_url])
        .args(["--mailboxes", &size.mailboxes.to_string()])
        .args(["--campaigns", &size.campaigns.to_string()])
        .args(["--leads", &size.leads.to_string()])
        .args(["--enrolment-leads", &ENROLMENT_LEADS.to_string()])
        .arg("--output")
        .arg(&fill)
        .arg("--enrolment-output")
        .arg(&enrolment_fill)
        .env("SENDLINE_SECRET_KEY", SECRET_KEY_HEX))?;
    println!("xtask: filled in {:.1} s", started.elapsed().as_secs_f64());
    settle_after_fill(backend, &database_url)?;
    let (key, ids_file) = read_fill(&fill, &out.join("campaign_ids.txt"))?;
    let enrolment = read_fill(&enrolment_fill, &out.join("enrolment_campaign_ids.txt"))?;

    let mut server = start_api_server(server_binary, &database_url)?;
    let result = measure(&mut server, size, rounds, &key, &ids_file, &enrolment, out);
    // Measured while the server still runs: a clean shutdown checkpoints and may remove the file.
    let wal_bytes = match backend {
        // No file (yet, or any more) is an empty log.
        Backend::Sqlite => {
            Some(std::fs::metadata(out.join("bench.db-wal")).map_or(0, |metadata| metadata.len()))
        }
        Backend::Postgres => None,
    };
    let _ = Command::new("kill").arg(server.id().to_string()).status();
    let _ = server.wait();
    let (rounds, peaks) = result?;
    report(backend, size, &rounds, peaks, wal_bytes, out)
}

/// `serve` with the bench routes (the echo ceiling) on `database_url`, at [`BIND`].
fn start_api_server(server_binary: &Path, database_url: &str) -> Result<Child, String> {
    Command::new(server_binary)
        .args([
            "serve",
            "--bench-routes",
            "--bind",
            BIND,
            "--database-url",
            database_url,
            // One key drives every scenario far past any real allowance; the limiter still counts
            // every request, so its cost is measured.
            "--rate-limit",
            BENCH_RATE_LIMIT,
            "--rate-limit-per-address",
            BENCH_RATE_LIMIT,
        ])
        .env("SENDLINE_SECRET_KEY", SECRET_KEY_HEX)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|error| format!("could not start the server: {error}"))
}

/// After a fill: on PostgreSQL what autovacuum does to a table that grew this much, done now so the
/// run does not measure a table without statistics or a visibility map; then the fill's hundreds of
/// MB the kernel (and PostgreSQL's checkpointer, forced here) would write back over the next ~30 s,
/// written now, so that the first scenarios measure the server rather than the fill's writeback.
fn settle_after_fill(backend: Backend, database_url: &str) -> Result<(), String> {
    if backend == Backend::Postgres {
        run(Command::new("psql").args([
            database_url,
            "-q",
            "-v",
            "ON_ERROR_STOP=1",
            "-c",
            "VACUUM ANALYZE",
            "-c",
            "CHECKPOINT",
        ]))?;
    }
    run(&mut Command::new("sync"))
}

/// `rounds` rounds of every scenario, each round beginning with the ceilings; the server's peaks over
/// all of them.
fn measure(
    server: &mut Child,
    size: Size,
    rounds: usize,
    key: &str,
    ids_file: &Path,
    enrolment: &(String, PathBuf),
    out: &Path,
) -> Result<(Vec<Vec<Measured>>, Peaks), String> {
    wait_until_healthy(server)?;
    let peak_rss = Arc::new(AtomicU64::new(0));
    let peak_wal = Arc::new(AtomicU64::new(0));
    let sampling = Arc::new(AtomicBool::new(true));
    let sampler = {
        let (peak_rss, peak_wal, sampling) = (peak_rss.clone(), peak_wal.clone(), sampling.clone());
        let (pid, wal) = (server.id(), out.join("bench.db-wal"));
        std::thread::spawn(move || {
            while sampling.load(Ordering::Relaxed) {
                if let Some(rss) = rss_bytes(pid) {
                    peak_rss.fetch_max(rss, Ordering::Relaxed);
                }
                if let Ok(metadata) = std::fs::metadata(&wal) {
                    peak_wal.fetch_max(metadata.len(), Ordering::Relaxed);
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        })
    };
    // The CSV import first, on the fresh server: its RSS growth is then measured from the server's
    // resting size, not from memory that earlier scenarios grew and the allocator kept.
    let csv = csv_import(server.id(), key, out)?;
    println!(
        "xtask: leads: CSV import of {CSV_ROWS} rows: {:.2} s, server RSS +{:.1} MiB",
        csv.seconds,
        csv.rss_growth as f64 / 1024.0 / 1024.0
    );
    let seed = workspace_root().join("api/tests/fixtures/seed_create_campaign.json");
    let scripts = Scripts::write(out, key, &seed, ids_file, enrolment, rounds)?;
    let mut all_rounds = Vec::new();
    // The bulk import runs one request at a time: its figure is the latency of one bulk of 5,000 new
    // leads (LEADS.md wants < 1 s), not of bulks queueing behind each other. The searches run twice:
    // with 32 connections (throughput; their latency is mostly queueing on 2 cores) and with one
    // (the latency of one request, what "p99 < 50 ms" asks).
    let (many, one) = ((THREADS, CONNECTIONS), (1, 1));
    for round in 0..rounds {
        println!("xtask: round {} of {rounds}", round + 1);
        let mut results = Vec::new();
        for (scenario, script, path, (threads, connections), seconds) in [
            ("healthz (ceiling)", None, "/healthz", many, size.seconds),
            (
                "echo create body (ceiling)",
                Some(&scripts.echo),
                "/",
                many,
                size.seconds,
            ),
            ("create", Some(&scripts.create), "/", many, size.seconds),
            ("get by id", Some(&scripts.get), "/", many, size.seconds),
            ("list 25", Some(&scripts.list), "/", many, size.seconds),
            (
                "list 25, search",
                Some(&scripts.search),
                "/",
                many,
                size.seconds,
            ),
            (
                "mixed 1 create : 4 reads",
                Some(&scripts.mixed),
                "/",
                many,
                size.seconds,
            ),
            (
                "list 25, search (1 connection)",
                Some(&scripts.search),
                "/",
                one,
                size.seconds,
            ),
            (
                "leads: list 25, search",
                Some(&scripts.lead_search),
                "/",
                many,
                size.seconds,
            ),
            (
                "leads: list 25, search (1 connection)",
                Some(&scripts.lead_search),
                "/",
                one,
                size.seconds,
            ),
            (
                "leads: bulk of 5,000 new (1 connection)",
                Some(&scripts.bulk_leads),
                "/",
                one,
                size.seconds.max(10),
            ),
            // Each request enrols every lead of the enrolment workspace (ENROLMENT_LEADS at any size)
            // in a campaign of its own: its figure is one selectAll's latency (LEADS.md: < 5 s).
            (
                "leads: selectAll enrolment of every lead (1 connection)",
                Some(&scripts.enrol_all[round]),
                "/",
                one,
                size.seconds.max(30),
            ),
            // The first campaign the selectAll scenario enrolled: 100,000 enrolments to forecast from
            // (SENDING.md: days=90 < 20 ms).
            (
                "schedule: days=90 of 100,000 enrolments (1 connection)",
                Some(&scripts.schedule),
                "/",
                one,
                size.seconds,
            ),
        ] {
            results.push(wrk(
                scenario,
                script,
                path,
                (threads, connections),
                seconds,
                Some(server.id()),
            )?);
        }
        all_rounds.push(results);
    }
    sampling.store(false, Ordering::Relaxed);
    let _ = sampler.join();
    let peaks = Peaks {
        rss: peak_rss.load(Ordering::Relaxed),
        wal: peak_wal.load(Ordering::Relaxed),
        csv,
    };
    Ok((all_rounds, peaks))
}

/// Data rows of the CSV import (LEADS.md section 5: 50,000 rows of 20 columns, about 10 MB).
const CSV_ROWS: usize = 50_000;

/// One CSV import, as the client saw it and as the server's memory grew.
#[derive(Debug, Clone, Copy)]
struct CsvImport {
    /// From the first byte sent to the last byte of the answer.
    seconds: f64,
    /// The server's largest VmRSS during the import (sampled every 10 ms) minus its VmRSS before.
    rss_growth: u64,
    /// The answer's HTTP status.
    status: u16,
    /// The file's size.
    bytes: u64,
}

/// Posts the benchmark's CSV file ([`crate::lead_csv::write_leads_csv`], new emails each run) to
/// `POST /v1/leads/import/csv` on one connection, as a client sends it: a form with only the `file`
/// part (so the server copies it to a temporary file before reading it; the defaults apply).
fn csv_import(pid: u32, key: &str, out: &Path) -> Result<CsvImport, String> {
    let path = out.join("leads.csv");
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(1, |since| since.as_secs());
    let file =
        std::fs::File::create(&path).map_err(|error| format!("{}: {error}", path.display()))?;
    crate::lead_csv::write_leads_csv(std::io::BufWriter::new(file), CSV_ROWS, seed)
        .map_err(|error| format!("{}: {error}", path.display()))?;
    let csv = std::fs::read(&path).map_err(|error| format!("{}: {error}", path.display()))?;
    let boundary = "sendline-bench-boundary";
    let preamble = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"leads.csv\"\r\nContent-Type: text/csv\r\n\r\n"
    );
    let epilogue = format!("\r\n--{boundary}--\r\n");
    let length = preamble.len() + csv.len() + epilogue.len();
    let head = format!(
        "POST /v1/leads/import/csv HTTP/1.1\r\nHost: {BIND}\r\nX-Api-Key: {key}\r\nContent-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {length}\r\nConnection: close\r\n\r\n"
    );

    let before = rss_bytes(pid).unwrap_or(0);
    let peak = Arc::new(AtomicU64::new(before));
    let sampling = Arc::new(AtomicBool::new(true));
    let sampler = {
        let (peak, sampling) = (peak.clone(), sampling.clone());
        std::thread::spawn(move || {
            while sampling.load(Ordering::Relaxed) {
                if let Some(rss) = rss_bytes(pid) {
                    peak.fetch_max(rss, Ordering::Relaxed);
                }
                std::thread::sleep(Duration::from_millis(10));
            }
        })
    };
    let started = Instant::now();
    let answer = post(&[
        head.as_bytes(),
        preamble.as_bytes(),
        &csv,
        epilogue.as_bytes(),
    ]);
    let seconds = started.elapsed().as_secs_f64();
    sampling.store(false, Ordering::Relaxed);
    let _ = sampler.join();
    let answer = answer.map_err(|error| format!("the CSV import failed: {error}"))?;
    let status = std::str::from_utf8(answer.get(9..12).unwrap_or_default())
        .ok()
        .and_then(|code| code.parse().ok())
        .unwrap_or(0);
    let text = String::from_utf8_lossy(&answer);
    if status != 200 || !text.contains(&format!("\"imported\":{CSV_ROWS}")) {
        let start: String = text.chars().take(600).collect();
        return Err(format!("the CSV import did not import every row: {start}"));
    }
    Ok(CsvImport {
        seconds,
        rss_growth: peak.load(Ordering::Relaxed).saturating_sub(before),
        status,
        bytes: csv.len() as u64,
    })
}

/// Sends `parts` one after the other on a new connection to the server and reads the answer to its
/// end (the request says `Connection: close`).
fn post(parts: &[&[u8]]) -> std::io::Result<Vec<u8>> {
    let mut stream = TcpStream::connect(BIND)?;
    stream.set_read_timeout(Some(Duration::from_secs(300)))?;
    for part in parts {
        for chunk in part.chunks(64 * 1024) {
            stream.write_all(chunk)?;
        }
    }
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer)?;
    Ok(answer)
}

/// The largest server RSS and SQLite `-wal` size seen, sampled every 100 ms through the run, and the
/// CSV import.
#[derive(Clone, Copy)]
struct Peaks {
    rss: u64,
    wal: u64,
    csv: CsvImport,
}

/// The database URL of a fresh, empty database for `backend` named `name` (`{name}.db` in `out` on
/// SQLite, `sendline_{name}` on PostgreSQL).
fn fresh_database(backend: Backend, out: &Path, name: &str) -> Result<String, String> {
    match backend {
        Backend::Sqlite => {
            for suffix in ["", "-wal", "-shm", ".secret-key", ".sender-lock"] {
                let _ = std::fs::remove_file(out.join(format!("{name}.db{suffix}")));
            }
            Ok(format!(
                "sqlite://{}?mode=rwc",
                out.join(format!("{name}.db")).display()
            ))
        }
        Backend::Postgres => {
            if !ensure_local_postgres() {
                return Err("PostgreSQL does not answer on 127.0.0.1:5432".to_owned());
            }
            let database = format!("sendline_{name}");
            for statement in [
                format!("DROP DATABASE IF EXISTS {database} WITH (FORCE)"),
                format!("CREATE DATABASE {database}"),
            ] {
                run(Command::new("psql")
                    .args([POSTGRES_ADMIN_URL, "-q", "-v", "ON_ERROR_STOP=1", "-c"])
                    .arg(statement))?;
            }
            Ok(format!("postgres://postgres@127.0.0.1:5432/{database}"))
        }
    }
}

/// The workspace key and the file of campaign ids that `sendline bench-fill` wrote.
/// The key `bench-fill` wrote to `fill`, and the file `ids_file` its campaign ids are copied to.
fn read_fill(fill: &Path, ids_file: &Path) -> Result<(String, PathBuf), String> {
    let text =
        std::fs::read_to_string(fill).map_err(|error| format!("{}: {error}", fill.display()))?;
    let mut lines = text.lines();
    let key = lines
        .next()
        .filter(|key| key.starts_with("sk_"))
        .ok_or("bench-fill wrote no workspace key")?
        .to_owned();
    let ids: Vec<&str> = lines.collect();
    if ids.is_empty() {
        return Err("bench-fill wrote no campaign ids".to_owned());
    }
    std::fs::write(ids_file, ids.join("\n") + "\n")
        .map_err(|error| format!("{}: {error}", ids_file.display()))?;
    Ok((key, ids_file.to_owned()))
}

fn ensure_wrk() -> Result<(), String> {
    let present = || {
        Command::new("wrk")
            .arg("--version")
            .output()
            .is_ok_and(|output| String::from_utf8_lossy(&output.stdout).contains("wrk"))
    };
    if present() {
        return Ok(());
    }
    println!("xtask: installing wrk from Debian's packages");
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|output| output.stdout.starts_with(b"0"));
    let mut install = if root {
        Command::new("apt-get")
    } else {
        let mut sudo = Command::new("sudo");
        sudo.arg("apt-get");
        sudo
    };
    let _ = Command::new(install.get_program()).arg("update").status();
    run(install
        .args(["install", "-y", "-q", "wrk"])
        .env("DEBIAN_FRONTEND", "noninteractive"))?;
    if present() {
        Ok(())
    } else {
        Err("wrk is still missing after installing it".to_owned())
    }
}

fn wait_until_healthy(server: &mut Child) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if let Ok(Some(status)) = server.try_wait() {
            return Err(format!("the server exited early with {status}"));
        }
        if http_get_status(BIND, "/healthz") == Some(200) {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Err("the server did not become healthy within 60 s".to_owned())
}

/// Waits until requests the last scenario left queued (a slow query keeps running after wrk stops)
/// are done, so they do not slow the next scenario: `/readyz` queues behind them for a database
/// connection, so a quick answer means the server is idle again.
fn settle() -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(120);
    while Instant::now() < deadline {
        let asked = Instant::now();
        if http_get_status(BIND, "/readyz") == Some(200)
            && asked.elapsed() < Duration::from_millis(50)
        {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    Err("the server did not settle within 120 s after a scenario".to_owned())
}

/// The status code of a plain `GET`, or `None` when nothing answers.
fn http_get_status(address: &str, path: &str) -> Option<u16> {
    let mut stream = TcpStream::connect(address).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut head = [0_u8; 12];
    stream.read_exact(&mut head).ok()?;
    std::str::from_utf8(&head[9..12]).ok()?.parse().ok()
}

fn rss_bytes(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kib: u64 = status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kib * 1024)
}

/// The Lua scripts of the scenarios, written next to the results.
struct Scripts {
    echo: PathBuf,
    create: PathBuf,
    get: PathBuf,
    list: PathBuf,
    search: PathBuf,
    mixed: PathBuf,
    lead_search: PathBuf,
    bulk_leads: PathBuf,
    /// One per round: each round's requests enrol campaigns no earlier round enrolled.
    enrol_all: Vec<PathBuf>,
    schedule: PathBuf,
}

/// Prints what wrk measured on one line `xtask` reads back.
const DONE: &str = r#"
done = function(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    "BENCH requests=%d duration_us=%d p50_us=%d p99_us=%d max_us=%d non2xx=%d socket_errors=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency.max,
    errors.status, errors.connect + errors.read + errors.write + errors.timeout))
end
"#;

impl Scripts {
    /// `enrolment`: the key and campaign ids file of the workspace the selectAll scenario enrols.
    fn write(
        out: &Path,
        key: &str,
        seed: &Path,
        ids_file: &Path,
        enrolment: &(String, PathBuf),
        rounds: usize,
    ) -> Result<Scripts, String> {
        let body = std::fs::read_to_string(seed)
            .map_err(|error| format!("{}: {error}", seed.display()))?;
        // A Lua long string holds the body as it is.
        let body = format!("[==[{}]==]", body.trim());
        let headers_of = |key: &str| {
            format!(r#"{{["Content-Type"] = "application/json", ["X-Api-Key"] = "{key}"}}"#)
        };
        let headers = headers_of(key);
        let ids_of = |ids_file: &Path| {
            format!(
                r#"
local ids = {{}}
for line in io.lines("{}") do ids[#ids + 1] = line end
local function any_id() return ids[math.random(#ids)] end
"#,
                ids_file.display()
            )
        };
        let ids = ids_of(ids_file);
        let (enrolment_key, enrolment_ids) = enrolment;
        let write = |name: &str, script: String| -> Result<PathBuf, String> {
            let path = out.join(format!("{name}.lua"));
            std::fs::write(&path, script + DONE)
                .map_err(|error| format!("{}: {error}", path.display()))?;
            Ok(path)
        };
        let get = |path: &str| {
            format!(
                "local headers = {headers}\nrequest = function() return wrk.format(\"GET\", {path}, headers) end\n"
            )
        };
        Ok(Scripts {
            echo: write(
                "echo",
                format!(
                    "wrk.method = \"POST\"\nwrk.body = {body}\nwrk.headers[\"Content-Type\"] = \"application/json\"\nwrk.path = \"/__bench/echo\"\n"
                ),
            )?,
            create: write(
                "create",
                format!(
                    "wrk.method = \"POST\"\nwrk.body = {body}\nwrk.headers[\"Content-Type\"] = \"application/json\"\nwrk.headers[\"X-Api-Key\"] = \"{key}\"\nwrk.path = \"/v1/campaigns\"\n"
                ),
            )?,
            get: write("get", ids.clone() + &get("\"/v1/campaigns/\" .. any_id()"))?,
            list: write("list", get("\"/v1/campaigns?limit=25\""))?,
            search: write(
                "search",
                get("\"/v1/campaigns?limit=25&search=makers%20%23\" .. math.random(1, 99)"),
            )?,
            mixed: write(
                "mixed",
                format!(
                    "{ids}local headers = {headers}\nlocal body = {body}\nlocal n = 0\nrequest = function()\n  n = n + 1\n  if n % 5 == 0 then return wrk.format(\"POST\", \"/v1/campaigns\", headers, body) end\n  return wrk.format(\"GET\", \"/v1/campaigns/\" .. any_id(), headers)\nend\n"
                ),
            )?,
            // The fill's last names are `Surname{index}`: one lead, or a few, match.
            lead_search: write(
                "lead_search",
                get("\"/v1/leads?limit=25&search=surname\" .. math.random(1, 99999)"),
            )?,
            bulk_leads: write("bulk_leads", bulk_leads_script(key))?,
            // A campaign of the enrolment workspace per request, in file order: each enrolment is a
            // fresh one of all its leads.
            // (Round `r` starts after the campaigns of the rounds before it.)
            enrol_all: (0..rounds)
                .map(|round| {
                    write(
                        &format!("enrol_all_{}", round + 1),
                        format!(
                            "{}local headers = {}\nlocal n = {}\nrequest = function()\n  n = n + 1\n  return wrk.format(\"POST\", \"/v1/campaigns/\" .. ids[n] .. \"/leads\", headers, '{{\"selectAll\":true}}')\nend\n",
                            ids_of(enrolment_ids),
                            headers_of(enrolment_key),
                            round * ENROLMENT_CAMPAIGNS_PER_ROUND
                        ),
                    )
                })
                .collect::<Result<_, _>>()?,
            schedule: write(
                "schedule",
                format!(
                    "{}local headers = {}\nrequest = function() return wrk.format(\"GET\", \"/v1/campaigns/\" .. ids[1] .. \"/schedule?days=90\", headers) end\n",
                    ids_of(enrolment_ids),
                    headers_of(enrolment_key)
                ),
            )?,
        })
    }
}

/// A wrk script posting bulks of 5,000 new leads (`MAX_BULK_LEADS`), each email unique across the
/// run (about 500 KB a body, within the 1 MiB body limit).
fn bulk_leads_script(key: &str) -> String {
    format!(
        r#"wrk.method = "POST"
wrk.path = "/v1/leads/bulk"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-Api-Key"] = "{key}"
local batch = 0
local run = tostring(os.time())
request = function()
  batch = batch + 1
  local leads = {{}}
  for i = 1, 5000 do
    leads[i] = string.format('{{"email":"bulk%s-%d-%d@bulk.example","firstName":"Bulk","lastName":"Lead %d","companyName":"Bulk Co %d"}}', run, batch, i, i, i % 100)
  end
  return wrk.format(nil, nil, nil, '{{"leads":[' .. table.concat(leads, ",") .. ']}}')
end
"#
    )
}

/// One scenario run by wrk with `(threads, connections)`, then [`settle`]; its line printed. With
/// `server` (its process id), the server's CPU time over the run is counted too.
fn wrk(
    scenario: &'static str,
    script: Option<&PathBuf>,
    path: &str,
    (threads, connections): (u32, u32),
    seconds: u32,
    server: Option<u32>,
) -> Result<Measured, String> {
    let mut command = Command::new("wrk");
    command.args([
        "-t",
        &threads.to_string(),
        "-c",
        &connections.to_string(),
        "-d",
        &format!("{seconds}s"),
        "--timeout",
        // One selectAll enrolment of 100,000 leads may take longer than 10 s on a slow run.
        if scenario.contains("selectAll") {
            "120s"
        } else {
            "10s"
        },
    ]);
    let done_only;
    let script = match script {
        Some(script) => script.clone(),
        None => {
            done_only = std::env::temp_dir().join("sendline-bench-done.lua");
            std::fs::write(&done_only, DONE)
                .map_err(|error| format!("{}: {error}", done_only.display()))?;
            done_only
        }
    };
    command
        .arg("-s")
        .arg(&script)
        .arg(format!("http://{BIND}{path}"));
    let stalled_before = io_stalled_micros();
    let cpu_before = server.and_then(cpu_seconds);
    let output = command
        .output()
        .map_err(|error| format!("could not run wrk: {error}"))?;
    let cpu = server
        .and_then(cpu_seconds)
        .zip(cpu_before)
        .map(|(after, before)| after - before);
    let stalled = io_stalled_micros()
        .zip(stalled_before)
        .map(|(after, before)| after.saturating_sub(before));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout
        .lines()
        .find_map(|line| line.strip_prefix("BENCH "))
        .ok_or_else(|| format!("wrk printed no summary for {scenario}: {stdout}"))?;
    let field = |name: &str| -> u64 {
        line.split_whitespace()
            .find_map(|pair| pair.strip_prefix(name)?.strip_prefix('='))
            .and_then(|value| value.parse().ok())
            .unwrap_or(0)
    };
    let millis = |micros: u64| micros as f64 / 1000.0;
    let measured = Measured {
        scenario,
        requests: field("requests"),
        seconds: field("duration_us") as f64 / 1e6,
        p50_ms: millis(field("p50_us")),
        p99_ms: millis(field("p99_us")),
        max_ms: millis(field("max_us")),
        non_2xx: field("non2xx"),
        socket_errors: field("socket_errors"),
        io_stalled_percent: stalled
            .map(|micros| micros as f64 / (field("duration_us").max(1) as f64) * 100.0),
        cpu_us_per_request: cpu
            .filter(|_| field("requests") > 0)
            .map(|seconds| seconds * 1e6 / field("requests") as f64),
    };
    settle()?;
    println!(
        "xtask: {scenario}: {:.0} req/s, p99 {:.1} ms, non-2xx {}",
        measured.per_second(),
        measured.p99_ms,
        measured.non_2xx
    );
    Ok(measured)
}

/// The CPU time (user + system, seconds) process `pid` has used: `/proc/<pid>/stat` fields 14 and 15,
/// in clock ticks (`getconf CLK_TCK`, 100 on Linux).
fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The fields after the command name, which is in parentheses and may hold spaces.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    // Field 3 (state) is the first after the name: utime (14) and stime (15) are 11 and 12 after it.
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(ticks as f64 / clock_ticks_per_second())
}

fn clock_ticks_per_second() -> f64 {
    static TICKS: std::sync::OnceLock<f64> = std::sync::OnceLock::new();
    *TICKS.get_or_init(|| {
        Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|output| String::from_utf8_lossy(&output.stdout).trim().parse().ok())
            .filter(|ticks: &f64| *ticks > 0.0)
            .unwrap_or(100.0)
    })
}

/// Microseconds, since boot, in which every task waited on I/O (`/proc/pressure/io`, `full` line).
fn io_stalled_micros() -> Option<u64> {
    std::fs::read_to_string("/proc/pressure/io")
        .ok()?
        .lines()
        .find(|line| line.starts_with("full"))?
        .split_whitespace()
        .find_map(|pair| pair.strip_prefix("total="))?
        .parse()
        .ok()
}

fn option_value(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|arg| arg == name)
        .and_then(|index| args.get(index + 1).cloned())
        .or_else(|| {
            args.iter()
                .find_map(|arg| arg.strip_prefix(&format!("{name}=")).map(str::to_owned))
        })
}

/// What machine the figures come from.
fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find_map(|line| line.strip_prefix("model name"))
                .map(|model| model.trim_start_matches([' ', '\t', ':']).to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".to_owned());
    let cores = std::thread::available_parallelism()
        .map(|cores| cores.get())
        .unwrap_or(0);
    let memory_gib = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find_map(|line| line.strip_prefix("MemTotal:"))
                .and_then(|kib| kib.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        })
        .map(|kib| kib / 1024.0 / 1024.0)
        .unwrap_or(0.0);
    format!("{cores} cores ({cpu}), {memory_gib:.0} GiB, load generator on the same cores")
}

fn now_utc() -> String {
    Command::new("date")
        .args(["-u", "+%Y-%m-%dT%H:%M:%SZ"])
        .output()
        .map(|output| String::from_utf8_lossy(&output.stdout).trim().to_owned())
        .unwrap_or_default()
}

fn stalled_text(percent: Option<f64>) -> String {
    percent.map_or_else(|| "-".to_owned(), |percent| format!("{percent:.1}%"))
}

fn json_string(text: &str) -> String {
    let escaped: String = text
        .chars()
        .flat_map(|character| match character {
            '"' => "\\\"".chars().collect::<Vec<_>>(),
            '\\' => "\\\\".chars().collect(),
            '\n' => "\\n".chars().collect(),
            other => vec![other],
        })
        .collect();
    format!("\"{escaped}\"")
}

fn report(
    backend: Backend,
    size: Size,
    rounds: &[Vec<Measured>],
    peaks: Peaks,
    wal_bytes: Option<u64>,
    out: &Path,
) -> Result<(), String> {
    let mib = |bytes: u64| bytes as f64 / 1024.0 / 1024.0;
    let when = now_utc();
    let machine = machine();
    let summaries = summary::summarize(rounds, &API_CEILINGS);
    let targets = targets(backend, &summaries, peaks, wal_bytes);

    let table = summary::table(&summaries, &API_CEILINGS);
    let target_table = target_table(&targets);
    let footer = format!(
        "{} rounds: each round runs every scenario once, in the order above, starting with the ceilings; a figure is the median of the rounds, with their range in brackets, and a ratio divides each round's figure by that round's ceiling. CPU µs/req is the server's user + system time per request.\n\nLeads: CSV import of {CSV_ROWS} rows × 20 columns ({:.1} MB, 1 connection, only the `file` part): {:.2} s, server RSS growth {:.1} MiB (HTTP {}).\n\nServer peak RSS {:.1} MiB{}. {} mailboxes, {} campaigns, {} leads stored before the run; {} s per scenario (the bulk: at least 10 s), {CONNECTIONS} connections, {THREADS} wrk threads (the bulk and the `(1 connection)` rows: 1 and 1).",
        rounds.len(),
        peaks.csv.bytes as f64 / 1e6,
        peaks.csv.seconds,
        mib(peaks.csv.rss_growth),
        peaks.csv.status,
        mib(peaks.rss),
        wal_bytes
            .map(|bytes| format!(
                "; SQLite -wal at most {:.1} MiB during the run, {:.1} MiB after it",
                mib(peaks.wal),
                mib(bytes)
            ))
            .unwrap_or_default(),
        size.mailboxes,
        size.campaigns,
        size.leads,
        size.seconds,
    );
    println!(
        "\n{} ({when}; {machine})\n\n{table}\n{target_table}\n{footer}",
        backend.name()
    );

    let json = format!(
        "{{\"backend\": {}, \"at\": {}, \"machine\": {}, \"mailboxes\": {}, \"campaigns\": {}, \"secondsPerScenario\": {}, \"rounds\": {}, \"connections\": {CONNECTIONS}, \"peakRssBytes\": {}, \"walBytes\": {}, \"peakWalBytes\": {}, \"csvImport\": {{\"rows\": {CSV_ROWS}, \"seconds\": {:.3}, \"rssGrowthBytes\": {}}}, \"targets\": {}, \"scenarios\": {}}}\n",
        json_string(backend.name()),
        json_string(&when),
        json_string(&machine),
        size.mailboxes,
        size.campaigns,
        size.seconds,
        rounds.len(),
        peaks.rss,
        wal_bytes
            .map(|bytes| bytes.to_string())
            .unwrap_or_else(|| "null".to_owned()),
        wal_bytes
            .map(|_| peaks.wal.to_string())
            .unwrap_or_else(|| "null".to_owned()),
        peaks.csv.seconds,
        peaks.csv.rss_growth,
        targets_json(&targets),
        summary::json(&summaries),
    );
    let latest = out.join("latest.json");
    std::fs::write(&latest, &json).map_err(|error| format!("{}: {error}", latest.display()))?;
    write_docs(
        backend.name(),
        &format!(
            "## {} ({when})\n\n{machine}.\n\n{table}\n{target_table}\n{footer}\n",
            backend.name()
        ),
    )?;
    println!("\nxtask: wrote {} and docs/benchmarks.md", latest.display());
    Ok(())
}

/// The API scenarios' ceilings: the first two of every round.
const API_CEILINGS: [Ceiling; 2] = [
    Ceiling {
        label: "healthz",
        position: 0,
    },
    Ceiling {
        label: "echo",
        position: 1,
    },
];

/// One target of issue 22, judged on the medians of the rounds.
#[derive(Debug, Clone)]
struct Target {
    what: String,
    value: Option<f64>,
    bound: Bound,
}

#[derive(Debug, Clone, Copy)]
enum Bound {
    AtLeast(f64),
    AtMost(f64),
}

impl Target {
    fn met(&self) -> bool {
        match (self.value, self.bound) {
            (Some(value), Bound::AtLeast(bound)) => value >= bound,
            (Some(value), Bound::AtMost(bound)) => value <= bound,
            (None, _) => false,
        }
    }

    fn bound_text(&self) -> String {
        match self.bound {
            Bound::AtLeast(bound) => format!(">= {bound}"),
            Bound::AtMost(bound) => format!("<= {bound}"),
        }
    }
}

/// Issue 22's targets, each a ratio to the same rounds' ceiling where it is a speed.
fn targets(
    backend: Backend,
    summaries: &[ScenarioSummary],
    peaks: Peaks,
    wal_bytes: Option<u64>,
) -> Vec<Target> {
    let scenario = |name: &str| summaries.iter().find(|summary| summary.scenario == name);
    let ratio = |name: &str, ceiling: &str| {
        scenario(name)
            .and_then(|summary| summary.ratio(ceiling))
            .map(|spread| spread.median)
    };
    let mib = |bytes: u64| bytes as f64 / 1024.0 / 1024.0;
    let mut targets = vec![Target {
        what: "create / echo".to_owned(),
        value: ratio("create", "echo"),
        bound: Bound::AtLeast(match backend {
            Backend::Sqlite => 0.25,
            Backend::Postgres => 0.18,
        }),
    }];
    if backend == Backend::Sqlite {
        targets.push(Target {
            what: "create p99 ms".to_owned(),
            value: scenario("create").map(|summary| summary.p99_ms.median),
            bound: Bound::AtMost(10.0),
        });
    }
    targets.extend([
        Target {
            what: "get by id / healthz".to_owned(),
            value: ratio("get by id", "healthz"),
            bound: Bound::AtLeast(0.35),
        },
        Target {
            what: "list 25 / healthz".to_owned(),
            value: ratio("list 25", "healthz"),
            bound: Bound::AtLeast(0.2),
        },
        Target {
            what: "server peak RSS MiB".to_owned(),
            value: Some(mib(peaks.rss)),
            bound: Bound::AtMost(128.0),
        },
    ]);
    if wal_bytes.is_some() {
        targets.push(Target {
            what: "SQLite -wal peak MiB".to_owned(),
            value: Some(mib(peaks.wal)),
            bound: Bound::AtMost(64.0),
        });
    }
    targets
}

fn target_table(targets: &[Target]) -> String {
    let mut table =
        "| target (issue 22) | median | bound | met |\n|---|---:|---:|---|\n".to_owned();
    for target in targets {
        table.push_str(&format!(
            "| {} | {} | {} | {} |\n",
            target.what,
            target
                .value
                .map_or_else(|| "-".to_owned(), |value| format!("{value:.2}")),
            target.bound_text(),
            if target.met() { "yes" } else { "NO" }
        ));
    }
    table
}

fn targets_json(targets: &[Target]) -> String {
    let items: Vec<String> = targets
        .iter()
        .map(|target| {
            format!(
                "{{\"what\": {}, \"value\": {}, \"bound\": {}, \"met\": {}}}",
                json_string(&target.what),
                target
                    .value
                    .map_or_else(|| "null".to_owned(), |value| format!("{value:.4}")),
                json_string(&target.bound_text()),
                target.met()
            )
        })
        .collect();
    format!("[{}]", items.join(", "))
}

/// The sections of `docs/benchmarks.md`, in order, by the title of their `## <title> (…)` heading.
const SECTIONS: [&str; 4] = ["sqlite", "postgres", "sending, sqlite", "sending, postgres"];

/// `docs/benchmarks.md`: the introduction, then the latest section of each title of [`SECTIONS`];
/// `section` replaces the one titled `title`, the others are kept as they were.
fn write_docs(title: &str, section: &str) -> Result<(), String> {
    let path = workspace_root().join("docs/benchmarks.md");
    let existing = std::fs::read_to_string(&path).unwrap_or_default();
    let mut document = String::from(INTRODUCTION);
    for each in SECTIONS {
        let text = if each == title {
            Some(section)
        } else {
            section_of(&existing, each)
        };
        // Trimmed: a section rewritten again and again keeps one blank line before the next.
        if let Some(text) = text {
            document.push('\n');
            document.push_str(text.trim_end());
            document.push('\n');
        }
    }
    std::fs::write(&path, document).map_err(|error| format!("{}: {error}", path.display()))
}

/// The `## <title> (…)` section of `document`, up to the next `## ` heading.
fn section_of<'a>(document: &'a str, title: &str) -> Option<&'a str> {
    let start = document.find(&format!("\n## {title} ("))? + 1;
    let rest = &document[start..];
    let end = rest[3..].find("\n## ").map_or(rest.len(), |end| end + 4);
    Some(&rest[..end])
}

const INTRODUCTION: &str = "# Benchmarks

Written by `cargo xtask bench [--backend sqlite|postgres] [--quick]` (see `xtask/src/bench.rs`): the
release server on a fresh database filled with 10,000 mailboxes, 100,000 campaigns and 1,000,000 leads
(`--quick`: 1,000, 10,000 and 100,000), driven by wrk with 32 connections on 127.0.0.1. `healthz` and the
echo of the create body (read as the create route reads it, no database) are this machine's ceilings;
the ratios compare each scenario with them. `I/O stalled` is the share of the scenario's time in which
every task of the machine waited on I/O (Linux PSI): when the host reclaims page cache it rises, and the
figures beside it fall for reasons outside the server.

Latency targets are one request's latency, so those scenarios also run on ONE connection: the bulk
import of leads, the selectAll enrolment, the searches' `(1 connection)` rows and the CSV import. On 2
cores shared with wrk, 32 connections measure throughput, and their p99 is mostly time spent queueing
behind the other 31 requests in flight; a search's `p99 < 50 ms` is read from its `(1 connection)` row.
Each selectAll enrolment enrols every lead of a second workspace, filled with 100,000 leads at either
size, in a campaign of its own. The CSV import (LEADS.md section 5) posts 50,000 rows of 20 columns
(~10 MB, `xtask/src/lead_csv.rs`, new emails each run) as a form with only its `file` part, first thing
on the fresh server, and reports the time to the answer and the server's RSS growth: its largest VmRSS
during the import (sampled every 10 ms) minus its VmRSS before.

Every scenario runs three times (`--rounds N` to change), each round starting with the two ceilings, so a
figure is the median of three runs with their range beside it, and a ratio divides each round's figure by
the ceiling measured in that round (a host that slows down slows both). `CPU µs/req` is the server's
user + system time per request. Issue 22's targets are judged on those medians (the table under the
figures): create >= 0.25 of the echo on SQLite with p99 <= 10 ms, >= 0.18 on PostgreSQL; get by id >= 0.35
of healthz, list 25 >= 0.2; server peak RSS <= 128 MiB; SQLite -wal <= 64 MiB. `cargo xtask bench
--compare REV` builds REV (in `target/bench/compare/`) and alternates its server with this tree's, ABBA,
on a database each builds for itself, and reports this tree over REV round by round
(`target/bench/{backend}/compare.json`); it writes nothing here.

Targets (issue 7): create >= 4,000 req/s on SQLite with p99 < 20 ms, >= 3,000 on PostgreSQL; get by id
>= 15,000 req/s; list of 25 out of 100,000 >= 5,000 req/s; server RSS < 150 MB; SQLite -wal < 64 MB after
the run; no non-2xx responses. Leads (LEADS.md section 5, issue 18): a bulk of 5,000 new leads < 1 s; a
CSV import of 50,000 rows < 5 s with RSS growth < 50 MB; a selectAll enrolment of 100,000 leads < 5 s;
lead search at 1,000,000 leads and campaign search at 100,000 campaigns p99 < 50 ms. Schedule (SENDING.md
section 9, issue 19): `GET /v1/campaigns/{id}/schedule?days=90` of a campaign with 100,000 enrolments (the
first one the selectAll scenario filled) < 20 ms, on one connection. Where the time goes, and what to
change: [performance.md](performance.md).

The `sending, …` sections (SENDING.md section 9, issue 20; `xtask/src/bench/sending.rs`, `--only sending`
runs them alone) fill a database of their own through `sendline bench-fill --sending-output`: 20,000
mailboxes (limit 50 a day each) sending through the xtask's SMTP sink on 127.0.0.1, one campaign of
them all (`emailIntervalMinutes` 1, a window around now, opens and clicks tracked), 100,000 leads
enrolled, started. Then the release `sendline worker` (one on SQLite, two on PostgreSQL) runs against
the sink, and the messages it received in the 30 s (`--quick`: 10 s) after the first are counted.
After the run the sink's record (duplicate Message-IDs and recipients, one mailbox's messages less than
a minute apart) and the ledger (mailboxes over 50 claims, one mailbox's claims less than a minute
apart, an (enrolment, step) claimed twice) are checked. Then `serve --no-sending` on that database
answers wrk on `/t/o/{token}` and `/t/c/{token}` with the tokens of the first 1,000 messages, beside
its `/healthz`. Targets: >= 200 messages/s on SQLite, >= 400 on PostgreSQL with two workers, every
limit held, nothing sent twice; tracking >= 20,000 req/s.
";

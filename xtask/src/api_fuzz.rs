//! `cargo xtask api-fuzz`: schemathesis (from PyPI) against the live server's OpenAPI document.
//!
//! Starts the debug server on a fresh SQLite database with the demo workspace, and lets schemathesis
//! generate requests from `/openapi.json`: every operation, valid and invalid input, examples bounded
//! per operation. It fails on any 5xx, on any answer the document does not describe (status, content
//! type, headers, schema), on a 405 without `Allow`, and on schema-violating input that is accepted.
//! One 5xx is the contract: `send-test-email` answers 502 `SMTP_FAILED` when the mailbox's SMTP server
//! refuses or cannot be reached (SENDING.md section 6), and the fuzzer's mailboxes name hosts that do
//! not exist; that operation alone is not held to "no 5xx" (its 502 must still be documented).
//! Not checked: that every schema-valid request is accepted — the contract has rules the schema cannot
//! state (cross-field rules, an `Idempotency-Key` used twice), which refuse schema-valid input by design.
//!
//! `SENDLINE_FUZZ_SEED` picks the seed (default: a fixed one, so a CI run is reproducible);
//! `SENDLINE_FUZZ_EXAMPLES` the examples per operation.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::{cargo, ensure_python_package, run, workspace_root};

const DEFAULT_SEED: &str = "20261204";
const DEFAULT_EXAMPLES: &str = "40";
/// A bound no run reaches, so answers still carry the rate-limit headers the document describes.
const UNREACHED_RATE_LIMIT: &str = "1000000000";
const KEY_LINE: &str = "Workspace API key: ";
const LISTENING_LINE: &str = "Sendline listening on ";
/// The checks: all but `positive_data_acceptance` (see the module's documentation), and one
/// operation's 502 allowed. In the file, not on the command line: a `--checks` option would
/// override the operation's setting.
const SCHEMATHESIS_CONFIG: &str = r#"[checks]
positive_data_acceptance.enabled = false

[[operations]]
include-name = "POST /v1/campaigns/{campaignId}/send-test-email"
checks.not_a_server_error.enabled = false
"#;

/// Kills the server however the run ends.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn api_fuzz() -> Result<(), String> {
    ensure_python_package("schemathesis", "schemathesis>=4,<5")?;
    run(Command::new(cargo()).args(["build", "--quiet", "--locked", "--bin", "sendline"]))?;
    let root = workspace_root();
    let dir = root.join("target/api-fuzz");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|error| format!("{}: {error}", dir.display()))?;
    let log = std::fs::File::create(dir.join("server.log"))
        .map_err(|error| format!("server.log: {error}"))?;
    let database_url = format!("sqlite://{}?mode=rwc", dir.join("fuzz.db").display());
    let child = Command::new(root.join("target/debug/sendline"))
        .args(["serve", "--demo", "--bind", "127.0.0.1:0", "--database-url"])
        .arg(&database_url)
        .args(["--rate-limit", UNREACHED_RATE_LIMIT])
        .args(["--rate-limit-per-address", UNREACHED_RATE_LIMIT])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(log)
        .spawn()
        .map_err(|error| format!("could not start the server: {error}"))?;
    let mut server = Server(child);
    let (base, key) = read_base_and_key(&mut server.0)?;

    let seed = std::env::var("SENDLINE_FUZZ_SEED").unwrap_or_else(|_| DEFAULT_SEED.to_owned());
    let examples =
        std::env::var("SENDLINE_FUZZ_EXAMPLES").unwrap_or_else(|_| DEFAULT_EXAMPLES.to_owned());
    println!(
        "xtask: schemathesis against {base}/openapi.json ({examples} examples per operation, seed {seed})"
    );
    let config = dir.join("schemathesis.toml");
    std::fs::write(&config, SCHEMATHESIS_CONFIG)
        .map_err(|error| format!("{}: {error}", config.display()))?;
    let fuzzed = run(Command::new("python3")
        // Its example cache goes where it runs: keep it out of the checkout.
        .current_dir(&dir)
        .args(["-m", "schemathesis.cli", "--config-file"])
        .arg(&config)
        .arg("run")
        .arg(format!("{base}/openapi.json"))
        .args(["--header", &format!("X-Api-Key: {key}")])
        // The key comes from the header above; generated credentials would only conflict with it.
        .args(["--generation-with-security-parameters", "false"])
        .args([
            "--max-examples",
            &examples,
            "--seed",
            &seed,
            // One worker: with two, hypothesis's lambda descriptions (ast.parse on two threads)
            // sometimes fail inside CPython 3.11 ("AST constructor recursion depth mismatch").
            "--workers",
            "1",
        ])
        .args(["--no-color", "--report-dir"])
        .arg(dir.join("reports")));
    drop(server);
    fuzzed.map_err(|error| {
        format!(
            "{error}; the server's log is {}",
            dir.join("server.log").display()
        )
    })
}

/// The server's base URL and the demo workspace key, from what it prints on start. Its output is read
/// to the end on a thread of its own: a closed pipe would make the server's next line fail.
fn read_base_and_key(server: &mut Child) -> Result<(String, String), String> {
    let stdout = server
        .stdout
        .take()
        .ok_or("the server's output is not readable")?;
    let (lines, received) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            // Nobody listens once the address and key are known; keep draining.
            let _ = lines.send(line);
        }
    });
    let deadline = Instant::now() + Duration::from_secs(120);
    let (mut base, mut key) = (None, None);
    while let Ok(line) = received.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
        if let Some(rest) = line.strip_prefix(LISTENING_LINE) {
            base = rest.split_whitespace().next().map(str::to_owned);
        }
        if let Some(rest) = line.strip_prefix(KEY_LINE) {
            key = Some(rest.trim().to_owned());
        }
        if let (Some(base), Some(key)) = (&base, &key) {
            return Ok((base.clone(), key.clone()));
        }
    }
    Err("the server did not print its address and demo key".to_owned())
}

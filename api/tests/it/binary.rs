//! The `sendline` binary as a newcomer runs it (spec section 6). These run the real executable on a
//! SQLite file of their own (the command line is the same for every backend).

use std::path::PathBuf;
use std::process::Output;
use std::sync::atomic::{AtomicU32, Ordering};

use serde_json::{Value, json};

use crate::served::{Served, sendline};
use crate::support::is_object_id;

/// A SQLite file of this test's own, removed when dropped.
pub struct TempDatabase(pub PathBuf);

impl TempDatabase {
    pub fn new() -> Self {
        static SEQUENCE: AtomicU32 = AtomicU32::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|elapsed| elapsed.subsec_nanos())
            .unwrap_or(0);
        Self(std::env::temp_dir().join(format!(
            "sendline-cli-{}-{}-{nanos}.db",
            std::process::id(),
            SEQUENCE.fetch_add(1, Ordering::Relaxed)
        )))
    }

    pub fn url(&self) -> String {
        format!("sqlite://{}?mode=rwc", self.0.display())
    }
}

impl Drop for TempDatabase {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm", ".demo-key", ".secret-key"] {
            let mut file = self.0.clone().into_os_string();
            file.push(suffix);
            let _ = std::fs::remove_file(file);
        }
    }
}

fn run(args: &[&str]) -> Output {
    sendline(args).output().expect("sendline runs")
}

#[test]
fn openapi_prints_the_committed_document() {
    let output = run(&["openapi"]);
    assert!(output.status.success());
    let printed = String::from_utf8(output.stdout).expect("UTF-8");
    assert_eq!(printed, api::openapi::openapi_json());
}

#[test]
fn init_prints_one_json_object_with_the_keys_and_refuses_a_second_user_with_the_address() {
    let database = TempDatabase::new();
    let url = database.url();
    let output = run(&[
        "init",
        "--email",
        "founder@example.com",
        "--workspace",
        "Acme",
        "--database-url",
        &url,
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8(output.stdout).expect("UTF-8");
    let printed: Value = serde_json::from_str(stdout.trim()).expect("one JSON object");
    let object = printed.as_object().expect("an object");
    let mut keys: Vec<&str> = object.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        ["platformKey", "userId", "workspaceId", "workspaceKey"]
    );
    assert!(is_object_id(printed["userId"].as_str().unwrap_or_default()));
    assert!(is_object_id(
        printed["workspaceId"].as_str().unwrap_or_default()
    ));
    assert!(
        printed["platformKey"]
            .as_str()
            .is_some_and(|key| key.starts_with("sk_user_") && key.len() == 56)
    );
    assert!(
        printed["workspaceKey"]
            .as_str()
            .is_some_and(|key| key.starts_with("sk_") && key.len() == 51)
    );

    let again = run(&[
        "init",
        "--email",
        "FOUNDER@example.com",
        "--database-url",
        &url,
    ]);
    assert!(!again.status.success());
    assert!(again.stdout.is_empty());
    assert!(String::from_utf8_lossy(&again.stderr).contains("exists already"));
}

#[test]
fn init_names_the_flag_that_is_wrong() {
    let database = TempDatabase::new();
    let output = run(&[
        "init",
        "--email",
        "not an address",
        "--database-url",
        &database.url(),
    ]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--email: "), "{stderr}");
    assert!(!stderr.contains("request body"), "{stderr}");
}

#[test]
fn serve_refuses_to_start_with_a_trusted_proxy_that_is_not_a_range() {
    let database = TempDatabase::new();
    let output = sendline(&["serve", "--database-url", &database.url()])
        .env("SENDLINE_TRUSTED_PROXIES", "10.0.0.0/8,10.0.0.300/32")
        .output()
        .expect("sendline runs");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("`10.0.0.300/32` is not an IP address or a CIDR range"),
        "{stderr}"
    );
}

#[test]
fn the_openapi_subcommand_is_hidden_from_help() {
    let output = run(&["--help"]);
    let help = String::from_utf8_lossy(&output.stdout);
    for shown in ["serve", "init", "migrate"] {
        assert!(help.contains(shown), "{help}");
    }
    assert!(!help.contains("openapi"), "{help}");
}

#[test]
fn migrate_runs_the_migrations_and_is_idempotent() {
    let database = TempDatabase::new();
    let url = database.url();
    for _ in 0..2 {
        let output = run(&["migrate", "--database-url", &url]);
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    assert!(database.0.exists());
}

#[tokio::test]
async fn serve_demo_prints_a_key_and_a_hint_that_works_and_stops_cleanly_on_sigterm() {
    let database = TempDatabase::new();
    let (mut served, base, key) = serve_demo(&database.url());
    assert!(base.starts_with("http://127.0.0.1:"), "{base}");
    assert!(key.starts_with("sk_"), "{key}");
    let hint = served.line_after("  curl ");
    assert!(
        hint.contains(&key) && hint.contains(&format!("{base}/v1/campaigns")),
        "{hint}"
    );

    // What the hint sends.
    let client = reqwest::Client::new();
    let response = client
        .post(format!("{base}/v1/campaigns"))
        .header("Content-Type", "application/json")
        .header("X-Api-Key", &key)
        .body(
            json!({"name": "My first campaign", "mailboxTags": ["outreach"],
                   "sequence": [{"type": "email", "subject": "Hi {{firstName}}", "body": "Quick question about {{companyName}}."}]})
            .to_string(),
        )
        .send()
        .await
        .expect("the server answers");
    assert_eq!(response.status().as_u16(), 201);
    let created: Value = response.json().await.expect("JSON");
    assert_eq!(
        created["data"]["mailboxCount"], 3,
        "the demo's three outreach mailboxes"
    );
    let docs = client
        .get(format!("{base}/docs"))
        .send()
        .await
        .expect("docs");
    assert_eq!(docs.status().as_u16(), 200);

    let status = served.terminate();
    assert!(status.success(), "{status:?}");
}

/// `serve --demo` on `url`, with its base URL and the key it printed.
fn serve_demo(url: &str) -> (Served, String, String) {
    let served = Served::start(
        "  curl ",
        &[
            "serve",
            "--demo",
            "--bind",
            "127.0.0.1:0",
            "--database-url",
            url,
        ],
    );
    let (base, key) = (served.base(), served.line_after("Workspace API key: "));
    (served, base, key)
}

#[tokio::test]
async fn serve_demo_prints_the_same_key_after_a_restart_and_it_still_authenticates() {
    let database = TempDatabase::new();
    let url = database.url();
    let (mut first, base, key) = serve_demo(&url);
    assert!(key.starts_with("sk_"), "{key}");
    first.line_after("(a new key, kept in ");
    assert_eq!(list_campaigns(&base, &key).await, 200);
    assert!(first.terminate().success());

    let (mut second, base, again) = serve_demo(&url);
    assert_eq!(again, key, "a restart prints the key of the first start");
    second.line_after("(the same key as before: kept in ");
    assert_eq!(list_campaigns(&base, &key).await, 200);

    let mut file = database.0.clone().into_os_string();
    file.push(".demo-key");
    let saved = std::fs::read_to_string(&file).expect("the key is kept beside the database");
    assert_eq!(saved.trim(), key);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&file)
            .expect("the file")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    }
    assert!(second.terminate().success());
}

/// The status of `GET /v1/campaigns` with `key`.
async fn list_campaigns(base: &str, key: &str) -> u16 {
    reqwest::Client::new()
        .get(format!("{base}/v1/campaigns"))
        .header("X-Api-Key", key)
        .send()
        .await
        .expect("the server answers")
        .status()
        .as_u16()
}

/// What `serve extra…` on a fresh database logs to stderr, a pipe, while it answers one request.
async fn logs_of_serve(extra: &[&str]) -> String {
    let database = TempDatabase::new();
    let url = database.url();
    let args = [
        &["serve", "--bind", "127.0.0.1:0", "--database-url", &url][..],
        extra,
    ]
    .concat();
    let mut served = Served::start_logging("Sendline listening on ", &args);
    let health = reqwest::get(format!("{}/healthz", served.base()))
        .await
        .expect("the server answers");
    assert_eq!(health.status().as_u16(), 200);
    served.terminate_for_logs()
}

#[tokio::test]
async fn logs_written_to_a_pipe_carry_no_colour_codes() {
    let logs = logs_of_serve(&[]).await;
    assert!(logs.contains("request finished"), "{logs}");
    assert!(!logs.contains("\x1b["), "{logs:?}");
}

/// Every line of `logs` as JSON, each with a level and a timestamp.
fn json_lines(logs: &str) -> Vec<Value> {
    logs.lines()
        .map(|line| {
            let parsed: Value = serde_json::from_str(line)
                .unwrap_or_else(|error| panic!("not JSON ({error}): {line}"));
            assert!(parsed["level"].is_string(), "{line}");
            assert!(parsed["timestamp"].is_string(), "{line}");
            parsed
        })
        .collect()
}

#[tokio::test]
async fn json_logs_are_one_object_per_line() {
    let logs = logs_of_serve(&["--log-format", "json"]).await;
    assert!(!logs.contains("\x1b["), "{logs:?}");
    let lines = json_lines(&logs);
    assert!(
        lines
            .iter()
            .any(|line| line["fields"]["message"] == "request finished"
                && line["span"]["request_id"].is_string()),
        "{logs}"
    );
}

#[test]
fn the_log_format_may_come_from_the_environment() {
    let database = TempDatabase::new();
    let output = sendline(&["migrate", "--database-url", &database.url()])
        .env("SENDLINE_LOG_FORMAT", "json")
        .env("RUST_LOG", "info")
        .output()
        .expect("sendline runs");
    assert!(output.status.success());
    let logs = String::from_utf8(output.stderr).expect("UTF-8");
    assert!(!json_lines(&logs).is_empty(), "{logs}");
}

/// Rule: a server whose stdout is closed (`sendline serve --demo | head -1`) keeps serving; its
/// start-up lines are a courtesy, and writing them into a closed pipe must not stop it.
#[tokio::test]
async fn serve_keeps_serving_when_its_stdout_is_closed() {
    let database = TempDatabase::new();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port();
    let bind = format!("127.0.0.1:{port}");
    let mut child = sendline(&[
        "serve",
        "--demo",
        "--bind",
        &bind,
        "--database-url",
        &database.url(),
    ])
    .stdout(std::process::Stdio::piped())
    .stderr(std::process::Stdio::null())
    .spawn()
    .expect("sendline starts");
    // Closed before the server writes its first line.
    drop(child.stdout.take());
    let mut served = Served::adopt(child);

    // Connections are only accepted once every start-up line has been written, so a health check
    // that answers proves the server wrote them all and went on.
    let client = reqwest::Client::new();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        if let Ok(Some(status)) = served.child.try_wait() {
            panic!("the server stopped: {status:?}");
        }
        let health = client.get(format!("http://{bind}/healthz")).send().await;
        if health.is_ok_and(|response| response.status().is_success()) {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the server never answered"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let status = served.terminate();
    assert!(status.success(), "{status:?}");
}

#[test]
fn serve_on_sqlite_keeps_a_private_secret_key_beside_the_database_and_refuses_another_key() {
    let database = TempDatabase::new();
    let url = database.url();
    let mut first = Served::start_without_secret_key(
        "Sendline listening on ",
        &["serve", "--bind", "127.0.0.1:0", "--database-url", &url],
    );
    first.terminate();
    let mut key_file = database.0.clone().into_os_string();
    key_file.push(".secret-key");
    let key = std::fs::read_to_string(&key_file).expect("the key file");
    assert_eq!(key.trim().len(), 64, "32 bytes in hex");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&key_file)
            .expect("the key file")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let wrong = "0f".repeat(32);
    let refused = sendline(&["serve", "--bind", "127.0.0.1:0", "--database-url", &url])
        .env("SENDLINE_SECRET_KEY", &wrong)
        .output()
        .expect("sendline runs");
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("SENDLINE_SECRET_KEY"), "{stderr}");
    assert!(
        !stderr.contains(&wrong) && !stderr.contains(key.trim()),
        "{stderr}"
    );
}

#[test]
fn serve_on_postgresql_refuses_to_start_without_a_secret_key() {
    let refused = sendline(&[
        "serve",
        "--database-url",
        "postgres://nobody@127.0.0.1:1/none",
    ])
    .env_remove("SENDLINE_SECRET_KEY")
    .output()
    .expect("sendline runs");
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("SENDLINE_SECRET_KEY is required with PostgreSQL"),
        "{stderr}"
    );
}

//! The `sendline` binary run as a child process, for the tests that need the real executable.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const SENDLINE: &str = env!("CARGO_BIN_EXE_sendline");

/// `sendline args`, with none of the environment that would change what it does, in the temporary
/// directory (where `serve --demo` on PostgreSQL keeps its key file, out of the checkout).
pub fn sendline(args: &[&str]) -> Command {
    let mut command = Command::new(SENDLINE);
    command
        .args(args)
        .current_dir(std::env::temp_dir())
        .env_remove("DATABASE_URL")
        .env_remove("SENDLINE_BIND")
        .env_remove("SENDLINE_ALLOW_PRIVATE_WEBHOOKS")
        // PostgreSQL servers need the key that seals credentials; every test database is new.
        .env("SENDLINE_SECRET_KEY", TEST_SECRET_KEY)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null());
    command
}

/// The secret key of the servers the tests start (64 hex digits).
pub const TEST_SECRET_KEY: &str =
    "5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e";

/// A running `sendline serve`, stopped with SIGTERM when dropped.
pub struct Served {
    pub child: Child,
    lines: Vec<String>,
    /// What it writes to stderr, read through a pipe, when started with [`Served::start_logging`].
    logs: Option<std::thread::JoinHandle<String>>,
}

impl Served {
    /// Starts `sendline args` and reads its output up to the first line starting with `ready`.
    pub fn start(ready: &str, args: &[&str]) -> Self {
        Self::spawn(ready, sendline(args).stderr(Stdio::null()))
    }

    /// Like [`Served::start`], with `RUST_LOG=info` and its logs read through a pipe: see
    /// [`Served::terminate_for_logs`].
    pub fn start_logging(ready: &str, args: &[&str]) -> Self {
        let mut served = Self::spawn(
            ready,
            sendline(args)
                .env("RUST_LOG", "info")
                .stderr(Stdio::piped()),
        );
        let mut stderr = served.child.stderr.take().expect("stderr");
        served.logs = Some(std::thread::spawn(move || {
            let mut logs = String::new();
            let _ = std::io::Read::read_to_string(&mut stderr, &mut logs);
            logs
        }));
        served
    }

    /// Like [`Served::start`], without `SENDLINE_SECRET_KEY`: a SQLite server keeps its own key file.
    pub fn start_without_secret_key(ready: &str, args: &[&str]) -> Self {
        Self::spawn(
            ready,
            sendline(args)
                .env_remove("SENDLINE_SECRET_KEY")
                .stderr(Stdio::null()),
        )
    }

    /// A child started by the test itself, to be stopped like any other.
    pub fn adopt(child: Child) -> Self {
        Self {
            child,
            lines: Vec::new(),
            logs: None,
        }
    }

    fn spawn(ready: &str, command: &mut Command) -> Self {
        let mut child = command
            .stdout(Stdio::piped())
            .spawn()
            .expect("sendline starts");
        let stdout = child.stdout.take().expect("stdout");
        let (sender, receiver) = std::sync::mpsc::channel();
        // Reads to the end, even once nobody listens: a closed pipe would make the server's next
        // `println!` (the demo's lines, after the listening line) panic, and kill it mid-test.
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = sender.send(line);
            }
        });
        let mut lines = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(30);
        while !lines.iter().any(|line: &String| line.starts_with(ready)) {
            let left = deadline.saturating_duration_since(Instant::now());
            match receiver.recv_timeout(left) {
                Ok(line) => lines.push(line),
                Err(_) => panic!("sendline did not print {ready:?}: {lines:?}"),
            }
        }
        Self {
            child,
            lines,
            logs: None,
        }
    }

    /// The base URL it printed as listening on (`http://127.0.0.1:PORT`, or `https://…`).
    pub fn base(&self) -> String {
        self.line_after("Sendline listening on ")
            .split_whitespace()
            .next()
            .expect("the address")
            .to_owned()
    }

    pub fn line_after(&self, prefix: &str) -> String {
        self.lines
            .iter()
            .find_map(|line| line.split_once(prefix).map(|(_, rest)| rest.to_owned()))
            .unwrap_or_else(|| panic!("no line with {prefix:?} in {:?}", self.lines))
    }

    pub fn terminate(&mut self) -> std::process::ExitStatus {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "sendline did not stop on SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Stops it with SIGTERM and answers everything it logged (started with
    /// [`Served::start_logging`]).
    pub fn terminate_for_logs(&mut self) -> String {
        let status = self.terminate();
        assert!(status.success(), "{status:?}");
        self.logs
            .take()
            .expect("started with start_logging")
            .join()
            .expect("the log reader")
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

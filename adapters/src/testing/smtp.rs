//! A real SMTP server for tests: `tests/smtp_sink.py` (aiosmtpd) as a child process, and what it
//! received, read back from its directory (SENDING.md section 8: assert on what the server received).
//!
//! aiosmtpd comes from Debian's `python3-aiosmtpd` (`.ci/run` installs it). The interpreter is
//! `SENDLINE_TEST_PYTHON` when set, else the first of `python3` and `/usr/bin/python3` that can import
//! aiosmtpd (a pyenv `python3` on the PATH does not see Debian's packages). Without one, starting a
//! sink fails with a message saying what to install — the tests never skip silently.

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;

use anyhow::{Context as _, bail};

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/smtp_sink.py");
const PYTHON_VARIABLE: &str = "SENDLINE_TEST_PYTHON";

/// How the sink should behave.
#[derive(Debug, Clone)]
pub struct SmtpSinkOptions {
    /// The address to listen on: loopback unless a test needs another.
    pub host: String,
    /// Require AUTH (PLAIN or LOGIN) with this username and password, over plain text.
    pub login: Option<(String, String)>,
    /// Answer this code (e.g. 550, 451) to `RCPT TO` of this address.
    pub reject_recipients: Vec<(String, u16)>,
    /// Close the connection after receiving a message's data, without replying.
    pub drop_after_data: bool,
    /// Offer STARTTLS with a fresh self-signed certificate (which no client should trust).
    pub starttls_self_signed: bool,
    /// Wait this long after storing a message's data before replying: a sender killed meanwhile
    /// never hears that the message arrived.
    pub reply_delay: Option<std::time::Duration>,
}

impl Default for SmtpSinkOptions {
    fn default() -> Self {
        SmtpSinkOptions {
            host: "127.0.0.1".to_owned(),
            login: None,
            reject_recipients: Vec::new(),
            drop_after_data: false,
            starttls_self_signed: false,
            reply_delay: None,
        }
    }
}

/// A running sink; killed, and its directory removed, on drop.
#[derive(Debug)]
pub struct SmtpSink {
    child: Child,
    host: String,
    port: u16,
    directory: PathBuf,
}

/// One message as the sink received it.
#[derive(Debug, Clone)]
pub struct ReceivedMessage {
    /// `MAIL FROM`.
    pub mail_from: String,
    /// Every accepted `RCPT TO`, in order.
    pub recipients: Vec<String>,
    /// The data exactly as received (CRLF line ends, dot-unstuffed).
    pub data: Vec<u8>,
}

impl ReceivedMessage {
    /// The data as text (lossy outside UTF-8).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.data).into_owned()
    }

    /// The header section's fields, unfolded, as (name, value) in order; a line that is neither a
    /// field nor a continuation shows as a name of its own with an empty value, so a test sees it.
    pub fn headers(&self) -> Vec<(String, String)> {
        let text = self.text();
        let header_section = text.split("\r\n\r\n").next().unwrap_or_default();
        let mut fields: Vec<(String, String)> = Vec::new();
        for line in header_section.split("\r\n") {
            if line.starts_with([' ', '\t'])
                && let Some((_, value)) = fields.last_mut()
            {
                value.push_str(line);
                continue;
            }
            match line.split_once(':') {
                Some((name, value)) => fields.push((name.to_owned(), value.trim().to_owned())),
                None => fields.push((line.to_owned(), String::new())),
            }
        }
        fields
    }

    /// The values of every field named `name` (ignoring case).
    pub fn header_values(&self, name: &str) -> Vec<String> {
        self.headers()
            .into_iter()
            .filter(|(field, _)| field.eq_ignore_ascii_case(name))
            .map(|(_, value)| value)
            .collect()
    }

    /// The value of the one field named `name`, if there is exactly one.
    pub fn header(&self, name: &str) -> Option<String> {
        match self.header_values(name).as_slice() {
            [value] => Some(value.clone()),
            _ => None,
        }
    }
}

impl SmtpSink {
    /// A sink on 127.0.0.1 that accepts everything.
    pub fn start() -> anyhow::Result<SmtpSink> {
        SmtpSink::start_with(SmtpSinkOptions::default())
    }

    /// A sink behaving as `options` say; returns once it accepts connections.
    pub fn start_with(options: SmtpSinkOptions) -> anyhow::Result<SmtpSink> {
        let python = python_with_aiosmtpd()?;
        let directory =
            std::env::temp_dir().join(format!("sendline-smtp-{}", super::unique_name()));
        std::fs::create_dir_all(&directory)
            .with_context(|| format!("creating {}", directory.display()))?;
        let log = std::fs::File::create(directory.join("sink.log"))?;

        let mut command = Command::new(python);
        command
            .arg(SCRIPT)
            .arg("--directory")
            .arg(&directory)
            .arg("--host")
            .arg(&options.host);
        if let Some((username, password)) = &options.login {
            command
                .args(["--username", username])
                .args(["--password", password]);
        }
        for (address, code) in &options.reject_recipients {
            command.args(["--reject-rcpt", address, &code.to_string()]);
        }
        if options.drop_after_data {
            command.arg("--drop-after-data");
        }
        if options.starttls_self_signed {
            command.arg("--starttls-self-signed");
        }
        if let Some(delay) = options.reply_delay {
            command.args(["--reply-delay-ms", &delay.as_millis().to_string()]);
        }
        // stdin stays open as long as the child handle lives: the sink exits when it closes.
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .with_context(|| format!("starting {SCRIPT}"))?;

        let mut first_line = String::new();
        if let Some(stdout) = child.stdout.take() {
            BufReader::new(stdout).read_line(&mut first_line)?;
        }
        let mut sink = SmtpSink {
            child,
            host: options.host,
            port: 0,
            directory,
        };
        match first_line.trim().parse() {
            Ok(port) => sink.port = port,
            Err(_) => bail!(
                "the SMTP sink did not start (first line {first_line:?}); its log:\n{}",
                std::fs::read_to_string(sink.directory.join("sink.log")).unwrap_or_default()
            ),
        }
        Ok(sink)
    }

    pub fn host(&self) -> &str {
        &self.host
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Every message received so far, in arrival order.
    pub fn received(&self) -> anyhow::Result<Vec<ReceivedMessage>> {
        let mut envelopes: Vec<PathBuf> = std::fs::read_dir(&self.directory)?
            .filter_map(|entry| entry.ok().map(|entry| entry.path()))
            .filter(|path| {
                path.extension()
                    .is_some_and(|extension| extension == "json")
            })
            .collect();
        envelopes.sort();
        envelopes.iter().map(|path| read_message(path)).collect()
    }

    /// The usernames of every AUTH attempt so far.
    pub fn auth_attempts(&self) -> anyhow::Result<Vec<String>> {
        self.lines_of("auth-attempts")
    }

    /// The name every EHLO so far greeted with: one per connection (and one more after STARTTLS).
    pub fn greetings(&self) -> anyhow::Result<Vec<String>> {
        self.lines_of("greetings")
    }

    fn lines_of(&self, file: &str) -> anyhow::Result<Vec<String>> {
        match std::fs::read_to_string(self.directory.join(file)) {
            Ok(text) => Ok(text.lines().map(str::to_owned).collect()),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
            Err(error) => Err(error.into()),
        }
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.directory);
    }
}

fn read_message(envelope_path: &Path) -> anyhow::Result<ReceivedMessage> {
    let envelope: serde_json::Value = serde_json::from_slice(&std::fs::read(envelope_path)?)?;
    let data = std::fs::read(envelope_path.with_extension("eml"))?;
    let text = |value: &serde_json::Value| value.as_str().unwrap_or_default().to_owned();
    Ok(ReceivedMessage {
        mail_from: text(&envelope["mail_from"]),
        recipients: envelope["rcpt_tos"]
            .as_array()
            .map(|recipients| recipients.iter().map(text).collect())
            .unwrap_or_default(),
        data,
    })
}

/// The interpreter that runs the sink, found once per test process.
fn python_with_aiosmtpd() -> anyhow::Result<String> {
    static FOUND: OnceLock<Option<String>> = OnceLock::new();
    let found = FOUND.get_or_init(|| {
        let candidates = match std::env::var(PYTHON_VARIABLE) {
            Ok(python) if !python.trim().is_empty() => vec![python],
            _ => vec!["python3".to_owned(), "/usr/bin/python3".to_owned()],
        };
        candidates.into_iter().find(|python| {
            Command::new(python)
                .args(["-c", "import aiosmtpd"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|status| status.success())
        })
    });
    found.clone().with_context(|| {
        format!(
            "no Python with aiosmtpd for the SMTP tests: install Debian's python3-aiosmtpd \
             (`apt-get install -y python3-aiosmtpd`, as .ci/run does) or point {PYTHON_VARIABLE} \
             at an interpreter that has it"
        )
    })
}

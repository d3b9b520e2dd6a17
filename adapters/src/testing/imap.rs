//! A real IMAP server for tests: Debian's dovecot (`dovecot-imapd`, which `.ci/run` installs) run
//! in the foreground from a configuration of its own in a temporary directory, and helpers that put
//! messages into an INBOX (IMAP `APPEND`) and read their flags back (SENDING.md section 8: assert on
//! what the server holds).
//!
//! Everything dovecot writes stays in that directory: its configuration, runtime sockets
//! (`base_dir`), state, log, password file, self-signed certificate and each user's maildir. It
//! listens on 127.0.0.1 only, on two free ports: plain text with STARTTLS, and implicit TLS.
//!
//! As root (CI), dovecot runs its services as the `dovecot` and `dovenull` users its package
//! creates, and the mail belongs to `dovecot` (dovecot refuses mail owned by root); otherwise
//! everything runs as the current user. Without `/usr/sbin/dovecot`, starting fails with a message
//! saying what to install: the tests never skip silently.

use std::os::unix::fs::MetadataExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail, ensure};
use async_imap::types::Flag;
use async_imap::{Client, Session};
use futures_util::StreamExt as _;

const DOVECOT: &str = "/usr/sbin/dovecot";
/// How long dovecot may take to listen, and to stop.
const STARTUP: Duration = Duration::from_secs(10);

/// The test user every server has.
pub const USER: &str = "ada";
/// [`USER`]'s password.
pub const PASSWORD: &str = "right horse";

/// A running dovecot; stopped, and its directory removed, on drop.
#[derive(Debug)]
pub struct ImapServer {
    child: Child,
    directory: PathBuf,
    port: u16,
    tls_port: u16,
    certificate: Vec<u8>,
    users: Vec<(String, String)>,
}

/// One message's UID and flags (`\Seen`, `\Flagged`…), as the server holds them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredFlags {
    pub uid: u32,
    pub flags: Vec<String>,
}

/// Who runs dovecot's services and owns the mail.
struct Accounts {
    internal_user: String,
    login_user: String,
    mail_uid: u32,
    mail_gid: u32,
}

impl ImapServer {
    /// A server with the one user [`USER`] / [`PASSWORD`].
    pub fn start() -> anyhow::Result<ImapServer> {
        ImapServer::start_with_users(&[(USER, PASSWORD)])
    }

    /// A server with these users and passwords; returns once both ports accept connections.
    pub fn start_with_users(users: &[(&str, &str)]) -> anyhow::Result<ImapServer> {
        ensure!(
            Path::new(DOVECOT).exists(),
            "no {DOVECOT} for the IMAP tests: install Debian's dovecot-imapd \
             (`apt-get install -y dovecot-imapd`, as .ci/run does)"
        );
        let mut last_failure = None;
        // Free ports are found by binding and letting go: another process may take one in between,
        // so a start that failed on its address is tried again on new ports.
        for _ in 0..3 {
            match ImapServer::start_once(users) {
                Ok(server) => return Ok(server),
                Err(error) if format!("{error:#}").contains("Address already in use") => {
                    last_failure = Some(error);
                }
                Err(error) => return Err(error),
            }
        }
        Err(last_failure.unwrap_or_else(|| anyhow::anyhow!("dovecot did not start")))
    }

    fn start_once(users: &[(&str, &str)]) -> anyhow::Result<ImapServer> {
        let directory =
            std::env::temp_dir().join(format!("sendline-imap-{}", super::unique_name()));
        let home = directory.join("home");
        for path in [
            &directory,
            &directory.join("run"),
            &directory.join("state"),
            &home,
        ] {
            std::fs::create_dir_all(path)
                .with_context(|| format!("creating {}", path.display()))?;
        }
        let accounts = accounts()?;
        std::os::unix::fs::chown(&home, Some(accounts.mail_uid), Some(accounts.mail_gid))
            .with_context(|| format!("giving {} to the mail user", home.display()))?;
        let certificate = self_signed_certificate(&directory)?;

        let mut passwd = String::new();
        for (user, password) in users {
            ensure!(
                !format!("{user}{password}").contains([':', '\n']),
                "a test user or password with ':' or a line break: {user:?}"
            );
            passwd.push_str(&format!(
                "{user}:{{PLAIN}}{password}:{}:{}::{}::\n",
                accounts.mail_uid,
                accounts.mail_gid,
                home.join(user).display()
            ));
        }
        std::fs::write(directory.join("passwd"), passwd)?;

        let (port, tls_port) = (super::free_port()?, super::free_port()?);
        let config = directory.join("dovecot.conf");
        std::fs::write(
            &config,
            configuration(&directory, &accounts, port, tls_port),
        )?;
        let child = Command::new(DOVECOT)
            .arg("-F")
            .arg("-c")
            .arg(&config)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(directory.join("stderr.log"))?)
            .spawn()
            .with_context(|| format!("starting {DOVECOT}"))?;
        let mut server = ImapServer {
            child,
            directory,
            port,
            tls_port,
            certificate,
            users: users
                .iter()
                .map(|(user, password)| ((*user).to_owned(), (*password).to_owned()))
                .collect(),
        };
        server.wait_until_listening()?;
        Ok(server)
    }

    fn wait_until_listening(&mut self) -> anyhow::Result<()> {
        let directory = self.directory.clone();
        super::wait_until_listening(
            &mut self.child,
            &[self.port, self.tls_port],
            "dovecot",
            STARTUP,
            || logs_in(&directory),
        )
    }

    /// What dovecot wrote to its log and its standard error.
    pub fn logs(&self) -> String {
        logs_in(&self.directory)
    }

    pub fn host(&self) -> &str {
        "127.0.0.1"
    }

    /// Plain text, with STARTTLS offered.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// TLS from the first byte.
    pub fn tls_port(&self) -> u16 {
        self.tls_port
    }

    /// The server's self-signed certificate (DER), valid for `localhost` and `127.0.0.1`: what a
    /// client must trust to talk TLS to it.
    pub fn certificate(&self) -> &[u8] {
        &self.certificate
    }

    /// Appends `raw` (RFC 5322 bytes) to `user`'s INBOX with IMAP `APPEND`, with `flags` such as
    /// `(\Seen)`.
    pub async fn append_with_flags(
        &self,
        user: &str,
        raw: &[u8],
        flags: Option<&str>,
    ) -> anyhow::Result<()> {
        let mut session = self.login(user).await?;
        session
            .append("INBOX", flags, None, raw)
            .await
            .context("APPEND to INBOX")?;
        session.logout().await?;
        Ok(())
    }

    /// Appends `raw` (RFC 5322 bytes) to `user`'s INBOX with IMAP `APPEND`, without flags.
    pub async fn append(&self, user: &str, raw: &[u8]) -> anyhow::Result<()> {
        self.append_with_flags(user, raw, None).await
    }

    /// Every message of `user`'s INBOX with its flags, in UID order (read with `EXAMINE`, which
    /// changes nothing). `\Recent` is left out: it depends on which session looks first.
    pub async fn flags(&self, user: &str) -> anyhow::Result<Vec<StoredFlags>> {
        let mut session = self.login(user).await?;
        let inbox = session.examine("INBOX").await?;
        let mut stored = Vec::new();
        if inbox.exists > 0 {
            let mut fetches = session.fetch("1:*", "(UID FLAGS)").await?;
            while let Some(fetch) = fetches.next().await {
                let fetch = fetch?;
                stored.push(StoredFlags {
                    uid: fetch.uid.context("a FETCH without UID")?,
                    flags: fetch.flags().filter_map(|flag| flag_name(&flag)).collect(),
                });
            }
        }
        session.logout().await?;
        stored.sort_by_key(|message| message.uid);
        Ok(stored)
    }

    /// Deletes the message `uid` of `user`'s INBOX (`\Deleted`, then `EXPUNGE`), as a person
    /// deleting it in a mail client would.
    pub async fn delete(&self, user: &str, uid: u32) -> anyhow::Result<()> {
        let mut session = self.login(user).await?;
        session.select("INBOX").await?;
        {
            let mut updates = session
                .uid_store(uid.to_string(), "+FLAGS.SILENT (\\Deleted)")
                .await?;
            while let Some(update) = updates.next().await {
                update?;
            }
        }
        {
            let expunged = session.expunge().await?;
            futures_util::pin_mut!(expunged);
            while let Some(sequence) = expunged.next().await {
                sequence?;
            }
        }
        session.logout().await?;
        Ok(())
    }

    /// `user`'s INBOX's current `UIDVALIDITY`.
    pub async fn uid_validity(&self, user: &str) -> anyhow::Result<u32> {
        let mut session = self.login(user).await?;
        let inbox = session.examine("INBOX").await?;
        session.logout().await?;
        inbox.uid_validity.context("EXAMINE without UIDVALIDITY")
    }

    /// Deletes `user`'s mail and lets dovecot create a fresh INBOX: its UIDs start again under a
    /// new `UIDVALIDITY` (IMAP cannot delete an INBOX, hence the maildir). Returns the new one.
    pub async fn recreate_inbox(&self, user: &str) -> anyhow::Result<u32> {
        let before = self.uid_validity(user).await?;
        // dovecot takes a new mailbox's UIDVALIDITY from the clock in seconds: within the same
        // second it could be the old one again.
        for _ in 0..3 {
            let maildir = self.directory.join("home").join(user).join("Maildir");
            std::fs::remove_dir_all(&maildir)
                .with_context(|| format!("removing {}", maildir.display()))?;
            let after = self.uid_validity(user).await?;
            if after != before {
                return Ok(after);
            }
            tokio::time::sleep(Duration::from_millis(1_100)).await;
        }
        bail!("the recreated INBOX kept UIDVALIDITY {before}")
    }

    /// Logs `user` in over plain text (loopback, where dovecot allows it).
    async fn login(&self, user: &str) -> anyhow::Result<Session<tokio::net::TcpStream>> {
        let password = self
            .users
            .iter()
            .find(|(name, _)| name == user)
            .map(|(_, password)| password.clone())
            .with_context(|| format!("no test user {user}"))?;
        let tcp = tokio::net::TcpStream::connect((self.host(), self.port)).await?;
        let mut client = Client::new(tcp);
        client
            .read_response()
            .await?
            .context("dovecot closed before its greeting")?;
        client
            .login(user, password)
            .await
            .map_err(|(error, _)| error)
            .with_context(|| format!("logging {user} in to the test server"))
    }
}

/// What dovecot wrote, in its `directory`, to its log and its standard error.
fn logs_in(directory: &Path) -> String {
    ["stderr.log", "dovecot.log"]
        .iter()
        .map(|file| std::fs::read_to_string(directory.join(file)).unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n")
}

impl Drop for ImapServer {
    fn drop(&mut self) {
        // SIGTERM lets dovecot's master stop its services; SIGKILL only if it does not.
        let stopped = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .is_ok_and(|status| status.success());
        let deadline = Instant::now() + STARTUP;
        while stopped && Instant::now() < deadline {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.directory);
    }
}

fn configuration(directory: &Path, accounts: &Accounts, port: u16, tls_port: u16) -> String {
    let directory = directory.display();
    let Accounts {
        internal_user,
        login_user,
        mail_uid,
        ..
    } = accounts;
    // No `!include` of /etc/dovecot: this file is the whole configuration.
    format!(
        r#"base_dir = {directory}/run
state_dir = {directory}/state
log_path = {directory}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_cert = <{directory}/cert.pem
ssl_key = <{directory}/key.pem
# Plain-text LOGIN is allowed (the adapter's loopback rule is under test, not dovecot's).
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
default_internal_user = {internal_user}
default_login_user = {login_user}
first_valid_uid = {mail_uid}
last_valid_uid = {mail_uid}
mail_location = maildir:~/Maildir
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {directory}/passwd
}}
userdb {{
  driver = passwd-file
  args = {directory}/passwd
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {tls_port}
    ssl = yes
  }}
}}
"#
    )
}

fn accounts() -> anyhow::Result<Accounts> {
    let root = std::fs::metadata("/proc/self")
        .context("reading /proc/self")?
        .uid()
        == 0;
    if root {
        Ok(Accounts {
            internal_user: "dovecot".to_owned(),
            login_user: "dovenull".to_owned(),
            mail_uid: id(&["-u", "dovecot"])?.parse()?,
            mail_gid: id(&["-g", "dovecot"])?.parse()?,
        })
    } else {
        let user = id(&["-un"])?;
        Ok(Accounts {
            internal_user: user.clone(),
            login_user: user,
            mail_uid: id(&["-u"])?.parse()?,
            mail_gid: id(&["-g"])?.parse()?,
        })
    }
}

/// `id` with `arguments`, its one line of output.
fn id(arguments: &[&str]) -> anyhow::Result<String> {
    let output = Command::new("id").args(arguments).output()?;
    ensure!(
        output.status.success(),
        "id {arguments:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    Ok(String::from_utf8(output.stdout)?.trim().to_owned())
}

/// Writes `cert.pem` and `key.pem` into `directory` and returns the certificate as DER.
fn self_signed_certificate(directory: &Path) -> anyhow::Result<Vec<u8>> {
    let status = Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
        ])
        .args(["-subj", "/CN=localhost"])
        .args(["-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"])
        // Its own root and a server certificate at once: webpki refuses a CA as the end entity.
        .args(["-addext", "basicConstraints=critical,CA:FALSE"])
        .args(["-addext", "extendedKeyUsage=serverAuth"])
        .arg("-keyout")
        .arg(directory.join("key.pem"))
        .arg("-out")
        .arg(directory.join("cert.pem"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .context("running openssl for the test server's certificate")?;
    ensure!(status.success(), "openssl req failed: {status}");
    let der = Command::new("openssl")
        .args(["x509", "-outform", "DER", "-in"])
        .arg(directory.join("cert.pem"))
        .output()?;
    ensure!(der.status.success(), "openssl x509 failed: {}", der.status);
    Ok(der.stdout)
}

/// A flag as IMAP writes it (`\Seen`), or `None` for `\Recent`.
fn flag_name(flag: &Flag<'_>) -> Option<String> {
    Some(match flag {
        Flag::Seen => "\\Seen".to_owned(),
        Flag::Answered => "\\Answered".to_owned(),
        Flag::Flagged => "\\Flagged".to_owned(),
        Flag::Deleted => "\\Deleted".to_owned(),
        Flag::Draft => "\\Draft".to_owned(),
        Flag::Recent => return None,
        Flag::MayCreate => "\\*".to_owned(),
        Flag::Custom(name) => name.to_string(),
    })
}

//! A real DNS server for tests: Debian's dnsmasq (`dnsmasq-base`, which `.ci/run` installs) in the
//! foreground on 127.0.0.1, on a free port, answering the MX records a test gives it.
//!
//! It is authoritative for `.test` only (`--local=/test/`): a `.test` name without records answers
//! NXDOMAIN, and any other name is refused (no upstream server) — a failed lookup. Without
//! `/usr/sbin/dnsmasq`, starting fails with a message saying what to install: the tests never skip
//! silently.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{Context as _, ensure};

const DNSMASQ: &str = "/usr/sbin/dnsmasq";
/// How long dnsmasq may take to listen.
const STARTUP: Duration = Duration::from_secs(10);

/// A running dnsmasq; killed, and its log removed, on drop.
#[derive(Debug)]
pub struct DnsServer {
    child: Child,
    port: u16,
    log: PathBuf,
}

/// Fails with what to install when dnsmasq is missing: the tests never skip silently.
fn ensure_installed() -> anyhow::Result<()> {
    ensure!(
        Path::new(DNSMASQ).exists(),
        "no {DNSMASQ} for the DNS tests: install Debian's dnsmasq-base \
         (`apt-get install -y dnsmasq-base`, as .ci/run does)"
    );
    Ok(())
}

impl DnsServer {
    /// A server answering, for each `(domain, exchanger, preference)`, an MX record of `domain`
    /// naming `exchanger`. The domains must end in `.test`.
    pub fn start_with_mx(records: &[(&str, &str, u16)]) -> anyhow::Result<DnsServer> {
        ensure_installed()?;
        for (domain, _, _) in records {
            ensure!(
                domain.ends_with(".test"),
                "{domain}: the test server answers only for .test"
            );
        }
        let arguments: Vec<String> = records
            .iter()
            .map(|(domain, exchanger, preference)| {
                format!("--mx-host={domain},{exchanger},{preference}")
            })
            .collect();
        DnsServer::start_with_arguments(&arguments)
    }

    /// A server answering, for each `(name, address)`, an A (or AAAA) record of `name` (which
    /// must end in `.test`).
    pub fn start_with_hosts(hosts: &[(&str, std::net::IpAddr)]) -> anyhow::Result<DnsServer> {
        ensure_installed()?;
        for (name, _) in hosts {
            ensure!(
                name.ends_with(".test"),
                "{name}: the test server answers only for .test"
            );
        }
        let arguments: Vec<String> = hosts
            .iter()
            .map(|(name, address)| format!("--host-record={name},{address}"))
            .collect();
        DnsServer::start_with_arguments(&arguments)
    }

    /// [`DnsServer::start_arguments_once`], again on another port when the free one was taken (a
    /// free port found by binding and letting go may be taken in between).
    fn start_with_arguments(arguments: &[String]) -> anyhow::Result<DnsServer> {
        let mut last_failure = None;
        for _ in 0..3 {
            match DnsServer::start_arguments_once(arguments) {
                Ok(server) => return Ok(server),
                Err(error) if format!("{error:#}").contains("Address already in use") => {
                    last_failure = Some(error);
                }
                Err(error) => return Err(error),
            }
        }
        Err(last_failure.unwrap_or_else(|| anyhow::anyhow!("dnsmasq did not start")))
    }

    fn start_arguments_once(arguments: &[String]) -> anyhow::Result<DnsServer> {
        let port = super::free_port()?;
        let log = std::env::temp_dir().join(format!("sendline-dns-{}.log", super::unique_name()));
        let mut command = Command::new(DNSMASQ);
        command.args([
            "--keep-in-foreground",
            "--conf-file=/dev/null",
            "--no-resolv",
            "--no-hosts",
            "--pid-file",
            "--listen-address=127.0.0.1",
            "--bind-interfaces",
            "--local=/test/",
            "--log-facility=-",
            &format!("--port={port}"),
        ]);
        command.args(arguments);
        let child = command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(
                std::fs::File::create(&log)
                    .with_context(|| format!("creating {}", log.display()))?,
            )
            .spawn()
            .with_context(|| format!("starting {DNSMASQ}"))?;
        let mut server = DnsServer { child, port, log };
        server.wait_until_listening()?;
        Ok(server)
    }

    /// dnsmasq listens on UDP and TCP alike: a TCP connection shows it is up.
    fn wait_until_listening(&mut self) -> anyhow::Result<()> {
        let log = self.log.clone();
        super::wait_until_listening(&mut self.child, &[self.port], "dnsmasq", STARTUP, || {
            std::fs::read_to_string(&log).unwrap_or_default()
        })
    }

    /// What dnsmasq wrote to its standard error.
    pub fn logs(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Where it answers (UDP and TCP).
    pub fn address(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }
}

impl Drop for DnsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.log);
    }
}

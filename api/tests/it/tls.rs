//! `serve --tls-cert PATH --tls-key PATH` serves HTTPS itself — from the first connection on, with each
//! handshake beside the others, and hyper's own refusals in the error envelope as over HTTP — and
//! refuses to start on anything but a readable certificate and its key, with a message naming the
//! option (issue 17).

use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use std::sync::Arc;

use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;
use tokio_rustls::rustls::crypto::aws_lc_rs;
use tokio_rustls::rustls::pki_types::pem::PemObject as _;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};
use tokio_rustls::rustls::{ClientConfig, RootCertStore};

use crate::binary::TempDatabase;
use crate::hyper_refusals::refused_requests;
use crate::raw_http::exchange;
use crate::served::{Served, sendline};

/// A folder of this test's own with a self-signed certificate for 127.0.0.1 and its key (PEM),
/// removed when dropped.
struct TlsFiles {
    dir: PathBuf,
    cert_pem: String,
}

impl TlsFiles {
    fn new() -> Self {
        static SEQUENCE: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "sendline-tls-{}-{}",
            std::process::id(),
            SEQUENCE.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).expect("a folder");
        let certified = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()])
            .expect("a self-signed certificate");
        let cert_pem = certified.cert.pem();
        let files = Self { dir, cert_pem };
        files.write("cert.pem", &files.cert_pem);
        files.write("key.pem", &certified.signing_key.serialize_pem());
        files
    }

    fn write(&self, name: &str, contents: &str) -> String {
        let path = self.dir.join(name);
        std::fs::write(&path, contents).expect("written");
        Self::arg(&path)
    }

    fn path(&self, name: &str) -> String {
        Self::arg(&self.dir.join(name))
    }

    fn arg(path: &Path) -> String {
        path.to_str().expect("a UTF-8 path").to_owned()
    }
}

impl Drop for TlsFiles {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// `sendline serve --demo` over HTTPS with `files`' certificate, on `database`; and its base URL.
fn serve_https(files: &TlsFiles, database: &TempDatabase) -> (Served, String) {
    let url = database.url();
    let (cert, key) = (files.path("cert.pem"), files.path("key.pem"));
    let served = Served::start(
        "Sendline listening on ",
        &[
            "serve",
            "--demo",
            "--bind",
            "127.0.0.1:0",
            "--database-url",
            &url,
            "--tls-cert",
            &cert,
            "--tls-key",
            &key,
        ],
    );
    let base = served.base();
    assert!(base.starts_with("https://127.0.0.1:"), "{base}");
    (served, base)
}

/// An HTTPS client that trusts only `files`' certificate. Its timeout only keeps a broken server
/// from hanging the test.
fn https_client(files: &TlsFiles) -> reqwest::Client {
    reqwest::Client::builder()
        .add_root_certificate(
            reqwest::Certificate::from_pem(files.cert_pem.as_bytes()).expect("a certificate"),
        )
        .timeout(Duration::from_secs(20))
        .build()
        .expect("a client")
}

/// A TLS connection (HTTP/1.1 by ALPN) to the server at `base`, trusting only `files`' certificate.
async fn tls_connection(files: &TlsFiles, base: &str) -> TlsStream<TcpStream> {
    let mut roots = RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_slice(files.cert_pem.as_bytes()).expect("a certificate"))
        .expect("trusted");
    let mut config = ClientConfig::builder_with_provider(Arc::new(aws_lc_rs::default_provider()))
        .with_safe_default_protocol_versions()
        .expect("TLS versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    let address = base.strip_prefix("https://").expect("an https URL");
    let tcp = TcpStream::connect(address).await.expect("connected");
    TlsConnector::from(Arc::new(config))
        .connect(ServerName::try_from("127.0.0.1").expect("a name"), tcp)
        .await
        .expect("a TLS handshake")
}

#[tokio::test]
async fn requests_sent_right_after_the_listening_line_are_answered_over_https() {
    let files = TlsFiles::new();
    let database = TempDatabase::new();
    // Sent at once, while `--demo` still prepares its workspace: the connections wait for the
    // server's first accepts. poem's own TLS acceptor reset such a connection about one time in four
    // (its configuration loaded beside the first accept); the configuration now exists before the
    // listening line.
    let (mut served, base) = serve_https(&files, &database);
    let client = https_client(&files);
    let answers = futures_util::future::join_all(
        (0..4).map(|_| client.get(format!("{base}/healthz")).send()),
    )
    .await;
    for answer in answers {
        assert_eq!(answer.expect("an HTTPS answer").status().as_u16(), 200);
    }
    // The same port does not speak plain HTTP.
    let plain = reqwest::get(base.replacen("https://", "http://", 1) + "/healthz").await;
    assert!(plain.is_err() || plain.is_ok_and(|answer| answer.status().as_u16() != 200));
    assert!(served.terminate().success());
}

#[tokio::test]
async fn a_client_that_stalls_its_handshake_holds_up_no_other() {
    let files = TlsFiles::new();
    let database = TempDatabase::new();
    let (mut served, base) = serve_https(&files, &database);
    // Connected, and silent: its handshake never starts.
    let stalled = TcpStream::connect(base.strip_prefix("https://").expect("an https URL"))
        .await
        .expect("connected");
    let health = https_client(&files)
        .get(format!("{base}/healthz"))
        .send()
        .await
        .expect("an HTTPS answer beside the stalled connection");
    assert_eq!(health.status().as_u16(), 200);
    drop(stalled);
    assert!(served.terminate().success());
}

#[tokio::test]
async fn heads_hyper_refuses_over_tls_are_answered_in_the_error_envelope() {
    let files = TlsFiles::new();
    let database = TempDatabase::new();
    let (mut served, base) = serve_https(&files, &database);
    for refused in refused_requests() {
        let connection = tls_connection(&files, &base).await;
        refused.assert_answer(&exchange(connection, refused.request.clone()).await);
    }
    assert!(served.terminate().success());
}

/// `sendline serve args…` that must stop by itself (it is refused before it listens).
fn refused(args: &[&str]) -> String {
    let database = TempDatabase::new();
    let url = database.url();
    let args = [
        &["serve", "--bind", "127.0.0.1:0", "--database-url", &url][..],
        args,
    ]
    .concat();
    let mut child = sendline(&args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("sendline starts");
    let deadline = Instant::now() + Duration::from_secs(30);
    while child.try_wait().expect("a status").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("sendline {args:?} did not stop by itself");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let Output {
        status,
        stdout,
        stderr,
    } = child.wait_with_output().expect("its output");
    let stderr = String::from_utf8_lossy(&stderr).into_owned();
    assert!(!status.success(), "{args:?} started");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(
        !String::from_utf8_lossy(&stdout).contains("listening on"),
        "{args:?} listened"
    );
    stderr
}

#[test]
fn one_tls_option_without_the_other_is_refused() {
    let files = TlsFiles::new();
    let stderr = refused(&["--tls-cert", &files.path("cert.pem")]);
    assert!(stderr.contains("--tls-key"), "{stderr}");
    let stderr = refused(&["--tls-key", &files.path("key.pem")]);
    assert!(stderr.contains("--tls-cert"), "{stderr}");
}

#[test]
fn unreadable_or_invalid_tls_files_are_refused_naming_the_option() {
    let files = TlsFiles::new();
    let (cert, key) = (files.path("cert.pem"), files.path("key.pem"));
    let missing = files.path("missing.pem");
    let not_pem = files.write("not.pem", "hello\n");
    let other_key = files.write(
        "other-key.pem",
        &rcgen::KeyPair::generate().expect("a key").serialize_pem(),
    );
    for (args, expected) in [
        (
            ["--tls-cert", &missing, "--tls-key", &key],
            format!("--tls-cert {missing}: cannot read it"),
        ),
        (
            ["--tls-cert", &cert, "--tls-key", &missing],
            format!("--tls-key {missing}: cannot read it"),
        ),
        (
            ["--tls-cert", &not_pem, "--tls-key", &key],
            format!("--tls-cert {not_pem}: no PEM certificate"),
        ),
        (
            ["--tls-cert", &cert, "--tls-key", &not_pem],
            format!("--tls-key {not_pem}: no PEM private key"),
        ),
        (
            ["--tls-cert", &key, "--tls-key", &key],
            format!("--tls-cert {key}: no PEM certificate"),
        ),
        (
            ["--tls-cert", &cert, "--tls-key", &other_key],
            format!("--tls-key {other_key} does not go with --tls-cert {cert}"),
        ),
    ] {
        let stderr = refused(&args);
        assert!(stderr.contains(&expected), "{args:?}: {stderr}");
    }
}

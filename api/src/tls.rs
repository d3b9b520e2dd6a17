//! `serve --tls-cert PATH --tls-key PATH`: HTTPS without a proxy in front, with rustls through poem.
//!
//! The files are read and checked before the server listens, so a wrong path, a file that is not PEM,
//! or a key that does not belong to the certificate stops the start with a message naming the option,
//! instead of failing every handshake later.

use std::path::Path;

use anyhow::Context as _;
use poem::http::uri::Scheme;
use poem::listener::{Acceptor, Listener, RustlsCertificate, RustlsConfig};
use poem::web::{LocalAddr, RemoteAddr};
use rustls::crypto::aws_lc_rs;
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::sign::CertifiedKey;

/// The TLS configuration of a PEM certificate chain (the server's certificate first) and its PEM
/// private key (PKCS#8, PKCS#1 or SEC1).
pub(crate) fn rustls_config(cert: &Path, key: &Path) -> anyhow::Result<RustlsConfig> {
    let cert_pem = read(cert, "--tls-cert")?;
    let key_pem = read(key, "--tls-key")?;
    let chain = CertificateDer::pem_slice_iter(&cert_pem)
        .collect::<Result<Vec<_>, _>>()
        .with_context(|| format!("--tls-cert {}: not a PEM certificate chain", cert.display()))?;
    anyhow::ensure!(
        !chain.is_empty(),
        "--tls-cert {}: no PEM certificate (-----BEGIN CERTIFICATE-----) in it",
        cert.display()
    );
    let private_key = PrivateKeyDer::from_pem_slice(&key_pem)
        .with_context(|| format!("--tls-key {}: no PEM private key in it", key.display()))?;
    // The provider poem serves with: a key it cannot use, or one of another certificate, is refused.
    CertifiedKey::from_der(chain, private_key, &aws_lc_rs::default_provider()).with_context(
        || {
            format!(
                "--tls-key {} does not go with --tls-cert {}",
                key.display(),
                cert.display()
            )
        },
    )?;
    Ok(RustlsConfig::new().fallback(RustlsCertificate::new().cert(cert_pem).key(key_pem)))
}

fn read(path: &Path, option: &str) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("{option} {}: cannot read it", path.display()))
}

/// `listener` speaking TLS with `config`.
///
/// poem's TLS acceptor loads its configuration inside its accept loop, in a `select!` (random order)
/// with the first accept: a client that connected before the server's first poll had one chance in two
/// of being accepted with no configuration loaded yet, and reset (seen in the HTTPS test under load).
/// The wrapper holds the first accept back by one turn, so the configuration always loads first.
pub(crate) fn https(listener: impl Listener + 'static, config: RustlsConfig) -> impl Listener {
    ConfigLoadsFirst(listener).rustls(config)
}

struct ConfigLoadsFirst<L>(L);

impl<L: Listener> Listener for ConfigLoadsFirst<L> {
    type Acceptor = ConfigLoadsFirstAcceptor<L::Acceptor>;

    async fn into_acceptor(self) -> std::io::Result<Self::Acceptor> {
        Ok(ConfigLoadsFirstAcceptor {
            inner: self.0.into_acceptor().await?,
            first: true,
        })
    }
}

struct ConfigLoadsFirstAcceptor<A> {
    inner: A,
    first: bool,
}

impl<A: Acceptor> Acceptor for ConfigLoadsFirstAcceptor<A> {
    type Io = A::Io;

    fn local_addr(&self) -> Vec<LocalAddr> {
        self.inner.local_addr()
    }

    async fn accept(&mut self) -> std::io::Result<(Self::Io, LocalAddr, RemoteAddr, Scheme)> {
        if std::mem::take(&mut self.first) {
            tokio::task::yield_now().await;
        }
        self.inner.accept().await
    }
}

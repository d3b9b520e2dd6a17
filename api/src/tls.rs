//! `serve --tls-cert PATH --tls-key PATH`: HTTPS without a proxy in front, with rustls.
//!
//! The files are read and checked, and the server configuration is built, once and synchronously
//! before the server listens: a wrong path, a file that is not PEM, or a key that does not belong to
//! the certificate stops the start with a message naming the option, instead of failing every
//! handshake later, and no connection can ever arrive before the configuration exists.
//!
//! A connection's handshake runs in that connection's own task: [`TlsConnection`] drives it on its
//! first read or write (poem serves each accepted connection in a task of its own), so the accept loop
//! never waits for a client, and a client that stalls its handshake holds up no other.

use std::io;
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use anyhow::Context as _;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::crypto::aws_lc_rs;
use tokio_rustls::rustls::pki_types::pem::PemObject as _;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::sign::CertifiedKey;
use tokio_rustls::{Accept, TlsAcceptor, server::TlsStream};

/// A server's TLS configuration, complete before the first connection.
#[derive(Clone)]
pub(crate) struct Tls(TlsAcceptor);

impl std::fmt::Debug for Tls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tls")
            .field("alpn", &self.0.config().alpn_protocols)
            .finish_non_exhaustive()
    }
}

impl Tls {
    /// The TLS configuration of a PEM certificate chain (the server's certificate first) and its PEM
    /// private key (PKCS#8, PKCS#1 or SEC1). Every refusal names the option and the path.
    pub(crate) fn from_pem_files(cert: &Path, key: &Path) -> anyhow::Result<Self> {
        let cert_pem = read(cert, "--tls-cert")?;
        let key_pem = read(key, "--tls-key")?;
        let chain = CertificateDer::pem_slice_iter(&cert_pem)
            .collect::<Result<Vec<_>, _>>()
            .with_context(|| {
                format!("--tls-cert {}: not a PEM certificate chain", cert.display())
            })?;
        anyhow::ensure!(
            !chain.is_empty(),
            "--tls-cert {}: no PEM certificate (-----BEGIN CERTIFICATE-----) in it",
            cert.display()
        );
        let private_key = PrivateKeyDer::from_pem_slice(&key_pem)
            .with_context(|| format!("--tls-key {}: no PEM private key in it", key.display()))?;
        // Named, not the process default: the tests' HTTPS client brings a second provider (ring).
        let provider = Arc::new(aws_lc_rs::default_provider());
        // A key the provider cannot use, or one of another certificate, is refused here.
        let certified =
            CertifiedKey::from_der(chain, private_key, &provider).with_context(|| {
                format!(
                    "--tls-key {} does not go with --tls-cert {}",
                    key.display(),
                    cert.display()
                )
            })?;
        let mut config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .context("the TLS provider supports neither TLS 1.3 nor 1.2")?
            .with_no_client_auth()
            .with_cert_resolver(Arc::new(OneCertificate(Arc::new(certified))));
        // HTTP/2 when the client offers it, else HTTP/1.1 (poem serves both on one connection).
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(Self(TlsAcceptor::from(Arc::new(config))))
    }

    /// `stream`, to be spoken to through TLS once its handshake is done.
    pub(crate) fn connection<S>(&self, stream: S) -> TlsConnection<S>
    where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        TlsConnection::Handshaking(self.0.accept(stream))
    }
}

fn read(path: &Path, option: &str) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("{option} {}: cannot read it", path.display()))
}

/// The one certificate (and key) served, whatever name the client asks for.
#[derive(Debug)]
struct OneCertificate(Arc<CertifiedKey>);

impl tokio_rustls::rustls::server::ResolvesServerCert for OneCertificate {
    fn resolve(
        &self,
        _hello: tokio_rustls::rustls::server::ClientHello<'_>,
    ) -> Option<Arc<CertifiedKey>> {
        Some(self.0.clone())
    }
}

/// A TLS connection whose handshake runs on its first read or write.
pub enum TlsConnection<S> {
    Handshaking(Accept<S>),
    Established(TlsStream<S>),
    /// The handshake failed: the connection is over.
    Failed,
}

impl<S> std::fmt::Debug for TlsConnection<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Handshaking(_) => "TlsConnection::Handshaking",
            Self::Established(_) => "TlsConnection::Established",
            Self::Failed => "TlsConnection::Failed",
        })
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> TlsConnection<S> {
    /// The established stream, once the handshake is done.
    fn established(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<&mut TlsStream<S>>> {
        if let Self::Handshaking(handshake) = self {
            match ready!(Pin::new(handshake).poll(cx)) {
                Ok(stream) => *self = Self::Established(stream),
                Err(error) => {
                    // A scanner, a client that does not trust the certificate, plain HTTP on the
                    // HTTPS port: the client's business, not a server fault.
                    tracing::debug!(%error, "TLS handshake failed");
                    *self = Self::Failed;
                    return Poll::Ready(Err(error));
                }
            }
        }
        match self {
            Self::Established(stream) => Poll::Ready(Ok(stream)),
            Self::Handshaking(_) | Self::Failed => Poll::Ready(Err(io::Error::new(
                io::ErrorKind::NotConnected,
                "the TLS handshake failed",
            ))),
        }
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncRead for TlsConnection<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let stream = ready!(self.get_mut().established(cx))?;
        Pin::new(stream).poll_read(cx, buf)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncWrite for TlsConnection<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let stream = ready!(self.get_mut().established(cx))?;
        Pin::new(stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let stream = ready!(self.get_mut().established(cx))?;
        Pin::new(stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        // rustls gathers the slices into its records either way.
        true
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let stream = ready!(self.get_mut().established(cx))?;
        Pin::new(stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let stream = ready!(self.get_mut().established(cx))?;
        Pin::new(stream).poll_shutdown(cx)
    }
}

//! Where connections come from: a TCP listener, speaking TLS when `serve --tls-cert/--tls-key` say
//! so, every connection's stream wrapped so that hyper's own refusals of a request head are answered
//! in the error envelope too (src/hyper_refusals.rs).
//!
//! Not poem's `RustlsAcceptor`: it loads its configuration inside its accept loop, in a random-order
//! `select!` with the first accept, so a client that connected at start-up was sometimes accepted
//! before any configuration existed, and reset. Here the configuration is complete before the
//! listener exists ([`Tls`]), and each handshake runs in its own connection's task.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};

use poem::http::uri::Scheme;
use poem::listener::{Acceptor, Listener, TcpAcceptor, TcpListener};
use poem::web::{LocalAddr, RemoteAddr};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpStream, ToSocketAddrs};

use crate::hyper_refusals::EnvelopedRefusals;
use crate::tls::{Tls, TlsConnection};

/// The server's acceptor: HTTP, or HTTPS with a configuration made before it listens.
pub struct ApiAcceptor {
    tcp: TcpAcceptor,
    tls: Option<Tls>,
}

impl std::fmt::Debug for ApiAcceptor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiAcceptor")
            .field("address", &self.tcp.local_addr())
            .field("tls", &self.tls)
            .finish()
    }
}

impl ApiAcceptor {
    /// Plain HTTP on `address`.
    pub async fn http(address: impl ToSocketAddrs + Send) -> io::Result<Self> {
        Ok(Self {
            tcp: TcpListener::bind(address).into_acceptor().await?,
            tls: None,
        })
    }

    /// HTTPS on `address` with `tls`.
    pub(crate) async fn https(address: impl ToSocketAddrs + Send, tls: Tls) -> io::Result<Self> {
        Ok(Self {
            tls: Some(tls),
            ..Self::http(address).await?
        })
    }

    /// The address it listens on.
    pub fn socket_address(&self) -> io::Result<SocketAddr> {
        self.tcp
            .local_addr()
            .into_iter()
            .find_map(|address| address.as_socket_addr().copied())
            .ok_or_else(|| io::Error::other("the listener has no socket address"))
    }

    /// `http` or `https`.
    pub fn scheme(&self) -> Scheme {
        match self.tls {
            None => Scheme::HTTP,
            Some(_) => Scheme::HTTPS,
        }
    }
}

impl Acceptor for ApiAcceptor {
    type Io = EnvelopedRefusals<Transport>;

    fn local_addr(&self) -> Vec<LocalAddr> {
        self.tcp.local_addr()
    }

    async fn accept(&mut self) -> io::Result<(Self::Io, LocalAddr, RemoteAddr, Scheme)> {
        let (stream, local, remote, _) = self.tcp.accept().await?;
        // No handshake here: it would hold every other connection up while one client dawdles.
        let transport = match &self.tls {
            None => Transport::Plain(stream),
            Some(tls) => Transport::Tls(Box::new(tls.connection(stream))),
        };
        Ok((
            EnvelopedRefusals::new(transport),
            local,
            remote,
            self.scheme(),
        ))
    }
}

/// A connection's stream: TCP, or TLS over TCP (boxed: rustls' state is a kilobyte or more, which a
/// plain connection need not carry).
#[derive(Debug)]
pub enum Transport {
    Plain(TcpStream),
    Tls(Box<TlsConnection<TcpStream>>),
}

impl AsyncRead for Transport {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Plain(stream) => Pin::new(stream).poll_read(cx, buf),
            Self::Tls(stream) => Pin::new(stream.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Transport {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Self::Plain(stream) => Pin::new(stream).poll_write(cx, buf),
            Self::Tls(stream) => Pin::new(stream.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Self::Plain(stream) => Pin::new(stream).poll_write_vectored(cx, bufs),
            Self::Tls(stream) => Pin::new(stream.as_mut()).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            Self::Plain(stream) => stream.is_write_vectored(),
            Self::Tls(stream) => stream.is_write_vectored(),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Plain(stream) => Pin::new(stream).poll_flush(cx),
            Self::Tls(stream) => Pin::new(stream.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Plain(stream) => Pin::new(stream).poll_shutdown(cx),
            Self::Tls(stream) => Pin::new(stream.as_mut()).poll_shutdown(cx),
        }
    }
}

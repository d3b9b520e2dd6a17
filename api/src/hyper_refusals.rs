//! hyper's own refusals of a request head, answered in the error envelope.
//!
//! hyper reads every HTTP/1 request head before any poem code runs, and refuses a head past its own
//! limits, or one it cannot parse, by itself: a request target over 64 KiB is 414, a head over
//! ~400 KiB or with more than 100 headers 431, a malformed request line or header 400. It writes a
//! head-only answer and closes the connection (seen with a raw TCP client, hyper 1.x):
//!
//! ```text
//! HTTP/1.1 431 Request Header Fields Too Large\r\nconnection: close\r\ncontent-length: 0\r\ndate: Sun, 06 Dec 2026 22:32:54 GMT\r\n\r\n
//! ```
//!
//! and poem 3.1 offers no hook to change it. [`EnvelopedRefusals`] wraps each connection's stream
//! (plain or TLS) and replaces that answer, on its way out, by the envelope [`ApiError`] renders for
//! the same status, with `content-type`, its `content-length` and `connection: close`.
//!
//! How it is told apart. Every answer of the application carries a body (an envelope, a resource, the
//! document or the docs page; the one bodiless answer, `GET /`'s 307, is not a 4xx), so a 400, 414 or
//! 431 with `content-length: 0` can only be hyper's. hyper writes it as the start of a new answer
//! after the previous one was written out and flushed, and writes nothing after it. So each write call
//! is looked at from its first byte: one that begins like such an answer is held (it may come in
//! pieces) until it is complete — exactly an `HTTP/1.x` status line of 400, 414 or 431 with its
//! reason, `content-length: 0`, perhaps `connection: close` and hyper's `date`, the blank line and
//! nothing more — and then replaced, or until it cannot be (or hyper flushes), and then written out
//! unchanged. A body cannot pass for one: the application's bodies are JSON, which has no raw CR or
//! LF, or fixed documents.
//!
//! Left as hyper writes them: HTTP/2 connections (recognised by the client's preface, with or without
//! TLS), whose refusals are frames of another shape; and the rare refusal of a pipelined request that
//! hyper writes behind the unflushed end of the previous answer, which does not start a write call.
//! Neither answer carries `X-Request-Id` or rate-limit headers: no request was read.

use std::io;
use std::pin::Pin;
use std::sync::LazyLock;
use std::task::{Context, Poll, ready};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::error::ApiError;
use crate::state::{MAX_HEADER_BYTES, MAX_URI_BYTES};

/// What a client says first on an HTTP/2 connection (RFC 9113, section 3.4).
const HTTP2_PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// The longest hyper refusal held before it is known not to be one (hyper's are about 110 bytes).
const MAX_REFUSAL_BYTES: usize = 256;

/// The media type of every envelope (poem-openapi's `Json` payload).
const ENVELOPE_CONTENT_TYPE: &str = "application/json; charset=utf-8";

/// The statuses hyper answers on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Refusal {
    /// 400: a request line or header hyper cannot parse.
    Malformed,
    /// 414: a request target over hyper's 64 KiB.
    UriTooLong,
    /// 431: a head over hyper's buffer (~400 KiB), or more than 100 headers.
    HeadTooLarge,
}

impl Refusal {
    const ALL: [Refusal; 3] = [Self::Malformed, Self::UriTooLong, Self::HeadTooLarge];

    /// The status line hyper writes after the version, CRLF included.
    fn status(self) -> &'static [u8] {
        match self {
            Self::Malformed => b"400 Bad Request\r\n",
            Self::UriTooLong => b"414 URI Too Long\r\n",
            Self::HeadTooLarge => b"431 Request Header Fields Too Large\r\n",
        }
    }

    /// The error of the application for the same refusal.
    fn error(self) -> ApiError {
        match self {
            Self::Malformed => ApiError::malformed_head(),
            Self::UriTooLong => ApiError::uri_too_long(MAX_URI_BYTES),
            Self::HeadTooLarge => ApiError::head_too_large(MAX_HEADER_BYTES),
        }
    }

    /// The answer's head from its status to its `date` line, and its body: rendered once.
    fn rendered(self) -> &'static Rendered {
        static RENDERED: LazyLock<[Rendered; 3]> = LazyLock::new(|| Refusal::ALL.map(Rendered::of));
        let index = match self {
            Self::Malformed => 0,
            Self::UriTooLong => 1,
            Self::HeadTooLarge => 2,
        };
        &RENDERED[index]
    }
}

/// One refusal's answer, but for hyper's version and `date` line.
#[derive(Debug)]
struct Rendered {
    head: Vec<u8>,
    body: Vec<u8>,
}

impl Rendered {
    fn of(refusal: Refusal) -> Self {
        let body = refusal.error().body_bytes();
        let mut head = refusal.status().to_vec();
        head.extend_from_slice(
            format!(
                "content-type: {ENVELOPE_CONTENT_TYPE}\r\ncontent-length: {}\r\nconnection: close\r\n",
                body.len()
            )
            .as_bytes(),
        );
        Self { head, body }
    }
}

/// One of hyper's refusals, as it was written.
#[derive(Debug, PartialEq, Eq)]
struct Written {
    refusal: Refusal,
    /// `HTTP/1.1 ` (or `HTTP/1.0 ` to a client that kept an HTTP/1.0 connection alive).
    version: &'static [u8],
    /// Its `date` line, CRLF included (empty without one).
    date_line: Vec<u8>,
}

impl Written {
    /// The envelope answer in its place: the same version and date.
    fn enveloped(&self) -> Vec<u8> {
        let rendered = self.refusal.rendered();
        [
            self.version,
            &rendered.head,
            &self.date_line,
            b"\r\n",
            &rendered.body,
        ]
        .concat()
    }
}

/// What the bytes a write call began with are.
#[derive(Debug, PartialEq, Eq)]
enum Verdict {
    /// Not hyper's refusal: written out as they are.
    Other,
    /// The beginning of one of hyper's refusals, so far.
    Incomplete,
    /// The whole of one.
    Refusal(Written),
}

/// `bytes` start `whole`, or `whole` starts `bytes`.
fn agree(bytes: &[u8], whole: &[u8]) -> bool {
    bytes.starts_with(whole) || whole.starts_with(bytes)
}

/// Reads `bytes` (everything written since the start of a write call) as a refusal of hyper's:
/// `HTTP/1.x`, a status of [`Refusal`] with its reason, then `content-length: 0` and perhaps
/// `connection: close` and `date`, in any order, each once, then the blank line, and nothing after.
fn verdict(bytes: &[u8]) -> Verdict {
    if bytes.is_empty() || bytes.len() > MAX_REFUSAL_BYTES {
        return Verdict::Other;
    }
    let Some(version) = [&b"HTTP/1.1 "[..], b"HTTP/1.0 "]
        .into_iter()
        .find(|version| agree(bytes, version))
    else {
        return Verdict::Other;
    };
    let Some(rest) = bytes.get(version.len()..) else {
        return Verdict::Incomplete;
    };
    let Some(refusal) = Refusal::ALL
        .into_iter()
        .find(|refusal| agree(rest, refusal.status()))
    else {
        return Verdict::Other;
    };
    let Some(mut rest) = rest.get(refusal.status().len()..) else {
        return Verdict::Incomplete;
    };
    let (mut content_length, mut connection) = (false, false);
    let mut date_line: Option<&[u8]> = None;
    loop {
        let Some(end) = rest.windows(2).position(|pair| pair == b"\r\n") else {
            // A line so far (its CR, perhaps): it must be able to become one of those, or the
            // blank line.
            let line = rest.strip_suffix(b"\r").unwrap_or(rest);
            let possible = b"content-length: 0".starts_with(line)
                || b"connection: close".starts_with(line)
                || b"date: ".starts_with(line)
                || line.starts_with(b"date: ") && is_field_value(&line[6..]);
            return if possible {
                Verdict::Incomplete
            } else {
                Verdict::Other
            };
        };
        let (line, after) = (&rest[..end], &rest[end + 2..]);
        if line.is_empty() {
            return if content_length && after.is_empty() {
                Verdict::Refusal(Written {
                    refusal,
                    version,
                    date_line: date_line.unwrap_or_default().to_vec(),
                })
            } else {
                Verdict::Other
            };
        }
        if line == b"content-length: 0" && !content_length {
            content_length = true;
        } else if line == b"connection: close" && !connection {
            connection = true;
        } else if line.starts_with(b"date: ") && is_field_value(&line[6..]) && date_line.is_none() {
            date_line = Some(&rest[..end + 2]);
        } else {
            return Verdict::Other;
        }
        rest = after;
    }
}

/// Visible ASCII and spaces: what hyper's `date` is made of.
fn is_field_value(value: &[u8]) -> bool {
    value.iter().all(|byte| (b' '..=b'~').contains(byte))
}

/// What the client spoke, as far as the refusals are concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Protocol {
    /// Not known yet: this many bytes of the HTTP/2 preface were read.
    Unknown(usize),
    Http1,
    Http2,
}

/// A connection's stream whose outgoing hyper refusals are replaced by the error envelope.
#[derive(Debug)]
pub struct EnvelopedRefusals<S> {
    inner: S,
    protocol: Protocol,
    /// Bytes taken from hyper that are, so far, the beginning of one of its refusals.
    held: Vec<u8>,
    /// Bytes to write to `inner` before any others: released held bytes, or an envelope answer.
    pending: Vec<u8>,
    /// How many bytes of `pending` are written.
    pending_written: usize,
}

impl<S> EnvelopedRefusals<S> {
    pub(crate) fn new(inner: S) -> Self {
        Self {
            inner,
            protocol: Protocol::Unknown(0),
            held: Vec::new(),
            pending: Vec::new(),
            pending_written: 0,
        }
    }

    /// Follows the client's first bytes until they are, or cannot be, the HTTP/2 preface.
    fn saw(&mut self, read: &[u8]) {
        if let Protocol::Unknown(matched) = self.protocol {
            let expected = &HTTP2_PREFACE[matched..];
            let compared = read.len().min(expected.len());
            self.protocol = if read[..compared] != expected[..compared] {
                Protocol::Http1
            } else if compared == expected.len() {
                Protocol::Http2
            } else {
                Protocol::Unknown(matched + compared)
            };
        }
    }

    /// Whether write calls are looked at.
    fn watching(&self) -> bool {
        self.protocol != Protocol::Http2
    }
}

impl<S: AsyncWrite + Unpin> EnvelopedRefusals<S> {
    /// Writes out `pending`, then nothing is.
    fn poll_pending(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.pending_written < self.pending.len() {
            let written = ready!(
                Pin::new(&mut self.inner).poll_write(cx, &self.pending[self.pending_written..])
            )?;
            if written == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.pending_written += written;
        }
        self.pending.clear();
        self.pending_written = 0;
        Poll::Ready(Ok(()))
    }

    /// The held bytes are not a refusal (or hyper stopped writing before one was complete): they go
    /// out as they came.
    fn release_held(&mut self) {
        if !self.held.is_empty() {
            debug_assert!(self.pending.is_empty());
            self.pending = std::mem::take(&mut self.held);
        }
    }

    /// Takes `buf`, the start of a write call or the continuation of held bytes, when it is (so far)
    /// one of hyper's refusals; `None` when it is not and was left alone.
    fn take_refusal(&mut self, buf: &[u8]) -> Option<usize> {
        let verdict = if self.held.is_empty() {
            verdict(buf)
        } else {
            let mut candidate = std::mem::take(&mut self.held);
            candidate.extend_from_slice(buf);
            match verdict(&candidate) {
                // Held bytes were written to us already: they go out first, `buf` after them.
                Verdict::Other => {
                    self.pending = candidate;
                    return Some(buf.len());
                }
                verdict => {
                    self.held = candidate;
                    verdict
                }
            }
        };
        match verdict {
            Verdict::Other => None,
            Verdict::Incomplete => {
                if self.held.is_empty() {
                    self.held.extend_from_slice(buf);
                }
                Some(buf.len())
            }
            Verdict::Refusal(written) => {
                self.held.clear();
                self.pending = written.enveloped();
                tracing::debug!(
                    refusal = ?written.refusal,
                    "hyper refused a request head; answered with the error envelope"
                );
                Some(buf.len())
            }
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for EnvelopedRefusals<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        ready!(Pin::new(&mut this.inner).poll_read(cx, buf))?;
        this.saw(&buf.filled()[before..]);
        Poll::Ready(Ok(()))
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for EnvelopedRefusals<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        ready!(this.poll_pending(cx))?;
        if this.watching()
            && let Some(taken) = this.take_refusal(buf)
        {
            // Taken: written out on the next write, flush or shutdown, if not now.
            if let Poll::Ready(Err(error)) = this.poll_pending(cx) {
                return Poll::Ready(Err(error));
            }
            return Poll::Ready(Ok(taken));
        }
        Pin::new(&mut this.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        ready!(this.poll_pending(cx))?;
        let first = bufs
            .iter()
            .find(|buf| !buf.is_empty())
            .map_or(&[][..], |buf| &buf[..]);
        if this.watching() && (!this.held.is_empty() || verdict(first) != Verdict::Other) {
            // One slice at a time while a refusal may be coming (hyper writes one in one slice).
            return Pin::new(this).poll_write(cx, first);
        }
        Pin::new(&mut this.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_pending(cx))?;
        this.release_held();
        ready!(this.poll_pending(cx))?;
        Pin::new(&mut this.inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_pending(cx))?;
        this.release_held();
        ready!(this.poll_pending(cx))?;
        Pin::new(&mut this.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    const DATE_LINE: &[u8] = b"date: Sun, 06 Dec 2026 22:32:54 GMT\r\n";

    /// hyper's refusal as it writes it (hyper 1.12), as a raw TCP client received it.
    fn hypers(refusal: Refusal) -> Vec<u8> {
        [
            b"HTTP/1.1 ",
            refusal.status(),
            b"connection: close\r\ncontent-length: 0\r\n",
            DATE_LINE,
            b"\r\n",
        ]
        .concat()
    }

    fn written(refusal: Refusal) -> Written {
        Written {
            refusal,
            version: b"HTTP/1.1 ",
            date_line: DATE_LINE.to_vec(),
        }
    }

    /// What the client receives in its place.
    fn enveloped(refusal: Refusal) -> Vec<u8> {
        written(refusal).enveloped()
    }

    /// A stream that takes at most `step` bytes a call (a full socket takes what it can).
    #[derive(Debug, Default)]
    struct Trickle {
        written: Vec<u8>,
        step: usize,
        read: std::io::Cursor<Vec<u8>>,
    }

    impl Trickle {
        fn new(step: usize) -> Self {
            Self {
                step,
                ..Self::default()
            }
        }

        fn reading(mut self, bytes: &[u8]) -> Self {
            self.read = std::io::Cursor::new(bytes.to_vec());
            self
        }
    }

    impl AsyncWrite for Trickle {
        fn poll_write(
            self: Pin<&mut Self>,
            _: &mut Context<'_>,
            buf: &[u8],
        ) -> Poll<io::Result<usize>> {
            let this = self.get_mut();
            let taken = buf.len().min(this.step);
            this.written.extend_from_slice(&buf[..taken]);
            Poll::Ready(Ok(taken))
        }

        fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
            Poll::Ready(Ok(()))
        }

        fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
            Poll::Ready(Ok(()))
        }
    }

    impl AsyncRead for Trickle {
        fn poll_read(
            self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &mut ReadBuf<'_>,
        ) -> Poll<io::Result<()>> {
            Pin::new(&mut self.get_mut().read).poll_read(cx, buf)
        }
    }

    /// What reaches the client when `pieces` are written, one write call each, then flushed.
    async fn sent(stream: Trickle, pieces: &[&[u8]]) -> Vec<u8> {
        let mut stream = EnvelopedRefusals::new(stream);
        let mut read = Vec::new();
        stream.read_to_end(&mut read).await.expect("read");
        for piece in pieces {
            stream.write_all(piece).await.expect("written");
        }
        stream.flush().await.expect("flushed");
        stream.inner.written
    }

    #[test]
    fn hypers_refusals_are_recognised_whole_and_in_every_prefix() {
        for refusal in Refusal::ALL {
            let bytes = hypers(refusal);
            assert_eq!(verdict(&bytes), Verdict::Refusal(written(refusal)));
            for end in 1..bytes.len() {
                assert_eq!(verdict(&bytes[..end]), Verdict::Incomplete, "{end}");
            }
            // To an HTTP/1.0 client that kept its connection alive, hyper answers in HTTP/1.0,
            // without `connection: close`; and `date` can be turned off.
            let bare = [b"HTTP/1.0 ", refusal.status(), b"content-length: 0\r\n\r\n"].concat();
            assert_eq!(
                verdict(&bare),
                Verdict::Refusal(Written {
                    refusal,
                    version: b"HTTP/1.0 ",
                    date_line: Vec::new(),
                })
            );
        }
    }

    #[test]
    fn anything_else_is_not_a_refusal() {
        let others: [&[u8]; 11] = [
            // The application's own 400: a body, and its own headers.
            b"HTTP/1.1 400 Bad Request\r\ncontent-type: application/json; charset=utf-8\r\n",
            b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 150\r\n\r\n",
            // Other statuses with no body.
            b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n",
            b"HTTP/1.1 307 Temporary Redirect\r\nlocation: /docs\r\ncontent-length: 0\r\n\r\n",
            b"HTTP/1.1 200 OK\r\n",
            b"HTTP/2 400 Bad Request\r\n",
            // A header twice.
            b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\ncontent-length: 0\r\n\r\n",
            // No content-length, or something after the head.
            b"HTTP/1.1 400 Bad Request\r\ndate: Sun, 06 Dec 2026 21:10:11 GMT\r\n\r\n",
            b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n{}",
            // A body's bytes.
            b"{\"success\":false,\"error\":\"Bad Request\"}",
            b"",
        ];
        for bytes in others {
            assert_eq!(
                verdict(bytes),
                Verdict::Other,
                "{}",
                String::from_utf8_lossy(bytes)
            );
        }
        let long = [&b"HTTP/1.1 400 Bad Request\r\ndate: "[..], &[b'x'; 300]].concat();
        assert_eq!(verdict(&long), Verdict::Other);
    }

    #[test]
    fn the_envelope_answer_is_the_errors_body_under_a_head_that_closes() {
        let answer = String::from_utf8(enveloped(Refusal::HeadTooLarge)).expect("UTF-8");
        let (head, body) = answer.split_once("\r\n\r\n").expect("a head");
        assert_eq!(
            head,
            format!(
                "HTTP/1.1 431 Request Header Fields Too Large\r\n\
                 content-type: application/json; charset=utf-8\r\n\
                 content-length: {}\r\n\
                 connection: close\r\n\
                 date: Sun, 06 Dec 2026 22:32:54 GMT",
                body.len()
            )
        );
        let body: serde_json::Value = serde_json::from_str(body).expect("JSON");
        assert_eq!(body["errorCode"], "HEADERS_TOO_LARGE");
        assert_eq!(body["code"], 431);
    }

    #[tokio::test]
    async fn a_refusal_is_replaced_however_its_writes_are_split_and_the_socket_takes_them() {
        for refusal in Refusal::ALL {
            let bytes = hypers(refusal);
            for split in 0..=bytes.len() {
                let (first, second) = bytes.split_at(split);
                for step in [1, 7, usize::MAX] {
                    assert_eq!(
                        sent(Trickle::new(step).reading(b"GET "), &[first, second]).await,
                        enveloped(refusal),
                        "{refusal:?} split at {split}, {step} bytes a call"
                    );
                }
            }
        }
    }

    #[tokio::test]
    async fn other_answers_go_out_unchanged() {
        let answer =
            b"HTTP/1.1 400 Bad Request\r\ncontent-type: application/json; charset=utf-8\r\n\
                      content-length: 2\r\ndate: Sun, 06 Dec 2026 21:10:11 GMT\r\n\r\n{}";
        for split in 0..=answer.len() {
            let (first, second) = answer.split_at(split);
            for step in [1, 7, usize::MAX] {
                assert_eq!(
                    sent(Trickle::new(step).reading(b"GET "), &[first, second]).await,
                    answer,
                    "split at {split}, {step} bytes a call"
                );
            }
        }
        // A refusal held when hyper flushes goes out as it came.
        let partial = &hypers(Refusal::Malformed)[..20];
        assert_eq!(sent(Trickle::new(usize::MAX), &[partial]).await, partial);
    }

    #[tokio::test]
    async fn a_vectored_write_is_looked_at_from_its_first_byte() {
        let bytes = hypers(Refusal::UriTooLong);
        let mut stream = EnvelopedRefusals::new(Trickle::new(usize::MAX));
        let (head, rest) = bytes.split_at(30);
        let slices = [
            io::IoSlice::new(&[]),
            io::IoSlice::new(head),
            io::IoSlice::new(rest),
        ];
        let mut written = 0;
        while written < bytes.len() {
            let mut remaining: Vec<io::IoSlice<'_>> = Vec::new();
            let mut skip = written;
            for slice in &slices {
                if skip >= slice.len() {
                    skip -= slice.len();
                } else {
                    remaining.push(io::IoSlice::new(&slice[skip..]));
                    skip = 0;
                }
            }
            written += stream.write_vectored(&remaining).await.expect("written");
        }
        stream.flush().await.expect("flushed");
        assert_eq!(stream.inner.written, enveloped(Refusal::UriTooLong));
    }

    #[tokio::test]
    async fn an_http2_connection_is_left_alone() {
        let bytes = hypers(Refusal::HeadTooLarge);
        let mut preface = HTTP2_PREFACE.to_vec();
        preface.extend_from_slice(b"\0\0\0\x04\0\0\0\0\0");
        assert_eq!(
            sent(Trickle::new(usize::MAX).reading(&preface), &[&bytes[..]]).await,
            bytes
        );
        // Only part of the preface: not known to be HTTP/2, so looked at.
        assert_eq!(
            sent(
                Trickle::new(usize::MAX).reading(&HTTP2_PREFACE[..20]),
                &[&bytes[..]]
            )
            .await,
            enveloped(Refusal::HeadTooLarge)
        );
    }

    #[test]
    fn the_preface_is_followed_across_reads() {
        let mut stream = EnvelopedRefusals::new(Trickle::new(1));
        for byte in HTTP2_PREFACE {
            assert!(stream.watching());
            stream.saw(std::slice::from_ref(byte));
        }
        assert_eq!(stream.protocol, Protocol::Http2);
        let mut stream = EnvelopedRefusals::new(Trickle::new(1));
        stream.saw(b"PRI * HTTP/1.1");
        assert_eq!(stream.protocol, Protocol::Http1);
    }
}

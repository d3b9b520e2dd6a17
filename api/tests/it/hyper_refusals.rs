//! Heads that hyper refuses before any of our code runs — a URL over its 64 KiB, a head over its
//! ~400 KiB, more than its 100 headers, a header line it cannot parse — are answered in the error
//! envelope like every other error, and the connection is closed (issue 17).

use tokio::io::AsyncWriteExt;

use crate::raw_http::{closing, exchange, get, numbered_headers, parse_answer, read_one_answer};
use crate::support::*;

/// A request hyper refuses, and the envelope it gets.
pub struct Refused {
    pub what: &'static str,
    pub request: Vec<u8>,
    pub status: u16,
    pub error_code: &'static str,
    /// The answer's `message` is one of these.
    pub messages: &'static [&'static str],
}

const HEAD_TOO_LARGE: &str =
    "the request's headers are larger than 32768 bytes together, or more than 100 of them";
/// The application's own 431 (src/request_head.rs).
const HEADERS_TOO_LARGE: &str = "the request's headers are larger than 32768 bytes together";

/// A request with one header of `bytes` bytes, which asks the server to close the connection after
/// its answer.
fn padded(bytes: usize) -> Vec<u8> {
    get(
        "/healthz",
        &[closing(), ("X-Padding".to_owned(), "p".repeat(bytes))],
    )
}

/// Each kind of head hyper refuses. Each asks for `Connection: close`, which counts only if hyper
/// does read the head after all (then the application answers, and the connection still ends).
pub fn refused_requests() -> Vec<Refused> {
    vec![
        Refused {
            what: "a 70 KiB URL",
            request: get(
                &format!("/v1/campaigns?search={}", "q".repeat(70 * 1024)),
                &[closing()],
            ),
            status: 414,
            error_code: "URI_TOO_LONG",
            messages: &["the request's URL (path and query) is longer than 8192 bytes"],
        },
        Refused {
            // hyper refuses a head still incomplete when its buffer holds ~400 KiB; when one read
            // brings all 500 KiB at once it parses the head, and the application refuses it. The
            // same 431 envelope either way.
            what: "a 500 KiB header",
            request: padded(500 * 1024),
            status: 431,
            error_code: "HEADERS_TOO_LARGE",
            messages: &[HEAD_TOO_LARGE, HEADERS_TOO_LARGE],
        },
        Refused {
            // More than hyper's buffer can take in before it looks again (twice ~400 KiB): always
            // hyper's refusal.
            what: "a 2 MiB header",
            request: padded(2 * 1024 * 1024),
            status: 431,
            error_code: "HEADERS_TOO_LARGE",
            messages: &[HEAD_TOO_LARGE],
        },
        Refused {
            // `Host`, `Connection` and 99 more.
            what: "101 headers",
            request: get(
                "/healthz",
                &[vec![closing()], numbered_headers(99)].concat(),
            ),
            status: 431,
            error_code: "HEADERS_TOO_LARGE",
            messages: &[HEAD_TOO_LARGE],
        },
        Refused {
            what: "a header name with a space",
            request: get(
                "/healthz",
                &[closing(), ("X Padding".to_owned(), "p".to_owned())],
            ),
            status: 400,
            error_code: "VALIDATION_FAILED",
            messages: &[
                "the request's head could not be read: its request line or a header is not \
                         valid HTTP/1.1",
            ],
        },
    ]
}

impl Refused {
    /// Asserts `answer` is this refusal's envelope, on a connection the server then closed.
    #[track_caller]
    pub fn assert_answer(&self, answer: &[u8]) {
        let answer = parse_answer(answer);
        answer.assert_error(self.status, self.error_code);
        assert!(
            self.messages
                .iter()
                .any(|message| answer.body["message"] == *message),
            "{}: {}",
            self.what,
            answer.text
        );
        assert_eq!(answer.header("connection"), Some("close"), "{}", self.what);
    }
}

#[tokio::test]
async fn heads_hyper_refuses_are_answered_in_the_error_envelope() {
    on_every_backend(|app| async move {
        for refused in refused_requests() {
            let stream = app.connect().await;
            refused.assert_answer(&exchange(stream, refused.request.clone()).await);
        }
    })
    .await;
}

#[tokio::test]
async fn a_refusal_after_answers_on_the_same_connection_is_in_the_envelope_too() {
    on_every_backend(|app| async move {
        let mut stream = app.connect().await;
        // Two answers of the application first, then a head hyper refuses, on one connection.
        for _ in 0..2 {
            stream
                .write_all(&get("/healthz", &[]))
                .await
                .expect("written");
            let answer = parse_answer(&read_one_answer(&mut stream).await);
            assert_eq!(answer.status, 200, "{}", answer.text);
        }
        let refused = refused_requests().swap_remove(3);
        assert_eq!(refused.what, "101 headers");
        refused.assert_answer(&exchange(stream, refused.request.clone()).await);
    })
    .await;
}

#[tokio::test]
async fn a_head_within_hypers_bounds_reaches_the_application() {
    on_every_backend(|app| async move {
        // 100 headers, hyper's most: `Host`, `Connection: close` (so that the answer ends the
        // stream) and 98 more. The application answers, with its request id.
        let stream = app.connect().await;
        let headers = [vec![closing()], numbered_headers(98)].concat();
        let answer = parse_answer(&exchange(stream, get("/healthz", &headers)).await);
        assert_eq!(answer.status, 200, "{}", answer.text);
        assert!(
            answer.header("x-request-id").is_some(),
            "{:?}",
            answer.headers
        );
    })
    .await;
}

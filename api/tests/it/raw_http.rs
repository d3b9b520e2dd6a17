//! Requests written byte for byte, for what an HTTP client library would not send (a 70 KiB URL,
//! 101 headers, a malformed header line), and their answers read whole.

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use crate::support::TestResponse;

/// `GET target` with a `Host` and `headers`, as bytes.
pub fn get(target: &str, headers: &[(String, String)]) -> Vec<u8> {
    let mut request = format!("GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    request.into_bytes()
}

/// `count` small headers, `X-Header-1: 1` and on.
pub fn numbered_headers(count: usize) -> Vec<(String, String)> {
    (1..=count)
        .map(|index| (format!("X-Header-{index}"), index.to_string()))
        .collect()
}

/// `Connection: close`: the server closes the connection after its answer, whoever gives it.
pub fn closing() -> (String, String) {
    ("Connection".to_owned(), "close".to_owned())
}

/// Writes `request` on `stream` while reading what comes back, until the server closes the connection.
/// Writing goes on beside reading: the server may answer before it has read the whole request, and
/// then stop reading (a write error is then expected, and ignored).
pub async fn exchange<S>(stream: S, request: Vec<u8>) -> Vec<u8>
where
    S: AsyncRead + AsyncWrite + Send + 'static,
{
    let (mut reader, mut writer) = tokio::io::split(stream);
    let writing = tokio::spawn(async move {
        let _ = writer.write_all(&request).await;
        let _ = writer.flush().await;
        writer
    });
    let answer = read_until_closed(&mut reader).await;
    // Kept open until the answer is read: a TLS close_notify must not come first.
    drop(writing.await.expect("the writer"));
    answer
}

/// Everything read until the end of the stream (or an error, such as a reset after the answer).
pub async fn read_until_closed(reader: &mut (impl AsyncRead + Unpin)) -> Vec<u8> {
    let mut answer = Vec::new();
    let mut chunk = [0_u8; 16 * 1024];
    loop {
        match reader.read(&mut chunk).await {
            Ok(0) | Err(_) => return answer,
            Ok(read) => answer.extend_from_slice(&chunk[..read]),
        }
    }
}

/// Reads exactly one answer with a `content-length` from `reader`, leaving the connection open.
pub async fn read_one_answer(reader: &mut (impl AsyncRead + Unpin)) -> Vec<u8> {
    let mut answer = Vec::new();
    let mut byte = [0_u8; 1];
    while !answer.ends_with(b"\r\n\r\n") {
        reader
            .read_exact(&mut byte)
            .await
            .expect("an answer's head");
        answer.push(byte[0]);
    }
    let length = content_length(&answer).expect("a content-length");
    let mut body = vec![0_u8; length];
    reader
        .read_exact(&mut body)
        .await
        .expect("the answer's body");
    answer.extend_from_slice(&body);
    answer
}

fn content_length(head: &[u8]) -> Option<usize> {
    String::from_utf8_lossy(head).lines().find_map(|line| {
        let (name, value) = line.split_once(':')?;
        name.eq_ignore_ascii_case("content-length")
            .then(|| value.trim().parse().ok())?
    })
}

/// One whole HTTP/1.1 answer (head and the body its `content-length` announces, nothing after), read
/// as the tests read every other.
#[track_caller]
pub fn parse_answer(bytes: &[u8]) -> TestResponse {
    let text = String::from_utf8_lossy(bytes).into_owned();
    let (head, body) = text
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("no complete head in {text:?}"));
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status = status_line
        .strip_prefix("HTTP/1.1 ")
        .and_then(|rest| rest.get(..3))
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("no HTTP/1.1 status line in {text:?}"));
    let mut headers = reqwest::header::HeaderMap::new();
    for line in lines {
        let (name, value) = line
            .split_once(": ")
            .unwrap_or_else(|| panic!("a header line: {line:?}"));
        headers.append(
            reqwest::header::HeaderName::from_bytes(name.as_bytes()).expect("a header name"),
            reqwest::header::HeaderValue::from_str(value).expect("a header value"),
        );
    }
    assert_eq!(
        content_length(head.as_bytes()),
        Some(body.len()),
        "the body is as long as announced, and nothing follows it: {text:?}"
    );
    TestResponse {
        status,
        headers,
        body: serde_json::from_str(body).unwrap_or(serde_json::Value::Null),
        text: body.to_owned(),
    }
}

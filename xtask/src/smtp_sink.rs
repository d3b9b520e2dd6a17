//! The sending benchmark's SMTP sink: a small tokio receiver on 127.0.0.1 (one thread) that accepts
//! every message (220, EHLO/HELO, MAIL, RCPT, DATA up to CRLF.CRLF, 250, RSET, NOOP, QUIT) and
//! records, per message, when it arrived, its envelope and its `Message-ID`, and keeps the open and
//! click tracking tokens of the first messages for the tracking scenario. Fast enough that the
//! engine, not the sink, is measured.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// Tracking tokens kept per kind: enough distinct URLs for wrk to cycle through.
const TOKENS_KEPT: usize = 1_000;

/// One message as the sink received it.
#[derive(Debug, Clone)]
pub(crate) struct Received {
    pub(crate) at: Instant,
    /// `MAIL FROM`: the sending mailbox.
    pub(crate) sender: String,
    /// `RCPT TO`, in order.
    pub(crate) recipients: Vec<String>,
    pub(crate) message_id: Option<String>,
}

/// The open (`/t/o/…`) and click (`/t/c/…`) tokens found in the first messages.
#[derive(Debug, Clone, Default)]
pub(crate) struct Tokens {
    pub(crate) opens: Vec<String>,
    pub(crate) clicks: Vec<String>,
}

#[derive(Default)]
struct Record {
    received: Vec<Received>,
    tokens: Tokens,
}

/// A running sink; it stops with the process.
pub(crate) struct SmtpSink {
    port: u16,
    record: Arc<Mutex<Record>>,
}

impl SmtpSink {
    /// Listens on an ephemeral port of 127.0.0.1, serving from a thread of its own.
    pub(crate) fn start() -> Result<SmtpSink, String> {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")
            .map_err(|error| format!("the SMTP sink cannot listen: {error}"))?;
        listener
            .set_nonblocking(true)
            .map_err(|error| format!("the SMTP sink cannot listen: {error}"))?;
        let port = listener
            .local_addr()
            .map_err(|error| format!("the SMTP sink has no address: {error}"))?
            .port();
        let record = Arc::new(Mutex::new(Record::default()));
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .build()
            .map_err(|error| format!("the SMTP sink has no runtime: {error}"))?;
        let shared = record.clone();
        std::thread::spawn(move || {
            runtime.block_on(async move {
                let Ok(listener) = TcpListener::from_std(listener) else {
                    return;
                };
                while let Ok((stream, _)) = listener.accept().await {
                    tokio::spawn(serve(stream, shared.clone()));
                }
            });
        });
        Ok(SmtpSink { port, record })
    }

    pub(crate) fn port(&self) -> u16 {
        self.port
    }

    /// Every message received so far, in arrival order.
    pub(crate) fn received(&self) -> Vec<Received> {
        self.lock().received.clone()
    }

    pub(crate) fn tokens(&self) -> Tokens {
        self.lock().tokens.clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Record> {
        self.record.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// One SMTP session, until QUIT or the client goes.
async fn serve(stream: TcpStream, record: Arc<Mutex<Record>>) {
    let _ = stream.set_nodelay(true);
    let (reader, mut writer) = stream.into_split();
    let mut reader = BufReader::new(reader);
    if writer.write_all(b"220 sink ESMTP\r\n").await.is_err() {
        return;
    }
    let (mut sender, mut recipients) = (String::new(), Vec::new());
    let mut line = Vec::new();
    loop {
        line.clear();
        match reader.read_until(b'\n', &mut line).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let command = String::from_utf8_lossy(&line);
        let verb = command.get(..4).unwrap_or_default().to_ascii_uppercase();
        let answer: &[u8] = match verb.as_str() {
            "EHLO" => b"250-sink\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n",
            "MAIL" => {
                sender = angle_address(&command);
                recipients.clear();
                b"250 OK\r\n"
            }
            "RCPT" => {
                recipients.push(angle_address(&command));
                b"250 OK\r\n"
            }
            "DATA" => {
                if writer.write_all(b"354 go ahead\r\n").await.is_err() {
                    return;
                }
                let Some(data) = read_data(&mut reader).await else {
                    return;
                };
                let at = Instant::now();
                let message_id = header(&data, "message-id");
                let mut record = record.lock().unwrap_or_else(PoisonError::into_inner);
                if record.tokens.opens.len() < TOKENS_KEPT {
                    let text = decoded_text(&data);
                    let tokens = &mut record.tokens;
                    tokens.opens.extend(token_after(&text, "/t/o/"));
                    tokens.clicks.extend(token_after(&text, "/t/c/"));
                }
                record.received.push(Received {
                    at,
                    sender: std::mem::take(&mut sender),
                    recipients: std::mem::take(&mut recipients),
                    message_id,
                });
                b"250 OK queued\r\n"
            }
            "QUIT" => {
                let _ = writer.write_all(b"221 bye\r\n").await;
                return;
            }
            // HELO, RSET, NOOP and anything else.
            _ => b"250 OK\r\n",
        };
        if writer.write_all(answer).await.is_err() {
            return;
        }
    }
}

/// The message's lines up to the lone `.` line, dot-unstuffed.
async fn read_data<R: AsyncBufReadExt + Unpin>(reader: &mut R) -> Option<Vec<u8>> {
    let mut data = Vec::new();
    let mut line = Vec::new();
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line).await.ok()? == 0 {
            return None;
        }
        if line == b".\r\n" || line == b".\n" {
            return Some(data);
        }
        let unstuffed = if line.starts_with(b"..") {
            &line[1..]
        } else {
            &line[..]
        };
        data.extend_from_slice(unstuffed);
    }
}

/// The address between `<` and `>` of a MAIL or RCPT command.
fn angle_address(command: &str) -> String {
    command
        .split_once('<')
        .and_then(|(_, rest)| rest.split_once('>'))
        .map_or_else(String::new, |(address, _)| address.to_ascii_lowercase())
}

/// The value of the first header `name` (lowercase) of the message's head.
fn header(data: &[u8], name: &str) -> Option<String> {
    let text = String::from_utf8_lossy(data);
    let head = text.split("\r\n\r\n").next()?;
    head.lines().find_map(|line| {
        let (field, value) = line.split_once(':')?;
        field
            .eq_ignore_ascii_case(name)
            .then(|| value.trim().to_owned())
    })
}

/// The message as text with its parts' transfer encodings undone, well enough to find URLs:
/// quoted-printable soft line breaks and `=3D` removed, and every base64 block decoded and added.
fn decoded_text(data: &[u8]) -> String {
    let raw = String::from_utf8_lossy(data);
    let mut text = raw.replace("=\r\n", "").replace("=3D", "=");
    let mut block = String::new();
    for line in raw.lines().chain([""]) {
        let is_base64 = !line.is_empty()
            && line
                .bytes()
                .all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'+' | b'/' | b'='));
        if is_base64 {
            block.push_str(line);
        } else if !block.is_empty() {
            text.push('\n');
            text.push_str(&String::from_utf8_lossy(&base64_decode(&block)));
            block.clear();
        }
    }
    text
}

/// Standard base64 (padding optional); undecodable characters are skipped.
fn base64_decode(text: &str) -> Vec<u8> {
    let value = |byte: u8| -> Option<u32> {
        Some(match byte {
            b'A'..=b'Z' => byte - b'A',
            b'a'..=b'z' => byte - b'a' + 26,
            b'0'..=b'9' => byte - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    let (mut bytes, mut buffer, mut bits) = (Vec::new(), 0_u32, 0);
    for sextet in text.bytes().filter_map(value) {
        buffer = (buffer << 6) | sextet;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            bytes.push((buffer >> bits) as u8);
            buffer &= (1 << bits) - 1;
        }
    }
    bytes
}

/// The first token (URL-safe characters) after `prefix` in `text`.
fn token_after(text: &str, prefix: &str) -> Option<String> {
    let start = text.find(prefix)? + prefix.len();
    let token: String = text[start..]
        .chars()
        .take_while(|character| character.is_ascii_alphanumeric() || matches!(character, '-' | '_'))
        .collect();
    (!token.is_empty()).then_some(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_decodes_what_the_standard_encodes() {
        assert_eq!(base64_decode("aGVsbG8gd29ybGQ="), b"hello world");
        assert_eq!(base64_decode("YQ"), b"a");
    }

    #[test]
    fn tokens_are_found_in_quoted_printable_and_base64_parts() {
        let quoted = b"Content-Transfer-Encoding: quoted-printable\r\n\r\n<img src=3D\"http://h/t/o/ab=\r\ncd_-1\">\r\n";
        assert_eq!(
            token_after(&decoded_text(quoted), "/t/o/").as_deref(),
            Some("abcd_-1")
        );
        // "<a href="http://h/t/c/xy-9">" in base64.
        let encoded = b"Content-Transfer-Encoding: base64\r\n\r\nPGEgaHJlZj0iaHR0cDovL2gvdC9jL3h5LTkiPg==\r\n";
        assert_eq!(
            token_after(&decoded_text(encoded), "/t/c/").as_deref(),
            Some("xy-9")
        );
    }
}

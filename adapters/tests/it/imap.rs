//! `MailboxReader` over IMAP (`ImapMailboxReader`) against a real IMAP server on this machine
//! (dovecot, see `adapters::testing::imap`): messages are put in with IMAP `APPEND`, and what the
//! server holds (flags, its log) is read back from the server itself.

use std::net::{IpAddr, TcpListener, UdpSocket};
use std::sync::{Arc, Mutex};

use adapters::ImapMailboxReader;
use adapters::testing::imap::{ImapServer, PASSWORD, USER};
use anyhow::{Context as _, ensure};
use application::ports::{
    ImapConnection, InboxBatch, InboxPosition, LoginCredentials, MailboxReader, ReadFailure,
};
use domain::credential::Credential;
use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _, BufReader};

/// A reply with CRLF line ends, 8-bit text and a trailing space: its bytes must come back as they
/// were appended.
fn message(number: u32) -> Vec<u8> {
    format!(
        "From: Grace Lead <grace@lead.example>\r\n\
         To: Ada Sender <ada@sender.example>\r\n\
         Subject: Re: Quick question {number}\r\n\
         Message-ID: <reply.{number}@lead.example>\r\n\
         In-Reply-To: <second.42@sender.example>\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\
         Content-Transfer-Encoding: 8bit\r\n\
         \r\n\
         Reply number {number}: Grüße \r\n\
         > quoted line\r\n"
    )
    .into_bytes()
}

fn reader(server: &ImapServer) -> ImapMailboxReader {
    ImapMailboxReader::with_extra_root(server.certificate()).expect("dovecot's certificate is DER")
}

/// Plain text with STARTTLS, to 127.0.0.1.
fn starttls(server: &ImapServer) -> ImapConnection {
    connection(server.host(), server.port(), false, PASSWORD)
}

fn implicit_tls(server: &ImapServer) -> ImapConnection {
    connection(server.host(), server.tls_port(), true, PASSWORD)
}

fn connection(host: &str, port: u16, secure: bool, password: &str) -> ImapConnection {
    ImapConnection {
        host: host.to_owned(),
        port,
        secure,
        credentials: LoginCredentials {
            username: USER.to_owned(),
            password: Credential::new(password),
        },
    }
}

async fn append_messages(
    server: &ImapServer,
    numbers: std::ops::RangeInclusive<u32>,
) -> anyhow::Result<()> {
    for number in numbers {
        server.append(USER, &message(number)).await?;
    }
    Ok(())
}

fn raw_messages(batch: &InboxBatch) -> Vec<Vec<u8>> {
    batch
        .messages
        .iter()
        .map(|message| message.raw.clone())
        .collect()
}

fn uids(batch: &InboxBatch) -> Vec<u32> {
    batch.messages.iter().map(|message| message.uid).collect()
}

#[tokio::test]
async fn check_logs_in_over_starttls_when_the_server_offers_it() -> anyhow::Result<()> {
    let server = ImapServer::start()?;
    reader(&server).check(&starttls(&server)).await?;

    // dovecot marks a login over TLS "TLS" (a plain one on loopback only "secured").
    let logs = server.logs();
    let login = logs
        .lines()
        .find(|line| line.contains("Login: user=<ada>"))
        .with_context(|| format!("a login in the server's log:\n{logs}"))?;
    assert!(login.contains(", TLS"), "{login}");
    Ok(())
}

#[tokio::test]
async fn starttls_to_an_untrusted_certificate_is_a_temporary_failure_before_login()
-> anyhow::Result<()> {
    let server = ImapServer::start()?;
    let outcome = ImapMailboxReader::new().check(&starttls(&server)).await;

    assert!(
        matches!(&outcome, Err(ReadFailure::Temporary { detail }) if detail.starts_with("TLS")),
        "{outcome:?}"
    );
    assert!(!server.logs().contains("Login: user="), "{}", server.logs());
    Ok(())
}

#[tokio::test]
async fn check_logs_in_over_implicit_tls() -> anyhow::Result<()> {
    let server = ImapServer::start()?;
    reader(&server).check(&implicit_tls(&server)).await?;

    let logs = server.logs();
    let login = logs
        .lines()
        .find(|line| line.contains("Login: user=<ada>"))
        .with_context(|| format!("a login in the server's log:\n{logs}"))?;
    assert!(login.contains(", TLS"), "{login}");
    Ok(())
}

#[tokio::test]
async fn a_wrong_password_is_an_authentication_failure() -> anyhow::Result<()> {
    let server = ImapServer::start()?;
    let wrong = connection(server.host(), server.tls_port(), true, "wrong horse");

    let checked = reader(&server).check(&wrong).await;
    assert!(
        matches!(checked, Err(ReadFailure::Authentication { .. })),
        "{checked:?}"
    );
    let read = reader(&server).read_after(&wrong, None, 10).await;
    assert!(
        matches!(read, Err(ReadFailure::Authentication { .. })),
        "{read:?}"
    );
    Ok(())
}

#[tokio::test]
async fn a_closed_port_is_a_temporary_failure() -> anyhow::Result<()> {
    let closed_port = {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        listener.local_addr()?.port()
    };
    let outcome = ImapMailboxReader::new()
        .check(&connection("127.0.0.1", closed_port, false, PASSWORD))
        .await;

    assert!(
        matches!(outcome, Err(ReadFailure::Temporary { .. })),
        "{outcome:?}"
    );
    Ok(())
}

#[tokio::test]
async fn a_server_that_never_answers_is_a_temporary_failure_after_10_seconds() -> anyhow::Result<()>
{
    // Accepts the connection and says nothing: no greeting ever comes.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let port = listener.local_addr()?.port();
    let silent = tokio::spawn(async move {
        let accepted = listener.accept().await;
        tokio::time::sleep(std::time::Duration::from_secs(30)).await;
        drop(accepted);
    });
    let started = std::time::Instant::now();

    let outcome = ImapMailboxReader::new()
        .check(&connection("127.0.0.1", port, false, PASSWORD))
        .await;

    let waited = started.elapsed();
    silent.abort();
    assert!(
        matches!(&outcome, Err(ReadFailure::Temporary { detail }) if detail.contains("within 10 s")),
        "{outcome:?}"
    );
    assert!((9..15).contains(&waited.as_secs()), "waited {waited:?}");
    Ok(())
}

#[tokio::test]
async fn credentials_are_never_sent_without_tls_to_a_host_other_than_loopback() -> anyhow::Result<()>
{
    // A server on this machine's own network address: not loopback, but reachable, so the test
    // sees every byte it received. It offers no STARTTLS and would accept any LOGIN.
    let server = RecordingServer::start(non_loopback_address_of_this_machine()?).await?;
    let outcome = ImapMailboxReader::new()
        .check(&connection(&server.host, server.port, false, PASSWORD))
        .await;

    assert!(
        matches!(&outcome, Err(ReadFailure::InsecureConnection { host }) if *host == server.host),
        "{outcome:?}"
    );
    let received = server.received().await;
    assert!(!received.contains("LOGIN"), "{received:?}");
    assert!(!received.contains(PASSWORD), "{received:?}");
    Ok(())
}

#[tokio::test]
async fn credentials_may_travel_in_plain_text_to_a_loopback_host() -> anyhow::Result<()> {
    // The same server on 127.0.0.1 does receive the LOGIN: the test above can see one.
    let server = RecordingServer::start(IpAddr::from([127, 0, 0, 1])).await?;
    let outcome = ImapMailboxReader::new()
        .check(&connection(&server.host, server.port, false, PASSWORD))
        .await;

    assert!(outcome.is_ok(), "{outcome:?}");
    let received = server.received().await;
    assert!(
        received.contains(&format!("LOGIN \"{USER}\" \"{PASSWORD}\"")),
        "{received:?}"
    );
    Ok(())
}

#[tokio::test]
async fn reading_from_no_position_returns_every_message_oldest_first_with_its_exact_bytes()
-> anyhow::Result<()> {
    let server = ImapServer::start()?;
    append_messages(&server, 1..=3).await?;

    let batch = reader(&server)
        .read_after(&starttls(&server), None, 100)
        .await?;

    assert_eq!(
        raw_messages(&batch),
        [message(1), message(2), message(3)],
        "every message, oldest first, byte for byte"
    );
    assert_eq!(uids(&batch), [1, 2, 3]);
    assert_eq!(
        batch.position,
        InboxPosition {
            uid_validity: server.uid_validity(USER).await?,
            last_uid: 3
        }
    );
    Ok(())
}

#[tokio::test]
async fn reading_an_empty_inbox_returns_nothing_and_the_servers_uidvalidity() -> anyhow::Result<()>
{
    let server = ImapServer::start()?;
    let batch = reader(&server)
        .read_after(&implicit_tls(&server), None, 100)
        .await?;

    assert!(batch.messages.is_empty());
    assert_eq!(
        batch.position,
        InboxPosition {
            uid_validity: server.uid_validity(USER).await?,
            last_uid: 0
        }
    );
    Ok(())
}

#[tokio::test]
async fn after_the_returned_position_a_second_read_returns_nothing_new() -> anyhow::Result<()> {
    let server = ImapServer::start()?;
    append_messages(&server, 1..=2).await?;
    let reader = reader(&server);
    let first = reader.read_after(&starttls(&server), None, 100).await?;

    let second = reader
        .read_after(&starttls(&server), Some(first.position), 100)
        .await?;

    assert!(second.messages.is_empty(), "{:?}", uids(&second));
    assert_eq!(second.position, first.position);
    Ok(())
}

#[tokio::test]
async fn a_message_appended_after_the_position_is_returned_alone() -> anyhow::Result<()> {
    let server = ImapServer::start()?;
    append_messages(&server, 1..=2).await?;
    let reader = reader(&server);
    let first = reader.read_after(&starttls(&server), None, 100).await?;
    server.append(USER, &message(3)).await?;

    let second = reader
        .read_after(&starttls(&server), Some(first.position), 100)
        .await?;

    assert_eq!(raw_messages(&second), [message(3)]);
    assert_eq!(second.position.last_uid, 3);
    assert_eq!(second.position.uid_validity, first.position.uid_validity);
    Ok(())
}

#[tokio::test]
async fn a_message_deleted_before_it_was_read_does_not_bring_back_an_older_one()
-> anyhow::Result<()> {
    // `UID FETCH 4:*` names the highest message even when its UID is below 4 (RFC 3501 6.4.8):
    // here UID 3, once UID 4 arrived (UIDNEXT 5) and was deleted before this read.
    let server = ImapServer::start()?;
    append_messages(&server, 1..=3).await?;
    let reader = reader(&server);
    let first = reader.read_after(&starttls(&server), None, 100).await?;
    server.append(USER, &message(4)).await?;
    server.delete(USER, 4).await?;

    let second = reader
        .read_after(&starttls(&server), Some(first.position), 100)
        .await?;

    assert!(second.messages.is_empty(), "{:?}", uids(&second));
    assert_eq!(second.position, first.position);
    Ok(())
}

#[tokio::test]
async fn the_limit_caps_the_batch_and_its_position_continues_from_there() -> anyhow::Result<()> {
    let server = ImapServer::start()?;
    append_messages(&server, 1..=5).await?;
    let reader = reader(&server);

    let first = reader.read_after(&starttls(&server), None, 2).await?;
    let second = reader
        .read_after(&starttls(&server), Some(first.position), 2)
        .await?;
    let third = reader
        .read_after(&starttls(&server), Some(second.position), 2)
        .await?;

    assert_eq!(raw_messages(&first), [message(1), message(2)]);
    assert_eq!(first.position.last_uid, 2);
    assert_eq!(raw_messages(&second), [message(3), message(4)]);
    assert_eq!(raw_messages(&third), [message(5)]);
    assert_eq!(third.position.last_uid, 5);
    Ok(())
}

#[tokio::test]
async fn a_recreated_inbox_is_read_from_the_start_under_its_new_uidvalidity() -> anyhow::Result<()>
{
    let server = ImapServer::start()?;
    append_messages(&server, 1..=3).await?;
    let reader = reader(&server);
    let before = reader.read_after(&starttls(&server), None, 100).await?;
    let new_uid_validity = server.recreate_inbox(USER).await?;
    append_messages(&server, 4..=5).await?;

    let after = reader
        .read_after(&starttls(&server), Some(before.position), 100)
        .await?;

    assert_ne!(new_uid_validity, before.position.uid_validity);
    assert_eq!(
        raw_messages(&after),
        [message(4), message(5)],
        "UIDs 1 and 2 of the new INBOX are below the old position, and new"
    );
    assert_eq!(
        after.position,
        InboxPosition {
            uid_validity: new_uid_validity,
            last_uid: 2
        }
    );
    Ok(())
}

#[tokio::test]
async fn a_position_of_another_uidvalidity_reads_everything_under_the_servers() -> anyhow::Result<()>
{
    let server = ImapServer::start()?;
    append_messages(&server, 1..=3).await?;
    let uid_validity = server.uid_validity(USER).await?;
    let stale = InboxPosition {
        uid_validity: uid_validity.wrapping_add(1),
        last_uid: 2,
    };

    let batch = reader(&server)
        .read_after(&starttls(&server), Some(stale), 100)
        .await?;

    assert_eq!(raw_messages(&batch), [message(1), message(2), message(3)]);
    assert_eq!(
        batch.position,
        InboxPosition {
            uid_validity,
            last_uid: 3
        }
    );
    Ok(())
}

#[tokio::test]
async fn reading_leaves_the_seen_flags_as_they_were() -> anyhow::Result<()> {
    let server = ImapServer::start()?;
    server.append(USER, &message(1)).await?;
    server
        .append_with_flags(USER, &message(2), Some("(\\Seen)"))
        .await?;
    server.append(USER, &message(3)).await?;
    let before = server.flags(USER).await?;

    let batch = reader(&server)
        .read_after(&starttls(&server), None, 100)
        .await?;
    reader(&server).check(&starttls(&server)).await?;

    assert_eq!(batch.messages.len(), 3);
    let after = server.flags(USER).await?;
    assert_eq!(after, before);
    let seen: Vec<bool> = after
        .iter()
        .map(|message| message.flags.iter().any(|flag| flag == "\\Seen"))
        .collect();
    assert_eq!(seen, [false, true, false]);
    Ok(())
}

/// A minimal IMAP server that greets without STARTTLS, answers every tagged command `OK`, and
/// records every byte it receives.
struct RecordingServer {
    host: String,
    port: u16,
    received: Arc<Mutex<Vec<u8>>>,
    task: tokio::task::JoinHandle<()>,
}

impl RecordingServer {
    async fn start(address: IpAddr) -> anyhow::Result<RecordingServer> {
        let listener = tokio::net::TcpListener::bind((address, 0)).await?;
        let port = listener.local_addr()?.port();
        let received = Arc::new(Mutex::new(Vec::new()));
        let record = Arc::clone(&received);
        let task = tokio::spawn(async move {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let (read, mut write) = stream.into_split();
            let _ = write
                .write_all(b"* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] recording server ready\r\n")
                .await;
            let mut lines = BufReader::new(read);
            let mut line = Vec::new();
            while lines
                .read_until(b'\n', &mut line)
                .await
                .is_ok_and(|read| read > 0)
            {
                record
                    .lock()
                    .expect("not poisoned")
                    .extend_from_slice(&line);
                let text = String::from_utf8_lossy(&line).into_owned();
                let tag = text.split(' ').next().unwrap_or("*");
                let answer = if text.contains(" EXAMINE ") || text.contains(" SELECT ") {
                    format!(
                        "* 0 EXISTS\r\n* OK [UIDVALIDITY 7] ok\r\n* OK [UIDNEXT 1] ok\r\n{tag} OK done\r\n"
                    )
                } else {
                    format!("{tag} OK done\r\n")
                };
                let _ = write.write_all(answer.as_bytes()).await;
                line.clear();
            }
        });
        Ok(RecordingServer {
            host: address.to_string(),
            port,
            received,
            task,
        })
    }

    /// Everything received, once the client has gone (or after 10 s).
    async fn received(self) -> String {
        let _ = tokio::time::timeout(std::time::Duration::from_secs(10), self.task).await;
        let received = self.received.lock().expect("not poisoned");
        String::from_utf8_lossy(&received).into_owned()
    }
}

/// The address this machine uses towards other hosts. Connecting a UDP socket sends nothing; it only
/// asks the kernel which local address the route would use.
fn non_loopback_address_of_this_machine() -> anyhow::Result<IpAddr> {
    let socket = UdpSocket::bind("0.0.0.0:0")?;
    socket
        .connect("203.0.113.1:9")
        .context("this test needs a route to a non-loopback address (a default route will do)")?;
    let address = socket.local_addr()?.ip();
    ensure!(
        !address.is_loopback() && !address.is_unspecified(),
        "no non-loopback address on this machine: {address}"
    );
    Ok(address)
}

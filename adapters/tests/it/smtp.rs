//! `MailTransport` over SMTP (`LettreMailTransport`) against a real SMTP server on this machine
//! (aiosmtpd, see `adapters::testing::smtp`): each test asserts on what that server received.

use std::net::{IpAddr, TcpListener, UdpSocket};

use adapters::LettreMailTransport;
use adapters::testing::smtp::{ReceivedMessage, SmtpSink, SmtpSinkOptions};
use anyhow::{Context as _, ensure};
use application::ports::{
    Envelope, ExtraHeader, LoginCredentials, MailTransport, MessageId, NamedAddress,
    OutgoingMessage, OutgoingMessageParts, SendFailure, SmtpConnection,
};
use chrono::{TimeZone as _, Utc};
use domain::credential::Credential;
use domain::values::EmailAddress;

fn address(raw: &str) -> EmailAddress {
    EmailAddress::parse(raw).expect("a valid test address")
}

/// A follow-up with every header SENDING.md section 3 asks for.
fn parts() -> OutgoingMessageParts {
    OutgoingMessageParts {
        from: NamedAddress::new(Some("Ada Sender"), address("ada@sender.example")),
        to: NamedAddress::new(Some("Grace Lead"), address("grace@lead.example")),
        cc: vec![NamedAddress::new(None, address("cc@team.example"))],
        bcc: vec![address("hidden@team.example")],
        subject: "Quick question".to_owned(),
        date: Utc
            .with_ymd_and_hms(2026, 3, 9, 14, 30, 0)
            .single()
            .expect("a valid date"),
        message_id: MessageId::parse("second.42@sender.example").expect("valid"),
        in_reply_to: Some(MessageId::parse("first.41@sender.example").expect("valid")),
        references: vec![MessageId::parse("first.41@sender.example").expect("valid")],
        html_body: "<p>Hello Grace,</p><p>Café?</p>".to_owned(),
        text_body: "Hello Grace,\n\nCafé?".to_owned(),
        extra_headers: vec![
            ExtraHeader::new("List-Unsubscribe", "<https://track.example/u/tok123>")
                .expect("valid"),
            ExtraHeader::new("List-Unsubscribe-Post", "List-Unsubscribe=One-Click").expect("valid"),
        ],
    }
}

fn plain(sink: &SmtpSink) -> SmtpConnection {
    SmtpConnection {
        host: sink.host().to_owned(),
        port: sink.port(),
        secure: false,
        credentials: None,
    }
}

fn with_login(mut connection: SmtpConnection, username: &str, password: &str) -> SmtpConnection {
    connection.credentials = Some(LoginCredentials {
        username: username.to_owned(),
        password: Credential::new(password),
    });
    connection
}

async fn send(
    connection: &SmtpConnection,
    message: &OutgoingMessage,
) -> Result<application::ports::SmtpAccepted, SendFailure> {
    LettreMailTransport::new()
        .send(connection, &Envelope::for_message(message), message)
        .await
}

fn only_message(sink: &SmtpSink) -> anyhow::Result<ReceivedMessage> {
    let mut received = sink.received()?;
    ensure!(
        received.len() == 1,
        "expected one message, got {}",
        received.len()
    );
    Ok(received.remove(0))
}

#[tokio::test]
async fn a_message_arrives_with_its_headers_and_a_text_and_an_html_part() -> anyhow::Result<()> {
    let sink = SmtpSink::start()?;
    let accepted = send(&plain(&sink), &OutgoingMessage::new(parts())).await?;
    assert!(accepted.reply.starts_with("250"), "{}", accepted.reply);

    let received = only_message(&sink)?;
    assert_eq!(received.mail_from, "ada@sender.example");
    assert_eq!(
        received.recipients,
        [
            "grace@lead.example",
            "cc@team.example",
            "hidden@team.example"
        ]
    );
    let header = |name: &str| received.header(name).with_context(|| format!("one {name}"));
    assert_eq!(header("From")?, "\"Ada Sender\" <ada@sender.example>");
    assert_eq!(header("To")?, "\"Grace Lead\" <grace@lead.example>");
    assert_eq!(header("Cc")?, "cc@team.example");
    assert_eq!(header("Subject")?, "Quick question");
    assert_eq!(header("Date")?, "Mon, 09 Mar 2026 14:30:00 +0000");
    assert_eq!(header("Message-ID")?, "<second.42@sender.example>");
    assert_eq!(header("In-Reply-To")?, "<first.41@sender.example>");
    assert_eq!(header("References")?, "<first.41@sender.example>");
    assert_eq!(
        header("List-Unsubscribe")?,
        "<https://track.example/u/tok123>"
    );
    assert_eq!(
        header("List-Unsubscribe-Post")?,
        "List-Unsubscribe=One-Click"
    );
    assert!(header("Content-Type")?.starts_with("multipart/alternative"));
    let text = received.text();
    let plain_part = text
        .find("Content-Type: text/plain")
        .context("a text part")?;
    let html_part = text
        .find("Content-Type: text/html")
        .context("an HTML part")?;
    assert!(plain_part < html_part, "the preferred HTML part comes last");
    let (plain_body, html_body) = text[plain_part..].split_at(html_part - plain_part);
    assert!(
        plain_body.contains("Hello Grace,") && !plain_body.contains("<p>"),
        "{plain_body}"
    );
    assert!(html_body.contains("<p>Hello Grace,</p>"), "{html_body}");
    Ok(())
}

#[tokio::test]
async fn bcc_recipients_are_in_the_envelope_only_never_in_a_header() -> anyhow::Result<()> {
    let sink = SmtpSink::start()?;
    send(&plain(&sink), &OutgoingMessage::new(parts())).await?;

    let received = only_message(&sink)?;
    assert!(
        received
            .recipients
            .contains(&"hidden@team.example".to_owned())
    );
    assert!(received.header_values("Bcc").is_empty());
    assert!(!received.text().contains("hidden@team.example"));
    Ok(())
}

#[tokio::test]
async fn a_non_ascii_subject_and_display_name_are_rfc2047_encoded() -> anyhow::Result<()> {
    let sink = SmtpSink::start()?;
    let mut parts = parts();
    parts.subject = "Grüße aus Köln".to_owned();
    parts.from = NamedAddress::new(Some("Zoë Ünal"), address("zoe@sender.example"));
    send(&plain(&sink), &OutgoingMessage::new(parts)).await?;

    let received = only_message(&sink)?;
    let subject = received.header("Subject").context("a Subject")?;
    let from = received.header("From").context("a From")?;
    assert!(subject.starts_with("=?utf-8?"), "{subject}");
    assert!(
        from.starts_with("=?utf-8?") && from.ends_with("<zoe@sender.example>"),
        "{from}"
    );
    let header_section = received.text();
    let header_section = header_section.split("\r\n\r\n").next().unwrap_or_default();
    assert!(
        header_section.is_ascii(),
        "headers travel as ASCII:\n{header_section}"
    );
    Ok(())
}

#[tokio::test]
async fn a_line_break_in_a_stored_value_cannot_add_a_header() -> anyhow::Result<()> {
    let sink = SmtpSink::start()?;
    let mut parts = parts();
    parts.subject = "Hello\r\nX-Injected-Subject: yes".to_owned();
    parts.from = NamedAddress::new(
        Some("Ada\r\nBcc: victim@else.example"),
        address("ada@sender.example"),
    );
    parts.to = NamedAddress::new(
        Some("Grace\nX-Injected-To: yes"),
        address("grace@lead.example"),
    );
    parts.extra_headers = vec![
        ExtraHeader::new(
            "List-Unsubscribe",
            "<https://t.example/u/1>\r\nX-Injected-Extra: yes",
        )
        .expect("a valid name"),
    ];
    send(&plain(&sink), &OutgoingMessage::new(parts)).await?;

    let received = only_message(&sink)?;
    let names: Vec<String> = received
        .headers()
        .into_iter()
        .map(|(name, _)| name.to_ascii_lowercase())
        .collect();
    for injected in [
        "x-injected-subject",
        "x-injected-to",
        "x-injected-extra",
        "bcc",
    ] {
        assert!(
            !names.contains(&injected.to_owned()),
            "{injected} in {names:?}"
        );
    }
    assert!(
        !received
            .recipients
            .contains(&"victim@else.example".to_owned()),
        "{:?}",
        received.recipients
    );
    Ok(())
}

#[tokio::test]
async fn credentials_may_travel_in_plain_text_to_a_loopback_host() -> anyhow::Result<()> {
    let sink = SmtpSink::start_with(SmtpSinkOptions {
        login: Some(("ada".to_owned(), "right horse".to_owned())),
        ..SmtpSinkOptions::default()
    })?;
    send(
        &with_login(plain(&sink), "ada", "right horse"),
        &OutgoingMessage::new(parts()),
    )
    .await?;

    assert_eq!(sink.auth_attempts()?, ["ada"]);
    only_message(&sink)?;
    Ok(())
}

#[tokio::test]
async fn a_wrong_password_is_an_authentication_failure_and_sends_nothing() -> anyhow::Result<()> {
    let sink = SmtpSink::start_with(SmtpSinkOptions {
        login: Some(("ada".to_owned(), "right horse".to_owned())),
        ..SmtpSinkOptions::default()
    })?;
    let outcome = send(
        &with_login(plain(&sink), "ada", "wrong horse"),
        &OutgoingMessage::new(parts()),
    )
    .await;

    assert!(
        matches!(&outcome, Err(SendFailure::Authentication { reply }) if reply.contains("535")),
        "{outcome:?}"
    );
    assert!(sink.received()?.is_empty());
    Ok(())
}

#[tokio::test]
async fn credentials_are_never_sent_without_tls_to_a_host_other_than_loopback() -> anyhow::Result<()>
{
    // The sink listens on this machine's own network address: not loopback, but reachable, so the
    // test sees what the server would have received. It offers no STARTTLS.
    let sink = SmtpSink::start_with(SmtpSinkOptions {
        host: non_loopback_address_of_this_machine()?.to_string(),
        login: Some(("ada".to_owned(), "right horse".to_owned())),
        ..SmtpSinkOptions::default()
    })?;
    let outcome = send(
        &with_login(plain(&sink), "ada", "right horse"),
        &OutgoingMessage::new(parts()),
    )
    .await;

    assert!(
        matches!(&outcome, Err(SendFailure::InsecureConnection { host }) if host == sink.host()),
        "{outcome:?}"
    );
    assert!(sink.auth_attempts()?.is_empty(), "no AUTH was attempted");
    assert!(sink.received()?.is_empty());
    Ok(())
}

#[tokio::test]
async fn starttls_is_used_when_offered_and_an_untrusted_certificate_sends_nothing()
-> anyhow::Result<()> {
    let sink = SmtpSink::start_with(SmtpSinkOptions {
        starttls_self_signed: true,
        ..SmtpSinkOptions::default()
    })?;
    let outcome = send(&plain(&sink), &OutgoingMessage::new(parts())).await;

    assert!(
        matches!(&outcome, Err(SendFailure::Temporary { reply }) if reply.starts_with("STARTTLS")),
        "{outcome:?}"
    );
    assert!(sink.received()?.is_empty());
    Ok(())
}

#[tokio::test]
async fn implicit_tls_to_a_plain_text_server_is_a_temporary_failure() -> anyhow::Result<()> {
    let sink = SmtpSink::start()?;
    let connection = SmtpConnection {
        secure: true,
        ..plain(&sink)
    };
    let outcome = send(&connection, &OutgoingMessage::new(parts())).await;

    assert!(
        matches!(outcome, Err(SendFailure::Temporary { .. })),
        "{outcome:?}"
    );
    assert!(sink.received()?.is_empty());
    Ok(())
}

#[tokio::test]
async fn a_550_to_rcpt_is_a_permanent_failure() -> anyhow::Result<()> {
    let sink = SmtpSink::start_with(SmtpSinkOptions {
        reject_recipients: vec![("grace@lead.example".to_owned(), 550)],
        ..SmtpSinkOptions::default()
    })?;
    let outcome = send(&plain(&sink), &OutgoingMessage::new(parts())).await;

    assert!(
        matches!(&outcome, Err(SendFailure::Permanent { reply }) if reply.contains("550")),
        "{outcome:?}"
    );
    assert!(sink.received()?.is_empty());
    Ok(())
}

#[tokio::test]
async fn a_451_to_rcpt_is_a_temporary_failure() -> anyhow::Result<()> {
    let sink = SmtpSink::start_with(SmtpSinkOptions {
        reject_recipients: vec![("cc@team.example".to_owned(), 451)],
        ..SmtpSinkOptions::default()
    })?;
    let outcome = send(&plain(&sink), &OutgoingMessage::new(parts())).await;

    assert!(
        matches!(&outcome, Err(SendFailure::Temporary { reply }) if reply.contains("451")),
        "{outcome:?}"
    );
    assert!(
        sink.received()?.is_empty(),
        "one refused recipient fails the whole send"
    );
    Ok(())
}

#[tokio::test]
async fn a_closed_port_is_a_temporary_failure() -> anyhow::Result<()> {
    let closed_port = {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        listener.local_addr()?.port()
    };
    let connection = SmtpConnection {
        host: "127.0.0.1".to_owned(),
        port: closed_port,
        secure: false,
        credentials: None,
    };
    let outcome = send(&connection, &OutgoingMessage::new(parts())).await;

    assert!(
        matches!(outcome, Err(SendFailure::Temporary { .. })),
        "{outcome:?}"
    );
    Ok(())
}

#[tokio::test]
async fn no_reply_after_the_data_is_an_unknown_outcome_never_a_temporary_one() -> anyhow::Result<()>
{
    let sink = SmtpSink::start_with(SmtpSinkOptions {
        drop_after_data: true,
        ..SmtpSinkOptions::default()
    })?;
    let outcome = send(&plain(&sink), &OutgoingMessage::new(parts())).await;

    assert!(
        matches!(outcome, Err(SendFailure::Unknown { .. })),
        "{outcome:?}"
    );
    // The RFC 1047 case: the server has the message although the client never heard so.
    only_message(&sink)?;
    Ok(())
}

#[tokio::test]
async fn sends_to_the_same_server_and_login_reuse_one_connection() -> anyhow::Result<()> {
    let sink = SmtpSink::start_with(SmtpSinkOptions {
        login: Some(("ada".to_owned(), "right horse".to_owned())),
        ..SmtpSinkOptions::default()
    })?;
    let connection = with_login(plain(&sink), "ada", "right horse");
    let transport = LettreMailTransport::new();
    for _ in 0..3 {
        let message = OutgoingMessage::new(parts());
        transport
            .send(&connection, &Envelope::for_message(&message), &message)
            .await?;
    }

    assert_eq!(sink.received()?.len(), 3);
    assert_eq!(sink.greetings()?.len(), 1, "one connection, one EHLO");
    assert_eq!(sink.auth_attempts()?.len(), 1, "one login");
    Ok(())
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

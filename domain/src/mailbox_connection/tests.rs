use super::*;

fn parse(
    server: MailServer,
    request: &ConnectionRequest,
) -> (Option<Option<ParsedConnection>>, Vec<(String, ProblemCode)>) {
    let mut problems = Problems::new();
    let parsed = ServerConnection::parse(server, request, &JsonPointer::root(), &mut problems);
    let found = problems
        .iter()
        .map(|problem| (problem.pointer().to_string(), problem.code()))
        .collect();
    (parsed, found)
}

fn smtp(host: &str) -> ConnectionRequest {
    ConnectionRequest {
        host: Some(host.to_owned()),
        ..ConnectionRequest::default()
    }
}

#[test]
fn no_member_means_no_connection() {
    let (parsed, problems) = parse(MailServer::Smtp, &ConnectionRequest::default());
    assert_eq!(parsed, Some(None));
    assert!(problems.is_empty());
}

#[test]
fn a_connection_takes_smtp_and_imap_defaults_for_what_it_leaves_out() {
    let (parsed, _) = parse(MailServer::Smtp, &smtp("Mail.Example.COM."));
    let connection = parsed.flatten().expect("a connection").connection;
    assert_eq!(
        (
            connection.host().as_str(),
            connection.port(),
            connection.secure()
        ),
        ("mail.example.com", 587, false)
    );
    let (parsed, _) = parse(MailServer::Imap, &smtp("imap.example.com"));
    let connection = parsed.flatten().expect("a connection").connection;
    assert_eq!((connection.port(), connection.secure()), (993, true));
}

#[test]
fn hosts_are_names_or_ip_literals_and_only_this_machine_is_loopback() {
    for (raw, shown, loopback) in [
        ("127.0.0.1", "127.0.0.1", true),
        ("127.8.9.10", "127.8.9.10", true),
        ("[::1]", "::1", true),
        ("LOCALHOST", "localhost", true),
        ("192.0.2.1", "192.0.2.1", false),
        ("smtp.gmail.com", "smtp.gmail.com", false),
        (
            "localhost.attacker.example",
            "localhost.attacker.example",
            false,
        ),
    ] {
        let host = ServerHost::parse(raw).expect(raw);
        assert_eq!(
            (host.as_str(), host.is_loopback()),
            (shown, loopback),
            "{raw}"
        );
    }
    for bad in [
        "",
        "mail",
        "-bad-.example.com",
        "mail.example.com:25",
        "a b.example.com",
    ] {
        assert!(ServerHost::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn every_problem_of_a_connection_is_reported_and_no_password_is_quoted() {
    let request = ConnectionRequest {
        host: None,
        port: Some(70_000),
        secure: Some(true),
        username: Some("  ".to_owned()),
        password: Some("hunter2\r\nRCPT TO:<x@example.com>".to_owned()),
    };
    let mut problems = Problems::new();
    let parsed = ServerConnection::parse(
        MailServer::Smtp,
        &request,
        &JsonPointer::root(),
        &mut problems,
    );
    assert_eq!(parsed, None);
    let found: Vec<(String, ProblemCode)> = problems
        .iter()
        .map(|problem| (problem.pointer().to_string(), problem.code()))
        .collect();
    assert_eq!(
        found,
        [
            ("/smtpHost".to_owned(), ProblemCode::Required),
            ("/smtpPort".to_owned(), ProblemCode::OutOfRange),
            ("/smtpUsername".to_owned(), ProblemCode::Blank),
            ("/smtpPassword".to_owned(), ProblemCode::InvalidFormat),
        ]
    );
    for problem in problems.iter() {
        assert!(
            !problem.message().contains("hunter2"),
            "{}",
            problem.message()
        );
    }
}

#[test]
fn a_password_needs_a_username_and_is_kept_apart_from_the_connection() {
    let mut request = smtp("mail.example.com");
    request.password = Some("app-password".to_owned());
    let (parsed, problems) = parse(MailServer::Imap, &request);
    assert_eq!(parsed, None);
    assert_eq!(
        problems,
        [("/imapPassword".to_owned(), ProblemCode::NotAllowed)]
    );

    request.username = Some("Ana@Example.com".to_owned());
    let (parsed, _) = parse(MailServer::Imap, &request);
    let parsed = parsed.flatten().expect("a connection");
    assert_eq!(
        parsed.connection.username(),
        Some("Ana@Example.com"),
        "kept as given"
    );
    assert_eq!(
        parsed.password.as_ref().map(Credential::expose),
        Some("app-password")
    );
    assert!(!format!("{parsed:?}").contains("app-password"));
}

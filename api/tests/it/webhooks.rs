//! Webhooks end to end on every backend (SENDING.md section 7 and section 8 item 7): the
//! `/v1/webhooks` resource (validation, secrets never shown again, tenancy), the outbox written
//! with the events by the real event writer, and `DeliverWebhooks` trying each delivery against a
//! receiver on 127.0.0.1 on a simulated clock: retries with one `id`, every try kept, signatures
//! checked with `domain::webhook_signature` and with the `standardwebhooks` Python package, and a
//! host that resolves to 127.0.0.1 (a dnsmasq on loopback) refused without
//! `--allow-private-webhooks`.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::{Arc, Mutex};

use adapters::SimulatedClock;
use adapters::testing::dns::DnsServer;
use application::ports::{
    ClaimRequest, ClaimedSend, Clock, FinishedSend, HitKind, NextStep, SendOutcome, TrackedHit,
    TrackingHit,
};
use application::use_cases::deliver_webhooks::DeliverWebhooks;
use chrono::{DateTime, SubsecRound, TimeZone, Utc};
use domain::id::ObjectId;
use domain::values::WebhookHostPolicy;
use domain::webhook_signature::WebhookSignatures;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::support::*;

const LEAD: &str = "ada@prospect.example.com";
/// Not ASCII: both HMACs key with the secret's UTF-8 bytes.
const SECRET: &str = "whsec_Grüße-test-secret-1";

/// Monday 2026-11-23, 09:00 in Chicago: inside the seed's window, when the message is sent.
fn send_time() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 15, 0, 0)
        .single()
        .expect("a valid time")
}

/// The wall clock's time: the tries' `webhook-timestamp` must pass the Standard Webhooks
/// library's five-minute tolerance for the first try.
fn wall_now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(3)
}

fn customize(clock: &Arc<SimulatedClock>, hosts: WebhookHostPolicy) -> Customize {
    Customize {
        options: api::state::Options {
            webhook_hosts: hosts,
            ..api::state::Options::default()
        },
        clock: Some(clock.clone() as Arc<dyn Clock>),
        ..Customize::default()
    }
}

/// What a receiver got in one request.
#[derive(Debug, Clone)]
struct Received {
    path: String,
    headers: HashMap<String, String>,
    body: String,
}

impl Received {
    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .map(String::as_str)
            .unwrap_or_else(|| panic!("no {name} header in {:?}", self.headers))
    }
}

/// An HTTP receiver on 127.0.0.1 answering the statuses given, in order, then 200.
struct Receiver {
    port: u16,
    received: Arc<Mutex<Vec<Received>>>,
}

impl Receiver {
    async fn start(statuses: &[u16]) -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a port");
        Receiver::serve(listener, statuses)
    }

    /// A receiver answering 200 on `port`.
    async fn start_on(port: u16) -> Receiver {
        let listener = TcpListener::bind(("127.0.0.1", port))
            .await
            .expect("the port");
        Receiver::serve(listener, &[])
    }

    fn serve(listener: TcpListener, statuses: &[u16]) -> Receiver {
        let port = listener.local_addr().expect("an address").port();
        let received = Arc::new(Mutex::new(Vec::new()));
        let kept = received.clone();
        let statuses = statuses.to_vec();
        tokio::spawn(async move {
            let mut answers = statuses.into_iter();
            loop {
                let Ok((mut stream, _)) = listener.accept().await else {
                    return;
                };
                let Some(request) = read_request(&mut stream).await else {
                    continue;
                };
                kept.lock().expect("lock").push(request);
                let status = answers.next().unwrap_or(200);
                let answer = format!(
                    "HTTP/1.1 {status} Whatever\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                );
                let _ = stream.write_all(answer.as_bytes()).await;
                let _ = stream.shutdown().await;
            }
        });
        Receiver { port, received }
    }

    fn url(&self, host: &str) -> String {
        format!("http://{host}:{}/hook", self.port)
    }

    fn received(&self) -> Vec<Received> {
        self.received.lock().expect("lock").clone()
    }
}

/// One HTTP/1.1 request with a `Content-Length` body.
async fn read_request(stream: &mut tokio::net::TcpStream) -> Option<Received> {
    let mut bytes = Vec::new();
    let mut buffer = [0u8; 4096];
    let head_end = loop {
        let read = stream.read(&mut buffer).await.ok()?;
        if read == 0 {
            return None;
        }
        bytes.extend_from_slice(&buffer[..read]);
        if let Some(end) = bytes.windows(4).position(|window| window == b"\r\n\r\n") {
            break end;
        }
    };
    let head = String::from_utf8_lossy(&bytes[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let path = lines.next()?.split(' ').nth(1)?.to_owned();
    let headers: HashMap<String, String> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
        .collect();
    let length: usize = headers
        .get("content-length")
        .and_then(|value| value.parse().ok())
        .unwrap_or(0);
    let mut body = bytes[head_end + 4..].to_vec();
    while body.len() < length {
        let read = stream.read(&mut buffer).await.ok()?;
        if read == 0 {
            break;
        }
        body.extend_from_slice(&buffer[..read]);
    }
    Some(Received {
        path,
        headers,
        body: String::from_utf8(body).ok()?,
    })
}

/// `campaign` created, started, with [`LEAD`] enrolled; its first email claimed and sent at
/// [`send_time`].
async fn sent_message(app: &TestApp, campaign: &Value) -> (String, ClaimedSend) {
    let id = ObjectId::from_parts(1_795_000_000, [7; 5], 1);
    sent_through_ledger(app, campaign, LEAD, send_time(), id).await
}

/// The seed campaign without a webhook of its own: the seed's (`yourcompany.com`, subscribed to
/// `email.sent`) would add a delivery for every message sent. The campaign-webhook test sets its own.
fn seed() -> Value {
    let mut seed: Value = serde_json::from_str(SEED_BODY).expect("the seed is JSON");
    seed["settings"]["webhook"] = json!({"enabled": false});
    seed
}

/// An open of `send` recorded through the tracking repository's event writer, now.
async fn record_open(app: &TestApp, send: &ClaimedSend) {
    app.ports
        .tracking
        .record_hits(&[TrackedHit {
            hit: TrackingHit {
                send: send.id,
                event: app.ports.ids.new_id(),
                at: app.ports.clock.now(),
            },
            kind: HitKind::Open,
        }])
        .await
        .expect("recorded");
}

async fn create_webhook(app: &TestApp, body: &Value) -> String {
    let created = app.post_json("/v1/webhooks", body).await;
    created.created()["_id"].as_str().expect("an id").to_owned()
}

/// Each try's signatures as `domain::webhook_signature` makes them, and as the `standardwebhooks`
/// Python package does (the first try also through its `verify`, timestamp tolerance included).
fn assert_signed(tries: &[Received], secret: &str) {
    for tried in tries {
        let timestamp: i64 = tried.header("webhook-timestamp").parse().expect("seconds");
        let signed = WebhookSignatures::sign(
            secret,
            tried.header("webhook-id"),
            timestamp,
            tried.body.as_bytes(),
        );
        assert_eq!(tried.header("x-webhook-signature"), signed.sendkit);
        assert_eq!(tried.header("webhook-signature"), signed.standard);
    }
    let request = json!({
        "secret": secret,
        "tries": tries.iter().enumerate().map(|(index, tried)| json!({
            "id": tried.header("webhook-id"),
            "timestamp": tried.header("webhook-timestamp"),
            "signature": tried.header("webhook-signature"),
            "body": tried.body,
            "verify": index == 0,
        })).collect::<Vec<_>>(),
    });
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/it/webhooks/verify_signatures.py"
    );
    let mut child = std::process::Command::new("python3")
        .arg(script)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("python3 runs (the standardwebhooks check needs it)");
    {
        use std::io::Write as _;
        let mut stdin = child.stdin.take().expect("stdin");
        stdin
            .write_all(request.to_string().as_bytes())
            .expect("the request is written");
    }
    let output = child.wait_with_output().expect("the script ends");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    match output.status.code() {
        Some(0) => {}
        Some(2) => panic!("the independent signature check cannot run: {said}"),
        _ => panic!("standardwebhooks refused a signature: {said}"),
    }
}

#[tokio::test]
async fn webhook_receiver_failing_twice_then_answering_200_gets_three_tries_with_one_id_each_kept_and_signed()
 {
    let clock = Arc::new(SimulatedClock::starting_at(send_time()));
    let test_clock = clock.clone();
    on_every_backend_with(
        customize(&clock, WebhookHostPolicy::AllowPrivate),
        move |app| {
            let clock = test_clock.clone();
            async move {
                clock.set(send_time());
                let receiver = Receiver::start(&[500, 302]).await;
                let webhook = create_webhook(
                    &app,
                    &json!({"name": "CRM", "url": receiver.url("127.0.0.1"), "events": ["email.opened"], "secret": SECRET}),
                )
                .await;
                let (campaign, send) = sent_message(&app, &seed()).await;
                clock.set(wall_now());
                record_open(&app, &send).await;
                let deliver = app.ports.deliver_webhooks(WebhookHostPolicy::AllowPrivate);

                assert_eq!(deliver.round().await.expect("round 1").claimed, 1);
                assert_eq!(receiver.received().len(), 1);
                // The retry waits (10 s at least): not due yet.
                assert_eq!(deliver.round().await.expect("too early").claimed, 0);
                clock.advance(chrono::Duration::seconds(16));
                assert_eq!(deliver.round().await.expect("round 2").claimed, 1);
                clock.advance(chrono::Duration::seconds(31));
                let third = deliver.round().await.expect("round 3");
                assert_eq!((third.claimed, third.delivered), (1, 1));
                clock.advance(chrono::Duration::hours(1));
                assert_eq!(deliver.round().await.expect("done").claimed, 0);

                let tries = receiver.received();
                assert_eq!(tries.len(), 3, "{tries:?}");
                let id = tries[0].header("webhook-id").to_owned();
                for tried in &tries {
                    assert_eq!(tried.path, "/hook");
                    assert_eq!(tried.header("webhook-id"), id, "one id for every try");
                    assert_eq!(tried.body, tries[0].body, "the same bytes every try");
                    assert_eq!(tried.header("x-webhook-event"), "email.opened");
                    assert_eq!(tried.header("content-type"), "application/json");
                }
                assert_signed(&tries, SECRET);
                let payload: Value = serde_json::from_str(&tries[0].body).expect("JSON");
                assert_eq!(payload["id"], id);
                assert_eq!(payload["event"], "email.opened");
                assert_eq!(payload["workspaceId"], app.workspace.workspace_id);
                assert!(is_wire_timestamp(payload["timestamp"].as_str().expect("a time")));
                let data = &payload["data"];
                assert_eq!(data["campaignId"], campaign);
                assert_eq!(data["leadEmail"], LEAD);
                assert_eq!(data["enrolmentId"], send.enrolment.to_string());
                assert_eq!(data["step"], send.step);
                assert_eq!(data["leadId"], send.lead.to_string());
                assert_eq!(data["mailboxId"], send.mailbox.to_string());
                assert_eq!(data["subject"], "Hello");
                assert_eq!(data["messageId"], send.message_id);

                let deliveries = app
                    .get_with_key(&format!("/v1/webhooks/{webhook}/deliveries"))
                    .await;
                let deliveries = deliveries.ok().as_array().expect("a list").clone();
                assert_eq!(deliveries.len(), 1);
                assert_eq!(deliveries[0]["_id"], id);
                assert_eq!(deliveries[0]["status"], "delivered");
                assert_eq!(deliveries[0]["nextTryAt"], Value::Null);
                let kept: Vec<(Value, Value, Value)> = deliveries[0]["tries"]
                    .as_array()
                    .expect("tries")
                    .iter()
                    .map(|tried| {
                        (tried["number"].clone(), tried["statusCode"].clone(), tried["error"].clone())
                    })
                    .collect();
                assert_eq!(
                    kept,
                    [
                        (json!(1), json!(500), json!("answered 500")),
                        (json!(2), json!(302), json!("answered 302")),
                        (json!(3), json!(200), Value::Null),
                    ]
                );
            }
        },
    )
    .await;
}

#[tokio::test]
async fn webhook_of_a_campaign_gets_the_events_it_subscribed_to_signed_with_its_secret() {
    let clock = Arc::new(SimulatedClock::starting_at(send_time()));
    let test_clock = clock.clone();
    on_every_backend_with(
        customize(&clock, WebhookHostPolicy::AllowPrivate),
        move |app| {
            let clock = test_clock.clone();
            async move {
                clock.set(send_time());
                let receiver = Receiver::start(&[]).await;
                let mut campaign = seed();
                campaign["settings"]["webhook"] = json!({
                    "enabled": true,
                    "url": receiver.url("127.0.0.1"),
                    "secret": SECRET,
                    "events": ["email.opened", "email.clicked"],
                });
                let (campaign, send) = sent_message(&app, &campaign).await;
                clock.set(wall_now());
                record_open(&app, &send).await;
                app.ports
                    .tracking
                    .unsubscribe(
                        TrackingHit {
                            send: send.id,
                            event: app.ports.ids.new_id(),
                            at: clock.now(),
                        },
                        domain::id::DncEntryId::from(app.ports.ids.new_id()),
                    )
                    .await
                    .expect("unsubscribed");
                let deliver = app.ports.deliver_webhooks(WebhookHostPolicy::AllowPrivate);
                let report = deliver.round().await.expect("a round");
                // The unsubscribe is not among the campaign webhook's events.
                assert_eq!((report.claimed, report.delivered), (1, 1));
                let tries = receiver.received();
                assert_eq!(tries.len(), 1);
                assert_eq!(tries[0].header("x-webhook-event"), "email.opened");
                assert!(tries[0].header("webhook-id").ends_with(".campaign"));
                let payload: Value = serde_json::from_str(&tries[0].body).expect("JSON");
                assert_eq!(payload["data"]["campaignId"], campaign);
                assert_signed(&tries, SECRET);
            }
        },
    )
    .await;
}

#[tokio::test]
async fn webhook_on_a_host_resolving_to_127_0_0_1_is_refused_without_allow_private_webhooks() {
    let clock = Arc::new(SimulatedClock::starting_at(send_time()));
    let test_clock = clock.clone();
    on_every_backend_with(
        customize(&clock, WebhookHostPolicy::PublicOnly),
        move |app| {
            let clock = test_clock.clone();
            async move {
                clock.set(send_time());
                let dns = DnsServer::start_with_hosts(&[(
                    "receiver.test",
                    IpAddr::V4(Ipv4Addr::LOCALHOST),
                )])
                .expect("dnsmasq on 127.0.0.1");
                let receiver = Receiver::start(&[]).await;
                // A public-looking name passes the create-time rules of a production server.
                let webhook = create_webhook(
                    &app,
                    &json!({"name": "Rebinding", "url": receiver.url("receiver.test"), "events": ["email.opened"]}),
                )
                .await;
                let (_, send) = sent_message(&app, &seed()).await;
                clock.set(wall_now());
                record_open(&app, &send).await;
                let resolver = Arc::new(adapters::HickoryResolver::with_name_server(dns.address()));
                let production = DeliverWebhooks {
                    resolver: resolver.clone(),
                    ..app.ports.deliver_webhooks(WebhookHostPolicy::PublicOnly)
                };
                let report = production.round().await.expect("a round");
                assert_eq!((report.claimed, report.retrying), (1, 1));
                assert!(receiver.received().is_empty(), "nothing may reach 127.0.0.1");
                let deliveries = app
                    .get_with_key(&format!("/v1/webhooks/{webhook}/deliveries"))
                    .await;
                let tried = &deliveries.ok()[0]["tries"][0];
                assert_eq!(tried["statusCode"], Value::Null);
                let error = tried["error"].as_str().expect("an error");
                assert!(
                    error.starts_with("refused: receiver.test resolves to 127.0.0.1"),
                    "{error}; {}",
                    dns.logs()
                );
                // With --allow-private-webhooks the same name reaches the receiver, through the
                // address the resolver answered.
                let development = DeliverWebhooks {
                    resolver,
                    ..app.ports.deliver_webhooks(WebhookHostPolicy::AllowPrivate)
                };
                clock.advance(chrono::Duration::minutes(1));
                assert_eq!(development.round().await.expect("a round").delivered, 1);
                assert_eq!(receiver.received().len(), 1);
            }
        },
    )
    .await;
}

#[tokio::test]
async fn webhook_test_operation_sends_one_signed_test_delivery_and_says_what_came_back() {
    on_every_backend_with(Customize::allowing_private_webhooks(), |app| async move {
        let receiver = Receiver::start(&[503]).await;
        let webhook = create_webhook(
            &app,
            &json!({"name": "CRM", "url": receiver.url("127.0.0.1"), "events": ["email.sent"], "secret": SECRET}),
        )
        .await;
        let path = format!("/v1/webhooks/{webhook}/test");
        let first = app.post_json(&path, &json!({})).await;
        assert_eq!(first.ok()["statusCode"], 503);
        assert_eq!(first.ok()["delivered"], false);
        let second = app.post_json(&path, &json!({})).await;
        assert_eq!(second.ok()["statusCode"], 200);
        assert_eq!(second.ok()["delivered"], true);
        let tries = receiver.received();
        assert_eq!(tries.len(), 2);
        assert_eq!(tries[1].header("x-webhook-event"), "webhook.test");
        let payload: Value = serde_json::from_str(&tries[1].body).expect("JSON");
        assert_eq!(payload["data"]["webhookId"], webhook);
        let signed = WebhookSignatures::sign(
            SECRET,
            tries[1].header("webhook-id"),
            tries[1].header("webhook-timestamp").parse().expect("seconds"),
            tries[1].body.as_bytes(),
        );
        assert_eq!(tries[1].header("x-webhook-signature"), signed.sendkit);
        // Nothing recorded: a test is not a delivery.
        let deliveries = app
            .get_with_key(&format!("/v1/webhooks/{webhook}/deliveries"))
            .await;
        assert_eq!(deliveries.ok(), &json!([]));
    })
    .await;
}

#[tokio::test]
async fn webhook_crud_validates_every_field_keeps_the_secret_hidden_and_patches_what_is_given() {
    on_every_backend(|app| async move {
        let refused = app
            .post_json(
                "/v1/webhooks",
                &json!({"name": " ", "url": "http://127.0.0.1/in", "events": ["email.sent", "email.nope"], "secret": "short", "retryAttempts": 11, "timeoutMs": 999}),
            )
            .await;
        refused.assert_error(400, "VALIDATION_FAILED");
        let pointers: Vec<String> = refused.problems().into_iter().map(|(pointer, _)| pointer).collect();
        assert_eq!(
            pointers,
            ["/name", "/url", "/events/1", "/secret", "/retryAttempts", "/timeoutMs"]
        );
        let unknown = app
            .post_json(
                "/v1/webhooks",
                &json!({"name": "CRM", "url": "https://hooks.example.com/in", "events": ["email.sent"], "enabled": true}),
            )
            .await;
        unknown.assert_error(400, "VALIDATION_FAILED");
        assert_eq!(unknown.problems()[0].0, "/enabled");
        let wrong_type = app
            .post_json(
                "/v1/webhooks",
                &json!({"name": "CRM", "url": "https://hooks.example.com/in", "events": ["email.sent"], "timeoutMs": "5000"}),
            )
            .await;
        wrong_type.assert_error(400, "VALIDATION_FAILED");
        assert_eq!(wrong_type.problems()[0].0, "/timeoutMs");

        let created = app
            .post_json(
                "/v1/webhooks",
                &json!({"name": " CRM ", "url": "https://hooks.example.com/in", "events": ["email.replied"]}),
            )
            .await;
        let body = created.created().clone();
        let id = body["_id"].as_str().expect("an id").to_owned();
        assert!(is_object_id(&id));
        assert_eq!(body["name"], "CRM");
        assert_eq!(body["retryAttempts"], 3);
        assert_eq!(body["timeoutMs"], 10_000);
        assert_eq!(body["hasSecret"], true);
        let secret = body["secret"].as_str().expect("the generated secret, once");
        assert!(secret.starts_with("whsec_") && secret.len() == 70, "{secret}");
        assert_eq!(
            created.header("location"),
            Some(format!("/v1/webhooks/{id}").as_str())
        );

        let read = app.get_with_key(&format!("/v1/webhooks/{id}")).await;
        assert_eq!(read.ok()["hasSecret"], true);
        assert!(!read.text.contains(secret), "the secret is shown only once");
        assert!(read.ok().get("secret").is_none());
        let listed = app.get_with_key("/v1/webhooks").await;
        assert_eq!(listed.ok().as_array().expect("a list").len(), 1);
        assert!(!listed.text.contains(secret));

        let patched = app
            .send(
                reqwest::Method::PATCH,
                &format!("/v1/webhooks/{id}"),
                Some(&json!({"events": ["lead.replied", "email.bounced"], "timeoutMs": 5000})),
            )
            .await;
        assert_eq!(patched.ok()["events"], json!(["lead.replied", "email.bounced"]));
        assert_eq!(patched.ok()["timeoutMs"], 5000);
        assert_eq!(patched.ok()["name"], "CRM");
        assert!(!patched.text.contains(secret));
        let bad_patch = app
            .send(
                reqwest::Method::PATCH,
                &format!("/v1/webhooks/{id}"),
                Some(&json!({"retryAttempts": 20, "url": "ftp://x"})),
            )
            .await;
        bad_patch.assert_error(400, "VALIDATION_FAILED");
        assert_eq!(app.get_with_key(&format!("/v1/webhooks/{id}")).await.ok()["timeoutMs"], 5000);

        let deleted = app
            .send(reqwest::Method::DELETE, &format!("/v1/webhooks/{id}"), None)
            .await;
        assert_eq!(deleted.ok()["deleted"], true);
        app.get_with_key(&format!("/v1/webhooks/{id}"))
            .await
            .assert_error(404, "NOT_FOUND");
        app.get_with_key("/v1/webhooks/not-an-id")
            .await
            .assert_error(404, "NOT_FOUND");
        app.request(reqwest::Method::GET, "/v1/webhooks", &[])
            .await
            .assert_error(401, "UNAUTHORIZED");
    })
    .await;
}

#[tokio::test]
async fn webhook_of_another_workspace_is_not_found_and_gets_none_of_this_workspaces_events() {
    let clock = Arc::new(SimulatedClock::starting_at(send_time()));
    let test_clock = clock.clone();
    on_every_backend_with(
        customize(&clock, WebhookHostPolicy::AllowPrivate),
        move |app| {
            let clock = test_clock.clone();
            async move {
                clock.set(send_time());
                let receiver = Receiver::start(&[]).await;
                let (rival, _, _) = app.other_workspace().await;
                let rival_hook = send_with_key(
                    &app.client,
                    &format!("{}/v1/webhooks", app.base),
                    &rival.workspace_key,
                    reqwest::Method::POST,
                    Some(&json!({"name": "Rival", "url": receiver.url("127.0.0.1"), "events": ["email.opened"]})),
                )
                .await;
                let rival_id = rival_hook.created()["_id"].as_str().expect("an id").to_owned();
                for (method, path) in [
                    (reqwest::Method::GET, format!("/v1/webhooks/{rival_id}")),
                    (reqwest::Method::PATCH, format!("/v1/webhooks/{rival_id}")),
                    (reqwest::Method::DELETE, format!("/v1/webhooks/{rival_id}")),
                    (reqwest::Method::POST, format!("/v1/webhooks/{rival_id}/test")),
                    (reqwest::Method::GET, format!("/v1/webhooks/{rival_id}/deliveries")),
                ] {
                    let body = (method == reqwest::Method::PATCH || method == reqwest::Method::POST)
                        .then(|| json!({}));
                    app.send(method.clone(), &path, body.as_ref())
                        .await
                        .assert_error(404, "NOT_FOUND");
                }
                assert_eq!(app.get_with_key("/v1/webhooks").await.ok(), &json!([]));
                // An open in this workspace: the rival's webhook, subscribed to opens, gets nothing.
                let (_, send) = sent_message(&app, &seed()).await;
                clock.set(wall_now());
                record_open(&app, &send).await;
                let deliver = app.ports.deliver_webhooks(WebhookHostPolicy::AllowPrivate);
                assert_eq!(deliver.round().await.expect("a round").claimed, 0);
                assert!(receiver.received().is_empty());
            }
        },
    )
    .await;
}

#[tokio::test]
async fn webhook_delivery_claimed_by_one_process_is_not_claimed_by_another_until_its_lease_ends() {
    let clock = Arc::new(SimulatedClock::starting_at(send_time()));
    let test_clock = clock.clone();
    on_every_backend_with(
        customize(&clock, WebhookHostPolicy::AllowPrivate),
        move |app| {
            let clock = test_clock.clone();
            async move {
                clock.set(send_time());
                create_webhook(
                    &app,
                    &json!({"name": "CRM", "url": "http://127.0.0.1:9/hook", "events": ["email.opened"]}),
                )
                .await;
                let (_, send) = sent_message(&app, &seed()).await;
                clock.set(wall_now());
                record_open(&app, &send).await;
                let outbox = &app.ports.webhook_outbox;
                let now = clock.now();
                let lease = now + chrono::Duration::minutes(1);
                let first = outbox.claim_due(now, lease, 10).await.expect("a claim");
                assert_eq!(first.len(), 1);
                let second = outbox.claim_due(now, lease, 10).await.expect("a claim");
                assert!(second.is_empty(), "claimed twice: {second:?}");
                // A claimer that died: after its lease the delivery is claimed again, same body.
                let later = lease + chrono::Duration::seconds(1);
                let again = outbox
                    .claim_due(later, later + chrono::Duration::minutes(1), 10)
                    .await
                    .expect("a claim");
                assert_eq!(again.len(), 1);
                assert_eq!((&again[0].id, &again[0].body), (&first[0].id, &first[0].body));
            }
        },
    )
    .await;
}

/// `sendline serve` on `url` with the demo workspace, no sending engine, private webhooks allowed.
fn serve(url: &str) -> crate::served::Served {
    crate::served::Served::start(
        "  curl ",
        &[
            "serve",
            "--bind",
            "127.0.0.1:0",
            "--database-url",
            url,
            "--demo",
            "--no-sending",
            "--allow-private-webhooks",
        ],
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_deliveries_of_events_recorded_before_a_kill_9_are_all_made_after_the_restart() {
    const OPENS: usize = 5;
    for backend in adapters::testing::backends() {
        eprintln!("--- on {backend:?}");
        let (database, url) = adapters::testing::fresh_database_and_url(backend)
            .await
            .unwrap_or_else(|error| panic!("a fresh {backend:?} database: {error:#}"));
        let mut first = serve(&url);
        let base = first.base();
        let key = first.line_after("Workspace API key: ");
        let workspace = first
            .line_after("Demo workspace ")
            .split_whitespace()
            .next()
            .expect("the workspace id")
            .to_owned();
        let client = reqwest::Client::new();
        let call = |method: reqwest::Method, path: &str, body: Option<Value>| {
            let (client, base, key) = (client.clone(), base.clone(), key.clone());
            let path = path.to_owned();
            async move {
                send_with_key(
                    &client,
                    &format!("{base}{path}"),
                    &key,
                    method,
                    body.as_ref(),
                )
                .await
            }
        };
        // Nothing listens on the receiver's port while the first server runs: its tries fail.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port")
            .port();
        let webhook = call(
            reqwest::Method::POST,
            "/v1/webhooks",
            Some(json!({"name": "CRM", "url": format!("http://127.0.0.1:{port}/hook"), "events": ["email.opened"]})),
        )
        .await;
        let webhook = webhook.created()["_id"].as_str().expect("an id").to_owned();
        // The demo's mailboxes have no SMTP server: one that could send is needed for a claim.
        let mailbox = call(
            reqwest::Method::POST,
            "/v1/mailboxes",
            Some(json!({"email": "sender@acme.example.com", "provider": "custom", "smtpHost": "127.0.0.1", "smtpPort": 2525, "tags": ["smtp"]})),
        )
        .await;
        mailbox.created();
        let mut campaign = seed();
        campaign["mailboxTags"] = json!(["smtp"]);
        campaign["settings"]["webhook"] = json!({"enabled": false});
        // Claimed at the wall clock's time: any hour of any day.
        campaign["schedule"] = json!({"timezone": "UTC", "startTime": "00:00", "endTime": "23:59", "workingDays": [0, 1, 2, 3, 4, 5, 6]});
        let campaign = call(reqwest::Method::POST, "/v1/campaigns", Some(campaign)).await;
        let campaign = campaign.created()["_id"]
            .as_str()
            .expect("an id")
            .to_owned();
        call(
            reqwest::Method::POST,
            &format!("/v1/campaigns/{campaign}/leads"),
            Some(json!({"leads": [{"email": LEAD}]})),
        )
        .await
        .ok();
        call(
            reqwest::Method::POST,
            &format!("/v1/campaigns/{campaign}/start"),
            None,
        )
        .await
        .ok();
        let workspace_id = domain::id::WorkspaceId::parse(&workspace).expect("an id");
        let stored = database
            .campaigns()
            .find(
                workspace_id,
                domain::id::CampaignId::parse(&campaign).expect("an id"),
            )
            .await
            .expect("a read")
            .expect("the campaign")
            .campaign;
        let ledger = database.send_ledger();
        let now = wall_now();
        let send = ledger
            .claim(&ClaimRequest {
                campaign: stored,
                worker: "test".to_owned(),
                now,
                ids: vec![ObjectId::from_parts(1_795_000_000, [9; 5], 1)],
            })
            .await
            .expect("a claim")
            .into_iter()
            .next()
            .expect("one send claimed");
        ledger
            .finish(&[FinishedSend {
                claim: send.clone(),
                at: now,
                outcome: SendOutcome::Sent {
                    subject: "Hello".to_owned(),
                    reply: "250 OK".to_owned(),
                    next: NextStep::Done,
                },
            }])
            .await
            .expect("finished");
        let tracking_key = adapters::SecretKey::parse(crate::served::TEST_SECRET_KEY)
            .expect("the test key")
            .tracking_key();
        let token =
            domain::tracking::TrackingToken::new(domain::tracking::TrackingKind::Open, send.id)
                .encode(&tracking_key);
        for _ in 0..OPENS {
            let pixel = client
                .get(format!("{base}/t/o/{token}"))
                .send()
                .await
                .expect("an answer");
            assert_eq!(pixel.status().as_u16(), 200);
        }
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while adapters::testing::event_rows(&database)
            .await
            .expect("the events")
            .iter()
            .filter(|event| event.kind == "email.opened")
            .count()
            < OPENS
        {
            assert!(
                std::time::Instant::now() < deadline,
                "the opens were not recorded"
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        first.child.kill().expect("SIGKILL");
        let _ = first.child.wait();
        let webhooks = database.webhooks();
        let pending = webhooks
            .deliveries(workspace_id, &webhook, 100)
            .await
            .expect("the deliveries");
        assert_eq!(
            pending.len(),
            OPENS,
            "one delivery per event, kept across the kill"
        );
        assert!(pending.iter().all(|delivery| delivery.state == "pending"));

        let receiver = Receiver::start_on(port).await;
        let mut second = serve(&url);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        loop {
            let ids: std::collections::BTreeSet<String> = receiver
                .received()
                .iter()
                .map(|tried| tried.header("webhook-id").to_owned())
                .collect();
            if ids.len() == OPENS {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "{} of {OPENS} deliveries made after the restart",
                ids.len()
            );
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        second.terminate();
        let delivered = webhooks
            .deliveries(workspace_id, &webhook, 100)
            .await
            .expect("the deliveries");
        assert!(
            delivered
                .iter()
                .all(|delivery| delivery.state == "delivered"),
            "{delivered:?}"
        );
    }
}

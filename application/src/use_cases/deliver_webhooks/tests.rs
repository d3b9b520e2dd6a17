use std::sync::Mutex;

use chrono::TimeZone;
use domain::values::WebhookSecret;
use mockall::predicate::always;

use super::*;
use crate::ports::{
    MockClock, MockCredentialCipher, MockRandomChoice, MockResolver, MockWebhookOutbox,
    MockWebhookTransport, WebhookAnswer,
};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 8, 10, 0, 0)
        .single()
        .expect("a time")
}

fn delivery(url: &str, tries: u32, retry_attempts: u32) -> DueDelivery {
    DueDelivery {
        id: "evt.campaign".to_owned(),
        event: "email.opened".to_owned(),
        body: r#"{"id":"evt.campaign"}"#.to_owned(),
        url: url.to_owned(),
        secret: DeliverySecret::Plain(WebhookSecret::parse("whsec_secret-1").expect("secret")),
        tries,
        retry_attempts,
        timeout: Duration::from_secs(10),
    }
}

/// The use case over `outbox`, `resolver` and `transport`, at [`now`], with no jitter.
fn use_case(
    outbox: MockWebhookOutbox,
    resolver: MockResolver,
    transport: MockWebhookTransport,
    hosts: WebhookHostPolicy,
) -> DeliverWebhooks {
    let mut clock = MockClock::new();
    clock.expect_now().returning(now);
    let mut random = MockRandomChoice::new();
    random.expect_below().returning(|_| 0);
    DeliverWebhooks {
        outbox: Arc::new(outbox),
        transport: Arc::new(transport),
        resolver: Arc::new(resolver),
        cipher: Arc::new(MockCredentialCipher::new()),
        clock: Arc::new(clock),
        random: Arc::new(random),
        hosts,
    }
}

/// An outbox answering `due` once and keeping what each try recorded.
fn outbox(
    due: DueDelivery,
    recorded: Arc<Mutex<Vec<(TryOutcome, AfterTry)>>>,
) -> MockWebhookOutbox {
    let mut outbox = MockWebhookOutbox::new();
    outbox
        .expect_claim_due()
        .return_once(move |_, _, _| Ok(vec![due]));
    outbox
        .expect_record_try()
        .returning(move |_, _, outcome, after| {
            recorded
                .lock()
                .expect("lock")
                .push((outcome.clone(), after));
            Ok(())
        });
    outbox
}

fn answering(status: u16) -> MockWebhookTransport {
    let mut transport = MockWebhookTransport::new();
    transport.expect_post().returning(move |_| WebhookAnswer {
        status: Ok(status),
        duration: Duration::from_millis(3),
    });
    transport
}

#[test]
fn webhook_retry_waits_double_per_try_plus_at_most_half_again_of_jitter() {
    let at = now();
    assert_eq!(retry_time(at, 1, |_| 0), at + chrono::Duration::seconds(10));
    assert_eq!(retry_time(at, 2, |_| 0), at + chrono::Duration::seconds(20));
    assert_eq!(retry_time(at, 3, |_| 0), at + chrono::Duration::seconds(40));
    // The jitter is drawn below half the wait, plus one.
    assert_eq!(
        retry_time(at, 1, |bound| {
            assert_eq!(bound, 5_001);
            bound - 1
        }),
        at + chrono::Duration::seconds(15)
    );
    assert_eq!(retry_time(at, 30, |_| 0), at + chrono::Duration::hours(6));
}

#[tokio::test]
async fn webhook_redirect_answer_is_not_delivered_and_is_retried_with_backoff() {
    let recorded = Arc::new(Mutex::new(Vec::new()));
    let deliver = use_case(
        outbox(delivery("https://8.8.8.8/hook", 0, 3), recorded.clone()),
        MockResolver::new(),
        answering(302),
        WebhookHostPolicy::PublicOnly,
    );
    let report = deliver.round().await.expect("a round");
    assert_eq!(report.retrying, 1);
    let recorded = recorded.lock().expect("lock");
    let (outcome, after) = &recorded[0];
    assert_eq!(outcome.status, Some(302));
    assert_eq!(outcome.error.as_deref(), Some("answered 302"));
    assert_eq!(
        *after,
        AfterTry::RetryAt(now() + chrono::Duration::seconds(10))
    );
}

#[tokio::test]
async fn webhook_failing_its_last_allowed_retry_is_given_up() {
    let recorded = Arc::new(Mutex::new(Vec::new()));
    let deliver = use_case(
        outbox(delivery("https://8.8.8.8/hook", 3, 3), recorded.clone()),
        MockResolver::new(),
        answering(500),
        WebhookHostPolicy::PublicOnly,
    );
    assert_eq!(deliver.round().await.expect("a round").given_up, 1);
    assert_eq!(recorded.lock().expect("lock")[0].1, AfterTry::GaveUp);
}

#[tokio::test]
async fn webhook_host_resolving_to_a_private_address_is_refused_before_any_connection() {
    let recorded = Arc::new(Mutex::new(Vec::new()));
    let mut resolver = MockResolver::new();
    resolver.expect_addresses().with(always()).returning(|_| {
        Ok(vec![
            "93.184.216.34".parse().expect("ip"),
            "127.0.0.1".parse().expect("ip"),
        ])
    });
    let mut transport = MockWebhookTransport::new();
    transport.expect_post().never();
    let deliver = use_case(
        outbox(
            delivery("https://hooks.example.com/in", 0, 3),
            recorded.clone(),
        ),
        resolver,
        transport,
        WebhookHostPolicy::PublicOnly,
    );
    assert_eq!(deliver.round().await.expect("a round").retrying, 1);
    let recorded = recorded.lock().expect("lock");
    let error = recorded[0].0.error.as_deref().expect("an error");
    assert!(
        error.starts_with("refused: hooks.example.com resolves to 127.0.0.1"),
        "{error}"
    );
}

#[tokio::test]
async fn webhook_try_goes_to_the_checked_address_with_both_signatures() {
    let recorded = Arc::new(Mutex::new(Vec::new()));
    let mut resolver = MockResolver::new();
    resolver
        .expect_addresses()
        .returning(|_| Ok(vec!["127.0.0.1".parse().expect("ip")]));
    let sent = Arc::new(Mutex::new(None));
    let kept = sent.clone();
    let mut transport = MockWebhookTransport::new();
    transport.expect_post().returning(move |request| {
        *kept.lock().expect("lock") = Some(request);
        WebhookAnswer {
            status: Ok(204),
            duration: Duration::from_millis(1),
        }
    });
    let deliver = use_case(
        outbox(
            delivery("http://receiver.test:8123/in", 0, 3),
            recorded.clone(),
        ),
        resolver,
        transport,
        WebhookHostPolicy::AllowPrivate,
    );
    assert_eq!(deliver.round().await.expect("a round").delivered, 1);
    let request = sent.lock().expect("lock").clone().expect("a request");
    assert_eq!(request.address, "127.0.0.1:8123".parse().expect("address"));
    let header = |name: &str| {
        request
            .headers
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.clone())
            .expect(name)
    };
    let signed = WebhookSignatures::sign(
        "whsec_secret-1",
        "evt.campaign",
        now().timestamp(),
        request.body.as_bytes(),
    );
    assert_eq!(header("x-webhook-signature"), signed.sendkit);
    assert_eq!(header("webhook-signature"), signed.standard);
    assert_eq!(header("webhook-id"), "evt.campaign");
    assert_eq!(header("x-webhook-event"), "email.opened");
    assert_eq!(recorded.lock().expect("lock")[0].1, AfterTry::Delivered);
}

//! Secure-email-gateway skipping end to end on every backend (SENDING.md section 2, "Who is
//! skipped"): a started campaign's MX lookups go to a real DNS server on 127.0.0.1 (dnsmasq), its
//! mail to a real SMTP server, and the tests check what that server received and how each
//! enrolment ended.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;

use adapters::HickoryMxLookup;
use adapters::SimulatedClock;
use adapters::testing::dns::DnsServer;
use adapters::testing::smtp::SmtpSink;
use chrono::Duration;
use serde_json::{Value, json};

use crate::sending::{new_york, round, simulated, started_campaign_with};
use crate::support::*;

const PROOFPOINT_LEAD: &str = "pat@protected.test";
const MIMECAST_LEAD: &str = "max@mimecast.test";
const PLAIN_LEAD: &str = "pia@plain.test";
/// `missing.test` has no record: NXDOMAIN, no exchangers.
const NO_DOMAIN_LEAD: &str = "nia@missing.test";
/// The test server refuses names outside `.test`: a failed lookup.
const FAILED_LOOKUP_LEAD: &str = "fay@refused.example";

fn dns_server() -> DnsServer {
    DnsServer::start_with_mx(&[
        ("protected.test", "mx0a-00123401.pphosted.com", 10),
        ("mimecast.test", "us-smtp-inbound-1.mimecast.com", 10),
        ("plain.test", "mx.plain.test", 10),
    ])
    .expect("dnsmasq")
}

/// What each test starts from, on each backend: the app, on a simulated clock in New York's working
/// hours, looking MX up at the test's DNS server; an SMTP sink; a mailbox sending through it.
struct Setup {
    app: TestApp,
    clock: Arc<SimulatedClock>,
    sink: SmtpSink,
    mailbox: String,
}

impl Setup {
    /// A campaign with these settings and leads, started, after the rounds of its first emails.
    async fn run_campaign(&self, settings: Value, addresses: &[&str]) -> String {
        let campaign =
            started_campaign_with(&self.app, &self.mailbox, settings, &leads(addresses)).await;
        send_what_is_due(&self.app, &self.clock).await;
        campaign
    }
}

async fn on_every_backend_with_gateways<F, Fut>(test: F)
where
    F: Fn(Setup) -> Fut,
    Fut: Future<Output = ()>,
{
    let dns = dns_server();
    let (mut customize, clock) = simulated(new_york(2026, 6, 9, 10, 0));
    customize.mx_lookup = Some(Arc::new(HickoryMxLookup::with_name_server(dns.address())));
    let test = &test;
    on_every_backend_with(customize, |app| {
        let clock = clock.clone();
        async move {
            clock.set(new_york(2026, 6, 9, 10, 0));
            let sink = SmtpSink::start().expect("an SMTP sink");
            let mailbox = mailbox_on(&app, &sink, "ana@acme.example.com").await;
            test(Setup {
                app,
                clock,
                sink,
                mailbox,
            })
            .await;
        }
    })
    .await;
}

/// Rounds a few minutes apart (the campaign sends one email a minute), long before any follow-up.
async fn send_what_is_due(app: &TestApp, clock: &SimulatedClock) {
    for _ in 0..8 {
        round(app).await;
        clock.advance(Duration::minutes(2));
    }
}

/// Each enrolment's lead address → (status, stopReason, emailsSent).
async fn outcomes(app: &TestApp, campaign: &str) -> BTreeMap<String, (Value, Value, Value)> {
    let page = app
        .get_with_key(&format!("/v1/campaigns/{campaign}/leads?limit=100"))
        .await;
    page.ok()
        .as_array()
        .expect("a list")
        .iter()
        .map(|item| {
            (
                item["lead"]["email"].as_str().expect("an email").to_owned(),
                (
                    item["status"].clone(),
                    item["stopReason"].clone(),
                    item["emailsSent"].clone(),
                ),
            )
        })
        .collect()
}

fn recipients(sink: &SmtpSink) -> Vec<String> {
    let mut recipients: Vec<String> = sink
        .received()
        .expect("received")
        .iter()
        .flat_map(|message| message.recipients.clone())
        .collect();
    recipients.sort();
    recipients
}

fn leads(addresses: &[&str]) -> Vec<Value> {
    addresses
        .iter()
        .map(|address| json!({"email": address}))
        .collect()
}

fn skipped_for_seg() -> (Value, Value, Value) {
    (json!("completed"), json!("seg"), json!(0))
}

fn sent_once() -> (Value, Value, Value) {
    (json!("active"), Value::Null, json!(1))
}

#[tokio::test]
async fn seg_skip_providers_skips_only_leads_behind_a_listed_gateway_and_sends_nothing_to_them() {
    on_every_backend_with_gateways(async |setup| {
        let campaign = setup
            .run_campaign(
                json!({"segCheckMode": "skip_providers", "segSkipProviders": ["proofpoint"]}),
                &[PROOFPOINT_LEAD, MIMECAST_LEAD, PLAIN_LEAD],
            )
            .await;
        let (app, sink) = (&setup.app, &setup.sink);

        assert_eq!(recipients(sink), [MIMECAST_LEAD, PLAIN_LEAD]);
        let outcomes = outcomes(app, &campaign).await;
        assert_eq!(outcomes[PROOFPOINT_LEAD], skipped_for_seg());
        assert_eq!(outcomes[MIMECAST_LEAD], sent_once());
        assert_eq!(outcomes[PLAIN_LEAD], sent_once());
        let read = app.get_with_key(&format!("/v1/campaigns/{campaign}")).await;
        assert_eq!(read.ok()["stats"]["sent"], 2, "{}", read.text);
    })
    .await;
}

#[tokio::test]
async fn seg_a_withdrawn_claim_counts_for_no_spacing_the_next_lead_goes_in_the_same_minute() {
    on_every_backend_with_gateways(async |setup| {
        let Setup {
            app,
            clock: _,
            sink,
            mailbox,
        } = setup;
        // Enrolled first, so claimed first (most overdue, then oldest).
        started_campaign_with(
            &app,
            &mailbox,
            json!({"segCheckMode": "skip_all"}),
            &leads(&[PROOFPOINT_LEAD, PLAIN_LEAD]),
        )
        .await;

        let first = round(&app).await;
        assert_eq!((first.claimed, first.skipped, first.sent), (1, 1, 0));
        // Same instant: one email a minute from the mailbox, and none has gone yet.
        let second = round(&app).await;
        assert_eq!((second.claimed, second.sent), (1, 1));
        assert_eq!(recipients(&sink), [PLAIN_LEAD]);
    })
    .await;
}

#[tokio::test]
async fn seg_skip_all_skips_a_lead_behind_any_listed_gateway() {
    on_every_backend_with_gateways(async |setup| {
        let campaign = setup
            .run_campaign(
                json!({"segCheckMode": "skip_all"}),
                &[PROOFPOINT_LEAD, MIMECAST_LEAD, PLAIN_LEAD],
            )
            .await;
        let (app, sink) = (&setup.app, &setup.sink);

        assert_eq!(recipients(sink), [PLAIN_LEAD]);
        let outcomes = outcomes(app, &campaign).await;
        assert_eq!(outcomes[PROOFPOINT_LEAD], skipped_for_seg());
        assert_eq!(outcomes[MIMECAST_LEAD], skipped_for_seg());
        assert_eq!(outcomes[PLAIN_LEAD], sent_once());
    })
    .await;
}

#[tokio::test]
async fn seg_disabled_sends_to_every_lead_gateway_or_not() {
    on_every_backend_with_gateways(async |setup| {
        let campaign = setup
            .run_campaign(
                json!({"segCheckMode": "disabled"}),
                &[PROOFPOINT_LEAD, PLAIN_LEAD],
            )
            .await;
        let (app, sink) = (&setup.app, &setup.sink);

        assert_eq!(recipients(sink), [PROOFPOINT_LEAD, PLAIN_LEAD]);
        let outcomes = outcomes(app, &campaign).await;
        assert_eq!(outcomes[PROOFPOINT_LEAD], sent_once());
    })
    .await;
}

#[tokio::test]
async fn seg_a_failed_or_empty_mx_lookup_is_no_gateway_and_the_lead_is_sent_to() {
    on_every_backend_with_gateways(async |setup| {
        let campaign = setup
            .run_campaign(
                json!({"segCheckMode": "skip_all"}),
                &[FAILED_LOOKUP_LEAD, NO_DOMAIN_LEAD],
            )
            .await;
        let (app, sink) = (&setup.app, &setup.sink);

        assert_eq!(recipients(sink), [FAILED_LOOKUP_LEAD, NO_DOMAIN_LEAD]);
        let outcomes = outcomes(app, &campaign).await;
        assert_eq!(outcomes[FAILED_LOOKUP_LEAD], sent_once());
        assert_eq!(outcomes[NO_DOMAIN_LEAD], sent_once());
    })
    .await;
}

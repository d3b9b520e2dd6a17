//! `HickoryMxLookup` against a real DNS server on 127.0.0.1 (dnsmasq): the `MxLookup` contract.

use adapters::HickoryMxLookup;
use adapters::testing::dns::DnsServer;
use application::ports::MxLookup;

#[tokio::test]
async fn mx_lookup_answers_a_domains_exchangers_most_preferred_first() {
    let server = DnsServer::start_with_mx(&[
        ("protected.test", "mx1.pphosted.com", 10),
        ("plain.test", "MX.Plain.test", 5),
        ("plain.test", "backup.plain.test", 20),
    ])
    .expect("dnsmasq");
    let lookup = HickoryMxLookup::with_name_server(server.address());

    let protected = lookup.exchangers("protected.test").await;
    assert_eq!(
        protected,
        Ok(vec!["mx1.pphosted.com".to_owned()]),
        "{}",
        server.logs()
    );
    // Lower case, most preferred first; a fully qualified name in any case asks the same.
    assert_eq!(
        lookup.exchangers("Plain.TEST.").await,
        Ok(vec![
            "mx.plain.test".to_owned(),
            "backup.plain.test".to_owned()
        ])
    );
}

#[tokio::test]
async fn mx_lookup_answers_no_exchangers_for_a_domain_that_does_not_exist() {
    let server =
        DnsServer::start_with_mx(&[("protected.test", "mx1.pphosted.com", 10)]).expect("dnsmasq");
    let lookup = HickoryMxLookup::with_name_server(server.address());

    assert_eq!(lookup.exchangers("missing.test").await, Ok(Vec::new()));
}

#[tokio::test]
async fn mx_lookup_fails_when_the_name_server_refuses() {
    // The test server knows only `.test` and has no upstream: it refuses anything else.
    let server =
        DnsServer::start_with_mx(&[("protected.test", "mx1.pphosted.com", 10)]).expect("dnsmasq");
    let lookup = HickoryMxLookup::with_name_server(server.address());

    let refused = lookup.exchangers("example.com").await;
    assert!(refused.is_err(), "{refused:?}");
}

//! Crash safety (issue 8): the real server, creating campaigns under load, killed with SIGKILL, then
//! started again on the same database. Every campaign that was answered 201 is there and whole, and
//! retrying every request with its `Idempotency-Key` creates each campaign exactly once.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use adapters::testing::{backends, fresh_database_and_url};
use serde_json::{Value, json};

use crate::served::Served;

const WRITERS: usize = 16;
/// Short, so that a retry of a request the crash cut off may run again soon.
const LEASE_MS: &str = "3000";
const REQUEST_TIMEOUT_MS: &str = "2500";

/// One create request, as a writer sent it.
#[derive(Debug, Clone)]
struct Attempt {
    key: String,
    name: String,
}

impl Attempt {
    fn body(&self) -> Value {
        json!({
            "name": self.name,
            "mailboxTags": ["outreach"],
            "sequence": [
                {"type": "email", "subject": "Hi {{firstName}}", "body": "<p>Hello</p>"},
                {"type": "wait", "waitDays": 2},
                {"type": "email", "body": "Following up"},
            ],
            "subsequences": [
                {"name": "Interested", "trigger": {"type": "ai_tag", "value": "interested"},
                 "sequence": [{"type": "email", "subject": "Great", "body": "Thanks!"}]},
                {"name": "Later", "trigger": {"type": "ai_tag", "value": "later"},
                 "sequence": [{"type": "email", "subject": "Sure", "body": "Talk soon"}]},
            ],
        })
    }
}

/// `POST /v1/campaigns` with the attempt's key: the status and body, or `None` when no answer came.
async fn create(
    client: &reqwest::Client,
    base: &str,
    api_key: &str,
    attempt: &Attempt,
) -> Option<(u16, Value)> {
    let response = client
        .post(format!("{base}/v1/campaigns"))
        .header("X-Api-Key", api_key)
        .header("Idempotency-Key", &attempt.key)
        .json(&attempt.body())
        .send()
        .await
        .ok()?;
    let status = response.status().as_u16();
    Some((status, response.json().await.ok()?))
}

/// `sendline args` once it has printed a line starting with `ready`, and the base URL it serves.
fn started(ready: &str, args: &[&str]) -> (Served, String) {
    let served = Served::start(ready, args);
    let base = served
        .line_after("Sendline listening on ")
        .split_whitespace()
        .next()
        .expect("the address")
        .to_owned();
    (served, base)
}

/// Asserts that a campaign as read has everything its create sent: nothing half-written.
#[track_caller]
fn assert_whole(campaign: &Value, name: &str) {
    assert_eq!(campaign["name"], name);
    assert_eq!(
        campaign["sequence"].as_array().map(Vec::len),
        Some(3),
        "{campaign}"
    );
    assert_eq!(
        campaign["subsequences"].as_array().map(Vec::len),
        Some(2),
        "{campaign}"
    );
    assert_eq!(
        campaign["mailboxes"].as_array().map(Vec::len),
        Some(3),
        "{campaign}"
    );
    assert_eq!(campaign["mailboxCount"], 3, "{campaign}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_killed_mid_create_keeps_every_201_whole_and_retries_create_each_campaign_once() {
    for backend in backends() {
        eprintln!("--- on {backend:?}");
        let (_database, url) = fresh_database_and_url(backend)
            .await
            .unwrap_or_else(|error| panic!("a fresh {backend:?} database: {error:#}"));
        let serve = [
            "serve",
            "--bind",
            "127.0.0.1:0",
            "--database-url",
            &url,
            "--idempotency-lease-ms",
            LEASE_MS,
            "--request-timeout-ms",
            REQUEST_TIMEOUT_MS,
        ];
        // The first start makes the demo workspace (three mailboxes tagged `outreach`) and its key.
        let (mut first, base) = started("  curl ", &[&serve[..], &["--demo"]].concat());
        let api_key = first.line_after("Workspace API key: ");
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .expect("a client");

        // Writers send creates one after another until the server stops answering.
        let writers: Vec<_> = (0..WRITERS)
            .map(|writer| {
                let (client, base, api_key) = (client.clone(), base.clone(), api_key.clone());
                tokio::spawn(async move {
                    let mut attempts = Vec::new();
                    for n in 0.. {
                        let attempt = Attempt {
                            key: format!("crash-{writer}-{n}"),
                            name: format!("Crash {writer}-{n}"),
                        };
                        let answer = create(&client, &base, &api_key, &attempt).await;
                        let (created, server_gone) = match answer {
                            Some((201, body)) => {
                                (body["data"]["_id"].as_str().map(str::to_owned), false)
                            }
                            // Stopped at its deadline on a busy machine: its outcome is unknown, as
                            // for a request the crash cuts off; the retries settle it.
                            Some((503, _)) => (None, false),
                            Some((status, body)) => panic!("{status} before the crash: {body}"),
                            None => (None, true),
                        };
                        attempts.push((attempt, created));
                        if server_gone {
                            break;
                        }
                    }
                    attempts
                })
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(1_500)).await;
        first.child.kill().expect("SIGKILL");
        let _ = first.child.wait();
        let mut attempts: Vec<(Attempt, Option<String>)> = Vec::new();
        for writer in writers {
            attempts.extend(writer.await.expect("a writer"));
        }
        let answered: Vec<&(Attempt, Option<String>)> =
            attempts.iter().filter(|(_, id)| id.is_some()).collect();
        assert!(
            answered.len() >= WRITERS,
            "only {} creates before the kill",
            answered.len()
        );
        eprintln!(
            "{} creates answered 201 before SIGKILL, {} without an answer",
            answered.len(),
            attempts.len() - answered.len()
        );

        // Started again, without --demo: the key stays the same.
        let (_second, base) = started("Sendline listening on ", &serve);
        for (attempt, id) in &answered {
            let id = id.as_deref().expect("answered");
            let read = client
                .get(format!("{base}/v1/campaigns/{id}"))
                .header("X-Api-Key", &api_key)
                .send()
                .await
                .expect("the server answers");
            assert_eq!(read.status().as_u16(), 200, "{id} answered 201 and is gone");
            let read: Value = read.json().await.expect("JSON");
            assert_whole(&read["data"], &attempt.name);
        }

        // Every request retried with its key: one campaign each, the same one a 201 named.
        let mut created = BTreeMap::new();
        for (attempt, id) in &attempts {
            let deadline = Instant::now() + Duration::from_secs(20);
            let retried = loop {
                match create(&client, &base, &api_key, attempt).await {
                    Some((201, body)) => break body["data"]["_id"].as_str().map(str::to_owned),
                    // Still held by the request the crash cut off (its lease has not ended), or
                    // stopped at its deadline: both say to retry.
                    Some((409 | 503, _)) if Instant::now() < deadline => {
                        tokio::time::sleep(Duration::from_millis(200)).await;
                    }
                    other => panic!("retry of {}: {other:?}", attempt.key),
                }
            };
            let retried = retried.expect("an _id");
            if let Some(id) = id {
                assert_eq!(
                    &retried, id,
                    "the retry of {} made another campaign",
                    attempt.key
                );
            }
            created.insert(attempt.name.clone(), retried);
        }

        // The workspace holds exactly those campaigns, each whole.
        let mut listed = BTreeMap::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut page = client
                .get(format!("{base}/v1/campaigns"))
                .header("X-Api-Key", &api_key)
                .query(&[("limit", "100")]);
            if let Some(cursor) = &cursor {
                page = page.query(&[("cursor", cursor)]);
            }
            let page: Value = page
                .send()
                .await
                .expect("the server answers")
                .json()
                .await
                .expect("JSON");
            for campaign in page["data"].as_array().expect("a page") {
                let name = campaign["name"].as_str().expect("a name").to_owned();
                assert_whole(campaign, &name);
                let id = campaign["_id"].as_str().expect("an _id").to_owned();
                assert!(
                    listed.insert(name.clone(), id).is_none(),
                    "{name} was created twice"
                );
            }
            cursor = page["pagination"]["nextCursor"].as_str().map(str::to_owned);
            if cursor.is_none() {
                assert_eq!(page["pagination"]["total"], listed.len());
                break;
            }
        }
        assert_eq!(listed, created);
        let names: BTreeSet<&String> = attempts.iter().map(|(attempt, _)| &attempt.name).collect();
        assert_eq!(names.len(), listed.len());
    }
}

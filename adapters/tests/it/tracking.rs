//! `TrackingRepository`: the contract of application/src/ports/tracking.rs on every backend — every
//! hit of a batch is an event row, the first open and click of a message count in the stats (the
//! campaign's and its subsequence's) and mark the history, a click's URL is only a stored one, hits
//! of unknown sends are dropped, an unsubscribe lists the address and stops the enrolment once.

use adapters::Database;
use adapters::testing::{event_rows, send_of_subsequence};
use anyhow::Context as _;
use application::ports::{
    ClaimedSend, HitKind, NextStep, SendLinks, SendOutcome, TrackedHit, TrackingHit,
};
use chrono::{DateTime, Duration, Utc};
use domain::campaign::Campaign;
use domain::dnc::dnc_keys_of;
use domain::enrolment::EnrolmentStatus;
use domain::id::ObjectId;

use crate::enrolments::store_leads;
use crate::sending::{active_campaign, claim, finish, sending_mailbox, start, stored};
use crate::support::*;

/// A campaign with one lead (`lead0@acme.test`) whose first email was claimed and sent.
async fn sent_message(
    database: &Database,
    tenant: Tenant,
) -> anyhow::Result<(Campaign, ClaimedSend)> {
    let mailbox = sending_mailbox(database, tenant, 50).await?;
    let leads = store_leads(database, tenant, 1).await?;
    let campaign = active_campaign(database, tenant, vec![mailbox], None, 1, &leads).await?;
    let claimed = claim(database, &campaign, "worker", start(), 1)
        .await?
        .into_iter()
        .next()
        .context("a claim")?;
    finish(
        database,
        &claimed,
        start(),
        SendOutcome::Sent {
            subject: "Hello".into(),
            reply: "250 OK".into(),
            next: NextStep::Email {
                step: 2,
                due: start() + Duration::days(3),
            },
        },
    )
    .await?;
    Ok((campaign, claimed))
}

/// Makes `send` a message of the campaign's first subsequence, as a subsequence's claim would have
/// written it (the engine's claims of subsequences are tested with the engine).
async fn of_first_subsequence(
    database: &Database,
    campaign: &Campaign,
    send: &ClaimedSend,
) -> anyhow::Result<()> {
    let subsequence = campaign.subsequences()[0].id();
    send_of_subsequence(database, &send.id.to_string(), &subsequence.to_string()).await
}

fn hit(send: ObjectId, at: DateTime<Utc>) -> TrackingHit {
    TrackingHit {
        send,
        event: new_id(),
        at,
    }
}

fn open(send: ObjectId, at: DateTime<Utc>) -> TrackedHit {
    TrackedHit {
        hit: hit(send, at),
        kind: HitKind::Open,
    }
}

fn click(send: ObjectId, at: DateTime<Utc>, url: &str) -> TrackedHit {
    TrackedHit {
        hit: hit(send, at),
        kind: HitKind::Click {
            url: url.to_owned(),
        },
    }
}

fn minute(minutes: i64) -> DateTime<Utc> {
    start() + Duration::minutes(minutes)
}

/// The event rows tracking wrote: every row but the `email.sent` of the messages the tests send.
async fn tracking_events(database: &Database) -> anyhow::Result<Vec<adapters::testing::EventRow>> {
    let mut events = event_rows(database).await?;
    events.retain(|event| event.kind != "email.sent");
    Ok(events)
}

fn kinds(events: &[adapters::testing::EventRow]) -> Vec<&str> {
    events.iter().map(|event| event.kind.as_str()).collect()
}

#[tokio::test]
async fn a_batch_counts_each_messages_first_open_and_click_once_and_keeps_every_hit_as_an_event()
-> anyhow::Result<()> {
    on_every_backend(async |database| {
        let tenant = tenant(&database).await?;
        let (campaign, send) = sent_message(&database, tenant).await?;
        of_first_subsequence(&database, &campaign, &send).await?;
        let url = "https://a.example/one";
        let tracking = database.tracking();
        tracking
            .record_hits(&[
                open(send.id, minute(5)),
                click(send.id, minute(6), url),
                open(send.id, minute(7)),
                click(send.id, minute(8), url),
                open(send.id, minute(9)),
            ])
            .await?;
        let after_first = stored(&database, &campaign).await?;
        assert_eq!(
            (after_first.stats().opened, after_first.stats().clicked),
            (1, 1)
        );
        let subsequence = &after_first.subsequences()[0];
        assert_eq!(
            (subsequence.stats().opened, subsequence.stats().clicked),
            (1, 1)
        );
        let enrolment = database
            .enrolments()
            .find(tenant.workspace, campaign.id(), send.enrolment)
            .await?
            .context("the enrolment")?;
        assert_eq!(enrolment.history[0].opened_at, Some(minute(5)));
        assert_eq!(enrolment.history[0].clicked_at, Some(minute(6)));
        let events = tracking_events(&database).await?;
        assert_eq!(
            kinds(&events),
            [
                "email.opened",
                "email.clicked",
                "email.opened",
                "email.clicked",
                "email.opened"
            ]
        );
        let event = &events[0];
        assert_eq!(event.workspace, tenant.workspace.to_string());
        assert_eq!(event.campaign, campaign.id().to_string());
        assert_eq!(event.enrolment, Some(send.enrolment.to_string()));
        assert_eq!(event.lead, Some(send.lead.to_string()));
        assert_eq!(event.message_id.as_deref(), Some(send.message_id.as_str()));
        assert_eq!(event.at_ms, minute(5).timestamp_millis());
        assert_eq!(event.data, None);
        let data: serde_json::Value =
            serde_json::from_str(events[1].data.as_deref().context("data")?)?;
        assert_eq!(data, serde_json::json!({ "url": url }));

        // A second batch of the same message: events only.
        tracking
            .record_hits(&[open(send.id, minute(10)), click(send.id, minute(11), url)])
            .await?;
        let after_second = stored(&database, &campaign).await?;
        assert_eq!(after_second.stats(), after_first.stats());
        assert_eq!(
            after_second.subsequences()[0].stats(),
            after_first.subsequences()[0].stats()
        );
        let enrolment = database
            .enrolments()
            .find(tenant.workspace, campaign.id(), send.enrolment)
            .await?
            .context("the enrolment")?;
        assert_eq!(enrolment.history[0].opened_at, Some(minute(5)));
        assert_eq!(enrolment.history[0].clicked_at, Some(minute(6)));
        assert_eq!(tracking_events(&database).await?.len(), 7);
        Ok(())
    })
    .await
}

#[tokio::test]
async fn a_batch_drops_unknown_sends_and_counts_each_send_in_its_own_workspace_only()
-> anyhow::Result<()> {
    on_every_backend(async |database| {
        let tenant = tenant(&database).await?;
        let other = crate::support::tenant(&database).await?;
        let (campaign, send) = sent_message(&database, tenant).await?;
        let (other_campaign, other_send) = sent_message(&database, other).await?;
        let unknown: ObjectId = new_id();
        database
            .tracking()
            .record_hits(&[
                open(unknown, minute(1)),
                open(send.id, minute(2)),
                click(unknown, minute(3), "https://a.example/"),
                open(send.id, minute(4)),
            ])
            .await?;
        let events = tracking_events(&database).await?;
        assert_eq!(kinds(&events), ["email.opened"; 2]);
        assert!(
            events
                .iter()
                .all(|event| event.workspace == tenant.workspace.to_string()
                    && event.message_id.as_deref() == Some(send.message_id.as_str()))
        );
        assert_eq!(stored(&database, &campaign).await?.stats().opened, 1);
        let untouched = stored(&database, &other_campaign).await?;
        assert_eq!(
            (untouched.stats().opened, untouched.stats().clicked),
            (0, 0)
        );
        let other_enrolment = database
            .enrolments()
            .find(other.workspace, other_campaign.id(), other_send.enrolment)
            .await?
            .context("the other enrolment")?;
        assert_eq!(other_enrolment.history[0].opened_at, None);
        // A batch of unknown sends only writes nothing (and fails nothing).
        database
            .tracking()
            .record_hits(&[open(new_id(), minute(5))])
            .await?;
        assert_eq!(tracking_events(&database).await?.len(), 2);
        Ok(())
    })
    .await
}

#[tokio::test]
async fn concurrent_batches_with_first_opens_of_one_message_count_once_and_each_is_an_event()
-> anyhow::Result<()> {
    on_every_backend(async |database| {
        let tenant = tenant(&database).await?;
        let (campaign, send) = sent_message(&database, tenant).await?;
        // 16 batches at once, all reading the message unopened: one of them is the first.
        let batches: Vec<_> = (0..16)
            .map(|second| {
                let tracking = database.tracking();
                let hits = [open(send.id, start() + Duration::seconds(second))];
                tokio::spawn(async move { tracking.record_hits(&hits).await })
            })
            .collect();
        for recorded in batches {
            recorded.await??;
        }
        let now_stored = stored(&database, &campaign).await?;
        assert_eq!(now_stored.stats().opened, 1);
        assert_eq!(tracking_events(&database).await?.len(), 16);
        Ok(())
    })
    .await
}

#[tokio::test]
async fn a_link_is_only_the_url_stored_at_its_position_and_storing_again_keeps_the_first()
-> anyhow::Result<()> {
    on_every_backend(async |database| {
        let tenant = tenant(&database).await?;
        let (_, send) = sent_message(&database, tenant).await?;
        let tracking = database.tracking();
        let links = vec![
            "https://a.example/one".to_owned(),
            "https://b.example/two?x=1&y=2".to_owned(),
        ];
        tracking
            .store_links(&[SendLinks {
                send: send.id,
                urls: links.clone(),
            }])
            .await?;
        // Storing again keeps what was stored first.
        tracking
            .store_links(&[SendLinks {
                send: send.id,
                urls: vec!["https://evil.example/".to_owned()],
            }])
            .await?;
        assert_eq!(
            tracking.link_url(send.id, 1).await?.as_deref(),
            Some(links[1].as_str())
        );
        assert_eq!(
            tracking.link_url(send.id, 0).await?.as_deref(),
            Some(links[0].as_str())
        );
        // No link at that position, or no such send: nothing.
        assert_eq!(tracking.link_url(send.id, 2).await?, None);
        assert_eq!(tracking.link_url(new_id(), 0).await?, None);
        // A link not found is not remembered as missing: stored later, it is found.
        tracking
            .store_links(&[SendLinks {
                send: send.id,
                urls: vec![
                    "https://evil.example/".to_owned(),
                    "https://evil.example/".to_owned(),
                    "https://c.example/three".to_owned(),
                ],
            }])
            .await?;
        assert_eq!(
            tracking.link_url(send.id, 2).await?.as_deref(),
            Some("https://c.example/three")
        );
        assert_eq!(
            tracking.link_url(send.id, 1).await?.as_deref(),
            Some(links[1].as_str())
        );
        Ok(())
    })
    .await
}

#[tokio::test]
async fn an_unknown_send_is_not_unsubscribed() -> anyhow::Result<()> {
    on_every_backend(async |database| {
        let tenant = tenant(&database).await?;
        let (campaign, _) = sent_message(&database, tenant).await?;
        let unknown: ObjectId = new_id();
        assert!(
            !database
                .tracking()
                .unsubscribe(hit(unknown, start()), new_id())
                .await?
        );
        assert!(tracking_events(&database).await?.is_empty());
        assert_eq!(stored(&database, &campaign).await?.stats().unsubscribed, 0);
        Ok(())
    })
    .await
}

#[tokio::test]
async fn unsubscribe_lists_the_address_and_stops_the_enrolment_once_in_its_workspace_only()
-> anyhow::Result<()> {
    on_every_backend(async |database| {
        let tenant = tenant(&database).await?;
        let other = crate::support::tenant(&database).await?;
        let (campaign, send) = sent_message(&database, tenant).await?;
        let tracking = database.tracking();
        for minute in [1, 2] {
            assert!(
                tracking
                    .unsubscribe(hit(send.id, start() + Duration::minutes(minute)), new_id())
                    .await?
            );
        }
        let keys = [dnc_keys_of(&address("lead0@acme.test"))];
        let dnc = database.do_not_contact();
        assert_eq!(
            dnc.matching(tenant.workspace, &keys).await?,
            ["lead0@acme.test"]
        );
        assert!(dnc.matching(other.workspace, &keys).await?.is_empty());
        let enrolment = database
            .enrolments()
            .find(tenant.workspace, campaign.id(), send.enrolment)
            .await?
            .context("the enrolment")?;
        assert_eq!(enrolment.status, EnrolmentStatus::Unsubscribed);
        assert_eq!(enrolment.next_send_at, None);
        let now_stored = stored(&database, &campaign).await?;
        assert_eq!(now_stored.stats().unsubscribed, 1);
        assert_eq!(now_stored.lead_counts().unsubscribed(), 1);
        assert_eq!(now_stored.lead_counts().active(), 0);
        let events = tracking_events(&database).await?;
        assert_eq!(kinds(&events), ["email.unsubscribed"; 2]);
        Ok(())
    })
    .await
}

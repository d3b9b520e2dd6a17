//! `TrackingRepository`: the contract of application/src/ports/tracking.rs on every backend — every
//! hit is an event row, the first open and click of a message count in the stats, a click answers
//! only a stored URL, an unsubscribe lists the address and stops the enrolment once.

use adapters::Database;
use adapters::testing::event_rows;
use anyhow::Context as _;
use application::ports::{ClaimedSend, NextStep, SendLinks, SendOutcome, TrackingHit};
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

fn hit(send: ObjectId, at: DateTime<Utc>) -> TrackingHit {
    TrackingHit {
        send,
        event: new_id(),
        at,
    }
}

fn kinds(events: &[adapters::testing::EventRow]) -> Vec<&str> {
    events.iter().map(|event| event.kind.as_str()).collect()
}

#[tokio::test]
async fn opens_every_open_is_an_event_only_the_first_counts_in_stats_and_history()
-> anyhow::Result<()> {
    on_every_backend(async |database| {
        let tenant = tenant(&database).await?;
        let (campaign, send) = sent_message(&database, tenant).await?;
        let tracking = database.tracking();
        let first = start() + Duration::minutes(5);
        for minute in [5, 6, 7] {
            assert!(
                tracking
                    .record_open(hit(send.id, start() + Duration::minutes(minute)))
                    .await?
            );
        }
        let now_stored = stored(&database, &campaign).await?;
        assert_eq!(now_stored.stats().opened, 1);
        assert_eq!(now_stored.stats().clicked, 0);
        let enrolment = database
            .enrolments()
            .find(tenant.workspace, campaign.id(), send.enrolment)
            .await?
            .context("the enrolment")?;
        assert_eq!(enrolment.history[0].opened_at, Some(first));
        let events = event_rows(&database).await?;
        assert_eq!(kinds(&events), ["email.opened"; 3]);
        let event = &events[0];
        assert_eq!(event.workspace, tenant.workspace.to_string());
        assert_eq!(event.campaign, campaign.id().to_string());
        assert_eq!(event.enrolment, Some(send.enrolment.to_string()));
        assert_eq!(event.lead, Some(send.lead.to_string()));
        assert_eq!(event.message_id.as_deref(), Some(send.message_id.as_str()));
        assert_eq!(event.at_ms, first.timestamp_millis());
        Ok(())
    })
    .await
}

#[tokio::test]
async fn opens_concurrent_first_opens_of_one_message_count_once_and_each_is_an_event()
-> anyhow::Result<()> {
    on_every_backend(async |database| {
        let tenant = tenant(&database).await?;
        let (campaign, send) = sent_message(&database, tenant).await?;
        // 16 hits at once, all seeing the message unopened: one of them is the first.
        let hits: Vec<_> = (0..16)
            .map(|second| {
                let tracking = database.tracking();
                let hit = hit(send.id, start() + Duration::seconds(second));
                tokio::spawn(async move { tracking.record_open(hit).await })
            })
            .collect();
        for recorded in hits {
            assert!(recorded.await??);
        }
        let now_stored = stored(&database, &campaign).await?;
        assert_eq!(now_stored.stats().opened, 1);
        assert_eq!(event_rows(&database).await?.len(), 16);
        Ok(())
    })
    .await
}

#[tokio::test]
async fn clicks_answer_only_the_url_stored_at_that_position_and_count_once() -> anyhow::Result<()> {
    on_every_backend(async |database| {
        let tenant = tenant(&database).await?;
        let (campaign, send) = sent_message(&database, tenant).await?;
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
        for minute in [1, 2] {
            let url = tracking
                .record_click(hit(send.id, start() + Duration::minutes(minute)), 1)
                .await?;
            assert_eq!(url.as_deref(), Some(links[1].as_str()));
        }
        let url = tracking.record_click(hit(send.id, start()), 0).await?;
        assert_eq!(url.as_deref(), Some(links[0].as_str()));
        // No link at that position: nothing.
        assert_eq!(tracking.record_click(hit(send.id, start()), 2).await?, None);

        let now_stored = stored(&database, &campaign).await?;
        assert_eq!(now_stored.stats().clicked, 1);
        let enrolment = database
            .enrolments()
            .find(tenant.workspace, campaign.id(), send.enrolment)
            .await?
            .context("the enrolment")?;
        assert_eq!(
            enrolment.history[0].clicked_at,
            Some(start() + Duration::minutes(1))
        );
        let events = event_rows(&database).await?;
        assert_eq!(kinds(&events), ["email.clicked"; 3]);
        let data: serde_json::Value =
            serde_json::from_str(events[0].data.as_deref().context("data")?)?;
        assert_eq!(data, serde_json::json!({ "url": links[1] }));
        Ok(())
    })
    .await
}

#[tokio::test]
async fn an_unknown_send_records_nothing() -> anyhow::Result<()> {
    on_every_backend(async |database| {
        let tenant = tenant(&database).await?;
        let (campaign, send) = sent_message(&database, tenant).await?;
        let tracking = database.tracking();
        tracking
            .store_links(&[SendLinks {
                send: send.id,
                urls: vec!["https://a.example/".to_owned()],
            }])
            .await?;
        let unknown: ObjectId = new_id();
        assert!(!tracking.record_open(hit(unknown, start())).await?);
        assert_eq!(tracking.record_click(hit(unknown, start()), 0).await?, None);
        assert!(
            !tracking
                .unsubscribe(hit(unknown, start()), new_id())
                .await?
        );
        assert!(event_rows(&database).await?.is_empty());
        let now_stored = stored(&database, &campaign).await?;
        assert_eq!(now_stored.stats().opened, 0);
        assert_eq!(now_stored.stats().clicked, 0);
        assert_eq!(now_stored.stats().unsubscribed, 0);
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
        let events = event_rows(&database).await?;
        assert_eq!(kinds(&events), ["email.unsubscribed"; 2]);
        Ok(())
    })
    .await
}

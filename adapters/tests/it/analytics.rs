//! `AnalyticsRepository`: the contract of application/src/ports/analytics.rs on every backend —
//! counts are of first events per message (sends written by the ledger's finishes, opens and clicks
//! by tracking, replies and DSN bounces as their reader writes them), inside a span or on a local
//! date (DST days included), the workspace's totals, and the event rows a page at a time, newest
//! first, without gaps or repeats. Nothing of another workspace counts or shows.

use std::collections::HashSet;

use adapters::Database;
use adapters::testing::{event_rows, record_send_event};
use anyhow::Context as _;
use application::ports::{
    ClaimedSend, EventQuery, FinishedSend, HitKind, NextStep, SendOutcome, TrackedHit, TrackingHit,
};
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use domain::analytics::{DayRange, EventType, RangeBound, ReportSpan};
use domain::campaign::Campaign;
use domain::id::{CampaignId, ObjectId};
use domain::listing::PageLimit;
use domain::stats::Stats;

use crate::enrolments::store_leads;
use crate::sending::{active_campaign, claim, sending_mailbox, start, stored};
use crate::support::*;

fn sent(next: NextStep) -> SendOutcome {
    SendOutcome::Sent {
        subject: "Hi".into(),
        reply: "250 OK".into(),
        next,
    }
}

fn follow_up() -> NextStep {
    NextStep::Email {
        step: 2,
        due: start() + Duration::days(3),
    }
}

fn finished(claim: &ClaimedSend, at: DateTime<Utc>, outcome: SendOutcome) -> FinishedSend {
    FinishedSend {
        claim: claim.clone(),
        at,
        outcome,
    }
}

/// A campaign of `count` leads, each with its own mailbox, and one claim per lead at `start()`.
async fn claimed_campaign(
    database: &Database,
    tenant: Tenant,
    count: usize,
) -> anyhow::Result<(Campaign, Vec<ClaimedSend>)> {
    let mut mailboxes = Vec::new();
    for _ in 0..count {
        mailboxes.push(sending_mailbox(database, tenant, 50).await?);
    }
    let leads = store_leads(database, tenant, count).await?;
    let campaign = active_campaign(database, tenant, mailboxes, None, 1, &leads).await?;
    let claimed = claim(database, &campaign, "worker", start(), count).await?;
    anyhow::ensure!(claimed.len() == count, "claimed {}", claimed.len());
    Ok((campaign, claimed))
}

fn hit(send: &ClaimedSend, at: DateTime<Utc>, kind: HitKind) -> TrackedHit {
    TrackedHit {
        hit: TrackingHit {
            send: send.id,
            event: new_id(),
            at,
        },
        kind,
    }
}

fn open(send: &ClaimedSend, at: DateTime<Utc>) -> TrackedHit {
    hit(send, at, HitKind::Open)
}

fn click(send: &ClaimedSend, at: DateTime<Utc>) -> TrackedHit {
    hit(
        send,
        at,
        HitKind::Click {
            url: "https://a.example/".into(),
        },
    )
}

/// A reply to `send` as the reply reader records it: `email.replied` and `lead.replied`.
async fn reply(database: &Database, send: &ClaimedSend, at: DateTime<Utc>) -> anyhow::Result<()> {
    let lead = send.lead.to_string();
    let data = Some(r#"{"replyText":"Thanks"}"#);
    record_send_event(database, send.id, "email.replied", Some(&lead), at, data).await?;
    record_send_event(database, send.id, "lead.replied", Some(&lead), at, data).await
}

fn span(from: DateTime<Utc>, to: DateTime<Utc>) -> ReportSpan {
    ReportSpan {
        start: Some(from),
        end: Some(to),
    }
}

fn total(steps: &[application::ports::StepCounts]) -> Stats {
    let mut total = Stats::default();
    for step in steps {
        let stats = step.stats;
        total.sent += stats.sent;
        total.delivered += stats.delivered;
        total.opened += stats.opened;
        total.clicked += stats.clicked;
        total.replied += stats.replied;
        total.bounced += stats.bounced;
        total.unsubscribed += stats.unsubscribed;
    }
    total
}

#[tokio::test]
async fn email_sent_is_written_once_per_message_that_left_and_a_refusal_also_bounces()
-> anyhow::Result<()> {
    on_every_backend(async |database| {
        let tenant = tenant(&database).await?;
        let (_, claimed) = claimed_campaign(&database, tenant, 4).await?;
        let ledger = database.send_ledger();
        let batch = [
            finished(&claimed[0], start(), sent(follow_up())),
            finished(
                &claimed[1],
                start(),
                SendOutcome::Bounced {
                    subject: "Hi".into(),
                    reply: "550 5.1.1 no such user".into(),
                },
            ),
            finished(
                &claimed[2],
                start(),
                SendOutcome::Deferred {
                    reply: "451 try later".into(),
                    retry_at: start() + Duration::minutes(5),
                },
            ),
            finished(
                &claimed[3],
                start(),
                SendOutcome::Unknown {
                    subject: "Hi".into(),
                    detail: "connection lost".into(),
                },
            ),
        ];
        ledger.finish(&batch).await?;
        // A report of the same send again changes nothing.
        ledger.finish(&batch[..1]).await?;
        let events = event_rows(&database).await?;
        let kinds: Vec<(&str, Option<&str>)> = events
            .iter()
            .map(|event| (event.kind.as_str(), event.message_id.as_deref()))
            .collect();
        assert_eq!(
            kinds,
            [
                ("email.sent", Some(claimed[0].message_id.as_str())),
                ("email.sent", Some(claimed[1].message_id.as_str())),
                ("email.bounced", Some(claimed[1].message_id.as_str())),
                ("lead.bounced", Some(claimed[1].message_id.as_str())),
            ]
        );
        let first = &events[0];
        assert_eq!(first.lead, Some(claimed[0].lead.to_string()));
        assert_eq!(first.enrolment, Some(claimed[0].enrolment.to_string()));
        assert_eq!(first.at_ms, start().timestamp_millis());
        let data: serde_json::Value =
            serde_json::from_str(events[2].data.as_deref().context("bounce data")?)?;
        assert_eq!(data, serde_json::json!({"bounceStatus": "5.1.1"}));
        Ok(())
    })
    .await
}

#[tokio::test]
async fn campaign_counts_are_first_events_per_message_by_step_and_agree_with_the_stored_stats()
-> anyhow::Result<()> {
    on_every_backend(async |database| {
        let tenant = tenant(&database).await?;
        let (campaign, mut claimed) = claimed_campaign(&database, tenant, 3).await?;
        // The third message is a subsequence's (as the claim of a subsequence's enrolment is).
        let subsequence = campaign.subsequences()[0].id();
        adapters::testing::send_of_subsequence(
            &database,
            &claimed[2].id.to_string(),
            &subsequence.to_string(),
        )
        .await?;
        claimed[2].subsequence = Some(subsequence);
        let day = Duration::days(1);
        database
            .send_ledger()
            .finish(&[
                finished(&claimed[0], start(), sent(follow_up())),
                finished(
                    &claimed[1],
                    start(),
                    SendOutcome::Bounced {
                        subject: "Hi".into(),
                        reply: "550 5.1.1 no such user".into(),
                    },
                ),
                finished(&claimed[2], start(), sent(follow_up())),
            ])
            .await?;
        let minute = Duration::minutes(1);
        database
            .tracking()
            .record_hits(&[
                open(&claimed[0], start() + minute * 5),
                open(&claimed[0], start() + minute * 7),
                click(&claimed[0], start() + minute * 8),
                click(&claimed[0], start() + day),
                open(&claimed[0], start() + day),
                open(&claimed[2], start() + day),
            ])
            .await?;
        reply(&database, &claimed[0], start() + day).await?;
        reply(&database, &claimed[0], start() + day * 2).await?;
        reply(&database, &claimed[2], start() + day * 2).await?;

        let analytics = database.analytics();
        let all = analytics
            .campaign_counts(tenant.workspace, campaign.id(), ReportSpan::default())
            .await?;
        let expected = Stats {
            sent: 3,
            delivered: 2,
            opened: 2,
            clicked: 1,
            replied: 2,
            bounced: 1,
            unsubscribed: 0,
        };
        assert_eq!(total(&all.steps), expected);
        // What the engine and tracking counted as they wrote (replies are the reader's, not here).
        let counted = stored(&database, &campaign).await?.stats();
        assert_eq!(
            Stats {
                replied: 2,
                ..counted
            },
            expected
        );
        let main: Vec<_> = all
            .steps
            .iter()
            .filter(|s| s.subsequence.is_none())
            .collect();
        let of_subsequence: Vec<_> = all
            .steps
            .iter()
            .filter(|s| s.subsequence.is_some())
            .collect();
        assert_eq!(of_subsequence.len(), 1);
        assert_eq!(of_subsequence[0].subsequence, Some(subsequence));
        assert_eq!(
            of_subsequence[0].stats,
            Stats {
                sent: 1,
                delivered: 1,
                opened: 1,
                replied: 1,
                ..Stats::default()
            }
        );
        assert!(main.iter().all(|step| step.step == claimed[0].step));
        assert_eq!(all.replied_leads, 2);

        // The second day only: the firsts that fell on it.
        let second_day = analytics
            .campaign_counts(
                tenant.workspace,
                campaign.id(),
                span(start() + day, start() + day * 2),
            )
            .await?;
        assert_eq!(
            total(&second_day.steps),
            Stats {
                opened: 1,
                replied: 1,
                ..Stats::default()
            }
        );
        assert_eq!(second_day.replied_leads, 1);
        // The span's end is exclusive: a span ending at the sends sees none of them.
        let before = analytics
            .campaign_counts(
                tenant.workspace,
                campaign.id(),
                span(start() - day, start()),
            )
            .await?;
        assert!(before.steps.is_empty());

        // Another workspace sees nothing of it.
        let other = crate::support::tenant(&database).await?;
        let foreign = analytics
            .campaign_counts(other.workspace, campaign.id(), ReportSpan::default())
            .await?;
        assert!(foreign.steps.is_empty());
        assert_eq!(foreign.replied_leads, 0);

        let overview = analytics
            .workspace_counts(tenant.workspace, ReportSpan::default())
            .await?;
        assert_eq!(overview.stats, expected);
        assert_eq!((overview.campaigns, overview.active_campaigns), (1, 1));
        let empty = analytics
            .workspace_counts(other.workspace, ReportSpan::default())
            .await?;
        assert_eq!(empty.stats, Stats::default());
        assert_eq!((empty.campaigns, empty.active_campaigns), (0, 0));
        Ok(())
    })
    .await
}

fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, min, 0)
        .single()
        .expect("a valid time")
}

#[tokio::test]
async fn daily_counts_put_each_first_event_on_its_local_date_across_new_yorks_fall_back()
-> anyhow::Result<()> {
    on_every_backend(async |database| {
        let tenant = tenant(&database).await?;
        let (campaign, claimed) = claimed_campaign(&database, tenant, 4).await?;
        // 2026-11-01 is 25 hours long in New York: 04:00 UTC to 05:00 UTC on 2 November.
        let times = [
            utc(2026, 11, 1, 3, 59), // 31 October, 23:59 EDT
            utc(2026, 11, 1, 4, 0),  // 1 November, 00:00 EDT
            utc(2026, 11, 2, 4, 59), // 1 November, 23:59 EST (the 25th hour)
            utc(2026, 11, 2, 5, 0),  // 2 November, 00:00 EST
        ];
        let batch: Vec<FinishedSend> = claimed
            .iter()
            .zip(times)
            .map(|(claim, at)| finished(claim, at, sent(follow_up())))
            .collect();
        database.send_ledger().finish(&batch).await?;
        database
            .tracking()
            .record_hits(&[
                open(&claimed[1], utc(2026, 11, 2, 4, 30)),
                open(&claimed[1], utc(2026, 11, 2, 6, 0)),
            ])
            .await?;
        reply(&database, &claimed[3], utc(2026, 11, 3, 4, 59)).await?;
        let zone = domain::values::Timezone::parse("America/New_York")
            .map_err(|refusal| anyhow::anyhow!(refusal.message))?
            .tz();
        let date = |m, d| RangeBound::Date(NaiveDate::from_ymd_opt(2026, m, d).expect("a date"));
        let range = DayRange::resolve(
            Some(date(10, 31)),
            Some(date(11, 2)),
            zone,
            utc(2026, 12, 1, 0, 0),
        )
        .map_err(|(name, refusal)| anyhow::anyhow!("{name}: {}", refusal.message))?;
        let days = database
            .analytics()
            .daily_counts(tenant.workspace, campaign.id(), &range.periods(zone))
            .await?;
        let by_date: Vec<(String, u64, u64, u64)> = days
            .iter()
            .map(|day| {
                (
                    range
                        .date_at(i64::from(day.day))
                        .expect("a date")
                        .to_string(),
                    day.stats.sent,
                    day.stats.opened,
                    day.stats.replied,
                )
            })
            .collect();
        assert_eq!(
            by_date,
            [
                ("2026-10-31".to_owned(), 1, 0, 0),
                ("2026-11-01".to_owned(), 2, 1, 0),
                ("2026-11-02".to_owned(), 1, 0, 1),
            ]
        );
        // Another workspace: nothing.
        let other = crate::support::tenant(&database).await?;
        let foreign = database
            .analytics()
            .daily_counts(other.workspace, campaign.id(), &range.periods(zone))
            .await?;
        assert!(foreign.is_empty());
        Ok(())
    })
    .await
}

async fn page(
    database: &Database,
    tenant: Tenant,
    campaign: CampaignId,
    kind: Option<EventType>,
    before: Option<ObjectId>,
    limit: i64,
) -> anyhow::Result<application::ports::EventPage> {
    Ok(database
        .analytics()
        .events(
            tenant.workspace,
            campaign,
            &EventQuery {
                kind,
                before,
                limit: PageLimit::parse(Some(limit)).expect("a limit"),
            },
        )
        .await?)
}

#[tokio::test]
async fn event_pages_walk_every_row_newest_first_without_gaps_or_repeats_and_filter_by_type()
-> anyhow::Result<()> {
    on_every_backend(async |database| {
        let tenant = tenant(&database).await?;
        let (campaign, claimed) = claimed_campaign(&database, tenant, 3).await?;
        let batch: Vec<FinishedSend> = claimed
            .iter()
            .map(|claim| finished(claim, start(), sent(follow_up())))
            .collect();
        database.send_ledger().finish(&batch).await?;
        let minute = Duration::minutes(1);
        let hits: Vec<TrackedHit> = (0..4)
            .map(|n| open(&claimed[n % 3], start() + minute * (n as i32 + 1)))
            .collect();
        database.tracking().record_hits(&hits).await?;
        reply(&database, &claimed[0], start() + minute * 10).await?;
        // 3 sent, 4 opened, 2 for the reply.
        let mut seen = Vec::new();
        let mut cursor = None;
        loop {
            let page = page(&database, tenant, campaign.id(), None, cursor, 4).await?;
            assert_eq!(page.total, 9);
            seen.extend(page.events.iter().map(|event| event.id));
            if !page.has_more {
                break;
            }
            cursor = page.events.last().map(|event| event.id);
        }
        assert_eq!(seen.len(), 9);
        assert_eq!(seen.iter().collect::<HashSet<_>>().len(), 9);
        let mut newest_first = seen.clone();
        newest_first.sort_by_key(|id| std::cmp::Reverse(id.to_string()));
        assert_eq!(seen, newest_first);

        let opens = page(
            &database,
            tenant,
            campaign.id(),
            Some(EventType::EmailOpened),
            None,
            100,
        )
        .await?;
        assert_eq!(opens.total, 4);
        assert!(
            opens
                .events
                .iter()
                .all(|event| event.kind == "email.opened")
        );
        let replied = page(
            &database,
            tenant,
            campaign.id(),
            Some(EventType::EmailReplied),
            None,
            100,
        )
        .await?;
        let event = &replied.events[0];
        assert_eq!(
            event.message_id.as_deref(),
            Some(claimed[0].message_id.as_str())
        );
        assert_eq!(event.lead, Some(claimed[0].lead));
        assert_eq!(event.mailbox, Some(claimed[0].mailbox));
        assert_eq!(event.step, Some(claimed[0].step));
        assert_eq!(event.data.as_deref(), Some(r#"{"replyText":"Thanks"}"#));
        assert_eq!(event.at, start() + minute * 10);

        let other = crate::support::tenant(&database).await?;
        let foreign = page(&database, other, campaign.id(), None, None, 100).await?;
        assert_eq!((foreign.total, foreign.events.len()), (0, 0));
        Ok(())
    })
    .await
}

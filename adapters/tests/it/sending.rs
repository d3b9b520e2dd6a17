//! `SendLedger`: the contract of application/src/ports/sending.rs on every backend — the limits of
//! SENDING.md section 2 under concurrent claimers, at most once per (enrolment, step), what a finished
//! claim does to its enrolment, and do-not-contact — checked on the ledger's rows as stored.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use adapters::Database;
use adapters::testing::{LedgerRow, ledger_rows};
use anyhow::Context as _;
use application::ports::{
    ClaimRequest, ClaimedSend, FinishedSend, HitKind, LeadChoice, NewDncEntry, NextStep,
    SendOutcome, TrackedHit, TrackingHit,
};
use chrono::{DateTime, Duration, Utc};
use domain::campaign::Campaign;
use domain::dnc::{DncEntry, DncReason};
use domain::enrolment::{EnrolmentStatus, StopReason};
use domain::id::{LeadId, MailboxId, ObjectId};
use domain::mailbox::{Mailbox, MailboxFields};
use domain::request::{
    CampaignRequest, MailboxRequest, ScheduleRequest, VariantOptimizationRequest,
};
use domain::status::LifecycleAction;

use crate::enrolments::{act, store_leads};
use crate::support::*;

/// A mailbox that may send (SMTP configured), `limit` a day.
pub(crate) async fn sending_mailbox(
    database: &Database,
    tenant: Tenant,
    limit: i64,
) -> anyhow::Result<MailboxId> {
    let fields = MailboxFields::parse(&MailboxRequest {
        email: Some(format!("s{}@acme.test", new_id::<MailboxId>())),
        provider: s("custom"),
        daily_send_limit: Some(limit),
        sending_enabled: Some(true),
        smtp_host: s("127.0.0.1"),
        smtp_port: Some(2525),
        ..MailboxRequest::default()
    })
    .expect("valid mailbox fields");
    store_mailbox(
        database,
        Mailbox::register(new_id(), tenant.workspace, fields, at(1)),
    )
    .await
}

/// An active campaign of the full request (an email, a wait of 3 days 4 hours, an email), sending
/// every day around the clock in UTC, from `mailboxes`, with these limits; `leads` enrolled.
pub(crate) async fn active_campaign(
    database: &Database,
    tenant: Tenant,
    mailboxes: Vec<MailboxId>,
    daily_limit: Option<i64>,
    interval_minutes: i64,
    leads: &[LeadId],
) -> anyhow::Result<Campaign> {
    active_campaign_with(
        database,
        tenant,
        mailboxes,
        daily_limit,
        interval_minutes,
        leads,
        |_| {},
    )
    .await
}

/// [`active_campaign`], with the request changed by `adjust` before it is stored.
pub(crate) async fn active_campaign_with(
    database: &Database,
    tenant: Tenant,
    mailboxes: Vec<MailboxId>,
    daily_limit: Option<i64>,
    interval_minutes: i64,
    leads: &[LeadId],
    adjust: impl FnOnce(&mut CampaignRequest),
) -> anyhow::Result<Campaign> {
    let mut request = full_request();
    request.schedule = Some(ScheduleRequest {
        timezone: s("UTC"),
        start_time: s("00:00"),
        end_time: s("23:59"),
        working_days: Some(vec![0, 1, 2, 3, 4, 5, 6]),
        skip_national_holidays: Some(false),
    });
    let settings = request.settings.as_mut().context("settings")?;
    settings.daily_send_limit = daily_limit;
    settings.email_interval_minutes = Some(interval_minutes);
    settings.esp_matching_mode = s("disabled");
    adjust(&mut request);
    let draft = campaign(tenant, &request, mailboxes, None);
    database.campaigns().insert(&draft).await?;
    let started = act(database, &draft, LifecycleAction::Start).await?;
    database
        .enrolments()
        .enrol(
            tenant.workspace,
            started.id(),
            &LeadChoice::Ids(leads.to_vec()),
            at(100),
        )
        .await
        .map_err(|error| anyhow::anyhow!("{error}"))?;
    Ok(started)
}

/// The campaign as stored now.
pub(crate) async fn stored(database: &Database, campaign: &Campaign) -> anyhow::Result<Campaign> {
    find_campaign(database, campaign.workspace_id(), campaign.id())
        .await?
        .context("the campaign")
}

/// Six days after the campaigns were made (every day sends, in UTC).
pub(crate) fn start() -> DateTime<Utc> {
    at(0) + Duration::days(6)
}

pub(crate) async fn claim(
    database: &Database,
    campaign: &Campaign,
    worker: &str,
    now: DateTime<Utc>,
    count: usize,
) -> anyhow::Result<Vec<ClaimedSend>> {
    let ids = (0..count).map(|_| new_id::<ObjectId>()).collect();
    Ok(database
        .send_ledger()
        .claim(&ClaimRequest {
            campaign: campaign.clone(),
            worker: worker.to_owned(),
            now,
            ids,
        })
        .await?)
}

/// Records what became of `claim` at `at`.
pub(crate) async fn finish(
    database: &Database,
    claim: &ClaimedSend,
    at: DateTime<Utc>,
    outcome: SendOutcome,
) -> anyhow::Result<()> {
    database
        .send_ledger()
        .finish(&[FinishedSend {
            claim: claim.clone(),
            at,
            outcome,
        }])
        .await?;
    Ok(())
}

/// Each (enrolment, step) at most once in the ledger.
fn assert_at_most_once(rows: &[LedgerRow]) {
    let mut seen = HashSet::new();
    for row in rows {
        assert!(
            seen.insert((row.enrolment.clone(), row.step)),
            "claimed twice: {row:?}"
        );
    }
}

#[tokio::test]
async fn limits_64_concurrent_claimers_never_exceed_a_mailbox_limit_or_the_spacing()
-> anyhow::Result<()> {
    on_every_backend(async |database| {
        let tenant = tenant(&database).await?;
        let mailboxes = vec![
            sending_mailbox(&database, tenant, 50).await?,
            sending_mailbox(&database, tenant, 50).await?,
        ];
        let leads = store_leads(&database, tenant, 200).await?;
        let mut campaigns = Vec::new();
        for _ in 0..3 {
            campaigns.push(Arc::new(
                active_campaign(&database, tenant, mailboxes.clone(), None, 2, &leads).await?,
            ));
        }
        // Three campaigns share two mailboxes: each may send one email per mailbox every 2
        // minutes, so 3 a minute, until the mailboxes' 50 a day each are spent (minute 33).
        for minute in 0..45 {
            let now = start() + Duration::minutes(minute);
            let mut claimers = Vec::new();
            for claimer in 0..64 {
                let database = database.clone();
                let campaign = Arc::clone(&campaigns[claimer % campaigns.len()]);
                claimers.push(tokio::spawn(async move {
                    claim(&database, &campaign, &format!("worker-{claimer}"), now, 4).await
                }));
            }
            for claimer in claimers {
                claimer.await??;
            }
        }
        let rows = ledger_rows(&database).await?;
        assert_at_most_once(&rows);
        let mut per_mailbox: BTreeMap<&str, usize> = BTreeMap::new();
        let mut per_pair: BTreeMap<(&str, &str), Vec<i64>> = BTreeMap::new();
        for row in &rows {
            *per_mailbox.entry(&row.mailbox).or_default() += 1;
            per_pair
                .entry((&row.campaign, &row.mailbox))
                .or_default()
                .push(row.claimed_at_ms);
        }
        // Every claim is within 24 hours of every other: no mailbox above 50 in any 24 hours.
        assert!(
            per_mailbox.values().all(|count| *count <= 50),
            "{per_mailbox:?}"
        );
        // And the limits, not the claimers, stopped it: both mailboxes are spent.
        assert_eq!(per_mailbox.values().sum::<usize>(), 100, "{per_mailbox:?}");
        for ((campaign, mailbox), mut times) in per_pair {
            times.sort_unstable();
            for pair in times.windows(2) {
                assert!(
                    pair[1] - pair[0] >= 2 * 60_000,
                    "campaign {campaign} sent twice from {mailbox} within 2 minutes: {pair:?}"
                );
            }
        }
        // A day after the first claims, the mailboxes have room again.
        let later = claim(
            &database,
            &campaigns[0],
            "worker-0",
            start() + Duration::hours(24) + Duration::minutes(1),
            4,
        )
        .await?;
        assert!(!later.is_empty());
        Ok(())
    })
    .await
}

#[tokio::test]
async fn campaign_limit_a_campaign_claims_at_most_its_daily_limit_per_local_date()
-> anyhow::Result<()> {
    on_every_backend(async |database| {
        let tenant = tenant(&database).await?;
        let mut mailboxes = Vec::new();
        for _ in 0..10 {
            mailboxes.push(sending_mailbox(&database, tenant, 50).await?);
        }
        let leads = store_leads(&database, tenant, 40).await?;
        let campaign = active_campaign(&database, tenant, mailboxes, Some(15), 1, &leads).await?;
        let mut claimed = 0;
        for minute in 0..5 {
            let now = start() + Duration::minutes(minute);
            claimed += claim(&database, &campaign, "worker", now, 10).await?.len();
        }
        assert_eq!(claimed, 15);
        // The next local date (UTC here) has its own 15.
        let tomorrow = start() + Duration::days(1);
        assert_eq!(
            claim(&database, &campaign, "worker", tomorrow, 10)
                .await?
                .len(),
            10
        );
        Ok(())
    })
    .await
}

#[tokio::test]
async fn a_sent_claim_advances_its_enrolment_and_its_follow_up_threads_from_the_same_mailbox()
-> anyhow::Result<()> {
    on_every_backend(async |database| {
        let tenant = tenant(&database).await?;
        let mailboxes = vec![
            sending_mailbox(&database, tenant, 50).await?,
            sending_mailbox(&database, tenant, 50).await?,
        ];
        let leads = store_leads(&database, tenant, 1).await?;
        let campaign = active_campaign(&database, tenant, mailboxes, None, 1, &leads).await?;
        let first = claim(&database, &campaign, "worker", start(), 5).await?;
        assert_eq!(first.len(), 1);
        let first = first.into_iter().next().context("a claim")?;
        assert_eq!(first.step, 0);
        assert_eq!(first.previous, None);
        // Claimed and not finished: not claimed again, however often asked.
        let later = start() + Duration::minutes(30);
        assert!(
            claim(&database, &campaign, "worker", later, 5)
                .await?
                .is_empty()
        );

        let due = start() + Duration::days(3) + Duration::hours(4);
        finish(
            &database,
            &first,
            start(),
            SendOutcome::Sent {
                subject: "Quick question about Acme".into(),
                reply: "250 OK".into(),
                next: NextStep::Email { step: 2, due },
            },
        )
        .await?;
        let enrolment = database
            .enrolments()
            .find(tenant.workspace, campaign.id(), first.enrolment)
            .await?
            .context("the enrolment")?;
        assert_eq!(enrolment.emails_sent, 1);
        assert_eq!(enrolment.current_step, 2);
        assert_eq!(enrolment.next_send_at, Some(due));
        assert_eq!(enrolment.history.len(), 1);
        assert_eq!(
            enrolment.history[0].message_id.as_deref(),
            Some(first.message_id.as_str())
        );
        let now_stored = stored(&database, &campaign).await?;
        assert_eq!(now_stored.stats().sent, 1);
        assert_eq!(now_stored.stats().delivered, 1);

        // Not due before its wait is over; then from the same mailbox, in the same thread.
        assert!(
            claim(
                &database,
                &campaign,
                "worker",
                due - Duration::minutes(1),
                5
            )
            .await?
            .is_empty()
        );
        let follow_up = claim(&database, &campaign, "worker", due, 5).await?;
        assert_eq!(follow_up.len(), 1);
        assert_eq!(follow_up[0].step, 2);
        assert_eq!(follow_up[0].mailbox, first.mailbox);
        let previous = follow_up[0].previous.as_ref().context("a thread")?;
        assert_eq!(previous.message_id, first.message_id);
        assert_eq!(
            previous.subject.as_deref(),
            Some("Quick question about Acme")
        );

        finish(
            &database,
            &follow_up[0],
            due,
            SendOutcome::Sent {
                subject: "Re: Quick question about Acme".into(),
                reply: "250 OK".into(),
                next: NextStep::Done,
            },
        )
        .await?;
        let enrolment = database
            .enrolments()
            .find(tenant.workspace, campaign.id(), first.enrolment)
            .await?
            .context("the enrolment")?;
        assert_eq!(enrolment.status, EnrolmentStatus::Completed);
        assert_eq!(enrolment.emails_sent, 2);
        let now_stored = stored(&database, &campaign).await?;
        assert_eq!(now_stored.lead_counts().completed(), 1);
        assert_eq!(now_stored.lead_counts().active(), 0);
        Ok(())
    })
    .await
}

#[tokio::test]
async fn at_most_once_an_abandoned_claim_is_unknown_and_never_claimed_again() -> anyhow::Result<()>
{
    on_every_backend(async |database| {
        let tenant = tenant(&database).await?;
        let mailboxes = vec![sending_mailbox(&database, tenant, 50).await?];
        let leads = store_leads(&database, tenant, 1).await?;
        let campaign = active_campaign(&database, tenant, mailboxes, None, 1, &leads).await?;
        let claimed = claim(&database, &campaign, "crashed", start(), 5).await?;
        assert_eq!(claimed.len(), 1);
        // Another live worker's claims are left alone: it beat a moment ago.
        let ledger = database.send_ledger();
        let restart = start() + Duration::minutes(1);
        ledger.heartbeat("crashed", start()).await?;
        let stale_before = start() - Duration::seconds(60);
        assert_eq!(
            ledger
                .abandon_claims("restarted", stale_before, restart)
                .await?,
            0
        );
        // Its heartbeat stops: its claim is unknown, and stays unsent.
        let stale_before = start() + Duration::seconds(1);
        assert_eq!(
            ledger
                .abandon_claims("restarted", stale_before, restart)
                .await?,
            1
        );
        let later = start() + Duration::minutes(10);
        assert!(
            claim(&database, &campaign, "restarted", later, 5)
                .await?
                .is_empty()
        );
        // A late report of the crashed claim changes nothing (nor would any other outcome).
        finish(
            &database,
            &claimed[0],
            later,
            SendOutcome::Sent {
                subject: "s".into(),
                reply: "250".into(),
                next: NextStep::Done,
            },
        )
        .await?;
        let rows = ledger_rows(&database).await?;
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].state, "unknown");
        Ok(())
    })
    .await
}

#[tokio::test]
async fn a_deferred_claim_is_claimed_again_at_its_retry_time_only() -> anyhow::Result<()> {
    on_every_backend(async |database| {
        let tenant = tenant(&database).await?;
        let mailboxes = vec![sending_mailbox(&database, tenant, 50).await?];
        let leads = store_leads(&database, tenant, 1).await?;
        let campaign = active_campaign(&database, tenant, mailboxes, None, 1, &leads).await?;
        let claimed = claim(&database, &campaign, "worker", start(), 5).await?;
        let retry_at = start() + Duration::minutes(5);
        finish(
            &database,
            &claimed[0],
            start(),
            SendOutcome::Deferred {
                reply: "451 try later".into(),
                retry_at,
            },
        )
        .await?;
        let early = start() + Duration::minutes(4);
        assert!(
            claim(&database, &campaign, "worker", early, 5)
                .await?
                .is_empty()
        );
        let again = claim(&database, &campaign, "worker", retry_at, 5).await?;
        assert_eq!(again.len(), 1);
        // The same claim row, the same Message-ID: one (enrolment, step), one message.
        assert_eq!(again[0].id, claimed[0].id);
        assert_eq!(again[0].message_id, claimed[0].message_id);
        assert_eq!((claimed[0].attempts, again[0].attempts), (1, 2));
        let rows = ledger_rows(&database).await?;
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].state, "claimed");
        Ok(())
    })
    .await
}

#[tokio::test]
async fn do_not_contact_a_listed_lead_is_stopped_never_claimed() -> anyhow::Result<()> {
    on_every_backend(async |database| {
        let tenant = tenant(&database).await?;
        let mailboxes = vec![sending_mailbox(&database, tenant, 50).await?];
        let leads = store_leads(&database, tenant, 3).await?;
        let campaign = active_campaign(&database, tenant, mailboxes, None, 1, &leads).await?;
        // store_leads names its leads lead{n}@acme.test.
        database
            .do_not_contact()
            .add(
                tenant.workspace,
                &[NewDncEntry {
                    id: new_id(),
                    entry: DncEntry::email(&address("lead1@acme.test"), DncReason::Manual),
                }],
                at(50),
            )
            .await?;
        let mut claimed = Vec::new();
        for minute in 0..5 {
            let now = start() + Duration::minutes(minute);
            claimed.extend(claim(&database, &campaign, "worker", now, 5).await?);
        }
        assert_eq!(claimed.len(), 2);
        assert!(claimed.iter().all(|send| send.lead != leads[1]));
        let now_stored = stored(&database, &campaign).await?;
        assert_eq!(now_stored.lead_counts().completed(), 1);
        Ok(())
    })
    .await
}

#[tokio::test]
async fn a_skipped_claim_is_withdrawn_counts_for_no_spacing_and_stops_its_enrolment()
-> anyhow::Result<()> {
    on_every_backend(async |database| {
        let tenant = tenant(&database).await?;
        let mailboxes = vec![sending_mailbox(&database, tenant, 50).await?];
        let leads = store_leads(&database, tenant, 2).await?;
        let campaign = active_campaign(&database, tenant, mailboxes, None, 1, &leads).await?;
        let first = claim(&database, &campaign, "worker", start(), 5).await?;
        assert_eq!(first.len(), 1, "one a minute from the one mailbox");
        finish(
            &database,
            &first[0],
            start(),
            SendOutcome::Skipped {
                stop: StopReason::Seg,
            },
        )
        .await?;
        assert!(ledger_rows(&database).await?.is_empty(), "withdrawn");
        // The same minute: the withdrawn claim took no spacing, so the other lead is claimed.
        let second = claim(&database, &campaign, "worker", start(), 5).await?;
        assert_eq!(second.len(), 1);
        assert_ne!(second[0].enrolment, first[0].enrolment);
        // The skipped enrolment stopped: never claimed again.
        let later = claim(
            &database,
            &campaign,
            "worker",
            start() + Duration::days(1),
            5,
        )
        .await?;
        assert!(
            later
                .iter()
                .all(|send| send.enrolment != first[0].enrolment)
        );
        let now_stored = stored(&database, &campaign).await?;
        assert_eq!(now_stored.lead_counts().completed(), 1);
        Ok(())
    })
    .await
}

#[tokio::test]
async fn at_most_once_an_unknown_outcome_is_never_claimed_again() -> anyhow::Result<()> {
    on_every_backend(async |database| {
        let tenant = tenant(&database).await?;
        let mailboxes = vec![sending_mailbox(&database, tenant, 50).await?];
        let leads = store_leads(&database, tenant, 1).await?;
        let campaign = active_campaign(&database, tenant, mailboxes, None, 1, &leads).await?;
        let claimed = claim(&database, &campaign, "worker", start(), 5).await?;
        finish(
            &database,
            &claimed[0],
            start(),
            SendOutcome::Unknown {
                subject: "s".into(),
                detail: "no reply within 10 s after the message data".into(),
            },
        )
        .await?;
        for days in [0, 1, 7] {
            let later = start() + Duration::days(days) + Duration::minutes(5);
            assert!(
                claim(&database, &campaign, "worker", later, 5)
                    .await?
                    .is_empty()
            );
        }
        let rows = ledger_rows(&database).await?;
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].state, "unknown");
        Ok(())
    })
    .await
}

#[tokio::test]
async fn finishes_recorded_in_one_call_each_move_their_enrolment_and_add_up_in_the_counters()
-> anyhow::Result<()> {
    on_every_backend(async |database| {
        let tenant = tenant(&database).await?;
        let mut mailboxes = Vec::new();
        for _ in 0..3 {
            mailboxes.push(sending_mailbox(&database, tenant, 50).await?);
        }
        let leads = store_leads(&database, tenant, 3).await?;
        let campaign = active_campaign(&database, tenant, mailboxes, None, 1, &leads).await?;
        let mut claimed = claim(&database, &campaign, "worker", start(), 2).await?;
        claimed.extend(claim(&database, &campaign, "gone", start(), 1).await?);
        assert_eq!(claimed.len(), 3);
        // The third claim's process died meanwhile: its claim is unknown before the batch comes.
        let ledger = database.send_ledger();
        let abandoned = ledger
            .abandon_claims("worker", start() + Duration::seconds(1), start())
            .await?;
        assert_eq!(abandoned, 1);
        let sent = |next| SendOutcome::Sent {
            subject: "Hi".into(),
            reply: "250 OK".into(),
            next,
        };
        let follow_up = NextStep::Email {
            step: 2,
            due: start() + Duration::days(3),
        };
        let outcomes = [
            sent(follow_up),
            SendOutcome::Bounced {
                subject: "Hi".into(),
                reply: "550 5.1.1 no such user".into(),
            },
            sent(NextStep::Done),
        ];
        let batch: Vec<FinishedSend> = claimed
            .iter()
            .zip(outcomes)
            .map(|(claim, outcome)| FinishedSend {
                claim: claim.clone(),
                at: start(),
                outcome,
            })
            .collect();
        ledger.finish(&batch).await?;

        let campaign_id = campaign.id();
        let enrolment = |index: usize| {
            let database = &database;
            let claimed = &claimed;
            async move {
                database
                    .enrolments()
                    .find(tenant.workspace, campaign_id, claimed[index].enrolment)
                    .await?
                    .context("the enrolment")
            }
        };
        let first = enrolment(0).await?;
        assert_eq!(first.status, EnrolmentStatus::Active);
        assert_eq!(first.history.len(), 1);
        assert_eq!(enrolment(1).await?.status, EnrolmentStatus::Bounced);
        // The unknown claim's report changed nothing: not completed, not counted.
        let third = enrolment(2).await?;
        assert_eq!(third.status, EnrolmentStatus::Active);
        assert!(third.history.is_empty());
        let now_stored = stored(&database, &campaign).await?;
        let stats = now_stored.stats();
        assert_eq!((stats.sent, stats.delivered, stats.bounced), (2, 1, 1));
        assert_eq!(now_stored.lead_counts().bounced(), 1);
        assert_eq!(now_stored.lead_counts().active(), 2);
        let mut states: Vec<String> = ledger_rows(&database)
            .await?
            .into_iter()
            .map(|row| row.state)
            .collect();
        states.sort();
        assert_eq!(states, ["bounced", "sent", "unknown"]);
        Ok(())
    })
    .await
}

#[tokio::test]
async fn a_permanent_refusal_bounces_the_enrolment_and_counts_sent_and_bounced_not_delivered()
-> anyhow::Result<()> {
    on_every_backend(async |database| {
        let tenant = tenant(&database).await?;
        let mailboxes = vec![sending_mailbox(&database, tenant, 50).await?];
        let leads = store_leads(&database, tenant, 1).await?;
        let campaign = active_campaign(&database, tenant, mailboxes, None, 1, &leads).await?;
        let claimed = claim(&database, &campaign, "worker", start(), 5).await?;
        finish(
            &database,
            &claimed[0],
            start(),
            SendOutcome::Bounced {
                subject: "Hi".into(),
                reply: "550 5.1.1 no such user".into(),
            },
        )
        .await?;
        let enrolment = database
            .enrolments()
            .find(tenant.workspace, campaign.id(), claimed[0].enrolment)
            .await?
            .context("the enrolment")?;
        assert_eq!(enrolment.status, EnrolmentStatus::Bounced);
        assert!(enrolment.history[0].bounced_at.is_some());
        let now_stored = stored(&database, &campaign).await?;
        assert_eq!(
            (
                now_stored.stats().sent,
                now_stored.stats().delivered,
                now_stored.stats().bounced
            ),
            (1, 0, 1)
        );
        assert_eq!(now_stored.lead_counts().bounced(), 1);
        assert_eq!(now_stored.lead_counts().active(), 0);
        // Never claimed again, its follow-up neither.
        let later = start() + Duration::days(5);
        assert!(
            claim(&database, &campaign, "worker", later, 5)
                .await?
                .is_empty()
        );
        Ok(())
    })
    .await
}

#[tokio::test]
async fn pause_a_paused_campaign_claims_nothing_and_resume_claims_again() -> anyhow::Result<()> {
    on_every_backend(async |database| {
        let tenant = tenant(&database).await?;
        let mailboxes = vec![sending_mailbox(&database, tenant, 50).await?];
        let leads = store_leads(&database, tenant, 1).await?;
        let campaign = active_campaign(&database, tenant, mailboxes, None, 1, &leads).await?;
        let paused = act(&database, &campaign, LifecycleAction::Pause).await?;
        // The claimer still holds the campaign as it read it (active): the claim reads the status
        // under the campaign's lock and claims nothing.
        assert!(
            claim(&database, &campaign, "worker", start(), 5)
                .await?
                .is_empty()
        );
        let resumed = act(&database, &paused, LifecycleAction::Resume).await?;
        assert_eq!(
            claim(&database, &resumed, "worker", start(), 5)
                .await?
                .len(),
            1
        );
        Ok(())
    })
    .await
}

#[tokio::test]
async fn variant_optimization_sends_the_best_variant_once_every_variant_was_tried_enough()
-> anyhow::Result<()> {
    on_every_backend(async |database| {
        let tenant = tenant(&database).await?;
        let mailboxes = vec![sending_mailbox(&database, tenant, 50).await?];
        let leads = store_leads(&database, tenant, 3).await?;
        let campaign = active_campaign_with(&database, tenant, mailboxes, None, 1, &leads, |r| {
            if let Some(settings) = r.settings.as_mut() {
                settings.variant_optimization = Some(VariantOptimizationRequest {
                    enabled: Some(true),
                    minimum_sends_per_variant: Some(1),
                    minimum_days: Some(0),
                    optimization_metric: s("openRate"),
                    keep_minimum_variants: Some(1),
                });
            }
        })
        .await?;
        // One send a minute from the one mailbox: A, then B (spread evenly until each has one).
        let mut sent = Vec::new();
        for minute in 0..2 {
            let now = start() + Duration::minutes(minute);
            let claimed = claim(&database, &campaign, "worker", now, 5).await?;
            assert_eq!(claimed.len(), 1);
            let claimed = claimed.into_iter().next().context("a claim")?;
            finish(
                &database,
                &claimed,
                now,
                SendOutcome::Sent {
                    subject: "Hi".into(),
                    reply: "250 OK".into(),
                    next: NextStep::Done,
                },
            )
            .await?;
            sent.push(claimed);
        }
        let letters: Vec<_> = sent.iter().map(|claim| claim.variant.clone()).collect();
        assert_eq!(letters, [Some("A".to_owned()), Some("B".to_owned())]);
        // B is opened: by open rate A is behind, and stops getting new enrolments (even spreading
        // alone would give A, the earlier letter of a tie).
        database
            .tracking()
            .record_hits(&[TrackedHit {
                hit: TrackingHit {
                    send: sent[1].id,
                    event: new_id(),
                    at: start() + Duration::minutes(1),
                },
                kind: HitKind::Open,
            }])
            .await?;
        let third = claim(
            &database,
            &campaign,
            "worker",
            start() + Duration::minutes(2),
            5,
        )
        .await?;
        assert_eq!(third.len(), 1);
        assert_eq!(third[0].variant.as_deref(), Some("B"));
        Ok(())
    })
    .await
}

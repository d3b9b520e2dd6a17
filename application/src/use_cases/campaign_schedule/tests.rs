//! The schedule gathers the campaign, its mailboxes that can send and its due enrolments, and leaves
//! the rules to the domain's forecast.

use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use domain::id::{CampaignId, MailboxId, ObjectId, UserId, WorkspaceId};
use domain::mailbox::{Mailbox, MailboxFields};
use domain::request::MailboxRequest;
use domain::send_forecast::{DueGroup, ForecastDays};

use super::{CampaignSchedule, ScheduleError};
use crate::ports::{
    MockCampaignRepository, MockClock, MockEnrolmentRepository, MockMailboxRepository, Version,
    VersionedCampaign,
};
use crate::tenancy::Tenancy;
use crate::use_cases::test_campaigns::email_draft;

fn tenancy() -> Tenancy {
    Tenancy {
        workspace_id: WorkspaceId::from(ObjectId::from_parts(1_000, [0xcd; 5], 1)),
        user_id: UserId::from(ObjectId::from_parts(2_000, [0xcd; 5], 1)),
    }
}

fn campaign_id() -> CampaignId {
    CampaignId::from(ObjectId::from_parts(3_000, [0xcd; 5], 1))
}

fn mailbox_id(n: u32) -> MailboxId {
    MailboxId::from(ObjectId::from_parts(4_000, [0xcd; 5], n))
}

fn mailbox(n: u32, limit: i64, sending_enabled: bool) -> Mailbox {
    let fields = MailboxFields::parse(&MailboxRequest {
        email: Some(format!("sender{n}@example.com")),
        provider: Some("gmail".into()),
        daily_send_limit: Some(limit),
        sending_enabled: Some(sending_enabled),
        smtp_host: Some("smtp.example.com".into()),
        ..MailboxRequest::default()
    })
    .expect("valid mailbox");
    Mailbox::register(mailbox_id(n), tenancy().workspace_id, fields, now())
}

/// Monday 2026-12-07, 06:00 UTC: before the default window of every zone west of UTC+3.
fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 7, 6, 0, 0)
        .single()
        .expect("valid time")
}

fn schedule(
    campaigns: MockCampaignRepository,
    mailboxes: MockMailboxRepository,
    enrolments: MockEnrolmentRepository,
) -> CampaignSchedule {
    let mut clock = MockClock::new();
    clock.expect_now().return_const(now());
    CampaignSchedule {
        campaigns: Arc::new(campaigns),
        mailboxes: Arc::new(mailboxes),
        enrolments: Arc::new(enrolments),
        clock: Arc::new(clock),
    }
}

#[tokio::test]
async fn the_forecast_counts_only_the_campaigns_mailboxes_that_can_send() {
    let mut campaigns = MockCampaignRepository::new();
    campaigns.expect_find().returning(|_, id| {
        Ok(Some(VersionedCampaign {
            campaign: email_draft(id, tenancy(), vec![mailbox_id(1), mailbox_id(2)]),
            version: Version(0),
        }))
    });
    let mut mailboxes = MockMailboxRepository::new();
    mailboxes
        .expect_find_many()
        .withf(|workspace, ids| {
            *workspace == tenancy().workspace_id && ids == [mailbox_id(1), mailbox_id(2)]
        })
        .returning(|_, _| Ok(vec![mailbox(1, 20, true), mailbox(2, 50, false)]));
    let mut enrolments = MockEnrolmentRepository::new();
    enrolments
        .expect_due_groups()
        .withf(|workspace, campaign| {
            *workspace == tenancy().workspace_id && *campaign == campaign_id()
        })
        .returning(|_, _| {
            Ok(vec![DueGroup {
                sequence: None,
                step: 0,
                due: None,
                enrolments: 50,
            }])
        });
    let shown = schedule(campaigns, mailboxes, enrolments)
        .show(
            tenancy(),
            campaign_id(),
            ForecastDays::parse(Some(7)).expect("valid"),
        )
        .await
        .expect("a schedule");
    // The disabled mailbox adds nothing: 20 a day from the other, a draft forecast as if started.
    assert_eq!(shown.forecast.capacity_per_day, 20);
    let sends: Vec<u64> = shown
        .forecast
        .planned
        .iter()
        .map(|planned| planned.count)
        .filter(|count| *count > 0)
        .collect();
    assert_eq!(sends, [20, 20, 10]);
    assert_eq!(shown.forecast.remaining_sends, 50);
}

#[tokio::test]
async fn a_campaign_the_workspace_does_not_have_is_not_found() {
    let mut campaigns = MockCampaignRepository::new();
    campaigns.expect_find().returning(|_, _| Ok(None));
    let refused = schedule(
        campaigns,
        MockMailboxRepository::new(),
        MockEnrolmentRepository::new(),
    )
    .show(
        tenancy(),
        campaign_id(),
        ForecastDays::parse(None).expect("valid"),
    )
    .await
    .expect_err("no such campaign");
    assert!(matches!(refused, ScheduleError::NotFound));
}

//! Analytics checks the campaign is the workspace's, splits the counts into the main sequence and
//! the subsequences, lists every local date of a daily report, and rates the overview.

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use domain::analytics::RangeBound;
use domain::id::{CampaignId, ObjectId, SubsequenceId, UserId, WorkspaceId};
use domain::stats::Stats;

use super::{Analytics, AnalyticsError, RangeQuery};
use crate::ports::{
    CampaignCounts, DayCounts, MockAnalyticsRepository, MockCampaignRepository, MockClock,
    StepCounts, Version, VersionedCampaign, WorkspaceCounts,
};
use crate::tenancy::Tenancy;
use crate::use_cases::test_campaigns::email_draft;

fn tenancy() -> Tenancy {
    Tenancy {
        workspace_id: WorkspaceId::from(ObjectId::from_parts(1_000, [0xab; 5], 1)),
        user_id: UserId::from(ObjectId::from_parts(2_000, [0xab; 5], 1)),
    }
}

fn campaign_id() -> CampaignId {
    CampaignId::from(ObjectId::from_parts(3_000, [0xab; 5], 1))
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 7, 12, 0, 0)
        .single()
        .expect("valid time")
}

fn stats(sent: u64, opened: u64, replied: u64) -> Stats {
    Stats {
        sent,
        delivered: sent,
        opened,
        replied,
        ..Stats::default()
    }
}

fn found_campaigns() -> MockCampaignRepository {
    let mut campaigns = MockCampaignRepository::new();
    campaigns.expect_find().returning(|_, id| {
        Ok(Some(VersionedCampaign {
            campaign: email_draft(id, tenancy(), vec![]),
            version: Version(0),
        }))
    });
    campaigns
}

fn analytics(campaigns: MockCampaignRepository, reads: MockAnalyticsRepository) -> Analytics {
    let mut clock = MockClock::new();
    clock.expect_now().return_const(now());
    Analytics {
        campaigns: Arc::new(campaigns),
        analytics: Arc::new(reads),
        clock: Arc::new(clock),
    }
}

#[tokio::test]
async fn a_campaign_the_workspace_does_not_have_is_not_found_and_nothing_is_counted() {
    let mut campaigns = MockCampaignRepository::new();
    campaigns.expect_find().returning(|_, _| Ok(None));
    // No expectation on the reads: a read would panic.
    let analytics = analytics(campaigns, MockAnalyticsRepository::new());
    let report = analytics
        .campaign_report(tenancy(), campaign_id(), RangeQuery::default())
        .await;
    assert!(matches!(report, Err(AnalyticsError::NotFound)));
    let daily = analytics
        .daily(tenancy(), campaign_id(), RangeQuery::default())
        .await;
    assert!(matches!(daily, Err(AnalyticsError::NotFound)));
}

#[tokio::test]
async fn the_report_adds_the_steps_up_and_lists_only_the_main_sequences_steps() {
    let mut reads = MockAnalyticsRepository::new();
    reads.expect_campaign_counts().returning(|_, _, _| {
        let subsequence = SubsequenceId::from(ObjectId::from_parts(9, [1; 5], 1));
        Ok(CampaignCounts {
            steps: vec![
                StepCounts {
                    subsequence: None,
                    step: 0,
                    variant: Some("A".into()),
                    stats: stats(4, 2, 1),
                },
                StepCounts {
                    subsequence: None,
                    step: 2,
                    variant: None,
                    stats: stats(3, 1, 0),
                },
                StepCounts {
                    subsequence: Some(subsequence),
                    step: 0,
                    variant: None,
                    stats: stats(2, 2, 2),
                },
            ],
            replied_leads: 3,
        })
    });
    let report = analytics(found_campaigns(), reads)
        .campaign_report(tenancy(), campaign_id(), RangeQuery::default())
        .await
        .expect("a report");
    assert_eq!(report.stats, stats(9, 5, 3));
    assert_eq!(report.main, stats(7, 3, 1));
    assert_eq!(report.subsequences, stats(2, 2, 2));
    assert_eq!(
        report
            .steps
            .iter()
            .map(|step| step.step)
            .collect::<Vec<_>>(),
        [0, 2]
    );
    assert_eq!(report.total_replied, 3);
}

#[tokio::test]
async fn a_report_whose_to_is_before_its_from_is_refused_by_name_before_any_read() {
    let analytics = analytics(found_campaigns(), MockAnalyticsRepository::new());
    let range = RangeQuery {
        from: Some(RangeBound::Date(
            NaiveDate::from_ymd_opt(2026, 12, 7).expect("date"),
        )),
        to: Some(RangeBound::Date(
            NaiveDate::from_ymd_opt(2026, 12, 6).expect("date"),
        )),
    };
    let report = analytics
        .campaign_report(tenancy(), campaign_id(), range)
        .await;
    assert!(matches!(
        report,
        Err(AnalyticsError::InvalidParameter(("to", _)))
    ));
}

#[tokio::test]
async fn a_daily_report_lists_every_date_with_zeros_where_nothing_counted() {
    let mut reads = MockAnalyticsRepository::new();
    reads.expect_daily_counts().returning(|_, _, periods| {
        assert!(!periods.is_empty());
        Ok(vec![
            DayCounts {
                day: 0,
                stats: stats(2, 0, 0),
            },
            DayCounts {
                day: 2,
                stats: stats(1, 1, 0),
            },
        ])
    });
    let range = RangeQuery {
        from: Some(RangeBound::Date(
            NaiveDate::from_ymd_opt(2026, 12, 1).expect("date"),
        )),
        to: Some(RangeBound::Date(
            NaiveDate::from_ymd_opt(2026, 12, 4).expect("date"),
        )),
    };
    let rows = analytics(found_campaigns(), reads)
        .daily(tenancy(), campaign_id(), range)
        .await
        .expect("a daily report");
    let sent: Vec<(String, u64)> = rows
        .iter()
        .map(|row| (row.date.to_string(), row.stats.sent))
        .collect();
    assert_eq!(
        sent,
        [
            ("2026-12-01".to_owned(), 2),
            ("2026-12-02".to_owned(), 0),
            ("2026-12-03".to_owned(), 1),
            ("2026-12-04".to_owned(), 0)
        ]
    );
}

#[tokio::test]
async fn the_overview_rates_are_percent_of_sent_with_one_decimal() {
    let mut reads = MockAnalyticsRepository::new();
    reads.expect_workspace_counts().returning(|_, _| {
        Ok(WorkspaceCounts {
            stats: Stats {
                sent: 8,
                delivered: 7,
                opened: 3,
                clicked: 1,
                replied: 2,
                bounced: 1,
                unsubscribed: 0,
            },
            campaigns: 2,
            active_campaigns: 1,
        })
    });
    let overview = analytics(MockCampaignRepository::new(), reads)
        .overview(tenancy(), RangeQuery::default())
        .await
        .expect("an overview");
    let rates = overview.rates;
    assert_eq!(
        [rates.open, rates.click, rates.reply, rates.bounce],
        ["37.5", "12.5", "25.0", "12.5"]
    );
}

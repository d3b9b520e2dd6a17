//! Reading views: a kept view is answered only while its version is the stored one; only missing or
//! outdated views are read whole.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use domain::id::{CampaignId, ObjectId, UserId, WorkspaceId};

use super::{CampaignViews, ReadCampaignError, ReadCampaigns};
use crate::ports::{
    CampaignQuery, MockCampaignRepository, Version, VersionPage, VersionedCampaign,
};
use crate::tenancy::Tenancy;
use crate::use_cases::test_campaigns::email_draft;

fn tenancy() -> Tenancy {
    Tenancy {
        workspace_id: WorkspaceId::from(ObjectId::from_parts(1_000, [0xab; 5], 1)),
        user_id: UserId::from(ObjectId::from_parts(2_000, [0xab; 5], 1)),
    }
}

fn campaign(n: u32) -> CampaignId {
    CampaignId::from(ObjectId::from_parts(3_000, [0xab; 5], n))
}

fn stored(n: u32, version: i64) -> VersionedCampaign {
    VersionedCampaign {
        campaign: email_draft(campaign(n), tenancy(), vec![]),
        version: Version(version),
    }
}

/// Views as `"<id counter>@<version>"`, kept in a map; counts how many it made.
#[derive(Default)]
struct Labels {
    kept: Mutex<HashMap<(WorkspaceId, CampaignId), (Version, String)>>,
    made: Mutex<u32>,
}

impl Labels {
    fn keeping(entries: &[(u32, i64)]) -> Self {
        let labels = Labels::default();
        for &(n, version) in entries {
            labels.make(&stored(n, version));
        }
        *labels.made.lock().expect("not poisoned") = 0;
        labels
    }

    fn made(&self) -> u32 {
        *self.made.lock().expect("not poisoned")
    }
}

impl CampaignViews for Labels {
    type View = String;

    fn kept(&self, workspace: WorkspaceId, id: CampaignId) -> Option<(Version, String)> {
        self.kept
            .lock()
            .expect("not poisoned")
            .get(&(workspace, id))
            .cloned()
    }

    fn make(&self, found: &VersionedCampaign) -> String {
        *self.made.lock().expect("not poisoned") += 1;
        let label = format!("{}@{}", found.campaign.id(), found.version.0);
        self.kept.lock().expect("not poisoned").insert(
            (found.campaign.workspace_id(), found.campaign.id()),
            (found.version, label.clone()),
        );
        label
    }
}

fn reading(campaigns: MockCampaignRepository) -> ReadCampaigns {
    ReadCampaigns {
        campaigns: Arc::new(campaigns),
    }
}

fn label(n: u32, version: i64) -> String {
    format!("{}@{version}", campaign(n))
}

#[tokio::test]
async fn a_view_not_kept_is_made_from_one_whole_read_without_a_version_lookup() {
    let mut campaigns = MockCampaignRepository::new();
    campaigns.expect_version().never();
    campaigns
        .expect_find()
        .times(1)
        .returning(|_, _| Ok(Some(stored(1, 4))));
    let views = Labels::default();
    let view = reading(campaigns)
        .view(tenancy(), campaign(1), &views)
        .await
        .expect("found");
    assert_eq!(view, label(1, 4));
    assert_eq!(views.made(), 1);
}

#[tokio::test]
async fn a_kept_view_is_answered_while_its_version_is_the_stored_one() {
    let mut campaigns = MockCampaignRepository::new();
    campaigns
        .expect_version()
        .times(1)
        .returning(|_, _| Ok(Some(Version(4))));
    campaigns.expect_find().never();
    let views = Labels::keeping(&[(1, 4)]);
    let view = reading(campaigns)
        .view(tenancy(), campaign(1), &views)
        .await
        .expect("found");
    assert_eq!(view, label(1, 4));
    assert_eq!(views.made(), 0);
}

#[tokio::test]
async fn a_kept_view_of_an_older_version_is_made_again_from_the_stored_campaign() {
    let mut campaigns = MockCampaignRepository::new();
    campaigns
        .expect_version()
        .returning(|_, _| Ok(Some(Version(5))));
    campaigns
        .expect_find()
        .times(1)
        .returning(|_, _| Ok(Some(stored(1, 5))));
    let views = Labels::keeping(&[(1, 4)]);
    let view = reading(campaigns)
        .view(tenancy(), campaign(1), &views)
        .await
        .expect("found");
    assert_eq!(view, label(1, 5));
}

#[tokio::test]
async fn a_kept_view_of_a_campaign_deleted_since_is_not_found() {
    let mut campaigns = MockCampaignRepository::new();
    campaigns.expect_version().returning(|_, _| Ok(None));
    campaigns.expect_find().never();
    let views = Labels::keeping(&[(1, 4)]);
    assert!(matches!(
        reading(campaigns)
            .view(tenancy(), campaign(1), &views)
            .await,
        Err(ReadCampaignError::NotFound)
    ));
}

#[tokio::test]
async fn a_page_of_views_reads_whole_only_the_missing_and_outdated_ones_and_keeps_the_order() {
    let mut campaigns = MockCampaignRepository::new();
    campaigns.expect_list_versions().returning(|_, _| {
        Ok(VersionPage {
            // 4 is kept and current, 3 kept but outdated, 2 not kept, 1 deleted before the whole read.
            entries: vec![
                (campaign(4), Version(1)),
                (campaign(3), Version(2)),
                (campaign(2), Version(0)),
                (campaign(1), Version(0)),
            ],
            total: 9,
            has_more: true,
        })
    });
    campaigns
        .expect_find_many()
        .times(1)
        .returning(|workspace, ids| {
            assert_eq!(workspace, tenancy().workspace_id);
            assert_eq!(ids, [campaign(3), campaign(2), campaign(1)]);
            Ok(vec![stored(2, 0), stored(3, 2)])
        });
    let views = Labels::keeping(&[(4, 1), (3, 1)]);
    let page = reading(campaigns)
        .list_views(tenancy(), &CampaignQuery::default(), &views)
        .await
        .expect("listed");
    assert_eq!(
        page.views,
        vec![
            (campaign(4), label(4, 1)),
            (campaign(3), label(3, 2)),
            (campaign(2), label(2, 0)),
        ]
    );
    assert_eq!((page.total, page.has_more), (9, true));
    assert_eq!(views.made(), 2);
}

#[tokio::test]
async fn a_page_whose_views_are_all_current_reads_no_campaign_whole() {
    let mut campaigns = MockCampaignRepository::new();
    campaigns.expect_list_versions().returning(|_, _| {
        Ok(VersionPage {
            entries: vec![(campaign(2), Version(7)), (campaign(1), Version(0))],
            total: 2,
            has_more: false,
        })
    });
    campaigns.expect_find_many().never();
    let views = Labels::keeping(&[(2, 7), (1, 0)]);
    let page = reading(campaigns)
        .list_views(tenancy(), &CampaignQuery::default(), &views)
        .await
        .expect("listed");
    assert_eq!(page.views.len(), 2);
    assert_eq!(views.made(), 0);
}

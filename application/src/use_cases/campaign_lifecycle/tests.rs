//! The lifecycle against mocked ports: conditional writes, the status machine's refusals, and deletion.

use std::sync::Arc;

use domain::campaign::{Campaign, LifecycleError};
use domain::id::{CampaignId, MailboxId, ObjectId, UserId, WorkspaceId};
use domain::status::{CampaignStatus, LifecycleAction};

use super::{CampaignLifecycle, DeleteCampaignError, LifecycleCommandError};
use crate::ports::{MockCampaignRepository, MockClock, Version, VersionedCampaign, WriteOutcome};
use crate::tenancy::Tenancy;
use crate::use_cases::test_campaigns::{at, email_draft};

fn object_id(seconds: u32, counter: u32) -> ObjectId {
    ObjectId::from_parts(seconds, [0xef; 5], counter)
}

fn tenancy() -> Tenancy {
    Tenancy {
        workspace_id: WorkspaceId::from(object_id(1_000, 1)),
        user_id: UserId::from(object_id(2_000, 1)),
    }
}

fn campaign_id() -> CampaignId {
    CampaignId::from(object_id(3_000, 1))
}

/// A draft with one email step and, when `with_mailbox`, one mailbox.
fn draft(with_mailbox: bool) -> Campaign {
    let mailboxes = if with_mailbox {
        vec![MailboxId::from(object_id(4_000, 1))]
    } else {
        vec![]
    };
    email_draft(campaign_id(), tenancy(), mailboxes)
}

fn storing(campaign: Campaign) -> MockCampaignRepository {
    let mut campaigns = MockCampaignRepository::new();
    campaigns.expect_find().returning(move |workspace, id| {
        Ok(
            (workspace == campaign.workspace_id() && id == campaign.id()).then(|| {
                VersionedCampaign {
                    campaign: campaign.clone(),
                    version: Version(3),
                }
            }),
        )
    });
    campaigns
}

fn lifecycle(campaigns: MockCampaignRepository) -> CampaignLifecycle {
    let mut clock = MockClock::new();
    clock.expect_now().returning(|| at(60));
    CampaignLifecycle {
        campaigns: Arc::new(campaigns),
        clock: Arc::new(clock),
    }
}

#[tokio::test]
async fn start_writes_the_active_campaign_on_the_version_it_read_and_sets_started_at() {
    let mut campaigns = storing(draft(true));
    campaigns
        .expect_update()
        .times(1)
        .withf(|campaign, expected| {
            campaign.status() == CampaignStatus::Active && *expected == Version(3)
        })
        .returning(|_, _| Ok(WriteOutcome::Written));
    let started = lifecycle(campaigns)
        .act(tenancy(), campaign_id(), LifecycleAction::Start)
        .await
        .expect("started");
    assert_eq!(started.started_at(), Some(at(60)));
}

#[tokio::test]
async fn action_that_lost_the_race_is_retried_from_a_fresh_read() {
    let mut campaigns = storing(draft(true));
    let mut outcomes = vec![WriteOutcome::Written, WriteOutcome::Stale];
    campaigns
        .expect_update()
        .times(2)
        .returning(move |_, _| Ok(outcomes.pop().expect("two writes")));
    lifecycle(campaigns)
        .act(tenancy(), campaign_id(), LifecycleAction::Archive)
        .await
        .expect("archived on the second attempt");
}

#[tokio::test]
async fn refused_transition_names_the_current_status_and_writes_nothing() {
    let mut campaigns = storing(draft(true));
    campaigns.expect_update().never();
    let error = lifecycle(campaigns)
        .act(tenancy(), campaign_id(), LifecycleAction::Pause)
        .await
        .expect_err("a draft cannot pause");
    let LifecycleCommandError::Refused { status, .. } = &error else {
        panic!("expected Refused, got {error:?}");
    };
    assert_eq!(*status, CampaignStatus::Draft);
    assert_eq!(error.to_string(), "cannot pause a campaign that is draft");
}

#[tokio::test]
async fn start_without_a_mailbox_is_refused_and_writes_nothing() {
    let mut campaigns = storing(draft(false));
    campaigns.expect_update().never();
    let error = lifecycle(campaigns)
        .act(tenancy(), campaign_id(), LifecycleAction::Start)
        .await
        .expect_err("no mailbox");
    assert!(
        matches!(
            error,
            LifecycleCommandError::Refused {
                error: LifecycleError::NotReady(_),
                ..
            }
        ),
        "{error:?}"
    );
}

#[tokio::test]
async fn action_on_another_workspaces_campaign_is_not_found() {
    let mut campaigns = storing(draft(true));
    campaigns.expect_update().never();
    let other = Tenancy {
        workspace_id: WorkspaceId::from(object_id(1_000, 2)),
        ..tenancy()
    };
    let error = lifecycle(campaigns)
        .act(other, campaign_id(), LifecycleAction::Start)
        .await
        .expect_err("not visible");
    assert!(
        matches!(error, LifecycleCommandError::NotFound),
        "{error:?}"
    );
}

#[tokio::test]
async fn delete_removes_a_draft_on_the_version_it_read() {
    let mut campaigns = storing(draft(true));
    campaigns
        .expect_delete()
        .times(1)
        .withf(|workspace, id, expected| {
            *workspace == tenancy().workspace_id && *id == campaign_id() && *expected == Version(3)
        })
        .returning(|_, _, _| Ok(WriteOutcome::Written));
    lifecycle(campaigns)
        .delete(tenancy(), campaign_id())
        .await
        .expect("deleted");
}

#[tokio::test]
async fn delete_of_a_campaign_that_started_is_refused_naming_its_status() {
    let paused = draft(true)
        .act(LifecycleAction::Start, at(1))
        .and_then(|active| active.act(LifecycleAction::Pause, at(2)))
        .expect("start then pause");
    let mut campaigns = storing(paused);
    campaigns.expect_delete().never();
    let error = lifecycle(campaigns)
        .delete(tenancy(), campaign_id())
        .await
        .expect_err("not a draft");
    assert!(
        matches!(
            error,
            DeleteCampaignError::NotDeletable(CampaignStatus::Paused)
        ),
        "{error:?}"
    );
    assert!(error.to_string().contains("paused"), "{error}");
}

#[tokio::test]
async fn delete_of_another_workspaces_campaign_is_not_found() {
    let mut campaigns = storing(draft(true));
    campaigns.expect_delete().never();
    let other = Tenancy {
        workspace_id: WorkspaceId::from(object_id(1_000, 2)),
        ..tenancy()
    };
    let error = lifecycle(campaigns)
        .delete(other, campaign_id())
        .await
        .expect_err("not visible");
    assert!(matches!(error, DeleteCampaignError::NotFound), "{error:?}");
}

//! Update-campaign against mocked ports: the port-dependent rules of spec section 5 (conditional writes,
//! mailbox reassignment, references, secrets) and what a refused update must not do.

use std::sync::{Arc, Mutex};

use domain::campaign::Campaign;
use domain::id::{CampaignId, MailboxId, ObjectId, UserId, WorkspaceId};
use domain::mailbox::{MailboxProvider, MailboxSummary};
use domain::problem::{JsonPointer, ProblemCode, Problems};
use domain::request::{CampaignRequest, SettingsRequest, WebhookRequest};
use domain::rules::ParseRules;
use domain::status::LifecycleAction;
use domain::values::{EmailAddress, WebhookHostPolicy, WebhookSecret};

use super::{CampaignPatch, UpdateCampaign, UpdateCampaignError};
use crate::ports::{
    MockAgentRepository, MockCampaignRepository, MockClock, MockIdGenerator, MockMailboxRepository,
    MockSecretGenerator, RepositoryError, Version, VersionedCampaign, WriteOutcome,
};
use crate::tenancy::Tenancy;
use crate::use_cases::MAX_WRITE_ATTEMPTS;
use crate::use_cases::test_campaigns::{at, email_draft};

fn object_id(seconds: u32, counter: u32) -> ObjectId {
    ObjectId::from_parts(seconds, [0xcd; 5], counter)
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

fn mailbox_id(n: u32) -> MailboxId {
    MailboxId::from(object_id(4_000, n))
}

/// A stored draft with one email step and mailbox 1.
fn stored_campaign() -> Campaign {
    stored_campaign_listing(vec![mailbox_id(1)])
}

/// A stored draft with one email step and these mailboxes.
fn stored_campaign_listing(mailboxes: Vec<MailboxId>) -> Campaign {
    email_draft(campaign_id(), tenancy(), mailboxes)
}

/// A patch that changes the request form with a closure, as the edge's JSON merge patch would.
struct Patch {
    change: fn(&mut CampaignRequest),
    edge_problems: Problems,
}

impl Patch {
    fn new(change: fn(&mut CampaignRequest)) -> Self {
        Self {
            change,
            edge_problems: Problems::new(),
        }
    }
}

impl CampaignPatch for Patch {
    fn apply_to(&self, current: &CampaignRequest) -> (CampaignRequest, Problems) {
        let mut merged = current.clone();
        (self.change)(&mut merged);
        (merged, self.edge_problems.clone())
    }

    fn replaces_subsequences(&self) -> bool {
        false
    }
}

struct Ports {
    campaigns: MockCampaignRepository,
    mailboxes: MockMailboxRepository,
    secrets: MockSecretGenerator,
}

impl Ports {
    /// The campaign is stored at version 7.
    fn storing(campaign: Campaign) -> Self {
        let mut campaigns = MockCampaignRepository::new();
        campaigns.expect_find().returning(move |workspace, id| {
            Ok(
                (workspace == campaign.workspace_id() && id == campaign.id()).then(|| {
                    VersionedCampaign {
                        campaign: campaign.clone(),
                        version: Version(7),
                    }
                }),
            )
        });
        Self {
            campaigns,
            mailboxes: MockMailboxRepository::new(),
            secrets: MockSecretGenerator::new(),
        }
    }

    fn use_case(self) -> UpdateCampaign {
        let mut clock = MockClock::new();
        clock.expect_now().returning(|| at(30));
        let mut ids = MockIdGenerator::new();
        ids.expect_new_id().returning(|| object_id(6_000, 1));
        UpdateCampaign {
            campaigns: Arc::new(self.campaigns),
            mailboxes: Arc::new(self.mailboxes),
            agents: Arc::new(MockAgentRepository::new()),
            clock: Arc::new(clock),
            ids: Arc::new(ids),
            secrets: Arc::new(self.secrets),
            webhook_hosts: WebhookHostPolicy::PublicOnly,
        }
    }
}

fn problem_pointers(problems: &Problems) -> Vec<(String, ProblemCode)> {
    problems
        .iter()
        .map(|problem| (problem.pointer().to_string(), problem.code()))
        .collect()
}

#[tokio::test]
async fn update_writes_the_merged_campaign_conditionally_on_the_version_it_read() {
    let mut ports = Ports::storing(stored_campaign());
    ports
        .campaigns
        .expect_update()
        .times(1)
        .withf(|campaign, expected| {
            campaign.name().as_str() == "Renamed" && *expected == Version(7)
        })
        .returning(|_, _| Ok(WriteOutcome::Written));
    let updated = ports
        .use_case()
        .execute(
            tenancy(),
            campaign_id(),
            &Patch::new(|request| request.name = Some("Renamed".into())),
        )
        .await
        .expect("updated");
    assert_eq!(updated.campaign.updated_at(), at(30), "updatedAt moves");
    assert_eq!(updated.campaign.created_at(), at(0), "createdAt stays");
    assert_eq!(
        updated.campaign.mailboxes(),
        &[mailbox_id(1)],
        "no selector given keeps the mailbox list"
    );
}

#[tokio::test]
async fn update_that_lost_the_race_is_redone_on_a_fresh_read_so_no_update_is_lost() {
    let mut campaigns = MockCampaignRepository::new();
    let reads = Arc::new(Mutex::new(0_i64));
    let stored = stored_campaign();
    let counted = reads.clone();
    campaigns.expect_find().returning(move |_, _| {
        let mut reads = counted.lock().expect("not poisoned");
        *reads += 1;
        // The second read sees what the concurrent writer stored: another name.
        let mut request = stored.content();
        if *reads > 1 {
            request.name = Some("Renamed concurrently".into());
        }
        let plan = stored
            .plan_update(
                &request,
                false,
                ParseRules::update(WebhookHostPolicy::PublicOnly),
            )
            .expect("valid");
        let campaign = stored.clone().apply_update(
            plan,
            domain::campaign_update::UpdateProvisions {
                now: at(10),
                mailboxes: None,
                ai_agent_id: None,
                webhook_secret: None,
            },
            || object_id(7_000, 1),
        );
        Ok(Some(VersionedCampaign {
            campaign,
            version: Version(*reads),
        }))
    });
    campaigns.expect_update().times(2).returning(|_, expected| {
        Ok(if expected == Version(1) {
            WriteOutcome::Stale
        } else {
            WriteOutcome::Written
        })
    });
    let mut ports = Ports::storing(stored_campaign());
    ports.campaigns = campaigns;
    let updated = ports
        .use_case()
        .execute(
            tenancy(),
            campaign_id(),
            &Patch::new(|request| {
                request.settings.get_or_insert_default().daily_send_limit = Some(25)
            }),
        )
        .await
        .expect("updated on the second attempt");
    assert_eq!(
        updated.campaign.name().as_str(),
        "Renamed concurrently",
        "the concurrent writer's change survives"
    );
    assert_eq!(updated.campaign.settings().daily_send_limit(), Some(25));
    assert_eq!(*reads.lock().expect("not poisoned"), 2);
}

#[tokio::test]
async fn update_gives_up_with_contended_after_the_bounded_number_of_lost_races() {
    let mut ports = Ports::storing(stored_campaign());
    ports
        .campaigns
        .expect_update()
        .times(MAX_WRITE_ATTEMPTS)
        .returning(|_, _| Ok(WriteOutcome::Stale));
    let error = ports
        .use_case()
        .execute(
            tenancy(),
            campaign_id(),
            &Patch::new(|request| request.name = Some("Renamed".into())),
        )
        .await
        .expect_err("always stale");
    assert!(matches!(error, UpdateCampaignError::Contended), "{error:?}");
}

#[tokio::test]
async fn update_of_another_workspaces_campaign_is_not_found_and_writes_nothing() {
    let mut ports = Ports::storing(stored_campaign());
    ports.campaigns.expect_update().never();
    let other = Tenancy {
        workspace_id: WorkspaceId::from(object_id(1_000, 2)),
        ..tenancy()
    };
    let error = ports
        .use_case()
        .execute(
            other,
            campaign_id(),
            &Patch::new(|request| request.name = Some("Mine now".into())),
        )
        .await
        .expect_err("not visible");
    assert!(matches!(error, UpdateCampaignError::NotFound), "{error:?}");
}

#[tokio::test]
async fn update_whose_merged_campaign_breaks_a_create_rule_lists_every_problem_and_writes_nothing()
{
    let mut ports = Ports::storing(stored_campaign());
    ports.campaigns.expect_update().never();
    let mut patch = Patch::new(|request| {
        request.name = Some("   ".into());
        request.settings.get_or_insert_default().daily_send_limit = Some(0);
    });
    patch.edge_problems.add(
        JsonPointer::root().field("bogus"),
        ProblemCode::UnknownField,
        "unknown field bogus",
    );
    let error = ports
        .use_case()
        .execute(tenancy(), campaign_id(), &patch)
        .await
        .expect_err("invalid");
    let UpdateCampaignError::Invalid(problems) = error else {
        panic!("expected Invalid, got {error:?}");
    };
    assert_eq!(
        problem_pointers(&problems),
        vec![
            ("/bogus".to_owned(), ProblemCode::UnknownField),
            ("/name".to_owned(), ProblemCode::Blank),
            (
                "/settings/dailySendLimit".to_owned(),
                ProblemCode::OutOfRange
            ),
        ]
    );
}

#[tokio::test]
async fn update_of_an_archived_campaign_is_read_only_and_writes_nothing() {
    let archived = stored_campaign()
        .act(LifecycleAction::Archive, at(5))
        .expect("a draft can be archived");
    let mut ports = Ports::storing(archived);
    ports.campaigns.expect_update().never();
    let error = ports
        .use_case()
        .execute(
            tenancy(),
            campaign_id(),
            &Patch::new(|request| request.name = Some("Renamed".into())),
        )
        .await
        .expect_err("read-only");
    assert!(matches!(error, UpdateCampaignError::ReadOnly), "{error:?}");
}

#[tokio::test]
async fn update_with_a_mailbox_selector_replaces_the_mailbox_list_from_the_workspace() {
    let mut ports = Ports::storing(stored_campaign());
    ports
        .mailboxes
        .expect_candidates()
        .times(1)
        .withf(|workspace, _| *workspace == tenancy().workspace_id)
        .returning(|_, _| {
            Ok(vec![MailboxSummary {
                id: mailbox_id(2),
                email: EmailAddress::parse("two@a.example").expect("valid address"),
                provider: MailboxProvider::Outlook,
                tags: vec!["warm".into()],
            }])
        });
    ports
        .campaigns
        .expect_update()
        .times(1)
        .withf(|campaign, _| campaign.mailboxes() == [mailbox_id(2)])
        .returning(|_, _| Ok(WriteOutcome::Written));
    let updated = ports
        .use_case()
        .execute(
            tenancy(),
            campaign_id(),
            &Patch::new(|request| {
                request.mailbox_selectors.mailbox_tags = Some(vec!["WARM".into()])
            }),
        )
        .await
        .expect("updated");
    assert_eq!(updated.campaign.mailboxes(), &[mailbox_id(2)]);
}

#[tokio::test]
async fn update_naming_a_mailbox_the_workspace_lacks_is_mailbox_not_found_and_writes_nothing() {
    let mut ports = Ports::storing(stored_campaign());
    ports
        .mailboxes
        .expect_candidates()
        .returning(|_, _| Ok(vec![]));
    ports.campaigns.expect_update().never();
    let error = ports
        .use_case()
        .execute(
            tenancy(),
            campaign_id(),
            &Patch::new(|request| {
                request.mailbox_selectors.mailbox_ids = Some(vec![mailbox_id(9).to_string()])
            }),
        )
        .await
        .expect_err("unknown mailbox");
    let UpdateCampaignError::MailboxNotFound(problems) = error else {
        panic!("expected MailboxNotFound, got {error:?}");
    };
    assert_eq!(
        problem_pointers(&problems),
        vec![("/mailboxIds/0".to_owned(), ProblemCode::MailboxNotFound)]
    );
}

#[tokio::test]
async fn update_that_enables_the_webhook_without_a_secret_generates_one_and_says_so() {
    let mut ports = Ports::storing(stored_campaign());
    let secret = WebhookSecret::parse(&format!("whsec_{}", "ab".repeat(32))).expect("valid secret");
    let generated = secret.clone();
    ports
        .secrets
        .expect_webhook_secret()
        .times(1)
        .returning(move || generated.clone());
    ports
        .campaigns
        .expect_update()
        .returning(|_, _| Ok(WriteOutcome::Written));
    let updated = ports
        .use_case()
        .execute(
            tenancy(),
            campaign_id(),
            &Patch::new(|request| {
                request.settings = Some(SettingsRequest {
                    webhook: Some(WebhookRequest {
                        enabled: Some(true),
                        url: Some("https://hooks.example.com/sendline".into()),
                        events: Some(vec!["lead.replied".into()]),
                        ..WebhookRequest::default()
                    }),
                    ..SettingsRequest::default()
                })
            }),
        )
        .await
        .expect("updated");
    assert!(updated.generated_webhook_secret);
    assert_eq!(
        updated.campaign.settings().webhook().secret(),
        Some(&secret)
    );
}

fn mailbox_gone() -> RepositoryError {
    RepositoryError::ReferenceGone("a mailbox of the campaign's list".into())
}

#[tokio::test]
async fn update_naming_a_mailbox_deleted_before_the_write_is_mailbox_not_found_on_the_second_lookup()
 {
    let mut ports = Ports::storing(stored_campaign());
    let lookups = Arc::new(Mutex::new(0));
    let counted = lookups.clone();
    ports.mailboxes.expect_candidates().returning(move |_, _| {
        let mut lookups = counted.lock().expect("not poisoned");
        *lookups += 1;
        // Mailbox 2 is deleted right after the first lookup.
        Ok(if *lookups == 1 {
            vec![MailboxSummary {
                id: mailbox_id(2),
                email: EmailAddress::parse("two@a.example").expect("valid address"),
                provider: MailboxProvider::Outlook,
                tags: vec![],
            }]
        } else {
            vec![]
        })
    });
    ports
        .campaigns
        .expect_update()
        .times(1)
        .returning(|_, _| Err(mailbox_gone()));
    let error = ports
        .use_case()
        .execute(
            tenancy(),
            campaign_id(),
            &Patch::new(|request| {
                request.mailbox_selectors.mailbox_ids = Some(vec![mailbox_id(2).to_string()])
            }),
        )
        .await
        .expect_err("mailbox 2 is gone");
    let UpdateCampaignError::MailboxNotFound(problems) = error else {
        panic!("expected MailboxNotFound, got {error:?}");
    };
    assert_eq!(
        problem_pointers(&problems),
        vec![("/mailboxIds/0".to_owned(), ProblemCode::MailboxNotFound)]
    );
    assert_eq!(*lookups.lock().expect("not poisoned"), 2);
}

#[tokio::test]
async fn update_keeping_a_list_whose_mailbox_was_deleted_is_redone_on_the_fresh_reads_list() {
    let mut campaigns = MockCampaignRepository::new();
    let reads = Arc::new(Mutex::new(0_i64));
    let counted = reads.clone();
    campaigns.expect_find().returning(move |_, _| {
        let mut reads = counted.lock().expect("not poisoned");
        *reads += 1;
        // Deleting mailbox 1 took it off the list (the first read was before that).
        let mailboxes = if *reads == 1 {
            vec![mailbox_id(1)]
        } else {
            vec![]
        };
        Ok(Some(VersionedCampaign {
            campaign: stored_campaign_listing(mailboxes),
            version: Version(*reads),
        }))
    });
    campaigns.expect_update().times(2).returning(|campaign, _| {
        if campaign.mailboxes().is_empty() {
            Ok(WriteOutcome::Written)
        } else {
            Err(mailbox_gone())
        }
    });
    let mut ports = Ports::storing(stored_campaign());
    ports.campaigns = campaigns;
    let updated = ports
        .use_case()
        .execute(
            tenancy(),
            campaign_id(),
            &Patch::new(|request| request.name = Some("Renamed".into())),
        )
        .await
        .expect("updated on the second attempt");
    assert_eq!(updated.campaign.name().as_str(), "Renamed");
    assert!(updated.campaign.mailboxes().is_empty());
    assert_eq!(*reads.lock().expect("not poisoned"), 2);
}

#[tokio::test]
async fn update_refused_for_a_gone_reference_twice_is_an_unknown_error() {
    let mut ports = Ports::storing(stored_campaign());
    ports
        .campaigns
        .expect_update()
        .times(2)
        .returning(|_, _| Err(mailbox_gone()));
    let error = ports
        .use_case()
        .execute(
            tenancy(),
            campaign_id(),
            &Patch::new(|request| request.name = Some("Renamed".into())),
        )
        .await
        .expect_err("gone twice");
    assert!(
        matches!(error, UpdateCampaignError::Unknown(_)),
        "{error:?}"
    );
}

//! The enrolment use cases against mocked ports.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use domain::campaign::{Campaign, NewCampaign, Provisions};
use domain::enrolment::{EnrolmentStatus, LeadAction, SettableStatus};
use domain::enrolment_request::ActionTarget;
use domain::id::{CampaignId, EnrolmentId, LeadId, ObjectId, UserId, WorkspaceId};
use domain::lead::{Lead, LeadFields};
use domain::lead_listing::LeadFilter;
use domain::lead_request::{
    EnrolLeadRequest, EnrolLeadsRequest, EnrolmentPatchRequest, LeadActionRequest,
    LeadFiltersRequest, LeadRequest,
};
use domain::mailbox_update::PatchValue;
use domain::problem::{JsonPointer, Problems};
use domain::request::{CampaignRequest, StepRequest, SubsequenceRequest, TriggerRequest};
use domain::rules::ParseRules;
use domain::status::{CampaignStatus, LifecycleAction};
use domain::values::WebhookHostPolicy;

use super::{EnrolError, Enrolments, EnrolmentsError, PatchEnrolmentError};
use crate::ports::{
    BatchWritten, EnrolRefused, Enrolled, EnrolmentView, EnrolmentWrite, LeadChoice, LeadSummary,
    MockCampaignRepository, MockClock, MockEnrolmentRepository, MockIdGenerator,
    MockLeadRepository, Version, VersionedCampaign,
};
use crate::tenancy::Tenancy;
use crate::use_cases::test_campaigns::at;

fn tenancy() -> Tenancy {
    Tenancy {
        workspace_id: WorkspaceId::from(ObjectId::from_parts(1_000, [1; 5], 1)),
        user_id: UserId::from(ObjectId::from_parts(2_000, [1; 5], 1)),
    }
}

fn campaign_id() -> CampaignId {
    CampaignId::from(ObjectId::from_parts(6_000, [1; 5], 1))
}

fn lead_id(n: u32) -> LeadId {
    LeadId::from(ObjectId::from_parts(3_000, [1; 5], n))
}

fn enrolment_id(n: u32) -> EnrolmentId {
    EnrolmentId::from(ObjectId::from_parts(7_000, [1; 5], n))
}

/// A campaign with one email step and an `ai_tag` subsequence "Interested", in `status`.
fn campaign(status: CampaignStatus) -> VersionedCampaign {
    let email = |body: &str| StepRequest {
        kind: Some("email".into()),
        subject: Some("Hi".into()),
        body: Some(body.into()),
        ..StepRequest::default()
    };
    let request = CampaignRequest {
        name: Some("Q2".into()),
        sequence: Some(vec![email("Hello")]),
        subsequences: Some(vec![SubsequenceRequest {
            name: Some("Interested".into()),
            trigger: Some(TriggerRequest {
                kind: Some("ai_tag".into()),
                value: Some("Interested".into()),
            }),
            sequence: Some(vec![email("Thanks")]),
            ..SubsequenceRequest::default()
        }]),
        ..CampaignRequest::default()
    };
    let new = NewCampaign::parse(&request, ParseRules::create(WebhookHostPolicy::PublicOnly))
        .expect("valid");
    let mailbox = domain::id::MailboxId::from(ObjectId::from_parts(8_000, [1; 5], 1));
    let mut campaign = Campaign::create(
        new,
        Provisions {
            id: campaign_id(),
            workspace_id: tenancy().workspace_id,
            user_id: tenancy().user_id,
            now: at(0),
            mailboxes: vec![mailbox],
            ai_agent_id: None,
            webhook_secret: None,
        },
        || ObjectId::from_parts(5_000, [0x5e; 5], 1),
    );
    let actions: &[LifecycleAction] = match status {
        CampaignStatus::Draft => &[],
        CampaignStatus::Active => &[LifecycleAction::Start],
        CampaignStatus::Archived => &[LifecycleAction::Archive],
        other => panic!("no test campaign in {other}"),
    };
    for action in actions {
        campaign = campaign.act(*action, at(1)).expect("allowed");
    }
    VersionedCampaign {
        campaign,
        version: Version(1),
    }
}

struct Mocks {
    enrolments: MockEnrolmentRepository,
    campaigns: MockCampaignRepository,
    leads: MockLeadRepository,
}

impl Mocks {
    fn new() -> Self {
        Self {
            enrolments: MockEnrolmentRepository::new(),
            campaigns: MockCampaignRepository::new(),
            leads: MockLeadRepository::new(),
        }
    }

    fn campaign_is(mut self, status: CampaignStatus) -> Self {
        self.campaigns
            .expect_find()
            .returning(move |_, _| Ok(Some(campaign(status))));
        self
    }

    fn use_cases(self) -> Enrolments {
        let mut clock = MockClock::new();
        clock.expect_now().returning(|| at(5));
        let counter = AtomicUsize::new(100);
        let mut ids = MockIdGenerator::new();
        ids.expect_new_id().returning(move || {
            ObjectId::from_parts(
                9_000,
                [2; 5],
                counter.fetch_add(1, Ordering::Relaxed) as u32,
            )
        });
        Enrolments {
            enrolments: Arc::new(self.enrolments),
            campaigns: Arc::new(self.campaigns),
            leads: Arc::new(self.leads),
            clock: Arc::new(clock),
            ids: Arc::new(ids),
        }
    }
}

fn by_id(id: &str) -> EnrolLeadRequest {
    EnrolLeadRequest {
        lead_id: Some(id.to_owned()),
        lead: LeadRequest::default(),
    }
}

fn by_email(email: &str) -> EnrolLeadRequest {
    EnrolLeadRequest {
        lead_id: None,
        lead: LeadRequest {
            email: Some(email.to_owned()),
            ..LeadRequest::default()
        },
    }
}

fn stored_lead(id: LeadId, email: &str) -> Lead {
    let fields = LeadFields::parse(
        &LeadRequest {
            email: Some(email.to_owned()),
            ..LeadRequest::default()
        },
        &JsonPointer::root(),
    )
    .expect("valid");
    Lead::create(id, tenancy().workspace_id, fields, at(0))
}

#[tokio::test]
async fn the_one_mode_rule_refuses_before_any_port_is_asked() {
    // No expectation is set: any port call would panic.
    let use_cases = Mocks::new().use_cases();
    let both = EnrolLeadsRequest {
        filters: Some(LeadFiltersRequest {
            tags: Some(vec!["eu".into()]),
            ..LeadFiltersRequest::default()
        }),
        select_all: Some(true),
        ..EnrolLeadsRequest::default()
    };
    let refused = use_cases
        .enrol(tenancy(), campaign_id(), &both, Problems::new())
        .await;
    assert!(
        matches!(refused, Err(EnrolError::Invalid(_))),
        "{refused:?}"
    );
}

#[tokio::test]
async fn an_archived_campaign_refuses_before_any_lead_is_created() {
    // The leads and enrolment repositories expect nothing: nothing may be imported or enrolled.
    let use_cases = Mocks::new()
        .campaign_is(CampaignStatus::Archived)
        .use_cases();
    let request = EnrolLeadsRequest {
        leads: Some(vec![by_email("new@acme.com")]),
        ..EnrolLeadsRequest::default()
    };
    let refused = use_cases
        .enrol(tenancy(), campaign_id(), &request, Problems::new())
        .await;
    assert!(matches!(refused, Err(EnrolError::Archived)), "{refused:?}");
}

#[tokio::test]
async fn an_unknown_campaign_is_not_found() {
    let mut mocks = Mocks::new();
    mocks.campaigns.expect_find().returning(|_, _| Ok(None));
    let request = EnrolLeadsRequest {
        select_all: Some(true),
        ..EnrolLeadsRequest::default()
    };
    let refused = mocks
        .use_cases()
        .enrol(tenancy(), campaign_id(), &request, Problems::new())
        .await;
    assert!(
        matches!(refused, Err(EnrolError::CampaignNotFound)),
        "{refused:?}"
    );
}

#[tokio::test]
async fn enrolling_by_email_creates_unknown_leads_through_the_import_and_reports_bad_items() {
    let mut mocks = Mocks::new().campaign_is(CampaignStatus::Draft);
    let known = lead_id(1);
    let created = Arc::new(std::sync::Mutex::new(None::<Lead>));
    let lookups = Arc::new(AtomicUsize::new(0));
    {
        let created = created.clone();
        let lookups = lookups.clone();
        mocks
            .leads
            .expect_find_by_email_keys()
            .returning(move |_, keys| {
                lookups.fetch_add(1, Ordering::Relaxed);
                let mut found = Vec::new();
                if keys.contains(&"known@acme.com".to_owned()) {
                    found.push(stored_lead(known, "known@acme.com"));
                }
                if let Some(lead) = created.lock().expect("lock").clone() {
                    found.push(lead);
                }
                Ok(found)
            });
    }
    {
        let created = created.clone();
        mocks
            .leads
            .expect_write_batch()
            .times(1)
            .returning(move |_, inserts, updates| {
                assert!(updates.is_empty());
                assert_eq!(inserts.len(), 1, "only the unknown email is created");
                assert_eq!(inserts[0].fields().email_key(), "new@acme.com");
                *created.lock().expect("lock") = Some(inserts[0].clone());
                Ok(BatchWritten {
                    inserted: vec![inserts[0].id()],
                    updated: Vec::new(),
                })
            });
    }
    let missing = lead_id(9);
    mocks
        .enrolments
        .expect_enrol()
        .times(1)
        .returning(move |_, _, choice, _| {
            let LeadChoice::Ids(ids) = choice else {
                panic!("leads mode chooses ids, not {choice:?}");
            };
            // In item order, each once: the known lead, the created one, the id of no lead.
            assert_eq!(ids.len(), 3, "{ids:?}");
            assert_eq!(ids[0], known);
            assert_eq!(ids[2], missing);
            Ok(Enrolled {
                added: 2,
                skipped: 0,
                missing: vec![missing],
            })
        });
    let request = EnrolLeadsRequest {
        leads: Some(vec![
            by_email("known@acme.com"),
            by_email("new@acme.com"),
            by_id("not-an-id"),
            by_id(&missing.to_string()),
            by_email("KNOWN@acme.com"),
        ]),
        ..EnrolLeadsRequest::default()
    };
    let outcome = mocks
        .use_cases()
        .enrol(tenancy(), campaign_id(), &request, Problems::new())
        .await
        .expect("enrolled");
    assert_eq!(outcome.added, 2);
    assert_eq!(outcome.skipped, 1, "the known lead named twice");
    let errors: Vec<(usize, Option<&str>)> = outcome
        .errors
        .iter()
        .map(|error| (error.index, error.entry.as_deref()))
        .collect();
    assert_eq!(
        errors,
        [
            (2, Some("not-an-id")),
            (3, Some(missing.to_string().as_str()))
        ]
    );
    assert!(outcome.errors[1].message.contains("no lead"));
}

#[tokio::test]
async fn select_all_hands_the_exclusions_to_the_repository_and_answers_its_counts() {
    let mut mocks = Mocks::new().campaign_is(CampaignStatus::Active);
    let excluded = lead_id(4);
    mocks
        .enrolments
        .expect_enrol()
        .withf(move |workspace, campaign, choice, _| {
            *workspace == tenancy().workspace_id
                && *campaign == campaign_id()
                && *choice
                    == LeadChoice::All {
                        exclude: vec![excluded],
                    }
        })
        .returning(|_, _, _, _| {
            Ok(Enrolled {
                added: 7,
                skipped: 3,
                missing: Vec::new(),
            })
        });
    let request = EnrolLeadsRequest {
        select_all: Some(true),
        exclude_ids: Some(vec![excluded.to_string()]),
        ..EnrolLeadsRequest::default()
    };
    let outcome = mocks
        .use_cases()
        .enrol(tenancy(), campaign_id(), &request, Problems::new())
        .await
        .expect("enrolled");
    assert_eq!((outcome.added, outcome.skipped), (7, 3));
}

#[tokio::test]
async fn filters_reach_the_repository_parsed() {
    let mut mocks = Mocks::new().campaign_is(CampaignStatus::Draft);
    let expected = LeadFilter::parse(
        &LeadFiltersRequest {
            country: Some("gb".into()),
            ..LeadFiltersRequest::default()
        },
        &JsonPointer::root(),
    )
    .expect("valid");
    mocks
        .enrolments
        .expect_enrol()
        .withf(move |_, _, choice, _| *choice == LeadChoice::Filter(expected.clone()))
        .returning(|_, _, _, _| Err(EnrolRefused::Archived));
    let request = EnrolLeadsRequest {
        filters: Some(LeadFiltersRequest {
            country: Some("GB".into()),
            ..LeadFiltersRequest::default()
        }),
        ..EnrolLeadsRequest::default()
    };
    // The repository's own check (under the campaign's lock) is answered as the use case's.
    let refused = mocks
        .use_cases()
        .enrol(tenancy(), campaign_id(), &request, Problems::new())
        .await;
    assert!(matches!(refused, Err(EnrolError::Archived)), "{refused:?}");
}

#[tokio::test]
async fn a_lead_action_of_an_unknown_campaign_is_not_found_and_a_bad_one_touches_nothing() {
    let mut mocks = Mocks::new();
    mocks
        .enrolments
        .expect_act()
        .withf(|_, _, action, target, _| {
            *action == LeadAction::Pause
                && *target
                    == ActionTarget::All {
                        status: None,
                        exclude: Vec::new(),
                    }
        })
        .times(1)
        .returning(|_, _, _, _, _| Ok(None));
    let use_cases = mocks.use_cases();
    let pause_all = LeadActionRequest {
        action: Some("pause".into()),
        select_all: Some(true),
        ..LeadActionRequest::default()
    };
    let missing = use_cases
        .act(tenancy(), campaign_id(), &pause_all, Problems::new())
        .await;
    assert!(
        matches!(missing, Err(EnrolmentsError::CampaignNotFound)),
        "{missing:?}"
    );
    let no_target = LeadActionRequest {
        action: Some("pause".into()),
        ..LeadActionRequest::default()
    };
    let refused = use_cases
        .act(tenancy(), campaign_id(), &no_target, Problems::new())
        .await;
    assert!(
        matches!(refused, Err(EnrolmentsError::Invalid(_))),
        "{refused:?}"
    );
}

fn view(status: EnrolmentStatus, version: i64) -> EnrolmentView {
    EnrolmentView {
        id: enrolment_id(1),
        campaign_id: campaign_id(),
        lead: Some(LeadSummary {
            id: lead_id(1),
            email: "ada@acme.com".into(),
            first_name: None,
            last_name: None,
            company_name: None,
        }),
        subsequence_id: None,
        status,
        stop_reason: None,
        current_step: 0,
        next_send_at: None,
        mailbox_id: None,
        emails_sent: 0,
        last_sent_at: None,
        ai_tag: None,
        history: Vec::new(),
        created_at: at(0),
        updated_at: at(0),
        version,
    }
}

#[tokio::test]
async fn patching_the_status_of_a_pending_enrolment_is_refused_without_a_write() {
    let mut mocks = Mocks::new().campaign_is(CampaignStatus::Draft);
    mocks
        .enrolments
        .expect_find()
        .returning(|_, _, _| Ok(Some(view(EnrolmentStatus::Pending, 0))));
    let request = EnrolmentPatchRequest {
        status: Some("paused".into()),
        ai_tag: PatchValue::Absent,
    };
    let refused = mocks
        .use_cases()
        .patch(
            tenancy(),
            campaign_id(),
            enrolment_id(1),
            &request,
            Problems::new(),
        )
        .await;
    match refused {
        Err(PatchEnrolmentError::Refused(refusal)) => {
            assert_eq!(refusal.from, EnrolmentStatus::Pending);
            assert_eq!(refusal.to, SettableStatus::Paused);
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn an_ai_tag_of_a_subsequence_joins_it_and_a_stale_write_is_tried_again() {
    let mut mocks = Mocks::new().campaign_is(CampaignStatus::Active);
    let reads = Arc::new(AtomicUsize::new(0));
    {
        let reads = reads.clone();
        mocks.enrolments.expect_find().returning(move |_, _, _| {
            let version = reads.fetch_add(1, Ordering::Relaxed) as i64;
            Ok(Some(view(EnrolmentStatus::Active, version)))
        });
    }
    let writes = Arc::new(AtomicUsize::new(0));
    {
        let writes = writes.clone();
        mocks
            .enrolments
            .expect_update()
            .times(2)
            .returning(move |_, change| {
                let join = change.join.expect("joins the subsequence");
                assert_eq!(
                    join.status,
                    EnrolmentStatus::Active,
                    "the campaign is active"
                );
                assert_eq!(change.ai_tag.as_deref(), Some("interested"));
                assert_eq!(
                    change.status,
                    (EnrolmentStatus::Active, EnrolmentStatus::Paused)
                );
                if writes.fetch_add(1, Ordering::Relaxed) == 0 {
                    assert_eq!(change.expected_version, 0);
                    Ok(EnrolmentWrite::Stale)
                } else {
                    assert_eq!(
                        change.expected_version, 1,
                        "read again after the stale write"
                    );
                    Ok(EnrolmentWrite::Written)
                }
            });
    }
    let request = EnrolmentPatchRequest {
        status: Some("paused".into()),
        ai_tag: PatchValue::Given("interested".into()),
    };
    let patched = mocks
        .use_cases()
        .patch(
            tenancy(),
            campaign_id(),
            enrolment_id(1),
            &request,
            Problems::new(),
        )
        .await;
    assert!(patched.is_ok(), "{patched:?}");
    assert_eq!(writes.load(Ordering::Relaxed), 2);
}

#[tokio::test]
async fn an_ai_tag_of_no_subsequence_joins_nothing() {
    let mut mocks = Mocks::new().campaign_is(CampaignStatus::Draft);
    mocks
        .enrolments
        .expect_find()
        .returning(|_, _, _| Ok(Some(view(EnrolmentStatus::Pending, 0))));
    mocks
        .enrolments
        .expect_update()
        .times(1)
        .returning(|_, change| {
            assert_eq!(change.join, None);
            assert_eq!(
                change.status,
                (EnrolmentStatus::Pending, EnrolmentStatus::Pending)
            );
            Ok(EnrolmentWrite::Written)
        });
    let request = EnrolmentPatchRequest {
        status: None,
        ai_tag: PatchValue::Given("Later".into()),
    };
    let patched = mocks
        .use_cases()
        .patch(
            tenancy(),
            campaign_id(),
            enrolment_id(1),
            &request,
            Problems::new(),
        )
        .await;
    assert!(patched.is_ok(), "{patched:?}");
}

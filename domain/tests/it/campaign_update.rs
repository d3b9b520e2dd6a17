//! Spec section 5 (update) and the lifecycle actions of section 3, on the domain model.

use chrono::{DateTime, Duration, TimeZone, Utc};
use domain::campaign::{Campaign, LifecycleError, Provisions, StoredCampaign, SubsequenceCounters};
use domain::campaign_update::{UpdateError, UpdateProvisions};
use domain::id::{CampaignId, MailboxId, ObjectId, UserId, WorkspaceId};
use domain::problem::ProblemCode;
use domain::request::{
    CampaignRequest, MailboxSelectorsRequest, SubsequenceRequest, TriggerRequest,
};
use domain::rules::ParseRules;
use domain::stats::Stats;
use domain::status::{CampaignStatus, LifecycleAction};
use domain::values::WebhookHostPolicy;

use crate::support::*;

fn at(minutes: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 6, 10, 10, 30, 0)
        .single()
        .expect("valid time")
        + Duration::minutes(minutes)
}

fn update_rules() -> ParseRules {
    ParseRules::update(WebhookHostPolicy::PublicOnly)
}

/// A draft with one mailbox, an email, and two subsequences; the first ("Interested") has sent.
fn campaign_with_a_sent_subsequence() -> Campaign {
    let mut counter = 0;
    let created = Campaign::create(
        valid(&CampaignRequest {
            subsequences: Some(vec![
                ai_tag_subsequence("Interested"),
                ai_tag_subsequence("Later"),
            ]),
            ..with_sequence(vec![email("Hi", "Hello")])
        }),
        Provisions {
            id: CampaignId::from(ObjectId::from_parts(20, [1; 5], 1)),
            workspace_id: WorkspaceId::from(ObjectId::from_parts(20, [2; 5], 2)),
            user_id: UserId::from(ObjectId::from_parts(20, [3; 5], 3)),
            now: at(0),
            mailboxes: vec![MailboxId::from(ObjectId::from_parts(20, [4; 5], 4))],
            ai_agent_id: None,
            webhook_secret: None,
        },
        || {
            counter += 1;
            ObjectId::from_parts(21, [5; 5], counter)
        },
    );
    let mut counters = created.subsequence_counters();
    counters[0] = SubsequenceCounters {
        added_count: 4,
        stats: Stats {
            sent: 3,
            ..Stats::default()
        },
        ..counters[0]
    };
    Campaign::restore(StoredCampaign {
        id: created.id(),
        workspace_id: created.workspace_id(),
        user_id: created.user_id(),
        status: created.status(),
        content: created.content(),
        subsequence_counters: counters,
        mailboxes: created.mailboxes().to_vec(),
        stats: created.stats(),
        lead_counts: created.lead_counts(),
        started_at: None,
        completed_at: None,
        created_at: created.created_at(),
        updated_at: created.updated_at(),
    })
    .expect("valid stored campaign")
}

fn provisions(minutes: i64) -> UpdateProvisions {
    UpdateProvisions {
        now: at(minutes),
        mailboxes: None,
        ai_agent_id: None,
        webhook_secret: None,
    }
}

fn with_subsequences(
    campaign: &Campaign,
    subsequences: Vec<SubsequenceRequest>,
) -> CampaignRequest {
    CampaignRequest {
        subsequences: Some(subsequences),
        ..campaign.content()
    }
}

#[test]
fn rule_5_the_merged_campaign_must_satisfy_every_create_rule() {
    let campaign = campaign_with_a_sent_subsequence();
    let merged = CampaignRequest {
        name: s("  "),
        sequence: Some(vec![wait_days(1)]),
        ..campaign.content()
    };
    let Err(UpdateError::Invalid(problems)) = campaign.plan_update(&merged, false, update_rules())
    else {
        panic!("expected invalid");
    };
    let pointers: Vec<String> = problems
        .iter()
        .map(|problem| problem.pointer().to_string())
        .collect();
    assert!(pointers.contains(&"/name".to_owned()), "{pointers:?}");
    assert!(
        pointers.contains(&"/sequence/0/type".to_owned()),
        "{pointers:?}"
    );
}

#[test]
fn rule_5_an_archived_campaign_is_read_only() {
    let archived = campaign_with_a_sent_subsequence()
        .act(LifecycleAction::Archive, at(1))
        .expect("archive");
    assert_eq!(
        archived.plan_update(&archived.content(), false, update_rules()),
        Err(UpdateError::ReadOnly)
    );
}

#[test]
fn rule_5_updated_at_moves_while_id_status_stats_and_created_at_stay() {
    let campaign = campaign_with_a_sent_subsequence();
    let merged = CampaignRequest {
        name: s("Renamed"),
        ..campaign.content()
    };
    let plan = campaign
        .plan_update(&merged, false, update_rules())
        .expect("valid");
    let updated = campaign
        .clone()
        .apply_update(plan, provisions(5), || ObjectId::from_parts(99, [0; 5], 0));
    assert_eq!(updated.name().as_str(), "Renamed");
    assert_eq!(updated.updated_at(), at(5));
    assert_eq!(updated.created_at(), campaign.created_at());
    assert_eq!(updated.id(), campaign.id());
    assert_eq!(updated.status(), campaign.status());
    assert_eq!(updated.stats(), campaign.stats());
    assert_eq!(
        updated.mailboxes(),
        campaign.mailboxes(),
        "no selector given: the mailbox list stays"
    );
    assert_eq!(
        updated.subsequences(),
        campaign.subsequences(),
        "subsequences not given: they stay"
    );
}

#[test]
fn rule_5_any_mailbox_selector_given_replaces_the_list() {
    let campaign = campaign_with_a_sent_subsequence();
    let merged = CampaignRequest {
        mailbox_selectors: MailboxSelectorsRequest {
            mailbox_ids: Some(vec![]),
            ..MailboxSelectorsRequest::default()
        },
        ..campaign.content()
    };
    let plan = campaign
        .plan_update(&merged, false, update_rules())
        .expect("valid");
    assert!(plan.replaces_mailboxes());
    let updated = campaign.apply_update(
        plan,
        UpdateProvisions {
            mailboxes: Some(vec![]),
            ..provisions(1)
        },
        || ObjectId::from_parts(99, [0; 5], 0),
    );
    assert!(updated.mailboxes().is_empty());
}

#[test]
fn rule_5_a_listed_subsequence_id_keeps_its_counters_and_new_entries_get_fresh_ids() {
    let campaign = campaign_with_a_sent_subsequence();
    let mut kept = campaign.subsequences()[0].to_request();
    kept.name = s("Interested, renamed");
    let merged = with_subsequences(&campaign, vec![kept, ai_tag_subsequence("Brand new")]);
    let plan = campaign
        .plan_update(&merged, true, update_rules())
        .expect("valid");
    let fresh = ObjectId::from_parts(99, [9; 5], 9);
    let updated = campaign.clone().apply_update(plan, provisions(1), || fresh);
    let names: Vec<&str> = updated
        .subsequences()
        .iter()
        .map(|sub| sub.name())
        .collect();
    assert_eq!(
        names,
        ["Interested, renamed", "On Brand new"],
        "Later never sent, so it is removed"
    );
    assert_eq!(
        updated.subsequences()[0].id(),
        campaign.subsequences()[0].id()
    );
    assert_eq!(updated.subsequences()[0].added_count(), 4);
    assert_eq!(updated.subsequences()[0].stats().sent, 3);
    assert_eq!(
        updated.subsequences()[1].id().to_string(),
        fresh.to_string()
    );
    assert_eq!(updated.subsequences()[1].added_count(), 0);
}

#[test]
fn rule_5_a_left_out_subsequence_that_sent_is_archived_not_removed() {
    let campaign = campaign_with_a_sent_subsequence();
    let merged = with_subsequences(&campaign, vec![]);
    let plan = campaign
        .plan_update(&merged, true, update_rules())
        .expect("valid");
    let updated = campaign
        .clone()
        .apply_update(plan, provisions(1), || ObjectId::from_parts(99, [0; 5], 0));
    assert_eq!(updated.subsequences().len(), 1);
    let archived = &updated.subsequences()[0];
    assert_eq!(archived.id(), campaign.subsequences()[0].id());
    assert!(archived.archived());
    assert_eq!(archived.added_count(), 4);
}

#[test]
fn rule_4_3_the_trigger_of_a_subsequence_that_sent_cannot_change() {
    let campaign = campaign_with_a_sent_subsequence();
    let retrigger = |index: usize, tag: &str| {
        let mut entry = campaign.subsequences()[index].to_request();
        entry.trigger = Some(TriggerRequest {
            kind: s("ai_tag"),
            value: s(tag),
        });
        let mut list: Vec<SubsequenceRequest> = campaign
            .subsequences()
            .iter()
            .map(|sub| sub.to_request())
            .collect();
        list[index] = entry;
        with_subsequences(&campaign, list)
    };
    assert_eq!(
        campaign.plan_update(&retrigger(0, "Not interested"), true, update_rules()),
        Err(UpdateError::TriggerFrozen(
            campaign.subsequences()[0].id().to_string()
        ))
    );
    assert!(
        campaign
            .plan_update(&retrigger(1, "Maybe"), true, update_rules())
            .is_ok(),
        "a subsequence that never sent may change its trigger"
    );
}

#[test]
fn rule_5_an_id_that_is_not_a_subsequence_of_the_campaign_is_refused() {
    let campaign = campaign_with_a_sent_subsequence();
    let stranger = SubsequenceRequest {
        id: s("665a1b2c3d4e5f6a7b8c9d0e"),
        ..ai_tag_subsequence("Someone else's")
    };
    let Err(UpdateError::Invalid(problems)) = campaign.plan_update(
        &with_subsequences(&campaign, vec![stranger]),
        true,
        update_rules(),
    ) else {
        panic!("expected invalid");
    };
    let found: Vec<(String, ProblemCode)> = problems
        .iter()
        .map(|problem| (problem.pointer().to_string(), problem.code()))
        .collect();
    assert_eq!(
        found,
        vec![("/subsequences/0/_id".to_owned(), ProblemCode::InvalidValue)]
    );
}

#[test]
fn lifecycle_start_needs_a_mailbox_and_an_email_step_and_sets_started_at_once() {
    let started = campaign_with_a_sent_subsequence()
        .act(LifecycleAction::Start, at(1))
        .expect("start");
    assert_eq!(started.status(), CampaignStatus::Active);
    assert_eq!(started.started_at(), Some(at(1)));
    let paused = started.act(LifecycleAction::Pause, at(2)).expect("pause");
    let restarted = paused
        .act(LifecycleAction::Start, at(3))
        .expect("start again");
    assert_eq!(restarted.started_at(), Some(at(1)), "startedAt is set once");
    assert!(!restarted.is_deletable());

    let empty = Campaign::create(
        valid(&campaign("Empty")),
        Provisions {
            id: CampaignId::from(ObjectId::from_parts(30, [1; 5], 1)),
            workspace_id: WorkspaceId::from(ObjectId::from_parts(30, [2; 5], 2)),
            user_id: UserId::from(ObjectId::from_parts(30, [3; 5], 3)),
            now: at(0),
            mailboxes: vec![],
            ai_agent_id: None,
            webhook_secret: None,
        },
        || ObjectId::from_parts(31, [0; 5], 0),
    );
    assert!(empty.is_deletable());
    assert_eq!(
        empty.act(LifecycleAction::Start, at(1)),
        Err(LifecycleError::NotReady(vec![
            "no mailbox",
            "no email step"
        ]))
    );
}

#[test]
fn lifecycle_refuses_illegal_transitions_naming_the_current_status() {
    let campaign = campaign_with_a_sent_subsequence();
    let error = campaign
        .act(LifecycleAction::Pause, at(1))
        .expect_err("a draft cannot pause");
    assert_eq!(error.to_string(), "cannot pause a campaign that is draft");
}

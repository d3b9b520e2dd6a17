//! `EnrolmentRepository` (and the enrolment side of `LeadRepository::delete` and
//! `CampaignRepository::update`): the contract of application/src/ports/enrolments.rs on every
//! backend, the campaign's lead counts checked against the enrolments after every kind of change.

use std::collections::{BTreeMap, HashMap};

use adapters::Database;
use adapters::testing::{plan_next_send, record_sent_step};
use anyhow::Context as _;
use application::ports::{
    EnrolRefused, EnrolmentChange, EnrolmentQuery, EnrolmentView, EnrolmentWrite, JoinSubsequence,
    LeadChoice, LeadQuery, WriteOutcome,
};
use chrono::{DateTime, Utc};
use domain::campaign::Campaign;
use domain::enrolment::{EnrolmentStatus, LeadAction, LeadCounts, StopReason};
use domain::enrolment_request::ActionTarget;
use domain::id::{EnrolmentId, LeadId, MailboxId, SubsequenceId};
use domain::lead::{Lead, LeadFields};
use domain::lead_listing::LeadFilter;
use domain::lead_request::{LeadFiltersRequest, LeadRequest};
use domain::listing::PageLimit;
use domain::problem::JsonPointer;
use domain::status::LifecycleAction;

use crate::support::*;

use EnrolmentStatus::{Active, Paused, Pending, Removed};

fn lead_fields(email: &str, country: Option<&str>, tags: &[&str]) -> LeadFields {
    LeadFields::parse(
        &LeadRequest {
            email: s(email),
            first_name: s("Ada"),
            company_name: s("Acme"),
            country: country.map(str::to_owned),
            tags: Some(tags.iter().map(|tag| (*tag).to_owned()).collect()),
            ..LeadRequest::default()
        },
        &JsonPointer::root(),
    )
    .expect("valid lead")
}

/// `count` leads of `tenant`, stored in batches; their ids in creation order.
pub(crate) async fn store_leads(
    database: &Database,
    tenant: Tenant,
    count: usize,
) -> anyhow::Result<Vec<LeadId>> {
    let leads: Vec<Lead> = (0..count)
        .map(|n| {
            Lead::create(
                new_id(),
                tenant.workspace,
                lead_fields(&format!("lead{n}@acme.test"), None, &[]),
                at(0),
            )
        })
        .collect();
    let ids = leads.iter().map(Lead::id).collect();
    for chunk in leads.chunks(5_000) {
        database
            .leads()
            .write_batch(tenant.workspace, chunk.to_vec(), Vec::new())
            .await?;
    }
    Ok(ids)
}

async fn store_lead(
    database: &Database,
    tenant: Tenant,
    fields: LeadFields,
) -> anyhow::Result<LeadId> {
    let lead = Lead::create(new_id(), tenant.workspace, fields, at(0));
    database.leads().insert(&lead).await?;
    Ok(lead.id())
}

/// A draft campaign of `tenant` with a mailbox and the full request's subsequences.
async fn draft(database: &Database, tenant: Tenant) -> anyhow::Result<Campaign> {
    let mailbox = store_mailbox(
        database,
        mailbox(
            tenant,
            &format!("s{}@acme.test", new_id::<MailboxId>()),
            "gmail",
            &[],
        ),
    )
    .await?;
    let draft = campaign(tenant, &full_request(), vec![mailbox], Some(new_id()));
    database.campaigns().insert(&draft).await?;
    Ok(draft)
}

/// Runs a lifecycle action through the repository as the use case does.
pub(crate) async fn act(
    database: &Database,
    campaign: &Campaign,
    action: LifecycleAction,
) -> anyhow::Result<Campaign> {
    let found = database
        .campaigns()
        .find(campaign.workspace_id(), campaign.id())
        .await?
        .context("the campaign")?;
    let changed = found
        .campaign
        .act(action, at(100))
        .map_err(|error| anyhow::anyhow!("{error}"))?;
    assert_eq!(
        database.campaigns().update(&changed, found.version).await?,
        WriteOutcome::Written
    );
    Ok(changed)
}

/// Every enrolment of the campaign, through the list, all pages.
async fn all_enrolments(
    database: &Database,
    campaign: &Campaign,
) -> anyhow::Result<Vec<EnrolmentView>> {
    let mut query = EnrolmentQuery {
        limit: PageLimit::parse(Some(100)).expect("a limit"),
        ..EnrolmentQuery::default()
    };
    let mut all = Vec::new();
    loop {
        let page = database
            .enrolments()
            .list(campaign.workspace_id(), campaign.id(), &query)
            .await?
            .context("the campaign")?;
        all.extend(page.enrolments);
        if !page.has_more {
            break;
        }
        query.before = all.last().map(|last| last.id);
    }
    Ok(all)
}

/// The stored lead counts equal the enrolments counted one by one: the counters are exact.
async fn assert_counts_exact(
    database: &Database,
    campaign: &Campaign,
) -> anyhow::Result<LeadCounts> {
    let enrolments = all_enrolments(database, campaign).await?;
    let counted: LeadCounts = enrolments
        .iter()
        .map(|enrolment| enrolment.status)
        .collect();
    let stored = find_campaign(database, campaign.workspace_id(), campaign.id())
        .await?
        .context("the campaign")?
        .lead_counts();
    assert_eq!(stored, counted, "stored counters against the enrolments");
    assert_due_groups_exact(database, campaign, &enrolments).await?;
    Ok(stored)
}

/// A due group's key: sequence (`None`: the main one), step, due quarter hour.
type DueKey = (Option<SubsequenceId>, u32, Option<DateTime<Utc>>);

/// The due counts the database keeps for the forecast (migration 18's triggers) equal the
/// enrolments that may still send, grouped one by one by sequence, step and due quarter hour.
async fn assert_due_groups_exact(
    database: &Database,
    campaign: &Campaign,
    enrolments: &[EnrolmentView],
) -> anyhow::Result<()> {
    let quarter_hour = |due: DateTime<Utc>| {
        let millis = due.timestamp_millis();
        DateTime::from_timestamp_millis(millis - millis.rem_euclid(900_000)).expect("in range")
    };
    let mut counted: BTreeMap<DueKey, u64> = BTreeMap::new();
    for enrolment in enrolments
        .iter()
        .filter(|enrolment| matches!(enrolment.status, Active | Pending))
    {
        let key = (
            enrolment.subsequence_id,
            enrolment.current_step,
            enrolment.next_send_at.map(quarter_hour),
        );
        *counted.entry(key).or_default() += 1;
    }
    let stored: BTreeMap<_, _> = database
        .enrolments()
        .due_groups(campaign.workspace_id(), campaign.id())
        .await?
        .into_iter()
        .map(|group| ((group.sequence, group.step, group.due), group.enrolments))
        .collect();
    assert_eq!(stored, counted, "stored due counts against the enrolments");
    Ok(())
}

async fn enrol(
    database: &Database,
    campaign: &Campaign,
    choice: LeadChoice,
) -> Result<application::ports::Enrolled, EnrolRefused> {
    database
        .enrolments()
        .enrol(campaign.workspace_id(), campaign.id(), &choice, at(10))
        .await
}

fn all() -> LeadChoice {
    LeadChoice::All {
        exclude: Vec::new(),
    }
}

#[tokio::test]
async fn select_all_enrols_each_lead_of_the_workspace_once_across_batches() -> anyhow::Result<()> {
    on_every_backend(async |database| {
        let other = tenant(&database).await?;
        let tenant = tenant(&database).await?;
        // More than one INSERT … SELECT batch (10,000 leads each).
        let ids = store_leads(&database, tenant, 10_003).await?;
        store_leads(&database, other, 2).await?;
        let campaign = draft(&database, tenant).await?;
        let excluded = vec![ids[0], ids[10_000]];
        let first = enrol(
            &database,
            &campaign,
            LeadChoice::All {
                exclude: excluded.clone(),
            },
        )
        .await?;
        assert_eq!((first.added, first.skipped), (10_001, 0));
        let again = enrol(&database, &campaign, all()).await?;
        assert_eq!(
            (again.added, again.skipped),
            (2, 10_001),
            "only the excluded are new"
        );
        let enrolments = all_enrolments(&database, &campaign).await?;
        assert_eq!(enrolments.len(), 10_003);
        let mut leads: Vec<LeadId> = enrolments
            .iter()
            .map(|enrolment| enrolment.lead.as_ref().expect("a lead").id)
            .collect();
        leads.sort();
        let mut expected = ids.clone();
        expected.sort();
        assert_eq!(
            leads, expected,
            "every lead of the workspace, once, none of another"
        );
        let distinct: std::collections::HashSet<EnrolmentId> =
            enrolments.iter().map(|enrolment| enrolment.id).collect();
        assert_eq!(distinct.len(), enrolments.len(), "enrolment ids are unique");
        assert!(
            enrolments
                .iter()
                .all(|enrolment| enrolment.status == Pending)
        );
        let counts = assert_counts_exact(&database, &campaign).await?;
        assert_eq!(counts.pending(), 10_003);
        Ok(())
    })
    .await
}

#[tokio::test]
async fn new_enrolments_take_the_status_the_campaign_gives_and_an_archived_campaign_takes_none()
-> anyhow::Result<()> {
    on_every_backend(async |database| {
        let tenant = tenant(&database).await?;
        let ids = store_leads(&database, tenant, 3).await?;
        let campaign = draft(&database, tenant).await?;
        enrol(&database, &campaign, LeadChoice::Ids(vec![ids[0]])).await?;
        let active = act(&database, &campaign, LifecycleAction::Start).await?;
        enrol(&database, &active, LeadChoice::Ids(vec![ids[1]])).await?;
        let statuses: HashMap<LeadId, EnrolmentStatus> = all_enrolments(&database, &campaign)
            .await?
            .iter()
            .map(|enrolment| (enrolment.lead.as_ref().expect("lead").id, enrolment.status))
            .collect();
        assert_eq!(
            statuses[&ids[0]], Active,
            "start turned the pending one active"
        );
        assert_eq!(statuses[&ids[1]], Active, "added to an active campaign");
        assert_counts_exact(&database, &campaign).await?;

        let archived = act(&database, &active, LifecycleAction::Archive).await?;
        let refused = enrol(&database, &archived, LeadChoice::Ids(vec![ids[2]])).await;
        assert!(
            matches!(refused, Err(EnrolRefused::Archived)),
            "{refused:?}"
        );
        assert_eq!(all_enrolments(&database, &campaign).await?.len(), 2);
        Ok(())
    })
    .await
}

#[tokio::test]
async fn an_empty_list_of_leads_enrols_nothing_and_a_missing_campaign_is_still_refused()
-> anyhow::Result<()> {
    on_every_backend(async |database| {
        let owner = tenant(&database).await?;
        let stranger = tenant(&database).await?;
        store_leads(&database, owner, 3).await?;
        let campaign = draft(&database, owner).await?;
        let enrolled = enrol(&database, &campaign, LeadChoice::Ids(Vec::new())).await?;
        assert_eq!(
            (enrolled.added, enrolled.skipped, enrolled.missing.len()),
            (0, 0, 0)
        );
        assert_eq!(assert_counts_exact(&database, &campaign).await?.total(), 0);
        let refused = database
            .enrolments()
            .enrol(
                stranger.workspace,
                campaign.id(),
                &LeadChoice::Ids(Vec::new()),
                at(10),
            )
            .await;
        assert!(
            matches!(refused, Err(EnrolRefused::CampaignNotFound)),
            "{refused:?}"
        );
        Ok(())
    })
    .await
}

#[tokio::test]
async fn another_workspaces_campaign_and_leads_behave_as_absent() -> anyhow::Result<()> {
    on_every_backend(async |database| {
        let owner = tenant(&database).await?;
        let stranger = tenant(&database).await?;
        let mine = store_leads(&database, owner, 1).await?;
        let theirs = store_leads(&database, stranger, 1).await?;
        let campaign = draft(&database, owner).await?;
        let enrolments = database.enrolments();
        let refused = enrolments
            .enrol(stranger.workspace, campaign.id(), &all(), at(10))
            .await;
        assert!(
            matches!(refused, Err(EnrolRefused::CampaignNotFound)),
            "{refused:?}"
        );
        let enrolled = enrol(
            &database,
            &campaign,
            LeadChoice::Ids(vec![mine[0], theirs[0]]),
        )
        .await?;
        assert_eq!(enrolled.added, 1);
        assert_eq!(
            enrolled.missing,
            vec![theirs[0]],
            "a lead of another workspace is missing"
        );
        assert!(
            enrolments
                .list(
                    stranger.workspace,
                    campaign.id(),
                    &EnrolmentQuery::default()
                )
                .await?
                .is_none()
        );
        let id = all_enrolments(&database, &campaign).await?[0].id;
        assert!(
            enrolments
                .find(stranger.workspace, campaign.id(), id)
                .await?
                .is_none()
        );
        let acted = enrolments
            .act(
                stranger.workspace,
                campaign.id(),
                LeadAction::Remove,
                &ActionTarget::Enrolments(vec![id]),
                at(20),
            )
            .await?;
        assert_eq!(acted, None);
        assert!(
            enrolments
                .of_lead(stranger.workspace, mine[0])
                .await?
                .is_empty()
        );
        assert_eq!(enrolments.of_lead(owner.workspace, mine[0]).await?.len(), 1);
        Ok(())
    })
    .await
}

#[tokio::test]
async fn filters_choose_the_leads_that_pass_every_filter_given() -> anyhow::Result<()> {
    on_every_backend(async |database| {
        let tenant = tenant(&database).await?;
        let eu_gb = store_lead(
            &database,
            tenant,
            lead_fields("ada@engines.test", Some("GB"), &["EU"]),
        )
        .await?;
        let eu_fr = store_lead(
            &database,
            tenant,
            lead_fields("marie@radium.test", Some("FR"), &["eu"]),
        )
        .await?;
        let us = store_lead(
            &database,
            tenant,
            lead_fields("grace@navy.test", Some("US"), &["us"]),
        )
        .await?;
        let campaign = draft(&database, tenant).await?;
        let filter = |request: LeadFiltersRequest| {
            LeadFilter::parse(&request, &JsonPointer::root()).expect("valid filters")
        };
        let eu = enrol(
            &database,
            &campaign,
            LeadChoice::Filter(filter(LeadFiltersRequest {
                tags: Some(vec!["Eu".into()]),
                country: s("gb"),
                ..LeadFiltersRequest::default()
            })),
        )
        .await?;
        assert_eq!(eu.added, 1);
        let searched = enrol(
            &database,
            &campaign,
            LeadChoice::Filter(filter(LeadFiltersRequest {
                search: s("RADIUM"),
                lead_ids: Some(vec![eu_fr.to_string(), us.to_string()]),
                ..LeadFiltersRequest::default()
            })),
        )
        .await?;
        assert_eq!((searched.added, searched.skipped), (1, 0));
        let mut enrolled: Vec<LeadId> = all_enrolments(&database, &campaign)
            .await?
            .iter()
            .map(|enrolment| enrolment.lead.as_ref().expect("lead").id)
            .collect();
        enrolled.sort();
        let mut expected = vec![eu_gb, eu_fr];
        expected.sort();
        assert_eq!(enrolled, expected);
        let listed = database
            .leads()
            .list(
                tenant.workspace,
                &LeadQuery {
                    campaign: Some(campaign.id()),
                    ..LeadQuery::default()
                },
            )
            .await?;
        let mut listed: Vec<LeadId> = listed.leads.iter().map(Lead::id).collect();
        listed.sort();
        assert_eq!(listed, expected, "the campaignId filter of the lead list");
        Ok(())
    })
    .await
}

#[tokio::test]
async fn actions_change_the_documented_statuses_and_remove_keeps_what_sent() -> anyhow::Result<()> {
    on_every_backend(async |database| {
        let tenant = tenant(&database).await?;
        store_leads(&database, tenant, 6).await?;
        let campaign = draft(&database, tenant).await?;
        let active = act(&database, &campaign, LifecycleAction::Start).await?;
        enrol(&database, &active, all()).await?;
        let mut ids: Vec<EnrolmentId> = all_enrolments(&database, &campaign)
            .await?
            .iter()
            .map(|enrolment| enrolment.id)
            .collect();
        ids.sort();
        let enrolments = database.enrolments();
        let campaign_id = campaign.id();
        let run = |action: LeadAction, target: ActionTarget| {
            let enrolments = enrolments.clone();
            async move {
                enrolments
                    .act(tenant.workspace, campaign_id, action, &target, at(30))
                    .await
                    .map(|modified| modified.expect("the campaign"))
            }
        };
        assert_eq!(
            run(
                LeadAction::Pause,
                ActionTarget::Enrolments(ids[..3].to_vec())
            )
            .await?,
            3
        );
        assert_counts_exact(&database, &campaign).await?;
        // Resume applies to paused ones only: the three active ones are left alone.
        let resumed = run(
            LeadAction::Resume,
            ActionTarget::All {
                status: None,
                exclude: vec![ids[0]],
            },
        )
        .await?;
        assert_eq!(resumed, 2);
        let counts = assert_counts_exact(&database, &campaign).await?;
        assert_eq!((counts.active(), counts.paused()), (5, 1));

        let mailbox = campaign.mailboxes()[0].to_string();
        record_sent_step(
            &database,
            &ids[1].to_string(),
            0,
            &mailbox,
            1_765_000_000_000,
        )
        .await?;
        let removed = run(
            LeadAction::Remove,
            ActionTarget::All {
                status: Some(Active),
                exclude: vec![ids[5]],
            },
        )
        .await?;
        assert_eq!(removed, 4, "ids 1 to 4");
        let left = all_enrolments(&database, &campaign).await?;
        let by_id: HashMap<EnrolmentId, &EnrolmentView> = left
            .iter()
            .map(|enrolment| (enrolment.id, enrolment))
            .collect();
        assert_eq!(
            left.len(),
            3,
            "the one that sent stays, the unsent ones are gone"
        );
        assert_eq!(by_id[&ids[0]].status, Paused);
        assert_eq!(by_id[&ids[5]].status, Active);
        let kept = by_id[&ids[1]];
        assert_eq!(
            (kept.status, kept.stop_reason),
            (Removed, Some(StopReason::Removed))
        );
        assert_eq!(kept.emails_sent, 1);
        assert_eq!(kept.history.len(), 1, "its history stays");
        assert_eq!(kept.history[0].variant.as_deref(), Some("A"));
        let counts = assert_counts_exact(&database, &campaign).await?;
        assert_eq!(counts.total(), 3);
        assert_eq!(counts.removed(), 1);
        // Removing a removed one changes nothing.
        assert_eq!(
            run(LeadAction::Remove, ActionTarget::Enrolments(vec![ids[1]])).await?,
            0
        );
        Ok(())
    })
    .await
}

#[tokio::test]
async fn deleting_a_lead_deletes_its_unsent_enrolments_and_keeps_the_sent_ones_as_removed()
-> anyhow::Result<()> {
    on_every_backend(async |database| {
        let tenant = tenant(&database).await?;
        let ids = store_leads(&database, tenant, 2).await?;
        let first = draft(&database, tenant).await?;
        let second = draft(&database, tenant).await?;
        enrol(&database, &first, all()).await?;
        enrol(&database, &second, LeadChoice::Ids(vec![ids[0]])).await?;
        let sent = all_enrolments(&database, &first)
            .await?
            .into_iter()
            .find(|enrolment| enrolment.lead.as_ref().map(|lead| lead.id) == Some(ids[0]))
            .context("the enrolment")?;
        let mailbox = first.mailboxes()[0].to_string();
        record_sent_step(
            &database,
            &sent.id.to_string(),
            0,
            &mailbox,
            1_765_000_000_000,
        )
        .await?;
        assert!(database.leads().delete(tenant.workspace, ids[0]).await?);
        let first_left = all_enrolments(&database, &first).await?;
        assert_eq!(first_left.len(), 2);
        let kept = first_left
            .iter()
            .find(|enrolment| enrolment.id == sent.id)
            .context("kept")?;
        assert_eq!(kept.status, Removed);
        assert_eq!(kept.lead, None, "the lead is gone");
        assert!(all_enrolments(&database, &second).await?.is_empty());
        let counts = assert_counts_exact(&database, &first).await?;
        assert_eq!((counts.removed(), counts.pending()), (1, 1));
        assert_counts_exact(&database, &second).await?;
        assert!(
            database
                .enrolments()
                .of_lead(tenant.workspace, ids[0])
                .await?
                .is_empty()
        );
        Ok(())
    })
    .await
}

#[tokio::test]
async fn an_update_writes_only_at_its_version_and_a_subsequence_join_is_its_own_row()
-> anyhow::Result<()> {
    on_every_backend(async |database| {
        let tenant = tenant(&database).await?;
        store_leads(&database, tenant, 1).await?;
        let campaign = draft(&database, tenant).await?;
        let active = act(&database, &campaign, LifecycleAction::Start).await?;
        enrol(&database, &active, all()).await?;
        let enrolment = all_enrolments(&database, &campaign).await?[0].clone();
        let subsequence = active.subsequences()[0].id();
        let version_before = database
            .campaigns()
            .find(tenant.workspace, campaign.id())
            .await?
            .context("campaign")?
            .version;
        let change = EnrolmentChange {
            campaign: campaign.id(),
            id: enrolment.id,
            expected_version: enrolment.version,
            status: (Active, Paused),
            ai_tag: Some("Interested".into()),
            join: Some(JoinSubsequence {
                id: new_id(),
                subsequence,
                status: Active,
            }),
            now: at(40),
        };
        let enrolments = database.enrolments();
        assert_eq!(
            enrolments.update(tenant.workspace, &change).await?,
            EnrolmentWrite::Written
        );
        assert_eq!(
            enrolments.update(tenant.workspace, &change).await?,
            EnrolmentWrite::Stale,
            "the version moved"
        );
        let rows = all_enrolments(&database, &campaign).await?;
        assert_eq!(rows.len(), 2);
        let joined = rows
            .iter()
            .find(|row| row.subsequence_id == Some(subsequence))
            .context("the subsequence enrolment")?;
        assert_eq!(joined.status, Active);
        assert_eq!(
            joined.lead.as_ref().map(|lead| lead.id),
            enrolment.lead.as_ref().map(|lead| lead.id)
        );
        let main = rows
            .iter()
            .find(|row| row.id == enrolment.id)
            .context("main")?;
        assert_eq!(
            (main.status, main.ai_tag.as_deref()),
            (Paused, Some("Interested"))
        );
        let counts = assert_counts_exact(&database, &campaign).await?;
        assert_eq!((counts.active(), counts.paused()), (1, 1));
        let after = database
            .campaigns()
            .find(tenant.workspace, campaign.id())
            .await?
            .context("campaign")?;
        assert_eq!(after.campaign.subsequences()[0].added_count(), 1);
        assert!(
            after.version > version_before,
            "a campaign write from before goes stale"
        );
        assert_eq!(
            database.campaigns().update(&active, version_before).await?,
            WriteOutcome::Stale
        );
        // A second join of the same lead adds nothing.
        let again = EnrolmentChange {
            expected_version: main.version,
            status: (Paused, Paused),
            join: Some(JoinSubsequence {
                id: new_id(),
                subsequence,
                status: Active,
            }),
            ..change
        };
        assert_eq!(
            enrolments.update(tenant.workspace, &again).await?,
            EnrolmentWrite::Written
        );
        assert_eq!(all_enrolments(&database, &campaign).await?.len(), 2);
        assert_counts_exact(&database, &campaign).await?;
        Ok(())
    })
    .await
}

#[tokio::test]
async fn resume_of_a_paused_campaign_turns_leads_added_meanwhile_active() -> anyhow::Result<()> {
    on_every_backend(async |database| {
        let tenant = tenant(&database).await?;
        let ids = store_leads(&database, tenant, 2).await?;
        let campaign = draft(&database, tenant).await?;
        let active = act(&database, &campaign, LifecycleAction::Start).await?;
        let paused = act(&database, &active, LifecycleAction::Pause).await?;
        enrol(&database, &paused, LeadChoice::Ids(ids.clone())).await?;
        assert_eq!(
            assert_counts_exact(&database, &campaign).await?.pending(),
            2
        );
        let resumed = act(&database, &paused, LifecycleAction::Resume).await?;
        assert_eq!(
            resumed.lead_counts().active(),
            2,
            "the domain moves its copy too"
        );
        let counts = assert_counts_exact(&database, &campaign).await?;
        assert_eq!((counts.pending(), counts.active()), (0, 2));
        Ok(())
    })
    .await
}

#[tokio::test]
async fn enrolment_lists_page_newest_first_with_a_status_filter_and_exact_totals()
-> anyhow::Result<()> {
    on_every_backend(async |database| {
        let tenant = tenant(&database).await?;
        store_leads(&database, tenant, 5).await?;
        let campaign = draft(&database, tenant).await?;
        enrol(&database, &campaign, all()).await?;
        let enrolments = database.enrolments();
        let mut query = EnrolmentQuery {
            status: Some(Pending),
            limit: PageLimit::parse(Some(2)).expect("limit"),
            ..EnrolmentQuery::default()
        };
        let mut seen = Vec::new();
        loop {
            let page = enrolments
                .list(tenant.workspace, campaign.id(), &query)
                .await?
                .context("campaign")?;
            assert_eq!(page.total, 5);
            seen.extend(page.enrolments.iter().map(|enrolment| enrolment.id));
            if !page.has_more {
                break;
            }
            query.before = seen.last().copied();
        }
        let mut sorted = seen.clone();
        sorted.sort_by(|a, b| b.cmp(a));
        assert_eq!(seen, sorted, "newest first");
        assert_eq!(seen.len(), 5);
        let none = enrolments
            .list(
                tenant.workspace,
                campaign.id(),
                &EnrolmentQuery {
                    status: Some(Active),
                    ..EnrolmentQuery::default()
                },
            )
            .await?
            .context("campaign")?;
        assert_eq!((none.total, none.enrolments.len()), (0, 0));
        Ok(())
    })
    .await
}

#[tokio::test]
async fn due_counts_follow_planned_sends_steps_and_deletion_and_stay_in_their_workspace()
-> anyhow::Result<()> {
    on_every_backend(async |database| {
        let stranger = tenant(&database).await?;
        let tenant = tenant(&database).await?;
        store_leads(&database, tenant, 4).await?;
        let campaign = draft(&database, tenant).await?;
        let active = act(&database, &campaign, LifecycleAction::Start).await?;
        enrol(&database, &active, all()).await?;
        let mut ids: Vec<String> = all_enrolments(&database, &campaign)
            .await?
            .iter()
            .map(|enrolment| enrolment.id.to_string())
            .collect();
        ids.sort();
        // 2026-12-07 09:00 UTC, and a minute later: the same quarter hour.
        let nine = 1_796_634_000_000;
        plan_next_send(&database, &ids[0], nine).await?;
        plan_next_send(&database, &ids[1], nine + 60_000).await?;
        plan_next_send(&database, &ids[2], nine + 3_600_000).await?;
        record_sent_step(
            &database,
            &ids[3],
            0,
            &campaign.mailboxes()[0].to_string(),
            nine,
        )
        .await?;
        assert_counts_exact(&database, &campaign).await?;
        let groups = database
            .enrolments()
            .due_groups(tenant.workspace, campaign.id())
            .await?;
        let at_nine = groups
            .iter()
            .find(|group| group.due == DateTime::from_timestamp_millis(nine))
            .context("the 09:00 group")?;
        assert_eq!((at_nine.step, at_nine.enrolments), (0, 2));
        assert!(
            database
                .enrolments()
                .due_groups(stranger.workspace, campaign.id())
                .await?
                .is_empty(),
            "another workspace sees no due counts of the campaign"
        );
        let version = database
            .campaigns()
            .find(tenant.workspace, campaign.id())
            .await?
            .context("the campaign")?
            .version;
        assert_eq!(
            database
                .campaigns()
                .delete(tenant.workspace, campaign.id(), version)
                .await?,
            WriteOutcome::Written
        );
        assert!(
            database
                .enrolments()
                .due_groups(tenant.workspace, campaign.id())
                .await?
                .is_empty(),
            "a deleted campaign's due counts go with it"
        );
        Ok(())
    })
    .await
}

/// `sentToday`: a mailbox's history rows sent in the 24 hours up to now, per mailbox; older and
/// later sends, and another workspace's mailbox, count nothing.
#[tokio::test]
async fn sends_in_the_last_day_count_each_mailboxs_history_rows_of_the_last_24_hours()
-> anyhow::Result<()> {
    on_every_backend(async |database| {
        let tenant = tenant(&database).await?;
        store_leads(&database, tenant, 4).await?;
        let campaign = draft(&database, tenant).await?;
        let active = act(&database, &campaign, LifecycleAction::Start).await?;
        enrol(&database, &active, all()).await?;
        let ids: Vec<String> = all_enrolments(&database, &campaign)
            .await?
            .iter()
            .map(|enrolment| enrolment.id.to_string())
            .collect();
        let sender = campaign.mailboxes()[0];
        let idle =
            store_mailbox(&database, mailbox(tenant, "idle@acme.test", "gmail", &[])).await?;
        let now = at(10_000);
        let now_ms = now.timestamp_millis();
        let day_ms = 24 * 60 * 60 * 1_000;
        // In the window: 1 ms after its start, and now itself. Outside: its start, and after now.
        for (enrolment, sent_at_ms) in [
            (&ids[0], now_ms - day_ms + 1),
            (&ids[1], now_ms),
            (&ids[2], now_ms - day_ms),
            (&ids[3], now_ms + 1),
        ] {
            record_sent_step(&database, enrolment, 0, &sender.to_string(), sent_at_ms).await?;
        }
        let counts = database
            .mailboxes()
            .sends_in_last_day(tenant.workspace, &[sender, idle], now)
            .await?;
        assert_eq!(counts, HashMap::from([(sender, 2), (idle, 0)]));

        let stranger = tenant_of_another(&database).await?;
        let theirs = database
            .mailboxes()
            .sends_in_last_day(stranger, &[sender], now)
            .await?;
        assert_eq!(theirs.get(&sender).copied().unwrap_or(0), 0);
        Ok(())
    })
    .await
}

async fn tenant_of_another(database: &Database) -> anyhow::Result<domain::id::WorkspaceId> {
    Ok(tenant(database).await?.workspace)
}

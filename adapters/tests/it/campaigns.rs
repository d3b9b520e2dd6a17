//! `CampaignRepository`.

use std::sync::Arc;

use adapters::Database;
use anyhow::Context as _;
use application::ports::{
    CampaignPage, CampaignQuery, RepositoryError, Version, VersionedCampaign, WriteOutcome,
};
use domain::campaign::Campaign;
use domain::enrolment::{EnrolmentStatus, LeadCounts};
use domain::id::{AgentId, CampaignId};
use domain::listing::{NameSearch, PageLimit};
use domain::request::{StepRequest, SubsequenceRequest, TriggerRequest};
use domain::status::{CampaignStatus, LifecycleAction};
use tokio::sync::Barrier;
use tokio::task::JoinSet;

use crate::support::*;

#[tokio::test]
async fn campaign_with_every_seed_field_and_subsequences_reads_back_equal() -> anyhow::Result<()> {
    on_every_backend(async |database| {
        let tenant = tenant(&database).await?;
        // Stored in selection order, not id order.
        let mut mailboxes = Vec::new();
        for email in ["c@acme.test", "a@acme.test", "b@acme.test"] {
            mailboxes.push(
                store_mailbox(&database, mailbox(tenant, email, "gmail", &["outreach"])).await?,
            );
        }
        mailboxes.reverse();
        let campaign = campaign(
            tenant,
            &full_request(),
            mailboxes.clone(),
            Some(new_id::<AgentId>()),
        );
        assert_eq!(campaign.subsequences().len(), 2);

        database.campaigns().insert(&campaign).await?;
        let found = find_campaign(&database, tenant.workspace, campaign.id())
            .await?
            .expect("the campaign is found");

        assert_eq!(found, campaign);
        assert_eq!(found.content(), campaign.content());
        assert_eq!(found.mailboxes(), mailboxes.as_slice());
        assert_eq!(
            found.subsequence_counters(),
            campaign.subsequence_counters()
        );
        Ok(())
    })
    .await
}

#[tokio::test]
async fn campaign_with_only_defaults_reads_back_equal() -> anyhow::Result<()> {
    on_every_backend(async |database| {
        let tenant = tenant(&database).await?;
        let campaign = campaign(tenant, &minimal_request("Just a name"), vec![], None);
        database.campaigns().insert(&campaign).await?;
        let found = find_campaign(&database, tenant.workspace, campaign.id()).await?;
        assert_eq!(found, Some(campaign));
        Ok(())
    })
    .await
}

#[tokio::test]
async fn campaign_of_another_workspace_is_not_found() -> anyhow::Result<()> {
    on_every_backend(async |database| {
        let owner = tenant(&database).await?;
        let stranger = tenant(&database).await?;
        let campaign = campaign(owner, &minimal_request("Private"), vec![], None);
        database.campaigns().insert(&campaign).await?;

        assert_eq!(
            database
                .campaigns()
                .find(stranger.workspace, campaign.id())
                .await?,
            None
        );
        assert_eq!(
            database
                .campaigns()
                .find(owner.workspace, new_id::<CampaignId>())
                .await?,
            None
        );
        assert!(
            database
                .campaigns()
                .find(owner.workspace, campaign.id())
                .await?
                .is_some()
        );
        Ok(())
    })
    .await
}

#[tokio::test]
async fn campaign_with_a_repeated_id_is_a_conflict_without_sql() -> anyhow::Result<()> {
    on_every_backend(async |database| {
        let tenant = tenant(&database).await?;
        let campaign = campaign(tenant, &minimal_request("Once"), vec![], None);
        database.campaigns().insert(&campaign).await?;
        let message = conflict_message(database.campaigns().insert(&campaign).await)?;
        assert_no_sql(&message);

        // The refused write left no transaction open: the next one commits and is seen by readers.
        let next = self::campaign(tenant, &full_request(), vec![], None);
        database.campaigns().insert(&next).await?;
        assert_eq!(
            find_campaign(&database, tenant.workspace, next.id()).await?,
            Some(next)
        );
        Ok(())
    })
    .await
}

#[tokio::test]
async fn failed_campaign_write_leaves_no_campaign_subsequence_or_link_behind() -> anyhow::Result<()>
{
    on_every_backend(async |database| {
        let tenant = tenant(&database).await?;
        let real =
            store_mailbox(&database, mailbox(tenant, "real@acme.test", "gmail", &[])).await?;
        // The last link names a mailbox that does not exist: the foreign key refuses it, after the
        // campaign row, its subsequences and the first link were written in the same transaction.
        let broken = campaign(tenant, &full_request(), vec![real, new_id()], None);
        let error = database
            .campaigns()
            .insert(&broken)
            .await
            .expect_err("the link is refused");
        assert!(
            matches!(error, RepositoryError::ReferenceGone(_)),
            "{error:?}"
        );
        assert_no_sql(&format!("{error:#}"));

        assert_eq!(
            database
                .campaigns()
                .find(tenant.workspace, broken.id())
                .await?,
            None
        );
        // The same campaign id and subsequence ids go in cleanly: nothing of the failed write remained.
        let fixed = restored(&broken, |stored| stored.mailboxes = vec![real]);
        database.campaigns().insert(&fixed).await?;
        assert_eq!(
            find_campaign(&database, tenant.workspace, fixed.id()).await?,
            Some(fixed)
        );
        Ok(())
    })
    .await
}

#[tokio::test]
async fn campaign_cannot_link_a_mailbox_of_another_workspace() -> anyhow::Result<()> {
    on_every_backend(async |database| {
        let owner = tenant(&database).await?;
        let stranger = tenant(&database).await?;
        let foreign = store_mailbox(
            &database,
            mailbox(stranger, "theirs@acme.test", "gmail", &[]),
        )
        .await?;
        let campaign = campaign(owner, &minimal_request("Poacher"), vec![foreign], None);

        let refused = database.campaigns().insert(&campaign).await;
        assert!(
            matches!(refused, Err(RepositoryError::ReferenceGone(_))),
            "{refused:?}"
        );
        assert_eq!(
            database
                .campaigns()
                .find(owner.workspace, campaign.id())
                .await?,
            None
        );
        Ok(())
    })
    .await
}

#[tokio::test]
async fn concurrent_inserts_of_which_one_fails_store_every_other_one_and_refuse_only_it()
-> anyhow::Result<()> {
    on_every_backend(async |database| {
        let owner = tenant(&database).await?;
        let stranger = tenant(&database).await?;
        let own = store_mailbox(&database, mailbox(owner, "ours@acme.test", "gmail", &[])).await?;
        let foreign = store_mailbox(
            &database,
            mailbox(stranger, "theirs@acme.test", "gmail", &[]),
        )
        .await?;
        // Many inserts at once (both backends write them several at a time); the 7th links a mailbox
        // its workspace does not have.
        let inserts: Vec<Campaign> = (0..24)
            .map(|index| {
                let mailboxes = if index == 7 {
                    vec![own, foreign]
                } else {
                    vec![own]
                };
                campaign(
                    owner,
                    &minimal_request(&format!("C{index}")),
                    mailboxes,
                    None,
                )
            })
            .collect();
        let barrier = Arc::new(Barrier::new(inserts.len()));
        let mut writes = JoinSet::new();
        for (index, campaign) in inserts.iter().cloned().enumerate() {
            let (campaigns, barrier) = (database.campaigns(), barrier.clone());
            writes.spawn(async move {
                barrier.wait().await;
                (index, campaigns.insert(&campaign).await)
            });
        }
        while let Some(written) = writes.join_next().await {
            let (index, result) = written?;
            if index == 7 {
                assert!(
                    matches!(result, Err(RepositoryError::ReferenceGone(_))),
                    "{result:?}"
                );
            } else {
                result.with_context(|| format!("insert {index}"))?;
            }
        }
        for (index, campaign) in inserts.iter().enumerate() {
            let found = database
                .campaigns()
                .find(owner.workspace, campaign.id())
                .await?;
            if index == 7 {
                assert_eq!(found, None);
            } else {
                assert_eq!(found.map(|found| found.campaign), Some(campaign.clone()));
            }
        }
        let page = database
            .campaigns()
            .list(owner.workspace, &CampaignQuery::default())
            .await?;
        assert_eq!(page.total, 23);
        Ok(())
    })
    .await
}

#[tokio::test]
async fn campaign_status_counters_lead_counts_and_times_read_back_equal() -> anyhow::Result<()> {
    use domain::campaign::{StoredCampaign, SubsequenceCounters};
    use domain::stats::Stats;

    on_every_backend(async |database| {
        let tenant = tenant(&database).await?;
        let fresh = campaign(tenant, &full_request(), vec![], None);
        // Every counter distinct, so a column mix-up cannot go unnoticed.
        let stats = |base: u64| Stats {
            sent: base + 1,
            delivered: base + 2,
            opened: base + 3,
            clicked: base + 4,
            replied: base + 5,
            bounced: base + 6,
            unsubscribed: base + 7,
        };
        let subsequence_counters = fresh
            .subsequence_counters()
            .into_iter()
            .zip([10, 20])
            .map(|(counters, base)| SubsequenceCounters {
                added_count: base + 9,
                stats: stats(base),
                ..counters
            })
            .collect();
        let running = Campaign::restore(StoredCampaign {
            id: fresh.id(),
            workspace_id: fresh.workspace_id(),
            user_id: fresh.user_id(),
            status: CampaignStatus::Paused,
            content: fresh.content(),
            subsequence_counters,
            mailboxes: vec![],
            stats: stats(100),
            // Lead counts belong to the enrolment writes: a stored campaign has those of its
            // enrolments (none here), whatever the domain value written says.
            lead_counts: LeadCounts::default(),
            started_at: Some(at(5_000)),
            completed_at: Some(at(9_000)),
            created_at: at(3),
            updated_at: at(9_001),
        })
        .expect("a valid campaign");

        database.campaigns().insert(&running).await?;
        let found = find_campaign(&database, tenant.workspace, running.id()).await?;
        assert_eq!(found, Some(running));
        Ok(())
    })
    .await
}

#[tokio::test]
async fn campaign_linking_more_mailboxes_than_one_statement_holds_keeps_them_in_order()
-> anyhow::Result<()> {
    on_every_backend(async |database| {
        let tenant = tenant(&database).await?;
        // More than the 1,000 links of one INSERT statement.
        let mut mailboxes = Vec::new();
        for index in 0..1_005 {
            let address = format!("sender{index}@acme.test");
            mailboxes
                .push(store_mailbox(&database, mailbox(tenant, &address, "custom", &[])).await?);
        }
        mailboxes.reverse();
        let campaign = campaign(tenant, &minimal_request("Wide"), mailboxes.clone(), None);
        database.campaigns().insert(&campaign).await?;
        let found = find_campaign(&database, tenant.workspace, campaign.id()).await?;
        assert_eq!(
            found.map(|found| found.mailboxes().to_vec()),
            Some(mailboxes)
        );
        Ok(())
    })
    .await
}

// Versions, updates and deletes.

#[tokio::test]
async fn find_gives_version_0_after_insert_and_one_more_after_each_update() -> anyhow::Result<()> {
    on_every_backend(async |database| {
        let campaigns = database.campaigns();
        let tenant = tenant(&database).await?;
        let original = campaign(tenant, &minimal_request("Versioned"), vec![], None);
        campaigns.insert(&original).await?;
        assert_eq!(
            campaigns.find(tenant.workspace, original.id()).await?,
            Some(VersionedCampaign {
                campaign: original.clone(),
                version: Version(0),
            })
        );

        let renamed = updated(
            &original,
            |content| content.name = s("Renamed"),
            None,
            at(10),
        );
        assert_eq!(
            campaigns.update(&renamed, Version(0)).await?,
            WriteOutcome::Written
        );
        assert_eq!(
            campaigns.find(tenant.workspace, original.id()).await?,
            Some(VersionedCampaign {
                campaign: renamed.clone(),
                version: Version(1),
            })
        );

        let again = updated(&renamed, |content| content.name = s("Again"), None, at(20));
        assert_eq!(
            campaigns.update(&again, Version(1)).await?,
            WriteOutcome::Written
        );
        assert_eq!(
            campaigns.find(tenant.workspace, original.id()).await?,
            Some(VersionedCampaign {
                campaign: again,
                version: Version(2),
            })
        );
        Ok(())
    })
    .await
}

#[tokio::test]
async fn update_at_a_stale_version_writes_nothing_and_is_stale() -> anyhow::Result<()> {
    on_every_backend(async |database| {
        let campaigns = database.campaigns();
        let tenant = tenant(&database).await?;
        let mailbox =
            store_mailbox(&database, mailbox(tenant, "a@acme.test", "gmail", &[])).await?;
        let original = campaign(tenant, &full_request(), vec![mailbox], Some(new_id()));
        campaigns.insert(&original).await?;
        let first = updated(&original, |content| content.name = s("First"), None, at(10));
        assert_eq!(
            campaigns.update(&first, Version(0)).await?,
            WriteOutcome::Written
        );

        // Built from what was read at version 0: another name, no subsequences, no mailboxes.
        let late = updated(
            &original,
            |content| {
                content.name = s("Late");
                content.subsequences = Some(vec![]);
            },
            Some(vec![]),
            at(20),
        );
        for stale in [Version(0), Version(2), Version(-1)] {
            assert_eq!(
                campaigns.update(&late, stale).await?,
                WriteOutcome::Stale,
                "{stale:?}"
            );
        }
        assert_eq!(
            campaigns.find(tenant.workspace, original.id()).await?,
            Some(VersionedCampaign {
                campaign: first,
                version: Version(1),
            })
        );
        Ok(())
    })
    .await
}

#[tokio::test]
async fn update_replaces_subsequences_keeping_the_domains_ids_and_counters_and_links_in_order()
-> anyhow::Result<()> {
    on_every_backend(async |database| {
        let campaigns = database.campaigns();
        let tenant = tenant(&database).await?;
        let mut mailboxes = Vec::new();
        for email in ["a@acme.test", "b@acme.test", "c@acme.test"] {
            mailboxes.push(store_mailbox(&database, mailbox(tenant, email, "gmail", &[])).await?);
        }
        let [a, b, c] = mailboxes[..] else {
            anyhow::bail!("three mailboxes");
        };
        // The first subsequence ("Interested follow-up") has sent, so leaving it out keeps it archived.
        let original = restored(
            &campaign(tenant, &full_request(), vec![a, b, c], Some(new_id())),
            |stored| {
                let interested = &mut stored.subsequence_counters[0];
                interested.added_count = 4;
                interested.stats.sent = 3;
            },
        );
        campaigns.insert(&original).await?;

        let changed = updated(
            &original,
            |content| {
                let listed = content.subsequences.take().unwrap_or_default();
                content.subsequences = Some(
                    listed
                        .into_iter()
                        .skip(1)
                        .chain([subsequence_request("Brand new", "Meeting booked")])
                        .collect(),
                );
            },
            Some(vec![c, a]),
            at(10),
        );
        let [on_reply, interested] = [1, 0].map(|index| original.subsequences()[index].id());
        let ids: Vec<_> = changed
            .subsequences()
            .iter()
            .map(|kept| kept.id())
            .collect();
        assert_eq!(ids.len(), 3);
        assert_eq!((ids[0], ids[2]), (on_reply, interested));
        assert!(
            !original
                .subsequence_counters()
                .iter()
                .any(|old| old.id == ids[1])
        );

        assert_eq!(
            campaigns.update(&changed, Version(0)).await?,
            WriteOutcome::Written
        );
        let found = campaigns
            .find(tenant.workspace, original.id())
            .await?
            .context("the campaign is found")?;
        assert_eq!(found.campaign, changed);
        assert_eq!(found.campaign.mailboxes(), &[c, a]);
        assert_eq!(
            found.campaign.subsequence_counters(),
            changed.subsequence_counters()
        );
        let kept = found.campaign.subsequence_counters()[2];
        assert_eq!(
            (kept.id, kept.added_count, kept.stats.sent),
            (interested, 4, 3)
        );
        assert!(found.campaign.subsequences()[2].archived());
        Ok(())
    })
    .await
}

#[tokio::test]
async fn update_writes_status_and_times_but_never_the_lead_counts() -> anyhow::Result<()> {
    on_every_backend(async |database| {
        let campaigns = database.campaigns();
        let tenant = tenant(&database).await?;
        let mailbox =
            store_mailbox(&database, mailbox(tenant, "a@acme.test", "gmail", &[])).await?;
        let original = campaign(tenant, &full_request(), vec![mailbox], Some(new_id()));
        campaigns.insert(&original).await?;

        let started = original
            .clone()
            .act(LifecycleAction::Start, at(50))
            .map_err(|error| anyhow::anyhow!("{error}"))?;
        // Lead counters are kept by the enrolment writes; a campaign write leaves them as stored.
        let counted = restored(&started, |stored| {
            stored.lead_counts = LeadCounts::from_counts([(EnrolmentStatus::Active, 4)]);
        });
        assert_eq!(
            campaigns.update(&counted, Version(0)).await?,
            WriteOutcome::Written
        );
        let found = find_campaign(&database, tenant.workspace, original.id())
            .await?
            .context("the campaign is found")?;
        assert_eq!(found, started);
        assert_eq!(found.status(), CampaignStatus::Active);
        assert_eq!(found.started_at(), Some(at(50)));
        assert_eq!(found.lead_counts(), LeadCounts::default());
        Ok(())
    })
    .await
}

#[tokio::test]
async fn update_naming_a_mailbox_that_no_longer_exists_fails_without_sql_and_writes_nothing()
-> anyhow::Result<()> {
    on_every_backend(async |database| {
        let campaigns = database.campaigns();
        let tenant = tenant(&database).await?;
        let mailbox =
            store_mailbox(&database, mailbox(tenant, "a@acme.test", "gmail", &[])).await?;
        let original = campaign(tenant, &full_request(), vec![mailbox], Some(new_id()));
        campaigns.insert(&original).await?;

        // As if the second mailbox had been deleted between the lookup and the write.
        let gone = updated(
            &original,
            |content| content.name = s("Gone"),
            Some(vec![mailbox, new_id()]),
            at(10),
        );
        let error = campaigns
            .update(&gone, Version(0))
            .await
            .expect_err("the link is refused");
        assert!(
            matches!(error, RepositoryError::ReferenceGone(_)),
            "{error:?}"
        );
        assert_no_sql(&format!("{error:#}"));
        assert_eq!(
            campaigns.find(tenant.workspace, original.id()).await?,
            Some(VersionedCampaign {
                campaign: original.clone(),
                version: Version(0),
            })
        );

        // The failed transaction was ended: the next write goes through.
        let renamed = updated(&original, |content| content.name = s("Fine"), None, at(20));
        assert_eq!(
            campaigns.update(&renamed, Version(0)).await?,
            WriteOutcome::Written
        );
        assert_eq!(
            find_campaign(&database, tenant.workspace, original.id()).await?,
            Some(renamed)
        );
        Ok(())
    })
    .await
}

#[tokio::test]
async fn delete_at_a_stale_version_is_stale_and_deletes_nothing() -> anyhow::Result<()> {
    on_every_backend(async |database| {
        let campaigns = database.campaigns();
        let tenant = tenant(&database).await?;
        let mailbox =
            store_mailbox(&database, mailbox(tenant, "a@acme.test", "gmail", &[])).await?;
        let original = campaign(tenant, &full_request(), vec![mailbox], Some(new_id()));
        campaigns.insert(&original).await?;
        let renamed = updated(
            &original,
            |content| content.name = s("Renamed"),
            None,
            at(10),
        );
        campaigns.update(&renamed, Version(0)).await?;

        for stale in [Version(0), Version(2)] {
            assert_eq!(
                campaigns
                    .delete(tenant.workspace, original.id(), stale)
                    .await?,
                WriteOutcome::Stale,
                "{stale:?}"
            );
        }
        assert_eq!(
            campaigns.find(tenant.workspace, original.id()).await?,
            Some(VersionedCampaign {
                campaign: renamed,
                version: Version(1),
            })
        );
        Ok(())
    })
    .await
}

#[tokio::test]
async fn delete_removes_the_campaign_with_its_subsequences_and_mailbox_links() -> anyhow::Result<()>
{
    on_every_backend(async |database| {
        let campaigns = database.campaigns();
        let tenant = tenant(&database).await?;
        let mut mailboxes = Vec::new();
        for email in ["a@acme.test", "b@acme.test"] {
            mailboxes.push(store_mailbox(&database, mailbox(tenant, email, "gmail", &[])).await?);
        }
        let original = campaign(tenant, &full_request(), mailboxes.clone(), Some(new_id()));
        campaigns.insert(&original).await?;

        assert_eq!(
            campaigns
                .delete(tenant.workspace, original.id(), Version(0))
                .await?,
            WriteOutcome::Written
        );
        assert_eq!(campaigns.find(tenant.workspace, original.id()).await?, None);
        assert_eq!(
            campaigns
                .list(tenant.workspace, &CampaignQuery::default())
                .await?
                .total,
            0
        );
        assert_eq!(
            campaigns
                .delete(tenant.workspace, original.id(), Version(0))
                .await?,
            WriteOutcome::Stale
        );
        assert_eq!(
            campaigns.update(&original, Version(0)).await?,
            WriteOutcome::Stale
        );
        assert_eq!(campaigns.find(tenant.workspace, original.id()).await?, None);

        // The same campaign id, subsequence ids and link positions go in again: none of its
        // subsequence or link rows remained (their keys would clash), and it reads back whole.
        campaigns.insert(&original).await?;
        assert_eq!(
            campaigns.find(tenant.workspace, original.id()).await?,
            Some(VersionedCampaign {
                campaign: original,
                version: Version(0),
            })
        );
        Ok(())
    })
    .await
}

#[tokio::test]
async fn another_workspaces_campaigns_never_appear_in_list_find_update_or_delete()
-> anyhow::Result<()> {
    on_every_backend(async |database| {
        let campaigns = database.campaigns();
        let owner = tenant(&database).await?;
        let stranger = tenant(&database).await?;
        let owners = campaign(owner, &minimal_request("Shared name"), vec![], None);
        let strangers = campaign(stranger, &minimal_request("Shared name"), vec![], None);
        campaigns.insert(&owners).await?;
        campaigns.insert(&strangers).await?;

        for query in [
            CampaignQuery::default(),
            CampaignQuery {
                name: search("shared"),
                status: Some(CampaignStatus::Draft),
                ..CampaignQuery::default()
            },
        ] {
            let page = campaigns.list(stranger.workspace, &query).await?;
            assert_eq!(page.campaigns, vec![strangers.clone()]);
            assert_eq!((page.total, page.has_more), (1, false));
        }
        let empty = tenant(&database).await?;
        let page = campaigns
            .list(empty.workspace, &CampaignQuery::default())
            .await?;
        assert_eq!(
            (page.campaigns.len(), page.total, page.has_more),
            (0, 0, false)
        );

        assert_eq!(campaigns.find(stranger.workspace, owners.id()).await?, None);
        // The owner's campaign id, written as if it were the stranger's.
        let hijacked = restored(&owners, |stored| {
            stored.workspace_id = stranger.workspace;
            stored.content.name = s("Hijacked");
        });
        assert_eq!(
            campaigns.update(&hijacked, Version(0)).await?,
            WriteOutcome::Stale
        );
        assert_eq!(
            campaigns
                .delete(stranger.workspace, owners.id(), Version(0))
                .await?,
            WriteOutcome::Stale
        );
        assert_eq!(
            campaigns.find(owner.workspace, owners.id()).await?,
            Some(VersionedCampaign {
                campaign: owners,
                version: Version(0),
            })
        );
        Ok(())
    })
    .await
}

// Versions: what a reader compares with the views it keeps.

#[tokio::test]
async fn version_and_find_many_read_what_find_reads_and_nothing_of_another_workspace()
-> anyhow::Result<()> {
    on_every_backend(async |database| {
        let campaigns = database.campaigns();
        let owner = tenant(&database).await?;
        let stranger = tenant(&database).await?;
        let stored = store_named(&database, owner, &["A", "B", "C"]).await?;
        let strangers = store_named(&database, stranger, &["Theirs"]).await?;

        assert_eq!(
            campaigns.version(owner.workspace, stored[0].id()).await?,
            Some(Version(0))
        );
        let renamed = restored(&stored[0], |stored| stored.content.name = s("A renamed"));
        assert_eq!(
            campaigns.update(&renamed, Version(0)).await?,
            WriteOutcome::Written
        );
        assert_eq!(
            campaigns.version(owner.workspace, stored[0].id()).await?,
            Some(Version(1))
        );
        assert_eq!(
            campaigns
                .version(stranger.workspace, stored[0].id())
                .await?,
            None
        );
        assert_eq!(
            campaigns
                .version(owner.workspace, new_id::<CampaignId>())
                .await?,
            None
        );

        let mut many = campaigns
            .find_many(
                owner.workspace,
                &[
                    stored[2].id(),
                    strangers[0].id(),
                    stored[0].id(),
                    new_id::<CampaignId>(),
                ],
            )
            .await?;
        many.sort_by_key(|found| found.campaign.id());
        let mut expected = Vec::new();
        for id in [stored[0].id(), stored[2].id()] {
            expected.extend(campaigns.find(owner.workspace, id).await?);
        }
        expected.sort_by_key(|found| found.campaign.id());
        assert_eq!(many, expected);
        assert!(campaigns.find_many(owner.workspace, &[]).await?.is_empty());
        Ok(())
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_version_lookups_each_get_their_own_answer_and_nothing_of_another_workspace()
-> anyhow::Result<()> {
    // Concurrent lookups share statements (version_lookups.rs): owners, strangers
    // and unknown ids asked at once must still each get exactly their own answer.
    on_every_backend(async |database| {
        let owner = tenant(&database).await?;
        let stranger = tenant(&database).await?;
        let names: Vec<String> = (0..8).map(|index| format!("C{index}")).collect();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        let stored = store_named(&database, owner, &names).await?;
        let renamed = restored(&stored[1], |stored| stored.content.name = s("C1 renamed"));
        assert_eq!(
            database.campaigns().update(&renamed, Version(0)).await?,
            WriteOutcome::Written
        );

        let mut lookups = JoinSet::new();
        for round in 0..24 {
            for (index, campaign) in stored.iter().enumerate() {
                let expected = Some(Version(if index == 1 { 1 } else { 0 }));
                let (workspace, id, expected) = match round % 3 {
                    0 => (owner.workspace, campaign.id(), expected),
                    1 => (stranger.workspace, campaign.id(), None),
                    _ => (owner.workspace, new_id::<CampaignId>(), None),
                };
                let campaigns = database.campaigns();
                lookups.spawn(async move {
                    anyhow::Ok((campaigns.version(workspace, id).await?, expected))
                });
            }
        }
        let mut answered = 0;
        while let Some(lookup) = lookups.join_next().await {
            let (version, expected) = lookup??;
            assert_eq!(version, expected);
            answered += 1;
        }
        assert_eq!(answered, 24 * stored.len());
        Ok(())
    })
    .await
}

#[tokio::test]
async fn list_versions_gives_lists_page_total_and_more_as_ids_and_versions() -> anyhow::Result<()> {
    on_every_backend(async |database| {
        let campaigns = database.campaigns();
        let tenant = tenant_with_campaigns(&database).await?;
        let stored = store_named(
            &database,
            tenant,
            &["Alpha 0", "Beta 1", "Alpha 2", "Beta 3"],
        )
        .await?;
        let bumped = restored(&stored[1], |stored| stored.content.name = s("Beta one"));
        campaigns.update(&bumped, Version(0)).await?;
        for query in [
            CampaignQuery::default(),
            first_page(limit(2)),
            CampaignQuery {
                before: Some(stored[2].id()),
                limit: limit(1),
                ..CampaignQuery::default()
            },
            CampaignQuery {
                name: search("beta"),
                limit: limit(1),
                ..CampaignQuery::default()
            },
            CampaignQuery {
                status: Some(CampaignStatus::Active),
                ..CampaignQuery::default()
            },
            CampaignQuery {
                before: Some(stored[0].id()),
                ..CampaignQuery::default()
            },
        ] {
            let page = campaigns.list(tenant.workspace, &query).await?;
            let versions = campaigns.list_versions(tenant.workspace, &query).await?;
            let mut expected = Vec::new();
            for campaign in &page.campaigns {
                let version = campaigns
                    .version(tenant.workspace, campaign.id())
                    .await?
                    .context("listed, so stored")?;
                expected.push((campaign.id(), version));
            }
            assert_eq!(versions.entries, expected, "{query:?}");
            assert_eq!(
                (versions.total, versions.has_more),
                (page.total, page.has_more),
                "{query:?}"
            );
        }
        Ok(())
    })
    .await
}

// Lists.

#[tokio::test]
async fn list_gives_the_newest_first_at_most_limit_and_whether_more_match() -> anyhow::Result<()> {
    on_every_backend(async |database| {
        let tenant = tenant(&database).await?;
        store_named(&database, tenant, &["C0", "C1", "C2", "C3", "C4"]).await?;
        let campaigns = database.campaigns();

        let two = campaigns
            .list(tenant.workspace, &first_page(limit(2)))
            .await?;
        assert_eq!(names(&two), ["C4", "C3"]);
        assert_eq!((two.total, two.has_more), (5, true));

        for exact_or_more in [5, 6, 100] {
            let all = campaigns
                .list(tenant.workspace, &first_page(limit(exact_or_more)))
                .await?;
            assert_eq!(names(&all), ["C4", "C3", "C2", "C1", "C0"]);
            assert_eq!((all.total, all.has_more), (5, false), "{exact_or_more}");
        }
        let default = campaigns
            .list(tenant.workspace, &CampaignQuery::default())
            .await?;
        assert_eq!(names(&default).len(), 5);
        Ok(())
    })
    .await
}

#[tokio::test]
async fn list_total_counts_every_match_whatever_the_cursor() -> anyhow::Result<()> {
    on_every_backend(async |database| {
        let tenant = tenant(&database).await?;
        let stored = store_named(&database, tenant, &["C0", "C1", "C2", "C3", "C4"]).await?;
        let campaigns = database.campaigns();
        let page_after = |index: usize| CampaignQuery {
            before: Some(stored[index].id()),
            limit: limit(2),
            ..CampaignQuery::default()
        };

        let second = campaigns.list(tenant.workspace, &page_after(3)).await?;
        assert_eq!(names(&second), ["C2", "C1"]);
        assert_eq!((second.total, second.has_more), (5, true));
        let last = campaigns.list(tenant.workspace, &page_after(1)).await?;
        assert_eq!(names(&last), ["C0"]);
        assert_eq!((last.total, last.has_more), (5, false));
        let beyond = campaigns.list(tenant.workspace, &page_after(0)).await?;
        assert!(beyond.campaigns.is_empty());
        assert_eq!((beyond.total, beyond.has_more), (5, false));
        Ok(())
    })
    .await
}

#[tokio::test]
async fn list_search_pages_and_total_count_every_match_whatever_the_cursor() -> anyhow::Result<()> {
    on_every_backend(async |database| {
        let tenant = tenant(&database).await?;
        let stored = store_named(
            &database,
            tenant,
            &[
                "Match 0",
                "Other",
                "Match 1",
                "Match 2",
                "Other too",
                "Match 3",
            ],
        )
        .await?;
        let campaigns = database.campaigns();
        let page_before = |before: Option<usize>| CampaignQuery {
            before: before.map(|index| stored[index].id()),
            name: search("match"),
            limit: limit(2),
            ..CampaignQuery::default()
        };

        let first = campaigns.list(tenant.workspace, &page_before(None)).await?;
        assert_eq!(names(&first), ["Match 3", "Match 2"]);
        assert_eq!((first.total, first.has_more), (4, true));
        let second = campaigns
            .list(tenant.workspace, &page_before(Some(3)))
            .await?;
        assert_eq!(names(&second), ["Match 1", "Match 0"]);
        assert_eq!((second.total, second.has_more), (4, false));
        let beyond = campaigns
            .list(tenant.workspace, &page_before(Some(0)))
            .await?;
        assert!(beyond.campaigns.is_empty());
        assert_eq!((beyond.total, beyond.has_more), (4, false));
        let none = CampaignQuery {
            name: search("nothing like it"),
            ..CampaignQuery::default()
        };
        let none = campaigns.list(tenant.workspace, &none).await?;
        assert!(none.campaigns.is_empty());
        assert_eq!((none.total, none.has_more), (0, false));
        Ok(())
    })
    .await
}

#[tokio::test]
async fn list_pages_walk_every_match_exactly_once_while_campaigns_are_created() -> anyhow::Result<()>
{
    on_every_backend(async |database| {
        let tenant = tenant(&database).await?;
        let names: Vec<String> = (0..11).map(|index| format!("Walk {index}")).collect();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        let stored = store_named(&database, tenant, &names).await?;
        let campaigns = database.campaigns();

        let mut seen = Vec::new();
        let mut query = first_page(limit(3));
        for page_number in 0.. {
            anyhow::ensure!(page_number < 10, "the walk does not end");
            let page = campaigns.list(tenant.workspace, &query).await?;
            assert_eq!(
                page.total,
                11 + page_number,
                "every match, new ones included"
            );
            seen.extend(page.campaigns.iter().map(Campaign::id));
            if !page.has_more {
                break;
            }
            query.before = page.campaigns.last().map(Campaign::id);
            // Newer than every page still to come: it must not shift them.
            campaigns
                .insert(&campaign(
                    tenant,
                    &minimal_request("Walk late"),
                    vec![],
                    None,
                ))
                .await?;
        }
        let newest_first: Vec<_> = stored.iter().rev().map(Campaign::id).collect();
        assert_eq!(seen, newest_first);
        Ok(())
    })
    .await
}

#[tokio::test]
async fn list_filters_by_status() -> anyhow::Result<()> {
    on_every_backend(async |database| {
        let campaigns = database.campaigns();
        let tenant = tenant(&database).await?;
        let draft = campaign(tenant, &minimal_request("Draft"), vec![], None);
        let archived = campaign(tenant, &minimal_request("Archived"), vec![], None)
            .act(LifecycleAction::Archive, at(5))
            .map_err(|error| anyhow::anyhow!("{error}"))?;
        let paused = restored(
            &campaign(tenant, &minimal_request("Paused"), vec![], None),
            |stored| {
                stored.status = CampaignStatus::Paused;
                stored.started_at = Some(at(3));
            },
        );
        let other_draft = campaign(tenant, &minimal_request("Other draft"), vec![], None);
        for campaign in [&draft, &archived, &paused, &other_draft] {
            campaigns.insert(campaign).await?;
        }

        for (status, expected) in [
            (
                CampaignStatus::Draft,
                vec![other_draft.clone(), draft.clone()],
            ),
            (CampaignStatus::Archived, vec![archived.clone()]),
            (CampaignStatus::Paused, vec![paused.clone()]),
            (CampaignStatus::Active, vec![]),
        ] {
            let page = campaigns
                .list(
                    tenant.workspace,
                    &CampaignQuery {
                        status: Some(status),
                        ..CampaignQuery::default()
                    },
                )
                .await?;
            assert_eq!(page.total, expected.len() as u64, "{status:?}");
            assert_eq!(page.campaigns, expected, "{status:?}");
        }
        // With a cursor, the count comes from its own query: still by status.
        let page = campaigns
            .list(
                tenant.workspace,
                &CampaignQuery {
                    status: Some(CampaignStatus::Draft),
                    before: Some(other_draft.id()),
                    ..CampaignQuery::default()
                },
            )
            .await?;
        assert_eq!((names(&page), page.total), (vec!["Draft"], 2));
        Ok(())
    })
    .await
}

#[tokio::test]
async fn list_search_ignores_case_beyond_ascii_too() -> anyhow::Result<()> {
    on_every_backend(async |database| {
        let tenant = tenant(&database).await?;
        store_named(
            &database,
            tenant,
            &[
                "Été launch",
                "SUMMER ÉTÉ sale",
                "Winter",
                "été",
                "Ete without accents",
            ],
        )
        .await?;
        let campaigns = database.campaigns();
        let searching = |text: &str| CampaignQuery {
            name: search(text),
            ..CampaignQuery::default()
        };

        for text in ["ÉTÉ", "été", "Été"] {
            let page = campaigns.list(tenant.workspace, &searching(text)).await?;
            assert_eq!(
                names(&page),
                ["été", "SUMMER ÉTÉ sale", "Été launch"],
                "{text}"
            );
            assert_eq!(page.total, 3, "{text}");
        }
        let page = campaigns
            .list(tenant.workspace, &searching("Summer é"))
            .await?;
        assert_eq!(names(&page), ["SUMMER ÉTÉ sale"]);
        let page = campaigns
            .list(tenant.workspace, &searching("LAUNCH"))
            .await?;
        assert_eq!(names(&page), ["Été launch"]);

        // The search is counted like the page, also past a cursor.
        let page = campaigns
            .list(
                tenant.workspace,
                &CampaignQuery {
                    limit: limit(1),
                    ..searching("été")
                },
            )
            .await?;
        assert_eq!(
            (names(&page), page.total, page.has_more),
            (vec!["été"], 3, true)
        );
        let next = campaigns
            .list(
                tenant.workspace,
                &CampaignQuery {
                    before: page.campaigns.last().map(Campaign::id),
                    limit: limit(1),
                    ..searching("été")
                },
            )
            .await?;
        assert_eq!(
            (names(&next), next.total, next.has_more),
            (vec!["SUMMER ÉTÉ sale"], 3, true)
        );
        Ok(())
    })
    .await
}

#[tokio::test]
async fn list_search_takes_percent_underscore_and_backslash_literally() -> anyhow::Result<()> {
    on_every_backend(async |database| {
        let tenant = tenant(&database).await?;
        store_named(
            &database,
            tenant,
            &[
                "100% off",
                "1000 off",
                "snake_case",
                "snakeXcase",
                r"back\slash",
                "backslash",
                r"back\\double",
            ],
        )
        .await?;
        let campaigns = database.campaigns();
        for (text, expected) in [
            ("%", vec!["100% off"]),
            ("0%", vec!["100% off"]),
            ("e_c", vec!["snake_case"]),
            ("_", vec!["snake_case"]),
            (r"\", vec![r"back\\double", r"back\slash"]),
            (r"k\s", vec![r"back\slash"]),
            (r"\\", vec![r"back\\double"]),
            (r"\%", vec![]),
        ] {
            let page = campaigns
                .list(
                    tenant.workspace,
                    &CampaignQuery {
                        name: search(text),
                        ..CampaignQuery::default()
                    },
                )
                .await?;
            assert_eq!(names(&page), expected, "{text}");
            assert_eq!(page.total, expected.len() as u64, "{text}");
        }
        Ok(())
    })
    .await
}

#[tokio::test]
async fn list_gives_each_campaign_whole_as_find_does() -> anyhow::Result<()> {
    on_every_backend(async |database| {
        let campaigns = database.campaigns();
        let tenant = tenant(&database).await?;
        let mut mailboxes = Vec::new();
        for email in ["a@acme.test", "b@acme.test", "c@acme.test"] {
            mailboxes.push(store_mailbox(&database, mailbox(tenant, email, "gmail", &[])).await?);
        }
        let [a, b, c] = mailboxes[..] else {
            anyhow::bail!("three mailboxes");
        };
        let stored = [
            campaign(tenant, &full_request(), vec![a, b], Some(new_id())),
            campaign(tenant, &minimal_request("Bare"), vec![], None),
            restored(
                &campaign(tenant, &full_request(), vec![c, a], Some(new_id())),
                |stored| {
                    stored.subsequence_counters[1].added_count = 7;
                },
            ),
            campaign(tenant, &minimal_request("Only links"), vec![b], None),
        ];
        for campaign in &stored {
            campaigns.insert(campaign).await?;
        }

        let page = campaigns
            .list(tenant.workspace, &CampaignQuery::default())
            .await?;
        let newest_first: Vec<_> = stored.iter().rev().cloned().collect();
        assert_eq!(page.campaigns, newest_first);
        for listed in &page.campaigns {
            assert_eq!(
                find_campaign(&database, tenant.workspace, listed.id())
                    .await?
                    .as_ref(),
                Some(listed)
            );
        }
        Ok(())
    })
    .await
}

// `total` kept from per-status counts: exact after every write.

#[tokio::test]
async fn list_total_stays_exact_across_inserts() -> anyhow::Result<()> {
    on_every_backend(async |database| {
        let campaigns = database.campaigns();
        let tenant = tenant(&database).await?;
        let other = tenant_with_campaigns(&database).await?;
        assert_totals(&database, tenant, &[]).await?;

        let archived = campaign(tenant, &minimal_request("Archived"), vec![], None)
            .act(LifecycleAction::Archive, at(5))
            .map_err(|error| anyhow::anyhow!("{error}"))?;
        campaigns.insert(&archived).await?;
        assert_totals(&database, tenant, &[(CampaignStatus::Archived, 1)]).await?;
        let paused = restored(
            &campaign(tenant, &minimal_request("Paused"), vec![], None),
            |stored| {
                stored.status = CampaignStatus::Paused;
                stored.started_at = Some(at(3));
            },
        );
        campaigns.insert(&paused).await?;
        for drafts in 1..=3 {
            campaigns
                .insert(&campaign(tenant, &minimal_request("Draft"), vec![], None))
                .await?;
            assert_totals(
                &database,
                tenant,
                &[
                    (CampaignStatus::Draft, drafts),
                    (CampaignStatus::Paused, 1),
                    (CampaignStatus::Archived, 1),
                ],
            )
            .await?;
        }
        // A failed insert (a repeated id) counts nothing.
        campaigns
            .insert(&archived)
            .await
            .expect_err("a repeated id is refused");
        assert_totals(
            &database,
            tenant,
            &[
                (CampaignStatus::Draft, 3),
                (CampaignStatus::Paused, 1),
                (CampaignStatus::Archived, 1),
            ],
        )
        .await?;
        // Another workspace's campaigns count in theirs only.
        assert_totals(&database, other, &[(CampaignStatus::Draft, 2)]).await?;
        Ok(())
    })
    .await
}

#[tokio::test]
async fn list_total_follows_each_status_change_made_by_update() -> anyhow::Result<()> {
    on_every_backend(async |database| {
        let campaigns = database.campaigns();
        let tenant = tenant(&database).await?;
        let mailbox =
            store_mailbox(&database, mailbox(tenant, "a@acme.test", "gmail", &[])).await?;
        let mut current = campaign(tenant, &full_request(), vec![mailbox], None);
        campaigns.insert(&current).await?;
        campaigns
            .insert(&campaign(tenant, &minimal_request("Idle"), vec![], None))
            .await?;
        assert_totals(&database, tenant, &[(CampaignStatus::Draft, 2)]).await?;

        for (version, (action, status)) in [
            (LifecycleAction::Start, CampaignStatus::Active),
            (LifecycleAction::Pause, CampaignStatus::Paused),
            (LifecycleAction::Resume, CampaignStatus::Active),
            (LifecycleAction::Archive, CampaignStatus::Archived),
        ]
        .into_iter()
        .enumerate()
        {
            current = current
                .act(action, at(10 + version as i64))
                .map_err(|error| anyhow::anyhow!("{error}"))?;
            assert_eq!(
                campaigns.update(&current, Version(version as i64)).await?,
                WriteOutcome::Written
            );
            assert_totals(
                &database,
                tenant,
                &[(CampaignStatus::Draft, 1), (status, 1)],
            )
            .await
            .with_context(|| format!("after {action:?}"))?;
        }
        // An update that keeps the status moves nothing.
        let renamed = restored(&current, |stored| {
            stored.content.name = Some("Renamed".into());
        });
        assert_eq!(
            campaigns.update(&renamed, Version(4)).await?,
            WriteOutcome::Written
        );
        assert_totals(
            &database,
            tenant,
            &[(CampaignStatus::Draft, 1), (CampaignStatus::Archived, 1)],
        )
        .await
    })
    .await
}

#[tokio::test]
async fn list_total_is_unchanged_by_a_stale_update() -> anyhow::Result<()> {
    on_every_backend(async |database| {
        let campaigns = database.campaigns();
        let tenant = tenant(&database).await?;
        let original = campaign(tenant, &minimal_request("Draft"), vec![], None);
        campaigns.insert(&original).await?;
        let renamed = updated(
            &original,
            |content| content.name = s("Renamed"),
            None,
            at(10),
        );
        assert_eq!(
            campaigns.update(&renamed, Version(0)).await?,
            WriteOutcome::Written
        );

        // Built from what was read at version 0.
        let archived = original
            .act(LifecycleAction::Archive, at(20))
            .map_err(|error| anyhow::anyhow!("{error}"))?;
        for stale in [Version(0), Version(2)] {
            assert_eq!(
                campaigns.update(&archived, stale).await?,
                WriteOutcome::Stale,
                "{stale:?}"
            );
            assert_totals(&database, tenant, &[(CampaignStatus::Draft, 1)]).await?;
        }
        Ok(())
    })
    .await
}

#[tokio::test]
async fn list_total_loses_a_deleted_campaign() -> anyhow::Result<()> {
    on_every_backend(async |database| {
        let campaigns = database.campaigns();
        let tenant = tenant(&database).await?;
        let drafts = store_named(&database, tenant, &["D0", "D1"]).await?;
        let archived = campaign(tenant, &minimal_request("Archived"), vec![], None)
            .act(LifecycleAction::Archive, at(5))
            .map_err(|error| anyhow::anyhow!("{error}"))?;
        campaigns.insert(&archived).await?;

        assert_eq!(
            campaigns
                .delete(tenant.workspace, drafts[0].id(), Version(0))
                .await?,
            WriteOutcome::Written
        );
        assert_totals(
            &database,
            tenant,
            &[(CampaignStatus::Draft, 1), (CampaignStatus::Archived, 1)],
        )
        .await?;
        assert_eq!(
            campaigns
                .delete(tenant.workspace, archived.id(), Version(0))
                .await?,
            WriteOutcome::Written
        );
        assert_totals(&database, tenant, &[(CampaignStatus::Draft, 1)]).await?;
        assert_eq!(
            campaigns
                .delete(tenant.workspace, drafts[1].id(), Version(0))
                .await?,
            WriteOutcome::Written
        );
        assert_totals(&database, tenant, &[]).await
    })
    .await
}

#[tokio::test]
async fn list_total_is_unchanged_by_a_stale_delete() -> anyhow::Result<()> {
    on_every_backend(async |database| {
        let campaigns = database.campaigns();
        let tenant = tenant(&database).await?;
        let other = tenant_with_campaigns(&database).await?;
        let original = campaign(tenant, &minimal_request("Draft"), vec![], None);
        campaigns.insert(&original).await?;
        let renamed = updated(
            &original,
            |content| content.name = s("Renamed"),
            None,
            at(10),
        );
        campaigns.update(&renamed, Version(0)).await?;

        for stale in [Version(0), Version(2)] {
            assert_eq!(
                campaigns
                    .delete(tenant.workspace, original.id(), stale)
                    .await?,
                WriteOutcome::Stale,
                "{stale:?}"
            );
            assert_totals(&database, tenant, &[(CampaignStatus::Draft, 1)]).await?;
        }
        // Through another workspace: stale too, and neither workspace's count moves.
        assert_eq!(
            campaigns
                .delete(other.workspace, original.id(), Version(1))
                .await?,
            WriteOutcome::Stale
        );
        assert_totals(&database, tenant, &[(CampaignStatus::Draft, 1)]).await?;
        assert_totals(&database, other, &[(CampaignStatus::Draft, 2)]).await
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn list_total_stays_exact_under_concurrent_status_changes_retried_when_stale()
-> anyhow::Result<()> {
    const TASKS: usize = 8;
    const WRITES_PER_TASK: usize = 3;
    on_every_backend(async |database| {
        let tenant = tenant(&database).await?;
        let mailbox =
            store_mailbox(&database, mailbox(tenant, "a@acme.test", "gmail", &[])).await?;
        // Two campaigns, so that opposite status changes (start and pause) meet on the count rows.
        let busy = [
            campaign(tenant, &full_request(), vec![mailbox], None),
            campaign(tenant, &full_request(), vec![mailbox], None),
        ];
        for campaign in &busy {
            database.campaigns().insert(campaign).await?;
        }
        database
            .campaigns()
            .insert(&campaign(tenant, &minimal_request("Idle"), vec![], None))
            .await?;

        let first_reads_done = Arc::new(Barrier::new(TASKS));
        let mut tasks = JoinSet::new();
        for task in 0..TASKS {
            let campaigns = database.campaigns();
            let first_reads_done = Arc::clone(&first_reads_done);
            let (workspace, id) = (tenant.workspace, busy[task % busy.len()].id());
            tasks.spawn(async move {
                let mut stale = 0;
                for write in 0..WRITES_PER_TASK {
                    loop {
                        let read = campaigns
                            .find(workspace, id)
                            .await?
                            .context("the campaign is found")?;
                        if write == 0 && stale == 0 {
                            first_reads_done.wait().await;
                        }
                        let action = if read.campaign.status() == CampaignStatus::Active {
                            LifecycleAction::Pause
                        } else {
                            LifecycleAction::Start
                        };
                        let change = read
                            .campaign
                            .act(action, at(100))
                            .map_err(|error| anyhow::anyhow!("{error}"))?;
                        match campaigns.update(&change, read.version).await? {
                            WriteOutcome::Written => break,
                            WriteOutcome::Stale => stale += 1,
                        }
                        anyhow::ensure!(stale < 500, "task {task} never got its writes in");
                    }
                }
                anyhow::Ok(stale)
            });
        }
        let mut stale = 0;
        while let Some(task) = tasks.join_next().await {
            stale += task??;
        }
        assert!(stale >= 1, "no write was stale: the test did not race");

        // Each campaign went through 12 changes, starting with a start: it ends paused.
        for campaign in &busy {
            let found = database
                .campaigns()
                .find(tenant.workspace, campaign.id())
                .await?
                .context("the campaign is found")?;
            let changes = (TASKS / busy.len() * WRITES_PER_TASK) as i64;
            assert_eq!(found.version, Version(changes));
            assert_eq!(found.campaign.status(), CampaignStatus::Paused);
        }
        assert_totals(
            &database,
            tenant,
            &[(CampaignStatus::Draft, 1), (CampaignStatus::Paused, 2)],
        )
        .await
    })
    .await
}

/// Checks `list`'s `total` for every status filter and for none against the campaigns `list` gives
/// when walking every page, and those against `expected` (statuses left out: none).
async fn assert_totals(
    database: &Database,
    tenant: Tenant,
    expected: &[(CampaignStatus, u64)],
) -> anyhow::Result<()> {
    let filters = std::iter::once(None).chain(CampaignStatus::ALL.iter().copied().map(Some));
    for status in filters {
        let expected: u64 = expected
            .iter()
            .filter(|(each, _)| status.is_none_or(|status| status == *each))
            .map(|(_, count)| count)
            .sum();
        // From the first page (the count is skipped when that page holds every match), and from a
        // cursor newer than every campaign (the count is always read).
        for before in [None, Some(new_id::<CampaignId>())] {
            let mut query = CampaignQuery {
                status,
                before,
                limit: limit(2),
                ..CampaignQuery::default()
            };
            let mut walked = 0;
            for page_number in 0.. {
                anyhow::ensure!(page_number < 100, "the walk does not end");
                let page = database.campaigns().list(tenant.workspace, &query).await?;
                walked += page.campaigns.len() as u64;
                assert_eq!(
                    page.total, expected,
                    "total of {status:?} on page {page_number} from {before:?}"
                );
                if !page.has_more {
                    break;
                }
                query.before = page.campaigns.last().map(Campaign::id);
            }
            assert_eq!(walked, expected, "campaigns listed of {status:?}");
        }
    }
    Ok(())
}

/// Another tenant, with two draft campaigns of its own.
async fn tenant_with_campaigns(database: &Database) -> anyhow::Result<Tenant> {
    let tenant = tenant(database).await?;
    store_named(database, tenant, &["Elsewhere 0", "Elsewhere 1"]).await?;
    Ok(tenant)
}

/// Minimal campaigns named `names`, stored in that order (so the last is the newest).
async fn store_named(
    database: &Database,
    tenant: Tenant,
    names: &[&str],
) -> anyhow::Result<Vec<Campaign>> {
    let mut stored = Vec::new();
    for name in names {
        let campaign = campaign(tenant, &minimal_request(name), vec![], None);
        database.campaigns().insert(&campaign).await?;
        stored.push(campaign);
    }
    Ok(stored)
}

fn names(page: &CampaignPage) -> Vec<&str> {
    page.campaigns
        .iter()
        .map(|campaign| campaign.name().as_str())
        .collect()
}

fn limit(limit: i64) -> PageLimit {
    PageLimit::parse(Some(limit)).expect("a limit in range")
}

fn first_page(limit: PageLimit) -> CampaignQuery {
    CampaignQuery {
        limit,
        ..CampaignQuery::default()
    }
}

fn search(text: &str) -> Option<NameSearch> {
    Some(
        NameSearch::parse(Some(text))
            .expect("a valid search")
            .expect("not blank"),
    )
}

/// An enabled subsequence with one email, triggered by the AI tag `tag`.
fn subsequence_request(name: &str, tag: &str) -> SubsequenceRequest {
    SubsequenceRequest {
        name: s(name),
        trigger: Some(TriggerRequest {
            kind: s("ai_tag"),
            value: s(tag),
        }),
        sequence: Some(vec![StepRequest {
            kind: s("email"),
            body: s("Let's talk"),
            ..StepRequest::default()
        }]),
        enabled: Some(true),
        archived: Some(false),
        ..SubsequenceRequest::default()
    }
}

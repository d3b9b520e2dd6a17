//! `CampaignRepository`.

use application::ports::RepositoryError;
use domain::id::{AgentId, CampaignId};

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
        let found = database
            .campaigns()
            .find(tenant.workspace, campaign.id())
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
        let found = database
            .campaigns()
            .find(tenant.workspace, campaign.id())
            .await?;
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
            database
                .campaigns()
                .find(tenant.workspace, next.id())
                .await?,
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
        assert!(matches!(error, RepositoryError::Unknown(_)), "{error:?}");

        assert_eq!(
            database
                .campaigns()
                .find(tenant.workspace, broken.id())
                .await?,
            None
        );
        // The same campaign id and subsequence ids go in cleanly: nothing of the failed write remained.
        let fixed = restore_with_mailboxes(&broken, vec![real]);
        database.campaigns().insert(&fixed).await?;
        assert_eq!(
            database
                .campaigns()
                .find(tenant.workspace, fixed.id())
                .await?,
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

        assert!(database.campaigns().insert(&campaign).await.is_err());
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

/// The same campaign (ids included) with another mailbox list, through the storage form.
fn restore_with_mailboxes(
    campaign: &domain::campaign::Campaign,
    mailboxes: Vec<domain::id::MailboxId>,
) -> domain::campaign::Campaign {
    domain::campaign::Campaign::restore(domain::campaign::StoredCampaign {
        id: campaign.id(),
        workspace_id: campaign.workspace_id(),
        user_id: campaign.user_id(),
        status: campaign.status(),
        content: campaign.content(),
        subsequence_counters: campaign.subsequence_counters(),
        mailboxes,
        stats: campaign.stats(),
        started_at: campaign.started_at(),
        completed_at: campaign.completed_at(),
        created_at: campaign.created_at(),
        updated_at: campaign.updated_at(),
    })
    .expect("a valid campaign")
}

#[tokio::test]
async fn campaign_status_counters_and_times_read_back_equal() -> anyhow::Result<()> {
    use domain::campaign::{Campaign, StoredCampaign, SubsequenceCounters};
    use domain::stats::Stats;
    use domain::status::CampaignStatus;

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
            started_at: Some(at(5_000)),
            completed_at: Some(at(9_000)),
            created_at: at(3),
            updated_at: at(9_001),
        })
        .expect("a valid campaign");

        database.campaigns().insert(&running).await?;
        let found = database
            .campaigns()
            .find(tenant.workspace, running.id())
            .await?;
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
        let found = database
            .campaigns()
            .find(tenant.workspace, campaign.id())
            .await?;
        assert_eq!(
            found.map(|found| found.mailboxes().to_vec()),
            Some(mailboxes)
        );
        Ok(())
    })
    .await
}

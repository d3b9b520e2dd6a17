//! SQLite under concurrent writers: writes queue on the single writer connection instead of failing
//! with `database is locked`.

use std::sync::Arc;

use adapters::testing::{TestBackend, fresh_database};
use domain::request::MailboxSelectorsRequest;

use crate::support::*;

const WRITERS: usize = 64;
const CAMPAIGNS_PER_WRITER: usize = 12;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixty_four_concurrent_writers_all_succeed_and_every_write_is_readable()
-> anyhow::Result<()> {
    init_logging();
    let database = fresh_database(TestBackend::Sqlite).await?;
    let tenant = tenant(&database).await?;
    for index in 0..20 {
        let tags: &[&str] = if index % 2 == 0 {
            &["outreach"]
        } else {
            &["warm"]
        };
        store_mailbox(
            &database,
            mailbox(tenant, &format!("sender{index}@acme.test"), "gmail", tags),
        )
        .await?;
    }
    let by_tag = Arc::new(selection(MailboxSelectorsRequest {
        mailbox_tags: Some(vec!["Outreach".into()]),
        ..MailboxSelectorsRequest::default()
    }));

    // Each writer does what create-campaign does: resolve mailboxes (a read), insert, then read back.
    let mut writers = tokio::task::JoinSet::new();
    for writer in 0..WRITERS {
        let (mailboxes, campaigns) = (database.mailboxes(), database.campaigns());
        let by_tag = Arc::clone(&by_tag);
        writers.spawn(async move {
            let mut written = Vec::new();
            for index in 0..CAMPAIGNS_PER_WRITER {
                let candidates = mailboxes.candidates(tenant.workspace, &by_tag).await?;
                let resolved = by_tag
                    .resolve(&candidates)
                    .map_err(|problems| anyhow::anyhow!("{problems}"))?;
                anyhow::ensure!(
                    resolved.len() == 10,
                    "resolved {} mailboxes",
                    resolved.len()
                );
                let request = if index % 2 == 0 {
                    full_request()
                } else {
                    minimal_request(&format!("W{writer} #{index}"))
                };
                let campaign = campaign(tenant, &request, resolved, Some(new_id()));
                campaigns.insert(&campaign).await?;
                anyhow::ensure!(
                    campaigns
                        .find(tenant.workspace, campaign.id())
                        .await?
                        .is_some(),
                    "not readable"
                );
                written.push(campaign);
            }
            anyhow::Ok(written)
        });
    }
    let mut written = Vec::new();
    let mut failures = Vec::new();
    while let Some(writer) = writers.join_next().await {
        match writer? {
            Ok(campaigns) => written.extend(campaigns),
            Err(error) => failures.push(format!("{error:#}")),
        }
    }
    assert_eq!(failures, Vec::<String>::new(), "every write succeeds");
    assert_eq!(written.len(), WRITERS * CAMPAIGNS_PER_WRITER);
    for campaign in written {
        let found = find_campaign(&database, tenant.workspace, campaign.id()).await?;
        assert_eq!(found, Some(campaign));
    }
    Ok(())
}

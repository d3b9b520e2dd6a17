//! `MailboxRepository`.

use std::collections::BTreeSet;

use domain::id::MailboxId;
use domain::request::MailboxSelectorsRequest;

use crate::support::*;

#[tokio::test]
async fn mailbox_reads_back_equal() -> anyhow::Result<()> {
    on_every_backend(async |database| {
        let tenant = tenant(&database).await?;
        let registered = mailbox(
            tenant,
            "Ana.Lopez@Acme.test",
            "outlook",
            &["Outreach", "EU"],
        );
        database.mailboxes().insert(&registered).await?;
        let found = database
            .mailboxes()
            .find(tenant.workspace, registered.id())
            .await?;
        assert_eq!(found, Some(registered));
        Ok(())
    })
    .await
}

#[tokio::test]
async fn mailbox_of_another_workspace_is_not_found() -> anyhow::Result<()> {
    on_every_backend(async |database| {
        let owner = tenant(&database).await?;
        let stranger = tenant(&database).await?;
        let id = store_mailbox(&database, mailbox(owner, "a@acme.test", "gmail", &[])).await?;
        assert_eq!(
            database.mailboxes().find(stranger.workspace, id).await?,
            None
        );
        assert_eq!(
            database.mailboxes().find(owner.workspace, new_id()).await?,
            None
        );
        Ok(())
    })
    .await
}

#[tokio::test]
async fn mailbox_address_is_unique_per_workspace_case_insensitively() -> anyhow::Result<()> {
    on_every_backend(async |database| {
        let owner = tenant(&database).await?;
        let other = tenant(&database).await?;
        store_mailbox(&database, mailbox(owner, "sales@acme.test", "gmail", &[])).await?;

        let again = mailbox(owner, "SALES@Acme.TEST", "outlook", &[]);
        let message = conflict_message(database.mailboxes().insert(&again).await)?;
        assert!(message.contains("address"), "{message}");
        assert_no_sql(&message);
        assert_eq!(
            database
                .mailboxes()
                .find(owner.workspace, again.id())
                .await?,
            None
        );

        // Another workspace may use the same address.
        store_mailbox(&database, mailbox(other, "sales@acme.test", "gmail", &[])).await?;
        Ok(())
    })
    .await
}

/// The ids of the candidates, for comparing as sets (the port promises no order).
async fn candidate_ids(
    database: &adapters::Database,
    tenant: Tenant,
    selectors: MailboxSelectorsRequest,
) -> anyhow::Result<BTreeSet<MailboxId>> {
    let found = database
        .mailboxes()
        .candidates(tenant.workspace, &selection(selectors))
        .await?;
    Ok(found.into_iter().map(|summary| summary.id).collect())
}

/// Three mailboxes in `tenant`'s workspace and look-alikes in another workspace (same addresses,
/// tags and provider), which must never come back.
struct Fixture {
    tenant: Tenant,
    gmail_outreach: MailboxId,
    outlook_eu: MailboxId,
    custom_untagged: MailboxId,
}

async fn fixture(database: &adapters::Database) -> anyhow::Result<Fixture> {
    let tenant = tenant(database).await?;
    let stranger = tenant_of_another_workspace(database).await?;
    for (email, provider, tags) in [
        ("one@acme.test", "gmail", &["Outreach"][..]),
        ("two@acme.test", "outlook", &["EU", "Warm"][..]),
        ("three@acme.test", "custom", &[][..]),
    ] {
        store_mailbox(database, mailbox(stranger, email, provider, tags)).await?;
    }
    Ok(Fixture {
        tenant,
        gmail_outreach: store_mailbox(
            database,
            mailbox(tenant, "One@Acme.test", "gmail", &["Outreach"]),
        )
        .await?,
        outlook_eu: store_mailbox(
            database,
            mailbox(tenant, "two@acme.test", "outlook", &["eu", "Cold"]),
        )
        .await?,
        custom_untagged: store_mailbox(database, mailbox(tenant, "three@acme.test", "custom", &[]))
            .await?,
    })
}

async fn tenant_of_another_workspace(database: &adapters::Database) -> anyhow::Result<Tenant> {
    tenant(database).await
}

fn ids(list: &[MailboxId]) -> BTreeSet<MailboxId> {
    list.iter().copied().collect()
}

#[tokio::test]
async fn candidates_by_id_are_those_of_the_workspace_only() -> anyhow::Result<()> {
    on_every_backend(async |database| {
        let f = fixture(&database).await?;
        let foreign = store_mailbox(
            &database,
            mailbox(tenant(&database).await?, "foreign@acme.test", "gmail", &[]),
        )
        .await?;
        let found = candidate_ids(
            &database,
            f.tenant,
            MailboxSelectorsRequest {
                mailboxes: Some(vec![f.gmail_outreach.to_string()]),
                mailbox_ids: Some(vec![f.custom_untagged.to_string(), foreign.to_string()]),
                ..MailboxSelectorsRequest::default()
            },
        )
        .await?;
        assert!(found.is_superset(&ids(&[f.gmail_outreach, f.custom_untagged])));
        assert!(!found.contains(&foreign));
        Ok(())
    })
    .await
}

#[tokio::test]
async fn candidates_by_email_compare_case_insensitively_within_the_workspace() -> anyhow::Result<()>
{
    on_every_backend(async |database| {
        let f = fixture(&database).await?;
        let found = database
            .mailboxes()
            .candidates(
                f.tenant.workspace,
                &selection(MailboxSelectorsRequest {
                    mailbox_emails: Some(vec!["ONE@acme.TEST".into(), "Two@Acme.Test".into()]),
                    ..MailboxSelectorsRequest::default()
                }),
            )
            .await?;
        let found_ids: BTreeSet<MailboxId> = found.iter().map(|summary| summary.id).collect();
        assert_eq!(found_ids, ids(&[f.gmail_outreach, f.outlook_eu]));
        // Summaries carry what resolution needs, as given.
        let one = found
            .iter()
            .find(|summary| summary.id == f.gmail_outreach)
            .expect("found");
        assert_eq!(one.email.as_str(), "One@Acme.test");
        assert_eq!(one.tags, vec!["Outreach".to_owned()]);
        assert_eq!(one.provider.as_str(), "gmail");
        Ok(())
    })
    .await
}

#[tokio::test]
async fn candidates_by_tag_match_any_tag_case_insensitively_within_the_workspace()
-> anyhow::Result<()> {
    on_every_backend(async |database| {
        let f = fixture(&database).await?;
        let found = candidate_ids(
            &database,
            f.tenant,
            MailboxSelectorsRequest {
                mailbox_tags: Some(vec![
                    "OUTREACH".into(),
                    "Eu".into(),
                    "nobody-has-this".into(),
                ]),
                ..MailboxSelectorsRequest::default()
            },
        )
        .await?;
        assert_eq!(found, ids(&[f.gmail_outreach, f.outlook_eu]));
        Ok(())
    })
    .await
}

#[tokio::test]
async fn candidates_by_provider_are_the_workspaces_mailboxes_of_that_provider() -> anyhow::Result<()>
{
    on_every_backend(async |database| {
        let f = fixture(&database).await?;
        let found = candidate_ids(
            &database,
            f.tenant,
            MailboxSelectorsRequest {
                mailbox_provider: s("outlook"),
                ..MailboxSelectorsRequest::default()
            },
        )
        .await?;
        assert_eq!(found, ids(&[f.outlook_eu]));
        Ok(())
    })
    .await
}

#[tokio::test]
async fn candidates_of_combined_selectors_are_their_union() -> anyhow::Result<()> {
    on_every_backend(async |database| {
        let f = fixture(&database).await?;
        let selectors = MailboxSelectorsRequest {
            mailbox_ids: Some(vec![f.outlook_eu.to_string()]),
            mailbox_emails: Some(vec!["three@ACME.test".into()]),
            mailbox_tags: Some(vec!["outreach".into()]),
            mailbox_provider: s("gmail"),
            ..MailboxSelectorsRequest::default()
        };
        let found = candidate_ids(&database, f.tenant, selectors.clone()).await?;
        assert_eq!(
            found,
            ids(&[f.gmail_outreach, f.outlook_eu, f.custom_untagged])
        );

        // And they resolve the way create-campaign resolves them.
        let candidates = database
            .mailboxes()
            .candidates(f.tenant.workspace, &selection(selectors.clone()))
            .await?;
        let resolved = selection(selectors)
            .resolve(&candidates)
            .expect("all found");
        assert_eq!(
            resolved,
            vec![f.outlook_eu, f.custom_untagged, f.gmail_outreach]
        );
        Ok(())
    })
    .await
}

#[tokio::test]
async fn candidates_of_selectors_matching_nothing_are_none() -> anyhow::Result<()> {
    on_every_backend(async |database| {
        let f = fixture(&database).await?;
        let found = candidate_ids(
            &database,
            f.tenant,
            MailboxSelectorsRequest {
                mailbox_ids: Some(vec![new_id::<MailboxId>().to_string()]),
                mailbox_emails: Some(vec!["nobody@acme.test".into()]),
                mailbox_tags: Some(vec!["none".into()]),
                mailbox_provider: s("azure"),
                ..MailboxSelectorsRequest::default()
            },
        )
        .await?;
        assert_eq!(found, BTreeSet::new());
        assert_eq!(
            candidate_ids(&database, f.tenant, MailboxSelectorsRequest::default()).await?,
            BTreeSet::new()
        );
        Ok(())
    })
    .await
}

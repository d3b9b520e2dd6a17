//! `MailboxRepository`.

use std::collections::BTreeSet;
use std::sync::Arc;

use adapters::Database;
use anyhow::Context as _;
use application::ports::{
    MailboxPage, MailboxQuery, MailboxRemoval, RepositoryError, Version, VersionedCampaign,
    WriteOutcome,
};
use domain::campaign::Campaign;
use domain::credential::SealedCredential;
use domain::id::{CampaignId, MailboxId};
use domain::listing::PageLimit;
use domain::mailbox::{Mailbox, MailboxFields, MailboxProvider, MailboxStatus};
use domain::mailbox_connection::{ConnectionPasswords, MailServer};
use domain::mailbox_listing::{MailboxSearch, TagFilter, TagMode};
use domain::mailbox_update::{ConnectionChanges, MailboxChanges, MailboxPatchRequest, PatchValue};
use domain::request::{MailboxRequest, MailboxSelectorsRequest};
use tokio::sync::Barrier;
use tokio::task::JoinSet;

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
async fn find_many_answers_the_workspaces_mailboxes_among_the_ids_only() -> anyhow::Result<()> {
    on_every_backend(async |database| {
        let owner = tenant(&database).await?;
        let stranger = tenant(&database).await?;
        let first = store_mailbox(&database, mailbox(owner, "a@acme.test", "gmail", &[])).await?;
        let second = store_mailbox(&database, mailbox(owner, "b@acme.test", "gmail", &[])).await?;
        store_mailbox(&database, mailbox(owner, "c@acme.test", "gmail", &[])).await?;
        let theirs =
            store_mailbox(&database, mailbox(stranger, "d@acme.test", "gmail", &[])).await?;
        let found: BTreeSet<MailboxId> = database
            .mailboxes()
            .find_many(owner.workspace, &[first, second, theirs, new_id()])
            .await?
            .iter()
            .map(Mailbox::id)
            .collect();
        assert_eq!(found, BTreeSet::from([first, second]));
        assert!(
            database
                .mailboxes()
                .find_many(owner.workspace, &[])
                .await?
                .is_empty()
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

fn tagged(tag: &str) -> MailboxSelectorsRequest {
    MailboxSelectorsRequest {
        mailbox_tags: Some(vec![tag.into()]),
        ..MailboxSelectorsRequest::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_candidate_lookups_each_get_their_own_workspaces_answer() -> anyhow::Result<()> {
    // On PostgreSQL concurrent lookups asking the same share one statement (mailbox_lookups.rs): the
    // same tag asked in two workspaces at once, and another tag beside them, each get their own.
    on_every_backend(async |database| {
        let f = fixture(&database).await?;
        let stranger = tenant_of_another_workspace(&database).await?;
        let strangers_outreach = store_mailbox(
            &database,
            mailbox(stranger, "one@acme.test", "gmail", &["Outreach"]),
        )
        .await?;
        let mut lookups = JoinSet::new();
        for round in 0..60 {
            let (tenant, selectors, expected) = match round % 3 {
                0 => (f.tenant, tagged("outreach"), ids(&[f.gmail_outreach])),
                1 => (stranger, tagged("OUTREACH"), ids(&[strangers_outreach])),
                _ => (f.tenant, tagged("eu"), ids(&[f.outlook_eu])),
            };
            let mailboxes = database.mailboxes();
            lookups.spawn(async move {
                let found = mailboxes
                    .candidates(tenant.workspace, &selection(selectors))
                    .await?;
                let found: BTreeSet<MailboxId> = found.into_iter().map(|found| found.id).collect();
                anyhow::Ok((found, expected))
            });
        }
        let mut answered = 0;
        while let Some(lookup) = lookups.join_next().await {
            let (found, expected) = lookup??;
            assert_eq!(found, expected);
            answered += 1;
        }
        assert_eq!(answered, 60);
        Ok(())
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_candidate_lookup_asked_after_a_registration_sees_it_while_others_are_in_flight()
-> anyhow::Result<()> {
    // Sharing a lookup must never hand a caller an answer read before it asked.
    on_every_backend(async |database| {
        let f = fixture(&database).await?;
        let mut in_flight = JoinSet::new();
        for _ in 0..32 {
            let mailboxes = database.mailboxes();
            let tenant = f.tenant;
            in_flight.spawn(async move {
                mailboxes
                    .candidates(tenant.workspace, &selection(tagged("outreach")))
                    .await
            });
        }
        let registered = store_mailbox(
            &database,
            mailbox(f.tenant, "four@acme.test", "gmail", &["Outreach"]),
        )
        .await?;
        let found = candidate_ids(&database, f.tenant, tagged("outreach")).await?;
        assert_eq!(found, ids(&[f.gmail_outreach, registered]));
        while let Some(lookup) = in_flight.join_next().await {
            lookup??;
        }
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

/// A mailbox of `tenant`'s workspace with this display name and tags, in `status`.
fn mailbox_with(
    tenant: Tenant,
    email: &str,
    provider: &str,
    display_name: Option<&str>,
    tags: &[&str],
    status: MailboxStatus,
) -> Mailbox {
    let fields = MailboxFields::parse(&MailboxRequest {
        email: s(email),
        provider: s(provider),
        display_name: display_name.map(str::to_owned),
        tags: Some(tags.iter().map(|tag| (*tag).to_owned()).collect()),
        ..MailboxRequest::default()
    })
    .expect("valid mailbox fields");
    Mailbox::restore(new_id(), tenant.workspace, fields, status, at(1), at(1))
}

fn limit(limit: i64) -> PageLimit {
    PageLimit::parse(Some(limit)).expect("a limit in range")
}

fn emails(page: &MailboxPage) -> Vec<&str> {
    page.mailboxes
        .iter()
        .map(|mailbox| mailbox.fields().email().as_str())
        .collect()
}

async fn list(
    database: &Database,
    tenant: Tenant,
    query: MailboxQuery,
) -> anyhow::Result<MailboxPage> {
    Ok(database.mailboxes().list(tenant.workspace, &query).await?)
}

fn tags(raw: &str, mode: TagMode) -> Option<TagFilter> {
    TagFilter::parse(Some(raw), mode).expect("a valid tag filter")
}

fn search(raw: &str) -> Option<MailboxSearch> {
    MailboxSearch::parse(Some(raw)).expect("a valid search")
}

/// Stores mailboxes `m0@acme.test` … in order (so the last is the newest).
async fn store_numbered(
    database: &Database,
    tenant: Tenant,
    count: usize,
) -> anyhow::Result<Vec<Mailbox>> {
    let mut stored = Vec::new();
    for index in 0..count {
        let mailbox = mailbox(tenant, &format!("m{index}@acme.test"), "gmail", &[]);
        database.mailboxes().insert(&mailbox).await?;
        stored.push(mailbox);
    }
    Ok(stored)
}

#[tokio::test]
async fn list_gives_the_newest_first_at_most_limit_the_total_and_whether_more_match()
-> anyhow::Result<()> {
    on_every_backend(async |database| {
        let tenant = tenant(&database).await?;
        store_numbered(&database, tenant, 5).await?;
        let first = list(
            &database,
            tenant,
            MailboxQuery {
                limit: limit(2),
                ..MailboxQuery::default()
            },
        )
        .await?;
        assert_eq!(emails(&first), ["m4@acme.test", "m3@acme.test"]);
        assert_eq!((first.total, first.has_more), (5, true));
        let all = list(&database, tenant, MailboxQuery::default()).await?;
        assert_eq!(all.mailboxes.len(), 5);
        assert_eq!((all.total, all.has_more), (5, false));
        // Listed mailboxes are whole, as `find` reads them.
        for listed in &all.mailboxes {
            assert_eq!(
                database
                    .mailboxes()
                    .find(tenant.workspace, listed.id())
                    .await?
                    .as_ref(),
                Some(listed)
            );
        }
        Ok(())
    })
    .await
}

#[tokio::test]
async fn list_pages_walk_every_mailbox_exactly_once_while_mailboxes_are_created()
-> anyhow::Result<()> {
    on_every_backend(async |database| {
        let tenant = tenant(&database).await?;
        let stored = store_numbered(&database, tenant, 11).await?;
        let mut seen = Vec::new();
        let mut query = MailboxQuery {
            limit: limit(3),
            ..MailboxQuery::default()
        };
        for page_number in 0.. {
            anyhow::ensure!(page_number < 10, "the walk does not end");
            let page = list(&database, tenant, query.clone()).await?;
            assert_eq!(
                page.total,
                11 + page_number,
                "every match, new ones included"
            );
            seen.extend(page.mailboxes.iter().map(Mailbox::id));
            if !page.has_more {
                break;
            }
            query.before = page.mailboxes.last().map(Mailbox::id);
            // Newer than every page still to come: it must not shift them.
            store_mailbox(
                &database,
                mailbox(
                    tenant,
                    &format!("late{page_number}@acme.test"),
                    "gmail",
                    &[],
                ),
            )
            .await?;
        }
        let newest_first: Vec<_> = stored.iter().rev().map(Mailbox::id).collect();
        assert_eq!(seen, newest_first);
        Ok(())
    })
    .await
}

#[tokio::test]
async fn list_filters_by_provider_and_by_status() -> anyhow::Result<()> {
    on_every_backend(async |database| {
        let tenant = tenant(&database).await?;
        for (email, provider, status) in [
            ("a@acme.test", "gmail", MailboxStatus::Active),
            ("b@acme.test", "outlook", MailboxStatus::Active),
            ("c@acme.test", "gmail", MailboxStatus::Disconnected),
            ("d@acme.test", "azure", MailboxStatus::Error),
        ] {
            store_mailbox(
                &database,
                mailbox_with(tenant, email, provider, None, &[], status),
            )
            .await?;
        }
        let gmail = list(
            &database,
            tenant,
            MailboxQuery {
                provider: Some(MailboxProvider::Gmail),
                ..MailboxQuery::default()
            },
        )
        .await?;
        assert_eq!(emails(&gmail), ["c@acme.test", "a@acme.test"]);
        assert_eq!(gmail.total, 2);
        let active = list(
            &database,
            tenant,
            MailboxQuery {
                status: Some(MailboxStatus::Active),
                ..MailboxQuery::default()
            },
        )
        .await?;
        assert_eq!(emails(&active), ["b@acme.test", "a@acme.test"]);
        let active_gmail = list(
            &database,
            tenant,
            MailboxQuery {
                provider: Some(MailboxProvider::Gmail),
                status: Some(MailboxStatus::Active),
                ..MailboxQuery::default()
            },
        )
        .await?;
        assert_eq!(emails(&active_gmail), ["a@acme.test"]);
        let none = list(
            &database,
            tenant,
            MailboxQuery {
                provider: Some(MailboxProvider::Custom),
                ..MailboxQuery::default()
            },
        )
        .await?;
        assert_eq!((none.mailboxes.len(), none.total), (0, 0));
        Ok(())
    })
    .await
}

#[tokio::test]
async fn list_filters_by_any_or_all_of_the_tags_case_insensitively() -> anyhow::Result<()> {
    on_every_backend(async |database| {
        let tenant = tenant(&database).await?;
        let stranger = tenant_of_another_workspace(&database).await?;
        store_mailbox(
            &database,
            mailbox(stranger, "theirs@acme.test", "gmail", &["Outreach", "EU"]),
        )
        .await?;
        for (email, tags) in [
            ("both@acme.test", &["Outreach", "eu"][..]),
            ("outreach@acme.test", &["OUTREACH", "us"][..]),
            ("eu@acme.test", &["EU"][..]),
            ("none@acme.test", &[][..]),
        ] {
            store_mailbox(&database, mailbox(tenant, email, "gmail", tags)).await?;
        }
        let any = list(
            &database,
            tenant,
            MailboxQuery {
                tags: tags("outreach, Eu", TagMode::Any),
                ..MailboxQuery::default()
            },
        )
        .await?;
        assert_eq!(
            emails(&any),
            ["eu@acme.test", "outreach@acme.test", "both@acme.test"]
        );
        assert_eq!(any.total, 3);
        let all = list(
            &database,
            tenant,
            MailboxQuery {
                tags: tags("outreach, Eu, OUTREACH", TagMode::All),
                ..MailboxQuery::default()
            },
        )
        .await?;
        assert_eq!(emails(&all), ["both@acme.test"]);
        assert_eq!(all.total, 1);
        let all_with_one_nobody_has = list(
            &database,
            tenant,
            MailboxQuery {
                tags: tags("outreach,apac", TagMode::All),
                ..MailboxQuery::default()
            },
        )
        .await?;
        assert_eq!(all_with_one_nobody_has.total, 0);
        Ok(())
    })
    .await
}

#[tokio::test]
async fn list_search_finds_a_substring_of_the_address_or_the_display_name_ignoring_case()
-> anyhow::Result<()> {
    on_every_backend(async |database| {
        let tenant = tenant(&database).await?;
        for (email, display_name) in [
            ("sales@acme.test", Some("Ana López")),
            ("ops@acme.test", Some("ÉQUIPE Été")),
            ("ana.b@acme.test", None),
            ("100pct_off@acme.test", Some("Promo")),
        ] {
            store_mailbox(
                &database,
                mailbox_with(
                    tenant,
                    email,
                    "gmail",
                    display_name,
                    &[],
                    MailboxStatus::Active,
                ),
            )
            .await?;
        }
        let found = async |text: &str| -> anyhow::Result<Vec<String>> {
            let page = list(
                &database,
                tenant,
                MailboxQuery {
                    search: search(text),
                    ..MailboxQuery::default()
                },
            )
            .await?;
            assert_eq!(page.total as usize, page.mailboxes.len(), "{text}");
            Ok(emails(&page).into_iter().map(str::to_owned).collect())
        };
        assert_eq!(
            found("ANA").await?,
            ["ana.b@acme.test", "sales@acme.test"],
            "address or display name"
        );
        assert_eq!(
            found("SALES@").await?,
            ["sales@acme.test"],
            "address, ignoring case"
        );
        assert_eq!(
            found("équipe été").await?,
            ["ops@acme.test"],
            "display names fold beyond ASCII"
        );
        assert_eq!(
            found("t_o").await?,
            ["100pct_off@acme.test"],
            "_ matches itself only"
        );
        assert_eq!(
            found("pct%").await?,
            Vec::<String>::new(),
            "% matches itself only"
        );
        assert_eq!(found("nobody").await?, Vec::<String>::new());
        Ok(())
    })
    .await
}

#[tokio::test]
async fn list_total_counts_every_match_whatever_the_cursor() -> anyhow::Result<()> {
    on_every_backend(async |database| {
        let tenant = tenant(&database).await?;
        let stored = store_numbered(&database, tenant, 5).await?;
        let after_the_third_newest = list(
            &database,
            tenant,
            MailboxQuery {
                before: Some(stored[2].id()),
                limit: limit(1),
                ..MailboxQuery::default()
            },
        )
        .await?;
        assert_eq!(emails(&after_the_third_newest), ["m1@acme.test"]);
        assert_eq!(
            (
                after_the_third_newest.total,
                after_the_third_newest.has_more
            ),
            (5, true)
        );
        Ok(())
    })
    .await
}

fn patch(request: MailboxPatchRequest) -> MailboxChanges {
    MailboxChanges::parse(&request).expect("valid changes")
}

#[tokio::test]
async fn update_writes_the_given_fields_only_replaces_the_tags_and_moves_updated_at()
-> anyhow::Result<()> {
    on_every_backend(async |database| {
        let tenant = tenant(&database).await?;
        let original = mailbox(tenant, "Ana@Acme.test", "outlook", &["Outreach", "EU"]);
        database.mailboxes().insert(&original).await?;
        let changes = patch(MailboxPatchRequest {
            display_name: PatchValue::Given("Ana Ñ".into()),
            daily_send_limit: PatchValue::Given(500),
            tags: PatchValue::Given(vec!["Warm".into(), "eu".into()]),
            ..MailboxPatchRequest::default()
        });
        let updated = database
            .mailboxes()
            .update(tenant.workspace, original.id(), &changes, at(60))
            .await?
            .context("the mailbox is there")?;
        let fields = updated.fields();
        assert_eq!(fields.display_name(), Some("Ana Ñ"));
        assert_eq!(fields.daily_send_limit(), 50);
        assert_eq!(fields.tags(), ["Warm", "eu"]);
        // What the changes leave out keeps its stored value.
        assert_eq!(fields.email(), original.fields().email());
        assert_eq!(fields.provider(), original.fields().provider());
        assert_eq!(fields.signature(), original.fields().signature());
        assert_eq!(
            fields.sending_enabled(),
            original.fields().sending_enabled()
        );
        assert_eq!(updated.status(), original.status());
        assert_eq!(updated.created_at(), original.created_at());
        assert_eq!(updated.updated_at(), at(60));
        assert_eq!(
            database
                .mailboxes()
                .find(tenant.workspace, original.id())
                .await?,
            Some(updated)
        );

        // The tag index follows: the new tags select it, the dropped one no longer does.
        let by_tag = async |tag: &str| -> anyhow::Result<u64> {
            Ok(list(
                &database,
                tenant,
                MailboxQuery {
                    tags: tags(tag, TagMode::Any),
                    ..MailboxQuery::default()
                },
            )
            .await?
            .total)
        };
        assert_eq!(by_tag("WARM").await?, 1);
        assert_eq!(by_tag("eu").await?, 1);
        assert_eq!(by_tag("outreach").await?, 0);
        assert_eq!(
            candidate_ids(
                &database,
                tenant,
                MailboxSelectorsRequest {
                    mailbox_tags: Some(vec!["outreach".into()]),
                    ..MailboxSelectorsRequest::default()
                },
            )
            .await?,
            BTreeSet::new()
        );
        // And the search follows the display name.
        let by_name = list(
            &database,
            tenant,
            MailboxQuery {
                search: search("ana ñ"),
                ..MailboxQuery::default()
            },
        )
        .await?;
        assert_eq!(by_name.total, 1);

        // Null-like resets: no display name, no tags, no signature.
        let cleared = database
            .mailboxes()
            .update(
                tenant.workspace,
                original.id(),
                &patch(MailboxPatchRequest {
                    display_name: PatchValue::Null,
                    signature: PatchValue::Null,
                    tags: PatchValue::Null,
                    ..MailboxPatchRequest::default()
                }),
                at(70),
            )
            .await?
            .context("the mailbox is there")?;
        assert_eq!(cleared.fields().display_name(), None);
        assert_eq!(cleared.fields().signature(), None);
        assert!(cleared.fields().tags().is_empty());
        assert_eq!(by_tag("warm").await?, 0);
        Ok(())
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_updates_of_different_fields_all_persist() -> anyhow::Result<()> {
    on_every_backend(async |database| {
        let tenant = tenant(&database).await?;
        let original = mailbox(tenant, "busy@acme.test", "gmail", &["old"]);
        database.mailboxes().insert(&original).await?;
        let changes = [
            MailboxPatchRequest {
                display_name: PatchValue::Given("Renamed".into()),
                ..MailboxPatchRequest::default()
            },
            MailboxPatchRequest {
                daily_send_limit: PatchValue::Given(7),
                ..MailboxPatchRequest::default()
            },
            MailboxPatchRequest {
                signature: PatchValue::Given("Cheers".into()),
                ..MailboxPatchRequest::default()
            },
            MailboxPatchRequest {
                sending_enabled: PatchValue::Given(true),
                ..MailboxPatchRequest::default()
            },
            MailboxPatchRequest {
                tags: PatchValue::Given(vec!["new".into()]),
                ..MailboxPatchRequest::default()
            },
        ];
        let start = Arc::new(Barrier::new(changes.len()));
        let mut tasks = JoinSet::new();
        for request in changes {
            let (mailboxes, start) = (database.mailboxes(), Arc::clone(&start));
            let (workspace, id) = (tenant.workspace, original.id());
            tasks.spawn(async move {
                start.wait().await;
                mailboxes
                    .update(workspace, id, &patch(request), at(100))
                    .await
            });
        }
        while let Some(task) = tasks.join_next().await {
            task??.context("the mailbox is there")?;
        }
        let stored = database
            .mailboxes()
            .find(tenant.workspace, original.id())
            .await?
            .context("the mailbox is there")?;
        let fields = stored.fields();
        assert_eq!(fields.display_name(), Some("Renamed"));
        assert_eq!(fields.daily_send_limit(), 7);
        assert_eq!(fields.signature(), Some("Cheers"));
        assert!(fields.sending_enabled());
        assert_eq!(fields.tags(), ["new"]);
        Ok(())
    })
    .await
}

#[tokio::test]
async fn update_and_delete_of_a_mailbox_the_workspace_does_not_have_write_nothing()
-> anyhow::Result<()> {
    on_every_backend(async |database| {
        let owner = tenant(&database).await?;
        let stranger = tenant(&database).await?;
        let theirs = mailbox(owner, "theirs@acme.test", "gmail", &["Outreach"]);
        database.mailboxes().insert(&theirs).await?;
        let changes = patch(MailboxPatchRequest {
            display_name: PatchValue::Given("Mine now".into()),
            tags: PatchValue::Given(vec!["stolen".into()]),
            ..MailboxPatchRequest::default()
        });
        for id in [theirs.id(), new_id()] {
            assert_eq!(
                database
                    .mailboxes()
                    .update(stranger.workspace, id, &changes, at(50))
                    .await?,
                None
            );
            assert_eq!(
                database
                    .mailboxes()
                    .delete(stranger.workspace, id, at(50))
                    .await?,
                None
            );
        }
        assert_eq!(
            list(&database, stranger, MailboxQuery::default())
                .await?
                .total,
            0,
            "never listed in another workspace"
        );
        assert_eq!(
            database
                .mailboxes()
                .find(owner.workspace, theirs.id())
                .await?,
            Some(theirs),
            "untouched"
        );
        Ok(())
    })
    .await
}

/// Campaigns of `tenant` listing `mailboxes`, stored.
async fn store_campaign(
    database: &Database,
    tenant: Tenant,
    name: &str,
    mailboxes: Vec<MailboxId>,
) -> anyhow::Result<Campaign> {
    let stored = campaign(tenant, &minimal_request(name), mailboxes, None);
    database.campaigns().insert(&stored).await?;
    Ok(stored)
}

async fn versioned(
    database: &Database,
    tenant: Tenant,
    id: CampaignId,
) -> anyhow::Result<VersionedCampaign> {
    database
        .campaigns()
        .find(tenant.workspace, id)
        .await?
        .context("the campaign is there")
}

#[tokio::test]
async fn delete_removes_the_mailbox_from_every_campaign_and_bumps_their_versions_together()
-> anyhow::Result<()> {
    on_every_backend(async |database| {
        let tenant = tenant(&database).await?;
        let gone = store_mailbox(
            &database,
            mailbox(tenant, "gone@acme.test", "gmail", &["Outreach"]),
        )
        .await?;
        let kept =
            store_mailbox(&database, mailbox(tenant, "kept@acme.test", "gmail", &[])).await?;
        let first = store_campaign(&database, tenant, "First", vec![kept, gone]).await?;
        let second = store_campaign(&database, tenant, "Second", vec![gone]).await?;
        let unrelated = store_campaign(&database, tenant, "Unrelated", vec![kept]).await?;
        // A campaign write that read the list before the delete.
        let read_before = versioned(&database, tenant, first.id()).await?;

        let removal = database
            .mailboxes()
            .delete(tenant.workspace, gone, at(500))
            .await?;
        assert_eq!(
            removal,
            Some(MailboxRemoval {
                campaigns_updated: 2
            })
        );
        assert_eq!(
            database.mailboxes().find(tenant.workspace, gone).await?,
            None
        );

        let first_now = versioned(&database, tenant, first.id()).await?;
        assert_eq!(first_now.campaign.mailboxes(), [kept]);
        assert_eq!(first_now.version, Version(1));
        assert_eq!(first_now.campaign.updated_at(), at(500));
        assert_eq!(first_now.campaign.created_at(), first.created_at());
        let second_now = versioned(&database, tenant, second.id()).await?;
        assert!(second_now.campaign.mailboxes().is_empty());
        assert_eq!(second_now.version, Version(1));
        let unrelated_now = versioned(&database, tenant, unrelated.id()).await?;
        assert_eq!(
            unrelated_now,
            VersionedCampaign {
                campaign: unrelated,
                version: Version(0),
            },
            "a campaign without the mailbox is untouched"
        );

        // The write that read the old list is stale, so it is redone on the list without the mailbox.
        let renamed = updated(
            &read_before.campaign,
            |content| content.name = s("Renamed"),
            None,
            at(600),
        );
        assert_eq!(
            database
                .campaigns()
                .update(&renamed, read_before.version)
                .await?,
            WriteOutcome::Stale
        );
        // Its tag index rows went with it: a tag selector finds nothing.
        assert_eq!(
            candidate_ids(
                &database,
                tenant,
                MailboxSelectorsRequest {
                    mailbox_tags: Some(vec!["outreach".into()]),
                    ..MailboxSelectorsRequest::default()
                },
            )
            .await?,
            BTreeSet::new()
        );
        // Deleting it again finds nothing and bumps nothing.
        assert_eq!(
            database
                .mailboxes()
                .delete(tenant.workspace, gone, at(700))
                .await?,
            None
        );
        assert_eq!(
            versioned(&database, tenant, first.id()).await?.version,
            Version(1)
        );
        Ok(())
    })
    .await
}

#[tokio::test]
async fn delete_leaves_other_workspaces_campaigns_alone() -> anyhow::Result<()> {
    on_every_backend(async |database| {
        let owner = tenant(&database).await?;
        let other = tenant(&database).await?;
        let gone = store_mailbox(&database, mailbox(owner, "same@acme.test", "gmail", &[])).await?;
        let look_alike =
            store_mailbox(&database, mailbox(other, "same@acme.test", "gmail", &[])).await?;
        let theirs = store_campaign(&database, other, "Theirs", vec![look_alike]).await?;
        database
            .mailboxes()
            .delete(owner.workspace, gone, at(10))
            .await?
            .context("deleted")?;
        assert_eq!(
            versioned(&database, other, theirs.id()).await?,
            VersionedCampaign {
                campaign: theirs,
                version: Version(0),
            }
        );
        Ok(())
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn campaign_writes_racing_a_mailbox_delete_all_persist_without_the_mailbox()
-> anyhow::Result<()> {
    const WRITERS: usize = 6;
    on_every_backend(async |database| {
        let tenant = tenant(&database).await?;
        let gone =
            store_mailbox(&database, mailbox(tenant, "gone@acme.test", "gmail", &[])).await?;
        let kept =
            store_mailbox(&database, mailbox(tenant, "kept@acme.test", "gmail", &[])).await?;
        let original = store_campaign(&database, tenant, "Busy", vec![gone, kept]).await?;

        // Every writer reads the list with the mailbox first; the delete runs among their writes.
        let start = Arc::new(Barrier::new(WRITERS + 1));
        let mut tasks = JoinSet::new();
        for task in 0..WRITERS {
            let (campaigns, start) = (database.campaigns(), Arc::clone(&start));
            let (workspace, id) = (tenant.workspace, original.id());
            tasks.spawn(async move {
                let mut first = true;
                for _ in 0..100 {
                    let read = campaigns
                        .find(workspace, id)
                        .await?
                        .context("the campaign is there")?;
                    if first {
                        start.wait().await;
                        first = false;
                    }
                    let change = updated(
                        &read.campaign,
                        |content| {
                            let name = content.name.clone().unwrap_or_default();
                            content.name = Some(format!("{name} {task}"));
                        },
                        None,
                        at(100),
                    );
                    match campaigns.update(&change, read.version).await {
                        Ok(WriteOutcome::Written) => return anyhow::Ok(()),
                        Ok(WriteOutcome::Stale) | Err(RepositoryError::ReferenceGone(_)) => {}
                        Err(error) => return Err(error.into()),
                    }
                }
                anyhow::bail!("writer {task} never got its write in")
            });
        }
        let mailboxes = database.mailboxes();
        let deleter = tokio::spawn(async move {
            start.wait().await;
            mailboxes.delete(tenant.workspace, gone, at(50)).await
        });
        while let Some(task) = tasks.join_next().await {
            task??;
        }
        deleter.await??.context("deleted")?;

        let found = versioned(&database, tenant, original.id()).await?;
        assert_eq!(found.campaign.mailboxes(), [kept]);
        let name = found.campaign.name().as_str().to_owned();
        for task in 0..WRITERS {
            assert!(
                name.split(' ').any(|part| part == task.to_string()),
                "writer {task}'s change is lost: {name:?}"
            );
        }
        Ok(())
    })
    .await
}

/// A mailbox with SMTP and IMAP settings, its passwords sealed as given (`sealed` stands in for the
/// cipher's text: the repository stores what it is handed).
fn connected(tenant: Tenant, email: &str) -> Mailbox {
    let (fields, passwords) = MailboxFields::parse_with_passwords(&MailboxRequest {
        email: s(email),
        provider: s("custom"),
        smtp_host: s("smtp.acme.test"),
        smtp_port: Some(465),
        smtp_secure: Some(true),
        smtp_username: s("ana"),
        smtp_password: s("smtp-secret"),
        imap_host: s("imap.acme.test"),
        imap_username: s("ana@acme.test"),
        imap_password: s("imap-secret"),
        ..MailboxRequest::default()
    })
    .expect("valid");
    Mailbox::register(new_id(), tenant.workspace, fields, at(1)).with_passwords(
        passwords
            .map(|password| SealedCredential::from_stored(format!("xc1:{}", password.expose()))),
    )
}

fn connection_patch(stored: &Mailbox, request: MailboxPatchRequest) -> MailboxChanges {
    let connections = ConnectionChanges::parse(&request, stored.fields())
        .expect("valid connection changes")
        .map_passwords(|password| {
            SealedCredential::from_stored(format!("xc1:{}", password.expose()))
        });
    patch(request).with_connections(connections)
}

#[tokio::test]
async fn connection_settings_and_sealed_passwords_read_back_equal() -> anyhow::Result<()> {
    on_every_backend(async |database| {
        let tenant = tenant(&database).await?;
        let registered = connected(tenant, "ana@acme.test");
        database.mailboxes().insert(&registered).await?;
        let found = database
            .mailboxes()
            .find(tenant.workspace, registered.id())
            .await?
            .context("stored")?;
        assert_eq!(found, registered);
        let smtp = found.fields().smtp().context("smtp")?;
        assert_eq!(
            (
                smtp.host().as_str(),
                smtp.port(),
                smtp.secure(),
                smtp.username()
            ),
            ("smtp.acme.test", 465, true, Some("ana"))
        );
        assert_eq!(
            found
                .passwords()
                .smtp
                .as_ref()
                .map(SealedCredential::as_stored),
            Some("xc1:smtp-secret")
        );
        let imap = found.fields().imap().context("imap")?;
        assert_eq!((imap.port(), imap.secure()), (993, true));
        assert!(found.can_send());

        let bare = mailbox(tenant, "bare@acme.test", "gmail", &[]);
        database.mailboxes().insert(&bare).await?;
        let bare = database
            .mailboxes()
            .find(tenant.workspace, bare.id())
            .await?
            .context("stored")?;
        assert_eq!((bare.fields().smtp(), bare.fields().imap()), (None, None));
        assert_eq!(bare.passwords(), &ConnectionPasswords::default());
        Ok(())
    })
    .await
}

#[tokio::test]
async fn connection_changes_keep_replace_clear_and_remove_as_the_patch_says() -> anyhow::Result<()>
{
    on_every_backend(async |database| {
        let tenant = tenant(&database).await?;
        let stored = connected(tenant, "ana@acme.test");
        database.mailboxes().insert(&stored).await?;
        let update = async |changes: MailboxChanges| {
            database
                .mailboxes()
                .update(tenant.workspace, stored.id(), &changes, at(60))
                .await
                .map(|found| found.expect("the mailbox is there"))
        };
        let sealed = |mailbox: &Mailbox, server: MailServer| {
            mailbox
                .passwords()
                .get(server)
                .map(|sealed| sealed.as_stored().to_owned())
        };

        // The port changes, the password stays (same host, same username).
        let ported = update(connection_patch(
            &stored,
            MailboxPatchRequest {
                smtp_port: PatchValue::Given(2525),
                ..MailboxPatchRequest::default()
            },
        ))
        .await?;
        assert_eq!(ported.fields().smtp().map(|smtp| smtp.port()), Some(2525));
        assert_eq!(
            sealed(&ported, MailServer::Smtp).as_deref(),
            Some("xc1:smtp-secret")
        );

        // A new password replaces it; the IMAP side is untouched.
        let replaced = update(connection_patch(
            &ported,
            MailboxPatchRequest {
                smtp_password: PatchValue::Given("new-secret".into()),
                ..MailboxPatchRequest::default()
            },
        ))
        .await?;
        assert_eq!(
            sealed(&replaced, MailServer::Smtp).as_deref(),
            Some("xc1:new-secret")
        );
        assert_eq!(
            sealed(&replaced, MailServer::Imap).as_deref(),
            Some("xc1:imap-secret")
        );

        // Another host without a password drops the stored one.
        let moved = update(connection_patch(
            &replaced,
            MailboxPatchRequest {
                smtp_host: PatchValue::Given("relay.acme.test".into()),
                ..MailboxPatchRequest::default()
            },
        ))
        .await?;
        assert_eq!(sealed(&moved, MailServer::Smtp), None);
        assert_eq!(
            moved.fields().smtp().and_then(|smtp| smtp.username()),
            Some("ana")
        );

        // `imapHost: null` removes the whole IMAP connection, password included.
        let removed = update(connection_patch(
            &moved,
            MailboxPatchRequest {
                imap_host: PatchValue::Null,
                ..MailboxPatchRequest::default()
            },
        ))
        .await?;
        assert_eq!(removed.fields().imap(), None);
        assert_eq!(sealed(&removed, MailServer::Imap), None);
        assert!(removed.fields().smtp().is_some());

        // `smtpHost: null`: no SMTP, so it cannot send.
        let unsendable = update(connection_patch(
            &removed,
            MailboxPatchRequest {
                smtp_host: PatchValue::Null,
                ..MailboxPatchRequest::default()
            },
        ))
        .await?;
        assert_eq!(unsendable.fields().smtp(), None);
        assert!(!unsendable.can_send());
        Ok(())
    })
    .await
}

#[tokio::test]
async fn a_recorded_error_puts_the_mailbox_in_error_in_its_workspace_only_until_new_smtp_settings()
-> anyhow::Result<()> {
    on_every_backend(async |database| {
        let owner = tenant(&database).await?;
        let stranger = tenant(&database).await?;
        let stored = connected(owner, "ana@acme.test");
        database.mailboxes().insert(&stored).await?;
        let message = "SMTP authentication failed: 535 5.7.8 credentials invalid";
        assert!(
            !database
                .mailboxes()
                .record_mailbox_error(stranger.workspace, stored.id(), message, at(90))
                .await?,
            "another workspace's mailbox is not there"
        );
        let untouched = database
            .mailboxes()
            .find(owner.workspace, stored.id())
            .await?
            .context("stored")?;
        assert_eq!(untouched.status(), MailboxStatus::Active);

        assert!(
            database
                .mailboxes()
                .record_mailbox_error(owner.workspace, stored.id(), message, at(90))
                .await?
        );
        let failed = database
            .mailboxes()
            .find(owner.workspace, stored.id())
            .await?
            .context("stored")?;
        assert_eq!(failed.status(), MailboxStatus::Error);
        assert_eq!(failed.last_error(), Some(message));
        assert_eq!(failed.updated_at(), at(90));
        assert!(!failed.can_send());
        assert!(
            !database
                .mailboxes()
                .record_mailbox_error(owner.workspace, new_id(), message, at(90))
                .await?,
            "an unknown mailbox is not there"
        );

        // A change of anything else leaves the error; new SMTP settings are the fix: it may send again.
        let renamed = patch(MailboxPatchRequest {
            display_name: PatchValue::Given("Ana".into()),
            ..MailboxPatchRequest::default()
        });
        let still = database
            .mailboxes()
            .update(owner.workspace, stored.id(), &renamed, at(95))
            .await?
            .context("stored")?;
        assert_eq!(still.status(), MailboxStatus::Error);
        let fixed = connection_patch(
            &failed,
            MailboxPatchRequest {
                smtp_port: PatchValue::Given(465),
                ..MailboxPatchRequest::default()
            },
        );
        let recovered = database
            .mailboxes()
            .update(owner.workspace, stored.id(), &fixed, at(100))
            .await?
            .context("stored")?;
        assert_eq!(recovered.status(), MailboxStatus::Active);
        assert_eq!(recovered.last_error(), None);
        assert!(recovered.can_send());
        Ok(())
    })
    .await
}

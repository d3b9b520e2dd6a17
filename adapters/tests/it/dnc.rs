//! `DncRepository`.

use application::ports::{DncAddition, DncQuery, NewDncEntry};
use domain::dnc::{DncEntry, DncKind, DncReason, ListedDncEntry, dnc_keys_of};
use domain::id::DncEntryId;
use domain::listing::{PageLimit, SubstringSearch};

use crate::support::*;

fn email(raw: &str) -> NewDncEntry {
    entry(DncKind::Email, raw, DncReason::Manual)
}

fn domain(raw: &str) -> NewDncEntry {
    entry(DncKind::Domain, raw, DncReason::Manual)
}

fn entry(kind: DncKind, raw: &str, reason: DncReason) -> NewDncEntry {
    NewDncEntry {
        id: new_id(),
        entry: DncEntry::parse(kind, raw, reason).expect("a valid entry"),
    }
}

fn addition(added: u64, skipped: u64) -> DncAddition {
    DncAddition { added, skipped }
}

fn query(kind: Option<DncKind>, search: Option<&str>, limit: i64) -> DncQuery {
    DncQuery {
        kind,
        search: SubstringSearch::parse(search, 254).expect("a valid search"),
        before: None,
        limit: PageLimit::parse(Some(limit)).expect("a valid limit"),
    }
}

fn values(entries: &[ListedDncEntry]) -> Vec<&str> {
    entries
        .iter()
        .map(|listed| listed.entry().value())
        .collect()
}

/// The addresses of `raw` that are on the list, as `matching` answers them.
async fn matching(
    database: &adapters::Database,
    tenant: Tenant,
    raw: &[&str],
) -> anyhow::Result<Vec<String>> {
    let keys: Vec<_> = raw.iter().map(|raw| dnc_keys_of(&address(raw))).collect();
    Ok(database
        .do_not_contact()
        .matching(tenant.workspace, &keys)
        .await?)
}

#[tokio::test]
async fn dnc_added_entries_read_back_equal_with_the_time_of_the_addition() -> anyhow::Result<()> {
    on_every_backend(async |database| {
        let tenant = tenant(&database).await?;
        let bounce = entry(DncKind::Email, "Ada@Example.COM", DncReason::Bounce);
        let id = bounce.id;
        database
            .do_not_contact()
            .add(tenant.workspace, std::slice::from_ref(&bounce), at(5))
            .await?;
        let page = database
            .do_not_contact()
            .list(tenant.workspace, &query(None, None, 25))
            .await?;
        assert_eq!(
            page.entries,
            [ListedDncEntry::added(
                id,
                tenant.workspace,
                bounce.entry,
                at(5)
            )]
        );
        assert_eq!(page.entries[0].entry().value(), "ada@example.com");
        Ok(())
    })
    .await
}

#[tokio::test]
async fn dnc_add_skips_entries_already_listed_and_repeats_of_the_same_call() -> anyhow::Result<()> {
    on_every_backend(async |database| {
        let tenant = tenant(&database).await?;
        let dnc = database.do_not_contact();
        let first = [email("ada@example.com"), domain("acme.com")];
        assert_eq!(
            dnc.add(tenant.workspace, &first, at(1)).await?,
            addition(2, 0)
        );
        // The same values again (any case), a repeat inside the call, and one new entry; the same
        // value as an entry of the other kind is a different entry.
        let again = [
            email("ADA@example.com"),
            domain("Acme.COM"),
            email("bob@example.com"),
            email("bob@example.com"),
            entry(DncKind::Domain, "example.com", DncReason::Complaint),
        ];
        assert_eq!(
            dnc.add(tenant.workspace, &again, at(2)).await?,
            addition(2, 3)
        );
        let page = dnc.list(tenant.workspace, &query(None, None, 25)).await?;
        assert_eq!(page.total, 4);
        let acme = page
            .entries
            .iter()
            .find(|listed| listed.entry().value() == "acme.com")
            .expect("listed");
        assert_eq!(
            acme.created_at(),
            at(1),
            "a skipped entry is left as it was"
        );
        Ok(())
    })
    .await
}

#[tokio::test]
async fn dnc_add_of_thousands_of_entries_writes_them_all() -> anyhow::Result<()> {
    on_every_backend(async |database| {
        let tenant = tenant(&database).await?;
        let many: Vec<NewDncEntry> = (0..2_500)
            .map(|n| email(&format!("lead{n}@example.com")))
            .collect();
        let dnc = database.do_not_contact();
        assert_eq!(
            dnc.add(tenant.workspace, &many, at(1)).await?,
            addition(2_500, 0)
        );
        assert_eq!(
            dnc.add(tenant.workspace, &many, at(2)).await?,
            addition(0, 2_500)
        );
        let page = dnc.list(tenant.workspace, &query(None, None, 1)).await?;
        assert_eq!(page.total, 2_500);
        Ok(())
    })
    .await
}

#[tokio::test]
async fn dnc_domain_entry_matches_the_domain_and_its_subdomains_only() -> anyhow::Result<()> {
    on_every_backend(async |database| {
        let tenant = tenant(&database).await?;
        database
            .do_not_contact()
            .add(tenant.workspace, &[domain("acme.com")], at(1))
            .await?;
        let matched = matching(
            &database,
            tenant,
            &[
                "ada@acme.com",
                "bob@mail.acme.com",
                "cy@deep.mail.ACME.com",
                "dee@notacme.com",
                "eve@acme.com.evil.test",
                "fay@acme.co",
            ],
        )
        .await?;
        assert_eq!(
            matched,
            ["ada@acme.com", "bob@mail.acme.com", "cy@deep.mail.acme.com"]
        );
        // Alone, without the domain itself in the same batch.
        assert_eq!(
            matching(&database, tenant, &["cy@deep.mail.acme.com"]).await?,
            ["cy@deep.mail.acme.com"]
        );
        Ok(())
    })
    .await
}

#[tokio::test]
async fn dnc_email_entry_matches_that_address_exactly_ignoring_case() -> anyhow::Result<()> {
    on_every_backend(async |database| {
        let tenant = tenant(&database).await?;
        database
            .do_not_contact()
            .add(tenant.workspace, &[email("Bob@Example.com")], at(1))
            .await?;
        let matched = matching(
            &database,
            tenant,
            &[
                "BOB@EXAMPLE.COM",
                "bob@mail.example.com",
                "bobby@example.com",
                "ada@example.com",
            ],
        )
        .await?;
        assert_eq!(matched, ["bob@example.com"]);
        Ok(())
    })
    .await
}

#[tokio::test]
async fn dnc_matching_answers_each_address_once_in_the_order_given() -> anyhow::Result<()> {
    on_every_backend(async |database| {
        let tenant = tenant(&database).await?;
        database
            .do_not_contact()
            .add(
                tenant.workspace,
                &[
                    email("ada@acme.com"),
                    domain("acme.com"),
                    domain("beta.test"),
                ],
                at(1),
            )
            .await?;
        let matched = matching(
            &database,
            tenant,
            &[
                "zed@beta.test",
                "nobody@gamma.test",
                "ada@acme.com",
                "ADA@acme.com",
            ],
        )
        .await?;
        assert_eq!(matched, ["zed@beta.test", "ada@acme.com"]);
        assert!(matching(&database, tenant, &[]).await?.is_empty());
        Ok(())
    })
    .await
}

#[tokio::test]
async fn dnc_entries_of_another_workspace_never_match_skip_list_or_delete() -> anyhow::Result<()> {
    on_every_backend(async |database| {
        let owner = tenant(&database).await?;
        let stranger = tenant(&database).await?;
        let dnc = database.do_not_contact();
        let listed = domain("acme.com");
        let id = listed.id;
        dnc.add(owner.workspace, &[listed, email("ada@beta.test")], at(1))
            .await?;
        assert!(
            matching(&database, stranger, &["ada@acme.com", "ada@beta.test"])
                .await?
                .is_empty()
        );
        let page = dnc.list(stranger.workspace, &query(None, None, 25)).await?;
        assert_eq!((page.entries.len(), page.total), (0, 0));
        assert!(!dnc.delete(stranger.workspace, id).await?);
        assert_eq!(
            dnc.add(stranger.workspace, &[domain("acme.com")], at(2))
                .await?,
            addition(1, 0),
            "another workspace's entry never makes one skipped"
        );
        assert_eq!(
            dnc.list(owner.workspace, &query(None, None, 25))
                .await?
                .total,
            2
        );
        Ok(())
    })
    .await
}

#[tokio::test]
async fn dnc_delete_removes_the_entry_so_it_no_longer_matches() -> anyhow::Result<()> {
    on_every_backend(async |database| {
        let tenant = tenant(&database).await?;
        let dnc = database.do_not_contact();
        let listed = domain("acme.com");
        let id = listed.id;
        dnc.add(tenant.workspace, &[listed], at(1)).await?;
        assert!(dnc.delete(tenant.workspace, id).await?);
        assert!(!dnc.delete(tenant.workspace, id).await?, "gone already");
        assert!(!dnc.delete(tenant.workspace, new_id::<DncEntryId>()).await?);
        assert!(
            matching(&database, tenant, &["ada@acme.com"])
                .await?
                .is_empty()
        );
        Ok(())
    })
    .await
}

#[tokio::test]
async fn dnc_list_is_newest_first_and_pages_by_cursor_with_the_total() -> anyhow::Result<()> {
    on_every_backend(async |database| {
        let tenant = tenant(&database).await?;
        let dnc = database.do_not_contact();
        for (n, raw) in ["a@x.test", "b@x.test", "c@x.test"].into_iter().enumerate() {
            dnc.add(tenant.workspace, &[email(raw)], at(n as i64))
                .await?;
        }
        let first = dnc.list(tenant.workspace, &query(None, None, 2)).await?;
        assert_eq!(values(&first.entries), ["c@x.test", "b@x.test"]);
        assert_eq!((first.total, first.has_more), (3, true));
        let next = DncQuery {
            before: first.entries.last().map(ListedDncEntry::id),
            ..query(None, None, 2)
        };
        let second = dnc.list(tenant.workspace, &next).await?;
        assert_eq!(values(&second.entries), ["a@x.test"]);
        assert_eq!((second.total, second.has_more), (3, false));
        Ok(())
    })
    .await
}

#[tokio::test]
async fn dnc_list_filters_by_type_and_by_a_literal_case_insensitive_substring() -> anyhow::Result<()>
{
    on_every_backend(async |database| {
        let tenant = tenant(&database).await?;
        let dnc = database.do_not_contact();
        dnc.add(
            tenant.workspace,
            &[
                email("ada_lee@acme.com"),
                email("adaxlee@acme.com"),
                domain("acme.com"),
                domain("beta.test"),
            ],
            at(1),
        )
        .await?;
        let domains = dnc
            .list(tenant.workspace, &query(Some(DncKind::Domain), None, 25))
            .await?;
        assert_eq!(values(&domains.entries), ["beta.test", "acme.com"]);
        let acme = dnc
            .list(
                tenant.workspace,
                &query(Some(DncKind::Email), Some("ACME"), 25),
            )
            .await?;
        assert_eq!(acme.total, 2);
        // `_` is a character to find, not LIKE's wildcard.
        let underscore = dnc
            .list(tenant.workspace, &query(None, Some("a_l"), 25))
            .await?;
        assert_eq!(values(&underscore.entries), ["ada_lee@acme.com"]);
        Ok(())
    })
    .await
}

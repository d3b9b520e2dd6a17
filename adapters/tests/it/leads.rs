//! `LeadRepository`: the contract of application/src/ports/leads.rs on every backend, tenancy included.

use application::ports::{LeadQuery, LeadRepository, RepositoryError};
use domain::id::LeadId;
use domain::lead::{Lead, LeadFields};
use domain::lead_custom::{CustomNumber, CustomValue};
use domain::lead_listing::LeadSearch;
use domain::lead_request::LeadRequest;
use domain::listing::PageLimit;
use domain::mailbox_listing::{TagFilter, TagMode};
use domain::problem::JsonPointer;

use crate::support::*;

fn fields(
    email: &str,
    first_name: Option<&str>,
    company: Option<&str>,
    tags: &[&str],
) -> LeadFields {
    LeadFields::parse(
        &LeadRequest {
            email: s(email),
            first_name: first_name.map(str::to_owned),
            company_name: company.map(str::to_owned),
            tags: Some(tags.iter().map(|tag| (*tag).to_owned()).collect()),
            ..LeadRequest::default()
        },
        &JsonPointer::root(),
    )
    .expect("valid lead")
}

fn lead(tenant: Tenant, fields: LeadFields) -> Lead {
    Lead::create(new_id(), tenant.workspace, fields, at(0))
}

fn full_lead(tenant: Tenant) -> Lead {
    let request = LeadRequest {
        email: s("Ada.Lovelace@Example.com"),
        first_name: s("Ada"),
        last_name: s("Lovelace"),
        company_name: s("Analytical Engines"),
        job_title: s("CTO"),
        phone: s("+44 20 7946 0000"),
        linkedin_url: s("https://www.linkedin.com/in/ada"),
        website: s("https://ae.example"),
        city: s("London"),
        state: None,
        country: s("gb"),
        timezone: s("Europe/London"),
        tags: Some(vec!["Fintech".into(), "EU".into()]),
        custom_fields: Some(vec![
            ("lastFunding".into(), CustomValue::Text("Series B".into())),
            (
                "employees".into(),
                CustomValue::Number(
                    CustomNumber::parse("12345678901234567890.10").expect("a number"),
                ),
            ),
            ("vip".into(), CustomValue::Boolean(true)),
            ("note".into(), CustomValue::Null),
        ]),
        extra_fields: Vec::new(),
    };
    lead(
        tenant,
        LeadFields::parse(&request, &JsonPointer::root()).expect("valid lead"),
    )
}

fn query(search: Option<&str>, tags: Option<&str>) -> LeadQuery {
    LeadQuery {
        search: LeadSearch::parse(search).expect("a valid search"),
        tags: TagFilter::parse(tags, TagMode::Any).expect("valid tags"),
        ..LeadQuery::default()
    }
}

async fn emails(
    leads: &dyn LeadRepository,
    tenant: Tenant,
    query: &LeadQuery,
) -> anyhow::Result<Vec<String>> {
    Ok(leads
        .list(tenant.workspace, query)
        .await?
        .leads
        .iter()
        .map(|lead| lead.fields().email().as_str().to_owned())
        .collect())
}

#[tokio::test]
async fn lead_reads_back_equal_with_custom_numbers_exact() -> anyhow::Result<()> {
    on_every_backend(async |database| {
        let tenant = tenant(&database).await?;
        let stored = full_lead(tenant);
        database.leads().insert(&stored).await?;
        let found = database.leads().find(tenant.workspace, stored.id()).await?;
        assert_eq!(found, Some(stored.clone()));
        let by_key = database
            .leads()
            .find_by_email_keys(tenant.workspace, &["ada.lovelace@example.com".to_owned()])
            .await?;
        assert_eq!(by_key, vec![stored]);
        Ok(())
    })
    .await
}

#[tokio::test]
async fn emails_are_unique_per_workspace_ignoring_case_and_only_there() -> anyhow::Result<()> {
    on_every_backend(async |database| {
        let owner = tenant(&database).await?;
        let other = tenant(&database).await?;
        let leads = database.leads();
        leads
            .insert(&lead(owner, fields("ada@example.com", None, None, &[])))
            .await?;
        let again = leads
            .insert(&lead(owner, fields("ADA@Example.com", None, None, &[])))
            .await;
        assert!(
            matches!(again, Err(RepositoryError::Conflict(_))),
            "{again:?}"
        );
        leads
            .insert(&lead(other, fields("ada@example.com", None, None, &[])))
            .await?;
        let page = leads.list(owner.workspace, &LeadQuery::default()).await?;
        assert_eq!(page.total, 1, "the refused insert wrote nothing");
        Ok(())
    })
    .await
}

#[tokio::test]
async fn another_workspaces_lead_behaves_as_absent() -> anyhow::Result<()> {
    on_every_backend(async |database| {
        let owner = tenant(&database).await?;
        let stranger = tenant(&database).await?;
        let leads = database.leads();
        let stored = lead(owner, fields("ada@example.com", Some("Ada"), None, &["x"]));
        leads.insert(&stored).await?;
        assert_eq!(leads.find(stranger.workspace, stored.id()).await?, None);
        assert!(
            leads
                .find_by_email_keys(stranger.workspace, &["ada@example.com".to_owned()])
                .await?
                .is_empty()
        );
        assert!(
            emails(leads.as_ref(), stranger, &query(Some("ada"), Some("x")))
                .await?
                .is_empty()
        );
        assert!(!leads.delete(stranger.workspace, stored.id()).await?);
        let moved = Lead::restore(
            stored.id(),
            stranger.workspace,
            fields("eve@example.com", None, None, &[]),
            at(0),
            at(5),
        );
        assert!(
            !leads.update(&moved).await?,
            "an update names its workspace"
        );
        assert_eq!(
            leads.find(owner.workspace, stored.id()).await?,
            Some(stored)
        );
        Ok(())
    })
    .await
}

#[tokio::test]
async fn list_is_newest_first_in_pages_with_a_cursor_and_a_total() -> anyhow::Result<()> {
    on_every_backend(async |database| {
        let tenant = tenant(&database).await?;
        let leads = database.leads();
        let mut ids: Vec<LeadId> = Vec::new();
        for index in 0..5 {
            let stored = lead(
                tenant,
                fields(&format!("l{index}@example.com"), None, None, &[]),
            );
            ids.push(stored.id());
            leads.insert(&stored).await?;
        }
        ids.reverse();
        let mut query = LeadQuery {
            limit: PageLimit::parse(Some(2)).expect("a limit"),
            ..LeadQuery::default()
        };
        let mut seen = Vec::new();
        loop {
            let page = leads.list(tenant.workspace, &query).await?;
            assert_eq!(page.total, 5);
            seen.extend(page.leads.iter().map(Lead::id));
            if !page.has_more {
                break;
            }
            query.before = page.leads.last().map(Lead::id);
        }
        assert_eq!(seen, ids);
        Ok(())
    })
    .await
}

#[tokio::test]
async fn search_finds_substrings_of_email_names_and_company_ignoring_case() -> anyhow::Result<()> {
    on_every_backend(async |database| {
        let tenant = tenant(&database).await?;
        let leads = database.leads();
        for stored in [
            lead(
                tenant,
                fields(
                    "ada@analytical.example",
                    Some("Ada"),
                    Some("Analytical Engines"),
                    &[],
                ),
            ),
            lead(
                tenant,
                fields("grace@navy.example", Some("Grâce"), Some("US Navy"), &[]),
            ),
            lead(
                tenant,
                fields(
                    "edsger@tue.example",
                    Some("Edsger"),
                    Some("100%_Correct"),
                    &[],
                ),
            ),
        ] {
            leads.insert(&stored).await?;
        }
        let cases: [(&str, &[&str]); 9] = [
            ("ENGINES", &["ada@analytical.example"]),
            ("navy.exa", &["grace@navy.example"]),
            ("GRÂ", &["grace@navy.example"]),
            ("Â", &["grace@navy.example"]),
            ("ed", &["edsger@tue.example"]),
            ("0%_c", &["edsger@tue.example"]),
            ("%", &["edsger@tue.example"]),
            ("x_y", &[]),
            ("nowhere", &[]),
        ];
        for (search, expected) in cases {
            let found = emails(leads.as_ref(), tenant, &query(Some(search), None)).await?;
            assert_eq!(found, expected, "search {search:?}");
            let page = leads
                .list(tenant.workspace, &query(Some(search), None))
                .await?;
            assert_eq!(page.total as usize, expected.len(), "total of {search:?}");
        }
        Ok(())
    })
    .await
}

#[tokio::test]
async fn a_searched_list_pages_newest_first_with_the_total_of_every_match() -> anyhow::Result<()> {
    on_every_backend(async |database| {
        let other = tenant(&database).await?;
        let tenant = tenant(&database).await?;
        let leads = database.leads();
        let mut ids: Vec<LeadId> = Vec::new();
        for index in 0..7 {
            // Every other lead matches `findme`, and so does a lead of another workspace.
            let email = if index % 2 == 0 {
                format!("findme{index}@example.com")
            } else {
                format!("other{index}@example.com")
            };
            let stored = lead(tenant, fields(&email, None, None, &["t"]));
            if index % 2 == 0 {
                ids.push(stored.id());
            }
            leads.insert(&stored).await?;
        }
        leads
            .insert(&lead(other, fields("findme@example.com", None, None, &[])))
            .await?;
        ids.reverse();
        for tags in [None, Some("t")] {
            let mut search = query(Some("FINDME"), tags);
            search.limit = PageLimit::parse(Some(3)).expect("a limit");
            let mut seen = Vec::new();
            loop {
                let page = leads.list(tenant.workspace, &search).await?;
                assert_eq!(page.total, 4, "tags {tags:?}");
                seen.extend(page.leads.iter().map(Lead::id));
                if !page.has_more {
                    break;
                }
                search.before = page.leads.last().map(Lead::id);
            }
            assert_eq!(seen, ids, "tags {tags:?}");
            // A cursor past the last match: an empty page, still with every match's total.
            search.before = ids.last().copied();
            let past = leads.list(tenant.workspace, &search).await?;
            assert!(past.leads.is_empty() && !past.has_more);
            assert_eq!(past.total, 4, "tags {tags:?}");
        }
        let none = leads
            .list(tenant.workspace, &query(Some("nobody"), None))
            .await?;
        assert_eq!((none.leads.len(), none.total, none.has_more), (0, 0, false));
        Ok(())
    })
    .await
}

#[tokio::test]
async fn a_search_matching_thousands_pages_newest_first_with_the_exact_total_in_any_insertion_order()
-> anyhow::Result<()> {
    // More matches than SQLite's first statement gathers (2,000), stored in an order that is not
    // the order of their ids: the newest ids written first, the rest oldest first in batches
    // written newest first, so that the most recently stored matches are not the newest leads.
    const MATCHES: usize = 2_150;
    on_every_backend(async |database| {
        let other = tenant(&database).await?;
        let tenant = tenant(&database).await?;
        let leads = database.leads();
        let matching: Vec<Lead> = (0..MATCHES)
            .map(|index| {
                let email = format!("dense{index}@example.com");
                lead(tenant, fields(&email, None, None, &["t"]))
            })
            .collect();
        let (older, newest) = matching.split_at(MATCHES - 300);
        let mut batches = vec![newest.to_vec()];
        batches.extend(older.chunks(700).rev().map(<[Lead]>::to_vec));
        batches.push(
            (0..40)
                .map(|index| {
                    lead(
                        tenant,
                        fields(&format!("n{index}@x.example"), None, None, &[]),
                    )
                })
                .collect(),
        );
        for batch in batches {
            leads
                .write_batch(tenant.workspace, batch, Vec::new())
                .await?;
        }
        let strangers = (0..30)
            .map(|index| {
                lead(
                    other,
                    fields(&format!("dense{index}@o.example"), None, None, &[]),
                )
            })
            .collect();
        leads
            .write_batch(other.workspace, strangers, Vec::new())
            .await?;

        let mut expected: Vec<LeadId> = matching.iter().map(Lead::id).collect();
        expected.sort();
        expected.reverse();
        for tags in [None, Some("t")] {
            let mut search = query(Some("DENSE"), tags);
            search.limit = PageLimit::parse(Some(100)).expect("a limit");
            let mut seen = Vec::new();
            loop {
                let page = leads.list(tenant.workspace, &search).await?;
                assert_eq!(page.total as usize, MATCHES, "tags {tags:?}");
                assert_eq!(page.leads.len(), 100.min(MATCHES - seen.len()));
                seen.extend(page.leads.iter().map(Lead::id));
                if !page.has_more {
                    break;
                }
                search.before = page.leads.last().map(Lead::id);
            }
            assert_eq!(seen, expected, "tags {tags:?}");
            search.before = expected.last().copied();
            let past = leads.list(tenant.workspace, &search).await?;
            assert!(past.leads.is_empty() && !past.has_more);
            assert_eq!(past.total as usize, MATCHES, "tags {tags:?}");
        }
        // A search the first statement answers whole: a handful of the same leads.
        let few = leads
            .list(tenant.workspace, &query(Some("dense214"), None))
            .await?;
        let mut few_expected: Vec<LeadId> = matching
            .iter()
            .filter(|lead| lead.fields().email().as_str().starts_with("dense214"))
            .map(Lead::id)
            .collect();
        few_expected.sort();
        few_expected.reverse();
        assert_eq!(
            few.leads.iter().map(Lead::id).collect::<Vec<_>>(),
            few_expected
        );
        assert_eq!(few.total as usize, few_expected.len());
        Ok(())
    })
    .await
}

#[tokio::test]
async fn tags_filter_matches_any_tag_ignoring_case() -> anyhow::Result<()> {
    on_every_backend(async |database| {
        let tenant = tenant(&database).await?;
        let leads = database.leads();
        leads
            .insert(&lead(
                tenant,
                fields("a@x.example", None, None, &["Fintech"]),
            ))
            .await?;
        leads
            .insert(&lead(
                tenant,
                fields("b@x.example", None, None, &["health", "EU"]),
            ))
            .await?;
        leads
            .insert(&lead(tenant, fields("c@x.example", None, None, &[])))
            .await?;
        let found = emails(leads.as_ref(), tenant, &query(None, Some("FINTECH,eu"))).await?;
        assert_eq!(found, ["b@x.example", "a@x.example"]);
        let both = emails(leads.as_ref(), tenant, &query(Some("b@x"), Some("eu"))).await?;
        assert_eq!(both, ["b@x.example"], "search and tags both hold");
        Ok(())
    })
    .await
}

#[tokio::test]
async fn update_rewrites_the_lead_its_tags_and_its_search_entry() -> anyhow::Result<()> {
    on_every_backend(async |database| {
        let tenant = tenant(&database).await?;
        let leads = database.leads();
        let stored = lead(
            tenant,
            fields("ada@example.com", Some("Ada"), None, &["old"]),
        );
        leads.insert(&stored).await?;
        let changed = stored.clone().with_fields(
            fields("augusta@example.com", Some("Augusta"), None, &["new"]),
            at(9),
        );
        assert!(leads.update(&changed).await?);
        assert_eq!(
            leads.find(tenant.workspace, stored.id()).await?,
            Some(changed)
        );
        assert!(
            emails(leads.as_ref(), tenant, &query(Some("ada@"), None))
                .await?
                .is_empty()
        );
        assert_eq!(
            emails(leads.as_ref(), tenant, &query(Some("augusta"), Some("new"))).await?,
            ["augusta@example.com"]
        );
        assert!(
            emails(leads.as_ref(), tenant, &query(None, Some("old")))
                .await?
                .is_empty()
        );
        Ok(())
    })
    .await
}

#[tokio::test]
async fn a_batch_updates_its_leads_together_replacing_their_tags_and_skips_deleted_ones()
-> anyhow::Result<()> {
    on_every_backend(async |database| {
        let other = tenant(&database).await?;
        let tenant = tenant(&database).await?;
        let leads = database.leads();
        let ada = lead(tenant, fields("ada@example.com", Some("Ada"), None, &["x"]));
        let grace = lead(tenant, fields("grace@example.com", None, None, &["y"]));
        let gone = lead(tenant, fields("gone@example.com", None, None, &["z"]));
        let stranger = lead(other, fields("ada@example.com", Some("Ada"), None, &["x"]));
        for stored in [&ada, &grace, &gone, &stranger] {
            leads.insert(stored).await?;
        }
        assert!(leads.delete(tenant.workspace, gone.id()).await?);
        let ada_changed = ada.clone().with_fields(
            fields(
                "Ada@example.com",
                Some("Augusta"),
                Some("Engines"),
                &["X", "new"],
            ),
            at(5),
        );
        let grace_changed = grace
            .clone()
            .with_fields(fields("grace@example.com", None, None, &[]), at(6));
        let gone_changed = gone
            .clone()
            .with_fields(fields("gone@example.com", Some("Back"), None, &[]), at(7));
        let written = leads
            .write_batch(
                tenant.workspace,
                Vec::new(),
                vec![ada_changed.clone(), gone_changed, grace_changed.clone()],
            )
            .await?;
        assert_eq!(written.updated, vec![ada.id(), grace.id()]);
        assert!(written.inserted.is_empty());
        assert_eq!(
            leads.find(tenant.workspace, ada.id()).await?,
            Some(ada_changed)
        );
        assert_eq!(
            leads.find(tenant.workspace, grace.id()).await?,
            Some(grace_changed)
        );
        assert_eq!(leads.find(tenant.workspace, gone.id()).await?, None);
        assert_eq!(
            emails(leads.as_ref(), tenant, &query(None, Some("new"))).await?,
            ["Ada@example.com"]
        );
        assert_eq!(
            emails(leads.as_ref(), tenant, &query(Some("engines"), Some("x"))).await?,
            ["Ada@example.com"]
        );
        assert!(
            emails(leads.as_ref(), tenant, &query(None, Some("y")))
                .await?
                .is_empty()
        );
        assert_eq!(
            leads.find(other.workspace, stranger.id()).await?,
            Some(stranger),
            "another workspace's lead of the same email is untouched"
        );
        Ok(())
    })
    .await
}

#[tokio::test]
async fn update_to_an_email_another_lead_has_is_a_conflict_and_writes_nothing() -> anyhow::Result<()>
{
    on_every_backend(async |database| {
        let tenant = tenant(&database).await?;
        let leads = database.leads();
        let ada = lead(tenant, fields("ada@example.com", None, None, &[]));
        leads.insert(&ada).await?;
        leads
            .insert(&lead(tenant, fields("grace@example.com", None, None, &[])))
            .await?;
        let clash = ada
            .clone()
            .with_fields(fields("GRACE@example.com", None, None, &["t"]), at(3));
        let updated = leads.update(&clash).await;
        assert!(
            matches!(updated, Err(RepositoryError::Conflict(_))),
            "{updated:?}"
        );
        assert_eq!(leads.find(tenant.workspace, ada.id()).await?, Some(ada));
        Ok(())
    })
    .await
}

#[tokio::test]
async fn delete_removes_the_lead_from_reads_searches_and_tags() -> anyhow::Result<()> {
    on_every_backend(async |database| {
        let tenant = tenant(&database).await?;
        let leads = database.leads();
        let stored = lead(tenant, fields("ada@example.com", Some("Ada"), None, &["t"]));
        leads.insert(&stored).await?;
        assert!(leads.delete(tenant.workspace, stored.id()).await?);
        assert!(!leads.delete(tenant.workspace, stored.id()).await?);
        assert_eq!(leads.find(tenant.workspace, stored.id()).await?, None);
        assert!(
            emails(leads.as_ref(), tenant, &query(Some("ada@ex"), None))
                .await?
                .is_empty()
        );
        assert!(
            emails(leads.as_ref(), tenant, &query(None, Some("t")))
                .await?
                .is_empty()
        );
        leads
            .insert(&lead(tenant, fields("ada@example.com", None, None, &[])))
            .await?;
        Ok(())
    })
    .await
}

#[tokio::test]
async fn a_batch_inserts_new_leads_in_chunks_skips_taken_emails_and_updates() -> anyhow::Result<()>
{
    on_every_backend(async |database| {
        let tenant = tenant(&database).await?;
        let leads = database.leads();
        let taken = lead(
            tenant,
            fields("taken@example.com", Some("First"), None, &[]),
        );
        leads.insert(&taken).await?;
        // More than one INSERT's worth of rows (5,000 a statement).
        let mut inserts: Vec<Lead> = (0..5_100)
            .map(|index| {
                lead(
                    tenant,
                    fields(&format!("n{index}@example.com"), None, None, &["bulk"]),
                )
            })
            .collect();
        let loser = lead(
            tenant,
            fields("TAKEN@example.com", Some("Second"), None, &["loser"]),
        );
        inserts.insert(7, loser.clone());
        let update = taken.clone().with_fields(
            fields("taken@example.com", Some("Updated"), None, &["kept"]),
            at(4),
        );
        let written = leads
            .write_batch(tenant.workspace, inserts.clone(), vec![update.clone()])
            .await?;
        assert_eq!(written.inserted.len(), 5_100);
        assert!(!written.inserted.contains(&loser.id()));
        assert_eq!(written.updated, vec![taken.id()]);
        assert_eq!(leads.find(tenant.workspace, loser.id()).await?, None);
        assert_eq!(
            leads.find(tenant.workspace, taken.id()).await?,
            Some(update)
        );
        let tagged = leads
            .list(tenant.workspace, &query(None, Some("bulk")))
            .await?;
        assert_eq!(tagged.total, 5_100);
        assert!(
            emails(leads.as_ref(), tenant, &query(None, Some("loser")))
                .await?
                .is_empty()
        );
        let searched = leads
            .list(tenant.workspace, &query(Some("n5099@"), None))
            .await?;
        assert_eq!(searched.total, 1, "batch rows are in the search index");
        Ok(())
    })
    .await
}

//! The campaign name search served by an index (issue 18): the same answers as the case-insensitive
//! substring match it replaces, on every backend, whatever index serves a search.

use adapters::Database;
use application::ports::{CampaignQuery, Version, WriteOutcome};
use domain::campaign::Campaign;
use domain::listing::{NameSearch, PageLimit};
use domain::status::CampaignStatus;

use crate::support::*;

const NAMES: &[&str] = &[
    "100% Growth",
    "100 Growth",
    "under_score plan",
    "underXscore plan",
    "Back\\slash list",
    "Quote \"this\" one",
    "Ünïcode STRASSE Straße",
    "ÉQUIPE Été",
    "ete without accents",
    "MiXeD CaSe Launch",
    "a",
    "ab",
    "abc",
    "xabcx",
    "日本語のキャンペーン",
    "Q2 Outbound - Decision Makers #42",
    "Q2 Outbound - Decision Makers #420",
];

const SEARCHES: &[&str] = &[
    "%",
    "_",
    "\\",
    "\"",
    "100%",
    "0% g",
    "e_s",
    "r_s",
    "\\sla",
    "\"this\"",
    "straße",
    "STRASSE",
    "ünï",
    "ÜNÏCODE",
    "été",
    "ÉTÉ",
    "ete",
    "mixed case",
    "LAUNCH",
    "a",
    "ab",
    "b",
    "abc",
    "bcx",
    "日本",
    "日本語",
    "キャンペーン",
    "makers #42",
    "MAKERS #420",
    "nothing like it",
    "é",
];

async fn store(
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

fn searching(text: &str, limit: i64) -> CampaignQuery {
    CampaignQuery {
        name: NameSearch::parse(Some(text)).expect("a valid search"),
        limit: PageLimit::parse(Some(limit)).expect("a valid limit"),
        ..CampaignQuery::default()
    }
}

/// Every name the search finds, newest first, read a page of `limit` at a time; and the total.
async fn found(
    database: &Database,
    tenant: Tenant,
    text: &str,
    limit: i64,
) -> anyhow::Result<(Vec<String>, u64)> {
    let mut names = Vec::new();
    let mut query = searching(text, limit);
    let mut totals = Vec::new();
    loop {
        let page = database.campaigns().list(tenant.workspace, &query).await?;
        names.extend(
            page.campaigns
                .iter()
                .map(|found| found.name().as_str().to_owned()),
        );
        totals.push(page.total);
        match (page.has_more, page.campaigns.last()) {
            (true, Some(last)) => query.before = Some(last.id()),
            _ => break,
        }
    }
    totals.dedup();
    assert_eq!(
        totals.len(),
        1,
        "{text:?}: every page counts the same total"
    );
    Ok((names, totals[0]))
}

/// What the search means: the names containing the search, ignoring case (the domain's own rule),
/// newest first.
fn expected(names: &[&str], text: &str) -> Vec<String> {
    let search = NameSearch::parse(Some(text))
        .expect("a valid search")
        .expect("not blank");
    names
        .iter()
        .rev()
        .filter(|name| search.matches(name))
        .map(|name| (*name).to_owned())
        .collect()
}

#[tokio::test]
async fn name_search_finds_exactly_the_names_containing_it_ignoring_case_short_or_long()
-> anyhow::Result<()> {
    on_every_backend(async |database| {
        let tenant = tenant(&database).await?;
        let other = tenant_of_another(&database).await?;
        store(&database, tenant, NAMES).await?;
        // Another workspace's campaigns with the same names are never found.
        store(&database, other, NAMES).await?;
        for text in SEARCHES {
            let want = expected(NAMES, text);
            for limit in [100, 2] {
                let (names, total) = found(&database, tenant, text, limit).await?;
                assert_eq!(names, want, "{text:?}, pages of {limit}");
                assert_eq!(total, want.len() as u64, "{text:?}, pages of {limit}");
            }
        }
        Ok(())
    })
    .await
}

async fn tenant_of_another(database: &Database) -> anyhow::Result<Tenant> {
    tenant(database).await
}

#[tokio::test]
async fn name_search_follows_renames_and_deletes() -> anyhow::Result<()> {
    on_every_backend(async |database| {
        let tenant = tenant(&database).await?;
        let stored = store(&database, tenant, &["Spring launch", "Autumn launch"]).await?;
        let campaigns = database.campaigns();
        let renamed = updated(
            &stored[0],
            |request| request.name = s("Winter sale"),
            None,
            at(10),
        );
        assert_eq!(
            campaigns.update(&renamed, Version(0)).await?,
            WriteOutcome::Written
        );
        assert_eq!(
            found(&database, tenant, "spring", 25).await?,
            (Vec::<String>::new(), 0)
        );
        assert_eq!(
            found(&database, tenant, "WINTER", 25).await?,
            (vec!["Winter sale".to_owned()], 1)
        );
        assert_eq!(
            campaigns
                .delete(tenant.workspace, stored[1].id(), Version(0))
                .await?,
            WriteOutcome::Written
        );
        assert_eq!(
            found(&database, tenant, "launch", 25).await?,
            (Vec::<String>::new(), 0)
        );
        Ok(())
    })
    .await
}

#[tokio::test]
async fn name_search_with_a_status_filter_finds_only_that_status() -> anyhow::Result<()> {
    on_every_backend(async |database| {
        let tenant = tenant(&database).await?;
        store(&database, tenant, &["Launch one", "Launch two"]).await?;
        let drafts = CampaignQuery {
            status: Some(CampaignStatus::Draft),
            ..searching("launch", 25)
        };
        let page = database.campaigns().list(tenant.workspace, &drafts).await?;
        assert_eq!(page.total, 2);
        let active = CampaignQuery {
            status: Some(CampaignStatus::Active),
            ..searching("launch", 25)
        };
        let page = database.campaigns().list(tenant.workspace, &active).await?;
        assert_eq!((page.campaigns.len(), page.total), (0, 0));
        Ok(())
    })
    .await
}

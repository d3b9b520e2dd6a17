//! Spec 4.1: mailbox selectors, their union and its order; and what Campaign::create adds.

use chrono::{TimeZone, Utc};
use domain::campaign::{Campaign, NewCampaign, Provisions};
use domain::id::{AgentId, CampaignId, MailboxId, ObjectId, UserId, WorkspaceId};
use domain::mailbox::{MailboxProvider, MailboxSelection, MailboxSummary};
use domain::problem::JsonPointer;
use domain::problem::ProblemCode::*;
use domain::request::{CampaignRequest, MailboxSelectorsRequest, SettingsRequest, WebhookRequest};
use domain::status::CampaignStatus;
use domain::values::{EmailAddress, WebhookSecret};

use crate::support::*;

fn id(n: u8) -> MailboxId {
    MailboxId::from(ObjectId::from_parts(1_700_000_000, [0; 5], u32::from(n)))
}

fn mailbox(n: u8, email: &str, provider: MailboxProvider, tags: &[&str]) -> MailboxSummary {
    MailboxSummary {
        id: id(n),
        email: EmailAddress::parse(email).expect("valid address"),
        provider,
        tags: tags.iter().map(|tag| tag.to_string()).collect(),
    }
}

fn workspace() -> Vec<MailboxSummary> {
    vec![
        mailbox(5, "five@example.com", MailboxProvider::Gmail, &["Outreach"]),
        mailbox(
            1,
            "one@example.com",
            MailboxProvider::Outlook,
            &["outreach", "eu"],
        ),
        mailbox(3, "three@example.com", MailboxProvider::Custom, &["us"]),
        mailbox(2, "two@example.com", MailboxProvider::Gmail, &[]),
        mailbox(4, "four@example.com", MailboxProvider::Azure, &["OUTREACH"]),
    ]
}

fn selection(selectors: MailboxSelectorsRequest) -> MailboxSelection {
    MailboxSelection::parse(&selectors, &JsonPointer::root()).expect("valid selectors")
}

fn strings(items: &[&str]) -> Option<Vec<String>> {
    Some(items.iter().map(|item| item.to_string()).collect())
}

#[test]
fn rule_4_1_union_is_ids_then_emails_then_tags_then_provider_without_duplicates() {
    let chosen = selection(MailboxSelectorsRequest {
        mailboxes: strings(&[&id(3).to_string()]),
        mailbox_ids: strings(&[&id(2).to_string(), &id(3).to_string()]),
        mailbox_emails: strings(&["FIVE@example.com", "two@example.com"]),
        mailbox_tags: strings(&["outreach"]),
        mailbox_provider: Some("gmail".into()),
    })
    .resolve(&workspace())
    .expect("all found");
    // ids as given (3, 2), emails as given (5; 2 already chosen), tags by ascending id (1, 4; 5 chosen),
    // provider by ascending id (2 and 5 already chosen).
    assert_eq!(chosen, vec![id(3), id(2), id(5), id(1), id(4)]);
}

#[test]
fn rule_4_1_tags_match_any_case_insensitively_in_ascending_id_order() {
    let chosen = selection(MailboxSelectorsRequest {
        mailbox_tags: strings(&["OutReach", "US"]),
        ..Default::default()
    })
    .resolve(&workspace())
    .expect("tags never fail");
    assert_eq!(chosen, vec![id(1), id(3), id(4), id(5)]);
}

#[test]
fn rule_4_1_tags_or_provider_matching_nothing_is_not_an_error() {
    let chosen = selection(MailboxSelectorsRequest {
        mailbox_tags: strings(&["nobody"]),
        mailbox_provider: Some("azure".into()),
        ..Default::default()
    })
    .resolve(&workspace()[..4])
    .expect("tags and provider never fail");
    assert!(chosen.is_empty());
}

#[test]
fn rule_4_1_every_missing_id_and_email_is_reported_with_its_pointer() {
    let missing = id(9).to_string();
    let problems = selection(MailboxSelectorsRequest {
        mailboxes: strings(&[&missing]),
        mailbox_ids: strings(&[&id(1).to_string(), &missing]),
        mailbox_emails: strings(&["nobody@example.com", "one@example.com"]),
        ..Default::default()
    })
    .resolve(&workspace())
    .expect_err("missing items");
    let found: Vec<(String, _)> = problems
        .iter()
        .map(|problem| (problem.pointer().to_string(), problem.code()))
        .collect();
    assert_eq!(
        found,
        vec![
            ("/mailboxes/0".to_owned(), MailboxNotFound),
            ("/mailboxIds/1".to_owned(), MailboxNotFound),
            ("/mailboxEmails/0".to_owned(), MailboxNotFound),
        ]
    );
}

#[test]
fn rule_4_1_selectors_must_be_well_formed() {
    let request = CampaignRequest {
        mailbox_selectors: MailboxSelectorsRequest {
            mailboxes: strings(&["665B1C2D3E4F5A6B7C8D9E0F"]),
            mailbox_ids: strings(&["short"]),
            mailbox_emails: strings(&["not an address"]),
            mailbox_tags: strings(&[" "]),
            mailbox_provider: Some("yahoo".into()),
        },
        ..campaign("Selectors")
    };
    assert_eq!(
        problems(&request),
        vec![
            ("/mailboxes/0".to_owned(), InvalidFormat),
            ("/mailboxIds/0".to_owned(), InvalidFormat),
            ("/mailboxEmails/0".to_owned(), InvalidFormat),
            ("/mailboxTags/0".to_owned(), Blank),
            ("/mailboxProvider".to_owned(), InvalidValue),
        ]
    );
}

fn provisions(mailboxes: Vec<MailboxId>) -> Provisions {
    Provisions {
        id: CampaignId::from(ObjectId::from_parts(1_750_000_000, [1; 5], 1)),
        workspace_id: WorkspaceId::from(ObjectId::from_parts(1, [2; 5], 2)),
        user_id: UserId::from(ObjectId::from_parts(1, [3; 5], 3)),
        now: Utc
            .with_ymd_and_hms(2025, 6, 10, 10, 30, 0)
            .single()
            .expect("valid time"),
        mailboxes,
        ai_agent_id: Some(AgentId::from(ObjectId::from_parts(1, [4; 5], 4))),
        webhook_secret: Some(WebhookSecret::from_random_bytes([7; 32])),
    }
}

#[test]
fn rule_4_8_a_created_campaign_is_a_draft_with_zeroed_counters_and_fresh_subsequence_ids() {
    let request = CampaignRequest {
        subsequences: Some(vec![ai_tag_subsequence("Interested"), reply_subsequence()]),
        settings: Some(SettingsRequest {
            ai_agent_enabled: Some(true),
            webhook: Some(WebhookRequest {
                enabled: Some(true),
                url: s("https://hooks.example.com/sendline"),
                secret: None,
                events: strings(&["email.sent"]),
            }),
            ..Default::default()
        }),
        ..with_sequence(vec![email("Hi", "Hello")])
    };
    let new: NewCampaign = valid(&request);
    let mut counter = 100;
    let campaign = Campaign::create(new, provisions(vec![id(2), id(1)]), || {
        counter += 1;
        ObjectId::from_parts(1_750_000_000, [9; 5], counter)
    });
    assert_eq!(campaign.status(), CampaignStatus::Draft);
    assert_eq!(campaign.mailboxes(), &[id(2), id(1)]);
    assert_eq!(campaign.mailbox_rotation(), "round-robin");
    assert_eq!(campaign.stats(), Default::default());
    assert_eq!(campaign.started_at(), None);
    assert_eq!(campaign.completed_at(), None);
    assert_eq!(campaign.created_at(), campaign.updated_at());
    let subsequence_ids: Vec<String> = campaign
        .subsequences()
        .iter()
        .map(|sub| sub.id().to_string())
        .collect();
    assert_eq!(subsequence_ids.len(), 2);
    assert_ne!(subsequence_ids[0], subsequence_ids[1]);
    for subsequence in campaign.subsequences() {
        assert_eq!(subsequence.added_count(), 0);
        assert_eq!(subsequence.stats(), Default::default());
        assert!(subsequence.enabled() && !subsequence.archived());
    }
    assert_eq!(
        campaign.subsequences()[1].trigger().value(),
        None,
        "a reply trigger stores a null value"
    );
    assert!(
        campaign.settings().ai_agent_id().is_some(),
        "the resolved agent is stored"
    );
    let secret = campaign
        .settings()
        .webhook()
        .secret()
        .expect("generated secret");
    assert_eq!(secret.as_str(), format!("whsec_{}", "07".repeat(32)));
}

//! Create-campaign against mocked ports: the port-dependent rules of spec 4.1 and 4.5.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use chrono::{TimeZone, Utc};
use domain::id::{AgentId, MailboxId, ObjectId, UserId, WorkspaceId};
use domain::mailbox::{MailboxProvider, MailboxSummary};
use domain::problem::{JsonPointer, ProblemCode, Problems};
use domain::request::{
    CampaignRequest, MailboxSelectorsRequest, SettingsRequest, StepRequest, WebhookRequest,
};
use domain::values::{EmailAddress, WebhookHostPolicy, WebhookSecret};

use super::{CreateCampaign, CreateCampaignError};
use crate::ports::{
    MockAgentRepository, MockCampaignRepository, MockClock, MockIdGenerator, MockMailboxRepository,
    MockSecretGenerator, RepositoryError,
};
use crate::tenancy::Tenancy;

fn object_id(seconds: u32, counter: u32) -> ObjectId {
    ObjectId::from_parts(seconds, [0xab; 5], counter)
}

fn workspace(n: u32) -> WorkspaceId {
    WorkspaceId::from(object_id(1_000 + n, n))
}

fn tenancy(n: u32) -> Tenancy {
    Tenancy {
        workspace_id: workspace(n),
        user_id: UserId::from(object_id(2_000 + n, n)),
    }
}

fn mailbox_id(n: u32) -> MailboxId {
    MailboxId::from(object_id(3_000, n))
}

fn agent_id(n: u32) -> AgentId {
    AgentId::from(object_id(4_000, n))
}

/// Mailboxes of two workspaces; the directory answers only from the asked workspace's.
fn stored_mailboxes() -> Vec<(WorkspaceId, MailboxSummary)> {
    let summary = |n: u32, email: &str, provider, tags: &[&str]| MailboxSummary {
        id: mailbox_id(n),
        email: EmailAddress::parse(email).expect("valid address"),
        provider,
        tags: tags.iter().map(|tag| tag.to_string()).collect(),
    };
    vec![
        (
            workspace(1),
            summary(1, "one@a.example", MailboxProvider::Gmail, &["outreach"]),
        ),
        (
            workspace(1),
            summary(2, "two@a.example", MailboxProvider::Outlook, &["Outreach"]),
        ),
        (
            workspace(1),
            summary(3, "three@a.example", MailboxProvider::Custom, &[]),
        ),
        (
            workspace(2),
            summary(9, "nine@b.example", MailboxProvider::Gmail, &["outreach"]),
        ),
    ]
}

fn directory_over_stored_mailboxes() -> MockMailboxRepository {
    let mut directory = MockMailboxRepository::new();
    directory.expect_candidates().returning(|workspace, _| {
        Ok(stored_mailboxes()
            .into_iter()
            .filter(|(owner, _)| *owner == workspace)
            .map(|(_, summary)| summary)
            .collect())
    });
    directory
}

struct Ports {
    campaigns: MockCampaignRepository,
    mailboxes: MockMailboxRepository,
    agents: MockAgentRepository,
    secrets: MockSecretGenerator,
}

impl Ports {
    fn new() -> Self {
        Self {
            campaigns: MockCampaignRepository::new(),
            mailboxes: directory_over_stored_mailboxes(),
            agents: MockAgentRepository::new(),
            secrets: MockSecretGenerator::new(),
        }
    }

    fn storing(mut self) -> Self {
        self.campaigns
            .expect_insert()
            .times(1)
            .returning(|_| Ok(()));
        self
    }

    fn storing_nothing(mut self) -> Self {
        self.campaigns.expect_insert().never();
        self
    }

    fn use_case(self) -> CreateCampaign {
        let mut clock = MockClock::new();
        clock.expect_now().returning(|| {
            Utc.with_ymd_and_hms(2025, 6, 10, 10, 30, 0)
                .single()
                .expect("valid")
        });
        let counter = AtomicU32::new(0);
        let mut ids = MockIdGenerator::new();
        ids.expect_new_id()
            .returning(move || object_id(5_000, counter.fetch_add(1, Ordering::Relaxed)));
        CreateCampaign {
            campaigns: Arc::new(self.campaigns),
            mailboxes: Arc::new(self.mailboxes),
            agents: Arc::new(self.agents),
            clock: Arc::new(clock),
            ids: Arc::new(ids),
            secrets: Arc::new(self.secrets),
            webhook_hosts: WebhookHostPolicy::PublicOnly,
        }
    }
}

fn strings(items: &[&str]) -> Option<Vec<String>> {
    Some(items.iter().map(|item| item.to_string()).collect())
}

fn request(selectors: MailboxSelectorsRequest) -> CampaignRequest {
    CampaignRequest {
        name: Some("Q2 Outbound".into()),
        sequence: Some(vec![StepRequest {
            kind: Some("email".into()),
            subject: Some("Hi {{firstName}}".into()),
            body: Some("Hello".into()),
            ..StepRequest::default()
        }]),
        mailbox_selectors: selectors,
        ..CampaignRequest::default()
    }
}

fn pointers(error: &CreateCampaignError) -> Vec<(String, ProblemCode)> {
    let problems = match error {
        CreateCampaignError::Invalid(problems)
        | CreateCampaignError::MailboxNotFound(problems)
        | CreateCampaignError::AgentNotFound(problems) => problems,
        CreateCampaignError::Unknown(error) => panic!("unexpected error {error:?}"),
    };
    problems
        .iter()
        .map(|problem| (problem.pointer().to_string(), problem.code()))
        .collect()
}

#[tokio::test]
async fn creates_a_draft_in_the_callers_workspace_with_selectors_resolved_in_spec_order() {
    let mut ports = Ports::new();
    ports
        .campaigns
        .expect_insert()
        .times(1)
        .withf(|campaign| {
            campaign.workspace_id() == workspace(1) && campaign.mailboxes().len() == 3
        })
        .returning(|_| Ok(()));
    let selectors = MailboxSelectorsRequest {
        mailbox_ids: strings(&[&mailbox_id(3).to_string()]),
        mailbox_emails: strings(&["TWO@a.example"]),
        mailbox_tags: strings(&["OUTREACH"]),
        ..Default::default()
    };
    let campaign = ports
        .use_case()
        .execute(tenancy(1), &request(selectors), Problems::new())
        .await
        .expect("created");
    assert_eq!(
        campaign.mailboxes(),
        &[mailbox_id(3), mailbox_id(2), mailbox_id(1)]
    );
    assert_eq!(
        campaign.user_id(),
        tenancy(1).user_id,
        "userId is the user behind the key"
    );
    assert_eq!(campaign.workspace_id(), workspace(1));
    assert_eq!(campaign.id().to_string(), object_id(5_000, 0).to_string());
    assert_eq!(
        campaign.created_at().to_rfc3339(),
        "2025-06-10T10:30:00+00:00"
    );
}

#[tokio::test]
async fn no_selector_means_no_lookup_and_no_mailboxes() {
    let mut ports = Ports::new().storing();
    ports.mailboxes = MockMailboxRepository::new();
    ports.mailboxes.expect_candidates().never();
    let campaign = ports
        .use_case()
        .execute(
            tenancy(1),
            &request(MailboxSelectorsRequest::default()),
            Problems::new(),
        )
        .await
        .expect("created");
    assert!(campaign.mailboxes().is_empty());
}

#[tokio::test]
async fn missing_ids_and_emails_are_reported_together_and_nothing_is_stored() {
    let selectors = MailboxSelectorsRequest {
        mailboxes: strings(&[&mailbox_id(7).to_string()]),
        mailbox_ids: strings(&[&mailbox_id(1).to_string(), &mailbox_id(8).to_string()]),
        mailbox_emails: strings(&["nobody@a.example"]),
        ..Default::default()
    };
    let error = Ports::new()
        .storing_nothing()
        .use_case()
        .execute(tenancy(1), &request(selectors), Problems::new())
        .await
        .expect_err("missing mailboxes");
    assert!(
        matches!(error, CreateCampaignError::MailboxNotFound(_)),
        "{error:?}"
    );
    assert_eq!(
        pointers(&error),
        vec![
            ("/mailboxes/0".to_owned(), ProblemCode::MailboxNotFound),
            ("/mailboxIds/1".to_owned(), ProblemCode::MailboxNotFound),
            ("/mailboxEmails/0".to_owned(), ProblemCode::MailboxNotFound),
        ]
    );
}

#[tokio::test]
async fn another_workspaces_mailbox_behaves_like_one_that_does_not_exist() {
    let selectors = MailboxSelectorsRequest {
        mailbox_ids: strings(&[&mailbox_id(9).to_string()]),
        mailbox_emails: strings(&["nine@b.example"]),
        ..Default::default()
    };
    let error = Ports::new()
        .storing_nothing()
        .use_case()
        .execute(tenancy(1), &request(selectors), Problems::new())
        .await
        .expect_err("workspace 2's mailbox is not workspace 1's");
    assert!(matches!(error, CreateCampaignError::MailboxNotFound(_)));
    assert_eq!(pointers(&error).len(), 2);
}

#[tokio::test]
async fn tags_select_only_the_callers_mailboxes() {
    let selectors = MailboxSelectorsRequest {
        mailbox_tags: strings(&["outreach"]),
        mailbox_provider: Some("gmail".into()),
        ..Default::default()
    };
    let campaign = Ports::new()
        .storing()
        .use_case()
        .execute(tenancy(1), &request(selectors), Problems::new())
        .await
        .expect("created");
    assert_eq!(campaign.mailboxes(), &[mailbox_id(1), mailbox_id(2)]);
}

fn with_agent(id: Option<AgentId>, enabled: Option<bool>) -> CampaignRequest {
    CampaignRequest {
        settings: Some(SettingsRequest {
            ai_agent_id: id.map(|id| id.to_string()),
            ai_agent_enabled: enabled,
            ..SettingsRequest::default()
        }),
        ..request(MailboxSelectorsRequest::default())
    }
}

#[tokio::test]
async fn ai_agent_enabled_without_an_id_uses_the_workspace_default_agent() {
    let mut ports = Ports::new().storing();
    ports
        .agents
        .expect_default_agent()
        .withf(|workspace_id| *workspace_id == workspace(1))
        .times(1)
        .returning(|_| Ok(Some(agent_id(1))));
    let campaign = ports
        .use_case()
        .execute(tenancy(1), &with_agent(None, Some(true)), Problems::new())
        .await
        .expect("created");
    assert_eq!(campaign.settings().ai_agent_id(), Some(agent_id(1)));
    assert!(campaign.settings().ai_agent_enabled());
}

#[tokio::test]
async fn ai_agent_enabled_without_any_agent_is_agent_not_found() {
    let mut ports = Ports::new().storing_nothing();
    ports.agents.expect_default_agent().returning(|_| Ok(None));
    let error = ports
        .use_case()
        .execute(tenancy(1), &with_agent(None, Some(true)), Problems::new())
        .await
        .expect_err("no default agent");
    assert!(matches!(error, CreateCampaignError::AgentNotFound(_)));
    assert_eq!(
        pointers(&error),
        vec![(
            "/settings/aiAgentEnabled".to_owned(),
            ProblemCode::AgentNotFound
        )]
    );
}

#[tokio::test]
async fn an_agent_id_of_another_workspace_is_agent_not_found() {
    let mut ports = Ports::new().storing_nothing();
    ports
        .agents
        .expect_exists()
        .withf(|workspace_id, agent| *workspace_id == workspace(1) && *agent == agent_id(2))
        .returning(|_, _| Ok(false));
    let error = ports
        .use_case()
        .execute(
            tenancy(1),
            &with_agent(Some(agent_id(2)), None),
            Problems::new(),
        )
        .await
        .expect_err("agent of workspace 2");
    assert_eq!(
        pointers(&error),
        vec![("/settings/aiAgentId".to_owned(), ProblemCode::AgentNotFound)]
    );
}

#[tokio::test]
async fn an_agent_of_the_workspace_is_kept_even_when_disabled() {
    let mut ports = Ports::new().storing();
    ports.agents.expect_exists().returning(|_, _| Ok(true));
    ports.agents.expect_default_agent().never();
    let campaign = ports
        .use_case()
        .execute(
            tenancy(1),
            &with_agent(Some(agent_id(3)), Some(false)),
            Problems::new(),
        )
        .await
        .expect("created");
    assert_eq!(campaign.settings().ai_agent_id(), Some(agent_id(3)));
}

#[tokio::test]
async fn an_invalid_request_reports_lookup_problems_too_and_stores_nothing() {
    let mut ports = Ports::new().storing_nothing();
    ports.agents.expect_exists().returning(|_, _| Ok(false));
    let mut invalid = with_agent(Some(agent_id(4)), None);
    invalid.name = Some("  ".into());
    invalid.mailbox_selectors.mailbox_ids = strings(&[&mailbox_id(8).to_string()]);
    let error = ports
        .use_case()
        .execute(tenancy(1), &invalid, Problems::new())
        .await
        .expect_err("invalid");
    assert!(matches!(error, CreateCampaignError::Invalid(_)));
    assert_eq!(
        pointers(&error),
        vec![
            ("/name".to_owned(), ProblemCode::Blank),
            ("/mailboxIds/0".to_owned(), ProblemCode::MailboxNotFound),
            ("/settings/aiAgentId".to_owned(), ProblemCode::AgentNotFound),
        ]
    );
}

#[tokio::test]
async fn a_missing_mailbox_and_a_missing_agent_together_are_a_validation_failure() {
    let mut ports = Ports::new().storing_nothing();
    ports.agents.expect_default_agent().returning(|_| Ok(None));
    let mut both = with_agent(None, Some(true));
    both.mailbox_selectors.mailbox_emails = strings(&["nobody@a.example"]);
    let error = ports
        .use_case()
        .execute(tenancy(1), &both, Problems::new())
        .await
        .expect_err("two lookups fail");
    assert!(matches!(error, CreateCampaignError::Invalid(_)));
    assert_eq!(pointers(&error).len(), 2);
}

fn with_webhook(secret: Option<&str>) -> CampaignRequest {
    CampaignRequest {
        settings: Some(SettingsRequest {
            webhook: Some(WebhookRequest {
                enabled: Some(true),
                url: Some("https://hooks.example.com/in".into()),
                secret: secret.map(str::to_owned),
                events: strings(&["email.sent"]),
            }),
            ..SettingsRequest::default()
        }),
        ..request(MailboxSelectorsRequest::default())
    }
}

#[tokio::test]
async fn a_webhook_secret_is_generated_only_when_enabled_and_omitted() {
    let mut ports = Ports::new().storing();
    ports
        .secrets
        .expect_webhook_secret()
        .times(1)
        .returning(|| WebhookSecret::from_random_bytes([1; 32]));
    let campaign = ports
        .use_case()
        .execute(tenancy(1), &with_webhook(None), Problems::new())
        .await
        .expect("created");
    let secret = campaign.settings().webhook().secret().expect("generated");
    assert!(secret.as_str().starts_with("whsec_") && secret.as_str().len() == 70);

    let mut ports = Ports::new().storing();
    ports.secrets.expect_webhook_secret().never();
    let campaign = ports
        .use_case()
        .execute(
            tenancy(1),
            &with_webhook(Some("whsec_abc123xyz")),
            Problems::new(),
        )
        .await
        .expect("created");
    assert_eq!(
        campaign
            .settings()
            .webhook()
            .secret()
            .map(|secret| secret.as_str()),
        Some("whsec_abc123xyz")
    );
}

#[tokio::test]
async fn port_failures_are_unknown_errors() {
    let mut ports = Ports::new();
    ports
        .campaigns
        .expect_insert()
        .returning(|_| Err(RepositoryError::Unknown(anyhow::anyhow!("disk full"))));
    let error = ports
        .use_case()
        .execute(
            tenancy(1),
            &request(MailboxSelectorsRequest::default()),
            Problems::new(),
        )
        .await
        .expect_err("storage failed");
    assert!(matches!(error, CreateCampaignError::Unknown(_)));

    let mut ports = Ports::new().storing_nothing();
    ports.mailboxes = MockMailboxRepository::new();
    ports.mailboxes.expect_candidates().returning(|_, _| {
        Err(RepositoryError::Unknown(anyhow::anyhow!(
            "connection reset"
        )))
    });
    let selectors = MailboxSelectorsRequest {
        mailbox_tags: strings(&["outreach"]),
        ..Default::default()
    };
    let error = ports
        .use_case()
        .execute(tenancy(1), &request(selectors), Problems::new())
        .await
        .expect_err("lookup failed");
    assert!(matches!(error, CreateCampaignError::Unknown(_)));
}

#[tokio::test]
async fn problems_found_at_the_edge_make_the_request_invalid_and_are_reported_first() {
    let mut edge = Problems::new();
    edge.add(
        JsonPointer::root().field("colour"),
        ProblemCode::UnknownField,
        "unknown field colour",
    );
    let error = Ports::new()
        .storing_nothing()
        .use_case()
        .execute(
            tenancy(1),
            &request(MailboxSelectorsRequest::default()),
            edge,
        )
        .await
        .expect_err("an unknown field is a problem");
    assert!(matches!(error, CreateCampaignError::Invalid(_)));
    assert_eq!(
        pointers(&error),
        vec![("/colour".to_owned(), ProblemCode::UnknownField)]
    );
}

#[tokio::test]
async fn a_malformed_mailbox_id_does_not_hide_a_missing_well_formed_one() {
    let selectors = MailboxSelectorsRequest {
        mailbox_ids: strings(&["not-an-id", &mailbox_id(8).to_string()]),
        ..Default::default()
    };
    let error = Ports::new()
        .storing_nothing()
        .use_case()
        .execute(tenancy(1), &request(selectors), Problems::new())
        .await
        .expect_err("invalid");
    assert_eq!(
        pointers(&error),
        vec![
            ("/mailboxIds/0".to_owned(), ProblemCode::InvalidFormat),
            ("/mailboxIds/1".to_owned(), ProblemCode::MailboxNotFound),
        ]
    );
}

/// A directory over the stored mailboxes in which mailbox 1 is deleted right after the first lookup.
fn directory_losing_mailbox_1_after_the_first_lookup() -> (MockMailboxRepository, Arc<AtomicU32>) {
    let lookups = Arc::new(AtomicU32::new(0));
    let counted = lookups.clone();
    let mut directory = MockMailboxRepository::new();
    directory
        .expect_candidates()
        .returning(move |workspace, _| {
            let deleted = counted.fetch_add(1, Ordering::SeqCst) > 0;
            Ok(stored_mailboxes()
                .into_iter()
                .filter(|(owner, summary)| {
                    *owner == workspace && !(deleted && summary.id == mailbox_id(1))
                })
                .map(|(_, summary)| summary)
                .collect())
        });
    (directory, lookups)
}

fn mailbox_gone() -> RepositoryError {
    RepositoryError::ReferenceGone("a mailbox of the campaign's list".into())
}

#[tokio::test]
async fn a_mailbox_named_by_id_and_deleted_before_the_insert_is_mailbox_not_found_on_the_second_lookup()
 {
    let (directory, lookups) = directory_losing_mailbox_1_after_the_first_lookup();
    let mut ports = Ports::new();
    ports.mailboxes = directory;
    ports
        .campaigns
        .expect_insert()
        .times(1)
        .returning(|_| Err(mailbox_gone()));
    let selectors = MailboxSelectorsRequest {
        mailbox_ids: strings(&[&mailbox_id(2).to_string(), &mailbox_id(1).to_string()]),
        ..Default::default()
    };
    let error = ports
        .use_case()
        .execute(tenancy(1), &request(selectors), Problems::new())
        .await
        .expect_err("mailbox 1 is gone");
    assert!(
        matches!(error, CreateCampaignError::MailboxNotFound(_)),
        "{error:?}"
    );
    assert_eq!(
        pointers(&error),
        vec![("/mailboxIds/1".to_owned(), ProblemCode::MailboxNotFound)]
    );
    assert_eq!(lookups.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_mailbox_selected_by_tag_and_deleted_before_the_insert_is_left_out_on_the_second_lookup()
{
    let (directory, lookups) = directory_losing_mailbox_1_after_the_first_lookup();
    let mut ports = Ports::new();
    ports.mailboxes = directory;
    let inserts = AtomicU32::new(0);
    ports
        .campaigns
        .expect_insert()
        .times(2)
        .returning(move |campaign| {
            if inserts.fetch_add(1, Ordering::SeqCst) == 0 {
                assert_eq!(campaign.mailboxes(), &[mailbox_id(1), mailbox_id(2)]);
                Err(mailbox_gone())
            } else {
                Ok(())
            }
        });
    let selectors = MailboxSelectorsRequest {
        mailbox_tags: strings(&["outreach"]),
        ..Default::default()
    };
    let campaign = ports
        .use_case()
        .execute(tenancy(1), &request(selectors), Problems::new())
        .await
        .expect("created without the deleted mailbox");
    assert_eq!(campaign.mailboxes(), &[mailbox_id(2)]);
    assert_eq!(lookups.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_reference_gone_again_on_the_second_insert_is_an_unknown_error() {
    let mut ports = Ports::new();
    ports
        .campaigns
        .expect_insert()
        .times(2)
        .returning(|_| Err(mailbox_gone()));
    let selectors = MailboxSelectorsRequest {
        mailbox_tags: strings(&["outreach"]),
        ..Default::default()
    };
    let error = ports
        .use_case()
        .execute(tenancy(1), &request(selectors), Problems::new())
        .await
        .expect_err("gone twice");
    assert!(
        matches!(error, CreateCampaignError::Unknown(_)),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_create_holding_an_idempotency_key_stores_the_keys_answer_with_the_campaign() {
    use crate::ports::{IdempotencyScope, KeyCompletion, RecordedResponse, RequestFingerprint};

    let answer_of = |campaign: &domain::campaign::Campaign| KeyCompletion {
        scope: IdempotencyScope::new("scope".to_owned()),
        key: "key-1".to_owned(),
        fingerprint: RequestFingerprint::new("request".to_owned()),
        lease_until: Utc.timestamp_opt(1_800_000_000, 0).single().expect("valid"),
        expires_at: Utc.timestamp_opt(1_800_086_400, 0).single().expect("valid"),
        response: RecordedResponse {
            status: 201,
            content_type: "application/json".to_owned(),
            body: campaign.id().to_string().into_bytes(),
        },
    };
    let mut ports = Ports::new();
    ports.campaigns.expect_insert().never();
    ports
        .campaigns
        .expect_insert_answering()
        .times(1)
        .withf(move |campaign, completion| *completion == answer_of(campaign))
        .returning(|_, _| Ok(()));
    let campaign = ports
        .use_case()
        .execute_answering(
            tenancy(1),
            &request(MailboxSelectorsRequest::default()),
            Problems::new(),
            &answer_of,
        )
        .await
        .expect("created");
    assert_eq!(campaign.workspace_id(), workspace(1));
}

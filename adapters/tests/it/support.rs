//! Helpers that keep the contract tests reading like the contract.

use std::sync::Once;

use adapters::testing::{TestBackend, backends, fresh_database};
use adapters::{Database, ObjectIdGenerator};
use anyhow::Context as _;
use application::ports::{IdGenerator, RepositoryError};
use chrono::{DateTime, Utc};
use domain::campaign::{Campaign, NewCampaign, Provisions, StoredCampaign};
use domain::campaign_update::UpdateProvisions;
use domain::id::{AgentId, CampaignId, MailboxId, ObjectId, UserId, WorkspaceId};
use domain::identity::{User, Workspace, WorkspaceName};
use domain::mailbox::{Mailbox, MailboxFields, MailboxSelection};
use domain::problem::JsonPointer;
use domain::request::{
    CampaignRequest, CnameTrackingRequest, ConditionRequest, ConditionalVariableRequest,
    CopyFatigueProtectionRequest, MailboxRequest, MailboxSelectorsRequest, ScheduleRequest,
    SettingsRequest, StepRequest, SubsequenceRequest, TriggerRequest, VariantOptimizationRequest,
    VariantRequest, WebhookRequest,
};
use domain::rules::ParseRules;
use domain::values::{EmailAddress, WebhookHostPolicy};

/// Logs go to the test output only with `TEST_LOG=1`.
pub fn init_logging() {
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        if std::env::var_os("TEST_LOG").is_some() {
            let _ = tracing_subscriber::fmt()
                .with_env_filter(
                    tracing_subscriber::EnvFilter::try_from_default_env()
                        .unwrap_or_else(|_| "debug".into()),
                )
                .with_test_writer()
                .try_init();
        }
    });
}

/// Names the backend of a failing test (a panic inside `test` says nothing about it).
struct BackendOnFailure(TestBackend);

impl Drop for BackendOnFailure {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("the failing backend: {:?}", self.0);
        }
    }
}

/// Runs `test` once per backend of [`backends`], each time on a fresh, migrated database.
pub async fn on_every_backend(
    mut test: impl AsyncFnMut(Database) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    init_logging();
    for backend in backends() {
        let guard = BackendOnFailure(backend);
        let database = fresh_database(backend)
            .await
            .with_context(|| format!("a fresh {backend:?} database"))?;
        test(database)
            .await
            .with_context(|| format!("on {backend:?}"))?;
        drop(guard);
    }
    Ok(())
}

/// A fresh id of any kind.
pub fn new_id<T: From<ObjectId>>() -> T {
    T::from(ObjectIdGenerator.new_id())
}

/// A time with milliseconds, as the clock gives them: `offset_ms` after 2025-06-10T10:30:00.123Z.
pub fn at(offset_ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(1_749_551_400_123 + offset_ms).expect("a valid time")
}

/// A user and a workspace they own: what every workspace-scoped call needs.
#[derive(Debug, Clone, Copy)]
pub struct Tenant {
    pub user: UserId,
    pub workspace: WorkspaceId,
}

/// A new user owning a new workspace.
pub async fn tenant(database: &Database) -> anyhow::Result<Tenant> {
    let identity = database.identity();
    let user = User::new(
        new_id(),
        address(&format!("owner-{}@example.com", new_id::<ObjectId>())),
        at(0),
    );
    identity.insert_user(&user).await?;
    let workspace = Workspace::new(
        new_id(),
        WorkspaceName::parse(Some("Acme")).expect("a valid name"),
        at(0),
    );
    identity.insert_workspace(&workspace, user.id()).await?;
    Ok(Tenant {
        user: user.id(),
        workspace: workspace.id(),
    })
}

/// A valid address.
pub fn address(raw: &str) -> EmailAddress {
    EmailAddress::parse(raw).expect("a valid address")
}

pub fn s(text: &str) -> Option<String> {
    Some(text.to_owned())
}

/// A mailbox of `tenant`'s workspace.
pub fn mailbox(tenant: Tenant, email: &str, provider: &str, tags: &[&str]) -> Mailbox {
    let fields = MailboxFields::parse(&MailboxRequest {
        email: s(email),
        provider: s(provider),
        display_name: s("Sales"),
        tags: Some(tags.iter().map(|tag| (*tag).to_owned()).collect()),
        daily_send_limit: Some(30),
        sending_enabled: Some(false),
        signature: s("<p>Best, Ana</p>"),
        ..MailboxRequest::default()
    })
    .expect("valid mailbox fields");
    Mailbox::register(new_id(), tenant.workspace, fields, at(1))
}

/// Registers `mailbox` and gives back its id.
pub async fn store_mailbox(database: &Database, mailbox: Mailbox) -> anyhow::Result<MailboxId> {
    database.mailboxes().insert(&mailbox).await?;
    Ok(mailbox.id())
}

/// Mailbox selectors, parsed as a request's.
pub fn selection(selectors: MailboxSelectorsRequest) -> MailboxSelection {
    MailboxSelection::parse(&selectors, &JsonPointer::root()).expect("valid selectors")
}

fn email_step(subject: &str, body: &str, order: i64) -> StepRequest {
    StepRequest {
        kind: s("email"),
        order: Some(order),
        subject: s(subject),
        body: s(body),
        ..StepRequest::default()
    }
}

fn variant(letter: &str, subject: &str, body: &str) -> VariantRequest {
    VariantRequest {
        letter: s(letter),
        subject: s(subject),
        body: s(body),
    }
}

/// Every field of the seed's example (create-campaign.txt), plus variants, conditional variables and
/// both kinds of subsequence.
pub fn full_request() -> CampaignRequest {
    CampaignRequest {
        name: s("Q2 Outbound - Decision Makers"),
        sequence: Some(vec![
            StepRequest {
                use_conditional_variables: Some(true),
                conditional_variables: Some(vec![ConditionalVariableRequest {
                    name: s("opener"),
                    conditions: Some(vec![ConditionRequest {
                        field: s("companyName"),
                        operator: s("has_value"),
                        value: None,
                        then: s("Loved what {{companyName}} ships"),
                    }]),
                    otherwise: s("Loved what your team ships"),
                }]),
                variants: Some(vec![
                    variant(
                        "A",
                        "Quick question about {{companyName}}",
                        "<p>Hi {{firstName}},</p><p>{{opener}}</p>",
                    ),
                    variant(
                        "B",
                        "Idea for {{companyName}}",
                        "Hi {{firstName}},\n\nA plain-text variant.",
                    ),
                ]),
                ..email_step(
                    "Quick question about {{companyName}}",
                    "<p>Hi {{firstName}},</p><p>{{opener}}</p>",
                    0,
                )
            },
            StepRequest {
                kind: s("wait"),
                order: Some(1),
                wait_days: Some(3),
                wait_hours: Some(4),
                ..StepRequest::default()
            },
            email_step(
                "Re: Quick question about {{companyName}}",
                "<p>Hey {{firstName}}, just bumping this up.</p>",
                2,
            ),
        ]),
        subsequences: Some(vec![
            SubsequenceRequest {
                name: s("Interested follow-up"),
                trigger: Some(TriggerRequest {
                    kind: s("ai_tag"),
                    value: s("Interested"),
                }),
                sequence: Some(vec![
                    StepRequest {
                        kind: s("wait"),
                        wait_days: Some(1),
                        ..StepRequest::default()
                    },
                    StepRequest {
                        kind: s("email"),
                        body: s("<p>Great to hear!</p>"),
                        ..StepRequest::default()
                    },
                ]),
                enabled: Some(true),
                archived: Some(false),
                ..SubsequenceRequest::default()
            },
            SubsequenceRequest {
                name: s("On reply"),
                trigger: Some(TriggerRequest {
                    kind: s("reply"),
                    value: None,
                }),
                sequence: Some(vec![StepRequest {
                    kind: s("email"),
                    body: s("Thanks for replying"),
                    ..StepRequest::default()
                }]),
                enabled: Some(false),
                archived: Some(false),
                ..SubsequenceRequest::default()
            },
        ]),
        schedule: Some(ScheduleRequest {
            timezone: s("America/Chicago"),
            start_time: s("08:30"),
            end_time: s("16:00"),
            working_days: Some(vec![1, 2, 3, 4, 5]),
            skip_national_holidays: Some(true),
        }),
        settings: Some(SettingsRequest {
            track_opens: Some(true),
            track_clicks: Some(true),
            include_unsubscribe_link: Some(false),
            cc: Some(vec!["sales-log@yourcompany.com".into()]),
            bcc: Some(vec!["crm-sync@yourcompany.com".into()]),
            stop_on_reply: Some(true),
            stop_on_auto_reply: Some(true),
            stop_on_company_reply: Some(true),
            skip_dnc: Some(true),
            daily_send_limit: Some(50),
            email_interval_minutes: Some(12),
            esp_matching_mode: s("auto"),
            seg_check_mode: s("skip_providers"),
            seg_skip_providers: Some(vec!["proofpoint".into(), "mimecast".into()]),
            cname_tracking: Some(CnameTrackingRequest {
                enabled: Some(true),
                domain: s("track.yourcompany.com"),
            }),
            slack_channel_id: s("C04ABCDEF12"),
            positive_replies_only_slack: Some(true),
            notification_emails: Some(vec!["owner@yourcompany.com".into()]),
            positive_replies_only_email: Some(false),
            ai_agent_id: None,
            ai_agent_enabled: Some(true),
            webhook: Some(WebhookRequest {
                enabled: Some(true),
                url: s("https://yourcompany.com/webhooks/sendkit"),
                secret: s("whsec_abc123xyz"),
                events: Some(vec![
                    "lead.replied".into(),
                    "email.sent".into(),
                    "lead.bounced".into(),
                ]),
            }),
            copy_fatigue_protection: Some(CopyFatigueProtectionRequest {
                enabled: Some(true),
                auto_regenerate: Some(true),
                auto_resume: Some(true),
            }),
            variant_optimization: Some(VariantOptimizationRequest {
                enabled: Some(true),
                minimum_sends_per_variant: Some(50),
                minimum_days: Some(5),
                optimization_metric: s("replyRate"),
                keep_minimum_variants: Some(2),
            }),
        }),
        mailbox_selectors: MailboxSelectorsRequest {
            mailbox_tags: Some(vec!["outreach".into()]),
            ..MailboxSelectorsRequest::default()
        },
    }
}

/// A request with only a name: every default.
pub fn minimal_request(name: &str) -> CampaignRequest {
    CampaignRequest {
        name: s(name),
        ..CampaignRequest::default()
    }
}

/// The campaign create would make from `request` in `tenant`'s workspace, with these mailboxes and agent.
pub fn campaign(
    tenant: Tenant,
    request: &CampaignRequest,
    mailboxes: Vec<MailboxId>,
    ai_agent_id: Option<AgentId>,
) -> Campaign {
    let new = NewCampaign::parse(request, ParseRules::create(WebhookHostPolicy::PublicOnly))
        .expect("a valid request");
    Campaign::create(
        new,
        Provisions {
            id: new_id::<CampaignId>(),
            workspace_id: tenant.workspace,
            user_id: tenant.user,
            now: at(2),
            mailboxes,
            ai_agent_id,
            webhook_secret: None,
        },
        || ObjectIdGenerator.new_id(),
    )
}

/// A `Conflict`'s message, or a failure naming what came instead.
pub fn conflict_message<T: std::fmt::Debug>(
    result: Result<T, RepositoryError>,
) -> anyhow::Result<String> {
    match result {
        Err(RepositoryError::Conflict(message)) => Ok(message),
        other => anyhow::bail!("expected a Conflict, got {other:?}"),
    }
}

/// Conflict messages are for people: no SQL, no constraint syntax.
pub fn assert_no_sql(message: &str) {
    let lower = message.to_lowercase();
    for word in [
        "insert",
        "select",
        "constraint",
        "sqlite",
        "postgres",
        "duplicate key",
        "violates",
    ] {
        assert!(!lower.contains(word), "{message:?} leaks {word:?}");
    }
}

/// The campaign `find` reads, without its version.
pub async fn find_campaign(
    database: &Database,
    workspace: WorkspaceId,
    id: CampaignId,
) -> anyhow::Result<Option<Campaign>> {
    Ok(database
        .campaigns()
        .find(workspace, id)
        .await?
        .map(|found| found.campaign))
}

/// `campaign` with its storage form changed by `change` (ids included), as storage would rebuild it:
/// for what only the server sets (status, counters, times).
pub fn restored(campaign: &Campaign, change: impl FnOnce(&mut StoredCampaign)) -> Campaign {
    let mut stored = StoredCampaign {
        id: campaign.id(),
        workspace_id: campaign.workspace_id(),
        user_id: campaign.user_id(),
        status: campaign.status(),
        content: campaign.content(),
        subsequence_counters: campaign.subsequence_counters(),
        mailboxes: campaign.mailboxes().to_vec(),
        stats: campaign.stats(),
        lead_counts: campaign.lead_counts(),
        started_at: campaign.started_at(),
        completed_at: campaign.completed_at(),
        created_at: campaign.created_at(),
        updated_at: campaign.updated_at(),
    };
    change(&mut stored);
    Campaign::restore(stored).expect("a valid stored campaign")
}

/// `campaign` after an update through the domain (`plan_update` then `apply_update`) at `now`:
/// `change` edits its content in request form (the subsequence list counts as given, so `_id`s keep
/// subsequences); `mailboxes` replaces the mailbox list when given.
pub fn updated(
    campaign: &Campaign,
    change: impl FnOnce(&mut CampaignRequest),
    mailboxes: Option<Vec<MailboxId>>,
    now: DateTime<Utc>,
) -> Campaign {
    let mut merged = campaign.content();
    change(&mut merged);
    let plan = campaign
        .plan_update(
            &merged,
            true,
            ParseRules::update(WebhookHostPolicy::PublicOnly),
        )
        .expect("a valid update");
    campaign.clone().apply_update(
        plan,
        UpdateProvisions {
            now,
            mailboxes,
            ai_agent_id: campaign.settings().ai_agent_id(),
            webhook_secret: None,
        },
        || ObjectIdGenerator.new_id(),
    )
}

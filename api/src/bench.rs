//! What `cargo xtask bench` needs of the binary, kept out of the public API: `sendline bench-fill`
//! (a workspace filled through the real use cases) and the `--bench-routes` echo route, the ceiling of
//! "read the create body, no database".

use std::path::Path;

use anyhow::Context;
use application::tenancy::Tenancy;
use application::use_cases::campaign_lifecycle::CampaignLifecycle;
use application::use_cases::create_campaign::CreateCampaign;
use application::use_cases::enrolments::Enrolments;
use application::use_cases::import_leads::ImportLeads;
use application::use_cases::init_workspace::InitWorkspace;
use application::use_cases::register_mailbox::RegisterMailbox;
use domain::lead_import::{BulkLeads, MAX_BULK_LEADS};
use domain::lead_request::{BulkLeadsRequest, EnrolLeadsRequest, LeadRequest};
use domain::problem::Problems;
use domain::request::MailboxRequest;
use domain::status::LifecycleAction;
use domain::values::WebhookHostPolicy;
use poem::http::StatusCode;
use poem::{IntoResponse, Response, handler};
use serde_json::Value;

use crate::dto::campaign_input::CreateCampaignRequest;
use crate::state::Ports;
use crate::{json_document, request_body};

/// The path of the echo route that `serve --bench-routes` adds.
pub(crate) const ECHO_PATH: &str = "/__bench/echo";

/// SendKit's own create example: the body every create of the benchmark sends.
const SEED_BODY: &str = include_str!("../tests/fixtures/seed_create_campaign.json");

/// How many campaigns are created at once while filling.
const FILL_CONCURRENCY: usize = 16;

/// Reads the body as the create route does (JSON with its repeated members, then the campaign reader)
/// and answers it back as sent.
#[handler]
pub(crate) async fn echo(body: Vec<u8>) -> Response {
    let problems = match json_document::parse(&body) {
        Ok((value, duplicates)) => {
            let (_request, problems) = request_body::read::<CreateCampaignRequest>(value);
            duplicates.followed_by(problems)
        }
        Err(error) => return (StatusCode::BAD_REQUEST, error.to_string()).into_response(),
    };
    if problems.is_empty() {
        Response::builder()
            .content_type("application/json")
            .body(body)
    } else {
        (StatusCode::BAD_REQUEST, problems.to_string()).into_response()
    }
}

/// Campaigns of the enrolment workspace: one per selectAll request of the scenario (each about a second
/// at 100,000 leads, for 30 s), 100 per round for up to five rounds (`cargo xtask bench --rounds`).
const ENROLMENT_CAMPAIGNS: u32 = 500;

/// What `sendline bench-fill` makes.
pub(crate) struct FillSize {
    pub(crate) mailboxes: u32,
    pub(crate) campaigns: u32,
    pub(crate) leads: u32,
    /// Leads of a second workspace, the one the selectAll scenario enrols (LEADS.md's target names
    /// 100,000), with [`ENROLMENT_CAMPAIGNS`] campaigns; none without `enrolment_output`.
    pub(crate) enrolment_leads: u32,
}

/// Fills the benchmark workspace ([`fill_workspace`]) and writes its key then up to 10,000 of its
/// campaign ids, one per line, to `output`; with `enrolment_output`, the same for a second workspace of
/// `enrolment_leads` leads, so that the selectAll scenario enrols that many at any size.
pub(crate) async fn fill(
    ports: &Ports,
    size: &FillSize,
    output: &Path,
    enrolment_output: Option<&Path>,
) -> anyhow::Result<()> {
    let (key, ids) = fill_workspace(
        ports,
        "Benchmark",
        size.mailboxes,
        size.campaigns,
        size.leads,
    )
    .await?;
    write_fill(output, &key, ids)?;
    if let Some(enrolment_output) = enrolment_output {
        let (key, ids) = fill_workspace(
            ports,
            "Enrolment benchmark",
            3,
            ENROLMENT_CAMPAIGNS,
            size.enrolment_leads,
        )
        .await?;
        write_fill(enrolment_output, &key, ids)?;
    }
    Ok(())
}

/// The key then up to 10,000 of `ids`, one per line.
fn write_fill(output: &Path, key: &str, ids: Vec<String>) -> anyhow::Result<()> {
    let step = (ids.len() / 10_000).max(1);
    let mut lines = vec![key.to_owned()];
    lines.extend(ids.into_iter().step_by(step));
    std::fs::write(output, lines.join("\n") + "\n")
        .with_context(|| format!("cannot write {}", output.display()))
}

/// Creates a workspace named `name` with `mailboxes` mailboxes (three tagged `outreach`, as in the
/// demo; the rest in 50 other tags), `campaigns` campaigns made from the seed body and `leads` leads
/// ([`lead_request`]); answers its key and campaign ids.
async fn fill_workspace(
    ports: &Ports,
    name: &str,
    mailboxes: u32,
    campaigns: u32,
    leads: u32,
) -> anyhow::Result<(String, Vec<String>)> {
    let (tenancy, key) = new_workspace(ports, name).await?;
    register_mailboxes(ports, tenancy, mailboxes, |index| {
        let (provider, tag) = match index {
            0 => ("gmail", "outreach".to_owned()),
            1 => ("outlook", "outreach".to_owned()),
            2 => ("custom", "outreach".to_owned()),
            _ => ("gmail", format!("pool-{}", index % 50)),
        };
        MailboxRequest {
            email: Some(format!("sender{index}@bench.example.com")),
            provider: Some(provider.to_owned()),
            tags: Some(vec![tag]),
            ..MailboxRequest::default()
        }
    })
    .await?;

    let create = campaign_creator(ports);
    let seed: Value = serde_json::from_str(SEED_BODY).context("the seed body is JSON")?;
    let (seed, _) = request_body::read::<CreateCampaignRequest>(seed);
    let mut workers = tokio::task::JoinSet::new();
    for worker in 0..FILL_CONCURRENCY {
        let (create, seed) = (create.clone(), seed.clone());
        workers.spawn(async move {
            let mut ids = Vec::new();
            for index in (worker..campaigns as usize).step_by(FILL_CONCURRENCY) {
                let mut request = seed.clone();
                request.name = Some(format!("Q2 Outbound - Decision Makers #{index}"));
                let campaign = create
                    .execute(tenancy, &request, Problems::new())
                    .await
                    .map_err(|error| anyhow::anyhow!("cannot create campaign {index}: {error}"))?;
                ids.push(campaign.id().to_string());
            }
            anyhow::Ok(ids)
        });
    }
    let mut ids = Vec::new();
    while let Some(done) = workers.join_next().await {
        ids.extend(done.context("a fill worker stopped")??);
    }
    fill_leads(ports, tenancy, leads).await?;
    Ok((key, ids))
}

/// The create-campaign use case over `ports`, as the fill uses it (webhooks to public hosts only).
fn campaign_creator(ports: &Ports) -> CreateCampaign {
    CreateCampaign {
        campaigns: ports.campaigns.clone(),
        mailboxes: ports.mailboxes.clone(),
        agents: ports.agents.clone(),
        clock: ports.clock.clone(),
        ids: ports.ids.clone(),
        secrets: ports.secrets.clone(),
        webhook_hosts: WebhookHostPolicy::PublicOnly,
    }
}

/// A new workspace named `name` (its owner derived from it): its tenancy and key.
async fn new_workspace(ports: &Ports, name: &str) -> anyhow::Result<(Tenancy, String)> {
    let owner = format!(
        "{}@sendline.example.com",
        name.to_lowercase().replace(' ', "-")
    );
    let initialized = InitWorkspace {
        identity: ports.identity.clone(),
        clock: ports.clock.clone(),
        ids: ports.ids.clone(),
        secrets: ports.secrets.clone(),
    }
    .execute(&owner, name)
    .await
    .with_context(|| format!("cannot create the workspace {name}"))?;
    let tenancy = Tenancy {
        workspace_id: initialized.workspace_id,
        user_id: initialized.user_id,
    };
    Ok((tenancy, initialized.workspace_key.expose().to_owned()))
}

/// Registers mailbox `request_of(index)` for every index below `count`, [`FILL_CONCURRENCY`] at once.
async fn register_mailboxes(
    ports: &Ports,
    tenancy: Tenancy,
    count: u32,
    request_of: impl Fn(u32) -> MailboxRequest + Send + Sync + 'static,
) -> anyhow::Result<()> {
    let register = RegisterMailbox {
        mailboxes: ports.mailboxes.clone(),
        clock: ports.clock.clone(),
        ids: ports.ids.clone(),
        credentials: ports.credentials.clone(),
    };
    let request_of = std::sync::Arc::new(request_of);
    let mut workers = tokio::task::JoinSet::new();
    for worker in 0..FILL_CONCURRENCY as u32 {
        let (register, request_of) = (register.clone(), request_of.clone());
        workers.spawn(async move {
            for index in (worker..count).step_by(FILL_CONCURRENCY) {
                register
                    .execute(tenancy, &request_of(index), Problems::new())
                    .await
                    .map_err(|error| anyhow::anyhow!("cannot register mailbox {index}: {error}"))?;
            }
            anyhow::Ok(())
        });
    }
    while let Some(done) = workers.join_next().await {
        done.context("a fill worker stopped")??;
    }
    Ok(())
}

/// Lead `index` of the fill: `lead{index}@company{index % 1000}.example`, first name from a short list,
/// last name `Surname{index}`, company `Company {index % 1000}`, a custom field. A search for
/// `surname` + a number finds one lead or a few (`Surname12` is in `Surname123`).
pub(crate) fn lead_request(index: u32) -> LeadRequest {
    const FIRST: [&str; 8] = [
        "Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken",
    ];
    LeadRequest {
        email: Some(format!("lead{index}@company{}.example", index % 1_000)),
        first_name: Some(FIRST[index as usize % FIRST.len()].to_owned()),
        last_name: Some(format!("Surname{index}")),
        company_name: Some(format!("Company {}", index % 1_000)),
        job_title: Some("Head of Growth".to_owned()),
        tags: Some(vec![format!("segment-{}", index % 20)]),
        ..LeadRequest::default()
    }
}

/// Imports `leads` leads into the workspace, 5,000 a batch, through the bulk writer.
async fn fill_leads(ports: &Ports, tenancy: Tenancy, leads: u32) -> anyhow::Result<()> {
    let import = ImportLeads {
        leads: ports.leads.clone(),
        clock: ports.clock.clone(),
        ids: ports.ids.clone(),
    };
    let batch = MAX_BULK_LEADS as u32;
    let mut from = 0;
    while from < leads {
        let to = (from + batch).min(leads);
        let bulk = BulkLeads::parse(BulkLeadsRequest {
            leads: Some((from..to).map(lead_request).collect()),
            ..BulkLeadsRequest::default()
        })
        .map_err(|problems| anyhow::anyhow!("the fill's leads are invalid: {problems}"))?;
        let options = bulk.options().clone();
        let tally = import
            .import_batch(tenancy, &options, bulk.into_entries())
            .await
            .map_err(|error| anyhow::anyhow!("cannot import leads {from}..{to}: {error}"))?;
        anyhow::ensure!(
            tally.failed == 0,
            "leads {from}..{to} failed: {:?}",
            tally.errors.first()
        );
        from = to;
    }
    Ok(())
}

/// What `sendline bench-fill --sending-output` makes: the sending scenario's workspace.
pub(crate) struct SendingFill {
    pub(crate) mailboxes: u32,
    pub(crate) leads: u32,
    /// The local SMTP sink every mailbox sends through (plain, no authentication).
    pub(crate) smtp_port: u16,
}

/// The tag of the sending scenario's mailboxes, which its campaign selects.
const SENDING_TAG: &str = "sendbench";

/// Fills the sending scenario (SENDING.md section 9): a workspace with `mailboxes` mailboxes sending
/// through `127.0.0.1:{smtp_port}` (limit 50 a day each), one campaign from all of them (one minute
/// apart, a window around now, opens and clicks tracked) with every one of `leads` leads enrolled,
/// started. Writes its key and the campaign's id to `output`, one per line.
pub(crate) async fn fill_sending(
    ports: &Ports,
    size: &SendingFill,
    output: &Path,
) -> anyhow::Result<()> {
    let (tenancy, key) = new_workspace(ports, "Sending benchmark").await?;
    let smtp_port = i64::from(size.smtp_port);
    register_mailboxes(ports, tenancy, size.mailboxes, move |index| {
        MailboxRequest {
            email: Some(format!("sender{index}@sending.example.com")),
            provider: Some("custom".to_owned()),
            tags: Some(vec![SENDING_TAG.to_owned()]),
            daily_send_limit: Some(50),
            sending_enabled: Some(true),
            smtp_host: Some("127.0.0.1".to_owned()),
            smtp_port: Some(smtp_port),
            smtp_secure: Some(false),
            ..MailboxRequest::default()
        }
    })
    .await?;
    let campaign = campaign_creator(ports)
        .execute(
            tenancy,
            &request_body::read::<CreateCampaignRequest>(sending_campaign(ports.clock.now())).0,
            Problems::new(),
        )
        .await
        .map_err(|error| anyhow::anyhow!("cannot create the sending campaign: {error}"))?;
    anyhow::ensure!(
        campaign.mailboxes().len() == size.mailboxes as usize,
        "the sending campaign has {} mailboxes, not {}",
        campaign.mailboxes().len(),
        size.mailboxes
    );
    fill_leads(ports, tenancy, size.leads).await?;
    let enrolled = Enrolments {
        enrolments: ports.enrolments.clone(),
        campaigns: ports.campaigns.clone(),
        leads: ports.leads.clone(),
        clock: ports.clock.clone(),
        ids: ports.ids.clone(),
    }
    .enrol(
        tenancy,
        campaign.id(),
        &EnrolLeadsRequest {
            select_all: Some(true),
            ..EnrolLeadsRequest::default()
        },
        Problems::new(),
    )
    .await
    .map_err(|error| anyhow::anyhow!("cannot enrol the sending campaign's leads: {error}"))?;
    anyhow::ensure!(
        enrolled.added == u64::from(size.leads),
        "{} of {} leads enrolled",
        enrolled.added,
        size.leads
    );
    CampaignLifecycle {
        campaigns: ports.campaigns.clone(),
        clock: ports.clock.clone(),
    }
    .act(tenancy, campaign.id(), LifecycleAction::Start)
    .await
    .map_err(|error| anyhow::anyhow!("cannot start the sending campaign: {error}"))?;
    std::fs::write(output, format!("{key}\n{}\n", campaign.id()))
        .with_context(|| format!("cannot write {}", output.display()))
}

/// The sending scenario's campaign: a first email with a link, a follow-up a day later; every day
/// from 08:00 to 20:00 in the `Etc/GMT±N` zone where it is about noon at `now`, so the window holds
/// the run at any hour; one minute between two sends of one mailbox, no campaign limit.
fn sending_campaign(now: chrono::DateTime<chrono::Utc>) -> Value {
    use chrono::Timelike;
    // Etc/GMT-N is N hours ahead of UTC (POSIX signs); the offset that makes the hour about 12.
    let ahead = 12 - i64::from(now.hour());
    let timezone = match ahead {
        0 => "Etc/GMT".to_owned(),
        ahead if ahead > 0 => format!("Etc/GMT-{ahead}"),
        behind => format!("Etc/GMT+{}", -behind),
    };
    serde_json::json!({
        "name": "Sending benchmark",
        "mailboxTags": [SENDING_TAG],
        "sequence": [
            {"type": "email", "subject": "Quick question about {{companyName}}",
             "body": "<p>Hi {{firstName}},</p><p>A case study: <a href=\"https://sendline.example.com/case\">read it</a>.</p>"},
            {"type": "wait", "waitDays": 1},
            {"type": "email", "subject": "", "body": "<p>Bumping this up, {{firstName}}.</p>"}
        ],
        "schedule": {"timezone": timezone, "startTime": "08:00", "endTime": "20:00",
                     "workingDays": [0, 1, 2, 3, 4, 5, 6], "skipNationalHolidays": false},
        "settings": {"emailIntervalMinutes": 1, "trackOpens": true, "trackClicks": true,
                     "stopOnCompanyReply": false}
    })
}

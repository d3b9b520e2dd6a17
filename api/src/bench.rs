//! What `cargo xtask bench` needs of the binary, kept out of the public API: `sendline bench-fill`
//! (a workspace filled through the real use cases) and the `--bench-routes` echo route, the ceiling of
//! "read the create body, no database".

use std::path::Path;

use anyhow::Context;
use application::tenancy::Tenancy;
use application::use_cases::create_campaign::CreateCampaign;
use application::use_cases::init_workspace::InitWorkspace;
use application::use_cases::register_mailbox::RegisterMailbox;
use domain::problem::Problems;
use domain::request::MailboxRequest;
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

/// Creates a workspace with `mailboxes` mailboxes (three tagged `outreach`, as in the demo; the rest in
/// 50 other tags) and `campaigns` campaigns made from the seed body, and writes the workspace key then
/// up to 10,000 of the campaign ids, one per line, to `output`.
pub(crate) async fn fill(
    ports: &Ports,
    mailboxes: u32,
    campaigns: u32,
    output: &Path,
) -> anyhow::Result<()> {
    let initialized = InitWorkspace {
        identity: ports.identity.clone(),
        clock: ports.clock.clone(),
        ids: ports.ids.clone(),
        secrets: ports.secrets.clone(),
    }
    .execute("bench@sendline.example.com", "Benchmark")
    .await
    .context("cannot create the benchmark workspace")?;
    let tenancy = Tenancy {
        workspace_id: initialized.workspace_id,
        user_id: initialized.user_id,
    };

    let register = RegisterMailbox {
        mailboxes: ports.mailboxes.clone(),
        clock: ports.clock.clone(),
        ids: ports.ids.clone(),
    };
    for index in 0..mailboxes {
        let (provider, tag) = match index {
            0 => ("gmail", "outreach".to_owned()),
            1 => ("outlook", "outreach".to_owned()),
            2 => ("custom", "outreach".to_owned()),
            _ => ("gmail", format!("pool-{}", index % 50)),
        };
        let request = MailboxRequest {
            email: Some(format!("sender{index}@bench.example.com")),
            provider: Some(provider.to_owned()),
            tags: Some(vec![tag]),
            ..MailboxRequest::default()
        };
        register
            .execute(tenancy, &request, Problems::new())
            .await
            .map_err(|error| anyhow::anyhow!("cannot register mailbox {index}: {error}"))?;
    }

    let create = CreateCampaign {
        campaigns: ports.campaigns.clone(),
        mailboxes: ports.mailboxes.clone(),
        agents: ports.agents.clone(),
        clock: ports.clock.clone(),
        ids: ports.ids.clone(),
        secrets: ports.secrets.clone(),
        webhook_hosts: WebhookHostPolicy::PublicOnly,
    };
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
    let step = (ids.len() / 10_000).max(1);
    let mut lines = vec![initialized.workspace_key.expose().to_owned()];
    lines.extend(ids.into_iter().step_by(step));
    std::fs::write(output, lines.join("\n") + "\n")
        .with_context(|| format!("cannot write {}", output.display()))
}

//! WAL soak: inserts campaigns through `CampaignRepository::insert` from many tasks into a SQLite file,
//! with readers running beside them (as the create path does), and samples the `-wal` file's size.
//!
//! ```text
//! cargo run --release -p adapters --example wal_soak -- --inserts 100000 --path /tmp/soak.db
//!     [--writers 64] [--readers 4] [--links 10]
//! ```
//!
//! The database file is replaced if it exists. Prints the rate, the WAL size every second, its peak,
//! and its size after the writers stop (and again after the background checkpoint has run).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use adapters::{Database, ObjectIdGenerator};
use anyhow::Context as _;
use application::ports::IdGenerator;
use chrono::Utc;
use domain::campaign::{Campaign, NewCampaign, Provisions};
use domain::id::{CampaignId, MailboxId, UserId, WorkspaceId};
use domain::identity::{User, Workspace, WorkspaceName};
use domain::mailbox::{Mailbox, MailboxFields, MailboxSelection};
use domain::problem::JsonPointer;
use domain::request::{
    CampaignRequest, MailboxRequest, MailboxSelectorsRequest, ScheduleRequest, SettingsRequest,
    StepRequest, SubsequenceRequest, TriggerRequest,
};
use domain::rules::ParseRules;
use domain::values::{EmailAddress, WebhookHostPolicy};

struct Options {
    inserts: u64,
    path: PathBuf,
    writers: usize,
    readers: usize,
    links: usize,
}

fn options() -> anyhow::Result<Options> {
    let mut options = Options {
        inserts: 100_000,
        path: std::env::temp_dir().join("sendline-wal-soak.db"),
        writers: 64,
        readers: 4,
        links: 10,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args
            .next()
            .with_context(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--inserts" => options.inserts = value.parse()?,
            "--path" => options.path = PathBuf::from(value),
            "--writers" => options.writers = value.parse()?,
            "--readers" => options.readers = value.parse()?,
            "--links" => options.links = value.parse()?,
            other => anyhow::bail!("unknown option {other}"),
        }
    }
    Ok(options)
}

fn text(value: &str) -> Option<String> {
    Some(value.to_owned())
}

/// A campaign like the seed's: three steps, a subsequence, a schedule, settings.
fn request() -> CampaignRequest {
    let email = |subject: &str, body: &str| StepRequest {
        kind: text("email"),
        subject: text(subject),
        body: text(body),
        ..StepRequest::default()
    };
    CampaignRequest {
        name: text("Q2 Outbound - Decision Makers"),
        sequence: Some(vec![
            email(
                "Quick question about {{companyName}}",
                "<p>Hi {{firstName}},</p><p>I noticed {{companyName}} is scaling fast. Would love to share how we helped similar teams cut outbound costs by 40%.</p>",
            ),
            StepRequest {
                kind: text("wait"),
                wait_days: Some(3),
                ..StepRequest::default()
            },
            email(
                "Re: Quick question about {{companyName}}",
                "<p>Hey {{firstName}}, just bumping this up. Happy to send over a case study if that helps.</p>",
            ),
        ]),
        subsequences: Some(vec![SubsequenceRequest {
            name: text("Interested follow-up"),
            trigger: Some(TriggerRequest {
                kind: text("ai_tag"),
                value: text("Interested"),
            }),
            sequence: Some(vec![email("", "<p>Great to hear!</p>")]),
            ..SubsequenceRequest::default()
        }]),
        schedule: Some(ScheduleRequest {
            timezone: text("America/Chicago"),
            start_time: text("08:30"),
            end_time: text("16:00"),
            ..ScheduleRequest::default()
        }),
        settings: Some(SettingsRequest {
            cc: Some(vec!["sales-log@yourcompany.com".into()]),
            daily_send_limit: Some(50),
            ..SettingsRequest::default()
        }),
        ..CampaignRequest::default()
    }
}

fn wal_size(database: &Path) -> u64 {
    let mut wal = database.as_os_str().to_owned();
    wal.push("-wal");
    std::fs::metadata(wal).map(|meta| meta.len()).unwrap_or(0)
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let options = options()?;
    for suffix in ["", "-wal", "-shm"] {
        let mut file = options.path.as_os_str().to_owned();
        file.push(suffix);
        let _ = std::fs::remove_file(file);
    }
    let database =
        Database::connect(&format!("sqlite://{}?mode=rwc", options.path.display())).await?;
    database.migrate().await?;

    let ids = ObjectIdGenerator;
    let now = Utc::now();
    let user = User::new(
        UserId::from(ids.new_id()),
        EmailAddress::parse("soak@acme.test").map_err(|e| anyhow::anyhow!(e.message))?,
        now,
    );
    database.identity().insert_user(&user).await?;
    let workspace = Workspace::new(
        WorkspaceId::from(ids.new_id()),
        WorkspaceName::parse(Some("Soak")).map_err(|e| anyhow::anyhow!(e.message))?,
        now,
    );
    database
        .identity()
        .insert_workspace(&workspace, user.id())
        .await?;
    let workspace_id = workspace.id();
    let user_id = user.id();
    for index in 0..options.links.max(1) * 2 {
        let fields = MailboxFields::parse(&MailboxRequest {
            email: Some(format!("sender{index}@acme.test")),
            provider: text("gmail"),
            tags: Some(vec![
                if index % 2 == 0 { "outreach" } else { "warm" }.to_owned(),
            ]),
            ..MailboxRequest::default()
        })
        .map_err(|problems| anyhow::anyhow!("{problems}"))?;
        let mailbox = Mailbox::register(MailboxId::from(ids.new_id()), workspace_id, fields, now);
        database.mailboxes().insert(&mailbox).await?;
    }
    let selection = Arc::new(
        MailboxSelection::parse(
            &MailboxSelectorsRequest {
                mailbox_tags: Some(vec!["outreach".into()]),
                ..MailboxSelectorsRequest::default()
            },
            &JsonPointer::root(),
        )
        .map_err(|problems| anyhow::anyhow!("{problems}"))?,
    );
    let new = NewCampaign::parse(
        &request(),
        ParseRules::create(WebhookHostPolicy::PublicOnly),
    )
    .map_err(|problems| anyhow::anyhow!("{problems}"))?;

    let next = Arc::new(AtomicU64::new(0));
    let written = Arc::new(AtomicU64::new(0));
    let last_written = Arc::new(std::sync::Mutex::new(Vec::<CampaignId>::new()));
    let done = Arc::new(AtomicBool::new(false));
    let started = Instant::now();

    let mut writers = tokio::task::JoinSet::new();
    for _ in 0..options.writers {
        let (campaigns, mailboxes) = (database.campaigns(), database.mailboxes());
        let (next, written, selection, new) = (
            next.clone(),
            written.clone(),
            selection.clone(),
            new.clone(),
        );
        let last_written = last_written.clone();
        let total = options.inserts;
        writers.spawn(async move {
            while next.fetch_add(1, Ordering::Relaxed) < total {
                // What create-campaign does: resolve the mailboxes (a read), then insert.
                let candidates = mailboxes.candidates(workspace_id, &selection).await?;
                let resolved = selection
                    .resolve(&candidates)
                    .map_err(|problems| anyhow::anyhow!("{problems}"))?;
                let campaign = Campaign::create(
                    new.clone(),
                    Provisions {
                        id: CampaignId::from(ObjectIdGenerator.new_id()),
                        workspace_id,
                        user_id,
                        now: Utc::now(),
                        mailboxes: resolved,
                        ai_agent_id: None,
                        webhook_secret: None,
                    },
                    || ObjectIdGenerator.new_id(),
                );
                campaigns.insert(&campaign).await?;
                written.fetch_add(1, Ordering::Relaxed);
                if let Ok(mut last) = last_written.lock() {
                    if last.len() >= 64 {
                        last.clear();
                    }
                    last.push(campaign.id());
                }
            }
            anyhow::Ok(())
        });
    }
    // Readers keep WAL snapshots busy the whole time, as API reads would.
    let mut readers = tokio::task::JoinSet::new();
    for _ in 0..options.readers {
        let campaigns = database.campaigns();
        let (last_written, done) = (last_written.clone(), done.clone());
        readers.spawn(async move {
            let mut reads = 0u64;
            while !done.load(Ordering::Relaxed) {
                let id = last_written
                    .lock()
                    .ok()
                    .and_then(|last| last.last().copied());
                match id {
                    Some(id) => {
                        campaigns.find(workspace_id, id).await?;
                        reads += 1;
                    }
                    None => tokio::time::sleep(Duration::from_millis(1)).await,
                }
            }
            anyhow::Ok(reads)
        });
    }

    let mut peak = 0;
    let sampler = {
        let (written, done, path) = (written.clone(), done.clone(), options.path.clone());
        tokio::spawn(async move {
            let mut peak = 0;
            let mut ticks = tokio::time::interval(Duration::from_secs(1));
            ticks.tick().await;
            while !done.load(Ordering::Relaxed) {
                ticks.tick().await;
                let size = wal_size(&path);
                peak = peak.max(size);
                println!(
                    "t={:>3}s  inserted {:>7}  wal {}",
                    started.elapsed().as_secs(),
                    written.load(Ordering::Relaxed),
                    mib(size)
                );
            }
            peak
        })
    };
    // Finer sampling for the peak.
    let fine = {
        let (done, path) = (done.clone(), options.path.clone());
        tokio::spawn(async move {
            let mut peak = 0;
            while !done.load(Ordering::Relaxed) {
                peak = peak.max(wal_size(&path));
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            peak
        })
    };

    while let Some(writer) = writers.join_next().await {
        writer??;
    }
    let elapsed = started.elapsed();
    done.store(true, Ordering::Relaxed);
    let mut reads = 0;
    while let Some(reader) = readers.join_next().await {
        reads += reader??;
    }
    peak = peak.max(sampler.await?).max(fine.await?);
    let inserted = written.load(Ordering::Relaxed);
    println!(
        "{inserted} campaigns ({} mailbox links each, 1 subsequence) in {:.1}s: {:.0} inserts/s, {} writers; {reads} reads by {} readers",
        options.links,
        elapsed.as_secs_f64(),
        inserted as f64 / elapsed.as_secs_f64(),
        options.writers,
        options.readers,
    );
    println!(
        "WAL peak {}, at the end {}",
        mib(peak),
        mib(wal_size(&options.path))
    );
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    println!("WAL 2.5 s after the end {}", mib(wal_size(&options.path)));
    println!(
        "database file {}",
        mib(std::fs::metadata(&options.path)
            .map(|meta| meta.len())
            .unwrap_or(0))
    );
    Ok(())
}

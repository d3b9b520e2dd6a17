//! `EnrolmentRepository` on `enrolments` and `enrolment_history`, with the campaign's lead counters
//! (`campaigns.lead_<status>`, migration 17), for SQLite and PostgreSQL. See docs/storage.md.
//!
//! Every write is one transaction that first locks the campaign row (`UPDATE campaigns SET
//! lead_pending = lead_pending … RETURNING status`: a row lock on PostgreSQL; on SQLite the writer
//! holds the database already) and then changes the counters by exactly the rows each statement
//! changed (its affected-rows count), so the counters are exact at every commit. The statements are
//! one per status an action changes (the domain's transition functions decide which), never one per
//! enrolment. Enrolling chooses leads with `INSERT … SELECT`, [`ENROL_BATCH`] leads per statement and
//! transaction, walking the workspace's leads by id; each new enrolment's id is made in SQL in the
//! ObjectId layout (see [`id_prefix`]).
//!
//! Lead ids and enrolment ids in `IN (…)` lists are written as SQL literals: they are parsed ids (24
//! lowercase hex digits, nothing else can reach here), and PostgreSQL hashes a long list of
//! constants but compares a list of parameters row by row.

mod counters;
mod sending;
pub(crate) use sending::SqlSendLedger;
mod replies;
pub(crate) use replies::SqlInboxRepository;
mod sql;
mod tracking;
pub(crate) use tracking::SqlTrackingRepository;
#[cfg(feature = "testing")]
pub(crate) use tracking::record_send_event;

use application::ports::{
    EnrolRefused, Enrolled, EnrolmentChange, EnrolmentPage, EnrolmentQuery, EnrolmentRepository,
    EnrolmentView, EnrolmentWrite, LeadChoice, LeadEnrolment, LeadSummary, RepositoryError,
    SentStep,
};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::enrolment::{ActionOutcome, EnrolmentStatus, LeadAction, LeadCounts, StopReason};
use domain::enrolment_request::ActionTarget;
use domain::id::{CampaignId, EnrolmentId, LeadId, MailboxId, SubsequenceId, WorkspaceId};
use domain::send_forecast::DueGroup;
use domain::status::CampaignStatus;
use sea_orm::{ConnectionTrait, DatabaseTransaction, DbBackend, DbErr, QueryResult, Statement};

use self::sql::id_list;
use crate::database::like::{LIKE_ESCAPE, contains_pattern};
use crate::database::pools::{Pools, finish};
use crate::database::sql::Sql;
use crate::error::{OrUnknown, corrupt_row, unknown};
use crate::repositories::values::parse_id;
use crate::time::{from_millis, to_millis};

/// Leads per `INSERT … SELECT` of an enrolment.
pub(crate) const ENROL_BATCH: u64 = 10_000;

const TABLE: &str = "enrolments";

/// The due counts the triggers keep, by campaign (migration 18).
const DUE_TABLE: &str = "enrolment_due_counts";
/// A due slot is a quarter hour.
const DUE_SLOT_MILLIS: i64 = 900_000;
/// The slot of enrolments with no planned send.
const NOTHING_PLANNED: i64 = -1;

/// The columns of an enrolment read, with its lead's summary (`LEFT JOIN leads l`).
const COLUMNS: &str = "e.id, e.campaign_id, e.lead_id, e.subsequence_id, e.status, e.stop_reason, \
    e.current_step, e.next_send_at_ms, e.mailbox_id, e.emails_sent, e.last_sent_at_ms, e.ai_tag, \
    e.created_at_ms, e.updated_at_ms, e.version, l.email, l.first_name, l.last_name, l.company_name";

pub(crate) struct SqlEnrolmentRepository {
    pools: Pools,
}

impl SqlEnrolmentRepository {
    pub(crate) fn new(pools: Pools) -> Self {
        Self { pools }
    }

    fn backend(&self) -> DbBackend {
        DbBackend::from(self.pools.backend)
    }
}

/// The campaign counter of `status`.
fn counter(status: EnrolmentStatus) -> &'static str {
    match status {
        EnrolmentStatus::Pending => "lead_pending",
        EnrolmentStatus::Active => "lead_active",
        EnrolmentStatus::Paused => "lead_paused",
        EnrolmentStatus::Completed => "lead_completed",
        EnrolmentStatus::Bounced => "lead_bounced",
        EnrolmentStatus::Unsubscribed => "lead_unsubscribed",
        EnrolmentStatus::Replied => "lead_replied",
        EnrolmentStatus::Removed => "lead_removed",
    }
}

/// Counter changes of one campaign, by status.
#[derive(Debug, Default)]
struct Deltas([i64; 8]);

impl Deltas {
    fn add(&mut self, status: EnrolmentStatus, by: i64) {
        self.0[status as usize] += by;
    }

    fn moved(&mut self, from: EnrolmentStatus, to: EnrolmentStatus, count: i64) {
        self.add(from, -count);
        self.add(to, count);
    }

    /// `UPDATE campaigns SET lead_x = lead_x + ?, …, version = version + 1` for the changed counters,
    /// or nothing. The version moves so that what was rendered of the campaign (its `leadCounts`) is
    /// rendered again (`campaign_views` compares versions), and a campaign write from before goes
    /// stale and reads again.
    fn statement(&self, backend: DbBackend, campaign: &str) -> Option<Statement> {
        let changed: Vec<(EnrolmentStatus, i64)> = EnrolmentStatus::ALL
            .iter()
            .map(|status| (*status, self.0[*status as usize]))
            .filter(|(_, delta)| *delta != 0)
            .collect();
        if changed.is_empty() {
            return None;
        }
        let mut sql = Sql::of(backend, "UPDATE campaigns SET ", []);
        for (index, (status, delta)) in changed.into_iter().enumerate() {
            let separator = if index == 0 { "" } else { ", " };
            let column = counter(status);
            sql.push(
                &format!("{separator}{column} = {column} + ?"),
                [delta.into()],
            );
        }
        sql.push(", version = version + 1 WHERE id = ?", [campaign.into()]);
        Some(sql.build())
    }
}

/// Locks the campaign row of `workspace` and answers its status (`None`: no such campaign). Every
/// enrolment write starts here, so that the writers of one campaign's enrolments (and its status
/// changes) take turns.
async fn lock_campaign(
    transaction: &DatabaseTransaction,
    backend: DbBackend,
    workspace: &str,
    campaign: &str,
) -> Result<Option<CampaignStatus>, DbErr> {
    let sql = Sql::of(
        backend,
        "UPDATE campaigns SET lead_pending = lead_pending WHERE workspace_id = ? AND id = ? \
         RETURNING status",
        [workspace.into(), campaign.into()],
    );
    let Some(row) = first_row(transaction, sql.build()).await? else {
        return Ok(None);
    };
    let raw: String = row.try_get_by_index(0)?;
    CampaignStatus::from_wire(&raw).map(Some).ok_or_else(|| {
        DbErr::Custom(format!(
            "campaign {campaign} has the unknown status {raw:?}"
        ))
    })
}

/// The first row `statement` reads. Read with `query_all`, which steps the statement to its end: on
/// SQLite a statement left part-way (as `query_one` may leave it) keeps its transaction's snapshot
/// and, for an `UPDATE … RETURNING`, its write open.
async fn first_row(
    transaction: &DatabaseTransaction,
    statement: Statement,
) -> Result<Option<QueryResult>, DbErr> {
    Ok(transaction
        .query_all_raw(statement)
        .await?
        .into_iter()
        .next())
}

/// Runs `statement`; the number of rows it changed.
async fn changed(transaction: &DatabaseTransaction, statement: Statement) -> Result<i64, DbErr> {
    let result = transaction.execute_raw(statement).await?;
    Ok(i64::try_from(result.rows_affected()).unwrap_or(i64::MAX))
}

/// The first 18 hex digits of new enrolment ids: the ObjectId layout's 4-byte seconds and 5 random
/// bytes drawn for this statement. The statement appends a 3-byte counter (its row number, from 1), so
/// the ids of one statement are unique and sort in the order of their leads; two statements share
/// a prefix with a chance of 2⁻⁴⁰ even within the same second.
fn id_prefix(now: DateTime<Utc>) -> String {
    let seconds = u32::try_from(now.timestamp()).unwrap_or(u32::MAX);
    let random: [u8; 5] = rand::random();
    let mut prefix = format!("{seconds:08x}");
    for byte in random {
        prefix.push_str(&format!("{byte:02x}"));
    }
    prefix
}

/// `prefix || <6 hex digits of the row number>`, for the backend.
fn new_id_expression(backend: DbBackend) -> &'static str {
    match backend {
        DbBackend::Postgres => "? || lpad(to_hex(ROW_NUMBER() OVER (ORDER BY chosen.id)), 6, '0')",
        _ => "? || printf('%06x', ROW_NUMBER() OVER (ORDER BY chosen.id))",
    }
}

/// Appends the condition that chooses the workspace's leads (`leads.…`).
fn push_choice(sql: &mut Sql, workspace: &str, choice: &LeadChoice) {
    sql.push(" leads.workspace_id = ?", [workspace.into()]);
    match choice {
        LeadChoice::Ids(ids) => {
            sql.push(&format!(" AND leads.id IN ({})", id_list(ids)), []);
        }
        LeadChoice::All { exclude } => {
            if !exclude.is_empty() {
                sql.push(&format!(" AND leads.id NOT IN ({})", id_list(exclude)), []);
            }
        }
        LeadChoice::Filter(filter) => {
            let tags = filter.folded_tags();
            if !tags.is_empty() {
                let marks = vec!["?"; tags.len()].join(", ");
                let mut values: Vec<sea_orm::Value> = vec![workspace.into()];
                values.extend(tags.iter().map(|tag| sea_orm::Value::from(tag.as_str())));
                sql.push(
                    &format!(
                        " AND leads.id IN (SELECT lead_id FROM lead_tags \
                         WHERE workspace_id = ? AND tag_key IN ({marks}))"
                    ),
                    values,
                );
            }
            if let Some(search) = filter.search() {
                sql.push(
                    &format!(" AND leads.search_folded LIKE ? ESCAPE '{LIKE_ESCAPE}'"),
                    [contains_pattern(search.folded()).into()],
                );
            }
            if let Some(country) = filter.country() {
                sql.push(" AND leads.country = ?", [country.as_str().into()]);
            }
            if !filter.lead_ids().is_empty() {
                sql.push(
                    &format!(" AND leads.id IN ({})", id_list(filter.lead_ids())),
                    [],
                );
            }
        }
    }
}

/// The status a new enrolment of the campaign gets, read under the campaign's lock; why none is made
/// when the campaign is missing or archived.
async fn new_enrolment_status(
    transaction: &DatabaseTransaction,
    backend: DbBackend,
    workspace: &str,
    campaign: &str,
) -> Result<Result<EnrolmentStatus, EnrolRefused>, DbErr> {
    let Some(campaign_status) = lock_campaign(transaction, backend, workspace, campaign).await?
    else {
        return Ok(Err(EnrolRefused::CampaignNotFound));
    };
    Ok(EnrolmentStatus::for_new_enrolment(campaign_status).map_err(|_| EnrolRefused::Archived))
}

/// How many leads the choice matches (enrolled or not), and with ids, those that are no lead of the
/// workspace, in the order given. (An empty list of ids is `IN (NULL)`: it matches none.)
async fn chosen_leads(
    transaction: &DatabaseTransaction,
    backend: DbBackend,
    workspace: &str,
    choice: &LeadChoice,
) -> Result<(i64, Vec<LeadId>), DbErr> {
    match choice {
        LeadChoice::Ids(ids) => {
            let mut sql = Sql::of(backend, "SELECT leads.id FROM leads WHERE", []);
            push_choice(&mut sql, workspace, choice);
            let found: std::collections::HashSet<String> = transaction
                .query_all_raw(sql.build())
                .await?
                .into_iter()
                .map(|row| row.try_get_by_index::<String>(0))
                .collect::<Result<_, _>>()?;
            let missing = ids
                .iter()
                .filter(|id| !found.contains(&id.to_string()))
                .copied()
                .collect();
            Ok((found.len() as i64, missing))
        }
        LeadChoice::Filter(_) | LeadChoice::All { .. } => {
            let mut sql = Sql::of(backend, "SELECT COUNT(*) FROM leads WHERE", []);
            push_choice(&mut sql, workspace, choice);
            let matched = first_row(transaction, sql.build())
                .await?
                .map(|row| row.try_get_by_index::<i64>(0))
                .transpose()?
                .unwrap_or(0);
            Ok((matched, Vec::new()))
        }
    }
}

/// What one batch of an enrolment did.
struct EnrolledBatch {
    added: i64,
    /// The batch's last lead, after which the next batch starts; `None` when this one was the last.
    last: Option<String>,
}

/// One batch of an enrolment, in `transaction`, which holds the campaign's lock: the next
/// [`ENROL_BATCH`] chosen leads after `after` (by id) that are not enrolled yet get enrolments in
/// `status`, and the campaign's counter moves by the number added.
#[allow(clippy::too_many_arguments)]
async fn enrol_batch(
    transaction: &DatabaseTransaction,
    backend: DbBackend,
    workspace: &str,
    campaign: &str,
    choice: &LeadChoice,
    status: EnrolmentStatus,
    after: &str,
    now: DateTime<Utc>,
) -> Result<EnrolledBatch, DbErr> {
    let now_ms = to_millis(now);
    // The last lead of this batch: the id ENROL_BATCH leads further (none: the batch is the rest).
    let mut bound = Sql::of(backend, "SELECT leads.id FROM leads WHERE", []);
    push_choice(&mut bound, workspace, choice);
    // A row comparison on `(workspace_id, id)`: only that index serves it, whatever the planner
    // believes of the tables' sizes (a plan from stale statistics walked the primary key instead).
    bound.push(
        " AND (leads.workspace_id, leads.id) > (?, ?) ORDER BY leads.id LIMIT 1 OFFSET ?",
        [
            workspace.into(),
            after.into(),
            ((ENROL_BATCH - 1) as i64).into(),
        ],
    );
    let last: Option<String> = first_row(transaction, bound.build())
        .await?
        .map(|row| row.try_get_by_index::<String>(0))
        .transpose()?;
    let mut insert = Sql::of(
        backend,
        "INSERT INTO enrolments (id, workspace_id, campaign_id, lead_id, status, \
         created_at_ms, updated_at_ms) SELECT ",
        [],
    );
    insert.push(new_id_expression(backend), [id_prefix(now).into()]);
    insert.push(
        ", ?, ?, chosen.id, ?, ?, ? FROM (SELECT leads.id AS id FROM leads WHERE",
        [
            workspace.into(),
            campaign.into(),
            status.as_str().into(),
            now_ms.into(),
            now_ms.into(),
        ],
    );
    push_choice(&mut insert, workspace, choice);
    insert.push(
        " AND (leads.workspace_id, leads.id) > (?, ?)",
        [workspace.into(), after.into()],
    );
    if let Some(last) = &last {
        insert.push(
            " AND (leads.workspace_id, leads.id) <= (?, ?)",
            [workspace.into(), last.as_str().into()],
        );
    }
    // Leads enrolled already are skipped by the unique index of main-sequence enrolments, one
    // probe per lead, not by an anti-join: planned from statistics taken before the campaign had
    // enrolments, the anti-join compared every chosen lead with every enrolment (minutes a batch).
    insert.push(
        ") chosen WHERE true ON CONFLICT (campaign_id, lead_id) WHERE subsequence_id IS NULL \
         DO NOTHING",
        [],
    );
    let added = changed(transaction, insert.build()).await?;
    let mut deltas = Deltas::default();
    deltas.add(status, added);
    if let Some(statement) = deltas.statement(backend, campaign) {
        transaction.execute_raw(statement).await?;
    }
    Ok(EnrolledBatch { added, last })
}

/// Appends the condition that chooses the targeted enrolments of the campaign (`e.…`).
fn push_target(sql: &mut Sql, campaign: &str, target: &ActionTarget) {
    sql.push(" e.campaign_id = ?", [campaign.into()]);
    match target {
        ActionTarget::Enrolments(ids) => {
            sql.push(&format!(" AND e.id IN ({})", id_list(ids)), []);
        }
        ActionTarget::All { status, exclude } => {
            if let Some(status) = status {
                sql.push(" AND e.status = ?", [status.as_str().into()]);
            }
            if !exclude.is_empty() {
                sql.push(&format!(" AND e.id NOT IN ({})", id_list(exclude)), []);
            }
        }
    }
}

/// Which enrolments a condition on `emails_sent` picks.
#[derive(Clone, Copy)]
enum Sent {
    Any,
    Nothing,
    Something,
}

impl Sent {
    fn condition(self) -> &'static str {
        match self {
            Sent::Any => "",
            Sent::Nothing => " AND e.emails_sent = 0",
            Sent::Something => " AND e.emails_sent > 0",
        }
    }
}

/// The statements that apply `outcome` to the enrolments in `from` (and `sent`) that `target`
/// chooses, run in `transaction`; the counters moved in `deltas`. Answers how many changed.
#[allow(clippy::too_many_arguments)]
async fn apply_outcome(
    transaction: &DatabaseTransaction,
    backend: DbBackend,
    choose: &(dyn Fn(&mut Sql) + Sync),
    from: EnrolmentStatus,
    sent: Sent,
    outcome: ActionOutcome,
    now_ms: i64,
    deltas: &mut Deltas,
) -> Result<i64, DbErr> {
    let (mut sql, to) = match outcome {
        ActionOutcome::Unchanged => return Ok(0),
        ActionOutcome::Delete => (
            Sql::of(backend, "DELETE FROM enrolments AS e WHERE", []),
            None,
        ),
        ActionOutcome::Becomes(to) => (
            Sql::of(
                backend,
                "UPDATE enrolments AS e SET status = ?, updated_at_ms = ?, version = version + 1 \
                 WHERE",
                [to.as_str().into(), now_ms.into()],
            ),
            Some(to),
        ),
        ActionOutcome::Stops(stop) => (
            Sql::of(
                backend,
                "UPDATE enrolments AS e SET status = ?, stop_reason = ?, next_send_at_ms = NULL, \
                 updated_at_ms = ?, version = version + 1 WHERE",
                [
                    stop.status.as_str().into(),
                    stop.reason.as_str().into(),
                    now_ms.into(),
                ],
            ),
            Some(stop.status),
        ),
    };
    choose(&mut sql);
    sql.push(" AND e.status = ?", [from.as_str().into()]);
    sql.push(sent.condition(), []);
    let count = changed(transaction, sql.build()).await?;
    match to {
        Some(to) => deltas.moved(from, to, count),
        None => deltas.add(from, -count),
    }
    Ok(count)
}

/// Applies `outcome_of(status, emails_sent)` to every status, one statement per status and outcome
/// (when the outcome does not depend on having sent, one per status).
async fn apply_transition(
    transaction: &DatabaseTransaction,
    backend: DbBackend,
    choose: &(dyn Fn(&mut Sql) + Sync),
    outcome_of: impl Fn(EnrolmentStatus, u32) -> ActionOutcome,
    now_ms: i64,
    deltas: &mut Deltas,
) -> Result<i64, DbErr> {
    let mut total = 0;
    for from in EnrolmentStatus::ALL {
        let (nothing, something) = (outcome_of(*from, 0), outcome_of(*from, 1));
        if nothing == something {
            total += apply_outcome(
                transaction,
                backend,
                choose,
                *from,
                Sent::Any,
                nothing,
                now_ms,
                deltas,
            )
            .await?;
        } else {
            for (sent, outcome) in [(Sent::Nothing, nothing), (Sent::Something, something)] {
                total += apply_outcome(
                    transaction,
                    backend,
                    choose,
                    *from,
                    sent,
                    outcome,
                    now_ms,
                    deltas,
                )
                .await?;
            }
        }
    }
    Ok(total)
}

/// The statements a campaign update runs when the campaign it writes is active, after its own row
/// matched (so under its lock): its `pending` enrolments turn `active`
/// ([`EnrolmentStatus::on_campaign_activated`]), one statement per status that changes, and the
/// counters move with them (from the counters themselves, which are exact).
pub(crate) fn activation(
    backend: DbBackend,
    campaign: &CampaignId,
    now: DateTime<Utc>,
) -> Vec<Statement> {
    let campaign = campaign.to_string();
    let mut statements = Vec::new();
    let mut moves = Vec::new();
    for from in EnrolmentStatus::ALL {
        let to = from.on_campaign_activated();
        if to == *from {
            continue;
        }
        let sql = Sql::of(
            backend,
            "UPDATE enrolments SET status = ?, updated_at_ms = ?, version = version + 1 \
             WHERE campaign_id = ? AND status = ?",
            [
                to.as_str().into(),
                to_millis(now).into(),
                campaign.as_str().into(),
                from.as_str().into(),
            ],
        );
        statements.push(sql.build());
        moves.push((counter(*from), counter(to)));
    }
    if !moves.is_empty() {
        let sets: Vec<String> = moves
            .iter()
            .flat_map(|(from, to)| [format!("{to} = {to} + {from}"), format!("{from} = 0")])
            .collect();
        let sql = Sql::of(
            backend,
            &format!("UPDATE campaigns SET {} WHERE id = ?", sets.join(", ")),
            [campaign.as_str().into()],
        );
        statements.push(sql.build());
    }
    statements
}

/// Deleting the lead `lead` of `workspace`, inside the transaction that deletes it: its enrolments
/// that sent nothing are deleted, the others stop as `removed` and let go of the lead
/// ([`EnrolmentStatus::on_lead_deleted`]); the counters of every campaign concerned move with them.
/// Locks those campaigns first, like every enrolment write.
pub(crate) async fn detach_lead_in(
    transaction: &DatabaseTransaction,
    backend: DbBackend,
    workspace: &str,
    lead: &str,
) -> Result<(), DbErr> {
    let lock = Sql::of(
        backend,
        "UPDATE campaigns SET lead_pending = lead_pending WHERE id IN \
         (SELECT campaign_id FROM enrolments WHERE workspace_id = ? AND lead_id = ?) RETURNING id",
        [workspace.into(), lead.into()],
    );
    let mut campaigns: Vec<String> = transaction
        .query_all_raw(lock.build())
        .await?
        .into_iter()
        .map(|row| row.try_get_by_index::<String>(0))
        .collect::<Result<_, _>>()?;
    campaigns.sort();
    let now_ms = to_millis(Utc::now());
    for campaign in campaigns {
        let mut deltas = Deltas::default();
        let choose = |sql: &mut Sql| {
            sql.push(
                " e.workspace_id = ? AND e.lead_id = ? AND e.campaign_id = ?",
                [workspace.into(), lead.into(), campaign.as_str().into()],
            );
        };
        apply_transition(
            transaction,
            backend,
            &choose,
            |status, sent| status.on_lead_deleted(sent),
            now_ms,
            &mut deltas,
        )
        .await?;
        if let Some(statement) = deltas.statement(backend, &campaign) {
            transaction.execute_raw(statement).await?;
        }
    }
    let release = Sql::of(
        backend,
        "UPDATE enrolments SET lead_id = NULL WHERE workspace_id = ? AND lead_id = ?",
        [workspace.into(), lead.into()],
    );
    transaction.execute_raw(release.build()).await?;
    Ok(())
}

fn task_ended(error: tokio::task::JoinError) -> DbErr {
    DbErr::Custom(format!("the write task ended early: {error}"))
}

#[async_trait]
impl EnrolmentRepository for SqlEnrolmentRepository {
    async fn enrol(
        &self,
        workspace: WorkspaceId,
        campaign: CampaignId,
        choice: &LeadChoice,
        now: DateTime<Utc>,
    ) -> Result<Enrolled, EnrolRefused> {
        let pools = self.pools.clone();
        let backend = self.backend();
        let choice = choice.clone();
        // In a task of its own: a caller dropped half-way cannot leave the writer inside it.
        tokio::spawn(async move {
            let (workspace, campaign) = (workspace.to_string(), campaign.to_string());
            let (mut added, mut matched, mut missing) = (0, 0, Vec::new());
            // The last lead of the batches so far; none (empty) before the first.
            let mut after = String::new();
            loop {
                let first = after.is_empty();
                let transaction = pools.begin_write().await?;
                let status = match new_enrolment_status(
                    &transaction,
                    backend,
                    &workspace,
                    &campaign,
                )
                .await
                {
                    Ok(Ok(status)) => status,
                    Ok(Err(refused)) => {
                        transaction.rollback().await?;
                        if first {
                            return Ok(Err(refused));
                        }
                        // Archived or deleted since the earlier batches: they stand.
                        break;
                    }
                    Err(error) => return finish(transaction, Err(error), |error| error).await,
                };
                let step = async {
                    let batch = enrol_batch(
                        &transaction,
                        backend,
                        &workspace,
                        &campaign,
                        &choice,
                        status,
                        &after,
                        now,
                    )
                    .await?;
                    let chosen = match first {
                        true => {
                            Some(chosen_leads(&transaction, backend, &workspace, &choice).await?)
                        }
                        false => None,
                    };
                    Ok((batch, chosen))
                }
                .await;
                let (batch, chosen) = finish(transaction, step, |error| error).await?;
                if let Some(chosen) = chosen {
                    (matched, missing) = chosen;
                }
                added += batch.added;
                match batch.last {
                    Some(last) => after = last,
                    None => break,
                }
            }
            Ok(Ok(Enrolled {
                added: added as u64,
                skipped: matched.saturating_sub(added) as u64,
                missing,
            }))
        })
        .await
        .unwrap_or_else(|error| Err(task_ended(error)))
        .map_err(unknown)?
    }

    async fn list(
        &self,
        workspace: WorkspaceId,
        campaign: CampaignId,
        query: &EnrolmentQuery,
    ) -> Result<Option<EnrolmentPage>, RepositoryError> {
        let backend = self.backend();
        let workspace = workspace.to_string();
        let campaign = campaign.to_string();
        let transaction = self.pools.begin_read().await.or_unknown()?;
        let read = async {
            let counts = campaign_counts(&transaction, backend, &workspace, &campaign).await?;
            let Some(counts) = counts else {
                return Ok(None);
            };
            let mut sql = Sql::of(
                backend,
                &format!(
                    "SELECT {COLUMNS} FROM enrolments e LEFT JOIN leads l \
                     ON l.workspace_id = e.workspace_id AND l.id = e.lead_id \
                     WHERE e.workspace_id = ? AND e.campaign_id = ?"
                ),
                [workspace.as_str().into(), campaign.as_str().into()],
            );
            if let Some(status) = query.status {
                sql.push(" AND e.status = ?", [status.as_str().into()]);
            }
            if let Some(before) = query.before {
                sql.push(" AND e.id < ?", [before.to_string().into()]);
            }
            let limit = u64::from(query.limit.get());
            sql.push(" ORDER BY e.id DESC LIMIT ?", [((limit + 1) as i64).into()]);
            let rows = transaction.query_all_raw(sql.build()).await?;
            let has_more = rows.len() as u64 > limit;
            let rows: Vec<QueryResult> = rows.into_iter().take(limit as usize).collect();
            let history = history_of(&transaction, backend, &rows).await?;
            Ok(Some((rows, history, counts, has_more)))
        }
        .await;
        let read = finish(transaction, read, |error| error)
            .await
            .or_unknown()?;
        let Some((rows, mut history, counts, has_more)) = read else {
            return Ok(None);
        };
        let total = match query.status {
            Some(status) => counts.count(status),
            None => counts.total(),
        };
        let enrolments = rows
            .iter()
            .map(|row| view(row, &mut history))
            .collect::<Result<_, _>>()?;
        Ok(Some(EnrolmentPage {
            enrolments,
            total,
            has_more,
        }))
    }

    async fn find(
        &self,
        workspace: WorkspaceId,
        campaign: CampaignId,
        id: EnrolmentId,
    ) -> Result<Option<EnrolmentView>, RepositoryError> {
        let backend = self.backend();
        let transaction = self.pools.begin_read().await.or_unknown()?;
        let read = async {
            let sql = Sql::of(
                backend,
                &format!(
                    "SELECT {COLUMNS} FROM enrolments e LEFT JOIN leads l \
                     ON l.workspace_id = e.workspace_id AND l.id = e.lead_id \
                     WHERE e.workspace_id = ? AND e.campaign_id = ? AND e.id = ?"
                ),
                [
                    workspace.to_string().into(),
                    campaign.to_string().into(),
                    id.to_string().into(),
                ],
            );
            let rows = transaction.query_all_raw(sql.build()).await?;
            let history = history_of(&transaction, backend, &rows).await?;
            Ok((rows, history))
        }
        .await;
        let (rows, mut history) = finish(transaction, read, |error| error)
            .await
            .or_unknown()?;
        rows.first().map(|row| view(row, &mut history)).transpose()
    }

    async fn act(
        &self,
        workspace: WorkspaceId,
        campaign: CampaignId,
        action: LeadAction,
        target: &ActionTarget,
        now: DateTime<Utc>,
    ) -> Result<Option<u64>, RepositoryError> {
        let pools = self.pools.clone();
        let backend = self.backend();
        let target = target.clone();
        tokio::spawn(async move {
            let transaction = pools.begin_write().await?;
            let acted = async {
                let workspace = workspace.to_string();
                let campaign = campaign.to_string();
                if lock_campaign(&transaction, backend, &workspace, &campaign)
                    .await?
                    .is_none()
                {
                    return Ok(None);
                }
                if matches!(&target, ActionTarget::Enrolments(ids) if ids.is_empty()) {
                    return Ok(Some(0));
                }
                let choose = |sql: &mut Sql| push_target(sql, &campaign, &target);
                let mut deltas = Deltas::default();
                let modified = apply_transition(
                    &transaction,
                    backend,
                    &choose,
                    |status, sent| status.after_action(action, sent),
                    to_millis(now),
                    &mut deltas,
                )
                .await?;
                if let Some(statement) = deltas.statement(backend, &campaign) {
                    transaction.execute_raw(statement).await?;
                }
                Ok(Some(modified as u64))
            }
            .await;
            finish(transaction, acted, |error| error).await
        })
        .await
        .unwrap_or_else(|error| Err(task_ended(error)))
        .or_unknown()
    }

    async fn update(
        &self,
        workspace: WorkspaceId,
        change: &EnrolmentChange,
    ) -> Result<EnrolmentWrite, RepositoryError> {
        let pools = self.pools.clone();
        let backend = self.backend();
        let change = change.clone();
        tokio::spawn(async move {
            let transaction = pools.begin_write().await?;
            let written = update_in(&transaction, backend, &workspace.to_string(), &change).await;
            match written {
                Ok(EnrolmentWrite::Stale) => {
                    transaction.rollback().await?;
                    Ok(EnrolmentWrite::Stale)
                }
                other => finish(transaction, other, |error| error).await,
            }
        })
        .await
        .unwrap_or_else(|error| Err(task_ended(error)))
        .or_unknown()
    }

    /// From `enrolment_due_counts`, which triggers on `enrolments` keep (migration 18).
    async fn due_groups(
        &self,
        workspace: WorkspaceId,
        campaign: CampaignId,
    ) -> Result<Vec<DueGroup>, RepositoryError> {
        let sql = Sql::of(
            self.backend(),
            &format!(
                "SELECT sequence_key, step, due_slot, enrolments FROM {DUE_TABLE} \
                 WHERE workspace_id = ? AND campaign_id = ?"
            ),
            [workspace.to_string().into(), campaign.to_string().into()],
        );
        let rows = self
            .pools
            .reads
            .query_all_raw(sql.build())
            .await
            .or_unknown()?;
        let campaign = campaign.to_string();
        rows.iter()
            .map(|row| {
                let sequence: String = row.try_get_by_index(0).or_unknown()?;
                let step: i64 = row.try_get_by_index(1).or_unknown()?;
                let slot: i64 = row.try_get_by_index(2).or_unknown()?;
                let enrolments: i64 = row.try_get_by_index(3).or_unknown()?;
                Ok(DueGroup {
                    sequence: match sequence.as_str() {
                        "" => None,
                        key => Some(parse_id(key, SubsequenceId::parse, DUE_TABLE, &campaign)?),
                    },
                    step: small(step, "step", &campaign)?,
                    due: match slot {
                        NOTHING_PLANNED => None,
                        slot => Some(from_millis(
                            slot.saturating_mul(DUE_SLOT_MILLIS),
                            DUE_TABLE,
                            &campaign,
                        )?),
                    },
                    enrolments: u64::try_from(enrolments).map_err(|_| {
                        corrupt_row(DUE_TABLE, &campaign, format!("{enrolments} enrolments"))
                    })?,
                })
            })
            .collect()
    }

    async fn of_lead(
        &self,
        workspace: WorkspaceId,
        lead: LeadId,
    ) -> Result<Vec<LeadEnrolment>, RepositoryError> {
        let sql = Sql::of(
            self.backend(),
            "SELECT campaign_id, id, status FROM enrolments \
             WHERE workspace_id = ? AND lead_id = ? AND subsequence_id IS NULL ORDER BY id",
            [workspace.to_string().into(), lead.to_string().into()],
        );
        // A read transaction: planned for the table's size now (see `Pools::begin_read`).
        let transaction = self.pools.begin_read().await.or_unknown()?;
        let read = transaction.query_all_raw(sql.build()).await;
        let rows = finish(transaction, read, |error| error)
            .await
            .or_unknown()?;
        rows.iter()
            .map(|row| {
                let id: String = row.try_get_by_index(1).or_unknown()?;
                let campaign: String = row.try_get_by_index(0).or_unknown()?;
                let status: String = row.try_get_by_index(2).or_unknown()?;
                Ok(LeadEnrolment {
                    campaign_id: parse_id(&campaign, CampaignId::parse, TABLE, &id)?,
                    enrolment_id: parse_id(&id, EnrolmentId::parse, TABLE, &id)?,
                    status: parse_status(&status, &id)?,
                })
            })
            .collect()
    }
}

/// A lead's new enrolment in a subsequence of its campaign.
struct Joining {
    id: String,
    subsequence: String,
    status: EnrolmentStatus,
}

/// Enrols the lead of the enrolment `from` in a subsequence of `campaign` (a row of its own, sending
/// from the same mailbox as `from`, so that its emails go out in the same thread), unless it is in
/// it already; counts it in `deltas` and the subsequence's `addedCount`. The campaign is locked by
/// the caller. Whether it joined.
async fn join_subsequence(
    transaction: &DatabaseTransaction,
    backend: DbBackend,
    campaign: &str,
    from: &str,
    joining: &Joining,
    now_ms: i64,
    deltas: &mut Deltas,
) -> Result<bool, DbErr> {
    let subsequence = joining.subsequence.as_str();
    let insert = Sql::of(
        backend,
        "INSERT INTO enrolments (id, workspace_id, campaign_id, lead_id, subsequence_id, \
         status, ai_tag, mailbox_id, created_at_ms, updated_at_ms) \
         SELECT ?, e.workspace_id, e.campaign_id, e.lead_id, ?, ?, e.ai_tag, e.mailbox_id, ?, ? \
         FROM enrolments e WHERE e.id = ? AND e.campaign_id = ? AND e.lead_id IS NOT NULL \
         AND NOT EXISTS (SELECT 1 FROM enrolments s WHERE s.campaign_id = e.campaign_id \
         AND s.subsequence_id = ? AND s.lead_id = e.lead_id)",
        [
            joining.id.as_str().into(),
            subsequence.into(),
            joining.status.as_str().into(),
            now_ms.into(),
            now_ms.into(),
            from.into(),
            campaign.into(),
            subsequence.into(),
        ],
    );
    if changed(transaction, insert.build()).await? == 0 {
        return Ok(false);
    }
    deltas.add(joining.status, 1);
    let added = Sql::of(
        backend,
        "UPDATE subsequences SET added_count = added_count + 1 WHERE id = ? AND campaign_id = ?",
        [subsequence.into(), campaign.into()],
    );
    // The counters' statement of the caller moves the campaign's version too.
    transaction.execute_raw(added.build()).await?;
    Ok(true)
}

/// The change of one enrolment (see [`EnrolmentRepository::update`]).
async fn update_in(
    transaction: &DatabaseTransaction,
    backend: DbBackend,
    workspace: &str,
    change: &EnrolmentChange,
) -> Result<EnrolmentWrite, DbErr> {
    let campaign = change.campaign.to_string();
    let id = change.id.to_string();
    if lock_campaign(transaction, backend, workspace, &campaign)
        .await?
        .is_none()
    {
        return Ok(EnrolmentWrite::Stale);
    }
    let now_ms = to_millis(change.now);
    let (from, to) = change.status;
    let sql = Sql::of(
        backend,
        "UPDATE enrolments SET status = ?, ai_tag = ?, updated_at_ms = ?, version = version + 1 \
         WHERE workspace_id = ? AND campaign_id = ? AND id = ? AND version = ? AND status = ?",
        [
            to.as_str().into(),
            change.ai_tag.clone().into(),
            now_ms.into(),
            workspace.into(),
            campaign.as_str().into(),
            id.as_str().into(),
            change.expected_version.into(),
            from.as_str().into(),
        ],
    );
    if changed(transaction, sql.build()).await? == 0 {
        return Ok(EnrolmentWrite::Stale);
    }
    let mut deltas = Deltas::default();
    if from != to {
        deltas.moved(from, to, 1);
    }
    if let Some(join) = change.join {
        let joining = Joining {
            id: join.id.to_string(),
            subsequence: join.subsequence.to_string(),
            status: join.status,
        };
        join_subsequence(
            transaction,
            backend,
            &campaign,
            &id,
            &joining,
            now_ms,
            &mut deltas,
        )
        .await?;
    }
    if let Some(statement) = deltas.statement(backend, &campaign) {
        transaction.execute_raw(statement).await?;
    }
    Ok(EnrolmentWrite::Written)
}

/// The lead counters of the workspace's campaign, or `None` when it has no such campaign.
async fn campaign_counts(
    transaction: &DatabaseTransaction,
    backend: DbBackend,
    workspace: &str,
    campaign: &str,
) -> Result<Option<LeadCounts>, DbErr> {
    let columns: Vec<&str> = EnrolmentStatus::ALL.iter().map(|s| counter(*s)).collect();
    let sql = Sql::of(
        backend,
        &format!(
            "SELECT {} FROM campaigns WHERE workspace_id = ? AND id = ?",
            columns.join(", ")
        ),
        [workspace.into(), campaign.into()],
    );
    let Some(row) = first_row(transaction, sql.build()).await? else {
        return Ok(None);
    };
    let mut counts = Vec::with_capacity(8);
    for (index, status) in EnrolmentStatus::ALL.iter().enumerate() {
        let count: i64 = row.try_get_by_index(index)?;
        counts.push((*status, u64::try_from(count).unwrap_or(0)));
    }
    Ok(Some(LeadCounts::from_counts(counts)))
}

/// The history rows of the enrolments `rows` hold, by enrolment id, in step order.
async fn history_of(
    transaction: &DatabaseTransaction,
    backend: DbBackend,
    rows: &[QueryResult],
) -> Result<std::collections::HashMap<String, Vec<QueryResult>>, DbErr> {
    let mut ids = Vec::with_capacity(rows.len());
    for row in rows {
        let id: String = row.try_get_by_index(0)?;
        ids.push(
            EnrolmentId::parse(&id)
                .map_err(|_| DbErr::Custom(format!("corrupt enrolment id {id:?}")))?,
        );
    }
    let mut by_enrolment: std::collections::HashMap<String, Vec<QueryResult>> = Default::default();
    if ids.is_empty() {
        return Ok(by_enrolment);
    }
    let sql = Sql::of(
        backend,
        &format!(
            "SELECT enrolment_id, step, variant, mailbox_id, message_id, sent_at_ms, opened_at_ms, \
             clicked_at_ms, replied_at_ms, bounced_at_ms FROM enrolment_history \
             WHERE enrolment_id IN ({}) ORDER BY enrolment_id, step",
            id_list(&ids)
        ),
        [],
    );
    for row in transaction.query_all_raw(sql.build()).await? {
        let id: String = row.try_get_by_index(0)?;
        by_enrolment.entry(id).or_default().push(row);
    }
    Ok(by_enrolment)
}

fn parse_status(raw: &str, id: &str) -> Result<EnrolmentStatus, RepositoryError> {
    EnrolmentStatus::from_wire(raw)
        .ok_or_else(|| corrupt_row(TABLE, id, format!("unknown status {raw:?}")))
}

fn millis(
    row: &QueryResult,
    column: &str,
    id: &str,
) -> Result<Option<DateTime<Utc>>, RepositoryError> {
    row.try_get::<Option<i64>>("", column)
        .or_unknown()?
        .map(|millis| from_millis(millis, TABLE, id))
        .transpose()
}

fn small(value: i64, column: &str, id: &str) -> Result<u32, RepositoryError> {
    u32::try_from(value).map_err(|_| corrupt_row(TABLE, id, format!("{column} is {value}")))
}

/// An enrolment row (with its lead's summary) and its history, re-parsed.
fn view(
    row: &QueryResult,
    history: &mut std::collections::HashMap<String, Vec<QueryResult>>,
) -> Result<EnrolmentView, RepositoryError> {
    let get = |column: &str| row.try_get::<String>("", column).or_unknown();
    let get_opt = |column: &str| row.try_get::<Option<String>>("", column).or_unknown();
    let id = get("id")?;
    let lead = match (get_opt("lead_id")?, get_opt("email")?) {
        (Some(lead_id), Some(email)) => Some(LeadSummary {
            id: parse_id(&lead_id, LeadId::parse, TABLE, &id)?,
            email,
            first_name: get_opt("first_name")?,
            last_name: get_opt("last_name")?,
            company_name: get_opt("company_name")?,
        }),
        _ => None,
    };
    let stop_reason = get_opt("stop_reason")?
        .map(|raw| {
            StopReason::from_wire(&raw)
                .ok_or_else(|| corrupt_row(TABLE, &id, format!("unknown stop reason {raw:?}")))
        })
        .transpose()?;
    let sent_steps = history
        .remove(&id)
        .unwrap_or_default()
        .iter()
        .map(|step| sent_step(step, &id))
        .collect::<Result<_, _>>()?;
    let current_step: i64 = row.try_get::<i64>("", "current_step").or_unknown()?;
    let emails_sent: i64 = row.try_get("", "emails_sent").or_unknown()?;
    Ok(EnrolmentView {
        campaign_id: parse_id(&get("campaign_id")?, CampaignId::parse, TABLE, &id)?,
        lead,
        subsequence_id: get_opt("subsequence_id")?
            .map(|raw| parse_id(&raw, SubsequenceId::parse, TABLE, &id))
            .transpose()?,
        status: parse_status(&get("status")?, &id)?,
        stop_reason,
        current_step: small(current_step, "current_step", &id)?,
        next_send_at: millis(row, "next_send_at_ms", &id)?,
        mailbox_id: get_opt("mailbox_id")?
            .map(|raw| parse_id(&raw, MailboxId::parse, TABLE, &id))
            .transpose()?,
        emails_sent: small(emails_sent, "emails_sent", &id)?,
        last_sent_at: millis(row, "last_sent_at_ms", &id)?,
        ai_tag: get_opt("ai_tag")?,
        history: sent_steps,
        created_at: from_millis(row.try_get("", "created_at_ms").or_unknown()?, TABLE, &id)?,
        updated_at: from_millis(row.try_get("", "updated_at_ms").or_unknown()?, TABLE, &id)?,
        version: row.try_get("", "version").or_unknown()?,
        id: parse_id(&id, EnrolmentId::parse, TABLE, &id)?,
    })
}

fn sent_step(row: &QueryResult, id: &str) -> Result<SentStep, RepositoryError> {
    let step: i64 = row.try_get("", "step").or_unknown()?;
    Ok(SentStep {
        step: small(step, "step", id)?,
        variant: row.try_get("", "variant").or_unknown()?,
        mailbox_id: row
            .try_get::<Option<String>>("", "mailbox_id")
            .or_unknown()?
            .map(|raw| parse_id(&raw, MailboxId::parse, "enrolment_history", id))
            .transpose()?,
        message_id: row.try_get("", "message_id").or_unknown()?,
        sent_at: from_millis(
            row.try_get("", "sent_at_ms").or_unknown()?,
            "enrolment_history",
            id,
        )?,
        opened_at: millis(row, "opened_at_ms", id)?,
        clicked_at: millis(row, "clicked_at_ms", id)?,
        replied_at: millis(row, "replied_at_ms", id)?,
        bounced_at: millis(row, "bounced_at_ms", id)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_enrolment_ids_have_the_object_id_layout() {
        let now = DateTime::from_timestamp(1_765_000_000, 0).expect("time");
        let prefix = id_prefix(now);
        assert_eq!(prefix.len(), 18);
        assert!(prefix.starts_with(&format!("{:08x}", 1_765_000_000u32)));
        let id = format!("{prefix}{:06x}", 1);
        assert!(EnrolmentId::parse(&id).is_ok(), "{id}");
        assert_ne!(id_prefix(now), prefix, "5 random bytes per statement");
    }

    #[test]
    fn every_status_has_its_own_counter() {
        let columns: std::collections::HashSet<&str> =
            EnrolmentStatus::ALL.iter().map(|s| counter(*s)).collect();
        assert_eq!(columns.len(), EnrolmentStatus::ALL.len());
    }
}

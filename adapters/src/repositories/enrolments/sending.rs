//! [`SendLedger`] over SQL: the `sends` table (migration 21) beside the enrolments it advances.
//!
//! A claim is one transaction that first locks the campaign row (as every enrolment write does; on
//! SQLite the one writer already serialises it). It reads every count the limits need and asks
//! [`plan_claims`]; on PostgreSQL it then locks the mailbox rows the plan sends from, in id order (a
//! mailbox's rolling-day limit spans campaigns, so two campaigns' claims must take turns on a shared
//! mailbox; one order everywhere, so they cannot deadlock), reads their counts again and plans again
//! on them. It writes its answer before it commits: no count of a mailbox it sends from can move
//! between that reading and the write. Only the planned senders are locked, not all the campaign's
//! mailboxes (20,000 row locks a claim made two workers take turns for nothing). The unique
//! (enrolment, step) index refuses a second claim of one email even if the code were wrong.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use application::ports::{
    ClaimRequest, ClaimedSend, EarlierMessage, FinishedSend, IdGenerator, MessageId, NextStep,
    RepositoryError, SendLedger, SendOutcome,
};
use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use domain::campaign::Campaign;
use domain::dispatch::{
    Assignment, CampaignLoad, DueSend, EmailProvider, MailboxLoad, plan_claims,
};
use domain::dnc::dnc_keys_of;
use domain::enrolment::{EnrolmentStatus, StopReason};
use domain::id::{
    CampaignId, EnrolmentId, LeadId, MailboxId, ObjectId, SubsequenceId, WorkspaceId,
};
use domain::mailbox::Mailbox;
use domain::send_forecast::next_email;
use domain::send_window::SendCalendar;
use domain::sequence::{Sequence, StepKind};
use domain::settings::EspMatchingMode;
use domain::status::CampaignStatus;
use domain::values::EmailAddress;
use domain::variant_choice::{VariantRecord, choose_variant};
use sea_orm::{ConnectionTrait, DatabaseTransaction, DbBackend, DbErr, EntityTrait, Value};

pub(super) use super::counters::{StatsOf, set_stopped};
use super::tracking::{EventRow, SendRow, insert_events};
use super::{Deltas, changed, first_row, lock_campaign};
use crate::ObjectIdGenerator;
use crate::database::pools::{Pools, finish};
use crate::database::sql::Sql;
use crate::entities::mailbox;
use crate::error::{OrUnknown, unknown};
use crate::repositories::dnc::matching_in;
use crate::repositories::mailboxes::mailbox_from_row;
use crate::repositories::values::parse_id;
use crate::time::to_millis;

/// Due enrolments read per claim, per id offered: follow-ups waiting for their own mailbox must not
/// keep first emails behind them from being planned.
const DUE_ROWS_PER_CLAIM: usize = 4;

/// The sending engine's ledger.
#[derive(Clone)]
pub(crate) struct SqlSendLedger {
    pools: Pools,
}

impl SqlSendLedger {
    pub(crate) fn new(pools: Pools) -> Self {
        Self { pools }
    }
}

/// A step of a sequence: the subsequence (`None`: the main sequence) and the step's position.
type StepKey = (Option<String>, usize);

/// An enrolment whose email is due, as the claim reads it.
struct DueRow {
    enrolment: String,
    subsequence: Option<String>,
    lead: String,
    email: String,
    current_step: i64,
    thread_mailbox: Option<String>,
}

/// The variant letters of the email step at `step`, in order (empty when it has none).
fn variant_letters(sequence: &Sequence, step: usize) -> Vec<String> {
    match sequence.steps().get(step).map(|step| step.kind()) {
        Some(StepKind::Email(email)) => email
            .variants()
            .iter()
            .map(|variant| variant.letter().to_string())
            .collect(),
        _ => Vec::new(),
    }
}

fn text(row: &sea_orm::QueryResult, column: &str) -> Result<String, DbErr> {
    row.try_get::<String>("", column)
}

fn optional_text(row: &sea_orm::QueryResult, column: &str) -> Result<Option<String>, DbErr> {
    row.try_get::<Option<String>>("", column)
}

/// The two parts of the due read, each a condition and its order: never planned, then planned
/// and due by `now`.
const NEVER_PLANNED: (&str, &str) = ("e.next_send_at_ms IS NULL", "e.id");
const PLANNED_BY: (&str, &str) = ("e.next_send_at_ms <= ?", "e.next_send_at_ms, e.id");

async fn due_rows(
    transaction: &DatabaseTransaction,
    backend: DbBackend,
    campaign: &str,
    now: i64,
    limit: usize,
) -> Result<Vec<DueRow>, DbErr> {
    // Most overdue first: never planned (no time counts as due) by id, then planned by (time, id).
    // Two walks of `enrolments_campaign_due` (migration 23) that stop at `limit`, not one sort of
    // every enrolment of the campaign.
    let mut rows = due_rows_where(
        transaction,
        backend,
        campaign,
        (NEVER_PLANNED.0, None),
        NEVER_PLANNED.1,
        limit,
    )
    .await?;
    if rows.len() < limit {
        let planned = due_rows_where(
            transaction,
            backend,
            campaign,
            (PLANNED_BY.0, Some(now)),
            PLANNED_BY.1,
            limit - rows.len(),
        )
        .await?;
        rows.extend(planned);
    }
    Ok(rows)
}

/// The campaign's `active` enrolments matching `due` (a condition, with its bound time) whose email
/// at their current step is not claimed already, in `order`.
async fn due_rows_where(
    transaction: &DatabaseTransaction,
    backend: DbBackend,
    campaign: &str,
    due: (&str, Option<i64>),
    order: &str,
    limit: usize,
) -> Result<Vec<DueRow>, DbErr> {
    let sql = due_rows_sql(backend, campaign, due, order, limit);
    transaction
        .query_all_raw(sql.build())
        .await?
        .iter()
        .map(|row| {
            Ok(DueRow {
                enrolment: text(row, "id")?,
                subsequence: optional_text(row, "subsequence_id")?,
                lead: text(row, "lead_id")?,
                email: text(row, "email")?,
                current_step: row.try_get::<i64>("", "current_step")?,
                thread_mailbox: optional_text(row, "mailbox_id")?,
            })
        })
        .collect()
}

/// The statement of [`due_rows_where`].
fn due_rows_sql(
    backend: DbBackend,
    campaign: &str,
    (due, due_at): (&str, Option<i64>),
    order: &str,
    limit: usize,
) -> Sql {
    let mut sql = Sql::of(
        backend,
        "SELECT e.id, e.subsequence_id, e.lead_id, l.email, e.current_step, e.mailbox_id \
         FROM enrolments e JOIN leads l ON l.workspace_id = e.workspace_id AND l.id = e.lead_id \
         WHERE e.campaign_id = ? AND e.status = 'active' AND ",
        [campaign.into()],
    );
    sql.push(due, due_at.map(Value::from));
    sql.push(
        &format!(
            " AND NOT EXISTS (SELECT 1 FROM sends s WHERE s.enrolment_id = e.id \
             AND s.step = e.current_step AND s.state <> 'deferred') ORDER BY {order} LIMIT ?"
        ),
        [(limit as i64).into()],
    );
    sql
}

/// What one variant of a step did so far, as stored (see [`VariantRecord`]).
struct StoredVariant {
    letter: String,
    sent: u64,
    first_sent_at: Option<DateTime<Utc>>,
    opened: u64,
    clicked: u64,
    replied: u64,
}

impl StoredVariant {
    fn record(&self) -> VariantRecord<'_> {
        VariantRecord {
            letter: &self.letter,
            sent: self.sent,
            first_sent_at: self.first_sent_at,
            opened: self.opened,
            clicked: self.clicked,
            replied: self.replied,
        }
    }
}

/// The records of the variants `letters` of the step `key` of the campaign: sends that were not
/// deferred, the first one's claim, and how many were opened, clicked, or went to a lead who
/// replied (the enrolment's status; SENDING.md section 3, `variantOptimization`).
async fn stored_variants(
    transaction: &DatabaseTransaction,
    backend: DbBackend,
    campaign: &str,
    key: &StepKey,
    letters: Vec<String>,
) -> Result<Vec<StoredVariant>, DbErr> {
    let (subsequence, step) = key;
    let sql = Sql::of(
        backend,
        &format!(
            "SELECT s.variant, COUNT(*), MIN(s.claimed_at_ms), COUNT(s.opened_at_ms), \
             COUNT(s.clicked_at_ms), SUM(CASE WHEN e.status = 'replied' THEN 1 ELSE 0 END) \
             FROM sends s JOIN enrolments e ON e.id = s.enrolment_id \
             WHERE s.state <> 'deferred' AND s.campaign_id = ? AND s.step = ? \
             AND s.subsequence_id {} GROUP BY s.variant",
            if subsequence.is_some() {
                "= ?"
            } else {
                "IS NULL"
            }
        ),
        [campaign.into(), (*step as i64).into()]
            .into_iter()
            .chain(subsequence.clone().map(Into::into)),
    );
    let mut stored: HashMap<String, StoredVariant> = HashMap::new();
    for row in transaction.query_all_raw(sql.build()).await? {
        let letter: Option<String> = row.try_get_by_index(0)?;
        let Some(letter) = letter else { continue };
        let count = |index: usize| -> Result<u64, DbErr> {
            let value: Option<i64> = row.try_get_by_index(index)?;
            Ok(u64::try_from(value.unwrap_or(0)).unwrap_or(0))
        };
        let first: Option<i64> = row.try_get_by_index(2)?;
        stored.insert(
            letter.clone(),
            StoredVariant {
                letter,
                sent: count(1)?,
                first_sent_at: first.and_then(DateTime::from_timestamp_millis),
                opened: count(3)?,
                clicked: count(4)?,
                replied: count(5)?,
            },
        );
    }
    Ok(letters
        .into_iter()
        .map(|letter| {
            stored.remove(&letter).unwrap_or(StoredVariant {
                letter,
                sent: 0,
                first_sent_at: None,
                opened: 0,
                clicked: 0,
                replied: 0,
            })
        })
        .collect())
}

/// `(key, count or instant)` pairs of a grouped query.
async fn grouped(
    transaction: &DatabaseTransaction,
    sql: Sql,
) -> Result<HashMap<String, i64>, DbErr> {
    transaction
        .query_all_raw(sql.build())
        .await?
        .iter()
        .map(|row| Ok((row.try_get_by_index(0)?, row.try_get_by_index(1)?)))
        .collect()
}

/// The campaign's mailboxes as stored with it, in the campaign's order. Not locked: a claim locks
/// only the mailboxes it plans to send from ([`lock_and_replan`]); a campaign may have 20,000.
async fn campaign_mailboxes(
    transaction: &DatabaseTransaction,
    backend: DbBackend,
    campaign: &Campaign,
) -> Result<Vec<Mailbox>, RepositoryError> {
    let sql = Sql::of(
        backend,
        "SELECT m.* FROM campaign_mailboxes cm JOIN mailboxes m \
         ON m.workspace_id = cm.workspace_id AND m.id = cm.mailbox_id \
         WHERE cm.workspace_id = ? AND cm.campaign_id = ? ORDER BY cm.position",
        [
            campaign.workspace_id().to_string().into(),
            campaign.id().to_string().into(),
        ],
    );
    mailbox::Entity::find()
        .from_raw_sql(sql.build())
        .all(transaction)
        .await
        .or_unknown()?
        .into_iter()
        .map(mailbox_from_row)
        .collect()
}

/// Which mailboxes' counts to read.
enum MailboxScope<'a> {
    /// Every mailbox of the campaign.
    Campaign,
    /// These (ids).
    These(&'a [String]),
}

/// What the limits need of each mailbox of `scope`, read in the claim's transaction.
struct MailboxCounts {
    /// Its claims (every campaign's) since 24 hours ago.
    last_day: HashMap<String, i64>,
    /// This campaign's latest claim from it.
    latest: HashMap<String, i64>,
}

impl MailboxCounts {
    async fn read(
        transaction: &DatabaseTransaction,
        backend: DbBackend,
        campaign: &str,
        day_ago: i64,
        scope: &MailboxScope<'_>,
    ) -> Result<MailboxCounts, DbErr> {
        let in_scope = |sql: &mut Sql| match scope {
            MailboxScope::Campaign => sql.push(
                " AND mailbox_id IN \
                 (SELECT mailbox_id FROM campaign_mailboxes WHERE campaign_id = ?)",
                [campaign.into()],
            ),
            MailboxScope::These(ids) => {
                sql.push(" AND mailbox_id IN ", []);
                sql.push_list(ids.iter().map(|id| id.as_str().into()));
            }
        };
        let mut last_day = Sql::of(
            backend,
            "SELECT mailbox_id, COUNT(*) FROM sends WHERE state <> 'deferred' AND claimed_at_ms > ?",
            [day_ago.into()],
        );
        in_scope(&mut last_day);
        last_day.push(" GROUP BY mailbox_id", []);
        let mut latest = Sql::of(
            backend,
            "SELECT mailbox_id, MAX(claimed_at_ms) FROM sends WHERE state <> 'deferred' \
             AND campaign_id = ?",
            [campaign.into()],
        );
        in_scope(&mut latest);
        latest.push(" GROUP BY mailbox_id", []);
        Ok(MailboxCounts {
            last_day: grouped(transaction, last_day).await?,
            latest: grouped(transaction, latest).await?,
        })
    }

    /// `mailbox` as the plan sees it with these counts.
    fn load_of(&self, mailbox: &Mailbox) -> MailboxLoad {
        let id = mailbox.id().to_string();
        MailboxLoad {
            id: mailbox.id(),
            provider: EmailProvider::of_mailbox(mailbox.fields().provider()),
            usable: mailbox.can_send(),
            daily_limit: mailbox.fields().daily_send_limit(),
            sent_last_day: self
                .last_day
                .get(&id)
                .map_or(0, |count| u32::try_from(*count).unwrap_or(u32::MAX)),
            last_campaign_send: self
                .latest
                .get(&id)
                .and_then(|at| DateTime::from_timestamp_millis(*at)),
        }
    }
}

/// PostgreSQL: locks the mailboxes `plan` sends from (in id order, so that claimers cannot
/// deadlock), reads their counts again now that no other claim can add to them until this one
/// commits, and plans the same sends again on those counts: what it answers holds every limit.
/// (A mailbox's rolling-day limit spans campaigns, so another campaign's claim may have committed
/// sends from it since the first reading.) SQLite's one writer needs none of this.
async fn lock_and_replan(
    transaction: &DatabaseTransaction,
    plan: Vec<Assignment>,
    due: &[DueSend],
    mailboxes: &[Mailbox],
    campaign: &Campaign,
    now: DateTime<Utc>,
    load: CampaignLoad,
) -> Result<Vec<Assignment>, RepositoryError> {
    let backend = DbBackend::Postgres;
    let mut senders: Vec<String> = plan.iter().map(|a| a.mailbox.to_string()).collect();
    senders.sort();
    senders.dedup();
    let mut lock = Sql::of(
        backend,
        "SELECT id FROM mailboxes WHERE workspace_id = ? AND id IN (",
        [campaign.workspace_id().to_string().into()],
    );
    for (index, id) in senders.iter().enumerate() {
        lock.push(if index == 0 { "?" } else { ", ?" }, [id.as_str().into()]);
    }
    lock.push(") ORDER BY id FOR UPDATE", []);
    transaction.query_all_raw(lock.build()).await.or_unknown()?;
    let day_ago = to_millis(now - Duration::hours(24));
    let counts = MailboxCounts::read(
        transaction,
        backend,
        &campaign.id().to_string(),
        day_ago,
        &MailboxScope::These(&senders),
    )
    .await
    .or_unknown()?;
    let mut fresh: Vec<MailboxLoad> = mailboxes
        .iter()
        .filter(|mailbox| senders.binary_search(&mailbox.id().to_string()).is_ok())
        .map(|mailbox| counts.load_of(mailbox))
        .collect();
    let planned: HashSet<EnrolmentId> = plan.iter().map(|a| a.enrolment).collect();
    let planned_due: Vec<DueSend> = due
        .iter()
        .filter(|send| planned.contains(&send.enrolment))
        .cloned()
        .collect();
    Ok(plan_claims(now, &planned_due, &mut fresh, load))
}

/// Stops the enrolments `ids` (all `active`) for `reason`, moving the counters in `deltas`.
async fn stop_active(
    transaction: &DatabaseTransaction,
    backend: DbBackend,
    ids: &[String],
    reason: StopReason,
    now: i64,
    deltas: &mut Deltas,
) -> Result<(), DbErr> {
    if ids.is_empty() {
        return Ok(());
    }
    let status = reason.status();
    let mut sql = Sql::of(
        backend,
        "UPDATE enrolments SET status = ?, stop_reason = ?, next_send_at_ms = NULL, \
         updated_at_ms = ?, version = version + 1 WHERE status = 'active' AND id IN (",
        [status.as_str().into(), reason.as_str().into(), now.into()],
    );
    for (index, id) in ids.iter().enumerate() {
        sql.push(if index == 0 { "?" } else { ", ?" }, [id.as_str().into()]);
    }
    sql.push(")", []);
    let stopped = changed(transaction, sql.build()).await?;
    deltas.moved(EnrolmentStatus::Active, status, stopped);
    Ok(())
}

/// Inside the claim's transaction, with the campaign locked and `active`.
async fn claim_in(
    transaction: &DatabaseTransaction,
    backend: DbBackend,
    request: &ClaimRequest,
) -> Result<Vec<ClaimedSend>, RepositoryError> {
    let campaign = &request.campaign;
    let campaign_id = campaign.id().to_string();
    let workspace = campaign.workspace_id().to_string();
    let now = to_millis(request.now);
    let settings = campaign.settings();
    let rows = due_rows(
        transaction,
        backend,
        &campaign_id,
        now,
        request.ids.len() * DUE_ROWS_PER_CLAIM,
    )
    .await
    .or_unknown()?;
    if rows.is_empty() {
        return Ok(Vec::new());
    }

    // Do-not-contact, read in this transaction: an entry committed before it is never sent to.
    let mut deltas = Deltas::default();
    let addresses: Vec<Option<EmailAddress>> = rows
        .iter()
        .map(|row| EmailAddress::parse(&row.email).ok())
        .collect();
    let listed: HashSet<String> = if settings.skip_dnc() {
        let keys: Vec<_> = addresses.iter().flatten().map(dnc_keys_of).collect();
        matching_in(transaction, backend, &workspace, &keys)
            .await
            .or_unknown()?
            .into_iter()
            .collect()
    } else {
        HashSet::new()
    };
    // `matching_in` answers the matching addresses' DNC keys, which are their normalized forms.
    let is_listed = |address: &Option<EmailAddress>| {
        address
            .as_ref()
            .is_some_and(|address| listed.contains(&address.normalized()))
    };
    let stopped: Vec<String> = rows
        .iter()
        .zip(&addresses)
        .filter(|(_, address)| is_listed(address))
        .map(|(row, _)| row.enrolment.clone())
        .collect();
    stop_active(
        transaction,
        backend,
        &stopped,
        StopReason::Dnc,
        now,
        &mut deltas,
    )
    .await
    .or_unknown()?;
    if let Some(statement) = deltas.statement(backend, &campaign_id) {
        transaction.execute_raw(statement).await.or_unknown()?;
    }

    // What each remaining row would send: its sequence's email at or after its step.
    struct Candidate<'a> {
        row: &'a DueRow,
        sequence: &'a Sequence,
        step: usize,
        domain: String,
    }
    let candidates: Vec<Candidate> = rows
        .iter()
        .zip(&addresses)
        .filter(|(_, address)| !is_listed(address))
        .filter_map(|(row, address)| {
            let subsequence = match row.subsequence.as_deref() {
                None => None,
                Some(raw) => Some(SubsequenceId::parse(raw).ok()?),
            };
            let sequence = campaign.sequence_of(subsequence)?;
            let step = next_email(sequence, usize::try_from(row.current_step).ok()?)?;
            Some(Candidate {
                row,
                sequence,
                step,
                domain: address.as_ref()?.domain().to_owned(),
            })
        })
        .collect();
    if candidates.is_empty() {
        return Ok(Vec::new());
    }

    let mailboxes = campaign_mailboxes(transaction, backend, campaign).await?;
    let day_ago = to_millis(request.now - Duration::hours(24));
    let counts = MailboxCounts::read(
        transaction,
        backend,
        &campaign_id,
        day_ago,
        &MailboxScope::Campaign,
    )
    .await
    .or_unknown()?;
    let calendar = SendCalendar::of(campaign.schedule());
    let (day_start, day_end) = calendar.local_day_around(request.now);
    let today = Sql::of(
        backend,
        "SELECT COUNT(*) FROM sends WHERE state <> 'deferred' AND campaign_id = ? \
         AND claimed_at_ms >= ? AND claimed_at_ms < ?",
        [
            campaign_id.as_str().into(),
            to_millis(day_start).into(),
            to_millis(day_end).into(),
        ],
    );
    let sent_today: i64 = first_row(transaction, today.build())
        .await
        .or_unknown()?
        .map(|row| row.try_get_by_index(0))
        .transpose()
        .or_unknown()?
        .unwrap_or(0);

    let mut loads: Vec<MailboxLoad> = mailboxes.iter().map(|m| counts.load_of(m)).collect();
    let due: Vec<DueSend> = candidates
        .iter()
        .map(|candidate| {
            Ok(DueSend {
                enrolment: parse_id(
                    &candidate.row.enrolment,
                    EnrolmentId::parse,
                    "enrolments",
                    "id",
                )?,
                recipient_domain: candidate.domain.clone(),
                thread_mailbox: candidate
                    .row
                    .thread_mailbox
                    .as_deref()
                    .map(|id| parse_id(id, MailboxId::parse, "enrolments", "mailbox_id"))
                    .transpose()?,
            })
        })
        .collect::<Result<_, RepositoryError>>()?;
    let load = CampaignLoad {
        daily_limit: settings.daily_send_limit(),
        sent_today: u32::try_from(sent_today).unwrap_or(u32::MAX),
        interval: Duration::minutes(i64::from(settings.email_interval_minutes())),
        esp_matching: settings.esp_matching_mode() == EspMatchingMode::Auto,
    };
    let mut plan = plan_claims(request.now, &due, &mut loads, load);
    plan.truncate(request.ids.len());
    if backend == DbBackend::Postgres && !plan.is_empty() {
        plan = lock_and_replan(
            transaction,
            plan,
            &due,
            &mailboxes,
            campaign,
            request.now,
            load,
        )
        .await?;
    }
    if plan.is_empty() {
        return Ok(Vec::new());
    }
    let senders: HashMap<MailboxId, &Mailbox> = mailboxes.iter().map(|m| (m.id(), m)).collect();
    let by_enrolment: HashMap<&str, &Candidate> = candidates
        .iter()
        .map(|candidate| (candidate.row.enrolment.as_str(), candidate))
        .collect();
    let planned: Vec<(&Candidate, &Assignment)> = plan
        .iter()
        .filter_map(|assignment| {
            let candidate = by_enrolment.get(assignment.enrolment.to_string().as_str())?;
            Some((*candidate, assignment))
        })
        .collect();

    // What each variant did so far, per (sequence, step) planned, only for steps that have several.
    let mut variant_records: HashMap<StepKey, Vec<StoredVariant>> = HashMap::new();
    for (candidate, _) in &planned {
        let letters = variant_letters(candidate.sequence, candidate.step);
        let key = (candidate.row.subsequence.clone(), candidate.step);
        if letters.len() < 2 || variant_records.contains_key(&key) {
            continue;
        }
        let records = stored_variants(transaction, backend, &campaign_id, &key, letters)
            .await
            .or_unknown()?;
        variant_records.insert(key, records);
    }
    let optimization = settings.variant_optimization();

    // Each planned send's row, with its variant and message id, then all of them written at once.
    let mut to_write: Vec<PlannedSend> = Vec::with_capacity(planned.len());
    let mut ids = request.ids.iter();
    for (candidate, assignment) in planned {
        let Some(id) = ids.next() else { break };
        let Some(sender) = senders.get(&assignment.mailbox) else {
            continue;
        };
        let key = (candidate.row.subsequence.clone(), candidate.step);
        let variant = variant_records.get_mut(&key).and_then(|stored| {
            let records: Vec<VariantRecord> = stored.iter().map(StoredVariant::record).collect();
            let chosen = choose_variant(&records, &optimization, request.now)?.to_owned();
            if let Some(entry) = stored.iter_mut().find(|entry| entry.letter == chosen) {
                entry.sent += 1;
                entry.first_sent_at.get_or_insert(request.now);
            }
            Some(chosen)
        });
        to_write.push(PlannedSend {
            id: id.to_string(),
            row: candidate.row,
            step: candidate.step as i64,
            variant,
            mailbox: assignment.mailbox,
            message_id: MessageId::for_sender(*id, sender.fields().email())
                .as_str()
                .to_owned(),
        });
    }
    let mut claimed = Vec::with_capacity(to_write.len());
    for chunk in to_write.chunks(CLAIM_ROWS_PER_STATEMENT) {
        let written = insert_claims(transaction, backend, request, &workspace, chunk)
            .await
            .or_unknown()?;
        advance_claimed(transaction, backend, now, &written)
            .await
            .or_unknown()?;
        let mut previous = previous_messages(transaction, backend, &written)
            .await
            .or_unknown()?;
        for send in written {
            let row = send.planned.row;
            claimed.push(ClaimedSend {
                id: parse_id(&send.claim_id, domain::id::ObjectId::parse, "sends", "id")?,
                workspace: campaign.workspace_id(),
                campaign: campaign.id(),
                enrolment: parse_id(&row.enrolment, EnrolmentId::parse, "enrolments", "id")?,
                subsequence: row
                    .subsequence
                    .as_deref()
                    .map(|id| parse_id(id, SubsequenceId::parse, "enrolments", "subsequence_id"))
                    .transpose()?,
                lead: parse_id(&row.lead, LeadId::parse, "enrolments", "lead_id")?,
                step: u32::try_from(send.planned.step).unwrap_or(u32::MAX),
                previous: previous.remove(&row.enrolment),
                variant: send.variant,
                mailbox: send.planned.mailbox,
                message_id: send.message_id,
                attempts: u32::try_from(send.attempts).unwrap_or(u32::MAX),
            });
        }
    }
    Ok(claimed)
}

/// Claim rows written per statement (eleven bound values each: well under either backend's limit).
const CLAIM_ROWS_PER_STATEMENT: usize = 1_000;

/// A send the plan made, before it is written.
struct PlannedSend<'a> {
    id: String,
    row: &'a DueRow,
    step: i64,
    variant: Option<String>,
    mailbox: MailboxId,
    message_id: String,
}

/// A planned send as written: a deferred claim taken again keeps its id, message id and variant.
struct WrittenClaim<'a> {
    planned: &'a PlannedSend<'a>,
    claim_id: String,
    message_id: String,
    variant: Option<String>,
    attempts: i64,
}

/// Writes a `claimed` row for each of `planned` in one INSERT; a deferred row of the same
/// (enrolment, step) is taken again. A send with no row answered is claimed already (the schema's
/// at-most-once, should the plan be wrong) and is left out.
async fn insert_claims<'a>(
    transaction: &DatabaseTransaction,
    backend: DbBackend,
    request: &ClaimRequest,
    workspace: &str,
    planned: &'a [PlannedSend<'a>],
) -> Result<Vec<WrittenClaim<'a>>, DbErr> {
    let campaign_id = request.campaign.id().to_string();
    let now = to_millis(request.now);
    let mut insert = Sql::of(
        backend,
        "INSERT INTO sends (id, workspace_id, campaign_id, subsequence_id, enrolment_id, step, \
         variant, mailbox_id, message_id, state, worker, attempts, claimed_at_ms) VALUES ",
        [],
    );
    for (index, send) in planned.iter().enumerate() {
        let separator = if index == 0 { "" } else { ", " };
        insert.push(
            &format!("{separator}(?, ?, ?, ?, ?, ?, ?, ?, ?, 'claimed', ?, 1, ?)"),
            [
                send.id.as_str().into(),
                workspace.into(),
                campaign_id.as_str().into(),
                send.row.subsequence.clone().into(),
                send.row.enrolment.as_str().into(),
                send.step.into(),
                send.variant.clone().into(),
                send.mailbox.to_string().into(),
                send.message_id.as_str().into(),
                request.worker.as_str().into(),
                now.into(),
            ],
        );
    }
    insert.push(
        " ON CONFLICT (enrolment_id, step) DO UPDATE SET state = 'claimed', \
         worker = excluded.worker, attempts = sends.attempts + 1, \
         claimed_at_ms = excluded.claimed_at_ms, mailbox_id = excluded.mailbox_id, \
         finished_at_ms = NULL WHERE sends.state = 'deferred' \
         RETURNING enrolment_id, id, message_id, variant, attempts",
        [],
    );
    // RETURNING's order is not the VALUES' order: matched by enrolment (one send each per claim),
    // answered in the plan's order.
    let mut returned = HashMap::with_capacity(planned.len());
    for row in transaction.query_all_raw(insert.build()).await? {
        let enrolment: String = row.try_get_by_index(0)?;
        returned.insert(enrolment, row);
    }
    planned
        .iter()
        .filter_map(|send| Some((send, returned.remove(&send.row.enrolment)?)))
        .map(|(planned, row)| {
            Ok(WrittenClaim {
                planned,
                claim_id: row.try_get_by_index(1)?,
                message_id: row.try_get_by_index(2)?,
                variant: row.try_get_by_index(3)?,
                attempts: row.try_get_by_index(4)?,
            })
        })
        .collect()
}

/// Moves each claimed enrolment to its claimed step, mailbox and variant, in one UPDATE.
async fn advance_claimed(
    transaction: &DatabaseTransaction,
    backend: DbBackend,
    now: i64,
    written: &[WrittenClaim<'_>],
) -> Result<(), DbErr> {
    if written.is_empty() {
        return Ok(());
    }
    let mut advance = Sql::of(
        backend,
        "WITH claimed (id, step, mailbox, variant) AS (VALUES ",
        [],
    );
    advance.push_rows(written.iter().map(|send| {
        [
            send.planned.row.enrolment.as_str().into(),
            send.planned.step.into(),
            send.planned.mailbox.to_string().into(),
            send.variant.clone().into(),
        ]
    }));
    advance.push(
        ") UPDATE enrolments SET current_step = claimed.step, mailbox_id = claimed.mailbox, \
         last_variant = claimed.variant, updated_at_ms = ?, version = version + 1 \
         FROM claimed WHERE enrolments.id = claimed.id",
        [now.into()],
    );
    transaction.execute_raw(advance.build()).await?;
    Ok(())
}

/// Each claimed enrolment's latest message before its claimed step (sent, or maybe sent), by
/// enrolment: what `In-Reply-To`, `References` and a blank subject follow.
async fn previous_messages(
    transaction: &DatabaseTransaction,
    backend: DbBackend,
    written: &[WrittenClaim<'_>],
) -> Result<HashMap<String, EarlierMessage>, DbErr> {
    let mut earlier = HashMap::new();
    if written.is_empty() {
        return Ok(earlier);
    }
    let claimed_steps: HashMap<&str, i64> = written
        .iter()
        .map(|send| (send.planned.row.enrolment.as_str(), send.planned.step))
        .collect();
    let mut sql = Sql::of(
        backend,
        "SELECT enrolment_id, step, message_id, subject FROM sends \
         WHERE state IN ('sent', 'unknown') AND enrolment_id IN ",
        [],
    );
    sql.push_list(claimed_steps.keys().map(|id| (*id).into()));
    let mut latest: HashMap<String, i64> = HashMap::new();
    for row in transaction.query_all_raw(sql.build()).await? {
        let enrolment: String = row.try_get_by_index(0)?;
        let step: i64 = row.try_get_by_index(1)?;
        let before_claim = claimed_steps
            .get(enrolment.as_str())
            .is_some_and(|claimed| step < *claimed);
        let later = latest.get(&enrolment).is_none_or(|seen| step > *seen);
        if before_claim && later {
            latest.insert(enrolment.clone(), step);
            earlier.insert(
                enrolment,
                EarlierMessage {
                    message_id: row.try_get_by_index(2)?,
                    subject: row.try_get_by_index(3)?,
                },
            );
        }
    }
    let first_of_subsequence: Vec<&str> = written
        .iter()
        .filter(|send| send.planned.row.subsequence.is_some())
        .map(|send| send.planned.row.enrolment.as_str())
        .filter(|enrolment| !earlier.contains_key(*enrolment))
        .collect();
    earlier.extend(main_thread_messages(transaction, backend, &first_of_subsequence).await?);
    Ok(earlier)
}

/// For subsequence enrolments that sent nothing yet, by enrolment: the latest message of their
/// lead's main-sequence enrolment in the same campaign, so that a subsequence goes on in the thread
/// of the main sequence (SENDING.md section 5).
async fn main_thread_messages(
    transaction: &DatabaseTransaction,
    backend: DbBackend,
    enrolments: &[&str],
) -> Result<HashMap<String, EarlierMessage>, DbErr> {
    let mut earlier = HashMap::new();
    if enrolments.is_empty() {
        return Ok(earlier);
    }
    let mut sql = Sql::of(
        backend,
        "SELECT sub.id, s.step, s.message_id, s.subject FROM enrolments sub \
         JOIN enrolments m ON m.campaign_id = sub.campaign_id AND m.lead_id = sub.lead_id \
         AND m.subsequence_id IS NULL \
         JOIN sends s ON s.enrolment_id = m.id AND s.state IN ('sent', 'unknown') \
         WHERE sub.id IN ",
        [],
    );
    sql.push_list(enrolments.iter().map(|id| (*id).into()));
    let mut latest: HashMap<String, i64> = HashMap::new();
    for row in transaction.query_all_raw(sql.build()).await? {
        let enrolment: String = row.try_get_by_index(0)?;
        let step: i64 = row.try_get_by_index(1)?;
        if latest.get(&enrolment).is_none_or(|seen| step > *seen) {
            latest.insert(enrolment.clone(), step);
            earlier.insert(
                enrolment,
                EarlierMessage {
                    message_id: row.try_get_by_index(2)?,
                    subject: row.try_get_by_index(3)?,
                },
            );
        }
    }
    Ok(earlier)
}

/// The counters a batch of finishes adds to, written once per batch: stats by (campaign,
/// subsequence) and column, enrolment counters by campaign.
#[derive(Default)]
struct BatchCounters {
    stats: BTreeMap<(String, Option<String>), BTreeMap<&'static str, i64>>,
    deltas: BTreeMap<String, Deltas>,
}

impl BatchCounters {
    fn count(&mut self, claim: &ClaimedSend, columns: &[&'static str]) {
        let key = (
            claim.campaign.to_string(),
            claim.subsequence.map(|id| id.to_string()),
        );
        let counts = self.stats.entry(key).or_default();
        for column in columns {
            *counts.entry(column).or_default() += 1;
        }
    }

    async fn write(
        self,
        transaction: &DatabaseTransaction,
        backend: DbBackend,
    ) -> Result<(), DbErr> {
        for ((campaign, subsequence), counts) in &self.stats {
            let counts: Vec<(&'static str, i64)> = counts.iter().map(|(c, n)| (*c, *n)).collect();
            let stats_of = StatsOf {
                campaign,
                subsequence: subsequence.as_deref(),
            };
            stats_of.add(transaction, backend, &counts).await?;
        }
        for (campaign, deltas) in &self.deltas {
            if let Some(statement) = deltas.statement(backend, campaign) {
                transaction.execute_raw(statement).await?;
            }
        }
        Ok(())
    }
}

/// What a batch of finishes reads once for all of its sends, in its transaction.
struct FinishBatch {
    /// The claims still `claimed`: one marked `unknown` meanwhile is left as it is.
    still_claimed: HashSet<String>,
    /// The enrolments' statuses, kept current as the batch stops them.
    statuses: HashMap<String, EnrolmentStatus>,
    rows: BatchRows,
    counters: BatchCounters,
}

impl FinishBatch {
    async fn read(
        transaction: &DatabaseTransaction,
        backend: DbBackend,
        finished: &[FinishedSend],
    ) -> Result<Self, DbErr> {
        let mut claimed = Sql::of(
            backend,
            "SELECT id FROM sends WHERE state = 'claimed' AND id IN ",
            [],
        );
        claimed.push_list(finished.iter().map(|one| one.claim.id.to_string().into()));
        let still_claimed = transaction
            .query_all_raw(claimed.build())
            .await?
            .iter()
            .map(|row| row.try_get_by_index::<String>(0))
            .collect::<Result<_, _>>()?;
        let mut enrolments = Sql::of(
            backend,
            "SELECT id, status FROM enrolments WHERE id IN ",
            [],
        );
        enrolments.push_list(
            finished
                .iter()
                .map(|one| one.claim.enrolment.to_string().into()),
        );
        let mut statuses = HashMap::new();
        for row in transaction.query_all_raw(enrolments.build()).await? {
            let id: String = row.try_get_by_index(0)?;
            let raw: String = row.try_get_by_index(1)?;
            if let Some(status) = EnrolmentStatus::from_wire(&raw) {
                statuses.insert(id, status);
            }
        }
        Ok(Self {
            still_claimed,
            statuses,
            rows: BatchRows::default(),
            counters: BatchCounters::default(),
        })
    }

    /// Stops the enrolment of `claim` for `reason` when [`EnrolmentStatus::stopped`] says it
    /// applies, counting the move.
    async fn stop(
        &mut self,
        transaction: &DatabaseTransaction,
        backend: DbBackend,
        claim: &ClaimedSend,
        reason: StopReason,
        at: i64,
    ) -> Result<(), DbErr> {
        let enrolment = claim.enrolment.to_string();
        let Some(from) = self.statuses.get(&enrolment).copied() else {
            return Ok(());
        };
        let Some(stop) = from.stopped(reason) else {
            return Ok(());
        };
        set_stopped(
            transaction,
            backend,
            &enrolment,
            stop.status,
            stop.reason,
            at,
        )
        .await?;
        self.statuses.insert(enrolment, stop.status);
        self.counters
            .deltas
            .entry(claim.campaign.to_string())
            .or_default()
            .moved(from, stop.status, 1);
        Ok(())
    }

    /// Records one finished send (its campaign locked by the batch's transaction): what every send
    /// writes (its mark, its history, its enrolment's advance) is kept for [`Self::write`], one
    /// statement each for the whole batch.
    async fn record(
        &mut self,
        transaction: &DatabaseTransaction,
        backend: DbBackend,
        finished: &FinishedSend,
    ) -> Result<(), DbErr> {
        let claim = &finished.claim;
        let at = to_millis(finished.at);
        let send_id = claim.id.to_string();
        if !self.still_claimed.remove(&send_id) {
            return Ok(());
        }
        let enrolment = claim.enrolment.to_string();
        let mut mark = |state: &'static str, reply: &str, subject: Option<&str>| {
            self.rows.marks.push(Mark {
                send: send_id.clone(),
                state,
                reply: reply.to_owned(),
                subject: subject.map(str::to_owned),
                at,
            });
        };
        match &finished.outcome {
            SendOutcome::Sent {
                subject,
                reply,
                next,
            } => {
                mark("sent", reply, Some(subject));
                self.rows.history.push(HistoryRow::of(claim, at, false));
                let (step, due) = match next {
                    NextStep::Email { step, due } => (i64::from(*step), Some(to_millis(*due))),
                    NextStep::Done => (i64::from(claim.step), None),
                };
                self.rows.advances.push(Advance {
                    enrolment,
                    step,
                    due,
                    at,
                });
                if *next == NextStep::Done {
                    self.stop(transaction, backend, claim, StopReason::Completed, at)
                        .await?;
                }
                self.counters.count(claim, &["sent", "delivered"]);
                self.rows.left.push(Left::of(claim, at, None));
            }
            SendOutcome::Bounced { subject, reply } => {
                mark("bounced", reply, Some(subject));
                self.rows.history.push(HistoryRow::of(claim, at, true));
                self.stop(transaction, backend, claim, StopReason::Bounced, at)
                    .await?;
                self.counters.count(claim, &["sent", "bounced"]);
                self.rows
                    .left
                    .push(Left::of(claim, at, Some(bounce_status(reply))));
            }
            SendOutcome::Deferred { reply, retry_at } => {
                mark("deferred", reply, None);
                let later = Sql::of(
                    backend,
                    "UPDATE enrolments SET next_send_at_ms = ?, updated_at_ms = ?, \
                     version = version + 1 WHERE id = ?",
                    [
                        to_millis(*retry_at).into(),
                        at.into(),
                        enrolment.as_str().into(),
                    ],
                );
                transaction.execute_raw(later.build()).await?;
            }
            SendOutcome::Unknown { subject, detail } => mark("unknown", detail, Some(subject)),
            SendOutcome::Skipped { stop } => {
                // Withdrawn: without its row the claim counts for no limit, spacing or variant.
                let withdraw = Sql::of(
                    backend,
                    "DELETE FROM sends WHERE id = ?",
                    [send_id.as_str().into()],
                );
                transaction.execute_raw(withdraw.build()).await?;
                self.stop(transaction, backend, claim, *stop, at).await?;
            }
            // Nothing was sent: the claim waits, like a temporary failure, for the mailbox to be
            // usable again (the use case records the mailbox's error through its repository).
            SendOutcome::MailboxFailed { error } => mark("deferred", error, None),
            // Nothing was sent; the stopped enrolment is not claimed again (a resumed one is).
            SendOutcome::Withdrawn => mark("deferred", "withdrawn: the enrolment stopped", None),
        }
        Ok(())
    }

    /// Writes what [`Self::record`] kept and the counters, once for the batch.
    async fn write(
        self,
        transaction: &DatabaseTransaction,
        backend: DbBackend,
    ) -> Result<(), DbErr> {
        self.rows.write(transaction, backend).await?;
        self.counters.write(transaction, backend).await
    }
}

/// What a finished send writes into its `sends` row.
struct Mark {
    send: String,
    state: &'static str,
    reply: String,
    subject: Option<String>,
    at: i64,
}

/// An `enrolment_history` row of a message that left.
struct HistoryRow {
    enrolment: String,
    step: i64,
    variant: Option<String>,
    mailbox: String,
    message_id: String,
    sent_at: i64,
    bounced_at: Option<i64>,
}

impl HistoryRow {
    fn of(claim: &ClaimedSend, at: i64, bounced: bool) -> Self {
        Self {
            enrolment: claim.enrolment.to_string(),
            step: i64::from(claim.step),
            variant: claim.variant.clone(),
            mailbox: claim.mailbox.to_string(),
            message_id: claim.message_id.clone(),
            sent_at: at,
            bounced_at: bounced.then_some(at),
        }
    }
}

/// A sent message's enrolment moved to its next email (`due`), or done (`None`).
struct Advance {
    enrolment: String,
    step: i64,
    due: Option<i64>,
    at: i64,
}

/// A message that left (sent, or refused for good by the server that took the connection): its
/// events (SENDING.md section 6) are written with the batch.
struct Left {
    send: SendRow,
    lead: String,
    at: i64,
    /// The refusal's status when the server refused the message for good (`Bounced`).
    bounce_status: Option<String>,
}

impl Left {
    fn of(claim: &ClaimedSend, at: i64, bounce_status: Option<String>) -> Self {
        Self {
            send: SendRow {
                workspace: claim.workspace.to_string(),
                campaign: claim.campaign.to_string(),
                enrolment: claim.enrolment.to_string(),
                subsequence: claim.subsequence.map(|id| id.to_string()),
                step: i64::from(claim.step),
                variant: claim.variant.clone(),
                mailbox: claim.mailbox.to_string(),
                message_id: claim.message_id.clone(),
            },
            lead: claim.lead.to_string(),
            at,
            bounce_status,
        }
    }

    /// `email.sent`, and for a permanent refusal `email.bounced` and `lead.bounced` with its
    /// `bounceStatus`, as a DSN's bounce writes them.
    fn events(&self) -> Vec<EventRow<'_>> {
        let event = |kind: &'static str, data: Option<String>| EventRow {
            id: ObjectIdGenerator.new_id(),
            kind,
            send: &self.send,
            lead: Some(self.lead.as_str()),
            at: self.at,
            data,
        };
        let mut events = vec![event("email.sent", None)];
        if let Some(status) = &self.bounce_status {
            let data = serde_json::json!({ "bounceStatus": status }).to_string();
            events.push(event("email.bounced", Some(data.clone())));
            events.push(event("lead.bounced", Some(data)));
        }
        events
    }
}

/// The status a permanent SMTP refusal gives: its enhanced code (`5.1.1`) when the reply has one,
/// else its reply code (`550`).
fn bounce_status(reply: &str) -> String {
    let words: Vec<&str> = reply
        .split(|c: char| c.is_whitespace() || c == '-')
        .filter(|word| !word.is_empty())
        .collect();
    let enhanced = |word: &&&str| {
        let parts: Vec<&str> = word.split('.').collect();
        parts.len() == 3
            && parts
                .iter()
                .all(|part| !part.is_empty() && part.bytes().all(|byte| byte.is_ascii_digit()))
    };
    words
        .get(1)
        .filter(enhanced)
        .or(words.first())
        .copied()
        .unwrap_or_default()
        .to_owned()
}

/// Rows a batch of finishes writes with one statement per kind (per [`FINISH_ROWS_PER_STATEMENT`]).
#[derive(Default)]
struct BatchRows {
    marks: Vec<Mark>,
    history: Vec<HistoryRow>,
    advances: Vec<Advance>,
    left: Vec<Left>,
}

/// Rows written per statement of a batch of finishes (at most seven bound values each).
const FINISH_ROWS_PER_STATEMENT: usize = 1_000;

impl BatchRows {
    async fn write(
        &self,
        transaction: &DatabaseTransaction,
        backend: DbBackend,
    ) -> Result<(), DbErr> {
        for marks in self.marks.chunks(FINISH_ROWS_PER_STATEMENT) {
            let mut sql = Sql::of(
                backend,
                "WITH done (id, state, reply, subject, at) AS (VALUES ",
                [],
            );
            sql.push_rows(marks.iter().map(|mark| {
                [
                    mark.send.as_str().into(),
                    mark.state.into(),
                    mark.reply.as_str().into(),
                    mark.subject.clone().into(),
                    mark.at.into(),
                ]
            }));
            sql.push(
                ") UPDATE sends SET state = done.state, smtp_reply = done.reply, \
                 subject = COALESCE(done.subject, sends.subject), finished_at_ms = done.at \
                 FROM done WHERE sends.id = done.id",
                [],
            );
            transaction.execute_raw(sql.build()).await?;
        }
        for rows in self.history.chunks(FINISH_ROWS_PER_STATEMENT) {
            let mut sql = Sql::of(
                backend,
                "INSERT INTO enrolment_history (enrolment_id, step, variant, mailbox_id, \
                 message_id, sent_at_ms, bounced_at_ms) VALUES ",
                [],
            );
            sql.push_rows(rows.iter().map(|row| {
                [
                    row.enrolment.as_str().into(),
                    row.step.into(),
                    row.variant.clone().into(),
                    row.mailbox.as_str().into(),
                    row.message_id.as_str().into(),
                    row.sent_at.into(),
                    row.bounced_at.into(),
                ]
            }));
            sql.push(" ON CONFLICT (enrolment_id, step) DO NOTHING", []);
            transaction.execute_raw(sql.build()).await?;
        }
        for advances in self.advances.chunks(FINISH_ROWS_PER_STATEMENT) {
            let mut sql = Sql::of(backend, "WITH sent (id, step, due, at) AS (VALUES ", []);
            sql.push_rows(advances.iter().map(|advance| {
                [
                    advance.enrolment.as_str().into(),
                    advance.step.into(),
                    advance.due.into(),
                    advance.at.into(),
                ]
            }));
            sql.push(
                ") UPDATE enrolments SET current_step = sent.step, next_send_at_ms = sent.due, \
                 emails_sent = emails_sent + 1, last_sent_at_ms = sent.at, \
                 updated_at_ms = sent.at, version = version + 1 FROM sent \
                 WHERE enrolments.id = sent.id",
                [],
            );
            transaction.execute_raw(sql.build()).await?;
        }
        let events: Vec<EventRow> = self.left.iter().flat_map(Left::events).collect();
        insert_events(transaction, backend, &events).await
    }
}

/// Every active campaign, read from the partial index `campaigns_active` (migration 27) rather than
/// the campaign rows. The status is a literal: a bound parameter would hide the index from both
/// planners.
const ACTIVE_CAMPAIGNS: &str =
    "SELECT workspace_id, id FROM campaigns WHERE status = 'active' ORDER BY id";

#[async_trait]
impl SendLedger for SqlSendLedger {
    async fn active_campaigns(&self) -> Result<Vec<(WorkspaceId, CampaignId)>, RepositoryError> {
        let backend = DbBackend::from(self.pools.backend);
        let sql = Sql::of(backend, ACTIVE_CAMPAIGNS, []);
        let rows = self
            .pools
            .reader
            .query_all_raw(sql.build())
            .await
            .or_unknown()?;
        rows.iter()
            .map(|row| {
                let workspace: String = row.try_get_by_index(0).or_unknown()?;
                let id: String = row.try_get_by_index(1).or_unknown()?;
                Ok((
                    parse_id(&workspace, WorkspaceId::parse, "campaigns", "workspace_id")?,
                    parse_id(&id, CampaignId::parse, "campaigns", "id")?,
                ))
            })
            .collect()
    }

    async fn claim(&self, request: &ClaimRequest) -> Result<Vec<ClaimedSend>, RepositoryError> {
        if request.ids.is_empty() {
            return Ok(Vec::new());
        }
        let backend = DbBackend::from(self.pools.backend);
        let transaction = self.pools.begin_write().await.or_unknown()?;
        let claimed = async {
            let workspace = request.campaign.workspace_id().to_string();
            let campaign = request.campaign.id().to_string();
            let status = lock_campaign(&transaction, backend, &workspace, &campaign)
                .await
                .or_unknown()?;
            if status != Some(CampaignStatus::Active) {
                return Ok(Vec::new());
            }
            claim_in(&transaction, backend, request).await
        }
        .await;
        finish(transaction, claimed, unknown).await
    }

    async fn finish(&self, finished: &[FinishedSend]) -> Result<(), RepositoryError> {
        if finished.is_empty() {
            return Ok(());
        }
        let backend = DbBackend::from(self.pools.backend);
        let transaction = self.pools.begin_write().await.or_unknown()?;
        let written = async {
            // Every enrolment write locks its campaign first (the due counts rely on it); several
            // campaigns in id order, as every writer of several does, so that none can deadlock.
            let campaigns: BTreeSet<(String, String)> = finished
                .iter()
                .map(|one| {
                    (
                        one.claim.campaign.to_string(),
                        one.claim.workspace.to_string(),
                    )
                })
                .collect();
            for (campaign, workspace) in &campaigns {
                lock_campaign(&transaction, backend, workspace, campaign).await?;
            }
            let mut batch = FinishBatch::read(&transaction, backend, finished).await?;
            for one in finished {
                batch.record(&transaction, backend, one).await?;
            }
            batch.write(&transaction, backend).await
        }
        .await;
        finish(transaction, written, |error| error)
            .await
            .or_unknown()
    }

    async fn stopped_claims(&self, claims: &[ObjectId]) -> Result<Vec<ObjectId>, RepositoryError> {
        let mut stopped = Vec::new();
        for chunk in claims.chunks(CLAIM_ROWS_PER_STATEMENT) {
            let mut sql = Sql::of(
                DbBackend::from(self.pools.backend),
                "SELECT s.id FROM sends s JOIN enrolments e ON e.id = s.enrolment_id \
                 WHERE e.status <> 'active' AND s.id IN ",
                [],
            );
            sql.push_list(chunk.iter().map(|id| id.to_string().into()));
            for row in self
                .pools
                .reads
                .query_all_raw(sql.build())
                .await
                .or_unknown()?
            {
                let id: String = row.try_get_by_index(0).or_unknown()?;
                stopped.push(parse_id(&id, ObjectId::parse, "sends", &id)?);
            }
        }
        Ok(stopped)
    }

    async fn heartbeat(&self, worker: &str, at: DateTime<Utc>) -> Result<(), RepositoryError> {
        let backend = DbBackend::from(self.pools.backend);
        let sql = Sql::of(
            backend,
            "INSERT INTO sending_workers (id, heartbeat_at_ms) VALUES (?, ?) \
             ON CONFLICT (id) DO UPDATE SET heartbeat_at_ms = excluded.heartbeat_at_ms",
            [worker.into(), to_millis(at).into()],
        );
        self.pools
            .writer
            .execute_raw(sql.build())
            .await
            .or_unknown()?;
        Ok(())
    }

    async fn abandon_claims(
        &self,
        alive: &str,
        stale_before: DateTime<Utc>,
        at: DateTime<Utc>,
    ) -> Result<u64, RepositoryError> {
        let backend = DbBackend::from(self.pools.backend);
        let sql = Sql::of(
            backend,
            "UPDATE sends SET state = 'unknown', finished_at_ms = ? \
             WHERE state = 'claimed' AND worker <> ? AND worker NOT IN \
             (SELECT id FROM sending_workers WHERE heartbeat_at_ms >= ?)",
            [
                to_millis(at).into(),
                alive.into(),
                to_millis(stale_before).into(),
            ],
        );
        let result = self
            .pools
            .writer
            .execute_raw(sql.build())
            .await
            .or_unknown()?;
        Ok(result.rows_affected())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{TestBackend, fresh_database, sqlite_plan};

    #[test]
    fn a_bounce_status_is_the_enhanced_code_of_the_reply_else_its_reply_code() {
        for (reply, status) in [
            ("550 5.1.1 no such user", "5.1.1"),
            ("550-5.7.1 refused\r\n550 5.7.1 refused", "5.7.1"),
            ("554 transaction failed", "554"),
            ("", ""),
        ] {
            assert_eq!(bounce_status(reply), status, "{reply:?}");
        }
    }

    #[test]
    fn the_active_campaigns_read_names_the_active_status() {
        assert!(
            ACTIVE_CAMPAIGNS.contains(&format!("status = '{}'", CampaignStatus::Active.as_str()))
        );
    }

    #[tokio::test]
    async fn the_active_campaigns_read_walks_the_active_index_not_the_campaign_rows()
    -> anyhow::Result<()> {
        let database = fresh_database(TestBackend::Sqlite).await?;
        let text = sqlite_plan(
            &database,
            sea_orm::Statement::from_string(DbBackend::Sqlite, ACTIVE_CAMPAIGNS),
        )
        .await?;
        assert!(
            text.contains("SCAN campaigns USING COVERING INDEX campaigns_active"),
            "{text}"
        );
        assert!(!text.contains("TEMP B-TREE"), "sorts: {text}");
        Ok(())
    }

    #[tokio::test]
    async fn the_claims_due_read_walks_the_campaign_due_index_without_sorting() -> anyhow::Result<()>
    {
        let database = fresh_database(TestBackend::Sqlite).await?;
        for (due, order) in [NEVER_PLANNED, PLANNED_BY] {
            let text = sqlite_plan(
                &database,
                due_rows_sql(DbBackend::Sqlite, "c", (due, Some(1)), order, 400).build(),
            )
            .await?;
            assert!(
                text.contains("SEARCH e USING INDEX enrolments_campaign_due"),
                "{due}: {text}"
            );
            assert!(!text.contains("TEMP B-TREE"), "{due} sorts: {text}");
        }
        Ok(())
    }
}

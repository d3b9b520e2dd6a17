//! [`TrackingRepository`] over SQL: `send_links` and `events` (migration 22) beside the ledger.
//!
//! Opens and clicks come in batches (the recorder's, see `application::use_cases::tracking::recorder`):
//! one write transaction per batch, set-based. The batch's send rows (their campaign, enrolment,
//! step… never change) are read with one `IN (…)` query per 1,000 sends, joined with their
//! enrolment's lead; hits of unknown sends are dropped. The campaigns of the sends not yet marked
//! for a hit's kind are locked in campaign id order (the rule of every enrolment write, in one order
//! so that batches, claims and finishes of several processes cannot deadlock on PostgreSQL); then
//! one conditional `UPDATE … RETURNING` per kind marks the first open or click of each message
//! (`opened_at_ms IS NULL`), and only the sends it changed move the history and the stats (one
//! statement per campaign and per subsequence, by the group's count). Every hit is an event row,
//! written by multi-row INSERTs. A batch whose messages were all marked before takes no campaign
//! lock: repeated hits (image proxies, link scanners) do not queue behind the campaign's claims.
//!
//! An unsubscribe is one transaction of its own: the send's row, the campaign's lock, then a few
//! statements on primary keys.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

#[cfg(feature = "testing")]
use application::ports::IdGenerator;
use application::ports::{
    HitKind, RepositoryError, SendLinks, TrackedHit, TrackingHit, TrackingRepository,
};
use async_trait::async_trait;
use domain::dnc::{DncEntry, DncReason};
use domain::enrolment::{EnrolmentStatus, StopReason};
use domain::id::{DncEntryId, ObjectId};
use domain::values::EmailAddress;
use quick_cache::sync::Cache;
use sea_orm::{ConnectionTrait, DatabaseTransaction, DbBackend, DbErr, Value};

use super::counters::{StatsOf, set_stopped};
use super::sql::id_list;
use super::{Deltas, first_row, lock_campaign};
use crate::database::pools::{Pools, finish};
use crate::database::sql::Sql;
use crate::error::{OrUnknown, unknown};
use crate::repositories::webhooks::enqueue as enqueue_webhooks;
use crate::time::to_millis;

/// Link rows written per INSERT (three bound values each).
const LINK_ROWS_PER_STATEMENT: usize = 1_000;
/// Send ids per `IN (…)` read and per marking `UPDATE` (written as literals, no bound values: see the
/// module documentation of `enrolments`); a batch of the recorder is 2,000 hits at most.
const SENDS_PER_STATEMENT: usize = 1_000;
/// Event rows per multi-row INSERT: 13 bound values each, 13,000 a statement, under SQLite's 32,766
/// and PostgreSQL's 65,535.
const EVENT_ROWS_PER_STATEMENT: usize = 1_000;

/// Links whose URL is kept in memory after its first read. A stored URL never changes (storing a
/// link again keeps the first), so a kept one is never stale; a click is then answered without a
/// database read (SENDING.md section 9). About 2 MiB when full.
const KEPT_LINKS: usize = 16_384;

/// Tracking's storage.
#[derive(Clone)]
pub(crate) struct SqlTrackingRepository {
    pools: Pools,
    /// The URLs of links read before, by (send, position); links not found are not kept (they may
    /// be stored later).
    links: Arc<Cache<(ObjectId, u32), String>>,
}

impl SqlTrackingRepository {
    pub(crate) fn new(pools: Pools) -> Self {
        Self {
            pools,
            links: Arc::new(Cache::new(KEPT_LINKS)),
        }
    }
}

/// What an event row copies from its send.
pub(crate) struct SendRow {
    pub(crate) workspace: String,
    pub(crate) campaign: String,
    pub(crate) enrolment: String,
    pub(crate) subsequence: Option<String>,
    pub(crate) step: i64,
    pub(crate) variant: Option<String>,
    pub(crate) mailbox: String,
    pub(crate) message_id: String,
}

impl SendRow {
    pub(super) fn stats_of(&self) -> StatsOf<'_> {
        StatsOf {
            campaign: &self.campaign,
            subsequence: self.subsequence.as_deref(),
        }
    }
}

/// The columns of `sends` a [`SendRow`] holds, in [`SendRow::read`]'s order.
pub(super) const SEND_ROW_COLUMNS: &str = "s.workspace_id, s.campaign_id, s.enrolment_id, s.subsequence_id, \
     s.step, s.variant, s.mailbox_id, s.message_id";

impl SendRow {
    /// The row's [`SEND_ROW_COLUMNS`], from the column at `first` on.
    pub(super) fn read(row: &sea_orm::QueryResult, first: usize) -> Result<Self, DbErr> {
        Ok(Self {
            workspace: row.try_get_by_index(first)?,
            campaign: row.try_get_by_index(first + 1)?,
            enrolment: row.try_get_by_index(first + 2)?,
            subsequence: row.try_get_by_index(first + 3)?,
            step: row.try_get_by_index(first + 4)?,
            variant: row.try_get_by_index(first + 5)?,
            mailbox: row.try_get_by_index(first + 6)?,
            message_id: row.try_get_by_index(first + 7)?,
        })
    }
}

async fn send_row(
    transaction: &DatabaseTransaction,
    backend: DbBackend,
    send: &str,
) -> Result<Option<SendRow>, DbErr> {
    let sql = Sql::of(
        backend,
        &format!("SELECT {SEND_ROW_COLUMNS} FROM sends s WHERE s.id = ?"),
        [send.into()],
    );
    first_row(transaction, sql.build())
        .await?
        .map(|row| SendRow::read(&row, 0))
        .transpose()
}

/// The enrolment's lead and status (`None`: the enrolment is gone).
pub(super) async fn enrolment_row(
    transaction: &DatabaseTransaction,
    backend: DbBackend,
    enrolment: &str,
) -> Result<Option<(Option<String>, Option<EnrolmentStatus>)>, DbErr> {
    let sql = Sql::of(
        backend,
        "SELECT lead_id, status FROM enrolments WHERE id = ?",
        [enrolment.into()],
    );
    let Some(row) = first_row(transaction, sql.build()).await? else {
        return Ok(None);
    };
    let lead: Option<String> = row.try_get_by_index(0)?;
    let status: String = row.try_get_by_index(1)?;
    Ok(Some((lead, EnrolmentStatus::from_wire(&status))))
}

/// An `events` row: what happened to which send, when.
pub(crate) struct EventRow<'a> {
    pub(crate) id: ObjectId,
    pub(crate) kind: &'static str,
    pub(crate) send: &'a SendRow,
    pub(crate) lead: Option<&'a str>,
    pub(crate) at: i64,
    pub(crate) data: Option<String>,
}

/// `rows` in multi-row INSERTs (one statement per [`EVENT_ROWS_PER_STATEMENT`] rows), and their
/// webhook deliveries (the outbox, in the same transaction: one per subscribed destination,
/// set-based).
pub(crate) async fn insert_events(
    transaction: &DatabaseTransaction,
    backend: DbBackend,
    rows: &[EventRow<'_>],
) -> Result<(), DbErr> {
    for chunk in rows.chunks(EVENT_ROWS_PER_STATEMENT) {
        let mut sql = Sql::of(
            backend,
            "INSERT INTO events (id, workspace_id, type, campaign_id, enrolment_id, lead_id, \
             mailbox_id, step, variant, subsequence_id, message_id, at_ms, data) VALUES ",
            [],
        );
        sql.push_rows(chunk.iter().map(|event| -> [Value; 13] {
            let send = event.send;
            [
                event.id.to_string().into(),
                send.workspace.as_str().into(),
                event.kind.into(),
                send.campaign.as_str().into(),
                send.enrolment.as_str().into(),
                event.lead.map(str::to_owned).into(),
                send.mailbox.as_str().into(),
                send.step.into(),
                send.variant.clone().into(),
                send.subsequence.clone().into(),
                send.message_id.as_str().into(),
                event.at.into(),
                event.data.clone().into(),
            ]
        }));
        transaction.execute_raw(sql.build()).await?;
    }
    let ids: Vec<String> = rows.iter().map(|event| event.id.to_string()).collect();
    enqueue_webhooks(transaction, backend, &ids).await
}

/// Writes one event row of `kind` for the ledger's send `send` (its campaign, enrolment, step…
/// copied), with `lead`, at `at`, through [`insert_events`]: for tests of what reads count (the rows
/// of replies and DSN bounces, as their reader writes them). `false`: no such send.
#[cfg(feature = "testing")]
pub(crate) async fn record_send_event(
    pools: &Pools,
    send: ObjectId,
    kind: &'static str,
    lead: Option<&str>,
    at: i64,
    data: Option<String>,
) -> Result<bool, DbErr> {
    let backend = DbBackend::from(pools.backend);
    let transaction = pools.begin_write().await?;
    let written = async {
        let Some(row) = send_row(&transaction, backend, &send.to_string()).await? else {
            return Ok(false);
        };
        let event = EventRow {
            id: crate::ObjectIdGenerator.new_id(),
            kind,
            send: &row,
            lead,
            at,
            data,
        };
        insert_events(&transaction, backend, &[event]).await?;
        Ok(true)
    }
    .await;
    finish(transaction, written, |error| error).await
}

/// Which first-of-the-message mark a hit sets.
#[derive(Clone, Copy, PartialEq, Eq)]
enum First {
    Open,
    Click,
}

impl First {
    fn column(self) -> &'static str {
        match self {
            Self::Open => "opened_at_ms",
            Self::Click => "clicked_at_ms",
        }
    }

    fn stat(self) -> &'static str {
        match self {
            Self::Open => "opened",
            Self::Click => "clicked",
        }
    }

    fn event(self) -> &'static str {
        match self {
            Self::Open => "email.opened",
            Self::Click => "email.clicked",
        }
    }
}

/// A hit's send as a batch reads it: the row, its enrolment's lead, and its marks.
struct HitSend {
    row: SendRow,
    lead: Option<String>,
    /// Whether the message was opened, and clicked, already.
    opened: bool,
    clicked: bool,
}

impl HitSend {
    /// Whether the message has the mark of `first` already (a hit of its kind came before).
    fn marked(&self, first: First) -> bool {
        match first {
            First::Open => self.opened,
            First::Click => self.clicked,
        }
    }
}

/// The first-of-the-message mark a hit of `kind` sets.
fn first_of(kind: &HitKind) -> First {
    match kind {
        HitKind::Open => First::Open,
        HitKind::Click { .. } => First::Click,
    }
}

/// The rows of the ledger of `sends` (those that exist), by id, with their enrolment's lead.
async fn hit_sends(
    transaction: &DatabaseTransaction,
    backend: DbBackend,
    sends: &[&str],
) -> Result<HashMap<String, HitSend>, DbErr> {
    let mut found = HashMap::with_capacity(sends.len());
    for chunk in sends.chunks(SENDS_PER_STATEMENT) {
        let sql = Sql::of(
            backend,
            &format!(
                "SELECT s.id, {SEND_ROW_COLUMNS}, e.lead_id, s.opened_at_ms, s.clicked_at_ms \
                 FROM sends s LEFT JOIN enrolments e ON e.id = s.enrolment_id WHERE s.id IN ({})",
                id_list(chunk)
            ),
            [],
        );
        for row in transaction.query_all_raw(sql.build()).await? {
            let id: String = row.try_get_by_index(0)?;
            found.insert(
                id,
                HitSend {
                    row: SendRow::read(&row, 1)?,
                    lead: row.try_get_by_index(9)?,
                    opened: row.try_get_by_index::<Option<i64>>(10)?.is_some(),
                    clicked: row.try_get_by_index::<Option<i64>>(11)?.is_some(),
                },
            );
        }
    }
    Ok(found)
}

/// A batch's hits in one transaction (see the module documentation).
async fn record_batch(
    transaction: &DatabaseTransaction,
    backend: DbBackend,
    hits: &[TrackedHit],
) -> Result<(), DbErr> {
    let ids: Vec<String> = hits
        .iter()
        .map(|tracked| tracked.hit.send.to_string())
        .collect();
    let distinct: Vec<&str> = ids
        .iter()
        .map(String::as_str)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut sends = hit_sends(transaction, backend, &distinct).await?;
    // The campaigns of the sends a hit may mark first, locked in id order.
    let to_lock: BTreeMap<&str, &str> = hits
        .iter()
        .zip(&ids)
        .filter_map(|(tracked, id)| {
            let send = sends.get(id)?;
            (!send.marked(first_of(&tracked.kind)))
                .then_some((send.row.campaign.as_str(), send.row.workspace.as_str()))
        })
        .collect();
    let mut gone = BTreeSet::new();
    for (campaign, workspace) in to_lock {
        if lock_campaign(transaction, backend, workspace, campaign)
            .await?
            .is_none()
        {
            gone.insert(campaign.to_owned());
        }
    }
    // A campaign that is gone takes its sends' hits with it.
    sends.retain(|_, send| !gone.contains(&send.row.campaign));
    for first in [First::Open, First::Click] {
        mark_firsts(transaction, backend, hits, &ids, &sends, first).await?;
    }
    insert_hit_events(transaction, backend, hits, &ids, &sends).await
}

/// The first `first` of each message of `hits` not marked yet: its send's mark (the time of its
/// first such hit in the batch), then, for the sends that mark changed, the history and the stats.
async fn mark_firsts(
    transaction: &DatabaseTransaction,
    backend: DbBackend,
    hits: &[TrackedHit],
    ids: &[String],
    sends: &HashMap<String, HitSend>,
    first: First,
) -> Result<(), DbErr> {
    let mut times: BTreeMap<&str, i64> = BTreeMap::new();
    for (tracked, id) in hits.iter().zip(ids) {
        if first_of(&tracked.kind) == first && sends.get(id).is_some_and(|send| !send.marked(first))
        {
            times
                .entry(id.as_str())
                .or_insert_with(|| to_millis(tracked.hit.at));
        }
    }
    let column = first.column();
    let candidates: Vec<(&str, i64)> = times.iter().map(|(id, at)| (*id, *at)).collect();
    let mut marked: Vec<(&HitSend, i64)> = Vec::new();
    for chunk in candidates.chunks(SENDS_PER_STATEMENT) {
        let values = chunk
            .iter()
            .map(|(id, at)| format!("('{id}', {at})"))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = Sql::of(
            backend,
            &format!(
                "UPDATE sends SET {column} = v.column2 FROM (VALUES {values}) AS v \
                 WHERE sends.id = v.column1 AND sends.{column} IS NULL RETURNING sends.id"
            ),
            [],
        );
        for row in transaction.query_all_raw(sql.build()).await? {
            let id: String = row.try_get_by_index(0)?;
            if let (Some(send), Some(at)) = (sends.get(&id), times.get(id.as_str())) {
                marked.push((send, *at));
            }
        }
    }
    if marked.is_empty() {
        return Ok(());
    }
    for chunk in marked.chunks(SENDS_PER_STATEMENT) {
        let values = chunk
            .iter()
            .map(|(send, at)| format!("('{}', {}, {at})", send.row.enrolment, send.row.step))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = Sql::of(
            backend,
            &format!(
                "UPDATE enrolment_history SET {column} = v.column3 FROM (VALUES {values}) AS v \
                 WHERE enrolment_history.enrolment_id = v.column1 \
                 AND enrolment_history.step = v.column2 AND enrolment_history.{column} IS NULL"
            ),
            [],
        );
        transaction.execute_raw(sql.build()).await?;
    }
    let mut groups: BTreeMap<(&str, Option<&str>), i64> = BTreeMap::new();
    for (send, _) in &marked {
        *groups
            .entry((send.row.campaign.as_str(), send.row.subsequence.as_deref()))
            .or_default() += 1;
    }
    add_to_stats(transaction, backend, first.stat(), &groups).await
}

/// Adds each group's count to `column` of the stats of its campaign and of its subsequence.
async fn add_to_stats(
    transaction: &DatabaseTransaction,
    backend: DbBackend,
    column: &'static str,
    groups: &BTreeMap<(&str, Option<&str>), i64>,
) -> Result<(), DbErr> {
    for ((campaign, subsequence), count) in groups {
        let stats_of = StatsOf {
            campaign,
            subsequence: *subsequence,
        };
        stats_of
            .add(transaction, backend, &[(column, *count)])
            .await?;
    }
    Ok(())
}

/// Every hit's event row (of a known send).
async fn insert_hit_events(
    transaction: &DatabaseTransaction,
    backend: DbBackend,
    hits: &[TrackedHit],
    ids: &[String],
    sends: &HashMap<String, HitSend>,
) -> Result<(), DbErr> {
    let rows: Vec<EventRow> = hits
        .iter()
        .zip(ids)
        .filter_map(|(tracked, id)| {
            let send = sends.get(id)?;
            Some(EventRow {
                id: tracked.hit.event,
                kind: first_of(&tracked.kind).event(),
                send: &send.row,
                lead: send.lead.as_deref(),
                at: to_millis(tracked.hit.at),
                data: match &tracked.kind {
                    HitKind::Open => None,
                    HitKind::Click { url } => Some(serde_json::json!({ "url": url }).to_string()),
                },
            })
        })
        .collect();
    insert_events(transaction, backend, &rows).await
}

/// One write transaction: the send's row, the campaign's lock, then `body`. `None` when the send
/// (or its campaign) is unknown.
async fn with_send<T>(
    pools: &Pools,
    send: ObjectId,
    body: impl AsyncFnOnce(&DatabaseTransaction, DbBackend, SendRow) -> Result<T, DbErr>,
) -> Result<Option<T>, RepositoryError> {
    let backend = DbBackend::from(pools.backend);
    let transaction = pools.begin_write().await.or_unknown()?;
    let written = async {
        let Some(row) = send_row(&transaction, backend, &send.to_string()).await? else {
            return Ok(None);
        };
        if lock_campaign(&transaction, backend, &row.workspace, &row.campaign)
            .await?
            .is_none()
        {
            return Ok(None);
        }
        body(&transaction, backend, row).await.map(Some)
    }
    .await;
    finish(transaction, written, |error| error)
        .await
        .map_err(unknown)
}

#[async_trait]
impl TrackingRepository for SqlTrackingRepository {
    async fn store_links(&self, links: &[SendLinks]) -> Result<(), RepositoryError> {
        let backend = DbBackend::from(self.pools.backend);
        let rows: Vec<(String, i64, &str)> = links
            .iter()
            .flat_map(|send| {
                let id = send.send.to_string();
                send.urls.iter().enumerate().map(move |(position, url)| {
                    let position = i64::try_from(position).unwrap_or(i64::MAX);
                    (id.clone(), position, url.as_str())
                })
            })
            .collect();
        // Three parameters a row: well under either backend's bind limit per statement.
        for chunk in rows.chunks(LINK_ROWS_PER_STATEMENT) {
            let mut sql = Sql::of(
                backend,
                "INSERT INTO send_links (send_id, position, url) VALUES ",
                [],
            );
            sql.push_rows(chunk.iter().map(|(send, position, url)| -> [Value; 3] {
                [send.as_str().into(), (*position).into(), (*url).into()]
            }));
            sql.push(" ON CONFLICT (send_id, position) DO NOTHING", []);
            self.pools
                .writer
                .execute_raw(sql.build())
                .await
                .or_unknown()?;
        }
        Ok(())
    }

    async fn link_url(
        &self,
        send: ObjectId,
        position: u32,
    ) -> Result<Option<String>, RepositoryError> {
        if let Some(url) = self.links.get(&(send, position)) {
            return Ok(Some(url));
        }
        let sql = Sql::of(
            DbBackend::from(self.pools.backend),
            "SELECT url FROM send_links WHERE send_id = ? AND position = ?",
            [send.to_string().into(), i64::from(position).into()],
        );
        let Some(row) = self
            .pools
            .reads
            .query_one_raw(sql.build())
            .await
            .or_unknown()?
        else {
            return Ok(None);
        };
        let url: String = row.try_get_by_index(0).or_unknown()?;
        self.links.insert((send, position), url.clone());
        Ok(Some(url))
    }

    async fn record_hits(&self, hits: &[TrackedHit]) -> Result<(), RepositoryError> {
        if hits.is_empty() {
            return Ok(());
        }
        let backend = DbBackend::from(self.pools.backend);
        let transaction = self.pools.begin_write().await.or_unknown()?;
        let written = record_batch(&transaction, backend, hits).await;
        finish(transaction, written, |error| error)
            .await
            .map_err(unknown)
    }

    async fn unsubscribe(
        &self,
        hit: TrackingHit,
        dnc_entry: DncEntryId,
    ) -> Result<bool, RepositoryError> {
        let recorded = with_send(&self.pools, hit.send, async |transaction, backend, send| {
            let at = to_millis(hit.at);
            let (lead, status) = enrolment_row(transaction, backend, &send.enrolment)
                .await?
                .unwrap_or((None, None));
            if let Some(lead) = &lead {
                let listed = (dnc_entry, DncReason::UnsubscribeLink);
                add_to_dnc(transaction, backend, &send.workspace, lead, listed, at).await?;
            }
            if let Some(from) = status
                && from != EnrolmentStatus::Unsubscribed
                && let Some(stop) = from.stopped(StopReason::Unsubscribed)
            {
                set_stopped(
                    transaction,
                    backend,
                    &send.enrolment,
                    stop.status,
                    stop.reason,
                    at,
                )
                .await?;
                let mut deltas = Deltas::default();
                deltas.moved(from, stop.status, 1);
                if let Some(statement) = deltas.statement(backend, &send.campaign) {
                    transaction.execute_raw(statement).await?;
                }
                send.stats_of()
                    .count(transaction, backend, &["unsubscribed"])
                    .await?;
            }
            let event = EventRow {
                id: hit.event,
                kind: "email.unsubscribed",
                send: &send,
                lead: lead.as_deref(),
                at,
                data: None,
            };
            insert_events(transaction, backend, &[event]).await
        })
        .await?;
        Ok(recorded.is_some())
    }
}

/// The lead's address on the workspace's do-not-contact list as the entry `id` for `reason`, unless
/// listed already.
pub(super) async fn add_to_dnc(
    transaction: &DatabaseTransaction,
    backend: DbBackend,
    workspace: &str,
    lead: &str,
    (id, reason): (DncEntryId, DncReason),
    at: i64,
) -> Result<(), DbErr> {
    let sql = Sql::of(
        backend,
        "SELECT email FROM leads WHERE workspace_id = ? AND id = ?",
        [workspace.into(), lead.into()],
    );
    let Some(row) = first_row(transaction, sql.build()).await? else {
        return Ok(());
    };
    let raw: String = row.try_get_by_index(0)?;
    let address = EmailAddress::parse(&raw)
        .map_err(|invalid| DbErr::Custom(format!("lead {lead}: {}", invalid.message)))?;
    let entry = DncEntry::email(&address, reason);
    let insert = Sql::of(
        backend,
        "INSERT INTO do_not_contact (id, workspace_id, value, entry_type, reason, \
         unsubscribed_at_ms, created_at_ms, updated_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?) \
         ON CONFLICT (workspace_id, entry_type, value) DO NOTHING",
        [
            id.to_string().into(),
            workspace.into(),
            entry.value().into(),
            entry.kind().as_str().into(),
            entry.reason().as_str().into(),
            at.into(),
            at.into(),
            at.into(),
        ],
    );
    transaction.execute_raw(insert.build()).await?;
    Ok(())
}

//! [`TrackingRepository`] over SQL: `send_links` and `events` (migration 22) beside the ledger.
//!
//! Each hit is one write transaction: read the send's row (its campaign, enrolment, step… never
//! change), lock the campaign row (the rule of every enrolment write), then a few statements on
//! primary keys: the first open or click of a message is a conditional `UPDATE` of the send's row
//! (`opened_at_ms IS NULL`), so only the hit that changed it moves the history and the stats.
//! A later open or click of a message only adds its event row, which changes no counter: it takes
//! no campaign lock, so repeated hits (image proxies, link scanners) do not queue behind the
//! campaign's claims and each other on PostgreSQL.

use application::ports::{RepositoryError, SendLinks, TrackingHit, TrackingRepository};
use async_trait::async_trait;
use domain::dnc::{DncEntry, DncReason};
use domain::enrolment::{EnrolmentStatus, StopReason};
use domain::id::{DncEntryId, ObjectId};
use domain::values::EmailAddress;
use sea_orm::{ConnectionTrait, DatabaseTransaction, DbBackend, DbErr, Value};

use super::sending::{StatsOf, set_stopped};
use super::{Deltas, changed, first_row, lock_campaign};
use crate::database::pools::{Pools, finish};
use crate::database::sql::Sql;
use crate::error::{OrUnknown, unknown};
use crate::time::to_millis;

/// Link rows written per INSERT (three bound values each).
const LINK_ROWS_PER_STATEMENT: usize = 1_000;

/// Tracking's storage.
#[derive(Clone)]
pub(crate) struct SqlTrackingRepository {
    pools: Pools,
}

impl SqlTrackingRepository {
    pub(crate) fn new(pools: Pools) -> Self {
        Self { pools }
    }
}

/// What an event row copies from its send.
struct SendRow {
    workspace: String,
    campaign: String,
    enrolment: String,
    subsequence: Option<String>,
    step: i64,
    variant: Option<String>,
    mailbox: String,
    message_id: String,
    /// Whether the message was opened, and clicked, already.
    opened: bool,
    clicked: bool,
}

impl SendRow {
    fn stats_of(&self) -> StatsOf<'_> {
        StatsOf {
            campaign: &self.campaign,
            subsequence: self.subsequence.as_deref(),
        }
    }
}

async fn send_row(
    transaction: &DatabaseTransaction,
    backend: DbBackend,
    send: &str,
) -> Result<Option<SendRow>, DbErr> {
    let sql = Sql::of(
        backend,
        "SELECT workspace_id, campaign_id, enrolment_id, subsequence_id, step, variant, \
         mailbox_id, message_id, opened_at_ms, clicked_at_ms FROM sends WHERE id = ?",
        [send.into()],
    );
    let Some(row) = first_row(transaction, sql.build()).await? else {
        return Ok(None);
    };
    Ok(Some(SendRow {
        workspace: row.try_get_by_index(0)?,
        campaign: row.try_get_by_index(1)?,
        enrolment: row.try_get_by_index(2)?,
        subsequence: row.try_get_by_index(3)?,
        step: row.try_get_by_index(4)?,
        variant: row.try_get_by_index(5)?,
        mailbox: row.try_get_by_index(6)?,
        message_id: row.try_get_by_index(7)?,
        opened: row.try_get_by_index::<Option<i64>>(8)?.is_some(),
        clicked: row.try_get_by_index::<Option<i64>>(9)?.is_some(),
    }))
}

/// The enrolment's lead and status (`None`: the enrolment is gone).
async fn enrolment_row(
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

async fn insert_event(
    transaction: &DatabaseTransaction,
    backend: DbBackend,
    hit: &TrackingHit,
    kind: &str,
    send: &SendRow,
    lead: Option<String>,
    data: Option<String>,
) -> Result<(), DbErr> {
    let sql = Sql::of(
        backend,
        "INSERT INTO events (id, workspace_id, type, campaign_id, enrolment_id, lead_id, \
         mailbox_id, step, variant, subsequence_id, message_id, at_ms, data) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            hit.event.to_string().into(),
            send.workspace.as_str().into(),
            kind.into(),
            send.campaign.as_str().into(),
            send.enrolment.as_str().into(),
            lead.into(),
            send.mailbox.as_str().into(),
            send.step.into(),
            send.variant.clone().into(),
            send.subsequence.clone().into(),
            send.message_id.as_str().into(),
            to_millis(hit.at).into(),
            data.into(),
        ],
    );
    transaction.execute_raw(sql.build()).await?;
    Ok(())
}

/// Which first-of-the-message mark a hit sets.
#[derive(Clone, Copy)]
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

    /// Whether the message has this mark already (a hit of this kind came before).
    fn marked(self, send: &SendRow) -> bool {
        match self {
            Self::Open => send.opened,
            Self::Click => send.clicked,
        }
    }

    fn event(self) -> &'static str {
        match self {
            Self::Open => "email.opened",
            Self::Click => "email.clicked",
        }
    }
}

/// Inside the hit's transaction (the campaign locked unless the message had this mark already): the
/// event every time, and the marks and stats for the first hit of its kind on the message.
async fn record_in(
    transaction: &DatabaseTransaction,
    backend: DbBackend,
    hit: &TrackingHit,
    send: &SendRow,
    first: First,
    data: Option<String>,
) -> Result<(), DbErr> {
    let column = first.column();
    let at = to_millis(hit.at);
    let send_id = hit.send.to_string();
    let mark = Sql::of(
        backend,
        &format!("UPDATE sends SET {column} = ? WHERE id = ? AND {column} IS NULL"),
        [at.into(), send_id.as_str().into()],
    );
    // A message marked already stays marked: only an unmarked one can be this hit's first.
    if !first.marked(send) && changed(transaction, mark.build()).await? == 1 {
        let history = Sql::of(
            backend,
            &format!(
                "UPDATE enrolment_history SET {column} = ? \
                 WHERE enrolment_id = ? AND step = ? AND {column} IS NULL"
            ),
            [at.into(), send.enrolment.as_str().into(), send.step.into()],
        );
        transaction.execute_raw(history.build()).await?;
        send.stats_of()
            .count(transaction, backend, &[first.stat()])
            .await?;
    }
    let lead = enrolment_row(transaction, backend, &send.enrolment)
        .await?
        .and_then(|(lead, _)| lead);
    insert_event(transaction, backend, hit, first.event(), send, lead, data).await
}

/// One write transaction: the send's row, the campaign's lock when `needs_lock` says the hit may
/// change more than its own event, then `body`. `None` when the send is unknown.
async fn with_send<T>(
    pools: &Pools,
    send: ObjectId,
    needs_lock: impl FnOnce(&SendRow) -> bool,
    body: impl AsyncFnOnce(&DatabaseTransaction, DbBackend, SendRow) -> Result<T, DbErr>,
) -> Result<Option<T>, RepositoryError> {
    let backend = DbBackend::from(pools.backend);
    let transaction = pools.begin_write().await.or_unknown()?;
    let written = async {
        let Some(row) = send_row(&transaction, backend, &send.to_string()).await? else {
            return Ok(None);
        };
        if needs_lock(&row)
            && lock_campaign(&transaction, backend, &row.workspace, &row.campaign)
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
            for (index, (send, position, url)) in chunk.iter().enumerate() {
                let separator = if index == 0 { "" } else { ", " };
                let values: [Value; 3] = [send.as_str().into(), (*position).into(), (*url).into()];
                sql.push(&format!("{separator}(?, ?, ?)"), values);
            }
            sql.push(" ON CONFLICT (send_id, position) DO NOTHING", []);
            self.pools
                .writer
                .execute_raw(sql.build())
                .await
                .or_unknown()?;
        }
        Ok(())
    }

    async fn record_open(&self, hit: TrackingHit) -> Result<bool, RepositoryError> {
        let first_open = |send: &SendRow| !First::Open.marked(send);
        let recorded = with_send(
            &self.pools,
            hit.send,
            first_open,
            async |transaction, backend, send| {
                record_in(transaction, backend, &hit, &send, First::Open, None).await
            },
        )
        .await?;
        Ok(recorded.is_some())
    }

    async fn record_click(
        &self,
        hit: TrackingHit,
        position: u32,
    ) -> Result<Option<String>, RepositoryError> {
        let first_click = |send: &SendRow| !First::Click.marked(send);
        let url = with_send(
            &self.pools,
            hit.send,
            first_click,
            async |transaction, backend, send| {
                let sql = Sql::of(
                    backend,
                    "SELECT url FROM send_links WHERE send_id = ? AND position = ?",
                    [hit.send.to_string().into(), i64::from(position).into()],
                );
                let Some(row) = first_row(transaction, sql.build()).await? else {
                    return Ok(None);
                };
                let url: String = row.try_get_by_index(0)?;
                let data = serde_json::json!({ "url": url }).to_string();
                record_in(transaction, backend, &hit, &send, First::Click, Some(data)).await?;
                Ok(Some(url))
            },
        )
        .await?;
        Ok(url.flatten())
    }

    async fn unsubscribe(
        &self,
        hit: TrackingHit,
        dnc_entry: DncEntryId,
    ) -> Result<bool, RepositoryError> {
        let recorded = with_send(
            &self.pools,
            hit.send,
            |_| true,
            async |transaction, backend, send| {
                let at = to_millis(hit.at);
                let (lead, status) = enrolment_row(transaction, backend, &send.enrolment)
                    .await?
                    .unwrap_or((None, None));
                if let Some(lead) = &lead {
                    add_to_dnc(transaction, backend, &send.workspace, lead, dnc_entry, at).await?;
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
                insert_event(
                    transaction,
                    backend,
                    &hit,
                    "email.unsubscribed",
                    &send,
                    lead,
                    None,
                )
                .await
            },
        )
        .await?;
        Ok(recorded.is_some())
    }
}

/// The lead's address on the workspace's do-not-contact list, unless listed already.
async fn add_to_dnc(
    transaction: &DatabaseTransaction,
    backend: DbBackend,
    workspace: &str,
    lead: &str,
    id: DncEntryId,
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
    let entry = DncEntry::email(&address, DncReason::UnsubscribeLink);
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

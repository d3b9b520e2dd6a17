//! [`InboxRepository`] over SQL: `inbox_positions` (migration 24) and the effects of replies,
//! auto-replies and bounces on the ledger, the enrolments, the stats, the events and the
//! do-not-contact list (SENDING.md section 5).
//!
//! A batch is ONE write transaction: first the compare-and-set of the mailbox's position (on
//! PostgreSQL the row lock makes a second reader of the same mailbox wait, then find the position
//! moved and write nothing), then the campaigns of the batch's sends locked in id order (the rule of
//! every enrolment write), then each message's effect in UID order. "First per message" is one
//! conditional `UPDATE` of the send's row (`replied_at_ms`, `bounced_at_ms`), as for opens.

use std::collections::BTreeMap;

use application::ports::{
    InboxEffect, InboxEffectKind, InboxMailbox, InboxPosition, InboxRepository, MatchedSend,
    PositionWrite, ReplyEffect, RepositoryError, SendLookup,
};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::dnc::DncReason;
use domain::enrolment::{EnrolmentStatus, StopReason};
use domain::id::{CampaignId, EnrolmentId, MailboxId, ObjectId, SubsequenceId, WorkspaceId};
use domain::values::EmailAddress;
use sea_orm::{ConnectionTrait, DatabaseTransaction, DbBackend, DbErr};

use super::sending::set_stopped;
use super::tracking::{
    EventRow, SEND_ROW_COLUMNS, SendRow, add_to_dnc, enrolment_row, insert_events,
};
use super::{Deltas, Joining, changed, first_row, join_subsequence, lock_campaign};
use crate::database::pools::{Pools, finish};
use crate::database::sql::Sql;
use crate::error::{OrUnknown, corrupt_row, unknown};
use crate::repositories::values::parse_id;
use crate::time::to_millis;

/// The reader's storage.
#[derive(Clone)]
pub(crate) struct SqlInboxRepository {
    pools: Pools,
}

impl SqlInboxRepository {
    pub(crate) fn new(pools: Pools) -> Self {
        Self { pools }
    }

    fn backend(&self) -> DbBackend {
        DbBackend::from(self.pools.backend)
    }
}

/// The compare-and-set of the mailbox's position; whether it moved.
async fn move_position(
    transaction: &DatabaseTransaction,
    backend: DbBackend,
    (workspace, mailbox): (&str, &str),
    expected: Option<InboxPosition>,
    new: InboxPosition,
    at: i64,
) -> Result<bool, DbErr> {
    let sql = match expected {
        None => Sql::of(
            backend,
            "INSERT INTO inbox_positions (mailbox_id, workspace_id, uid_validity, last_uid, \
             updated_at_ms) VALUES (?, ?, ?, ?, ?) ON CONFLICT (mailbox_id) DO NOTHING",
            [
                mailbox.into(),
                workspace.into(),
                i64::from(new.uid_validity).into(),
                i64::from(new.last_uid).into(),
                at.into(),
            ],
        ),
        Some(old) => Sql::of(
            backend,
            "UPDATE inbox_positions SET uid_validity = ?, last_uid = ?, updated_at_ms = ? \
             WHERE mailbox_id = ? AND uid_validity = ? AND last_uid = ?",
            [
                i64::from(new.uid_validity).into(),
                i64::from(new.last_uid).into(),
                at.into(),
                mailbox.into(),
                i64::from(old.uid_validity).into(),
                i64::from(old.last_uid).into(),
            ],
        ),
    };
    Ok(changed(transaction, sql.build()).await? == 1)
}

/// The send's row for its events, and its enrolment's lead and status (`None`: the send is gone).
async fn send_and_enrolment(
    transaction: &DatabaseTransaction,
    backend: DbBackend,
    send: &str,
) -> Result<Option<(SendRow, Option<String>, Option<EnrolmentStatus>)>, DbErr> {
    let sql = Sql::of(
        backend,
        &format!("SELECT {SEND_ROW_COLUMNS} FROM sends s WHERE s.id = ?"),
        [send.into()],
    );
    let Some(row) = first_row(transaction, sql.build()).await? else {
        return Ok(None);
    };
    let row = SendRow::read(&row, 0)?;
    let (lead, status) = enrolment_row(transaction, backend, &row.enrolment)
        .await?
        .unwrap_or((None, None));
    Ok(Some((row, lead, status)))
}

/// Sets the send's first-of-the-message mark `column` (unless set, or unless `unless` holds of the
/// row); whether this call set it.
async fn mark_first(
    transaction: &DatabaseTransaction,
    backend: DbBackend,
    send: &str,
    column: &str,
    unless: &str,
    at: i64,
) -> Result<bool, DbErr> {
    let sql = Sql::of(
        backend,
        &format!("UPDATE sends SET {column} = ? WHERE id = ? AND {column} IS NULL{unless}"),
        [at.into(), send.into()],
    );
    Ok(changed(transaction, sql.build()).await? == 1)
}

/// The history row's `column` of the send's (enrolment, step), unless set.
async fn mark_history(
    transaction: &DatabaseTransaction,
    backend: DbBackend,
    send: &SendRow,
    column: &str,
    at: i64,
) -> Result<(), DbErr> {
    let sql = Sql::of(
        backend,
        &format!(
            "UPDATE enrolment_history SET {column} = ? WHERE enrolment_id = ? AND step = ? \
             AND {column} IS NULL"
        ),
        [at.into(), send.enrolment.as_str().into(), send.step.into()],
    );
    transaction.execute_raw(sql.build()).await?;
    Ok(())
}

/// Stops `enrolment` (in `from`) for `reason` when the domain's transition allows it.
async fn stop(
    transaction: &DatabaseTransaction,
    backend: DbBackend,
    enrolment: &str,
    from: Option<EnrolmentStatus>,
    reason: StopReason,
    at: i64,
    deltas: &mut Deltas,
) -> Result<(), DbErr> {
    let Some(from) = from else {
        return Ok(());
    };
    let Some(stopped) = from.stopped(reason) else {
        return Ok(());
    };
    set_stopped(
        transaction,
        backend,
        enrolment,
        stopped.status,
        stopped.reason,
        at,
    )
    .await?;
    deltas.moved(from, stopped.status, 1);
    Ok(())
}

/// `stopOnCompanyReply`: every other enrolment of the campaign whose lead is at `domain` stops
/// (`company_reply`) where the domain's transition allows it.
async fn stop_company(
    transaction: &DatabaseTransaction,
    backend: DbBackend,
    send: &SendRow,
    lead: Option<&str>,
    domain: &str,
    at: i64,
    deltas: &mut Deltas,
) -> Result<(), DbErr> {
    let sql = Sql::of(
        backend,
        "SELECT e.id, e.status, l.email FROM enrolments e JOIN leads l \
         ON l.workspace_id = e.workspace_id AND l.id = e.lead_id \
         WHERE e.campaign_id = ? AND e.lead_id <> ? AND LOWER(l.email) LIKE ?",
        [
            send.campaign.as_str().into(),
            lead.unwrap_or("").into(),
            format!("%@{domain}").into(),
        ],
    );
    for row in transaction.query_all_raw(sql.build()).await? {
        let id: String = row.try_get_by_index(0)?;
        let status: String = row.try_get_by_index(1)?;
        let email: String = row.try_get_by_index(2)?;
        // LIKE is the index's first cut; the address's own domain decides.
        let same_domain = EmailAddress::parse(&email)
            .is_ok_and(|address| address.domain().eq_ignore_ascii_case(domain));
        if same_domain {
            let from = EnrolmentStatus::from_wire(&status);
            stop(
                transaction,
                backend,
                &id,
                from,
                StopReason::CompanyReply,
                at,
                deltas,
            )
            .await?;
        }
    }
    Ok(())
}

/// One message's effect, its campaign locked.
async fn apply_effect(
    transaction: &DatabaseTransaction,
    backend: DbBackend,
    effect: &InboxEffect,
    at: i64,
) -> Result<(), DbErr> {
    let send_id = effect.send.send.to_string();
    let Some((send, lead, status)) = send_and_enrolment(transaction, backend, &send_id).await?
    else {
        return Ok(());
    };
    let mut deltas = Deltas::default();
    let events: Vec<EventRow> = match &effect.kind {
        InboxEffectKind::Reply(reply) => {
            apply_reply(
                transaction,
                backend,
                (&send_id, &send),
                (lead.as_deref(), status),
                reply,
                at,
                &mut deltas,
            )
            .await?;
            let data = reply
                .excerpt
                .as_ref()
                .map(|text| serde_json::json!({ "replyText": text }).to_string());
            ["email.replied", "lead.replied"]
                .into_iter()
                .zip(reply.events)
                .map(|(kind, id)| EventRow {
                    id,
                    kind,
                    send: &send,
                    lead: lead.as_deref(),
                    at,
                    data: data.clone(),
                })
                .collect()
        }
        InboxEffectKind::AutoReply { stop: stops, event } => {
            if *stops {
                let reason = StopReason::AutoReply;
                stop(
                    transaction,
                    backend,
                    &send.enrolment,
                    status,
                    reason,
                    at,
                    &mut deltas,
                )
                .await?;
            }
            vec![EventRow {
                id: *event,
                kind: "email.auto_replied",
                send: &send,
                lead: lead.as_deref(),
                at,
                data: None,
            }]
        }
        InboxEffectKind::Bounce {
            status: bounce_status,
            events,
            dnc_entry,
        } => {
            // A message SMTP refused was counted bounced (and not delivered) when it finished.
            let unless = " AND state <> 'bounced'";
            if mark_first(transaction, backend, &send_id, "bounced_at_ms", unless, at).await? {
                mark_history(transaction, backend, &send, "bounced_at_ms", at).await?;
                send.stats_of()
                    .add(transaction, backend, &[("bounced", 1), ("delivered", -1)])
                    .await?;
            }
            let reason = StopReason::Bounced;
            stop(
                transaction,
                backend,
                &send.enrolment,
                status,
                reason,
                at,
                &mut deltas,
            )
            .await?;
            if let Some(lead) = &lead {
                let listed = (*dnc_entry, DncReason::Bounce);
                add_to_dnc(transaction, backend, &send.workspace, lead, listed, at).await?;
            }
            let data = Some(serde_json::json!({ "bounceStatus": bounce_status }).to_string());
            ["email.bounced", "lead.bounced"]
                .into_iter()
                .zip(*events)
                .map(|(kind, id)| EventRow {
                    id,
                    kind,
                    send: &send,
                    lead: lead.as_deref(),
                    at,
                    data: data.clone(),
                })
                .collect()
        }
    };
    if let Some(statement) = deltas.statement(backend, &send.campaign) {
        transaction.execute_raw(statement).await?;
    }
    insert_events(transaction, backend, &events).await
}

/// A reply's marks, stops and subsequence join (its events are the caller's).
async fn apply_reply(
    transaction: &DatabaseTransaction,
    backend: DbBackend,
    (send_id, send): (&str, &SendRow),
    (lead, status): (Option<&str>, Option<EnrolmentStatus>),
    reply: &ReplyEffect,
    at: i64,
    deltas: &mut Deltas,
) -> Result<(), DbErr> {
    if mark_first(transaction, backend, send_id, "replied_at_ms", "", at).await? {
        mark_history(transaction, backend, send, "replied_at_ms", at).await?;
        send.stats_of()
            .count(transaction, backend, &["replied"])
            .await?;
    }
    if reply.stop {
        let reason = StopReason::Replied;
        stop(
            transaction,
            backend,
            &send.enrolment,
            status,
            reason,
            at,
            deltas,
        )
        .await?;
    }
    if let Some(domain) = &reply.company_domain {
        stop_company(transaction, backend, send, lead, domain, at, deltas).await?;
    }
    if let Some(join) = &reply.join {
        let joining = Joining {
            id: join.id.to_string(),
            subsequence: join.subsequence.to_string(),
            status: join.status,
        };
        join_subsequence(
            transaction,
            backend,
            &send.campaign,
            &send.enrolment,
            &joining,
            at,
            deltas,
        )
        .await?;
    }
    Ok(())
}

/// The batch (see the module documentation); `false` when the position had moved.
async fn apply_batch(
    transaction: &DatabaseTransaction,
    backend: DbBackend,
    (workspace, mailbox): (&str, &str),
    (expected, new): (Option<InboxPosition>, InboxPosition),
    effects: &[InboxEffect],
    at: i64,
) -> Result<bool, DbErr> {
    if !move_position(
        transaction,
        backend,
        (workspace, mailbox),
        expected,
        new,
        at,
    )
    .await?
    {
        return Ok(false);
    }
    let campaigns: BTreeMap<String, ()> = effects
        .iter()
        .map(|effect| (effect.send.campaign.to_string(), ()))
        .collect();
    let mut present = Vec::new();
    for campaign in campaigns.keys() {
        if lock_campaign(transaction, backend, workspace, campaign)
            .await?
            .is_some()
        {
            present.push(campaign.as_str());
        }
    }
    for effect in effects {
        if present.contains(&effect.send.campaign.to_string().as_str()) {
            apply_effect(transaction, backend, effect, at).await?;
        }
    }
    Ok(true)
}

#[async_trait]
impl InboxRepository for SqlInboxRepository {
    async fn mailboxes(&self) -> Result<Vec<InboxMailbox>, RepositoryError> {
        let sql = Sql::of(
            self.backend(),
            "SELECT workspace_id, id FROM mailboxes WHERE imap_host IS NOT NULL ORDER BY id",
            [],
        );
        let rows = self
            .pools
            .reads
            .query_all_raw(sql.build())
            .await
            .or_unknown()?;
        rows.iter()
            .map(|row| {
                let workspace: String = row.try_get_by_index(0).or_unknown()?;
                let mailbox: String = row.try_get_by_index(1).or_unknown()?;
                Ok(InboxMailbox {
                    workspace: parse_id(&workspace, WorkspaceId::parse, "mailboxes", &mailbox)?,
                    mailbox: parse_id(&mailbox, MailboxId::parse, "mailboxes", &mailbox)?,
                })
            })
            .collect()
    }

    async fn position(&self, mailbox: MailboxId) -> Result<Option<InboxPosition>, RepositoryError> {
        let sql = Sql::of(
            self.backend(),
            "SELECT uid_validity, last_uid FROM inbox_positions WHERE mailbox_id = ?",
            [mailbox.to_string().into()],
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
        let uid_validity: i64 = row.try_get_by_index(0).or_unknown()?;
        let last_uid: i64 = row.try_get_by_index(1).or_unknown()?;
        let uid = |value: i64| {
            u32::try_from(value).map_err(|_| {
                corrupt_row(
                    "inbox_positions",
                    &mailbox.to_string(),
                    format!("UID {value}"),
                )
            })
        };
        Ok(Some(InboxPosition {
            uid_validity: uid(uid_validity)?,
            last_uid: uid(last_uid)?,
        }))
    }

    async fn find_send(
        &self,
        workspace: WorkspaceId,
        mailbox: MailboxId,
        lookup: &SendLookup,
    ) -> Result<Option<MatchedSend>, RepositoryError> {
        let backend = self.backend();
        let mut sql = Sql::of(
            backend,
            "SELECT s.id, s.campaign_id, s.enrolment_id, s.subsequence_id, l.email, s.message_id \
             FROM sends s LEFT JOIN enrolments e ON e.id = s.enrolment_id \
             LEFT JOIN leads l ON l.workspace_id = e.workspace_id AND l.id = e.lead_id \
             WHERE s.workspace_id = ? AND s.mailbox_id = ? AND s.state <> 'deferred' AND ",
            [workspace.to_string().into(), mailbox.to_string().into()],
        );
        match lookup {
            SendLookup::MessageIds(ids) => {
                if ids.is_empty() {
                    return Ok(None);
                }
                sql.push("s.message_id IN ", []);
                sql.push_list(ids.iter().map(|id| id.as_str().into()));
            }
            SendLookup::RecentRecipient { address, since } => {
                sql.push(
                    "s.claimed_at_ms >= ? AND LOWER(l.email) = ? \
                     ORDER BY s.claimed_at_ms DESC LIMIT 1",
                    [to_millis(*since).into(), address.normalized().into()],
                );
            }
        }
        let rows = self
            .pools
            .reads
            .query_all_raw(sql.build())
            .await
            .or_unknown()?;
        // Several ids may be sends (a References chain): the first in the lookup's order wins.
        let rank = |message_id: &str| match lookup {
            SendLookup::MessageIds(ids) => ids.iter().position(|id| id == message_id),
            SendLookup::RecentRecipient { .. } => Some(0),
        };
        let mut best: Option<(usize, &sea_orm::QueryResult)> = None;
        for row in &rows {
            let message_id: String = row.try_get_by_index(5).or_unknown()?;
            let Some(position) = rank(&message_id) else {
                continue;
            };
            if best.is_none_or(|(seen, _)| position < seen) {
                best = Some((position, row));
            }
        }
        let Some((_, row)) = best else {
            return Ok(None);
        };
        let send: String = row.try_get_by_index(0).or_unknown()?;
        let campaign: String = row.try_get_by_index(1).or_unknown()?;
        let enrolment: String = row.try_get_by_index(2).or_unknown()?;
        let subsequence: Option<String> = row.try_get_by_index(3).or_unknown()?;
        let email: Option<String> = row.try_get_by_index(4).or_unknown()?;
        Ok(Some(MatchedSend {
            send: parse_id(&send, ObjectId::parse, "sends", &send)?,
            campaign: parse_id(&campaign, CampaignId::parse, "sends", &send)?,
            enrolment: parse_id(&enrolment, EnrolmentId::parse, "sends", &send)?,
            subsequence: subsequence
                .map(|id| parse_id(&id, SubsequenceId::parse, "sends", &send))
                .transpose()?,
            lead_email: email.and_then(|email| EmailAddress::parse(&email).ok()),
        }))
    }

    async fn apply(
        &self,
        workspace: WorkspaceId,
        mailbox: MailboxId,
        expected: Option<InboxPosition>,
        new: InboxPosition,
        effects: &[InboxEffect],
        at: DateTime<Utc>,
    ) -> Result<PositionWrite, RepositoryError> {
        let backend = self.backend();
        let (workspace, mailbox) = (workspace.to_string(), mailbox.to_string());
        let transaction = self.pools.begin_write().await.or_unknown()?;
        let written = apply_batch(
            &transaction,
            backend,
            (&workspace, &mailbox),
            (expected, new),
            effects,
            to_millis(at),
        )
        .await;
        let moved = match written {
            // Nothing was written: rolled back by `finish` like any error, answered as a move.
            Ok(false) => Err(None),
            Ok(true) => Ok(()),
            Err(error) => Err(Some(error)),
        };
        match finish(transaction, moved, Some).await {
            Ok(()) => Ok(PositionWrite::Written),
            Err(None) => Ok(PositionWrite::Moved),
            Err(Some(error)) => Err(unknown(error)),
        }
    }
}

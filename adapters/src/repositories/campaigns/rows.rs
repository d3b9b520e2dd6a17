//! A campaign as rows and back: its own row, its subsequence rows and its mailbox links for the
//! writes, and the rows read back re-parsed through the domain's constructors ([`restore`]), since
//! stored data is re-parsed when read.

use application::ports::{RepositoryError, Version, VersionedCampaign};
use domain::campaign::{Campaign, StoredCampaign, SubsequenceCounters};
use domain::enrolment::{EnrolmentStatus, LeadCounts};
use domain::id::{CampaignId, MailboxId, SubsequenceId, UserId, WorkspaceId};
use domain::listing::fold_case;
use domain::request::{CampaignRequest, StepRequest, SubsequenceRequest, TriggerRequest};
use domain::status::CampaignStatus;
use domain::subsequence::Subsequence;
use sea_orm::ActiveValue::{NotSet, Set};

use super::owned_rows::CampaignRows;
use crate::entities::{campaign, campaign_mailbox, subsequence};
use crate::error::{corrupt_row, describe};
use crate::repositories::values::{
    counter_from_db, counter_to_db, parse_id, stats_from_db, stats_to_db,
};
use crate::storage::{CampaignContent, StepDto};
use crate::time::{from_millis, to_millis};

pub(super) const TABLE: &str = "campaigns";

/// The campaign the rows hold, re-parsed through the domain's constructors, with its version.
pub(super) fn restore(rows: CampaignRows) -> Result<VersionedCampaign, RepositoryError> {
    let id = rows.row.id.clone();
    let version = Version(rows.row.version);
    let stored = stored_campaign(rows.row, rows.subsequences, rows.mailboxes)?;
    let campaign = Campaign::restore(stored)
        .map_err(|problems| corrupt_row(TABLE, &id, describe(&problems)))?;
    Ok(VersionedCampaign { campaign, version })
}

/// The campaign's own row: its content in request form (`Campaign::content`) minus what has a place
/// of its own (name columns, subsequence rows, mailbox links). The version is left unset: inserts and
/// updates each write their own.
pub(super) fn campaign_row(campaign: &Campaign) -> Result<campaign::ActiveModel, RepositoryError> {
    let CampaignRequest {
        sequence,
        schedule,
        settings,
        ..
    } = campaign.content();
    let content = CampaignContent {
        sequence: sequence.map(|steps| steps.into_iter().map(StepDto::from).collect()),
        schedule: schedule.map(Into::into),
        settings: settings.map(Into::into),
    };
    let content =
        serde_json::to_string(&content).map_err(|error| RepositoryError::Unknown(error.into()))?;
    let [
        sent,
        delivered,
        opened,
        clicked,
        replied,
        bounced,
        unsubscribed,
    ] = stats_to_db(campaign.stats())?;
    let name = campaign.name().as_str();
    Ok(campaign::ActiveModel {
        id: Set(campaign.id().to_string()),
        workspace_id: Set(campaign.workspace_id().to_string()),
        user_id: Set(campaign.user_id().to_string()),
        name: Set(name.to_owned()),
        name_folded: Set(fold_case(name)),
        status: Set(campaign.status().as_str().to_owned()),
        content: Set(content),
        sent: Set(sent),
        delivered: Set(delivered),
        opened: Set(opened),
        clicked: Set(clicked),
        replied: Set(replied),
        bounced: Set(bounced),
        unsubscribed: Set(unsubscribed),
        // The lead counters belong to the enrolment writes, which keep them exact in their own
        // transactions: a campaign write never writes them (an insert takes their default, 0).
        lead_pending: NotSet,
        lead_active: NotSet,
        lead_paused: NotSet,
        lead_completed: NotSet,
        lead_bounced: NotSet,
        lead_unsubscribed: NotSet,
        lead_replied: NotSet,
        lead_removed: NotSet,
        started_at_ms: Set(campaign.started_at().map(to_millis)),
        completed_at_ms: Set(campaign.completed_at().map(to_millis)),
        created_at_ms: Set(to_millis(campaign.created_at())),
        updated_at_ms: Set(to_millis(campaign.updated_at())),
        version: NotSet,
    })
}

/// The campaign's subsequences as rows, in order.
pub(super) fn subsequence_rows(
    campaign: &Campaign,
) -> Result<Vec<subsequence::ActiveModel>, RepositoryError> {
    let id = campaign.id().to_string();
    campaign
        .subsequences()
        .iter()
        .enumerate()
        .map(|(position, subsequence)| subsequence_row(&id, position, subsequence))
        .collect()
}

/// Links of the campaign to `mailboxes`, the first of them at position `first`.
pub(super) fn link_rows(
    campaign: &Campaign,
    first: usize,
    mailboxes: &[MailboxId],
) -> Vec<campaign_mailbox::ActiveModel> {
    let id = campaign.id().to_string();
    let workspace_id = campaign.workspace_id().to_string();
    mailboxes
        .iter()
        .enumerate()
        .map(|(index, mailbox)| campaign_mailbox::ActiveModel {
            workspace_id: Set(workspace_id.clone()),
            campaign_id: Set(id.clone()),
            position: Set(position_to_db(first + index)),
            mailbox_id: Set(mailbox.to_string()),
        })
        .collect()
}

fn subsequence_row(
    campaign_id: &str,
    position: usize,
    subsequence: &Subsequence,
) -> Result<subsequence::ActiveModel, RepositoryError> {
    let trigger = subsequence.trigger();
    let [
        sent,
        delivered,
        opened,
        clicked,
        replied,
        bounced,
        unsubscribed,
    ] = stats_to_db(subsequence.stats())?;
    Ok(subsequence::ActiveModel {
        id: Set(subsequence.id().to_string()),
        campaign_id: Set(campaign_id.to_owned()),
        position: Set(position_to_db(position)),
        name: Set(subsequence.name().to_owned()),
        trigger_type: Set(trigger.trigger_type().as_str().to_owned()),
        trigger_value: Set(trigger.value().map(str::to_owned)),
        enabled: Set(subsequence.enabled()),
        archived: Set(subsequence.archived()),
        sequence: Set(steps_to_json(subsequence.sequence().to_requests())?),
        added_count: Set(counter_to_db(subsequence.added_count())?),
        sent: Set(sent),
        delivered: Set(delivered),
        opened: Set(opened),
        clicked: Set(clicked),
        replied: Set(replied),
        bounced: Set(bounced),
        unsubscribed: Set(unsubscribed),
    })
}

fn position_to_db(position: usize) -> i32 {
    // Lists are bounded far below i32::MAX (at most 50 subsequences, a few thousand mailboxes).
    i32::try_from(position).unwrap_or(i32::MAX)
}

fn steps_to_json(steps: Vec<StepRequest>) -> Result<serde_json::Value, RepositoryError> {
    let steps: Vec<StepDto> = steps.into_iter().map(StepDto::from).collect();
    serde_json::to_value(steps).map_err(|error| RepositoryError::Unknown(error.into()))
}

/// The rows, put back into the storage form the domain re-parses.
fn stored_campaign(
    row: campaign::Model,
    subsequence_rows: Vec<subsequence::Model>,
    mailboxes: Vec<String>,
) -> Result<StoredCampaign, RepositoryError> {
    let id = row.id;
    let content: CampaignContent = serde_json::from_str(&row.content)
        .map_err(|error| corrupt_row(TABLE, &id, format!("content: {error}")))?;

    let mut subsequences = Vec::with_capacity(subsequence_rows.len());
    let mut subsequence_counters = Vec::with_capacity(subsequence_rows.len());
    for row in subsequence_rows {
        let (request, counters) = subsequence_from_row(row)?;
        subsequences.push(request);
        subsequence_counters.push(counters);
    }

    Ok(StoredCampaign {
        id: parse_id(&id, CampaignId::parse, TABLE, &id)?,
        workspace_id: parse_id(&row.workspace_id, WorkspaceId::parse, TABLE, &id)?,
        user_id: parse_id(&row.user_id, UserId::parse, TABLE, &id)?,
        status: CampaignStatus::from_wire(&row.status)
            .ok_or_else(|| corrupt_row(TABLE, &id, format!("unknown status {:?}", row.status)))?,
        content: CampaignRequest {
            name: Some(row.name),
            sequence: content
                .sequence
                .map(|steps| steps.into_iter().map(StepRequest::from).collect()),
            subsequences: Some(subsequences),
            schedule: content.schedule.map(Into::into),
            settings: content.settings.map(Into::into),
            mailbox_selectors: Default::default(),
        },
        subsequence_counters,
        mailboxes: mailboxes
            .iter()
            .map(|mailbox| parse_id(mailbox, MailboxId::parse, TABLE, &id))
            .collect::<Result<_, _>>()?,
        stats: stats_from_db(
            [
                row.sent,
                row.delivered,
                row.opened,
                row.clicked,
                row.replied,
                row.bounced,
                row.unsubscribed,
            ],
            TABLE,
            &id,
        )?,
        lead_counts: LeadCounts::from_counts([
            (
                EnrolmentStatus::Pending,
                counter_from_db(row.lead_pending, TABLE, &id)?,
            ),
            (
                EnrolmentStatus::Active,
                counter_from_db(row.lead_active, TABLE, &id)?,
            ),
            (
                EnrolmentStatus::Paused,
                counter_from_db(row.lead_paused, TABLE, &id)?,
            ),
            (
                EnrolmentStatus::Completed,
                counter_from_db(row.lead_completed, TABLE, &id)?,
            ),
            (
                EnrolmentStatus::Bounced,
                counter_from_db(row.lead_bounced, TABLE, &id)?,
            ),
            (
                EnrolmentStatus::Unsubscribed,
                counter_from_db(row.lead_unsubscribed, TABLE, &id)?,
            ),
            (
                EnrolmentStatus::Replied,
                counter_from_db(row.lead_replied, TABLE, &id)?,
            ),
            (
                EnrolmentStatus::Removed,
                counter_from_db(row.lead_removed, TABLE, &id)?,
            ),
        ]),
        started_at: row
            .started_at_ms
            .map(|millis| from_millis(millis, TABLE, &id))
            .transpose()?,
        completed_at: row
            .completed_at_ms
            .map(|millis| from_millis(millis, TABLE, &id))
            .transpose()?,
        created_at: from_millis(row.created_at_ms, TABLE, &id)?,
        updated_at: from_millis(row.updated_at_ms, TABLE, &id)?,
    })
}

/// A subsequence row in request form (`_id` included) and its counters.
fn subsequence_from_row(
    row: subsequence::Model,
) -> Result<(SubsequenceRequest, SubsequenceCounters), RepositoryError> {
    const TABLE: &str = "subsequences";
    let steps: Vec<StepDto> = serde_json::from_value(row.sequence)
        .map_err(|error| corrupt_row(TABLE, &row.id, format!("sequence: {error}")))?;
    let counters = SubsequenceCounters {
        id: parse_id(&row.id, SubsequenceId::parse, TABLE, &row.id)?,
        added_count: counter_from_db(row.added_count, TABLE, &row.id)?,
        stats: stats_from_db(
            [
                row.sent,
                row.delivered,
                row.opened,
                row.clicked,
                row.replied,
                row.bounced,
                row.unsubscribed,
            ],
            TABLE,
            &row.id,
        )?,
    };
    let request = SubsequenceRequest {
        id: Some(row.id),
        name: Some(row.name),
        trigger: Some(TriggerRequest {
            kind: Some(row.trigger_type),
            value: row.trigger_value,
        }),
        sequence: Some(steps.into_iter().map(StepRequest::from).collect()),
        enabled: Some(row.enabled),
        archived: Some(row.archived),
    };
    Ok((request, counters))
}

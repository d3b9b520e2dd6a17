use application::ports::{CampaignRepository, RepositoryError};
use async_trait::async_trait;
use domain::campaign::{Campaign, StoredCampaign, SubsequenceCounters};
use domain::id::{CampaignId, MailboxId, SubsequenceId, UserId, WorkspaceId};
use domain::request::{CampaignRequest, StepRequest, SubsequenceRequest, TriggerRequest};
use domain::status::CampaignStatus;
use domain::subsequence::Subsequence;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseTransaction, DbErr, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, QueryTrait,
};

use super::batch::insert_all;
use super::values::{counter_from_db, counter_to_db, parse_id, stats_from_db, stats_to_db};
use crate::database::{Pools, finish};
use crate::entities::{campaign, campaign_mailbox, subsequence};
use crate::error::{OrUnknown, corrupt_row, describe, duplicate_id, repository_error, unknown};
use crate::storage::{CampaignContent, StepDto};
use crate::time::{from_millis, to_millis};

const TABLE: &str = "campaigns";

/// Mailbox links per INSERT statement (4 parameters each). Campaigns rarely link more; longer lists take
/// several statements, still in the same round trip while the parameters fit (see `batch`).
const LINKS_PER_STATEMENT: usize = 1_000;

pub(crate) struct SqlCampaignRepository {
    pools: Pools,
}

impl SqlCampaignRepository {
    pub(crate) fn new(pools: Pools) -> Self {
        Self { pools }
    }
}

#[async_trait]
impl CampaignRepository for SqlCampaignRepository {
    /// The campaign row, its subsequences (one multi-row INSERT, when it has any) and its mailbox links
    /// (one multi-row INSERT per `LINKS_PER_STATEMENT`, when it has any), all or nothing, through
    /// [`insert_all`]: one statement on PostgreSQL, `BEGIN IMMEDIATE` + one batch + `COMMIT` on SQLite.
    async fn insert(&self, campaign: &Campaign) -> Result<(), RepositoryError> {
        let id = campaign.id().to_string();
        let workspace_id = campaign.workspace_id().to_string();
        let mut inserts = vec![campaign::Entity::insert(campaign_row(campaign)?).into_query()];
        if !campaign.subsequences().is_empty() {
            let subsequences = campaign
                .subsequences()
                .iter()
                .enumerate()
                .map(|(position, subsequence)| subsequence_row(&id, position, subsequence))
                .collect::<Result<Vec<_>, _>>()?;
            inserts.push(subsequence::Entity::insert_many(subsequences).into_query());
        }
        for (chunk, mailboxes) in campaign.mailboxes().chunks(LINKS_PER_STATEMENT).enumerate() {
            let first = chunk * LINKS_PER_STATEMENT;
            let links = mailboxes.iter().enumerate().map(|(index, mailbox)| {
                campaign_mailbox::ActiveModel {
                    workspace_id: Set(workspace_id.clone()),
                    campaign_id: Set(id.clone()),
                    position: Set(position_to_db(first + index)),
                    mailbox_id: Set(mailbox.to_string()),
                }
            });
            inserts.push(campaign_mailbox::Entity::insert_many(links).into_query());
        }
        insert_all(&self.pools, inserts)
            .await
            .map_err(|error| repository_error(error, duplicate_id))
    }

    /// Three queries (campaign, subsequences, mailbox links) in one read-only transaction, so they see
    /// one snapshot.
    async fn find(
        &self,
        workspace: WorkspaceId,
        id: CampaignId,
    ) -> Result<Option<Campaign>, RepositoryError> {
        let id = id.to_string();
        let transaction = self.pools.begin_read().await.or_unknown()?;
        let rows = read_rows(&transaction, workspace.to_string(), id.clone())
            .await
            .or_unknown();
        let Some((row, subsequences, mailboxes)) = finish(transaction, rows, unknown).await? else {
            return Ok(None);
        };
        let stored = stored_campaign(row, subsequences, mailboxes)?;
        Campaign::restore(stored)
            .map(Some)
            .map_err(|problems| corrupt_row(TABLE, &id, describe(&problems)))
    }
}

/// A campaign's row, its subsequence rows and its mailbox ids in list order; `None` when the
/// workspace has no such campaign.
async fn read_rows(
    transaction: &DatabaseTransaction,
    workspace: String,
    id: String,
) -> Result<Option<(campaign::Model, Vec<subsequence::Model>, Vec<String>)>, DbErr> {
    let Some(row) = campaign::Entity::find_by_id(id.clone())
        .filter(campaign::Column::WorkspaceId.eq(workspace.clone()))
        .one(transaction)
        .await?
    else {
        return Ok(None);
    };
    let subsequences = subsequence::Entity::find()
        .filter(subsequence::Column::CampaignId.eq(id.clone()))
        .order_by_asc(subsequence::Column::Position)
        .all(transaction)
        .await?;
    let mailboxes = campaign_mailbox::Entity::find()
        .select_only()
        .column(campaign_mailbox::Column::MailboxId)
        .filter(campaign_mailbox::Column::WorkspaceId.eq(workspace))
        .filter(campaign_mailbox::Column::CampaignId.eq(id))
        .order_by_asc(campaign_mailbox::Column::Position)
        .into_tuple()
        .all(transaction)
        .await?;
    Ok(Some((row, subsequences, mailboxes)))
}

fn position_to_db(position: usize) -> i32 {
    // Lists are bounded far below i32::MAX (at most 50 subsequences, a few thousand mailboxes).
    i32::try_from(position).unwrap_or(i32::MAX)
}

fn steps_to_json(steps: Vec<StepRequest>) -> Result<serde_json::Value, RepositoryError> {
    let steps: Vec<StepDto> = steps.into_iter().map(StepDto::from).collect();
    serde_json::to_value(steps).map_err(|error| RepositoryError::Unknown(error.into()))
}

/// The campaign's own row: its content in request form (`Campaign::content`) minus what has a place
/// of its own (name column, subsequence rows, mailbox links).
fn campaign_row(campaign: &Campaign) -> Result<campaign::ActiveModel, RepositoryError> {
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
        serde_json::to_value(content).map_err(|error| RepositoryError::Unknown(error.into()))?;
    let [
        sent,
        delivered,
        opened,
        clicked,
        replied,
        bounced,
        unsubscribed,
    ] = stats_to_db(campaign.stats())?;
    Ok(campaign::ActiveModel {
        id: Set(campaign.id().to_string()),
        workspace_id: Set(campaign.workspace_id().to_string()),
        user_id: Set(campaign.user_id().to_string()),
        name: Set(campaign.name().as_str().to_owned()),
        status: Set(campaign.status().as_str().to_owned()),
        content: Set(content),
        sent: Set(sent),
        delivered: Set(delivered),
        opened: Set(opened),
        clicked: Set(clicked),
        replied: Set(replied),
        bounced: Set(bounced),
        unsubscribed: Set(unsubscribed),
        started_at_ms: Set(campaign.started_at().map(to_millis)),
        completed_at_ms: Set(campaign.completed_at().map(to_millis)),
        created_at_ms: Set(to_millis(campaign.created_at())),
        updated_at_ms: Set(to_millis(campaign.updated_at())),
    })
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

/// The rows, put back into the storage form the domain re-parses.
fn stored_campaign(
    row: campaign::Model,
    subsequence_rows: Vec<subsequence::Model>,
    mailboxes: Vec<String>,
) -> Result<StoredCampaign, RepositoryError> {
    let id = row.id;
    let content: CampaignContent = serde_json::from_value(row.content)
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

#[cfg(all(test, feature = "testing"))]
mod tests {
    use application::ports::IdGenerator;
    use chrono::Utc;
    use domain::campaign::{NewCampaign, Provisions};
    use domain::identity::{User, Workspace, WorkspaceName};
    use domain::request::CampaignRequest;
    use domain::rules::ParseRules;
    use domain::values::{EmailAddress, WebhookHostPolicy};
    use sea_orm::ConnectionTrait;

    use super::*;
    use crate::ObjectIdGenerator;
    use crate::testing::{backends, fresh_database};

    #[tokio::test]
    async fn stored_campaign_that_no_longer_parses_is_an_unknown_error_naming_the_row()
    -> anyhow::Result<()> {
        for backend in backends() {
            let database = fresh_database(backend).await?;
            let ids = ObjectIdGenerator;
            let user = User::new(
                ids.new_id().into(),
                EmailAddress::parse("ana@acme.test")
                    .map_err(|invalid| anyhow::anyhow!(invalid.message))?,
                Utc::now(),
            );
            database.identity().insert_user(&user).await?;
            let workspace = Workspace::new(
                ids.new_id().into(),
                WorkspaceName::parse(Some("Acme"))
                    .map_err(|invalid| anyhow::anyhow!(invalid.message))?,
                Utc::now(),
            );
            database
                .identity()
                .insert_workspace(&workspace, user.id())
                .await?;
            let request = CampaignRequest {
                name: Some("Soon corrupt".into()),
                ..CampaignRequest::default()
            };
            let new =
                NewCampaign::parse(&request, ParseRules::create(WebhookHostPolicy::PublicOnly))
                    .map_err(|problems| anyhow::anyhow!("{problems}"))?;
            let campaign = Campaign::create(
                new,
                Provisions {
                    id: ids.new_id().into(),
                    workspace_id: workspace.id(),
                    user_id: user.id(),
                    now: Utc::now(),
                    mailboxes: vec![],
                    ai_agent_id: None,
                    webhook_secret: None,
                },
                || ids.new_id(),
            );
            database.campaigns().insert(&campaign).await?;

            // A wait as the first step breaks a rule the domain checks on every read.
            database
                .pools()
                .writer
                .execute_unprepared(&format!(
                    "UPDATE campaigns SET content = '{{\"sequence\": [{{\"type\": \"wait\", \"waitDays\": 1}}]}}' \
                     WHERE id = '{}'",
                    campaign.id()
                ))
                .await?;

            let error = database
                .campaigns()
                .find(workspace.id(), campaign.id())
                .await
                .expect_err("a corrupt row does not read");
            let RepositoryError::Unknown(error) = error else {
                anyhow::bail!("expected Unknown, got {error:?}");
            };
            let message = format!("{error:#}");
            assert!(
                message.contains(&campaign.id().to_string()),
                "{backend:?}: {message}"
            );
            assert!(
                message.contains("corrupt campaigns row"),
                "{backend:?}: {message}"
            );
            assert!(
                !message.to_lowercase().contains("select"),
                "{backend:?}: {message}"
            );
        }
        Ok(())
    }
}

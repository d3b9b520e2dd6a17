//! A campaign's rows read in the same statement as the campaign: its subsequences and its mailbox ids,
//! each aggregated into one JSON array column by a correlated subquery. One statement sees one snapshot
//! on both backends, so a read needs neither an explicit transaction nor a round trip per table.

use sea_orm::sea_query::Expr;
use sea_orm::{DbErr, FromQueryResult, QueryResult, QuerySelect, Select};
use serde::{Deserialize, Deserializer};

use crate::database::pools::Backend;
use crate::entities::{campaign, subsequence};

/// The column holding the campaign's subsequences, ordered by position.
const SUBSEQUENCES: &str = "owned_subsequences";
/// The column holding the campaign's mailbox ids, in list order.
const MAILBOXES: &str = "owned_mailboxes";

/// The subsequence columns, as `'name', expression` pairs of a JSON object.
const SUBSEQUENCE_FIELDS: &str = "'id', s.id, 'position', s.position, 'name', s.name, \
     'trigger_type', s.trigger_type, 'trigger_value', s.trigger_value, 'enabled', s.enabled, \
     'archived', s.archived, 'sequence', SEQUENCE, 'added_count', s.added_count, 'sent', s.sent, \
     'delivered', s.delivered, 'opened', s.opened, 'clicked', s.clicked, 'replied', s.replied, \
     'bounced', s.bounced, 'unsubscribed', s.unsubscribed";

/// `select` (campaign rows) with the two owned-row columns added.
pub(super) fn with_owned_columns(
    select: Select<campaign::Entity>,
    backend: Backend,
) -> Select<campaign::Entity> {
    let (subsequences, mailboxes) = match backend {
        Backend::Sqlite => (
            format!(
                "(SELECT json_group_array(json_object({}) ORDER BY s.position) \
                 FROM subsequences s WHERE s.campaign_id = campaigns.id)",
                SUBSEQUENCE_FIELDS.replace("SEQUENCE", "json(s.sequence)")
            ),
            "(SELECT json_group_array(m.mailbox_id ORDER BY m.position) FROM campaign_mailboxes m \
             WHERE m.workspace_id = campaigns.workspace_id AND m.campaign_id = campaigns.id)"
                .to_owned(),
        ),
        Backend::Postgres => (
            format!(
                "(SELECT coalesce(json_agg(json_build_object({}) ORDER BY s.position), '[]'::json)::text \
                 FROM subsequences s WHERE s.campaign_id = campaigns.id)",
                SUBSEQUENCE_FIELDS.replace("SEQUENCE", "s.sequence")
            ),
            "(SELECT coalesce(json_agg(m.mailbox_id ORDER BY m.position), '[]'::json)::text \
             FROM campaign_mailboxes m \
             WHERE m.workspace_id = campaigns.workspace_id AND m.campaign_id = campaigns.id)"
                .to_owned(),
        ),
    };
    select
        .expr_as(Expr::cust(subsequences), SUBSEQUENCES)
        .expr_as(Expr::cust(mailboxes), MAILBOXES)
}

/// A campaign's rows: its own, its subsequences' in order, and its mailbox ids in list order.
pub(super) struct CampaignRows {
    pub(super) row: campaign::Model,
    pub(super) subsequences: Vec<subsequence::Model>,
    pub(super) mailboxes: Vec<String>,
}

impl FromQueryResult for CampaignRows {
    fn from_query_result(result: &QueryResult, prefix: &str) -> Result<Self, DbErr> {
        let row = campaign::Model::from_query_result(result, prefix)?;
        let subsequences: Vec<OwnedSubsequence> = json_column(result, prefix, SUBSEQUENCES)?;
        let mailboxes: Vec<String> = json_column(result, prefix, MAILBOXES)?;
        Ok(CampaignRows {
            subsequences: subsequences
                .into_iter()
                .map(|owned| owned.into_model(&row.id))
                .collect(),
            mailboxes,
            row,
        })
    }
}

/// An aggregated column, read as text (an empty aggregate is SQL `NULL` on SQLite: no rows).
fn json_column<T: serde::de::DeserializeOwned + Default>(
    result: &QueryResult,
    prefix: &str,
    column: &str,
) -> Result<T, DbErr> {
    let text: Option<String> = result.try_get(prefix, column)?;
    match text {
        None => Ok(T::default()),
        Some(text) => {
            serde_json::from_str(&text).map_err(|error| DbErr::Type(format!("{column}: {error}")))
        }
    }
}

/// A subsequence row as the aggregate writes it.
#[derive(Deserialize)]
struct OwnedSubsequence {
    id: String,
    position: i32,
    name: String,
    trigger_type: String,
    trigger_value: Option<String>,
    #[serde(deserialize_with = "flag")]
    enabled: bool,
    #[serde(deserialize_with = "flag")]
    archived: bool,
    sequence: serde_json::Value,
    added_count: i64,
    sent: i64,
    delivered: i64,
    opened: i64,
    clicked: i64,
    replied: i64,
    bounced: i64,
    unsubscribed: i64,
}

impl OwnedSubsequence {
    fn into_model(self, campaign_id: &str) -> subsequence::Model {
        subsequence::Model {
            id: self.id,
            campaign_id: campaign_id.to_owned(),
            position: self.position,
            name: self.name,
            trigger_type: self.trigger_type,
            trigger_value: self.trigger_value,
            enabled: self.enabled,
            archived: self.archived,
            sequence: self.sequence,
            added_count: self.added_count,
            sent: self.sent,
            delivered: self.delivered,
            opened: self.opened,
            clicked: self.clicked,
            replied: self.replied,
            bounced: self.bounced,
            unsubscribed: self.unsubscribed,
        }
    }
}

/// A boolean column: `true`/`false` from PostgreSQL, `1`/`0` from SQLite (which has no boolean type).
fn flag<'de, D: Deserializer<'de>>(deserializer: D) -> Result<bool, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Flag {
        Bool(bool),
        Int(i64),
    }
    Ok(match Flag::deserialize(deserializer)? {
        Flag::Bool(value) => value,
        Flag::Int(value) => value != 0,
    })
}

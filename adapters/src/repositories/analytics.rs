//! [`AnalyticsRepository`] over SQL: set-based reads of `events` (migration 22; the index of
//! migration 26).
//!
//! Every count is of first events per message: an inner `GROUP BY message_id` (a walk of
//! `events_messages`, no sort) takes each message's first instant of each counted kind, and an
//! outer query counts the messages whose first instant lies in the span, grouped as the report
//! needs. A daily report's dates come from the zone's [`DayPeriod`]s, a `VALUES` list joined on
//! range: each first instant is mapped to its local date's index by whole division, so the zone's
//! rules stay in the domain and the database only adds and divides.

use application::ports::{
    AnalyticsRepository, CampaignCounts, DayCounts, EventPage, EventQuery, EventView,
    RepositoryError, StepCounts, WorkspaceCounts,
};
use async_trait::async_trait;
use domain::analytics::{COUNTED_KINDS, DayPeriod, EventType, ReportSpan};
use domain::id::{
    CampaignId, EnrolmentId, LeadId, MailboxId, ObjectId, SubsequenceId, WorkspaceId,
};
use domain::stats::Stats;
use domain::status::CampaignStatus;
use sea_orm::{ConnectionTrait, DbBackend, QueryResult, Value};

use super::values::{counter_from_db, parse_id};
use crate::database::pools::Pools;
use crate::database::sql::Sql;
use crate::error::{OrUnknown, corrupt_row};
use crate::time::{from_millis, to_millis};

/// Reads of the event rows.
#[derive(Clone)]
pub(crate) struct SqlAnalyticsRepository {
    pools: Pools,
}

impl SqlAnalyticsRepository {
    pub(crate) fn new(pools: Pools) -> Self {
        Self { pools }
    }
}

/// The span as `[start, end)` in milliseconds, open ends as the widest values.
fn span_millis(span: ReportSpan) -> (i64, i64) {
    (
        span.start.map_or(i64::MIN, to_millis),
        span.end.map_or(i64::MAX, to_millis),
    )
}

/// The column of a message's first instant of a counted kind (`sent_at`…).
fn first_column(counter: &str) -> String {
    format!("{counter}_at")
}

/// `SELECT {grouped}, MIN(CASE WHEN type = 'email.sent' THEN at_ms END) AS sent_at, … FROM events
/// e WHERE {condition} AND e.message_id IS NOT NULL GROUP BY {group}`: each message's first instant
/// of each counted kind (event kinds are the domain's constants, never client text).
fn firsts_per_message(grouped: &str, condition: &str, group: &str) -> String {
    let firsts = COUNTED_KINDS
        .iter()
        .map(|(counter, kind)| {
            format!(
                "MIN(CASE WHEN e.type = '{}' THEN e.at_ms END) AS {}",
                kind.as_str(),
                first_column(counter)
            )
        })
        .collect::<Vec<_>>()
        .join(", ");
    let grouped = if grouped.is_empty() {
        String::new()
    } else {
        format!("{grouped}, ")
    };
    format!(
        "SELECT {grouped}{firsts} FROM events e WHERE {condition} \
         AND e.message_id IS NOT NULL GROUP BY {group}"
    )
}

/// The seven counters over `(start, end)` of the firsts `f`, in [`Stats`] order: `sent`,
/// `delivered` (sent inside, never bounced), then the other counted kinds.
fn counters_in_span(start: i64, end: i64) -> String {
    let inside = |column: &str| format!("{column} >= {start} AND {column} < {end}");
    let count =
        |condition: String| format!("COALESCE(SUM(CASE WHEN {condition} THEN 1 ELSE 0 END), 0)");
    let mut counters = Vec::new();
    for (counter, _) in COUNTED_KINDS {
        let column = format!("f.{}", first_column(counter));
        counters.push(count(inside(&column)));
        if counter == "sent" {
            counters.push(count(format!(
                "{} AND f.bounced_at IS NULL",
                inside(&column)
            )));
        }
    }
    counters.join(", ")
}

/// The seven counters of [`counters_in_span`] read from `row`, from the column at `first` on.
fn stats_at(row: &QueryResult, first: usize) -> Result<Stats, RepositoryError> {
    let mut values = [0u64; 7];
    for (offset, value) in values.iter_mut().enumerate() {
        let raw: i64 = row.try_get_by_index(first + offset).or_unknown()?;
        *value = counter_from_db(raw, "events", "a count")?;
    }
    let [
        sent,
        delivered,
        opened,
        clicked,
        replied,
        bounced,
        unsubscribed,
    ] = values;
    Ok(Stats {
        sent,
        delivered,
        opened,
        clicked,
        replied,
        bounced,
        unsubscribed,
    })
}

fn is_zero(stats: &Stats) -> bool {
    *stats == Stats::default()
}

/// The statement of a campaign's counters by (subsequence, step, variant).
fn campaign_counts_sql(
    backend: DbBackend,
    workspace: &str,
    campaign: &str,
    span: ReportSpan,
) -> Sql {
    let (start, end) = span_millis(span);
    let firsts = firsts_per_message(
        "e.message_id, MIN(e.subsequence_id) AS subsequence_id, MIN(e.step) AS step, \
         MIN(e.variant) AS variant",
        "e.workspace_id = ? AND e.campaign_id = ?",
        "e.message_id",
    );
    Sql::of(
        backend,
        &format!(
            "SELECT f.subsequence_id, f.step, f.variant, {} FROM ({firsts}) f \
             GROUP BY f.subsequence_id, f.step, f.variant",
            counters_in_span(start, end)
        ),
        [workspace.into(), campaign.into()],
    )
}

/// The statement of a campaign's counters by local date over `periods`.
fn daily_counts_sql(
    backend: DbBackend,
    workspace: &str,
    campaign: &str,
    periods: &[DayPeriod],
) -> Sql {
    let kinds = COUNTED_KINDS
        .iter()
        .map(|(_, kind)| format!("'{}'", kind.as_str()))
        .collect::<Vec<_>>()
        .join(", ");
    let mut sql = Sql::of(
        backend,
        "WITH p (start_ms, end_ms, first_day, length_ms) AS (VALUES ",
        [],
    );
    sql.push_rows(periods.iter().map(|period| -> [Value; 4] {
        [
            to_millis(period.start).into(),
            to_millis(period.end).into(),
            i64::from(period.first_day).into(),
            period.length.num_milliseconds().into(),
        ]
    }));
    sql.push(
        &format!(
            ") SELECT p.first_day + (f.first_at - p.start_ms) / p.length_ms AS day, f.type, \
             COUNT(*) FROM (SELECT e.message_id, e.type, MIN(e.at_ms) AS first_at FROM events e \
             WHERE e.workspace_id = ? AND e.campaign_id = ? AND e.message_id IS NOT NULL \
             AND e.type IN ({kinds}) GROUP BY e.message_id, e.type) f \
             JOIN p ON f.first_at >= p.start_ms AND f.first_at < p.end_ms \
             GROUP BY p.first_day + (f.first_at - p.start_ms) / p.length_ms, f.type"
        ),
        [workspace.into(), campaign.into()],
    );
    sql
}

/// The event columns a page reads, in [`event_view`]'s order.
const EVENT_COLUMNS: &str = "id, type, campaign_id, enrolment_id, lead_id, mailbox_id, step, variant, \
     subsequence_id, message_id, at_ms, data";

fn optional_id<T>(
    row: &QueryResult,
    index: usize,
    parse: fn(&str) -> Result<T, domain::problem::Invalid>,
    column: &str,
) -> Result<Option<T>, RepositoryError> {
    let raw: Option<String> = row.try_get_by_index(index).or_unknown()?;
    raw.map(|raw| parse_id(&raw, parse, "events", column))
        .transpose()
}

fn event_view(row: &QueryResult) -> Result<EventView, RepositoryError> {
    let id: String = row.try_get_by_index(0).or_unknown()?;
    let step: Option<i64> = row.try_get_by_index(6).or_unknown()?;
    let step = step
        .map(|step| {
            u32::try_from(step).map_err(|_| corrupt_row("events", &id, "step out of range"))
        })
        .transpose()?;
    let at: i64 = row.try_get_by_index(10).or_unknown()?;
    let campaign: String = row.try_get_by_index(2).or_unknown()?;
    Ok(EventView {
        kind: row.try_get_by_index(1).or_unknown()?,
        campaign: parse_id(&campaign, CampaignId::parse, "events", "campaign_id")?,
        enrolment: optional_id(row, 3, EnrolmentId::parse, "enrolment_id")?,
        lead: optional_id(row, 4, LeadId::parse, "lead_id")?,
        mailbox: optional_id(row, 5, MailboxId::parse, "mailbox_id")?,
        step,
        variant: row.try_get_by_index(7).or_unknown()?,
        subsequence: optional_id(row, 8, SubsequenceId::parse, "subsequence_id")?,
        message_id: row.try_get_by_index(9).or_unknown()?,
        at: from_millis(at, "events", &id)?,
        data: row.try_get_by_index(11).or_unknown()?,
        id: parse_id(&id, ObjectId::parse, "events", "id")?,
    })
}

/// `WHERE …` of a page's rows (without the cursor) and its values.
fn events_filter(workspace: &str, campaign: &str, kind: Option<EventType>) -> (String, Vec<Value>) {
    let mut condition = "workspace_id = ? AND campaign_id = ?".to_owned();
    let mut values: Vec<Value> = vec![workspace.into(), campaign.into()];
    if let Some(kind) = kind {
        condition.push_str(" AND type = ?");
        values.push(kind.as_str().into());
    }
    (condition, values)
}

#[async_trait]
impl AnalyticsRepository for SqlAnalyticsRepository {
    async fn campaign_counts(
        &self,
        workspace: WorkspaceId,
        campaign: CampaignId,
        span: ReportSpan,
    ) -> Result<CampaignCounts, RepositoryError> {
        let backend = DbBackend::from(self.pools.backend);
        let (workspace, campaign) = (workspace.to_string(), campaign.to_string());
        let sql = campaign_counts_sql(backend, &workspace, &campaign, span);
        let mut steps = Vec::new();
        for row in self
            .pools
            .reader
            .query_all_raw(sql.build())
            .await
            .or_unknown()?
        {
            let stats = stats_at(&row, 3)?;
            if is_zero(&stats) {
                continue;
            }
            let step: i64 = row.try_get_by_index(1).or_unknown()?;
            steps.push(StepCounts {
                subsequence: optional_id(&row, 0, SubsequenceId::parse, "subsequence_id")?,
                step: u32::try_from(step)
                    .map_err(|_| corrupt_row("events", "a step", "step out of range"))?,
                variant: row.try_get_by_index(2).or_unknown()?,
                stats,
            });
        }
        steps.sort_by(|a, b| {
            (a.subsequence, a.step, &a.variant).cmp(&(b.subsequence, b.step, &b.variant))
        });
        let (start, end) = span_millis(span);
        let replied = Sql::of(
            backend,
            &format!(
                "SELECT COUNT(*) FROM (SELECT e.lead_id, MIN(e.at_ms) AS first_at FROM events e \
                 WHERE e.workspace_id = ? AND e.campaign_id = ? AND e.type = ? \
                 AND e.lead_id IS NOT NULL GROUP BY e.lead_id) r \
                 WHERE r.first_at >= {start} AND r.first_at < {end}"
            ),
            [
                workspace.as_str().into(),
                campaign.as_str().into(),
                EventType::LeadReplied.as_str().into(),
            ],
        );
        let replied_leads = match self
            .pools
            .reader
            .query_one_raw(replied.build())
            .await
            .or_unknown()?
        {
            Some(row) => {
                counter_from_db(row.try_get_by_index(0).or_unknown()?, "events", "a count")?
            }
            None => 0,
        };
        Ok(CampaignCounts {
            steps,
            replied_leads,
        })
    }

    async fn workspace_counts(
        &self,
        workspace: WorkspaceId,
        span: ReportSpan,
    ) -> Result<WorkspaceCounts, RepositoryError> {
        let backend = DbBackend::from(self.pools.backend);
        let workspace = workspace.to_string();
        let (start, end) = span_millis(span);
        let firsts = firsts_per_message("", "e.workspace_id = ?", "e.campaign_id, e.message_id");
        let sql = Sql::of(
            backend,
            &format!(
                "SELECT {}, (SELECT COUNT(*) FROM campaigns WHERE workspace_id = ?), \
                 (SELECT COUNT(*) FROM campaigns WHERE workspace_id = ? AND status = ?) \
                 FROM ({firsts}) f",
                counters_in_span(start, end)
            ),
            [
                workspace.as_str().into(),
                workspace.as_str().into(),
                CampaignStatus::Active.as_str().into(),
                workspace.as_str().into(),
            ],
        );
        let Some(row) = self
            .pools
            .reader
            .query_one_raw(sql.build())
            .await
            .or_unknown()?
        else {
            return Ok(WorkspaceCounts::default());
        };
        Ok(WorkspaceCounts {
            stats: stats_at(&row, 0)?,
            campaigns: counter_from_db(
                row.try_get_by_index(7).or_unknown()?,
                "campaigns",
                "a count",
            )?,
            active_campaigns: counter_from_db(
                row.try_get_by_index(8).or_unknown()?,
                "campaigns",
                "a count",
            )?,
        })
    }

    async fn daily_counts(
        &self,
        workspace: WorkspaceId,
        campaign: CampaignId,
        periods: &[DayPeriod],
    ) -> Result<Vec<DayCounts>, RepositoryError> {
        if periods.is_empty() {
            return Ok(Vec::new());
        }
        let backend = DbBackend::from(self.pools.backend);
        let sql = daily_counts_sql(
            backend,
            &workspace.to_string(),
            &campaign.to_string(),
            periods,
        );
        let mut days: std::collections::BTreeMap<u32, Stats> = std::collections::BTreeMap::new();
        for row in self
            .pools
            .reader
            .query_all_raw(sql.build())
            .await
            .or_unknown()?
        {
            let day: i64 = row.try_get_by_index(0).or_unknown()?;
            let kind: String = row.try_get_by_index(1).or_unknown()?;
            let count =
                counter_from_db(row.try_get_by_index(2).or_unknown()?, "events", "a count")?;
            let day = u32::try_from(day).map_err(|_| corrupt_row("events", "a day", day))?;
            let stats = days.entry(day).or_default();
            match EventType::parse(&kind) {
                Ok(EventType::EmailSent) => stats.sent += count,
                Ok(EventType::EmailOpened) => stats.opened += count,
                Ok(EventType::EmailClicked) => stats.clicked += count,
                Ok(EventType::EmailReplied) => stats.replied += count,
                Ok(EventType::EmailBounced) => stats.bounced += count,
                Ok(EventType::EmailUnsubscribed) => stats.unsubscribed += count,
                _ => {}
            }
        }
        Ok(days
            .into_iter()
            .map(|(day, stats)| DayCounts { day, stats })
            .collect())
    }

    async fn events(
        &self,
        workspace: WorkspaceId,
        campaign: CampaignId,
        query: &EventQuery,
    ) -> Result<EventPage, RepositoryError> {
        let backend = DbBackend::from(self.pools.backend);
        let (condition, values) =
            events_filter(&workspace.to_string(), &campaign.to_string(), query.kind);
        let limit = query.limit.get();
        let mut page = Sql::of(
            backend,
            &format!("SELECT {EVENT_COLUMNS} FROM events WHERE {condition}"),
            values.clone(),
        );
        if let Some(before) = query.before {
            page.push(" AND id < ?", [before.to_string().into()]);
        }
        page.push(&format!(" ORDER BY id DESC LIMIT {}", limit + 1), []);
        let rows = self
            .pools
            .reader
            .query_all_raw(page.build())
            .await
            .or_unknown()?;
        let has_more = rows.len() > limit as usize;
        let events = rows
            .iter()
            .take(limit as usize)
            .map(event_view)
            .collect::<Result<Vec<_>, _>>()?;
        let total = Sql::of(
            backend,
            &format!("SELECT COUNT(*) FROM events WHERE {condition}"),
            values,
        );
        let total = match self
            .pools
            .reader
            .query_one_raw(total.build())
            .await
            .or_unknown()?
        {
            Some(row) => {
                counter_from_db(row.try_get_by_index(0).or_unknown()?, "events", "a count")?
            }
            None => 0,
        };
        Ok(EventPage {
            events,
            total,
            has_more,
        })
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;
    use crate::testing::{TestBackend, fresh_database, sqlite_plan};

    /// SQLite's plan of `sql`, one line per step.
    async fn plan(database: &crate::Database, sql: Sql) -> anyhow::Result<String> {
        sqlite_plan(database, sql.build()).await
    }

    #[tokio::test]
    async fn the_per_message_reads_walk_the_events_messages_index_without_sorting_the_events()
    -> anyhow::Result<()> {
        let database = fresh_database(TestBackend::Sqlite).await?;
        let campaign = plan(
            &database,
            campaign_counts_sql(DbBackend::Sqlite, "w", "c", ReportSpan::default()),
        )
        .await?;
        let start = Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap();
        let period = DayPeriod {
            start,
            end: start + chrono::Duration::days(3),
            first_day: 0,
            length: chrono::Duration::days(1),
        };
        let daily = plan(
            &database,
            daily_counts_sql(DbBackend::Sqlite, "w", "c", &[period]),
        )
        .await?;
        for text in [campaign, daily] {
            assert!(
                text.contains("SEARCH e USING INDEX events_messages")
                    || text.contains("SEARCH e USING COVERING INDEX events_messages"),
                "{text}"
            );
            // The inner grouping by message follows the index; only the small outer grouping
            // (by step or by day) may sort.
            assert_eq!(text.matches("TEMP B-TREE").count(), 1, "{text}");
        }
        Ok(())
    }
}

//! What the ledger's finishes, tracking and the reply reader all write beside their rows: an
//! enrolment stopped, and the stats of a campaign and its subsequence. A leaf of `enrolments`: it
//! imports none of the repositories that use it.

use domain::enrolment::{EnrolmentStatus, StopReason};
use sea_orm::{ConnectionTrait, DatabaseTransaction, DbBackend, DbErr};

use crate::database::sql::Sql;

/// Sets the enrolment `enrolment` stopped with `status` and `reason`, nothing planned.
pub(super) async fn set_stopped(
    transaction: &DatabaseTransaction,
    backend: DbBackend,
    enrolment: &str,
    status: EnrolmentStatus,
    reason: StopReason,
    at: i64,
) -> Result<(), DbErr> {
    let sql = Sql::of(
        backend,
        "UPDATE enrolments SET status = ?, stop_reason = ?, next_send_at_ms = NULL, \
         updated_at_ms = ?, version = version + 1 WHERE id = ?",
        [
            status.as_str().into(),
            reason.as_str().into(),
            at.into(),
            enrolment.into(),
        ],
    );
    transaction.execute_raw(sql.build()).await?;
    Ok(())
}

/// Whose `stats` an event of a send counts in: its campaign's, and its subsequence's when it ran
/// one (SENDING.md section 6).
pub(super) struct StatsOf<'a> {
    pub campaign: &'a str,
    pub subsequence: Option<&'a str>,
}

impl StatsOf<'_> {
    /// One more in each of `columns` (stats columns, named by the code) of the campaign and of the
    /// subsequence.
    pub(super) async fn count(
        &self,
        transaction: &DatabaseTransaction,
        backend: DbBackend,
        columns: &[&'static str],
    ) -> Result<(), DbErr> {
        let counts: Vec<(&'static str, i64)> = columns.iter().map(|column| (*column, 1)).collect();
        self.add(transaction, backend, &counts).await
    }

    /// Adds each `(column, n)` of `counts` to the campaign's and the subsequence's stats.
    pub(super) async fn add(
        &self,
        transaction: &DatabaseTransaction,
        backend: DbBackend,
        counts: &[(&'static str, i64)],
    ) -> Result<(), DbErr> {
        if counts.is_empty() {
            return Ok(());
        }
        let increments = counts
            .iter()
            .map(|(column, n)| format!("{column} = {column} + {n}"))
            .collect::<Vec<_>>()
            .join(", ");
        let campaign = Sql::of(
            backend,
            &format!("UPDATE campaigns SET {increments}, version = version + 1 WHERE id = ?"),
            [self.campaign.into()],
        );
        transaction.execute_raw(campaign.build()).await?;
        if let Some(subsequence) = self.subsequence {
            let subsequence = Sql::of(
                backend,
                &format!("UPDATE subsequences SET {increments} WHERE id = ? AND campaign_id = ?"),
                [subsequence.into(), self.campaign.into()],
            );
            transaction.execute_raw(subsequence.build()).await?;
        }
        Ok(())
    }
}

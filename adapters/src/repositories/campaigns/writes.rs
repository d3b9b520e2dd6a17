//! A campaign's writes, each all or nothing with what it owns and its count: the insert (through the
//! group commit when it fits a batch, else the database layer's multi-statement writes),
//! and the update and delete that write only at the version the caller read.

use application::ports::{KeyCompletion, RepositoryError, Version, WriteOutcome};
use domain::campaign::Campaign;
use domain::id::{CampaignId, WorkspaceId};
use domain::status::CampaignStatus;
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::sea_query::{
    Alias, Asterisk, CommonTableExpression, DeleteStatement, Expr, ExprTrait, Func,
    InsertStatement, Query, UpdateStatement, WithClause,
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, QueryFilter, QueryTrait, SqlErr,
    Statement,
};

use super::counts::{count_inserted, count_key, count_removed, count_status_change};
use super::group_commit::{CampaignGroupCommit, CampaignInsert, MAX_OWNED_ROWS};
use super::rows::{campaign_row, link_rows, subsequence_rows};
use crate::database::batch::{insert_all, insert_all_in, sqlite_write_counting, sqlite_write_if};
use crate::database::pools::{Backend, Pools, finish};
use crate::entities::{campaign, campaign_mailbox, subsequence};
use crate::error::{OrUnknown, duplicate_id, repository_error};
use crate::repositories::enrolments;
use crate::repositories::idempotency_keys::completions_stored;

/// Mailbox links per INSERT statement (4 parameters each). Campaigns rarely link more; longer lists take
/// several statements, still in the same round trip while the parameters fit (see `batch`).
const LINKS_PER_STATEMENT: usize = 1_000;

/// The name of the PostgreSQL update's CTE holding the bumped campaign row (if any).
const BUMPED: &str = "bumped";

/// The name of the PostgreSQL delete's CTE holding the deleted campaign row (if any).
const GONE: &str = "gone";

/// A new campaign's rows — the campaign row, its subsequences (one multi-row INSERT, when it has any)
/// and its mailbox links (one multi-row INSERT per `LINKS_PER_STATEMENT`, when it has any) — one more
/// campaign of its status in `campaign_counts` (an upsert) and the idempotency key it answers, if any,
/// all or nothing: through the repository's group commit (possibly shared with concurrent creates;
/// see [`group_commit`](super::group_commit)) unless it owns more rows than a batch takes, else
/// through [`insert_all`].
pub(super) async fn insert(
    pools: &Pools,
    group_commit: &CampaignGroupCommit,
    campaign: &Campaign,
    completion: Option<&KeyCompletion>,
) -> Result<(), RepositoryError> {
    let mut row = campaign_row(campaign)?;
    row.version = Set(0);
    let owned_rows = campaign.subsequences().len() + campaign.mailboxes().len();
    let written = if owned_rows <= MAX_OWNED_ROWS {
        let insert = CampaignInsert {
            campaign: row,
            subsequences: subsequence_rows(campaign)?,
            links: link_rows(campaign, 0, campaign.mailboxes()),
            count: count_key(campaign),
            completion: completion.cloned(),
        };
        group_commit.insert(insert).await
    } else {
        let mut inserts = vec![campaign::Entity::insert(row).into_query()];
        inserts.extend(owned_row_inserts(campaign)?);
        inserts.extend(completions_stored(completion));
        inserts.push(count_inserted(campaign));
        insert_all(pools, inserts).await
    };
    written.map_err(write_error)
}

/// One write transaction: the campaign row is updated (version + 1) only at `expected`; only then
/// are its subsequences and mailbox links deleted and written again, and, when its status changes,
/// `campaign_counts` moved by one from the stored status to the new one; when it is active, its
/// pending enrolments turn active with their counters ([`enrolments::activation`]). SQLite: two round trips
/// on the writer connection ([`sqlite_write_if`]). PostgreSQL: four — `BEGIN`, one statement that
/// updates the row, moves the count and deletes what it owns when it matched (CTEs) and says
/// whether it did, one that inserts the new rows, `COMMIT`.
pub(super) async fn update(
    pools: &Pools,
    campaign: &Campaign,
    expected: Version,
) -> Result<WriteOutcome, RepositoryError> {
    let bump = bump_statement(campaign, expected)?;
    let deletes = owned_row_deletes(campaign);
    let inserts = owned_row_inserts(campaign)?;
    // An active campaign has no pending enrolment: those it had turn active with this write (by
    // `start` or `resume`), under the campaign row's lock like every enrolment write.
    let activation = if campaign.status() == CampaignStatus::Active {
        enrolments::activation(
            DbBackend::from(pools.backend),
            &campaign.id(),
            campaign.updated_at(),
        )
    } else {
        Vec::new()
    };
    let written = match pools.backend {
        Backend::Sqlite => {
            let sqlite = DbBackend::Sqlite;
            // Before the bump: it reads the stored status at `expected`, which the bump replaces.
            // When stale it matches nothing, and the transaction is rolled back anyway.
            let recount = sqlite.build(&count_status_change(campaign, expected, None)?);
            let then = deletes
                .iter()
                .map(|delete| sqlite.build(delete))
                .chain(inserts.iter().map(|insert| sqlite.build(insert)))
                .chain(activation)
                .collect();
            sqlite_write_if(pools, vec![recount], sqlite.build(&bump), then).await
        }
        Backend::Postgres => {
            // In a task of its own: a caller dropped half-way cannot leave the transaction (and
            // the campaign row's lock) open until its connection is next used.
            let pools = pools.clone();
            let recount = count_status_change(campaign, expected, Some(bumped_exists()))?;
            tokio::spawn(async move {
                update_postgres(&pools, bump, recount, deletes, &inserts, activation).await
            })
            .await
            .unwrap_or_else(|error| {
                Err(DbErr::Custom(format!(
                    "the write task ended early: {error}"
                )))
            })
        }
    }
    .map_err(write_error)?;
    Ok(outcome(written))
}

/// The row is deleted only at `expected`, and its subsequences and mailbox links go with it (their
/// foreign keys cascade); only then is its status counted one less. One round trip: SQLite
/// `BEGIN IMMEDIATE; <count - 1 guarded by the same condition>; DELETE …; COMMIT;`, PostgreSQL
/// `WITH gone AS (DELETE … RETURNING status), … AS (UPDATE campaign_counts …) SELECT COUNT(*) FROM
/// gone`.
pub(super) async fn delete(
    pools: &Pools,
    workspace: WorkspaceId,
    id: CampaignId,
    expected: Version,
) -> Result<WriteOutcome, RepositoryError> {
    let workspace = workspace.to_string();
    let mut delete = campaign::Entity::delete_many()
        .filter(campaign::Column::Id.eq(id.to_string()))
        .filter(campaign::Column::WorkspaceId.eq(workspace.clone()))
        .filter(campaign::Column::Version.eq(expected.0))
        .into_query();
    let deleted = match pools.backend {
        Backend::Sqlite => {
            // The writer is serialised, so the guarded decrement and the delete see the same row.
            let stored_status = Query::select()
                .column(campaign::Column::Status)
                .from(campaign::Entity)
                .and_where(campaign::Column::Id.eq(id.to_string()))
                .and_where(campaign::Column::WorkspaceId.eq(workspace.clone()))
                .and_where(campaign::Column::Version.eq(expected.0))
                .to_owned();
            let sqlite = DbBackend::Sqlite;
            let changed = sqlite_write_counting(
                pools,
                vec![
                    sqlite.build(&count_removed(&workspace, id, stored_status)),
                    sqlite.build(&delete),
                ],
            )
            .await
            .or_unknown()?;
            changed.get(1).is_some_and(|deleted| *deleted > 0)
        }
        Backend::Postgres => {
            // The decrement reads what the DELETE returned: it counts only a row that was deleted.
            delete.returning_col(campaign::Column::Status);
            let gone_status = Query::select()
                .column(campaign::Column::Status)
                .from(Alias::new(GONE))
                .to_owned();
            let mut with = WithClause::new();
            with.cte(
                CommonTableExpression::new()
                    .table_name(Alias::new(GONE))
                    .query(delete)
                    .to_owned(),
            );
            with.cte(
                CommonTableExpression::new()
                    .table_name(Alias::new("counted"))
                    .query(count_removed(&workspace, id, gone_status))
                    .to_owned(),
            );
            let statement = with.query(
                Query::select()
                    .expr(Func::count(Expr::col(Asterisk)))
                    .from(Alias::new(GONE))
                    .to_owned(),
            );
            let deleted: i64 = pools
                .writer
                .query_one_raw(DbBackend::Postgres.build(&statement))
                .await
                .or_unknown()?
                .map(|row| row.try_get_by_index(0))
                .transpose()
                .or_unknown()?
                .unwrap_or(0);
            deleted > 0
        }
    };
    Ok(outcome(deleted))
}

fn outcome(written: bool) -> WriteOutcome {
    if written {
        WriteOutcome::Written
    } else {
        WriteOutcome::Stale
    }
}

/// A foreign-key refusal is `ReferenceGone` with a plain message (a mailbox of the list deleted since
/// it was looked up, most likely; the caller looks up again): no SQL reaches the logs' readers or the
/// caller. Unique violations are id clashes.
fn write_error(error: DbErr) -> RepositoryError {
    match error.sql_err() {
        Some(SqlErr::ForeignKeyConstraintViolation(_)) => RepositoryError::ReferenceGone(
            "the campaign names a mailbox, workspace or user that does not exist in its workspace \
             (deleted meanwhile?)"
                .to_owned(),
        ),
        _ => repository_error(error, duplicate_id),
    }
}

/// The INSERTs of what a campaign owns: its subsequences (one statement, when it has any) and its
/// mailbox links (one statement per `LINKS_PER_STATEMENT`, when it has any).
fn owned_row_inserts(campaign: &Campaign) -> Result<Vec<InsertStatement>, RepositoryError> {
    let mut inserts = Vec::new();
    let subsequences = subsequence_rows(campaign)?;
    if !subsequences.is_empty() {
        inserts.push(subsequence::Entity::insert_many(subsequences).into_query());
    }
    for (chunk, mailboxes) in campaign.mailboxes().chunks(LINKS_PER_STATEMENT).enumerate() {
        let links = link_rows(campaign, chunk * LINKS_PER_STATEMENT, mailboxes);
        inserts.push(campaign_mailbox::Entity::insert_many(links).into_query());
    }
    Ok(inserts)
}

/// The DELETEs of what a campaign owns: its subsequences, then its mailbox links.
fn owned_row_deletes(campaign: &Campaign) -> [DeleteStatement; 2] {
    let id = campaign.id().to_string();
    [
        subsequence::Entity::delete_many()
            .filter(subsequence::Column::CampaignId.eq(id.clone()))
            .into_query(),
        campaign_mailbox::Entity::delete_many()
            .filter(campaign_mailbox::Column::WorkspaceId.eq(campaign.workspace_id().to_string()))
            .filter(campaign_mailbox::Column::CampaignId.eq(id))
            .into_query(),
    ]
}

/// `UPDATE campaigns SET <every column an update may change>, version = version + 1` for the
/// campaign's row, only at `expected`.
fn bump_statement(
    campaign: &Campaign,
    expected: Version,
) -> Result<UpdateStatement, RepositoryError> {
    let mut row = campaign_row(campaign)?;
    // Never change once created.
    row.id = NotSet;
    row.workspace_id = NotSet;
    row.user_id = NotSet;
    row.created_at_ms = NotSet;
    Ok(campaign::Entity::update_many()
        .set(row)
        .col_expr(
            campaign::Column::Version,
            Expr::col(campaign::Column::Version).add(1),
        )
        .filter(campaign::Column::Id.eq(campaign.id().to_string()))
        .filter(campaign::Column::WorkspaceId.eq(campaign.workspace_id().to_string()))
        .filter(campaign::Column::Version.eq(expected.0))
        .into_query())
}

/// PostgreSQL's update: `BEGIN`; `WITH bumped AS (UPDATE … RETURNING id), counted AS (INSERT INTO
/// campaign_counts … WHERE … AND EXISTS (SELECT 1 FROM bumped)), s0 AS (DELETE … WHERE … AND EXISTS
/// (SELECT 1 FROM bumped)), s1 AS (…) SELECT COUNT(*) FROM bumped`; the INSERTs when it matched;
/// `COMMIT` (or `ROLLBACK` when it did not). The inserts are a statement of their own: the parts of one
/// statement run in no defined order, and kept subsequences are deleted and inserted again under the
/// same ids.
///
/// `counted` (`recount`, guarded by [`bumped_exists`]) reads the stored status at `expected` from the
/// statement's snapshot, from before the bump: the caller read that version before this statement
/// began, so the snapshot holds it whenever the bump matches. Reading `bumped` first makes it take the
/// campaign row's lock before any count row's, the order every campaign write follows.
async fn update_postgres(
    pools: &Pools,
    mut bump: UpdateStatement,
    recount: InsertStatement,
    deletes: [DeleteStatement; 2],
    inserts: &[InsertStatement],
    activation: Vec<Statement>,
) -> Result<bool, DbErr> {
    bump.returning_col(campaign::Column::Id);
    let bumped_exists = bumped_exists();
    let mut with = WithClause::new();
    with.cte(
        CommonTableExpression::new()
            .table_name(Alias::new(BUMPED))
            .query(bump)
            .to_owned(),
    );
    with.cte(
        CommonTableExpression::new()
            .table_name(Alias::new("counted"))
            .query(recount)
            .to_owned(),
    );
    for (index, mut delete) in deletes.into_iter().enumerate() {
        delete.and_where(bumped_exists.clone());
        with.cte(
            CommonTableExpression::new()
                .table_name(Alias::new(format!("s{index}")))
                .query(delete)
                .to_owned(),
        );
    }
    let guarded_replace = with.query(
        Query::select()
            .expr(Func::count(Expr::col(Asterisk)))
            .from(Alias::new(BUMPED))
            .to_owned(),
    );

    let transaction = pools.begin_write().await?;
    let written = async {
        let changed: i64 = transaction
            .query_one_raw(DbBackend::Postgres.build(&guarded_replace))
            .await?
            .map(|row| row.try_get_by_index(0))
            .transpose()?
            .unwrap_or(0);
        if changed == 0 {
            return Ok(false);
        }
        insert_all_in(&transaction, inserts).await?;
        for statement in activation {
            transaction.execute_raw(statement).await?;
        }
        Ok(true)
    }
    .await;
    if let Ok(false) = written {
        // Stale: nothing was written; end the transaction without a commit.
        transaction.rollback().await?;
        return Ok(false);
    }
    finish(transaction, written, |error| error).await
}

/// `EXISTS (SELECT 1 FROM bumped)`: PostgreSQL's update matched.
fn bumped_exists() -> Expr {
    Expr::exists(
        Query::select()
            .expr(Expr::val(1))
            .from(Alias::new(BUMPED))
            .to_owned(),
    )
}

//! Several INSERTs written as one unit, in one round trip.
//!
//! Round trips decide the speed of a write (DESIGN.md): on SQLite each statement is a hop to the
//! connection's worker thread and back — and while a transaction waits for its next statement, the
//! single writer connection serves nobody else —; on PostgreSQL each is a network round trip.
//!
//! - PostgreSQL: ONE statement. Every INSERT but the last becomes a data-modifying CTE of the last
//!   (`WITH s0 AS (INSERT …), s1 AS (INSERT …) INSERT …`): a single statement is atomic on its own,
//!   and the foreign keys between its parts are checked at its end.
//! - SQLite: the INSERTs as one multi-statement string (sqlx binds the positional parameters across
//!   the statements in order), queued for the writer connection's group commit
//!   ([`group_commit`](super::group_commit)): one `BEGIN IMMEDIATE; …; COMMIT;` round trip for all the
//!   inserts waiting, each retried alone if that fails. The other writes here run in a task of their
//!   own on the writer connection, which rolls back on failure before anyone else can use it, so a
//!   caller that gives up half-way (a dropped request) cannot leave it inside an open transaction.
//!
//! Past a backend's limit on bound parameters (a campaign linking thousands of mailboxes) the INSERTs
//! go one by one inside a sea-orm transaction instead.
//!
//! Conditional writes (a campaign update only at the version read) need the guard's answer before
//! the rest: [`sqlite_write_if`] takes two round trips on the writer connection; PostgreSQL callers
//! use a sea-orm transaction and [`insert_all_in`].

use std::fmt::Write as _;
use std::future::Future;
use std::pin::Pin;

use sea_orm::sea_query::{InsertStatement, PostgresQueryBuilder, SqlWriterValues};
use sea_orm::sqlx::sqlite::SqliteConnection;
use sea_orm::sqlx::{self, AssertSqlSafe, Row as _};
use sea_orm::{ConnectionTrait, DatabaseTransaction, DbBackend, DbErr, Statement, Value, Values};
use sea_query_sqlx::SqlxValues;

use super::driver::{
    POSTGRES_MAX_PARAMETERS, SQLITE_MAX_PARAMETERS, exec_error, parameters, roll_back_or_replace,
};
use super::pools::{Backend, Pools, finish};

/// Runs `inserts` (in order) all or nothing. No `RETURNING` anywhere.
pub(crate) async fn insert_all(pools: &Pools, inserts: Vec<InsertStatement>) -> Result<(), DbErr> {
    match pools.backend {
        Backend::Postgres => insert_all_postgres(pools, inserts).await,
        Backend::Sqlite => insert_all_sqlite(pools, inserts).await,
    }
}

/// Runs `inserts` (in order) inside `transaction`: on PostgreSQL as one statement while the parameters
/// fit, else one by one.
pub(crate) async fn insert_all_in(
    transaction: &DatabaseTransaction,
    inserts: &[InsertStatement],
) -> Result<(), DbErr> {
    let backend = transaction.get_database_backend();
    if backend == DbBackend::Postgres
        && let Some(statement) = postgres_statement(inserts)
        && parameters(&statement) <= POSTGRES_MAX_PARAMETERS
    {
        transaction.execute_raw(statement).await?;
        return Ok(());
    }
    for insert in inserts {
        transaction.execute_raw(backend.build(insert)).await?;
    }
    Ok(())
}

/// The INSERTs as one PostgreSQL statement: every one but the last a data-modifying CTE of the last
/// (`WITH s0 AS (INSERT …), s1 AS (INSERT …) INSERT …`). Written straight into one SQL writer, so the
/// placeholders number on across the parts and no statement is cloned (sea-query's `WithClause`
/// clones every part, and a campaign row holds its whole content JSON).
pub(crate) fn postgres_statement<'a>(
    inserts: impl IntoIterator<Item = &'a InsertStatement>,
) -> Option<Statement> {
    let inserts: Vec<&InsertStatement> = inserts.into_iter().collect();
    let (last, first) = inserts.split_last()?;
    let mut sql = SqlWriterValues::new("$", true);
    for (index, insert) in first.iter().enumerate() {
        let keyword = if index == 0 { "WITH" } else { "," };
        // Writing into a String-backed writer cannot fail.
        let _ = write!(sql, "{keyword} s{index} AS (");
        insert.build_collect_into(PostgresQueryBuilder, &mut sql);
        let _ = sql.write_str(") ");
    }
    last.build_collect_into(PostgresQueryBuilder, &mut sql);
    let (sql, Values(values)) = sql.into_parts();
    Some(Statement::from_sql_and_values(
        DbBackend::Postgres,
        sql,
        values,
    ))
}

async fn insert_all_postgres(pools: &Pools, inserts: Vec<InsertStatement>) -> Result<(), DbErr> {
    let Some(statement) = postgres_statement(&inserts) else {
        return Ok(());
    };
    if parameters(&statement) <= POSTGRES_MAX_PARAMETERS {
        pools.writes.execute_raw(statement).await?;
        return Ok(());
    }
    one_by_one(pools, &inserts).await
}

async fn insert_all_sqlite(pools: &Pools, inserts: Vec<InsertStatement>) -> Result<(), DbErr> {
    let mut built: Vec<Statement> = inserts
        .iter()
        .map(|insert| DbBackend::Sqlite.build(insert))
        .collect();
    if built.iter().map(parameters).sum::<usize>() > SQLITE_MAX_PARAMETERS {
        return one_by_one(pools, &inserts).await;
    }
    if built.len() == 1
        && let Some(statement) = built.pop()
    {
        // A single statement is its own transaction.
        pools.writer.execute_raw(statement).await?;
        return Ok(());
    }
    let (sql, values) = joined("", built);
    match &pools.group_commit {
        Some(group_commit) => group_commit.insert(sql, values).await,
        None => Err(DbErr::Custom(
            "a SQLite database without its writer queue".to_owned(),
        )),
    }
}

/// SQLite: runs `before` and `guard` (an UPDATE or DELETE) and, only if the guard changed a row, `then`
/// (in order), in one write transaction on the writer connection; returns whether the guard changed a
/// row (if not, nothing was written: `before` is rolled back too).
///
/// Two round trips: `BEGIN IMMEDIATE; before…; guard; SELECT changes();`, then `then…; COMMIT;` (split
/// where the parameters would not fit one exchange) or `ROLLBACK`. (`changes()` is read in SQL because
/// the driver's affected-rows count also adds stale counts for `BEGIN`.)
pub(crate) async fn sqlite_write_if(
    pools: &Pools,
    before: Vec<Statement>,
    guard: Statement,
    then: Vec<Statement>,
) -> Result<bool, DbErr> {
    let (mut guard_sql, guard_values) = joined(
        "BEGIN IMMEDIATE;\n",
        before.into_iter().chain(std::iter::once(guard)),
    );
    guard_sql.push_str("SELECT changes();");
    let mut exchanges = parameter_bounded_groups(then, SQLITE_MAX_PARAMETERS);
    if let Some((sql, _)) = exchanges.last_mut() {
        sql.push_str("COMMIT;");
    } else {
        exchanges.push(("COMMIT;".to_owned(), Vec::new()));
    }
    on_sqlite_writer(pools, move |connection| {
        Box::pin(async move {
            let rows = sqlx::query_with(AssertSqlSafe(guard_sql), SqlxValues(Values(guard_values)))
                .fetch_all(&mut *connection)
                .await?;
            let changed = match rows.first() {
                Some(row) => row.try_get::<i64, _>(0)?,
                None => 0,
            };
            if changed == 0 {
                sqlx::query("ROLLBACK").execute(&mut *connection).await?;
                return Ok(false);
            }
            for (sql, values) in exchanges {
                sqlx::query_with(AssertSqlSafe(sql), SqlxValues(Values(values)))
                    .execute(&mut *connection)
                    .await?;
            }
            Ok(true)
        })
    })
    .await
}

/// SQLite: runs `statements` (UPDATEs and DELETEs) in order as one write transaction, in one round trip
/// on the writer connection, and answers how many rows each changed directly (rows removed by a
/// foreign key's cascade are not counted). Either all of them are written or none.
pub(crate) async fn sqlite_write_counting(
    pools: &Pools,
    statements: Vec<Statement>,
) -> Result<Vec<u64>, DbErr> {
    let count = statements.len();
    let mut sql = String::from("BEGIN IMMEDIATE;\n");
    let mut values = Vec::new();
    for statement in statements {
        sql.push_str(&statement.sql);
        sql.push_str(";\nSELECT changes();\n");
        values.extend(
            statement
                .values
                .map(|Values(values)| values)
                .unwrap_or_default(),
        );
    }
    sql.push_str("COMMIT;");
    on_sqlite_writer(pools, move |connection| {
        Box::pin(async move {
            let rows = sqlx::query_with(AssertSqlSafe(sql), SqlxValues(Values(values)))
                .fetch_all(&mut *connection)
                .await?;
            let changed = rows
                .iter()
                .map(|row| {
                    row.try_get::<i64, _>(0)
                        .map(|n| u64::try_from(n).unwrap_or(0))
                })
                .collect::<Result<Vec<u64>, _>>()?;
            if changed.len() != count {
                return Err(sqlx::Error::Protocol(format!(
                    "expected {count} change counts, read {}",
                    changed.len()
                )));
            }
            Ok(changed)
        })
    })
    .await
}

/// Runs `exchange` on the SQLite writer connection, in a task of its own so that a caller that gives
/// up half-way (a dropped request) cannot leave the writer inside an open transaction. If it fails, the
/// same connection runs `ROLLBACK` before anyone else can use it (harmless when no transaction is
/// open), and is replaced if even that fails.
async fn on_sqlite_writer<T, F>(pools: &Pools, exchange: F) -> Result<T, DbErr>
where
    T: Send + 'static,
    F: for<'c> FnOnce(
            &'c mut SqliteConnection,
        ) -> Pin<Box<dyn Future<Output = Result<T, sqlx::Error>> + Send + 'c>>
        + Send
        + 'static,
{
    let pool = pools.writer.get_sqlite_connection_pool().clone();
    let in_memory = pools.sqlite_in_memory;
    let task = tokio::spawn(async move {
        let mut connection = pool.acquire().await.map_err(exec_error)?;
        let error = match exchange(&mut connection).await {
            Ok(value) => return Ok(value),
            Err(error) => error,
        };
        roll_back_or_replace(connection, in_memory).await;
        Err(exec_error(error))
    });
    task.await
        .map_err(|error| DbErr::Custom(format!("the write task ended early: {error}")))?
}

/// `prefix` followed by the statements, `;`-separated, and their parameters in order (sqlx binds
/// positional parameters across the statements of one string).
fn joined(prefix: &str, statements: impl IntoIterator<Item = Statement>) -> (String, Vec<Value>) {
    let mut sql = String::from(prefix);
    let mut values = Vec::new();
    for statement in statements {
        sql.push_str(&statement.sql);
        sql.push_str(";\n");
        values.extend(
            statement
                .values
                .map(|Values(values)| values)
                .unwrap_or_default(),
        );
    }
    (sql, values)
}

/// The statements joined into as few strings as keep each within `limit` parameters.
fn parameter_bounded_groups(statements: Vec<Statement>, limit: usize) -> Vec<(String, Vec<Value>)> {
    let mut groups: Vec<Vec<Statement>> = Vec::new();
    let mut in_last = 0;
    for statement in statements {
        let count = parameters(&statement);
        match groups.last_mut() {
            Some(group) if in_last + count <= limit => {
                in_last += count;
                group.push(statement);
            }
            _ => {
                in_last = count;
                groups.push(vec![statement]);
            }
        }
    }
    groups.into_iter().map(|group| joined("", group)).collect()
}

/// The slow path: a transaction with one round trip per INSERT.
async fn one_by_one(pools: &Pools, inserts: &[InsertStatement]) -> Result<(), DbErr> {
    let transaction = pools.begin_write().await?;
    let written = async {
        let backend = transaction.get_database_backend();
        for insert in inserts {
            transaction.execute_raw(backend.build(insert)).await?;
        }
        Ok(())
    }
    .await;
    finish(transaction, written, |error| error).await
}

#[cfg(all(test, feature = "testing"))]
mod tests {
    use sea_orm::sea_query::{Alias, Query};
    use sea_orm::{ConnectionTrait, DbBackend, Statement};

    use super::*;
    use crate::testing::{TestBackend, backends, fresh_database};

    /// An INSERT of `values` into the scratch table `t`.
    fn insert(values: std::ops::Range<i64>) -> InsertStatement {
        let mut insert = Query::insert();
        insert
            .into_table(Alias::new("t"))
            .columns([Alias::new("v")]);
        for value in values {
            insert.values_panic([value.into()]);
        }
        insert
    }

    async fn rows(pools: &Pools) -> anyhow::Result<i64> {
        let backend = DbBackend::from(pools.backend);
        let row = pools
            .reader
            .query_one_raw(Statement::from_string(backend, "SELECT COUNT(*) FROM t"))
            .await?
            .ok_or_else(|| anyhow::anyhow!("no count"))?;
        Ok(row.try_get_by_index(0)?)
    }

    /// Rows (one parameter each) for one statement that fits, two of which do not.
    fn half(backend: TestBackend) -> i64 {
        match backend {
            TestBackend::Sqlite => 20_000,
            TestBackend::Postgres => 40_000,
        }
    }

    #[tokio::test]
    async fn inserts_past_the_parameter_limit_are_written_one_by_one_in_a_transaction()
    -> anyhow::Result<()> {
        for backend in backends() {
            let database = fresh_database(backend).await?;
            let pools = database.pools();
            pools
                .writer
                .execute_unprepared("CREATE TABLE t (v BIGINT PRIMARY KEY)")
                .await?;
            let half = half(backend);

            insert_all(pools, vec![insert(0..half), insert(half..2 * half)]).await?;
            assert_eq!(rows(pools).await?, 2 * half, "{backend:?}");

            // A failure in the second statement takes the first one back too.
            let repeated =
                insert_all(pools, vec![insert(2 * half..3 * half), insert(0..half)]).await;
            assert!(repeated.is_err(), "{backend:?}");
            assert_eq!(rows(pools).await?, 2 * half, "{backend:?}");
        }
        Ok(())
    }

    #[tokio::test]
    async fn a_failed_batch_leaves_nothing_and_the_writer_usable() -> anyhow::Result<()> {
        for backend in backends() {
            let database = fresh_database(backend).await?;
            let pools = database.pools();
            pools
                .writer
                .execute_unprepared("CREATE TABLE t (v BIGINT PRIMARY KEY)")
                .await?;
            insert_all(pools, vec![insert(0..1)]).await?;

            let repeated = insert_all(pools, vec![insert(1..3), insert(0..1)]).await;
            assert!(repeated.is_err(), "{backend:?}");
            assert_eq!(rows(pools).await?, 1, "{backend:?}");

            insert_all(pools, vec![insert(1..3), insert(3..4)]).await?;
            assert_eq!(rows(pools).await?, 4, "{backend:?}");
        }
        Ok(())
    }

    #[tokio::test]
    async fn inserts_in_a_transaction_past_the_parameter_limit_are_written_one_by_one()
    -> anyhow::Result<()> {
        for backend in backends() {
            let database = fresh_database(backend).await?;
            let pools = database.pools();
            pools
                .writer
                .execute_unprepared("CREATE TABLE t (v BIGINT PRIMARY KEY)")
                .await?;
            let half = half(backend);

            let transaction = pools.begin_write().await?;
            let written =
                insert_all_in(&transaction, &[insert(0..half), insert(half..2 * half)]).await;
            finish(transaction, written, |error| error).await?;
            assert_eq!(rows(pools).await?, 2 * half, "{backend:?}");
        }
        Ok(())
    }

    /// `UPDATE g SET version = version + 1 WHERE version = <expected>` on the scratch table `g`.
    fn bump(expected: i64) -> Statement {
        Statement::from_sql_and_values(
            DbBackend::Sqlite,
            "UPDATE g SET version = version + 1 WHERE version = ?",
            [expected.into()],
        )
    }

    async fn version(pools: &Pools) -> anyhow::Result<i64> {
        let row = pools
            .reader
            .query_one_raw(Statement::from_string(
                DbBackend::Sqlite,
                "SELECT version FROM g",
            ))
            .await?
            .ok_or_else(|| anyhow::anyhow!("no version"))?;
        Ok(row.try_get_by_index(0)?)
    }

    #[tokio::test]
    async fn sqlite_write_if_writes_only_when_the_guard_changed_a_row_and_then_all_or_nothing()
    -> anyhow::Result<()> {
        let database = fresh_database(TestBackend::Sqlite).await?;
        let pools = database.pools();
        pools
            .writer
            .execute_unprepared(
                "CREATE TABLE t (v BIGINT PRIMARY KEY); CREATE TABLE g (version BIGINT NOT NULL); \
                 INSERT INTO g VALUES (0);",
            )
            .await?;
        let build = |insert: InsertStatement| DbBackend::Sqlite.build(&insert);
        // Two statements that do not fit one exchange: `then` takes two.
        let half = half(TestBackend::Sqlite);

        let written = sqlite_write_if(
            pools,
            vec![],
            bump(0),
            vec![build(insert(0..half)), build(insert(half..2 * half))],
        )
        .await?;
        assert!(written);
        assert_eq!((version(pools).await?, rows(pools).await?), (1, 2 * half));

        // The guard matches nothing: nothing of `then` is written.
        let written = sqlite_write_if(pools, vec![], bump(0), vec![build(insert(-5..0))]).await?;
        assert!(!written);
        assert_eq!((version(pools).await?, rows(pools).await?), (1, 2 * half));

        // The guard matches but the second exchange fails: the guard's write and the first
        // exchange's are taken back, and the writer stays usable.
        let failed = sqlite_write_if(
            pools,
            vec![],
            bump(1),
            vec![
                build(insert(2 * half..3 * half)),
                build(insert(3 * half..4 * half)),
                build(insert(0..1)),
            ],
        )
        .await;
        assert!(failed.is_err());
        assert_eq!((version(pools).await?, rows(pools).await?), (1, 2 * half));
        assert!(sqlite_write_if(pools, vec![], bump(1), vec![]).await?);
        assert_eq!(version(pools).await?, 2);
        Ok(())
    }

    #[tokio::test]
    async fn sqlite_write_counting_answers_each_statements_changes_and_writes_all_or_nothing()
    -> anyhow::Result<()> {
        let database = fresh_database(TestBackend::Sqlite).await?;
        let pools = database.pools();
        pools
            .writer
            .execute_unprepared(
                "CREATE TABLE t (v BIGINT PRIMARY KEY); CREATE TABLE g (version BIGINT NOT NULL); \
                 INSERT INTO g VALUES (0); INSERT INTO t VALUES (1), (2), (3);",
            )
            .await?;
        let delete_below = |bound: i64| {
            Statement::from_sql_and_values(
                DbBackend::Sqlite,
                "DELETE FROM t WHERE v < ?",
                [bound.into()],
            )
        };

        let counts = sqlite_write_counting(pools, vec![bump(0), delete_below(3), bump(7)]).await?;
        assert_eq!(counts, [1, 2, 0]);
        assert_eq!((version(pools).await?, rows(pools).await?), (1, 1));

        // A failing statement takes back the ones before it, and the writer stays usable.
        let failed = sqlite_write_counting(
            pools,
            vec![
                bump(1),
                delete_below(10),
                DbBackend::Sqlite.build(&insert(3..4)),
                DbBackend::Sqlite.build(&insert(3..4)),
            ],
        )
        .await;
        assert!(failed.is_err());
        assert_eq!((version(pools).await?, rows(pools).await?), (1, 1));
        assert_eq!(sqlite_write_counting(pools, vec![bump(1)]).await?, [1]);
        Ok(())
    }

    #[test]
    fn statements_are_grouped_within_the_parameter_limit_in_order() {
        let statement = |parameters: i64| {
            Statement::from_sql_and_values(
                DbBackend::Sqlite,
                format!("S{parameters}"),
                (0..parameters).map(Value::from),
            )
        };
        let groups = parameter_bounded_groups(
            vec![
                statement(3),
                statement(2),
                statement(4),
                statement(0),
                statement(5),
            ],
            5,
        );
        let sql: Vec<&str> = groups.iter().map(|(sql, _)| sql.as_str()).collect();
        assert_eq!(sql, ["S3;\nS2;\n", "S4;\nS0;\n", "S5;\n"]);
        let parameters: Vec<usize> = groups.iter().map(|(_, values)| values.len()).collect();
        assert_eq!(parameters, [5, 4, 5]);
    }
}

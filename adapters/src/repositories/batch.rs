//! Several INSERTs written as one unit, in one round trip.
//!
//! Round trips decide the speed of a write (DESIGN.md): on SQLite each statement is a hop to the
//! connection's worker thread and back — and while a transaction waits for its next statement, the
//! single writer connection serves nobody else —; on PostgreSQL each is a network round trip.
//!
//! - PostgreSQL: ONE statement. Every INSERT but the last becomes a data-modifying CTE of the last
//!   (`WITH s0 AS (INSERT …), s1 AS (INSERT …) INSERT …`): a single statement is atomic on its own,
//!   and the foreign keys between its parts are checked at its end.
//! - SQLite: ONE round trip to the writer connection: `BEGIN IMMEDIATE; INSERT …; INSERT …; COMMIT;`
//!   as one multi-statement string (sqlx binds the positional parameters across the statements in
//!   order). If any statement fails, the same connection rolls back before anyone else can use it; the
//!   whole exchange runs in a task of its own, so a caller that gives up half-way (a dropped request)
//!   cannot leave the writer connection inside an open transaction.
//!
//! Past a backend's limit on bound parameters (a campaign linking thousands of mailboxes) the INSERTs
//! go one by one inside a sea-orm transaction instead.

use std::sync::Arc;

use sea_orm::sea_query::{Alias, CommonTableExpression, InsertStatement, WithClause};
use sea_orm::sqlx::{self, AssertSqlSafe};
use sea_orm::{ConnectionTrait, DbBackend, DbErr, RuntimeErr, Statement, Values};
use sea_query_sqlx::SqlxValues;

use crate::database::{Backend, Pools, finish};

/// Bound parameters per statement: PostgreSQL's protocol allows 65,535; SQLite 32,766 since 3.32.
const POSTGRES_MAX_PARAMETERS: usize = 65_535;
const SQLITE_MAX_PARAMETERS: usize = 32_766;

/// Runs `inserts` (in order) all or nothing. No `RETURNING` anywhere.
pub(crate) async fn insert_all(pools: &Pools, inserts: Vec<InsertStatement>) -> Result<(), DbErr> {
    match pools.backend {
        Backend::Postgres => insert_all_postgres(pools, inserts).await,
        Backend::Sqlite => insert_all_sqlite(pools, inserts).await,
    }
}

async fn insert_all_postgres(
    pools: &Pools,
    mut inserts: Vec<InsertStatement>,
) -> Result<(), DbErr> {
    let Some(last) = inserts.pop() else {
        return Ok(());
    };
    let statement = if inserts.is_empty() {
        DbBackend::Postgres.build(&last)
    } else {
        let mut with = WithClause::new();
        for (index, insert) in inserts.iter().enumerate() {
            with.cte(
                CommonTableExpression::new()
                    .table_name(Alias::new(format!("s{index}")))
                    .query(insert.clone())
                    .to_owned(),
            );
        }
        DbBackend::Postgres.build(&with.query(last.clone()))
    };
    if parameters(&statement) <= POSTGRES_MAX_PARAMETERS {
        pools.writer.execute_raw(statement).await?;
        return Ok(());
    }
    inserts.push(last);
    one_by_one(pools, &inserts, DbBackend::Postgres).await
}

async fn insert_all_sqlite(pools: &Pools, inserts: Vec<InsertStatement>) -> Result<(), DbErr> {
    let mut built: Vec<Statement> = inserts
        .iter()
        .map(|insert| DbBackend::Sqlite.build(insert))
        .collect();
    if built.iter().map(parameters).sum::<usize>() > SQLITE_MAX_PARAMETERS {
        return one_by_one(pools, &inserts, DbBackend::Sqlite).await;
    }
    if built.len() == 1
        && let Some(statement) = built.pop()
    {
        // A single statement is its own transaction.
        pools.writer.execute_raw(statement).await?;
        return Ok(());
    }
    let mut sql = String::from("BEGIN IMMEDIATE;\n");
    let mut values = Vec::new();
    for statement in built {
        sql.push_str(&statement.sql);
        sql.push_str(";\n");
        values.extend(
            statement
                .values
                .map(|Values(values)| values)
                .unwrap_or_default(),
        );
    }
    sql.push_str("COMMIT;");

    let pool = pools.writer.get_sqlite_connection_pool().clone();
    let in_memory = pools.sqlite_in_memory;
    let exchange = tokio::spawn(async move {
        let mut connection = pool.acquire().await.map_err(exec_error)?;
        let written = sqlx::query_with(AssertSqlSafe(sql), SqlxValues(Values(values)))
            .execute(&mut *connection)
            .await;
        let Err(error) = written else {
            return Ok(());
        };
        // A statement failed between BEGIN and COMMIT: end the transaction here, on this connection.
        // (If BEGIN itself failed there is none, and ROLLBACK fails harmlessly.)
        if sqlx::query("ROLLBACK")
            .execute(&mut *connection)
            .await
            .is_err()
            && !in_memory
        {
            // The connection's state is unknown: replace it rather than hand it to the next writer.
            // (An in-memory database lives only as long as its one connection, so it keeps it.)
            let _ = connection.close().await;
        }
        Err(exec_error(error))
    });
    exchange
        .await
        .map_err(|error| DbErr::Custom(format!("the write task ended early: {error}")))?
}

/// The slow path: a transaction with one round trip per INSERT.
async fn one_by_one(
    pools: &Pools,
    inserts: &[InsertStatement],
    backend: DbBackend,
) -> Result<(), DbErr> {
    let transaction = pools.begin_write().await?;
    let mut written = Ok(());
    for insert in inserts {
        written = transaction
            .execute_raw(backend.build(insert))
            .await
            .map(drop);
        if written.is_err() {
            break;
        }
    }
    finish(transaction, written, |error| error).await
}

fn parameters(statement: &Statement) -> usize {
    statement.values.as_ref().map_or(0, |values| values.0.len())
}

/// An sqlx error as sea-orm reports it, so `DbErr::sql_err` still recognises unique violations.
fn exec_error(error: sqlx::Error) -> DbErr {
    DbErr::Exec(RuntimeErr::SqlxError(Arc::new(error)))
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
}

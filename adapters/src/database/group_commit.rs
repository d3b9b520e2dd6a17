//! SQLite's group commit: the inserts of concurrent requests, written several to a transaction.
//!
//! SQLite has one writer at a time, so concurrent creates queue for the writer connection anyway; each
//! used to be a hand-off of that connection (a task wake-up), a round trip to its worker thread and a
//! commit of its own. Here one task owns the queue: it takes every insert waiting (up to
//! [`MAX_BATCH`], within SQLite's parameter limit) and writes them as ONE transaction in ONE round trip
//! (`BEGIN IMMEDIATE; <each insert's statements>; COMMIT;`). If that fails, one of them is at fault (a
//! mailbox deleted meanwhile, say): nothing of the batch was written, and each insert is written again
//! in a transaction of its own, so each caller gets its own answer and no insert is lost or written
//! twice. The task runs apart from the callers, so a caller that gives up cannot cut a write short.

use sea_orm::sqlx::sqlite::SqlitePool;
use sea_orm::sqlx::{self, AssertSqlSafe};
use sea_orm::{DbErr, Value, Values};
use sea_query_sqlx::SqlxValues;

use super::batched::Batched;
use super::driver::{SQLITE_MAX_PARAMETERS, exec_error, roll_back_or_replace};
use super::wal_checkpoints::WalCheckpoints;

/// Inserts written in one transaction at most.
const MAX_BATCH: usize = 32;

/// One caller's insert: its statements (`;`-separated, no transaction control) and their parameters
/// in order.
struct Insert {
    sql: String,
    values: Vec<Value>,
}

/// The queue of inserts for the one writer connection ([`Batched`], one transaction at a time).
#[derive(Clone)]
pub(super) struct GroupCommit {
    batched: Batched<Insert, Result<(), DbErr>>,
}

impl GroupCommit {
    /// Starts the task writing the queue through `writer` (the one writer connection's pool), asking
    /// `checkpoints` (a database file's) for a checkpoint after each transaction.
    pub(super) fn start(
        writer: SqlitePool,
        in_memory: bool,
        checkpoints: Option<WalCheckpoints>,
    ) -> Self {
        let batched = Batched::start("SQLite writes", MAX_BATCH, 1, move |inserts| {
            let (writer, checkpoints) = (writer.clone(), checkpoints.clone());
            async move {
                let answers = write_all(&writer, in_memory, inserts).await;
                if let Some(checkpoints) = &checkpoints {
                    checkpoints.after_commit();
                }
                answers
            }
        });
        Self { batched }
    }

    /// Writes `sql` (statements without transaction control, at most `SQLITE_MAX_PARAMETERS`
    /// parameters) all or nothing, possibly in one transaction with other callers' inserts.
    pub(super) async fn insert(&self, sql: String, values: Vec<Value>) -> Result<(), DbErr> {
        let values = values.into_iter().map(json_as_text).collect();
        self.batched.ask(Insert { sql, values }).await?
    }
}

/// A JSON value as the text the driver would store for it (SQLite keeps JSON as TEXT): a batch clones
/// its inserts' values for the per-insert retry, and a string clones in one copy where a JSON tree
/// (a campaign's whole content) clones node by node.
fn json_as_text(value: Value) -> Value {
    match value {
        Value::Json(json) => Value::String(json.map(|json| json.to_string())),
        other => other,
    }
}

/// Writes the inserts taken from the queue, as few transactions as SQLite's parameter limit allows;
/// one answer per insert, in order.
async fn write_all(
    writer: &SqlitePool,
    in_memory: bool,
    inserts: Vec<Insert>,
) -> Vec<Result<(), DbErr>> {
    let mut answers = Vec::with_capacity(inserts.len());
    let mut batch = Vec::with_capacity(inserts.len());
    let mut parameters = 0;
    for insert in inserts {
        if !batch.is_empty() && parameters + insert.values.len() > SQLITE_MAX_PARAMETERS {
            answers.extend(write_batch(writer, in_memory, std::mem::take(&mut batch)).await);
            parameters = 0;
        }
        parameters += insert.values.len();
        batch.push(insert);
    }
    answers.extend(write_batch(writer, in_memory, batch).await);
    answers
}

/// Writes the batch in one transaction; if that fails, each insert in one of its own.
async fn write_batch(
    writer: &SqlitePool,
    in_memory: bool,
    batch: Vec<Insert>,
) -> Vec<Result<(), DbErr>> {
    if batch.len() > 1 {
        let mut sql = String::from("BEGIN IMMEDIATE;\n");
        let mut values = Vec::new();
        for insert in &batch {
            sql.push_str(&insert.sql);
            values.extend(insert.values.iter().cloned());
        }
        sql.push_str("COMMIT;");
        if transaction(writer, in_memory, sql, values).await.is_ok() {
            return batch.iter().map(|_| Ok(())).collect();
        }
    }
    let mut answers = Vec::with_capacity(batch.len());
    for insert in batch {
        let sql = format!("BEGIN IMMEDIATE;\n{}COMMIT;", insert.sql);
        answers.push(transaction(writer, in_memory, sql, insert.values).await);
    }
    answers
}

/// Runs `sql` (a whole transaction) on the writer connection; on failure, rolls back on the same
/// connection before anyone else can use it.
async fn transaction(
    writer: &SqlitePool,
    in_memory: bool,
    sql: String,
    values: Vec<Value>,
) -> Result<(), DbErr> {
    let mut connection = writer.acquire().await.map_err(exec_error)?;
    match sqlx::query_with(AssertSqlSafe(sql), SqlxValues(Values(values)))
        .execute(&mut *connection)
        .await
    {
        Ok(_) => Ok(()),
        Err(error) => {
            roll_back_or_replace(connection, in_memory).await;
            Err(exec_error(error))
        }
    }
}

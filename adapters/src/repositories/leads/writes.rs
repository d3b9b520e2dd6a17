//! The statements of import batches: a fixed number per batch whatever its size, never one per
//! lead on PostgreSQL, each of one shape whatever its number of rows where that matters.
//!
//! - PostgreSQL: every statement reads its rows from ONE parameter, a JSON array
//!   (`json_to_recordset`, `json_array_elements_text`): insert the new leads, insert their tags,
//!   update the stored ones (`UPDATE … FROM`), delete and insert their tags. It replaced multi-row
//!   `VALUES` of 20 parameters a row (20,000 a chunk of 1,000), which the server parsed and planned
//!   again for every chunk, and one `UPDATE` round trip per updated lead; every distinct row count
//!   (the last chunk, each batch's tag rows) was also a new prepared statement in the driver's
//!   per-connection cache.
//! - SQLite: the new leads as multi-row `VALUES` of [`VALUES_CHUNK`] rows (one shape a chunk, the last
//!   one aside) and one `UPDATE` per updated lead, each a hop to the connection's thread and no
//!   network: measured, SQLite's JSON functions cost more than they save here (`->>` parses the
//!   record's text again for every field: 5,000 new leads 758-1,057 ms against 419-438 ms as
//!   `VALUES`). Tags and key lists, one or two values a row, go as JSON like PostgreSQL's, so that
//!   their varying row counts do not each compile and cache a statement of their own.

use std::collections::HashSet;

use domain::id::LeadId;
use domain::lead::Lead;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, DbBackend, DbErr, EntityTrait, QueryFilter,
    QueryTrait, Statement, Value,
};

use super::rows::{LeadRecord, RECORD_COLUMNS, TagRecord, tag_records, to_record, to_row};
use crate::entities::lead;

/// Rows per statement: the JSON parameter of 5,000 leads is about 2 MB.
const ROWS_PER_STATEMENT: usize = 5_000;
/// SQLite: lead rows per multi-row `VALUES` INSERT (20 parameters each, far below its 32,766).
const VALUES_CHUNK: usize = 1_000;

/// The SQL type of a record column, for PostgreSQL's `json_to_recordset` column list.
fn postgres_type(column: &str) -> &'static str {
    if column.ends_with("_ms") {
        "bigint"
    } else {
        "text"
    }
}

/// `FROM …`: the records of parameter 2 as `r`, one row each.
fn records_source(backend: DbBackend, columns: &[&str]) -> String {
    match backend {
        DbBackend::Postgres => {
            let declared: Vec<String> = columns
                .iter()
                .map(|column| format!("{column} {}", postgres_type(column)))
                .collect();
            format!("json_to_recordset($2::json) AS r ({})", declared.join(", "))
        }
        _ => "json_each(?2) AS r".to_owned(),
    }
}

/// A record's column `column` as the statement reads it.
fn field(backend: DbBackend, column: &str) -> String {
    match backend {
        DbBackend::Postgres => format!("r.{column}"),
        _ => format!("r.value ->> '{column}'"),
    }
}

/// Parameter 1, the workspace.
fn workspace_parameter(backend: DbBackend) -> &'static str {
    match backend {
        DbBackend::Postgres => "$1",
        _ => "?1",
    }
}

fn statement(backend: DbBackend, sql: String, workspace: &str, json: String) -> Statement {
    Statement::from_sql_and_values(
        backend,
        sql,
        [Value::from(workspace), Value::String(Some(json))],
    )
}

fn to_json<T: serde::Serialize>(records: &[T]) -> Result<String, DbErr> {
    serde_json::to_string(records).map_err(|error| DbErr::Custom(error.to_string()))
}

/// PostgreSQL: `INSERT INTO leads … ON CONFLICT (workspace_id, email_key) DO NOTHING RETURNING id`.
fn insert_leads_sql(backend: DbBackend) -> String {
    let targets = std::iter::once("workspace_id")
        .chain(RECORD_COLUMNS)
        .collect::<Vec<_>>()
        .join(", ");
    let values = std::iter::once(workspace_parameter(backend).to_owned())
        .chain(RECORD_COLUMNS.iter().map(|column| field(backend, column)))
        .collect::<Vec<_>>()
        .join(", ");
    // SQLite: `WHERE true` tells the upsert's ON from a join's.
    format!(
        "INSERT INTO leads ({targets}) SELECT {values} FROM {} WHERE true \
         ON CONFLICT (workspace_id, email_key) DO NOTHING RETURNING id",
        records_source(backend, &RECORD_COLUMNS)
    )
}

/// PostgreSQL: `UPDATE leads SET <every column but the keys> FROM <records> WHERE <same workspace and
/// id> RETURNING id`.
fn update_leads_sql(backend: DbBackend) -> String {
    let assignments = RECORD_COLUMNS
        .iter()
        .filter(|column| **column != "id")
        .map(|column| format!("{column} = {}", field(backend, column)))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "UPDATE leads SET {assignments} FROM {} \
         WHERE leads.workspace_id = {} AND leads.id = {} RETURNING leads.id",
        records_source(backend, &RECORD_COLUMNS),
        workspace_parameter(backend),
        field(backend, "id"),
    )
}

const TAG_COLUMNS: [&str; 2] = ["lead_id", "tag_key"];

fn insert_tags_sql(backend: DbBackend) -> String {
    format!(
        "INSERT INTO lead_tags (workspace_id, lead_id, tag_key) SELECT {}, {}, {} FROM {}",
        workspace_parameter(backend),
        field(backend, "lead_id"),
        field(backend, "tag_key"),
        records_source(backend, &TAG_COLUMNS)
    )
}

/// The elements of parameter 2, a JSON array of strings, as a one-column `SELECT`.
fn strings_of_parameter(backend: DbBackend) -> &'static str {
    match backend {
        DbBackend::Postgres => "SELECT value FROM json_array_elements_text($2::json)",
        _ => "SELECT value FROM json_each(?2)",
    }
}

fn delete_tags_sql(backend: DbBackend) -> String {
    format!(
        "DELETE FROM lead_tags WHERE workspace_id = {} AND lead_id IN ({})",
        workspace_parameter(backend),
        strings_of_parameter(backend)
    )
}

/// The workspace's leads whose email key is one of parameter 2's: the unique index
/// `(workspace_id, email_key)` looked up once per key (PostgreSQL plans the array's elements as a
/// nested loop over it, also generically: 3.1 ms for 1,000 keys of 1,000,000 leads; the `VALUES` join
/// of one parameter per key that this replaced took over a second now and then).
pub(super) fn by_email_keys(
    backend: DbBackend,
    columns: &str,
    workspace: &str,
    keys: &[String],
) -> Result<Statement, DbErr> {
    let sql = format!(
        "SELECT {columns} FROM leads WHERE leads.workspace_id = {} AND leads.email_key IN ({})",
        workspace_parameter(backend),
        strings_of_parameter(backend)
    );
    Ok(statement(backend, sql, workspace, to_json(keys)?))
}

/// The ids a statement's `RETURNING id` answered.
async fn returned_ids(
    transaction: &DatabaseTransaction,
    statement: Statement,
) -> Result<HashSet<String>, DbErr> {
    transaction
        .query_all_raw(statement)
        .await?
        .into_iter()
        .map(|row| row.try_get_by_index::<String>(0))
        .collect()
}

/// The leads of `chunk` whose id is in `ids` (those a statement wrote), in the order of `chunk`.
fn among<'a>(chunk: &'a [Lead], ids: &HashSet<String>) -> Vec<&'a Lead> {
    chunk
        .iter()
        .filter(|lead| ids.contains(&lead.id().to_string()))
        .collect()
}

/// The tag rows of `leads` inserted, one statement per chunk.
async fn insert_tags(
    transaction: &DatabaseTransaction,
    workspace: &str,
    leads: &[&Lead],
) -> Result<(), DbErr> {
    let backend = transaction.get_database_backend();
    let records: Vec<TagRecord> = leads.iter().flat_map(|lead| tag_records(lead)).collect();
    for chunk in records.chunks(ROWS_PER_STATEMENT) {
        let sql = insert_tags_sql(backend);
        transaction
            .execute_raw(statement(backend, sql, workspace, to_json(chunk)?))
            .await?;
    }
    Ok(())
}

/// Inserts the leads whose email key the workspace does not have yet, with their tags; answers their
/// ids, in the order of `leads`.
pub(super) async fn insert_new(
    transaction: &DatabaseTransaction,
    workspace: &str,
    leads: &[Lead],
) -> Result<Vec<LeadId>, DbErr> {
    let backend = transaction.get_database_backend();
    let chunk_rows = match backend {
        DbBackend::Postgres => ROWS_PER_STATEMENT,
        _ => VALUES_CHUNK,
    };
    let mut inserted = Vec::with_capacity(leads.len());
    for chunk in leads.chunks(chunk_rows) {
        let insert = match backend {
            DbBackend::Postgres => {
                let records: Vec<LeadRecord> = chunk.iter().map(to_record).collect();
                statement(
                    backend,
                    insert_leads_sql(backend),
                    workspace,
                    to_json(&records)?,
                )
            }
            _ => {
                let mut insert = lead::Entity::insert_many(chunk.iter().map(to_row)).into_query();
                insert
                    .on_conflict(
                        OnConflict::columns([lead::Column::WorkspaceId, lead::Column::EmailKey])
                            .do_nothing()
                            .to_owned(),
                    )
                    .returning_col(lead::Column::Id);
                backend.build(&insert)
            }
        };
        let ids = returned_ids(transaction, insert).await?;
        let written = among(chunk, &ids);
        insert_tags(transaction, workspace, &written).await?;
        inserted.extend(written.iter().map(|lead| lead.id()));
    }
    Ok(inserted)
}

/// Writes each lead over its stored row (found by workspace and id) and replaces its tags; answers the
/// ids of the leads that were there, in the order of `leads`.
pub(super) async fn update_existing(
    transaction: &DatabaseTransaction,
    workspace: &str,
    leads: &[Lead],
) -> Result<Vec<LeadId>, DbErr> {
    let backend = transaction.get_database_backend();
    let mut updated = Vec::with_capacity(leads.len());
    for chunk in leads.chunks(ROWS_PER_STATEMENT) {
        let ids = match backend {
            DbBackend::Postgres => {
                let records: Vec<LeadRecord> = chunk.iter().map(to_record).collect();
                let update = statement(
                    backend,
                    update_leads_sql(backend),
                    workspace,
                    to_json(&records)?,
                );
                returned_ids(transaction, update).await?
            }
            _ => {
                let mut ids = HashSet::new();
                for lead in chunk {
                    let update = lead::Entity::update_many()
                        .set(to_row(lead))
                        .filter(lead::Column::WorkspaceId.eq(workspace))
                        .filter(lead::Column::Id.eq(lead.id().to_string()))
                        .into_query();
                    if transaction.execute(&update).await?.rows_affected() > 0 {
                        ids.insert(lead.id().to_string());
                    }
                }
                ids
            }
        };
        let written = among(chunk, &ids);
        if !written.is_empty() {
            let written_ids: Vec<String> =
                written.iter().map(|lead| lead.id().to_string()).collect();
            transaction
                .execute_raw(statement(
                    backend,
                    delete_tags_sql(backend),
                    workspace,
                    to_json(&written_ids)?,
                ))
                .await?;
            insert_tags(transaction, workspace, &written).await?;
        }
        updated.extend(written.iter().map(|lead| lead.id()));
    }
    Ok(updated)
}

//! Leads, their tag index and their substring-search index (LEADS.md sections 1–2). FROZEN: add a new
//! migration instead of editing this one.
//!
//! - `leads`: one row per lead; `email_key` (the lowercased address) is unique per workspace;
//!   `(workspace_id, id)` is unique too (the target of the tag index's foreign key, and the
//!   newest-first walk of lists). `tags` and `custom_fields` hold JSON text (the lead's own, in
//!   order); `search_folded` the case-folded email, first name, last name and company name, one per
//!   line: what a list's `search` looks in (a search holds no line break, so it never spans two).
//! - `lead_tags`: one row per (workspace, case-folded tag, lead), the `tags` filter's index.
//! - The search index: on SQLite an FTS5 table with the trigram tokenizer over `search_folded`, with
//!   `leads` as its external content (keyed by `seq`, an `INTEGER PRIMARY KEY` that `VACUUM` keeps,
//!   unlike an implicit rowid) and kept in step by triggers; on PostgreSQL a `pg_trgm` GIN index on
//!   `search_folded`. The extension goes into `public` (or stays where it already is) and the
//!   operator class is named with its schema, so that schemas without `public` on their search path
//!   (the test suites') use it too.
//!
//! Written as SQL per backend: the FTS5 table, its triggers and the trigram index have no sea-query
//! builder. Runs in a transaction on both backends.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub(super) struct Migration;

const SQLITE: &[&str] = &[
    "CREATE TABLE leads (
        seq INTEGER PRIMARY KEY,
        id TEXT NOT NULL,
        workspace_id TEXT NOT NULL REFERENCES workspaces (id),
        email TEXT NOT NULL,
        email_key TEXT NOT NULL,
        first_name TEXT, last_name TEXT, company_name TEXT, job_title TEXT, phone TEXT,
        linkedin_url TEXT, website TEXT, city TEXT, state TEXT,
        country TEXT, timezone TEXT,
        tags TEXT NOT NULL,
        custom_fields TEXT NOT NULL,
        search_folded TEXT NOT NULL,
        created_at_ms BIGINT NOT NULL,
        updated_at_ms BIGINT NOT NULL
    )",
    "CREATE UNIQUE INDEX leads_workspace_id ON leads (workspace_id, id)",
    "CREATE UNIQUE INDEX leads_workspace_email_key ON leads (workspace_id, email_key)",
    "CREATE TABLE lead_tags (
        workspace_id TEXT NOT NULL,
        tag_key TEXT NOT NULL,
        lead_id TEXT NOT NULL,
        PRIMARY KEY (workspace_id, tag_key, lead_id),
        FOREIGN KEY (workspace_id, lead_id) REFERENCES leads (workspace_id, id) ON DELETE CASCADE
    ) WITHOUT ROWID",
    "CREATE INDEX lead_tags_lead ON lead_tags (lead_id)",
    "CREATE VIRTUAL TABLE leads_search USING fts5(
        search_folded, content = 'leads', content_rowid = 'seq', tokenize = 'trigram'
    )",
    "CREATE TRIGGER leads_search_insert AFTER INSERT ON leads BEGIN
        INSERT INTO leads_search (rowid, search_folded) VALUES (new.seq, new.search_folded);
    END",
    "CREATE TRIGGER leads_search_delete AFTER DELETE ON leads BEGIN
        INSERT INTO leads_search (leads_search, rowid, search_folded)
            VALUES ('delete', old.seq, old.search_folded);
    END",
    "CREATE TRIGGER leads_search_update AFTER UPDATE OF search_folded ON leads BEGIN
        INSERT INTO leads_search (leads_search, rowid, search_folded)
            VALUES ('delete', old.seq, old.search_folded);
        INSERT INTO leads_search (rowid, search_folded) VALUES (new.seq, new.search_folded);
    END",
];

const POSTGRES: &[&str] = &[
    "CREATE TABLE leads (
        id VARCHAR(24) PRIMARY KEY,
        workspace_id VARCHAR(24) NOT NULL REFERENCES workspaces (id),
        email TEXT NOT NULL,
        email_key TEXT NOT NULL,
        first_name TEXT, last_name TEXT, company_name TEXT, job_title TEXT, phone TEXT,
        linkedin_url TEXT, website TEXT, city TEXT, state TEXT,
        country TEXT, timezone TEXT,
        tags TEXT NOT NULL,
        custom_fields TEXT NOT NULL,
        search_folded TEXT NOT NULL,
        created_at_ms BIGINT NOT NULL,
        updated_at_ms BIGINT NOT NULL
    )",
    "CREATE UNIQUE INDEX leads_workspace_id ON leads (workspace_id, id)",
    "CREATE UNIQUE INDEX leads_workspace_email_key ON leads (workspace_id, email_key)",
    "CREATE TABLE lead_tags (
        workspace_id VARCHAR(24) NOT NULL,
        tag_key TEXT NOT NULL,
        lead_id VARCHAR(24) NOT NULL,
        PRIMARY KEY (workspace_id, tag_key, lead_id),
        FOREIGN KEY (workspace_id, lead_id) REFERENCES leads (workspace_id, id) ON DELETE CASCADE
    )",
    "CREATE INDEX lead_tags_lead ON lead_tags (lead_id)",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let connection = manager.get_connection();
        match manager.get_database_backend() {
            DbBackend::Postgres => {
                for statement in POSTGRES {
                    connection.execute_unprepared(statement).await?;
                }
                let schema = trigram_schema(connection).await?;
                connection
                    .execute_unprepared(&format!(
                        "CREATE INDEX leads_search_trigram ON leads \
                         USING gin (search_folded \"{schema}\".gin_trgm_ops)"
                    ))
                    .await?;
            }
            _ => {
                for statement in SQLITE {
                    connection.execute_unprepared(statement).await?;
                }
            }
        }
        Ok(())
    }
}

/// PostgreSQL: makes sure `pg_trgm` is installed (into `public` when it is not yet) and answers the
/// schema it lives in.
async fn trigram_schema(connection: &SchemaManagerConnection<'_>) -> Result<String, DbErr> {
    let installed = "SELECT n.nspname FROM pg_extension e \
                     JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm'";
    let schema = |row: Option<sea_orm_migration::sea_orm::QueryResult>| {
        row.map(|row| row.try_get_by_index::<String>(0)).transpose()
    };
    if let Some(found) = schema(connection.query_one_raw(statement(installed)).await?)? {
        return Ok(found);
    }
    connection
        .execute_unprepared("CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public")
        .await?;
    schema(connection.query_one_raw(statement(installed)).await?)?
        .ok_or_else(|| DbErr::Migration("pg_trgm was not installed".to_owned()))
}

fn statement(sql: &str) -> sea_orm_migration::sea_orm::Statement {
    sea_orm_migration::sea_orm::Statement::from_string(DbBackend::Postgres, sql)
}

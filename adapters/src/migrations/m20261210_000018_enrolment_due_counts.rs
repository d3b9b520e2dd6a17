//! How many enrolments of each campaign wait for which step, due when (SENDING.md section 6, the
//! schedule forecast). FROZEN: add a new migration instead of editing this one.
//!
//! - `enrolment_due_counts`: one row per (campaign, sequence, step, due slot) that has enrolments
//!   which may still send: status `active` or `pending`. `sequence_key` is `''` for the main sequence,
//!   else the subsequence id; `due_slot` is `next_send_at_ms` in quarter hours since the epoch
//!   (floored), `-1` for an enrolment with no planned send. Rows reaching 0 are deleted.
//! - Kept by triggers on `enrolments`, so that every write — the enrolment batches, lead actions,
//!   lead deletion, and the sending engine's — keeps it exact in its own transaction without knowing
//!   of it. SQLite: a row trigger per event. PostgreSQL: statement triggers over transition tables,
//!   one aggregate statement per write however many rows it changed (an enrolment batch of 10,000).
//! - The forecast reads this table instead of grouping a campaign's enrolments: a few hundred rows
//!   instead of 100,000.
//! - Existing enrolments are counted here once.
//!
//! Written as SQL per backend. Runs in a transaction on both backends.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub(super) struct Migration;

/// The enrolment statuses that may still send, as an SQL list.
const SENDABLE: &str = "('active', 'pending')";

/// The key of an enrolment row `row` (`NEW`, `OLD`, or a table alias) in `enrolment_due_counts`.
fn key_of(row: &str) -> String {
    format!(
        "{row}.campaign_id, COALESCE({row}.subsequence_id, ''), {row}.current_step, \
         COALESCE({row}.next_send_at_ms / 900000, -1)"
    )
}

fn table(id: &str) -> String {
    format!(
        "CREATE TABLE enrolment_due_counts (
            workspace_id {id} NOT NULL,
            campaign_id {id} NOT NULL,
            sequence_key {id} NOT NULL,
            step BIGINT NOT NULL,
            due_slot BIGINT NOT NULL,
            enrolments BIGINT NOT NULL,
            PRIMARY KEY (campaign_id, sequence_key, step, due_slot),
            FOREIGN KEY (workspace_id, campaign_id) REFERENCES campaigns (workspace_id, id)
                ON DELETE CASCADE
        )"
    )
}

fn backfill() -> String {
    format!(
        "INSERT INTO enrolment_due_counts \
             (workspace_id, campaign_id, sequence_key, step, due_slot, enrolments) \
         SELECT e.workspace_id, {key}, COUNT(*) FROM enrolments e \
         WHERE e.status IN {SENDABLE} GROUP BY e.workspace_id, {key}",
        key = key_of("e"),
    )
}

/// SQLite: row triggers. A count reaching 0 deletes its row (the DELETE runs first: on a row of 1
/// it removes it and the UPDATE then finds nothing).
fn sqlite_triggers() -> Vec<String> {
    let add = |row: &str| {
        format!(
            "INSERT INTO enrolment_due_counts \
                 (workspace_id, campaign_id, sequence_key, step, due_slot, enrolments) \
             VALUES ({row}.workspace_id, {key}, 1) \
             ON CONFLICT (campaign_id, sequence_key, step, due_slot) \
             DO UPDATE SET enrolments = enrolments + 1;",
            key = key_of(row),
        )
    };
    let remove = |row: &str| {
        let matches = format!(
            "campaign_id = {row}.campaign_id \
             AND sequence_key = COALESCE({row}.subsequence_id, '') \
             AND step = {row}.current_step \
             AND due_slot = COALESCE({row}.next_send_at_ms / 900000, -1)"
        );
        format!(
            "DELETE FROM enrolment_due_counts WHERE {matches} AND enrolments <= 1; \
             UPDATE enrolment_due_counts SET enrolments = enrolments - 1 WHERE {matches};"
        )
    };
    // An update that leaves the key and the sendability alone (an `aiTag`, a version) moves nothing.
    let unmoved = format!(
        "OLD.status IN {SENDABLE} AND NEW.status IN {SENDABLE} \
         AND NEW.campaign_id = OLD.campaign_id \
         AND NEW.subsequence_id IS OLD.subsequence_id \
         AND NEW.current_step = OLD.current_step \
         AND NEW.next_send_at_ms / 900000 IS OLD.next_send_at_ms / 900000"
    );
    vec![
        format!(
            "CREATE TRIGGER enrolment_due_counts_insert AFTER INSERT ON enrolments \
             WHEN NEW.status IN {SENDABLE} BEGIN {} END",
            add("NEW")
        ),
        format!(
            "CREATE TRIGGER enrolment_due_counts_delete AFTER DELETE ON enrolments \
             WHEN OLD.status IN {SENDABLE} BEGIN {} END",
            remove("OLD")
        ),
        format!(
            "CREATE TRIGGER enrolment_due_counts_update_old AFTER UPDATE ON enrolments \
             WHEN OLD.status IN {SENDABLE} AND NOT ({unmoved}) \
             BEGIN {} END",
            remove("OLD")
        ),
        format!(
            "CREATE TRIGGER enrolment_due_counts_update_new AFTER UPDATE ON enrolments \
             WHEN NEW.status IN {SENDABLE} AND NOT ({unmoved}) \
             BEGIN {} END",
            add("NEW")
        ),
    ]
}

/// PostgreSQL: one function over the statement's transition tables, three triggers (a trigger with
/// transition tables takes one event). The old rows are taken off before the new ones are added.
fn postgres_triggers() -> Vec<String> {
    let counted = |rows: &str| {
        format!(
            "SELECT r.workspace_id, r.campaign_id, COALESCE(r.subsequence_id, '') AS sequence_key, \
                    r.current_step AS step, COALESCE(r.next_send_at_ms / 900000, -1) AS due_slot, \
                    COUNT(*) AS n \
             FROM {rows} r WHERE r.status IN {SENDABLE} \
             GROUP BY r.workspace_id, r.campaign_id, COALESCE(r.subsequence_id, ''), \
                      r.current_step, COALESCE(r.next_send_at_ms / 900000, -1)"
        )
    };
    let function = format!(
        "CREATE FUNCTION enrolment_due_counts_after() RETURNS trigger LANGUAGE plpgsql AS $body$
         BEGIN
             IF TG_OP IN ('UPDATE', 'DELETE') THEN
                 UPDATE enrolment_due_counts c SET enrolments = c.enrolments - o.n
                 FROM ({old}) o
                 WHERE c.campaign_id = o.campaign_id AND c.sequence_key = o.sequence_key
                   AND c.step = o.step AND c.due_slot = o.due_slot;
                 DELETE FROM enrolment_due_counts c
                 WHERE c.enrolments <= 0
                   AND c.campaign_id IN (SELECT DISTINCT campaign_id FROM old_rows);
             END IF;
             IF TG_OP IN ('UPDATE', 'INSERT') THEN
                 INSERT INTO enrolment_due_counts
                     (workspace_id, campaign_id, sequence_key, step, due_slot, enrolments)
                 SELECT workspace_id, campaign_id, sequence_key, step, due_slot, n FROM ({new}) a
                 ON CONFLICT (campaign_id, sequence_key, step, due_slot)
                 DO UPDATE SET enrolments = enrolment_due_counts.enrolments + EXCLUDED.enrolments;
             END IF;
             RETURN NULL;
         END
         $body$",
        old = counted("old_rows"),
        new = counted("new_rows"),
    );
    vec![
        function,
        "CREATE TRIGGER enrolment_due_counts_insert AFTER INSERT ON enrolments \
         REFERENCING NEW TABLE AS new_rows \
         FOR EACH STATEMENT EXECUTE FUNCTION enrolment_due_counts_after()"
            .to_owned(),
        "CREATE TRIGGER enrolment_due_counts_update AFTER UPDATE ON enrolments \
         REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows \
         FOR EACH STATEMENT EXECUTE FUNCTION enrolment_due_counts_after()"
            .to_owned(),
        "CREATE TRIGGER enrolment_due_counts_delete AFTER DELETE ON enrolments \
         REFERENCING OLD TABLE AS old_rows \
         FOR EACH STATEMENT EXECUTE FUNCTION enrolment_due_counts_after()"
            .to_owned(),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let connection = manager.get_connection();
        let (id, triggers) = match manager.get_database_backend() {
            DbBackend::Postgres => ("VARCHAR(24)", postgres_triggers()),
            _ => ("TEXT", sqlite_triggers()),
        };
        connection.execute_unprepared(&table(id)).await?;
        connection.execute_unprepared(&backfill()).await?;
        for trigger in triggers {
            connection.execute_unprepared(&trigger).await?;
        }
        Ok(())
    }
}

//! The version lookups of concurrent reads, answered several to a statement ([`Batched`], up to
//! [`MAX_BATCH`] a statement), on both backends.
//!
//! Every read that can answer a kept rendering first asks for the campaign's stored version. One
//! statement per lookup made a get mostly the cost of its round trip: on PostgreSQL a network round
//! trip (about two thirds of the server's CPU per get, and most of PostgreSQL's); on SQLite a hop to a
//! reader connection's worker thread and back, two thread wake-ups (the kernel's scheduler was the
//! largest item of a warm get's profile). Shared, a statement's round trip is paid once per batch.
//!
//! Reads of whole campaigns stay one statement each: batching them measured no faster on PostgreSQL
//! (a read of a campaign not kept is dominated by its rows, not its round trip).

use std::collections::HashMap;
use std::sync::Arc;

use sea_orm::{ConnectionTrait, DbBackend, DbErr, Statement};

use crate::database::batched::Batched;
use crate::database::held_connections::HeldConnections;
use crate::database::pools::Backend;

/// Lookups asked in one statement at most.
const MAX_BATCH: usize = 64;

/// PostgreSQL: the asked `(workspace_id, id)` pairs arrive as two comma-separated lists (ids are hex,
/// never a comma) and are joined on the workspace-scoped index, so a campaign of another workspace is
/// never found, and the version comes from the index alone.
const POSTGRES_LOOKUP: &str = "SELECT c.workspace_id, c.id, c.version \
     FROM unnest(string_to_array($1, ','), string_to_array($2, ',')) AS asked(workspace_id, id) \
     JOIN campaigns c ON c.workspace_id = asked.workspace_id AND c.id = asked.id";

/// SQLite: the same pairs as one JSON array of `[workspace_id, id]` arrays, each looked up (the
/// `CROSS JOIN` keeps the asked pairs the outer loop) on the versioned index, which holds the version.
const SQLITE_LOOKUP: &str = "SELECT c.workspace_id, c.id, c.version FROM json_each(?) AS asked \
     CROSS JOIN campaigns c INDEXED BY campaigns_workspace_newest_versioned \
     WHERE c.workspace_id = json_extract(asked.value, '$[0]') \
     AND c.id = json_extract(asked.value, '$[1]')";

/// A workspace id and a campaign id, as stored.
type Asked = (String, String);

#[derive(Clone)]
pub(super) struct VersionLookups {
    batched: Batched<Asked, Result<Option<i64>, DbErr>>,
}

impl VersionLookups {
    /// Starts answering lookups through `reads` of `backend`, `concurrency` statements at a time.
    pub(super) fn start(reads: Arc<HeldConnections>, backend: Backend, concurrency: usize) -> Self {
        let batched = Batched::start("version lookups", MAX_BATCH, concurrency, move |asked| {
            let reads = Arc::clone(&reads);
            async move { answer(&reads, backend, asked).await }
        });
        Self { batched }
    }

    /// The stored version of campaign `id` in `workspace`; `None` if it has none there.
    pub(super) async fn version(
        &self,
        workspace: String,
        id: String,
    ) -> Result<Option<i64>, DbErr> {
        self.batched.ask((workspace, id)).await?
    }
}

/// Asks for every lookup of `batch` in one statement (an error goes to all).
async fn answer(
    reads: &HeldConnections,
    backend: Backend,
    batch: Vec<Asked>,
) -> Vec<Result<Option<i64>, DbErr>> {
    let statement = lookup(backend, &batch);
    let found = reads.query_all_raw(statement).await.and_then(|rows| {
        rows.into_iter()
            .map(|row| {
                let key = (row.try_get_by_index(0)?, row.try_get_by_index(1)?);
                Ok((key, row.try_get_by_index::<i64>(2)?))
            })
            .collect::<Result<HashMap<Asked, i64>, DbErr>>()
    });
    batch
        .iter()
        .map(|asked| match &found {
            Ok(found) => Ok(found.get(asked).copied()),
            Err(error) => Err(error.clone()),
        })
        .collect()
}

/// The one statement looking up every pair of `batch`.
fn lookup(backend: Backend, batch: &[Asked]) -> Statement {
    match backend {
        Backend::Postgres => {
            let join =
                |part: fn(&Asked) -> &str| batch.iter().map(part).collect::<Vec<_>>().join(",");
            Statement::from_sql_and_values(
                DbBackend::Postgres,
                POSTGRES_LOOKUP,
                [
                    join(|(workspace, _)| workspace).into(),
                    join(|(_, id)| id).into(),
                ],
            )
        }
        Backend::Sqlite => Statement::from_sql_and_values(
            DbBackend::Sqlite,
            SQLITE_LOOKUP,
            [serde_json::Value::from(
                batch
                    .iter()
                    .map(|(workspace, id)| serde_json::json!([workspace, id]))
                    .collect::<Vec<_>>(),
            )
            .to_string()
            .into()],
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::migrations::m20251202_000008_campaign_versions_indexed::VERSIONED_INDEX;
    use crate::testing::{TestBackend, fresh_database, sqlite_plan};

    #[tokio::test]
    async fn a_sqlite_batch_of_lookups_searches_the_versioned_index_once_per_asked_pair()
    -> anyhow::Result<()> {
        let database = fresh_database(TestBackend::Sqlite).await?;
        let batch = [
            ("w1".to_owned(), "c1".to_owned()),
            ("w2".to_owned(), "c2".to_owned()),
        ];
        let text = sqlite_plan(&database, lookup(Backend::Sqlite, &batch)).await?;
        assert!(text.contains("SCAN asked"), "{text}");
        assert!(
            text.contains(&format!(
                "SEARCH c USING COVERING INDEX {VERSIONED_INDEX} (workspace_id=? AND id=?)"
            )),
            "{text}"
        );
        Ok(())
    }
}

//! PostgreSQL: the version lookups of concurrent reads, answered several to a statement
//! ([`Batched`], up to [`MAX_BATCH`] a statement).
//!
//! Every read that can answer a kept rendering first asks for the campaign's stored version. One
//! statement per lookup made a get mostly the cost of its round trip (about two thirds of the server's
//! CPU per get, and most of PostgreSQL's).
//!
//! SQLite keeps one statement per lookup: there a lookup is a hop to a reader thread, not a network
//! round trip. Reads of whole campaigns stay one statement each on both: batching them measured no
//! faster (a read of a campaign not kept is dominated by its rows, not its round trip).

use std::collections::HashMap;
use std::sync::Arc;

use sea_orm::{ConnectionTrait, DbBackend, DbErr, Statement};

use crate::database::batched::Batched;
use crate::database::held_connections::HeldConnections;

/// Lookups asked in one statement at most.
const MAX_BATCH: usize = 64;

/// The asked `(workspace_id, id)` pairs arrive as two comma-separated lists (ids are hex, never a
/// comma) and are joined on the workspace-scoped index, so a campaign of another workspace is never
/// found, and the version comes from the index alone.
const LOOKUP: &str = "SELECT c.workspace_id, c.id, c.version \
     FROM unnest(string_to_array($1, ','), string_to_array($2, ',')) AS asked(workspace_id, id) \
     JOIN campaigns c ON c.workspace_id = asked.workspace_id AND c.id = asked.id";

/// A workspace id and a campaign id, as stored.
type Asked = (String, String);

#[derive(Clone)]
pub(super) struct VersionLookups {
    batched: Batched<Asked, Result<Option<i64>, DbErr>>,
}

impl VersionLookups {
    /// Starts answering lookups through `reads`, `concurrency` statements at a time.
    pub(super) fn start(reads: Arc<HeldConnections>, concurrency: usize) -> Self {
        let batched = Batched::start("version lookups", MAX_BATCH, concurrency, move |asked| {
            let reads = Arc::clone(&reads);
            async move { answer(&reads, asked).await }
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
async fn answer(reads: &HeldConnections, batch: Vec<Asked>) -> Vec<Result<Option<i64>, DbErr>> {
    let join = |part: fn(&Asked) -> &str| batch.iter().map(part).collect::<Vec<_>>().join(",");
    let statement = Statement::from_sql_and_values(
        DbBackend::Postgres,
        LOOKUP,
        [
            join(|(workspace, _)| workspace).into(),
            join(|(_, id)| id).into(),
        ],
    );
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

//! `DncRepository` on the `do_not_contact` table, for SQLite and PostgreSQL.
//!
//! - add: one write transaction, in a task of its own (a caller dropped half-way cannot leave it
//!   open), of `INSERT … ON CONFLICT (workspace_id, entry_type, value) DO NOTHING` statements of
//!   [`INSERT_ROWS`] rows each; the rows each inserted are the entries added.
//! - matching: one `SELECT` per batch of addresses, of exact keys on the unique index
//!   (`entry_type = 'email' AND value IN (…)` or `entry_type = 'domain' AND value IN (…)`), the rows
//!   found then matched to the addresses by the domain's own rule ([`DncKeys::matches`]).
//! - list: the page and, unless the first page holds every match, the count, in one read snapshot.
//!   The `search` is a `LIKE` over the workspace's entries (of the kind asked): the list is a
//!   user-facing page, not a path of the sending engine.

use std::collections::HashSet;

use application::ports::{
    DncAddition, DncPage, DncQuery, DncRepository, NewDncEntry, RepositoryError,
};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::dnc::{DncEntry, DncKeys, DncKind, DncReason, ListedDncEntry};
use domain::id::{DncEntryId, WorkspaceId};
use sea_orm::sea_query::{
    Expr, ExprTrait, InsertStatement, LikeExpr, OnConflict, Query, SelectStatement, UnionType,
};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, DbBackend, DbErr,
    EntityTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait, Select,
};

use crate::database::counting::{count_rows, page_with_total};
use crate::database::like::{LIKE_ESCAPE, contains_pattern};
use crate::database::pools::{Pools, finish};
use crate::entities::dnc_entry;
use crate::error::{OrUnknown, corrupt_row, unknown};
use crate::repositories::values::parse_id;
use crate::time::{from_millis, to_millis};

const TABLE: &str = "do_not_contact";

/// Rows per `INSERT` of an addition: 8 parameters each, far below both backends' limits.
const INSERT_ROWS: usize = 1_000;

/// Addresses per lookup of [`DncRepository::matching`]: an address has its own key and at most a
/// handful of domain keys, so one lookup binds a few thousand parameters at most.
const LOOKUP_ADDRESSES: usize = 1_000;

pub(crate) struct SqlDncRepository {
    pools: Pools,
}

impl SqlDncRepository {
    pub(crate) fn new(pools: Pools) -> Self {
        Self { pools }
    }
}

#[async_trait]
impl DncRepository for SqlDncRepository {
    async fn add(
        &self,
        workspace: WorkspaceId,
        entries: &[NewDncEntry],
        at: DateTime<Utc>,
    ) -> Result<DncAddition, RepositoryError> {
        let workspace = workspace.to_string();
        let at = to_millis(at);
        let mut seen = HashSet::new();
        let fresh: Vec<&NewDncEntry> = entries
            .iter()
            .filter(|new| seen.insert((new.entry.kind(), new.entry.value())))
            .collect();
        let inserts: Vec<InsertStatement> = fresh
            .chunks(INSERT_ROWS)
            .map(|chunk| insert_statement(&workspace, chunk, at))
            .collect();
        let pools = self.pools.clone();
        let added = tokio::spawn(async move { insert_all_counting(&pools, inserts).await })
            .await
            .unwrap_or_else(|error| {
                Err(DbErr::Custom(format!(
                    "the write task ended early: {error}"
                )))
            })
            .or_unknown()?;
        let given = entries.len() as u64;
        Ok(DncAddition {
            added,
            skipped: given.saturating_sub(added),
        })
    }

    async fn list(
        &self,
        workspace: WorkspaceId,
        query: &DncQuery,
    ) -> Result<DncPage, RepositoryError> {
        let workspace = workspace.to_string();
        let transaction = self.pools.begin_read().await.or_unknown()?;
        let read = async {
            let page = filtered(&workspace, query)
                .apply_if(query.before, |select, before| {
                    select.filter(dnc_entry::Column::Id.lt(before.to_string()))
                })
                .order_by_desc(dnc_entry::Column::Id)
                .limit(u64::from(query.limit.get()) + 1)
                .all(&transaction)
                .await?;
            page_with_total(
                page,
                query.limit.get(),
                query.before.is_none(),
                count_rows(filtered(&workspace, query), &transaction),
            )
            .await
        }
        .await
        .or_unknown();
        let (page, total, has_more) = finish(transaction, read, unknown).await?;
        Ok(DncPage {
            entries: page
                .into_iter()
                .map(entry_from_row)
                .collect::<Result<_, _>>()?,
            total,
            has_more,
        })
    }

    async fn delete(
        &self,
        workspace: WorkspaceId,
        id: DncEntryId,
    ) -> Result<bool, RepositoryError> {
        let deleted = dnc_entry::Entity::delete_many()
            .filter(dnc_entry::Column::WorkspaceId.eq(workspace.to_string()))
            .filter(dnc_entry::Column::Id.eq(id.to_string()))
            .exec(self.pools.writes.as_ref())
            .await
            .or_unknown()?;
        Ok(deleted.rows_affected > 0)
    }

    async fn matching(
        &self,
        workspace: WorkspaceId,
        keys: &[DncKeys],
    ) -> Result<Vec<String>, RepositoryError> {
        let backend = DbBackend::from(self.pools.backend);
        // A read transaction: planned for the list's size now (see `Pools::begin_read`).
        let transaction = self.pools.begin_read().await.or_unknown()?;
        let read = matching_in(&transaction, backend, &workspace.to_string(), keys).await;
        finish(transaction, read, |error| error).await.or_unknown()
    }
}

/// [`DncRepository::matching`] inside `transaction`: the sending engine asks it in the transaction
/// that claims, so that an entry added before the claim commits is seen by it.
pub(crate) async fn matching_in(
    transaction: &DatabaseTransaction,
    backend: DbBackend,
    workspace: &str,
    keys: &[DncKeys],
) -> Result<Vec<String>, DbErr> {
    let mut matched = Vec::new();
    let mut seen = HashSet::new();
    for batch in keys.chunks(LOOKUP_ADDRESSES) {
        let rows = transaction
            .query_all_raw(backend.build(&lookup(workspace, batch)))
            .await?;
        let found: Vec<DncEntry> = rows
            .iter()
            .map(|row| Ok((row.try_get_by_index(0)?, row.try_get_by_index(1)?)))
            .collect::<Result<Vec<(String, String)>, DbErr>>()?
            .iter()
            .filter_map(|(kind, value)| {
                // Only the kind and value decide a match; the reason is not read.
                DncEntry::parse(DncKind::from_wire(kind)?, value, DncReason::DEFAULT).ok()
            })
            .collect();
        matched.extend(
            batch
                .iter()
                .filter(|address| address.first_match(&found).is_some())
                .filter(|address| seen.insert(address.email().to_owned()))
                .map(|address| address.email().to_owned()),
        );
    }
    Ok(matched)
}

/// `INSERT … ON CONFLICT (workspace_id, entry_type, value) DO NOTHING` of `entries`.
fn insert_statement(workspace: &str, entries: &[&NewDncEntry], at: i64) -> InsertStatement {
    let rows = entries.iter().map(|new| dnc_entry::ActiveModel {
        id: Set(new.id.to_string()),
        workspace_id: Set(workspace.to_owned()),
        value: Set(new.entry.value().to_owned()),
        entry_type: Set(new.entry.kind().as_str().to_owned()),
        reason: Set(new.entry.reason().as_str().to_owned()),
        unsubscribed_at_ms: Set(at),
        created_at_ms: Set(at),
        updated_at_ms: Set(at),
    });
    dnc_entry::Entity::insert_many(rows)
        .on_conflict(
            OnConflict::columns([
                dnc_entry::Column::WorkspaceId,
                dnc_entry::Column::EntryType,
                dnc_entry::Column::Value,
            ])
            .do_nothing()
            .to_owned(),
        )
        .into_query()
}

/// Runs `inserts` in one write transaction; how many rows they inserted.
async fn insert_all_counting(pools: &Pools, inserts: Vec<InsertStatement>) -> Result<u64, DbErr> {
    let transaction = pools.begin_write().await?;
    let written = async {
        let mut added = 0;
        for insert in &inserts {
            added += transaction.execute(insert).await?.rows_affected();
        }
        Ok(added)
    }
    .await;
    finish(transaction, written, |error| error).await
}

/// The entries of the workspace that can match one of `addresses`, as (type, value): exact keys on
/// the unique index, one `SELECT` of each kind joined by `UNION ALL` (an `OR` of the two lets SQLite
/// pick the workspace's newest-first index and read every entry of the workspace).
fn lookup(workspace: &str, addresses: &[DncKeys]) -> SelectStatement {
    let emails: Vec<&str> = addresses.iter().map(DncKeys::email).collect();
    let mut domains: Vec<&str> = addresses
        .iter()
        .flat_map(|address| address.domains().iter().map(String::as_str))
        .collect();
    domains.sort_unstable();
    domains.dedup();
    let of_kind = |kind: DncKind, values: Vec<&str>| {
        Query::select()
            .column(dnc_entry::Column::EntryType)
            .column(dnc_entry::Column::Value)
            .from(dnc_entry::Entity)
            .and_where(dnc_entry::Column::WorkspaceId.eq(workspace))
            .and_where(dnc_entry::Column::EntryType.eq(kind.as_str()))
            .and_where(dnc_entry::Column::Value.is_in(values))
            .to_owned()
    };
    of_kind(DncKind::Email, emails)
        .union(UnionType::All, of_kind(DncKind::Domain, domains))
        .to_owned()
}

/// The workspace's entries that match the query's filters (not its cursor).
fn filtered(workspace: &str, query: &DncQuery) -> Select<dnc_entry::Entity> {
    dnc_entry::Entity::find()
        .filter(dnc_entry::Column::WorkspaceId.eq(workspace))
        .apply_if(query.kind, |select, kind| {
            select.filter(dnc_entry::Column::EntryType.eq(kind.as_str()))
        })
        .apply_if(query.search.as_ref(), |select, search| {
            // Values are stored lowercased; the pattern is the case-folded search.
            select.filter(
                Expr::col(dnc_entry::Column::Value)
                    .like(LikeExpr::new(contains_pattern(search.folded())).escape(LIKE_ESCAPE)),
            )
        })
}

/// A row re-parsed through the same constructor as a client's entry.
fn entry_from_row(row: dnc_entry::Model) -> Result<ListedDncEntry, RepositoryError> {
    let id = parse_id(&row.id, DncEntryId::parse, TABLE, &row.id)?;
    let workspace_id = parse_id(&row.workspace_id, WorkspaceId::parse, TABLE, &row.id)?;
    let kind = DncKind::from_wire(&row.entry_type)
        .ok_or_else(|| corrupt_row(TABLE, &row.id, format!("unknown type {:?}", row.entry_type)))?;
    let reason = DncReason::from_wire(&row.reason)
        .ok_or_else(|| corrupt_row(TABLE, &row.id, format!("unknown reason {:?}", row.reason)))?;
    let entry = DncEntry::parse(kind, &row.value, reason)
        .map_err(|invalid| corrupt_row(TABLE, &row.id, invalid.message))?;
    Ok(ListedDncEntry::restore(
        id,
        workspace_id,
        entry,
        from_millis(row.unsubscribed_at_ms, TABLE, &row.id)?,
        from_millis(row.created_at_ms, TABLE, &row.id)?,
        from_millis(row.updated_at_ms, TABLE, &row.id)?,
    ))
}

#[cfg(all(test, feature = "testing"))]
mod tests {
    use application::ports::IdGenerator;
    use domain::dnc::dnc_keys_of;
    use domain::identity::{User, Workspace, WorkspaceName};
    use domain::values::EmailAddress;
    use sea_orm::{Statement, TransactionTrait};

    use super::*;
    use crate::ObjectIdGenerator;
    use crate::testing::{TestBackend, backends, fresh_database};

    /// The plan of the engine's lookup for a batch of addresses, one line per step, on a workspace
    /// whose list holds a few thousand entries (statistics gathered), as a real one would.
    async fn lookup_plan(backend: TestBackend) -> anyhow::Result<Vec<String>> {
        let database = fresh_database(backend).await?;
        let ids = ObjectIdGenerator;
        let user = User::new(
            ids.new_id().into(),
            EmailAddress::parse("ana@acme.test")
                .map_err(|invalid| anyhow::anyhow!(invalid.message))?,
            Utc::now(),
        );
        database.identity().insert_user(&user).await?;
        let workspace = Workspace::new(
            ids.new_id().into(),
            WorkspaceName::parse(Some("Acme"))
                .map_err(|invalid| anyhow::anyhow!(invalid.message))?,
            Utc::now(),
        );
        database
            .identity()
            .insert_workspace(&workspace, user.id())
            .await?;
        let entries: Vec<NewDncEntry> = (0..3_000)
            .map(|n| {
                let (kind, raw) = if n % 2 == 0 {
                    (DncKind::Email, format!("lead{n}@example.com"))
                } else {
                    (DncKind::Domain, format!("company{n}.test"))
                };
                DncEntry::parse(kind, &raw, DncReason::Manual).map(|entry| NewDncEntry {
                    id: ids.new_id().into(),
                    entry,
                })
            })
            .collect::<Result<_, _>>()
            .map_err(|invalid| anyhow::anyhow!(invalid.message))?;
        database
            .do_not_contact()
            .add(workspace.id(), &entries, Utc::now())
            .await?;
        database
            .pools()
            .writer
            .execute_unprepared("ANALYZE")
            .await?;
        let keys: Vec<DncKeys> = ["ada@mail.acme.com", "bob@beta.test"]
            .iter()
            .map(|raw| EmailAddress::parse(raw).map(|address| dnc_keys_of(&address)))
            .collect::<Result<_, _>>()
            .map_err(|invalid| anyhow::anyhow!(invalid.message))?;
        let db_backend = DbBackend::from(database.backend());
        let built = db_backend.build(&lookup(&workspace.id().to_string(), &keys));
        let explain = |prefix: &str| {
            Statement::from_sql_and_values(
                db_backend,
                format!("{prefix} {}", built.sql),
                built
                    .values
                    .clone()
                    .map(|values| values.0)
                    .unwrap_or_default(),
            )
        };
        let transaction = database.pools().writer.begin().await?;
        let rows = match backend {
            TestBackend::Sqlite => {
                transaction
                    .query_all_raw(explain("EXPLAIN QUERY PLAN"))
                    .await?
            }
            TestBackend::Postgres => transaction.query_all_raw(explain("EXPLAIN")).await?,
        };
        transaction.rollback().await?;
        rows.iter()
            .map(|row| {
                let column = match backend {
                    TestBackend::Sqlite => "detail",
                    TestBackend::Postgres => "QUERY PLAN",
                };
                row.try_get::<String>("", column).map_err(Into::into)
            })
            .collect()
    }

    #[tokio::test]
    async fn the_engines_lookup_reads_the_unique_index_by_exact_keys_never_a_scan()
    -> anyhow::Result<()> {
        for backend in backends() {
            let plan = lookup_plan(backend).await?;
            let text = plan.join("\n");
            assert!(
                text.contains("do_not_contact_workspace_type_value"),
                "{backend:?}: {text}"
            );
            assert!(
                !plan
                    .iter()
                    .any(|step| step.starts_with("SCAN") || step.contains("Seq Scan")),
                "{backend:?}: {text}"
            );
        }
        Ok(())
    }
}

//! `IdempotencyKeys` on the `idempotency_keys` table.

use application::ports::{
    IdempotencyKeys, IdempotencyScope, KeyClaim, KeyCompletion, RecordedResponse, RepositoryError,
    RequestFingerprint,
};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, InsertStatement, LockType, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    QuerySelect, QueryTrait,
};

use crate::database::pools::{Pools, finish};
use crate::entities::idempotency_key::{self, Column, Entity};
use crate::error::{OrUnknown, corrupt_row, unknown};
use crate::time::to_millis;

const TABLE: &str = "idempotency_keys";

/// How often a claim looks again for a row that a concurrent release or purge took away between its
/// insert (which found the row) and its read. Each round needs another such race to lose again.
const CLAIM_ATTEMPTS: usize = 4;

pub(crate) struct SqlIdempotencyKeys {
    pools: Pools,
}

impl SqlIdempotencyKeys {
    pub(crate) fn new(pools: Pools) -> Self {
        Self { pools }
    }
}

/// The new pending row a claim writes.
struct PendingClaim<'a> {
    scope: &'a IdempotencyScope,
    key: &'a str,
    fingerprint: &'a RequestFingerprint,
    lease_until_ms: i64,
    expires_at_ms: i64,
}

impl PendingClaim<'_> {
    fn row(&self) -> idempotency_key::ActiveModel {
        idempotency_key::ActiveModel {
            scope: Set(self.scope.as_str().to_owned()),
            key: Set(self.key.to_owned()),
            fingerprint: Set(self.fingerprint.as_str().to_owned()),
            lease_until_ms: Set(self.lease_until_ms),
            expires_at_ms: Set(self.expires_at_ms),
            status_code: Set(None),
            content_type: Set(None),
            body: Set(None),
        }
    }
}

#[async_trait]
impl IdempotencyKeys for SqlIdempotencyKeys {
    /// One write transaction: insert the pending row unless the key has one; else read the row
    /// (locked on PostgreSQL; SQLite's write transactions are serial) and replace it when it is dead.
    async fn claim(
        &self,
        scope: &IdempotencyScope,
        key: &str,
        fingerprint: &RequestFingerprint,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<KeyClaim, RepositoryError> {
        let claim = PendingClaim {
            scope,
            key,
            fingerprint,
            lease_until_ms: to_millis(lease_until),
            expires_at_ms: to_millis(expires_at),
        };
        for _ in 0..CLAIM_ATTEMPTS {
            let transaction = self.pools.begin_write().await.or_unknown()?;
            let attempt = claim_within(&transaction, &claim, to_millis(now)).await;
            if let Some(claimed) = finish(transaction, attempt, unknown).await? {
                return Ok(claimed);
            }
        }
        Err(RepositoryError::Unknown(anyhow::anyhow!(
            "idempotency key claim kept racing with its release"
        )))
    }

    /// The upsert a campaign insert also writes in its transaction, on its own.
    async fn complete(&self, completion: &KeyCompletion) -> Result<(), RepositoryError> {
        let Some(upsert) = completions_stored([completion]) else {
            return Ok(());
        };
        let backend = sea_orm::DbBackend::from(self.pools.backend);
        self.pools
            .writes
            .execute_raw(backend.build(&upsert))
            .await
            .or_unknown()?;
        Ok(())
    }

    async fn release(
        &self,
        scope: &IdempotencyScope,
        key: &str,
        lease_until: DateTime<Utc>,
    ) -> Result<(), RepositoryError> {
        Entity::delete_many()
            .filter(held_by(scope, key, lease_until))
            .exec(self.pools.writes.as_ref())
            .await
            .or_unknown()?;
        Ok(())
    }

    async fn forget_expired(&self, now: DateTime<Utc>) -> Result<u64, RepositoryError> {
        let deleted = Entity::delete_many()
            .filter(Column::ExpiresAtMs.lte(to_millis(now)))
            .exec(self.pools.writes.as_ref())
            .await
            .or_unknown()?;
        Ok(deleted.rows_affected)
    }
}

/// The pending row of `(scope, key)` that the claim leased until `lease_until` wrote.
fn held_by(scope: &IdempotencyScope, key: &str, lease_until: DateTime<Utc>) -> sea_orm::Condition {
    sea_orm::Condition::all()
        .add(Column::Scope.eq(scope.as_str()))
        .add(Column::Key.eq(key))
        .add(Column::StatusCode.is_null())
        .add(Column::LeaseUntilMs.eq(to_millis(lease_until)))
}

/// One attempt of a claim; `None` when the row it ran into was gone when read (try again).
async fn claim_within(
    transaction: &DatabaseTransaction,
    claim: &PendingClaim<'_>,
    now_ms: i64,
) -> Result<Option<KeyClaim>, RepositoryError> {
    let inserted = Entity::insert(claim.row())
        .on_conflict(
            OnConflict::columns([Column::Scope, Column::Key])
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(transaction)
        .await
        .or_unknown()?;
    if inserted == 1 {
        return Ok(Some(KeyClaim::Claimed));
    }
    let Some(stored) = Entity::find_by_id((claim.scope.as_str().to_owned(), claim.key.to_owned()))
        .lock(LockType::Update)
        .one(transaction)
        .await
        .or_unknown()?
    else {
        return Ok(None);
    };
    let expired = stored.expires_at_ms <= now_ms;
    let abandoned = stored.status_code.is_none()
        && stored.lease_until_ms <= now_ms
        && stored.fingerprint == claim.fingerprint.as_str();
    if expired || abandoned {
        Entity::update(claim.row())
            .exec(transaction)
            .await
            .or_unknown()?;
        return Ok(Some(KeyClaim::Claimed));
    }
    stored_claim(stored).map(Some)
}

/// What a live row says to a claim that did not get it.
fn stored_claim(stored: idempotency_key::Model) -> Result<KeyClaim, RepositoryError> {
    let fingerprint = RequestFingerprint::new(stored.fingerprint);
    let Some(status) = stored.status_code else {
        return Ok(KeyClaim::InFlight { fingerprint });
    };
    let status = u16::try_from(status)
        .map_err(|_| corrupt_row(TABLE, &stored.key, format!("status {status}")))?;
    Ok(KeyClaim::Completed {
        fingerprint,
        response: RecordedResponse {
            status,
            content_type: stored.content_type.unwrap_or_default(),
            body: stored.body.unwrap_or_default(),
        },
    })
}

/// The completions of held keys as one upsert, for a write that stores them with its work (a
/// campaign insert); `None` without completions. A key's row is completed only while it is pending
/// for the claim that holds it (a key taken over since is left as it is); a row that is gone is
/// stored whole, completed.
pub(super) fn completions_stored<'a>(
    completions: impl IntoIterator<Item = &'a KeyCompletion>,
) -> Option<InsertStatement> {
    let mut rows = completions.into_iter().map(completed_row).peekable();
    rows.peek()?;
    let excluded = |column: Column| Expr::col((Alias::new("excluded"), column));
    Some(
        Entity::insert_many(rows)
            .on_conflict(
                OnConflict::columns([Column::Scope, Column::Key])
                    .update_columns([Column::StatusCode, Column::ContentType, Column::Body])
                    .action_and_where(
                        Expr::col((Entity, Column::StatusCode)).is_null().and(
                            Expr::col((Entity, Column::LeaseUntilMs))
                                .eq(excluded(Column::LeaseUntilMs)),
                        ),
                    )
                    .to_owned(),
            )
            .into_query(),
    )
}

fn completed_row(completion: &KeyCompletion) -> idempotency_key::ActiveModel {
    idempotency_key::ActiveModel {
        scope: Set(completion.scope.as_str().to_owned()),
        key: Set(completion.key.clone()),
        fingerprint: Set(completion.fingerprint.as_str().to_owned()),
        lease_until_ms: Set(to_millis(completion.lease_until)),
        expires_at_ms: Set(to_millis(completion.expires_at)),
        status_code: Set(Some(i32::from(completion.response.status))),
        content_type: Set(Some(completion.response.content_type.clone())),
        body: Set(Some(completion.response.body.clone())),
    }
}

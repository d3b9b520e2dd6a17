//! `RateLimitWindows` on the `rate_limit_windows` table.

use application::ports::{RateLimitWindows, RepositoryError, WindowAddition};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, OnConflict};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};

use crate::database::pools::{Pools, finish};
use crate::entities::rate_limit_window::{ActiveModel, Column, Entity};
use crate::error::{OrUnknown, unknown};
use crate::time::to_millis;

pub(crate) struct SqlRateLimitWindows {
    pools: Pools,
}

impl SqlRateLimitWindows {
    pub(crate) fn new(pools: Pools) -> Self {
        Self { pools }
    }
}

/// `requests = requests + excluded.requests` on a window that has a row already.
fn add_to_requests() -> OnConflict {
    OnConflict::columns([Column::Bucket, Column::WindowStartMs])
        .value(
            Column::Requests,
            Expr::col((Entity, Column::Requests))
                .add(Expr::col((Alias::new("excluded"), Column::Requests))),
        )
        .to_owned()
}

#[async_trait]
impl RateLimitWindows for SqlRateLimitWindows {
    /// One transaction of one upsert per window, each answering the row's count after it.
    async fn add(&self, additions: &[WindowAddition]) -> Result<Vec<u64>, RepositoryError> {
        let transaction = self.pools.begin_write().await.or_unknown()?;
        let added = async {
            let mut totals = Vec::with_capacity(additions.len());
            for addition in additions {
                let row = ActiveModel {
                    bucket: Set(addition.bucket.as_str().to_owned()),
                    window_start_ms: Set(to_millis(addition.window_start)),
                    requests: Set(i64::try_from(addition.requests).unwrap_or(i64::MAX)),
                };
                let stored = Entity::insert(row)
                    .on_conflict(add_to_requests())
                    .exec_with_returning(&transaction)
                    .await?;
                totals.push(u64::try_from(stored.requests).unwrap_or(0));
            }
            Ok(totals)
        }
        .await
        .map_err(unknown);
        finish(transaction, added, unknown).await
    }

    async fn forget_before(&self, before: DateTime<Utc>) -> Result<u64, RepositoryError> {
        let deleted = Entity::delete_many()
            .filter(Column::WindowStartMs.lt(to_millis(before)))
            .exec(self.pools.writes.as_ref())
            .await
            .or_unknown()?;
        Ok(deleted.rows_affected)
    }
}

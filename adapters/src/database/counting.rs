//! How many rows a listing's filters match: one `COUNT(*)` over the same select the page reads.

use sea_orm::sea_query::{Asterisk, Expr, Func};
use sea_orm::{ConnectionTrait, DbErr, EntityTrait, QuerySelect, Select};

/// The number of rows `select` would read (a negative or missing count reads as 0).
pub(crate) async fn count_rows<E: EntityTrait>(
    select: Select<E>,
    connection: &impl ConnectionTrait,
) -> Result<u64, DbErr> {
    let count: Option<i64> = select
        .select_only()
        .expr(Func::count(Expr::col(Asterisk)))
        .into_tuple()
        .one(connection)
        .await?;
    Ok(count
        .and_then(|count| u64::try_from(count).ok())
        .unwrap_or(0))
}

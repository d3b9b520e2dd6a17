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

/// The rows of one page of a listing, read with one row past `limit` (only to tell whether more
/// follow), with the total of every match: the page's own length when it is the first page and
/// nothing follows it, otherwise what `count` reads. `count` is a future, so it runs only when needed.
pub(crate) async fn page_with_total<T>(
    mut rows: Vec<T>,
    limit: u32,
    first_page: bool,
    count: impl Future<Output = Result<u64, DbErr>>,
) -> Result<(Vec<T>, u64, bool), DbErr> {
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    let has_more = rows.len() > limit;
    rows.truncate(limit);
    let total = if first_page && !has_more {
        rows.len() as u64
    } else {
        count.await?
    };
    Ok((rows, total, has_more))
}

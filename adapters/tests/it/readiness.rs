//! `Readiness`.

use crate::support::*;

#[tokio::test]
async fn reachable_database_is_ready() -> anyhow::Result<()> {
    on_every_backend(async |database| {
        database.readiness().ping().await?;
        Ok(())
    })
    .await
}

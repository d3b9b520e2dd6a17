//! `Readiness` (the health check's port): whether a request could read the database right now, asked
//! with one round trip on a reader connection.

use application::ports::{Readiness, RepositoryError};
use async_trait::async_trait;

use crate::database::pools::Pools;
use crate::error::OrUnknown;

pub(crate) struct SqlReadiness {
    pools: Pools,
}

impl SqlReadiness {
    pub(crate) fn new(pools: Pools) -> Self {
        Self { pools }
    }
}

#[async_trait]
impl Readiness for SqlReadiness {
    /// A round trip on a reader connection: what requests need first. (The SQLite writer may be busy
    /// with a long write; that is not unreadiness.)
    async fn ping(&self) -> Result<(), RepositoryError> {
        self.pools.reader.ping().await.or_unknown()
    }
}

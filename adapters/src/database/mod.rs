//! The database layer: the connections to SQLite or PostgreSQL and what every repository reads and
//! writes through — the pools and the backend, held connections, batching, SQLite's group commit and
//! WAL checkpoints, multi-statement writes, and the `LIKE` patterns of searches.
//!
//! It is generic infrastructure and imports no repository: a batcher that serves a single repository
//! (a campaign group commit, a lookup) is built on [`batched`] and owned by that repository.

pub(crate) mod batch;
pub(crate) mod batched;
pub(crate) mod connect;
pub(crate) mod counting;
pub(crate) mod driver;
mod group_commit;
pub(crate) mod held_connections;
pub(crate) mod like;
pub(crate) mod pools;
pub(crate) mod sql;
mod wal_checkpoints;

//! Sendline's driven adapters: persistence on SQLite (the embedded default) and PostgreSQL with
//! sea-orm behind the application's ports, plus the system clock, id and secret generators.
//!
//! The public surface is [`Database`] (connect, migrate, hand out the repositories as
//! `Arc<dyn Port>`), [`Backend`], [`SystemClock`], [`ObjectIdGenerator`], [`OsSecretGenerator`], and,
//! behind the `testing` feature, [`testing`]. Rows, entities and migrations stay private: callers
//! only ever see domain types. docs/storage.md explains the schema.

mod database;
mod entities;
mod error;
mod handle;
mod migrations;
mod repositories;
mod storage;
mod system;
mod time;

#[cfg(feature = "testing")]
pub mod testing;

pub use database::pools::Backend;
pub use handle::Database;
pub use system::{ObjectIdGenerator, OsSecretGenerator, SystemClock};

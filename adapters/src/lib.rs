//! Sendline's driven adapters: persistence on SQLite (the embedded default) and PostgreSQL with
//! sea-orm behind the application's ports, SMTP with lettre, IMAP with async-imap, plus the system clock, id and secret
//! generators.
//!
//! The public surface is [`Database`] (connect, migrate, hand out the repositories as
//! `Arc<dyn Port>`), [`Backend`], [`SystemClock`], [`ObjectIdGenerator`], [`OsSecretGenerator`],
//! [`LettreMailTransport`] (the `MailTransport` port over SMTP), [`ImapMailboxReader`] (the
//! `MailboxReader` port over IMAP), [`HickoryMxLookup`] (the `MxLookup` port over DNS), [`DemoKeyFile`] (where `serve --demo`
//! keeps its key), the server's [`SecretKey`] and the [`XChaChaCredentialCipher`] of stored
//! credentials, and, behind the `testing` feature, [`testing`]. Rows, entities and migrations stay
//! private: callers
//! only ever see domain types. docs/storage.md explains the schema.

mod database;
mod demo_key_file;
mod dns_resolvers;
mod entities;
mod error;
mod handle;
mod imap;
mod migrations;
mod mx_lookup;
mod private_files;
mod repositories;
mod secret_key;
mod smtp;
mod storage;
mod system;
mod time;
mod webhook_http;

#[cfg(feature = "testing")]
pub mod testing;

pub use database::pools::Backend;
pub use demo_key_file::{DemoKeyFile, POSTGRES_DEMO_KEY_FILE};
pub use handle::Database;
pub use imap::{ImapMailboxReader, MailParser};
pub use mx_lookup::HickoryMxLookup;
pub use secret_key::{
    SECRET_KEY_VARIABLE, SecretKey, SecretKeyOrigin, XChaChaCredentialCipher, server_secret_key,
};
pub use smtp::LettreMailTransport;
pub use system::{
    ObjectIdGenerator, OsSecretGenerator, SimulatedClock, SystemClock, ThreadRandomChoice,
};
pub use webhook_http::{HickoryResolver, HttpWebhookTransport};

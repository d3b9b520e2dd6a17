//! The ports the use cases drive. Each doc comment is the contract every adapter must keep; the adapters'
//! contract suite tests it on every backend.
//!
//! Tenancy is part of every contract: a method that takes a workspace MUST behave, for anything of
//! another workspace, exactly as if it did not exist.

mod agents;
mod analytics;
mod campaigns;
mod demo;
mod dnc;
mod enrolments;
mod idempotency;
mod identity;
mod inbox;
mod leads;
mod mail_exchangers;
mod mail_transport;
mod mailbox_reader;
mod mailboxes;
mod rate_limits;
mod sending;
mod system;
mod tracking;
mod webhooks;

pub use agents::*;
pub use analytics::*;
pub use campaigns::*;
pub use demo::*;
pub use dnc::*;
pub use enrolments::*;
pub use idempotency::*;
pub use identity::*;
pub use inbox::*;
pub use leads::*;
pub use mail_exchangers::*;
pub use mail_transport::*;
pub use mailbox_reader::*;
pub use mailboxes::*;
pub use rate_limits::*;
pub use sending::*;
pub use system::*;
pub use tracking::*;
pub use webhooks::*;

/// A storage failure.
#[derive(Debug, thiserror::Error)]
pub enum RepositoryError {
    /// A uniqueness rule refused the write (the message names the rule, never SQL).
    #[error("conflict: {0}")]
    Conflict(String),
    /// The write references a row that does not exist (any more): a mailbox deleted between a use
    /// case's lookup and its write, most likely. Nothing was written; looking up again tells what is
    /// left. The message names what is gone, never SQL.
    #[error("a referenced record is gone: {0}")]
    ReferenceGone(String),
    /// Anything else; the edge logs it and answers an opaque 500.
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

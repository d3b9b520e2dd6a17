//! sea-orm entities: the rows as the repositories read and write them. Private to the crate: nothing
//! outside `adapters` sees a row, only domain types.
//!
//! Conventions (see docs/storage.md): ids are 24-char lowercase hex text; times are `*_at_ms`, UTC
//! milliseconds since the Unix epoch; JSON columns hold the storage DTOs of `crate::storage`.
//!
//! The schema itself is owned by the frozen migrations in `crate::migrations`, never derived from these.

pub(crate) mod agent;
pub(crate) mod api_key;
pub(crate) mod campaign;
pub(crate) mod campaign_count;
pub(crate) mod campaign_mailbox;
pub(crate) mod dnc_entry;
pub(crate) mod idempotency_key;
pub(crate) mod lead;
pub(crate) mod lead_tag;
pub(crate) mod mailbox;
pub(crate) mod mailbox_tag;
pub(crate) mod membership;
pub(crate) mod rate_limit_window;
pub(crate) mod subsequence;
pub(crate) mod user;
pub(crate) mod workspace;

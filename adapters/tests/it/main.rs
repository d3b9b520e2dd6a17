//! The adapters' contract suite: every port method against every backend of
//! `adapters::testing::backends()` (SQLite always; PostgreSQL with `SENDLINE_TEST_POSTGRES_URL`), each
//! test on a fresh, migrated database. Test names state the rule they check. Silent unless `TEST_LOG=1`.

mod agents;
mod analytics;
mod campaign_name_search;
mod campaigns;
mod connection;
mod dnc;
mod enrolments;
mod idempotency_keys;
mod identity;
mod imap;
mod leads;
mod mailboxes;
mod mx_lookup;
mod rate_limit_windows;
mod readiness;
mod secret_key_check;
mod sending;
mod smtp;
mod sqlite_load;
mod support;
mod tracking;

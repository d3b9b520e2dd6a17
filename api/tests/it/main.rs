//! End-to-end tests of the HTTP API: the real server on 127.0.0.1:0, a fresh database per test, real
//! HTTP. Every test runs on every backend of `adapters::testing::backends()` (SQLite always; PostgreSQL
//! too when `SENDLINE_TEST_POSTGRES_URL` is set). `TEST_LOG=1` shows the server's logs.

// The expected campaigns of spec 4.8 are large `json!` literals.
#![recursion_limit = "256"]

mod agents;
mod analytics;
mod auth;
mod binary;
mod campaign_resource;
mod crash;
mod create_campaign;
mod dnc;
mod documentation;
mod enrolments;
mod errors;
mod hyper_refusals;
mod idempotency;
mod leads;
mod leads_csv;
mod mailbox_connections;
mod mailboxes;
mod mailboxes_and_agents;
mod operations;
mod preview;
mod rate_limits;
mod raw_http;
mod replies;
mod request_bodies;
mod request_limits;
mod schedule;
mod seg;
mod send_test_email;
mod sending;
mod sending_processes;
mod served;
mod stored_text;
mod support;
mod tenancy;
mod tls;
mod tracking;
mod webhooks;
mod workspaces;

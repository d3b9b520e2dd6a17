//! Sendline's HTTP edge: poem + poem-openapi routes, the error envelope, API-key authentication, the
//! OpenAPI document, and the `sendline` command line. The binary (`src/main.rs`) only calls
//! [`cli::main`]; [`app`] builds and serves the application from the [`state`] (ports, options and
//! their defaults) and the [`openapi`] service.

mod allowed_methods;
pub mod app;
mod auth;
mod bench;
mod body;
mod campaign_patch;
mod campaign_views;
pub mod cli;
pub mod client_address;
mod csv_form;
mod deadline;
mod dto;
mod error;
mod hyper_refusals;
mod idempotency;
mod inbox_reader;
mod json_document;
mod lead_csv;
pub mod listener;
mod location;
pub mod openapi;
mod rate_limits;
mod request_body;
mod request_head;
mod routes;
mod sending_engine;
pub mod state;
mod telemetry;
mod tls;
mod use_case_errors;
mod webhook_sender;

#[cfg(test)]
mod tests;

//! Sendline's HTTP edge: poem + poem-openapi routes, the error envelope, API-key authentication, the
//! OpenAPI document, and the `sendline` command line. The binary (`src/main.rs`) only calls
//! [`cli::main`]; [`app`] is the composition root.

pub mod allowed_methods;
pub mod app;
pub mod auth;
mod bench;
pub mod body;
mod campaign_patch;
pub mod campaign_views;
pub mod cli;
pub mod deadline;
pub mod dto;
pub mod error;
pub mod idempotency;
mod json_document;
pub mod rate_limits;
mod request_body;
pub mod routes;
pub mod telemetry;

#[cfg(test)]
mod tests;

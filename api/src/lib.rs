//! Sendline's HTTP edge: poem + poem-openapi routes, the error envelope, API-key authentication, the
//! OpenAPI document, and the `sendline` command line. The binary (`src/main.rs`) only calls
//! [`cli::main`]; [`app`] builds and serves the application from the [`state`] (ports, options and
//! their defaults) and the [`openapi`] service.

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
mod json_body;
pub mod openapi;
pub mod rate_limits;
pub mod routes;
pub mod state;
pub mod telemetry;
mod use_case_errors;

#[cfg(test)]
mod tests;

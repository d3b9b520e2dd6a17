//! Sendline's campaign model. Every invariant of a campaign lives in a fallible constructor of a type
//! with private fields, so nothing can hold an invalid campaign. Pure: no async runtime, serde, HTTP or
//! database.

pub mod agent;
pub mod body;
pub mod campaign;
pub mod campaign_update;
pub mod credential;
pub mod dispatch;
pub mod dnc;
pub mod email_preview;
pub mod email_render;
pub mod enrolment;
pub mod enrolment_request;
pub mod holidays;
pub mod id;
pub mod identity;
pub mod lead;
pub mod lead_cleanup;
pub mod lead_custom;
pub mod lead_field;
pub mod lead_import;
pub mod lead_listing;
pub mod lead_patch;
pub mod lead_request;
pub mod listing;
pub mod mailbox;
pub mod mailbox_connection;
pub mod mailbox_listing;
pub mod mailbox_update;
pub mod message_template;
pub mod problem;
pub mod request;
pub mod rules;
pub mod schedule;
pub mod secure_gateway;
pub mod send_forecast;
pub mod send_window;
pub mod sequence;
pub mod settings;
pub mod stats;
pub mod status;
pub mod subsequence;
mod text;
pub mod tracking;
pub mod values;

//! One module per use case.

/// How often a use case that writes a campaign conditionally reads it again after another write came
/// first. Each round lets at least one writer through, so this bounds the wait of the unluckiest.
pub const MAX_WRITE_ATTEMPTS: usize = 16;

pub mod account;
pub mod analytics;
pub mod authenticate;
pub mod campaign_lifecycle;
mod campaign_references;
pub mod campaign_schedule;
pub mod create_agent;
pub mod create_campaign;
pub mod delete_mailbox;
pub mod deliver_webhooks;
pub mod demo;
pub mod dispatch_sends;
pub mod do_not_contact;
pub mod enrolments;
pub mod idempotent_requests;
pub mod import_leads;
pub mod init_workspace;
pub mod leads;
pub mod list_agents;
pub mod mailbox_connections;
pub mod preview_email;
pub mod read_campaigns;
pub mod read_mailbox;
pub mod read_mailboxes;
pub mod register_mailbox;
pub mod secure_gateways;
pub mod send_test_email;
pub mod test_mailbox;
pub mod tracking;
pub mod update_campaign;
pub mod update_mailbox;
pub mod webhooks;
pub mod workspace_keys;
pub mod workspaces;

#[cfg(test)]
mod test_campaigns;

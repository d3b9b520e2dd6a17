//! The schema, as frozen migrations.
//!
//! Rules (DESIGN.md): never edit or rename a migration once it is applied anywhere; add a new one. Each
//! names its tables and columns with local `Iden`s and never imports the entities, so later entity
//! changes cannot rewrite history. Each runs in a transaction on every backend (sea-orm-migration's
//! default is none on SQLite), so a failed migration leaves nothing half-applied.

use sea_orm_migration::prelude::*;

#[cfg(all(test, feature = "testing"))]
mod earlier_rows;
mod m20250610_000001_identity;
mod m20250610_000002_mailboxes;
mod m20250610_000003_agents;
mod m20250610_000004_campaigns;
mod m20251127_000005_campaign_versions;
mod m20251127_000006_mailbox_search;
mod m20251127_000007_campaign_counts;
pub(crate) mod m20251202_000008_campaign_versions_indexed;
mod m20251202_000009_campaign_count_shards;
mod m20261202_000010_campaign_content_text;
mod m20261204_000011_idempotency_keys;
mod m20261204_000012_rate_limit_windows;
mod m20261207_000013_control_characters;
mod m20261208_000014_leads;
mod m20261208_000015_do_not_contact;
mod m20261208_000016_campaign_name_search;
mod m20261209_000017_enrolments;
mod m20261210_000018_enrolment_due_counts;
mod m20261211_000019_server_secrets;
mod m20261212_000020_mailbox_connections;
mod m20261213_000021_sends;
mod m20261214_000022_tracking;
mod m20261215_000023_due_enrolments;
mod m20261216_000024_inbox_positions;
mod m20261217_000025_webhooks;
mod m20261218_000026_event_messages;
mod m20261219_000027_active_campaigns;

#[derive(Debug)]
pub(crate) struct Migrator;

impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20250610_000001_identity::Migration),
            Box::new(m20250610_000002_mailboxes::Migration),
            Box::new(m20250610_000003_agents::Migration),
            Box::new(m20250610_000004_campaigns::Migration),
            Box::new(m20251127_000005_campaign_versions::Migration),
            Box::new(m20251127_000006_mailbox_search::Migration),
            Box::new(m20251127_000007_campaign_counts::Migration),
            Box::new(m20251202_000008_campaign_versions_indexed::Migration),
            Box::new(m20251202_000009_campaign_count_shards::Migration),
            Box::new(m20261202_000010_campaign_content_text::Migration),
            Box::new(m20261204_000011_idempotency_keys::Migration),
            Box::new(m20261204_000012_rate_limit_windows::Migration),
            Box::new(m20261207_000013_control_characters::Migration),
            Box::new(m20261208_000014_leads::Migration),
            Box::new(m20261208_000015_do_not_contact::Migration),
            Box::new(m20261208_000016_campaign_name_search::Migration),
            Box::new(m20261209_000017_enrolments::Migration),
            Box::new(m20261210_000018_enrolment_due_counts::Migration),
            Box::new(m20261211_000019_server_secrets::Migration),
            Box::new(m20261212_000020_mailbox_connections::Migration),
            Box::new(m20261213_000021_sends::Migration),
            Box::new(m20261214_000022_tracking::Migration),
            Box::new(m20261215_000023_due_enrolments::Migration),
            Box::new(m20261216_000024_inbox_positions::Migration),
            Box::new(m20261217_000025_webhooks::Migration),
            Box::new(m20261218_000026_event_messages::Migration),
            Box::new(m20261219_000027_active_campaigns::Migration),
        ]
    }
}

//! The port implementations, one per port, shared by SQLite and PostgreSQL.

mod agents;
mod analytics;
mod campaigns;
pub(crate) mod dnc;
pub(crate) mod enrolments;
mod idempotency_keys;
mod identity;
mod leads;
pub(crate) mod mailboxes;
mod rate_limit_windows;
mod readiness;
mod values;
pub(crate) mod webhooks;

pub(crate) use agents::SqlAgentRepository;
pub(crate) use analytics::SqlAnalyticsRepository;
pub(crate) use campaigns::SqlCampaignRepository;
pub(crate) use dnc::SqlDncRepository;
pub(crate) use enrolments::SqlEnrolmentRepository;
pub(crate) use enrolments::{SqlInboxRepository, SqlSendLedger, SqlTrackingRepository};
pub(crate) use idempotency_keys::SqlIdempotencyKeys;
pub(crate) use identity::SqlIdentityRepository;
pub(crate) use leads::SqlLeadRepository;
pub(crate) use mailboxes::SqlMailboxRepository;
pub(crate) use rate_limit_windows::SqlRateLimitWindows;
pub(crate) use readiness::SqlReadiness;
pub(crate) use webhooks::{SqlWebhookOutbox, SqlWebhookRepository};

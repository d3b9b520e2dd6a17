//! The operations, one module per resource: each reads its body as its declared DTO (`JsonBody::read`,
//! which reports the shape problems), hands the request and those problems to its use case, and maps
//! the outcome onto the wire.

mod agents;
mod campaigns;
mod dnc;
mod health;
mod leads;
mod mailboxes;
mod workspaces;

use poem_openapi::Tags;

pub(crate) use agents::AgentsApi;
pub(crate) use campaigns::CampaignsApi;
pub(crate) use dnc::DncApi;
pub(crate) use health::HealthApi;
pub(crate) use leads::LeadsApi;
pub(crate) use mailboxes::MailboxesApi;
pub(crate) use workspaces::WorkspacesApi;

#[derive(Debug, Tags)]
pub(crate) enum ApiTags {
    /// Outreach campaigns.
    Campaigns,
    /// Sending mailboxes.
    Mailboxes,
    /// Leads: the people a workspace writes to.
    Leads,
    /// AI reply agents.
    Agents,
    /// The do-not-contact list.
    DoNotContact,
    /// The user behind a platform key.
    Account,
    /// Workspaces and their API keys.
    Workspaces,
    /// Liveness and readiness.
    Health,
}

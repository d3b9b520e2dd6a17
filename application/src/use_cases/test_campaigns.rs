//! Campaigns for the use cases' tests, built through the domain like a real create.

use chrono::{DateTime, TimeZone, Utc};
use domain::campaign::{Campaign, NewCampaign, Provisions};
use domain::id::{CampaignId, MailboxId, ObjectId};
use domain::request::{CampaignRequest, StepRequest};
use domain::rules::ParseRules;
use domain::values::WebhookHostPolicy;

use crate::tenancy::Tenancy;

/// `minutes` after a fixed instant.
pub(crate) fn at(minutes: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 6, 10, 10, 0, 0)
        .single()
        .expect("valid time")
        + chrono::Duration::minutes(minutes)
}

/// A draft of `tenancy` with one email step and these mailboxes, created at [`at`]`(0)`.
pub(crate) fn email_draft(id: CampaignId, tenancy: Tenancy, mailboxes: Vec<MailboxId>) -> Campaign {
    let request = CampaignRequest {
        name: Some("Q2 Outbound".into()),
        sequence: Some(vec![StepRequest {
            kind: Some("email".into()),
            subject: Some("Hi".into()),
            body: Some("Hello".into()),
            ..StepRequest::default()
        }]),
        ..CampaignRequest::default()
    };
    let new = NewCampaign::parse(&request, ParseRules::create(WebhookHostPolicy::PublicOnly))
        .expect("valid request");
    Campaign::create(
        new,
        Provisions {
            id,
            workspace_id: tenancy.workspace_id,
            user_id: tenancy.user_id,
            now: at(0),
            mailboxes,
            ai_agent_id: None,
            webhook_secret: None,
        },
        || ObjectId::from_parts(5_000, [0x5e; 5], 1),
    )
}

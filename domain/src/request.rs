//! What a client asked for, as plain data. The edge has already checked the JSON shape (types, unknown
//! fields); nothing here is trusted yet. `NewCampaign::parse` turns it into the model or every problem.
//!
//! `None` means "absent or null": create takes the default for it.

use crate::mailbox_connection::{ConnectionRequest, MailServer};

/// The body of a create-campaign request.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CampaignRequest {
    pub name: Option<String>,
    pub sequence: Option<Vec<StepRequest>>,
    pub subsequences: Option<Vec<SubsequenceRequest>>,
    pub schedule: Option<ScheduleRequest>,
    pub settings: Option<SettingsRequest>,
    pub mailbox_selectors: MailboxSelectorsRequest,
}

/// The mailbox selectors of spec 4.1.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MailboxSelectorsRequest {
    /// `mailboxes`, the legacy name of `mailboxIds`.
    pub mailboxes: Option<Vec<String>>,
    pub mailbox_ids: Option<Vec<String>>,
    pub mailbox_emails: Option<Vec<String>>,
    pub mailbox_tags: Option<Vec<String>>,
    pub mailbox_provider: Option<String>,
}

/// One step of a sequence, email or wait, before its type is known to be valid.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StepRequest {
    /// `type`.
    pub kind: Option<String>,
    pub order: Option<i64>,
    pub name: Option<String>,
    pub subject: Option<String>,
    pub body: Option<String>,
    pub wait_days: Option<i64>,
    pub wait_hours: Option<i64>,
    pub use_conditional_variables: Option<bool>,
    pub conditional_variables: Option<Vec<ConditionalVariableRequest>>,
    pub variants: Option<Vec<VariantRequest>>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct VariantRequest {
    pub letter: Option<String>,
    pub subject: Option<String>,
    pub body: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ConditionalVariableRequest {
    pub name: Option<String>,
    pub conditions: Option<Vec<ConditionRequest>>,
    /// `else`.
    pub otherwise: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ConditionRequest {
    pub field: Option<String>,
    pub operator: Option<String>,
    pub value: Option<String>,
    pub then: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct SubsequenceRequest {
    /// `_id`: names an existing subsequence on update; server-assigned on create.
    pub id: Option<String>,
    pub name: Option<String>,
    pub trigger: Option<TriggerRequest>,
    pub sequence: Option<Vec<StepRequest>>,
    pub enabled: Option<bool>,
    pub archived: Option<bool>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct TriggerRequest {
    /// `type`.
    pub kind: Option<String>,
    pub value: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ScheduleRequest {
    pub timezone: Option<String>,
    pub start_time: Option<String>,
    pub end_time: Option<String>,
    pub working_days: Option<Vec<i64>>,
    pub skip_national_holidays: Option<bool>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct SettingsRequest {
    pub track_opens: Option<bool>,
    pub track_clicks: Option<bool>,
    pub include_unsubscribe_link: Option<bool>,
    pub cc: Option<Vec<String>>,
    pub bcc: Option<Vec<String>>,
    pub stop_on_reply: Option<bool>,
    pub stop_on_auto_reply: Option<bool>,
    pub stop_on_company_reply: Option<bool>,
    pub skip_dnc: Option<bool>,
    pub daily_send_limit: Option<i64>,
    pub email_interval_minutes: Option<i64>,
    pub esp_matching_mode: Option<String>,
    pub seg_check_mode: Option<String>,
    pub seg_skip_providers: Option<Vec<String>>,
    pub cname_tracking: Option<CnameTrackingRequest>,
    pub slack_channel_id: Option<String>,
    pub positive_replies_only_slack: Option<bool>,
    pub notification_emails: Option<Vec<String>>,
    pub positive_replies_only_email: Option<bool>,
    pub ai_agent_id: Option<String>,
    pub ai_agent_enabled: Option<bool>,
    pub webhook: Option<WebhookRequest>,
    pub copy_fatigue_protection: Option<CopyFatigueProtectionRequest>,
    pub variant_optimization: Option<VariantOptimizationRequest>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct CnameTrackingRequest {
    pub enabled: Option<bool>,
    pub domain: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct WebhookRequest {
    pub enabled: Option<bool>,
    pub url: Option<String>,
    pub secret: Option<String>,
    pub events: Option<Vec<String>>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct CopyFatigueProtectionRequest {
    pub enabled: Option<bool>,
    pub auto_regenerate: Option<bool>,
    pub auto_resume: Option<bool>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct VariantOptimizationRequest {
    pub enabled: Option<bool>,
    pub minimum_sends_per_variant: Option<i64>,
    pub minimum_days: Option<i64>,
    pub optimization_metric: Option<String>,
    pub keep_minimum_variants: Option<i64>,
}

/// The body of a register-mailbox request (`POST /v1/mailboxes`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MailboxRequest {
    pub email: Option<String>,
    pub provider: Option<String>,
    pub display_name: Option<String>,
    pub tags: Option<Vec<String>>,
    pub daily_send_limit: Option<i64>,
    pub sending_enabled: Option<bool>,
    pub signature: Option<String>,
    pub smtp_host: Option<String>,
    pub smtp_port: Option<i64>,
    pub smtp_secure: Option<bool>,
    pub smtp_username: Option<String>,
    /// Write-only: never read back.
    pub smtp_password: Option<String>,
    pub imap_host: Option<String>,
    pub imap_port: Option<i64>,
    pub imap_secure: Option<bool>,
    pub imap_username: Option<String>,
    /// Write-only: never read back.
    pub imap_password: Option<String>,
}

impl MailboxRequest {
    /// The members of one connection (`smtp…` or `imap…`).
    pub fn connection(&self, server: MailServer) -> ConnectionRequest {
        match server {
            MailServer::Smtp => ConnectionRequest {
                host: self.smtp_host.clone(),
                port: self.smtp_port,
                secure: self.smtp_secure,
                username: self.smtp_username.clone(),
                password: self.smtp_password.clone(),
            },
            MailServer::Imap => ConnectionRequest {
                host: self.imap_host.clone(),
                port: self.imap_port,
                secure: self.imap_secure,
                username: self.imap_username.clone(),
                password: self.imap_password.clone(),
            },
        }
    }
}

/// The body of a create-agent request (`POST /v1/agents`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AgentRequest {
    pub name: Option<String>,
    pub company_info: Option<CompanyInfoRequest>,
    pub persona: Option<PersonaRequest>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct CompanyInfoRequest {
    pub name: Option<String>,
    pub description: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct PersonaRequest {
    pub tone: Option<String>,
    pub role: Option<String>,
    pub communication_style: Option<String>,
    pub custom_instructions: Option<String>,
}

impl MailboxSelectorsRequest {
    /// Whether any selector was given (even an empty list): on update, that replaces the mailbox list.
    pub fn any_given(&self) -> bool {
        self.mailboxes.is_some()
            || self.mailbox_ids.is_some()
            || self.mailbox_emails.is_some()
            || self.mailbox_tags.is_some()
            || self.mailbox_provider.is_some()
    }
}

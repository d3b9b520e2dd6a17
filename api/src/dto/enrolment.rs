//! Campaign leads (enrolments) on the wire (`/v1/campaigns/{campaignId}/leads…`, LEADS.md section 4),
//! and a lead's campaigns (`GET /v1/leads/{leadId}`).

use application::ports::{EnrolmentView, LeadEnrolment, LeadSummary, SentStep};
use domain::enrolment::{EnrolmentStatus, LeadAction, SettableStatus, StopReason};
use domain::lead_request::{
    EnrolLeadsRequest as EnrolLeadsDomainRequest, EnrolmentFiltersRequest, EnrolmentPatchRequest,
    LeadActionRequest as LeadActionDomainRequest, LeadFiltersRequest,
};
use domain::mailbox_update::PatchValue;
use domain::problem::{JsonPointer, Problems};
use poem_openapi::Object;
use poem_openapi::types::MaybeUndefined;
use serde::Deserialize;
use serde_json::Value;

use crate::dto::choice::{Choice, domain_choices};
use crate::dto::lead::{EnrolLeadInput, LeadBody, LeadRead};
use crate::dto::timestamp::Timestamp;
use crate::dto::wire::{Required, mapped};
use crate::request_body::{DeclaredBody, DocumentedBody};

domain_choices!(
    /// An enrolment's status.
    EnrolmentStatuses = EnrolmentStatus,
    "EnrolmentStatus",
    "Where a lead is in a campaign: `pending` (the campaign has not started), `active`, `paused`, `completed` (the sequence is done, or it stopped for `dnc`, `seg` or `company_reply`), `bounced`, `unsubscribed`, `replied`, `removed`."
);

domain_choices!(
    /// Why an enrolment stopped.
    StopReasons = StopReason,
    "StopReason",
    "Why an enrolment stopped: `completed` (the last step ran), `dnc` (the lead is on the do-not-contact list, with `skipDNC`), `seg` (the lead's domain receives mail through a secure email gateway the campaign's `segCheckMode` skips), `replied`, `auto_reply`, `company_reply`, `bounced`, `unsubscribed`, `removed`."
);

domain_choices!(
    /// A lead action.
    LeadActions = LeadAction,
    "LeadAction",
    "`pause` (active → paused), `resume` (paused → active) or `remove` (deleted when it sent nothing, else `removed`)."
);

domain_choices!(
    /// The statuses a PATCH may set.
    SettableStatuses = SettableStatus,
    "SettableEnrolmentStatus",
    "`active` or `paused`."
);

/// `filters` of `POST /v1/campaigns/{campaignId}/leads`: every filter given must hold.
#[derive(Debug, Default, Clone, PartialEq, Object, Deserialize)]
#[oai(rename = "EnrolLeadFilters", rename_all = "camelCase")]
#[serde(rename_all = "camelCase", default)]
pub struct LeadFiltersInput {
    /// Leads having any of these tags (compared case-insensitively).
    pub tags: Option<Vec<String>>,
    /// A case-insensitive substring of the email, first name, last name or company name.
    pub search: Option<String>,
    /// ISO 3166-1 alpha-2.
    pub country: Option<String>,
    /// Only among these leads (at most 5,000).
    pub lead_ids: Option<Vec<String>>,
}

mapped! {
    LeadFiltersInput <=> LeadFiltersRequest {
        tags: same,
        search: same,
        country: same,
        lead_ids: same,
    }
}

/// The body of `POST /v1/campaigns/{campaignId}/leads`: exactly one of `leads`, `filters` and
/// `selectAll: true`.
#[derive(Debug, Default, Object, Deserialize)]
#[oai(rename = "EnrolLeadsRequest", rename_all = "camelCase")]
#[serde(rename_all = "camelCase", default)]
pub struct EnrolLeadsRequest {
    /// At most 5,000 items, each `{leadId}` or a lead with its `email` (an unknown email creates the
    /// lead). Each is judged alone: a bad one is reported in `errors` and the others are enrolled.
    #[oai(validator(max_items = 5000))]
    pub leads: Option<Vec<EnrolLeadInput>>,
    /// Every lead of the workspace that passes all the filters given.
    pub filters: Option<LeadFiltersInput>,
    /// `true`: every lead of the workspace, but `excludeIds`.
    pub select_all: Option<bool>,
    /// Lead ids left out of `selectAll: true` (at most 5,000).
    pub exclude_ids: Option<Vec<String>>,
}

impl DocumentedBody for EnrolLeadsRequest {
    /// 5,000 leads with their fields are well past the 1 MiB of other bodies.
    const MAX_BYTES: usize = crate::request_body::MAX_IMPORT_BODY_BYTES;

    fn example() -> Value {
        serde_json::json!({
            "leads": [
                {"email": "katherine@example.com", "firstName": "Katherine", "companyName": "NACA"},
                {"email": "margaret@example.com", "firstName": "Margaret"}
            ]
        })
    }
}

impl DeclaredBody for EnrolLeadsRequest {
    type Request = LeadRead<EnrolLeadsDomainRequest>;

    fn into_request(self) -> LeadRead<EnrolLeadsDomainRequest> {
        let Self {
            leads,
            filters,
            select_all,
            exclude_ids,
        } = self;
        let mut problems = Problems::new();
        let leads = leads.map(|leads| {
            leads
                .into_iter()
                .enumerate()
                .map(|(index, item)| {
                    item.into_request(
                        &JsonPointer::root().field("leads").index(index),
                        &mut problems,
                    )
                })
                .collect()
        });
        LeadRead {
            request: EnrolLeadsDomainRequest {
                leads,
                filters: filters.map(Into::into),
                select_all,
                exclude_ids,
            },
            problems,
        }
    }
}

/// `filters` of a lead action with `selectAll: true`.
#[derive(Debug, Default, Clone, PartialEq, Object, Deserialize)]
#[oai(rename = "LeadActionFilters", rename_all = "camelCase")]
#[serde(rename_all = "camelCase", default)]
pub struct EnrolmentFiltersInput {
    /// Only enrolments in this status.
    pub status: Option<Choice<EnrolmentStatuses>>,
}

mapped! {
    EnrolmentFiltersInput <=> EnrolmentFiltersRequest {
        status: choice,
    }
}

/// The body of `POST /v1/campaigns/{campaignId}/leads/action`: `action` and exactly one of `leadIds`
/// and `selectAll: true`.
#[derive(Debug, Default, Object, Deserialize)]
#[oai(rename = "LeadActionRequest", rename_all = "camelCase")]
#[serde(rename_all = "camelCase", default)]
pub struct LeadActionRequest {
    pub action: Required<Choice<LeadActions>>,
    /// Enrolment ids (`_id` of a campaign lead), at most 5,000.
    pub lead_ids: Option<Vec<String>>,
    /// `true`: every enrolment of the campaign (in `filters.status`, if given) but `excludeIds`.
    pub select_all: Option<bool>,
    pub filters: Option<EnrolmentFiltersInput>,
    /// Enrolment ids left out of `selectAll: true` (at most 5,000).
    pub exclude_ids: Option<Vec<String>>,
}

mapped! {
    LeadActionRequest <=> LeadActionDomainRequest {
        action: required_choice,
        lead_ids: same,
        select_all: same,
        filters: nested,
        exclude_ids: same,
    }
}

impl DocumentedBody for LeadActionRequest {
    fn example() -> Value {
        serde_json::json!({"action": "pause", "selectAll": true, "filters": {"status": "active"}})
    }
}

impl DeclaredBody for LeadActionRequest {
    type Request = LeadActionDomainRequest;

    fn into_request(self) -> LeadActionDomainRequest {
        self.into()
    }
}

/// The body of `PATCH /v1/campaigns/{campaignId}/leads/{campaignLeadId}`.
#[derive(Debug, Default, Object, Deserialize)]
#[oai(rename = "UpdateCampaignLeadRequest", rename_all = "camelCase")]
#[serde(rename_all = "camelCase", default)]
pub struct UpdateCampaignLeadRequest {
    /// `active` ↔ `paused`; absent keeps the status. Any other current status refuses (409).
    pub status: Option<Choice<SettableStatuses>>,
    /// At most 100 characters; `null` or blank removes it. A tag equal (ignoring case) to an active
    /// subsequence's `ai_tag` trigger enrols the lead in that subsequence.
    #[oai(validator(max_length = 100), nullable)]
    pub ai_tag: MaybeUndefined<String>,
}

impl DocumentedBody for UpdateCampaignLeadRequest {
    fn example() -> Value {
        serde_json::json!({"aiTag": "Interested"})
    }
}

impl DeclaredBody for UpdateCampaignLeadRequest {
    type Request = EnrolmentPatchRequest;

    fn into_request(self) -> EnrolmentPatchRequest {
        let Self { status, ai_tag } = self;
        EnrolmentPatchRequest {
            status: crate::dto::choice::sent(status),
            ai_tag: match ai_tag {
                MaybeUndefined::Undefined => PatchValue::Absent,
                MaybeUndefined::Null => PatchValue::Null,
                MaybeUndefined::Value(tag) => PatchValue::Given(tag),
            },
        }
    }
}

/// One item of `leads` that was not enrolled.
#[derive(Debug, Clone, Object)]
#[oai(rename = "EnrolLeadError", rename_all = "camelCase")]
pub struct EnrolErrorBody {
    /// Its 0-based position in `leads`.
    pub index: u64,
    /// The item as given: its `leadId`, else its `email`.
    #[oai(nullable)]
    pub entry: Option<String>,
    /// Every problem of the item, `; `-separated, each as `pointer: message`.
    pub message: String,
}

/// What `POST /v1/campaigns/{campaignId}/leads` did.
#[derive(Debug, Clone, Object)]
#[oai(rename = "LeadsEnrolled", rename_all = "camelCase")]
pub struct EnrolledBody {
    /// New enrolments.
    pub added: u64,
    /// Chosen leads already in the campaign (or repeated in `leads`).
    pub skipped: u64,
    /// Items of `leads` refused, in item order; the others were enrolled.
    pub errors: Vec<EnrolErrorBody>,
}

/// What a lead action did.
#[derive(Debug, Clone, Object)]
#[oai(rename = "LeadActionResult", rename_all = "camelCase")]
pub struct LeadActionResultBody {
    pub action: Choice<LeadActions>,
    /// Enrolments changed (or deleted).
    pub modified_count: u64,
}

/// The lead of an enrolment, in short.
#[derive(Debug, Clone, Object)]
#[oai(rename = "CampaignLeadSummary", rename_all = "camelCase")]
pub struct LeadSummaryBody {
    #[oai(rename = "_id")]
    pub id: String,
    pub email: String,
    #[oai(nullable)]
    pub first_name: Option<String>,
    #[oai(nullable)]
    pub last_name: Option<String>,
    #[oai(nullable)]
    pub company_name: Option<String>,
}

impl LeadSummaryBody {
    fn from_port(lead: &LeadSummary) -> Self {
        Self {
            id: lead.id.to_string(),
            email: lead.email.clone(),
            first_name: lead.first_name.clone(),
            last_name: lead.last_name.clone(),
            company_name: lead.company_name.clone(),
        }
    }
}

/// One sent step of an enrolment.
#[derive(Debug, Clone, Object)]
#[oai(rename = "CampaignLeadHistoryItem", rename_all = "camelCase")]
pub struct SentStepBody {
    /// The step's order.
    pub step: u32,
    #[oai(nullable)]
    pub variant: Option<String>,
    #[oai(nullable)]
    pub mailbox_id: Option<String>,
    #[oai(nullable)]
    pub message_id: Option<String>,
    pub sent_at: Timestamp,
    #[oai(nullable)]
    pub opened_at: Option<Timestamp>,
    #[oai(nullable)]
    pub clicked_at: Option<Timestamp>,
    #[oai(nullable)]
    pub replied_at: Option<Timestamp>,
    #[oai(nullable)]
    pub bounced_at: Option<Timestamp>,
}

impl SentStepBody {
    fn from_port(step: &SentStep) -> Self {
        Self {
            step: step.step,
            variant: step.variant.clone(),
            mailbox_id: step.mailbox_id.map(|id| id.to_string()),
            message_id: step.message_id.clone(),
            sent_at: step.sent_at.into(),
            opened_at: step.opened_at.map(Into::into),
            clicked_at: step.clicked_at.map(Into::into),
            replied_at: step.replied_at.map(Into::into),
            bounced_at: step.bounced_at.map(Into::into),
        }
    }
}

/// A campaign lead: one lead in one campaign, and its progress.
#[derive(Debug, Clone, Object)]
#[oai(rename = "CampaignLead", rename_all = "camelCase")]
pub struct CampaignLeadBody {
    /// The `campaignLeadId`.
    #[oai(rename = "_id")]
    pub id: String,
    pub campaign_id: String,
    /// `null` once the lead was deleted (an enrolment that had sent stays, as `removed`).
    #[oai(nullable)]
    pub lead: Option<LeadSummaryBody>,
    #[oai(nullable)]
    pub lead_id: Option<String>,
    pub status: Choice<EnrolmentStatuses>,
    #[oai(nullable)]
    pub stop_reason: Option<Choice<StopReasons>>,
    /// The order of the next step to run.
    pub current_step: u32,
    /// `null` unless a send is planned.
    #[oai(nullable)]
    pub next_send_at: Option<Timestamp>,
    #[oai(nullable)]
    pub mailbox_id: Option<String>,
    pub emails_sent: u32,
    #[oai(nullable)]
    pub last_sent_at: Option<Timestamp>,
    #[oai(nullable)]
    pub ai_tag: Option<String>,
    /// The subsequence this enrolment runs (`null`: the main sequence).
    #[oai(nullable)]
    pub subsequence_id: Option<String>,
    /// The steps sent, in order.
    pub history: Vec<SentStepBody>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl CampaignLeadBody {
    pub fn from_port(view: &EnrolmentView) -> Self {
        Self {
            id: view.id.to_string(),
            campaign_id: view.campaign_id.to_string(),
            lead: view.lead.as_ref().map(LeadSummaryBody::from_port),
            lead_id: view.lead.as_ref().map(|lead| lead.id.to_string()),
            status: view.status.into(),
            stop_reason: view.stop_reason.map(Into::into),
            current_step: view.current_step,
            next_send_at: view.next_send_at.map(Into::into),
            mailbox_id: view.mailbox_id.map(|id| id.to_string()),
            emails_sent: view.emails_sent,
            last_sent_at: view.last_sent_at.map(Into::into),
            ai_tag: view.ai_tag.clone(),
            subsequence_id: view.subsequence_id.map(|id| id.to_string()),
            history: view.history.iter().map(SentStepBody::from_port).collect(),
            created_at: view.created_at.into(),
            updated_at: view.updated_at.into(),
        }
    }
}

/// A campaign a lead is enrolled in.
#[derive(Debug, Clone, Object)]
#[oai(rename = "LeadCampaign", rename_all = "camelCase")]
pub struct LeadCampaignBody {
    pub campaign_id: String,
    pub campaign_lead_id: String,
    pub status: Choice<EnrolmentStatuses>,
}

/// A lead, with the campaigns it is enrolled in (main sequences).
#[derive(Debug, Clone, Object)]
#[oai(rename = "LeadDetail", rename_all = "camelCase")]
pub struct LeadDetailBody {
    #[oai(flatten)]
    pub lead: LeadBody,
    pub campaigns: Vec<LeadCampaignBody>,
}

impl LeadDetailBody {
    pub fn new(lead: LeadBody, enrolments: &[LeadEnrolment]) -> Self {
        Self {
            lead,
            campaigns: enrolments
                .iter()
                .map(|enrolment| LeadCampaignBody {
                    campaign_id: enrolment.campaign_id.to_string(),
                    campaign_lead_id: enrolment.enrolment_id.to_string(),
                    status: enrolment.status.into(),
                })
                .collect(),
        }
    }
}

//! What a client asked of leads, do-not-contact entries and enrolments, as plain data (LEADS.md). The
//! edge has already checked the JSON shape (types, unknown fields where the endpoint refuses them);
//! nothing here is trusted yet. `None` means "absent or null" unless the type says otherwise.

use crate::lead_custom::CustomValue;
use crate::lead_field::LeadTextField;
use crate::mailbox_update::PatchValue;

/// A lead as `POST /v1/leads` gives it, as one object of `POST /v1/leads/bulk`, as one row of a CSV
/// import, or as stored (storage keeps this form and re-parses it on read).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LeadRequest {
    pub email: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub company_name: Option<String>,
    pub job_title: Option<String>,
    pub phone: Option<String>,
    pub linkedin_url: Option<String>,
    pub website: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub country: Option<String>,
    pub timezone: Option<String>,
    pub tags: Option<Vec<String>>,
    /// The `customFields` object, its members in body order.
    pub custom_fields: Option<Vec<(String, CustomValue)>>,
    /// Members of a bulk lead object that are not standard fields (see
    /// [`crate::lead_field::LeadMember`]), in body order: SendKit makes them custom fields. Their
    /// problems point at the member itself (`/leads/3/lastFunding`). Empty elsewhere.
    pub extra_fields: Vec<(String, CustomValue)>,
}

impl LeadRequest {
    /// The raw value of one text field.
    pub fn text(&self, field: LeadTextField) -> Option<&str> {
        match field {
            LeadTextField::FirstName => self.first_name.as_deref(),
            LeadTextField::LastName => self.last_name.as_deref(),
            LeadTextField::CompanyName => self.company_name.as_deref(),
            LeadTextField::JobTitle => self.job_title.as_deref(),
            LeadTextField::Phone => self.phone.as_deref(),
            LeadTextField::LinkedinUrl => self.linkedin_url.as_deref(),
            LeadTextField::Website => self.website.as_deref(),
            LeadTextField::City => self.city.as_deref(),
            LeadTextField::State => self.state.as_deref(),
        }
    }

    /// The slot of one text field, to rewrite it.
    pub fn text_mut(&mut self, field: LeadTextField) -> &mut Option<String> {
        match field {
            LeadTextField::FirstName => &mut self.first_name,
            LeadTextField::LastName => &mut self.last_name,
            LeadTextField::CompanyName => &mut self.company_name,
            LeadTextField::JobTitle => &mut self.job_title,
            LeadTextField::Phone => &mut self.phone,
            LeadTextField::LinkedinUrl => &mut self.linkedin_url,
            LeadTextField::Website => &mut self.website,
            LeadTextField::City => &mut self.city,
            LeadTextField::State => &mut self.state,
        }
    }
}

/// The body of `POST /v1/leads/bulk`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BulkLeadsRequest {
    pub leads: Option<Vec<LeadRequest>>,
    pub skip_duplicates: Option<bool>,
    pub data_cleanup: Option<bool>,
    pub tag: Option<String>,
}

/// The body of `PATCH /v1/leads/{leadId}`, an RFC 7386 merge patch of the lead's fields.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LeadPatchRequest {
    pub email: PatchValue<String>,
    pub first_name: PatchValue<String>,
    pub last_name: PatchValue<String>,
    pub company_name: PatchValue<String>,
    pub job_title: PatchValue<String>,
    pub phone: PatchValue<String>,
    pub linkedin_url: PatchValue<String>,
    pub website: PatchValue<String>,
    pub city: PatchValue<String>,
    pub state: PatchValue<String>,
    pub country: PatchValue<String>,
    pub timezone: PatchValue<String>,
    pub tags: PatchValue<Vec<String>>,
    /// Merged key by key; a [`CustomValue::Null`] member removes its key.
    pub custom_fields: PatchValue<Vec<(String, CustomValue)>>,
}

impl LeadPatchRequest {
    /// The patch of one text field.
    pub fn text(&self, field: LeadTextField) -> &PatchValue<String> {
        match field {
            LeadTextField::FirstName => &self.first_name,
            LeadTextField::LastName => &self.last_name,
            LeadTextField::CompanyName => &self.company_name,
            LeadTextField::JobTitle => &self.job_title,
            LeadTextField::Phone => &self.phone,
            LeadTextField::LinkedinUrl => &self.linkedin_url,
            LeadTextField::Website => &self.website,
            LeadTextField::City => &self.city,
            LeadTextField::State => &self.state,
        }
    }
}

/// The body of `POST /v1/dnc`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DncRequest {
    pub entries: Option<Vec<DncEntryRequest>>,
    /// `type`: forces the kind of plain-string entries.
    pub kind: Option<String>,
    /// The reason of every entry that names none.
    pub reason: Option<String>,
}

/// One item of `entries`: a plain string, or an object.
#[derive(Debug, Clone, PartialEq)]
pub enum DncEntryRequest {
    Plain(String),
    Object {
        email: Option<String>,
        domain: Option<String>,
        reason: Option<String>,
    },
}

/// The body of `POST /v1/campaigns/{id}/leads`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EnrolLeadsRequest {
    pub leads: Option<Vec<EnrolLeadRequest>>,
    pub filters: Option<LeadFiltersRequest>,
    pub select_all: Option<bool>,
    pub exclude_ids: Option<Vec<String>>,
}

/// One item of `leads`: `{leadId}`, or the fields of a lead with its `email`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EnrolLeadRequest {
    pub lead_id: Option<String>,
    /// The other members, read as a bulk lead object (unknown members become custom fields).
    pub lead: LeadRequest,
}

/// `filters` of `POST /v1/campaigns/{id}/leads`: every one given must hold.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LeadFiltersRequest {
    pub tags: Option<Vec<String>>,
    pub search: Option<String>,
    pub country: Option<String>,
    pub lead_ids: Option<Vec<String>>,
}

/// The body of `POST /v1/campaigns/{id}/leads/action`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LeadActionRequest {
    pub action: Option<String>,
    pub lead_ids: Option<Vec<String>>,
    pub select_all: Option<bool>,
    pub filters: Option<EnrolmentFiltersRequest>,
    pub exclude_ids: Option<Vec<String>>,
}

/// `filters` of a lead action with `selectAll`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EnrolmentFiltersRequest {
    pub status: Option<String>,
}

/// The body of `PATCH /v1/campaigns/{id}/leads/{campaignLeadId}`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EnrolmentPatchRequest {
    /// `active` or `paused`; absent keeps the status.
    pub status: Option<String>,
    pub ai_tag: PatchValue<String>,
}

//! Leads on the wire (`/v1/leads…`, LEADS.md sections 1–2).
//!
//! Two members are open objects, read by the generic reader like any other (it walks a schema's
//! `additionalProperties`): `customFields` (any key; its value a string, number, boolean or null) and
//! each lead of a bulk import (the standard fields as declared, and any other member becoming a custom
//! field, as SendKit does: [`LeadMember::of`] tells which is which). What a JSON schema cannot say
//! about those values (an object or array as a custom value) the mapping reports with its pointer,
//! next to the reader's problems ([`LeadRead`]); the domain judges everything else.

use std::borrow::Cow;

use domain::lead::Lead;
use domain::lead_custom::{CustomNumber, CustomValue};
use domain::lead_field::{LeadField, LeadMember};
use domain::lead_request::{
    BulkLeadsRequest as BulkLeadsDomainRequest, LeadPatchRequest, LeadRequest,
};
use domain::mailbox_update::PatchValue;
use domain::problem::{JsonPointer, ProblemCode, Problems};
use poem_openapi::Object;
use poem_openapi::registry::{MetaSchema, MetaSchemaRef, Registry};
use poem_openapi::types::{MaybeUndefined, ParseError, ParseFromJSON, ParseResult, ToJSON, Type};
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::dto::timestamp::Timestamp;
use crate::dto::wire::Required;
use crate::request_body::{DeclaredBody, DocumentedBody};

/// A domain request read from a body, with the problems the mapping found (custom values of a type
/// no custom field takes), to report with the reader's.
#[derive(Debug, Default, PartialEq)]
pub struct LeadRead<R> {
    pub request: R,
    pub problems: Problems,
}

/// The `customFields` object: any key, each value a string, number, boolean or null, in body order.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(transparent)]
pub struct CustomFieldsInput(pub Map<String, Value>);

fn any_value(description: &'static str) -> Box<MetaSchemaRef> {
    Box::new(MetaSchemaRef::Inline(Box::new(MetaSchema {
        description: Some(description),
        ..MetaSchema::ANY
    })))
}

macro_rules! open_object {
    ($type:ty, $name:literal, $schema:expr) => {
        impl Type for $type {
            const IS_REQUIRED: bool = true;
            type RawValueType = Self;
            type RawElementValueType = Self;

            fn name() -> Cow<'static, str> {
                Cow::Borrowed($name)
            }

            fn schema_ref() -> MetaSchemaRef {
                MetaSchemaRef::Inline(Box::new($schema))
            }

            fn register(registry: &mut Registry) {
                CreateLeadRequest::register(registry);
            }

            fn as_raw_value(&self) -> Option<&Self::RawValueType> {
                Some(self)
            }

            fn raw_element_iter<'a>(
                &'a self,
            ) -> Box<dyn Iterator<Item = &'a Self::RawElementValueType> + 'a> {
                Box::new(std::iter::once(self))
            }
        }

        impl ParseFromJSON for $type {
            fn parse_from_json(value: Option<Value>) -> ParseResult<Self> {
                match value {
                    Some(Value::Object(members)) => Ok(Self(members)),
                    other => Err(ParseError::expected_type(other.unwrap_or_default())),
                }
            }
        }

        impl ToJSON for $type {
            fn to_json(&self) -> Option<Value> {
                Some(Value::Object(self.0.clone()))
            }
        }
    };
}

open_object!(
    CustomFieldsInput,
    "CustomFields",
    MetaSchema {
        description: Some(
            "At most 100 custom fields: names matching `[A-Za-z_][A-Za-z0-9_]*` (at most 100 characters, not a standard field's name in any case), values a string, number, boolean or null whose text is at most 2,000 characters."
        ),
        additional_properties: Some(any_value("A string, number, boolean or null.")),
        ..MetaSchema::new("object")
    }
);

/// One lead of a bulk import: the members of `CreateLeadRequest`, and any other member becomes a
/// custom field of that name.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(transparent)]
pub struct BulkLeadInput(pub Map<String, Value>);

open_object!(
    BulkLeadInput,
    "BulkLead",
    MetaSchema {
        description: Some(
            "A lead: the members of `CreateLeadRequest`; any other member (a string, number, boolean or null) becomes a custom field of that name, as SendKit does."
        ),
        all_of: vec![MetaSchemaRef::Reference("CreateLeadRequest".to_owned())],
        additional_properties: Some(any_value(
            "A custom field: a string, number, boolean or null."
        )),
        ..MetaSchema::new("object")
    }
);

/// One item of `leads` in `POST /v1/campaigns/{campaignId}/leads`: `{leadId}`, or a lead as in a bulk
/// import (the members of `CreateLeadRequest`, any other member a custom field).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(transparent)]
pub struct EnrolLeadInput(pub Map<String, Value>);

open_object!(
    EnrolLeadInput,
    "EnrolLead",
    MetaSchema {
        description: Some(
            "A lead to enrol: `{\"leadId\": \"…\"}` (a lead of the workspace; then no other member), or the fields of a lead with its `email` (`email` is required only then), as a bulk import takes them (the members of `CreateLeadRequest`; any other member becomes a custom field). An unknown email creates the lead; a known one is enrolled as stored."
        ),
        all_of: vec![MetaSchemaRef::Reference("CreateLeadRequest".to_owned())],
        properties: vec![(
            "leadId",
            MetaSchemaRef::Inline(Box::new(MetaSchema {
                description: Some("The `_id` of a lead of the workspace."),
                ..MetaSchema::new("string")
            })),
        )],
        additional_properties: Some(any_value(
            "A member of `CreateLeadRequest`, or a custom field: a string, number, boolean or null."
        )),
        ..MetaSchema::new("object")
    }
);

impl EnrolLeadInput {
    /// The item as the domain reads it: its `leadId` (a string; the reader checked its type), and
    /// every other member as a bulk lead's; problems of custom values at `at`.
    pub(crate) fn into_request(
        self,
        at: &JsonPointer,
        problems: &mut Problems,
    ) -> domain::lead_request::EnrolLeadRequest {
        let mut members = self.0;
        let lead_id = members
            .remove("leadId")
            .and_then(|value| value.as_str().map(str::to_owned));
        domain::lead_request::EnrolLeadRequest {
            lead_id,
            lead: bulk_lead(members, at, problems),
        }
    }
}

/// The body of `POST /v1/leads`. Unknown fields are rejected.
#[derive(Debug, Default, Object, Deserialize)]
#[oai(rename = "CreateLeadRequest", rename_all = "camelCase")]
#[serde(rename_all = "camelCase", default)]
pub struct CreateLeadRequest {
    /// A valid address; unique per workspace, compared case-insensitively; stored as given.
    pub email: Required<String>,
    /// At most 500 characters on one line, as every text field.
    #[oai(validator(max_length = 500))]
    pub first_name: Option<String>,
    #[oai(validator(max_length = 500))]
    pub last_name: Option<String>,
    #[oai(validator(max_length = 500))]
    pub company_name: Option<String>,
    #[oai(validator(max_length = 500))]
    pub job_title: Option<String>,
    #[oai(validator(max_length = 500))]
    pub phone: Option<String>,
    #[oai(validator(max_length = 500))]
    pub linkedin_url: Option<String>,
    #[oai(validator(max_length = 500))]
    pub website: Option<String>,
    #[oai(validator(max_length = 500))]
    pub city: Option<String>,
    #[oai(validator(max_length = 500))]
    pub state: Option<String>,
    /// ISO 3166-1 alpha-2 (any case in, uppercase out).
    pub country: Option<String>,
    /// An IANA zone.
    pub timezone: Option<String>,
    /// Trimmed, non-blank, at most 100 characters each, no repeats (case-insensitively), at most 50.
    #[oai(validator(max_items = 50))]
    pub tags: Option<Vec<String>>,
    pub custom_fields: Option<CustomFieldsInput>,
}

/// The body of `POST /v1/leads/bulk`.
#[derive(Debug, Default, Object, Deserialize)]
#[oai(rename = "BulkLeadsRequest", rename_all = "camelCase")]
#[serde(rename_all = "camelCase", default)]
pub struct BulkLeadsRequest {
    /// At most 5,000 leads; more refuses the whole request (nothing is written). Each is judged alone:
    /// a bad one is reported in `errors` and the others are written.
    #[oai(validator(max_items = 5000))]
    pub leads: Required<Vec<BulkLeadInput>>,
    /// `true` (default): a lead whose email exists (or repeats in `leads`) is skipped; `false`: it
    /// updates the existing lead (given fields overwrite, `customFields` merge, `tags` union).
    pub skip_duplicates: Option<bool>,
    /// `true` (default): trim texts, lowercase the email's domain, drop blank values, collapse spaces
    /// in names, normalise `linkedinUrl`.
    pub data_cleanup: Option<bool>,
    /// A tag added to every lead of the request.
    #[oai(validator(max_length = 100))]
    pub tag: Option<String>,
}

/// The body of `PATCH /v1/leads/{leadId}`: an RFC 7386 merge patch of the lead's fields. A member left
/// out keeps its value, `null` clears it (`email` cannot be cleared), `customFields` merge key by key
/// (a `null` value removes its key).
#[derive(Debug, Default, Object, Deserialize)]
#[oai(rename = "UpdateLeadRequest", rename_all = "camelCase")]
#[serde(rename_all = "camelCase", default)]
pub struct UpdateLeadRequest {
    /// May change while no other lead of the workspace has it.
    #[oai(nullable)]
    pub email: MaybeUndefined<String>,
    #[oai(validator(max_length = 500), nullable)]
    pub first_name: MaybeUndefined<String>,
    #[oai(validator(max_length = 500), nullable)]
    pub last_name: MaybeUndefined<String>,
    #[oai(validator(max_length = 500), nullable)]
    pub company_name: MaybeUndefined<String>,
    #[oai(validator(max_length = 500), nullable)]
    pub job_title: MaybeUndefined<String>,
    #[oai(validator(max_length = 500), nullable)]
    pub phone: MaybeUndefined<String>,
    #[oai(validator(max_length = 500), nullable)]
    pub linkedin_url: MaybeUndefined<String>,
    #[oai(validator(max_length = 500), nullable)]
    pub website: MaybeUndefined<String>,
    #[oai(validator(max_length = 500), nullable)]
    pub city: MaybeUndefined<String>,
    #[oai(validator(max_length = 500), nullable)]
    pub state: MaybeUndefined<String>,
    #[oai(nullable)]
    pub country: MaybeUndefined<String>,
    #[oai(nullable)]
    pub timezone: MaybeUndefined<String>,
    /// Replaces all of the lead's tags; `null` removes them all.
    #[oai(validator(max_items = 50), nullable)]
    pub tags: MaybeUndefined<Vec<String>>,
    /// Merged key by key; a key whose value is `null` is removed; `customFields: null` removes all.
    #[oai(nullable)]
    pub custom_fields: MaybeUndefined<CustomFieldsInput>,
}

impl DocumentedBody for CreateLeadRequest {
    fn example() -> Value {
        serde_json::json!({
            "email": "ada@example.com",
            "firstName": "Ada",
            "lastName": "Lovelace",
            "companyName": "Analytical Engines",
            "jobTitle": "CTO",
            "country": "GB",
            "timezone": "Europe/London",
            "tags": ["fintech"],
            "customFields": {"lastFunding": "Series B"}
        })
    }
}

impl DocumentedBody for BulkLeadsRequest {
    /// 5,000 leads with a few custom fields each are well past the 1 MiB of other bodies.
    const MAX_BYTES: usize = crate::request_body::MAX_IMPORT_BODY_BYTES;

    fn example() -> Value {
        serde_json::json!({
            "leads": [
                {"email": "grace@example.com", "firstName": "Grace", "companyName": "US Navy"},
                {"email": "alan@example.com", "firstName": "Alan", "lastFunding": "Seed"}
            ],
            "skipDuplicates": true,
            "dataCleanup": true,
            "tag": "webinar"
        })
    }

    fn defaults() -> Vec<(String, Value)> {
        vec![(
            <Self as Type>::name().into_owned(),
            serde_json::json!({"skipDuplicates": true, "dataCleanup": true}),
        )]
    }
}

impl DocumentedBody for UpdateLeadRequest {
    fn example() -> Value {
        serde_json::json!({
            "jobTitle": "CEO",
            "customFields": {"lastFunding": "Series C", "oldNote": null}
        })
    }
}

impl DeclaredBody for CreateLeadRequest {
    type Request = LeadRead<LeadRequest>;

    fn into_request(self) -> LeadRead<LeadRequest> {
        let Self {
            email,
            first_name,
            last_name,
            company_name,
            job_title,
            phone,
            linkedin_url,
            website,
            city,
            state,
            country,
            timezone,
            tags,
            custom_fields,
        } = self;
        let mut problems = Problems::new();
        let at = JsonPointer::root().field("customFields");
        let custom_fields = custom_fields.map(|CustomFieldsInput(members)| {
            custom_entries(members, |key| at.field(key), &mut problems)
        });
        LeadRead {
            request: LeadRequest {
                email: email.0,
                first_name,
                last_name,
                company_name,
                job_title,
                phone,
                linkedin_url,
                website,
                city,
                state,
                country,
                timezone,
                tags,
                custom_fields,
                extra_fields: Vec::new(),
            },
            problems,
        }
    }
}

impl DeclaredBody for BulkLeadsRequest {
    type Request = LeadRead<BulkLeadsDomainRequest>;

    fn into_request(self) -> LeadRead<BulkLeadsDomainRequest> {
        let Self {
            leads,
            skip_duplicates,
            data_cleanup,
            tag,
        } = self;
        let mut problems = Problems::new();
        let leads = leads.0.map(|leads| {
            leads
                .into_iter()
                .enumerate()
                .map(|(index, BulkLeadInput(members))| {
                    bulk_lead(
                        members,
                        &JsonPointer::root().field("leads").index(index),
                        &mut problems,
                    )
                })
                .collect()
        });
        LeadRead {
            request: BulkLeadsDomainRequest {
                leads,
                skip_duplicates,
                data_cleanup,
                tag,
            },
            problems,
        }
    }
}

impl DeclaredBody for UpdateLeadRequest {
    type Request = LeadRead<LeadPatchRequest>;

    fn into_request(self) -> LeadRead<LeadPatchRequest> {
        let Self {
            email,
            first_name,
            last_name,
            company_name,
            job_title,
            phone,
            linkedin_url,
            website,
            city,
            state,
            country,
            timezone,
            tags,
            custom_fields,
        } = self;
        let mut problems = Problems::new();
        let at = JsonPointer::root().field("customFields");
        let custom_fields = patched(custom_fields).map(|CustomFieldsInput(members)| {
            custom_entries(members, |key| at.field(key), &mut problems)
        });
        LeadRead {
            request: LeadPatchRequest {
                email: patched(email),
                first_name: patched(first_name),
                last_name: patched(last_name),
                company_name: patched(company_name),
                job_title: patched(job_title),
                phone: patched(phone),
                linkedin_url: patched(linkedin_url),
                website: patched(website),
                city: patched(city),
                state: patched(state),
                country: patched(country),
                timezone: patched(timezone),
                tags: patched(tags),
                custom_fields,
            },
            problems,
        }
    }
}

/// A PATCH member: left out, `null`, or a value.
fn patched<T>(member: MaybeUndefined<T>) -> PatchValue<T> {
    match member {
        MaybeUndefined::Undefined => PatchValue::Absent,
        MaybeUndefined::Null => PatchValue::Null,
        MaybeUndefined::Value(value) => PatchValue::Given(value),
    }
}

trait PatchMap<T> {
    fn map<U>(self, change: impl FnOnce(T) -> U) -> PatchValue<U>;
}

impl<T> PatchMap<T> for PatchValue<T> {
    fn map<U>(self, change: impl FnOnce(T) -> U) -> PatchValue<U> {
        match self {
            PatchValue::Absent => PatchValue::Absent,
            PatchValue::Null => PatchValue::Null,
            PatchValue::Given(value) => PatchValue::Given(change(value)),
        }
    }
}

/// Custom values as the domain takes them, in body order; a value no custom field takes (an object,
/// an array) is a problem at `at(key)`.
fn custom_entries(
    members: Map<String, Value>,
    at: impl Fn(&str) -> JsonPointer,
    problems: &mut Problems,
) -> Vec<(String, CustomValue)> {
    let mut entries = Vec::with_capacity(members.len());
    for (key, value) in members {
        match custom_value(value) {
            Some(value) => entries.push((key, value)),
            None => problems.add(
                at(&key),
                ProblemCode::InvalidType,
                format!("custom field {key:?} must be a string, number, boolean or null"),
            ),
        }
    }
    entries
}

fn custom_value(value: Value) -> Option<CustomValue> {
    Some(match value {
        Value::String(text) => CustomValue::Text(text),
        Value::Bool(flag) => CustomValue::Boolean(flag),
        Value::Null => CustomValue::Null,
        Value::Number(number) => CustomValue::Number(if let Some(whole) = number.as_i64() {
            CustomNumber::from(whole)
        } else if let Some(whole) = number.as_u64() {
            CustomNumber::from(whole)
        } else {
            CustomNumber::from_f64(number.as_f64()?)?
        }),
        Value::Array(_) | Value::Object(_) => return None,
    })
}

/// One lead of a bulk import: its standard members by name (their JSON types were checked by the
/// reader), every other member a custom field.
fn bulk_lead(
    members: Map<String, Value>,
    at: &JsonPointer,
    problems: &mut Problems,
) -> LeadRequest {
    let mut request = LeadRequest::default();
    let mut extra = Map::new();
    for (key, value) in members {
        let text = || value.as_str().map(str::to_owned);
        match LeadMember::of(&key) {
            LeadMember::Custom => {
                extra.insert(key, value);
            }
            LeadMember::Standard(LeadField::Email) => request.email = text(),
            LeadMember::Standard(LeadField::Country) => request.country = text(),
            LeadMember::Standard(LeadField::Timezone) => request.timezone = text(),
            LeadMember::Standard(LeadField::Tags) => {
                request.tags = serde_json::from_value(value).ok();
            }
            LeadMember::Standard(LeadField::CustomFields) => {
                if let Value::Object(custom) = value {
                    let object_at = at.field("customFields");
                    request.custom_fields =
                        Some(custom_entries(custom, |key| object_at.field(key), problems));
                }
            }
            LeadMember::Standard(field) => {
                if let Some(text_field) = field.text() {
                    *request.text_mut(text_field) = text();
                }
            }
        }
    }
    request.extra_fields = custom_entries(extra, |key| at.field(key), problems);
    request
}

/// A lead.
#[derive(Debug, Clone, Object)]
#[oai(rename = "Lead", rename_all = "camelCase")]
pub struct LeadBody {
    #[oai(rename = "_id")]
    pub id: String,
    pub workspace_id: String,
    /// As given.
    pub email: String,
    #[oai(nullable)]
    pub first_name: Option<String>,
    #[oai(nullable)]
    pub last_name: Option<String>,
    #[oai(nullable)]
    pub company_name: Option<String>,
    #[oai(nullable)]
    pub job_title: Option<String>,
    #[oai(nullable)]
    pub phone: Option<String>,
    #[oai(nullable)]
    pub linkedin_url: Option<String>,
    #[oai(nullable)]
    pub website: Option<String>,
    #[oai(nullable)]
    pub city: Option<String>,
    #[oai(nullable)]
    pub state: Option<String>,
    #[oai(nullable)]
    pub country: Option<String>,
    #[oai(nullable)]
    pub timezone: Option<String>,
    /// As given; they compare case-insensitively.
    pub tags: Vec<String>,
    pub custom_fields: CustomFieldsInput,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl LeadBody {
    pub fn from_domain(lead: &Lead) -> Self {
        let fields = lead.fields();
        let custom = fields
            .custom_fields()
            .iter()
            .map(|(key, value)| (key.as_str().to_owned(), custom_json(value)))
            .collect();
        Self {
            id: lead.id().to_string(),
            workspace_id: lead.workspace_id().to_string(),
            email: fields.email().as_str().to_owned(),
            first_name: fields.first_name().map(str::to_owned),
            last_name: fields.last_name().map(str::to_owned),
            company_name: fields.company_name().map(str::to_owned),
            job_title: fields.job_title().map(str::to_owned),
            phone: fields.phone().map(str::to_owned),
            linkedin_url: fields.linkedin_url().map(str::to_owned),
            website: fields.website().map(str::to_owned),
            city: fields.city().map(str::to_owned),
            state: fields.state().map(str::to_owned),
            country: fields.country().map(|code| code.as_str().to_owned()),
            timezone: fields.timezone().map(|zone| zone.name().to_owned()),
            tags: fields.tags().to_vec(),
            custom_fields: CustomFieldsInput(custom),
            created_at: lead.created_at().into(),
            updated_at: lead.updated_at().into(),
        }
    }
}

/// A custom value as JSON. A number is written as stored; JSON readers that hold numbers as `f64`
/// (this server's included) keep about 17 significant digits of it.
fn custom_json(value: &CustomValue) -> Value {
    match value {
        CustomValue::Text(text) => Value::String(text.clone()),
        CustomValue::Number(number) => serde_json::from_str(number.as_str())
            .unwrap_or_else(|_| Value::String(number.as_str().to_owned())),
        CustomValue::Boolean(flag) => Value::Bool(*flag),
        CustomValue::Null => Value::Null,
    }
}

/// What deleting a lead answers.
#[derive(Debug, Clone, Object)]
#[oai(rename = "LeadDeleted", rename_all = "camelCase")]
pub struct LeadDeletedBody {
    pub id: String,
    /// Always `true`.
    pub deleted: bool,
}

/// What a bulk import did.
#[derive(Debug, Clone, Object)]
#[oai(rename = "BulkLeadsResult", rename_all = "camelCase")]
pub struct BulkLeadsResultBody {
    /// New leads written.
    pub imported: u64,
    /// Entries that updated an existing lead (`skipDuplicates: false`).
    pub updated: u64,
    /// Entries whose email exists or repeats (`skipDuplicates: true`).
    pub skipped: u64,
    /// Entries not written; each is in `errors`.
    pub failed: u64,
    /// The new leads' ids, in the order of their entries.
    pub imported_lead_ids: Vec<String>,
    pub errors: Vec<BulkLeadErrorBody>,
}

/// One entry that was not written.
#[derive(Debug, Clone, Object)]
#[oai(rename = "BulkLeadError", rename_all = "camelCase")]
pub struct BulkLeadErrorBody {
    /// 0-based position in `leads`.
    pub index: u64,
    /// The email as given, if any.
    #[oai(nullable)]
    pub email: Option<String>,
    /// Every problem of the entry, `; `-separated, each as `pointer: message`.
    pub error: String,
}

/// What a CSV import did: the bulk import's answer plus `rows`.
#[derive(Debug, Clone, Object)]
#[oai(rename = "CsvLeadsResult", rename_all = "camelCase")]
pub struct CsvLeadsResultBody {
    /// New leads written.
    pub imported: u64,
    /// Rows that updated an existing lead (`skipDuplicates: false`).
    pub updated: u64,
    /// Rows whose email exists or repeats (`skipDuplicates: true`).
    pub skipped: u64,
    /// Rows not written; each is in `errors`.
    pub failed: u64,
    /// The new leads' ids, in file order.
    pub imported_lead_ids: Vec<String>,
    pub errors: Vec<CsvLeadErrorBody>,
    /// The file's data rows (the header and blank rows not counted).
    pub rows: u64,
}

/// One row that was not written.
#[derive(Debug, Clone, Object)]
#[oai(rename = "CsvLeadError", rename_all = "camelCase")]
pub struct CsvLeadErrorBody {
    /// 1-based data row number (the header and blank rows not counted).
    pub index: u64,
    /// The row's email cell, if any.
    #[oai(nullable)]
    pub email: Option<String>,
    /// Every problem of the row, `; `-separated, each as `pointer: message` (`/file/rows/{row}/...`).
    pub error: String,
}

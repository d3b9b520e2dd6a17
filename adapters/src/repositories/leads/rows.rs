//! A lead as a `leads` row and back. `tags` are a JSON array of strings; `custom_fields` a JSON object
//! in the fields' order whose values are the JSON values given, except numbers, which are kept as
//! `{"n": "<the number as written>"}` so that no digit is lost (`CustomNumber` keeps the text; a JSON
//! number read back through `f64` would not). Rows are re-parsed through `LeadFields::parse`.

use application::ports::RepositoryError;
use domain::id::{LeadId, WorkspaceId};
use domain::lead::{Lead, LeadFields};
use domain::lead_custom::{CustomNumber, CustomValue};
use domain::lead_request::LeadRequest;
use domain::listing::fold_case;
use domain::mailbox::fold_tag;
use domain::problem::JsonPointer;
use sea_orm::ActiveValue::Set;
use serde_json::{Map, Value};

use crate::entities::{lead, lead_tag};
use crate::error::{corrupt_row, describe};
use crate::repositories::values::parse_id;
use crate::time::{from_millis, to_millis};

pub(super) const TABLE: &str = "leads";

/// A lead's row as PostgreSQL's batch statements read it from their JSON parameter (see `writes`):
/// the same values as [`to_row`] but `workspace_id`, which they bind once.
#[derive(Debug, serde::Serialize)]
pub(super) struct LeadRecord {
    id: String,
    email: String,
    email_key: String,
    first_name: Option<String>,
    last_name: Option<String>,
    company_name: Option<String>,
    job_title: Option<String>,
    phone: Option<String>,
    linkedin_url: Option<String>,
    website: Option<String>,
    city: Option<String>,
    state: Option<String>,
    country: Option<String>,
    timezone: Option<String>,
    tags: String,
    custom_fields: String,
    search_folded: String,
    created_at_ms: i64,
    updated_at_ms: i64,
}

/// The columns of a [`LeadRecord`], in the order the batch statements list them.
pub(super) const RECORD_COLUMNS: [&str; 19] = [
    "id",
    "email",
    "email_key",
    "first_name",
    "last_name",
    "company_name",
    "job_title",
    "phone",
    "linkedin_url",
    "website",
    "city",
    "state",
    "country",
    "timezone",
    "tags",
    "custom_fields",
    "search_folded",
    "created_at_ms",
    "updated_at_ms",
];

/// The record of `lead`.
pub(super) fn to_record(lead: &Lead) -> LeadRecord {
    let fields = lead.fields();
    let request = fields.to_request();
    let custom: Map<String, Value> = fields
        .custom_fields()
        .iter()
        .map(|(key, value)| (key.as_str().to_owned(), custom_to_json(value)))
        .collect();
    LeadRecord {
        id: lead.id().to_string(),
        email: fields.email().as_str().to_owned(),
        email_key: fields.email_key(),
        first_name: request.first_name,
        last_name: request.last_name,
        company_name: request.company_name,
        job_title: request.job_title,
        phone: request.phone,
        linkedin_url: request.linkedin_url,
        website: request.website,
        city: request.city,
        state: request.state,
        country: request.country,
        timezone: request.timezone,
        tags: Value::from(fields.tags().to_vec()).to_string(),
        custom_fields: Value::Object(custom).to_string(),
        search_folded: search_folded(fields),
        created_at_ms: to_millis(lead.created_at()),
        updated_at_ms: to_millis(lead.updated_at()),
    }
}

/// The row of `lead`.
pub(super) fn to_row(lead: &Lead) -> lead::ActiveModel {
    let record = to_record(lead);
    lead::ActiveModel {
        id: Set(record.id),
        workspace_id: Set(lead.workspace_id().to_string()),
        email: Set(record.email),
        email_key: Set(record.email_key),
        first_name: Set(record.first_name),
        last_name: Set(record.last_name),
        company_name: Set(record.company_name),
        job_title: Set(record.job_title),
        phone: Set(record.phone),
        linkedin_url: Set(record.linkedin_url),
        website: Set(record.website),
        city: Set(record.city),
        state: Set(record.state),
        country: Set(record.country),
        timezone: Set(record.timezone),
        tags: Set(record.tags),
        custom_fields: Set(record.custom_fields),
        search_folded: Set(record.search_folded),
        created_at_ms: Set(record.created_at_ms),
        updated_at_ms: Set(record.updated_at_ms),
    }
}

/// What a search looks in: the folded email, first name, last name and company name, one per line.
fn search_folded(fields: &LeadFields) -> String {
    [
        Some(fields.email().as_str()),
        fields.first_name(),
        fields.last_name(),
        fields.company_name(),
    ]
    .into_iter()
    .flatten()
    .map(fold_case)
    .collect::<Vec<_>>()
    .join("\n")
}

/// The tag index rows of `lead`.
pub(super) fn tag_rows(lead: &Lead) -> impl Iterator<Item = lead_tag::ActiveModel> + '_ {
    let workspace = lead.workspace_id().to_string();
    let id = lead.id().to_string();
    lead.fields()
        .tags()
        .iter()
        .map(move |tag| lead_tag::ActiveModel {
            workspace_id: Set(workspace.clone()),
            tag_key: Set(fold_tag(tag)),
            lead_id: Set(id.clone()),
        })
}

/// A row of the tag index as the batch statements read it from their JSON parameter.
#[derive(Debug, serde::Serialize)]
pub(super) struct TagRecord {
    lead_id: String,
    tag_key: String,
}

/// The tag index records of `lead`.
pub(super) fn tag_records(lead: &Lead) -> impl Iterator<Item = TagRecord> + '_ {
    let id = lead.id().to_string();
    lead.fields().tags().iter().map(move |tag| TagRecord {
        lead_id: id.clone(),
        tag_key: fold_tag(tag),
    })
}

fn custom_to_json(value: &CustomValue) -> Value {
    match value {
        CustomValue::Text(text) => Value::String(text.clone()),
        CustomValue::Number(number) => serde_json::json!({ "n": number.as_str() }),
        CustomValue::Boolean(flag) => Value::Bool(*flag),
        CustomValue::Null => Value::Null,
    }
}

fn custom_from_json(value: Value, id: &str) -> Result<CustomValue, RepositoryError> {
    Ok(match value {
        Value::String(text) => CustomValue::Text(text),
        Value::Bool(flag) => CustomValue::Boolean(flag),
        Value::Null => CustomValue::Null,
        Value::Object(mut number) => match number.remove("n") {
            Some(Value::String(text)) => CustomValue::Number(
                CustomNumber::parse(&text)
                    .map_err(|invalid| corrupt_row(TABLE, id, invalid.message))?,
            ),
            _ => return Err(corrupt_row(TABLE, id, "a custom number without its text")),
        },
        other => return Err(corrupt_row(TABLE, id, format!("custom value {other}"))),
    })
}

/// A row re-parsed through the same constructor as a client's request.
pub(super) fn from_row(row: lead::Model) -> Result<Lead, RepositoryError> {
    let id = parse_id(&row.id, LeadId::parse, TABLE, &row.id)?;
    let workspace_id = parse_id(&row.workspace_id, WorkspaceId::parse, TABLE, &row.id)?;
    let tags: Vec<String> =
        serde_json::from_str(&row.tags).map_err(|error| corrupt_row(TABLE, &row.id, error))?;
    let custom: Map<String, Value> = serde_json::from_str(&row.custom_fields)
        .map_err(|error| corrupt_row(TABLE, &row.id, error))?;
    let custom_fields = custom
        .into_iter()
        .map(|(key, value)| Ok((key, custom_from_json(value, &row.id)?)))
        .collect::<Result<Vec<_>, RepositoryError>>()?;
    let request = LeadRequest {
        email: Some(row.email),
        first_name: row.first_name,
        last_name: row.last_name,
        company_name: row.company_name,
        job_title: row.job_title,
        phone: row.phone,
        linkedin_url: row.linkedin_url,
        website: row.website,
        city: row.city,
        state: row.state,
        country: row.country,
        timezone: row.timezone,
        tags: Some(tags),
        custom_fields: Some(custom_fields),
        extra_fields: Vec::new(),
    };
    let fields = LeadFields::parse(&request, &JsonPointer::root())
        .map_err(|problems| corrupt_row(TABLE, &row.id, describe(&problems)))?;
    Ok(Lead::restore(
        id,
        workspace_id,
        fields,
        from_millis(row.created_at_ms, TABLE, &row.id)?,
        from_millis(row.updated_at_ms, TABLE, &row.id)?,
    ))
}

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

/// The row of `lead`.
pub(super) fn to_row(lead: &Lead) -> lead::ActiveModel {
    let fields = lead.fields();
    let request = fields.to_request();
    let custom: Map<String, Value> = fields
        .custom_fields()
        .iter()
        .map(|(key, value)| (key.as_str().to_owned(), custom_to_json(value)))
        .collect();
    lead::ActiveModel {
        id: Set(lead.id().to_string()),
        workspace_id: Set(lead.workspace_id().to_string()),
        email: Set(fields.email().as_str().to_owned()),
        email_key: Set(fields.email_key()),
        first_name: Set(request.first_name),
        last_name: Set(request.last_name),
        company_name: Set(request.company_name),
        job_title: Set(request.job_title),
        phone: Set(request.phone),
        linkedin_url: Set(request.linkedin_url),
        website: Set(request.website),
        city: Set(request.city),
        state: Set(request.state),
        country: Set(request.country),
        timezone: Set(request.timezone),
        tags: Set(Value::from(fields.tags().to_vec()).to_string()),
        custom_fields: Set(Value::Object(custom).to_string()),
        search_folded: Set(search_folded(fields)),
        created_at_ms: Set(to_millis(lead.created_at())),
        updated_at_ms: Set(to_millis(lead.updated_at())),
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

//! The do-not-contact list on the wire (`/v1/dnc…`).
//!
//! An item of `entries` is a string or an object: [`DncEntryInput`], a hand-written `Type` whose
//! schema is `oneOf: [string, DncEntryObject]` (no discriminator: the JSON type tells them apart).
//! The generic reader (`request_body`) reads such a `oneOf` by the alternative whose JSON type the
//! item has, so an object's members are still checked against `DncEntryObject` (unknown members
//! refused with their pointer), and serde then fills the enum untagged.

use std::borrow::Cow;

use domain::dnc::{DncKind, DncReason, ListedDncEntry};
use domain::lead_request::{DncEntryRequest, DncRequest};
use poem_openapi::Object;
use poem_openapi::registry::{MetaSchema, MetaSchemaRef, Registry};
use poem_openapi::types::{ParseError, ParseFromJSON, ParseResult, ToJSON, Type};
use serde::Deserialize;
use serde_json::Value;

use crate::dto::choice::{Choice, domain_choices};
use crate::dto::timestamp::Timestamp;
use crate::dto::wire::{Required, mapped};
use crate::request_body::{DeclaredBody, DocumentedBody};

domain_choices!(
    /// A do-not-contact entry's kind.
    DncKinds = DncKind,
    "DncEntryType",
    "Whether an entry blocks one address (`email`) or a domain and its subdomains (`domain`)."
);

domain_choices!(
    /// Why an entry is on the list.
    DncReasons = DncReason,
    "DncReason",
    "Why an entry is on the do-not-contact list (default `manual`)."
);

/// The body of `POST /v1/dnc`. Unknown fields are rejected.
#[derive(Debug, Default, Object, Deserialize)]
#[oai(rename = "AddDncEntriesRequest", rename_all = "camelCase")]
#[serde(rename_all = "camelCase", default)]
pub struct AddDncEntriesRequest {
    /// At most 10,000. Each an object naming exactly one of `email` and `domain`, or a plain string:
    /// with an `@` an email entry (`@acme.com` is the domain `acme.com`), else a domain. Values are
    /// trimmed and lowercased; a domain also blocks its subdomains.
    #[oai(validator(max_items = 10000))]
    pub entries: Required<Vec<DncEntryInput>>,
    /// Forces the kind of plain-string entries; an object entry naming the other kind is an error.
    #[oai(rename = "type")]
    #[serde(rename = "type")]
    pub kind: Option<Choice<DncKinds>>,
    /// The reason of every entry that names none (default `manual`).
    pub reason: Option<Choice<DncReasons>>,
}

/// An entry of `entries` written as an object.
#[derive(Debug, Default, Clone, PartialEq, Object, Deserialize)]
#[oai(rename = "DncEntryObject", rename_all = "camelCase")]
#[serde(rename_all = "camelCase", default)]
pub struct DncEntryObject {
    /// An address to block.
    pub email: Option<String>,
    /// A domain to block, with its subdomains.
    pub domain: Option<String>,
    /// This entry's reason, over the request's.
    pub reason: Option<Choice<DncReasons>>,
}

/// One item of `entries`: a plain string or an object.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum DncEntryInput {
    Plain(String),
    Object(DncEntryObject),
}

const DNC_ENTRY_INPUT: &str = "DncEntryInput";

impl Type for DncEntryInput {
    const IS_REQUIRED: bool = true;

    type RawValueType = Self;
    type RawElementValueType = Self;

    fn name() -> Cow<'static, str> {
        Cow::Borrowed(DNC_ENTRY_INPUT)
    }

    fn schema_ref() -> MetaSchemaRef {
        MetaSchemaRef::Reference(DNC_ENTRY_INPUT.to_owned())
    }

    fn register(registry: &mut Registry) {
        DncEntryObject::register(registry);
        registry.create_schema::<Self, _>(DNC_ENTRY_INPUT.to_owned(), |_| MetaSchema {
            description: Some(
                "A do-not-contact entry: a plain string (an address, or a domain) or an object.",
            ),
            one_of: vec![
                MetaSchemaRef::Inline(Box::new(MetaSchema {
                    description: Some(
                        "An address (`ada@acme.com`) or a domain (`acme.com`, `@acme.com`).",
                    ),
                    ..MetaSchema::new("string")
                })),
                DncEntryObject::schema_ref(),
            ],
            ..MetaSchema::ANY
        });
    }

    fn as_raw_value(&self) -> Option<&Self::RawValueType> {
        Some(self)
    }

    fn raw_element_iter<'a>(
        &'a self,
    ) -> Box<dyn Iterator<Item = &'a Self::RawElementValueType> + 'a> {
        Box::new(self.as_raw_value().into_iter())
    }
}

impl ParseFromJSON for DncEntryInput {
    fn parse_from_json(value: Option<Value>) -> ParseResult<Self> {
        match value {
            Some(Value::String(plain)) => Ok(Self::Plain(plain)),
            Some(object @ Value::Object(_)) => DncEntryObject::parse_from_json(Some(object))
                .map(Self::Object)
                .map_err(ParseError::propagate),
            other => Err(ParseError::expected_type(other.unwrap_or_default())),
        }
    }
}

impl ToJSON for DncEntryInput {
    fn to_json(&self) -> Option<Value> {
        match self {
            Self::Plain(plain) => Some(Value::from(plain.as_str())),
            Self::Object(object) => object.to_json(),
        }
    }
}

impl From<DncEntryInput> for DncEntryRequest {
    fn from(input: DncEntryInput) -> Self {
        match input {
            DncEntryInput::Plain(plain) => Self::Plain(plain),
            DncEntryInput::Object(DncEntryObject {
                email,
                domain,
                reason,
            }) => Self::Object {
                email,
                domain,
                reason: crate::dto::choice::sent(reason),
            },
        }
    }
}

impl From<DncEntryRequest> for DncEntryInput {
    fn from(request: DncEntryRequest) -> Self {
        match request {
            DncEntryRequest::Plain(plain) => Self::Plain(plain),
            DncEntryRequest::Object {
                email,
                domain,
                reason,
            } => Self::Object(DncEntryObject {
                email,
                domain,
                reason: reason.map(Choice::from),
            }),
        }
    }
}

impl DocumentedBody for AddDncEntriesRequest {
    /// 10,000 entries of long addresses with their reasons pass 1 MiB.
    const MAX_BYTES: usize = crate::request_body::MAX_IMPORT_BODY_BYTES;
    fn example() -> Value {
        serde_json::json!({
            "entries": [
                {"email": "ada@example.com", "reason": "unsubscribe_link"},
                {"domain": "competitor.example"},
                "grace@example.org"
            ],
            "reason": "manual"
        })
    }

    fn defaults() -> Vec<(String, Value)> {
        vec![(
            <Self as Type>::name().into_owned(),
            serde_json::json!({"reason": DncReason::DEFAULT.as_str()}),
        )]
    }
}

impl DeclaredBody for AddDncEntriesRequest {
    type Request = DncRequest;

    fn into_request(self) -> DncRequest {
        self.into()
    }
}

mapped! {
    AddDncEntriesRequest <=> DncRequest {
        entries: required_each,
        kind: choice,
        reason: choice,
    }
}

/// An entry of the request that was not added.
#[derive(Debug, Clone, Object)]
#[oai(rename = "DncEntryError", rename_all = "camelCase")]
pub struct DncEntryErrorBody {
    /// The entry's 0-based position in `entries`.
    pub index: u64,
    /// The value as sent (an object's `email` or `domain`); `null` when it named none.
    #[oai(nullable)]
    pub entry: Option<String>,
    /// Every problem of the entry, in one sentence each.
    pub message: String,
}

/// What `POST /v1/dnc` answers.
#[derive(Debug, Clone, Object)]
#[oai(rename = "DncAdded", rename_all = "camelCase")]
pub struct DncAddedBody {
    /// Entries written.
    pub added: u64,
    /// Entries already on the list, or repeated in the request.
    pub skipped: u64,
    /// Entries refused, in request order; the others were added.
    pub errors: Vec<DncEntryErrorBody>,
}

/// One do-not-contact entry.
#[derive(Debug, Clone, Object)]
#[oai(rename = "DncEntry", rename_all = "camelCase")]
pub struct DncEntryBody {
    #[oai(rename = "_id")]
    pub id: String,
    /// The lowercased address, or for a domain entry the lowercased domain (as SendKit answers).
    pub email: String,
    pub entry_type: Choice<DncKinds>,
    pub reason: Choice<DncReasons>,
    pub workspace_id: String,
    /// Since when it has been on the list: when it was added.
    pub unsubscribed_at: Timestamp,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl DncEntryBody {
    pub fn from_domain(listed: &ListedDncEntry) -> Self {
        let entry = listed.entry();
        Self {
            id: listed.id().to_string(),
            email: entry.value().to_owned(),
            entry_type: entry.kind().into(),
            reason: entry.reason().into(),
            workspace_id: listed.workspace_id().to_string(),
            unsubscribed_at: listed.unsubscribed_at().into(),
            created_at: listed.created_at().into(),
            updated_at: listed.updated_at().into(),
        }
    }
}

/// What deleting an entry answers.
#[derive(Debug, Clone, Object)]
#[oai(rename = "DncEntryDeleted", rename_all = "camelCase")]
pub struct DncEntryDeletedBody {
    pub id: String,
    /// Always `true`.
    pub deleted: bool,
}

//! Timestamps on the wire: RFC 3339, UTC, milliseconds (`2025-06-10T10:30:00.000Z`).

use std::borrow::Cow;

use chrono::{DateTime, SecondsFormat, Utc};
use poem_openapi::registry::{MetaSchema, MetaSchemaRef};
use poem_openapi::types::{ParseError, ParseFromJSON, ParseResult, ToJSON, Type};
use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timestamp(DateTime<Utc>);

impl From<DateTime<Utc>> for Timestamp {
    fn from(at: DateTime<Utc>) -> Self {
        Self(at)
    }
}

impl Timestamp {
    pub fn to_wire(self) -> String {
        self.0.to_rfc3339_opts(SecondsFormat::Millis, true)
    }
}

impl Type for Timestamp {
    const IS_REQUIRED: bool = true;

    type RawValueType = Self;
    type RawElementValueType = Self;

    fn name() -> Cow<'static, str> {
        Cow::Borrowed("string_date-time")
    }

    fn schema_ref() -> MetaSchemaRef {
        MetaSchemaRef::Inline(Box::new(MetaSchema {
            example: Some(Value::from("2025-06-10T10:30:00.000Z")),
            ..MetaSchema::new_with_format("string", "date-time")
        }))
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

impl ParseFromJSON for Timestamp {
    fn parse_from_json(value: Option<Value>) -> ParseResult<Self> {
        let value = value.unwrap_or_default();
        match value.as_str().map(DateTime::parse_from_rfc3339) {
            Some(Ok(at)) => Ok(Self(at.with_timezone(&Utc))),
            _ => Err(ParseError::expected_type(value)),
        }
    }
}

impl ToJSON for Timestamp {
    fn to_json(&self) -> Option<Value> {
        Some(Value::from(self.to_wire()))
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn timestamps_are_utc_with_milliseconds() {
        let at = Utc
            .with_ymd_and_hms(2025, 6, 10, 10, 30, 0)
            .single()
            .expect("a valid date");
        assert_eq!(Timestamp::from(at).to_wire(), "2025-06-10T10:30:00.000Z");
        let later = at + chrono::Duration::microseconds(123_456);
        assert_eq!(Timestamp::from(later).to_wire(), "2025-06-10T10:30:00.123Z");
    }
}

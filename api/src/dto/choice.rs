//! String enums in the OpenAPI document whose values come from the domain's own wire names, so the
//! document cannot drift from what the server accepts and answers.

use std::borrow::Cow;
use std::marker::PhantomData;

use poem_openapi::registry::{MetaSchema, MetaSchemaRef, Registry};
use poem_openapi::types::{
    ParseError, ParseFromJSON, ParseFromParameter, ParseResult, ToJSON, Type,
};
use serde_json::Value;

/// A named list of accepted string values.
pub trait Choices: Send + Sync + 'static {
    /// The schema's name in `components.schemas`.
    const NAME: &'static str;
    const DESCRIPTION: &'static str;
    fn values() -> Vec<&'static str>;
}

/// One of the values of `C`: in answers and query parameters always one of them; in request bodies
/// whatever string was sent (the body is read with serde and the domain judges the value, so that every
/// problem is reported in its own words).
pub struct Choice<C> {
    value: Cow<'static, str>,
    choices: PhantomData<fn() -> C>,
}

impl<C> Choice<C> {
    /// `value` must be one of `C`'s; the callers pass the domain's own `as_str()`.
    pub fn new(value: &'static str) -> Self {
        Self::sent(Cow::Borrowed(value))
    }

    fn sent(value: Cow<'static, str>) -> Self {
        Self {
            value,
            choices: PhantomData,
        }
    }

    pub fn as_str(&self) -> &str {
        &self.value
    }

    /// The value as the domain reads it.
    pub fn into_string(self) -> String {
        self.value.into_owned()
    }
}

impl<C> From<String> for Choice<C> {
    /// A value as a request body held it (the way back from the domain's request).
    fn from(value: String) -> Self {
        Self::sent(Cow::Owned(value))
    }
}

impl<C> serde::Serialize for Choice<C> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.value)
    }
}

impl<'de, C> serde::Deserialize<'de> for Choice<C> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        <String as serde::Deserialize>::deserialize(deserializer).map(Self::from)
    }
}

impl<C> std::fmt::Debug for Choice<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Choice").field(&self.as_str()).finish()
    }
}

impl<C> Clone for Choice<C> {
    fn clone(&self) -> Self {
        Self::sent(self.value.clone())
    }
}

impl<C> PartialEq for Choice<C> {
    fn eq(&self, other: &Self) -> bool {
        self.value == other.value
    }
}

impl<C: Choices> Type for Choice<C> {
    const IS_REQUIRED: bool = true;

    type RawValueType = Self;
    type RawElementValueType = Self;

    fn name() -> Cow<'static, str> {
        Cow::Borrowed(C::NAME)
    }

    fn schema_ref() -> MetaSchemaRef {
        MetaSchemaRef::Reference(C::NAME.to_owned())
    }

    fn register(registry: &mut Registry) {
        registry.create_schema::<Self, _>(C::NAME.to_owned(), |_| MetaSchema {
            description: Some(C::DESCRIPTION),
            enum_items: C::values().into_iter().map(Value::from).collect(),
            ..MetaSchema::new("string")
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

impl<C: Choices> ParseFromJSON for Choice<C> {
    fn parse_from_json(value: Option<Value>) -> ParseResult<Self> {
        let value = value.unwrap_or_default();
        let found = value
            .as_str()
            .and_then(|raw| C::values().into_iter().find(|choice| *choice == raw));
        match found {
            Some(choice) => Ok(Self::new(choice)),
            None => Err(ParseError::expected_type(value)),
        }
    }
}

impl<C: Choices> ParseFromParameter for Choice<C> {
    fn parse_from_parameter(value: &str) -> ParseResult<Self> {
        match C::values().into_iter().find(|choice| *choice == value) {
            Some(choice) => Ok(Self::new(choice)),
            None => Err(ParseError::custom(format!(
                "must be one of {}",
                C::values().join(", ")
            ))),
        }
    }
}

impl<C: Choices> ToJSON for Choice<C> {
    fn to_json(&self) -> Option<Value> {
        Some(Value::from(self.as_str()))
    }
}

/// `Option<Choice<C>>` as the domain reads it: the string sent.
pub fn sent(choice: Option<Choice<impl Choices>>) -> Option<String> {
    choice.map(Choice::into_string)
}

/// `Option<Vec<Choice<C>>>` as the domain reads it.
pub fn sent_each(choices: Option<Vec<Choice<impl Choices>>>) -> Option<Vec<String>> {
    choices.map(|choices| choices.into_iter().map(Choice::into_string).collect())
}

/// The way back: strings as the body held them.
pub fn as_sent<C>(values: Option<Vec<String>>) -> Option<Vec<Choice<C>>> {
    values.map(|values| values.into_iter().map(Choice::from).collect())
}

/// Declares a [`Choices`] whose values are all of a domain wire enum's.
macro_rules! domain_choices {
    ($(#[$doc:meta])* $marker:ident = $domain:ty, $name:literal, $description:literal) => {
        $(#[$doc])*
        #[derive(Debug)]
        pub struct $marker;

        impl $crate::dto::choice::Choices for $marker {
            const NAME: &'static str = $name;
            const DESCRIPTION: &'static str = $description;
            fn values() -> Vec<&'static str> {
                <$domain>::ALL.iter().map(|value| value.as_str()).collect()
            }
        }

        impl From<$domain> for $crate::dto::choice::Choice<$marker> {
            fn from(value: $domain) -> Self {
                Self::new(value.as_str())
            }
        }
    };
}
pub(crate) use domain_choices;

#[cfg(test)]
mod tests {
    use super::*;

    struct Colours;
    impl Choices for Colours {
        const NAME: &'static str = "Colour";
        const DESCRIPTION: &'static str = "A colour.";
        fn values() -> Vec<&'static str> {
            vec!["red", "green"]
        }
    }

    #[test]
    fn the_schema_lists_exactly_the_values() {
        let mut registry = Registry::new();
        Choice::<Colours>::register(&mut registry);
        let schema = &registry.schemas["Colour"];
        assert_eq!(schema.ty, "string");
        assert_eq!(
            schema.enum_items,
            vec![Value::from("red"), Value::from("green")]
        );
    }

    #[test]
    fn only_listed_values_parse() {
        let parsed = Choice::<Colours>::parse_from_json(Some(Value::from("green")));
        assert_eq!(parsed.ok().as_ref().map(Choice::as_str), Some("green"));
        assert!(Choice::<Colours>::parse_from_json(Some(Value::from("blue"))).is_err());
        assert!(Choice::<Colours>::parse_from_json(Some(Value::from(1))).is_err());
    }

    #[test]
    fn only_listed_values_parse_from_a_query_parameter() {
        let parsed = Choice::<Colours>::parse_from_parameter("red");
        assert_eq!(parsed.ok().as_ref().map(Choice::as_str), Some("red"));
        let refused = Choice::<Colours>::parse_from_parameter("Red")
            .err()
            .map(|error| error.into_message())
            .unwrap_or_default();
        assert!(refused.ends_with("must be one of red, green"), "{refused}");
    }
}

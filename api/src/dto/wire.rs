//! Field types of request bodies that document one thing and read a wider one, so that the domain, not
//! the deserialiser, judges the value and reports it with its own words.
//!
//! - [`Required<T>`]: shown as a required `T`; read as "maybe absent" (the domain says it is required).
//! - [`Int<T>`]: shown as the integer type `T` (`uint32`, `uint8`…); read as any 64-bit whole number (the
//!   domain says what range it takes).
//!
//! And [`mapped!`], which maps a DTO and the domain's request into each other from one line per field.

use std::borrow::Cow;
use std::marker::PhantomData;

use poem_openapi::registry::{MetaSchemaRef, Registry};
use poem_openapi::types::{ParseError, ParseFromJSON, ParseResult, ToJSON, Type};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

/// A member the schema marks required, read as `Option` so that a missing one reaches the domain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Required<T>(pub Option<T>);

impl<T> Default for Required<T> {
    fn default() -> Self {
        Self(None)
    }
}

impl<T> From<Option<T>> for Required<T> {
    fn from(value: Option<T>) -> Self {
        Self(value)
    }
}

impl<T: Type> Type for Required<T> {
    const IS_REQUIRED: bool = true;

    type RawValueType = T::RawValueType;
    type RawElementValueType = T::RawElementValueType;

    fn name() -> Cow<'static, str> {
        T::name()
    }

    fn schema_ref() -> MetaSchemaRef {
        T::schema_ref()
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
    }

    fn as_raw_value(&self) -> Option<&Self::RawValueType> {
        self.0.as_ref().and_then(Type::as_raw_value)
    }

    fn raw_element_iter<'a>(
        &'a self,
    ) -> Box<dyn Iterator<Item = &'a Self::RawElementValueType> + 'a> {
        match &self.0 {
            Some(value) => value.raw_element_iter(),
            None => Box::new(std::iter::empty()),
        }
    }

    fn is_none(&self) -> bool {
        self.0.is_none()
    }
}

impl<T: ParseFromJSON> ParseFromJSON for Required<T> {
    fn parse_from_json(value: Option<Value>) -> ParseResult<Self> {
        T::parse_from_json(value)
            .map(|value| Self(Some(value)))
            .map_err(ParseError::propagate)
    }
}

impl<T: ToJSON> ToJSON for Required<T> {
    fn to_json(&self) -> Option<Value> {
        self.0.as_ref().and_then(ToJSON::to_json)
    }
}

/// A whole number documented as the integer type `T` and read as any `i64`.
pub struct Int<T> {
    value: i64,
    documented: PhantomData<fn() -> T>,
}

impl<T> Int<T> {
    pub fn new(value: i64) -> Self {
        Self {
            value,
            documented: PhantomData,
        }
    }

    pub fn get(&self) -> i64 {
        self.value
    }
}

impl<T> From<i64> for Int<T> {
    fn from(value: i64) -> Self {
        Self::new(value)
    }
}

impl<T> From<Int<T>> for i64 {
    fn from(value: Int<T>) -> Self {
        value.value
    }
}

impl<T> std::fmt::Debug for Int<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.value.fmt(f)
    }
}

impl<T> Clone for Int<T> {
    fn clone(&self) -> Self {
        Self::new(self.value)
    }
}

impl<T> PartialEq for Int<T> {
    fn eq(&self, other: &Self) -> bool {
        self.value == other.value
    }
}

impl<T: Type> Type for Int<T> {
    const IS_REQUIRED: bool = true;

    type RawValueType = i64;
    type RawElementValueType = i64;

    fn name() -> Cow<'static, str> {
        T::name()
    }

    fn schema_ref() -> MetaSchemaRef {
        T::schema_ref()
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
    }

    fn as_raw_value(&self) -> Option<&Self::RawValueType> {
        Some(&self.value)
    }

    fn raw_element_iter<'a>(
        &'a self,
    ) -> Box<dyn Iterator<Item = &'a Self::RawElementValueType> + 'a> {
        Box::new(std::iter::once(&self.value))
    }
}

impl<T: Type> ParseFromJSON for Int<T> {
    fn parse_from_json(value: Option<Value>) -> ParseResult<Self> {
        match value.as_ref().and_then(Value::as_i64) {
            Some(number) => Ok(Self::new(number)),
            None => Err(ParseError::expected_type(value.unwrap_or_default())),
        }
    }
}

impl<T: Type> ToJSON for Int<T> {
    fn to_json(&self) -> Option<Value> {
        Some(Value::from(self.value))
    }
}

impl<T> Serialize for Int<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_i64(self.value)
    }
}

impl<'de, T> Deserialize<'de> for Int<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        i64::deserialize(deserializer).map(Self::new)
    }
}

/// `Option<Int<T>>` as the domain reads it.
pub fn whole(value: Option<Int<impl Sized>>) -> Option<i64> {
    value.map(|number| number.get())
}

/// `Option<Vec<Int<T>>>` as the domain reads it.
pub fn wholes<T>(values: Option<Vec<Int<T>>>) -> Option<Vec<i64>> {
    values.map(|values| values.into_iter().map(|number| number.get()).collect())
}

/// The way back: `Option<i64>` as a body member.
pub fn int<T>(value: Option<i64>) -> Option<Int<T>> {
    value.map(Int::new)
}

/// The way back: `Option<Vec<i64>>` as a body member.
pub fn ints<T>(values: Option<Vec<i64>>) -> Option<Vec<Int<T>>> {
    values.map(|values| values.into_iter().map(Int::new).collect())
}

/// `Option<Vec<A>>` mapped item by item.
pub fn each<A, B: From<A>>(items: Option<Vec<A>>) -> Option<Vec<B>> {
    items.map(|items| items.into_iter().map(B::from).collect())
}

/// `Option<A>` mapped.
pub fn nested<A, B: From<A>>(value: Option<A>) -> Option<B> {
    value.map(B::from)
}

/// `From` both ways between a request DTO and the domain's request, from one line per field:
/// `dto_field: conversion` or `dto_field => request_field: conversion`. Both impls destructure their
/// source whole and build their target with a struct literal, so a field added on either side and not
/// listed here does not compile.
///
/// Conversions (DTO side ↔ request side): `same` (`T` ↔ `T`), `int` (`Option<Int<_>>` ↔ `Option<i64>`),
/// `ints` (lists of them), `choice` (`Option<Choice<_>>` ↔ `Option<String>`), `choices` (lists of them),
/// `nested` (`Option<A>` ↔ `Option<B>` by `From`), `each` (lists of them), `required`
/// (`Required<T>` ↔ `Option<T>`), `required_choice`, `required_nested`, `required_each`; and `ignored`:
/// a legacy DTO field the domain never sees (dropped on the way in, absent on the way back).
macro_rules! mapped {
    ($dto:ident <=> $request:ident { $($fields:tt)* }) => {
        $crate::dto::wire::mapped!(@fields $dto $request [] [] $($fields)*);
    };
    (@fields $dto:ident $request:ident [$($done:tt)*] [$($ignored:ident)*]) => {
        $crate::dto::wire::mapped!(@emit $dto $request [$($done)*] [$($ignored)*]);
    };
    (@fields $dto:ident $request:ident [$($done:tt)*] [$($ignored:ident)*]
        $field:ident : ignored $(, $($rest:tt)*)?) => {
        $crate::dto::wire::mapped!(@fields $dto $request [$($done)*] [$($ignored)* $field] $($($rest)*)?);
    };
    (@fields $dto:ident $request:ident [$($done:tt)*] [$($ignored:ident)*]
        $field:ident => $name:ident : $conversion:ident $(, $($rest:tt)*)?) => {
        $crate::dto::wire::mapped!(@fields $dto $request [$($done)* ($field $name $conversion)] [$($ignored)*] $($($rest)*)?);
    };
    (@fields $dto:ident $request:ident [$($done:tt)*] [$($ignored:ident)*]
        $field:ident : $conversion:ident $(, $($rest:tt)*)?) => {
        $crate::dto::wire::mapped!(@fields $dto $request [$($done)* ($field $field $conversion)] [$($ignored)*] $($($rest)*)?);
    };
    (@emit $dto:ident $request:ident [$(($field:ident $name:ident $conversion:ident))*] [$($ignored:ident)*]) => {
        impl From<$dto> for $request {
            fn from(dto: $dto) -> Self {
                let $dto { $($field,)* $($ignored: _,)* } = dto;
                Self { $($name: $crate::dto::wire::mapped!(@in $conversion $field)),* }
            }
        }

        impl From<$request> for $dto {
            fn from(request: $request) -> Self {
                let $request { $($name),* } = request;
                Self {
                    $($field: $crate::dto::wire::mapped!(@out $conversion $name),)*
                    $($ignored: None,)*
                }
            }
        }
    };
    (@in same $value:ident) => { $value };
    (@out same $value:ident) => { $value };
    (@in int $value:ident) => { $crate::dto::wire::whole($value) };
    (@out int $value:ident) => { $crate::dto::wire::int($value) };
    (@in ints $value:ident) => { $crate::dto::wire::wholes($value) };
    (@out ints $value:ident) => { $crate::dto::wire::ints($value) };
    (@in choice $value:ident) => { $crate::dto::choice::sent($value) };
    (@out choice $value:ident) => { $value.map($crate::dto::choice::Choice::from) };
    (@in choices $value:ident) => { $crate::dto::choice::sent_each($value) };
    (@out choices $value:ident) => { $crate::dto::choice::as_sent($value) };
    (@in nested $value:ident) => { $crate::dto::wire::nested($value) };
    (@out nested $value:ident) => { $crate::dto::wire::nested($value) };
    (@in each $value:ident) => { $crate::dto::wire::each($value) };
    (@out each $value:ident) => { $crate::dto::wire::each($value) };
    (@in required $value:ident) => { $value.0 };
    (@out required $value:ident) => { $value.into() };
    (@in required_choice $value:ident) => { $crate::dto::choice::sent($value.0) };
    (@out required_choice $value:ident) => { $value.map($crate::dto::choice::Choice::from).into() };
    (@in required_nested $value:ident) => { $crate::dto::wire::nested($value.0) };
    (@out required_nested $value:ident) => { $crate::dto::wire::nested($value).into() };
    (@in required_each $value:ident) => { $crate::dto::wire::each($value.0) };
    (@out required_each $value:ident) => { $crate::dto::wire::each($value).into() };
}
pub(crate) use mapped;

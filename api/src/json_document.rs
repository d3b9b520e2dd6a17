//! A request body parsed as JSON, with every member name that appears twice in one object.
//!
//! `serde_json::Value` keeps the last of two members with the same name, silently; a client sending
//! `{"name": "a", "name": "b"}` has made a mistake it should hear about. The parse here builds the same
//! value serde_json would (same numbers, same depth limit, the last member kept) and notes each repeated
//! member's JSON Pointer. Pointers are only written out for repeats, so a body without any costs no more
//! than a plain parse.
//!
//! [`BodyOrder`] keeps the body as sent, so that an answer listing problems can list them in the order
//! of the body: the positions are only worked out when there are problems to arrange.

use std::collections::HashMap;
use std::fmt;

use domain::problem::{JsonPointer, ProblemCode, Problems};
use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

/// The body as JSON, and a `duplicate_key` problem for each member name repeated within an object.
pub(crate) fn parse(bytes: &[u8]) -> serde_json::Result<(Value, Problems)> {
    let mut duplicates = Vec::new();
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = Node {
        place: &Place::Root,
        duplicates: &mut duplicates,
    }
    .deserialize(&mut deserializer)?;
    deserializer.end()?;
    let mut problems = Problems::new();
    for (at, name) in duplicates {
        problems.add(
            at,
            ProblemCode::DuplicateKey,
            format!("{name} appears more than once in this object; send each member once"),
        );
    }
    Ok((value, problems))
}

/// The body as sent, to list problems in its order.
#[derive(Debug, Clone, Default)]
pub(crate) struct BodyOrder {
    bytes: Vec<u8>,
}

impl BodyOrder {
    pub(crate) fn of(bytes: &[u8]) -> Self {
        Self {
            bytes: bytes.to_vec(),
        }
    }

    /// Where each JSON Pointer stands in the body: its rank in document order (a member before its
    /// own members, which come before its next sibling). A pointer to something the body does not hold
    /// (a missing required member) stands where its nearest present ancestor does, before that
    /// ancestor's members.
    pub(crate) fn positions(&self) -> Positions {
        let mut ranks = HashMap::new();
        if let Ok(value) = serde_json::from_slice::<Value>(&self.bytes) {
            rank(&value, String::new(), &mut ranks);
        }
        Positions { ranks }
    }
}

/// The positions of one body's values; see [`BodyOrder::positions`].
#[derive(Debug)]
pub(crate) struct Positions {
    ranks: HashMap<String, usize>,
}

impl Positions {
    pub(crate) fn of(&self, pointer: &str) -> usize {
        let mut place = pointer;
        loop {
            if let Some(rank) = self.ranks.get(place) {
                return *rank;
            }
            match place.rsplit_once('/') {
                Some((parent, _)) => place = parent,
                None => return 0,
            }
        }
    }
}

fn rank(value: &Value, pointer: String, ranks: &mut HashMap<String, usize>) {
    let next = ranks.len();
    ranks.insert(pointer.clone(), next);
    match value {
        Value::Object(members) => {
            for (name, member) in members {
                let escaped = name.replace('~', "~0").replace('/', "~1");
                rank(member, format!("{pointer}/{escaped}"), ranks);
            }
        }
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                rank(item, format!("{pointer}/{index}"), ranks);
            }
        }
        _ => {}
    }
}

/// Where a value stands, as a chain of borrowed steps up to the root: a walk over a body can carry one
/// at every value and write a JSON Pointer out only for a value it reports.
pub(crate) enum Place<'p> {
    Root,
    Member(&'p Place<'p>, &'p str),
    Item(&'p Place<'p>, usize),
}

impl Place<'_> {
    pub(crate) fn pointer(&self) -> JsonPointer {
        match self {
            Place::Root => JsonPointer::root(),
            Place::Member(parent, name) => parent.pointer().field(name),
            Place::Item(parent, index) => parent.pointer().index(*index),
        }
    }

    /// `"name "` for a member, nothing for a list item or the whole body: how a problem's message
    /// starts.
    pub(crate) fn subject(&self) -> String {
        match self {
            Place::Member(_, name) if !name.is_empty() && name.parse::<usize>().is_err() => {
                format!("{name} ")
            }
            _ => String::new(),
        }
    }
}

/// Reads one value at `place`.
struct Node<'p, 'd> {
    place: &'p Place<'p>,
    duplicates: &'d mut Vec<(JsonPointer, String)>,
}

impl<'de> DeserializeSeed<'de> for Node<'_, '_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Node<'_, '_> {
    type Value = Value;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("any JSON value")
    }

    fn visit_bool<E>(self, value: bool) -> Result<Value, E> {
        Ok(Value::Bool(value))
    }

    fn visit_i64<E>(self, value: i64) -> Result<Value, E> {
        Ok(Value::from(value))
    }

    fn visit_u64<E>(self, value: u64) -> Result<Value, E> {
        Ok(Value::from(value))
    }

    fn visit_f64<E>(self, value: f64) -> Result<Value, E> {
        Ok(Value::from(value))
    }

    fn visit_str<E>(self, value: &str) -> Result<Value, E> {
        Ok(Value::String(value.to_owned()))
    }

    fn visit_string<E>(self, value: String) -> Result<Value, E> {
        Ok(Value::String(value))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut items: A) -> Result<Value, A::Error> {
        let mut values = Vec::with_capacity(items.size_hint().unwrap_or(0));
        loop {
            let place = Place::Item(self.place, values.len());
            let item = Node {
                place: &place,
                duplicates: &mut *self.duplicates,
            };
            match items.next_element_seed(item)? {
                Some(value) => values.push(value),
                None => return Ok(Value::Array(values)),
            }
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut members: A) -> Result<Value, A::Error> {
        let mut object = Map::new();
        while let Some(name) = members.next_key::<String>()? {
            let place = Place::Member(self.place, &name);
            let value = members.next_value_seed(Node {
                place: &place,
                duplicates: &mut *self.duplicates,
            })?;
            if object.contains_key(&name) {
                self.duplicates.push((place.pointer(), name.clone()));
            }
            object.insert(name, value);
        }
        Ok(Value::Object(object))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn duplicates_of(body: &str) -> Vec<(String, ProblemCode)> {
        let (_, problems) = parse(body.as_bytes()).expect("JSON");
        problems
            .iter()
            .map(|problem| (problem.pointer().to_string(), problem.code()))
            .collect()
    }

    #[test]
    fn a_member_repeated_in_one_object_is_a_duplicate_key_at_its_pointer() {
        assert_eq!(
            duplicates_of(r#"{"name": "a", "name": "b"}"#),
            [("/name".to_owned(), ProblemCode::DuplicateKey)]
        );
        assert_eq!(
            duplicates_of(
                r#"{"settings": {"webhook": {"url": "x", "url": "y"}}, "sequence": [{}, {"type": "email", "type": "wait"}]}"#
            ),
            [
                (
                    "/settings/webhook/url".to_owned(),
                    ProblemCode::DuplicateKey
                ),
                ("/sequence/1/type".to_owned(), ProblemCode::DuplicateKey),
            ]
        );
    }

    #[test]
    fn the_same_name_in_different_objects_is_not_a_duplicate() {
        assert!(
            duplicates_of(
                r#"{"name": "a", "settings": {"name": 1}, "list": [{"name": 2}, {"name": 3}]}"#
            )
            .is_empty()
        );
    }

    #[test]
    fn the_value_is_what_serde_json_reads() {
        for body in [
            r#"{"a": [1, -2, 3.5, 18446744073709551615, "x", null, true, {"b": {}}], "c": "é\u0041"}"#,
            "[]",
            "null",
            "-0",
            "1e400",
        ] {
            let plain: serde_json::Result<Value> = serde_json::from_str(body);
            match plain {
                Ok(plain) => assert_eq!(parse(body.as_bytes()).expect("JSON").0, plain, "{body}"),
                Err(_) => assert!(parse(body.as_bytes()).is_err(), "{body}"),
            }
        }
        let (kept, _) = parse(br#"{"name": "a", "name": "b"}"#).expect("JSON");
        assert_eq!(
            kept,
            json!({"name": "b"}),
            "the last member is kept, as serde_json does"
        );
    }

    #[test]
    fn broken_json_and_trailing_text_are_errors() {
        for body in [&b"{"[..], b"{\"a\": 1} x", b"[1,]", b""] {
            assert!(parse(body).is_err(), "{body:?}");
        }
    }

    #[test]
    fn positions_follow_the_body_and_a_missing_member_stands_with_its_parent() {
        let order = BodyOrder::of(
            br#"{"settings": {"cc": [1], "trackOpens": "x"}, "name": "", "a/b": 1, "sequence": [{"body": 1}, {}]}"#,
        );
        let positions = order.positions();
        let mut pointers = vec![
            "/sequence/1/subject",
            "/name",
            "/settings/trackOpens",
            "/a~1b",
            "/settings/cc/0",
            "/sequence/0/body",
            "/missing",
        ];
        pointers.sort_by_key(|pointer| positions.of(pointer));
        assert_eq!(
            pointers,
            [
                "/missing",
                "/settings/cc/0",
                "/settings/trackOpens",
                "/name",
                "/a~1b",
                "/sequence/0/body",
                "/sequence/1/subject",
            ]
        );
    }

    #[test]
    fn the_depth_limit_is_serde_jsons() {
        let nested = |depth: usize| format!("{}1{}", "[".repeat(depth), "]".repeat(depth));
        assert!(parse(nested(127).as_bytes()).is_ok());
        assert!(parse(nested(128).as_bytes()).is_err());
    }
}

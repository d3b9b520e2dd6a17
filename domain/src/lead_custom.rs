//! A lead's `customFields` (LEADS.md section 1): at most 100 keys matching `[A-Za-z_][A-Za-z0-9_]*`,
//! none named like a standard field, each value a string, number, boolean or null whose text is at most
//! 2,000 characters.

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;

use crate::lead_field::is_reserved_lead_name;
use crate::problem::{Invalid, JsonPointer, ProblemCode, Problems};
use crate::text::{Lines, char_count, refuse_controls};

/// The most custom fields one lead holds.
pub const MAX_CUSTOM_FIELDS: usize = 100;
/// The longest text of one custom value.
pub const MAX_CUSTOM_VALUE_CHARS: usize = 2_000;
/// The longest custom field name (our limit; the contract sets none). A name becomes a message variable
/// (`{{lastFunding}}`), and no one writes a longer one.
pub const MAX_CUSTOM_KEY_CHARS: usize = 100;

/// A JSON number, kept as its text so that no digit is lost (`12345678901234567890`, `0.10`): what
/// the client sent is what is stored and rendered.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CustomNumber(String);

impl CustomNumber {
    /// Parses the text of a JSON number (RFC 8259 section 6: `-?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?`).
    pub fn parse(text: &str) -> Result<CustomNumber, Invalid> {
        if is_json_number(text) {
            Ok(CustomNumber(text.to_owned()))
        } else {
            Err(Invalid::new(
                ProblemCode::InvalidFormat,
                "must be a JSON number",
            ))
        }
    }

    /// A finite `f64` in Rust's shortest round-trip spelling; `None` for NaN and infinities, which JSON
    /// cannot carry.
    pub fn from_f64(number: f64) -> Option<CustomNumber> {
        number.is_finite().then(|| CustomNumber(number.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<i64> for CustomNumber {
    fn from(number: i64) -> Self {
        CustomNumber(number.to_string())
    }
}

impl From<u64> for CustomNumber {
    fn from(number: u64) -> Self {
        CustomNumber(number.to_string())
    }
}

fn is_json_number(text: &str) -> bool {
    let bytes = text.as_bytes();
    let mut at = usize::from(bytes.first() == Some(&b'-'));
    let digits = |from: usize| {
        bytes[from..]
            .iter()
            .take_while(|byte| byte.is_ascii_digit())
            .count()
    };
    let integer = digits(at);
    if integer == 0 || (integer > 1 && bytes[at] == b'0') {
        return false;
    }
    at += integer;
    if bytes.get(at) == Some(&b'.') {
        let fraction = digits(at + 1);
        if fraction == 0 {
            return false;
        }
        at += 1 + fraction;
    }
    if matches!(bytes.get(at), Some(b'e' | b'E')) {
        at += 1;
        if matches!(bytes.get(at), Some(b'+' | b'-')) {
            at += 1;
        }
        let exponent = digits(at);
        if exponent == 0 {
            return false;
        }
        at += exponent;
    }
    at == bytes.len()
}

/// One custom value as JSON gives it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum CustomValue {
    Text(String),
    Number(CustomNumber),
    Boolean(bool),
    Null,
}

impl CustomValue {
    /// The value as a message renders it: the text, the number as written, `true`/`false`, and nothing
    /// for null.
    pub fn rendered(&self) -> Cow<'_, str> {
        match self {
            Self::Text(text) => Cow::Borrowed(text),
            Self::Number(number) => Cow::Borrowed(number.as_str()),
            Self::Boolean(true) => Cow::Borrowed("true"),
            Self::Boolean(false) => Cow::Borrowed("false"),
            Self::Null => Cow::Borrowed(""),
        }
    }

    /// Whether data cleanup drops it: null, or a text that is empty after trimming.
    pub fn is_blank(&self) -> bool {
        match self {
            Self::Text(text) => text.trim().is_empty(),
            Self::Null => true,
            Self::Number(_) | Self::Boolean(_) => false,
        }
    }

    /// Its rendered text is at most 2,000 characters, and a text holds no control character but line
    /// breaks and tabs: a custom field may hold a paragraph for a message body, never a NUL (which
    /// PostgreSQL cannot store). The renderer keeps line breaks out of headers (SENDING.md section 3).
    fn check(&self) -> Result<(), Invalid> {
        if char_count(&self.rendered()) > MAX_CUSTOM_VALUE_CHARS {
            return Err(Invalid::new(
                ProblemCode::TooLong,
                format!("must be at most {MAX_CUSTOM_VALUE_CHARS} characters as text"),
            ));
        }
        if let Self::Text(text) = self {
            refuse_controls(text, Lines::Many)?;
        }
        Ok(())
    }
}

/// The name of a custom field: `[A-Za-z_][A-Za-z0-9_]*`, 1–100 characters, not a reserved name (see
/// [`is_reserved_lead_name`]). Names are case-sensitive among custom fields (`Region` and `region` are
/// two fields), as JSON member names are.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CustomFieldKey(String);

impl CustomFieldKey {
    /// Parses a name exactly as given (nothing is trimmed).
    pub fn parse(raw: &str) -> Result<CustomFieldKey, Invalid> {
        let mut characters = raw.chars();
        let shaped = characters
            .next()
            .is_some_and(|first| first.is_ascii_alphabetic() || first == '_')
            && characters.all(|rest| rest.is_ascii_alphanumeric() || rest == '_');
        if !shaped {
            return Err(Invalid::new(
                ProblemCode::InvalidFormat,
                "must start with a letter or _ and hold only ASCII letters, digits and _",
            ));
        }
        if raw.len() > MAX_CUSTOM_KEY_CHARS {
            return Err(Invalid::new(
                ProblemCode::TooLong,
                format!("must be at most {MAX_CUSTOM_KEY_CHARS} characters"),
            ));
        }
        if is_reserved_lead_name(raw) {
            return Err(Invalid::new(
                ProblemCode::NotAllowed,
                "is the name of a standard lead field (names compare ignoring case); use the field itself or another name",
            ));
        }
        Ok(CustomFieldKey(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CustomFieldKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A lead's custom fields, in the order given, each name once.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CustomFields(Vec<(CustomFieldKey, CustomValue)>);

/// Where the custom fields of one lead come from, each located for its problems.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CustomFieldSources<'a> {
    /// The `customFields` object: each at `{lead}/customFields/{key}`.
    pub(crate) object: Option<&'a [(String, CustomValue)]>,
    /// Members of a bulk object that are not standard fields: each at `{lead}/{key}`.
    pub(crate) members: &'a [(String, CustomValue)],
}

impl CustomFields {
    /// Parses the custom fields of one lead at `lead` (the lead object's pointer), reporting every problem.
    pub(crate) fn parse(
        sources: CustomFieldSources<'_>,
        lead: &JsonPointer,
        problems: &mut Problems,
    ) -> Option<CustomFields> {
        let object_at = lead.field("customFields");
        let located = sources
            .object
            .unwrap_or_default()
            .iter()
            .map(|(key, value)| (key, value, object_at.field(key)))
            .chain(
                sources
                    .members
                    .iter()
                    .map(|(key, value)| (key, value, lead.field(key))),
            );
        let before = problems.len();
        let count = sources.object.map_or(0, <[_]>::len) + sources.members.len();
        if count > MAX_CUSTOM_FIELDS {
            problems.add(
                object_at.clone(),
                ProblemCode::TooMany,
                format!("a lead has at most {MAX_CUSTOM_FIELDS} custom fields, not {count}"),
            );
        }
        let mut seen = HashSet::new();
        let mut fields = Vec::with_capacity(count);
        for (raw, value, at) in located {
            let key = problems.check(
                CustomFieldKey::parse(raw).map_err(|invalid| {
                    Invalid::new(
                        invalid.code,
                        format!("custom field name {raw:?} {}", invalid.message),
                    )
                }),
                at.clone(),
            );
            let value = problems.check(
                value.check().map(|()| value.clone()).map_err(|invalid| {
                    Invalid::new(
                        invalid.code,
                        format!("custom field {raw:?} {}", invalid.message),
                    )
                }),
                at.clone(),
            );
            if !seen.insert(raw.as_str()) {
                problems.add(
                    at,
                    ProblemCode::Duplicate,
                    format!("custom field {raw:?} is given more than once"),
                );
                continue;
            }
            if let (Some(key), Some(value)) = (key, value) {
                fields.push((key, value));
            }
        }
        (problems.len() == before).then_some(CustomFields(fields))
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The fields in the order given.
    pub fn iter(&self) -> impl Iterator<Item = (&CustomFieldKey, &CustomValue)> + '_ {
        self.0.iter().map(|(key, value)| (key, value))
    }

    /// The value of the field named exactly `key`.
    pub fn get(&self, key: &str) -> Option<&CustomValue> {
        self.0
            .iter()
            .find(|(name, _)| name.as_str() == key)
            .map(|(_, value)| value)
    }

    /// The fields in request form, for storage and merges.
    pub fn to_request(&self) -> Vec<(String, CustomValue)> {
        self.0
            .iter()
            .map(|(key, value)| (key.as_str().to_owned(), value.clone()))
            .collect()
    }
}

/// `entries` with `changes` laid over them key by key: a changed key keeps its place, a new one goes
/// last, and with [`NullMeans::Remove`] a null removes the key (RFC 7386) where with
/// [`NullMeans::Keep`] it changes nothing.
pub(crate) fn merge_custom_entries(
    entries: &mut Vec<(String, CustomValue)>,
    changes: &[(String, CustomValue)],
    null: NullMeans,
) {
    for (key, value) in changes {
        let place = entries.iter().position(|(name, _)| name == key);
        match (value, null, place) {
            (CustomValue::Null, NullMeans::Remove, Some(place)) => {
                entries.remove(place);
            }
            (CustomValue::Null, _, _) => {}
            (value, _, Some(place)) => entries[place].1 = value.clone(),
            (value, _, None) => entries.push((key.clone(), value.clone())),
        }
    }
}

/// What a null custom value does in a merge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NullMeans {
    /// RFC 7386: the key goes (`PATCH /v1/leads/{id}`).
    Remove,
    /// Nothing: a bulk update only adds and overwrites.
    Keep,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(value: &str) -> CustomValue {
        CustomValue::Text(value.to_owned())
    }

    fn parse(
        object: Option<&[(String, CustomValue)]>,
        members: &[(String, CustomValue)],
    ) -> Result<CustomFields, Vec<(String, ProblemCode)>> {
        let mut problems = Problems::new();
        let parsed = CustomFields::parse(
            CustomFieldSources { object, members },
            &JsonPointer::root().field("leads").index(3),
            &mut problems,
        );
        match parsed {
            Some(fields) if problems.is_empty() => Ok(fields),
            _ => Err(problems
                .iter()
                .map(|problem| (problem.pointer().to_string(), problem.code()))
                .collect()),
        }
    }

    #[test]
    fn custom_field_key_follows_the_identifier_pattern() {
        let cases = [
            ("lastFunding", Ok(())),
            ("_private", Ok(())),
            ("a", Ok(())),
            ("A1_b2", Ok(())),
            ("first_name", Ok(())),
            ("", Err(ProblemCode::InvalidFormat)),
            ("1st", Err(ProblemCode::InvalidFormat)),
            ("last funding", Err(ProblemCode::InvalidFormat)),
            ("last-funding", Err(ProblemCode::InvalidFormat)),
            ("a.b", Err(ProblemCode::InvalidFormat)),
            ("é", Err(ProblemCode::InvalidFormat)),
            (" a", Err(ProblemCode::InvalidFormat)),
            ("email", Err(ProblemCode::NotAllowed)),
            ("FirstName", Err(ProblemCode::NotAllowed)),
            ("_id", Err(ProblemCode::NotAllowed)),
            ("company", Err(ProblemCode::NotAllowed)),
        ];
        for (raw, expected) in cases {
            assert_eq!(
                CustomFieldKey::parse(raw)
                    .map(|_| ())
                    .map_err(|invalid| invalid.code),
                expected,
                "{raw:?}"
            );
        }
    }

    #[test]
    fn custom_field_key_of_100_characters_is_accepted_and_101_refused() {
        assert!(CustomFieldKey::parse(&"k".repeat(MAX_CUSTOM_KEY_CHARS)).is_ok());
        assert_eq!(
            CustomFieldKey::parse(&"k".repeat(MAX_CUSTOM_KEY_CHARS + 1)).map_err(|i| i.code),
            Err(ProblemCode::TooLong)
        );
    }

    #[test]
    fn custom_number_accepts_exactly_the_json_number_grammar() {
        for valid in [
            "0",
            "-0",
            "42",
            "-17",
            "3.25",
            "0.10",
            "1e5",
            "1E+5",
            "2.5e-3",
            "12345678901234567890123",
        ] {
            assert_eq!(
                CustomNumber::parse(valid).map(|n| n.as_str().to_owned()),
                Ok(valid.to_owned())
            );
        }
        for invalid in [
            "", "-", "01", "+1", "1.", ".5", "1e", "1e+", "0x10", "NaN", "Infinity", " 1", "1 ",
            "1.5.2", "--1",
        ] {
            assert!(CustomNumber::parse(invalid).is_err(), "{invalid:?}");
        }
    }

    #[test]
    fn custom_numbers_from_rust_numbers_are_json_numbers() {
        assert_eq!(CustomNumber::from(-5_i64).as_str(), "-5");
        assert_eq!(
            CustomNumber::from(u64::MAX).as_str(),
            "18446744073709551615"
        );
        for number in [0.1, -2.5, 1e300, 1e-300, 3.0, -0.0] {
            let custom = CustomNumber::from_f64(number).expect("finite");
            assert!(is_json_number(custom.as_str()), "{}", custom.as_str());
        }
        assert_eq!(CustomNumber::from_f64(f64::NAN), None);
        assert_eq!(CustomNumber::from_f64(f64::INFINITY), None);
    }

    #[test]
    fn custom_values_render_as_text() {
        let cases = [
            (text("Series B"), "Series B"),
            (
                CustomValue::Number(CustomNumber::parse("1.50").expect("number")),
                "1.50",
            ),
            (CustomValue::Boolean(true), "true"),
            (CustomValue::Boolean(false), "false"),
            (CustomValue::Null, ""),
        ];
        for (value, rendered) in cases {
            assert_eq!(value.rendered(), rendered);
        }
    }

    #[test]
    fn custom_fields_keep_order_and_locate_problems_by_source() {
        let object = [
            ("lastFunding".to_owned(), text("Series B")),
            ("employees".to_owned(), CustomValue::Number(42_i64.into())),
        ];
        let members = [("vip".to_owned(), CustomValue::Boolean(true))];
        let fields = parse(Some(&object), &members).expect("valid");
        let keys: Vec<&str> = fields.iter().map(|(key, _)| key.as_str()).collect();
        assert_eq!(keys, ["lastFunding", "employees", "vip"]);
        assert_eq!(fields.get("vip"), Some(&CustomValue::Boolean(true)));
        assert_eq!(fields.get("VIP"), None);

        let object = [("bad key".to_owned(), text("x"))];
        let members = [("Email".to_owned(), text("x"))];
        assert_eq!(
            parse(Some(&object), &members),
            Err(vec![
                (
                    "/leads/3/customFields/bad key".to_owned(),
                    ProblemCode::InvalidFormat
                ),
                ("/leads/3/Email".to_owned(), ProblemCode::NotAllowed),
            ])
        );
    }

    #[test]
    fn custom_field_given_as_member_and_in_the_object_is_a_duplicate() {
        let object = [("region".to_owned(), text("EMEA"))];
        let members = [("region".to_owned(), text("APAC"))];
        assert_eq!(
            parse(Some(&object), &members),
            Err(vec![("/leads/3/region".to_owned(), ProblemCode::Duplicate)])
        );
        let members = [("Region".to_owned(), text("APAC"))];
        assert!(
            parse(Some(&object), &members).is_ok(),
            "names are case-sensitive among custom fields"
        );
    }

    #[test]
    fn custom_fields_hold_at_most_100_keys() {
        let hundred: Vec<(String, CustomValue)> = (0..MAX_CUSTOM_FIELDS)
            .map(|index| (format!("f{index}"), CustomValue::Null))
            .collect();
        assert_eq!(parse(Some(&hundred), &[]).map(|f| f.len()), Ok(100));
        let extra = [("one_more".to_owned(), CustomValue::Null)];
        assert_eq!(
            parse(Some(&hundred), &extra),
            Err(vec![(
                "/leads/3/customFields".to_owned(),
                ProblemCode::TooMany
            )])
        );
    }

    #[test]
    fn custom_value_text_is_at_most_2000_characters_without_control_characters() {
        let cases = [
            (text(&"é".repeat(MAX_CUSTOM_VALUE_CHARS)), Ok(())),
            (text("line one\nline two\ttabbed"), Ok(())),
            (
                text(&"x".repeat(MAX_CUSTOM_VALUE_CHARS + 1)),
                Err(ProblemCode::TooLong),
            ),
            (text("nul\u{0}here"), Err(ProblemCode::InvalidFormat)),
            (text("esc\u{1b}"), Err(ProblemCode::InvalidFormat)),
            (
                CustomValue::Number(
                    CustomNumber::parse(&"9".repeat(MAX_CUSTOM_VALUE_CHARS + 1)).expect("number"),
                ),
                Err(ProblemCode::TooLong),
            ),
        ];
        for (value, expected) in cases {
            let members = [("notes".to_owned(), value)];
            let outcome = parse(None, &members)
                .map(|_| ())
                .map_err(|problems| problems[0].1);
            assert_eq!(outcome, expected);
        }
    }

    #[test]
    fn merging_custom_entries_overwrites_in_place_appends_and_handles_null() {
        let stored = vec![
            ("a".to_owned(), text("1")),
            ("b".to_owned(), text("2")),
            ("c".to_owned(), text("3")),
        ];
        let changes = [
            ("b".to_owned(), text("two")),
            ("c".to_owned(), CustomValue::Null),
            ("d".to_owned(), text("4")),
            ("e".to_owned(), CustomValue::Null),
        ];
        let mut removed = stored.clone();
        merge_custom_entries(&mut removed, &changes, NullMeans::Remove);
        assert_eq!(
            removed,
            [
                ("a".to_owned(), text("1")),
                ("b".to_owned(), text("two")),
                ("d".to_owned(), text("4")),
            ]
        );
        let mut kept = stored;
        merge_custom_entries(&mut kept, &changes, NullMeans::Keep);
        assert_eq!(
            kept,
            [
                ("a".to_owned(), text("1")),
                ("b".to_owned(), text("two")),
                ("c".to_owned(), text("3")),
                ("d".to_owned(), text("4")),
            ]
        );
    }
}

//! Problems found in a request, each located by an RFC 6901 JSON Pointer.
//!
//! Parsing never stops at the first mistake: constructors push every problem they find into a
//! [`Problems`] list, so a client gets all of its mistakes in one answer.

use std::fmt;

/// A stable, machine-readable classification of one problem (`errors[].code` on the wire).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProblemCode {
    /// A required value is absent.
    Required,
    /// A text is empty or only white space where content is needed.
    Blank,
    /// A text or list is longer than allowed.
    TooLong,
    /// A text is shorter than allowed.
    TooShort,
    /// A number lies outside its allowed range.
    OutOfRange,
    /// A text does not have the required shape (an address, a time, an id…).
    InvalidFormat,
    /// A value is not one of the accepted values.
    InvalidValue,
    /// A field is not allowed here (it belongs to another kind of object, or is server-assigned).
    NotAllowed,
    /// A value repeats where values must be unique.
    Duplicate,
    /// A list has more items than allowed.
    TooMany,
    /// A list has fewer items than needed.
    TooFew,
    /// Step orders are inconsistent or not exactly `0..n-1`.
    InvalidOrder,
    /// A sequence breaks a structure rule (starts or ends wrongly, waits back to back…).
    InvalidStructure,
    /// A referenced mailbox is not a mailbox of the workspace.
    MailboxNotFound,
    /// A referenced AI agent is not an agent of the workspace.
    AgentNotFound,
    /// A JSON field that the request type does not define.
    UnknownField,
    /// A JSON value of the wrong type (a string where a number belongs…).
    InvalidType,
    /// A member name that appears twice in one JSON object.
    DuplicateKey,
}

impl ProblemCode {
    /// The slug clients match on. Never change an existing one.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Required => "required",
            Self::Blank => "blank",
            Self::TooLong => "too_long",
            Self::TooShort => "too_short",
            Self::OutOfRange => "out_of_range",
            Self::InvalidFormat => "invalid_format",
            Self::InvalidValue => "invalid_value",
            Self::NotAllowed => "not_allowed",
            Self::Duplicate => "duplicate",
            Self::TooMany => "too_many",
            Self::TooFew => "too_few",
            Self::InvalidOrder => "invalid_order",
            Self::InvalidStructure => "invalid_structure",
            Self::MailboxNotFound => "mailbox_not_found",
            Self::AgentNotFound => "agent_not_found",
            Self::UnknownField => "unknown_field",
            Self::InvalidType => "invalid_type",
            Self::DuplicateKey => "duplicate_key",
        }
    }
}

impl fmt::Display for ProblemCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An RFC 6901 JSON Pointer into the request body (`""` is the whole document).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct JsonPointer(String);

impl JsonPointer {
    /// The pointer to the whole document.
    pub fn root() -> Self {
        Self(String::new())
    }

    /// The pointer to member `name` of the object this pointer locates.
    pub fn field(&self, name: &str) -> Self {
        let mut pointer = String::with_capacity(self.0.len() + name.len() + 1);
        pointer.push_str(&self.0);
        pointer.push('/');
        for character in name.chars() {
            match character {
                '~' => pointer.push_str("~0"),
                '/' => pointer.push_str("~1"),
                other => pointer.push(other),
            }
        }
        Self(pointer)
    }

    /// The pointer to element `index` of the array this pointer locates.
    pub fn index(&self, index: usize) -> Self {
        Self(format!("{}/{index}", self.0))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this pointer locates `ancestor` itself or something inside it.
    pub fn is_within(&self, ancestor: &JsonPointer) -> bool {
        match self.0.strip_prefix(&ancestor.0) {
            Some(rest) => rest.is_empty() || rest.starts_with('/'),
            None => false,
        }
    }
}

impl fmt::Display for JsonPointer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Why one value was refused, before it is given a place in the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    pub code: ProblemCode,
    pub message: String,
}

impl Invalid {
    pub fn new(code: ProblemCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    /// Gives the refusal its place in the request.
    pub fn at(self, pointer: JsonPointer) -> Problem {
        Problem {
            pointer,
            code: self.code,
            message: self.message,
        }
    }
}

/// One problem of a request: where, what kind, and a sentence for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pointer: JsonPointer,
    code: ProblemCode,
    message: String,
}

impl Problem {
    pub fn new(pointer: JsonPointer, code: ProblemCode, message: impl Into<String>) -> Self {
        Self {
            pointer,
            code,
            message: message.into(),
        }
    }

    pub fn pointer(&self) -> &JsonPointer {
        &self.pointer
    }

    pub fn code(&self) -> ProblemCode {
        self.code
    }

    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}) at '{}'", self.message, self.code, self.pointer)
    }
}

/// The problems of a list, found ones first.
pub type ProblemsIter<'a> =
    std::iter::Chain<std::slice::Iter<'a, Problem>, std::slice::Iter<'a, Problem>>;

/// Every problem found in one request, in the order they were found.
///
/// A problem may also be held back as a *fallback* ([`Problems::add_fallback`]): it counts only where
/// the checks that follow (see [`Problems::followed_by`]) report nothing at or around its place. The
/// edge's schema validators are such fallbacks: the domain's own rules, with their own words, come first.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Problems {
    found: Vec<Problem>,
    fallbacks: Vec<Problem>,
}

impl Problems {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&mut self, problem: Problem) {
        self.found.push(problem);
    }

    /// Records a problem at `pointer`.
    pub fn add(&mut self, pointer: JsonPointer, code: ProblemCode, message: impl Into<String>) {
        self.found.push(Problem::new(pointer, code, message));
    }

    /// Holds `problem` back until the checks that follow have spoken: it is reported only if none of
    /// theirs (nor of these) is at or around its place.
    pub fn add_fallback(&mut self, problem: Problem) {
        self.fallbacks.push(problem);
    }

    pub fn extend(&mut self, other: Problems) {
        self.found.extend(other.found);
        self.fallbacks.extend(other.fallbacks);
    }

    /// Keeps the value of `result`, or records its problem at `pointer` and yields `None`.
    pub fn check<T>(&mut self, result: Result<T, Invalid>, pointer: JsonPointer) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(invalid) => {
                self.push(invalid.at(pointer));
                None
            }
        }
    }

    /// Keeps the value of `result`, or takes over all of its problems and yields `None`.
    pub fn absorb<T>(&mut self, result: Result<T, Problems>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(problems) => {
                self.extend(problems);
                None
            }
        }
    }

    /// These problems (found first, e.g. by the JSON edge) followed by those of `later` that are not
    /// within a place already reported: a field the edge could not read gets one problem, not two.
    /// The fallbacks of both are still held back (see [`Problems::ahead_of`]).
    pub fn followed_by(mut self, later: Problems) -> Problems {
        let reported: Vec<JsonPointer> = self
            .found
            .iter()
            .map(|problem| problem.pointer.clone())
            .collect();
        self.found.extend(later.found.into_iter().filter(|problem| {
            !reported
                .iter()
                .any(|place| problem.pointer.is_within(place))
        }));
        self.fallbacks.extend(later.fallbacks);
        self
    }

    /// `parsed`, unless these problems (found first) or its own make it invalid: then all of them,
    /// these first, as [`Problems::followed_by`] merges them, and last the fallbacks of both, each only
    /// if no problem reported by then lies at, within or around its place.
    pub fn ahead_of<T>(self, parsed: Result<T, Problems>) -> Result<T, Problems> {
        match parsed {
            Ok(value) if self.is_empty() => Ok(value),
            parsed => Err(self
                .followed_by(parsed.err().unwrap_or_default())
                .fallbacks_settled()),
        }
    }

    /// Each fallback that no found problem overlaps becomes a found one, after them; the others go.
    fn fallbacks_settled(mut self) -> Problems {
        for fallback in std::mem::take(&mut self.fallbacks) {
            let overlaps = self.found.iter().any(|problem| {
                fallback.pointer.is_within(&problem.pointer)
                    || problem.pointer.is_within(&fallback.pointer)
            });
            if !overlaps {
                self.found.push(fallback);
            }
        }
        self
    }

    pub fn is_empty(&self) -> bool {
        self.found.is_empty() && self.fallbacks.is_empty()
    }

    pub fn len(&self) -> usize {
        self.found.len() + self.fallbacks.len()
    }

    /// The problems found, then the fallbacks still held back.
    pub fn iter(&self) -> ProblemsIter<'_> {
        self.found.iter().chain(self.fallbacks.iter())
    }

    /// `Ok(value)` when nothing was recorded, else every problem.
    pub fn into_result<T>(self, value: impl FnOnce() -> T) -> Result<T, Problems> {
        if self.is_empty() {
            Ok(value())
        } else {
            Err(self)
        }
    }
}

impl IntoIterator for Problems {
    type Item = Problem;
    type IntoIter = std::iter::Chain<std::vec::IntoIter<Problem>, std::vec::IntoIter<Problem>>;

    fn into_iter(self) -> Self::IntoIter {
        self.found.into_iter().chain(self.fallbacks)
    }
}

impl<'a> IntoIterator for &'a Problems {
    type Item = &'a Problem;
    type IntoIter = ProblemsIter<'a>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl From<Problem> for Problems {
    fn from(problem: Problem) -> Self {
        Self {
            found: vec![problem],
            fallbacks: Vec::new(),
        }
    }
}

impl fmt::Display for Problems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.len() {
            1 => f.write_str("1 problem in the request body"),
            n => write!(f, "{n} problems in the request body"),
        }
    }
}

impl std::error::Error for Problems {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointers_follow_rfc_6901_escaping() {
        let pointer = JsonPointer::root()
            .field("sequence")
            .index(1)
            .field("a/b~c");
        assert_eq!(pointer.as_str(), "/sequence/1/a~1b~0c");
        assert_eq!(JsonPointer::root().as_str(), "");
    }

    #[test]
    fn later_problems_within_an_already_reported_place_are_dropped() {
        let root = JsonPointer::root();
        let mut edge = Problems::new();
        edge.add(
            root.field("sequence").index(0),
            ProblemCode::InvalidType,
            "not an object",
        );
        edge.add(root.field("name"), ProblemCode::InvalidType, "not a string");
        let mut domain = Problems::new();
        domain.add(
            root.field("name"),
            ProblemCode::Required,
            "name is required",
        );
        domain.add(
            root.field("sequence").index(0).field("type"),
            ProblemCode::Required,
            "type",
        );
        domain.add(
            root.field("sequence").index(10),
            ProblemCode::Required,
            "other step",
        );
        domain.add(
            root.field("names"),
            ProblemCode::Required,
            "a sibling, not a child",
        );
        let merged: Vec<String> = edge
            .followed_by(domain)
            .iter()
            .map(|problem| problem.pointer().to_string())
            .collect();
        assert_eq!(merged, ["/sequence/0", "/name", "/sequence/10", "/names"]);
    }

    #[test]
    fn a_fallback_speaks_only_where_no_later_check_reports_at_or_around_its_place() {
        let root = JsonPointer::root();
        let mut edge = Problems::new();
        edge.add_fallback(Problem::new(
            root.field("name"),
            ProblemCode::TooLong,
            "the schema's words",
        ));
        edge.add_fallback(Problem::new(
            root.field("settings").field("slackChannelId"),
            ProblemCode::InvalidFormat,
            "only the schema refuses this",
        ));
        edge.add_fallback(Problem::new(
            root.field("sequence"),
            ProblemCode::TooMany,
            "the domain reports inside it",
        ));
        assert!(
            !edge.is_empty(),
            "a fallback alone makes the request invalid"
        );
        let mut domain = Problems::new();
        domain.add(
            root.field("name"),
            ProblemCode::TooLong,
            "the domain's words",
        );
        domain.add(
            root.field("sequence").index(3).field("body"),
            ProblemCode::Required,
            "body is required",
        );
        let merged: Vec<(String, String)> = edge
            .ahead_of(Err::<u8, Problems>(domain))
            .expect_err("invalid")
            .iter()
            .map(|problem| (problem.pointer().to_string(), problem.message().to_owned()))
            .collect();
        assert_eq!(
            merged,
            [
                ("/name".to_owned(), "the domain's words".to_owned()),
                ("/sequence/3/body".to_owned(), "body is required".to_owned()),
                (
                    "/settings/slackChannelId".to_owned(),
                    "only the schema refuses this".to_owned()
                ),
            ]
        );
    }

    #[test]
    fn fallbacks_stay_held_back_through_followed_by() {
        let at = JsonPointer::root().field("name");
        let mut edge = Problems::new();
        edge.add_fallback(Problem::new(at.clone(), ProblemCode::TooLong, "schema"));
        let merged = Problems::new().followed_by(edge);
        let mut domain = Problems::new();
        domain.add(at, ProblemCode::TooLong, "domain");
        let answered: Vec<String> = merged
            .ahead_of(Err::<u8, Problems>(domain))
            .expect_err("invalid")
            .iter()
            .map(|problem| problem.message().to_owned())
            .collect();
        assert_eq!(answered, ["domain"]);
    }

    #[test]
    fn fallbacks_alone_refuse_a_parse_that_succeeded() {
        let mut edge = Problems::new();
        edge.add_fallback(Problem::new(
            JsonPointer::root().field("x"),
            ProblemCode::OutOfRange,
            "x",
        ));
        let refused = edge.ahead_of(Ok::<u8, Problems>(7)).expect_err("refused");
        assert_eq!(refused.len(), 1);
    }

    #[test]
    fn earlier_problems_make_a_parse_invalid_and_come_first() {
        let at = JsonPointer::root().field("name");
        let mut edge = Problems::new();
        edge.add(at.clone(), ProblemCode::InvalidType, "not a string");
        let mut own = Problems::new();
        own.add(at.clone(), ProblemCode::Required, "name is required");
        own.add(JsonPointer::root().field("x"), ProblemCode::Blank, "x");

        assert_eq!(Problems::new().ahead_of(Ok::<u8, Problems>(7)), Ok(7));
        let refused = edge
            .clone()
            .ahead_of(Ok::<u8, Problems>(7))
            .expect_err("edge problems");
        assert_eq!(refused, edge);
        let merged = edge.ahead_of(Err::<u8, Problems>(own)).expect_err("both");
        let codes: Vec<_> = merged.iter().map(|p| p.code()).collect();
        assert_eq!(codes, [ProblemCode::InvalidType, ProblemCode::Blank]);
    }

    #[test]
    fn problems_keep_every_entry_in_order() {
        let mut problems = Problems::new();
        problems.add(
            JsonPointer::root().field("name"),
            ProblemCode::Required,
            "a",
        );
        let kept = problems.check::<u8>(
            Err(Invalid::new(ProblemCode::OutOfRange, "b")),
            JsonPointer::root().field("x"),
        );
        assert_eq!(kept, None);
        let codes: Vec<_> = problems.iter().map(|p| p.code()).collect();
        assert_eq!(codes, [ProblemCode::Required, ProblemCode::OutOfRange]);
        assert_eq!(problems.to_string(), "2 problems in the request body");
    }
}

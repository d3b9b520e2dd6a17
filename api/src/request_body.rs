//! Request bodies, declared once.
//!
//! A body is one DTO that is at the same time its OpenAPI schema (`poem_openapi::Object`), what serde
//! fills, and — through [`DeclaredBody::into_request`], written with exhaustive destructuring — the
//! domain's request. Reading a body is generic:
//!
//! 1. the JSON value is walked, in the body's order, against the schema poem-openapi registers for the
//!    DTO (compiled once per DTO): every value of the wrong JSON type and every unknown member is
//!    reported with its JSON Pointer, at once; a value that
//!    cannot be read is taken out (a member becomes absent, a list item a blank placeholder, so that the
//!    other items keep their positions and so their pointers); `null` members read as absent unless the
//!    schema says `nullable` (a PATCH's "reset");
//!    a `oneOf` without a discriminator (a list item that is a string or an object, like the entries
//!    of `POST /v1/dnc`) is read by the alternative whose JSON type the value has (its alternatives
//!    have different JSON types), and refused with every alternative's type named when none fits;
//! 2. the validators stated on the schema (lengths, patterns, ranges, item counts, enums) run, their
//!    problems held as fallbacks: the domain's rules, with their own words, report first, and a
//!    validator speaks only where the domain found nothing ([`Problems::add_fallback`]);
//! 3. serde deserialises the cleaned value into the DTO, which cannot fail any more, and the DTO maps
//!    into the domain's request.
//!
//! The way back, for a PATCH, is the same declaration: the domain's request maps into the DTO and serde
//! writes it ([`written`]); the client's RFC 7386 merge patch is applied ([`merge_patch`]) and the merged
//! document is read as above.

use std::any::TypeId;
use std::collections::HashMap;
use std::sync::{LazyLock, PoisonError, RwLock};

use domain::problem::{JsonPointer, ProblemCode, Problems};
use poem_openapi::registry::{MetaSchema, MetaSchemaRef, Registry};
use poem_openapi::types::Type;
use regex::Regex;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::json_document::Place;

/// The largest request body accepted: 1 MiB, unless the body's type allows more
/// ([`DocumentedBody::MAX_BYTES`]).
pub(crate) const MAX_BODY_BYTES: usize = 1024 * 1024;
/// The largest body any route accepts (an import of 5,000 leads, each with custom fields): what the
/// idempotency layer, which reads a body before its route, allows; the route's own bound follows.
pub(crate) const MAX_IMPORT_BODY_BYTES: usize = 16 * 1024 * 1024;

/// What the document shows of a request body besides its shape: an example, and the defaults the
/// domain takes for members left out. Both are set on the registered schemas by
/// [`register_documented`], which the document and the reader share: the reader never looks at a
/// `default` or an `example`, so a member left out still reaches the domain as absent.
pub trait DocumentedBody: Type {
    /// The largest body of this type accepted (413 past it).
    const MAX_BYTES: usize = MAX_BODY_BYTES;

    /// A body the operation accepts on a fresh server (the demo workspace, whose mailboxes are tagged
    /// `outreach`), the document's operations run in order.
    fn example() -> Value;

    /// The value the domain takes for each member a body leaves out, by schema name: a JSON object of
    /// members (a nested object's members go to its own schema). Empty for a body whose absent members
    /// mean "unchanged" (a PATCH).
    fn defaults() -> Vec<(String, Value)> {
        Vec::new()
    }
}

/// Registers `T`'s schemas with its example and the defaults of its members.
pub(crate) fn register_documented<T: DocumentedBody>(registry: &mut Registry) {
    T::register(registry);
    if let Some(schema) = registry.schemas.get_mut(T::name().as_ref()) {
        schema.example = Some(T::example());
    }
    for (name, defaults) in T::defaults() {
        declare_defaults(registry, &name, &defaults);
    }
}

/// Sets `default` on the members of schema `name` that `defaults` names; an object value goes, member
/// by member, to the schema of the nested object.
fn declare_defaults(registry: &mut Registry, name: &str, defaults: &Value) {
    let Some(defaults) = defaults.as_object() else {
        return;
    };
    for (member, default) in defaults {
        let Some(property) = registry.schemas.get_mut(name).and_then(|schema| {
            schema
                .properties
                .iter_mut()
                .find(|(declared, _)| declared == member)
                .map(|(_, property)| property)
        }) else {
            tracing::error!(schema = name, member, "a default names no declared member");
            continue;
        };
        match (referenced(property), default) {
            (Some(nested), Value::Object(_)) => declare_defaults(registry, &nested, default),
            _ => set_default(property, default.clone()),
        }
    }
}

/// The schema a member refers to, bare or wrapped (`allOf` with its description).
fn referenced(property: &MetaSchemaRef) -> Option<String> {
    match property {
        MetaSchemaRef::Reference(name) => Some(name.clone()),
        MetaSchemaRef::Inline(schema) => match schema.all_of.first() {
            Some(MetaSchemaRef::Reference(name)) if schema.ty.is_empty() => Some(name.clone()),
            _ => None,
        },
    }
}

/// `default` on a member: in place on an inline schema; a bare reference is wrapped (`allOf`), since a
/// reference carries nothing else.
fn set_default(property: &mut MetaSchemaRef, default: Value) {
    match property {
        MetaSchemaRef::Inline(schema) => schema.default = Some(default),
        MetaSchemaRef::Reference(name) => {
            *property = MetaSchemaRef::Inline(Box::new(MetaSchema {
                all_of: vec![MetaSchemaRef::Reference(name.clone())],
                default: Some(default),
                ..MetaSchema::ANY
            }));
        }
    }
}

/// A request body DTO and the domain request it maps into.
pub trait DeclaredBody: DocumentedBody + DeserializeOwned + Default + 'static {
    /// What the domain parses.
    type Request;

    /// The body as the domain reads it. Destructure `self` whole, so that a field added to the DTO and
    /// not mapped does not compile.
    fn into_request(self) -> Self::Request;
}

/// `body` read as `T`'s request, with every shape problem found in it and, held as fallbacks behind
/// the domain's rules, what the schema's validators refuse.
pub(crate) fn read<T: DeclaredBody>(body: Value) -> (T::Request, Problems) {
    let (request, mut problems, refusals) = read_checked::<T>(body);
    for refusal in refusals {
        problems.add_fallback(refusal);
    }
    (request, problems)
}

/// The problem of a body that passed the walk and still did not deserialise (a defect).
const UNREADABLE: &str = "the body could not be read";

/// `body` read as `T`'s request, its shape problems, and what the schema's validators refuse.
fn read_checked<T: DeclaredBody>(mut body: Value) -> (T::Request, Problems, Problems) {
    let mut problems = Problems::new();
    let mut refusals = Problems::new();
    let mut shape = Shape {
        compiled: compiled::<T>(),
        problems: &mut problems,
        refusals: &mut refusals,
    };
    if !shape.keep(&mut body, ROOT, &Place::Root) {
        body = Value::Object(Map::new());
    }
    let dto = match serde_json::from_value::<T>(body) {
        Ok(dto) => dto,
        Err(error) => {
            // The walk above leaves only values of the declared types; this is a defect, not the
            // client's mistake, but the client still gets a 400 rather than a panic.
            tracing::error!(%error, body = %T::name(), "a checked request body did not deserialise");
            problems.add(JsonPointer::root(), ProblemCode::InvalidType, UNREADABLE);
            T::default()
        }
    };
    (dto.into_request(), problems, refusals)
}

/// A DTO written as the JSON body it was read from: members that are `None` are left out.
pub(crate) fn written(dto: &impl Serialize) -> Value {
    let mut value = serde_json::to_value(dto).unwrap_or(Value::Null);
    drop_null_members(&mut value);
    value
}

fn drop_null_members(value: &mut Value) {
    match value {
        Value::Object(members) => {
            members.retain(|_, member| !member.is_null());
            members.values_mut().for_each(drop_null_members);
        }
        Value::Array(items) => items.iter_mut().for_each(drop_null_members),
        _ => {}
    }
}

/// Applies an RFC 7386 JSON Merge Patch to `target`: an object patch merges member by member (a `null`
/// member removes it; a target that is not an object becomes `{}` first); any other patch replaces the
/// target whole.
///
/// Recursion follows the patch's object nesting only, so its depth is bounded by the patch's, and
/// patches come from the body parser, which refuses JSON nested 128 levels deep (serde_json's limit).
pub(crate) fn merge_patch(target: &mut Value, patch: &Value) {
    let Value::Object(members) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    // Always an object by now; matching again avoids an `unwrap`.
    let Value::Object(target) = target else {
        return;
    };
    for (name, value) in members {
        if value.is_null() {
            target.remove(name);
        } else {
            merge_patch(target.entry(name.as_str()).or_insert(Value::Null), value);
        }
    }
}

/// The schemas `T` registers (its own and those it refers to), with its example and defaults.
fn registry_of<T: DocumentedBody>() -> Registry {
    let mut registry = Registry::new();
    register_documented::<T>(&mut registry);
    registry
}

/// `T`'s schema compiled for the walk, the first time one of its bodies arrives; kept for the life of
/// the process (one per body type, so their number is fixed by the code).
fn compiled<T: DeclaredBody>() -> &'static Compiled {
    static COMPILED: LazyLock<RwLock<HashMap<TypeId, &'static Compiled>>> =
        LazyLock::new(|| RwLock::new(HashMap::new()));
    let body = TypeId::of::<T>();
    if let Some(compiled) = COMPILED
        .read()
        .unwrap_or_else(PoisonError::into_inner)
        .get(&body)
    {
        return compiled;
    }
    let compiled: &'static Compiled = Box::leak(Box::new(Compiled::of::<T>()));
    COMPILED
        .write()
        .unwrap_or_else(PoisonError::into_inner)
        .entry(body)
        .or_insert(compiled)
}

/// The place of a compiled schema in [`Compiled::nodes`].
type NodeId = usize;

/// The root of every compiled body: the body itself.
const ROOT: NodeId = 0;

/// A body's schema as the walk reads it: at each place, the kind of value taken, the members or
/// items with their own places, and the validators, every reference resolved and every pattern
/// compiled beforehand, so that reading a body looks nothing up.
struct Compiled {
    nodes: Vec<Node>,
}

/// What one place of a body takes.
struct Node {
    kind: Kind,
    /// An object's members, in declaration order (see [`properties`]).
    members: Vec<Member>,
    /// An array's items.
    items: Option<NodeId>,
    /// An object's undeclared members, when its schema allows them (`additionalProperties`): each is
    /// walked against this; without it, an undeclared member is an unknown field.
    others: Option<NodeId>,
    /// A [`Kind::OneOf`]'s alternatives, in declaration order.
    alternatives: Vec<NodeId>,
    rules: Rules,
}

struct Member {
    name: String,
    node: NodeId,
    /// Whether `null` is a value of the member (a PATCH's "reset") rather than "absent".
    nullable: bool,
}

/// The validators a schema states.
#[derive(Default)]
struct Rules {
    max_length: Option<usize>,
    min_length: Option<usize>,
    /// The pattern as written, and compiled: a pattern the regex crate cannot compile refuses
    /// nothing.
    pattern: Option<(String, Option<Regex>)>,
    maximum: Option<f64>,
    minimum: Option<f64>,
    max_items: Option<usize>,
    min_items: Option<usize>,
    enum_items: Vec<Value>,
}

impl Rules {
    fn of(schema: &MetaSchema) -> Self {
        Self {
            max_length: schema.max_length,
            min_length: schema.min_length,
            pattern: schema
                .pattern
                .as_ref()
                .map(|pattern| (pattern.clone(), Regex::new(pattern).ok())),
            maximum: schema.maximum,
            minimum: schema.minimum,
            max_items: schema.max_items,
            min_items: schema.min_items,
            enum_items: schema.enum_items.clone(),
        }
    }
}

impl Compiled {
    /// What stands in a list for an unreadable item of `node`: a `oneOf`'s is its first
    /// alternative's.
    fn placeholder(&self, node: NodeId) -> Value {
        let node = &self.nodes[node];
        match (node.kind, node.alternatives.first()) {
            (Kind::OneOf, Some(first)) => self.nodes[*first].kind.placeholder(),
            (kind, _) => kind.placeholder(),
        }
    }

    fn of<T: DeclaredBody>() -> Self {
        let schemas = registry_of::<T>();
        let mut compiler = Compiler {
            schemas: &schemas,
            nodes: Vec::new(),
            named: HashMap::new(),
        };
        let root = compiler.node(&T::schema_ref());
        debug_assert_eq!(root, ROOT);
        Self {
            nodes: compiler.nodes,
        }
    }
}

/// Compiles schemas into nodes; a named schema once, however often it is referred to (so a schema
/// that refers to itself ends).
struct Compiler<'r> {
    schemas: &'r Registry,
    nodes: Vec<Node>,
    named: HashMap<String, NodeId>,
}

impl Compiler<'_> {
    fn node(&mut self, schema: &MetaSchemaRef) -> NodeId {
        if let MetaSchemaRef::Reference(name) = schema
            && let Some(&known) = self.named.get(name)
        {
            return known;
        }
        let id = self.nodes.len();
        self.nodes.push(Node {
            kind: Kind::Any,
            members: Vec::new(),
            items: None,
            others: None,
            alternatives: Vec::new(),
            rules: Rules::default(),
        });
        if let MetaSchemaRef::Reference(name) = schema {
            self.named.insert(name.clone(), id);
        }
        let schemas = self.schemas;
        let resolved = resolve(schemas, schema);
        let kind = kind(schemas, resolved);
        let mut members = Vec::new();
        if kind == Kind::Object {
            let mut declared = Vec::new();
            properties(schemas, resolved, &mut declared);
            for (name, property) in declared {
                members.push(Member {
                    name: name.to_owned(),
                    node: self.node(property),
                    nullable: is_nullable(property),
                });
            }
        }
        let items = match (&resolved.items, kind) {
            (Some(items), Kind::Array) => Some(self.node(items)),
            _ => None,
        };
        let others = match (&resolved.additional_properties, kind) {
            (Some(others), Kind::Object) => Some(self.node(others)),
            _ => None,
        };
        let alternatives = match kind {
            Kind::OneOf => resolved
                .one_of
                .iter()
                .map(|alternative| self.node(alternative))
                .collect(),
            _ => Vec::new(),
        };
        self.nodes[id] = Node {
            kind,
            members,
            items,
            others,
            alternatives,
            rules: Rules::of(resolved),
        };
        id
    }
}

/// What kind of JSON value a schema takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Object,
    Array,
    String,
    Integer,
    Number,
    Boolean,
    /// A `oneOf` without a discriminator: one of alternatives of different JSON types.
    OneOf,
    Any,
}

impl Kind {
    fn expected(self) -> &'static str {
        match self {
            Self::Object => "an object",
            Self::Array => "an array",
            Self::String => "a string",
            Self::Integer => "a whole number",
            Self::Number => "a number",
            Self::Boolean => "true or false",
            Self::OneOf => "one of the alternatives",
            Self::Any => "any value",
        }
    }

    fn accepts(self, value: &Value) -> bool {
        match self {
            Self::Object => value.is_object(),
            Self::Array => value.is_array(),
            Self::String => value.is_string(),
            Self::Integer => value.is_i64() || value.is_u64(),
            Self::Number => value.is_number(),
            Self::Boolean => value.is_boolean(),
            // Judged alternative by alternative (`Shape::keep`).
            Self::OneOf | Self::Any => true,
        }
    }

    /// What stands in a list for an item that cannot be read: blank, and never a valid repeat of
    /// another item (a whole number outside every range).
    fn placeholder(self) -> Value {
        match self {
            Self::Object => Value::Object(Map::new()),
            Self::Array => Value::Array(Vec::new()),
            Self::String => Value::String(String::new()),
            Self::Integer => Value::from(i64::MIN),
            Self::Number => Value::from(0),
            Self::Boolean => Value::Bool(false),
            Self::OneOf | Self::Any => Value::Null,
        }
    }
}

/// The discriminator of a union, read as any string: which kinds exist is the domain's to say.
static DISCRIMINATOR: LazyLock<MetaSchemaRef> =
    LazyLock::new(|| MetaSchemaRef::Inline(Box::new(MetaSchema::new("string"))));

static ANY: LazyLock<MetaSchema> = LazyLock::new(|| MetaSchema::ANY);

fn resolve<'s>(schemas: &'s Registry, schema: &'s MetaSchemaRef) -> &'s MetaSchema {
    match schema {
        MetaSchemaRef::Inline(schema) => schema,
        MetaSchemaRef::Reference(name) => schemas.schemas.get(name).unwrap_or(&ANY),
    }
}

fn kind(schemas: &Registry, schema: &MetaSchema) -> Kind {
    match schema.ty {
        "object" => Kind::Object,
        "array" => Kind::Array,
        "string" => Kind::String,
        "integer" => Kind::Integer,
        "number" => Kind::Number,
        "boolean" => Kind::Boolean,
        _ if !schema.one_of.is_empty() && schema.discriminator.is_none() => Kind::OneOf,
        _ if !schema.one_of.is_empty() || !schema.properties.is_empty() => Kind::Object,
        _ => schema
            .all_of
            .iter()
            .map(|part| kind(schemas, resolve(schemas, part)))
            .find(|kind| *kind != Kind::Any)
            .unwrap_or(Kind::Any),
    }
}

/// The members an object schema declares, in declaration order: its own, those of the schemas it is
/// made of (`allOf`), and for a union (`oneOf` with a discriminator) the discriminator first, then every
/// variant's, so that a member of another variant reaches the domain, which refuses it by name.
fn properties<'s>(
    schemas: &'s Registry,
    schema: &'s MetaSchema,
    into: &mut Vec<(&'s str, &'s MetaSchemaRef)>,
) {
    if let Some(discriminator) = &schema.discriminator
        && !into
            .iter()
            .any(|(name, _)| *name == discriminator.property_name)
    {
        into.push((discriminator.property_name, &DISCRIMINATOR));
    }
    for (name, property) in &schema.properties {
        if !into.iter().any(|(known, _)| known == name) {
            into.push((name, property));
        }
    }
    for part in schema.all_of.iter().chain(&schema.one_of) {
        properties(schemas, resolve(schemas, part), into);
    }
}

/// One walk of a body against its schema.
struct Shape<'a> {
    compiled: &'a Compiled,
    /// Wrong types and unknown members.
    problems: &'a mut Problems,
    /// What the schema's validators refuse.
    refusals: &'a mut Problems,
}

impl<'a> Shape<'a> {
    /// Checks `value` against the schema of `node` at `at`, cleaning what it holds; `false` when the
    /// value itself cannot be read (it was reported) and must be taken out.
    fn keep(&mut self, value: &mut Value, node: NodeId, at: &Place<'_>) -> bool {
        let compiled = self.compiled;
        let node = &compiled.nodes[node];
        if node.kind == Kind::OneOf {
            return self.keep_one_of(value, &node.alternatives, at);
        }
        if !node.kind.accepts(value) {
            self.wrong_type(at, node.kind.expected());
            return false;
        }
        match value {
            Value::Object(members) if node.kind == Kind::Object => {
                self.keep_members(members, &node.members, node.others, at);
            }
            Value::Array(items) if node.kind == Kind::Array => {
                if let Some(item_node) = node.items {
                    let placeholder = compiled.placeholder(item_node);
                    for (index, item) in items.iter_mut().enumerate() {
                        if !self.keep(item, item_node, &Place::Item(at, index)) {
                            *item = placeholder.clone();
                        }
                    }
                }
            }
            Value::Number(number) if node.kind == Kind::Integer && !number.is_i64() => {
                // Larger than 64 bits can hold: read as the largest, so its range rule reports it.
                *value = Value::from(i64::MAX);
            }
            _ => {}
        }
        self.validate(value, &node.rules, at);
        true
    }

    /// A `oneOf`'s value, read by the first alternative whose JSON type it has; none fits: refused,
    /// naming every alternative's type.
    fn keep_one_of(&mut self, value: &mut Value, alternatives: &[NodeId], at: &Place<'_>) -> bool {
        let compiled = self.compiled;
        match alternatives
            .iter()
            .find(|alternative| compiled.nodes[**alternative].kind.accepts(value))
        {
            Some(alternative) => self.keep(value, *alternative, at),
            None => {
                let expected: Vec<&str> = alternatives
                    .iter()
                    .map(|alternative| compiled.nodes[*alternative].kind.expected())
                    .collect();
                self.wrong_type(at, &expected.join(" or "));
                false
            }
        }
    }

    /// Walks the members as the body holds them, each against its declaration found by name (a
    /// scan of a few dozen short names beats hashing each, which a map lookup per declared member
    /// would), taking out the unknown and the unreadable.
    fn keep_members(
        &mut self,
        members: &mut Map<String, Value>,
        declared: &'a [Member],
        others: Option<NodeId>,
        at: &Place<'_>,
    ) {
        members.retain(|name, value| {
            let Some(member) = declared.iter().find(|known| known.name == *name) else {
                if let Some(others) = others {
                    return self.keep(value, others, &Place::Member(at, name));
                }
                let message = match closest(name, declared.iter().map(|known| known.name.as_str()))
                {
                    Some(known) => format!("unknown field {name:?}; did you mean {known:?}?"),
                    None => format!("unknown field {name:?}"),
                };
                self.problems
                    .add(at.pointer().field(name), ProblemCode::UnknownField, message);
                return false;
            };
            if value.is_null() {
                member.nullable
            } else {
                self.keep(value, member.node, &Place::Member(at, name))
            }
        });
    }

    fn wrong_type(&mut self, at: &Place<'_>, expected: &str) {
        self.problems.add(
            at.pointer(),
            ProblemCode::InvalidType,
            format!("{}must be {expected}", at.subject()),
        );
    }

    /// The validators stated on the schema, their problems held as fallbacks.
    fn validate(&mut self, value: &Value, schema: &Rules, at: &Place<'_>) {
        let mut refuse = |code: ProblemCode, rule: String| {
            self.refusals
                .add(at.pointer(), code, format!("{}{rule}", at.subject()));
        };
        match value {
            Value::String(text) => {
                let length = text.chars().count();
                if let Some(most) = schema.max_length
                    && length > most
                {
                    refuse(
                        ProblemCode::TooLong,
                        format!("must be at most {most} characters"),
                    );
                }
                if let Some(least) = schema.min_length
                    && length < least
                {
                    refuse(
                        ProblemCode::TooShort,
                        format!("must be at least {least} characters"),
                    );
                }
                if let Some((pattern, Some(regex))) = &schema.pattern
                    && !regex.is_match(text)
                {
                    refuse(ProblemCode::InvalidFormat, format!("must match {pattern}"));
                }
            }
            Value::Number(number) => {
                let number = number.as_f64().unwrap_or_default();
                if let Some(most) = schema.maximum
                    && number > most
                {
                    refuse(ProblemCode::OutOfRange, format!("must be at most {most}"));
                }
                if let Some(least) = schema.minimum
                    && number < least
                {
                    refuse(ProblemCode::OutOfRange, format!("must be at least {least}"));
                }
            }
            Value::Array(items) => {
                if let Some(most) = schema.max_items
                    && items.len() > most
                {
                    refuse(
                        ProblemCode::TooMany,
                        format!("must have at most {most} items"),
                    );
                }
                if let Some(least) = schema.min_items
                    && items.len() < least
                {
                    refuse(
                        ProblemCode::TooFew,
                        format!("must have at least {least} items"),
                    );
                }
            }
            _ => {}
        }
        if !schema.enum_items.is_empty() && !schema.enum_items.contains(value) {
            let values: Vec<String> = schema
                .enum_items
                .iter()
                .map(|item| {
                    item.as_str()
                        .map_or_else(|| item.to_string(), str::to_owned)
                })
                .collect();
            refuse(
                ProblemCode::InvalidValue,
                format!("must be one of {}", values.join(", ")),
            );
        }
    }
}

/// The declared name an unknown `name` was most likely meant to be: the same ignoring case, or within
/// a typo or two (one for short names) of it; the first declared one when several are as close.
fn closest<'n>(name: &str, declared: impl Iterator<Item = &'n str>) -> Option<&'n str> {
    let typed: Vec<char> = name.to_lowercase().chars().collect();
    let allowed = if typed.len() < 5 { 1 } else { 2 };
    declared
        .map(|known| {
            let known_chars: Vec<char> = known.to_lowercase().chars().collect();
            (edit_distance(&typed, &known_chars), known)
        })
        .filter(|(distance, _)| *distance <= allowed)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, known)| known)
}

/// Edit distance counting insertions, deletions, substitutions and swaps of two neighbours (optimal
/// string alignment): `nmae` is one typo from `name`.
fn edit_distance(from: &[char], to: &[char]) -> usize {
    // rows[i][j]: the distance between the first i characters of `from` and the first j of `to`.
    let mut rows = vec![vec![0usize; to.len() + 1]; from.len() + 1];
    for (i, row) in rows.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in rows[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=from.len() {
        for j in 1..=to.len() {
            let substitution = rows[i - 1][j - 1] + usize::from(from[i - 1] != to[j - 1]);
            let mut distance = substitution.min(rows[i - 1][j] + 1).min(rows[i][j - 1] + 1);
            if i > 1 && j > 1 && from[i - 1] == to[j - 2] && from[i - 2] == to[j - 1] {
                distance = distance.min(rows[i - 2][j - 2] + 1);
            }
            rows[i][j] = distance;
        }
    }
    rows[from.len()][to.len()]
}

fn is_nullable(schema: &MetaSchemaRef) -> bool {
    matches!(schema, MetaSchemaRef::Inline(inline) if inline.nullable)
}

#[cfg(test)]
mod tests {
    use domain::mailbox_update::{MailboxPatchRequest, PatchValue};
    use domain::request::{
        AgentRequest, CampaignRequest, MailboxRequest, MailboxSelectorsRequest, ScheduleRequest,
        SettingsRequest,
    };
    use serde_json::json;

    use super::*;
    use crate::dto::agent::CreateAgentRequest;
    use crate::dto::campaign_input::CreateCampaignRequest;
    use crate::dto::mailbox::{RegisterMailboxRequest, UpdateMailboxRequest};

    /// The edge reader's own problems (wrong types, unknown members): what these tests are about.
    fn shape_only<R>((request, problems, _refusals): (R, Problems, Problems)) -> (R, Problems) {
        (request, problems)
    }

    fn campaign_request(body: &Value) -> (CampaignRequest, Problems) {
        shape_only(read_checked::<CreateCampaignRequest>(body.clone()))
    }

    /// The way back: a campaign request as the body that reads into it.
    fn campaign_json(request: &CampaignRequest) -> Value {
        written(&CreateCampaignRequest::from(request.clone()))
    }

    fn mailbox_request(body: &Value) -> (MailboxRequest, Problems) {
        shape_only(read_checked::<RegisterMailboxRequest>(body.clone()))
    }

    fn mailbox_patch(body: &Value) -> (MailboxPatchRequest, Problems) {
        shape_only(read_checked::<UpdateMailboxRequest>(body.clone()))
    }

    fn agent_request(body: &Value) -> (AgentRequest, Problems) {
        shape_only(read_checked::<CreateAgentRequest>(body.clone()))
    }

    fn problems_of(body: Value) -> Vec<(String, ProblemCode)> {
        let (_, problems) = campaign_request(&body);
        problems
            .iter()
            .map(|problem| (problem.pointer().to_string(), problem.code()))
            .collect()
    }

    #[test]
    fn the_seed_body_reads_without_problems() {
        let seed: Value =
            serde_json::from_str(include_str!("../tests/fixtures/seed_create_campaign.json"))
                .expect("the seed body is JSON");
        let (request, problems) = campaign_request(&seed);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(
            request.name.as_deref(),
            Some("Q2 Outbound - Decision Makers")
        );
        let steps = request.sequence.expect("sequence");
        assert_eq!(steps.len(), 3);
        assert_eq!(steps[1].wait_days, Some(3));
        let settings = request.settings.expect("settings");
        assert_eq!(
            settings.seg_skip_providers,
            Some(vec!["proofpoint".to_owned(), "mimecast".to_owned()])
        );
        assert_eq!(
            settings
                .webhook
                .and_then(|webhook| webhook.secret)
                .as_deref(),
            Some("whsec_abc123xyz")
        );
        assert_eq!(
            request.mailbox_selectors.mailbox_tags,
            Some(vec!["outreach".to_owned()])
        );
    }

    #[test]
    fn unknown_fields_are_reported_at_every_level() {
        let found = problems_of(json!({
            "name": "x",
            "colour": "red",
            "sequence": [{"type": "email", "subject": "s", "body": "b", "font": "Arial"}],
            "settings": {"trackOpens": true, "webhook": {"enabled": false, "retries": 3}},
            "schedule": {"tz": "UTC"},
        }));
        assert_eq!(
            found,
            vec![
                ("/colour".to_owned(), ProblemCode::UnknownField),
                ("/sequence/0/font".to_owned(), ProblemCode::UnknownField),
                (
                    "/settings/webhook/retries".to_owned(),
                    ProblemCode::UnknownField
                ),
                ("/schedule/tz".to_owned(), ProblemCode::UnknownField),
            ]
        );
    }

    #[test]
    fn an_unknown_field_close_to_a_declared_one_suggests_it() {
        let messages = |body: Value| -> Vec<String> {
            let (_, problems) = campaign_request(&body);
            problems
                .iter()
                .map(|problem| problem.message().to_owned())
                .collect()
        };
        assert_eq!(
            messages(json!({"name": "x", "settings": {"trackOpen": true, "skipDnc": false}})),
            [
                r#"unknown field "trackOpen"; did you mean "trackOpens"?"#,
                r#"unknown field "skipDnc"; did you mean "skipDNC"?"#,
            ]
        );
        assert_eq!(
            messages(json!({"nmae": "x", "colour": "red", "shedule": {}})),
            [
                r#"unknown field "nmae"; did you mean "name"?"#,
                r#"unknown field "colour""#,
                r#"unknown field "shedule"; did you mean "schedule"?"#,
            ]
        );
    }

    #[test]
    fn edit_distance_counts_insertions_deletions_substitutions_and_swaps() {
        let chars = |text: &str| text.chars().collect::<Vec<_>>();
        for (from, to, distance) in [
            ("", "", 0),
            ("abc", "abc", 0),
            ("", "abc", 3),
            ("kitten", "sitting", 3),
            ("trackopen", "trackopens", 1),
            ("nmae", "name", 1),
            ("ab", "ba", 1),
        ] {
            assert_eq!(
                edit_distance(&chars(from), &chars(to)),
                distance,
                "{from} {to}"
            );
        }
    }

    #[test]
    fn legacy_settings_fields_are_accepted_and_ignored() {
        let found =
            problems_of(json!({"name": "x", "settings": {"espMatchingRules": [{"any": "thing"}]}}));
        assert!(found.is_empty(), "{found:?}");
    }

    #[test]
    fn wrong_json_types_are_reported_with_their_pointers() {
        let found = problems_of(json!({
            "name": 5,
            "sequence": [{"type": "wait", "waitDays": "3"}, 7, {"type": "wait", "waitHours": 1.5}],
            "schedule": {"workingDays": [1, "2", null]},
            "settings": {"cc": ["a@b.co", false], "trackOpens": "yes", "webhook": []},
            "mailboxTags": "outreach",
        }));
        assert_eq!(
            found,
            vec![
                ("/name".to_owned(), ProblemCode::InvalidType),
                ("/sequence/0/waitDays".to_owned(), ProblemCode::InvalidType),
                ("/sequence/1".to_owned(), ProblemCode::InvalidType),
                ("/sequence/2/waitHours".to_owned(), ProblemCode::InvalidType),
                (
                    "/schedule/workingDays/1".to_owned(),
                    ProblemCode::InvalidType
                ),
                (
                    "/schedule/workingDays/2".to_owned(),
                    ProblemCode::InvalidType
                ),
                ("/settings/cc/1".to_owned(), ProblemCode::InvalidType),
                ("/settings/trackOpens".to_owned(), ProblemCode::InvalidType),
                ("/settings/webhook".to_owned(), ProblemCode::InvalidType),
                ("/mailboxTags".to_owned(), ProblemCode::InvalidType),
            ]
        );
    }

    #[test]
    fn an_unreadable_list_item_keeps_the_positions_of_the_others() {
        let (request, _) = campaign_request(&json!({"sequence": [3, {"type": "email"}]}));
        let steps = request.sequence.expect("sequence");
        assert_eq!(steps.len(), 2);
        assert_eq!(steps[1].kind.as_deref(), Some("email"));
    }

    #[test]
    fn null_reads_as_absent() {
        let (request, problems) = campaign_request(
            &json!({"name": "x", "settings": {"dailySendLimit": null}, "schedule": null}),
        );
        assert!(problems.is_empty());
        assert_eq!(
            request
                .settings
                .and_then(|settings| settings.daily_send_limit),
            None
        );
        assert_eq!(request.schedule, None);
    }

    /// Issue 17: the schemas the reader walks carry the documented defaults, and a member left out
    /// still reaches the domain as absent (the domain, not the reader, applies the default).
    #[test]
    fn a_member_left_out_reads_as_absent_though_its_schema_has_a_default() {
        let (request, problems) = campaign_request(&json!({"name": "x", "settings": {}}));
        assert!(problems.is_empty(), "{problems:?}");
        {
            let schemas = registry_of::<CreateCampaignRequest>();
            let settings = &schemas.schemas["SettingsInput"];
            let track_opens = settings
                .properties
                .iter()
                .find(|(name, _)| *name == "trackOpens")
                .map(|(_, property)| resolve(&schemas, property).default.clone());
            assert_eq!(track_opens, Some(Some(Value::Bool(true))));
        }
        assert_eq!(request.sequence, None);
        assert_eq!(request.schedule, None);
        assert_eq!(request.settings, Some(SettingsRequest::default()));
        let (mailbox, _) = mailbox_request(&json!({"email": "a@b.co", "provider": "gmail"}));
        assert_eq!(mailbox.daily_send_limit, None);
        assert_eq!(mailbox.sending_enabled, None);
    }

    #[test]
    fn a_body_that_is_not_an_object_is_one_problem_at_the_root() {
        assert_eq!(
            problems_of(json!([1, 2])),
            vec![(String::new(), ProblemCode::InvalidType)]
        );
    }

    #[test]
    fn huge_numbers_read_as_the_largest_so_range_rules_report_them() {
        let (request, problems) = campaign_request(
            &json!({"settings": {"dailySendLimit": 18_446_744_073_709_551_615u64}}),
        );
        assert!(problems.is_empty());
        assert_eq!(
            request
                .settings
                .and_then(|settings| settings.daily_send_limit),
            Some(i64::MAX)
        );
    }

    #[test]
    fn mailbox_and_agent_bodies_are_read_the_same_way() {
        let (mailbox, problems) = mailbox_request(
            &json!({"email": "a@b.co", "provider": "gmail", "tags": ["x", 1], "password": "p"}),
        );
        let found: Vec<String> = problems
            .iter()
            .map(|problem| problem.pointer().to_string())
            .collect();
        assert_eq!(found, ["/tags/1", "/password"]);
        assert_eq!(mailbox.email.as_deref(), Some("a@b.co"));
        let (agent, problems) =
            agent_request(&json!({"name": "A", "persona": {"tone": "warm", "mood": "x"}}));
        let found: Vec<String> = problems
            .iter()
            .map(|problem| problem.pointer().to_string())
            .collect();
        assert_eq!(found, ["/persona/mood"]);
        assert_eq!(
            agent.persona.and_then(|persona| persona.tone).as_deref(),
            Some("warm")
        );
    }

    #[test]
    fn a_mailbox_patch_tells_absent_from_null_and_refuses_every_other_field() {
        let (patch, problems) = mailbox_patch(&json!({
            "displayName": null, "dailySendLimit": 500, "tags": ["a", 2],
            "email": "x@acme.example", "provider": "gmail", "sendingEnabled": "yes",
        }));
        let found: Vec<(String, ProblemCode)> = problems
            .iter()
            .map(|problem| (problem.pointer().to_string(), problem.code()))
            .collect();
        assert_eq!(
            found,
            [
                ("/tags/1".to_owned(), ProblemCode::InvalidType),
                ("/email".to_owned(), ProblemCode::UnknownField),
                ("/provider".to_owned(), ProblemCode::UnknownField),
                ("/sendingEnabled".to_owned(), ProblemCode::InvalidType),
            ]
        );
        assert_eq!(patch.display_name, PatchValue::Null);
        assert_eq!(patch.daily_send_limit, PatchValue::Given(500));
        assert_eq!(patch.signature, PatchValue::Absent);
        assert_eq!(patch.sending_enabled, PatchValue::Absent, "unreadable");
        assert_eq!(
            patch.tags,
            PatchValue::Given(vec!["a".to_owned(), String::new()]),
            "an unreadable item keeps its place"
        );
    }

    #[test]
    fn a_mailbox_patch_daily_send_limit_must_be_a_whole_number() {
        for limit in [json!(1.5), json!(3.0), json!("10"), json!(true)] {
            let (patch, problems) = mailbox_patch(&json!({"dailySendLimit": limit}));
            let found: Vec<(String, ProblemCode)> = problems
                .iter()
                .map(|problem| (problem.pointer().to_string(), problem.code()))
                .collect();
            assert_eq!(
                found,
                [("/dailySendLimit".to_owned(), ProblemCode::InvalidType)],
                "{limit}"
            );
            assert_eq!(patch.daily_send_limit, PatchValue::Absent);
        }
        let (patch, problems) = mailbox_patch(&json!({"dailySendLimit": u64::MAX}));
        assert!(problems.is_empty());
        assert_eq!(patch.daily_send_limit, PatchValue::Given(i64::MAX));
    }

    /// A create body with a non-null value under every member of every campaign schema (legacy
    /// settings aside: they are ignored on read, so they cannot come back).
    fn every_campaign_field() -> Value {
        let step = json!({
            "type": "email", "order": 0, "name": "Opener", "subject": "Hi {{firstName}}",
            "body": "<p>Hello</p>", "waitDays": 2, "waitHours": 5, "useConditionalVariables": true,
            "conditionalVariables": [{
                "name": "greeting",
                "conditions": [
                    {"field": "industry", "operator": "equals", "value": "saas", "then": "Hey"},
                ],
                "else": "Hello",
            }],
            "variants": [{"letter": "B", "subject": "Hi there", "body": "<p>Hi</p>"}],
        });
        json!({
            "name": "Every field",
            "sequence": [step.clone(), {"type": "wait", "order": 1, "waitDays": 3}],
            "subsequences": [{
                "_id": "6650a1b2c3d4e5f6a7b8c9d0",
                "name": "Interested",
                "trigger": {"type": "ai_tag", "value": "interested"},
                "sequence": [step],
                "enabled": true,
                "archived": false,
            }],
            "schedule": {
                "timezone": "Europe/Paris", "startTime": "09:00", "endTime": "17:30",
                "workingDays": [1, 2, 3], "skipNationalHolidays": false,
            },
            "settings": {
                "trackOpens": true, "trackClicks": false, "includeUnsubscribeLink": true,
                "cc": ["cc@example.com"], "bcc": ["bcc@example.com"], "stopOnReply": true,
                "stopOnAutoReply": false, "stopOnCompanyReply": true, "skipDNC": false,
                "dailySendLimit": 40, "emailIntervalMinutes": 7, "espMatchingMode": "strict",
                "segCheckMode": "skip_providers", "segSkipProviders": ["mimecast"],
                "cnameTracking": {"enabled": true, "domain": "t.example.com"},
                "slackChannelId": "C0123", "positiveRepliesOnlySlack": false,
                "notificationEmails": ["ops@example.com"], "positiveRepliesOnlyEmail": true,
                "aiAgentId": "6650a1b2c3d4e5f6a7b8c9d1", "aiAgentEnabled": true,
                "webhook": {
                    "enabled": true, "url": "https://example.com/hook", "secret": "whsec_x",
                    "events": ["email.sent"],
                },
                "copyFatigueProtection": {"enabled": true, "autoRegenerate": false, "autoResume": true},
                "variantOptimization": {
                    "enabled": true, "minimumSendsPerVariant": 30, "minimumDays": 4,
                    "optimizationMetric": "openRate", "keepMinimumVariants": 2,
                },
            },
            "mailboxes": ["6650a1b2c3d4e5f6a7b8c9d2"],
            "mailboxIds": ["6650a1b2c3d4e5f6a7b8c9d3"],
            "mailboxEmails": ["a@example.com"],
            "mailboxTags": ["outreach"],
            "mailboxProvider": "gmail",
        })
    }

    #[test]
    fn campaign_json_is_the_inverse_of_campaign_request_for_every_field() {
        let body = every_campaign_field();
        let (request, problems) = campaign_request(&body);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(campaign_json(&request), body);
    }

    #[test]
    fn the_seed_body_round_trips_except_legacy_settings() {
        let seed: Value =
            serde_json::from_str(include_str!("../tests/fixtures/seed_create_campaign.json"))
                .expect("the seed body is JSON");
        let (request, problems) = campaign_request(&seed);
        assert!(problems.is_empty(), "{problems:?}");
        // The seed carries no legacy setting today; strip any so the test stays right if one is added.
        let mut expected = seed;
        if let Some(settings) = expected.get_mut("settings").and_then(Value::as_object_mut) {
            settings.remove("espMatchingRules");
        }
        assert_eq!(campaign_json(&request), expected);
    }

    #[test]
    fn legacy_settings_are_read_and_not_written_back() {
        let (request, _) = campaign_request(
            &json!({"settings": {"trackOpens": true, "espMatchingRules": [{"any": "thing"}]}}),
        );
        assert_eq!(
            campaign_json(&request),
            json!({"settings": {"trackOpens": true}})
        );
    }

    #[test]
    fn campaign_json_leaves_out_absent_fields_and_keeps_empty_lists() {
        let request = CampaignRequest {
            name: Some("x".to_owned()),
            sequence: Some(Vec::new()),
            settings: Some(SettingsRequest::default()),
            ..CampaignRequest::default()
        };
        assert_eq!(
            campaign_json(&request),
            json!({"name": "x", "sequence": [], "settings": {}})
        );
        assert_eq!(campaign_json(&CampaignRequest::default()), json!({}));
    }

    /// One step of the way to a member: a member of an object, or the first item of a list.
    #[derive(Debug, Clone)]
    enum Step {
        Member(String),
        Item,
    }

    /// Every member `schema` declares, nested ones too, with its kind and whether it is deprecated.
    fn members(
        schemas: &Registry,
        schema: &MetaSchemaRef,
        path: &[Step],
        into: &mut Vec<(Vec<Step>, Kind, bool)>,
    ) {
        let resolved = resolve(schemas, schema);
        match kind(schemas, resolved) {
            Kind::Object => {
                let mut declared = Vec::new();
                properties(schemas, resolved, &mut declared);
                for (name, property) in declared {
                    let mut member = path.to_vec();
                    member.push(Step::Member(name.to_owned()));
                    let property_schema = resolve(schemas, property);
                    let deprecated = property_schema.deprecated
                        || matches!(property, MetaSchemaRef::Inline(inline) if inline.deprecated);
                    into.push((member.clone(), kind(schemas, property_schema), deprecated));
                    members(schemas, property, &member, into);
                }
            }
            Kind::Array => {
                if let Some(items) = &resolved.items {
                    let mut item = path.to_vec();
                    item.push(Step::Item);
                    members(schemas, items, &item, into);
                }
            }
            Kind::OneOf => {
                for alternative in &resolved.one_of {
                    members(schemas, alternative, path, into);
                }
            }
            _ => {}
        }
    }

    /// A body holding `leaf` at `path`, and nothing else.
    fn body_at(path: &[Step], leaf: Value) -> Value {
        path.iter().rev().fold(leaf, |inner, step| match step {
            Step::Member(name) => json!({ name.as_str(): inner }),
            Step::Item => json!([inner]),
        })
    }

    /// For every member of `T`'s schema (nested ones too): a body that sets it reads into another
    /// request than the same body without it. A DTO field that the mapping drops fails here; a
    /// deprecated (legacy) member must be the only kind that changes nothing.
    fn every_member_reaches_the_request<T>()
    where
        T: DeclaredBody,
        T::Request: PartialEq + std::fmt::Debug,
    {
        let schemas = registry_of::<T>();
        let root = T::schema_ref();
        let mut declared = Vec::new();
        members(&schemas, &root, &[], &mut declared);
        drop(schemas);
        assert!(!declared.is_empty(), "{} declares no member", T::name());
        for (path, kind, deprecated) in declared {
            let sample = match kind {
                Kind::String => json!("sample"),
                Kind::Integer | Kind::Number => json!(7),
                Kind::Boolean => json!(true),
                Kind::Object => json!({}),
                Kind::Array => json!([]),
                Kind::OneOf | Kind::Any => json!({"any": 1}),
            };
            let (without, _) = read::<T>(body_at(&path[..path.len() - 1], json!({})));
            let (with, problems) = read::<T>(body_at(&path, sample));
            let shape_problems: Vec<_> = problems
                .iter()
                .filter(|problem| {
                    matches!(
                        problem.code(),
                        ProblemCode::UnknownField | ProblemCode::InvalidType
                    )
                })
                .collect();
            assert!(shape_problems.is_empty(), "{path:?}: {shape_problems:?}");
            if deprecated {
                assert_eq!(with, without, "{}: legacy {path:?} is read", T::name());
            } else {
                assert_ne!(
                    with,
                    without,
                    "{}: {path:?} never reaches the request",
                    T::name()
                );
            }
        }
    }

    #[test]
    fn every_member_of_every_request_body_reaches_its_domain_request() {
        every_member_reaches_the_request::<CreateCampaignRequest>();
        every_member_reaches_the_request::<RegisterMailboxRequest>();
        every_member_reaches_the_request::<UpdateMailboxRequest>();
        every_member_reaches_the_request::<CreateAgentRequest>();
        every_member_reaches_the_request::<crate::dto::workspace::CreateWorkspaceRequest>();
        every_member_reaches_the_request::<crate::dto::lead::CreateLeadRequest>();
        every_member_reaches_the_request::<crate::dto::lead::BulkLeadsRequest>();
        every_member_reaches_the_request::<crate::dto::lead::UpdateLeadRequest>();
        every_member_reaches_the_request::<crate::dto::dnc::AddDncEntriesRequest>();
        every_member_reaches_the_request::<crate::dto::enrolment::EnrolLeadsRequest>();
        every_member_reaches_the_request::<crate::dto::enrolment::LeadActionRequest>();
        every_member_reaches_the_request::<crate::dto::enrolment::UpdateCampaignLeadRequest>();
        every_member_reaches_the_request::<crate::dto::test_email::SendTestEmailBody>();
        every_member_reaches_the_request::<crate::dto::webhook::CreateWebhookRequest>();
        every_member_reaches_the_request::<crate::dto::webhook::UpdateWebhookRequest>();
    }

    fn dnc_request(body: Value) -> (domain::lead_request::DncRequest, Problems) {
        shape_only(read_checked::<crate::dto::dnc::AddDncEntriesRequest>(body))
    }

    #[test]
    fn a_one_of_without_discriminator_reads_each_item_by_its_json_type() {
        use domain::lead_request::DncEntryRequest;
        let (request, problems) = dnc_request(json!({
            "entries": ["ada@acme.com", {"domain": "acme.com", "reason": "bounce"}],
            "type": "email",
        }));
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(
            request.entries,
            Some(vec![
                DncEntryRequest::Plain("ada@acme.com".to_owned()),
                DncEntryRequest::Object {
                    email: None,
                    domain: Some("acme.com".to_owned()),
                    reason: Some("bounce".to_owned()),
                },
            ])
        );
        assert_eq!(request.kind.as_deref(), Some("email"));
    }

    #[test]
    fn a_one_of_item_of_no_alternatives_type_is_refused_naming_every_alternative() {
        let (request, problems) = dnc_request(json!({"entries": ["a@b.test", 7, null, "c.test"]}));
        let found: Vec<(String, ProblemCode, String)> = problems
            .iter()
            .map(|problem| {
                (
                    problem.pointer().to_string(),
                    problem.code(),
                    problem.message().to_owned(),
                )
            })
            .collect();
        assert_eq!(
            found,
            [
                (
                    "/entries/1".to_owned(),
                    ProblemCode::InvalidType,
                    "must be a string or an object".to_owned()
                ),
                (
                    "/entries/2".to_owned(),
                    ProblemCode::InvalidType,
                    "must be a string or an object".to_owned()
                ),
            ]
        );
        // The others keep their positions.
        assert_eq!(request.entries.map(|entries| entries.len()), Some(4));
    }

    #[test]
    fn a_one_of_object_item_has_its_members_checked_with_their_pointers() {
        let (_, problems) = dnc_request(json!({
            "entries": [{"emial": "ada@acme.com"}, {"email": 5}],
        }));
        let found: Vec<(String, ProblemCode)> = problems
            .iter()
            .map(|problem| (problem.pointer().to_string(), problem.code()))
            .collect();
        assert_eq!(
            found,
            [
                ("/entries/0/emial".to_owned(), ProblemCode::UnknownField),
                ("/entries/1/email".to_owned(), ProblemCode::InvalidType),
            ]
        );
    }

    #[test]
    fn the_schema_validators_run_and_their_problems_are_fallbacks() {
        let body = json!({
            "name": "x".repeat(201),
            "settings": {"slackChannelId": "C0123", "dailySendLimit": 0},
            "schedule": {"workingDays": []},
        });
        let (_, shape, refusals) = read_checked::<CreateCampaignRequest>(body.clone());
        assert!(shape.is_empty(), "{shape:?}");
        let refused: Vec<(String, ProblemCode)> = refusals
            .iter()
            .map(|problem| (problem.pointer().to_string(), problem.code()))
            .collect();
        assert_eq!(
            refused,
            [
                ("/name".to_owned(), ProblemCode::TooLong),
                (
                    "/settings/slackChannelId".to_owned(),
                    ProblemCode::InvalidFormat
                ),
                (
                    "/settings/dailySendLimit".to_owned(),
                    ProblemCode::OutOfRange
                ),
                ("/schedule/workingDays".to_owned(), ProblemCode::TooFew),
            ]
        );
        let (_, problems) = read::<CreateCampaignRequest>(body);
        assert_eq!(problems.len(), 4, "held back as fallbacks, not dropped");
    }

    /// Where the domain reports a place, its words are the answer; the schema's validator is silent.
    #[test]
    fn the_domain_rules_speak_before_the_schema_validators() {
        use domain::campaign::NewCampaign;
        use domain::rules::ParseRules;
        use domain::values::WebhookHostPolicy;

        let body = json!({"name": "x".repeat(201), "settings": {"slackChannelId": "C0123"}});
        let (request, edge) = read::<CreateCampaignRequest>(body);
        let (request_alone, _) = shape_only(read_checked::<CreateCampaignRequest>(json!({
            "name": "x".repeat(201), "settings": {"slackChannelId": "C0123"},
        })));
        let rules = || ParseRules::create(WebhookHostPolicy::PublicOnly);
        let domain_alone = NewCampaign::parse(&request_alone, rules()).expect_err("invalid");
        let merged = edge
            .ahead_of(NewCampaign::parse(&request, rules()))
            .expect_err("invalid");
        assert_eq!(merged, domain_alone);
    }

    /// A schema with `additionalProperties` takes undeclared members, each walked against it; its
    /// declared members keep their types; an object without it still refuses unknown members.
    #[test]
    fn an_open_object_takes_undeclared_members_and_checks_declared_ones() {
        use crate::dto::lead::{BulkLeadsRequest, CreateLeadRequest};
        use domain::lead_custom::CustomValue;

        let (bulk, problems) = read::<BulkLeadsRequest>(json!({
            "leads": [{"email": "ada@example.com", "lastFunding": "Seed", "firstName": 5}]
        }));
        let found: Vec<(String, ProblemCode)> = problems
            .iter()
            .map(|problem| (problem.pointer().to_string(), problem.code()))
            .collect();
        assert_eq!(
            found,
            [("/leads/0/firstName".to_owned(), ProblemCode::InvalidType)]
        );
        let leads = bulk.request.leads.expect("leads");
        assert_eq!(
            leads[0].extra_fields,
            [(
                "lastFunding".to_owned(),
                CustomValue::Text("Seed".to_owned())
            )]
        );
        assert_eq!(leads[0].first_name, None);

        let (_, closed) =
            read::<CreateLeadRequest>(json!({"email": "ada@example.com", "lastFunding": "Seed"}));
        let codes: Vec<ProblemCode> = closed.iter().map(|problem| problem.code()).collect();
        assert_eq!(codes, [ProblemCode::UnknownField]);
    }

    /// RFC 7386 appendix A: (target, patch, result).
    #[test]
    fn merge_patch_gives_the_rfc_7386_example_results() {
        let examples = [
            (json!({"a": "b"}), json!({"a": "c"}), json!({"a": "c"})),
            (
                json!({"a": "b"}),
                json!({"b": "c"}),
                json!({"a": "b", "b": "c"}),
            ),
            (json!({"a": "b"}), json!({"a": null}), json!({})),
            (
                json!({"a": "b", "b": "c"}),
                json!({"a": null}),
                json!({"b": "c"}),
            ),
            (json!({"a": ["b"]}), json!({"a": "c"}), json!({"a": "c"})),
            (json!({"a": "c"}), json!({"a": ["b"]}), json!({"a": ["b"]})),
            (
                json!({"a": {"b": "c"}}),
                json!({"a": {"b": "d", "c": null}}),
                json!({"a": {"b": "d"}}),
            ),
            (
                json!({"a": [{"b": "c"}]}),
                json!({"a": [1]}),
                json!({"a": [1]}),
            ),
            (json!(["a", "b"]), json!(["c", "d"]), json!(["c", "d"])),
            (json!({"a": "b"}), json!(["c"]), json!(["c"])),
            (json!({"a": "foo"}), json!(null), json!(null)),
            (json!({"a": "foo"}), json!("bar"), json!("bar")),
            (
                json!({"e": null}),
                json!({"a": 1}),
                json!({"e": null, "a": 1}),
            ),
            (
                json!([1, 2]),
                json!({"a": "b", "c": null}),
                json!({"a": "b"}),
            ),
            (
                json!({}),
                json!({"a": {"bb": {"ccc": null}}}),
                json!({"a": {"bb": {}}}),
            ),
        ];
        for (target, patch, result) in examples {
            let mut merged = target.clone();
            merge_patch(&mut merged, &patch);
            assert_eq!(merged, result, "{target} patched with {patch}");
        }
    }

    #[test]
    fn merge_patch_merges_nested_objects_keeping_siblings() {
        let mut campaign = json!({"name": "x", "settings": {"trackOpens": true, "webhook": {"enabled": true, "url": "u"}}});
        merge_patch(
            &mut campaign,
            &json!({"settings": {"webhook": {"enabled": false}}}),
        );
        assert_eq!(
            campaign,
            json!({"name": "x", "settings": {"trackOpens": true, "webhook": {"enabled": false, "url": "u"}}})
        );
    }

    #[test]
    fn merge_patch_null_removes_the_member_and_only_it() {
        let mut campaign =
            json!({"name": "x", "settings": {"dailySendLimit": 40, "cc": ["a@b.co"]}});
        merge_patch(
            &mut campaign,
            &json!({"settings": {"dailySendLimit": null}, "absent": null}),
        );
        assert_eq!(
            campaign,
            json!({"name": "x", "settings": {"cc": ["a@b.co"]}})
        );
    }

    #[test]
    fn merge_patch_replaces_arrays_whole() {
        let mut campaign =
            json!({"sequence": [{"type": "email", "subject": "s"}, {"type": "wait"}]});
        merge_patch(&mut campaign, &json!({"sequence": [{"type": "wait"}]}));
        assert_eq!(campaign, json!({"sequence": [{"type": "wait"}]}));
    }

    #[test]
    fn merge_patch_that_is_not_an_object_replaces_the_whole_target() {
        for patch in [json!([1]), json!("x"), json!(7), json!(false), json!(null)] {
            let mut campaign = json!({"name": "x", "settings": {"trackOpens": true}});
            merge_patch(&mut campaign, &patch);
            assert_eq!(campaign, patch);
        }
    }

    #[test]
    fn merge_patch_turns_a_non_object_member_into_an_object_to_merge_into() {
        let mut campaign = json!({"settings": "oops"});
        merge_patch(
            &mut campaign,
            &json!({"settings": {"trackOpens": true, "cc": null}}),
        );
        assert_eq!(campaign, json!({"settings": {"trackOpens": true}}));
    }

    /// `merge_patch` recurses once per level of patch nesting; the body parser is what bounds that.
    #[test]
    fn merge_patch_handles_the_deepest_patch_the_body_parser_accepts() {
        // serde_json refuses 128 levels of nesting; 127 is the deepest body a handler can see.
        let nested = |depth: usize| format!("{}1{}", r#"{"a":"#.repeat(depth), "}".repeat(depth));
        assert!(
            serde_json::from_str::<Value>(&nested(128)).is_err(),
            "serde_json's depth limit no longer bounds patches"
        );
        let patch: Value = serde_json::from_str(&nested(127)).expect("127 levels parse");
        let mut target = json!({"b": true});
        merge_patch(&mut target, &patch);
        assert_eq!(target.get("b"), Some(&json!(true)));
        assert_eq!(target.get("a"), patch.get("a"));
    }

    #[test]
    fn a_patched_campaign_reads_back_with_the_change_applied() {
        let (stored, _) = campaign_request(&every_campaign_field());
        let mut document = campaign_json(&stored);
        merge_patch(
            &mut document,
            &json!({"name": "Renamed", "schedule": {"endTime": null}, "mailboxTags": null}),
        );
        let (merged, problems) = campaign_request(&document);
        assert!(problems.is_empty(), "{problems:?}");
        let expected = CampaignRequest {
            name: Some("Renamed".to_owned()),
            schedule: stored.schedule.clone().map(|schedule| ScheduleRequest {
                end_time: None,
                ..schedule
            }),
            mailbox_selectors: MailboxSelectorsRequest {
                mailbox_tags: None,
                ..stored.mailbox_selectors.clone()
            },
            ..stored
        };
        assert_eq!(merged, expected);
    }

    /// Property tests of the create parser: mutations of a body holding every field.
    mod properties {
        use domain::campaign::NewCampaign;
        use domain::rules::ParseRules;
        use domain::values::WebhookHostPolicy;
        use proptest::prelude::*;

        use super::*;

        /// Strings that exercise the rules: empty, blank, HTML, placeholders, zones, times, URLs.
        const EDGE_STRINGS: &[&str] = &[
            "",
            " ",
            "email",
            "wait",
            "reply",
            "ai_tag",
            "keyword",
            "<script>alert(1)</script>",
            "{{firstName}}",
            "{{",
            "Europe/Paris",
            "Mars/Olympus",
            "09:00",
            "24:00",
            "9:5",
            "https://example.com/hook",
            "http://127.0.0.1/",
            "javascript:alert(1)",
            "a@example.com",
            "not-an-address",
            "6650a1b2c3d4e5f6a7b8c9d2",
            "\u{0}",
            "\u{202e}é",
        ];

        fn any_json() -> impl Strategy<Value = Value> {
            let leaf = prop_oneof![
                Just(Value::Null),
                any::<bool>().prop_map(Value::from),
                any::<i64>().prop_map(Value::from),
                any::<u64>().prop_map(Value::from),
                any::<f64>()
                    .prop_filter("JSON numbers are finite", |number| number.is_finite())
                    .prop_map(Value::from),
                ".{0,40}".prop_map(Value::from),
                prop::sample::select(EDGE_STRINGS).prop_map(Value::from),
                (1usize..600).prop_map(|length| Value::from("x".repeat(length))),
            ];
            leaf.prop_recursive(3, 32, 4, |inner| {
                prop_oneof![
                    prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                    prop::collection::btree_map(".{0,8}", inner, 0..4)
                        .prop_map(|members| Value::Object(members.into_iter().collect())),
                ]
            })
        }

        /// Every JSON Pointer into `value` (its root included).
        fn pointers(value: &Value, at: String, into: &mut Vec<String>) {
            match value {
                Value::Object(members) => {
                    for (name, member) in members {
                        pointers(member, format!("{at}/{name}"), into);
                    }
                }
                Value::Array(items) => {
                    for (index, item) in items.iter().enumerate() {
                        pointers(item, format!("{at}/{index}"), into);
                    }
                }
                _ => {}
            }
            into.push(at);
        }

        /// The full body with each `(place, value)` applied: a place's value replaced, or removed.
        fn mutated(mutations: &[(prop::sample::Index, Option<Value>)]) -> Value {
            let mut body = every_campaign_field();
            for (place, replacement) in mutations {
                let mut places = Vec::new();
                pointers(&body, String::new(), &mut places);
                let place = place.get(&places).clone();
                match replacement {
                    Some(value) => {
                        if let Some(target) = body.pointer_mut(&place) {
                            *target = value.clone();
                        }
                    }
                    None => {
                        let (parent, last) = place.rsplit_once('/').unwrap_or(("", ""));
                        match body.pointer_mut(parent) {
                            Some(Value::Object(members)) => {
                                members.remove(last);
                            }
                            Some(Value::Array(items)) => {
                                if let Ok(index) = last.parse::<usize>()
                                    && index < items.len()
                                {
                                    items.remove(index);
                                }
                            }
                            _ => {}
                        }
                    }
                }
            }
            body
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(512))]

            /// The create parser (the edge's reader, then the domain's rules) never panics, and
            /// every problem it reports points at the body or a member missing from it.
            #[test]
            fn the_create_parser_takes_any_mutation_of_a_full_body_without_panicking(
                mutations in prop::collection::vec(
                    (any::<prop::sample::Index>(), prop::option::weighted(0.8, any_json())),
                    1..6,
                ),
            ) {
                let body = mutated(&mutations);
                let (request, edge_problems) = campaign_request(&body);
                // The walk leaves only values of the declared types, so serde always fills the DTO.
                prop_assert!(
                    edge_problems.iter().all(|problem| problem.message() != UNREADABLE),
                    "a checked body did not deserialise: {}", body
                );
                let parsed = edge_problems.ahead_of(NewCampaign::parse(
                    &request,
                    ParseRules::create(WebhookHostPolicy::PublicOnly),
                ));
                if let Err(problems) = parsed {
                    prop_assert!(!problems.is_empty());
                    for problem in problems.iter() {
                        let pointer = problem.pointer().to_string();
                        let parent = pointer.rsplit_once('/').map_or("", |(parent, _)| parent);
                        prop_assert!(
                            body.pointer(&pointer).is_some() || body.pointer(parent).is_some(),
                            "{} points nowhere in {}", pointer, body
                        );
                    }
                    let answer = crate::error::ApiError::validation(&problems);
                    prop_assert_eq!(answer.status().as_u16(), 400);
                }
            }
        }
    }
}

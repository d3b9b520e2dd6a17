//! The text of one email (SENDING.md section 3 "The message"): a subject or body parsed once into a
//! [`MessageTemplate`], then rendered for one lead with [`MessageVariables`] and a [`SpintaxChooser`].
//! Pure: the randomness of spintax comes from the caller, so tests are deterministic.
//!
//! The template language:
//!
//! - `{{name}}` is replaced by the variable's value; `{{name|fallback}}` by `fallback` when the value
//!   is blank (empty or only white space). Without a value and without a fallback it renders empty.
//!   White space around the name and around the fallback is ignored (`{{ firstName | there }}`).
//! - `{a|b|c}` (single braces) renders one of its options, picked by the chooser, afresh at each
//!   occurrence and each render. Options may hold text, variables and further spintax, up to
//!   [`MAX_SPINTAX_DEPTH`] levels deep.
//! - Parsing never fails: whatever is not one of the forms above renders literally — an unclosed `{`,
//!   a stray `}` or `|`, `{{not a name}}`, and a brace group without a `|` (`{like this}`, so JSON or
//!   CSS-like text survives). Braces pair like parentheses: a `}` closes the nearest open `{`.
//!
//! Names are matched exactly, case included (`{{FirstName}}` is not `{{firstName}}`): custom field
//! names are case-sensitive (`Region` and `region` are two fields, see
//! [`crate::lead_custom::CustomFieldKey`]), and one rule for every name is easier to explain. A
//! misspelt name shows up in [`MessageTemplate::missing_variables`].
//!
//! Which value a name has, first match wins: the step's conditional variables (API.md 4.2.1, when
//! `useConditionalVariables` is on), then the standard lead fields, `company` (= `companyName`),
//! `senderName` (the mailbox's display name) and `senderEmail`, then the lead's custom fields (whose
//! names cannot take a standard or built-in name, see [`crate::lead_field::is_reserved_lead_name`]).
//!
//! Headers: [`header_safe`] keeps every control character out of a header value; RFC 2047 encoding is
//! the SMTP adapter's job. The text part of the message comes from the rendered HTML through
//! [`text_part_from_html`].

use std::borrow::Cow;
use std::collections::HashMap;

use crate::lead::LeadFields;
use crate::lead_field::LeadTextField;
use crate::mailbox::MailboxFields;
use crate::sequence::{Condition, ConditionOperator, EmailStep};

mod text_part;

pub use text_part::text_part_from_html;

/// Spintax groups nest at most this deep; a deeper group renders literally. Why a limit: rendering
/// recurses once per level, and no one writes more than two or three.
pub const MAX_SPINTAX_DEPTH: usize = 8;

/// Where spintax gets its randomness: which of `option_count` options (at least 2) to render.
///
/// Production passes a uniform random choice (SENDING.md: "picks one option per message,
/// uniformly"); tests pass a fixed sequence. An answer of `option_count` or more is taken modulo
/// `option_count`, never a panic.
pub trait SpintaxChooser {
    fn choose(&mut self, option_count: usize) -> usize;
}

impl<F: FnMut(usize) -> usize> SpintaxChooser for F {
    fn choose(&mut self, option_count: usize) -> usize {
        self(option_count)
    }
}

/// A subject or body, parsed once, to be rendered for many leads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageTemplate {
    parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    /// Template text, copied as it is (in the HTML part it is HTML already: the body was sanitised).
    Text(String),
    Variable(VariableUse),
    /// The options of one spintax group, at least two.
    Spintax(Vec<Vec<Part>>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct VariableUse {
    name: String,
    /// `None` without a `|`; `Some("")` for `{{name|}}`, which asks for nothing on purpose.
    fallback: Option<String>,
}

/// How a value is written into the output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Output {
    /// Values HTML-escaped, their line breaks as `<br>`.
    Html,
    /// Values as they are.
    Text,
}

impl MessageTemplate {
    /// Parses a subject, a body or a conditional variable's text. Never fails: see the module
    /// documentation for what renders literally.
    pub fn parse(source: &str) -> MessageTemplate {
        let tokens = tokenize(source);
        let groups = pair_braces(&tokens);
        MessageTemplate {
            parts: build_parts(&tokens, &groups, 0..tokens.len(), 0),
        }
    }

    /// The HTML part's text: values HTML-escaped (`& < > " '`), and a line break in a value (a custom
    /// field may hold a paragraph) becomes `<br>`. The template itself is taken as HTML, as a stored
    /// body is ([`crate::body::EmailBody`]).
    pub fn render_html(
        &self,
        variables: &MessageVariables<'_>,
        chooser: &mut impl SpintaxChooser,
    ) -> String {
        let mut rendered = String::new();
        render(&self.parts, variables, chooser, Output::Html, &mut rendered);
        rendered
    }

    /// Plain text: template and values as they are, nothing escaped.
    pub fn render_text(
        &self,
        variables: &MessageVariables<'_>,
        chooser: &mut impl SpintaxChooser,
    ) -> String {
        let mut rendered = String::new();
        render(&self.parts, variables, chooser, Output::Text, &mut rendered);
        rendered
    }

    /// A header value (the subject): plain text made [`header_safe`]. Why here: the subject template
    /// is safe, but a value (a custom field may hold line breaks) is not.
    pub fn render_header(
        &self,
        variables: &MessageVariables<'_>,
        chooser: &mut impl SpintaxChooser,
    ) -> String {
        header_safe(&self.render_text(variables, chooser))
    }

    /// The names used without a value and without a fallback, each once, in order of first use: what
    /// would render empty. Every option of every spintax group counts (the answer must not depend on
    /// the choice). A conditional variable counts when the text it takes for this lead is blank, and
    /// the names that text uses are checked too.
    pub fn missing_variables(&self, variables: &MessageVariables<'_>) -> Vec<String> {
        let mut missing = Vec::new();
        collect_missing(&self.parts, variables, Lookup::All, &mut missing);
        missing
    }
}

/// The values of one message: one lead, one sending mailbox, and the step's conditional variables.
#[derive(Debug, Clone)]
pub struct MessageVariables<'a> {
    values: HashMap<&'a str, Cow<'a, str>>,
    /// Each conditional variable's text for this lead, its condition already decided.
    conditionals: HashMap<&'a str, MessageTemplate>,
}

impl<'a> MessageVariables<'a> {
    /// The lead's fields, custom fields included, and the sender's (`senderName` is the mailbox's
    /// display name, `senderEmail` its address). `country` renders as the stored code (`GB`).
    pub fn for_lead(lead: &'a LeadFields, sender: &'a MailboxFields) -> MessageVariables<'a> {
        Self::of(Some(lead), Some(sender))
    }

    /// [`Self::for_lead`] where the lead or the sender may be unknown (a preview without them): their
    /// names then have no value.
    pub fn of(
        lead: Option<&'a LeadFields>,
        sender: Option<&'a MailboxFields>,
    ) -> MessageVariables<'a> {
        let mut values: HashMap<&'a str, Cow<'a, str>> = HashMap::new();
        if let Some(sender) = sender {
            if let Some(name) = sender.display_name() {
                values.insert("senderName", Cow::Borrowed(name));
            }
            values.insert("senderEmail", Cow::Borrowed(sender.email().as_str()));
        }
        let Some(lead) = lead else {
            return MessageVariables {
                values,
                conditionals: HashMap::new(),
            };
        };
        values.insert("email", Cow::Borrowed(lead.email().as_str()));
        for field in LeadTextField::ALL {
            if let Some(text) = lead.text(*field) {
                values.insert(field.as_str(), Cow::Borrowed(text));
            }
        }
        if let Some(company) = lead.company_name() {
            values.insert("company", Cow::Borrowed(company));
        }
        if let Some(country) = lead.country() {
            values.insert("country", Cow::Owned(country.as_str().to_owned()));
        }
        for (key, value) in lead.custom_fields().iter() {
            // Why `or_insert`: a standard name wins; custom names cannot take one anyway.
            values
                .entry(key.as_str())
                .or_insert_with(|| value.rendered());
        }
        MessageVariables {
            values,
            conditionals: HashMap::new(),
        }
    }

    /// These values and the step's conditional variables, each decided now for this lead: its first
    /// condition that holds gives its text, else `else` does. Nothing changes when the step has
    /// `useConditionalVariables` off: its definitions are kept but not used.
    ///
    /// A condition's `field` is looked up like a variable (standard, built-in or custom; never another
    /// conditional variable); an unknown field has no value. `has_value` holds for a non-blank value,
    /// `no_value` for a blank one; `equals`, `contains` and their negations compare the value and
    /// `value` trimmed and ignoring case (lead data comes from CSV files and forms, typed by hand).
    pub fn with_conditional_variables(mut self, step: &'a EmailStep) -> MessageVariables<'a> {
        if !step.use_conditional_variables() {
            return self;
        }
        for variable in step.conditional_variables() {
            let text = variable
                .conditions()
                .iter()
                .find(|condition| self.holds(condition))
                .map_or(variable.otherwise(), Condition::then);
            self.conditionals
                .insert(variable.name(), MessageTemplate::parse(text));
        }
        self
    }

    fn holds(&self, condition: &Condition) -> bool {
        let actual = self.value(condition.field()).unwrap_or_default().trim();
        let expected = condition.value().unwrap_or_default().trim();
        let folded = || (actual.to_lowercase(), expected.to_lowercase());
        match condition.operator() {
            ConditionOperator::HasValue => !actual.is_empty(),
            ConditionOperator::NoValue => actual.is_empty(),
            ConditionOperator::Equals => {
                let (actual, expected) = folded();
                actual == expected
            }
            ConditionOperator::NotEquals => {
                let (actual, expected) = folded();
                actual != expected
            }
            ConditionOperator::Contains => {
                let (actual, expected) = folded();
                actual.contains(&expected)
            }
            ConditionOperator::NotContains => {
                let (actual, expected) = folded();
                !actual.contains(&expected)
            }
        }
    }

    /// The value of a standard, built-in or custom variable (not a conditional one).
    fn value(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(|value| value.as_ref())
    }
}

#[cfg(test)]
impl<'a> MessageVariables<'a> {
    /// Variables with exactly these values, for tests that need values no lead may hold.
    pub(crate) fn from_values(values: &[(&'a str, &'a str)]) -> MessageVariables<'a> {
        MessageVariables {
            values: values
                .iter()
                .map(|(name, value)| (*name, Cow::Borrowed(*value)))
                .collect(),
            conditionals: HashMap::new(),
        }
    }
}

/// Which variables a text may use: a conditional variable's text may not use conditional variables
/// (why: one may not refer to itself or to another in a loop).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lookup {
    All,
    ValuesOnly,
}

fn render(
    parts: &[Part],
    variables: &MessageVariables<'_>,
    chooser: &mut impl SpintaxChooser,
    output: Output,
    rendered: &mut String,
) {
    render_with(parts, variables, Lookup::All, chooser, output, rendered);
}

fn render_with(
    parts: &[Part],
    variables: &MessageVariables<'_>,
    lookup: Lookup,
    chooser: &mut impl SpintaxChooser,
    output: Output,
    rendered: &mut String,
) {
    for part in parts {
        match part {
            Part::Text(text) => rendered.push_str(text),
            Part::Variable(used) => {
                let value = resolve(&used.name, variables, lookup, chooser);
                match (value, &used.fallback) {
                    (Some(value), _) if !is_blank(&value) => push_value(rendered, &value, output),
                    (_, Some(fallback)) => rendered.push_str(fallback),
                    (_, None) => {}
                }
            }
            Part::Spintax(options) => {
                let count = options.len().max(1);
                let picked = chooser.choose(count) % count;
                if let Some(option) = options.get(picked) {
                    render_with(option, variables, lookup, chooser, output, rendered);
                }
            }
        }
    }
}

/// The value of `name`: a conditional variable's text rendered as plain text (it is a value, so the
/// HTML part escapes it: its author wrote text, not HTML), or a lead or sender value.
fn resolve<'v>(
    name: &str,
    variables: &'v MessageVariables<'_>,
    lookup: Lookup,
    chooser: &mut impl SpintaxChooser,
) -> Option<Cow<'v, str>> {
    if lookup == Lookup::All
        && let Some(text) = variables.conditionals.get(name)
    {
        let mut rendered = String::new();
        render_with(
            &text.parts,
            variables,
            Lookup::ValuesOnly,
            chooser,
            Output::Text,
            &mut rendered,
        );
        return Some(Cow::Owned(rendered));
    }
    variables.value(name).map(Cow::Borrowed)
}

fn collect_missing(
    parts: &[Part],
    variables: &MessageVariables<'_>,
    lookup: Lookup,
    missing: &mut Vec<String>,
) {
    for part in parts {
        match part {
            Part::Text(_) => {}
            Part::Variable(used) => {
                let conditional = match lookup {
                    Lookup::All => variables.conditionals.get(used.name.as_str()),
                    Lookup::ValuesOnly => None,
                };
                let has_value = match conditional {
                    Some(text) => {
                        collect_missing(&text.parts, variables, Lookup::ValuesOnly, missing);
                        !text.is_blank_source()
                    }
                    None => variables.value(&used.name).is_some_and(|v| !is_blank(v)),
                };
                if !has_value && used.fallback.is_none() && !missing.contains(&used.name) {
                    missing.push(used.name.clone());
                }
            }
            Part::Spintax(options) => {
                for option in options {
                    collect_missing(option, variables, lookup, missing);
                }
            }
        }
    }
}

impl MessageTemplate {
    /// Whether the template has no variable, no spintax and only white space.
    fn is_blank_source(&self) -> bool {
        self.parts
            .iter()
            .all(|part| matches!(part, Part::Text(text) if is_blank(text)))
    }
}

/// Blank: empty or only white space (SENDING.md: a fallback replaces a blank value).
fn is_blank(value: &str) -> bool {
    value.trim().is_empty()
}

fn push_value(rendered: &mut String, value: &str, output: Output) {
    match output {
        Output::Text => rendered.push_str(value),
        Output::Html => push_html_escaped(rendered, value),
    }
}

/// `& < > " '` as entities, so a value can sit in text or in a quoted attribute; `\r\n`, `\r` and
/// `\n` as `<br>`, so a paragraph in a custom field keeps its lines.
fn push_html_escaped(rendered: &mut String, value: &str) {
    let mut characters = value.chars().peekable();
    while let Some(character) = characters.next() {
        match character {
            '&' => rendered.push_str("&amp;"),
            '<' => rendered.push_str("&lt;"),
            '>' => rendered.push_str("&gt;"),
            '"' => rendered.push_str("&quot;"),
            '\'' => rendered.push_str("&#39;"),
            '\r' => {
                characters.next_if_eq(&'\n');
                rendered.push_str("<br>");
            }
            '\n' => rendered.push_str("<br>"),
            other => rendered.push(other),
        }
    }
}

/// `value` made safe for a mail header: every run of control characters (CR, LF, tab, NUL, DEL, the
/// C1 range…) and white space (including the Unicode line and paragraph separators) becomes one
/// space, and the ends are trimmed. So no stored value can end a header line and start another
/// (SENDING.md: "Headers are safe"). Encoding (RFC 2047) is left to the SMTP adapter.
pub fn header_safe(value: &str) -> String {
    let mut safe = String::with_capacity(value.len());
    let mut space_pending = false;
    for character in value.chars() {
        if character.is_control() || character.is_whitespace() {
            space_pending = !safe.is_empty();
        } else {
            if space_pending {
                safe.push(' ');
                space_pending = false;
            }
            safe.push(character);
        }
    }
    safe
}

// ---- Parsing -------------------------------------------------------------------------------------

/// The template cut at its braces and bars; a well-formed `{{name}}` or `{{name|fallback}}` is one
/// token.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Token<'s> {
    Text(&'s str),
    Variable(VariableUse),
    Open,
    Bar,
    Close,
}

fn tokenize(source: &str) -> Vec<Token<'_>> {
    let bytes = source.as_bytes();
    let mut tokens = Vec::new();
    let mut text_start = 0;
    let mut at = 0;
    // Why bytes: `{`, `|` and `}` are ASCII, and UTF-8 never uses an ASCII byte inside another
    // character, so every index where one is found is a character boundary.
    while let Some(&byte) = bytes.get(at) {
        let token = match byte {
            b'{' => match variable_at(source, at) {
                Some((variable, end)) => {
                    push_text_token(&mut tokens, source, text_start, at);
                    tokens.push(Token::Variable(variable));
                    at = end;
                    text_start = end;
                    continue;
                }
                None => Token::Open,
            },
            b'|' => Token::Bar,
            b'}' => Token::Close,
            _ => {
                at += 1;
                continue;
            }
        };
        push_text_token(&mut tokens, source, text_start, at);
        tokens.push(token);
        at += 1;
        text_start = at;
    }
    push_text_token(&mut tokens, source, text_start, source.len());
    tokens
}

fn push_text_token<'s>(tokens: &mut Vec<Token<'s>>, source: &'s str, start: usize, end: usize) {
    if let Some(text) = source.get(start..end).filter(|text| !text.is_empty()) {
        tokens.push(Token::Text(text));
    }
}

/// The variable `{{name}}` or `{{name|fallback}}` starting at byte `at`, and the byte after it: the
/// inside holds no brace, is closed by `}}`, and the name is `[A-Za-z_][A-Za-z0-9_]*`.
fn variable_at(source: &str, at: usize) -> Option<(VariableUse, usize)> {
    let after_open = at + 2;
    let rest = source.get(at..)?.strip_prefix("{{")?;
    // Why stop at the first brace of either kind: `{{{{…` must not scan to the end at every `{`.
    let close = rest.find(['{', '}'])?;
    let after = rest.get(close..)?;
    if !after.starts_with("}}") {
        return None;
    }
    let inside = rest.get(..close)?;
    let (name, fallback) = match inside.split_once('|') {
        Some((name, fallback)) => (name.trim(), Some(fallback.trim().to_owned())),
        None => (inside.trim(), None),
    };
    is_variable_name(name).then(|| {
        let variable = VariableUse {
            name: name.to_owned(),
            fallback,
        };
        (variable, after_open + close + 2)
    })
}

/// `[A-Za-z_][A-Za-z0-9_]*`: what a custom field or a conditional variable may be named.
fn is_variable_name(name: &str) -> bool {
    let mut characters = name.chars();
    characters
        .next()
        .is_some_and(|first| first.is_ascii_alphabetic() || first == '_')
        && characters.all(|rest| rest.is_ascii_alphanumeric() || rest == '_')
}

/// For each `{` token that a `}` closes: that `}`'s index and the indexes of the bars directly inside
/// (not inside a nested group). Indexed by token; `None` for every other token.
fn pair_braces(tokens: &[Token<'_>]) -> Vec<Option<Group>> {
    let mut groups: Vec<Option<Group>> = vec![None; tokens.len()];
    let mut bars: Vec<Vec<usize>> = vec![Vec::new(); tokens.len()];
    let mut open: Vec<usize> = Vec::new();
    for (index, token) in tokens.iter().enumerate() {
        match token {
            Token::Open => open.push(index),
            Token::Bar => {
                if let Some(&innermost) = open.last()
                    && let Some(owned) = bars.get_mut(innermost)
                {
                    owned.push(index);
                }
            }
            Token::Close => {
                if let Some(opening) = open.pop() {
                    let owned = bars.get_mut(opening).map(std::mem::take);
                    if let Some(slot) = groups.get_mut(opening) {
                        *slot = Some(Group {
                            close: index,
                            bars: owned.unwrap_or_default(),
                        });
                    }
                }
            }
            Token::Text(_) | Token::Variable(_) => {}
        }
    }
    groups
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Group {
    close: usize,
    bars: Vec<usize>,
}

/// The parts of the tokens in `range`, at spintax depth `depth`. A `{` that opens no group with a bar
/// (or one too deep), and every bar and `}` met here, is literal text: the separators and the closing
/// brace of a real group are skipped with it.
fn build_parts(
    tokens: &[Token<'_>],
    groups: &[Option<Group>],
    range: std::ops::Range<usize>,
    depth: usize,
) -> Vec<Part> {
    let mut parts = Vec::new();
    let mut index = range.start;
    while index < range.end {
        let Some(token) = tokens.get(index) else {
            break;
        };
        match token {
            Token::Text(text) => push_text_part(&mut parts, text),
            Token::Variable(variable) => parts.push(Part::Variable(variable.clone())),
            Token::Bar => push_text_part(&mut parts, "|"),
            Token::Close => push_text_part(&mut parts, "}"),
            Token::Open => match groups.get(index).and_then(Option::as_ref) {
                Some(group) if !group.bars.is_empty() && depth < MAX_SPINTAX_DEPTH => {
                    let mut options = Vec::with_capacity(group.bars.len() + 1);
                    let mut start = index + 1;
                    for &end in group.bars.iter().chain([&group.close]) {
                        options.push(build_parts(tokens, groups, start..end, depth + 1));
                        start = end + 1;
                    }
                    parts.push(Part::Spintax(options));
                    index = group.close + 1;
                    continue;
                }
                _ => push_text_part(&mut parts, "{"),
            },
        }
        index += 1;
    }
    parts
}

/// Appends text, joined to the text before it (fewer parts to walk at each render).
fn push_text_part(parts: &mut Vec<Part>, text: &str) {
    if let Some(Part::Text(last)) = parts.last_mut() {
        last.push_str(text);
    } else {
        parts.push(Part::Text(text.to_owned()));
    }
}

#[cfg(test)]
mod tests;

//! Sequences of email and wait steps (spec 4.2), with A/B variants and conditional variables.

use std::collections::HashSet;

use crate::body::EmailBody;
use crate::problem::{Invalid, JsonPointer, ProblemCode, Problems};
use crate::request::{ConditionRequest, ConditionalVariableRequest, StepRequest, VariantRequest};
use crate::rules::Purpose;
use crate::text::{Lines, at_most, parse_choice, stored_text, wire_enum};

/// At most this many steps in one sequence.
pub const MAX_STEPS: usize = 50;
/// A step name is at most this long.
pub const MAX_STEP_NAME_CHARS: usize = 100;
/// A subject is at most this long.
pub const MAX_SUBJECT_CHARS: usize = 500;
/// A wait lasts at most this many days in total.
pub const MAX_WAIT_DAYS: u32 = 365;
/// One variant per letter A–Z.
pub const MAX_VARIANTS: usize = 26;
/// Conditional variables per step (our limit; the seed sets none).
pub const MAX_CONDITIONAL_VARIABLES: usize = 20;
/// Conditions per conditional variable (our limit; the seed sets none).
pub const MAX_CONDITIONS: usize = 20;
const MAX_VARIABLE_NAME_CHARS: usize = 64;
const MAX_CONDITION_FIELD_CHARS: usize = 100;
const MAX_CONDITION_TEXT_CHARS: usize = 1_000;

wire_enum!(
    /// The two kinds of step (`type`).
    StepType {
        Email => "email",
        Wait => "wait",
    }
);

wire_enum!(
    /// How a condition compares a lead field.
    ConditionOperator {
        HasValue => "has_value",
        NoValue => "no_value",
        Equals => "equals",
        NotEquals => "not_equals",
        Contains => "contains",
        NotContains => "not_contains",
    }
);

impl ConditionOperator {
    /// Whether the operator compares against a `value`.
    pub fn takes_value(self) -> bool {
        !matches!(self, Self::HasValue | Self::NoValue)
    }
}

/// Which sequence is being parsed: the rules differ slightly (spec 4.2 and 4.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SequenceRole {
    /// The campaign's main sequence: starts with an email; its first email needs a subject.
    Main,
    /// A subsequence's sequence: may start with a wait; needs at least one email.
    Subsequence,
}

/// An ordered, valid list of steps.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Sequence(Vec<Step>);

/// One step; its order is its position in the sequence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    name: String,
    kind: StepKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepKind {
    Email(EmailStep),
    Wait(WaitStep),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailStep {
    subject: String,
    body: EmailBody,
    variants: Vec<Variant>,
    use_conditional_variables: bool,
    conditional_variables: Vec<ConditionalVariable>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WaitStep {
    days: u32,
    hours: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Variant {
    letter: char,
    subject: String,
    body: EmailBody,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConditionalVariable {
    name: String,
    conditions: Vec<Condition>,
    otherwise: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    field: String,
    operator: ConditionOperator,
    value: Option<String>,
    then: String,
}

impl Sequence {
    /// Parses the steps at `at` (e.g. `/sequence`), reporting every problem.
    pub fn parse(
        steps: &[StepRequest],
        role: SequenceRole,
        purpose: Purpose,
        at: &JsonPointer,
    ) -> Result<Sequence, Problems> {
        let mut problems = Problems::new();
        if steps.len() > MAX_STEPS {
            problems.add(
                at.clone(),
                ProblemCode::TooMany,
                format!(
                    "a sequence has at most {MAX_STEPS} steps, not {}",
                    steps.len()
                ),
            );
            return Err(problems);
        }

        // Request indexes in step order; pointers keep naming the request's own positions.
        let (ordered, orders_valid) = match order_steps(steps, at, &mut problems) {
            Some(ordered) => (ordered, true),
            None => ((0..steps.len()).collect(), false),
        };
        let types: Vec<Option<StepType>> = steps
            .iter()
            .enumerate()
            .map(|(index, step)| {
                let pointer = at.index(index).field("type");
                match step.kind.as_deref() {
                    None => {
                        problems.add(pointer, ProblemCode::Required, "type is required");
                        None
                    }
                    Some(raw) => problems.check(
                        parse_choice(raw, "type", StepType::from_wire, StepType::choices),
                        pointer,
                    ),
                }
            })
            .collect();

        let first_email = ordered
            .iter()
            .copied()
            .find(|&index| types[index] == Some(StepType::Email));
        let mut parsed: Vec<Option<Step>> = Vec::with_capacity(steps.len());
        let mut emails_seen = 0usize;
        for &index in &ordered {
            let pointer = at.index(index);
            let step = &steps[index];
            let parsed_step = match types[index] {
                Some(StepType::Email) => {
                    let default_name = if emails_seen == 0 {
                        "Initial Email".to_owned()
                    } else {
                        format!("Follow-up {emails_seen}")
                    };
                    emails_seen += 1;
                    let subject_required = role == SequenceRole::Main && first_email == Some(index);
                    let name = step_name(step, default_name, &pointer, &mut problems);
                    let email =
                        EmailStep::parse(step, subject_required, purpose, &pointer, &mut problems);
                    name.zip(email).map(|(name, email)| Step {
                        name,
                        kind: StepKind::Email(email),
                    })
                }
                Some(StepType::Wait) => {
                    WaitStep::parse(step, &pointer, &mut problems).and_then(|wait| {
                        let name = step_name(step, wait.default_name(), &pointer, &mut problems)?;
                        Some(Step {
                            name,
                            kind: StepKind::Wait(wait),
                        })
                    })
                }
                None => None,
            };
            parsed.push(parsed_step);
        }

        if orders_valid {
            // Structure is judged in step order; with broken orders it would only be a guess.
            check_structure(&ordered, &types, role, at, &mut problems);
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(Sequence(parsed.into_iter().flatten().collect()))
    }

    /// The steps in request form, with their orders and names, so that parsing them gives them back.
    pub fn to_requests(&self) -> Vec<StepRequest> {
        self.0
            .iter()
            .enumerate()
            .map(|(order, step)| {
                let order = i64::try_from(order).unwrap_or(i64::MAX);
                let mut request = StepRequest {
                    kind: Some(step.step_type().as_str().to_owned()),
                    order: Some(order),
                    name: Some(step.name.clone()),
                    ..StepRequest::default()
                };
                match &step.kind {
                    StepKind::Email(email) => {
                        request.subject = Some(email.subject.clone());
                        request.body = Some(email.body.as_str().to_owned());
                        request.variants = Some(
                            email
                                .variants
                                .iter()
                                .map(|variant| VariantRequest {
                                    letter: Some(variant.letter.to_string()),
                                    subject: Some(variant.subject.clone()),
                                    body: Some(variant.body.as_str().to_owned()),
                                })
                                .collect(),
                        );
                        request.use_conditional_variables = Some(email.use_conditional_variables);
                        request.conditional_variables = Some(
                            email
                                .conditional_variables
                                .iter()
                                .map(ConditionalVariable::to_request)
                                .collect(),
                        );
                    }
                    StepKind::Wait(wait) => {
                        request.wait_days = Some(i64::from(wait.days));
                        request.wait_hours = Some(i64::from(wait.hours));
                    }
                }
                request
            })
            .collect()
    }

    pub fn steps(&self) -> &[Step] {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether any step sends an email (a campaign needs one to start).
    pub fn has_email(&self) -> bool {
        self.0
            .iter()
            .any(|step| matches!(step.kind, StepKind::Email(_)))
    }
}

/// Request indexes sorted by `order`, or by array position when no step carries one; `None` (with the
/// problems recorded) when the orders are inconsistent.
fn order_steps(
    steps: &[StepRequest],
    at: &JsonPointer,
    problems: &mut Problems,
) -> Option<Vec<usize>> {
    let given = steps.iter().filter(|step| step.order.is_some()).count();
    if given == 0 {
        return Some((0..steps.len()).collect());
    }
    if given < steps.len() {
        for (index, step) in steps.iter().enumerate() {
            if step.order.is_none() {
                problems.add(
                    at.index(index).field("order"),
                    ProblemCode::InvalidOrder,
                    "order must be given on every step when any step has one",
                );
            }
        }
        return None;
    }
    let count = steps.len();
    let mut slots: Vec<Option<usize>> = vec![None; count];
    let mut consistent = true;
    for (index, step) in steps.iter().enumerate() {
        let order = step.order.unwrap_or_default();
        let pointer = at.index(index).field("order");
        match usize::try_from(order).ok().filter(|&order| order < count) {
            None => {
                consistent = false;
                problems.add(
                    pointer,
                    ProblemCode::InvalidOrder,
                    format!("order must be between 0 and {} (one per step)", count - 1),
                );
            }
            Some(slot) if slots[slot].is_some() => {
                consistent = false;
                problems.add(
                    pointer,
                    ProblemCode::InvalidOrder,
                    format!("order {slot} is given to more than one step"),
                );
            }
            Some(slot) => slots[slot] = Some(index),
        }
    }
    consistent.then(|| slots.into_iter().flatten().collect())
}

fn check_structure(
    ordered: &[usize],
    types: &[Option<StepType>],
    role: SequenceRole,
    at: &JsonPointer,
    problems: &mut Problems,
) {
    let kinds: Vec<(usize, StepType)> = ordered
        .iter()
        .filter_map(|&index| types[index].map(|kind| (index, kind)))
        .collect();
    if kinds.len() != ordered.len() {
        return; // a step without a valid type already has its problem; structure would only guess
    }
    match role {
        SequenceRole::Main => {
            if let Some(&(index, StepType::Wait)) = kinds.first() {
                problems.add(
                    at.index(index).field("type"),
                    ProblemCode::InvalidStructure,
                    "the sequence must start with an email step",
                );
            }
        }
        SequenceRole::Subsequence => {
            if !kinds.iter().any(|&(_, kind)| kind == StepType::Email) {
                problems.add(
                    at.clone(),
                    ProblemCode::TooFew,
                    "a subsequence needs at least one email step",
                );
            }
        }
    }
    for pair in kinds.windows(2) {
        if let [(_, StepType::Wait), (index, StepType::Wait)] = pair {
            problems.add(
                at.index(*index).field("type"),
                ProblemCode::InvalidStructure,
                "a wait step must not follow another wait step",
            );
        }
    }
    if let Some(&(index, StepType::Wait)) = kinds.last() {
        problems.add(
            at.index(index).field("type"),
            ProblemCode::InvalidStructure,
            "the sequence must not end with a wait step",
        );
    }
}

/// The step's given name (trimmed, at most 100 characters), or the assigned one when omitted or blank.
fn step_name(
    step: &StepRequest,
    assigned: String,
    at: &JsonPointer,
    problems: &mut Problems,
) -> Option<String> {
    match step.name.as_deref().map(str::trim) {
        None | Some("") => Some(assigned),
        Some(given) => problems
            .check(
                stored_text(given, "name", MAX_STEP_NAME_CHARS, Lines::One),
                at.field("name"),
            )
            .map(|()| given.to_owned()),
    }
}

fn refuse_fields(
    present: &[(&str, bool)],
    owner: StepType,
    at: &JsonPointer,
    problems: &mut Problems,
) {
    for &(field, is_present) in present {
        if is_present {
            problems.add(
                at.field(field),
                ProblemCode::NotAllowed,
                format!("{field} is not allowed on a {owner} step"),
            );
        }
    }
}

/// A subject: at most 500 characters, on one line (it becomes a mail header); non-blank where the
/// thread starts.
fn parse_subject(raw: Option<&str>, required: bool) -> Result<String, Invalid> {
    let subject = raw.unwrap_or_default();
    if required && subject.trim().is_empty() {
        let code = if raw.is_none() {
            ProblemCode::Required
        } else {
            ProblemCode::Blank
        };
        return Err(Invalid::new(
            code,
            "subject is required on the first email of the sequence",
        ));
    }
    stored_text(subject, "subject", MAX_SUBJECT_CHARS, Lines::One)?;
    Ok(subject.to_owned())
}

fn parse_body(raw: Option<&str>, purpose: Purpose) -> Result<EmailBody, Invalid> {
    match (raw, purpose) {
        (None, _) => Err(Invalid::new(ProblemCode::Required, "body is required")),
        (Some(stored), Purpose::Stored) => Ok(EmailBody::restore(stored)),
        (Some(raw), Purpose::Create | Purpose::Update) => EmailBody::parse(raw),
    }
}

impl EmailStep {
    fn parse(
        step: &StepRequest,
        subject_required: bool,
        purpose: Purpose,
        at: &JsonPointer,
        problems: &mut Problems,
    ) -> Option<EmailStep> {
        refuse_fields(
            &[
                ("waitDays", step.wait_days.is_some()),
                ("waitHours", step.wait_hours.is_some()),
            ],
            StepType::Email,
            at,
            problems,
        );
        let given_variants = step
            .variants
            .as_deref()
            .filter(|variants| !variants.is_empty());
        let variants = given_variants.map(|variants| {
            parse_variants(
                variants,
                subject_required,
                purpose,
                &at.field("variants"),
                problems,
            )
        });

        // With variants, the step's own subject and body may be omitted: the first variant provides them.
        let first_variant = given_variants.and_then(|variants| variants.first());
        let subject = match (&step.subject, first_variant) {
            (None, Some(variant)) => problems.check(
                parse_subject(variant.subject.as_deref(), subject_required),
                at.field("variants").index(0).field("subject"),
            ),
            (subject, _) => problems.check(
                parse_subject(subject.as_deref(), subject_required),
                at.field("subject"),
            ),
        };
        let body = match (&step.body, first_variant) {
            (None, Some(_)) => None, // taken from the first parsed variant below
            (body, _) => problems.check(parse_body(body.as_deref(), purpose), at.field("body")),
        };

        let use_conditional_variables = step.use_conditional_variables.unwrap_or(false);
        let conditional_variables = parse_conditional_variables(
            step.conditional_variables.as_deref(),
            use_conditional_variables,
            at,
            problems,
        );

        let subject = subject?;
        let variants = match variants {
            Some(parsed) => parsed?,
            None => vec![Variant {
                letter: 'A',
                subject: subject.clone(),
                body: body.clone()?,
            }],
        };
        let body = match body {
            Some(body) => body,
            None => variants.first()?.body.clone(),
        };
        Some(EmailStep {
            subject,
            body,
            variants,
            use_conditional_variables,
            conditional_variables: conditional_variables?,
        })
    }

    pub fn subject(&self) -> &str {
        &self.subject
    }

    pub fn body(&self) -> &EmailBody {
        &self.body
    }

    pub fn variants(&self) -> &[Variant] {
        &self.variants
    }

    pub fn use_conditional_variables(&self) -> bool {
        self.use_conditional_variables
    }

    pub fn conditional_variables(&self) -> &[ConditionalVariable] {
        &self.conditional_variables
    }
}

fn parse_variants(
    variants: &[VariantRequest],
    subject_required: bool,
    purpose: Purpose,
    at: &JsonPointer,
    problems: &mut Problems,
) -> Option<Vec<Variant>> {
    if variants.len() > MAX_VARIANTS {
        problems.add(
            at.clone(),
            ProblemCode::TooMany,
            format!("a step has at most {MAX_VARIANTS} variants (one per letter A-Z)"),
        );
        return None;
    }
    let mut letters_seen = HashSet::new();
    let mut parsed = Vec::with_capacity(variants.len());
    let mut complete = true;
    for (index, variant) in variants.iter().enumerate() {
        let pointer = at.index(index);
        let letter = problems
            .check(
                parse_letter(variant.letter.as_deref()),
                pointer.field("letter"),
            )
            .and_then(|letter| {
                if letters_seen.insert(letter) {
                    Some(letter)
                } else {
                    problems.add(
                        pointer.field("letter"),
                        ProblemCode::Duplicate,
                        format!("variant letter {letter} is used more than once in this step"),
                    );
                    None
                }
            });
        let subject = problems.check(
            parse_subject(variant.subject.as_deref(), subject_required),
            pointer.field("subject"),
        );
        let body = problems.check(
            parse_body(variant.body.as_deref(), purpose),
            pointer.field("body"),
        );
        match (letter, subject, body) {
            (Some(letter), Some(subject), Some(body)) => parsed.push(Variant {
                letter,
                subject,
                body,
            }),
            _ => complete = false,
        }
    }
    complete.then_some(parsed)
}

fn parse_letter(raw: Option<&str>) -> Result<char, Invalid> {
    let raw = raw.ok_or_else(|| Invalid::new(ProblemCode::Required, "letter is required"))?;
    let mut characters = raw.chars();
    match (characters.next(), characters.next()) {
        (Some(letter @ 'A'..='Z'), None) => Ok(letter),
        _ => Err(Invalid::new(
            ProblemCode::InvalidFormat,
            "letter must be a single uppercase letter A-Z",
        )),
    }
}

fn parse_conditional_variables(
    definitions: Option<&[ConditionalVariableRequest]>,
    in_use: bool,
    at: &JsonPointer,
    problems: &mut Problems,
) -> Option<Vec<ConditionalVariable>> {
    let pointer = at.field("conditionalVariables");
    let definitions = definitions.unwrap_or_default();
    if in_use && definitions.is_empty() {
        problems.add(
            pointer,
            ProblemCode::TooFew,
            "useConditionalVariables is true, so at least one conditional variable is needed",
        );
        return None;
    }
    if definitions.len() > MAX_CONDITIONAL_VARIABLES {
        problems.add(
            pointer,
            ProblemCode::TooMany,
            format!("a step has at most {MAX_CONDITIONAL_VARIABLES} conditional variables"),
        );
        return None;
    }
    let mut names_seen = HashSet::new();
    let mut parsed = Vec::with_capacity(definitions.len());
    let mut complete = true;
    for (index, definition) in definitions.iter().enumerate() {
        let at = pointer.index(index);
        let name = problems
            .check(
                parse_variable_name(definition.name.as_deref()),
                at.field("name"),
            )
            .and_then(|name| {
                if names_seen.insert(name.clone()) {
                    Some(name)
                } else {
                    problems.add(
                        at.field("name"),
                        ProblemCode::Duplicate,
                        format!(
                            "conditional variable {name} is defined more than once in this step"
                        ),
                    );
                    None
                }
            });
        let conditions = parse_conditions(
            definition.conditions.as_deref(),
            &at.field("conditions"),
            problems,
        );
        let otherwise = definition.otherwise.clone().unwrap_or_default();
        let otherwise = problems
            .check(
                stored_text(&otherwise, "else", MAX_CONDITION_TEXT_CHARS, Lines::One),
                at.field("else"),
            )
            .map(|()| otherwise);
        match (name, conditions, otherwise) {
            (Some(name), Some(conditions), Some(otherwise)) => parsed.push(ConditionalVariable {
                name,
                conditions,
                otherwise,
            }),
            _ => complete = false,
        }
    }
    complete.then_some(parsed)
}

fn parse_variable_name(raw: Option<&str>) -> Result<String, Invalid> {
    let raw = raw.ok_or_else(|| Invalid::new(ProblemCode::Required, "name is required"))?;
    let mut characters = raw.chars();
    let well_formed = characters
        .next()
        .is_some_and(|first| first.is_ascii_alphabetic() || first == '_')
        && characters.all(|rest| rest.is_ascii_alphanumeric() || rest == '_');
    if !well_formed {
        return Err(Invalid::new(
            ProblemCode::InvalidFormat,
            "name must match [A-Za-z_][A-Za-z0-9_]*",
        ));
    }
    at_most(raw, "name", MAX_VARIABLE_NAME_CHARS)?;
    Ok(raw.to_owned())
}

fn parse_conditions(
    conditions: Option<&[ConditionRequest]>,
    at: &JsonPointer,
    problems: &mut Problems,
) -> Option<Vec<Condition>> {
    let conditions = conditions.unwrap_or_default();
    if conditions.is_empty() {
        problems.add(
            at.clone(),
            ProblemCode::TooFew,
            "a conditional variable needs at least one condition",
        );
        return None;
    }
    if conditions.len() > MAX_CONDITIONS {
        problems.add(
            at.clone(),
            ProblemCode::TooMany,
            format!("a conditional variable has at most {MAX_CONDITIONS} conditions"),
        );
        return None;
    }
    let mut parsed = Vec::with_capacity(conditions.len());
    let mut complete = true;
    for (index, condition) in conditions.iter().enumerate() {
        match Condition::parse(condition, &at.index(index), problems) {
            Some(condition) => parsed.push(condition),
            None => complete = false,
        }
    }
    complete.then_some(parsed)
}

impl Condition {
    fn parse(
        request: &ConditionRequest,
        at: &JsonPointer,
        problems: &mut Problems,
    ) -> Option<Condition> {
        let field = problems.check(
            crate::text::required_trimmed(
                request.field.as_deref(),
                "field",
                MAX_CONDITION_FIELD_CHARS,
            ),
            at.field("field"),
        );
        let operator = match request.operator.as_deref() {
            None => {
                problems.add(
                    at.field("operator"),
                    ProblemCode::Required,
                    "operator is required",
                );
                None
            }
            Some(raw) => problems.check(
                parse_choice(
                    raw,
                    "operator",
                    ConditionOperator::from_wire,
                    ConditionOperator::choices,
                ),
                at.field("operator"),
            ),
        };
        let value = operator.and_then(|operator| {
            let pointer = at.field("value");
            match (operator.takes_value(), request.value.as_deref()) {
                (true, None) => {
                    problems.add(
                        pointer,
                        ProblemCode::Required,
                        format!("value is required with operator {operator}"),
                    );
                    None
                }
                (true, Some(value)) => problems
                    .check(
                        stored_text(value, "value", MAX_CONDITION_TEXT_CHARS, Lines::One),
                        pointer,
                    )
                    .map(|()| Some(value.to_owned())),
                (false, None) => Some(None),
                (false, Some(_)) => {
                    problems.add(
                        pointer,
                        ProblemCode::NotAllowed,
                        format!("value is not allowed with operator {operator}"),
                    );
                    None
                }
            }
        });
        let then = match request.then.as_deref() {
            None => {
                problems.add(at.field("then"), ProblemCode::Required, "then is required");
                None
            }
            Some(then) => problems
                .check(
                    stored_text(then, "then", MAX_CONDITION_TEXT_CHARS, Lines::One),
                    at.field("then"),
                )
                .map(|()| then.to_owned()),
        };
        Some(Condition {
            field: field?,
            operator: operator?,
            value: value?,
            then: then?,
        })
    }

    pub fn field(&self) -> &str {
        &self.field
    }

    pub fn operator(&self) -> ConditionOperator {
        self.operator
    }

    pub fn value(&self) -> Option<&str> {
        self.value.as_deref()
    }

    pub fn then(&self) -> &str {
        &self.then
    }
}

impl ConditionalVariable {
    fn to_request(&self) -> ConditionalVariableRequest {
        ConditionalVariableRequest {
            name: Some(self.name.clone()),
            conditions: Some(
                self.conditions
                    .iter()
                    .map(|condition| ConditionRequest {
                        field: Some(condition.field.clone()),
                        operator: Some(condition.operator.as_str().to_owned()),
                        value: condition.value.clone(),
                        then: Some(condition.then.clone()),
                    })
                    .collect(),
            ),
            otherwise: Some(self.otherwise.clone()),
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn conditions(&self) -> &[Condition] {
        &self.conditions
    }

    /// `else`: the text used when no condition holds.
    pub fn otherwise(&self) -> &str {
        &self.otherwise
    }
}

impl Variant {
    pub fn letter(&self) -> char {
        self.letter
    }

    pub fn subject(&self) -> &str {
        &self.subject
    }

    pub fn body(&self) -> &EmailBody {
        &self.body
    }
}

impl WaitStep {
    fn parse(step: &StepRequest, at: &JsonPointer, problems: &mut Problems) -> Option<WaitStep> {
        refuse_fields(
            &[
                ("subject", step.subject.is_some()),
                ("body", step.body.is_some()),
                ("variants", step.variants.is_some()),
                (
                    "useConditionalVariables",
                    step.use_conditional_variables.is_some(),
                ),
                ("conditionalVariables", step.conditional_variables.is_some()),
            ],
            StepType::Wait,
            at,
            problems,
        );
        let max_hours = MAX_WAIT_DAYS * 24;
        let days = parse_wait_part(
            step.wait_days,
            "waitDays",
            MAX_WAIT_DAYS,
            &at.field("waitDays"),
            problems,
        );
        let hours = parse_wait_part(
            step.wait_hours,
            "waitHours",
            max_hours,
            &at.field("waitHours"),
            problems,
        );
        let (days, hours) = (days?, hours?);
        let total_hours = days * 24 + hours;
        let last_given = if step.wait_hours.is_some() {
            "waitHours"
        } else {
            "waitDays"
        };
        if step.wait_days.is_none() && step.wait_hours.is_none() {
            problems.add(
                at.field("waitDays"),
                ProblemCode::Required,
                "a wait step needs waitDays or waitHours",
            );
            return None;
        }
        if total_hours == 0 {
            problems.add(
                at.field(last_given),
                ProblemCode::OutOfRange,
                "a wait must last longer than 0 hours",
            );
            return None;
        }
        if total_hours > max_hours {
            problems.add(
                at.field(last_given),
                ProblemCode::OutOfRange,
                format!("a wait must total at most {MAX_WAIT_DAYS} days"),
            );
            return None;
        }
        Some(WaitStep { days, hours })
    }

    pub fn days(&self) -> u32 {
        self.days
    }

    pub fn hours(&self) -> u32 {
        self.hours
    }

    pub fn total_hours(&self) -> u32 {
        self.days * 24 + self.hours
    }

    /// `Wait 3 days`, `Wait 1 day`, `Wait 6 hours`, `Wait 2 days 4 hours`.
    fn default_name(&self) -> String {
        let total = self.total_hours();
        let (days, hours) = (total / 24, total % 24);
        let plural = |count: u32, unit: &str| {
            if count == 1 {
                format!("1 {unit}")
            } else {
                format!("{count} {unit}s")
            }
        };
        match (days, hours) {
            (0, hours) => format!("Wait {}", plural(hours, "hour")),
            (days, 0) => format!("Wait {}", plural(days, "day")),
            (days, hours) => format!("Wait {} {}", plural(days, "day"), plural(hours, "hour")),
        }
    }
}

fn parse_wait_part(
    raw: Option<i64>,
    field: &str,
    max: u32,
    at: &JsonPointer,
    problems: &mut Problems,
) -> Option<u32> {
    let value = raw.unwrap_or(0);
    match u32::try_from(value).ok().filter(|&value| value <= max) {
        Some(value) => Some(value),
        None => {
            problems.add(
                at.clone(),
                ProblemCode::OutOfRange,
                format!("{field} must be between 0 and {max}"),
            );
            None
        }
    }
}

impl Step {
    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn kind(&self) -> &StepKind {
        &self.kind
    }

    pub fn step_type(&self) -> StepType {
        match self.kind {
            StepKind::Email(_) => StepType::Email,
            StepKind::Wait(_) => StepType::Wait,
        }
    }
}

//! Reply-triggered subsequences (spec 4.3).

use std::collections::HashSet;

use crate::id::{ObjectId, SubsequenceId};
use crate::problem::{Invalid, JsonPointer, ProblemCode, Problems};
use crate::request::{SubsequenceRequest, TriggerRequest};
use crate::rules::{ParseRules, Purpose};
use crate::sequence::{Sequence, SequenceRole};
use crate::stats::Stats;
use crate::text::{named, parse_choice, required_trimmed, wire_enum};

/// At most this many active (non-archived) subsequences per campaign.
pub const MAX_ACTIVE_SUBSEQUENCES: usize = 15;
/// At most this many subsequences in all, archived included (our limit, so a list stays bounded).
pub const MAX_SUBSEQUENCES: usize = 50;
pub const MAX_SUBSEQUENCE_NAME_CHARS: usize = 200;
pub const MAX_TRIGGER_VALUE_CHARS: usize = 100;
/// `enabled` of a subsequence that does not say.
pub const DEFAULT_SUBSEQUENCE_ENABLED: bool = true;
/// `archived` of a subsequence that does not say.
pub const DEFAULT_SUBSEQUENCE_ARCHIVED: bool = false;

wire_enum!(
    /// What makes a lead enter a subsequence (`trigger.type`).
    TriggerType {
        AiTag => "ai_tag",
        Reply => "reply",
    }
);

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trigger {
    /// Fires when the lead's AI tag equals the value, case-insensitively.
    AiTag(String),
    /// Fires on the lead's first reply.
    Reply,
}

impl Trigger {
    fn parse(
        request: Option<&TriggerRequest>,
        at: &JsonPointer,
        problems: &mut Problems,
    ) -> Option<Trigger> {
        let Some(request) = request else {
            problems.add(at.clone(), ProblemCode::Required, "trigger is required");
            return None;
        };
        let kind = match request.kind.as_deref() {
            None => {
                problems.add(
                    at.field("type"),
                    ProblemCode::Required,
                    "trigger type is required",
                );
                None
            }
            Some(raw) => problems.check(
                parse_choice(
                    raw,
                    "trigger type",
                    TriggerType::from_wire,
                    TriggerType::choices,
                ),
                at.field("type"),
            ),
        }?;
        match kind {
            TriggerType::Reply => Some(Trigger::Reply),
            TriggerType::AiTag => problems
                .check(ai_tag_value(request.value.as_deref()), at.field("value"))
                .map(Trigger::AiTag),
        }
    }

    pub fn trigger_type(&self) -> TriggerType {
        match self {
            Self::AiTag(_) => TriggerType::AiTag,
            Self::Reply => TriggerType::Reply,
        }
    }

    /// The AI tag to match; `None` for a reply trigger (its value is ignored and stored as null).
    pub fn value(&self) -> Option<&str> {
        match self {
            Self::AiTag(value) => Some(value),
            Self::Reply => None,
        }
    }
}

fn ai_tag_value(raw: Option<&str>) -> Result<String, Invalid> {
    required_trimmed(raw, "value", MAX_TRIGGER_VALUE_CHARS).map_err(|invalid| match invalid.code {
        ProblemCode::Required => named(
            "trigger",
            Invalid::new(
                ProblemCode::Required,
                "value is required when type is ai_tag",
            ),
        ),
        _ => invalid,
    })
}

/// A subsequence as a request asks for it, before it has an id of its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSubsequence {
    existing_id: Option<SubsequenceId>,
    name: String,
    trigger: Trigger,
    sequence: Sequence,
    enabled: bool,
    archived: bool,
}

/// What only the server counts for a subsequence; storage keeps it beside the request form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SubsequenceCounters {
    pub id: SubsequenceId,
    pub added_count: u64,
    pub stats: Stats,
}

/// A stored subsequence with its counters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subsequence {
    id: SubsequenceId,
    name: String,
    trigger: Trigger,
    sequence: Sequence,
    enabled: bool,
    archived: bool,
    added_count: u64,
    stats: Stats,
}

impl NewSubsequence {
    /// Parses `subsequences` at `at`, with the rules that span the list (active count, reply, tag uniqueness).
    pub fn parse_list(
        requests: &[SubsequenceRequest],
        rules: ParseRules,
        at: &JsonPointer,
    ) -> Result<Vec<NewSubsequence>, Problems> {
        let mut problems = Problems::new();
        if requests.len() > MAX_SUBSEQUENCES {
            problems.add(
                at.clone(),
                ProblemCode::TooMany,
                format!(
                    "a campaign has at most {MAX_SUBSEQUENCES} subsequences, archived ones included"
                ),
            );
            return Err(problems);
        }
        let parsed: Vec<Option<NewSubsequence>> = requests
            .iter()
            .enumerate()
            .map(|(index, request)| Self::parse(request, rules, &at.index(index), &mut problems))
            .collect();

        let active = requests
            .iter()
            .filter(|request| !request.archived.unwrap_or(false))
            .count();
        if active > MAX_ACTIVE_SUBSEQUENCES {
            problems.add(
                at.clone(),
                ProblemCode::TooMany,
                format!("at most {MAX_ACTIVE_SUBSEQUENCES} subsequences may be active (not archived), not {active}"),
            );
        }
        let mut reply_seen = false;
        let mut tags_seen = HashSet::new();
        let mut ids_seen = HashSet::new();
        for (index, subsequence) in parsed.iter().enumerate() {
            let Some(subsequence) = subsequence else {
                continue;
            };
            let pointer = at.index(index);
            if let Some(id) = subsequence.existing_id
                && !ids_seen.insert(id)
            {
                problems.add(
                    pointer.field("_id"),
                    ProblemCode::Duplicate,
                    format!("subsequence {id} is listed more than once"),
                );
            }
            if subsequence.archived {
                continue;
            }
            match &subsequence.trigger {
                Trigger::Reply if reply_seen => problems.add(
                    pointer.field("trigger").field("type"),
                    ProblemCode::Duplicate,
                    "at most one active subsequence may have trigger type reply",
                ),
                Trigger::Reply => reply_seen = true,
                Trigger::AiTag(value) => {
                    if !tags_seen.insert(value.to_lowercase()) {
                        problems.add(
                            pointer.field("trigger").field("value"),
                            ProblemCode::Duplicate,
                            format!("another active subsequence already triggers on the AI tag {value:?} (tags compare case-insensitively)"),
                        );
                    }
                }
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(parsed.into_iter().flatten().collect())
    }

    fn parse(
        request: &SubsequenceRequest,
        rules: ParseRules,
        at: &JsonPointer,
        problems: &mut Problems,
    ) -> Option<NewSubsequence> {
        let existing_id = match (request.id.as_deref(), rules.purpose()) {
            (None, _) => Some(None),
            (Some(_), Purpose::Create) => {
                problems.add(
                    at.field("_id"),
                    ProblemCode::NotAllowed,
                    "_id is assigned by the server when a campaign is created",
                );
                None
            }
            (Some(raw), Purpose::Update | Purpose::Stored) => problems
                .check(
                    SubsequenceId::parse(raw).map_err(|invalid| named("_id", invalid)),
                    at.field("_id"),
                )
                .map(Some),
        };
        let name = problems.check(
            required_trimmed(request.name.as_deref(), "name", MAX_SUBSEQUENCE_NAME_CHARS),
            at.field("name"),
        );
        let trigger = Trigger::parse(request.trigger.as_ref(), &at.field("trigger"), problems);
        let sequence = problems.absorb(Sequence::parse(
            request.sequence.as_deref().unwrap_or_default(),
            SequenceRole::Subsequence,
            rules.purpose(),
            &at.field("sequence"),
        ));
        Some(NewSubsequence {
            existing_id: existing_id?,
            name: name?,
            trigger: trigger?,
            sequence: sequence?,
            enabled: request.enabled.unwrap_or(DEFAULT_SUBSEQUENCE_ENABLED),
            archived: request.archived.unwrap_or(DEFAULT_SUBSEQUENCE_ARCHIVED),
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn trigger(&self) -> &Trigger {
        &self.trigger
    }

    pub fn sequence(&self) -> &Sequence {
        &self.sequence
    }

    /// The `_id` an update names, to keep that subsequence's id and counters.
    pub fn existing_id(&self) -> Option<SubsequenceId> {
        self.existing_id
    }

    /// A new subsequence: a fresh id, `addedCount: 0`, zeroed stats.
    pub(crate) fn into_fresh(self, new_id: ObjectId) -> Subsequence {
        Subsequence {
            id: SubsequenceId::from(new_id),
            name: self.name,
            trigger: self.trigger,
            sequence: self.sequence,
            enabled: self.enabled,
            archived: self.archived,
            added_count: 0,
            stats: Stats::default(),
        }
    }

    /// A stored subsequence rebuilt with its counters.
    pub(crate) fn into_stored(self, counters: SubsequenceCounters) -> Subsequence {
        Subsequence {
            id: counters.id,
            name: self.name,
            trigger: self.trigger,
            sequence: self.sequence,
            enabled: self.enabled,
            archived: self.archived,
            added_count: counters.added_count,
            stats: counters.stats,
        }
    }
}

impl Subsequence {
    /// This subsequence in request form, `_id` included.
    pub fn to_request(&self) -> SubsequenceRequest {
        SubsequenceRequest {
            id: Some(self.id.to_string()),
            name: Some(self.name.clone()),
            trigger: Some(TriggerRequest {
                kind: Some(self.trigger.trigger_type().as_str().to_owned()),
                value: self.trigger.value().map(str::to_owned),
            }),
            sequence: Some(self.sequence.to_requests()),
            enabled: Some(self.enabled),
            archived: Some(self.archived),
        }
    }

    pub fn id(&self) -> SubsequenceId {
        self.id
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn trigger(&self) -> &Trigger {
        &self.trigger
    }

    pub fn sequence(&self) -> &Sequence {
        &self.sequence
    }

    pub fn enabled(&self) -> bool {
        self.enabled
    }

    pub fn archived(&self) -> bool {
        self.archived
    }

    /// Total leads that have ever entered this subsequence.
    pub fn added_count(&self) -> u64 {
        self.added_count
    }

    pub fn stats(&self) -> Stats {
        self.stats
    }

    /// Once it has sent, its trigger is frozen: archive it and add a new one instead.
    pub fn has_sent(&self) -> bool {
        self.added_count > 0 || self.stats.sent > 0
    }
}

//! The bodies that enrol and act on campaign leads (LEADS.md section 4): which leads
//! `POST /v1/campaigns/{id}/leads` chooses, which enrolments `POST …/leads/action` acts on, and what
//! `PATCH …/leads/{campaignLeadId}` changes.

use crate::enrolment::{EnrolmentStatus, LeadAction, SettableStatus};
use crate::id::{EnrolmentId, LeadId, SubsequenceId};
use crate::lead::LeadFields;
use crate::lead_listing::{LeadFilter, parse_id_list};
use crate::lead_request::{
    EnrolLeadRequest, EnrolLeadsRequest, EnrolmentPatchRequest, LeadActionRequest, LeadRequest,
};
use crate::mailbox::fold_tag;
use crate::mailbox_update::PatchValue;
use crate::problem::{JsonPointer, ProblemCode, Problems};
use crate::subsequence::{MAX_TRIGGER_VALUE_CHARS, Subsequence, Trigger};
use crate::text::{Lines, list_choices, named, parse_choice, stored_text};

/// The most items of `leads` in one enrolment request.
pub const MAX_ENROL_LEADS: usize = 5_000;

/// One item of `leads`: a lead of the workspace by id, or by email (an unknown email creates the lead
/// from these fields; a known one is enrolled as stored).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnrolLead {
    Existing(LeadId),
    /// Boxed: a lead's fields are large beside an id.
    ByEmail(Box<LeadFields>),
}

/// One item of `leads`, judged alone: a bad item is reported in `errors` and the others are enrolled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnrolEntry {
    /// The 0-based position in `leads`.
    pub index: usize,
    /// The lead, or the item's problems (pointers under `/leads/{index}`).
    pub lead: Result<EnrolLead, Problems>,
}

/// The leads `POST /v1/campaigns/{id}/leads` chooses: exactly one of its three modes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnrolSelection {
    /// `leads`: these items.
    Leads(Vec<EnrolEntry>),
    /// `filters`: every lead of the workspace that passes.
    Filters(LeadFilter),
    /// `selectAll: true`: every lead of the workspace but the excluded ones.
    All { exclude: Vec<LeadId> },
}

/// The three ways of choosing, as the body names them.
const ENROL_MODES: [&str; 3] = ["leads", "filters", "selectAll: true"];

impl EnrolSelection {
    /// Parses the body. Refused whole (nothing is enrolled): no mode or more than one (a problem at the
    /// root naming the modes: `required` for none, `not_allowed` for several); more than 5,000 `leads`;
    /// invalid `filters`; invalid or more than 5,000 `excludeIds`, or `excludeIds` without
    /// `selectAll: true`. `selectAll: false` is no mode.
    pub fn parse(request: &EnrolLeadsRequest) -> Result<EnrolSelection, Problems> {
        let root = JsonPointer::root();
        let mut problems = Problems::new();
        let given = [
            request.leads.is_some(),
            request.filters.is_some(),
            request.select_all == Some(true),
        ];
        let select_all = given[2];
        if request.exclude_ids.is_some() && !select_all {
            problems.add(
                root.field("excludeIds"),
                ProblemCode::NotAllowed,
                "excludeIds goes with selectAll: true only",
            );
        }
        if !one_mode(&given, &ENROL_MODES, &root, &mut problems) {
            return Err(problems);
        }
        let selection = if let Some(items) = &request.leads {
            parse_items(items, &root.field("leads"), &mut problems).map(EnrolSelection::Leads)
        } else if let Some(filters) = &request.filters {
            problems
                .absorb(LeadFilter::parse(filters, &root.field("filters")))
                .map(EnrolSelection::Filters)
        } else {
            let exclude = parse_id_list(
                request.exclude_ids.as_deref().unwrap_or_default(),
                "excludeIds",
                LeadId::parse,
                &root.field("excludeIds"),
                &mut problems,
            );
            Some(EnrolSelection::All { exclude })
        };
        match selection {
            Some(selection) if problems.is_empty() => Ok(selection),
            _ => Err(problems),
        }
    }
}

/// Whether exactly one of `modes` is `given`; otherwise the problem at `root`, naming them.
fn one_mode(given: &[bool], modes: &[&str], root: &JsonPointer, problems: &mut Problems) -> bool {
    let named: Vec<&str> = modes
        .iter()
        .zip(given)
        .filter(|(_, given)| **given)
        .map(|(mode, _)| *mode)
        .collect();
    match named.len() {
        1 => true,
        0 => {
            problems.add(
                root.clone(),
                ProblemCode::Required,
                format!("give one of {}", list_choices(modes)),
            );
            false
        }
        _ => {
            problems.add(
                root.clone(),
                ProblemCode::NotAllowed,
                format!(
                    "give only one of {}; this request gives {}",
                    list_choices(modes),
                    named.join(" and ")
                ),
            );
            false
        }
    }
}

fn parse_items(
    items: &[EnrolLeadRequest],
    at: &JsonPointer,
    problems: &mut Problems,
) -> Option<Vec<EnrolEntry>> {
    if items.len() > MAX_ENROL_LEADS {
        problems.add(
            at.clone(),
            ProblemCode::TooMany,
            format!(
                "leads has at most {MAX_ENROL_LEADS} items, not {}",
                items.len()
            ),
        );
        return None;
    }
    Some(
        items
            .iter()
            .enumerate()
            .map(|(index, item)| EnrolEntry {
                index,
                lead: parse_item(item, &at.index(index)),
            })
            .collect(),
    )
}

fn parse_item(item: &EnrolLeadRequest, at: &JsonPointer) -> Result<EnrolLead, Problems> {
    let has_fields = item.lead != LeadRequest::default();
    match (&item.lead_id, has_fields) {
        (Some(_), true) => Err(Problems::from(crate::problem::Problem::new(
            at.clone(),
            ProblemCode::NotAllowed,
            "an item is either {leadId} or the fields of a lead with its email, not both",
        ))),
        (Some(raw), false) => LeadId::parse(raw)
            .map(EnrolLead::Existing)
            .map_err(|invalid| named("leadId", invalid).at(at.field("leadId")).into()),
        (None, true) => {
            LeadFields::parse(&item.lead, at).map(|lead| EnrolLead::ByEmail(Box::new(lead)))
        }
        (None, false) => Err(Problems::from(crate::problem::Problem::new(
            at.clone(),
            ProblemCode::Required,
            "an item needs leadId or email",
        ))),
    }
}

/// The enrolments a lead action applies to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActionTarget {
    /// `leadIds`: these enrolments of the campaign (ids of another campaign are not found).
    Enrolments(Vec<EnrolmentId>),
    /// `selectAll: true`: every enrolment of the campaign in `status` (any when `None`), but the excluded ones.
    All {
        status: Option<EnrolmentStatus>,
        exclude: Vec<EnrolmentId>,
    },
}

/// A `POST /v1/campaigns/{id}/leads/action` body, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeadActionCommand {
    action: LeadAction,
    target: ActionTarget,
}

const ACTION_MODES: [&str; 2] = ["leadIds", "selectAll: true"];

impl LeadActionCommand {
    /// Parses the body: `action` required; exactly one of `leadIds` and `selectAll: true` (a problem at
    /// the root otherwise); `filters` and `excludeIds` only with `selectAll: true`; at most 5,000 ids in
    /// each list.
    pub fn parse(request: &LeadActionRequest) -> Result<LeadActionCommand, Problems> {
        let root = JsonPointer::root();
        let mut problems = Problems::new();
        let action = match request.action.as_deref() {
            None => {
                problems.add(
                    root.field("action"),
                    ProblemCode::Required,
                    "action is required",
                );
                None
            }
            Some(raw) => problems.check(
                parse_choice(raw, "action", LeadAction::from_wire, LeadAction::choices),
                root.field("action"),
            ),
        };
        let select_all = request.select_all == Some(true);
        for (field, given) in [
            ("filters", request.filters.is_some()),
            ("excludeIds", request.exclude_ids.is_some()),
        ] {
            if given && !select_all {
                problems.add(
                    root.field(field),
                    ProblemCode::NotAllowed,
                    format!("{field} goes with selectAll: true only"),
                );
            }
        }
        let target = if !one_mode(
            &[request.lead_ids.is_some(), select_all],
            &ACTION_MODES,
            &root,
            &mut problems,
        ) {
            None
        } else if let Some(ids) = &request.lead_ids {
            Some(ActionTarget::Enrolments(parse_id_list(
                ids,
                "leadIds",
                EnrolmentId::parse,
                &root.field("leadIds"),
                &mut problems,
            )))
        } else {
            let status = request
                .filters
                .as_ref()
                .and_then(|filters| filters.status.as_deref())
                .and_then(|raw| {
                    problems.check(
                        EnrolmentStatus::parse(raw, "status"),
                        root.field("filters").field("status"),
                    )
                });
            let exclude = parse_id_list(
                request.exclude_ids.as_deref().unwrap_or_default(),
                "excludeIds",
                EnrolmentId::parse,
                &root.field("excludeIds"),
                &mut problems,
            );
            Some(ActionTarget::All { status, exclude })
        };
        match (action, target) {
            (Some(action), Some(target)) if problems.is_empty() => {
                Ok(LeadActionCommand { action, target })
            }
            _ => Err(problems),
        }
    }

    pub fn action(&self) -> LeadAction {
        self.action
    }

    pub fn target(&self) -> &ActionTarget {
        &self.target
    }
}

/// What `PATCH /v1/campaigns/{id}/leads/{campaignLeadId}` changes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EnrolmentChanges {
    status: Option<SettableStatus>,
    ai_tag: Option<Option<String>>,
}

impl EnrolmentChanges {
    /// Parses the body: `status` `active` or `paused` (whether the enrolment may take it is
    /// [`EnrolmentStatus::set_to`]); `aiTag` trimmed, at most 100 characters (as an `ai_tag` trigger
    /// value), one line; `null` or a blank text removes it.
    pub fn parse(request: &EnrolmentPatchRequest) -> Result<EnrolmentChanges, Problems> {
        let root = JsonPointer::root();
        let mut problems = Problems::new();
        let status = request.status.as_deref().and_then(|raw| {
            problems.check(
                parse_choice(
                    raw,
                    "status",
                    SettableStatus::from_wire,
                    SettableStatus::choices,
                ),
                root.field("status"),
            )
        });
        let ai_tag = match &request.ai_tag {
            PatchValue::Absent => None,
            PatchValue::Null => Some(None),
            PatchValue::Given(raw) => match raw.trim() {
                "" => Some(None),
                tag => problems
                    .check(
                        stored_text(tag, "aiTag", MAX_TRIGGER_VALUE_CHARS, Lines::One),
                        root.field("aiTag"),
                    )
                    .map(|()| Some(tag.to_owned())),
            },
        };
        problems.into_result(|| EnrolmentChanges { status, ai_tag })
    }

    /// The status to set, or `None` to keep it.
    pub fn status(&self) -> Option<SettableStatus> {
        self.status
    }

    /// The new AI tag (`Some(None)`: none), or `None` to keep it.
    pub fn ai_tag(&self) -> Option<Option<&str>> {
        self.ai_tag.as_ref().map(Option::as_deref)
    }
}

/// The subsequence an enrolment joins when its `aiTag` becomes `tag`: the enabled, not archived
/// subsequence whose trigger is `ai_tag` with this value, ignoring case (at most one can be: the
/// campaign rules keep active `ai_tag` values unique).
pub fn subsequence_for_ai_tag(subsequences: &[Subsequence], tag: &str) -> Option<SubsequenceId> {
    let wanted = fold_tag(tag);
    subsequences
        .iter()
        .filter(|subsequence| subsequence.enabled() && !subsequence.archived())
        .find(|subsequence| {
            matches!(subsequence.trigger(), Trigger::AiTag(value) if fold_tag(value) == wanted)
        })
        .map(Subsequence::id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lead_custom::CustomValue;
    use crate::lead_request::{EnrolmentFiltersRequest, LeadFiltersRequest};

    const LEAD: &str = "665a1b2c3d4e5f6a7b8c9d0e";
    const OTHER: &str = "665a1b2c3d4e5f6a7b8c9d0f";

    fn problems(result: Result<impl std::fmt::Debug, Problems>) -> Vec<(String, ProblemCode)> {
        result
            .expect_err("invalid")
            .iter()
            .map(|problem| (problem.pointer().to_string(), problem.code()))
            .collect()
    }

    fn by_id(id: &str) -> EnrolLeadRequest {
        EnrolLeadRequest {
            lead_id: Some(id.to_owned()),
            lead: LeadRequest::default(),
        }
    }

    fn by_email(email: &str) -> EnrolLeadRequest {
        EnrolLeadRequest {
            lead_id: None,
            lead: LeadRequest {
                email: Some(email.to_owned()),
                ..LeadRequest::default()
            },
        }
    }

    fn tag_filters() -> LeadFiltersRequest {
        LeadFiltersRequest {
            tags: Some(vec!["eu".to_owned()]),
            ..LeadFiltersRequest::default()
        }
    }

    #[test]
    fn enrolment_takes_exactly_one_of_leads_filters_and_select_all() {
        let one = |request: EnrolLeadsRequest| EnrolSelection::parse(&request).is_ok();
        assert!(one(EnrolLeadsRequest {
            leads: Some(vec![by_id(LEAD)]),
            select_all: Some(false),
            ..EnrolLeadsRequest::default()
        }));
        assert!(one(EnrolLeadsRequest {
            filters: Some(tag_filters()),
            ..EnrolLeadsRequest::default()
        }));
        assert!(one(EnrolLeadsRequest {
            select_all: Some(true),
            ..EnrolLeadsRequest::default()
        }));
        let cases = [
            (EnrolLeadsRequest::default(), ProblemCode::Required),
            (
                EnrolLeadsRequest {
                    select_all: Some(false),
                    ..EnrolLeadsRequest::default()
                },
                ProblemCode::Required,
            ),
            (
                EnrolLeadsRequest {
                    leads: Some(vec![by_id(LEAD)]),
                    filters: Some(tag_filters()),
                    ..EnrolLeadsRequest::default()
                },
                ProblemCode::NotAllowed,
            ),
            (
                EnrolLeadsRequest {
                    leads: Some(Vec::new()),
                    select_all: Some(true),
                    ..EnrolLeadsRequest::default()
                },
                ProblemCode::NotAllowed,
            ),
        ];
        for (request, code) in cases {
            assert_eq!(
                problems(EnrolSelection::parse(&request)),
                [(String::new(), code)],
                "{request:?}"
            );
        }
    }

    #[test]
    fn enrolment_mode_problem_names_the_modes() {
        let both = EnrolLeadsRequest {
            filters: Some(tag_filters()),
            select_all: Some(true),
            ..EnrolLeadsRequest::default()
        };
        let refusal = EnrolSelection::parse(&both).expect_err("two modes");
        assert_eq!(
            refusal.iter().map(|p| p.message()).collect::<Vec<_>>(),
            [
                "give only one of leads, filters or selectAll: true; this request gives filters and selectAll: true"
            ]
        );
        let none = EnrolSelection::parse(&EnrolLeadsRequest::default()).expect_err("no mode");
        assert_eq!(
            none.iter().map(|p| p.message()).collect::<Vec<_>>(),
            ["give one of leads, filters or selectAll: true"]
        );
    }

    #[test]
    fn enrolment_items_are_a_lead_id_or_a_lead_with_email_each_judged_alone() {
        let mut both = by_id(LEAD);
        both.lead.email = Some("ada@acme.com".to_owned());
        let mut custom_only = by_email("bob@acme.com");
        custom_only.lead.extra_fields = vec![("vip".to_owned(), CustomValue::Boolean(true))];
        let no_email = EnrolLeadRequest {
            lead_id: None,
            lead: LeadRequest {
                first_name: Some("Ada".to_owned()),
                ..LeadRequest::default()
            },
        };
        let request = EnrolLeadsRequest {
            leads: Some(vec![
                by_id(LEAD),
                by_email("ada@acme.com"),
                by_id("nope"),
                both,
                EnrolLeadRequest::default(),
                no_email,
                custom_only,
            ]),
            ..EnrolLeadsRequest::default()
        };
        let Ok(EnrolSelection::Leads(entries)) = EnrolSelection::parse(&request) else {
            panic!("leads mode");
        };
        assert_eq!(
            entries[0].lead,
            Ok(EnrolLead::Existing(LeadId::parse(LEAD).expect("id")))
        );
        assert!(
            matches!(&entries[1].lead, Ok(EnrolLead::ByEmail(lead)) if lead.email_key() == "ada@acme.com")
        );
        let pointers = |index: usize| problems(entries[index].lead.clone());
        assert_eq!(
            pointers(2),
            [("/leads/2/leadId".to_owned(), ProblemCode::InvalidFormat)]
        );
        assert_eq!(
            pointers(3),
            [("/leads/3".to_owned(), ProblemCode::NotAllowed)]
        );
        assert_eq!(
            pointers(4),
            [("/leads/4".to_owned(), ProblemCode::Required)]
        );
        assert_eq!(
            pointers(5),
            [("/leads/5/email".to_owned(), ProblemCode::Required)]
        );
        assert!(
            matches!(&entries[6].lead, Ok(EnrolLead::ByEmail(lead)) if lead.custom_fields().len() == 1)
        );
    }

    #[test]
    fn enrolment_limits_refuse_the_whole_request() {
        let too_many = EnrolLeadsRequest {
            leads: Some(vec![by_id(LEAD); MAX_ENROL_LEADS + 1]),
            ..EnrolLeadsRequest::default()
        };
        assert_eq!(
            problems(EnrolSelection::parse(&too_many)),
            [("/leads".to_owned(), ProblemCode::TooMany)]
        );
        let at_limit = EnrolLeadsRequest {
            leads: Some(vec![by_id(LEAD); MAX_ENROL_LEADS]),
            ..EnrolLeadsRequest::default()
        };
        assert!(EnrolSelection::parse(&at_limit).is_ok());
        let empty_filters = EnrolLeadsRequest {
            filters: Some(LeadFiltersRequest::default()),
            ..EnrolLeadsRequest::default()
        };
        assert_eq!(
            problems(EnrolSelection::parse(&empty_filters)),
            [("/filters".to_owned(), ProblemCode::Required)]
        );
    }

    #[test]
    fn enrolment_exclude_ids_go_with_select_all_only() {
        let all = EnrolLeadsRequest {
            select_all: Some(true),
            exclude_ids: Some(vec![LEAD.to_owned(), OTHER.to_owned(), LEAD.to_owned()]),
            ..EnrolLeadsRequest::default()
        };
        assert_eq!(
            EnrolSelection::parse(&all),
            Ok(EnrolSelection::All {
                exclude: vec![
                    LeadId::parse(LEAD).expect("id"),
                    LeadId::parse(OTHER).expect("id")
                ]
            })
        );
        let misplaced = EnrolLeadsRequest {
            filters: Some(tag_filters()),
            exclude_ids: Some(vec![LEAD.to_owned()]),
            ..EnrolLeadsRequest::default()
        };
        assert_eq!(
            problems(EnrolSelection::parse(&misplaced)),
            [("/excludeIds".to_owned(), ProblemCode::NotAllowed)]
        );
        let bad_id = EnrolLeadsRequest {
            select_all: Some(true),
            exclude_ids: Some(vec!["x".to_owned()]),
            ..EnrolLeadsRequest::default()
        };
        assert_eq!(
            problems(EnrolSelection::parse(&bad_id)),
            [("/excludeIds/0".to_owned(), ProblemCode::InvalidFormat)]
        );
    }

    #[test]
    fn lead_action_takes_lead_ids_or_select_all_with_its_filters() {
        let by_ids = LeadActionCommand::parse(&LeadActionRequest {
            action: Some("pause".to_owned()),
            lead_ids: Some(vec![LEAD.to_owned()]),
            ..LeadActionRequest::default()
        })
        .expect("valid");
        assert_eq!(by_ids.action(), LeadAction::Pause);
        assert_eq!(
            by_ids.target(),
            &ActionTarget::Enrolments(vec![EnrolmentId::parse(LEAD).expect("id")])
        );
        let all = LeadActionCommand::parse(&LeadActionRequest {
            action: Some("remove".to_owned()),
            select_all: Some(true),
            filters: Some(EnrolmentFiltersRequest {
                status: Some("completed".to_owned()),
            }),
            exclude_ids: Some(vec![OTHER.to_owned()]),
            ..LeadActionRequest::default()
        })
        .expect("valid");
        assert_eq!(all.action(), LeadAction::Remove);
        assert_eq!(
            all.target(),
            &ActionTarget::All {
                status: Some(EnrolmentStatus::Completed),
                exclude: vec![EnrolmentId::parse(OTHER).expect("id")],
            }
        );
    }

    #[test]
    fn lead_action_reports_every_problem() {
        let cases = [
            (
                LeadActionRequest::default(),
                vec![
                    ("/action".to_owned(), ProblemCode::Required),
                    (String::new(), ProblemCode::Required),
                ],
            ),
            (
                LeadActionRequest {
                    action: Some("archive".to_owned()),
                    lead_ids: Some(vec![LEAD.to_owned()]),
                    select_all: Some(true),
                    ..LeadActionRequest::default()
                },
                vec![
                    ("/action".to_owned(), ProblemCode::InvalidValue),
                    (String::new(), ProblemCode::NotAllowed),
                ],
            ),
            (
                LeadActionRequest {
                    action: Some("resume".to_owned()),
                    lead_ids: Some(vec![LEAD.to_owned()]),
                    filters: Some(EnrolmentFiltersRequest::default()),
                    exclude_ids: Some(Vec::new()),
                    ..LeadActionRequest::default()
                },
                vec![
                    ("/filters".to_owned(), ProblemCode::NotAllowed),
                    ("/excludeIds".to_owned(), ProblemCode::NotAllowed),
                ],
            ),
            (
                LeadActionRequest {
                    action: Some("pause".to_owned()),
                    select_all: Some(true),
                    filters: Some(EnrolmentFiltersRequest {
                        status: Some("done".to_owned()),
                    }),
                    ..LeadActionRequest::default()
                },
                vec![("/filters/status".to_owned(), ProblemCode::InvalidValue)],
            ),
            (
                LeadActionRequest {
                    action: Some("pause".to_owned()),
                    lead_ids: Some(vec![LEAD.to_owned(); MAX_ENROL_LEADS + 1]),
                    ..LeadActionRequest::default()
                },
                vec![("/leadIds".to_owned(), ProblemCode::TooMany)],
            ),
        ];
        for (request, expected) in cases {
            assert_eq!(
                problems(LeadActionCommand::parse(&request)),
                expected,
                "{request:?}"
            );
        }
    }

    #[test]
    fn enrolment_patch_sets_active_or_paused_and_an_ai_tag() {
        let cases = [
            (None, PatchValue::Absent, Ok((None, None))),
            (
                Some("paused"),
                PatchValue::Absent,
                Ok((Some(SettableStatus::Paused), None)),
            ),
            (
                Some("active"),
                PatchValue::Given("  Interested ".to_owned()),
                Ok((Some(SettableStatus::Active), Some(Some("Interested")))),
            ),
            (None, PatchValue::Null, Ok((None, Some(None)))),
            (
                None,
                PatchValue::Given("   ".to_owned()),
                Ok((None, Some(None))),
            ),
            (Some("completed"), PatchValue::Absent, Err(vec!["/status"])),
            (
                None,
                PatchValue::Given("x".repeat(MAX_TRIGGER_VALUE_CHARS + 1)),
                Err(vec!["/aiTag"]),
            ),
            (
                None,
                PatchValue::Given("a\nb".to_owned()),
                Err(vec!["/aiTag"]),
            ),
        ];
        for (status, ai_tag, expected) in cases {
            let request = EnrolmentPatchRequest {
                status: status.map(str::to_owned),
                ai_tag,
            };
            let parsed = EnrolmentChanges::parse(&request);
            let outcome = parsed
                .as_ref()
                .map(|changes| (changes.status(), changes.ai_tag()))
                .map_err(|problems| {
                    problems
                        .iter()
                        .map(|p| p.pointer().as_str().to_owned())
                        .collect::<Vec<_>>()
                });
            assert_eq!(
                outcome,
                expected.map_err(|pointers| pointers.iter().map(|p| (*p).to_owned()).collect()),
                "{request:?}"
            );
        }
    }

    #[test]
    fn ai_tag_joins_the_enabled_unarchived_subsequence_with_that_tag_ignoring_case() {
        use crate::id::ObjectId;
        use crate::request::{StepRequest, SubsequenceRequest, TriggerRequest};
        use crate::rules::ParseRules;
        use crate::subsequence::NewSubsequence;
        use crate::values::WebhookHostPolicy;

        let request = |tag: &str, enabled: bool, archived: bool| SubsequenceRequest {
            name: Some(format!("On {tag}")),
            trigger: Some(TriggerRequest {
                kind: Some("ai_tag".to_owned()),
                value: Some(tag.to_owned()),
            }),
            sequence: Some(vec![StepRequest {
                kind: Some("email".to_owned()),
                body: Some("<p>Thanks</p>".to_owned()),
                ..StepRequest::default()
            }]),
            enabled: Some(enabled),
            archived: Some(archived),
            ..SubsequenceRequest::default()
        };
        let subsequences: Vec<Subsequence> = NewSubsequence::parse_list(
            &[
                request("Interested", true, false),
                request("Later", false, false),
                request("Old", true, true),
            ],
            ParseRules::create(WebhookHostPolicy::PublicOnly),
            &JsonPointer::root().field("subsequences"),
        )
        .expect("valid subsequences")
        .into_iter()
        .enumerate()
        .map(|(n, new)| new.into_fresh(ObjectId::from_parts(1, [0; 5], n as u32)))
        .collect();
        let cases = [
            ("interested", Some(subsequences[0].id())),
            ("INTERESTED", Some(subsequences[0].id())),
            ("Later", None),
            ("Old", None),
            ("Unknown", None),
        ];
        for (tag, expected) in cases {
            assert_eq!(
                subsequence_for_ai_tag(&subsequences, tag),
                expected,
                "{tag}"
            );
        }
    }
}

//! Finding leads: the `search` of `GET /v1/leads` and the `filters` of `POST /v1/campaigns/{id}/leads`.
//! The `tags` of `GET /v1/leads` (comma-separated, any of them) is
//! [`crate::mailbox_listing::TagFilter`] with [`crate::mailbox_listing::TagMode::Any`]; the page size
//! is [`crate::listing::PageLimit`].

use std::collections::HashSet;

use crate::id::LeadId;
use crate::lead::{LeadFields, MAX_LEAD_TAGS, MAX_LEAD_TEXT_CHARS};
use crate::lead_request::LeadFiltersRequest;
use crate::listing::SubstringSearch;
use crate::mailbox::{MAX_TAG_CHARS, fold_tag};
use crate::problem::{Invalid, JsonPointer, ProblemCode, Problems};
use crate::text::{named, required_trimmed};
use crate::values::CountryCode;

/// The longest lead search: the longest text searched (names and company, 500 characters).
pub const MAX_LEAD_SEARCH_CHARS: usize = MAX_LEAD_TEXT_CHARS;
/// The most ids one list of a request (`leadIds`, `excludeIds`) holds: as many as one bulk of leads.
pub const MAX_ID_LIST: usize = 5_000;

/// A case-insensitive substring search over a lead's email, first name, last name and company name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeadSearch(SubstringSearch);

impl LeadSearch {
    /// The search for `raw`, trimmed; `Ok(None)` when blank. At most 500 characters, no control character.
    pub fn parse(raw: Option<&str>) -> Result<Option<LeadSearch>, Invalid> {
        Ok(SubstringSearch::parse(raw, MAX_LEAD_SEARCH_CHARS)?.map(LeadSearch))
    }

    /// The text to look for, case-folded (what an index is queried with).
    pub fn folded(&self) -> &str {
        self.0.folded()
    }

    /// Whether any of the searched fields of `lead` contains the text, ignoring case.
    pub fn matches(&self, lead: &LeadFields) -> bool {
        [
            Some(lead.email().as_str()),
            lead.first_name(),
            lead.last_name(),
            lead.company_name(),
        ]
        .into_iter()
        .flatten()
        .any(|text| self.0.matches(text))
    }
}

/// The `filters` that choose leads to enrol: every filter given must hold. An empty list counts as
/// not given, and a filter object that gives nothing is refused (it would enrol every lead; that is
/// what `selectAll: true` says explicitly).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeadFilter {
    tags: Vec<String>,
    search: Option<LeadSearch>,
    country: Option<CountryCode>,
    lead_ids: Vec<LeadId>,
}

impl LeadFilter {
    /// Parses `filters` located at `at`.
    pub fn parse(request: &LeadFiltersRequest, at: &JsonPointer) -> Result<LeadFilter, Problems> {
        let mut problems = Problems::new();
        let tags = parse_tag_filter(
            request.tags.as_deref().unwrap_or_default(),
            &at.field("tags"),
            &mut problems,
        );
        let search = problems
            .check(
                LeadSearch::parse(request.search.as_deref()),
                at.field("search"),
            )
            .flatten();
        let country = request.country.as_deref().and_then(|raw| {
            problems.check(
                CountryCode::parse(raw).map_err(|invalid| named("country", invalid)),
                at.field("country"),
            )
        });
        let lead_ids = parse_id_list(
            request.lead_ids.as_deref().unwrap_or_default(),
            "leadIds",
            LeadId::parse,
            &at.field("leadIds"),
            &mut problems,
        );
        let filter = LeadFilter {
            tags,
            search,
            country,
            lead_ids,
        };
        if problems.is_empty() && filter.is_everything() {
            problems.add(
                at.clone(),
                ProblemCode::Required,
                "filters must give at least one of tags, search, country or leadIds (selectAll: true chooses every lead)",
            );
        }
        problems.into_result(|| filter)
    }

    fn is_everything(&self) -> bool {
        self.tags.is_empty()
            && self.search.is_none()
            && self.country.is_none()
            && self.lead_ids.is_empty()
    }

    /// The tags, case-folded, without repeats: a lead with any of them passes.
    pub fn folded_tags(&self) -> &[String] {
        &self.tags
    }
    pub fn search(&self) -> Option<&LeadSearch> {
        self.search.as_ref()
    }
    pub fn country(&self) -> Option<CountryCode> {
        self.country
    }
    /// The leads to choose among, without repeats.
    pub fn lead_ids(&self) -> &[LeadId] {
        &self.lead_ids
    }

    /// Whether the lead `id` with `lead` passes every filter given.
    pub fn matches(&self, id: LeadId, lead: &LeadFields) -> bool {
        (self.tags.is_empty()
            || lead
                .tags()
                .iter()
                .any(|tag| self.tags.contains(&fold_tag(tag))))
            && self
                .search
                .as_ref()
                .is_none_or(|search| search.matches(lead))
            && self
                .country
                .is_none_or(|country| lead.country() == Some(country))
            && (self.lead_ids.is_empty() || self.lead_ids.contains(&id))
    }
}

fn parse_tag_filter(raw: &[String], at: &JsonPointer, problems: &mut Problems) -> Vec<String> {
    if raw.len() > MAX_LEAD_TAGS {
        problems.add(
            at.clone(),
            ProblemCode::TooMany,
            format!("tags names at most {MAX_LEAD_TAGS} tags"),
        );
        return Vec::new();
    }
    let mut seen = HashSet::new();
    raw.iter()
        .enumerate()
        .filter_map(|(index, tag)| {
            problems.check(
                required_trimmed(Some(tag), "tags", MAX_TAG_CHARS),
                at.index(index),
            )
        })
        .map(|tag| fold_tag(&tag))
        .filter(|tag| seen.insert(tag.clone()))
        .collect()
}

/// A list of ids located at `at`: at most [`MAX_ID_LIST`], each parsed (problems at its index), repeats
/// kept once.
pub(crate) fn parse_id_list<T: PartialEq>(
    raw: &[String],
    field: &str,
    parse: impl Fn(&str) -> Result<T, Invalid>,
    at: &JsonPointer,
    problems: &mut Problems,
) -> Vec<T> {
    if raw.len() > MAX_ID_LIST {
        problems.add(
            at.clone(),
            ProblemCode::TooMany,
            format!("{field} has at most {MAX_ID_LIST} items, not {}", raw.len()),
        );
        return Vec::new();
    }
    let mut ids: Vec<T> = Vec::with_capacity(raw.len());
    for (index, id) in raw.iter().enumerate() {
        if let Some(id) = problems.check(
            parse(id).map_err(|invalid| named(field, invalid)),
            at.index(index),
        ) && !ids.contains(&id)
        {
            ids.push(id);
        }
    }
    ids
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lead_request::LeadRequest;

    const ADA: &str = "665a1b2c3d4e5f6a7b8c9d0e";
    const BOB: &str = "665a1b2c3d4e5f6a7b8c9d0f";

    fn lead(
        email: &str,
        company: Option<&str>,
        country: Option<&str>,
        tags: &[&str],
    ) -> LeadFields {
        LeadFields::parse(
            &LeadRequest {
                email: Some(email.to_owned()),
                first_name: Some("Ada".to_owned()),
                company_name: company.map(str::to_owned),
                job_title: Some("Head of Search".to_owned()),
                country: country.map(str::to_owned),
                tags: Some(tags.iter().map(|tag| (*tag).to_owned()).collect()),
                ..LeadRequest::default()
            },
            &JsonPointer::root(),
        )
        .expect("valid lead")
    }

    fn filter(request: LeadFiltersRequest) -> Result<LeadFilter, Vec<(String, ProblemCode)>> {
        LeadFilter::parse(&request, &JsonPointer::root().field("filters")).map_err(|problems| {
            problems
                .iter()
                .map(|problem| (problem.pointer().to_string(), problem.code()))
                .collect()
        })
    }

    fn id(raw: &str) -> LeadId {
        LeadId::parse(raw).expect("valid id")
    }

    #[test]
    fn lead_search_looks_in_email_names_and_company_only() {
        let ada = lead("ada@acme.com", Some("Analytical Engines"), None, &[]);
        let cases = [
            ("ACME", true),
            ("ada@", true),
            ("analytical", true),
            ("ada", true),
            ("head of", false),
            ("lovelace", false),
        ];
        for (raw, found) in cases {
            let search = LeadSearch::parse(Some(raw))
                .expect("valid")
                .expect("not blank");
            assert_eq!(search.matches(&ada), found, "{raw}");
        }
        assert_eq!(LeadSearch::parse(Some("   ")), Ok(None));
        assert_eq!(
            LeadSearch::parse(Some(&"x".repeat(MAX_LEAD_SEARCH_CHARS + 1))).map_err(|i| i.code),
            Err(ProblemCode::TooLong)
        );
    }

    #[test]
    fn lead_filter_requires_every_given_filter_to_hold() {
        let parsed = filter(LeadFiltersRequest {
            tags: Some(vec![
                "Fintech".to_owned(),
                "EU".to_owned(),
                "fintech".to_owned(),
            ]),
            search: Some("acme".to_owned()),
            country: Some("gb".to_owned()),
            lead_ids: Some(vec![ADA.to_owned(), ADA.to_owned()]),
        })
        .expect("valid");
        assert_eq!(parsed.folded_tags(), ["fintech", "eu"]);
        assert_eq!(parsed.lead_ids(), [id(ADA)]);
        let cases = [
            (
                ADA,
                lead("ada@acme.com", None, Some("GB"), &["FINTECH"]),
                true,
            ),
            (
                ADA,
                lead("ada@acme.com", None, Some("GB"), &["eu", "other"]),
                true,
            ),
            (BOB, lead("ada@acme.com", None, Some("GB"), &["eu"]), false),
            (ADA, lead("ada@acme.com", None, Some("FR"), &["eu"]), false),
            (ADA, lead("ada@acme.com", None, None, &["eu"]), false),
            (
                ADA,
                lead("ada@example.com", None, Some("GB"), &["eu"]),
                false,
            ),
            (
                ADA,
                lead("ada@acme.com", None, Some("GB"), &["other"]),
                false,
            ),
            (ADA, lead("ada@acme.com", None, Some("GB"), &[]), false),
        ];
        for (lead_id, lead, passes) in cases {
            assert_eq!(parsed.matches(id(lead_id), &lead), passes, "{lead:?}");
        }
        let tags_only = filter(LeadFiltersRequest {
            tags: Some(vec!["eu".to_owned()]),
            ..LeadFiltersRequest::default()
        })
        .expect("valid");
        assert!(tags_only.matches(id(BOB), &lead("bob@x.example", None, None, &["EU"])));
    }

    #[test]
    fn lead_filter_that_gives_nothing_is_refused() {
        for request in [
            LeadFiltersRequest::default(),
            LeadFiltersRequest {
                tags: Some(Vec::new()),
                search: Some("  ".to_owned()),
                lead_ids: Some(Vec::new()),
                country: None,
            },
        ] {
            assert_eq!(
                filter(request),
                Err(vec![("/filters".to_owned(), ProblemCode::Required)])
            );
        }
    }

    #[test]
    fn lead_filter_reports_each_bad_value_with_its_pointer() {
        let problems = filter(LeadFiltersRequest {
            tags: Some(vec!["ok".to_owned(), " ".to_owned()]),
            search: Some("a\u{0}".to_owned()),
            country: Some("UK".to_owned()),
            lead_ids: Some(vec![ADA.to_owned(), "nope".to_owned()]),
        });
        assert_eq!(
            problems,
            Err(vec![
                ("/filters/tags/1".to_owned(), ProblemCode::Blank),
                ("/filters/search".to_owned(), ProblemCode::InvalidFormat),
                ("/filters/country".to_owned(), ProblemCode::InvalidValue),
                ("/filters/leadIds/1".to_owned(), ProblemCode::InvalidFormat),
            ])
        );
        let too_many = filter(LeadFiltersRequest {
            lead_ids: Some(vec![ADA.to_owned(); MAX_ID_LIST + 1]),
            ..LeadFiltersRequest::default()
        });
        assert_eq!(
            too_many,
            Err(vec![("/filters/leadIds".to_owned(), ProblemCode::TooMany)])
        );
    }
}

//! A lead: a person the workspace may write to (LEADS.md section 1).

use chrono::{DateTime, Utc};

use crate::id::{LeadId, WorkspaceId};
use crate::lead_custom::{CustomFieldSources, CustomFields};
use crate::lead_field::LeadTextField;
use crate::lead_request::LeadRequest;
use crate::mailbox::{MAX_MAILBOX_TAGS, MAX_TAG_CHARS, fold_tag, parse_tags};
use crate::problem::{Invalid, JsonPointer, ProblemCode, Problems};
use crate::text::{Lines, named, required_trimmed, stored_text};
use crate::values::{CountryCode, EmailAddress, Timezone};

/// The longest text of a standard text field.
pub const MAX_LEAD_TEXT_CHARS: usize = 500;
/// The most tags a lead has (as a mailbox).
pub const MAX_LEAD_TAGS: usize = MAX_MAILBOX_TAGS;

/// What a client decides about a lead: valid, before (or apart from) its id and timestamps.
///
/// Rules: `email` required, an [`EmailAddress`] kept as given (after trimming) and compared by
/// [`LeadFields::email_key`]; the nine text fields at most 500 characters with no control character,
/// kept exactly as given (only data cleanup trims, see [`crate::lead_cleanup`]), no URL or phone
/// syntax imposed on `linkedinUrl`, `website` or `phone` (SendKit stores them as text); `country` an
/// assigned ISO 3166-1 alpha-2 code (any case in, uppercase out); `timezone` an IANA zone (any case in,
/// canonical spelling out); `tags` as mailbox tags (trimmed, non-blank, at most 100 characters, no
/// repeats ignoring case, at most 50); `customFields` as [`CustomFields`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeadFields {
    email: EmailAddress,
    texts: [Option<String>; 9],
    country: Option<CountryCode>,
    timezone: Option<Timezone>,
    tags: Vec<String>,
    custom_fields: CustomFields,
}

impl LeadFields {
    /// Parses one lead located at `at` (the root for `POST /v1/leads`, `/leads/3` for a bulk entry),
    /// reporting every problem with its pointer.
    pub fn parse(request: &LeadRequest, at: &JsonPointer) -> Result<LeadFields, Problems> {
        let mut problems = Problems::new();
        let email = match request.email.as_deref() {
            None => {
                problems.add(
                    at.field("email"),
                    ProblemCode::Required,
                    "email is required",
                );
                None
            }
            Some(raw) => problems.check(
                EmailAddress::parse(raw).map_err(|invalid| named("email", invalid)),
                at.field("email"),
            ),
        };
        let mut texts: [Option<String>; 9] = Default::default();
        for field in LeadTextField::ALL {
            if let Some(text) = request.text(*field) {
                let checked = stored_text(text, field.as_str(), MAX_LEAD_TEXT_CHARS, Lines::One);
                if problems.check(checked, at.field(field.as_str())).is_some() {
                    texts[field.slot()] = Some(text.to_owned());
                }
            }
        }
        let country = request.country.as_deref().and_then(|raw| {
            problems.check(
                CountryCode::parse(raw).map_err(|invalid| named("country", invalid)),
                at.field("country"),
            )
        });
        let timezone = request.timezone.as_deref().and_then(|raw| {
            problems.check(
                Timezone::parse(raw).map_err(|invalid| named("timezone", invalid)),
                at.field("timezone"),
            )
        });
        let tags = parse_tags(
            request.tags.as_deref().unwrap_or_default(),
            &at.field("tags"),
            &mut problems,
        );
        let custom_fields = CustomFields::parse(
            CustomFieldSources {
                object: request.custom_fields.as_deref(),
                members: &request.extra_fields,
            },
            at,
            &mut problems,
        );
        match (email, tags, custom_fields) {
            (Some(email), Some(tags), Some(custom_fields)) if problems.is_empty() => {
                Ok(LeadFields {
                    email,
                    texts,
                    country,
                    timezone,
                    tags,
                    custom_fields,
                })
            }
            _ => Err(problems),
        }
    }

    /// The address as given (after trimming).
    pub fn email(&self) -> &EmailAddress {
        &self.email
    }

    /// The form leads are unique by within a workspace, and looked up by: the address in lowercase.
    pub fn email_key(&self) -> String {
        self.email.normalized()
    }

    /// One text field as given.
    pub fn text(&self, field: LeadTextField) -> Option<&str> {
        self.texts[field.slot()].as_deref()
    }
    pub fn first_name(&self) -> Option<&str> {
        self.text(LeadTextField::FirstName)
    }
    pub fn last_name(&self) -> Option<&str> {
        self.text(LeadTextField::LastName)
    }
    pub fn company_name(&self) -> Option<&str> {
        self.text(LeadTextField::CompanyName)
    }
    pub fn job_title(&self) -> Option<&str> {
        self.text(LeadTextField::JobTitle)
    }
    pub fn phone(&self) -> Option<&str> {
        self.text(LeadTextField::Phone)
    }
    pub fn linkedin_url(&self) -> Option<&str> {
        self.text(LeadTextField::LinkedinUrl)
    }
    pub fn website(&self) -> Option<&str> {
        self.text(LeadTextField::Website)
    }
    pub fn city(&self) -> Option<&str> {
        self.text(LeadTextField::City)
    }
    pub fn state(&self) -> Option<&str> {
        self.text(LeadTextField::State)
    }
    pub fn country(&self) -> Option<CountryCode> {
        self.country
    }
    pub fn timezone(&self) -> Option<Timezone> {
        self.timezone
    }
    /// Tags as given (trimmed); they compare case-insensitively ([`fold_tag`]).
    pub fn tags(&self) -> &[String] {
        &self.tags
    }
    pub fn custom_fields(&self) -> &CustomFields {
        &self.custom_fields
    }

    /// The lead in request form: what storage keeps and what a merge starts from. Parsing it gives
    /// these fields back.
    pub fn to_request(&self) -> LeadRequest {
        let mut request = LeadRequest {
            email: Some(self.email.as_str().to_owned()),
            country: self.country.map(|code| code.as_str().to_owned()),
            timezone: self.timezone.map(|zone| zone.name().to_owned()),
            tags: Some(self.tags.clone()),
            custom_fields: Some(self.custom_fields.to_request()),
            ..LeadRequest::default()
        };
        for field in LeadTextField::ALL {
            *request.text_mut(*field) = self.text(*field).map(str::to_owned);
        }
        request
    }

    /// These fields with `tag` (the `tag` of a bulk or CSV import) added, unless the lead has it
    /// already (ignoring case). A lead that already has 50 other tags cannot take it: the problem is
    /// at `{at}/tags`.
    pub fn with_tag(mut self, tag: &ImportTag, at: &JsonPointer) -> Result<LeadFields, Problems> {
        let folded = fold_tag(tag.as_str());
        if self.tags.iter().any(|have| fold_tag(have) == folded) {
            return Ok(self);
        }
        if self.tags.len() >= MAX_LEAD_TAGS {
            return Err(Problems::from(
                Invalid::new(
                    ProblemCode::TooMany,
                    format!(
                        "tags has at most {MAX_LEAD_TAGS} items, so the import's tag {:?} does not fit",
                        tag.as_str()
                    ),
                )
                .at(at.field("tags")),
            ));
        }
        self.tags.push(tag.as_str().to_owned());
        Ok(self)
    }
}

/// The `tag` that a bulk or CSV import adds to each of its leads: a tag (trimmed, non-blank, at most
/// 100 characters, one line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportTag(String);

impl ImportTag {
    /// `Ok(None)` when no tag is given.
    pub fn parse(raw: Option<&str>) -> Result<Option<ImportTag>, Invalid> {
        raw.map(|raw| required_trimmed(Some(raw), "tag", MAX_TAG_CHARS).map(ImportTag))
            .transpose()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A lead of a workspace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lead {
    id: LeadId,
    workspace_id: WorkspaceId,
    fields: LeadFields,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl Lead {
    /// A new lead.
    pub fn create(
        id: LeadId,
        workspace_id: WorkspaceId,
        fields: LeadFields,
        now: DateTime<Utc>,
    ) -> Lead {
        Lead {
            id,
            workspace_id,
            fields,
            created_at: now,
            updated_at: now,
        }
    }

    /// A lead read back from storage; its fields were parsed again by the caller.
    pub fn restore(
        id: LeadId,
        workspace_id: WorkspaceId,
        fields: LeadFields,
        created_at: DateTime<Utc>,
        updated_at: DateTime<Utc>,
    ) -> Lead {
        Lead {
            id,
            workspace_id,
            fields,
            created_at,
            updated_at,
        }
    }

    /// The lead with changed fields (a PATCH, or a bulk update), touched at `now`.
    pub fn with_fields(self, fields: LeadFields, now: DateTime<Utc>) -> Lead {
        Lead {
            fields,
            updated_at: now,
            ..self
        }
    }

    pub fn id(&self) -> LeadId {
        self.id
    }
    pub fn workspace_id(&self) -> WorkspaceId {
        self.workspace_id
    }
    pub fn fields(&self) -> &LeadFields {
        &self.fields
    }
    pub fn created_at(&self) -> DateTime<Utc> {
        self.created_at
    }
    pub fn updated_at(&self) -> DateTime<Utc> {
        self.updated_at
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lead_custom::CustomValue;
    use proptest::prelude::*;

    fn ada() -> LeadRequest {
        LeadRequest {
            email: Some("Ada@Example.com".to_owned()),
            first_name: Some("Ada".to_owned()),
            last_name: Some("Lovelace".to_owned()),
            company_name: Some("Analytical Engines".to_owned()),
            job_title: Some("CTO".to_owned()),
            phone: Some("+44 20 7946 0000".to_owned()),
            linkedin_url: Some("https://www.linkedin.com/in/ada".to_owned()),
            website: Some("https://ae.example".to_owned()),
            city: Some("London".to_owned()),
            state: None,
            country: Some("gb".to_owned()),
            timezone: Some("europe/london".to_owned()),
            tags: Some(vec!["fintech".to_owned()]),
            custom_fields: Some(vec![(
                "lastFunding".to_owned(),
                CustomValue::Text("Series B".to_owned()),
            )]),
            extra_fields: Vec::new(),
        }
    }

    fn problems_of(request: &LeadRequest, at: &JsonPointer) -> Vec<(String, ProblemCode)> {
        LeadFields::parse(request, at)
            .expect_err("invalid")
            .iter()
            .map(|problem| (problem.pointer().to_string(), problem.code()))
            .collect()
    }

    #[test]
    fn lead_parses_every_field_and_keeps_the_email_as_given() {
        let lead = LeadFields::parse(&ada(), &JsonPointer::root()).expect("valid");
        assert_eq!(lead.email().as_str(), "Ada@Example.com");
        assert_eq!(lead.email_key(), "ada@example.com");
        assert_eq!(lead.first_name(), Some("Ada"));
        assert_eq!(lead.last_name(), Some("Lovelace"));
        assert_eq!(lead.company_name(), Some("Analytical Engines"));
        assert_eq!(lead.job_title(), Some("CTO"));
        assert_eq!(lead.phone(), Some("+44 20 7946 0000"));
        assert_eq!(lead.linkedin_url(), Some("https://www.linkedin.com/in/ada"));
        assert_eq!(lead.website(), Some("https://ae.example"));
        assert_eq!(lead.city(), Some("London"));
        assert_eq!(lead.state(), None);
        assert_eq!(lead.country().map(|c| c.to_string()), Some("GB".to_owned()));
        assert_eq!(lead.timezone().map(Timezone::name), Some("Europe/London"));
        assert_eq!(lead.tags(), ["fintech"]);
        assert_eq!(
            lead.custom_fields().get("lastFunding"),
            Some(&CustomValue::Text("Series B".to_owned()))
        );
    }

    #[test]
    fn lead_email_is_required_and_must_be_a_valid_address() {
        let at = JsonPointer::root().field("leads").index(3);
        let cases = [
            (None, ProblemCode::Required),
            (Some("ada"), ProblemCode::InvalidFormat),
            (Some("ada@localhost"), ProblemCode::InvalidFormat),
            (Some(""), ProblemCode::InvalidFormat),
        ];
        for (email, code) in cases {
            let request = LeadRequest {
                email: email.map(str::to_owned),
                ..ada()
            };
            assert_eq!(
                problems_of(&request, &at),
                [("/leads/3/email".to_owned(), code)],
                "{email:?}"
            );
        }
    }

    #[test]
    fn lead_texts_are_at_most_500_characters_without_control_characters() {
        for field in LeadTextField::ALL {
            let mut longest = ada();
            *longest.text_mut(*field) = Some("é".repeat(MAX_LEAD_TEXT_CHARS));
            assert!(
                LeadFields::parse(&longest, &JsonPointer::root()).is_ok(),
                "{field}"
            );
            for (text, code) in [
                ("x".repeat(MAX_LEAD_TEXT_CHARS + 1), ProblemCode::TooLong),
                ("two\nlines".to_owned(), ProblemCode::InvalidFormat),
                ("tab\tbed".to_owned(), ProblemCode::InvalidFormat),
                ("nul\u{0}".to_owned(), ProblemCode::InvalidFormat),
            ] {
                let mut request = ada();
                *request.text_mut(*field) = Some(text);
                assert_eq!(
                    problems_of(&request, &JsonPointer::root()),
                    [(format!("/{field}"), code)],
                    "{field}"
                );
            }
        }
    }

    #[test]
    fn lead_texts_are_kept_exactly_as_given_without_cleanup() {
        let request = LeadRequest {
            first_name: Some("  Ada  ".to_owned()),
            city: Some(String::new()),
            ..ada()
        };
        let lead = LeadFields::parse(&request, &JsonPointer::root()).expect("valid");
        assert_eq!(lead.first_name(), Some("  Ada  "));
        assert_eq!(lead.city(), Some(""));
    }

    #[test]
    fn lead_country_is_an_assigned_alpha_2_code_or_null() {
        let cases = [
            (None, Ok(None)),
            (Some("GB"), Ok(Some("GB"))),
            (Some("us"), Ok(Some("US"))),
            (Some("UK"), Err(ProblemCode::InvalidValue)),
            (Some("GBR"), Err(ProblemCode::InvalidValue)),
            (Some("United Kingdom"), Err(ProblemCode::InvalidValue)),
        ];
        for (country, expected) in cases {
            let request = LeadRequest {
                country: country.map(str::to_owned),
                ..ada()
            };
            let outcome = LeadFields::parse(&request, &JsonPointer::root())
                .map(|lead| lead.country().map(|code| code.to_string()))
                .map_err(|problems| problems.iter().map(|p| p.code()).collect::<Vec<_>>());
            assert_eq!(
                outcome,
                expected
                    .map(|code| code.map(str::to_owned))
                    .map_err(|code| vec![code]),
                "{country:?}"
            );
        }
    }

    #[test]
    fn lead_timezone_is_an_iana_zone_or_null() {
        let cases = [
            (None, Ok(None)),
            (Some("America/New_York"), Ok(Some("America/New_York"))),
            (Some("asia/kolkata"), Ok(Some("Asia/Kolkata"))),
            (Some("EST5"), Err(ProblemCode::InvalidValue)),
            (Some("London"), Err(ProblemCode::InvalidValue)),
        ];
        for (zone, expected) in cases {
            let request = LeadRequest {
                timezone: zone.map(str::to_owned),
                ..ada()
            };
            let outcome = LeadFields::parse(&request, &JsonPointer::root())
                .map(|lead| lead.timezone().map(Timezone::name))
                .map_err(|problems| problems.iter().map(|p| p.code()).collect::<Vec<_>>());
            assert_eq!(outcome, expected.map_err(|code| vec![code]), "{zone:?}");
        }
    }

    #[test]
    fn lead_tags_follow_the_mailbox_tag_rules() {
        let at = JsonPointer::root().field("leads").index(0);
        let tags = |list: &[&str]| LeadRequest {
            tags: Some(list.iter().map(|tag| (*tag).to_owned()).collect()),
            ..ada()
        };
        assert_eq!(
            problems_of(&tags(&["Fintech", "fintech"]), &at),
            [("/leads/0/tags/1".to_owned(), ProblemCode::Duplicate)]
        );
        assert_eq!(
            problems_of(&tags(&["ok", "  "]), &at),
            [("/leads/0/tags/1".to_owned(), ProblemCode::Blank)]
        );
        let fifty_one: Vec<String> = (0..=MAX_LEAD_TAGS).map(|n| format!("t{n}")).collect();
        let refs: Vec<&str> = fifty_one.iter().map(String::as_str).collect();
        assert_eq!(
            problems_of(&tags(&refs), &at),
            [("/leads/0/tags".to_owned(), ProblemCode::TooMany)]
        );
        let lead = LeadFields::parse(&tags(&[" vip "]), &at).expect("valid");
        assert_eq!(lead.tags(), ["vip"]);
    }

    #[test]
    fn lead_reports_every_problem_at_once_below_its_base_pointer() {
        let request = LeadRequest {
            email: None,
            first_name: Some("x".repeat(501)),
            country: Some("XX".to_owned()),
            timezone: Some("Nowhere".to_owned()),
            extra_fields: vec![("email".to_owned(), CustomValue::Null)],
            ..ada()
        };
        let at = JsonPointer::root().field("leads").index(7);
        assert_eq!(
            problems_of(&request, &at),
            [
                ("/leads/7/email".to_owned(), ProblemCode::Required),
                ("/leads/7/firstName".to_owned(), ProblemCode::TooLong),
                ("/leads/7/country".to_owned(), ProblemCode::InvalidValue),
                ("/leads/7/timezone".to_owned(), ProblemCode::InvalidValue),
                ("/leads/7/email".to_owned(), ProblemCode::NotAllowed),
            ]
        );
    }

    #[test]
    fn lead_in_request_form_parses_back_to_itself() {
        let lead = LeadFields::parse(&ada(), &JsonPointer::root()).expect("valid");
        let again = LeadFields::parse(&lead.to_request(), &JsonPointer::root()).expect("valid");
        assert_eq!(again, lead);
    }

    #[test]
    fn import_tag_is_added_once_ignoring_case_and_only_while_it_fits() {
        let at = JsonPointer::root().field("leads").index(2);
        let tag = ImportTag::parse(Some(" Webinar "))
            .expect("valid")
            .expect("given");
        assert_eq!(tag.as_str(), "Webinar");
        let lead = LeadFields::parse(&ada(), &at).expect("valid");
        let tagged = lead.with_tag(&tag, &at).expect("fits");
        assert_eq!(tagged.tags(), ["fintech", "Webinar"]);
        let again = tagged.clone().with_tag(&tag, &at).expect("already there");
        assert_eq!(again, tagged);

        let full = LeadRequest {
            tags: Some((0..MAX_LEAD_TAGS).map(|n| format!("t{n}")).collect()),
            ..ada()
        };
        let full = LeadFields::parse(&full, &at).expect("50 tags");
        let refused = full.with_tag(&tag, &at).expect_err("51 tags");
        assert_eq!(
            refused
                .iter()
                .map(|p| p.pointer().to_string())
                .collect::<Vec<_>>(),
            ["/leads/2/tags"]
        );
    }

    #[test]
    fn import_tag_must_be_a_valid_tag() {
        assert_eq!(ImportTag::parse(None), Ok(None));
        for (raw, code) in [
            ("   ", ProblemCode::Blank),
            ("a\u{7}", ProblemCode::InvalidFormat),
            (&"t".repeat(MAX_TAG_CHARS + 1) as &str, ProblemCode::TooLong),
        ] {
            assert_eq!(ImportTag::parse(Some(raw)).map_err(|i| i.code), Err(code));
        }
    }

    proptest! {
        #[test]
        fn lead_email_key_is_the_lowercased_address(
            local in "[a-zA-Z0-9]{1,10}",
            domain in "[a-zA-Z]{1,10}\\.[a-zA-Z]{2,5}",
        ) {
            let address = format!("{local}@{domain}");
            let request = LeadRequest { email: Some(address.clone()), ..LeadRequest::default() };
            let lead = LeadFields::parse(&request, &JsonPointer::root()).expect("valid");
            prop_assert_eq!(lead.email().as_str(), address.as_str());
            prop_assert_eq!(lead.email_key(), address.to_ascii_lowercase());
        }
    }
}

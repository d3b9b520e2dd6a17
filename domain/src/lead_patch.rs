//! Changing a lead: `PATCH /v1/leads/{leadId}` (an RFC 7386 merge patch) and the update of an existing
//! lead by a bulk or CSV import with `skipDuplicates: false`. Both merge into the stored lead's request
//! form and parse the result with [`LeadFields::parse`], so every rule of a new lead holds after a
//! change, and problems point where the client wrote the value.

use crate::lead::LeadFields;
use crate::lead_custom::{NullMeans, merge_custom_entries};
use crate::lead_field::LeadTextField;
use crate::lead_request::LeadPatchRequest;
use crate::mailbox::fold_tag;
use crate::mailbox_update::PatchValue;
use crate::problem::{JsonPointer, ProblemCode, Problems};

impl LeadFields {
    /// The fields after a PATCH: an absent member keeps its value, `null` clears it (`tags` become
    /// empty, `customFields: null` removes every custom field), a value replaces it. `customFields` merge
    /// key by key: a key's value replaces the stored one in place, a new key goes last, a `null` value
    /// removes the key. `email` may change (the caller checks it is still unique by
    /// [`LeadFields::email_key`]) but cannot be cleared: `email: null` is a `required` problem at `/email`.
    pub fn patched(&self, patch: &LeadPatchRequest) -> Result<LeadFields, Problems> {
        let root = JsonPointer::root();
        let mut merged = self.to_request();
        let mut problems = Problems::new();
        match &patch.email {
            PatchValue::Absent => {}
            PatchValue::Null => problems.add(
                root.field("email"),
                ProblemCode::Required,
                "email cannot be removed: a lead needs an address",
            ),
            PatchValue::Given(email) => merged.email = Some(email.clone()),
        }
        for field in LeadTextField::ALL {
            merge_member(merged.text_mut(*field), patch.text(*field));
        }
        merge_member(&mut merged.country, &patch.country);
        merge_member(&mut merged.timezone, &patch.timezone);
        merge_member(&mut merged.tags, &patch.tags);
        match &patch.custom_fields {
            PatchValue::Absent => {}
            PatchValue::Null => merged.custom_fields = None,
            PatchValue::Given(changes) => {
                let entries = merged.custom_fields.get_or_insert_with(Vec::new);
                merge_custom_entries(entries, changes, NullMeans::Remove);
            }
        }
        problems.ahead_of(LeadFields::parse(&merged, &root))
    }

    /// The fields after an import met this lead again (`skipDuplicates: false`; the caller matched it by
    /// [`LeadFields::email_key`]): every field `incoming` has overwrites the stored one (the email too,
    /// so its spelling follows the import), `tags` are the union ignoring case (stored ones first, each
    /// in the spelling first seen), `customFields` merge key by key. An update only adds and overwrites:
    /// a field the import leaves out or gives as null keeps its stored value, so a sparse row never
    /// erases data (`PATCH` is the way to clear a field). `at` locates the import's entry: a union of
    /// more than 50 tags, or more than 100 custom fields, is a problem there.
    pub fn merged_with(
        &self,
        incoming: &LeadFields,
        at: &JsonPointer,
    ) -> Result<LeadFields, Problems> {
        let mut merged = self.to_request();
        let given = incoming.to_request();
        merged.email.clone_from(&given.email);
        for field in LeadTextField::ALL {
            if let Some(text) = given.text(*field) {
                *merged.text_mut(*field) = Some(text.to_owned());
            }
        }
        merged.country = given.country.or(merged.country);
        merged.timezone = given.timezone.or(merged.timezone);
        let tags = merged.tags.get_or_insert_with(Vec::new);
        for tag in incoming.tags() {
            if !tags.iter().any(|have| fold_tag(have) == fold_tag(tag)) {
                tags.push(tag.clone());
            }
        }
        let entries = merged.custom_fields.get_or_insert_with(Vec::new);
        merge_custom_entries(
            entries,
            &given.custom_fields.unwrap_or_default(),
            NullMeans::Keep,
        );
        LeadFields::parse(&merged, at)
    }
}

fn merge_member<T: Clone>(stored: &mut Option<T>, patch: &PatchValue<T>) {
    match patch {
        PatchValue::Absent => {}
        PatchValue::Null => *stored = None,
        PatchValue::Given(value) => *stored = Some(value.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lead::MAX_LEAD_TAGS;
    use crate::lead_custom::{CustomValue, MAX_CUSTOM_FIELDS};
    use crate::lead_request::LeadRequest;

    fn parse_at_root(request: &LeadRequest) -> LeadFields {
        LeadFields::parse(request, &JsonPointer::root()).expect("valid lead")
    }

    fn text(value: &str) -> CustomValue {
        CustomValue::Text(value.to_owned())
    }

    fn stored() -> LeadFields {
        parse_at_root(&LeadRequest {
            email: Some("ada@example.com".to_owned()),
            first_name: Some("Ada".to_owned()),
            last_name: Some("Lovelace".to_owned()),
            city: Some("London".to_owned()),
            country: Some("GB".to_owned()),
            timezone: Some("Europe/London".to_owned()),
            tags: Some(vec!["Fintech".to_owned(), "EU".to_owned()]),
            custom_fields: Some(vec![
                ("a".to_owned(), text("1")),
                ("b".to_owned(), text("2")),
            ]),
            ..LeadRequest::default()
        })
    }

    fn custom(lead: &LeadFields) -> Vec<(String, String)> {
        lead.custom_fields()
            .iter()
            .map(|(key, value)| (key.to_string(), value.rendered().into_owned()))
            .collect()
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(key, value)| ((*key).to_owned(), (*value).to_owned()))
            .collect()
    }

    #[test]
    fn patch_leaves_absent_members_clears_null_ones_and_replaces_given_ones() {
        let patch = LeadPatchRequest {
            first_name: PatchValue::Given("Augusta".to_owned()),
            city: PatchValue::Null,
            country: PatchValue::Null,
            timezone: PatchValue::Given("america/new_york".to_owned()),
            tags: PatchValue::Null,
            ..LeadPatchRequest::default()
        };
        let lead = stored().patched(&patch).expect("valid");
        assert_eq!(lead.email().as_str(), "ada@example.com");
        assert_eq!(lead.first_name(), Some("Augusta"));
        assert_eq!(lead.last_name(), Some("Lovelace"));
        assert_eq!(lead.city(), None);
        assert_eq!(lead.country(), None);
        assert_eq!(
            lead.timezone().map(|zone| zone.name()),
            Some("America/New_York")
        );
        assert!(lead.tags().is_empty());
        assert_eq!(custom(&lead), pairs(&[("a", "1"), ("b", "2")]));
        assert_eq!(stored().patched(&LeadPatchRequest::default()), Ok(stored()));
    }

    #[test]
    fn patch_merges_custom_fields_key_by_key_and_null_removes_a_key() {
        let patch = LeadPatchRequest {
            custom_fields: PatchValue::Given(vec![
                ("b".to_owned(), CustomValue::Null),
                ("a".to_owned(), text("one")),
                ("c".to_owned(), CustomValue::Boolean(true)),
            ]),
            ..LeadPatchRequest::default()
        };
        let lead = stored().patched(&patch).expect("valid");
        assert_eq!(custom(&lead), pairs(&[("a", "one"), ("c", "true")]));

        let cleared = LeadPatchRequest {
            custom_fields: PatchValue::Null,
            ..LeadPatchRequest::default()
        };
        assert!(
            stored()
                .patched(&cleared)
                .expect("valid")
                .custom_fields()
                .is_empty()
        );
    }

    #[test]
    fn patch_may_change_the_email_but_never_clear_it() {
        let changed = LeadPatchRequest {
            email: PatchValue::Given("Ada@New.example".to_owned()),
            ..LeadPatchRequest::default()
        };
        let lead = stored().patched(&changed).expect("valid");
        assert_eq!(lead.email_key(), "ada@new.example");

        let cleared = LeadPatchRequest {
            email: PatchValue::Null,
            first_name: PatchValue::Given("x".repeat(501)),
            ..LeadPatchRequest::default()
        };
        let problems: Vec<(String, ProblemCode)> = stored()
            .patched(&cleared)
            .expect_err("email cannot be cleared")
            .iter()
            .map(|problem| (problem.pointer().to_string(), problem.code()))
            .collect();
        assert_eq!(
            problems,
            [
                ("/email".to_owned(), ProblemCode::Required),
                ("/firstName".to_owned(), ProblemCode::TooLong),
            ]
        );
    }

    #[test]
    fn patch_values_follow_the_create_rules_with_pointers_into_the_patch() {
        let patch = LeadPatchRequest {
            email: PatchValue::Given("not-an-address".to_owned()),
            country: PatchValue::Given("UK".to_owned()),
            tags: PatchValue::Given(vec!["x".to_owned(), "X".to_owned()]),
            custom_fields: PatchValue::Given(vec![("Email".to_owned(), text("x"))]),
            ..LeadPatchRequest::default()
        };
        let pointers: Vec<String> = stored()
            .patched(&patch)
            .expect_err("invalid")
            .iter()
            .map(|problem| problem.pointer().to_string())
            .collect();
        assert_eq!(
            pointers,
            ["/email", "/country", "/tags/1", "/customFields/Email"]
        );
    }

    #[test]
    fn bulk_update_overwrites_given_fields_and_keeps_the_others() {
        let incoming = parse_at_root(&LeadRequest {
            email: Some("ADA@example.com".to_owned()),
            first_name: Some("Augusta".to_owned()),
            job_title: Some("CTO".to_owned()),
            ..LeadRequest::default()
        });
        let at = JsonPointer::root().field("leads").index(4);
        let lead = stored().merged_with(&incoming, &at).expect("valid");
        assert_eq!(lead.email().as_str(), "ADA@example.com");
        assert_eq!(lead.first_name(), Some("Augusta"));
        assert_eq!(lead.last_name(), Some("Lovelace"));
        assert_eq!(lead.job_title(), Some("CTO"));
        assert_eq!(lead.city(), Some("London"));
        assert_eq!(lead.country().map(|c| c.to_string()), Some("GB".to_owned()));
        assert_eq!(lead.tags(), ["Fintech", "EU"]);
        assert_eq!(custom(&lead), pairs(&[("a", "1"), ("b", "2")]));
    }

    #[test]
    fn bulk_update_unions_tags_ignoring_case_and_merges_custom_fields() {
        let incoming = parse_at_root(&LeadRequest {
            email: Some("ada@example.com".to_owned()),
            country: Some("fr".to_owned()),
            tags: Some(vec!["fintech".to_owned(), "Webinar".to_owned()]),
            custom_fields: Some(vec![
                ("b".to_owned(), text("two")),
                ("a".to_owned(), CustomValue::Null),
                ("c".to_owned(), CustomValue::Number(3_i64.into())),
            ]),
            ..LeadRequest::default()
        });
        let lead = stored()
            .merged_with(&incoming, &JsonPointer::root())
            .expect("valid");
        assert_eq!(lead.country().map(|c| c.to_string()), Some("FR".to_owned()));
        assert_eq!(lead.tags(), ["Fintech", "EU", "Webinar"]);
        assert_eq!(
            custom(&lead),
            pairs(&[("a", "1"), ("b", "two"), ("c", "3")]),
            "a null custom value keeps the stored one in a bulk update"
        );
    }

    #[test]
    fn bulk_update_refuses_a_union_beyond_the_limits_at_the_entry() {
        let many_tags: Vec<String> = (0..MAX_LEAD_TAGS).map(|n| format!("new{n}")).collect();
        let many_fields: Vec<(String, CustomValue)> = (0..MAX_CUSTOM_FIELDS)
            .map(|n| (format!("f{n}"), CustomValue::Boolean(true)))
            .collect();
        let incoming = parse_at_root(&LeadRequest {
            email: Some("ada@example.com".to_owned()),
            tags: Some(many_tags),
            custom_fields: Some(many_fields),
            ..LeadRequest::default()
        });
        let at = JsonPointer::root().field("leads").index(9);
        let problems: Vec<(String, ProblemCode)> = stored()
            .merged_with(&incoming, &at)
            .expect_err("too many")
            .iter()
            .map(|problem| (problem.pointer().to_string(), problem.code()))
            .collect();
        assert_eq!(
            problems,
            [
                ("/leads/9/tags".to_owned(), ProblemCode::TooMany),
                ("/leads/9/customFields".to_owned(), ProblemCode::TooMany),
            ]
        );
    }
}

//! `dataCleanup` (LEADS.md section 1; default on for bulk and CSV imports): tidies a lead *before* it is
//! parsed, so the usual rules then judge the tidied values.

use std::collections::HashSet;

use url::Url;

use crate::lead_custom::CustomValue;
use crate::lead_field::LeadTextField;
use crate::lead_request::LeadRequest;
use crate::mailbox::fold_tag;

/// The lead with its data cleaned up:
/// - every text is trimmed (the email, the nine text fields, `country`, `timezone`, each tag and each
///   custom text value; custom field names are names, not values, and are left alone);
/// - the email's domain (after the last `@`) is lowercased, its local part kept as given;
/// - blank values are dropped: an empty text becomes absent, a blank tag leaves the list, a custom field
///   whose value is null or blank text leaves the custom fields;
/// - inner white space of `firstName`, `lastName` and `companyName` collapses to one space (line
///   breaks and non-breaking spaces included);
/// - `linkedinUrl` is normalised when it is a profile URL (see [`normalize_linkedin_url`]);
/// - tags repeated ignoring case are kept once (the first spelling): an import's tag column is often
///   untidy, and a repeat would otherwise refuse the whole lead.
///
/// Nothing else is changed: an invalid value stays invalid and is reported by the parse.
pub fn clean_lead(mut request: LeadRequest) -> LeadRequest {
    request.email = non_blank(request.email.as_deref().map(str::trim)).map(lowercase_domain);
    for field in LeadTextField::ALL {
        let slot = request.text_mut(*field);
        let cleaned = if LeadTextField::NAMES.contains(field) {
            slot.as_deref().map(collapse_white_space)
        } else {
            slot.as_deref().map(|text| text.trim().to_owned())
        };
        *slot = non_blank(cleaned.as_deref());
    }
    if let Some(url) = request
        .linkedin_url
        .as_deref()
        .and_then(normalize_linkedin_url)
    {
        request.linkedin_url = Some(url);
    }
    request.country = non_blank(request.country.as_deref().map(str::trim));
    request.timezone = non_blank(request.timezone.as_deref().map(str::trim));
    request.tags = request.tags.map(|tags| {
        let mut seen = HashSet::new();
        tags.iter()
            .map(|tag| tag.trim())
            .filter(|tag| !tag.is_empty() && seen.insert(fold_tag(tag)))
            .map(str::to_owned)
            .collect()
    });
    request.custom_fields = request.custom_fields.map(clean_custom);
    request.extra_fields = clean_custom(request.extra_fields);
    request
}

fn non_blank(text: Option<&str>) -> Option<String> {
    text.filter(|text| !text.is_empty()).map(str::to_owned)
}

fn lowercase_domain(email: String) -> String {
    match email.rsplit_once('@') {
        Some((local, domain)) => format!("{local}@{}", domain.to_ascii_lowercase()),
        None => email,
    }
}

fn collapse_white_space(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn clean_custom(entries: Vec<(String, CustomValue)>) -> Vec<(String, CustomValue)> {
    entries
        .into_iter()
        .filter(|(_, value)| !value.is_blank())
        .map(|(key, value)| match value {
            CustomValue::Text(text) => (key, CustomValue::Text(text.trim().to_owned())),
            other => (key, other),
        })
        .collect()
}

/// `https://www.linkedin.com/in/<handle>` for a LinkedIn profile URL, `None` for anything else.
///
/// A profile URL: scheme `http`, `https` or none (`linkedin.com/in/ada`), in any letter case; host
/// `linkedin.com` or any subdomain of it (`www.`, country ones such as `uk.`, `m.`), with or without a
/// trailing dot; no user, no explicit port; path `/in/<handle>`, where whatever follows the handle
/// (`/`, `/en`, `/details/experience`), the query (`?trk=…`) and the fragment are dropped: they are views
/// of the same profile. The handle keeps its letter case and is percent-encoded as URLs are.
///
/// Anything else is not a profile and is left as given (trimmed) by the cleanup, rather than mangled or
/// refused: company pages (`/company/…`), old public profiles (`/pub/…`), posts, other hosts, other
/// schemes, `/in/` without a handle. `linkedinUrl` is a free text field, and what a user put there is
/// still worth keeping.
pub fn normalize_linkedin_url(raw: &str) -> Option<String> {
    let trimmed = raw.trim();
    let has_web_scheme = ["http://", "https://"].iter().any(|scheme| {
        trimmed
            .get(..scheme.len())
            .is_some_and(|start| start.eq_ignore_ascii_case(scheme))
    });
    let absolute = if has_web_scheme {
        trimmed.to_owned()
    } else if trimmed.contains("://") {
        return None;
    } else {
        format!("https://{}", trimmed.trim_start_matches('/'))
    };
    let url = Url::parse(&absolute).ok()?;
    if !url.username().is_empty() || url.password().is_some() || url.port().is_some() {
        return None;
    }
    let host = url.host_str()?;
    let host = host.strip_suffix('.').unwrap_or(host);
    if host != "linkedin.com" && !host.ends_with(".linkedin.com") {
        return None;
    }
    let mut segments = url.path_segments()?;
    if !segments.next()?.eq_ignore_ascii_case("in") {
        return None;
    }
    let handle = segments.next().filter(|handle| !handle.is_empty())?;
    Some(format!("https://www.linkedin.com/in/{handle}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lead::LeadFields;
    use crate::problem::JsonPointer;
    use proptest::prelude::*;

    fn text(value: &str) -> CustomValue {
        CustomValue::Text(value.to_owned())
    }

    #[test]
    fn linkedin_profile_urls_normalise_to_the_canonical_form() {
        let canonical = "https://www.linkedin.com/in/ada";
        let cases = [
            "https://www.linkedin.com/in/ada",
            "http://www.linkedin.com/in/ada",
            "HTTPS://WWW.LINKEDIN.COM/in/ada",
            "linkedin.com/in/ada",
            "www.linkedin.com/in/ada",
            "uk.linkedin.com/in/ada",
            "https://de.linkedin.com/in/ada/",
            "https://m.linkedin.com/in/ada",
            "https://www.linkedin.com/in/ada?trk=public_profile",
            "https://www.linkedin.com/in/ada/?originalSubdomain=uk#about",
            "https://www.linkedin.com/in/ada/en",
            "https://www.linkedin.com/in/ada/details/experience/",
            "https://www.linkedin.com./in/ada",
            "https://linkedin.com:443/in/ada",
            "  linkedin.com/in/ada/  ",
            "//linkedin.com/in/ada",
        ];
        for raw in cases {
            assert_eq!(
                normalize_linkedin_url(raw).as_deref(),
                Some(canonical),
                "{raw}"
            );
        }
        assert_eq!(
            normalize_linkedin_url("linkedin.com/in/Ada-Lovelace-12ab").as_deref(),
            Some("https://www.linkedin.com/in/Ada-Lovelace-12ab"),
            "the handle keeps its case"
        );
        assert_eq!(
            normalize_linkedin_url("linkedin.com/in/josé").as_deref(),
            Some("https://www.linkedin.com/in/jos%C3%A9")
        );
    }

    #[test]
    fn urls_that_are_not_linkedin_profiles_are_left_alone() {
        for raw in [
            "https://www.linkedin.com/company/analytical-engines",
            "https://www.linkedin.com/pub/ada-lovelace/1/2/3",
            "https://www.linkedin.com/in/",
            "https://www.linkedin.com/",
            "https://notlinkedin.com/in/ada",
            "https://linkedin.com.evil.example/in/ada",
            "https://www.linkedin.com:8443/in/ada",
            "https://ada:secret@www.linkedin.com/in/ada",
            "ftp://www.linkedin.com/in/ada",
            "mailto:ada@example.com",
            "ada lovelace",
            "",
        ] {
            assert_eq!(normalize_linkedin_url(raw), None, "{raw}");
        }
    }

    #[test]
    fn cleanup_trims_every_text_and_drops_blank_values() {
        let request = LeadRequest {
            email: Some("  ada@example.com \t".to_owned()),
            job_title: Some("  CTO ".to_owned()),
            phone: Some("   ".to_owned()),
            website: Some(String::new()),
            city: Some("\u{a0}London\u{a0}".to_owned()),
            country: Some(" gb ".to_owned()),
            timezone: Some(" ".to_owned()),
            tags: Some(vec![" fintech ".to_owned(), "  ".to_owned(), "".to_owned()]),
            custom_fields: Some(vec![
                ("lastFunding".to_owned(), text("  Series B  ")),
                ("empty".to_owned(), text("   ")),
                ("none".to_owned(), CustomValue::Null),
                ("vip".to_owned(), CustomValue::Boolean(false)),
            ]),
            extra_fields: vec![("blank".to_owned(), text(""))],
            ..LeadRequest::default()
        };
        let cleaned = clean_lead(request);
        assert_eq!(cleaned.email.as_deref(), Some("ada@example.com"));
        assert_eq!(cleaned.job_title.as_deref(), Some("CTO"));
        assert_eq!(cleaned.phone, None);
        assert_eq!(cleaned.website, None);
        assert_eq!(cleaned.city.as_deref(), Some("London"));
        assert_eq!(cleaned.country.as_deref(), Some("gb"));
        assert_eq!(cleaned.timezone, None);
        assert_eq!(cleaned.tags, Some(vec!["fintech".to_owned()]));
        assert_eq!(
            cleaned.custom_fields,
            Some(vec![
                ("lastFunding".to_owned(), text("Series B")),
                ("vip".to_owned(), CustomValue::Boolean(false)),
            ])
        );
        assert_eq!(cleaned.extra_fields, []);
    }

    #[test]
    fn cleanup_lowercases_the_email_domain_only() {
        let cases = [
            ("Ada.Lovelace@Example.COM", Some("Ada.Lovelace@example.com")),
            ("  ADA@MAIL.EXAMPLE.CO.UK ", Some("ADA@mail.example.co.uk")),
            ("no-at-sign", Some("no-at-sign")),
            ("   ", None),
        ];
        for (raw, expected) in cases {
            let cleaned = clean_lead(LeadRequest {
                email: Some(raw.to_owned()),
                ..LeadRequest::default()
            });
            assert_eq!(cleaned.email.as_deref(), expected, "{raw}");
        }
    }

    #[test]
    fn cleanup_collapses_inner_white_space_in_names_only() {
        let request = LeadRequest {
            first_name: Some("  Ada   Augusta ".to_owned()),
            last_name: Some("King-\tLovelace".to_owned()),
            company_name: Some("Analytical\n\nEngines\u{a0} Ltd".to_owned()),
            job_title: Some("Chief   Technology Officer".to_owned()),
            ..LeadRequest::default()
        };
        let cleaned = clean_lead(request);
        assert_eq!(cleaned.first_name.as_deref(), Some("Ada Augusta"));
        assert_eq!(cleaned.last_name.as_deref(), Some("King- Lovelace"));
        assert_eq!(
            cleaned.company_name.as_deref(),
            Some("Analytical Engines Ltd")
        );
        assert_eq!(
            cleaned.job_title.as_deref(),
            Some("Chief   Technology Officer")
        );
    }

    #[test]
    fn cleanup_normalises_the_linkedin_url_and_keeps_other_urls_trimmed() {
        let clean_url = |raw: &str| {
            clean_lead(LeadRequest {
                linkedin_url: Some(raw.to_owned()),
                ..LeadRequest::default()
            })
            .linkedin_url
        };
        assert_eq!(
            clean_url(" uk.linkedin.com/in/ada/?trk=x ").as_deref(),
            Some("https://www.linkedin.com/in/ada")
        );
        assert_eq!(
            clean_url(" https://www.linkedin.com/company/ae ").as_deref(),
            Some("https://www.linkedin.com/company/ae")
        );
        assert_eq!(clean_url("  "), None);
    }

    #[test]
    fn cleanup_keeps_the_first_spelling_of_tags_repeated_ignoring_case() {
        let cleaned = clean_lead(LeadRequest {
            tags: Some(vec![
                "Fintech".to_owned(),
                " fintech".to_owned(),
                "EU".to_owned(),
                "FINTECH ".to_owned(),
            ]),
            ..LeadRequest::default()
        });
        assert_eq!(
            cleaned.tags,
            Some(vec!["Fintech".to_owned(), "EU".to_owned()])
        );
    }

    #[test]
    fn cleanup_makes_an_untidy_import_row_parse() {
        let request = LeadRequest {
            email: Some(" Ada@EXAMPLE.com ".to_owned()),
            first_name: Some("Ada\n".to_owned()),
            country: Some(" GB".to_owned()),
            tags: Some(vec!["a".to_owned(), "A".to_owned()]),
            ..LeadRequest::default()
        };
        assert!(LeadFields::parse(&request, &JsonPointer::root()).is_err());
        let lead = LeadFields::parse(&clean_lead(request), &JsonPointer::root()).expect("clean");
        assert_eq!(lead.email().as_str(), "Ada@example.com");
        assert_eq!(lead.first_name(), Some("Ada"));
    }

    proptest! {
        #[test]
        fn cleanup_is_idempotent(
            email in "[ a-zA-Z@.]{0,20}",
            first in "[ \\ta-zA-Z]{0,20}",
            url in "[ a-zA-Z:/.]{0,30}",
            tags in proptest::collection::vec("[ aA]{0,3}", 0..4),
        ) {
            let request = LeadRequest {
                email: Some(email),
                first_name: Some(first),
                linkedin_url: Some(url),
                tags: Some(tags),
                ..LeadRequest::default()
            };
            let once = clean_lead(request);
            prop_assert_eq!(clean_lead(once.clone()), once);
        }
    }
}

//! The do-not-contact list (LEADS.md section 3): its entries, how `POST /v1/dnc` reads them, and the
//! rule the sending engine applies before each send.
//!
//! Matching is designed for an index: [`dnc_keys_of`] turns a lead's address into the few exact keys
//! an entry can have to match it (the lowercased address, its domain and each parent domain), so an
//! adapter asks "is any of these keys on the list?" in one indexed lookup instead of scanning
//! entries. [`DncEntry::matches`] is the same rule, one entry at a time.

use chrono::{DateTime, Utc};

use crate::id::{DncEntryId, WorkspaceId};
use crate::lead_request::{DncEntryRequest, DncRequest};
use crate::problem::{Invalid, JsonPointer, ProblemCode, Problems};
use crate::text::{named, parse_choice, wire_enum};
use crate::values::{EmailAddress, HostName};

/// The most entries one `POST /v1/dnc` adds.
pub const MAX_DNC_ENTRIES: usize = 10_000;
/// The longest `search` of `GET /v1/dnc` (a [`crate::listing::SubstringSearch`]): the longest value
/// an entry has, an address of 254 characters.
pub const MAX_DNC_SEARCH_CHARS: usize = 254;

wire_enum!(
    /// Whether an entry blocks one address or a whole domain (`entryType` on the wire, `type` in
    /// requests and list filters).
    DncKind {
        Email => "email",
        Domain => "domain",
    }
);

wire_enum!(
    /// Why an entry is on the list.
    DncReason {
        /// Added by a user (the default).
        Manual => "manual",
        /// The lead confirmed the unsubscribe page (SENDING.md section 3).
        UnsubscribeLink => "unsubscribe_link",
        /// A permanent bounce (SENDING.md section 5).
        Bounce => "bounce",
        /// A spam complaint.
        Complaint => "complaint",
    }
);

impl DncReason {
    /// The reason of an entry that names none.
    pub const DEFAULT: DncReason = DncReason::Manual;
}

/// One do-not-contact entry: a lowercased address, or a lowercased domain (which also blocks its
/// subdomains), with its reason.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DncEntry {
    kind: DncKind,
    value: String,
    reason: DncReason,
}

impl DncEntry {
    /// An entry for one address (an unsubscribe, a bounce).
    pub fn email(address: &EmailAddress, reason: DncReason) -> DncEntry {
        DncEntry {
            kind: DncKind::Email,
            value: address.normalized(),
            reason,
        }
    }

    /// An entry for a domain and its subdomains.
    pub fn domain(domain: &HostName, reason: DncReason) -> DncEntry {
        DncEntry {
            kind: DncKind::Domain,
            value: domain.as_str().to_owned(),
            reason,
        }
    }

    /// Parses the value of an entry of a known kind: an email address ([`EmailAddress`] rules), or a
    /// domain ([`HostName`] rules: at least two labels, one trailing dot tolerated); surrounding white
    /// space is trimmed and the value lowercased. Also how a stored entry is read back.
    pub fn parse(kind: DncKind, raw: &str, reason: DncReason) -> Result<DncEntry, Invalid> {
        match kind {
            DncKind::Email => EmailAddress::parse(raw).map(|address| Self::email(&address, reason)),
            DncKind::Domain => HostName::parse(raw).map(|domain| Self::domain(&domain, reason)),
        }
    }

    /// Parses a plain-string entry: `forced` (the request's `type`) decides its kind; without it, a
    /// string with an `@` is an email entry, except that `@acme.com` (an `@` first and only there, the
    /// usual notation of suppression lists) is the domain `acme.com`; any other string is a domain.
    pub fn parse_plain(
        raw: &str,
        forced: Option<DncKind>,
        reason: DncReason,
    ) -> Result<DncEntry, Invalid> {
        let trimmed = raw.trim();
        let domain_notation = trimmed
            .strip_prefix('@')
            .filter(|domain| !domain.contains('@'));
        match (forced, domain_notation) {
            (Some(kind), _) => Self::parse(kind, trimmed, reason),
            (None, Some(domain)) => Self::parse(DncKind::Domain, domain, reason),
            (None, None) if trimmed.contains('@') => Self::parse(DncKind::Email, trimmed, reason),
            (None, None) => Self::parse(DncKind::Domain, trimmed, reason),
        }
    }

    pub fn kind(&self) -> DncKind {
        self.kind
    }

    /// The lowercased address or domain: the entry's key (SendKit returns it as `email` for both kinds).
    pub fn value(&self) -> &str {
        &self.value
    }

    pub fn reason(&self) -> DncReason {
        self.reason
    }

    /// Whether this entry blocks `email`: an email entry equal to the address (ignoring case), or a
    /// domain entry equal to the address's domain or to one of its parent domains (`acme.com` blocks
    /// `mail.acme.com`, not `notacme.com`).
    pub fn matches(&self, email: &EmailAddress) -> bool {
        dnc_keys_of(email).matches(self)
    }
}

/// An entry on a workspace's list: what `GET /v1/dnc` shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedDncEntry {
    id: DncEntryId,
    workspace_id: WorkspaceId,
    entry: DncEntry,
    unsubscribed_at: DateTime<Utc>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl ListedDncEntry {
    /// A new entry of `workspace`, added at `at`: it has been on the list (`unsubscribedAt`) since
    /// then, whatever its reason.
    pub fn added(
        id: DncEntryId,
        workspace_id: WorkspaceId,
        entry: DncEntry,
        at: DateTime<Utc>,
    ) -> Self {
        Self::restore(id, workspace_id, entry, at, at, at)
    }

    /// An entry as stored.
    pub fn restore(
        id: DncEntryId,
        workspace_id: WorkspaceId,
        entry: DncEntry,
        unsubscribed_at: DateTime<Utc>,
        created_at: DateTime<Utc>,
        updated_at: DateTime<Utc>,
    ) -> Self {
        Self {
            id,
            workspace_id,
            entry,
            unsubscribed_at,
            created_at,
            updated_at,
        }
    }

    pub fn id(&self) -> DncEntryId {
        self.id
    }

    pub fn workspace_id(&self) -> WorkspaceId {
        self.workspace_id
    }

    pub fn entry(&self) -> &DncEntry {
        &self.entry
    }

    /// Since when the address or domain has been on the list.
    pub fn unsubscribed_at(&self) -> DateTime<Utc> {
        self.unsubscribed_at
    }

    pub fn created_at(&self) -> DateTime<Utc> {
        self.created_at
    }

    pub fn updated_at(&self) -> DateTime<Utc> {
        self.updated_at
    }
}

/// The keys under which an address can be on the do-not-contact list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DncKeys {
    email: String,
    domains: Vec<String>,
}

/// The keys of `email`: the lowercased address (for email entries) and, for domain entries, its
/// lowercased domain followed by each parent domain of at least two labels
/// (`ada@mail.acme.co.uk` → `mail.acme.co.uk`, `acme.co.uk`, `co.uk`; a domain entry always has two
/// labels, so a bare top-level domain is never a key).
pub fn dnc_keys_of(email: &EmailAddress) -> DncKeys {
    let domain = email.domain().to_ascii_lowercase();
    let mut domains = vec![domain.clone()];
    let mut rest = domain.as_str();
    while let Some((_, parent)) = rest.split_once('.') {
        if !parent.contains('.') {
            break;
        }
        domains.push(parent.to_owned());
        rest = parent;
    }
    DncKeys {
        email: email.normalized(),
        domains,
    }
}

impl DncKeys {
    /// The key an email entry must have to match.
    pub fn email(&self) -> &str {
        &self.email
    }

    /// The keys a domain entry may have to match: the domain first, then its parents, nearest first.
    pub fn domains(&self) -> &[String] {
        &self.domains
    }

    /// Whether `entry` blocks the address these keys are of.
    pub fn matches(&self, entry: &DncEntry) -> bool {
        match entry.kind {
            DncKind::Email => entry.value == self.email,
            DncKind::Domain => self.domains.contains(&entry.value),
        }
    }

    /// The first of `entries` that blocks the address, if any.
    pub fn first_match<'a>(
        &self,
        entries: impl IntoIterator<Item = &'a DncEntry>,
    ) -> Option<&'a DncEntry> {
        entries.into_iter().find(|entry| self.matches(entry))
    }
}

/// One item of a `POST /v1/dnc` request, judged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DncBatchEntry {
    /// The 0-based position in `entries`.
    pub index: usize,
    /// The entry to add, or its problems (pointers under `/entries/{index}`), reported in `errors`
    /// while the others are added.
    pub entry: Result<DncEntry, Problems>,
}

/// A `POST /v1/dnc` request, parsed: the request-level rules hold, each entry judged alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DncBatch {
    entries: Vec<DncBatchEntry>,
}

impl DncBatch {
    /// Fails (nothing is added) when `entries` is missing or holds more than 10,000 items, or `type` or
    /// `reason` is not an accepted value. An object entry names exactly one of `email` and `domain`
    /// (its own `reason` wins over the request's); a `type` that contradicts an object's member is a
    /// problem of that entry.
    pub fn parse(request: &DncRequest) -> Result<DncBatch, Problems> {
        let root = JsonPointer::root();
        let mut problems = Problems::new();
        let forced = request.kind.as_deref().and_then(|raw| {
            problems.check(
                parse_choice(raw, "type", DncKind::from_wire, DncKind::choices),
                root.field("type"),
            )
        });
        let reason = match request.reason.as_deref() {
            None => Some(DncReason::DEFAULT),
            Some(raw) => problems.check(parse_reason(raw), root.field("reason")),
        };
        let entries = match request.entries.as_deref() {
            None => {
                problems.add(
                    root.field("entries"),
                    ProblemCode::Required,
                    "entries is required",
                );
                None
            }
            Some(entries) if entries.len() > MAX_DNC_ENTRIES => {
                problems.add(
                    root.field("entries"),
                    ProblemCode::TooMany,
                    format!(
                        "entries has at most {MAX_DNC_ENTRIES} items, not {}",
                        entries.len()
                    ),
                );
                None
            }
            Some(entries) => Some(entries),
        };
        match (entries, reason) {
            (Some(entries), Some(reason)) if problems.is_empty() => Ok(DncBatch {
                entries: entries
                    .iter()
                    .enumerate()
                    .map(|(index, item)| DncBatchEntry {
                        index,
                        entry: parse_item(
                            item,
                            forced,
                            reason,
                            &root.field("entries").index(index),
                        ),
                    })
                    .collect(),
            }),
            _ => Err(problems),
        }
    }

    pub fn entries(&self) -> &[DncBatchEntry] {
        &self.entries
    }

    pub fn into_entries(self) -> Vec<DncBatchEntry> {
        self.entries
    }
}

fn parse_reason(raw: &str) -> Result<DncReason, Invalid> {
    parse_choice(raw, "reason", DncReason::from_wire, DncReason::choices)
}

fn parse_item(
    item: &DncEntryRequest,
    forced: Option<DncKind>,
    reason: DncReason,
    at: &JsonPointer,
) -> Result<DncEntry, Problems> {
    match item {
        DncEntryRequest::Plain(raw) => DncEntry::parse_plain(raw, forced, reason)
            .map_err(|invalid| named("entry", invalid).at(at.clone()).into()),
        DncEntryRequest::Object {
            email,
            domain,
            reason: own_reason,
        } => {
            let mut problems = Problems::new();
            let reason = match own_reason.as_deref() {
                None => Some(reason),
                Some(raw) => problems.check(parse_reason(raw), at.field("reason")),
            };
            let (kind, raw) = match (email.as_deref(), domain.as_deref()) {
                (Some(email), None) => (DncKind::Email, email),
                (None, Some(domain)) => (DncKind::Domain, domain),
                (Some(_), Some(_)) => {
                    problems.add(
                        at.clone(),
                        ProblemCode::NotAllowed,
                        "an entry names either email or domain, not both",
                    );
                    return Err(problems);
                }
                (None, None) => {
                    problems.add(
                        at.clone(),
                        ProblemCode::Required,
                        "an entry needs email or domain",
                    );
                    return Err(problems);
                }
            };
            let at_value = at.field(kind.as_str());
            if let Some(forced) = forced.filter(|forced| *forced != kind) {
                problems.add(
                    at_value.clone(),
                    ProblemCode::InvalidValue,
                    format!("the request's type is {forced}, but this entry names a {kind}"),
                );
            }
            let entry = problems.check(
                DncEntry::parse(kind, raw, reason.unwrap_or(DncReason::DEFAULT))
                    .map_err(|invalid| named(kind.as_str(), invalid)),
                at_value,
            );
            match entry {
                Some(entry) if problems.is_empty() => Ok(entry),
                _ => Err(problems),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn address(raw: &str) -> EmailAddress {
        EmailAddress::parse(raw).expect("valid address")
    }

    fn entry(kind: DncKind, raw: &str) -> DncEntry {
        DncEntry::parse(kind, raw, DncReason::Manual).expect("valid entry")
    }

    fn problems_of(result: &Result<DncEntry, Problems>) -> Vec<(String, ProblemCode)> {
        result
            .as_ref()
            .expect_err("invalid entry")
            .iter()
            .map(|problem| (problem.pointer().to_string(), problem.code()))
            .collect()
    }

    #[test]
    fn dnc_plain_entries_take_their_kind_from_the_at_sign_unless_type_forces_one() {
        let cases = [
            (
                "ada@example.com",
                None,
                Ok((DncKind::Email, "ada@example.com")),
            ),
            (
                "Ada@Example.COM",
                None,
                Ok((DncKind::Email, "ada@example.com")),
            ),
            ("example.com", None, Ok((DncKind::Domain, "example.com"))),
            (
                "  Mail.Example.com. ",
                None,
                Ok((DncKind::Domain, "mail.example.com")),
            ),
            ("@example.com", None, Ok((DncKind::Domain, "example.com"))),
            (
                "ada@example.com",
                Some(DncKind::Email),
                Ok((DncKind::Email, "ada@example.com")),
            ),
            (
                "example.com",
                Some(DncKind::Domain),
                Ok((DncKind::Domain, "example.com")),
            ),
            (
                "example.com",
                Some(DncKind::Email),
                Err(ProblemCode::InvalidFormat),
            ),
            (
                "ada@example.com",
                Some(DncKind::Domain),
                Err(ProblemCode::InvalidFormat),
            ),
            (
                "@example.com",
                Some(DncKind::Email),
                Err(ProblemCode::InvalidFormat),
            ),
            ("a@b@example.com", None, Err(ProblemCode::InvalidFormat)),
            ("@a@example.com", None, Err(ProblemCode::InvalidFormat)),
            ("com", None, Err(ProblemCode::InvalidFormat)),
            ("localhost", None, Err(ProblemCode::InvalidFormat)),
            ("exa mple.com", None, Err(ProblemCode::InvalidFormat)),
            ("", None, Err(ProblemCode::InvalidFormat)),
        ];
        for (raw, forced, expected) in cases {
            let parsed = DncEntry::parse_plain(raw, forced, DncReason::Bounce);
            assert_eq!(
                parsed
                    .as_ref()
                    .map(|entry| (entry.kind(), entry.value()))
                    .map_err(|invalid| invalid.code),
                expected,
                "{raw:?} {forced:?}"
            );
            if let Ok(entry) = parsed {
                assert_eq!(entry.reason(), DncReason::Bounce);
            }
        }
    }

    #[test]
    fn dnc_domain_entry_blocks_the_domain_and_its_subdomains_only() {
        let acme = entry(DncKind::Domain, "Acme.com.");
        let cases = [
            ("ada@acme.com", true),
            ("ada@ACME.COM", true),
            ("ada@mail.acme.com", true),
            ("ada@a.b.mail.acme.com", true),
            ("ada@notacme.com", false),
            ("ada@acme.com.evil.example", false),
            ("ada@acme.co", false),
            ("acme.com@example.com", false),
        ];
        for (raw, blocked) in cases {
            assert_eq!(acme.matches(&address(raw)), blocked, "{raw}");
        }
    }

    #[test]
    fn dnc_email_entry_blocks_that_address_ignoring_case_only() {
        let ada = entry(DncKind::Email, "Ada@Acme.com");
        let cases = [
            ("ada@acme.com", true),
            ("ADA@ACME.COM", true),
            ("ada@mail.acme.com", false),
            ("ada2@acme.com", false),
            ("bob@acme.com", false),
        ];
        for (raw, blocked) in cases {
            assert_eq!(ada.matches(&address(raw)), blocked, "{raw}");
        }
    }

    #[test]
    fn dnc_keys_are_the_address_then_its_domain_and_parent_domains() {
        let keys = dnc_keys_of(&address("Ada@Mail.Acme.CO.uk"));
        assert_eq!(keys.email(), "ada@mail.acme.co.uk");
        assert_eq!(keys.domains(), ["mail.acme.co.uk", "acme.co.uk", "co.uk"]);
        assert_eq!(dnc_keys_of(&address("a@b.io")).domains(), ["b.io"]);
    }

    #[test]
    fn dnc_first_match_finds_the_blocking_entry_among_many() {
        let entries = [
            entry(DncKind::Domain, "other.example"),
            entry(DncKind::Email, "bob@acme.com"),
            entry(DncKind::Domain, "acme.com"),
        ];
        let keys = dnc_keys_of(&address("ada@eu.acme.com"));
        assert_eq!(keys.first_match(&entries), Some(&entries[2]));
        let keys = dnc_keys_of(&address("ada@example.org"));
        assert_eq!(keys.first_match(&entries), None);
    }

    #[test]
    fn dnc_entries_built_by_the_engine_are_lowercased() {
        let unsubscribed = DncEntry::email(&address("Ada@Acme.COM"), DncReason::UnsubscribeLink);
        assert_eq!(unsubscribed.value(), "ada@acme.com");
        assert_eq!(unsubscribed.kind(), DncKind::Email);
        let domain = DncEntry::domain(
            &HostName::parse("ACME.com").expect("host"),
            DncReason::Complaint,
        );
        assert_eq!(
            (domain.kind(), domain.value()),
            (DncKind::Domain, "acme.com")
        );
    }

    #[test]
    fn dnc_reasons_and_kinds_have_their_wire_names() {
        let reasons: Vec<&str> = DncReason::ALL.iter().map(|r| r.as_str()).collect();
        assert_eq!(
            reasons,
            ["manual", "unsubscribe_link", "bounce", "complaint"]
        );
        assert_eq!(DncReason::DEFAULT, DncReason::Manual);
        let kinds: Vec<&str> = DncKind::ALL.iter().map(|k| k.as_str()).collect();
        assert_eq!(kinds, ["email", "domain"]);
    }

    #[test]
    fn dnc_request_reads_plain_strings_and_objects_with_their_reasons() {
        let request = DncRequest {
            entries: Some(vec![
                DncEntryRequest::Plain("ada@acme.com".to_owned()),
                DncEntryRequest::Plain("acme.org".to_owned()),
                DncEntryRequest::Object {
                    email: Some("BOB@acme.com".to_owned()),
                    domain: None,
                    reason: Some("complaint".to_owned()),
                },
                DncEntryRequest::Object {
                    email: None,
                    domain: Some("evil.example".to_owned()),
                    reason: None,
                },
            ]),
            kind: None,
            reason: Some("bounce".to_owned()),
        };
        let batch = DncBatch::parse(&request).expect("valid");
        let entries: Vec<(DncKind, &str, DncReason)> = batch
            .entries()
            .iter()
            .map(|item| {
                let entry = item.entry.as_ref().expect("valid entry");
                (entry.kind(), entry.value(), entry.reason())
            })
            .collect();
        assert_eq!(
            entries,
            [
                (DncKind::Email, "ada@acme.com", DncReason::Bounce),
                (DncKind::Domain, "acme.org", DncReason::Bounce),
                (DncKind::Email, "bob@acme.com", DncReason::Complaint),
                (DncKind::Domain, "evil.example", DncReason::Bounce),
            ]
        );
        let defaulted = DncBatch::parse(&DncRequest {
            reason: None,
            ..request
        })
        .expect("valid");
        assert_eq!(
            defaulted.entries()[0].entry.as_ref().map(DncEntry::reason),
            Ok(DncReason::Manual)
        );
    }

    #[test]
    fn dnc_request_reports_bad_entries_one_by_one() {
        let request = DncRequest {
            entries: Some(vec![
                DncEntryRequest::Plain("not an entry".to_owned()),
                DncEntryRequest::Object {
                    email: Some("ada@acme.com".to_owned()),
                    domain: Some("acme.com".to_owned()),
                    reason: None,
                },
                DncEntryRequest::Object {
                    email: None,
                    domain: None,
                    reason: None,
                },
                DncEntryRequest::Object {
                    email: None,
                    domain: Some("acme.com".to_owned()),
                    reason: Some("spam".to_owned()),
                },
                DncEntryRequest::Object {
                    email: None,
                    domain: Some("acme.com".to_owned()),
                    reason: None,
                },
                DncEntryRequest::Plain("fine.example".to_owned()),
            ]),
            kind: Some("domain".to_owned()),
            reason: None,
        };
        let batch = DncBatch::parse(&request).expect("request-level rules hold");
        let entries = batch.into_entries();
        assert_eq!(
            problems_of(&entries[0].entry),
            [("/entries/0".to_owned(), ProblemCode::InvalidFormat)]
        );
        assert_eq!(
            problems_of(&entries[1].entry),
            [("/entries/1".to_owned(), ProblemCode::NotAllowed)]
        );
        assert_eq!(
            problems_of(&entries[2].entry),
            [("/entries/2".to_owned(), ProblemCode::Required)]
        );
        assert_eq!(
            problems_of(&entries[3].entry),
            [("/entries/3/reason".to_owned(), ProblemCode::InvalidValue)]
        );
        assert!(entries[4].entry.is_ok());
        assert!(entries[5].entry.is_ok());

        let contradicting = DncRequest {
            entries: Some(vec![DncEntryRequest::Object {
                email: Some("ada@acme.com".to_owned()),
                domain: None,
                reason: None,
            }]),
            kind: Some("domain".to_owned()),
            reason: None,
        };
        let batch = DncBatch::parse(&contradicting).expect("valid request");
        assert_eq!(
            problems_of(&batch.entries()[0].entry),
            [("/entries/0/email".to_owned(), ProblemCode::InvalidValue)]
        );
    }

    #[test]
    fn dnc_request_level_rules_refuse_the_whole_request() {
        let too_many = DncRequest {
            entries: Some(vec![
                DncEntryRequest::Plain("acme.com".to_owned());
                MAX_DNC_ENTRIES + 1
            ]),
            kind: Some("mail".to_owned()),
            reason: Some("because".to_owned()),
        };
        let problems: Vec<(String, ProblemCode)> = DncBatch::parse(&too_many)
            .expect_err("invalid")
            .iter()
            .map(|problem| (problem.pointer().to_string(), problem.code()))
            .collect();
        assert_eq!(
            problems,
            [
                ("/type".to_owned(), ProblemCode::InvalidValue),
                ("/reason".to_owned(), ProblemCode::InvalidValue),
                ("/entries".to_owned(), ProblemCode::TooMany),
            ]
        );
        let at_limit = DncRequest {
            entries: Some(vec![
                DncEntryRequest::Plain("acme.com".to_owned());
                MAX_DNC_ENTRIES
            ]),
            ..DncRequest::default()
        };
        assert_eq!(
            DncBatch::parse(&at_limit).map(|batch| batch.entries().len()),
            Ok(MAX_DNC_ENTRIES)
        );
        let missing = DncBatch::parse(&DncRequest::default()).expect_err("entries required");
        assert_eq!(
            missing.iter().next().map(|p| p.code()),
            Some(ProblemCode::Required)
        );
    }

    proptest! {
        #[test]
        fn dnc_keys_match_exactly_as_the_contract_states(
            local in "[a-z]{1,5}",
            address_labels in proptest::collection::vec("[a-cA-C]{1,2}", 2..5),
            entry_labels in proptest::collection::vec("[a-cA-C]{1,2}", 2..4),
        ) {
            let email = address(&format!("{local}@{}", address_labels.join(".")));
            let domain = entry_labels.join(".").to_ascii_lowercase();
            let lead_domain = address_labels.join(".").to_ascii_lowercase();
            let by_contract = lead_domain == domain || lead_domain.ends_with(&format!(".{domain}"));
            prop_assert_eq!(entry(DncKind::Domain, &domain).matches(&email), by_contract);
            let email_entry = entry(DncKind::Email, &format!("{local}@{domain}"));
            prop_assert_eq!(email_entry.matches(&email), lead_domain == domain);
        }
    }
}

//! Importing leads in numbers (LEADS.md section 2): `POST /v1/leads/bulk` and the columns of
//! `POST /v1/leads/import/csv`. Each entry (or row) is judged alone: a bad one is reported with its
//! problems and the others are written.

use std::collections::HashMap;

use crate::lead::{ImportTag, LeadFields};
use crate::lead_cleanup::clean_lead;
use crate::lead_custom::{CustomFieldKey, CustomValue, MAX_CUSTOM_FIELDS, MAX_CUSTOM_KEY_CHARS};
use crate::lead_field::LeadField;
use crate::lead_request::{BulkLeadsRequest, LeadRequest};
use crate::problem::{Invalid, JsonPointer, ProblemCode, Problems};
use crate::text::list_choices;

/// The most leads one `POST /v1/leads/bulk` holds; more refuses the whole request.
pub const MAX_BULK_LEADS: usize = 5_000;
/// The most data rows (the header not counted) one CSV import holds; more refuses the whole import.
pub const MAX_CSV_ROWS: usize = 50_000;
/// The largest CSV file, in bytes (50 MiB); larger is refused with 413.
pub const MAX_CSV_BYTES: u64 = 50 * 1024 * 1024;

/// What an import does with a lead whose email (ignoring case) is already a lead of the workspace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnDuplicate {
    /// `skipDuplicates: true` (the default): leave the stored lead alone and count the entry skipped.
    Skip,
    /// `skipDuplicates: false`: update the stored lead ([`LeadFields::merged_with`]).
    Update,
}

/// Whether an import tidies its leads first (`dataCleanup`, default true).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataCleanup {
    /// [`clean_lead`], then the lead rules.
    Clean,
    /// The lead rules on the values as given.
    AsGiven,
}

/// The options shared by bulk and CSV imports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportOptions {
    on_duplicate: OnDuplicate,
    cleanup: DataCleanup,
    tag: Option<ImportTag>,
}

impl ImportOptions {
    /// Parses `skipDuplicates`, `dataCleanup` and `tag` (at `{at}/tag`); absent means the defaults.
    pub fn parse(
        skip_duplicates: Option<bool>,
        data_cleanup: Option<bool>,
        tag: Option<&str>,
        at: &JsonPointer,
    ) -> Result<ImportOptions, Problems> {
        let mut problems = Problems::new();
        let tag = problems
            .check(ImportTag::parse(tag), at.field("tag"))
            .flatten();
        problems.into_result(|| ImportOptions {
            on_duplicate: match skip_duplicates {
                Some(false) => OnDuplicate::Update,
                Some(true) | None => OnDuplicate::Skip,
            },
            cleanup: match data_cleanup {
                Some(false) => DataCleanup::AsGiven,
                Some(true) | None => DataCleanup::Clean,
            },
            tag,
        })
    }

    pub fn on_duplicate(&self) -> OnDuplicate {
        self.on_duplicate
    }
    pub fn cleanup(&self) -> DataCleanup {
        self.cleanup
    }
    pub fn tag(&self) -> Option<&ImportTag> {
        self.tag.as_ref()
    }

    /// One entry of an import located at `at`: cleaned up (unless `dataCleanup: false`), parsed, and
    /// given the import's tag.
    pub fn lead(&self, request: LeadRequest, at: &JsonPointer) -> Result<LeadFields, Problems> {
        let request = match self.cleanup {
            DataCleanup::Clean => clean_lead(request),
            DataCleanup::AsGiven => request,
        };
        let fields = LeadFields::parse(&request, at)?;
        match &self.tag {
            Some(tag) => fields.with_tag(tag, at),
            None => Ok(fields),
        }
    }
}

/// One entry of a bulk import, judged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BulkEntry {
    /// The 0-based position in `leads`.
    pub index: usize,
    /// The email as the client gave it, for the entry's error report (`errors[].email`).
    pub given_email: Option<String>,
    /// The lead to write, or every problem of the entry (pointers under `/leads/{index}`).
    pub lead: Result<LeadFields, Problems>,
}

/// A `POST /v1/leads/bulk` request, parsed: options valid, at most 5,000 entries, each judged alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BulkLeads {
    options: ImportOptions,
    entries: Vec<BulkEntry>,
}

impl BulkLeads {
    /// Fails (nothing may be written) when `leads` is missing or longer than 5,000, or an option is
    /// invalid; otherwise every entry carries its own outcome.
    pub fn parse(request: BulkLeadsRequest) -> Result<BulkLeads, Problems> {
        let root = JsonPointer::root();
        let mut problems = Problems::new();
        let options = problems.absorb(ImportOptions::parse(
            request.skip_duplicates,
            request.data_cleanup,
            request.tag.as_deref(),
            &root,
        ));
        let leads = match request.leads {
            None => {
                problems.add(
                    root.field("leads"),
                    ProblemCode::Required,
                    "leads is required",
                );
                None
            }
            Some(leads) if leads.len() > MAX_BULK_LEADS => {
                problems.add(
                    root.field("leads"),
                    ProblemCode::TooMany,
                    format!(
                        "leads has at most {MAX_BULK_LEADS} items, not {}; split the import",
                        leads.len()
                    ),
                );
                None
            }
            Some(leads) => Some(leads),
        };
        match (options, leads) {
            (Some(options), Some(leads)) if problems.is_empty() => {
                let entries = leads
                    .into_iter()
                    .enumerate()
                    .map(|(index, lead)| BulkEntry {
                        index,
                        given_email: lead.email.clone(),
                        lead: options.lead(lead, &root.field("leads").index(index)),
                    })
                    .collect();
                Ok(BulkLeads { options, entries })
            }
            _ => Err(problems),
        }
    }

    pub fn options(&self) -> &ImportOptions {
        &self.options
    }

    pub fn entries(&self) -> &[BulkEntry] {
        &self.entries
    }

    pub fn into_entries(self) -> Vec<BulkEntry> {
        self.entries
    }
}

/// What one CSV column fills.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum CsvTarget {
    /// A standard field; never [`LeadField::CustomFields`] (a cell is one value).
    Field(LeadField),
    /// The custom field of this name.
    Custom(CustomFieldKey),
}

/// The header spellings that map to each standard field, folded (see [`fold_header`]): `First Name`,
/// `first_name` and `firstname` all fold to `firstname`. One table, so adding an alias is one line.
pub const LEAD_FIELD_ALIASES: [(LeadField, &[&str]); 13] = [
    (LeadField::Email, &["email", "emailaddress", "mail"]),
    (LeadField::FirstName, &["firstname", "first", "givenname"]),
    (
        LeadField::LastName,
        &["lastname", "last", "surname", "familyname"],
    ),
    (
        LeadField::CompanyName,
        &["companyname", "company", "organization", "organisation"],
    ),
    (LeadField::JobTitle, &["jobtitle", "title", "position"]),
    (
        LeadField::Phone,
        &["phone", "phonenumber", "telephone", "tel"],
    ),
    (
        LeadField::LinkedinUrl,
        &[
            "linkedinurl",
            "linkedin",
            "linkedinprofile",
            "linkedinprofileurl",
        ],
    ),
    (
        LeadField::Website,
        &["website", "websiteurl", "companywebsite"],
    ),
    (LeadField::City, &["city", "town"]),
    (LeadField::State, &["state", "region", "province"]),
    (LeadField::Country, &["country", "countrycode"]),
    (LeadField::Timezone, &["timezone", "tz"]),
    (LeadField::Tags, &["tags", "tag"]),
];

/// A header as auto-mapping compares it: surrounding white space and a byte order mark dropped,
/// lowercase, without spaces, `_` and `-` (`E-mail` → `email`, ` First Name` → `firstname`).
pub fn fold_header(header: &str) -> String {
    clean_header(header)
        .chars()
        .filter(|character| !matches!(character, ' ' | '_' | '-'))
        .flat_map(char::to_lowercase)
        .collect()
}

fn clean_header(header: &str) -> &str {
    header.trim().trim_start_matches('\u{feff}').trim()
}

/// The standard field a header names by itself, if any ([`LEAD_FIELD_ALIASES`]).
pub fn auto_field(header: &str) -> Option<LeadField> {
    let folded = fold_header(header);
    LEAD_FIELD_ALIASES
        .iter()
        .find(|(_, aliases)| aliases.contains(&folded.as_str()))
        .map(|(field, _)| *field)
}

/// The custom field name a header that maps to no standard field becomes: each run of characters
/// outside `[A-Za-z0-9_]` becomes one `_`, none at either end (`Last Funding ($)` → `Last_Funding`);
/// a name starting with a digit gets a leading `_` (`2024 revenue` → `_2024_revenue`); one with nothing
/// left (`???`, a blank header) is `column_{n}` with the 1-based column number; at most 100 characters.
/// Letter case is kept, so `{{Last_Funding}}` reads like the header. The result may still be a reserved
/// name (`customFields`, `_id`): [`CsvColumns::resolve`] reports those.
pub fn custom_key_from_header(header: &str, column: usize) -> String {
    let mut key = String::new();
    for word in clean_header(header)
        .split(|character: char| !(character.is_ascii_alphanumeric() || character == '_'))
        .filter(|word| !word.is_empty())
    {
        if !key.is_empty() {
            key.push('_');
        }
        key.push_str(word);
    }
    if key.is_empty() {
        return format!("column_{column}");
    }
    if key.starts_with(|character: char| character.is_ascii_digit()) {
        key.insert(0, '_');
    }
    key.chars().take(MAX_CUSTOM_KEY_CHARS).collect()
}

/// The `mapping` of a CSV import: header → target, as the client wrote it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CsvMapping(Vec<(String, CsvTarget)>);

impl CsvMapping {
    /// Parses the members of `mapping` (header, target) located at `at`: a target is a standard field
    /// name exactly (`firstName`) or `customFields.<key>`. Two headers may not fill one target.
    pub fn parse(entries: &[(String, String)], at: &JsonPointer) -> Result<CsvMapping, Problems> {
        let mut problems = Problems::new();
        let mut mapped = Vec::with_capacity(entries.len());
        for (header, raw) in entries {
            let target = match raw.strip_prefix("customFields.") {
                Some(key) => CustomFieldKey::parse(key)
                    .map(CsvTarget::Custom)
                    .map_err(|invalid| {
                        Invalid::new(
                            invalid.code,
                            format!(
                                "mapping of {header:?}: custom field name {key:?} {}",
                                invalid.message
                            ),
                        )
                    }),
                None => LeadField::from_wire(raw)
                    .filter(|field| *field != LeadField::CustomFields)
                    .map(CsvTarget::Field)
                    .ok_or_else(|| {
                        Invalid::new(
                            ProblemCode::InvalidValue,
                            format!(
                                "mapping of {header:?} must be customFields.<name> or one of {}",
                                field_choices()
                            ),
                        )
                    }),
            };
            if let Some(target) = problems.check(target, at.field(header)) {
                if mapped.iter().any(|(_, taken)| *taken == target) {
                    problems.add(
                        at.field(header),
                        ProblemCode::Duplicate,
                        format!("another header is already mapped to {raw}"),
                    );
                } else {
                    mapped.push((header.clone(), target));
                }
            }
        }
        problems.into_result(|| CsvMapping(mapped))
    }
}

fn field_choices() -> String {
    let names: Vec<&str> = LeadField::ALL
        .iter()
        .filter(|field| **field != LeadField::CustomFields)
        .map(|field| field.as_str())
        .collect();
    list_choices(&names)
}

/// The target of every column of one CSV file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvColumns {
    targets: Vec<CsvTarget>,
}

impl CsvColumns {
    /// The columns of a file with `headers`: a header named in `mapping` (compared after trimming)
    /// takes its target there; every other header maps by name ([`auto_field`]) or becomes a custom
    /// field ([`custom_key_from_header`]). Refused (nothing may be imported), each problem at
    /// `{headers_at}/{column index}` or `{mapping_at}/{header}`: no column fills `email`; two columns
    /// fill one field or custom field; a header's custom name is reserved; more than 100 custom
    /// columns; a `mapping` header that the file does not have.
    pub fn resolve(
        headers: &[String],
        mapping: Option<&CsvMapping>,
        headers_at: &JsonPointer,
        mapping_at: &JsonPointer,
    ) -> Result<CsvColumns, Problems> {
        let mut problems = Problems::new();
        let mapped = mapping.map_or(&[][..], |mapping| mapping.0.as_slice());
        for (header, _) in mapped {
            if !headers
                .iter()
                .any(|have| clean_header(have) == clean_header(header))
            {
                problems.add(
                    mapping_at.field(header),
                    ProblemCode::InvalidValue,
                    format!("the file has no column headed {header:?}"),
                );
            }
        }
        let mut targets = Vec::with_capacity(headers.len());
        let mut first_column: HashMap<CsvTarget, usize> = HashMap::new();
        for (index, header) in headers.iter().enumerate() {
            let at = headers_at.index(index);
            let chosen = mapped
                .iter()
                .find(|(named, _)| clean_header(named) == clean_header(header))
                .map(|(_, target)| Ok(target.clone()));
            let target = chosen.unwrap_or_else(|| match auto_field(header) {
                Some(field) => Ok(CsvTarget::Field(field)),
                None => {
                    let key = custom_key_from_header(header, index + 1);
                    CustomFieldKey::parse(&key)
                        .map(CsvTarget::Custom)
                        .map_err(|invalid| {
                            Invalid::new(
                                invalid.code,
                                format!(
                                    "column {header:?} would be the custom field {key:?}, which {}; map it with mapping to customFields.<another name>",
                                    invalid.message
                                ),
                            )
                        })
                }
            });
            let Some(target) = problems.check(target, at.clone()) else {
                continue;
            };
            match first_column.get(&target) {
                Some(first) => problems.add(
                    at,
                    ProblemCode::Duplicate,
                    format!(
                        "column {} ({header:?}) fills {} like column {}; map one of them with mapping",
                        index + 1,
                        target_name(&target),
                        first + 1
                    ),
                ),
                None => {
                    first_column.insert(target.clone(), index);
                }
            }
            targets.push(target);
        }
        if !targets.contains(&CsvTarget::Field(LeadField::Email)) && problems.is_empty() {
            problems.add(
                headers_at.clone(),
                ProblemCode::Required,
                "the file has no email column (a header such as Email, E-mail or Email Address, or one mapped to email)",
            );
        }
        let custom = targets
            .iter()
            .filter(|target| matches!(target, CsvTarget::Custom(_)))
            .count();
        if custom > MAX_CUSTOM_FIELDS {
            problems.add(
                headers_at.clone(),
                ProblemCode::TooMany,
                format!("a lead has at most {MAX_CUSTOM_FIELDS} custom fields, and this file has {custom} custom columns"),
            );
        }
        problems.into_result(|| CsvColumns { targets })
    }

    /// The target of each column, in file order.
    pub fn targets(&self) -> &[CsvTarget] {
        &self.targets
    }

    /// One data row as a lead request. An empty cell gives nothing (CSV cannot tell empty from
    /// absent); a `tags` cell is a comma-separated list ([`split_tags_cell`]); a custom column gives a
    /// text value. A row with another number of cells than the header is refused.
    pub fn row_request<S: AsRef<str>>(&self, cells: &[S]) -> Result<LeadRequest, Invalid> {
        if cells.len() != self.targets.len() {
            return Err(Invalid::new(
                ProblemCode::InvalidStructure,
                format!(
                    "the row has {} cells where the header has {}",
                    cells.len(),
                    self.targets.len()
                ),
            ));
        }
        let mut request = LeadRequest::default();
        for (target, cell) in self.targets.iter().zip(cells) {
            let cell = cell.as_ref();
            if cell.is_empty() {
                continue;
            }
            let value = Some(cell.to_owned());
            match target {
                CsvTarget::Field(LeadField::Email) => request.email = value,
                CsvTarget::Field(LeadField::Country) => request.country = value,
                CsvTarget::Field(LeadField::Timezone) => request.timezone = value,
                CsvTarget::Field(LeadField::Tags) => request.tags = Some(split_tags_cell(cell)),
                CsvTarget::Field(field) => {
                    if let Some(text) = field.text() {
                        *request.text_mut(text) = value;
                    }
                }
                CsvTarget::Custom(key) => request
                    .custom_fields
                    .get_or_insert_with(Vec::new)
                    .push((key.as_str().to_owned(), CustomValue::Text(cell.to_owned()))),
            }
        }
        Ok(request)
    }
}

fn target_name(target: &CsvTarget) -> String {
    match target {
        CsvTarget::Field(field) => field.as_str().to_owned(),
        CsvTarget::Custom(key) => format!("customFields.{key}"),
    }
}

/// The tags of one CSV cell: split at `,`, each trimmed, empty ones dropped (`"fintech, EU,"` →
/// `fintech`, `EU`).
pub fn split_tags_cell(cell: &str) -> Vec<String> {
    cell.split(',')
        .map(str::trim)
        .filter(|tag| !tag.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    fn strings(list: &[&str]) -> Vec<String> {
        list.iter().map(|item| (*item).to_owned()).collect()
    }

    fn custom(key: &str) -> CsvTarget {
        CsvTarget::Custom(CustomFieldKey::parse(key).expect("valid key"))
    }

    fn resolve(
        headers: &[&str],
        mapping: &[(&str, &str)],
    ) -> Result<Vec<CsvTarget>, Vec<(String, ProblemCode)>> {
        let mapping_entries: Vec<(String, String)> = mapping
            .iter()
            .map(|(header, target)| ((*header).to_owned(), (*target).to_owned()))
            .collect();
        let mapping_at = JsonPointer::root().field("mapping");
        let mapping = CsvMapping::parse(&mapping_entries, &mapping_at).expect("valid mapping");
        CsvColumns::resolve(
            &strings(headers),
            (!mapping_entries.is_empty()).then_some(&mapping),
            &JsonPointer::root().field("file").field("header"),
            &mapping_at,
        )
        .map(|columns| columns.targets().to_vec())
        .map_err(|problems| {
            problems
                .iter()
                .map(|problem| (problem.pointer().to_string(), problem.code()))
                .collect()
        })
    }

    fn bulk(leads: Vec<LeadRequest>) -> BulkLeadsRequest {
        BulkLeadsRequest {
            leads: Some(leads),
            ..BulkLeadsRequest::default()
        }
    }

    fn email(address: &str) -> LeadRequest {
        LeadRequest {
            email: Some(address.to_owned()),
            ..LeadRequest::default()
        }
    }

    #[test]
    fn csv_headers_map_by_name_ignoring_case_spaces_underscores_and_hyphens() {
        let cases = [
            ("First Name", Some(LeadField::FirstName)),
            ("first_name", Some(LeadField::FirstName)),
            ("firstname", Some(LeadField::FirstName)),
            ("FIRST-NAME", Some(LeadField::FirstName)),
            ("firstName", Some(LeadField::FirstName)),
            ("Company", Some(LeadField::CompanyName)),
            ("Company Name", Some(LeadField::CompanyName)),
            ("E-mail", Some(LeadField::Email)),
            ("Email Address", Some(LeadField::Email)),
            ("\u{feff}Email", Some(LeadField::Email)),
            ("  EMAIL  ", Some(LeadField::Email)),
            ("Last Name", Some(LeadField::LastName)),
            ("Job Title", Some(LeadField::JobTitle)),
            ("Phone Number", Some(LeadField::Phone)),
            ("LinkedIn URL", Some(LeadField::LinkedinUrl)),
            ("LinkedIn", Some(LeadField::LinkedinUrl)),
            ("Website", Some(LeadField::Website)),
            ("City", Some(LeadField::City)),
            ("State", Some(LeadField::State)),
            ("Country", Some(LeadField::Country)),
            ("Time Zone", Some(LeadField::Timezone)),
            ("time_zone", Some(LeadField::Timezone)),
            ("Tags", Some(LeadField::Tags)),
            ("customFields", None),
            ("Last Funding", None),
            ("E.mail", None),
        ];
        for (header, expected) in cases {
            assert_eq!(auto_field(header), expected, "{header:?}");
        }
    }

    #[test]
    fn alias_table_is_folded_unambiguous_and_names_every_cell_field() {
        let mut seen = HashSet::new();
        for (field, aliases) in LEAD_FIELD_ALIASES {
            assert_ne!(field, LeadField::CustomFields);
            assert!(
                aliases.contains(&fold_header(field.as_str()).as_str()),
                "{field} is an alias of itself"
            );
            for alias in aliases {
                assert_eq!(fold_header(alias), *alias, "{alias} is written folded");
                assert!(seen.insert(*alias), "{alias} maps to one field only");
            }
        }
        let covered: HashSet<LeadField> = LEAD_FIELD_ALIASES.iter().map(|(f, _)| *f).collect();
        assert_eq!(covered.len(), LeadField::ALL.len() - 1);
    }

    #[test]
    fn unmapped_headers_become_sanitised_custom_field_names() {
        let cases = [
            ("Last Funding", 1, "Last_Funding"),
            ("lastFunding", 1, "lastFunding"),
            ("Last Funding ($)", 1, "Last_Funding"),
            ("  annual-revenue  ", 1, "annual_revenue"),
            ("2024 revenue", 1, "_2024_revenue"),
            ("_private", 1, "_private"),
            ("a__b", 1, "a__b"),
            ("Société Générale", 1, "Soci_t_G_n_rale"),
            ("???", 4, "column_4"),
            ("", 7, "column_7"),
            ("\u{feff}Notes", 1, "Notes"),
        ];
        for (header, column, expected) in cases {
            let key = custom_key_from_header(header, column);
            assert_eq!(key, expected, "{header:?}");
            assert!(CustomFieldKey::parse(&key).is_ok(), "{key} is a valid name");
        }
        let long = custom_key_from_header(&"x".repeat(300), 1);
        assert_eq!(long.len(), MAX_CUSTOM_KEY_CHARS);
    }

    #[test]
    fn csv_columns_resolve_by_name_and_custom_fields() {
        assert_eq!(
            resolve(&["E-mail", "First Name", "Company", "Last Funding"], &[]),
            Ok(vec![
                CsvTarget::Field(LeadField::Email),
                CsvTarget::Field(LeadField::FirstName),
                CsvTarget::Field(LeadField::CompanyName),
                custom("Last_Funding"),
            ])
        );
    }

    #[test]
    fn csv_mapping_wins_and_other_headers_still_map_by_name() {
        assert_eq!(
            resolve(
                &["Work Address", "First Name", "Notes", "Company"],
                &[
                    ("Work Address", "email"),
                    ("Notes", "customFields.icebreaker")
                ],
            ),
            Ok(vec![
                CsvTarget::Field(LeadField::Email),
                CsvTarget::Field(LeadField::FirstName),
                custom("icebreaker"),
                CsvTarget::Field(LeadField::CompanyName),
            ])
        );
    }

    #[test]
    fn csv_columns_are_refused_without_an_email_column() {
        assert_eq!(
            resolve(&["First Name", "Company"], &[]),
            Err(vec![("/file/header".to_owned(), ProblemCode::Required)])
        );
    }

    #[test]
    fn csv_columns_that_fill_one_target_twice_are_refused() {
        assert_eq!(
            resolve(&["Email", "E-mail", "Notes", "Notes!", "notes"], &[]),
            Err(vec![
                ("/file/header/1".to_owned(), ProblemCode::Duplicate),
                ("/file/header/3".to_owned(), ProblemCode::Duplicate),
            ])
        );
    }

    #[test]
    fn csv_header_with_a_reserved_custom_name_is_refused_unless_mapped() {
        assert_eq!(
            resolve(&["Email", "_id", "senderName"], &[]),
            Err(vec![
                ("/file/header/1".to_owned(), ProblemCode::NotAllowed),
                ("/file/header/2".to_owned(), ProblemCode::NotAllowed),
            ])
        );
        assert_eq!(
            resolve(&["Email", "_id"], &[("_id", "customFields.crmId")]),
            Ok(vec![CsvTarget::Field(LeadField::Email), custom("crmId")])
        );
    }

    #[test]
    fn csv_mapping_of_a_header_the_file_lacks_is_refused() {
        assert_eq!(
            resolve(&["Email"], &[("Mail", "firstName")]),
            Err(vec![(
                "/mapping/Mail".to_owned(),
                ProblemCode::InvalidValue
            )])
        );
    }

    #[test]
    fn csv_with_more_than_100_custom_columns_is_refused() {
        let mut headers = vec!["Email".to_owned()];
        headers.extend((0..=MAX_CUSTOM_FIELDS).map(|n| format!("c{n}")));
        let refs: Vec<&str> = headers.iter().map(String::as_str).collect();
        assert_eq!(
            resolve(&refs, &[]),
            Err(vec![("/file/header".to_owned(), ProblemCode::TooMany)])
        );
        assert!(resolve(&refs[..=MAX_CUSTOM_FIELDS], &[]).is_ok());
    }

    #[test]
    fn csv_mapping_targets_are_field_names_or_custom_fields() {
        let at = JsonPointer::root().field("mapping");
        let entries = |list: &[(&str, &str)]| -> Vec<(String, String)> {
            list.iter()
                .map(|(h, t)| ((*h).to_owned(), (*t).to_owned()))
                .collect()
        };
        let problems = |list: &[(&str, &str)]| -> Vec<(String, ProblemCode)> {
            CsvMapping::parse(&entries(list), &at)
                .expect_err("invalid")
                .iter()
                .map(|p| (p.pointer().to_string(), p.code()))
                .collect()
        };
        assert!(
            CsvMapping::parse(
                &entries(&[("A", "firstName"), ("B", "customFields.x")]),
                &at
            )
            .is_ok()
        );
        assert_eq!(
            problems(&[
                ("A", "FirstName"),
                ("B", "customFields"),
                ("C", "customFields.1x"),
                ("D", "customFields.email"),
                ("E", "tags"),
                ("F", "tags"),
            ]),
            [
                ("/mapping/A".to_owned(), ProblemCode::InvalidValue),
                ("/mapping/B".to_owned(), ProblemCode::InvalidValue),
                ("/mapping/C".to_owned(), ProblemCode::InvalidFormat),
                ("/mapping/D".to_owned(), ProblemCode::NotAllowed),
                ("/mapping/F".to_owned(), ProblemCode::Duplicate),
            ]
        );
    }

    #[test]
    fn csv_row_fills_its_columns_and_empty_cells_give_nothing() {
        let headers = strings(&[
            "Email",
            "First Name",
            "Tags",
            "Country",
            "Last Funding",
            "City",
        ]);
        let columns =
            CsvColumns::resolve(&headers, None, &JsonPointer::root(), &JsonPointer::root())
                .expect("valid header");
        let request = columns
            .row_request(&[
                "ada@example.com",
                "Ada",
                "fintech, EU,",
                "GB",
                "Series B",
                "",
            ])
            .expect("as many cells as headers");
        assert_eq!(request.email.as_deref(), Some("ada@example.com"));
        assert_eq!(request.first_name.as_deref(), Some("Ada"));
        assert_eq!(request.tags, Some(strings(&["fintech", "EU"])));
        assert_eq!(request.country.as_deref(), Some("GB"));
        assert_eq!(request.city, None);
        assert_eq!(
            request.custom_fields,
            Some(vec![(
                "Last_Funding".to_owned(),
                CustomValue::Text("Series B".to_owned())
            )])
        );
        let ragged = columns
            .row_request(&["ada@example.com", "Ada"])
            .expect_err("ragged");
        assert_eq!(ragged.code, ProblemCode::InvalidStructure);
        assert_eq!(ragged.message, "the row has 2 cells where the header has 6");
    }

    #[test]
    fn bulk_import_judges_each_entry_alone_with_its_pointer() {
        let request = BulkLeadsRequest {
            tag: Some(" webinar ".to_owned()),
            ..bulk(vec![
                email(" Ada@EXAMPLE.com "),
                email("not an address"),
                LeadRequest {
                    extra_fields: vec![("lastFunding".to_owned(), CustomValue::Null)],
                    ..email("bob@example.com")
                },
            ])
        };
        let parsed = BulkLeads::parse(request).expect("request valid");
        assert_eq!(parsed.options().on_duplicate(), OnDuplicate::Skip);
        assert_eq!(parsed.options().cleanup(), DataCleanup::Clean);
        let entries = parsed.into_entries();
        let first = entries[0].lead.as_ref().expect("cleaned up");
        assert_eq!(first.email().as_str(), "Ada@example.com");
        assert_eq!(first.tags(), ["webinar"]);
        assert_eq!(entries[1].index, 1);
        assert_eq!(entries[1].given_email.as_deref(), Some("not an address"));
        let pointers: Vec<String> = entries[1]
            .lead
            .as_ref()
            .expect_err("bad address")
            .iter()
            .map(|p| p.pointer().to_string())
            .collect();
        assert_eq!(pointers, ["/leads/1/email"]);
        let third = entries[2].lead.as_ref().expect("valid");
        assert!(
            third.custom_fields().is_empty(),
            "cleanup drops the null custom value"
        );
    }

    #[test]
    fn bulk_import_without_cleanup_parses_values_as_given() {
        let request = BulkLeadsRequest {
            skip_duplicates: Some(false),
            data_cleanup: Some(false),
            ..bulk(vec![email(" Ada@EXAMPLE.com ")])
        };
        let parsed = BulkLeads::parse(request).expect("valid");
        assert_eq!(parsed.options().on_duplicate(), OnDuplicate::Update);
        assert_eq!(parsed.options().cleanup(), DataCleanup::AsGiven);
        let lead = parsed.entries()[0].lead.as_ref().expect("valid");
        assert_eq!(lead.email().as_str(), "Ada@EXAMPLE.com");
    }

    #[test]
    fn bulk_import_of_more_than_5000_leads_is_refused_whole() {
        let at_limit = bulk(vec![email("a@example.com"); MAX_BULK_LEADS]);
        assert_eq!(
            BulkLeads::parse(at_limit).map(|b| b.entries().len()),
            Ok(MAX_BULK_LEADS)
        );
        let over = BulkLeadsRequest {
            tag: Some("  ".to_owned()),
            ..bulk(vec![email("a@example.com"); MAX_BULK_LEADS + 1])
        };
        let problems: Vec<(String, ProblemCode)> = BulkLeads::parse(over)
            .expect_err("too many")
            .iter()
            .map(|p| (p.pointer().to_string(), p.code()))
            .collect();
        assert_eq!(
            problems,
            [
                ("/tag".to_owned(), ProblemCode::Blank),
                ("/leads".to_owned(), ProblemCode::TooMany),
            ]
        );
        let missing: Vec<String> = BulkLeads::parse(BulkLeadsRequest::default())
            .expect_err("leads required")
            .iter()
            .map(|p| p.pointer().to_string())
            .collect();
        assert_eq!(missing, ["/leads"]);
    }
}

//! The standard fields of a lead (LEADS.md section 1): their wire names, which of them are plain texts,
//! which member names a custom field may not take, and how a member of a bulk lead object is read.

use crate::text::wire_enum;

wire_enum!(
    /// A standard member of a lead that a client writes: in `POST /v1/leads`, in each object of
    /// `POST /v1/leads/bulk`, as a CSV mapping target and in `PATCH /v1/leads/{id}`.
    LeadField {
        Email => "email",
        FirstName => "firstName",
        LastName => "lastName",
        CompanyName => "companyName",
        JobTitle => "jobTitle",
        Phone => "phone",
        LinkedinUrl => "linkedinUrl",
        Website => "website",
        City => "city",
        State => "state",
        Country => "country",
        Timezone => "timezone",
        Tags => "tags",
        CustomFields => "customFields",
    }
);

wire_enum!(
    /// The standard fields that are free texts: at most 500 characters, no control character.
    LeadTextField {
        FirstName => "firstName",
        LastName => "lastName",
        CompanyName => "companyName",
        JobTitle => "jobTitle",
        Phone => "phone",
        LinkedinUrl => "linkedinUrl",
        Website => "website",
        City => "city",
        State => "state",
    }
);

impl LeadTextField {
    /// The names of a person or company, whose inner white space data cleanup collapses.
    pub const NAMES: [LeadTextField; 3] = [
        LeadTextField::FirstName,
        LeadTextField::LastName,
        LeadTextField::CompanyName,
    ];

    /// The same field as a [`LeadField`].
    pub fn field(self) -> LeadField {
        match self {
            Self::FirstName => LeadField::FirstName,
            Self::LastName => LeadField::LastName,
            Self::CompanyName => LeadField::CompanyName,
            Self::JobTitle => LeadField::JobTitle,
            Self::Phone => LeadField::Phone,
            Self::LinkedinUrl => LeadField::LinkedinUrl,
            Self::Website => LeadField::Website,
            Self::City => LeadField::City,
            Self::State => LeadField::State,
        }
    }

    /// Its place in a fixed array of the nine texts.
    pub(crate) fn slot(self) -> usize {
        self as usize
    }
}

impl LeadField {
    /// The text field this is, if it is one.
    pub fn text(self) -> Option<LeadTextField> {
        LeadTextField::from_wire(self.as_str())
    }
}

/// Members of a stored lead that the server assigns (`_id`, `workspaceId`, timestamps) or adds on read
/// (`campaigns` of `GET /v1/leads/{id}`).
pub const SERVER_ASSIGNED_LEAD_MEMBERS: [&str; 5] =
    ["_id", "workspaceId", "createdAt", "updatedAt", "campaigns"];

/// Message variables that are not lead members but that the renderer resolves before custom fields
/// (SENDING.md section 3): `{{company}}` (an alias of `companyName`), `{{senderName}}`, `{{senderEmail}}`.
pub const BUILT_IN_VARIABLES: [&str; 3] = ["company", "senderName", "senderEmail"];

/// Whether a custom field may not be named `key`: it names, **ignoring ASCII case**, a standard field,
/// a server-assigned member or a built-in message variable.
///
/// Why ignoring case: a custom field `Email` or `firstname` is nearly always a mistake for the standard
/// field (a bulk object with `FirstName`, a hand-made mapping). Stored as a custom field it would look
/// like the standard one, never fill `{{firstName}}`, and be ambiguous in any case-insensitive use (CSV
/// headers map ignoring case). Refusing it tells the client at once; custom keys that differ from a
/// standard name by more than case (`first_name`) stay allowed.
pub fn is_reserved_lead_name(key: &str) -> bool {
    LeadField::ALL
        .iter()
        .map(|field| field.as_str())
        .chain(SERVER_ASSIGNED_LEAD_MEMBERS)
        .chain(BUILT_IN_VARIABLES)
        .any(|name| name.eq_ignore_ascii_case(key))
}

/// How one member of a bulk lead object (`POST /v1/leads/bulk`, or a lead given inline to
/// `POST /v1/campaigns/{id}/leads`) is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeadMember {
    /// A standard field, named exactly (camelCase, case-sensitive).
    Standard(LeadField),
    /// Anything else becomes a custom field of that name (SendKit's behaviour); the custom-field rules
    /// then apply to the name, so `Email`, `_id` or `1st` are refused there with a pointer to the member.
    Custom,
}

impl LeadMember {
    /// The reading of the member named `key`.
    pub fn of(key: &str) -> LeadMember {
        LeadField::from_wire(key).map_or(LeadMember::Custom, LeadMember::Standard)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bulk_members_are_standard_only_when_named_exactly() {
        let cases = [
            ("email", LeadMember::Standard(LeadField::Email)),
            ("firstName", LeadMember::Standard(LeadField::FirstName)),
            ("linkedinUrl", LeadMember::Standard(LeadField::LinkedinUrl)),
            (
                "customFields",
                LeadMember::Standard(LeadField::CustomFields),
            ),
            ("tags", LeadMember::Standard(LeadField::Tags)),
            ("Email", LeadMember::Custom),
            ("first_name", LeadMember::Custom),
            ("firstname", LeadMember::Custom),
            ("linkedInUrl", LeadMember::Custom),
            ("lastFunding", LeadMember::Custom),
            ("_id", LeadMember::Custom),
            ("", LeadMember::Custom),
        ];
        for (key, expected) in cases {
            assert_eq!(LeadMember::of(key), expected, "{key:?}");
        }
    }

    #[test]
    fn reserved_names_are_every_lead_member_and_built_in_variable_ignoring_case() {
        let cases = [
            ("email", true),
            ("EMAIL", true),
            ("firstname", true),
            ("customFields", true),
            ("_ID", true),
            ("workspaceid", true),
            ("createdAt", true),
            ("updatedat", true),
            ("campaigns", true),
            ("company", true),
            ("Company", true),
            ("senderName", true),
            ("senderemail", true),
            ("first_name", false),
            ("companyNames", false),
            ("lastFunding", false),
            ("id", false),
            ("sender", false),
        ];
        for (key, reserved) in cases {
            assert_eq!(is_reserved_lead_name(key), reserved, "{key:?}");
        }
    }

    #[test]
    fn text_fields_are_the_lead_fields_of_the_same_name() {
        for text in LeadTextField::ALL {
            assert_eq!(text.field().as_str(), text.as_str());
            assert_eq!(text.field().text(), Some(*text));
        }
        let non_texts = [
            LeadField::Email,
            LeadField::Country,
            LeadField::Timezone,
            LeadField::Tags,
            LeadField::CustomFields,
        ];
        for field in non_texts {
            assert_eq!(field.text(), None, "{field}");
        }
        assert_eq!(
            LeadField::ALL.len(),
            LeadTextField::ALL.len() + non_texts.len()
        );
        let slots: Vec<usize> = LeadTextField::ALL.iter().map(|text| text.slot()).collect();
        assert_eq!(slots, (0..9).collect::<Vec<_>>());
    }
}

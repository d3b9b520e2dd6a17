//! A country, as the ISO 3166-1 alpha-2 code of a lead's `country`.

use std::fmt;

use crate::problem::{Invalid, ProblemCode};

const MESSAGE: &str = "must be an ISO 3166-1 alpha-2 country code such as GB or US";

/// The officially assigned ISO 3166-1 alpha-2 codes (249), sorted, so a code is found by binary search.
///
/// Source: the ISO 3166 Maintenance Agency's list of officially assigned codes, as tzdata ships it in
/// `iso3166.tab` (checked against it when this table was written). Reserved codes (`UK`, `EU`, `EZ`,
/// `UN`…) and user-assigned ones (`XK` for Kosovo, `AA`, `QM`–`QZ`, `XA`–`XZ`, `ZZ`) are not assigned
/// to a country and are refused.
pub(crate) const ASSIGNED_ALPHA2: [&str; 249] = [
    "AD", "AE", "AF", "AG", "AI", "AL", "AM", "AO", "AQ", "AR", "AS", "AT", "AU", "AW", "AX", "AZ",
    "BA", "BB", "BD", "BE", "BF", "BG", "BH", "BI", "BJ", "BL", "BM", "BN", "BO", "BQ", "BR", "BS",
    "BT", "BV", "BW", "BY", "BZ", "CA", "CC", "CD", "CF", "CG", "CH", "CI", "CK", "CL", "CM", "CN",
    "CO", "CR", "CU", "CV", "CW", "CX", "CY", "CZ", "DE", "DJ", "DK", "DM", "DO", "DZ", "EC", "EE",
    "EG", "EH", "ER", "ES", "ET", "FI", "FJ", "FK", "FM", "FO", "FR", "GA", "GB", "GD", "GE", "GF",
    "GG", "GH", "GI", "GL", "GM", "GN", "GP", "GQ", "GR", "GS", "GT", "GU", "GW", "GY", "HK", "HM",
    "HN", "HR", "HT", "HU", "ID", "IE", "IL", "IM", "IN", "IO", "IQ", "IR", "IS", "IT", "JE", "JM",
    "JO", "JP", "KE", "KG", "KH", "KI", "KM", "KN", "KP", "KR", "KW", "KY", "KZ", "LA", "LB", "LC",
    "LI", "LK", "LR", "LS", "LT", "LU", "LV", "LY", "MA", "MC", "MD", "ME", "MF", "MG", "MH", "MK",
    "ML", "MM", "MN", "MO", "MP", "MQ", "MR", "MS", "MT", "MU", "MV", "MW", "MX", "MY", "MZ", "NA",
    "NC", "NE", "NF", "NG", "NI", "NL", "NO", "NP", "NR", "NU", "NZ", "OM", "PA", "PE", "PF", "PG",
    "PH", "PK", "PL", "PM", "PN", "PR", "PS", "PT", "PW", "PY", "QA", "RE", "RO", "RS", "RU", "RW",
    "SA", "SB", "SC", "SD", "SE", "SG", "SH", "SI", "SJ", "SK", "SL", "SM", "SN", "SO", "SR", "SS",
    "ST", "SV", "SX", "SY", "SZ", "TC", "TD", "TF", "TG", "TH", "TJ", "TK", "TL", "TM", "TN", "TO",
    "TR", "TT", "TV", "TW", "TZ", "UA", "UG", "UM", "US", "UY", "UZ", "VA", "VC", "VE", "VG", "VI",
    "VN", "VU", "WF", "WS", "YE", "YT", "ZA", "ZM", "ZW",
];

/// An officially assigned ISO 3166-1 alpha-2 code (`GB`, `US`, `DE`…), accepted in any letter case and
/// stored in uppercase; nothing is trimmed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CountryCode([u8; 2]);

impl CountryCode {
    /// Parses a code, ignoring ASCII letter case.
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let invalid = || Invalid::new(ProblemCode::InvalidValue, MESSAGE);
        let [first, second] = <[u8; 2]>::try_from(raw.as_bytes()).map_err(|_| invalid())?;
        let code = [first.to_ascii_uppercase(), second.to_ascii_uppercase()];
        let spelled = std::str::from_utf8(&code).map_err(|_| invalid())?;
        ASSIGNED_ALPHA2
            .binary_search(&spelled)
            .map(|_| Self(code))
            .map_err(|_| invalid())
    }

    /// The code in uppercase, such as `GB`.
    pub fn as_str(&self) -> &str {
        // Only codes of the table (ASCII letters) are ever built.
        std::str::from_utf8(&self.0).unwrap_or("")
    }
}

impl fmt::Display for CountryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assigned_codes_table_is_sorted_unique_uppercase_and_complete() {
        assert_eq!(ASSIGNED_ALPHA2.len(), 249);
        assert!(
            ASSIGNED_ALPHA2.windows(2).all(|pair| pair[0] < pair[1]),
            "sorted without repeats, as binary search needs"
        );
        assert!(
            ASSIGNED_ALPHA2.iter().all(|code| {
                code.len() == 2 && code.bytes().all(|byte| byte.is_ascii_uppercase())
            })
        );
    }

    #[test]
    fn country_code_accepts_assigned_codes_in_any_case_and_stores_uppercase() {
        let cases = [
            ("GB", "GB"),
            ("gb", "GB"),
            ("Us", "US"),
            ("de", "DE"),
            ("AX", "AX"),
            ("ZW", "ZW"),
            ("AD", "AD"),
            ("ss", "SS"),
            ("CW", "CW"),
        ];
        for (raw, expected) in cases {
            let code = CountryCode::parse(raw).expect(raw);
            assert_eq!(code.as_str(), expected, "{raw}");
            assert_eq!(code.to_string(), expected, "{raw}");
        }
        for code in ASSIGNED_ALPHA2 {
            assert_eq!(
                CountryCode::parse(code).map(|c| c.to_string()),
                Ok(code.to_owned())
            );
        }
    }

    #[test]
    fn country_code_refuses_reserved_user_assigned_and_malformed_codes() {
        for raw in [
            "UK", "EU", "XK", "ZZ", "AA", "QM", "XA", "UN", "AN", "YU", "", "G", "GBR", " GB",
            "GB ", "G1", "12", "ÄÖ", "é",
        ] {
            let refusal = CountryCode::parse(raw).expect_err(raw);
            assert_eq!(refusal.code, ProblemCode::InvalidValue, "{raw}");
            assert_eq!(refusal.message, MESSAGE);
        }
    }
}

//! A DNS host name, such as the CNAME tracking domain `track.yourcompany.com`.

use std::fmt;

use crate::problem::{Invalid, ProblemCode};

const MESSAGE: &str = "must be a valid host name";

/// The longest host name, not counting a trailing dot.
const MAX_HOST_NAME_LEN: usize = 253;
/// The longest label of a host name.
const MAX_LABEL_LEN: usize = 63;

/// A fully qualified host name of at least two labels, stored in lowercase without a trailing dot.
///
/// Rules: at most 253 characters (one trailing dot is tolerated and stripped); at least two
/// labels; each label 1–63 ASCII letters, digits and `-`, neither starting nor ending with `-`;
/// the last label (the top-level domain) not all digits, so an IPv4 address is not a host name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct HostName(String);

impl HostName {
    /// Parses a host name, trimming surrounding white space and one trailing dot.
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let trimmed = raw.trim();
        let name = trimmed.strip_suffix('.').unwrap_or(trimmed);
        if is_valid_host_name(name) {
            Ok(Self(name.to_ascii_lowercase()))
        } else {
            Err(Invalid::new(ProblemCode::InvalidFormat, MESSAGE))
        }
    }

    /// The host name in lowercase, without a trailing dot.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for HostName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Whether `name` (with no trailing dot) follows the host-name rules of [`HostName`].
pub(super) fn is_valid_host_name(name: &str) -> bool {
    if name.len() > MAX_HOST_NAME_LEN {
        return false;
    }
    let labels: Vec<&str> = name.split('.').collect();
    if labels.len() < 2 || !labels.iter().all(|label| is_valid_label(label)) {
        return false;
    }
    labels
        .last()
        .is_some_and(|tld| !tld.bytes().all(|byte| byte.is_ascii_digit()))
}

fn is_valid_label(label: &str) -> bool {
    (1..=MAX_LABEL_LEN).contains(&label.len())
        && label
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-')
        && !label.starts_with('-')
        && !label.ends_with('-')
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn label(character: char, len: usize) -> String {
        character.to_string().repeat(len)
    }

    #[test]
    fn host_name_accepts_valid_names_and_stores_them_lowercase() {
        let cases = [
            ("track.yourcompany.com", "track.yourcompany.com"),
            ("Track.YourCompany.COM", "track.yourcompany.com"),
            ("  track.example.com\t", "track.example.com"),
            ("track.example.com.", "track.example.com"),
            ("a-b.c-d.io", "a-b.c-d.io"),
            ("xn--bcher-kva.example", "xn--bcher-kva.example"),
            ("123.example.com", "123.example.com"),
            ("example.c0m", "example.c0m"),
        ];
        for (raw, expected) in cases {
            let parsed = HostName::parse(raw).expect(raw);
            assert_eq!(parsed.as_str(), expected, "{raw}");
            assert_eq!(parsed.to_string(), expected, "{raw}");
        }
    }

    #[test]
    fn host_name_rejects_malformed_names() {
        let cases = [
            "",
            "   ",
            "localhost",
            "com",
            ".example.com",
            "example..com",
            "example.com..",
            "-track.example.com",
            "track-.example.com",
            "track.-example.com",
            "tr_ack.example.com",
            "track example.com",
            "track.exämple.com",
            "https://track.example.com",
            "track.example.com/path",
            "track.example.com:443",
            "user@example.com",
            "*.example.com",
        ];
        for raw in cases {
            let error = HostName::parse(raw).expect_err(raw);
            assert_eq!(error.code, ProblemCode::InvalidFormat, "{raw}");
            assert_eq!(error.message, "must be a valid host name", "{raw}");
        }
    }

    #[test]
    fn host_name_rejects_an_all_digit_top_level_domain() {
        for raw in ["192.168.1.1", "127.0.0.1", "example.123", "1.2"] {
            assert!(HostName::parse(raw).is_err(), "{raw}");
        }
    }

    #[test]
    fn host_name_label_of_63_chars_is_accepted_and_64_rejected() {
        let ok = format!("{}.com", label('a', 63));
        let too_long = format!("{}.com", label('a', 64));
        assert!(HostName::parse(&ok).is_ok());
        assert!(HostName::parse(&too_long).is_err());
        let tld_ok = format!("example.{}", label('c', 63));
        let tld_too_long = format!("example.{}", label('c', 64));
        assert!(HostName::parse(&tld_ok).is_ok());
        assert!(HostName::parse(&tld_too_long).is_err());
    }

    #[test]
    fn host_name_of_253_chars_is_accepted_and_254_rejected() {
        let base = format!("{}.{}.{}", label('a', 63), label('b', 63), label('c', 63));
        let ok = format!("{base}.{}", label('d', 61));
        let too_long = format!("{base}.{}", label('d', 62));
        assert_eq!(ok.len(), 253);
        assert_eq!(too_long.len(), 254);
        assert!(HostName::parse(&ok).is_ok());
        assert!(HostName::parse(&too_long).is_err());
    }

    #[test]
    fn host_name_trailing_dot_does_not_count_toward_253_chars() {
        let base = format!("{}.{}.{}", label('a', 63), label('b', 63), label('c', 63));
        let ok = format!("{base}.{}.", label('d', 61));
        let too_long = format!("{base}.{}.", label('d', 62));
        assert_eq!(HostName::parse(&ok).expect("253 + dot").as_str().len(), 253);
        assert!(HostName::parse(&too_long).is_err());
    }

    proptest! {
        #[test]
        fn host_name_round_trips_through_as_str(
            labels in proptest::collection::vec("[a-zA-Z0-9]([a-zA-Z0-9-]{0,20}[a-zA-Z0-9])?", 1..5),
            tld in "[a-zA-Z][a-zA-Z0-9]{1,10}",
        ) {
            let raw = format!("{}.{tld}", labels.join("."));
            let parsed = HostName::parse(&raw).expect("generated host name is valid");
            prop_assert_eq!(parsed.as_str(), raw.to_ascii_lowercase());
            prop_assert_eq!(HostName::parse(parsed.as_str()), Ok(parsed));
        }
    }
}

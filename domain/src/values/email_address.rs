//! An email address, as a sender mailbox, a recipient or a notification target.

use std::fmt;

use crate::problem::{Invalid, ProblemCode};

use super::host_name::is_valid_host_name;

const MESSAGE: &str = "must be a valid email address";

/// The longest address that fits in an SMTP path.
const MAX_ADDRESS_LEN: usize = 254;
/// The longest local part (before the `@`).
const MAX_LOCAL_PART_LEN: usize = 64;

/// A pragmatic, deliverable email address, kept as given (after trimming surrounding white space).
///
/// Rules: exactly one `@`; a local part of 1–64 characters in RFC 5322 dot-atom form (ASCII
/// letters, digits and ``!#$%&'*+/=?^_`{|}~-``, dots neither first, last nor doubled); a domain
/// that is a valid host name of at least two labels (see [`super::HostName`], without a trailing
/// dot); at most 254 characters in all. Quoted local parts, comments, IP-literal domains and
/// internationalised addresses are refused.
///
/// `==` compares the address exactly as given; compare addresses with
/// [`EmailAddress::eq_ignore_case`] or [`EmailAddress::normalized`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EmailAddress {
    address: String,
    at: usize,
}

impl EmailAddress {
    /// Parses an address, trimming surrounding white space.
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let address = raw.trim();
        let invalid = || Invalid::new(ProblemCode::InvalidFormat, MESSAGE);
        if address.len() > MAX_ADDRESS_LEN {
            return Err(invalid());
        }
        let (local_part, domain) = address.split_once('@').ok_or_else(invalid)?;
        if domain.contains('@') || !is_dot_atom(local_part) || !is_valid_host_name(domain) {
            return Err(invalid());
        }
        Ok(Self {
            address: address.to_owned(),
            at: local_part.len(),
        })
    }

    /// The address as given, after trimming.
    pub fn as_str(&self) -> &str {
        &self.address
    }

    /// The part before the `@`, as given.
    pub fn local_part(&self) -> &str {
        &self.address[..self.at]
    }

    /// The part after the `@`, as given.
    pub fn domain(&self) -> &str {
        &self.address[self.at + 1..]
    }

    /// The address in lowercase: the form to compare, index and deduplicate by.
    pub fn normalized(&self) -> String {
        self.address.to_ascii_lowercase()
    }

    /// Whether both are the same address, ignoring case.
    pub fn eq_ignore_case(&self, other: &EmailAddress) -> bool {
        self.address.eq_ignore_ascii_case(&other.address)
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.address)
    }
}

fn is_dot_atom(local_part: &str) -> bool {
    (1..=MAX_LOCAL_PART_LEN).contains(&local_part.len())
        && local_part
            .split('.')
            .all(|atom| !atom.is_empty() && atom.bytes().all(is_atext))
}

/// RFC 5322 `atext`: the characters of a dot-atom other than the dot.
fn is_atext(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || b"!#$%&'*+/=?^_`{|}~-".contains(&byte)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn repeat(character: char, len: usize) -> String {
        character.to_string().repeat(len)
    }

    #[test]
    fn email_address_accepts_pragmatic_addresses_and_keeps_them_as_given() {
        let cases = [
            ("jane@example.com", "jane@example.com"),
            ("Jane.Doe@Example.COM", "Jane.Doe@Example.COM"),
            ("  jane@example.com \n", "jane@example.com"),
            (
                "jane+newsletter@mail.example.co.uk",
                "jane+newsletter@mail.example.co.uk",
            ),
            ("a@b.io", "a@b.io"),
            ("o'brien@example.ie", "o'brien@example.ie"),
            (
                "!#$%&'*+/=?^_`{|}~-@example.com",
                "!#$%&'*+/=?^_`{|}~-@example.com",
            ),
            (
                "first.middle.last@example.com",
                "first.middle.last@example.com",
            ),
            ("1234@123.example.com", "1234@123.example.com"),
        ];
        for (raw, expected) in cases {
            let parsed = EmailAddress::parse(raw).expect(raw);
            assert_eq!(parsed.as_str(), expected, "{raw}");
            assert_eq!(parsed.to_string(), expected, "{raw}");
        }
    }

    #[test]
    fn email_address_rejects_anything_but_exactly_one_at_sign() {
        for raw in [
            "jane.example.com",
            "jane@@example.com",
            "ja@ne@example.com",
            "@",
            "",
        ] {
            let error = EmailAddress::parse(raw).expect_err(raw);
            assert_eq!(error.code, ProblemCode::InvalidFormat, "{raw}");
            assert_eq!(error.message, "must be a valid email address", "{raw}");
        }
    }

    #[test]
    fn email_address_rejects_local_parts_outside_dot_atom() {
        let cases = [
            "@example.com",
            ".jane@example.com",
            "jane.@example.com",
            "ja..ne@example.com",
            "ja ne@example.com",
            "\"jane\"@example.com",
            "ja(ne)@example.com",
            "ja,ne@example.com",
            "ja;ne@example.com",
            "ja\\ne@example.com",
            "jané@example.com",
            "ja<ne>@example.com",
        ];
        for raw in cases {
            assert!(EmailAddress::parse(raw).is_err(), "{raw}");
        }
    }

    #[test]
    fn email_address_rejects_domains_that_are_not_host_names() {
        let cases = [
            "jane@",
            "jane@localhost",
            "jane@example",
            "jane@example.com.",
            "jane@.example.com",
            "jane@example..com",
            "jane@-example.com",
            "jane@example-.com",
            "jane@exa_mple.com",
            "jane@[127.0.0.1]",
            "jane@127.0.0.1",
            "jane@exämple.com",
            "jane@exa mple.com",
            "Jane <jane@example.com>",
        ];
        for raw in cases {
            assert!(EmailAddress::parse(raw).is_err(), "{raw}");
        }
    }

    #[test]
    fn email_address_local_part_of_64_chars_is_accepted_and_65_rejected() {
        let ok = format!("{}@example.com", repeat('a', 64));
        let too_long = format!("{}@example.com", repeat('a', 65));
        assert!(EmailAddress::parse(&ok).is_ok());
        assert!(EmailAddress::parse(&too_long).is_err());
    }

    #[test]
    fn email_address_domain_label_of_63_chars_is_accepted_and_64_rejected() {
        let ok = format!("jane@{}.com", repeat('d', 63));
        let too_long = format!("jane@{}.com", repeat('d', 64));
        assert!(EmailAddress::parse(&ok).is_ok());
        assert!(EmailAddress::parse(&too_long).is_err());
    }

    #[test]
    fn email_address_of_254_chars_is_accepted_and_255_rejected() {
        let local = repeat('l', 64);
        let base = format!("{}.{}", repeat('a', 63), repeat('b', 63));
        let ok = format!("{local}@{base}.{}", repeat('c', 61));
        let too_long = format!("{local}@{base}.{}", repeat('c', 62));
        assert_eq!(ok.len(), 254);
        assert_eq!(too_long.len(), 255);
        assert!(EmailAddress::parse(&ok).is_ok());
        assert!(EmailAddress::parse(&too_long).is_err());
    }

    #[test]
    fn email_address_compares_case_insensitively_through_normalized() {
        let mixed = EmailAddress::parse("Jane.Doe@Example.COM").expect("valid");
        let lower = EmailAddress::parse("jane.doe@example.com").expect("valid");
        let other = EmailAddress::parse("john@example.com").expect("valid");
        assert_eq!(mixed.normalized(), "jane.doe@example.com");
        assert!(mixed.eq_ignore_case(&lower));
        assert!(!mixed.eq_ignore_case(&other));
        assert_ne!(mixed, lower, "== compares the address as given");
    }

    #[test]
    fn email_address_splits_into_local_part_and_domain() {
        let parsed = EmailAddress::parse(" Jane+x@Mail.Example.com ").expect("valid");
        assert_eq!(parsed.local_part(), "Jane+x");
        assert_eq!(parsed.domain(), "Mail.Example.com");
    }

    proptest! {
        #[test]
        fn email_address_accepts_generated_dot_atoms(
            atoms in proptest::collection::vec("[a-zA-Z0-9!#$%&'*+/=?^_`{|}~-]{1,10}", 1..4),
            domain in "[a-z0-9]{1,10}\\.[a-z]{2,6}",
        ) {
            let raw = format!("{}@{domain}", atoms.join("."));
            let parsed = EmailAddress::parse(&raw).expect("generated address is valid");
            prop_assert_eq!(parsed.as_str(), raw.as_str());
        }

        #[test]
        fn email_address_parse_never_panics(raw in "\\PC{0,80}") {
            let _ = EmailAddress::parse(&raw);
        }
    }
}

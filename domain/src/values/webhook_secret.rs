//! The shared secret that signs webhook deliveries.

use std::fmt;
use std::fmt::Write as _;

use crate::problem::{Invalid, ProblemCode};
use crate::text::{Lines, refuse_controls};

const PREFIX: &str = "whsec_";

/// A webhook signing secret of 8–256 characters without control characters, kept exactly as given.
///
/// Its `Debug` output shows only [`WebhookSecret::masked`], and it has no `Display`, so the secret
/// does not end up in logs by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookSecret(String);

impl WebhookSecret {
    /// The fewest characters of a secret.
    pub const MIN_CHARS: usize = 8;
    /// The most characters of a secret.
    pub const MAX_CHARS: usize = 256;

    /// Parses a client-chosen secret, counting characters (not bytes); nothing is trimmed.
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let chars = raw.chars().count();
        if chars < Self::MIN_CHARS {
            return Err(Invalid::new(
                ProblemCode::TooShort,
                format!("must be at least {} characters", Self::MIN_CHARS),
            ));
        }
        if chars > Self::MAX_CHARS {
            return Err(Invalid::new(
                ProblemCode::TooLong,
                format!("must be at most {} characters", Self::MAX_CHARS),
            ));
        }
        refuse_controls(raw, Lines::One)?;
        Ok(Self(raw.to_owned()))
    }

    /// A new secret `whsec_` + 64 lowercase hex digits from 32 bytes that the caller draws from a
    /// cryptographically secure random number generator.
    pub fn from_random_bytes(bytes: [u8; 32]) -> Self {
        let mut secret = String::with_capacity(PREFIX.len() + 64);
        secret.push_str(PREFIX);
        for byte in bytes {
            // Writing to a String cannot fail.
            let _ = write!(secret, "{byte:02x}");
        }
        Self(secret)
    }

    /// The secret itself, for signing.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `whsec_…` followed by the secret's last 4 characters: safe to show and log.
    pub fn masked(&self) -> String {
        let tail: Vec<char> = self.0.chars().rev().take(4).collect();
        let mut masked = String::from("whsec_…");
        masked.extend(tail.into_iter().rev());
        masked
    }
}

impl fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("WebhookSecret")
            .field(&self.masked())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn webhook_secret_of_8_chars_is_accepted_and_7_rejected() {
        assert_eq!(
            WebhookSecret::parse("12345678").expect("8").as_str(),
            "12345678"
        );
        let error = WebhookSecret::parse("1234567").expect_err("7");
        assert_eq!(error.code, ProblemCode::TooShort);
        assert_eq!(error.message, "must be at least 8 characters");
        assert_eq!(
            WebhookSecret::parse("").expect_err("empty").code,
            ProblemCode::TooShort
        );
    }

    #[test]
    fn webhook_secret_of_256_chars_is_accepted_and_257_rejected() {
        let ok = "s".repeat(256);
        assert_eq!(WebhookSecret::parse(&ok).expect("256").as_str(), ok);
        let error = WebhookSecret::parse(&"s".repeat(257)).expect_err("257");
        assert_eq!(error.code, ProblemCode::TooLong);
        assert_eq!(error.message, "must be at most 256 characters");
    }

    #[test]
    fn webhook_secret_length_counts_characters_not_bytes() {
        let cases = [
            ("é".repeat(8), Ok(())),
            ("é".repeat(7), Err(ProblemCode::TooShort)),
            ("é".repeat(256), Ok(())),
            ("é".repeat(257), Err(ProblemCode::TooLong)),
            ("🔑".repeat(256), Ok(())),
        ];
        for (raw, expected) in cases {
            let outcome = WebhookSecret::parse(&raw).map(|_| ()).map_err(|e| e.code);
            assert_eq!(
                outcome,
                expected,
                "{} chars of {raw:.4}",
                raw.chars().count()
            );
        }
    }

    #[test]
    fn webhook_secret_is_kept_as_given_without_trimming() {
        let raw = "  my secret value  ";
        assert_eq!(WebhookSecret::parse(raw).expect("valid").as_str(), raw);
    }

    #[test]
    fn webhook_secret_refuses_control_characters() {
        for raw in [
            "secret\u{0}value",
            "secret\nvalue",
            "\tsecretvalue",
            "secret\u{9f}value",
        ] {
            let error = WebhookSecret::parse(raw).expect_err("control character");
            assert_eq!(error.code, ProblemCode::InvalidFormat, "{raw:?}");
            assert_eq!(error.message, "must not contain control characters");
        }
    }

    #[test]
    fn webhook_secret_masked_shows_the_last_four_characters() {
        let cases = [
            ("supersecret1234", "whsec_…1234"),
            ("12345678", "whsec_…5678"),
            ("whsec_abcdefgh", "whsec_…efgh"),
            ("ñandú-clave-ñandú", "whsec_…andú"),
        ];
        for (raw, expected) in cases {
            assert_eq!(WebhookSecret::parse(raw).expect(raw).masked(), expected);
        }
    }

    #[test]
    fn webhook_secret_debug_never_prints_the_secret() {
        let secret = WebhookSecret::parse("do-not-leak-me-9876").expect("valid");
        let debug = format!("{secret:?}");
        assert_eq!(debug, "WebhookSecret(\"whsec_…9876\")");
        assert!(!debug.contains("leak"));
        assert!(!format!("{secret:#?}").contains("leak"));
    }

    #[test]
    fn webhook_secret_from_random_bytes_is_whsec_and_64_lowercase_hex() {
        let mut bytes = [0u8; 32];
        for (value, byte) in (0xe0..=0xff).zip(bytes.iter_mut()) {
            *byte = value;
        }
        let secret = WebhookSecret::from_random_bytes(bytes);
        let hex = secret.as_str().strip_prefix("whsec_").expect("prefix");
        assert_eq!(hex.len(), 64);
        assert!(
            hex.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        );
        assert!(hex.starts_with("e0e1e2e3e4e5e6e7e8e9eaebecedeeef"));
        assert!(hex.ends_with("f8f9fafbfcfdfeff"));
        assert!(WebhookSecret::parse(secret.as_str()).is_ok());

        let extremes = WebhookSecret::from_random_bytes([0xff; 32]);
        assert_eq!(extremes.as_str(), format!("whsec_{}", "ff".repeat(32)));
        assert_eq!(
            WebhookSecret::from_random_bytes([0; 32]).as_str(),
            format!("whsec_{}", "00".repeat(32))
        );
    }
}

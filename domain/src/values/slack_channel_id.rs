//! The Slack channel that notifications are posted to.

use std::fmt;

use crate::problem::{Invalid, ProblemCode};

const MESSAGE: &str = "must be a Slack channel ID such as C04ABCDEF12";

/// The fewest characters after the leading `C`, `G` or `D`.
const MIN_BODY_LEN: usize = 8;
/// The most characters in all.
const MAX_LEN: usize = 32;

/// A Slack conversation ID: `C` (public channel), `G` (private channel or group) or `D` (direct
/// message), then at least 8 uppercase ASCII letters or digits; at most 32 characters in all.
/// Nothing is trimmed or upper-cased.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SlackChannelId(String);

impl SlackChannelId {
    /// Parses a channel ID such as `C04ABCDEF12`.
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let valid = match raw.as_bytes() {
            [b'C' | b'G' | b'D', body @ ..] => {
                (MIN_BODY_LEN..MAX_LEN).contains(&body.len())
                    && body
                        .iter()
                        .all(|byte| byte.is_ascii_uppercase() || byte.is_ascii_digit())
            }
            _ => false,
        };
        if valid {
            Ok(Self(raw.to_owned()))
        } else {
            Err(Invalid::new(ProblemCode::InvalidFormat, MESSAGE))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SlackChannelId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slack_channel_id_accepts_c_g_and_d_ids() {
        for raw in [
            "C04ABCDEF12",
            "G0123ABCD",
            "D12345678",
            "CABCDEFGH",
            "C00000000",
        ] {
            let parsed = SlackChannelId::parse(raw).expect(raw);
            assert_eq!(parsed.as_str(), raw);
            assert_eq!(parsed.to_string(), raw);
        }
    }

    #[test]
    fn slack_channel_id_needs_at_least_8_characters_after_the_prefix() {
        assert!(SlackChannelId::parse("C12345678").is_ok());
        for raw in ["C1234567", "C", ""] {
            let error = SlackChannelId::parse(raw).expect_err(raw);
            assert_eq!(error.code, ProblemCode::InvalidFormat);
            assert_eq!(error.message, MESSAGE);
        }
    }

    #[test]
    fn slack_channel_id_of_32_chars_is_accepted_and_33_rejected() {
        let ok = format!("C{}", "A".repeat(31));
        let too_long = format!("C{}", "A".repeat(32));
        assert!(SlackChannelId::parse(&ok).is_ok());
        assert!(SlackChannelId::parse(&too_long).is_err());
    }

    #[test]
    fn slack_channel_id_rejects_other_prefixes_and_characters() {
        for raw in [
            "U04ABCDEF12",
            "W04ABCDEF12",
            "c04ABCDEF12",
            "C04abcdef12",
            "C04ABCDEF1_",
            "C04ABC-DEF12",
            "#general",
            "general",
            " C04ABCDEF12",
            "C04ABCDEF12 ",
            "C04ÄBCDEF12",
            "04ABCDEF12",
        ] {
            assert!(SlackChannelId::parse(raw).is_err(), "{raw}");
        }
    }
}

//! Identifiers: 24 lowercase hex characters in the MongoDB ObjectId layout (4-byte big-endian seconds,
//! 5 random bytes, 3-byte counter), so that ids sort by creation time.

use std::fmt;

use crate::problem::{Invalid, ProblemCode};

/// The 12 bytes behind every resource id.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjectId([u8; 12]);

impl ObjectId {
    /// Lays out an id from its parts; the counter keeps its low 24 bits.
    pub fn from_parts(seconds: u32, random: [u8; 5], counter: u32) -> Self {
        let mut bytes = [0u8; 12];
        bytes[..4].copy_from_slice(&seconds.to_be_bytes());
        bytes[4..9].copy_from_slice(&random);
        bytes[9..].copy_from_slice(&counter.to_be_bytes()[1..]);
        Self(bytes)
    }

    /// Parses exactly 24 lowercase hex characters.
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let invalid = || {
            Invalid::new(
                ProblemCode::InvalidFormat,
                "must be a 24-character lowercase hex id",
            )
        };
        let digits = raw.as_bytes();
        if digits.len() != 24 {
            return Err(invalid());
        }
        let mut bytes = [0u8; 12];
        for (byte, pair) in bytes.iter_mut().zip(digits.chunks_exact(2)) {
            let high = lower_hex_value(pair[0]).ok_or_else(invalid)?;
            let low = lower_hex_value(pair[1]).ok_or_else(invalid)?;
            *byte = (high << 4) | low;
        }
        Ok(Self(bytes))
    }

    /// The id whose 12 bytes are these (the inverse of [`ObjectId::bytes`]).
    pub fn from_bytes(bytes: [u8; 12]) -> Self {
        Self(bytes)
    }

    pub fn bytes(&self) -> [u8; 12] {
        self.0
    }

    /// The creation second embedded in the id.
    pub fn seconds(&self) -> u32 {
        u32::from_be_bytes([self.0[0], self.0[1], self.0[2], self.0[3]])
    }
}

fn lower_hex_value(digit: u8) -> Option<u8> {
    match digit {
        b'0'..=b'9' => Some(digit - b'0'),
        b'a'..=b'f' => Some(digit - b'a' + 10),
        _ => None,
    }
}

impl fmt::Display for ObjectId {
    /// The 24 digits written at once: a create writes a score of ids (rows, answer, `Location`), and
    /// a `write!` per byte cost ~0.2 µs an id.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let mut text = [0u8; 24];
        for (pair, byte) in text.chunks_exact_mut(2).zip(self.0) {
            pair[0] = DIGITS[usize::from(byte >> 4)];
            pair[1] = DIGITS[usize::from(byte & 0x0f)];
        }
        // Only ASCII digits were written.
        f.write_str(std::str::from_utf8(&text).map_err(|_| fmt::Error)?)
    }
}

impl fmt::Debug for ObjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ObjectId({self})")
    }
}

macro_rules! typed_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(ObjectId);

        impl $name {
            pub fn parse(raw: &str) -> Result<Self, Invalid> {
                ObjectId::parse(raw).map(Self)
            }

            pub fn object_id(&self) -> ObjectId {
                self.0
            }
        }

        impl From<ObjectId> for $name {
            fn from(id: ObjectId) -> Self {
                Self(id)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }
    };
}

typed_id!(
    /// Identifies a campaign.
    CampaignId
);
typed_id!(
    /// Identifies a subsequence within its campaign.
    SubsequenceId
);
typed_id!(
    /// Identifies a sending mailbox.
    MailboxId
);
typed_id!(
    /// Identifies an AI reply agent.
    AgentId
);
typed_id!(
    /// Identifies a lead of a workspace.
    LeadId
);
typed_id!(
    /// Identifies an enrolment: one lead in one campaign (`campaignLeadId` on the wire).
    EnrolmentId
);
typed_id!(
    /// Identifies one do-not-contact entry of a workspace.
    DncEntryId
);
typed_id!(
    /// Identifies a user.
    UserId
);
typed_id!(
    /// Identifies a workspace, the unit of tenancy.
    WorkspaceId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_layout_is_seconds_then_random_then_counter() {
        let id = ObjectId::from_parts(0x665a_1b2c, [0x3d, 0x4e, 0x5f, 0x6a, 0x7b], 0x8c_9d0e);
        assert_eq!(id.to_string(), "665a1b2c3d4e5f6a7b8c9d0e");
        assert_eq!(id.seconds(), 0x665a_1b2c);
    }

    #[test]
    fn ids_sort_by_creation_second() {
        let earlier = ObjectId::from_parts(1, [0xff; 5], 0xff_ffff);
        let later = ObjectId::from_parts(2, [0; 5], 0);
        assert!(earlier < later);
        assert!(earlier.to_string() < later.to_string());
    }

    #[test]
    fn id_parse_accepts_only_24_lowercase_hex() {
        let cases = [
            ("665a1b2c3d4e5f6a7b8c9d0e", true),
            ("665A1B2C3D4E5F6A7B8C9D0E", false),
            ("665a1b2c3d4e5f6a7b8c9d0", false),
            ("665a1b2c3d4e5f6a7b8c9d0e0", false),
            ("665a1b2c3d4e5f6a7b8c9d0g", false),
            ("", false),
            ("ÿÿÿÿÿÿÿÿÿÿÿÿ", false),
        ];
        for (raw, valid) in cases {
            assert_eq!(ObjectId::parse(raw).is_ok(), valid, "{raw:?}");
        }
        let parsed = MailboxId::parse("665b1c2d3e4f5a6b7c8d9e0f").expect("valid id");
        assert_eq!(parsed.to_string(), "665b1c2d3e4f5a6b7c8d9e0f");
    }
}

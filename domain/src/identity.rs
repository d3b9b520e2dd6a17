//! Users, workspaces, memberships and API keys: who may act, and in which workspace.

use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use crate::id::{ObjectId, UserId, WorkspaceId};
use crate::problem::{Invalid, JsonPointer, Problems};
use crate::text::{required_trimmed, wire_enum};
use crate::values::EmailAddress;

pub const MAX_WORKSPACE_NAME_CHARS: usize = 100;

wire_enum!(
    /// A user's role in a workspace.
    Role {
        Owner => "owner",
        Admin => "admin",
        Member => "member",
    }
);

impl Role {
    /// Owners and admins manage the workspace's API key.
    pub fn manages_keys(self) -> bool {
        matches!(self, Role::Owner | Role::Admin)
    }
}

/// What a user's membership allows with a workspace's API key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyManagement {
    /// An owner or admin: may create and revoke the key.
    Allowed(Role),
    /// A member uses the workspace but does not manage its key.
    Refused(Role),
    /// Not a member: the workspace is not the user's to see at all.
    NotAMember,
}

impl KeyManagement {
    /// The rule for a user whose role in the workspace is `membership` (`None`: not a member).
    pub fn of(membership: Option<Role>) -> Self {
        match membership {
            None => KeyManagement::NotAMember,
            Some(role) if role.manages_keys() => KeyManagement::Allowed(role),
            Some(role) => KeyManagement::Refused(role),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    id: UserId,
    email: EmailAddress,
    created_at: DateTime<Utc>,
}

impl User {
    pub fn new(id: UserId, email: EmailAddress, created_at: DateTime<Utc>) -> Self {
        Self {
            id,
            email,
            created_at,
        }
    }

    pub fn id(&self) -> UserId {
        self.id
    }

    pub fn email(&self) -> &EmailAddress {
        &self.email
    }

    pub fn created_at(&self) -> DateTime<Utc> {
        self.created_at
    }
}

/// The body of a workspace creation, as read: nothing is checked yet.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorkspaceRequest {
    pub name: Option<String>,
}

/// A workspace name: trimmed, 1–100 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkspaceName(String);

impl WorkspaceName {
    pub fn parse(raw: Option<&str>) -> Result<Self, Invalid> {
        required_trimmed(raw, "name", MAX_WORKSPACE_NAME_CHARS).map(Self)
    }

    /// Parses a request's `name` at `/name`.
    pub fn parse_request(raw: Option<&str>) -> Result<Self, Problems> {
        Self::parse(raw).map_err(|invalid| invalid.at(JsonPointer::root().field("name")).into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workspace {
    id: WorkspaceId,
    name: WorkspaceName,
    created_at: DateTime<Utc>,
}

impl Workspace {
    pub fn new(id: WorkspaceId, name: WorkspaceName, created_at: DateTime<Utc>) -> Self {
        Self {
            id,
            name,
            created_at,
        }
    }

    pub fn id(&self) -> WorkspaceId {
        self.id
    }

    pub fn name(&self) -> &WorkspaceName {
        &self.name
    }

    pub fn created_at(&self) -> DateTime<Utc> {
        self.created_at
    }
}

wire_enum!(
    /// What an API key may act on.
    ApiKeyKind {
        /// `sk_user_…`: a user's key, acting in any workspace the user is a member of.
        Platform => "platform",
        /// `sk_…`: scoped to one workspace.
        Workspace => "workspace",
    }
);

impl ApiKeyKind {
    /// Whether a key of this kind acts for its user beyond one workspace: reads the account, lists the
    /// user's workspaces, makes workspaces and manages workspace keys. A workspace key is handed to a
    /// tool for one workspace; it must not see the user's other workspaces, nor mint or revoke keys.
    pub fn acts_for_user(self) -> bool {
        matches!(self, ApiKeyKind::Platform)
    }

    fn prefix(self) -> &'static str {
        match self {
            ApiKeyKind::Platform => "sk_user_",
            ApiKeyKind::Workspace => "sk_",
        }
    }
}

/// Hex digits after the prefix of every key.
const KEY_HEX_DIGITS: usize = 48;
/// Characters of a key kept visible (prefix plus a few digits) so people can tell keys apart.
const VISIBLE_HEX_DIGITS: usize = 4;

/// The plaintext of an API key: shown once, at creation, and otherwise only ever held as its hash.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKeySecret {
    kind: ApiKeyKind,
    text: String,
}

impl std::fmt::Debug for ApiKeySecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ApiKeySecret({}…)", self.visible_prefix())
    }
}

impl ApiKeySecret {
    /// A new key of `kind` from 24 bytes the caller draws from a cryptographically secure generator.
    pub fn from_random_bytes(kind: ApiKeyKind, bytes: [u8; 24]) -> Self {
        let mut text = String::with_capacity(kind.prefix().len() + KEY_HEX_DIGITS);
        text.push_str(kind.prefix());
        for byte in bytes {
            let _ = write!(text, "{byte:02x}");
        }
        Self { kind, text }
    }

    /// A key as presented by a client, when it has the shape of one (`sk_user_` or `sk_` + 48 lowercase hex).
    pub fn parse(presented: &str) -> Option<Self> {
        let (kind, digits) = match presented.strip_prefix(ApiKeyKind::Platform.prefix()) {
            Some(digits) => (ApiKeyKind::Platform, digits),
            None => (
                ApiKeyKind::Workspace,
                presented.strip_prefix(ApiKeyKind::Workspace.prefix())?,
            ),
        };
        let well_formed = digits.len() == KEY_HEX_DIGITS
            && digits
                .bytes()
                .all(|digit| matches!(digit, b'0'..=b'9' | b'a'..=b'f'));
        well_formed.then(|| Self {
            kind,
            text: presented.to_owned(),
        })
    }

    pub fn kind(&self) -> ApiKeyKind {
        self.kind
    }

    /// The key itself: only for showing it once to its owner.
    pub fn expose(&self) -> &str {
        &self.text
    }

    pub fn hash(&self) -> KeyHash {
        KeyHash(Sha256::digest(self.text.as_bytes()).into())
    }

    /// The prefix and first digits, safe to store and show (`sk_user_1a2b`).
    pub fn visible_prefix(&self) -> String {
        let visible = self.kind.prefix().len() + VISIBLE_HEX_DIGITS;
        self.text[..visible.min(self.text.len())].to_owned()
    }
}

/// The SHA-256 of a key: what is stored and looked up. Keys are 192-bit random, so a fast hash is enough.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyHash([u8; 32]);

impl std::fmt::Debug for KeyHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "KeyHash({})", self.to_hex())
    }
}

impl KeyHash {
    pub fn to_hex(&self) -> String {
        let mut hex = String::with_capacity(64);
        for byte in self.0 {
            let _ = write!(hex, "{byte:02x}");
        }
        hex
    }

    pub fn from_hex(hex: &str) -> Option<Self> {
        if hex.len() != 64 {
            return None;
        }
        let mut bytes = [0u8; 32];
        for (byte, pair) in bytes.iter_mut().zip(hex.as_bytes().chunks_exact(2)) {
            let text = std::str::from_utf8(pair).ok()?;
            *byte = u8::from_str_radix(text, 16).ok()?;
        }
        Some(Self(bytes))
    }
}

/// A stored API key: never its plaintext.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKey {
    pub id: ObjectId,
    pub kind: ApiKeyKind,
    pub hash: KeyHash,
    pub visible_prefix: String,
    /// The key's user: a platform key's owner, or the user who created a workspace key.
    pub user_id: UserId,
    /// The workspace of a workspace key; `None` for a platform key.
    pub workspace_id: Option<WorkspaceId>,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl ApiKey {
    /// The stored form of a freshly made key.
    pub fn issue(
        id: ObjectId,
        secret: &ApiKeySecret,
        user_id: UserId,
        workspace_id: Option<WorkspaceId>,
        created_at: DateTime<Utc>,
    ) -> Self {
        Self {
            id,
            kind: secret.kind(),
            hash: secret.hash(),
            visible_prefix: secret.visible_prefix(),
            user_id,
            workspace_id,
            created_at,
            revoked_at: None,
        }
    }

    pub fn is_revoked(&self) -> bool {
        self.revoked_at.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_have_the_documented_shapes() {
        let platform = ApiKeySecret::from_random_bytes(ApiKeyKind::Platform, [0xab; 24]);
        assert_eq!(platform.expose(), format!("sk_user_{}", "ab".repeat(24)));
        let workspace = ApiKeySecret::from_random_bytes(ApiKeyKind::Workspace, [0x01; 24]);
        assert_eq!(workspace.expose(), format!("sk_{}", "01".repeat(24)));
        assert_eq!(workspace.visible_prefix(), "sk_0101");
        assert_eq!(
            ApiKeySecret::parse(platform.expose()),
            Some(platform.clone())
        );
        assert_eq!(
            ApiKeySecret::parse(workspace.expose()).map(|key| key.kind()),
            Some(ApiKeyKind::Workspace)
        );
    }

    #[test]
    fn malformed_keys_are_refused_before_any_lookup() {
        for presented in [
            "",
            "sk_",
            "sk_user_",
            &format!("sk_{}", "AB".repeat(24)),
            &format!("sk_{}", "ab".repeat(23)),
            &format!("pk_{}", "ab".repeat(24)),
            &format!("sk_user_{}0", "ab".repeat(24)),
        ] {
            assert_eq!(ApiKeySecret::parse(presented), None, "{presented:?}");
        }
    }

    #[test]
    fn only_owners_and_admins_manage_keys_and_strangers_do_not_see_the_workspace() {
        assert_eq!(
            KeyManagement::of(Some(Role::Owner)),
            KeyManagement::Allowed(Role::Owner)
        );
        assert_eq!(
            KeyManagement::of(Some(Role::Admin)),
            KeyManagement::Allowed(Role::Admin)
        );
        assert_eq!(
            KeyManagement::of(Some(Role::Member)),
            KeyManagement::Refused(Role::Member)
        );
        assert_eq!(KeyManagement::of(None), KeyManagement::NotAMember);
    }

    #[test]
    fn only_platform_keys_act_for_their_user() {
        assert!(ApiKeyKind::Platform.acts_for_user());
        assert!(!ApiKeyKind::Workspace.acts_for_user());
    }

    #[test]
    fn key_hash_round_trips_through_hex_and_hides_the_key() {
        let key = ApiKeySecret::from_random_bytes(ApiKeyKind::Workspace, [7; 24]);
        let hash = key.hash();
        assert_eq!(KeyHash::from_hex(&hash.to_hex()), Some(hash));
        assert!(!format!("{key:?}").contains(&"07".repeat(24)));
        assert_eq!(KeyHash::from_hex("zz"), None);
    }
}

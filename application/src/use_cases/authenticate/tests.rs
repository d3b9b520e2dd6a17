//! Spec section 2: keys in either header, workspace and platform keys, X-Workspace-Id.

use std::sync::Arc;

use chrono::{TimeZone, Utc};
use domain::id::{ObjectId, UserId, WorkspaceId};
use domain::identity::{ApiKey, ApiKeyKind, ApiKeySecret, Role};

use super::{AuthError, Authenticate, Credentials};
use crate::key_cache::KeyCache;
use crate::ports::MockIdentityRepository;

fn workspace(n: u32) -> WorkspaceId {
    WorkspaceId::from(ObjectId::from_parts(100, [1; 5], n))
}

fn user() -> UserId {
    UserId::from(ObjectId::from_parts(100, [2; 5], 1))
}

fn workspace_key() -> ApiKeySecret {
    ApiKeySecret::from_random_bytes(ApiKeyKind::Workspace, [1; 24])
}

fn platform_key() -> ApiKeySecret {
    ApiKeySecret::from_random_bytes(ApiKeyKind::Platform, [2; 24])
}

fn revoked_key() -> ApiKeySecret {
    ApiKeySecret::from_random_bytes(ApiKeyKind::Workspace, [3; 24])
}

/// Workspace 1 has a workspace key; the platform key's user is a member of workspace 1 only.
fn authenticate() -> Authenticate {
    let mut identity = MockIdentityRepository::new();
    identity.expect_find_api_key().returning(|hash| {
        let issued = |secret: &ApiKeySecret, workspace_id| {
            ApiKey::issue(
                ObjectId::from_parts(1, [0; 5], 1),
                secret,
                user(),
                workspace_id,
                Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0)
                    .single()
                    .expect("valid"),
            )
        };
        let mut revoked = issued(&revoked_key(), Some(workspace(1)));
        revoked.revoked_at = Some(revoked.created_at);
        Ok([
            issued(&workspace_key(), Some(workspace(1))),
            issued(&platform_key(), None),
            revoked,
        ]
        .into_iter()
        .find(|key| key.hash == hash))
    });
    identity
        .expect_role_of()
        .returning(|_, named| Ok((named == workspace(1)).then_some(Role::Owner)));
    Authenticate {
        identity: Arc::new(identity),
        keys: Arc::new(KeyCache::disabled()),
    }
}

fn header(key: &ApiKeySecret) -> Credentials<'_> {
    Credentials {
        api_key: Some(key.expose()),
        ..Credentials::default()
    }
}

#[tokio::test]
async fn a_workspace_key_in_x_api_key_acts_in_its_workspace() {
    let key = workspace_key();
    let tenancy = authenticate()
        .tenancy(header(&key))
        .await
        .expect("authenticated");
    assert_eq!(tenancy.workspace_id, workspace(1));
    assert_eq!(
        tenancy.user_id,
        user(),
        "userId is the user who created the workspace key"
    );
}

#[tokio::test]
async fn a_key_in_authorization_bearer_is_accepted() {
    let key = workspace_key();
    let bearer = format!("Bearer {}", key.expose());
    let credentials = Credentials {
        authorization: Some(&bearer),
        ..Credentials::default()
    };
    assert!(authenticate().tenancy(credentials).await.is_ok());
}

#[tokio::test]
async fn the_same_key_in_both_headers_is_accepted_two_different_keys_are_400() {
    let key = workspace_key();
    let bearer = format!("Bearer {}", key.expose());
    let same = Credentials {
        api_key: Some(key.expose()),
        authorization: Some(&bearer),
        workspace_id: None,
    };
    assert!(authenticate().tenancy(same).await.is_ok());
    let other = platform_key();
    let different = Credentials {
        api_key: Some(other.expose()),
        authorization: Some(&bearer),
        workspace_id: None,
    };
    assert!(matches!(
        authenticate().tenancy(different).await,
        Err(AuthError::ConflictingKeys)
    ));
}

#[tokio::test]
async fn missing_malformed_unknown_and_revoked_keys_are_401() {
    let unknown = ApiKeySecret::from_random_bytes(ApiKeyKind::Workspace, [9; 24]);
    let revoked = revoked_key();
    let basic = "Basic dXNlcjpwYXNz";
    for credentials in [
        Credentials::default(),
        Credentials {
            api_key: Some("sk_not-a-key"),
            ..Credentials::default()
        },
        header(&unknown),
        header(&revoked),
        Credentials {
            authorization: Some(basic),
            ..Credentials::default()
        },
        Credentials {
            authorization: Some("Bearer "),
            ..Credentials::default()
        },
    ] {
        assert!(
            matches!(
                authenticate().tenancy(credentials).await,
                Err(AuthError::Unauthorized)
            ),
            "{credentials:?}"
        );
    }
}

fn naming<'a>(key: &'a ApiKeySecret, workspace_id: &'a str) -> Credentials<'a> {
    Credentials {
        workspace_id: Some(workspace_id),
        ..header(key)
    }
}

#[tokio::test]
async fn a_workspace_key_naming_another_workspace_is_403() {
    let key = workspace_key();
    let (own, other) = (workspace(1).to_string(), workspace(2).to_string());
    assert!(matches!(
        authenticate().tenancy(naming(&key, &other)).await,
        Err(AuthError::Forbidden(_))
    ));
    assert!(authenticate().tenancy(naming(&key, &own)).await.is_ok());
}

#[tokio::test]
async fn a_platform_key_needs_x_workspace_id_of_a_workspace_it_belongs_to() {
    let key = platform_key();
    assert!(matches!(
        authenticate().tenancy(header(&key)).await,
        Err(AuthError::WorkspaceRequired)
    ));
    let (member, stranger) = (workspace(1).to_string(), workspace(2).to_string());
    let tenancy = authenticate()
        .tenancy(naming(&key, &member))
        .await
        .expect("member");
    assert_eq!(tenancy.workspace_id, workspace(1));
    assert_eq!(tenancy.user_id, user());
    assert!(matches!(
        authenticate().tenancy(naming(&key, &stranger)).await,
        Err(AuthError::Forbidden(_))
    ));
    assert!(matches!(
        authenticate().tenancy(naming(&key, "not-an-id")).await,
        Err(AuthError::MalformedWorkspaceId)
    ));
}

#[tokio::test]
async fn an_authorization_header_of_another_scheme_does_not_hide_a_valid_x_api_key() {
    let key = workspace_key();
    let credentials = Credentials {
        authorization: Some("Basic dXNlcjpwYXNz"),
        ..header(&key)
    };
    assert!(authenticate().tenancy(credentials).await.is_ok());
}

#[tokio::test]
async fn a_malformed_x_workspace_id_is_400_for_a_workspace_key_too() {
    let key = workspace_key();
    assert!(matches!(
        authenticate().tenancy(naming(&key, "not-an-id")).await,
        Err(AuthError::MalformedWorkspaceId)
    ));
}

#[tokio::test]
async fn a_live_key_is_looked_up_once_within_the_cache_time_to_live() {
    let mut identity = MockIdentityRepository::new();
    let key = ApiKey::issue(
        ObjectId::from_parts(1, [0; 5], 1),
        &workspace_key(),
        user(),
        Some(workspace(1)),
        Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0)
            .single()
            .expect("valid"),
    );
    identity
        .expect_find_api_key()
        .times(1)
        .returning(move |_| Ok(Some(key.clone())));
    let authenticate = Authenticate {
        identity: Arc::new(identity),
        keys: Arc::new(KeyCache::new(std::time::Duration::from_secs(3600))),
    };
    let secret = workspace_key();
    for _ in 0..3 {
        let tenancy = authenticate
            .tenancy(header(&secret))
            .await
            .expect("the live key is accepted");
        assert_eq!(tenancy.workspace_id, workspace(1));
    }
}

#[tokio::test]
async fn unknown_and_revoked_keys_are_never_cached_and_are_looked_up_every_time() {
    let mut identity = MockIdentityRepository::new();
    let revoked = {
        let mut key = ApiKey::issue(
            ObjectId::from_parts(1, [0; 5], 1),
            &revoked_key(),
            user(),
            Some(workspace(1)),
            Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0)
                .single()
                .expect("valid"),
        );
        key.revoked_at = Some(key.created_at);
        key
    };
    identity
        .expect_find_api_key()
        .times(4)
        .returning(move |hash| Ok((hash == revoked.hash).then(|| revoked.clone())));
    let authenticate = Authenticate {
        identity: Arc::new(identity),
        keys: Arc::new(KeyCache::new(std::time::Duration::from_secs(3600))),
    };
    for secret in [revoked_key(), revoked_key(), platform_key(), platform_key()] {
        assert!(matches!(
            authenticate.tenancy(header(&secret)).await,
            Err(AuthError::Unauthorized)
        ));
    }
}

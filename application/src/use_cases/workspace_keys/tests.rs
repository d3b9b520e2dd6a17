//! Creating and revoking a workspace's key: platform keys of owners and admins only; one live key.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, TimeZone, Utc};
use domain::id::{ObjectId, UserId, WorkspaceId};
use domain::identity::{ApiKey, ApiKeyKind, ApiKeySecret, Role};

use super::{CreateWorkspaceKeyError, RevokeWorkspaceKeyError, WorkspaceKeys};
use crate::key_cache::KeyCache;
use crate::ports::{
    MockClock, MockIdGenerator, MockIdentityRepository, MockSecretGenerator, RepositoryError,
};
use crate::use_cases::authenticate::{AuthError, Authenticate, Caller, Credentials};

fn user_id() -> UserId {
    UserId::from(ObjectId::from_parts(100, [2; 5], 1))
}

fn workspace_id(n: u32) -> WorkspaceId {
    WorkspaceId::from(ObjectId::from_parts(100, [1; 5], n))
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 6, 10, 10, 30, 0)
        .single()
        .expect("a valid time")
}

fn key_id() -> ObjectId {
    ObjectId::from_parts(300, [4; 5], 1)
}

fn secret() -> ApiKeySecret {
    ApiKeySecret::from_random_bytes(ApiKeyKind::Workspace, [0x5a; 24])
}

fn platform() -> Caller {
    Caller {
        user_id: user_id(),
        key_kind: ApiKeyKind::Platform,
        key_workspace: None,
    }
}

/// The user owns workspace 1, administers 2, is a member of 3, and a stranger to 4.
fn role_in(workspace: WorkspaceId) -> Option<Role> {
    [
        (workspace_id(1), Role::Owner),
        (workspace_id(2), Role::Admin),
        (workspace_id(3), Role::Member),
    ]
    .into_iter()
    .find(|(id, _)| *id == workspace)
    .map(|(_, role)| role)
}

/// Roles as above; no write is expected unless a test adds one.
fn memberships() -> MockIdentityRepository {
    let mut identity = MockIdentityRepository::new();
    identity.expect_role_of().returning(|user, workspace| {
        assert_eq!(user, user_id());
        Ok(role_in(workspace))
    });
    identity
}

fn use_case(identity: MockIdentityRepository) -> WorkspaceKeys {
    use_case_sharing(identity, Arc::new(KeyCache::disabled()))
}

fn use_case_sharing(identity: MockIdentityRepository, keys: Arc<KeyCache>) -> WorkspaceKeys {
    let mut clock = MockClock::new();
    clock.expect_now().returning(now);
    let mut ids = MockIdGenerator::new();
    ids.expect_new_id().returning(key_id);
    let mut secrets = MockSecretGenerator::new();
    secrets.expect_api_key().returning(|kind| {
        assert_eq!(kind, ApiKeyKind::Workspace);
        secret()
    });
    WorkspaceKeys {
        identity: Arc::new(identity),
        keys,
        clock: Arc::new(clock),
        ids: Arc::new(ids),
        secrets: Arc::new(secrets),
    }
}

#[tokio::test]
async fn an_owner_or_admin_creates_the_key_and_only_its_hash_is_stored() {
    for n in [1, 2] {
        let stored: Arc<Mutex<Vec<ApiKey>>> = Arc::default();
        let mut identity = memberships();
        let record = stored.clone();
        identity
            .expect_insert_api_key()
            .times(1)
            .returning(move |key| {
                record.lock().expect("not poisoned").push(key.clone());
                Ok(())
            });
        let issued = use_case(identity)
            .create(platform(), &workspace_id(n).to_string())
            .await
            .expect("issued");
        assert_eq!(issued.key, secret());
        assert_eq!(issued.workspace_id, workspace_id(n));
        assert_eq!(issued.created_at, now());
        assert_eq!(
            *stored.lock().expect("not poisoned"),
            [ApiKey::issue(
                key_id(),
                &secret(),
                user_id(),
                Some(workspace_id(n)),
                now()
            )]
        );
    }
}

#[tokio::test]
async fn a_member_may_not_create_nor_revoke_the_key() {
    // No insert or revoke expected: any write would fail the test.
    let keys = use_case(memberships());
    let raw = workspace_id(3).to_string();
    assert!(matches!(
        keys.create(platform(), &raw).await,
        Err(CreateWorkspaceKeyError::NotPermitted(Role::Member))
    ));
    assert!(matches!(
        keys.revoke(platform(), &raw).await,
        Err(RevokeWorkspaceKeyError::NotPermitted(Role::Member))
    ));
}

#[tokio::test]
async fn a_stranger_or_a_malformed_id_finds_no_workspace() {
    let keys = use_case(memberships());
    for raw in [workspace_id(4).to_string(), "not-an-id".to_owned()] {
        assert!(matches!(
            keys.create(platform(), &raw).await,
            Err(CreateWorkspaceKeyError::NotFound)
        ));
        assert!(matches!(
            keys.revoke(platform(), &raw).await,
            Err(RevokeWorkspaceKeyError::NotFound)
        ));
    }
}

#[tokio::test]
async fn a_workspace_key_may_not_manage_keys_and_learns_nothing_about_the_workspace() {
    // Not even the membership is looked up.
    let keys = use_case(MockIdentityRepository::new());
    let own = Caller {
        user_id: user_id(),
        key_kind: ApiKeyKind::Workspace,
        key_workspace: Some(workspace_id(1)),
    };
    for raw in [workspace_id(1).to_string(), workspace_id(4).to_string()] {
        assert!(matches!(
            keys.create(own, &raw).await,
            Err(CreateWorkspaceKeyError::PlatformKeyRequired)
        ));
        assert!(matches!(
            keys.revoke(own, &raw).await,
            Err(RevokeWorkspaceKeyError::PlatformKeyRequired)
        ));
    }
}

#[tokio::test]
async fn a_second_live_key_is_a_conflict() {
    let mut identity = memberships();
    identity.expect_insert_api_key().returning(|_| {
        Err(RepositoryError::Conflict(
            "the workspace already has an API key that is not revoked".to_owned(),
        ))
    });
    assert!(matches!(
        use_case(identity)
            .create(platform(), &workspace_id(1).to_string())
            .await,
        Err(CreateWorkspaceKeyError::AlreadyExists)
    ));
}

#[tokio::test]
async fn a_storage_failure_is_unknown_not_a_conflict() {
    let mut identity = memberships();
    identity
        .expect_insert_api_key()
        .returning(|_| Err(RepositoryError::Unknown(anyhow::anyhow!("disk full"))));
    assert!(matches!(
        use_case(identity)
            .create(platform(), &workspace_id(1).to_string())
            .await,
        Err(CreateWorkspaceKeyError::Unknown(_))
    ));
}

#[tokio::test]
async fn revoking_the_live_key_says_when_and_without_one_it_is_no_live_key() {
    for (live, n) in [(true, 1), (false, 2)] {
        let mut identity = memberships();
        identity
            .expect_revoke_workspace_key()
            .times(1)
            .returning(move |workspace, at| {
                assert_eq!(workspace, workspace_id(n));
                assert_eq!(at, now());
                Ok(live)
            });
        let revoked = use_case(identity)
            .revoke(platform(), &workspace_id(n).to_string())
            .await;
        match (live, revoked) {
            (true, Ok(revoked)) => {
                assert_eq!(revoked.workspace_id, workspace_id(n));
                assert_eq!(revoked.revoked_at, now());
            }
            (false, Err(RevokeWorkspaceKeyError::NoLiveKey)) => {}
            (_, other) => panic!("unexpected {other:?}"),
        }
    }
}

#[tokio::test]
async fn a_key_revoked_through_this_instance_is_refused_at_once_even_while_cached() {
    let workspace_key = ApiKeySecret::from_random_bytes(ApiKeyKind::Workspace, [9; 24]);
    let stored = ApiKey::issue(
        key_id(),
        &workspace_key,
        user_id(),
        Some(workspace_id(1)),
        now(),
    );
    let revoked = Arc::new(Mutex::new(false));
    let mut lookups = MockIdentityRepository::new();
    let (answer, is_revoked) = (stored.clone(), revoked.clone());
    lookups.expect_find_api_key().returning(move |hash| {
        let mut key = answer.clone();
        if *is_revoked.lock().expect("not poisoned") {
            key.revoked_at = Some(now());
        }
        Ok((key.hash == hash).then_some(key))
    });
    let keys = Arc::new(KeyCache::new(std::time::Duration::from_secs(3600)));
    let authenticate = Authenticate {
        identity: Arc::new(lookups),
        keys: keys.clone(),
    };
    let credentials = Credentials {
        api_key: Some(workspace_key.expose()),
        ..Credentials::default()
    };
    authenticate
        .caller(credentials)
        .await
        .expect("the live key is accepted, and now cached");

    let mut identity = memberships();
    let mark = revoked.clone();
    identity
        .expect_revoke_workspace_key()
        .times(1)
        .returning(move |_, _| {
            *mark.lock().expect("not poisoned") = true;
            Ok(true)
        });
    use_case_sharing(identity, keys)
        .revoke(platform(), &workspace_id(1).to_string())
        .await
        .expect("the owner revokes the key");

    assert!(matches!(
        authenticate.caller(credentials).await,
        Err(AuthError::Unauthorized)
    ));
}

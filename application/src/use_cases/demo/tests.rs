//! `serve --demo` hands out the saved key while it authenticates, and otherwise a new one, saved
//! before it replaces the old.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, TimeZone, Utc};
use domain::id::{AgentId, ObjectId, UserId, WorkspaceId};
use domain::identity::{ApiKey, ApiKeyKind, ApiKeySecret, Role, User, Workspace, WorkspaceName};
use domain::values::EmailAddress;

use super::{DEMO_USER_EMAIL, DEMO_WORKSPACE_NAME, DemoKeyOrigin, EnsureDemo};
use crate::ports::{
    MockAgentRepository, MockClock, MockDemoKeyStore, MockIdGenerator, MockIdentityRepository,
    MockMailboxRepository, MockSecretGenerator, RepositoryError,
};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 6, 10, 10, 30, 0)
        .single()
        .expect("a valid time")
}

fn user() -> UserId {
    UserId::from(ObjectId::from_parts(100, [2; 5], 1))
}

fn demo_workspace() -> WorkspaceId {
    WorkspaceId::from(ObjectId::from_parts(100, [1; 5], 1))
}

fn other_workspace() -> WorkspaceId {
    WorkspaceId::from(ObjectId::from_parts(100, [1; 5], 2))
}

fn saved_key() -> ApiKeySecret {
    ApiKeySecret::from_random_bytes(ApiKeyKind::Workspace, [0x11; 24])
}

fn fresh_key() -> ApiKeySecret {
    ApiKeySecret::from_random_bytes(ApiKeyKind::Workspace, [0x22; 24])
}

/// The stored form of `secret`, a key of `workspace`.
fn stored(secret: &ApiKeySecret, workspace: WorkspaceId) -> ApiKey {
    ApiKey::issue(
        ObjectId::from_parts(50, [3; 5], 1),
        secret,
        user(),
        Some(workspace),
        now(),
    )
}

/// What the ports were asked to change, in order.
type Writes = Arc<Mutex<Vec<String>>>;

fn record(writes: &Writes, write: String) {
    writes.lock().expect("not poisoned").push(write);
}

/// A database where the demo workspace, its mailboxes and its agent exist and `keys` are stored;
/// the store holds `saved`, if anything. Key writes are recorded in `writes`.
fn demo(keys: Vec<ApiKey>, saved: Option<Option<String>>, writes: &Writes) -> EnsureDemo {
    let mut identity = MockIdentityRepository::new();
    identity.expect_find_user_by_email().returning(|email| {
        assert_eq!(email.as_str(), DEMO_USER_EMAIL);
        Ok(Some(User::new(
            user(),
            EmailAddress::parse(DEMO_USER_EMAIL).expect("an address"),
            now(),
        )))
    });
    identity.expect_workspaces_of().returning(|_| {
        let name = WorkspaceName::parse(Some(DEMO_WORKSPACE_NAME)).expect("a name");
        Ok(vec![(
            Workspace::new(demo_workspace(), name, now()),
            Role::Owner,
        )])
    });
    identity
        .expect_find_api_key()
        .returning(move |hash| Ok(keys.iter().find(|key| key.hash == hash).cloned()));
    let log = Arc::clone(writes);
    identity
        .expect_revoke_workspace_key()
        .returning(move |workspace, _| {
            record(&log, format!("revoke {workspace}"));
            Ok(true)
        });
    let log = Arc::clone(writes);
    identity.expect_insert_api_key().returning(move |key| {
        record(&log, format!("insert {}", key.hash.to_hex()));
        Ok(())
    });
    let mut mailboxes = MockMailboxRepository::new();
    mailboxes
        .expect_insert()
        .returning(|_| Err(RepositoryError::Conflict("exists".to_owned())));
    let mut agents = MockAgentRepository::new();
    agents
        .expect_default_agent()
        .returning(|_| Ok(Some(AgentId::from(ObjectId::from_parts(100, [5; 5], 1)))));
    let mut clock = MockClock::new();
    clock.expect_now().returning(now);
    let mut ids = MockIdGenerator::new();
    ids.expect_new_id()
        .returning(|| ObjectId::from_parts(200, [6; 5], 1));
    let mut secrets = MockSecretGenerator::new();
    secrets.expect_api_key().returning(|kind| {
        assert_eq!(kind, ApiKeyKind::Workspace);
        fresh_key()
    });
    let saved_key = saved.map(|saved| {
        let mut store = MockDemoKeyStore::new();
        store.expect_load().returning(move || Ok(saved.clone()));
        let log = Arc::clone(writes);
        store.expect_save().returning(move |key| {
            record(&log, format!("save {}", key.expose()));
            Ok(())
        });
        Arc::new(store) as Arc<dyn crate::ports::DemoKeyStore>
    });
    EnsureDemo {
        identity: Arc::new(identity),
        mailboxes: Arc::new(mailboxes),
        agents: Arc::new(agents),
        clock: Arc::new(clock),
        ids: Arc::new(ids),
        secrets: Arc::new(secrets),
        saved_key,
    }
}

fn writes(writes: &Writes) -> Vec<String> {
    writes.lock().expect("not poisoned").clone()
}

/// Save the fresh key, then revoke the demo workspace's key, then store the fresh one.
fn replaced() -> Vec<String> {
    vec![
        format!("save {}", fresh_key().expose()),
        format!("revoke {}", demo_workspace()),
        format!("insert {}", fresh_key().hash().to_hex()),
    ]
}

#[tokio::test]
async fn a_saved_key_that_still_authenticates_is_handed_out_again_and_nothing_is_written() {
    let log = Writes::default();
    let demo = demo(
        vec![stored(&saved_key(), demo_workspace())],
        Some(Some(format!("{}\n", saved_key().expose()))),
        &log,
    )
    .execute()
    .await
    .expect("the demo is ready");
    assert_eq!(demo.workspace_key, saved_key());
    assert_eq!(demo.key_origin, DemoKeyOrigin::Saved);
    assert_eq!(demo.workspace_id, demo_workspace());
    assert_eq!(writes(&log), Vec::<String>::new());
}

#[tokio::test]
async fn a_saved_key_that_does_not_authenticate_is_replaced_by_a_fresh_one_saved_first() {
    let mut revoked = stored(&saved_key(), demo_workspace());
    revoked.revoked_at = Some(now());
    let saved = Some(saved_key().expose().to_owned());
    for (case, keys, saved) in [
        ("revoked", vec![revoked], saved.clone()),
        ("a new database", Vec::new(), saved.clone()),
        ("nothing saved yet", Vec::new(), None),
        (
            "not a key",
            vec![stored(&saved_key(), demo_workspace())],
            Some(format!("{}x", saved_key().expose())),
        ),
        (
            "another workspace's",
            vec![stored(&saved_key(), other_workspace())],
            saved,
        ),
    ] {
        let log = Writes::default();
        let demo = demo(keys, Some(saved), &log)
            .execute()
            .await
            .expect("the demo is ready");
        assert_eq!(demo.workspace_key, fresh_key(), "{case}");
        assert_eq!(demo.key_origin, DemoKeyOrigin::Issued, "{case}");
        assert_eq!(writes(&log), replaced(), "{case}");
    }
}

#[tokio::test]
async fn a_key_that_cannot_be_saved_stops_the_demo_before_the_old_key_is_revoked() {
    let log = Writes::default();
    let mut demo = demo(Vec::new(), None, &log);
    let mut store = MockDemoKeyStore::new();
    store.expect_load().returning(|| Ok(None));
    store
        .expect_save()
        .returning(|_| Err(RepositoryError::Unknown(anyhow::anyhow!("read-only"))));
    demo.saved_key = Some(Arc::new(store));
    let error = demo.execute().await.expect_err("the key cannot be kept");
    assert!(format!("{error:#}").contains("read-only"), "{error:#}");
    assert_eq!(writes(&log), Vec::<String>::new());
}

#[tokio::test]
async fn without_a_store_every_start_issues_a_key() {
    let log = Writes::default();
    let demo = demo(vec![stored(&saved_key(), demo_workspace())], None, &log)
        .execute()
        .await
        .expect("the demo is ready");
    assert_eq!(demo.workspace_key, fresh_key());
    assert_eq!(demo.key_origin, DemoKeyOrigin::Issued);
    assert_eq!(writes(&log), replaced()[1..].to_vec());
}

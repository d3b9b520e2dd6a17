//! Listing, reading and creating workspaces: what each kind of key sees, and who may create.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::{DateTime, TimeZone, Utc};
use domain::id::{ObjectId, UserId, WorkspaceId};
use domain::identity::{ApiKeyKind, Role, Workspace, WorkspaceName, WorkspaceRequest};
use domain::listing::PageLimit;
use domain::problem::{JsonPointer, ProblemCode, Problems};

use super::{CreateWorkspaceError, GetWorkspaceError, WorkspaceQuery, WorkspaceView, Workspaces};
use crate::ports::{MockClock, MockIdGenerator, MockIdentityRepository};
use crate::use_cases::authenticate::Caller;

fn user_id() -> UserId {
    UserId::from(ObjectId::from_parts(100, [2; 5], 1))
}

fn workspace_id(n: u32) -> WorkspaceId {
    WorkspaceId::from(ObjectId::from_parts(100, [1; 5], n))
}

fn workspace(n: u32) -> Workspace {
    Workspace::new(
        workspace_id(n),
        WorkspaceName::parse(Some(&format!("Workspace {n}"))).expect("a valid name"),
        Utc.timestamp_millis_opt(1_000 * i64::from(n))
            .single()
            .expect("a valid time"),
    )
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 6, 10, 10, 30, 0)
        .single()
        .expect("a valid time")
}

fn platform() -> Caller {
    Caller {
        user_id: user_id(),
        key_kind: ApiKeyKind::Platform,
        key_workspace: None,
    }
}

fn workspace_key_of(n: u32) -> Caller {
    Caller {
        user_id: user_id(),
        key_kind: ApiKeyKind::Workspace,
        key_workspace: Some(workspace_id(n)),
    }
}

/// The user's role in workspaces 1–3; workspace 9 belongs to someone else.
fn role_in(n: u32) -> Option<Role> {
    match n {
        1 => Some(Role::Owner),
        2 => Some(Role::Member),
        3 => Some(Role::Admin),
        _ => None,
    }
}

fn number_of(id: WorkspaceId) -> u32 {
    (1..=9)
        .find(|n| workspace_id(*n) == id)
        .expect("a workspace of the fixture")
}

/// Workspaces 1, 2, 3 and 9 exist; the user is a member of 1–3. `workspaces_of` answers them out of
/// id order, as a store ordering by creation time may.
fn world() -> MockIdentityRepository {
    let mut identity = MockIdentityRepository::new();
    identity.expect_workspaces_of().returning(|user| {
        assert_eq!(user, user_id());
        Ok([3, 1, 2]
            .into_iter()
            .map(|n| (workspace(n), role_in(n).expect("a member")))
            .collect())
    });
    identity
        .expect_role_of()
        .returning(|user, id| Ok(role_in(number_of(id)).filter(|_| user == user_id())));
    identity.expect_find_workspace().returning(|id| {
        Ok([1, 2, 3, 9]
            .contains(&number_of(id))
            .then(|| workspace(number_of(id))))
    });
    identity
}

fn use_case(identity: MockIdentityRepository) -> Workspaces {
    let mut clock = MockClock::new();
    clock.expect_now().returning(now);
    let mut ids = MockIdGenerator::new();
    ids.expect_new_id()
        .returning(|| ObjectId::from_parts(200, [3; 5], 1));
    Workspaces {
        identity: Arc::new(identity),
        clock: Arc::new(clock),
        ids: Arc::new(ids),
    }
}

fn view(n: u32) -> WorkspaceView {
    WorkspaceView {
        workspace: workspace(n),
        role: role_in(n),
    }
}

fn limit(n: i64) -> PageLimit {
    PageLimit::parse(Some(n)).expect("a valid limit")
}

#[tokio::test]
async fn a_platform_key_lists_every_membership_by_id_with_its_role() {
    let page = use_case(world())
        .list(platform(), WorkspaceQuery::default())
        .await
        .expect("a page");
    assert_eq!(page.workspaces, vec![view(1), view(2), view(3)]);
    assert_eq!(page.total, 3);
    assert!(!page.has_more);
}

#[tokio::test]
async fn the_list_pages_after_the_cursor_and_counts_every_workspace() {
    let workspaces = use_case(world());
    let first = workspaces
        .list(
            platform(),
            WorkspaceQuery {
                after: None,
                limit: limit(2),
            },
        )
        .await
        .expect("a page");
    assert_eq!(first.workspaces, vec![view(1), view(2)]);
    assert_eq!((first.total, first.has_more), (3, true));
    let second = workspaces
        .list(
            platform(),
            WorkspaceQuery {
                after: Some(workspace_id(2)),
                limit: limit(2),
            },
        )
        .await
        .expect("a page");
    assert_eq!(second.workspaces, vec![view(3)]);
    assert_eq!((second.total, second.has_more), (3, false));
}

#[tokio::test]
async fn a_workspace_key_lists_only_its_own_workspace() {
    // No `workspaces_of`: the user's other memberships are never even read.
    let mut identity = MockIdentityRepository::new();
    identity
        .expect_find_workspace()
        .returning(|id| Ok(Some(workspace(number_of(id)))));
    identity
        .expect_role_of()
        .returning(|_, id| Ok(role_in(number_of(id))));
    let page = use_case(identity)
        .list(workspace_key_of(2), WorkspaceQuery::default())
        .await
        .expect("a page");
    assert_eq!(page.workspaces, vec![view(2)]);
    assert_eq!((page.total, page.has_more), (1, false));
}

#[tokio::test]
async fn a_platform_key_reads_a_workspace_it_is_a_member_of_and_nothing_else() {
    let workspaces = use_case(world());
    for n in [1, 2, 3] {
        let read = workspaces
            .get(platform(), &workspace_id(n).to_string())
            .await
            .expect("a member reads it");
        assert_eq!(read, view(n));
    }
    for raw in [workspace_id(9).to_string(), workspace_id(7).to_string()] {
        assert!(matches!(
            workspaces.get(platform(), &raw).await,
            Err(GetWorkspaceError::NotFound)
        ));
    }
}

#[tokio::test]
async fn a_workspace_key_reads_its_own_workspace_only() {
    let workspaces = use_case(world());
    let own = workspaces
        .get(workspace_key_of(2), &workspace_id(2).to_string())
        .await
        .expect("its own workspace");
    assert_eq!(own, view(2));
    // Workspace 1 is its user's too, but not the key's.
    for n in [1, 9] {
        assert!(matches!(
            workspaces
                .get(workspace_key_of(2), &workspace_id(n).to_string())
                .await,
            Err(GetWorkspaceError::NotFound)
        ));
    }
}

#[tokio::test]
async fn a_path_id_that_is_not_an_id_names_no_workspace() {
    let workspaces = use_case(MockIdentityRepository::new());
    for raw in ["", "nope", "ABCDEF0123456789ABCDEF01"] {
        assert!(matches!(
            workspaces.get(platform(), raw).await,
            Err(GetWorkspaceError::NotFound)
        ));
    }
}

#[tokio::test]
async fn a_platform_key_creates_a_workspace_its_user_owns() {
    let stored = Arc::new(AtomicBool::new(false));
    let mut identity = MockIdentityRepository::new();
    let flag = stored.clone();
    identity
        .expect_insert_workspace()
        .times(1)
        .returning(move |workspace, owner| {
            assert_eq!(owner, user_id());
            assert_eq!(workspace.name().as_str(), "Globex");
            assert_eq!(workspace.created_at(), now());
            flag.store(true, Ordering::SeqCst);
            Ok(())
        });
    let created = use_case(identity)
        .create(
            platform(),
            &WorkspaceRequest {
                name: Some("  Globex ".to_owned()),
            },
            Problems::new(),
        )
        .await
        .expect("created");
    assert!(stored.load(Ordering::SeqCst));
    assert_eq!(created.role, Some(Role::Owner));
    assert_eq!(created.workspace.name().as_str(), "Globex");
    assert_eq!(
        created.workspace.id(),
        WorkspaceId::from(ObjectId::from_parts(200, [3; 5], 1))
    );
}

#[tokio::test]
async fn a_workspace_key_may_not_create_a_workspace_even_with_a_broken_body() {
    // No insert expected: any write would fail the test.
    let workspaces = use_case(MockIdentityRepository::new());
    for name in [Some("Globex".to_owned()), None] {
        assert!(matches!(
            workspaces
                .create(
                    workspace_key_of(1),
                    &WorkspaceRequest { name },
                    Problems::new()
                )
                .await,
            Err(CreateWorkspaceError::PlatformKeyRequired)
        ));
    }
}

#[tokio::test]
async fn every_problem_of_the_body_is_reported_and_nothing_is_stored() {
    let workspaces = use_case(MockIdentityRepository::new());
    let mut edge = Problems::new();
    edge.add(
        JsonPointer::root().field("nmae"),
        ProblemCode::UnknownField,
        "unknown field \"nmae\"",
    );
    let Err(CreateWorkspaceError::Invalid(problems)) = workspaces
        .create(platform(), &WorkspaceRequest::default(), edge)
        .await
    else {
        panic!("an invalid body");
    };
    let found: Vec<(String, ProblemCode)> = problems
        .iter()
        .map(|problem| (problem.pointer().to_string(), problem.code()))
        .collect();
    assert_eq!(
        found,
        [
            ("/nmae".to_owned(), ProblemCode::UnknownField),
            ("/name".to_owned(), ProblemCode::Required),
        ]
    );
    let Err(CreateWorkspaceError::Invalid(problems)) = workspaces
        .create(
            platform(),
            &WorkspaceRequest {
                name: Some("x".repeat(101)),
            },
            Problems::new(),
        )
        .await
    else {
        panic!("a name too long");
    };
    assert_eq!(
        problems
            .iter()
            .map(|problem| problem.code())
            .collect::<Vec<_>>(),
        [ProblemCode::TooLong]
    );
}

//! Reading the account: a platform key only.

use std::sync::Arc;

use chrono::{TimeZone, Utc};
use domain::id::{ObjectId, UserId, WorkspaceId};
use domain::identity::{ApiKeyKind, Role, User, Workspace, WorkspaceName};
use domain::values::EmailAddress;

use super::{Account, ReadAccount, ReadAccountError};
use crate::ports::MockIdentityRepository;
use crate::use_cases::authenticate::Caller;

fn user_id() -> UserId {
    UserId::from(ObjectId::from_parts(100, [2; 5], 1))
}

fn workspace(n: u32, name: &str) -> Workspace {
    Workspace::new(
        WorkspaceId::from(ObjectId::from_parts(100, [1; 5], n)),
        WorkspaceName::parse(Some(name)).expect("a valid name"),
        Utc.timestamp_millis_opt(1_000 * i64::from(n))
            .single()
            .expect("a valid time"),
    )
}

fn user() -> User {
    User::new(
        user_id(),
        EmailAddress::parse("ana@acme.test").expect("a valid address"),
        Utc.timestamp_millis_opt(5).single().expect("a valid time"),
    )
}

#[tokio::test]
async fn a_platform_key_reads_its_users_profile_and_every_membership() {
    let mut identity = MockIdentityRepository::new();
    identity
        .expect_find_user()
        .withf(|id| *id == user_id())
        .returning(|_| Ok(Some(user())));
    identity
        .expect_workspaces_of()
        .withf(|id| *id == user_id())
        .returning(|_| {
            Ok(vec![
                (workspace(1, "Acme"), Role::Owner),
                (workspace(2, "Globex"), Role::Member),
            ])
        });
    let account = ReadAccount {
        identity: Arc::new(identity),
    }
    .execute(Caller {
        user_id: user_id(),
        key_kind: ApiKeyKind::Platform,
        key_workspace: None,
    })
    .await
    .expect("the account");
    assert_eq!(
        account,
        Account {
            user: user(),
            workspaces: vec![
                (workspace(1, "Acme"), Role::Owner),
                (workspace(2, "Globex"), Role::Member),
            ],
        }
    );
}

#[tokio::test]
async fn a_workspace_key_may_not_read_the_account_and_nothing_is_looked_up() {
    // No expectations: any lookup would fail the test.
    let use_case = ReadAccount {
        identity: Arc::new(MockIdentityRepository::new()),
    };
    let refused = use_case
        .execute(Caller {
            user_id: user_id(),
            key_kind: ApiKeyKind::Workspace,
            key_workspace: Some(workspace(1, "Acme").id()),
        })
        .await;
    assert!(
        matches!(refused, Err(ReadAccountError::PlatformKeyRequired)),
        "{refused:?}"
    );
}

//! `IdentityRepository`.

use adapters::OsSecretGenerator;
use application::ports::SecretGenerator;
use domain::id::{UserId, WorkspaceId};
use domain::identity::{ApiKey, ApiKeyKind, Role, User, Workspace, WorkspaceName};
use domain::values::EmailAddress;

use crate::support::*;

fn user(email: &str) -> User {
    User::new(
        new_id(),
        EmailAddress::parse(email).expect("valid address"),
        at(0),
    )
}

fn workspace(name: &str, created_ms: i64) -> Workspace {
    Workspace::new(
        new_id(),
        WorkspaceName::parse(Some(name)).expect("valid name"),
        at(created_ms),
    )
}

fn key(kind: ApiKeyKind, user: UserId, workspace: Option<WorkspaceId>) -> ApiKey {
    ApiKey::issue(
        new_id(),
        &OsSecretGenerator.api_key(kind),
        user,
        workspace,
        at(7),
    )
}

#[tokio::test]
async fn user_reads_back_by_id_and_by_email_case_insensitively() -> anyhow::Result<()> {
    on_every_backend(async |database| {
        let identity = database.identity();
        let ana = user("Ana@Acme.test");
        identity.insert_user(&ana).await?;

        assert_eq!(identity.find_user(ana.id()).await?, Some(ana.clone()));
        let by_email = identity
            .find_user_by_email(&address("ana@ACME.TEST"))
            .await?;
        assert_eq!(by_email, Some(ana));
        assert_eq!(identity.find_user(new_id()).await?, None);
        assert_eq!(
            identity
                .find_user_by_email(&address("bob@acme.test"))
                .await?,
            None
        );
        Ok(())
    })
    .await
}

#[tokio::test]
async fn user_email_is_unique_case_insensitively() -> anyhow::Result<()> {
    on_every_backend(async |database| {
        let identity = database.identity();
        identity.insert_user(&user("ana@acme.test")).await?;
        let message = conflict_message(identity.insert_user(&user("ANA@acme.test")).await)?;
        assert!(message.contains("email"), "{message}");
        assert_no_sql(&message);
        Ok(())
    })
    .await
}

#[tokio::test]
async fn workspace_creator_is_its_owner_and_others_have_no_role() -> anyhow::Result<()> {
    on_every_backend(async |database| {
        let identity = database.identity();
        let (ana, bob) = (user("ana@acme.test"), user("bob@acme.test"));
        identity.insert_user(&ana).await?;
        identity.insert_user(&bob).await?;
        let acme = workspace("Acme", 0);
        identity.insert_workspace(&acme, ana.id()).await?;

        assert_eq!(
            identity.find_workspace(acme.id()).await?,
            Some(acme.clone())
        );
        assert_eq!(identity.find_workspace(new_id()).await?, None);
        assert_eq!(
            identity.role_of(ana.id(), acme.id()).await?,
            Some(Role::Owner)
        );
        assert_eq!(identity.role_of(bob.id(), acme.id()).await?, None);
        Ok(())
    })
    .await
}

#[tokio::test]
async fn workspace_with_an_unknown_owner_is_not_stored() -> anyhow::Result<()> {
    on_every_backend(async |database| {
        let identity = database.identity();
        let orphan = workspace("Orphan", 0);
        assert!(identity.insert_workspace(&orphan, new_id()).await.is_err());
        assert_eq!(identity.find_workspace(orphan.id()).await?, None);
        Ok(())
    })
    .await
}

#[tokio::test]
async fn workspaces_of_a_user_are_their_memberships_oldest_first() -> anyhow::Result<()> {
    on_every_backend(async |database| {
        let identity = database.identity();
        let (ana, bob) = (user("ana@acme.test"), user("bob@acme.test"));
        identity.insert_user(&ana).await?;
        identity.insert_user(&bob).await?;
        // Made in the opposite order of their creation times.
        let newer = workspace("Newer", 2_000);
        let older = workspace("Older", 1_000);
        identity.insert_workspace(&newer, ana.id()).await?;
        identity.insert_workspace(&older, ana.id()).await?;
        identity
            .insert_workspace(&workspace("Bob's", 500), bob.id())
            .await?;

        assert_eq!(
            identity.workspaces_of(ana.id()).await?,
            vec![(older, Role::Owner), (newer, Role::Owner)]
        );
        assert_eq!(identity.workspaces_of(new_id()).await?, vec![]);
        Ok(())
    })
    .await
}

#[tokio::test]
async fn api_key_is_found_by_its_hash() -> anyhow::Result<()> {
    on_every_backend(async |database| {
        let identity = database.identity();
        let tenant = tenant(&database).await?;
        let platform = key(ApiKeyKind::Platform, tenant.user, None);
        let scoped = key(ApiKeyKind::Workspace, tenant.user, Some(tenant.workspace));
        identity.insert_api_key(&platform).await?;
        identity.insert_api_key(&scoped).await?;

        assert_eq!(identity.find_api_key(platform.hash).await?, Some(platform));
        assert_eq!(identity.find_api_key(scoped.hash).await?, Some(scoped));
        let unknown = OsSecretGenerator.api_key(ApiKeyKind::Workspace).hash();
        assert_eq!(identity.find_api_key(unknown).await?, None);
        Ok(())
    })
    .await
}

#[tokio::test]
async fn workspace_has_at_most_one_live_key_and_revoking_frees_the_place() -> anyhow::Result<()> {
    on_every_backend(async |database| {
        let identity = database.identity();
        let tenant = tenant(&database).await?;
        let other = crate::support::tenant(&database).await?;
        let first = key(ApiKeyKind::Workspace, tenant.user, Some(tenant.workspace));
        identity.insert_api_key(&first).await?;

        let second = key(ApiKeyKind::Workspace, tenant.user, Some(tenant.workspace));
        let message = conflict_message(identity.insert_api_key(&second).await)?;
        assert!(message.contains("workspace"), "{message}");
        assert_no_sql(&message);
        // Other workspaces and platform keys are not affected.
        identity
            .insert_api_key(&key(
                ApiKeyKind::Workspace,
                other.user,
                Some(other.workspace),
            ))
            .await?;
        identity
            .insert_api_key(&key(ApiKeyKind::Platform, tenant.user, None))
            .await?;
        identity
            .insert_api_key(&key(ApiKeyKind::Platform, tenant.user, None))
            .await?;

        assert!(
            identity
                .revoke_workspace_key(tenant.workspace, at(60_000))
                .await?
        );
        let revoked = identity
            .find_api_key(first.hash)
            .await?
            .expect("still found");
        assert_eq!(revoked.revoked_at, Some(at(60_000)));
        assert!(revoked.is_revoked());
        assert!(
            !identity
                .revoke_workspace_key(tenant.workspace, at(60_001))
                .await?
        );

        identity.insert_api_key(&second).await?;
        assert_eq!(identity.find_api_key(second.hash).await?, Some(second));
        // The other workspace's key is still live.
        assert!(
            identity
                .revoke_workspace_key(other.workspace, at(60_002))
                .await?
        );
        Ok(())
    })
    .await
}

#[tokio::test]
async fn a_membership_gives_its_role_and_lists_the_workspace() -> anyhow::Result<()> {
    on_every_backend(async |database| {
        let identity = database.identity();
        let owner = tenant(&database).await?;
        let bob = user("bob@acme.test");
        identity.insert_user(&bob).await?;
        identity
            .add_membership(bob.id(), owner.workspace, Role::Member, at(9))
            .await?;

        assert_eq!(
            identity.role_of(bob.id(), owner.workspace).await?,
            Some(Role::Member)
        );
        let listed: Vec<(WorkspaceId, Role)> = identity
            .workspaces_of(bob.id())
            .await?
            .into_iter()
            .map(|(workspace, role)| (workspace.id(), role))
            .collect();
        assert_eq!(listed, [(owner.workspace, Role::Member)]);
        // The owner's membership is untouched.
        assert_eq!(
            identity.role_of(owner.user, owner.workspace).await?,
            Some(Role::Owner)
        );
        Ok(())
    })
    .await
}

#[tokio::test]
async fn a_user_is_a_member_of_a_workspace_once() -> anyhow::Result<()> {
    on_every_backend(async |database| {
        let identity = database.identity();
        let owner = tenant(&database).await?;
        let message = conflict_message(
            identity
                .add_membership(owner.user, owner.workspace, Role::Admin, at(9))
                .await,
        )?;
        assert!(message.contains("member"), "{message}");
        assert_no_sql(&message);
        assert_eq!(
            identity.role_of(owner.user, owner.workspace).await?,
            Some(Role::Owner),
            "the refused membership changed nothing"
        );
        Ok(())
    })
    .await
}

#[tokio::test]
async fn a_membership_of_an_unknown_user_or_workspace_is_refused() -> anyhow::Result<()> {
    on_every_backend(async |database| {
        let identity = database.identity();
        let owner = tenant(&database).await?;
        let stranger: UserId = new_id();
        let nowhere: WorkspaceId = new_id();
        for (user, workspace) in [(stranger, owner.workspace), (owner.user, nowhere)] {
            let refused = identity
                .add_membership(user, workspace, Role::Member, at(9))
                .await;
            // Refused, and not mistaken for "already a member".
            assert!(
                refused.is_err() && conflict_message(refused).is_err(),
                "an unknown reference must fail, but not as a Conflict"
            );
        }
        assert_eq!(identity.role_of(stranger, owner.workspace).await?, None);
        Ok(())
    })
    .await
}

#[tokio::test]
async fn of_concurrent_live_key_inserts_for_one_workspace_exactly_one_succeeds()
-> anyhow::Result<()> {
    on_every_backend(async |database| {
        let identity = database.identity();
        let tenant = tenant(&database).await?;
        let keys: Vec<ApiKey> = (0..8)
            .map(|_| key(ApiKeyKind::Workspace, tenant.user, Some(tenant.workspace)))
            .collect();
        // All spawned before any is awaited, so they race.
        let inserts: Vec<_> = keys
            .iter()
            .map(|key| {
                let identity = identity.clone();
                let key = key.clone();
                tokio::spawn(async move { identity.insert_api_key(&key).await })
            })
            .collect();
        let mut stored = Vec::new();
        for (key, insert) in keys.iter().zip(inserts) {
            match insert.await? {
                Ok(()) => stored.push(key.hash),
                Err(application::ports::RepositoryError::Conflict(message)) => {
                    assert!(message.contains("workspace"), "{message}");
                }
                Err(other) => return Err(other.into()),
            }
        }
        assert_eq!(stored.len(), 1, "exactly one live key");
        let mut live = 0;
        for key in &keys {
            if let Some(found) = identity.find_api_key(key.hash).await? {
                assert!(!found.is_revoked());
                live += 1;
            }
        }
        assert_eq!(live, 1, "the losers left no row behind");
        Ok(())
    })
    .await
}

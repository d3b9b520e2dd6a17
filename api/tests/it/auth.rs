//! Authentication and tenancy headers (spec section 2), on `POST /v1/campaigns` and its siblings.

use serde_json::json;

use crate::support::*;

const BODY: &str = r#"{"name": "Auth matrix"}"#;
const UNKNOWN_WORKSPACE_KEY: &str = "sk_000000000000000000000000000000000000000000000000";
const UNKNOWN_PLATFORM_KEY: &str = "sk_user_000000000000000000000000000000000000000000000000";

async fn post(app: &TestApp, headers: &[(&str, &str)]) -> TestResponse {
    let mut all = vec![("Content-Type", "application/json")];
    all.extend_from_slice(headers);
    app.post_raw("/v1/campaigns", BODY, &all).await
}

#[tokio::test]
async fn a_request_without_a_key_is_401_unauthorized() {
    on_every_backend(|app| async move {
        post(&app, &[]).await.assert_error(401, "UNAUTHORIZED");
        post(&app, &[("X-Api-Key", "  ")])
            .await
            .assert_error(401, "UNAUTHORIZED");
        app.assert_nothing_stored();
    })
    .await;
}

#[tokio::test]
async fn an_unknown_or_malformed_key_is_401_unauthorized() {
    on_every_backend(|app| async move {
        for key in [
            UNKNOWN_WORKSPACE_KEY,
            UNKNOWN_PLATFORM_KEY,
            "nope",
            "sk_XYZ",
        ] {
            post(&app, &[("X-Api-Key", key)])
                .await
                .assert_error(401, "UNAUTHORIZED");
            let bearer = format!("Bearer {key}");
            post(&app, &[("Authorization", &bearer)])
                .await
                .assert_error(401, "UNAUTHORIZED");
        }
        let basic = format!("Basic {}", app.workspace.workspace_key);
        post(&app, &[("Authorization", &basic)])
            .await
            .assert_error(401, "UNAUTHORIZED");
        app.assert_nothing_stored();
    })
    .await;
}

#[tokio::test]
async fn the_key_may_come_as_a_bearer_token() {
    on_every_backend(|app| async move {
        let bearer = format!("Bearer {}", app.workspace.workspace_key);
        let response = post(&app, &[("Authorization", &bearer)]).await;
        assert_eq!(
            response.created()["workspaceId"],
            app.workspace.workspace_id
        );
    })
    .await;
}

#[tokio::test]
async fn both_headers_with_the_same_key_are_accepted_and_with_different_keys_are_400() {
    on_every_backend(|app| async move {
        let bearer = format!("Bearer {}", app.workspace.workspace_key);
        let same = post(
            &app,
            &[
                ("X-Api-Key", &app.workspace.workspace_key),
                ("Authorization", &bearer),
            ],
        )
        .await;
        same.created();
        let other = format!("Bearer {}", app.workspace.platform_key);
        let different = post(
            &app,
            &[
                ("X-Api-Key", &app.workspace.workspace_key),
                ("Authorization", &other),
            ],
        )
        .await;
        different.assert_error(400, "CONFLICTING_API_KEYS");
        assert_eq!(
            app.campaigns_stored(),
            1,
            "only the accepted request stored"
        );
    })
    .await;
}

#[tokio::test]
async fn a_platform_key_without_x_workspace_id_is_400_workspace_required() {
    on_every_backend(|app| async move {
        post(&app, &[("X-Api-Key", &app.workspace.platform_key)])
            .await
            .assert_error(400, "WORKSPACE_REQUIRED");
        post(
            &app,
            &[
                ("X-Api-Key", &app.workspace.platform_key),
                ("X-Workspace-Id", "not-an-id"),
            ],
        )
        .await
        .assert_error(400, "WORKSPACE_REQUIRED");
        app.assert_nothing_stored();
    })
    .await;
}

#[tokio::test]
async fn a_platform_key_with_its_own_workspace_acts_there() {
    on_every_backend(|app| async move {
        let response = post(
            &app,
            &[
                (
                    "Authorization",
                    &format!("Bearer {}", app.workspace.platform_key),
                ),
                ("X-Workspace-Id", &app.workspace.workspace_id),
            ],
        )
        .await;
        let data = response.created();
        assert_eq!(data["workspaceId"], app.workspace.workspace_id);
        assert_eq!(data["userId"], app.workspace.user_id);
    })
    .await;
}

#[tokio::test]
async fn a_platform_key_naming_a_workspace_its_user_is_not_a_member_of_is_403() {
    on_every_backend(|app| async move {
        let (rival, _, _) = app.other_workspace().await;
        post(
            &app,
            &[
                ("X-Api-Key", &app.workspace.platform_key),
                ("X-Workspace-Id", &rival.workspace_id),
            ],
        )
        .await
        .assert_error(403, "FORBIDDEN");
        // A workspace that does not exist at all answers the same.
        post(
            &app,
            &[
                ("X-Api-Key", &app.workspace.platform_key),
                ("X-Workspace-Id", "0123456789abcdef01234567"),
            ],
        )
        .await
        .assert_error(403, "FORBIDDEN");
        app.assert_nothing_stored();
    })
    .await;
}

#[tokio::test]
async fn a_workspace_key_may_name_only_its_own_workspace() {
    on_every_backend(|app| async move {
        let own = post(
            &app,
            &[
                ("X-Api-Key", &app.workspace.workspace_key),
                ("X-Workspace-Id", &app.workspace.workspace_id),
            ],
        )
        .await;
        own.created();
        let (rival, _, _) = app.other_workspace().await;
        post(
            &app,
            &[
                ("X-Api-Key", &app.workspace.workspace_key),
                ("X-Workspace-Id", &rival.workspace_id),
            ],
        )
        .await
        .assert_error(403, "FORBIDDEN");
        assert_eq!(
            app.campaigns_stored(),
            1,
            "only the accepted request stored"
        );
    })
    .await;
}

#[tokio::test]
async fn authentication_comes_before_the_body_is_read() {
    on_every_backend(|app| async move {
        let malformed = app
            .post_raw(
                "/v1/campaigns",
                "{not json",
                &[("Content-Type", "application/json")],
            )
            .await;
        malformed.assert_error(401, "UNAUTHORIZED");
        let wrong_type = app
            .post_raw("/v1/campaigns", "name=x", &[("Content-Type", "text/plain")])
            .await;
        wrong_type.assert_error(401, "UNAUTHORIZED");
    })
    .await;
}

#[tokio::test]
async fn the_mailbox_and_agent_endpoints_need_a_key_too() {
    on_every_backend(|app| async move {
        for (path, body) in [
            (
                "/v1/mailboxes",
                json!({"email": "new@acme.example.com", "provider": "gmail"}),
            ),
            ("/v1/agents", json!({"name": "Agent"})),
        ] {
            app.post_raw(
                path,
                body.to_string(),
                &[("Content-Type", "application/json")],
            )
            .await
            .assert_error(401, "UNAUTHORIZED");
            app.post_raw(
                path,
                body.to_string(),
                &[
                    ("Content-Type", "application/json"),
                    ("X-Api-Key", &app.workspace.platform_key),
                ],
            )
            .await
            .assert_error(400, "WORKSPACE_REQUIRED");
        }
    })
    .await;
}

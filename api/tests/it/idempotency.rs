//! `Idempotency-Key` on POSTs (issue 8): replay, key reuse, concurrent duplicates, scope.

use futures_util::future::join_all;
use serde_json::{Value, json};

use crate::support::*;

const KEY: &str = "6f1d0c2e-7d4b-4d8e-9a57-0c3e5b1f2a90";

/// `POST path` with the workspace key, an `Idempotency-Key` and these body bytes.
async fn post_with_key(app: &TestApp, path: &str, body: &str, key: &str) -> TestResponse {
    post_as(app, &app.workspace.workspace_key, path, body, key).await
}

async fn post_as(
    app: &TestApp,
    api_key: &str,
    path: &str,
    body: &str,
    idempotency_key: &str,
) -> TestResponse {
    app.post_raw(
        path,
        body.to_owned(),
        &[
            ("Content-Type", "application/json"),
            ("X-Api-Key", api_key),
            ("Idempotency-Key", idempotency_key),
        ],
    )
    .await
}

fn startable(name: &str) -> Value {
    json!({
        "name": name,
        "sequence": [{"type": "email", "subject": "Hi {{firstName}}", "body": "Hello"}],
        "mailboxTags": ["outreach"],
    })
}

#[tokio::test]
async fn a_retry_with_the_same_key_and_body_replays_the_first_answer_and_creates_nothing_more() {
    on_every_backend(|app| async move {
        let first = post_with_key(&app, "/v1/campaigns", SEED_BODY, KEY).await;
        first.created();
        assert_eq!(first.header("Idempotent-Replayed"), None);
        let retry = post_with_key(&app, "/v1/campaigns", SEED_BODY, KEY).await;
        assert_eq!(retry.status, 201);
        assert_eq!(
            retry.text, first.text,
            "the replay is the first answer, byte for byte"
        );
        assert_eq!(retry.header("Idempotent-Replayed"), Some("true"));
        assert_eq!(retry.header("Content-Type"), first.header("Content-Type"));
        assert_eq!(app.campaigns_stored(), 1);
    })
    .await;
}

#[tokio::test]
async fn the_same_key_with_a_different_body_is_422_idempotency_key_reused_and_changes_nothing() {
    on_every_backend(|app| async move {
        let body = json!({"name": "First"}).to_string();
        post_with_key(&app, "/v1/campaigns", &body, KEY)
            .await
            .created();
        let other = json!({"name": "Second"}).to_string();
        post_with_key(&app, "/v1/campaigns", &other, KEY)
            .await
            .assert_error(422, "IDEMPOTENCY_KEY_REUSED");
        // Another path with the key is another request too.
        post_with_key(&app, "/v1/agents", &json!({"name": "Ava"}).to_string(), KEY)
            .await
            .assert_error(422, "IDEMPOTENCY_KEY_REUSED");
        assert_eq!(app.campaigns_stored(), 1);
    })
    .await;
}

#[tokio::test]
async fn concurrent_duplicates_create_one_campaign_and_all_get_its_answer() {
    on_every_backend(|app| async move {
        let attempts = (0..8).map(|_| post_with_key(&app, "/v1/campaigns", SEED_BODY, KEY));
        let answers = join_all(attempts).await;
        let ids: Vec<&Value> = answers
            .iter()
            .map(|answer| &answer.created()["_id"])
            .collect();
        assert!(ids.iter().all(|id| *id == ids[0]), "{ids:?}");
        assert_eq!(app.campaigns_stored(), 1);
    })
    .await;
}

#[tokio::test]
async fn a_refused_request_frees_its_key_for_the_corrected_request() {
    on_every_backend(|app| async move {
        let invalid = json!({"name": ""}).to_string();
        post_with_key(&app, "/v1/campaigns", &invalid, KEY)
            .await
            .assert_error(400, "VALIDATION_FAILED");
        app.assert_nothing_stored();
        let corrected = json!({"name": "Fixed"}).to_string();
        post_with_key(&app, "/v1/campaigns", &corrected, KEY)
            .await
            .created();
        assert_eq!(app.campaigns_stored(), 1);
    })
    .await;
}

#[tokio::test]
async fn a_key_belongs_to_its_workspace_and_is_never_replayed_to_another() {
    on_every_backend(|app| async move {
        let body = json!({"name": "Ours"}).to_string();
        let ours = post_with_key(&app, "/v1/campaigns", &body, KEY).await;
        let (rival, _, _) = app.other_workspace().await;
        let theirs = post_as(&app, &rival.workspace_key, "/v1/campaigns", &body, KEY).await;
        assert_ne!(theirs.created()["_id"], ours.created()["_id"]);
        assert_eq!(theirs.header("Idempotent-Replayed"), None);
        assert_eq!(app.campaigns_stored(), 2);
    })
    .await;
}

#[tokio::test]
async fn a_replay_needs_a_key_that_authenticates() {
    on_every_backend(|app| async move {
        let body = json!({"name": "Ours"}).to_string();
        post_with_key(&app, "/v1/campaigns", &body, KEY)
            .await
            .created();
        let unknown_key = format!("sk_{}", "0".repeat(48));
        post_as(&app, &unknown_key, "/v1/campaigns", &body, KEY)
            .await
            .assert_error(401, "UNAUTHORIZED");
    })
    .await;
}

#[tokio::test]
async fn a_replay_is_never_given_to_a_request_its_route_would_refuse() {
    on_every_backend(|app| async move {
        let body = json!({"name": "Ours"}).to_string();
        post_with_key(&app, "/v1/campaigns", &body, KEY)
            .await
            .created();
        let (rival, _, _) = app.other_workspace().await;
        for (workspace_header, status, error_code) in [
            ("", 400, "WORKSPACE_REQUIRED"),
            (rival.workspace_id.as_str(), 403, "FORBIDDEN"),
        ] {
            let answer = app
                .post_raw(
                    "/v1/campaigns",
                    body.clone(),
                    &[
                        ("Content-Type", "application/json"),
                        ("X-Api-Key", &app.workspace.workspace_key),
                        ("X-Workspace-Id", workspace_header),
                        ("Idempotency-Key", KEY),
                    ],
                )
                .await;
            answer.assert_error(status, error_code);
        }
        assert_eq!(app.campaigns_stored(), 1);
    })
    .await;
}

#[tokio::test]
async fn an_idempotency_key_must_be_1_to_255_printable_ascii_characters() {
    on_every_backend(|app| async move {
        let body = json!({"name": "Never"}).to_string();
        for key in ["k".repeat(256), "clé".to_owned()] {
            post_with_key(&app, "/v1/campaigns", &body, &key)
                .await
                .assert_error(400, "VALIDATION_FAILED");
        }
        app.assert_nothing_stored();
    })
    .await;
}

#[tokio::test]
async fn a_retried_lifecycle_action_replays_its_answer_instead_of_refusing_the_transition() {
    on_every_backend(|app| async move {
        let id = app.create_campaign(&startable("Launch")).await;
        let path = format!("/v1/campaigns/{id}/start");
        let started = post_with_key(&app, &path, "", KEY).await;
        assert_eq!(started.ok()["status"], "active");
        let retried = post_with_key(&app, &path, "", KEY).await;
        assert_eq!(retried.status, 200, "{}", retried.text);
        assert_eq!(retried.text, started.text);
        // Without the key, the same request runs again and is refused: it is already active.
        app.campaign_action(&id, "start")
            .await
            .assert_error(409, "INVALID_STATE_TRANSITION");
    })
    .await;
}

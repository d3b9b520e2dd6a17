//! `POST /v1/agents` (mailboxes: see `mailboxes.rs`).

use serde_json::json;

use crate::support::*;

#[tokio::test]
async fn the_first_agent_is_the_default_and_a_fourth_is_409_conflict() {
    on_every_backend(|app| async move {
        let body = json!({"name": "Ava", "companyInfo": {"name": "Acme", "description": "Widgets"},
                          "persona": {"tone": "warm", "role": "SDR", "communicationStyle": "brief"}});
        let first = app.post_json("/v1/agents", &body).await;
        let data = first.created();
        let mut expected = json!({
            "workspaceId": app.workspace.workspace_id,
            "name": "Ava",
            "companyInfo": {"name": "Acme", "description": "Widgets"},
            "persona": {"tone": "warm", "role": "SDR", "communicationStyle": "brief", "customInstructions": null},
            "isDefault": true,
        });
        expected["_id"] = data["_id"].clone();
        expected["createdAt"] = data["createdAt"].clone();
        assert_eq!(*data, expected);

        for name in ["Ben", "Cy"] {
            let next = app.post_json("/v1/agents", &json!({"name": name})).await;
            assert_eq!(next.created()["isDefault"], false);
        }
        let fourth = app.post_json("/v1/agents", &json!({"name": "Dee"})).await;
        fourth.assert_error(409, "CONFLICT");
    })
    .await;
}

#[tokio::test]
async fn an_invalid_agent_lists_every_problem() {
    on_every_backend(|app| async move {
        let response = app
            .post_json(
                "/v1/agents",
                &json!({"name": " ", "persona": {"tone": 3, "mood": "x"}}),
            )
            .await;
        response.assert_error(400, "VALIDATION_FAILED");
        assert_eq!(
            response.problems(),
            [
                ("/name", "blank"),
                ("/persona/tone", "invalid_type"),
                ("/persona/mood", "unknown_field")
            ]
            .map(|(pointer, code)| (pointer.to_owned(), code.to_owned()))
        );
    })
    .await;
}

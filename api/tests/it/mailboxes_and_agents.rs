//! `POST /v1/mailboxes` and `POST /v1/agents`.

use serde_json::json;

use crate::support::*;

#[tokio::test]
async fn registering_a_mailbox_answers_201_with_it() {
    on_every_backend(|app| async move {
        let response = app
            .post_json(
                "/v1/mailboxes",
                &json!({"email": "Casey@Acme.example.com", "provider": "outlook",
                        "displayName": "Casey", "tags": ["Outreach", "eu"], "dailySendLimit": 30}),
            )
            .await;
        let data = response.created();
        assert!(is_object_id(data["_id"].as_str().unwrap_or_default()));
        assert!(is_wire_timestamp(
            data["createdAt"].as_str().unwrap_or_default()
        ));
        let mut expected = json!({
            "workspaceId": app.workspace.workspace_id,
            "email": "Casey@Acme.example.com",
            "provider": "outlook",
            "displayName": "Casey",
            "tags": ["Outreach", "eu"],
            "dailySendLimit": 30,
            "sendingEnabled": true,
            "signature": null,
            "status": "active",
        });
        for server_made in ["_id", "createdAt", "updatedAt"] {
            expected[server_made] = data[server_made].clone();
        }
        assert_eq!(*data, expected);

        // The new mailbox is selectable by campaigns right away.
        let campaign = app
            .post_campaign(&json!({"name": "EU", "mailboxTags": ["EU"]}))
            .await;
        assert_eq!(campaign.created()["mailboxes"], json!([data["_id"]]));
    })
    .await;
}

#[tokio::test]
async fn a_duplicate_mailbox_address_is_409_conflict_case_insensitively() {
    on_every_backend(|app| async move {
        let response = app
            .post_json(
                "/v1/mailboxes",
                &json!({"email": "ALEX@acme.example.com", "provider": "gmail"}),
            )
            .await;
        response.assert_error(409, "CONFLICT");
        assert_eq!(
            response.problems(),
            [("/email".to_owned(), "duplicate".to_owned())]
        );
    })
    .await;
}

#[tokio::test]
async fn an_invalid_mailbox_lists_every_problem() {
    on_every_backend(|app| async move {
        let response = app
            .post_json(
                "/v1/mailboxes",
                &json!({"email": "not an address", "password": "hunter2", "tags": ["x", 1], "dailySendLimit": 51}),
            )
            .await;
        response.assert_error(400, "VALIDATION_FAILED");
        assert_eq!(
            response.problems(),
            [
                ("/password", "unknown_field"),
                ("/tags/1", "invalid_type"),
                ("/email", "invalid_format"),
                ("/provider", "required"),
                ("/dailySendLimit", "out_of_range"),
            ]
            .map(|(pointer, code)| (pointer.to_owned(), code.to_owned()))
        );
    })
    .await;
}

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
                ("/persona/mood", "unknown_field"),
                ("/persona/tone", "invalid_type"),
                ("/name", "blank")
            ]
            .map(|(pointer, code)| (pointer.to_owned(), code.to_owned()))
        );
    })
    .await;
}

//! Everything a request references lives in its workspace: another workspace's id behaves exactly like
//! an id that does not exist (spec section 2).

use serde_json::json;

use crate::support::*;

#[tokio::test]
async fn another_workspaces_mailbox_is_not_found_and_nothing_is_created() {
    on_every_backend(|app| async move {
        let (_, rival_mailbox, _) = app.other_workspace().await;
        let by_id = app
            .post_campaign(
                &json!({"name": "Poach", "mailboxIds": [rival_mailbox.id().to_string()]}),
            )
            .await;
        by_id.assert_error(400, "MAILBOX_NOT_FOUND");
        assert_eq!(
            by_id.problems(),
            [("/mailboxIds/0".to_owned(), "mailbox_not_found".to_owned())]
        );
        let by_email = app
            .post_campaign(&json!({"name": "Poach", "mailboxEmails": ["REP@rival.example.org"]}))
            .await;
        by_email.assert_error(400, "MAILBOX_NOT_FOUND");
        assert_eq!(
            by_email.problems(),
            [(
                "/mailboxEmails/0".to_owned(),
                "mailbox_not_found".to_owned()
            )]
        );
        app.assert_nothing_stored();
    })
    .await;
}

#[tokio::test]
async fn tag_and_provider_selectors_only_match_the_workspaces_own_mailboxes() {
    on_every_backend(|app| async move {
        // The rival's mailbox is tagged `outreach` and is a gmail one too.
        app.other_workspace().await;
        let response = app
            .post_campaign(&json!({"name": "Mine only", "mailboxTags": ["OUTREACH"], "mailboxProvider": "gmail"}))
            .await;
        assert_eq!(response.created()["mailboxes"], json!(app.mailbox_ids()));
    })
    .await;
}

#[tokio::test]
async fn another_workspaces_agent_is_not_found_and_nothing_is_created() {
    on_every_backend(|app| async move {
        let (_, _, rival_agent) = app.other_workspace().await;
        let named = app
            .post_campaign(&json!({"name": "Borrow", "settings": {
                "aiAgentId": rival_agent.id().to_string(), "aiAgentEnabled": true}}))
            .await;
        named.assert_error(400, "AGENT_NOT_FOUND");
        assert_eq!(
            named.problems(),
            [(
                "/settings/aiAgentId".to_owned(),
                "agent_not_found".to_owned()
            )]
        );
        // The rival's default agent is not this workspace's default either.
        let defaulted = app
            .post_campaign(&json!({"name": "Borrow", "settings": {"aiAgentEnabled": true}}))
            .await;
        defaulted.assert_error(400, "AGENT_NOT_FOUND");
        app.assert_nothing_stored();
    })
    .await;
}

#[tokio::test]
async fn a_campaign_is_stored_in_the_callers_workspace_only() {
    on_every_backend(|app| async move {
        let (rival, _, _) = app.other_workspace().await;
        let response = app.post_campaign(&json!({"name": "Mine"})).await;
        let id = response.created()["_id"]
            .as_str()
            .expect("an id")
            .to_owned();
        assert!(
            app.stored_campaign(&app.workspace.workspace_id, &id)
                .await
                .is_some()
        );
        assert!(
            app.stored_campaign(&rival.workspace_id, &id)
                .await
                .is_none()
        );
    })
    .await;
}

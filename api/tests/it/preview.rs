//! `POST /v1/campaigns/{id}/preview-email` end to end on every backend (SENDING.md section 6): the
//! seed's steps rendered for a lead from a mailbox, refusals by pointer, tenancy, nothing changed.

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::*;

fn seed() -> Value {
    serde_json::from_str(SEED_BODY).expect("the seed is JSON")
}

async fn preview(app: &TestApp, campaign: &str, body: &Value) -> TestResponse {
    app.post_json(&format!("/v1/campaigns/{campaign}/preview-email"), body)
        .await
}

async fn lead(app: &TestApp) -> String {
    let created = app
        .post_json(
            "/v1/leads",
            &json!({"email": "ada@prospect.example.com", "firstName": "Ada", "companyName": "Acme & Co"}),
        )
        .await;
    created.created()["_id"].as_str().expect("an id").to_owned()
}

#[tokio::test]
async fn a_preview_renders_a_step_for_the_lead_from_the_mailbox_and_changes_nothing() {
    on_every_backend(|app| async move {
        let campaign = app.create_campaign(&seed()).await;
        let lead = lead(&app).await;
        let mailbox = app.mailbox_ids()[1].clone();
        app.send(
            Method::PATCH,
            &format!("/v1/mailboxes/{mailbox}"),
            Some(&json!({"signature": "<p>Sam, Acme</p>"})),
        )
        .await
        .ok();
        let shown = preview(
            &app,
            &campaign,
            &json!({"sequenceStep": 0, "leadId": lead, "mailboxId": mailbox}),
        )
        .await;
        let data = shown.ok();
        assert_eq!(data["subject"], "Quick question about Acme & Co");
        let body = data["body"].as_str().expect("a body");
        assert!(
            body.starts_with("<p>Hi Ada,</p><p>I noticed Acme &amp; Co is scaling fast."),
            "{body}"
        );
        assert!(
            body.ends_with("<p>Sam, Acme</p>"),
            "the signature ends the body: {body}"
        );
        let text = data["text"].as_str().expect("a text part");
        assert!(
            text.contains("I noticed Acme & Co is scaling fast."),
            "{text}"
        );
        assert!(!text.contains('<'), "{text}");
        assert_eq!(data["missingVariables"], json!([]));

        // Without a lead: its variables are listed as missing.
        let bare = preview(&app, &campaign, &json!({"sequenceStep": 2})).await;
        assert_eq!(
            bare.ok()["missingVariables"],
            json!(["companyName", "firstName"])
        );
        app.assert_nothing_changed();
    })
    .await;
}

#[tokio::test]
async fn a_step_that_is_no_email_a_stranger_lead_or_mailbox_and_a_bad_body_are_refused_by_pointer()
{
    on_every_backend(|app| async move {
        let campaign = app.create_campaign(&seed()).await;
        let (_, rival_mailbox, _) = app.other_workspace().await;
        let wait = preview(&app, &campaign, &json!({"sequenceStep": 1})).await;
        wait.assert_error(400, "VALIDATION_FAILED");
        assert_eq!(
            wait.problems(),
            [("/sequenceStep".to_owned(), "invalid_value".to_owned())]
        );

        let stranger = preview(
            &app,
            &campaign,
            &json!({"sequenceStep": 0, "leadId": "0123456789abcdef01234567"}),
        )
        .await;
        stranger.assert_error(400, "VALIDATION_FAILED");
        assert_eq!(stranger.problems()[0].0, "/leadId");

        let theirs = preview(
            &app,
            &campaign,
            &json!({"sequenceStep": 0, "mailboxId": rival_mailbox.id().to_string()}),
        )
        .await;
        theirs.assert_error(400, "MAILBOX_NOT_FOUND");
        assert_eq!(theirs.problems()[0].0, "/mailboxId");

        let bad = preview(
            &app,
            &campaign,
            &json!({"leadId": "nope", "variant": "AB", "surprise": true}),
        )
        .await;
        bad.assert_error(400, "VALIDATION_FAILED");
        let pointers: Vec<String> = bad
            .problems()
            .into_iter()
            .map(|(pointer, _)| pointer)
            .collect();
        for pointer in ["/sequenceStep", "/leadId", "/variant", "/surprise"] {
            assert!(
                pointers.iter().any(|found| found == pointer),
                "{pointer}: {pointers:?}"
            );
        }
        app.assert_nothing_changed();
    })
    .await;
}

#[tokio::test]
async fn another_workspaces_campaign_has_no_preview() {
    on_every_backend(|app| async move {
        let campaign = app.create_campaign(&seed()).await;
        let (rival, _, _) = app.other_workspace().await;
        let answer = app
            .client
            .post(format!(
                "{}/v1/campaigns/{campaign}/preview-email",
                app.base
            ))
            .header("X-Api-Key", &rival.workspace_key)
            .header("Content-Type", "application/json")
            .body(json!({"sequenceStep": 0}).to_string())
            .send()
            .await
            .expect("the server answers");
        TestResponse::read(answer)
            .await
            .assert_error(404, "NOT_FOUND");
    })
    .await;
}

/// API.md: every POST takes an optional `Idempotency-Key`; a retry with it replays the first answer,
/// and the same key with another body is 422.
#[tokio::test]
async fn a_preview_retried_with_its_idempotency_key_replays_the_first_answer() {
    on_every_backend(|app| async move {
        let campaign = app.create_campaign(&seed()).await;
        let send = |body: Value| {
            app.client
                .post(format!(
                    "{}/v1/campaigns/{campaign}/preview-email",
                    app.base
                ))
                .header("X-Api-Key", &app.workspace.workspace_key)
                .header("Content-Type", "application/json")
                .header("Idempotency-Key", "preview-retry-1")
                .body(body.to_string())
                .send()
        };
        let first =
            TestResponse::read(send(json!({"sequenceStep": 0})).await.expect("answers")).await;
        first.ok();
        assert_eq!(first.header("Idempotent-Replayed"), None);
        let retry =
            TestResponse::read(send(json!({"sequenceStep": 0})).await.expect("answers")).await;
        assert_eq!(retry.header("Idempotent-Replayed"), Some("true"));
        assert_eq!(retry.body, first.body);
        let other =
            TestResponse::read(send(json!({"sequenceStep": 2})).await.expect("answers")).await;
        other.assert_error(422, "IDEMPOTENCY_KEY_REUSED");
    })
    .await;
}

//! Issue 17, end to end on every backend: no stored text holds a control character (a NUL answered 500
//! on PostgreSQL and was stored on SQLite), subjects take no line break, signatures are sanitised, list
//! filters refuse control characters, and webhook URLs cannot reach local addresses by a detour.

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::*;

/// Asserts a 400 `VALIDATION_FAILED` with exactly these `(pointer, code)` problems.
#[track_caller]
fn assert_refused(response: &TestResponse, problems: &[(&str, &str)]) {
    response.assert_error(400, "VALIDATION_FAILED");
    let expected: Vec<(String, String)> = problems
        .iter()
        .map(|(pointer, code)| ((*pointer).to_owned(), (*code).to_owned()))
        .collect();
    assert_eq!(response.problems(), expected, "{}", response.text);
}

fn first_message(response: &TestResponse) -> &str {
    response.body["errors"][0]["message"]
        .as_str()
        .unwrap_or_default()
}

async fn listed(app: &TestApp, path: &str) -> Value {
    app.get_with_key(path).await.ok().clone()
}

async fn patch(app: &TestApp, path: &str, body: &Value) -> TestResponse {
    app.send(Method::PATCH, path, Some(body)).await
}

#[tokio::test]
async fn a_nul_in_a_campaign_name_is_refused_and_nothing_is_stored() {
    on_every_backend(|app| async move {
        let response = app.post_campaign(&json!({"name": "Q2\u{0}Outbound"})).await;
        assert_refused(&response, &[("/name", "invalid_format")]);
        assert_eq!(
            first_message(&response),
            "name must not contain control characters"
        );
        app.assert_nothing_stored();
        assert_eq!(listed(&app, "/v1/campaigns").await, json!([]));

        let id = app.create_campaign(&json!({"name": "Q2 Outbound"})).await;
        let patched = app.patch_campaign(&id, &json!({"name": "\u{0}"})).await;
        assert_refused(&patched, &[("/name", "invalid_format")]);
        app.assert_nothing_changed();
        let read = app.get_with_key(&format!("/v1/campaigns/{id}")).await;
        assert_eq!(read.ok()["name"], "Q2 Outbound");
    })
    .await;
}

#[tokio::test]
async fn cr_lf_in_a_subject_is_refused() {
    on_every_backend(|app| async move {
        let response = app
            .post_campaign(&json!({"name": "Headers", "sequence": [
                {"type": "email", "subject": "Hi\r\nBcc: everyone@example.com", "body": "Hello",
                 "variants": [
                    {"letter": "A", "subject": "Hi\r\nBcc: everyone@example.com", "body": "Hello"},
                    {"letter": "B", "subject": "Hey\n", "body": "Line one\r\nLine\ttwo"}]}]}))
            .await;
        assert_refused(
            &response,
            &[
                ("/sequence/0/subject", "invalid_format"),
                ("/sequence/0/variants/0/subject", "invalid_format"),
                ("/sequence/0/variants/1/subject", "invalid_format"),
            ],
        );
        let plain = app
            .post_campaign(&json!({"name": "Headers", "sequence": [
                {"type": "email", "subject": "Hi\r\nBcc: everyone@example.com", "body": "Hello"}]}))
            .await;
        assert_refused(&plain, &[("/sequence/0/subject", "invalid_format")]);
        assert_eq!(
            first_message(&plain),
            "subject must not contain control characters"
        );
        app.assert_nothing_stored();

        // Line breaks and tabs stay allowed in a body.
        let created = app
            .post_campaign(&json!({"name": "Body", "sequence": [
                {"type": "email", "subject": "Hi", "body": "Line one\r\nLine\ttwo"}]}))
            .await;
        assert_eq!(
            created.created()["sequence"][0]["body"],
            "<p>Line one<br>Line\ttwo</p>"
        );
    })
    .await;
}

#[tokio::test]
async fn a_nul_in_a_mailbox_display_name_is_refused_and_nothing_is_stored() {
    on_every_backend(|app| async move {
        let before = listed(&app, "/v1/mailboxes").await;
        let response = app
            .post_json(
                "/v1/mailboxes",
                &json!({"email": "ana@acme.example.com", "provider": "gmail",
                        "displayName": "Ana\u{0}", "tags": ["eu\u{0}"]}),
            )
            .await;
        assert_refused(
            &response,
            &[
                ("/displayName", "invalid_format"),
                ("/tags/0", "invalid_format"),
            ],
        );
        assert_eq!(listed(&app, "/v1/mailboxes").await, before);

        let id = app.mailbox_ids()[0].clone();
        let path = format!("/v1/mailboxes/{id}");
        let stored = app.get_with_key(&path).await.ok().clone();
        let patched = patch(
            &app,
            &path,
            &json!({"displayName": "Alex\r\nBcc: x@example.com"}),
        )
        .await;
        assert_refused(&patched, &[("/displayName", "invalid_format")]);
        assert_eq!(*app.get_with_key(&path).await.ok(), stored);
    })
    .await;
}

#[tokio::test]
async fn a_signature_with_a_script_is_stored_sanitised() {
    on_every_backend(|app| async move {
        let registered = app
            .post_json(
                "/v1/mailboxes",
                &json!({"email": "ana@acme.example.com", "provider": "gmail",
                        "signature": "<p>Best, <a href=\"javascript:alert(1)\">Ana</a></p>\
                                      <script>alert(1)</script><img src=x onerror=alert(1)>"}),
            )
            .await
            .created()
            .clone();
        let id = registered["_id"].as_str().expect("an _id");
        let path = format!("/v1/mailboxes/{id}");
        let patched = patch(
            &app,
            &path,
            &json!({"signature": "<b onclick=\"steal()\">Cheers</b><style>p{}</style>"}),
        )
        .await
        .ok()
        .clone();
        let reread = app.get_with_key(&path).await.ok().clone();
        assert_eq!(
            [&registered, &patched, &reread].map(|mailbox| mailbox["signature"].clone()),
            [
                json!("<p>Best, <a>Ana</a></p>"),
                json!("<b>Cheers</b>"),
                json!("<b>Cheers</b>"),
            ]
        );

        let nul = patch(&app, &path, &json!({"signature": "Best\u{0}"})).await;
        assert_refused(&nul, &[("/signature", "invalid_format")]);
    })
    .await;
}

#[tokio::test]
async fn a_nul_in_an_agent_field_is_refused_and_nothing_is_stored() {
    on_every_backend(|app| async move {
        let response = app
            .post_json(
                "/v1/agents",
                &json!({"name": "Closer", "companyInfo": {"name": "Acme\u{0}"},
                        "persona": {"tone": "warm", "customInstructions": "x\u{0}"}}),
            )
            .await;
        assert_refused(
            &response,
            &[
                ("/companyInfo/name", "invalid_format"),
                ("/persona/customInstructions", "invalid_format"),
            ],
        );
        assert_eq!(listed(&app, "/v1/agents").await, json!([]));
    })
    .await;
}

#[tokio::test]
async fn a_nul_in_a_workspace_name_is_refused_and_nothing_is_stored() {
    on_every_backend(|app| async move {
        let key = app.workspace.platform_key.clone();
        let before = app
            .request(Method::GET, "/v1/workspaces", &[("X-Api-Key", &key)])
            .await
            .ok()
            .clone();
        let response = app
            .post_raw(
                "/v1/workspaces",
                json!({"name": "Acme\u{0}EU"}).to_string(),
                &[("Content-Type", "application/json"), ("X-Api-Key", &key)],
            )
            .await;
        assert_refused(&response, &[("/name", "invalid_format")]);
        let after = app
            .request(Method::GET, "/v1/workspaces", &[("X-Api-Key", &key)])
            .await;
        assert_eq!(*after.ok(), before);
    })
    .await;
}

#[tokio::test]
async fn list_filters_with_control_characters_are_refused() {
    on_every_backend(|app| async move {
        app.create_campaign(&json!({"name": "Q2 Outbound"})).await;
        for (path, parameter) in [
            ("/v1/campaigns?search=%00", "search"),
            ("/v1/campaigns?search=Q2%00", "search"),
            ("/v1/campaigns?search=Q2%0D%0AOutbound", "search"),
            ("/v1/mailboxes?search=%00", "search"),
            ("/v1/mailboxes?search=alex%7F", "search"),
            ("/v1/mailboxes?tags=a%00b", "tags"),
            ("/v1/mailboxes?tags=outreach,%1B", "tags"),
        ] {
            let response = app.get_with_key(path).await;
            response.assert_error(400, "VALIDATION_FAILED");
            assert_eq!(response.problems(), [], "{path}");
            let message = response.body["message"].as_str().unwrap_or_default();
            assert!(
                message.starts_with(&format!("query parameter {parameter}: "))
                    && message.contains("must not contain control characters"),
                "{path}: {message}"
            );
        }
        // White space around a filter is still trimmed away.
        let trimmed = app.get_with_key("/v1/campaigns?search=%09Q2%0A").await;
        assert_eq!(trimmed.body["pagination"]["total"], 1, "{}", trimmed.text);
    })
    .await;
}

const DETOURS: [&str; 5] = [
    "http://[::ffff:7f00:1]/",
    "http://app.localhost/",
    "http://[::ffff:0:a9fe:a9fe]/latest/meta-data/",
    "http://[64:ff9b::c0a8:1]/",
    "http://[2002:7f00:1::]/",
];

fn webhook_campaign(url: &str) -> Value {
    json!({"name": "Hook", "settings": {"webhook": {
        "enabled": true, "url": url, "events": ["email.sent"]}}})
}

#[tokio::test]
async fn webhook_urls_that_reach_local_addresses_by_a_detour_are_refused() {
    on_every_backend(|app| async move {
        for url in DETOURS
            .into_iter()
            .chain(["http://224.0.0.1/", "http://[ff02::1]/"])
        {
            let response = app.post_campaign(&webhook_campaign(url)).await;
            assert_refused(&response, &[("/settings/webhook/url", "not_allowed")]);
        }
        app.assert_nothing_stored();
    })
    .await;
    on_every_backend_with(Customize::allowing_private_webhooks(), |app| async move {
        for url in DETOURS {
            let response = app.post_campaign(&webhook_campaign(url)).await;
            assert_eq!(response.created()["webhook"]["url"], url);
        }
    })
    .await;
}

//! How a request body is read: a member name repeated within one object is refused (it would silently
//! keep the last), and an unknown member close to a declared one is answered with the likely name.

use serde_json::json;

use crate::support::*;

#[tokio::test]
async fn a_member_repeated_in_one_object_is_a_duplicate_key_and_nothing_is_created() {
    on_every_backend(|app| async move {
        let response = app
            .post_raw(
                "/v1/campaigns",
                r#"{"name": "First", "name": "Second", "settings": {"trackOpens": true, "trackOpens": false}}"#,
                &[
                    ("Content-Type", "application/json"),
                    ("X-Api-Key", &app.workspace.workspace_key),
                ],
            )
            .await;
        response.assert_error(400, "VALIDATION_FAILED");
        assert_eq!(
            response.problems(),
            [
                ("/name".to_owned(), "duplicate_key".to_owned()),
                ("/settings/trackOpens".to_owned(), "duplicate_key".to_owned()),
            ]
        );
        app.assert_nothing_stored();
    })
    .await;
}

#[tokio::test]
async fn a_patch_repeating_a_member_is_refused_and_changes_nothing() {
    on_every_backend(|app| async move {
        let id = app.create_campaign(&json!({"name": "Kept"})).await;
        let response = app
            .request_with_body(
                reqwest::Method::PATCH,
                &format!("/v1/campaigns/{id}"),
                r#"{"name": "A", "name": "B"}"#,
            )
            .await;
        response.assert_error(400, "VALIDATION_FAILED");
        assert_eq!(
            response.problems(),
            [("/name".to_owned(), "duplicate_key".to_owned())]
        );
        app.assert_nothing_changed();
        let read = app.get_with_key(&format!("/v1/campaigns/{id}")).await;
        assert_eq!(read.ok()["name"], "Kept");
    })
    .await;
}

#[tokio::test]
async fn a_mailbox_body_repeating_a_member_is_refused() {
    on_every_backend(|app| async move {
        let response = app
            .post_raw(
                "/v1/mailboxes",
                r#"{"email": "one@dup-test.example", "provider": "gmail", "email": "two@dup-test.example"}"#,
                &[
                    ("Content-Type", "application/json"),
                    ("X-Api-Key", &app.workspace.workspace_key),
                ],
            )
            .await;
        response.assert_error(400, "VALIDATION_FAILED");
        assert_eq!(
            response.problems(),
            [("/email".to_owned(), "duplicate_key".to_owned())]
        );
        let listed = app.get_with_key("/v1/mailboxes?search=dup-test").await;
        assert_eq!(listed.ok().as_array().map(Vec::len), Some(0), "{}", listed.text);
    })
    .await;
}

#[tokio::test]
async fn an_unknown_member_close_to_a_declared_one_is_answered_with_its_likely_name() {
    on_every_backend(|app| async move {
        let response = app
            .post_campaign(&json!({"name": "x", "settings": {"trackOpen": true}}))
            .await;
        response.assert_error(400, "VALIDATION_FAILED");
        assert_eq!(
            response.body["errors"][0]["message"],
            r#"unknown field "trackOpen"; did you mean "trackOpens"?"#
        );
        app.assert_nothing_stored();
    })
    .await;
}

#[tokio::test]
async fn problems_are_listed_in_the_order_of_the_body() {
    on_every_backend(|app| async move {
        // The members in an order unlike the schema's, each with a problem found by a different check.
        let response = app
            .post_raw(
                "/v1/campaigns",
                r#"{"settings": {"dailySendLimit": 0, "trackOpens": "yes"}, "colour": 1, "schedule": {"timezone": "Mars/Olympus"}, "name": " "}"#,
                &[
                    ("Content-Type", "application/json"),
                    ("X-Api-Key", &app.workspace.workspace_key),
                ],
            )
            .await;
        response.assert_error(400, "VALIDATION_FAILED");
        assert_eq!(
            response.problems(),
            [
                ("/settings/dailySendLimit", "out_of_range"),
                ("/settings/trackOpens", "invalid_type"),
                ("/colour", "unknown_field"),
                ("/schedule/timezone", "invalid_value"),
                ("/name", "blank"),
            ]
            .map(|(pointer, code)| (pointer.to_owned(), code.to_owned()))
        );
        app.assert_nothing_stored();
    })
    .await;
}

//! `/v1/dnc…` end to end on every backend (LEADS.md section 3): add in both forms, list, delete,
//! tenancy.

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::*;

async fn add(app: &TestApp, body: &Value) -> TestResponse {
    app.post_json("/v1/dnc", body).await
}

async fn list(app: &TestApp, query: &str) -> TestResponse {
    app.get_with_key(&format!("/v1/dnc?{query}")).await
}

async fn delete(app: &TestApp, id: &str) -> TestResponse {
    app.send(Method::DELETE, &format!("/v1/dnc/{id}"), None)
        .await
}

/// `(email, entryType, reason)` of a page's items, in order.
fn listed(page: &TestResponse) -> Vec<(String, String, String)> {
    page.ok()
        .as_array()
        .expect("data is a list")
        .iter()
        .map(|item| {
            let text = |name: &str| item[name].as_str().unwrap_or("?").to_owned();
            (text("email"), text("entryType"), text("reason"))
        })
        .collect()
}

fn triple(email: &str, kind: &str, reason: &str) -> (String, String, String) {
    (email.to_owned(), kind.to_owned(), reason.to_owned())
}

#[tokio::test]
async fn dnc_accepts_objects_and_plain_strings_lowercased_and_lists_them_newest_first() {
    on_every_backend(|app| async move {
        let objects = add(
            &app,
            &json!({"entries": [
                {"email": "Ada@Example.COM", "reason": "unsubscribe_link"},
                {"domain": "Competitor.example"},
            ], "reason": "complaint"}),
        )
        .await;
        assert_eq!(
            objects.ok(),
            &json!({"added": 2, "skipped": 0, "errors": []})
        );
        let plain = add(
            &app,
            &json!({"entries": ["grace@example.org", "@rival.example", "acme.example"]}),
        )
        .await;
        assert_eq!(plain.ok(), &json!({"added": 3, "skipped": 0, "errors": []}));
        let page = list(&app, "").await;
        assert_eq!(
            listed(&page),
            [
                triple("acme.example", "domain", "manual"),
                triple("rival.example", "domain", "manual"),
                triple("grace@example.org", "email", "manual"),
                triple("competitor.example", "domain", "complaint"),
                triple("ada@example.com", "email", "unsubscribe_link"),
            ]
        );
        let item = &page.ok()[0];
        let mut keys: Vec<&str> = item
            .as_object()
            .expect("an object")
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            [
                "_id",
                "createdAt",
                "email",
                "entryType",
                "reason",
                "unsubscribedAt",
                "updatedAt",
                "workspaceId"
            ]
        );
        assert!(is_object_id(item["_id"].as_str().unwrap_or_default()));
        assert_eq!(item["workspaceId"], app.workspace.workspace_id.as_str());
        assert!(is_wire_timestamp(
            item["unsubscribedAt"].as_str().unwrap_or_default()
        ));
        assert_eq!(item["unsubscribedAt"], item["createdAt"]);
        assert_eq!(
            page.body["pagination"],
            json!({"limit": 25, "total": 5, "hasMore": false, "nextCursor": null})
        );
    })
    .await;
}

#[tokio::test]
async fn dnc_type_forces_the_kind_of_plain_strings() {
    on_every_backend(|app| async move {
        let added = add(
            &app,
            &json!({"entries": ["mail.acme.example"], "type": "domain", "reason": "bounce"}),
        )
        .await;
        assert_eq!(added.ok()["added"], 1);
        let forced_email = add(&app, &json!({"entries": ["acme.example"], "type": "email"})).await;
        assert_eq!(forced_email.ok()["added"], 0);
        assert_eq!(forced_email.ok()["errors"][0]["index"], 0);
        assert_eq!(
            listed(&list(&app, "").await),
            [triple("mail.acme.example", "domain", "bounce")]
        );
    })
    .await;
}

#[tokio::test]
async fn dnc_existing_entries_are_skipped_ignoring_case() {
    on_every_backend(|app| async move {
        add(&app, &json!({"entries": ["ada@example.com", "acme.example"]}))
            .await
            .ok();
        let again = add(
            &app,
            &json!({"entries": ["ADA@example.com", {"domain": "ACME.example"}, "new.example", "new.example"]}),
        )
        .await;
        assert_eq!(again.ok(), &json!({"added": 1, "skipped": 3, "errors": []}));
        assert_eq!(list(&app, "").await.body["pagination"]["total"], 3);
    })
    .await;
}

#[tokio::test]
async fn dnc_invalid_entries_are_reported_by_index_and_the_others_added() {
    on_every_backend(|app| async move {
        let added = add(
            &app,
            &json!({"entries": [
                "ada@example.com",
                "not a domain",
                {"email": "x@y.example", "domain": "y.example"},
                {},
                {"domain": "ok.example", "reason": "spam"},
                "grace@example.org",
            ]}),
        )
        .await;
        let data = added.ok();
        assert_eq!(
            (data["added"].clone(), data["skipped"].clone()),
            (json!(2), json!(0))
        );
        let errors = data["errors"].as_array().expect("a list");
        let indexes: Vec<u64> = errors
            .iter()
            .map(|error| error["index"].as_u64().expect("an index"))
            .collect();
        assert_eq!(indexes, [1, 2, 3, 4]);
        assert_eq!(errors[0]["entry"], "not a domain");
        assert_eq!(errors[2]["entry"], Value::Null);
        assert_eq!(errors[3]["entry"], "ok.example");
        assert!(
            errors
                .iter()
                .all(|error| error["message"].as_str().is_some_and(|m| !m.is_empty())),
            "{errors:?}"
        );
    })
    .await;
}

#[tokio::test]
async fn dnc_more_than_10000_entries_is_400_and_nothing_is_written() {
    on_every_backend(|app| async move {
        let entries: Vec<String> = (0..10_001).map(|n| format!("l{n}@x.example")).collect();
        let refused = add(&app, &json!({"entries": entries})).await;
        refused.assert_error(400, "VALIDATION_FAILED");
        assert_eq!(refused.problems()[0].0, "/entries");
        assert_eq!(list(&app, "").await.body["pagination"]["total"], 0);
        let most: Vec<String> = (0..10_000).map(|n| format!("l{n}@x.example")).collect();
        assert_eq!(
            add(&app, &json!({"entries": most})).await.ok()["added"],
            10_000
        );
    })
    .await;
}

#[tokio::test]
async fn dnc_shape_and_request_level_problems_are_400_with_pointers_and_nothing_is_written() {
    on_every_backend(|app| async move {
        let refused = add(
            &app,
            &json!({"entries": ["ada@example.com", 7, {"emial": "x@y.example"}], "reason": "spam", "typ": "email"}),
        )
        .await;
        refused.assert_error(400, "VALIDATION_FAILED");
        let mut pointers: Vec<String> = refused.problems().into_iter().map(|(p, _)| p).collect();
        pointers.sort();
        assert_eq!(
            pointers,
            ["/entries/1", "/entries/2/emial", "/reason", "/typ"],
            "{}",
            refused.text
        );
        add(&app, &json!({})).await.assert_error(400, "VALIDATION_FAILED");
        assert_eq!(list(&app, "").await.body["pagination"]["total"], 0);
    })
    .await;
}

#[tokio::test]
async fn dnc_list_filters_by_type_and_search_and_pages_by_cursor() {
    on_every_backend(|app| async move {
        for entry in [
            "a@acme.example",
            "b@beta.example",
            "acme.example",
            "c@acme.example",
        ] {
            add(&app, &json!({"entries": [entry]})).await.ok();
        }
        assert_eq!(
            listed(&list(&app, "type=domain").await),
            [triple("acme.example", "domain", "manual")]
        );
        assert_eq!(
            listed(&list(&app, "search=ACME&type=email").await),
            [
                triple("c@acme.example", "email", "manual"),
                triple("a@acme.example", "email", "manual")
            ]
        );
        let first = list(&app, "limit=3").await;
        assert_eq!(first.body["pagination"]["hasMore"], true);
        let cursor = first.body["pagination"]["nextCursor"]
            .as_str()
            .expect("a cursor")
            .to_owned();
        let second = list(&app, &format!("limit=3&cursor={cursor}")).await;
        assert_eq!(
            listed(&second),
            [triple("a@acme.example", "email", "manual")]
        );
        assert_eq!(second.body["pagination"]["total"], 4);
        list(&app, "type=phone")
            .await
            .assert_error(400, "VALIDATION_FAILED");
        list(&app, "limit=0")
            .await
            .assert_error(400, "VALIDATION_FAILED");
        list(&app, "cursor=nope")
            .await
            .assert_error(400, "VALIDATION_FAILED");
    })
    .await;
}

#[tokio::test]
async fn dnc_delete_removes_one_entry_and_then_it_is_404() {
    on_every_backend(|app| async move {
        add(
            &app,
            &json!({"entries": ["ada@example.com", "acme.example"]}),
        )
        .await
        .ok();
        let page = list(&app, "type=domain").await;
        let id = page.ok()[0]["_id"].as_str().expect("an id").to_owned();
        assert_eq!(
            delete(&app, &id).await.ok(),
            &json!({"id": id, "deleted": true})
        );
        delete(&app, &id).await.assert_error(404, "NOT_FOUND");
        delete(&app, "not-an-id")
            .await
            .assert_error(404, "NOT_FOUND");
        assert_eq!(
            listed(&list(&app, "").await),
            [triple("ada@example.com", "email", "manual")]
        );
    })
    .await;
}

#[tokio::test]
async fn dnc_entries_of_another_workspace_are_never_listed_skipped_or_deleted() {
    on_every_backend(|app| async move {
        let (rival, _, _) = app.other_workspace().await;
        let rival_key = [
            ("Content-Type", "application/json"),
            ("X-Api-Key", rival.workspace_key.as_str()),
        ];
        let theirs = app
            .post_raw(
                "/v1/dnc",
                json!({"entries": ["acme.example"]}).to_string(),
                &rival_key,
            )
            .await;
        assert_eq!(theirs.ok()["added"], 1);
        let rival_page = app
            .request(
                Method::GET,
                "/v1/dnc",
                &[("X-Api-Key", rival.workspace_key.as_str())],
            )
            .await;
        let rival_id = rival_page.ok()[0]["_id"]
            .as_str()
            .expect("an id")
            .to_owned();

        assert_eq!(list(&app, "").await.body["pagination"]["total"], 0);
        delete(&app, &rival_id).await.assert_error(404, "NOT_FOUND");
        assert_eq!(
            add(&app, &json!({"entries": ["acme.example"]})).await.ok()["added"],
            1,
            "another workspace's entry never makes one skipped"
        );
        let rival_again = app
            .request(
                Method::GET,
                "/v1/dnc",
                &[("X-Api-Key", rival.workspace_key.as_str())],
            )
            .await;
        assert_eq!(rival_again.body["pagination"]["total"], 1);
    })
    .await;
}

#[tokio::test]
async fn dnc_post_with_an_idempotency_key_is_replayed_not_added_twice() {
    on_every_backend(|app| async move {
        let body = json!({"entries": ["ada@example.com"]}).to_string();
        let headers = [
            ("Content-Type", "application/json"),
            ("X-Api-Key", app.workspace.workspace_key.as_str()),
            ("Idempotency-Key", "dnc-1"),
        ];
        let first = app.post_raw("/v1/dnc", body.clone(), &headers).await;
        assert_eq!(first.ok()["added"], 1);
        let retry = app.post_raw("/v1/dnc", body, &headers).await;
        assert_eq!(retry.header("Idempotent-Replayed"), Some("true"));
        assert_eq!(retry.ok()["added"], 1, "the first answer, replayed");
    })
    .await;
}

/// Rule: the DNC body may hold 10,000 entries even when they pass 1 MiB (objects with long
/// addresses): its bound is the imports' 16 MiB.
#[tokio::test]
async fn dnc_10000_long_entries_past_1_mib_are_read() {
    on_every_backend(|app| async move {
        let local = "a".repeat(60);
        let entries: Vec<Value> = (0..10_000)
            .map(|n| json!({"email": format!("{local}{n}@{local}.example"), "reason": "unsubscribe_link"}))
            .collect();
        let body = json!({"entries": entries});
        assert!(body.to_string().len() > 1024 * 1024);
        assert_eq!(add(&app, &body).await.ok()["added"], 10_000);
    })
    .await;
}

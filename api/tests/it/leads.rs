//! `/v1/leads…` end to end on every backend (LEADS.md sections 1–2): create, bulk import, list with
//! search, tags and cursor, read, PATCH, DELETE, and tenancy.

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::*;

async fn create(app: &TestApp, body: &Value) -> Value {
    app.post_json("/v1/leads", body).await.created().clone()
}

async fn bulk(app: &TestApp, body: &Value) -> TestResponse {
    app.post_json("/v1/leads/bulk", body).await
}

fn id_of(lead: &Value) -> String {
    lead["_id"].as_str().expect("an _id").to_owned()
}

fn emails_of(page: &TestResponse) -> Vec<String> {
    page.ok()
        .as_array()
        .expect("data is a list")
        .iter()
        .map(|lead| lead["email"].as_str().expect("an email").to_owned())
        .collect()
}

/// Sends `method path` with another workspace's key.
async fn as_other(
    app: &TestApp,
    key: &str,
    method: Method,
    path: &str,
    body: Option<&Value>,
) -> TestResponse {
    let mut headers = vec![("X-Api-Key", key)];
    let text = body.map(Value::to_string);
    if text.is_some() {
        headers.push(("Content-Type", "application/json"));
    }
    let mut request = app.client.request(method, format!("{}{path}", app.base));
    for (name, value) in headers {
        request = request.header(name, value);
    }
    if let Some(text) = text {
        request = request.body(text);
    }
    let response = request.send().await.expect("the server answers");
    let status = response.status().as_u16();
    let response_headers = response.headers().clone();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    TestResponse {
        status,
        headers: response_headers,
        text: body.to_string(),
        body,
    }
}

#[tokio::test]
async fn creating_a_lead_answers_201_with_it_and_its_location() {
    on_every_backend(|app| async move {
        let response = app
            .post_json(
                "/v1/leads",
                &json!({"email": "Ada@Example.com", "firstName": "Ada", "country": "gb",
                        "timezone": "europe/london", "tags": ["Fintech"],
                        "customFields": {"lastFunding": "Series B", "employees": 120, "vip": true}}),
            )
            .await;
        let data = response.created().clone();
        let id = id_of(&data);
        assert!(is_object_id(&id));
        assert_eq!(response.header("location"), Some(format!("/v1/leads/{id}").as_str()));
        assert_eq!(data["workspaceId"], app.workspace.workspace_id);
        assert_eq!(data["email"], "Ada@Example.com");
        assert_eq!(data["country"], "GB");
        assert_eq!(data["timezone"], "Europe/London");
        assert_eq!(data["lastName"], Value::Null);
        assert_eq!(
            data["customFields"],
            json!({"lastFunding": "Series B", "employees": 120, "vip": true})
        );
        let read = app.get_with_key(&format!("/v1/leads/{id}")).await;
        // A read adds the campaigns the lead is enrolled in.
        let mut expected = data.clone();
        expected["campaigns"] = json!([]);
        assert_eq!(*read.ok(), expected);
    })
    .await;
}

#[tokio::test]
async fn a_lead_breaking_rules_gets_every_problem_with_its_pointer_and_nothing_is_written() {
    on_every_backend(|app| async move {
        let response = app
            .post_json(
                "/v1/leads",
                &json!({"email": "not-an-address", "country": "XX", "fistName": "Ada",
                        "customFields": {"ok": "x", "nested": {"a": 1}, "1bad": "y"}}),
            )
            .await;
        response.assert_error(400, "VALIDATION_FAILED");
        let pointers: Vec<String> = response
            .problems()
            .into_iter()
            .map(|(pointer, _)| pointer)
            .collect();
        for expected in [
            "/email",
            "/country",
            "/fistName",
            "/customFields/nested",
            "/customFields/1bad",
        ] {
            assert!(
                pointers.contains(&expected.to_owned()),
                "{expected} in {pointers:?}"
            );
        }
        let page = app.get_with_key("/v1/leads").await;
        assert_eq!(page.body["pagination"]["total"], 0);
    })
    .await;
}

#[tokio::test]
async fn an_existing_email_is_a_409_naming_the_existing_lead() {
    on_every_backend(|app| async move {
        let first = create(&app, &json!({"email": "ada@example.com"})).await;
        let again = app
            .post_json("/v1/leads", &json!({"email": "ADA@example.com"}))
            .await;
        again.assert_error(409, "CONFLICT");
        let message = again.body["errors"][0]["message"]
            .as_str()
            .unwrap_or_default();
        assert!(message.contains(&id_of(&first)), "{message}");
    })
    .await;
}

#[tokio::test]
async fn bulk_writes_good_leads_reports_bad_ones_and_turns_unknown_members_into_custom_fields() {
    on_every_backend(|app| async move {
        let response = bulk(
            &app,
            &json!({"leads": [
                {"email": "  grace@EXAMPLE.com ", "firstName": "  Grace   Hopper ", "lastFunding": "Seed", "employees": 12},
                {"email": "broken", "firstName": "X"},
                {"email": "alan@example.com", "firstName": 7},
                {"email": "GRACE@example.com", "firstName": "Again"}
            ], "tag": "webinar"}),
        )
        .await;
        let data = response.ok().clone();
        assert_eq!(
            (&data["imported"], &data["updated"], &data["skipped"], &data["failed"]),
            (&json!(1), &json!(0), &json!(1), &json!(2))
        );
        let errors = data["errors"].as_array().expect("errors");
        assert_eq!(errors[0]["index"], 1);
        assert_eq!(errors[0]["email"], "broken");
        assert!(errors[0]["error"].as_str().unwrap_or_default().contains("/leads/1/email"), "{errors:?}");
        assert_eq!(errors[1]["index"], 2);
        assert!(errors[1]["error"].as_str().unwrap_or_default().contains("/leads/2/firstName"), "{errors:?}");
        let id = data["importedLeadIds"][0].as_str().expect("an id").to_owned();
        let lead = app.get_with_key(&format!("/v1/leads/{id}")).await.ok().clone();
        assert_eq!(lead["email"], "grace@example.com", "data cleanup ran");
        assert_eq!(lead["firstName"], "Grace Hopper");
        assert_eq!(lead["tags"], json!(["webinar"]));
        assert_eq!(lead["customFields"], json!({"lastFunding": "Seed", "employees": 12}));
    })
    .await;
}

#[tokio::test]
async fn bulk_without_skip_duplicates_updates_the_existing_lead_merging_custom_fields_and_tags() {
    on_every_backend(|app| async move {
        let existing = create(
            &app,
            &json!({"email": "ada@example.com", "firstName": "Ada", "jobTitle": "CTO",
                    "tags": ["old"], "customFields": {"a": "1", "b": "2"}}),
        )
        .await;
        let response = bulk(
            &app,
            &json!({"leads": [{"email": "ADA@example.com", "jobTitle": "CEO", "tags": ["new"],
                               "customFields": {"b": "3"}, "c": "4"}],
                    "skipDuplicates": false}),
        )
        .await;
        let data = response.ok();
        assert_eq!(
            (&data["imported"], &data["updated"]),
            (&json!(0), &json!(1))
        );
        let lead = app
            .get_with_key(&format!("/v1/leads/{}", id_of(&existing)))
            .await
            .ok()
            .clone();
        assert_eq!(lead["firstName"], "Ada");
        assert_eq!(lead["jobTitle"], "CEO");
        assert_eq!(lead["tags"], json!(["old", "new"]));
        assert_eq!(lead["customFields"], json!({"a": "1", "b": "3", "c": "4"}));

        let skipped = bulk(
            &app,
            &json!({"leads": [{"email": "ada@example.com", "jobTitle": "CFO"}]}),
        )
        .await;
        assert_eq!(skipped.ok()["skipped"], 1);
        let lead = app
            .get_with_key(&format!("/v1/leads/{}", id_of(&existing)))
            .await
            .ok()
            .clone();
        assert_eq!(lead["jobTitle"], "CEO", "skipDuplicates defaults to true");
    })
    .await;
}

#[tokio::test]
async fn bulk_of_more_than_5000_leads_is_refused_and_nothing_is_written() {
    on_every_backend(|app| async move {
        let leads: Vec<Value> = (0..5_001)
            .map(|index| json!({"email": format!("l{index}@x.io")}))
            .collect();
        let response = bulk(&app, &json!({"leads": leads})).await;
        response.assert_error(400, "VALIDATION_FAILED");
        assert!(
            response
                .problems()
                .contains(&("/leads".to_owned(), "too_many".to_owned())),
            "{:?}",
            response.problems()
        );
        let page = app.get_with_key("/v1/leads").await;
        assert_eq!(page.body["pagination"]["total"], 0);
    })
    .await;
}

/// Rule: the bulk import's body may be as large as 5,000 leads need (16 MiB), past the 1 MiB of
/// other bodies; larger is 413.
#[tokio::test]
async fn a_bulk_of_5000_leads_larger_than_1_mib_is_read_and_16_mib_is_the_bound() {
    on_every_backend(|app| async move {
        let leads: Vec<Value> = (0..5_000)
            .map(|index| {
                json!({"email": format!("lead{index}@example.com"), "firstName": "Ada",
                       "companyName": "Analytical Engines", "notes": "n".repeat(200)})
            })
            .collect();
        let body = json!({"leads": leads});
        assert!(body.to_string().len() > 1024 * 1024);
        let response = bulk(&app, &body).await;
        assert_eq!(response.ok()["imported"], 5_000, "{}", response.text);

        let key = app.workspace.workspace_key.clone();
        let headers = [
            ("Content-Type", "application/json"),
            ("X-Api-Key", key.as_str()),
            ("Idempotency-Key", "too-large-bulk"),
        ];
        let padding = "x".repeat(16 * 1024 * 1024);
        let too_large = app
            .post_raw(
                "/v1/leads/bulk",
                format!(r#"{{"leads": [], "tag": "{padding}"}}"#),
                &headers,
            )
            .await;
        too_large.assert_error(413, "PAYLOAD_TOO_LARGE");
    })
    .await;
}

#[tokio::test]
async fn list_searches_filters_by_tags_and_pages_newest_first() {
    on_every_backend(|app| async move {
        let leads: Vec<Value> = (0..5)
            .map(|index| json!({"email": format!("person{index}@acme.example"), "companyName": format!("Company {index}"),
                                "tags": if index % 2 == 0 { json!(["Even"]) } else { json!([]) }}))
            .collect();
        bulk(&app, &json!({"leads": leads})).await.ok();
        create(&app, &json!({"email": "ada@other.example", "lastName": "Lovelace"})).await;

        let searched = app.get_with_key("/v1/leads?search=LOVE").await;
        assert_eq!(emails_of(&searched), ["ada@other.example"]);
        let short = app.get_with_key("/v1/leads?search=y%202").await;
        assert_eq!(emails_of(&short), ["person2@acme.example"]);
        let tagged = app.get_with_key("/v1/leads?tags=even,missing").await;
        assert_eq!(tagged.body["pagination"]["total"], 3);

        let mut seen = Vec::new();
        let mut path = "/v1/leads?limit=2".to_owned();
        loop {
            let page = app.get_with_key(&path).await;
            assert_eq!(page.body["pagination"]["total"], 6);
            seen.extend(emails_of(&page));
            match page.body["pagination"]["nextCursor"].as_str() {
                Some(cursor) => path = format!("/v1/leads?limit=2&cursor={cursor}"),
                None => break,
            }
        }
        assert_eq!(seen.len(), 6);
        assert_eq!(seen[0], "ada@other.example", "newest first");

        app.get_with_key("/v1/leads?limit=0").await.assert_error(400, "VALIDATION_FAILED");
    })
    .await;
}

#[tokio::test]
async fn patch_merges_custom_fields_removes_null_keys_and_keeps_emails_unique() {
    on_every_backend(|app| async move {
        let lead = create(
            &app,
            &json!({"email": "ada@example.com", "firstName": "Ada", "customFields": {"a": "1", "b": "2"}}),
        )
        .await;
        create(&app, &json!({"email": "grace@example.com"})).await;
        let path = format!("/v1/leads/{}", id_of(&lead));
        let patched = app
            .send(Method::PATCH, &path, Some(&json!({"firstName": null, "customFields": {"a": null, "c": true}})))
            .await;
        let data = patched.ok();
        assert_eq!(data["firstName"], Value::Null);
        assert_eq!(data["customFields"], json!({"b": "2", "c": true}));

        let clash = app.send(Method::PATCH, &path, Some(&json!({"email": "GRACE@example.com"}))).await;
        clash.assert_error(409, "CONFLICT");
        let invalid = app.send(Method::PATCH, &path, Some(&json!({"email": null, "country": "XX"}))).await;
        invalid.assert_error(400, "VALIDATION_FAILED");
        assert_eq!(
            invalid.problems().into_iter().map(|(pointer, _)| pointer).collect::<Vec<_>>(),
            ["/email", "/country"]
        );
    })
    .await;
}

#[tokio::test]
async fn delete_removes_the_lead() {
    on_every_backend(|app| async move {
        let lead = create(&app, &json!({"email": "ada@example.com"})).await;
        let path = format!("/v1/leads/{}", id_of(&lead));
        let deleted = app.send(Method::DELETE, &path, None).await;
        assert_eq!(deleted.ok()["deleted"], true);
        app.get_with_key(&path).await.assert_error(404, "NOT_FOUND");
        app.send(Method::DELETE, &path, None)
            .await
            .assert_error(404, "NOT_FOUND");
        app.get_with_key("/v1/leads/nothex")
            .await
            .assert_error(404, "NOT_FOUND");
    })
    .await;
}

#[tokio::test]
async fn another_workspaces_key_sees_404_and_cannot_patch_or_delete() {
    on_every_backend(|app| async move {
        let lead = create(
            &app,
            &json!({"email": "ada@example.com", "firstName": "Ada"}),
        )
        .await;
        let path = format!("/v1/leads/{}", id_of(&lead));
        let (rival, _, _) = app.other_workspace().await;
        let key = rival.workspace_key.as_str();
        as_other(&app, key, Method::GET, &path, None)
            .await
            .assert_error(404, "NOT_FOUND");
        as_other(
            &app,
            key,
            Method::PATCH,
            &path,
            Some(&json!({"firstName": "Eve"})),
        )
        .await
        .assert_error(404, "NOT_FOUND");
        as_other(&app, key, Method::DELETE, &path, None)
            .await
            .assert_error(404, "NOT_FOUND");
        let listed = as_other(&app, key, Method::GET, "/v1/leads?search=ada", None).await;
        assert_eq!(listed.body["pagination"]["total"], 0);
        // Their own lead with the same email is no conflict.
        let theirs = as_other(
            &app,
            key,
            Method::POST,
            "/v1/leads",
            Some(&json!({"email": "ada@example.com"})),
        )
        .await;
        assert_eq!(theirs.status, 201, "{}", theirs.text);
        let mine = app.get_with_key(&path).await;
        assert_eq!(mine.ok()["firstName"], "Ada");
    })
    .await;
}

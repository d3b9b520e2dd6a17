//! `POST /v1/leads/import/csv` end to end on every backend (LEADS.md section 2): the multipart form in
//! any order, the CSV formats, auto-mapping and explicit mapping, row-numbered errors, the refusals
//! that write nothing, the options, idempotency and tenancy.

use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

use crate::support::*;

const PATH: &str = "/v1/leads/import/csv";

fn file_part(csv: impl Into<Vec<u8>>) -> Part {
    Part::bytes(csv.into())
        .file_name("leads.csv")
        .mime_str("text/csv")
        .expect("a MIME type")
}

/// The form with the file last (options first), as most clients send it.
fn form(csv: impl Into<Vec<u8>>, options: &[(&str, &str)]) -> Form {
    let mut form = Form::new();
    for (name, value) in options {
        form = form.text(name.to_string(), value.to_string());
    }
    form.part("file", file_part(csv))
}

async fn upload_as(app: &TestApp, key: &str, form: Form, headers: &[(&str, &str)]) -> TestResponse {
    let mut request = app
        .client
        .post(format!("{}{PATH}", app.base))
        .header("X-Api-Key", key)
        .multipart(form);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.expect("the server answers");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.expect("a body");
    TestResponse {
        status,
        headers,
        body: serde_json::from_str(&text).unwrap_or(Value::Null),
        text,
    }
}

async fn upload(app: &TestApp, form: Form) -> TestResponse {
    upload_as(app, &app.workspace.workspace_key.clone(), form, &[]).await
}

/// The workspace's leads, newest first (at most 100).
async fn leads(app: &TestApp) -> Vec<Value> {
    app.get_with_key("/v1/leads?limit=100")
        .await
        .ok()
        .as_array()
        .expect("a list")
        .clone()
}

async fn lead_by_email(app: &TestApp, email: &str) -> Value {
    leads(app)
        .await
        .into_iter()
        .find(|lead| lead["email"] == email)
        .unwrap_or_else(|| panic!("a lead {email}"))
}

async fn total(app: &TestApp, key: &str) -> u64 {
    let response = app
        .client
        .get(format!("{}/v1/leads", app.base))
        .header("X-Api-Key", key)
        .send()
        .await
        .expect("the server answers");
    let body: Value = response.json().await.expect("JSON");
    body["pagination"]["total"].as_u64().expect("a total")
}

#[tokio::test]
async fn a_semicolon_file_with_a_bom_and_quoted_fields_is_imported() {
    on_every_backend(|app| async move {
        let csv = "\u{feff}Email;First Name;Company;Notes\r\n\
                   ada@example.com;Ada;\"Engines; Analytical\";\"said \"\"hi\"\"\nthen left\"\r\n\
                   grace@example.com;Grace;Navy;\r\n";
        let response = upload(&app, form(csv, &[])).await;
        let data = response.ok();
        assert_eq!(data["imported"], 2, "{}", response.text);
        assert_eq!(data["rows"], 2);
        assert_eq!(data["failed"], 0);
        assert_eq!(data["errors"], json!([]));
        assert_eq!(data["importedLeadIds"].as_array().map(Vec::len), Some(2));
        let ada = lead_by_email(&app, "ada@example.com").await;
        assert_eq!(ada["firstName"], "Ada");
        assert_eq!(ada["companyName"], "Engines; Analytical");
        assert_eq!(ada["customFields"]["Notes"], "said \"hi\"\nthen left");
    })
    .await;
}

#[tokio::test]
async fn headers_map_by_name_ignoring_case_spaces_underscores_and_dashes() {
    on_every_backend(|app| async move {
        let csv = "E-mail,first_name,LAST NAME,Company,Last Funding\n\
                   ada@example.com,Ada,Lovelace,Engines,Series B\n";
        let response = upload(&app, form(csv, &[])).await;
        assert_eq!(response.ok()["imported"], 1, "{}", response.text);
        let ada = lead_by_email(&app, "ada@example.com").await;
        assert_eq!(ada["firstName"], "Ada");
        assert_eq!(ada["lastName"], "Lovelace");
        assert_eq!(ada["companyName"], "Engines");
        assert_eq!(ada["customFields"], json!({"Last_Funding": "Series B"}));
    })
    .await;
}

#[tokio::test]
async fn an_explicit_mapping_fills_fields_and_custom_fields() {
    on_every_backend(|app| async move {
        let csv = "Work Address,Given,Notes\nada@example.com,Ada,likes tea\n";
        let mapping = json!({"Work Address": "email", "Given": "firstName",
                             "Notes": "customFields.icebreaker"})
        .to_string();
        // Every option before the file: the file is read as it arrives, not copied aside first.
        let options = [
            ("mapping", mapping.as_str()),
            ("skipDuplicates", "true"),
            ("dataCleanup", "true"),
            ("tag", "Mapped"),
        ];
        let response = upload(&app, form(csv, &options)).await;
        assert_eq!(response.ok()["imported"], 1, "{}", response.text);
        let ada = lead_by_email(&app, "ada@example.com").await;
        assert_eq!(ada["firstName"], "Ada");
        assert_eq!(ada["customFields"], json!({"icebreaker": "likes tea"}));
        assert_eq!(ada["tags"], json!(["Mapped"]));
    })
    .await;
}

#[tokio::test]
async fn a_bad_row_is_reported_with_its_row_number_and_the_others_are_written() {
    on_every_backend(|app| async move {
        // The blank line is not a row: the bad one is data row 2.
        let csv =
            "Email,First Name\nada@example.com,Ada\n\nnot-an-email,Bad\ngrace@example.com,Grace\n";
        let response = upload(&app, form(csv, &[])).await;
        let data = response.ok();
        assert_eq!(data["imported"], 2, "{}", response.text);
        assert_eq!(data["failed"], 1);
        assert_eq!(data["rows"], 3);
        let errors = data["errors"].as_array().expect("errors");
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0]["index"], 2);
        assert_eq!(errors[0]["email"], "not-an-email");
        assert!(
            errors[0]["error"]
                .as_str()
                .is_some_and(|error| error.contains("/file/rows/2/email")),
            "{}",
            response.text
        );
        let emails: Vec<Value> = leads(&app)
            .await
            .into_iter()
            .map(|lead| lead["email"].clone())
            .collect();
        assert_eq!(emails.len(), 2);
        assert!(emails.contains(&json!("ada@example.com")));
        assert!(emails.contains(&json!("grace@example.com")));
    })
    .await;
}

#[tokio::test]
async fn more_than_50000_rows_is_400_too_many_at_file_and_nothing_is_written() {
    on_every_backend(|app| async move {
        let mut csv = String::from("Email\n");
        for row in 0..50_001 {
            csv.push_str(&format!("lead{row}@example.com\n"));
        }
        let response = upload(&app, form(csv, &[])).await;
        response.assert_error(400, "VALIDATION_FAILED");
        assert_eq!(
            response.problems(),
            [("/file".to_owned(), "too_many".to_owned())]
        );
        assert_eq!(total(&app, &app.workspace.workspace_key).await, 0);
    })
    .await;
}

#[tokio::test]
async fn a_header_without_an_email_column_is_400_and_nothing_is_written() {
    on_every_backend(|app| async move {
        let csv = "First Name,Company\nAda,Engines\n";
        let response = upload(&app, form(csv, &[])).await;
        response.assert_error(400, "VALIDATION_FAILED");
        assert!(
            response
                .problems()
                .iter()
                .all(|(pointer, _)| pointer.starts_with("/file/header")),
            "{}",
            response.text
        );
        assert_eq!(total(&app, &app.workspace.workspace_key).await, 0);
    })
    .await;
}

#[tokio::test]
async fn a_form_without_a_file_is_400_required_at_file_with_the_options_problems() {
    on_every_backend(|app| async move {
        let form = Form::new()
            .text("skipDuplicates", "yes")
            .text("mapping", "{not json");
        let response = upload(&app, form).await;
        response.assert_error(400, "VALIDATION_FAILED");
        assert_eq!(
            response.problems(),
            [
                ("/file".to_owned(), "required".to_owned()),
                ("/mapping".to_owned(), "invalid_format".to_owned()),
                ("/skipDuplicates".to_owned(), "invalid_type".to_owned()),
            ]
        );
    })
    .await;
}

#[tokio::test]
async fn a_bad_mapping_is_400_at_mapping_and_nothing_is_written() {
    on_every_backend(|app| async move {
        let csv = "Email\nada@example.com\n";
        let response = upload(&app, form(csv, &[("mapping", "[\"email\"]")])).await;
        response.assert_error(400, "VALIDATION_FAILED");
        assert_eq!(
            response.problems(),
            [("/mapping".to_owned(), "invalid_type".to_owned())]
        );
        assert_eq!(total(&app, &app.workspace.workspace_key).await, 0);
    })
    .await;
}

#[tokio::test]
async fn a_body_that_is_not_multipart_form_data_is_415() {
    on_every_backend(|app| async move {
        let response = app.post_json(PATH, &json!({"file": "Email\n"})).await;
        response.assert_error(415, "UNSUPPORTED_MEDIA_TYPE");
        let unknown = upload(&app, form("Email\na@example.com\n", &[("limit", "3")])).await;
        unknown.assert_error(400, "VALIDATION_FAILED");
        assert_eq!(
            unknown.problems(),
            [("/limit".to_owned(), "unknown_field".to_owned())]
        );
    })
    .await;
}

#[tokio::test]
async fn options_after_the_file_still_judge_its_rows() {
    on_every_backend(|app| async move {
        // The file comes first: it is copied aside until the options have arrived.
        let form = Form::new()
            .part("file", file_part("Email\nada@example.com\n"))
            .text("tag", "Imported")
            .text("dataCleanup", "false");
        let response = upload(&app, form).await;
        assert_eq!(response.ok()["imported"], 1, "{}", response.text);
        let ada = lead_by_email(&app, "ada@example.com").await;
        assert_eq!(ada["tags"], json!(["Imported"]));
    })
    .await;
}

#[tokio::test]
async fn tag_is_added_and_skip_duplicates_false_updates_existing_leads() {
    on_every_backend(|app| async move {
        let first = upload(&app, form("Email,First Name\nada@example.com,Ada\n", &[])).await;
        assert_eq!(first.ok()["imported"], 1, "{}", first.text);

        let skipped = upload(
            &app,
            form("Email,First Name\nADA@example.com,Augusta\n", &[]),
        )
        .await;
        assert_eq!(skipped.ok()["skipped"], 1, "{}", skipped.text);
        assert_eq!(
            lead_by_email(&app, "ada@example.com").await["firstName"],
            "Ada"
        );

        let options = [("skipDuplicates", "false"), ("tag", "Q3 list")];
        let updated = upload(
            &app,
            form(
                "Email,First Name\nada@example.com,Augusta\ngrace@example.com,Grace\n",
                &options,
            ),
        )
        .await;
        let data = updated.ok();
        assert_eq!(data["updated"], 1, "{}", updated.text);
        assert_eq!(data["imported"], 1);
        let ada = lead_by_email(&app, "ada@example.com").await;
        assert_eq!(ada["firstName"], "Augusta");
        assert_eq!(ada["tags"], json!(["Q3 list"]));
        assert_eq!(
            lead_by_email(&app, "grace@example.com").await["tags"],
            json!(["Q3 list"])
        );
    })
    .await;
}

#[tokio::test]
async fn leads_land_only_in_the_callers_workspace() {
    on_every_backend(|app| async move {
        let (rival, _, _) = app.other_workspace().await;
        let response = upload_as(
            &app,
            &rival.workspace_key,
            form("Email\nada@example.com\n", &[]),
            &[],
        )
        .await;
        assert_eq!(response.ok()["imported"], 1, "{}", response.text);
        assert_eq!(total(&app, &rival.workspace_key).await, 1);
        assert_eq!(total(&app, &app.workspace.workspace_key).await, 0);
    })
    .await;
}

#[tokio::test]
async fn a_keyed_import_is_replayed_not_run_again() {
    on_every_backend(|app| async move {
        // A fixed boundary, so the retry is the same request byte for byte.
        let body = "--b0undary\r\nContent-Disposition: form-data; name=\"file\"; filename=\"l.csv\"\r\n\
                    Content-Type: text/csv\r\n\r\nEmail\nada@example.com\n\r\n--b0undary--\r\n";
        let key = app.workspace.workspace_key.clone();
        let headers = [
            ("Content-Type", "multipart/form-data; boundary=b0undary"),
            ("X-Api-Key", key.as_str()),
            ("Idempotency-Key", "csv-import-1"),
        ];
        let first = app.post_raw(PATH, body, &headers).await;
        assert_eq!(first.ok()["imported"], 1, "{}", first.text);
        let again = app.post_raw(PATH, body, &headers).await;
        assert_eq!(again.header("idempotent-replayed"), Some("true"), "{}", again.text);
        assert_eq!(again.ok(), first.ok());
        assert_eq!(total(&app, &key).await, 1);
    })
    .await;
}

#[tokio::test]
async fn a_keyed_form_larger_than_the_json_bound_is_imported_not_refused() {
    on_every_backend(|app| async move {
        // 17 rows of 1 MB each: past the 16 MiB the idempotency layer allows a keyed JSON body.
        let mut csv = String::from("Email,Notes\n");
        let notes = "x".repeat(1_000_000);
        for row in 0..17 {
            csv.push_str(&format!("big{row}@example.com,{notes}\n"));
        }
        let mut body = b"--b0undary\r\nContent-Disposition: form-data; name=\"file\"; filename=\"l.csv\"\r\n\r\n".to_vec();
        body.extend_from_slice(csv.as_bytes());
        body.extend_from_slice(b"\r\n--b0undary--\r\n");
        assert!(body.len() > 16 * 1024 * 1024);
        let key = app.workspace.workspace_key.clone();
        let headers = [
            ("Content-Type", "multipart/form-data; boundary=b0undary"),
            ("X-Api-Key", key.as_str()),
            ("Idempotency-Key", "csv-import-big"),
        ];
        let first = app.post_raw(PATH, body.clone(), &headers).await;
        assert_eq!(first.ok()["rows"], 17, "{}", first.text);
        let again = app.post_raw(PATH, body, &headers).await;
        assert_eq!(again.header("idempotent-replayed"), Some("true"), "{}", again.text);
    })
    .await;
}

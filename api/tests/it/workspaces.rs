//! The account, workspaces and workspace keys (spec sections 2 and 3), end to end on every backend:
//! who sees what, who may do what, one live key per workspace, and revocation that holds at once.

use std::io::Write;
use std::sync::{Arc, Mutex};

use application::use_cases::init_workspace::InitWorkspace;
use domain::id::WorkspaceId;
use domain::identity::Role;
use futures_util::future::join_all;
use reqwest::Method;
use serde_json::{Value, json};

use crate::support::*;

/// `method path` with `key` in `X-Api-Key` and no body.
async fn call(app: &TestApp, method: Method, path: &str, key: &str) -> TestResponse {
    app.request(method, path, &[("X-Api-Key", key)]).await
}

async fn get(app: &TestApp, path: &str, key: &str) -> TestResponse {
    call(app, Method::GET, path, key).await
}

/// `POST /v1/workspaces` with exactly this body.
async fn post_workspace(app: &TestApp, key: &str, body: &str) -> TestResponse {
    app.post_raw(
        "/v1/workspaces",
        body.to_owned(),
        &[("Content-Type", "application/json"), ("X-Api-Key", key)],
    )
    .await
}

async fn create_key(app: &TestApp, workspace_id: &str, key: &str) -> TestResponse {
    let path = format!("/v1/workspaces/{workspace_id}/api-key");
    call(app, Method::POST, &path, key).await
}

async fn revoke_key(app: &TestApp, workspace_id: &str, key: &str) -> TestResponse {
    let path = format!("/v1/workspaces/{workspace_id}/api-key");
    call(app, Method::DELETE, &path, key).await
}

/// Creates a workspace with the seeded user's platform key and answers its id.
async fn new_workspace(app: &TestApp, name: &str) -> String {
    let body = json!({ "name": name }).to_string();
    post_workspace(app, &app.workspace.platform_key, &body)
        .await
        .created()["id"]
        .as_str()
        .expect("an id")
        .to_owned()
}

/// Another user, with a workspace and keys of their own, made a `role` of the seeded workspace.
async fn teammate(app: &TestApp, email: &str, role: Role) -> TestWorkspace {
    let initialized = InitWorkspace {
        identity: app.ports.identity.clone(),
        clock: app.ports.clock.clone(),
        ids: app.ports.ids.clone(),
        secrets: app.ports.secrets.clone(),
    }
    .execute(email, "Their own")
    .await
    .expect("a user and their workspace");
    app.ports
        .identity
        .add_membership(
            initialized.user_id,
            WorkspaceId::parse(&app.workspace.workspace_id).expect("an id"),
            role,
            app.ports.clock.now(),
        )
        .await
        .expect("a membership");
    (&initialized).into()
}

/// Asserts `workspace` is a workspace object: exactly `id`, `name`, `createdAt` and `role`.
#[track_caller]
fn assert_workspace(workspace: &Value, id: &str, name: &str, role: &str) {
    let mut keys: Vec<&str> = workspace
        .as_object()
        .expect("a workspace object")
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(keys, ["createdAt", "id", "name", "role"], "{workspace}");
    assert_eq!(workspace["id"], id, "{workspace}");
    assert_eq!(workspace["name"], name, "{workspace}");
    assert_eq!(workspace["role"], role, "{workspace}");
    assert!(
        is_wire_timestamp(workspace["createdAt"].as_str().unwrap_or_default()),
        "{workspace}"
    );
}

fn ids_of(list: &Value) -> Vec<String> {
    list.as_array()
        .expect("a list")
        .iter()
        .map(|workspace| workspace["id"].as_str().expect("an id").to_owned())
        .collect()
}

#[tokio::test]
async fn the_account_is_the_user_and_every_workspace_they_are_a_member_of() {
    on_every_backend(|app| async move {
        let second = new_workspace(&app, "Second").await;
        let account = get(&app, "/v1/account", &app.workspace.platform_key).await;
        let account = account.ok();
        let mut keys: Vec<&str> = account
            .as_object()
            .expect("an object")
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        assert_eq!(keys, ["_id", "createdAt", "email", "workspaces"]);
        assert_eq!(account["_id"], app.workspace.user_id);
        assert_eq!(account["email"], "owner@example.com");
        assert!(is_wire_timestamp(
            account["createdAt"].as_str().unwrap_or_default()
        ));
        let workspaces = account["workspaces"].as_array().expect("a list");
        assert_eq!(workspaces.len(), 2, "{account}");
        assert_workspace(&workspaces[0], &app.workspace.workspace_id, "Acme", "owner");
        assert_workspace(&workspaces[1], &second, "Second", "owner");

        // A member sees the workspace with their role, next to their own.
        let member = teammate(&app, "member@example.com", Role::Member).await;
        let account = get(&app, "/v1/account", &member.platform_key).await;
        let roles: Vec<(String, String)> = account.ok()["workspaces"]
            .as_array()
            .expect("a list")
            .iter()
            .map(|workspace| {
                (
                    workspace["id"].as_str().expect("an id").to_owned(),
                    workspace["role"].as_str().expect("a role").to_owned(),
                )
            })
            .collect();
        assert_eq!(
            roles,
            [
                (app.workspace.workspace_id.clone(), "member".to_owned()),
                (member.workspace_id.clone(), "owner".to_owned()),
            ],
            "oldest first"
        );
    })
    .await;
}

#[tokio::test]
async fn every_platform_only_operation_refuses_a_workspace_key_with_403() {
    on_every_backend(|app| async move {
        let key = &app.workspace.workspace_key;
        let own = &app.workspace.workspace_id;
        get(&app, "/v1/account", key)
            .await
            .assert_error(403, "FORBIDDEN");
        post_workspace(&app, key, r#"{"name": "Sneaky"}"#)
            .await
            .assert_error(403, "FORBIDDEN");
        // Its own workspace included: a workspace key neither mints nor revokes keys.
        create_key(&app, own, key)
            .await
            .assert_error(403, "FORBIDDEN");
        revoke_key(&app, own, key)
            .await
            .assert_error(403, "FORBIDDEN");

        // Nothing changed: no workspace made, and the key still works.
        let listed = get(&app, "/v1/workspaces", &app.workspace.platform_key).await;
        assert_eq!(ids_of(listed.ok()), [own.as_str()]);
        get(&app, "/v1/campaigns", key).await.ok();
    })
    .await;
}

#[tokio::test]
async fn a_platform_key_lists_its_users_workspaces_oldest_first_a_page_at_a_time() {
    on_every_backend(|app| async move {
        let key = &app.workspace.platform_key;
        let second = new_workspace(&app, "Second").await;
        let third = new_workspace(&app, "Third").await;
        let all = [app.workspace.workspace_id.clone(), second, third];

        let listed = get(&app, "/v1/workspaces", key).await;
        assert_eq!(ids_of(listed.ok()), all);
        assert_workspace(&listed.ok()[1], &all[1], "Second", "owner");
        assert_eq!(
            listed.body["pagination"],
            json!({"limit": 25, "total": 3, "hasMore": false, "nextCursor": null})
        );

        let first_page = get(&app, "/v1/workspaces?limit=2", key).await;
        assert_eq!(ids_of(first_page.ok()), all[..2]);
        assert_eq!(
            first_page.body["pagination"],
            json!({"limit": 2, "total": 3, "hasMore": true, "nextCursor": all[1]})
        );
        let next = format!("/v1/workspaces?limit=2&cursor={}", all[1]);
        let second_page = get(&app, &next, key).await;
        assert_eq!(ids_of(second_page.ok()), all[2..]);
        assert_eq!(
            second_page.body["pagination"],
            json!({"limit": 2, "total": 3, "hasMore": false, "nextCursor": null})
        );

        for bad in ["limit=0", "limit=101", "limit=x", "cursor=nope"] {
            get(&app, &format!("/v1/workspaces?{bad}"), key)
                .await
                .assert_error(400, "VALIDATION_FAILED");
        }
    })
    .await;
}

#[tokio::test]
async fn a_workspace_key_sees_only_its_own_workspace() {
    on_every_backend(|app| async move {
        // The key's user has a second workspace; the key does not see it.
        let second = new_workspace(&app, "Second").await;
        let key = &app.workspace.workspace_key;
        let own = &app.workspace.workspace_id;

        let listed = get(&app, "/v1/workspaces", key).await;
        assert_eq!(ids_of(listed.ok()), [own.as_str()]);
        assert_workspace(&listed.ok()[0], own, "Acme", "owner");
        assert_eq!(
            listed.body["pagination"],
            json!({"limit": 25, "total": 1, "hasMore": false, "nextCursor": null})
        );
        let read = get(&app, &format!("/v1/workspaces/{own}"), key).await;
        assert_workspace(read.ok(), own, "Acme", "owner");
        get(&app, &format!("/v1/workspaces/{second}"), key)
            .await
            .assert_error(404, "NOT_FOUND");
    })
    .await;
}

#[tokio::test]
async fn creating_a_workspace_makes_the_caller_its_owner() {
    on_every_backend(|app| async move {
        let key = &app.workspace.platform_key;
        let response = post_workspace(&app, key, r#"{"name": "  Globex  "}"#).await;
        let created = response.created().clone();
        let id = created["id"].as_str().expect("an id").to_owned();
        assert!(is_object_id(&id), "{created}");
        assert_workspace(&created, &id, "Globex", "owner");

        let read = get(&app, &format!("/v1/workspaces/{id}"), key).await;
        assert_eq!(*read.ok(), created);
        let listed = get(&app, "/v1/workspaces", key).await;
        assert!(ids_of(listed.ok()).contains(&id));
        // It has no key yet; its owner makes one.
        create_key(&app, &id, key).await.created();
    })
    .await;
}

#[tokio::test]
async fn a_create_workspace_body_reports_every_problem_at_its_pointer() {
    on_every_backend(|app| async move {
        let key = &app.workspace.platform_key;
        let cases: [(&str, Vec<(&str, &str)>); 5] = [
            (
                r#"{"name": 5, "owner": "me"}"#,
                vec![("/name", "invalid_type"), ("/owner", "unknown_field")],
            ),
            ("{}", vec![("/name", "required")]),
            (r#"{"name": "   "}"#, vec![("/name", "blank")]),
            (r#"{"name": null}"#, vec![("/name", "required")]),
            ("[]", vec![("", "invalid_type")]),
        ];
        for (body, expected) in cases {
            let response = post_workspace(&app, key, body).await;
            response.assert_error(400, "VALIDATION_FAILED");
            let expected: Vec<(String, String)> = expected
                .into_iter()
                .map(|(pointer, code)| (pointer.to_owned(), code.to_owned()))
                .collect();
            assert_eq!(response.problems(), expected, "{body}");
        }
        let long = json!({ "name": "x".repeat(101) }).to_string();
        let response = post_workspace(&app, key, &long).await;
        response.assert_error(400, "VALIDATION_FAILED");
        assert_eq!(
            response.problems(),
            [("/name".to_owned(), "too_long".to_owned())]
        );
        post_workspace(&app, key, "{\"name\": ")
            .await
            .assert_error(400, "MALFORMED_JSON");
        app.post_raw(
            "/v1/workspaces",
            "name=Globex",
            &[("Content-Type", "text/plain"), ("X-Api-Key", key)],
        )
        .await
        .assert_error(415, "UNSUPPORTED_MEDIA_TYPE");

        let listed = get(&app, "/v1/workspaces", key).await;
        assert_eq!(
            listed.ok().as_array().map(Vec::len),
            Some(1),
            "nothing made"
        );
    })
    .await;
}

#[tokio::test]
async fn an_owner_makes_the_workspace_key_once_revokes_it_and_makes_a_new_one() {
    on_every_backend(|app| async move {
        let platform = &app.workspace.platform_key;
        let own = &app.workspace.workspace_id;
        // `sendline init` gave the workspace its key already.
        let conflict = create_key(&app, own, platform).await;
        conflict.assert_error(409, "CONFLICT");

        let revoked = revoke_key(&app, own, platform).await;
        let revoked = revoked.ok();
        assert_eq!(revoked["workspaceId"], *own);
        assert_eq!(revoked["revoked"], true);
        assert!(is_wire_timestamp(
            revoked["revokedAt"].as_str().unwrap_or_default()
        ));
        revoke_key(&app, own, platform)
            .await
            .assert_error(404, "NOT_FOUND");

        let response = create_key(&app, own, platform).await;
        let issued = response.created();
        let mut keys: Vec<&str> = issued
            .as_object()
            .expect("an object")
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        assert_eq!(keys, ["apiKey", "createdAt", "workspaceId"]);
        assert_eq!(issued["workspaceId"], *own);
        let new_key = issued["apiKey"].as_str().expect("the key").to_owned();
        assert!(
            new_key.len() == 51
                && new_key.starts_with("sk_")
                && new_key[3..]
                    .bytes()
                    .all(|digit| matches!(digit, b'0'..=b'9' | b'a'..=b'f')),
            "{new_key}"
        );
        assert_ne!(new_key, app.workspace.workspace_key);

        // The new key acts in its workspace, for the user who made it.
        let listed = get(&app, "/v1/workspaces", &new_key).await;
        assert_eq!(ids_of(listed.ok()), [own.as_str()]);
        get(&app, "/v1/campaigns", &new_key).await.ok();
        // One live key: a second is refused.
        create_key(&app, own, platform)
            .await
            .assert_error(409, "CONFLICT");
    })
    .await;
}

#[tokio::test]
async fn a_revoked_key_is_refused_on_its_very_next_request() {
    on_every_backend(|app| async move {
        let old = &app.workspace.workspace_key;
        get(&app, "/v1/campaigns", old).await.ok();
        revoke_key(
            &app,
            &app.workspace.workspace_id,
            &app.workspace.platform_key,
        )
        .await
        .ok();
        get(&app, "/v1/campaigns", old)
            .await
            .assert_error(401, "UNAUTHORIZED");
        get(&app, "/v1/workspaces", old)
            .await
            .assert_error(401, "UNAUTHORIZED");
        let bearer = format!("Bearer {old}");
        app.request(Method::GET, "/v1/campaigns", &[("Authorization", &bearer)])
            .await
            .assert_error(401, "UNAUTHORIZED");
    })
    .await;
}

#[tokio::test]
async fn of_concurrent_key_creations_exactly_one_succeeds() {
    on_every_backend(|app| async move {
        let platform = &app.workspace.platform_key;
        let own = &app.workspace.workspace_id;
        revoke_key(&app, own, platform).await.ok();
        let answers = join_all((0..6).map(|_| create_key(&app, own, platform))).await;
        let created: Vec<&TestResponse> = answers
            .iter()
            .filter(|answer| answer.status == 201)
            .collect();
        assert_eq!(created.len(), 1, "exactly one key is made");
        for answer in answers.iter().filter(|answer| answer.status != 201) {
            answer.assert_error(409, "CONFLICT");
        }
        // The one made is the live one.
        let key = created[0].created()["apiKey"].as_str().expect("a key");
        get(&app, "/v1/campaigns", key).await.ok();
    })
    .await;
}

#[tokio::test]
async fn a_member_may_not_make_or_revoke_the_key_but_an_admin_may() {
    on_every_backend(|app| async move {
        let own = &app.workspace.workspace_id;
        let member = teammate(&app, "member@example.com", Role::Member).await;
        // The member sees the workspace, with their role...
        let read = get(&app, &format!("/v1/workspaces/{own}"), &member.platform_key).await;
        assert_workspace(read.ok(), own, "Acme", "member");
        // ...but does not manage its key.
        revoke_key(&app, own, &member.platform_key)
            .await
            .assert_error(403, "FORBIDDEN");
        create_key(&app, own, &member.platform_key)
            .await
            .assert_error(403, "FORBIDDEN");
        get(&app, "/v1/campaigns", &app.workspace.workspace_key)
            .await
            .ok();

        let admin = teammate(&app, "admin@example.com", Role::Admin).await;
        revoke_key(&app, own, &admin.platform_key).await.ok();
        let issued = create_key(&app, own, &admin.platform_key).await;
        assert_eq!(issued.created()["workspaceId"], *own);
        // Campaigns made with it belong to the admin, who made the key.
        let key = issued.created()["apiKey"]
            .as_str()
            .expect("a key")
            .to_owned();
        let campaign = app
            .post_raw(
                "/v1/campaigns",
                r#"{"name": "By the admin's key"}"#,
                &[("Content-Type", "application/json"), ("X-Api-Key", &key)],
            )
            .await;
        assert_eq!(campaign.created()["userId"], admin.user_id);
    })
    .await;
}

#[tokio::test]
async fn nothing_of_another_workspace_is_visible_or_usable_from_this_one() {
    on_every_backend(|app| async move {
        let (rival, _, _) = app.other_workspace().await;
        let rival_path = format!("/v1/workspaces/{}", rival.workspace_id);
        for key in [&app.workspace.platform_key, &app.workspace.workspace_key] {
            let listed = get(&app, "/v1/workspaces", key).await;
            assert!(!ids_of(listed.ok()).contains(&rival.workspace_id));
            assert!(!listed.text.contains(&rival.workspace_id));
            let read = get(&app, &rival_path, key).await;
            read.assert_error(404, "NOT_FOUND");
            assert!(!read.text.contains("Rival"), "{}", read.text);
        }
        let account = get(&app, "/v1/account", &app.workspace.platform_key).await;
        assert!(!account.text.contains(&rival.workspace_id));

        // The rival's key can be neither made nor revoked from here: 404, exactly like an unknown id.
        let platform = &app.workspace.platform_key;
        create_key(&app, &rival.workspace_id, platform)
            .await
            .assert_error(404, "NOT_FOUND");
        revoke_key(&app, &rival.workspace_id, platform)
            .await
            .assert_error(404, "NOT_FOUND");
        let unknown = "0123456789abcdef01234567";
        for id in [unknown, "nope", "0123456789ABCDEF01234567"] {
            get(&app, &format!("/v1/workspaces/{id}"), platform)
                .await
                .assert_error(404, "NOT_FOUND");
            create_key(&app, id, platform)
                .await
                .assert_error(404, "NOT_FOUND");
            revoke_key(&app, id, platform)
                .await
                .assert_error(404, "NOT_FOUND");
        }
        // And the rival's key still works.
        get(&app, "/v1/campaigns", &rival.workspace_key).await.ok();
    })
    .await;
}

#[tokio::test]
async fn x_workspace_id_is_ignored_by_these_operations() {
    on_every_backend(|app| async move {
        let (rival, _, _) = app.other_workspace().await;
        for named in [rival.workspace_id.as_str(), "not-an-id"] {
            let account = app
                .request(
                    Method::GET,
                    "/v1/account",
                    &[
                        ("X-Api-Key", &app.workspace.platform_key),
                        ("X-Workspace-Id", named),
                    ],
                )
                .await;
            assert_eq!(account.ok()["_id"], app.workspace.user_id);
            let listed = app
                .request(
                    Method::GET,
                    "/v1/workspaces",
                    &[
                        ("X-Api-Key", &app.workspace.workspace_key),
                        ("X-Workspace-Id", named),
                    ],
                )
                .await;
            assert_eq!(ids_of(listed.ok()), [app.workspace.workspace_id.as_str()]);
        }
    })
    .await;
}

#[tokio::test]
async fn these_operations_need_a_valid_key_sent_once() {
    on_every_backend(|app| async move {
        let own = &app.workspace.workspace_id;
        let paths = [
            (Method::GET, "/v1/account".to_owned()),
            (Method::GET, "/v1/workspaces".to_owned()),
            (Method::POST, "/v1/workspaces".to_owned()),
            (Method::GET, format!("/v1/workspaces/{own}")),
            (Method::POST, format!("/v1/workspaces/{own}/api-key")),
            (Method::DELETE, format!("/v1/workspaces/{own}/api-key")),
        ];
        let other = format!("Bearer {}", app.workspace.workspace_key);
        for (method, path) in paths {
            app.request(method.clone(), &path, &[])
                .await
                .assert_error(401, "UNAUTHORIZED");
            app.request(method.clone(), &path, &[("X-Api-Key", "sk_user_nope")])
                .await
                .assert_error(401, "UNAUTHORIZED");
            app.request(
                method,
                &path,
                &[
                    ("X-Api-Key", &app.workspace.platform_key),
                    ("Authorization", &other),
                ],
            )
            .await
            .assert_error(400, "CONFLICTING_API_KEYS");
        }
        // The seeded key was never revoked by any of that.
        get(&app, "/v1/campaigns", &app.workspace.workspace_key)
            .await
            .ok();
    })
    .await;
}

/// Every log line of the requests below, at every level.
#[derive(Clone, Default)]
struct CapturedLogs(Arc<Mutex<Vec<u8>>>);

impl Write for CapturedLogs {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .expect("the capture is not poisoned")
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl CapturedLogs {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().expect("the capture is not poisoned")).into_owned()
    }
}

#[tokio::test]
async fn keys_never_reach_the_logs() {
    let logs = CapturedLogs::default();
    let writer = logs.clone();
    // Everything the server logs, spans and their fields included. The test's runtime has one thread,
    // so this default covers the server's tasks; the HTTP client's own logs are left out.
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(
            "trace,reqwest=off,hyper_util::client=off",
        ))
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::FULL)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let shown = Arc::new(Mutex::new(Vec::<String>::new()));
    let record = shown.clone();
    on_every_backend(move |app| {
        let record = record.clone();
        async move {
            let platform = &app.workspace.platform_key;
            let own = &app.workspace.workspace_id;
            revoke_key(&app, own, platform).await.ok();
            let issued = create_key(&app, own, platform).await;
            let key = issued.created()["apiKey"]
                .as_str()
                .expect("a key")
                .to_owned();
            get(&app, "/v1/workspaces", &key).await.ok();
            let bearer = format!("Bearer {platform}");
            app.request(Method::GET, "/v1/account", &[("Authorization", &bearer)])
                .await
                .ok();
            record.lock().expect("not poisoned").extend([
                key,
                platform.clone(),
                app.workspace.workspace_key.clone(),
            ]);
        }
    })
    .await;
    let text = logs.text();
    assert!(
        text.contains("workspace API key created"),
        "the capture saw the server's logs"
    );
    for key in shown.lock().expect("not poisoned").iter() {
        // The visible prefix (`sk_1a2b`) may be logged; the rest of the key never.
        assert!(!text.contains(&key[key.len() - 40..]), "a key was logged");
    }
}

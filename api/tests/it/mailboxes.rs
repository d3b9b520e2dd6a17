//! `/v1/mailboxes…` end to end on every backend: register, get, list, PATCH and DELETE (spec 3, the
//! mailbox rows, and the decisions in docs/decisions.md "Mailboxes over HTTP").

use std::time::Duration;

use futures_util::future::join_all;
use reqwest::Method;
use serde_json::{Value, json};

use crate::support::*;

async fn register(app: &TestApp, body: &Value) -> Value {
    app.post_json("/v1/mailboxes", body).await.created().clone()
}

async fn get_mailbox(app: &TestApp, id: &str) -> TestResponse {
    app.get_with_key(&format!("/v1/mailboxes/{id}")).await
}

async fn patch_mailbox(app: &TestApp, id: &str, body: &Value) -> TestResponse {
    app.send(Method::PATCH, &format!("/v1/mailboxes/{id}"), Some(body))
        .await
}

async fn delete_mailbox(app: &TestApp, id: &str) -> TestResponse {
    app.send(Method::DELETE, &format!("/v1/mailboxes/{id}"), None)
        .await
}

fn ids_of(page: &TestResponse) -> Vec<String> {
    page.ok()
        .as_array()
        .expect("data is a list")
        .iter()
        .map(|mailbox| mailbox["_id"].as_str().expect("an _id").to_owned())
        .collect()
}

fn id_of(mailbox: &Value) -> String {
    mailbox["_id"].as_str().expect("an _id").to_owned()
}

/// Long enough for the millisecond clock to move, so a moved `updatedAt` shows.
async fn let_the_clock_move() {
    tokio::time::sleep(Duration::from_millis(5)).await;
}

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
            "connectionType": null,
            "smtpHost": null,
            "smtpPort": null,
            "smtpSecure": null,
            "smtpUsername": null,
            "imapHost": null,
            "imapPort": null,
            "imapSecure": null,
            "imapUsername": null,
            "sentToday": 0,
            "lastError": null,
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
        let listed = app
            .get_with_key("/v1/mailboxes?search=alex@acme.example.com")
            .await;
        assert_eq!(listed.body["pagination"]["total"], 1, "nothing was added");
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
                ("/provider", "required"),
                ("/email", "invalid_format"),
                ("/password", "unknown_field"),
                ("/tags/1", "invalid_type"),
                ("/dailySendLimit", "out_of_range"),
            ]
            .map(|(pointer, code)| (pointer.to_owned(), code.to_owned()))
        );
    })
    .await;
}

#[tokio::test]
async fn get_answers_the_mailbox_as_registered() {
    on_every_backend(|app| async move {
        let registered = register(
            &app,
            &json!({"email": "ana@acme.example.com", "provider": "azure", "displayName": "Ana",
                    "signature": "<p>Best, Ana</p>", "sendingEnabled": false, "tags": ["EU"]}),
        )
        .await;
        let read = get_mailbox(&app, &id_of(&registered)).await;
        assert_eq!(*read.ok(), registered);
    })
    .await;
}

#[tokio::test]
async fn get_patch_and_delete_of_an_unknown_or_malformed_mailbox_id_are_404() {
    on_every_backend(|app| async move {
        for id in [
            "0123456789abcdef01234567",
            "not-an-id",
            "0123456789ABCDEF01234567",
        ] {
            get_mailbox(&app, id).await.assert_error(404, "NOT_FOUND");
            patch_mailbox(&app, id, &json!({"displayName": "x"}))
                .await
                .assert_error(404, "NOT_FOUND");
            // Even a body with problems: there is no mailbox to have them about.
            patch_mailbox(&app, id, &json!({"email": "x@acme.example.com"}))
                .await
                .assert_error(404, "NOT_FOUND");
            delete_mailbox(&app, id)
                .await
                .assert_error(404, "NOT_FOUND");
        }
    })
    .await;
}

#[tokio::test]
async fn list_walks_every_mailbox_exactly_once_newest_first_while_new_ones_are_registered() {
    on_every_backend(|app| async move {
        for n in 0..9 {
            register(
                &app,
                &json!({"email": format!("wave{n}@acme.example.com"), "provider": "gmail"}),
            )
            .await;
        }
        // The three seeded mailboxes and the nine above, newest first.
        let everything = app.get_with_key("/v1/mailboxes?limit=100").await;
        let existing = ids_of(&everything);
        assert_eq!(existing.len(), 12);
        let mut sorted = existing.clone();
        sorted.sort_unstable_by(|a, b| b.cmp(a));
        assert_eq!(existing, sorted, "newest first");

        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        let mut pages = 0;
        loop {
            let path = match &cursor {
                None => "/v1/mailboxes?limit=5".to_owned(),
                Some(cursor) => format!("/v1/mailboxes?limit=5&cursor={cursor}"),
            };
            let page = app.get_with_key(&path).await;
            let ids = ids_of(&page);
            let pagination = &page.body["pagination"];
            assert_eq!(pagination["limit"], 5);
            assert_eq!(
                pagination["total"],
                12 + pages,
                "every match, new ones included"
            );
            seen.extend(ids.clone());
            pages += 1;
            // Newer than every cursor, so it never shows up in this walk.
            register(
                &app,
                &json!({"email": format!("late{pages}@acme.example.com"), "provider": "gmail"}),
            )
            .await;
            if pagination["hasMore"] == false {
                assert_eq!(pagination["nextCursor"], Value::Null);
                break;
            }
            assert_eq!(pagination["nextCursor"], json!(ids.last()));
            cursor = ids.last().cloned();
        }
        assert_eq!(pages, 3);
        assert_eq!(seen, existing, "every mailbox once, newest first");

        let default_page = app.get_with_key("/v1/mailboxes").await;
        assert_eq!(default_page.body["pagination"]["limit"], 25);
    })
    .await;
}

#[tokio::test]
async fn list_filters_by_provider_status_tags_any_or_all_and_search() {
    on_every_backend(|app| async move {
        // Seeded: alex (gmail), sam (outlook), jordan (custom), each tagged `outreach`.
        let seeded = |email: &str| {
            app.mailboxes
                .iter()
                .find(|mailbox| mailbox.fields().email().as_str() == email)
                .map(|mailbox| mailbox.id().to_string())
                .expect("a seeded mailbox")
        };
        let alex = seeded("alex@acme.example.com");
        let sam = seeded("sam@acme.example.com");
        let jordan = seeded("jordan@acme.example.com");
        let eu = register(
            &app,
            &json!({"email": "eu@acme.example.com", "provider": "gmail",
                    "displayName": "Équipe Europe", "tags": ["EU", "Outreach"]}),
        )
        .await;
        let eu = id_of(&eu);
        let apac = register(
            &app,
            &json!({"email": "apac@acme.example.com", "provider": "outlook", "tags": ["apac"]}),
        )
        .await;
        let apac = id_of(&apac);

        let listed = async |query: &str| {
            let page = app.get_with_key(&format!("/v1/mailboxes?{query}")).await;
            let ids = ids_of(&page);
            assert_eq!(
                page.body["pagination"]["total"],
                ids.len(),
                "{query}: one page holds every match"
            );
            let mut ids = ids;
            ids.sort_unstable();
            ids
        };
        let set = |ids: &[&String]| {
            let mut ids: Vec<String> = ids.iter().map(|id| (*id).clone()).collect();
            ids.sort_unstable();
            ids
        };

        assert_eq!(listed("provider=gmail").await, set(&[&alex, &eu]));
        assert_eq!(listed("provider=azure").await, set(&[]));
        assert_eq!(
            listed("status=active").await,
            set(&[&alex, &sam, &jordan, &eu, &apac])
        );
        assert_eq!(listed("status=disconnected").await, set(&[]));
        assert_eq!(
            listed("tags=OUTREACH").await,
            set(&[&alex, &sam, &jordan, &eu])
        );
        assert_eq!(
            listed("tags=eu,%20APAC").await,
            set(&[&eu, &apac]),
            "any is the default"
        );
        assert_eq!(listed("tags=eu,APAC&tagMode=any").await, set(&[&eu, &apac]));
        assert_eq!(
            listed("tags=Outreach,eu&tagMode=all").await,
            set(&[&eu]),
            "all needs every tag"
        );
        assert_eq!(listed("tags=outreach,apac&tagMode=all").await, set(&[]));
        assert_eq!(
            listed("tagMode=all").await,
            set(&[&alex, &sam, &jordan, &eu, &apac]),
            "tagMode without tags filters nothing"
        );
        assert_eq!(
            listed("search=%C3%A9QUIPE").await,
            set(&[&eu]),
            "display name, ignoring case beyond ASCII"
        );
        assert_eq!(listed("search=APAC@").await, set(&[&apac]), "address");
        assert_eq!(
            listed("provider=gmail&tags=outreach&search=acme").await,
            set(&[&alex, &eu])
        );
    })
    .await;
}

#[tokio::test]
async fn list_refuses_query_parameters_outside_the_contract() {
    on_every_backend(|app| async move {
        for query in [
            "limit=0".to_owned(),
            "limit=101".to_owned(),
            "limit=ten".to_owned(),
            "cursor=nope".to_owned(),
            "provider=yahoo".to_owned(),
            "status=paused".to_owned(),
            "tagMode=some".to_owned(),
            format!("search={}", "x".repeat(255)),
            format!("tags=ok,{}", "t".repeat(101)),
            format!(
                "tags={}",
                (0..51)
                    .map(|n| format!("t{n}"))
                    .collect::<Vec<_>>()
                    .join(",")
            ),
        ] {
            app.get_with_key(&format!("/v1/mailboxes?{query}"))
                .await
                .assert_error(400, "VALIDATION_FAILED");
        }
    })
    .await;
}

#[tokio::test]
async fn patch_changes_only_the_given_fields_and_moves_updated_at() {
    on_every_backend(|app| async move {
        let registered = register(
            &app,
            &json!({"email": "ana@acme.example.com", "provider": "gmail", "displayName": "Ana",
                    "signature": "Best", "tags": ["EU"], "dailySendLimit": 20}),
        )
        .await;
        let id = id_of(&registered);
        let_the_clock_move().await;
        let patched = patch_mailbox(
            &app,
            &id,
            &json!({"displayName": "  Ana López ", "sendingEnabled": false, "tags": [" Warm ", "apac"]}),
        )
        .await;
        let patched = patched.ok().clone();

        let mut expected = registered.clone();
        expected["displayName"] = json!("Ana López");
        expected["sendingEnabled"] = json!(false);
        expected["tags"] = json!(["Warm", "apac"]);
        expected["updatedAt"] = patched["updatedAt"].clone();
        assert_eq!(patched, expected);
        assert_ne!(patched["updatedAt"], registered["updatedAt"]);
        assert_eq!(*get_mailbox(&app, &id).await.ok(), patched, "it persisted");

        // Tags replace all: the old one no longer selects it, a new one does.
        let campaign = app
            .post_campaign(&json!({"name": "Warm", "mailboxTags": ["WARM", "eu"]}))
            .await;
        assert_eq!(campaign.created()["mailboxes"], json!([id]));
    })
    .await;
}

#[tokio::test]
async fn patch_clamps_the_daily_send_limit_into_1_to_50() {
    on_every_backend(|app| async move {
        let id = app.mailboxes[0].id().to_string();
        for (given, stored) in [
            (json!(0), 1),
            (json!(500), 50),
            (json!(-3), 1),
            (json!(12), 12),
            (json!(u64::MAX), 50),
        ] {
            let patched = patch_mailbox(&app, &id, &json!({"dailySendLimit": given})).await;
            assert_eq!(patched.ok()["dailySendLimit"], stored, "{given}");
        }
        assert_eq!(get_mailbox(&app, &id).await.ok()["dailySendLimit"], 50);
    })
    .await;
}

#[tokio::test]
async fn patch_null_resets_each_field_to_what_a_new_mailbox_gets() {
    on_every_backend(|app| async move {
        let registered = register(
            &app,
            &json!({"email": "ana@acme.example.com", "provider": "gmail", "displayName": "Ana",
                    "signature": "Best", "tags": ["EU"], "dailySendLimit": 20, "sendingEnabled": false}),
        )
        .await;
        let patched = patch_mailbox(
            &app,
            &id_of(&registered),
            &json!({"displayName": null, "signature": null, "tags": null,
                    "dailySendLimit": null, "sendingEnabled": null}),
        )
        .await;
        let patched = patched.ok();
        assert_eq!(patched["displayName"], Value::Null);
        assert_eq!(patched["signature"], Value::Null);
        assert_eq!(patched["tags"], json!([]));
        assert_eq!(patched["dailySendLimit"], 50);
        assert_eq!(patched["sendingEnabled"], true);
        assert_eq!(patched["email"], registered["email"]);
    })
    .await;
}

#[tokio::test]
async fn a_rejected_patch_lists_every_problem_and_changes_nothing() {
    on_every_backend(|app| async move {
        let id = app.mailboxes[0].id().to_string();
        let before = get_mailbox(&app, &id).await.ok().clone();
        let_the_clock_move().await;
        let refused = patch_mailbox(
            &app,
            &id,
            &json!({"email": "new@acme.example.com", "provider": "outlook", "status": "error",
                    "displayName": "n".repeat(101), "dailySendLimit": 1.5,
                    "tags": ["a", "A", 7], "signature": "s".repeat(10_001), "sendingEnabled": "no"}),
        )
        .await;
        refused.assert_error(400, "VALIDATION_FAILED");
        assert_eq!(
            refused.problems(),
            [
                ("/email", "unknown_field"),
                ("/provider", "unknown_field"),
                ("/status", "unknown_field"),
                ("/displayName", "too_long"),
                ("/dailySendLimit", "invalid_type"),
                ("/tags/1", "duplicate"),
                ("/tags/2", "invalid_type"),
                ("/signature", "too_long"),
                ("/sendingEnabled", "invalid_type"),
            ]
            .map(|(pointer, code)| (pointer.to_owned(), code.to_owned()))
        );
        for body in [json!([1]), json!("x"), json!({"email": "x@acme.example.com"})] {
            patch_mailbox(&app, &id, &body)
                .await
                .assert_error(400, "VALIDATION_FAILED");
        }
        app.request_with_body(Method::PATCH, &format!("/v1/mailboxes/{id}"), "{\"displayName\": ")
            .await
            .assert_error(400, "MALFORMED_JSON");
        assert_eq!(*get_mailbox(&app, &id).await.ok(), before, "nothing changed");
    })
    .await;
}

#[tokio::test]
async fn concurrent_patches_of_different_fields_are_all_kept() {
    on_every_backend(|app| async move {
        let id = app.mailboxes[1].id().to_string();
        let bodies = [
            json!({"displayName": "Sam"}),
            json!({"dailySendLimit": 7}),
            json!({"signature": "Cheers"}),
            json!({"sendingEnabled": false}),
            json!({"tags": ["apac"]}),
        ];
        for answer in join_all(bodies.iter().map(|body| patch_mailbox(&app, &id, body))).await {
            answer.ok();
        }
        let stored = get_mailbox(&app, &id).await;
        let stored = stored.ok();
        assert_eq!(stored["displayName"], "Sam");
        assert_eq!(stored["dailySendLimit"], 7);
        assert_eq!(stored["signature"], "Cheers");
        assert_eq!(stored["sendingEnabled"], false);
        assert_eq!(stored["tags"], json!(["apac"]));
    })
    .await;
}

#[tokio::test]
async fn deleting_a_mailbox_removes_it_from_every_campaign_that_used_it() {
    on_every_backend(|app| async move {
        let [first, second, third] = [0, 1, 2].map(|index| app.mailboxes[index].id().to_string());
        let all = app
            .create_campaign(&json!({"name": "All", "mailboxIds": [first, second, third]}))
            .await;
        let only = app
            .create_campaign(&json!({"name": "Only", "mailboxIds": [second]}))
            .await;
        let other = app
            .create_campaign(&json!({"name": "Other", "mailboxIds": [first]}))
            .await;
        let before = |id: &str| {
            let id = id.to_owned();
            let app = &app;
            async move {
                app.get_with_key(&format!("/v1/campaigns/{id}"))
                    .await
                    .ok()
                    .clone()
            }
        };
        let (all_before, other_before) = (before(&all).await, before(&other).await);
        let_the_clock_move().await;

        let deleted = delete_mailbox(&app, &second).await;
        assert_eq!(*deleted.ok(), json!({"id": second, "deleted": true}));

        let all_after = before(&all).await;
        assert_eq!(all_after["mailboxes"], json!([first, third]));
        assert_eq!(all_after["mailboxCount"], 2);
        assert_ne!(
            all_after["updatedAt"], all_before["updatedAt"],
            "it changed"
        );
        let only_after = before(&only).await;
        assert_eq!(only_after["mailboxes"], json!([]));
        assert_eq!(only_after["mailboxCount"], 0);
        assert_eq!(before(&other).await, other_before, "untouched");

        get_mailbox(&app, &second)
            .await
            .assert_error(404, "NOT_FOUND");
        assert!(!ids_of(&app.get_with_key("/v1/mailboxes").await).contains(&second));
        delete_mailbox(&app, &second)
            .await
            .assert_error(404, "NOT_FOUND");

        // A campaign update after the delete keeps the list without it; naming it is not found.
        let renamed = app.patch_campaign(&all, &json!({"name": "Renamed"})).await;
        assert_eq!(renamed.ok()["mailboxes"], json!([first, third]));
        let naming_it = app
            .patch_campaign(&all, &json!({"mailboxIds": [second]}))
            .await;
        naming_it.assert_error(400, "MAILBOX_NOT_FOUND");
    })
    .await;
}

#[tokio::test]
async fn another_workspaces_mailbox_is_404_on_get_patch_and_delete_and_never_listed() {
    on_every_backend(|app| async move {
        let (rival, rival_mailbox, _) = app.other_workspace().await;
        let theirs = rival_mailbox.id().to_string();
        get_mailbox(&app, &theirs)
            .await
            .assert_error(404, "NOT_FOUND");
        patch_mailbox(&app, &theirs, &json!({"displayName": "Mine now"}))
            .await
            .assert_error(404, "NOT_FOUND");
        patch_mailbox(&app, &theirs, &json!({"email": "x@acme.example.com"}))
            .await
            .assert_error(404, "NOT_FOUND");
        delete_mailbox(&app, &theirs)
            .await
            .assert_error(404, "NOT_FOUND");
        for query in [
            "limit=100",
            "tags=outreach",
            "search=rival",
            "provider=gmail",
        ] {
            let listed = app.get_with_key(&format!("/v1/mailboxes?{query}")).await;
            assert!(!ids_of(&listed).contains(&theirs), "{query}");
        }
        let listed = app.get_with_key("/v1/mailboxes").await;
        assert_eq!(listed.body["pagination"]["total"], 3, "only our own");

        let stored = app
            .ports
            .mailboxes
            .find(
                domain::id::WorkspaceId::parse(&rival.workspace_id).expect("an id"),
                rival_mailbox.id(),
            )
            .await
            .expect("the repository answers");
        assert_eq!(stored, Some(rival_mailbox), "untouched");
    })
    .await;
}

/// Every object key anywhere in `value`, lowercased.
fn keys(value: &Value, into: &mut Vec<String>) {
    match value {
        Value::Object(members) => {
            for (key, member) in members {
                into.push(key.to_lowercase());
                keys(member, into);
            }
        }
        Value::Array(items) => items.iter().for_each(|item| keys(item, into)),
        _ => {}
    }
}

#[tokio::test]
async fn no_answer_carries_a_credential() {
    on_every_backend(|app| async move {
        let registered = app
            .post_json(
                "/v1/mailboxes",
                &json!({"email": "ana@acme.example.com", "provider": "custom",
                        "smtpHost": "127.0.0.1", "smtpUsername": "ana", "smtpPassword": "pw-1",
                        "imapHost": "127.0.0.1", "imapUsername": "ana", "imapPassword": "pw-2"}),
            )
            .await;
        let id = id_of(registered.created());
        let answers = [
            registered,
            get_mailbox(&app, &id).await,
            app.get_with_key("/v1/mailboxes?limit=100").await,
            patch_mailbox(&app, &id, &json!({"displayName": "Ana"})).await,
            delete_mailbox(&app, &id).await,
        ];
        for answer in answers {
            assert!(answer.status < 300, "{}", answer.text);
            let mut found = Vec::new();
            keys(&answer.body, &mut found);
            for key in found {
                for credential in [
                    "password",
                    "credential",
                    "token",
                    "secret",
                    "sealed",
                    "oauth",
                ] {
                    assert!(!key.contains(credential), "{key} in {}", answer.text);
                }
            }
        }
    })
    .await;
}

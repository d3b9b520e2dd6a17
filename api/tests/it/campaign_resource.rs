//! The campaign after create (spec sections 3 and 5): read, list, update, lifecycle and delete, end to
//! end on every backend.

use std::collections::BTreeSet;

use futures_util::future::join_all;
use serde_json::{Value, json};

use crate::support::*;

fn seed() -> Value {
    serde_json::from_str(SEED_BODY).expect("the seed body is JSON")
}

/// A campaign that can start: an email step and the seeded workspace's mailboxes.
fn startable(name: &str) -> Value {
    json!({
        "name": name,
        "sequence": [{"type": "email", "subject": "Hi {{firstName}}", "body": "Hello"}],
        "mailboxTags": ["outreach"],
    })
}

fn ids_of(page: &TestResponse) -> Vec<String> {
    page.ok()
        .as_array()
        .expect("data is a list")
        .iter()
        .map(|campaign| campaign["_id"].as_str().expect("an _id").to_owned())
        .collect()
}

/// `value` without the members that an update moves (`updatedAt`) or a read adds (`leadCounts`).
fn without_volatile(value: &Value) -> Value {
    let mut value = value.clone();
    if let Some(fields) = value.as_object_mut() {
        fields.remove("updatedAt");
        fields.remove("leadCounts");
    }
    value
}

#[tokio::test]
async fn get_answers_the_created_campaign_with_lead_counts_and_the_webhook_secret_masked() {
    on_every_backend(|app| async move {
        let created = app.post_campaign(&seed()).await.created().clone();
        let id = created["_id"].as_str().expect("an _id");
        let read = app.get_with_key(&format!("/v1/campaigns/{id}")).await;
        let read = read.ok();

        let mut expected = created.clone();
        expected["webhook"]["secret"] = json!("whsec_…3xyz");
        expected["leadCounts"] = json!({"total": 0, "pending": 0, "active": 0, "paused": 0, "completed": 0, "bounced": 0, "unsubscribed": 0, "replied": 0, "removed": 0});
        assert_eq!(*read, expected);
    })
    .await;
}

#[tokio::test]
async fn get_of_an_unknown_or_malformed_campaign_id_is_404() {
    on_every_backend(|app| async move {
        for id in [
            "0123456789abcdef01234567",
            "not-an-id",
            "0123456789ABCDEF01234567",
        ] {
            app.get_with_key(&format!("/v1/campaigns/{id}"))
                .await
                .assert_error(404, "NOT_FOUND");
        }
    })
    .await;
}

#[tokio::test]
async fn list_walks_every_campaign_exactly_once_newest_first_while_new_ones_are_created() {
    on_every_backend(|app| async move {
        let mut existing = Vec::new();
        for n in 0..23 {
            existing.push(
                app.create_campaign(&json!({"name": format!("Wave {n}")}))
                    .await,
            );
        }
        existing.reverse();

        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        let mut pages = 0;
        loop {
            let path = match &cursor {
                None => "/v1/campaigns?limit=5".to_owned(),
                Some(cursor) => format!("/v1/campaigns?limit=5&cursor={cursor}"),
            };
            let page = app.get_with_key(&path).await;
            let ids = ids_of(&page);
            let pagination = &page.body["pagination"];
            assert_eq!(pagination["limit"], 5);
            if pages == 0 {
                assert_eq!(pagination["total"], 23);
            }
            seen.extend(ids.clone());
            pages += 1;
            // Campaigns created mid-walk are newer than every cursor, so they never show up.
            app.create_campaign(&json!({"name": format!("Late {pages}")}))
                .await;
            if pagination["hasMore"] == false {
                assert_eq!(pagination["nextCursor"], Value::Null);
                break;
            }
            assert_eq!(pagination["nextCursor"], json!(ids.last()));
            cursor = ids.last().cloned();
        }
        assert_eq!(pages, 5);
        assert_eq!(seen, existing, "every campaign once, newest first");
    })
    .await;
}

#[tokio::test]
async fn list_pages_hold_25_campaigns_unless_limit_says_otherwise() {
    on_every_backend(|app| async move {
        for n in 0..26 {
            app.create_campaign(&json!({"name": format!("C{n}")})).await;
        }
        let first = app.get_with_key("/v1/campaigns").await;
        assert_eq!(ids_of(&first).len(), 25);
        assert_eq!(
            first.body["pagination"]
                .as_object()
                .map(|fields| fields.keys().cloned().collect::<BTreeSet<_>>()),
            Some(
                ["hasMore", "limit", "nextCursor", "total"]
                    .map(String::from)
                    .into()
            )
        );
        assert_eq!(first.body["pagination"]["limit"], 25);
        assert_eq!(first.body["pagination"]["total"], 26);
        assert_eq!(first.body["pagination"]["hasMore"], true);
        let all = app.get_with_key("/v1/campaigns?limit=100").await;
        assert_eq!(ids_of(&all).len(), 26);
        assert_eq!(all.body["pagination"]["hasMore"], false);
        let item = &all.ok()[0];
        assert_eq!(item["leadCounts"], json!({"total": 0, "pending": 0, "active": 0, "paused": 0, "completed": 0, "bounced": 0, "unsubscribed": 0, "replied": 0, "removed": 0}));
    })
    .await;
}

#[tokio::test]
async fn list_filters_by_status_and_by_case_insensitive_name_substring() {
    on_every_backend(|app| async move {
        let spring = app.create_campaign(&startable("Spring Launch")).await;
        let cleanup = app
            .create_campaign(&json!({"name": "spring CLEANUP"}))
            .await;
        let autumn = app.create_campaign(&startable("Été 100% off_sale")).await;
        app.campaign_action(&spring, "start").await.ok();

        let search = app.get_with_key("/v1/campaigns?search=SPRING").await;
        assert_eq!(ids_of(&search), [cleanup.clone(), spring.clone()]);
        assert_eq!(search.body["pagination"]["total"], 2);

        let active = app.get_with_key("/v1/campaigns?status=active").await;
        assert_eq!(ids_of(&active), std::slice::from_ref(&spring));
        let drafts = app
            .get_with_key("/v1/campaigns?status=draft&search=spring")
            .await;
        assert_eq!(ids_of(&drafts), std::slice::from_ref(&cleanup));

        let accented = app.get_with_key("/v1/campaigns?search=%C3%A9T%C3%89").await;
        assert_eq!(
            ids_of(&accented),
            std::slice::from_ref(&autumn),
            "non-ASCII case folds too"
        );
        let percent = app.get_with_key("/v1/campaigns?search=100%25").await;
        assert_eq!(ids_of(&percent), std::slice::from_ref(&autumn));
        let wildcard = app.get_with_key("/v1/campaigns?search=%25").await;
        assert_eq!(
            ids_of(&wildcard),
            std::slice::from_ref(&autumn),
            "% matches itself only"
        );
        let underscore = app.get_with_key("/v1/campaigns?search=f_s").await;
        assert_eq!(ids_of(&underscore), [autumn], "_ matches itself only");
        let none = app.get_with_key("/v1/campaigns?search=winter").await;
        assert_eq!(ids_of(&none), Vec::<String>::new());
        assert_eq!(none.body["pagination"]["total"], 0);
    })
    .await;
}

#[tokio::test]
async fn list_refuses_query_parameters_outside_the_contract() {
    on_every_backend(|app| async move {
        for query in [
            "limit=0",
            "limit=101",
            "limit=ten",
            "cursor=nope",
            "status=running",
            &format!("search={}", "x".repeat(201)),
        ] {
            app.get_with_key(&format!("/v1/campaigns?{query}"))
                .await
                .assert_error(400, "VALIDATION_FAILED");
        }
    })
    .await;
}

#[tokio::test]
async fn patch_changes_only_what_it_names_and_moves_updated_at() {
    on_every_backend(|app| async move {
        let created = app.post_campaign(&seed()).await.created().clone();
        let id = created["_id"].as_str().expect("an _id");
        let patched = app.patch_campaign(id, &json!({"name": "Renamed"})).await;
        let patched = patched.ok().clone();

        let mut expected = without_volatile(&created);
        expected["name"] = json!("Renamed");
        expected["webhook"]["secret"] = json!("whsec_…3xyz");
        assert_eq!(without_volatile(&patched), expected);
        assert_ne!(patched["updatedAt"], created["updatedAt"]);
        assert_eq!(patched["createdAt"], created["createdAt"]);

        let read = app.get_with_key(&format!("/v1/campaigns/{id}")).await;
        assert_eq!(*read.ok(), patched, "the update persisted");
    })
    .await;
}

#[tokio::test]
async fn patch_merges_schedule_and_settings_member_by_member_and_null_resets_a_field() {
    on_every_backend(|app| async move {
        let id = app.create_campaign(&seed()).await;
        let patched = app
            .patch_campaign(
                &id,
                &json!({
                    "schedule": {"timezone": "Europe/Paris"},
                    "settings": {
                        "webhook": {"events": ["email.sent"]},
                        "cnameTracking": null,
                        "dailySendLimit": null,
                        "slackChannelId": null,
                    },
                }),
            )
            .await;
        let patched = patched.ok();
        assert_eq!(
            patched["sendingSchedule"],
            json!({"timezone": "Europe/Paris", "startTime": "08:30", "endTime": "16:00",
                   "workingDays": [1, 2, 3, 4, 5], "skipNationalHolidays": true})
        );
        assert_eq!(
            patched["webhook"],
            json!({"enabled": true, "url": "https://yourcompany.com/webhooks/sendkit",
                   "secret": "whsec_…3xyz", "events": ["email.sent"]}),
            "nested objects merge: url, secret and enabled are kept"
        );
        assert_eq!(
            patched["cnameTracking"],
            json!({"enabled": false, "domain": null})
        );
        assert_eq!(patched["dailySendLimit"], Value::Null);
        assert_eq!(patched["slackChannelId"], Value::Null);
        assert_eq!(
            patched["emailIntervalMinutes"], 12,
            "untouched settings stay"
        );
    })
    .await;
}

#[tokio::test]
async fn patch_replaces_the_whole_sequence() {
    on_every_backend(|app| async move {
        let id = app.create_campaign(&seed()).await;
        let patched = app
            .patch_campaign(
                &id,
                &json!({"sequence": [{"type": "email", "subject": "Only", "body": "One"}]}),
            )
            .await;
        let sequence = patched.ok()["sequence"].as_array().expect("a list").clone();
        assert_eq!(sequence.len(), 1);
        assert_eq!(sequence[0]["subject"], "Only");
        assert_eq!(sequence[0]["name"], "Initial Email");
    })
    .await;
}

#[tokio::test]
async fn patch_of_subsequences_keeps_the_ids_given_and_removes_unsent_ones_left_out() {
    on_every_backend(|app| async move {
        let follow_up = |name: &str, tag: &str| {
            json!({"name": name, "trigger": {"type": "ai_tag", "value": tag},
                   "sequence": [{"type": "email", "subject": "", "body": "Following up"}]})
        };
        let created = app
            .post_campaign(&json!({"name": "With subsequences", "subsequences": [
                follow_up("Interested", "Interested"), follow_up("Later", "Not now")]}))
            .await;
        let subsequences = created.created()["subsequences"].clone();
        let id = created.created()["_id"]
            .as_str()
            .expect("an _id")
            .to_owned();
        let kept_id = subsequences[0]["_id"].clone();

        let mut kept = follow_up("Interested, renamed", "Interested");
        kept["_id"] = kept_id.clone();
        let patched = app
            .patch_campaign(
                &id,
                &json!({"subsequences": [kept, follow_up("New", "Meeting")]}),
            )
            .await;
        let after = patched.ok()["subsequences"]
            .as_array()
            .expect("a list")
            .clone();
        assert_eq!(after.len(), 2, "the unsent one left out is removed");
        assert_eq!(after[0]["_id"], kept_id);
        assert_eq!(after[0]["name"], "Interested, renamed");
        assert_ne!(after[1]["_id"], subsequences[1]["_id"]);
        assert!(after[1]["_id"].as_str().is_some_and(is_object_id));
        assert_eq!(after[1]["addedCount"], 0);

        let foreign = app
            .patch_campaign(
                &id,
                &json!({"subsequences": [
                {"_id": "0123456789abcdef01234567", "name": "Stolen",
                 "trigger": {"type": "reply"},
                 "sequence": [{"type": "email", "subject": "", "body": "x"}]}]}),
            )
            .await;
        foreign.assert_error(400, "VALIDATION_FAILED");
        assert_eq!(
            foreign.problems(),
            [("/subsequences/0/_id".to_owned(), "invalid_value".to_owned())]
        );
    })
    .await;
}

#[tokio::test]
async fn patch_with_a_mailbox_selector_replaces_the_mailbox_list_and_without_one_keeps_it() {
    on_every_backend(|app| async move {
        let id = app.create_campaign(&seed()).await;
        let renamed = app
            .patch_campaign(&id, &json!({"name": "Same mailboxes"}))
            .await;
        assert_eq!(renamed.ok()["mailboxes"], json!(app.mailbox_ids()));

        let gmail = app
            .patch_campaign(&id, &json!({"mailboxProvider": "gmail"}))
            .await;
        let gmail = gmail.ok();
        assert_eq!(
            gmail["mailboxes"],
            json!([app.mailboxes[0].id().to_string()])
        );
        assert_eq!(gmail["mailboxCount"], 1);

        let cleared = app.patch_campaign(&id, &json!({"mailboxIds": []})).await;
        assert_eq!(cleared.ok()["mailboxes"], json!([]));
    })
    .await;
}

#[tokio::test]
async fn rejected_patch_reports_every_problem_and_changes_nothing() {
    on_every_backend(|app| async move {
        let id = app.create_campaign(&seed()).await;
        let before = app
            .get_with_key(&format!("/v1/campaigns/{id}"))
            .await
            .ok()
            .clone();
        let response = app
            .patch_campaign(
                &id,
                &json!({
                    "name": "  ",
                    "status": "active",
                    "sequence": [{"type": "wait", "waitDays": 1}],
                    "settings": {"dailySendLimit": "lots"},
                    "mailboxIds": ["0123456789abcdef01234567"],
                }),
            )
            .await;
        response.assert_error(400, "VALIDATION_FAILED");
        let problems = response.problems();
        for expected in [
            ("/status", "unknown_field"),
            ("/settings/dailySendLimit", "invalid_type"),
            ("/name", "blank"),
            ("/mailboxIds/0", "mailbox_not_found"),
        ] {
            assert!(
                problems.contains(&(expected.0.to_owned(), expected.1.to_owned())),
                "{expected:?} missing from {problems:?}"
            );
        }
        assert!(
            problems
                .iter()
                .any(|(pointer, _)| pointer.starts_with("/sequence"))
        );
        let after = app.get_with_key(&format!("/v1/campaigns/{id}")).await;
        assert_eq!(*after.ok(), before);
        app.assert_nothing_changed();

        for body in ["[1, 2]", "\"name\"", "{"] {
            let response = app
                .request_with_body(reqwest::Method::PATCH, &format!("/v1/campaigns/{id}"), body)
                .await;
            assert_eq!(response.status, 400, "{body}: {}", response.text);
        }
        app.assert_nothing_changed();
    })
    .await;
}

#[tokio::test]
async fn patch_naming_another_workspaces_mailbox_is_mailbox_not_found() {
    on_every_backend(|app| async move {
        let (_, rival_mailbox, _) = app.other_workspace().await;
        let id = app.create_campaign(&seed()).await;
        let response = app
            .patch_campaign(
                &id,
                &json!({"mailboxIds": [rival_mailbox.id().to_string()]}),
            )
            .await;
        response.assert_error(400, "MAILBOX_NOT_FOUND");
        app.assert_nothing_changed();
    })
    .await;
}

#[tokio::test]
async fn patch_that_enables_the_webhook_without_a_secret_shows_the_generated_secret_once() {
    on_every_backend(|app| async move {
        let id = app.create_campaign(&json!({"name": "Hooked later"})).await;
        let patched = app
            .patch_campaign(
                &id,
                &json!({"settings": {"webhook": {"enabled": true,
                "url": "https://hooks.example.com/in", "events": ["lead.replied"]}}}),
            )
            .await;
        let secret = patched.ok()["webhook"]["secret"]
            .as_str()
            .expect("a secret")
            .to_owned();
        assert!(
            secret.starts_with("whsec_") && secret.len() == 70,
            "{secret}"
        );
        let read = app.get_with_key(&format!("/v1/campaigns/{id}")).await;
        assert_eq!(
            read.ok()["webhook"]["secret"],
            json!(format!("whsec_…{}", &secret[secret.len() - 4..]))
        );
    })
    .await;
}

#[tokio::test]
async fn eight_concurrent_patches_to_different_settings_lose_nothing() {
    on_every_backend(|app| async move {
        let id = app.create_campaign(&seed()).await;
        let changes = [
            json!({"trackOpens": false}),
            json!({"trackClicks": false}),
            json!({"includeUnsubscribeLink": true}),
            json!({"stopOnReply": false}),
            json!({"stopOnAutoReply": false}),
            json!({"skipDNC": false}),
            json!({"dailySendLimit": 33}),
            json!({"emailIntervalMinutes": 45}),
        ];
        let bodies: Vec<Value> = changes
            .iter()
            .map(|settings| json!({"settings": settings}))
            .collect();
        let patches = bodies.iter().map(|body| app.patch_campaign(&id, body));
        for response in join_all(patches).await {
            response.ok();
        }
        let read = app.get_with_key(&format!("/v1/campaigns/{id}")).await;
        let campaign = read.ok();
        for settings in &changes {
            for (field, value) in settings.as_object().expect("an object") {
                assert_eq!(campaign[field], *value, "{field} was lost");
            }
        }
    })
    .await;
}

#[tokio::test]
async fn every_legal_transition_answers_the_new_status() {
    on_every_backend(|app| async move {
        let id = app.create_campaign(&startable("Lifecycle")).await;
        let started = app.campaign_action(&id, "start").await;
        let started = started.ok().clone();
        assert_eq!(started["status"], "active");
        let started_at = started["startedAt"].clone();
        assert!(started_at.as_str().is_some_and(is_wire_timestamp));

        let paused = app.campaign_action(&id, "pause").await;
        assert_eq!(paused.ok()["status"], "paused");
        let resumed = app.campaign_action(&id, "resume").await;
        assert_eq!(*resumed.ok(), json!({"id": id, "status": "active"}));
        app.campaign_action(&id, "pause").await.ok();
        let restarted = app.campaign_action(&id, "start").await;
        assert_eq!(restarted.ok()["status"], "active");
        assert_eq!(
            restarted.ok()["startedAt"],
            started_at,
            "startedAt is set once"
        );

        let archived = app.campaign_action(&id, "archive").await;
        assert_eq!(archived.ok()["status"], "archived");
        let read = app.get_with_key(&format!("/v1/campaigns/{id}")).await;
        assert_eq!(read.ok()["status"], "archived");

        for (from, action) in [("draft", "archive"), ("paused", "archive")] {
            let other = app.create_campaign(&startable(from)).await;
            if from == "paused" {
                app.campaign_action(&other, "start").await.ok();
                app.campaign_action(&other, "pause").await.ok();
            }
            assert_eq!(
                app.campaign_action(&other, action).await.ok()["status"],
                "archived"
            );
        }
    })
    .await;
}

#[tokio::test]
async fn every_illegal_transition_is_409_naming_the_current_status_and_changes_nothing() {
    on_every_backend(|app| async move {
        let draft = app.create_campaign(&startable("Draft")).await;
        let active = app.create_campaign(&startable("Active")).await;
        app.campaign_action(&active, "start").await.ok();
        let paused = app.create_campaign(&startable("Paused")).await;
        app.campaign_action(&paused, "start").await.ok();
        app.campaign_action(&paused, "pause").await.ok();
        let archived = app.create_campaign(&startable("Archived")).await;
        app.campaign_action(&archived, "archive").await.ok();
        let before = app
            .get_with_key("/v1/campaigns?limit=100")
            .await
            .ok()
            .clone();

        for (id, status, actions) in [
            (&draft, "draft", &["pause", "resume"][..]),
            (&active, "active", &["start", "resume"][..]),
            (&paused, "paused", &["pause"][..]),
            (
                &archived,
                "archived",
                &["start", "pause", "resume", "archive"][..],
            ),
        ] {
            for action in actions {
                let response = app.campaign_action(id, action).await;
                response.assert_error(409, "INVALID_STATE_TRANSITION");
                assert_eq!(
                    response.body["message"],
                    format!("cannot {action} a campaign that is {status}")
                );
            }
        }
        let after = app.get_with_key("/v1/campaigns?limit=100").await;
        assert_eq!(*after.ok(), before);
    })
    .await;
}

#[tokio::test]
async fn start_needs_a_mailbox_and_an_email_step() {
    on_every_backend(|app| async move {
        let empty = app.create_campaign(&json!({"name": "Empty"})).await;
        let response = app.campaign_action(&empty, "start").await;
        response.assert_error(409, "INVALID_STATE_TRANSITION");
        assert_eq!(
            response.body["message"],
            "cannot start a campaign that has no mailbox and no email step; it is still draft"
        );
        let read = app.get_with_key(&format!("/v1/campaigns/{empty}")).await;
        assert_eq!(read.ok()["status"], "draft");
    })
    .await;
}

#[tokio::test]
async fn an_archived_campaign_is_read_only() {
    on_every_backend(|app| async move {
        let id = app.create_campaign(&seed()).await;
        app.campaign_action(&id, "archive").await.ok();
        let before = app
            .get_with_key(&format!("/v1/campaigns/{id}"))
            .await
            .ok()
            .clone();
        let response = app.patch_campaign(&id, &json!({"name": "Revived"})).await;
        response.assert_error(409, "CONFLICT");
        let after = app.get_with_key(&format!("/v1/campaigns/{id}")).await;
        assert_eq!(*after.ok(), before);
    })
    .await;
}

#[tokio::test]
async fn delete_removes_a_draft_that_never_started_and_refuses_any_other() {
    on_every_backend(|app| async move {
        let draft = app.create_campaign(&seed()).await;
        let deleted = app
            .send(
                reqwest::Method::DELETE,
                &format!("/v1/campaigns/{draft}"),
                None,
            )
            .await;
        assert_eq!(*deleted.ok(), json!({"id": draft, "deleted": true}));
        app.get_with_key(&format!("/v1/campaigns/{draft}"))
            .await
            .assert_error(404, "NOT_FOUND");
        app.send(
            reqwest::Method::DELETE,
            &format!("/v1/campaigns/{draft}"),
            None,
        )
        .await
        .assert_error(404, "NOT_FOUND");

        let started = app.create_campaign(&startable("Started")).await;
        app.campaign_action(&started, "start").await.ok();
        app.campaign_action(&started, "pause").await.ok();
        let archived = app.create_campaign(&startable("Archived draft")).await;
        app.campaign_action(&archived, "archive").await.ok();
        for (id, status) in [(&started, "paused"), (&archived, "archived")] {
            let refused = app
                .send(
                    reqwest::Method::DELETE,
                    &format!("/v1/campaigns/{id}"),
                    None,
                )
                .await;
            refused.assert_error(409, "INVALID_STATE_TRANSITION");
            assert!(
                refused.body["message"]
                    .as_str()
                    .is_some_and(|message| message.contains(status)),
                "{}",
                refused.text
            );
            app.get_with_key(&format!("/v1/campaigns/{id}")).await.ok();
        }
    })
    .await;
}

#[tokio::test]
async fn another_workspaces_campaign_is_404_everywhere_and_stays_untouched() {
    on_every_backend(|app| async move {
        let (rival, _, _) = app.other_workspace().await;
        let rival_campaign = app
            .post_raw(
                "/v1/campaigns",
                json!({"name": "Rival secret plan"}).to_string(),
                &[
                    ("Content-Type", "application/json"),
                    ("X-Api-Key", &rival.workspace_key),
                ],
            )
            .await
            .created()
            .clone();
        let id = rival_campaign["_id"].as_str().expect("an _id");

        app.get_with_key(&format!("/v1/campaigns/{id}"))
            .await
            .assert_error(404, "NOT_FOUND");
        app.patch_campaign(id, &json!({"name": "Mine"}))
            .await
            .assert_error(404, "NOT_FOUND");
        for action in ["start", "pause", "resume", "archive"] {
            app.campaign_action(id, action)
                .await
                .assert_error(404, "NOT_FOUND");
        }
        app.send(
            reqwest::Method::DELETE,
            &format!("/v1/campaigns/{id}"),
            None,
        )
        .await
        .assert_error(404, "NOT_FOUND");
        let listed = app.get_with_key("/v1/campaigns?search=rival").await;
        assert_eq!(ids_of(&listed), Vec::<String>::new());
        assert_eq!(listed.body["pagination"]["total"], 0);
        app.assert_nothing_changed();

        let theirs = app
            .request(
                reqwest::Method::GET,
                &format!("/v1/campaigns/{id}"),
                &[("X-Api-Key", &rival.workspace_key)],
            )
            .await;
        assert_eq!(theirs.ok()["name"], "Rival secret plan");
        assert_eq!(theirs.ok()["updatedAt"], rival_campaign["updatedAt"]);
    })
    .await;
}

/// Marks the campaign's first subsequence as having taken in a lead, as sending will.
async fn first_subsequence_has_sent(app: &TestApp, id: &str) {
    use domain::campaign::{Campaign, StoredCampaign};

    let found = app
        .ports
        .campaigns
        .find(
            app.tenancy().workspace_id,
            domain::id::CampaignId::parse(id).expect("an id"),
        )
        .await
        .expect("the repository answers")
        .expect("the campaign exists");
    let campaign = found.campaign;
    let mut counters = campaign.subsequence_counters();
    counters[0].added_count = 1;
    let sent = Campaign::restore(StoredCampaign {
        id: campaign.id(),
        workspace_id: campaign.workspace_id(),
        user_id: campaign.user_id(),
        status: campaign.status(),
        content: campaign.content(),
        subsequence_counters: counters,
        mailboxes: campaign.mailboxes().to_vec(),
        stats: campaign.stats(),
        lead_counts: campaign.lead_counts(),
        started_at: campaign.started_at(),
        completed_at: campaign.completed_at(),
        created_at: campaign.created_at(),
        updated_at: campaign.updated_at(),
    })
    .expect("a valid campaign");
    app.ports
        .campaigns
        .update(&sent, found.version)
        .await
        .expect("the repository answers");
}

#[tokio::test]
async fn a_subsequence_that_sent_keeps_its_trigger_and_is_archived_when_left_out() {
    on_every_backend(|app| async move {
        let created = app
            .post_campaign(&json!({"name": "Sent follow-ups", "subsequences": [
                {"name": "Interested", "trigger": {"type": "ai_tag", "value": "Interested"},
                 "sequence": [{"type": "email", "subject": "", "body": "Great"}]}]}))
            .await
            .created()
            .clone();
        let id = created["_id"].as_str().expect("an _id");
        let subsequence_id = created["subsequences"][0]["_id"].clone();
        first_subsequence_has_sent(&app, id).await;

        let retrigger = app
            .patch_campaign(
                id,
                &json!({"subsequences": [
                {"_id": subsequence_id, "name": "Interested",
                 "trigger": {"type": "reply"},
                 "sequence": [{"type": "email", "subject": "", "body": "Great"}]}]}),
            )
            .await;
        retrigger.assert_error(409, "CONFLICT");

        let left_out = app.patch_campaign(id, &json!({"subsequences": []})).await;
        let kept = left_out.ok()["subsequences"].clone();
        assert_eq!(kept.as_array().map(Vec::len), Some(1));
        assert_eq!(kept[0]["_id"], subsequence_id);
        assert_eq!(kept[0]["archived"], true);
        assert_eq!(kept[0]["addedCount"], 1);
    })
    .await;
}

// Reads keep each campaign's rendering by version (src/campaign_views.rs): never older than what is
// stored.

/// The campaign `id` as GET and as the first page of the list answer it.
async fn read_both_ways(app: &TestApp, id: &str) -> (Value, Value) {
    let got = app.get_with_key(&format!("/v1/campaigns/{id}")).await;
    let listed = app.get_with_key("/v1/campaigns?limit=100").await;
    let listed = listed
        .ok()
        .as_array()
        .expect("data is a list")
        .iter()
        .find(|campaign| campaign["_id"] == id)
        .cloned()
        .expect("the campaign is listed");
    (got.ok().clone(), listed)
}

#[tokio::test]
async fn reads_after_an_update_a_status_change_or_a_mailbox_deletion_show_it_not_a_kept_rendering()
{
    on_every_backend(|app| async move {
        let id = app.create_campaign(&startable("Kept")).await;
        let (got, listed) = read_both_ways(&app, &id).await;
        assert_eq!(got, listed);
        // Read again: the kept rendering, the same answer.
        assert_eq!(read_both_ways(&app, &id).await, (got.clone(), listed));

        app.patch_campaign(&id, &json!({"name": "Renamed"}))
            .await
            .ok();
        let (got, listed) = read_both_ways(&app, &id).await;
        assert_eq!(
            (got["name"].clone(), listed["name"].clone()),
            (json!("Renamed"), json!("Renamed"))
        );

        app.campaign_action(&id, "start").await.ok();
        let (got, listed) = read_both_ways(&app, &id).await;
        assert_eq!(
            (got["status"].clone(), listed["status"].clone()),
            (json!("active"), json!("active"))
        );

        let deleted = app.mailboxes[0].id().to_string();
        app.send(
            reqwest::Method::DELETE,
            &format!("/v1/mailboxes/{deleted}"),
            None,
        )
        .await
        .ok();
        let (got, listed) = read_both_ways(&app, &id).await;
        let left: Vec<String> = app
            .mailbox_ids()
            .into_iter()
            .filter(|mailbox| *mailbox != deleted)
            .collect();
        assert_eq!(got["mailboxes"], json!(left));
        assert_eq!(listed["mailboxes"], json!(left));
        assert_eq!(got, listed);
    })
    .await;
}

#[tokio::test]
async fn reads_answer_the_same_json_whether_renderings_are_kept_or_not() {
    let mut keeping_none = Customize::default();
    keeping_none.options.campaign_cache_bytes = 0;
    for customize in [Customize::default(), keeping_none] {
        on_every_backend_with(customize, |app| async move {
            let id = app.create_campaign(&seed()).await;
            let first = read_both_ways(&app, &id).await;
            let again = read_both_ways(&app, &id).await;
            assert_eq!(first, again);
            assert_eq!(first.0, first.1);
            assert_eq!(first.0["webhook"]["secret"], json!("whsec_…3xyz"));
        })
        .await;
    }
}

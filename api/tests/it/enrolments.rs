//! `/v1/campaigns/{id}/leads…` end to end on every backend (LEADS.md section 4): enrol in each mode,
//! the one-mode rule, an archived campaign, list, actions, PATCH, `start` turning pending leads
//! active, the lead side (`campaignId` filter, a lead's `campaigns`, deleting a lead), tenancy, and
//! `leadCounts` exact after every kind of change.

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::*;

fn seed() -> Value {
    serde_json::from_str(SEED_BODY).expect("the seed is JSON")
}

/// A draft campaign from the seed; with an `ai_tag` subsequence "Interested" when `subsequence`.
async fn campaign(app: &TestApp, subsequence: bool) -> String {
    let mut body = seed();
    if subsequence {
        body["subsequences"] = json!([{
            "name": "Interested follow-up",
            "trigger": {"type": "ai_tag", "value": "Interested"},
            "sequence": [{"type": "email", "subject": "Next steps", "body": "Glad to hear it."}]
        }]);
    }
    app.create_campaign(&body).await
}

/// Imports leads by email; their ids in order.
async fn leads(app: &TestApp, emails: &[&str]) -> Vec<String> {
    let body =
        json!({"leads": emails.iter().map(|email| json!({"email": email})).collect::<Vec<_>>()});
    let imported = app.post_json("/v1/leads/bulk", &body).await;
    imported.ok()["importedLeadIds"]
        .as_array()
        .expect("ids")
        .iter()
        .map(|id| id.as_str().expect("an id").to_owned())
        .collect()
}

async fn enrol(app: &TestApp, campaign: &str, body: &Value) -> TestResponse {
    app.post_json(&format!("/v1/campaigns/{campaign}/leads"), body)
        .await
}

async fn action(app: &TestApp, campaign: &str, body: &Value) -> TestResponse {
    app.post_json(&format!("/v1/campaigns/{campaign}/leads/action"), body)
        .await
}

async fn listed(app: &TestApp, campaign: &str, query: &str) -> TestResponse {
    app.get_with_key(&format!("/v1/campaigns/{campaign}/leads?limit=100{query}"))
        .await
}

/// The campaign's `leadCounts`, checked against its campaign leads counted one by one.
async fn exact_counts(app: &TestApp, campaign: &str) -> Value {
    let read = app.get_with_key(&format!("/v1/campaigns/{campaign}")).await;
    let counts = read.ok()["leadCounts"].clone();
    let page = listed(app, campaign, "").await;
    let items = page.ok().as_array().expect("a list").clone();
    assert_eq!(counts["total"], items.len(), "{counts}");
    for status in [
        "pending",
        "active",
        "paused",
        "completed",
        "bounced",
        "unsubscribed",
        "replied",
        "removed",
    ] {
        let counted = items.iter().filter(|item| item["status"] == status).count();
        assert_eq!(counts[status], counted, "{status}: {counts}");
    }
    counts
}

fn ids_of(page: &TestResponse) -> Vec<String> {
    page.ok()
        .as_array()
        .expect("a list")
        .iter()
        .map(|item| item["_id"].as_str().expect("an _id").to_owned())
        .collect()
}

#[tokio::test]
async fn enrolment_modes_counts_and_start_turning_pending_leads_active() {
    on_every_backend(|app| async move {
        let campaign = campaign(&app, false).await;
        let ids = leads(
            &app,
            &["ada@acme.test", "grace@navy.test", "alan@bletchley.test"],
        )
        .await;
        let added = enrol(
            &app,
            &campaign,
            &json!({"leads": [
                {"leadId": ids[0]},
                {"email": "new@acme.test", "firstName": "Nova", "vip": true},
                {"email": "not-an-address"},
                {"leadId": ids[0]}
            ]}),
        )
        .await;
        let answer = added.ok();
        assert_eq!(answer["added"], 2, "{answer}");
        assert_eq!(answer["skipped"], 1, "the repeated lead");
        assert_eq!(answer["errors"].as_array().map(Vec::len), Some(1));
        assert_eq!(answer["errors"][0]["index"], 2);
        assert_eq!(answer["errors"][0]["entry"], "not-an-address");
        let counts = exact_counts(&app, &campaign).await;
        assert_eq!(
            (counts["total"].clone(), counts["pending"].clone()),
            (json!(2), json!(2))
        );

        let all = enrol(
            &app,
            &campaign,
            &json!({"selectAll": true, "excludeIds": [ids[2]]}),
        )
        .await;
        assert_eq!(all.ok()["added"], 1, "{}", all.text);
        assert_eq!(all.ok()["skipped"], 2);
        let filtered = enrol(
            &app,
            &campaign,
            &json!({"filters": {"search": "BLETCHLEY"}}),
        )
        .await;
        assert_eq!(filtered.ok()["added"], 1, "{}", filtered.text);
        // Ada, the new lead, Grace, Alan: every lead of the workspace.
        assert_eq!(exact_counts(&app, &campaign).await["pending"], 4);

        // The item shape of LEADS.md section 4.
        let page = listed(&app, &campaign, "").await;
        let item = page.ok()[0].clone();
        assert!(
            is_object_id(item["_id"].as_str().expect("an _id")),
            "{item}"
        );
        assert_eq!(item["campaignId"], campaign);
        assert_eq!(item["lead"]["_id"], item["leadId"]);
        assert!(item["lead"]["email"].is_string());
        assert_eq!(item["status"], "pending");
        assert_eq!(item["stopReason"], Value::Null);
        assert_eq!(item["currentStep"], 0);
        assert_eq!(item["nextSendAt"], Value::Null);
        assert_eq!(item["emailsSent"], 0);
        assert_eq!(item["history"], json!([]));
        assert_eq!(item["subsequenceId"], Value::Null);
        assert!(is_wire_timestamp(
            item["createdAt"].as_str().expect("a time")
        ));
        assert_eq!(page.body["pagination"]["total"], 4);

        let started = app.campaign_action(&campaign, "start").await;
        assert_eq!(started.status, 200, "{}", started.text);
        assert_eq!(started.ok()["leadCounts"]["active"], 4, "{}", started.text);
        let counts = exact_counts(&app, &campaign).await;
        assert_eq!(
            (counts["pending"].clone(), counts["active"].clone()),
            (json!(0), json!(4))
        );

        // Added to an active campaign: active at once.
        let late = enrol(
            &app,
            &campaign,
            &json!({"leads": [{"email": "late@acme.test"}]}),
        )
        .await;
        assert_eq!(late.ok()["added"], 1);
        assert_eq!(exact_counts(&app, &campaign).await["active"], 5);
    })
    .await;
}

#[tokio::test]
async fn enrolment_takes_exactly_one_mode_else_400_and_nothing_is_enrolled() {
    on_every_backend(|app| async move {
        let campaign = campaign(&app, false).await;
        let ids = leads(&app, &["ada@acme.test"]).await;
        for body in [
            json!({}),
            json!({"selectAll": false}),
            json!({"selectAll": true, "leads": [{"leadId": ids[0]}]}),
            json!({"filters": {"tags": ["eu"]}, "selectAll": true}),
        ] {
            let refused = enrol(&app, &campaign, &body).await;
            refused.assert_error(400, "VALIDATION_FAILED");
            assert!(
                refused
                    .problems()
                    .iter()
                    .any(|(pointer, _)| pointer.is_empty()),
                "{body}: {}",
                refused.text
            );
        }
        enrol(&app, &campaign, &json!({"leads": [], "unknown": 1}))
            .await
            .assert_error(400, "VALIDATION_FAILED");
        assert_eq!(exact_counts(&app, &campaign).await["total"], 0);
    })
    .await;
}

#[tokio::test]
async fn an_archived_campaign_takes_no_leads_409() {
    on_every_backend(|app| async move {
        let campaign = campaign(&app, false).await;
        leads(&app, &["ada@acme.test"]).await;
        let archived = app.campaign_action(&campaign, "archive").await;
        assert_eq!(archived.status, 200, "{}", archived.text);
        enrol(&app, &campaign, &json!({"selectAll": true}))
            .await
            .assert_error(409, "CONFLICT");
        enrol(
            &app,
            &campaign,
            &json!({"leads": [{"email": "new@acme.test"}]}),
        )
        .await
        .assert_error(409, "CONFLICT");
        let created = app.get_with_key("/v1/leads?search=new%40acme").await;
        assert_eq!(
            created.body["pagination"]["total"], 0,
            "no lead was created"
        );
        assert_eq!(exact_counts(&app, &campaign).await["total"], 0);
    })
    .await;
}

#[tokio::test]
async fn actions_and_patch_keep_lead_counts_exact() {
    on_every_backend(|app| async move {
        let campaign = campaign(&app, true).await;
        leads(&app, &["a@acme.test", "b@acme.test", "c@acme.test"]).await;
        enrol(&app, &campaign, &json!({"selectAll": true}))
            .await
            .ok();
        // Pending leads are neither paused nor set to a status.
        let pending = ids_of(&listed(&app, &campaign, "").await);
        let paused = action(
            &app,
            &campaign,
            &json!({"action": "pause", "leadIds": pending}),
        )
        .await;
        assert_eq!(paused.ok()["modifiedCount"], 0);
        app.send(
            Method::PATCH,
            &format!("/v1/campaigns/{campaign}/leads/{}", pending[0]),
            Some(&json!({"status": "paused"})),
        )
        .await
        .assert_error(409, "INVALID_STATE_TRANSITION");

        app.campaign_action(&campaign, "start").await.ok();
        let paused = action(
            &app,
            &campaign,
            &json!({"action": "pause", "leadIds": [pending[0], pending[1]]}),
        )
        .await;
        assert_eq!(paused.ok(), &json!({"action": "pause", "modifiedCount": 2}));
        let counts = exact_counts(&app, &campaign).await;
        assert_eq!(
            (counts["active"].clone(), counts["paused"].clone()),
            (json!(1), json!(2))
        );
        assert_eq!(
            listed(&app, &campaign, "&status=paused").await.body["pagination"]["total"],
            2
        );

        let patched = app
            .send(
                Method::PATCH,
                &format!("/v1/campaigns/{campaign}/leads/{}", pending[0]),
                Some(&json!({"status": "active", "aiTag": "INTERESTED"})),
            )
            .await;
        assert_eq!(patched.ok()["status"], "active", "{}", patched.text);
        assert_eq!(patched.ok()["aiTag"], "INTERESTED");
        let joined = listed(&app, &campaign, "").await;
        let subsequence_rows = joined
            .ok()
            .as_array()
            .expect("a list")
            .iter()
            .filter(|item| item["subsequenceId"].is_string())
            .count();
        assert_eq!(subsequence_rows, 1, "the tag joined the ai_tag subsequence");
        let counts = exact_counts(&app, &campaign).await;
        assert_eq!(
            (counts["total"].clone(), counts["active"].clone()),
            (json!(4), json!(3))
        );

        let removed = action(
            &app,
            &campaign,
            &json!({"action": "remove", "selectAll": true, "filters": {"status": "paused"}}),
        )
        .await;
        assert_eq!(removed.ok()["modifiedCount"], 1, "{}", removed.text);
        let counts = exact_counts(&app, &campaign).await;
        assert_eq!(
            (counts["total"].clone(), counts["paused"].clone()),
            (json!(3), json!(0))
        );

        let refused = action(
            &app,
            &campaign,
            &json!({"action": "archive", "leadIds": [], "selectAll": true}),
        )
        .await;
        refused.assert_error(400, "VALIDATION_FAILED");
        let mut problems: Vec<String> = refused
            .problems()
            .into_iter()
            .map(|(pointer, _)| pointer)
            .collect();
        problems.sort();
        assert_eq!(problems, ["", "/action"]);
    })
    .await;
}

#[tokio::test]
async fn the_lead_side_shows_campaigns_filters_by_campaign_and_deleting_a_lead_recounts() {
    on_every_backend(|app| async move {
        let first = campaign(&app, false).await;
        let second = campaign(&app, false).await;
        let ids = leads(&app, &["ada@acme.test", "grace@navy.test"]).await;
        enrol(&app, &first, &json!({"selectAll": true})).await.ok();
        enrol(&app, &second, &json!({"leads": [{"leadId": ids[0]}]}))
            .await
            .ok();

        let lead = app.get_with_key(&format!("/v1/leads/{}", ids[0])).await;
        let campaigns = lead.ok()["campaigns"]
            .as_array()
            .expect("campaigns")
            .clone();
        assert_eq!(campaigns.len(), 2, "{}", lead.text);
        assert!(campaigns.iter().all(|entry| entry["status"] == "pending"));
        let listed_second = listed(&app, &second, "").await;
        assert!(campaigns.iter().any(|entry| entry["campaignId"] == second
            && entry["campaignLeadId"] == listed_second.ok()[0]["_id"]));

        let in_second = app
            .get_with_key(&format!("/v1/leads?campaignId={second}"))
            .await;
        assert_eq!(in_second.body["pagination"]["total"], 1);
        assert_eq!(in_second.ok()[0]["_id"], ids[0]);
        let none = app
            .get_with_key("/v1/leads?campaignId=665a1b2c3d4e5f6a7b8c9d0e")
            .await;
        assert_eq!(
            none.body["pagination"]["total"], 0,
            "an unknown campaign has no leads"
        );
        app.get_with_key("/v1/leads?campaignId=nope")
            .await
            .assert_error(400, "VALIDATION_FAILED");

        let deleted = app
            .send(Method::DELETE, &format!("/v1/leads/{}", ids[0]), None)
            .await;
        assert_eq!(deleted.status, 200, "{}", deleted.text);
        // It sent nothing: its campaign leads are gone, and the counts with them.
        assert_eq!(exact_counts(&app, &first).await["total"], 1);
        assert_eq!(exact_counts(&app, &second).await["total"], 0);
    })
    .await;
}

#[tokio::test]
async fn another_workspaces_campaign_lead_and_campaign_lead_ids_behave_as_absent() {
    on_every_backend(|app| async move {
        let campaign = campaign(&app, false).await;
        let ids = leads(&app, &["ada@acme.test"]).await;
        enrol(&app, &campaign, &json!({"selectAll": true}))
            .await
            .ok();
        let enrolment = ids_of(&listed(&app, &campaign, "").await)[0].clone();
        let (rival, _, _) = app.other_workspace().await;
        let as_rival = |method: Method, path: String, body: Option<Value>| {
            let key = rival.workspace_key.clone();
            let client = app.client.clone();
            let base = app.base.clone();
            async move {
                let mut request = client
                    .request(method, format!("{base}{path}"))
                    .header("X-Api-Key", key);
                if let Some(body) = body {
                    request = request
                        .header("Content-Type", "application/json")
                        .body(body.to_string());
                }
                TestResponse::read(request.send().await.expect("the server answers")).await
            }
        };
        let leads_path = format!("/v1/campaigns/{campaign}/leads");
        as_rival(
            Method::POST,
            leads_path.clone(),
            Some(json!({"selectAll": true})),
        )
        .await
        .assert_error(404, "NOT_FOUND");
        as_rival(Method::GET, leads_path.clone(), None)
            .await
            .assert_error(404, "NOT_FOUND");
        as_rival(
            Method::POST,
            format!("{leads_path}/action"),
            Some(json!({"action": "remove", "selectAll": true})),
        )
        .await
        .assert_error(404, "NOT_FOUND");
        as_rival(
            Method::PATCH,
            format!("{leads_path}/{enrolment}"),
            Some(json!({"aiTag": "x"})),
        )
        .await
        .assert_error(404, "NOT_FOUND");
        let filtered = as_rival(
            Method::GET,
            format!("/v1/leads?campaignId={campaign}"),
            None,
        )
        .await;
        assert_eq!(filtered.body["pagination"]["total"], 0);

        // A rival's campaign cannot take my lead: it is no lead of theirs.
        let theirs = as_rival(Method::POST, "/v1/campaigns".to_owned(), Some(seed())).await;
        let theirs = theirs.created()["_id"].as_str().expect("an id").to_owned();
        let refused = as_rival(
            Method::POST,
            format!("/v1/campaigns/{theirs}/leads"),
            Some(json!({"leads": [{"leadId": ids[0]}]})),
        )
        .await;
        assert_eq!(refused.ok()["added"], 0);
        assert_eq!(refused.ok()["errors"][0]["index"], 0);
        // A campaign lead id of another campaign is not found in this one.
        let other = campaign_of(&app).await;
        app.send(
            Method::PATCH,
            &format!("/v1/campaigns/{other}/leads/{enrolment}"),
            Some(&json!({"aiTag": "x"})),
        )
        .await
        .assert_error(404, "NOT_FOUND");
        assert_eq!(exact_counts(&app, &campaign).await["pending"], 1);
    })
    .await;
}

async fn campaign_of(app: &TestApp) -> String {
    campaign(app, false).await
}

//! `POST /v1/campaigns` accepting requests (spec section 4).

use serde_json::{Value, json};

use crate::support::*;

/// Replaces the server-made values (`_id`, timestamps) of `data` in `expected`, after checking their form.
#[track_caller]
fn with_server_values(data: &Value, mut expected: Value) -> Value {
    let id = data["_id"].as_str().expect("an _id");
    assert!(is_object_id(id), "{id}");
    let created = data["createdAt"].as_str().expect("createdAt");
    assert!(is_wire_timestamp(created), "{created}");
    assert_eq!(
        data["updatedAt"], created,
        "a new campaign was updated when created"
    );
    expected["_id"] = json!(id);
    expected["createdAt"] = json!(created);
    expected["updatedAt"] = json!(created);
    expected
}

#[tokio::test]
async fn the_seed_request_byte_for_byte_creates_the_whole_campaign_of_spec_4_8() {
    on_every_backend(|app| async move {
        let response = app
            .post_raw(
                "/v1/campaigns",
                SEED_BODY,
                &[
                    ("Content-Type", "application/json"),
                    ("X-Api-Key", &app.workspace.workspace_key),
                ],
            )
            .await;
        let data = response.created();
        let first_body = "<p>Hi {{firstName}},</p><p>I noticed {{companyName}} is scaling fast. Would love to share how we helped similar teams cut outbound costs by 40%.</p>";
        let second_body = "<p>Hey {{firstName}}, just bumping this up. Happy to send over a case study if that helps.</p>";
        let expected = with_server_values(
            data,
            json!({
                "name": "Q2 Outbound - Decision Makers",
                "userId": app.workspace.user_id,
                "workspaceId": app.workspace.workspace_id,
                "status": "draft",
                // Resolved by the tag `outreach`, in ascending id order.
                "mailboxes": app.mailbox_ids(),
                "mailboxCount": 3,
                "mailboxRotation": "round-robin",
                "sequence": [
                    {"type": "email", "name": "Initial Email", "order": 0,
                     "subject": "Quick question about {{companyName}}", "body": first_body,
                     "variants": [{"letter": "A", "subject": "Quick question about {{companyName}}", "body": first_body}],
                     "useConditionalVariables": false, "conditionalVariables": []},
                    {"type": "wait", "name": "Wait 3 days", "order": 1, "waitDays": 3, "waitHours": 0},
                    {"type": "email", "name": "Follow-up 1", "order": 2,
                     "subject": "Re: Quick question about {{companyName}}", "body": second_body,
                     "variants": [{"letter": "A", "subject": "Re: Quick question about {{companyName}}", "body": second_body}],
                     "useConditionalVariables": false, "conditionalVariables": []}
                ],
                "subsequences": [],
                "sendingSchedule": {"timezone": "America/Chicago", "startTime": "08:30", "endTime": "16:00",
                                    "workingDays": [1, 2, 3, 4, 5], "skipNationalHolidays": true},
                "trackOpens": true,
                "trackClicks": true,
                "includeUnsubscribeLink": false,
                "cc": ["sales-log@yourcompany.com"],
                "bcc": ["crm-sync@yourcompany.com"],
                "stopOnReply": true,
                "stopOnAutoReply": true,
                "stopOnCompanyReply": true,
                "skipDNC": true,
                "dailySendLimit": 50,
                "emailIntervalMinutes": 12,
                "espMatchingMode": "auto",
                "segCheckMode": "skip_providers",
                "segSkipProviders": ["proofpoint", "mimecast"],
                "cnameTracking": {"enabled": true, "domain": "track.yourcompany.com"},
                "slackChannelId": "C04ABCDEF12",
                "positiveRepliesOnlySlack": true,
                "notificationEmails": [],
                "positiveRepliesOnlyEmail": true,
                "aiAgentId": null,
                "aiAgentEnabled": false,
                // The secret in full: this is the create response.
                "webhook": {"enabled": true, "url": "https://yourcompany.com/webhooks/sendkit",
                            "secret": "whsec_abc123xyz", "events": ["lead.replied", "email.sent", "lead.bounced"]},
                "copyFatigueProtection": {"enabled": true, "autoRegenerate": true, "autoResume": true},
                "variantOptimization": {"enabled": true, "minimumSendsPerVariant": 50, "minimumDays": 5,
                                        "optimizationMetric": "replyRate", "keepMinimumVariants": 2},
                "stats": {"sent": 0, "delivered": 0, "opened": 0, "clicked": 0, "replied": 0, "bounced": 0, "unsubscribed": 0},
                "startedAt": null,
                "completedAt": null,
            }),
        );
        assert_eq!(*data, expected);

        // Stored, and read back through the domain the same.
        let id = data["_id"].as_str().expect("an id");
        let stored = app
            .stored_campaign(&app.workspace.workspace_id, id)
            .await
            .expect("the campaign is stored");
        assert_eq!(stored.name().as_str(), "Q2 Outbound - Decision Makers");
        assert_eq!(stored.mailboxes().len(), 3);
        assert_eq!(stored.sequence().len(), 3);
        assert_eq!(app.campaigns_stored(), 1);
    })
    .await;
}

#[tokio::test]
async fn a_request_with_only_a_name_gets_every_default() {
    on_every_backend(|app| async move {
        let response = app.post_campaign(&json!({"name": "  Minimal  "})).await;
        let data = response.created();
        let expected = with_server_values(
            data,
            json!({
                "name": "Minimal",
                "userId": app.workspace.user_id,
                "workspaceId": app.workspace.workspace_id,
                "status": "draft",
                "mailboxes": [],
                "mailboxCount": 0,
                "mailboxRotation": "round-robin",
                "sequence": [],
                "subsequences": [],
                "sendingSchedule": {"timezone": "America/New_York", "startTime": "09:00", "endTime": "17:00",
                                    "workingDays": [1, 2, 3, 4, 5], "skipNationalHolidays": true},
                "trackOpens": true,
                "trackClicks": true,
                "includeUnsubscribeLink": false,
                "cc": [],
                "bcc": [],
                "stopOnReply": true,
                "stopOnAutoReply": false,
                "stopOnCompanyReply": false,
                "skipDNC": true,
                "dailySendLimit": null,
                "emailIntervalMinutes": 15,
                "espMatchingMode": "disabled",
                "segCheckMode": "disabled",
                "segSkipProviders": [],
                "cnameTracking": {"enabled": false, "domain": null},
                "slackChannelId": null,
                "positiveRepliesOnlySlack": false,
                "notificationEmails": [],
                "positiveRepliesOnlyEmail": true,
                "aiAgentId": null,
                "aiAgentEnabled": false,
                "webhook": {"enabled": false, "url": null, "secret": null, "events": []},
                "copyFatigueProtection": {"enabled": false, "autoRegenerate": false, "autoResume": false},
                "variantOptimization": {"enabled": false, "minimumSendsPerVariant": 25, "minimumDays": 3,
                                        "optimizationMetric": "replyRate", "keepMinimumVariants": 1},
                "stats": {"sent": 0, "delivered": 0, "opened": 0, "clicked": 0, "replied": 0, "bounced": 0, "unsubscribed": 0},
                "startedAt": null,
                "completedAt": null,
            }),
        );
        assert_eq!(*data, expected);
        assert_eq!(app.campaigns_stored(), 1);
    })
    .await;
}

#[tokio::test]
async fn subsequences_variants_and_conditional_variables_come_back_filled_in() {
    on_every_backend(|app| async move {
        let response = app
            .post_campaign(&json!({
                "name": "Rich",
                "sequence": [
                    {"type": "wait", "order": 1, "waitDays": 0, "waitHours": 36},
                    {"type": "email", "order": 0, "useConditionalVariables": true,
                     "conditionalVariables": [{"name": "opener", "conditions": [
                         {"field": "companyName", "operator": "has_value", "then": "Loved what {{companyName}} ships"}]}],
                     "variants": [{"letter": "C", "subject": "Hi {{firstName}}", "body": "{{opener}}"},
                                  {"letter": "B", "subject": "Hello", "body": "Plain <b>text</b>"}]},
                    {"type": "email", "order": 2, "name": "  ", "subject": "", "body": "Line one\nline two"}
                ],
                "subsequences": [{"name": "Interested follow-up",
                                  "trigger": {"type": "ai_tag", "value": "Interested"},
                                  "sequence": [{"type": "wait", "waitDays": 1},
                                               {"type": "email", "subject": "", "body": "Great!"}]},
                                 {"name": "Replied", "trigger": {"type": "reply", "value": "ignored"},
                                  "sequence": [{"type": "email", "body": "Thanks"}], "enabled": false}],
                "mailboxEmails": ["SAM@acme.example.com"],
                "mailboxProvider": "gmail",
            }))
            .await;
        let data = response.created();
        let steps = data["sequence"].as_array().expect("steps");
        assert_eq!(steps[0]["type"], "email");
        assert_eq!(steps[0]["name"], "Initial Email");
        // The step's own subject and body come from the first variant.
        assert_eq!(steps[0]["subject"], "Hi {{firstName}}");
        assert_eq!(steps[0]["variants"][0]["letter"], "C");
        assert_eq!(steps[0]["variants"][1]["letter"], "B");
        assert_eq!(
            steps[0]["conditionalVariables"],
            json!([{"name": "opener", "conditions": [
                {"field": "companyName", "operator": "has_value", "value": null,
                 "then": "Loved what {{companyName}} ships"}], "else": ""}])
        );
        assert_eq!(steps[1]["name"], "Wait 1 day 12 hours");
        assert_eq!(steps[2]["name"], "Follow-up 1");
        assert_eq!(steps[2]["subject"], "");
        assert_eq!(steps[2]["body"], "<p>Line one<br>line two</p>");

        let subsequences = data["subsequences"].as_array().expect("subsequences");
        assert_eq!(subsequences.len(), 2);
        for subsequence in subsequences {
            assert!(is_object_id(subsequence["_id"].as_str().unwrap_or_default()));
            assert_eq!(subsequence["addedCount"], 0);
            assert_eq!(subsequence["stats"]["sent"], 0);
            assert_eq!(subsequence["archived"], false);
        }
        assert_eq!(subsequences[0]["trigger"], json!({"type": "ai_tag", "value": "Interested"}));
        assert_eq!(subsequences[0]["enabled"], true);
        assert_eq!(subsequences[0]["sequence"][1]["name"], "Initial Email");
        assert_eq!(subsequences[1]["trigger"], json!({"type": "reply", "value": null}));
        assert_eq!(subsequences[1]["enabled"], false);

        // Emails as given first, then provider matches by ascending id, without duplicates.
        let sam = app
            .mailboxes
            .iter()
            .find(|mailbox| mailbox.fields().email().as_str() == "sam@acme.example.com")
            .expect("sam");
        let alex = app
            .mailboxes
            .iter()
            .find(|mailbox| mailbox.fields().email().as_str() == "alex@acme.example.com")
            .expect("alex");
        assert_eq!(
            data["mailboxes"],
            json!([sam.id().to_string(), alex.id().to_string()])
        );
        assert_eq!(data["mailboxCount"], 2);
    })
    .await;
}

#[tokio::test]
async fn an_enabled_webhook_without_a_secret_gets_a_generated_one_shown_in_full() {
    on_every_backend(|app| async move {
        let response = app
            .post_campaign(&json!({"name": "Hooked", "settings": {"webhook": {
                "enabled": true, "url": "https://hooks.example.com/in", "events": ["email.sent"]}}}))
            .await;
        let secret = response.created()["webhook"]["secret"]
            .as_str()
            .expect("a secret")
            .to_owned();
        let hex = secret.strip_prefix("whsec_").expect("whsec_ prefix");
        assert_eq!(hex.len(), 64);
        assert!(hex.bytes().all(|byte| byte.is_ascii_hexdigit()));
    })
    .await;
}

#[tokio::test]
async fn private_webhook_targets_are_refused_unless_the_server_allows_them() {
    let body = json!({"name": "Local hook", "settings": {"webhook": {
        "enabled": true, "url": "http://127.0.0.1:9000/hook", "events": ["email.sent"]}}});
    let refused = body.clone();
    on_every_backend(move |app| {
        let body = refused.clone();
        async move {
            let response = app.post_campaign(&body).await;
            response.assert_error(400, "VALIDATION_FAILED");
            assert_eq!(
                response.problems(),
                [("/settings/webhook/url".to_owned(), "not_allowed".to_owned())]
            );
            app.assert_nothing_stored();
        }
    })
    .await;
    on_every_backend_with(Customize::allowing_private_webhooks(), move |app| {
        let body = body.clone();
        async move {
            let response = app.post_campaign(&body).await;
            assert_eq!(
                response.created()["webhook"]["url"],
                "http://127.0.0.1:9000/hook"
            );
        }
    })
    .await;
}

#[tokio::test]
async fn ai_agent_enabled_without_an_id_uses_the_workspace_default_agent() {
    on_every_backend(|app| async move {
        let first = app.create_agent("First").await;
        app.create_agent("Second").await;
        let response = app
            .post_campaign(&json!({"name": "Agent", "settings": {"aiAgentEnabled": true}}))
            .await;
        let data = response.created();
        assert_eq!(data["aiAgentId"], first.id().to_string());
        assert_eq!(data["aiAgentEnabled"], true);
    })
    .await;
}

#[tokio::test]
async fn a_platform_key_acts_in_a_workspace_its_user_belongs_to() {
    on_every_backend(|app| async move {
        let response = app
            .post_raw(
                "/v1/campaigns",
                r#"{"name": "Via platform key"}"#,
                &[
                    ("Content-Type", "application/json; charset=utf-8"),
                    ("X-Api-Key", &app.workspace.platform_key),
                    ("X-Workspace-Id", &app.workspace.workspace_id),
                ],
            )
            .await;
        let data = response.created();
        assert_eq!(data["workspaceId"], app.workspace.workspace_id);
        assert_eq!(data["userId"], app.workspace.user_id);
    })
    .await;
}

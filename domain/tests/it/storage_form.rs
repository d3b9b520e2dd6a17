//! Stored data is re-parsed on read through the same constructors: a campaign's request form gives the
//! same campaign back.

use chrono::{TimeZone, Utc};
use domain::campaign::{Campaign, Provisions, StoredCampaign};
use domain::id::{AgentId, CampaignId, ObjectId, UserId, WorkspaceId};
use domain::request::{
    CampaignRequest, CnameTrackingRequest, ConditionRequest, ConditionalVariableRequest,
    CopyFatigueProtectionRequest, ScheduleRequest, SettingsRequest, StepRequest,
    VariantOptimizationRequest, WebhookRequest,
};
use domain::status::CampaignStatus;

use crate::support::*;

/// Every field of the seed's example, plus variants, conditional variables and subsequences.
pub fn full_request() -> CampaignRequest {
    CampaignRequest {
        name: s("Q2 Outbound - Decision Makers"),
        sequence: Some(vec![
            StepRequest {
                use_conditional_variables: Some(true),
                conditional_variables: Some(vec![ConditionalVariableRequest {
                    name: s("opener"),
                    conditions: Some(vec![ConditionRequest {
                        field: s("companyName"),
                        operator: s("has_value"),
                        value: None,
                        then: s("Loved what {{companyName}} ships"),
                    }]),
                    otherwise: s("Loved what your team ships"),
                }]),
                variants: Some(vec![
                    variant(
                        "A",
                        "Quick question about {{companyName}}",
                        "<p>Hi {{firstName}},</p><p>{{opener}}</p>",
                    ),
                    variant(
                        "B",
                        "Idea for {{companyName}}",
                        "Hi {{firstName}},\n\nA plain-text variant.",
                    ),
                ]),
                ..with_order(
                    email(
                        "Quick question about {{companyName}}",
                        "<p>Hi {{firstName}},</p><p>{{opener}}</p>",
                    ),
                    0,
                )
            },
            with_order(wait(Some(3), Some(4)), 1),
            with_order(
                email(
                    "Re: Quick question about {{companyName}}",
                    "<p>Hey {{firstName}}, just bumping this up.</p>",
                ),
                2,
            ),
        ]),
        subsequences: Some(vec![ai_tag_subsequence("Interested"), reply_subsequence()]),
        schedule: Some(ScheduleRequest {
            timezone: s("America/Chicago"),
            start_time: s("08:30"),
            end_time: s("16:00"),
            working_days: Some(vec![1, 2, 3, 4, 5]),
            skip_national_holidays: Some(true),
        }),
        settings: Some(SettingsRequest {
            track_opens: Some(true),
            track_clicks: Some(true),
            include_unsubscribe_link: Some(false),
            cc: Some(vec!["sales-log@yourcompany.com".into()]),
            bcc: Some(vec!["crm-sync@yourcompany.com".into()]),
            stop_on_reply: Some(true),
            stop_on_auto_reply: Some(true),
            stop_on_company_reply: Some(true),
            skip_dnc: Some(true),
            daily_send_limit: Some(50),
            email_interval_minutes: Some(12),
            esp_matching_mode: s("auto"),
            seg_check_mode: s("skip_providers"),
            seg_skip_providers: Some(vec!["proofpoint".into(), "mimecast".into()]),
            cname_tracking: Some(CnameTrackingRequest {
                enabled: Some(true),
                domain: s("track.yourcompany.com"),
            }),
            slack_channel_id: s("C04ABCDEF12"),
            positive_replies_only_slack: Some(true),
            notification_emails: Some(vec!["owner@yourcompany.com".into()]),
            positive_replies_only_email: Some(false),
            ai_agent_id: s("665a1b2c3d4e5f6a7b8c9d0e"),
            ai_agent_enabled: Some(true),
            webhook: Some(WebhookRequest {
                enabled: Some(true),
                url: s("https://yourcompany.com/webhooks/sendkit"),
                secret: s("whsec_abc123xyz"),
                events: Some(vec![
                    "lead.replied".into(),
                    "email.sent".into(),
                    "lead.bounced".into(),
                ]),
            }),
            copy_fatigue_protection: None,
            variant_optimization: Some(VariantOptimizationRequest {
                enabled: Some(true),
                minimum_sends_per_variant: Some(50),
                minimum_days: Some(5),
                optimization_metric: s("replyRate"),
                keep_minimum_variants: Some(2),
            }),
        }),
        ..CampaignRequest::default()
    }
}

#[test]
fn stored_content_re_parses_to_the_same_campaign() {
    let new = valid(&full_request());
    let mut counter = 0;
    let campaign = Campaign::create(
        new,
        Provisions {
            id: CampaignId::from(ObjectId::from_parts(10, [1; 5], 1)),
            workspace_id: WorkspaceId::from(ObjectId::from_parts(10, [2; 5], 2)),
            user_id: UserId::from(ObjectId::from_parts(10, [3; 5], 3)),
            now: Utc
                .with_ymd_and_hms(2025, 6, 10, 10, 30, 0)
                .single()
                .expect("valid time"),
            mailboxes: vec![],
            ai_agent_id: Some(AgentId::from(ObjectId::from_parts(10, [4; 5], 4))),
            webhook_secret: None,
        },
        || {
            counter += 1;
            ObjectId::from_parts(11, [5; 5], counter)
        },
    );
    let stored = StoredCampaign {
        id: campaign.id(),
        workspace_id: campaign.workspace_id(),
        user_id: campaign.user_id(),
        status: CampaignStatus::Draft,
        content: campaign.content(),
        subsequence_counters: campaign.subsequence_counters(),
        mailboxes: campaign.mailboxes().to_vec(),
        stats: campaign.stats(),
        lead_counts: campaign.lead_counts(),
        started_at: None,
        completed_at: None,
        created_at: campaign.created_at(),
        updated_at: campaign.updated_at(),
    };
    let restored = Campaign::restore(stored).expect("stored content is valid");
    assert_eq!(restored, campaign);
    assert_eq!(
        restored.content(),
        campaign.content(),
        "the request form is a fixed point"
    );
}

/// What parsing a full `settings` gives, read through every getter and back in request form.
#[test]
fn full_settings_read_back_field_by_field() {
    let mut request = full_request();
    let raw = request
        .settings
        .as_mut()
        .expect("the full request has settings");
    // Neighbouring flags differ, so a swap would show.
    raw.track_opens = Some(false);
    raw.include_unsubscribe_link = Some(true);
    raw.stop_on_reply = Some(false);
    raw.stop_on_company_reply = Some(false);
    raw.skip_dnc = Some(false);
    raw.copy_fatigue_protection = Some(CopyFatigueProtectionRequest {
        enabled: Some(true),
        auto_regenerate: Some(false),
        auto_resume: Some(true),
    });
    let expected_form = raw.clone();
    let new = valid(&request);
    let settings = new.settings();
    assert_eq!(settings.to_request(), expected_form, "the request form");
    let cname = settings.cname_tracking();
    let webhook = settings.webhook();
    let fatigue = settings.copy_fatigue_protection();
    let optimization = settings.variant_optimization();
    let read = [
        format!("track_opens {:?}", settings.track_opens()),
        format!("track_clicks {:?}", settings.track_clicks()),
        format!(
            "include_unsubscribe_link {:?}",
            settings.include_unsubscribe_link()
        ),
        format!("cc {:?}", settings.cc()),
        format!("bcc {:?}", settings.bcc()),
        format!("stop_on_reply {:?}", settings.stop_on_reply()),
        format!("stop_on_auto_reply {:?}", settings.stop_on_auto_reply()),
        format!(
            "stop_on_company_reply {:?}",
            settings.stop_on_company_reply()
        ),
        format!("skip_dnc {:?}", settings.skip_dnc()),
        format!("daily_send_limit {:?}", settings.daily_send_limit()),
        format!(
            "email_interval_minutes {:?}",
            settings.email_interval_minutes()
        ),
        format!("esp_matching_mode {:?}", settings.esp_matching_mode()),
        format!("seg_check_mode {:?}", settings.seg_check_mode()),
        format!("seg_skip_providers {:?}", settings.seg_skip_providers()),
        format!("cname {:?} {:?}", cname.enabled(), cname.domain()),
        format!("slack_channel_id {:?}", settings.slack_channel_id()),
        format!(
            "positive_replies_only_slack {:?}",
            settings.positive_replies_only_slack()
        ),
        format!("notification_emails {:?}", settings.notification_emails()),
        format!(
            "positive_replies_only_email {:?}",
            settings.positive_replies_only_email()
        ),
        format!("ai_agent_id {:?}", settings.ai_agent_id()),
        format!("ai_agent_enabled {:?}", settings.ai_agent_enabled()),
        format!("agent_request {:?}", settings.agent_request()),
        format!(
            "webhook {:?} {:?} {:?} {:?}",
            webhook.enabled(),
            webhook.url().map(|url| url.as_str()),
            webhook.secret().map(|secret| secret.as_str()),
            webhook.events()
        ),
        format!(
            "copy_fatigue {:?} {:?} {:?}",
            fatigue.enabled(),
            fatigue.auto_regenerate(),
            fatigue.auto_resume()
        ),
        format!(
            "variant_optimization {:?} {:?} {:?} {:?} {:?}",
            optimization.enabled(),
            optimization.minimum_sends_per_variant(),
            optimization.minimum_days(),
            optimization.optimization_metric(),
            optimization.keep_minimum_variants()
        ),
        format!("needs_webhook_secret {:?}", settings.needs_webhook_secret()),
    ];
    let expected = [
        "track_opens false",
        "track_clicks true",
        "include_unsubscribe_link true",
        "cc [EmailAddress { address: \"sales-log@yourcompany.com\", at: 9 }]",
        "bcc [EmailAddress { address: \"crm-sync@yourcompany.com\", at: 8 }]",
        "stop_on_reply false",
        "stop_on_auto_reply true",
        "stop_on_company_reply false",
        "skip_dnc false",
        "daily_send_limit Some(50)",
        "email_interval_minutes 12",
        "esp_matching_mode Auto",
        "seg_check_mode SkipProviders",
        "seg_skip_providers [Proofpoint, Mimecast]",
        "cname true Some(HostName(\"track.yourcompany.com\"))",
        "slack_channel_id Some(SlackChannelId(\"C04ABCDEF12\"))",
        "positive_replies_only_slack true",
        "notification_emails [EmailAddress { address: \"owner@yourcompany.com\", at: 5 }]",
        "positive_replies_only_email false",
        "ai_agent_id Some(AgentId(665a1b2c3d4e5f6a7b8c9d0e))",
        "ai_agent_enabled true",
        "agent_request Specific(AgentId(665a1b2c3d4e5f6a7b8c9d0e))",
        "webhook true Some(\"https://yourcompany.com/webhooks/sendkit\") Some(\"whsec_abc123xyz\") [LeadReplied, EmailSent, LeadBounced]",
        "copy_fatigue true false true",
        "variant_optimization true 50 5 ReplyRate 2",
        "needs_webhook_secret false",
    ];
    assert_eq!(read, expected, "{read:#?}");
}

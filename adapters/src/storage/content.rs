use domain::request::{
    CnameTrackingRequest, ConditionRequest, ConditionalVariableRequest,
    CopyFatigueProtectionRequest, ScheduleRequest, SettingsRequest, StepRequest,
    VariantOptimizationRequest, VariantRequest, WebhookRequest,
};
use serde::{Deserialize, Serialize};

/// `campaigns.content`: what a campaign's request form holds besides its name (a column of its own),
/// its subsequences (rows of their own) and its mailbox selectors (resolved into `campaign_mailboxes`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct CampaignContent {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sequence: Option<Vec<StepDto>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schedule: Option<ScheduleDto>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub settings: Option<SettingsDto>,
}

/// Maps `Option<Vec<A>>` through `From`.
fn list<A, B: From<A>>(items: Option<Vec<A>>) -> Option<Vec<B>> {
    items.map(|items| items.into_iter().map(B::from).collect())
}

/// Declares a DTO mirroring a domain request struct, and the conversions both ways. Every field is an
/// `Option` on both sides; `$conv` says how the inner value maps (`same`, `list`, `nested`).
macro_rules! mirror {
    (
        $(#[$meta:meta])*
        $dto:ident <=> $request:ident {
            $($(#[$field_meta:meta])* $field:ident : $ty:ty => $conv:ident),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
        #[serde(rename_all = "camelCase", default)]
        pub(crate) struct $dto {
            $(
                $(#[$field_meta])*
                #[serde(skip_serializing_if = "Option::is_none")]
                pub $field: Option<$ty>,
            )+
        }

        impl From<$request> for $dto {
            fn from(request: $request) -> Self {
                Self { $($field: mirror!(@convert $conv request.$field)),+ }
            }
        }

        impl From<$dto> for $request {
            fn from(dto: $dto) -> Self {
                Self { $($field: mirror!(@convert $conv dto.$field)),+ }
            }
        }
    };
    (@convert same $value:expr) => { $value };
    (@convert nested $value:expr) => { $value.map(Into::into) };
    (@convert list $value:expr) => { list($value) };
}

mirror! {
    /// One step of a sequence (`StepRequest`).
    StepDto <=> StepRequest {
        #[serde(rename = "type")]
        kind: String => same,
        order: i64 => same,
        name: String => same,
        subject: String => same,
        body: String => same,
        wait_days: i64 => same,
        wait_hours: i64 => same,
        use_conditional_variables: bool => same,
        conditional_variables: Vec<ConditionalVariableDto> => list,
        variants: Vec<VariantDto> => list,
    }
}

mirror! {
    VariantDto <=> VariantRequest {
        letter: String => same,
        subject: String => same,
        body: String => same,
    }
}

mirror! {
    ConditionalVariableDto <=> ConditionalVariableRequest {
        name: String => same,
        conditions: Vec<ConditionDto> => list,
        #[serde(rename = "else")]
        otherwise: String => same,
    }
}

mirror! {
    ConditionDto <=> ConditionRequest {
        field: String => same,
        operator: String => same,
        value: String => same,
        then: String => same,
    }
}

mirror! {
    ScheduleDto <=> ScheduleRequest {
        timezone: String => same,
        start_time: String => same,
        end_time: String => same,
        working_days: Vec<i64> => same,
        skip_national_holidays: bool => same,
    }
}

mirror! {
    SettingsDto <=> SettingsRequest {
        track_opens: bool => same,
        track_clicks: bool => same,
        include_unsubscribe_link: bool => same,
        cc: Vec<String> => same,
        bcc: Vec<String> => same,
        stop_on_reply: bool => same,
        stop_on_auto_reply: bool => same,
        stop_on_company_reply: bool => same,
        #[serde(rename = "skipDNC")]
        skip_dnc: bool => same,
        daily_send_limit: i64 => same,
        email_interval_minutes: i64 => same,
        esp_matching_mode: String => same,
        seg_check_mode: String => same,
        seg_skip_providers: Vec<String> => same,
        cname_tracking: CnameTrackingDto => nested,
        slack_channel_id: String => same,
        positive_replies_only_slack: bool => same,
        notification_emails: Vec<String> => same,
        positive_replies_only_email: bool => same,
        ai_agent_id: String => same,
        ai_agent_enabled: bool => same,
        webhook: WebhookDto => nested,
        copy_fatigue_protection: CopyFatigueProtectionDto => nested,
        variant_optimization: VariantOptimizationDto => nested,
    }
}

mirror! {
    CnameTrackingDto <=> CnameTrackingRequest {
        enabled: bool => same,
        domain: String => same,
    }
}

mirror! {
    /// The webhook, its signing secret in full (the server signs with it).
    WebhookDto <=> WebhookRequest {
        enabled: bool => same,
        url: String => same,
        secret: String => same,
        events: Vec<String> => same,
    }
}

mirror! {
    CopyFatigueProtectionDto <=> CopyFatigueProtectionRequest {
        enabled: bool => same,
        auto_regenerate: bool => same,
        auto_resume: bool => same,
    }
}

mirror! {
    VariantOptimizationDto <=> VariantOptimizationRequest {
        enabled: bool => same,
        minimum_sends_per_variant: i64 => same,
        minimum_days: i64 => same,
        optimization_metric: String => same,
        keep_minimum_variants: i64 => same,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_json_uses_the_wire_names_and_leaves_out_absent_fields() {
        let step = StepDto::from(StepRequest {
            kind: Some("wait".into()),
            order: Some(1),
            wait_days: Some(3),
            ..StepRequest::default()
        });
        let json = serde_json::to_value(&step).expect("serialises");
        assert_eq!(
            json,
            serde_json::json!({"type": "wait", "order": 1, "waitDays": 3})
        );
    }

    #[test]
    fn settings_round_trip_through_json_unchanged() {
        let settings = SettingsRequest {
            skip_dnc: Some(false),
            webhook: Some(WebhookRequest {
                enabled: Some(true),
                secret: Some("whsec_abcdefgh".into()),
                ..WebhookRequest::default()
            }),
            ..SettingsRequest::default()
        };
        let json = serde_json::to_string(&SettingsDto::from(settings.clone())).expect("serialises");
        assert!(json.contains("\"skipDNC\":false"), "{json}");
        let back: SettingsDto = serde_json::from_str(&json).expect("parses");
        assert_eq!(SettingsRequest::from(back), settings);
    }
}

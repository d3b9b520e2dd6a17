//! A workspace webhook (`/v1/webhooks`, SENDING.md section 7): where a workspace's events are
//! delivered, signed with its secret.

use crate::problem::{JsonPointer, ProblemCode, Problems};
use crate::text::required_trimmed;
use crate::values::{WebhookHostPolicy, WebhookSecret, WebhookUrl};

/// The most characters of a webhook's name.
pub const MAX_NAME_CHARS: usize = 100;
/// `retryAttempts` when omitted, and its range.
pub const DEFAULT_RETRY_ATTEMPTS: u32 = 3;
pub const MAX_RETRY_ATTEMPTS: u32 = 10;
/// `timeoutMs` when omitted, and its range.
pub const DEFAULT_TIMEOUT_MS: u32 = 10_000;
pub const MIN_TIMEOUT_MS: u32 = 1_000;
pub const MAX_TIMEOUT_MS: u32 = 30_000;

/// The event types a workspace webhook can subscribe to: a campaign webhook's (API.md 4.5) and
/// `email.auto_replied`.
pub const WEBHOOK_EVENTS: [&str; 12] = [
    "email.sent",
    "email.opened",
    "email.clicked",
    "email.replied",
    "email.auto_replied",
    "email.bounced",
    "email.unsubscribed",
    "email.positive_reply",
    "lead.replied",
    "lead.bounced",
    "lead.updated",
    "lead.tag_changed",
];

/// The body of `POST /v1/webhooks` (and of a PATCH, merged over the stored webhook first), as sent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorkspaceWebhookRequest {
    pub name: Option<String>,
    pub url: Option<String>,
    pub events: Option<Vec<String>>,
    pub secret: Option<String>,
    pub retry_attempts: Option<i64>,
    pub timeout_ms: Option<i64>,
}

/// A valid workspace webhook. Its secret is `None` when the request gave none (the use case
/// generates one on create and keeps the stored one on update).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkspaceWebhook {
    name: String,
    url: WebhookUrl,
    events: Vec<String>,
    secret: Option<WebhookSecret>,
    retry_attempts: u32,
    timeout_ms: u32,
}

impl WorkspaceWebhook {
    /// Every problem of `request`: `name` 1–100 characters (trimmed), `url` as a campaign
    /// webhook's (API.md 4.5, under `hosts`), `events` non-empty, known and without repeats,
    /// `secret` 8–256 characters, `retryAttempts` 0–10 (3), `timeoutMs` 1,000–30,000 (10,000).
    pub fn parse(
        request: &WorkspaceWebhookRequest,
        hosts: WebhookHostPolicy,
    ) -> Result<WorkspaceWebhook, Problems> {
        let root = JsonPointer::root();
        let mut problems = Problems::new();
        let name = problems.check(
            required_trimmed(request.name.as_deref(), "name", MAX_NAME_CHARS),
            root.field("name"),
        );
        let url = match request.url.as_deref() {
            None => {
                problems.add(root.field("url"), ProblemCode::Required, "url is required");
                None
            }
            Some(raw) => problems.check(WebhookUrl::parse(raw, hosts), root.field("url")),
        };
        let events = parse_events(request.events.as_deref(), &root, &mut problems);
        let secret = request
            .secret
            .as_deref()
            .and_then(|raw| problems.check(WebhookSecret::parse(raw), root.field("secret")));
        let retry_attempts = in_range(
            request.retry_attempts,
            DEFAULT_RETRY_ATTEMPTS,
            0,
            MAX_RETRY_ATTEMPTS,
            "retryAttempts",
            &mut problems,
        );
        let timeout_ms = in_range(
            request.timeout_ms,
            DEFAULT_TIMEOUT_MS,
            MIN_TIMEOUT_MS,
            MAX_TIMEOUT_MS,
            "timeoutMs",
            &mut problems,
        );
        match (name, url) {
            (Some(name), Some(url)) if problems.is_empty() => Ok(WorkspaceWebhook {
                name,
                url,
                events,
                secret,
                retry_attempts,
                timeout_ms,
            }),
            _ => Err(problems),
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn url(&self) -> &WebhookUrl {
        &self.url
    }

    /// The subscribed event types, in the order given.
    pub fn events(&self) -> &[String] {
        &self.events
    }

    /// The secret the request gave, if any.
    pub fn secret(&self) -> Option<&WebhookSecret> {
        self.secret.as_ref()
    }

    pub fn retry_attempts(&self) -> u32 {
        self.retry_attempts
    }

    pub fn timeout_ms(&self) -> u32 {
        self.timeout_ms
    }
}

fn parse_events(
    raw: Option<&[String]>,
    root: &JsonPointer,
    problems: &mut Problems,
) -> Vec<String> {
    let at = root.field("events");
    let Some(raw) = raw else {
        problems.add(at, ProblemCode::Required, "events is required");
        return Vec::new();
    };
    if raw.is_empty() {
        problems.add(
            at,
            ProblemCode::TooFew,
            "events must name at least one event",
        );
        return Vec::new();
    }
    let mut events: Vec<String> = Vec::with_capacity(raw.len());
    for (index, event) in raw.iter().enumerate() {
        if !WEBHOOK_EVENTS.contains(&event.as_str()) {
            problems.add(
                at.index(index),
                ProblemCode::InvalidValue,
                format!("must be one of {}", WEBHOOK_EVENTS.join(", ")),
            );
        } else if events.contains(event) {
            problems.add(
                at.index(index),
                ProblemCode::Duplicate,
                format!("{event} is listed twice"),
            );
        } else {
            events.push(event.clone());
        }
    }
    events
}

fn in_range(
    raw: Option<i64>,
    default: u32,
    min: u32,
    max: u32,
    field: &str,
    problems: &mut Problems,
) -> u32 {
    match raw {
        None => default,
        Some(value) => match u32::try_from(value) {
            Ok(value) if (min..=max).contains(&value) => value,
            _ => {
                problems.add(
                    JsonPointer::root().field(field),
                    ProblemCode::OutOfRange,
                    format!("{field} must be between {min} and {max}"),
                );
                default
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> WorkspaceWebhookRequest {
        WorkspaceWebhookRequest {
            name: Some(" CRM ".to_owned()),
            url: Some("https://hooks.example.com/in".to_owned()),
            events: Some(vec!["email.replied".to_owned(), "lead.bounced".to_owned()]),
            ..WorkspaceWebhookRequest::default()
        }
    }

    fn pointers(problems: &Problems) -> Vec<(String, ProblemCode)> {
        problems
            .iter()
            .map(|problem| (problem.pointer().as_str().to_owned(), problem.code()))
            .collect()
    }

    #[test]
    fn workspace_webhook_takes_its_defaults_and_trims_its_name() {
        let webhook =
            WorkspaceWebhook::parse(&request(), WebhookHostPolicy::PublicOnly).expect("valid");
        assert_eq!(webhook.name(), "CRM");
        assert_eq!(webhook.retry_attempts(), 3);
        assert_eq!(webhook.timeout_ms(), 10_000);
        assert_eq!(webhook.events(), ["email.replied", "lead.bounced"]);
        assert!(webhook.secret().is_none());
    }

    #[test]
    fn workspace_webhook_retry_attempts_0_to_10_and_timeout_1000_to_30000() {
        for (retry, timeout, ok) in [
            (0, 1_000, true),
            (10, 30_000, true),
            (11, 10_000, false),
            (-1, 10_000, false),
            (3, 999, false),
            (3, 30_001, false),
        ] {
            let parsed = WorkspaceWebhook::parse(
                &WorkspaceWebhookRequest {
                    retry_attempts: Some(retry),
                    timeout_ms: Some(timeout),
                    ..request()
                },
                WebhookHostPolicy::PublicOnly,
            );
            assert_eq!(parsed.is_ok(), ok, "{retry} {timeout}");
        }
    }

    #[test]
    fn workspace_webhook_reports_every_problem_at_once() {
        let problems = WorkspaceWebhook::parse(
            &WorkspaceWebhookRequest {
                name: Some("  ".to_owned()),
                url: Some("http://127.0.0.1/in".to_owned()),
                events: Some(vec![
                    "email.sent".to_owned(),
                    "email.nope".to_owned(),
                    "email.sent".to_owned(),
                ]),
                secret: Some("short".to_owned()),
                retry_attempts: Some(11),
                timeout_ms: Some(0),
            },
            WebhookHostPolicy::PublicOnly,
        )
        .expect_err("invalid");
        assert_eq!(
            pointers(&problems),
            [
                ("/name".to_owned(), ProblemCode::Blank),
                ("/url".to_owned(), ProblemCode::NotAllowed),
                ("/events/1".to_owned(), ProblemCode::InvalidValue),
                ("/events/2".to_owned(), ProblemCode::Duplicate),
                ("/secret".to_owned(), ProblemCode::TooShort),
                ("/retryAttempts".to_owned(), ProblemCode::OutOfRange),
                ("/timeoutMs".to_owned(), ProblemCode::OutOfRange),
            ]
        );
        let missing = WorkspaceWebhook::parse(
            &WorkspaceWebhookRequest::default(),
            WebhookHostPolicy::PublicOnly,
        )
        .expect_err("empty");
        assert_eq!(
            pointers(&missing),
            [
                ("/name".to_owned(), ProblemCode::Required),
                ("/url".to_owned(), ProblemCode::Required),
                ("/events".to_owned(), ProblemCode::Required),
            ]
        );
    }

    #[test]
    fn workspace_webhook_on_a_private_host_needs_private_hosts_allowed() {
        let local = WorkspaceWebhookRequest {
            url: Some("http://127.0.0.1:9000/in".to_owned()),
            ..request()
        };
        assert!(WorkspaceWebhook::parse(&local, WebhookHostPolicy::PublicOnly).is_err());
        assert!(WorkspaceWebhook::parse(&local, WebhookHostPolicy::AllowPrivate).is_ok());
    }
}

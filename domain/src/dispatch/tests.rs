use chrono::{DateTime, Duration, Utc};

use super::*;
use crate::id::ObjectId;

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-06-10T14:00:00Z")
        .expect("a test instant")
        .with_timezone(&Utc)
}

fn mailbox_id(n: u32) -> MailboxId {
    ObjectId::from_parts(1, [0; 5], n).into()
}

fn enrolment_id(n: u32) -> EnrolmentId {
    ObjectId::from_parts(2, [0; 5], n).into()
}

fn mailbox(n: u32, limit: u32) -> MailboxLoad {
    MailboxLoad {
        id: mailbox_id(n),
        provider: None,
        usable: true,
        daily_limit: limit,
        sent_last_day: 0,
        last_campaign_send: None,
    }
}

fn first_emails(count: u32) -> Vec<DueSend> {
    (0..count)
        .map(|n| DueSend {
            enrolment: enrolment_id(n),
            recipient_domain: "example.com".into(),
            thread_mailbox: None,
        })
        .collect()
}

fn campaign(interval_minutes: i64) -> CampaignLoad {
    CampaignLoad {
        daily_limit: None,
        sent_today: 0,
        interval: Duration::minutes(interval_minutes),
        esp_matching: false,
    }
}

fn senders(plan: &[Assignment]) -> Vec<MailboxId> {
    plan.iter().map(|assignment| assignment.mailbox).collect()
}

#[test]
fn mailbox_limit_a_mailbox_never_plans_past_its_rolling_day_limit() {
    let mut mailboxes = vec![mailbox(1, 50)];
    mailboxes[0].sent_last_day = 48;
    let plan = plan_claims(now(), &first_emails(10), &mut mailboxes, campaign(0));
    assert_eq!(plan.len(), 2);
    assert_eq!(mailboxes[0].sent_last_day, 50);
    // Planning again with what is left plans nothing.
    assert!(plan_claims(now(), &first_emails(10), &mut mailboxes, campaign(0)).is_empty());
}

#[test]
fn campaign_limit_the_campaign_never_plans_past_its_local_day_limit() {
    let mut mailboxes = vec![mailbox(1, 100), mailbox(2, 100)];
    let load = CampaignLoad {
        daily_limit: Some(20),
        sent_today: 17,
        ..campaign(0)
    };
    let plan = plan_claims(now(), &first_emails(10), &mut mailboxes, load);
    assert_eq!(plan.len(), 3);
    let spent = CampaignLoad {
        sent_today: 25,
        ..load
    };
    assert!(plan_claims(now(), &first_emails(10), &mut mailboxes, spent).is_empty());
}

#[test]
fn spacing_one_mailbox_sends_one_email_of_a_campaign_per_interval() {
    let mut mailboxes = vec![mailbox(1, 100), mailbox(2, 100)];
    mailboxes[1].last_campaign_send = Some(now() - Duration::minutes(9));
    let plan = plan_claims(now(), &first_emails(5), &mut mailboxes, campaign(10));
    // Mailbox 2 sent 9 minutes ago: only mailbox 1, once.
    assert_eq!(senders(&plan), [mailbox_id(1)]);
    mailboxes[1].last_campaign_send = Some(now() - Duration::minutes(10));
    mailboxes[0].last_campaign_send = Some(now() - Duration::minutes(10));
    let plan = plan_claims(now(), &first_emails(5), &mut mailboxes, campaign(10));
    assert_eq!(plan.len(), 2);
}

#[test]
fn round_robin_first_emails_take_the_least_recently_used_mailbox() {
    let mut mailboxes = vec![mailbox(1, 100), mailbox(2, 100), mailbox(3, 100)];
    mailboxes[0].last_campaign_send = Some(now() - Duration::minutes(5));
    mailboxes[2].last_campaign_send = Some(now() - Duration::minutes(30));
    let plan = plan_claims(now(), &first_emails(3), &mut mailboxes, campaign(0));
    // Never used first, then the oldest use, then the most recent.
    assert_eq!(
        senders(&plan),
        [mailbox_id(2), mailbox_id(3), mailbox_id(1)]
    );
}

#[test]
fn unusable_mailboxes_send_nothing() {
    let mut mailboxes = vec![mailbox(1, 100)];
    mailboxes[0].usable = false;
    assert!(plan_claims(now(), &first_emails(3), &mut mailboxes, campaign(0)).is_empty());
}

#[test]
fn one_thread_one_sender_a_follow_up_waits_for_its_own_mailbox() {
    let mut mailboxes = vec![mailbox(1, 100), mailbox(2, 100)];
    mailboxes[0].sent_last_day = 100;
    let follow_up = DueSend {
        enrolment: enrolment_id(7),
        recipient_domain: "example.com".into(),
        thread_mailbox: Some(mailbox_id(1)),
    };
    // Mailbox 1 is at its limit: the follow-up does not move to mailbox 2.
    assert!(
        plan_claims(
            now(),
            std::slice::from_ref(&follow_up),
            &mut mailboxes,
            campaign(0)
        )
        .is_empty()
    );
    mailboxes[0].sent_last_day = 99;
    let plan = plan_claims(now(), &[follow_up], &mut mailboxes, campaign(0));
    assert_eq!(senders(&plan), [mailbox_id(1)]);
}

#[test]
fn esp_matching_prefers_a_mailbox_of_the_recipients_provider_when_one_is_usable() {
    let mut mailboxes = vec![mailbox(1, 100), mailbox(2, 100), mailbox(3, 100)];
    mailboxes[1].provider = Some(EmailProvider::Outlook);
    mailboxes[2].provider = Some(EmailProvider::Gmail);
    let to = |n, domain: &str| DueSend {
        enrolment: enrolment_id(n),
        recipient_domain: domain.into(),
        thread_mailbox: None,
    };
    let due = [
        to(1, "gmail.com"),
        to(2, "hotmail.co.uk"),
        to(3, "googlemail.com"),
    ];
    let matching = CampaignLoad {
        esp_matching: true,
        ..campaign(0)
    };
    let plan = plan_claims(now(), &due, &mut mailboxes.clone(), matching);
    // The third goes to the Gmail mailbox again: it is the only Gmail one.
    assert_eq!(
        senders(&plan),
        [mailbox_id(3), mailbox_id(2), mailbox_id(3)]
    );
    // Without matching: plain rotation.
    let plan = plan_claims(now(), &due, &mut mailboxes.clone(), campaign(0));
    assert_eq!(
        senders(&plan),
        [mailbox_id(1), mailbox_id(2), mailbox_id(3)]
    );
    // The provider's only mailbox is spent: any other one sends.
    mailboxes[2].sent_last_day = 100;
    let plan = plan_claims(now(), &due[..1], &mut mailboxes, matching);
    assert_eq!(senders(&plan), [mailbox_id(1)]);
}

#[test]
fn recipient_providers_are_told_by_domain() {
    for (domain, provider) in [
        ("gmail.com", Some(EmailProvider::Gmail)),
        ("GoogleMail.com", Some(EmailProvider::Gmail)),
        ("outlook.com", Some(EmailProvider::Outlook)),
        ("hotmail.fr", Some(EmailProvider::Outlook)),
        ("live.co.uk", Some(EmailProvider::Outlook)),
        ("msn.com", Some(EmailProvider::Outlook)),
        ("hotmail", None),
        ("example.com", None),
        ("mail.gmail.com", None),
    ] {
        assert_eq!(EmailProvider::of_domain(domain), provider, "{domain}");
    }
}

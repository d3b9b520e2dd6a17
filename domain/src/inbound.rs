//! What comes back to a mailbox (SENDING.md section 5): a message of its INBOX is a reply, an
//! auto-reply, or a delivery status notification, judged from its headers and parts alone.
//!
//! The adapter that reads the INBOX parses each message into an [`InboundMessage`] (plain data, header
//! values decoded); [`classify`] says what it is and by which `Message-ID`s it names the message it
//! answers. Which send those ids belong to is the storage's to find.

use crate::id::SubsequenceId;
use crate::subsequence::{Subsequence, Trigger};
use crate::values::EmailAddress;

/// A message read from an INBOX, as parsed: the few headers and parts the rules read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InboundMessage {
    /// Every header field as (name, value), the value unfolded and decoded, in order.
    pub headers: Vec<(String, String)>,
    /// The ids of `In-Reply-To`, without angle brackets.
    pub in_reply_to: Vec<String>,
    /// The ids of `References`, without angle brackets.
    pub references: Vec<String>,
    /// The top-level `Content-Type` as `type/subtype`, and its `report-type` parameter.
    pub content_type: Option<String>,
    pub report_type: Option<String>,
    /// The per-recipient fields of a `message/delivery-status` part (RFC 3464), one per recipient.
    pub recipients: Vec<RecipientStatus>,
    /// The `Message-ID` of the original message a DSN quotes (its `text/rfc822-headers` or
    /// `message/rfc822` part), without angle brackets.
    pub original_message_id: Option<String>,
    /// The message's first plain-text part (or the text of its first HTML part).
    pub text: Option<String>,
}

/// One recipient's fields of a delivery status notification.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecipientStatus {
    /// `Status:` as written, such as `5.1.1`.
    pub status: Option<String>,
    /// `Final-Recipient:` as written, such as `rfc822; grace@lead.example`.
    pub final_recipient: Option<String>,
}

/// How a DSN is matched to its send, in order: the original's `Message-ID`, then the DSN's own
/// `In-Reply-To`/`References`, then the failed address among the mailbox's recent sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BounceMatch {
    pub original: Option<String>,
    pub thread: Vec<String>,
    pub final_recipient: Option<EmailAddress>,
}

/// What a message is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inbound {
    /// A person's reply to the message named by `thread` (`In-Reply-To` first, then `References`
    /// newest first), with a short plain-text excerpt.
    Reply {
        thread: Vec<String>,
        excerpt: Option<String>,
    },
    /// An automatic answer (RFC 3834 and the usual vendor headers).
    AutoReply { thread: Vec<String> },
    /// A DSN with a permanent failure (`5.x.x`), its status as written.
    Bounce {
        status: String,
        matched: BounceMatch,
    },
    /// A DSN with no permanent failure (`4.x.x` delays, `2.x.x` deliveries): nothing changes.
    Transient,
}

/// At most this many characters of a reply's text are kept as its excerpt.
pub const EXCERPT_CHARS: usize = 500;

/// What `message` is (see the module documentation).
pub fn classify(message: &InboundMessage) -> Inbound {
    let thread = thread_of(message);
    if is_delivery_report(message) {
        return match permanent_failure(message) {
            Some((status, recipient)) => Inbound::Bounce {
                status,
                matched: BounceMatch {
                    original: message.original_message_id.as_deref().and_then(bare_id),
                    thread,
                    final_recipient: recipient,
                },
            },
            None => Inbound::Transient,
        };
    }
    if is_auto_reply(message) {
        return Inbound::AutoReply { thread };
    }
    Inbound::Reply {
        thread,
        excerpt: message.text.as_deref().and_then(excerpt),
    }
}

/// `multipart/report; report-type=delivery-status`.
fn is_delivery_report(message: &InboundMessage) -> bool {
    message
        .content_type
        .as_deref()
        .is_some_and(|kind| kind.trim().eq_ignore_ascii_case("multipart/report"))
        && message
            .report_type
            .as_deref()
            .is_some_and(|kind| kind.trim().eq_ignore_ascii_case("delivery-status"))
}

/// The first recipient with a `5.x.x` status: the status and the address it names.
fn permanent_failure(message: &InboundMessage) -> Option<(String, Option<EmailAddress>)> {
    message.recipients.iter().find_map(|recipient| {
        let status = recipient.status.as_deref()?.trim();
        // `5.1.1 (bad destination mailbox)`: the code is the first word.
        let code = status.split_whitespace().next()?;
        is_permanent(code).then(|| {
            (
                code.to_owned(),
                recipient
                    .final_recipient
                    .as_deref()
                    .and_then(recipient_address),
            )
        })
    })
}

/// `5.x.x` with numeric x's (RFC 3463).
fn is_permanent(code: &str) -> bool {
    let mut parts = code.split('.');
    let class = parts.next();
    let rest: Vec<&str> = parts.collect();
    class == Some("5")
        && rest.len() == 2
        && rest.iter().all(|part| {
            !part.is_empty() && part.len() <= 3 && part.bytes().all(|b| b.is_ascii_digit())
        })
}

/// The address of `Final-Recipient: rfc822; grace@lead.example`.
fn recipient_address(raw: &str) -> Option<EmailAddress> {
    let address = match raw.split_once(';') {
        Some((kind, address)) if kind.trim().eq_ignore_ascii_case("rfc822") => address,
        Some(_) => return None,
        None => raw,
    };
    let address = address.trim();
    let address = address
        .strip_prefix('<')
        .and_then(|inner| inner.strip_suffix('>'))
        .unwrap_or(address);
    EmailAddress::parse(address).ok()
}

/// RFC 3834 `Auto-Submitted` other than `no`, `X-Autoreply`, `X-Autorespond`, or `Precedence`
/// `auto_reply`, `bulk` or `junk`.
fn is_auto_reply(message: &InboundMessage) -> bool {
    message.headers.iter().any(|(name, value)| {
        let value = value.trim();
        if name.eq_ignore_ascii_case("Auto-Submitted") {
            // `auto-replied; owner-email=…`: the keyword is what comes before parameters.
            let keyword = value.split(';').next().unwrap_or("").trim();
            !keyword.is_empty() && !keyword.eq_ignore_ascii_case("no")
        } else if name.eq_ignore_ascii_case("X-Autoreply")
            || name.eq_ignore_ascii_case("X-Autorespond")
        {
            !value.is_empty()
        } else if name.eq_ignore_ascii_case("Precedence") {
            ["auto_reply", "bulk", "junk"]
                .iter()
                .any(|kind| value.eq_ignore_ascii_case(kind))
        } else {
            false
        }
    })
}

/// `In-Reply-To` first, then `References` from the newest (the last) back; each id once.
fn thread_of(message: &InboundMessage) -> Vec<String> {
    let mut thread: Vec<String> = Vec::new();
    let ids = message
        .in_reply_to
        .iter()
        .chain(message.references.iter().rev());
    for id in ids {
        if let Some(id) = bare_id(id)
            && !thread.contains(&id)
        {
            thread.push(id);
        }
    }
    thread
}

/// A `Message-ID` without its angle brackets and spaces, or `None` when it is blank.
pub fn bare_id(raw: &str) -> Option<String> {
    let id = raw.trim();
    let id = id
        .strip_prefix('<')
        .and_then(|inner| inner.strip_suffix('>'))
        .unwrap_or(id)
        .trim();
    (!id.is_empty()).then(|| id.to_owned())
}

/// The reply's own words: quoted lines (`>`) and what follows an attribution line (`On … wrote:`)
/// left out, whitespace collapsed, at most [`EXCERPT_CHARS`] characters.
fn excerpt(text: &str) -> Option<String> {
    let mut words: Vec<&str> = Vec::new();
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with('>') {
            continue;
        }
        if trimmed.starts_with("On ") && trimmed.ends_with("wrote:") {
            break;
        }
        if trimmed == "--" {
            break;
        }
        words.extend(trimmed.split_whitespace());
    }
    let joined = words.join(" ");
    let cut: String = joined.chars().take(EXCERPT_CHARS).collect();
    (!cut.is_empty()).then_some(cut)
}

/// Domains of free mail providers: a reply from one of them says nothing about a company, so
/// `stopOnCompanyReply` leaves the other leads of that domain alone.
const FREE_MAIL_DOMAINS: &[&str] = &[
    "aol.com",
    "gmail.com",
    "gmx.com",
    "gmx.de",
    "gmx.net",
    "googlemail.com",
    "hotmail.co.uk",
    "hotmail.com",
    "hotmail.de",
    "hotmail.fr",
    "icloud.com",
    "live.com",
    "mac.com",
    "mail.com",
    "mail.ru",
    "me.com",
    "msn.com",
    "outlook.com",
    "proton.me",
    "protonmail.com",
    "qq.com",
    "t-online.de",
    "web.de",
    "yahoo.co.uk",
    "yahoo.com",
    "yahoo.fr",
    "yandex.com",
    "yandex.ru",
    "zoho.com",
];

/// Whether `domain` is a free mail provider's (ignoring case).
pub fn is_free_mail_domain(domain: &str) -> bool {
    let domain = domain.trim().to_ascii_lowercase();
    FREE_MAIL_DOMAINS.contains(&domain.as_str())
}

/// The domain `stopOnCompanyReply` stops the campaign's other leads of, for a reply from a lead at
/// `address`: its domain, lowercased, unless a free mail provider's.
pub fn company_domain(address: &EmailAddress) -> Option<String> {
    let domain = address.domain().to_ascii_lowercase();
    (!is_free_mail_domain(&domain)).then_some(domain)
}

/// The subsequence a reply enrols its lead in: the campaign's enabled, not archived `reply`-trigger
/// subsequence (the campaign rules allow at most one active).
pub fn subsequence_for_reply(subsequences: &[Subsequence]) -> Option<SubsequenceId> {
    subsequences
        .iter()
        .filter(|subsequence| subsequence.enabled() && !subsequence.archived())
        .find(|subsequence| matches!(subsequence.trigger(), Trigger::Reply))
        .map(Subsequence::id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> InboundMessage {
        InboundMessage {
            headers: pairs
                .iter()
                .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
                .collect(),
            in_reply_to: vec!["<sent.1@sender.example>".to_owned()],
            text: Some("Thanks, interested.\n> Quick question\n".to_owned()),
            ..InboundMessage::default()
        }
    }

    fn dsn(status: &str) -> InboundMessage {
        InboundMessage {
            content_type: Some("multipart/report".to_owned()),
            report_type: Some("delivery-status".to_owned()),
            recipients: vec![RecipientStatus {
                status: Some(status.to_owned()),
                final_recipient: Some("rfc822; Grace@Lead.example".to_owned()),
            }],
            original_message_id: Some("<sent.1@sender.example>".to_owned()),
            ..InboundMessage::default()
        }
    }

    #[test]
    fn rfc_3834_and_vendor_headers_make_an_auto_reply_and_auto_submitted_no_does_not() {
        let table: &[(&[(&str, &str)], bool)] = &[
            (&[], false),
            (&[("Auto-Submitted", "auto-replied")], true),
            (
                &[("auto-submitted", "Auto-Generated; owner-email=x@y.z")],
                true,
            ),
            (&[("Auto-Submitted", "no")], false),
            (&[("Auto-Submitted", " NO ")], false),
            (&[("X-Autoreply", "yes")], true),
            (&[("X-Autorespond", "Out of office")], true),
            (&[("Precedence", "auto_reply")], true),
            (&[("Precedence", "bulk")], true),
            (&[("Precedence", "JUNK")], true),
            (&[("Precedence", "list")], false),
            (&[("Subject", "Auto-Submitted")], false),
        ];
        for (fields, auto) in table {
            let classified = classify(&headers(fields));
            assert_eq!(
                matches!(classified, Inbound::AutoReply { .. }),
                *auto,
                "{fields:?}: {classified:?}"
            );
            if !auto {
                assert!(matches!(classified, Inbound::Reply { .. }), "{fields:?}");
            }
        }
    }

    #[test]
    fn a_reply_is_threaded_by_in_reply_to_then_references_newest_first() {
        let message = InboundMessage {
            in_reply_to: vec!["<b@x.example>".to_owned()],
            references: vec!["<a@x.example>".to_owned(), "<b@x.example>".to_owned()],
            text: Some("Yes please\n\nOn Mon, Ada wrote:\n> hello".to_owned()),
            ..InboundMessage::default()
        };
        assert_eq!(
            classify(&message),
            Inbound::Reply {
                thread: vec!["b@x.example".to_owned(), "a@x.example".to_owned()],
                excerpt: Some("Yes please".to_owned()),
            }
        );
    }

    #[test]
    fn a_delivery_status_notification_bounces_only_on_a_5_x_x_status() {
        let table = [
            ("5.1.1", true),
            ("5.7.1 (delivery not authorized)", true),
            ("4.4.7", false),
            ("4.2.2", false),
            ("2.0.0", false),
            ("5.x.1", false),
            ("", false),
        ];
        for (status, bounces) in table {
            let classified = classify(&dsn(status));
            match classified {
                Inbound::Bounce {
                    status: code,
                    matched,
                } => {
                    assert!(bounces, "{status}");
                    assert_eq!(code, status.split_whitespace().next().unwrap_or(""));
                    assert_eq!(matched.original.as_deref(), Some("sent.1@sender.example"));
                    assert_eq!(
                        matched.final_recipient.map(|a| a.normalized()),
                        Some("grace@lead.example".to_owned())
                    );
                }
                Inbound::Transient => assert!(!bounces, "{status}"),
                other => panic!("{status}: {other:?}"),
            }
        }
    }

    #[test]
    fn a_report_of_another_type_or_a_plain_multipart_is_not_a_dsn() {
        let mut disposition = dsn("5.1.1");
        disposition.report_type = Some("disposition-notification".to_owned());
        assert!(matches!(classify(&disposition), Inbound::Reply { .. }));
        let mut mixed = dsn("5.1.1");
        mixed.content_type = Some("multipart/mixed".to_owned());
        assert!(matches!(classify(&mixed), Inbound::Reply { .. }));
    }

    #[test]
    fn a_dsn_with_an_auto_submitted_header_is_still_a_dsn() {
        let mut message = dsn("5.1.1");
        message
            .headers
            .push(("Auto-Submitted".to_owned(), "auto-replied".to_owned()));
        assert!(matches!(classify(&message), Inbound::Bounce { .. }));
    }

    #[test]
    fn final_recipient_is_read_with_or_without_its_address_type() {
        assert_eq!(
            recipient_address("rfc822;<ada@acme.example>").map(|a| a.normalized()),
            Some("ada@acme.example".to_owned())
        );
        assert_eq!(
            recipient_address("ada@acme.example").map(|a| a.normalized()),
            Some("ada@acme.example".to_owned())
        );
        assert_eq!(recipient_address("x400; whatever"), None);
    }

    #[test]
    fn free_mail_domains_are_no_company() {
        let table = [
            ("ada@gmail.com", None),
            ("ada@GMAIL.com", None),
            ("ada@outlook.com", None),
            ("ada@acme.example", Some("acme.example")),
            ("ada@Acme.Example", Some("acme.example")),
        ];
        for (raw, company) in table {
            let address = EmailAddress::parse(raw).expect("a valid address");
            assert_eq!(company_domain(&address).as_deref(), company, "{raw}");
        }
    }

    #[test]
    fn an_excerpt_is_short_and_has_no_quoted_text() {
        let long = "word ".repeat(400);
        let cut = excerpt(&long).expect("an excerpt");
        assert_eq!(cut.chars().count(), EXCERPT_CHARS);
        assert_eq!(excerpt("> only quoted\n>> lines"), None);
    }
}

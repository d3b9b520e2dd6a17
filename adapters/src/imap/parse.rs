//! [`InboundParser`] over mail-parser: a message's bytes as the IMAP reader fetched them, into the
//! plain [`InboundMessage`] the classification reads (`domain::inbound`).
//!
//! Headers are decoded by mail-parser (RFC 2047 words, folding); the parts of a delivery status
//! notification (RFC 3464) are read here: the per-recipient fields of its `message/delivery-status`
//! part, and the original's `Message-ID` from its `text/rfc822-headers` or `message/rfc822` part.
//! A message that cannot be parsed at all is an empty [`InboundMessage`] (a reply to nothing).

use application::ports::InboundParser;
use domain::inbound::{InboundMessage, RecipientStatus, bare_id};
use mail_parser::{HeaderValue, Message, MessageParser, MimeHeaders, PartType};

/// Parses with mail-parser's defaults (every header kept).
#[derive(Debug, Clone, Copy, Default)]
pub struct MailParser;

impl InboundParser for MailParser {
    fn parse(&self, raw: &[u8]) -> InboundMessage {
        MessageParser::default()
            .parse(raw)
            .map(|message| inbound(&message))
            .unwrap_or_default()
    }
}

fn inbound(message: &Message<'_>) -> InboundMessage {
    let root = message.root_part();
    let content_type = root.content_type();
    let mut parsed = InboundMessage {
        headers: message
            .headers_raw()
            .map(|(name, value)| (name.to_owned(), unfold(value)))
            .collect(),
        in_reply_to: ids(message.in_reply_to()),
        references: ids(message.references()),
        content_type: content_type.map(|kind| match kind.subtype() {
            Some(subtype) => format!("{}/{subtype}", kind.ctype()).to_ascii_lowercase(),
            None => kind.ctype().to_ascii_lowercase(),
        }),
        report_type: content_type
            .and_then(|kind| kind.attribute("report-type"))
            .map(str::to_owned),
        text: message.body_text(0).map(|text| text.into_owned()),
        ..InboundMessage::default()
    };
    for part in &message.parts {
        let Some(kind) = part.content_type() else {
            continue;
        };
        let subtype = kind.subtype().unwrap_or("").to_ascii_lowercase();
        match (kind.ctype().to_ascii_lowercase().as_str(), subtype.as_str()) {
            ("message", "delivery-status") | ("message", "global-delivery-status") => {
                parsed.recipients = recipients(&String::from_utf8_lossy(part.contents()));
            }
            ("text", "rfc822-headers") | ("message", "rfc822-headers")
                if parsed.original_message_id.is_none() =>
            {
                parsed.original_message_id =
                    field_of(&String::from_utf8_lossy(part.contents()), "Message-ID")
                        .and_then(|id| bare_id(&id));
            }
            ("message", "rfc822") | ("message", "global")
                if parsed.original_message_id.is_none() =>
            {
                if let PartType::Message(original) = &part.body {
                    parsed.original_message_id = original.message_id().and_then(bare_id);
                }
            }
            _ => {}
        }
    }
    parsed
}

/// The ids of `In-Reply-To` or `References` (one or a list).
fn ids(value: &HeaderValue<'_>) -> Vec<String> {
    match value {
        HeaderValue::Text(id) => bare_id(id).into_iter().collect(),
        HeaderValue::TextList(list) => list.iter().filter_map(|id| bare_id(id)).collect(),
        _ => Vec::new(),
    }
}

/// A raw header value on one line: folding line breaks become spaces, the ends trimmed.
fn unfold(raw: &str) -> String {
    raw.split(['\r', '\n'])
        .map(str::trim)
        .filter(|piece| !piece.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The header blocks of `text` (blocks separated by blank lines), each as unfolded (name, value)
/// fields.
fn blocks(text: &str) -> Vec<Vec<(String, String)>> {
    let mut blocks = Vec::new();
    let mut block: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        if line.trim().is_empty() {
            if !block.is_empty() {
                blocks.push(std::mem::take(&mut block));
            }
        } else if line.starts_with([' ', '\t']) {
            if let Some((_, value)) = block.last_mut() {
                value.push(' ');
                value.push_str(line.trim());
            }
        } else if let Some((name, value)) = line.split_once(':') {
            block.push((name.trim().to_owned(), value.trim().to_owned()));
        }
    }
    if !block.is_empty() {
        blocks.push(block);
    }
    blocks
}

/// The first `name` field of the header block `text`.
fn field_of(text: &str, name: &str) -> Option<String> {
    blocks(text)
        .into_iter()
        .flatten()
        .find(|(field, _)| field.eq_ignore_ascii_case(name))
        .map(|(_, value)| value)
}

/// The per-recipient blocks of a `message/delivery-status` body: every block after the first
/// (per-message) one that has a `Status` or a `Final-Recipient`.
fn recipients(text: &str) -> Vec<RecipientStatus> {
    blocks(text)
        .into_iter()
        .filter_map(|block| {
            let value = |name: &str| {
                block
                    .iter()
                    .find(|(field, _)| field.eq_ignore_ascii_case(name))
                    .map(|(_, value)| value.clone())
            };
            let recipient = RecipientStatus {
                status: value("Status"),
                final_recipient: value("Final-Recipient"),
            };
            (recipient.status.is_some() || recipient.final_recipient.is_some()).then_some(recipient)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use domain::inbound::{Inbound, classify};

    use super::*;

    const BOUNCE: &str = "From: MAILER-DAEMON@mx.lead.example\r\n\
        To: ada@sender.example\r\n\
        Subject: Undelivered Mail Returned to Sender\r\n\
        Auto-Submitted: auto-replied\r\n\
        MIME-Version: 1.0\r\n\
        Content-Type: multipart/report; report-type=delivery-status;\r\n\
        \tboundary=\"B\"\r\n\
        \r\n\
        --B\r\n\
        Content-Type: text/plain\r\n\
        \r\n\
        Your message could not be delivered.\r\n\
        --B\r\n\
        Content-Type: message/delivery-status\r\n\
        \r\n\
        Reporting-MTA: dns; mx.lead.example\r\n\
        \r\n\
        Final-Recipient: rfc822; grace@lead.example\r\n\
        Action: failed\r\n\
        Status: 5.1.1\r\n\
        Diagnostic-Code: smtp; 550 5.1.1 no such user\r\n\
        \r\n\
        --B\r\n\
        Content-Type: text/rfc822-headers\r\n\
        \r\n\
        From: ada@sender.example\r\n\
        To: grace@lead.example\r\n\
        Message-ID: <abc.1@sender.example>\r\n\
        Subject: Quick question\r\n\
        \r\n\
        --B--\r\n";

    #[test]
    fn a_bounce_reads_its_status_its_recipient_and_the_quoted_message_id() {
        let parsed = MailParser.parse(BOUNCE.as_bytes());
        assert_eq!(parsed.content_type.as_deref(), Some("multipart/report"));
        assert_eq!(parsed.report_type.as_deref(), Some("delivery-status"));
        assert_eq!(
            parsed.recipients,
            vec![RecipientStatus {
                status: Some("5.1.1".to_owned()),
                final_recipient: Some("rfc822; grace@lead.example".to_owned()),
            }]
        );
        assert_eq!(
            parsed.original_message_id.as_deref(),
            Some("abc.1@sender.example")
        );
        assert!(matches!(classify(&parsed), Inbound::Bounce { .. }));
    }

    #[test]
    fn a_quoted_message_rfc822_part_gives_the_original_message_id() {
        let raw = BOUNCE
            .replace(
                "Content-Type: text/rfc822-headers",
                "Content-Type: message/rfc822",
            )
            .replace(
                "Subject: Quick question\r\n",
                "Subject: Quick question\r\n\r\nHello\r\n",
            );
        let parsed = MailParser.parse(raw.as_bytes());
        assert_eq!(
            parsed.original_message_id.as_deref(),
            Some("abc.1@sender.example")
        );
    }

    #[test]
    fn a_reply_reads_its_thread_headers_and_text() {
        let raw = "From: Grace <grace@lead.example>\r\n\
            Subject: Re: Quick question\r\n\
            In-Reply-To: <abc.2@sender.example>\r\n\
            References: <abc.1@sender.example>\r\n <abc.2@sender.example>\r\n\
            X-Autoreply: yes\r\n\
            Content-Type: text/plain; charset=utf-8\r\n\
            \r\n\
            Out of office.\r\n";
        let parsed = MailParser.parse(raw.as_bytes());
        assert_eq!(parsed.in_reply_to, vec!["abc.2@sender.example".to_owned()]);
        assert_eq!(
            parsed.references,
            vec![
                "abc.1@sender.example".to_owned(),
                "abc.2@sender.example".to_owned()
            ]
        );
        assert!(
            parsed
                .headers
                .contains(&("X-Autoreply".to_owned(), "yes".to_owned())),
            "{:?}",
            parsed.headers
        );
        assert_eq!(
            parsed.text.as_deref().map(str::trim),
            Some("Out of office.")
        );
        assert!(matches!(classify(&parsed), Inbound::AutoReply { .. }));
    }

    #[test]
    fn bytes_that_are_no_message_parse_to_an_empty_one() {
        assert_eq!(MailParser.parse(b""), InboundMessage::default());
    }
}

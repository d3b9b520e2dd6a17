//! An [`OutgoingMessage`] as MIME bytes, built with lettre's message builder: the headers of SENDING.md
//! section 3 (RFC 2047-encoded by lettre where needed) and a `multipart/alternative` body, text first
//! and HTML last (the last part is the preferred one, RFC 2046).
//!
//! No `Bcc` header is ever written: the Bcc addresses travel in the SMTP envelope only.

use std::str::FromStr;
use std::time::SystemTime;

use application::ports::{NamedAddress, OutgoingMessage};
use domain::values::EmailAddress;
use lettre::Address;
use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, Message, MultiPart};

/// The message could not be built. Not retryable: the same message would fail again.
#[derive(Debug)]
pub(super) struct UnbuildableMessage(pub(super) String);

/// The message as it goes after `DATA`.
pub(super) fn mime_bytes(message: &OutgoingMessage) -> Result<Vec<u8>, UnbuildableMessage> {
    let mut builder = Message::builder()
        .from(mailbox(message.from())?)
        .to(mailbox(message.to())?)
        .subject(message.subject())
        .date(SystemTime::from(message.date()))
        .message_id(Some(bracketed(message.message_id().as_str())));
    for cc in message.cc() {
        builder = builder.cc(mailbox(cc)?);
    }
    if let Some(in_reply_to) = message.in_reply_to() {
        builder = builder.in_reply_to(bracketed(in_reply_to.as_str()));
    }
    if !message.references().is_empty() {
        let references: Vec<String> = message
            .references()
            .iter()
            .map(|id| bracketed(id.as_str()))
            .collect();
        builder = builder.references(references.join(" "));
    }
    for extra in message.extra_headers() {
        let name = HeaderName::new_from_ascii(extra.name().to_owned())
            .map_err(|_| UnbuildableMessage(format!("`{}` is not a header name", extra.name())))?;
        builder = builder.raw_header(HeaderValue::new(name, extra.value().to_owned()));
    }
    let built = builder
        .multipart(MultiPart::alternative_plain_html(
            message.text_body().to_owned(),
            message.html_body().to_owned(),
        ))
        .map_err(|error| UnbuildableMessage(error.to_string()))?;
    Ok(built.formatted())
}

/// `address` as lettre's address type (which checks it again, more loosely than the domain does).
pub(super) fn lettre_address(address: &EmailAddress) -> Result<Address, UnbuildableMessage> {
    Address::from_str(address.as_str())
        .map_err(|error| UnbuildableMessage(format!("address <{address}>: {error}")))
}

fn mailbox(named: &NamedAddress) -> Result<Mailbox, UnbuildableMessage> {
    Ok(Mailbox::new(
        named.name().map(str::to_owned),
        lettre_address(named.address())?,
    ))
}

fn bracketed(id: &str) -> String {
    format!("<{id}>")
}

#[cfg(test)]
mod tests {
    use application::ports::{MessageId, OutgoingMessageParts};
    use chrono::DateTime;

    use super::*;

    /// lettre's formatting panics on a display name it cannot write (a line break, seen here); the
    /// port's types keep those out, and whatever else a name holds must still build.
    #[test]
    fn any_display_name_or_subject_builds_without_a_panic() {
        let address = EmailAddress::parse("a@example.com").expect("valid");
        for text in [
            "plain",
            "\"quoted\" \\ back\\slash",
            "<angle> @ at, comma; semi",
            "Zoë 😀 Ünal",
            "line\r\nbreak\u{0} nul \u{2028} separator",
            &"long ".repeat(200),
            "",
        ] {
            let message = OutgoingMessage::new(OutgoingMessageParts {
                from: NamedAddress::new(Some(text), address.clone()),
                to: NamedAddress::new(Some(text), address.clone()),
                cc: vec![NamedAddress::new(Some(text), address.clone())],
                bcc: vec![],
                subject: text.to_owned(),
                date: DateTime::UNIX_EPOCH,
                message_id: MessageId::parse("1@example.com").expect("valid"),
                in_reply_to: None,
                references: vec![],
                html_body: text.to_owned(),
                text_body: text.to_owned(),
                extra_headers: vec![],
            });
            let bytes = mime_bytes(&message).expect("builds");
            let text = String::from_utf8_lossy(&bytes);
            let headers = text.split("\r\n\r\n").next().unwrap_or_default();
            assert!(headers.is_ascii(), "{headers}");
        }
    }
}

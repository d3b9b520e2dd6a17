//! Open and click tracking and the unsubscribe link (SENDING.md section 3): signed tokens naming a
//! send, and the rewriting of a message's HTML body so that its links and an open pixel point at the
//! server's public routes (`/t/o/{token}`, `/t/c/{token}`, `/u/{token}`).
//!
//! A token is `base64url(payload ‖ tag)` without padding, where the payload is a kind byte, for a
//! click the link's position (4 bytes, big-endian), and the send's 12-byte id, and the tag is the
//! first 16 bytes of HMAC-SHA256(key, payload). Decoding checks the tag in constant time; anything
//! forged, truncated, extended or altered decodes to `None`.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{KeyInit, Mac};
use sha2::Sha256;

use crate::id::ObjectId;
use crate::problem::{Invalid, ProblemCode};

type HmacSha256 = hmac::Hmac<Sha256>;

/// Bytes of the HMAC-SHA256 tag kept in a token (of 32).
const TAG_LEN: usize = 16;
const KIND_OPEN: u8 = 1;
const KIND_CLICK: u8 = 2;
const KIND_UNSUBSCRIBE: u8 = 3;

/// The 32-byte key tracking tokens are signed with. Every process on one database must hold the
/// same key, so it is derived from the server's secret key ([`TrackingKey::derive`]).
#[derive(Clone, PartialEq, Eq)]
pub struct TrackingKey([u8; 32]);

impl TrackingKey {
    pub fn new(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// HMAC-SHA256(server secret, "sendline tracking v1"): a key of its own, so that a token never
    /// says anything about the key that encrypts credentials.
    pub fn derive(server_secret: &[u8; 32]) -> Self {
        let mut mac = mac_with(server_secret);
        mac.update(b"sendline tracking v1");
        Self(mac.finalize().into_bytes().into())
    }
}

impl fmt::Debug for TrackingKey {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("TrackingKey(..)")
    }
}

fn mac_with(key: &[u8; 32]) -> HmacSha256 {
    // HMAC takes a key of any length; a 32-byte one cannot be refused.
    match <HmacSha256 as KeyInit>::new_from_slice(key) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC accepts keys of every length"),
    }
}

/// What a token lets its bearer do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrackingKind {
    /// `GET /t/o/{token}`: the open pixel.
    Open,
    /// `GET /t/c/{token}`: the link at this position (0-based, in the order of the body).
    Click { position: u32 },
    /// `GET`/`POST /u/{token}`.
    Unsubscribe,
}

/// A signed reference to one send (a row of the ledger) and what it is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrackingToken {
    kind: TrackingKind,
    send: ObjectId,
}

impl TrackingToken {
    pub fn new(kind: TrackingKind, send: ObjectId) -> Self {
        Self { kind, send }
    }

    pub fn kind(&self) -> TrackingKind {
        self.kind
    }

    pub fn send(&self) -> ObjectId {
        self.send
    }

    /// The URL-safe text of the token (no `=`, `+` or `/`).
    pub fn encode(&self, key: &TrackingKey) -> String {
        let mut bytes = self.payload();
        let tag = tag(key, &bytes);
        bytes.extend_from_slice(&tag);
        URL_SAFE_NO_PAD.encode(bytes)
    }

    /// The token, if `raw` is exactly what [`TrackingToken::encode`] makes under `key`.
    pub fn decode(raw: &str, key: &TrackingKey) -> Option<Self> {
        let bytes = URL_SAFE_NO_PAD.decode(raw).ok()?;
        let split = bytes.len().checked_sub(TAG_LEN)?;
        let (payload, tag) = bytes.split_at(split);
        let mut mac = mac_with(&key.0);
        mac.update(payload);
        // Constant time, and only the first TAG_LEN bytes are compared.
        mac.verify_truncated_left(tag).ok()?;
        let (&kind, rest) = payload.split_first()?;
        let (kind, id) = match kind {
            KIND_OPEN => (TrackingKind::Open, rest),
            KIND_UNSUBSCRIBE => (TrackingKind::Unsubscribe, rest),
            KIND_CLICK => {
                let (position, id) = rest.split_first_chunk::<4>()?;
                let position = u32::from_be_bytes(*position);
                (TrackingKind::Click { position }, id)
            }
            _ => return None,
        };
        let id: [u8; 12] = id.try_into().ok()?;
        Some(Self::new(kind, ObjectId::from_bytes(id)))
    }

    fn payload(&self) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(17);
        match self.kind {
            TrackingKind::Open => bytes.push(KIND_OPEN),
            TrackingKind::Unsubscribe => bytes.push(KIND_UNSUBSCRIBE),
            TrackingKind::Click { position } => {
                bytes.push(KIND_CLICK);
                bytes.extend_from_slice(&position.to_be_bytes());
            }
        }
        bytes.extend_from_slice(&self.send.bytes());
        bytes
    }
}

fn tag(key: &TrackingKey, payload: &[u8]) -> [u8; TAG_LEN] {
    let mut mac = mac_with(&key.0);
    mac.update(payload);
    let full: [u8; 32] = mac.finalize().into_bytes().into();
    let mut tag = [0u8; TAG_LEN];
    tag.copy_from_slice(&full[..TAG_LEN]);
    tag
}

/// The server's public base URL (`https://track.example.com`, or with a path prefix), without a
/// trailing slash: what links in messages point at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicBaseUrl(String);

impl PublicBaseUrl {
    /// An absolute `http` or `https` URL with a host and no query or fragment.
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let invalid = || {
            Invalid::new(
                ProblemCode::InvalidFormat,
                "must be an absolute http(s) URL without a query or fragment",
            )
        };
        let parsed = url::Url::parse(raw.trim()).map_err(|_| invalid())?;
        if !matches!(parsed.scheme(), "http" | "https")
            || parsed.host_str().is_none()
            || parsed.query().is_some()
            || parsed.fragment().is_some()
            || !parsed.username().is_empty()
            || parsed.password().is_some()
        {
            return Err(invalid());
        }
        Ok(Self(parsed.as_str().trim_end_matches('/').to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn route(&self, prefix: &str, token: &TrackingToken, key: &TrackingKey) -> String {
        format!("{}/{prefix}/{}", self.0, token.encode(key))
    }
}

impl fmt::Display for PublicBaseUrl {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.0)
    }
}

/// `{base}/u/{token}`: the `List-Unsubscribe` URL and the body's unsubscribe link of a send.
pub fn unsubscribe_url(base: &PublicBaseUrl, send: ObjectId, key: &TrackingKey) -> String {
    base.route(
        "u",
        &TrackingToken::new(TrackingKind::Unsubscribe, send),
        key,
    )
}

/// Which kinds of tracking a campaign asked for (`settings.trackOpens`, `settings.trackClicks`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TrackingOptions {
    pub opens: bool,
    pub clicks: bool,
}

/// A body ready to send, and the original URL of every rewritten link (index = the position in
/// its click token), which the engine stores with the send before the message leaves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackedBody {
    pub html: String,
    pub links: Vec<String>,
}

/// Rewrites an HTML body for tracking. With `clicks`, the `href` of every `<a>` and `<area>` whose
/// URL is `http:` or `https:` becomes `{base}/t/c/{token}` (other schemes, such as `mailto:` or
/// `tel:`, and relative links are kept); `links` lists the original URLs (entities decoded) in the
/// order of the body. With `opens`, a 1×1 image `{base}/t/o/{token}` is added before `</body>`, or
/// at the end when there is none. Comments and the contents of `<script>`, `<style>` and
/// `<textarea>` are never rewritten.
pub fn track_body(
    html: &str,
    base: &PublicBaseUrl,
    send: ObjectId,
    key: &TrackingKey,
    options: TrackingOptions,
) -> TrackedBody {
    let mut links = Vec::new();
    let mut out = if options.clicks {
        rewrite_links(html, |url| {
            let position = u32::try_from(links.len()).ok()?;
            links.push(url.to_owned());
            let token = TrackingToken::new(TrackingKind::Click { position }, send);
            Some(base.route("t/c", &token, key))
        })
    } else {
        html.to_owned()
    };
    if options.opens {
        let pixel = format!(
            r#"<img src="{}" width="1" height="1" alt="" style="display:none;border:0;width:1px;height:1px">"#,
            base.route("t/o", &TrackingToken::new(TrackingKind::Open, send), key)
        );
        match find_ascii_case_insensitive(&out, "</body") {
            Some(at) => out.insert_str(at, &pixel),
            None => out.push_str(&pixel),
        }
    }
    TrackedBody { html: out, links }
}

fn find_ascii_case_insensitive(haystack: &str, needle: &str) -> Option<usize> {
    let needle = needle.as_bytes();
    haystack
        .as_bytes()
        .windows(needle.len())
        .rposition(|window| window.eq_ignore_ascii_case(needle))
}

/// Walks the HTML as the tokenizer of the HTML standard would, far enough to find start tags and
/// their attributes; `replace` gets each `http(s)` link's decoded URL and answers its new URL
/// (`None` keeps the link).
fn rewrite_links(html: &str, mut replace: impl FnMut(&str) -> Option<String>) -> String {
    let bytes = html.as_bytes();
    let mut out = String::with_capacity(html.len() + 64);
    let mut copied = 0;
    let mut at = 0;
    while let Some(offset) = html[at..].find('<') {
        let open = at + offset;
        let rest = &html[open..];
        if let Some(comment) = rest.strip_prefix("<!--") {
            at = match comment.find("-->") {
                Some(end) => open + 4 + end + 3,
                None => html.len(),
            };
            continue;
        }
        if rest.starts_with("<!") || rest.starts_with("<?") || rest.starts_with("</") {
            at = match rest.find('>') {
                Some(end) => open + end + 1,
                None => html.len(),
            };
            continue;
        }
        let name_start = open + 1;
        let name_end = bytes[name_start..]
            .iter()
            .position(|&byte| byte.is_ascii_whitespace() || byte == b'/' || byte == b'>')
            .map_or(html.len(), |end| name_start + end);
        let name = &html[name_start..name_end];
        if name.is_empty() || !name.as_bytes()[0].is_ascii_alphabetic() {
            at = name_start;
            continue;
        }
        let tag = parse_attributes(html, name_end);
        let linking = name.eq_ignore_ascii_case("a") || name.eq_ignore_ascii_case("area");
        if linking {
            // The first href counts, as in a browser; later duplicates are ignored by it too.
            if let Some(href) = tag
                .attributes
                .iter()
                .find(|attribute| html[attribute.name.clone()].eq_ignore_ascii_case("href"))
                && let Some(value) = href.value.clone()
            {
                let url = decode_entities(&html[value.clone()]);
                if is_web_url(&url)
                    && let Some(new_url) = replace(url.trim())
                {
                    out.push_str(&html[copied..href.name.start]);
                    out.push_str("href=\"");
                    out.push_str(&escape_attribute(&new_url));
                    out.push('"');
                    copied = href.end;
                }
            }
        }
        at = tag.end;
        for raw_text in ["script", "style", "textarea", "title", "xmp"] {
            if name.eq_ignore_ascii_case(raw_text) {
                let closing = format!("</{raw_text}");
                at = find_ascii_case_insensitive_from(html, at, &closing).unwrap_or(html.len());
            }
        }
    }
    out.push_str(&html[copied..]);
    out
}

fn find_ascii_case_insensitive_from(haystack: &str, from: usize, needle: &str) -> Option<usize> {
    let needle = needle.as_bytes();
    haystack.as_bytes()[from..]
        .windows(needle.len())
        .position(|window| window.eq_ignore_ascii_case(needle))
        .map(|offset| from + offset)
}

struct Attribute {
    name: std::ops::Range<usize>,
    /// Without its quotes.
    value: Option<std::ops::Range<usize>>,
    /// Just after the attribute (after a closing quote).
    end: usize,
}

struct StartTag {
    attributes: Vec<Attribute>,
    /// Just after the `>` (or the end of the input).
    end: usize,
}

/// The attributes of a start tag whose name ends at `at` (HTML standard, "before attribute name"
/// and the states after it).
fn parse_attributes(html: &str, mut at: usize) -> StartTag {
    let bytes = html.as_bytes();
    let mut attributes = Vec::new();
    loop {
        while at < bytes.len() && (bytes[at].is_ascii_whitespace() || bytes[at] == b'/') {
            at += 1;
        }
        if at >= bytes.len() {
            return StartTag {
                attributes,
                end: html.len(),
            };
        }
        if bytes[at] == b'>' {
            return StartTag {
                attributes,
                end: at + 1,
            };
        }
        let name_start = at;
        // A leading '=' belongs to the name (the standard's "unexpected-equals-sign" case).
        at += 1;
        while at < bytes.len()
            && !bytes[at].is_ascii_whitespace()
            && !matches!(bytes[at], b'/' | b'>' | b'=')
        {
            at += 1;
        }
        let name = name_start..at;
        let mut after_name = at;
        while after_name < bytes.len() && bytes[after_name].is_ascii_whitespace() {
            after_name += 1;
        }
        if after_name >= bytes.len() || bytes[after_name] != b'=' {
            attributes.push(Attribute {
                name,
                value: None,
                end: at,
            });
            continue;
        }
        at = after_name + 1;
        while at < bytes.len() && bytes[at].is_ascii_whitespace() {
            at += 1;
        }
        let (value, end) = match bytes.get(at) {
            Some(&quote @ (b'"' | b'\'')) => {
                let start = at + 1;
                match bytes[start..].iter().position(|&byte| byte == quote) {
                    Some(length) => (start..start + length, start + length + 1),
                    None => (start..html.len(), html.len()),
                }
            }
            _ => {
                let start = at;
                let length = bytes[start..]
                    .iter()
                    .position(|&byte| byte.is_ascii_whitespace() || byte == b'>')
                    .unwrap_or(bytes.len() - start);
                (start..start + length, start + length)
            }
        };
        attributes.push(Attribute {
            name,
            value: Some(value),
            end,
        });
        at = end;
    }
}

fn is_web_url(url: &str) -> bool {
    let url = url.trim_start();
    let scheme_end = url.find(':');
    scheme_end.is_some_and(|end| {
        let scheme = &url[..end];
        (scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https"))
            && url::Url::parse(url.trim()).is_ok()
    })
}

/// Decodes the character references an attribute value may hold: numeric ones and the named
/// ones that appear in URLs. An unknown name is kept as written (as a browser does for `&foo=`).
fn decode_entities(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let end = rest[1..]
            .find(|character: char| !character.is_ascii_alphanumeric() && character != '#')
            .map_or(rest.len(), |end| end + 1);
        let name = &rest[1..end];
        let decoded = if let Some(number) = name.strip_prefix('#') {
            let value = match number.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok(),
                None => number.parse::<u32>().ok(),
            };
            value.and_then(char::from_u32)
        } else {
            match name {
                "amp" => Some('&'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "nbsp" => Some('\u{a0}'),
                _ => None,
            }
        };
        match decoded {
            Some(character) if !name.is_empty() => {
                out.push(character);
                rest = &rest[end..];
                rest = rest.strip_prefix(';').unwrap_or(rest);
            }
            _ => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn escape_attribute(value: &str) -> String {
    value
        .replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> TrackingKey {
        TrackingKey::new([7; 32])
    }

    fn send() -> ObjectId {
        ObjectId::from_parts(1_765_000_000, [1, 2, 3, 4, 5], 42)
    }

    fn base() -> PublicBaseUrl {
        PublicBaseUrl::parse("https://track.example.com/").expect("a valid base")
    }

    fn both() -> TrackingOptions {
        TrackingOptions {
            opens: true,
            clicks: true,
        }
    }

    fn clicks() -> TrackingOptions {
        TrackingOptions {
            opens: false,
            clicks: true,
        }
    }

    #[test]
    fn every_kind_of_token_round_trips_and_is_url_safe() {
        for kind in [
            TrackingKind::Open,
            TrackingKind::Unsubscribe,
            TrackingKind::Click { position: 0 },
            TrackingKind::Click { position: u32::MAX },
        ] {
            let token = TrackingToken::new(kind, send());
            let text = token.encode(&key());
            assert!(
                text.bytes()
                    .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_'),
                "{text}"
            );
            assert_eq!(TrackingToken::decode(&text, &key()), Some(token));
        }
    }

    #[test]
    fn a_token_signed_with_another_key_is_refused() {
        let text = TrackingToken::new(TrackingKind::Open, send()).encode(&key());
        assert_eq!(
            TrackingToken::decode(&text, &TrackingKey::new([8; 32])),
            None
        );
    }

    #[test]
    fn every_altered_byte_of_a_token_is_refused() {
        let token = TrackingToken::new(TrackingKind::Click { position: 3 }, send());
        let bytes = URL_SAFE_NO_PAD
            .decode(token.encode(&key()))
            .expect("base64url");
        for index in 0..bytes.len() {
            for flip in [1u8, 0x80] {
                let mut altered = bytes.clone();
                altered[index] ^= flip;
                let text = URL_SAFE_NO_PAD.encode(&altered);
                assert_eq!(TrackingToken::decode(&text, &key()), None, "byte {index}");
            }
        }
    }

    #[test]
    fn truncated_extended_and_malformed_tokens_are_refused() {
        let text = TrackingToken::new(TrackingKind::Unsubscribe, send()).encode(&key());
        for length in 0..text.len() {
            assert_eq!(TrackingToken::decode(&text[..length], &key()), None);
        }
        assert_eq!(TrackingToken::decode(&format!("{text}A"), &key()), None);
        assert_eq!(TrackingToken::decode(&format!("{text}="), &key()), None);
        assert_eq!(TrackingToken::decode("not a token!", &key()), None);
        // A valid tag over a payload of the wrong shape: an open kind carrying a position.
        let mut payload = vec![KIND_OPEN, 0, 0, 0, 1];
        payload.extend_from_slice(&send().bytes());
        let mut forged = payload.clone();
        forged.extend_from_slice(&tag(&key(), &payload));
        assert_eq!(
            TrackingToken::decode(&URL_SAFE_NO_PAD.encode(forged), &key()),
            None
        );
    }

    #[test]
    fn the_tag_is_at_least_16_bytes() {
        let text = TrackingToken::new(TrackingKind::Open, send()).encode(&key());
        let bytes = URL_SAFE_NO_PAD.decode(text).expect("base64url");
        assert!(bytes.len() >= 1 + 12 + 16);
    }

    #[test]
    fn the_derived_key_depends_on_the_secret_and_is_not_the_secret() {
        let one = TrackingKey::derive(&[1; 32]);
        assert_ne!(one, TrackingKey::derive(&[2; 32]));
        assert_ne!(one, TrackingKey::new([1; 32]));
        assert_eq!(one, TrackingKey::derive(&[1; 32]));
    }

    #[test]
    fn the_base_url_must_be_absolute_http_without_query() {
        assert_eq!(base().as_str(), "https://track.example.com");
        assert_eq!(
            PublicBaseUrl::parse("http://127.0.0.1:8080/sendline/")
                .expect("valid")
                .as_str(),
            "http://127.0.0.1:8080/sendline"
        );
        for bad in [
            "",
            "track.example.com",
            "ftp://x.example",
            "https://x.example/?a=1",
            "https://x.example/#top",
            "https://user:pw@x.example",
        ] {
            assert!(PublicBaseUrl::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_unsubscribe_url_carries_an_unsubscribe_token_for_the_send() {
        let url = unsubscribe_url(&base(), send(), &key());
        let token = url
            .strip_prefix("https://track.example.com/u/")
            .expect("the route");
        assert_eq!(
            TrackingToken::decode(token, &key()),
            Some(TrackingToken::new(TrackingKind::Unsubscribe, send()))
        );
    }

    fn click_token_at(position: u32) -> String {
        TrackingToken::new(TrackingKind::Click { position }, send()).encode(&key())
    }

    #[test]
    fn http_links_are_rewritten_in_order_and_other_schemes_kept() {
        let html = r#"<p><a href="https://a.example/x?y=1">A</a> <a href="mailto:me@example.com">M</a> <a href="http://b.example/">B</a> <a href="/relative">R</a> <a href="tel:+1">T</a></p>"#;
        let tracked = track_body(html, &base(), send(), &key(), clicks());
        assert_eq!(
            tracked.links,
            vec!["https://a.example/x?y=1", "http://b.example/"]
        );
        let expected = format!(
            r#"<p><a href="https://track.example.com/t/c/{}">A</a> <a href="mailto:me@example.com">M</a> <a href="https://track.example.com/t/c/{}">B</a> <a href="/relative">R</a> <a href="tel:+1">T</a></p>"#,
            click_token_at(0),
            click_token_at(1)
        );
        assert_eq!(tracked.html, expected);
    }

    #[test]
    fn quotes_case_and_entities_are_understood() {
        let html = "<A HREF='https://a.example/?a=1&amp;b=2' class=x>1</A>\
                    <a class=\"y\" href=https://b.example/p?q=&quot;z&quot;>2</a>\
                    <a\nhref = \"HTTPS://c.example/&#x41;&#66;\" >3</a>";
        let tracked = track_body(html, &base(), send(), &key(), clicks());
        assert_eq!(
            tracked.links,
            vec![
                "https://a.example/?a=1&b=2",
                "https://b.example/p?q=\"z\"",
                "HTTPS://c.example/AB",
            ]
        );
        assert!(tracked.html.starts_with(&format!(
            "<A href=\"https://track.example.com/t/c/{}\" class=x>1</A>",
            click_token_at(0)
        )));
        assert!(tracked.html.contains(&format!(
            "<a class=\"y\" href=\"https://track.example.com/t/c/{}\">2</a>",
            click_token_at(1)
        )));
        assert!(tracked.html.contains(&format!(
            "<a\nhref=\"https://track.example.com/t/c/{}\" >3</a>",
            click_token_at(2)
        )));
    }

    #[test]
    fn hrefs_in_text_comments_scripts_and_other_attributes_are_left_alone() {
        let html = r#"<p>href="https://text.example"</p><!-- <a href="https://comment.example"> --><style>a[href="https://style.example"]{}</style><a title='href="https://title.example"' data-href="https://data.example">x</a><link href="https://css.example/s.css"><img src="https://img.example/i.png">"#;
        let tracked = track_body(html, &base(), send(), &key(), clicks());
        assert_eq!(tracked.html, html);
        assert!(tracked.links.is_empty());
    }

    #[test]
    fn without_click_tracking_links_are_kept() {
        let html = r#"<a href="https://a.example">A</a>"#;
        let tracked = track_body(html, &base(), send(), &key(), TrackingOptions::default());
        assert_eq!(tracked.html, html);
        assert!(tracked.links.is_empty());
    }

    #[test]
    fn the_open_pixel_goes_before_the_body_end_or_at_the_end() {
        let open = TrackingToken::new(TrackingKind::Open, send()).encode(&key());
        let pixel_src = format!("src=\"https://track.example.com/t/o/{open}\"");
        let tracked = track_body("<p>Hi</p>", &base(), send(), &key(), both());
        assert!(tracked.html.starts_with("<p>Hi</p><img "));
        assert!(tracked.html.contains(&pixel_src));
        assert!(tracked.html.contains(r#"width="1" height="1""#));

        let tracked = track_body(
            "<html><BODY><p>Hi</p></BODY></html>",
            &base(),
            send(),
            &key(),
            both(),
        );
        assert!(tracked.html.starts_with("<html><BODY><p>Hi</p><img "));
        assert!(tracked.html.ends_with("></BODY></html>"));

        let untracked = track_body("<p>Hi</p>", &base(), send(), &key(), clicks());
        assert_eq!(untracked.html, "<p>Hi</p>");
    }

    #[test]
    fn an_unterminated_tag_is_kept_as_written() {
        for html in [
            "<a href=",
            "<a href",
            "<",
            "a < b",
            "<!-- open",
            "<a title='x",
        ] {
            let tracked = track_body(html, &base(), send(), &key(), clicks());
            assert_eq!(tracked.html, html);
            assert!(tracked.links.is_empty());
        }
        // A value running to the end of the input is still a value.
        let tracked = track_body(
            "<a href=\"https://a.example",
            &base(),
            send(),
            &key(),
            clicks(),
        );
        assert_eq!(tracked.links, vec!["https://a.example"]);
    }
}

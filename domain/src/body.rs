//! Email bodies (API contract section 4.7 "Bodies").
//!
//! A body arrives as plain text or as HTML and is stored as TipTap-compatible HTML:
//!
//! - Plain text is HTML-escaped and split into `<p>` paragraphs at blank lines; a single line
//!   break inside a paragraph becomes `<br>`.
//! - HTML is sanitised with [`ammonia`] down to the TipTap subset: a few formatting and block
//!   tags, and no attribute but `href` on `a` (http, https, mailto or relative).
//!
//! `{{variable}}` placeholders survive both paths untouched, and converting converted output
//! changes nothing: `to_tiptap_html(&to_tiptap_html(x)) == to_tiptap_html(x)`.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use ammonia::{Builder, UrlRelative};

use crate::problem::{Invalid, ProblemCode};
use crate::text::{Lines, named, refuse_controls};

/// The only tags a stored body may contain (what the TipTap editor understands).
const ALLOWED_TAGS: [&str; 19] = [
    "p",
    "br",
    "strong",
    "b",
    "em",
    "i",
    "u",
    "s",
    "a",
    "ul",
    "ol",
    "li",
    "h1",
    "h2",
    "h3",
    "blockquote",
    "code",
    "pre",
    "span",
];

/// Tags removed together with everything inside them. Besides scripts and styles these are
/// elements whose content a reader never sees as body text (a pasted page's `<title>`, inert
/// `<template>` content, `<iframe>`/`<noembed>`/`<noframes>` fallback text).
const CONTENT_REMOVED_TAGS: [&str; 7] = [
    "script", "style", "title", "template", "iframe", "noembed", "noframes",
];

/// The URL schemes an `href` may use; relative URLs (and so `{{placeholder}}` hrefs) pass as is.
const ALLOWED_URL_SCHEMES: [&str; 3] = ["http", "https", "mailto"];

/// Sanitising passes after the first one, at most, while waiting for a fixed point.
const MAX_EXTRA_PASSES: usize = 3;

/// The sanitiser, configured once. Every option is set explicitly: `Builder::empty()` only clears
/// the tag list and keeps ammonia's other defaults (generic `lang`/`title` attributes, a
/// `rel="noopener noreferrer"` on links, many URL schemes).
static SANITIZER: LazyLock<Builder<'static>> = LazyLock::new(|| {
    let mut builder = Builder::empty();
    builder
        .tags(HashSet::from(ALLOWED_TAGS))
        .clean_content_tags(HashSet::from(CONTENT_REMOVED_TAGS))
        .generic_attributes(HashSet::new())
        .tag_attributes(HashMap::from([("a", HashSet::from(["href"]))]))
        .tag_attribute_values(HashMap::new())
        .set_tag_attribute_values(HashMap::new())
        .allowed_classes(HashMap::new())
        .url_schemes(HashSet::from(ALLOWED_URL_SCHEMES))
        .url_relative(UrlRelative::PassThrough)
        .link_rel(None)
        .id_prefix(None)
        .strip_comments(true);
    builder
});

/// TipTap-compatible HTML for an email body (plain text or HTML in).
///
/// Input is treated as HTML when it contains `<` immediately followed by an ASCII letter, `/`
/// or `!`; otherwise it is plain text.
pub fn to_tiptap_html(raw: &str) -> String {
    if looks_like_html(raw) {
        sanitize_html(raw)
    } else {
        plain_text_to_html(raw)
    }
}

/// An email body, stored as TipTap-compatible HTML.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailBody(String);

impl EmailBody {
    /// The most characters (Unicode scalar values) a raw body may have.
    pub const MAX_CHARS: usize = 100_000;

    /// Required, non-blank, at most [`Self::MAX_CHARS`] characters (counted on the raw input,
    /// before conversion), no control character but line breaks and tabs, and something visible
    /// must be left after conversion.
    pub fn parse(raw: &str) -> Result<EmailBody, Invalid> {
        if raw.trim().is_empty() {
            return Err(Invalid::new(ProblemCode::Blank, "body must not be blank"));
        }
        if raw.chars().count() > Self::MAX_CHARS {
            return Err(Invalid::new(
                ProblemCode::TooLong,
                format!("body must be at most {} characters", Self::MAX_CHARS),
            ));
        }
        refuse_controls(raw, Lines::Many).map_err(|invalid| named("body", invalid))?;
        let html = to_tiptap_html(raw);
        if !has_visible_text(&html) {
            return Err(Invalid::new(
                ProblemCode::Blank,
                "body must not be blank: nothing visible is left after sanitising",
            ));
        }
        Ok(EmailBody(html))
    }

    /// A body read back from storage, kept as it is: it was sanitised by [`Self::parse`] when written,
    /// and sanitising it again on every read would cost more than the rest of the read.
    pub fn restore(stored: &str) -> EmailBody {
        EmailBody(stored.to_owned())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A text that is not a body but may carry markup (a mailbox signature): HTML is sanitised exactly as
/// a body's is, down to the same TipTap subset; text without markup is kept as given, as it cannot
/// hold a tag.
pub(crate) fn sanitize_markup(raw: &str) -> String {
    if looks_like_html(raw) {
        sanitize_html(raw)
    } else {
        raw.to_owned()
    }
}

/// Whether `raw` holds an HTML tag, comment or doctype: `<` followed by an ASCII letter, `/`
/// or `!`.
fn looks_like_html(raw: &str) -> bool {
    raw.as_bytes().windows(2).any(|pair| {
        pair[0] == b'<' && (pair[1].is_ascii_alphabetic() || matches!(pair[1], b'/' | b'!'))
    })
}

/// Plain text as `<p>` paragraphs: blank (whitespace-only) lines separate paragraphs, other line
/// breaks become `<br>`, empty paragraphs are dropped.
fn plain_text_to_html(text: &str) -> String {
    let normalised = normalise_plain_text(text);
    let mut html = String::with_capacity(normalised.len() + normalised.len() / 8 + 16);
    let mut paragraph: Vec<&str> = Vec::new();
    for line in normalised.split('\n') {
        if line.chars().all(char::is_whitespace) {
            push_paragraph(&mut html, &paragraph);
            paragraph.clear();
        } else {
            paragraph.push(line);
        }
    }
    push_paragraph(&mut html, &paragraph);
    html
}

/// `\r\n` and `\r` become `\n`. NUL characters are dropped, as the HTML parser drops them from
/// text: kept, they would vanish on a second conversion.
fn normalise_plain_text(text: &str) -> String {
    let mut normalised = String::with_capacity(text.len());
    let mut characters = text.chars().peekable();
    while let Some(character) = characters.next() {
        match character {
            '\r' => {
                characters.next_if_eq(&'\n');
                normalised.push('\n');
            }
            '\0' => {}
            other => normalised.push(other),
        }
    }
    normalised
}

fn push_paragraph(html: &mut String, lines: &[&str]) {
    if lines.is_empty() {
        return;
    }
    html.push_str("<p>");
    for (index, line) in lines.iter().enumerate() {
        if index > 0 {
            html.push_str("<br>");
        }
        push_escaped_text(html, line);
    }
    html.push_str("</p>");
}

/// Escapes text exactly as html5ever's serializer escapes a text node (what ammonia writes), so
/// that a second pass through the HTML path gives the same bytes. Quotes stay as they are.
fn push_escaped_text(html: &mut String, text: &str) {
    for character in text.chars() {
        match character {
            '&' => html.push_str("&amp;"),
            '<' => html.push_str("&lt;"),
            '>' => html.push_str("&gt;"),
            '\u{a0}' => html.push_str("&nbsp;"),
            other => html.push(other),
        }
    }
}

/// Sanitises HTML to the TipTap subset, and makes the result a fixed point of [`to_tiptap_html`].
///
/// One ammonia pass is not always a fixed point: it serialises the cleaned tree, and the HTML
/// parser does not read every tree back as it was. Stripping tags from mis-nested markup can
/// leave a `<p>` inside a `<p>` (`<p><button><p>`), a `<b>` that a block start closes, and so
/// on. So the output is sanitised again until it stops changing: in property tests (hundreds of
/// thousands of generated inputs) it always stops after at most one more change, so the usual
/// cost is one extra pass that only confirms. [`sanitize_once`] also repairs the cases that would
/// take a pass per nesting level. Should the output still change after [`MAX_EXTRA_PASSES`],
/// the body falls back to its text as plain text, which is always stable.
///
/// A result without any tag (`<div>Hi</div>` gives `Hi`) would be read as plain text by the
/// next conversion, so it takes the plain-text path now and gets its `<p>` paragraphs.
fn sanitize_html(raw: &str) -> String {
    match sanitize_until_stable(raw) {
        Ok(html) if html.contains('<') => html,
        Ok(text) => plain_text_to_html(&unescape(&text)),
        Err(unstable) => text_fallback(&unstable),
    }
}

/// Sanitises until a pass changes nothing: `Ok` with the fixed point, or `Err` with the last
/// output when [`MAX_EXTRA_PASSES`] were not enough.
fn sanitize_until_stable(raw: &str) -> Result<String, String> {
    let mut current = sanitize_once(raw);
    for _ in 0..MAX_EXTRA_PASSES {
        if !current.contains('<') {
            // Escaped text alone reads back as itself.
            return Ok(current);
        }
        let next = sanitize_once(&current);
        if next == current {
            return Ok(current);
        }
        current = next;
    }
    Err(current)
}

/// One ammonia pass, plus three repairs of what the parser would otherwise change on the next
/// pass:
///
/// - A link inside a link (left when tags between them, like a `<table>`, are stripped) is
///   split up by the parser's adoption agency a few levels per pass only, so deep nesting
///   would need a pass per level. The inner link's tags are dropped; its text stays.
/// - A carriage return (from `&#13;`) is written raw, and the parser reads it as a line feed.
/// - The parser drops a line feed right after `<pre>`, and html5ever's serializer does not
///   write one back, so a `<pre>` whose text starts with a line feed would lose one per pass.
fn sanitize_once(html: &str) -> String {
    let mut cleaned = SANITIZER.clean(html).to_string();
    if cleaned.matches("<a").nth(1).is_some() {
        cleaned = unwrap_nested_links(&cleaned);
    }
    if cleaned.contains('\r') {
        cleaned = cleaned.replace("\r\n", "\n").replace('\r', "\n");
    }
    if cleaned.contains("<pre>\n") {
        cleaned = cleaned.replace("<pre>\n", "<pre>\n\n");
    }
    cleaned
}

/// A piece of sanitised HTML: escaped text, or a tag with its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Piece<'a> {
    Text(&'a str),
    Start { name: &'a str, tag: &'a str },
    End { name: &'a str, tag: &'a str },
}

/// Splits sanitised HTML into text and tags. In html5ever's output every `<` and `>` outside a
/// tag, and inside an attribute value, is escaped, so a tag runs from a `<` to the next `>`.
fn pieces(html: &str) -> impl Iterator<Item = Piece<'_>> {
    let mut rest = html;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let text_length = rest.find('<').unwrap_or(rest.len());
        if text_length > 0 {
            let (text, after) = rest.split_at(text_length);
            rest = after;
            return Some(Piece::Text(text));
        }
        let Some(close) = rest.find('>') else {
            // Never produced by the serializer; treat the remainder as text.
            let text = rest;
            rest = "";
            return Some(Piece::Text(text));
        };
        let (tag, after) = rest.split_at(close + 1);
        rest = after;
        let inner = &tag[1..close];
        Some(match inner.strip_prefix('/') {
            Some(name) => Piece::End { name, tag },
            None => {
                let name = inner.split([' ', '/']).next().unwrap_or(inner);
                Piece::Start { name, tag }
            }
        })
    })
}

/// Drops the tags of every `<a>` inside another `<a>`, keeping its content.
fn unwrap_nested_links(html: &str) -> String {
    let mut unwrapped = String::with_capacity(html.len());
    // For each open element: whether it is a link, and whether its start tag was dropped.
    let mut open: Vec<(bool, bool)> = Vec::new();
    let mut links_open = 0_usize;
    for piece in pieces(html) {
        match piece {
            Piece::Text(text) => unwrapped.push_str(text),
            Piece::Start { name: "br", tag } => unwrapped.push_str(tag),
            Piece::Start { name, tag } => {
                let is_link = name == "a";
                let dropped = is_link && links_open > 0;
                if is_link {
                    links_open += 1;
                }
                open.push((is_link, dropped));
                if !dropped {
                    unwrapped.push_str(tag);
                }
            }
            Piece::End { tag, .. } => {
                let (is_link, dropped) = open.pop().unwrap_or((false, false));
                if is_link {
                    links_open = links_open.saturating_sub(1);
                }
                if !dropped {
                    unwrapped.push_str(tag);
                }
            }
        }
    }
    unwrapped
}

/// The last resort for HTML that would not settle: its text as plain text, with a line break for
/// each `<br>` and a paragraph break at each block.
fn text_fallback(html: &str) -> String {
    let mut text = String::with_capacity(html.len());
    for piece in pieces(html) {
        match piece {
            Piece::Text(escaped) => text.push_str(&unescape(escaped)),
            Piece::Start { name: "br", .. } => text.push('\n'),
            Piece::Start { name, .. } | Piece::End { name, .. } if is_block(name) => {
                text.push_str("\n\n");
            }
            Piece::Start { .. } | Piece::End { .. } => {}
        }
    }
    plain_text_to_html(&text)
}

fn is_block(name: &str) -> bool {
    matches!(
        name,
        "p" | "h1" | "h2" | "h3" | "ul" | "ol" | "li" | "blockquote" | "pre"
    )
}

/// Undoes html5ever's escaping (`&amp;`, `&lt;`, `&gt;`, `&nbsp;`, and `&quot;` in attribute
/// values).
fn unescape(escaped: &str) -> String {
    const ENTITIES: [(&str, char); 5] = [
        ("&amp;", '&'),
        ("&lt;", '<'),
        ("&gt;", '>'),
        ("&nbsp;", '\u{a0}'),
        ("&quot;", '"'),
    ];
    let mut text = String::with_capacity(escaped.len());
    let mut rest = escaped;
    while let Some(position) = rest.find('&') {
        text.push_str(&rest[..position]);
        rest = &rest[position..];
        match ENTITIES.iter().find(|(entity, _)| rest.starts_with(entity)) {
            Some((entity, character)) => {
                text.push(*character);
                rest = &rest[entity.len()..];
            }
            None => {
                text.push('&');
                rest = &rest[1..];
            }
        }
    }
    text.push_str(rest);
    text
}

/// Whether converted HTML shows any text other than white space (`{{firstName}}` counts).
fn has_visible_text(html: &str) -> bool {
    pieces(html).any(|piece| match piece {
        Piece::Text(escaped) => unescape(escaped)
            .chars()
            .any(|character| !character.is_whitespace()),
        Piece::Start { .. } | Piece::End { .. } => false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const SEED_EXAMPLE: &str = "<p>Hi {{firstName}},</p><p>I noticed {{companyName}} is scaling fast. Would love to share how we helped similar teams cut outbound costs by 40%.</p>";

    /// (rule checked, input, expected TipTap HTML)
    const CONVERSIONS: &[(&str, &str, &str)] = &[
        (
            "plain text: blank lines separate paragraphs",
            "Hello\n\nWorld",
            "<p>Hello</p><p>World</p>",
        ),
        (
            "plain text: whitespace-only lines also separate paragraphs, and several count as one",
            "Hello\n  \n\t\n\nWorld",
            "<p>Hello</p><p>World</p>",
        ),
        (
            "plain text: a single newline becomes <br>",
            "Hi Ann,\nthanks!",
            "<p>Hi Ann,<br>thanks!</p>",
        ),
        (
            "plain text: CRLF and CR are normalised",
            "a\r\nb\r\n\r\nc\rd\r\re",
            "<p>a<br>b</p><p>c<br>d</p><p>e</p>",
        ),
        (
            "plain text: leading and trailing blank lines are trimmed, empty paragraphs dropped",
            "\n  \nHello\n\n\n\n\nWorld\n \n",
            "<p>Hello</p><p>World</p>",
        ),
        (
            "plain text: spaces inside a line are kept",
            "  indented  text ",
            "<p>  indented  text </p>",
        ),
        (
            "plain text: < > & are escaped",
            "a < b && c > d",
            "<p>a &lt; b &amp;&amp; c &gt; d</p>",
        ),
        (
            "plain text: `<` not followed by a letter, / or ! stays text",
            "I <3 you, 1<2",
            "<p>I &lt;3 you, 1&lt;2</p>",
        ),
        (
            "plain text: entity-looking text is escaped, not decoded",
            "&amp; &lt;",
            "<p>&amp;amp; &amp;lt;</p>",
        ),
        (
            "plain text: no-break space is escaped like html5ever does",
            "a\u{a0}b",
            "<p>a&nbsp;b</p>",
        ),
        (
            "plain text: quotes are left as is",
            "She said \"hi\" and 'bye'",
            "<p>She said \"hi\" and 'bye'</p>",
        ),
        (
            "plain text: placeholders are kept",
            "Hi {{firstName}},\n\nsee {{companyName}}",
            "<p>Hi {{firstName}},</p><p>see {{companyName}}</p>",
        ),
        (
            "plain text: NUL characters are dropped",
            "a\0b",
            "<p>ab</p>",
        ),
        ("plain text: empty input gives empty output", "", ""),
        (
            "plain text: blank input gives empty output",
            " \n\t\r\n ",
            "",
        ),
        (
            "html: the seed example is unchanged",
            SEED_EXAMPLE,
            SEED_EXAMPLE,
        ),
        (
            "html: placeholders are kept in text",
            "<p>Hi {{firstName}} at {{companyName}}</p>",
            "<p>Hi {{firstName}} at {{companyName}}</p>",
        ),
        (
            "html: placeholder href is kept",
            "<p><a href=\"{{unsubscribeUrl}}\">Unsubscribe</a></p>",
            "<p><a href=\"{{unsubscribeUrl}}\">Unsubscribe</a></p>",
        ),
        (
            "html: placeholders inside an absolute href are kept",
            "<a href=\"https://example.com/?u={{id}}\">x</a>",
            "<a href=\"https://example.com/?u={{id}}\">x</a>",
        ),
        (
            "html: allowed tags are kept",
            "<h1>T</h1><h2>S</h2><h3>s</h3><p><strong>b</strong> <b>b</b> <em>i</em> <i>i</i> <u>u</u> <s>s</s> <code>c</code> <span>x</span><br></p><ul><li>1</li></ul><ol><li>2</li></ol><blockquote><p>q</p></blockquote><pre>pre</pre>",
            "<h1>T</h1><h2>S</h2><h3>s</h3><p><strong>b</strong> <b>b</b> <em>i</em> <i>i</i> <u>u</u> <s>s</s> <code>c</code> <span>x</span><br></p><ul><li>1</li></ul><ol><li>2</li></ol><blockquote><p>q</p></blockquote><pre>pre</pre>",
        ),
        (
            "html: http, https and mailto links are kept, with no rel added",
            "<a href=\"http://a.example\">a</a><a href=\"https://b.example/x?y=1&amp;z=2\">b</a><a href=\"mailto:c@example.com\">c</a>",
            "<a href=\"http://a.example\">a</a><a href=\"https://b.example/x?y=1&amp;z=2\">b</a><a href=\"mailto:c@example.com\">c</a>",
        ),
        (
            "html: relative hrefs pass through",
            "<a href=\"/pricing#plans\">p</a>",
            "<a href=\"/pricing#plans\">p</a>",
        ),
        (
            "html: <br/> is written as <br>",
            "<p>a<br/>b<br />c</p>",
            "<p>a<br>b<br>c</p>",
        ),
        (
            "html: disallowed tags are stripped but their text is kept",
            "<div><p>Hi <font color=\"red\">there</font> <img src=\"x.png\">you</p><table><tr><td>cell</td></tr></table></div>",
            "<p>Hi there you</p>cell",
        ),
        (
            "html: h4 is not in the subset",
            "<h4>Title</h4><p>x</p>",
            "Title<p>x</p>",
        ),
        (
            "html: script is removed with its content",
            "<p>a</p><script>alert('x')</script><p>b</p>",
            "<p>a</p><p>b</p>",
        ),
        (
            "html: style is removed with its content",
            "<style>p { color: red }</style><p>a</p>",
            "<p>a</p>",
        ),
        (
            "html: comments are removed",
            "<p>a<!-- secret --></p><!--[if mso]><p>b</p><![endif]-->",
            "<p>a</p>",
        ),
        (
            "html: on* event-handler attributes are removed",
            "<p onclick=\"alert(1)\" onMouseOver='x'>a</p><a href=\"https://e.example\" onclick=\"x\">l</a>",
            "<p>a</p><a href=\"https://e.example\">l</a>",
        ),
        (
            "html: javascript: href is removed",
            "<a href=\"javascript:alert(1)\">x</a><a href=\" JaVaScRiPt:alert(1)\">y</a><a href=\"java&#x73;cript:alert(1)\">z</a>",
            "<a>x</a><a>y</a><a>z</a>",
        ),
        (
            "html: other schemes are removed",
            "<a href=\"data:text/html,x\">x</a><a href=\"ftp://e.example\">y</a>",
            "<a>x</a><a>y</a>",
        ),
        (
            "html: style, class, id and other attributes are removed",
            "<p style=\"color:red\" class=\"x\" id=\"y\" title=\"t\" lang=\"en\">a</p><span style=\"font-weight:bold\">b</span><a href=\"https://e.example\" target=\"_blank\" rel=\"nofollow\" class=\"c\">c</a>",
            "<p>a</p><span>b</span><a href=\"https://e.example\">c</a>",
        ),
        (
            "html: quotes in text are not escaped, & < > are",
            "<p>\"q\" 'q' &amp; &lt; &gt; &#60;</p>",
            "<p>\"q\" 'q' &amp; &lt; &gt; &lt;</p>",
        ),
        (
            "html: quotes in href are escaped as &quot;",
            "<a href='/x?\"y\"'>l</a>",
            "<a href=\"/x?&quot;y&quot;\">l</a>",
        ),
        (
            "html: entities are decoded then re-escaped as html5ever does",
            "<p>&nbsp;&copy;&eacute;&#x27;</p>",
            "<p>&nbsp;©é'</p>",
        ),
        (
            "html: a page's title and head are dropped",
            "<html><head><title>Newsletter</title></head><body><p>Hello</p></body></html>",
            "<p>Hello</p>",
        ),
        (
            "html: a leading line feed in <pre> survives",
            "<pre>\n\ncode</pre>",
            "<pre>\n\ncode</pre>",
        ),
        (
            "html: output without any tag goes through the plain-text path",
            "<div>Hi &amp; bye\n\nthere</div>",
            "<p>Hi &amp; bye</p><p>there</p>",
        ),
        (
            "html: output without any tag and without text is empty",
            "<script>alert(1)</script>",
            "",
        ),
        (
            "html: a link left inside a link by stripping is unwrapped, its text kept",
            "<a href=\"/1\">x<table><tr><td><a href=\"/2\">y</a></td></tr></table>z</a>",
            "<a href=\"/1\">xyz</a>",
        ),
        (
            "html: deeply nested links settle too",
            "<a><table><ul><li><h1><ul><li><h1><ul><li><h1><ul><li><h1><ul><li><h1><ul><li><h1><a>x",
            "<a><ul><li><h1><ul><li><h1><ul><li><h1><ul><li><h1><ul><li><h1><ul><li><h1>x</h1></li></ul></h1></li></ul></h1></li></ul></h1></li></ul></h1></li></ul></h1></li></ul></a>",
        ),
        (
            "html: a paragraph left inside a paragraph settles",
            "<h1><p><button><p>x",
            "<h1><p></p><p>x</p><p></p></h1>",
        ),
        (
            "html: a carriage-return reference becomes a line feed",
            "<p>a&#13;b&#13;&#10;c</p><pre>&#13;x</pre>",
            "<p>a\nb\nc</p><pre>\n\nx</pre>",
        ),
    ];

    #[test]
    fn conversions_follow_the_body_rules() {
        for (rule, input, expected) in CONVERSIONS {
            let converted = to_tiptap_html(input);
            assert_eq!(&converted, expected, "rule: {rule}");
            assert_eq!(
                to_tiptap_html(&converted),
                converted,
                "rule: {rule} (second conversion)"
            );
        }
    }

    #[test]
    fn html_detection_needs_a_letter_slash_or_bang_after_the_angle_bracket() {
        assert!(looks_like_html("a<b"));
        assert!(looks_like_html("</p>"));
        assert!(looks_like_html("<!-- x -->"));
        assert!(!looks_like_html("a < b"));
        assert!(!looks_like_html("<3"));
        assert!(!looks_like_html("<?xml ?>"));
        assert!(!looks_like_html("x<"));
    }

    #[test]
    fn parse_accepts_exactly_max_chars() {
        let raw = "é".repeat(EmailBody::MAX_CHARS);
        let body = EmailBody::parse(&raw).expect("100,000 characters are allowed");
        assert_eq!(body.as_str(), format!("<p>{raw}</p>"));
    }

    #[test]
    fn parse_refuses_one_char_over_max_chars() {
        let raw = "é".repeat(EmailBody::MAX_CHARS + 1);
        assert_eq!(
            EmailBody::parse(&raw),
            Err(Invalid::new(
                ProblemCode::TooLong,
                "body must be at most 100000 characters"
            ))
        );
    }

    #[test]
    fn parse_counts_raw_chars_before_conversion() {
        // Escaping makes the stored HTML longer than the limit; only the raw input counts.
        let raw = "&".repeat(EmailBody::MAX_CHARS);
        let body = EmailBody::parse(&raw).expect("the raw input is within the limit");
        assert!(body.as_str().chars().count() > EmailBody::MAX_CHARS);
    }

    #[test]
    fn parse_refuses_control_characters_but_line_breaks_and_tabs() {
        for raw in [
            "\0",
            "Hi\u{0}there",
            "<p>Hi\u{0}</p>",
            "Hi\u{1b}[31m",
            "Hi\u{7f}",
            "Hi\u{85}x",
        ] {
            assert_eq!(
                EmailBody::parse(raw),
                Err(Invalid::new(
                    ProblemCode::InvalidFormat,
                    "body must not contain control characters other than line breaks and tabs"
                )),
                "input {raw:?}"
            );
        }
        let body =
            EmailBody::parse("Hi\tthere,\r\nline two\rline three\n").expect("breaks and tabs");
        assert_eq!(body.as_str(), "<p>Hi\tthere,<br>line two<br>line three</p>");
    }

    #[test]
    fn sanitize_markup_cleans_html_like_a_body_and_keeps_plain_text_as_given() {
        assert_eq!(
            sanitize_markup(
                "<p>Best, <a href=\"javascript:alert(1)\">Ana</a></p><script>alert(1)</script>"
            ),
            "<p>Best, <a>Ana</a></p>"
        );
        assert_eq!(
            sanitize_markup("<b onclick=\"x()\">Ana</b><img src=x onerror=y>"),
            sanitize_html("<b onclick=\"x()\">Ana</b><img src=x onerror=y>")
        );
        assert_eq!(sanitize_markup("Best,\nAna & co <3"), "Best,\nAna & co <3");
    }

    #[test]
    fn parse_refuses_blank_input() {
        for raw in ["", " ", "\n\r\n\t ", "\u{a0}"] {
            assert_eq!(
                EmailBody::parse(raw),
                Err(Invalid::new(ProblemCode::Blank, "body must not be blank")),
                "input {raw:?}"
            );
        }
    }

    #[test]
    fn parse_refuses_html_with_nothing_visible_after_sanitising() {
        for raw in [
            "<script>alert(1)</script>",
            "<p></p>",
            "<p> <br> </p><ul><li>&nbsp;</li></ul>",
            "<style>p{}</style><!-- hi -->",
            "<img src=\"x.png\">",
        ] {
            let invalid = EmailBody::parse(raw).expect_err("nothing visible is left");
            assert_eq!(invalid.code, ProblemCode::Blank, "input {raw:?}");
            assert!(
                invalid.message.contains("nothing visible"),
                "input {raw:?}: {}",
                invalid.message
            );
        }
    }

    #[test]
    fn parse_counts_a_lone_placeholder_as_visible() {
        let body = EmailBody::parse("{{firstName}}").expect("a placeholder is content");
        assert_eq!(body.as_str(), "<p>{{firstName}}</p>");
        let body = EmailBody::parse("<p>{{firstName}}</p>").expect("a placeholder is content");
        assert_eq!(body.as_str(), "<p>{{firstName}}</p>");
    }

    #[test]
    fn restore_keeps_the_stored_body_as_written_without_sanitising_again() {
        let stored = EmailBody::parse("Hi <b>there</b><script>x</script>").expect("valid");
        let restored = EmailBody::restore(stored.as_str());
        assert_eq!(restored, stored);
        // What storage holds is trusted: restoring is not a second sanitising pass.
        assert_eq!(EmailBody::restore("plain text").as_str(), "plain text");
    }

    #[test]
    fn parse_stores_the_converted_html() {
        let body = EmailBody::parse(SEED_EXAMPLE).expect("the seed example is valid");
        assert_eq!(body.as_str(), SEED_EXAMPLE);
        let body = EmailBody::parse("Hi <b>there</b><script>x</script>").expect("valid");
        assert_eq!(body.as_str(), "Hi <b>there</b>");
    }

    #[test]
    fn unescape_undoes_html5ever_escaping() {
        assert_eq!(
            unescape("&amp;&lt;&gt;&nbsp;&quot;&copy;&"),
            "&<>\u{a0}\"&copy;&"
        );
    }

    #[test]
    fn nested_link_unwrapping_keeps_the_outer_link_and_all_text() {
        assert_eq!(
            unwrap_nested_links(
                "<a href=\"/1\">a<b><a href=\"/2\">b<br><a>c</a></a></b>d</a><a href=\"/3\">e</a>"
            ),
            "<a href=\"/1\">a<b>b<br>c</b>d</a><a href=\"/3\">e</a>"
        );
    }

    #[test]
    fn text_fallback_keeps_line_and_paragraph_breaks_and_is_stable() {
        let fallback = text_fallback(
            "<h1>T</h1><p>a<br>b &amp; <b>c</b></p><ul><li>1</li><li>{{x}}</li></ul>",
        );
        assert_eq!(
            fallback,
            "<p>T</p><p>a<br>b &amp; c</p><p>1</p><p>{{x}}</p>"
        );
        assert_eq!(to_tiptap_html(&fallback), fallback);
    }

    /// The text of converted HTML, unescaped.
    fn text_content(html: &str) -> String {
        pieces(html)
            .filter_map(|piece| match piece {
                Piece::Text(escaped) => Some(unescape(escaped)),
                Piece::Start { .. } | Piece::End { .. } => None,
            })
            .collect()
    }

    /// Pieces of HTML-ish input, chosen to hit the sanitiser's and parser's corners.
    const HTMLISH_PIECES: &[&str] = &[
        "<p>",
        "</p>",
        "<br>",
        "<br/>",
        "</br>",
        "<b>",
        "</b>",
        "<strong>",
        "</strong>",
        "<i>",
        "</i>",
        "<em>",
        "<u>",
        "<s>",
        "<span>",
        "</span>",
        "<a>",
        "</a>",
        "<a href=\"",
        "<A HREF=",
        "<a href='javascript:alert(1)'>",
        "<a href=\"{{url}}\">",
        "<a href=https://e.example/?a=1&b=2>",
        " href=",
        "<ul>",
        "</ul>",
        "<ol>",
        "<li>",
        "</li>",
        "<h1>",
        "</h1>",
        "<h2>",
        "<h3>",
        "<h4>",
        "<blockquote>",
        "<code>",
        "<pre>",
        "</pre>",
        "<div>",
        "</div>",
        "<table>",
        "<tr>",
        "<td>",
        "</table>",
        "<script>",
        "</script>",
        "<style>",
        "</style>",
        "<title>",
        "<template>",
        "<textarea>",
        "<noscript>",
        "<iframe>",
        "<xmp>",
        "<plaintext>",
        "<select>",
        "<option>",
        "<button>",
        "<form>",
        "<svg>",
        "<math>",
        "<mtext>",
        "<marquee>",
        "<object>",
        "<caption>",
        "<nobr>",
        "<img src=x onerror=alert(1)>",
        " onclick=",
        " onmouseover=\"x\"",
        " style=\"color:red\"",
        " class=x",
        "<!--",
        "-->",
        "<!",
        "<?",
        "<![CDATA[",
        "]]>",
        "\"",
        "'",
        "=",
        "<",
        ">",
        "/",
        "&",
        "&amp;",
        "&nbsp;",
        "&#13;",
        "&#0;",
        "&lt;script&gt;",
        "\u{a0}",
        "\u{feff}",
        "\0",
        "\r",
        "\n",
        "\n\n",
        " ",
        "\t",
        "javascript:",
        "JaVaScRiPt:",
        "mailto:a@b.example",
        "https://e.example/",
        "{{x}}",
        "{{firstName}}",
        "text",
        "é",
        "x",
    ];

    fn htmlish() -> impl Strategy<Value = String> {
        prop::collection::vec(prop::sample::select(HTMLISH_PIECES), 0..40)
            .prop_map(|pieces| pieces.concat())
    }

    /// Undoes attribute escaping, then reports the URL scheme of an href, if it has one.
    fn href_scheme(escaped_value: &str) -> Option<String> {
        let value: String = unescape(escaped_value)
            .trim_start_matches(|c: char| c <= ' ')
            .chars()
            .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
            .collect();
        let colon = value.find(':')?;
        let scheme = &value[..colon];
        let mut characters = scheme.chars();
        let starts_with_letter = characters.next().is_some_and(|c| c.is_ascii_alphabetic());
        let rest_is_scheme = characters.all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
        (starts_with_letter && rest_is_scheme).then(|| scheme.to_ascii_lowercase())
    }

    /// The first unsafe thing in `html`, if any: a `<script`, a tag outside the subset, or an
    /// attribute other than an `href` on `a` with an allowed scheme (or none).
    fn first_unsafe_tag(html: &str) -> Option<String> {
        if html.to_ascii_lowercase().contains("<script") {
            return Some("<script".to_owned());
        }
        let mut rest = html;
        while let Some(start) = rest.find('<') {
            let Some(length) = rest[start..].find('>') else {
                return Some(format!("unclosed tag {}", &rest[start..]));
            };
            let tag = &rest[start + 1..start + length];
            rest = &rest[start + length + 1..];
            let name = tag.strip_prefix('/').unwrap_or(tag);
            if ALLOWED_TAGS.contains(&name) {
                continue;
            }
            let Some(value) = tag
                .strip_prefix("a href=\"")
                .and_then(|value| value.strip_suffix('"'))
                .filter(|value| !value.contains('"'))
            else {
                return Some(format!("<{tag}>"));
            };
            if let Some(scheme) = href_scheme(value)
                && !ALLOWED_URL_SCHEMES.contains(&scheme.as_str())
            {
                return Some(format!("<{tag}>"));
            }
        }
        None
    }

    #[test]
    fn safety_check_catches_unsafe_tags() {
        for unsafe_html in [
            "<script>",
            "<SCRIPT>",
            "<p onclick=\"x\">",
            "<a href=\"https://e.example\" onclick=\"x\">",
            "<a href=\"javascript:x\">",
            "<a href=\" JAVA\tSCRIPT:x\">",
            "<p style=\"x\">",
            "<div>",
        ] {
            assert!(first_unsafe_tag(unsafe_html).is_some(), "{unsafe_html}");
        }
        let safe = "<a href=\"{{u}}\">x</a><p>javascript: is <b>text</b></p><br>";
        assert_eq!(first_unsafe_tag(safe), None);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn converting_twice_changes_nothing_for_any_string(raw in any::<String>()) {
            let once = to_tiptap_html(&raw);
            prop_assert_eq!(to_tiptap_html(&once), once);
        }

        #[test]
        fn converting_twice_changes_nothing_for_htmlish_input(raw in htmlish()) {
            let once = to_tiptap_html(&raw);
            prop_assert_eq!(to_tiptap_html(&once), once);
        }

        #[test]
        fn sanitising_settles_without_the_text_fallback(raw in htmlish()) {
            prop_assert!(sanitize_until_stable(&raw).is_ok());
        }

        #[test]
        fn output_has_only_safe_tags_for_any_string(raw in any::<String>()) {
            let html = to_tiptap_html(&raw);
            prop_assert_eq!(first_unsafe_tag(&html), None, "in {:?}", html);
        }

        #[test]
        fn output_has_only_safe_tags_for_htmlish_input(raw in htmlish()) {
            let html = to_tiptap_html(&raw);
            prop_assert_eq!(first_unsafe_tag(&html), None, "in {:?}", html);
        }

        #[test]
        fn plain_text_keeps_every_visible_character(raw in "[^<]*") {
            let html = to_tiptap_html(&raw);
            let visible = |text: &str| -> String {
                text.chars().filter(|c| !c.is_whitespace() && *c != '\0').collect()
            };
            prop_assert_eq!(visible(&text_content(&html)), visible(&raw));
        }

        #[test]
        fn parse_agrees_with_conversion(raw in htmlish()) {
            if let Ok(body) = EmailBody::parse(&raw) {
                prop_assert_eq!(body.as_str(), to_tiptap_html(&raw));
                prop_assert!(has_visible_text(body.as_str()));
            }
        }
    }
}

//! The text part of a message, derived from its rendered HTML (SENDING.md section 3: a
//! `multipart/alternative` message "with a text part derived from the HTML").
//!
//! Made for what a rendered body is — the TipTap subset a stored body is sanitised to
//! ([`crate::body`]), values escaped by the renderer, the signature — and tolerant of anything else:
//! no input makes it fail or panic. Why not an HTML parser: the input is already well-formed and
//! small, and a walk over its tags is enough; the one-pass reader keeps the cost linear.

/// Readable plain text for the HTML of a message:
///
/// - `p`, `h1`–`h6`, `blockquote`, `pre`, `table` and lists are separated by a blank line; `div`,
///   `li`, `tr` start a new line; `br` is a line break;
/// - list items start with `- ` (`1. `, `2. `… in an `ol`), indented two spaces per nested list;
/// - a link reads `text (url)`, or just its text when that is the URL (or the `mailto:` address);
/// - other tags, comments and the content of `script` and `style` are dropped;
/// - entities are decoded (numeric ones and the usual named ones; an unknown one stays as written);
/// - white space collapses as a browser shows it (kept inside `pre`), a no-break space becomes a
///   space, lines lose trailing spaces, at most one blank line separates blocks, and the text is
///   trimmed. Lines end with `\n` (the SMTP adapter writes CRLF).
pub fn text_part_from_html(html: &str) -> String {
    let mut writer = TextWriter::default();
    let mut at = 0;
    while let Some(rest) = html.get(at..).filter(|rest| !rest.is_empty()) {
        let Some(offset) = rest.find(['<', '&']) else {
            writer.text(rest);
            break;
        };
        writer.text(rest.get(..offset).unwrap_or_default());
        let special = rest.get(offset..).unwrap_or_default();
        let consumed = if special.starts_with('<') {
            markup(special, &mut writer)
        } else {
            match entity(special) {
                Some((character, length)) => {
                    writer.character(character);
                    length
                }
                None => {
                    writer.character('&');
                    1
                }
            }
        };
        at += offset + consumed;
    }
    writer.finish()
}

/// Reads the markup at the start of `rest` (which starts with `<`) into `writer`; answers how many
/// bytes it took.
fn markup(rest: &str, writer: &mut TextWriter) -> usize {
    let bytes = rest.as_bytes();
    if rest.starts_with("<!--") {
        return rest
            .get(4..)
            .and_then(|comment| comment.find("-->"))
            .map_or(rest.len(), |end| 4 + end + 3);
    }
    match (bytes.get(1), bytes.get(2)) {
        (Some(b'!' | b'?'), _) => rest.find('>').map_or(rest.len(), |end| end + 1),
        (Some(b'/'), Some(letter)) if letter.is_ascii_alphabetic() => {
            let name = tag_name(rest.get(2..).unwrap_or_default());
            writer.end_tag(&name);
            rest.find('>').map_or(rest.len(), |end| end + 1)
        }
        (Some(letter), _) if letter.is_ascii_alphabetic() => {
            let Some((tag, length)) = start_tag(rest) else {
                // A tag cut off by the end of the input shows nothing, as in a browser.
                return rest.len();
            };
            if matches!(tag.name.as_str(), "script" | "style") {
                return length + skip_raw_text(rest.get(length..).unwrap_or_default(), &tag.name);
            }
            writer.start_tag(tag);
            length
        }
        _ => {
            writer.character('<');
            1
        }
    }
}

/// The bytes up to the end tag of a `script` or `style` whose content is dropped (not the end tag).
fn skip_raw_text(rest: &str, name: &str) -> usize {
    let end_tag = format!("</{name}");
    // Why ASCII lowercase: it keeps every byte's position, so the offset is valid in `rest`.
    rest.to_ascii_lowercase()
        .find(&end_tag)
        .unwrap_or(rest.len())
}

/// A tag name in ASCII lowercase: the letters and digits at the start of `rest`.
fn tag_name(rest: &str) -> String {
    rest.chars()
        .take_while(char::is_ascii_alphanumeric)
        .map(|character| character.to_ascii_lowercase())
        .collect()
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct StartTag {
    name: String,
    /// The decoded `href` of an `a`.
    href: Option<String>,
}

/// The start tag at the start of `rest` and its length in bytes; `None` when the input ends inside it.
fn start_tag(rest: &str) -> Option<(StartTag, usize)> {
    let bytes = rest.as_bytes();
    let name = tag_name(rest.get(1..)?);
    let mut href = None;
    let mut at = 1 + name.len();
    loop {
        while bytes
            .get(at)
            .is_some_and(|byte| byte.is_ascii_whitespace() || *byte == b'/')
        {
            at += 1;
        }
        match bytes.get(at)? {
            b'>' => return Some((StartTag { name, href }, at + 1)),
            _ => {
                let name_start = at;
                while bytes.get(at).is_some_and(|byte| {
                    !matches!(byte, b'=' | b'>' | b'/') && !byte.is_ascii_whitespace()
                }) {
                    at += 1;
                }
                let attribute = rest.get(name_start..at)?;
                while bytes.get(at).is_some_and(u8::is_ascii_whitespace) {
                    at += 1;
                }
                if bytes.get(at) != Some(&b'=') {
                    continue;
                }
                at += 1;
                while bytes.get(at).is_some_and(u8::is_ascii_whitespace) {
                    at += 1;
                }
                let value = match bytes.get(at)? {
                    quote @ (b'"' | b'\'') => {
                        let length = rest.get(at + 1..)?.find(char::from(*quote))?;
                        let value = rest.get(at + 1..at + 1 + length)?;
                        at += length + 2;
                        value
                    }
                    _ => {
                        let start = at;
                        while bytes
                            .get(at)
                            .is_some_and(|byte| *byte != b'>' && !byte.is_ascii_whitespace())
                        {
                            at += 1;
                        }
                        rest.get(start..at)?
                    }
                };
                if name == "a" && attribute.eq_ignore_ascii_case("href") {
                    href = Some(decode_entities(value));
                }
            }
        }
    }
}

/// `text` with its entities decoded.
fn decode_entities(text: &str) -> String {
    let mut decoded = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(ampersand) = rest.find('&') {
        decoded.push_str(rest.get(..ampersand).unwrap_or_default());
        let from = rest.get(ampersand..).unwrap_or_default();
        let (character, length) = entity(from).unwrap_or(('&', 1));
        decoded.push(character);
        rest = from.get(length..).unwrap_or_default();
    }
    decoded.push_str(rest);
    decoded
}

/// The character of the entity at the start of `rest` (which starts with `&`) and its length, when it
/// is one: `&#NNN;`, `&#xHHH;` or a known name, with its `;`. A number that is no character (0, a
/// surrogate, too large) reads as U+FFFD, as in a browser.
fn entity(rest: &str) -> Option<(char, usize)> {
    // Why a bound: a stray `&` must not make the reader look far ahead.
    const LONGEST: usize = 32;
    let body = rest.get(1..)?;
    let end = body.bytes().take(LONGEST).position(|byte| byte == b';')?;
    let name = body.get(..end)?;
    if name.is_empty()
        || !name
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'#')
    {
        return None;
    }
    let character = match name.strip_prefix('#') {
        Some(number) => {
            let (digits, radix) = match number.strip_prefix(['x', 'X']) {
                Some(hex) => (hex, 16),
                None => (number, 10),
            };
            if digits.is_empty() || !digits.chars().all(|digit| digit.is_digit(radix)) {
                return None;
            }
            // The digits are valid, so failing to parse means too large.
            u32::from_str_radix(digits, radix)
                .ok()
                .and_then(char::from_u32)
                .filter(|character| *character != '\0')
                .unwrap_or(char::REPLACEMENT_CHARACTER)
        }
        None => named_entity(name)?,
    };
    Some((character, 1 + end + 1))
}

/// The named entities a body may hold: those the sanitiser and the renderer write, and common
/// typography pasted from word processors. (The sanitiser decodes the others when a body is stored.)
fn named_entity(name: &str) -> Option<char> {
    Some(match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        "nbsp" => '\u{a0}',
        "copy" => '©',
        "reg" => '®',
        "trade" => '™',
        "hellip" => '…',
        "mdash" => '—',
        "ndash" => '–',
        "lsquo" => '‘',
        "rsquo" => '’',
        "ldquo" => '“',
        "rdquo" => '”',
        "laquo" => '«',
        "raquo" => '»',
        "bull" => '•',
        "middot" => '·',
        "euro" => '€',
        "pound" => '£',
        _ => return None,
    })
}

/// The text being written, and what the tags met so far ask of what comes next.
#[derive(Debug, Default)]
struct TextWriter {
    text: String,
    /// White space was met: one space goes before the next character, unless a line starts there.
    space_pending: bool,
    /// Line breaks the next character must follow (1 = a new line, 2 = a blank line before it).
    breaks_pending: usize,
    /// How many `pre` elements are open: inside one, white space is kept.
    preformatted: usize,
    links: Vec<Link>,
    lists: Vec<List>,
    /// A list item's marker was just written: the item's text follows on the same line, even when it
    /// is in a paragraph (TipTap writes `<li><p>…</p></li>`).
    after_item_marker: bool,
}

#[derive(Debug)]
struct Link {
    href: Option<String>,
    /// Where the link's text starts in the written text.
    text_start: usize,
}

#[derive(Debug)]
enum List {
    Bullets,
    /// The number of the next item.
    Numbers(u32),
}

impl TextWriter {
    fn text(&mut self, text: &str) {
        for character in text.chars() {
            self.character(character);
        }
    }

    fn character(&mut self, character: char) {
        if self.preformatted > 0 {
            if character != '\r' {
                self.flush();
                self.text.push(character);
            }
        } else if matches!(character, ' ' | '\t' | '\n' | '\r' | '\u{c}') {
            self.space_pending = true;
        } else {
            self.flush();
            self.text.push(character);
        }
    }

    /// Writes the pending line breaks, or else the pending space.
    fn flush(&mut self) {
        if self.breaks_pending > 0 {
            if !self.text.is_empty() {
                let written = self.text.len() - self.text.trim_end_matches('\n').len();
                for _ in written..self.breaks_pending {
                    self.text.push('\n');
                }
            }
            self.breaks_pending = 0;
        } else if self.space_pending && !self.text.is_empty() && !self.text.ends_with(['\n', ' ']) {
            self.text.push(' ');
        }
        self.space_pending = false;
        self.after_item_marker = false;
    }

    /// A block starts or ends here: what follows goes `breaks` line breaks further.
    fn block(&mut self, breaks: usize) {
        if !self.after_item_marker {
            self.breaks_pending = self.breaks_pending.max(breaks);
        }
    }

    /// Paragraphs stand apart by a blank line, except inside a list, where each is a line.
    fn paragraph_breaks(&self) -> usize {
        if self.lists.is_empty() { 2 } else { 1 }
    }

    /// Lists inside a list item follow it on the next line; a top-level list stands apart.
    fn list_breaks(&self) -> usize {
        if self.lists.is_empty() { 2 } else { 1 }
    }

    fn start_tag(&mut self, tag: StartTag) {
        match tag.name.as_str() {
            "br" => {
                self.flush();
                self.text.push('\n');
            }
            "p" | "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "blockquote" | "table" | "hr" => {
                self.block(self.paragraph_breaks());
            }
            "pre" => {
                self.block(self.paragraph_breaks());
                self.preformatted += 1;
            }
            "div" | "tr" | "dt" | "dd" => self.block(1),
            "td" | "th" => self.space_pending = true,
            "ul" | "ol" => {
                self.block(self.list_breaks());
                self.lists.push(if tag.name == "ul" {
                    List::Bullets
                } else {
                    List::Numbers(1)
                });
            }
            "li" => {
                self.after_item_marker = false;
                self.block(1);
                self.flush();
                let indent = "  ".repeat(self.lists.len().saturating_sub(1));
                let marker = match self.lists.last_mut() {
                    Some(List::Numbers(next)) => {
                        let marker = format!("{next}. ");
                        *next = next.saturating_add(1);
                        marker
                    }
                    Some(List::Bullets) | None => "- ".to_owned(),
                };
                self.text.push_str(&indent);
                self.text.push_str(&marker);
                self.after_item_marker = true;
            }
            "a" => self.links.push(Link {
                href: tag.href,
                text_start: self.text.len(),
            }),
            _ => {}
        }
    }

    fn end_tag(&mut self, name: &str) {
        if matches!(name, "li" | "ul" | "ol") {
            // An empty item ends here all the same.
            self.after_item_marker = false;
        }
        match name {
            "p" | "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "blockquote" | "table" => {
                self.block(self.paragraph_breaks());
            }
            "pre" => {
                self.block(self.paragraph_breaks());
                self.preformatted = self.preformatted.saturating_sub(1);
            }
            "div" | "tr" | "li" | "dt" | "dd" => self.block(1),
            "ul" | "ol" => {
                self.lists.pop();
                self.block(self.list_breaks());
            }
            "a" => self.end_link(),
            _ => {}
        }
    }

    fn end_link(&mut self) {
        let Some(link) = self.links.pop() else {
            return;
        };
        let Some(href) = link
            .href
            .as_deref()
            .map(str::trim)
            .filter(|href| !href.is_empty())
        else {
            return;
        };
        let shown = self.text.get(link.text_start..).unwrap_or_default().trim();
        if shown == href || href.strip_prefix("mailto:") == Some(shown) {
            return;
        }
        if shown.is_empty() {
            self.flush();
            self.text.push_str(href);
        } else {
            self.text.push_str(" (");
            self.text.push_str(href);
            self.text.push(')');
        }
    }

    /// The text, tidied: no-break spaces as spaces, no trailing spaces, at most one blank line in a
    /// row, no blank lines at either end.
    fn finish(self) -> String {
        let text = self.text.replace('\u{a0}', " ");
        let mut tidy = String::with_capacity(text.len());
        let mut blank_lines = 0;
        for line in text.split('\n') {
            let line = line.trim_end();
            if line.is_empty() {
                blank_lines += 1;
                if blank_lines > 1 {
                    continue;
                }
            } else {
                blank_lines = 0;
            }
            tidy.push_str(line);
            tidy.push('\n');
        }
        tidy.trim_matches('\n').to_owned()
    }
}

//! Small helpers for the text rules that many fields share.

use crate::problem::{Invalid, ProblemCode};

/// Length in characters (Unicode scalar values), the unit every length rule of the contract uses.
pub(crate) fn char_count(text: &str) -> usize {
    text.chars().count()
}

/// Which control characters (Unicode category Cc: U+0000–U+001F, U+007F–U+009F) a stored text may
/// hold. None of them is printable; NUL cannot even be stored in a PostgreSQL text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lines {
    /// One line, no control character at all: names, subjects, tags… (a subject and a display name
    /// become mail headers, where a line break would start a header of the client's choosing).
    One,
    /// Several lines: line breaks (`\n`, `\r`) and tabs, and no other control character. Email bodies
    /// and signatures only.
    Many,
}

/// Fails when `text` holds a control character that `lines` does not allow. The message does not name
/// the field ("must not contain …"): see [`named`].
pub(crate) fn refuse_controls(text: &str, lines: Lines) -> Result<(), Invalid> {
    let allowed = |character: char| lines == Lines::Many && matches!(character, '\n' | '\r' | '\t');
    if text
        .chars()
        .any(|character| character.is_control() && !allowed(character))
    {
        return Err(Invalid::new(
            ProblemCode::InvalidFormat,
            match lines {
                Lines::One => "must not contain control characters",
                Lines::Many => {
                    "must not contain control characters other than line breaks and tabs"
                }
            },
        ));
    }
    Ok(())
}

/// A stored text of at most `max` characters, holding only the control characters `lines` allows.
pub(crate) fn stored_text(
    text: &str,
    field: &str,
    max: usize,
    lines: Lines,
) -> Result<(), Invalid> {
    at_most(text, field, max)?;
    refuse_controls(text, lines).map_err(|invalid| named(field, invalid))
}

/// A required text, trimmed, 1..=`max` characters, on one line (no control character).
pub(crate) fn required_trimmed(
    raw: Option<&str>,
    field: &str,
    max: usize,
) -> Result<String, Invalid> {
    let Some(raw) = raw else {
        return Err(Invalid::new(
            ProblemCode::Required,
            format!("{field} is required"),
        ));
    };
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err(Invalid::new(
            ProblemCode::Blank,
            format!("{field} must not be blank"),
        ));
    }
    stored_text(trimmed, field, max, Lines::One)?;
    Ok(trimmed.to_owned())
}

/// Fails when `text` is longer than `max` characters.
pub(crate) fn at_most(text: &str, field: &str, max: usize) -> Result<(), Invalid> {
    if char_count(text) > max {
        return Err(Invalid::new(
            ProblemCode::TooLong,
            format!("{field} must be at most {max} characters"),
        ));
    }
    Ok(())
}

/// Puts the field's name in front of a field-agnostic message ("must be …").
pub(crate) fn named(field: &str, invalid: Invalid) -> Invalid {
    Invalid::new(invalid.code, format!("{field} {}", invalid.message))
}

/// Declares a closed set of wire values with its slug table kept in one place.
macro_rules! wire_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident => $slug:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $($(#[$vdoc])* $variant),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The value's spelling on the wire and in storage.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $slug),+
                }
            }

            /// The value spelled `raw`, exactly.
            pub fn from_wire(raw: &str) -> Option<Self> {
                match raw {
                    $($slug => Some($name::$variant),)+
                    _ => None,
                }
            }

            /// "`a`, `b` or `c`", for messages.
            pub fn choices() -> String {
                let names: Vec<&str> = Self::ALL.iter().map(|value| value.as_str()).collect();
                $crate::text::list_choices(&names)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
pub(crate) use wire_enum;

pub(crate) fn list_choices(names: &[&str]) -> String {
    match names {
        [] => String::new(),
        [only] => (*only).to_owned(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

/// Parses a wire enum value, naming the accepted values when it is not one of them.
pub(crate) fn parse_choice<T>(
    raw: &str,
    field: &str,
    parse: impl Fn(&str) -> Option<T>,
    choices: impl Fn() -> String,
) -> Result<T, Invalid> {
    parse(raw).ok_or_else(|| {
        Invalid::new(
            ProblemCode::InvalidValue,
            format!("{field} must be one of {}", choices()),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn required_trimmed_reports_missing_blank_and_too_long() {
        assert_eq!(
            required_trimmed(None, "name", 3).map_err(|e| e.code),
            Err(ProblemCode::Required)
        );
        assert_eq!(
            required_trimmed(Some("  \t"), "name", 3).map_err(|e| e.code),
            Err(ProblemCode::Blank)
        );
        assert_eq!(
            required_trimmed(Some(" abcd "), "name", 3).map_err(|e| e.code),
            Err(ProblemCode::TooLong)
        );
        assert_eq!(
            required_trimmed(Some(" äbc "), "name", 3),
            Ok("äbc".to_owned())
        );
    }

    #[test]
    fn required_trimmed_refuses_control_characters_inside_the_text() {
        let refusal = required_trimmed(Some(" a\u{0}b "), "name", 10).expect_err("NUL");
        assert_eq!(refusal.code, ProblemCode::InvalidFormat);
        assert_eq!(refusal.message, "name must not contain control characters");
        // Surrounding white space, line breaks included, is trimmed away before the rule.
        assert_eq!(
            required_trimmed(Some("ab\r\n"), "name", 10),
            Ok("ab".to_owned())
        );
    }

    #[test]
    fn one_line_texts_refuse_every_control_character_and_only_those() {
        for control in ('\u{0}'..='\u{1f}').chain('\u{7f}'..='\u{9f}') {
            let text = format!("a{control}b");
            assert_eq!(
                refuse_controls(&text, Lines::One).map_err(|invalid| invalid.code),
                Err(ProblemCode::InvalidFormat),
                "{control:?}"
            );
        }
        for printable in [' ', '~', '\u{a0}', 'é', '\u{200b}', '\u{2028}', '😀'] {
            assert_eq!(
                refuse_controls(&format!("a{printable}b"), Lines::One),
                Ok(())
            );
        }
    }

    #[test]
    fn many_line_texts_allow_line_breaks_and_tabs_only() {
        assert_eq!(refuse_controls("a\r\nb\n\tc\rd", Lines::Many), Ok(()));
        for control in [
            '\u{0}', '\u{7}', '\u{b}', '\u{c}', '\u{1b}', '\u{7f}', '\u{85}', '\u{9f}',
        ] {
            let refusal =
                refuse_controls(&format!("a{control}b"), Lines::Many).expect_err("control");
            assert_eq!(
                refusal.message,
                "must not contain control characters other than line breaks and tabs"
            );
        }
    }

    #[test]
    fn stored_text_names_the_field_and_checks_length_first() {
        assert_eq!(
            stored_text("a\tb", "subject", 10, Lines::One).map_err(|invalid| invalid.message),
            Err("subject must not contain control characters".to_owned())
        );
        assert_eq!(
            stored_text("a\tbcd", "subject", 3, Lines::One).map_err(|invalid| invalid.code),
            Err(ProblemCode::TooLong)
        );
        assert_eq!(stored_text("a\tb", "signature", 10, Lines::Many), Ok(()));
    }

    #[test]
    fn choices_read_as_a_sentence() {
        assert_eq!(list_choices(&["a"]), "a");
        assert_eq!(list_choices(&["a", "b", "c"]), "a, b or c");
    }
}

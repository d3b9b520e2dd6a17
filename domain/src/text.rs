//! Small helpers for the text rules that many fields share.

use crate::problem::{Invalid, ProblemCode};

/// Length in characters (Unicode scalar values), the unit every length rule of the contract uses.
pub(crate) fn char_count(text: &str) -> usize {
    text.chars().count()
}

/// A required text, trimmed, 1..=`max` characters.
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
    at_most(trimmed, field, max)?;
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
    fn choices_read_as_a_sentence() {
        assert_eq!(list_choices(&["a"]), "a");
        assert_eq!(list_choices(&["a", "b", "c"]), "a, b or c");
    }
}

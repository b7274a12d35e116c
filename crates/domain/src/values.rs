//! Values parsed once at the edge: an `Email` is always a plausible, normalised address; a
//! `PersonName` or `OrgName` is always trimmed, non-empty and of a sane length.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Why a value was refused. The web layer turns each into a field message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("this field is required")]
    Empty,
    #[error("this is too long (at most {max} characters)")]
    TooLong { max: usize },
    #[error("this does not look like an email address")]
    InvalidEmail,
    #[error("this contains characters that are not allowed")]
    ControlCharacters,
    #[error("this is not a time zone we know")]
    UnknownTimeZone,
    #[error("this is not one of the choices")]
    UnknownChoice,
}

/// An email address, trimmed and lower-cased (we treat addresses case-insensitively).
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    pub const MAX_LEN: usize = 254;

    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        let s = raw.trim();
        if s.is_empty() {
            return Err(ParseError::Empty);
        }
        if s.chars().count() > Self::MAX_LEN {
            return Err(ParseError::TooLong { max: Self::MAX_LEN });
        }
        let (local, domain) = s.rsplit_once('@').ok_or(ParseError::InvalidEmail)?;
        let plausible = !local.is_empty()
            && local.len() <= 64
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && !s
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || c == '<' || c == '>');
        if !plausible {
            return Err(ParseError::InvalidEmail);
        }
        Ok(Self(s.to_lowercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Email {
    type Error = ParseError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<Email> for String {
    fn from(e: Email) -> String {
        e.0
    }
}

/// Emails are personal data: `Debug` never prints one (logs stay clean by construction).
impl fmt::Debug for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Email(<redacted>)")
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Whether `c` may appear in text a person typed: no control characters (NUL, escape …), and
/// line breaks and tabs only in a multi-line field (`multiline`). Bidirectional overrides and
/// other invisible format characters (U+202E …) are refused too: they make a name or caption
/// read differently from what it is.
pub fn allowed_char(c: char, multiline: bool) -> bool {
    if matches!(c, '\n' | '\r' | '\t') {
        return multiline;
    }
    !c.is_control() && !is_invisible_format(c)
}

/// Bidirectional controls (U+202A–U+202E, U+2066–U+2069, U+200E/F, U+061C) and the other
/// invisible format characters that can disguise text.
pub fn is_invisible_format(c: char) -> bool {
    matches!(c,
        '\u{200B}'..='\u{200F}'
        | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{2064}'
        | '\u{2066}'..='\u{206F}'
        | '\u{061C}'
        | '\u{FEFF}'
        | '\u{FFF9}'..='\u{FFFB}')
}

/// `Ok` when every character of `s` is [`allowed_char`]; else [`ParseError::ControlCharacters`].
pub fn check_chars(s: &str, multiline: bool) -> Result<(), ParseError> {
    if s.chars().all(|c| allowed_char(c, multiline)) {
        Ok(())
    } else {
        Err(ParseError::ControlCharacters)
    }
}

/// Free text from a form, trimmed: may be empty, at most `max` characters, no control
/// characters (line breaks only when `multiline`).
pub fn free_text(raw: &str, max: usize, multiline: bool) -> Result<String, ParseError> {
    let s = raw.trim();
    if s.chars().count() > max {
        return Err(ParseError::TooLong { max });
    }
    check_chars(s, multiline)?;
    Ok(s.to_owned())
}

fn parse_text(raw: &str, max: usize) -> Result<String, ParseError> {
    let s = raw.trim();
    if s.is_empty() {
        return Err(ParseError::Empty);
    }
    if s.chars().count() > max {
        return Err(ParseError::TooLong { max });
    }
    // Only control characters here: stored names are parsed again when read, and a name saved
    // before invisible format characters were refused must still load.
    if s.chars().any(char::is_control) {
        return Err(ParseError::ControlCharacters);
    }
    Ok(s.to_owned())
}

macro_rules! text_value {
    ($(#[$doc:meta])* $name:ident, $max:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            pub const MAX_LEN: usize = $max;

            pub fn parse(raw: &str) -> Result<Self, ParseError> {
                parse_text(raw, Self::MAX_LEN).map(Self)
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = ParseError;
            fn try_from(s: String) -> Result<Self, Self::Error> {
                Self::parse(&s)
            }
        }

        impl From<$name> for String {
            fn from(v: $name) -> String {
                v.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

text_value!(
    /// A person's display name.
    PersonName,
    100
);
text_value!(
    /// An organization's name.
    OrgName,
    120
);

/// A photo's caption: one line of at most [`Caption::MAX_LEN`] characters (about a tweet's
/// worth, so it fits under a tile, in a lightbox and, shortened, in a ZIP's file name),
/// trimmed, runs of spaces kept as typed. No line breaks, control characters, or bidirectional
/// and other invisible format characters ([`allowed_char`]): a caption reads as it is. An
/// empty caption is no caption: [`Caption::parse`] gives `None`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Caption(String);

impl Caption {
    pub const MAX_LEN: usize = 140;

    /// `Ok(None)` for an empty (or all-space) caption.
    pub fn parse(raw: &str) -> Result<Option<Self>, ParseError> {
        let s = free_text(raw, Self::MAX_LEN, false)?;
        Ok((!s.is_empty()).then_some(Self(s)))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Caption {
    type Error = ParseError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)?.ok_or(ParseError::Empty)
    }
}

impl From<Caption> for String {
    fn from(v: Caption) -> String {
        v.0
    }
}

impl fmt::Display for Caption {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(
            Email::parse("  Ana@Example.COM ").map(|e| e.0),
            Ok("ana@example.com".into())
        );
        for bad in [
            "",
            "ana",
            "ana@",
            "@example.com",
            "ana@example",
            "a b@example.com",
            "ana@.com",
            "ana@x..com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} should be refused");
        }
        assert_eq!(
            format!("{:?}", Email::parse("a@b.co").ok()),
            "Some(Email(<redacted>))"
        );
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(PersonName::parse("  Ana  ").map(|n| n.0), Ok("Ana".into()));
        assert_eq!(PersonName::parse("   "), Err(ParseError::Empty));
        assert_eq!(
            PersonName::parse(&"x".repeat(101)),
            Err(ParseError::TooLong { max: 100 })
        );
        assert_eq!(
            OrgName::parse("Acme\u{0}"),
            Err(ParseError::ControlCharacters)
        );
        assert_eq!(
            PersonName::parse("Ana\nLima"),
            Err(ParseError::ControlCharacters)
        );
    }

    #[test]
    fn free_text_allows_line_breaks_only_where_asked() {
        assert_eq!(free_text("  ", 10, false), Ok(String::new()));
        assert_eq!(
            free_text("two\nlines", 20, true),
            Ok("two\nlines".to_owned())
        );
        for bad in [
            "a\u{0}b",
            "a\u{1b}[31m",
            "a\u{7f}",
            "a\u{2066}b",
            "a\u{200F}",
        ] {
            assert_eq!(
                free_text(bad, 20, true),
                Err(ParseError::ControlCharacters),
                "{bad:?}"
            );
        }
        assert_eq!(
            free_text("two\nlines", 20, false),
            Err(ParseError::ControlCharacters)
        );
        assert_eq!(
            free_text("abcdef", 5, true),
            Err(ParseError::TooLong { max: 5 })
        );
        assert_eq!(
            free_text("Fête à Noël 🎉", 20, false),
            Ok("Fête à Noël 🎉".to_owned())
        );
    }

    #[test]
    fn captions_are_one_short_clean_line_or_none() {
        assert_eq!(
            Caption::parse("  Cutting the cake 🎂  ").map(|c| c.map(String::from)),
            Ok(Some("Cutting the cake 🎂".to_owned()))
        );
        assert_eq!(Caption::parse(""), Ok(None));
        assert_eq!(Caption::parse("   "), Ok(None));
        assert!(Caption::parse(&"é".repeat(140)).is_ok_and(|c| c.is_some()));
        assert_eq!(
            Caption::parse(&"é".repeat(141)),
            Err(ParseError::TooLong { max: 140 })
        );
        for bad in [
            "two\nlines",
            "tab\there",
            "a\u{0}b",
            "\u{202E}gpj.exe",
            "a\u{200B}b",
        ] {
            assert_eq!(
                Caption::parse(bad),
                Err(ParseError::ControlCharacters),
                "{bad:?}"
            );
        }
        assert!(Caption::try_from(String::new()).is_err());
    }
}

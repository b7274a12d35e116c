//! The message catalogue of the emails: every sentence comes from `locales/en.toml`, keyed by
//! a stable name, with `{name}` placeholders filled in by [`Catalog::fill`]. English is the
//! only language for now; the file is checked by a test, so a missing key never ships.

use std::collections::HashMap;
use std::sync::LazyLock;

/// One language's sentences.
#[derive(Debug)]
pub(crate) struct Catalog {
    lang: &'static str,
    messages: HashMap<String, String>,
}

static ENGLISH: LazyLock<Catalog> = LazyLock::new(|| {
    Catalog::parse("en", include_str!("../locales/en.toml")).unwrap_or_else(|e| {
        // The file is compiled in and parsed by a test; this only guards a broken build.
        tracing::error!(error = %e, "crates/mail/locales/en.toml does not parse");
        Catalog {
            lang: "en",
            messages: HashMap::new(),
        }
    })
});

impl Catalog {
    /// Parses a `key = "text"` TOML file; tables and dotted keys are flattened to
    /// `table.key` (as crates/web's catalogue does).
    pub(crate) fn parse(lang: &'static str, source: &str) -> Result<Self, toml::de::Error> {
        fn flatten(prefix: &str, table: &toml::Table, out: &mut HashMap<String, String>) {
            for (k, v) in table {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                match v {
                    toml::Value::Table(t) => flatten(&key, t, out),
                    toml::Value::String(s) => {
                        out.insert(key, s.clone());
                    }
                    other => {
                        out.insert(key, other.to_string());
                    }
                }
            }
        }
        let table: toml::Table = toml::from_str(source)?;
        let mut messages = HashMap::new();
        flatten("", &table, &mut messages);
        Ok(Self { lang, messages })
    }

    pub(crate) fn english() -> &'static Catalog {
        &ENGLISH
    }

    /// The language tag, for `<html lang>`.
    pub(crate) fn lang(&self) -> &'static str {
        self.lang
    }

    /// The sentence for `key`; the key itself if it is missing (a test keeps that from
    /// happening).
    pub(crate) fn get<'a>(&'a self, key: &'a str) -> &'a str {
        match self.messages.get(key) {
            Some(m) => m,
            None => {
                tracing::warn!(key, "missing mail message");
                key
            }
        }
    }

    pub(crate) fn contains(&self, key: &str) -> bool {
        self.messages.contains_key(key)
    }

    /// The sentence for `key` with its placeholders filled in.
    pub(crate) fn fill(&self, key: &str, args: &[(&str, &str)]) -> String {
        fill(self.get(key), args)
    }

    /// A count in words: `{key}.one` for 1, `{key}.other` otherwise (English's plural rule),
    /// with `{n}` replaced by the number.
    pub(crate) fn plural(&self, key: &str, n: i64) -> String {
        let form = if n == 1 { "one" } else { "other" };
        fill(self.get(&format!("{key}.{form}")), &[("n", &n.to_string())])
    }
}

/// Replaces each `{name}` of `template` that `args` names by its value, in one pass: a value
/// that itself contains `{name}` is copied as it is. Unknown placeholders stay as written.
pub(crate) fn fill(template: &str, args: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len() + 32);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let value = after.find('}').and_then(|close| {
            let name = &after[..close];
            args.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v, close))
        });
        match value {
            Some((v, close)) => {
                out.push_str(v);
                rest = &after[close + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_filled_once() {
        assert_eq!(
            fill("{a} and {b}", &[("a", "{b}"), ("b", "x")]),
            "{b} and x",
            "a value is never read as a placeholder"
        );
        assert_eq!(fill("{unknown} {", &[("a", "1")]), "{unknown} {");
        assert_eq!(fill("no braces", &[]), "no braces");
    }

    #[test]
    fn the_english_file_parses() {
        let parsed = Catalog::parse("en", include_str!("../locales/en.toml"));
        assert!(parsed.is_ok(), "{parsed:?}");
        assert!(Catalog::english().contains("invitation.subject"));
        assert!(Catalog::english().contains("password_reset.valid.one"));
    }
}

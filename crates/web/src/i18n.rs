//! The message catalogue: every sentence a person reads comes from here, keyed by a stable
//! name, so a language can be added by adding a file to `locales/` without touching templates
//! or handlers. English is the only language for now.

use std::collections::HashMap;
use std::sync::LazyLock;

/// One language's messages.
#[derive(Debug)]
pub struct Catalog {
    lang: &'static str,
    messages: HashMap<String, String>,
}

static ENGLISH: LazyLock<Catalog> = LazyLock::new(|| {
    Catalog::parse("en", include_str!("../locales/en.toml")).expect("locales/en.toml is valid")
});

impl Catalog {
    /// Parses a flat `key = "text"` TOML file (dotted keys and tables are flattened).
    pub fn parse(lang: &'static str, source: &str) -> Result<Self, toml::de::Error> {
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

    pub fn english() -> &'static Catalog {
        &ENGLISH
    }

    /// The language tag for `<html lang>`.
    pub fn lang(&self) -> &'static str {
        self.lang
    }

    /// The message for `key`; the key itself if it is missing (a test keeps that from
    /// happening in templates).
    pub fn get<'a>(&'a self, key: &'a str) -> &'a str {
        match self.messages.get(key) {
            Some(m) => m,
            None => {
                tracing::warn!(key, "missing message");
                key
            }
        }
    }

    /// A count in words: `{key}.one` for 1, `{key}.other` otherwise (English's plural
    /// rule), with `{n}` replaced by the number.
    pub fn plural(&self, key: &str, n: i64) -> String {
        let form = if n == 1 { "one" } else { "other" };
        self.get(&format!("{key}.{form}"))
            .replace("{n}", &n.to_string())
    }

    pub fn contains(&self, key: &str) -> bool {
        self.messages.contains_key(key)
    }

    /// Why a photo failed to process, in words, from the code stored with it. A code without a
    /// message (rows failed before codes were stored hold free text) reads as a general failure.
    pub fn photo_failure(&self, code: &str) -> String {
        let key = format!("photos.failure.{code}");
        let key = if self.contains(&key) {
            key.as_str()
        } else {
            "photos.failure.other"
        };
        self.get(key).to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every code the pipeline stores for a failed photo has its own message.
    #[test]
    fn every_photo_failure_code_has_a_message() {
        use media::pipeline::{Limits, MediaError};
        let errors = [
            MediaError::Unsupported,
            MediaError::HeicUnavailable(String::new()),
            MediaError::TooLarge {
                width: 1,
                height: 1,
                limits: Limits::default(),
            },
            MediaError::Corrupt(String::new()),
        ];
        for error in &errors {
            // A new variant fails to compile here until it is listed above.
            match error {
                MediaError::Unsupported
                | MediaError::HeicUnavailable(_)
                | MediaError::TooLarge { .. }
                | MediaError::Corrupt(_) => {}
            }
            let key = format!("photos.failure.{}", error.code());
            assert!(Catalog::english().contains(&key), "{key} is missing");
        }
        let t = Catalog::english();
        assert!(t.photo_failure("media_corrupt").contains("damaged"));
        assert_eq!(
            t.photo_failure("the photo could not be read: old free text"),
            t.get("photos.failure.other")
        );
    }

    /// One and many read differently, with the number in place.
    #[test]
    fn plural_picks_one_or_other() {
        let t = Catalog::english();
        assert_eq!(t.plural("photos.count", 1), "1 photo");
        assert_eq!(t.plural("photos.count", 2), "2 photos");
        assert_eq!(t.plural("photos.count", 0), "0 photos");
        assert_eq!(t.plural("photos.bulk_deleted", 1), "1 photo is deleted.");
    }

    /// Every `t.get("…")` in a template or `.get("…")` in the code names a message that exists.
    #[test]
    fn every_key_used_exists_in_english() {
        let t = Catalog::english();
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/");
        let mut files = Vec::new();
        for dir in ["templates", "src", "src/pages"] {
            for entry in std::fs::read_dir(format!("{root}{dir}")).expect("read the source folder")
            {
                let path = entry.expect("a folder entry").path();
                if path.is_file() {
                    files.push(path);
                }
            }
        }
        let mut checked = 0;
        for path in files {
            let text = std::fs::read_to_string(&path).expect("read a source file");
            for (i, _) in text.match_indices("get(\"") {
                let rest = &text[i + 5..];
                let key = &rest[..rest.find('"').expect("a closing quote")];
                if key.contains('.') && !key.contains(' ') {
                    assert!(
                        t.contains(key),
                        "{} uses missing message {key:?}",
                        path.display()
                    );
                    checked += 1;
                }
            }
        }
        assert!(checked > 10, "the scan found the keys ({checked})");
    }
}

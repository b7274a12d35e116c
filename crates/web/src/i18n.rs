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

/// Every language we have, the fallback first.
fn catalogs() -> [&'static Catalog; 1] {
    [&ENGLISH]
}

tokio::task_local! {
    /// The language of the request being handled (set by [`choose_locale`]).
    static CURRENT: &'static Catalog;
}

/// The catalogue for an `Accept-Language` header: the first language it names that we have
/// (by primary tag: `en-GB` → `en`), else the fallback.
pub fn negotiate(accept_language: Option<&str>) -> &'static Catalog {
    let available = catalogs();
    let wanted = accept_language
        .unwrap_or_default()
        .split(',')
        .filter_map(|part| {
            let mut it = part.split(';');
            let tag = it.next()?.trim();
            let q = it
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.parse::<f32>().ok())
                .unwrap_or(1.0);
            (q > 0.0).then(|| (tag.split('-').next().unwrap_or(tag).to_ascii_lowercase(), q))
        });
    let mut wanted: Vec<(String, f32)> = wanted.collect();
    wanted.sort_by(|a, b| b.1.total_cmp(&a.1));
    wanted
        .iter()
        .find_map(|(tag, _)| available.iter().find(|c| c.lang == tag).copied())
        .unwrap_or(available[0])
}

/// Middleware: chooses the request's language once, from `Accept-Language`, for everything
/// that renders inside it (pages, JSON messages, error pages): [`Catalog::current`].
pub async fn choose_locale(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let t = negotiate(
        req.headers()
            .get(axum::http::header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok()),
    );
    CURRENT.scope(t, next.run(req)).await
}

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

    /// The catalogue of the request being handled (its `Accept-Language`); outside a request
    /// (jobs, tests of a single function) the fallback language.
    pub fn current() -> &'static Catalog {
        CURRENT.try_with(|t| *t).unwrap_or(&ENGLISH)
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

    /// A date or time as this language writes it: `style` names a format of the catalogue's
    /// `[date]` table (`day_time`, `full`, `time`, `weekday_time`, `day_time_utc`, `utc`).
    pub fn date<Tz>(&self, style: &str, at: &chrono::DateTime<Tz>) -> String
    where
        Tz: chrono::TimeZone,
        Tz::Offset: std::fmt::Display,
    {
        let key = format!("date.{style}");
        at.format(self.get(&key)).to_string()
    }

    /// The same for a time without a zone (what a camera wrote).
    pub fn naive_date(&self, style: &str, at: &chrono::NaiveDateTime) -> String {
        let key = format!("date.{style}");
        at.format(self.get(&key)).to_string()
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

    #[test]
    fn the_language_follows_accept_language_with_english_as_fallback() {
        assert_eq!(negotiate(None).lang(), "en");
        assert_eq!(negotiate(Some("en-GB,en;q=0.9")).lang(), "en");
        assert_eq!(negotiate(Some("de-CH, de;q=0.9, fr;q=0.5")).lang(), "en");
        assert_eq!(negotiate(Some("xx;q=abc, \u{0}")).lang(), "en");
        assert_eq!(Catalog::current().lang(), "en");
    }

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

//! Typed configuration, loaded once: defaults < an optional TOML file (`--config`) <
//! `MOMENTIQUE_*` environment variables. Every key is the lower-case name of its variable
//! without the prefix (`MOMENTIQUE_DATABASE_URL` ↔ `database_url`).

use std::net::SocketAddr;
use std::path::Path;

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

/// How log lines look.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Pretty with colours on a terminal, plain text otherwise.
    Auto,
    Pretty,
    /// One JSON object per line (production).
    Json,
}

/// The effective configuration.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Address and port to listen on.
    pub bind: String,
    /// The public base URL (e.g. `https://photos.example.com`) for links and QR codes.
    pub public_url: Option<String>,
    /// Behind a reverse proxy: the header holding the client's address (`x-forwarded-for`, its
    /// last entry is used). Unset: the connection's address. Rate limits key on it.
    pub client_ip_header: Option<String>,
    /// `sqlite://PATH` (embedded default) or `postgres://USER:PASSWORD@HOST/DB`.
    pub database_url: String,
    /// PostgreSQL: the schema owner's URL, used for migrations only; the app then connects
    /// with `database_url` as a role without BYPASSRLS.
    pub database_admin_url: Option<String>,
    pub database_max_connections: u32,
    /// The server's secret key, 64 hex characters (`openssl rand -hex 32`); every instance of
    /// a deployment needs the same one. Unset: read from `secret_key_file`, created there on
    /// first start.
    pub secret_key: Option<String>,
    /// Where the secret key is kept when `secret_key` is unset.
    pub secret_key_file: String,
    /// Where photos go: a folder path or `file://` URL.
    pub media_url: String,
    /// `redis://…`: sessions, rate limits and pub/sub across instances. Unset: in-process.
    pub redis_url: Option<String>,
    /// Prefix for every Redis key (several deployments can share a server).
    pub redis_prefix: String,
    pub log_format: LogFormat,
    /// A tracing filter: `info`, `debug`, `info,sqlx=warn` …
    pub log: String,
    /// Background jobs run at the same time per process (0: one per CPU core).
    pub job_concurrency: usize,
    /// Seconds in-flight requests and jobs get to finish at shutdown.
    pub shutdown_timeout_secs: u64,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            bind: "127.0.0.1:8080".into(),
            public_url: None,
            client_ip_header: None,
            database_url: "sqlite://./data/momentique.db".into(),
            database_admin_url: None,
            database_max_connections: 16,
            secret_key: None,
            secret_key_file: "./data/secret.key".into(),
            media_url: "./data/media".into(),
            redis_url: None,
            redis_prefix: "momentique:".into(),
            log_format: LogFormat::Auto,
            log: "info".into(),
            job_concurrency: 0,
            shutdown_timeout_secs: 20,
        }
    }
}

/// A configuration problem, phrased for the person who has to fix it.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(pub String);

/// The environment variable behind `key`.
pub fn env_name(key: &str) -> String {
    format!("MOMENTIQUE_{}", key.to_ascii_uppercase())
}

fn keys() -> Vec<String> {
    match serde_json::to_value(Config::default()) {
        Ok(serde_json::Value::Object(map)) => map.keys().cloned().collect(),
        _ => Vec::new(),
    }
}

impl Config {
    /// Loads the configuration and checks every value.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        let mut fig = Figment::from(Serialized::defaults(Config::default()));
        if let Some(path) = file {
            if !path.is_file() {
                return Err(ConfigError(format!(
                    "--config: no such file {}",
                    path.display()
                )));
            }
            fig = fig.merge(Toml::file_exact(path));
        }
        let known = keys();
        let known: Vec<&str> = known.iter().map(String::as_str).collect();
        fig = fig.merge(Env::prefixed("MOMENTIQUE_").only(&known));
        let config: Config = fig
            .extract()
            .map_err(|e| ConfigError(describe_figment_error(e)))?;
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let bad = |key: &str, why: String| ConfigError(format!("{} ({key}): {why}", env_name(key)));
        self.bind_addr()?;
        store::Backend::from_url(&self.database_url)
            .map_err(|e| bad("database_url", e.to_string()))?;
        if let Some(admin) = &self.database_admin_url {
            if store::Backend::from_url(admin).ok() != Some(store::Backend::Postgres) {
                return Err(bad(
                    "database_admin_url",
                    "must be a postgres:// URL".into(),
                ));
            }
            if store::Backend::from_url(&self.database_url).ok() != Some(store::Backend::Postgres) {
                return Err(bad(
                    "database_admin_url",
                    "is only used with a postgres:// database_url".into(),
                ));
            }
        }
        if self.database_max_connections == 0 {
            return Err(bad("database_max_connections", "must be at least 1".into()));
        }
        if let Some((scheme, _)) = self.media_url.split_once("://")
            && scheme != "file"
        {
            return Err(bad(
                "media_url",
                format!("unsupported scheme {scheme:?} (use a folder path or file://)"),
            ));
        }
        if let Some(url) = &self.public_url
            && !(url.starts_with("https://") || url.starts_with("http://"))
        {
            return Err(bad(
                "public_url",
                format!("{url:?} must start with https:// or http://"),
            ));
        }
        if let Some(k) = &self.secret_key
            && let Err(e) = service::secrets::SecretKey::from_hex(k)
        {
            return Err(bad("secret_key", e.to_string()));
        }
        if let Some(h) = &self.client_ip_header
            && axum::http::HeaderName::from_bytes(h.as_bytes()).is_err()
        {
            return Err(bad(
                "client_ip_header",
                format!("{h:?} is not a header name"),
            ));
        }
        if let Some(url) = &self.redis_url
            && !(url.starts_with("redis://")
                || url.starts_with("rediss://")
                || url.starts_with("redis+unix://"))
        {
            return Err(bad(
                "redis_url",
                "must start with redis:// or rediss://".into(),
            ));
        }
        tracing_subscriber::EnvFilter::try_new(&self.log).map_err(|e| bad("log", e.to_string()))?;
        Ok(())
    }

    pub fn bind_addr(&self) -> Result<SocketAddr, ConfigError> {
        self.bind.parse().map_err(|_| {
            ConfigError(format!(
                "{} (bind): {:?} is not an address and port like 127.0.0.1:8080",
                env_name("bind"),
                self.bind
            ))
        })
    }

    pub fn job_concurrency(&self) -> usize {
        if self.job_concurrency == 0 {
            std::thread::available_parallelism().map_or(2, |n| n.get())
        } else {
            self.job_concurrency
        }
    }

    /// The configuration as TOML with every password and secret hidden.
    pub fn to_redacted_toml(&self) -> String {
        let mut shown = self.clone();
        shown.database_url = redact_url(&shown.database_url);
        shown.database_admin_url = shown.database_admin_url.as_deref().map(redact_url);
        shown.redis_url = shown.redis_url.as_deref().map(redact_url);
        shown.secret_key = shown.secret_key.as_ref().map(|_| "***".to_owned());
        toml::to_string(&shown)
            .unwrap_or_else(|e| format!("# could not print the configuration: {e}\n"))
    }
}

/// `Debug` never shows secrets.
impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_redacted_toml())
    }
}

fn describe_figment_error(e: figment::Error) -> String {
    let key = e.path.last().cloned();
    let mut msg = e.kind.to_string();
    for (rust, person) in [
        ("expected u32", "expected a whole number"),
        ("expected u64", "expected a whole number"),
        ("expected usize", "expected a whole number"),
    ] {
        msg = msg.replace(rust, person);
    }
    if let Some(key) = key {
        let source = match &e.metadata {
            Some(m) if m.name.contains("environment") => env_name(&key),
            Some(m) => format!("{key} in {}", m.name),
            None => key,
        };
        msg = format!("{source}: {msg}");
    }
    msg
}

/// Hides the password in `scheme://user:password@host/…` and `?password=…`.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (authority, tail) = rest
        .find(['/', '?'])
        .map_or((rest, ""), |i| rest.split_at(i));
    let authority = match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _)) => format!("{user}:***@{host}"),
            None => format!("{userinfo}@{host}"),
        },
        None => authority.to_owned(),
    };
    let tail = tail
        .split('&')
        .map(|part| {
            let (k, _) = part.split_once('=').unwrap_or((part, ""));
            let bare = k.trim_start_matches('?');
            if ["password", "pass", "secret", "token"].contains(&bare.to_ascii_lowercase().as_str())
            {
                format!("{k}=***")
            } else {
                part.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("&");
    format!("{scheme}://{authority}{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact_url("postgres://app:s3cret@db:5432/m"),
            "postgres://app:***@db:5432/m"
        );
        assert_eq!(
            redact_url("redis://:pw@cache:6379/0"),
            "redis://:***@cache:6379/0"
        );
        assert_eq!(
            redact_url("postgres://db/m?user=a&password=x"),
            "postgres://db/m?user=a&password=***"
        );
        assert_eq!(redact_url("sqlite://./data/m.db"), "sqlite://./data/m.db");
        assert_eq!(redact_url("postgres://u@h/db"), "postgres://u@h/db");
    }

    #[test]
    fn debug_output_is_redacted() {
        let c = Config {
            database_url: "postgres://a:topsecret@h/d".into(),
            ..Config::default()
        };
        assert!(!format!("{c:?}").contains("topsecret"));
    }
}

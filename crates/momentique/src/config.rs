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
    /// Where photos go: a folder path, a `file://` URL, or `s3://BUCKET` with the `s3_*` keys.
    pub media_url: String,
    /// S3-compatible storage (S3, R2, MinIO, Garage): the endpoint URL; unset means AWS S3.
    pub s3_endpoint: Option<String>,
    /// The bucket's region (`auto` for R2; what the server is configured with for MinIO/Garage).
    pub s3_region: String,
    pub s3_access_key_id: Option<String>,
    pub s3_secret_access_key: Option<String>,
    /// Address buckets as `endpoint/bucket` (MinIO, Garage) rather than `bucket.endpoint`.
    pub s3_path_style: bool,
    /// Where uploads stream to before they are stored (on disk, not in memory).
    pub upload_tmp_dir: String,
    /// The largest upload at all, in MB (events set their own limit below it).
    pub upload_max_mb: u64,
    /// Photos with more pixels than this (millions) are refused before decoding.
    pub max_megapixels: u64,
    /// … and so are photos with a side longer than this.
    pub max_side_px: u32,
    /// How many guests' reports take a photo out of the gallery until a member decides.
    pub report_hide_threshold: u32,
    /// `redis://…`: sessions, rate limits and pub/sub across instances. Unset: in-process.
    pub redis_url: Option<String>,
    /// Prefix for every Redis key (several deployments can share a server).
    pub redis_prefix: String,
    /// Where email goes: `smtp://HOST:PORT` (a local relay), `smtp://USER:PASSWORD@HOST:587?tls=required`
    /// (STARTTLS) or `smtps://USER:PASSWORD@HOST:465` (TLS). Unset: into `mail_outbox_dir`.
    pub smtp_url: Option<String>,
    /// The sender of every email, `Name <address>`.
    pub mail_from: String,
    /// Without `smtp_url`, each email is written here as an `.eml` file (open it with any mail
    /// program); nothing is sent.
    pub mail_outbox_dir: String,
    pub log_format: LogFormat,
    /// A tracing filter: `info`, `debug`, `info,sqlx=warn` …
    pub log: String,
    /// Background jobs run at the same time per process (0: one per CPU core).
    pub job_concurrency: usize,
    /// Seconds in-flight requests and jobs get to finish at shutdown.
    pub shutdown_timeout_secs: u64,
    /// The plan organizations are on unless the operator put them on another
    /// (`momentique orgs plan`): one of `plans`, or `unlimited`.
    pub default_plan: String,
    /// Plans and their limits, as TOML tables in the --config file: `[plans.free]` with
    /// `photos`, `storage_mb`, `guests`, `members`, `events` (each optional: no limit).
    pub plans: std::collections::BTreeMap<String, PlanConfig>,
}

/// One plan's limits in the configuration; a missing key is no limit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanConfig {
    pub photos: Option<u64>,
    pub storage_mb: Option<u64>,
    pub guests: Option<u64>,
    pub members: Option<u64>,
    pub events: Option<u64>,
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
            s3_endpoint: None,
            s3_region: "us-east-1".into(),
            s3_access_key_id: None,
            s3_secret_access_key: None,
            s3_path_style: false,
            upload_tmp_dir: "./data/uploads".into(),
            upload_max_mb: 100,
            max_megapixels: 100,
            max_side_px: 20_000,
            report_hide_threshold: 3,
            redis_url: None,
            redis_prefix: "momentique:".into(),
            smtp_url: None,
            mail_from: mail::DEFAULT_FROM.into(),
            mail_outbox_dir: "./data/outbox".into(),
            log_format: LogFormat::Auto,
            log: "info".into(),
            job_concurrency: 0,
            shutdown_timeout_secs: 20,
            default_plan: service::usage::UNLIMITED.into(),
            plans: std::collections::BTreeMap::new(),
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
            && scheme != "s3"
        {
            return Err(bad(
                "media_url",
                format!(
                    "unsupported scheme {scheme:?} (use a folder path, file:// or s3://BUCKET)"
                ),
            ));
        }
        if self.media_url.starts_with("s3://")
            && (self.s3_access_key_id.is_none() || self.s3_secret_access_key.is_none())
        {
            return Err(bad(
                "s3_access_key_id",
                "media_url is s3://…: set MOMENTIQUE_S3_ACCESS_KEY_ID and MOMENTIQUE_S3_SECRET_ACCESS_KEY (and MOMENTIQUE_S3_ENDPOINT unless it is AWS)".into(),
            ));
        }
        if let Some(e) = &self.s3_endpoint
            && !(e.starts_with("https://") || e.starts_with("http://"))
        {
            return Err(bad(
                "s3_endpoint",
                format!("{e:?} must start with https:// or http://"),
            ));
        }
        if self.report_hide_threshold == 0 {
            return Err(bad("report_hide_threshold", "must be at least 1".into()));
        }
        if self.upload_max_mb == 0 {
            return Err(bad("upload_max_mb", "must be at least 1".into()));
        }
        if self.max_megapixels == 0 || self.max_side_px == 0 {
            return Err(bad(
                "max_megapixels",
                "pixel limits must be at least 1".into(),
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
        self.mailer()?;
        if !self.plans_config().knows(&self.default_plan) {
            return Err(bad(
                "default_plan",
                format!(
                    "{:?} is neither \"unlimited\" nor a [plans.NAME] table in the --config file",
                    self.default_plan
                ),
            ));
        }
        Ok(())
    }

    /// The plans, for the services.
    pub fn plans_config(&self) -> service::usage::Plans {
        service::usage::Plans {
            default: self.default_plan.clone(),
            plans: self
                .plans
                .iter()
                .map(|(name, p)| {
                    (
                        name.clone(),
                        domain::plan::PlanLimits {
                            photos: p.photos,
                            storage_bytes: p.storage_mb.map(|mb| mb.saturating_mul(1 << 20)),
                            guests: p.guests,
                            members: p.members,
                            events: p.events,
                        },
                    )
                })
                .collect(),
        }
    }

    /// The mail settings, for [`mail::Mailer::new`].
    pub fn mail(&self) -> mail::MailConfig {
        mail::MailConfig {
            smtp_url: self.smtp_url.clone().filter(|u| !u.trim().is_empty()),
            from: self.mail_from.clone(),
            outbox_dir: std::path::PathBuf::from(&self.mail_outbox_dir),
        }
    }

    /// The mailer these settings describe (it connects to nothing yet).
    pub fn mailer(&self) -> Result<mail::Mailer, ConfigError> {
        mail::Mailer::new(&self.mail()).map_err(|e| {
            let key = match e {
                mail::MailError::From { .. } => "mail_from",
                mail::MailError::SmtpUrl { .. } => "smtp_url",
            };
            ConfigError(format!("{} ({key}): {e}", env_name(key)))
        })
    }

    /// The S3 settings when `media_url` is `s3://BUCKET`.
    pub fn s3(&self) -> Option<media::S3Config> {
        let bucket = self.media_url.strip_prefix("s3://")?;
        Some(media::S3Config {
            endpoint: self.s3_endpoint.clone(),
            bucket: bucket.trim_end_matches('/').to_owned(),
            region: self.s3_region.clone(),
            access_key_id: self.s3_access_key_id.clone().unwrap_or_default(),
            secret_access_key: self.s3_secret_access_key.clone().unwrap_or_default(),
            path_style: self.s3_path_style,
            allow_http: self
                .s3_endpoint
                .as_deref()
                .is_some_and(|e| e.starts_with("http://")),
        })
    }

    /// The origin photos are fetched from when they are not served by this process (S3's
    /// presigned URLs), for the Content-Security-Policy.
    pub fn media_origin(&self) -> Option<String> {
        let s3 = self.s3()?;
        Some(match (&s3.endpoint, s3.path_style) {
            (Some(e), true) => e.trim_end_matches('/').to_owned(),
            (Some(e), false) => match e.split_once("://") {
                Some((scheme, host)) => {
                    format!("{scheme}://{}.{}", s3.bucket, host.trim_end_matches('/'))
                }
                None => e.clone(),
            },
            (None, _) => format!("https://{}.s3.{}.amazonaws.com", s3.bucket, s3.region),
        })
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
        shown.smtp_url = shown.smtp_url.as_deref().map(redact_url);
        shown.secret_key = shown.secret_key.as_ref().map(|_| "***".to_owned());
        shown.s3_secret_access_key = shown
            .s3_secret_access_key
            .as_ref()
            .map(|_| "***".to_owned());
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
        let c = Config {
            smtp_url: Some("smtps://mailer:hunter2@smtp.example.com:465".into()),
            ..Config::default()
        };
        let shown = c.to_redacted_toml();
        assert!(
            !shown.contains("hunter2") && shown.contains("smtps://mailer:***@smtp.example.com:465"),
            "{shown}"
        );
    }

    #[test]
    fn mail_settings_are_checked() {
        let c = Config {
            mail_from: "not an address".into(),
            ..Config::default()
        };
        let e = c.validate().unwrap_err().to_string();
        assert!(e.starts_with("MOMENTIQUE_MAIL_FROM (mail_from):"), "{e}");
        let c = Config {
            smtp_url: Some("http://u:hunter2@smtp.example.com".into()),
            ..Config::default()
        };
        let e = c.validate().unwrap_err().to_string();
        assert!(
            e.starts_with("MOMENTIQUE_SMTP_URL (smtp_url):") && !e.contains("hunter2"),
            "{e}"
        );
        let c = Config {
            smtp_url: Some("smtp://127.0.0.1:2525".into()),
            ..Config::default()
        };
        assert_eq!(c.mailer().unwrap().describe(), "SMTP 127.0.0.1:2525");
        assert_eq!(
            Config::default().mailer().unwrap().describe(),
            "outbox ./data/outbox"
        );
    }
}

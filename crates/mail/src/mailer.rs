//! The mailer: builds the MIME message and hands it to SMTP, or writes it to the outbox folder.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use lettre::message::{Mailbox, MultiPart};
use lettre::{Address, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use uuid::Uuid;

use crate::{DEFAULT_FROM, MailConfig, MailError, OutgoingEmail};

/// How long one SMTP exchange (connect, each command) may take before it counts as a
/// transient failure.
const SMTP_TIMEOUT: Duration = Duration::from_secs(30);

/// Sends email over SMTP, or into an outbox folder when no SMTP server is configured.
/// Cheap to clone (one `Arc`).
///
/// No connection pool: each message opens its own connection, so a `Mailer` can be built
/// outside an async runtime and owns no background task (the volume is a few messages per
/// person and event).
#[derive(Clone)]
pub struct Mailer {
    inner: Arc<Inner>,
}

struct Inner {
    from: Mailbox,
    transport: Transport,
}

enum Transport {
    Smtp {
        client: AsyncSmtpTransport<Tokio1Executor>,
        /// `host:port (TLS mode)`, for [`Mailer::describe`].
        endpoint: String,
    },
    Outbox {
        dir: PathBuf,
    },
}

/// Why a message was not sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// Worth another try later: the server is unreachable or busy, timed out, or answered
    /// with a 4xx code; the outbox folder could not be written.
    #[error("{0}")]
    Transient(String),
    /// Will never succeed as it is: the address is invalid, or the server refused the message
    /// with a 5xx code.
    #[error("{0}")]
    Permanent(String),
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer")
            .field("transport", &self.describe())
            .field("from", &self.inner.from.to_string())
            .finish()
    }
}

impl Default for Mailer {
    /// An outbox in the system's temp folder (`momentique-outbox`), from [`DEFAULT_FROM`]:
    /// what tests and tools get when they do not choose.
    fn default() -> Self {
        let from = parse_from(DEFAULT_FROM).unwrap_or_else(|_| {
            Mailbox::new(
                Some("Momentique".to_owned()),
                Address::new_dangerous("noreply", "localhost"),
            )
        });
        Self::with(
            from,
            Transport::Outbox {
                dir: std::env::temp_dir().join("momentique-outbox"),
            },
        )
    }
}

impl Mailer {
    /// The mailer `cfg` describes: SMTP when `smtp_url` is set (and not empty), else the
    /// outbox folder. Checks the sender and the URL; connects to nothing yet.
    pub fn new(cfg: &MailConfig) -> Result<Mailer, MailError> {
        let from = parse_from(&cfg.from)?;
        match cfg
            .smtp_url
            .as_deref()
            .map(str::trim)
            .filter(|u| !u.is_empty())
        {
            Some(url) => {
                let (client, endpoint) = smtp_transport(url)?;
                Ok(Self::with(from, Transport::Smtp { client, endpoint }))
            }
            None => Ok(Self::with(
                from,
                Transport::Outbox {
                    dir: cfg.outbox_dir.clone(),
                },
            )),
        }
    }

    /// A mailer that writes every message into `dir` as an `.eml` file.
    pub fn outbox(dir: impl Into<PathBuf>, from: &str) -> Result<Mailer, MailError> {
        Ok(Self::with(
            parse_from(from)?,
            Transport::Outbox { dir: dir.into() },
        ))
    }

    fn with(from: Mailbox, transport: Transport) -> Self {
        Self {
            inner: Arc::new(Inner { from, transport }),
        }
    }

    /// Where mail goes, for logs: `SMTP smtp.example.com:587 (STARTTLS)` or
    /// `outbox ./data/outbox`. Never a password.
    pub fn describe(&self) -> String {
        match &self.inner.transport {
            Transport::Smtp { endpoint, .. } => format!("SMTP {endpoint}"),
            Transport::Outbox { dir } => format!("outbox {}", dir.display()),
        }
    }

    /// Sends one message (multipart/alternative: the text, then the HTML).
    pub async fn send(&self, email: &OutgoingEmail) -> Result<(), SendError> {
        let id = Uuid::new_v4();
        let message = self.message(email, id)?;
        let domain = recipient_domain(&email.to);
        match &self.inner.transport {
            Transport::Smtp { client, .. } => {
                client.send(message).await.map_err(classify)?;
                tracing::info!(
                    mail.subject = %email.subject,
                    mail.to_domain = %domain,
                    "mail sent over SMTP"
                );
            }
            Transport::Outbox { dir } => {
                let path = write_outbox(dir, &message, id).await?;
                tracing::info!(
                    mail.subject = %email.subject,
                    mail.to_domain = %domain,
                    path = %path.display(),
                    "mail written to the outbox (no SMTP server configured)"
                );
            }
        }
        Ok(())
    }

    fn message(&self, email: &OutgoingEmail, id: Uuid) -> Result<Message, SendError> {
        let to: Address = email.to.trim().parse().map_err(|e| {
            SendError::Permanent(format!("the recipient's address is not valid: {e}"))
        })?;
        let name = email
            .to_name
            .as_deref()
            .map(one_line)
            .filter(|n| !n.is_empty());
        let message_id = format!("<{}@{}>", id.simple(), self.inner.from.email.domain());
        Message::builder()
            .from(self.inner.from.clone())
            .to(Mailbox::new(name, to))
            .subject(one_line(&email.subject))
            .message_id(Some(message_id))
            .multipart(MultiPart::alternative_plain_html(
                email.text.clone(),
                email.html.clone(),
            ))
            .map_err(|e| SendError::Permanent(format!("the message cannot be built: {e}")))
    }
}

/// Control characters (line breaks above all) have no place in a header.
fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_owned()
}

/// The part of an address after the `@`, the most a log line may say about a recipient.
fn recipient_domain(to: &str) -> &str {
    to.trim()
        .rsplit_once('@')
        .map_or("?", |(_, d)| d.trim_end_matches('>'))
}

fn parse_from(from: &str) -> Result<Mailbox, MailError> {
    from.trim().parse::<Mailbox>().map_err(|e| MailError::From {
        from: from.to_owned(),
        reason: e.to_string(),
    })
}

/// An SMTP transport for `url` (the forms of [`MailConfig::smtp_url`]) and its description.
fn smtp_transport(url: &str) -> Result<(AsyncSmtpTransport<Tokio1Executor>, String), MailError> {
    let bad = |reason: String| MailError::SmtpUrl {
        url: redact(url),
        reason,
    };
    let parsed = url::Url::parse(url).map_err(|e| bad(e.to_string()))?;
    let tls = parsed
        .query_pairs()
        .find(|(k, _)| k == "tls")
        .map(|(_, v)| v.into_owned());
    let host = parsed
        .host_str()
        .filter(|h| !h.is_empty())
        .ok_or_else(|| bad("it names no host (smtp://HOST:PORT)".to_owned()))?;
    let (default_port, mode) = match (parsed.scheme(), tls.as_deref()) {
        ("smtp", None) => (25, ""),
        ("smtp", Some("required")) => (587, " (STARTTLS)"),
        ("smtp", Some("opportunistic")) => (587, " (STARTTLS when offered)"),
        ("smtps", None) => (465, " (TLS)"),
        ("smtp" | "smtps", Some(other)) => {
            return Err(bad(format!(
                "tls={other:?} is not known (use ?tls=required, or smtps:// for TLS from the start)"
            )));
        }
        (scheme, _) => {
            return Err(bad(format!(
                "the scheme {scheme:?} is not smtp:// or smtps://"
            )));
        }
    };
    if !parsed.username().is_empty() && parsed.password().is_none() {
        return Err(bad(
            "it has a user but no password (smtp://USER:PASSWORD@HOST)".to_owned(),
        ));
    }
    let endpoint = format!("{host}:{}{mode}", parsed.port().unwrap_or(default_port));
    let client = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
        .map_err(|e| bad(e.to_string()))?
        .timeout(Some(SMTP_TIMEOUT))
        .build();
    Ok((client, endpoint))
}

/// `url` with its password hidden.
fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        Ok(u) => u.to_string(),
        Err(_) => "(not a URL)".to_owned(),
    }
}

/// 4xx replies and anything before a reply (connection, TLS, timeout) are worth another try;
/// 5xx replies are final.
fn classify(e: lettre::transport::smtp::Error) -> SendError {
    if e.is_permanent() {
        SendError::Permanent(format!("the SMTP server refused the message: {e}"))
    } else if e.is_transient() {
        SendError::Transient(format!("the SMTP server deferred the message: {e}"))
    } else if e.is_timeout() {
        SendError::Transient(format!("the SMTP server did not answer in time: {e}"))
    } else {
        SendError::Transient(format!("cannot deliver to the SMTP server: {e}"))
    }
}

/// Writes `message` to `dir/<UTC time>-<id>.eml`: first under a hidden temporary name, then
/// renamed, so a reader of the folder never sees half a message.
async fn write_outbox(dir: &Path, message: &Message, id: Uuid) -> Result<PathBuf, SendError> {
    let failed = |what: &str, path: &Path, e: std::io::Error| {
        SendError::Transient(format!("cannot {what} {}: {e}", path.display()))
    };
    tokio::fs::create_dir_all(dir)
        .await
        .map_err(|e| failed("create the outbox folder", dir, e))?;
    let name = format!(
        "{}-{}.eml",
        chrono::Utc::now().format("%Y%m%dT%H%M%S%.3fZ"),
        id
    );
    let tmp = dir.join(format!(".{name}.tmp"));
    let path = dir.join(name);
    tokio::fs::write(&tmp, message.formatted())
        .await
        .map_err(|e| failed("write", &tmp, e))?;
    if let Err(e) = tokio::fs::rename(&tmp, &path).await {
        let _ = tokio::fs::remove_file(&tmp).await;
        return Err(failed("rename into", &path, e));
    }
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(url: &str) -> MailConfig {
        MailConfig {
            smtp_url: Some(url.to_owned()),
            ..MailConfig::default()
        }
    }

    #[test]
    fn smtp_urls_are_described_without_passwords() {
        let m = Mailer::new(&cfg("smtp://127.0.0.1:2525")).unwrap();
        assert_eq!(m.describe(), "SMTP 127.0.0.1:2525");
        let m = Mailer::new(&cfg("smtp://u:s3cret@mail.example.com?tls=required")).unwrap();
        assert_eq!(m.describe(), "SMTP mail.example.com:587 (STARTTLS)");
        let m = Mailer::new(&cfg("smtps://u:s3cret@mail.example.com")).unwrap();
        assert_eq!(m.describe(), "SMTP mail.example.com:465 (TLS)");
        assert!(!format!("{m:?}").contains("s3cret"));
    }

    #[test]
    fn bad_settings_say_what_is_wrong() {
        let e = Mailer::new(&cfg("http://u:s3cret@mail.example.com"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("is not smtp:// or smtps://"), "{e}");
        assert!(!e.contains("s3cret"), "{e}");
        let e = Mailer::new(&cfg("smtp://mail.example.com?tls=maybe"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("tls=\"maybe\""), "{e}");
        let e = Mailer::new(&cfg("not a url")).unwrap_err().to_string();
        assert!(e.contains("not usable"), "{e}");
        let e = Mailer::new(&cfg("smtp://user@mail.example.com"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("no password"), "{e}");
        let e = Mailer::new(&MailConfig {
            from: "not an address".into(),
            ..MailConfig::default()
        })
        .unwrap_err()
        .to_string();
        assert!(e.contains("not an address like"), "{e}");
    }

    #[test]
    fn no_url_means_the_outbox() {
        let m = Mailer::new(&MailConfig {
            smtp_url: Some("  ".into()),
            ..MailConfig::default()
        })
        .unwrap();
        assert_eq!(m.describe(), "outbox ./data/outbox");
        assert!(Mailer::default().describe().ends_with("momentique-outbox"));
        assert_eq!(
            parse_from(DEFAULT_FROM).unwrap().to_string(),
            DEFAULT_FROM,
            "the default sender parses"
        );
    }

    #[test]
    fn logs_see_only_the_domain() {
        assert_eq!(recipient_domain("ada@example.com"), "example.com");
        assert_eq!(recipient_domain("nobody"), "?");
    }
}

//! Email: what Momentique's emails say ([`templates`]) and how they leave ([`Mailer`]).
//!
//! - [`templates`] renders each email as a [`Rendered`]: subject, plain text and HTML, from
//!   one message catalogue (`locales/en.toml`) and two askama layouts, branded with the
//!   organization's name, colour and logo ([`Branding`]).
//! - [`Mailer`] sends an [`OutgoingEmail`] as a multipart/alternative message, over SMTP when
//!   `MOMENTIQUE_SMTP_URL` is set, else into an outbox folder of `.eml` files (development:
//!   open them with any mail program). Failures say whether another try may succeed
//!   ([`SendError`]), which the `mail.send` job turns into a retry or a dead job.
//!
//! Privacy: no log line names a recipient's address (only its domain).

mod catalog;
mod mailer;
pub mod templates;

pub use mailer::{Mailer, SendError};

use std::path::PathBuf;

/// The sender used when none is configured.
pub const DEFAULT_FROM: &str = "Momentique <noreply@localhost>";

/// How email leaves this process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailConfig {
    /// `smtp://host:port` (plain, for a local relay), `smtp://user:pass@host:587?tls=required`
    /// (STARTTLS) or `smtps://user:pass@host:465` (TLS). `None` (or empty): the outbox.
    pub smtp_url: Option<String>,
    /// The `From` of every message, e.g. `Momentique <noreply@example.com>`.
    pub from: String,
    /// Where messages go as `.eml` files when there is no SMTP server.
    pub outbox_dir: PathBuf,
}

impl Default for MailConfig {
    fn default() -> Self {
        Self {
            smtp_url: None,
            from: DEFAULT_FROM.to_owned(),
            outbox_dir: PathBuf::from("./data/outbox"),
        }
    }
}

/// A configuration the mailer cannot use, phrased for the person who has to fix it.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// The sender address does not parse.
    #[error(
        "the sender {from:?} is not an address like \"Momentique <noreply@example.com>\": {reason}"
    )]
    From { from: String, reason: String },
    /// The SMTP URL is not one we can use (the URL is shown with its password hidden).
    #[error("the SMTP URL {url} is not usable: {reason}")]
    SmtpUrl { url: String, reason: String },
}

/// One message to send: to one person, with a plain-text and an HTML version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingEmail {
    /// The recipient's address.
    pub to: String,
    /// The recipient's name, shown by mail clients (`Ada <ada@example.com>`).
    pub to_name: Option<String>,
    pub subject: String,
    pub text: String,
    pub html: String,
}

impl OutgoingEmail {
    /// A message with the parts of `rendered`.
    pub fn new(to: &str, to_name: Option<&str>, rendered: Rendered) -> Self {
        Self {
            to: to.to_owned(),
            to_name: to_name.map(str::to_owned),
            subject: rendered.subject,
            text: rendered.text,
            html: rendered.html,
        }
    }
}

/// How an organization's emails look: its name in the header and footer, its colour on the
/// button, its logo above the name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Branding {
    pub org_name: String,
    /// `#rrggbb`; anything else falls back to [`templates::DEFAULT_ACCENT`].
    pub accent: Option<String>,
    /// An absolute `http(s)` URL of the logo (anything else is left out).
    pub logo_url: Option<String>,
}

/// A rendered email: what [`OutgoingEmail`] and the `mail.send` job carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

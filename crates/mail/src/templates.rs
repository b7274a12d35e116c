//! The emails Momentique sends, each as a subject, a plain-text part and an HTML part.
//!
//! Every email has the same shape (see [`Content`]): a heading, paragraphs, an optional table
//! (the winners of a draw), an optional button, small print, and a footer saying why the
//! person got it. The shape is rendered twice by askama: `templates/layout.html` (a table
//! layout with inline CSS, as mail clients need) and `templates/layout.txt`. The sentences
//! come from `locales/en.toml`; the functions here only choose them and fill them in.
//!
//! Safety: everything a person typed (an organization's or inviter's name, an event's name) is
//! HTML-escaped by askama; the accent colour is used only when it is `#` and six hex digits
//! ([`DEFAULT_ACCENT`] otherwise); links and the logo are used only when they are absolute
//! `http(s)` URLs.

use std::fmt::Write as _;

use askama::Template;
use chrono::{DateTime, Utc};

use crate::catalog::Catalog;
use crate::{Branding, Rendered};

/// The accent colour when an organization has none (or an invalid one).
pub const DEFAULT_ACCENT: &str = "#6d28d9";

/// An invitation to join an organization (`role` is `owner`, `admin` or `member`; another
/// word is shown as it is).
pub fn invitation(
    b: &Branding,
    inviter: &str,
    role: &str,
    accept_url: &str,
    expires_at: DateTime<Utc>,
) -> Rendered {
    let t = Catalog::english();
    let org = org_name(b);
    let app = t.get("app.name");
    let role_key = format!("role.{role}");
    let role = if t.contains(&role_key) {
        t.get(&role_key)
    } else {
        role
    };
    let date = format_date(t, &expires_at);
    let args = [
        ("inviter", inviter),
        ("org", org),
        ("app", app),
        ("role", role),
        ("date", date.as_str()),
    ];
    render(
        b,
        Content {
            subject: t.fill("invitation.subject", &args),
            heading: t.fill("invitation.heading", &args),
            paragraphs: vec![t.fill("invitation.body", &args)],
            rows: Vec::new(),
            button: button(t.fill("invitation.button", &args), accept_url),
            notes: vec![
                t.fill("invitation.expires", &args),
                t.fill("invitation.ignore", &args),
            ],
            reason: t.fill("invitation.reason", &args),
            manage: None,
        },
    )
}

/// Welcome, after signing up.
pub fn welcome(b: &Branding, name: &str, dashboard_url: &str) -> Rendered {
    let t = Catalog::english();
    let args = [("name", name), ("org", org_name(b))];
    render(
        b,
        Content {
            subject: t.fill("welcome.subject", &args),
            heading: t.fill("welcome.heading", &args),
            paragraphs: vec![t.fill("welcome.body", &args)],
            rows: Vec::new(),
            button: button(t.fill("welcome.button", &args), dashboard_url),
            notes: Vec::new(),
            reason: t.fill("welcome.reason", &args),
            manage: None,
        },
    )
}

/// A link that confirms an email address.
pub fn verify_email(b: &Branding, name: &str, verify_url: &str) -> Rendered {
    let t = Catalog::english();
    let args = [("name", name), ("org", org_name(b))];
    render(
        b,
        Content {
            subject: t.fill("verify_email.subject", &args),
            heading: t.fill("verify_email.heading", &args),
            paragraphs: vec![t.fill("verify_email.body", &args)],
            rows: Vec::new(),
            button: button(t.fill("verify_email.button", &args), verify_url),
            notes: vec![t.fill("verify_email.ignore", &args)],
            reason: t.fill("verify_email.reason", &args),
            manage: None,
        },
    )
}

/// A password-reset link, valid for `valid_minutes`.
pub fn password_reset(b: &Branding, name: &str, reset_url: &str, valid_minutes: i64) -> Rendered {
    let t = Catalog::english();
    let args = [("name", name), ("org", org_name(b))];
    render(
        b,
        Content {
            subject: t.fill("password_reset.subject", &args),
            heading: t.fill("password_reset.heading", &args),
            paragraphs: vec![t.fill("password_reset.body", &args)],
            rows: Vec::new(),
            button: button(t.fill("password_reset.button", &args), reset_url),
            notes: vec![
                t.plural("password_reset.valid", valid_minutes),
                t.fill("password_reset.ignore", &args),
            ],
            reason: t.fill("password_reset.reason", &args),
            manage: None,
        },
    )
}

/// One event's line in a digest.
#[derive(Debug, Clone, Copy)]
pub struct DigestEvent<'a> {
    pub name: &'a str,
    pub photos: i64,
    pub contributors: i64,
    /// The event's page.
    pub url: &'a str,
}

/// New photos arrived since the last digest: one line per event (most first), each a link.
/// With one event the button opens it; with several, `events_url` (the list of events).
/// `manage_url` is where the person changes which emails they get.
pub fn new_photos_digest(
    b: &Branding,
    name: &str,
    events: &[DigestEvent<'_>],
    events_url: &str,
    manage_url: &str,
) -> Rendered {
    let t = Catalog::english();
    let line = |e: &DigestEvent<'_>| {
        let photos = t.plural("digest.photos", e.photos);
        let contributors = t.plural("digest.contributors", e.contributors);
        t.fill(
            "digest.line",
            &[
                ("photos", photos.as_str()),
                ("contributors", contributors.as_str()),
            ],
        )
    };
    let count = events.len().to_string();
    let org = org_name(b);
    let (subject, heading, body, button_to) = match events {
        [one] => {
            let photos = t.plural("digest.photos", one.photos);
            let contributors = t.plural("digest.contributors", one.contributors);
            let args = [
                ("name", name),
                ("org", org),
                ("event", one.name),
                ("photos", photos.as_str()),
                ("contributors", contributors.as_str()),
            ];
            (
                t.fill("digest.subject", &args),
                t.fill("digest.heading", &args),
                t.fill("digest.body", &args),
                (t.fill("digest.button", &args), one.url),
            )
        }
        _ => {
            let args = [("name", name), ("org", org), ("count", count.as_str())];
            (
                t.fill("digest.subject_many", &args),
                t.fill("digest.heading_many", &args),
                t.fill("digest.body_many", &args),
                (t.fill("digest.button_many", &args), events_url),
            )
        }
    };
    let rows = if events.len() > 1 {
        events
            .iter()
            .map(|e| Row::linked(e.name.to_owned(), line(e), e.url))
            .collect()
    } else {
        Vec::new()
    };
    render(
        b,
        Content {
            subject,
            heading,
            paragraphs: vec![body],
            rows,
            button: button(button_to.0, button_to.1),
            notes: Vec::new(),
            reason: t.fill("digest.reason", &[("org", org)]),
            manage: manage(t, manage_url),
        },
    )
}

/// Photos wait for a moderator's approval; `manage_url` as in [`new_photos_digest`].
pub fn approval_waiting(
    b: &Branding,
    name: &str,
    event_name: &str,
    pending: i64,
    url: &str,
    manage_url: &str,
) -> Rendered {
    let t = Catalog::english();
    let pending = t.plural("approval.pending", pending);
    let args = [
        ("name", name),
        ("org", org_name(b)),
        ("event", event_name),
        ("pending", pending.as_str()),
    ];
    render(
        b,
        Content {
            subject: t.fill("approval.subject", &args),
            heading: t.fill("approval.heading", &args),
            paragraphs: vec![t.fill("approval.body", &args)],
            rows: Vec::new(),
            button: button(t.fill("approval.button", &args), url),
            notes: Vec::new(),
            reason: t.fill("approval.reason", &args),
            manage: manage(t, manage_url),
        },
    )
}

/// The results of a lucky draw: `winners` are (prize, winner's name) in the draw's order;
/// `manage_url` as in [`new_photos_digest`].
pub fn draw_results(
    b: &Branding,
    event_name: &str,
    draw_name: &str,
    winners: &[(String, String)],
    verify_url: &str,
    manage_url: &str,
) -> Rendered {
    let t = Catalog::english();
    let args = [
        ("org", org_name(b)),
        ("event", event_name),
        ("draw", draw_name),
    ];
    let mut paragraphs = vec![t.fill("draw.body", &args)];
    if winners.is_empty() {
        paragraphs = vec![t.fill("draw.none", &args)];
    }
    render(
        b,
        Content {
            subject: t.fill("draw.subject", &args),
            heading: t.fill("draw.heading", &args),
            paragraphs,
            rows: winners
                .iter()
                .map(|(prize, winner)| Row::plain(prize.clone(), winner.clone()))
                .collect(),
            button: button(t.fill("draw.button", &args), verify_url),
            notes: vec![t.fill("draw.verify", &args)],
            reason: t.fill("draw.reason", &args),
            manage: manage(t, manage_url),
        },
    )
}

/// A test message for operators checking the mail settings (`momentique mail test`); `via`
/// says how it left (the mailer's description).
pub fn test_message(b: &Branding, via: &str) -> Rendered {
    let t = Catalog::english();
    let args = [
        ("app", t.get("app.name")),
        ("org", org_name(b)),
        ("via", via),
    ];
    render(
        b,
        Content {
            subject: t.fill("test_message.subject", &args),
            heading: t.fill("test_message.heading", &args),
            paragraphs: vec![t.fill("test_message.body", &args)],
            rows: Vec::new(),
            button: None,
            notes: vec![t.fill("test_message.via", &args)],
            reason: t.fill("test_message.reason", &args),
            manage: None,
        },
    )
}

/// What one email says, before it is laid out.
#[derive(Debug)]
struct Content {
    subject: String,
    heading: String,
    paragraphs: Vec<String>,
    /// Two-column rows (a draw's prize and winner; a digest's events).
    rows: Vec<Row>,
    button: Option<Button>,
    /// Small print under the button.
    notes: Vec<String>,
    /// The footer: why the person got this email.
    reason: String,
    /// The footer's link to the page where the person chooses which emails they get
    /// (notification emails only).
    manage: Option<Button>,
}

/// One row of an email's table; the left cell is a link when `url` is a web URL.
#[derive(Debug)]
struct Row {
    left: String,
    right: String,
    url: Option<String>,
}

impl Row {
    fn plain(left: String, right: String) -> Self {
        Self {
            left,
            right,
            url: None,
        }
    }

    fn linked(left: String, right: String, url: &str) -> Self {
        Self {
            left,
            right,
            url: is_web_url(url).then(|| url.to_owned()),
        }
    }
}

/// The footer's "choose which emails you get" link.
fn manage(t: &Catalog, url: &str) -> Option<Button> {
    button(t.get("layout.manage").to_owned(), url)
}

#[derive(Debug)]
struct Button {
    label: String,
    url: String,
}

/// The HTML part: `templates/layout.html`.
#[derive(Template)]
#[template(path = "layout.html")]
struct HtmlMail<'a> {
    lang: &'a str,
    org: &'a str,
    accent: &'a str,
    /// Black or white, whichever reads better on the accent.
    on_accent: &'a str,
    logo_url: Option<&'a str>,
    link_hint: &'a str,
    sent_by: &'a str,
    c: &'a Content,
}

/// The plain-text part: `templates/layout.txt`.
#[derive(Template)]
#[template(path = "layout.txt")]
struct TextMail<'a> {
    org: &'a str,
    sent_by: &'a str,
    c: &'a Content,
}

fn render(b: &Branding, c: Content) -> Rendered {
    let t = Catalog::english();
    let org = org_name(b);
    let accent = accent(b.accent.as_deref());
    let sent_by = t.fill(
        "layout.sent_by",
        &[("app", t.get("app.name")), ("org", org)],
    );
    let logo_url = b.logo_url.as_deref().filter(|u| is_web_url(u));
    let text = TextMail {
        org,
        sent_by: &sent_by,
        c: &c,
    }
    .render();
    let html = HtmlMail {
        lang: t.lang(),
        org,
        accent,
        on_accent: on_accent(accent),
        logo_url,
        link_hint: t.get("layout.link_hint"),
        sent_by: &sent_by,
        c: &c,
    }
    .render();
    // Rendering only fails when a value's Display fails; ours are strings.
    let text = text.unwrap_or_else(|e| {
        tracing::error!(error = %e, "rendering a plain-text email failed");
        format!("{}\n\n{}\n", c.heading, c.paragraphs.join("\n\n"))
    });
    let html = html.unwrap_or_else(|e| {
        tracing::error!(error = %e, "rendering an HTML email failed");
        String::new()
    });
    Rendered {
        subject: c.subject,
        text,
        html,
    }
}

/// A button, when `url` is an absolute web address (anything else would be a broken or
/// dangerous link in a mail client).
fn button(label: String, url: &str) -> Option<Button> {
    if is_web_url(url) {
        Some(Button {
            label,
            url: url.to_owned(),
        })
    } else {
        tracing::warn!("an email's link is not an absolute http(s) URL; the button is left out");
        None
    }
}

/// An absolute `http(s)://` URL with a host and no spaces, quotes or control characters.
fn is_web_url(url: &str) -> bool {
    !url.chars()
        .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '"' | '\'' | '<' | '>'))
        && url::Url::parse(url).is_ok_and(|u| {
            matches!(u.scheme(), "http" | "https") && u.host_str().is_some_and(|h| !h.is_empty())
        })
}

fn org_name(b: &Branding) -> &str {
    let name = b.org_name.trim();
    if name.is_empty() {
        Catalog::english().get("app.name")
    } else {
        name
    }
}

/// The organization's colour if it is `#rrggbb` ([`domain::AccentColour`], the one check
/// pages and walls use too), else [`DEFAULT_ACCENT`]: it goes into CSS, so nothing else may pass.
pub(crate) fn accent(colour: Option<&str>) -> &str {
    match colour {
        Some(c) if domain::AccentColour::is_valid(c) => c,
        _ => DEFAULT_ACCENT,
    }
}

/// White or near-black text on `accent` (a valid `#rrggbb`), whichever contrasts more.
fn on_accent(accent: &str) -> &'static str {
    domain::AccentColour::parse(accent).map_or("#ffffff", |c| c.text_colour())
}

fn format_date(t: &Catalog, at: &DateTime<Utc>) -> String {
    let mut out = String::new();
    if write!(out, "{}", at.format(t.get("date.full"))).is_err() {
        // A bad format in the catalogue: still say when.
        out = at.to_rfc3339();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_hex_colours_are_accents() {
        assert_eq!(accent(Some("#0a7B3c")), "#0a7B3c");
        for bad in [
            "red;background:url(x)",
            "#12345",
            "#1234567",
            "#12345g",
            "123456",
            "#12345\"",
            "",
        ] {
            assert_eq!(accent(Some(bad)), DEFAULT_ACCENT, "{bad}");
        }
        assert_eq!(accent(None), DEFAULT_ACCENT);
    }

    #[test]
    fn text_on_the_accent_is_readable() {
        assert_eq!(on_accent("#6d28d9"), "#ffffff");
        assert_eq!(on_accent("#000000"), "#ffffff");
        assert_eq!(on_accent("#ffff00"), "#18181b");
        assert_eq!(on_accent("#ffffff"), "#18181b");
    }

    #[test]
    fn only_web_urls_make_links() {
        assert!(is_web_url("https://photos.example.com/invite/abc?x=1&y=2"));
        assert!(is_web_url("HTTP://localhost:8080/a"));
        for bad in [
            "javascript:alert(1)",
            "/relative",
            "https://",
            "https://a b",
            "data:text/html,x",
            "https://a\n",
            "https://x.test/\"><script>",
        ] {
            assert!(!is_web_url(bad), "{bad}");
        }
    }
}

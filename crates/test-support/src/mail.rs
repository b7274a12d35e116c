//! The test SMTP server (aiosmtpd from `scripts/test`, delivering into a Maildir) and reading
//! back what it received.

use std::collections::HashSet;
use std::net::{TcpStream, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::sync::{LazyLock, Mutex};
use std::time::{Duration, Instant};

use mail_parser::{Address, MessageParser};

/// The test SMTP server's URL (`smtp://127.0.0.1:PORT`) and the Maildir it delivers into,
/// from `MOMENTIQUE_TEST_SMTP_URL` and `MOMENTIQUE_TEST_SMTP_MAILDIR`. Nothing is started
/// here: unset or not answering, the test fails saying how to get one (scripts/test).
#[track_caller]
pub fn smtp() -> (String, PathBuf) {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    let (url, maildir) = match (
        var("MOMENTIQUE_TEST_SMTP_URL"),
        var("MOMENTIQUE_TEST_SMTP_MAILDIR"),
    ) {
        (Some(url), Some(dir)) => (url, PathBuf::from(dir)),
        _ => crate::service_missing(
            "SMTP",
            "MOMENTIQUE_TEST_SMTP_URL",
            &"MOMENTIQUE_TEST_SMTP_URL and MOMENTIQUE_TEST_SMTP_MAILDIR are not both set",
        ),
    };
    if let Err(e) = connect(&url) {
        crate::service_missing("SMTP", &url, &e);
    }
    if !maildir.join("new").is_dir() {
        crate::service_missing(
            "SMTP",
            &url,
            &format!("its Maildir {} has no new/ folder", maildir.display()),
        );
    }
    (url, maildir)
}

/// Opens (and closes) a TCP connection to the host and port of an `smtp://` URL.
fn connect(url: &str) -> Result<(), String> {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let rest = rest.rsplit_once('@').map_or(rest, |(_, r)| r);
    let authority = rest.split(['/', '?']).next().unwrap_or(rest);
    let addr = authority
        .to_socket_addrs()
        .map_err(|e| format!("{authority}: {e}"))?
        .next()
        .ok_or_else(|| format!("{authority} resolves to nothing"))?;
    TcpStream::connect_timeout(&addr, Duration::from_secs(5))
        .map(drop)
        .map_err(|e| e.to_string())
}

/// A message the test SMTP server received.
#[derive(Debug, Clone)]
pub struct ReceivedMail {
    /// The addresses of its `To` header.
    pub to: Vec<String>,
    pub subject: String,
    /// The text/plain part.
    pub text: String,
    /// The text/html part.
    pub html: String,
    /// The whole message as stored.
    pub raw: String,
}

/// Files already handed to a test of this process (by Maildir file name without its flags).
static TAKEN: LazyLock<Mutex<HashSet<String>>> = LazyLock::new(Mutex::default);

/// Waits for a message to `to` (its `To` header or the envelope's `X-RcptTo`) in `maildir`'s
/// `new/` or `cur/` that no earlier call of this process returned, and returns it. Panics,
/// listing what did arrive, after `timeout`.
pub async fn wait_for_mail(maildir: &Path, to: &str, timeout: Duration) -> ReceivedMail {
    let started = Instant::now();
    loop {
        let mut seen = Vec::new();
        for sub in ["new", "cur"] {
            let Ok(entries) = std::fs::read_dir(maildir.join(sub)) else {
                continue;
            };
            let mut files: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
            files.sort();
            for path in files {
                let Some(key) = path
                    .file_name()
                    .and_then(|n| n.to_str())
                    .map(|n| n.split(':').next().unwrap_or(n).to_owned())
                else {
                    continue;
                };
                if key.starts_with('.') || taken().contains(&key) {
                    continue;
                }
                let Ok(bytes) = std::fs::read(&path) else {
                    continue; // moved between listing and reading
                };
                let Some(mail) = parse(&bytes) else {
                    continue;
                };
                if mail.is_for(to) && taken().insert(key) {
                    return mail.mail;
                }
                seen.push(format!("{:?} to {:?}", mail.mail.subject, mail.mail.to));
            }
        }
        if started.elapsed() > timeout {
            panic!(
                "no mail to {to} arrived in {} within {timeout:?} (messages not yet taken: {})",
                maildir.display(),
                if seen.is_empty() {
                    "none".to_owned()
                } else {
                    seen.join("; ")
                }
            );
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn taken() -> std::sync::MutexGuard<'static, HashSet<String>> {
    TAKEN
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

struct Parsed {
    mail: ReceivedMail,
    envelope_to: Vec<String>,
}

impl Parsed {
    fn is_for(&self, to: &str) -> bool {
        self.mail
            .to
            .iter()
            .chain(&self.envelope_to)
            .any(|a| a.eq_ignore_ascii_case(to.trim()))
    }
}

fn parse(bytes: &[u8]) -> Option<Parsed> {
    let message = MessageParser::default().parse(bytes)?;
    let addresses = |a: Option<&Address<'_>>| -> Vec<String> {
        a.map(|a| {
            a.iter()
                .filter_map(|addr| addr.address().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
    };
    // aiosmtpd's Mailbox handler records the envelope's recipients in X-RcptTo.
    let envelope_to = message
        .header_raw("X-RcptTo")
        .map(|v| v.split(',').map(|a| a.trim().to_owned()).collect())
        .unwrap_or_default();
    let text = message
        .text_part(0)
        .and_then(|p| p.text_contents())
        .unwrap_or_default()
        .to_owned();
    let html = message
        .html_part(0)
        .and_then(|p| p.text_contents())
        .unwrap_or_default()
        .to_owned();
    Some(Parsed {
        mail: ReceivedMail {
            to: addresses(message.to()),
            subject: message.subject().unwrap_or_default().to_owned(),
            text,
            html,
            raw: String::from_utf8_lossy(bytes).into_owned(),
        },
        envelope_to,
    })
}

/// The `http://` and `https://` URLs in `text`, in order (an email's links, to follow them).
/// A URL ends at whitespace, a quote or `<`/`>`; trailing punctuation is not part of it, and
/// an HTML-escaped `&` is read as `&`.
pub fn links_in(text: &str) -> Vec<String> {
    let mut links = Vec::new();
    let mut rest = text;
    while let Some(at) = ["https://", "http://"]
        .iter()
        .filter_map(|p| rest.find(p))
        .min()
    {
        let tail = &rest[at..];
        let end = tail
            .find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '<' | '>'))
            .unwrap_or(tail.len());
        let link = tail[..end].trim_end_matches(['.', ',', ';', ':', '!', '?', ')']);
        if link.len() > "http://".len() {
            // In HTML, `&` is escaped (askama writes `&#38;`).
            links.push(
                link.replace("&amp;", "&")
                    .replace("&#38;", "&")
                    .replace("&#x26;", "&"),
            );
        }
        rest = &tail[end.max(1)..];
    }
    links
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_are_found_in_text_and_html() {
        let text = "Accept: https://x.test/a?b=1&amp;c=2&#38;d=3.\n<a href=\"http://h:8080/p\">go</a> (https://y.test/z)";
        assert_eq!(
            links_in(text),
            vec![
                "https://x.test/a?b=1&c=2&d=3",
                "http://h:8080/p",
                "https://y.test/z"
            ]
        );
        assert!(links_in("no links, just http:// alone").is_empty());
    }

    #[test]
    fn a_delivered_message_is_parsed() {
        let raw = "X-RcptTo: b@y.test\r\nTo: Bee <B@Y.test>\r\nSubject: Hi\r\n\
                   MIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=\"x\"\r\n\r\n\
                   --x\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nplain\r\n\
                   --x\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>html</p>\r\n--x--\r\n";
        let p = parse(raw.as_bytes()).unwrap();
        assert!(p.is_for("b@y.test"));
        assert_eq!(p.mail.to, vec!["B@Y.test"]);
        assert_eq!(p.mail.subject, "Hi");
        assert_eq!(p.mail.text.trim(), "plain");
        assert_eq!(p.mail.html.trim(), "<p>html</p>");
    }
}

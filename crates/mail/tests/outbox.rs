//! Without SMTP the mailer writes each message as an .eml file: parseable, multipart/alternative
//! with both parts, From as configured, no temporary file left behind.

use mail::{Branding, Mailer, OutgoingEmail, SendError, templates};
use mail_parser::{MessageParser, MimeHeaders};

fn email(to: &str) -> OutgoingEmail {
    let b = Branding {
        org_name: "Lumen Weddings".into(),
        ..Branding::default()
    };
    let r = templates::welcome(&b, "Zoë", "https://photos.example.com/app");
    OutgoingEmail::new(to, Some("Zoë Ngata"), r)
}

#[tokio::test]
async fn the_outbox_holds_a_parseable_message_with_both_parts() {
    let dir = tempfile::tempdir().unwrap();
    let outbox = dir.path().join("outbox"); // created on first use
    let mailer = Mailer::outbox(&outbox, "Lumen Weddings <hello@lumen.example>").unwrap();
    assert_eq!(mailer.describe(), format!("outbox {}", outbox.display()));
    let sent = email("zoe@example.org");
    mailer.send(&sent).await.unwrap();

    let files: Vec<_> = std::fs::read_dir(&outbox)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    assert_eq!(files.len(), 1, "one file, no temporary left: {files:?}");
    let name = files[0].file_name().unwrap().to_str().unwrap().to_owned();
    assert!(name.ends_with(".eml") && name.starts_with("20"), "{name}");

    let raw = std::fs::read(&files[0]).unwrap();
    let msg = MessageParser::default().parse(&raw).unwrap();
    assert_eq!(msg.subject(), Some(sent.subject.as_str()));
    let from = msg.from().unwrap().first().unwrap();
    assert_eq!(
        (from.name(), from.address()),
        (Some("Lumen Weddings"), Some("hello@lumen.example"))
    );
    let to = msg.to().unwrap().first().unwrap();
    assert_eq!(
        (to.name(), to.address()),
        (Some("Zoë Ngata"), Some("zoe@example.org"))
    );
    assert!(msg.message_id().unwrap().ends_with("@lumen.example"));
    let root = msg.root_part().content_type().unwrap();
    assert_eq!(
        (root.ctype(), root.subtype()),
        ("multipart", Some("alternative"))
    );
    assert_eq!((msg.text_body_count(), msg.html_body_count()), (1, 1));
    let text = msg.text_part(0).unwrap();
    assert_eq!(text.content_type().unwrap().subtype(), Some("plain"));
    assert_eq!(
        text.text_contents().unwrap().replace("\r\n", "\n").trim(),
        sent.text.trim()
    );
    let html = msg.html_part(0).unwrap();
    assert_eq!(html.content_type().unwrap().subtype(), Some("html"));
    assert_eq!(
        html.text_contents().unwrap().replace("\r\n", "\n").trim(),
        sent.html.trim()
    );
}

#[tokio::test]
async fn a_bad_address_is_a_permanent_failure() {
    let dir = tempfile::tempdir().unwrap();
    let mailer = Mailer::outbox(dir.path(), mail::DEFAULT_FROM).unwrap();
    for bad in ["not-an-address", "a@", "@b", "a b@c.d"] {
        let err = mailer.send(&email(bad)).await.unwrap_err();
        assert!(matches!(err, SendError::Permanent(_)), "{bad}: {err:?}");
    }
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[tokio::test]
async fn a_subject_cannot_add_headers() {
    let dir = tempfile::tempdir().unwrap();
    let mailer = Mailer::outbox(dir.path(), mail::DEFAULT_FROM).unwrap();
    let mut e = email("zoe@example.org");
    e.subject = "Hello\r\nBcc: victim@example.com".into();
    e.to_name = Some("Zoë\r\nX-Evil: 1".into());
    mailer.send(&e).await.unwrap();
    let path = std::fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .next()
        .unwrap()
        .path();
    let raw = std::fs::read(path).unwrap();
    let msg = MessageParser::default().parse(&raw).unwrap();
    assert!(msg.header_raw("Bcc").is_none() && msg.header_raw("X-Evil").is_none());
    assert_eq!(msg.subject(), Some("Hello  Bcc: victim@example.com"));
}

#[tokio::test]
async fn an_outbox_that_cannot_be_written_is_a_transient_failure() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, b"x").unwrap();
    let mailer = Mailer::outbox(file.join("outbox"), mail::DEFAULT_FROM).unwrap();
    let err = mailer.send(&email("zoe@example.org")).await.unwrap_err();
    assert!(matches!(err, SendError::Transient(_)), "{err:?}");
}

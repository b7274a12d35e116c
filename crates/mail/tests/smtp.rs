//! Through the real SMTP server of scripts/test (aiosmtpd): the message arrives in its
//! Maildir with subject, recipient and both parts; a closed port is a transient failure.

use std::time::Duration;

use mail::{Branding, MailConfig, Mailer, OutgoingEmail, SendError, templates};

#[tokio::test]
async fn a_message_arrives_at_the_smtp_server() {
    let (url, maildir) = test_support::smtp();
    let mailer = Mailer::new(&MailConfig {
        smtp_url: Some(url.clone()),
        from: "Lumen Weddings <hello@lumen.example>".into(),
        outbox_dir: "/nonexistent".into(),
    })
    .unwrap();
    assert!(
        mailer.describe().starts_with("SMTP 127.0.0.1:"),
        "{}",
        mailer.describe()
    );
    let to = format!("guest-{}@example.org", uuid::Uuid::new_v4().simple());
    let r = templates::password_reset(
        &Branding {
            org_name: "Lumen Weddings".into(),
            ..Branding::default()
        },
        "Zoë",
        "https://photos.example.com/reset/t0k?e=1&f=2",
        30,
    );
    mailer
        .send(&OutgoingEmail::new(&to, Some("Zoë"), r.clone()))
        .await
        .unwrap();
    let got = test_support::wait_for_mail(&maildir, &to, Duration::from_secs(20)).await;
    assert_eq!(got.to, vec![to.clone()]);
    assert_eq!(got.subject, r.subject);
    assert!(got.raw.contains("multipart/alternative"), "{}", got.raw);
    assert_eq!(got.text.replace("\r\n", "\n").trim(), r.text.trim());
    assert_eq!(got.html.replace("\r\n", "\n").trim(), r.html.trim());
    let links = test_support::links_in(&got.text);
    assert_eq!(links, vec!["https://photos.example.com/reset/t0k?e=1&f=2"]);
    let html_links = test_support::links_in(&got.html);
    assert!(html_links.contains(&links[0]), "{html_links:?}");
}

#[tokio::test]
async fn a_closed_port_is_a_transient_failure() {
    // A port that was free a moment ago: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mailer = Mailer::new(&MailConfig {
        smtp_url: Some(format!("smtp://127.0.0.1:{port}")),
        ..MailConfig::default()
    })
    .unwrap();
    let r = templates::welcome(&Branding::default(), "Zoë", "https://x.test/");
    let err = mailer
        .send(&OutgoingEmail::new("zoe@example.org", None, r))
        .await
        .unwrap_err();
    assert!(matches!(err, SendError::Transient(_)), "{err:?}");
}

//! `momentique mail test`: an operator checks the mail settings. Without SMTP the message
//! lands in the outbox folder; with the real SMTP server of scripts/test it arrives; a bad
//! sender is a configuration error (exit 2).

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

fn momentique(dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_momentique"));
    cmd.current_dir(dir).env_clear();
    for keep in ["PATH", "HOME", "TMPDIR"] {
        if let Ok(v) = std::env::var(keep) {
            cmd.env(keep, v);
        }
    }
    cmd.env("MOMENTIQUE_LOG", "warn");
    cmd
}

fn run(cmd: &mut Command) -> Output {
    cmd.stdin(Stdio::null()).output().expect("run momentique")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn mail_test_explains_itself() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(momentique(dir.path()).args(["mail", "test", "--help"]));
    assert!(out.status.success());
    let help = text(&out.stdout);
    assert!(
        help.contains("--to <ADDRESS>") && help.contains("MOMENTIQUE_SMTP_URL"),
        "{help}"
    );
}

#[test]
fn without_smtp_the_test_message_lands_in_the_outbox() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(momentique(dir.path()).args(["mail", "test", "--to", "ops@example.org"]));
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("via outbox ./data/outbox"),
        "{}",
        text(&out.stdout)
    );
    let files: Vec<_> = std::fs::read_dir(dir.path().join("data/outbox"))
        .unwrap()
        .flatten()
        .collect();
    assert_eq!(files.len(), 1);
    let raw = std::fs::read_to_string(files[0].path()).unwrap();
    assert!(
        raw.contains("To: ops@example.org") && raw.contains("multipart/alternative"),
        "{raw}"
    );
}

#[test]
fn a_bad_sender_is_a_configuration_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(momentique(dir.path())
        .args(["mail", "test", "--to", "ops@example.org"])
        .env("MOMENTIQUE_MAIL_FROM", "nobody"));
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("MOMENTIQUE_MAIL_FROM"),
        "{}",
        text(&out.stderr)
    );
    let out = run(momentique(dir.path()).arg("check-config").env(
        "MOMENTIQUE_SMTP_URL",
        "smtps://mailer:hunter2@smtp.example.com:465",
    ));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let shown = text(&out.stdout);
    assert!(
        !shown.contains("hunter2") && shown.contains("smtp_url"),
        "{shown}"
    );
}

#[tokio::test]
async fn with_smtp_the_test_message_arrives_and_a_closed_port_fails_loudly() {
    let (url, maildir) = test_support::smtp();
    let dir = tempfile::tempdir().unwrap();
    let to = format!("ops-{}@example.org", uuid::Uuid::new_v4().simple());
    let out = run(momentique(dir.path())
        .args(["mail", "test", "--to", &to])
        .env("MOMENTIQUE_SMTP_URL", &url));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let got = test_support::wait_for_mail(&maildir, &to, Duration::from_secs(20)).await;
    assert_eq!(got.subject, "Test message from Momentique");
    assert!(got.text.contains("via SMTP 127.0.0.1:"), "{}", got.text);
    assert!(!got.html.is_empty());

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let out = run(momentique(dir.path())
        .args(["mail", "test", "--to", "ops@example.org"])
        .env("MOMENTIQUE_SMTP_URL", format!("smtp://127.0.0.1:{port}")));
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("the test message was not sent") && err.contains("temporary failure"),
        "{err}"
    );
}

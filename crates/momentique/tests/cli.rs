//! The `momentique` binary as an operator meets it: run as a process, in an empty folder, with
//! no MOMENTIQUE_* variables but those a test sets.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

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

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// A bad configuration ends with exit code 2 and one line naming the setting; never a panic.
#[track_caller]
fn assert_config_error(out: &Output, setting: &str) {
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "exit code; stderr:\n{stderr}");
    let errors: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("momentique: configuration error:"))
        .collect();
    assert_eq!(errors.len(), 1, "exactly one error line; stderr:\n{stderr}");
    assert!(
        errors[0].contains(setting),
        "the line names {setting}: {}",
        errors[0]
    );
    assert!(
        !stderr.contains("panicked") && !stderr.contains("backtrace"),
        "no panic: {stderr}"
    );
}

#[test]
fn version_and_help_for_every_subcommand() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = run(momentique(dir.path()).arg("--version"));
    assert!(out.status.success());
    assert!(
        text(&out.stdout).starts_with(&format!("momentique {}", env!("CARGO_PKG_VERSION"))),
        "{}",
        text(&out.stdout)
    );

    let out = run(momentique(dir.path()).arg("--help"));
    assert!(out.status.success());
    let help = text(&out.stdout);
    for sub in [
        "serve",
        "worker",
        "migrate",
        "check-config",
        "jobs",
        "bench",
    ] {
        assert!(help.contains(sub), "--help lists {sub}:\n{help}");
    }
    for (sub, says) in [
        ("serve", "--no-worker"),
        ("worker", "background jobs"),
        ("migrate", "migrations"),
        ("check-config", "passwords hidden"),
        ("jobs", "dead"),
        ("bench", "startup"),
    ] {
        let out = run(momentique(dir.path()).args([sub, "--help"]));
        assert!(out.status.success(), "{sub} --help");
        let h = text(&out.stdout);
        assert!(h.contains(says), "{sub} --help mentions {says:?}:\n{h}");
    }
    assert!(
        std::fs::read_dir(dir.path())
            .expect("read dir")
            .next()
            .is_none(),
        "--help creates nothing"
    );
}

/// `bench live` names its options, and refuses a rate it cannot keep before starting anything.
#[test]
fn bench_live_explains_itself_and_refuses_a_bad_rate() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = run(momentique(dir.path()).args(["bench", "live", "--help"]));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let help = text(&out.stdout);
    for option in [
        "--viewers",
        "--seconds",
        "--rate",
        "--redis",
        "--pin-server",
        "socketio",
    ] {
        assert!(
            help.contains(option),
            "bench live --help mentions {option}:\n{help}"
        );
    }
    let out = run(momentique(dir.path()).args(["bench", "live", "--rate", "0"]));
    assert!(!out.status.success(), "--rate 0 fails");
    let stderr = text(&out.stderr);
    assert!(stderr.contains("--rate must be above 0"), "{stderr}");
    assert!(!stderr.contains("panicked"), "no panic: {stderr}");
}

#[test]
fn check_config_prints_the_defaults() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = run(momentique(dir.path()).arg("check-config"));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let shown = text(&out.stdout);
    assert!(shown.contains("bind = \"127.0.0.1:8080\""), "{shown}");
    assert!(
        shown.contains("database_url = \"sqlite://./data/momentique.db\""),
        "{shown}"
    );
    assert!(shown.contains("media_url = \"./data/media\""), "{shown}");
}

#[test]
fn check_config_hides_passwords_and_layers_file_under_environment() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("momentique.toml");
    std::fs::write(
        &file,
        "bind = \"0.0.0.0:9000\"\n\
         database_url = \"postgres://app:file-secret@db.internal/momentique\"\n\
         job_concurrency = 3\n",
    )
    .expect("write config");
    let out = run(momentique(dir.path())
        .arg("--config")
        .arg(&file)
        .arg("check-config")
        .env(
            "MOMENTIQUE_DATABASE_URL",
            "postgres://app:env-secret@db.internal:5432/momentique?sslmode=require",
        )
        .env(
            "MOMENTIQUE_DATABASE_ADMIN_URL",
            "postgres://owner:owner-secret@db.internal/momentique",
        )
        .env("MOMENTIQUE_REDIS_URL", "redis://:redis-secret@cache:6379/0"));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let shown = text(&out.stdout);
    for secret in ["file-secret", "env-secret", "owner-secret", "redis-secret"] {
        assert!(!shown.contains(secret), "{secret} leaked:\n{shown}");
    }
    assert!(
        shown.contains("bind = \"0.0.0.0:9000\""),
        "file value kept: {shown}"
    );
    assert!(shown.contains("job_concurrency = 3"), "{shown}");
    assert!(
        shown.contains("db.internal:5432/momentique?sslmode=require"),
        "the environment wins over the file, and the rest of the URL stays readable: {shown}"
    );
    assert!(shown.contains("app:"), "the user stays visible: {shown}");
}

#[test]
fn an_unknown_database_scheme_is_a_configuration_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = run(momentique(dir.path())
        .arg("serve")
        .env("MOMENTIQUE_DATABASE_URL", "mysql://root@localhost/m"));
    assert_config_error(&out, "MOMENTIQUE_DATABASE_URL");
}

#[test]
fn a_malformed_value_is_a_configuration_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = run(momentique(dir.path())
        .arg("serve")
        .env("MOMENTIQUE_DATABASE_MAX_CONNECTIONS", "lots"));
    assert_config_error(&out, "MOMENTIQUE_DATABASE_MAX_CONNECTIONS");
    assert!(
        text(&out.stderr).contains("expected a whole number"),
        "{}",
        text(&out.stderr)
    );

    let out = run(momentique(dir.path())
        .arg("serve")
        .env("MOMENTIQUE_BIND", "localhost"));
    assert_config_error(&out, "MOMENTIQUE_BIND");

    let out = run(momentique(dir.path())
        .arg("serve")
        .env("MOMENTIQUE_LOG_FORMAT", "xml"));
    assert_config_error(&out, "MOMENTIQUE_LOG_FORMAT");
}

#[test]
fn a_mistyped_key_in_the_config_file_is_a_configuration_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("m.toml");
    std::fs::write(&file, "databse_url = \"sqlite://x.db\"\n").expect("write");
    let out = run(momentique(dir.path())
        .arg("--config")
        .arg(&file)
        .arg("check-config"));
    assert_config_error(&out, "databse_url");

    let out = run(momentique(dir.path())
        .arg("--config")
        .arg(dir.path().join("missing.toml"))
        .arg("check-config"));
    assert_config_error(&out, "--config");
}

#[test]
fn an_unwritable_data_folder_is_a_configuration_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    // A plain file where a folder should be: no permission trick, so it holds even for root.
    let blocker = dir.path().join("blocker");
    std::fs::write(&blocker, b"a file").expect("write");

    let out = run(momentique(dir.path())
        .arg("serve")
        .env("MOMENTIQUE_BIND", format!("127.0.0.1:{}", free_port()))
        .env("MOMENTIQUE_MEDIA_URL", blocker.join("media")));
    assert_config_error(&out, "MOMENTIQUE_MEDIA_URL");

    let out = run(momentique(dir.path())
        .arg("serve")
        .env("MOMENTIQUE_BIND", format!("127.0.0.1:{}", free_port()))
        .env(
            "MOMENTIQUE_DATABASE_URL",
            format!("sqlite://{}/m.db", blocker.display()),
        ));
    assert_config_error(&out, "MOMENTIQUE_DATABASE_URL");
}

#[test]
fn a_port_in_use_is_a_configuration_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let taken = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = taken.local_addr().expect("addr");
    let out = run(momentique(dir.path())
        .arg("serve")
        .env("MOMENTIQUE_BIND", addr.to_string()));
    assert_config_error(&out, "MOMENTIQUE_BIND");
    assert!(
        text(&out.stderr).contains("in use"),
        "{}",
        text(&out.stderr)
    );
}

fn http_get(port: u16, path: &str) -> Option<(u16, String)> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut out = String::new();
    s.read_to_string(&mut out).ok()?;
    let status = out.split(' ').nth(1)?.parse().ok()?;
    Some((status, out))
}

fn wait_ready(child: &mut Child, port: u16) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some((200, _)) = http_get(port, "/readyz") {
            return;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("the server exited early: {status}");
        }
        assert!(Instant::now() < deadline, "not ready within 30 s");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn terminate(child: &mut Child) -> std::process::ExitStatus {
    let ok = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(ok.success());
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return status;
        }
        assert!(
            Instant::now() < deadline,
            "did not stop within 30 s of SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn with_no_configuration_it_creates_its_data_serves_and_stops_cleanly() {
    let dir = tempfile::tempdir().expect("tempdir");
    let port = free_port();
    // Everything default but the port (8080 may be busy on a developer's machine).
    let mut child = momentique(dir.path())
        .env("MOMENTIQUE_BIND", format!("127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    wait_ready(&mut child, port);
    assert!(dir.path().join("data/momentique.db").is_file());
    assert!(dir.path().join("data/media").is_dir());

    let (status, home) = http_get(port, "/").expect("home page answers");
    assert_eq!(status, 200);
    assert!(home.contains("Momentique"));
    let (status, health) = http_get(port, "/healthz").expect("healthz answers");
    assert_eq!(status, 200);
    assert!(health.contains("\"ok\""));

    let status = terminate(&mut child);
    assert!(status.success(), "clean exit on SIGTERM: {status}");

    // A second start reuses the same data (migrations are idempotent).
    let out = run(momentique(dir.path()).arg("migrate"));
    assert!(out.status.success(), "{}", text(&out.stderr));
}

//! Harness for tests that drive the real binary: [`App`] runs `momentique serve` on a free port
//! with its own data folder, [`Browser`] drives Debian's headless Chromium through ChromeDriver.
//! Both stop when dropped. A missing browser fails the test (scripts/test installs one).

#![allow(dead_code, reason = "each test file uses part of the harness")]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::wd::Capabilities;
use fantoccini::{Client, ClientBuilder};
use serde_json::json;

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

fn answers(port: u16) -> bool {
    TcpStream::connect(("127.0.0.1", port)).is_ok()
}

/// Status and whole response of a plain `GET`, or `None` if nothing answers.
pub fn http_get(port: u16, path: &str) -> Option<(u16, String)> {
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

/// `momentique serve` on 127.0.0.1 with a fresh SQLite database and media folder.
pub struct App {
    pub port: u16,
    pub dir: tempfile::TempDir,
    child: Child,
}

impl App {
    pub fn start() -> Self {
        Self::start_with(&[])
    }

    /// The same with more environment (`MOMENTIQUE_SMTP_URL` …).
    pub fn start_with(env: &[(&str, &str)]) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let port = free_port();
        let log = std::fs::File::create(dir.path().join("server.log")).expect("log file");
        let mut child = Command::new(env!("CARGO_BIN_EXE_momentique"))
            .arg("serve")
            .current_dir(dir.path())
            .env_remove("MOMENTIQUE_CONFIG")
            .env_remove("MOMENTIQUE_REDIS_URL")
            .env_remove("MOMENTIQUE_DATABASE_URL")
            .env_remove("MOMENTIQUE_DATABASE_ADMIN_URL")
            .env_remove("MOMENTIQUE_MEDIA_URL")
            .env_remove("MOMENTIQUE_SMTP_URL")
            .env_remove("MOMENTIQUE_PUBLIC_URL")
            .env("MOMENTIQUE_BIND", format!("127.0.0.1:{port}"))
            .env("MOMENTIQUE_LOG", "info")
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("spawn momentique serve");
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some((200, _)) = http_get(port, "/readyz") {
                break;
            }
            if let Ok(Some(status)) = child.try_wait() {
                let log =
                    std::fs::read_to_string(dir.path().join("server.log")).unwrap_or_default();
                panic!("momentique exited early ({status}):\n{log}");
            }
            assert!(
                Instant::now() < deadline,
                "momentique not ready within 30 s"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Self { port, dir, child }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// What the server logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }
}

impl Drop for App {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn tool(var: &str, fallbacks: &[&str]) -> PathBuf {
    if let Ok(p) = std::env::var(var) {
        return PathBuf::from(p);
    }
    for name in fallbacks {
        let p = PathBuf::from(name);
        if p.is_file() {
            return p;
        }
    }
    panic!(
        "{var} is not set and none of {fallbacks:?} exists. Run the tests with scripts/test, which \
         installs Debian's chromium and chromium-driver, or set {var}. Browser tests are never skipped."
    );
}

/// A headless Chromium session (its own profile), through a ChromeDriver of its own.
pub struct Browser {
    pub client: Client,
    driver: Child,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// A browser whose viewport is `width`×`height` CSS pixels (a phone below 800 wide: touch
    /// and mobile viewport rules on).
    pub async fn start(width: u32, height: u32) -> Self {
        Self::launch(width, height, false).await
    }

    /// The same, with the system set to dark mode (`prefers-color-scheme: dark`).
    pub async fn start_dark(width: u32, height: u32) -> Self {
        Self::launch(width, height, true).await
    }

    async fn launch(width: u32, height: u32, dark: bool) -> Self {
        let chromium = tool("MOMENTIQUE_TEST_CHROMIUM", &["/usr/bin/chromium"]);
        let chromedriver = tool("MOMENTIQUE_TEST_CHROMEDRIVER", &["/usr/bin/chromedriver"]);
        let port = free_port();
        let mut driver = Command::new(&chromedriver)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", chromedriver.display()));
        let deadline = Instant::now() + Duration::from_secs(20);
        while !answers(port) {
            if let Ok(Some(status)) = driver.try_wait() {
                panic!("chromedriver exited: {status}");
            }
            assert!(
                Instant::now() < deadline,
                "chromedriver did not start within 20 s"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        let profile = tempfile::tempdir().expect("profile dir");
        let mut args = vec![
            "--headless".to_owned(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-quic".into(),
            "--no-first-run".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            "--disable-dev-shm-usage".into(),
            "--hide-scrollbars".into(),
            "--force-device-scale-factor=1".into(),
            format!("--window-size={width},{height}"),
            format!("--user-data-dir={}", profile.path().display()),
        ];
        if dark {
            args.push("--force-dark-mode".into());
            args.push("--blink-settings=preferredColorScheme=0".into());
        }
        let mut caps = Capabilities::new();
        caps.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": chromium,
                "args": args,
                // Headless windows have a minimum width; emulation gives the exact viewport.
                "mobileEmulation": {
                    "deviceMetrics": {
                        "width": width, "height": height, "pixelRatio": 1.0,
                        "mobile": width < 800, "touch": width < 800,
                    },
                },
            }),
        );
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .unwrap_or_else(|e| {
                panic!(
                    "cannot open a Chromium session via {}: {e}",
                    chromedriver.display()
                )
            });
        Self {
            client,
            driver,
            _profile: profile,
        }
    }

    /// Saves a screenshot as `target/test-artifacts/NAME.png` and returns its path.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let png = self.client.screenshot().await.expect("screenshot");
        let path = test_support::artifacts_dir().join(format!("{name}.png"));
        std::fs::write(&path, png).expect("write screenshot");
        path
    }

    /// Ends the browser session; the driver stops when `self` drops.
    pub async fn close(self) {
        let _ = self.client.clone().close().await;
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
    }
}

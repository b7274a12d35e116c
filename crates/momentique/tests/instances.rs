//! Two `momentique serve` processes on one PostgreSQL database and one Redis, as behind a load
//! balancer: a photo published by whichever instance's worker processes it reaches a wall
//! connected to the other one; one instance is killed with SIGKILL and its wall, reconnecting
//! to the survivor from the last message it had, misses nothing.

mod support;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures::StreamExt as _;
use serde_json::Value;
use service::Services;
use store::{Db, DbOptions, Redis};
use support::{free_port, http_get};
use test_support::{TestBackend, TestDatabase, redis_url, unique_prefix};
use tokio_tungstenite::tungstenite;

struct Instance {
    port: u16,
    child: Child,
    log: std::path::PathBuf,
}

impl Instance {
    fn start(dir: &std::path::Path, name: &str, env: &[(&str, String)]) -> Self {
        let port = free_port();
        let log = dir.join(format!("{name}.log"));
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_momentique"));
        cmd.arg("serve")
            .current_dir(dir)
            .env_remove("MOMENTIQUE_CONFIG")
            .env("MOMENTIQUE_BIND", format!("127.0.0.1:{port}"))
            .env("MOMENTIQUE_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).expect("log"));
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("spawn momentique serve");
        let deadline = Instant::now() + Duration::from_secs(60);
        while !matches!(http_get(port, "/readyz"), Some((200, _))) {
            if let Ok(Some(status)) = child.try_wait() {
                panic!(
                    "{name} exited ({status}): {}",
                    std::fs::read_to_string(&log).unwrap_or_default()
                );
            }
            assert!(Instant::now() < deadline, "{name} not ready within 60 s");
            std::thread::sleep(Duration::from_millis(50));
        }
        Self { port, child, log }
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn wall(port: u16, token: &str, since: Option<i64>) -> Socket {
    use tungstenite::client::IntoClientRequest as _;
    let q = since.map_or_else(String::new, |s| format!("?since={s}"));
    let mut req = format!("ws://127.0.0.1:{port}/w/{token}/live{q}")
        .into_client_request()
        .expect("request");
    req.headers_mut().insert(
        "origin",
        format!("http://127.0.0.1:{port}").parse().expect("origin"),
    );
    tokio_tungstenite::connect_async(req)
        .await
        .expect("wall socket")
        .0
}

/// The next feed message of `kind` (others skipped), within `secs`.
async fn next_of(s: &mut Socket, kind: &str, secs: u64) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    loop {
        let frame = tokio::time::timeout_at(deadline, s.next())
            .await
            .unwrap_or_else(|_| panic!("no {kind} within {secs} s"))
            .expect("socket open")
            .expect("frame");
        if let tungstenite::Message::Text(t) = frame {
            let v: Value = serde_json::from_str(&t).expect("JSON");
            if v["type"] == kind {
                return v;
            }
        }
    }
}

async fn upload(
    services: &Services,
    ctx: &service::Ctx,
    event: domain::EventId,
    photo: &str,
) -> String {
    let path = format!(
        "{}/../../../shared/testdata/photos/{photo}",
        env!("CARGO_MANIFEST_DIR")
    );
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let uploader = service::photos::member_uploader(ctx, "Ada Host");
    let body = futures::stream::once(async move { Ok::<_, std::io::Error>(Bytes::from(bytes)) });
    let accepted = service::photos::upload(services, ctx, event, &uploader, body)
        .await
        .expect("upload accepted");
    accepted.photo().id.to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_photo_reaches_the_other_instances_wall_and_survives_a_killed_instance() {
    let tdb = TestDatabase::new(TestBackend::Postgres).await;
    let dir = tempfile::tempdir().expect("dir");
    let prefix = unique_prefix();
    let secret_hex = format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    );
    let secret = service::secrets::SecretKey::from_hex(&secret_hex).expect("a key");
    let media = dir.path().join("media");
    let env = vec![
        ("MOMENTIQUE_DATABASE_URL", tdb.url.clone()),
        (
            "MOMENTIQUE_DATABASE_ADMIN_URL",
            tdb.admin_url.clone().expect("admin url"),
        ),
        ("MOMENTIQUE_REDIS_URL", redis_url()),
        ("MOMENTIQUE_REDIS_PREFIX", prefix.clone()),
        ("MOMENTIQUE_SECRET_KEY", secret_hex.clone()),
        ("MOMENTIQUE_MEDIA_URL", media.display().to_string()),
    ];
    let a = Instance::start(dir.path(), "a", &env);
    let mut b = Instance::start(dir.path(), "b", &env);

    // The host's side, set up through the use cases on the same database, Redis and media.
    let db = Db::open(&tdb.url, tdb.admin_url.as_deref(), &DbOptions::default())
        .await
        .expect("db");
    let redis = Redis::connect(&redis_url(), prefix).await.expect("redis");
    let blobs = media::BlobStore::local(&media).expect("media");
    let services = Services::new(db, blobs, Some(redis)).with_secret(secret);
    let account = service::accounts::register(
        &services,
        &service::accounts::Registration {
            name: "Ada Host",
            email: "ada@example.com",
            password: "violet-harbour-42",
            org_name: "Ada's Weddings",
            base_url: "http://127.0.0.1:8080",
        },
        domain::time::now(),
    )
    .await
    .expect("register");
    let ctx = services.member_ctx(account.tenant.id, account.user.id, account.role);
    let input = service::events::EventInput {
        name: "Anna & Ben".into(),
        starts_at: "2026-06-20T14:00".into(),
        ends_at: "2027-06-21T02:00".into(),
        ..service::events::EventInput::new_event("UTC")
    };
    let event = service::events::create_event(&services, &ctx, &input)
        .await
        .expect("event")
        .id;
    let (_, token) =
        service::walls::create_wall(&services, &ctx, event, service::walls::WallInput::default())
            .await
            .expect("wall");

    // A wall on B; the photo is processed by whichever worker claims it, published, and
    // rung through Redis.
    let mut on_b = wall(b.port, &token, None).await;
    let first = upload(&services, &ctx, event, "real_dragonfly_13mp.jpg").await;
    let m = next_of(&mut on_b, "photo.published", 60).await;
    assert_eq!(m["photo"]["id"], Value::String(first.clone()));
    let seq = m["seq"].as_i64().expect("seq");

    // B dies without a goodbye. A photo published meanwhile reaches the wall when it
    // reconnects to A from the last message it had.
    let _ = b.child.kill();
    let _ = b.child.wait();
    drop(on_b);
    let second = upload(&services, &ctx, event, "real_xiaomi_mi3_13mp.jpg").await;
    let mut on_a = wall(a.port, &token, Some(seq)).await;
    let m = next_of(&mut on_a, "photo.published", 60).await;
    assert_eq!(
        m["photo"]["id"],
        Value::String(second),
        "nothing missed: {m}"
    );
    assert!(m["seq"].as_i64().expect("seq") > seq);

    // Blanked through the test's own instance: A's wall within a second.
    let started = Instant::now();
    service::walls::set_blank(&services, &ctx, event, true)
        .await
        .expect("blank");
    let m = next_of(&mut on_a, "wall.blank", 5).await;
    assert_eq!(m["on"], Value::Bool(true));
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "blank took {:?}",
        started.elapsed()
    );
    let log = std::fs::read_to_string(&a.log).unwrap_or_default();
    assert!(!log.contains("panicked"), "{log}");
}

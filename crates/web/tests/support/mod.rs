//! The web layer in process, for integration tests: the real router and middleware on real
//! services (a fresh database per test on each backend, a media folder, real Redis), driven
//! request by request like a browser would, with a cookie jar.

#![expect(dead_code, reason = "each test file uses part of the harness")]

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, Request, StatusCode, header};
use domain::{Role, TenantId};
use http_body_util::BodyExt;
use media::BlobStore;
use serde_json::{Value, json};
use service::Services;
use store::{Db, DbOptions, Membership, MembershipRepo, Redis, Scope, User, UserRepo};
use test_support::{TestDatabase, redis_url, unique_prefix};
use tower::ServiceExt;
use web::{AppState, Metrics, WebConfig};

/// Where the app keeps sessions and rate limits in a test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backing {
    /// No Redis configured: sessions in the database, limits in process.
    Local,
    /// Redis configured.
    Redis,
}

pub const BACKINGS: [Backing; 2] = [Backing::Local, Backing::Redis];

pub struct TestApp {
    pub state: AppState,
    pub media: tempfile::TempDir,
}

/// One answer, read whole.
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
    /// The body as sent (images).
    pub bytes: Vec<u8>,
}

impl Reply {
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .unwrap_or_else(|| panic!("no {name} header in {:?}", self.headers))
            .to_str()
            .expect("header is text")
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).expect("body is JSON")
    }

    pub fn location(&self) -> &str {
        self.header("location")
    }

    /// The `value` of the first `<input … name="NAME" … value="…">` on the page.
    pub fn input_value(&self, name: &str) -> Option<String> {
        let at = self.body.find(&format!("name=\"{name}\""))?;
        let tag_start = self.body[..at].rfind('<')?;
        let tag_end = at + self.body[at..].find('>')?;
        let tag = &self.body[tag_start..tag_end];
        let start = tag.find("value=\"")? + "value=\"".len();
        let end = tag[start..].find('"')?;
        Some(tag[start..start + end].to_owned())
    }
}

impl TestApp {
    pub async fn new(tdb: &TestDatabase, backing: Backing) -> Self {
        Self::with_config(tdb, backing, WebConfig::default()).await
    }

    pub async fn with_config(tdb: &TestDatabase, backing: Backing, config: WebConfig) -> Self {
        Self::build(tdb, backing, config, None).await
    }

    /// An app whose photos go to `blobs` (the S3 server, a broken store …).
    pub async fn with_blobs(tdb: &TestDatabase, blobs: BlobStore) -> Self {
        Self::build(tdb, Backing::Local, WebConfig::default(), Some(blobs)).await
    }

    async fn build(
        tdb: &TestDatabase,
        backing: Backing,
        config: WebConfig,
        blobs: Option<BlobStore>,
    ) -> Self {
        let db = Db::open(&tdb.url, tdb.admin_url.as_deref(), &DbOptions::default())
            .await
            .expect("open database");
        let media = tempfile::tempdir().expect("media dir");
        let blobs = match blobs {
            Some(b) => b,
            None => BlobStore::local(media.path()).expect("media store"),
        };
        let redis = match backing {
            Backing::Local => None,
            Backing::Redis => Some(
                Redis::connect(&redis_url(), unique_prefix())
                    .await
                    .expect("Redis is reachable (scripts/test provides one)"),
            ),
        };
        let state = AppState {
            // Each app has its own upload folder, so a test can see what it leaves behind.
            services: Arc::new(Services::new(db, blobs, redis).with_uploads(
                service::photos::UploadSettings {
                    tmp_dir: media.path().join("uploads"),
                    ..service::photos::UploadSettings::default()
                },
            )),
            metrics: Arc::new(Metrics::new()),
            config: Arc::new(config),
        };
        Self { state, media }
    }

    /// Another app over the same services (a restarted process: same database and storage).
    pub async fn with_services(services: Services) -> Self {
        Self {
            state: AppState {
                services: Arc::new(services),
                metrics: Arc::new(Metrics::new()),
                config: Arc::new(WebConfig::default()),
            },
            media: tempfile::tempdir().expect("media dir"),
        }
    }

    pub async fn send(&self, req: Request<Body>) -> Reply {
        let res = web::router(self.state.clone())
            .oneshot(req)
            .await
            .expect("router is infallible");
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = res
            .into_body()
            .collect()
            .await
            .expect("body reads")
            .to_bytes();
        Reply {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
            bytes: bytes.to_vec(),
        }
    }

    pub async fn get(&self, uri: &str) -> Reply {
        self.send(Request::get(uri).body(Body::empty()).expect("request"))
            .await
    }

    /// A browser with its own cookies, talking to this app from `ip`.
    pub fn browser(&self, ip: &str) -> Browser<'_> {
        Browser {
            app: self,
            cookies: Mutex::new(BTreeMap::new()),
            ip: format!("{ip}:40000").parse().expect("an IP"),
        }
    }
}

/// A cookie jar and an address: enough of a browser for the server's point of view.
pub struct Browser<'a> {
    app: &'a TestApp,
    pub cookies: Mutex<BTreeMap<String, String>>,
    ip: SocketAddr,
}

impl Browser<'_> {
    fn cookie_header(&self) -> String {
        self.cookies
            .lock()
            .expect("jar")
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn remember(&self, reply: &Reply) {
        let mut jar = self.cookies.lock().expect("jar");
        for v in reply.headers.get_all(header::SET_COOKIE) {
            let v = v.to_str().expect("cookie text");
            let (pair, attrs) = v.split_once(';').unwrap_or((v, ""));
            let (name, value) = pair.split_once('=').expect("name=value");
            if attrs.contains("Max-Age=0") || value.is_empty() {
                jar.remove(name);
            } else {
                jar.insert(name.to_owned(), value.to_owned());
            }
        }
    }

    pub fn cookie(&self, name: &str) -> Option<String> {
        self.cookies.lock().expect("jar").get(name).cloned()
    }

    pub fn set_cookie(&self, name: &str, value: &str) {
        self.cookies
            .lock()
            .expect("jar")
            .insert(name.to_owned(), value.to_owned());
    }

    pub async fn request(&self, mut req: Request<Body>) -> Reply {
        let cookies = self.cookie_header();
        if !cookies.is_empty() {
            req.headers_mut()
                .insert(header::COOKIE, cookies.parse().expect("cookie header"));
        }
        req.extensions_mut().insert(ConnectInfo(self.ip));
        let reply = self.app.send(req).await;
        self.remember(&reply);
        reply
    }

    pub async fn get(&self, uri: &str) -> Reply {
        self.request(Request::get(uri).body(Body::empty()).expect("request"))
            .await
    }

    /// Posts a form as a same-origin page would (with `Origin` and `Sec-Fetch-Site`).
    pub async fn post(&self, uri: &str, fields: &[(&str, &str)]) -> Reply {
        let body = serde_urlencoded::to_string(fields).expect("form encodes");
        // The page's own origin: the public URL when one is set.
        let origin = self
            .app
            .state
            .config
            .public_url
            .as_deref()
            .map_or("http://localhost", |u| u.trim_end_matches('/'));
        self.request(
            Request::post(uri)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header(header::HOST, "localhost")
                .header(header::ORIGIN, origin)
                .header("sec-fetch-site", "same-origin")
                .body(Body::from(body))
                .expect("request"),
        )
        .await
    }

    /// Sends JSON to the API as a script would (no Origin header); `None` sends no body.
    pub async fn json(&self, method: &str, uri: &str, body: Option<serde_json::Value>) -> Reply {
        let builder = Request::builder().method(method).uri(uri);
        let req = match body {
            Some(v) => builder
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(v.to_string())),
            None => builder.body(Body::empty()),
        };
        self.request(req.expect("request")).await
    }

    /// Loads `page`, then posts `fields` to `action` with the page's form token.
    pub async fn submit(&self, page: &str, action: &str, fields: &[(&str, &str)]) -> Reply {
        let form = self.get(page).await;
        let token = form
            .input_value("csrf_token")
            .unwrap_or_else(|| panic!("{page} has a form token: {}", form.body));
        let mut all = vec![("csrf_token", token.as_str())];
        all.extend_from_slice(fields);
        self.post(action, &all).await
    }

    /// Signs up a new host with a fresh organization; returns the email used.
    pub async fn register(&self, name: &str, org: &str) -> String {
        let email = format!("{}@example.com", uuid::Uuid::new_v4().simple());
        let r = self
            .submit(
                "/register",
                "/register",
                &[
                    ("name", name),
                    ("email", &email),
                    ("password", STRONG_PASSWORD),
                    ("org_name", org),
                ],
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::SEE_OTHER,
            "sign-up failed: {}",
            r.body
        );
        email
    }

    pub async fn login(&self, email: &str, password: &str) -> Reply {
        self.submit(
            "/login",
            "/login",
            &[("email", email), ("password", password)],
        )
        .await
    }
}

/// The S3 server scripts/test provides (Garage). Missing is a failure, never a skip.
pub fn test_s3() -> media::S3Config {
    let var = |name: &str| {
        std::env::var(name).unwrap_or_else(|_| {
            panic!("{name} is not set: run the tests with scripts/test, which starts an S3 server")
        })
    };
    let endpoint = var("MOMENTIQUE_TEST_S3_ENDPOINT");
    media::S3Config {
        allow_http: endpoint.starts_with("http://"),
        endpoint: Some(endpoint),
        bucket: var("MOMENTIQUE_TEST_S3_BUCKET"),
        region: var("MOMENTIQUE_TEST_S3_REGION"),
        access_key_id: var("MOMENTIQUE_TEST_S3_ACCESS_KEY_ID"),
        secret_access_key: var("MOMENTIQUE_TEST_S3_SECRET_ACCESS_KEY"),
        path_style: true,
    }
}

/// Runs the processing job for a photo, as a worker would.
pub async fn process(app: &TestApp, tenant: domain::TenantId, photo: &str) {
    use jobs::Handler;
    let handler = service::photos::ProcessPhotoHandler::new(&app.state.services);
    let ctx = jobs::JobContext {
        id: domain::JobId::new(),
        tenant: Some(tenant),
        attempt: 1,
        max_attempts: 8,
    };
    let photo: domain::PhotoId = photo.parse().expect("a photo id");
    handler
        .run(service::photos::ProcessPhoto { tenant, photo }, &ctx)
        .await
        .expect("processing runs");
}

/// A host with a live event; returns (event id, join path).
pub async fn live_event(host: &Browser<'_>, settings: Value) -> (String, String) {
    let r = host
        .json(
            "POST",
            "/api/v1/events",
            Some(json!({
                "name": "Anna & Ben", "time_zone": "UTC",
                "starts_at": "2026-06-20T14:00", "ends_at": "2027-06-21T02:00",
                "settings": settings,
            })),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let v = r.json();
    let id = v["id"].as_str().expect("id").to_owned();
    set_status(host, &id, "live").await;
    let url = v["join_url"].as_str().expect("url");
    (id, url[url.find("/j/").expect("join path")..].to_owned())
}

pub async fn set_status(host: &Browser<'_>, id: &str, to: &str) {
    let r = host
        .json(
            "POST",
            &format!("/api/v1/events/{id}/status"),
            Some(json!({"to": to})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
}

/// Scans the code and joins with `name`; returns the guest page's path.
pub async fn join(guest: &Browser<'_>, link: &str, name: &str) -> Reply {
    guest.submit(link, link, &[("name", name)]).await
}

/// The organization the browser's member works in.
pub async fn tenant_of(b: &Browser<'_>) -> domain::TenantId {
    let v = b.get("/api/v1/me").await.json();
    v["organization"]["id"]
        .as_str()
        .expect("org id")
        .parse()
        .expect("tenant id")
}

pub const STRONG_PASSWORD: &str = "violet-harbour-42";

/// A small JPEG whose bytes depend on `seed` (so each upload is a different photo).
pub fn jpeg(w: u32, h: u32, seed: u8) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([seed, (x % 256) as u8, (y % 256) as u8])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut out, image::ImageFormat::Jpeg)
        .expect("encode a JPEG");
    out.into_inner()
}

/// A person added to `tenant` with `role` (as an invitation will do), logged in.
pub async fn member_with_role<'a>(app: &'a TestApp, tenant: TenantId, role: Role) -> Browser<'a> {
    let now = domain::time::now();
    let email = format!("{}@example.com", uuid::Uuid::new_v4().simple());
    let user = User {
        id: domain::UserId::new(),
        email: domain::Email::parse(&email).expect("email"),
        name: domain::PersonName::parse(&format!("The {role}")).expect("name"),
        password_hash: Some(
            service::accounts::hash_password(STRONG_PASSWORD)
                .await
                .expect("hash"),
        ),
        email_verified_at: Some(now),
        created_at: now,
        updated_at: now,
    };
    let db = &app.state.services.db;
    let mut tx = db.begin(Scope::Tenant(tenant)).await.expect("tx");
    tx.insert_user(&user).await.expect("user");
    tx.insert_membership(tenant, &Membership::new(tenant, user.id, role, now))
        .await
        .expect("membership");
    tx.commit().await.expect("commit");
    let b = app.browser(&format!("203.0.113.{}", 100 + role as u8));
    let r = b.login(&email, STRONG_PASSWORD).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "login: {}", r.body);
    let me = b.get("/api/v1/me").await.json();
    assert_eq!(me["role"], role.as_str());
    b
}

/// Mail for a test: a worker that runs the app's `mail.send` jobs through the real SMTP server
/// scripts/test provides (aiosmtpd), and the Maildir it delivers into. Stops when dropped.
pub struct Mailbox {
    maildir: std::path::PathBuf,
    stop: tokio::sync::watch::Sender<bool>,
    _outbox: tempfile::TempDir,
}

impl Mailbox {
    pub fn start(app: &TestApp) -> Self {
        let (url, maildir) = test_support::smtp();
        let outbox = tempfile::tempdir().expect("outbox dir");
        let mailer = mail::Mailer::new(&mail::MailConfig {
            smtp_url: Some(url),
            from: "Momentique <noreply@momentique.test>".into(),
            outbox_dir: outbox.path().to_owned(),
        })
        .expect("a mailer for the test SMTP server");
        let mut registry = jobs::Registry::new();
        registry.register::<service::mail::SendMail, _>(service::mail::SendMailHandler { mailer });
        let worker = jobs::Worker::new(
            app.state.services.db.clone(),
            registry,
            jobs::WorkerConfig {
                poll_interval: std::time::Duration::from_millis(50),
                base_backoff: std::time::Duration::from_millis(200),
                max_backoff: std::time::Duration::from_secs(1),
                ..jobs::WorkerConfig::default()
            },
            jobs::JobMetrics::default(),
        );
        let (stop, rx) = tokio::sync::watch::channel(false);
        tokio::spawn(worker.run(rx));
        Self {
            maildir,
            stop,
            _outbox: outbox,
        }
    }

    /// The next mail to `to` (one not returned before), delivered by the SMTP server.
    pub async fn wait_for(&self, to: &str) -> test_support::ReceivedMail {
        test_support::wait_for_mail(&self.maildir, to, std::time::Duration::from_secs(20)).await
    }

    /// No further mail to `to` arrives within two seconds.
    pub async fn expect_none(&self, to: &str) {
        let more = tokio::time::timeout(
            std::time::Duration::from_secs(2),
            test_support::wait_for_mail(&self.maildir, to, std::time::Duration::from_secs(60)),
        )
        .await;
        if let Ok(mail) = more {
            panic!("an unexpected mail to {to}: {}", mail.subject);
        }
    }
}

impl Drop for Mailbox {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

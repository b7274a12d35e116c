//! `momentique bench gallery-http`: an event of N photos behind the real `serve`, read over
//! HTTP by many clients at once, on SQLite and on PostgreSQL.
//!
//! The event is filled through the store (one real photo processed once, its rows copied N
//! times), the server is this binary started as a child process, a guest joins through the
//! join form, and the guest gallery page and the gallery JSON (`/api/v1/events/{id}/photos`,
//! a member's session) are driven at several connection counts, on page 1 and deep in (keyset
//! cursor). With `wrk` on PATH it drives the load; otherwise (or with `--client own`) a small
//! client of our own (hyper, one connection per task).

use std::io::{Read as _, Write as _};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use http_body_util::BodyExt as _;
use sqlx::{Connection as _, Executor as _};

/// The options of `bench gallery-http`.
#[derive(Debug, clap::Args)]
pub struct GalleryHttpArgs {
    /// How many photos the event has.
    #[arg(long, default_value_t = 100_000)]
    pub photos: u32,
    /// A processed photo is copied into every row: this one (JPEG, PNG, WebP or HEIC).
    #[arg(
        long,
        default_value = "../shared/testdata/photos/real_dragonfly_13mp.jpg"
    )]
    pub photo: PathBuf,
    /// Which backends to run, comma-separated: sqlite, postgres.
    #[arg(long, default_value = "sqlite,postgres")]
    pub backends: String,
    /// The PostgreSQL server (a superuser): a fresh database is created there and dropped after.
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432")]
    pub postgres_url: String,
    /// Connection counts to measure, comma-separated.
    #[arg(long, default_value = "2,16")]
    pub connections: String,
    /// Seconds per measurement (after one second of warm-up).
    #[arg(long, default_value_t = 8)]
    pub seconds: u64,
    /// The deep page to measure besides page 1.
    #[arg(long, default_value_t = 2_000)]
    pub deep_page: u32,
    /// The load client: auto (wrk when on PATH), wrk, or own.
    #[arg(long, default_value = "auto")]
    pub client: String,
    /// The Accept-Encoding the clients send (a phone's browser sends this one); "identity"
    /// for uncompressed answers.
    #[arg(long, default_value = "gzip, deflate, br")]
    pub accept_encoding: String,
    /// The binary to start as the server (default: this one), to compare two builds with
    /// one client.
    #[arg(long)]
    pub server_binary: Option<PathBuf>,
    /// Keep the databases (and the SQLite folder) afterwards, to look at query plans.
    #[arg(long)]
    pub keep: bool,
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

const PAGE: u32 = 48;

pub fn run(args: &GalleryHttpArgs) -> Result<(), BoxError> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(gallery_http(args))
}

/// What the load is pointed at: one URL with the cookie that opens it.
#[derive(Clone)]
struct Target {
    label: String,
    url: String,
    cookie: String,
    accept_encoding: String,
}

/// One measurement's figures.
struct Figures {
    requests: u64,
    secs: f64,
    p50_ms: f64,
    p99_ms: f64,
    errors: u64,
    bytes_per_response: f64,
}

#[expect(clippy::print_stdout, reason = "a benchmark prints its figures")]
async fn gallery_http(args: &GalleryHttpArgs) -> Result<(), BoxError> {
    let photo = std::fs::read(&args.photo).map_err(|e| {
        format!(
            "cannot read the photo {} (--photo): {e}",
            args.photo.display()
        )
    })?;
    let started = Instant::now();
    let processed = tokio::task::spawn_blocking(move || {
        media::pipeline::process(&photo, &media::pipeline::Limits::default())
    })
    .await??;
    println!(
        "momentique bench gallery-http: {} photos (copies of {}, processed in {:.0} ms), {} s per figure",
        args.photos,
        args.photo.display(),
        started.elapsed().as_secs_f64() * 1000.0,
        args.seconds
    );
    let use_wrk = match args.client.as_str() {
        "wrk" => true,
        "own" => false,
        _ => which("wrk"),
    };
    println!(
        "Accept-Encoding: {}; load client: {}; {}",
        args.accept_encoding,
        if use_wrk {
            "wrk (Debian)"
        } else {
            "own (hyper, one connection per task)"
        },
        load_line()
    );
    let connections: Vec<u32> = args
        .connections
        .split(',')
        .filter_map(|c| c.trim().parse().ok())
        .filter(|&c| c > 0)
        .collect();
    for backend in args.backends.split(',').map(str::trim) {
        let db = match backend {
            "sqlite" => BenchDb::sqlite()?,
            "postgres" => BenchDb::postgres(&args.postgres_url).await?,
            other => return Err(format!("unknown backend {other:?}").into()),
        };
        let result = run_backend(args, &db, &processed, use_wrk, &connections).await;
        if args.keep {
            println!("kept: {} (admin: {:?})", db.url, db.admin_url);
            std::mem::forget(db);
        } else {
            db.drop_database(&args.postgres_url).await;
        }
        result?;
    }
    Ok(())
}

/// A fresh database for one run, and the folder for its media and upload files.
pub(crate) struct BenchDb {
    pub url: String,
    pub admin_url: Option<String>,
    pub pg_name: Option<String>,
    pub dir: tempfile::TempDir,
}

impl BenchDb {
    pub fn sqlite() -> Result<Self, BoxError> {
        let dir = tempfile::tempdir()?;
        Ok(Self {
            url: format!("sqlite://{}/bench.db", dir.path().display()),
            admin_url: None,
            pg_name: None,
            dir,
        })
    }

    /// A new database on `server` (a superuser's URL without a database), owned by that user,
    /// used by the app through a role without BYPASSRLS (as in production, so that the
    /// row-level security policies cost what they cost there).
    pub async fn postgres(server: &str) -> Result<Self, BoxError> {
        const ROLE: &str = "momentique_bench_app";
        let base = server.trim_end_matches('/');
        let (scheme_user, host) = base
            .rsplit_once('@')
            .ok_or("--postgres-url must look like postgres://USER@HOST:PORT")?;
        let host = host.split('/').next().unwrap_or(host);
        let admin_server = format!("{scheme_user}@{host}");
        let mut conn = sqlx::PgConnection::connect(&format!("{admin_server}/postgres")).await?;
        let name = format!(
            "momentique_bench_{}_{}",
            std::process::id(),
            domain::time::now().timestamp_micros()
        );
        conn.execute(sqlx::AssertSqlSafe(format!(
            "DO $$ BEGIN CREATE ROLE {ROLE} LOGIN NOSUPERUSER NOBYPASSRLS; \
             EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$"
        )))
        .await?;
        conn.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .await?;
        let _ = conn.close().await;
        let scheme = scheme_user.split("//").next().unwrap_or("postgres:");
        Ok(Self {
            url: format!("{scheme}//{ROLE}@{host}/{name}"),
            admin_url: Some(format!("{admin_server}/{name}")),
            pg_name: Some(name),
            dir: tempfile::tempdir()?,
        })
    }

    pub fn backend(&self) -> &'static str {
        if self.pg_name.is_some() {
            "postgres"
        } else {
            "sqlite"
        }
    }

    pub async fn drop_database(&self, server: &str) {
        let Some(name) = &self.pg_name else {
            return;
        };
        let base = server.trim_end_matches('/');
        let Some((scheme_user, host)) = base.rsplit_once('@') else {
            return;
        };
        let host = host.split('/').next().unwrap_or(host);
        if let Ok(mut conn) =
            sqlx::PgConnection::connect(&format!("{scheme_user}@{host}/postgres")).await
        {
            let _ = conn
                .execute(sqlx::AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                )))
                .await;
            let _ = conn.close().await;
        }
    }

    pub fn media_dir(&self) -> PathBuf {
        self.dir.path().join("media")
    }
}

/// A random secret key, as 64 hex characters, shared by the bench and the server it starts.
pub(crate) fn secret_hex() -> Result<String, BoxError> {
    let mut bytes = [0u8; 32];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut bytes)?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// The services the server will have, opened in this process to set the event up.
pub(crate) async fn open_services(
    db: &BenchDb,
    secret: &str,
) -> Result<service::Services, BoxError> {
    open_services_with(db, secret, None).await
}

/// [`open_services`] with Redis (sessions and the bus then go through it, as in the server).
pub(crate) async fn open_services_with(
    db: &BenchDb,
    secret: &str,
    redis: Option<store::Redis>,
) -> Result<service::Services, BoxError> {
    let store_db = store::Db::open(
        &db.url,
        db.admin_url.as_deref(),
        &store::DbOptions::default(),
    )
    .await?;
    let blobs = media::BlobStore::local(&db.media_dir())?;
    Ok(service::Services::new(store_db, blobs, redis)
        .with_secret(service::secrets::SecretKey::from_hex(secret)?))
}

/// An organization with an owner (and their session token) and one live event.
pub(crate) struct BenchEvent {
    pub tenant: domain::TenantId,
    pub event: store::Event,
    pub join_token: String,
    pub member_token: String,
    /// The session's form token (CSRF), for posting the members' forms.
    pub member_csrf: String,
    pub owner: domain::UserId,
}

pub(crate) async fn create_event(
    services: &service::Services,
    input: service::events::EventInput,
) -> Result<BenchEvent, BoxError> {
    let now = domain::time::now();
    let account = service::accounts::register(
        services,
        &service::accounts::Registration {
            name: "Bench Host",
            email: "bench-host@example.com",
            password: "a long bench password 4 the host",
            org_name: "Bench Organization",
            base_url: "http://127.0.0.1:8080",
        },
        now,
    )
    .await
    .map_err(|e| format!("sign-up: {e:?}"))?;
    let session =
        service::accounts::start_session(&services.sessions, &account, "momentique bench", now)
            .await?;
    let ctx = services.member_ctx(account.tenant.id, account.user.id, account.role);
    let event = service::events::create_event(services, &ctx, &input)
        .await
        .map_err(|e| format!("create event: {e:?}"))?;
    let event = service::events::change_status(services, &ctx, event.id, domain::EventStatus::Live)
        .await
        .map_err(|e| format!("go live: {e:?}"))?;
    Ok(BenchEvent {
        tenant: account.tenant.id,
        join_token: service::events::join_token(&services.secret, &event),
        event,
        member_token: session.token,
        member_csrf: session.record.csrf_token,
        owner: account.user.id,
    })
}

fn event_input(now: chrono::DateTime<chrono::Utc>) -> service::events::EventInput {
    let at = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%dT%H:%M").to_string();
    service::events::EventInput {
        name: "Bench Festival".into(),
        starts_at: at(now - chrono::Duration::hours(1)),
        ends_at: at(now + chrono::Duration::hours(240)),
        ..service::events::EventInput::new_event("UTC")
    }
}

/// Stores the renditions of `processed` once and inserts `n` rows in `status` that copy them,
/// 5,000 to a transaction. Returns the rows' (created_at, id), oldest first.
pub(crate) async fn fill_event(
    services: &service::Services,
    e: &BenchEvent,
    processed: &media::pipeline::Processed,
    n: u32,
    status: domain::PhotoStatus,
) -> Result<Vec<(chrono::DateTime<chrono::Utc>, domain::PhotoId)>, BoxError> {
    use store::PhotoRepo as _;
    let tenant = e.tenant;
    let event = e.event.id;
    let first = domain::PhotoId::new();
    let mut stored = Vec::new();
    for r in &processed.renditions {
        let key = format!(
            "{tenant}/{event}/{first}/{}-{}.webp",
            "0".repeat(16),
            r.max_edge
        );
        services
            .blobs
            .put(&key, bytes_of(&r.webp))
            .await
            .map_err(|e| format!("store a rendition: {e}"))?;
        stored.push((r.max_edge, r.width, r.height, r.webp.len() as u64));
    }
    // Spread over the hours of a party, newest last, a few per second at the peak.
    let start = domain::time::now() - chrono::Duration::milliseconds(i64::from(n) * 2_000);
    let mut rows = Vec::with_capacity(n as usize);
    let mut done = 0u32;
    while done < n {
        let batch = (n - done).min(5_000);
        let mut tx = services.db.begin(store::Scope::Tenant(tenant)).await?;
        for i in done..done + batch {
            let id = if i == 0 {
                first
            } else {
                domain::PhotoId::new()
            };
            let created_at = start + chrono::Duration::milliseconds(i64::from(i) * 2_000);
            // Each row has keys and a placeholder of its own, as real photos do (so that the
            // page weighs, compresses and costs what a real one does); only the first row's
            // files exist, which the gallery never reads.
            let dir = format!("{tenant}/{event}/{id}");
            let placeholder = vary_placeholder(&processed.placeholder, i);
            tx.insert_photo(
                tenant,
                &store::Photo {
                    id,
                    tenant_id: tenant,
                    event_id: event,
                    uploaded_by: None,
                    guest_id: None,
                    uploader_name: format!("Guest {}", i % 50),
                    sha256: format!("{i:064x}"),
                    kind: "jpeg".into(),
                    original_key: format!("{tenant}/{event}/{id}/original.jpg"),
                    original_bytes: 4_000_000,
                    status,
                    failure: None,
                    width: Some(processed.width),
                    height: Some(processed.height),
                    taken_at_local: None,
                    taken_offset: None,
                    camera_make: processed.meta.camera_make.clone(),
                    camera_model: processed.meta.camera_model.clone(),
                    lens: processed.meta.lens.clone(),
                    caption: None,
                    placeholder: Some(placeholder),
                    // Every row points at the one stored copy, under a key as long as a real
                    // one (tenant/event/photo/hash-size.webp).
                    renditions: stored
                        .iter()
                        .map(|&(max_edge, width, height, bytes)| store::StoredRendition {
                            max_edge,
                            width,
                            height,
                            key: format!("{dir}/{}-{max_edge}.webp", "0".repeat(16)),
                            bytes,
                        })
                        .collect(),
                    storage_bytes: 4_000_000 + stored.iter().map(|s| s.3 as i64).sum::<i64>(),
                    created_at,
                    processed_at: Some(created_at),
                    reaction_count: 0,
                    on_wall_at: None,
                },
            )
            .await?;
            rows.push((created_at, id));
        }
        tx.commit().await?;
        done += batch;
    }
    Ok(rows)
}

/// The thumbhash with its last two bytes (fine detail) replaced by `i`: a valid hash, a
/// slightly different picture, 65,536 of them.
fn vary_placeholder(b64: &str, i: u32) -> String {
    use base64::Engine as _;
    let engine = base64::engine::general_purpose::STANDARD;
    let Ok(mut hash) = engine.decode(b64) else {
        return b64.to_owned();
    };
    let n = hash.len();
    if n >= 2 {
        hash[n - 1] = (i & 0xff) as u8;
        hash[n - 2] = ((i >> 8) & 0xff) as u8;
    }
    engine.encode(hash)
}

fn bytes_of(v: &[u8]) -> bytes::Bytes {
    bytes::Bytes::copy_from_slice(v)
}

/// A `serve` child process on a free port; stopped (SIGTERM) when dropped.
pub(crate) struct Server {
    pub child: Child,
    pub port: u16,
}

impl Server {
    pub fn start(
        binary: Option<&std::path::Path>,
        db: &BenchDb,
        secret: &str,
        extra_env: &[(&str, &str)],
    ) -> Result<Self, BoxError> {
        let exe = match binary {
            Some(b) => b.to_owned(),
            None => std::env::current_exe()?,
        };
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let mut cmd = Command::new(exe);
        cmd.arg("serve")
            .env("MOMENTIQUE_BIND", format!("127.0.0.1:{port}"))
            .env("MOMENTIQUE_PUBLIC_URL", format!("http://127.0.0.1:{port}"))
            .env("MOMENTIQUE_DATABASE_URL", &db.url)
            .env("MOMENTIQUE_SECRET_KEY", secret)
            .env("MOMENTIQUE_MEDIA_URL", db.media_dir())
            .env("MOMENTIQUE_UPLOAD_TMP_DIR", db.dir.path().join("uploads"))
            .env("MOMENTIQUE_LOG", "warn")
            .env_remove("MOMENTIQUE_REDIS_URL")
            .env_remove("MOMENTIQUE_CONFIG")
            .env_remove("MOMENTIQUE_DATABASE_ADMIN_URL")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit());
        if let Some(admin) = &db.admin_url {
            cmd.env("MOMENTIQUE_DATABASE_ADMIN_URL", admin);
        }
        for (k, v) in extra_env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn()?;
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) {
                let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
                let mut buf = [0u8; 16];
                if s.write_all(
                    b"GET /readyz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
                )
                .is_ok()
                    && s.read(&mut buf)
                        .is_ok_and(|n| buf[..n].starts_with(b"HTTP/1.1 200"))
                {
                    break;
                }
            }
            if let Ok(Some(status)) = child.try_wait() {
                return Err(format!("the server exited early: {status}").into());
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                return Err("the server did not become ready within 60 s".into());
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        Ok(Self { child, port })
    }

    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// User + system CPU seconds the server has used so far.
    pub fn cpu_secs(&self) -> f64 {
        cpu_secs_of(self.child.id())
    }

    /// How many threads the server has now.
    pub fn threads(&self) -> u64 {
        std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default()
            .lines()
            .find(|l| l.starts_with("Threads:"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    }

    /// Resident and peak resident memory in MiB.
    pub fn rss_mib(&self) -> (f64, f64) {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default();
        let field = |name: &str| {
            status
                .lines()
                .find(|l| l.starts_with(name))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|k| k.parse::<f64>().ok())
                .map_or(0.0, |kib| kib / 1024.0)
        };
        (field("VmRSS:"), field("VmHWM:"))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        stop_child(&mut self.child, Duration::from_secs(20));
    }
}

/// Stops a benchmark's server: SIGTERM, up to `grace` to exit by itself, then SIGKILL.
pub(crate) fn stop_child(child: &mut Child, grace: Duration) {
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status();
    let deadline = Instant::now() + grace;
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// utime + stime of a process, in seconds (Linux reports clock ticks of 1/100 s to users).
pub(crate) fn cpu_secs_of(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which is in parentheses and may hold spaces).
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = rest.split_whitespace().collect();
    let tick = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // utime and stime are fields 14 and 15 of the whole line: 12 and 13 after the name.
    (tick(11) + tick(12)) / 100.0
}

/// The 1-minute load average and the number of cores, for the record.
pub(crate) fn load_line() -> String {
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let cores = std::thread::available_parallelism().map_or(0, std::num::NonZero::get);
    format!(
        "load average {} on {cores} cores",
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    )
}

fn which(cmd: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|p| p.join(cmd).is_file()))
}

#[expect(clippy::print_stdout, reason = "a benchmark prints its figures")]
async fn run_backend(
    args: &GalleryHttpArgs,
    db: &BenchDb,
    processed: &media::pipeline::Processed,
    use_wrk: bool,
    connections: &[u32],
) -> Result<(), BoxError> {
    let secret = secret_hex()?;
    let services = open_services(db, &secret).await?;
    let e = create_event(&services, event_input(domain::time::now())).await?;
    let started = Instant::now();
    let rows = fill_event(
        &services,
        &e,
        processed,
        args.photos,
        domain::PhotoStatus::Published,
    )
    .await?;
    let fill_secs = started.elapsed().as_secs_f64();
    services.db.close().await;
    drop(services);
    println!(
        "\n{}: {} photo rows inserted in {fill_secs:.1} s ({:.0} rows/s)",
        db.backend(),
        rows.len(),
        rows.len() as f64 / fill_secs.max(1e-9)
    );

    let server = Server::start(args.server_binary.as_deref(), db, &secret, &[])?;
    let base = server.base();
    let guest_cookie = join_as_guest(&base, &e.join_token, e.event.id).await?;
    let member_cookie = format!(
        "{}={}",
        web::auth::session_cookie_name(false),
        e.member_token
    );

    // The deep page's cursor: the last photo of the page before it, newest first.
    let pages = (rows.len() as u32).div_ceil(PAGE).max(1);
    let deep = args.deep_page.clamp(1, pages);
    let event = e.event.id;
    let mut targets = Vec::new();
    for page in [1, deep] {
        let (gallery_q, json_q, first_on_page) = if page == 1 {
            (String::new(), String::new(), rows.last().map(|r| r.1))
        } else {
            let skip = ((page - 1) * PAGE) as usize;
            let (at, id) = rows[rows.len() - skip];
            let first = rows.get(rows.len() - skip - 1).map(|r| r.1);
            (
                // The cursors as the pages write them: reactions_micros_id, micros_id.
                format!("?before=0_{}_{id}", at.timestamp_micros()),
                format!("&before={}_{id}", at.timestamp_micros()),
                first,
            )
        };
        let gallery = Target {
            label: format!("gallery page {page:>5}"),
            url: format!("{base}/g/{event}/gallery{gallery_q}"),
            cookie: guest_cookie.clone(),
            accept_encoding: args.accept_encoding.clone(),
        };
        let json = Target {
            label: format!("gallery JSON {page:>5}"),
            url: format!("{base}/api/v1/events/{event}/photos?limit={PAGE}{json_q}"),
            cookie: member_cookie.clone(),
            accept_encoding: args.accept_encoding.clone(),
        };
        // Each target answers 200 and shows the page it was asked for (a cursor the server
        // did not understand would quietly give page 1).
        for t in [&gallery, &json] {
            let (status, body) = get_once(&t.url, &t.cookie).await?;
            let expected = first_on_page.map(|id| id.to_string()).unwrap_or_default();
            if status != 200 || !body.contains(&expected) {
                return Err(format!(
                    "{} answered {status} without its first photo {expected}: {}",
                    t.url,
                    body.chars().take(300).collect::<String>()
                )
                .into());
            }
            let (_, gzip) = get_encoded(&t.url, &t.cookie, "gzip").await?;
            let (_, br) = get_encoded(&t.url, &t.cookie, "br").await?;
            println!(
                "{}: {:.1} KB raw, {:.1} KB gzip, {:.1} KB brotli",
                t.label.trim(),
                body.len() as f64 / 1024.0,
                gzip.len() as f64 / 1024.0,
                br.len() as f64 / 1024.0
            );
        }
        targets.push(gallery);
        targets.push(json);
    }
    let (rss, _) = server.rss_mib();
    println!("server ready, RSS {rss:.0} MiB; {}", load_line());
    if args.keep {
        println!(
            "kept for a look: event {event}, secret {secret}, guest cookie {guest_cookie}, member cookie {member_cookie}"
        );
    }
    println!(
        "{:<20} {:>5} {:>9} {:>9} {:>9} {:>7} {:>11} {:>10}",
        "what", "conns", "req/s", "p50 ms", "p99 ms", "errors", "CPU ms/req", "KB/answer"
    );
    for t in &targets {
        for &c in connections {
            // Warm-up: connections open, caches filled.
            let _ = drive(use_wrk, t, c, Duration::from_secs(1)).await?;
            let cpu0 = server.cpu_secs();
            let f = drive(use_wrk, t, c, Duration::from_secs(args.seconds)).await?;
            let cpu = server.cpu_secs() - cpu0;
            println!(
                "{:<20} {:>5} {:>9.0} {:>9.2} {:>9.2} {:>7} {:>11.2} {:>10.1}",
                t.label,
                c,
                f.requests as f64 / f.secs,
                f.p50_ms,
                f.p99_ms,
                f.errors,
                cpu * 1000.0 / (f.requests.max(1) as f64),
                f.bytes_per_response / 1024.0
            );
        }
    }
    let (rss, peak) = server.rss_mib();
    println!("server RSS after the runs {rss:.0} MiB (peak {peak:.0} MiB)");
    drop(server);
    Ok(())
}

/// Joins the event through its join form and returns the guest's cookie (`name=value`).
pub(crate) async fn join_as_guest(
    base: &str,
    token: &str,
    event: domain::EventId,
) -> Result<String, BoxError> {
    let name = format!("{}=", service::guests::cookie_name(event, false));
    let client = client();
    let res = client
        .request(
            http::Request::get(format!("{base}/j/{token}")).body(http_body_util::Full::default())?,
        )
        .await?;
    let anon = cookies_of(&res);
    let body = String::from_utf8_lossy(&res.into_body().collect().await?.to_bytes()).into_owned();
    let csrf = body
        .split("name=\"csrf_token\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .ok_or("the join page has no csrf field")?
        .to_owned();
    let form = format!("csrf_token={csrf}&name=Bench+Guest");
    let res = client
        .request(
            http::Request::post(format!("{base}/j/{token}"))
                .header(http::header::COOKIE, anon.join("; "))
                .header(http::header::ORIGIN, base)
                .header(
                    http::header::CONTENT_TYPE,
                    "application/x-www-form-urlencoded",
                )
                .body(http_body_util::Full::new(bytes::Bytes::from(form)))?,
        )
        .await?;
    let status = res.status();
    let guest = cookies_of(&res)
        .into_iter()
        .find(|c| c.starts_with(&name))
        .ok_or_else(|| format!("joining answered {status} without a guest cookie"))?;
    Ok(guest)
}

fn cookies_of<B>(res: &http::Response<B>) -> Vec<String> {
    res.headers()
        .get_all(http::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .map(str::to_owned)
        .collect()
}

pub(crate) type Client = hyper_util::client::legacy::Client<
    hyper_util::client::legacy::connect::HttpConnector,
    http_body_util::Full<bytes::Bytes>,
>;

pub(crate) fn client() -> Client {
    hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new()).build_http()
}

async fn get_once(url: &str, cookie: &str) -> Result<(u16, String), BoxError> {
    let (status, body) = get_encoded(url, cookie, "identity").await?;
    Ok((status, String::from_utf8_lossy(&body).into_owned()))
}

async fn get_encoded(
    url: &str,
    cookie: &str,
    encoding: &str,
) -> Result<(u16, bytes::Bytes), BoxError> {
    let res = client()
        .request(
            http::Request::get(url)
                .header(http::header::COOKIE, cookie)
                .header(http::header::ACCEPT_ENCODING, encoding)
                .body(http_body_util::Full::default())?,
        )
        .await?;
    let status = res.status().as_u16();
    let body = res.into_body().collect().await?.to_bytes();
    Ok((status, body))
}

async fn drive(
    use_wrk: bool,
    t: &Target,
    connections: u32,
    time: Duration,
) -> Result<Figures, BoxError> {
    if use_wrk {
        let t = t.clone();
        tokio::task::spawn_blocking(move || wrk(&t, connections, time)).await?
    } else {
        own_client(t, connections, time).await
    }
}

/// Runs wrk and reads its report (`--latency` for the percentiles).
fn wrk(t: &Target, connections: u32, time: Duration) -> Result<Figures, BoxError> {
    let threads = connections.min(2);
    let out = Command::new("wrk")
        .arg(format!("-t{threads}"))
        .arg(format!("-c{connections}"))
        .arg(format!("-d{}s", time.as_secs().max(1)))
        .arg("--timeout")
        .arg("10s")
        .arg("--latency")
        .arg("-H")
        .arg(format!("Cookie: {}", t.cookie))
        .arg("-H")
        .arg(format!("Accept-Encoding: {}", t.accept_encoding))
        .arg(&t.url)
        .output()?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    if !out.status.success() {
        return Err(format!("wrk failed: {text}{}", String::from_utf8_lossy(&out.stderr)).into());
    }
    let ms = |s: &str| -> f64 {
        let s = s.trim();
        let (num, unit) = s.split_at(s.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(s.len()));
        let v: f64 = num.parse().unwrap_or(f64::NAN);
        match unit {
            "us" => v / 1000.0,
            "s" => v * 1000.0,
            "m" => v * 60_000.0,
            _ => v,
        }
    };
    let line_after = |prefix: &str| {
        text.lines()
            .map(str::trim)
            .find(|l| l.starts_with(prefix))
            .map(|l| l[prefix.len()..].trim().to_owned())
    };
    let (requests, secs, bytes) = text
        .lines()
        .find(|l| l.contains(" requests in "))
        .and_then(|l| {
            // "  123 requests in 8.00s, 1.23MB read"
            let mut w = l.split_whitespace();
            let n: u64 = w.next()?.parse().ok()?;
            let secs = ms(w.nth(2)?.trim_end_matches(',')) / 1000.0;
            let read = w.next()?;
            let (num, unit) = read.split_at(read.find(|c: char| c.is_ascii_alphabetic())?);
            let mul = match unit {
                "KB" => 1024.0,
                "MB" => 1024.0 * 1024.0,
                "GB" => 1024.0 * 1024.0 * 1024.0,
                _ => 1.0,
            };
            Some((n, secs, num.parse::<f64>().ok()? * mul))
        })
        .ok_or_else(|| format!("cannot read wrk's report: {text}"))?;
    let non2xx: u64 = line_after("Non-2xx or 3xx responses:")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let socket: u64 = line_after("Socket errors:")
        .map(|v| {
            v.split(',')
                .filter_map(|p| p.split_whitespace().last()?.parse::<u64>().ok())
                .sum()
        })
        .unwrap_or(0);
    Ok(Figures {
        requests,
        secs,
        p50_ms: line_after("50%").map_or(f64::NAN, |v| ms(&v)),
        p99_ms: line_after("99%").map_or(f64::NAN, |v| ms(&v)),
        errors: non2xx + socket,
        bytes_per_response: bytes / requests.max(1) as f64,
    })
}

/// `connections` tasks, each with its own keep-alive connection, asking one after another
/// until `time` is up. Every answer is read to the end; not-2xx and failures count as errors.
async fn own_client(t: &Target, connections: u32, time: Duration) -> Result<Figures, BoxError> {
    let t = Arc::new(t.clone());
    let started = Instant::now();
    let until = started + time;
    let mut tasks = Vec::new();
    for _ in 0..connections {
        let t = t.clone();
        tasks.push(tokio::spawn(async move {
            // One connection per task: a pool of one.
            let client: Client =
                hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
                    .pool_max_idle_per_host(1)
                    .build_http();
            let (mut lat, mut errors, mut bytes) = (Vec::new(), 0u64, 0u64);
            while Instant::now() < until {
                let t0 = Instant::now();
                let req = http::Request::get(t.url.as_str())
                    .header(http::header::COOKIE, t.cookie.as_str())
                    .header(http::header::ACCEPT_ENCODING, t.accept_encoding.as_str())
                    .body(http_body_util::Full::default());
                let Ok(req) = req else {
                    errors += 1;
                    continue;
                };
                match tokio::time::timeout(Duration::from_secs(10), async {
                    let res = client.request(req).await?;
                    let ok = res.status().is_success();
                    let body = res.into_body().collect().await?.to_bytes();
                    Ok::<_, BoxError>((ok, body.len()))
                })
                .await
                {
                    Ok(Ok((ok, n))) => {
                        lat.push(t0.elapsed().as_micros() as u64);
                        bytes += n as u64;
                        if !ok {
                            errors += 1;
                        }
                    }
                    _ => errors += 1,
                }
            }
            (lat, errors, bytes)
        }));
    }
    let (mut lat, mut errors, mut bytes) = (Vec::new(), 0u64, 0u64);
    for task in tasks {
        let (l, e, b) = task.await?;
        lat.extend(l);
        errors += e;
        bytes += b;
    }
    let secs = started.elapsed().as_secs_f64();
    lat.sort_unstable();
    let pct = |p: f64| {
        lat.get(((lat.len() as f64 * p) as usize).min(lat.len().saturating_sub(1)))
            .map_or(f64::NAN, |&us| us as f64 / 1000.0)
    };
    Ok(Figures {
        requests: lat.len() as u64,
        secs,
        p50_ms: pct(0.50),
        p99_ms: pct(0.99),
        errors,
        bytes_per_response: bytes as f64 / lat.len().max(1) as f64,
    })
}

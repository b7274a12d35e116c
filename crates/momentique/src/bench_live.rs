//! `momentique bench live`: N projector walls (WebSocket viewers, default 5,000) on one event
//! while one photo a second is published for 30 s, against Momentique's real `serve` and the
//! socket.io 4.8 baseline (`../shared/bench/socketio`), one after the other in the same run,
//! with the same load client (issue 13, "Benchmark"; docs/LIVE.md is the protocol).
//!
//! - socket.io: its `run PORT` script (it installs socket.io once into a cache folder, never
//!   into the shared one); the viewers speak Engine.IO 4 (`40` to join, `3` to each ping `2`),
//!   and `POST /burst` emits the photos; latency = receipt − the message's `sched` (both
//!   CLOCK_MONOTONIC on this machine).
//! - Momentique: this binary's `serve` (or `--server-binary`) on a fresh SQLite or PostgreSQL
//!   database, filled through the store: an event whose moderation is "approve", with photos
//!   waiting for approval, and one wall. The viewers open `ws://ADDR/w/{token}/live` with the
//!   site's `Origin`. Each second one photo is approved through the real path (store, feed,
//!   bus, sockets): by default as a member posting the moderation page's form to the server
//!   (the ring is then in the server's own process); with `--redis` the bench runs the use case
//!   itself (`service::moderation::moderate`) and the ring reaches the server through Redis.
//!   Latency = receipt of `photo.published` − the moment the publish began (the request sent,
//!   or the use case called).
//!
//! Printed per server: viewers connected, photo messages delivered / expected, p50 / p99 /
//! max delivery latency, the server's CPU (utime + stime from /proc/PID/stat) over the
//! publishing window per delivered message, its memory per connection ((VmRSS with N viewers −
//! VmRSS before) / N), and the ratios Momentique / socket.io. Targets: p99 ≤ 50 ms,
//! CPU per delivery ≤ 0.5 × socket.io's, ≤ 10 KB per connection.
//!
//! The load client shares the machine's cores with the server: on 2 cores its own work on a
//! burst of 5,000 frames is part of every latency (the same for both servers). `--pin-server
//! CPU` pins both servers to that core (taskset) and this process to the others, as the
//! socket.io README's figures were measured.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures::{SinkExt as _, StreamExt as _};
use http_body_util::BodyExt as _;
use tokio_tungstenite::tungstenite::{self, Message, protocol::WebSocketConfig};

use crate::bench_http::{
    BenchDb, Server, cpu_secs_of, create_event, fill_event, load_line, open_services_with,
    secret_hex,
};

/// The options of `bench live`.
#[derive(Debug, clap::Args)]
pub struct LiveArgs {
    /// WebSocket viewers per server.
    #[arg(long, default_value_t = 5_000)]
    pub viewers: u32,
    /// Seconds of publishing.
    #[arg(long, default_value_t = 30)]
    pub seconds: u32,
    /// Photos published per second.
    #[arg(long, default_value_t = 1.0)]
    pub rate: f64,
    /// Momentique's database.
    #[arg(long, value_enum, default_value_t = LiveBackend::Sqlite)]
    pub backend: LiveBackend,
    /// The PostgreSQL server (a superuser): a fresh database is created there and dropped after.
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432")]
    pub postgres_url: String,
    /// A Redis server: Momentique's bus (and socket.io's Redis adapter) go through it, and the
    /// bench publishes by running the moderation use case itself.
    #[arg(long)]
    pub redis: Option<String>,
    /// Only one of the servers.
    #[arg(long, value_enum)]
    pub only: Option<LiveServer>,
    /// The binary to start as Momentique's server (default: this one).
    #[arg(long)]
    pub server_binary: Option<PathBuf>,
    /// Pin both servers to this CPU (taskset) and this process to the other CPUs.
    #[arg(long)]
    pub pin_server: Option<u32>,
    /// The socket.io baseline's folder (its `run` script starts it).
    #[arg(long, default_value = "../shared/bench/socketio")]
    pub socketio_dir: PathBuf,
    /// The photo every published row copies (processed once).
    #[arg(
        long,
        default_value = "../shared/testdata/photos/real_dragonfly_13mp.jpg"
    )]
    pub photo: PathBuf,
}

/// The database behind Momentique's server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LiveBackend {
    Sqlite,
    Postgres,
}

/// One of the two servers the bench compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LiveServer {
    Momentique,
    Socketio,
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// WebSocket handshakes in flight at once while the viewers connect.
const CONNECTING_AT_ONCE: usize = 64;
/// How long the last photo may take to reach everyone before the rest counts as missed.
const DRAIN: Duration = Duration::from_secs(5);

pub fn run(args: &LiveArgs) -> Result<(), BoxError> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(live(args))
}

/// CLOCK_MONOTONIC in µs: the clock the socket.io server stamps `sched` with.
fn now_us() -> u64 {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::Monotonic);
    (t.tv_sec as u64) * 1_000_000 + (t.tv_nsec as u64) / 1_000
}

/// Raises this process's RLIMIT_NOFILE (its children inherit it) to what `viewers` need, as
/// far as the hard limit allows. Returns the limit now in force.
fn raise_nofile(viewers: u32) -> u64 {
    use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
    let want = u64::from(viewers) + 1_024;
    let now = getrlimit(Resource::Nofile);
    let current = now.current.unwrap_or(u64::MAX);
    if current >= want {
        return current;
    }
    let target = now.maximum.map_or(want, |max| max.min(want));
    let raised = setrlimit(
        Resource::Nofile,
        Rlimit {
            current: Some(target),
            maximum: now.maximum,
        },
    );
    if raised.is_ok() { target } else { current }
}

/// How a viewer speaks to one of the servers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Protocol {
    /// Engine.IO 4 / Socket.IO 5: `0{…}` open, `40` connect, `2`/`3` ping, `42["photo",{…}]`.
    SocketIo,
    /// docs/LIVE.md: `hello`, then `{"seq":N,"type":"photo.published","photo":{…}}`.
    Momentique,
}

/// One photo message as a viewer received it: which photo (its index in the run), when
/// (CLOCK_MONOTONIC µs), and for socket.io when the server meant to send it.
#[derive(Debug, Clone, Copy)]
struct Delivery {
    index: u32,
    received_us: u64,
    sched_us: Option<u64>,
}

/// What one viewer saw.
#[derive(Debug, Default)]
struct ViewerLog {
    deliveries: Vec<Delivery>,
    /// Why the socket ended before the bench closed it.
    lost: Option<String>,
}

#[derive(serde::Deserialize)]
struct SioPhoto {
    seq: u64,
    sched: u64,
}

#[derive(serde::Deserialize)]
struct LiveMessage {
    #[serde(rename = "type")]
    kind: String,
    photo: Option<LivePhoto>,
}

#[derive(serde::Deserialize)]
struct LivePhoto {
    id: String,
}

/// Where the viewers connect and what a photo message names.
#[derive(Debug, Clone)]
struct Endpoint {
    protocol: Protocol,
    port: u16,
    /// Path and query of the WebSocket.
    path: String,
    origin: Option<String>,
    /// Momentique: photo id → index in the publishing order.
    photos: Arc<HashMap<String, u32>>,
}

fn ws_config() -> WebSocketConfig {
    // A small read buffer (as a browser would hold) and eager writes: the client's own memory
    // stays small at 5,000 sockets.
    WebSocketConfig::default()
        .read_buffer_size(4 * 1024)
        .write_buffer_size(0)
}

type Ws = tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>;

/// Opens one socket and waits until the server says it is in the room (socket.io: the
/// namespace's `40`; Momentique: `hello`).
/// Viewers open their sockets from many loopback addresses (127.0.0.2, 127.0.0.3, …), this many
/// from each: phones come from many addresses, and the server allows
/// `service::live::MAX_PER_ADDRESS` sockets per address.
const VIEWERS_PER_SOURCE: u32 = 500;

async fn connect(ep: &Endpoint, index: u32) -> Result<Ws, String> {
    use tungstenite::client::IntoClientRequest as _;
    let source = std::net::Ipv4Addr::from(
        u32::from(std::net::Ipv4Addr::new(127, 0, 0, 2)) + index / VIEWERS_PER_SOURCE,
    );
    let socket = tokio::net::TcpSocket::new_v4().map_err(|e| format!("socket: {e}"))?;
    socket
        .bind((source, 0).into())
        .map_err(|e| format!("bind {source}: {e}"))?;
    let tcp = socket
        .connect((std::net::Ipv4Addr::LOCALHOST, ep.port).into())
        .await
        .map_err(|e| format!("connect: {e}"))?;
    let _ = tcp.set_nodelay(true);
    let mut req = format!("ws://127.0.0.1:{}{}", ep.port, ep.path)
        .into_client_request()
        .map_err(|e| e.to_string())?;
    if let Some(origin) = &ep.origin {
        req.headers_mut().insert(
            http::header::ORIGIN,
            http::HeaderValue::from_str(origin).map_err(|e| e.to_string())?,
        );
    }
    let (mut ws, _) = tokio_tungstenite::client_async_with_config(req, tcp, Some(ws_config()))
        .await
        .map_err(|e| match e {
            tungstenite::Error::Http(res) => format!(
                "the upgrade answered {}: {}",
                res.status(),
                res.body()
                    .as_deref()
                    .map(String::from_utf8_lossy)
                    .unwrap_or_default()
            ),
            e => format!("upgrade: {e}"),
        })?;
    loop {
        let msg = match ws.next().await {
            Some(Ok(m)) => m,
            Some(Err(e)) => return Err(format!("before joining: {e}")),
            None => return Err("closed before joining".into()),
        };
        let text = match msg {
            Message::Text(t) => t,
            Message::Close(frame) => return Err(format!("closed before joining: {frame:?}")),
            _ => continue,
        };
        match ep.protocol {
            Protocol::SocketIo if text.starts_with("40") => return Ok(ws),
            Protocol::SocketIo if text.starts_with('0') => ws
                .send(Message::text("40"))
                .await
                .map_err(|e| format!("joining: {e}"))?,
            Protocol::SocketIo if text.as_str() == "2" => ws
                .send(Message::text("3"))
                .await
                .map_err(|e| format!("pong: {e}"))?,
            Protocol::SocketIo => {}
            Protocol::Momentique => {
                if serde_json::from_str::<LiveMessage>(&text).is_ok_and(|m| m.kind == "hello") {
                    return Ok(ws);
                }
            }
        }
    }
}

/// Reads one viewer's socket until `stop`, noting each photo message as it arrives.
async fn watch(
    mut ws: Ws,
    ep: Arc<Endpoint>,
    delivered: Arc<AtomicU64>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) -> ViewerLog {
    let mut log = ViewerLog::default();
    loop {
        let msg = tokio::select! {
            m = ws.next() => m,
            _ = stop.changed() => break,
        };
        let received_us = now_us();
        let text = match msg {
            Some(Ok(Message::Text(t))) => t,
            Some(Ok(Message::Close(frame))) => {
                log.lost = Some(format!("closed by the server: {frame:?}"));
                break;
            }
            Some(Ok(_)) => continue,
            Some(Err(e)) => {
                log.lost = Some(e.to_string());
                break;
            }
            None => {
                log.lost = Some("the connection ended".into());
                break;
            }
        };
        let delivery = match ep.protocol {
            Protocol::SocketIo => {
                if text.as_str() == "2" {
                    if let Err(e) = ws.send(Message::text("3")).await {
                        log.lost = Some(format!("pong: {e}"));
                        break;
                    }
                    continue;
                }
                text.strip_prefix("42")
                    .and_then(|t| serde_json::from_str::<(String, SioPhoto)>(t).ok())
                    .filter(|(name, _)| name == "photo")
                    .map(|(_, p)| Delivery {
                        index: u32::try_from(p.seq).unwrap_or(u32::MAX),
                        received_us,
                        sched_us: Some(p.sched),
                    })
            }
            Protocol::Momentique => serde_json::from_str::<LiveMessage>(&text)
                .ok()
                .filter(|m| m.kind == "photo.published")
                .and_then(|m| ep.photos.get(&m.photo?.id).copied())
                .map(|index| Delivery {
                    index,
                    received_us,
                    sched_us: None,
                }),
        };
        if let Some(d) = delivery {
            log.deliveries.push(d);
            delivered.fetch_add(1, Ordering::Relaxed);
        }
    }
    let _ = ws.close(None).await;
    log
}

/// The viewers of one run, connected and reading.
struct Viewers {
    tasks: Vec<tokio::task::JoinHandle<ViewerLog>>,
    connected: u32,
    failed: u32,
    first_error: Option<String>,
    connect_secs: f64,
    delivered: Arc<AtomicU64>,
    stop: tokio::sync::watch::Sender<bool>,
}

async fn open_viewers(ep: &Endpoint, n: u32) -> Viewers {
    let ep = Arc::new(ep.clone());
    let delivered = Arc::new(AtomicU64::new(0));
    let (stop, stop_rx) = tokio::sync::watch::channel(false);
    let gate = Arc::new(tokio::sync::Semaphore::new(CONNECTING_AT_ONCE));
    let started = Instant::now();
    let mut handshakes = Vec::with_capacity(n as usize);
    for index in 0..n {
        let (ep, gate) = (ep.clone(), gate.clone());
        handshakes.push(tokio::spawn(async move {
            let _permit = gate.acquire_owned().await.map_err(|e| e.to_string())?;
            tokio::time::timeout(Duration::from_secs(30), connect(&ep, index))
                .await
                .map_err(|_| "no answer within 30 s".to_owned())?
        }));
    }
    let mut viewers = Viewers {
        tasks: Vec::with_capacity(n as usize),
        connected: 0,
        failed: 0,
        first_error: None,
        connect_secs: 0.0,
        delivered,
        stop,
    };
    for h in handshakes {
        match h.await {
            Ok(Ok(ws)) => {
                viewers.connected += 1;
                viewers.tasks.push(tokio::spawn(watch(
                    ws,
                    ep.clone(),
                    viewers.delivered.clone(),
                    stop_rx.clone(),
                )));
            }
            Ok(Err(e)) => {
                viewers.failed += 1;
                viewers.first_error.get_or_insert(e);
            }
            Err(e) => {
                viewers.failed += 1;
                viewers.first_error.get_or_insert(e.to_string());
            }
        }
    }
    viewers.connect_secs = started.elapsed().as_secs_f64();
    viewers
}

/// What the publisher did: how many photos, and when each began (Momentique; socket.io's
/// messages carry their own `sched`).
struct Published {
    count: u32,
    started_us: Vec<Option<u64>>,
    errors: u32,
    first_error: Option<String>,
}

/// One server's figures.
struct Outcome {
    name: String,
    wanted: u32,
    connected: u32,
    connect_secs: f64,
    connect_failed: u32,
    connect_error: Option<String>,
    published: u32,
    publish_errors: u32,
    publish_error: Option<String>,
    delivered: u64,
    duplicates: u64,
    lost_sockets: u32,
    lost_reason: Option<String>,
    /// Delivery latencies in µs, sorted.
    latencies: Vec<u64>,
    cpu_secs: f64,
    window_secs: f64,
    rss_before_kib: u64,
    rss_after_kib: u64,
    /// With everyone still connected, at the end of the publishing window.
    rss_end_kib: u64,
}

impl Outcome {
    fn expected(&self) -> u64 {
        u64::from(self.connected) * u64::from(self.published)
    }

    fn pct_ms(&self, p: f64) -> f64 {
        let n = self.latencies.len();
        if n == 0 {
            return f64::NAN;
        }
        let i = ((n as f64 * p).ceil() as usize).clamp(1, n) - 1;
        self.latencies[i] as f64 / 1000.0
    }

    fn cpu_us_per_delivery(&self) -> f64 {
        self.cpu_secs * 1e6 / self.delivered.max(1) as f64
    }

    fn kb_per_connection(&self) -> f64 {
        self.kb_per_connection_at(self.rss_after_kib)
    }

    fn kb_per_connection_at(&self, rss_kib: u64) -> f64 {
        (rss_kib as f64 - self.rss_before_kib as f64) * 1024.0
            / 1000.0
            / f64::from(self.connected.max(1))
    }
}

fn vm_rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|k| k.parse().ok())
        .unwrap_or(0)
}

/// Pins every thread of `pid` to `cpus` (a taskset list such as `1` or `0,2-3`).
fn pin(pid: u32, cpus: &str) -> Result<(), BoxError> {
    let status = Command::new("taskset")
        .args(["-a", "-p", "-c", cpus, &pid.to_string()])
        .stdout(Stdio::null())
        .status()
        .map_err(|e| format!("taskset: {e}"))?;
    if !status.success() {
        return Err(format!("taskset -a -p -c {cpus} {pid} failed: {status}").into());
    }
    Ok(())
}

/// The common part of a run: memory before, N viewers, memory with them, the publisher, the
/// drain, the CPU over that window, and the figures.
async fn measure<F, Fut>(
    name: String,
    pid: u32,
    ep: &Endpoint,
    args: &LiveArgs,
    publish: F,
) -> Result<Outcome, BoxError>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Published>,
{
    tokio::time::sleep(Duration::from_secs(1)).await;
    let rss_before_kib = vm_rss_kib(pid);
    let viewers = open_viewers(ep, args.viewers).await;
    if viewers.connected == 0 {
        return Err(format!(
            "{name}: no viewer could connect: {}",
            viewers.first_error.unwrap_or_default()
        )
        .into());
    }
    // Let allocations settle before reading the memory with everyone connected.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let rss_after_kib = vm_rss_kib(pid);
    let cpu0 = cpu_secs_of(pid);
    let window = Instant::now();
    let published = publish().await;
    let expected = u64::from(viewers.connected) * u64::from(published.count);
    let drain_until = Instant::now() + DRAIN;
    while viewers.delivered.load(Ordering::Relaxed) < expected && Instant::now() < drain_until {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let cpu_secs = cpu_secs_of(pid) - cpu0;
    let window_secs = window.elapsed().as_secs_f64();
    let rss_end_kib = vm_rss_kib(pid);
    let _ = viewers.stop.send(true);
    let mut outcome = Outcome {
        name,
        wanted: args.viewers,
        connected: viewers.connected,
        connect_secs: viewers.connect_secs,
        connect_failed: viewers.failed,
        connect_error: viewers.first_error,
        published: published.count,
        publish_errors: published.errors,
        publish_error: published.first_error,
        delivered: 0,
        duplicates: 0,
        lost_sockets: 0,
        lost_reason: None,
        latencies: Vec::with_capacity(expected as usize),
        cpu_secs,
        window_secs,
        rss_before_kib,
        rss_after_kib,
        rss_end_kib,
    };
    for task in viewers.tasks {
        let log = task.await?;
        if let Some(reason) = log.lost {
            outcome.lost_sockets += 1;
            outcome.lost_reason.get_or_insert(reason);
        }
        let mut seen = vec![false; published.count as usize];
        for d in log.deliveries {
            let Some(slot) = seen.get_mut(d.index as usize) else {
                continue;
            };
            if std::mem::replace(slot, true) {
                outcome.duplicates += 1;
                continue;
            }
            let from = d.sched_us.or_else(|| {
                published
                    .started_us
                    .get(d.index as usize)
                    .copied()
                    .flatten()
            });
            if let Some(from) = from {
                outcome.delivered += 1;
                outcome.latencies.push(d.received_us.saturating_sub(from));
            }
        }
    }
    outcome.latencies.sort_unstable();
    Ok(outcome)
}

/// The socket.io server started by its `run` script (which `exec`s node, so the child is the
/// server itself); stopped (SIGTERM) when dropped.
struct Node {
    child: Child,
    port: u16,
}

impl Node {
    async fn start(dir: &std::path::Path, redis: Option<&str>) -> Result<Self, BoxError> {
        let script = dir.join("run");
        if !script.is_file() {
            return Err(format!(
                "no socket.io baseline at {} (--socketio-dir)",
                dir.display()
            )
            .into());
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let mut cmd = Command::new(&script);
        cmd.arg(port.to_string())
            .env_remove("REDIS_URL")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if let Some(url) = redis {
            cmd.env("REDIS_URL", url);
        }
        let mut node = Self {
            child: cmd
                .spawn()
                .map_err(|e| format!("{}: {e}", script.display()))?,
            port,
        };
        // The first run installs socket.io (npm) before it listens.
        let deadline = Instant::now() + Duration::from_secs(600);
        let client = crate::bench_http::client();
        loop {
            let req = http::Request::get(format!("http://127.0.0.1:{port}/stats"))
                .body(http_body_util::Full::default())?;
            if let Ok(Ok(res)) =
                tokio::time::timeout(Duration::from_secs(2), client.request(req)).await
                && res.status().is_success()
            {
                break;
            }
            if let Ok(Some(status)) = node.child.try_wait() {
                return Err(format!("the socket.io server exited early: {status}").into());
            }
            if Instant::now() > deadline {
                return Err("the socket.io server did not answer within 10 minutes".into());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Ok(node)
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        crate::bench_http::stop_child(&mut self.child, Duration::from_secs(10));
    }
}

/// The number of photos and the pause between two.
fn schedule(args: &LiveArgs) -> Result<(u32, Duration), BoxError> {
    if !(args.rate > 0.0 && args.rate <= 1_000.0) {
        return Err("--rate must be above 0 and at most 1000 photos a second".into());
    }
    let count = (f64::from(args.seconds) * args.rate).round().max(1.0) as u32;
    Ok((count, Duration::from_secs_f64(1.0 / args.rate)))
}

async fn socketio(args: &LiveArgs) -> Result<Outcome, BoxError> {
    let (count, every) = schedule(args)?;
    let node = Node::start(&args.socketio_dir, args.redis.as_deref()).await?;
    let pid = node.child.id();
    if let Some(cpu) = args.pin_server {
        pin(pid, &cpu.to_string())?;
    }
    let node_version = Command::new("node")
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default();
    let ep = Endpoint {
        protocol: Protocol::SocketIo,
        port: node.port,
        path: "/socket.io/?EIO=4&transport=websocket&event=bench".into(),
        origin: None,
        photos: Arc::default(),
    };
    let port = node.port;
    let interval_ms = every.as_millis();
    let outcome = measure(
        format!(
            "socket.io 4.8 (node {node_version}{})",
            if args.redis.is_some() {
                ", Redis adapter"
            } else {
                ""
            }
        ),
        pid,
        &ep,
        args,
        || async move {
            let client = crate::bench_http::client();
            let started = Instant::now();
            let answer = match http::Request::post(format!(
                "http://127.0.0.1:{port}/burst?event=bench&count={count}&interval_ms={interval_ms}"
            ))
            .body(http_body_util::Full::default())
            {
                Ok(req) => client.request(req).await.map_err(|e| e.to_string()),
                Err(e) => Err(e.to_string()),
            };
            let error = match answer {
                Ok(res) if res.status().is_success() => {
                    let _ = res.into_body().collect().await;
                    None
                }
                Ok(res) => Some(format!("/burst answered {}", res.status())),
                Err(e) => Some(format!("/burst: {e}")),
            };
            if error.is_none() {
                // The server paces the burst itself: the last one is due (count − 1) × every.
                tokio::time::sleep_until((started + every * (count - 1)).into()).await;
            }
            Published {
                count: if error.is_some() { 0 } else { count },
                started_us: Vec::new(),
                errors: u32::from(error.is_some()),
                first_error: error,
            }
        },
    )
    .await?;
    drop(node);
    Ok(outcome)
}

/// How Momentique's photos are published.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PublishPath {
    /// A member posts the moderation page's Approve form to the server.
    Http,
    /// This process runs `service::moderation::moderate`; the ring reaches the server through
    /// Redis.
    UseCase,
}

async fn momentique(args: &LiveArgs) -> Result<Outcome, BoxError> {
    let (count, _) = schedule(args)?;
    let photo = std::fs::read(&args.photo).map_err(|e| {
        format!(
            "cannot read the photo {} (--photo): {e}",
            args.photo.display()
        )
    })?;
    let processed = tokio::task::spawn_blocking(move || {
        media::pipeline::process(&photo, &media::pipeline::Limits::default())
    })
    .await??;
    let db = match args.backend {
        LiveBackend::Postgres => BenchDb::postgres(&args.postgres_url).await?,
        LiveBackend::Sqlite => BenchDb::sqlite()?,
    };
    let result = momentique_on(args, &db, &processed, count).await;
    db.drop_database(&args.postgres_url).await;
    result
}

async fn momentique_on(
    args: &LiveArgs,
    db: &BenchDb,
    processed: &media::pipeline::Processed,
    count: u32,
) -> Result<Outcome, BoxError> {
    let (_, every) = schedule(args)?;
    let secret = secret_hex()?;
    // Keys of this run only, shared with the server it starts.
    let prefix = format!("momentique-bench-{}:", std::process::id());
    let redis = match &args.redis {
        Some(url) => Some(
            store::Redis::connect(url, prefix.clone())
                .await
                .map_err(|e| format!("--redis {url}: {e}"))?,
        ),
        None => None,
    };
    let path = if redis.is_some() {
        PublishPath::UseCase
    } else {
        PublishPath::Http
    };
    let services = open_services_with(db, &secret, redis).await?;
    let now = domain::time::now();
    let at = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%dT%H:%M").to_string();
    let input = service::events::EventInput {
        name: "Bench Live".into(),
        starts_at: at(now - chrono::Duration::hours(1)),
        ends_at: at(now + chrono::Duration::hours(24)),
        moderation: domain::Moderation::Approve.as_str().into(),
        ..service::events::EventInput::new_event("UTC")
    };
    let e = create_event(&services, input).await?;
    let rows = fill_event(
        &services,
        &e,
        processed,
        count,
        domain::PhotoStatus::PendingReview,
    )
    .await?;
    let owner_ctx = || services.member_ctx(e.tenant, e.owner, domain::Role::Owner);
    let (_, wall_token) = service::walls::create_wall(
        &services,
        &owner_ctx(),
        e.event.id,
        service::walls::WallInput::default(),
    )
    .await
    .map_err(|e| format!("create a wall: {e:?}"))?;
    let photo_ids: Vec<domain::PhotoId> = rows.iter().map(|&(_, id)| id).collect();
    let photos: HashMap<String, u32> = photo_ids
        .iter()
        .enumerate()
        .map(|(i, id)| (id.to_string(), i as u32))
        .collect();
    if path == PublishPath::Http {
        services.db.close().await;
    }

    let mut env = Vec::new();
    if let Some(url) = &args.redis {
        env.push(("MOMENTIQUE_REDIS_URL", url.as_str()));
        env.push(("MOMENTIQUE_REDIS_PREFIX", prefix.as_str()));
    }
    let server = Server::start(args.server_binary.as_deref(), db, &secret, &env)?;
    let pid = server.child.id();
    if let Some(cpu) = args.pin_server {
        pin(pid, &cpu.to_string())?;
    }
    let base = server.base();
    let ep = Endpoint {
        protocol: Protocol::Momentique,
        port: server.port,
        path: format!("/w/{wall_token}/live"),
        origin: Some(base.clone()),
        photos: Arc::new(photos),
    };
    let name = format!(
        "Momentique ({}{}, published {})",
        db.backend(),
        if args.redis.is_some() { ", Redis" } else { "" },
        match path {
            PublishPath::Http => "over HTTP: the moderation form's Approve",
            PublishPath::UseCase =>
                "by service::moderation::moderate in the bench, rung through Redis",
        }
    );
    let event = e.event.id;
    let cookie = format!(
        "{}={}",
        web::auth::session_cookie_name(false),
        e.member_token
    );
    let csrf = e.member_csrf.clone();
    let services = &services;
    let outcome = measure(name, pid, &ep, args, || async move {
        let client = crate::bench_http::client();
        let mut published = Published {
            count,
            started_us: vec![None; count as usize],
            errors: 0,
            first_error: None,
        };
        let started = Instant::now();
        for (i, &photo) in photo_ids.iter().enumerate() {
            tokio::time::sleep_until((started + every * i as u32).into()).await;
            published.started_us[i] = Some(now_us());
            let result = match path {
                PublishPath::Http => {
                    approve_over_http(&client, &base, &cookie, &csrf, event, photo).await
                }
                PublishPath::UseCase => service::moderation::moderate(
                    services,
                    &owner_ctx(),
                    event,
                    &[photo],
                    domain::ModerationAction::Approve,
                )
                .await
                .map_err(|e| format!("moderate: {e:?}"))
                .and_then(|n| {
                    if n == 1 {
                        Ok(())
                    } else {
                        Err(format!("moderate approved {n} photos, not 1"))
                    }
                }),
            };
            if let Err(e) = result {
                published.started_us[i] = None;
                published.errors += 1;
                published.first_error.get_or_insert(e);
            }
        }
        published
    })
    .await?;
    drop(server);
    if path == PublishPath::UseCase {
        // The session lives in Redis (a week): end it rather than leave it there.
        let now = domain::time::now();
        if let Ok(Some(session)) =
            service::accounts::resume_session(&services.sessions, &e.member_token, now).await
        {
            let _ = service::accounts::logout(services, &session).await;
        }
        services.db.close().await;
    }
    Ok(outcome)
}

/// `POST /app/events/{id}/moderation/{photo}/approve` as the logged-in owner (the button on
/// the moderation page): the server answers 303 once the photo is published.
async fn approve_over_http(
    client: &crate::bench_http::Client,
    base: &str,
    cookie: &str,
    csrf: &str,
    event: domain::EventId,
    photo: domain::PhotoId,
) -> Result<(), String> {
    let req = http::Request::post(format!(
        "{base}/app/events/{event}/moderation/{photo}/approve"
    ))
    .header(http::header::COOKIE, cookie)
    .header(http::header::ORIGIN, base)
    .header(
        http::header::CONTENT_TYPE,
        "application/x-www-form-urlencoded",
    )
    .body(http_body_util::Full::new(bytes::Bytes::from(format!(
        "csrf_token={csrf}"
    ))))
    .map_err(|e| e.to_string())?;
    let res = client.request(req).await.map_err(|e| e.to_string())?;
    let status = res.status();
    let location = res
        .headers()
        .get(http::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let _ = res.into_body().collect().await;
    // The page redirects to the queue with how many photos changed.
    if status == http::StatusCode::SEE_OTHER && location.ends_with("done=1") {
        Ok(())
    } else {
        Err(format!("approve answered {status} (Location {location:?})"))
    }
}

fn print_outcome(o: &Outcome) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    writeln!(out, "\n{}", o.name)?;
    writeln!(
        out,
        "  viewers connected   {}/{} in {:.1} s{}",
        o.connected,
        o.wanted,
        o.connect_secs,
        if o.connect_failed > 0 {
            format!(
                "; {} FAILED, first: {}",
                o.connect_failed,
                o.connect_error.as_deref().unwrap_or("?")
            )
        } else {
            String::new()
        }
    )?;
    writeln!(
        out,
        "  photos published    {}{}",
        o.published,
        if o.publish_errors > 0 {
            format!(
                "; {} publish errors, first: {}",
                o.publish_errors,
                o.publish_error.as_deref().unwrap_or("?")
            )
        } else {
            String::new()
        }
    )?;
    writeln!(
        out,
        "  delivered           {}/{} ({:.2} %){}{}",
        o.delivered,
        o.expected(),
        o.delivered as f64 * 100.0 / o.expected().max(1) as f64,
        if o.duplicates > 0 {
            format!("; {} duplicates", o.duplicates)
        } else {
            String::new()
        },
        if o.lost_sockets > 0 {
            format!(
                "; {} sockets lost, first: {}",
                o.lost_sockets,
                o.lost_reason.as_deref().unwrap_or("?")
            )
        } else {
            String::new()
        }
    )?;
    writeln!(
        out,
        "  latency             p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        o.pct_ms(0.50),
        o.pct_ms(0.99),
        o.pct_ms(1.0)
    )?;
    writeln!(
        out,
        "  server CPU          {:.2} s over {:.1} s = {:.2} µs per delivered message",
        o.cpu_secs,
        o.window_secs,
        o.cpu_us_per_delivery()
    )?;
    writeln!(
        out,
        "  server memory       VmRSS {:.1} MB before, {:.1} MB with {} viewers = {:.1} KB per connection",
        o.rss_before_kib as f64 * 1024.0 / 1e6,
        o.rss_after_kib as f64 * 1024.0 / 1e6,
        o.connected,
        o.kb_per_connection()
    )?;
    writeln!(
        out,
        "                      VmRSS {:.1} MB at the end of the window, everyone still connected = {:.1} KB per connection",
        o.rss_end_kib as f64 * 1024.0 / 1e6,
        o.kb_per_connection_at(o.rss_end_kib)
    )?;
    Ok(())
}

#[expect(clippy::print_stdout, reason = "a benchmark prints its figures")]
async fn live(args: &LiveArgs) -> Result<(), BoxError> {
    let (count, every) = schedule(args)?;
    let nofile = raise_nofile(args.viewers);
    println!(
        "momentique bench live: {} viewers per server, {count} photos, one every {:.0} ms; RLIMIT_NOFILE {nofile}; {}",
        args.viewers,
        every.as_secs_f64() * 1000.0,
        load_line()
    );
    if nofile < u64::from(args.viewers) + 64 {
        println!(
            "WARNING: the open-file limit ({nofile}) is below {} viewers (+ the server's own files): not every viewer can connect; raise the hard limit (ulimit -Hn)",
            args.viewers
        );
    }
    if let Some(cpu) = args.pin_server {
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get) as u32;
        if cpu >= cores {
            return Err(
                format!("--pin-server {cpu}: this machine has CPUs 0-{}", cores - 1).into(),
            );
        }
        let others: Vec<String> = (0..cores)
            .filter(|&c| c != cpu)
            .map(|c| c.to_string())
            .collect();
        if others.is_empty() {
            println!("servers pinned to CPU {cpu}; the load client shares it (one core)");
        } else {
            pin(std::process::id(), &others.join(","))?;
            println!(
                "servers pinned to CPU {cpu}, the load client to CPU {}",
                others.join(",")
            );
        }
    }
    let mut outcomes = Vec::new();
    if args.only != Some(LiveServer::Socketio) {
        let o = momentique(args).await?;
        print_outcome(&o)?;
        outcomes.push(o);
    }
    if args.only != Some(LiveServer::Momentique) {
        let o = socketio(args).await?;
        print_outcome(&o)?;
        outcomes.push(o);
    }
    if let [m, s] = outcomes.as_slice() {
        println!(
            "\nMomentique / socket.io: CPU per delivery {:.2}× (target ≤ 0.5), memory per connection {:.2}×, p50 {:.2}×, p99 {:.2}×",
            m.cpu_us_per_delivery() / s.cpu_us_per_delivery(),
            m.kb_per_connection() / s.kb_per_connection(),
            m.pct_ms(0.5) / s.pct_ms(0.5),
            m.pct_ms(0.99) / s.pct_ms(0.99)
        );
    }
    if let Some(m) = outcomes.iter().find(|o| o.name.starts_with("Momentique")) {
        println!(
            "targets for Momentique: p99 {:.1} ms (≤ 50), {:.1} KB per connection (≤ 10), delivered {}/{}",
            m.pct_ms(0.99),
            m.kb_per_connection(),
            m.delivered,
            m.expected()
        );
    }
    Ok(())
}

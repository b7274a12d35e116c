//! The rooms: one per event with viewers in this process, each reading the feed once for all
//! of them. A viewer catching up reads through its own [`Subscription`]; once it has everything
//! the room has handed out, the room writes each new message straight into its connection (an
//! [`Outlet`]), so a message to thousands of sockets wakes no task per socket.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use domain::time::Clock;
use domain::{EventId, GuestId, TenantId};
use futures::StreamExt as _;
use serde_json::json;
use store::{Db, FeedHead, FeedMessage, FeedRepo, Redis, Scope, audience};
use tokio::sync::{Notify, broadcast, watch};

use super::{Audience, Control, Text, Viewer, control_of, render, too_old};
use crate::Error;
use crate::secrets::SecretKey;

/// How many messages a viewer may fall behind before it is dropped (it then resumes).
pub const QUEUE: usize = 256;
/// A room reads the feed at least this often, rung or not: the relay for messages whose
/// instance died between its commit and its ring.
const RELAY_EVERY: Duration = Duration::from_secs(1);
/// How often members hear how many are watching.
const PRESENCE_EVERY: Duration = Duration::from_secs(10);
/// A room without viewers for this long closes.
const IDLE: Duration = Duration::from_secs(30);
/// Rows a room or a viewer catching up reads at once.
const PAGE: i64 = 200;

/// Open sockets one address may hold in this process (a venue's Wi-Fi puts hundreds of
/// phones behind one address).
pub const MAX_PER_ADDRESS: u32 = 1_000;
/// Open sockets one event may have in this process.
pub const MAX_PER_EVENT: u32 = 20_000;

/// Who holds how many sockets now, against the limits.
#[derive(Debug)]
struct Gate {
    per_address: u32,
    per_event: u32,
    addresses: HashMap<std::net::IpAddr, u32>,
    events: HashMap<(TenantId, EventId), u32>,
}

/// A socket's place under the limits; given back when dropped.
#[derive(Debug)]
pub struct Permit {
    hub: Hub,
    ip: Option<std::net::IpAddr>,
    key: (TenantId, EventId),
}

impl Drop for Permit {
    fn drop(&mut self) {
        let mut gate = self.hub.lock_gate();
        if let Some(ip) = self.ip
            && let Some(n) = gate.addresses.get_mut(&ip)
        {
            *n -= 1;
            if *n == 0 {
                gate.addresses.remove(&ip);
            }
        }
        if let Some(n) = gate.events.get_mut(&self.key) {
            *n -= 1;
            if *n == 0 {
                gate.events.remove(&self.key);
            }
        }
    }
}

/// The live layer's figures, for `/metrics`.
#[derive(Debug, Default)]
pub struct LiveMetrics {
    /// Open viewers by audience.
    pub members: AtomicI64,
    pub guests: AtomicI64,
    pub walls: AtomicI64,
    /// Messages handed to viewers.
    pub sent: AtomicU64,
    /// Viewers dropped for falling behind.
    pub drops: AtomicU64,
    /// Viewers that came back with a `since`.
    pub resumes: AtomicU64,
    /// From a message's commit to its fan-out in this process (microseconds): sum, count, max.
    pub lag_us_sum: AtomicU64,
    pub lag_count: AtomicU64,
    pub lag_us_max: AtomicU64,
}

impl LiveMetrics {
    fn gauge(&self, a: Audience) -> &AtomicI64 {
        match a {
            Audience::Member => &self.members,
            Audience::Guest(_) => &self.guests,
            Audience::Wall(_) => &self.walls,
        }
    }
}

/// A message ready for the sockets: rendered once per room.
#[derive(Debug)]
pub(crate) struct Delivered {
    /// 0 for messages outside the feed's numbering (presence).
    seq: i64,
    audience: i32,
    guest: Option<GuestId>,
    /// Set on `viewer.revoked` and `viewer.reload`: whose access it ends or whose page reloads.
    control: Option<(Control, Audience)>,
    text: Text,
    /// The message as its connections put it on the wire, made by the first that writes it.
    wire: OnceLock<bytes::Bytes>,
}

/// A message on its way to the connections of caught-up viewers.
#[derive(Debug)]
pub struct Outgoing<'a> {
    text: &'a Text,
    wire: &'a OnceLock<bytes::Bytes>,
}

impl Outgoing<'_> {
    /// Its bytes on the wire: `encode` runs once per message, whatever the number of sockets.
    pub fn wire(&self, encode: impl FnOnce(&Text) -> bytes::Bytes) -> &bytes::Bytes {
        self.wire.get_or_init(|| encode(self.text))
    }
}

/// A viewer's connection, written by its room without waiting (see [`Subscription::go_direct`]).
pub trait Outlet: Send + Sync {
    /// Takes one message now. `false`: the connection cannot keep up (or is gone); the room
    /// then forgets it, and it is closed.
    fn offer(&self, message: &Outgoing<'_>) -> bool;
    /// The viewer is to be told this and disconnected (its own task does it).
    fn end(&self, next: Next);
}

/// A caught-up viewer in its room.
struct Direct {
    id: u64,
    viewer: Viewer,
    outlet: Arc<dyn Outlet>,
}

struct Room {
    tenant: TenantId,
    event: EventId,
    tx: broadcast::Sender<Arc<Delivered>>,
    wake: Notify,
    /// The last sequence number this room handed out.
    last: AtomicI64,
    /// Viewers here now: phones (guests), members, walls.
    counts: [AtomicI64; 3],
    /// The latest presence message, for members who arrive between two.
    presence: Mutex<Option<Text>>,
    /// Caught-up viewers, written directly; `last` only moves under this lock, so a viewer
    /// joins it exactly between two messages.
    direct: Mutex<HashMap<u64, Arc<Direct>>>,
    next_direct: AtomicU64,
}

impl Room {
    fn lock_direct(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Arc<Direct>>> {
        self.direct.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn slot(a: Audience) -> usize {
        match a {
            Audience::Guest(_) => 0,
            Audience::Member => 1,
            Audience::Wall(_) => 2,
        }
    }
}

struct Inner {
    db: Db,
    redis: Option<Redis>,
    secret: SecretKey,
    clock: Arc<dyn Clock>,
    rooms: Mutex<HashMap<(TenantId, EventId), Arc<Room>>>,
    /// This process, among the instances sharing Redis.
    instance: String,
    metrics: LiveMetrics,
    closed: watch::Sender<bool>,
    bus_started: AtomicBool,
    /// The relay's period in milliseconds ([`RELAY_EVERY`] unless a test changes it).
    relay_ms: AtomicU64,
    gate: Mutex<Gate>,
}

/// The live layer of one process. Cheap to clone.
#[derive(Clone)]
pub struct Hub {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Hub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hub")
            .field("instance", &self.inner.instance)
            .finish_non_exhaustive()
    }
}

/// What a viewer's socket does next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    /// Send this JSON text.
    Message(Text),
    /// The client is further behind than the feed keeps: tell it to reload.
    Reload,
    /// Close with this code and reason (4003 access ended, 4008 too slow, 1001 going away).
    Close(u16, &'static str),
}

fn redis_channel(redis: &Redis) -> String {
    redis.key("feed")
}

impl Hub {
    /// A hub on `db` (and Redis for the bus and presence across instances). Starts nothing
    /// until the first viewer arrives.
    pub fn new(db: Db, redis: Option<Redis>, secret: SecretKey, clock: Arc<dyn Clock>) -> Self {
        let (closed, _) = watch::channel(false);
        Self {
            inner: Arc::new(Inner {
                db,
                redis,
                secret,
                clock,
                rooms: Mutex::new(HashMap::new()),
                instance: uuid::Uuid::new_v4().simple().to_string(),
                metrics: LiveMetrics::default(),
                closed,
                bus_started: AtomicBool::new(false),
                relay_ms: AtomicU64::new(RELAY_EVERY.as_millis() as u64),
                gate: Mutex::new(Gate {
                    per_address: MAX_PER_ADDRESS,
                    per_event: MAX_PER_EVENT,
                    addresses: HashMap::new(),
                    events: HashMap::new(),
                }),
            }),
        }
    }

    /// How often rooms read the feed unrung (tests slow it down to see the bus at work).
    pub fn set_relay_every(&self, every: Duration) {
        self.inner
            .relay_ms
            .store(every.as_millis() as u64, Ordering::Relaxed);
    }

    /// Other limits of open sockets per address and per event (tests).
    pub fn set_limits(&self, per_address: u32, per_event: u32) {
        let mut gate = self.lock_gate();
        gate.per_address = per_address;
        gate.per_event = per_event;
    }

    fn lock_gate(&self) -> std::sync::MutexGuard<'_, Gate> {
        self.inner.gate.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A place for one more socket from `ip` on `viewer`'s event, or None when the address or
    /// the event already holds as many as this process allows (the client then polls).
    pub fn admit(&self, ip: Option<std::net::IpAddr>, viewer: &Viewer) -> Option<Permit> {
        let key = (viewer.tenant, viewer.event);
        let mut gate = self.lock_gate();
        let on_ip = ip.map_or(0, |ip| gate.addresses.get(&ip).copied().unwrap_or(0));
        let on_event = gate.events.get(&key).copied().unwrap_or(0);
        if on_ip >= gate.per_address || on_event >= gate.per_event {
            return None;
        }
        if let Some(ip) = ip {
            *gate.addresses.entry(ip).or_insert(0) += 1;
        }
        *gate.events.entry(key).or_insert(0) += 1;
        Some(Permit {
            hub: self.clone(),
            ip,
            key,
        })
    }

    pub fn metrics(&self) -> &LiveMetrics {
        &self.inner.metrics
    }

    /// After a commit that appended to `event`'s feed: wakes its room here and, through
    /// Redis, on every other instance. Never fails: the rooms' relay reads the feed within a
    /// second anyway.
    pub fn ring(&self, tenant: TenantId, event: EventId) {
        self.wake_local(tenant, event);
        if let Some(redis) = self.inner.redis.clone() {
            tokio::spawn(async move {
                let mut conn = redis.connection();
                let r: redis::RedisResult<i64> = redis::cmd("PUBLISH")
                    .arg(redis_channel(&redis))
                    .arg(format!("{tenant} {event}"))
                    .query_async(&mut conn)
                    .await;
                if let Err(e) = r {
                    tracing::warn!(error = %e, "could not ring the feed bus; the relay will deliver");
                }
            });
        }
    }

    fn wake_local(&self, tenant: TenantId, event: EventId) {
        let room = self.lock_rooms().get(&(tenant, event)).cloned();
        if let Some(room) = room {
            room.wake.notify_one();
        }
    }

    fn lock_rooms(&self) -> std::sync::MutexGuard<'_, HashMap<(TenantId, EventId), Arc<Room>>> {
        // A panic while holding the lock leaves a map that is still consistent.
        self.inner.rooms.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Closes every viewer with "going away" (at shutdown, so they reconnect elsewhere).
    pub fn shutdown(&self) {
        let _ = self.inner.closed.send(true);
    }

    /// Turns true at [`Self::shutdown`]: a caught-up viewer's socket closes with "going away".
    pub fn closing(&self) -> watch::Receiver<bool> {
        self.inner.closed.subscribe()
    }

    /// How many rooms are open in this process.
    pub fn rooms(&self) -> usize {
        self.lock_rooms().len()
    }

    /// Joins `viewer` to its event's room, from `since` (the last sequence number the client
    /// has; `None`: from now on).
    pub async fn subscribe(
        &self,
        viewer: Viewer,
        since: Option<i64>,
    ) -> Result<Subscription, Error> {
        self.start_bus();
        let mut tx = self
            .inner
            .db
            .begin_read(Scope::Tenant(viewer.tenant))
            .await?;
        let head = tx.feed_head(viewer.tenant, viewer.event).await?;
        tx.commit().await?;
        // Joined after reading the head: what the room hands out from now on comes through
        // `rx`; what it handed out before (up to `last`) is read from the store.
        let (room, rx) = self.join(viewer.tenant, viewer.event, head.seq);
        let room_last = room.last.load(Ordering::Acquire);
        let reload = since.is_some_and(|s| too_old(s, &head));
        let cursor = match since {
            Some(s) if !reload => s,
            _ => head.seq,
        };
        if since.is_some() {
            self.inner.metrics.resumes.fetch_add(1, Ordering::Relaxed);
        }
        room.counts[Room::slot(viewer.audience)].fetch_add(1, Ordering::Relaxed);
        self.inner
            .metrics
            .gauge(viewer.audience)
            .fetch_add(1, Ordering::Relaxed);
        let presence = match viewer.audience {
            Audience::Member => room
                .presence
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .clone(),
            _ => None,
        };
        Ok(Subscription {
            hub: self.clone(),
            room,
            rx,
            closed: self.inner.closed.subscribe(),
            viewer,
            head,
            cursor,
            catch_up_to: head.seq.max(room_last).max(cursor),
            backlog: VecDeque::new(),
            held: None,
            reload,
            presence,
            direct: None,
        })
    }

    /// The room of `event`, made (and its task started) when it has none, with a receiver
    /// taken under the same lock the room's closing takes.
    fn join(
        &self,
        tenant: TenantId,
        event: EventId,
        head: i64,
    ) -> (Arc<Room>, Option<broadcast::Receiver<Arc<Delivered>>>) {
        let mut rooms = self.lock_rooms();
        if let Some(room) = rooms.get(&(tenant, event)) {
            let rx = room.tx.subscribe();
            return (room.clone(), Some(rx));
        }
        let (tx, rx) = broadcast::channel(QUEUE);
        let room = Arc::new(Room {
            tenant,
            event,
            tx,
            wake: Notify::new(),
            last: AtomicI64::new(head),
            counts: Default::default(),
            presence: Mutex::new(None),
            direct: Mutex::new(HashMap::new()),
            next_direct: AtomicU64::new(0),
        });
        rooms.insert((tenant, event), room.clone());
        tokio::spawn(run_room(self.clone(), room.clone()));
        (room, Some(rx))
    }

    /// With Redis: listens for rings from every instance (once per process).
    fn start_bus(&self) {
        let Some(redis) = self.inner.redis.clone() else {
            return;
        };
        if self.inner.bus_started.swap(true, Ordering::AcqRel) {
            return;
        }
        let hub = self.clone();
        tokio::spawn(async move {
            let mut closed = hub.inner.closed.subscribe();
            loop {
                let listen = async {
                    let mut pubsub = redis.pubsub().await?;
                    pubsub.subscribe(redis_channel(&redis)).await?;
                    let mut messages = pubsub.into_on_message();
                    while let Some(msg) = messages.next().await {
                        let Ok(payload) = msg.get_payload::<String>() else {
                            continue;
                        };
                        if let Some((t, e)) = payload.split_once(' ')
                            && let (Ok(t), Ok(e)) = (t.parse(), e.parse())
                        {
                            hub.wake_local(t, e);
                        }
                    }
                    Ok::<(), store::StoreError>(())
                };
                tokio::select! {
                    r = listen => {
                        if let Err(e) = r {
                            tracing::warn!(error = %e, "feed bus: Redis subscription lost; retrying");
                        }
                    }
                    _ = closed.changed() => return,
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        });
    }

    /// Reads the room's new feed rows and hands each to its viewers.
    async fn fan_out(&self, room: &Room) -> Result<(), Error> {
        loop {
            let last = room.last.load(Ordering::Acquire);
            let mut tx = self.inner.db.begin_read(Scope::Tenant(room.tenant)).await?;
            let rows = tx.feed_after(room.tenant, room.event, last, PAGE).await?;
            tx.commit().await?;
            let now = self.inner.clock.now();
            let full = rows.len() as i64 == PAGE;
            for m in &rows {
                let lag = (now - m.created_at).num_microseconds().unwrap_or(0).max(0) as u64;
                let metrics = &self.inner.metrics;
                metrics.lag_us_sum.fetch_add(lag, Ordering::Relaxed);
                metrics.lag_count.fetch_add(1, Ordering::Relaxed);
                metrics.lag_us_max.fetch_max(lag, Ordering::Relaxed);
                self.hand_out(room, &self.deliverable(m));
            }
            if !full {
                return Ok(());
            }
        }
    }

    /// Hands `d` to the room's viewers: those catching up through their queues, the caught-up
    /// ones through their connections. A numbered message moves the room's `last` first: a
    /// viewer joining in between reads it from the store and also gets it from the room, and
    /// keeps the first. That happens under the lock of the caught-up viewers, so who is among
    /// them now gets it from here.
    fn hand_out(&self, room: &Room, d: &Arc<Delivered>) {
        let direct: Vec<Arc<Direct>> = {
            let direct = room.lock_direct();
            if d.seq != 0 {
                room.last.store(d.seq, Ordering::Release);
            }
            direct.values().cloned().collect()
        };
        let _ = room.tx.send(d.clone());
        self.write_direct(room, d, &direct);
    }

    /// Hands `d` to the caught-up viewers `to`, each through its connection; forgets those
    /// whose access it ends or which cannot keep up.
    fn write_direct(&self, room: &Room, d: &Delivered, to: &[Arc<Direct>]) {
        let out = Outgoing {
            text: &d.text,
            wire: &d.wire,
        };
        let (mut sent, mut dropped) = (0u64, 0u64);
        let mut gone = Vec::new();
        for x in to {
            let id = x.id;
            match d.control {
                Some((Control::End, who)) if who == x.viewer.audience => {
                    x.outlet.end(Next::Close(4003, "access ended"));
                    gone.push(id);
                    continue;
                }
                Some((Control::Reload, who)) if who == x.viewer.audience => {
                    x.outlet.end(Next::Reload);
                    gone.push(id);
                    continue;
                }
                _ => {}
            }
            if !x.viewer.sees(d.audience, d.guest) {
                continue;
            }
            if x.outlet.offer(&out) {
                sent += 1;
            } else {
                dropped += 1;
                x.outlet.end(Next::Close(4008, "too slow"));
                gone.push(id);
            }
        }
        let metrics = &self.inner.metrics;
        if d.seq != 0 {
            metrics.sent.fetch_add(sent, Ordering::Relaxed);
        }
        if dropped > 0 {
            metrics.drops.fetch_add(dropped, Ordering::Relaxed);
        }
        if !gone.is_empty() {
            let mut direct = room.lock_direct();
            for id in gone {
                direct.remove(&id);
            }
        }
    }

    fn deliverable(&self, m: &FeedMessage) -> Arc<Delivered> {
        Arc::new(Delivered {
            seq: m.seq,
            audience: m.audience,
            guest: m.guest,
            control: control_of(m),
            text: render(m, &self.inner.secret, self.inner.clock.now()),
            wire: OnceLock::new(),
        })
    }

    /// Counts the room's viewers across instances and tells its members.
    async fn presence(&self, room: &Room) {
        let local: [i64; 3] = std::array::from_fn(|i| room.counts[i].load(Ordering::Relaxed));
        let total = match &self.inner.redis {
            Some(redis) => match self.presence_across(redis, room, local).await {
                Ok(t) => t,
                Err(e) => {
                    tracing::warn!(error = %e, "presence: Redis unavailable; counting this instance");
                    local
                }
            },
            None => local,
        };
        let text = Text::from(
            json!({
                "type": "presence", "phones": total[0], "members": total[1], "walls": total[2],
            })
            .to_string(),
        );
        *room.presence.lock().unwrap_or_else(|e| e.into_inner()) = Some(text.clone());
        if local[1] > 0 {
            let d = Arc::new(Delivered {
                seq: 0,
                audience: audience::MEMBERS,
                guest: None,
                control: None,
                text,
                wire: OnceLock::new(),
            });
            self.hand_out(room, &d);
        }
    }

    /// Each instance writes its counts under the event's key with an expiry time; the sum of
    /// the fresh ones is the event's.
    async fn presence_across(
        &self,
        redis: &Redis,
        room: &Room,
        local: [i64; 3],
    ) -> redis::RedisResult<[i64; 3]> {
        let key = redis.key(&format!("presence:{}:{}", room.tenant, room.event));
        let now = self.inner.clock.now().timestamp();
        let ttl = PRESENCE_EVERY.as_secs() as i64 * 3;
        let mut conn = redis.connection();
        let value = format!("{} {} {} {}", local[0], local[1], local[2], now + ttl);
        let (): () = redis::pipe()
            .cmd("HSET")
            .arg(&key)
            .arg(&self.inner.instance)
            .arg(value)
            .ignore()
            .cmd("EXPIRE")
            .arg(&key)
            .arg(ttl)
            .ignore()
            .query_async(&mut conn)
            .await?;
        let all: HashMap<String, String> = redis::cmd("HGETALL")
            .arg(&key)
            .query_async(&mut conn)
            .await?;
        let mut total = [0i64; 3];
        for v in all.values() {
            let f: Vec<i64> = v.split(' ').filter_map(|x| x.parse().ok()).collect();
            if f.len() == 4 && f[3] >= now {
                for i in 0..3 {
                    total[i] += f[i];
                }
            }
        }
        Ok(total)
    }
}

async fn run_room(hub: Hub, room: Arc<Room>) {
    let mut closed = hub.inner.closed.subscribe();
    let mut presence = tokio::time::interval(PRESENCE_EVERY);
    presence.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut idle_since: Option<tokio::time::Instant> = None;
    loop {
        if let Err(e) = hub.fan_out(&room).await {
            tracing::warn!(error = %e, event.id = %room.event, "feed: could not read the event's feed");
        }
        tokio::select! {
            _ = room.wake.notified() => {}
            _ = tokio::time::sleep(Duration::from_millis(hub.inner.relay_ms.load(Ordering::Relaxed))) => {}
            _ = presence.tick() => hub.presence(&room).await,
            _ = closed.changed() => break,
        }
        if room.tx.receiver_count() == 0 && room.lock_direct().is_empty() {
            let since = *idle_since.get_or_insert_with(tokio::time::Instant::now);
            if since.elapsed() >= IDLE {
                let mut rooms = hub.lock_rooms();
                // Checked again under the lock a joining viewer takes (a viewer leaves the
                // receivers only after it has joined the caught-up ones).
                if room.tx.receiver_count() == 0 && room.lock_direct().is_empty() {
                    rooms.remove(&(room.tenant, room.event));
                    return;
                }
            }
        } else {
            idle_since = None;
        }
    }
    hub.lock_rooms().remove(&(room.tenant, room.event));
}

/// One viewer's place in its event's feed: [`Subscription::next`] says what to send next.
pub struct Subscription {
    hub: Hub,
    room: Arc<Room>,
    /// The room's messages while catching up; `None` once the room writes to the connection.
    rx: Option<broadcast::Receiver<Arc<Delivered>>>,
    closed: watch::Receiver<bool>,
    viewer: Viewer,
    head: FeedHead,
    /// The last sequence number this viewer has been given (or passed over).
    cursor: i64,
    /// Read from the store up to here before taking from the room.
    catch_up_to: i64,
    backlog: VecDeque<Arc<Delivered>>,
    /// A message from the room that came after a gap, kept until the gap is read.
    held: Option<Arc<Delivered>>,
    reload: bool,
    presence: Option<Text>,
    /// Its place among the room's caught-up viewers, once there.
    direct: Option<u64>,
}

impl std::fmt::Debug for Subscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subscription")
            .field("viewer", &self.viewer)
            .field("cursor", &self.cursor)
            .finish_non_exhaustive()
    }
}

impl Subscription {
    /// The event's feed when the viewer joined: its last sequence number and whether the
    /// walls are blank (what the socket's `hello` says).
    pub fn head(&self) -> FeedHead {
        self.head
    }

    pub fn viewer(&self) -> &Viewer {
        &self.viewer
    }

    /// The next thing to send, waiting for it. Messages come in sequence order, each once,
    /// filtered for the viewer.
    pub async fn next(&mut self) -> Next {
        if std::mem::take(&mut self.reload) {
            return Next::Reload;
        }
        if let Some(p) = self.presence.take() {
            return Next::Message(p);
        }
        loop {
            if *self.closed.borrow() {
                return Next::Close(1001, "going away");
            }
            if let Some(d) = self.backlog.pop_front() {
                if let Some(n) = self.take(&d) {
                    return n;
                }
                continue;
            }
            if self.cursor < self.catch_up_to {
                // Boxed: the catching up (a store read) does not make every socket's task
                // as large as a database query for as long as it is open.
                if let Err(e) = Box::pin(self.fill()).await {
                    tracing::warn!(error = %e, "feed: a viewer could not catch up");
                    return Next::Close(1011, "server error");
                }
                continue;
            }
            if let Some(d) = self.held.take() {
                if d.seq > self.cursor
                    && let Some(n) = self.take(&d)
                {
                    return n;
                }
                continue;
            }
            let Some(rx) = self.rx.as_mut() else {
                // The room writes to the connection now: nothing more comes this way.
                return std::future::pending().await;
            };
            let got = tokio::select! {
                got = rx.recv() => got,
                                _ = self.closed.changed() => return Next::Close(1001, "going away"),
            };
            match got {
                Ok(d) if d.seq == 0 => {
                    if self.viewer.sees(d.audience, d.guest) {
                        return Next::Message(d.text.clone());
                    }
                }
                Ok(d) if d.seq <= self.cursor => {}
                Ok(d) if d.seq > self.cursor + 1 => {
                    self.catch_up_to = d.seq - 1;
                    self.held = Some(d);
                }
                Ok(d) => {
                    if let Some(n) = self.take(&d) {
                        return n;
                    }
                }
                Err(broadcast::error::RecvError::Lagged(_)) => {
                    self.hub.inner.metrics.drops.fetch_add(1, Ordering::Relaxed);
                    return Next::Close(4008, "too slow");
                }
                Err(broadcast::error::RecvError::Closed) => return Next::Close(1001, "going away"),
            }
        }
    }

    /// When the viewer has everything the room has handed out, the room writes its next
    /// messages straight into `outlet` (filtered, in order, each once, as [`Self::next`] would
    /// give them) and `next` gives nothing more: true. False while there is still something to
    /// read through `next` (then ask again after it).
    pub fn go_direct(&mut self, outlet: Arc<dyn Outlet>) -> bool {
        if self.direct.is_some() {
            return true;
        }
        if self.reload
            || self.presence.is_some()
            || self.held.is_some()
            || !self.backlog.is_empty()
            || self.cursor < self.catch_up_to
            || *self.closed.borrow()
        {
            return false;
        }
        let mut direct = self.room.lock_direct();
        if self.room.last.load(Ordering::Acquire) != self.cursor {
            return false;
        }
        let id = self.room.next_direct.fetch_add(1, Ordering::Relaxed);
        direct.insert(
            id,
            Arc::new(Direct {
                id,
                viewer: self.viewer,
                outlet,
            }),
        );
        drop(direct);
        self.direct = Some(id);
        self.rx = None;
        true
    }

    fn take(&mut self, d: &Delivered) -> Option<Next> {
        self.cursor = d.seq;
        match d.control {
            Some((Control::End, who)) if who == self.viewer.audience => {
                return Some(Next::Close(4003, "access ended"));
            }
            Some((Control::Reload, who)) if who == self.viewer.audience => {
                return Some(Next::Reload);
            }
            _ => {}
        }
        if self.viewer.sees(d.audience, d.guest) {
            self.hub.inner.metrics.sent.fetch_add(1, Ordering::Relaxed);
            return Some(Next::Message(d.text.clone()));
        }
        None
    }

    /// Reads the next page of what the viewer missed from the store.
    async fn fill(&mut self) -> Result<(), Error> {
        let want = (self.catch_up_to - self.cursor).min(PAGE);
        let inner = &self.hub.inner;
        let mut tx = inner
            .db
            .begin_read(Scope::Tenant(self.viewer.tenant))
            .await?;
        let rows = tx
            .feed_after(self.viewer.tenant, self.viewer.event, self.cursor, want)
            .await?;
        tx.commit().await?;
        if rows.is_empty() {
            // Pruned meanwhile (or never written): nothing more to catch up on here.
            self.cursor = self.catch_up_to;
            return Ok(());
        }
        let before = self.backlog.len();
        for m in rows.iter().filter(|m| m.seq <= self.catch_up_to) {
            self.backlog.push_back(self.hub.deliverable(m));
        }
        if self.backlog.len() == before {
            // What was missed is no longer kept: go on from the room.
            self.cursor = self.catch_up_to;
        }
        Ok(())
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        if let Some(id) = self.direct {
            self.room.lock_direct().remove(&id);
        }
        self.room.counts[Room::slot(self.viewer.audience)].fetch_sub(1, Ordering::Relaxed);
        self.hub
            .inner
            .metrics
            .gauge(self.viewer.audience)
            .fetch_sub(1, Ordering::Relaxed);
    }
}

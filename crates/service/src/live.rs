//! Live: the event feed's writers (called by the use cases that commit a change, inside their
//! transaction), and its readers (sockets and polling), through a [`Hub`] of rooms per event.
//! docs/LIVE.md describes the design and the protocol.

mod hub;

use chrono::{DateTime, SecondsFormat, Utc};
use domain::{Action, EventId, GuestId, GuestVisibility, PhotoStatus, TenantId, WallId};
use serde_json::{Value, json};
use store::{
    Event, EventRepo, FeedMessage, FeedRepo, NewFeedMessage, Photo, PhotoRepo, Scope, StoreError,
    Tx, WallRepo, audience,
};

use crate::secrets::SecretKey;
use crate::{Ctx, Error, Services, media_urls};

pub use hub::{
    Hub, LiveMetrics, MAX_PER_ADDRESS, MAX_PER_EVENT, Next, Outgoing, Outlet, Permit, QUEUE,
    Subscription,
};

/// A message's JSON text, rendered once per room and shared by every socket that sends it
/// (cloning it copies nothing).
#[derive(Clone, PartialEq, Eq)]
pub struct Text(bytes::Bytes);

impl Text {
    /// The bytes to put in a frame as they are.
    pub fn bytes(&self) -> bytes::Bytes {
        self.0.clone()
    }

    pub fn as_str(&self) -> &str {
        // Only made from a `String` (below): always UTF-8.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

impl From<String> for Text {
    fn from(s: String) -> Self {
        Self(bytes::Bytes::from(s))
    }
}

impl std::ops::Deref for Text {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl std::fmt::Debug for Text {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self.as_str(), f)
    }
}

impl std::fmt::Display for Text {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who is watching, as the feed filters for them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    Member,
    Guest(GuestId),
    Wall(WallId),
}

impl Audience {
    pub fn as_str(self) -> &'static str {
        match self {
            Audience::Member => "member",
            Audience::Guest(_) => "guest",
            Audience::Wall(_) => "wall",
        }
    }
}

/// A checked viewer of one event's feed: only the `*_viewer` use cases make one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Viewer {
    pub tenant: TenantId,
    pub event: EventId,
    pub audience: Audience,
}

impl Viewer {
    /// Whether a message with these audience bits (about `guest`'s photo) is for this viewer.
    pub fn sees(&self, bits: i32, guest: Option<GuestId>) -> bool {
        match self.audience {
            Audience::Member => bits & audience::MEMBERS != 0,
            Audience::Wall(_) => bits & audience::WALLS != 0,
            Audience::Guest(g) => {
                bits & audience::GUESTS != 0 || (bits & audience::OWNER != 0 && guest == Some(g))
            }
        }
    }
}

/// What an internal message does to the viewer it names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Control {
    /// `viewer.revoked`: their access ends.
    End,
    /// `viewer.reload`: their page reloads.
    Reload,
}

/// The control a feed message carries and whom it names, if it is one.
fn control_of(m: &FeedMessage) -> Option<(Control, Audience)> {
    let kind = match m.kind.as_str() {
        REVOKED => Control::End,
        RELOAD => Control::Reload,
        _ => return None,
    };
    let id = |k: &str| m.body.get(k).and_then(Value::as_str);
    if let Some(g) = id("guest").and_then(|s| s.parse().ok()) {
        return Some((kind, Audience::Guest(g)));
    }
    let w = id("wall").and_then(|s| s.parse().ok())?;
    Some((kind, Audience::Wall(w)))
}

/// A member of the event's organization who may see its pages.
pub async fn member_viewer(
    services: &Services,
    ctx: &Ctx,
    event: EventId,
) -> Result<Viewer, Error> {
    ctx.require(Action::ViewEvents)?;
    let mut tx = services.db.begin_read(Scope::Tenant(ctx.tenant)).await?;
    let found = tx.get_event(ctx.tenant, event).await?;
    tx.commit().await?;
    found.ok_or(Error::NotFound)?;
    Ok(Viewer {
        tenant: ctx.tenant,
        event,
        audience: Audience::Member,
    })
}

/// The guest acting in `ctx`, as a viewer of their event; a blocked guest is refused.
pub async fn guest_viewer(services: &Services, ctx: &Ctx, event: EventId) -> Result<Viewer, Error> {
    let guest = ctx.guest_of(event).ok_or(Error::NotFound)?;
    let mut tx = services.db.begin_read(Scope::Tenant(ctx.tenant)).await?;
    crate::guest_admin::refuse_if_blocked(&mut tx, ctx.tenant, event, guest).await?;
    tx.commit().await?;
    Ok(Viewer {
        tenant: ctx.tenant,
        event,
        audience: Audience::Guest(guest),
    })
}

/// A projector wall as a viewer (made by [`crate::walls::open_wall`]).
pub fn wall_viewer(wall: &store::Wall) -> Viewer {
    Viewer {
        tenant: wall.tenant_id,
        event: wall.event_id,
        audience: Audience::Wall(wall.id),
    }
}

/// The event's feed head: what a page rendered now is up to date with. Only a number; the
/// page's own use case decides what the reader may see.
pub async fn feed_seq(services: &Services, tenant: TenantId, event: EventId) -> Result<i64, Error> {
    let mut tx = services.db.begin_read(Scope::Tenant(tenant)).await?;
    let head = tx.feed_head(tenant, event).await?;
    tx.commit().await?;
    Ok(head.seq)
}

/// How many messages one poll answers at most.
pub const POLL_LIMIT: i64 = 200;

/// What a poll of the feed answers.
#[derive(Debug, Clone)]
pub struct Poll {
    /// The sequence number this answer covers up to: the next poll asks `since` this.
    pub head: i64,
    /// More messages wait: poll again at once.
    pub more: bool,
    /// `since` is older than what is kept: reload the page.
    pub reload: bool,
    /// The messages for this viewer, as the JSON text a socket would send.
    pub messages: Vec<Text>,
}

/// The messages after `since` for `viewer` (the polling fallback of the socket).
pub async fn poll(services: &Services, viewer: &Viewer, since: i64) -> Result<Poll, Error> {
    let mut tx = services.db.begin_read(Scope::Tenant(viewer.tenant)).await?;
    let head = tx.feed_head(viewer.tenant, viewer.event).await?;
    if too_old(since, &head) {
        tx.commit().await?;
        return Ok(Poll {
            head: head.seq,
            more: false,
            reload: true,
            messages: Vec::new(),
        });
    }
    let rows = tx
        .feed_after(viewer.tenant, viewer.event, since, POLL_LIMIT)
        .await?;
    tx.commit().await?;
    let more = rows.len() as i64 == POLL_LIMIT;
    let last = rows.last().map_or(since.max(0).min(head.seq), |m| m.seq);
    let now = services.now();
    let mut messages = Vec::new();
    for m in rows {
        match control_of(&m) {
            Some((Control::End, who)) if who == viewer.audience => return Err(Error::NotFound),
            Some((Control::Reload, who)) if who == viewer.audience => {
                return Ok(Poll {
                    head: m.seq,
                    more: false,
                    reload: true,
                    messages: Vec::new(),
                });
            }
            _ => {}
        }
        if viewer.sees(m.audience, m.guest) {
            messages.push(render(&m, &services.secret, now));
        }
    }
    Ok(Poll {
        head: last,
        more,
        reload: false,
        messages,
    })
}

/// A client at `since` is beyond what is kept (or ahead of the feed: a reset database).
fn too_old(since: i64, head: &store::FeedHead) -> bool {
    if since > head.seq {
        return true;
    }
    if since == head.seq {
        return false;
    }
    match head.first {
        Some(first) => since < first - 1,
        None => true,
    }
}

/// The kind of the internal message that ends a viewer's access (never sent to clients).
const REVOKED: &str = "viewer.revoked";
/// The kind of the internal message that makes a viewer's page reload (its settings changed).
const RELOAD: &str = "viewer.reload";

/// A feed row as the JSON text clients receive: `seq`, `type`, then the body, with the
/// photo's rendition keys turned into signed URLs.
pub fn render(m: &FeedMessage, secret: &SecretKey, now: DateTime<Utc>) -> Text {
    let mut out = serde_json::Map::new();
    out.insert("seq".into(), json!(m.seq));
    out.insert("type".into(), json!(m.kind));
    if let Value::Object(body) = &m.body {
        for (k, v) in body {
            if k == "photo" {
                out.insert(k.clone(), photo_with_urls(v, secret, now));
            } else {
                out.insert(k.clone(), v.clone());
            }
        }
    }
    Text::from(Value::Object(out).to_string())
}

fn photo_with_urls(v: &Value, secret: &SecretKey, now: DateTime<Utc>) -> Value {
    let Value::Object(p) = v else {
        return v.clone();
    };
    let mut out = serde_json::Map::new();
    for (k, v) in p {
        if k != "keys" {
            out.insert(k.clone(), v.clone());
        }
    }
    if let Some(Value::Object(keys)) = p.get("keys") {
        for (name, key) in keys {
            if let Some(key) = key.as_str() {
                out.insert(
                    name.clone(),
                    json!(media_urls::signed_path(secret, key, now)),
                );
            }
        }
    }
    Value::Object(out)
}

/// A photo as live messages and the wall's JSON show it, with signed URLs.
pub fn photo_json(p: &Photo, secret: &SecretKey, now: DateTime<Utc>) -> Value {
    photo_with_urls(&photo_body(p), secret, now)
}

/// What a tile or a wall needs of a photo (its URLs are signed when delivered).
fn photo_body(p: &Photo) -> Value {
    let key = |edge: u32| {
        p.renditions
            .iter()
            .find(|r| r.max_edge == edge)
            .or_else(|| p.renditions.iter().max_by_key(|r| r.max_edge))
            .map(|r| r.key.clone())
    };
    json!({
        "id": p.id.to_string(),
        "width": p.width,
        "height": p.height,
        "keys": { "thumb": key(150), "src": key(800), "large": key(1920) },
        "uploader": p.uploader_name,
        "caption": p.caption,
        "reactions": p.reaction_count,
        "published_at": p.processed_at.unwrap_or(p.created_at).to_rfc3339_opts(SecondsFormat::Secs, true),
    })
}

/// Who sees a published photo: members, walls unless it is kept off them, every guest when
/// the event shows guests each other's photos, and always its own guest.
fn public_bits(event: &Event, p: &Photo, off_wall: bool) -> i32 {
    let mut bits = audience::MEMBERS | audience::OWNER;
    if !off_wall {
        bits |= audience::WALLS;
    }
    if event.settings.guest_visibility == GuestVisibility::Everyone {
        bits |= audience::GUESTS;
    }
    if p.guest_id.is_none() {
        bits &= !audience::OWNER;
    }
    bits
}

async fn append(
    tx: &mut Tx,
    event: &Event,
    kind: &'static str,
    bits: i32,
    photo: Option<&Photo>,
    body: Value,
    now: DateTime<Utc>,
) -> Result<i64, StoreError> {
    tx.append_feed(
        event.tenant_id,
        event.id,
        &NewFeedMessage {
            kind,
            audience: bits,
            guest: photo.and_then(|p| p.guest_id),
            photo: photo.map(|p| p.id),
            body,
        },
        now,
    )
    .await
}

/// Writes the feed messages for a photo that changed in `tx`: `before` as it was (`None`: new
/// or unknown), `after` as it is now (`None`: deleted). Call it after the change, before the
/// commit, then ring the hub ([`Hub::ring`]) once committed.
pub async fn photo_changed(
    tx: &mut Tx,
    event: &Event,
    before: Option<&Photo>,
    after: Option<&Photo>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let was = before.map(|p| p.status);
    let is = after.map(|p| p.status);
    let published = |s: Option<PhotoStatus>| s == Some(PhotoStatus::Published);
    let off_wall = match after.or(before) {
        Some(p) => tx.is_off_wall(event.tenant_id, p.id).await?,
        None => false,
    };
    match (before, after) {
        (_, Some(p)) if published(is) && !published(was) => {
            let bits = public_bits(event, p, off_wall);
            append(
                tx,
                event,
                "photo.published",
                bits,
                Some(p),
                json!({ "photo": photo_body(p) }),
                now,
            )
            .await?;
        }
        (_, Some(p)) if published(is) => {
            let bits = public_bits(event, p, off_wall);
            append(
                tx,
                event,
                "photo.updated",
                bits,
                Some(p),
                json!({ "photo": photo_body(p) }),
                now,
            )
            .await?;
        }
        (Some(p), _) if published(was) => {
            let bits = public_bits(event, p, off_wall);
            append(
                tx,
                event,
                "photo.removed",
                bits,
                Some(p),
                json!({ "id": p.id.to_string() }),
                now,
            )
            .await?;
        }
        (Some(p), None) => {
            // Never in the gallery: only members and its own guest knew of it.
            append(
                tx,
                event,
                "photo.removed",
                audience::MEMBERS | audience::OWNER,
                Some(p),
                json!({ "id": p.id.to_string() }),
                now,
            )
            .await?;
        }
        _ => {}
    }
    if was != is {
        if let Some(p) = after {
            append(
                tx,
                event,
                "photo.status",
                audience::MEMBERS | audience::OWNER,
                Some(p),
                json!({ "id": p.id.to_string(), "status": p.status.as_str() }),
                now,
            )
            .await?;
        }
        // The counters were kept by the same transaction's triggers: read once, for both.
        let stats = tx.event_photo_stats(event.tenant_id, event.id).await?;
        figures(tx, event, &stats, now).await?;
        if was == Some(PhotoStatus::PendingReview) || is == Some(PhotoStatus::PendingReview) {
            queue(tx, event, &stats, now).await?;
        }
    }
    Ok(())
}

/// The event's figures for members (photos in the gallery, in the running, contributors).
async fn figures(
    tx: &mut Tx,
    event: &Event,
    s: &store::EventPhotoStats,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    append(
        tx,
        event,
        "figures",
        audience::MEMBERS,
        None,
        json!({ "photos": s.photos, "published": s.published, "contributors": s.contributors }),
        now,
    )
    .await?;
    Ok(())
}

/// How many photos wait for approval (members).
async fn queue(
    tx: &mut Tx,
    event: &Event,
    s: &store::EventPhotoStats,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    append(
        tx,
        event,
        "queue",
        audience::MEMBERS,
        None,
        json!({ "pending": s.pending_review }),
        now,
    )
    .await?;
    Ok(())
}

/// A photo's reaction counts changed (only a photo in the gallery can be reacted to).
pub async fn reactions_changed(
    tx: &mut Tx,
    event: &Event,
    photo: &Photo,
    counts: &std::collections::BTreeMap<String, i64>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let off_wall = tx.is_off_wall(event.tenant_id, photo.id).await?;
    let total: i64 = counts.values().sum();
    append(
        tx,
        event,
        "photo.reactions",
        public_bits(event, photo, off_wall),
        Some(photo),
        json!({ "id": photo.id.to_string(), "counts": counts, "total": total }),
        now,
    )
    .await?;
    Ok(())
}

/// Every wall of the event blanks (`on`) or resumes.
pub async fn walls_blanked(
    tx: &mut Tx,
    event: &Event,
    on: bool,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    append(
        tx,
        event,
        "wall.blank",
        audience::MEMBERS | audience::WALLS,
        None,
        json!({ "on": on }),
        now,
    )
    .await?;
    Ok(())
}

/// A published photo is taken off the walls (`off`) or let back on them.
pub async fn wall_skip(
    tx: &mut Tx,
    event: &Event,
    photo: &Photo,
    off: bool,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    if off {
        append(
            tx,
            event,
            "wall.skip",
            audience::MEMBERS | audience::WALLS,
            Some(photo),
            json!({ "id": photo.id.to_string() }),
            now,
        )
        .await?;
    } else if photo.status == PhotoStatus::Published {
        append(
            tx,
            event,
            "photo.published",
            audience::WALLS,
            Some(photo),
            json!({ "photo": photo_body(photo) }),
            now,
        )
        .await?;
    }
    Ok(())
}

/// A wall showed a photo for the first time: its guest is told (and members see it).
pub async fn photo_on_wall(
    tx: &mut Tx,
    event: &Event,
    photo: &Photo,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    append(
        tx,
        event,
        "photo.on_wall",
        audience::OWNER | audience::MEMBERS,
        Some(photo),
        json!({ "id": photo.id.to_string() }),
        now,
    )
    .await?;
    Ok(())
}

/// Ends a guest's or a wall's live access at once (blocked, revoked): their sockets close.
pub async fn revoke_viewer(
    tx: &mut Tx,
    event: &Event,
    who: Audience,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    control(tx, event, REVOKED, who, now).await
}

/// Makes a wall's open pages reload (a member changed its settings).
pub async fn reload_viewer(
    tx: &mut Tx,
    event: &Event,
    who: Audience,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    control(tx, event, RELOAD, who, now).await
}

async fn control(
    tx: &mut Tx,
    event: &Event,
    kind: &'static str,
    who: Audience,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let body = match who {
        Audience::Guest(g) => json!({ "guest": g.to_string() }),
        Audience::Wall(w) => json!({ "wall": w.to_string() }),
        Audience::Member => return Ok(()),
    };
    append(tx, event, kind, 0, None, body, now).await?;
    Ok(())
}

/// Re-reads a photo in `tx` after a change, for [`photo_changed`].
pub async fn reread(tx: &mut Tx, photo: &Photo) -> Result<Option<Photo>, StoreError> {
    tx.get_photo(photo.tenant_id, photo.id).await
}

/// A draw of the event moved (closed, phrase, a pick, an outcome, finished): every screen and
/// phone watching re-reads its state (`draw.state`, a doorbell with the draw's id).
pub async fn draw_changed(
    tx: &mut Tx,
    event: &Event,
    draw: domain::DrawId,
    step: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    append(
        tx,
        event,
        "draw.state",
        audience::MEMBERS | audience::WALLS | audience::GUESTS,
        None,
        json!({ "draw": draw.to_string(), "step": step }),
        now,
    )
    .await?;
    Ok(())
}

/// A guest's entry was drawn: their phone says so (`draw.won`, for them alone).
pub async fn draw_won(
    tx: &mut Tx,
    event: &Event,
    guest: GuestId,
    body: Value,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    tx.append_feed(
        event.tenant_id,
        event.id,
        &NewFeedMessage {
            kind: "draw.won",
            audience: audience::OWNER,
            guest: Some(guest),
            photo: None,
            body,
        },
        now,
    )
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audiences_filter_as_documented() {
        let g = GuestId::new();
        let other = GuestId::new();
        let t = TenantId::new();
        let e = EventId::new();
        let guest = Viewer {
            tenant: t,
            event: e,
            audience: Audience::Guest(g),
        };
        let member = Viewer {
            tenant: t,
            event: e,
            audience: Audience::Member,
        };
        let wall = Viewer {
            tenant: t,
            event: e,
            audience: Audience::Wall(WallId::new()),
        };
        let owner_only = audience::MEMBERS | audience::OWNER;
        assert!(guest.sees(owner_only, Some(g)));
        assert!(
            !guest.sees(owner_only, Some(other)),
            "another guest's photo"
        );
        assert!(!guest.sees(owner_only, None));
        assert!(!wall.sees(owner_only, Some(g)));
        assert!(member.sees(owner_only, Some(g)));
        let public = audience::MEMBERS | audience::WALLS | audience::GUESTS;
        assert!(guest.sees(public, Some(other)) && wall.sees(public, None));
        assert!(!member.sees(audience::WALLS, None));
        assert!(!guest.sees(0, Some(g)) && !wall.sees(0, None) && !member.sees(0, None));
    }

    #[test]
    fn a_client_too_far_behind_reloads() {
        let head = |seq, first| store::FeedHead {
            seq,
            first,
            walls_blank: false,
        };
        assert!(!too_old(0, &head(0, None)), "an empty feed");
        assert!(!too_old(5, &head(5, None)), "up to date after pruning");
        assert!(too_old(3, &head(5, None)), "behind, nothing kept");
        assert!(!too_old(3, &head(9, Some(4))), "the next one is kept");
        assert!(too_old(2, &head(9, Some(4))), "seq 3 is gone");
        assert!(too_old(10, &head(9, Some(1))), "ahead of the feed");
    }
}

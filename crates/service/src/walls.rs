//! Projector walls: members make them per event (each with its own link and settings), blank
//! them all at once, and keep single photos off them; the wall page opens from its link
//! without logging in (docs/LIVE.md).

use domain::{Action, EventId, PhotoId, TenantId, UserId, WallId};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use store::{
    AuditRepo, Event, EventRepo, FeedRepo, NewAuditEntry, Photo, PhotoRepo, Scope, StoreError, Tx,
    Wall, WallRepo,
};

use crate::live::{self, Audience};
use crate::secrets::{SecretKey, base32};
use crate::{Ctx, Error, Services};

/// Longest wall name.
pub const MAX_NAME: usize = 60;
/// Longest hold delay (seconds).
pub const MAX_HOLD: u32 = 600;
/// Seconds per photo: at least, at most.
pub const SLIDE_RANGE: (u32, u32) = (3, 120);
/// Photos the wall page starts with (newest first).
pub const WALL_PHOTOS: u32 = 500;

/// A wall's name and settings, as a member sets them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WallInput {
    pub name: String,
    pub hold_seconds: u32,
    pub slide_seconds: u32,
    pub mosaic: bool,
    pub show_captions: bool,
    pub show_qr: bool,
}

impl Default for WallInput {
    fn default() -> Self {
        Self {
            name: "Wall".into(),
            hold_seconds: 10,
            slide_seconds: 8,
            mosaic: false,
            show_captions: true,
            show_qr: true,
        }
    }
}

/// A field of [`WallInput`] that is not right, with the reason (a stable code the web layer
/// words: `name_empty`, `name_long`, `hold_range`, `slide_range`, `number`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WallFieldError {
    pub field: &'static str,
    pub code: &'static str,
}

/// Checks a wall's form fields (numbers as typed).
pub fn parse_wall_input(
    name: &str,
    hold: &str,
    slide: &str,
    mosaic: bool,
    show_captions: bool,
    show_qr: bool,
) -> Result<WallInput, Vec<WallFieldError>> {
    let mut errors = Vec::new();
    let name = name.trim();
    if name.is_empty() {
        errors.push(WallFieldError {
            field: "name",
            code: "name_empty",
        });
    } else if name.chars().count() > MAX_NAME || name.chars().any(char::is_control) {
        errors.push(WallFieldError {
            field: "name",
            code: "name_long",
        });
    }
    let number = |field: &'static str,
                  raw: &str,
                  (lo, hi): (u32, u32),
                  code,
                  errors: &mut Vec<_>| match raw.trim().parse::<u32>() {
        Ok(n) if (lo..=hi).contains(&n) => n,
        Ok(_) => {
            errors.push(WallFieldError { field, code });
            lo
        }
        Err(_) => {
            errors.push(WallFieldError {
                field,
                code: "number",
            });
            lo
        }
    };
    let hold_seconds = number(
        "hold_seconds",
        hold,
        (0, MAX_HOLD),
        "hold_range",
        &mut errors,
    );
    let slide_seconds = number(
        "slide_seconds",
        slide,
        SLIDE_RANGE,
        "slide_range",
        &mut errors,
    );
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(WallInput {
        name: name.to_owned(),
        hold_seconds,
        slide_seconds,
        mosaic,
        show_captions,
        show_qr,
    })
}

/// The wall's current link token: 128 bits from its nonce and the server's secret.
pub fn wall_token(secret: &SecretKey, wall: &Wall) -> String {
    let mac = secret.derive(
        "wall-link",
        &[
            wall.tenant_id.as_uuid().as_bytes(),
            wall.id.as_uuid().as_bytes(),
            wall.link_nonce.as_bytes(),
        ],
    );
    base32(&mac[..16])
}

fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.trim().to_ascii_lowercase().as_bytes()))
}

fn nonce() -> String {
    use argon2::password_hash::rand_core::{OsRng, RngCore};
    let mut b = [0u8; 16];
    OsRng.fill_bytes(&mut b);
    hex::encode(b)
}

fn subject(event: EventId, wall: WallId) -> String {
    format!("event:{event}/wall:{wall}")
}

async fn audit(
    tx: &mut Tx,
    tenant: TenantId,
    actor: Option<UserId>,
    action: &str,
    subject: String,
    details: Value,
) -> Result<(), StoreError> {
    tx.append_audit(
        tenant,
        &NewAuditEntry {
            actor,
            action: action.to_owned(),
            subject: Some(subject),
            details,
        },
    )
    .await
    .map(|_| ())
}

async fn event_of(tx: &mut Tx, tenant: TenantId, event: EventId) -> Result<Event, Error> {
    tx.get_event(tenant, event).await?.ok_or(Error::NotFound)
}

async fn wall_of(
    tx: &mut Tx,
    tenant: TenantId,
    event: EventId,
    wall: WallId,
) -> Result<Wall, Error> {
    match tx.get_wall(tenant, wall).await? {
        Some(w) if w.event_id == event => Ok(w),
        _ => Err(Error::NotFound),
    }
}

/// A wall with its link (only for members who may manage walls).
#[derive(Debug, Clone)]
pub struct WallEntry {
    pub wall: Wall,
    pub token: Option<String>,
}

/// The walls page of an event: its walls and whether they are blanked.
#[derive(Debug, Clone)]
pub struct WallsView {
    pub event: Event,
    pub walls: Vec<WallEntry>,
    pub blank: bool,
    /// Whether the viewer may create, change and revoke walls (else only blank them).
    pub may_manage: bool,
}

/// The event's walls, for a member who may moderate (blank them); their links only for
/// those who may manage events.
pub async fn list_walls(
    services: &Services,
    ctx: &Ctx,
    event: EventId,
) -> Result<WallsView, Error> {
    ctx.require(Action::ModeratePhotos)?;
    let may_manage = ctx.require(Action::ManageEvents).is_ok();
    let mut tx = services.db.begin_read(Scope::Tenant(ctx.tenant)).await?;
    let ev = event_of(&mut tx, ctx.tenant, event).await?;
    let walls = tx.list_walls(ctx.tenant, event).await?;
    let blank = tx.feed_head(ctx.tenant, event).await?.walls_blank;
    tx.commit().await?;
    let walls = walls
        .into_iter()
        .map(|wall| {
            let token = (may_manage && wall.revoked_at.is_none())
                .then(|| wall_token(&services.secret, &wall));
            WallEntry { wall, token }
        })
        .collect();
    Ok(WallsView {
        event: ev,
        walls,
        blank,
        may_manage,
    })
}

/// Makes a wall for `event`; returns it and its link token.
pub async fn create_wall(
    services: &Services,
    ctx: &Ctx,
    event: EventId,
    input: WallInput,
) -> Result<(Wall, String), Error> {
    let actor = ctx.require(Action::ManageEvents)?;
    let mut tx = services.db.begin(Scope::Tenant(ctx.tenant)).await?;
    event_of(&mut tx, ctx.tenant, event).await?;
    let wall = Wall {
        id: WallId::new(),
        tenant_id: ctx.tenant,
        event_id: event,
        name: input.name,
        link_nonce: nonce(),
        hold_seconds: input.hold_seconds,
        slide_seconds: input.slide_seconds,
        mosaic: input.mosaic,
        show_captions: input.show_captions,
        show_qr: input.show_qr,
        created_by: actor,
        created_at: ctx.now,
        updated_at: ctx.now,
        revoked_at: None,
    };
    tx.insert_wall(&wall).await?;
    let token = wall_token(&services.secret, &wall);
    tx.add_wall_link(ctx.tenant, wall.id, &token_hash(&token), ctx.now)
        .await?;
    audit(
        &mut tx,
        ctx.tenant,
        actor,
        "wall.created",
        subject(event, wall.id),
        json!({ "name": wall.name }),
    )
    .await?;
    tx.commit().await?;
    Ok((wall, token))
}

/// Changes a wall's name and settings (open walls pick them up when they reload).
pub async fn update_wall(
    services: &Services,
    ctx: &Ctx,
    event: EventId,
    wall: WallId,
    input: WallInput,
) -> Result<Wall, Error> {
    let actor = ctx.require(Action::ManageEvents)?;
    let mut tx = services.db.begin(Scope::Tenant(ctx.tenant)).await?;
    let ev = event_of(&mut tx, ctx.tenant, event).await?;
    let mut w = wall_of(&mut tx, ctx.tenant, event, wall).await?;
    w.name = input.name;
    w.hold_seconds = input.hold_seconds;
    w.slide_seconds = input.slide_seconds;
    w.mosaic = input.mosaic;
    w.show_captions = input.show_captions;
    w.show_qr = input.show_qr;
    w.updated_at = ctx.now;
    tx.update_wall(&w).await?;
    // Its open pages reload with the new settings.
    live::reload_viewer(&mut tx, &ev, Audience::Wall(w.id), ctx.now).await?;
    audit(
        &mut tx,
        ctx.tenant,
        actor,
        "wall.updated",
        subject(event, w.id),
        json!({ "name": w.name, "hold_seconds": w.hold_seconds, "slide_seconds": w.slide_seconds,
                "mosaic": w.mosaic, "captions": w.show_captions, "qr": w.show_qr }),
    )
    .await?;
    tx.commit().await?;
    services.live.ring(ctx.tenant, event);
    Ok(w)
}

/// Gives a wall a new link: the old one stops at once (its open pages close).
pub async fn replace_link(
    services: &Services,
    ctx: &Ctx,
    event: EventId,
    wall: WallId,
) -> Result<(Wall, String), Error> {
    let actor = ctx.require(Action::ManageEvents)?;
    let mut tx = services.db.begin(Scope::Tenant(ctx.tenant)).await?;
    let ev = event_of(&mut tx, ctx.tenant, event).await?;
    let mut w = wall_of(&mut tx, ctx.tenant, event, wall).await?;
    if w.revoked_at.is_some() {
        return Err(Error::NotFound);
    }
    w.link_nonce = nonce();
    w.updated_at = ctx.now;
    tx.update_wall(&w).await?;
    let token = wall_token(&services.secret, &w);
    tx.add_wall_link(ctx.tenant, w.id, &token_hash(&token), ctx.now)
        .await?;
    live::revoke_viewer(&mut tx, &ev, Audience::Wall(w.id), ctx.now).await?;
    audit(
        &mut tx,
        ctx.tenant,
        actor,
        "wall.link_replaced",
        subject(event, w.id),
        json!({}),
    )
    .await?;
    tx.commit().await?;
    services.live.ring(ctx.tenant, event);
    Ok((w, token))
}

/// Revokes a wall: its link opens nothing any more and its open pages go blank at once.
pub async fn revoke_wall(
    services: &Services,
    ctx: &Ctx,
    event: EventId,
    wall: WallId,
) -> Result<(), Error> {
    let actor = ctx.require(Action::ManageEvents)?;
    let mut tx = services.db.begin(Scope::Tenant(ctx.tenant)).await?;
    let ev = event_of(&mut tx, ctx.tenant, event).await?;
    let mut w = wall_of(&mut tx, ctx.tenant, event, wall).await?;
    if w.revoked_at.is_some() {
        return Ok(());
    }
    w.revoked_at = Some(ctx.now);
    w.updated_at = ctx.now;
    tx.update_wall(&w).await?;
    tx.end_wall_links(ctx.tenant, w.id, ctx.now).await?;
    live::revoke_viewer(&mut tx, &ev, Audience::Wall(w.id), ctx.now).await?;
    audit(
        &mut tx,
        ctx.tenant,
        actor,
        "wall.revoked",
        subject(event, w.id),
        json!({ "name": w.name }),
    )
    .await?;
    tx.commit().await?;
    services.live.ring(ctx.tenant, event);
    Ok(())
}

/// "Blank all screens" (`on`) and "Resume": every wall of the event, within a second.
/// Returns whether anything changed.
pub async fn set_blank(
    services: &Services,
    ctx: &Ctx,
    event: EventId,
    on: bool,
) -> Result<bool, Error> {
    let actor = ctx.require(Action::ModeratePhotos)?;
    let mut tx = services.db.begin(Scope::Tenant(ctx.tenant)).await?;
    let ev = event_of(&mut tx, ctx.tenant, event).await?;
    let changed = tx.set_walls_blank(ctx.tenant, event, on).await?;
    if changed {
        live::walls_blanked(&mut tx, &ev, on, ctx.now).await?;
        audit(
            &mut tx,
            ctx.tenant,
            actor,
            if on { "walls.blanked" } else { "walls.resumed" },
            format!("event:{event}"),
            json!({}),
        )
        .await?;
    }
    tx.commit().await?;
    if changed {
        services.live.ring(ctx.tenant, event);
    }
    Ok(changed)
}

/// "Not on the wall" (`off`) or back on it, for one photo of the event.
pub async fn set_off_wall(
    services: &Services,
    ctx: &Ctx,
    event: EventId,
    photo: PhotoId,
    off: bool,
) -> Result<(), Error> {
    let actor = ctx.require(Action::ModeratePhotos)?;
    let mut tx = services.db.begin(Scope::Tenant(ctx.tenant)).await?;
    let ev = event_of(&mut tx, ctx.tenant, event).await?;
    let p = match tx.get_photo(ctx.tenant, photo).await? {
        Some(p) if p.event_id == event => p,
        _ => return Err(Error::NotFound),
    };
    if tx.is_off_wall(ctx.tenant, photo).await? == off {
        tx.commit().await?;
        return Ok(());
    }
    tx.set_off_wall(ctx.tenant, photo, off).await?;
    live::wall_skip(&mut tx, &ev, &p, off, ctx.now).await?;
    audit(
        &mut tx,
        ctx.tenant,
        actor,
        if off {
            "photo.off_wall"
        } else {
            "photo.on_wall"
        },
        crate::moderation::subject(event, photo),
        json!({ "uploader": p.uploader_name }),
    )
    .await?;
    tx.commit().await?;
    services.live.ring(ctx.tenant, event);
    Ok(())
}

/// A wall's page says it is showing `photo`. The first time any wall of the event shows a
/// published photo that may be on the walls, its guest is told (`photo.on_wall`, also noted
/// on the photo for My photos); after that, and for anything else, nothing happens. Only a
/// wall's own viewer (a checked, unrevoked link) can say so.
pub async fn photo_showing(
    services: &Services,
    viewer: &live::Viewer,
    photo: PhotoId,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<bool, Error> {
    if !matches!(viewer.audience, Audience::Wall(_)) {
        return Err(Error::NotFound);
    }
    let mut tx = services.db.begin(Scope::Tenant(viewer.tenant)).await?;
    if !tx
        .mark_on_wall(viewer.tenant, viewer.event, photo, now)
        .await?
    {
        tx.commit().await?;
        return Ok(false);
    }
    let ev = event_of(&mut tx, viewer.tenant, viewer.event).await?;
    let Some(p) = tx.get_photo(viewer.tenant, photo).await? else {
        return Err(Error::NotFound);
    };
    live::photo_on_wall(&mut tx, &ev, &p, now).await?;
    tx.commit().await?;
    services.live.ring(viewer.tenant, viewer.event);
    Ok(true)
}

/// An open wall: what its page needs.
#[derive(Debug, Clone)]
pub struct OpenWall {
    pub wall: Wall,
    pub event: Event,
    pub blank: bool,
    pub head: i64,
}

/// The wall a link opens; [`Error::NotFound`] for an unknown, replaced or revoked link.
pub async fn open_wall(services: &Services, token: &str) -> Result<OpenWall, Error> {
    let token = token.trim();
    if token.len() != 26 || !token.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(Error::NotFound);
    }
    let mut tx = services.db.begin_read(Scope::System).await?;
    let link = tx.find_wall_link(&token_hash(token)).await?;
    tx.commit().await?;
    let link = match link {
        Some(l) if l.replaced_at.is_none() => l,
        _ => return Err(Error::NotFound),
    };
    let tenant = link.tenant_id;
    let mut tx = services.db.begin_read(Scope::Tenant(tenant)).await?;
    let wall = match tx.get_wall(tenant, link.wall_id).await? {
        Some(w) if w.revoked_at.is_none() => w,
        _ => return Err(Error::NotFound),
    };
    let event = event_of(&mut tx, tenant, wall.event_id).await?;
    let head = tx.feed_head(tenant, wall.event_id).await?;
    tx.commit().await?;
    Ok(OpenWall {
        wall,
        event,
        blank: head.walls_blank,
        head: head.seq,
    })
}

/// The photos a wall starts with (newest first) and the feed's head they were read at.
pub async fn wall_photos(services: &Services, wall: &Wall) -> Result<(i64, Vec<Photo>), Error> {
    let mut tx = services
        .db
        .begin_read(Scope::Tenant(wall.tenant_id))
        .await?;
    let head = tx.feed_head(wall.tenant_id, wall.event_id).await?.seq;
    let photos = tx
        .wall_photos(wall.tenant_id, wall.event_id, WALL_PHOTOS)
        .await?;
    tx.commit().await?;
    Ok((head, photos))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wall_fields_are_checked() {
        let ok = parse_wall_input(" Main hall ", "10", "8", true, false, true).expect("valid");
        assert_eq!(ok.name, "Main hall");
        assert_eq!(
            (ok.hold_seconds, ok.slide_seconds, ok.mosaic),
            (10, 8, true)
        );
        let errs = parse_wall_input("", "-1", "1", false, false, false).expect_err("three errors");
        let codes: Vec<_> = errs.iter().map(|e| (e.field, e.code)).collect();
        assert_eq!(
            codes,
            [
                ("name", "name_empty"),
                ("hold_seconds", "number"),
                ("slide_seconds", "slide_range")
            ]
        );
        let long = "x".repeat(MAX_NAME + 1);
        assert!(parse_wall_input(&long, "0", "3", false, false, false).is_err());
        assert!(parse_wall_input("a", "601", "3", false, false, false).is_err());
    }

    #[test]
    fn wall_tokens_need_the_secret_and_change_with_the_nonce() {
        let secret = SecretKey::random();
        let mut w = Wall {
            id: WallId::new(),
            tenant_id: TenantId::new(),
            event_id: EventId::new(),
            name: "Wall".into(),
            link_nonce: nonce(),
            hold_seconds: 0,
            slide_seconds: 8,
            mosaic: false,
            show_captions: true,
            show_qr: true,
            created_by: None,
            created_at: domain::time::now(),
            updated_at: domain::time::now(),
            revoked_at: None,
        };
        let t = wall_token(&secret, &w);
        assert_eq!(t.len(), 26);
        assert_eq!(t, wall_token(&secret, &w));
        assert_ne!(t, wall_token(&SecretKey::random(), &w));
        w.link_nonce = nonce();
        assert_ne!(t, wall_token(&secret, &w));
    }
}

//! The members' side of an event's guests: who joined, with their photo and report figures,
//! and blocking a guest (no more uploads, reactions or reports; they can still look) or letting
//! them back. Blocking and unblocking are in the event's audit log.
//!
//! The figures are kept on each guest's row by triggers (migration 0013), so a page of the list
//! reads one index range, however many guests and photos the event has.

use chrono::{DateTime, Utc};
use domain::{Action, EventId, GuestId, TenantId};
use serde_json::json;
use store::{
    AuditRepo, Event, EventRepo, GuestFigures, GuestRepo, GuestTotals, NewAuditEntry, PhotoRepo,
    ReportRepo, Scope, Tx,
};

use crate::{Ctx, Error, Services};

/// The longest page of the list.
pub const MAX_PAGE: u32 = 100;

/// The audit subject of a guest: under their event, so an event's log is one prefix.
pub fn subject(event: EventId, guest: GuestId) -> String {
    format!("event:{event}/guest:{guest}")
}

/// One page of an event's guests, newest first.
#[derive(Debug, Clone)]
pub struct GuestList {
    pub event: Event,
    pub guests: Vec<GuestFigures>,
    /// Whether another page follows the last of `guests`.
    pub more: bool,
    /// How many joined in all, and how many are blocked.
    pub totals: GuestTotals,
}

/// The guests of `event` who joined before `before` (the last one of the previous page), at
/// most `limit` of them, with their figures.
pub async fn list_guests(
    services: &Services,
    ctx: &Ctx,
    event: EventId,
    before: Option<(DateTime<Utc>, GuestId)>,
    limit: u32,
) -> Result<GuestList, Error> {
    ctx.require(Action::ViewEvents)?;
    let tenant = ctx.tenant;
    let mut tx = services.db.begin_read(Scope::Tenant(tenant)).await?;
    let event = tx.get_event(tenant, event).await?.ok_or(Error::NotFound)?;
    let (guests, more) = tx
        .list_event_guests(tenant, event.id, before, limit.clamp(1, MAX_PAGE))
        .await?;
    let totals = tx.guest_totals(tenant, event.id).await?;
    tx.commit().await?;
    Ok(GuestList {
        event,
        guests,
        more,
        totals,
    })
}

/// One guest of `event` with their figures (the confirmation pages, the API's answers).
pub async fn guest_of_event(
    services: &Services,
    ctx: &Ctx,
    event: EventId,
    guest: GuestId,
) -> Result<(Event, GuestFigures), Error> {
    ctx.require(Action::ViewEvents)?;
    let tenant = ctx.tenant;
    let mut tx = services.db.begin_read(Scope::Tenant(tenant)).await?;
    let event = tx.get_event(tenant, event).await?.ok_or(Error::NotFound)?;
    let guest = tx
        .guest_figures(tenant, event.id, guest)
        .await?
        .ok_or(Error::NotFound)?;
    tx.commit().await?;
    Ok((event, guest))
}

/// Blocks a guest of `event`: from now on they can neither upload nor react nor report (their
/// session stays, so they can still look at the gallery). Their photos stay where they are
/// unless `hide_photos`: then those in the gallery or waiting are hidden (a member can put
/// each back from the moderation page) and the reports on them are settled. Blocking a guest
/// who is already blocked keeps the first time; with `hide_photos` it still hides.
pub async fn block_guest(
    services: &Services,
    ctx: &Ctx,
    event: EventId,
    guest: GuestId,
    hide_photos: bool,
) -> Result<GuestFigures, Error> {
    let actor = ctx.require(Action::ModeratePhotos)?;
    let (tenant, now) = (ctx.tenant, ctx.now);
    let mut tx = services.db.begin(Scope::Tenant(tenant)).await?;
    let before = guest_in(&mut tx, tenant, event, guest).await?;
    let newly = before.guest.blocked_at.is_none();
    if newly {
        tx.set_guest_blocked(tenant, event, guest, Some(now))
            .await?;
    }
    let ev = tx.get_event(tenant, event).await?.ok_or(Error::NotFound)?;
    // Their photos as they were, for the feed (a guest has at most the event's limit).
    let photos_before = if hide_photos {
        tx.list_guest_photos(tenant, event, guest, 10_000).await?
    } else {
        Vec::new()
    };
    let hidden = if hide_photos {
        tx.hide_guest_photos(tenant, event, guest, actor, now)
            .await?
    } else {
        0
    };
    for p in &photos_before {
        let after = crate::live::reread(&mut tx, p).await?;
        if after.as_ref().map(|a| a.status) != Some(p.status) {
            crate::live::photo_changed(&mut tx, &ev, Some(p), after.as_ref(), now).await?;
        }
    }
    if newly {
        // Their open pages stop receiving at once.
        crate::live::revoke_viewer(&mut tx, &ev, crate::live::Audience::Guest(guest), now).await?;
    }
    if newly || hidden > 0 {
        tx.append_audit(
            tenant,
            &NewAuditEntry {
                actor,
                action: "guest.block".into(),
                subject: Some(subject(event, guest)),
                details: json!({ "uploader": before.guest.name, "hidden": hidden }),
            },
        )
        .await?;
    }
    let after = guest_in(&mut tx, tenant, event, guest).await?;
    tx.commit().await?;
    services.live.ring(tenant, event);
    tracing::info!(tenant.id = %tenant, event.id = %event, guest.id = %guest, photos.hidden = hidden, "guest blocked");
    Ok(after)
}

/// Lets a blocked guest of `event` upload, react and report again. Photos hidden when they were
/// blocked stay hidden (each can be put back from the moderation page). A guest who is not
/// blocked is left as they are, with no audit entry.
pub async fn unblock_guest(
    services: &Services,
    ctx: &Ctx,
    event: EventId,
    guest: GuestId,
) -> Result<GuestFigures, Error> {
    let actor = ctx.require(Action::ModeratePhotos)?;
    let tenant = ctx.tenant;
    let mut tx = services.db.begin(Scope::Tenant(tenant)).await?;
    let before = guest_in(&mut tx, tenant, event, guest).await?;
    let Some(blocked_at) = before.guest.blocked_at else {
        tx.commit().await?;
        return Ok(before);
    };
    tx.set_guest_blocked(tenant, event, guest, None).await?;
    tx.append_audit(
        tenant,
        &NewAuditEntry {
            actor,
            action: "guest.unblock".into(),
            subject: Some(subject(event, guest)),
            details: json!({ "uploader": before.guest.name, "blocked_at": blocked_at }),
        },
    )
    .await?;
    let after = guest_in(&mut tx, tenant, event, guest).await?;
    tx.commit().await?;
    tracing::info!(tenant.id = %tenant, event.id = %event, guest.id = %guest, "guest unblocked");
    Ok(after)
}

/// The guest, who must be of `event`, itself of the organization: anything else is "not found".
async fn guest_in(
    tx: &mut Tx,
    tenant: TenantId,
    event: EventId,
    guest: GuestId,
) -> Result<GuestFigures, Error> {
    tx.get_event(tenant, event).await?.ok_or(Error::NotFound)?;
    tx.guest_figures(tenant, event, guest)
        .await?
        .ok_or(Error::NotFound)
}

/// Refuses a guest whom a member blocked (reactions and reports; uploads check it in
/// [`crate::guests::may_upload`]). Read inside the caller's transaction, so a block takes effect
/// on the guest's very next request.
pub(crate) async fn refuse_if_blocked(
    tx: &mut Tx,
    tenant: TenantId,
    event: EventId,
    guest: GuestId,
) -> Result<(), Error> {
    match tx.get_guest(tenant, event, guest).await? {
        Some(g) if g.blocked_at.is_some() => Err(Error::GuestBlocked),
        Some(_) => Ok(()),
        None => Err(Error::NotFound),
    }
}

//! Reactions: a guest or a member toggles one of a few kinds on a photo they can see.

use domain::{Action, PhotoId, PhotoStatus};
use store::{Event, PhotoRepo, REACTION_KINDS, ReactionRepo, Scope};

use crate::{Ctx, Error, Services};

/// The outcome of a toggle: whether it is on now, and the photo's count for that kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Toggled {
    pub on: bool,
    pub count: i64,
}

/// Toggles `kind` on `photo` for the actor: a member who may react, or a guest of the event
/// on a photo of its gallery. [`Error::NotFound`] when the photo is not a published photo of
/// `event` that the actor sees, or the kind is not one of ours.
pub async fn toggle(
    services: &Services,
    ctx: &Ctx,
    event: &Event,
    photo: PhotoId,
    kind: &str,
) -> Result<Toggled, Error> {
    let guest = ctx.guest_of(event.id);
    if guest.is_none() {
        ctx.require(Action::React)?;
    }
    let reactor = ctx.actor.person_key().ok_or(Error::NotFound)?;
    if !REACTION_KINDS.contains(&kind) {
        return Err(Error::NotFound);
    }
    let tenant = ctx.tenant;
    let mut tx = services.db.begin(Scope::Tenant(tenant)).await?;
    if let Some(g) = guest {
        crate::guest_admin::refuse_if_blocked(&mut tx, tenant, event.id, g).await?;
    }
    let Some(p) = tx.get_photo(tenant, photo).await? else {
        return Err(Error::NotFound);
    };
    let visible = match guest {
        Some(g) => crate::photos::guest_sight(event, g, &p).in_gallery(),
        None => p.event_id == event.id && p.status == PhotoStatus::Published,
    };
    if !visible {
        return Err(Error::NotFound);
    }
    let on = tx
        .toggle_reaction(tenant, event.id, photo, &reactor, kind, ctx.now)
        .await?;
    let summary = tx.reaction_summary(tenant, &[photo], &reactor).await?;
    let counts: std::collections::BTreeMap<String, i64> = summary
        .counts
        .get(&photo)
        .map(|c| c.iter().map(|(k, n)| (k.to_string(), *n)).collect())
        .unwrap_or_default();
    crate::live::reactions_changed(&mut tx, event, &p, &counts, ctx.now).await?;
    tx.commit().await?;
    services.live.ring(tenant, event.id);
    let count = counts.get(kind).copied().unwrap_or(0);
    Ok(Toggled { on, count })
}

//! Reactions: a guest or a member toggles one of a few kinds on a photo they can see.

use domain::{EventId, GuestId, PhotoId, PhotoStatus, TenantId, UserId};
use store::{PhotoRepo, REACTION_KINDS, ReactionRepo, Scope, StoreError};

use crate::Services;

/// Who reacts: one reaction of each kind per person per photo.
pub fn guest_reactor(g: GuestId) -> String {
    format!("g:{g}")
}

pub fn member_reactor(u: UserId) -> String {
    format!("u:{u}")
}

/// The outcome of a toggle: whether it is on now, and the photo's count for that kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Toggled {
    pub on: bool,
    pub count: i64,
}

/// Toggles `kind` on `photo` for `reactor`. `None` when the photo is not a published photo of
/// `event` (nothing to react to), or the kind is not one of ours.
pub async fn toggle(
    services: &Services,
    tenant: TenantId,
    event: EventId,
    photo: PhotoId,
    reactor: &str,
    kind: &str,
) -> Result<Option<Toggled>, StoreError> {
    if !REACTION_KINDS.contains(&kind) {
        return Ok(None);
    }
    let mut tx = services.db.begin(Scope::Tenant(tenant)).await?;
    let Some(p) = tx.get_photo(tenant, photo).await? else {
        return Ok(None);
    };
    if p.event_id != event || p.status != PhotoStatus::Published {
        return Ok(None);
    }
    let on = tx
        .toggle_reaction(tenant, event, photo, reactor, kind, domain::time::now())
        .await?;
    let summary = tx.reaction_summary(tenant, &[photo], reactor).await?;
    tx.commit().await?;
    let count = summary
        .counts
        .get(&photo)
        .and_then(|c| c.get(kind))
        .copied()
        .unwrap_or(0);
    Ok(Some(Toggled { on, count }))
}

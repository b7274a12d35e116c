//! Moderation: members approve or reject photos waiting for approval, hide published ones,
//! and undo either. Every action is in the organization's audit log, listed per event.

use domain::{EventId, ModerationAction, PhotoId, TenantId, UserId};
use serde_json::json;
use store::{AuditEntry, AuditRepo, NewAuditEntry, PhotoRepo, Scope, StoreError};

use crate::Services;

/// The audit subject of a photo: under its event, so an event's log is one prefix.
pub fn subject(event: EventId, photo: PhotoId) -> String {
    format!("event:{event}/photo:{photo}")
}

/// Applies `action` to each of `photos` (of `event`) that it applies to; returns how many
/// changed. Photos of another event, or in a status the action does not apply to, are left.
pub async fn moderate(
    services: &Services,
    tenant: TenantId,
    actor: UserId,
    event: EventId,
    photos: &[PhotoId],
    action: ModerationAction,
) -> Result<usize, StoreError> {
    let (from, to) = action.transition();
    let now = domain::time::now();
    let mut tx = services.db.begin(Scope::Tenant(tenant)).await?;
    let mut changed = 0;
    for &id in photos {
        let Some(photo) = tx.get_photo(tenant, id).await? else {
            continue;
        };
        if photo.event_id != event {
            continue;
        }
        if tx.moderate_photo(tenant, id, from, to, actor, now).await? {
            changed += 1;
            tx.append_audit(
                tenant,
                &NewAuditEntry {
                    actor: Some(actor),
                    action: format!("photo.{}", action.as_str()),
                    subject: Some(subject(event, id)),
                    details: json!({
                        "from": photo.status.as_str(),
                        "to": to.as_str(),
                        "uploader": photo.uploader_name,
                    }),
                },
            )
            .await?;
        }
    }
    tx.commit().await?;
    if changed > 0 {
        tracing::info!(tenant.id = %tenant, event.id = %event, action = action.as_str(), changed, "photos moderated");
    }
    Ok(changed)
}

/// The event's moderation log, newest first.
pub async fn history(
    services: &Services,
    tenant: TenantId,
    event: EventId,
    limit: u32,
) -> Result<Vec<AuditEntry>, StoreError> {
    let mut tx = services.db.begin(Scope::Tenant(tenant)).await?;
    let entries = tx
        .list_audit_for(tenant, &format!("event:{event}/photo:"), limit)
        .await?;
    tx.commit().await?;
    Ok(entries)
}

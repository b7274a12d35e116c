//! Moderation: members approve or reject photos waiting for approval, hide published ones,
//! and undo either. Every action is in the organization's audit log, listed per event.

use async_trait::async_trait;
use domain::{
    EventId, GuestId, GuestVisibility, ModerationAction, PhotoId, PhotoStatus, TenantId, UserId,
};
use jobs::{Handler, Job, JobContext, JobError};
use media::BlobStore;
use serde::{Deserialize, Serialize};
use serde_json::json;
use store::{
    AuditEntry, AuditRepo, Event, Guest, NewAuditEntry, PhotoRepo, ReportRepo, Scope, StoreError,
};

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
        if tx
            .moderate_photo(tenant, id, from, to, Some(actor), now)
            .await?
        {
            changed += 1;
            // A member decided: reports on the photo are settled.
            tx.clear_reports(tenant, id).await?;
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

/// The event's moderation log, newest first, with each actor's name (`None`: no actor, or the
/// account is gone).
pub async fn history(
    services: &Services,
    tenant: TenantId,
    event: EventId,
    limit: u32,
) -> Result<Vec<(AuditEntry, Option<String>)>, StoreError> {
    let mut tx = services.db.begin_read(Scope::Tenant(tenant)).await?;
    let entries = tx
        .list_audit_for_named(tenant, &format!("event:{event}/"), limit)
        .await?;
    tx.commit().await?;
    Ok(entries)
}

/// Deletes a photo for good: the row (and its reactions) now, its files (original and
/// renditions, under `tenant/event/photo/`) by a job in the same transaction, so they go even
/// if the store is down at this moment. False when the photo is not one of `event`'s.
pub async fn delete_photo(
    services: &Services,
    tenant: TenantId,
    actor: UserId,
    event: EventId,
    photo: PhotoId,
) -> Result<bool, StoreError> {
    remove_photo(services, tenant, Some(actor), None, event, photo).await
}

/// A guest deletes one of their own photos (the same removal; logged as the guest's).
pub async fn delete_own_photo(
    services: &Services,
    guest: &Guest,
    photo: PhotoId,
) -> Result<bool, StoreError> {
    remove_photo(
        services,
        guest.tenant_id,
        None,
        Some(guest.id),
        guest.event_id,
        photo,
    )
    .await
}

async fn remove_photo(
    services: &Services,
    tenant: TenantId,
    actor: Option<UserId>,
    own: Option<GuestId>,
    event: EventId,
    photo: PhotoId,
) -> Result<bool, StoreError> {
    let mut tx = services.db.begin(Scope::Tenant(tenant)).await?;
    let Some(p) = tx.get_photo(tenant, photo).await? else {
        return Ok(false);
    };
    if p.event_id != event || (own.is_some() && p.guest_id != own) {
        return Ok(false);
    }
    if !tx.delete_photo(tenant, photo).await? {
        return Ok(false);
    }
    tx.append_audit(
        tenant,
        &NewAuditEntry {
            actor,
            action: if own.is_some() {
                "photo.delete_own".into()
            } else {
                "photo.delete".into()
            },
            subject: Some(subject(event, photo)),
            details: json!({ "uploader": p.uploader_name, "status": p.status.as_str() }),
        },
    )
    .await?;
    jobs::enqueue(
        &mut tx,
        &DeletePhotoFiles {
            tenant,
            prefix: format!("{tenant}/{event}/{photo}"),
        },
    )
    .await?;
    tx.commit().await?;
    tracing::info!(tenant.id = %tenant, event.id = %event, photo.id = %photo, "photo deleted");
    Ok(true)
}

/// Removes every file under a deleted photo's prefix.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DeletePhotoFiles {
    pub tenant: TenantId,
    pub prefix: String,
}

impl Job for DeletePhotoFiles {
    const KIND: &'static str = "photos.delete_files";
    const MAX_ATTEMPTS: i32 = 10;

    fn tenant(&self) -> Option<TenantId> {
        Some(self.tenant)
    }

    fn dedupe_key(&self) -> Option<String> {
        Some(self.prefix.clone())
    }
}

/// Runs [`DeletePhotoFiles`].
#[derive(Debug, Clone)]
pub struct DeletePhotoFilesHandler {
    pub blobs: BlobStore,
}

#[async_trait]
impl Handler<DeletePhotoFiles> for DeletePhotoFilesHandler {
    async fn run(&self, job: DeletePhotoFiles, _ctx: &JobContext) -> Result<(), JobError> {
        // A prefix is always tenant/event/photo: never less (that would be an event's files).
        if job.prefix.split('/').filter(|p| !p.is_empty()).count() != 3 {
            return Err(JobError::fatal(format!(
                "refusing to delete {:?}",
                job.prefix
            )));
        }
        let n = self
            .blobs
            .delete_prefix(&job.prefix)
            .await
            .map_err(JobError::retry)?;
        tracing::info!(files = n, "deleted a photo's files");
        Ok(())
    }
}

/// How many reports take a photo out of the gallery until a member decides.
pub const DEFAULT_REPORT_THRESHOLD: u32 = 3;

/// Longest report reason.
pub const MAX_REASON: usize = 300;

/// A guest reports a published photo of their event. When `threshold` people have, the photo
/// waits for a member's decision (out of the gallery). Returns the number of reports, or
/// `None` when there is no such photo for this guest to see.
pub async fn report(
    services: &Services,
    guest: &Guest,
    event: &Event,
    photo: PhotoId,
    reason: &str,
    threshold: u32,
) -> Result<Option<i64>, StoreError> {
    if event.settings.guest_visibility != GuestVisibility::Everyone {
        return Ok(None);
    }
    let reason: String = reason.trim().chars().take(MAX_REASON).collect();
    let tenant = guest.tenant_id;
    let now = domain::time::now();
    let mut tx = services.db.begin(Scope::Tenant(tenant)).await?;
    let Some(p) = tx.get_photo(tenant, photo).await? else {
        return Ok(None);
    };
    if p.event_id != event.id || p.status != PhotoStatus::Published {
        return Ok(None);
    }
    let n = tx
        .add_report(
            tenant,
            event.id,
            photo,
            &format!("g:{}", guest.id),
            &reason,
            now,
        )
        .await?;
    if n >= i64::from(threshold.max(1))
        && tx
            .moderate_photo(
                tenant,
                photo,
                &[PhotoStatus::Published],
                PhotoStatus::PendingReview,
                None,
                now,
            )
            .await?
    {
        tx.append_audit(
            tenant,
            &NewAuditEntry {
                actor: None,
                action: "photo.held".into(),
                subject: Some(subject(event.id, photo)),
                details: json!({ "uploader": p.uploader_name, "reports": n }),
            },
        )
        .await?;
        tracing::info!(tenant.id = %tenant, photo.id = %photo, reports = n, "photo held after reports");
    }
    tx.commit().await?;
    Ok(Some(n))
}

/// Stops a guest of `event` from uploading (their session stays: they can still look), and
/// with `hide_photos` takes their published photos out of the gallery. False when no such
/// guest in that event.
pub async fn block_guest(
    services: &Services,
    tenant: TenantId,
    actor: UserId,
    event: EventId,
    guest: GuestId,
    hide_photos: bool,
) -> Result<bool, StoreError> {
    let now = domain::time::now();
    let mut tx = services.db.begin(Scope::Tenant(tenant)).await?;
    let photos = tx.list_guest_photos(tenant, event, guest, 500).await?;
    // The guest must be of this event: their photos say so, or the row does.
    if !tx
        .set_guest_blocked(tenant, event, guest, Some(now))
        .await?
    {
        return Ok(false);
    }
    let mut hidden = 0;
    if hide_photos {
        for p in photos.iter().filter(|p| p.event_id == event) {
            if tx
                .moderate_photo(
                    tenant,
                    p.id,
                    &[PhotoStatus::Published, PhotoStatus::PendingReview],
                    PhotoStatus::Hidden,
                    Some(actor),
                    now,
                )
                .await?
            {
                hidden += 1;
            }
        }
    }
    tx.append_audit(
        tenant,
        &NewAuditEntry {
            actor: Some(actor),
            action: "guest.block".into(),
            subject: Some(format!("event:{event}/guest:{guest}")),
            details: json!({
                "uploader": photos.first().map(|p| p.uploader_name.clone()).unwrap_or_default(),
                "hidden": hidden,
            }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

//! Moderation: members approve or reject photos waiting for approval, hide published ones,
//! and undo either. Every action is in the organization's audit log, listed per event.

use async_trait::async_trait;
use domain::{EventId, ModerationAction, PhotoId, TenantId, UserId};
use jobs::{Handler, Job, JobContext, JobError};
use media::BlobStore;
use serde::{Deserialize, Serialize};
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
    let mut tx = services.db.begin(Scope::Tenant(tenant)).await?;
    let Some(p) = tx.get_photo(tenant, photo).await? else {
        return Ok(false);
    };
    if p.event_id != event || !tx.delete_photo(tenant, photo).await? {
        return Ok(false);
    }
    tx.append_audit(
        tenant,
        &NewAuditEntry {
            actor: Some(actor),
            action: "photo.delete".into(),
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

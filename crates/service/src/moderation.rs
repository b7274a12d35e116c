//! Moderation: members approve or reject photos waiting for approval, hide published ones,
//! and undo either. Every action is in the organization's audit log, listed per event.

use async_trait::async_trait;
use domain::{Action, EventId, GuestId, ModerationAction, PhotoId, PhotoStatus, TenantId, UserId};
use jobs::{Handler, Job, JobContext, JobError};
use media::BlobStore;
use serde::{Deserialize, Serialize};
use serde_json::json;
use store::{
    AuditEntry, AuditRepo, Event, EventRepo, NewAuditEntry, Photo, PhotoRepo, ReportRepo, Scope, Tx,
};

use crate::{Ctx, Error, Services};

/// The event must be one of the organization's: another organization's id is "not found".
async fn require_event(tx: &mut Tx, tenant: TenantId, event: EventId) -> Result<Event, Error> {
    tx.get_event(tenant, event).await?.ok_or(Error::NotFound)
}

/// The audit subject of a photo: under its event, so an event's log is one prefix.
pub fn subject(event: EventId, photo: PhotoId) -> String {
    format!("event:{event}/photo:{photo}")
}

/// Applies `action` to each of `photos` (of `event`) that it applies to; returns how many
/// changed. Photos of another event, or in a status the action does not apply to, are left.
pub async fn moderate(
    services: &Services,
    ctx: &Ctx,
    event: EventId,
    photos: &[PhotoId],
    action: ModerationAction,
) -> Result<usize, Error> {
    let actor = ctx.require(Action::ModeratePhotos)?;
    let (tenant, now) = (ctx.tenant, ctx.now);
    let (from, to) = action.transition();
    let mut tx = services.db.begin(Scope::Tenant(tenant)).await?;
    let ev = require_event(&mut tx, tenant, event).await?;
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
            // A member decided: reports on the photo are settled.
            tx.clear_reports(tenant, id).await?;
            let after = crate::live::reread(&mut tx, &photo).await?;
            crate::live::photo_changed(&mut tx, &ev, Some(&photo), after.as_ref(), now).await?;
            tx.append_audit(
                tenant,
                &NewAuditEntry {
                    actor,
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
        services.live.ring(tenant, event);
        tracing::info!(tenant.id = %tenant, event.id = %event, action = action.as_str(), changed, "photos moderated");
    }
    Ok(changed)
}

/// One line of an event's moderation log: the entry and the name of the member who acted
/// (empty for guests and for the reports' automatic hold).
#[derive(Debug, Clone)]
pub struct LogEntry {
    pub entry: AuditEntry,
    pub actor_name: Option<String>,
}

/// A photo with its open reports: how many, and the reasons given.
#[derive(Debug, Clone)]
pub struct ReportedPhoto {
    pub photo: Photo,
    pub count: i64,
    pub reasons: Vec<String>,
}

/// Everything the moderation page shows of one event.
#[derive(Debug, Clone)]
pub struct ModerationView {
    pub event: Event,
    pub pending: Vec<Photo>,
    pub removed: Vec<Photo>,
    pub reported: Vec<ReportedPhoto>,
    pub log: Vec<LogEntry>,
}

/// The moderation page of `event`: the approval queue, the photos taken out, the reported
/// ones and the log (newest first), each bounded.
pub async fn moderation_view(
    services: &Services,
    ctx: &Ctx,
    event: EventId,
) -> Result<ModerationView, Error> {
    ctx.require(Action::ViewEvents)?;
    let tenant = ctx.tenant;
    let mut tx = services.db.begin_read(Scope::Tenant(tenant)).await?;
    let Some(event) = tx.get_event(tenant, event).await? else {
        return Err(Error::NotFound);
    };
    let pending = tx
        .list_event_photos_in(tenant, event.id, &[PhotoStatus::PendingReview], 200)
        .await?;
    let removed = tx
        .list_event_photos_in(
            tenant,
            event.id,
            &[PhotoStatus::Rejected, PhotoStatus::Hidden],
            200,
        )
        .await?;
    let reported = tx
        .event_reported_photos(tenant, event.id)
        .await?
        .into_iter()
        .map(|(photo, r)| ReportedPhoto {
            photo,
            count: r.count,
            reasons: r.reasons.into_iter().filter(|s| !s.is_empty()).collect(),
        })
        .collect();
    let log = tx
        .list_audit_for_named(tenant, &format!("event:{}/", event.id), 100)
        .await?
        .into_iter()
        .map(|(entry, actor_name)| LogEntry { entry, actor_name })
        .collect();
    tx.commit().await?;
    Ok(ModerationView {
        event,
        pending,
        removed,
        reported,
        log,
    })
}

/// Deletes a photo for good: the row (and its reactions) now, its files (original and
/// renditions, under `tenant/event/photo/`) by a job in the same transaction, so they go even
/// if the store is down at this moment. False when the photo is not one of `event`'s.
pub async fn delete_photo(
    services: &Services,
    ctx: &Ctx,
    event: EventId,
    photo: PhotoId,
) -> Result<(), Error> {
    let actor = ctx.require(Action::DeletePhotos)?;
    remove_photo(services, ctx.tenant, actor, None, event, photo).await
}

/// Before [`delete_photos`]: the event and how many of `photos` are its own (what the
/// confirmation says). Only for members who may delete.
pub async fn photos_to_delete(
    services: &Services,
    ctx: &Ctx,
    event: EventId,
    photos: &[PhotoId],
) -> Result<(Event, Vec<PhotoId>), Error> {
    ctx.require(Action::DeletePhotos)?;
    let tenant = ctx.tenant;
    let mut tx = services.db.begin_read(Scope::Tenant(tenant)).await?;
    let ev = tx.get_event(tenant, event).await?.ok_or(Error::NotFound)?;
    let mut found = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for &id in photos.iter().take(5000) {
        if !seen.insert(id) {
            continue;
        }
        if let Some(p) = tx.get_photo(tenant, id).await?
            && p.event_id == event
        {
            found.push(id);
        }
    }
    tx.commit().await?;
    Ok((ev, found))
}

/// A member deletes several photos of `event` in one go, with the rules of [`delete_photo`]:
/// an audit entry and a file-deletion job per photo. Photos not of the event (or already
/// gone) are passed over; the answer is how many were deleted.
pub async fn delete_photos(
    services: &Services,
    ctx: &Ctx,
    event: EventId,
    photos: &[PhotoId],
) -> Result<usize, Error> {
    let actor = ctx.require(Action::DeletePhotos)?;
    let tenant = ctx.tenant;
    let mut tx = services.db.begin(Scope::Tenant(tenant)).await?;
    let ev = require_event(&mut tx, tenant, event).await?;
    let mut done = 0;
    let mut seen = std::collections::HashSet::new();
    for &photo in photos {
        if !seen.insert(photo) {
            continue;
        }
        match remove_in(&mut tx, &ev, actor, None, photo, services.now()).await {
            Ok(()) => done += 1,
            Err(Error::NotFound) => {}
            Err(e) => return Err(e),
        }
    }
    tx.commit().await?;
    services.live.ring(tenant, event);
    tracing::info!(tenant.id = %tenant, event.id = %event, photos = done, "photos deleted");
    Ok(done)
}

/// A guest deletes one of their own photos (the same removal; logged as the guest's).
pub async fn delete_own_photo(
    services: &Services,
    ctx: &Ctx,
    event: EventId,
    photo: PhotoId,
) -> Result<(), Error> {
    let guest = ctx.guest_of(event).ok_or(Error::NotFound)?;
    remove_photo(services, ctx.tenant, None, Some(guest), event, photo).await
}

async fn remove_photo(
    services: &Services,
    tenant: TenantId,
    actor: Option<UserId>,
    own: Option<GuestId>,
    event: EventId,
    photo: PhotoId,
) -> Result<(), Error> {
    let mut tx = services.db.begin(Scope::Tenant(tenant)).await?;
    let ev = require_event(&mut tx, tenant, event).await?;
    remove_in(&mut tx, &ev, actor, own, photo, services.now()).await?;
    tx.commit().await?;
    services.live.ring(tenant, event);
    tracing::info!(tenant.id = %tenant, event.id = %event, photo.id = %photo, "photo deleted");
    Ok(())
}

/// One photo's removal inside `tx`: the row, its audit entry, its feed message, its
/// file-deletion job.
async fn remove_in(
    tx: &mut Tx,
    ev: &Event,
    actor: Option<UserId>,
    own: Option<GuestId>,
    photo: PhotoId,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), Error> {
    let (tenant, event) = (ev.tenant_id, ev.id);
    let Some(p) = tx.get_photo(tenant, photo).await? else {
        return Err(Error::NotFound);
    };
    if p.event_id != event || (own.is_some() && p.guest_id != own) {
        return Err(Error::NotFound);
    }
    if !tx.delete_photo(tenant, photo).await? {
        return Err(Error::NotFound);
    }
    crate::live::photo_changed(tx, ev, Some(&p), None, now).await?;
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
        tx,
        &DeletePhotoFiles {
            tenant,
            prefix: format!("{tenant}/{event}/{photo}"),
        },
    )
    .await?;
    Ok(())
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

/// A guest reports a photo of their event's gallery. When the services' threshold of people
/// have, the photo waits for a member's decision (out of the gallery). Returns the number of
/// reports; [`Error::NotFound`] when there is no such photo for this guest to see.
pub async fn report(
    services: &Services,
    ctx: &Ctx,
    event: &Event,
    photo: PhotoId,
    reason: &str,
) -> Result<i64, Error> {
    let guest = ctx.guest_of(event.id).ok_or(Error::NotFound)?;
    let reason: String = reason.trim().chars().take(MAX_REASON).collect();
    let (tenant, now) = (ctx.tenant, ctx.now);
    let mut tx = services.db.begin(Scope::Tenant(tenant)).await?;
    crate::guest_admin::refuse_if_blocked(&mut tx, tenant, event.id, guest).await?;
    let Some(p) = tx.get_photo(tenant, photo).await? else {
        return Err(Error::NotFound);
    };
    if !crate::photos::guest_sight(event, guest, &p).in_gallery() {
        return Err(Error::NotFound);
    }
    let n = tx
        .add_report(tenant, event.id, photo, &format!("g:{guest}"), &reason, now)
        .await?;
    if n >= i64::from(services.report_threshold.max(1))
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
        crate::notifications::photo_waiting(&mut tx, tenant, now).await?;
        let after = crate::live::reread(&mut tx, &p).await?;
        crate::live::photo_changed(&mut tx, event, Some(&p), after.as_ref(), now).await?;
        tx.commit().await?;
        services.live.ring(tenant, event.id);
        tracing::info!(tenant.id = %tenant, photo.id = %photo, reports = n, "photo held after reports");
        return Ok(n);
    }
    tx.commit().await?;
    Ok(n)
}

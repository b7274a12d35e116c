//! Photos: accepting an upload durably, and the job that turns it into renditions.
//!
//! An upload streams to a temporary file while it is hashed and counted ([`stage`]); its type
//! and pixel size come from its bytes ([`StagedUpload::check`]). [`accept`] then stores the
//! original in the blob store and commits the photo row together with its processing job:
//! only after that commit does the client hear "done", and from then on nothing is lost (a
//! crashed worker's job is taken over). The same bytes twice in one event are one photo.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use domain::{Action, EventId, EventStatus, Moderation, PhotoId, PhotoStatus, TenantId, UserId};
use futures::{Stream, StreamExt};
use jobs::{Handler, Job, JobContext, JobError};
use media::BlobStore;
use media::pipeline::{self, Kind, Limits, MediaError};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use store::{
    Db, Event, EventRepo, GalleryQuery, MembershipRepo, Photo, PhotoRepo, ProcessedPhoto,
    ReactionRepo, ReactionSummary, Scope, StoreError, StoredRendition,
};
use tokio::io::AsyncWriteExt;
use tokio::sync::Semaphore;

use crate::{Ctx, Error, Services};

/// How uploads are taken in and processed.
#[derive(Debug, Clone)]
pub struct UploadSettings {
    /// Where uploads stream to before they are stored.
    pub tmp_dir: PathBuf,
    /// The largest upload at all, whatever an event allows.
    pub max_bytes: u64,
    /// Pixel limits checked from the header, before any decoding.
    pub pixels: Limits,
    /// Photos processed at once (CPU-bound work): one per core.
    pub cpu: Arc<Semaphore>,
}

impl Default for UploadSettings {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        Self {
            tmp_dir: std::env::temp_dir(),
            max_bytes: 100 * 1024 * 1024,
            pixels: Limits::default(),
            cpu: Arc::new(Semaphore::new(cores)),
        }
    }
}

/// Why an upload was not accepted. Each maps to a clear 4xx (or 503 for storage).
#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    #[error("the file is larger than {limit_mb} MB")]
    TooLarge { limit_mb: u64 },
    #[error("the file is empty")]
    Empty,
    #[error("not a JPEG, PNG, WebP or HEIC photo")]
    Unsupported,
    #[error("{0}")]
    HeicUnavailable(String),
    #[error("the photo is {width} × {height} pixels, more than this server accepts")]
    TooManyPixels { width: u32, height: u32 },
    #[error("the photo is damaged or incomplete: {0}")]
    Corrupt(String),
    #[error("event not found")]
    EventNotFound,
    #[error("the event is archived: it takes no new photos")]
    EventClosed,
    /// The organization's plan has no room for it.
    #[error(transparent)]
    LimitReached(#[from] crate::usage::LimitReached),
    #[error("the upload was interrupted")]
    Interrupted,
    #[error("photo storage is unavailable: {0}")]
    Storage(String),
    #[error(transparent)]
    Denied(#[from] domain::Denied),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("could not write the upload: {0}")]
    Io(#[from] std::io::Error),
}

/// An upload on local disk, hashed and counted; deleted when dropped.
#[derive(Debug)]
pub struct StagedUpload {
    file: tempfile::TempPath,
    pub bytes: u64,
    pub sha256: String,
}

impl StagedUpload {
    pub fn path(&self) -> &Path {
        &self.file
    }

    /// Takes over a file already on disk (a finished resumable upload): hashes it; the file is
    /// removed when the value drops.
    pub async fn from_file(path: PathBuf) -> Result<Self, UploadError> {
        use tokio::io::AsyncReadExt;
        let mut f = tokio::fs::File::open(&path).await?;
        let mut hasher = Sha256::new();
        let mut buf = vec![0u8; 256 * 1024];
        let mut bytes = 0u64;
        loop {
            let n = f.read(&mut buf).await?;
            if n == 0 {
                break;
            }
            bytes += n as u64;
            hasher.update(&buf[..n]);
        }
        if bytes == 0 {
            return Err(UploadError::Empty);
        }
        Ok(StagedUpload {
            file: tempfile::TempPath::try_from_path(path)?,
            bytes,
            sha256: hex::encode(hasher.finalize()),
        })
    }

    /// The type and size from the bytes (not the name or the header the client sent), with the
    /// pixel limits applied before anything is decoded, and the structure checked to the end (a
    /// photo cut off in transfer has an intact header): [`pipeline::inspect_file`].
    pub async fn check(&self, limits: &Limits) -> Result<pipeline::Probe, UploadError> {
        let path = self.path().to_owned();
        let limits = *limits;
        let inspected = tokio::task::spawn_blocking(move || {
            pipeline::inspect_file(std::fs::File::open(path)?, &limits)
        })
        .await
        .map_err(|e| UploadError::Io(std::io::Error::other(e)))??;
        inspected.map_err(media_error)
    }
}

fn media_error(e: MediaError) -> UploadError {
    match e {
        MediaError::Unsupported => UploadError::Unsupported,
        MediaError::HeicUnavailable(why) => UploadError::HeicUnavailable(why),
        MediaError::TooLarge { width, height, .. } => UploadError::TooManyPixels { width, height },
        MediaError::Corrupt(why) => UploadError::Corrupt(why),
    }
}

/// Streams `body` to a temporary file in `dir`, hashing as it goes. Stops at `max_bytes`
/// (the file is removed), so nothing larger ever fills the disk.
pub async fn stage<S, E>(dir: &Path, body: S, max_bytes: u64) -> Result<StagedUpload, UploadError>
where
    S: Stream<Item = Result<Bytes, E>>,
    E: std::fmt::Display,
{
    tokio::fs::create_dir_all(dir).await?;
    let named = tempfile::Builder::new()
        .prefix("upload-")
        .tempfile_in(dir)?;
    let (std_file, path) = named.into_parts();
    let mut file = tokio::fs::File::from_std(std_file);
    let mut hasher = Sha256::new();
    let mut bytes = 0u64;
    let mut body = std::pin::pin!(body);
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| {
            tracing::info!(error = %e, "upload body ended early");
            UploadError::Interrupted
        })?;
        bytes += chunk.len() as u64;
        if bytes > max_bytes {
            return Err(UploadError::TooLarge {
                limit_mb: max_bytes / (1024 * 1024),
            });
        }
        hasher.update(&chunk);
        file.write_all(&chunk).await?;
    }
    file.flush().await?;
    if bytes == 0 {
        return Err(UploadError::Empty);
    }
    Ok(StagedUpload {
        file: path,
        bytes,
        sha256: hex::encode(hasher.finalize()),
    })
}

/// Who uploads: a member (user id) or, with the guest flow, a guest by name.
#[derive(Debug, Clone)]
pub struct Uploader {
    pub user: Option<UserId>,
    pub guest: Option<domain::GuestId>,
    pub name: String,
    /// The caption written when adding the photo (a guest's form or script), if any.
    pub caption: Option<domain::Caption>,
}

/// The outcome of [`accept`].
#[derive(Debug, Clone)]
pub enum Accepted {
    /// A new photo, stored and queued for processing.
    Created(Photo),
    /// These bytes were already in the event: that photo.
    Existing(Photo),
}

impl Accepted {
    pub fn photo(&self) -> &Photo {
        match self {
            Accepted::Created(p) | Accepted::Existing(p) => p,
        }
    }
}

/// The format's name as stored (`jpeg`, `png`, `webp`, `heic`).
pub fn kind_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Jpeg => "jpeg",
        Kind::Png => "png",
        Kind::Webp => "webp",
        Kind::Heic => "heic",
    }
}

/// The blob key of an original: everything of an event lives under `tenant/event/`.
pub fn original_key(tenant: TenantId, event: EventId, photo: PhotoId, kind: Kind) -> String {
    format!("{tenant}/{event}/{photo}/original.{}", kind.extension())
}

/// Refuses a photo of `bytes` the organization's plan has no room for (photos or storage).
pub(crate) async fn room_for_photo(
    services: &Services,
    tenant: TenantId,
    bytes: u64,
) -> Result<(), UploadError> {
    use domain::plan::Resource;
    let wanted = [(Resource::Photos, 1), (Resource::Storage, bytes)];
    crate::usage::check_room(services, tenant, &wanted)
        .await
        .map_err(|e| e.into_error(|| UploadError::EventNotFound))
}

/// Stores the original, then commits the photo row and its processing job together.
pub async fn accept(
    services: &Services,
    tenant: TenantId,
    event: EventId,
    uploader: &Uploader,
    staged: &StagedUpload,
    probe: &pipeline::Probe,
    now: DateTime<Utc>,
) -> Result<Accepted, UploadError> {
    let mut tx = services.db.begin_read(Scope::Tenant(tenant)).await?;
    let Some(ev) = tx.get_event(tenant, event).await? else {
        return Err(UploadError::EventNotFound);
    };
    if ev.status == EventStatus::Archived {
        return Err(UploadError::EventClosed);
    }
    if let Some(existing) = tx.find_photo_by_hash(tenant, event, &staged.sha256).await? {
        return Ok(Accepted::Existing(existing));
    }
    tx.commit().await?;
    room_for_photo(services, tenant, staged.bytes).await?;

    let id = PhotoId::new();
    let key = original_key(tenant, event, id, probe.kind);
    services
        .blobs
        .put_file(&key, staged.path())
        .await
        .map_err(|e| UploadError::Storage(e.to_string()))?;
    let photo = Photo {
        id,
        tenant_id: tenant,
        event_id: event,
        uploaded_by: uploader.user,
        guest_id: uploader.guest,
        uploader_name: uploader.name.clone(),
        sha256: staged.sha256.clone(),
        kind: kind_name(probe.kind).to_owned(),
        original_key: key.clone(),
        original_bytes: i64::try_from(staged.bytes).unwrap_or(i64::MAX),
        status: PhotoStatus::Processing,
        failure: None,
        width: Some(probe.width),
        height: Some(probe.height),
        taken_at_local: None,
        taken_offset: None,
        camera_make: None,
        camera_model: None,
        lens: None,
        placeholder: None,
        renditions: Vec::new(),
        storage_bytes: i64::try_from(staged.bytes).unwrap_or(i64::MAX),
        created_at: now,
        processed_at: None,
        reaction_count: 0,
        on_wall_at: None,
        caption: uploader.caption.as_ref().map(|c| c.as_str().to_owned()),
    };
    let mut tx = services.db.begin(Scope::Tenant(tenant)).await?;
    match tx.insert_photo(tenant, &photo).await {
        Ok(()) => {}
        Err(StoreError::Conflict(_)) => {
            // The same bytes arrived twice at once; the other upload won.
            drop(tx);
            if let Err(e) = services.blobs.delete(&key).await {
                tracing::warn!(error = %e, "could not remove a duplicate original");
            }
            let mut tx = services.db.begin_read(Scope::Tenant(tenant)).await?;
            let existing = tx.find_photo_by_hash(tenant, event, &staged.sha256).await?;
            tx.commit().await?;
            return existing
                .map(Accepted::Existing)
                .ok_or(UploadError::EventNotFound);
        }
        Err(e) => return Err(e.into()),
    }
    jobs::enqueue(&mut tx, &ProcessPhoto { tenant, photo: id }).await?;
    tx.commit().await?;
    tracing::info!(tenant.id = %tenant, event.id = %event, photo.id = %id, bytes = staged.bytes, "photo accepted");
    Ok(Accepted::Created(photo))
}

/// Makes the renditions of one photo.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ProcessPhoto {
    pub tenant: TenantId,
    pub photo: PhotoId,
}

impl Job for ProcessPhoto {
    const KIND: &'static str = "photos.process";
    const MAX_ATTEMPTS: i32 = 8;

    fn tenant(&self) -> Option<TenantId> {
        Some(self.tenant)
    }

    fn dedupe_key(&self) -> Option<String> {
        Some(self.photo.to_string())
    }
}

/// Runs [`ProcessPhoto`]: decode, orient, resize, encode (on the bounded CPU pool), store the
/// renditions under content-addressed keys, then publish or hold for review.
#[derive(Debug, Clone)]
pub struct ProcessPhotoHandler {
    pub db: Db,
    pub blobs: BlobStore,
    pub settings: UploadSettings,
    pub clock: Arc<dyn domain::time::Clock>,
    /// Rung after a photo's outcome is committed with its feed messages.
    pub live: crate::live::Hub,
}

impl ProcessPhotoHandler {
    pub fn new(services: &Services) -> Self {
        Self {
            db: services.db.clone(),
            blobs: services.blobs.clone(),
            settings: services.uploads.clone(),
            clock: services.clock.clone(),
            live: services.live.clone(),
        }
    }
}

/// A rendition's key: its own bytes' hash in the name, so a URL never changes meaning.
pub fn rendition_key(photo: &Photo, max_edge: u32, webp: &[u8]) -> String {
    let hash = hex::encode(Sha256::digest(webp));
    format!(
        "{}/{}/{}/{}-{max_edge}.webp",
        photo.tenant_id,
        photo.event_id,
        photo.id,
        &hash[..16]
    )
}

#[async_trait]
impl Handler<ProcessPhoto> for ProcessPhotoHandler {
    async fn run(&self, job: ProcessPhoto, _ctx: &JobContext) -> Result<(), JobError> {
        let (tenant, id) = (job.tenant, job.photo);
        let mut tx = self
            .db
            .begin_read(Scope::Tenant(tenant))
            .await
            .map_err(JobError::retry)?;
        let photo = tx.get_photo(tenant, id).await.map_err(JobError::retry)?;
        let Some(photo) = photo else {
            return Ok(()); // deleted meanwhile
        };
        if photo.status != PhotoStatus::Processing {
            return Ok(()); // done by an earlier run
        }
        let event = tx
            .get_event(tenant, photo.event_id)
            .await
            .map_err(JobError::retry)?;
        // A member's own upload does not wait in their own approval queue: only guests'
        // photos are held. "A member" means credited to a user who still belongs to the
        // organization (a guest's photo has no user).
        let by_member = match photo.uploaded_by {
            Some(user) if photo.guest_id.is_none() => tx
                .get_membership(tenant, user)
                .await
                .map_err(JobError::retry)?
                .is_some(),
            _ => false,
        };
        tx.commit().await.map_err(JobError::retry)?;
        let Some(event) = event else {
            return Ok(());
        };

        let original = self
            .blobs
            .get(&photo.original_key)
            .await
            .map_err(JobError::retry)?;
        let permit = self
            .settings
            .cpu
            .clone()
            .acquire_owned()
            .await
            .map_err(JobError::retry)?;
        let limits = self.settings.pixels;
        let outcome = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            pipeline::process(&original, &limits)
        })
        .await
        .map_err(JobError::retry)?;

        let processed = match outcome {
            Ok(p) => p,
            Err(e) => {
                // Stored as the stable code; the web layer's catalogue words it for people.
                tracing::warn!(tenant.id = %tenant, photo.id = %id, code = e.code(), reason = %e, "photo failed to process");
                let mut tx = self
                    .db
                    .begin(Scope::Tenant(tenant))
                    .await
                    .map_err(JobError::retry)?;
                let now = self.clock.now();
                tx.fail_photo(tenant, id, e.code(), now)
                    .await
                    .map_err(JobError::retry)?;
                let after = crate::live::reread(&mut tx, &photo)
                    .await
                    .map_err(JobError::retry)?;
                crate::live::photo_changed(&mut tx, &event, Some(&photo), after.as_ref(), now)
                    .await
                    .map_err(JobError::retry)?;
                tx.commit().await.map_err(JobError::retry)?;
                self.live.ring(tenant, event.id);
                return Ok(());
            }
        };
        let mut renditions = Vec::with_capacity(processed.renditions.len());
        for r in processed.renditions {
            let key = rendition_key(&photo, r.max_edge, &r.webp);
            let bytes = r.webp.len() as u64;
            self.blobs
                .put(&key, Bytes::from(r.webp))
                .await
                .map_err(JobError::retry)?;
            renditions.push(StoredRendition {
                max_edge: r.max_edge,
                width: r.width,
                height: r.height,
                key,
                bytes,
            });
        }
        let meta = processed.meta;
        let done = ProcessedPhoto {
            width: processed.width,
            height: processed.height,
            taken_at_local: meta
                .taken_at
                .map(|t| t.format("%Y-%m-%dT%H:%M:%S").to_string()),
            taken_offset: meta.taken_offset,
            camera_make: meta.camera_make,
            camera_model: meta.camera_model,
            lens: meta.lens,
            placeholder: processed.placeholder,
            renditions,
        };
        let status = match event.settings.moderation {
            Moderation::Approve if !by_member => PhotoStatus::PendingReview,
            Moderation::Publish | Moderation::Approve => PhotoStatus::Published,
        };
        let mut tx = self
            .db
            .begin(Scope::Tenant(tenant))
            .await
            .map_err(JobError::retry)?;
        let now = self.clock.now();
        tx.finish_photo(tenant, id, status, &done, now)
            .await
            .map_err(JobError::retry)?;
        crate::notifications::photo_processed(&mut tx, tenant, status, now)
            .await
            .map_err(JobError::retry)?;
        let after = crate::live::reread(&mut tx, &photo)
            .await
            .map_err(JobError::retry)?;
        crate::live::photo_changed(&mut tx, &event, Some(&photo), after.as_ref(), now)
            .await
            .map_err(JobError::retry)?;
        tx.commit().await.map_err(JobError::retry)?;
        self.live.ring(tenant, event.id);
        tracing::info!(
            tenant.id = %tenant, photo.id = %id, status = status.as_str(),
            decode_ms = processed.timings.decode.as_millis() as u64,
            encode_ms = processed.timings.encode.as_millis() as u64,
            "photo processed"
        );
        Ok(())
    }
}

/// The whole upload: the event's size limit, streaming to disk, the checks, then [`accept`].
/// `uploader` is who the photo is credited to; the actor must be allowed to upload (guests
/// come through [`crate::guests::upload`], which checks the event's rules first).
pub async fn upload<S, E>(
    services: &Services,
    ctx: &Ctx,
    event: EventId,
    uploader: &Uploader,
    body: S,
) -> Result<Accepted, UploadError>
where
    S: Stream<Item = Result<Bytes, E>>,
    E: std::fmt::Display,
{
    if ctx.guest_of(event).is_none() {
        ctx.require(Action::UploadPhotos)?;
    }
    let tenant = ctx.tenant;
    let max = max_upload_bytes(services, tenant, event).await?;
    let staged = stage(&services.uploads.tmp_dir, body, max).await?;
    let probe = staged.check(&services.uploads.pixels).await?;
    accept(services, tenant, event, uploader, &staged, &probe, ctx.now).await
}

/// Who a member's upload is credited to.
pub fn member_uploader(ctx: &Ctx, name: &str) -> Uploader {
    Uploader {
        user: ctx.actor.user(),
        guest: None,
        name: name.to_owned(),
        caption: None,
    }
}

/// The largest file this event takes: its own setting, within the server's cap.
pub(crate) async fn max_upload_bytes(
    services: &Services,
    tenant: TenantId,
    event: EventId,
) -> Result<u64, UploadError> {
    let mut tx = services.db.begin_read(Scope::Tenant(tenant)).await?;
    let ev = tx.get_event(tenant, event).await?;
    tx.commit().await?;
    let ev = ev.ok_or(UploadError::EventNotFound)?;
    if ev.status == EventStatus::Archived {
        return Err(UploadError::EventClosed);
    }
    Ok((u64::from(ev.settings.max_file_mb) * 1024 * 1024).min(services.uploads.max_bytes))
}

/// The largest file the actor may upload to `event` now (to refuse an announced oversize body
/// before reading it).
pub async fn upload_limit(
    services: &Services,
    ctx: &Ctx,
    event: EventId,
) -> Result<u64, UploadError> {
    if ctx.guest_of(event).is_none() {
        ctx.require(Action::UploadPhotos)?;
    }
    max_upload_bytes(services, ctx.tenant, event).await
}

/// One photo of the organization, for a member who may see events.
pub async fn get_photo(services: &Services, ctx: &Ctx, id: PhotoId) -> Result<Photo, Error> {
    ctx.require(Action::ViewEvents)?;
    let mut tx = services.db.begin_read(Scope::Tenant(ctx.tenant)).await?;
    let p = tx.get_photo(ctx.tenant, id).await?;
    tx.commit().await?;
    p.ok_or(Error::NotFound)
}

/// How much of `photo` the guest `guest` of `event` may see: the one rule of
/// [`domain::guest_sight`], applied to a stored photo.
pub fn guest_sight(event: &Event, guest: domain::GuestId, photo: &Photo) -> domain::GuestSight {
    domain::guest_sight(
        guest,
        event.id,
        event.settings.guest_visibility,
        domain::PhotoFacts {
            event: photo.event_id,
            guest: photo.guest_id,
            status: photo.status,
        },
    )
}

/// One photo of `event`, as the actor may see it: any photo of the event for a member who
/// may see events; for a guest of the event, only what [`guest_sight`] lets them see (what
/// they may not see answers [`Error::NotFound`], like a photo that does not exist).
pub async fn photo_of(
    services: &Services,
    ctx: &Ctx,
    event: &Event,
    id: PhotoId,
) -> Result<(Photo, domain::GuestSight), Error> {
    let guest = ctx.guest_of(event.id);
    if guest.is_none() {
        ctx.require(Action::ViewEvents)?;
    }
    let mut tx = services.db.begin_read(Scope::Tenant(ctx.tenant)).await?;
    let p = tx.get_photo(ctx.tenant, id).await?;
    tx.commit().await?;
    let p = p
        .filter(|p| p.event_id == event.id)
        .ok_or(Error::NotFound)?;
    let sight = match guest {
        Some(g) => guest_sight(event, g, &p),
        None => domain::GuestSight::Gallery,
    };
    if !sight.any() {
        return Err(Error::NotFound);
    }
    Ok((p, sight))
}

/// One of the acting guest's own photos in `event`, in whatever state it is.
pub async fn own_photo_of(
    services: &Services,
    ctx: &Ctx,
    event: &Event,
    id: PhotoId,
) -> Result<Photo, Error> {
    let guest = ctx.guest_of(event.id).ok_or(Error::NotFound)?;
    let (p, _) = photo_of(services, ctx, event, id).await?;
    if p.guest_id == Some(guest) {
        Ok(p)
    } else {
        Err(Error::NotFound)
    }
}

/// A photo of `event`'s gallery as the acting guest sees it (published and shown to them).
pub async fn gallery_photo_of(
    services: &Services,
    ctx: &Ctx,
    event: &Event,
    id: PhotoId,
) -> Result<Photo, Error> {
    match photo_of(services, ctx, event, id).await? {
        (p, domain::GuestSight::Gallery) => Ok(p),
        _ => Err(Error::NotFound),
    }
}

/// A page of an event's photos for its members, newest first, with the acting member's
/// reactions on them.
#[derive(Debug, Clone)]
pub struct MemberPhotos {
    pub event: Event,
    pub photos: Vec<Photo>,
    pub more: bool,
    pub reactions: ReactionSummary,
    /// Everyone with photos in the event (failed ones not counted), by name: the "who" filter.
    pub uploaders: Vec<String>,
}

/// One page of the members' photo grid, filtered (keyset: `before` is the last photo of the
/// page before).
pub async fn member_photos(
    services: &Services,
    ctx: &Ctx,
    event: EventId,
    filter: &store::EventPhotoFilter,
    before: Option<(DateTime<Utc>, PhotoId)>,
    limit: u32,
) -> Result<MemberPhotos, Error> {
    ctx.require(Action::ViewEvents)?;
    let tenant = ctx.tenant;
    let mut tx = services.db.begin_read(Scope::Tenant(tenant)).await?;
    let event = tx.get_event(tenant, event).await?.ok_or(Error::NotFound)?;
    let (photos, more) = tx
        .list_event_photos(tenant, event.id, filter, before, limit)
        .await?;
    let ids: Vec<PhotoId> = photos.iter().map(|p| p.id).collect();
    let reactor = ctx.actor.person_key().unwrap_or_default();
    let reactions = tx.reaction_summary(tenant, &ids, &reactor).await?;
    let mut uploaders: Vec<String> = tx
        .top_contributors(tenant, event.id, 500)
        .await?
        .into_iter()
        .map(|(name, _)| name)
        .collect();
    tx.commit().await?;
    uploaders.sort_by_key(|n| n.to_lowercase());
    Ok(MemberPhotos {
        event,
        photos,
        more,
        reactions,
        uploaders,
    })
}

/// The originals a member downloads as a ZIP: the chosen photos of the event that have their
/// file (at most 5,000), or with no choice every published photo.
pub async fn originals_for_archive(
    services: &Services,
    ctx: &Ctx,
    event: EventId,
    chosen: &[PhotoId],
) -> Result<Vec<Photo>, Error> {
    ctx.require(Action::DownloadOriginals)?;
    if chosen.is_empty() {
        return crate::gallery::every_match(services, ctx.tenant, event, GalleryQuery::default())
            .await;
    }
    let tenant = ctx.tenant;
    let mut tx = services.db.begin_read(Scope::Tenant(tenant)).await?;
    let mut out = Vec::new();
    for id in chosen.iter().take(5000) {
        if let Some(p) = tx.get_photo(tenant, *id).await?
            && p.event_id == event
            && p.status != PhotoStatus::Failed
        {
            out.push(p);
        }
    }
    tx.commit().await?;
    Ok(out)
}

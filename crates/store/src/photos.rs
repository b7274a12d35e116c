//! Photos of an event (tenant-scoped, under RLS on PostgreSQL).

use std::future::Future;

use chrono::{DateTime, Utc};
use domain::{EventId, GallerySort, GuestId, PhotoId, PhotoStatus, TenantId, UserId};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::sql::{Arg, execute, fetch_all};
use crate::{Backend, Result, StoreError, Tx};

/// One stored rendition (WebP, no metadata), largest first in [`Photo::renditions`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredRendition {
    pub max_edge: u32,
    pub width: u32,
    pub height: u32,
    /// Content-addressed blob key: a new rendition gets a new key, so caches never go stale.
    pub key: String,
    pub bytes: u64,
}

/// A photo as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Photo {
    pub id: PhotoId,
    pub tenant_id: TenantId,
    pub event_id: EventId,
    pub uploaded_by: Option<UserId>,
    /// The guest who uploaded it (`None`: a member).
    pub guest_id: Option<GuestId>,
    pub uploader_name: String,
    pub sha256: String,
    /// `jpeg`, `png`, `webp` or `heic`, from the bytes.
    pub kind: String,
    pub original_key: String,
    pub original_bytes: i64,
    pub status: PhotoStatus,
    /// Why processing failed: a stable code (`media_corrupt`, … from `MediaError::code`), put
    /// into words for people by the web layer's catalogue. Rows failed before codes were stored
    /// hold free text, which the catalogue shows as a general failure.
    pub failure: Option<String>,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub taken_at_local: Option<String>,
    pub taken_offset: Option<String>,
    pub camera_make: Option<String>,
    pub camera_model: Option<String>,
    pub lens: Option<String>,
    pub placeholder: Option<String>,
    pub renditions: Vec<StoredRendition>,
    pub storage_bytes: i64,
    pub created_at: DateTime<Utc>,
    pub processed_at: Option<DateTime<Utc>>,
    /// Reactions of every kind (kept with the photo for sorting).
    pub reaction_count: i64,
    /// What its guest or a member wrote under it (a checked `domain::Caption`), if anything.
    pub caption: Option<String>,
    /// When it was first shown on one of the event's walls.
    pub on_wall_at: Option<DateTime<Utc>>,
}

/// Where a gallery page ends (the next one starts after it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GalleryCursor {
    pub reactions: i64,
    pub created_at: DateTime<Utc>,
    pub id: PhotoId,
}

impl GalleryCursor {
    /// The cursor that continues after `p`.
    pub fn after(p: &Photo) -> Self {
        Self {
            reactions: p.reaction_count,
            created_at: p.created_at,
            id: p.id,
        }
    }
}

/// The gallery's filters: published photos only, always.
#[derive(Debug, Clone, Default)]
pub struct GalleryQuery {
    pub uploader: Option<String>,
    /// Uploaded in `[from, until)`.
    pub uploaded: Option<(DateTime<Utc>, DateTime<Utc>)>,
    pub with_reactions: bool,
    pub sort: GallerySort,
    pub after: Option<GalleryCursor>,
    pub limit: u32,
}

/// The members' photo grid's filters (every status unless one is chosen). Each is an
/// equality or range on the `(tenant_id, event_id, status, …, created_at, id)` indexes.
#[derive(Debug, Clone, Default)]
pub struct EventPhotoFilter {
    pub status: Option<PhotoStatus>,
    pub uploader: Option<String>,
    /// Uploaded in `[from, until)`.
    pub uploaded: Option<(DateTime<Utc>, DateTime<Utc>)>,
}

/// What processing adds to a photo.
#[derive(Debug, Clone, Default)]
pub struct ProcessedPhoto {
    pub width: u32,
    pub height: u32,
    pub taken_at_local: Option<String>,
    pub taken_offset: Option<String>,
    pub camera_make: Option<String>,
    pub camera_model: Option<String>,
    pub lens: Option<String>,
    pub placeholder: String,
    pub renditions: Vec<StoredRendition>,
}

/// What people may correct about a photo after it arrived: its caption, who it is credited
/// to, and when it was taken (camera-local time with its UTC offset, as EXIF gives it).
/// Nothing here orders a gallery or a grid (they go by arrival, `created_at`), so a change
/// never moves a photo between pages or invalidates a cursor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhotoDetails {
    pub caption: Option<String>,
    pub uploader_name: String,
    pub taken_at_local: Option<String>,
    pub taken_offset: Option<String>,
}

impl PhotoDetails {
    /// The details as they are on `p`.
    pub fn of(p: &Photo) -> Self {
        Self {
            caption: p.caption.clone(),
            uploader_name: p.uploader_name.clone(),
            taken_at_local: p.taken_at_local.clone(),
            taken_offset: p.taken_offset.clone(),
        }
    }
}

/// The event dashboard's figures.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EventPhotoStats {
    /// Photos in the running: published, waiting for approval, or being processed (not failed,
    /// rejected or hidden).
    pub photos: i64,
    pub published: i64,
    pub pending_review: i64,
    pub processing: i64,
    pub failed: i64,
    /// Distinct uploaders.
    pub contributors: i64,
    pub storage_bytes: i64,
}

#[derive(sqlx::FromRow)]
pub(crate) struct PhotoRow {
    tenant_id: Uuid,
    pub(crate) id: Uuid,
    event_id: Uuid,
    uploaded_by: Option<Uuid>,
    guest_id: Option<Uuid>,
    uploader_name: String,
    sha256: String,
    kind: String,
    original_key: String,
    original_bytes: i64,
    status: String,
    failure: Option<String>,
    width: Option<i32>,
    height: Option<i32>,
    taken_at_local: Option<String>,
    taken_offset: Option<String>,
    camera_make: Option<String>,
    camera_model: Option<String>,
    lens: Option<String>,
    placeholder: Option<String>,
    renditions: Option<String>,
    storage_bytes: i64,
    created_at: DateTime<Utc>,
    processed_at: Option<DateTime<Utc>>,
    reaction_count: i32,
    caption: Option<String>,
    on_wall_at: Option<DateTime<Utc>>,
}

impl TryFrom<PhotoRow> for Photo {
    type Error = StoreError;
    fn try_from(r: PhotoRow) -> Result<Self> {
        let bad = |column: &'static str, reason: String| StoreError::Corrupt { column, reason };
        Ok(Photo {
            id: PhotoId::from_uuid(r.id),
            tenant_id: TenantId::from_uuid(r.tenant_id),
            event_id: EventId::from_uuid(r.event_id),
            uploaded_by: r.uploaded_by.map(UserId::from_uuid),
            guest_id: r.guest_id.map(GuestId::from_uuid),
            uploader_name: r.uploader_name,
            sha256: r.sha256,
            kind: r.kind,
            original_key: r.original_key,
            original_bytes: r.original_bytes,
            status: r
                .status
                .parse()
                .map_err(|e: domain::ParseError| bad("photos.status", e.to_string()))?,
            failure: r.failure,
            width: r.width.and_then(|v| u32::try_from(v).ok()),
            height: r.height.and_then(|v| u32::try_from(v).ok()),
            taken_at_local: r.taken_at_local,
            taken_offset: r.taken_offset,
            camera_make: r.camera_make,
            camera_model: r.camera_model,
            lens: r.lens,
            placeholder: r.placeholder,
            renditions: match r.renditions {
                Some(json) => serde_json::from_str(&json)
                    .map_err(|e| bad("photos.renditions", e.to_string()))?,
                None => Vec::new(),
            },
            storage_bytes: r.storage_bytes,
            created_at: r.created_at,
            processed_at: r.processed_at,
            reaction_count: i64::from(r.reaction_count),
            caption: r.caption,
            on_wall_at: r.on_wall_at,
        })
    }
}

pub(crate) const COLUMNS: &str = "tenant_id, id, event_id, uploaded_by, uploader_name, sha256, kind, \
    original_key, original_bytes, status, failure, width, height, taken_at_local, taken_offset, \
    camera_make, camera_model, lens, placeholder, renditions, storage_bytes, created_at, \
    processed_at, guest_id, reaction_count, caption, on_wall_at";

fn photo_args(p: &Photo) -> Result<Vec<Arg>> {
    let renditions = if p.renditions.is_empty() {
        None
    } else {
        Some(
            serde_json::to_string(&p.renditions).map_err(|e| StoreError::Corrupt {
                column: "photos.renditions",
                reason: e.to_string(),
            })?,
        )
    };
    Ok(vec![
        Arg::Uuid(p.tenant_id.as_uuid()),
        Arg::Uuid(p.id.as_uuid()),
        Arg::Uuid(p.event_id.as_uuid()),
        Arg::OptUuid(p.uploaded_by.map(|u| u.as_uuid())),
        Arg::Text(p.uploader_name.clone()),
        Arg::Text(p.sha256.clone()),
        Arg::Text(p.kind.clone()),
        Arg::Text(p.original_key.clone()),
        Arg::Int(p.original_bytes),
        Arg::Text(p.status.as_str().to_owned()),
        Arg::OptText(p.failure.clone()),
        Arg::OptInt(p.width.map(i64::from)),
        Arg::OptInt(p.height.map(i64::from)),
        Arg::OptText(p.taken_at_local.clone()),
        Arg::OptText(p.taken_offset.clone()),
        Arg::OptText(p.camera_make.clone()),
        Arg::OptText(p.camera_model.clone()),
        Arg::OptText(p.lens.clone()),
        Arg::OptText(p.placeholder.clone()),
        Arg::OptText(renditions),
        Arg::Int(p.storage_bytes),
        Arg::Time(p.created_at),
        Arg::OptTime(p.processed_at),
        Arg::OptUuid(p.guest_id.map(|g| g.as_uuid())),
        Arg::Int(p.reaction_count),
        Arg::OptText(p.caption.clone()),
        Arg::OptTime(p.on_wall_at),
    ])
}

/// A page from rows fetched with `LIMIT limit + 1`: the photos, and whether more follow.
fn one_page(rows: Vec<PhotoRow>, limit: u32) -> Result<(Vec<Photo>, bool)> {
    let mut photos = rows
        .into_iter()
        .map(Photo::try_from)
        .collect::<Result<Vec<_>>>()?;
    let more = photos.len() > limit as usize;
    photos.truncate(limit as usize);
    Ok((photos, more))
}

/// Photos of one organization. Every method needs a transaction scoped to that tenant.
pub trait PhotoRepo {
    /// Fails with `StoreError::Conflict("sha256")` when the event already has these bytes.
    fn insert_photo(
        &mut self,
        tenant: TenantId,
        photo: &Photo,
    ) -> impl Future<Output = Result<()>> + Send;
    fn get_photo(
        &mut self,
        tenant: TenantId,
        id: PhotoId,
    ) -> impl Future<Output = Result<Option<Photo>>> + Send;
    fn find_photo_by_hash(
        &mut self,
        tenant: TenantId,
        event: EventId,
        sha256: &str,
    ) -> impl Future<Output = Result<Option<Photo>>> + Send;
    /// Records the renditions and metadata, moving `processing` → `status`. False when the
    /// photo is gone or no longer processing (a rerun of the job changes nothing).
    fn finish_photo(
        &mut self,
        tenant: TenantId,
        id: PhotoId,
        status: PhotoStatus,
        done: &ProcessedPhoto,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<bool>> + Send;
    /// `processing` → `failed` with the failure's stable code.
    fn fail_photo(
        &mut self,
        tenant: TenantId,
        id: PhotoId,
        code: &str,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<bool>> + Send;
    /// A page of the gallery: published photos with the query's filters and order.
    fn list_gallery(
        &mut self,
        tenant: TenantId,
        event: EventId,
        q: &GalleryQuery,
    ) -> impl Future<Output = Result<(Vec<Photo>, bool)>> + Send;
    /// Newest first, keyset-paginated: photos strictly before `before` (created_at, id).
    fn list_event_photos(
        &mut self,
        tenant: TenantId,
        event: EventId,
        filter: &EventPhotoFilter,
        before: Option<(DateTime<Utc>, PhotoId)>,
        limit: u32,
    ) -> impl Future<Output = Result<(Vec<Photo>, bool)>> + Send;
    /// Replaces a photo's [`PhotoDetails`]. False when the photo is not there. The uploader
    /// counters follow a changed name (the counting triggers run on `uploader_name`).
    fn update_photo_details(
        &mut self,
        tenant: TenantId,
        id: PhotoId,
        details: &PhotoDetails,
    ) -> impl Future<Output = Result<bool>> + Send;
    /// Removes a photo's row (its reactions go with it). False when it was not there.
    fn delete_photo(
        &mut self,
        tenant: TenantId,
        id: PhotoId,
    ) -> impl Future<Output = Result<bool>> + Send;
    /// Moves a photo from one of `from` to `to`, recording who did it. False when the photo is
    /// not in one of those statuses (already moderated by someone else, or gone).
    fn moderate_photo(
        &mut self,
        tenant: TenantId,
        id: PhotoId,
        from: &[PhotoStatus],
        to: PhotoStatus,
        actor: Option<UserId>,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<bool>> + Send;
    /// An event's photos in these statuses, oldest first (a queue), at most `limit`.
    fn list_event_photos_in(
        &mut self,
        tenant: TenantId,
        event: EventId,
        statuses: &[PhotoStatus],
        limit: u32,
    ) -> impl Future<Output = Result<Vec<Photo>>> + Send;
    /// One guest's photos in an event, newest first (every status: it is their own list).
    fn list_guest_photos(
        &mut self,
        tenant: TenantId,
        event: EventId,
        guest: GuestId,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<Photo>>> + Send;
    /// How many photos a guest has in an event (failed ones do not count against a limit).
    fn count_guest_photos(
        &mut self,
        tenant: TenantId,
        event: EventId,
        guest: GuestId,
    ) -> impl Future<Output = Result<i64>> + Send;
    fn event_photo_stats(
        &mut self,
        tenant: TenantId,
        event: EventId,
    ) -> impl Future<Output = Result<EventPhotoStats>> + Send;
    /// Uploaders with the most photos (failed ones not counted).
    fn top_contributors(
        &mut self,
        tenant: TenantId,
        event: EventId,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<(String, i64)>>> + Send;
    /// Who has photos a guest may see (published), with how many, by name: the gallery's
    /// "who" filter. Read from counters kept as photos change, not counted per request.
    fn gallery_uploaders(
        &mut self,
        tenant: TenantId,
        event: EventId,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<(String, i64)>>> + Send;
    /// Uploads per UTC hour (`2026-06-20T14`), oldest first.
    fn uploads_by_hour(
        &mut self,
        tenant: TenantId,
        event: EventId,
    ) -> impl Future<Output = Result<Vec<(String, i64)>>> + Send;
}

impl PhotoRepo for Tx {
    async fn insert_photo(&mut self, tenant: TenantId, photo: &Photo) -> Result<()> {
        if photo.tenant_id != tenant {
            return Err(StoreError::ScopeMismatch);
        }
        let args = photo_args(photo)?;
        let sql = format!(
            "INSERT INTO photos ({COLUMNS}) VALUES ({})",
            vec!["?"; args.len()].join(", ")
        );
        execute(self, Some(tenant), &sql, &args)
            .await
            .map_err(|e| e.conflict_on("sha256"))?;
        Ok(())
    }

    async fn get_photo(&mut self, tenant: TenantId, id: PhotoId) -> Result<Option<Photo>> {
        let sql = format!("SELECT {COLUMNS} FROM photos WHERE tenant_id = ? AND id = ?");
        let rows: Vec<PhotoRow> = fetch_all(
            self,
            Some(tenant),
            &sql,
            &[Arg::Uuid(tenant.as_uuid()), Arg::Uuid(id.as_uuid())],
        )
        .await?;
        rows.into_iter().next().map(Photo::try_from).transpose()
    }

    async fn find_photo_by_hash(
        &mut self,
        tenant: TenantId,
        event: EventId,
        sha256: &str,
    ) -> Result<Option<Photo>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM photos WHERE tenant_id = ? AND event_id = ? AND sha256 = ?"
        );
        let rows: Vec<PhotoRow> = fetch_all(
            self,
            Some(tenant),
            &sql,
            &[
                Arg::Uuid(tenant.as_uuid()),
                Arg::Uuid(event.as_uuid()),
                Arg::Text(sha256.to_owned()),
            ],
        )
        .await?;
        rows.into_iter().next().map(Photo::try_from).transpose()
    }

    async fn finish_photo(
        &mut self,
        tenant: TenantId,
        id: PhotoId,
        status: PhotoStatus,
        d: &ProcessedPhoto,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let renditions = serde_json::to_string(&d.renditions).map_err(|e| StoreError::Corrupt {
            column: "photos.renditions",
            reason: e.to_string(),
        })?;
        let added: u64 = d.renditions.iter().map(|r| r.bytes).sum();
        let sql = "UPDATE photos SET status = ?, width = ?, height = ?, taken_at_local = ?, \
                   taken_offset = ?, camera_make = ?, camera_model = ?, lens = ?, \
                   placeholder = ?, renditions = ?, storage_bytes = original_bytes + ?, \
                   processed_at = ?, failure = NULL \
                   WHERE tenant_id = ? AND id = ? AND status = 'processing'";
        let args = [
            Arg::Text(status.as_str().to_owned()),
            Arg::Int(i64::from(d.width)),
            Arg::Int(i64::from(d.height)),
            Arg::OptText(d.taken_at_local.clone()),
            Arg::OptText(d.taken_offset.clone()),
            Arg::OptText(d.camera_make.clone()),
            Arg::OptText(d.camera_model.clone()),
            Arg::OptText(d.lens.clone()),
            Arg::Text(d.placeholder.clone()),
            Arg::Text(renditions),
            Arg::Int(i64::try_from(added).unwrap_or(i64::MAX)),
            Arg::Time(now),
            Arg::Uuid(tenant.as_uuid()),
            Arg::Uuid(id.as_uuid()),
        ];
        Ok(execute(self, Some(tenant), sql, &args).await? == 1)
    }

    async fn fail_photo(
        &mut self,
        tenant: TenantId,
        id: PhotoId,
        code: &str,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let sql = "UPDATE photos SET status = 'failed', failure = ?, processed_at = ? \
                   WHERE tenant_id = ? AND id = ? AND status = 'processing'";
        let args = [
            Arg::Text(code.to_owned()),
            Arg::Time(now),
            Arg::Uuid(tenant.as_uuid()),
            Arg::Uuid(id.as_uuid()),
        ];
        Ok(execute(self, Some(tenant), sql, &args).await? == 1)
    }

    async fn list_gallery(
        &mut self,
        tenant: TenantId,
        event: EventId,
        q: &GalleryQuery,
    ) -> Result<(Vec<Photo>, bool)> {
        // Only photos with reactions, by time: the partial index holds exactly those. SQLite's
        // planner, having no statistics, would rather sort every reacted photo: name it.
        let hint = if q.with_reactions
            && q.uploader.is_none()
            && q.sort != GallerySort::MostReacted
            && self.backend() == Backend::Sqlite
        {
            " INDEXED BY photos_gallery_reacted"
        } else {
            ""
        };
        let mut sql = format!(
            "SELECT {COLUMNS} FROM photos{hint} \
             WHERE tenant_id = ? AND event_id = ? AND status = 'published'"
        );
        let mut args = vec![Arg::Uuid(tenant.as_uuid()), Arg::Uuid(event.as_uuid())];
        if let Some(name) = &q.uploader {
            sql.push_str(" AND uploader_name = ?");
            args.push(Arg::Text(name.clone()));
        }
        if let Some((from, until)) = q.uploaded {
            sql.push_str(" AND created_at >= ? AND created_at < ?");
            args.extend([Arg::Time(from), Arg::Time(until)]);
        }
        if q.with_reactions {
            sql.push_str(" AND reaction_count > 0");
        }
        if let Some(c) = q.after {
            match q.sort {
                GallerySort::Newest => {
                    sql.push_str(" AND (created_at, id) < (?, ?)");
                    args.extend([Arg::Time(c.created_at), Arg::Uuid(c.id.as_uuid())]);
                }
                GallerySort::Oldest => {
                    sql.push_str(" AND (created_at, id) > (?, ?)");
                    args.extend([Arg::Time(c.created_at), Arg::Uuid(c.id.as_uuid())]);
                }
                GallerySort::MostReacted => {
                    sql.push_str(" AND (reaction_count, created_at, id) < (?, ?, ?)");
                    args.extend([
                        Arg::Int(c.reactions),
                        Arg::Time(c.created_at),
                        Arg::Uuid(c.id.as_uuid()),
                    ]);
                }
            }
        }
        sql.push_str(match q.sort {
            GallerySort::Newest => " ORDER BY created_at DESC, id DESC",
            GallerySort::Oldest => " ORDER BY created_at ASC, id ASC",
            GallerySort::MostReacted => " ORDER BY reaction_count DESC, created_at DESC, id DESC",
        });
        let limit = q.limit.clamp(1, 200);
        sql.push_str(" LIMIT ?");
        args.push(Arg::Int(i64::from(limit) + 1));
        let rows: Vec<PhotoRow> = fetch_all(self, Some(tenant), &sql, &args).await?;
        one_page(rows, limit)
    }

    async fn list_event_photos(
        &mut self,
        tenant: TenantId,
        event: EventId,
        filter: &EventPhotoFilter,
        before: Option<(DateTime<Utc>, PhotoId)>,
        limit: u32,
    ) -> Result<(Vec<Photo>, bool)> {
        let mut sql = format!("SELECT {COLUMNS} FROM photos WHERE tenant_id = ? AND event_id = ?");
        let mut args = vec![Arg::Uuid(tenant.as_uuid()), Arg::Uuid(event.as_uuid())];
        if let Some(status) = filter.status {
            sql.push_str(" AND status = ?");
            args.push(Arg::Text(status.as_str().to_owned()));
        }
        if let Some(name) = &filter.uploader {
            sql.push_str(" AND uploader_name = ?");
            args.push(Arg::Text(name.clone()));
        }
        if let Some((from, until)) = filter.uploaded {
            sql.push_str(" AND created_at >= ? AND created_at < ?");
            args.extend([Arg::Time(from), Arg::Time(until)]);
        }
        if let Some((at, id)) = before {
            // A row-value comparison: both backends seek the (created_at, id) index to it.
            sql.push_str(" AND (created_at, id) < (?, ?)");
            args.extend([Arg::Time(at), Arg::Uuid(id.as_uuid())]);
        }
        let limit = limit.clamp(1, 200);
        sql.push_str(" ORDER BY created_at DESC, id DESC LIMIT ?");
        args.push(Arg::Int(i64::from(limit) + 1));
        let rows: Vec<PhotoRow> = fetch_all(self, Some(tenant), &sql, &args).await?;
        one_page(rows, limit)
    }

    async fn update_photo_details(
        &mut self,
        tenant: TenantId,
        id: PhotoId,
        d: &PhotoDetails,
    ) -> Result<bool> {
        let sql = "UPDATE photos SET caption = ?, uploader_name = ?, taken_at_local = ?, \
                   taken_offset = ? WHERE tenant_id = ? AND id = ?";
        let args = [
            Arg::OptText(d.caption.clone()),
            Arg::Text(d.uploader_name.clone()),
            Arg::OptText(d.taken_at_local.clone()),
            Arg::OptText(d.taken_offset.clone()),
            Arg::Uuid(tenant.as_uuid()),
            Arg::Uuid(id.as_uuid()),
        ];
        Ok(execute(self, Some(tenant), sql, &args).await? == 1)
    }

    async fn delete_photo(&mut self, tenant: TenantId, id: PhotoId) -> Result<bool> {
        let n = execute(
            self,
            Some(tenant),
            "DELETE FROM photos WHERE tenant_id = ? AND id = ?",
            &[Arg::Uuid(tenant.as_uuid()), Arg::Uuid(id.as_uuid())],
        )
        .await?;
        Ok(n == 1)
    }

    async fn moderate_photo(
        &mut self,
        tenant: TenantId,
        id: PhotoId,
        from: &[PhotoStatus],
        to: PhotoStatus,
        actor: Option<UserId>,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        if from.is_empty() {
            return Ok(false);
        }
        let marks = vec!["?"; from.len()].join(", ");
        let sql = format!(
            "UPDATE photos SET status = ?, moderated_by = ?, moderated_at = ? \
             WHERE tenant_id = ? AND id = ? AND status IN ({marks})"
        );
        let mut args = vec![
            Arg::Text(to.as_str().to_owned()),
            Arg::OptUuid(actor.map(|a| a.as_uuid())),
            Arg::Time(now),
            Arg::Uuid(tenant.as_uuid()),
            Arg::Uuid(id.as_uuid()),
        ];
        args.extend(from.iter().map(|s| Arg::Text(s.as_str().to_owned())));
        Ok(execute(self, Some(tenant), &sql, &args).await? == 1)
    }

    async fn list_event_photos_in(
        &mut self,
        tenant: TenantId,
        event: EventId,
        statuses: &[PhotoStatus],
        limit: u32,
    ) -> Result<Vec<Photo>> {
        if statuses.is_empty() {
            return Ok(Vec::new());
        }
        // One index range per status, merged: a single `status IN (…)` would walk the whole
        // event in time order looking for the few photos in those statuses.
        let limit = i64::from(limit.clamp(1, 500));
        let one = format!(
            "SELECT {COLUMNS} FROM photos WHERE tenant_id = ? AND event_id = ? AND status = ? \
             ORDER BY created_at ASC, id ASC LIMIT ?"
        );
        let sql = statuses
            .iter()
            .enumerate()
            .map(|(i, _)| format!("SELECT * FROM ({one}) AS s{i}"))
            .collect::<Vec<_>>()
            .join(" UNION ALL ")
            + " ORDER BY created_at ASC, id ASC LIMIT ?";
        let mut args = Vec::new();
        for st in statuses {
            args.extend([
                Arg::Uuid(tenant.as_uuid()),
                Arg::Uuid(event.as_uuid()),
                Arg::Text(st.as_str().to_owned()),
                Arg::Int(limit),
            ]);
        }
        args.push(Arg::Int(limit));
        let rows: Vec<PhotoRow> = fetch_all(self, Some(tenant), &sql, &args).await?;
        rows.into_iter().map(Photo::try_from).collect()
    }

    async fn list_guest_photos(
        &mut self,
        tenant: TenantId,
        event: EventId,
        guest: GuestId,
        limit: u32,
    ) -> Result<Vec<Photo>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM photos WHERE tenant_id = ? AND event_id = ? AND guest_id = ? \
             ORDER BY created_at DESC, id DESC LIMIT ?"
        );
        let rows: Vec<PhotoRow> = fetch_all(
            self,
            Some(tenant),
            &sql,
            &[
                Arg::Uuid(tenant.as_uuid()),
                Arg::Uuid(event.as_uuid()),
                Arg::Uuid(guest.as_uuid()),
                Arg::Int(i64::from(limit.clamp(1, 500))),
            ],
        )
        .await?;
        rows.into_iter().map(Photo::try_from).collect()
    }

    async fn count_guest_photos(
        &mut self,
        tenant: TenantId,
        event: EventId,
        guest: GuestId,
    ) -> Result<i64> {
        #[derive(sqlx::FromRow)]
        struct Row {
            n: i64,
        }
        let rows: Vec<Row> = fetch_all(
            self,
            Some(tenant),
            "SELECT count(*) AS n FROM photos WHERE tenant_id = ? AND event_id = ? \
             AND guest_id = ? AND status <> 'failed'",
            &[
                Arg::Uuid(tenant.as_uuid()),
                Arg::Uuid(event.as_uuid()),
                Arg::Uuid(guest.as_uuid()),
            ],
        )
        .await?;
        Ok(rows.first().map_or(0, |r| r.n))
    }

    async fn event_photo_stats(
        &mut self,
        tenant: TenantId,
        event: EventId,
    ) -> Result<EventPhotoStats> {
        #[derive(sqlx::FromRow)]
        struct Row {
            status: String,
            photos: i64,
            storage_bytes: i64,
        }
        let rows: Vec<Row> = fetch_all(
            self,
            Some(tenant),
            "SELECT status, photos, storage_bytes FROM event_photo_counts \
             WHERE tenant_id = ? AND event_id = ?",
            &[Arg::Uuid(tenant.as_uuid()), Arg::Uuid(event.as_uuid())],
        )
        .await?;
        let mut stats = EventPhotoStats::default();
        for r in rows {
            match r.status.parse() {
                Ok(PhotoStatus::Published) => stats.published = r.photos,
                Ok(PhotoStatus::PendingReview) => stats.pending_review = r.photos,
                Ok(PhotoStatus::Processing) => stats.processing = r.photos,
                Ok(PhotoStatus::Failed) => stats.failed = r.photos,
                _ => {}
            }
            stats.storage_bytes += r.storage_bytes;
        }
        stats.photos = stats.published + stats.pending_review + stats.processing;
        #[derive(sqlx::FromRow)]
        struct Count {
            n: i64,
        }
        let sql = format!(
            "SELECT count(DISTINCT contributor) AS n FROM event_uploader_counts \
             WHERE tenant_id = ? AND event_id = ? AND status IN {IN_THE_RUNNING} AND photos > 0"
        );
        let rows: Vec<Count> = fetch_all(
            self,
            Some(tenant),
            &sql,
            &[Arg::Uuid(tenant.as_uuid()), Arg::Uuid(event.as_uuid())],
        )
        .await?;
        stats.contributors = rows.first().map_or(0, |r| r.n);
        Ok(stats)
    }

    async fn top_contributors(
        &mut self,
        tenant: TenantId,
        event: EventId,
        limit: u32,
    ) -> Result<Vec<(String, i64)>> {
        uploader_counts(
            self,
            tenant,
            event,
            IN_THE_RUNNING,
            "n DESC, name ASC",
            limit,
        )
        .await
    }

    async fn gallery_uploaders(
        &mut self,
        tenant: TenantId,
        event: EventId,
        limit: u32,
    ) -> Result<Vec<(String, i64)>> {
        uploader_counts(self, tenant, event, "('published')", "name ASC", limit).await
    }

    async fn uploads_by_hour(
        &mut self,
        tenant: TenantId,
        event: EventId,
    ) -> Result<Vec<(String, i64)>> {
        let sql = format!(
            "SELECT hour, CAST(sum(photos) AS BIGINT) AS n FROM event_hour_counts \
             WHERE tenant_id = ? AND event_id = ? AND status IN {IN_THE_RUNNING} \
             GROUP BY hour HAVING sum(photos) > 0 ORDER BY hour"
        );
        #[derive(sqlx::FromRow)]
        struct Row {
            hour: String,
            n: i64,
        }
        let rows: Vec<Row> = fetch_all(
            self,
            Some(tenant),
            &sql,
            &[Arg::Uuid(tenant.as_uuid()), Arg::Uuid(event.as_uuid())],
        )
        .await?;
        Ok(rows.into_iter().map(|r| (r.hour, r.n)).collect())
    }
}

/// The statuses of photos in the running (not failed, rejected or hidden), as SQL.
const IN_THE_RUNNING: &str = "('published', 'pending_review', 'processing')";

/// Photos per uploader name among `statuses` (an SQL list), from the counters.
async fn uploader_counts(
    tx: &mut Tx,
    tenant: TenantId,
    event: EventId,
    statuses: &str,
    order: &str,
    limit: u32,
) -> Result<Vec<(String, i64)>> {
    let sql = format!(
        "SELECT uploader_name AS name, CAST(sum(photos) AS BIGINT) AS n \
         FROM event_uploader_counts \
         WHERE tenant_id = ? AND event_id = ? AND status IN {statuses} \
         GROUP BY uploader_name HAVING sum(photos) > 0 ORDER BY {order} LIMIT ?"
    );
    #[derive(sqlx::FromRow)]
    struct Row {
        name: String,
        n: i64,
    }
    let rows: Vec<Row> = fetch_all(
        tx,
        Some(tenant),
        &sql,
        &[
            Arg::Uuid(tenant.as_uuid()),
            Arg::Uuid(event.as_uuid()),
            Arg::Int(i64::from(limit)),
        ],
    )
    .await?;
    Ok(rows.into_iter().map(|r| (r.name, r.n)).collect())
}

//! Projector walls (tenant-scoped) and their links (looked up before any tenant is known).

use std::future::Future;

use chrono::{DateTime, Utc};
use domain::{EventId, PhotoId, TenantId, UserId, WallId};
use uuid::Uuid;

use crate::photos::{COLUMNS as PHOTO_COLUMNS, PhotoRow};
use crate::sql::{Arg, On, execute, fetch_all, fetch_optional};
use crate::{Photo, Result, Tx};

/// One wall of an event: a projector page with its own link and settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wall {
    pub id: WallId,
    pub tenant_id: TenantId,
    pub event_id: EventId,
    pub name: String,
    /// Random; with the server's secret it makes the wall's link (replacing it changes it).
    pub link_nonce: String,
    /// Seconds a new photo waits after publishing before the wall shows it.
    pub hold_seconds: u32,
    /// Seconds each photo stays on screen.
    pub slide_seconds: u32,
    /// A grid of photos rather than one at a time.
    pub mosaic: bool,
    pub show_captions: bool,
    pub show_qr: bool,
    pub created_by: Option<UserId>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Set when a member revoked it: its link opens nothing any more.
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A wall link found by its token's hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WallLink {
    pub tenant_id: TenantId,
    pub wall_id: WallId,
    pub replaced_at: Option<DateTime<Utc>>,
}

#[derive(sqlx::FromRow)]
struct Row {
    tenant_id: Uuid,
    id: Uuid,
    event_id: Uuid,
    name: String,
    link_nonce: String,
    hold_seconds: i32,
    slide_seconds: i32,
    layout: String,
    show_captions: bool,
    show_qr: bool,
    created_by: Option<Uuid>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    revoked_at: Option<DateTime<Utc>>,
}

const COLUMNS: &str = "tenant_id, id, event_id, name, link_nonce, hold_seconds, slide_seconds, \
     layout, show_captions, show_qr, created_by, created_at, updated_at, revoked_at";

impl Row {
    fn into_wall(self) -> Wall {
        Wall {
            id: WallId::from_uuid(self.id),
            tenant_id: TenantId::from_uuid(self.tenant_id),
            event_id: EventId::from_uuid(self.event_id),
            name: self.name,
            link_nonce: self.link_nonce,
            hold_seconds: u32::try_from(self.hold_seconds).unwrap_or(0),
            slide_seconds: u32::try_from(self.slide_seconds).unwrap_or(8),
            mosaic: self.layout == "mosaic",
            show_captions: self.show_captions,
            show_qr: self.show_qr,
            created_by: self.created_by.map(UserId::from_uuid),
            created_at: self.created_at,
            updated_at: self.updated_at,
            revoked_at: self.revoked_at,
        }
    }
}

fn layout(w: &Wall) -> &'static str {
    if w.mosaic { "mosaic" } else { "single" }
}

fn to_i32(n: u32) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

pub trait WallRepo {
    fn insert_wall(&mut self, wall: &Wall) -> impl Future<Output = Result<()>> + Send;
    fn get_wall(
        &mut self,
        tenant: TenantId,
        wall: WallId,
    ) -> impl Future<Output = Result<Option<Wall>>> + Send;
    /// The event's walls, oldest first, revoked ones included (at most 100).
    fn list_walls(
        &mut self,
        tenant: TenantId,
        event: EventId,
    ) -> impl Future<Output = Result<Vec<Wall>>> + Send;
    /// Saves a wall's name, settings, nonce and revocation.
    fn update_wall(&mut self, wall: &Wall) -> impl Future<Output = Result<bool>> + Send;
    /// Records the wall's current link, marking its earlier ones replaced.
    fn add_wall_link(
        &mut self,
        tenant: TenantId,
        wall: WallId,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<()>> + Send;
    /// Ends every link of the wall (revoked).
    fn end_wall_links(
        &mut self,
        tenant: TenantId,
        wall: WallId,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<()>> + Send;
    /// A wall link by its token's hash, in any scope.
    fn find_wall_link(
        &mut self,
        token_hash: &str,
    ) -> impl Future<Output = Result<Option<WallLink>>> + Send;
    /// The newest published photos of the event that may go on its walls, newest first.
    fn wall_photos(
        &mut self,
        tenant: TenantId,
        event: EventId,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<Photo>>> + Send;
    /// Whether the photo is kept off the walls.
    fn is_off_wall(
        &mut self,
        tenant: TenantId,
        photo: PhotoId,
    ) -> impl Future<Output = Result<bool>> + Send;
    /// Keeps a photo off the walls (or lets it back). False when there is no such photo.
    fn set_off_wall(
        &mut self,
        tenant: TenantId,
        photo: PhotoId,
        off: bool,
    ) -> impl Future<Output = Result<bool>> + Send;
    /// Notes that a wall of `event` shows the photo for the first time: true only the first
    /// time, and only for a published photo of that event that may be on the walls.
    fn mark_on_wall(
        &mut self,
        tenant: TenantId,
        event: EventId,
        photo: PhotoId,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<bool>> + Send;
}

impl WallRepo for Tx {
    async fn insert_wall(&mut self, w: &Wall) -> Result<()> {
        execute(
            self,
            w.tenant_id,
            &format!(
                "INSERT INTO walls ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            ),
            &[
                Arg::Uuid(w.tenant_id.as_uuid()),
                Arg::Uuid(w.id.as_uuid()),
                Arg::Uuid(w.event_id.as_uuid()),
                Arg::Text(w.name.clone()),
                Arg::Text(w.link_nonce.clone()),
                Arg::Int32(to_i32(w.hold_seconds)),
                Arg::Int32(to_i32(w.slide_seconds)),
                Arg::Text(layout(w).to_owned()),
                Arg::Bool(w.show_captions),
                Arg::Bool(w.show_qr),
                Arg::OptUuid(w.created_by.map(|u| u.as_uuid())),
                Arg::Time(w.created_at),
                Arg::Time(w.updated_at),
                Arg::OptTime(w.revoked_at),
            ],
        )
        .await?;
        Ok(())
    }

    async fn get_wall(&mut self, tenant: TenantId, wall: WallId) -> Result<Option<Wall>> {
        let row: Option<Row> = fetch_optional(
            self,
            tenant,
            &format!("SELECT {COLUMNS} FROM walls WHERE tenant_id = ? AND id = ?"),
            &[Arg::Uuid(tenant.as_uuid()), Arg::Uuid(wall.as_uuid())],
        )
        .await?;
        Ok(row.map(Row::into_wall))
    }

    async fn list_walls(&mut self, tenant: TenantId, event: EventId) -> Result<Vec<Wall>> {
        let rows: Vec<Row> = fetch_all(
            self,
            tenant,
            &format!(
                "SELECT {COLUMNS} FROM walls WHERE tenant_id = ? AND event_id = ? \
                 ORDER BY created_at, id LIMIT 100"
            ),
            &[Arg::Uuid(tenant.as_uuid()), Arg::Uuid(event.as_uuid())],
        )
        .await?;
        Ok(rows.into_iter().map(Row::into_wall).collect())
    }

    async fn update_wall(&mut self, w: &Wall) -> Result<bool> {
        let n = execute(
            self,
            w.tenant_id,
            "UPDATE walls SET name = ?, link_nonce = ?, hold_seconds = ?, slide_seconds = ?, \
             layout = ?, show_captions = ?, show_qr = ?, updated_at = ?, revoked_at = ? \
             WHERE tenant_id = ? AND id = ?",
            &[
                Arg::Text(w.name.clone()),
                Arg::Text(w.link_nonce.clone()),
                Arg::Int32(to_i32(w.hold_seconds)),
                Arg::Int32(to_i32(w.slide_seconds)),
                Arg::Text(layout(w).to_owned()),
                Arg::Bool(w.show_captions),
                Arg::Bool(w.show_qr),
                Arg::Time(w.updated_at),
                Arg::OptTime(w.revoked_at),
                Arg::Uuid(w.tenant_id.as_uuid()),
                Arg::Uuid(w.id.as_uuid()),
            ],
        )
        .await?;
        Ok(n > 0)
    }

    async fn add_wall_link(
        &mut self,
        tenant: TenantId,
        wall: WallId,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.end_wall_links(tenant, wall, now).await?;
        execute(
            self,
            tenant,
            "INSERT INTO wall_links (token_hash, tenant_id, wall_id, created_at) \
             VALUES (?, ?, ?, ?)",
            &[
                Arg::Text(token_hash.to_owned()),
                Arg::Uuid(tenant.as_uuid()),
                Arg::Uuid(wall.as_uuid()),
                Arg::Time(now),
            ],
        )
        .await?;
        Ok(())
    }

    async fn end_wall_links(
        &mut self,
        tenant: TenantId,
        wall: WallId,
        now: DateTime<Utc>,
    ) -> Result<()> {
        execute(
            self,
            tenant,
            "UPDATE wall_links SET replaced_at = ? \
             WHERE tenant_id = ? AND wall_id = ? AND replaced_at IS NULL",
            &[
                Arg::Time(now),
                Arg::Uuid(tenant.as_uuid()),
                Arg::Uuid(wall.as_uuid()),
            ],
        )
        .await?;
        Ok(())
    }

    async fn find_wall_link(&mut self, token_hash: &str) -> Result<Option<WallLink>> {
        let row: Option<(Uuid, Uuid, Option<DateTime<Utc>>)> = fetch_optional(
            self,
            On::Any,
            "SELECT tenant_id, wall_id, replaced_at FROM wall_links WHERE token_hash = ?",
            &[Arg::Text(token_hash.to_owned())],
        )
        .await?;
        Ok(row.map(|(t, w, replaced_at)| WallLink {
            tenant_id: TenantId::from_uuid(t),
            wall_id: WallId::from_uuid(w),
            replaced_at,
        }))
    }

    async fn wall_photos(
        &mut self,
        tenant: TenantId,
        event: EventId,
        limit: u32,
    ) -> Result<Vec<Photo>> {
        // The gallery's index (tenant, event, status, created_at, id), read backwards.
        let rows: Vec<PhotoRow> = fetch_all(
            self,
            tenant,
            &format!(
                "SELECT {PHOTO_COLUMNS} FROM photos WHERE tenant_id = ? AND event_id = ? \
                 AND status = 'published' AND NOT off_wall \
                 ORDER BY created_at DESC, id DESC LIMIT ?"
            ),
            &[
                Arg::Uuid(tenant.as_uuid()),
                Arg::Uuid(event.as_uuid()),
                Arg::Int(i64::from(limit)),
            ],
        )
        .await?;
        rows.into_iter().map(Photo::try_from).collect()
    }

    async fn is_off_wall(&mut self, tenant: TenantId, photo: PhotoId) -> Result<bool> {
        let row: Option<(bool,)> = fetch_optional(
            self,
            tenant,
            "SELECT off_wall FROM photos WHERE tenant_id = ? AND id = ?",
            &[Arg::Uuid(tenant.as_uuid()), Arg::Uuid(photo.as_uuid())],
        )
        .await?;
        Ok(row.is_some_and(|(off,)| off))
    }

    async fn set_off_wall(&mut self, tenant: TenantId, photo: PhotoId, off: bool) -> Result<bool> {
        let n = execute(
            self,
            tenant,
            "UPDATE photos SET off_wall = ? WHERE tenant_id = ? AND id = ?",
            &[
                Arg::Bool(off),
                Arg::Uuid(tenant.as_uuid()),
                Arg::Uuid(photo.as_uuid()),
            ],
        )
        .await?;
        Ok(n > 0)
    }

    async fn mark_on_wall(
        &mut self,
        tenant: TenantId,
        event: EventId,
        photo: PhotoId,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let n = execute(
            self,
            tenant,
            "UPDATE photos SET on_wall_at = ? WHERE tenant_id = ? AND id = ? AND event_id = ? \
             AND on_wall_at IS NULL AND status = 'published' AND NOT off_wall",
            &[
                Arg::Time(now),
                Arg::Uuid(tenant.as_uuid()),
                Arg::Uuid(photo.as_uuid()),
                Arg::Uuid(event.as_uuid()),
            ],
        )
        .await?;
        Ok(n > 0)
    }
}

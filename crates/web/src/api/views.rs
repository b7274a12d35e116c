//! The API's response types: what `/api/v1` answers, derived, so every answer has one shape
//! (and an OpenAPI description can come from them).

use chrono::{DateTime, Utc};
use domain::{EventId, GuestId, PhotoId, TenantId, UserId};
use serde::Serialize;
use serde::ser::SerializeMap;
use service::events::{self, format_local};
use service::records::{Event, GuestFigures, Photo};
use service::secrets::SecretKey;

/// A page of a long list: its items under the list's own name (`events`, `photos`) and the
/// cursor of the next page (`null` on the last).
#[derive(Debug)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

/// What a list of `T` is called in a [`Page`].
pub trait Listed {
    const KEY: &'static str;
}

impl<T: Serialize + Listed> Serialize for Page<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(2))?;
        m.serialize_entry(T::KEY, &self.items)?;
        m.serialize_entry("next_cursor", &self.next_cursor)?;
        m.end()
    }
}

/// An event as the API shows it to its organization's members (with its secret join link).
#[derive(Debug, Serialize)]
pub struct EventView {
    pub id: EventId,
    pub slug: String,
    pub name: String,
    pub venue: String,
    pub description: String,
    pub time_zone: &'static str,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub starts_at_local: String,
    pub ends_at_local: String,
    pub status: &'static str,
    pub allowed_transitions: Vec<&'static str>,
    pub settings: SettingsView,
    pub join_url: String,
    pub qr: QrLinks,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Listed for EventView {
    const KEY: &'static str = "events";
}

#[derive(Debug, Serialize)]
pub struct SettingsView {
    pub uploads_enabled: bool,
    pub moderation: &'static str,
    pub upload_opens_at: Option<DateTime<Utc>>,
    pub upload_closes_at: Option<DateTime<Utc>>,
    pub max_photos_per_guest: u32,
    pub max_file_mb: u32,
    pub guest_name_required: bool,
    pub guest_visibility: &'static str,
    pub guest_downloads: bool,
}

#[derive(Debug, Serialize)]
pub struct QrLinks {
    pub svg: String,
    pub png: Vec<String>,
}

impl EventView {
    pub fn new(e: &Event, base: &str, secret: &SecretKey) -> Self {
        let s = &e.settings;
        let api = format!("/api/v1/events/{}", e.id);
        Self {
            id: e.id,
            slug: e.slug.as_str().to_owned(),
            name: e.name.clone(),
            venue: e.venue.clone(),
            description: e.description.clone(),
            time_zone: e.time_zone.name(),
            starts_at: e.starts_at,
            ends_at: e.ends_at,
            starts_at_local: format_local(e.starts_at, e.time_zone),
            ends_at_local: format_local(e.ends_at, e.time_zone),
            status: e.status.as_str(),
            allowed_transitions: e.status.next_options().iter().map(|s| s.as_str()).collect(),
            settings: SettingsView {
                uploads_enabled: s.uploads_enabled,
                moderation: s.moderation.as_str(),
                upload_opens_at: s.upload_opens_at,
                upload_closes_at: s.upload_closes_at,
                max_photos_per_guest: s.max_photos_per_guest,
                max_file_mb: s.max_file_mb,
                guest_name_required: s.guest_name_required,
                guest_visibility: s.guest_visibility.as_str(),
                guest_downloads: s.guest_downloads,
            },
            join_url: events::join_url(base, &events::join_token(secret, e)),
            qr: QrLinks {
                svg: format!("{api}/qr.svg"),
                png: media::qr::qr_png_sizes()
                    .iter()
                    .map(|n| format!("{api}/qr.png?size={n}"))
                    .collect(),
            },
            created_at: e.created_at,
            updated_at: e.updated_at,
        }
    }
}

/// A photo as JSON: never GPS (it is not even stored), links signed for a few hours.
#[derive(Debug, Serialize)]
pub struct PhotoView {
    pub id: PhotoId,
    pub event_id: EventId,
    pub status: &'static str,
    /// Why processing failed: a stable code (`media_corrupt` …) and its sentence.
    pub failure: Option<String>,
    pub failure_message: Option<String>,
    pub uploader_name: String,
    /// What its guest or a member wrote under it, or `null`.
    pub caption: Option<String>,
    pub kind: String,
    pub bytes: i64,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub taken_at_local: Option<String>,
    pub taken_offset: Option<String>,
    pub camera_make: Option<String>,
    pub camera_model: Option<String>,
    pub lens: Option<String>,
    pub placeholder: Option<String>,
    pub renditions: Vec<RenditionView>,
    pub original_url: String,
    pub created_at: DateTime<Utc>,
    pub processed_at: Option<DateTime<Utc>>,
}

impl Listed for PhotoView {
    const KEY: &'static str = "photos";
}

#[derive(Debug, Serialize)]
pub struct RenditionView {
    pub max_edge: u32,
    pub width: u32,
    pub height: u32,
    pub url: String,
}

impl PhotoView {
    pub fn new(p: &Photo, secret: &SecretKey, now: DateTime<Utc>) -> Self {
        let url = |key: &str| service::media_urls::signed_path(secret, key, now);
        Self {
            id: p.id,
            event_id: p.event_id,
            status: p.status.as_str(),
            failure: p.failure.clone(),
            failure_message: p
                .failure
                .as_deref()
                .map(|c| crate::i18n::Catalog::current().photo_failure(c)),
            uploader_name: p.uploader_name.clone(),
            caption: p.caption.clone(),
            kind: p.kind.clone(),
            bytes: p.original_bytes,
            width: p.width,
            height: p.height,
            taken_at_local: p.taken_at_local.clone(),
            taken_offset: p.taken_offset.clone(),
            camera_make: p.camera_make.clone(),
            camera_model: p.camera_model.clone(),
            lens: p.lens.clone(),
            placeholder: p.placeholder.clone(),
            renditions: p
                .renditions
                .iter()
                .map(|r| RenditionView {
                    max_edge: r.max_edge,
                    width: r.width,
                    height: r.height,
                    url: url(&r.key),
                })
                .collect(),
            original_url: url(&p.original_key),
            created_at: p.created_at,
            processed_at: p.processed_at,
        }
    }
}

/// `GET /api/v1/me`.
#[derive(Debug, Serialize)]
pub struct MeView {
    pub user: MeUser,
    pub organization: MeOrganization,
    pub role: &'static str,
    pub session: MeSession,
}

#[derive(Debug, Serialize)]
pub struct MeUser {
    pub id: UserId,
    pub name: String,
    pub email: String,
}

#[derive(Debug, Serialize)]
pub struct MeOrganization {
    pub id: TenantId,
    pub name: String,
}

#[derive(Debug, Serialize)]
pub struct MeSession {
    pub expires_at: DateTime<Utc>,
}

/// A guest of an event as the members' API shows them, with their figures.
#[derive(Debug, Serialize)]
pub struct GuestView {
    pub id: GuestId,
    pub event_id: EventId,
    /// As they typed it ("" when the event lets guests join without a name).
    pub name: String,
    pub joined_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    /// Blocked guests can neither upload nor react nor report.
    pub blocked: bool,
    pub blocked_at: Option<DateTime<Utc>>,
    pub photos: GuestPhotosView,
    /// Open reports on their photos.
    pub reports: i64,
}

/// A guest's photos: all that are there, and of those in the gallery and waiting for approval.
#[derive(Debug, Serialize)]
pub struct GuestPhotosView {
    pub total: i64,
    pub published: i64,
    pub waiting: i64,
}

impl Listed for GuestView {
    const KEY: &'static str = "guests";
}

impl GuestView {
    pub fn new(g: &GuestFigures) -> Self {
        Self {
            id: g.guest.id,
            event_id: g.guest.event_id,
            name: g.guest.name.clone(),
            joined_at: g.guest.created_at,
            last_seen_at: g.guest.last_seen_at,
            blocked: g.guest.blocked_at.is_some(),
            blocked_at: g.guest.blocked_at,
            photos: GuestPhotosView {
                total: g.photos,
                published: g.published,
                waiting: g.waiting,
            },
            reports: g.reports,
        }
    }
}

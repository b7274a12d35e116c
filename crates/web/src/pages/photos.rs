//! An event's photos for members: the upload page (a plain multipart form, enhanced by app.js
//! with drag and drop and a progress bar per file), the grid, and signed media delivery.

use askama::Template;
use axum::Extension;
use axum::body::Body;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::{DateTime, Utc};
use domain::{EventId, PhotoId, TenantId};
use serde::Deserialize;
use service::photos::{self, Accepted, UploadError, Uploader};
use store::{Photo, PhotoRepo, Scope};

use crate::auth::{CurrentMember, check_form_token};
use crate::i18n::Catalog;
use crate::pages::Layout;
use crate::pages::events::{event_error, parse_id};
use crate::security::CspNonce;
use crate::{AppState, WebError};

/// An upload refusal as the person sees it (page or JSON), with its status and stable code.
pub fn upload_error(e: UploadError) -> WebError {
    let t = Catalog::english();
    let (status, code, message) = match e {
        UploadError::TooLarge { limit_mb } => (
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            t.get("upload.too_large")
                .replace("{mb}", &limit_mb.to_string()),
        ),
        UploadError::Empty => (
            StatusCode::BAD_REQUEST,
            "empty",
            t.get("upload.empty").to_owned(),
        ),
        UploadError::Unsupported => (
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_type",
            t.get("upload.unsupported").to_owned(),
        ),
        UploadError::HeicUnavailable(_) => (
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "heic_unavailable",
            t.get("upload.heic_unavailable").to_owned(),
        ),
        UploadError::TooManyPixels { width, height } => (
            StatusCode::UNPROCESSABLE_ENTITY,
            "too_many_pixels",
            t.get("upload.too_many_pixels")
                .replace("{w}", &width.to_string())
                .replace("{h}", &height.to_string()),
        ),
        UploadError::Corrupt(_) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            "corrupt",
            t.get("upload.corrupt").to_owned(),
        ),
        UploadError::EventNotFound => return WebError::NotFound,
        UploadError::EventClosed => (
            StatusCode::CONFLICT,
            "event_closed",
            t.get("upload.event_closed").to_owned(),
        ),
        UploadError::Interrupted => (
            StatusCode::BAD_REQUEST,
            "interrupted",
            t.get("upload.interrupted").to_owned(),
        ),
        UploadError::Storage(why) => {
            tracing::error!(error = %why, "photo storage failed during an upload");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "storage_unavailable",
                t.get("upload.storage").to_owned(),
            )
        }
        UploadError::Io(io) if io.kind() == std::io::ErrorKind::StorageFull => {
            tracing::error!(error = %io, "the upload folder is full");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "storage_unavailable",
                t.get("upload.storage").to_owned(),
            )
        }
        UploadError::Io(io) => return WebError::internal(io),
        UploadError::Store(s) => return s.into(),
    };
    WebError::Rejected {
        status,
        code,
        message,
    }
}

pub fn uploader_messages(t: &Catalog, max_mb: u64) -> String {
    let m = serde_json::json!({
        "waiting": t.get("photos.waiting"),
        "uploading": t.get("photos.uploading"),
        "processing": t.get("photos.processing"),
        "published": t.get("photos.done_published"),
        "pending_review": t.get("photos.done_pending"),
        "failed": t.get("photos.failed"),
        "already": t.get("photos.already"),
        "dropped": t.get("photos.dropped"),
        "retrying": t.get("photos.retrying"),
        "retry": t.get("photos.retry"),
        "too_large": t.get("upload.too_large").replace("{mb}", &max_mb.to_string()),
    });
    m.to_string()
}

/// One tile of the grid.
#[derive(Debug)]
pub struct Tile {
    pub id: String,
    pub status: &'static str,
    pub status_label: String,
    pub uploader: String,
    pub thumb: String,
    pub srcset: String,
    pub large: String,
    pub width: u32,
    pub height: u32,
    pub failure: String,
    /// The guest who uploaded it, if a guest did ("" for members).
    pub guest_id: String,
    /// A blurry preview shown at once (`data:` PNG of the thumbhash), or "".
    pub placeholder: String,
    /// Reaction buttons (published photos on the members' page; empty elsewhere).
    pub reactions: Vec<crate::pages::guest::ReactionButton>,
    /// The original file (members only), signed.
    pub original: String,
}

/// The signed URL of a photo's smallest rendition (its thumbnail), or "" before processing.
pub fn thumb_url(secret: &service::secrets::SecretKey, p: &Photo, now: DateTime<Utc>) -> String {
    p.renditions
        .iter()
        .min_by_key(|r| r.max_edge)
        .map(|r| service::media_urls::signed_path(secret, &r.key, now))
        .unwrap_or_default()
}

/// The `data:` URL of a photo's blurry placeholder, or "".
pub fn placeholder_url(p: &Photo) -> String {
    use base64::Engine;
    p.placeholder
        .as_deref()
        .and_then(media::pipeline::placeholder_png)
        .map(|png| {
            format!(
                "data:image/png;base64,{}",
                base64::engine::general_purpose::STANDARD.encode(png)
            )
        })
        .unwrap_or_default()
}

/// Signed links to a photo's renditions: (150 for the tile, srcset, the largest).
pub fn tile(state: &AppState, t: &Catalog, p: &Photo, now: DateTime<Utc>) -> Tile {
    let secret = &state.services.secret;
    let url = |key: &str| service::media_urls::signed_path(secret, key, now);
    let smallest = p.renditions.iter().min_by_key(|r| r.max_edge);
    let largest = p.renditions.iter().max_by_key(|r| r.max_edge);
    let srcset = p
        .renditions
        .iter()
        .rev()
        .map(|r| format!("{} {}w", url(&r.key), r.width))
        .collect::<Vec<_>>()
        .join(", ");
    Tile {
        id: p.id.to_string(),
        status: p.status.as_str(),
        status_label: t
            .get(&format!("photos.status.{}", p.status.as_str()))
            .to_owned(),
        uploader: p.uploader_name.clone(),
        thumb: smallest.map(|r| url(&r.key)).unwrap_or_default(),
        srcset,
        large: largest.map(|r| url(&r.key)).unwrap_or_default(),
        width: smallest.map_or(150, |r| r.width),
        height: smallest.map_or(150, |r| r.height),
        failure: p
            .failure
            .as_deref()
            .map(|c| t.photo_failure(c))
            .unwrap_or_default(),
        guest_id: p.guest_id.map(|g| g.to_string()).unwrap_or_default(),
        placeholder: placeholder_url(p),
        reactions: Vec::new(),
        original: url(&p.original_key),
    }
}

#[derive(Template)]
#[template(path = "event_photos.html")]
struct PhotosPage {
    layout: Layout,
    csrf: String,
    id: String,
    name: String,
    max_mb: u64,
    tiles: Vec<Tile>,
    next_href: String,
    notice: String,
    error: String,
    /// The uploader script's words, from the catalogue (JSON).
    messages: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct PhotosParams {
    #[serde(default)]
    before: String,
    uploaded: Option<u32>,
    existing: Option<u32>,
    deleted: Option<u32>,
    cover: Option<u32>,
}

pub fn encode_photo_cursor(p: &Photo) -> String {
    format!("{}_{}", p.created_at.timestamp_micros(), p.id)
}

pub fn decode_photo_cursor(s: &str) -> Option<(DateTime<Utc>, PhotoId)> {
    let (micros, id) = s.split_once('_')?;
    Some((
        DateTime::from_timestamp_micros(micros.parse().ok()?)?,
        id.parse().ok()?,
    ))
}

/// One page of an event's photos, newest first.
pub async fn photo_page(
    state: &AppState,
    tenant: TenantId,
    event: EventId,
    before: Option<(DateTime<Utc>, PhotoId)>,
    limit: u32,
) -> Result<(Vec<Photo>, bool), WebError> {
    let mut tx = state.services.db.begin(Scope::Tenant(tenant)).await?;
    let page = tx.list_event_photos(tenant, event, before, limit).await?;
    tx.commit().await?;
    Ok(page)
}

/// `GET /app/events/{id}/photos`.
pub async fn show_photos(
    State(state): State<AppState>,
    Extension(nonce): Extension<CspNonce>,
    member: CurrentMember,
    Path(id): Path<String>,
    Query(p): Query<PhotosParams>,
) -> Result<Html<String>, WebError> {
    render_photos(&state, nonce, &member, &id, &p, String::new()).await
}

async fn render_photos(
    state: &AppState,
    nonce: CspNonce,
    member: &CurrentMember,
    id: &str,
    p: &PhotosParams,
    error: String,
) -> Result<Html<String>, WebError> {
    let t = Catalog::english();
    let e = service::events::get_event(&state.services, member.tenant.id, parse_id(id)?)
        .await
        .map_err(event_error)?;
    let (photos, more) = photo_page(
        state,
        member.tenant.id,
        e.id,
        decode_photo_cursor(&p.before),
        48,
    )
    .await?;
    let now = domain::time::now();
    let max_mb = u64::from(e.settings.max_file_mb).min(state.services.uploads.max_bytes >> 20);
    let next_href = match (more, photos.last()) {
        (true, Some(last)) => format!(
            "/app/events/{}/photos?before={}",
            e.id,
            encode_photo_cursor(last)
        ),
        _ => String::new(),
    };
    let notice = match (p.uploaded, p.existing) {
        (Some(n), Some(d)) if d > 0 => t
            .get("photos.uploaded_some_existing")
            .replace("{n}", &n.to_string())
            .replace("{d}", &d.to_string()),
        (Some(n), _) => t.get("photos.uploaded").replace("{n}", &n.to_string()),
        _ if p.deleted.is_some() => t.get("photos.deleted").to_owned(),
        _ if p.cover.is_some() => t.get("photos.cover_set").to_owned(),
        _ => String::new(),
    };
    let html = PhotosPage {
        layout: Layout::for_member(nonce, member, "events"),
        csrf: member.session.csrf_token.clone(),
        id: e.id.to_string(),
        name: e.name.clone(),
        max_mb,
        tiles: {
            use store::ReactionRepo;
            let ids: Vec<PhotoId> = photos.iter().map(|p| p.id).collect();
            let mut tx = state
                .services
                .db
                .begin(Scope::Tenant(member.tenant.id))
                .await?;
            let summary = tx
                .reaction_summary(
                    member.tenant.id,
                    &ids,
                    &service::reactions::member_reactor(member.user.id),
                )
                .await?;
            tx.commit().await?;
            photos
                .iter()
                .map(|ph| {
                    let mut tl = tile(state, t, ph, now);
                    if ph.status == domain::PhotoStatus::Published {
                        tl.reactions = crate::pages::guest::reaction_buttons(t, &summary, ph.id);
                    }
                    tl
                })
                .collect()
        },
        next_href,
        notice,
        error,
        messages: uploader_messages(t, max_mb),
    }
    .render()
    .map_err(WebError::internal)?;
    Ok(Html(html))
}

/// `POST /app/events/{id}/photos`: the form without JavaScript (multipart, token first, then
/// any number of files). Each file streams to disk as it arrives.
pub async fn upload_form(
    State(state): State<AppState>,
    Extension(nonce): Extension<CspNonce>,
    member: CurrentMember,
    Path(id): Path<String>,
    mut form: Multipart,
) -> Result<Response, WebError> {
    let event = parse_id(&id)?;
    let bad_form = || WebError::BadRequest(Catalog::english().get("upload.bad_form").to_owned());
    let first = form.next_field().await.map_err(|_| bad_form())?;
    let token = match first {
        Some(f) if f.name() == Some("csrf_token") => f.text().await.map_err(|_| bad_form())?,
        _ => String::new(),
    };
    check_form_token(&member, &token)?;
    let uploader = Uploader {
        user: Some(member.user.id),
        guest: None,
        name: member.user.name.as_str().to_owned(),
    };
    let (mut created, mut existing) = (0u32, 0u32);
    while let Some(field) = form.next_field().await.map_err(|_| bad_form())? {
        if field.name() != Some("photos") || field.file_name().is_none_or(str::is_empty) {
            continue;
        }
        match photos::upload(&state.services, member.tenant.id, event, &uploader, field).await {
            Ok(Accepted::Created(_)) => created += 1,
            Ok(Accepted::Existing(_)) => existing += 1,
            Err(e) => {
                // Say what happened to this file; the ones before it are saved.
                let err = upload_error(e);
                let WebError::Rejected {
                    status, message, ..
                } = &err
                else {
                    return Err(err);
                };
                let t = Catalog::english();
                let mut text = message.clone();
                if created + existing > 0 {
                    text = format!(
                        "{} {text}",
                        t.get("photos.uploaded")
                            .replace("{n}", &(created + existing).to_string())
                    );
                }
                let page =
                    render_photos(&state, nonce, &member, &id, &PhotosParams::default(), text)
                        .await?;
                return Ok((*status, page).into_response());
            }
        }
    }
    if created + existing == 0 {
        let page = render_photos(
            &state,
            nonce,
            &member,
            &id,
            &PhotosParams::default(),
            Catalog::english().get("upload.none_chosen").to_owned(),
        )
        .await?;
        return Ok((StatusCode::BAD_REQUEST, page).into_response());
    }
    Ok(Redirect::to(&format!(
        "/app/events/{event}/photos?uploaded={}&existing={existing}",
        created + existing
    ))
    .into_response())
}

#[derive(Debug, Default, Deserialize)]
pub struct MediaParams {
    #[serde(default)]
    e: i64,
    #[serde(default)]
    s: String,
}

/// `GET /media/{*key}?e=…&s=…`: a blob, if the link's signature is right and not expired.
pub async fn serve_media(
    State(state): State<AppState>,
    Path(key): Path<String>,
    Query(q): Query<MediaParams>,
) -> Result<Response, WebError> {
    let now = domain::time::now();
    if key.contains("..")
        || !service::media_urls::verify(&state.services.secret, &key, q.e, &q.s, now)
    {
        return Err(WebError::Rejected {
            status: StatusCode::FORBIDDEN,
            code: "bad_signature",
            message: Catalog::english().get("media.bad_signature").to_owned(),
        });
    }
    let rendition = key.ends_with(".webp");
    // S3: hand the browser a presigned URL for the same span.
    let left =
        std::time::Duration::from_secs(u64::try_from(q.e - now.timestamp()).unwrap_or(60).max(60));
    if let Some(url) = state
        .services
        .blobs
        .presigned_get(&key, left)
        .await
        .map_err(|e| blob_error(&e))?
    {
        return Ok(Redirect::temporary(&url).into_response());
    }
    let (size, stream) = state
        .services
        .blobs
        .get_stream(&key)
        .await
        .map_err(|e| blob_error(&e))?;
    let content_type = match key.rsplit('.').next() {
        Some("webp") => "image/webp",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("png") => "image/png",
        Some("heic") => "image/heic",
        _ => "application/octet-stream",
    };
    let mut res = Body::from_stream(stream).into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(&size.to_string()) {
        h.insert(header::CONTENT_LENGTH, v);
    }
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(if rendition {
            "public, max-age=31536000, immutable"
        } else {
            "private, max-age=3600"
        }),
    );
    if !rendition {
        h.insert(
            header::CONTENT_DISPOSITION,
            HeaderValue::from_static("attachment"),
        );
    }
    Ok(res)
}

fn blob_error(e: &media::BlobError) -> WebError {
    if e.is_not_found() {
        WebError::NotFound
    } else if e.is_unavailable() {
        tracing::error!(error = %e, "photo storage unavailable");
        WebError::Unavailable("photo storage")
    } else {
        WebError::internal(e.to_string())
    }
}

/// All published photos of an event, page by page (keyset), for archives.
pub async fn all_published(
    state: &AppState,
    tenant: TenantId,
    event: EventId,
) -> Result<Vec<Photo>, WebError> {
    all_in_gallery(state, tenant, event, store::GalleryQuery::default()).await
}

/// Every photo a gallery query matches, page by page (keyset), for archives.
pub async fn all_in_gallery(
    state: &AppState,
    tenant: TenantId,
    event: EventId,
    mut q: store::GalleryQuery,
) -> Result<Vec<Photo>, WebError> {
    q.after = None;
    q.limit = 200;
    let mut out = Vec::new();
    loop {
        let mut tx = state.services.db.begin(Scope::Tenant(tenant)).await?;
        let (page, more) = tx.list_gallery(tenant, event, &q).await?;
        tx.commit().await?;
        q.after = page.last().map(store::GalleryCursor::after);
        out.extend(page);
        if !more {
            return Ok(out);
        }
    }
}

/// `uploader/anna-ben-140312-01a2b3c4.jpg`: a folder per uploader, then the event, the time
/// it arrived and enough of the id to be unique.
pub fn zip_path(t: &Catalog, e: &store::Event, p: &Photo, ext: &str) -> String {
    let who = crate::pages::zip::segment(&p.uploader_name, t.get("guest.anonymous"));
    let id = p.id.as_uuid().simple().to_string();
    format!(
        "{who}/{}-{}-{}.{ext}",
        e.slug.as_str(),
        p.created_at.with_timezone(&e.time_zone.0).format("%H%M%S"),
        &id[id.len() - 8..]
    )
}

/// `GET /app/events/{id}/download.zip`: every published photo's original, streamed.
pub async fn download_zip(
    State(state): State<AppState>,
    member: CurrentMember,
    Path(id): Path<String>,
    axum::extract::RawQuery(query): axum::extract::RawQuery,
) -> Result<Response, WebError> {
    let t = Catalog::english();
    let e = service::events::get_event(&state.services, member.tenant.id, parse_id(&id)?)
        .await
        .map_err(event_error)?;
    // `?photo=ID&photo=ID`: a selection (any photo of the event that has its file); otherwise
    // every published photo.
    let pairs: Vec<(String, String)> = query
        .as_deref()
        .and_then(|q| serde_urlencoded::from_str(q).ok())
        .unwrap_or_default();
    let selected: Vec<PhotoId> = pairs
        .iter()
        .filter(|(k, _)| k == "photo")
        .filter_map(|(_, v)| v.parse().ok())
        .collect();
    let photos = if selected.is_empty() {
        all_published(&state, member.tenant.id, e.id).await?
    } else {
        let mut tx = state
            .services
            .db
            .begin(Scope::Tenant(member.tenant.id))
            .await?;
        let mut chosen = Vec::new();
        for id in selected.iter().take(5000) {
            if let Some(p) = tx.get_photo(member.tenant.id, *id).await?
                && p.event_id == e.id
                && p.status != domain::PhotoStatus::Failed
            {
                chosen.push(p);
            }
        }
        tx.commit().await?;
        chosen
    };
    let items = photos
        .iter()
        .map(|p| crate::pages::zip::ZipItem {
            key: p.original_key.clone(),
            path: zip_path(t, &e, p, p.original_key.rsplit('.').next().unwrap_or("jpg")),
        })
        .collect();
    Ok(crate::pages::zip::zip_response(
        state.services.blobs.clone(),
        items,
        &format!("{}.zip", e.slug.as_str()),
    ))
}

#[derive(Debug, Default, Deserialize)]
pub struct ReactForm {
    #[serde(default)]
    kind: String,
}

/// `POST /app/events/{id}/photos/{photo}/react`: a member toggles a reaction (one of each kind
/// per member per photo, like guests).
pub async fn react(
    State(state): State<AppState>,
    member: CurrentMember,
    headers: axum::http::HeaderMap,
    Path((id, photo)): Path<(String, String)>,
    crate::auth::CsrfForm(form): crate::auth::CsrfForm<ReactForm>,
) -> Result<Response, WebError> {
    let e = service::events::get_event(&state.services, member.tenant.id, parse_id(&id)?)
        .await
        .map_err(event_error)?;
    let photo: PhotoId = photo.parse().map_err(|_| WebError::NotFound)?;
    let toggled = service::reactions::toggle(
        &state.services,
        member.tenant.id,
        e.id,
        photo,
        &service::reactions::member_reactor(member.user.id),
        &form.kind,
    )
    .await?
    .ok_or(WebError::NotFound)?;
    let wants_json = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json"));
    if wants_json {
        return Ok(axum::Json(serde_json::json!({
            "kind": form.kind, "on": toggled.on, "count": toggled.count,
        }))
        .into_response());
    }
    Ok(Redirect::to(&format!("/app/events/{}/photos#photo-{photo}", e.id)).into_response())
}

#[derive(Debug, Default, Deserialize)]
pub struct CoverForm {
    #[serde(default)]
    photo: String,
}

/// `POST /app/events/{id}/cover`: a published photo becomes the event's cover.
pub async fn set_cover(
    State(state): State<AppState>,
    member: CurrentMember,
    Path(id): Path<String>,
    crate::auth::CsrfForm(form): crate::auth::CsrfForm<CoverForm>,
) -> Result<Response, WebError> {
    let e = service::events::get_event(&state.services, member.tenant.id, parse_id(&id)?)
        .await
        .map_err(event_error)?;
    let photo: PhotoId = form.photo.parse().map_err(|_| WebError::NotFound)?;
    if !service::events::set_cover(
        &state.services,
        member.tenant.id,
        member.user.id,
        e.id,
        photo,
    )
    .await?
    {
        return Err(WebError::NotFound);
    }
    Ok(Redirect::to(&format!("/app/events/{}/photos?cover=1", e.id)).into_response())
}

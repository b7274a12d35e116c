//! An event's photos for members: the upload page (a plain multipart form, enhanced by app.js
//! with drag and drop and a progress bar per file), the grid, and signed media delivery.

use askama::Template;
use axum::Extension;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use domain::PhotoId;
use serde::Deserialize;
use service::photos::{self, Accepted};
use service::records::EventPhotoFilter;

use crate::auth::{CurrentMember, check_form_token};
use crate::extract::{Multipart, Path, Query};
use crate::i18n::Catalog;
use crate::pages::zip::zip_path;
use crate::pages::{Layout, ReactForm, reaction_reply};
use crate::params::{day_range, decode_photo_cursor, encode_photo_cursor, parse_id};
use crate::security::CspNonce;
use crate::views::{Tile, reaction_buttons, tile, uploader_messages};
use crate::{AppState, WebError};

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
    uploaders: Vec<String>,
    who: String,
    day: String,
    status: String,
    /// Status filter options: value and words.
    statuses: Vec<(&'static str, String)>,
    filtered: bool,
}

#[derive(Debug, Default, Deserialize)]
pub struct PhotosParams {
    #[serde(default)]
    before: String,
    uploaded: Option<u32>,
    existing: Option<u32>,
    deleted: Option<u32>,
    cover: Option<u32>,
    /// Photos a bulk action changed.
    done: Option<i64>,
    /// Photos a bulk delete removed.
    removed: Option<i64>,
    /// A photo's details were saved.
    edited: Option<u32>,
    /// Filters: uploader name, a day (local to the event), a status.
    #[serde(default)]
    who: String,
    #[serde(default)]
    day: String,
    #[serde(default)]
    status: String,
}

impl PhotosParams {
    /// The filters; the day is local to `e` (needed only when a day is chosen).
    fn filter(&self, e: Option<&service::records::Event>) -> EventPhotoFilter {
        EventPhotoFilter {
            status: self.status.trim().parse().ok(),
            uploader: Some(self.who.trim().to_owned()).filter(|w| !w.is_empty()),
            uploaded: e.and_then(|e| day_range(e, &self.day)),
        }
    }

    /// The filters as a query string (empty ones left out), with `before` when given.
    fn query(&self, before: &str) -> String {
        let pairs = [
            ("who", self.who.as_str()),
            ("day", self.day.as_str()),
            ("status", self.status.as_str()),
            ("before", before),
        ];
        let kept: Vec<(&str, &str)> = pairs.into_iter().filter(|(_, v)| !v.is_empty()).collect();
        serde_urlencoded::to_string(kept).unwrap_or_default()
    }
}

/// The statuses the grid filters by, in the order of the filter's list.
const STATUS_FILTERS: [&str; 6] = [
    "published",
    "pending_review",
    "processing",
    "hidden",
    "rejected",
    "failed",
];

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
    let t = Catalog::current();
    let event = parse_id(id)?;
    let live = super::live_links(
        state,
        member.ctx.tenant,
        event,
        &format!("/app/events/{event}"),
    )
    .await?;
    // The day is local to the event: its time zone is needed first.
    let filter = if p.day.trim().is_empty() {
        p.filter(None)
    } else {
        let e = service::events::get_event(&state.services, &member.ctx, event).await?;
        p.filter(Some(&e))
    };
    let photos::MemberPhotos {
        event: e,
        photos,
        more,
        reactions: summary,
        uploaders,
    } = photos::member_photos(
        &state.services,
        &member.ctx,
        event,
        &filter,
        decode_photo_cursor(&p.before),
        120,
    )
    .await?;
    let filtered =
        filter.status.is_some() || filter.uploader.is_some() || filter.uploaded.is_some();
    let now = member.ctx.now;
    let max_mb = u64::from(e.settings.max_file_mb).min(state.services.uploads.max_bytes >> 20);
    let next_href = match (more, photos.last()) {
        (true, Some(last)) => format!(
            "/app/events/{}/photos?{}",
            e.id,
            p.query(&encode_photo_cursor(last))
        ),
        _ => String::new(),
    };
    let notice = match (p.uploaded, p.existing) {
        (Some(n), Some(d)) if d > 0 => t
            .get("photos.uploaded_some_existing")
            .replace("{n}", &n.to_string())
            .replace("{d}", &d.to_string()),
        (Some(n), _) => t.get("photos.uploaded").replace("{n}", &n.to_string()),
        _ if p.removed.is_some() => t.plural("photos.bulk_deleted", p.removed.unwrap_or(0)),
        _ if p.done.is_some() => t.plural("photos.bulk_done", p.done.unwrap_or(0)),
        _ if p.deleted.is_some() => t.get("photos.deleted").to_owned(),
        _ if p.cover.is_some() => t.get("photos.cover_set").to_owned(),
        _ if p.edited.is_some() => t.get("captions.edited").to_owned(),
        _ => String::new(),
    };
    let html = PhotosPage {
        layout: Layout::for_member(nonce, member, "events").with_live(live),
        csrf: member.session.csrf_token.clone(),
        id: e.id.to_string(),
        name: e.name,
        max_mb,
        tiles: photos
            .iter()
            .map(|ph| {
                let mut tl = tile(state, t, ph, now);
                if ph.status == domain::PhotoStatus::Published {
                    tl.reactions = reaction_buttons(t, &summary, ph.id);
                }
                tl
            })
            .collect(),
        next_href,
        notice,
        error,
        messages: uploader_messages(t, max_mb),
        uploaders,
        who: p.who.trim().to_owned(),
        day: p.day.trim().to_owned(),
        status: filter.status.map_or("", |s| s.as_str()).to_owned(),
        statuses: STATUS_FILTERS
            .iter()
            .map(|s| (*s, t.get(&format!("photos.status.{s}")).to_owned()))
            .collect(),
        filtered,
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
    let bad_form = || WebError::BadRequest(Catalog::current().get("upload.bad_form").to_owned());
    let first = form.next_field().await.map_err(|_| bad_form())?;
    let token = match first {
        Some(f) if f.name() == Some("csrf_token") => f.text().await.map_err(|_| bad_form())?,
        _ => String::new(),
    };
    check_form_token(&member, &token)?;
    let uploader = photos::member_uploader(&member.ctx, member.user.name.as_str());
    let (mut created, mut existing) = (0u32, 0u32);
    while let Some(field) = form.next_field().await.map_err(|_| bad_form())? {
        if field.name() != Some("photos") || field.file_name().is_none_or(str::is_empty) {
            continue;
        }
        match photos::upload(&state.services, &member.ctx, event, &uploader, field).await {
            Ok(Accepted::Created(_)) => created += 1,
            Ok(Accepted::Existing(_)) => existing += 1,
            Err(e) => {
                // Say what happened to this file; the ones before it are saved.
                let err = WebError::from(e);
                let WebError::Rejected {
                    status, message, ..
                } = &err
                else {
                    return Err(err);
                };
                let t = Catalog::current();
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
            Catalog::current().get("upload.none_chosen").to_owned(),
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
    let now = state.services.now();
    if key.contains("..")
        || !service::media_urls::verify(&state.services.secret, &key, q.e, &q.s, now)
    {
        return Err(WebError::Rejected {
            status: StatusCode::FORBIDDEN,
            code: "bad_signature",
            message: Catalog::current().get("media.bad_signature").to_owned(),
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

/// `GET /app/events/{id}/download.zip`: every published photo's original, streamed.
pub async fn download_zip(
    State(state): State<AppState>,
    member: CurrentMember,
    Path(id): Path<String>,
    axum::extract::RawQuery(query): axum::extract::RawQuery,
) -> Result<Response, WebError> {
    let e = service::events::get_event(&state.services, &member.ctx, parse_id(&id)?).await?;
    // `?photo=ID&photo=ID`: a selection (any photo of the event that has its file); otherwise
    // every published photo.
    let pairs: Vec<(String, String)> = query
        .as_deref()
        .and_then(|q| serde_urlencoded::from_str(q).ok())
        .unwrap_or_default();
    zip_of(&state, &member, &e, &chosen(&pairs)).await
}

/// The photo ids of a form or query (`photo=ID&photo=ID`); ones that do not parse are left out.
fn chosen(pairs: &[(String, String)]) -> Vec<PhotoId> {
    pairs
        .iter()
        .filter(|(k, _)| k == "photo")
        .filter_map(|(_, v)| v.parse().ok())
        .collect()
}

/// The ZIP of `selected` (or, empty, of every published photo).
async fn zip_of(
    state: &AppState,
    member: &CurrentMember,
    e: &service::records::Event,
    selected: &[PhotoId],
) -> Result<Response, WebError> {
    let t = Catalog::current();
    let photos =
        photos::originals_for_archive(&state.services, &member.ctx, e.id, selected).await?;
    let items = photos
        .iter()
        .map(|p| crate::pages::zip::ZipItem {
            key: p.original_key.clone(),
            path: zip_path(t, e, p, p.original_key.rsplit('.').next().unwrap_or("jpg")),
        })
        .collect();
    Ok(crate::pages::zip::zip_response(
        state.services.blobs.clone(),
        items,
        &format!("{}.zip", e.slug.as_str()),
    ))
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
    let e = service::events::get_event(&state.services, &member.ctx, parse_id(&id)?).await?;
    let photo: PhotoId = photo.parse().map_err(|_| WebError::NotFound)?;
    let toggled =
        service::reactions::toggle(&state.services, &member.ctx, &e, photo, &form.kind).await?;
    let back = format!("/app/events/{}/photos#photo-{photo}", e.id);
    Ok(reaction_reply(&headers, &form.kind, toggled, &back))
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
    let event = parse_id(&id)?;
    let photo: PhotoId = form.photo.parse().map_err(|_| WebError::NotFound)?;
    service::events::set_cover(&state.services, &member.ctx, event, photo).await?;
    Ok(Redirect::to(&format!("/app/events/{event}/photos?cover=1")).into_response())
}

#[derive(Template)]
#[template(path = "photos_delete.html")]
struct BulkDeletePage {
    layout: Layout,
    csrf: String,
    event_id: String,
    name: String,
    body: String,
    photos: Vec<String>,
}

/// `POST /app/events/{id}/photos/bulk`: the photos page's selection with one action: approve
/// or hide (then back to the page), download (the ZIP of the selection), or delete (a
/// confirmation first). Nothing selected: the page again, saying so.
pub async fn bulk(
    State(state): State<AppState>,
    Extension(nonce): Extension<CspNonce>,
    member: CurrentMember,
    Path(id): Path<String>,
    crate::auth::CsrfForm(form): crate::auth::CsrfForm<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let t = Catalog::current();
    let event = parse_id(&id)?;
    let selected = chosen(&form);
    let action = form
        .iter()
        .find(|(k, _)| k == "action")
        .map_or("", |(_, v)| v.as_str());
    if !matches!(action, "approve" | "hide" | "delete" | "download") {
        return Err(WebError::BadRequest(
            t.get("moderation.bad_action").to_owned(),
        ));
    }
    if selected.is_empty() {
        let page = render_photos(
            &state,
            nonce,
            &member,
            &id,
            &PhotosParams::default(),
            t.get("moderation.none_selected").to_owned(),
        )
        .await?;
        return Ok((StatusCode::BAD_REQUEST, page).into_response());
    }
    match action {
        "download" => {
            let e = service::events::get_event(&state.services, &member.ctx, event).await?;
            zip_of(&state, &member, &e, &selected).await
        }
        "delete" => {
            let (e, found) = service::moderation::photos_to_delete(
                &state.services,
                &member.ctx,
                event,
                &selected,
            )
            .await?;
            let html = BulkDeletePage {
                layout: Layout::for_member(nonce, &member, "events"),
                csrf: member.session.csrf_token.clone(),
                event_id: e.id.to_string(),
                name: e.name,
                body: t.plural("photos.bulk_delete_body", found.len() as i64),
                photos: found.iter().map(ToString::to_string).collect(),
            }
            .render()
            .map_err(WebError::internal)?;
            Ok(Html(html).into_response())
        }
        _ => {
            let what = if action == "approve" {
                domain::ModerationAction::Approve
            } else {
                domain::ModerationAction::Hide
            };
            let n =
                service::moderation::moderate(&state.services, &member.ctx, event, &selected, what)
                    .await?;
            Ok(Redirect::to(&format!("/app/events/{event}/photos?done={n}")).into_response())
        }
    }
}

/// `POST /app/events/{id}/photos/delete`: the confirmed bulk delete.
pub async fn delete_selected(
    State(state): State<AppState>,
    Extension(nonce): Extension<CspNonce>,
    member: CurrentMember,
    Path(id): Path<String>,
    crate::auth::CsrfForm(form): crate::auth::CsrfForm<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let event = parse_id(&id)?;
    let selected = chosen(&form);
    if selected.is_empty() {
        let page = render_photos(
            &state,
            nonce,
            &member,
            &id,
            &PhotosParams::default(),
            Catalog::current()
                .get("moderation.none_selected")
                .to_owned(),
        )
        .await?;
        return Ok((StatusCode::BAD_REQUEST, page).into_response());
    }
    let n =
        service::moderation::delete_photos(&state.services, &member.ctx, event, &selected).await?;
    Ok(Redirect::to(&format!("/app/events/{event}/photos?removed={n}")).into_response())
}

//! `/api/v1/…/photos`: upload (raw body or multipart), list, one photo.

use axum::Json;
use axum::extract::{FromRequest, Multipart, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use service::photos::{self, Accepted};

use super::events::ApiJson;
use super::views::{Page, PhotoView};
use crate::auth::CurrentMember;
use crate::extract::{Path, Query};
use crate::i18n::Catalog;
use crate::params::{decode_photo_cursor, encode_photo_cursor, parse_id, parse_photo_id};
use crate::{AppState, WebError};

fn bad_form(key: &str) -> WebError {
    WebError::BadRequest(Catalog::current().get(key).to_owned())
}

/// `POST /api/v1/events/{id}/photos`: the body is the photo (any `Content-Type`; the type is
/// read from the bytes), or `multipart/form-data` with the photo in its first file field.
/// 201 with the new photo (status `processing`), or 200 with the photo these bytes already are.
pub async fn upload(
    State(state): State<AppState>,
    member: CurrentMember,
    Path(id): Path<String>,
    req: Request,
) -> Result<Response, WebError> {
    let event = parse_id(&id)?;
    let uploader = photos::member_uploader(&member.ctx, member.user.name.as_str());
    let ctx = &member.ctx;
    // Refuse an announced oversize body before reading a byte of it.
    let max = photos::upload_limit(&state.services, ctx, event).await?;
    let announced = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if announced.is_some_and(|n| n > max + 64 * 1024) {
        return Err(photos::UploadError::TooLarge {
            limit_mb: max >> 20,
        }
        .into());
    }
    let is_multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    let outcome = if is_multipart {
        let mut form = Multipart::from_request(req, &state)
            .await
            .map_err(|_| bad_form("upload.bad_form"))?;
        let mut result = None;
        while let Some(field) = form
            .next_field()
            .await
            .map_err(|_| bad_form("upload.bad_form"))?
        {
            if field.file_name().is_some() {
                result = Some(photos::upload(&state.services, ctx, event, &uploader, field).await);
                break;
            }
        }
        result.ok_or_else(|| bad_form("upload.none_chosen"))?
    } else {
        let body = req.into_body().into_data_stream();
        photos::upload(&state.services, ctx, event, &uploader, body).await
    };
    let (status, photo) = match outcome? {
        Accepted::Created(p) => (StatusCode::CREATED, p),
        Accepted::Existing(p) => (StatusCode::OK, p),
    };
    let view = PhotoView::new(&photo, &state.services.secret, ctx.now);
    let mut res = (status, Json(view)).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("/api/v1/photos/{}", photo.id)) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    Ok(res)
}

#[derive(Debug, Default, Deserialize)]
pub struct ListParams {
    #[serde(default)]
    before: String,
    limit: Option<u32>,
}

/// `GET /api/v1/events/{id}/photos?before=…&limit=…`: newest first, every status.
pub async fn list(
    State(state): State<AppState>,
    member: CurrentMember,
    Path(id): Path<String>,
    Query(p): Query<ListParams>,
) -> Result<Json<Page<PhotoView>>, WebError> {
    let limit = p.limit.unwrap_or(50).clamp(1, 200);
    let page = photos::member_photos(
        &state.services,
        &member.ctx,
        parse_id(&id)?,
        &service::records::EventPhotoFilter::default(),
        decode_photo_cursor(&p.before),
        limit,
    )
    .await?;
    let secret = &state.services.secret;
    Ok(Json(Page {
        next_cursor: page
            .photos
            .last()
            .filter(|_| page.more)
            .map(encode_photo_cursor),
        items: page
            .photos
            .iter()
            .map(|ph| PhotoView::new(ph, secret, member.ctx.now))
            .collect(),
    }))
}

/// `GET /api/v1/photos/{id}`.
pub async fn show(
    State(state): State<AppState>,
    member: CurrentMember,
    Path(id): Path<String>,
) -> Result<Json<PhotoView>, WebError> {
    let photo = photos::get_photo(&state.services, &member.ctx, parse_photo_id(&id)?).await?;
    Ok(Json(PhotoView::new(
        &photo,
        &state.services.secret,
        member.ctx.now,
    )))
}

/// The writable fields of a photo; what is left out stays as it is. `null` (or "") clears a
/// caption or the time taken.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PhotoBody {
    #[serde(default, deserialize_with = "nullable")]
    caption: Option<Option<String>>,
    uploader_name: Option<String>,
    /// `2026-06-20T14:03` in the event's time zone, or RFC 3339 with an offset.
    #[serde(default, deserialize_with = "nullable")]
    taken_at: Option<Option<String>>,
}

fn nullable<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Ok(Some(Option::deserialize(d)?))
}

/// `PATCH /api/v1/photos/{id}` with `{"caption", "uploader_name", "taken_at"}`: a member
/// corrects a photo (each change in the event's log); the photo as it is now.
pub async fn update(
    State(state): State<AppState>,
    member: CurrentMember,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<PhotoBody>,
) -> Result<Json<PhotoView>, WebError> {
    let edit = service::captions::PhotoEdit {
        caption: body.caption.map(Option::unwrap_or_default),
        uploader_name: body.uploader_name,
        taken_at: body.taken_at.map(Option::unwrap_or_default),
    };
    let photo =
        service::captions::edit_photo(&state.services, &member.ctx, parse_photo_id(&id)?, &edit)
            .await?;
    Ok(Json(PhotoView::new(
        &photo,
        &state.services.secret,
        member.ctx.now,
    )))
}

//! `/api/v1/…/photos`: upload (raw body or multipart), list, one photo, and an event's figures.

use axum::Json;
use axum::extract::{FromRequest, Multipart, Path, Query, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{Value, json};
use service::photos::{self, Accepted, Uploader};
use store::Photo;

use crate::auth::CurrentMember;
use crate::i18n::Catalog;
use crate::pages::events::parse_id;
use crate::pages::photos::{decode_photo_cursor, encode_photo_cursor, photo_page, upload_error};
use crate::{AppState, WebError};

/// A photo as JSON: never GPS (it is not even stored), links signed for a few hours.
pub fn photo_json(state: &AppState, p: &Photo, now: DateTime<Utc>) -> Value {
    let secret = &state.services.secret;
    let url = |key: &str| service::media_urls::signed_path(secret, key, now);
    json!({
        "id": p.id,
        "event_id": p.event_id,
        "status": p.status.as_str(),
        "failure": p.failure,
        "failure_message": p.failure.as_deref().map(|c| Catalog::english().photo_failure(c)),
        "uploader_name": p.uploader_name,
        "kind": p.kind,
        "bytes": p.original_bytes,
        "width": p.width,
        "height": p.height,
        "taken_at_local": p.taken_at_local,
        "taken_offset": p.taken_offset,
        "camera_make": p.camera_make,
        "camera_model": p.camera_model,
        "lens": p.lens,
        "placeholder": p.placeholder,
        "renditions": p.renditions.iter().map(|r| json!({
            "max_edge": r.max_edge, "width": r.width, "height": r.height, "url": url(&r.key),
        })).collect::<Vec<_>>(),
        "original_url": url(&p.original_key),
        "created_at": p.created_at,
        "processed_at": p.processed_at,
    })
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
    let uploader = Uploader {
        user: Some(member.user.id),
        guest: None,
        name: member.user.name.as_str().to_owned(),
    };
    let tenant = member.tenant.id;
    // Refuse an announced oversize body before reading a byte of it.
    let max = photos::max_upload_bytes(&state.services, tenant, event)
        .await
        .map_err(upload_error)?;
    let announced = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if announced.is_some_and(|n| n > max + 64 * 1024) {
        return Err(upload_error(photos::UploadError::TooLarge {
            limit_mb: max >> 20,
        }));
    }
    let is_multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    let outcome = if is_multipart {
        let mut form = Multipart::from_request(req, &state).await.map_err(|_| {
            WebError::BadRequest(Catalog::english().get("upload.bad_form").to_owned())
        })?;
        let mut result = None;
        while let Some(field) = form.next_field().await.map_err(|_| {
            WebError::BadRequest(Catalog::english().get("upload.bad_form").to_owned())
        })? {
            if field.file_name().is_some() {
                result =
                    Some(photos::upload(&state.services, tenant, event, &uploader, field).await);
                break;
            }
        }
        result.ok_or_else(|| {
            WebError::BadRequest(Catalog::english().get("upload.none_chosen").to_owned())
        })?
    } else {
        let body = req.into_body().into_data_stream();
        photos::upload(&state.services, tenant, event, &uploader, body).await
    };
    let accepted = outcome.map_err(upload_error)?;
    let now = domain::time::now();
    let (status, photo) = match &accepted {
        Accepted::Created(p) => (StatusCode::CREATED, p),
        Accepted::Existing(p) => (StatusCode::OK, p),
    };
    let mut res = (status, Json(photo_json(&state, photo, now))).into_response();
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
) -> Result<Response, WebError> {
    let e = service::events::get_event(&state.services, member.tenant.id, parse_id(&id)?)
        .await
        .map_err(crate::pages::events::event_error)?;
    let limit = p.limit.unwrap_or(50).clamp(1, 200);
    let (photos, more) = photo_page(
        &state,
        member.tenant.id,
        e.id,
        decode_photo_cursor(&p.before),
        limit,
    )
    .await?;
    let now = domain::time::now();
    let next = match (more, photos.last()) {
        (true, Some(last)) => Value::from(encode_photo_cursor(last)),
        _ => Value::Null,
    };
    Ok(Json(json!({
        "photos": photos.iter().map(|ph| photo_json(&state, ph, now)).collect::<Vec<_>>(),
        "next_cursor": next,
    }))
    .into_response())
}

/// `GET /api/v1/photos/{id}`.
pub async fn show(
    State(state): State<AppState>,
    member: CurrentMember,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let id = id.parse().map_err(|_| WebError::NotFound)?;
    let photo = photos::get_photo(&state.services, member.tenant.id, id)
        .await?
        .ok_or(WebError::NotFound)?;
    Ok(Json(photo_json(&state, &photo, domain::time::now())).into_response())
}

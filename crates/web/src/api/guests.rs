//! `/api/v1/events/{id}/guests`: the guests page as JSON, and blocking and unblocking a guest.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use serde::Deserialize;
use service::guest_admin;

use super::views::{GuestView, Page};
use crate::auth::CurrentMember;
use crate::extract::{Path, Query};
use crate::i18n::Catalog;
use crate::pages::guest_admin::{decode_guest_cursor, encode_guest_cursor, parse_guest_id};
use crate::params::parse_id;
use crate::{AppState, WebError};

#[derive(Debug, Default, Deserialize)]
pub struct ListParams {
    #[serde(default)]
    after: String,
    limit: Option<u32>,
}

/// `GET /api/v1/events/{id}/guests?limit=50&after=…`: newest first; `after` is the previous
/// page's `next_cursor`.
pub async fn list(
    State(state): State<AppState>,
    member: CurrentMember,
    Path(id): Path<String>,
    Query(p): Query<ListParams>,
) -> Result<Json<Page<GuestView>>, WebError> {
    let list = guest_admin::list_guests(
        &state.services,
        &member.ctx,
        parse_id(&id)?,
        decode_guest_cursor(&p.after),
        p.limit.unwrap_or(50).clamp(1, guest_admin::MAX_PAGE),
    )
    .await?;
    Ok(Json(Page {
        next_cursor: list
            .guests
            .last()
            .filter(|_| list.more)
            .map(encode_guest_cursor),
        items: list.guests.iter().map(GuestView::new).collect(),
    }))
}

/// `GET /api/v1/events/{id}/guests/{guest}`.
pub async fn show(
    State(state): State<AppState>,
    member: CurrentMember,
    Path((id, guest)): Path<(String, String)>,
) -> Result<Json<GuestView>, WebError> {
    let (_, g) = guest_admin::guest_of_event(
        &state.services,
        &member.ctx,
        parse_id(&id)?,
        parse_guest_id(&guest)?,
    )
    .await?;
    Ok(Json(GuestView::new(&g)))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BlockBody {
    /// Also take their photos out of the gallery (hidden; each can be put back).
    #[serde(default)]
    hide_photos: bool,
}

/// An optional JSON body: none at all means the defaults; one that is there must be JSON.
fn optional_json<T: Default + serde::de::DeserializeOwned>(
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<T, WebError> {
    let t = Catalog::current();
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(';')
                .next()
                .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
        });
    if !json {
        return Err(WebError::Rejected {
            status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
            code: "unsupported_media_type",
            message: t.get("api.json_content_type").to_owned(),
        });
    }
    serde_json::from_slice(body).map_err(|e| {
        WebError::BadRequest(
            t.get("api.json_unreadable")
                .replace("{why}", &e.to_string()),
        )
    })
}

/// `POST /api/v1/events/{id}/guests/{guest}/block`, optionally with `{"hide_photos": true}`:
/// the guest as they are now.
pub async fn block(
    State(state): State<AppState>,
    member: CurrentMember,
    headers: HeaderMap,
    Path((id, guest)): Path<(String, String)>,
    body: Bytes,
) -> Result<Json<GuestView>, WebError> {
    let event = parse_id(&id)?;
    let guest = parse_guest_id(&guest)?;
    let body: BlockBody = optional_json(&headers, &body)?;
    let g = guest_admin::block_guest(&state.services, &member.ctx, event, guest, body.hide_photos)
        .await?;
    Ok(Json(GuestView::new(&g)))
}

/// `POST /api/v1/events/{id}/guests/{guest}/unblock`: the guest as they are now.
pub async fn unblock(
    State(state): State<AppState>,
    member: CurrentMember,
    Path((id, guest)): Path<(String, String)>,
) -> Result<Json<GuestView>, WebError> {
    let g = guest_admin::unblock_guest(
        &state.services,
        &member.ctx,
        parse_id(&id)?,
        parse_guest_id(&guest)?,
    )
    .await?;
    Ok(Json(GuestView::new(&g)))
}

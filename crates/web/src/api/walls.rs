//! `/api/v1/events/{id}/walls`: an event's projector walls as JSON (the walls page's use
//! cases): list, make, change, new link, revoke, blank all screens, and a photo off the walls.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use service::records::Wall;
use service::walls::{self, WallEntry, WallFieldError, WallInput};

use super::events::ApiJson;
use crate::auth::CurrentMember;
use crate::extract::Path;
use crate::i18n::Catalog;
use crate::links::base_url;
use crate::pages::walls::parse_wall_id;
use crate::params::{parse_id, parse_photo_id};
use crate::{AppState, WebError};

/// One wall. `url` is its link, for those who may manage events and while it is not revoked.
#[derive(Debug, Serialize)]
pub struct WallView {
    pub id: String,
    pub name: String,
    pub url: Option<String>,
    pub hold_seconds: u32,
    pub slide_seconds: u32,
    pub layout: &'static str,
    pub captions: bool,
    pub qr: bool,
    pub revoked: bool,
}

impl WallView {
    fn new(base: &str, wall: &Wall, token: Option<&str>) -> Self {
        Self {
            id: wall.id.to_string(),
            name: wall.name.clone(),
            url: token.map(|t| format!("{base}/w/{t}")),
            hold_seconds: wall.hold_seconds,
            slide_seconds: wall.slide_seconds,
            layout: if wall.mosaic { "mosaic" } else { "single" },
            captions: wall.show_captions,
            qr: wall.show_qr,
            revoked: wall.revoked_at.is_some(),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct WallsList {
    /// Whether every wall of the event is blanked.
    pub blank: bool,
    pub walls: Vec<WallView>,
}

/// A wall's writable fields; on change, what is left out stays as it is.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WallBody {
    name: Option<String>,
    hold_seconds: Option<u32>,
    slide_seconds: Option<u32>,
    layout: Option<String>,
    captions: Option<bool>,
    qr: Option<bool>,
}

impl WallBody {
    /// The input these fields make on top of `base`, or 422 with one sentence per field.
    fn input(self, base: WallInput) -> Result<WallInput, WebError> {
        let t = Catalog::current();
        let mosaic = match self.layout.as_deref() {
            None => base.mosaic,
            Some("mosaic") => true,
            Some("single") => false,
            Some(_) => {
                return Err(WebError::Invalid {
                    fields: vec![("layout", t.get("walls.error_layout").to_owned())],
                });
            }
        };
        walls::parse_wall_input(
            self.name.as_deref().unwrap_or(&base.name),
            &self.hold_seconds.unwrap_or(base.hold_seconds).to_string(),
            &self.slide_seconds.unwrap_or(base.slide_seconds).to_string(),
            mosaic,
            self.captions.unwrap_or(base.show_captions),
            self.qr.unwrap_or(base.show_qr),
        )
        .map_err(|errors| invalid(&errors))
    }
}

fn invalid(errors: &[WallFieldError]) -> WebError {
    let t = Catalog::current();
    WebError::Invalid {
        fields: errors
            .iter()
            .map(|e| {
                (
                    e.field,
                    t.get(&format!("walls.error_{}", e.code)).to_owned(),
                )
            })
            .collect(),
    }
}

fn view_of(state: &AppState, headers: &HeaderMap, e: &WallEntry) -> WallView {
    let (base, _) = base_url(state, headers);
    WallView::new(&base, &e.wall, e.token.as_deref())
}

/// `GET /api/v1/events/{id}/walls`.
pub async fn list(
    State(state): State<AppState>,
    member: CurrentMember,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<WallsList>, WebError> {
    let view = walls::list_walls(&state.services, &member.ctx, parse_id(&id)?).await?;
    Ok(Json(WallsList {
        blank: view.blank,
        walls: view
            .walls
            .iter()
            .map(|e| view_of(&state, &headers, e))
            .collect(),
    }))
}

/// `POST /api/v1/events/{id}/walls`: 201 with the new wall and its link.
pub async fn create(
    State(state): State<AppState>,
    member: CurrentMember,
    headers: HeaderMap,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<WallBody>,
) -> Result<Response, WebError> {
    let input = body.input(WallInput::default())?;
    let (wall, token) =
        walls::create_wall(&state.services, &member.ctx, parse_id(&id)?, input).await?;
    let entry = WallEntry {
        wall,
        token: Some(token),
    };
    Ok((StatusCode::CREATED, Json(view_of(&state, &headers, &entry))).into_response())
}

/// The wall `wall` of `event` as the list shows it, or 404.
async fn current(
    state: &AppState,
    member: &CurrentMember,
    event: domain::EventId,
    wall: domain::WallId,
) -> Result<WallEntry, WebError> {
    walls::list_walls(&state.services, &member.ctx, event)
        .await?
        .walls
        .into_iter()
        .find(|e| e.wall.id == wall)
        .ok_or(WebError::NotFound)
}

/// `PATCH /api/v1/events/{id}/walls/{wall}`: its open pages reload with the new settings.
pub async fn update(
    State(state): State<AppState>,
    member: CurrentMember,
    headers: HeaderMap,
    Path((id, wall)): Path<(String, String)>,
    ApiJson(body): ApiJson<WallBody>,
) -> Result<Json<WallView>, WebError> {
    let (event, wall) = (parse_id(&id)?, parse_wall_id(&wall)?);
    let now = current(&state, &member, event, wall).await?;
    let w = &now.wall;
    let input = body.input(WallInput {
        name: w.name.clone(),
        hold_seconds: w.hold_seconds,
        slide_seconds: w.slide_seconds,
        mosaic: w.mosaic,
        show_captions: w.show_captions,
        show_qr: w.show_qr,
    })?;
    let wall = walls::update_wall(&state.services, &member.ctx, event, wall, input).await?;
    let entry = WallEntry {
        wall,
        token: now.token,
    };
    Ok(Json(view_of(&state, &headers, &entry)))
}

/// `POST /api/v1/events/{id}/walls/{wall}/link`: a new link; the old one stops at once.
pub async fn replace_link(
    State(state): State<AppState>,
    member: CurrentMember,
    headers: HeaderMap,
    Path((id, wall)): Path<(String, String)>,
) -> Result<Json<WallView>, WebError> {
    let (event, wall) = (parse_id(&id)?, parse_wall_id(&wall)?);
    let (wall, token) = walls::replace_link(&state.services, &member.ctx, event, wall).await?;
    let entry = WallEntry {
        wall,
        token: Some(token),
    };
    Ok(Json(view_of(&state, &headers, &entry)))
}

/// `DELETE /api/v1/events/{id}/walls/{wall}`: revokes it (its link opens nothing any more);
/// 204.
pub async fn revoke(
    State(state): State<AppState>,
    member: CurrentMember,
    Path((id, wall)): Path<(String, String)>,
) -> Result<StatusCode, WebError> {
    let (event, wall) = (parse_id(&id)?, parse_wall_id(&wall)?);
    walls::revoke_wall(&state.services, &member.ctx, event, wall).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BlankBody {
    blank: bool,
}

/// `POST /api/v1/events/{id}/walls/blank` with `{"blank": true}` (blank all screens) or
/// `false` (resume): `{"blank": …}`.
pub async fn blank(
    State(state): State<AppState>,
    member: CurrentMember,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<BlankBody>,
) -> Result<Json<serde_json::Value>, WebError> {
    walls::set_blank(&state.services, &member.ctx, parse_id(&id)?, body.blank).await?;
    Ok(Json(serde_json::json!({ "blank": body.blank })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OnWallBody {
    on_wall: bool,
}

/// `POST /api/v1/events/{id}/photos/{photo}/wall` with `{"on_wall": false}` ("not on the
/// wall": walls drop it, the gallery keeps it) or `true`: `{"on_wall": …}`.
pub async fn photo_on_wall(
    State(state): State<AppState>,
    member: CurrentMember,
    Path((id, photo)): Path<(String, String)>,
    ApiJson(body): ApiJson<OnWallBody>,
) -> Result<Json<serde_json::Value>, WebError> {
    let (event, photo) = (parse_id(&id)?, parse_photo_id(&photo)?);
    walls::set_off_wall(&state.services, &member.ctx, event, photo, !body.on_wall).await?;
    Ok(Json(serde_json::json!({ "on_wall": body.on_wall })))
}

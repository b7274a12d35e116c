//! Walls: the members' page to make and manage an event's projector walls and blank them all,
//! and the wall itself, opened from its link without logging in (docs/LIVE.md).

use askama::Template;
use axum::Extension;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::json;
use service::walls::{self, WallFieldError, WallInput};

use crate::auth::{CsrfForm, CurrentMember};
use crate::extract::{Path, Query};
use crate::i18n::Catalog;
use crate::links::base_url;
use crate::pages::Layout;
use crate::params::{parse_id, parse_photo_id};
use crate::security::CspNonce;
use crate::{AppState, WebError, assets};

/// One wall as its row on the page shows it.
#[derive(Debug)]
pub struct WallRow {
    pub id: String,
    pub name: String,
    /// The wall's address ("" when revoked or the viewer may not see links).
    pub url: String,
    pub settings: String,
    pub revoked: bool,
    pub hold_seconds: u32,
    pub slide_seconds: u32,
    pub mosaic: bool,
    pub show_captions: bool,
    pub show_qr: bool,
}

/// The create form's fields as typed, with their messages.
#[derive(Debug, Default)]
pub struct WallForm {
    pub name: String,
    pub hold: String,
    pub slide: String,
    pub mosaic: bool,
    pub captions: bool,
    pub qr: bool,
    pub errors: Vec<(String, String)>,
}

impl WallForm {
    /// The message for `field`, or "".
    pub fn of(&self, field: &str) -> &str {
        self.errors
            .iter()
            .find(|(f, _)| f == field)
            .map_or("", |(_, m)| m.as_str())
    }
}

#[derive(Template)]
#[template(path = "event_walls.html")]
struct WallsPage {
    layout: Layout,
    csrf: String,
    id: String,
    name: String,
    walls: Vec<WallRow>,
    blank: bool,
    may_manage: bool,
    notice: String,
    form: WallForm,
}

#[derive(Debug, Default, Deserialize)]
pub struct Notice {
    done: Option<String>,
}

fn settings_line(t: &Catalog, w: &service::records::Wall) -> String {
    let mut parts = vec![
        t.get("walls.hold_is")
            .replace("{n}", &w.hold_seconds.to_string()),
        t.get("walls.slide_is")
            .replace("{n}", &w.slide_seconds.to_string()),
        t.get(if w.mosaic {
            "walls.layout_mosaic"
        } else {
            "walls.layout_single"
        })
        .to_owned(),
    ];
    if w.show_captions {
        parts.push(t.get("walls.with_captions").to_owned());
    }
    if w.show_qr {
        parts.push(t.get("walls.with_qr").to_owned());
    }
    parts.join(" · ")
}

/// What the page shows besides the walls: a notice, the create form as typed, the status.
struct Shown {
    notice: String,
    form: WallForm,
    status: axum::http::StatusCode,
}

async fn page(
    state: &AppState,
    nonce: CspNonce,
    member: &CurrentMember,
    headers: &HeaderMap,
    event: domain::EventId,
    shown: Shown,
) -> Result<Response, WebError> {
    let Shown {
        notice,
        form,
        status,
    } = shown;
    let t = Catalog::current();
    let view = walls::list_walls(&state.services, &member.ctx, event).await?;
    let (base, _) = base_url(state, headers);
    let rows = view
        .walls
        .iter()
        .map(|e| WallRow {
            id: e.wall.id.to_string(),
            name: e.wall.name.clone(),
            url: e
                .token
                .as_ref()
                .map_or_else(String::new, |tk| format!("{base}/w/{tk}")),
            settings: settings_line(t, &e.wall),
            revoked: e.wall.revoked_at.is_some(),
            hold_seconds: e.wall.hold_seconds,
            slide_seconds: e.wall.slide_seconds,
            mosaic: e.wall.mosaic,
            show_captions: e.wall.show_captions,
            show_qr: e.wall.show_qr,
        })
        .collect();
    let html = WallsPage {
        layout: Layout::for_member(nonce, member, "dashboard"),
        csrf: member.session.csrf_token.clone(),
        id: event.to_string(),
        name: view.event.name.clone(),
        walls: rows,
        blank: view.blank,
        may_manage: view.may_manage,
        notice,
        form,
    }
    .render()
    .map_err(WebError::internal)?;
    Ok((status, Html(html)).into_response())
}

fn fresh_form() -> WallForm {
    let d = WallInput::default();
    WallForm {
        name: String::new(),
        hold: d.hold_seconds.to_string(),
        slide: d.slide_seconds.to_string(),
        mosaic: d.mosaic,
        captions: d.show_captions,
        qr: d.show_qr,
        errors: Vec::new(),
    }
}

/// `GET /app/events/{id}/walls`.
pub async fn show_walls(
    State(state): State<AppState>,
    Extension(nonce): Extension<CspNonce>,
    member: CurrentMember,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(n): Query<Notice>,
) -> Result<Response, WebError> {
    let t = Catalog::current();
    let notice = match n.done.as_deref() {
        Some(k @ ("created" | "saved" | "replaced" | "revoked" | "blanked" | "resumed")) => {
            t.get(&format!("walls.done_{k}")).to_owned()
        }
        _ => String::new(),
    };
    page(
        &state,
        nonce,
        &member,
        &headers,
        parse_id(&id)?,
        Shown {
            notice,
            form: fresh_form(),
            status: axum::http::StatusCode::OK,
        },
    )
    .await
}

/// The wall form's fields.
#[derive(Debug, Deserialize)]
pub struct WallFields {
    #[serde(default)]
    name: String,
    #[serde(default)]
    hold_seconds: String,
    #[serde(default)]
    slide_seconds: String,
    layout: Option<String>,
    captions: Option<String>,
    qr: Option<String>,
}

impl WallFields {
    fn parse(&self) -> Result<WallInput, Vec<WallFieldError>> {
        walls::parse_wall_input(
            &self.name,
            &self.hold_seconds,
            &self.slide_seconds,
            self.layout.as_deref() == Some("mosaic"),
            self.captions.is_some(),
            self.qr.is_some(),
        )
    }

    fn form(&self, errors: &[WallFieldError]) -> WallForm {
        let t = Catalog::current();
        WallForm {
            name: self.name.clone(),
            hold: self.hold_seconds.clone(),
            slide: self.slide_seconds.clone(),
            mosaic: self.layout.as_deref() == Some("mosaic"),
            captions: self.captions.is_some(),
            qr: self.qr.is_some(),
            errors: errors
                .iter()
                .map(|e| {
                    (
                        e.field.to_owned(),
                        t.get(&format!("walls.error_{}", e.code)).to_owned(),
                    )
                })
                .collect(),
        }
    }
}

/// `POST /app/events/{id}/walls`: makes a wall.
pub async fn create_wall(
    State(state): State<AppState>,
    Extension(nonce): Extension<CspNonce>,
    member: CurrentMember,
    headers: HeaderMap,
    Path(id): Path<String>,
    CsrfForm(f): CsrfForm<WallFields>,
) -> Result<Response, WebError> {
    let event = parse_id(&id)?;
    match f.parse() {
        Ok(input) => {
            walls::create_wall(&state.services, &member.ctx, event, input).await?;
            Ok(Redirect::to(&format!("/app/events/{event}/walls?done=created")).into_response())
        }
        Err(errors) => {
            page(
                &state,
                nonce,
                &member,
                &headers,
                event,
                Shown {
                    notice: String::new(),
                    form: f.form(&errors),
                    status: axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                },
            )
            .await
        }
    }
}

pub(crate) fn parse_wall_id(raw: &str) -> Result<domain::WallId, WebError> {
    raw.parse().map_err(|_| WebError::NotFound)
}

/// `POST /app/events/{id}/walls/{wall}`: saves a wall's settings.
pub async fn update_wall(
    State(state): State<AppState>,
    Extension(nonce): Extension<CspNonce>,
    member: CurrentMember,
    headers: HeaderMap,
    Path((id, wall)): Path<(String, String)>,
    CsrfForm(f): CsrfForm<WallFields>,
) -> Result<Response, WebError> {
    let event = parse_id(&id)?;
    let wall = parse_wall_id(&wall)?;
    match f.parse() {
        Ok(input) => {
            walls::update_wall(&state.services, &member.ctx, event, wall, input).await?;
            Ok(Redirect::to(&format!("/app/events/{event}/walls?done=saved")).into_response())
        }
        Err(errors) => {
            let t = Catalog::current();
            let notice = errors
                .iter()
                .map(|e| t.get(&format!("walls.error_{}", e.code)).to_owned())
                .collect::<Vec<_>>()
                .join(" ");
            page(
                &state,
                nonce,
                &member,
                &headers,
                event,
                Shown {
                    notice,
                    form: fresh_form(),
                    status: axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                },
            )
            .await
        }
    }
}

/// `POST /app/events/{id}/walls/{wall}/replace`: a new link; the old one stops.
pub async fn replace_link(
    State(state): State<AppState>,
    member: CurrentMember,
    Path((id, wall)): Path<(String, String)>,
    CsrfForm(_): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let event = parse_id(&id)?;
    walls::replace_link(&state.services, &member.ctx, event, parse_wall_id(&wall)?).await?;
    Ok(Redirect::to(&format!("/app/events/{event}/walls?done=replaced")).into_response())
}

/// `POST /app/events/{id}/walls/{wall}/revoke`.
pub async fn revoke_wall(
    State(state): State<AppState>,
    member: CurrentMember,
    Path((id, wall)): Path<(String, String)>,
    CsrfForm(_): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let event = parse_id(&id)?;
    walls::revoke_wall(&state.services, &member.ctx, event, parse_wall_id(&wall)?).await?;
    Ok(Redirect::to(&format!("/app/events/{event}/walls?done=revoked")).into_response())
}

/// A form's on/off value: `1` or `0`, anything else a 400 that says so.
fn flag(raw: &str) -> Result<bool, WebError> {
    match raw {
        "1" => Ok(true),
        "0" => Ok(false),
        _ => Err(WebError::BadRequest(
            Catalog::current().get("walls.bad_blank").to_owned(),
        )),
    }
}

/// The blank form: `on` 1 or 0, and where to go back to (one of the event's own pages).
#[derive(Debug, Deserialize)]
pub struct BlankForm {
    on: String,
    back: Option<String>,
}

fn back_to(event: domain::EventId, back: Option<&str>, done: &str) -> String {
    match back {
        Some("event") => format!("/app/events/{event}?walls={done}"),
        Some("moderation") => format!("/app/events/{event}/moderation"),
        _ => format!("/app/events/{event}/walls?done={done}"),
    }
}

/// `POST /app/events/{id}/walls/blank`: "Blank all screens" and "Resume".
pub async fn blank_walls(
    State(state): State<AppState>,
    member: CurrentMember,
    Path(id): Path<String>,
    CsrfForm(f): CsrfForm<BlankForm>,
) -> Result<Response, WebError> {
    let event = parse_id(&id)?;
    let on = flag(&f.on)?;
    walls::set_blank(&state.services, &member.ctx, event, on).await?;
    let done = if on { "blanked" } else { "resumed" };
    Ok(Redirect::to(&back_to(event, f.back.as_deref(), done)).into_response())
}

/// The "not on the wall" form.
#[derive(Debug, Deserialize)]
pub struct OffWallForm {
    off: String,
    back: Option<String>,
}

/// `POST /app/events/{id}/photos/{photo}/wall`: keeps a photo off the walls (or back on).
pub async fn photo_wall(
    State(state): State<AppState>,
    member: CurrentMember,
    Path((id, photo)): Path<(String, String)>,
    CsrfForm(f): CsrfForm<OffWallForm>,
) -> Result<Response, WebError> {
    let event = parse_id(&id)?;
    let off = flag(&f.off)?;
    walls::set_off_wall(
        &state.services,
        &member.ctx,
        event,
        parse_photo_id(&photo)?,
        off,
    )
    .await?;
    let to = match f.back.as_deref() {
        Some("moderation") => format!("/app/events/{event}/moderation"),
        _ => format!("/app/events/{event}/photos"),
    };
    Ok(Redirect::to(&to).into_response())
}

#[derive(Template)]
#[template(path = "wall.html")]
struct WallPage {
    lang: &'static str,
    nonce: String,
    css: String,
    /// The organization's colour and logo (`/o/{org}/brand.css`).
    brand_css: String,
    js: String,
    title: String,
    live_url: String,
    feed_url: String,
    photos_url: String,
    showing_url: String,
    join_url: String,
    qr_svg_url: String,
    seq: i64,
    blank: bool,
    hold_seconds: u32,
    slide_seconds: u32,
    mosaic: bool,
    show_captions: bool,
    show_qr: bool,
    t_add_photos: String,
    t_blank: String,
    t_paused: String,
    t_waiting: String,
}

/// `GET /w/{token}`: the projector page.
pub async fn show_wall(
    State(state): State<AppState>,
    Extension(nonce): Extension<CspNonce>,
    headers: HeaderMap,
    Path(token): Path<String>,
) -> Result<Response, WebError> {
    let t = Catalog::current();
    let open = walls::open_wall(&state.services, &token).await?;
    let (base, _) = base_url(&state, &headers);
    let join = service::events::join_url(
        &base,
        &service::events::join_token(&state.services.secret, &open.event),
    );
    let w = &open.wall;
    let html = WallPage {
        lang: t.lang(),
        nonce: nonce.0,
        css: assets::url("wall.css"),
        brand_css: service::org_settings::brand_css_url(open.event.tenant_id),
        js: assets::url("wall.js"),
        title: open.event.name.clone(),
        live_url: format!("/w/{token}/live"),
        feed_url: format!("/w/{token}/feed"),
        photos_url: format!("/w/{token}/photos"),
        showing_url: format!("/w/{token}/showing"),
        join_url: join,
        qr_svg_url: format!("/w/{token}/qr.svg"),
        seq: open.head,
        blank: open.blank,
        hold_seconds: w.hold_seconds,
        slide_seconds: w.slide_seconds,
        mosaic: w.mosaic,
        show_captions: w.show_captions,
        show_qr: w.show_qr,
        t_add_photos: t.get("wall.add_photos").to_owned(),
        t_blank: t.get("wall.blank").to_owned(),
        t_paused: t.get("wall.paused").to_owned(),
        t_waiting: t.get("wall.waiting").to_owned(),
    }
    .render()
    .map_err(WebError::internal)?;
    Ok(Html(html).into_response())
}

/// `GET /w/{token}/photos`: the photos the wall starts with, newest first.
pub async fn wall_photos(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Response, WebError> {
    let open = walls::open_wall(&state.services, &token).await?;
    let (head, photos) = walls::wall_photos(&state.services, &open.wall).await?;
    let now = state.services.now();
    let photos: Vec<_> = photos
        .iter()
        .map(|p| service::live::photo_json(p, &state.services.secret, now))
        .collect();
    Ok(Json(json!({ "head": head, "photos": photos })).into_response())
}

/// `GET /w/{token}/qr.svg`: the guests' join link as a QR code, for the wall's corner.
pub async fn wall_qr(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(token): Path<String>,
) -> Result<Response, WebError> {
    let open = walls::open_wall(&state.services, &token).await?;
    let (base, _) = base_url(&state, &headers);
    let url = service::events::join_url(
        &base,
        &service::events::join_token(&state.services.secret, &open.event),
    );
    let svg = media::qr::qr_svg(&url).map_err(WebError::internal)?;
    let mut res = svg.into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("image/svg+xml"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    Ok(res)
}

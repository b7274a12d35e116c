//! `/api/v1/events`: the event operations of the pages, as JSON.
//!
//! Times go in as the event's local time (`2026-06-20T14:00`, what the form takes) or as RFC 3339
//! with an offset (`2026-06-20T12:00:00Z`); they come out as RFC 3339 in UTC plus the local form.
//! Writes need `Content-Type: application/json`, which a cross-site form cannot send without a
//! CORS preflight that this server never grants; the Origin / Sec-Fetch-Site checks apply too.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use domain::EventStatus;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use service::events::{self, EventInput, format_local};
use service::records::Event;

use super::views::{EventView, Page};
use crate::auth::CurrentMember;
use crate::extract::{Path, Query};
use crate::i18n::Catalog;
use crate::links::base_url;
use crate::params::{ListParams, encode_cursor, list_query, parse_id};
use crate::{AppState, WebError};

/// A refusal of the request's shape, in the catalogue's words.
fn bad_request(key: &str) -> WebError {
    WebError::BadRequest(Catalog::current().get(key).to_owned())
}

/// An event as the API answers it.
fn event_view(state: &AppState, headers: &HeaderMap, e: &Event) -> Json<EventView> {
    let (base, _) = base_url(state, headers);
    Json(EventView::new(e, &base, &state.services.secret))
}

/// `Json<T>` whose refusals are API errors a person can read.
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for ApiJson<T> {
    type Rejection = WebError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, WebError> {
        let t = Catalog::current();
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(ApiJson(v)),
            Err(JsonRejection::MissingJsonContentType(_)) => Err(WebError::Rejected {
                status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
                code: "unsupported_media_type",
                message: t.get("api.json_content_type").to_owned(),
            }),
            Err(e) => Err(WebError::BadRequest(
                t.get("api.json_unreadable")
                    .replace("{why}", &e.body_text()),
            )),
        }
    }
}

/// The writable fields; on update, what is left out stays as it is.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventBody {
    name: Option<String>,
    slug: Option<String>,
    venue: Option<String>,
    description: Option<String>,
    time_zone: Option<String>,
    starts_at: Option<String>,
    ends_at: Option<String>,
    #[serde(default)]
    settings: SettingsBody,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SettingsBody {
    uploads_enabled: Option<bool>,
    moderation: Option<String>,
    /// `null` or "" clears the bound.
    #[serde(default, deserialize_with = "nullable")]
    upload_opens_at: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    upload_closes_at: Option<Option<String>>,
    max_photos_per_guest: Option<u32>,
    max_file_mb: Option<u32>,
    guest_name_required: Option<bool>,
    guest_visibility: Option<String>,
    guest_downloads: Option<bool>,
}

fn nullable<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Ok(Some(Option::deserialize(d)?))
}

impl EventBody {
    /// Lays the body over `base` (the current event, or a new event's defaults).
    fn apply(self, mut f: EventInput) -> EventInput {
        let zone_name = self
            .time_zone
            .clone()
            .unwrap_or_else(|| f.time_zone.clone());
        let zone = domain::EventZone::parse(&zone_name).ok();
        // RFC 3339 with an offset becomes the local time the service parses.
        let local = |s: String| match (DateTime::parse_from_rfc3339(s.trim()), zone) {
            (Ok(t), Some(z)) => format_local(t.with_timezone(&Utc), z),
            _ => s,
        };
        let set = |slot: &mut String, v: Option<String>| {
            if let Some(v) = v {
                *slot = v;
            }
        };
        set(&mut f.name, self.name);
        set(&mut f.slug, self.slug);
        set(&mut f.venue, self.venue);
        set(&mut f.description, self.description);
        set(&mut f.time_zone, self.time_zone);
        set(&mut f.starts_at, self.starts_at.map(local));
        set(&mut f.ends_at, self.ends_at.map(local));
        let s = self.settings;
        if let Some(v) = s.uploads_enabled {
            f.uploads_enabled = v;
        }
        set(&mut f.moderation, s.moderation);
        if let Some(v) = s.upload_opens_at {
            f.upload_opens_at = v.map(local).unwrap_or_default();
        }
        if let Some(v) = s.upload_closes_at {
            f.upload_closes_at = v.map(local).unwrap_or_default();
        }
        set(
            &mut f.max_photos_per_guest,
            s.max_photos_per_guest.map(|n| n.to_string()),
        );
        set(&mut f.max_file_mb, s.max_file_mb.map(|n| n.to_string()));
        if let Some(v) = s.guest_name_required {
            f.guest_name_required = v;
        }
        set(&mut f.guest_visibility, s.guest_visibility);
        if let Some(v) = s.guest_downloads {
            f.guest_downloads = v;
        }
        f
    }
}

/// `GET /api/v1/events`: `q`, `status`, `from`, `to` (dates), `sort`
/// (`starts_desc` | `starts_asc` | `name`), `limit` (1–100), `after` (the `next_cursor`).
pub async fn list(
    State(state): State<AppState>,
    member: CurrentMember,
    headers: HeaderMap,
    Query(p): Query<ListParams>,
) -> Result<Json<Page<EventView>>, WebError> {
    if !p.status.is_empty() && p.status.parse::<EventStatus>().is_err() {
        return Err(bad_request("api.bad_status"));
    }
    let list = events::list_events(&state.services, &member.ctx, &list_query(&p)).await?;
    let (base, _) = base_url(&state, &headers);
    Ok(Json(Page {
        next_cursor: list.events.last().filter(|_| list.more).map(encode_cursor),
        items: list
            .events
            .iter()
            .map(|e| EventView::new(e, &base, &state.services.secret))
            .collect(),
    }))
}

/// `POST /api/v1/events` → 201 with the new (draft) event.
pub async fn create(
    State(state): State<AppState>,
    member: CurrentMember,
    headers: HeaderMap,
    ApiJson(body): ApiJson<EventBody>,
) -> Result<Response, WebError> {
    let zone = body.time_zone.clone().unwrap_or_else(|| "UTC".into());
    // What the body leaves out comes from the organization's defaults for new events.
    let defaults = service::org_settings::event_defaults(&state.services, &member.ctx).await?;
    let input = body.apply(EventInput::new_event(&zone).with_defaults(&defaults));
    let e = events::create_event(&state.services, &member.ctx, &input).await?;
    let mut res = (StatusCode::CREATED, event_view(&state, &headers, &e)).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("/api/v1/events/{}", e.id)) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    Ok(res)
}

/// `GET /api/v1/events/{id}`.
pub async fn show(
    State(state): State<AppState>,
    member: CurrentMember,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<EventView>, WebError> {
    let e = events::get_event(&state.services, &member.ctx, parse_id(&id)?).await?;
    Ok(event_view(&state, &headers, &e))
}

/// `PATCH /api/v1/events/{id}`: the fields given change, the rest stay.
pub async fn update(
    State(state): State<AppState>,
    member: CurrentMember,
    headers: HeaderMap,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<EventBody>,
) -> Result<Json<EventView>, WebError> {
    let id = parse_id(&id)?;
    let current = events::get_event(&state.services, &member.ctx, id).await?;
    let input = body.apply(EventInput::from_event(&current));
    let e = events::update_event(&state.services, &member.ctx, id, &input).await?;
    Ok(event_view(&state, &headers, &e))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusBody {
    to: String,
}

/// `POST /api/v1/events/{id}/status` with `{"to": "live"}`.
pub async fn transition(
    State(state): State<AppState>,
    member: CurrentMember,
    headers: HeaderMap,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<StatusBody>,
) -> Result<Json<EventView>, WebError> {
    let id = parse_id(&id)?;
    let to = body
        .to
        .parse::<EventStatus>()
        .map_err(|_| WebError::Invalid {
            fields: vec![("to", Catalog::current().get("api.bad_status").to_owned())],
        })?;
    let e = events::change_status(&state.services, &member.ctx, id, to).await?;
    Ok(event_view(&state, &headers, &e))
}

/// `POST /api/v1/events/{id}/join-link`: a new join link; the old one stops working.
pub async fn rotate(
    State(state): State<AppState>,
    member: CurrentMember,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<EventView>, WebError> {
    let e = events::rotate_join_link(&state.services, &member.ctx, parse_id(&id)?).await?;
    Ok(event_view(&state, &headers, &e))
}

#[derive(Debug, Default, Deserialize)]
pub struct QrParams {
    size: Option<u32>,
}

/// `GET /api/v1/events/{id}/qr.svg` and `/qr.png?size=512` (sizes as listed in the event).
pub async fn qr(
    State(state): State<AppState>,
    member: CurrentMember,
    headers: HeaderMap,
    Path((id, file)): Path<(String, String)>,
    Query(p): Query<QrParams>,
) -> Result<Response, WebError> {
    let e = events::get_event(&state.services, &member.ctx, parse_id(&id)?).await?;
    let (base, _) = base_url(&state, &headers);
    let url = events::join_url(&base, &events::join_token(&state.services.secret, &e));
    let (body, content_type) = match file.as_str() {
        "qr.svg" => (
            media::qr::qr_svg(&url)
                .map_err(WebError::internal)?
                .into_bytes(),
            "image/svg+xml",
        ),
        "qr.png" => {
            let size = p.size.unwrap_or(512);
            if !media::qr::qr_png_sizes().contains(&size) {
                let sizes = media::qr::qr_png_sizes()
                    .iter()
                    .map(|s| s.to_string())
                    .collect::<Vec<_>>()
                    .join(", ");
                return Err(WebError::BadRequest(
                    Catalog::current()
                        .get("api.bad_qr_size")
                        .replace("{sizes}", &sizes),
                ));
            }
            (
                media::qr::qr_png(&url, size).map_err(WebError::internal)?,
                "image/png",
            )
        }
        _ => return Err(WebError::NotFound),
    };
    let mut res = body.into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    Ok(res)
}

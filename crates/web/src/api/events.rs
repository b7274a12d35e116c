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
use serde_json::{Map, Value, json};
use service::events::{self, EventError, EventInput, format_local};
use store::Event;

use crate::auth::CurrentMember;
use crate::extract::{Path, Query};
use crate::i18n::Catalog;
use crate::pages::events::{
    ListParams, base_url, encode_cursor, event_field_message, list_page, list_query, parse_id,
};
use crate::{AppState, WebError};

/// An API error answered directly (with extra detail the generic envelope has no room for).
fn api_error(
    status: StatusCode,
    code: &str,
    message: &str,
    extra: Option<(&str, Value)>,
) -> Response {
    let mut error = Map::new();
    error.insert("code".into(), code.into());
    error.insert("message".into(), message.into());
    if let Some((k, v)) = extra {
        error.insert(k.into(), v);
    }
    (status, Json(json!({ "error": error }))).into_response()
}

/// Service errors as API answers: 422 `invalid` with a message per field, 409
/// `bad_transition`, 404 `not_found` (also for other organizations' events).
fn event_failure(e: EventError) -> Response {
    let t = Catalog::english();
    match e {
        EventError::Invalid(problems) => {
            let fields: Map<String, Value> = problems
                .iter()
                .map(|(f, p)| ((*f).to_owned(), event_field_message(t, p).into()))
                .collect();
            api_error(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid",
                t.get("form.fix_below"),
                Some(("fields", Value::Object(fields))),
            )
        }
        EventError::BadTransition { from, .. } => {
            let allowed: Vec<&str> = from.next_options().iter().map(|s| s.as_str()).collect();
            api_error(
                StatusCode::CONFLICT,
                "bad_transition",
                t.get("events.bad_transition"),
                Some(("allowed", json!(allowed))),
            )
        }
        other => crate::pages::events::event_error(other).into_response(),
    }
}

/// An event operation's outcome as the API answers it.
fn event_reply(state: &AppState, headers: &HeaderMap, r: Result<Event, EventError>) -> Response {
    match r {
        Ok(e) => {
            let (base, _) = base_url(state, headers);
            Json(event_json(&e, &base, &state.services.secret)).into_response()
        }
        Err(err) => event_failure(err),
    }
}

/// `Json<T>` whose refusals are API errors a person can read.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for ApiJson<T> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Response> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(ApiJson(v)),
            Err(JsonRejection::MissingJsonContentType(_)) => Err(api_error(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "Send the body as JSON with Content-Type: application/json.",
                None,
            )),
            Err(e) => Err(api_error(
                StatusCode::BAD_REQUEST,
                "bad_request",
                &format!("The JSON body could not be read: {}", e.body_text()),
                None,
            )),
        }
    }
}

fn event_json(e: &Event, base: &str, secret: &service::secrets::SecretKey) -> Value {
    let local = |t: DateTime<Utc>| format_local(t, e.time_zone);
    let s = &e.settings;
    let token = events::join_token(secret, e);
    let api = format!("/api/v1/events/{}", e.id);
    json!({
        "id": e.id,
        "slug": e.slug.as_str(),
        "name": e.name,
        "venue": e.venue,
        "description": e.description,
        "time_zone": e.time_zone.name(),
        "starts_at": e.starts_at,
        "ends_at": e.ends_at,
        "starts_at_local": local(e.starts_at),
        "ends_at_local": local(e.ends_at),
        "status": e.status.as_str(),
        "allowed_transitions": e.status.next_options().iter().map(|s| s.as_str()).collect::<Vec<_>>(),
        "settings": {
            "uploads_enabled": s.uploads_enabled,
            "moderation": s.moderation.as_str(),
            "upload_opens_at": s.upload_opens_at,
            "upload_closes_at": s.upload_closes_at,
            "max_photos_per_guest": s.max_photos_per_guest,
            "max_file_mb": s.max_file_mb,
            "guest_name_required": s.guest_name_required,
            "guest_visibility": s.guest_visibility.as_str(),
            "guest_downloads": s.guest_downloads,
        },
        "join_url": events::join_url(base, &token),
        "qr": {
            "svg": format!("{api}/qr.svg"),
            "png": media::qr::qr_png_sizes().iter().map(|n| format!("{api}/qr.png?size={n}")).collect::<Vec<_>>(),
        },
        "created_at": e.created_at,
        "updated_at": e.updated_at,
    })
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
) -> Result<Response, WebError> {
    if !p.status.is_empty() && p.status.parse::<EventStatus>().is_err() {
        return Ok(api_error(
            StatusCode::BAD_REQUEST,
            "bad_request",
            "status must be one of draft, live, ended, archived.",
            None,
        ));
    }
    let q = list_query(&p);
    let (list, more, _) = list_page(&state, &member, &q).await?;
    let (base, _) = base_url(&state, &headers);
    let next = match (more, list.last()) {
        (true, Some(last)) => Value::from(encode_cursor(last)),
        _ => Value::Null,
    };
    let items: Vec<Value> = list
        .iter()
        .map(|e| event_json(e, &base, &state.services.secret))
        .collect();
    Ok(Json(json!({ "events": items, "next_cursor": next })).into_response())
}

/// `POST /api/v1/events` → 201 with the new (draft) event.
pub async fn create(
    State(state): State<AppState>,
    member: CurrentMember,
    headers: HeaderMap,
    ApiJson(body): ApiJson<EventBody>,
) -> Result<Response, WebError> {
    let zone = body.time_zone.clone().unwrap_or_else(|| "UTC".into());
    let input = body.apply(EventInput::new_event(&zone));
    let e = match events::create_event(
        &state.services,
        member.tenant.id,
        member.user.id,
        &input,
        Utc::now(),
    )
    .await
    {
        Ok(e) => e,
        Err(err) => return Ok(event_failure(err)),
    };
    let (base, _) = base_url(&state, &headers);
    let mut res = (
        StatusCode::CREATED,
        Json(event_json(&e, &base, &state.services.secret)),
    )
        .into_response();
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
) -> Result<Response, WebError> {
    Ok(event_reply(
        &state,
        &headers,
        events::get_event(&state.services, member.tenant.id, parse_id(&id)?).await,
    ))
}

/// `PATCH /api/v1/events/{id}`: the fields given change, the rest stay.
pub async fn update(
    State(state): State<AppState>,
    member: CurrentMember,
    headers: HeaderMap,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<EventBody>,
) -> Result<Response, WebError> {
    let id = parse_id(&id)?;
    let tenant = member.tenant.id;
    let current = match events::get_event(&state.services, tenant, id).await {
        Ok(e) => e,
        Err(err) => return Ok(event_failure(err)),
    };
    let input = body.apply(EventInput::from_event(&current));
    Ok(event_reply(
        &state,
        &headers,
        events::update_event(
            &state.services,
            tenant,
            member.user.id,
            id,
            &input,
            Utc::now(),
        )
        .await,
    ))
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
) -> Result<Response, WebError> {
    let id = parse_id(&id)?;
    let Ok(to) = body.to.parse::<EventStatus>() else {
        return Ok(api_error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            "to must be one of draft, live, ended, archived.",
            None,
        ));
    };
    Ok(event_reply(
        &state,
        &headers,
        events::change_status(
            &state.services,
            member.tenant.id,
            member.user.id,
            id,
            to,
            Utc::now(),
        )
        .await,
    ))
}

/// `POST /api/v1/events/{id}/join-link`: a new join link; the old one stops working.
pub async fn rotate(
    State(state): State<AppState>,
    member: CurrentMember,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let id = parse_id(&id)?;
    Ok(event_reply(
        &state,
        &headers,
        events::rotate_join_link(
            &state.services,
            member.tenant.id,
            member.user.id,
            id,
            Utc::now(),
        )
        .await,
    ))
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
    let e = match events::get_event(&state.services, member.tenant.id, parse_id(&id)?).await {
        Ok(e) => e,
        Err(err) => return Ok(event_failure(err)),
    };
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
                return Ok(api_error(
                    StatusCode::BAD_REQUEST,
                    "bad_request",
                    &format!(
                        "size must be one of {}.",
                        media::qr::qr_png_sizes()
                            .iter()
                            .map(|s| s.to_string())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    None,
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

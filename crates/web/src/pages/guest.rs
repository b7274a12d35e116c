//! The guest's side: the join link (from the QR code), the join form, and the guest's event
//! page where they add photos and see their own. Mobile first; works without JavaScript.

use askama::Template;
use axum::Extension;
use axum::extract::{FromRequest, Multipart, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use domain::{EventId, EventStatus};
use serde::Deserialize;
use serde_json::json;
use service::events;
use service::guests::{self, GuestUploadError, JoinError, UploadRefusal};
use service::photos::Accepted;
use service::records::{Event, GalleryCursor, GalleryQuery, GallerySort, Guest, Photo};

use crate::auth::{
    ClientIp, CsrfForm, CurrentGuest, FormToken, check_token, cookie, enforce_limit, limits,
    set_cookie,
};
use crate::error::json_error;
use crate::extract::Path;
use crate::i18n::Catalog;
use crate::pages::events::when;
use crate::pages::{Layout, ReactForm, reaction_reply};
use crate::security::CspNonce;
use crate::views::{ReactionButton, reaction_buttons};
use crate::{AppState, WebError};

fn render(t: impl Template) -> Result<Html<String>, WebError> {
    Ok(Html(t.render().map_err(WebError::internal)?))
}

/// Keep the join token (in the URL) out of other sites' Referer headers. Not `no-referrer`:
/// under that policy browsers send `Origin: null` with the join form, which the CSRF check
/// (rightly) refuses.
fn no_referrer(mut res: Response) -> Response {
    res.headers_mut().insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    res
}

#[derive(Template)]
#[template(path = "join.html")]
struct JoinPage {
    layout: Layout,
    /// The event's cover (signed URL), or "" for the default art.
    cover: String,
    title: String,
    message: String,
    when: String,
    /// The join form is shown (the event takes guests).
    form: bool,
    csrf: String,
    action: String,
    name: String,
    name_required: bool,
    error: String,
}

/// The guest already joined this event on this device (the join link's page, before any
/// guest is required).
async fn current_guest(
    state: &AppState,
    headers: &HeaderMap,
    event: EventId,
) -> Result<Option<(Guest, Event)>, WebError> {
    match cookie(
        headers,
        &guests::cookie_name(event, state.config.is_https()),
    ) {
        Some(v) => Ok(guests::resume(&state.services, event, v).await?),
        None => Ok(None),
    }
}

/// `GET /j/{token}`: where the QR code leads.
pub async fn join(
    State(state): State<AppState>,
    Extension(nonce): Extension<CspNonce>,
    Extension(form_token): Extension<FormToken>,
    headers: HeaderMap,
    Path(token): Path<String>,
) -> Result<Response, WebError> {
    let t = Catalog::current();
    let e = match events::resolve_join(&state.services, &token).await? {
        events::JoinTarget::Unknown => {
            return lost_page(
                nonce,
                LostReason::UnknownCode,
                &token,
                StatusCode::NOT_FOUND,
            );
        }
        events::JoinTarget::Replaced(event) => {
            // Their session still works: on to the event, whichever link they kept.
            if current_guest(&state, &headers, event).await?.is_some() {
                return Ok(no_referrer(
                    Redirect::to(&format!("/g/{event}")).into_response(),
                ));
            }
            let page = JoinPage {
                layout: Layout::for_guest(nonce),
                cover: String::new(),
                title: t.get("join.replaced_title").to_owned(),
                message: t.get("join.replaced_body").to_owned(),
                when: String::new(),
                form: false,
                csrf: String::new(),
                action: String::new(),
                name: String::new(),
                name_required: false,
                error: String::new(),
            };
            return Ok(no_referrer(
                (StatusCode::GONE, render(page)?).into_response(),
            ));
        }
        events::JoinTarget::Event(e) => *e,
    };
    if matches!(e.status, EventStatus::Live | EventStatus::Ended)
        && current_guest(&state, &headers, e.id).await?.is_some()
    {
        return Ok(no_referrer(
            Redirect::to(&format!("/g/{}", e.id)).into_response(),
        ));
    }
    let cover = join_cover_url(&state, &e).await;
    join_page(
        nonce,
        &form_token,
        &token,
        &e,
        "",
        String::new(),
        StatusCode::OK,
        cover,
    )
}

/// The signed URL of the event's cover (800 px) for the join page, or "".
async fn join_cover_url(state: &AppState, e: &Event) -> String {
    let key = service::events::join_cover_key(&state.services, e).await;
    cover_link(state, key.map_err(service::Error::from))
}

/// The signed URL of the event's cover for its guest, or "".
async fn cover_url(state: &AppState, g: &CurrentGuest) -> String {
    let key = service::events::cover_key(&state.services, &g.ctx, g.event.id).await;
    cover_link(state, key)
}

fn cover_link(state: &AppState, key: Result<Option<String>, service::Error>) -> String {
    match key {
        Ok(Some(key)) => {
            service::media_urls::signed_path(&state.services.secret, &key, state.services.now())
        }
        Ok(None) => String::new(),
        Err(err) => {
            tracing::warn!(error = %err, "could not read the event's cover");
            String::new()
        }
    }
}

#[expect(clippy::too_many_arguments, reason = "one page, its parts")]
fn join_page(
    nonce: CspNonce,
    form_token: &FormToken,
    token: &str,
    e: &Event,
    name: &str,
    error: String,
    status: StatusCode,
    cover: String,
) -> Result<Response, WebError> {
    let t = Catalog::current();
    let open = matches!(e.status, EventStatus::Live | EventStatus::Ended);
    let status = if e.status == EventStatus::Archived {
        StatusCode::GONE
    } else {
        status
    };
    // After the end a new guest may still join to look at a shared gallery; where guests
    // only ever saw their own photos (a drop box) there is nothing left for them to do.
    let drop_box = e.settings.guest_visibility == domain::GuestVisibility::Own;
    let open = open && !(e.status == EventStatus::Ended && drop_box);
    let message = match e.status {
        EventStatus::Live => t.get("join.welcome").to_owned(),
        EventStatus::Ended if drop_box => t.get("join.ended_closed").to_owned(),
        EventStatus::Ended => t.get("join.ended_gallery").to_owned(),
        s => t.get(&format!("join.{}", s.as_str())).to_owned(),
    };
    let page = JoinPage {
        layout: Layout::for_guest(nonce).with_brand(e.tenant_id),
        cover,
        title: e.name.clone(),
        message,
        when: when(e),
        form: open,
        csrf: form_token.0.clone(),
        action: format!("/j/{token}"),
        name: name.to_owned(),
        name_required: e.settings.guest_name_required,
        error,
    };
    Ok(no_referrer((status, render(page)?).into_response()))
}

/// Why a guest landed on the "find your event" page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LostReason {
    /// `/j/<code>` with a code no event has (mistyped, or cut short when copied).
    UnknownCode,
    /// A guest page of an event this browser has not joined (a forwarded link).
    NotJoined,
    /// `/j` itself: type the code.
    Typing,
}

#[derive(Template)]
#[template(path = "guest_lost.html")]
struct LostPage {
    layout: Layout,
    title: String,
    message: String,
    code: String,
    /// The code was looked for and not found.
    unknown: bool,
}

/// The guest-friendly dead end: what happened, and a field to type the event's code.
pub fn lost_page(
    nonce: CspNonce,
    why: LostReason,
    code: &str,
    status: StatusCode,
) -> Result<Response, WebError> {
    let t = Catalog::current();
    let (title, message) = match why {
        LostReason::UnknownCode => ("lost.unknown_title", "lost.unknown_body"),
        LostReason::NotJoined => ("lost.not_joined_title", "guest.not_joined"),
        LostReason::Typing => ("lost.typing_title", "lost.typing_body"),
    };
    let page = LostPage {
        layout: Layout::for_guest(nonce),
        title: t.get(title).to_owned(),
        message: t.get(message).to_owned(),
        code: code
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .take(40)
            .collect(),
        unknown: why == LostReason::UnknownCode,
    };
    Ok(no_referrer((status, render(page)?).into_response()))
}

#[derive(Debug, Default, Deserialize)]
pub struct CodeParams {
    #[serde(default)]
    code: String,
}

/// `GET /j?code=…`: the code typed by hand (or the whole link pasted): on to `/j/{code}`.
pub async fn type_code(
    Extension(nonce): Extension<CspNonce>,
    crate::extract::Query(p): crate::extract::Query<CodeParams>,
) -> Result<Response, WebError> {
    let typed = p.code.trim();
    let code: String = typed
        .rsplit_once("/j/")
        .map_or(typed, |(_, after)| after)
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(64)
        .collect();
    if code.is_empty() {
        return lost_page(nonce, LostReason::Typing, "", StatusCode::OK);
    }
    Ok(no_referrer(
        Redirect::to(&format!("/j/{code}")).into_response(),
    ))
}

#[derive(Debug, Default, Deserialize)]
pub struct JoinForm {
    #[serde(default)]
    name: String,
}

/// `POST /j/{token}`: join with a name; a guest session cookie, then the guest's event page.
pub async fn join_submit(
    State(state): State<AppState>,
    Extension(nonce): Extension<CspNonce>,
    Extension(form_token): Extension<FormToken>,
    ip: ClientIp,
    Path(token): Path<String>,
    CsrfForm(form): CsrfForm<JoinForm>,
) -> Result<Response, WebError> {
    let t = Catalog::current();
    enforce_limit(&state, limits::GUEST_JOIN_PER_IP, &ip.key()).await?;
    let e = match events::resolve_join(&state.services, &token).await? {
        events::JoinTarget::Event(e) => *e,
        events::JoinTarget::Replaced(_) => {
            return Err(WebError::Rejected {
                status: StatusCode::GONE,
                code: "link_replaced",
                message: t.get("join.replaced_body").to_owned(),
            });
        }
        events::JoinTarget::Unknown => return Err(WebError::NotFound),
    };
    match guests::join(&state.services, &e, &form.name).await {
        Ok((guest, session)) => {
            let https = state.config.is_https();
            let age = guests::session_length(&e, state.services.now())
                .to_std()
                .unwrap_or(std::time::Duration::from_secs(86_400));
            let mut res = Redirect::to(&format!("/g/{}", e.id)).into_response();
            res.headers_mut().append(
                header::SET_COOKIE,
                set_cookie(
                    &guests::cookie_name(e.id, https),
                    &guests::cookie_value(guest.tenant_id, &session),
                    Some(age),
                    https,
                ),
            );
            Ok(no_referrer(res))
        }
        Err(JoinError::NameRequired) => join_page(
            nonce,
            &form_token,
            &token,
            &e,
            &form.name,
            t.get("join.name_required").to_owned(),
            StatusCode::UNPROCESSABLE_ENTITY,
            String::new(),
        ),
        Err(JoinError::NameTooLong) => join_page(
            nonce,
            &form_token,
            &token,
            &e,
            &form.name,
            t.get("join.name_too_long")
                .replace("{max}", &guests::MAX_NAME.to_string()),
            StatusCode::UNPROCESSABLE_ENTITY,
            String::new(),
        ),
        Err(JoinError::NameNotAllowed) => join_page(
            nonce,
            &form_token,
            &token,
            &e,
            &form.name,
            t.get("form.control_chars").to_owned(),
            StatusCode::UNPROCESSABLE_ENTITY,
            String::new(),
        ),
        Err(JoinError::NotOpen) => join_page(
            nonce,
            &form_token,
            &token,
            &e,
            &form.name,
            String::new(),
            StatusCode::CONFLICT,
            String::new(),
        ),
        Err(JoinError::LimitReached(_)) => join_page(
            nonce,
            &form_token,
            &token,
            &e,
            &form.name,
            t.get("join.plan_full").to_owned(),
            StatusCode::FORBIDDEN,
            String::new(),
        ),
        Err(JoinError::Store(s)) => Err(s.into()),
    }
}

/// A guest photo tile.
#[derive(Debug)]
pub struct OwnTile {
    pub id: String,
    pub status: &'static str,
    pub status_label: String,
    pub thumb: String,
    /// Every rendition, for a sharp tile on a 2x screen.
    pub srcset: String,
    /// The largest rendition (the lightbox's).
    pub large: String,
    pub width: u32,
    pub height: u32,
    pub placeholder: String,
    pub failure: String,
    /// Its caption, or "".
    pub caption: String,
    /// Whether a wall of the event has shown it.
    pub on_wall: bool,
}

#[derive(Template)]
#[template(path = "guest_event.html")]
struct GuestPage {
    layout: Layout,
    cover: String,
    event_id: String,
    name: String,
    when: String,
    guest_name: String,
    can_upload: bool,
    refusal: String,
    csrf: String,
    max_mb: u64,
    count: i64,
    max_photos: u32,
    tiles: Vec<OwnTile>,
    notice: String,
    error: String,
    messages: String,
    /// The guest may change their captions now (the event is not archived, they are not
    /// blocked); and whether a changed caption is approved again.
    can_caption: bool,
    caption_reviewed: bool,
    max_caption: usize,
    /// The event's lucky draws, with the guest's entries and the winners.
    draws: Vec<service::draws::GuestDraw>,
}

/// Why a guest cannot upload, in their words.
pub fn refusal_message(t: &Catalog, r: &UploadRefusal, e: &Event) -> String {
    let local =
        |at: chrono::DateTime<chrono::Utc>| t.date("day_time", &at.with_timezone(&e.time_zone.0));
    match r {
        UploadRefusal::NotLive(EventStatus::Draft) => t.get("guest.refused.draft").to_owned(),
        UploadRefusal::NotLive(_) => t.get("guest.refused.ended").to_owned(),
        UploadRefusal::UploadsOff => t.get("guest.refused.off").to_owned(),
        UploadRefusal::NotYetOpen(at) => {
            t.get("guest.refused.not_yet").replace("{at}", &local(*at))
        }
        UploadRefusal::Closed(at) => t.get("guest.refused.closed").replace("{at}", &local(*at)),
        UploadRefusal::LimitReached(n) => {
            t.get("guest.refused.limit").replace("{n}", &n.to_string())
        }
        UploadRefusal::Blocked => t.get("guest.refused.blocked").to_owned(),
    }
}

fn refusal_error(t: &Catalog, r: &UploadRefusal, e: &Event) -> WebError {
    let (status, code) = match r {
        UploadRefusal::LimitReached(_) => (StatusCode::TOO_MANY_REQUESTS, "photo_limit"),
        UploadRefusal::Blocked => (StatusCode::FORBIDDEN, "blocked"),
        _ => (StatusCode::CONFLICT, "uploads_closed"),
    };
    WebError::Rejected {
        status,
        code,
        message: refusal_message(t, r, e),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct GuestParams {
    uploaded: Option<u32>,
    deleted: Option<u32>,
    /// A caption was saved (2: and the photo waits for approval again).
    captioned: Option<u32>,
}

/// `GET /g/{event}`: add photos, and "My photos".
pub async fn show(
    State(state): State<AppState>,
    Extension(nonce): Extension<CspNonce>,
    Extension(form_token): Extension<FormToken>,
    g: CurrentGuest,
    crate::extract::Query(p): crate::extract::Query<GuestParams>,
) -> Result<Response, WebError> {
    let t = Catalog::current();
    let notice = match (p.uploaded, p.deleted, p.captioned) {
        (Some(n), _, _) => t.get("guest.uploaded").replace("{n}", &n.to_string()),
        (None, Some(_), _) => t.get("guest.deleted").to_owned(),
        (None, None, Some(2)) => t.get("captions.saved_held").to_owned(),
        (None, None, Some(_)) => t.get("captions.saved").to_owned(),
        _ => String::new(),
    };
    guest_page(
        &state,
        nonce,
        &form_token,
        &g,
        notice,
        String::new(),
        StatusCode::OK,
    )
    .await
}

/// The guest's page with a notice or an error (a refused upload or caption) and its status.
pub(crate) async fn guest_page(
    state: &AppState,
    nonce: CspNonce,
    form_token: &FormToken,
    g: &CurrentGuest,
    notice: String,
    error: String,
    status: StatusCode,
) -> Result<Response, WebError> {
    let t = Catalog::current();
    let (guest, e) = (&g.guest, &g.event);
    let live = super::live_links(state, e.tenant_id, e.id, &format!("/g/{}", e.id)).await?;
    let photos = guests::own_photos(&state.services, &g.ctx, e.id).await?;
    let count = photos
        .iter()
        .filter(|p| p.status != domain::PhotoStatus::Failed)
        .count() as i64;
    let now = g.ctx.now;
    let check = guests::may_upload(e, guest, count, now);
    let max_mb = u64::from(e.settings.max_file_mb).min(state.services.uploads.max_bytes >> 20);
    let tiles = photos
        .iter()
        .map(|p| {
            let secret = &state.services.secret;
            let small = p.renditions.iter().min_by_key(|r| r.max_edge);
            OwnTile {
                id: p.id.to_string(),
                status: p.status.as_str(),
                status_label: t
                    .get(&format!("guest.status.{}", p.status.as_str()))
                    .to_owned(),
                thumb: crate::views::thumb_url(secret, p, now),
                srcset: crate::views::srcset(secret, p, now),
                large: p
                    .renditions
                    .iter()
                    .max_by_key(|r| r.max_edge)
                    .map(|r| service::media_urls::signed_path(secret, &r.key, now))
                    .unwrap_or_default(),
                width: small.map_or(150, |r| r.width),
                height: small.map_or(150, |r| r.height),
                placeholder: crate::views::placeholder_url(p),
                failure: p
                    .failure
                    .as_deref()
                    .map(|c| t.photo_failure(c))
                    .unwrap_or_default(),
                caption: p.caption.clone().unwrap_or_default(),
                on_wall: p.on_wall_at.is_some(),
            }
        })
        .collect();
    let page = GuestPage {
        layout: Layout::for_guest(nonce)
            .with_brand(e.tenant_id)
            .with_live(live),
        cover: cover_url(state, g).await,
        event_id: e.id.to_string(),
        name: e.name.clone(),
        when: when(e),
        guest_name: guest.name.clone(),
        can_upload: check.is_ok(),
        refusal: check
            .err()
            .map(|r| refusal_message(t, &r, e))
            .unwrap_or_default(),
        csrf: form_token.0.clone(),
        max_mb,
        count,
        max_photos: e.settings.max_photos_per_guest,
        tiles,
        notice,
        error,
        messages: crate::views::uploader_messages(t, max_mb),
        can_caption: service::captions::may_caption(e, guest).is_ok(),
        caption_reviewed: e.settings.moderation == domain::Moderation::Approve,
        max_caption: domain::Caption::MAX_LEN,
        draws: service::draws::guest_draws(&state.services, &g.ctx, e.id).await?,
    };
    Ok((status, render(page)?).into_response())
}

fn guest_photo_json(state: &AppState, p: &Photo) -> serde_json::Value {
    let now = state.services.now();
    let url = |key: &str| service::media_urls::signed_path(&state.services.secret, key, now);
    json!({
        "id": p.id,
        "status": p.status.as_str(),
        "failure": p.failure,
        "failure_message": p.failure.as_deref().map(|c| Catalog::current().photo_failure(c)),
        "caption": p.caption,
        "renditions": p.renditions.iter().map(|r| json!({
            "max_edge": r.max_edge, "width": r.width, "height": r.height, "url": url(&r.key),
        })).collect::<Vec<_>>(),
    })
}

/// `POST /g/{event}/photos`: one photo as the body (the page's script; JSON answers), or the
/// plain form (multipart, token first; a page answers).
pub async fn upload(
    State(state): State<AppState>,
    Extension(nonce): Extension<CspNonce>,
    Extension(form_token): Extension<FormToken>,
    ip: ClientIp,
    g: CurrentGuest,
    headers: HeaderMap,
    req: Request,
) -> Result<Response, WebError> {
    let t = Catalog::current();
    let (guest, e) = (&g.guest, &g.event);
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    let limited = async {
        enforce_limit(
            &state,
            limits::GUEST_UPLOAD_PER_GUEST,
            &guest.id.to_string(),
        )
        .await?;
        enforce_limit(&state, limits::GUEST_UPLOAD_PER_IP, &ip.key()).await
    };
    if !is_form {
        if let Err(err) = limited.await {
            return Ok(json_error(err));
        }
        let caption = match crate::pages::captions::caption_from_metadata(&headers) {
            Ok(c) => c,
            Err(err) => return Ok(json_error(err)),
        };
        let body = req.into_body().into_data_stream();
        return Ok(
            match guests::upload(&state.services, &g.ctx, e, guest, caption, body).await {
                Ok(a) => {
                    let status = match a {
                        Accepted::Created(_) => StatusCode::CREATED,
                        Accepted::Existing(_) => StatusCode::OK,
                    };
                    (status, axum::Json(guest_photo_json(&state, a.photo()))).into_response()
                }
                Err(GuestUploadError::Refused(r)) => json_error(refusal_error(t, &r, e)),
                Err(GuestUploadError::Upload(u)) => json_error(u.into()),
            },
        );
    }
    limited.await?;
    let mut form = Multipart::from_request(req, &state)
        .await
        .map_err(|_| WebError::BadRequest(t.get("upload.bad_form").to_owned()))?;
    let bad_form = || WebError::BadRequest(t.get("upload.bad_form").to_owned());
    let token = match form.next_field().await.map_err(|_| bad_form())? {
        Some(f) if f.name() == Some("csrf_token") => f.text().await.map_err(|_| bad_form())?,
        _ => String::new(),
    };
    check_token(&form_token.0, &token)?;
    let mut received = 0u32;
    // The caption field comes before the files in the form, so it is known when they arrive;
    // it goes with every photo of this submission.
    let mut caption = None;
    while let Some(field) = form.next_field().await.map_err(|_| bad_form())? {
        if field.name() == Some("caption") && field.file_name().is_none() {
            let raw = field.text().await.map_err(|_| bad_form())?;
            match crate::pages::captions::caption_field(t, &raw) {
                Ok(c) => caption = c,
                Err(text) => {
                    return guest_page(
                        &state,
                        nonce,
                        &form_token,
                        &g,
                        String::new(),
                        text,
                        StatusCode::UNPROCESSABLE_ENTITY,
                    )
                    .await;
                }
            }
            continue;
        }
        if field.name() != Some("photos") || field.file_name().is_none_or(str::is_empty) {
            continue;
        }
        let failed =
            match guests::upload(&state.services, &g.ctx, e, guest, caption.clone(), field).await {
                Ok(_) => {
                    received += 1;
                    continue;
                }
                Err(GuestUploadError::Refused(r)) => refusal_error(t, &r, e),
                Err(GuestUploadError::Upload(u)) => u.into(),
            };
        let WebError::Rejected {
            status, message, ..
        } = failed
        else {
            return Err(failed);
        };
        let mut text = message;
        if received > 0 {
            text = format!(
                "{} {text}",
                t.get("guest.uploaded")
                    .replace("{n}", &received.to_string())
            );
        }
        return guest_page(&state, nonce, &form_token, &g, String::new(), text, status).await;
    }
    if received == 0 {
        return guest_page(
            &state,
            nonce,
            &form_token,
            &g,
            String::new(),
            t.get("upload.none_chosen").to_owned(),
            StatusCode::BAD_REQUEST,
        )
        .await;
    }
    Ok(Redirect::to(&format!("/g/{}?uploaded={received}", e.id)).into_response())
}

/// `GET /g/{event}/photos/{id}`: one of the guest's own photos, for the page to poll.
pub async fn photo_status(
    State(state): State<AppState>,
    g: CurrentGuest,
    Path((_, id)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let id = parse_photo(&id)?;
    let photo = service::photos::own_photo_of(&state.services, &g.ctx, &g.event, id).await?;
    Ok(axum::Json(guest_photo_json(&state, &photo)).into_response())
}

fn parse_photo(id: &str) -> Result<domain::PhotoId, WebError> {
    id.parse().map_err(|_| WebError::NotFound)
}

/// One photo in the guests' gallery.
#[derive(Debug)]
pub struct GalleryTile {
    pub id: String,
    pub thumb: String,
    pub srcset: String,
    pub large: String,
    pub width: u32,
    pub height: u32,
    pub uploader: String,
    pub when: String,
    pub reactions: Vec<ReactionButton>,
    /// Camera and when it was taken, for the lightbox.
    pub details: String,
    pub download: String,
    pub placeholder: String,
    /// The reactions for the lightbox's buttons: `kind:count:mine` (1 or 0), space-separated.
    pub reaction_data: String,
    /// Every rendition for the photo's own page (`sizes="100vw"`).
    pub srcset_all: String,
    /// Its caption, or "".
    pub caption: String,
}

/// A gallery photo's tile (and the photo's own page) for the acting guest.
fn gallery_tile(
    state: &AppState,
    t: &Catalog,
    e: &Event,
    ph: &Photo,
    summary: &service::records::ReactionSummary,
    now: chrono::DateTime<chrono::Utc>,
) -> GalleryTile {
    let secret = &state.services.secret;
    let url = |key: &str| service::media_urls::signed_path(secret, key, now);
    let small = ph.renditions.iter().min_by_key(|r| r.max_edge);
    let reactions = reaction_buttons(t, summary, ph.id);
    // Only the kinds someone used: the script reads a missing kind as none, not pressed.
    let reaction_data = reactions
        .iter()
        .filter(|r| r.count > 0 || r.mine)
        .map(|r| format!("{}:{}:{}", r.kind, r.count, u8::from(r.mine)))
        .collect::<Vec<_>>()
        .join(" ");
    GalleryTile {
        id: ph.id.to_string(),
        thumb: small.map(|r| url(&r.key)).unwrap_or_default(),
        srcset: ph
            .renditions
            .iter()
            .filter(|r| r.max_edge <= 800)
            .map(|r| format!("{} {}w", url(&r.key), r.width))
            .collect::<Vec<_>>()
            .join(", "),
        // The photo's own page fills this in; the gallery's tiles do not use it.
        srcset_all: String::new(),
        large: ph
            .renditions
            .iter()
            .max_by_key(|r| r.max_edge)
            .map(|r| url(&r.key))
            .unwrap_or_default(),
        width: small.map_or(150, |r| r.width),
        height: small.map_or(150, |r| r.height),
        uploader: if ph.uploader_name.is_empty() {
            t.get("guest.anonymous").to_owned()
        } else {
            ph.uploader_name.clone()
        },
        when: t.date("time", &ph.created_at.with_timezone(&e.time_zone.0)),
        reactions,
        reaction_data,
        details: photo_details(t, ph),
        caption: ph.caption.clone().unwrap_or_default(),
        placeholder: crate::views::placeholder_url(ph),
        download: if e.settings.guest_downloads {
            format!("/g/{}/photos/{}/download", e.id, ph.id)
        } else {
            String::new()
        },
    }
}

#[derive(Template)]
#[template(path = "guest_gallery.html")]
struct GalleryPage {
    layout: Layout,
    csrf: String,
    event_id: String,
    name: String,
    tiles: Vec<GalleryTile>,
    next_href: String,
    downloads: bool,
    own_only: bool,
    notice: String,
    uploaders: Vec<String>,
    who: String,
    day: String,
    reacted: bool,
    sort: &'static str,
    filtered: bool,
    zip_href: String,
    /// The lightbox's reaction buttons (the script fills in counts per photo).
    choices: Vec<ReactionButton>,
}

#[derive(Debug, Default, Deserialize)]
pub struct GalleryParams {
    #[serde(default)]
    before: String,
    reported: Option<u32>,
    /// Filters: uploader name, a day (local to the event), with reactions only; the order.
    #[serde(default)]
    who: String,
    #[serde(default)]
    day: String,
    #[serde(default)]
    reacted: String,
    #[serde(default)]
    sort: String,
}

impl GalleryParams {
    fn query(&self, e: &Event) -> GalleryQuery {
        use chrono::TimeZone;
        let uploaded = chrono::NaiveDate::parse_from_str(self.day.trim(), "%Y-%m-%d")
            .ok()
            .and_then(|d| {
                let start = e
                    .time_zone
                    .0
                    .from_local_datetime(&d.and_hms_opt(0, 0, 0)?)
                    .earliest()?;
                let next = d.succ_opt()?;
                let end = e
                    .time_zone
                    .0
                    .from_local_datetime(&next.and_hms_opt(0, 0, 0)?)
                    .earliest()?;
                Some((
                    domain::time::clamp_to_range(start.with_timezone(&chrono::Utc)),
                    domain::time::clamp_to_range(end.with_timezone(&chrono::Utc)),
                ))
            });
        GalleryQuery {
            uploader: Some(self.who.trim().to_owned()).filter(|w| !w.is_empty()),
            uploaded,
            with_reactions: !self.reacted.is_empty(),
            sort: GallerySort::parse(&self.sort).unwrap_or_default(),
            after: decode_gallery_cursor(&self.before),
            limit: 48,
        }
    }

    /// This page's filters as a query string, with `before` set to `after`.
    fn href(&self, event: EventId, after: &str) -> String {
        let pairs = [
            ("who", self.who.as_str()),
            ("day", self.day.as_str()),
            ("reacted", self.reacted.as_str()),
            ("sort", self.sort.as_str()),
            ("before", after),
        ];
        let kept: Vec<(&str, &str)> = pairs.into_iter().filter(|(_, v)| !v.is_empty()).collect();
        format!(
            "/g/{event}/gallery?{}",
            serde_urlencoded::to_string(kept).unwrap_or_default()
        )
    }
}

fn encode_gallery_cursor(p: &Photo) -> String {
    format!(
        "{}_{}_{}",
        p.reaction_count,
        p.created_at.timestamp_micros(),
        p.id
    )
}

fn decode_gallery_cursor(s: &str) -> Option<GalleryCursor> {
    let mut parts = s.splitn(3, '_');
    Some(GalleryCursor {
        reactions: parts.next()?.parse().ok()?,
        created_at: domain::time::clamp_to_range(chrono::DateTime::from_timestamp_micros(
            parts.next()?.parse().ok()?,
        )?),
        id: parts.next()?.parse().ok()?,
    })
}

/// `GET /g/{event}/gallery`: everyone's published photos (when the event shows them to
/// guests), newest first, a page at a time (keyset: as fast on page 200 as on page 1).
pub async fn gallery(
    State(state): State<AppState>,
    Extension(nonce): Extension<CspNonce>,
    Extension(form_token): Extension<FormToken>,
    g: CurrentGuest,
    crate::extract::Query(p): crate::extract::Query<GalleryParams>,
) -> Result<Response, WebError> {
    let t = Catalog::current();
    let e = &g.event;
    let live = super::live_links(&state, e.tenant_id, e.id, &format!("/g/{}", e.id)).await?;
    let own_only = e.settings.guest_visibility == domain::GuestVisibility::Own;
    let service::gallery::GalleryView {
        photos,
        more,
        uploaders,
        reactions: summary,
    } = service::gallery::guest_gallery(&state.services, &g.ctx, e, &p.query(e)).await?;
    let now = g.ctx.now;
    let tiles = photos
        .iter()
        .map(|ph| gallery_tile(&state, t, e, ph, &summary, now))
        .collect();
    let next_href = match (more, photos.last()) {
        (true, Some(last)) => p.href(e.id, &encode_gallery_cursor(last)),
        _ => String::new(),
    };
    let filtered = !p.who.is_empty() || !p.day.is_empty() || !p.reacted.is_empty();
    let zip_href = {
        let pairs = [
            ("who", p.who.as_str()),
            ("day", p.day.as_str()),
            ("reacted", p.reacted.as_str()),
        ];
        let kept: Vec<(&str, &str)> = pairs.into_iter().filter(|(_, v)| !v.is_empty()).collect();
        let qs = serde_urlencoded::to_string(kept).unwrap_or_default();
        if qs.is_empty() {
            format!("/g/{}/download.zip", e.id)
        } else {
            format!("/g/{}/download.zip?{qs}", e.id)
        }
    };
    let page = GalleryPage {
        layout: Layout::for_guest(nonce)
            .with_brand(e.tenant_id)
            .with_live(live),
        csrf: form_token.0.clone(),
        event_id: e.id.to_string(),
        name: e.name.clone(),
        tiles,
        next_href,
        downloads: e.settings.guest_downloads,
        own_only,
        notice: if p.reported.is_some() {
            t.get("guest.reported").to_owned()
        } else {
            String::new()
        },
        uploaders,
        who: p.who.clone(),
        day: p.day.clone(),
        reacted: !p.reacted.is_empty(),
        sort: GallerySort::parse(&p.sort).unwrap_or_default().as_str(),
        filtered,
        zip_href,
        choices: crate::views::reaction_choices(t),
    };
    Ok(render(page)?.into_response())
}

/// `GET /g/{event}/photos/{id}/download`: a published photo (or the guest's own) as its
/// 1920 px rendition, when the event allows guest downloads. Never the original: it may carry
/// the uploader's location.
pub async fn download(
    State(state): State<AppState>,
    g: CurrentGuest,
    Path((_, id)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let t = Catalog::current();
    let e = &g.event;
    if !e.settings.guest_downloads {
        return Err(WebError::Rejected {
            status: StatusCode::FORBIDDEN,
            code: "downloads_off",
            message: t.get("guest.downloads_off").to_owned(),
        });
    }
    let (photo, _) =
        service::photos::photo_of(&state.services, &g.ctx, e, parse_photo(&id)?).await?;
    let rendition = photo
        .renditions
        .iter()
        .max_by_key(|r| r.max_edge)
        .ok_or(WebError::NotFound)?;
    let file = download_name(e, &photo);
    let blobs = &state.services.blobs;
    if let Some(url) = blobs
        .presigned_get(&rendition.key, std::time::Duration::from_secs(600))
        .await
        .map_err(|e| WebError::internal(e.to_string()))?
    {
        return Ok(Redirect::temporary(&url).into_response());
    }
    let (size, stream) = blobs
        .get_stream(&rendition.key)
        .await
        .map_err(|e| WebError::internal(e.to_string()))?;
    let mut res = axum::body::Body::from_stream(stream).into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("image/webp"));
    if let Ok(v) = HeaderValue::from_str(&size.to_string()) {
        h.insert(header::CONTENT_LENGTH, v);
    }
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{file}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=3600"),
    );
    Ok(res)
}

/// `anna-ben-lena-01a2b3c4.webp`: the event, who took it, and enough of the id to be unique;
/// only characters that are safe in every file system and header.
pub fn download_name(e: &Event, p: &Photo) -> String {
    let who = domain::EventSlug::suggest(if p.uploader_name.is_empty() {
        "guest"
    } else {
        &p.uploader_name
    });
    let id = p.id.as_uuid().simple().to_string();
    format!(
        "{}-{}-{}.webp",
        e.slug.as_str(),
        who.as_str(),
        &id[id.len() - 8..]
    )
}

/// `POST /g/{event}/photos/{id}/react`: toggles a reaction. JSON for the page's script
/// (`Accept: application/json`), else back to the photo's own page (where the buttons are
/// without the script).
pub async fn react(
    State(state): State<AppState>,
    g: CurrentGuest,
    headers: HeaderMap,
    Path((_, id)): Path<(String, String)>,
    CsrfForm(form): CsrfForm<ReactForm>,
) -> Result<Response, WebError> {
    enforce_limit(
        &state,
        limits::GUEST_REACT_PER_GUEST,
        &g.guest.id.to_string(),
    )
    .await?;
    let photo = parse_photo(&id)?;
    let toggled =
        service::reactions::toggle(&state.services, &g.ctx, &g.event, photo, &form.kind).await?;
    let back = format!("/g/{}/photos/{photo}/view", g.event.id);
    Ok(reaction_reply(&headers, &form.kind, toggled, &back))
}

#[derive(Template)]
#[template(path = "guest_report.html")]
struct ReportPage {
    layout: Layout,
    csrf: String,
    event_id: String,
    photo_id: String,
    thumb: String,
}

/// `GET /g/{event}/photos/{id}/report`: why is this photo a problem?
pub async fn report_form(
    State(state): State<AppState>,
    Extension(nonce): Extension<CspNonce>,
    Extension(form_token): Extension<FormToken>,
    g: CurrentGuest,
    Path((_, id)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let p = service::photos::gallery_photo_of(&state.services, &g.ctx, &g.event, parse_photo(&id)?)
        .await?;
    let thumb = crate::views::thumb_url(&state.services.secret, &p, g.ctx.now);
    Ok(render(ReportPage {
        layout: Layout::for_guest(nonce).with_brand(g.event.tenant_id),
        csrf: form_token.0.clone(),
        event_id: g.event.id.to_string(),
        photo_id: p.id.to_string(),
        thumb,
    })?
    .into_response())
}

#[derive(Debug, Default, Deserialize)]
pub struct ReportForm {
    #[serde(default)]
    reason: String,
}

/// `POST /g/{event}/photos/{id}/report`.
pub async fn report(
    State(state): State<AppState>,
    g: CurrentGuest,
    Path((_, id)): Path<(String, String)>,
    CsrfForm(form): CsrfForm<ReportForm>,
) -> Result<Response, WebError> {
    enforce_limit(
        &state,
        limits::GUEST_REACT_PER_GUEST,
        &g.guest.id.to_string(),
    )
    .await?;
    let photo = parse_photo(&id)?;
    if domain::values::check_chars(&form.reason, true).is_err() {
        return Err(WebError::Rejected {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: "invalid",
            message: Catalog::current().get("form.control_chars").to_owned(),
        });
    }
    service::moderation::report(&state.services, &g.ctx, &g.event, photo, &form.reason).await?;
    Ok(Redirect::to(&format!("/g/{}/gallery?reported=1", g.event.id)).into_response())
}

/// "Apple iPhone 13 Pro · taken Sat 20 Jun, 14:03": what the camera said, for the lightbox.
pub fn photo_details(t: &Catalog, p: &Photo) -> String {
    let mut parts = Vec::new();
    let camera = match (&p.camera_make, &p.camera_model) {
        (Some(make), Some(model)) if model.starts_with(make.as_str()) => model.clone(),
        (Some(make), Some(model)) => format!("{make} {model}"),
        (None, Some(model)) => model.clone(),
        (Some(make), None) => make.clone(),
        (None, None) => String::new(),
    };
    if !camera.is_empty() {
        parts.push(camera);
    }
    if let Some(taken) = p
        .taken_at_local
        .as_deref()
        .and_then(|s| chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S").ok())
    {
        parts.push(
            t.get("guest.taken")
                .replace("{at}", &t.naive_date("day_time", &taken)),
        );
    }
    parts.join(" · ")
}

/// `GET /g/{event}/download.zip`: the gallery as the guest sees it (everyone's published
/// photos, or their own in a drop box), as 1920 px renditions, streamed. Only where the event
/// allows downloads.
pub async fn download_zip(
    State(state): State<AppState>,
    g: CurrentGuest,
    crate::extract::Query(p): crate::extract::Query<GalleryParams>,
) -> Result<Response, WebError> {
    let t = Catalog::current();
    let e = &g.event;
    if !e.settings.guest_downloads {
        return Err(WebError::Rejected {
            status: StatusCode::FORBIDDEN,
            code: "downloads_off",
            message: t.get("guest.downloads_off").to_owned(),
        });
    }
    // The gallery's filters apply: "download what I am looking at".
    let photos = service::gallery::guest_archive(&state.services, &g.ctx, e, p.query(e)).await?;
    let items = photos
        .iter()
        .filter_map(|p| {
            let r = p.renditions.iter().max_by_key(|r| r.max_edge)?;
            Some(crate::pages::zip::ZipItem {
                key: r.key.clone(),
                path: crate::pages::zip::zip_path(t, e, p, "webp"),
            })
        })
        .collect();
    Ok(crate::pages::zip::zip_response(
        state.services.blobs.clone(),
        items,
        &format!("{}.zip", e.slug.as_str()),
    ))
}

fn header_u64(headers: &HeaderMap, name: &str) -> Option<u64> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
}

fn resumable_error(t: &Catalog, e: &Event, err: service::resumable::ResumeError) -> Response {
    match err {
        service::resumable::ResumeError::Conflict(at) => {
            let mut res = json_error(WebError::Rejected {
                status: StatusCode::CONFLICT,
                code: "offset_mismatch",
                message: t
                    .get("guest.resume_offset")
                    .replace("{at}", &at.to_string()),
            });
            if let Ok(v) = HeaderValue::from_str(&at.to_string()) {
                res.headers_mut().insert("upload-offset", v);
            }
            res
        }
        service::resumable::ResumeError::Upload(GuestUploadError::Refused(r)) => {
            json_error(refusal_error(t, &r, e))
        }
        service::resumable::ResumeError::Upload(GuestUploadError::Upload(u)) => {
            json_error(u.into())
        }
    }
}

/// `POST /g/{event}/uploads` with `Upload-Length`: starts a resumable upload. 201 with its
/// `Location` and `Upload-Offset: 0`.
pub async fn resumable_create(
    State(state): State<AppState>,
    ip: ClientIp,
    g: CurrentGuest,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let t = Catalog::current();
    let (guest, e) = (&g.guest, &g.event);
    let limited = async {
        enforce_limit(
            &state,
            limits::GUEST_UPLOAD_PER_GUEST,
            &guest.id.to_string(),
        )
        .await?;
        enforce_limit(&state, limits::GUEST_UPLOAD_PER_IP, &ip.key()).await
    };
    if let Err(err) = limited.await {
        return Ok(json_error(err));
    }
    let Some(length) = header_u64(&headers, "upload-length") else {
        return Ok(json_error(WebError::Rejected {
            status: StatusCode::BAD_REQUEST,
            code: "bad_request",
            message: t.get("guest.resume_length").to_owned(),
        }));
    };
    let caption = match crate::pages::captions::caption_from_metadata(&headers) {
        Ok(c) => c,
        Err(err) => return Ok(json_error(err)),
    };
    match service::resumable::create(&state.services, &g.ctx, e, guest, length, caption).await {
        Ok(s) => {
            let mut res = (
                StatusCode::CREATED,
                axum::Json(json!({ "offset": 0, "length": s.length })),
            )
                .into_response();
            let h = res.headers_mut();
            if let Ok(v) = HeaderValue::from_str(&format!("/g/{}/uploads/{}", e.id, s.id)) {
                h.insert(header::LOCATION, v);
            }
            h.insert("upload-offset", HeaderValue::from_static("0"));
            Ok(res)
        }
        Err(GuestUploadError::Refused(r)) => Ok(json_error(refusal_error(t, &r, e))),
        Err(GuestUploadError::Upload(u)) => Ok(json_error(u.into())),
    }
}

/// `GET` or `HEAD /g/{event}/uploads/{id}`: where the upload stands (`Upload-Offset`).
pub async fn resumable_status(
    State(state): State<AppState>,
    g: CurrentGuest,
    Path((_, id)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let (session, offset) = service::resumable::find(&state.services, &g.ctx, &id, g.event.id)
        .await
        .ok_or(WebError::NotFound)?;
    let mut res = axum::Json(json!({ "offset": offset, "length": session.length })).into_response();
    let h = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&offset.to_string()) {
        h.insert("upload-offset", v);
    }
    if let Ok(v) = HeaderValue::from_str(&session.length.to_string()) {
        h.insert("upload-length", v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(res)
}

/// `PATCH /g/{event}/uploads/{id}` with `Upload-Offset` and the next bytes as the body. 204
/// with the new `Upload-Offset` while bytes are missing; 201 (or 200 for a photo already
/// there) with the photo after the last one.
pub async fn resumable_append(
    State(state): State<AppState>,
    g: CurrentGuest,
    headers: HeaderMap,
    Path((_, id)): Path<(String, String)>,
    req: Request,
) -> Result<Response, WebError> {
    let t = Catalog::current();
    let (guest, e) = (&g.guest, &g.event);
    let (session, _) = service::resumable::find(&state.services, &g.ctx, &id, e.id)
        .await
        .ok_or(WebError::NotFound)?;
    let Some(offset) = header_u64(&headers, "upload-offset") else {
        return Ok(json_error(WebError::Rejected {
            status: StatusCode::BAD_REQUEST,
            code: "bad_request",
            message: t.get("guest.resume_offset_missing").to_owned(),
        }));
    };
    let body = req.into_body().into_data_stream();
    match service::resumable::append(&state.services, &g.ctx, e, guest, &session, offset, body)
        .await
    {
        Ok((at, None)) => {
            let mut res = StatusCode::NO_CONTENT.into_response();
            if let Ok(v) = HeaderValue::from_str(&at.to_string()) {
                res.headers_mut().insert("upload-offset", v);
            }
            Ok(res)
        }
        Ok((_, Some(accepted))) => {
            let status = match accepted {
                Accepted::Created(_) => StatusCode::CREATED,
                Accepted::Existing(_) => StatusCode::OK,
            };
            Ok((
                status,
                axum::Json(guest_photo_json(&state, accepted.photo())),
            )
                .into_response())
        }
        Err(err) => Ok(resumable_error(t, e, err)),
    }
}

#[derive(Template)]
#[template(path = "guest_photo.html")]
struct GuestPhotoPage {
    layout: Layout,
    csrf: String,
    event_id: String,
    name: String,
    p: GalleryTile,
}

/// `GET /g/{event}/photos/{id}/view`: one gallery photo on its own page, with its reactions,
/// download and report. The gallery's tiles link here, so every tile works without the
/// script; with it, the lightbox opens instead and shows the same actions.
pub async fn photo_page(
    State(state): State<AppState>,
    Extension(nonce): Extension<CspNonce>,
    Extension(form_token): Extension<FormToken>,
    g: CurrentGuest,
    Path((_, id)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let t = Catalog::current();
    let e = &g.event;
    let (photo, summary) =
        service::gallery::guest_photo(&state.services, &g.ctx, e, parse_photo(&id)?).await?;
    Ok(render(GuestPhotoPage {
        layout: Layout::for_guest(nonce).with_brand(e.tenant_id),
        csrf: form_token.0.clone(),
        event_id: e.id.to_string(),
        name: e.name.clone(),
        p: GalleryTile {
            srcset_all: crate::views::srcset(&state.services.secret, &photo, g.ctx.now),
            ..gallery_tile(&state, t, e, &photo, &summary, g.ctx.now)
        },
    })?
    .into_response())
}

/// `POST /g/{event}/photos/{id}/view`: the guest opened the photo (counted once per guest).
pub async fn view(
    State(state): State<AppState>,
    g: CurrentGuest,
    Path((_, id)): Path<(String, String)>,
    CsrfForm(_): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    enforce_limit(
        &state,
        limits::GUEST_REACT_PER_GUEST,
        &g.guest.id.to_string(),
    )
    .await?;
    service::gallery::record_view(&state.services, &g.ctx, &g.event, parse_photo(&id)?).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Template)]
#[template(path = "guest_delete.html")]
struct GuestDeletePage {
    layout: Layout,
    csrf: String,
    event_id: String,
    photo_id: String,
    thumb: String,
}

/// `GET /g/{event}/photos/{id}/delete`: "delete your photo?" (own photos only).
pub async fn confirm_delete_own(
    State(state): State<AppState>,
    Extension(nonce): Extension<CspNonce>,
    Extension(form_token): Extension<FormToken>,
    g: CurrentGuest,
    Path((_, id)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let p =
        service::photos::own_photo_of(&state.services, &g.ctx, &g.event, parse_photo(&id)?).await?;
    Ok(render(GuestDeletePage {
        layout: Layout::for_guest(nonce).with_brand(g.event.tenant_id),
        csrf: form_token.0.clone(),
        event_id: g.event.id.to_string(),
        photo_id: p.id.to_string(),
        thumb: crate::views::thumb_url(&state.services.secret, &p, g.ctx.now),
    })?
    .into_response())
}

/// `POST /g/{event}/photos/{id}/delete`: the guest deletes their own photo, files included.
pub async fn delete_own(
    State(state): State<AppState>,
    g: CurrentGuest,
    Path((_, id)): Path<(String, String)>,
    CsrfForm(_): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let photo = parse_photo(&id)?;
    service::moderation::delete_own_photo(&state.services, &g.ctx, g.event.id, photo).await?;
    Ok(Redirect::to(&format!("/g/{}?deleted=1", g.event.id)).into_response())
}

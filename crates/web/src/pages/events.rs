//! A host's events: the list, the create and edit forms, the event dashboard, status changes,
//! the join link with its QR code, and the printable poster.

use askama::Template;
use axum::Extension;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::{DateTime, Utc};
use domain::{EventId, EventStatus, EventZone};
use serde::Deserialize;
use service::events::{self, EventError, EventFieldProblem, EventInput};
use service::records::Event;

use crate::auth::{CsrfForm, CurrentMember};
use crate::extract::{Path, Query};
use crate::i18n::Catalog;
use crate::links::base_url;
use crate::messages::event_field_message;
use crate::pages::Layout;
use crate::params::{ListParams, encode_cursor, list_query, parse_id};
use crate::security::CspNonce;
use crate::{AppState, WebError};

fn render(t: impl Template) -> Result<Html<String>, WebError> {
    Ok(Html(t.render().map_err(WebError::internal)?))
}

/// When and where, as a host reads it: "Sat 20 Jun 2026, 14:00 – 02:00 (Europe/Berlin)".
pub fn when(e: &Event) -> String {
    let z = e.time_zone.0;
    let s = e.starts_at.with_timezone(&z);
    let en = e.ends_at.with_timezone(&z);
    let t = Catalog::current();
    let end = if s.date_naive() == en.date_naive() || en - s < chrono::Duration::hours(24) {
        t.date("time", &en)
    } else {
        t.date("full", &en)
    };
    format!("{} – {} ({})", t.date("full", &s), end, e.time_zone.name())
}

fn status_label(t: &Catalog, s: EventStatus) -> String {
    t.get(&format!("events.status.{}", s.as_str())).to_owned()
}

// ---------------------------------------------------------------- the list

/// One row of the list.
#[derive(Debug)]
pub struct EventRow {
    pub id: String,
    pub name: String,
    pub venue: String,
    pub when: String,
    pub status: &'static str,
    pub status_label: String,
}

pub fn row(t: &Catalog, e: &Event) -> EventRow {
    EventRow {
        id: e.id.to_string(),
        name: e.name.clone(),
        venue: e.venue.clone(),
        when: when(e),
        status: e.status.as_str(),
        status_label: status_label(t, e.status),
    }
}

#[derive(Template)]
#[template(path = "events_list.html")]
struct EventListPage {
    layout: Layout,
    q: String,
    status: String,
    status_options: Vec<(&'static str, String)>,
    from: String,
    to: String,
    sort: String,
    events: Vec<EventRow>,
    next_href: String,
    first_href: String,
    total_in_org: i64,
    filtered: bool,
}

fn list_href(p: &ListParams, after: &str) -> String {
    let pairs = [
        ("q", p.q.as_str()),
        ("status", p.status.as_str()),
        ("from", p.from.as_str()),
        ("to", p.to.as_str()),
        ("sort", p.sort.as_str()),
        ("after", after),
    ];
    let kept: Vec<(&str, &str)> = pairs.into_iter().filter(|(_, v)| !v.is_empty()).collect();
    let qs = serde_urlencoded::to_string(kept).unwrap_or_default();
    if qs.is_empty() {
        "/app/events".into()
    } else {
        format!("/app/events?{qs}")
    }
}

/// `GET /app/events`.
pub async fn list_events(
    State(state): State<AppState>,
    Extension(nonce): Extension<CspNonce>,
    member: CurrentMember,
    Query(p): Query<ListParams>,
) -> Result<Html<String>, WebError> {
    let t = Catalog::current();
    let q = list_query(&p);
    let events::EventList {
        events,
        more,
        total,
    } = events::list_events(&state.services, &member.ctx, &q).await?;
    let next_href = match (more, events.last()) {
        (true, Some(last)) => list_href(&p, &encode_cursor(last)),
        _ => String::new(),
    };
    let filtered = q.search.is_some()
        || q.status.is_some()
        || q.starts_from.is_some()
        || q.starts_before.is_some();
    render(EventListPage {
        layout: Layout::for_member(nonce, &member, "events"),
        q: p.q.clone(),
        status: q.status.map(|s| s.as_str().to_owned()).unwrap_or_default(),
        status_options: EventStatus::ALL
            .into_iter()
            .map(|s| (s.as_str(), status_label(t, s)))
            .collect(),
        from: p.from.clone(),
        to: p.to.clone(),
        sort: q.sort.as_str().to_owned(),
        events: events.iter().map(|e| row(t, e)).collect(),
        first_href: if p.after.is_empty() {
            String::new()
        } else {
            list_href(&p, "")
        },
        next_href,
        total_in_org: total,
        filtered,
    })
}

// ----------------------------------------------------------- create / edit

/// One field of the event form as shown again.
#[derive(Debug, Default)]
pub struct FormErrors(Vec<(&'static str, String)>);

impl FormErrors {
    /// The message for `field`, or "".
    pub fn of(&self, field: &str) -> &str {
        self.0
            .iter()
            .find(|(f, _)| *f == field)
            .map_or("", |(_, m)| m.as_str())
    }

    pub fn any(&self) -> bool {
        !self.0.is_empty()
    }
}

#[derive(Template)]
#[template(path = "event_form.html")]
struct EventFormPage {
    layout: Layout,
    csrf: String,
    action: String,
    title: String,
    submit: String,
    cancel_href: String,
    f: EventInput,
    errors: FormErrors,
    zones: Vec<&'static str>,
}

/// The event form as posted (checkboxes are absent when off).
#[derive(Debug, Default, Deserialize)]
pub struct EventForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    slug: String,
    #[serde(default)]
    venue: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    time_zone: String,
    #[serde(default)]
    starts_at: String,
    #[serde(default)]
    ends_at: String,
    uploads_enabled: Option<String>,
    #[serde(default)]
    moderation: String,
    #[serde(default)]
    upload_opens_at: String,
    #[serde(default)]
    upload_closes_at: String,
    #[serde(default)]
    max_photos_per_guest: String,
    #[serde(default)]
    max_file_mb: String,
    guest_name_required: Option<String>,
    #[serde(default)]
    guest_visibility: String,
    guest_downloads: Option<String>,
}

impl From<EventForm> for EventInput {
    fn from(f: EventForm) -> Self {
        EventInput {
            name: f.name,
            slug: f.slug,
            venue: f.venue,
            description: f.description,
            time_zone: f.time_zone,
            starts_at: f.starts_at,
            ends_at: f.ends_at,
            uploads_enabled: f.uploads_enabled.is_some(),
            moderation: f.moderation,
            upload_opens_at: f.upload_opens_at,
            upload_closes_at: f.upload_closes_at,
            max_photos_per_guest: f.max_photos_per_guest,
            max_file_mb: f.max_file_mb,
            guest_name_required: f.guest_name_required.is_some(),
            guest_visibility: f.guest_visibility,
            guest_downloads: f.guest_downloads.is_some(),
        }
    }
}

fn form_page(
    nonce: CspNonce,
    member: &CurrentMember,
    editing: Option<&Event>,
    f: EventInput,
    errors: FormErrors,
) -> EventFormPage {
    let t = Catalog::current();
    let (action, title, submit, cancel_href) = match editing {
        Some(e) => (
            format!("/app/events/{}/edit", e.id),
            t.get("events.edit_title").to_owned(),
            t.get("events.save").to_owned(),
            format!("/app/events/{}", e.id),
        ),
        None => (
            "/app/events/new".to_owned(),
            t.get("events.new_title").to_owned(),
            t.get("events.create").to_owned(),
            "/app/events".to_owned(),
        ),
    };
    EventFormPage {
        layout: Layout::for_member(nonce, member, "events"),
        csrf: member.session.csrf_token.clone(),
        action,
        title,
        submit,
        cancel_href,
        f,
        errors,
        zones: EventZone::all().collect(),
    }
}

fn invalid(problems: &[(&'static str, EventFieldProblem)]) -> FormErrors {
    let t = Catalog::current();
    FormErrors(
        problems
            .iter()
            .map(|(f, p)| (*f, event_field_message(t, p)))
            .collect(),
    )
}

#[derive(Debug, Default, Deserialize)]
pub struct NewParams {
    /// The browser's time zone, sent by app.js so the form starts with the host's zone.
    tz: Option<String>,
}

/// `GET /app/events/new`.
pub async fn new_event(
    State(state): State<AppState>,
    Extension(nonce): Extension<CspNonce>,
    member: CurrentMember,
    Query(p): Query<NewParams>,
) -> Result<Html<String>, WebError> {
    let zone =
        p.tz.as_deref()
            .and_then(|z| EventZone::parse(z).ok())
            .unwrap_or(EventZone::UTC);
    // The organization's defaults for new events fill the guest settings.
    let defaults = service::org_settings::event_defaults(&state.services, &member.ctx).await?;
    render(form_page(
        nonce,
        &member,
        None,
        EventInput::suggested(zone, member.ctx.now).with_defaults(&defaults),
        FormErrors::default(),
    ))
}

/// `POST /app/events/new`.
pub async fn create_event(
    State(state): State<AppState>,
    Extension(nonce): Extension<CspNonce>,
    member: CurrentMember,
    CsrfForm(form): CsrfForm<EventForm>,
) -> Result<Response, WebError> {
    let input = EventInput::from(form);
    match events::create_event(&state.services, &member.ctx, &input).await {
        Ok(e) => Ok(Redirect::to(&format!("/app/events/{}?created=1", e.id)).into_response()),
        Err(EventError::Invalid(p)) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            render(form_page(nonce, &member, None, input, invalid(&p)))?,
        )
            .into_response()),
        Err(e) => Err(e.into()),
    }
}

/// `GET /app/events/{id}/edit`.
pub async fn edit_event(
    State(state): State<AppState>,
    Extension(nonce): Extension<CspNonce>,
    member: CurrentMember,
    Path(id): Path<String>,
) -> Result<Html<String>, WebError> {
    let e = events::get_event(&state.services, &member.ctx, parse_id(&id)?).await?;
    let input = EventInput::from_event(&e);
    render(form_page(
        nonce,
        &member,
        Some(&e),
        input,
        FormErrors::default(),
    ))
}

/// `POST /app/events/{id}/edit`.
pub async fn update_event(
    State(state): State<AppState>,
    Extension(nonce): Extension<CspNonce>,
    member: CurrentMember,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<EventForm>,
) -> Result<Response, WebError> {
    let id = parse_id(&id)?;
    let existing = events::get_event(&state.services, &member.ctx, id).await?;
    let input = EventInput::from(form);
    match events::update_event(&state.services, &member.ctx, id, &input).await {
        Ok(e) => Ok(Redirect::to(&format!("/app/events/{}?saved=1", e.id)).into_response()),
        Err(EventError::Invalid(p)) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            render(form_page(
                nonce,
                &member,
                Some(&existing),
                input,
                invalid(&p),
            ))?,
        )
            .into_response()),
        Err(e) => Err(e.into()),
    }
}

// ------------------------------------------------------- the event dashboard

/// A status the host may move the event to, as a button.
#[derive(Debug)]
pub struct StatusAction {
    pub to: &'static str,
    pub label: String,
    /// Asks first (ending, archiving): the button leads to a confirmation page.
    pub confirm: bool,
}

#[derive(Template)]
#[template(path = "event_show.html")]
struct EventPage {
    layout: Layout,
    csrf: String,
    id: String,
    name: String,
    venue: String,
    description: String,
    when: String,
    status: &'static str,
    status_label: String,
    status_help: String,
    actions: Vec<StatusAction>,
    join_url: String,
    public_url_set: bool,
    qr_svg: String,
    png_sizes: Vec<u32>,
    notice: String,
    settings: Vec<(String, String)>,
    stats: EventFigures,
}

/// The dashboard's figures, as shown.
#[derive(Debug, Default)]
pub struct EventFigures {
    pub photos: i64,
    pub contributors: i64,
    pub pending: i64,
    pub processing: i64,
    pub failed: i64,
    pub reactions: i64,
    pub views: i64,
    pub reports: i64,
    /// "1 report", "2 reports" (the moderation link's badge).
    pub reports_label: String,
    /// Guests who joined, and how many of them are blocked (the guests page's link).
    pub guests: i64,
    pub blocked_guests: i64,
    /// "1 blocked" (the guests link's badge).
    pub blocked_label: String,
    pub storage: String,
    pub top: Vec<(String, i64)>,
    pub chart_svg: String,
    pub hours: Vec<(String, i64)>,
}

/// The figures of one event as shown on its page.
pub async fn event_figures(
    state: &AppState,
    ctx: &service::Ctx,
    event: EventId,
) -> Result<EventFigures, WebError> {
    let t = Catalog::current();
    let f = events::event_figures(&state.services, ctx, event).await?;
    let series = crate::pages::chart::hourly_series(&f.hours, 48);
    let chart_svg = if series.is_empty() {
        String::new()
    } else {
        crate::pages::chart::uploads_svg(&series, t.get("events.chart_label"))
    };
    Ok(EventFigures {
        photos: f.stats.photos,
        contributors: f.stats.contributors,
        pending: f.stats.pending_review,
        processing: f.stats.processing,
        failed: f.stats.failed,
        reactions: f.reactions,
        views: f.views,
        reports: f.reports,
        reports_label: t.plural("events.reports", f.reports),
        guests: f.guests.guests,
        blocked_guests: f.guests.blocked,
        blocked_label: t.plural("guests.blocked_count", f.guests.blocked),
        storage: crate::pages::chart::human_bytes(f.stats.storage_bytes),
        top: f.top,
        chart_svg,
        hours: series
            .iter()
            .map(|(at, n)| (t.date("day_time_utc", at), *n))
            .collect(),
    })
}

#[derive(Debug, Default, Deserialize)]
pub struct ShowParams {
    created: Option<String>,
    saved: Option<String>,
    rotated: Option<String>,
    status: Option<String>,
}

fn settings_summary(t: &Catalog, e: &Event) -> Vec<(String, String)> {
    let s = &e.settings;
    let yes_no = |b: bool| t.get(if b { "common.yes" } else { "common.no" }).to_owned();
    let local = |d: Option<DateTime<Utc>>| {
        d.map_or_else(
            || t.get("events.no_limit").to_owned(),
            |d| t.date("full", &d.with_timezone(&e.time_zone.0)),
        )
    };
    vec![
        (
            t.get("events.f.uploads_enabled").to_owned(),
            yes_no(s.uploads_enabled),
        ),
        (
            t.get("events.f.moderation").to_owned(),
            t.get(&format!("events.moderation.{}", s.moderation.as_str()))
                .to_owned(),
        ),
        (
            t.get("events.f.upload_opens_at").to_owned(),
            local(s.upload_opens_at),
        ),
        (
            t.get("events.f.upload_closes_at").to_owned(),
            local(s.upload_closes_at),
        ),
        (
            t.get("events.f.max_photos_per_guest").to_owned(),
            s.max_photos_per_guest.to_string(),
        ),
        (
            t.get("events.f.max_file_mb").to_owned(),
            format!("{} MB", s.max_file_mb),
        ),
        (
            t.get("events.f.guest_name_required").to_owned(),
            yes_no(s.guest_name_required),
        ),
        (
            t.get("events.f.guest_visibility").to_owned(),
            t.get(&format!(
                "events.visibility.{}",
                s.guest_visibility.as_str()
            ))
            .to_owned(),
        ),
        (
            t.get("events.f.guest_downloads").to_owned(),
            yes_no(s.guest_downloads),
        ),
    ]
}

/// `GET /app/events/{id}`.
pub async fn show_event(
    State(state): State<AppState>,
    Extension(nonce): Extension<CspNonce>,
    member: CurrentMember,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(p): Query<ShowParams>,
) -> Result<Html<String>, WebError> {
    let t = Catalog::current();
    let event = parse_id(&id)?;
    let live = super::live_links(
        &state,
        member.ctx.tenant,
        event,
        &format!("/app/events/{event}"),
    )
    .await?;
    let e = events::get_event(&state.services, &member.ctx, event).await?;
    let (base, public_url_set) = base_url(&state, &headers);
    let join_url = events::join_url(&base, &events::join_token(&state.services.secret, &e));
    let qr_svg = media::qr::qr_svg(&join_url).map_err(WebError::internal)?;
    let actions = e
        .status
        .next_options()
        .into_iter()
        .map(|to| StatusAction {
            to: to.as_str(),
            label: t.get(&format!("events.action.{}", to.as_str())).to_owned(),
            confirm: matches!(to, EventStatus::Ended | EventStatus::Archived),
        })
        .collect();
    let notice = if p.created.is_some() {
        t.get("events.created").to_owned()
    } else if p.saved.is_some() {
        t.get("events.saved").to_owned()
    } else if p.rotated.is_some() {
        t.get("events.rotated").to_owned()
    } else if p.status.is_some() {
        t.get("events.status_changed")
            .replace("{status}", &status_label(t, e.status))
    } else {
        String::new()
    };
    render(EventPage {
        layout: Layout::for_member(nonce, &member, "events").with_live(live),
        csrf: member.session.csrf_token.clone(),
        id: e.id.to_string(),
        name: e.name.clone(),
        venue: e.venue.clone(),
        description: e.description.clone(),
        when: when(&e),
        status: e.status.as_str(),
        status_label: status_label(t, e.status),
        status_help: t
            .get(&format!("events.status_help.{}", e.status.as_str()))
            .to_owned(),
        actions,
        join_url,
        public_url_set,
        qr_svg,
        png_sizes: media::qr::qr_png_sizes().to_vec(),
        notice,
        settings: settings_summary(t, &e),
        stats: event_figures(&state, &member.ctx, e.id).await?,
    })
}

// ----------------------------------------------------------- status changes

#[derive(Template)]
#[template(path = "event_confirm.html")]
struct ConfirmPage {
    layout: Layout,
    csrf: String,
    title: String,
    body: String,
    action: String,
    to: String,
    submit: String,
    cancel_href: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct StatusParams {
    #[serde(default)]
    to: String,
}

/// `GET /app/events/{id}/status?to=ended`: "are you sure?" for the changes that need it.
pub async fn confirm_status(
    State(state): State<AppState>,
    Extension(nonce): Extension<CspNonce>,
    member: CurrentMember,
    Path(id): Path<String>,
    Query(p): Query<StatusParams>,
) -> Result<Html<String>, WebError> {
    let t = Catalog::current();
    let e = events::get_event(&state.services, &member.ctx, parse_id(&id)?).await?;
    let to: EventStatus = p.to.parse().map_err(|_| WebError::NotFound)?;
    if !e.status.can_become(to) {
        return Err(EventError::BadTransition { from: e.status, to }.into());
    }
    render(ConfirmPage {
        layout: Layout::for_member(nonce, &member, "events"),
        csrf: member.session.csrf_token.clone(),
        title: t
            .get(&format!("events.confirm.{}.title", to.as_str()))
            .replace("{name}", &e.name),
        body: t
            .get(&format!("events.confirm.{}.body", to.as_str()))
            .to_owned(),
        action: format!("/app/events/{}/status", e.id),
        to: to.as_str().to_owned(),
        submit: t.get(&format!("events.action.{}", to.as_str())).to_owned(),
        cancel_href: format!("/app/events/{}", e.id),
    })
}

#[derive(Debug, Default, Deserialize)]
pub struct StatusForm {
    #[serde(default)]
    to: String,
}

/// `POST /app/events/{id}/status`.
pub async fn change_status(
    State(state): State<AppState>,
    member: CurrentMember,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<StatusForm>,
) -> Result<Response, WebError> {
    let to: EventStatus = form
        .to
        .parse()
        .map_err(|_| WebError::BadRequest(Catalog::current().get("api.bad_status").to_owned()))?;
    let e = events::change_status(&state.services, &member.ctx, parse_id(&id)?, to).await?;
    Ok(Redirect::to(&format!("/app/events/{}?status=1", e.id)).into_response())
}

/// `GET /app/events/{id}/rotate-link`: "the printed posters stop working" confirmation.
pub async fn confirm_rotate(
    State(state): State<AppState>,
    Extension(nonce): Extension<CspNonce>,
    member: CurrentMember,
    Path(id): Path<String>,
) -> Result<Html<String>, WebError> {
    let t = Catalog::current();
    let e = events::get_event(&state.services, &member.ctx, parse_id(&id)?).await?;
    render(ConfirmPage {
        layout: Layout::for_member(nonce, &member, "events"),
        csrf: member.session.csrf_token.clone(),
        title: t.get("events.confirm.rotate.title").to_owned(),
        body: t.get("events.confirm.rotate.body").to_owned(),
        action: format!("/app/events/{}/rotate-link", e.id),
        to: String::new(),
        submit: t.get("events.rotate").to_owned(),
        cancel_href: format!("/app/events/{}", e.id),
    })
}

#[derive(Debug, Default, Deserialize)]
pub struct EmptyForm {}

/// `POST /app/events/{id}/rotate-link`.
pub async fn rotate_link(
    State(state): State<AppState>,
    member: CurrentMember,
    Path(id): Path<String>,
    CsrfForm(_): CsrfForm<EmptyForm>,
) -> Result<Response, WebError> {
    let e = events::rotate_join_link(&state.services, &member.ctx, parse_id(&id)?).await?;
    Ok(Redirect::to(&format!("/app/events/{}?rotated=1", e.id)).into_response())
}

// ------------------------------------------------------------- QR and poster

/// `GET /app/events/{id}/qr.svg` and `/app/events/{id}/qr-{size}.png`.
pub async fn qr_image(
    State(state): State<AppState>,
    member: CurrentMember,
    headers: HeaderMap,
    Path((id, file)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let e = events::get_event(&state.services, &member.ctx, parse_id(&id)?).await?;
    let (base, _) = base_url(&state, &headers);
    let url = events::join_url(&base, &events::join_token(&state.services.secret, &e));
    let (body, content_type, ext) = if file == "qr.svg" {
        (
            media::qr::qr_svg(&url)
                .map_err(WebError::internal)?
                .into_bytes(),
            "image/svg+xml",
            "svg".to_owned(),
        )
    } else {
        let size: u32 = file
            .strip_prefix("qr-")
            .and_then(|f| f.strip_suffix(".png"))
            .and_then(|s| s.parse().ok())
            .filter(|s| media::qr::qr_png_sizes().contains(s))
            .ok_or(WebError::NotFound)?;
        (
            media::qr::qr_png(&url, size).map_err(WebError::internal)?,
            "image/png",
            format!("{size}.png"),
        )
    };
    let mut res = body.into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!(
        "attachment; filename=\"qr-{}-{ext}\"",
        e.slug.as_str()
    )) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(res)
}

#[derive(Template)]
#[template(path = "poster.html")]
struct PosterPage {
    layout: Layout,
    design: &'static str,
    name: String,
    when: String,
    venue: String,
    short_url: String,
    /// The address's length rounded up to a multiple of 10 (20–100): the CSS sizes the typed
    /// address by it so that it fits one line of its card or sign (no inline styles under CSP).
    url_fit: usize,
    qr_svg: String,
    cover_url: String,
    back_href: String,
}

/// The class step for an address of `chars` characters (see `PosterPage::url_fit`).
fn url_fit(chars: usize) -> usize {
    chars.div_ceil(10).clamp(2, 10) * 10
}

#[derive(Debug, Default, Deserialize)]
pub struct PosterParams {
    #[serde(default)]
    design: String,
}

/// `GET /app/events/{id}/poster?design=sign|cards`: a printable A4/A5 sign, or four table
/// cards on a page.
pub async fn poster(
    State(state): State<AppState>,
    Extension(nonce): Extension<CspNonce>,
    member: CurrentMember,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(p): Query<PosterParams>,
) -> Result<Html<String>, WebError> {
    let design = match p.design.as_str() {
        "" | "sign" => "sign",
        "cards" => "cards",
        _ => return Err(WebError::NotFound),
    };
    let (e, cover) = events::poster_of(&state.services, &member.ctx, parse_id(&id)?).await?;
    let (base, _) = base_url(&state, &headers);
    let token = events::join_token(&state.services.secret, &e);
    let join_url = events::join_url(&base, &token);
    let short_host = base
        .split_once("://")
        .map_or(base.as_str(), |(_, h)| h)
        .to_owned();
    let cover_url = cover.map_or_else(String::new, |key| {
        service::media_urls::signed_path(&state.services.secret, &key, member.ctx.now)
    });
    let short_url = format!("{short_host}/j/{}", events::display_token(&token));
    render(PosterPage {
        layout: Layout::for_member(nonce, &member, "events"),
        design,
        url_fit: url_fit(short_url.chars().count()),
        name: e.name.clone(),
        when: when(&e),
        venue: e.venue.clone(),
        qr_svg: media::qr::qr_svg(&join_url).map_err(WebError::internal)?,
        short_url,
        cover_url,
        back_href: format!("/app/events/{}", e.id),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::event::{GuestVisibility, Moderation};

    /// The keys built with `format!` (which the catalogue scan cannot see) exist for every value.
    #[test]
    fn messages_exist_for_every_status_and_choice() {
        let t = Catalog::current();
        let mut keys = Vec::new();
        for s in EventStatus::ALL {
            let s = s.as_str();
            keys.extend([
                format!("events.status.{s}"),
                format!("events.status_help.{s}"),
                format!("join.{s}"),
            ]);
        }
        for to in EventStatus::ALL.iter().flat_map(|s| s.next_options()) {
            keys.push(format!("events.action.{}", to.as_str()));
        }
        for s in [EventStatus::Ended, EventStatus::Archived] {
            let s = s.as_str();
            keys.extend([
                format!("events.confirm.{s}.title"),
                format!("events.confirm.{s}.body"),
            ]);
        }
        for m in [Moderation::Publish, Moderation::Approve] {
            keys.push(format!("events.moderation.{}", m.as_str()));
        }
        for v in [GuestVisibility::Everyone, GuestVisibility::Own] {
            keys.push(format!("events.visibility.{}", v.as_str()));
        }
        for key in keys {
            assert!(t.contains(&key), "missing message {key:?}");
        }
    }

    #[test]
    fn when_shows_local_time_and_the_end_date_only_when_needed() {
        let zone = EventZone::parse("Europe/Berlin").expect("zone");
        let at = |s: &str| {
            DateTime::parse_from_rfc3339(s)
                .expect("time")
                .with_timezone(&Utc)
        };
        let mut e = Event {
            id: EventId::new(),
            tenant_id: domain::TenantId::new(),
            slug: domain::event::EventSlug::parse("anna-ben").expect("slug"),
            name: "Anna & Ben".into(),
            venue: String::new(),
            description: String::new(),
            time_zone: zone,
            starts_at: at("2026-06-20T12:00:00Z"),
            ends_at: at("2026-06-21T00:00:00Z"),
            status: EventStatus::Draft,
            settings: domain::event::EventSettings::default(),
            join_nonce: String::new(),
            created_by: None,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        };
        assert_eq!(when(&e), "Sat 20 Jun 2026, 14:00 – 02:00 (Europe/Berlin)");
        e.ends_at = at("2026-06-22T10:00:00Z");
        assert_eq!(
            when(&e),
            "Sat 20 Jun 2026, 14:00 – Mon 22 Jun 2026, 12:00 (Europe/Berlin)"
        );
    }
}

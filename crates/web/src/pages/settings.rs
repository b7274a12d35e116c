//! The organization's settings page (`/settings`: name, accent colour, logo, defaults of new
//! events; admins and owners; its JSON twin is `api/organization.rs`), and the
//! branding every guest page and wall links: `/o/{org}/brand.css` (the colour as a CSS custom
//! property, so the CSP's "no inline styles" holds) and `/o/{org}/logo.webp`.

use askama::Template;
use axum::Extension;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use domain::TenantId;
use domain::org_settings::LOGO_MAX_BYTES;
use serde::Deserialize;
use service::org_settings::{self, OrgView, SettingsError, SettingsInput, SettingsProblem};
use sha2::{Digest, Sha256};

use crate::auth::{CsrfForm, CurrentMember, check_form_token};
use crate::extract::{Multipart, Path, Query};
use crate::i18n::Catalog;
use crate::pages::{Field, Layout};
use crate::security::CspNonce;
use crate::{AppState, WebError};

/// How long a browser keeps the brand stylesheet before asking again (with its ETag): a new
/// colour reaches guests' pages within this.
const BRAND_CSS_MAX_AGE: &str = "public, max-age=60";

/// The words for a problem with one field.
fn problem_message(t: &Catalog, p: &SettingsProblem) -> String {
    match p {
        SettingsProblem::Parse(e) => {
            crate::messages::field_message(t, &service::accounts::FieldProblem::Parse(e.clone()))
        }
        SettingsProblem::Colour(_) => t.get("settings.bad_colour").to_owned(),
        SettingsProblem::NotANumber => t.get("events.not_a_number").to_owned(),
        SettingsProblem::OutOfRange { min, max } => t
            .get("settings.out_of_range")
            .replace("{min}", &min.to_string())
            .replace("{max}", &max.to_string()),
    }
}

/// A refused change as the person sees it (page or JSON), with its status and stable code.
pub(crate) fn settings_error(e: SettingsError) -> WebError {
    let t = Catalog::current();
    let reject = |status, code, message: String| WebError::Rejected {
        status,
        code,
        message,
    };
    match e {
        SettingsError::Denied => reject(
            StatusCode::FORBIDDEN,
            "not_permitted",
            t.get("settings.denied").to_owned(),
        ),
        SettingsError::Invalid(problems) => WebError::Invalid {
            fields: problems
                .iter()
                .map(|(f, p)| (*f, problem_message(t, p)))
                .collect(),
        },
        SettingsError::LogoTooLarge { max_mb } => reject(
            StatusCode::PAYLOAD_TOO_LARGE,
            "logo_too_large",
            t.get("settings.logo_too_large")
                .replace("{mb}", &max_mb.to_string()),
        ),
        SettingsError::LogoEmpty => reject(
            StatusCode::BAD_REQUEST,
            "logo_missing",
            t.get("settings.logo_missing").to_owned(),
        ),
        SettingsError::LogoUnreadable(m) => {
            let (status, key) = match m {
                media::pipeline::MediaError::Unsupported => (
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "settings.logo_not_image",
                ),
                media::pipeline::MediaError::TooLarge { .. } => (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "settings.logo_too_many_pixels",
                ),
                _ => (StatusCode::UNPROCESSABLE_ENTITY, "settings.logo_unreadable"),
            };
            reject(status, m.code(), t.get(key).to_owned())
        }
        SettingsError::Storage(reason) => {
            tracing::error!(%reason, "the logo could not be stored");
            WebError::Unavailable("storage")
        }
        SettingsError::Store(e) => e.into(),
    }
}

/// Messages by field.
#[derive(Debug, Default)]
pub struct Errors(Vec<(&'static str, String)>);

impl Errors {
    /// The message for `field`, or "".
    pub fn of(&self, field: &str) -> &str {
        self.0
            .iter()
            .find(|(f, _)| *f == field)
            .map_or("", |(_, m)| m.as_str())
    }
}

#[derive(Template)]
#[template(path = "settings.html")]
pub struct SettingsPage {
    layout: Layout,
    csrf: String,
    notice: String,
    error: String,
    name: Field,
    accent: Field,
    moderation: String,
    max_photos_per_guest: String,
    max_file_mb: String,
    guest_name_required: bool,
    guest_visibility: String,
    guest_downloads: bool,
    errors: Errors,
    /// The current logo's address ("" when none).
    logo: String,
    logo_hint: String,
    logo_error: String,
}

impl SettingsPage {
    fn new(nonce: CspNonce, member: &CurrentMember, view: &OrgView) -> Self {
        let t = Catalog::current();
        let s = &view.settings;
        let d = &s.event_defaults;
        Self {
            layout: Layout::for_member(nonce, member, "settings"),
            csrf: member.session.csrf_token.clone(),
            notice: String::new(),
            error: String::new(),
            name: Field::with_value(view.tenant.name.as_str()),
            accent: Field::with_value(s.accent.as_ref().map_or("", |c| c.as_str())),
            moderation: d.moderation.as_str().to_owned(),
            max_photos_per_guest: d.max_photos_per_guest.to_string(),
            max_file_mb: d.max_file_mb.to_string(),
            guest_name_required: d.guest_name_required,
            guest_visibility: d.guest_visibility.as_str().to_owned(),
            guest_downloads: d.guest_downloads,
            errors: Errors::default(),
            logo: s
                .logo_key
                .as_deref()
                .map(|k| org_settings::logo_url("", view.tenant.id, k))
                .unwrap_or_default(),
            logo_hint: t
                .get("settings.h.logo")
                .replace("{mb}", &(LOGO_MAX_BYTES >> 20).to_string()),
            logo_error: String::new(),
        }
    }

    /// The page with the form as it was sent, and its messages.
    fn with_form(mut self, form: &SettingsForm, errors: Errors) -> Self {
        self.name = Field {
            value: form.name.clone(),
            error: errors.of("name").to_owned(),
        };
        self.accent = Field {
            value: form.accent.clone(),
            error: errors.of("accent").to_owned(),
        };
        self.moderation = form.moderation.clone();
        self.max_photos_per_guest = form.max_photos_per_guest.clone();
        self.max_file_mb = form.max_file_mb.clone();
        self.guest_name_required = form.guest_name_required.is_some();
        self.guest_visibility = form.guest_visibility.clone();
        self.guest_downloads = form.guest_downloads.is_some();
        self.error = Catalog::current().get("form.fix_below").to_owned();
        self.errors = errors;
        self
    }
}

fn render(p: SettingsPage) -> Result<Html<String>, WebError> {
    Ok(Html(p.render().map_err(WebError::internal)?))
}

#[derive(Debug, Default, Deserialize)]
pub struct SettingsQuery {
    /// What was just done (`saved`, `logo`, `logo_removed`), to confirm it.
    done: Option<String>,
}

/// `GET /settings`.
pub async fn show_settings(
    State(state): State<AppState>,
    Extension(nonce): Extension<CspNonce>,
    member: CurrentMember,
    Query(q): Query<SettingsQuery>,
) -> Result<Html<String>, WebError> {
    let t = Catalog::current();
    let view = org_settings::settings(&state.services, &member.ctx)
        .await
        .map_err(settings_error)?;
    let mut page = SettingsPage::new(nonce, &member, &view);
    page.notice = match q.done.as_deref() {
        Some(k @ ("saved" | "logo" | "logo_removed")) => {
            t.get(&format!("settings.done_{k}")).to_owned()
        }
        _ => String::new(),
    };
    render(page)
}

/// The settings form; unticked boxes are absent.
#[derive(Debug, Deserialize)]
pub struct SettingsForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    accent: String,
    #[serde(default)]
    moderation: String,
    #[serde(default)]
    max_photos_per_guest: String,
    #[serde(default)]
    max_file_mb: String,
    guest_name_required: Option<String>,
    #[serde(default)]
    guest_visibility: String,
    guest_downloads: Option<String>,
}

impl SettingsForm {
    fn input(&self) -> SettingsInput {
        SettingsInput {
            name: Some(self.name.clone()),
            accent: Some(self.accent.clone()),
            moderation: Some(self.moderation.clone()),
            max_photos_per_guest: Some(self.max_photos_per_guest.clone()),
            max_file_mb: Some(self.max_file_mb.clone()),
            guest_name_required: Some(self.guest_name_required.is_some()),
            guest_visibility: Some(self.guest_visibility.clone()),
            guest_downloads: Some(self.guest_downloads.is_some()),
        }
    }
}

/// `POST /settings`.
pub async fn save_settings(
    State(state): State<AppState>,
    Extension(nonce): Extension<CspNonce>,
    member: CurrentMember,
    CsrfForm(form): CsrfForm<SettingsForm>,
) -> Result<Response, WebError> {
    match org_settings::update(&state.services, &member.ctx, &form.input()).await {
        Ok(_) => Ok(Redirect::to("/settings?done=saved").into_response()),
        Err(SettingsError::Invalid(problems)) => {
            let t = Catalog::current();
            let errors = Errors(
                problems
                    .iter()
                    .map(|(f, p)| (*f, problem_message(t, p)))
                    .collect(),
            );
            // The page as it is now, with what was typed over it.
            let view = org_settings::settings(&state.services, &member.ctx)
                .await
                .map_err(settings_error)?;
            let page = SettingsPage::new(nonce, &member, &view).with_form(&form, errors);
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(page)?).into_response())
        }
        Err(e) => Err(settings_error(e)),
    }
}

/// Reads the logo field of the multipart form, refusing it as soon as it passes
/// [`LOGO_MAX_BYTES`] (the rest is never read).
async fn read_logo(form: &mut Multipart) -> Result<Vec<u8>, SettingsError> {
    // A form cut short (or past the route's body limit) is read as no file.
    let bad = |_| SettingsError::LogoEmpty;
    while let Some(mut field) = form.next_field().await.map_err(bad)? {
        if field.name() != Some("logo") {
            continue;
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(bad)? {
            if bytes.len() + chunk.len() > LOGO_MAX_BYTES {
                return Err(SettingsError::LogoTooLarge {
                    max_mb: LOGO_MAX_BYTES >> 20,
                });
            }
            bytes.extend_from_slice(&chunk);
        }
        return Ok(bytes);
    }
    Ok(Vec::new())
}

/// `POST /settings/logo`: multipart, the form token first, then the file.
pub async fn upload_logo(
    State(state): State<AppState>,
    Extension(nonce): Extension<CspNonce>,
    member: CurrentMember,
    mut form: Multipart,
) -> Result<Response, WebError> {
    let bad_form = || WebError::BadRequest(Catalog::current().get("upload.bad_form").to_owned());
    let token = match form.next_field().await.map_err(|_| bad_form())? {
        Some(f) if f.name() == Some("csrf_token") => f.text().await.map_err(|_| bad_form())?,
        _ => String::new(),
    };
    check_form_token(&member, &token)?;
    let result = match read_logo(&mut form).await {
        Ok(bytes) => org_settings::set_logo(&state.services, &member.ctx, bytes).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => Ok(Redirect::to("/settings?done=logo").into_response()),
        Err(e @ (SettingsError::Denied | SettingsError::Store(_) | SettingsError::Storage(_))) => {
            Err(settings_error(e))
        }
        Err(e) => {
            // Say what was wrong with the file on the page itself.
            let WebError::Rejected {
                status, message, ..
            } = settings_error(e)
            else {
                return Err(bad_form());
            };
            let view = org_settings::settings(&state.services, &member.ctx)
                .await
                .map_err(settings_error)?;
            let mut page = SettingsPage::new(nonce, &member, &view);
            page.logo_error = message;
            Ok((status, render(page)?).into_response())
        }
    }
}

/// The form with only its token.
#[derive(Debug, Deserialize)]
pub struct TokenOnly {}

/// `POST /settings/logo/remove`.
pub async fn remove_logo(
    State(state): State<AppState>,
    member: CurrentMember,
    CsrfForm(_): CsrfForm<TokenOnly>,
) -> Result<Response, WebError> {
    org_settings::remove_logo(&state.services, &member.ctx)
        .await
        .map_err(settings_error)?;
    Ok(Redirect::to("/settings?done=logo_removed").into_response())
}

fn parse_tenant(raw: &str) -> Result<TenantId, WebError> {
    raw.parse().map_err(|_| WebError::NotFound)
}

/// A quoted strong ETag of `body`.
fn etag_of(body: &[u8]) -> String {
    format!("\"{}\"", hex::encode(&Sha256::digest(body)[..12]))
}

/// Whether the request's `If-None-Match` names `etag` (or `*`).
fn not_modified(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .any(|t| matches!(t.trim(), "*") || t.trim() == etag)
        })
}

/// The answer for a cacheable body: 304 when the browser has it already.
fn cached(
    headers: &HeaderMap,
    body: Vec<u8>,
    content_type: &'static str,
    cache: &'static str,
) -> Response {
    let etag = etag_of(&body);
    let mut res = if not_modified(headers, &etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        body.into_response()
    };
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    res
}

/// The stylesheet of an organization's branding: its colour as `--accent` (with a readable
/// text colour) over app.css and wall.css, and its logo where the pages keep a place for it.
/// Built only from a checked `#rrggbb` and the logo's own path, nothing a person typed.
pub fn brand_css(tenant: TenantId, brand: &org_settings::Brand) -> String {
    let mut css = String::from("/* This organization's colour and logo (settings page). */\n");
    if let Some(c) = &brand.accent {
        css.push_str(&format!(
            ":root {{ --accent: {c}; --accent-text: {}; }}\n",
            c.text_colour()
        ));
    }
    if let Some(key) = &brand.logo_key {
        css.push_str(&format!(
            ".org-logo {{ display: block; background-image: url(\"{}\"); }}\n",
            org_settings::logo_url("", tenant, key)
        ));
    }
    css
}

/// `GET /o/{org}/brand.css`: public (guests and walls link it), cached for a minute, then
/// revalidated with its ETag.
pub async fn serve_brand_css(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(org): Path<String>,
) -> Result<Response, WebError> {
    let tenant = parse_tenant(&org)?;
    let brand = org_settings::brand(&state.services, tenant).await?;
    Ok(cached(
        &headers,
        brand_css(tenant, &brand).into_bytes(),
        "text/css; charset=utf-8",
        BRAND_CSS_MAX_AGE,
    ))
}

/// `GET /o/{org}/logo.webp?v=…`: the organization's logo (404 when it has none). Links carry
/// the logo's version, so a browser may keep each for a day.
pub async fn serve_logo(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(org): Path<String>,
) -> Result<Response, WebError> {
    let tenant = parse_tenant(&org)?;
    let Some((_, bytes)) = org_settings::logo_bytes(&state.services, tenant)
        .await
        .map_err(settings_error)?
    else {
        return Err(WebError::NotFound);
    };
    Ok(cached(
        &headers,
        bytes.to_vec(),
        "image/webp",
        "public, max-age=86400",
    ))
}

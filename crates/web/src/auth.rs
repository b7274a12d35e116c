//! Who is asking, and may they: the session cookie, the [`CurrentMember`] extractor, CSRF
//! protection, client addresses and rate limits.
//!
//! - [`sessions`] (middleware) reads the session cookie once per request and leaves a
//!   [`SessionCtx`] in the request; it also makes sure a visitor without a session has a CSRF
//!   cookie, so the login and sign-up forms are protected too.
//! - [`CurrentMember`] loads the person, their organization and role; without a session, a page
//!   request is redirected to the login form (with a return path that can only point inside the
//!   site) and an API request gets a 401.
//! - [`check_origin`] (middleware) refuses state-changing requests that a browser says come
//!   from another site; [`CsrfForm`] additionally checks the form's token.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use domain::{EventId, Role};
use serde::de::DeserializeOwned;
use service::Ctx;
use service::records::{Decision, Event, Guest, Limit, SessionRecord, Tenant, User};
use sha2::{Digest, Sha256};

use crate::{AppState, WebError};

/// How long the browser keeps the session cookie (the server's session lifetime).
pub const SESSION_COOKIE_AGE: Duration = Duration::from_secs(7 * 24 * 60 * 60);

/// The session found for this request, if any (left by [`sessions`]).
#[derive(Debug, Clone, Default)]
pub struct SessionCtx(pub Option<SessionRecord>);

/// The CSRF token a form on this response must carry: the session's, or the visitor's cookie.
#[derive(Debug, Clone)]
pub struct FormToken(pub String);

/// Cookie names: with `__Host-` over https (the browser then insists on Secure, Path=/ and no
/// Domain, so a sibling subdomain cannot plant one).
pub fn session_cookie_name(https: bool) -> &'static str {
    if https {
        "__Host-mq_session"
    } else {
        "mq_session"
    }
}

pub fn csrf_cookie_name(https: bool) -> &'static str {
    if https { "__Host-mq_csrf" } else { "mq_csrf" }
}

/// The value of cookie `name` in the request.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Lax, Path=/, Secure over https. `max_age` 0
/// deletes the cookie; `None` makes it last until the browser closes.
pub fn set_cookie(name: &str, value: &str, max_age: Option<Duration>, https: bool) -> HeaderValue {
    let mut c = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax");
    if let Some(age) = max_age {
        c.push_str(&format!("; Max-Age={}", age.as_secs()));
    }
    if https {
        c.push_str("; Secure");
    }
    HeaderValue::from_str(&c).unwrap_or_else(|_| HeaderValue::from_static("invalid=; Max-Age=0"))
}

fn plausible_token(v: &str) -> bool {
    (20..=64).contains(&v.len())
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn skips_sessions(path: &str) -> bool {
    path.starts_with("/static/") || matches!(path, "/healthz" | "/readyz" | "/metrics")
}

/// Middleware: resolves the session cookie into a [`SessionCtx`] and the form token.
pub async fn sessions(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    if skips_sessions(req.uri().path()) {
        return next.run(req).await;
    }
    let https = state.config.is_https();
    let now = state.services.now();
    let session_token = cookie(req.headers(), session_cookie_name(https)).map(str::to_owned);
    let session = match &session_token {
        Some(token) if plausible_token(token) => {
            match service::accounts::resume_session(&state.services.sessions, token, now).await {
                Ok(s) => s,
                Err(e) => {
                    tracing::error!(error = %e, "session store failed");
                    return WebError::Unavailable("sign-in service").into_response();
                }
            }
        }
        _ => None,
    };
    let anon = cookie(req.headers(), csrf_cookie_name(https))
        .filter(|v| plausible_token(v))
        .map(str::to_owned);
    let new_anon = anon.is_none().then(random_token);
    let form_token = match &session {
        Some(s) => s.csrf_token.clone(),
        None => anon
            .clone()
            .or_else(|| new_anon.clone())
            .unwrap_or_default(),
    };
    let stale_cookie = session_token.is_some() && session.is_none();
    // The server pushed the session's end out just now: push the cookie's out with it.
    let slid = session
        .as_ref()
        .filter(|s| s.last_seen_at == now && s.created_at != now)
        .and(session_token.clone());
    req.extensions_mut().insert(SessionCtx(session));
    req.extensions_mut().insert(FormToken(form_token));
    req.extensions_mut().insert(AnonCsrf(anon));

    let mut res = next.run(req).await;
    let sets_session = res.headers().get_all(header::SET_COOKIE).iter().any(|v| {
        v.as_bytes()
            .starts_with(session_cookie_name(https).as_bytes())
    });
    if stale_cookie && !sets_session {
        res.headers_mut().append(
            header::SET_COOKIE,
            set_cookie(session_cookie_name(https), "", Some(Duration::ZERO), https),
        );
    }
    if let Some(token) = slid
        && !sets_session
    {
        res.headers_mut().append(
            header::SET_COOKIE,
            set_cookie(
                session_cookie_name(https),
                &token,
                Some(SESSION_COOKIE_AGE),
                https,
            ),
        );
    }
    if let Some(v) = new_anon {
        res.headers_mut().append(
            header::SET_COOKIE,
            set_cookie(csrf_cookie_name(https), &v, None, https),
        );
    }
    res
}

/// The visitor's CSRF cookie as it came in (none on a first visit).
#[derive(Debug, Clone)]
struct AnonCsrf(Option<String>);

fn random_token() -> String {
    use base64::Engine;
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The origin this site answers on: the public URL's, else `http(s)://Host`.
fn own_origin(state: &AppState, headers: &HeaderMap) -> Option<String> {
    if let Some(url) = &state.config.public_url {
        let (scheme, rest) = url.split_once("://")?;
        let host = rest.split('/').next()?;
        return Some(format!("{scheme}://{host}"));
    }
    let host = headers.get(header::HOST)?.to_str().ok()?;
    Some(format!("http://{host}"))
}

/// Middleware: a state-changing request (POST, PUT, PATCH, DELETE) that the browser marks as
/// cross-site (`Sec-Fetch-Site`) or whose `Origin` is another site is refused with a 403.
pub async fn check_origin(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if matches!(
        *req.method(),
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    ) {
        return next.run(req).await;
    }
    let headers = req.headers();
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok())
        && !matches!(site, "same-origin" | "none")
    {
        tracing::warn!(sec_fetch_site = site, "cross-site request refused");
        return WebError::CsrfRejected.into_response();
    }
    if let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        let own = own_origin(&state, headers);
        if own.as_deref() != Some(origin) {
            tracing::warn!("request from another origin refused");
            return WebError::CsrfRejected.into_response();
        }
    }
    next.run(req).await
}

/// A WebSocket upgrade carries the page's cookies, so a page of another site must not open
/// one (cross-site WebSocket hijacking): its `Origin` must be ours. Browsers always send
/// `Origin` on an upgrade; a client without one is not a browser and holds no cookie of a
/// victim.
pub fn check_socket_origin(state: &AppState, headers: &HeaderMap) -> Result<(), WebError> {
    let Some(origin) = headers.get(header::ORIGIN) else {
        return Ok(());
    };
    let own = own_origin(state, headers);
    if origin.to_str().ok() != own.as_deref() {
        tracing::warn!("live socket from another origin refused");
        return Err(WebError::CsrfRejected);
    }
    Ok(())
}

/// Checks a token read by hand against the one this response's forms carry ([`FormToken`]).
pub fn check_token(expected: &str, given: &str) -> Result<(), WebError> {
    if same_secret(expected, given) {
        Ok(())
    } else {
        tracing::warn!("form with a missing or wrong CSRF token refused");
        Err(WebError::CsrfRejected)
    }
}

/// Checks a form token read by hand (multipart forms, where [`CsrfForm`] cannot look).
pub fn check_form_token(member: &CurrentMember, given: &str) -> Result<(), WebError> {
    check_token(&member.session.csrf_token, given)
}

fn same_secret(a: &str, b: &str) -> bool {
    // Compare digests so the time taken says nothing about where the strings differ.
    !a.is_empty() && Sha256::digest(a.as_bytes()) == Sha256::digest(b.as_bytes())
}

#[derive(serde::Deserialize)]
struct TokenField {
    #[serde(default)]
    csrf_token: String,
}

fn unreadable_form() -> WebError {
    WebError::BadRequest(
        crate::i18n::Catalog::current()
            .get("error.form_unreadable")
            .to_owned(),
    )
}

/// A URL-encoded form whose `csrf_token` field matches the session's token (or, for a visitor
/// without a session, their CSRF cookie). Anything else is a 403 page.
#[derive(Debug)]
pub struct CsrfForm<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for CsrfForm<T> {
    type Rejection = WebError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, WebError> {
        let expected = match req.extensions().get::<SessionCtx>() {
            Some(SessionCtx(Some(s))) => Some(s.csrf_token.clone()),
            _ => req.extensions().get::<AnonCsrf>().and_then(|a| a.0.clone()),
        };
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|_| unreadable_form())?;
        let given: TokenField =
            serde_urlencoded::from_bytes(&bytes).map_err(|_| unreadable_form())?;
        if !expected.is_some_and(|e| same_secret(&e, &given.csrf_token)) {
            tracing::warn!("form with a missing or wrong CSRF token refused");
            return Err(WebError::CsrfRejected);
        }
        let form = serde_urlencoded::from_bytes(&bytes).map_err(|e| {
            tracing::info!(error = %e, "form with missing or malformed fields refused");
            WebError::BadRequest(
                crate::i18n::Catalog::current()
                    .get("error.form_incomplete")
                    .to_owned(),
            )
        })?;
        Ok(CsrfForm(form))
    }
}

/// A logged-in member, with the organization they are working in and the context their use
/// cases run in (`ctx`: tenant, who is acting with which role, now).
#[derive(Debug, Clone)]
pub struct CurrentMember {
    pub session: SessionRecord,
    pub user: User,
    pub tenant: Tenant,
    pub role: Role,
    pub ctx: Ctx,
    /// The organization requires two-factor sign-in and this person has not set it up: only
    /// [`open_before_two_factor`] paths let them in.
    pub must_set_up_two_factor: bool,
}

/// What a member whose organization requires two-factor sign-in may reach before setting it
/// up: the set-up itself, logging out, and switching organization.
pub fn open_before_two_factor(path: &str) -> bool {
    path == "/account/two-factor"
        || path.starts_with("/account/two-factor/")
        || matches!(path, "/logout" | "/orgs" | "/orgs/switch")
}

/// A guest of the event named in the path (`/g/{event}/…`), found by their cookie for that
/// event, with the context their use cases run in. Without a session for that event: a 403
/// page that says how to join.
#[derive(Debug, Clone)]
pub struct CurrentGuest {
    pub guest: Guest,
    pub event: Event,
    pub ctx: Ctx,
}

impl FromRequestParts<AppState> for CurrentGuest {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        Self::resolve(parts, state).await.map_err(|err| {
            // A guest page opened in a browser that has not joined the event: most often a
            // gallery link forwarded by another guest. The guest pages know the event only by
            // its id, never the join code from the QR code (the secret that lets people in),
            // so this page cannot let them join: it says how (scan the code, or open the
            // host's link) and offers a field for the code. Scripts and JSON get the error.
            let joined_elsewhere = matches!(
                &err,
                WebError::Rejected {
                    code: "not_joined",
                    ..
                }
            );
            let wants_page = parts.method == Method::GET
                && parts
                    .headers
                    .get(header::ACCEPT)
                    .and_then(|v| v.to_str().ok())
                    .is_none_or(|v| !v.contains("application/json"));
            match parts.extensions.get::<crate::security::CspNonce>() {
                Some(nonce) if joined_elsewhere && wants_page => crate::pages::guest::lost_page(
                    nonce.clone(),
                    crate::pages::guest::LostReason::NotJoined,
                    "",
                    axum::http::StatusCode::FORBIDDEN,
                )
                .unwrap_or_else(IntoResponse::into_response),
                _ => err.into_response(),
            }
        })
    }
}

impl CurrentGuest {
    async fn resolve(parts: &mut Parts, state: &AppState) -> Result<Self, WebError> {
        let event: EventId = parts
            .uri
            .path()
            .strip_prefix("/g/")
            .and_then(|rest| rest.split('/').next())
            .and_then(|id| id.parse().ok())
            .ok_or(WebError::NotFound)?;
        let name = service::guests::cookie_name(event, state.config.is_https());
        let found = match cookie(&parts.headers, &name) {
            Some(v) => service::guests::resume(&state.services, event, v).await?,
            None => None,
        };
        let (guest, event) = found.ok_or_else(|| WebError::Rejected {
            status: axum::http::StatusCode::FORBIDDEN,
            code: "not_joined",
            message: crate::i18n::Catalog::current()
                .get("guest.not_joined")
                .to_owned(),
        })?;
        let ctx = state.services.guest_ctx(&guest);
        Ok(CurrentGuest { guest, event, ctx })
    }
}

/// Where to send someone who must log in first.
fn login_required(parts: &Parts) -> Response {
    if parts.uri.path().starts_with("/api/") {
        return WebError::Unauthorized.into_response();
    }
    let here = parts.uri.path_and_query().map_or("/app", |p| p.as_str());
    let next: String = url_encode(here);
    Redirect::to(&format!("/login?next={next}")).into_response()
}

fn url_encode(s: &str) -> String {
    serde_urlencoded::to_string([("", s)])
        .map(|e| e.trim_start_matches('=').to_owned())
        .unwrap_or_default()
}

impl FromRequestParts<AppState> for CurrentMember {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let Some(SessionCtx(Some(session))) = parts.extensions.get::<SessionCtx>().cloned() else {
            return Err(login_required(parts));
        };
        match service::accounts::current_member(&state.services, &session).await {
            Ok(Some(m))
                if m.must_set_up_two_factor && !open_before_two_factor(parts.uri.path()) =>
            {
                let wants_page = parts.method == Method::GET
                    && !parts.uri.path().starts_with("/api/")
                    && parts
                        .headers
                        .get(header::ACCEPT)
                        .and_then(|v| v.to_str().ok())
                        .is_none_or(|v| !v.contains("application/json"));
                Err(if wants_page {
                    axum::response::Redirect::to("/account/two-factor?required=1").into_response()
                } else {
                    WebError::Rejected {
                        status: axum::http::StatusCode::FORBIDDEN,
                        code: "two_factor_required",
                        message: crate::i18n::Catalog::current()
                            .get("two_factor.required_notice")
                            .to_owned(),
                    }
                    .into_response()
                })
            }
            Ok(Some(m)) => Ok(CurrentMember {
                session,
                user: m.user,
                tenant: m.tenant,
                role: m.role,
                ctx: m.ctx,
                must_set_up_two_factor: m.must_set_up_two_factor,
            }),
            // Removed from the organization (or the account is gone): the session is void.
            Ok(None) => Err(login_required(parts)),
            Err(e) => Err(WebError::from(e).into_response()),
        }
    }
}

/// A return path after login, only if it stays on this site: a single leading `/`, no
/// backslashes or control characters (browsers read `/\evil.com` as `//evil.com`).
pub fn safe_return_path(next: Option<&str>) -> &str {
    match next {
        Some(p)
            if p.starts_with('/')
                && !p.starts_with("//")
                && !p.contains('\\')
                && !p.chars().any(char::is_control)
                && !p.starts_with("/login")
                && p.len() <= 2000 =>
        {
            p
        }
        _ => "/app",
    }
}

/// The client's address: the socket's peer, or with `client_ip_header` set (behind a proxy),
/// the last address that header lists (the one our proxy added).
pub fn client_ip(
    parts_headers: &HeaderMap,
    peer: Option<SocketAddr>,
    state: &AppState,
) -> Option<IpAddr> {
    if let Some(name) = &state.config.client_ip_header {
        return parts_headers
            .get(name.as_str())
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
            .and_then(|v| v.trim().parse().ok());
    }
    peer.map(|p| p.ip())
}

/// The client's address, as a request extractor.
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub Option<IpAddr>);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0);
        Ok(ClientIp(client_ip(&parts.headers, peer, state)))
    }
}

impl ClientIp {
    /// A key for rate limits that does not hold the address itself.
    pub fn key(&self) -> String {
        match self.0 {
            Some(ip) => hex::encode(&Sha256::digest(ip.to_string().as_bytes())[..12]),
            None => "unknown".into(),
        }
    }
}

/// Counts a hit against `rule` for `key`; over the limit → 429 with `Retry-After`. The one
/// hook every limited route uses (login and sign-up now; uploads and guests later).
pub async fn enforce_limit(state: &AppState, rule: Limit, key: &str) -> Result<(), WebError> {
    match state
        .services
        .limits
        .hit(rule, key, state.services.now())
        .await
    {
        Ok(Decision::Allowed { .. }) => Ok(()),
        Ok(Decision::Limited { retry_after }) => {
            tracing::warn!(limit = rule.name, "rate limit reached");
            Err(WebError::TooManyRequests { retry_after })
        }
        Err(e) => {
            // Failing open keeps people able to log in when Redis blips; the log says so.
            tracing::error!(error = %e, limit = rule.name, "rate limiter failed; allowing");
            Ok(())
        }
    }
}

/// The limits on the account routes.
pub mod limits {
    use std::time::Duration;

    use service::records::Limit;

    pub const LOGIN_PER_IP: Limit = Limit {
        name: "login.ip",
        limit: 30,
        window: Duration::from_secs(10 * 60),
    };
    pub const LOGIN_PER_EMAIL: Limit = Limit {
        name: "login.email",
        limit: 10,
        window: Duration::from_secs(10 * 60),
    };
    pub const REGISTER_PER_IP: Limit = Limit {
        name: "register.ip",
        limit: 10,
        window: Duration::from_secs(60 * 60),
    };
    /// Joining events from one address (a venue's Wi-Fi is one address for everyone).
    pub const GUEST_JOIN_PER_IP: Limit = Limit {
        name: "guest.join.ip",
        limit: 300,
        window: Duration::from_secs(10 * 60),
    };
    /// One guest's uploads (the event's own per-guest limit applies as well).
    pub const GUEST_UPLOAD_PER_GUEST: Limit = Limit {
        name: "guest.upload.guest",
        limit: 120,
        window: Duration::from_secs(10 * 60),
    };
    /// One guest's reactions (toggling back and forth included).
    pub const GUEST_REACT_PER_GUEST: Limit = Limit {
        name: "guest.react.guest",
        limit: 300,
        window: Duration::from_secs(10 * 60),
    };
    /// Invitations sent (and resent) by one organization.
    pub const INVITE_PER_ORG: Limit = Limit {
        name: "invite.org",
        limit: 50,
        window: Duration::from_secs(60 * 60),
    };
    /// Password-reset mails asked for from one address.
    pub const RESET_PER_IP: Limit = Limit {
        name: "reset.ip",
        limit: 10,
        window: Duration::from_secs(60 * 60),
    };
    /// Password-reset mails for one email address.
    pub const RESET_PER_EMAIL: Limit = Limit {
        name: "reset.email",
        limit: 3,
        window: Duration::from_secs(60 * 60),
    };
    /// Verification mails asked for again by one person.
    pub const VERIFY_RESEND_PER_USER: Limit = Limit {
        name: "verify.resend.user",
        limit: 5,
        window: Duration::from_secs(60 * 60),
    };
    /// Uploads from one address, all guests together.
    pub const GUEST_UPLOAD_PER_IP: Limit = Limit {
        name: "guest.upload.ip",
        limit: 2000,
        window: Duration::from_secs(10 * 60),
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn return_paths_stay_on_the_site() {
        assert_eq!(safe_return_path(Some("/account")), "/account");
        assert_eq!(safe_return_path(Some("/app?x=1")), "/app?x=1");
        for evil in [
            "https://evil.example",
            "//evil.example",
            "/\\evil.example",
            "\\\\evil.example",
            "javascript:alert(1)",
            "/app\r\nSet-Cookie: x=1",
            "",
            "evil",
            "/login?next=//evil",
        ] {
            assert_eq!(safe_return_path(Some(evil)), "/app", "{evil:?}");
        }
        assert_eq!(safe_return_path(None), "/app");
    }

    #[test]
    fn cookies_are_read_by_exact_name() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("xmq_session=bad; mq_session=good; other=1"),
        );
        assert_eq!(cookie(&h, "mq_session"), Some("good"));
        assert_eq!(cookie(&h, "missing"), None);
    }

    #[test]
    fn cookie_attributes() {
        let c = set_cookie(
            "__Host-mq_session",
            "v",
            Some(Duration::from_secs(60)),
            true,
        );
        let c = c.to_str().unwrap();
        for part in ["HttpOnly", "SameSite=Lax", "Path=/", "Secure", "Max-Age=60"] {
            assert!(c.contains(part), "{c}");
        }
        let plain = set_cookie("mq_session", "v", None, false);
        assert!(!plain.to_str().unwrap().contains("Secure"));
    }
}

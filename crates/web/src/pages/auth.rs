//! Sign-up, login and logout pages.

use askama::Template;
use axum::Extension;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use service::accounts::{self, Account, AccountError, LoginStep, Registration};

use crate::auth::{
    ClientIp, CsrfForm, FormToken, SESSION_COOKIE_AGE, SessionCtx, enforce_limit, limits,
    safe_return_path, session_cookie_name, set_cookie,
};
use crate::extract::Query;
use crate::i18n::Catalog;
use crate::messages::field_message;
use crate::pages::{Field, Layout, locked_until, with_retry_after};
use crate::security::CspNonce;
use crate::{AppState, WebError};

fn render(t: impl Template) -> Result<Html<String>, WebError> {
    Ok(Html(t.render().map_err(WebError::internal)?))
}

#[derive(Template)]
#[template(path = "register.html")]
struct RegisterPage {
    layout: Layout,
    csrf: String,
    form_error: String,
    name: Field,
    email: Field,
    password: Field,
    org_name: Field,
}

/// The sign-up form as posted. The password is never shown again.
#[derive(Debug, Default, Deserialize)]
pub struct RegisterForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    org_name: String,
}

/// `GET /register`.
pub async fn show_register(
    Extension(nonce): Extension<CspNonce>,
    Extension(token): Extension<FormToken>,
    Extension(session): Extension<SessionCtx>,
) -> Result<Response, WebError> {
    if session.0.is_some() {
        return Ok(Redirect::to("/app").into_response());
    }
    Ok(render(RegisterPage {
        layout: Layout::new(nonce),
        csrf: token.0,
        form_error: String::new(),
        name: Field::default(),
        email: Field::default(),
        password: Field::default(),
        org_name: Field::default(),
    })?
    .into_response())
}

/// Logs `account` in on this browser: a fresh session and its cookie, replacing any session
/// the browser had (no fixation).
pub(crate) async fn log_in(
    state: &AppState,
    old: &SessionCtx,
    account: &Account,
    headers: &HeaderMap,
    to: &str,
) -> Result<Response, WebError> {
    if let Some(old) = &old.0 {
        state.services.sessions.delete(old).await?;
    }
    let ua = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let new = accounts::start_session(&state.services.sessions, account, ua, state.services.now())
        .await?;
    let https = state.config.is_https();
    let mut res = Redirect::to(to).into_response();
    res.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(
            session_cookie_name(https),
            &new.token,
            Some(SESSION_COOKIE_AGE),
            https,
        ),
    );
    Ok(res)
}

/// `POST /register`.
pub async fn register(
    State(state): State<AppState>,
    Extension(nonce): Extension<CspNonce>,
    Extension(token): Extension<FormToken>,
    Extension(session): Extension<SessionCtx>,
    ip: ClientIp,
    headers: HeaderMap,
    CsrfForm(form): CsrfForm<RegisterForm>,
) -> Result<Response, WebError> {
    enforce_limit(&state, limits::REGISTER_PER_IP, &ip.key()).await?;
    let base = crate::links::mail_base_url(&state, &headers);
    let input = Registration {
        name: &form.name,
        email: &form.email,
        password: &form.password,
        org_name: &form.org_name,
        base_url: &base,
    };
    match accounts::register(&state.services, &input, state.services.now()).await {
        Ok(account) => log_in(&state, &session, &account, &headers, "/app?welcome=1").await,
        Err(AccountError::Invalid(problems)) => {
            let t = Catalog::current();
            let mut page = RegisterPage {
                layout: Layout::new(nonce),
                csrf: token.0,
                form_error: t.get("form.fix_below").to_owned(),
                name: Field::with_value(&form.name),
                email: Field::with_value(&form.email),
                password: Field::default(),
                org_name: Field::with_value(&form.org_name),
            };
            for (name, problem) in &problems {
                let msg = field_message(t, problem);
                match *name {
                    "name" => page.name.error = msg,
                    "email" => page.email.error = msg,
                    "password" => page.password.error = msg,
                    _ => page.org_name.error = msg,
                }
            }
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(page)?).into_response())
        }
        Err(e) => Err(account_error(e)),
    }
}

fn account_error(e: AccountError) -> WebError {
    match e {
        AccountError::Store(s) => WebError::from(s),
        other => WebError::internal(other),
    }
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    layout: Layout,
    csrf: String,
    next: String,
    notice: String,
    form_error: String,
    email: Field,
    password: Field,
}

#[derive(Debug, Default, Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
    /// Set after logout, to say so.
    bye: Option<String>,
    /// Set after a password reset.
    reset: Option<String>,
    /// Set when the code step of a login came too late.
    expired: Option<String>,
}

/// `GET /login`.
pub async fn show_login(
    Extension(nonce): Extension<CspNonce>,
    Extension(token): Extension<FormToken>,
    Extension(session): Extension<SessionCtx>,
    Query(q): Query<LoginQuery>,
) -> Result<Response, WebError> {
    let next = safe_return_path(q.next.as_deref()).to_owned();
    if session.0.is_some() {
        return Ok(Redirect::to(&next).into_response());
    }
    let t = Catalog::current();
    Ok(render(LoginPage {
        layout: Layout::new(nonce),
        csrf: token.0,
        next,
        notice: if q.expired.is_some() {
            t.get("two_factor.login_expired").to_owned()
        } else if q.reset.is_some() {
            t.get("reset.done").to_owned()
        } else if q.bye.is_some() {
            t.get("login.logged_out").to_owned()
        } else {
            String::new()
        },
        form_error: String::new(),
        email: Field::default(),
        password: Field::default(),
    })?
    .into_response())
}

#[derive(Debug, Default, Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

/// `POST /login`.
pub async fn login(
    State(state): State<AppState>,
    Extension(nonce): Extension<CspNonce>,
    Extension(token): Extension<FormToken>,
    Extension(session): Extension<SessionCtx>,
    ip: ClientIp,
    headers: HeaderMap,
    CsrfForm(form): CsrfForm<LoginForm>,
) -> Result<Response, WebError> {
    enforce_limit(&state, limits::LOGIN_PER_IP, &ip.key()).await?;
    let email_key = form.email.trim().to_lowercase();
    enforce_limit(&state, limits::LOGIN_PER_EMAIL, &hex_digest(&email_key)).await?;
    let next = safe_return_path(Some(&form.next)).to_owned();
    let now = state.services.now();
    let t = Catalog::current();
    let (status, message, retry) =
        match accounts::login(&state.services, &form.email, &form.password, now).await {
            Ok(LoginStep::Done(account)) => {
                return log_in(&state, &session, &account, &headers, &next).await;
            }
            Ok(LoginStep::CodeNeeded(pending)) => {
                return Ok(crate::pages::two_factor::code_step(
                    &pending,
                    &next,
                    state.config.is_https(),
                ));
            }
            Err(AccountError::BadCredentials) => (
                StatusCode::UNAUTHORIZED,
                t.get("login.bad_credentials").to_owned(),
                None,
            ),
            Err(AccountError::Deactivated) => (
                StatusCode::FORBIDDEN,
                t.get("login.deactivated").to_owned(),
                None,
            ),
            Err(AccountError::Locked { until }) => {
                let (message, secs) = locked_until(t, until, now);
                (StatusCode::TOO_MANY_REQUESTS, message, Some(secs))
            }
            Err(e) => return Err(account_error(e)),
        };
    let page = LoginPage {
        layout: Layout::new(nonce),
        csrf: token.0,
        next,
        notice: String::new(),
        form_error: message,
        email: Field::with_value(&form.email),
        password: Field::default(),
    };
    Ok(with_retry_after(
        (status, render(page)?).into_response(),
        retry,
    ))
}

fn hex_digest(s: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(&Sha256::digest(s.as_bytes())[..12])
}

#[derive(Debug, Default, Deserialize)]
pub struct EmptyForm {}

/// `POST /logout`: ends this session and forgets its cookie.
pub async fn logout(
    State(state): State<AppState>,
    Extension(session): Extension<SessionCtx>,
    CsrfForm(_): CsrfForm<EmptyForm>,
) -> Result<Response, WebError> {
    if let Some(s) = &session.0 {
        accounts::logout(&state.services, s).await?;
    }
    let https = state.config.is_https();
    let mut res = Redirect::to("/login?bye=1").into_response();
    res.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(
            session_cookie_name(https),
            "",
            Some(std::time::Duration::ZERO),
            https,
        ),
    );
    Ok(res)
}

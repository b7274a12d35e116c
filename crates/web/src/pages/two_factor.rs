//! Two-factor sign-in pages: setting it up from the account page (QR code, confirmation code,
//! recovery codes), turning it off, new recovery codes; the code step of the login; and, on
//! the members page, an admin's reset and the owner's "require it of everyone".

use askama::Template;
use axum::Extension;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use service::two_factor::{self, PENDING_LOGIN_LIFETIME, PendingLogin, TwoFactorError};

use crate::auth::{
    ClientIp, CsrfForm, CurrentMember, FormToken, SessionCtx, cookie, enforce_limit, limits,
    safe_return_path, set_cookie,
};
use crate::extract::{Path, Query};
use crate::i18n::Catalog;
use crate::pages::auth::log_in;
use crate::pages::{Layout, locked_until, with_retry_after};
use crate::security::CspNonce;
use crate::{AppState, WebError};

fn render(t: impl Template) -> Result<Html<String>, WebError> {
    Ok(Html(t.render().map_err(WebError::internal)?))
}

/// The cookie carrying the proof of the password step to the code step.
pub fn pending_cookie_name(https: bool) -> &'static str {
    if https { "__Host-mq_2fa" } else { "mq_2fa" }
}

/// The sentence for a refused two-factor step.
fn two_factor_error(e: TwoFactorError) -> WebError {
    let t = Catalog::current();
    let reject = |status, code, key: &str| WebError::Rejected {
        status,
        code,
        message: t.get(key).to_owned(),
    };
    match e {
        TwoFactorError::Denied => reject(StatusCode::FORBIDDEN, "forbidden", "team.denied"),
        TwoFactorError::NotFound => WebError::NotFound,
        TwoFactorError::WrongPassword => reject(
            StatusCode::UNPROCESSABLE_ENTITY,
            "wrong_password",
            "two_factor.wrong_password",
        ),
        TwoFactorError::WrongCode => reject(
            StatusCode::UNPROCESSABLE_ENTITY,
            "wrong_code",
            "two_factor.wrong_code",
        ),
        TwoFactorError::AlreadyOn => {
            reject(StatusCode::CONFLICT, "already_on", "two_factor.already_on")
        }
        TwoFactorError::NotOn => reject(StatusCode::CONFLICT, "not_on", "two_factor.not_on"),
        TwoFactorError::NotEnrolling => reject(
            StatusCode::CONFLICT,
            "not_enrolling",
            "two_factor.not_enrolling",
        ),
        TwoFactorError::Required => {
            reject(StatusCode::CONFLICT, "required", "two_factor.required_here")
        }
        TwoFactorError::SetUpYoursFirst => reject(
            StatusCode::CONFLICT,
            "set_up_yours_first",
            "two_factor.set_up_yours_first",
        ),
        TwoFactorError::LoginExpired => reject(
            StatusCode::UNAUTHORIZED,
            "login_expired",
            "two_factor.login_expired",
        ),
        // Only the login's code step meets a lock, and says it with its own clock there.
        TwoFactorError::Locked { .. } => {
            reject(StatusCode::TOO_MANY_REQUESTS, "locked", "two_factor.locked")
        }
        TwoFactorError::Deactivated => {
            reject(StatusCode::FORBIDDEN, "deactivated", "login.deactivated")
        }
        TwoFactorError::Store(e) => e.into(),
    }
}

#[derive(Template)]
#[template(path = "two_factor.html")]
struct TwoFactorPage {
    layout: Layout,
    csrf: String,
    notice: String,
    error: String,
    enabled: bool,
    required: bool,
    /// Set while setting up.
    qr_svg: String,
    secret: String,
    codes_left: i64,
}

#[derive(Debug, Default, Deserialize)]
pub struct TwoFactorQuery {
    /// Sent here because the organization requires it.
    required: Option<String>,
    /// What was just done (`off`), to confirm it.
    done: Option<String>,
}

async fn two_factor_page(
    state: &AppState,
    nonce: CspNonce,
    member: &CurrentMember,
    notice: String,
    error: String,
) -> Result<TwoFactorPage, WebError> {
    let status = two_factor::status(&state.services, &member.ctx, &member.user)
        .await
        .map_err(two_factor_error)?;
    let (qr_svg, secret) = match &status.enrolling {
        Some(e) => (
            media::qr::qr_svg(&e.uri).map_err(WebError::internal)?,
            e.secret_typed.clone(),
        ),
        None => (String::new(), String::new()),
    };
    Ok(TwoFactorPage {
        layout: Layout::for_member(nonce, member, "account"),
        csrf: member.session.csrf_token.clone(),
        notice,
        error,
        enabled: status.enabled,
        required: status.required,
        qr_svg,
        secret,
        codes_left: status.recovery_codes_left,
    })
}

fn no_store(mut res: Response) -> Response {
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-store, private"),
    );
    res
}

/// `GET /account/two-factor`: the state, and while setting up the QR code to scan.
pub async fn show(
    State(state): State<AppState>,
    Extension(nonce): Extension<CspNonce>,
    member: CurrentMember,
    Query(q): Query<TwoFactorQuery>,
) -> Result<Response, WebError> {
    let t = Catalog::current();
    let notice = if q.done.as_deref() == Some("off") {
        t.get("two_factor.turned_off").to_owned()
    } else if q.required.is_some() || member.must_set_up_two_factor {
        t.get("two_factor.required_notice").to_owned()
    } else {
        String::new()
    };
    let page = two_factor_page(&state, nonce, &member, notice, String::new()).await?;
    Ok(no_store(render(page)?.into_response()))
}

#[derive(Debug, Default, Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    password: String,
}

/// Renders the two-factor page again with an error, keeping the refusal's status.
async fn refused(
    state: &AppState,
    nonce: CspNonce,
    member: &CurrentMember,
    e: TwoFactorError,
) -> Result<Response, WebError> {
    match two_factor_error(e) {
        WebError::Rejected {
            status, message, ..
        } if status != StatusCode::FORBIDDEN && status != StatusCode::TOO_MANY_REQUESTS => {
            let page = two_factor_page(state, nonce, member, String::new(), message).await?;
            Ok(no_store((status, render(page)?).into_response()))
        }
        other => Err(other),
    }
}

/// `POST /account/two-factor/setup`: after the password, a fresh secret to scan.
pub async fn setup(
    State(state): State<AppState>,
    Extension(nonce): Extension<CspNonce>,
    member: CurrentMember,
    CsrfForm(form): CsrfForm<PasswordForm>,
) -> Result<Response, WebError> {
    match two_factor::start_enrolment(&state.services, &member.ctx, &member.user, &form.password)
        .await
    {
        Ok(()) => Ok(Redirect::to("/account/two-factor").into_response()),
        Err(e) => refused(&state, nonce, &member, e).await,
    }
}

#[derive(Template)]
#[template(path = "recovery_codes.html")]
struct RecoveryCodesPage {
    layout: Layout,
    codes: Vec<String>,
    just_enabled: bool,
}

fn codes_page(
    nonce: CspNonce,
    member: &CurrentMember,
    codes: Vec<String>,
    just_enabled: bool,
) -> Result<Response, WebError> {
    let page = RecoveryCodesPage {
        layout: Layout::for_member(nonce, member, "account"),
        codes,
        just_enabled,
    };
    Ok(no_store(render(page)?.into_response()))
}

#[derive(Debug, Default, Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    password: String,
}

/// `POST /account/two-factor/confirm`: the code from the app turns it on; the recovery codes
/// are shown once.
pub async fn confirm(
    State(state): State<AppState>,
    Extension(nonce): Extension<CspNonce>,
    member: CurrentMember,
    CsrfForm(form): CsrfForm<CodeForm>,
) -> Result<Response, WebError> {
    match two_factor::confirm_enrolment(&state.services, &member.ctx, &member.user, &form.code)
        .await
    {
        Ok(codes) => codes_page(nonce, &member, codes, true),
        Err(e) => refused(&state, nonce, &member, e).await,
    }
}

/// `POST /account/two-factor/disable`: off, with the password and a code.
pub async fn disable(
    State(state): State<AppState>,
    Extension(nonce): Extension<CspNonce>,
    member: CurrentMember,
    CsrfForm(form): CsrfForm<CodeForm>,
) -> Result<Response, WebError> {
    match two_factor::disable(
        &state.services,
        &member.ctx,
        &member.user,
        &form.password,
        &form.code,
    )
    .await
    {
        Ok(()) => Ok(Redirect::to("/account/two-factor?done=off").into_response()),
        Err(e) => refused(&state, nonce, &member, e).await,
    }
}

/// `POST /account/two-factor/recovery-codes`: ten new codes; the old ones stop working.
pub async fn new_codes(
    State(state): State<AppState>,
    Extension(nonce): Extension<CspNonce>,
    member: CurrentMember,
    CsrfForm(form): CsrfForm<PasswordForm>,
) -> Result<Response, WebError> {
    match two_factor::replace_recovery_codes(
        &state.services,
        &member.ctx,
        &member.user,
        &form.password,
    )
    .await
    {
        Ok(codes) => codes_page(nonce, &member, codes, false),
        Err(e) => refused(&state, nonce, &member, e).await,
    }
}

#[derive(Template)]
#[template(path = "login_code.html")]
struct LoginCodePage {
    layout: Layout,
    csrf: String,
    next: String,
    form_error: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct LoginCodeQuery {
    next: Option<String>,
}

/// The login's second step, where the password step sends a person with two-factor sign-in:
/// the proof of the password goes in a short-lived cookie.
pub fn code_step(pending: &PendingLogin, next: &str, https: bool) -> Response {
    let to = format!(
        "/login/code?next={}",
        serde_urlencoded::to_string([("", next)])
            .map(|e| e.trim_start_matches('=').to_owned())
            .unwrap_or_default()
    );
    let mut res = Redirect::to(&to).into_response();
    let age = PENDING_LOGIN_LIFETIME.to_std().unwrap_or_default();
    res.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(
            pending_cookie_name(https),
            pending.token(),
            Some(age),
            https,
        ),
    );
    res
}

/// `GET /login/code`.
pub async fn show_login_code(
    State(state): State<AppState>,
    Extension(nonce): Extension<CspNonce>,
    Extension(token): Extension<FormToken>,
    headers: HeaderMap,
    Query(q): Query<LoginCodeQuery>,
) -> Result<Response, WebError> {
    let next = safe_return_path(q.next.as_deref()).to_owned();
    if cookie(&headers, pending_cookie_name(state.config.is_https())).is_none() {
        return Ok(Redirect::to("/login").into_response());
    }
    Ok(no_store(
        render(LoginCodePage {
            layout: Layout::new(nonce),
            csrf: token.0,
            next,
            form_error: String::new(),
        })?
        .into_response(),
    ))
}

#[derive(Debug, Default, Deserialize)]
pub struct LoginCodeForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    recovery_code: String,
    #[serde(default)]
    next: String,
}

/// `POST /login/code`: the code from the app (or a recovery code) completes the login.
pub async fn login_code(
    State(state): State<AppState>,
    Extension(nonce): Extension<CspNonce>,
    Extension(token): Extension<FormToken>,
    Extension(session): Extension<SessionCtx>,
    ip: ClientIp,
    headers: HeaderMap,
    CsrfForm(form): CsrfForm<LoginCodeForm>,
) -> Result<Response, WebError> {
    enforce_limit(&state, limits::LOGIN_PER_IP, &ip.key()).await?;
    let https = state.config.is_https();
    let next = safe_return_path(Some(&form.next)).to_owned();
    let Some(pending) = cookie(&headers, pending_cookie_name(https)).map(PendingLogin::from_token)
    else {
        return Ok(Redirect::to("/login").into_response());
    };
    let code = if form.recovery_code.trim().is_empty() {
        &form.code
    } else {
        &form.recovery_code
    };
    let now = state.services.now();
    match two_factor::finish_login(&state.services, &pending, code, now).await {
        Ok(account) => {
            let mut res = log_in(&state, &session, &account, &headers, &next).await?;
            res.headers_mut().append(
                header::SET_COOKIE,
                set_cookie(
                    pending_cookie_name(https),
                    "",
                    Some(std::time::Duration::ZERO),
                    https,
                ),
            );
            Ok(res)
        }
        Err(TwoFactorError::LoginExpired) => Ok(Redirect::to("/login?expired=1").into_response()),
        Err(e) => {
            let (status, message, retry) = match e {
                TwoFactorError::Locked { until } => {
                    let (message, secs) = locked_until(Catalog::current(), until, now);
                    (StatusCode::TOO_MANY_REQUESTS, message, Some(secs))
                }
                e => match two_factor_error(e) {
                    WebError::Rejected {
                        status, message, ..
                    } => (status, message, None),
                    other => return Err(other),
                },
            };
            let page = LoginCodePage {
                layout: Layout::new(nonce),
                csrf: token.0,
                next,
                form_error: message,
            };
            Ok(with_retry_after(
                no_store((status, render(page)?).into_response()),
                retry,
            ))
        }
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct EmptyForm {}

/// `POST /members/{user}/two-factor/reset`: an admin turns off a member's two-factor sign-in
/// (lost phone and codes).
pub async fn reset_member(
    State(state): State<AppState>,
    member: CurrentMember,
    Path(user): Path<String>,
    CsrfForm(_): CsrfForm<EmptyForm>,
) -> Result<Response, WebError> {
    let target: domain::UserId = user.parse().map_err(|_| WebError::NotFound)?;
    two_factor::reset_for_member(&state.services, &member.ctx, target)
        .await
        .map_err(two_factor_error)?;
    Ok(Redirect::to("/members?done=two_factor_reset").into_response())
}

#[derive(Debug, Default, Deserialize)]
pub struct RequireForm {
    #[serde(default)]
    required: String,
}

/// `POST /members/two-factor`: the owner requires two-factor sign-in of everyone (or not).
pub async fn set_required(
    State(state): State<AppState>,
    member: CurrentMember,
    CsrfForm(form): CsrfForm<RequireForm>,
) -> Result<Response, WebError> {
    let required = form.required == "1";
    two_factor::set_required(&state.services, &member.ctx, required)
        .await
        .map_err(two_factor_error)?;
    Ok(Redirect::to(if required {
        "/members?done=two_factor_required"
    } else {
        "/members?done=two_factor_optional"
    })
    .into_response())
}

//! Account recovery by mail: "forgot your password", the reset link's form, and the link that
//! verifies an email address.

use askama::Template;
use axum::Extension;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use service::accounts::{self, AccountError};

use crate::auth::{ClientIp, CsrfForm, CurrentMember, FormToken, enforce_limit, limits};
use crate::extract::Path;
use crate::i18n::Catalog;
use crate::links::mail_base_url;
use crate::messages::field_message;
use crate::pages::{Field, Layout};
use crate::security::CspNonce;
use crate::{AppState, WebError};

fn render(t: impl Template) -> Result<Html<String>, WebError> {
    Ok(Html(t.render().map_err(WebError::internal)?))
}

#[derive(Template)]
#[template(path = "password_forgot.html")]
struct ForgotPage {
    layout: Layout,
    csrf: String,
    /// Set after the form is sent: the same sentence for every address.
    sent: bool,
    email: Field,
}

/// `GET /password/forgot`.
pub async fn show_forgot(
    Extension(nonce): Extension<CspNonce>,
    Extension(token): Extension<FormToken>,
) -> Result<Html<String>, WebError> {
    render(ForgotPage {
        layout: Layout::new(nonce),
        csrf: token.0,
        sent: false,
        email: Field::default(),
    })
}

#[derive(Debug, Default, Deserialize)]
pub struct ForgotForm {
    #[serde(default)]
    email: String,
}

fn email_key(email: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(&Sha256::digest(email.trim().to_lowercase().as_bytes())[..12])
}

/// `POST /password/forgot`: mails a link if the address has an account; the page says the
/// same either way, so it tells nobody which addresses have one.
pub async fn forgot(
    State(state): State<AppState>,
    Extension(nonce): Extension<CspNonce>,
    Extension(token): Extension<FormToken>,
    ip: ClientIp,
    headers: HeaderMap,
    CsrfForm(form): CsrfForm<ForgotForm>,
) -> Result<Html<String>, WebError> {
    enforce_limit(&state, limits::RESET_PER_IP, &ip.key()).await?;
    // Over the per-address limit the page answers as usual and sends nothing more: the
    // person asking already has several links in their inbox.
    let within = enforce_limit(&state, limits::RESET_PER_EMAIL, &email_key(&form.email))
        .await
        .is_ok();
    if within {
        let base = mail_base_url(&state, &headers);
        accounts::request_password_reset(&state.services, &form.email, &base)
            .await
            .map_err(account_error)?;
    }
    render(ForgotPage {
        layout: Layout::new(nonce),
        csrf: token.0,
        sent: true,
        email: Field::with_value(&form.email),
    })
}

fn account_error(e: AccountError) -> WebError {
    match e {
        AccountError::Store(s) => WebError::from(s),
        AccountError::LinkInvalid => WebError::Rejected {
            status: StatusCode::GONE,
            code: "link_invalid",
            message: Catalog::current().get("reset.link_invalid").to_owned(),
        },
        other => WebError::internal(other),
    }
}

#[derive(Template)]
#[template(path = "password_reset.html")]
struct ResetPage {
    layout: Layout,
    csrf: String,
    token: String,
    /// The link no longer works: the page offers a new one instead of the form.
    invalid: bool,
    new_password: Field,
    confirm_password: Field,
}

fn plausible(token: &str) -> bool {
    (20..=64).contains(&token.len())
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// `GET /password/reset/{token}`: the form, or why the link no longer works.
pub async fn show_reset(
    State(state): State<AppState>,
    Extension(nonce): Extension<CspNonce>,
    Extension(form_token): Extension<FormToken>,
    Path(token): Path<String>,
) -> Result<Response, WebError> {
    let works = plausible(&token)
        && accounts::reset_link_works(&state.services, &token)
            .await
            .map_err(account_error)?;
    let page = ResetPage {
        layout: Layout::new(nonce),
        csrf: form_token.0,
        token: if works { token } else { String::new() },
        invalid: !works,
        new_password: Field::default(),
        confirm_password: Field::default(),
    };
    let status = if works {
        StatusCode::OK
    } else {
        StatusCode::GONE
    };
    Ok((status, render(page)?).into_response())
}

#[derive(Debug, Default, Deserialize)]
pub struct ResetForm {
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    confirm_password: String,
}

/// `POST /password/reset/{token}`: sets the password, ends every session, then the login form.
pub async fn reset(
    State(state): State<AppState>,
    Extension(nonce): Extension<CspNonce>,
    Extension(form_token): Extension<FormToken>,
    ip: ClientIp,
    Path(token): Path<String>,
    CsrfForm(form): CsrfForm<ResetForm>,
) -> Result<Response, WebError> {
    enforce_limit(&state, limits::RESET_PER_IP, &ip.key()).await?;
    if !plausible(&token) {
        return Err(account_error(AccountError::LinkInvalid));
    }
    match accounts::reset_password(
        &state.services,
        &token,
        &form.new_password,
        &form.confirm_password,
    )
    .await
    {
        Ok(_) => Ok(Redirect::to("/login?reset=1").into_response()),
        Err(AccountError::Invalid(problems)) => {
            let t = Catalog::current();
            let mut p = ResetPage {
                layout: Layout::new(nonce),
                csrf: form_token.0,
                token,
                invalid: false,
                new_password: Field::default(),
                confirm_password: Field::default(),
            };
            for (name, problem) in &problems {
                let msg = field_message(t, problem);
                match *name {
                    "new_password" => p.new_password.error = msg,
                    _ => p.confirm_password.error = msg,
                }
            }
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(p)?).into_response())
        }
        Err(AccountError::LinkInvalid) => {
            let p = ResetPage {
                layout: Layout::new(nonce),
                csrf: form_token.0,
                token: String::new(),
                invalid: true,
                new_password: Field::default(),
                confirm_password: Field::default(),
            };
            Ok((StatusCode::GONE, render(p)?).into_response())
        }
        Err(e) => Err(account_error(e)),
    }
}

#[derive(Template)]
#[template(path = "verified.html")]
struct VerifiedPage {
    layout: Layout,
    ok: bool,
}

/// `GET /verify/{token}`: the link in the verification mail.
pub async fn verify(
    State(state): State<AppState>,
    Extension(nonce): Extension<CspNonce>,
    headers: HeaderMap,
    Path(token): Path<String>,
) -> Result<Response, WebError> {
    let ok = plausible(&token)
        && match accounts::verify_email(&state.services, &token, &mail_base_url(&state, &headers))
            .await
        {
            Ok(_) => true,
            Err(AccountError::LinkInvalid) => false,
            Err(e) => return Err(account_error(e)),
        };
    let status = if ok { StatusCode::OK } else { StatusCode::GONE };
    Ok((
        status,
        render(VerifiedPage {
            layout: Layout::new(nonce),
            ok,
        })?,
    )
        .into_response())
}

#[derive(Debug, Default, Deserialize)]
pub struct ResendForm {}

/// `POST /account/verify/resend`: the banner's "send the link again".
pub async fn resend_verification(
    State(state): State<AppState>,
    member: CurrentMember,
    headers: HeaderMap,
    CsrfForm(_): CsrfForm<ResendForm>,
) -> Result<Response, WebError> {
    enforce_limit(
        &state,
        limits::VERIFY_RESEND_PER_USER,
        &member.user.id.to_string(),
    )
    .await?;
    accounts::resend_verification(
        &state.services,
        &member.user,
        &member.tenant,
        &mail_base_url(&state, &headers),
    )
    .await
    .map_err(account_error)?;
    Ok(Redirect::to("/account?done=verify_sent").into_response())
}

//! The account page: name, password, and the list of sessions with "log out other sessions".

use askama::Template;
use axum::Extension;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use service::accounts::{self, AccountError, PasswordChange};

use crate::auth::{CsrfForm, CurrentMember};
use crate::extract::Query;
use crate::i18n::Catalog;
use crate::messages::field_message;
use crate::pages::{Field, Layout};
use crate::security::CspNonce;
use crate::{AppState, WebError};

/// One row of the sessions list.
#[derive(Debug)]
struct SessionRow {
    device: String,
    seen: String,
    current: bool,
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    layout: Layout,
    csrf: String,
    email: String,
    notice: String,
    name: Field,
    new_email: Field,
    email_password: Field,
    current_password: Field,
    new_password: Field,
    confirm_password: Field,
    sessions: Vec<SessionRow>,
}

#[derive(Debug, Default, Deserialize)]
pub struct AccountQuery {
    /// What was just done (`name`, `password`, `sessions`), to confirm it.
    done: Option<String>,
    /// How many sessions ended.
    ended: Option<u64>,
}

async fn page(
    state: &AppState,
    nonce: CspNonce,
    member: &CurrentMember,
    notice: String,
) -> Result<AccountPage, WebError> {
    let t = Catalog::current();
    let now = state.services.now();
    let list = state
        .services
        .sessions
        .list_for_user(member.user.id, now)
        .await?;
    let sessions = list
        .into_iter()
        .map(|s| {
            let ago = (now - s.last_seen_at).num_seconds();
            SessionRow {
                device: if s.user_agent.is_empty() {
                    t.get("account.unknown_device").to_owned()
                } else {
                    s.user_agent.clone()
                },
                seen: if ago < 120 {
                    t.get("account.active_now").to_owned()
                } else {
                    t.get("account.last_seen")
                        .replace("{date}", &t.date("utc", &s.last_seen_at))
                },
                current: s.id_hash == member.session.id_hash,
            }
        })
        .collect();
    Ok(AccountPage {
        layout: Layout::for_member(nonce, member, "account"),
        csrf: member.session.csrf_token.clone(),
        email: member.user.email.as_str().to_owned(),
        notice,
        name: Field::with_value(member.user.name.as_str()),
        new_email: Field::default(),
        email_password: Field::default(),
        current_password: Field::default(),
        new_password: Field::default(),
        confirm_password: Field::default(),
        sessions,
    })
}

fn render(p: AccountPage) -> Result<Html<String>, WebError> {
    Ok(Html(p.render().map_err(WebError::internal)?))
}

/// `GET /account`.
pub async fn show_account(
    State(state): State<AppState>,
    Extension(nonce): Extension<CspNonce>,
    member: CurrentMember,
    Query(q): Query<AccountQuery>,
) -> Result<Html<String>, WebError> {
    let t = Catalog::current();
    let notice = match q.done.as_deref() {
        Some("name") => t.get("account.name_saved").to_owned(),
        Some("password") => t
            .get("account.password_changed")
            .replace("{n}", &q.ended.unwrap_or(0).to_string()),
        Some("email") => t
            .get("account.email_changed")
            .replace("{email}", member.user.email.as_str()),
        Some("verify_sent") => t
            .get("verify.sent")
            .replace("{email}", member.user.email.as_str()),
        Some("sessions") => t
            .get("account.others_logged_out")
            .replace("{n}", &q.ended.unwrap_or(0).to_string()),
        _ => String::new(),
    };
    render(page(&state, nonce, &member, notice).await?)
}

#[derive(Debug, Default, Deserialize)]
pub struct NameForm {
    #[serde(default)]
    name: String,
}

/// `POST /account/name`.
pub async fn change_name(
    State(state): State<AppState>,
    Extension(nonce): Extension<CspNonce>,
    member: CurrentMember,
    CsrfForm(form): CsrfForm<NameForm>,
) -> Result<Response, WebError> {
    match accounts::change_name(
        &state.services,
        &member.session,
        &form.name,
        state.services.now(),
    )
    .await
    {
        Ok(_) => Ok(Redirect::to("/account?done=name").into_response()),
        Err(AccountError::Invalid(problems)) => {
            let mut p = page(&state, nonce, &member, String::new()).await?;
            p.name = Field::with_value(&form.name);
            if let Some((_, problem)) = problems.first() {
                p.name.error = field_message(Catalog::current(), problem);
            }
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(p)?).into_response())
        }
        Err(e) => Err(WebError::internal(e)),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct EmailForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    email_password: String,
}

/// `POST /account/email`: checks the password, changes the address and mails a link to the
/// new one (unverified until it is followed).
pub async fn change_email(
    State(state): State<AppState>,
    Extension(nonce): Extension<CspNonce>,
    member: CurrentMember,
    headers: axum::http::HeaderMap,
    CsrfForm(form): CsrfForm<EmailForm>,
) -> Result<Response, WebError> {
    match accounts::change_email(
        &state.services,
        &member.user,
        &member.tenant,
        &form.email,
        &form.email_password,
        &crate::links::mail_base_url(&state, &headers),
    )
    .await
    {
        Ok(_) => Ok(Redirect::to("/account?done=email").into_response()),
        Err(AccountError::Invalid(problems)) => {
            let t = Catalog::current();
            let mut p = page(&state, nonce, &member, String::new()).await?;
            p.new_email = Field::with_value(&form.email);
            for (name, problem) in &problems {
                let msg = field_message(t, problem);
                match *name {
                    "email" => p.new_email.error = msg,
                    _ => p.email_password.error = msg,
                }
            }
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(p)?).into_response())
        }
        Err(AccountError::Store(e)) => Err(e.into()),
        Err(e) => Err(WebError::internal(e)),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    confirm_password: String,
}

/// `POST /account/password`: checks the current password, then ends every other session.
pub async fn change_password(
    State(state): State<AppState>,
    Extension(nonce): Extension<CspNonce>,
    member: CurrentMember,
    CsrfForm(form): CsrfForm<PasswordForm>,
) -> Result<Response, WebError> {
    let change = PasswordChange {
        current: &form.current_password,
        new: &form.new_password,
        confirm: &form.confirm_password,
    };
    match accounts::change_password(
        &state.services,
        &member.session,
        &change,
        state.services.now(),
    )
    .await
    {
        Ok(ended) => {
            Ok(Redirect::to(&format!("/account?done=password&ended={ended}")).into_response())
        }
        Err(AccountError::Invalid(problems)) => {
            let t = Catalog::current();
            let mut p = page(&state, nonce, &member, String::new()).await?;
            for (name, problem) in &problems {
                let msg = field_message(t, problem);
                match *name {
                    "current_password" => p.current_password.error = msg,
                    "new_password" => p.new_password.error = msg,
                    _ => p.confirm_password.error = msg,
                }
            }
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(p)?).into_response())
        }
        Err(AccountError::Store(e)) => Err(e.into()),
        Err(e) => Err(WebError::internal(e)),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct EmptyForm {}

/// `POST /account/sessions/logout-others`.
pub async fn logout_others(
    State(state): State<AppState>,
    member: CurrentMember,
    CsrfForm(_): CsrfForm<EmptyForm>,
) -> Result<Response, WebError> {
    let ended = accounts::logout_other_sessions(&state.services, &member.session).await?;
    Ok(Redirect::to(&format!("/account?done=sessions&ended={ended}")).into_response())
}

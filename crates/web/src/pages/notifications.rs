//! `/account/notifications`: each member chooses which mails they get from the organization
//! they work in (a digest of new photos, photos waiting for approval, draw results). A plain
//! form of radio buttons; the same choices are `GET`/`PUT /api/v1/me/notifications`.

use askama::Template;
use axum::Extension;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use domain::{ApprovalMails, Digest, Preferences};
use serde::Deserialize;
use service::notifications::{self, MyNotifications, PreferencesError, PreferencesInput};

use crate::auth::{CsrfForm, CurrentMember};
use crate::extract::Query;
use crate::i18n::Catalog;
use crate::pages::Layout;
use crate::security::CspNonce;
use crate::{AppState, WebError};

/// One radio button.
#[derive(Debug)]
struct Choice {
    value: &'static str,
    label: String,
    checked: bool,
}

#[derive(Template)]
#[template(path = "notifications.html")]
struct NotificationsPage {
    layout: Layout,
    csrf: String,
    org: String,
    notice: String,
    error: String,
    digest: Vec<Choice>,
    approvals: Vec<Choice>,
    draw_results: bool,
    defaults: String,
}

/// The label of a choice, with "(default)" after the role's default.
fn label(t: &Catalog, key: &str, is_default: bool) -> String {
    let label = t.get(key);
    if is_default {
        t.get("notifications.default_mark")
            .replace("{choice}", label)
    } else {
        label.to_owned()
    }
}

fn page(
    member: &CurrentMember,
    nonce: CspNonce,
    mine: &MyNotifications,
    shown: &Preferences,
    notice: String,
    error: String,
) -> NotificationsPage {
    let t = Catalog::current();
    let digest = Digest::ALL
        .into_iter()
        .map(|d| Choice {
            value: d.as_str(),
            label: label(
                t,
                &format!("notifications.digest.{}", d.as_str()),
                d == mine.defaults.digest,
            ),
            checked: d == shown.digest,
        })
        .collect();
    let approvals = ApprovalMails::ALL
        .into_iter()
        .map(|a| Choice {
            value: a.as_str(),
            label: label(
                t,
                &format!("notifications.approvals.{}", a.as_str()),
                a == mine.defaults.approvals,
            ),
            checked: a == shown.approvals,
        })
        .collect();
    NotificationsPage {
        layout: Layout::for_member(nonce, member, "account"),
        csrf: member.session.csrf_token.clone(),
        org: member.tenant.name.as_str().to_owned(),
        notice,
        error,
        digest,
        approvals,
        draw_results: shown.draw_results,
        defaults: t
            .get("notifications.defaults")
            .replace("{role}", t.get(&format!("role.{}", member.role.as_str()))),
    }
}

fn render(p: NotificationsPage) -> Result<Html<String>, WebError> {
    Ok(Html(p.render().map_err(WebError::internal)?))
}

#[derive(Debug, Default, Deserialize)]
pub struct NotificationsQuery {
    /// `saved` after a change.
    done: Option<String>,
}

/// `GET /account/notifications`.
pub async fn show_notifications(
    State(state): State<AppState>,
    Extension(nonce): Extension<CspNonce>,
    member: CurrentMember,
    Query(q): Query<NotificationsQuery>,
) -> Result<Html<String>, WebError> {
    let mine = notifications::my_preferences(&state.services, &member.ctx).await?;
    let notice = match q.done.as_deref() {
        Some("saved") => Catalog::current().get("notifications.saved").to_owned(),
        _ => String::new(),
    };
    render(page(
        &member,
        nonce,
        &mine,
        &mine.preferences,
        notice,
        String::new(),
    ))
}

/// The form: radio buttons, and a checkbox that is absent when unticked.
#[derive(Debug, Default, Deserialize)]
pub struct NotificationsForm {
    #[serde(default)]
    digest: String,
    #[serde(default)]
    approvals: String,
    #[serde(default)]
    draw_results: Option<String>,
}

/// `POST /account/notifications`.
pub async fn save_notifications(
    State(state): State<AppState>,
    Extension(nonce): Extension<CspNonce>,
    member: CurrentMember,
    CsrfForm(form): CsrfForm<NotificationsForm>,
) -> Result<Response, WebError> {
    let input = PreferencesInput {
        digest: &form.digest,
        approvals: &form.approvals,
        draw_results: form.draw_results.is_some(),
    };
    match notifications::save_preferences(&state.services, &member.ctx, input).await {
        Ok(_) => Ok(Redirect::to("/account/notifications?done=saved").into_response()),
        Err(PreferencesError::Invalid(_)) => {
            let mine = notifications::my_preferences(&state.services, &member.ctx).await?;
            let p = page(
                &member,
                nonce,
                &mine,
                &mine.preferences,
                String::new(),
                Catalog::current().get("notifications.invalid").to_owned(),
            );
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(p)?).into_response())
        }
        Err(PreferencesError::Other(e)) => Err(e.into()),
    }
}

//! `GET/PUT /api/v1/me/notifications`: the logged-in member's own mail choices in the
//! organization they work in. There is no way to name another member: the session decides.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use service::notifications::{self, PreferencesError, PreferencesInput};

use super::events::ApiJson;
use crate::auth::CurrentMember;
use crate::i18n::Catalog;
use crate::{AppState, WebError};

/// The three choices, as the API shows and takes them.
#[derive(Debug, Serialize)]
pub struct NotificationsView {
    /// `off`, `hourly` or `daily`.
    pub digest: &'static str,
    /// `off`, `at_once` or `bundled`.
    pub approvals: &'static str,
    pub draw_results: bool,
    /// What the member's role gets before they choose.
    pub defaults: DefaultsView,
}

#[derive(Debug, Serialize)]
pub struct DefaultsView {
    pub digest: &'static str,
    pub approvals: &'static str,
    pub draw_results: bool,
}

/// `PUT`'s body: every choice (a `PUT` replaces them all).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotificationsBody {
    digest: String,
    approvals: String,
    draw_results: bool,
}

fn view(mine: &notifications::MyNotifications) -> NotificationsView {
    NotificationsView {
        digest: mine.preferences.digest.as_str(),
        approvals: mine.preferences.approvals.as_str(),
        draw_results: mine.preferences.draw_results,
        defaults: DefaultsView {
            digest: mine.defaults.digest.as_str(),
            approvals: mine.defaults.approvals.as_str(),
            draw_results: mine.defaults.draw_results,
        },
    }
}

/// `GET /api/v1/me/notifications`.
pub async fn show(
    State(state): State<AppState>,
    member: CurrentMember,
) -> Result<Json<NotificationsView>, WebError> {
    let mine = notifications::my_preferences(&state.services, &member.ctx).await?;
    Ok(Json(view(&mine)))
}

/// `PUT /api/v1/me/notifications`.
pub async fn update(
    State(state): State<AppState>,
    member: CurrentMember,
    ApiJson(body): ApiJson<NotificationsBody>,
) -> Result<Json<NotificationsView>, WebError> {
    let input = PreferencesInput {
        digest: &body.digest,
        approvals: &body.approvals,
        draw_results: body.draw_results,
    };
    match notifications::save_preferences(&state.services, &member.ctx, input).await {
        Ok(_) => {}
        Err(PreferencesError::Invalid(problems)) => {
            let t = Catalog::current();
            return Err(WebError::Invalid {
                fields: problems
                    .into_iter()
                    .map(|(field, _)| {
                        (
                            field,
                            t.get(&format!("notifications.invalid_{field}")).to_owned(),
                        )
                    })
                    .collect(),
            });
        }
        Err(PreferencesError::Other(e)) => return Err(e.into()),
    }
    let mine = notifications::my_preferences(&state.services, &member.ctx).await?;
    Ok(Json(view(&mine)))
}

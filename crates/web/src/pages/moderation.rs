//! The moderation page of an event: the approval queue (one by one or in bulk), the photos
//! taken out (rejected or hidden) with undo, and the log of who did what when.

use askama::Template;
use axum::Extension;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Redirect, Response};
use domain::{ModerationAction, PhotoId};
use service::moderation;

use crate::auth::{CsrfForm, CurrentMember};
use crate::extract::Path;
use crate::i18n::Catalog;
use crate::pages::Layout;
use crate::params::parse_id;
use crate::security::CspNonce;
use crate::views::{Tile, tile};
use crate::{AppState, WebError};

/// The catalogue key of an audit action: `photo.approve` → `approve`, `guest.block` → `block`.
pub fn log_key(action: &str) -> &str {
    action.split_once('.').map_or(action, |(_, k)| k)
}

/// One line of the moderation log.
#[derive(Debug)]
pub struct LogLine {
    pub when: String,
    pub who: String,
    pub what: String,
}

#[derive(Template)]
#[template(path = "event_moderation.html")]
struct ModerationPage {
    layout: Layout,
    csrf: String,
    id: String,
    name: String,
    pending: Vec<Tile>,
    removed: Vec<Tile>,
    reported: Vec<(Tile, i64, String)>,
    log: Vec<LogLine>,
    notice: String,
    holds: bool,
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct Params {
    done: Option<usize>,
    blocked: Option<u32>,
}

/// `GET /app/events/{id}/moderation`.
pub async fn show(
    State(state): State<AppState>,
    Extension(nonce): Extension<CspNonce>,
    member: CurrentMember,
    Path(id): Path<String>,
    crate::extract::Query(p): crate::extract::Query<Params>,
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
    let view = moderation::moderation_view(&state.services, &member.ctx, event).await?;
    let e = &view.event;
    let now = member.ctx.now;
    let log = view
        .log
        .iter()
        .map(|line| {
            let entry = &line.entry;
            LogLine {
                when: t.date("day_time", &entry.created_at.with_timezone(&e.time_zone.0)),
                who: line.actor_name.clone().unwrap_or_else(|| {
                    if entry.action == "photo.held" {
                        t.get("moderation.by_reports").to_owned()
                    } else {
                        t.get("moderation.by_guest").to_owned()
                    }
                }),
                what: t
                    .get(&format!("moderation.log.{}", log_key(&entry.action)))
                    .replace(
                        "{uploader}",
                        entry.details["uploader"].as_str().unwrap_or_default(),
                    ),
            }
        })
        .collect();
    let notice = match (p.done, p.blocked) {
        (_, Some(_)) => t.get("moderation.blocked").to_owned(),
        (Some(n), _) => t.get("moderation.done").replace("{n}", &n.to_string()),
        _ => String::new(),
    };
    render(ModerationPage {
        layout: Layout::for_member(nonce, &member, "events").with_live(live),
        csrf: member.session.csrf_token.clone(),
        id: e.id.to_string(),
        name: e.name.clone(),
        pending: view
            .pending
            .iter()
            .map(|ph| tile(&state, t, ph, now))
            .collect(),
        removed: view
            .removed
            .iter()
            .map(|ph| tile(&state, t, ph, now))
            .collect(),
        reported: view
            .reported
            .iter()
            .map(|r| {
                let reasons = r
                    .reasons
                    .iter()
                    .map(|s| format!("“{s}”"))
                    .collect::<Vec<_>>()
                    .join(" ");
                (tile(&state, t, &r.photo, now), r.count, reasons)
            })
            .collect(),
        log,
        notice,
        holds: e.settings.moderation == domain::Moderation::Approve,
    })
}

fn render(t: impl Template) -> Result<Html<String>, WebError> {
    Ok(Html(t.render().map_err(WebError::internal)?))
}

/// `POST /app/events/{id}/moderation/{photo}/{action}`: one photo's button.
pub async fn act_one(
    State(state): State<AppState>,
    member: CurrentMember,
    Path((id, photo, action)): Path<(String, String, String)>,
    CsrfForm(_): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let event = parse_id(&id)?;
    let action = ModerationAction::parse(&action).ok_or(WebError::NotFound)?;
    let photo: PhotoId = photo.parse().map_err(|_| WebError::NotFound)?;
    let n = moderation::moderate(&state.services, &member.ctx, event, &[photo], action).await?;
    Ok(Redirect::to(&format!("/app/events/{event}/moderation?done={n}")).into_response())
}

/// `POST /app/events/{id}/moderation`: `action` (approve, reject, hide, restore) and one or
/// more `photo` ids; `back` says which page to return to.
pub async fn act(
    State(state): State<AppState>,
    member: CurrentMember,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let t = Catalog::current();
    let event = parse_id(&id)?;
    let value = |k: &str| form.iter().find(|(f, _)| f == k).map(|(_, v)| v.as_str());
    let action = value("action")
        .and_then(ModerationAction::parse)
        .ok_or_else(|| WebError::BadRequest(t.get("moderation.bad_action").to_owned()))?;
    let photos: Vec<PhotoId> = form
        .iter()
        .filter(|(k, _)| k == "photo")
        .filter_map(|(_, v)| v.parse().ok())
        .collect();
    if photos.is_empty() {
        return Err(WebError::BadRequest(
            t.get("moderation.none_selected").to_owned(),
        ));
    }
    let n = moderation::moderate(&state.services, &member.ctx, event, &photos, action).await?;
    let back = match value("back") {
        Some("photos") => format!("/app/events/{event}/photos"),
        _ => format!("/app/events/{event}/moderation?done={n}"),
    };
    Ok(Redirect::to(&back).into_response())
}

#[derive(Template)]
#[template(path = "photo_delete.html")]
struct DeletePage {
    layout: Layout,
    csrf: String,
    event_id: String,
    name: String,
    tile: Tile,
}

/// `GET /app/events/{id}/photos/{photo}/delete`: "delete for good?" with the photo shown.
pub async fn confirm_delete(
    State(state): State<AppState>,
    Extension(nonce): Extension<CspNonce>,
    member: CurrentMember,
    Path((id, photo)): Path<(String, String)>,
) -> Result<Html<String>, WebError> {
    let t = Catalog::current();
    let e = service::events::get_event(&state.services, &member.ctx, parse_id(&id)?).await?;
    let photo: PhotoId = photo.parse().map_err(|_| WebError::NotFound)?;
    let (p, _) = service::photos::photo_of(&state.services, &member.ctx, &e, photo).await?;
    render(DeletePage {
        layout: Layout::for_member(nonce, &member, "events"),
        csrf: member.session.csrf_token.clone(),
        event_id: e.id.to_string(),
        name: e.name.clone(),
        tile: tile(&state, t, &p, member.ctx.now),
    })
}

/// `POST /app/events/{id}/photos/{photo}/delete`: deletes the photo and its files.
pub async fn delete(
    State(state): State<AppState>,
    member: CurrentMember,
    Path((id, photo)): Path<(String, String)>,
    CsrfForm(_): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let event = parse_id(&id)?;
    let photo: PhotoId = photo.parse().map_err(|_| WebError::NotFound)?;
    moderation::delete_photo(&state.services, &member.ctx, event, photo).await?;
    Ok(Redirect::to(&format!("/app/events/{event}/photos?deleted=1")).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The actions the log can show (every one has a message; a test checks).
    const LOGGED: [&str; 12] = [
        "photo.caption",
        "photo.edit",
        "photo.delete_own",
        "photo.approve",
        "photo.reject",
        "photo.hide",
        "photo.restore",
        "photo.keep",
        "photo.delete",
        "photo.held",
        "guest.block",
        "guest.unblock",
    ];

    #[test]
    fn every_logged_action_has_a_message() {
        let t = Catalog::current();
        for a in LOGGED {
            assert!(t.contains(&format!("moderation.log.{}", log_key(a))), "{a}");
        }
        for a in ["approve", "reject", "hide", "restore", "keep"] {
            let action = ModerationAction::parse(a).expect("an action");
            assert!(LOGGED.contains(&format!("photo.{}", action.as_str()).as_str()));
        }
    }
}

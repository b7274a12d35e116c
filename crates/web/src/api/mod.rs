//! The JSON API under `/api/v1`: the same use cases as the pages, for scripts and apps. Errors
//! are `{"error":{"code","message"}}` with stable codes; no session → 401 `unauthorized`.

use axum::Json;
use axum::Router;
use axum::routing::{get, post};

use crate::AppState;
use crate::auth::CurrentMember;

mod draws;
mod events;
mod guests;
mod notifications;
mod organization;
mod photos;
pub mod views;
mod walls;

use views::{MeOrganization, MeSession, MeUser, MeView};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/me", get(show_me))
        .route(
            "/api/v1/me/notifications",
            get(notifications::show).put(notifications::update),
        )
        .route(
            "/api/v1/organization",
            get(organization::api_show).patch(organization::api_update),
        )
        .route("/api/v1/events", get(events::list).post(events::create))
        .route(
            "/api/v1/events/{id}",
            get(events::show).patch(events::update),
        )
        .route("/api/v1/events/{id}/status", post(events::transition))
        .route("/api/v1/events/{id}/join-link", post(events::rotate))
        .route(
            "/api/v1/events/{id}/photos",
            get(photos::list)
                .post(photos::upload)
                .layer(axum::extract::DefaultBodyLimit::disable()),
        )
        .route("/api/v1/events/{id}/guests", get(guests::list))
        .route(
            "/api/v1/events/{id}/walls",
            get(walls::list).post(walls::create),
        )
        .route("/api/v1/events/{id}/walls/blank", post(walls::blank))
        .route(
            "/api/v1/events/{id}/draws",
            get(draws::list).post(draws::create),
        )
        .route(
            "/api/v1/events/{id}/draws/{draw}",
            get(draws::show).patch(draws::update).delete(draws::delete),
        )
        .route(
            "/api/v1/events/{id}/draws/{draw}/participants",
            get(draws::participants),
        )
        .route(
            "/api/v1/events/{id}/draws/{draw}/walk-ins",
            post(draws::add_walk_in),
        )
        .route(
            "/api/v1/events/{id}/draws/{draw}/walk-ins/{entry}",
            axum::routing::delete(draws::remove_walk_in),
        )
        .route(
            "/api/v1/events/{id}/draws/{draw}/exclusions/{guest}",
            axum::routing::put(draws::exclude).delete(draws::exclude),
        )
        .route("/api/v1/events/{id}/draws/{draw}/close", post(draws::close))
        .route(
            "/api/v1/events/{id}/draws/{draw}/phrase",
            post(draws::phrase),
        )
        .route("/api/v1/events/{id}/draws/{draw}/next", post(draws::next))
        .route(
            "/api/v1/events/{id}/draws/{draw}/picks/{seq}/outcome",
            post(draws::outcome),
        )
        .route(
            "/api/v1/events/{id}/draws/{draw}/finish",
            post(draws::finish),
        )
        .route("/api/v1/events/{id}/draws/{draw}/state", get(draws::state))
        .route(
            "/api/v1/events/{id}/walls/{wall}",
            axum::routing::patch(walls::update).delete(walls::revoke),
        )
        .route(
            "/api/v1/events/{id}/walls/{wall}/link",
            post(walls::replace_link),
        )
        .route(
            "/api/v1/events/{id}/photos/{photo}/wall",
            post(walls::photo_on_wall),
        )
        .route("/api/v1/events/{id}/guests/{guest}", get(guests::show))
        .route(
            "/api/v1/events/{id}/guests/{guest}/block",
            post(guests::block),
        )
        .route(
            "/api/v1/events/{id}/guests/{guest}/unblock",
            post(guests::unblock),
        )
        .route(
            "/api/v1/photos/{id}",
            get(photos::show).patch(photos::update),
        )
        .route("/api/v1/events/{id}/{file}", get(events::qr))
}

/// `GET /api/v1/me`: who is logged in, in which organization, with which role.
async fn show_me(member: CurrentMember) -> Json<MeView> {
    Json(MeView {
        user: MeUser {
            id: member.user.id,
            name: member.user.name.as_str().to_owned(),
            email: member.user.email.as_str().to_owned(),
        },
        organization: MeOrganization {
            id: member.tenant.id,
            name: member.tenant.name.as_str().to_owned(),
        },
        role: member.role.as_str(),
        session: MeSession {
            expires_at: member.session.expires_at,
        },
    })
}

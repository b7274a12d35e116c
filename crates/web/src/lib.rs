//! The HTTP face of Momentique: the axum router, its middleware, server-rendered pages, the
//! JSON API, and the static assets embedded in the binary.
//!
//! A request passes, outermost first: [`observe`] (request id, one log line, metrics) →
//! [`security`] (CSP nonce, security headers, `no-store`) → [`error::render_errors`] (turns an
//! error into an HTML page or a JSON envelope) → [`security::check_host`] (refuses a `Host`
//! that is no host name) → [`auth::check_origin`] (refuses cross-site
//! state-changing requests) → [`auth::sessions`] (the session cookie) → the route's handler.

mod api;
pub mod assets;
pub mod auth;
pub mod error;
pub mod extract;
mod health;
pub mod i18n;
mod links;
mod messages;
pub mod metrics;
mod observe;
mod pages;
mod params;
pub mod security;
mod state;
mod views;
pub mod ws;

use axum::Router;
use axum::routing::{get, post};

pub use error::WebError;
pub use metrics::Metrics;
/// Streamed ZIP archives (also used by `momentique bench zip`).
pub use pages::zip;
pub use state::{AppState, WebConfig};

/// The whole application as one router.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(pages::home::show_home))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(health::metrics))
        .route("/static/{file}", get(assets::serve_asset))
        .route(
            "/register",
            get(pages::auth::show_register).post(pages::auth::register),
        )
        .route(
            "/login",
            get(pages::auth::show_login).post(pages::auth::login),
        )
        .route(
            "/login/code",
            get(pages::two_factor::show_login_code).post(pages::two_factor::login_code),
        )
        .route("/logout", post(pages::auth::logout))
        .route(
            "/password/forgot",
            get(pages::password::show_forgot).post(pages::password::forgot),
        )
        .route(
            "/password/reset/{token}",
            get(pages::password::show_reset).post(pages::password::reset),
        )
        .route("/verify/{token}", get(pages::password::verify))
        .route(
            "/account/verify/resend",
            post(pages::password::resend_verification),
        )
        .route("/members", get(pages::team::show_members))
        .route("/activity", get(pages::activity::show_activity))
        .route("/usage", get(pages::usage::show_usage))
        .route("/members/invite", post(pages::team::invite))
        .route("/members/{user}/role", post(pages::team::change_role))
        .route("/members/{user}/deactivate", post(pages::team::deactivate))
        .route("/members/{user}/reactivate", post(pages::team::reactivate))
        .route("/members/{user}/remove", post(pages::team::remove))
        .route(
            "/members/{user}/two-factor/reset",
            post(pages::two_factor::reset_member),
        )
        .route("/members/two-factor", post(pages::two_factor::set_required))
        .route(
            "/members/invitations/{id}/resend",
            post(pages::team::resend),
        )
        .route(
            "/members/invitations/{id}/revoke",
            post(pages::team::revoke),
        )
        .route(
            "/settings",
            get(pages::settings::show_settings).post(pages::settings::save_settings),
        )
        .route(
            "/settings/logo",
            post(pages::settings::upload_logo)
                // The handler counts the logo's bytes and refuses a big file with a message
                // before this limit (the form's other fields get 64 KiB) is reached.
                .layer(axum::extract::DefaultBodyLimit::max(
                    domain::org_settings::LOGO_MAX_BYTES + 64 * 1024,
                )),
        )
        .route("/settings/logo/remove", post(pages::settings::remove_logo))
        .route("/o/{org}/brand.css", get(pages::settings::serve_brand_css))
        .route("/o/{org}/logo.webp", get(pages::settings::serve_logo))
        .route("/orgs", get(pages::team::show_organizations))
        .route("/orgs/switch", post(pages::team::switch_organization))
        .route("/invitations/{token}", get(pages::team::show_invitation))
        .route(
            "/invitations/{token}/signup",
            post(pages::team::accept_signup),
        )
        .route("/invitations/{token}/join", post(pages::team::accept_join))
        .route("/app", get(pages::dashboard::show_dashboard))
        .route("/account", get(pages::account::show_account))
        .route("/account/name", post(pages::account::change_name))
        .route("/account/email", post(pages::account::change_email))
        .route("/account/password", post(pages::account::change_password))
        .route("/account/two-factor", get(pages::two_factor::show))
        .route("/account/two-factor/setup", post(pages::two_factor::setup))
        .route(
            "/account/two-factor/confirm",
            post(pages::two_factor::confirm),
        )
        .route(
            "/account/two-factor/disable",
            post(pages::two_factor::disable),
        )
        .route(
            "/account/two-factor/recovery-codes",
            post(pages::two_factor::new_codes),
        )
        .route(
            "/account/notifications",
            get(pages::notifications::show_notifications)
                .post(pages::notifications::save_notifications),
        )
        .route(
            "/account/sessions/logout-others",
            post(pages::account::logout_others),
        )
        .route("/app/events", get(pages::events::list_events))
        .route(
            "/app/events/new",
            get(pages::events::new_event).post(pages::events::create_event),
        )
        .route("/app/events/{id}", get(pages::events::show_event))
        .route(
            "/app/events/{id}/edit",
            get(pages::events::edit_event).post(pages::events::update_event),
        )
        .route(
            "/app/events/{id}/status",
            get(pages::events::confirm_status).post(pages::events::change_status),
        )
        .route(
            "/app/events/{id}/rotate-link",
            get(pages::events::confirm_rotate).post(pages::events::rotate_link),
        )
        .route("/app/events/{id}/poster", get(pages::events::poster))
        .route(
            "/app/events/{id}/photos",
            get(pages::photos::show_photos)
                .post(pages::photos::upload_form)
                .layer(axum::extract::DefaultBodyLimit::disable()),
        )
        .route("/media/{*key}", get(pages::photos::serve_media))
        .route(
            "/app/events/{id}/download.zip",
            get(pages::photos::download_zip),
        )
        .route("/g/{event}/download.zip", get(pages::guest::download_zip))
        .route("/app/events/{id}/cover", post(pages::photos::set_cover))
        .route("/app/events/{id}/photos/bulk", post(pages::photos::bulk))
        .route(
            "/app/events/{id}/photos/delete",
            post(pages::photos::delete_selected),
        )
        .route(
            "/app/events/{id}/photos/{photo}/react",
            post(pages::photos::react),
        )
        .route(
            "/app/events/{id}/moderation",
            get(pages::moderation::show).post(pages::moderation::act),
        )
        .route(
            "/app/events/{id}/photos/{photo}/delete",
            get(pages::moderation::confirm_delete).post(pages::moderation::delete),
        )
        .route(
            "/app/events/{id}/moderation/{photo}/{action}",
            post(pages::moderation::act_one),
        )
        .route(
            "/app/events/{id}/photos/{photo}/edit",
            get(pages::captions::edit_form).post(pages::captions::edit_save),
        )
        .route(
            "/g/{event}/photos/{id}/caption",
            post(pages::captions::guest_set),
        )
        .route("/app/events/{id}/{file}", get(pages::events::qr_image))
        .route("/j", get(pages::guest::type_code))
        .route(
            "/j/{token}",
            get(pages::guest::join).post(pages::guest::join_submit),
        )
        .route("/g/{event}", get(pages::guest::show))
        .route(
            "/g/{event}/photos",
            post(pages::guest::upload).layer(axum::extract::DefaultBodyLimit::disable()),
        )
        .route("/g/{event}/photos/{id}", get(pages::guest::photo_status))
        .route("/g/{event}/gallery", get(pages::guest::gallery))
        .route("/g/{event}/uploads", post(pages::guest::resumable_create))
        .route(
            "/g/{event}/uploads/{id}",
            get(pages::guest::resumable_status)
                .patch(pages::guest::resumable_append)
                .layer(axum::extract::DefaultBodyLimit::disable()),
        )
        .route("/g/{event}/photos/{id}/react", post(pages::guest::react))
        .route(
            "/g/{event}/photos/{id}/view",
            get(pages::guest::photo_page).post(pages::guest::view),
        )
        .route(
            "/g/{event}/photos/{id}/delete",
            get(pages::guest::confirm_delete_own).post(pages::guest::delete_own),
        )
        .route(
            "/g/{event}/photos/{id}/report",
            get(pages::guest::report_form).post(pages::guest::report),
        )
        .route(
            "/app/events/{id}/guests",
            get(pages::guest_admin::list_guests),
        )
        .route(
            "/app/events/{id}/guests/{guest}/block",
            get(pages::guest_admin::confirm_block).post(pages::guest_admin::block_guest),
        )
        .route(
            "/app/events/{id}/guests/{guest}/unblock",
            post(pages::guest_admin::unblock_guest),
        )
        .route(
            "/g/{event}/photos/{id}/download",
            get(pages::guest::download),
        )
        .route("/app/events/{id}/live", get(pages::live::member_socket))
        .route("/app/events/{id}/feed", get(pages::live::member_feed))
        .route("/g/{event}/live", get(pages::live::guest_socket))
        .route("/g/{event}/feed", get(pages::live::guest_feed))
        .route(
            "/app/events/{id}/walls",
            get(pages::walls::show_walls).post(pages::walls::create_wall),
        )
        .route(
            "/app/events/{id}/walls/blank",
            post(pages::walls::blank_walls),
        )
        .route(
            "/app/events/{id}/walls/{wall}",
            post(pages::walls::update_wall),
        )
        .route(
            "/app/events/{id}/walls/{wall}/replace",
            post(pages::walls::replace_link),
        )
        .route(
            "/app/events/{id}/walls/{wall}/revoke",
            post(pages::walls::revoke_wall),
        )
        .route(
            "/app/events/{id}/photos/{photo}/wall",
            post(pages::walls::photo_wall),
        )
        .route("/w/{token}", get(pages::walls::show_wall))
        .route("/w/{token}/live", get(pages::live::wall_socket))
        .route("/w/{token}/feed", get(pages::live::wall_feed))
        .route("/w/{token}/showing", post(pages::live::wall_showing))
        .route("/w/{token}/photos", get(pages::walls::wall_photos))
        .route("/w/{token}/qr.svg", get(pages::walls::wall_qr))
        .route("/w/{token}/draws/{draw}", get(pages::draws::wall_show))
        .route(
            "/w/{token}/draws/{draw}/state.json",
            get(pages::draws::wall_state),
        )
        .route(
            "/app/events/{id}/draws",
            get(pages::draws::show_draws).post(pages::draws::create_draw),
        )
        .route(
            "/app/events/{id}/draws/{draw}",
            get(pages::draws::show_draw).post(pages::draws::update_draw),
        )
        .route(
            "/app/events/{id}/draws/{draw}/delete",
            post(pages::draws::delete_draw),
        )
        .route(
            "/app/events/{id}/draws/{draw}/walk-ins",
            post(pages::draws::add_walk_in),
        )
        .route(
            "/app/events/{id}/draws/{draw}/walk-ins/{entry}/remove",
            post(pages::draws::remove_walk_in),
        )
        .route(
            "/app/events/{id}/draws/{draw}/exclude",
            post(pages::draws::exclude),
        )
        .route(
            "/app/events/{id}/draws/{draw}/close",
            post(pages::draws::close_draw),
        )
        .route(
            "/app/events/{id}/draws/{draw}/phrase",
            post(pages::draws::set_phrase),
        )
        .route(
            "/app/events/{id}/draws/{draw}/next",
            post(pages::draws::draw_next),
        )
        .route(
            "/app/events/{id}/draws/{draw}/mark",
            post(pages::draws::mark),
        )
        .route(
            "/app/events/{id}/draws/{draw}/finish",
            post(pages::draws::finish),
        )
        .route(
            "/app/events/{id}/draws/{draw}/show",
            get(pages::draws::member_show),
        )
        .route(
            "/app/events/{id}/draws/{draw}/remote",
            get(pages::draws::remote),
        )
        .route(
            "/app/events/{id}/draws/{draw}/state.json",
            get(pages::draws::member_state),
        )
        .route(
            "/app/events/{id}/draws/{draw}/participants.csv",
            get(pages::draws::participants_csv),
        )
        .route(
            "/app/events/{id}/draws/{draw}/results.csv",
            get(pages::draws::results_csv),
        )
        .route("/d/{org}/{draw}", get(pages::draws::public_page))
        .route(
            "/d/{org}/{draw}/export.json",
            get(pages::draws::public_export),
        )
        .merge(api::routes())
        .fallback(error::not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::sessions,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::check_origin,
        ))
        .layer(axum::middleware::from_fn(security::check_host))
        .layer(axum::middleware::from_fn(error::render_errors))
        .layer(axum::middleware::from_fn(i18n::choose_locale))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            security::security_headers,
        ))
        // Text answers go out compressed (gzip or brotli, as the browser accepts); photos are
        // already compressed and the predicate leaves images alone.
        // At the fastest level: measured on the gallery page (80 KB of HTML), brotli's
        // default (quality 4) cost 1.25 ms of CPU per answer and gzip's 0.6 ms, more than
        // the rest of the request; the fastest levels keep most of the saving.
        .layer(
            tower_http::compression::CompressionLayer::new()
                .quality(tower_http::CompressionLevel::Fastest)
                .compress_when({
                    use tower_http::compression::predicate::{
                        DefaultPredicate, NotForContentType, Predicate,
                    };
                    DefaultPredicate::new().and(NotForContentType::const_new("application/zip"))
                }),
        )
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            observe::observe,
        ))
        .with_state(state)
}

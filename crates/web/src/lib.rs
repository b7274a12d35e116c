//! The HTTP face of Momentique: the axum router, its middleware, server-rendered pages, the
//! JSON API, and the static assets embedded in the binary.
//!
//! A request passes, outermost first: [`observe`] (request id, one log line, metrics) →
//! [`security`] (CSP nonce and security headers) → [`error::render_errors`] (turns an error
//! into an HTML page or a JSON envelope) → the route's handler.

pub mod assets;
pub mod error;
mod health;
pub mod i18n;
pub mod metrics;
mod observe;
mod pages;
pub mod security;
mod state;

use axum::Router;
use axum::routing::get;

pub use error::WebError;
pub use metrics::Metrics;
pub use state::{AppState, WebConfig};

/// The whole application as one router.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(pages::home::show_home))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(health::metrics))
        .route("/static/{file}", get(assets::serve_asset))
        .fallback(error::not_found)
        .layer(axum::middleware::from_fn(error::render_errors))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            security::security_headers,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            observe::observe,
        ))
        .with_state(state)
}

//! Probes for load balancers and orchestrators, and the metrics scrape.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use crate::{AppState, WebError};

/// `GET /healthz`: the process is alive and serving. Touches nothing else.
pub async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// `GET /readyz`: 200 when the database, the media store and Redis (if configured) answer;
/// 503 naming what failed otherwise.
pub async fn readyz(State(state): State<AppState>) -> Response {
    let readiness = service::health::readiness(&state.services).await;
    let mut checks = Map::new();
    for c in &readiness.checks {
        let v = c.problem.clone().unwrap_or_else(|| "ok".to_owned());
        checks.insert(c.name.to_owned(), Value::String(v));
    }
    let (status, word) = if readiness.is_ready() {
        (StatusCode::OK, "ready")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "unavailable")
    };
    // What this server can read, so an operator sees at once whether HEIC works.
    let heic = match media::pipeline::heif_support() {
        media::pipeline::HeifSupport::Available { version } => format!("ok (libheif {version})"),
        media::pipeline::HeifSupport::Missing { reason } => format!("unavailable: {reason}"),
    };
    let details =
        json!({ "photo_formats": { "jpeg": "ok", "png": "ok", "webp": "ok", "heic": heic } });
    let mut res = (
        status,
        Json(json!({ "status": word, "checks": checks, "details": details })),
    )
        .into_response();
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// `GET /metrics`: Prometheus text format.
pub async fn metrics(State(state): State<AppState>) -> Result<Response, WebError> {
    let stats = service::health::queue_stats(&state.services).await?;
    state.metrics.set_queue(&stats);
    state.metrics.set_live(state.services.live.metrics());
    let body = state.metrics.encode().map_err(WebError::internal)?;
    let mut res = body.into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/openmetrics-text; version=1.0.0; charset=utf-8"),
    );
    Ok(res)
}

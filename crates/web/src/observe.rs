//! Request observation: a request id on every request (an incoming `x-request-id` is kept when
//! it looks sane, otherwise one is made), a tracing span carrying it, one log line per request
//! and the HTTP metrics.

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;

use crate::AppState;

pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// The id of the current request, in request extensions.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// Accepts a caller's request id only if it is short and plain (it ends up in logs).
fn valid_request_id(v: &str) -> bool {
    (1..=128).contains(&v.len())
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

pub async fn observe(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let started = Instant::now();
    let id = req
        .headers()
        .get(REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| valid_request_id(v))
        .map_or_else(|| uuid::Uuid::new_v4().simple().to_string(), str::to_owned);
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = req.method().clone();
    req.extensions_mut().insert(RequestId(id.clone()));

    let span = tracing::info_span!("request", request.id = %id, http.method = %method, http.route = %route);
    let mut res = next.run(req).instrument(span.clone()).await;

    let status = res.status().as_u16();
    let elapsed = started.elapsed();
    if let Ok(v) = HeaderValue::from_str(&id) {
        res.headers_mut().insert(REQUEST_ID_HEADER, v);
    }
    state
        .metrics
        .http
        .observe(method.as_str(), &route, status, elapsed);
    span.in_scope(|| {
        let duration_ms = elapsed.as_secs_f64() * 1000.0;
        // Probes and metrics scrapes are frequent and dull: keep them out of the info log.
        if matches!(route.as_str(), "/healthz" | "/readyz" | "/metrics") && status < 400 {
            tracing::debug!(http.status = status, duration_ms, "request");
        } else if status >= 500 {
            tracing::warn!(http.status = status, duration_ms, "request");
        } else {
            tracing::info!(http.status = status, duration_ms, "request");
        }
    });
    res
}

#[cfg(test)]
mod tests {
    use super::valid_request_id;

    #[test]
    fn request_ids_from_callers_are_checked() {
        assert!(valid_request_id("abc-123_x.y:z"));
        assert!(!valid_request_id(""));
        assert!(!valid_request_id("has space"));
        assert!(!valid_request_id("new\nline"));
        assert!(!valid_request_id(&"x".repeat(129)));
    }
}

//! The absolute links Momentique hands out (join links, QR codes, posters).

use axum::http::{HeaderMap, header};

use crate::AppState;

/// The base of every link we hand out: the public URL, else this request's host.
pub fn base_url(state: &AppState, headers: &HeaderMap) -> (String, bool) {
    match &state.config.public_url {
        Some(u) => (u.trim_end_matches('/').to_owned(), true),
        None => {
            let host = headers
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .unwrap_or("127.0.0.1:8080");
            (format!("http://{host}"), false)
        }
    }
}

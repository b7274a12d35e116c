//! Security headers on every response, the per-request CSP nonce that lets our own
//! `<script>` tags (and nothing injected) run, `Cache-Control: no-store` on everything that
//! did not choose its own caching, and the check that the `Host` header is a host name.

use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use base64::Engine;
use rand::RngCore;

use crate::i18n::Catalog;
use crate::{AppState, WebError};

/// The nonce for this request's `<script nonce=…>` tags.
#[derive(Debug, Clone, Default)]
pub struct CspNonce(pub String);

impl CspNonce {
    fn generate() -> Self {
        let mut bytes = [0u8; 16];
        rand::rng().fill_bytes(&mut bytes);
        Self(base64::engine::general_purpose::STANDARD.encode(bytes))
    }
}

/// The Content-Security-Policy for a response carrying `nonce`. No inline script or style:
/// scripts need the nonce, styles come from our own files.
pub fn content_security_policy(nonce: &CspNonce, media_origin: Option<&str>) -> String {
    let media = media_origin.map(|o| format!(" {o}")).unwrap_or_default();
    format!(
        "default-src 'self'; script-src 'nonce-{}' 'strict-dynamic'; style-src 'self'; \
         img-src 'self' data: blob:{media}; font-src 'self'; connect-src 'self'; \
         object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
        nonce.0
    )
}

pub async fn security_headers(
    State(state): State<AppState>,
    mut req: Request,
    next: Next,
) -> Response {
    let nonce = CspNonce::generate();
    req.extensions_mut().insert(nonce.clone());
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    if let Ok(csp) = HeaderValue::from_str(&content_security_policy(
        &nonce,
        state.config.media_origin.as_deref(),
    )) {
        h.insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    // A route may ask for stricter (the guest link keeps its token out of Referer headers).
    h.entry(header::REFERRER_POLICY)
        .or_insert(HeaderValue::from_static("strict-origin-when-cross-origin"));
    h.insert(
        HeaderName::from_static("permissions-policy"),
        HeaderValue::from_static("camera=(), microphone=(), geolocation=(), payment=(), usb=()"),
    );
    h.insert(
        HeaderName::from_static("cross-origin-opener-policy"),
        HeaderValue::from_static("same-origin"),
    );
    // Pages and JSON for members and guests are private (an event's JSON carries its secret
    // join link): no browser or proxy cache keeps them. What may be cached says so itself —
    // the hashed assets under /static and the renditions under /media are public and
    // immutable, and keep their own header.
    h.entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    if state.config.is_https() {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=63072000; includeSubDomains"),
        );
    }
    res
}

/// Whether `host` is what a `Host` header may hold: a DNS name (labels of letters, digits and
/// hyphens, at most 253 characters), an IPv4 address or a bracketed IPv6 address, with an
/// optional port. Links and QR codes are built from it when no public URL is configured.
pub fn valid_host(host: &str) -> bool {
    fn port(p: &str) -> bool {
        !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) && p.parse::<u16>().is_ok()
    }
    if let Some(rest) = host.strip_prefix('[') {
        let Some((ip, after)) = rest.split_once(']') else {
            return false;
        };
        return ip.parse::<std::net::Ipv6Addr>().is_ok()
            && (after.is_empty() || after.strip_prefix(':').is_some_and(port));
    }
    let (name, p) = match host.rsplit_once(':') {
        Some((n, p)) => (n, Some(p)),
        None => (host, None),
    };
    let name = name.strip_suffix('.').unwrap_or(name);
    p.is_none_or(port)
        && !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

/// Middleware: a request whose `Host` header is not a host name (3,000 characters, spaces,
/// a path …) is a 400 with a message, before any link or QR code is made from it. A request
/// without one (HTTP/1.0, some probes) goes on: links then use the configured or default base.
pub async fn check_host(req: Request, next: Next) -> Response {
    let bad = req.headers().get_all(header::HOST).iter().count() > 1
        || req
            .headers()
            .get(header::HOST)
            .is_some_and(|h| !h.to_str().is_ok_and(valid_host));
    if bad {
        return axum::response::IntoResponse::into_response(WebError::Rejected {
            status: axum::http::StatusCode::BAD_REQUEST,
            code: "bad_host",
            message: Catalog::current().get("error.bad_host").to_owned(),
        });
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_headers() {
        for ok in [
            "localhost",
            "localhost:8080",
            "photos.example.com",
            "photos.example.com.",
            "127.0.0.1:3000",
            "[::1]:8080",
            "[2001:db8::1]",
            "xn--bcher-kva.example",
        ] {
            assert!(valid_host(ok), "{ok}");
        }
        let long = "a".repeat(3000);
        let many_labels = format!("{}.example.com", ["abc"; 80].join("."));
        for bad in [
            "",
            long.as_str(),
            many_labels.as_str(),
            "exa mple.com",
            "example.com/path",
            "user@example.com",
            "example.com:port",
            "example.com:99999",
            "-bad.example",
            "a..b",
            "[::1",
            "[not-ip]:80",
            "exa\u{0}mple",
            "bücher.example",
        ] {
            assert!(!valid_host(bad), "{bad:?}");
        }
    }
}

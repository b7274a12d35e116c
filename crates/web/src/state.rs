//! The application state every handler receives.

use std::sync::Arc;

use service::Services;

use crate::Metrics;

/// Settings the web layer needs (a slice of the binary's configuration).
#[derive(Debug, Clone, Default)]
pub struct WebConfig {
    /// The public base URL (`https://photos.example.com`), used for every absolute link. When
    /// unset, links are built from the request's host.
    pub public_url: Option<String>,
    /// Behind a proxy: the header that carries the client's address (`x-forwarded-for`); its
    /// last entry is used. Unset: the connection's peer address.
    pub client_ip_header: Option<String>,
    /// Where photos load from when not from this origin (S3 presigned URLs): allowed in the
    /// Content-Security-Policy's `img-src`.
    pub media_origin: Option<String>,
}

impl WebConfig {
    /// True when the site is served over HTTPS: then cookies are `Secure` and HSTS is sent.
    pub fn is_https(&self) -> bool {
        self.public_url
            .as_deref()
            .is_some_and(|u| u.starts_with("https://"))
    }
}

/// Everything a handler may use. Cloned per request and held by every live socket: three
/// shared handles.
#[derive(Debug, Clone)]
pub struct AppState {
    /// Database, media store, Redis.
    pub services: Arc<Services>,
    /// Request, job and queue metrics for `/metrics`.
    pub metrics: Arc<Metrics>,
    pub config: Arc<WebConfig>,
}

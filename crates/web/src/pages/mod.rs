//! Server-rendered pages. Each page is a struct with an askama template; every page carries a
//! [`Layout`] with what the base template needs.

pub mod home;

use crate::assets;
use crate::i18n::Catalog;
use crate::security::CspNonce;

/// What `base.html` needs: the messages, the CSP nonce and the asset URLs.
#[derive(Debug)]
pub struct Layout {
    pub t: &'static Catalog,
    pub nonce: String,
    pub css: String,
    pub js: String,
    pub icon: String,
}

impl Layout {
    pub fn new(nonce: CspNonce) -> Self {
        Self {
            t: Catalog::english(),
            nonce: nonce.0,
            css: assets::url("app.css"),
            js: assets::url("app.js"),
            icon: assets::url("favicon.svg"),
        }
    }
}

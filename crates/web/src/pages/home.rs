//! The home page: what Momentique is.

use askama::Template;
use axum::Extension;
use axum::response::Html;

use crate::WebError;
use crate::pages::Layout;
use crate::security::CspNonce;

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    layout: Layout,
}

/// `GET /`.
pub async fn show_home(Extension(nonce): Extension<CspNonce>) -> Result<Html<String>, WebError> {
    let page = HomePage {
        layout: Layout::new(nonce),
    };
    Ok(Html(page.render().map_err(WebError::internal)?))
}

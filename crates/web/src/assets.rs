//! Static assets, embedded in the binary and served under content-hashed names
//! (`/static/app.3f2a91c0d4e5.css`) with a one-year immutable cache: a new build changes the
//! name, so browsers never hold a stale file.

use std::collections::HashMap;
use std::sync::LazyLock;

use crate::extract::Path;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use crate::WebError;

struct Asset {
    body: &'static [u8],
    content_type: &'static str,
    hashed_name: String,
}

/// Our own files. Add a line here when adding a file to `static/`.
const FILES: &[(&str, &[u8], &str)] = &[
    (
        "app.css",
        include_bytes!("../static/app.css"),
        "text/css; charset=utf-8",
    ),
    (
        "app.js",
        include_bytes!("../static/app.js"),
        "text/javascript; charset=utf-8",
    ),
    (
        "live.js",
        include_bytes!("../static/live.js"),
        "text/javascript; charset=utf-8",
    ),
    (
        "wall.js",
        include_bytes!("../static/wall.js"),
        "text/javascript; charset=utf-8",
    ),
    (
        "draw-verify.js",
        include_bytes!("../static/draw-verify.js"),
        "text/javascript; charset=utf-8",
    ),
    (
        "wall.css",
        include_bytes!("../static/wall.css"),
        "text/css; charset=utf-8",
    ),
    (
        "draw.js",
        include_bytes!("../static/draw.js"),
        "text/javascript; charset=utf-8",
    ),
    (
        "draw.css",
        include_bytes!("../static/draw.css"),
        "text/css; charset=utf-8",
    ),
    (
        "favicon.svg",
        include_bytes!("../static/favicon.svg"),
        "image/svg+xml",
    ),
];

struct Assets {
    by_logical: HashMap<&'static str, Asset>,
    by_hashed: HashMap<String, &'static str>,
}

static ASSETS: LazyLock<Assets> = LazyLock::new(|| {
    let mut by_logical = HashMap::new();
    let mut by_hashed = HashMap::new();
    for &(name, body, content_type) in FILES {
        let digest = hex::encode(&Sha256::digest(body)[..6]);
        let hashed_name = match name.rsplit_once('.') {
            Some((stem, ext)) => format!("{stem}.{digest}.{ext}"),
            None => format!("{name}.{digest}"),
        };
        by_hashed.insert(hashed_name.clone(), name);
        by_logical.insert(
            name,
            Asset {
                body,
                content_type,
                hashed_name,
            },
        );
    }
    Assets {
        by_logical,
        by_hashed,
    }
});

/// The URL of a static file by its plain name (`app.css` → `/static/app.1a2b3c4d5e6f.css`).
pub fn url(name: &str) -> String {
    match ASSETS.by_logical.get(name) {
        Some(a) => format!("/static/{}", a.hashed_name),
        None => {
            tracing::error!(asset = name, "unknown static asset");
            format!("/static/{name}")
        }
    }
}

/// `GET /static/{file}`.
pub async fn serve_asset(Path(file): Path<String>) -> Result<Response, WebError> {
    let logical = ASSETS.by_hashed.get(&file).ok_or(WebError::NotFound)?;
    let asset = &ASSETS.by_logical[logical];
    let mut res = asset.body.into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(asset.content_type),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=31536000, immutable"),
    );
    Ok(res)
}

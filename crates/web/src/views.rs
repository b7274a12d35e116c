//! What several pages show, as view models: a photo's tile (its links, srcset and blurry
//! placeholder), its reaction buttons, and what the uploader and its refusals say. The page
//! modules (members' photos, moderation, guests) build their pages from these; the markup for
//! them is in the templates `_photo.html` and `_lightbox.html`.

use chrono::{DateTime, Utc};
use service::records::{Photo, REACTION_KINDS, ReactionSummary};

use crate::AppState;
use crate::i18n::Catalog;

pub fn uploader_messages(t: &Catalog, max_mb: u64) -> String {
    let m = serde_json::json!({
        "waiting": t.get("photos.waiting"),
        "uploading": t.get("photos.uploading"),
        "processing": t.get("photos.processing"),
        "published": t.get("photos.done_published"),
        "pending_review": t.get("photos.done_pending"),
        "failed": t.get("photos.failed"),
        "already": t.get("photos.already"),
        "dropped": t.get("photos.dropped"),
        "retrying": t.get("photos.retrying"),
        "retry": t.get("photos.retry"),
        "too_large": t.get("upload.too_large").replace("{mb}", &max_mb.to_string()),
    });
    m.to_string()
}

/// One tile of the grid.
#[derive(Debug)]
pub struct Tile {
    pub id: String,
    pub status: &'static str,
    pub status_label: String,
    pub uploader: String,
    pub thumb: String,
    pub srcset: String,
    pub large: String,
    pub width: u32,
    pub height: u32,
    pub failure: String,
    /// The guest who uploaded it, if a guest did ("" for members).
    pub guest_id: String,
    /// A blurry preview shown at once (`data:` PNG of the thumbhash), or "".
    pub placeholder: String,
    /// Reaction buttons (published photos on the members' page; empty elsewhere).
    pub reactions: Vec<ReactionButton>,
    /// The original file (members only), signed.
    pub original: String,
    /// Its caption, or "".
    pub caption: String,
}

/// The signed URL of a photo's smallest rendition (its thumbnail), or "" before processing.
pub fn thumb_url(secret: &service::secrets::SecretKey, p: &Photo, now: DateTime<Utc>) -> String {
    p.renditions
        .iter()
        .min_by_key(|r| r.max_edge)
        .map(|r| service::media_urls::signed_path(secret, &r.key, now))
        .unwrap_or_default()
}

/// The `data:` URL of a photo's blurry placeholder, or "".
///
/// Decoding a thumbhash into a PNG costs far more than the rest of a tile, and the photos
/// people look at are few and the same for everyone (the newest pages): remembered, up to
/// [`PLACEHOLDERS_KEPT`] of them (about 3 MB), then forgotten all at once and relearnt.
pub fn placeholder_url(p: &Photo) -> String {
    use base64::Engine;
    use std::collections::HashMap;
    use std::sync::{LazyLock, Mutex};
    static KEPT: LazyLock<Mutex<HashMap<String, String>>> =
        LazyLock::new(|| Mutex::new(HashMap::new()));
    let Some(hash) = p.placeholder.as_deref() else {
        return String::new();
    };
    if let Some(url) = KEPT.lock().ok().and_then(|m| m.get(hash).cloned()) {
        return url;
    }
    let url = media::pipeline::placeholder_png(hash)
        .map(|png| {
            format!(
                "data:image/png;base64,{}",
                base64::engine::general_purpose::STANDARD.encode(png)
            )
        })
        .unwrap_or_default();
    if let Ok(mut kept) = KEPT.lock() {
        if kept.len() >= PLACEHOLDERS_KEPT {
            kept.clear();
        }
        kept.insert(hash.to_owned(), url.clone());
    }
    url
}

/// How many placeholders [`placeholder_url`] remembers.
const PLACEHOLDERS_KEPT: usize = 10_000;

/// A photo's renditions for `<img srcset>`, smallest first, each link signed.
pub fn srcset(secret: &service::secrets::SecretKey, p: &Photo, now: DateTime<Utc>) -> String {
    p.renditions
        .iter()
        .rev()
        .map(|r| {
            format!(
                "{} {}w",
                service::media_urls::signed_path(secret, &r.key, now),
                r.width
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Signed links to a photo's renditions: (150 for the tile, srcset, the largest).
pub fn tile(state: &AppState, t: &Catalog, p: &Photo, now: DateTime<Utc>) -> Tile {
    let secret = &state.services.secret;
    let url = |key: &str| service::media_urls::signed_path(secret, key, now);
    let smallest = p.renditions.iter().min_by_key(|r| r.max_edge);
    let largest = p.renditions.iter().max_by_key(|r| r.max_edge);
    Tile {
        id: p.id.to_string(),
        status: p.status.as_str(),
        status_label: t
            .get(&format!("photos.status.{}", p.status.as_str()))
            .to_owned(),
        uploader: p.uploader_name.clone(),
        thumb: smallest.map(|r| url(&r.key)).unwrap_or_default(),
        srcset: srcset(secret, p, now),
        large: largest.map(|r| url(&r.key)).unwrap_or_default(),
        width: smallest.map_or(150, |r| r.width),
        height: smallest.map_or(150, |r| r.height),
        failure: p
            .failure
            .as_deref()
            .map(|c| t.photo_failure(c))
            .unwrap_or_default(),
        guest_id: p.guest_id.map(|g| g.to_string()).unwrap_or_default(),
        placeholder: placeholder_url(p),
        reactions: Vec::new(),
        original: url(&p.original_key),
        caption: p.caption.clone().unwrap_or_default(),
    }
}

/// One reaction button under a photo.
#[derive(Debug)]
pub struct ReactionButton {
    pub kind: &'static str,
    pub emoji: String,
    pub label: String,
    pub count: i64,
    pub mine: bool,
}

/// The reaction buttons of a photo from a summary.
pub fn reaction_buttons(
    t: &Catalog,
    summary: &ReactionSummary,
    photo: domain::PhotoId,
) -> Vec<ReactionButton> {
    REACTION_KINDS
        .iter()
        .map(|&kind| ReactionButton {
            kind,
            emoji: t.get(&format!("reaction.{kind}.emoji")).to_owned(),
            label: t.get(&format!("reaction.{kind}.label")).to_owned(),
            count: summary
                .counts
                .get(&photo)
                .and_then(|c| c.get(kind))
                .copied()
                .unwrap_or(0),
            mine: summary
                .mine
                .get(&photo)
                .is_some_and(|m| m.iter().any(|k| k == kind)),
        })
        .collect()
}

/// The reaction buttons with no counts, none pressed: the lightbox's, which the page's script
/// sets for each photo it shows.
pub fn reaction_choices(t: &Catalog) -> Vec<ReactionButton> {
    REACTION_KINDS
        .iter()
        .map(|&kind| ReactionButton {
            kind,
            emoji: t.get(&format!("reaction.{kind}.emoji")).to_owned(),
            label: t.get(&format!("reaction.{kind}.label")).to_owned(),
            count: 0,
            mine: false,
        })
        .collect()
}

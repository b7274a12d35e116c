//! The blurred placeholder shown while a rendition loads: a thumbhash (~25 bytes), base64.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use super::{MediaError, Pixels, resize};

/// Thumbhash works on images of at most 100 × 100.
const THUMBHASH_MAX_EDGE: u32 = 100;

/// The thumbhash of `image` (the smallest rendition), standard base64.
pub(crate) fn thumbhash_base64(image: &Pixels) -> Result<String, MediaError> {
    let (w, h) = resize::fit(image.width, image.height, THUMBHASH_MAX_EDGE);
    let small = resize::resize_ref(image, w, h)?;
    let rgba: Vec<u8> = if small.has_alpha {
        small.data
    } else {
        small
            .data
            .chunks_exact(3)
            .flat_map(|p| [p[0], p[1], p[2], 255])
            .collect()
    };
    let hash = thumbhash::rgba_to_thumb_hash(w as usize, h as usize, &rgba);
    Ok(STANDARD.encode(hash))
}

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

/// A tiny PNG (at most 8 px on its long edge) of a stored thumbhash, for an `<img>` the browser
/// scales up smoothly under the real photo: a blurry preview in about 150 bytes. `None` for a
/// hash that does not decode.
pub fn placeholder_png(thumbhash_b64: &str) -> Option<Vec<u8>> {
    let hash = STANDARD.decode(thumbhash_b64).ok()?;
    let (w, h, rgba) = thumbhash::thumb_hash_to_rgba(&hash).ok()?;
    let full = image::RgbaImage::from_raw(u32::try_from(w).ok()?, u32::try_from(h).ok()?, rgba)?;
    let (tw, th) = resize::fit(full.width(), full.height(), 8);
    let small = image::imageops::resize(
        &full,
        tw.max(1),
        th.max(1),
        image::imageops::FilterType::Triangle,
    );
    // Opaque (every photo but a few PNGs): RGB, a quarter fewer bytes; and compressed hard,
    // which at 48 pixels costs nothing. It goes into every tile of every gallery page.
    let mut out = Vec::new();
    let encoder = image::codecs::png::PngEncoder::new_with_quality(
        &mut out,
        image::codecs::png::CompressionType::Best,
        image::codecs::png::FilterType::Adaptive,
    );
    if small.pixels().all(|p| p[3] == 255) {
        let rgb = image::DynamicImage::ImageRgba8(small).to_rgb8();
        rgb.write_with_encoder(encoder).ok()?;
    } else {
        small.write_with_encoder(encoder).ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod placeholder_tests {
    use super::*;

    #[test]
    fn a_thumbhash_becomes_a_tiny_png() {
        // A 4 × 3 red-left / blue-right picture's hash round-trips to a small, valid PNG.
        let rgba: Vec<u8> = (0..12)
            .flat_map(|i| {
                if i % 4 < 2 {
                    [230, 20, 20, 255]
                } else {
                    [20, 20, 230, 255]
                }
            })
            .collect();
        let hash = STANDARD.encode(thumbhash::rgba_to_thumb_hash(4, 3, &rgba));
        let png = placeholder_png(&hash).expect("a PNG");
        assert!(png.len() < 400, "{} bytes", png.len());
        let img = image::load_from_memory(&png).expect("valid").to_rgb8();
        assert!(img.width() <= 8 && img.height() <= 8);
        assert!(
            img.get_pixel(0, 0)[0] > img.get_pixel(0, 0)[2],
            "left is red"
        );
        assert!(placeholder_png("not base64!").is_none());
    }
}

//! An organization's logo: the photo pipeline's steps for one small rendition. The same
//! probe (decompression bombs refused from the header), decoder, orientation, sRGB conversion
//! and Lanczos3 resize as photos, encoded as a metadata-free WebP (alpha kept).

use std::panic::{AssertUnwindSafe, catch_unwind};

use super::types::{Kind, Limits, MediaError};
use super::{Rendition, color, decode, meta, orient, probe, resize, webp};

/// Turns an uploaded image (JPEG, PNG, WebP, HEIC) into one WebP of at most `max_edge` px on
/// its long edge, upright, sRGB, without EXIF, XMP or ICC (never upscaled).
///
/// Sync and CPU-bound: call it from `spawn_blocking`. A panic inside a decoder is reported as
/// [`MediaError::Corrupt`].
pub fn process_logo(bytes: &[u8], limits: &Limits, max_edge: u32) -> Result<Rendition, MediaError> {
    let probed = probe(bytes, limits)?;
    match catch_unwind(AssertUnwindSafe(|| {
        render(bytes, probed.kind, limits, max_edge)
    })) {
        Ok(result) => result,
        Err(_) => Err(MediaError::Corrupt(
            "the decoder gave up on this file".into(),
        )),
    }
}

fn render(
    bytes: &[u8],
    kind: Kind,
    limits: &Limits,
    max_edge: u32,
) -> Result<Rendition, MediaError> {
    let decoded = decode::decode(bytes, kind, max_edge.saturating_mul(2), limits)?;
    let orientation = match kind {
        // libheif has already applied the container's rotation and mirroring.
        Kind::Heic => 1,
        _ => meta::read(bytes, kind, decoded.exif.as_deref()).orientation,
    };
    let (stored_w, stored_h) = resize::fit(decoded.full_width, decoded.full_height, max_edge);
    let small = resize::resize(decoded.pixels, stored_w, stored_h)?;
    let small = orient::apply(small, orientation);
    let small = match decoded.icc.as_deref() {
        Some(icc) => color::to_srgb(small, icc),
        None => small,
    };
    Ok(Rendition {
        max_edge,
        width: small.width,
        height: small.height,
        webp: webp::encode(&small, max_edge)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(w: u32, h: u32, alpha: bool) -> Vec<u8> {
        let mut out = std::io::Cursor::new(Vec::new());
        let img = if alpha {
            image::DynamicImage::ImageRgba8(image::RgbaImage::from_fn(w, h, |x, _| {
                image::Rgba([200, 30, 90, (x % 256) as u8])
            }))
        } else {
            image::DynamicImage::ImageRgb8(image::RgbImage::from_fn(w, h, |x, y| {
                image::Rgb([(x % 256) as u8, (y % 256) as u8, 40])
            }))
        };
        img.write_to(&mut out, image::ImageFormat::Png)
            .expect("encode a PNG");
        out.into_inner()
    }

    #[test]
    fn a_big_logo_becomes_a_small_webp() {
        let r = process_logo(&png(1200, 600, false), &Limits::default(), 256).expect("a logo");
        assert_eq!((r.width, r.height), (256, 128));
        assert_eq!(&r.webp[..4], b"RIFF");
        assert_eq!(&r.webp[8..12], b"WEBP");
    }

    #[test]
    fn a_small_logo_is_not_upscaled_and_keeps_its_transparency() {
        let r = process_logo(&png(100, 40, true), &Limits::default(), 256).expect("a logo");
        assert_eq!((r.width, r.height), (100, 40));
        // VP8X + ALPH: the transparent parts stay transparent.
        assert_eq!(&r.webp[12..16], b"VP8X");
    }

    #[test]
    fn text_and_bombs_are_refused() {
        assert!(matches!(
            process_logo(b"<svg></svg>", &Limits::default(), 256),
            Err(MediaError::Unsupported)
        ));
        let tight = Limits {
            max_pixels: 1_000,
            max_side: 100,
        };
        assert!(matches!(
            process_logo(&png(200, 200, false), &tight, 256),
            Err(MediaError::TooLarge { .. })
        ));
    }
}

//! QR codes for join links: SVG for the screen and print, PNG at fixed sizes for download.
//!
//! Both are drawn here from the module matrix that `qrcode` computes, so the SVG is one small
//! path that scales crisply and the PNG has exactly the requested size in pixels.

use std::io::Cursor;

use image::{GrayImage, ImageFormat, Luma};
use qrcode::{Color, EcLevel, QrCode};

/// The light border around the code, in modules; the standard asks for four.
const QUIET_ZONE: u32 = 4;

/// PNG sizes offered for download, in pixels per side.
const PNG_SIZES: [u32; 4] = [256, 512, 1024, 2048];

#[derive(Debug, thiserror::Error)]
pub enum QrError {
    #[error("the text is too long for a QR code")]
    TooLong,
    #[error("a QR code PNG must be between 64 and 4096 pixels wide, not {0}")]
    BadSize(u32),
    #[error("could not encode the PNG: {0}")]
    Png(String),
}

/// The PNG sizes offered for download.
pub fn qr_png_sizes() -> &'static [u32] {
    &PNG_SIZES
}

/// The code as a matrix of dark modules, row by row. Level M survives a smudge or a fold in a
/// printed poster and keeps short URLs at a low version (fewer, larger modules).
fn matrix(text: &str) -> Result<(u32, Vec<bool>), QrError> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M)
        .map_err(|_| QrError::TooLong)?;
    let width = u32::try_from(code.width()).map_err(|_| QrError::TooLong)?;
    let dark = code
        .to_colors()
        .into_iter()
        .map(|c| c == Color::Dark)
        .collect();
    Ok((width, dark))
}

/// An SVG of the code with its quiet zone, sized by its container (`viewBox` only).
pub fn qr_svg(text: &str) -> Result<String, QrError> {
    let (width, dark) = matrix(text)?;
    let side = width + 2 * QUIET_ZONE;
    let mut path = String::with_capacity(dark.len() * 4);
    for (i, is_dark) in dark.iter().enumerate() {
        if *is_dark {
            let i = u32::try_from(i).map_err(|_| QrError::TooLong)?;
            let (x, y) = (i % width + QUIET_ZONE, i / width + QUIET_ZONE);
            path.push_str(&format!("M{x} {y}h1v1h-1z"));
        }
    }
    Ok(format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {side} {side}\" \
         shape-rendering=\"crispEdges\" role=\"img\" aria-label=\"QR code\">\
         <rect width=\"{side}\" height=\"{side}\" fill=\"#fff\"/>\
         <path fill=\"#000\" d=\"{path}\"/></svg>"
    ))
}

/// A greyscale PNG of exactly `size` × `size` pixels. Modules get a whole number of pixels each
/// (no blurry edges); the pixels left over widen the quiet zone evenly.
pub fn qr_png(text: &str, size: u32) -> Result<Vec<u8>, QrError> {
    let image = qr_image(text, size)?;
    let mut out = Cursor::new(Vec::new());
    image
        .write_to(&mut out, ImageFormat::Png)
        .map_err(|e| QrError::Png(e.to_string()))?;
    Ok(out.into_inner())
}

fn qr_image(text: &str, size: u32) -> Result<GrayImage, QrError> {
    if !(64..=4096).contains(&size) {
        return Err(QrError::BadSize(size));
    }
    let (width, dark) = matrix(text)?;
    let modules = width + 2 * QUIET_ZONE;
    let scale = size / modules;
    if scale == 0 {
        return Err(QrError::BadSize(size));
    }
    let offset = (size - width * scale) / 2;
    let mut image = GrayImage::from_pixel(size, size, Luma([255]));
    for (i, is_dark) in dark.iter().enumerate() {
        if !*is_dark {
            continue;
        }
        let i = u32::try_from(i).map_err(|_| QrError::TooLong)?;
        let (mx, my) = (i % width, i / width);
        for y in 0..scale {
            for x in 0..scale {
                image.put_pixel(offset + mx * scale + x, offset + my * scale + y, Luma([0]));
            }
        }
    }
    Ok(image)
}

#[cfg(test)]
mod tests {
    use super::*;

    const URL: &str = "https://photos.example.com/j/0123456789ABCDEFGHJKMNPQRS";

    fn decode(image: &GrayImage) -> String {
        let mut prepared = rqrr::PreparedImage::prepare_from_greyscale(
            image.width() as usize,
            image.height() as usize,
            |x, y| image.get_pixel(x as u32, y as u32).0[0],
        );
        let grids = prepared.detect_grids();
        assert_eq!(grids.len(), 1, "one QR code in the image");
        let (_, content) = grids[0].decode().expect("the code decodes");
        content
    }

    #[test]
    fn every_png_size_is_exact_and_decodes_to_the_text() {
        for &size in qr_png_sizes() {
            let png = qr_png(URL, size).expect("png");
            let image = image::load_from_memory(&png)
                .expect("a valid PNG")
                .to_luma8();
            assert_eq!((image.width(), image.height()), (size, size));
            assert_eq!(decode(&image), URL);
        }
    }

    #[test]
    fn the_quiet_zone_is_light() {
        let image = qr_image(URL, 512).expect("image");
        for i in 0..512 {
            for (x, y) in [(i, 0), (0, i), (i, 511), (511, i)] {
                assert_eq!(image.get_pixel(x, y).0[0], 255, "edge pixel {x},{y}");
            }
        }
    }

    #[test]
    fn svg_draws_the_same_modules() {
        let svg = qr_svg(URL).expect("svg");
        let (width, dark) = matrix(URL).expect("matrix");
        let side = width + 2 * QUIET_ZONE;
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(svg.contains(&format!("viewBox=\"0 0 {side} {side}\"")));
        let drawn = svg.matches("h1v1h-1z").count();
        assert_eq!(drawn, dark.iter().filter(|d| **d).count());
        assert!(
            svg.contains(&format!("M{QUIET_ZONE} {QUIET_ZONE}h1v1h-1z")),
            "finder corner"
        );
    }

    #[test]
    fn bad_sizes_and_oversized_text_are_errors() {
        assert!(matches!(qr_png(URL, 10), Err(QrError::BadSize(10))));
        assert!(matches!(qr_png(URL, 5000), Err(QrError::BadSize(5000))));
        let long = "x".repeat(5000);
        assert!(matches!(qr_svg(&long), Err(QrError::TooLong)));
    }
}

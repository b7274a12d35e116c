//! Lanczos3 resizing with `fast_image_resize` (SIMD); alpha is premultiplied while resampling.

use fast_image_resize::images::{Image, ImageRef};
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};

use super::{MediaError, Pixels};

/// The size of a `width` × `height` image fitted inside `max_edge`, never upscaled.
pub(crate) fn fit(width: u32, height: u32, max_edge: u32) -> (u32, u32) {
    let long = width.max(height);
    if long <= max_edge {
        return (width, height);
    }
    let scale = |side: u32| {
        let scaled = (f64::from(side) * f64::from(max_edge) / f64::from(long)).round();
        (scaled as u32).clamp(1, max_edge)
    };
    if width >= height {
        (max_edge, scale(height))
    } else {
        (scale(width), max_edge)
    }
}

/// Resizes to exactly `width` × `height` (a no-op when the size already matches).
pub(crate) fn resize(image: Pixels, width: u32, height: u32) -> Result<Pixels, MediaError> {
    if (image.width, image.height) == (width, height) {
        return Ok(image);
    }
    resize_ref(&image, width, height)
}

/// Like [`resize`], from a borrowed image.
pub(crate) fn resize_ref(image: &Pixels, width: u32, height: u32) -> Result<Pixels, MediaError> {
    if (image.width, image.height) == (width, height) {
        return Ok(image.clone());
    }
    let pixel_type = if image.has_alpha {
        PixelType::U8x4
    } else {
        PixelType::U8x3
    };
    let failed = |e: &dyn std::fmt::Display| MediaError::Corrupt(format!("resize failed: {e}"));
    let src = ImageRef::new(image.width, image.height, &image.data, pixel_type)
        .map_err(|e| failed(&e))?;
    let mut dst = Image::new(width, height, pixel_type);
    let options = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Lanczos3));
    Resizer::new()
        .resize(&src, &mut dst, &options)
        .map_err(|e| failed(&e))?;
    Ok(Pixels {
        width,
        height,
        has_alpha: image.has_alpha,
        data: dst.into_vec(),
    })
}

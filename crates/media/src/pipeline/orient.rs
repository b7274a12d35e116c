//! EXIF orientation (values 1–8): turning stored pixels upright.

use super::Pixels;

/// True when the orientation swaps width and height (5–8: a quarter turn is involved).
pub(crate) fn swaps_axes(orientation: u16) -> bool {
    (5..=8).contains(&orientation)
}

/// The upright size of a `width` × `height` image stored with `orientation`.
pub(crate) fn upright_size(width: u32, height: u32, orientation: u16) -> (u32, u32) {
    if swaps_axes(orientation) {
        (height, width)
    } else {
        (width, height)
    }
}

/// Applies `orientation` so that the result is upright. 1 and unknown values return the input.
pub(crate) fn apply(image: Pixels, orientation: u16) -> Pixels {
    if !(2..=8).contains(&orientation) {
        return image;
    }
    let (w, h) = (image.width as usize, image.height as usize);
    let (out_w, out_h) = upright_size(image.width, image.height, orientation);
    let px = image.channels();
    let mut out = vec![0u8; image.data.len()];
    let stride = out_w as usize;
    for (y, row) in image.data.chunks_exact(w * px).enumerate() {
        for (x, pixel) in row.chunks_exact(px).enumerate() {
            // Where source pixel (x, y) lands in the upright image.
            let (dx, dy) = match orientation {
                2 => (w - 1 - x, y),
                3 => (w - 1 - x, h - 1 - y),
                4 => (x, h - 1 - y),
                5 => (y, x),
                6 => (h - 1 - y, x),
                7 => (h - 1 - y, w - 1 - x),
                _ => (y, w - 1 - x), // 8
            };
            let at = (dy * stride + dx) * px;
            out[at..at + px].copy_from_slice(pixel);
        }
    }
    Pixels {
        width: out_w,
        height: out_h,
        has_alpha: image.has_alpha,
        data: out,
    }
}

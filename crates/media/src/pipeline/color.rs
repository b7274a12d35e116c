//! Colour management: renditions are sRGB without an embedded profile, so pixels in another RGB
//! space (iPhones: Display P3) are converted with `moxcms`. Done on the 1920 rendition, not the
//! original: 7–11 ms instead of a few hundred.

use moxcms::{ColorProfile, DataColorSpace, Layout, TransformOptions, Xyzd};

use super::Pixels;

/// Converts `image` from the space described by the ICC profile `icc` to sRGB. Returns the image
/// unchanged when the profile is sRGB already, is not an RGB profile, or cannot be used (a broken
/// profile must not cost the upload).
pub(crate) fn to_srgb(image: Pixels, icc: &[u8]) -> Pixels {
    let Ok(source) = ColorProfile::new_from_slice(icc) else {
        tracing::debug!(icc.len = icc.len(), "unreadable ICC profile ignored");
        return image;
    };
    if source.color_space != DataColorSpace::Rgb || is_srgb(&source) {
        return image;
    }
    convert(image, &source)
}

/// Converts from a known source profile (e.g. Display P3 signalled by CICP rather than ICC).
pub(crate) fn convert(image: Pixels, source: &ColorProfile) -> Pixels {
    let layout = if image.has_alpha {
        Layout::Rgba
    } else {
        Layout::Rgb
    };
    let srgb = ColorProfile::new_srgb();
    let transform =
        match source.create_transform_8bit(layout, &srgb, layout, TransformOptions::default()) {
            Ok(transform) => transform,
            Err(error) => {
                tracing::debug!(%error, "ICC profile not usable; colours left as they are");
                return image;
            }
        };
    let mut out = vec![0u8; image.data.len()];
    match transform.transform(&image.data, &mut out) {
        Ok(()) => Pixels { data: out, ..image },
        Err(error) => {
            tracing::debug!(%error, "colour conversion failed; colours left as they are");
            image
        }
    }
}

/// Same primaries as sRGB (tone curves of "sRGB-like" profiles differ too little to matter).
fn is_srgb(profile: &ColorProfile) -> bool {
    let srgb = ColorProfile::new_srgb();
    let close = |a: Xyzd, b: Xyzd| {
        (a.x - b.x).abs() < 0.002 && (a.y - b.y).abs() < 0.002 && (a.z - b.z).abs() < 0.002
    };
    profile.is_matrix_shaper()
        && close(profile.red_colorant, srgb.red_colorant)
        && close(profile.green_colorant, srgb.green_colorant)
        && close(profile.blue_colorant, srgb.blue_colorant)
}

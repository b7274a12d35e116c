//! Lossy WebP encoding with libwebp (vendored C, built by `libwebp-sys`).
//!
//! The output is the bare bitstream libwebp writes: `RIFF/WEBP` with one `VP8 ` chunk (plus `VP8X`
//! and `ALPH` for transparency), never EXIF, XMP or ICC. That is what keeps GPS out of renditions.
//!
//! Settings were chosen by measurement against sharp (quality 80, effort 4) on the photos in
//! `shared/testdata/photos`; see [`QUALITY`] and [`METHOD`].
#![expect(unsafe_code, reason = "libwebp's encoder is a C API")]

use std::ffi::{c_int, c_void};
use std::mem::MaybeUninit;

use libwebp_sys as sys;

use super::{MediaError, Pixels};

/// libwebp quality (0–100): sharp's default, so sizes compare at the same setting.
pub(crate) const QUALITY: f32 = 80.0;
/// libwebp method (0 fastest – 6 slowest).
pub(crate) const METHOD: c_int = 2;

/// Encodes `image` as a lossy WebP with the pipeline's settings.
pub(crate) fn encode(image: &Pixels) -> Result<Vec<u8>, MediaError> {
    encode_with(image, QUALITY, METHOD)
}

/// Encodes with explicit settings (the benchmark compares them).
pub(crate) fn encode_with(
    image: &Pixels,
    quality: f32,
    method: c_int,
) -> Result<Vec<u8>, MediaError> {
    let failed = |what: &str| MediaError::Corrupt(format!("WebP encoding failed: {what}"));
    let (Ok(width), Ok(height)) = (c_int::try_from(image.width), c_int::try_from(image.height))
    else {
        return Err(failed("image too large"));
    };
    let channels = image.channels();
    let Ok(stride) = c_int::try_from(image.width as usize * channels) else {
        return Err(failed("image too large"));
    };
    if image.data.len() < image.width as usize * image.height as usize * channels {
        return Err(failed("pixel buffer too short"));
    }
    let abi = sys::WEBP_ENCODER_ABI_VERSION as c_int;

    // SAFETY: every struct is initialised by libwebp's own init function before use (checked for
    // ABI mismatch), the pixel buffer outlives the import call and holds height * stride bytes
    // (checked above), the memory writer outlives `WebPEncode`, and both the picture and the
    // writer are freed exactly once on every path below.
    unsafe {
        let mut config = MaybeUninit::<sys::WebPConfig>::uninit();
        if sys::WebPConfigInitInternal(
            config.as_mut_ptr(),
            sys::WebPPreset::WEBP_PRESET_DEFAULT,
            quality,
            abi,
        ) == 0
        {
            return Err(failed("libwebp version mismatch"));
        }
        let mut config = config.assume_init();
        config.method = method;
        if sys::WebPValidateConfig(&config) == 0 {
            return Err(failed("invalid settings"));
        }

        let mut picture = MaybeUninit::<sys::WebPPicture>::uninit();
        if sys::WebPPictureInitInternal(picture.as_mut_ptr(), abi) == 0 {
            return Err(failed("libwebp version mismatch"));
        }
        let mut picture = picture.assume_init();
        picture.width = width;
        picture.height = height;
        // YUV input straight from RGB: what the lossy encoder works on.
        picture.use_argb = 0;
        let imported = if image.has_alpha {
            sys::WebPPictureImportRGBA(&mut picture, image.data.as_ptr(), stride)
        } else {
            sys::WebPPictureImportRGB(&mut picture, image.data.as_ptr(), stride)
        };
        if imported == 0 {
            sys::WebPPictureFree(&mut picture);
            return Err(failed("out of memory"));
        }

        let mut writer = MaybeUninit::<sys::WebPMemoryWriter>::uninit();
        sys::WebPMemoryWriterInit(writer.as_mut_ptr());
        let mut writer = writer.assume_init();
        picture.writer = Some(sys::WebPMemoryWrite);
        picture.custom_ptr = (&raw mut writer).cast::<c_void>();

        let encoded = sys::WebPEncode(&config, &mut picture) != 0;
        let error_code = picture.error_code;
        sys::WebPPictureFree(&mut picture);
        let result = if encoded && !writer.mem.is_null() {
            Ok(std::slice::from_raw_parts(writer.mem, writer.size).to_vec())
        } else {
            Err(failed(&format!("libwebp error {error_code:?}")))
        };
        sys::WebPMemoryWriterClear(&mut writer);
        result
    }
}

//! Lossy WebP encoding with libwebp (vendored C, built by `libwebp-sys`).
//!
//! The output is the bare bitstream libwebp writes: `RIFF/WEBP` with one `VP8 ` chunk (plus `VP8X`
//! and `ALPH` for transparency), never EXIF, XMP or ICC. That is what keeps GPS out of renditions.
//!
//! Settings were chosen by measurement against sharp (quality 80, effort 4) on the photos in
//! `shared/testdata/photos`; see [`PIPELINE`].
#![expect(unsafe_code, reason = "libwebp's encoder is a C API")]

use std::ffi::{c_int, c_void};
use std::mem::MaybeUninit;

use libwebp_sys as sys;

use super::{MediaError, Pixels};

/// The encoder settings (libwebp's `WebPConfig` fields that matter for photos). Everything not
/// named keeps libwebp's default preset.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Settings {
    /// Quality, 0–100 (sharp's default is 80).
    pub quality: f32,
    /// Method (sharp's "effort"), 0 fastest – 6 slowest.
    pub method: i32,
    /// Spatial noise shaping, 0–100 (default 50).
    pub sns_strength: i32,
    /// Segments, 1–4 (default 4).
    pub segments: i32,
    /// Loop filter strength, 0–100 (default 60).
    pub filter_strength: i32,
    /// Loop filter sharpness, 0–7 (default 0).
    pub filter_sharpness: i32,
    /// Let the encoder pick the filter strength (slower).
    pub autofilter: bool,
    /// The iterative "sharp" RGB → YUV conversion (slower, better colour edges).
    pub sharp_yuv: bool,
    /// Entropy passes (default 1).
    pub pass: i32,
}

impl Settings {
    /// libwebp's defaults (the "default" preset) at `quality` and `method`: what sharp uses.
    pub const fn libwebp_default(quality: f32, method: i32) -> Self {
        Self {
            quality,
            method,
            sns_strength: 50,
            segments: 4,
            filter_strength: 60,
            filter_sharpness: 0,
            autofilter: false,
            sharp_yuv: false,
            pass: 1,
        }
    }

    /// Parses `key=value` pairs separated by commas, starting from the pipeline's settings:
    /// `q` quality, `m` method, `sns`, `seg` segments, `f` filter strength, `sharp` filter
    /// sharpness, `af` autofilter (0/1), `yuv` sharp YUV (0/1), `pass`. For the benchmark.
    pub fn parse(spec: &str) -> Result<Self, String> {
        let mut settings = PIPELINE;
        for pair in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (key, value) = pair
                .split_once('=')
                .ok_or_else(|| format!("{pair:?}: expected key=value"))?;
            let bad = || format!("{pair:?}: not a number");
            let int = || value.parse::<i32>().map_err(|_| bad());
            match key {
                "q" => settings.quality = value.parse::<f32>().map_err(|_| bad())?,
                "m" => settings.method = int()?,
                "sns" => settings.sns_strength = int()?,
                "seg" => settings.segments = int()?,
                "f" => settings.filter_strength = int()?,
                "sharp" => settings.filter_sharpness = int()?,
                "af" => settings.autofilter = int()? != 0,
                "yuv" => settings.sharp_yuv = int()? != 0,
                "pass" => settings.pass = int()?,
                _ => return Err(format!("{key:?}: unknown setting")),
            }
        }
        Ok(settings)
    }
}

impl std::fmt::Display for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "q={},m={},sns={},seg={},f={},sharp={},af={},yuv={},pass={}",
            self.quality,
            self.method,
            self.sns_strength,
            self.segments,
            self.filter_strength,
            self.filter_sharpness,
            u8::from(self.autofilter),
            u8::from(self.sharp_yuv),
            self.pass
        )
    }
}

/// The pipeline's settings for the 1920 rendition, chosen by measurement against sharp (quality
/// 80, effort 4) on the photos in `shared/testdata/photos` with `momentique bench media`
/// (figures in docs/MEDIA.md): its encode is most of the CPU a photo costs, and method 3–4 costs
/// 2.4–3.0 × method 2 there. A stronger loop filter (80 instead of 60) is free (the decoder
/// applies it; size and encode time do not change) and gains 0.0004–0.0010 luma SSIM.
pub const PIPELINE: Settings = Settings {
    filter_strength: 80,
    ..Settings::libwebp_default(80.0, 2)
};

/// The settings for the smaller renditions (800, 150): sharp's method 4, which costs little at
/// these sizes and brings their size and SSIM to sharp's.
pub const PIPELINE_SMALL: Settings = Settings::libwebp_default(80.0, 4);

/// The pipeline's settings for a rendition of `max_edge`.
pub fn settings_for(max_edge: u32) -> &'static Settings {
    if max_edge > 800 {
        &PIPELINE
    } else {
        &PIPELINE_SMALL
    }
}

/// Encodes `image`, the rendition for `max_edge`, as a lossy WebP with the pipeline's settings.
pub(crate) fn encode(image: &Pixels, max_edge: u32) -> Result<Vec<u8>, MediaError> {
    encode_with(image, settings_for(max_edge))
}

/// Encodes with explicit settings (the benchmark compares them).
pub(crate) fn encode_with(image: &Pixels, settings: &Settings) -> Result<Vec<u8>, MediaError> {
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
            settings.quality,
            abi,
        ) == 0
        {
            return Err(failed("libwebp version mismatch"));
        }
        let mut config = config.assume_init();
        config.method = settings.method;
        config.sns_strength = settings.sns_strength;
        config.segments = settings.segments;
        config.filter_strength = settings.filter_strength;
        config.filter_sharpness = settings.filter_sharpness;
        config.autofilter = c_int::from(settings.autofilter);
        config.use_sharp_yuv = c_int::from(settings.sharp_yuv);
        config.pass = settings.pass;
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

/// Decodes a WebP to interleaved RGB with libwebp (what browsers use), for scoring renditions.
pub(crate) fn decode_rgb(webp: &[u8]) -> Result<Pixels, MediaError> {
    let failed = || MediaError::Corrupt("WebP decoding failed".into());
    let (mut width, mut height): (c_int, c_int) = (0, 0);
    // SAFETY: libwebp reads `webp.len()` bytes from the slice and writes the two sizes; the
    // returned buffer (width * height * 3 bytes when not null) is copied, then freed once with
    // libwebp's own `WebPFree`.
    unsafe {
        let data = sys::WebPDecodeRGB(webp.as_ptr(), webp.len(), &mut width, &mut height);
        if data.is_null() {
            return Err(failed());
        }
        let (Ok(w), Ok(h)) = (u32::try_from(width), u32::try_from(height)) else {
            sys::WebPFree(data.cast::<c_void>());
            return Err(failed());
        };
        let pixels = std::slice::from_raw_parts(data, w as usize * h as usize * 3).to_vec();
        sys::WebPFree(data.cast::<c_void>());
        Ok(Pixels {
            width: w,
            height: h,
            has_alpha: false,
            data: pixels,
        })
    }
}

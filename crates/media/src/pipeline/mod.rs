//! The photo pipeline: from uploaded bytes to three upright, metadata-free WebP renditions, a
//! thumbhash placeholder and the few EXIF facts the product shows.
//!
//! Everything here is synchronous and CPU-bound; callers run it on a blocking thread
//! (`tokio::task::spawn_blocking`), one photo per core (threading inside one photo gained nothing).
//!
//! The steps, in order, and why each is where it is:
//! 1. [`sniff`] the magic bytes and [`probe`] the header: refuse decompression bombs before a single
//!    pixel is allocated.
//! 2. Decode with shrink-on-load: JPEG through DCT scaling to the largest ½ᵏ that keeps the long
//!    edge ≥ 2 × 1920 ([`DECODE_MIN_EDGE`]; a 12 MP photo is decoded whole); PNG and WebP through `image`; HEIC through the system libheif ([`heif_support`]).
//! 3. Resize to the 1920 rendition (in stored orientation), then turn it upright and convert its
//!    colours to sRGB: both are cheaper on 1920 px than on the original.
//! 4. Cascade 1920 → 800 → 150 with Lanczos3, never upscaling.
//! 5. Encode each as a plain lossy WebP ([`webp::settings_for`]) (no EXIF, XMP or ICC chunk: GPS must never leak).
//! 6. A thumbhash of the 150 rendition.

pub mod bench;
mod color;
mod decode;
mod heif;
#[cfg(system_libjpeg)]
mod libjpeg;
mod logo;
mod meta;
mod orient;
mod placeholder;
mod probe;
pub mod quality;
mod resize;
mod structure;
mod types;
pub mod webp;

#[cfg(test)]
mod tests;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::{Duration, Instant};

pub use heif::{HeifSupport, heif_support};
pub use logo::process_logo;
pub use placeholder::placeholder_png;
pub use probe::{probe, sniff};
pub use structure::{inspect_file, is_complete};
pub(crate) use types::Pixels;
pub use types::{Kind, Limits, MediaError, Probe};

/// Longest edge of each rendition, largest first. A smaller original is never upscaled.
pub const RENDITION_SIZES: [u32; 3] = [1920, 800, 150];

/// The EXIF facts the product keeps. Only here: renditions carry no metadata at all.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PhotoMeta {
    /// DateTimeOriginal (local time of the camera), falling back to DateTime.
    pub taken_at: Option<chrono::NaiveDateTime>,
    /// OffsetTimeOriginal, e.g. "+02:00".
    pub taken_offset: Option<String>,
    pub camera_make: Option<String>,
    pub camera_model: Option<String>,
    pub lens: Option<String>,
    /// Latitude, longitude in decimal degrees; south and west are negative.
    pub gps: Option<(f64, f64)>,
    /// The EXIF orientation of the original (1–8; 1 when absent). Already applied to the
    /// renditions. For HEIC it is informational only: libheif applies the container's transforms.
    pub orientation: u16,
}

/// One encoded rendition.
#[derive(Debug, Clone)]
pub struct Rendition {
    /// The size it was made for (one of [`RENDITION_SIZES`]).
    pub max_edge: u32,
    pub width: u32,
    pub height: u32,
    /// A lossy WebP (RIFF with a single VP8 chunk; VP8X + ALPH + VP8 when the original has alpha).
    pub webp: Vec<u8>,
}

/// Wall time spent in each step, for logs and the benchmark.
#[derive(Debug, Clone, Default)]
pub struct StageTimings {
    pub decode: Duration,
    pub orient: Duration,
    pub color: Duration,
    pub resize: Duration,
    pub encode: Duration,
    pub placeholder: Duration,
}

impl StageTimings {
    /// The sum of all steps.
    pub fn total(&self) -> Duration {
        self.decode + self.orient + self.color + self.resize + self.encode + self.placeholder
    }
}

/// The result of [`process`].
#[derive(Debug, Clone)]
pub struct Processed {
    pub kind: Kind,
    /// Upright size of the original.
    pub width: u32,
    pub height: u32,
    /// One per [`RENDITION_SIZES`] entry, in that order.
    pub renditions: Vec<Rendition>,
    /// Thumbhash of the smallest rendition, standard base64.
    pub placeholder: String,
    pub meta: PhotoMeta,
    pub timings: StageTimings,
}

/// Probes, decodes and turns a photo into its renditions, placeholder and metadata.
///
/// Sync and CPU-bound (≈ 0.3 s of one core for a 12 MP JPEG): call it from `spawn_blocking`.
/// A panic inside a decoder is caught and reported as [`MediaError::Corrupt`].
pub fn process(bytes: &[u8], limits: &Limits) -> Result<Processed, MediaError> {
    let probed = probe(bytes, limits)?;
    match catch_unwind(AssertUnwindSafe(|| process_probed(bytes, &probed, limits))) {
        Ok(result) => result,
        Err(_) => Err(MediaError::Corrupt(
            "the decoder gave up on this file".into(),
        )),
    }
}

fn process_probed(bytes: &[u8], probed: &Probe, limits: &Limits) -> Result<Processed, MediaError> {
    let mut timings = StageTimings::default();
    let rendered = render(bytes, probed, limits, &mut timings)?;

    let started = Instant::now();
    let mut renditions = Vec::with_capacity(rendered.images.len());
    for (max_edge, image) in RENDITION_SIZES.into_iter().zip(&rendered.images) {
        renditions.push(Rendition {
            max_edge,
            width: image.width,
            height: image.height,
            webp: webp::encode(image, max_edge)?,
        });
    }
    timings.encode = started.elapsed();

    let started = Instant::now();
    let smallest = &rendered.images[rendered.images.len() - 1];
    let placeholder = placeholder::thumbhash_base64(smallest)?;
    timings.placeholder = started.elapsed();

    Ok(Processed {
        kind: probed.kind,
        width: rendered.width,
        height: rendered.height,
        renditions,
        placeholder,
        meta: rendered.meta,
        timings,
    })
}

/// Upright, sRGB pixels of every rendition, before encoding.
#[derive(Debug)]
pub(crate) struct Rendered {
    /// Upright size of the original.
    pub width: u32,
    pub height: u32,
    pub meta: PhotoMeta,
    /// One per [`RENDITION_SIZES`] entry.
    pub images: Vec<Pixels>,
}

/// How large a JPEG is decoded: the largest ½ᵏ keeping the long edge at least twice the largest
/// rendition, so that Lanczos3 always does at least half of the reduction (as sharp/libvips do).
/// Decoding straight to ≈ 1920 px (DCT scaling does the whole reduction of a 12 MP photo) costs
/// 0.002–0.005 SSIM on detailed photos: the scaled IDCT is a softer filter than Lanczos3.
pub const DECODE_MIN_EDGE: u32 = 2 * RENDITION_SIZES[0];

/// Decode, resize to the largest rendition, orient, convert colours, cascade to the others.
pub(crate) fn render(
    bytes: &[u8],
    probed: &Probe,
    limits: &Limits,
    timings: &mut StageTimings,
) -> Result<Rendered, MediaError> {
    render_with(bytes, probed, limits, DECODE_MIN_EDGE, timings)
}

/// [`render`] with another decode size (the benchmark compares them).
pub(crate) fn render_with(
    bytes: &[u8],
    probed: &Probe,
    limits: &Limits,
    decode_min_edge: u32,
    timings: &mut StageTimings,
) -> Result<Rendered, MediaError> {
    let started = Instant::now();
    let decoded = decode::decode(bytes, probed.kind, decode_min_edge, limits)?;
    let meta = meta::read(bytes, probed.kind, decoded.exif.as_deref());
    timings.decode = started.elapsed();

    // libheif has already applied the container's rotation and mirroring; EXIF is informational.
    let orientation = match probed.kind {
        Kind::Heic => 1,
        _ => meta.orientation,
    };
    let (width, height) =
        orient::upright_size(decoded.full_width, decoded.full_height, orientation);

    // The largest rendition, in stored orientation: sized so that it is right once upright.
    let started = Instant::now();
    let (stored_w, stored_h) =
        resize::fit(decoded.full_width, decoded.full_height, RENDITION_SIZES[0]);
    let largest = resize::resize(decoded.pixels, stored_w, stored_h)?;
    timings.resize = started.elapsed();

    let started = Instant::now();
    let largest = orient::apply(largest, orientation);
    timings.orient = started.elapsed();

    let started = Instant::now();
    let largest = match decoded.icc.as_deref() {
        Some(icc) => color::to_srgb(largest, icc),
        None => largest,
    };
    timings.color = started.elapsed();

    let started = Instant::now();
    let mut images = Vec::with_capacity(RENDITION_SIZES.len());
    images.push(largest);
    for &max_edge in &RENDITION_SIZES[1..] {
        let (w, h) = resize::fit(width, height, max_edge);
        let next = resize::resize_ref(&images[images.len() - 1], w, h)?;
        images.push(next);
    }
    timings.resize += started.elapsed();

    Ok(Rendered {
        width,
        height,
        meta,
        images,
    })
}

//! How close a rendition is to the photo, for `momentique bench media` (so that speed is never
//! bought with quality, ours or sharp's: both are scored by this code).
//!
//! The reference is the full decode of the original (no shrink-on-load), turned upright and
//! converted to sRGB like the pipeline does, then resized in one step with Lanczos3
//! (`fast_image_resize`) to the size of the rendition being scored. The rendition is decoded with
//! libwebp (`WebPDecodeRGB`, fancy upsampling: what browsers show). Two figures:
//!
//! - **SSIM of the luma** (Y = 0.299 R + 0.587 G + 0.114 B on the gamma-encoded 8-bit values, as
//!   libwebp's and ffmpeg's own SSIM do): Wang et al.'s definition with an 11 × 11 Gaussian window
//!   (σ = 1.5), K1 = 0.01, K2 = 0.03, averaged over every window position that fits inside the
//!   image. 1 means identical.
//! - **DSSIM** from `dssim-core` (the `dssim` tool's library: multi-scale SSIM over L\*a\*b\*, so
//!   colour counts too). 0 means identical; smaller is better.
//!
//! Only the colour channels are compared (an alpha channel is ignored).

use super::types::Kind;
use super::{Limits, MediaError, Pixels, color, decode, meta, orient, probe, resize, webp};

/// The full-resolution, upright, sRGB pixels of one photo, and its Lanczos3 reductions.
#[derive(Debug)]
pub struct Reference {
    full: Pixels,
    /// Reductions made so far, by size (ours and sharp's renditions often share one).
    resized: Vec<Pixels>,
}

/// The quality of one rendition against the [`Reference`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Score {
    pub width: u32,
    pub height: u32,
    /// Size of the WebP file.
    pub bytes: usize,
    /// Luma SSIM (1 = identical).
    pub ssim: f64,
    /// DSSIM from `dssim-core` (0 = identical).
    pub dssim: f64,
}

impl Reference {
    /// Decodes `bytes` at full size, upright and in sRGB.
    pub fn new(bytes: &[u8], limits: &Limits) -> Result<Self, MediaError> {
        let probed = probe(bytes, limits)?;
        let decoded = decode::decode(bytes, probed.kind, u32::MAX, limits)?;
        let meta = meta::read(bytes, probed.kind, decoded.exif.as_deref());
        // As in `render`: libheif has applied the container's transforms already.
        let orientation = match probed.kind {
            Kind::Heic => 1,
            _ => meta.orientation,
        };
        let upright = orient::apply(decoded.pixels, orientation);
        let full = match decoded.icc.as_deref() {
            Some(icc) => color::to_srgb(upright, icc),
            None => upright,
        };
        let full = if full.has_alpha {
            Pixels {
                data: full
                    .data
                    .chunks_exact(4)
                    .flat_map(|p| [p[0], p[1], p[2]])
                    .collect(),
                has_alpha: false,
                ..full
            }
        } else {
            full
        };
        Ok(Self {
            full,
            resized: Vec::new(),
        })
    }

    /// Upright size of the original.
    pub fn size(&self) -> (u32, u32) {
        (self.full.width, self.full.height)
    }

    /// Scores one WebP rendition (any size: the reference is resized to match it).
    pub fn score(&mut self, webp: &[u8]) -> Result<Score, MediaError> {
        let decoded = webp::decode_rgb(webp)?;
        let (width, height) = (decoded.width, decoded.height);
        let index = match self
            .resized
            .iter()
            .position(|p| (p.width, p.height) == (width, height))
        {
            Some(index) => index,
            None => {
                self.resized
                    .push(resize::resize_ref(&self.full, width, height)?);
                self.resized.len() - 1
            }
        };
        let reference = &self.resized[index];
        Ok(Score {
            width,
            height,
            bytes: webp.len(),
            ssim: luma_ssim(reference, &decoded),
            dssim: dssim(reference, &decoded),
        })
    }
}

/// Luma of interleaved RGB, as f32.
fn luma(image: &Pixels) -> Vec<f32> {
    image
        .data
        .chunks_exact(3)
        .map(|p| 0.299 * f32::from(p[0]) + 0.587 * f32::from(p[1]) + 0.114 * f32::from(p[2]))
        .collect()
}

const WINDOW: usize = 11;
const SIGMA: f32 = 1.5;

fn gaussian() -> [f32; WINDOW] {
    let mut kernel = [0f32; WINDOW];
    let centre = (WINDOW / 2) as f32;
    for (i, k) in kernel.iter_mut().enumerate() {
        let d = i as f32 - centre;
        *k = (-(d * d) / (2.0 * SIGMA * SIGMA)).exp();
    }
    let sum: f32 = kernel.iter().sum();
    kernel.map(|k| k / sum)
}

/// Gaussian-weighted mean of every 11 × 11 window that fits inside the `w` × `h` plane:
/// an `(w - 10)` × `(h - 10)` plane.
fn blur(plane: &[f32], w: usize, h: usize, kernel: &[f32; WINDOW]) -> Vec<f32> {
    let ow = w - WINDOW + 1;
    let oh = h - WINDOW + 1;
    let mut rows = vec![0f32; ow * h];
    for y in 0..h {
        let src = &plane[y * w..(y + 1) * w];
        let dst = &mut rows[y * ow..(y + 1) * ow];
        for (x, d) in dst.iter_mut().enumerate() {
            *d = src[x..x + WINDOW]
                .iter()
                .zip(kernel)
                .map(|(s, k)| s * k)
                .sum();
        }
    }
    let mut out = vec![0f32; ow * oh];
    for y in 0..oh {
        let dst = &mut out[y * ow..(y + 1) * ow];
        for (k, weight) in kernel.iter().enumerate() {
            let src = &rows[(y + k) * ow..(y + k + 1) * ow];
            for (d, s) in dst.iter_mut().zip(src) {
                *d += s * weight;
            }
        }
    }
    out
}

/// Mean luma SSIM of two RGB images of the same size (see the module documentation).
pub(crate) fn luma_ssim(a: &Pixels, b: &Pixels) -> f64 {
    let (w, h) = (a.width as usize, a.height as usize);
    if (a.width, a.height) != (b.width, b.height) || w == 0 || h == 0 {
        return f64::NAN;
    }
    let (x, y) = (luma(a), luma(b));
    const C1: f64 = (0.01 * 255.0) * (0.01 * 255.0);
    const C2: f64 = (0.03 * 255.0) * (0.03 * 255.0);
    let ssim = |mx: f64, my: f64, sxx: f64, syy: f64, sxy: f64| {
        let (vx, vy, cxy) = (sxx - mx * mx, syy - my * my, sxy - mx * my);
        ((2.0 * mx * my + C1) * (2.0 * cxy + C2)) / ((mx * mx + my * my + C1) * (vx + vy + C2))
    };
    if w < WINDOW || h < WINDOW {
        // Too small for one window: the whole image is the window.
        let n = (w * h) as f64;
        let mean = |v: &[f32]| v.iter().map(|&p| f64::from(p)).sum::<f64>() / n;
        let products = |p: &[f32], q: &[f32]| {
            p.iter()
                .zip(q)
                .map(|(&p, &q)| f64::from(p) * f64::from(q))
                .sum::<f64>()
                / n
        };
        return ssim(
            mean(&x),
            mean(&y),
            products(&x, &x),
            products(&y, &y),
            products(&x, &y),
        );
    }
    let kernel = gaussian();
    let square = |p: &[f32], q: &[f32]| p.iter().zip(q).map(|(p, q)| p * q).collect::<Vec<_>>();
    let mx = blur(&x, w, h, &kernel);
    let my = blur(&y, w, h, &kernel);
    let sxx = blur(&square(&x, &x), w, h, &kernel);
    let syy = blur(&square(&y, &y), w, h, &kernel);
    let sxy = blur(&square(&x, &y), w, h, &kernel);
    let total: f64 = (0..mx.len())
        .map(|i| {
            ssim(
                f64::from(mx[i]),
                f64::from(my[i]),
                f64::from(sxx[i]),
                f64::from(syy[i]),
                f64::from(sxy[i]),
            )
        })
        .sum();
    total / mx.len() as f64
}

/// DSSIM of two RGB images of the same size, from `dssim-core`.
fn dssim(a: &Pixels, b: &Pixels) -> f64 {
    let rgb = |p: &Pixels| {
        p.data
            .chunks_exact(3)
            .map(|c| rgb::RGB8::new(c[0], c[1], c[2]))
            .collect::<Vec<_>>()
    };
    let context = dssim_core::Dssim::new();
    let (w, h) = (a.width as usize, a.height as usize);
    let (Some(x), Some(y)) = (
        context.create_image_rgb(&rgb(a), w, h),
        context.create_image_rgb(&rgb(b), w, h),
    ) else {
        return f64::NAN;
    };
    f64::from(context.compare(&x, y).0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(width: u32, height: u32, f: impl Fn(u32, u32) -> [u8; 3]) -> Pixels {
        let mut data = Vec::new();
        for y in 0..height {
            for x in 0..width {
                data.extend(f(x, y));
            }
        }
        Pixels {
            width,
            height,
            has_alpha: false,
            data,
        }
    }

    #[test]
    fn identical_images_score_one_and_noise_scores_less() {
        let pattern = |x: u32, y: u32| {
            let v = ((x * 7 + y * 13) % 256) as u8;
            [v, v / 2, 255 - v]
        };
        let a = image(64, 40, pattern);
        assert!((luma_ssim(&a, &a) - 1.0).abs() < 1e-9);
        assert!(dssim(&a, &a).abs() < 1e-9);
        let noisy = image(64, 40, |x, y| {
            let [r, g, b] = pattern(x, y);
            let n = if (x * 31 + y * 17) % 3 == 0 { 40 } else { 0 };
            [r.saturating_add(n), g.saturating_sub(n), b]
        });
        let slightly = image(64, 40, |x, y| {
            let [r, g, b] = pattern(x, y);
            let n = if (x * 31 + y * 17) % 3 == 0 { 8 } else { 0 };
            [r.saturating_add(n), g.saturating_sub(n), b]
        });
        let (worse, better) = (luma_ssim(&a, &noisy), luma_ssim(&a, &slightly));
        assert!(worse < better && better < 1.0, "{worse} {better}");
        assert!(dssim(&a, &noisy) > dssim(&a, &slightly));
        // Smaller than one window: one window over the whole image.
        let tiny = image(5, 4, pattern);
        assert!((luma_ssim(&tiny, &tiny) - 1.0).abs() < 1e-9);
    }

    #[test]
    fn a_webp_rendition_scores_close_to_its_source() {
        let source = image(96, 64, |x, y| [(x * 2) as u8, (y * 3) as u8, 128]);
        let encoded = webp::encode(&source, 1920).expect("encode");
        let mut reference = Reference {
            full: source,
            resized: Vec::new(),
        };
        let score = reference.score(&encoded).expect("score");
        assert_eq!(
            (score.width, score.height, score.bytes),
            (96, 64, encoded.len())
        );
        assert!(score.ssim > 0.95 && score.ssim < 1.0, "{score:?}");
        assert!(score.dssim >= 0.0 && score.dssim < 0.01, "{score:?}");
    }
}

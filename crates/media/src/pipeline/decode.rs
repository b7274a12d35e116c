//! Decoding to 8-bit RGB(A), as small as the largest rendition allows.
//!
//! JPEG (most uploads) uses DCT scaling down to the size the caller asks for (the pipeline asks
//! for twice the largest rendition, so a 48 MP photo is decoded at ½ and a 12 MP one whole). The
//! system's libjpeg-turbo decodes when the build found its header (`libjpeg.rs`); otherwise, and
//! for CMYK files or files libjpeg refuses, the pure-Rust `jpeg-decoder`. PNG and WebP
//! have no such trick and go through `image`; HEIC goes through the system libheif.

use std::io::Cursor;

use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader};

use super::heif;
use super::types::{Decoded, Kind, Limits, MediaError, Pixels, check_limits};

/// Decodes `bytes` (already sniffed as `kind` and probed against `limits`) so that the long edge
/// is at least `min_long_edge` (or the original's, when smaller).
pub(crate) fn decode(
    bytes: &[u8],
    kind: Kind,
    min_long_edge: u32,
    limits: &Limits,
) -> Result<Decoded, MediaError> {
    match kind {
        Kind::Jpeg => decode_jpeg(bytes, min_long_edge, limits),
        Kind::Png => {
            // The decoder is content once the pixels are in; an upload cut short loses IEND
            // (whose CRC is a constant), and is refused like any other truncated file.
            if !bytes.windows(8).rev().any(|w| w == b"IEND\xAE\x42\x60\x82") {
                return Err(MediaError::Corrupt("the file is truncated".into()));
            }
            decode_with_image(bytes, ImageFormat::Png, limits)
        }
        Kind::Webp => {
            // The RIFF header says how long the file is; the decoder forgives a missing tail.
            let riff_size = bytes
                .get(4..8)
                .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize);
            if riff_size.is_none_or(|size| size.saturating_add(8) > bytes.len()) {
                return Err(MediaError::Corrupt("the file is truncated".into()));
            }
            decode_with_image(bytes, ImageFormat::WebP, limits)
        }
        Kind::Heic => heif::decode(bytes, limits),
    }
}

fn corrupt(error: impl std::fmt::Display) -> MediaError {
    MediaError::Corrupt(error.to_string())
}

fn decode_jpeg(bytes: &[u8], min_long_edge: u32, limits: &Limits) -> Result<Decoded, MediaError> {
    let mut decoder = jpeg_decoder::Decoder::new(bytes);
    decoder.read_info().map_err(corrupt)?;
    let info = decoder.info().ok_or_else(|| corrupt("no JPEG frame"))?;
    let (full_width, full_height) = (u32::from(info.width), u32::from(info.height));
    // The frame header the decoder uses must pass the limits too, not only the one probe saw.
    check_limits(full_width, full_height, limits)?;

    // The largest 1/2^k reduction that keeps the long edge >= the target: the decoder picks the
    // smallest scale meeting the request on at least one axis, so ask only on the long axis.
    let wanted = u16::try_from(min_long_edge.min(full_width.max(full_height))).unwrap_or(u16::MAX);
    let request = if full_width >= full_height {
        (wanted, u16::MAX)
    } else {
        (u16::MAX, wanted)
    };
    decoder.scale(request.0, request.1).map_err(corrupt)?;
    // jpeg-decoder fills a cut-off scan with grey rather than failing; an upload cut short must
    // be refused instead (entropy-coded data never contains FF D9, so any after the scan is EOI).
    let scan = jpeg_scan_start(bytes).ok_or_else(|| corrupt("JPEG without image data"))?;
    if !bytes[scan..].windows(2).rev().any(|w| w == [0xFF, 0xD9]) {
        return Err(MediaError::Corrupt("the file is truncated".into()));
    }
    #[cfg(system_libjpeg)]
    {
        let long = full_width.max(full_height);
        let wanted = u32::from(wanted);
        // libjpeg's output is ceil(side / denominator): the largest one that keeps `wanted`.
        let denom = [8, 4, 2]
            .into_iter()
            .find(|d| long.div_ceil(*d) >= wanted)
            .unwrap_or(1);
        match super::libjpeg::decode(bytes, denom) {
            super::libjpeg::Outcome::Decoded(pixels) => {
                return Ok(Decoded {
                    pixels,
                    full_width,
                    full_height,
                    icc: decoder.icc_profile(),
                    exif: decoder.exif_data().map(<[u8]>::to_vec),
                });
            }
            // CMYK and YCCK, or a file libjpeg refuses: jpeg-decoder has the last word.
            super::libjpeg::Outcome::Unsupported => {}
            super::libjpeg::Outcome::Failed(message) => {
                tracing::debug!(%message, "libjpeg refused a JPEG; trying jpeg-decoder");
            }
        }
    }
    let raw = decoder.decode().map_err(corrupt)?;
    let info = decoder.info().ok_or_else(|| corrupt("no JPEG frame"))?;
    let (width, height) = (u32::from(info.width), u32::from(info.height));
    let pixel_count = width as usize * height as usize;
    let data = match info.pixel_format {
        jpeg_decoder::PixelFormat::RGB24 => raw,
        jpeg_decoder::PixelFormat::L8 => raw.iter().flat_map(|&l| [l, l, l]).collect(),
        jpeg_decoder::PixelFormat::L16 => raw
            .chunks_exact(2)
            .flat_map(|l| [l[0], l[0], l[0]])
            .collect(),
        jpeg_decoder::PixelFormat::CMYK32 => raw
            .chunks_exact(4)
            .flat_map(|p| {
                let k = u16::from(p[3]);
                let channel = |c: u8| ((255 - u16::from(c)) * (255 - k) / 255) as u8;
                [channel(p[0]), channel(p[1]), channel(p[2])]
            })
            .collect(),
    };
    if data.len() < pixel_count * 3 {
        return Err(corrupt("JPEG decoded to fewer pixels than its header says"));
    }
    Ok(Decoded {
        pixels: Pixels {
            width,
            height,
            has_alpha: false,
            data,
        },
        full_width,
        full_height,
        icc: decoder.icc_profile(),
        exif: decoder.exif_data().map(<[u8]>::to_vec),
    })
}

/// Offset of the first start-of-scan (SOS) segment.
fn jpeg_scan_start(bytes: &[u8]) -> Option<usize> {
    let mut at = 2;
    loop {
        while bytes.get(at) == Some(&0xFF) && bytes.get(at + 1) == Some(&0xFF) {
            at += 1;
        }
        let marker = *bytes.get(at + 1)?;
        if bytes[at] != 0xFF {
            return None;
        }
        if marker == 0xDA {
            return Some(at);
        }
        if matches!(marker, 0x01 | 0xD0..=0xD7) {
            at += 2;
            continue;
        }
        let length = usize::from(u16::from_be_bytes([
            *bytes.get(at + 2)?,
            *bytes.get(at + 3)?,
        ]));
        at += 2 + length;
    }
}

fn decode_with_image(
    bytes: &[u8],
    format: ImageFormat,
    limits: &Limits,
) -> Result<Decoded, MediaError> {
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut image_limits = image::Limits::default();
    image_limits.max_image_width = Some(limits.max_side);
    image_limits.max_image_height = Some(limits.max_side);
    // RGBA at 8 bits, plus the decoder's own working memory.
    image_limits.max_alloc = Some(limits.max_pixels.saturating_mul(8));
    reader.limits(image_limits);
    let mut decoder = reader.into_decoder().map_err(corrupt)?;
    let (full_width, full_height) = decoder.dimensions();
    check_limits(full_width, full_height, limits)?;
    let icc = decoder.icc_profile().ok().flatten();
    let exif = decoder.exif_metadata().ok().flatten();
    let image = DynamicImage::from_decoder(decoder).map_err(corrupt)?;
    let has_alpha = image.color().has_alpha();
    let data = if has_alpha {
        image.into_rgba8().into_raw()
    } else {
        image.into_rgb8().into_raw()
    };
    Ok(Decoded {
        pixels: Pixels {
            width: full_width,
            height: full_height,
            has_alpha,
            data,
        },
        full_width,
        full_height,
        icc,
        exif,
    })
}

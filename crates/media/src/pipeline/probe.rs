//! Recognising a photo and reading its size from the header alone: the decompression-bomb guard.
//! Nothing here allocates in proportion to the pixel count; a probe takes microseconds.

use super::types::{Kind, Limits, MediaError, Probe, check_limits};
use super::{heif, meta, orient};

/// HEIF brands whose images are HEVC-coded (what libheif with libde265 decodes).
const HEVC_BRANDS: [&[u8; 4]; 6] = [b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx"];
/// Generic HEIF brands: HEIC unless the file also says AVIF.
const GENERIC_HEIF_BRANDS: [&[u8; 4]; 2] = [b"mif1", b"msf1"];
const AVIF_BRANDS: [&[u8; 4]; 2] = [b"avif", b"avis"];

/// Recognises the format from the magic bytes (only the first 64 bytes are looked at).
pub fn sniff(head: &[u8]) -> Option<Kind> {
    let head = &head[..head.len().min(64)];
    if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Some(Kind::Jpeg);
    }
    if head.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Some(Kind::Png);
    }
    if head.len() >= 12 && &head[..4] == b"RIFF" && &head[8..12] == b"WEBP" {
        return Some(Kind::Webp);
    }
    if is_heic_ftyp(head) {
        return Some(Kind::Heic);
    }
    None
}

fn is_heic_ftyp(head: &[u8]) -> bool {
    if head.len() < 16 || &head[4..8] != b"ftyp" {
        return false;
    }
    let box_size = u32::from_be_bytes([head[0], head[1], head[2], head[3]]) as usize;
    if box_size < 16 {
        return false;
    }
    let major = &head[8..12];
    let compatible: Vec<&[u8]> = head[16..box_size.min(head.len())].chunks_exact(4).collect();
    let says_avif = AVIF_BRANDS
        .iter()
        .any(|b| major == &b[..] || compatible.contains(&&b[..]));
    if says_avif {
        return false;
    }
    let is = |set: &[&[u8; 4]], brand: &[u8]| set.iter().any(|b| brand == &b[..]);
    is(&HEVC_BRANDS, major)
        || is(&GENERIC_HEIF_BRANDS, major)
        || compatible.iter().any(|brand| is(&HEVC_BRANDS, brand))
}

/// Reads the format and the upright size from the header, without decoding pixels, and refuses
/// anything over `limits` with [`MediaError::TooLarge`].
pub fn probe(bytes: &[u8], limits: &Limits) -> Result<Probe, MediaError> {
    let kind = sniff(bytes).ok_or(MediaError::Unsupported)?;
    let (width, height) = match kind {
        Kind::Jpeg => {
            let (w, h, orientation) = jpeg_header(bytes)?;
            orient::upright_size(w, h, orientation)
        }
        Kind::Png => png_header(bytes)?,
        Kind::Webp => webp_header(bytes)?,
        Kind::Heic => heif::probe(bytes)?,
    };
    check_limits(width, height, limits)?;
    Ok(Probe {
        kind,
        width,
        height,
    })
}

fn truncated() -> MediaError {
    MediaError::Corrupt("the file is truncated".into())
}

fn be16(bytes: &[u8], at: usize) -> Result<u16, MediaError> {
    bytes
        .get(at..at + 2)
        .map(|b| u16::from_be_bytes([b[0], b[1]]))
        .ok_or_else(truncated)
}

/// Walks the JPEG segments up to the first frame header (SOFn): its size, and the EXIF
/// orientation if an APP1 Exif segment came before it (it always does in camera files).
fn jpeg_header(bytes: &[u8]) -> Result<(u32, u32, u16), MediaError> {
    let mut at = 2; // after SOI
    let mut orientation = 1;
    loop {
        // Markers may be preceded by any number of 0xFF fill bytes.
        while bytes.get(at) == Some(&0xFF) && bytes.get(at + 1) == Some(&0xFF) {
            at += 1;
        }
        let (&ff, &marker) = (
            bytes.get(at).ok_or_else(truncated)?,
            bytes.get(at + 1).ok_or_else(truncated)?,
        );
        if ff != 0xFF {
            return Err(MediaError::Corrupt("invalid JPEG marker".into()));
        }
        at += 2;
        match marker {
            // Standalone markers: no length.
            0x01 | 0xD0..=0xD7 => continue,
            0xD9 | 0xDA => {
                return Err(MediaError::Corrupt("JPEG without a frame header".into()));
            }
            _ => {}
        }
        let length = usize::from(be16(bytes, at)?);
        if length < 2 {
            return Err(MediaError::Corrupt("invalid JPEG segment length".into()));
        }
        let segment = bytes.get(at + 2..at + length).ok_or_else(truncated)?;
        match marker {
            // SOF0–SOF15 except DHT (C4), JPG (C8) and DAC (CC).
            0xC0..=0xCF if !matches!(marker, 0xC4 | 0xC8 | 0xCC) => {
                if segment.len() < 5 {
                    return Err(truncated());
                }
                let height = u16::from_be_bytes([segment[1], segment[2]]);
                let width = u16::from_be_bytes([segment[3], segment[4]]);
                return Ok((u32::from(width), u32::from(height), orientation));
            }
            0xE1 if segment.starts_with(b"Exif\0\0") => {
                orientation = meta::orientation_from_tiff(&segment[6..]);
            }
            _ => {}
        }
        at += length;
    }
}

/// PNG: the IHDR chunk must come first.
fn png_header(bytes: &[u8]) -> Result<(u32, u32), MediaError> {
    let ihdr = bytes.get(8..24).ok_or_else(truncated)?;
    if &ihdr[4..8] != b"IHDR" {
        return Err(MediaError::Corrupt("PNG without an IHDR chunk".into()));
    }
    let width = u32::from_be_bytes([ihdr[8], ihdr[9], ihdr[10], ihdr[11]]);
    let height = u32::from_be_bytes([ihdr[12], ihdr[13], ihdr[14], ihdr[15]]);
    Ok((width, height))
}

/// WebP: the first chunk is VP8 (lossy), VP8L (lossless) or VP8X (extended, canvas size).
fn webp_header(bytes: &[u8]) -> Result<(u32, u32), MediaError> {
    let chunk = bytes.get(12..16).ok_or_else(truncated)?;
    let data = bytes.get(20..).ok_or_else(truncated)?;
    let byte = |i: usize| data.get(i).copied().map(u32::from).ok_or_else(truncated);
    match chunk {
        b"VP8 " => {
            // 3-byte frame tag, start code 9d 01 2a, then 14-bit width and height.
            if data.get(3..6) != Some(&[0x9d, 0x01, 0x2a]) {
                return Err(MediaError::Corrupt("invalid VP8 frame header".into()));
            }
            let width = (byte(6)? | byte(7)? << 8) & 0x3FFF;
            let height = (byte(8)? | byte(9)? << 8) & 0x3FFF;
            Ok((width, height))
        }
        b"VP8L" => {
            if byte(0)? != 0x2F {
                return Err(MediaError::Corrupt("invalid VP8L signature".into()));
            }
            let bits = byte(1)? | byte(2)? << 8 | byte(3)? << 16 | byte(4)? << 24;
            Ok(((bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1))
        }
        b"VP8X" => {
            let width = (byte(4)? | byte(5)? << 8 | byte(6)? << 16) + 1;
            let height = (byte(7)? | byte(8)? << 8 | byte(9)? << 16) + 1;
            Ok((width, height))
        }
        _ => Err(MediaError::Corrupt("unknown WebP chunk".into())),
    }
}

//! Whether an upload is whole, checked from the file on disk before it is accepted: a photo cut
//! off in transfer usually has an intact header, so [`probe`](super::probe) alone would take it.
//! Everything here reads the file front to back in small pieces (never whole into memory).

use std::io::{self, BufReader, Read, Seek, SeekFrom};

use super::heif;
use super::probe::{probe, sniff};
use super::types::{Kind, Limits, MediaError, Probe, check_limits};

/// The header of every accepted format sits in the first megabyte (JPEG's SOF follows the EXIF
/// block, which is at most 64 KiB); HEIC's container is read through libheif wherever it lies.
const HEAD: u64 = 1 << 20;

/// Checks an upload on disk: its type from the magic bytes (not the name or the header the
/// client sent), its upright size from the header with `limits` applied before anything is
/// decoded, and that its structure runs to its end ([`is_complete`]).
///
/// The outer error is a failure to read `file` (the server's problem); the inner one is what is
/// wrong with the photo (the uploader's).
pub fn inspect_file<R: Read + Seek>(
    mut file: R,
    limits: &Limits,
) -> io::Result<Result<Probe, MediaError>> {
    let len = file.seek(SeekFrom::End(0))?;
    file.rewind()?;
    let mut head = Vec::new();
    (&mut file).take(HEAD).read_to_end(&mut head)?;
    let Some(kind) = sniff(&head) else {
        return Ok(Err(MediaError::Unsupported));
    };
    let probed = match kind {
        // Not from the head: an iPhone photo's item data runs past the first megabyte, and
        // libheif rightly refuses a container whose items point outside the bytes it is given.
        Kind::Heic => {
            file.rewind()?;
            // libheif asks for small pieces (thousands for one iPhone photo's meta box).
            let reader = BufReader::with_capacity(64 * 1024, &mut file);
            heif::probe_reader(reader, len)?.and_then(|(width, height)| {
                check_limits(width, height, limits)?;
                Ok(Probe {
                    kind,
                    width,
                    height,
                })
            })
        }
        _ => probe(&head, limits),
    };
    let probed = match probed {
        Ok(probed) => probed,
        Err(error) => return Ok(Err(error)),
    };
    file.rewind()?;
    if !is_complete(kind, BufReader::with_capacity(64 * 1024, &mut file), len)? {
        return Ok(Err(MediaError::Corrupt("the file ends too early".into())));
    }
    Ok(Ok(probed))
}

/// Fills `buf`, or says `false` when the input ends first.
fn fill(r: &mut impl Read, buf: &mut [u8]) -> io::Result<bool> {
    match r.read_exact(buf) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Ok(false),
        Err(e) => Err(e),
    }
}

/// Skips `n` bytes, or says `false` when the input ends first.
fn skip(r: &mut impl Read, n: u64) -> io::Result<bool> {
    Ok(io::copy(&mut r.take(n), &mut io::sink())? == n)
}

/// Whether a file of `kind`, `len` bytes long, is whole: its structure runs to its end marker
/// (JPEG: the EOI after the image data, PNG: IEND, WebP: the RIFF length, HEIC: top-level boxes
/// that tile the file exactly, a `meta` box among them). Reads `r` once, front to back.
pub fn is_complete(kind: Kind, mut r: impl Read, len: u64) -> io::Result<bool> {
    match kind {
        Kind::Jpeg => jpeg_is_complete(r),
        Kind::Png => {
            // Chunks: length, type, data, CRC; the last is IEND.
            let mut signature = [0u8; 8];
            if !fill(&mut r, &mut signature)? {
                return Ok(false);
            }
            loop {
                let mut head = [0u8; 8];
                if !fill(&mut r, &mut head)? {
                    return Ok(false);
                }
                if &head[4..8] == b"IEND" {
                    return Ok(true);
                }
                let n = u64::from(u32::from_be_bytes([head[0], head[1], head[2], head[3]]));
                if !skip(&mut r, n + 4)? {
                    return Ok(false);
                }
            }
        }
        Kind::Webp => {
            let mut head = [0u8; 8];
            if !fill(&mut r, &mut head)? {
                return Ok(false);
            }
            let riff = u64::from(u32::from_le_bytes([head[4], head[5], head[6], head[7]]));
            Ok(riff + 8 <= len)
        }
        Kind::Heic => heif_is_complete(r, len),
    }
}

/// ISO/IEC 14496-12 §4.2: a box is a 32-bit size and a type; size 1 means a 64-bit `largesize`
/// follows (iPhones write `mdat` so), size 0 that the box runs to the end of the file (only the
/// last one can). The top-level boxes, in whatever order, must add up to the file exactly; a
/// HEIF file is nothing without its `meta` box (what the images are and where their data lies).
fn heif_is_complete(mut r: impl Read, len: u64) -> io::Result<bool> {
    let mut at = 0u64;
    let mut meta = false;
    while at < len {
        let mut head = [0u8; 8];
        if !fill(&mut r, &mut head)? {
            return Ok(false);
        }
        let (size, header) = match u32::from_be_bytes([head[0], head[1], head[2], head[3]]) {
            0 => (len - at, 8),
            1 => {
                let mut large = [0u8; 8];
                if !fill(&mut r, &mut large)? {
                    return Ok(false);
                }
                (u64::from_be_bytes(large), 16)
            }
            size => (u64::from(size), 8),
        };
        if size < header || size > len - at {
            return Ok(false);
        }
        meta |= &head[4..8] == b"meta";
        if !skip(&mut r, size - header)? {
            return Ok(false);
        }
        at += size;
    }
    Ok(meta)
}

/// SOI, then segments; after each SOS, entropy-coded data up to the next real marker; EOI ends.
fn jpeg_is_complete(mut r: impl Read) -> io::Result<bool> {
    let mut byte = || -> io::Result<Option<u8>> {
        let mut b = [0u8; 1];
        Ok(fill(&mut r, &mut b)?.then_some(b[0]))
    };
    let (Some(0xFF), Some(0xD8)) = (byte()?, byte()?) else {
        return Ok(false);
    };
    let mut pending: Option<u8> = None;
    loop {
        let marker = match pending.take() {
            Some(m) => m,
            None => {
                let Some(ff) = byte()? else { return Ok(false) };
                if ff != 0xFF {
                    return Ok(false);
                }
                let mut m = byte()?;
                while m == Some(0xFF) {
                    m = byte()?; // fill bytes
                }
                let Some(m) = m else { return Ok(false) };
                m
            }
        };
        match marker {
            0xD9 => return Ok(true),
            0x01 | 0xD0..=0xD7 => continue,
            _ => {}
        }
        let (Some(hi), Some(lo)) = (byte()?, byte()?) else {
            return Ok(false);
        };
        let seg = (usize::from(hi) << 8 | usize::from(lo)).saturating_sub(2);
        for _ in 0..seg {
            if byte()?.is_none() {
                return Ok(false);
            }
        }
        if marker == 0xDA {
            // Entropy-coded data: FF 00 is a stuffed byte, FF D0–D7 a restart marker.
            loop {
                let Some(b) = byte()? else { return Ok(false) };
                if b != 0xFF {
                    continue;
                }
                let mut m = byte()?;
                while m == Some(0xFF) {
                    m = byte()?;
                }
                match m {
                    None => return Ok(false),
                    Some(0x00 | 0xD0..=0xD7) => continue,
                    Some(m) => {
                        pending = Some(m);
                        break;
                    }
                }
            }
        }
    }
}

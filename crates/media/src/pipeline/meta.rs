//! EXIF: the capture time, camera, lens, GPS position and orientation, read with `kamadak-exif`.
//! Unreadable or missing EXIF is not an error: the photo simply has less metadata.

use std::io::Cursor;

use chrono::NaiveDateTime;
use exif::{Exif, Field, In, Reader, Tag, Value};

use super::{Kind, PhotoMeta};

/// Metadata of a photo. `tiff` is the raw EXIF block the decoder extracted (JPEG APP1, PNG eXIf,
/// WebP EXIF); for HEIC it is found in the container.
pub(crate) fn read(bytes: &[u8], kind: Kind, tiff: Option<&[u8]>) -> PhotoMeta {
    let exif = match tiff {
        // WebP writers disagree on whether the EXIF chunk keeps the JPEG "Exif\0\0" prefix.
        Some(tiff) => {
            let tiff = tiff.strip_prefix(b"Exif\0\0").unwrap_or(tiff);
            Reader::new().read_raw(tiff.to_vec()).ok()
        }
        None if kind == Kind::Heic => Reader::new()
            .read_from_container(&mut Cursor::new(bytes))
            .ok(),
        None => None,
    };
    exif.map(|exif| from_exif(&exif)).unwrap_or(PhotoMeta {
        orientation: 1,
        ..PhotoMeta::default()
    })
}

/// Only the orientation (1 when absent or invalid), for the probe.
pub(crate) fn orientation_from_tiff(tiff: &[u8]) -> u16 {
    Reader::new()
        .read_raw(tiff.to_vec())
        .map(|exif| orientation(&exif))
        .unwrap_or(1)
}

fn orientation(exif: &Exif) -> u16 {
    exif.get_field(Tag::Orientation, In::PRIMARY)
        .and_then(|f| f.value.get_uint(0))
        .and_then(|v| u16::try_from(v).ok())
        .filter(|v| (1..=8).contains(v))
        .unwrap_or(1)
}

fn from_exif(exif: &Exif) -> PhotoMeta {
    let field = |tag| exif.get_field(tag, In::PRIMARY);
    let text = |tag| field(tag).and_then(ascii);
    let taken_at = text(Tag::DateTimeOriginal)
        .or_else(|| text(Tag::DateTime))
        .and_then(|s| NaiveDateTime::parse_from_str(&s, "%Y:%m:%d %H:%M:%S").ok());
    PhotoMeta {
        taken_at,
        taken_offset: text(Tag::OffsetTimeOriginal).filter(|s| is_offset(s)),
        camera_make: text(Tag::Make),
        camera_model: text(Tag::Model),
        lens: text(Tag::LensModel),
        gps: gps(exif),
        orientation: orientation(exif),
    }
}

/// The first ASCII string of a field, trimmed; `None` when empty.
fn ascii(field: &Field) -> Option<String> {
    match &field.value {
        Value::Ascii(strings) => strings
            .first()
            .map(|s| {
                String::from_utf8_lossy(s)
                    .trim_matches(['\0', ' '])
                    .to_owned()
            })
            .filter(|s| !s.is_empty()),
        _ => None,
    }
}

/// "+02:00" / "-05:30".
fn is_offset(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 6
        && matches!(b[0], b'+' | b'-')
        && b[1..3].iter().all(u8::is_ascii_digit)
        && b[3] == b':'
        && b[4..6].iter().all(u8::is_ascii_digit)
}

fn gps(exif: &Exif) -> Option<(f64, f64)> {
    let lat = degrees(exif, Tag::GPSLatitude, Tag::GPSLatitudeRef, b'S')?;
    let lon = degrees(exif, Tag::GPSLongitude, Tag::GPSLongitudeRef, b'W')?;
    let valid = (-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon);
    valid.then_some((lat, lon))
}

/// Degrees, minutes, seconds (three rationals) and a reference letter to signed decimal degrees.
fn degrees(exif: &Exif, value_tag: Tag, ref_tag: Tag, negative: u8) -> Option<f64> {
    let Value::Rational(parts) = &exif.get_field(value_tag, In::PRIMARY)?.value else {
        return None;
    };
    if parts.is_empty() || parts.iter().any(|r| r.denom == 0) {
        return None;
    }
    let part = |i: usize| parts.get(i).map_or(0.0, |r| r.to_f64());
    let value = part(0) + part(1) / 60.0 + part(2) / 3600.0;
    let sign = match &exif.get_field(ref_tag, In::PRIMARY)?.value {
        Value::Ascii(s) if s.first().and_then(|s| s.first()) == Some(&negative) => -1.0,
        _ => 1.0,
    };
    value.is_finite().then_some(sign * value)
}

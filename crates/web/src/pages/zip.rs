//! ZIP downloads streamed as they are built: each photo is read from storage and written into
//! the archive while the client downloads it; memory stays flat whatever the event's size
//! (stored entries with data descriptors, ZIP64 past 4 GB or 65,535 files), and no temporary
//! file of the archive is ever written. Also what goes in (every photo a gallery query
//! matches) and where each photo goes inside the archive, for the members' and guests' downloads.

use async_zip::base::write::ZipFileWriter;
use async_zip::{Compression, ZipEntryBuilder};
use axum::body::Body;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use futures::{AsyncWriteExt, StreamExt};
use media::BlobStore;
use service::records::{Event, Photo};
use tokio_util::io::ReaderStream;

use crate::i18n::Catalog;

/// One file of the archive: where its bytes are, and its path inside the ZIP.
#[derive(Debug, Clone)]
pub struct ZipItem {
    pub key: String,
    pub path: String,
}

/// A name safe as one path segment in any file system: no separators, no control characters,
/// no bidirectional or other invisible format characters (which make `gpj.exe` read as
/// `exe.jpg`), not a name Windows reserves (`CON`, `com1.txt` …), no trailing dots or spaces,
/// not empty.
pub fn segment(raw: &str, fallback: &str) -> String {
    let cleaned: String = raw
        .chars()
        .filter(|c| !domain::values::is_invisible_format(*c))
        .map(|c| match c {
            '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|' => '-',
            c if c.is_control() => '-',
            c => c,
        })
        .collect();
    let trimmed: String = cleaned
        .trim()
        .trim_matches('.')
        .trim()
        .chars()
        .take(80)
        .collect();
    // Cutting at 80 may leave a dot or space at the end again; Windows drops those.
    let trimmed = trimmed.trim_end_matches(['.', ' ']);
    if trimmed.is_empty() {
        fallback.to_owned()
    } else if windows_reserved(trimmed) {
        format!("_{trimmed}")
    } else {
        trimmed.to_owned()
    }
}

/// `CON`, `prn.txt`, `Com1.jpg`, `LPT9` …: names Windows will not create, whatever the case or
/// the extension.
fn windows_reserved(name: &str) -> bool {
    let stem = name.split('.').next().unwrap_or(name).trim_end();
    let upper = stem.to_ascii_uppercase();
    matches!(
        upper.as_str(),
        "CON" | "PRN" | "AUX" | "NUL" | "CONIN$" | "CONOUT$"
    ) || ["COM", "LPT"].iter().any(|p| {
        upper.strip_prefix(*p).is_some_and(|n| {
            matches!(
                n,
                "1" | "2" | "3" | "4" | "5" | "6" | "7" | "8" | "9" | "¹" | "²" | "³"
            )
        })
    })
}

/// The paths of `items` made unique, comparing without case (as Windows and macOS do): a
/// second `Lena/x.jpg` or `lena/X.jpg` becomes `Lena/x (2).jpg`.
pub fn unique_paths(items: &mut [ZipItem]) {
    let mut seen = std::collections::HashSet::new();
    for item in items {
        if seen.insert(item.path.to_lowercase()) {
            continue;
        }
        let (dir, file) = match item.path.rsplit_once('/') {
            Some((d, f)) => (format!("{d}/"), f.to_owned()),
            None => (String::new(), item.path.clone()),
        };
        let (stem, ext) = match file.rsplit_once('.') {
            Some((s, e)) if !s.is_empty() => (s.to_owned(), format!(".{e}")),
            _ => (file.clone(), String::new()),
        };
        let mut n = 2;
        loop {
            let candidate = format!("{dir}{stem} ({n}){ext}");
            if seen.insert(candidate.to_lowercase()) {
                item.path = candidate;
                break;
            }
            n += 1;
        }
    }
}

/// The archive of `items` as a streamed response named `filename`.
pub fn zip_response(blobs: BlobStore, mut items: Vec<ZipItem>, filename: &str) -> Response {
    unique_paths(&mut items);
    // A small pipe: the writer waits while the client is slow, so at most this much is buffered.
    let (reader, writer) = tokio::io::duplex(256 * 1024);
    tokio::spawn(async move {
        let mut zip = ZipFileWriter::with_tokio(writer);
        for item in items {
            let stream = match blobs.get_stream(&item.key).await {
                Ok((_, s)) => s,
                Err(e) => {
                    tracing::warn!(error = %e, key = %item.key, "a photo is missing from the ZIP");
                    continue;
                }
            };
            let entry = ZipEntryBuilder::new(item.path.clone().into(), Compression::Stored);
            let mut w = match zip.write_entry_stream(entry).await {
                Ok(w) => w,
                Err(e) => {
                    tracing::info!(error = %e, "ZIP download stopped (client gone?)");
                    return;
                }
            };
            let mut stream = stream;
            while let Some(chunk) = stream.next().await {
                let ok = match chunk {
                    Ok(bytes) => w.write_all(&bytes).await.is_ok(),
                    Err(e) => {
                        tracing::warn!(error = %e, key = %item.key, "reading a photo for the ZIP failed");
                        false
                    }
                };
                if !ok {
                    return; // the client sees a cut-off download, never a silently wrong one
                }
            }
            if w.close().await.is_err() {
                return;
            }
        }
        if let Err(e) = zip.close().await {
            tracing::info!(error = %e, "ZIP download did not finish");
        }
    });
    // Read the pipe in large pieces: the default 4 KiB made a body frame (and a socket
    // write) per 4 KiB.
    let mut res = Body::from_stream(ReaderStream::with_capacity(reader, 64 * 1024)).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/zip"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    res
}

/// `uploader/anna-ben-140312-01a2b3c4.jpg`: a folder per uploader, then the event, the time
/// it arrived, its caption where there is one (`anna-ben-140312-Cutting the cake-01a2b3c4.jpg`,
/// shortened by [`caption_part`]) and enough of the id to be unique.
pub fn zip_path(t: &Catalog, e: &Event, p: &Photo, ext: &str) -> String {
    let who = segment(&p.uploader_name, t.get("guest.anonymous"));
    let id = p.id.as_uuid().simple().to_string();
    let caption = p
        .caption
        .as_deref()
        .map(caption_part)
        .filter(|c| !c.is_empty())
        .map(|c| format!("-{c}"))
        .unwrap_or_default();
    format!(
        "{who}/{}-{}{caption}-{}.{ext}",
        e.slug.as_str(),
        p.created_at.with_timezone(&e.time_zone.0).format("%H%M%S"),
        &id[id.len() - 8..]
    )
}

/// The longest part of a file name a caption takes.
pub const CAPTION_CHARS: usize = 40;

/// A caption as part of a file name: the rules of [`segment`] (no separators, control or
/// invisible characters), at most [`CAPTION_CHARS`] characters, cut at a word's end when one
/// is near; "" when nothing is left.
pub fn caption_part(caption: &str) -> String {
    let safe = segment(caption, "");
    if safe.chars().count() <= CAPTION_CHARS {
        return safe;
    }
    let cut: String = safe.chars().take(CAPTION_CHARS).collect();
    let cut = match cut.rfind(' ') {
        Some(i) if cut[..i].chars().count() >= CAPTION_CHARS / 2 => &cut[..i],
        _ => cut.as_str(),
    };
    cut.trim_end_matches(['.', ' ', '-']).to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn captions_are_shortened_safely_for_file_names() {
        assert_eq!(caption_part("Cutting the cake 🎂"), "Cutting the cake 🎂");
        assert_eq!(
            caption_part("Anna/Ben: the \"first\" dance?"),
            "Anna-Ben- the -first- dance-"
        );
        assert_eq!(caption_part("  ...  "), "");
        let long = "The whole family on the terrace just before the storm arrived";
        assert_eq!(caption_part(long), "The whole family on the terrace just");
        let word = "x".repeat(100);
        assert_eq!(caption_part(&word).chars().count(), CAPTION_CHARS);
        assert_eq!(caption_part("a\u{202E}gpj.exe"), "agpj.exe");
    }

    #[test]
    fn segments_are_safe_file_names() {
        assert_eq!(segment("Lena", "Guest"), "Lena");
        assert_eq!(segment("../../etc/passwd", "Guest"), "-..-etc-passwd");
        assert_eq!(segment("  ", "Guest"), "Guest");
        assert_eq!(segment("a\u{0}b", "Guest"), "a-b");
        assert_eq!(segment(&"x".repeat(200), "Guest").len(), 80);
    }

    #[test]
    fn segments_drop_bidi_and_invisible_characters() {
        // "Lena" + RIGHT-TO-LEFT OVERRIDE + "gpj.exe" would read as "Lenaexe.jpg".
        assert_eq!(segment("Lena\u{202E}gpj.exe", "Guest"), "Lenagpj.exe");
        for c in [
            '\u{202A}', '\u{202B}', '\u{202C}', '\u{202D}', '\u{202E}', '\u{2066}', '\u{2067}',
            '\u{2068}', '\u{2069}', '\u{200E}', '\u{200F}', '\u{061C}', '\u{200B}', '\u{FEFF}',
        ] {
            assert_eq!(segment(&format!("A{c}na"), "Guest"), "Ana", "{c:?}");
        }
        assert_eq!(segment("\u{202E}\u{2066}", "Guest"), "Guest");
        assert_eq!(segment("Ana\u{1b}[31m\u{7f}", "Guest"), "Ana-[31m-");
    }

    #[test]
    fn segments_avoid_windows_reserved_names_and_trailing_dots() {
        for reserved in [
            "CON",
            "con",
            "Prn",
            "AUX",
            "nul",
            "COM1",
            "com9",
            "LPT1",
            "lpt9",
            "CON.txt",
            "nul.tar.gz",
            "Com1.jpg",
            "AUX .jpg",
            "COM²",
        ] {
            let s = segment(reserved, "Guest");
            assert_eq!(s, format!("_{reserved}"), "{reserved}");
        }
        for fine in [
            "CONSTANCE",
            "Conny",
            "COM10",
            "LPT",
            "COM0",
            "Nula",
            "Aux-Anna",
        ] {
            assert_eq!(segment(fine, "Guest"), fine, "{fine}");
        }
        assert_eq!(segment("Lena. . .", "Guest"), "Lena");
        assert_eq!(segment("Lena   ", "Guest"), "Lena");
        assert_eq!(segment("...", "Guest"), "Guest");
        let cut = segment(&format!("{}.{}", "x".repeat(79), "y"), "Guest");
        assert_eq!(cut, "x".repeat(79), "no dot left at the end after the cut");
    }

    #[test]
    fn paths_stay_unique_without_regard_to_case() {
        let item = |p: &str| ZipItem {
            key: String::new(),
            path: p.to_owned(),
        };
        let mut items = vec![
            item("Lena/a.jpg"),
            item("lena/A.jpg"),
            item("Lena/a.jpg"),
            item("Lena/a (2).jpg"),
            item("Ben/b"),
            item("Ben/b"),
            item("top.webp"),
            item("TOP.webp"),
        ];
        unique_paths(&mut items);
        let paths: Vec<&str> = items.iter().map(|i| i.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "Lena/a.jpg",
                "lena/A (2).jpg",
                "Lena/a (3).jpg",
                "Lena/a (2) (2).jpg",
                "Ben/b",
                "Ben/b (2)",
                "top.webp",
                "TOP (2).webp",
            ]
        );
        let lower: std::collections::HashSet<String> =
            paths.iter().map(|p| p.to_lowercase()).collect();
        assert_eq!(lower.len(), paths.len());
    }
}

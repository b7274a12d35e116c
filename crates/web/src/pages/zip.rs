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
/// not empty.
pub fn segment(raw: &str, fallback: &str) -> String {
    let cleaned: String = raw
        .chars()
        .map(|c| match c {
            '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|' => '-',
            c if c.is_control() => '-',
            c => c,
        })
        .collect();
    let trimmed = cleaned.trim().trim_matches('.').trim();
    if trimmed.is_empty() {
        fallback.to_owned()
    } else {
        trimmed.chars().take(80).collect()
    }
}

/// The archive of `items` as a streamed response named `filename`.
pub fn zip_response(blobs: BlobStore, items: Vec<ZipItem>, filename: &str) -> Response {
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
    let mut res = Body::from_stream(ReaderStream::new(reader)).into_response();
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
/// it arrived and enough of the id to be unique.
pub fn zip_path(t: &Catalog, e: &Event, p: &Photo, ext: &str) -> String {
    let who = segment(&p.uploader_name, t.get("guest.anonymous"));
    let id = p.id.as_uuid().simple().to_string();
    format!(
        "{who}/{}-{}-{}.{ext}",
        e.slug.as_str(),
        p.created_at.with_timezone(&e.time_zone.0).format("%H%M%S"),
        &id[id.len() - 8..]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_are_safe_file_names() {
        assert_eq!(segment("Lena", "Guest"), "Lena");
        assert_eq!(segment("../../etc/passwd", "Guest"), "-..-etc-passwd");
        assert_eq!(segment("  ", "Guest"), "Guest");
        assert_eq!(segment("a\u{0}b", "Guest"), "a-b");
        assert_eq!(segment(&"x".repeat(200), "Guest").len(), 80);
    }
}

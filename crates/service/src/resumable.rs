//! Resumable uploads for venue Wi-Fi: the client announces a file's length, sends it in pieces
//! (each appended at the offset the server has), asks where it stopped after a dropped
//! connection or a reload, and carries on. When the last byte arrives the file goes through
//! the same checks and the same durable acceptance as any upload; sending the same photo again
//! gives the same photo, never a duplicate.
//!
//! The pieces live in the instance's upload folder (`…/resumable/ID.part` and `ID.json`); behind
//! a load balancer, route a guest's requests to the same instance (session affinity), or the
//! page starts that file again from the beginning. Unfinished uploads expire after a day.

use std::path::{Path, PathBuf};

use bytes::Bytes;
use chrono::{DateTime, Duration, Utc};
use domain::{EventId, GuestId, TenantId};
use futures::{Stream, StreamExt};
use serde::{Deserialize, Serialize};
use store::{Event, Guest};
use tokio::io::AsyncWriteExt;

use crate::guests::{self, GuestUploadError};
use crate::photos::{self, Accepted, StagedUpload, UploadError};
use crate::{Ctx, Services};

/// How long an unfinished upload may wait to be resumed.
pub const EXPIRES_AFTER: Duration = Duration::hours(24);

/// One resumable upload.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Session {
    pub id: String,
    pub tenant: TenantId,
    pub event: EventId,
    pub guest: GuestId,
    pub length: u64,
    pub created_at: DateTime<Utc>,
    /// The caption given when the upload started (sessions written before captions have none).
    #[serde(default)]
    pub caption: Option<domain::Caption>,
}

/// Why a piece was not taken.
#[derive(Debug, thiserror::Error)]
pub enum ResumeError {
    /// The client's offset is not where the file is: it should ask and resend from there.
    #[error("the upload is at byte {0}")]
    Conflict(u64),
    #[error(transparent)]
    Upload(#[from] GuestUploadError),
}

impl From<UploadError> for ResumeError {
    fn from(e: UploadError) -> Self {
        ResumeError::Upload(GuestUploadError::Upload(e))
    }
}

fn dir(services: &Services) -> PathBuf {
    services.uploads.tmp_dir.join("resumable")
}

fn valid_id(id: &str) -> bool {
    id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit())
}

fn paths(services: &Services, id: &str) -> (PathBuf, PathBuf) {
    let d = dir(services);
    (d.join(format!("{id}.part")), d.join(format!("{id}.json")))
}

/// Starts an upload of `length` bytes for `guest`, if they may upload a file that size now;
/// the photo gets `caption` when it is complete.
pub async fn create(
    services: &Services,
    ctx: &Ctx,
    event: &Event,
    guest: &Guest,
    length: u64,
    caption: Option<domain::Caption>,
) -> Result<Session, GuestUploadError> {
    guests::check_actor(ctx, event, guest)?;
    let count = guests::photo_count(services, guest).await?;
    guests::may_upload(event, guest, count, ctx.now).map_err(GuestUploadError::Refused)?;
    let max = photos::max_upload_bytes(services, event.tenant_id, event.id).await?;
    if length > max {
        return Err(UploadError::TooLarge {
            limit_mb: max >> 20,
        }
        .into());
    }
    if length == 0 {
        return Err(UploadError::Empty.into());
    }
    // Said before a byte is sent: the photo stays on the phone.
    photos::room_for_photo(services, event.tenant_id, length).await?;
    let d = dir(services);
    tokio::fs::create_dir_all(&d)
        .await
        .map_err(UploadError::Io)?;
    expire(&d).await;
    let session = Session {
        id: uuid::Uuid::new_v4().simple().to_string(),
        tenant: event.tenant_id,
        event: event.id,
        guest: guest.id,
        length,
        created_at: ctx.now,
        caption,
    };
    let (part, meta) = paths(services, &session.id);
    tokio::fs::File::create(&part)
        .await
        .map_err(UploadError::Io)?;
    let json =
        serde_json::to_vec(&session).map_err(|e| UploadError::Io(std::io::Error::other(e)))?;
    tokio::fs::write(&meta, json)
        .await
        .map_err(UploadError::Io)?;
    Ok(session)
}

/// Removes unfinished uploads older than [`EXPIRES_AFTER`] (best effort).
async fn expire(d: &Path) {
    let Ok(mut entries) = tokio::fs::read_dir(d).await else {
        return;
    };
    let cutoff = std::time::SystemTime::now() - std::time::Duration::from_secs(24 * 3600);
    while let Ok(Some(e)) = entries.next_entry().await {
        if let Ok(m) = e.metadata().await
            && m.modified().is_ok_and(|t| t < cutoff)
        {
            let _ = tokio::fs::remove_file(e.path()).await;
        }
    }
}

/// The upload `id` of `guest` in `event`, and how many bytes the server has.
pub async fn find(
    services: &Services,
    ctx: &Ctx,
    id: &str,
    event: EventId,
) -> Option<(Session, u64)> {
    let guest = ctx.guest_of(event)?;
    if !valid_id(id) {
        return None;
    }
    let (part, meta) = paths(services, id);
    let json = tokio::fs::read(&meta).await.ok()?;
    let session: Session = serde_json::from_slice(&json).ok()?;
    if session.event != event || session.guest != guest || session.id != id {
        return None;
    }
    let offset = tokio::fs::metadata(&part).await.ok()?.len();
    Some((session, offset))
}

/// Appends `body` at `offset`. Whatever arrives before a dropped connection is kept, so the
/// client can resume from the new offset. Returns the offset reached, and the photo when that
/// was the last byte.
pub async fn append<S, E>(
    services: &Services,
    ctx: &Ctx,
    event: &Event,
    guest: &Guest,
    session: &Session,
    offset: u64,
    body: S,
) -> Result<(u64, Option<Accepted>), ResumeError>
where
    S: Stream<Item = Result<Bytes, E>>,
    E: std::fmt::Display,
{
    guests::check_actor(ctx, event, guest)?;
    // Every piece is held to the event's rules as they are now: once uploads closed (the event
    // ended, the window shut, the guest was blocked), the next piece is refused at once, with
    // the reason a new upload would get, rather than taken in and refused at the last one.
    let count = guests::photo_count(services, guest)
        .await
        .map_err(UploadError::Store)?;
    guests::may_upload(event, guest, count, ctx.now).map_err(GuestUploadError::Refused)?;
    let (part, meta) = paths(services, &session.id);
    let mut file = tokio::fs::OpenOptions::new()
        .append(true)
        .open(&part)
        .await
        .map_err(UploadError::Io)?;
    let have = file.metadata().await.map_err(UploadError::Io)?.len();
    if have != offset {
        return Err(ResumeError::Conflict(have));
    }
    let mut at = have;
    let mut body = std::pin::pin!(body);
    let mut interrupted = false;
    while let Some(chunk) = body.next().await {
        match chunk {
            Ok(c) => {
                if at.saturating_add(c.len() as u64) > session.length {
                    return Err(UploadError::TooLarge {
                        limit_mb: session.length >> 20,
                    }
                    .into());
                }
                file.write_all(&c).await.map_err(UploadError::Io)?;
                at += c.len() as u64;
            }
            Err(e) => {
                tracing::info!(error = %e, offset = at, "resumable piece cut off; kept what arrived");
                interrupted = true;
                break;
            }
        }
    }
    file.flush().await.map_err(UploadError::Io)?;
    file.sync_data().await.map_err(UploadError::Io)?;
    if interrupted || at < session.length {
        return Ok((at, None));
    }
    // Complete: the usual checks and durable acceptance, under the event's rules as they are now.
    drop(file);
    let staged = StagedUpload::from_file(part).await?;
    let _ = tokio::fs::remove_file(&meta).await;
    let probe = staged.check(&services.uploads.pixels).await?;
    let count = guests::photo_count(services, guest)
        .await
        .map_err(UploadError::Store)?;
    guests::may_upload(event, guest, count, ctx.now).map_err(GuestUploadError::Refused)?;
    let uploader = photos::Uploader {
        user: None,
        guest: Some(guest.id),
        name: guest.name.clone(),
        caption: session.caption.clone(),
    };
    let accepted = photos::accept(
        services,
        event.tenant_id,
        event.id,
        &uploader,
        &staged,
        &probe,
        ctx.now,
    )
    .await?;
    Ok((at, Some(accepted)))
}

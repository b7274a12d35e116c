//! The event feed (tenant-scoped): numbered messages written in the transaction of the change
//! they report, read back in order by whoever watches the event (docs/LIVE.md).

use std::future::Future;

use chrono::{DateTime, Utc};
use domain::{EventId, GuestId, PhotoId, TenantId};
use uuid::Uuid;

use crate::sql::{Arg, execute, fetch_all, fetch_optional};
use crate::{Result, Tx};

/// Who a feed message is for, as bits: any combination.
pub mod audience {
    /// The organization's members.
    pub const MEMBERS: i32 = 1;
    /// The event's projector walls.
    pub const WALLS: i32 = 2;
    /// Every guest of the event.
    pub const GUESTS: i32 = 4;
    /// The one guest the message names (`guest_id`): their own photo.
    pub const OWNER: i32 = 8;
}

/// A message to append.
#[derive(Debug, Clone)]
pub struct NewFeedMessage {
    /// Its type, as clients see it (`photo.published`, `queue`, …).
    pub kind: &'static str,
    /// [`audience`] bits.
    pub audience: i32,
    /// The guest of [`audience::OWNER`].
    pub guest: Option<GuestId>,
    /// The photo it is about, if any.
    pub photo: Option<PhotoId>,
    /// The message's fields besides `seq` and `type`.
    pub body: serde_json::Value,
}

/// A stored feed message.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedMessage {
    pub seq: i64,
    pub kind: String,
    pub audience: i32,
    pub guest: Option<GuestId>,
    pub photo: Option<PhotoId>,
    pub body: serde_json::Value,
    pub created_at: DateTime<Utc>,
}

/// Where an event's feed stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FeedHead {
    /// The last sequence number handed out (0: nothing yet).
    pub seq: i64,
    /// The oldest message still kept (`None`: none kept).
    pub first: Option<i64>,
    /// Whether a member blanked the event's walls.
    pub walls_blank: bool,
}

#[derive(sqlx::FromRow)]
struct Row {
    seq: i64,
    kind: String,
    audience: i32,
    guest_id: Option<Uuid>,
    photo_id: Option<Uuid>,
    body: String,
    created_at: DateTime<Utc>,
}

impl Row {
    fn into_message(self) -> FeedMessage {
        FeedMessage {
            seq: self.seq,
            kind: self.kind,
            audience: self.audience,
            guest: self.guest_id.map(GuestId::from_uuid),
            photo: self.photo_id.map(PhotoId::from_uuid),
            // Written by us as JSON: a row that is not reads as an empty object.
            body: serde_json::from_str(&self.body).unwrap_or_else(|_| serde_json::json!({})),
            created_at: self.created_at,
        }
    }
}

/// How long messages are kept: a client further behind reloads its page.
pub const FEED_RETENTION_HOURS: i64 = 24;

pub trait FeedRepo {
    /// Appends a message to `event`'s feed with the event's next sequence number, which it
    /// returns. Takes the event's live-state row for the rest of the transaction: the writers
    /// of one event commit in sequence order.
    fn append_feed(
        &mut self,
        tenant: TenantId,
        event: EventId,
        message: &NewFeedMessage,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<i64>> + Send;
    /// Up to `limit` messages after `after`, in order.
    fn feed_after(
        &mut self,
        tenant: TenantId,
        event: EventId,
        after: i64,
        limit: i64,
    ) -> impl Future<Output = Result<Vec<FeedMessage>>> + Send;
    /// The event's last sequence number, its oldest kept one and the walls' blank state.
    fn feed_head(
        &mut self,
        tenant: TenantId,
        event: EventId,
    ) -> impl Future<Output = Result<FeedHead>> + Send;
    /// Blanks (or resumes) every wall of the event. False when it already was so.
    fn set_walls_blank(
        &mut self,
        tenant: TenantId,
        event: EventId,
        on: bool,
    ) -> impl Future<Output = Result<bool>> + Send;
}

impl FeedRepo for Tx {
    async fn append_feed(
        &mut self,
        tenant: TenantId,
        event: EventId,
        message: &NewFeedMessage,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        #[derive(sqlx::FromRow)]
        struct Seq {
            seq: i64,
        }
        let rows: Vec<Seq> = fetch_all(
            self,
            tenant,
            "INSERT INTO live_state (tenant_id, event_id, seq) VALUES (?, ?, 1) \
             ON CONFLICT (tenant_id, event_id) DO UPDATE SET seq = live_state.seq + 1 \
             RETURNING seq",
            &[Arg::Uuid(tenant.as_uuid()), Arg::Uuid(event.as_uuid())],
        )
        .await?;
        let seq = rows.first().map_or(1, |r| r.seq);
        execute(
            self,
            tenant,
            "INSERT INTO feed (tenant_id, event_id, seq, kind, audience, guest_id, photo_id, \
             body, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            &[
                Arg::Uuid(tenant.as_uuid()),
                Arg::Uuid(event.as_uuid()),
                Arg::Int(seq),
                Arg::Text(message.kind.to_owned()),
                Arg::Int32(message.audience),
                Arg::OptUuid(message.guest.map(|g| g.as_uuid())),
                Arg::OptUuid(message.photo.map(|p| p.as_uuid())),
                Arg::Text(message.body.to_string()),
                Arg::Time(now),
            ],
        )
        .await?;
        // Retention, a little at a time: every 256th message clears the event's old ones.
        if seq % 256 == 0 {
            execute(
                self,
                tenant,
                "DELETE FROM feed WHERE tenant_id = ? AND event_id = ? AND created_at < ?",
                &[
                    Arg::Uuid(tenant.as_uuid()),
                    Arg::Uuid(event.as_uuid()),
                    Arg::Time(now - chrono::Duration::hours(FEED_RETENTION_HOURS)),
                ],
            )
            .await?;
        }
        Ok(seq)
    }

    async fn feed_after(
        &mut self,
        tenant: TenantId,
        event: EventId,
        after: i64,
        limit: i64,
    ) -> Result<Vec<FeedMessage>> {
        let rows: Vec<Row> = fetch_all(
            self,
            tenant,
            "SELECT seq, kind, audience, guest_id, photo_id, body, created_at FROM feed \
             WHERE tenant_id = ? AND event_id = ? AND seq > ? ORDER BY seq LIMIT ?",
            &[
                Arg::Uuid(tenant.as_uuid()),
                Arg::Uuid(event.as_uuid()),
                Arg::Int(after),
                Arg::Int(limit),
            ],
        )
        .await?;
        Ok(rows.into_iter().map(Row::into_message).collect())
    }

    async fn feed_head(&mut self, tenant: TenantId, event: EventId) -> Result<FeedHead> {
        #[derive(sqlx::FromRow)]
        struct State {
            seq: i64,
            walls_blank: bool,
            first: Option<i64>,
        }
        let row: Option<State> = fetch_optional(
            self,
            tenant,
            "SELECT s.seq, s.walls_blank, (SELECT min(f.seq) FROM feed f \
             WHERE f.tenant_id = s.tenant_id AND f.event_id = s.event_id) AS first \
             FROM live_state s WHERE s.tenant_id = ? AND s.event_id = ?",
            &[Arg::Uuid(tenant.as_uuid()), Arg::Uuid(event.as_uuid())],
        )
        .await?;
        Ok(row.map_or_else(FeedHead::default, |r| FeedHead {
            seq: r.seq,
            first: r.first,
            walls_blank: r.walls_blank,
        }))
    }

    async fn set_walls_blank(
        &mut self,
        tenant: TenantId,
        event: EventId,
        on: bool,
    ) -> Result<bool> {
        if self.feed_head(tenant, event).await?.walls_blank == on {
            return Ok(false);
        }
        execute(
            self,
            tenant,
            "INSERT INTO live_state (tenant_id, event_id, seq, walls_blank) VALUES (?, ?, 0, ?) \
             ON CONFLICT (tenant_id, event_id) DO UPDATE SET walls_blank = excluded.walls_blank",
            &[
                Arg::Uuid(tenant.as_uuid()),
                Arg::Uuid(event.as_uuid()),
                Arg::Bool(on),
            ],
        )
        .await?;
        Ok(true)
    }
}

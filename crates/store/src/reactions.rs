//! Reactions to photos: a small fixed set, one of each per person per photo (tenant-scoped).

use std::collections::HashMap;
use std::future::Future;

use chrono::{DateTime, Utc};
use domain::{EventId, PhotoId, TenantId};
use uuid::Uuid;

use crate::sql::{Arg, execute, fetch_all};
use crate::{Result, Tx};

/// Counts per photo and kind, and which kinds `reactor` used.
#[derive(Debug, Clone, Default)]
pub struct ReactionSummary {
    pub counts: HashMap<PhotoId, HashMap<String, i64>>,
    pub mine: HashMap<PhotoId, Vec<String>>,
}

pub trait ReactionRepo {
    /// Adds the reaction, or takes it back when it is there. True when it is there now.
    fn toggle_reaction(
        &mut self,
        tenant: TenantId,
        event: EventId,
        photo: PhotoId,
        reactor: &str,
        kind: &str,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<bool>> + Send;
    /// Counts for `photos`, and `reactor`'s own.
    fn reaction_summary(
        &mut self,
        tenant: TenantId,
        photos: &[PhotoId],
        reactor: &str,
    ) -> impl Future<Output = Result<ReactionSummary>> + Send;
    /// All reactions in an event (the dashboard figure), from a counter kept as they change.
    fn count_event_reactions(
        &mut self,
        tenant: TenantId,
        event: EventId,
    ) -> impl Future<Output = Result<i64>> + Send;
}

impl ReactionRepo for Tx {
    async fn toggle_reaction(
        &mut self,
        tenant: TenantId,
        event: EventId,
        photo: PhotoId,
        reactor: &str,
        kind: &str,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let removed = execute(
            self,
            Some(tenant),
            "DELETE FROM reactions WHERE tenant_id = ? AND photo_id = ? AND reactor = ? AND kind = ?",
            &[
                Arg::Uuid(tenant.as_uuid()),
                Arg::Uuid(photo.as_uuid()),
                Arg::Text(reactor.to_owned()),
                Arg::Text(kind.to_owned()),
            ],
        )
        .await?;
        if removed > 0 {
            execute(
                self,
                Some(tenant),
                "UPDATE photos SET reaction_count = reaction_count - 1 \
                 WHERE tenant_id = ? AND id = ? AND reaction_count > 0",
                &[Arg::Uuid(tenant.as_uuid()), Arg::Uuid(photo.as_uuid())],
            )
            .await?;
            return Ok(false);
        }
        let added = execute(
            self,
            Some(tenant),
            "INSERT INTO reactions (tenant_id, event_id, photo_id, reactor, kind, created_at) \
             VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            &[
                Arg::Uuid(tenant.as_uuid()),
                Arg::Uuid(event.as_uuid()),
                Arg::Uuid(photo.as_uuid()),
                Arg::Text(reactor.to_owned()),
                Arg::Text(kind.to_owned()),
                Arg::Time(now),
            ],
        )
        .await?;
        if added > 0 {
            execute(
                self,
                Some(tenant),
                "UPDATE photos SET reaction_count = reaction_count + 1 WHERE tenant_id = ? AND id = ?",
                &[Arg::Uuid(tenant.as_uuid()), Arg::Uuid(photo.as_uuid())],
            )
            .await?;
        }
        Ok(true)
    }

    async fn reaction_summary(
        &mut self,
        tenant: TenantId,
        photos: &[PhotoId],
        reactor: &str,
    ) -> Result<ReactionSummary> {
        let mut out = ReactionSummary::default();
        if photos.is_empty() {
            return Ok(out);
        }
        #[derive(sqlx::FromRow)]
        struct Row {
            photo_id: Uuid,
            kind: String,
            n: i64,
            mine: i64,
        }
        let marks = vec!["?"; photos.len()].join(", ");
        let sql = format!(
            "SELECT photo_id, kind, count(*) AS n, \
             CAST(sum(CASE WHEN reactor = ? THEN 1 ELSE 0 END) AS BIGINT) AS mine \
             FROM reactions WHERE tenant_id = ? AND photo_id IN ({marks}) GROUP BY photo_id, kind"
        );
        let mut args = vec![Arg::Text(reactor.to_owned()), Arg::Uuid(tenant.as_uuid())];
        args.extend(photos.iter().map(|p| Arg::Uuid(p.as_uuid())));
        let rows: Vec<Row> = fetch_all(self, Some(tenant), &sql, &args).await?;
        for r in rows {
            let id = PhotoId::from_uuid(r.photo_id);
            out.counts
                .entry(id)
                .or_default()
                .insert(r.kind.clone(), r.n);
            if r.mine > 0 {
                out.mine.entry(id).or_default().push(r.kind);
            }
        }
        Ok(out)
    }

    async fn count_event_reactions(&mut self, tenant: TenantId, event: EventId) -> Result<i64> {
        #[derive(sqlx::FromRow)]
        struct Row {
            n: i64,
        }
        let rows: Vec<Row> = fetch_all(
            self,
            Some(tenant),
            "SELECT reactions AS n FROM event_totals WHERE tenant_id = ? AND event_id = ?",
            &[Arg::Uuid(tenant.as_uuid()), Arg::Uuid(event.as_uuid())],
        )
        .await?;
        Ok(rows.first().map_or(0, |r| r.n))
    }
}

/// Views of photos in the lightbox, once per viewer.
pub trait ViewRepo {
    /// Counts `viewer` seeing `photo` (again: no change). True when it was the first time.
    fn record_view(
        &mut self,
        tenant: TenantId,
        event: EventId,
        photo: PhotoId,
        viewer: &str,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<bool>> + Send;
    /// Views in an event (the dashboard figure), from a counter kept as they change.
    fn count_event_views(
        &mut self,
        tenant: TenantId,
        event: EventId,
    ) -> impl Future<Output = Result<i64>> + Send;
    /// Views in an event, and the most viewed photos (id, views), most first.
    fn event_views(
        &mut self,
        tenant: TenantId,
        event: EventId,
        top: u32,
    ) -> impl Future<Output = Result<(i64, Vec<(PhotoId, i64)>)>> + Send;
}

impl ViewRepo for Tx {
    async fn record_view(
        &mut self,
        tenant: TenantId,
        event: EventId,
        photo: PhotoId,
        viewer: &str,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let n = execute(
            self,
            Some(tenant),
            "INSERT INTO photo_views (tenant_id, event_id, photo_id, viewer, created_at) \
             VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            &[
                Arg::Uuid(tenant.as_uuid()),
                Arg::Uuid(event.as_uuid()),
                Arg::Uuid(photo.as_uuid()),
                Arg::Text(viewer.to_owned()),
                Arg::Time(now),
            ],
        )
        .await?;
        Ok(n == 1)
    }

    async fn count_event_views(&mut self, tenant: TenantId, event: EventId) -> Result<i64> {
        #[derive(sqlx::FromRow)]
        struct Row {
            n: i64,
        }
        let rows: Vec<Row> = fetch_all(
            self,
            Some(tenant),
            "SELECT views AS n FROM event_totals WHERE tenant_id = ? AND event_id = ?",
            &[Arg::Uuid(tenant.as_uuid()), Arg::Uuid(event.as_uuid())],
        )
        .await?;
        Ok(rows.first().map_or(0, |r| r.n))
    }

    async fn event_views(
        &mut self,
        tenant: TenantId,
        event: EventId,
        top: u32,
    ) -> Result<(i64, Vec<(PhotoId, i64)>)> {
        #[derive(sqlx::FromRow)]
        struct Row {
            photo_id: Uuid,
            n: i64,
        }
        let rows: Vec<Row> = fetch_all(
            self,
            Some(tenant),
            "SELECT photo_id, count(*) AS n FROM photo_views WHERE tenant_id = ? AND event_id = ? \
             GROUP BY photo_id ORDER BY n DESC",
            &[Arg::Uuid(tenant.as_uuid()), Arg::Uuid(event.as_uuid())],
        )
        .await?;
        let total = rows.iter().map(|r| r.n).sum();
        Ok((
            total,
            rows.into_iter()
                .take(top as usize)
                .map(|r| (PhotoId::from_uuid(r.photo_id), r.n))
                .collect(),
        ))
    }
}

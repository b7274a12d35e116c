//! Guests' reports of photos, and blocking a guest (tenant-scoped).

use std::future::Future;

use chrono::{DateTime, Utc};
use domain::{EventId, GuestId, PhotoId, TenantId};
use uuid::Uuid;

use crate::sql::{Arg, execute, fetch_all};
use crate::{Result, Tx};

/// The reports on one photo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhotoReports {
    pub photo_id: PhotoId,
    pub count: i64,
    /// The reasons given, newest first.
    pub reasons: Vec<String>,
}

pub trait ReportRepo {
    /// Records a report (a second one by the same person replaces their reason). Returns how
    /// many people have reported the photo now.
    fn add_report(
        &mut self,
        tenant: TenantId,
        event: EventId,
        photo: PhotoId,
        reporter: &str,
        reason: &str,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<i64>> + Send;
    /// Reports of an event's photos, most reported first.
    fn event_reports(
        &mut self,
        tenant: TenantId,
        event: EventId,
    ) -> impl Future<Output = Result<Vec<PhotoReports>>> + Send;
    /// Clears a photo's reports (a member decided).
    fn clear_reports(
        &mut self,
        tenant: TenantId,
        photo: PhotoId,
    ) -> impl Future<Output = Result<()>> + Send;
    /// Stops (or lets again) a guest upload. False when the guest is not there.
    fn set_guest_blocked(
        &mut self,
        tenant: TenantId,
        event: EventId,
        guest: GuestId,
        blocked_at: Option<DateTime<Utc>>,
    ) -> impl Future<Output = Result<bool>> + Send;
}

impl ReportRepo for Tx {
    async fn add_report(
        &mut self,
        tenant: TenantId,
        event: EventId,
        photo: PhotoId,
        reporter: &str,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        execute(
            self,
            Some(tenant),
            "DELETE FROM reports WHERE tenant_id = ? AND photo_id = ? AND reporter = ?",
            &[
                Arg::Uuid(tenant.as_uuid()),
                Arg::Uuid(photo.as_uuid()),
                Arg::Text(reporter.to_owned()),
            ],
        )
        .await?;
        execute(
            self,
            Some(tenant),
            "INSERT INTO reports (tenant_id, event_id, photo_id, reporter, reason, created_at) \
             VALUES (?, ?, ?, ?, ?, ?)",
            &[
                Arg::Uuid(tenant.as_uuid()),
                Arg::Uuid(event.as_uuid()),
                Arg::Uuid(photo.as_uuid()),
                Arg::Text(reporter.to_owned()),
                Arg::Text(reason.to_owned()),
                Arg::Time(now),
            ],
        )
        .await?;
        #[derive(sqlx::FromRow)]
        struct Row {
            n: i64,
        }
        let rows: Vec<Row> = fetch_all(
            self,
            Some(tenant),
            "SELECT count(*) AS n FROM reports WHERE tenant_id = ? AND photo_id = ?",
            &[Arg::Uuid(tenant.as_uuid()), Arg::Uuid(photo.as_uuid())],
        )
        .await?;
        Ok(rows.first().map_or(0, |r| r.n))
    }

    async fn event_reports(
        &mut self,
        tenant: TenantId,
        event: EventId,
    ) -> Result<Vec<PhotoReports>> {
        #[derive(sqlx::FromRow)]
        struct Row {
            photo_id: Uuid,
            reason: String,
        }
        let rows: Vec<Row> = fetch_all(
            self,
            Some(tenant),
            "SELECT photo_id, reason FROM reports WHERE tenant_id = ? AND event_id = ? \
             ORDER BY created_at DESC",
            &[Arg::Uuid(tenant.as_uuid()), Arg::Uuid(event.as_uuid())],
        )
        .await?;
        let mut out: Vec<PhotoReports> = Vec::new();
        for r in rows {
            let id = PhotoId::from_uuid(r.photo_id);
            match out.iter_mut().find(|p| p.photo_id == id) {
                Some(p) => {
                    p.count += 1;
                    p.reasons.push(r.reason);
                }
                None => out.push(PhotoReports {
                    photo_id: id,
                    count: 1,
                    reasons: vec![r.reason],
                }),
            }
        }
        out.sort_by_key(|p| std::cmp::Reverse(p.count));
        Ok(out)
    }

    async fn clear_reports(&mut self, tenant: TenantId, photo: PhotoId) -> Result<()> {
        execute(
            self,
            Some(tenant),
            "DELETE FROM reports WHERE tenant_id = ? AND photo_id = ?",
            &[Arg::Uuid(tenant.as_uuid()), Arg::Uuid(photo.as_uuid())],
        )
        .await?;
        Ok(())
    }

    async fn set_guest_blocked(
        &mut self,
        tenant: TenantId,
        event: EventId,
        guest: GuestId,
        blocked_at: Option<DateTime<Utc>>,
    ) -> Result<bool> {
        let n = execute(
            self,
            Some(tenant),
            "UPDATE guests SET blocked_at = ? WHERE tenant_id = ? AND event_id = ? AND id = ?",
            &[
                Arg::OptTime(blocked_at),
                Arg::Uuid(tenant.as_uuid()),
                Arg::Uuid(event.as_uuid()),
                Arg::Uuid(guest.as_uuid()),
            ],
        )
        .await?;
        Ok(n == 1)
    }
}

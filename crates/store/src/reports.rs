//! Guests' reports of photos, and blocking a guest (tenant-scoped).

use std::future::Future;

use chrono::{DateTime, Utc};
use domain::{EventId, GuestId, PhotoId, TenantId, UserId};

use crate::photos::{COLUMNS, PhotoRow};
use crate::sql::{Arg, execute, fetch_all};
use crate::{Photo, Result, Tx};

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
    /// The event's reported photos with their reports, most reported first, in one query.
    fn event_reported_photos(
        &mut self,
        tenant: TenantId,
        event: EventId,
    ) -> impl Future<Output = Result<Vec<(Photo, PhotoReports)>>> + Send;
    /// How many reports the event's photos have that no member has decided on yet.
    fn count_event_reports(
        &mut self,
        tenant: TenantId,
        event: EventId,
    ) -> impl Future<Output = Result<i64>> + Send;
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
    /// Takes a guest's published and waiting photos of `event` out of the gallery (hidden, as
    /// by `actor`) in one statement, and settles the reports on them. Returns how many.
    fn hide_guest_photos(
        &mut self,
        tenant: TenantId,
        event: EventId,
        guest: GuestId,
        actor: Option<UserId>,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<u64>> + Send;
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
            // The photo's guest goes with the report, for their figures (migration 0013).
            "INSERT INTO reports (tenant_id, event_id, photo_id, reporter, reason, created_at, \
             guest_id) VALUES (?, ?, ?, ?, ?, ?, \
             (SELECT guest_id FROM photos WHERE tenant_id = ? AND id = ?))",
            &[
                Arg::Uuid(tenant.as_uuid()),
                Arg::Uuid(event.as_uuid()),
                Arg::Uuid(photo.as_uuid()),
                Arg::Text(reporter.to_owned()),
                Arg::Text(reason.to_owned()),
                Arg::Time(now),
                Arg::Uuid(tenant.as_uuid()),
                Arg::Uuid(photo.as_uuid()),
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

    async fn event_reported_photos(
        &mut self,
        tenant: TenantId,
        event: EventId,
    ) -> Result<Vec<(Photo, PhotoReports)>> {
        #[derive(sqlx::FromRow)]
        struct Row {
            #[sqlx(flatten)]
            photo: PhotoRow,
            reason: String,
        }
        let photo_columns = COLUMNS
            .split(", ")
            .map(|c| format!("p.{}", c.trim()))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT {photo_columns}, r.reason FROM reports r \
             JOIN photos p ON p.tenant_id = r.tenant_id AND p.id = r.photo_id \
             WHERE r.tenant_id = ? AND r.event_id = ? ORDER BY r.created_at DESC"
        );
        let rows: Vec<Row> = fetch_all(
            self,
            Some(tenant),
            &sql,
            &[Arg::Uuid(tenant.as_uuid()), Arg::Uuid(event.as_uuid())],
        )
        .await?;
        let mut out: Vec<(Photo, PhotoReports)> = Vec::new();
        let mut at: std::collections::HashMap<PhotoId, usize> = std::collections::HashMap::new();
        for r in rows {
            let id = PhotoId::from_uuid(r.photo.id);
            match at.get(&id).and_then(|&i| out.get_mut(i)) {
                Some((_, reports)) => {
                    reports.count += 1;
                    reports.reasons.push(r.reason);
                }
                None => {
                    at.insert(id, out.len());
                    out.push((
                        Photo::try_from(r.photo)?,
                        PhotoReports {
                            photo_id: id,
                            count: 1,
                            reasons: vec![r.reason],
                        },
                    ));
                }
            }
        }
        out.sort_by_key(|(_, r)| std::cmp::Reverse(r.count));
        Ok(out)
    }

    async fn count_event_reports(&mut self, tenant: TenantId, event: EventId) -> Result<i64> {
        #[derive(sqlx::FromRow)]
        struct Row {
            n: i64,
        }
        let rows: Vec<Row> = fetch_all(
            self,
            Some(tenant),
            "SELECT count(*) AS n FROM reports WHERE tenant_id = ? AND event_id = ?",
            &[Arg::Uuid(tenant.as_uuid()), Arg::Uuid(event.as_uuid())],
        )
        .await?;
        Ok(rows.first().map_or(0, |r| r.n))
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

    async fn hide_guest_photos(
        &mut self,
        tenant: TenantId,
        event: EventId,
        guest: GuestId,
        actor: Option<UserId>,
        now: DateTime<Utc>,
    ) -> Result<u64> {
        let n = execute(
            self,
            Some(tenant),
            "UPDATE photos SET status = 'hidden', moderated_by = ?, moderated_at = ? \
             WHERE tenant_id = ? AND event_id = ? AND guest_id = ? \
             AND status IN ('published', 'pending_review')",
            &[
                Arg::OptUuid(actor.map(|a| a.as_uuid())),
                Arg::Time(now),
                Arg::Uuid(tenant.as_uuid()),
                Arg::Uuid(event.as_uuid()),
                Arg::Uuid(guest.as_uuid()),
            ],
        )
        .await?;
        // A member decided on all of them: their reports are settled, as when one is hidden.
        execute(
            self,
            Some(tenant),
            "DELETE FROM reports WHERE tenant_id = ? AND event_id = ? AND guest_id = ?",
            &[
                Arg::Uuid(tenant.as_uuid()),
                Arg::Uuid(event.as_uuid()),
                Arg::Uuid(guest.as_uuid()),
            ],
        )
        .await?;
        Ok(n)
    }
}

//! An organization's usage against its plan, read from the counters kept as changes commit
//! (per-event photo, byte and guest totals), so it costs a few small reads whatever the size
//! of the events; and which plan the organization is on.

use std::future::Future;

use chrono::{DateTime, Utc};
use domain::TenantId;
use domain::plan::Usage;

use crate::sql::{Arg, execute, fetch_one, fetch_optional};
use crate::{Result, Tx};

/// Usage and plans. Every method needs the tenant's scope.
pub trait UsageRepo {
    fn tenant_usage(
        &mut self,
        tenant: TenantId,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<Usage>> + Send;
    /// The organization's plan name; `None`: the configured default.
    fn tenant_plan(
        &mut self,
        tenant: TenantId,
    ) -> impl Future<Output = Result<Option<String>>> + Send;
    fn set_tenant_plan(
        &mut self,
        tenant: TenantId,
        plan: Option<&str>,
    ) -> impl Future<Output = Result<bool>> + Send;
}

fn count(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

impl UsageRepo for Tx {
    async fn tenant_usage(&mut self, tenant: TenantId, now: DateTime<Utc>) -> Result<Usage> {
        let t = || Arg::Uuid(tenant.as_uuid());
        let (photos, bytes): (i64, i64) = fetch_one(
            self,
            tenant,
            "SELECT CAST(coalesce(sum(photos), 0) AS BIGINT), \
             CAST(coalesce(sum(storage_bytes), 0) AS BIGINT) \
             FROM event_photo_counts WHERE tenant_id = ?",
            &[t()],
        )
        .await?;
        let (guests,): (i64,) = fetch_one(
            self,
            tenant,
            "SELECT CAST(coalesce(sum(guests), 0) AS BIGINT) FROM event_totals WHERE tenant_id = ?",
            &[t()],
        )
        .await?;
        let (events,): (i64,) = fetch_one(
            self,
            tenant,
            "SELECT count(*) FROM events WHERE tenant_id = ?",
            &[t()],
        )
        .await?;
        // A seat is an active member or an invitation that can still be accepted.
        let (members,): (i64,) = fetch_one(
            self,
            tenant,
            "SELECT (SELECT count(*) FROM memberships WHERE tenant_id = ? AND deactivated_at IS NULL) \
             + (SELECT count(*) FROM invitations WHERE tenant_id = ? AND accepted_at IS NULL \
                AND revoked_at IS NULL AND expires_at > ?)",
            &[t(), t(), Arg::Time(now)],
        )
        .await?;
        Ok(Usage {
            photos: count(photos),
            storage_bytes: count(bytes),
            guests: count(guests),
            members: count(members),
            events: count(events),
        })
    }

    async fn tenant_plan(&mut self, tenant: TenantId) -> Result<Option<String>> {
        let row: Option<(Option<String>,)> = fetch_optional(
            self,
            tenant,
            "SELECT plan FROM tenants WHERE id = ?",
            &[Arg::Uuid(tenant.as_uuid())],
        )
        .await?;
        Ok(row.and_then(|(p,)| p))
    }

    async fn set_tenant_plan(&mut self, tenant: TenantId, plan: Option<&str>) -> Result<bool> {
        let n = execute(
            self,
            tenant,
            "UPDATE tenants SET plan = ? WHERE id = ?",
            &[
                Arg::OptText(plan.map(str::to_owned)),
                Arg::Uuid(tenant.as_uuid()),
            ],
        )
        .await?;
        Ok(n == 1)
    }
}

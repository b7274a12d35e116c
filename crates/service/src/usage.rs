//! Usage against limits: each organization is on a plan (configuration names the plans and
//! their limits; the operator assigns them with `momentique orgs plan`), pages warn from 80 %,
//! and what would go past 100 % is refused with a sentence saying which limit and what to do.
//! The checks run where photos, guests, members and events are added.

use std::collections::BTreeMap;

use domain::plan::{self, Level, PlanLimits, Resource, Usage};
use domain::{Action, TenantId};
use store::{Scope, StoreError, Tx, UsageRepo};

use crate::{Ctx, Services};

/// The name of the built-in plan without limits.
pub const UNLIMITED: &str = "unlimited";

/// The configured plans and the one organizations are on unless the operator chose another.
#[derive(Debug, Clone)]
pub struct Plans {
    pub default: String,
    pub plans: BTreeMap<String, PlanLimits>,
}

impl Default for Plans {
    fn default() -> Self {
        Self {
            default: UNLIMITED.to_owned(),
            plans: BTreeMap::new(),
        }
    }
}

impl Plans {
    /// The limits of `name` (the default plan for `None`); a name no longer configured, and
    /// "unlimited", have none.
    pub fn limits(&self, name: Option<&str>) -> PlanLimits {
        let name = name.unwrap_or(&self.default);
        self.plans
            .get(name)
            .copied()
            .unwrap_or(PlanLimits::UNLIMITED)
    }

    /// Whether `name` is a plan one can be put on.
    pub fn knows(&self, name: &str) -> bool {
        name == UNLIMITED || self.plans.contains_key(name)
    }
}

/// A limit that would be passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the plan's limit of {limit} {} is reached", resource.as_str())]
pub struct LimitReached {
    pub resource: Resource,
    pub limit: u64,
}

/// Why a usage check could not say yes.
#[derive(Debug, thiserror::Error)]
pub enum UsageError {
    #[error("not allowed")]
    Denied,
    #[error(transparent)]
    Limit(#[from] LimitReached),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl UsageError {
    /// Into a use case's own error: the limit, a store failure, or `denied()`.
    pub(crate) fn into_error<E: From<LimitReached> + From<StoreError>>(
        self,
        denied: impl FnOnce() -> E,
    ) -> E {
        match self {
            UsageError::Limit(l) => l.into(),
            UsageError::Store(e) => e.into(),
            UsageError::Denied => denied(),
        }
    }
}

/// Refuses adding `adding` of each listed resource when it would pass the plan's limit. Runs in
/// the caller's transaction (scoped to `tenant`).
pub(crate) async fn ensure_room(
    services: &Services,
    tx: &mut Tx,
    tenant: TenantId,
    wanted: &[(Resource, u64)],
) -> Result<(), UsageError> {
    let limits = services
        .plans
        .limits(tx.tenant_plan(tenant).await?.as_deref());
    if wanted.iter().all(|(r, _)| limits.limit(*r).is_none()) {
        return Ok(());
    }
    let usage = tx.tenant_usage(tenant, services.now()).await?;
    for (resource, adding) in wanted {
        let limit = limits.limit(*resource);
        if !plan::has_room(usage.used(*resource), *adding, limit) {
            return Err(LimitReached {
                resource: *resource,
                limit: limit.unwrap_or(0),
            }
            .into());
        }
    }
    Ok(())
}

/// Same, in a read transaction of its own (before an upload streams in).
pub(crate) async fn check_room(
    services: &Services,
    tenant: TenantId,
    wanted: &[(Resource, u64)],
) -> Result<(), UsageError> {
    let mut tx = services.db.begin_read(Scope::Tenant(tenant)).await?;
    let r = ensure_room(services, &mut tx, tenant, wanted).await;
    tx.commit().await?;
    r
}

/// One line of the usage page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UsageLine {
    pub resource: Resource,
    pub used: u64,
    pub limit: Option<u64>,
    pub percent: Option<u64>,
    pub level: Level,
}

/// The organization's plan and usage.
#[derive(Debug, Clone)]
pub struct UsageReport {
    pub plan: String,
    pub lines: Vec<UsageLine>,
}

impl UsageReport {
    /// The lines at 80 % or more, for a warning.
    pub fn warnings(&self) -> impl Iterator<Item = &UsageLine> {
        self.lines.iter().filter(|l| l.level != Level::Fine)
    }
}

fn report_of(plan: String, limits: PlanLimits, usage: Usage) -> UsageReport {
    UsageReport {
        plan,
        lines: Resource::ALL
            .iter()
            .map(|&r| {
                let (used, limit) = (usage.used(r), limits.limit(r));
                UsageLine {
                    resource: r,
                    used,
                    limit,
                    percent: plan::percent(used, limit),
                    level: plan::level(used, limit),
                }
            })
            .collect(),
    }
}

/// What the organization uses against its plan (every member may see it).
pub async fn report(services: &Services, ctx: &Ctx) -> Result<UsageReport, UsageError> {
    ctx.require(Action::ViewEvents)
        .map_err(|_| UsageError::Denied)?;
    let mut tx = services.db.begin_read(Scope::Tenant(ctx.tenant)).await?;
    let name = tx.tenant_plan(ctx.tenant).await?;
    let usage = tx.tenant_usage(ctx.tenant, ctx.now).await?;
    tx.commit().await?;
    let limits = services.plans.limits(name.as_deref());
    Ok(report_of(
        name.unwrap_or_else(|| services.plans.default.clone()),
        limits,
        usage,
    ))
}

/// The member's home: the next events, and the plan's limits that are close or reached.
#[derive(Debug, Clone)]
pub struct Dashboard {
    pub events: crate::events::EventList,
    pub usage: UsageReport,
}

/// The dashboard's data in one use case.
pub async fn dashboard(
    services: &Services,
    ctx: &Ctx,
    q: &store::EventQuery,
) -> Result<Dashboard, crate::Error> {
    let events = crate::events::list_events(services, ctx, q).await?;
    // Without a single limit there is nothing to warn about: no counting.
    if services.plans.plans.is_empty() {
        let usage = UsageReport {
            plan: services.plans.default.clone(),
            lines: Vec::new(),
        };
        return Ok(Dashboard { events, usage });
    }
    let usage = match report(services, ctx).await {
        Ok(u) => u,
        Err(UsageError::Store(e)) => return Err(e.into()),
        Err(UsageError::Denied | UsageError::Limit(_)) => {
            return Err(crate::Error::Denied(domain::Denied(Action::ViewEvents)));
        }
    };
    Ok(Dashboard { events, usage })
}

/// The operator puts an organization on a plan (`None`: back to the default).
pub async fn set_plan(
    services: &Services,
    tenant: TenantId,
    plan: Option<&str>,
) -> Result<bool, StoreError> {
    let mut tx = services.db.begin(Scope::Tenant(tenant)).await?;
    let found = tx.set_tenant_plan(tenant, plan).await?;
    tx.commit().await?;
    Ok(found)
}

/// The operator's view of one organization's usage.
pub async fn report_for_operator(
    services: &Services,
    tenant: TenantId,
) -> Result<UsageReport, StoreError> {
    let mut tx = services.db.begin_read(Scope::Tenant(tenant)).await?;
    let name = tx.tenant_plan(tenant).await?;
    let usage = tx.tenant_usage(tenant, services.now()).await?;
    tx.commit().await?;
    let limits = services.plans.limits(name.as_deref());
    Ok(report_of(
        name.unwrap_or_else(|| services.plans.default.clone()),
        limits,
        usage,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_fall_back_to_the_default_and_unknown_names_have_no_limits() {
        let small = PlanLimits {
            photos: Some(10),
            ..PlanLimits::UNLIMITED
        };
        let plans = Plans {
            default: "small".into(),
            plans: BTreeMap::from([("small".to_owned(), small)]),
        };
        assert_eq!(plans.limits(None), small);
        assert_eq!(plans.limits(Some("small")), small);
        assert_eq!(plans.limits(Some("gone")), PlanLimits::UNLIMITED);
        assert!(plans.knows("small") && plans.knows(UNLIMITED) && !plans.knows("gone"));
        assert_eq!(Plans::default().limits(None), PlanLimits::UNLIMITED);
    }

    #[test]
    fn the_report_marks_warnings() {
        let limits = PlanLimits {
            photos: Some(100),
            guests: Some(10),
            ..PlanLimits::UNLIMITED
        };
        let usage = Usage {
            photos: 85,
            guests: 10,
            events: 3,
            ..Usage::default()
        };
        let r = report_of("small".into(), limits, usage);
        let warned: Vec<_> = r.warnings().map(|l| (l.resource, l.level)).collect();
        assert_eq!(
            warned,
            [
                (Resource::Photos, Level::Warning),
                (Resource::Guests, Level::Full)
            ]
        );
        assert_eq!(r.lines[0].percent, Some(85));
        assert_eq!(r.lines[4].percent, None, "events: no limit");
    }
}

//! The organization's activity: its audit log as a page, filtered by who acted and what was
//! done, a page at a time (admins and owners: `Action::ViewAuditLog`).

use chrono::{DateTime, Utc};
use domain::{Action, AuditId, UserId};
use store::{ActivityFilter, AuditEntry, AuditRepo, MembershipRepo, Scope, TeamMember};

use crate::{Ctx, Error, Services};

/// Entries per page.
pub const PAGE: u32 = 50;

/// What the activity page asks for.
#[derive(Debug, Clone, Default)]
pub struct ActivityQuery {
    pub actor: Option<UserId>,
    /// An action name or a family of them (`member.`, `login.`).
    pub action_prefix: Option<String>,
    pub before: Option<(DateTime<Utc>, AuditId)>,
}

/// One page of activity, with the team (for the "who" filter).
#[derive(Debug, Clone)]
pub struct Activity {
    /// Entries with the actor's name (`None`: the system, or an account that is gone).
    pub entries: Vec<(AuditEntry, Option<String>)>,
    /// Where the next page starts, when there is one.
    pub next: Option<(DateTime<Utc>, AuditId)>,
    pub team: Vec<TeamMember>,
}

/// A page of the organization's activity.
pub async fn activity(
    services: &Services,
    ctx: &Ctx,
    q: &ActivityQuery,
) -> Result<Activity, Error> {
    ctx.require(Action::ViewAuditLog)?;
    let mut tx = services.db.begin_read(Scope::Tenant(ctx.tenant)).await?;
    let filter = ActivityFilter {
        actor: q.actor,
        action_prefix: q.action_prefix.clone(),
        before: q.before,
    };
    let mut entries = tx.list_activity(ctx.tenant, &filter, PAGE + 1).await?;
    let team = tx.list_team(ctx.tenant).await?;
    tx.commit().await?;
    let next = if entries.len() > PAGE as usize {
        entries.truncate(PAGE as usize);
        entries.last().map(|(e, _)| (e.created_at, e.id))
    } else {
        None
    };
    Ok(Activity {
        entries,
        next,
        team,
    })
}

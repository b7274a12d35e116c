//! The per-organization audit log: who did what, when. Append-only.

use std::future::Future;

use chrono::{DateTime, Utc};
use domain::{AuditId, TenantId, UserId};
use uuid::Uuid;

use crate::sql::{Arg, execute, fetch_all};
use crate::{Result, Tx};

/// An entry to append.
#[derive(Debug, Clone)]
pub struct NewAuditEntry {
    pub actor: Option<UserId>,
    /// A stable dotted name, e.g. `auth.login_failed`, `event.created`.
    pub action: String,
    /// What it was done to, e.g. `user:0192…`.
    pub subject: Option<String>,
    /// Extra facts as JSON. Never passwords, tokens, emails or raw IPs.
    pub details: serde_json::Value,
}

/// A stored entry.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry {
    pub id: AuditId,
    pub tenant_id: TenantId,
    pub actor: Option<UserId>,
    pub action: String,
    pub subject: Option<String>,
    pub details: serde_json::Value,
    pub created_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct AuditRow {
    id: Uuid,
    tenant_id: Uuid,
    actor_user_id: Option<Uuid>,
    action: String,
    subject: Option<String>,
    details: sqlx::types::Json<serde_json::Value>,
    created_at: DateTime<Utc>,
}

impl From<AuditRow> for AuditEntry {
    fn from(r: AuditRow) -> Self {
        AuditEntry {
            id: AuditId::from_uuid(r.id),
            tenant_id: TenantId::from_uuid(r.tenant_id),
            actor: r.actor_user_id.map(UserId::from_uuid),
            action: r.action,
            subject: r.subject,
            details: r.details.0,
            created_at: r.created_at,
        }
    }
}

const COLUMNS: &str = "id, tenant_id, actor_user_id, action, subject, details, created_at";

/// The audit log of one organization.
pub trait AuditRepo {
    fn append_audit(
        &mut self,
        tenant: TenantId,
        entry: &NewAuditEntry,
    ) -> impl Future<Output = Result<AuditId>> + Send;
    /// Entries whose subject starts with `prefix` (`event:ID/` for one event), newest first.
    fn list_audit_for(
        &mut self,
        tenant: TenantId,
        prefix: &str,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<AuditEntry>>> + Send;
    /// [`AuditRepo::list_audit_for`] with each actor's name (`None`: no actor, or the account
    /// is gone), in one query.
    fn list_audit_for_named(
        &mut self,
        tenant: TenantId,
        prefix: &str,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<(AuditEntry, Option<String>)>>> + Send;
    /// The activity page: newest first, with each actor's name, by who acted and by what was
    /// done (an action name or a prefix such as `member.`), older than `before`.
    fn list_activity(
        &mut self,
        tenant: TenantId,
        filter: &ActivityFilter,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<(AuditEntry, Option<String>)>>> + Send;
    /// Newest first.
    fn list_audit(
        &mut self,
        tenant: TenantId,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<AuditEntry>>> + Send;
}

/// Which entries of the audit log the activity page shows.
#[derive(Debug, Clone, Default)]
pub struct ActivityFilter {
    pub actor: Option<UserId>,
    /// Actions starting with this (`member.`), or exactly this action.
    pub action_prefix: Option<String>,
    /// Only entries older than this (time, id): the next page.
    pub before: Option<(DateTime<Utc>, AuditId)>,
}

impl AuditRepo for Tx {
    async fn list_activity(
        &mut self,
        tenant: TenantId,
        filter: &ActivityFilter,
        limit: u32,
    ) -> Result<Vec<(AuditEntry, Option<String>)>> {
        #[derive(sqlx::FromRow)]
        struct Row {
            #[sqlx(flatten)]
            entry: AuditRow,
            actor_name: Option<String>,
        }
        let mut sql = String::from(
            "SELECT a.id, a.tenant_id, a.actor_user_id, a.action, a.subject, a.details, \
             a.created_at, u.name AS actor_name \
             FROM audit_log a LEFT JOIN users u ON u.id = a.actor_user_id \
             WHERE a.tenant_id = ?",
        );
        let mut args = vec![Arg::Uuid(tenant.as_uuid())];
        if let Some(actor) = filter.actor {
            sql.push_str(" AND a.actor_user_id = ?");
            args.push(Arg::Uuid(actor.as_uuid()));
        }
        if let Some(prefix) = &filter.action_prefix {
            sql.push_str(" AND a.action LIKE ? ESCAPE '\\'");
            args.push(Arg::Text(like_prefix(prefix)));
        }
        if let Some((at, id)) = filter.before {
            sql.push_str(" AND (a.created_at < ? OR (a.created_at = ? AND a.id < ?))");
            args.extend([Arg::Time(at), Arg::Time(at), Arg::Uuid(id.as_uuid())]);
        }
        sql.push_str(" ORDER BY a.created_at DESC, a.id DESC LIMIT ?");
        args.push(Arg::Int(i64::from(limit)));
        let rows: Vec<Row> = fetch_all(self, tenant, &sql, &args).await?;
        Ok(rows
            .into_iter()
            .map(|r| (AuditEntry::from(r.entry), r.actor_name))
            .collect())
    }

    async fn append_audit(&mut self, tenant: TenantId, e: &NewAuditEntry) -> Result<AuditId> {
        let id = AuditId::new();
        let now = domain::time::now();
        execute(
            self,
            tenant,
            &format!("INSERT INTO audit_log ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)"),
            &[
                Arg::Uuid(id.as_uuid()),
                Arg::Uuid(tenant.as_uuid()),
                Arg::OptUuid(e.actor.map(|u| u.as_uuid())),
                Arg::Text(e.action.clone()),
                Arg::OptText(e.subject.clone()),
                Arg::Json(e.details.clone()),
                Arg::Time(now),
            ],
        )
        .await?;
        Ok(id)
    }

    async fn list_audit(&mut self, tenant: TenantId, limit: u32) -> Result<Vec<AuditEntry>> {
        let rows: Vec<AuditRow> = fetch_all(
            self,
            tenant,
            &format!(
                "SELECT {COLUMNS} FROM audit_log WHERE tenant_id = ? \
                 ORDER BY created_at DESC, id DESC LIMIT ?"
            ),
            &[Arg::Uuid(tenant.as_uuid()), Arg::Int(i64::from(limit))],
        )
        .await?;
        Ok(rows.into_iter().map(AuditEntry::from).collect())
    }

    async fn list_audit_for(
        &mut self,
        tenant: TenantId,
        prefix: &str,
        limit: u32,
    ) -> Result<Vec<AuditEntry>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM audit_log WHERE tenant_id = ? AND subject LIKE ? ESCAPE '\\' \
             ORDER BY created_at DESC, id DESC LIMIT ?"
        );
        let rows: Vec<AuditRow> = fetch_all(
            self,
            Some(tenant),
            &sql,
            &prefix_args(tenant, prefix, limit),
        )
        .await?;
        Ok(rows.into_iter().map(AuditEntry::from).collect())
    }

    async fn list_audit_for_named(
        &mut self,
        tenant: TenantId,
        prefix: &str,
        limit: u32,
    ) -> Result<Vec<(AuditEntry, Option<String>)>> {
        #[derive(sqlx::FromRow)]
        struct Row {
            #[sqlx(flatten)]
            entry: AuditRow,
            actor_name: Option<String>,
        }
        let sql = "SELECT a.id, a.tenant_id, a.actor_user_id, a.action, a.subject, a.details, \
                   a.created_at, u.name AS actor_name \
                   FROM audit_log a LEFT JOIN users u ON u.id = a.actor_user_id \
                   WHERE a.tenant_id = ? AND a.subject LIKE ? ESCAPE '\\' \
                   ORDER BY a.created_at DESC, a.id DESC LIMIT ?";
        let rows: Vec<Row> =
            fetch_all(self, Some(tenant), sql, &prefix_args(tenant, prefix, limit)).await?;
        Ok(rows
            .into_iter()
            .map(|r| (AuditEntry::from(r.entry), r.actor_name))
            .collect())
    }
}

/// The arguments of a query for `tenant`'s entries whose subject starts with `prefix`.
fn prefix_args(tenant: TenantId, prefix: &str, limit: u32) -> [Arg; 3] {
    [
        Arg::Uuid(tenant.as_uuid()),
        Arg::Text(like_prefix(prefix)),
        Arg::Int(i64::from(limit)),
    ]
}

/// A `LIKE … ESCAPE '\\'` pattern for values starting with `prefix` (its `%`, `_` and `\\`
/// taken literally).
fn like_prefix(prefix: &str) -> String {
    format!(
        "{}%",
        prefix
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    )
}

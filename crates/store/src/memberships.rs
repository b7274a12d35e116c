//! Who belongs to which organization, with which role.

use std::future::Future;

use chrono::{DateTime, Utc};
use domain::{Role, TenantId, UserId};
use uuid::Uuid;

use crate::sql::{Arg, execute, fetch_all, fetch_optional};
use crate::{Result, StoreError, Tx};

/// A person's membership in an organization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Membership {
    pub tenant_id: TenantId,
    pub user_id: UserId,
    pub role: Role,
    pub created_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct MembershipRow {
    tenant_id: Uuid,
    user_id: Uuid,
    role: String,
    created_at: DateTime<Utc>,
}

impl TryFrom<MembershipRow> for Membership {
    type Error = StoreError;
    fn try_from(r: MembershipRow) -> Result<Self> {
        Ok(Membership {
            tenant_id: TenantId::from_uuid(r.tenant_id),
            user_id: UserId::from_uuid(r.user_id),
            role: r
                .role
                .parse()
                .map_err(|e: domain::role::UnknownRole| StoreError::Corrupt {
                    column: "memberships.role",
                    reason: e.to_string(),
                })?,
            created_at: r.created_at,
        })
    }
}

const COLUMNS: &str = "tenant_id, user_id, role, created_at";

/// Memberships. Tenant methods need `Scope::Tenant`; [`MembershipRepo::memberships_of_user`]
/// needs `Scope::User`.
pub trait MembershipRepo {
    fn insert_membership(
        &mut self,
        tenant: TenantId,
        membership: &Membership,
    ) -> impl Future<Output = Result<()>> + Send;
    fn list_members(
        &mut self,
        tenant: TenantId,
    ) -> impl Future<Output = Result<Vec<Membership>>> + Send;
    fn get_membership(
        &mut self,
        tenant: TenantId,
        user: UserId,
    ) -> impl Future<Output = Result<Option<Membership>>> + Send;
    /// Every organization `user` belongs to, oldest membership first.
    fn memberships_of_user(
        &mut self,
        user: UserId,
    ) -> impl Future<Output = Result<Vec<Membership>>> + Send;
}

impl MembershipRepo for Tx {
    async fn insert_membership(&mut self, tenant: TenantId, m: &Membership) -> Result<()> {
        if m.tenant_id != tenant {
            return Err(StoreError::ScopeMismatch);
        }
        execute(
            self,
            tenant,
            "INSERT INTO memberships (tenant_id, user_id, role, created_at) VALUES (?, ?, ?, ?)",
            &[
                Arg::Uuid(tenant.as_uuid()),
                Arg::Uuid(m.user_id.as_uuid()),
                Arg::Text(m.role.as_str().to_owned()),
                Arg::Time(m.created_at),
            ],
        )
        .await
        .map_err(|e| e.conflict_on("membership"))?;
        Ok(())
    }

    async fn list_members(&mut self, tenant: TenantId) -> Result<Vec<Membership>> {
        let rows: Vec<MembershipRow> = fetch_all(
            self,
            tenant,
            &format!(
                "SELECT {COLUMNS} FROM memberships WHERE tenant_id = ? ORDER BY created_at, user_id"
            ),
            &[Arg::Uuid(tenant.as_uuid())],
        )
        .await?;
        rows.into_iter().map(Membership::try_from).collect()
    }

    async fn get_membership(
        &mut self,
        tenant: TenantId,
        user: UserId,
    ) -> Result<Option<Membership>> {
        let row: Option<MembershipRow> = fetch_optional(
            self,
            tenant,
            &format!("SELECT {COLUMNS} FROM memberships WHERE tenant_id = ? AND user_id = ?"),
            &[Arg::Uuid(tenant.as_uuid()), Arg::Uuid(user.as_uuid())],
        )
        .await?;
        row.map(Membership::try_from).transpose()
    }

    async fn memberships_of_user(&mut self, user: UserId) -> Result<Vec<Membership>> {
        let rows: Vec<MembershipRow> = fetch_all(
            self,
            user,
            &format!(
                "SELECT {COLUMNS} FROM memberships WHERE user_id = ? ORDER BY created_at, tenant_id"
            ),
            &[Arg::Uuid(user.as_uuid())],
        )
        .await?;
        rows.into_iter().map(Membership::try_from).collect()
    }
}

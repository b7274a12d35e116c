//! Who belongs to which organization, with which role.

use std::future::Future;

use chrono::{DateTime, Utc};
use domain::{Email, PersonName, Role, TenantId, UserId};
use uuid::Uuid;

use crate::sql::{Arg, execute, fetch_all, fetch_one, fetch_optional};
use crate::{Result, StoreError, Tx};

/// A person's membership in an organization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Membership {
    pub tenant_id: TenantId,
    pub user_id: UserId,
    pub role: Role,
    pub created_at: DateTime<Utc>,
    /// Set while the member may not log in to the organization.
    pub deactivated_at: Option<DateTime<Utc>>,
    /// When they last used the organization (kept to within a few minutes).
    pub last_active_at: Option<DateTime<Utc>>,
}

impl Membership {
    /// A new, active membership.
    pub fn new(tenant_id: TenantId, user_id: UserId, role: Role, now: DateTime<Utc>) -> Self {
        Self {
            tenant_id,
            user_id,
            role,
            created_at: now,
            deactivated_at: None,
            last_active_at: None,
        }
    }

    pub fn is_active(&self) -> bool {
        self.deactivated_at.is_none()
    }
}

/// A member as the members page lists them: the membership and who it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamMember {
    pub membership: Membership,
    pub email: Email,
    pub name: PersonName,
    pub email_verified: bool,
}

#[derive(sqlx::FromRow)]
struct MembershipRow {
    tenant_id: Uuid,
    user_id: Uuid,
    role: String,
    created_at: DateTime<Utc>,
    deactivated_at: Option<DateTime<Utc>>,
    last_active_at: Option<DateTime<Utc>>,
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
            deactivated_at: r.deactivated_at,
            last_active_at: r.last_active_at,
        })
    }
}

const COLUMNS: &str = "tenant_id, user_id, role, created_at, deactivated_at, last_active_at";

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
    /// Every member with their account, oldest membership first (the members page).
    fn list_team(
        &mut self,
        tenant: TenantId,
    ) -> impl Future<Output = Result<Vec<TeamMember>>> + Send;
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
    /// Active owners of the organization (the last one may not be demoted or removed).
    fn count_active_owners(&mut self, tenant: TenantId)
    -> impl Future<Output = Result<i64>> + Send;
    /// Changes a member's role; false when they are not a member.
    fn set_member_role(
        &mut self,
        tenant: TenantId,
        user: UserId,
        role: Role,
    ) -> impl Future<Output = Result<bool>> + Send;
    /// Deactivates (`Some(when)`) or reactivates (`None`) a member; false when not a member.
    fn set_member_deactivated(
        &mut self,
        tenant: TenantId,
        user: UserId,
        at: Option<DateTime<Utc>>,
    ) -> impl Future<Output = Result<bool>> + Send;
    /// Removes a member; false when they were not one.
    fn delete_membership(
        &mut self,
        tenant: TenantId,
        user: UserId,
    ) -> impl Future<Output = Result<bool>> + Send;
    /// Records activity now.
    fn touch_member(
        &mut self,
        tenant: TenantId,
        user: UserId,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<()>> + Send;
}

#[derive(sqlx::FromRow)]
struct TeamRow {
    #[sqlx(flatten)]
    m: MembershipRow,
    email: String,
    name: String,
    email_verified_at: Option<DateTime<Utc>>,
}

impl MembershipRepo for Tx {
    async fn insert_membership(&mut self, tenant: TenantId, m: &Membership) -> Result<()> {
        if m.tenant_id != tenant {
            return Err(StoreError::ScopeMismatch);
        }
        execute(
            self,
            tenant,
            "INSERT INTO memberships (tenant_id, user_id, role, created_at, deactivated_at, \
             last_active_at) VALUES (?, ?, ?, ?, ?, ?)",
            &[
                Arg::Uuid(tenant.as_uuid()),
                Arg::Uuid(m.user_id.as_uuid()),
                Arg::Text(m.role.as_str().to_owned()),
                Arg::Time(m.created_at),
                Arg::OptTime(m.deactivated_at),
                Arg::OptTime(m.last_active_at),
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

    async fn list_team(&mut self, tenant: TenantId) -> Result<Vec<TeamMember>> {
        let rows: Vec<TeamRow> = fetch_all(
            self,
            tenant,
            "SELECT m.tenant_id, m.user_id, m.role, m.created_at, m.deactivated_at, \
             m.last_active_at, u.email, u.name, u.email_verified_at \
             FROM memberships m JOIN users u ON u.id = m.user_id \
             WHERE m.tenant_id = ? ORDER BY m.created_at, m.user_id",
            &[Arg::Uuid(tenant.as_uuid())],
        )
        .await?;
        rows.into_iter()
            .map(|r| {
                let corrupt = |column, e: domain::ParseError| StoreError::Corrupt {
                    column,
                    reason: e.to_string(),
                };
                Ok(TeamMember {
                    email: Email::parse(&r.email).map_err(|e| corrupt("users.email", e))?,
                    name: PersonName::parse(&r.name).map_err(|e| corrupt("users.name", e))?,
                    email_verified: r.email_verified_at.is_some(),
                    membership: Membership::try_from(r.m)?,
                })
            })
            .collect()
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

    async fn count_active_owners(&mut self, tenant: TenantId) -> Result<i64> {
        let (n,): (i64,) = fetch_one(
            self,
            tenant,
            "SELECT count(*) FROM memberships \
             WHERE tenant_id = ? AND role = 'owner' AND deactivated_at IS NULL",
            &[Arg::Uuid(tenant.as_uuid())],
        )
        .await?;
        Ok(n)
    }

    async fn set_member_role(
        &mut self,
        tenant: TenantId,
        user: UserId,
        role: Role,
    ) -> Result<bool> {
        let n = execute(
            self,
            tenant,
            "UPDATE memberships SET role = ? WHERE tenant_id = ? AND user_id = ?",
            &[
                Arg::Text(role.as_str().to_owned()),
                Arg::Uuid(tenant.as_uuid()),
                Arg::Uuid(user.as_uuid()),
            ],
        )
        .await?;
        Ok(n == 1)
    }

    async fn set_member_deactivated(
        &mut self,
        tenant: TenantId,
        user: UserId,
        at: Option<DateTime<Utc>>,
    ) -> Result<bool> {
        let n = execute(
            self,
            tenant,
            "UPDATE memberships SET deactivated_at = ? WHERE tenant_id = ? AND user_id = ?",
            &[
                Arg::OptTime(at),
                Arg::Uuid(tenant.as_uuid()),
                Arg::Uuid(user.as_uuid()),
            ],
        )
        .await?;
        Ok(n == 1)
    }

    async fn delete_membership(&mut self, tenant: TenantId, user: UserId) -> Result<bool> {
        let n = execute(
            self,
            tenant,
            "DELETE FROM memberships WHERE tenant_id = ? AND user_id = ?",
            &[Arg::Uuid(tenant.as_uuid()), Arg::Uuid(user.as_uuid())],
        )
        .await?;
        Ok(n == 1)
    }

    async fn touch_member(
        &mut self,
        tenant: TenantId,
        user: UserId,
        now: DateTime<Utc>,
    ) -> Result<()> {
        execute(
            self,
            tenant,
            "UPDATE memberships SET last_active_at = ? WHERE tenant_id = ? AND user_id = ?",
            &[
                Arg::Time(now),
                Arg::Uuid(tenant.as_uuid()),
                Arg::Uuid(user.as_uuid()),
            ],
        )
        .await?;
        Ok(())
    }
}

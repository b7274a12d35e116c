//! Organizations (tenants).

use std::future::Future;

use chrono::{DateTime, Utc};
use domain::{OrgName, TenantId};
use uuid::Uuid;

use crate::sql::{Arg, execute, fetch_optional};
use crate::{Result, StoreError, Tx};

/// An organization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tenant {
    pub id: TenantId,
    pub name: OrgName,
    pub created_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct TenantRow {
    id: Uuid,
    name: String,
    created_at: DateTime<Utc>,
}

impl TryFrom<TenantRow> for Tenant {
    type Error = StoreError;
    fn try_from(r: TenantRow) -> Result<Self> {
        Ok(Tenant {
            id: TenantId::from_uuid(r.id),
            name: OrgName::parse(&r.name).map_err(|e| StoreError::Corrupt {
                column: "tenants.name",
                reason: e.to_string(),
            })?,
            created_at: r.created_at,
        })
    }
}

/// Organizations. Open the transaction with `Scope::Tenant(tenant.id)`, also to create one.
pub trait TenantRepo {
    fn insert_tenant(&mut self, tenant: &Tenant) -> impl Future<Output = Result<()>> + Send;
    fn get_tenant(
        &mut self,
        tenant: TenantId,
    ) -> impl Future<Output = Result<Option<Tenant>>> + Send;
    fn rename_tenant(
        &mut self,
        tenant: TenantId,
        name: &OrgName,
    ) -> impl Future<Output = Result<bool>> + Send;
}

impl TenantRepo for Tx {
    async fn insert_tenant(&mut self, tenant: &Tenant) -> Result<()> {
        execute(
            self,
            tenant.id,
            "INSERT INTO tenants (id, name, created_at) VALUES (?, ?, ?)",
            &[
                Arg::Uuid(tenant.id.as_uuid()),
                Arg::Text(tenant.name.as_str().to_owned()),
                Arg::Time(tenant.created_at),
            ],
        )
        .await
        .map_err(|e| e.conflict_on("organization"))?;
        Ok(())
    }

    async fn get_tenant(&mut self, tenant: TenantId) -> Result<Option<Tenant>> {
        let row: Option<TenantRow> = fetch_optional(
            self,
            tenant,
            "SELECT id, name, created_at FROM tenants WHERE id = ?",
            &[Arg::Uuid(tenant.as_uuid())],
        )
        .await?;
        row.map(Tenant::try_from).transpose()
    }

    async fn rename_tenant(&mut self, tenant: TenantId, name: &OrgName) -> Result<bool> {
        let done = execute(
            self,
            tenant,
            "UPDATE tenants SET name = ? WHERE id = ?",
            &[
                Arg::Text(name.as_str().to_owned()),
                Arg::Uuid(tenant.as_uuid()),
            ],
        )
        .await?;
        Ok(done == 1)
    }
}

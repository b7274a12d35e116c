//! Organizations (tenants).

use std::future::Future;

use chrono::{DateTime, Utc};
use domain::{OrgName, TenantId};
use uuid::Uuid;

use crate::{Conn, Result, StoreError, Tx};

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
        match self.tenant_conn(tenant.id)? {
            Conn::Sqlite(c) => {
                sqlx::query("INSERT INTO tenants (id, name, created_at) VALUES (?, ?, ?)")
                    .bind(tenant.id.as_uuid())
                    .bind(tenant.name.as_str())
                    .bind(tenant.created_at)
                    .execute(c)
                    .await
                    .map(|_| ())
            }
            Conn::Postgres(c) => {
                sqlx::query("INSERT INTO tenants (id, name, created_at) VALUES ($1, $2, $3)")
                    .bind(tenant.id.as_uuid())
                    .bind(tenant.name.as_str())
                    .bind(tenant.created_at)
                    .execute(c)
                    .await
                    .map(|_| ())
            }
        }
        .map_err(|e| StoreError::from(e).conflict_on("organization"))?;
        Ok(())
    }

    async fn get_tenant(&mut self, tenant: TenantId) -> Result<Option<Tenant>> {
        let row: Option<TenantRow> = match self.tenant_conn(tenant)? {
            Conn::Sqlite(c) => {
                sqlx::query_as("SELECT id, name, created_at FROM tenants WHERE id = ?")
                    .bind(tenant.as_uuid())
                    .fetch_optional(c)
                    .await?
            }
            Conn::Postgres(c) => {
                sqlx::query_as("SELECT id, name, created_at FROM tenants WHERE id = $1")
                    .bind(tenant.as_uuid())
                    .fetch_optional(c)
                    .await?
            }
        };
        row.map(Tenant::try_from).transpose()
    }

    async fn rename_tenant(&mut self, tenant: TenantId, name: &OrgName) -> Result<bool> {
        let done = match self.tenant_conn(tenant)? {
            Conn::Sqlite(c) => sqlx::query("UPDATE tenants SET name = ? WHERE id = ?")
                .bind(name.as_str())
                .bind(tenant.as_uuid())
                .execute(c)
                .await?
                .rows_affected(),
            Conn::Postgres(c) => sqlx::query("UPDATE tenants SET name = $1 WHERE id = $2")
                .bind(name.as_str())
                .bind(tenant.as_uuid())
                .execute(c)
                .await?
                .rows_affected(),
        };
        Ok(done == 1)
    }
}

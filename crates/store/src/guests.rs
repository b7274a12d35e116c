//! Guests of an event: a name and a session, no account (tenant-scoped, under RLS).

use std::future::Future;

use chrono::{DateTime, Utc};
use domain::{EventId, GuestId, TenantId};
use uuid::Uuid;

use crate::sql::{Arg, execute, fetch_all};
use crate::{Result, StoreError, Tx};

/// A guest as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Guest {
    pub id: GuestId,
    pub tenant_id: TenantId,
    pub event_id: EventId,
    pub name: String,
    /// Set when a member stopped this guest from uploading.
    pub blocked_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct GuestRow {
    tenant_id: Uuid,
    id: Uuid,
    event_id: Uuid,
    name: String,
    blocked_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    last_seen_at: DateTime<Utc>,
}

impl From<GuestRow> for Guest {
    fn from(r: GuestRow) -> Self {
        Guest {
            id: GuestId::from_uuid(r.id),
            tenant_id: TenantId::from_uuid(r.tenant_id),
            event_id: EventId::from_uuid(r.event_id),
            name: r.name,
            blocked_at: r.blocked_at,
            created_at: r.created_at,
            last_seen_at: r.last_seen_at,
        }
    }
}

const COLUMNS: &str = "tenant_id, id, event_id, name, blocked_at, created_at, last_seen_at";

/// Guests of one organization. Every method needs a transaction scoped to that tenant.
pub trait GuestRepo {
    /// Stores a guest with the SHA-256 of their session token.
    fn insert_guest(
        &mut self,
        tenant: TenantId,
        guest: &Guest,
        token_hash: &str,
    ) -> impl Future<Output = Result<()>> + Send;
    /// The guest of `event` whose session token hashes to `token_hash`.
    fn find_guest(
        &mut self,
        tenant: TenantId,
        event: EventId,
        token_hash: &str,
    ) -> impl Future<Output = Result<Option<Guest>>> + Send;
    /// Records a visit (at most the caller's choice of how often).
    fn touch_guest(
        &mut self,
        tenant: TenantId,
        id: GuestId,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<()>> + Send;
}

impl GuestRepo for Tx {
    async fn insert_guest(&mut self, tenant: TenantId, g: &Guest, token_hash: &str) -> Result<()> {
        if g.tenant_id != tenant {
            return Err(StoreError::ScopeMismatch);
        }
        execute(
            self,
            Some(tenant),
            "INSERT INTO guests (tenant_id, id, event_id, name, token_hash, blocked_at, \
             created_at, last_seen_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            &[
                Arg::Uuid(tenant.as_uuid()),
                Arg::Uuid(g.id.as_uuid()),
                Arg::Uuid(g.event_id.as_uuid()),
                Arg::Text(g.name.clone()),
                Arg::Text(token_hash.to_owned()),
                Arg::OptTime(g.blocked_at),
                Arg::Time(g.created_at),
                Arg::Time(g.last_seen_at),
            ],
        )
        .await?;
        Ok(())
    }

    async fn find_guest(
        &mut self,
        tenant: TenantId,
        event: EventId,
        token_hash: &str,
    ) -> Result<Option<Guest>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM guests WHERE tenant_id = ? AND event_id = ? AND token_hash = ?"
        );
        let rows: Vec<GuestRow> = fetch_all(
            self,
            Some(tenant),
            &sql,
            &[
                Arg::Uuid(tenant.as_uuid()),
                Arg::Uuid(event.as_uuid()),
                Arg::Text(token_hash.to_owned()),
            ],
        )
        .await?;
        Ok(rows.into_iter().next().map(Guest::from))
    }

    async fn touch_guest(
        &mut self,
        tenant: TenantId,
        id: GuestId,
        now: DateTime<Utc>,
    ) -> Result<()> {
        execute(
            self,
            Some(tenant),
            "UPDATE guests SET last_seen_at = ? WHERE tenant_id = ? AND id = ?",
            &[
                Arg::Time(now),
                Arg::Uuid(tenant.as_uuid()),
                Arg::Uuid(id.as_uuid()),
            ],
        )
        .await?;
        Ok(())
    }
}

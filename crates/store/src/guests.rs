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

/// A guest with the figures kept on their row by triggers (migration 0013): what the members'
/// guests list shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuestFigures {
    pub guest: Guest,
    /// Their photos that are still there, in every status.
    pub photos: i64,
    /// Of those, in the gallery.
    pub published: i64,
    /// Of those, waiting for a member's approval.
    pub waiting: i64,
    /// Open reports on their photos (no member has decided on them yet).
    pub reports: i64,
}

#[derive(sqlx::FromRow)]
struct FiguresRow {
    #[sqlx(flatten)]
    guest: GuestRow,
    photos: i64,
    published: i64,
    waiting: i64,
    reports: i64,
}

/// How many guests joined an event, and how many of them are blocked.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GuestTotals {
    pub guests: i64,
    pub blocked: i64,
}

/// The figures' columns (migration 0013).
const FIGURES: &str = "photos, published, waiting, reports";

impl From<FiguresRow> for GuestFigures {
    fn from(r: FiguresRow) -> Self {
        GuestFigures {
            guest: Guest::from(r.guest),
            photos: r.photos,
            published: r.published,
            waiting: r.waiting,
            reports: r.reports,
        }
    }
}

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
    /// One guest of `event` by id.
    fn get_guest(
        &mut self,
        tenant: TenantId,
        event: EventId,
        id: GuestId,
    ) -> impl Future<Output = Result<Option<Guest>>> + Send;
    /// The guests of `event` with their figures, newest first, keyset-paginated: those who
    /// joined strictly before `before` (created_at, id). At most `limit` (1–200), and whether
    /// more follow. One index range (`guests_by_joined`), whatever the event's size.
    fn list_event_guests(
        &mut self,
        tenant: TenantId,
        event: EventId,
        before: Option<(DateTime<Utc>, GuestId)>,
        limit: u32,
    ) -> impl Future<Output = Result<(Vec<GuestFigures>, bool)>> + Send;
    /// One guest of `event` with their figures.
    fn guest_figures(
        &mut self,
        tenant: TenantId,
        event: EventId,
        id: GuestId,
    ) -> impl Future<Output = Result<Option<GuestFigures>>> + Send;
    /// How many guests joined `event` and how many are blocked (a counter row, not a count).
    fn guest_totals(
        &mut self,
        tenant: TenantId,
        event: EventId,
    ) -> impl Future<Output = Result<GuestTotals>> + Send;
    /// Records a visit (at most the caller's choice of how often).
    fn touch_guest(
        &mut self,
        tenant: TenantId,
        id: GuestId,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<()>> + Send;
}

/// The guest of `event` whose `column` (a unique key: `id` or `token_hash`) is `value`.
async fn guest_where(
    tx: &mut Tx,
    tenant: TenantId,
    event: EventId,
    column: &'static str,
    value: Arg,
) -> Result<Option<Guest>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM guests WHERE tenant_id = ? AND event_id = ? AND {column} = ?"
    );
    let args = [
        Arg::Uuid(tenant.as_uuid()),
        Arg::Uuid(event.as_uuid()),
        value,
    ];
    let rows: Vec<GuestRow> = fetch_all(tx, Some(tenant), &sql, &args).await?;
    Ok(rows.into_iter().next().map(Guest::from))
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
        guest_where(
            self,
            tenant,
            event,
            "token_hash",
            Arg::Text(token_hash.to_owned()),
        )
        .await
    }

    async fn get_guest(
        &mut self,
        tenant: TenantId,
        event: EventId,
        id: GuestId,
    ) -> Result<Option<Guest>> {
        guest_where(self, tenant, event, "id", Arg::Uuid(id.as_uuid())).await
    }

    async fn list_event_guests(
        &mut self,
        tenant: TenantId,
        event: EventId,
        before: Option<(DateTime<Utc>, GuestId)>,
        limit: u32,
    ) -> Result<(Vec<GuestFigures>, bool)> {
        let mut sql =
            format!("SELECT {COLUMNS}, {FIGURES} FROM guests WHERE tenant_id = ? AND event_id = ?");
        let mut args = vec![Arg::Uuid(tenant.as_uuid()), Arg::Uuid(event.as_uuid())];
        if let Some((at, id)) = before {
            // A row-value comparison: both backends seek the (created_at, id) index to it.
            sql.push_str(" AND (created_at, id) < (?, ?)");
            args.extend([Arg::Time(at), Arg::Uuid(id.as_uuid())]);
        }
        let limit = limit.clamp(1, 200);
        sql.push_str(" ORDER BY created_at DESC, id DESC LIMIT ?");
        args.push(Arg::Int(i64::from(limit) + 1));
        let rows: Vec<FiguresRow> = fetch_all(self, Some(tenant), &sql, &args).await?;
        let mut guests: Vec<GuestFigures> = rows.into_iter().map(GuestFigures::from).collect();
        let more = guests.len() > limit as usize;
        guests.truncate(limit as usize);
        Ok((guests, more))
    }

    async fn guest_figures(
        &mut self,
        tenant: TenantId,
        event: EventId,
        id: GuestId,
    ) -> Result<Option<GuestFigures>> {
        let sql = format!(
            "SELECT {COLUMNS}, {FIGURES} FROM guests \
             WHERE tenant_id = ? AND event_id = ? AND id = ?"
        );
        let rows: Vec<FiguresRow> = fetch_all(
            self,
            Some(tenant),
            &sql,
            &[
                Arg::Uuid(tenant.as_uuid()),
                Arg::Uuid(event.as_uuid()),
                Arg::Uuid(id.as_uuid()),
            ],
        )
        .await?;
        Ok(rows.into_iter().next().map(GuestFigures::from))
    }

    async fn guest_totals(&mut self, tenant: TenantId, event: EventId) -> Result<GuestTotals> {
        #[derive(sqlx::FromRow)]
        struct Row {
            guests: i64,
            blocked_guests: i64,
        }
        let rows: Vec<Row> = fetch_all(
            self,
            Some(tenant),
            "SELECT guests, blocked_guests FROM event_totals WHERE tenant_id = ? AND event_id = ?",
            &[Arg::Uuid(tenant.as_uuid()), Arg::Uuid(event.as_uuid())],
        )
        .await?;
        Ok(rows
            .first()
            .map_or_else(GuestTotals::default, |r| GuestTotals {
                guests: r.guests,
                blocked: r.blocked_guests,
            }))
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

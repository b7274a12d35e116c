//! Events (tenant-scoped, under RLS) and their join links (global, looked up by token hash).

use std::future::Future;

use chrono::{DateTime, Utc};
use domain::{
    EventId, EventSettings, EventSlug, EventSort, EventStatus, EventZone, TenantId, UserId,
};
use uuid::Uuid;

use crate::sql::{Arg, On, execute, fetch_all, fetch_one, fetch_optional};
use crate::{Result, StoreError, Tx};

/// An event as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub id: EventId,
    pub tenant_id: TenantId,
    pub slug: EventSlug,
    pub name: String,
    pub venue: String,
    pub description: String,
    pub time_zone: EventZone,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub status: EventStatus,
    pub settings: EventSettings,
    /// Random; with the server's secret it makes the join token.
    pub join_nonce: String,
    pub created_by: Option<UserId>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct EventRow {
    tenant_id: Uuid,
    id: Uuid,
    slug: String,
    name: String,
    venue: String,
    description: String,
    time_zone: String,
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    status: String,
    uploads_enabled: bool,
    moderation: String,
    upload_opens_at: Option<DateTime<Utc>>,
    upload_closes_at: Option<DateTime<Utc>>,
    max_photos_per_guest: i32,
    max_file_mb: i32,
    guest_name_required: bool,
    guest_visibility: String,
    guest_downloads: bool,
    join_nonce: String,
    created_by: Option<Uuid>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl TryFrom<EventRow> for Event {
    type Error = StoreError;
    fn try_from(r: EventRow) -> Result<Self> {
        let bad = |column: &'static str, reason: String| StoreError::Corrupt { column, reason };
        Ok(Event {
            id: EventId::from_uuid(r.id),
            tenant_id: TenantId::from_uuid(r.tenant_id),
            slug: EventSlug::parse(&r.slug).map_err(|e| bad("events.slug", e.to_string()))?,
            name: r.name,
            venue: r.venue,
            description: r.description,
            time_zone: EventZone::parse(&r.time_zone)
                .map_err(|e| bad("events.time_zone", e.to_string()))?,
            starts_at: r.starts_at,
            ends_at: r.ends_at,
            status: r
                .status
                .parse()
                .map_err(|e: domain::ParseError| bad("events.status", e.to_string()))?,
            settings: EventSettings {
                uploads_enabled: r.uploads_enabled,
                moderation: r
                    .moderation
                    .parse()
                    .map_err(|e: domain::ParseError| bad("events.moderation", e.to_string()))?,
                upload_opens_at: r.upload_opens_at,
                upload_closes_at: r.upload_closes_at,
                max_photos_per_guest: u32::try_from(r.max_photos_per_guest).unwrap_or(0),
                max_file_mb: u32::try_from(r.max_file_mb).unwrap_or(0),
                guest_name_required: r.guest_name_required,
                guest_visibility: r
                    .guest_visibility
                    .parse()
                    .map_err(|e: domain::ParseError| {
                        bad("events.guest_visibility", e.to_string())
                    })?,
                guest_downloads: r.guest_downloads,
            },
            join_nonce: r.join_nonce,
            created_by: r.created_by.map(UserId::from_uuid),
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

const COLUMNS: &str = "tenant_id, id, slug, name, venue, description, time_zone, starts_at, \
    ends_at, status, uploads_enabled, moderation, upload_opens_at, upload_closes_at, \
    max_photos_per_guest, max_file_mb, guest_name_required, guest_visibility, guest_downloads, \
    join_nonce, created_by, created_at, updated_at";

async fn fetch_events(
    tx: &mut Tx,
    tenant: TenantId,
    sql: &str,
    args: &[Arg],
) -> Result<Vec<Event>> {
    let rows: Vec<EventRow> = fetch_all(tx, Some(tenant), sql, args).await?;
    rows.into_iter().map(Event::try_from).collect()
}

fn event_args(e: &Event) -> Vec<Arg> {
    let s = &e.settings;
    vec![
        Arg::Uuid(e.tenant_id.as_uuid()),
        Arg::Uuid(e.id.as_uuid()),
        Arg::Text(e.slug.as_str().to_owned()),
        Arg::Text(e.name.clone()),
        Arg::Text(e.venue.clone()),
        Arg::Text(e.description.clone()),
        Arg::Text(e.time_zone.name().to_owned()),
        Arg::Time(e.starts_at),
        Arg::Time(e.ends_at),
        Arg::Text(e.status.as_str().to_owned()),
        Arg::Bool(s.uploads_enabled),
        Arg::Text(s.moderation.as_str().to_owned()),
        Arg::OptTime(s.upload_opens_at),
        Arg::OptTime(s.upload_closes_at),
        Arg::Int(i64::from(s.max_photos_per_guest)),
        Arg::Int(i64::from(s.max_file_mb)),
        Arg::Bool(s.guest_name_required),
        Arg::Text(s.guest_visibility.as_str().to_owned()),
        Arg::Bool(s.guest_downloads),
        Arg::Text(e.join_nonce.clone()),
        Arg::OptUuid(e.created_by.map(|u| u.as_uuid())),
        Arg::Time(e.created_at),
        Arg::Time(e.updated_at),
    ]
}

/// Where a page of a list starts: after this event in the list's order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventCursor {
    pub starts_at: DateTime<Utc>,
    pub name: String,
    pub id: EventId,
}

/// Filters for the event list.
#[derive(Debug, Clone, Default)]
pub struct EventQuery {
    /// Matches the name or the venue, case-insensitively.
    pub search: Option<String>,
    /// One status; `None` means every status but archived.
    pub status: Option<EventStatus>,
    /// Events starting at or after / before these instants.
    pub starts_from: Option<DateTime<Utc>>,
    pub starts_before: Option<DateTime<Utc>>,
    pub sort: EventSort,
    pub after: Option<EventCursor>,
    pub limit: u32,
}

pub(crate) fn like_pattern(s: &str) -> String {
    let escaped = s
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{}%", escaped.to_lowercase())
}

/// Events of one organization. Every method needs a transaction scoped to that tenant.
pub trait EventRepo {
    /// Fails with `StoreError::Conflict("slug")` when the slug is taken in this organization.
    fn insert_event(
        &mut self,
        tenant: TenantId,
        event: &Event,
    ) -> impl Future<Output = Result<()>> + Send;
    fn get_event(
        &mut self,
        tenant: TenantId,
        id: EventId,
    ) -> impl Future<Output = Result<Option<Event>>> + Send;
    /// Saves every editable field (not status, nonce or creation). False when missing.
    fn update_event(
        &mut self,
        tenant: TenantId,
        event: &Event,
    ) -> impl Future<Output = Result<bool>> + Send;
    /// Moves `from` → `to` only if the event is still in `from` (a concurrent change loses).
    fn set_event_status(
        &mut self,
        tenant: TenantId,
        id: EventId,
        from: EventStatus,
        to: EventStatus,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<bool>> + Send;
    fn set_join_nonce(
        &mut self,
        tenant: TenantId,
        id: EventId,
        nonce: &str,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<bool>> + Send;
    /// One page of the list, plus whether more follow.
    fn list_events(
        &mut self,
        tenant: TenantId,
        query: &EventQuery,
    ) -> impl Future<Output = Result<(Vec<Event>, bool)>> + Send;
    /// How many events the organization has in any status (for the empty state).
    fn count_events(&mut self, tenant: TenantId) -> impl Future<Output = Result<i64>> + Send;
    /// Sets (or clears) the event's cover photo.
    fn set_event_cover(
        &mut self,
        tenant: TenantId,
        event: EventId,
        photo: Option<domain::PhotoId>,
    ) -> impl Future<Output = Result<bool>> + Send;
    /// The event's cover photo, if one was chosen.
    fn event_cover(
        &mut self,
        tenant: TenantId,
        event: EventId,
    ) -> impl Future<Output = Result<Option<domain::PhotoId>>> + Send;
}

impl EventRepo for Tx {
    async fn insert_event(&mut self, tenant: TenantId, event: &Event) -> Result<()> {
        if event.tenant_id != tenant {
            return Err(StoreError::ScopeMismatch);
        }
        let sql = format!(
            "INSERT INTO events ({COLUMNS}) VALUES ({})",
            vec!["?"; 23].join(", ")
        );
        execute(self, Some(tenant), &sql, &event_args(event))
            .await
            .map_err(|e| e.conflict_on("slug"))?;
        Ok(())
    }

    async fn get_event(&mut self, tenant: TenantId, id: EventId) -> Result<Option<Event>> {
        let sql = format!("SELECT {COLUMNS} FROM events WHERE tenant_id = ? AND id = ?");
        let mut found = fetch_events(
            self,
            tenant,
            &sql,
            &[Arg::Uuid(tenant.as_uuid()), Arg::Uuid(id.as_uuid())],
        )
        .await?;
        Ok(found.pop())
    }

    async fn update_event(&mut self, tenant: TenantId, e: &Event) -> Result<bool> {
        if e.tenant_id != tenant {
            return Err(StoreError::ScopeMismatch);
        }
        let s = &e.settings;
        let sql = "UPDATE events SET slug = ?, name = ?, venue = ?, description = ?, \
                   time_zone = ?, starts_at = ?, ends_at = ?, uploads_enabled = ?, moderation = ?, \
                   upload_opens_at = ?, upload_closes_at = ?, max_photos_per_guest = ?, \
                   max_file_mb = ?, guest_name_required = ?, guest_visibility = ?, \
                   guest_downloads = ?, updated_at = ? WHERE tenant_id = ? AND id = ?";
        let args = [
            Arg::Text(e.slug.as_str().to_owned()),
            Arg::Text(e.name.clone()),
            Arg::Text(e.venue.clone()),
            Arg::Text(e.description.clone()),
            Arg::Text(e.time_zone.name().to_owned()),
            Arg::Time(e.starts_at),
            Arg::Time(e.ends_at),
            Arg::Bool(s.uploads_enabled),
            Arg::Text(s.moderation.as_str().to_owned()),
            Arg::OptTime(s.upload_opens_at),
            Arg::OptTime(s.upload_closes_at),
            Arg::Int(i64::from(s.max_photos_per_guest)),
            Arg::Int(i64::from(s.max_file_mb)),
            Arg::Bool(s.guest_name_required),
            Arg::Text(s.guest_visibility.as_str().to_owned()),
            Arg::Bool(s.guest_downloads),
            Arg::Time(e.updated_at),
            Arg::Uuid(tenant.as_uuid()),
            Arg::Uuid(e.id.as_uuid()),
        ];
        let n = execute(self, Some(tenant), sql, &args)
            .await
            .map_err(|e| e.conflict_on("slug"))?;
        Ok(n == 1)
    }

    async fn set_event_status(
        &mut self,
        tenant: TenantId,
        id: EventId,
        from: EventStatus,
        to: EventStatus,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let sql = "UPDATE events SET status = ?, updated_at = ? \
                   WHERE tenant_id = ? AND id = ? AND status = ?";
        let args = [
            Arg::Text(to.as_str().to_owned()),
            Arg::Time(now),
            Arg::Uuid(tenant.as_uuid()),
            Arg::Uuid(id.as_uuid()),
            Arg::Text(from.as_str().to_owned()),
        ];
        Ok(execute(self, Some(tenant), sql, &args).await? == 1)
    }

    async fn set_join_nonce(
        &mut self,
        tenant: TenantId,
        id: EventId,
        nonce: &str,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let sql = "UPDATE events SET join_nonce = ?, updated_at = ? WHERE tenant_id = ? AND id = ?";
        let args = [
            Arg::Text(nonce.to_owned()),
            Arg::Time(now),
            Arg::Uuid(tenant.as_uuid()),
            Arg::Uuid(id.as_uuid()),
        ];
        Ok(execute(self, Some(tenant), sql, &args).await? == 1)
    }

    async fn list_events(
        &mut self,
        tenant: TenantId,
        q: &EventQuery,
    ) -> Result<(Vec<Event>, bool)> {
        let mut sql = format!("SELECT {COLUMNS} FROM events WHERE tenant_id = ?");
        let mut args = vec![Arg::Uuid(tenant.as_uuid())];
        match q.status {
            Some(s) => {
                sql.push_str(" AND status = ?");
                args.push(Arg::Text(s.as_str().to_owned()));
            }
            None => sql.push_str(" AND status <> 'archived'"),
        }
        if let Some(text) = q.search.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            sql.push_str(
                " AND (lower(name) LIKE ? ESCAPE '\\' OR lower(venue) LIKE ? ESCAPE '\\')",
            );
            let p = like_pattern(text);
            args.push(Arg::Text(p.clone()));
            args.push(Arg::Text(p));
        }
        if let Some(from) = q.starts_from {
            sql.push_str(" AND starts_at >= ?");
            args.push(Arg::Time(from));
        }
        if let Some(before) = q.starts_before {
            sql.push_str(" AND starts_at < ?");
            args.push(Arg::Time(before));
        }
        if let Some(c) = &q.after {
            // Keyset pagination: strictly after the cursor in the list's order, ties by id.
            match q.sort {
                EventSort::StartsDesc => {
                    sql.push_str(" AND (starts_at < ? OR (starts_at = ? AND id < ?))");
                    args.extend([Arg::Time(c.starts_at), Arg::Time(c.starts_at)]);
                }
                EventSort::StartsAsc => {
                    sql.push_str(" AND (starts_at > ? OR (starts_at = ? AND id > ?))");
                    args.extend([Arg::Time(c.starts_at), Arg::Time(c.starts_at)]);
                }
                EventSort::NameAsc => {
                    sql.push_str(" AND (name > ? OR (name = ? AND id > ?))");
                    args.extend([Arg::Text(c.name.clone()), Arg::Text(c.name.clone())]);
                }
            }
            args.push(Arg::Uuid(c.id.as_uuid()));
        }
        sql.push_str(match q.sort {
            EventSort::StartsDesc => " ORDER BY starts_at DESC, id DESC",
            EventSort::StartsAsc => " ORDER BY starts_at ASC, id ASC",
            EventSort::NameAsc => " ORDER BY name ASC, id ASC",
        });
        let limit = q.limit.clamp(1, 200);
        sql.push_str(" LIMIT ?");
        args.push(Arg::Int(i64::from(limit) + 1));
        let mut events = fetch_events(self, tenant, &sql, &args).await?;
        let more = events.len() > limit as usize;
        events.truncate(limit as usize);
        Ok((events, more))
    }

    async fn set_event_cover(
        &mut self,
        tenant: TenantId,
        event: EventId,
        photo: Option<domain::PhotoId>,
    ) -> Result<bool> {
        let n = execute(
            self,
            Some(tenant),
            "UPDATE events SET cover_photo_id = ? WHERE tenant_id = ? AND id = ?",
            &[
                Arg::OptUuid(photo.map(|p| p.as_uuid())),
                Arg::Uuid(tenant.as_uuid()),
                Arg::Uuid(event.as_uuid()),
            ],
        )
        .await?;
        Ok(n == 1)
    }

    async fn event_cover(
        &mut self,
        tenant: TenantId,
        event: EventId,
    ) -> Result<Option<domain::PhotoId>> {
        #[derive(sqlx::FromRow)]
        struct Row {
            cover_photo_id: Option<Uuid>,
        }
        let rows: Vec<Row> = fetch_all(
            self,
            Some(tenant),
            "SELECT cover_photo_id FROM events WHERE tenant_id = ? AND id = ?",
            &[Arg::Uuid(tenant.as_uuid()), Arg::Uuid(event.as_uuid())],
        )
        .await?;
        Ok(rows
            .into_iter()
            .next()
            .and_then(|r| r.cover_photo_id)
            .map(domain::PhotoId::from_uuid))
    }

    async fn count_events(&mut self, tenant: TenantId) -> Result<i64> {
        let (n,): (i64,) = fetch_one(
            self,
            tenant,
            "SELECT count(*) FROM events WHERE tenant_id = ?",
            &[Arg::Uuid(tenant.as_uuid())],
        )
        .await?;
        Ok(n)
    }
}

/// A join link found by its token hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JoinLink {
    pub tenant_id: TenantId,
    pub event_id: EventId,
    /// Set when the host made a new link: this one then only says so.
    pub replaced_at: Option<DateTime<Utc>>,
}

/// Join links: global, found by token hash before any tenant is known.
pub trait JoinLinkRepo {
    /// Records a new current link and marks the event's earlier ones replaced.
    fn add_join_link(
        &mut self,
        tenant: TenantId,
        event: EventId,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<()>> + Send;
    fn find_join_link(
        &mut self,
        token_hash: &str,
    ) -> impl Future<Output = Result<Option<JoinLink>>> + Send;
}

impl JoinLinkRepo for Tx {
    async fn add_join_link(
        &mut self,
        tenant: TenantId,
        event: EventId,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        execute(
            self,
            None,
            "UPDATE join_links SET replaced_at = ? \
             WHERE tenant_id = ? AND event_id = ? AND replaced_at IS NULL",
            &[
                Arg::Time(now),
                Arg::Uuid(tenant.as_uuid()),
                Arg::Uuid(event.as_uuid()),
            ],
        )
        .await?;
        execute(
            self,
            None,
            "INSERT INTO join_links (token_hash, tenant_id, event_id, created_at) VALUES (?, ?, ?, ?)",
            &[
                Arg::Text(token_hash.to_owned()),
                Arg::Uuid(tenant.as_uuid()),
                Arg::Uuid(event.as_uuid()),
                Arg::Time(now),
            ],
        )
        .await?;
        Ok(())
    }

    async fn find_join_link(&mut self, token_hash: &str) -> Result<Option<JoinLink>> {
        let row: Option<(Uuid, Uuid, Option<DateTime<Utc>>)> = fetch_optional(
            self,
            On::Any,
            "SELECT tenant_id, event_id, replaced_at FROM join_links WHERE token_hash = ?",
            &[Arg::Text(token_hash.to_owned())],
        )
        .await?;
        Ok(row.map(|(t, e, replaced_at)| JoinLink {
            tenant_id: TenantId::from_uuid(t),
            event_id: EventId::from_uuid(e),
            replaced_at,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_patterns_escape_wildcards() {
        assert_eq!(like_pattern("50%_off"), "%50\\%\\_off%");
        assert_eq!(like_pattern("Anna"), "%anna%");
    }
}

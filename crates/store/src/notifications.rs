//! Notification mails: each member's stored choices and what was already reported to them
//! (`notification_settings`), and the counts the mails report, read from indexes and counters
//! (never by loading photos).

use std::future::Future;

use chrono::{DateTime, Utc};
use domain::{
    ApprovalMails, Digest, Email, EventId, PersonName, Preferences, Role, TenantId, UserId,
};
use uuid::Uuid;

use crate::sql::{Arg, execute, fetch_all, fetch_optional};
use crate::{Backend, Result, StoreError, Tx};

/// What a member stored; `None` is "the default for my role".
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StoredChoices {
    pub digest: Option<Digest>,
    pub approvals: Option<ApprovalMails>,
    pub draw_results: Option<bool>,
    /// The end of the last window a digest reported.
    pub last_digest_at: Option<DateTime<Utc>>,
    /// The end of the last window an approval mail reported.
    pub last_approvals_at: Option<DateTime<Utc>>,
}

/// An active member who may be mailed, with their choices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient {
    pub user_id: UserId,
    pub email: Email,
    pub name: PersonName,
    pub role: Role,
    /// When they joined the organization (nothing before it is news to them).
    pub joined_at: DateTime<Utc>,
    pub choices: StoredChoices,
}

/// New photos of one event in a window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventNews {
    pub event_id: EventId,
    pub event_name: String,
    pub photos: i64,
    /// Distinct people (guests, members, names) who sent them.
    pub contributors: i64,
}

/// Photos waiting for approval in one event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventWaiting {
    pub event_id: EventId,
    pub event_name: String,
    /// Waiting now, all together.
    pub waiting: i64,
    /// Of those, how many started waiting in the window asked about.
    pub new: i64,
}

/// Which reported-until mark a claim moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    Digest,
    Approvals,
}

impl Mark {
    const fn column(self) -> &'static str {
        match self {
            Mark::Digest => "last_digest_at",
            Mark::Approvals => "last_approvals_at",
        }
    }
}

#[derive(sqlx::FromRow)]
struct ChoicesRow {
    digest: Option<String>,
    approvals: Option<String>,
    draw_results: Option<bool>,
    last_digest_at: Option<DateTime<Utc>>,
    last_approvals_at: Option<DateTime<Utc>>,
}

impl TryFrom<ChoicesRow> for StoredChoices {
    type Error = StoreError;
    fn try_from(r: ChoicesRow) -> Result<Self> {
        let corrupt = |column, e: domain::notifications::UnknownChoice| StoreError::Corrupt {
            column,
            reason: e.to_string(),
        };
        Ok(StoredChoices {
            digest: r
                .digest
                .map(|d| d.parse())
                .transpose()
                .map_err(|e| corrupt("notification_settings.digest", e))?,
            approvals: r
                .approvals
                .map(|a| a.parse())
                .transpose()
                .map_err(|e| corrupt("notification_settings.approvals", e))?,
            draw_results: r.draw_results,
            last_digest_at: r.last_digest_at,
            last_approvals_at: r.last_approvals_at,
        })
    }
}

#[derive(sqlx::FromRow)]
struct RecipientRow {
    user_id: Uuid,
    email: String,
    name: String,
    role: String,
    created_at: DateTime<Utc>,
    #[sqlx(flatten)]
    choices: ChoicesRow,
}

#[derive(sqlx::FromRow)]
struct NewsRow {
    event_id: Uuid,
    name: String,
    photos: i64,
    contributors: i64,
}

#[derive(sqlx::FromRow)]
struct WaitingRow {
    event_id: Uuid,
    name: String,
    waiting: i64,
    new: i64,
}

/// Notification settings and the figures the mails report. Every method needs
/// `Scope::Tenant(tenant)`.
pub trait NotificationRepo {
    /// What `user` stored in `tenant` (the defaults when nothing).
    fn get_notification_choices(
        &mut self,
        tenant: TenantId,
        user: UserId,
    ) -> impl Future<Output = Result<StoredChoices>> + Send;
    /// Stores `user`'s three choices (the reported-until marks stay).
    fn save_notification_choices(
        &mut self,
        tenant: TenantId,
        user: UserId,
        choices: &Preferences,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<()>> + Send;
    /// Every active (not deactivated) member with their choices.
    fn notification_recipients(
        &mut self,
        tenant: TenantId,
    ) -> impl Future<Output = Result<Vec<Recipient>>> + Send;
    /// Photos that became visible (published or waiting; not rejected, hidden or failed)
    /// after `after` and up to `until`, per event, most first.
    fn new_photos_by_event(
        &mut self,
        tenant: TenantId,
        after: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> impl Future<Output = Result<Vec<EventNews>>> + Send;
    /// The events with photos waiting for approval: how many wait, and how many started
    /// waiting after `after` and up to `until`.
    fn waiting_by_event(
        &mut self,
        tenant: TenantId,
        after: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> impl Future<Output = Result<Vec<EventWaiting>>> + Send;
    /// Moves `user`'s `mark` from `previous` (what the caller read) to `until`: false when
    /// another run moved it first (then the caller must not send).
    fn claim_mark(
        &mut self,
        tenant: TenantId,
        user: UserId,
        mark: Mark,
        previous: Option<DateTime<Utc>>,
        until: DateTime<Utc>,
    ) -> impl Future<Output = Result<bool>> + Send;
}

const CHOICE_COLUMNS: &str = "digest, approvals, draw_results, last_digest_at, last_approvals_at";

/// The row a member gets when first stored: every choice at its default.
async fn ensure_row(tx: &mut Tx, tenant: TenantId, user: UserId, now: DateTime<Utc>) -> Result<()> {
    execute(
        tx,
        tenant,
        "INSERT INTO notification_settings (tenant_id, user_id, updated_at) \
         SELECT tenant_id, user_id, ? FROM memberships WHERE tenant_id = ? AND user_id = ? \
         ON CONFLICT (tenant_id, user_id) DO NOTHING",
        &[
            Arg::Time(now),
            Arg::Uuid(tenant.as_uuid()),
            Arg::Uuid(user.as_uuid()),
        ],
    )
    .await?;
    Ok(())
}

impl NotificationRepo for Tx {
    async fn get_notification_choices(
        &mut self,
        tenant: TenantId,
        user: UserId,
    ) -> Result<StoredChoices> {
        let row: Option<ChoicesRow> = fetch_optional(
            self,
            tenant,
            &format!(
                "SELECT {CHOICE_COLUMNS} FROM notification_settings \
                 WHERE tenant_id = ? AND user_id = ?"
            ),
            &[Arg::Uuid(tenant.as_uuid()), Arg::Uuid(user.as_uuid())],
        )
        .await?;
        row.map_or(Ok(StoredChoices::default()), StoredChoices::try_from)
    }

    async fn save_notification_choices(
        &mut self,
        tenant: TenantId,
        user: UserId,
        c: &Preferences,
        now: DateTime<Utc>,
    ) -> Result<()> {
        ensure_row(self, tenant, user, now).await?;
        execute(
            self,
            tenant,
            "UPDATE notification_settings SET digest = ?, approvals = ?, draw_results = ?, \
             updated_at = ? WHERE tenant_id = ? AND user_id = ?",
            &[
                Arg::Text(c.digest.as_str().to_owned()),
                Arg::Text(c.approvals.as_str().to_owned()),
                Arg::Bool(c.draw_results),
                Arg::Time(now),
                Arg::Uuid(tenant.as_uuid()),
                Arg::Uuid(user.as_uuid()),
            ],
        )
        .await?;
        Ok(())
    }

    async fn notification_recipients(&mut self, tenant: TenantId) -> Result<Vec<Recipient>> {
        let rows: Vec<RecipientRow> = fetch_all(
            self,
            tenant,
            "SELECT m.user_id, u.email, u.name, m.role, m.created_at, s.digest, s.approvals, \
             s.draw_results, s.last_digest_at, s.last_approvals_at \
             FROM memberships m JOIN users u ON u.id = m.user_id \
             LEFT JOIN notification_settings s \
                ON s.tenant_id = m.tenant_id AND s.user_id = m.user_id \
             WHERE m.tenant_id = ? AND m.deactivated_at IS NULL \
             ORDER BY m.created_at, m.user_id",
            &[Arg::Uuid(tenant.as_uuid())],
        )
        .await?;
        rows.into_iter()
            .map(|r| {
                let corrupt = |column, reason: String| StoreError::Corrupt { column, reason };
                Ok(Recipient {
                    user_id: UserId::from_uuid(r.user_id),
                    email: Email::parse(&r.email)
                        .map_err(|e| corrupt("users.email", e.to_string()))?,
                    name: PersonName::parse(&r.name)
                        .map_err(|e| corrupt("users.name", e.to_string()))?,
                    role: r.role.parse().map_err(|e: domain::role::UnknownRole| {
                        corrupt("memberships.role", e.to_string())
                    })?,
                    joined_at: r.created_at,
                    choices: StoredChoices::try_from(r.choices)?,
                })
            })
            .collect()
    }

    async fn new_photos_by_event(
        &mut self,
        tenant: TenantId,
        after: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Vec<EventNews>> {
        // Who sent a photo, as the counters name them (0011_counters): the twins differ only
        // in turning an id into text.
        let contributor = match self.backend() {
            Backend::Postgres => "photo_contributor(p)",
            Backend::Sqlite => {
                "CASE WHEN p.uploaded_by IS NOT NULL THEN 'u:' || hex(p.uploaded_by) \
                 WHEN p.guest_id IS NOT NULL THEN 'g:' || hex(p.guest_id) \
                 ELSE 'n:' || p.uploader_name END"
            }
        };
        // Along photos_by_processed: the window's photos only.
        let rows: Vec<NewsRow> = fetch_all(
            self,
            tenant,
            &format!(
                "SELECT p.event_id, e.name, count(*) AS photos, \
                 count(DISTINCT {contributor}) AS contributors \
                 FROM photos p JOIN events e ON e.tenant_id = p.tenant_id AND e.id = p.event_id \
                 WHERE p.tenant_id = ? AND p.processed_at > ? AND p.processed_at <= ? \
                   AND p.status IN ('published', 'pending_review') \
                 GROUP BY p.event_id, e.name ORDER BY count(*) DESC, e.name"
            ),
            &[
                Arg::Uuid(tenant.as_uuid()),
                Arg::Time(after),
                Arg::Time(until),
            ],
        )
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| EventNews {
                event_id: EventId::from_uuid(r.event_id),
                event_name: r.name,
                photos: r.photos,
                contributors: r.contributors,
            })
            .collect())
    }

    async fn waiting_by_event(
        &mut self,
        tenant: TenantId,
        after: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Vec<EventWaiting>> {
        // Along photos_waiting (the queue, not the events). A photo starts waiting when it is
        // processed, or again when a report or a changed caption holds it (`moderated_at`).
        let rows: Vec<WaitingRow> = fetch_all(
            self,
            tenant,
            "SELECT p.event_id, e.name, count(*) AS waiting, \
             CAST(coalesce(sum(CASE WHEN coalesce(p.moderated_at, p.processed_at) > ? \
                AND coalesce(p.moderated_at, p.processed_at) <= ? THEN 1 ELSE 0 END), 0) \
                AS BIGINT) AS new \
             FROM photos p JOIN events e ON e.tenant_id = p.tenant_id AND e.id = p.event_id \
             WHERE p.tenant_id = ? AND p.status = 'pending_review' \
             GROUP BY p.event_id, e.name ORDER BY e.name",
            &[
                Arg::Time(after),
                Arg::Time(until),
                Arg::Uuid(tenant.as_uuid()),
            ],
        )
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| EventWaiting {
                event_id: EventId::from_uuid(r.event_id),
                event_name: r.name,
                waiting: r.waiting,
                new: r.new,
            })
            .collect())
    }

    async fn claim_mark(
        &mut self,
        tenant: TenantId,
        user: UserId,
        mark: Mark,
        previous: Option<DateTime<Utc>>,
        until: DateTime<Utc>,
    ) -> Result<bool> {
        ensure_row(self, tenant, user, until).await?;
        let column = mark.column();
        let mut args = vec![
            Arg::Time(until),
            Arg::Uuid(tenant.as_uuid()),
            Arg::Uuid(user.as_uuid()),
        ];
        let was = match previous {
            None => format!("{column} IS NULL"),
            Some(p) => {
                args.push(Arg::Time(p));
                format!("{column} = ?")
            }
        };
        let n = execute(
            self,
            tenant,
            &format!(
                "UPDATE notification_settings SET {column} = ? \
                 WHERE tenant_id = ? AND user_id = ? AND {was}"
            ),
            &args,
        )
        .await?;
        Ok(n == 1)
    }
}

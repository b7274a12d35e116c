//! Persistence: one data layer over SQLite (embedded default) and PostgreSQL (production).
//!
//! - [`Db`] is the connection pool for either backend, picked from the URL scheme.
//! - [`Tx`] is a transaction opened for a [`Scope`]: on PostgreSQL a tenant scope sets
//!   `app.tenant_id` for row-level security; on both backends every tenant-scoped repository
//!   method takes the `TenantId` first and refuses a transaction scoped to another tenant.
//! - One narrow repository trait per aggregate ([`TenantRepo`], [`UserRepo`], …), implemented
//!   for [`Tx`]; each query for SQLite sits next to its PostgreSQL twin.
//! - [`JobQueue`] is the background-job queue on the same database.
//! - [`SessionStore`] and [`RateLimiter`] keep login sessions and rate-limit counters in Redis
//!   when it is configured, else in the database or the process.

mod audit;
mod db;
mod draws;
mod error;
mod events;
mod feed;
mod guests;
mod jobs;
mod memberships;
mod notifications;
mod org_settings;
mod photos;
mod rate_limits;
mod reactions;
mod redis_store;
mod reports;
pub mod schema;
mod sessions;
mod sql;
mod teams;
mod tenants;
mod two_factor;
mod usage;
mod users;
mod walls;

pub use audit::{ActivityFilter, AuditEntry, AuditRepo, NewAuditEntry};
pub use db::{Backend, Conn, Db, DbOptions, Scope, Tx, url_user};
pub use draws::{
    Candidate, Draw, DrawLock, DrawPick, DrawRepo, DrawTier, EventWinner, LockedEntry, ManualEntry,
};
pub use error::StoreError;
pub use events::{Event, EventCursor, EventQuery, EventRepo, JoinLink, JoinLinkRepo};
pub use feed::{FEED_RETENTION_HOURS, FeedHead, FeedMessage, FeedRepo, NewFeedMessage, audience};
pub use guests::{Guest, GuestFigures, GuestRepo, GuestTotals};
pub use jobs::{ClaimedJob, JobQueue, JobRepo, JobState, JobSummary, NewJob, QueueStats};
pub use memberships::{Membership, MembershipRepo, TeamMember};
pub use notifications::{
    EventNews, EventWaiting, Mark, NotificationRepo, Recipient, StoredChoices,
};
pub use org_settings::{OrgSettings, OrgSettingsRepo};
pub use teams::{
    Invitation, InvitationRepo, InvitationState, MailToken, MailTokenRepo, TokenPurpose,
};
// Domain vocabulary the store's queries use, re-exported for the callers that name it here.
pub use domain::{EventSort, GallerySort, REACTION_KINDS};
pub use photos::{
    EventPhotoFilter, EventPhotoStats, GalleryCursor, GalleryQuery, Photo, PhotoDetails, PhotoRepo,
    ProcessedPhoto, StoredRendition,
};
pub use rate_limits::{Decision, Limit, RateLimiter};
pub use reactions::{ReactionRepo, ReactionSummary, ViewRepo};
pub use redis_store::Redis;
pub use reports::{PhotoReports, ReportRepo};
pub use sessions::{SessionRecord, SessionStore};
pub use tenants::{Tenant, TenantRepo};
pub use two_factor::{TotpRecord, TwoFactorPolicy, TwoFactorRepo};
pub use usage::UsageRepo;
pub use users::{LoginLock, User, UserRepo};
pub use walls::{Wall, WallLink, WallRepo};

/// Result of a store operation.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

//! Persistence: one data layer over SQLite (embedded default) and PostgreSQL (production).
//!
//! - [`Db`] is the connection pool for either backend, picked from the URL scheme.
//! - [`Tx`] is a transaction opened for a [`Scope`]: on PostgreSQL a tenant scope sets
//!   `app.tenant_id` for row-level security; on both backends every tenant-scoped repository
//!   method takes the `TenantId` first and refuses a transaction scoped to another tenant.
//! - One narrow repository trait per aggregate ([`TenantRepo`], [`UserRepo`], …), implemented
//!   for [`Tx`]; each query for SQLite sits next to its PostgreSQL twin.
//! - [`JobQueue`] is the background-job queue on the same database.

mod audit;
mod db;
mod error;
mod jobs;
mod memberships;
mod redis_store;
pub mod schema;
mod tenants;
mod users;

pub use audit::{AuditEntry, AuditRepo, NewAuditEntry};
pub use db::{Backend, Conn, Db, DbOptions, Scope, Tx, url_user};
pub use error::StoreError;
pub use jobs::{ClaimedJob, JobQueue, JobRepo, JobState, JobSummary, NewJob, QueueStats};
pub use memberships::{Membership, MembershipRepo};
pub use redis_store::Redis;
pub use tenants::{Tenant, TenantRepo};
pub use users::{User, UserRepo};

/// Result of a store operation.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

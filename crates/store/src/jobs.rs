//! The background-job queue table: enqueue inside a change's own transaction ([`JobRepo`]),
//! and the worker side ([`JobQueue`]): claim with a lease, heartbeat, complete, retry, bury.
//!
//! Claiming is atomic on both backends: PostgreSQL picks the next row with `FOR UPDATE SKIP
//! LOCKED` so workers never wait on each other; SQLite has one writer at a time, and the claim
//! runs in a `BEGIN IMMEDIATE` transaction. Every state change after the claim names the
//! job's lease token, so a worker whose lease expired (and whose job another worker took over)
//! can no longer touch it.

use std::future::Future;
use std::time::Duration;

use chrono::{DateTime, Utc};
use domain::{JobId, TenantId};
use sqlx::types::Json;
use uuid::Uuid;

use crate::sql::{Arg, On, execute, fetch_optional, pool_execute, pool_fetch_all};
use crate::{Conn, Db, Result, Scope, StoreError, Tx};

/// Where a job is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JobState {
    /// Waiting for `run_at`, or for a free worker.
    Queued,
    /// Claimed by a worker whose lease has not run out.
    Running,
    Done,
    /// Failed `max_attempts` times; waits for an operator (`momentique jobs retry`).
    Dead,
}

impl JobState {
    pub const ALL: [JobState; 4] = [
        JobState::Queued,
        JobState::Running,
        JobState::Done,
        JobState::Dead,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            JobState::Queued => "queued",
            JobState::Running => "running",
            JobState::Done => "done",
            JobState::Dead => "dead",
        }
    }
}

/// A job to enqueue.
#[derive(Debug, Clone)]
pub struct NewJob {
    pub kind: String,
    pub payload: serde_json::Value,
    pub tenant: Option<TenantId>,
    /// Jobs with the same kind and key are one job: enqueueing again returns the first.
    pub dedupe_key: Option<String>,
    pub max_attempts: i32,
    pub run_at: DateTime<Utc>,
}

/// A job a worker holds the lease on.
#[derive(Debug, Clone)]
pub struct ClaimedJob {
    pub id: JobId,
    pub tenant: Option<TenantId>,
    pub kind: String,
    pub payload: serde_json::Value,
    /// This attempt's number, from 1.
    pub attempt: i32,
    pub max_attempts: i32,
    pub lease_token: Uuid,
}

/// A row of the queue, for operators.
#[derive(Debug, Clone)]
pub struct JobSummary {
    pub id: JobId,
    pub kind: String,
    pub state: String,
    pub attempts: i32,
    pub max_attempts: i32,
    pub run_at: DateTime<Utc>,
    pub last_error: Option<String>,
}

/// Counts by state; `ready` is the queued jobs whose time has come (the backlog).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QueueStats {
    pub queued: i64,
    pub ready: i64,
    pub running: i64,
    pub done: i64,
    pub dead: i64,
}

#[derive(sqlx::FromRow)]
struct ClaimRow {
    id: Uuid,
    tenant_id: Option<Uuid>,
    kind: String,
    payload: Json<serde_json::Value>,
    attempts: i32,
    max_attempts: i32,
}

#[derive(sqlx::FromRow)]
struct SummaryRow {
    id: Uuid,
    kind: String,
    state: String,
    attempts: i32,
    max_attempts: i32,
    run_at: DateTime<Utc>,
    last_error: Option<String>,
}

/// Enqueueing, inside the transaction of the change that needs the job.
pub trait JobRepo {
    fn enqueue_job(&mut self, job: &NewJob) -> impl Future<Output = Result<JobId>> + Send;
}

impl JobRepo for Tx {
    async fn enqueue_job(&mut self, job: &NewJob) -> Result<JobId> {
        let id = JobId::new();
        let now = domain::time::now();
        let inserted = execute(
            self,
            On::Any,
            "INSERT INTO jobs (id, tenant_id, kind, payload, dedupe_key, state, attempts, \
             max_attempts, run_at, created_at, updated_at) \
             VALUES (?, ?, ?, ?, ?, 'queued', 0, ?, ?, ?, ?) \
             ON CONFLICT (kind, dedupe_key) WHERE dedupe_key IS NOT NULL DO NOTHING",
            &[
                Arg::Uuid(id.as_uuid()),
                Arg::OptUuid(job.tenant.map(|t| t.as_uuid())),
                Arg::Text(job.kind.clone()),
                Arg::Json(job.payload.clone()),
                Arg::OptText(job.dedupe_key.clone()),
                Arg::Int32(job.max_attempts),
                Arg::Time(job.run_at),
                Arg::Time(now),
                Arg::Time(now),
            ],
        )
        .await?;
        let existing: Option<(Uuid,)> = if inserted == 1 {
            None
        } else {
            fetch_optional(
                self,
                On::Any,
                "SELECT id FROM jobs WHERE kind = ? AND dedupe_key = ?",
                &[
                    Arg::Text(job.kind.clone()),
                    Arg::OptText(job.dedupe_key.clone()),
                ],
            )
            .await?
        };
        Ok(existing.map_or(id, |(e,)| JobId::from_uuid(e)))
    }
}

/// The worker's side of the queue. Times are passed in (`now`) so tests can move the clock.
pub trait JobQueue {
    /// Takes the next due job of one of `kinds` for `lease`, or a running job whose lease ran
    /// out (its worker died). First buries expired jobs that were on their last attempt.
    fn claim_job(
        &self,
        worker: &str,
        kinds: &[&str],
        lease: Duration,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<Option<ClaimedJob>>> + Send;
    /// Extends the lease; false when it was lost.
    fn heartbeat_job(
        &self,
        job: JobId,
        token: Uuid,
        until: DateTime<Utc>,
    ) -> impl Future<Output = Result<bool>> + Send;
    fn complete_job(
        &self,
        job: JobId,
        token: Uuid,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<bool>> + Send;
    /// Puts the job back to run at `run_at` after a failed attempt.
    fn retry_job_later(
        &self,
        job: JobId,
        token: Uuid,
        error: &str,
        run_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<bool>> + Send;
    /// Marks the job dead (no more attempts).
    fn bury_job(
        &self,
        job: JobId,
        token: Uuid,
        error: &str,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<bool>> + Send;
    /// Hands an unfinished job back without counting the attempt (graceful shutdown).
    fn release_job(
        &self,
        job: JobId,
        token: Uuid,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<bool>> + Send;
    fn queue_stats(&self, now: DateTime<Utc>) -> impl Future<Output = Result<QueueStats>> + Send;
    fn list_jobs(
        &self,
        state: JobState,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<JobSummary>>> + Send;
    /// Operator action: a dead job gets a fresh set of attempts.
    fn retry_dead_job(
        &self,
        job: JobId,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<bool>> + Send;
    /// Deletes finished jobs older than `before`.
    fn purge_done_jobs(&self, before: DateTime<Utc>) -> impl Future<Output = Result<u64>> + Send;
}

/// Buries the expired jobs that were on their last attempt; binds `now` three times.
const BURY_EXPIRED: &str = "UPDATE jobs SET state = 'dead', \
    last_error = 'the worker stopped responding during the final attempt', \
    locked_by = NULL, lease_token = NULL, locked_until = NULL, updated_at = ?, finished_at = ? \
    WHERE state = 'running' AND locked_until < ? AND attempts >= max_attempts";

fn bury_args(now: DateTime<Utc>) -> [Arg; 3] {
    [Arg::Time(now), Arg::Time(now), Arg::Time(now)]
}

fn lease_until(now: DateTime<Utc>, lease: Duration) -> DateTime<Utc> {
    now + chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::MAX)
}

impl From<ClaimRow> for ClaimedJob {
    fn from(r: ClaimRow) -> Self {
        ClaimedJob {
            id: JobId::from_uuid(r.id),
            tenant: r.tenant_id.map(TenantId::from_uuid),
            kind: r.kind,
            payload: r.payload.0,
            attempt: r.attempts,
            max_attempts: r.max_attempts,
            lease_token: Uuid::nil(),
        }
    }
}

impl JobQueue for Db {
    async fn claim_job(
        &self,
        worker: &str,
        kinds: &[&str],
        lease: Duration,
        now: DateTime<Utc>,
    ) -> Result<Option<ClaimedJob>> {
        let token = Uuid::new_v4();
        let until = lease_until(now, lease);
        // The queue's one pair of twins, for the SQL really differs: PostgreSQL takes the kinds
        // as a text array (`= ANY`) and picks the row `FOR UPDATE SKIP LOCKED` so workers never
        // wait on each other; SQLite has no arrays (the kinds go in as JSON, read by
        // `json_each`) and no row locks (one writer, in `BEGIN IMMEDIATE`).
        let row: Option<ClaimRow> = match self {
            Db::Sqlite { .. } => {
                let mut tx = self.begin(Scope::System).await?;
                execute(&mut tx, On::Any, BURY_EXPIRED, &bury_args(now)).await?;
                let Conn::Sqlite(c) = tx.conn() else {
                    unreachable!("sqlite pool")
                };
                let kinds = serde_json::to_string(kinds).map_err(|e| StoreError::Corrupt {
                    column: "jobs.kind",
                    reason: e.to_string(),
                })?;
                let row = sqlx::query_as(
                    "UPDATE jobs SET state = 'running', attempts = attempts + 1, locked_by = ?1, \
                     lease_token = ?2, locked_until = ?3, updated_at = ?4 \
                     WHERE id = (SELECT id FROM jobs \
                        WHERE kind IN (SELECT value FROM json_each(?5)) \
                          AND ((state = 'queued' AND run_at <= ?4) \
                               OR (state = 'running' AND locked_until < ?4)) \
                        ORDER BY run_at, id LIMIT 1) \
                     RETURNING id, tenant_id, kind, payload, attempts, max_attempts",
                )
                .bind(worker)
                .bind(token)
                .bind(until)
                .bind(now)
                .bind(kinds)
                .fetch_optional(&mut *c)
                .await?;
                tx.commit().await?;
                row
            }
            Db::Postgres(pool) => {
                pool_execute(self, BURY_EXPIRED, &bury_args(now)).await?;
                let kinds: Vec<String> = kinds.iter().map(|k| (*k).to_owned()).collect();
                sqlx::query_as(
                    "WITH next AS ( \
                        SELECT id FROM jobs \
                        WHERE kind = ANY($5) \
                          AND ((state = 'queued' AND run_at <= $4) \
                               OR (state = 'running' AND locked_until < $4)) \
                        ORDER BY run_at, id LIMIT 1 \
                        FOR UPDATE SKIP LOCKED) \
                     UPDATE jobs j SET state = 'running', attempts = j.attempts + 1, \
                        locked_by = $1, lease_token = $2, locked_until = $3, updated_at = $4 \
                     FROM next WHERE j.id = next.id \
                     RETURNING j.id, j.tenant_id, j.kind, j.payload, j.attempts, j.max_attempts",
                )
                .bind(worker)
                .bind(token)
                .bind(until)
                .bind(now)
                .bind(kinds)
                .fetch_optional(pool)
                .await?
            }
        };
        Ok(row.map(|r| ClaimedJob {
            lease_token: token,
            ..ClaimedJob::from(r)
        }))
    }

    async fn heartbeat_job(&self, job: JobId, token: Uuid, until: DateTime<Utc>) -> Result<bool> {
        let n = pool_execute(
            self,
            "UPDATE jobs SET locked_until = ? WHERE id = ? AND lease_token = ? AND state = 'running'",
            &[Arg::Time(until), Arg::Uuid(job.as_uuid()), Arg::Uuid(token)],
        )
        .await?;
        Ok(n == 1)
    }

    async fn complete_job(&self, job: JobId, token: Uuid, now: DateTime<Utc>) -> Result<bool> {
        let n = pool_execute(
            self,
            "UPDATE jobs SET state = 'done', locked_by = NULL, lease_token = NULL, \
             locked_until = NULL, updated_at = ?, finished_at = ? \
             WHERE id = ? AND lease_token = ? AND state = 'running'",
            &[
                Arg::Time(now),
                Arg::Time(now),
                Arg::Uuid(job.as_uuid()),
                Arg::Uuid(token),
            ],
        )
        .await?;
        Ok(n == 1)
    }

    async fn retry_job_later(
        &self,
        job: JobId,
        token: Uuid,
        error: &str,
        run_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let n = pool_execute(
            self,
            "UPDATE jobs SET state = 'queued', run_at = ?, last_error = ?, locked_by = NULL, \
             lease_token = NULL, locked_until = NULL, updated_at = ? \
             WHERE id = ? AND lease_token = ? AND state = 'running'",
            &[
                Arg::Time(run_at),
                Arg::Text(error.to_owned()),
                Arg::Time(now),
                Arg::Uuid(job.as_uuid()),
                Arg::Uuid(token),
            ],
        )
        .await?;
        Ok(n == 1)
    }

    async fn bury_job(
        &self,
        job: JobId,
        token: Uuid,
        error: &str,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let n = pool_execute(
            self,
            "UPDATE jobs SET state = 'dead', last_error = ?, locked_by = NULL, lease_token = NULL, \
             locked_until = NULL, updated_at = ?, finished_at = ? \
             WHERE id = ? AND lease_token = ? AND state = 'running'",
            &[
                Arg::Text(error.to_owned()),
                Arg::Time(now),
                Arg::Time(now),
                Arg::Uuid(job.as_uuid()),
                Arg::Uuid(token),
            ],
        )
        .await?;
        Ok(n == 1)
    }

    async fn release_job(&self, job: JobId, token: Uuid, now: DateTime<Utc>) -> Result<bool> {
        // `CASE` rather than SQLite's `max(a, b)` / PostgreSQL's `greatest(a, b)`: one query.
        let n = pool_execute(
            self,
            "UPDATE jobs SET state = 'queued', \
             attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END, locked_by = NULL, \
             lease_token = NULL, locked_until = NULL, run_at = ?, updated_at = ? \
             WHERE id = ? AND lease_token = ? AND state = 'running'",
            &[
                Arg::Time(now),
                Arg::Time(now),
                Arg::Uuid(job.as_uuid()),
                Arg::Uuid(token),
            ],
        )
        .await?;
        Ok(n == 1)
    }

    async fn queue_stats(&self, now: DateTime<Utc>) -> Result<QueueStats> {
        let rows: Vec<(String, i64, i64)> = pool_fetch_all(
            self,
            "SELECT state, count(*), \
             CAST(coalesce(sum(CASE WHEN run_at <= ? THEN 1 ELSE 0 END), 0) AS BIGINT) \
             FROM jobs GROUP BY state",
            &[Arg::Time(now)],
        )
        .await?;
        let mut stats = QueueStats::default();
        for (state, count, due) in rows {
            match state.as_str() {
                "queued" => {
                    stats.queued = count;
                    stats.ready = due;
                }
                "running" => stats.running = count,
                "done" => stats.done = count,
                "dead" => stats.dead = count,
                _ => {}
            }
        }
        Ok(stats)
    }

    async fn list_jobs(&self, state: JobState, limit: u32) -> Result<Vec<JobSummary>> {
        let rows: Vec<SummaryRow> = pool_fetch_all(
            self,
            "SELECT id, kind, state, attempts, max_attempts, run_at, last_error FROM jobs \
             WHERE state = ? ORDER BY updated_at DESC LIMIT ?",
            &[
                Arg::Text(state.as_str().to_owned()),
                Arg::Int(i64::from(limit)),
            ],
        )
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| JobSummary {
                id: JobId::from_uuid(r.id),
                kind: r.kind,
                state: r.state,
                attempts: r.attempts,
                max_attempts: r.max_attempts,
                run_at: r.run_at,
                last_error: r.last_error,
            })
            .collect())
    }

    async fn retry_dead_job(&self, job: JobId, now: DateTime<Utc>) -> Result<bool> {
        let n = pool_execute(
            self,
            "UPDATE jobs SET state = 'queued', attempts = 0, run_at = ?, updated_at = ?, \
             finished_at = NULL WHERE id = ? AND state = 'dead'",
            &[Arg::Time(now), Arg::Time(now), Arg::Uuid(job.as_uuid())],
        )
        .await?;
        Ok(n == 1)
    }

    async fn purge_done_jobs(&self, before: DateTime<Utc>) -> Result<u64> {
        pool_execute(
            self,
            "DELETE FROM jobs WHERE state = 'done' AND finished_at < ?",
            &[Arg::Time(before)],
        )
        .await
    }
}

//! Housekeeping jobs.

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use jobs::{Handler, Job, JobContext, JobError};
use serde::{Deserialize, Serialize};
use store::{Db, JobQueue, Scope, StoreError};

/// How long finished jobs stay in the queue table for operators to look at.
pub const KEEP_FINISHED_JOBS: Duration = Duration::days(7);

/// Deletes finished jobs older than [`KEEP_FINISHED_JOBS`] and expired sessions, once a day.
#[derive(Debug, Serialize, Deserialize)]
pub struct PurgeFinishedJobs {
    /// The day this run is for (`2026-11-24`): one run per day, however often it is enqueued.
    pub day: String,
}

impl Job for PurgeFinishedJobs {
    const KIND: &'static str = "maintenance.purge_finished_jobs";
    const MAX_ATTEMPTS: i32 = 3;

    fn dedupe_key(&self) -> Option<String> {
        Some(self.day.clone())
    }
}

/// Enqueues today's purge (a no-op when it is already queued or done). Called at start-up.
pub async fn schedule_purge(db: &Db, now: DateTime<Utc>) -> Result<(), StoreError> {
    let mut tx = db.begin(Scope::System).await?;
    jobs::enqueue(
        &mut tx,
        &PurgeFinishedJobs {
            day: now.format("%Y-%m-%d").to_string(),
        },
    )
    .await?;
    tx.commit().await
}

/// Runs [`PurgeFinishedJobs`], then schedules tomorrow's.
#[derive(Debug, Clone)]
pub struct PurgeFinishedJobsHandler {
    pub db: Db,
}

#[async_trait]
impl Handler<PurgeFinishedJobs> for PurgeFinishedJobsHandler {
    async fn run(&self, _job: PurgeFinishedJobs, _ctx: &JobContext) -> Result<(), JobError> {
        let now = domain::time::now();
        let purged = self
            .db
            .purge_done_jobs(now - KEEP_FINISHED_JOBS)
            .await
            .map_err(JobError::retry)?;
        tracing::info!(jobs.purged = purged, "purged finished jobs");
        let sessions = store::SessionStore::Db(self.db.clone())
            .purge_expired(now)
            .await
            .map_err(JobError::retry)?;
        tracing::info!(sessions.purged = sessions, "purged expired sessions");
        let tomorrow = now + Duration::days(1);
        let mut tx = self
            .db
            .begin(Scope::System)
            .await
            .map_err(JobError::retry)?;
        let next = PurgeFinishedJobs {
            day: tomorrow.format("%Y-%m-%d").to_string(),
        };
        jobs::enqueue_at(&mut tx, &next, tomorrow)
            .await
            .map_err(JobError::retry)?;
        tx.commit().await.map_err(JobError::retry)
    }
}

/// Every job handler the application has, for `serve` and `worker`.
pub fn registry(db: &Db) -> jobs::Registry {
    let mut registry = jobs::Registry::new();
    registry.register::<PurgeFinishedJobs, _>(PurgeFinishedJobsHandler { db: db.clone() });
    registry
}

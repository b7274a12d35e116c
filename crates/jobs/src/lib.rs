//! Background jobs: typed, named, idempotent units of work kept in the database's `jobs` table.
//!
//! - A job is a serde type implementing [`Job`] (its `KIND` is the stable name in the table).
//! - [`enqueue`] adds it inside the caller's transaction, so the job exists if and only if the
//!   change that needs it was committed.
//! - A [`Worker`] claims due jobs with a lease, keeps the lease alive while the handler runs,
//!   retries failures with exponential backoff and jitter, and buries a job after its last
//!   attempt (`momentique jobs dead` lists them). A worker that dies mid-job loses its lease and
//!   another worker takes the job over; handlers must therefore be idempotent.

mod metrics;
mod registry;
mod worker;

pub use metrics::JobMetrics;
pub use registry::{Handler, JobContext, JobError, Registry};
pub use worker::{Worker, WorkerConfig};

use domain::{JobId, TenantId};
use serde::Serialize;
use serde::de::DeserializeOwned;
use store::{JobRepo, NewJob, StoreError, Tx};

/// A kind of background job.
pub trait Job: Serialize + DeserializeOwned + Send + Sync + 'static {
    /// The stable name stored with the job. Never rename one that may be queued.
    const KIND: &'static str;
    /// How many times to try before the job is dead.
    const MAX_ATTEMPTS: i32 = 5;

    /// The organization the job works for, if any (shown to operators).
    fn tenant(&self) -> Option<TenantId> {
        None
    }

    /// Jobs with the same key are one job (e.g. "process photo X" enqueued twice).
    fn dedupe_key(&self) -> Option<String> {
        None
    }
}

/// Enqueues `job` inside `tx`: it will run only if `tx` commits.
pub async fn enqueue<J: Job>(tx: &mut Tx, job: &J) -> Result<JobId, StoreError> {
    enqueue_at(tx, job, domain::time::now()).await
}

/// Enqueues `job` inside `tx`, to run no earlier than `run_at`.
pub async fn enqueue_at<J: Job>(
    tx: &mut Tx,
    job: &J,
    run_at: chrono::DateTime<chrono::Utc>,
) -> Result<JobId, StoreError> {
    let payload = serde_json::to_value(job).map_err(|e| StoreError::Corrupt {
        column: "jobs.payload",
        reason: e.to_string(),
    })?;
    tx.enqueue_job(&NewJob {
        kind: J::KIND.to_owned(),
        payload,
        tenant: job.tenant(),
        dedupe_key: job.dedupe_key(),
        max_attempts: J::MAX_ATTEMPTS,
        run_at,
    })
    .await
}

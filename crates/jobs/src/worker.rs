//! The worker loop: claim, run with a heartbeat, then complete, retry or bury.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use domain::time::{Clock, SystemClock};
use futures::FutureExt;
use rand::Rng;
use store::{ClaimedJob, Db, JobQueue};
use tokio::sync::{Notify, Semaphore, watch};
use tokio::task::JoinSet;
use tracing::{Instrument, debug, error, info, info_span, warn};

use crate::metrics::{KindLabels, RunLabels};
use crate::{JobContext, JobError, JobMetrics, Registry};

/// How a worker behaves.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// Shown in the queue's `locked_by` and in logs.
    pub name: String,
    /// Jobs run at the same time by this worker.
    pub concurrency: usize,
    /// How long a claim holds before another worker may take the job over. Renewed every
    /// third of it while the handler runs.
    pub lease: Duration,
    /// How often to look for due jobs when nothing wakes the worker.
    pub poll_interval: Duration,
    /// First retry delay; doubles each attempt, up to `max_backoff`, with ±25 % jitter.
    pub base_backoff: Duration,
    pub max_backoff: Duration,
    /// At shutdown, how long running jobs may take to finish before they are handed back.
    pub shutdown_grace: Duration,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        Self {
            name: default_name(),
            concurrency: std::thread::available_parallelism().map_or(2, |n| n.get()),
            lease: Duration::from_secs(60),
            poll_interval: Duration::from_secs(1),
            base_backoff: Duration::from_secs(5),
            max_backoff: Duration::from_secs(3600),
            shutdown_grace: Duration::from_secs(20),
        }
    }
}

fn default_name() -> String {
    let host = std::fs::read_to_string("/etc/hostname")
        .map(|h| h.trim().to_owned())
        .unwrap_or_default();
    let host = if host.is_empty() {
        "worker".to_owned()
    } else {
        host
    };
    format!(
        "{host}-{}-{:04x}",
        std::process::id(),
        rand::rng().random::<u16>()
    )
}

/// A background worker. Start it with [`Worker::run`].
#[derive(Debug, Clone)]
pub struct Worker {
    db: Db,
    registry: Arc<Registry>,
    config: WorkerConfig,
    clock: Arc<dyn Clock>,
    metrics: JobMetrics,
    wake: Arc<Notify>,
}

impl Worker {
    pub fn new(db: Db, registry: Registry, config: WorkerConfig, metrics: JobMetrics) -> Self {
        Self {
            db,
            registry: Arc::new(registry),
            config,
            clock: Arc::new(SystemClock),
            metrics,
            wake: Arc::new(Notify::new()),
        }
    }

    /// Replaces the clock (tests move time instead of sleeping).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// A handle that wakes the worker at once (call after enqueueing in this process).
    pub fn waker(&self) -> Arc<Notify> {
        self.wake.clone()
    }

    /// Runs until `shutdown` turns true. Then it claims nothing more, gives running jobs
    /// `shutdown_grace` to finish, and hands the rest back to the queue unfinished (their
    /// attempt not counted) so another worker picks them up.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        let kinds = self.registry.kinds();
        info!(worker = %self.config.name, ?kinds, concurrency = self.config.concurrency, "worker started");
        let slots = Arc::new(Semaphore::new(self.config.concurrency.max(1)));
        let (hard_stop_tx, hard_stop) = watch::channel(false);
        let mut running = JoinSet::new();
        let mut failures: u32 = 0;

        loop {
            while running.try_join_next().is_some() {}
            if *shutdown.borrow() {
                break;
            }
            let permit = tokio::select! {
                p = slots.clone().acquire_owned() => match p { Ok(p) => p, Err(_) => break },
                _ = shutdown.changed() => continue,
            };
            match self
                .db
                .claim_job(
                    &self.config.name,
                    &kinds,
                    self.config.lease,
                    self.clock.now(),
                )
                .await
            {
                Ok(Some(job)) => {
                    failures = 0;
                    let this = self.clone();
                    let hard_stop = hard_stop.clone();
                    running.spawn(async move {
                        this.run_one(job, hard_stop).await;
                        drop(permit);
                    });
                }
                Ok(None) => {
                    failures = 0;
                    drop(permit);
                    tokio::select! {
                        () = tokio::time::sleep(self.config.poll_interval) => {}
                        () = self.wake.notified() => {}
                        _ = shutdown.changed() => {}
                    }
                }
                Err(e) => {
                    drop(permit);
                    failures = failures.saturating_add(1);
                    let pause = self.config.poll_interval * failures.min(30);
                    warn!(error = %e, pause_ms = pause.as_millis() as u64, "could not claim a job");
                    tokio::select! {
                        () = tokio::time::sleep(pause) => {}
                        _ = shutdown.changed() => {}
                    }
                }
            }
        }

        let in_flight = running.len();
        if in_flight > 0 {
            info!(
                in_flight,
                grace_ms = self.config.shutdown_grace.as_millis() as u64,
                "worker stopping: waiting for running jobs"
            );
            let drain = async { while running.join_next().await.is_some() {} };
            if tokio::time::timeout(self.config.shutdown_grace, drain)
                .await
                .is_err()
            {
                let _ = hard_stop_tx.send(true);
                while running.join_next().await.is_some() {}
            }
        }
        info!(worker = %self.config.name, "worker stopped");
    }

    async fn run_one(&self, job: ClaimedJob, mut hard_stop: watch::Receiver<bool>) {
        let span = info_span!("job", job.id = %job.id, job.kind = %job.kind, job.attempt = job.attempt, tenant.id = ?job.tenant.map(|t| t.to_string()));
        async move {
            let Some(handler) = self.registry.get(&job.kind) else {
                error!("claimed a job of a kind with no handler");
                return;
            };
            let ctx = JobContext { id: job.id, tenant: job.tenant, attempt: job.attempt, max_attempts: job.max_attempts };
            let started = Instant::now();
            let work = AssertUnwindSafe(handler.run(job.payload.clone(), &ctx)).catch_unwind();
            let result = tokio::select! {
                r = work => Some(r.unwrap_or_else(|_| Err(JobError::Retry("the job panicked".into())))),
                () = self.keep_lease(&job) => None,
                _ = hard_stop.wait_for(|stop| *stop) => None,
            };
            let elapsed = started.elapsed();
            self.metrics.duration.get_or_create(&KindLabels { kind: job.kind.clone() }).observe(elapsed.as_secs_f64());
            let now = self.clock.now();
            let (outcome, stored) = match result {
                None => ("released", self.db.release_job(job.id, job.lease_token, now).await),
                Some(Ok(())) => ("done", self.db.complete_job(job.id, job.lease_token, now).await),
                Some(Err(JobError::Retry(msg))) if job.attempt < job.max_attempts => {
                    let at = self.retry_at(now, job.attempt);
                    warn!(error = %msg, retry_at = %at, "job failed; will retry");
                    ("retry", self.db.retry_job_later(job.id, job.lease_token, &msg, at, now).await)
                }
                Some(Err(e)) => {
                    error!(error = %e, "job failed for the last time; it is now dead");
                    ("dead", self.db.bury_job(job.id, job.lease_token, &e.to_string(), now).await)
                }
            };
            self.metrics.runs.get_or_create(&RunLabels { kind: job.kind.clone(), outcome }).inc();
            match stored {
                Ok(true) => debug!(outcome, duration_ms = elapsed.as_millis() as u64, "job finished"),
                Ok(false) => warn!(outcome, "the job's lease was lost before it finished; another worker owns it now"),
                Err(e) => error!(outcome, error = %e, "could not record the job's outcome; it will run again after its lease"),
            }
        }
        .instrument(span)
        .await;
    }

    /// Renews the lease every third of its length. Returns only if the lease was lost.
    async fn keep_lease(&self, job: &ClaimedJob) {
        let every = self.config.lease / 3;
        loop {
            tokio::time::sleep(every).await;
            let until = self.clock.now()
                + chrono::Duration::from_std(self.config.lease).unwrap_or(chrono::Duration::MAX);
            match self.db.heartbeat_job(job.id, job.lease_token, until).await {
                Ok(true) => {}
                Ok(false) => {
                    warn!("lost the job's lease; stopping this run");
                    return;
                }
                Err(e) => warn!(error = %e, "could not renew the job's lease"),
            }
        }
    }

    fn retry_at(&self, now: DateTime<Utc>, attempt: i32) -> DateTime<Utc> {
        let exp = u32::try_from(attempt.saturating_sub(1))
            .unwrap_or(0)
            .min(20);
        let base = self
            .config
            .base_backoff
            .saturating_mul(2u32.saturating_pow(exp));
        let capped = base.min(self.config.max_backoff);
        let jitter = rand::rng().random_range(0.75..=1.25);
        now + chrono::Duration::from_std(capped.mul_f64(jitter)).unwrap_or(chrono::Duration::MAX)
    }
}

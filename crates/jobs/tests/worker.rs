//! Worker tests on both backends: a job abandoned mid-run is finished by another worker after
//! its lease; two workers never run one job at the same time; retries end in the dead state;
//! shutdown hands unfinished jobs back.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use domain::time::ManualClock;
use jobs::{Handler, Job, JobContext, JobError, JobMetrics, Registry, Worker, WorkerConfig};
use serde::{Deserialize, Serialize};
use store::{Db, DbOptions, JobQueue, JobState, Scope};
use test_support::{TestDatabase, db_test};
use tokio::sync::{mpsc, watch};

async fn open(tdb: &TestDatabase) -> Db {
    Db::open(&tdb.url, tdb.admin_url.as_deref(), &DbOptions::default())
        .await
        .expect("open the test database")
}

#[derive(Debug, Serialize, Deserialize)]
struct Work {
    n: u32,
}

impl Job for Work {
    const KIND: &'static str = "test.work";
    const MAX_ATTEMPTS: i32 = 3;
}

async fn enqueue_work(db: &Db, count: u32) {
    let mut tx = db.begin(Scope::System).await.expect("test setup step");
    for n in 0..count {
        jobs::enqueue(&mut tx, &Work { n })
            .await
            .expect("test setup step");
    }
    tx.commit().await.expect("test setup step");
}

fn config(name: &str) -> WorkerConfig {
    WorkerConfig {
        name: name.into(),
        concurrency: 2,
        lease: Duration::from_secs(30),
        poll_interval: Duration::from_millis(20),
        base_backoff: Duration::ZERO,
        max_backoff: Duration::ZERO,
        shutdown_grace: Duration::from_secs(5),
    }
}

/// Records runs, watches for overlaps, and reports each finished run on a channel.
struct Recorder {
    in_flight: Mutex<HashSet<u32>>,
    runs: Mutex<HashMap<u32, u32>>,
    attempts: Mutex<Vec<i32>>,
    overlaps: Mutex<u32>,
    done: mpsc::UnboundedSender<u32>,
    work_time: Duration,
}

#[async_trait]
impl Handler<Work> for Arc<Recorder> {
    async fn run(&self, job: Work, ctx: &JobContext) -> Result<(), JobError> {
        if !self
            .in_flight
            .lock()
            .expect("test setup step")
            .insert(job.n)
        {
            *self.overlaps.lock().expect("test setup step") += 1;
        }
        tokio::time::sleep(self.work_time).await;
        self.in_flight
            .lock()
            .expect("test setup step")
            .remove(&job.n);
        *self
            .runs
            .lock()
            .expect("test setup step")
            .entry(job.n)
            .or_default() += 1;
        self.attempts
            .lock()
            .expect("test setup step")
            .push(ctx.attempt);
        let _ = self.done.send(job.n);
        Ok(())
    }
}

fn recorder(work_time: Duration) -> (Arc<Recorder>, mpsc::UnboundedReceiver<u32>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let rec = Recorder {
        in_flight: Mutex::default(),
        runs: Mutex::default(),
        attempts: Mutex::default(),
        overlaps: Mutex::default(),
        done: tx,
        work_time,
    };
    (Arc::new(rec), rx)
}

async fn wait_for(rx: &mut mpsc::UnboundedReceiver<u32>, count: usize) {
    let all = async {
        for _ in 0..count {
            rx.recv().await.expect("recorder alive");
        }
    };
    tokio::time::timeout(Duration::from_secs(60), all)
        .await
        .expect("jobs finished in time");
}

db_test!(
    async fn a_job_abandoned_mid_run_is_completed_by_another_worker_after_its_lease(tdb) {
        let db = open(&tdb).await;
        enqueue_work(&db, 1).await;
        let clock = Arc::new(ManualClock::new(domain::time::now()));
        let lease = Duration::from_secs(30);

        // Worker A claims the job and dies without a word (kill -9): we claim by hand and drop.
        let abandoned = db.claim_job("worker-a", &[Work::KIND], lease, domain::time::Clock::now(&*clock)).await.unwrap().unwrap();
        assert_eq!(abandoned.attempt, 1);

        // Worker B, before the lease runs out, finds nothing to do.
        assert!(db.claim_job("worker-b", &[Work::KIND], lease, domain::time::Clock::now(&*clock)).await.unwrap().is_none());

        // After the lease, worker B takes the job over and finishes it.
        clock.advance(chrono::Duration::seconds(31));
        let (rec, mut done) = recorder(Duration::ZERO);
        let mut registry = Registry::new();
        registry.register::<Work, _>(rec.clone());
        let worker = Worker::new(db.clone(), registry, config("worker-b"), JobMetrics::default()).with_clock(clock.clone());
        let (stop_tx, stop) = watch::channel(false);
        let handle = tokio::spawn(worker.run(stop));
        wait_for(&mut done, 1).await;
        stop_tx.send(true).unwrap();
        handle.await.unwrap();

        assert_eq!(*rec.attempts.lock().unwrap(), vec![2], "the takeover is the second attempt");
        let stats = db.queue_stats(domain::time::Clock::now(&*clock)).await.unwrap();
        assert_eq!((stats.done, stats.running, stats.queued), (1, 0, 0));
        // Worker A coming back to life can no longer touch the job: its lease token is stale.
        assert!(!db.complete_job(abandoned.id, abandoned.lease_token, domain::time::now()).await.unwrap());
    }
);

db_test!(
    async fn two_workers_never_run_the_same_job_at_once(tdb) {
        let db = open(&tdb).await;
        let jobs = 40;
        enqueue_work(&db, jobs).await;
        let (rec, mut done) = recorder(Duration::from_millis(15));
        let metrics = [JobMetrics::default(), JobMetrics::default()];
        let (stop_tx, stop) = watch::channel(false);
        let mut handles = Vec::new();
        for (i, m) in metrics.iter().enumerate() {
            let mut registry = Registry::new();
            registry.register::<Work, _>(rec.clone());
            let w = Worker::new(db.clone(), registry, config(&format!("w{i}")), m.clone());
            handles.push(tokio::spawn(w.run(stop.clone())));
        }
        wait_for(&mut done, jobs as usize).await;
        stop_tx.send(true).unwrap();
        for h in handles {
            h.await.unwrap();
        }
        assert_eq!(*rec.overlaps.lock().unwrap(), 0, "no job ran twice at the same time");
        let runs = rec.runs.lock().unwrap().clone();
        assert_eq!(runs.len(), jobs as usize);
        assert!(runs.values().all(|&n| n == 1), "each job ran exactly once: {runs:?}");
        let per_worker: Vec<u64> = metrics.iter().map(|m| m.runs(Work::KIND, "done")).collect();
        assert_eq!(per_worker.iter().sum::<u64>(), u64::from(jobs));
        assert!(per_worker.iter().all(|&n| n > 0), "both workers took part: {per_worker:?}");
        assert_eq!(db.queue_stats(domain::time::now()).await.unwrap().done, i64::from(jobs));
    }
);

struct AlwaysFails;

#[async_trait]
impl Handler<Work> for AlwaysFails {
    async fn run(&self, _job: Work, _ctx: &JobContext) -> Result<(), JobError> {
        Err(JobError::retry("the mail server is down"))
    }
}

db_test!(
    async fn a_job_that_keeps_failing_is_retried_then_dead_and_visible(tdb) {
        let db = open(&tdb).await;
        enqueue_work(&db, 1).await;
        let metrics = JobMetrics::default();
        let mut registry = Registry::new();
        registry.register::<Work, _>(AlwaysFails);
        let (stop_tx, stop) = watch::channel(false);
        let handle = tokio::spawn(Worker::new(db.clone(), registry, config("w"), metrics.clone()).run(stop));
        let dead = async {
            loop {
                if db.queue_stats(domain::time::now()).await.unwrap().dead == 1 {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        };
        tokio::time::timeout(Duration::from_secs(30), dead).await.expect("job reached dead");
        stop_tx.send(true).unwrap();
        handle.await.unwrap();
        assert_eq!((metrics.runs(Work::KIND, "retry"), metrics.runs(Work::KIND, "dead")), (2, 1));
        let dead = db.list_jobs(JobState::Dead, 10).await.unwrap();
        assert_eq!(dead.len(), 1);
        assert_eq!((dead[0].attempts, dead[0].last_error.as_deref()), (3, Some("the mail server is down")));
    }
);

struct Hangs;

#[async_trait]
impl Handler<Work> for Hangs {
    async fn run(&self, _job: Work, _ctx: &JobContext) -> Result<(), JobError> {
        std::future::pending::<()>().await;
        Ok(())
    }
}

db_test!(
    async fn shutdown_hands_an_unfinished_job_back_without_counting_the_attempt(tdb) {
        let db = open(&tdb).await;
        enqueue_work(&db, 1).await;
        let metrics = JobMetrics::default();
        let mut registry = Registry::new();
        registry.register::<Work, _>(Hangs);
        let cfg = WorkerConfig { shutdown_grace: Duration::from_millis(100), ..config("w") };
        let (stop_tx, stop) = watch::channel(false);
        let handle = tokio::spawn(Worker::new(db.clone(), registry, cfg, metrics.clone()).run(stop));
        let running = async {
            while db.queue_stats(domain::time::now()).await.unwrap().running != 1 {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        };
        tokio::time::timeout(Duration::from_secs(30), running).await.expect("job started");
        stop_tx.send(true).unwrap();
        handle.await.unwrap();
        assert_eq!(metrics.runs(Work::KIND, "released"), 1);
        let queued = db.list_jobs(JobState::Queued, 10).await.unwrap();
        assert_eq!(queued.len(), 1, "the job is back in the queue");
        assert_eq!(queued[0].attempts, 0, "a released run does not use up an attempt");
    }
);

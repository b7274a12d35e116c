//! Readiness: can this instance serve? Checks the database, the media store and Redis (when
//! configured), at the same time and each within a time limit.

use std::time::Duration;

use crate::Services;

/// One dependency's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    /// `database`, `storage` or `redis`.
    pub name: &'static str,
    /// `None` when healthy, else a short reason safe to show an operator.
    pub problem: Option<String>,
}

/// All checks; ready when none has a problem.
#[derive(Debug, Clone)]
pub struct Readiness {
    pub checks: Vec<Check>,
}

impl Readiness {
    pub fn is_ready(&self) -> bool {
        self.checks.iter().all(|c| c.problem.is_none())
    }
}

const CHECK_TIMEOUT: Duration = Duration::from_secs(3);

async fn check<E: std::fmt::Display>(
    name: &'static str,
    fut: impl Future<Output = Result<(), E>>,
) -> Check {
    let problem = match tokio::time::timeout(CHECK_TIMEOUT, fut).await {
        Ok(Ok(())) => None,
        Ok(Err(e)) => {
            tracing::warn!(check = name, error = %e, "readiness check failed");
            Some(format!("{name} is unreachable or failing"))
        }
        Err(_) => {
            tracing::warn!(check = name, "readiness check timed out");
            Some(format!(
                "{name} did not answer within {}s",
                CHECK_TIMEOUT.as_secs()
            ))
        }
    };
    Check { name, problem }
}

/// Runs every check.
pub async fn readiness(services: &Services) -> Readiness {
    let db = check("database", services.db.ping());
    let storage = check("storage", services.blobs.check());
    let redis = async {
        match &services.redis {
            Some(r) => Some(check("redis", r.ping()).await),
            None => None,
        }
    };
    let (db, storage, redis) = tokio::join!(db, storage, redis);
    let mut checks = vec![db, storage];
    checks.extend(redis);
    Readiness { checks }
}

/// The job queue's figures now, for `/metrics`.
pub async fn queue_stats(services: &Services) -> Result<store::QueueStats, store::StoreError> {
    use store::JobQueue;
    services.db.queue_stats(services.now()).await
}

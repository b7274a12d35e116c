//! Which handler runs which job kind.

use std::collections::HashMap;
use std::marker::PhantomData;
use std::sync::Arc;

use async_trait::async_trait;
use domain::{JobId, TenantId};

use crate::Job;

/// What a handler knows about the run it is in.
#[derive(Debug, Clone)]
pub struct JobContext {
    pub id: JobId,
    pub tenant: Option<TenantId>,
    /// This attempt's number, from 1.
    pub attempt: i32,
    pub max_attempts: i32,
}

/// Why a run failed.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// Worth another try later (a service was down, a timeout).
    #[error("{0}")]
    Retry(String),
    /// Will never succeed (bad payload, the thing it works on is gone): dead at once.
    #[error("{0}")]
    Fatal(String),
}

impl JobError {
    pub fn retry(err: impl std::fmt::Display) -> Self {
        JobError::Retry(err.to_string())
    }

    pub fn fatal(err: impl std::fmt::Display) -> Self {
        JobError::Fatal(err.to_string())
    }
}

/// Runs one kind of job.
#[async_trait]
pub trait Handler<J: Job>: Send + Sync + 'static {
    async fn run(&self, job: J, ctx: &JobContext) -> Result<(), JobError>;
}

#[async_trait]
pub(crate) trait ErasedHandler: Send + Sync {
    async fn run(&self, payload: serde_json::Value, ctx: &JobContext) -> Result<(), JobError>;
}

struct Typed<J, H> {
    handler: H,
    _job: PhantomData<fn() -> J>,
}

#[async_trait]
impl<J: Job, H: Handler<J>> ErasedHandler for Typed<J, H> {
    async fn run(&self, payload: serde_json::Value, ctx: &JobContext) -> Result<(), JobError> {
        let job: J = serde_json::from_value(payload)
            .map_err(|e| JobError::Fatal(format!("payload of {} does not parse: {e}", J::KIND)))?;
        self.handler.run(job, ctx).await
    }
}

/// The handlers a worker knows. A worker only claims the kinds registered here, so several
/// kinds of worker process can share one queue.
#[derive(Default, Clone)]
pub struct Registry {
    handlers: HashMap<&'static str, Arc<dyn ErasedHandler>>,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.handlers.keys()).finish()
    }
}

impl Registry {
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers `handler` for jobs of type `J`.
    pub fn register<J: Job, H: Handler<J>>(&mut self, handler: H) -> &mut Self {
        self.handlers.insert(
            J::KIND,
            Arc::new(Typed::<J, H> {
                handler,
                _job: PhantomData,
            }),
        );
        self
    }

    pub fn kinds(&self) -> Vec<&'static str> {
        let mut kinds: Vec<_> = self.handlers.keys().copied().collect();
        kinds.sort_unstable();
        kinds
    }

    pub(crate) fn get(&self, kind: &str) -> Option<Arc<dyn ErasedHandler>> {
        self.handlers.get(kind).cloned()
    }
}

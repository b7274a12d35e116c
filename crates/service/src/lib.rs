//! Use cases: what Momentique does, free of HTTP. Handlers parse, authorize, call a use case
//! here and render its result; workers do the same for jobs.

pub mod health;
pub mod maintenance;

use media::BlobStore;
use store::{Db, Redis};

/// The outside services every use case may need. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Services {
    pub db: Db,
    pub blobs: BlobStore,
    /// Present when `MOMENTIQUE_REDIS_URL` is set.
    pub redis: Option<Redis>,
}

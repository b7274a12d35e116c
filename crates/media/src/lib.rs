//! Media: where photo bytes live (this module) and, with the photo-ingest work, how they are
//! processed.

mod blobs;
pub mod memory;
pub mod pipeline;
pub mod qr;

pub use blobs::{BlobError, BlobStore, S3Config};

//! The blob store: one `object_store` behind every backend. A local folder by default
//! (`./data/media` or `file:///srv/momentique/media`).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use object_store::local::LocalFileSystem;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};

/// Why the blob store failed.
#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    #[error("unsupported media storage URL scheme {0:?} (use a folder path or file://)")]
    UnsupportedScheme(String),
    #[error("cannot use the media folder {path}: {source}")]
    Folder {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Store(#[from] object_store::Error),
}

/// Where media is stored. Cheap to clone.
#[derive(Debug, Clone)]
pub struct BlobStore {
    store: Arc<dyn ObjectStore>,
    description: String,
}

impl BlobStore {
    /// Opens the store named by `url`: a folder path or `file://` URL (created when missing).
    pub fn open(url: &str) -> Result<Self, BlobError> {
        let folder = match url.split_once("://") {
            None => PathBuf::from(url),
            Some(("file", rest)) => PathBuf::from(rest),
            Some((scheme, _)) => return Err(BlobError::UnsupportedScheme(scheme.to_owned())),
        };
        Self::local(&folder)
    }

    /// A store in a local folder, created when missing.
    pub fn local(folder: &Path) -> Result<Self, BlobError> {
        let folder_err = |source| BlobError::Folder {
            path: folder.to_owned(),
            source,
        };
        std::fs::create_dir_all(folder).map_err(folder_err)?;
        let abs = folder.canonicalize().map_err(folder_err)?;
        let store = LocalFileSystem::new_with_prefix(&abs)?;
        Ok(Self {
            store: Arc::new(store),
            description: format!("local folder {}", abs.display()),
        })
    }

    /// Where the bytes go, for logs and `check-config`.
    pub fn describe(&self) -> &str {
        &self.description
    }

    pub async fn put(&self, key: &str, bytes: Bytes) -> Result<(), BlobError> {
        self.store
            .put(&ObjectPath::from(key), PutPayload::from(bytes))
            .await?;
        Ok(())
    }

    pub async fn get(&self, key: &str) -> Result<Bytes, BlobError> {
        Ok(self
            .store
            .get(&ObjectPath::from(key))
            .await?
            .bytes()
            .await?)
    }

    pub async fn delete(&self, key: &str) -> Result<(), BlobError> {
        match self.store.delete(&ObjectPath::from(key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Proves the store accepts writes and serves reads (start-up and `/readyz`).
    pub async fn check(&self) -> Result<(), BlobError> {
        let key = "_momentique/readiness-probe";
        let stamp = Bytes::from(uuid::Uuid::new_v4().to_string());
        self.put(key, stamp.clone()).await?;
        let back = self.get(key).await?;
        if back != stamp {
            return Err(BlobError::Store(object_store::Error::Generic {
                store: "media",
                source: "the readiness probe read back different bytes".into(),
            }));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn local_store_round_trips_and_checks() {
        let dir = tempfile::tempdir().unwrap();
        let store = BlobStore::open(&format!("file://{}/media", dir.path().display())).unwrap();
        store.check().await.unwrap();
        store
            .put("t/e/p.bin", Bytes::from_static(b"photo"))
            .await
            .unwrap();
        assert_eq!(
            store.get("t/e/p.bin").await.unwrap(),
            Bytes::from_static(b"photo")
        );
        store.delete("t/e/p.bin").await.unwrap();
        store.delete("t/e/p.bin").await.unwrap();
        assert!(store.get("t/e/p.bin").await.is_err());
    }

    #[test]
    fn unknown_schemes_and_unusable_folders_are_refused() {
        assert!(
            matches!(BlobStore::open("ftp://x/y"), Err(BlobError::UnsupportedScheme(s)) if s == "ftp")
        );
        assert!(matches!(
            BlobStore::open("/proc/forbidden/media"),
            Err(BlobError::Folder { .. })
        ));
    }
}

//! The blob store: one `object_store` behind every backend. A local folder by default
//! (`./data/media` or `file:///srv/momentique/media`), or an S3-compatible bucket (AWS S3,
//! Garage, MinIO, R2…) described by an [`S3Config`].
//!
//! Keys are laid out `tenant/event/photo/…`, so an event's blobs share a prefix
//! ([`BlobStore::delete_prefix`]). Errors from the store are classified once, here, into
//! [`BlobError`] variants an operator can act on (unreachable, refused credentials, missing
//! bucket, full disk); [`BlobError::is_unavailable`] tells the web layer to answer 503.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures::stream::{BoxStream, StreamExt, TryStreamExt};
use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::client::{HttpError, HttpErrorKind};
use object_store::local::LocalFileSystem;
use object_store::path::Path as ObjectPath;
use object_store::signer::{Method, Signer};
use object_store::{
    BackoffConfig, ClientOptions, ObjectStore, ObjectStoreExt, PutPayload, RetryConfig,
    WriteMultipart,
};
use tokio::io::AsyncReadExt;

/// Files up to this size are uploaded with one PUT; larger ones in parts.
const SINGLE_PUT_MAX: u64 = 8 * 1024 * 1024;
/// Part size of multipart uploads (S3's minimum is 5 MiB).
const PART_SIZE: usize = 8 * 1024 * 1024;
/// Parts in flight at once: memory per upload stays around `(PARTS_IN_FLIGHT + 1) × PART_SIZE`.
const PARTS_IN_FLIGHT: usize = 2;
/// How much of the file is read per read call.
const READ_CHUNK: usize = 1024 * 1024;
/// The chunk a local file is streamed in (ZIP downloads, media answers).
const FILE_CHUNK: usize = 256 * 1024;
/// Upper bound on [`BlobStore::check`], so `/readyz` answers even when the store hangs.
const CHECK_TIMEOUT: Duration = Duration::from_secs(5);

/// Why the blob store failed.
#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    #[error(
        "unsupported media storage URL scheme {0:?} (use a folder path, file:// or s3://BUCKET with the S3 settings)"
    )]
    UnsupportedScheme(String),
    #[error("cannot use the media folder {path}: {source}")]
    Folder {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The S3 settings are incomplete or contradict the media URL.
    #[error("invalid S3 media settings: {0}")]
    S3Config(String),
    /// A key (or prefix) that would address nothing or everything.
    #[error("invalid blob key {0:?}")]
    InvalidKey(String),
    #[error("no blob at {key}")]
    NotFound { key: String },
    /// Cannot connect, timed out, or the store says it is overloaded.
    #[error("{store} is unreachable: {reason}")]
    Unreachable { store: String, reason: String },
    /// The store refused the access key, secret or signature (or denies access to the bucket).
    #[error("{store} refused the credentials: {reason}")]
    Credentials { store: String, reason: String },
    #[error("{store}: the bucket does not exist")]
    MissingBucket { store: String },
    /// Disk full, quota exceeded or a read-only file system.
    #[error("{store} cannot store more: {reason}")]
    StorageFull { store: String, reason: String },
    /// Reading the local file given to [`BlobStore::put_file`].
    #[error("cannot read {path}: {source}")]
    ReadFile {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Store(#[from] object_store::Error),
}

impl BlobError {
    /// True when the store itself cannot serve right now (unreachable, full, refusing our
    /// credentials, bucket gone): the web layer answers 503 rather than 500, and `/readyz`
    /// reports not ready.
    pub fn is_unavailable(&self) -> bool {
        matches!(
            self,
            Self::Unreachable { .. }
                | Self::Credentials { .. }
                | Self::MissingBucket { .. }
                | Self::StorageFull { .. }
        )
    }

    /// True for a missing blob ([`BlobStore::get`], [`BlobStore::get_stream`]).
    pub fn is_not_found(&self) -> bool {
        matches!(self, Self::NotFound { .. })
    }
}

/// Where an S3-compatible bucket is and how to sign requests to it. `Debug` hides the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct S3Config {
    /// `http(s)://host:port` for S3-compatible servers; `None` for AWS itself.
    pub endpoint: Option<String>,
    pub bucket: String,
    /// Must equal the server's region (Garage: its `s3_region`).
    pub region: String,
    pub access_key_id: String,
    pub secret_access_key: String,
    /// `https://host/bucket/key` rather than `https://bucket.host/key` (Garage, MinIO).
    pub path_style: bool,
    /// Allow a plain `http://` endpoint (local test servers, a store on the same host).
    pub allow_http: bool,
}

impl fmt::Debug for S3Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("S3Config")
            .field("endpoint", &self.endpoint)
            .field("bucket", &self.bucket)
            .field("region", &self.region)
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"***")
            .field("path_style", &self.path_style)
            .field("allow_http", &self.allow_http)
            .finish()
    }
}

/// Where media is stored. Cheap to clone.
#[derive(Debug, Clone)]
pub struct BlobStore {
    store: Arc<dyn ObjectStore>,
    /// Present for S3: signs presigned URLs.
    signer: Option<Arc<AmazonS3>>,
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

    /// Opens the store from the configuration: `media_url` is a folder, `file://…` or
    /// `s3://BUCKET`; `s3` holds the S3 settings. S3 is used only when asked for explicitly:
    /// `s3://BUCKET` needs the settings (and their bucket must match, or be empty), and S3
    /// settings next to a folder URL are refused rather than silently ignored. An empty
    /// `media_url` with S3 settings means S3.
    pub fn from_parts(media_url: &str, s3: Option<S3Config>) -> Result<Self, BlobError> {
        let url_bucket = media_url
            .strip_prefix("s3://")
            .map(|rest| rest.trim_end_matches('/'));
        match (url_bucket, s3) {
            (None, None) => Self::open(media_url),
            (Some(bucket), None) => Err(BlobError::S3Config(format!(
                "the media URL s3://{bucket} needs the S3 settings (endpoint, region, access key)"
            ))),
            (Some(bucket), Some(mut config)) => {
                if bucket.is_empty() || bucket.contains('/') {
                    return Err(BlobError::S3Config(format!(
                        "the media URL {media_url:?} must be s3://BUCKET"
                    )));
                }
                if config.bucket.is_empty() {
                    bucket.clone_into(&mut config.bucket);
                } else if config.bucket != bucket {
                    return Err(BlobError::S3Config(format!(
                        "the media URL names bucket {bucket:?} but the S3 settings name {:?}",
                        config.bucket
                    )));
                }
                Self::s3(config)
            }
            (None, Some(config)) if media_url.is_empty() => Self::s3(config),
            (None, Some(_)) => Err(BlobError::S3Config(format!(
                "S3 settings are given but the media URL is the folder {media_url:?}; \
                 set it to s3://BUCKET to store media in S3"
            ))),
        }
    }

    /// A store in a local folder, created when missing.
    pub fn local(folder: &Path) -> Result<Self, BlobError> {
        let folder_err = |source| BlobError::Folder {
            path: folder.to_owned(),
            source,
        };
        std::fs::create_dir_all(folder).map_err(folder_err)?;
        let abs = folder.canonicalize().map_err(folder_err)?;
        // Cleanup removes a photo's folders once its last file is deleted.
        let store = LocalFileSystem::new_with_prefix(&abs)?.with_automatic_cleanup(true);
        Ok(Self {
            store: Arc::new(store),
            signer: None,
            description: format!("local folder {}", abs.display()),
        })
    }

    /// A store in an S3-compatible bucket. Connects lazily: call [`check`](Self::check) to
    /// find out whether the bucket answers.
    pub fn s3(config: S3Config) -> Result<Self, BlobError> {
        let invalid = |what: &str| Err(BlobError::S3Config(what.to_owned()));
        if config.bucket.is_empty() {
            return invalid("the bucket name is empty");
        }
        if config.region.is_empty() {
            return invalid("the region is empty");
        }
        if config.access_key_id.is_empty() || config.secret_access_key.is_empty() {
            return invalid("the access key id and secret access key are required");
        }
        if let Some(endpoint) = &config.endpoint
            && endpoint.starts_with("http://")
            && !config.allow_http
        {
            return Err(BlobError::S3Config(format!(
                "the endpoint {endpoint} is plain http; allow it explicitly (allow_http) or use https"
            )));
        }
        let client = ClientOptions::new()
            .with_allow_http(config.allow_http)
            .with_connect_timeout(Duration::from_secs(3))
            // No limit on a whole request: streaming a large original to a slow client takes
            // as long as it takes. A stalled server is caught by the read timeout instead.
            .with_timeout_disabled()
            .with_read_timeout(Duration::from_secs(30));
        let retry = RetryConfig {
            backoff: BackoffConfig::default(),
            max_retries: 3,
            retry_timeout: Duration::from_secs(10),
        };
        let mut builder = AmazonS3Builder::new()
            .with_bucket_name(&config.bucket)
            .with_region(&config.region)
            .with_access_key_id(&config.access_key_id)
            .with_secret_access_key(&config.secret_access_key)
            .with_virtual_hosted_style_request(!config.path_style)
            .with_allow_http(config.allow_http)
            .with_client_options(client)
            .with_retry(retry);
        if let Some(endpoint) = &config.endpoint {
            builder = builder.with_endpoint(endpoint.trim_end_matches('/'));
        }
        let s3 = Arc::new(
            builder
                .build()
                .map_err(|e| BlobError::S3Config(e.to_string()))?,
        );
        let description = match &config.endpoint {
            Some(endpoint) => format!(
                "S3 bucket {} at {} (region {})",
                config.bucket,
                endpoint.trim_end_matches('/'),
                config.region
            ),
            None => format!(
                "S3 bucket {} (AWS, region {})",
                config.bucket, config.region
            ),
        };
        Ok(Self {
            store: s3.clone(),
            signer: Some(s3),
            description,
        })
    }

    /// Where the bytes go, for logs and `check-config`. Never contains a secret.
    pub fn describe(&self) -> &str {
        &self.description
    }

    pub async fn put(&self, key: &str, bytes: Bytes) -> Result<(), BlobError> {
        let path = object_path(key)?;
        self.store
            .put(&path, PutPayload::from(bytes))
            .await
            .map_err(|e| self.classify(e))?;
        Ok(())
    }

    /// Uploads the file at `path` without holding it in memory: one PUT up to 8 MiB, a
    /// multipart upload (8 MiB parts, two in flight) above. Returns the bytes uploaded.
    pub async fn put_file(&self, key: &str, path: &Path) -> Result<u64, BlobError> {
        let target = object_path(key)?;
        let read_err = |source| BlobError::ReadFile {
            path: path.to_owned(),
            source,
        };
        let mut file = tokio::fs::File::open(path).await.map_err(read_err)?;
        let len = file.metadata().await.map_err(read_err)?.len();
        if len <= SINGLE_PUT_MAX {
            let mut buf = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
            file.read_to_end(&mut buf).await.map_err(read_err)?;
            let size = buf.len() as u64;
            self.store
                .put(&target, PutPayload::from(buf))
                .await
                .map_err(|e| self.classify(e))?;
            return Ok(size);
        }
        let upload = self
            .store
            .put_multipart(&target)
            .await
            .map_err(|e| self.classify(e))?;
        let mut writer = WriteMultipart::new_with_chunk_size(upload, PART_SIZE);
        let mut total = 0u64;
        let copied: Result<(), BlobError> = async {
            loop {
                let mut chunk = BytesMut::with_capacity(READ_CHUNK);
                let n = file.read_buf(&mut chunk).await.map_err(read_err)?;
                if n == 0 {
                    return Ok(());
                }
                total += n as u64;
                writer
                    .wait_for_capacity(PARTS_IN_FLIGHT)
                    .await
                    .map_err(|e| self.classify(e))?;
                writer.put(chunk.freeze());
            }
        }
        .await;
        match copied {
            Ok(()) => {
                writer.finish().await.map_err(|e| self.classify(e))?;
                Ok(total)
            }
            Err(e) => {
                // Best effort: S3 keeps unfinished parts (and bills them) until aborted.
                if let Err(abort) = writer.abort().await {
                    tracing::warn!(blob.key = key, error = %abort, "aborting a multipart upload failed");
                }
                Err(e)
            }
        }
    }

    pub async fn get(&self, key: &str) -> Result<Bytes, BlobError> {
        let path = object_path(key)?;
        let result = self.store.get(&path).await.map_err(|e| self.classify(e))?;
        result.bytes().await.map_err(|e| self.classify(e))
    }

    /// The blob's size and its bytes as a stream, for serving and ZIP downloads.
    pub async fn get_stream(
        &self,
        key: &str,
    ) -> Result<(u64, BoxStream<'static, Result<Bytes, BlobError>>), BlobError> {
        let path = object_path(key)?;
        let result = self.store.get(&path).await.map_err(|e| self.classify(e))?;
        let size = result.meta.size;
        // A local file: read it in large chunks on tokio's file reader. object_store's own
        // stream reads 8 KiB per blocking-pool round trip, which spent most of a ZIP
        // download's time in the kernel and in thread hand-offs.
        if let object_store::GetResultPayload::File(file, file_path) = result.payload {
            let file = tokio::fs::File::from_std(file);
            let stream = futures::stream::try_unfold(
                (file, file_path),
                |(mut file, file_path)| async move {
                    let mut buf = BytesMut::with_capacity(FILE_CHUNK);
                    while buf.len() < FILE_CHUNK {
                        match file.read_buf(&mut buf).await {
                            Ok(0) => break,
                            Ok(_) => {}
                            Err(source) => {
                                return Err(BlobError::ReadFile {
                                    path: file_path,
                                    source,
                                });
                            }
                        }
                    }
                    Ok((!buf.is_empty()).then(|| (buf.freeze(), (file, file_path))))
                },
            )
            .boxed();
            return Ok((size, stream));
        }
        let this = self.clone();
        let stream = result
            .into_stream()
            .map_err(move |e| this.classify(e))
            .boxed();
        Ok((size, stream))
    }

    /// The blob's size, or `None` when there is no blob at `key`.
    pub async fn head(&self, key: &str) -> Result<Option<u64>, BlobError> {
        let path = object_path(key)?;
        match self.store.head(&path).await {
            Ok(meta) => Ok(Some(meta.size)),
            Err(e) => match self.classify(e) {
                BlobError::NotFound { .. } => Ok(None),
                e => Err(e),
            },
        }
    }

    /// Deletes the blob at `key`; deleting a missing blob is not an error.
    pub async fn delete(&self, key: &str) -> Result<(), BlobError> {
        let path = object_path(key)?;
        match self.store.delete(&path).await {
            Ok(()) => Ok(()),
            Err(e) => match self.classify(e) {
                BlobError::NotFound { .. } => Ok(()),
                e => Err(e),
            },
        }
    }

    /// Deletes every blob under `prefix` (whole path segments: `t/e1` covers `t/e1/…` but not
    /// `t/e10/…`) and returns how many were deleted. The empty prefix is refused.
    pub async fn delete_prefix(&self, prefix: &str) -> Result<u64, BlobError> {
        let prefix = object_path(prefix)?;
        let locations = self
            .store
            .list(Some(&prefix))
            .map_ok(|meta| meta.location)
            .boxed();
        let mut deleted = self.store.delete_stream(locations);
        let mut count = 0u64;
        while let Some(result) = deleted.next().await {
            match result {
                Ok(_) => count += 1,
                Err(e) => match self.classify(e) {
                    // Deleted concurrently: the goal is reached all the same.
                    BlobError::NotFound { .. } => {}
                    e => return Err(e),
                },
            }
        }
        Ok(count)
    }

    /// A URL that lets anyone GET the blob until `expires` has passed: `Some` on S3 (SigV4
    /// query signing), `None` on a local folder, whose URLs the web layer signs itself.
    pub async fn presigned_get(
        &self,
        key: &str,
        expires: Duration,
    ) -> Result<Option<String>, BlobError> {
        let Some(signer) = &self.signer else {
            return Ok(None);
        };
        let path = object_path(key)?;
        let url = signer
            .signed_url(Method::GET, &path, expires)
            .await
            .map_err(|e| self.classify(e))?;
        Ok(Some(url.to_string()))
    }

    /// Proves the store accepts writes and serves reads (start-up and `/readyz`). Fails
    /// within a few seconds, with a [`BlobError`] saying whether the store is unreachable,
    /// refuses the credentials or lacks the bucket.
    pub async fn check(&self) -> Result<(), BlobError> {
        match tokio::time::timeout(CHECK_TIMEOUT, self.probe()).await {
            Ok(result) => result,
            Err(_) => Err(BlobError::Unreachable {
                store: self.description.clone(),
                reason: format!("no answer within {} s", CHECK_TIMEOUT.as_secs()),
            }),
        }
    }

    async fn probe(&self) -> Result<(), BlobError> {
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

    /// Turns an `object_store` error into the [`BlobError`] an operator (or the web layer)
    /// can act on. S3 error codes are read from the response body the error carries.
    fn classify(&self, error: object_store::Error) -> BlobError {
        let store = || self.description.clone();
        let text = error.to_string();
        let code = xml_field(&text, "Code");
        let reason = || {
            xml_field(&text, "Message")
                .or(code)
                .map_or_else(|| root_cause(&error), str::to_owned)
        };
        if code == Some("NoSuchBucket") {
            return BlobError::MissingBucket { store: store() };
        }
        if let Some(
            "InvalidAccessKeyId"
            | "SignatureDoesNotMatch"
            | "AccessDenied"
            | "AuthorizationHeaderMalformed"
            | "InvalidToken"
            | "ExpiredToken"
            | "InvalidSignature",
        ) = code
        {
            return BlobError::Credentials {
                store: store(),
                reason: reason(),
            };
        }
        if let Some("SlowDown" | "ServiceUnavailable" | "InternalError") = code {
            return BlobError::Unreachable {
                store: store(),
                reason: reason(),
            };
        }
        match &error {
            object_store::Error::NotFound { path, .. } => {
                return BlobError::NotFound { key: path.clone() };
            }
            object_store::Error::PermissionDenied { .. }
            | object_store::Error::Unauthenticated { .. } => {
                return BlobError::Credentials {
                    store: store(),
                    reason: reason(),
                };
            }
            _ => {}
        }
        if let Some(kind) = find_source::<HttpError>(&error).map(HttpError::kind)
            && matches!(
                kind,
                HttpErrorKind::Connect
                    | HttpErrorKind::Timeout
                    | HttpErrorKind::Interrupted
                    | HttpErrorKind::Request
            )
        {
            return BlobError::Unreachable {
                store: store(),
                reason: root_cause(&error),
            };
        }
        if let Some(io) = find_source::<std::io::Error>(&error) {
            use std::io::ErrorKind;
            match io.kind() {
                ErrorKind::StorageFull
                | ErrorKind::QuotaExceeded
                | ErrorKind::ReadOnlyFilesystem => {
                    return BlobError::StorageFull {
                        store: store(),
                        reason: io.to_string(),
                    };
                }
                ErrorKind::ConnectionRefused
                | ErrorKind::ConnectionReset
                | ErrorKind::TimedOut
                | ErrorKind::HostUnreachable
                | ErrorKind::NetworkUnreachable => {
                    return BlobError::Unreachable {
                        store: store(),
                        reason: io.to_string(),
                    };
                }
                _ => {}
            }
        }
        BlobError::Store(error)
    }
}

/// A key as an object path; empty keys are refused (as a prefix, they would mean everything).
fn object_path(key: &str) -> Result<ObjectPath, BlobError> {
    let path = ObjectPath::from(key);
    if path.as_ref().is_empty() {
        return Err(BlobError::InvalidKey(key.to_owned()));
    }
    Ok(path)
}

/// The first error of type `T` in `error`'s source chain.
fn find_source<'a, T: std::error::Error + 'static>(
    error: &'a (dyn std::error::Error + 'static),
) -> Option<&'a T> {
    let mut current = Some(error);
    while let Some(e) = current {
        if let Some(found) = e.downcast_ref::<T>() {
            return Some(found);
        }
        current = e.source();
    }
    None
}

/// The innermost message of an error chain ("Connection refused (os error 111)"), which is
/// what an operator needs; the outer layers repeat the URL and retry counts.
fn root_cause(error: &(dyn std::error::Error + 'static)) -> String {
    let mut current = error;
    while let Some(next) = current.source() {
        current = next;
    }
    current.to_string()
}

/// The text of `<name>…</name>` in an S3 XML error body embedded in `text`.
fn xml_field<'a>(text: &'a str, name: &str) -> Option<&'a str> {
    let open = format!("<{name}>");
    let close = format!("</{name}>");
    let start = text.find(&open)? + open.len();
    let len = text[start..].find(&close)?;
    Some(text[start..start + len].trim()).filter(|s| !s.is_empty())
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
        assert!(store.get("t/e/p.bin").await.unwrap_err().is_not_found());
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

    fn s3_config() -> S3Config {
        S3Config {
            endpoint: Some("http://127.0.0.1:9".to_owned()),
            bucket: "media".to_owned(),
            region: "garage".to_owned(),
            access_key_id: "GK0123".to_owned(),
            secret_access_key: "very-secret".to_owned(),
            path_style: true,
            allow_http: true,
        }
    }

    #[test]
    fn s3_is_chosen_explicitly_and_never_shows_its_secret() {
        let store = BlobStore::from_parts("s3://media", Some(s3_config())).unwrap();
        assert_eq!(
            store.describe(),
            "S3 bucket media at http://127.0.0.1:9 (region garage)"
        );
        assert!(!format!("{store:?}").contains("very-secret"));
        assert!(!format!("{:?}", s3_config()).contains("very-secret"));

        let no_bucket = S3Config {
            bucket: String::new(),
            ..s3_config()
        };
        let store = BlobStore::from_parts("s3://photos/", Some(no_bucket)).unwrap();
        assert!(store.describe().starts_with("S3 bucket photos "));
        assert!(BlobStore::from_parts("", Some(s3_config())).is_ok());

        for (url, config) in [
            ("s3://media", None),
            ("s3://other", Some(s3_config())),
            ("./data/media", Some(s3_config())),
        ] {
            assert!(
                matches!(
                    BlobStore::from_parts(url, config),
                    Err(BlobError::S3Config(_))
                ),
                "{url}"
            );
        }
        let plain_http = S3Config {
            allow_http: false,
            ..s3_config()
        };
        assert!(matches!(
            BlobStore::s3(plain_http),
            Err(BlobError::S3Config(m)) if m.contains("allow_http")
        ));
    }

    #[test]
    fn errors_are_classified_for_operators() {
        let store = BlobStore::s3(s3_config()).unwrap();
        let full = object_store::Error::Generic {
            store: "LocalFileSystem",
            source: Box::new(std::io::Error::from(std::io::ErrorKind::StorageFull)),
        };
        let full = store.classify(full);
        assert!(matches!(full, BlobError::StorageFull { .. }), "{full:?}");
        assert!(full.is_unavailable());

        let body = "Server returned non-2xx status code: 404 Not Found: <?xml version=\"1.0\"?>\
                    <Error><Code>NoSuchBucket</Code><Message>Bucket not found: x</Message></Error>";
        let missing = store.classify(object_store::Error::NotFound {
            path: "k".to_owned(),
            source: body.into(),
        });
        assert!(matches!(missing, BlobError::MissingBucket { .. }));
        assert_eq!(
            missing.to_string(),
            "S3 bucket media at http://127.0.0.1:9 (region garage): the bucket does not exist"
        );
        let gone = store.classify(object_store::Error::NotFound {
            path: "t/e/p".to_owned(),
            source: "404".into(),
        });
        assert!(matches!(&gone, BlobError::NotFound { key } if key == "t/e/p"));
        assert!(!gone.is_unavailable());
    }

    #[tokio::test]
    async fn empty_keys_and_prefixes_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let store = BlobStore::local(dir.path()).unwrap();
        assert!(matches!(
            store.delete_prefix("").await,
            Err(BlobError::InvalidKey(_))
        ));
        assert!(matches!(
            store.put("/", Bytes::new()).await,
            Err(BlobError::InvalidKey(_))
        ));
    }
}

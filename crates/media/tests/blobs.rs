//! The blob store against real backends: every behaviour on a local folder (a temp dir) and on
//! the real S3-compatible server `scripts/test` starts (Garage), named by
//! `MOMENTIQUE_TEST_S3_ENDPOINT`, `_BUCKET`, `_REGION`, `_ACCESS_KEY_ID` and
//! `_SECRET_ACCESS_KEY`.
//!
//! Without those variables the S3 tests fail (never skip): run them through `scripts/test`,
//! which finds or starts the server.

use std::net::TcpListener;
use std::path::Path;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures::StreamExt;
use media::{BlobError, BlobStore, S3Config};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const S3_VARS: [&str; 5] = [
    "MOMENTIQUE_TEST_S3_ENDPOINT",
    "MOMENTIQUE_TEST_S3_BUCKET",
    "MOMENTIQUE_TEST_S3_REGION",
    "MOMENTIQUE_TEST_S3_ACCESS_KEY_ID",
    "MOMENTIQUE_TEST_S3_SECRET_ACCESS_KEY",
];

/// The test S3 server's settings; a run without them fails (scripts/test provides them).
fn s3_config() -> Option<S3Config> {
    let values: Vec<Option<String>> = S3_VARS
        .iter()
        .map(|v| std::env::var(v).ok().filter(|s| !s.is_empty()))
        .collect();
    let missing: Vec<&str> = S3_VARS
        .iter()
        .zip(&values)
        .filter(|(_, value)| value.is_none())
        .map(|(name, _)| *name)
        .collect();
    if !missing.is_empty() {
        // Like every service the tests need: missing is a failure, never a skip.
        panic!(
            "S3 is not configured for the tests: {} not set.\n\
             Run the tests with scripts/test, which finds or starts an S3 server (Garage), \
             or point the MOMENTIQUE_TEST_S3_* variables at one \
             (MOMENTIQUE_TEST_SERVICES_ONLY=1 scripts/test prints them).",
            missing.join(", ")
        );
    }
    let [endpoint, bucket, region, access_key_id, secret_access_key] =
        <[Option<String>; 5]>::try_from(values).expect("five values");
    let endpoint = endpoint.expect("checked above");
    Some(S3Config {
        allow_http: endpoint.starts_with("http://"),
        endpoint: Some(endpoint),
        bucket: bucket.expect("checked above"),
        region: region.expect("checked above"),
        access_key_id: access_key_id.expect("checked above"),
        secret_access_key: secret_access_key.expect("checked above"),
        path_style: true,
    })
}

/// A key prefix unique to one test, so tests share the bucket (and folder layout) safely.
fn unique_prefix() -> String {
    format!("tenant-{}/event", uuid::Uuid::new_v4().simple())
}

/// Writes one async test body twice: `NAME::local` on a fresh temp folder and `NAME::s3` on
/// the test bucket, each given the store and a unique key prefix (deleted afterwards on S3).
macro_rules! blob_test {
    (async fn $name:ident($store:ident, $prefix:ident) $body:block) => {
        mod $name {
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn local() {
                let dir = tempfile::tempdir().expect("temp dir");
                let $store = BlobStore::local(&dir.path().join("media")).expect("local store");
                let $prefix = unique_prefix();
                $body
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn s3() {
                let Some(config) = s3_config() else { return };
                let $store = BlobStore::s3(config).expect("S3 store");
                let $prefix = unique_prefix();
                $body
                $store.delete_prefix(&$prefix).await.expect("clean up the test prefix");
            }
        }
    };
}

/// Deterministic, incompressible test bytes (xorshift64).
fn fill(seed: u64, buf: &mut [u8]) -> u64 {
    let mut x = seed | 1;
    for chunk in buf.chunks_mut(8) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        chunk.copy_from_slice(&x.to_le_bytes()[..chunk.len()]);
    }
    x
}

/// FNV-1a 64, a content hash without another dependency.
#[derive(Clone, Copy)]
struct Fnv(u64);

impl Fnv {
    fn new() -> Self {
        Self(0xcbf2_9ce4_8422_2325)
    }
    fn update(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
}

/// Writes `len` test bytes to `path`, a MiB at a time; returns their hash.
fn write_test_file(path: &Path, len: usize) -> u64 {
    use std::io::Write;
    let mut file = std::fs::File::create(path).expect("create test file");
    let mut hash = Fnv::new();
    let mut seed = 0x9e37_79b9_7f4a_7c15;
    let mut buf = vec![0u8; 1 << 20];
    let mut left = len;
    while left > 0 {
        let n = left.min(buf.len());
        seed = fill(seed, &mut buf[..n]);
        hash.update(&buf[..n]);
        file.write_all(&buf[..n]).expect("write test file");
        left -= n;
    }
    hash.0
}

/// Reads a blob through `get_stream`, checking the announced size; returns its length and hash.
async fn stream_hash(store: &BlobStore, key: &str) -> (u64, u64) {
    let (size, mut stream) = store.get_stream(key).await.expect("get_stream");
    let mut hash = Fnv::new();
    let mut read = 0u64;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.expect("a chunk of the blob");
        read += chunk.len() as u64;
        hash.update(&chunk);
    }
    assert_eq!(
        read, size,
        "get_stream announced {size} bytes but sent {read}"
    );
    (read, hash.0)
}

blob_test!(
    async fn put_get_head_and_delete_round_trip(store, prefix) {
        let key = format!("{prefix}/photo-1/original.jpg");
        assert_eq!(store.head(&key).await.unwrap(), None);
        assert!(store.get(&key).await.unwrap_err().is_not_found());
        assert!(matches!(
            store.get_stream(&key).await.map(|_| ()),
            Err(BlobError::NotFound { .. })
        ));

        store
            .put(&key, Bytes::from_static(b"not really a jpeg"))
            .await
            .unwrap();
        assert_eq!(store.head(&key).await.unwrap(), Some(17));
        assert_eq!(
            store.get(&key).await.unwrap(),
            Bytes::from_static(b"not really a jpeg")
        );
        let (size, stream) = store.get_stream(&key).await.unwrap();
        assert_eq!(size, 17);
        let streamed: Vec<Bytes> = stream.map(Result::unwrap).collect().await;
        assert_eq!(streamed.concat(), b"not really a jpeg");

        store.put(&key, Bytes::from_static(b"v2")).await.unwrap();
        assert_eq!(store.get(&key).await.unwrap(), Bytes::from_static(b"v2"));

        store.delete(&key).await.unwrap();
        store.delete(&key).await.unwrap(); // deleting twice is fine
        assert_eq!(store.head(&key).await.unwrap(), None);
        store.check().await.unwrap();
    }
);

blob_test!(
    async fn put_file_streams_a_large_file_and_a_small_one(store, prefix) {
        let dir = tempfile::tempdir().unwrap();
        let big = dir.path().join("big.bin");
        let len = 20 * 1024 * 1024 + 12_345; // 20 MiB and a partial last part
        let hash = write_test_file(&big, len);
        let key = format!("{prefix}/photo-2/original.bin");
        assert_eq!(store.put_file(&key, &big).await.unwrap(), len as u64);
        assert_eq!(store.head(&key).await.unwrap(), Some(len as u64));
        assert_eq!(stream_hash(&store, &key).await, (len as u64, hash));

        let small = dir.path().join("small.bin");
        let small_hash = write_test_file(&small, 1000);
        let small_key = format!("{prefix}/photo-2/thumb.bin");
        assert_eq!(store.put_file(&small_key, &small).await.unwrap(), 1000);
        assert_eq!(stream_hash(&store, &small_key).await, (1000, small_hash));

        let empty = dir.path().join("empty.bin");
        std::fs::write(&empty, b"").unwrap();
        let empty_key = format!("{prefix}/photo-2/empty.bin");
        assert_eq!(store.put_file(&empty_key, &empty).await.unwrap(), 0);
        assert_eq!(store.head(&empty_key).await.unwrap(), Some(0));

        let missing = store
            .put_file(&key, &dir.path().join("no-such-file"))
            .await
            .unwrap_err();
        assert!(matches!(missing, BlobError::ReadFile { .. }), "{missing:?}");
        assert_eq!(store.head(&key).await.unwrap(), Some(len as u64));
    }
);

blob_test!(
    async fn delete_prefix_removes_only_that_prefix(store, prefix) {
        let doomed = [
            format!("{prefix}1/photo-a/original.jpg"),
            format!("{prefix}1/photo-a/w1920.webp"),
            format!("{prefix}1/photo-b/original.jpg"),
            format!("{prefix}1/zip/all.zip"),
        ];
        // Same string prefix but another path segment, and a sibling event: both survive.
        let kept = [
            format!("{prefix}10/photo-a/original.jpg"),
            format!("{prefix}2/photo-a/original.jpg"),
        ];
        for key in doomed.iter().chain(&kept) {
            store.put(key, Bytes::from(key.clone())).await.unwrap();
        }
        assert_eq!(store.delete_prefix(&format!("{prefix}1")).await.unwrap(), 4);
        for key in &doomed {
            assert_eq!(store.head(key).await.unwrap(), None, "{key}");
        }
        for key in &kept {
            assert_eq!(store.get(key).await.unwrap(), Bytes::from(key.clone()));
        }
        assert_eq!(store.delete_prefix(&format!("{prefix}1")).await.unwrap(), 0);
        assert!(matches!(
            store.delete_prefix("").await,
            Err(BlobError::InvalidKey(_))
        ));
    }
);

blob_test!(
    async fn describe_names_the_store_without_secrets(store, prefix) {
        let description = store.describe();
        assert!(
            description.starts_with("local folder ") || description.starts_with("S3 bucket "),
            "{description}"
        );
        if let Some(config) = s3_config() {
            assert!(!description.contains(&config.secret_access_key));
        }
        let _ = prefix;
    }
);

#[tokio::test]
async fn local_store_has_no_presigned_urls() {
    let dir = tempfile::tempdir().unwrap();
    let store = BlobStore::local(dir.path()).unwrap();
    store
        .put("t/e/p/x", Bytes::from_static(b"x"))
        .await
        .unwrap();
    assert_eq!(
        store
            .presigned_get("t/e/p/x", Duration::from_secs(60))
            .await
            .unwrap(),
        None
    );
}

/// A minimal HTTP/1.1 GET of an `http://` URL: the status and the body.
async fn http_get(url: &str) -> (u16, Vec<u8>) {
    let rest = url.strip_prefix("http://").expect("an http:// URL");
    let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let mut stream = tokio::net::TcpStream::connect(host).await.expect("connect");
    let request = format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    stream
        .write_all(request.as_bytes())
        .await
        .expect("send the request");
    let mut response = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut response))
        .await
        .expect("the response within 10 s")
        .expect("read the response");
    let split = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a complete response head");
    let head = String::from_utf8_lossy(&response[..split]).to_ascii_lowercase();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("a status code");
    let mut body = response[split + 4..].to_vec();
    if head.contains("transfer-encoding: chunked") {
        body = dechunk(&body);
    }
    (status, body)
}

fn dechunk(mut raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let line_end = raw
            .windows(2)
            .position(|w| w == b"\r\n")
            .expect("chunk size");
        let size_text = String::from_utf8_lossy(&raw[..line_end]);
        let size_hex = size_text.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size_hex, 16).expect("hex chunk size");
        if size == 0 {
            return out;
        }
        let start = line_end + 2;
        out.extend_from_slice(&raw[start..start + size]);
        raw = &raw[start + size + 2..];
    }
}

/// Flips the last hex digit of the `X-Amz-Signature` query value.
fn tamper_signature(url: &str) -> String {
    let start = url
        .find("X-Amz-Signature=")
        .expect("a SigV4 query signature")
        + 16;
    let end = url[start..].find('&').map_or(url.len(), |i| start + i);
    let last = url[end - 1..end].chars().next().expect("a signature digit");
    let flipped = if last == '0' { '1' } else { '0' };
    format!("{}{flipped}{}", &url[..end - 1], &url[end..])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_presigned_urls_work_and_are_checked() {
    let Some(config) = s3_config() else { return };
    let store = BlobStore::s3(config).unwrap();
    let prefix = unique_prefix();
    let key = format!("{prefix}/photo-3/w1920.webp");
    store
        .put(&key, Bytes::from_static(b"presigned bytes"))
        .await
        .unwrap();

    let url = store
        .presigned_get(&key, Duration::from_secs(300))
        .await
        .unwrap()
        .expect("S3 signs URLs");
    assert!(url.contains("X-Amz-Signature="), "{url}");
    let (status, body) = http_get(&url).await;
    assert_eq!(
        (status, body.as_slice()),
        (200, &b"presigned bytes"[..]),
        "{url}"
    );

    let (status, _) = http_get(&tamper_signature(&url)).await;
    assert_eq!(status, 403, "a tampered signature must be refused");

    let short = store
        .presigned_get(&key, Duration::from_secs(1))
        .await
        .unwrap()
        .unwrap();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (status, body) = http_get(&short).await;
    let body = String::from_utf8_lossy(&body);
    // AWS answers 403 "Request has expired", Garage 400 "Date is too old"; both refuse it.
    let lower = body.to_ascii_lowercase();
    assert!(
        matches!(status, 400 | 403) && (lower.contains("expired") || lower.contains("too old")),
        "an expired URL must be refused: {status} {body}"
    );

    store.delete_prefix(&prefix).await.unwrap();
}

/// `check()` must fail quickly, with the right variant and a message an operator understands.
async fn expect_check_error(store: &BlobStore) -> BlobError {
    let started = Instant::now();
    let error = store.check().await.expect_err("check() must fail");
    let took = started.elapsed();
    assert!(
        took < Duration::from_secs(8),
        "check() took {took:?}: {error}"
    );
    assert!(error.is_unavailable(), "{error:?}");
    error
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_check_tells_missing_bucket_bad_credentials_and_dead_port_apart() {
    let Some(config) = s3_config() else { return };
    BlobStore::s3(config.clone())
        .unwrap()
        .check()
        .await
        .unwrap();

    let missing = BlobStore::s3(S3Config {
        bucket: format!("no-such-bucket-{}", uuid::Uuid::new_v4().simple()),
        ..config.clone()
    })
    .unwrap();
    let error = expect_check_error(&missing).await;
    assert!(
        matches!(error, BlobError::MissingBucket { .. }),
        "{error:?}"
    );
    assert!(
        error.to_string().ends_with("the bucket does not exist"),
        "{error}"
    );

    let wrong_secret = BlobStore::s3(S3Config {
        secret_access_key: "0".repeat(64),
        ..config.clone()
    })
    .unwrap();
    let error = expect_check_error(&wrong_secret).await;
    assert!(matches!(error, BlobError::Credentials { .. }), "{error:?}");
    assert!(!error.to_string().contains(&config.secret_access_key));

    let unknown_key = BlobStore::s3(S3Config {
        access_key_id: "GK0000000000000000deadbeef".to_owned(),
        ..config.clone()
    })
    .unwrap();
    let error = expect_check_error(&unknown_key).await;
    assert!(matches!(error, BlobError::Credentials { .. }), "{error:?}");

    // A port that was free a moment ago: nothing listens there.
    let dead_port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dead = BlobStore::s3(S3Config {
        endpoint: Some(format!("http://127.0.0.1:{dead_port}")),
        ..config.clone()
    })
    .unwrap();
    let error = expect_check_error(&dead).await;
    assert!(matches!(error, BlobError::Unreachable { .. }), "{error:?}");
    let message = error.to_string();
    assert!(
        message.contains("unreachable") && message.contains(&dead_port.to_string()),
        "{message}"
    );
    assert!(!message.contains(&config.secret_access_key));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_gives_up_on_a_silent_server_within_seconds() {
    // Accepts connections and never answers: the worst case for a readiness probe.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let silent = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    let store = BlobStore::s3(S3Config {
        endpoint: Some(format!("http://127.0.0.1:{port}")),
        bucket: "media".to_owned(),
        region: "garage".to_owned(),
        access_key_id: "GK0123".to_owned(),
        secret_access_key: "secret".to_owned(),
        path_style: true,
        allow_http: true,
    })
    .unwrap();
    let error = expect_check_error(&store).await;
    assert!(matches!(error, BlobError::Unreachable { .. }), "{error:?}");
    silent.abort();
}

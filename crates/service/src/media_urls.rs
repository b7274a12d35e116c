//! Signed media URLs: `/media/{key}?e={expires}&s={signature}`.
//!
//! Photos of an event are not public: every link to a blob carries an HMAC of the key and its
//! expiry, made with the server's secret. A wrong or expired signature gets 403. Expiry is
//! rounded up to the next hour, so a page reloaded within the hour asks for the same URLs and
//! the browser's cache (renditions are immutable) answers.

use chrono::{DateTime, Utc};

use crate::secrets::{SecretKey, base32};

/// How long a link stays valid, at least.
pub const VALID_FOR_SECS: i64 = 2 * 60 * 60;

fn signature(secret: &SecretKey, key: &str, expires: i64) -> String {
    let mac = secret.derive("media-url", &[key.as_bytes(), &expires.to_be_bytes()]);
    base32(&mac[..16])
}

/// The signed path for `key`, valid for at least [`VALID_FOR_SECS`] from `now`.
pub fn signed_path(secret: &SecretKey, key: &str, now: DateTime<Utc>) -> String {
    let expires = (now.timestamp() + VALID_FOR_SECS + 3599) / 3600 * 3600;
    format!(
        "/media/{key}?e={expires}&s={}",
        signature(secret, key, expires)
    )
}

/// Whether `sig` is the signature of `key` until `expires`, and that time has not passed.
pub fn verify(secret: &SecretKey, key: &str, expires: i64, sig: &str, now: DateTime<Utc>) -> bool {
    use sha2::{Digest, Sha256};
    if expires < now.timestamp() {
        return false;
    }
    let expected = signature(secret, key, expires);
    // Compare digests: the time taken says nothing about where the strings differ.
    Sha256::digest(expected.as_bytes()) == Sha256::digest(sig.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_bind_the_key_and_the_expiry() {
        let secret = SecretKey::random();
        let now = Utc::now();
        let path = signed_path(&secret, "t/e/p/abc-150.webp", now);
        let (key, query) = path
            .trim_start_matches("/media/")
            .split_once('?')
            .expect("query");
        assert_eq!(key, "t/e/p/abc-150.webp");
        let mut e = 0;
        let mut s = "";
        for pair in query.split('&') {
            match pair.split_once('=') {
                Some(("e", v)) => e = v.parse().expect("number"),
                Some(("s", v)) => s = v,
                _ => {}
            }
        }
        assert!(e >= now.timestamp() + VALID_FOR_SECS && e % 3600 == 0);
        assert!(verify(&secret, key, e, s, now));
        assert!(
            !verify(&secret, "t/e/p/other-150.webp", e, s, now),
            "another key"
        );
        assert!(!verify(&secret, key, e + 3600, s, now), "a longer expiry");
        assert!(
            !verify(&SecretKey::random(), key, e, s, now),
            "another server"
        );
        let later = DateTime::from_timestamp(e + 1, 0).expect("time");
        assert!(!verify(&secret, key, e, s, later), "expired");
        assert_eq!(
            signed_path(&secret, key, now),
            path,
            "stable within the hour"
        );
    }
}

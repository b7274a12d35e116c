//! The server's secret key: it turns stored random values into tokens (join links now, signed
//! media URLs later), so a copy of the database alone cannot produce them. Every instance of a
//! deployment must share it (`MOMENTIQUE_SECRET_KEY`, or the key file the first start creates).

use std::path::Path;

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// 32 random bytes. `Debug` never shows them.
#[derive(Clone)]
pub struct SecretKey([u8; 32]);

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey(<hidden>)")
    }
}

/// Why a key could not be had.
#[derive(Debug, thiserror::Error)]
pub enum SecretKeyError {
    #[error("must be 64 hexadecimal characters (32 bytes); make one with: openssl rand -hex 32")]
    Malformed,
    #[error("cannot read or create {path}: {source}")]
    File {
        path: String,
        source: std::io::Error,
    },
}

impl SecretKey {
    /// A fresh random key (tests, and the first start of a one-box install).
    pub fn random() -> Self {
        use argon2::password_hash::rand_core::{OsRng, RngCore};
        let mut k = [0u8; 32];
        OsRng.fill_bytes(&mut k);
        Self(k)
    }

    /// From 64 hex characters.
    pub fn from_hex(s: &str) -> Result<Self, SecretKeyError> {
        let bytes = hex::decode(s.trim()).map_err(|_| SecretKeyError::Malformed)?;
        let k: [u8; 32] = bytes.try_into().map_err(|_| SecretKeyError::Malformed)?;
        Ok(Self(k))
    }

    /// Reads the key file, creating it (mode 0600) with a random key on first use.
    pub fn load_or_create(path: &Path) -> Result<Self, SecretKeyError> {
        let err = |source| SecretKeyError::File {
            path: path.display().to_string(),
            source,
        };
        match std::fs::read_to_string(path) {
            Ok(s) => Self::from_hex(&s),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir).map_err(err)?;
                }
                let key = Self::random();
                let mut opts = std::fs::OpenOptions::new();
                opts.write(true).create_new(true);
                #[cfg(unix)]
                std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
                let mut f = opts.open(path).map_err(err)?;
                std::io::Write::write_all(&mut f, hex::encode(key.0).as_bytes()).map_err(err)?;
                f.sync_all().map_err(err)?;
                Ok(key)
            }
            Err(e) => Err(err(e)),
        }
    }

    /// HMAC-SHA256 of `parts` (joined unambiguously) under `purpose`.
    pub fn derive(&self, purpose: &str, parts: &[&[u8]]) -> [u8; 32] {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.0)
            .unwrap_or_else(|_| unreachable!("HMAC takes a key of any length"));
        mac.update(purpose.as_bytes());
        for p in parts {
            mac.update(&(p.len() as u64).to_be_bytes());
            mac.update(p);
        }
        mac.finalize().into_bytes().into()
    }
}

/// Crockford's base32 in lower case (no i, l, o, u): easy to read aloud and type.
pub fn base32(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";
    let mut out = String::with_capacity(bytes.len() * 8 / 5 + 1);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for &b in bytes {
        buffer = (buffer << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(ALPHABET[((buffer >> bits) & 31) as usize]));
        }
    }
    if bits > 0 {
        out.push(char::from(ALPHABET[((buffer << (5 - bits)) & 31) as usize]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_load_create_and_refuse_junk() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/secret.key");
        let a = SecretKey::load_or_create(&path).unwrap();
        let b = SecretKey::load_or_create(&path).unwrap();
        assert_eq!(a.0, b.0, "the second start reads the same key");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        assert!(SecretKey::from_hex("abc").is_err());
        assert!(SecretKey::from_hex(&"ab".repeat(32)).is_ok());
        assert_eq!(format!("{a:?}"), "SecretKey(<hidden>)");
    }

    #[test]
    fn derivation_depends_on_key_purpose_and_parts() {
        let k = SecretKey::from_hex(&"11".repeat(32)).unwrap();
        let other = SecretKey::from_hex(&"22".repeat(32)).unwrap();
        let x = k.derive("join", &[b"a", b"bc"]);
        assert_eq!(x, k.derive("join", &[b"a", b"bc"]));
        assert_ne!(
            x,
            k.derive("join", &[b"ab", b"c"]),
            "parts are length-prefixed"
        );
        assert_ne!(x, k.derive("other", &[b"a", b"bc"]));
        assert_ne!(x, other.derive("join", &[b"a", b"bc"]));
    }

    #[test]
    fn base32_is_crockford_lowercase() {
        assert_eq!(base32(&[0xff; 5]), "zzzzzzzz");
        assert_eq!(base32(&[0; 16]).len(), 26);
        assert!(!base32(&[0x5a; 16]).contains(['i', 'l', 'o', 'u']));
    }
}

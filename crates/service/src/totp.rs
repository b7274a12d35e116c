//! Time-based one-time passwords (RFC 6238 over RFC 4226's HOTP), as authenticator apps make
//! them: HMAC-SHA1, 30-second steps, 6 digits; and the `otpauth://` URI their QR codes carry.

use hmac::{Hmac, Mac};
use sha1::Sha1;

/// Seconds per time step.
pub const STEP_SECONDS: i64 = 30;
/// Digits per code.
pub const DIGITS: u32 = 6;
/// Steps either side of now still accepted: a phone's clock a little off, or a code typed
/// as it changed.
pub const DRIFT_STEPS: i64 = 1;

/// The time step a Unix time falls in.
pub fn step_at(unix_seconds: i64) -> i64 {
    unix_seconds.div_euclid(STEP_SECONDS)
}

/// HOTP (RFC 4226 §5): the code for counter value `counter`.
pub fn hotp(secret: &[u8], counter: u64) -> u32 {
    let mut mac = <Hmac<Sha1> as Mac>::new_from_slice(secret)
        .unwrap_or_else(|_| unreachable!("HMAC takes a key of any length"));
    mac.update(&counter.to_be_bytes());
    let digest = mac.finalize().into_bytes();
    let offset = usize::from(digest[19] & 0x0f);
    let bin = u32::from_be_bytes([
        digest[offset] & 0x7f,
        digest[offset + 1],
        digest[offset + 2],
        digest[offset + 3],
    ]);
    bin % 10u32.pow(DIGITS)
}

/// The code for time step `step`, as typed (leading zeros kept).
pub fn code_for_step(secret: &[u8], step: i64) -> String {
    format!(
        "{:0width$}",
        hotp(secret, u64::try_from(step).unwrap_or(0)),
        width = DIGITS as usize
    )
}

/// The code an authenticator app shows at `unix_seconds`.
pub fn code_at(secret: &[u8], unix_seconds: i64) -> String {
    code_for_step(secret, step_at(unix_seconds))
}

/// Digits only, spaces and dashes removed (apps show "123 456"); `None` unless exactly
/// [`DIGITS`] digits remain.
pub fn normalize_code(typed: &str) -> Option<String> {
    let digits: String = typed
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect();
    (digits.len() == DIGITS as usize && digits.bytes().all(|b| b.is_ascii_digit()))
        .then_some(digits)
}

/// The time step a typed code matches, within [`DRIFT_STEPS`] of now and later than
/// `after` (a code already used, or an earlier one, is never accepted again).
pub fn matching_step(
    secret: &[u8],
    typed: &str,
    unix_seconds: i64,
    after: Option<i64>,
) -> Option<i64> {
    let code = normalize_code(typed)?;
    let now = step_at(unix_seconds);
    (now - DRIFT_STEPS..=now + DRIFT_STEPS)
        .filter(|s| after.is_none_or(|a| *s > a))
        .find(|s| constant_time_eq(code_for_step(secret, *s).as_bytes(), code.as_bytes()))
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The secret as authenticator apps take it when typed in: RFC 4648 base32, no padding.
pub fn secret_base32(secret: &[u8]) -> String {
    data_encoding::BASE32_NOPAD.encode(secret)
}

/// The secret in groups of four, easier to type from the screen.
pub fn secret_for_typing(secret: &[u8]) -> String {
    let b32 = secret_base32(secret);
    b32.as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The `otpauth://totp/…` URI of Google's Key URI format, which every authenticator app
/// reads from a QR code. `issuer` and `account` are percent-encoded.
pub fn otpauth_uri(issuer: &str, account: &str, secret: &[u8]) -> String {
    let enc = |s: &str| {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                    char::from(b).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect::<String>()
    };
    format!(
        "otpauth://totp/{}:{}?secret={}&issuer={}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECONDS}",
        enc(issuer),
        enc(account),
        secret_base32(secret),
        enc(issuer),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 Appendix B, SHA-1 column (8 digits there; the last 6 are ours).
    #[test]
    fn rfc_6238_test_vectors() {
        let secret = b"12345678901234567890";
        for (time, eight) in [
            (59, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ] {
            assert_eq!(code_at(secret, time), eight[2..], "at {time}");
        }
    }

    /// RFC 4226 Appendix D.
    #[test]
    fn rfc_4226_test_vectors() {
        let secret = b"12345678901234567890";
        let expected = [
            755_224, 287_082, 359_152, 969_429, 338_314, 254_676, 287_922, 162_583, 399_871,
            520_489,
        ];
        for (counter, code) in expected.iter().enumerate() {
            assert_eq!(hotp(secret, counter as u64), *code);
        }
    }

    #[test]
    fn drift_and_replay() {
        let secret = b"12345678901234567890";
        let t = 1_234_567_890;
        let now = step_at(t);
        let prev = code_for_step(secret, now - 1);
        let next = code_for_step(secret, now + 1);
        let far = code_for_step(secret, now + 2);
        assert_eq!(matching_step(secret, &prev, t, None), Some(now - 1));
        assert_eq!(matching_step(secret, &next, t, None), Some(now + 1));
        assert_eq!(matching_step(secret, &far, t, None), None, "two steps off");
        let current = code_at(secret, t);
        assert_eq!(matching_step(secret, &current, t, Some(now)), None, "used");
        assert_eq!(
            matching_step(secret, &prev, t, Some(now)),
            None,
            "older than the last used"
        );
        let spaced = format!("{} {}", &current[..3], &current[3..]);
        assert_eq!(matching_step(secret, &spaced, t, None), Some(now));
        assert_eq!(matching_step(secret, "12345", t, None), None);
        assert_eq!(matching_step(secret, "abcdef", t, None), None);
        assert_eq!(matching_step(secret, "", t, None), None);
    }

    #[test]
    fn uri_and_base32() {
        assert_eq!(
            secret_base32(b"12345678901234567890"),
            "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
        );
        assert_eq!(
            otpauth_uri("Momentique", "ana+x@example.com", b"12345678901234567890"),
            "otpauth://totp/Momentique:ana%2Bx%40example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\
             &issuer=Momentique&algorithm=SHA1&digits=6&period=30"
        );
        assert_eq!(
            secret_for_typing(b"12345678901234567890"),
            "GEZD GNBV GY3T QOJQ GEZD GNBV GY3T QOJQ"
        );
    }
}

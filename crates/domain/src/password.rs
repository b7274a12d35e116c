//! Password rules for new passwords, and the lockout schedule after failed logins.

use chrono::Duration;

/// Why a new password was refused. The web layer turns each into a field message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PasswordProblem {
    #[error("at least {min} characters")]
    TooShort { min: usize },
    #[error("at most {max} characters")]
    TooLong { max: usize },
    #[error("needs a letter and a number")]
    NeedsLetterAndNumber,
    /// In the lists of passwords people use most, or built from the person's own name or email.
    #[error("too common or too easy to guess")]
    TooCommon,
}

pub const MIN_LEN: usize = 8;
pub const MAX_LEN: usize = 128;

/// Checks a new password. `personal` are words an attacker would try first for this person
/// (their name, email, organization); a password made of them counts as too easy to guess.
pub fn check_new_password(password: &str, personal: &[&str]) -> Result<(), PasswordProblem> {
    let len = password.chars().count();
    if len < MIN_LEN {
        return Err(PasswordProblem::TooShort { min: MIN_LEN });
    }
    if len > MAX_LEN {
        return Err(PasswordProblem::TooLong { max: MAX_LEN });
    }
    let letter = password.chars().any(char::is_alphabetic);
    let digit = password.chars().any(|c| c.is_ascii_digit());
    if !(letter && digit) {
        return Err(PasswordProblem::NeedsLetterAndNumber);
    }
    // zxcvbn knows the common-password lists, keyboard walks, dates, l33t spellings and repeats;
    // scores 0 and 1 fall to an online attacker in under about a million guesses.
    let mut words: Vec<&str> = Vec::new();
    for p in personal {
        words.push(p);
        words.extend(
            p.split(|c: char| !c.is_alphanumeric())
                .filter(|w| w.len() >= 3),
        );
    }
    let estimate = zxcvbn::zxcvbn(password, &words);
    if u8::from(estimate.score()) < 2 {
        return Err(PasswordProblem::TooCommon);
    }
    Ok(())
}

/// Failed logins in a row allowed before the account is locked.
pub const FREE_FAILURES: i32 = 4;
/// The longest lock: an attacker can keep a person out for at most this long at a time.
pub const MAX_LOCK: Duration = Duration::minutes(15);

/// How long to refuse logins after the `failed`-th failure in a row: nothing for the first
/// few, then 30 s, doubling with each further failure, capped at [`MAX_LOCK`].
pub fn lock_after(failed: i32) -> Option<Duration> {
    if failed <= FREE_FAILURES {
        return None;
    }
    let doublings = u32::try_from(failed - FREE_FAILURES - 1)
        .unwrap_or(0)
        .min(10);
    Some((Duration::seconds(30) * 2_i32.pow(doublings)).min(MAX_LOCK))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_and_character_rules() {
        assert_eq!(
            check_new_password("a1b2c3", &[]),
            Err(PasswordProblem::TooShort { min: 8 })
        );
        let long = format!("a1{}", "x".repeat(127));
        assert_eq!(
            check_new_password(&long, &[]),
            Err(PasswordProblem::TooLong { max: 128 })
        );
        assert_eq!(
            check_new_password("onlyletterslongenough", &[]),
            Err(PasswordProblem::NeedsLetterAndNumber)
        );
        assert_eq!(
            check_new_password("1234567890123", &[]),
            Err(PasswordProblem::NeedsLetterAndNumber)
        );
        // Multi-byte characters count as one each.
        assert!(check_new_password("Grüße aus Köln 2026", &[]).is_ok());
    }

    #[test]
    fn common_and_personal_passwords_are_refused() {
        for common in [
            "password1",
            "Password123",
            "qwerty123",
            "abc12345",
            "iloveyou1",
            "passw0rd",
        ] {
            assert_eq!(
                check_new_password(common, &[]),
                Err(PasswordProblem::TooCommon),
                "{common}"
            );
        }
        assert_eq!(
            check_new_password(
                "annabelle2026",
                &["Annabelle Durand", "annabelle@example.com"]
            ),
            Err(PasswordProblem::TooCommon)
        );
        for fine in ["violet-harbour-42", "Tr0mbone sunrise", "kx7#Lp2vQ9"] {
            assert_eq!(check_new_password(fine, &[]), Ok(()), "{fine}");
        }
    }

    #[test]
    fn lock_grows_and_is_capped() {
        assert_eq!(lock_after(1), None);
        assert_eq!(lock_after(4), None);
        assert_eq!(lock_after(5), Some(Duration::seconds(30)));
        assert_eq!(lock_after(6), Some(Duration::seconds(60)));
        assert_eq!(lock_after(7), Some(Duration::seconds(120)));
        assert_eq!(lock_after(10), Some(Duration::minutes(15)));
        assert_eq!(lock_after(1000), Some(MAX_LOCK));
    }
}

//! The one clock reading the rest of the code uses.

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, SubsecRound, TimeZone, Utc};

/// The first and last year an event's times may fall in. Far enough either side of any real
/// event, and well inside what both databases store (PostgreSQL has no year before 4713 BC)
/// and what time arithmetic can reach without overflowing.
pub const FIRST_YEAR: i32 = 2000;
pub const LAST_YEAR: i32 = 2100;

/// Whether a wall-clock time lies within [`FIRST_YEAR`]..=[`LAST_YEAR`].
pub fn year_in_range(t: &NaiveDateTime) -> bool {
    (FIRST_YEAR..=LAST_YEAR).contains(&t.year())
}

/// Whether an instant lies within [`FIRST_YEAR`]..=[`LAST_YEAR`] (in UTC).
pub fn in_range(t: DateTime<Utc>) -> bool {
    year_in_range(&t.naive_utc())
}

/// The first instant of [`FIRST_YEAR`].
pub fn range_start() -> DateTime<Utc> {
    NaiveDate::from_ymd_opt(FIRST_YEAR, 1, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map_or(DateTime::<Utc>::MIN_UTC, |t| t.and_utc())
}

/// The instant just after [`LAST_YEAR`] ends.
pub fn range_end() -> DateTime<Utc> {
    NaiveDate::from_ymd_opt(LAST_YEAR + 1, 1, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map_or(DateTime::<Utc>::MAX_UTC, |t| t.and_utc())
}

/// `t` moved into the supported range: a filter bound of year -262143 or +262142 means the
/// same as the range's edge, and stays a value every database and every sum can take.
pub fn clamp_to_range(t: DateTime<Utc>) -> DateTime<Utc> {
    t.clamp(range_start(), range_end())
}

/// The start (UTC midnight) of a `YYYY-MM-DD` day, clamped to the supported range; `None` when
/// it is not a date. For list filters.
pub fn filter_day(raw: &str) -> Option<DateTime<Utc>> {
    let d = NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d").ok()?;
    let t = Utc.from_local_datetime(&d.and_hms_opt(0, 0, 0)?).single()?;
    Some(clamp_to_range(t))
}

/// Now, truncated to microseconds: PostgreSQL keeps microseconds, so a value written and read
/// back compares equal on both backends.
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

/// A source of "now", so code that waits on time (leases, session expiry) can be tested by
/// moving a clock instead of sleeping.
pub trait Clock: Send + Sync + std::fmt::Debug {
    fn now(&self) -> DateTime<Utc>;
}

/// The real clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        now()
    }
}

/// A clock that moves only when told (tests).
#[derive(Debug)]
pub struct ManualClock(std::sync::Mutex<DateTime<Utc>>);

impl ManualClock {
    pub fn new(start: DateTime<Utc>) -> Self {
        Self(std::sync::Mutex::new(start))
    }

    pub fn advance(&self, by: chrono::Duration) {
        let mut t = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *t += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_supported_range_and_filter_days() {
        let at = |s: &str| {
            NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M").expect("a time in the test")
        };
        assert!(year_in_range(&at("2000-01-01T00:00")));
        assert!(year_in_range(&at("2100-12-31T23:59")));
        assert!(!year_in_range(&at("1999-12-31T23:59")));
        assert!(!year_in_range(&at("2101-01-01T00:00")));
        assert!(!year_in_range(&at("+262142-12-31T00:00")));
        assert!(!in_range(DateTime::<Utc>::MAX_UTC));
        assert!(!in_range(DateTime::<Utc>::MIN_UTC));
        assert!(in_range(range_start()));
        assert!(!in_range(range_end()), "the end is just outside");

        assert_eq!(
            filter_day("2026-06-20").map(|d| d.to_rfc3339()),
            Some("2026-06-20T00:00:00+00:00".to_owned())
        );
        assert_eq!(filter_day("+262142-12-31"), Some(range_end()));
        assert_eq!(filter_day("-262143-01-01"), Some(range_start()));
        assert_eq!(filter_day("tomorrow"), None);
        assert_eq!(filter_day("2026-02-30"), None);
        // The day after the last one a filter can name is still a valid instant.
        let last = filter_day("+262142-12-31").expect("clamped");
        assert!(last.checked_add_signed(chrono::Duration::days(1)).is_some());
    }
}

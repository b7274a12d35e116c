//! Notification mails: what each member chose to receive, the defaults by role, and when a
//! mail is due. Pure rules; the jobs that send them are in `service::notifications`.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Duration, DurationRound, Timelike, Utc};
use serde::{Deserialize, Serialize};

use crate::Role;

/// How often the "new photos" digest comes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Digest {
    Off,
    Hourly,
    Daily,
}

impl Digest {
    pub const ALL: [Digest; 3] = [Digest::Off, Digest::Hourly, Digest::Daily];

    pub const fn as_str(self) -> &'static str {
        match self {
            Digest::Off => "off",
            Digest::Hourly => "hourly",
            Digest::Daily => "daily",
        }
    }

    /// The time a digest covers, and the least time between two; `None` when off.
    pub fn period(self) -> Option<Duration> {
        match self {
            Digest::Off => None,
            Digest::Hourly => Some(Duration::hours(1)),
            Digest::Daily => Some(Duration::days(1)),
        }
    }
}

/// Mails about photos waiting for approval.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApprovalMails {
    Off,
    /// Within a minute or so of a photo starting to wait; a burst (a guest sending twenty
    /// photos) is one mail, since at most one goes out per [`ApprovalMails::AT_ONCE_GAP`].
    AtOnce,
    /// One mail per quarter of an hour (on :00, :15, :30 and :45) listing what came in it.
    Bundled,
}

impl ApprovalMails {
    pub const ALL: [ApprovalMails; 3] = [
        ApprovalMails::Off,
        ApprovalMails::AtOnce,
        ApprovalMails::Bundled,
    ];
    /// The least time between two "at once" mails to one member.
    pub const AT_ONCE_GAP: Duration = Duration::minutes(1);
    /// A bundle's length.
    pub const BUNDLE: Duration = Duration::minutes(15);

    pub const fn as_str(self) -> &'static str {
        match self {
            ApprovalMails::Off => "off",
            ApprovalMails::AtOnce => "at_once",
            ApprovalMails::Bundled => "bundled",
        }
    }

    /// Whether a mail may go at `at` (a whole minute) to a member last mailed at `last`
    /// (`None`: never): `Ok(())` now, else `Err(when)`, the first run time it may (`Off` is
    /// never due: the end of time).
    pub fn due(self, last: Option<DateTime<Utc>>, at: DateTime<Utc>) -> Result<(), DateTime<Utc>> {
        match self {
            ApprovalMails::Off => Err(DateTime::<Utc>::MAX_UTC),
            ApprovalMails::AtOnce => match last {
                Some(l) if l + Self::AT_ONCE_GAP > at => Err(l + Self::AT_ONCE_GAP),
                _ => Ok(()),
            },
            ApprovalMails::Bundled => {
                let earliest = last.map_or(at, |l| (l + Self::BUNDLE).max(at));
                let slot = ceil_to(earliest, Self::BUNDLE);
                if slot == at { Ok(()) } else { Err(slot) }
            }
        }
    }
}

macro_rules! parse_by_name {
    ($ty:ty, $what:literal) => {
        impl FromStr for $ty {
            type Err = UnknownChoice;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::ALL
                    .into_iter()
                    .find(|c| c.as_str() == s)
                    .ok_or_else(|| UnknownChoice {
                        what: $what,
                        value: s.chars().take(40).collect(),
                    })
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

parse_by_name!(Digest, "digest");
parse_by_name!(ApprovalMails, "approvals");

/// A stored or typed choice that is none of the known ones.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{value:?} is not a choice for {what}")]
pub struct UnknownChoice {
    /// Which setting (`digest`, `approvals`).
    pub what: &'static str,
    pub value: String,
}

/// What one member receives from one organization.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Preferences {
    pub digest: Digest,
    pub approvals: ApprovalMails,
    pub draw_results: bool,
}

impl Preferences {
    /// Before a member chooses: owners and admins run the events, so they hear about them (a
    /// daily digest, so a busy party is one mail a day; approvals in quarter-hour bundles, so
    /// a queue never waits unseen for long but a burst does not flood them; draw results).
    /// Members joined to help: they get nothing until they ask, so an invitation never turns
    /// into unwanted mail.
    pub fn default_for(role: Role) -> Self {
        match role {
            Role::Owner | Role::Admin => Self {
                digest: Digest::Daily,
                approvals: ApprovalMails::Bundled,
                draw_results: true,
            },
            Role::Member => Self {
                digest: Digest::Off,
                approvals: ApprovalMails::Off,
                draw_results: false,
            },
        }
    }
}

/// The first whole `step` (a minute, a quarter of an hour, an hour) at or after `t`.
pub fn ceil_to(t: DateTime<Utc>, step: Duration) -> DateTime<Utc> {
    let floor = floor_to(t, step);
    if floor == t { t } else { floor + step }
}

/// The whole `step` at or before `t`.
pub fn floor_to(t: DateTime<Utc>, step: Duration) -> DateTime<Utc> {
    t.duration_trunc(step).unwrap_or(t)
}

/// The first whole minute strictly after `t`.
pub fn next_minute(t: DateTime<Utc>) -> DateTime<Utc> {
    floor_to(t, Duration::minutes(1)) + Duration::minutes(1)
}

/// The first whole hour strictly after `t`.
pub fn next_hour(t: DateTime<Utc>) -> DateTime<Utc> {
    floor_to(t, Duration::hours(1)) + Duration::hours(1)
}

/// Whether `t` is on a whole minute (what the notification runs are scheduled at).
pub fn is_whole_minute(t: DateTime<Utc>) -> bool {
    t.second() == 0 && t.nanosecond() == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(h: u32, m: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 6, 20, h, m, s).unwrap()
    }

    #[test]
    fn choices_parse_by_their_names_only() {
        for d in Digest::ALL {
            assert_eq!(d.as_str().parse::<Digest>(), Ok(d));
        }
        for a in ApprovalMails::ALL {
            assert_eq!(a.as_str().parse::<ApprovalMails>(), Ok(a));
        }
        assert!("weekly".parse::<Digest>().is_err());
        assert!("Hourly".parse::<Digest>().is_err());
        assert!("".parse::<ApprovalMails>().is_err());
    }

    #[test]
    fn hosts_hear_by_default_and_helpers_do_not() {
        for role in [Role::Owner, Role::Admin] {
            let p = Preferences::default_for(role);
            assert_eq!(p.digest, Digest::Daily);
            assert_eq!(p.approvals, ApprovalMails::Bundled);
            assert!(p.draw_results);
        }
        let p = Preferences::default_for(Role::Member);
        assert_eq!(
            (p.digest, p.approvals, p.draw_results),
            (Digest::Off, ApprovalMails::Off, false)
        );
    }

    #[test]
    fn at_once_is_at_most_one_a_minute() {
        let a = ApprovalMails::AtOnce;
        assert_eq!(a.due(None, at(10, 1, 0)), Ok(()));
        assert_eq!(a.due(Some(at(10, 1, 0)), at(10, 2, 0)), Ok(()));
        assert_eq!(a.due(Some(at(10, 1, 30)), at(10, 2, 0)), Err(at(10, 2, 30)));
    }

    #[test]
    fn bundles_go_on_the_quarter_hours() {
        let b = ApprovalMails::Bundled;
        assert_eq!(b.due(None, at(10, 15, 0)), Ok(()));
        assert_eq!(b.due(None, at(10, 4, 0)), Err(at(10, 15, 0)));
        assert_eq!(
            b.due(Some(at(10, 15, 0)), at(10, 16, 0)),
            Err(at(10, 30, 0))
        );
        assert_eq!(b.due(Some(at(10, 15, 0)), at(10, 30, 0)), Ok(()));
        assert_eq!(b.due(Some(at(10, 0, 0)), at(10, 15, 0)), Ok(()));
        assert!(ApprovalMails::Off.due(None, at(10, 15, 0)).is_err());
    }

    #[test]
    fn rounding() {
        assert_eq!(next_minute(at(10, 4, 0)), at(10, 5, 0));
        assert_eq!(next_minute(at(10, 4, 59)), at(10, 5, 0));
        assert_eq!(next_hour(at(10, 0, 0)), at(11, 0, 0));
        assert_eq!(next_hour(at(10, 59, 59)), at(11, 0, 0));
        assert_eq!(ceil_to(at(10, 0, 1), Duration::minutes(15)), at(10, 15, 0));
        assert_eq!(ceil_to(at(10, 15, 0), Duration::minutes(15)), at(10, 15, 0));
        assert!(is_whole_minute(at(10, 15, 0)));
        assert!(!is_whole_minute(at(10, 15, 1)));
    }
}

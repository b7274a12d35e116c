//! Usage against the limits of an organization's plan: what is counted, when a warning shows
//! (80 %) and when a change is refused (it would go past 100 %).

use serde::{Deserialize, Serialize};

/// What a plan limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Resource {
    /// Photos, every status.
    Photos,
    /// Bytes of originals and renditions.
    Storage,
    /// Guests who joined an event.
    Guests,
    /// Active members, and invitations still open.
    Members,
    /// Events, archived ones too.
    Events,
}

impl Resource {
    pub const ALL: [Resource; 5] = [
        Resource::Photos,
        Resource::Storage,
        Resource::Guests,
        Resource::Members,
        Resource::Events,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Resource::Photos => "photos",
            Resource::Storage => "storage",
            Resource::Guests => "guests",
            Resource::Members => "members",
            Resource::Events => "events",
        }
    }
}

/// A plan's limits; `None` is no limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PlanLimits {
    pub photos: Option<u64>,
    pub storage_bytes: Option<u64>,
    pub guests: Option<u64>,
    pub members: Option<u64>,
    pub events: Option<u64>,
}

impl PlanLimits {
    /// No limits at all (the one-box default).
    pub const UNLIMITED: PlanLimits = PlanLimits {
        photos: None,
        storage_bytes: None,
        guests: None,
        members: None,
        events: None,
    };

    pub fn limit(&self, r: Resource) -> Option<u64> {
        match r {
            Resource::Photos => self.photos,
            Resource::Storage => self.storage_bytes,
            Resource::Guests => self.guests,
            Resource::Members => self.members,
            Resource::Events => self.events,
        }
    }
}

/// What an organization uses now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Usage {
    pub photos: u64,
    pub storage_bytes: u64,
    pub guests: u64,
    pub members: u64,
    pub events: u64,
}

impl Usage {
    pub fn used(&self, r: Resource) -> u64 {
        match r {
            Resource::Photos => self.photos,
            Resource::Storage => self.storage_bytes,
            Resource::Guests => self.guests,
            Resource::Members => self.members,
            Resource::Events => self.events,
        }
    }
}

/// From this share of a limit on, pages warn.
pub const WARN_PERCENT: u64 = 80;

/// How close to its limit a resource is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// Below [`WARN_PERCENT`], or no limit.
    Fine,
    /// At or above [`WARN_PERCENT`], below the limit.
    Warning,
    /// At the limit (or above it, after the plan was made smaller): nothing more is taken.
    Full,
}

/// The share of `limit` used, in whole percent (rounded down); `None` without a limit.
pub fn percent(used: u64, limit: Option<u64>) -> Option<u64> {
    let limit = limit?;
    if limit == 0 {
        return Some(100);
    }
    Some(u64::try_from(u128::from(used) * 100 / u128::from(limit)).unwrap_or(u64::MAX))
}

/// The level of `used` against `limit`.
pub fn level(used: u64, limit: Option<u64>) -> Level {
    match limit {
        None => Level::Fine,
        Some(l) if used >= l => Level::Full,
        Some(_) if percent(used, limit).unwrap_or(0) >= WARN_PERCENT => Level::Warning,
        Some(_) => Level::Fine,
    }
}

/// Whether `adding` more fits under `limit` on top of `used`.
pub fn has_room(used: u64, adding: u64, limit: Option<u64>) -> bool {
    limit.is_none_or(|l| used.checked_add(adding).is_some_and(|total| total <= l))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (used, limit, level, room for one more)
    #[test]
    fn levels_and_room_as_a_table() {
        #[rustfmt::skip]
        let table = [
            (0,    None,       Level::Fine,    true),
            (1_000_000, None,  Level::Fine,    true),
            (0,    Some(100),  Level::Fine,    true),
            (79,   Some(100),  Level::Fine,    true),
            (80,   Some(100),  Level::Warning, true),
            (99,   Some(100),  Level::Warning, true),
            (100,  Some(100),  Level::Full,    false),
            (150,  Some(100),  Level::Full,    false),
            (3,    Some(4),    Level::Fine,    true),
            (4,    Some(5),    Level::Warning, true),
            (0,    Some(0),    Level::Full,    false),
        ];
        for (used, limit, lvl, room) in table {
            assert_eq!(level(used, limit), lvl, "{used} of {limit:?}");
            assert_eq!(has_room(used, 1, limit), room, "{used} of {limit:?}");
        }
        assert_eq!(percent(1, Some(3)), Some(33));
        assert_eq!(percent(u64::MAX, Some(1)), Some(u64::MAX), "no overflow");
        assert!(!has_room(90, 11, Some(100)), "a big file does not fit");
        assert!(has_room(90, 10, Some(100)));
        assert!(!has_room(u64::MAX, 1, Some(u64::MAX)));
    }

    #[test]
    fn every_resource_has_a_limit_and_a_count() {
        let limits = PlanLimits {
            photos: Some(1),
            storage_bytes: Some(2),
            guests: Some(3),
            members: Some(4),
            events: Some(5),
        };
        let usage = Usage {
            photos: 1,
            storage_bytes: 2,
            guests: 3,
            members: 4,
            events: 5,
        };
        for r in Resource::ALL {
            assert_eq!(limits.limit(r), Some(usage.used(r)), "{}", r.as_str());
            assert_eq!(PlanLimits::UNLIMITED.limit(r), None);
        }
    }
}

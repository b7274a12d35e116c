//! Typed identifiers. Every id is a UUIDv7 (time-ordered, so indexes stay compact) wrapped in a
//! newtype so a `TenantId` can never be passed where a `UserId` is expected.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// A new, time-ordered id.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }

            /// Wraps an id read back from storage.
            pub const fn from_uuid(uuid: Uuid) -> Self {
                Self(uuid)
            }

            /// The raw UUID, for storage.
            pub const fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }

        impl From<$name> for Uuid {
            fn from(id: $name) -> Uuid {
                id.0
            }
        }
    };
}

id_type!(
    /// An organization: the tenant. Every tenant-scoped row carries one.
    TenantId
);
id_type!(
    /// A person with an account (a member of one or more organizations).
    UserId
);
id_type!(
    /// A background job in the queue.
    JobId
);
id_type!(
    /// One entry in an organization's audit log.
    AuditId
);
id_type!(
    /// An event (a wedding, a party…) of one organization.
    EventId
);

id_type!(
    /// A photo in an event's gallery.
    PhotoId
);
id_type!(
    /// A guest of one event (no account: a name and a session).
    GuestId
);
id_type!(
    /// A projector wall of one event (opened from its own link).
    WallId
);
id_type!(
    /// A lucky draw of one event.
    DrawId
);
id_type!(
    /// A walk-in's entry, added to a draw by hand.
    ManualEntryId
);
id_type!(
    /// An invitation to join an organization.
    InvitationId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_through_strings_and_are_time_ordered() {
        let a = TenantId::new();
        let b = TenantId::new();
        assert!(a < b, "v7 ids sort by creation time");
        assert_eq!(a.to_string().parse::<TenantId>().ok(), Some(a));
        assert!("not-a-uuid".parse::<TenantId>().is_err());
    }
}
